//! Refresh tokens, audit events and lockout counters on MySQL/MariaDB.

use mysql::prelude::{FromValue, Queryable};
use mysql::{Row, Transaction, Value};

use super::db::{Fail, bad_column};
use super::{MAX_KEY_BYTES, MysqlStore, Tables};
use crate::audit::{AuditEvent, AuditKind, AuditQuery};
use crate::error::{Error, Result};
use crate::lockout::LockoutState;
use crate::store::{
    AuditStore, ConsentRow, ConsentStore, Durability, LockoutFn, LockoutStore, RefreshTokenRow,
    RevokeScope, SessionInsert, SessionKind, SessionSummary, TokenStore, TokenWriter, WriteFn,
};

const ROW_COLUMNS: &str = "id, token_hash, family_id, parent_id, origin_family_id, kind, agent_id, \
     agent_username, customer_reference, scopes, client_id, jti, cap_at, \
     issued_at, expires_at, used_at, revoked_at, reason";

/// [`ROW_COLUMNS`] of the table aliased `t`, for the joined strict-check read.
const T_ROW_COLUMNS: &str = "t.id, t.token_hash, t.family_id, t.parent_id, t.origin_family_id, \
     t.kind, t.agent_id, t.agent_username, t.customer_reference, t.scopes, t.client_id, t.jti, \
     t.cap_at, t.issued_at, t.expires_at, t.used_at, t.revoked_at, t.reason";

fn jti_key(jti: &[u8; 40]) -> i64 {
    i64::from_be_bytes(jti[..8].try_into().expect("8 bytes"))
}

/// Column `i` of `row`, converted.
pub(super) fn col<T: FromValue>(row: &mut Row, i: usize) -> std::result::Result<T, Fail> {
    match row.take_opt(i) {
        Some(Ok(value)) => Ok(value),
        _ => Err(bad_column(&i.to_string())),
    }
}

fn fixed<const N: usize>(row: &mut Row, i: usize) -> std::result::Result<[u8; N], Fail> {
    col::<Vec<u8>>(row, i)?
        .try_into()
        .map_err(|_| bad_column(&i.to_string()))
}

/// True when column `i` is SQL NULL (or missing), without taking it.
fn is_null(row: &Row, i: usize) -> bool {
    matches!(row.as_ref(i), None | Some(Value::NULL))
}

fn read_row(mut r: Row) -> std::result::Result<RefreshTokenRow, Fail> {
    Ok(RefreshTokenRow {
        id: col(&mut r, 0)?,
        token_hash: fixed(&mut r, 1)?,
        family_id: col(&mut r, 2)?,
        parent_id: col(&mut r, 3)?,
        origin_family_id: col(&mut r, 4)?,
        kind: SessionKind::from_code(col(&mut r, 5)?).ok_or_else(|| bad_column("kind"))?,
        agent_id: col(&mut r, 6)?,
        agent_username: col(&mut r, 7)?,
        customer_reference: col(&mut r, 8)?,
        scopes: col(&mut r, 9)?,
        client_id: col(&mut r, 10)?,
        jti: fixed(&mut r, 11)?,
        cap_at: col(&mut r, 12)?,
        issued_at: col(&mut r, 13)?,
        expires_at: col(&mut r, 14)?,
        used_at: col(&mut r, 15)?,
        revoked_at: col(&mut r, 16)?,
        reason: col(&mut r, 17)?,
    })
}

fn find_in(
    q: &mut impl Queryable,
    t: &Tables,
    id: i64,
    lock: &str,
) -> std::result::Result<Option<RefreshTokenRow>, Fail> {
    let row: Option<Row> = q.exec_first(
        format!(
            "SELECT {ROW_COLUMNS} FROM {} WHERE id = ?{lock}",
            t.refresh_token
        ),
        (id,),
    )?;
    row.map(read_row).transpose()
}

/// The audit table's columns, in the order of [`audit_values`].
const AUDIT_COLUMNS: &str =
    "at, kind, agent_id, agent_username, customer_reference, client_ip, jti, reason, code, policy";

