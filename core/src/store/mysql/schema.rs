//! Versioned migrations, one row per applied version in
//! `<prefix>schema_version`. Processes that start at once take turns on a
//! named server lock; DDL commits implicitly on MySQL, so each step is
//! written to be safe to run again after a crash half-way.

use mysql::PooledConn;
use mysql::prelude::Queryable;

use super::db::Fail;
use crate::error::Error;

/// Each entry migrates from version `index` to `index + 1`; `{p}` stands for
/// the table prefix.
const MIGRATIONS: &[&[&str]] = &[
    // v1
    &[
        "CREATE TABLE IF NOT EXISTS {p}agent (
            id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
            username VARBINARY(1024) NOT NULL,
            password_hash TEXT NOT NULL,
            status VARCHAR(16) NOT NULL CHECK (status IN ('active', 'blocked', 'deleted')),
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            UNIQUE KEY by_username (username)
        ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin",
        // Lower-cased copies for the prefix search (the fold is Unicode-aware,
        // unlike any collation both servers share).
        "CREATE TABLE IF NOT EXISTS {p}customer (
            id_customer BIGINT NOT NULL PRIMARY KEY,
            customer_reference VARBINARY(1024) NOT NULL,
            email TEXT NOT NULL,
            first_name TEXT NOT NULL,
            last_name TEXT NOT NULL,
            id_company_user TEXT NULL,
            permissions MEDIUMTEXT NULL,
            is_active BOOLEAN NOT NULL DEFAULT TRUE,
            reference_lc VARBINARY(1024) NOT NULL,
            email_lc VARBINARY(1024) NOT NULL,
            first_name_lc VARBINARY(1024) NOT NULL,
            last_name_lc VARBINARY(1024) NOT NULL,
            UNIQUE KEY by_reference (customer_reference),
            KEY by_reference_lc (reference_lc),
            KEY by_email_lc (email_lc),
            KEY by_first_name_lc (first_name_lc),
            KEY by_last_name_lc (last_name_lc)
        ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin",
        "CREATE TABLE IF NOT EXISTS {p}oauth_client (
            identifier VARBINARY(1024) NOT NULL PRIMARY KEY,
            name TEXT NOT NULL,
            is_confidential BOOLEAN NOT NULL,
            secret_hash TEXT NULL,
            redirect_uri TEXT NULL
        ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin",
        "CREATE TABLE IF NOT EXISTS {p}oauth_scope (
            identifier VARBINARY(1024) NOT NULL PRIMARY KEY,
            description TEXT NULL
        ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin",
        // One row per refresh token, keyed by the first 8 bytes of its hash;
        // the jti is found by its first 8 bytes too (a small index).
        "CREATE TABLE IF NOT EXISTS {p}refresh_token (
            id BIGINT NOT NULL PRIMARY KEY,
            token_hash BINARY(32) NOT NULL,
            family_id BIGINT NOT NULL,
            parent_id BIGINT NULL,
            origin_family_id BIGINT NULL,
            kind TINYINT NOT NULL,
            agent_id BIGINT NOT NULL,
            agent_username TEXT NOT NULL,
            customer_reference VARBINARY(1024) NULL,
            scopes TEXT NOT NULL,
            client_id TEXT NOT NULL,
            jti_key BIGINT NOT NULL,
            jti BINARY(40) NOT NULL,
            cap_at BIGINT NULL,
            issued_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL,
            used_at BIGINT NULL,
            revoked_at BIGINT NULL,
            KEY by_jti (jti_key),
            KEY by_agent (agent_id),
            KEY by_customer (customer_reference)
        ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin",
        // The customer reference is a BLOB: filtered exactly, whatever its length.
        "CREATE TABLE IF NOT EXISTS {p}audit_event (
            id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
            at BIGINT NOT NULL,
            kind VARCHAR(64) NOT NULL,
            agent_id BIGINT NULL,
            agent_username TEXT NULL,
            customer_reference BLOB NULL,
            client_ip TEXT NULL,
            jti TEXT NULL,
            reason TEXT NULL,
            code TEXT NULL
        ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin",
        "CREATE TABLE IF NOT EXISTS {p}lockout (
            lockout_key VARBINARY(1024) NOT NULL PRIMARY KEY,
            failures INT UNSIGNED NOT NULL,
            window_start BIGINT NOT NULL,
            blocked_until BIGINT NULL
        ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin",
    ],
    // v2: the impersonation policy's rule and figures (issue 12).
    &[
        "ALTER TABLE {p}audit_event ADD COLUMN policy TEXT NULL",
        "ALTER TABLE {p}customer ADD COLUMN impersonation_allowed BOOLEAN NOT NULL DEFAULT TRUE",
    ],
    // v3: the reason on a session's first row and the customers' consent
    // codes (issue 12).
    &[
        "ALTER TABLE {p}refresh_token ADD COLUMN reason TEXT NULL",
        "CREATE TABLE IF NOT EXISTS {p}consent (
            code_hash BINARY(32) NOT NULL PRIMARY KEY,
            customer_reference VARBINARY(1024) NOT NULL,
            created_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL,
            used_at BIGINT NULL,
            KEY by_customer (customer_reference)
        ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin",
    ],
];

