//! Refresh tokens, audit events and lockout counters in PostgreSQL.

use postgres::Row;

use super::pool::{Conn, PgResult};
use super::{PostgresStore, advisory_key, begin, has_nul, lock_sql, storable};
use crate::audit::{AuditEvent, AuditKind, AuditQuery};
use crate::error::{Error, Result};
use crate::lockout::LockoutState;
use crate::store::{
    AuditStore, ConsentRow, ConsentStore, Durability, LockoutFn, LockoutStore, RefreshTokenRow,
    RevokeScope, SessionInsert, SessionKind, SessionSummary, TokenStore, TokenWriter, WriteFn,
};

const FIND: &str = r#"SELECT id, token_hash, family_id, parent_id, origin_family_id, kind, agent_id,
        agent_username, customer_reference, scopes, client_id, jti, cap_at,
        issued_at, expires_at, used_at, revoked_at, reason
    FROM "{p}refresh_token" WHERE id = $1"#;

// The same columns, and the row locked until the transaction ends.
const FIND_FOR_UPDATE: &str = r#"SELECT id, token_hash, family_id, parent_id, origin_family_id, kind, agent_id,
        agent_username, customer_reference, scopes, client_id, jti, cap_at,
        issued_at, expires_at, used_at, revoked_at, reason
    FROM "{p}refresh_token" WHERE id = $1 FOR UPDATE"#;

const FIND_BY_JTI: &str = r#"SELECT id, token_hash, family_id, parent_id, origin_family_id, kind, agent_id,
        agent_username, customer_reference, scopes, client_id, jti, cap_at,
        issued_at, expires_at, used_at, revoked_at, reason
    FROM "{p}refresh_token" WHERE jti_key = $1 AND jti = $2"#;

const INSERT: &str = r#"INSERT INTO "{p}refresh_token" (id, token_hash, family_id, parent_id,
        origin_family_id, kind, agent_id, agent_username, customer_reference, scopes, client_id,
        jti_key, jti, cap_at, issued_at, expires_at, used_at, revoked_at, reason)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
    ON CONFLICT (id) DO NOTHING"#;

// A session and the agent stored under its username, in one round trip
// (the strict check, D3).
const FIND_BY_JTI_WITH_AGENT: &str = r#"SELECT t.id, t.token_hash, t.family_id, t.parent_id,
        t.origin_family_id, t.kind, t.agent_id, t.agent_username, t.customer_reference, t.scopes,
        t.client_id, t.jti, t.cap_at, t.issued_at, t.expires_at, t.used_at, t.revoked_at, t.reason,
        a.id, a.username, a.password_hash, a.status
    FROM "{p}refresh_token" AS t LEFT JOIN "{p}agent" AS a ON a.username = t.agent_username
    WHERE t.jti_key = $1 AND t.jti = $2"#;

// What an impersonation reads before it signs, in one round trip: the
// strict check's session and agent, and the customer ($3; NULL finds none).
// The outer row is always there; absent parts come back as NULLs.
const FIND_SESSION_AGENT_AND_CUSTOMER: &str = r#"SELECT t.id, t.token_hash, t.family_id,
        t.parent_id, t.origin_family_id, t.kind, t.agent_id, t.agent_username,
        t.customer_reference, t.scopes, t.client_id, t.jti, t.cap_at, t.issued_at, t.expires_at,
        t.used_at, t.revoked_at, t.reason,
        a.id, a.username, a.password_hash, a.status,
        c.id_customer, c.customer_reference, c.email, c.first_name, c.last_name,
        c.id_company_user, c.permissions, c.is_active, c.impersonation_allowed
    FROM (SELECT 1) AS one
    LEFT JOIN ("{p}refresh_token" AS t
        LEFT JOIN "{p}agent" AS a ON a.username = t.agent_username)
        ON t.jti_key = $1 AND t.jti = $2
    LEFT JOIN "{p}customer" AS c ON c.customer_reference = $3::TEXT"#;

