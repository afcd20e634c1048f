//! Refresh tokens, audit events and lockout counters in SQLite.

use rusqlite::{OptionalExtension, Row, Transaction, TransactionBehavior, params};

use super::SqliteStore;
use crate::audit::{AuditEvent, AuditKind, AuditQuery};
use crate::error::{Error, Result};
use crate::lockout::LockoutState;
use crate::store::{
    AuditStore, ConsentRow, ConsentStore, Durability, LockoutFn, LockoutStore, RefreshTokenRow,
    RevokeScope, SessionKind, SessionSummary, TokenStore, TokenWriter, WriteFn,
};

const ROW_COLUMNS: &str = "id, token_hash, family_id, parent_id, origin_family_id, kind, agent_id, \
     agent_username, customer_reference, scopes, client_id, jti, cap_at, \
     issued_at, expires_at, used_at, revoked_at, reason";

fn jti_key(jti: &[u8; 40]) -> i64 {
    i64::from_be_bytes(jti[..8].try_into().expect("8 bytes"))
}

fn fixed_blob<const N: usize>(r: &Row<'_>, i: usize) -> rusqlite::Result<[u8; N]> {
    r.get::<_, Vec<u8>>(i)?
        .try_into()
        .map_err(|v: Vec<u8>| rusqlite::Error::IntegralValueOutOfRange(i, v.len() as i64))
}

fn read_row(r: &Row<'_>) -> rusqlite::Result<RefreshTokenRow> {
    Ok(RefreshTokenRow {
        id: r.get(0)?,
        token_hash: fixed_blob(r, 1)?,
        family_id: r.get(2)?,
        parent_id: r.get(3)?,
        origin_family_id: r.get(4)?,
        kind: SessionKind::from_code(r.get(5)?)
            .ok_or(rusqlite::Error::IntegralValueOutOfRange(5, 0))?,
        agent_id: r.get(6)?,
        agent_username: r.get(7)?,
        customer_reference: r.get(8)?,
        scopes: r.get(9)?,
        client_id: r.get(10)?,
        jti: fixed_blob(r, 11)?,
        cap_at: r.get(12)?,
        issued_at: r.get(13)?,
        expires_at: r.get(14)?,
        used_at: r.get(15)?,
        revoked_at: r.get(16)?,
        reason: r.get(17)?,
    })
}

fn find_in(conn: &rusqlite::Connection, id: i64) -> Result<Option<RefreshTokenRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ROW_COLUMNS} FROM refresh_token WHERE id = ?1"
    ))?;
    Ok(stmt.query_row([id], read_row).optional()?)
}

fn insert_audit(conn: &rusqlite::Connection, e: &AuditEvent) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO audit_event (at, kind, agent_id, agent_username, customer_reference, client_ip, jti, reason, code, policy)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    stmt.execute(params![
        e.at,
        e.kind.as_str(),
        e.agent_id,
        e.agent_username,
        e.customer_reference,
        e.client_ip,
        e.jti,
        e.reason,
        e.code,
        e.policy
    ])?;
    Ok(())
}

struct Writer<'t, 'c>(&'t Transaction<'c>);

impl TokenWriter for Writer<'_, '_> {
    fn lock_agent(&mut self, _agent_id: i64) -> Result<()> {
        // Every write transaction is immediate: it holds the database's
        // write lock, which serializes it with every other writer already.
        Ok(())
    }

    fn count_live_sessions(&mut self, agent_id: i64, kind: SessionKind, now: i64) -> Result<u64> {
        let mut stmt = self.0.prepare_cached(
            "SELECT count(DISTINCT family_id) FROM refresh_token
             WHERE agent_id = ?1 AND kind = ?2 AND used_at IS NULL AND revoked_at IS NULL
               AND expires_at > ?3",
        )?;
        let n: i64 = stmt.query_row(params![agent_id, kind.code(), now], |r| r.get(0))?;
        Ok(n as u64)
    }

