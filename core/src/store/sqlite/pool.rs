//! A small connection pool: one connection per concurrent caller, reused.
//!
//! SQLite connections are cheap to keep and each carries its own prepared
//! statement cache, so a caller takes one, uses it alone and puts it back.

use std::ffi::c_int;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::Result;

/// WAL pages between checkpoints.
const CHECKPOINT_PAGES: u32 = 4000;

pub(super) struct Pool {
    target: Target,
    busy_timeout: Duration,
}

enum Target {
    File {
        path: PathBuf,
        idle: Mutex<Vec<Connection>>,
        max_idle: usize,
        /// The one connection this process writes with, taken around every
        /// write transaction. SQLite lets one writer in at a time anyway;
        /// without this, the others wait in its busy handler, which polls
        /// with sleeps of up to 100 ms. One connection also keeps its page
        /// cache across writes: SQLite drops a connection's whole cache when
        /// another connection has written since its last transaction.
        /// Writers of other processes still meet the busy handler.
        writer: Mutex<Option<Connection>>,
        /// Pages in the WAL after the last commit of the writing connection
        /// (its WAL hook), the same after the last checkpoint, and whether a
        /// checkpoint is running; see `write`.
        wal_pages: Arc<AtomicU32>,
        checkpointed: AtomicU32,
        checkpointing: AtomicBool,
    },
    // One connection for `:memory:`: every caller must see the same database (D22).
    Memory(Mutex<Connection>),
}

impl Pool {
    pub(super) fn open(path: &str, max_idle: usize, busy_timeout: Duration) -> Result<Self> {
        if path == ":memory:" {
            let conn = Connection::open_in_memory()?;
            configure(&conn, busy_timeout)?;
            return Ok(Pool {
                target: Target::Memory(Mutex::new(conn)),
                busy_timeout,
            });
        }
        Ok(Pool {
            target: Target::File {
                path: PathBuf::from(path),
                idle: Mutex::new(Vec::new()),
                max_idle: max_idle.max(1),
                writer: Mutex::new(None),
                wal_pages: Arc::new(AtomicU32::new(0)),
                checkpointed: AtomicU32::new(0),
                checkpointing: AtomicBool::new(false),
            },
            busy_timeout,
        })
    }

    /// The database file, or `:memory:`.
    pub(super) fn location(&self) -> String {
        match &self.target {
            Target::File { path, .. } => path.display().to_string(),
            Target::Memory(_) => ":memory:".into(),
        }
    }

    /// Runs `f` with a connection of its own.
    pub(super) fn with<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        match &self.target {
            Target::Memory(conn) => f(&mut conn.lock().unwrap_or_else(|e| e.into_inner())),
            Target::File {
                path,
                idle,
                max_idle,
                ..
            } => {
                let taken = idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
                let mut conn = match taken {
                    Some(conn) => conn,
                    None => self.connect(path)?,
                };
                let result = f(&mut conn);
                let mut idle = idle.lock().unwrap_or_else(|e| e.into_inner());
                if idle.len() < *max_idle {
                    idle.push(conn);
                }
                result
            }
        }
    }

    /// Runs `f`, which writes, with this process's writing connection, after
    /// the writers of this process before it are done.
    ///
    /// The WAL is checkpointed here, after the writing connection is let go,
    /// instead of by SQLite's automatic checkpoint inside the commit: that
    /// one copies thousands of pages and syncs the file while every other
    /// writer of the process waits. A passive checkpoint on another
    /// connection lets them go on writing meanwhile.
    pub(super) fn write<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let Target::File {
            path,
            writer,
            wal_pages,
            checkpointed,
            checkpointing,
            ..
        } = &self.target
        else {
            return self.with(f);
        };
        let result = {
            let mut writer = writer.lock().unwrap_or_else(|e| e.into_inner());
            let conn = match &mut *writer {
                Some(conn) => conn,
                empty => {
                    let mut conn = self.connect(path)?;
                    let pages = wal_pages.clone();
                    conn.wal_hook(Some(move |_: &mut rusqlite::hooks::Wal, n: c_int| {
                        pages.store(u32::try_from(n).unwrap_or(0), Ordering::Relaxed);
                        Ok(())
                    }))?;
                    empty.insert(conn)
                }
            };
            f(conn)
        };
        // The WAL only starts over once a checkpoint has copied all of it and
        // no reader still uses it, so under steady reads it keeps growing:
        // count the pages written since the last checkpoint, not the WAL's
        // length, or every commit would checkpoint (and sync) again.
        let pages = wal_pages.load(Ordering::Relaxed);
        let since = pages
            .checked_sub(checkpointed.load(Ordering::Relaxed))
            .unwrap_or(pages);
        if since >= CHECKPOINT_PAGES && !checkpointing.swap(true, Ordering::AcqRel) {
            // Best effort: a checkpoint that fails or is held up by readers
            // is tried again later; the WAL stays valid meanwhile.
            let _ = self.with(|conn| {
                Ok(conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(0))?)
            });
            checkpointed.store(pages, Ordering::Relaxed);
            checkpointing.store(false, Ordering::Release);
        }
        result
    }

    fn connect(&self, path: &PathBuf) -> Result<Connection> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        configure(&conn, self.busy_timeout)?;
        Ok(conn)
    }
}

fn configure(conn: &Connection, busy_timeout: Duration) -> Result<()> {
    conn.busy_timeout(busy_timeout)?;
    conn.set_prepared_statement_cache_capacity(64);
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // Checkpoints are the only writes that fsync under synchronous=NORMAL;
    // 4000 pages (16 MiB of WAL) between them keeps their cost per
    // issuance small, and the WAL is cut back to that size afterwards. (The
    // writing connection's own hook replaces this; see `Pool::write`.)
    conn.pragma_update(None, "wal_autocheckpoint", CHECKPOINT_PAGES)?;
    conn.pragma_update(None, "journal_size_limit", 16 * 1024 * 1024)?;
    Ok(())
}