// A new session in one statement, one round trip and its own transaction:
// the origin row (if any, $20) read and locked, the row inserted only while
// the origin is unrevoked, the audit event ($21-$30) only with the row, and
// the commit without waiting for the disk (D26). Counts: origins live,
// rows inserted.
const INSERT_SESSION: &str = r#"WITH durability AS (
        SELECT set_config('synchronous_commit', 'off', true) AS value),
    origin AS (
        SELECT id FROM "{p}refresh_token"
        WHERE id = $20::BIGINT AND revoked_at IS NULL FOR UPDATE),
    inserted AS (
        INSERT INTO "{p}refresh_token" (id, token_hash, family_id, parent_id, origin_family_id,
            kind, agent_id, agent_username, customer_reference, scopes, client_id, jti_key, jti,
            cap_at, issued_at, expires_at, used_at, revoked_at, reason)
        SELECT $1::BIGINT, $2::BYTEA, $3::BIGINT, $4::BIGINT, $5::BIGINT, $6::SMALLINT,
            $7::BIGINT, $8::TEXT, $9::TEXT, $10::TEXT, $11::TEXT, $12::BIGINT, $13::BYTEA,
            $14::BIGINT, $15::BIGINT, $16::BIGINT, $17::BIGINT, $18::BIGINT, $19::TEXT
        WHERE $20::BIGINT IS NULL OR EXISTS (SELECT 1 FROM origin)
        ON CONFLICT (id) DO NOTHING
        RETURNING id),
    audited AS (
        INSERT INTO "{p}audit_event" (at, kind, agent_id, agent_username, customer_reference,
            client_ip, jti, reason, code, policy)
        SELECT $21::BIGINT, $22::TEXT, $23::BIGINT, $24::TEXT, $25::TEXT, $26::TEXT, $27::TEXT,
            $28::TEXT, $29::TEXT, $30::TEXT
        FROM inserted)
    SELECT (SELECT count(*) FROM origin), (SELECT count(*) FROM inserted),
        (SELECT value FROM durability)"#;

const LOCK_AGENT_STARTS: &str = "SELECT pg_advisory_xact_lock($1)";
const COUNT_LIVE: &str = r#"SELECT count(DISTINCT family_id) FROM "{p}refresh_token"
    WHERE agent_id = $1 AND kind = $2 AND used_at IS NULL AND revoked_at IS NULL
        AND expires_at > $3"#;
const COUNT_STARTED: &str = r#"SELECT count(*) FROM "{p}refresh_token"
    WHERE agent_id = $1 AND kind = $2 AND parent_id IS NULL AND issued_at >= $3"#;

const SPEND: &str = r#"UPDATE "{p}refresh_token" SET used_at = $2
    WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL"#;

// A revocation first locks the live rows it will revoke, in a statement of
// its own: under READ COMMITTED a statement sees the rows committed before
// it started, so an UPDATE that had to wait for a transaction adding a row
// to the family (a rotation, an impersonation started from it, both holding
// the row they start from) would not see that row. The UPDATE after the
// wait starts later and does; a transaction starting after it waits for the
// lock and then finds its starting row revoked.
const LOCK_FAMILY: &str = r#"SELECT 1 FROM "{p}refresh_token"
    WHERE revoked_at IS NULL AND agent_id = $1 AND (family_id = $2 OR origin_family_id = $2)
    FOR UPDATE"#;
const LOCK_AGENT: &str =
    r#"SELECT 1 FROM "{p}refresh_token" WHERE revoked_at IS NULL AND agent_id = $1 FOR UPDATE"#;
const LOCK_CUSTOMER: &str = r#"SELECT 1 FROM "{p}refresh_token"
    WHERE revoked_at IS NULL AND customer_reference = $1 FOR UPDATE"#;
const LOCK_AGENT_CUSTOMER: &str = r#"SELECT 1 FROM "{p}refresh_token"
    WHERE revoked_at IS NULL AND agent_id = $1 AND customer_reference = $2 FOR UPDATE"#;