fn audit_values(e: &AuditEvent) -> Vec<Value> {
    vec![
        Value::from(e.at),
        e.kind.as_str().into(),
        e.agent_id.into(),
        e.agent_username.as_deref().into(),
        e.customer_reference.as_deref().into(),
        e.client_ip.as_deref().into(),
        e.jti.as_deref().into(),
        e.reason.as_deref().into(),
        e.code.as_deref().into(),
        e.policy.as_deref().into(),
    ]
}

/// The refresh-token table's columns as written, in the order of [`row_values`].
const INSERT_COLUMNS: &str = "id, token_hash, family_id, parent_id, origin_family_id, kind, \
     agent_id, agent_username, customer_reference, scopes, client_id, jti_key, jti, cap_at, \
     issued_at, expires_at, used_at, revoked_at, reason";

fn row_values(r: &RefreshTokenRow) -> Vec<Value> {
    vec![
        Value::from(r.id),
        (&r.token_hash[..]).into(),
        r.family_id.into(),
        r.parent_id.into(),
        r.origin_family_id.into(),
        r.kind.code().into(),
        r.agent_id.into(),
        r.agent_username.as_str().into(),
        r.customer_reference.as_deref().into(),
        r.scopes.as_str().into(),
        r.client_id.as_str().into(),
        jti_key(&r.jti).into(),
        (&r.jti[..]).into(),
        r.cap_at.into(),
        r.issued_at.into(),
        r.expires_at.into(),
        r.used_at.into(),
        r.revoked_at.into(),
        r.reason.as_deref().into(),
    ]
}

fn insert_audit(
    q: &mut impl Queryable,
    t: &Tables,
    e: &AuditEvent,
) -> std::result::Result<(), Fail> {
    q.exec_drop(
        format!(
            "INSERT INTO {} ({AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            t.audit_event
        ),
        audit_values(e),
    )?;
    Ok(())
}

/// The [`TokenWriter`] of one transaction. It remembers whether its
/// connection broke, so the pool drops that connection afterwards.
struct Writer<'a, 'c> {
    tx: &'a mut Transaction<'c>,
    t: &'a Tables,
    broken: bool,
}

impl Writer<'_, '_> {
    fn track<T>(&mut self, result: std::result::Result<T, Fail>) -> Result<T> {
        result.map_err(|fail| {
            self.broken |= fail.broken;
            fail.error
        })
    }
}

impl TokenWriter for Writer<'_, '_> {
    fn lock_agent(&mut self, agent_id: i64) -> Result<()> {
        // A row of its own in the lockout table (whose keys otherwise start
        // with an address), inserted or locked: InnoDB holds it until the
        // transaction ends. A purge may delete it; the next start makes it.
        let done = self
            .tx
            .exec_drop(
                format!(
                    "INSERT INTO {} (lockout_key, failures, window_start, blocked_until)
                     VALUES (?, 0, 0, NULL) ON DUPLICATE KEY UPDATE lockout_key = lockout_key",
                    self.t.lockout
                ),
                (format!("\u{1}impersonation-agent:{agent_id}"),),
            )
            .map_err(Fail::from);
        self.track(done)
    }

    fn count_live_sessions(&mut self, agent_id: i64, kind: SessionKind, now: i64) -> Result<u64> {
        let counted = self
            .tx
            .exec_first(
                format!(
                    "SELECT count(DISTINCT family_id) FROM {} WHERE agent_id = ? AND kind = ?
                     AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?",
                    self.t.refresh_token
                ),
                (agent_id, kind.code(), now),
            )
            .map(|n: Option<u64>| n.unwrap_or(0))
            .map_err(Fail::from);
        self.track(counted)
    }

    fn count_started_since(&mut self, agent_id: i64, kind: SessionKind, since: i64) -> Result<u64> {
        let counted = self
            .tx
            .exec_first(
                format!(
                    "SELECT count(*) FROM {} WHERE agent_id = ? AND kind = ?
                     AND parent_id IS NULL AND issued_at >= ?",
                    self.t.refresh_token
                ),
                (agent_id, kind.code(), since),
            )
            .map(|n: Option<u64>| n.unwrap_or(0))
            .map_err(Fail::from);
        self.track(counted)
    }

    fn find(&mut self, id: i64) -> Result<Option<RefreshTokenRow>> {
        let found = find_in(self.tx, self.t, id, " FOR UPDATE");
        self.track(found)
    }

