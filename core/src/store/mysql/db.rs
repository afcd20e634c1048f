//! The `mysql` crate's pool, with what the store adds on top: a connection
//! broken at the socket level is discarded instead of going back to the
//! pool, and work that never reached the server (a read, or the start of a
//! transaction) is retried on another connection. So after the server
//! restarts, the stale connections fail once each, out of sight, and the
//! store goes on without a restart of the engine.

use std::time::Duration;

use mysql::prelude::Queryable;
use mysql::{Opts, OptsBuilder, Pool, PoolConstraints, PoolOpts, PooledConn, Transaction, TxOpts};

use crate::error::{Error, Result};
use crate::store::redact_url;

/// `ER_DUP_ENTRY`: a unique key is taken.
pub(super) const DUPLICATE_KEY: u16 = 1062;
/// `ER_LOCK_DEADLOCK`: InnoDB rolled the whole transaction back.
const DEADLOCK: u16 = 1213;
/// `ER_DATA_TOO_LONG`: a value does not fit its column (strict mode).
const DATA_TOO_LONG: u16 = 1406;

/// A failure inside the backend, with what the pool must know about it.
pub(super) struct Fail {
    pub(super) error: Error,
    /// The connection is unusable (socket or protocol error).
    pub(super) broken: bool,
    /// InnoDB chose this transaction as a deadlock victim and rolled it back.
    deadlock: bool,
}

impl Fail {
    /// The engine's own error, raised on a connection that is `broken` or not.
    pub(super) fn new(error: Error, broken: bool) -> Self {
        Fail {
            error,
            broken,
            deadlock: false,
        }
    }
}

impl From<mysql::Error> for Fail {
    fn from(e: mysql::Error) -> Self {
        let code = code(&e);
        Fail {
            broken: e.is_connectivity_error(),
            deadlock: code == Some(DEADLOCK),
            error: match (code, &e) {
                (Some(DATA_TOO_LONG), mysql::Error::MySqlError(m)) => {
                    Error::InvalidRequest(m.message.clone())
                }
                _ => Error::Storage(format!("MySQL: {e}")),
            },
        }
    }
}

impl From<Error> for Fail {
    fn from(error: Error) -> Self {
        Fail::new(error, false)
    }
}

/// The server's error code, if the server answered with an error.
pub(super) fn code(e: &mysql::Error) -> Option<u16> {
    match e {
        mysql::Error::MySqlError(m) => Some(m.code),
        _ => None,
    }
}

/// A column that does not convert: the value stays out of the message (it
/// may be a token hash).
pub(super) fn bad_column(what: &str) -> Fail {
    Error::Storage(format!(
        "MySQL: column {what} has an unexpected type or is missing"
    ))
    .into()
}

pub(super) struct Db {
    pool: Pool,
    /// How long a caller waits for a free connection.
    wait: Duration,
    /// Broken connections skipped before giving up: the pool's size, plus one.
    retries: usize,
    /// `host:port/database`, for messages: no user, no password.
    location: String,
}

impl Db {
    /// A pool for `url`; no connection is made yet.
    pub(super) fn open(url: &str, pool_size: usize, lock_wait: Duration) -> Result<Self> {
        let url_text = match url.strip_prefix("mariadb://") {
            Some(rest) => format!("mysql://{rest}"),
            None => url.to_owned(),
        };
        let opts = Opts::from_url(&url_text)
            .map_err(|e| Error::Config(format!("database_url {}: {e}", redact_url(url))))?;
        let Some(database) = opts.get_db_name().map(str::to_owned) else {
            return Err(Error::Config(format!(
                "database_url {} must name a database (mysql://user:password@host:port/database)",
                redact_url(url)
            )));
        };
        let location = match opts.get_socket() {
            Some(socket) => format!("{socket}/{database}"),
            None => format!(
                "{}:{}/{database}",
                opts.get_ip_or_hostname(),
                opts.get_tcp_port()
            ),
        };
        let max = pool_size.max(1);
        let lock_wait_secs = lock_wait.as_secs().max(1);
        let builder = OptsBuilder::from_opts(opts)
            .pool_opts(
                PoolOpts::default()
                    .with_constraints(PoolConstraints::new(0, max).expect("0 <= max"))
                    // Reset and ping cost a round trip per call; broken
                    // connections are found and dropped below instead.
                    .with_reset_connection(false)
                    .with_check_health(false),
            )
            .stmt_cache_size(Some(64))
            .tcp_connect_timeout(Some(Duration::from_secs(10)))
            // A statement may wait for a row lock up to `lock_wait`.
            .read_timeout(Some(Duration::from_secs(lock_wait_secs + 30)))
            .write_timeout(Some(Duration::from_secs(30)))
            .init(vec![
                // Strict mode: a value too long for its column is an error,
                // never a silently cut one.
                format!(
                    "SET NAMES utf8mb4, SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION', \
                     SESSION innodb_lock_wait_timeout = {lock_wait_secs}"
                ),
                // Locking reads lock the rows found and no gaps: a refresh
                // inserting its child beside rows a revocation has locked
                // cannot deadlock with it, as it does under REPEATABLE READ.
                "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED".into(),
            ]);
        let pool =
            Pool::new(builder).map_err(|e| Error::Storage(format!("MySQL at {location}: {e}")))?;
        Ok(Db {
            pool,
            wait: lock_wait,
            retries: max + 1,
            location,
        })
    }

