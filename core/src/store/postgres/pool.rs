//! A small connection pool: at most `max` connections, each used by one
//! caller at a time, each with its own cache of prepared statements.
//!
//! A connection that failed in a way that leaves it unusable (closed, the
//! server shutting down, an I/O error, a transaction that could not be
//! ended) is dropped instead of going back to the pool, so the next call
//! opens a new one: the store recovers by itself when the server returns.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, NoTls, Row, Statement};

use crate::error::{Error, Result};

/// Parameters of one statement.
pub(super) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

pub(super) struct Pool {
    config: postgres::Config,
    /// Host, port and database, for error texts: never the user or password.
    target: String,
    /// The table prefix, put in place of `{p}` in every statement.
    prefix: String,
    max: usize,
    wait: Duration,
    state: Mutex<State>,
    freed: Condvar,
}

struct State {
    idle: Vec<Conn>,
    /// Connections open, idle or lent.
    open: usize,
}

impl Pool {
    pub(super) fn new(
        config: postgres::Config,
        target: String,
        prefix: String,
        max: usize,
        wait: Duration,
    ) -> Self {
        Pool {
            config,
            target,
            prefix,
            max: max.max(1),
            wait,
            state: Mutex::new(State {
                idle: Vec::new(),
                open: 0,
            }),
            freed: Condvar::new(),
        }
    }

    /// Host, port and database, as errors and logs may show them.
    pub(super) fn target(&self) -> &str {
        &self.target
    }

    /// The table prefix.
    pub(super) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Runs `f` with a connection of its own.
    ///
    /// A pooled connection that turns out to have died while idle (the
    /// server restarted) fails on its first round trip; `f` then runs once
    /// more on a new connection, since nothing of it reached the server.
    pub(super) fn with<T>(&self, mut f: impl FnMut(&mut Conn) -> Result<T>) -> Result<T> {
        let mut lease = self.take()?;
        let result = f(lease.conn());
        let stale = result.is_err() && lease.reused && lease.conn().died_idle;
        if !stale {
            return result;
        }
        // The server went away since these connections were last used: the
        // others idle here are as dead as this one.
        lease.discard();
        self.discard_idle();
        let mut lease = self.take_new()?;
        f(lease.conn())
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn take(&self) -> Result<Lease<'_>> {
        let deadline = Instant::now() + self.wait;
        let mut state = self.lock();
        loop {
            if let Some(conn) = state.idle.pop() {
                return Ok(Lease::new(self, conn, true));
            }
            if state.open < self.max {
                state.open += 1;
                drop(state);
                return self.connect().map(|conn| Lease::new(self, conn, false));
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::Storage(format!(
                    "PostgreSQL at {}: all {} connections stayed busy for {} ms",
                    self.target,
                    self.max,
                    self.wait.as_millis()
                )));
            }
            state = self
                .freed
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// A new connection, in place of a dead one already discarded.
    fn take_new(&self) -> Result<Lease<'_>> {
        self.lock().open += 1;
        self.connect().map(|conn| Lease::new(self, conn, false))
    }

    /// Opens a connection; counted in `open` by the caller, uncounted on failure.
    fn connect(&self) -> Result<Conn> {
        match self.config.connect(NoTls) {
            Ok(client) => Ok(Conn::new(client, &self.prefix)),
            Err(e) => {
                self.release_slot();
                Err(Error::Storage(format!(
                    "PostgreSQL at {}: cannot connect: {}",
                    self.target,
                    describe(&e)
                )))
            }
        }
    }

    fn release_slot(&self) {
        let mut state = self.lock();
        state.open -= 1;
        drop(state);
        self.freed.notify_one();
    }

    /// Closes every idle connection (their server went away).
    fn discard_idle(&self) {
        let mut state = self.lock();
        let idle = std::mem::take(&mut state.idle);
        state.open -= idle.len();
        drop(state);
        drop(idle);
        self.freed.notify_all();
    }

    fn give_back(&self, conn: Conn) {
        let mut state = self.lock();
        state.idle.push(conn);
        drop(state);
        self.freed.notify_one();
    }
}

/// A connection lent to one caller; back to the pool when dropped, unless
/// it is broken (or the caller panicked mid-way), then closed.
struct Lease<'p> {
    pool: &'p Pool,
    conn: Option<Conn>,
    /// Taken from the idle list rather than opened for this call.
    reused: bool,
}

impl<'p> Lease<'p> {
    fn new(pool: &'p Pool, mut conn: Conn, reused: bool) -> Self {
        conn.round_trips = 0;
        conn.died_idle = false;
        Lease {
            pool,
            conn: Some(conn),
            reused,
        }
    }

    fn conn(&mut self) -> &mut Conn {
        self.conn.as_mut().expect("a lease holds its connection")
    }

    fn discard(&mut self) {
        if self.conn.take().is_some() {
            self.pool.release_slot();
        }
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        if conn.broken || conn.in_transaction || std::thread::panicking() {
            drop(conn);
            self.pool.release_slot();
        } else {
            self.pool.give_back(conn);
        }
    }
}

/// One server connection and the statements prepared on it.
pub(super) struct Conn {
    client: Client,
    prefix: String,
    statements: HashMap<&'static str, Statement>,
    /// Unusable: dropped instead of pooled.
    broken: bool,
    /// Round trips that succeeded during the current lease.
    round_trips: u32,
    /// The first round trip of this lease found the connection dead before
    /// it carried anything.
    died_idle: bool,
    in_transaction: bool,
    /// A statement failed inside the open transaction, which the server
    /// has therefore aborted: it must not be reported as committed.
    failed_in_transaction: bool,
}

