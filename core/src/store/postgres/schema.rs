//! Versioned migrations, one row per applied version in
//! `<prefix>schema_version`. Every name carries the table prefix (`{p}`), so
//! the tables can live beside the shop's own `spy_*` tables.
//!
//! Times are BIGINT Unix seconds from the engine's clock, never the
//! server's `NOW()` (D26); hashes and `jti` are BYTEA; text compared by
//! range (the search prefixes, identifiers listed in order) is `COLLATE "C"`,
//! the byte order SQLite uses, whatever the database's own collation.

use super::pool::Conn;
use super::{advisory_key, lock_sql};
use crate::error::{Error, Result};

/// Each entry migrates from version `index` to `index + 1`.
const MIGRATIONS: &[&str] = &[
    // v1
    r#"
    CREATE TABLE "{p}agent" (
        id BIGINT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('active', 'blocked', 'deleted')),
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
    );
    CREATE TABLE "{p}customer" (
        id_customer BIGINT PRIMARY KEY,
        customer_reference TEXT NOT NULL UNIQUE,
        email TEXT NOT NULL,
        first_name TEXT NOT NULL,
        last_name TEXT NOT NULL,
        id_company_user TEXT,
        permissions TEXT,
        is_active BOOLEAN NOT NULL DEFAULT TRUE,
        -- Folded copies (crate::search::fold), searched by prefix as ranges.
        reference_lc TEXT COLLATE "C" NOT NULL,
        email_lc TEXT COLLATE "C" NOT NULL,
        first_name_lc TEXT COLLATE "C" NOT NULL,
        last_name_lc TEXT COLLATE "C" NOT NULL
    );
    CREATE INDEX "{p}customer_by_reference_lc" ON "{p}customer" (reference_lc);
    CREATE INDEX "{p}customer_by_email_lc" ON "{p}customer" (email_lc);
    CREATE INDEX "{p}customer_by_first_name_lc" ON "{p}customer" (first_name_lc);
    CREATE INDEX "{p}customer_by_last_name_lc" ON "{p}customer" (last_name_lc);

    CREATE TABLE "{p}oauth_client" (
        identifier TEXT COLLATE "C" PRIMARY KEY,
        name TEXT NOT NULL,
        is_confidential BOOLEAN NOT NULL,
        secret_hash TEXT,
        redirect_uri TEXT
    );
    CREATE TABLE "{p}oauth_scope" (
        identifier TEXT COLLATE "C" PRIMARY KEY,
        description TEXT
    );

    -- One row per refresh token, keyed by the first 8 bytes of its hash.
    CREATE TABLE "{p}refresh_token" (
        id BIGINT PRIMARY KEY,
        token_hash BYTEA NOT NULL,
        family_id BIGINT NOT NULL,
        parent_id BIGINT,
        origin_family_id BIGINT,
        kind SMALLINT NOT NULL,
        agent_id BIGINT NOT NULL,
        agent_username TEXT NOT NULL,
        customer_reference TEXT,
        scopes TEXT NOT NULL,
        client_id TEXT NOT NULL,
        -- The first 8 bytes of jti: a small index instead of one on 40 bytes.
        jti_key BIGINT NOT NULL,
        jti BYTEA NOT NULL,
        cap_at BIGINT,
        issued_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        used_at BIGINT,
        revoked_at BIGINT
    );
    CREATE INDEX "{p}refresh_token_by_jti" ON "{p}refresh_token" (jti_key);
    CREATE INDEX "{p}refresh_token_by_agent" ON "{p}refresh_token" (agent_id);
    CREATE INDEX "{p}refresh_token_by_customer" ON "{p}refresh_token" (customer_reference)
        WHERE customer_reference IS NOT NULL;

    CREATE TABLE "{p}audit_event" (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at BIGINT NOT NULL,
        kind TEXT NOT NULL,
        agent_id BIGINT,
        agent_username TEXT,
        customer_reference TEXT,
        client_ip TEXT,
        jti TEXT,
        reason TEXT,
        code TEXT
    );

    -- The key as bytes: it holds a username as sent, which may contain NUL
    -- (PostgreSQL text cannot).
    CREATE TABLE "{p}lockout" (
        key BYTEA PRIMARY KEY,
        failures BIGINT NOT NULL,
        window_start BIGINT NOT NULL,
        blocked_until BIGINT
    );
    "#,
    // v2: the impersonation policy's rule and figures (issue 12).
    r#"ALTER TABLE "{p}audit_event" ADD COLUMN policy TEXT;
    ALTER TABLE "{p}customer" ADD COLUMN impersonation_allowed BOOLEAN NOT NULL DEFAULT TRUE;"#,
    // v3: the reason on a session's first row and the customers' consent
    // codes (issue 12).
    r#"ALTER TABLE "{p}refresh_token" ADD COLUMN reason TEXT;
    CREATE TABLE "{p}consent" (
        code_hash BYTEA PRIMARY KEY,
        customer_reference TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        used_at BIGINT
    );
    CREATE INDEX "{p}consent_by_customer" ON "{p}consent" (customer_reference);"#,
];