// Each revocation counts the distinct families it revoked, in one statement.
const REVOKE_FAMILY: &str = r#"WITH revoked AS (
        UPDATE "{p}refresh_token" SET revoked_at = $1
        WHERE revoked_at IS NULL AND agent_id = $2 AND (family_id = $3 OR origin_family_id = $3)
        RETURNING family_id)
    SELECT count(DISTINCT family_id) FROM revoked"#;
const REVOKE_AGENT: &str = r#"WITH revoked AS (
        UPDATE "{p}refresh_token" SET revoked_at = $1
        WHERE revoked_at IS NULL AND agent_id = $2
        RETURNING family_id)
    SELECT count(DISTINCT family_id) FROM revoked"#;
const REVOKE_CUSTOMER: &str = r#"WITH revoked AS (
        UPDATE "{p}refresh_token" SET revoked_at = $1
        WHERE revoked_at IS NULL AND customer_reference = $2
        RETURNING family_id)
    SELECT count(DISTINCT family_id) FROM revoked"#;
const REVOKE_AGENT_CUSTOMER: &str = r#"WITH revoked AS (
        UPDATE "{p}refresh_token" SET revoked_at = $1
        WHERE revoked_at IS NULL AND agent_id = $2 AND customer_reference = $3
        RETURNING family_id)
    SELECT count(DISTINCT family_id) FROM revoked"#;

// A family goes only once all of its rows have expired, so reuse detection
// keeps working for the family's live rows.
const PURGE_EXPIRED: &str = r#"DELETE FROM "{p}refresh_token" WHERE family_id IN (
        SELECT family_id FROM "{p}refresh_token" GROUP BY family_id HAVING max(expires_at) < $1)"#;

const INSERT_AUDIT: &str = r#"INSERT INTO "{p}audit_event" (at, kind, agent_id, agent_username,
        customer_reference, client_ip, jti, reason, code, policy)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"#;

const QUERY_AUDIT: &str = r#"SELECT id, at, kind, agent_id, agent_username, customer_reference,
        client_ip, jti, reason, code, policy
    FROM "{p}audit_event"
    WHERE ($1::BIGINT IS NULL OR agent_id = $1) AND ($2::TEXT IS NULL OR customer_reference = $2)
      AND ($3::BIGINT IS NULL OR at >= $3) AND ($4::BIGINT IS NULL OR at < $4)
    ORDER BY id LIMIT $5"#;

// A customer's impersonation sessions, one per family, newest first: the
// reason sits on the first row only, so `max` picks it.
const COUNT_SESSIONS: &str = r#"SELECT count(DISTINCT family_id) FROM "{p}refresh_token"
    WHERE customer_reference = $1 AND kind = $2"#;
const SESSIONS: &str = r#"SELECT family_id, max(agent_id), max(agent_username), max(reason),
        min(issued_at), max(revoked_at), max(expires_at)
    FROM "{p}refresh_token" WHERE customer_reference = $1 AND kind = $2
    GROUP BY family_id ORDER BY min(issued_at) DESC, family_id DESC LIMIT $3 OFFSET $4"#;

// A new consent code replaces the customer's earlier ones, in one statement.
const REPLACE_CONSENT: &str = r#"WITH dropped AS (
        DELETE FROM "{p}consent" WHERE customer_reference = $2 AND code_hash <> $1),
    inserted AS (
        INSERT INTO "{p}consent" (code_hash, customer_reference, created_at, expires_at, used_at)
        VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code_hash) DO NOTHING RETURNING 1)
    SELECT count(*) FROM inserted"#;
const SPEND_CONSENT: &str = r#"UPDATE "{p}consent" SET used_at = $3
    WHERE code_hash = $1 AND customer_reference = $2 AND used_at IS NULL AND expires_at > $3"#;
const FIND_CONSENT: &str = r#"SELECT code_hash, customer_reference, created_at, expires_at, used_at
    FROM "{p}consent" WHERE code_hash = $1"#;
const PURGE_CONSENTS: &str = r#"DELETE FROM "{p}consent" WHERE expires_at < $1"#;

