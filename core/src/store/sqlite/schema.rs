//! Versioned migrations, tracked in `PRAGMA user_version`.

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{Error, Result};

/// Each entry migrates from version `index` to `index + 1`.
const MIGRATIONS: &[&str] = &[
    // v1
    "
    CREATE TABLE agent (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('active', 'blocked', 'deleted')),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE TABLE customer (
        id_customer INTEGER PRIMARY KEY,
        customer_reference TEXT NOT NULL UNIQUE,
        email TEXT NOT NULL,
        first_name TEXT NOT NULL,
        last_name TEXT NOT NULL,
        id_company_user TEXT,
        permissions TEXT,
        is_active INTEGER NOT NULL DEFAULT 1,
        -- Lower-cased copies: SQLite's own case folding is ASCII-only (D14).
        reference_lc TEXT NOT NULL,
        email_lc TEXT NOT NULL,
        first_name_lc TEXT NOT NULL,
        last_name_lc TEXT NOT NULL
    );
    CREATE INDEX customer_by_reference_lc ON customer (reference_lc);
    CREATE INDEX customer_by_email_lc ON customer (email_lc);
    CREATE INDEX customer_by_first_name_lc ON customer (first_name_lc);
    CREATE INDEX customer_by_last_name_lc ON customer (last_name_lc);

    CREATE TABLE oauth_client (
        identifier TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        is_confidential INTEGER NOT NULL,
        secret_hash TEXT,
        redirect_uri TEXT
    ) WITHOUT ROWID;
    CREATE TABLE oauth_scope (
        identifier TEXT PRIMARY KEY,
        description TEXT
    ) WITHOUT ROWID;

    -- One row per refresh token; the rowid is taken from the token hash so
    -- the hash needs no index of its own (BUILD-NOTES: every index costs).
    CREATE TABLE refresh_token (
        id INTEGER PRIMARY KEY,
        token_hash BLOB NOT NULL,
        family_id INTEGER NOT NULL,
        parent_id INTEGER,
        origin_family_id INTEGER,
        kind INTEGER NOT NULL,
        agent_id INTEGER NOT NULL,
        agent_username TEXT NOT NULL,
        customer_reference TEXT,
        scopes TEXT NOT NULL,
        client_id TEXT NOT NULL,
        jti_key INTEGER NOT NULL,
        jti BLOB NOT NULL,
        cap_at INTEGER,
        issued_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER,
        revoked_at INTEGER
    );
    CREATE INDEX refresh_token_by_jti ON refresh_token (jti_key);
    CREATE INDEX refresh_token_by_agent ON refresh_token (agent_id);
    CREATE INDEX refresh_token_by_customer ON refresh_token (customer_reference)
        WHERE customer_reference IS NOT NULL;

    CREATE TABLE audit_event (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        agent_id INTEGER,
        agent_username TEXT,
        customer_reference TEXT,
        client_ip TEXT,
        jti TEXT,
        reason TEXT,
        code TEXT
    );

    CREATE TABLE lockout (
        key TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        window_start INTEGER NOT NULL,
        blocked_until INTEGER
    ) WITHOUT ROWID;
    ",
    // v2: the impersonation policy's rule and figures (issue 12).
    "ALTER TABLE audit_event ADD COLUMN policy TEXT;
     ALTER TABLE customer ADD COLUMN impersonation_allowed INTEGER NOT NULL DEFAULT 1;",
    // v3: the reason on a session's first row and the customers' consent
    // codes (issue 12).
    "ALTER TABLE refresh_token ADD COLUMN reason TEXT;
     CREATE TABLE consent (
        code_hash BLOB PRIMARY KEY,
        customer_reference TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER
     ) WITHOUT ROWID;
     CREATE INDEX consent_by_customer ON consent (customer_reference);",
];

/// The schema version this build writes.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database to [`VERSION`]. Safe when several processes start at
/// once: the check and the migration share one immediate transaction.
pub(super) fn migrate(conn: &mut Connection) -> Result<()> {
    // WAL lets readers run beside the writer; it persists in the file.
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") && !mode.eq_ignore_ascii_case("memory") {
        return Err(Error::Config(format!(
            "the database cannot use WAL mode (got {mode})"
        )));
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let current: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > VERSION {
        return Err(Error::Config(format!(
            "the database has schema version {current}, newer than this build's {VERSION}"
        )));
    }
    for (version, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version as i64 + 1)?;
    }
    tx.commit()?;
    Ok(())
}