/// The schema version this build writes.
pub const VERSION: i32 = MIGRATIONS.len() as i32;

/// Brings the tables of this prefix to [`VERSION`], or refuses a schema
/// newer than this build.
///
/// An up-to-date schema is only read: the application's database user
/// needs no right to create tables once they exist. Otherwise the check and
/// the migrations run in one transaction under an advisory lock keyed by the
/// prefix, so several processes starting at once migrate once (PostgreSQL's
/// DDL is transactional: a failed migration leaves nothing behind).
///
/// Without `upgrade`, missing or older tables are refused instead, with the
/// command that upgrades them.
pub(super) fn migrate(conn: &mut Conn, upgrade: bool) -> Result<()> {
    let installed = installed_version(conn)?;
    if installed == Some(VERSION) {
        return Ok(());
    }
    if !upgrade {
        return Err(crate::store::schema_outdated(
            "PostgreSQL",
            conn.prefix(),
            installed.map(i64::from),
            VERSION.into(),
        ));
    }
    let begin = format!("BEGIN; {}", lock_sql(advisory_key(conn.prefix(), "schema")));
    conn.transaction(&begin, |conn| {
        conn.batch(
            r#"CREATE TABLE IF NOT EXISTS "{p}schema_version" (version INTEGER PRIMARY KEY)"#,
        )?;
        let current = installed_version(conn)?.unwrap_or(0);
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            conn.batch(sql)?;
            let version = index as i32 + 1;
            conn.execute(
                r#"INSERT INTO "{p}schema_version" (version) VALUES ($1)"#,
                &[&version],
            )?;
        }
        Ok(())
    })
}

/// The schema version of this prefix's tables, `None` before the first
/// migration; a version newer than this build's is a configuration error.
fn installed_version(conn: &mut Conn) -> Result<Option<i32>> {
    let read = |e: postgres::Error| Error::Storage(format!("PostgreSQL: schema version: {e}"));
    let exists: bool = conn
        .query_one(
            r#"SELECT to_regclass('"{p}schema_version"') IS NOT NULL"#,
            &[],
        )?
        .try_get(0)
        .map_err(read)?;
    if !exists {
        return Ok(None);
    }
    let version: i32 = conn
        .query_one(
            r#"SELECT COALESCE(max(version), 0) FROM "{p}schema_version""#,
            &[],
        )?
        .try_get(0)
        .map_err(read)?;
    if version > VERSION {
        return Err(Error::Config(format!(
            "the PostgreSQL tables {}* have schema version {version}, newer than this build's {VERSION}: \
             run a newer agent-oauth",
            conn.prefix()
        )));
    }
    Ok(Some(version))
}