const PURGE_AUDIT: &str = r#"DELETE FROM "{p}audit_event" WHERE at < $1"#;

const GET_LOCKOUT: &str =
    r#"SELECT failures, window_start, blocked_until FROM "{p}lockout" WHERE key = $1"#;
const PUT_LOCKOUT: &str = r#"INSERT INTO "{p}lockout" (key, failures, window_start, blocked_until)
    VALUES ($1, $2, $3, $4)
    ON CONFLICT (key) DO UPDATE SET failures = EXCLUDED.failures,
        window_start = EXCLUDED.window_start, blocked_until = EXCLUDED.blocked_until"#;
const DELETE_LOCKOUT: &str = r#"DELETE FROM "{p}lockout" WHERE key = $1"#;
const PURGE_LOCKOUTS: &str = r#"DELETE FROM "{p}lockout"
    WHERE window_start <= $1 AND (blocked_until IS NULL OR blocked_until <= $2)"#;

fn jti_key(jti: &[u8; 40]) -> i64 {
    i64::from_be_bytes(jti[..8].try_into().expect("8 bytes"))
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Storage(format!("PostgreSQL: unreadable {what}: {e}"))
}

fn fixed_bytes<const N: usize>(r: &Row, i: usize) -> Result<[u8; N]> {
    let bytes: Vec<u8> = r.try_get(i).map_err(|e| corrupt("refresh token", e))?;
    bytes
        .try_into()
        .map_err(|v: Vec<u8>| corrupt("refresh token", format!("{} bytes in column {i}", v.len())))
}

fn read_row(r: &Row) -> Result<RefreshTokenRow> {
    let get = |e| corrupt("refresh token", e);
    let kind: i16 = r.try_get(5).map_err(get)?;
    Ok(RefreshTokenRow {
        id: r.try_get(0).map_err(get)?,
        token_hash: fixed_bytes(r, 1)?,
        family_id: r.try_get(2).map_err(get)?,
        parent_id: r.try_get(3).map_err(get)?,
        origin_family_id: r.try_get(4).map_err(get)?,
        kind: SessionKind::from_code(kind.into())
            .ok_or_else(|| corrupt("refresh token", format!("kind {kind}")))?,
        agent_id: r.try_get(6).map_err(get)?,
        agent_username: r.try_get(7).map_err(get)?,
        customer_reference: r.try_get(8).map_err(get)?,
        scopes: r.try_get(9).map_err(get)?,
        client_id: r.try_get(10).map_err(get)?,
        jti: fixed_bytes(r, 11)?,
        cap_at: r.try_get(12).map_err(get)?,
        issued_at: r.try_get(13).map_err(get)?,
        expires_at: r.try_get(14).map_err(get)?,
        used_at: r.try_get(15).map_err(get)?,
        revoked_at: r.try_get(16).map_err(get)?,
        reason: r.try_get(17).map_err(get)?,
    })
}

fn insert_audit(conn: &mut Conn, e: &AuditEvent) -> PgResult<u64> {
    conn.execute(INSERT_AUDIT, &AuditValues::new(e).params())
}

/// The values of a refresh-token row in the column order of [`INSERT`]
/// (also `$1`-`$19` of [`INSERT_SESSION`]), with the derived ones computed
/// once.
struct RowValues<'a> {
    t: &'a RefreshTokenRow,
    kind: i16,
    jti_key: i64,
    token_hash: &'a [u8],
    jti: &'a [u8],
    reason: Option<std::borrow::Cow<'a, str>>,
}

impl<'a> RowValues<'a> {
    fn new(t: &'a RefreshTokenRow) -> Self {
        RowValues {
            t,
            kind: t.kind.code() as i16,
            jti_key: jti_key(&t.jti),
            token_hash: &t.token_hash,
            jti: &t.jti,
            reason: storable(&t.reason),
        }
    }