    fn insert(&mut self, r: &RefreshTokenRow) -> Result<bool> {
        // The primary key is the table's only unique key, so the no-op
        // update below fires exactly on a taken id (0 rows affected).
        let sql = format!(
            "INSERT INTO {} ({INSERT_COLUMNS})
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON DUPLICATE KEY UPDATE id = id",
            self.t.refresh_token
        );
        let params = row_values(r);
        let done = self
            .tx
            .exec_drop(sql, params)
            .map(|()| self.tx.affected_rows() == 1)
            .map_err(Fail::from);
        self.track(done)
    }

    fn spend(&mut self, id: i64, at: i64) -> Result<bool> {
        // Affected rows count changed rows: exactly the row this call spent.
        let done = self
            .tx
            .exec_drop(
                format!(
                    "UPDATE {} SET used_at = ? WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL",
                    self.t.refresh_token
                ),
                (at, id),
            )
            .map(|()| self.tx.affected_rows() == 1)
            .map_err(Fail::from);
        self.track(done)
    }

    fn revoke(&mut self, scope: RevokeScope<'_>, at: i64) -> Result<usize> {
        let (filter, args): (&str, Vec<Value>) = match scope {
            RevokeScope::Family {
                agent_id,
                family_id,
            } => (
                "agent_id = ? AND (family_id = ? OR origin_family_id = ?)",
                vec![agent_id.into(), family_id.into(), family_id.into()],
            ),
            RevokeScope::Agent(agent_id) => ("agent_id = ?", vec![agent_id.into()]),
            RevokeScope::Customer(reference) => ("customer_reference = ?", vec![reference.into()]),
            RevokeScope::AgentCustomer {
                agent_id,
                customer_reference,
            } => (
                "agent_id = ? AND customer_reference = ?",
                vec![agent_id.into(), customer_reference.into()],
            ),
        };
        let table = &self.t.refresh_token;
        // No RETURNING on UPDATE: lock the rows and learn their families
        // first, then revoke by the same condition. Under READ COMMITTED the
        // update also finds a row committed in between (a refresh's child
        // that the scan had passed), so no session escapes; such a row's
        // family may go uncounted.
        let done = (|| -> std::result::Result<usize, Fail> {
            let mut families: Vec<i64> = self.tx.exec(
                format!(
                    "SELECT family_id FROM {table} WHERE revoked_at IS NULL AND {filter} FOR UPDATE"
                ),
                args.clone(),
            )?;
            if families.is_empty() {
                return Ok(0);
            }
            let mut update_args = vec![Value::from(at)];
            update_args.extend(args);
            self.tx.exec_drop(
                format!("UPDATE {table} SET revoked_at = ? WHERE revoked_at IS NULL AND {filter}"),
                update_args,
            )?;
            families.sort_unstable();
            families.dedup();
            Ok(families.len())
        })();
        self.track(done)
    }

    fn audit(&mut self, event: &AuditEvent) -> Result<()> {
        let done = insert_audit(self.tx, self.t, event);
        self.track(done)
    }
}

impl TokenStore for MysqlStore {
    fn find(&self, id: i64) -> Result<Option<RefreshTokenRow>> {
        self.db.read(|conn| find_in(conn, &self.t, id, ""))
    }

    fn find_by_jti(&self, jti: &[u8; 40]) -> Result<Option<RefreshTokenRow>> {
        self.db.read(|conn| {
            let row: Option<Row> = conn.exec_first(
                format!(
                    "SELECT {ROW_COLUMNS} FROM {} WHERE jti_key = ? AND jti = ?",
                    self.t.refresh_token
                ),
                (jti_key(jti), &jti[..]),
            )?;
            row.map(read_row).transpose()
        })
    }

    // Durability is the server's `innodb_flush_log_at_trx_commit` (D26).
    fn write(&self, _durability: Durability, f: &mut WriteFn<'_>) -> Result<()> {
        // The closure may keep state between calls, so it runs once: a
        // deadlock is reported, not replayed.
        self.db.transaction(false, |tx| {
            let mut writer = Writer {
                tx,
                t: &self.t,
                broken: false,
            };
            f(&mut writer).map_err(|error| Fail::new(error, writer.broken))
        })
    }