    fn count_started_since(&mut self, agent_id: i64, kind: SessionKind, since: i64) -> Result<u64> {
        let mut stmt = self.0.prepare_cached(
            "SELECT count(*) FROM refresh_token
             WHERE agent_id = ?1 AND kind = ?2 AND parent_id IS NULL AND issued_at >= ?3",
        )?;
        let n: i64 = stmt.query_row(params![agent_id, kind.code(), since], |r| r.get(0))?;
        Ok(n as u64)
    }

    fn find(&mut self, id: i64) -> Result<Option<RefreshTokenRow>> {
        find_in(self.0, id)
    }

    fn insert(&mut self, t: &RefreshTokenRow) -> Result<bool> {
        let mut stmt = self.0.prepare_cached(
            "INSERT OR IGNORE INTO refresh_token (id, token_hash, family_id, parent_id, origin_family_id, kind,
                agent_id, agent_username, customer_reference, scopes, client_id, jti_key, jti,
                cap_at, issued_at, expires_at, used_at, revoked_at, reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
        )?;
        let inserted = stmt.execute(params![
            t.id,
            &t.token_hash[..],
            t.family_id,
            t.parent_id,
            t.origin_family_id,
            t.kind.code(),
            t.agent_id,
            t.agent_username,
            t.customer_reference,
            t.scopes,
            t.client_id,
            jti_key(&t.jti),
            &t.jti[..],
            t.cap_at,
            t.issued_at,
            t.expires_at,
            t.used_at,
            t.revoked_at,
            t.reason
        ])?;
        Ok(inserted == 1)
    }

    fn spend(&mut self, id: i64, at: i64) -> Result<bool> {
        let mut stmt = self.0.prepare_cached(
            "UPDATE refresh_token SET used_at = ?2 WHERE id = ?1 AND used_at IS NULL AND revoked_at IS NULL",
        )?;
        Ok(stmt.execute(params![id, at])? == 1)
    }

    fn revoke(&mut self, scope: RevokeScope<'_>, at: i64) -> Result<usize> {
        let (sql, args): (&str, Vec<rusqlite::types::Value>) = match scope {
            RevokeScope::Family { agent_id, family_id } => (
                "UPDATE refresh_token SET revoked_at = ?1 WHERE revoked_at IS NULL AND agent_id = ?2
                   AND (family_id = ?3 OR origin_family_id = ?3) RETURNING family_id",
                vec![at.into(), agent_id.into(), family_id.into()],
            ),
            RevokeScope::Agent(agent_id) => (
                "UPDATE refresh_token SET revoked_at = ?1 WHERE revoked_at IS NULL AND agent_id = ?2
                   RETURNING family_id",
                vec![at.into(), agent_id.into()],
            ),
            RevokeScope::Customer(reference) => (
                "UPDATE refresh_token SET revoked_at = ?1 WHERE revoked_at IS NULL AND customer_reference = ?2
                   RETURNING family_id",
                vec![at.into(), reference.to_owned().into()],
            ),
            RevokeScope::AgentCustomer { agent_id, customer_reference } => (
                "UPDATE refresh_token SET revoked_at = ?1 WHERE revoked_at IS NULL AND agent_id = ?2
                   AND customer_reference = ?3 RETURNING family_id",
                vec![at.into(), agent_id.into(), customer_reference.to_owned().into()],
            ),
        };
        let mut stmt = self.0.prepare_cached(sql)?;
        let mut families: Vec<i64> = stmt
            .query_map(rusqlite::params_from_iter(args), |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        families.sort_unstable();
        families.dedup();
        Ok(families.len())
    }

    fn audit(&mut self, event: &AuditEvent) -> Result<()> {
        insert_audit(self.0, event)
    }
}

impl TokenStore for SqliteStore {
    fn find(&self, id: i64) -> Result<Option<RefreshTokenRow>> {
        self.pool.with(|conn| find_in(conn, id))
    }