    fn params(&self) -> [&(dyn postgres::types::ToSql + Sync); 19] {
        let t = self.t;
        [
            &t.id,
            &self.token_hash,
            &t.family_id,
            &t.parent_id,
            &t.origin_family_id,
            &self.kind,
            &t.agent_id,
            &t.agent_username,
            &t.customer_reference,
            &t.scopes,
            &t.client_id,
            &self.jti_key,
            &self.jti,
            &t.cap_at,
            &t.issued_at,
            &t.expires_at,
            &t.used_at,
            &t.revoked_at,
            &self.reason,
        ]
    }
}

/// The values of an audit event in the column order of [`INSERT_AUDIT`]
/// (also `$21`-`$30` of [`INSERT_SESSION`]), free text made storable.
struct AuditValues<'a> {
    e: &'a AuditEvent,
    kind: &'static str,
    text: [Option<std::borrow::Cow<'a, str>>; 7],
}

impl<'a> AuditValues<'a> {
    fn new(e: &'a AuditEvent) -> Self {
        AuditValues {
            e,
            kind: e.kind.as_str(),
            text: [
                storable(&e.agent_username),
                storable(&e.customer_reference),
                storable(&e.client_ip),
                storable(&e.jti),
                storable(&e.reason),
                storable(&e.code),
                storable(&e.policy),
            ],
        }
    }

    fn params(&self) -> [&(dyn postgres::types::ToSql + Sync); 10] {
        let [a, b, c, d, e, f, g] = &self.text;
        [
            &self.e.at,
            &self.kind,
            &self.e.agent_id,
            a,
            b,
            c,
            d,
            e,
            f,
            g,
        ]
    }
}

struct Writer<'c>(&'c mut Conn);

impl TokenWriter for Writer<'_> {
    fn lock_agent(&mut self, agent_id: i64) -> Result<()> {
        let key = advisory_key(self.0.prefix(), &format!("impersonation-agent:{agent_id}"));
        self.0.query_one(LOCK_AGENT_STARTS, &[&key])?;
        Ok(())
    }

    fn count_live_sessions(&mut self, agent_id: i64, kind: SessionKind, now: i64) -> Result<u64> {
        let row = self
            .0
            .query_one(COUNT_LIVE, &[&agent_id, &(kind.code() as i16), &now])?;
        let n: i64 = row.try_get(0).map_err(|e| corrupt("count", e))?;
        Ok(n as u64)
    }

    fn count_started_since(&mut self, agent_id: i64, kind: SessionKind, since: i64) -> Result<u64> {
        let row = self
            .0
            .query_one(COUNT_STARTED, &[&agent_id, &(kind.code() as i16), &since])?;
        let n: i64 = row.try_get(0).map_err(|e| corrupt("count", e))?;
        Ok(n as u64)
    }

    fn find(&mut self, id: i64) -> Result<Option<RefreshTokenRow>> {
        self.0
            .query_opt(FIND_FOR_UPDATE, &[&id])?
            .map(|r| read_row(&r))
            .transpose()
    }

    fn insert(&mut self, t: &RefreshTokenRow) -> Result<bool> {
        let inserted = self.0.execute(INSERT, &RowValues::new(t).params())?;
        Ok(inserted == 1)
    }

    fn spend(&mut self, id: i64, at: i64) -> Result<bool> {
        Ok(self.0.execute(SPEND, &[&id, &at])? == 1)
    }

    fn revoke(&mut self, scope: RevokeScope<'_>, at: i64) -> Result<usize> {
        let row = match scope {
            RevokeScope::Family {
                agent_id,
                family_id,
            } => {
                self.0.query(LOCK_FAMILY, &[&agent_id, &family_id])?;
                self.0
                    .query_one(REVOKE_FAMILY, &[&at, &agent_id, &family_id])?
            }
            RevokeScope::Agent(agent_id) => {
                self.0.query(LOCK_AGENT, &[&agent_id])?;
                self.0.query_one(REVOKE_AGENT, &[&at, &agent_id])?
            }
            RevokeScope::Customer(reference)
            | RevokeScope::AgentCustomer {
                customer_reference: reference,
                ..
            } if has_nul(reference) => return Ok(0),
            RevokeScope::Customer(reference) => {
                self.0.query(LOCK_CUSTOMER, &[&reference])?;
                self.0.query_one(REVOKE_CUSTOMER, &[&at, &reference])?
            }
            RevokeScope::AgentCustomer {
                agent_id,
                customer_reference,
            } => {
                self.0
                    .query(LOCK_AGENT_CUSTOMER, &[&agent_id, &customer_reference])?;
                self.0.query_one(
                    REVOKE_AGENT_CUSTOMER,
                    &[&at, &agent_id, &customer_reference],
                )?
            }
        };
        let families: i64 = row.try_get(0).map_err(|e| corrupt("count", e))?;
        Ok(families as usize)
    }

    fn audit(&mut self, event: &AuditEvent) -> Result<()> {
        insert_audit(self.0, event)?;
        Ok(())
    }
}