    /// Two round trips instead of five ([`super::db::Db::script`]): the
    /// steps of the default, sent as one multi-statement text query with
    /// the values written by the client library's own literal encoding,
    /// since a prepared statement holds one statement. The origin row is
    /// locked first (its row count says whether it is live); the row is
    /// inserted only while the origin is unrevoked, the audit event only
    /// when the insert before it added a row (`ROW_COUNT()` is the previous
    /// statement's until this one ends). Every statement costs the server
    /// tens of microseconds here, so there are no more of them than that.
    fn insert_session(
        &self,
        row: &RefreshTokenRow,
        event: &AuditEvent,
        origin: Option<i64>,
    ) -> Result<SessionInsert> {
        let t = &self.t;
        let (live, inserted) = self.db.script(|conn| {
            let escape = conn.no_backslash_escape();
            let literals = |values: Vec<Value>| {
                let literals: Vec<String> = values.iter().map(|v| v.as_sql(escape)).collect();
                literals.join(", ")
            };
            // The origin id is an integer: safe to write into the text.
            let (lock, only_if_live) = match origin {
                Some(id) => (
                    format!(
                        "SELECT id FROM {rows} WHERE id = {id} AND revoked_at IS NULL FOR UPDATE;",
                        rows = t.refresh_token
                    ),
                    format!(
                        "WHERE EXISTS (SELECT 1 FROM {rows} WHERE id = {id} AND revoked_at IS NULL)",
                        rows = t.refresh_token
                    ),
                ),
                None => (String::new(), String::new()),
            };
            let sql = format!(
                "{lock}
                 INSERT INTO {rows} ({INSERT_COLUMNS}) SELECT {row} FROM DUAL {only_if_live}
                    ON DUPLICATE KEY UPDATE id = id;
                 INSERT INTO {audit} ({AUDIT_COLUMNS}) SELECT {event} FROM DUAL
                    WHERE ROW_COUNT() = 1;
                 COMMIT",
                rows = t.refresh_token,
                row = literals(row_values(row)),
                audit = t.audit_event,
                event = literals(audit_values(event)),
            );
            // Per statement: rows returned, rows affected.
            let mut sets = Vec::with_capacity(4);
            let mut result = conn.query_iter(sql)?;
            while let Some(set) = result.iter() {
                let affected = set.affected_rows();
                let mut returned = 0;
                for found in set {
                    found?;
                    returned += 1;
                }
                sets.push((returned, affected));
            }
            match (origin, sets.as_slice()) {
                (Some(_), [(live, _), (_, inserted), _, _]) => Ok((*live, *inserted)),
                (None, [(_, inserted), _, _]) => Ok((1, *inserted)),
                _ => Err(bad_column("statement results")),
            }
        })?;
        Ok(match (live, inserted) {
            (0, _) => SessionInsert::OriginRevoked,
            (_, 1) => SessionInsert::Inserted,
            _ => SessionInsert::IdTaken,
        })
    }

