//! The PostgreSQL store (D26): every engine table on the shop's database
//! server, shared by every app server. Through the blocking `postgres`
//! client with a small pool; statements are prepared once per connection.
//!
//! Rows and transactions behave as the SQLite store's: a token write is one
//! transaction whose reads lock their rows (`SELECT ... FOR UPDATE`), a
//! lockout update runs under an advisory lock on its key, and issuance
//! commits with `synchronous_commit = off` (D26) while revocations and
//! password changes wait for the disk.

mod catalog;
mod directory;
mod pool;
mod schema;
mod tokens;

use std::time::Duration;

pub use schema::VERSION as SCHEMA_VERSION;

use crate::error::{Error, Result};
use crate::store::{Durability, OpenOptions};
use pool::Pool;

/// The store of every engine table on a PostgreSQL server.
pub struct PostgresStore {
    pool: Pool,
    server_version: String,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("target", &self.pool.target())
            .field("table_prefix", &self.pool.prefix())
            .finish_non_exhaustive()
    }
}

/// How long a connection attempt may take when the URL does not say.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

impl PostgresStore {
    /// Connects to the database `url` names (`postgres://` or
    /// `postgresql://`), and creates or migrates the tables of
    /// `options.table_prefix`. At most `options.pool_size` connections are
    /// open at once; a caller waits up to `options.busy_timeout` for one,
    /// and a statement up to as long for another transaction's lock.
    pub fn open(url: &str, options: &OpenOptions) -> Result<Self> {
        let prefix = &options.table_prefix;
        if prefix.len() > 32
            || !prefix
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(Error::Config(
                "table_prefix must be at most 32 characters of a-z, 0-9 and _".into(),
            ));
        }
        let mut config: postgres::Config = url.parse().map_err(|e: postgres::Error| {
            // The parser's text may quote the part it failed on.
            Error::Config(format!(
                "database_url {}: not a PostgreSQL URL ({})",
                crate::store::redact_url(url),
                pool::describe(&e).replace(url, "<url>")
            ))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        // A server that vanishes without closing the connection (a host
        // down, a network cut) fails a call within a minute or so, rather
        // than after the system's TCP defaults (hours of keepalive silence,
        // a quarter of an hour of retransmissions).
        if config.get_keepalives_idle() == Duration::from_secs(2 * 60 * 60) {
            config.keepalives_idle(Duration::from_secs(30));
            config.keepalives_interval(Duration::from_secs(10));
            config.keepalives_retries(3);
        }
        if config.get_tcp_user_timeout().is_none() {
            config.tcp_user_timeout(Duration::from_secs(30));
        }
        if config.get_application_name().is_none() {
            config.application_name("agent-oauth");
        }
        let lock_timeout = format!("-c lock_timeout={}", options.busy_timeout.as_millis());
        let server_options = match config.get_options() {
            Some(own) => format!("{own} {lock_timeout}"),
            None => lock_timeout,
        };
        config.options(&server_options);
        let pool = Pool::new(
            config.clone(),
            target(&config),
            prefix.clone(),
            options.pool_size,
            options.busy_timeout,
        );
        let server_version = pool.with(|conn| {
            schema::migrate(conn, options.upgrade_schema)?;
            let row = conn.query_one("SHOW server_version", &[])?;
            row.try_get::<_, String>(0)
                .map_err(|e| Error::Storage(format!("PostgreSQL: server_version: {e}")))
        })?;
        Ok(PostgresStore {
            pool,
            server_version,
        })
    }
}

/// Host, port and database of a configuration: what errors and logs show.
fn target(config: &postgres::Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let port = config
                .get_ports()
                .get(i)
                .or(config.get_ports().first())
                .copied()
                .unwrap_or(5432);
            match host {
                postgres::config::Host::Tcp(name) => format!("{name}:{port}"),
                #[cfg(unix)]
                postgres::config::Host::Unix(dir) => format!("{}:{port}", dir.display()),
            }
        })
        .collect();
    let hosts = match hosts.is_empty() {
        true => "localhost:5432".to_owned(),
        false => hosts.join(","),
    };
    format!(
        "{hosts}/{}",
        config.get_dbname().unwrap_or("(user's database)")
    )
}