impl TokenStore for PostgresStore {
    fn find(&self, id: i64) -> Result<Option<RefreshTokenRow>> {
        self.pool.with(|conn| {
            conn.query_opt(FIND, &[&id])?
                .map(|r| read_row(&r))
                .transpose()
        })
    }

    fn find_by_jti(&self, jti: &[u8; 40]) -> Result<Option<RefreshTokenRow>> {
        self.pool.with(|conn| {
            conn.query_opt(FIND_BY_JTI, &[&jti_key(jti), &&jti[..]])?
                .map(|r| read_row(&r))
                .transpose()
        })
    }

    fn write(&self, durability: Durability, f: &mut WriteFn<'_>) -> Result<()> {
        self.pool
            .with(|conn| conn.transaction(begin(durability), |conn| f(&mut Writer(conn))))
    }

    fn insert_session(
        &self,
        t: &RefreshTokenRow,
        e: &AuditEvent,
        origin: Option<i64>,
    ) -> Result<SessionInsert> {
        let row = self.pool.with(|conn| {
            let (row, audit) = (RowValues::new(t), AuditValues::new(e));
            let mut params = Vec::with_capacity(30);
            params.extend(row.params());
            params.push(&origin as &(dyn postgres::types::ToSql + Sync));
            params.extend(audit.params());
            Ok(conn.query_one(INSERT_SESSION, &params)?)
        })?;
        let count = |i| -> Result<i64> { row.try_get(i).map_err(|e| corrupt("new session", e)) };
        Ok(match (origin, count(0)?, count(1)?) {
            (Some(_), 0, _) => SessionInsert::OriginRevoked,
            (_, _, 1) => SessionInsert::Inserted,
            _ => SessionInsert::IdTaken,
        })
    }

    fn purge_expired(&self, before: i64) -> Result<usize> {
        self.pool
            .with(|conn| Ok(conn.execute(PURGE_EXPIRED, &[&before])? as usize))
    }

    fn customer_sessions(
        &self,
        customer_reference: &str,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<SessionSummary>, u64)> {
        if has_nul(customer_reference) {
            return Ok((Vec::new(), 0));
        }
        let kind = SessionKind::Impersonation.code() as i16;
        let (limit, offset) = (
            i64::try_from(limit).unwrap_or(i64::MAX),
            i64::try_from(offset).unwrap_or(i64::MAX),
        );
        self.pool.with(|conn| {
            let total: i64 = conn
                .query_one(COUNT_SESSIONS, &[&customer_reference, &kind])?
                .try_get(0)
                .map_err(|e| corrupt("count", e))?;
            let rows = conn.query(SESSIONS, &[&customer_reference, &kind, &limit, &offset])?;
            let get = |e| corrupt("session", e);
            let page = rows
                .iter()
                .map(|r| {
                    Ok(SessionSummary {
                        family_id: r.try_get(0).map_err(get)?,
                        agent_id: r.try_get(1).map_err(get)?,
                        agent_username: r.try_get(2).map_err(get)?,
                        reason: r.try_get(3).map_err(get)?,
                        started_at: r.try_get(4).map_err(get)?,
                        revoked_at: r.try_get(5).map_err(get)?,
                        expires_at: r.try_get(6).map_err(get)?,
                    })
                })
                .collect::<Result<_>>()?;
            Ok((page, total as u64))
        })
    }
}

