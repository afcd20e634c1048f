//! The MySQL/MariaDB store (D26), through the blocking `mysql` crate and its
//! pool. Every table carries the configured prefix so the engine can live in
//! the shop's own database beside `spy_*`. Rows keep the engine's times
//! (never `NOW()`); rules stay in core.
//!
//! Columns matched exactly (usernames, references, the lower-cased search
//! columns, lockout keys, identifiers) are `VARBINARY`: `utf8mb4_bin` is a
//! PAD SPACE collation on MariaDB (`'a' = 'a '` is true there), while bytes
//! compare as SQLite's BINARY does on MariaDB and MySQL alike, and UTF-8
//! bytes sort in code point order, which the prefix search relies on.
//!
//! Durability is the server's (D26): `innodb_flush_log_at_trx_commit` is a
//! global setting, so revocations and issuance commit alike.

mod catalog;
mod db;
mod directory;
mod schema;
mod tokens;

use std::time::Duration;

pub use schema::VERSION as SCHEMA_VERSION;

use crate::error::{Error, Result};
use crate::store::OpenOptions;
use db::Db;

/// The engine's tables on a MySQL or MariaDB server.
pub struct MysqlStore {
    db: Db,
    t: Tables,
    server_version: String,
}

impl std::fmt::Debug for MysqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MysqlStore")
            .field("location", &self.db.location())
            .field("prefix", &self.t.prefix)
            .finish_non_exhaustive()
    }
}

/// The table names, with the prefix.
struct Tables {
    prefix: String,
    agent: String,
    customer: String,
    oauth_client: String,
    oauth_scope: String,
    refresh_token: String,
    audit_event: String,
    lockout: String,
    consent: String,
}

impl Tables {
    fn new(prefix: &str) -> Self {
        let name = |table: &str| format!("{prefix}{table}");
        Tables {
            prefix: prefix.to_owned(),
            agent: name("agent"),
            customer: name("customer"),
            oauth_client: name("oauth_client"),
            oauth_scope: name("oauth_scope"),
            refresh_token: name("refresh_token"),
            audit_event: name("audit_event"),
            lockout: name("lockout"),
            consent: name("consent"),
        }
    }
}

/// The longest value of an indexed `VARBINARY` column, in bytes (references,
/// usernames, lower-cased search columns, lockout keys).
const MAX_KEY_BYTES: usize = 1024;

impl MysqlStore {
    /// Connects to `url` (`mysql://` or `mariadb://user:password@host:port/db`)
    /// and migrates the prefixed tables to the current schema. Connections
    /// are opened on demand, at most `pool_size` at once.
    pub fn open(url: &str, options: &OpenOptions) -> Result<Self> {
        let prefix = &options.table_prefix;
        let prefix_ok = prefix.len() <= 32
            && prefix
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !prefix_ok {
            return Err(Error::Config(
                "table_prefix must be at most 32 characters of a-z, 0-9 and _".into(),
            ));
        }
        let lock_wait = options.busy_timeout.max(Duration::from_secs(1));
        let db = Db::open(url, options.pool_size, lock_wait)?;
        let t = Tables::new(prefix);
        let server_version = db.read(|conn| match options.upgrade_schema {
            true => schema::migrate(conn, prefix),
            false => schema::check(conn, prefix),
        })?;
        Ok(MysqlStore {
            db,
            t,
            server_version,
        })
    }
}

impl crate::store::Store for MysqlStore {
    fn describe(&self) -> String {
        format!(
            "MySQL/MariaDB {} at {}, tables {}*",
            self.server_version,
            self.db.location(),
            self.t.prefix
        )
    }

    fn find_session_and_agent(
        &self,
        jti: &[u8; 40],
    ) -> Result<
        Option<(
            crate::store::RefreshTokenRow,
            Option<crate::directory::Agent>,
        )>,
    > {
        self.session_and_agent(jti)
    }

    fn find_session_agent_and_customer(
        &self,
        jti: &[u8; 40],
        customer_reference: &str,
    ) -> Result<crate::store::SessionAgentAndCustomer> {
        self.session_agent_and_customer(jti, customer_reference)
    }
}