    fn purge_expired(&self, before: i64) -> Result<usize> {
        let table = &self.t.refresh_token;
        self.db.transaction(true, |tx| {
            // A family goes only once all of its rows have expired, so reuse
            // detection keeps working for the family's live rows.
            tx.exec_drop(
                format!(
                    "DELETE t FROM {table} AS t JOIN (
                        SELECT family_id FROM {table} GROUP BY family_id HAVING MAX(expires_at) < ?
                     ) AS expired ON t.family_id = expired.family_id"
                ),
                (before,),
            )?;
            Ok(tx.affected_rows() as usize)
        })
    }

    fn customer_sessions(
        &self,
        customer_reference: &str,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<SessionSummary>, u64)> {
        if customer_reference.len() > MAX_KEY_BYTES {
            return Ok((Vec::new(), 0));
        }
        let table = &self.t.refresh_token;
        let kind = SessionKind::Impersonation.code();
        self.db.read(|conn| {
            let total: Option<u64> = conn.exec_first(
                format!(
                    "SELECT count(DISTINCT family_id) FROM {table}
                     WHERE customer_reference = ? AND kind = ?"
                ),
                (customer_reference.as_bytes(), kind),
            )?;
            // The reason sits on a family's first row only, so `max` picks it.
            let rows: Vec<Row> = conn.exec(
                format!(
                    "SELECT family_id, max(agent_id), max(agent_username), max(reason),
                        min(issued_at), max(revoked_at), max(expires_at)
                     FROM {table} WHERE customer_reference = ? AND kind = ?
                     GROUP BY family_id ORDER BY min(issued_at) DESC, family_id DESC
                     LIMIT ? OFFSET ?"
                ),
                (customer_reference.as_bytes(), kind, limit, offset),
            )?;
            let page = rows
                .into_iter()
                .map(|mut r| {
                    Ok(SessionSummary {
                        family_id: col(&mut r, 0)?,
                        agent_id: col(&mut r, 1)?,
                        agent_username: col(&mut r, 2)?,
                        reason: col(&mut r, 3)?,
                        started_at: col(&mut r, 4)?,
                        revoked_at: col(&mut r, 5)?,
                        expires_at: col(&mut r, 6)?,
                    })
                })
                .collect::<std::result::Result<_, Fail>>()?;
            Ok((page, total.unwrap_or(0)))
        })
    }
}

impl ConsentStore for MysqlStore {
    fn replace_consent(&self, row: &ConsentRow) -> Result<bool> {
        if row.customer_reference.len() > MAX_KEY_BYTES {
            return Err(Error::InvalidRequest(
                "customer reference => This value is too long.".into(),
            ));
        }
        let table = &self.t.consent;
        self.db.transaction(true, |tx| {
            tx.exec_drop(
                format!("DELETE FROM {table} WHERE customer_reference = ? AND code_hash <> ?"),
                (row.customer_reference.as_bytes(), &row.code_hash[..]),
            )?;
            // The hash is the only unique key: the no-op update fires
            // exactly on a taken hash (0 rows affected).
            tx.exec_drop(
                format!(
                    "INSERT INTO {table} (code_hash, customer_reference, created_at, expires_at, used_at)
                     VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE code_hash = code_hash"
                ),
                (
                    &row.code_hash[..],
                    row.customer_reference.as_bytes(),
                    row.created_at,
                    row.expires_at,
                    row.used_at,
                ),
            )?;
            Ok(tx.affected_rows() == 1)
        })
    }

    fn spend_consent(
        &self,
        code_hash: &[u8; 32],
        customer_reference: &str,
        now: i64,
    ) -> Result<bool> {
        let table = &self.t.consent;
        self.db.transaction(false, |tx| {
            tx.exec_drop(
                format!(
                    "UPDATE {table} SET used_at = ? WHERE code_hash = ? AND customer_reference = ?
                     AND used_at IS NULL AND expires_at > ?"
                ),
                (now, &code_hash[..], customer_reference.as_bytes(), now),
            )?;
            Ok(tx.affected_rows() == 1)
        })
    }

    fn find_consent(&self, code_hash: &[u8; 32]) -> Result<Option<ConsentRow>> {
        let table = &self.t.consent;
        self.db.read(|conn| {
            let row: Option<Row> = conn.exec_first(
                format!(
                    "SELECT code_hash, customer_reference, created_at, expires_at, used_at
                     FROM {table} WHERE code_hash = ?"
                ),
                (&code_hash[..],),
            )?;
            row.map(|mut r| {
                let reference: Vec<u8> = col(&mut r, 1)?;
                Ok(ConsentRow {
                    code_hash: fixed(&mut r, 0)?,
                    customer_reference: String::from_utf8(reference)
                        .map_err(|_| bad_column("customer_reference"))?,
                    created_at: col(&mut r, 2)?,
                    expires_at: col(&mut r, 3)?,
                    used_at: col(&mut r, 4)?,
                })
            })
            .transpose()
        })
    }

    fn purge_consents(&self, before: i64) -> Result<usize> {
        let table = &self.t.consent;
        self.db.transaction(true, |tx| {
            tx.exec_drop(
                format!("DELETE FROM {table} WHERE expires_at < ?"),
                (before,),
            )?;
            Ok(tx.affected_rows() as usize)
        })
    }
}