impl ConsentStore for PostgresStore {
    fn replace_consent(&self, row: &ConsentRow) -> Result<bool> {
        if has_nul(&row.customer_reference) {
            return Err(Error::InvalidRequest(
                "customer reference => This value is not valid.".into(),
            ));
        }
        self.pool.with(|conn| {
            let n: i64 = conn
                .query_one(
                    REPLACE_CONSENT,
                    &[
                        &&row.code_hash[..],
                        &row.customer_reference,
                        &row.created_at,
                        &row.expires_at,
                        &row.used_at,
                    ],
                )?
                .try_get(0)
                .map_err(|e| corrupt("count", e))?;
            Ok(n == 1)
        })
    }

    fn spend_consent(
        &self,
        code_hash: &[u8; 32],
        customer_reference: &str,
        now: i64,
    ) -> Result<bool> {
        if has_nul(customer_reference) {
            return Ok(false);
        }
        self.pool.with(|conn| {
            Ok(conn.execute(SPEND_CONSENT, &[&&code_hash[..], &customer_reference, &now])? == 1)
        })
    }

    fn find_consent(&self, code_hash: &[u8; 32]) -> Result<Option<ConsentRow>> {
        self.pool.with(|conn| {
            let Some(r) = conn.query_opt(FIND_CONSENT, &[&&code_hash[..]])? else {
                return Ok(None);
            };
            let get = |e| corrupt("consent", e);
            Ok(Some(ConsentRow {
                code_hash: fixed_bytes(&r, 0)?,
                customer_reference: r.try_get(1).map_err(get)?,
                created_at: r.try_get(2).map_err(get)?,
                expires_at: r.try_get(3).map_err(get)?,
                used_at: r.try_get(4).map_err(get)?,
            }))
        })
    }

    fn purge_consents(&self, before: i64) -> Result<usize> {
        self.pool
            .with(|conn| Ok(conn.execute(PURGE_CONSENTS, &[&before])? as usize))
    }
}

impl AuditStore for PostgresStore {
    fn record(&self, event: &AuditEvent) -> Result<()> {
        self.pool.with(|conn| {
            insert_audit(conn, event)?;
            Ok(())
        })
    }

    fn query(&self, q: &AuditQuery) -> Result<Vec<AuditEvent>> {
        let limit = i64::from(q.limit);
        let rows = self.pool.with(|conn| {
            Ok(conn.query(
                QUERY_AUDIT,
                &[&q.agent_id, &q.customer_reference, &q.from, &q.to, &limit],
            )?)
        })?;
        rows.iter()
            .map(|r| {
                let get = |e| corrupt("audit event", e);
                let kind: String = r.try_get(2).map_err(get)?;
                Ok(AuditEvent {
                    id: r.try_get(0).map_err(get)?,
                    at: r.try_get(1).map_err(get)?,
                    kind: AuditKind::parse(&kind).ok_or_else(|| {
                        Error::Internal(format!("unknown audit kind {kind:?} in the database"))
                    })?,
                    agent_id: r.try_get(3).map_err(get)?,
                    agent_username: r.try_get(4).map_err(get)?,
                    customer_reference: r.try_get(5).map_err(get)?,
                    client_ip: r.try_get(6).map_err(get)?,
                    jti: r.try_get(7).map_err(get)?,
                    reason: r.try_get(8).map_err(get)?,
                    code: r.try_get(9).map_err(get)?,
                    policy: r.try_get(10).map_err(get)?,
                })
            })
            .collect()
    }

    fn purge_audit(&self, before: i64) -> Result<usize> {
        self.pool
            .with(|conn| Ok(conn.execute(PURGE_AUDIT, &[&before])? as usize))
    }
}

impl LockoutStore for PostgresStore {
    fn get(&self, key: &str) -> Result<Option<LockoutState>> {
        self.pool.with(|conn| read_lockout(conn, key))
    }

