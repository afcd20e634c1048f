//! A small connection pool: one connection per concurrent caller, reused.
//!
//! SQLite connections are cheap to keep and each carries its own prepared
//! statement cache, so a caller takes one, uses it alone and puts it back.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::Result;

pub(super) struct Pool {
    target: Target,
    busy_timeout: Duration,
}

enum Target {
    File {
        path: PathBuf,
        idle: Mutex<Vec<Connection>>,
        max_idle: usize,
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
            } => {
                let taken = idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
                let mut conn = match taken {
                    Some(conn) => conn,
                    None => {
                        let conn = Connection::open_with_flags(
                            path,
                            OpenFlags::SQLITE_OPEN_READ_WRITE
                                | OpenFlags::SQLITE_OPEN_CREATE
                                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                        )?;
                        configure(&conn, self.busy_timeout)?;
                        conn
                    }
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
}

fn configure(conn: &Connection, busy_timeout: Duration) -> Result<()> {
    conn.busy_timeout(busy_timeout)?;
    conn.set_prepared_statement_cache_capacity(64);
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // Checkpoints are the only writes that fsync under synchronous=NORMAL;
    // 4000 pages (16 MiB of WAL) between them keeps their cost per
    // issuance small, and the WAL is cut back to that size afterwards.
    conn.pragma_update(None, "wal_autocheckpoint", 4000)?;
    conn.pragma_update(None, "journal_size_limit", 16 * 1024 * 1024)?;
    Ok(())
}
