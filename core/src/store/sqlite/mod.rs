//! The embedded SQLite store: WAL, busy timeout, foreign keys, cached
//! prepared statements, every write in a transaction. Several processes may
//! share one database file (PHP-FPM workers).

mod catalog;
mod directory;
mod pool;
mod schema;
mod tokens;

use std::time::Duration;

pub use schema::VERSION as SCHEMA_VERSION;

use crate::error::Result;
use pool::Pool;

/// The built-in store of every engine table.
pub struct SqliteStore {
    pool: Pool,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`, or a private
    /// in-memory database for `:memory:`, and migrates it to the current
    /// schema. `max_idle` connections are kept for reuse.
    pub fn open(path: &str, max_idle: usize, busy_timeout: Duration) -> Result<Self> {
        let pool = Pool::open(path, max_idle, busy_timeout)?;
        pool.with(schema::migrate)?;
        Ok(SqliteStore { pool })
    }

    /// The SQLite library version compiled in.
    pub fn sqlite_version() -> &'static str {
        rusqlite::version()
    }
}

// `?` on SQLite calls inside this backend; the public error keeps only the text.
impl From<rusqlite::Error> for crate::error::Error {
    fn from(e: rusqlite::Error) -> Self {
        crate::error::Error::Storage(format!("SQLite: {e}"))
    }
}

impl crate::store::Store for SqliteStore {
    fn describe(&self) -> String {
        format!("SQLite {} at {}", rusqlite::version(), self.pool.location())
    }

    fn is_embedded(&self) -> bool {
        true
    }
}