    /// One transaction under an advisory lock on the key, so every process
    /// on the database updates a key one after the other. The lock is taken
    /// by its own statement, before the read: a read in the same statement
    /// would use a snapshot from before the wait.
    fn update(&self, key: &str, f: &mut LockoutFn<'_>) -> Result<Option<LockoutState>> {
        self.pool.with(|conn| {
            let begin = format!(
                "BEGIN; {}",
                lock_sql(advisory_key(conn.prefix(), &format!("lockout\0{key}")))
            );
            conn.transaction(&begin, |conn| {
                let next = f(read_lockout(conn, key)?);
                match &next {
                    Some(s) => {
                        conn.execute(
                            PUT_LOCKOUT,
                            &[
                                &key.as_bytes(),
                                &i64::from(s.failures),
                                &s.window_start,
                                &s.blocked_until,
                            ],
                        )?;
                    }
                    None => {
                        conn.execute(DELETE_LOCKOUT, &[&key.as_bytes()])?;
                    }
                }
                Ok(next)
            })
        })
    }

    fn purge_lockouts(&self, window_started_by: i64, now: i64) -> Result<usize> {
        self.pool
            .with(|conn| Ok(conn.execute(PURGE_LOCKOUTS, &[&window_started_by, &now])? as usize))
    }
}

fn read_lockout(conn: &mut Conn, key: &str) -> Result<Option<LockoutState>> {
    let Some(r) = conn.query_opt(GET_LOCKOUT, &[&key.as_bytes()])? else {
        return Ok(None);
    };
    let get = |e| corrupt("lockout counter", e);
    let failures: i64 = r.try_get(0).map_err(get)?;
    Ok(Some(LockoutState {
        failures: u32::try_from(failures).map_err(|e| corrupt("lockout counter", e))?,
        window_start: r.try_get(1).map_err(get)?,
        blocked_until: r.try_get(2).map_err(get)?,
    }))
}

impl PostgresStore {
    /// The session under this `jti` with its agent, and the customer under
    /// `customer_reference`, in one round trip.
    pub(super) fn session_agent_and_customer(
        &self,
        jti: &[u8; 40],
        customer_reference: &str,
    ) -> Result<crate::store::SessionAgentAndCustomer> {
        let reference = Some(customer_reference).filter(|r| !r.is_empty() && !has_nul(r));
        self.pool.with(|conn| {
            let r = conn.query_one(
                FIND_SESSION_AGENT_AND_CUSTOMER,
                &[&jti_key(jti), &&jti[..], &reference],
            )?;
            let present = |at: usize, what| -> Result<bool> {
                Ok(r.try_get::<_, Option<i64>>(at)
                    .map_err(|e| corrupt(what, e))?
                    .is_some())
            };
            let session = match present(0, "refresh token")? {
                true => {
                    let agent = match present(18, "agent")? {
                        true => Some(super::directory::read_agent_at(&r, 18)?),
                        false => None,
                    };
                    Some((read_row(&r)?, agent))
                }
                false => None,
            };
            let customer = match present(22, "customer")? {
                true => Some(super::directory::read_customer(&r, 22)?),
                false => None,
            };
            Ok((session, customer))
        })
    }

    /// The session under this `jti` with its agent, in one round trip.
    pub(super) fn session_and_agent(
        &self,
        jti: &[u8; 40],
    ) -> Result<Option<(RefreshTokenRow, Option<crate::directory::Agent>)>> {
        self.pool.with(|conn| {
            let Some(r) = conn.query_opt(FIND_BY_JTI_WITH_AGENT, &[&jti_key(jti), &&jti[..]])?
            else {
                return Ok(None);
            };
            let has_agent = r
                .try_get::<_, Option<i64>>(18)
                .map_err(|e| corrupt("agent", e))?
                .is_some();
            let agent = match has_agent {
                true => Some(super::directory::read_agent_at(&r, 18)?),
                false => None,
            };
            Ok(Some((read_row(&r)?, agent)))
        })
    }
}