/// The statements that open a token transaction of this durability (D26).
/// They are sent together, in one round trip.
fn begin(durability: Durability) -> &'static str {
    match durability {
        // Issuance: a crash may lose the last commits, never corrupt.
        Durability::Normal => "BEGIN; SET LOCAL synchronous_commit = off",
        // Revocations and password changes wait for the disk, whatever the
        // server's default.
        Durability::Full => "BEGIN; SET LOCAL synchronous_commit = on",
    }
}

/// PostgreSQL text cannot hold NUL, which SQLite stores: a value with one
/// is never stored, so a lookup of it finds nothing without asking.
fn has_nul(s: &str) -> bool {
    s.contains('\0')
}

/// Free text kept for the record (audit fields) with each NUL as U+FFFD,
/// where the extended query protocol would refuse the whole event.
fn storable(s: &Option<String>) -> Option<std::borrow::Cow<'_, str>> {
    s.as_deref().map(|s| match has_nul(s) {
        true => std::borrow::Cow::Owned(s.replace('\0', "\u{FFFD}")),
        false => std::borrow::Cow::Borrowed(s),
    })
}

/// A 64-bit key for `pg_advisory_xact_lock`, the same in every process and
/// build: FNV-1a over the table prefix, a zero byte, the purpose and `name`.
fn advisory_key(prefix: &str, name: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in prefix.bytes().chain([0]).chain(name.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash as i64
}

/// The statement taking the transaction-scoped advisory lock `key`. The key
/// is an integer, so writing it into the text is safe, and lets it travel
/// with `BEGIN` in one round trip.
fn lock_sql(key: i64) -> String {
    format!("SELECT pg_advisory_xact_lock({key})")
}

impl crate::store::Store for PostgresStore {
    fn describe(&self) -> String {
        format!(
            "PostgreSQL {} at {}, tables {}*",
            self.server_version,
            self.pool.target(),
            self.pool.prefix()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_shows_host_port_and_database_but_no_credentials() {
        let config: postgres::Config = "postgres://shop:s3cret@db.internal:6432/spryker"
            .parse()
            .unwrap();
        assert_eq!(target(&config), "db.internal:6432/spryker");
        let config: postgres::Config = "postgresql://shop@localhost/spryker".parse().unwrap();
        assert_eq!(target(&config), "localhost:5432/spryker");
    }

    #[test]
    fn advisory_keys_differ_by_prefix_and_purpose_and_are_stable() {
        assert_eq!(advisory_key("", ""), 0xaf63_bd4c_8601_b7df_u64 as i64);
        assert_ne!(
            advisory_key("agent_oauth_", "schema"),
            advisory_key("other_", "schema")
        );
        assert_ne!(
            advisory_key("a", "bc"),
            advisory_key("ab", "c"),
            "the zero byte separates prefix and name"
        );
    }

    #[test]
    fn a_bad_url_or_prefix_is_a_configuration_error_without_the_password() {
        let options = OpenOptions {
            pool_size: 1,
            busy_timeout: Duration::from_secs(1),
            table_prefix: "agent_oauth_".into(),
            upgrade_schema: true,
        };
        let err =
            PostgresStore::open("postgres://u:s3cret@host:notaport/db", &options).unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{err:?}");
        assert!(!err.to_string().contains("s3cret"), "{err}");
        let bad_prefix = OpenOptions {
            table_prefix: "Robert'); DROP".into(),
            upgrade_schema: true,
            ..options
        };
        let err = PostgresStore::open("postgres://u@localhost/db", &bad_prefix).unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{err:?}");
    }
}