    fn find_by_jti(&self, jti: &[u8; 40]) -> Result<Option<RefreshTokenRow>> {
        self.pool.with(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {ROW_COLUMNS} FROM refresh_token WHERE jti_key = ?1 AND jti = ?2"
            ))?;
            Ok(stmt
                .query_row(params![jti_key(jti), &jti[..]], read_row)
                .optional()?)
        })
    }

    fn write(&self, durability: Durability, f: &mut WriteFn<'_>) -> Result<()> {
        self.pool.write(|conn| {
            if durability == Durability::Full {
                conn.pragma_update(None, "synchronous", "FULL")?;
            }
            let result = (|| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                f(&mut Writer(&tx))?;
                tx.commit()?;
                Ok(())
            })();
            if durability == Durability::Full {
                conn.pragma_update(None, "synchronous", "NORMAL")?;
            }
            result
        })
    }

    fn purge_expired(&self, before: i64) -> Result<usize> {
        self.pool.write(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            // A family goes only once all of its rows have expired, so reuse
            // detection keeps working for the family's live rows.
            let n = tx.execute(
                "DELETE FROM refresh_token WHERE family_id IN (
                    SELECT family_id FROM refresh_token GROUP BY family_id HAVING max(expires_at) < ?1)",
                [before],
            )?;
            tx.commit()?;
            Ok(n)
        })
    }

    fn customer_sessions(
        &self,
        customer_reference: &str,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<SessionSummary>, u64)> {
        let kind = SessionKind::Impersonation.code();
        self.pool.with(|conn| {
            let total: i64 = conn
                .prepare_cached(
                    "SELECT count(DISTINCT family_id) FROM refresh_token
                     WHERE customer_reference = ?1 AND kind = ?2",
                )?
                .query_row(params![customer_reference, kind], |r| r.get(0))?;
            let mut stmt = conn.prepare_cached(SESSIONS)?;
            let page = stmt
                .query_map(
                    params![
                        customer_reference,
                        kind,
                        i64::try_from(limit).unwrap_or(i64::MAX),
                        i64::try_from(offset).unwrap_or(i64::MAX)
                    ],
                    |r| {
                        Ok(SessionSummary {
                            family_id: r.get(0)?,
                            agent_id: r.get(1)?,
                            agent_username: r.get(2)?,
                            reason: r.get(3)?,
                            started_at: r.get(4)?,
                            revoked_at: r.get(5)?,
                            expires_at: r.get(6)?,
                        })
                    },
                )?
                .collect::<rusqlite::Result<_>>()?;
            Ok((page, total as u64))
        })
    }
}

/// A customer's impersonation sessions, one per family, newest first: the
/// reason sits on the first row only, so `max` picks it.
const SESSIONS: &str = "SELECT family_id, max(agent_id), max(agent_username), max(reason),
        min(issued_at), max(revoked_at), max(expires_at)
    FROM refresh_token WHERE customer_reference = ?1 AND kind = ?2
    GROUP BY family_id ORDER BY min(issued_at) DESC, family_id DESC LIMIT ?3 OFFSET ?4";

impl ConsentStore for SqliteStore {
    fn replace_consent(&self, row: &ConsentRow) -> Result<bool> {
        self.pool.write(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.prepare_cached("DELETE FROM consent WHERE customer_reference = ?1 AND code_hash <> ?2")?
                .execute(params![row.customer_reference, &row.code_hash[..]])?;
            let inserted = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO consent (code_hash, customer_reference, created_at, expires_at, used_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![
                    &row.code_hash[..],
                    row.customer_reference,
                    row.created_at,
                    row.expires_at,
                    row.used_at
                ])?;
            if inserted == 1 {
                tx.commit()?;
            }
            Ok(inserted == 1)
        })
    }

    fn spend_consent(
        &self,
        code_hash: &[u8; 32],
        customer_reference: &str,
        now: i64,
    ) -> Result<bool> {
        self.pool.write(|conn| {
            let n = conn
                .prepare_cached(
                    "UPDATE consent SET used_at = ?3 WHERE code_hash = ?1 AND customer_reference = ?2
                       AND used_at IS NULL AND expires_at > ?3",
                )?
                .execute(params![&code_hash[..], customer_reference, now])?;
            Ok(n == 1)
        })
    }

    fn find_consent(&self, code_hash: &[u8; 32]) -> Result<Option<ConsentRow>> {
        self.pool.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT code_hash, customer_reference, created_at, expires_at, used_at
                 FROM consent WHERE code_hash = ?1",
            )?;
            Ok(stmt
                .query_row([&code_hash[..]], |r| {
                    Ok(ConsentRow {
                        code_hash: fixed_blob(r, 0)?,
                        customer_reference: r.get(1)?,
                        created_at: r.get(2)?,
                        expires_at: r.get(3)?,
                        used_at: r.get(4)?,
                    })
                })
                .optional()?)
        })
    }

    fn purge_consents(&self, before: i64) -> Result<usize> {
        self.pool
            .write(|conn| Ok(conn.execute("DELETE FROM consent WHERE expires_at < ?1", [before])?))
    }
}