impl AuditStore for MysqlStore {
    fn record(&self, event: &AuditEvent) -> Result<()> {
        self.db
            .transaction(true, |tx| insert_audit(tx, &self.t, event))
    }

    fn query(&self, q: &AuditQuery) -> Result<Vec<AuditEvent>> {
        let mut filter = vec!["TRUE"];
        let mut args = Vec::<Value>::new();
        if let Some(agent_id) = q.agent_id {
            filter.push("agent_id = ?");
            args.push(agent_id.into());
        }
        if let Some(reference) = &q.customer_reference {
            filter.push("customer_reference = ?");
            args.push(reference.as_str().into());
        }
        if let Some(from) = q.from {
            filter.push("at >= ?");
            args.push(from.into());
        }
        if let Some(to) = q.to {
            filter.push("at < ?");
            args.push(to.into());
        }
        args.push(q.limit.into());
        let sql = format!(
            "SELECT id, at, kind, agent_id, agent_username, customer_reference, client_ip, jti, reason, code, policy
             FROM {} WHERE {} ORDER BY id LIMIT ?",
            self.t.audit_event,
            filter.join(" AND ")
        );
        self.db.read(|conn| {
            let rows: Vec<Row> = conn.exec(&sql, args.clone())?;
            rows.into_iter()
                .map(|mut r| {
                    let kind: String = col(&mut r, 2)?;
                    Ok(AuditEvent {
                        id: col(&mut r, 0)?,
                        at: col(&mut r, 1)?,
                        kind: AuditKind::parse(&kind).ok_or_else(|| {
                            Error::Internal(format!("unknown audit kind {kind:?} in the database"))
                        })?,
                        agent_id: col(&mut r, 3)?,
                        agent_username: col(&mut r, 4)?,
                        customer_reference: col(&mut r, 5)?,
                        client_ip: col(&mut r, 6)?,
                        jti: col(&mut r, 7)?,
                        reason: col(&mut r, 8)?,
                        code: col(&mut r, 9)?,
                        policy: col(&mut r, 10)?,
                    })
                })
                .collect()
        })
    }

    fn purge_audit(&self, before: i64) -> Result<usize> {
        self.db.transaction(true, |tx| {
            tx.exec_drop(
                format!("DELETE FROM {} WHERE at < ?", self.t.audit_event),
                (before,),
            )?;
            Ok(tx.affected_rows() as usize)
        })
    }
}

fn read_lockout(
    q: &mut impl Queryable,
    t: &Tables,
    key: &str,
    lock: &str,
) -> std::result::Result<Option<LockoutState>, Fail> {
    let row: Option<Row> = q.exec_first(
        format!(
            "SELECT failures, window_start, blocked_until FROM {} WHERE lockout_key = ?{lock}",
            t.lockout
        ),
        (key,),
    )?;
    row.map(|mut r| {
        Ok(LockoutState {
            failures: col(&mut r, 0)?,
            window_start: col(&mut r, 1)?,
            blocked_until: col(&mut r, 2)?,
        })
    })
    .transpose()
}

impl LockoutStore for MysqlStore {
    fn get(&self, key: &str) -> Result<Option<LockoutState>> {
        self.db.read(|conn| read_lockout(conn, &self.t, key, ""))
    }

    fn update(&self, key: &str, f: &mut LockoutFn<'_>) -> Result<Option<LockoutState>> {
        if key.len() > MAX_KEY_BYTES {
            return Err(Error::InvalidRequest(format!(
                "lockout key => This value is too long. It should have {MAX_KEY_BYTES} bytes or less."
            )));
        }
        let table = &self.t.lockout;
        // The closure only maps a state to the next, so after a deadlock
        // (InnoDB rolled everything back) it may run again.
        self.db.transaction(true, |tx| {
            // Insert a placeholder or lock the existing row: either way this
            // transaction now holds the key's row, and concurrent updates of
            // the key from any process wait here.
            tx.exec_drop(
                format!(
                    "INSERT INTO {table} (lockout_key, failures, window_start, blocked_until)
                     VALUES (?, 0, 0, NULL) ON DUPLICATE KEY UPDATE lockout_key = lockout_key"
                ),
                (key,),
            )?;
            let current = match tx.affected_rows() {
                1 => None,
                _ => read_lockout(tx, &self.t, key, " FOR UPDATE")?,
            };
            let next = f(current);
            match &next {
                Some(s) => tx.exec_drop(
                    format!(
                        "UPDATE {table} SET failures = ?, window_start = ?, blocked_until = ? WHERE lockout_key = ?"
                    ),
                    (s.failures, s.window_start, s.blocked_until, key),
                )?,
                None => tx.exec_drop(
                    format!("DELETE FROM {table} WHERE lockout_key = ?"),
                    (key,),
                )?,
            }
            Ok(next)
        })
    }