impl Conn {
    fn new(client: Client, prefix: &str) -> Self {
        Conn {
            client,
            prefix: prefix.to_owned(),
            statements: HashMap::new(),
            broken: false,
            round_trips: 0,
            died_idle: false,
            in_transaction: false,
            failed_in_transaction: false,
        }
    }

    /// The table prefix.
    pub(super) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Notes how a call ended: a failure may break the connection.
    fn track<T>(&mut self, result: std::result::Result<T, postgres::Error>) -> PgResult<T> {
        match result {
            Ok(value) => {
                self.round_trips += 1;
                Ok(value)
            }
            Err(e) => {
                if breaks_connection(&e) || self.client.is_closed() {
                    self.broken = true;
                    self.died_idle = self.round_trips == 0 && never_reached_server(&e);
                }
                if self.in_transaction {
                    self.failed_in_transaction = true;
                }
                Err(PgError(e))
            }
        }
    }

    /// The statement for `sql` (with `{p}` the table prefix), prepared once
    /// per connection.
    fn statement(&mut self, sql: &'static str) -> PgResult<Statement> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let text = sql.replace("{p}", &self.prefix);
        let result = self.client.prepare(&text);
        let statement = self.track(result)?;
        self.statements.insert(sql, statement.clone());
        Ok(statement)
    }

    /// Every row `sql` returns.
    pub(super) fn query(&mut self, sql: &'static str, params: Params<'_>) -> PgResult<Vec<Row>> {
        let statement = self.statement(sql)?;
        let result = self.client.query(&statement, params);
        self.track(result)
    }

    /// The row `sql` returns, if any.
    pub(super) fn query_opt(
        &mut self,
        sql: &'static str,
        params: Params<'_>,
    ) -> PgResult<Option<Row>> {
        let statement = self.statement(sql)?;
        let result = self.client.query_opt(&statement, params);
        self.track(result)
    }

    /// The one row `sql` returns.
    pub(super) fn query_one(&mut self, sql: &'static str, params: Params<'_>) -> PgResult<Row> {
        let statement = self.statement(sql)?;
        let result = self.client.query_one(&statement, params);
        self.track(result)
    }

    /// Runs `sql`; returns the number of rows it changed.
    pub(super) fn execute(&mut self, sql: &'static str, params: Params<'_>) -> PgResult<u64> {
        let statement = self.statement(sql)?;
        let result = self.client.execute(&statement, params);
        self.track(result)
    }

    /// Runs statements without parameters in one round trip (the simple
    /// query protocol), with `{p}` the table prefix.
    pub(super) fn batch(&mut self, sql: &str) -> PgResult<()> {
        let text = sql.replace("{p}", &self.prefix);
        let result = self.client.batch_execute(&text);
        self.track(result)
    }

    /// Runs `f` in one transaction that `begin` opens (`BEGIN` and any
    /// `SET LOCAL`, sent together), committed when `f` returns `Ok`.
    pub(super) fn transaction<T>(
        &mut self,
        begin: &str,
        f: impl FnOnce(&mut Conn) -> Result<T>,
    ) -> Result<T> {
        self.batch(begin)?;
        self.in_transaction = true;
        self.failed_in_transaction = false;
        let result = f(self);
        let end = match (&result, self.failed_in_transaction) {
            (Ok(_), false) => "COMMIT",
            _ => "ROLLBACK",
        };
        let ended = self.batch(end);
        if ended.is_ok() {
            self.in_transaction = false;
        } else {
            self.broken = true;
        }
        let value = result?;
        ended?;
        if self.failed_in_transaction {
            return Err(Error::Storage(
                "PostgreSQL: a statement failed inside the transaction, which was rolled back"
                    .into(),
            ));
        }
        Ok(value)
    }
}

/// A failure of the PostgreSQL client, before it becomes a public
/// [`Error`] (callers match on SQLSTATE codes first).
pub(super) struct PgError(pub(super) postgres::Error);

pub(super) type PgResult<T> = std::result::Result<T, PgError>;

impl PgError {
    /// The SQLSTATE of a server error.
    pub(super) fn code(&self) -> Option<&SqlState> {
        self.0.code()
    }
}

impl From<PgError> for Error {
    fn from(e: PgError) -> Self {
        Error::Storage(format!("PostgreSQL: {}", describe(&e.0)))
    }
}

/// The client's error with its cause: the client's own text says only "db
/// error" or "error connecting to server". Neither carries the URL.
pub(super) fn describe(e: &postgres::Error) -> String {
    match (e.as_db_error(), std::error::Error::source(e)) {
        (Some(db), _) => format!("{} ({}): {}", db.severity(), db.code().code(), db.message()),
        (None, Some(cause)) => format!("{e}: {cause}"),
        (None, None) => e.to_string(),
    }
}

/// Whether the connection is unusable after `e`.
fn breaks_connection(e: &postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    match e.as_db_error() {
        // FATAL and PANIC end the session; class 57P is the server shutting
        // down or restarting.
        Some(db) => {
            matches!(db.severity(), "FATAL" | "PANIC") || db.code().code().starts_with("57P")
        }
        // I/O, protocol and timeout failures leave the stream in an unknown
        // state (the client-side ones, such as a type mismatch, are bugs:
        // a new connection costs nothing then).
        None => true,
    }
}

/// Whether `e` says the request never ran: the connection was already
/// closed, or the server had already ended this session when it arrived.
fn never_reached_server(e: &postgres::Error) -> bool {
    e.is_closed()
        || e.as_db_error()
            .is_some_and(|db| db.code().code().starts_with("57P"))
}