impl AuditStore for SqliteStore {
    fn record(&self, event: &AuditEvent) -> Result<()> {
        self.pool.write(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            insert_audit(&tx, event)?;
            tx.commit()?;
            Ok(())
        })
    }

    fn query(&self, q: &AuditQuery) -> Result<Vec<AuditEvent>> {
        self.pool.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, at, kind, agent_id, agent_username, customer_reference, client_ip, jti, reason, code, policy
                 FROM audit_event
                 WHERE (?1 IS NULL OR agent_id = ?1) AND (?2 IS NULL OR customer_reference = ?2)
                   AND (?3 IS NULL OR at >= ?3) AND (?4 IS NULL OR at < ?4)
                 ORDER BY id LIMIT ?5",
            )?;
            let rows = stmt.query_map(params![q.agent_id, q.customer_reference, q.from, q.to, q.limit], |r| {
                let kind: String = r.get(2)?;
                Ok((kind, AuditEvent {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    kind: AuditKind::AgentLoginFailed,
                    agent_id: r.get(3)?,
                    agent_username: r.get(4)?,
                    customer_reference: r.get(5)?,
                    client_ip: r.get(6)?,
                    jti: r.get(7)?,
                    reason: r.get(8)?,
                    code: r.get(9)?,
                    policy: r.get(10)?,
                }))
            })?;
            rows.map(|row| {
                let (kind, mut event) = row?;
                event.kind = AuditKind::parse(&kind)
                    .ok_or_else(|| Error::Internal(format!("unknown audit kind {kind:?} in the database")))?;
                Ok(event)
            })
            .collect()
        })
    }

    fn purge_audit(&self, before: i64) -> Result<usize> {
        self.pool
            .write(|conn| Ok(conn.execute("DELETE FROM audit_event WHERE at < ?1", [before])?))
    }
}

impl LockoutStore for SqliteStore {
    fn get(&self, key: &str) -> Result<Option<LockoutState>> {
        self.pool.with(|conn| read_lockout(conn, key))
    }

    fn update(&self, key: &str, f: &mut LockoutFn<'_>) -> Result<Option<LockoutState>> {
        self.pool.write(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let next = f(read_lockout(&tx, key)?);
            match &next {
                Some(s) => {
                    tx.prepare_cached(
                        "INSERT INTO lockout (key, failures, window_start, blocked_until) VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT (key) DO UPDATE SET failures = ?2, window_start = ?3, blocked_until = ?4",
                    )?
                    .execute(params![key, s.failures, s.window_start, s.blocked_until])?;
                }
                None => {
                    tx.prepare_cached("DELETE FROM lockout WHERE key = ?1")?.execute([key])?;
                }
            }
            tx.commit()?;
            Ok(next)
        })
    }

    fn purge_lockouts(&self, window_started_by: i64, now: i64) -> Result<usize> {
        self.pool.write(|conn| {
            Ok(conn.execute(
                "DELETE FROM lockout WHERE window_start <= ?1 AND (blocked_until IS NULL OR blocked_until <= ?2)",
                [window_started_by, now],
            )?)
        })
    }
}

fn read_lockout(conn: &rusqlite::Connection, key: &str) -> Result<Option<LockoutState>> {
    let mut stmt = conn.prepare_cached(
        "SELECT failures, window_start, blocked_until FROM lockout WHERE key = ?1",
    )?;
    Ok(stmt
        .query_row([key], |r| {
            Ok(LockoutState {
                failures: r.get(0)?,
                window_start: r.get(1)?,
                blocked_until: r.get(2)?,
            })
        })
        .optional()?)
}