    fn purge_lockouts(&self, window_started_by: i64, now: i64) -> Result<usize> {
        self.db.transaction(true, |tx| {
            tx.exec_drop(
                format!(
                    "DELETE FROM {} WHERE window_start <= ? AND (blocked_until IS NULL OR blocked_until <= ?)",
                    self.t.lockout
                ),
                (window_started_by, now),
            )?;
            Ok(tx.affected_rows() as usize)
        })
    }
}

impl MysqlStore {
    /// The strict check's session and agent and the customer, in one
    /// statement: one round trip before an impersonation signs.
    pub(super) fn session_agent_and_customer(
        &self,
        jti: &[u8; 40],
        customer_reference: &str,
    ) -> Result<crate::store::SessionAgentAndCustomer> {
        let reference = Some(customer_reference).filter(|r| !r.is_empty());
        self.db.read(|conn| {
            // The outer row is always there; absent parts come back as NULLs.
            let row: Option<Row> = conn.exec_first(
                format!(
                    "SELECT {T_ROW_COLUMNS}, a.id, a.username, a.password_hash, a.status, \
                        c.id_customer, c.customer_reference, c.email, c.first_name, c.last_name, \
                        c.id_company_user, c.permissions, c.is_active, c.impersonation_allowed \
                     FROM (SELECT 1 AS one) AS one \
                     LEFT JOIN ({} AS t LEFT JOIN {} AS a ON a.username = t.agent_username) \
                        ON t.jti_key = ? AND t.jti = ? \
                     LEFT JOIN {} AS c ON c.customer_reference = ?",
                    self.t.refresh_token, self.t.agent, self.t.customer
                ),
                (jti_key(jti), &jti[..], reference),
            )?;
            let Some(mut r) = row else {
                return Err(bad_column("row"));
            };
            let customer = match is_null(&r, 22) {
                false => Some(super::directory::read_customer_at(&mut r, 22)?),
                true => None,
            };
            let agent = match is_null(&r, 18) {
                false => Some(super::directory::read_agent_at(&mut r, 18)?),
                true => None,
            };
            let session = match is_null(&r, 0) {
                false => Some((read_row(r)?, agent)),
                true => None,
            };
            Ok((session, customer))
        })
    }

    /// The session under this `jti` with the agent stored under its
    /// username, in one round trip (the strict check, D3).
    pub(super) fn session_and_agent(
        &self,
        jti: &[u8; 40],
    ) -> Result<Option<(RefreshTokenRow, Option<crate::directory::Agent>)>> {
        self.db.read(|conn| {
            let row: Option<Row> = conn.exec_first(
                format!(
                    "SELECT {T_ROW_COLUMNS}, a.id, a.username, a.password_hash, a.status \
                     FROM {} AS t LEFT JOIN {} AS a ON a.username = t.agent_username \
                     WHERE t.jti_key = ? AND t.jti = ?",
                    self.t.refresh_token, self.t.agent
                ),
                (jti_key(jti), &jti[..]),
            )?;
            let Some(mut r) = row else {
                return Ok(None);
            };
            let agent = match is_null(&r, 18) {
                false => Some(super::directory::read_agent_at(&mut r, 18)?),
                true => None,
            };
            Ok(Some((read_row(r)?, agent)))
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn aliased_columns_are_the_row_columns() {
        let aliased: Vec<String> = super::ROW_COLUMNS
            .split(", ")
            .map(|c| format!("t.{}", c.trim()))
            .collect();
        let written: Vec<&str> = super::T_ROW_COLUMNS.split(", ").map(str::trim).collect();
        assert_eq!(aliased, written);
    }
}