/// The schema version this build writes.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// How long a process waits for another's migration, in seconds.
const LOCK_WAIT_SECS: u32 = 30;

/// Brings the prefixed tables to [`VERSION`]; returns the server's version
/// text. A schema newer than this build is [`Error::Config`].
pub(super) fn migrate(conn: &mut PooledConn, prefix: &str) -> Result<String, Fail> {
    let lock = format!("{prefix}migrate");
    let locked: Option<Option<i64>> =
        conn.exec_first("SELECT GET_LOCK(?, ?)", (&lock, LOCK_WAIT_SECS))?;
    if locked.flatten() != Some(1) {
        return Err(Error::Storage(format!(
            "MySQL: another process held the migration lock {lock:?} for {LOCK_WAIT_SECS} s"
        ))
        .into());
    }
    let result = apply(conn, prefix);
    // Closing the connection releases the lock too, if this fails.
    let released = conn.exec_drop("SELECT RELEASE_LOCK(?)", (&lock,));
    let version = result?;
    released?;
    Ok(version)
}

/// Reads the prefixed tables' schema version without changing anything:
/// [`VERSION`] passes (returning the server's version text), missing or
/// older tables are refused with the command that upgrades them, newer
/// ones as in [`migrate`].
pub(super) fn check(conn: &mut PooledConn, prefix: &str) -> Result<String, Fail> {
    let server: Option<String> = conn.query_first("SELECT VERSION()")?;
    let table = format!("{prefix}schema_version");
    let exists: Option<i64> = conn.exec_first(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?",
        (&table,),
    )?;
    let current = match exists {
        Some(n) if n > 0 => {
            let v: Option<Option<i64>> =
                conn.query_first(format!("SELECT MAX(version) FROM {table}"))?;
            Some(v.flatten().unwrap_or(0))
        }
        _ => None,
    };
    refuse_newer(prefix, current.unwrap_or(0))?;
    if current != Some(VERSION) {
        return Err(
            crate::store::schema_outdated("MySQL/MariaDB", prefix, current, VERSION).into(),
        );
    }
    Ok(server.unwrap_or_default())
}

fn refuse_newer(prefix: &str, current: i64) -> Result<(), Fail> {
    if current > VERSION {
        return Err(Error::Config(format!(
            "the tables {prefix}* have schema version {current}, newer than this build's {VERSION}: \
             upgrade agent-oauth"
        ))
        .into());
    }
    Ok(())
}

/// True when `sql` is `ALTER TABLE t ADD COLUMN c ...` and `t` has `c`
/// already. MySQL commits each DDL statement on its own, so a migration
/// that failed half-way left some columns behind; the next run skips them
/// instead of failing on "Duplicate column" for ever (MySQL 8 has no
/// `ADD COLUMN IF NOT EXISTS`).
fn column_exists_already(conn: &mut PooledConn, sql: &str) -> Result<bool, Fail> {
    let words: Vec<&str> = sql.split_whitespace().collect();
    let [alter, table_kw, table, add, column_kw, column, ..] = words.as_slice() else {
        return Ok(false);
    };
    let is_add_column = alter.eq_ignore_ascii_case("ALTER")
        && table_kw.eq_ignore_ascii_case("TABLE")
        && add.eq_ignore_ascii_case("ADD")
        && column_kw.eq_ignore_ascii_case("COLUMN");
    if !is_add_column {
        return Ok(false);
    }
    let found: Option<i64> = conn.exec_first(
        "SELECT COUNT(*) FROM information_schema.columns \
         WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ?",
        (*table, *column),
    )?;
    Ok(found.unwrap_or(0) > 0)
}

fn apply(conn: &mut PooledConn, prefix: &str) -> Result<String, Fail> {
    let server: Option<String> = conn.query_first("SELECT VERSION()")?;
    let table = format!("{prefix}schema_version");
    conn.query_drop(format!(
        "CREATE TABLE IF NOT EXISTS {table} (version INT NOT NULL PRIMARY KEY) ENGINE = InnoDB"
    ))?;
    let current: Option<Option<i64>> =
        conn.query_first(format!("SELECT MAX(version) FROM {table}"))?;
    let current = current.flatten().unwrap_or(0);
    refuse_newer(prefix, current)?;
    for (version, statements) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        for sql in *statements {
            let sql = sql.replace("{p}", prefix);
            if column_exists_already(conn, &sql)? {
                continue;
            }
            conn.query_drop(sql)?;
        }
        conn.exec_drop(
            format!("INSERT INTO {table} (version) VALUES (?)"),
            (version as i64 + 1,),
        )?;
    }
    Ok(server.unwrap_or_default())
}