    pub(super) fn location(&self) -> &str {
        &self.location
    }

    fn checkout(&self) -> Result<PooledConn> {
        self.pool.try_get_conn(self.wait).map_err(|e| match e {
            mysql::Error::DriverError(mysql::DriverError::Timeout) => Error::Storage(format!(
                "MySQL at {}: no free connection within {} ms",
                self.location,
                self.wait.as_millis()
            )),
            e => Error::Storage(format!("MySQL at {} is unreachable: {e}", self.location)),
        })
    }

    /// Runs `f`, which must only read, on a pooled connection; again on
    /// another when the connection turns out to be broken.
    pub(super) fn read<T>(
        &self,
        mut f: impl FnMut(&mut PooledConn) -> std::result::Result<T, Fail>,
    ) -> Result<T> {
        let mut attempt = 0;
        loop {
            let mut conn = self.checkout()?;
            match f(&mut conn) {
                Ok(value) => return Ok(value),
                Err(fail) => {
                    if fail.broken {
                        discard(&mut conn);
                        if attempt < self.retries {
                            attempt += 1;
                            continue;
                        }
                    }
                    return Err(fail.error);
                }
            }
        }
    }

    /// Runs `f` in one transaction, committed when it returns `Ok` and rolled
    /// back otherwise. Only starting is retried on another connection, plus
    /// the whole of `f` after a deadlock when `replay` says `f` may run again.
    pub(super) fn transaction<T>(
        &self,
        replay: bool,
        mut f: impl FnMut(&mut Transaction<'_>) -> std::result::Result<T, Fail>,
    ) -> Result<T> {
        let mut attempt = 0;
        loop {
            let mut conn = self.checkout()?;
            let (fail, starting) = match conn.start_transaction(TxOpts::default()) {
                Ok(mut tx) => match f(&mut tx) {
                    Ok(value) => match tx.commit() {
                        Ok(()) => return Ok(value),
                        Err(e) => (Fail::from(e), false),
                    },
                    // Dropping `tx` rolls back.
                    Err(fail) => (fail, false),
                },
                Err(e) => (Fail::from(e), true),
            };
            let again = attempt < self.retries
                && match fail.broken {
                    true => starting,
                    false => fail.deadlock && replay,
                };
            if fail.broken {
                discard(&mut conn);
            }
            if !again {
                return Err(fail.error);
            }
            attempt += 1;
        }
    }
}

impl Db {
    /// Starts a transaction, then runs `f`, which sends the rest of it,
    /// `COMMIT` included, as one multi-statement text query: two round
    /// trips for a transaction of any length. Starting is retried on
    /// another connection when the pooled one turns out broken (nothing has
    /// happened yet); `f` never is, since its commit may have been applied
    /// when its answer got lost. When `f` fails, the transaction is rolled
    /// back, or the connection dropped (which rolls it back too).
    pub(super) fn script<T>(
        &self,
        f: impl FnOnce(&mut PooledConn) -> std::result::Result<T, Fail>,
    ) -> Result<T> {
        let mut attempt = 0;
        let mut conn = loop {
            let mut conn = self.checkout()?;
            match conn.query_drop("START TRANSACTION") {
                Ok(()) => break conn,
                Err(e) => {
                    let fail = Fail::from(e);
                    if !fail.broken || attempt >= self.retries {
                        return Err(fail.error);
                    }
                    discard(&mut conn);
                    attempt += 1;
                }
            }
        };
        f(&mut conn).map_err(|fail| {
            if fail.broken || conn.query_drop("ROLLBACK").is_err() {
                discard(&mut conn);
            }
            fail.error
        })
    }
}

/// Makes the pool close `conn` instead of reusing it: a reset on return
/// fails on a broken connection, and the pool then drops it.
fn discard(conn: &mut PooledConn) {
    conn.reset_connection(true);
}
