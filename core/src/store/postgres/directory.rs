//! Agents and customers kept in the engine's own tables, for shops that
//! import them rather than answer lookups from their own.

use postgres::Row;
use postgres::error::SqlState;

use super::pool::PgError;
use super::{PostgresStore, begin, has_nul};
use crate::directory::{
    Agent, AgentDirectory, AgentStatus, Customer, CustomerDirectory, CustomerPage, CustomerSearch,
};
use crate::error::{Error, Result};
use crate::search::fold;
use crate::store::{AgentStore, CustomerStore, Durability};

const FIND_AGENT_BY_USERNAME: &str =
    r#"SELECT id, username, password_hash, status FROM "{p}agent" WHERE username = $1"#;
const FIND_AGENT_BY_ID: &str =
    r#"SELECT id, username, password_hash, status FROM "{p}agent" WHERE id = $1"#;

// Without an id, the next after the highest (as SQLite's rowid): the table
// lock keeps two such inserts from picking the same one.
const LOCK_AGENTS: &str = r#"BEGIN; LOCK TABLE "{p}agent" IN SHARE ROW EXCLUSIVE MODE"#;
const INSERT_AGENT: &str = r#"INSERT INTO "{p}agent" (id, username, password_hash, status, created_at, updated_at)
    VALUES (COALESCE($1, (SELECT COALESCE(max(id), 0) + 1 FROM "{p}agent")), $2, $3, $4, $5, $5)
    RETURNING id"#;
const SET_AGENT_STATUS: &str = r#"UPDATE "{p}agent" SET status = $2, updated_at = GREATEST(updated_at, $3)
    WHERE id = $1"#;
const SET_AGENT_PASSWORD_HASH: &str = r#"UPDATE "{p}agent"
    SET password_hash = $2, updated_at = GREATEST(updated_at, $3) WHERE id = $1"#;

const FIND_CUSTOMER: &str = r#"SELECT id_customer, customer_reference, email, first_name, last_name,
        id_company_user, permissions, is_active, impersonation_allowed
    FROM "{p}customer" WHERE customer_reference = $1"#;

// A page and the total in one statement, so both come from one snapshot
// (the total is there even when the page is past the end).
const SEARCH_ALL: &str = r#"WITH page AS (
        SELECT id_customer, customer_reference, email, first_name, last_name, id_company_user,
            permissions, is_active, impersonation_allowed
        FROM "{p}customer" ORDER BY id_customer LIMIT $1 OFFSET $2)
    SELECT (SELECT count(*) FROM "{p}customer"), page.*
    FROM (SELECT 1) AS one LEFT JOIN page ON TRUE ORDER BY page.id_customer"#;

// Prefixes as ranges on the folded columns (byte order, COLLATE "C"): `%`
// and `_` are plain characters and each range is an index scan. $2 is $1
// followed by U+10FFFF, above every continuation of $1.
const SEARCH: &str = r#"WITH page AS (
        SELECT id_customer, customer_reference, email, first_name, last_name, id_company_user,
            permissions, is_active, impersonation_allowed
        FROM "{p}customer"
        WHERE (email_lc >= $1 AND email_lc < $2) OR (first_name_lc >= $1 AND first_name_lc < $2)
            OR (last_name_lc >= $1 AND last_name_lc < $2) OR reference_lc = $1
        ORDER BY id_customer LIMIT $3 OFFSET $4)
    SELECT (SELECT count(*) FROM "{p}customer"
            WHERE (email_lc >= $1 AND email_lc < $2) OR (first_name_lc >= $1 AND first_name_lc < $2)
                OR (last_name_lc >= $1 AND last_name_lc < $2) OR reference_lc = $1),
        page.*
    FROM (SELECT 1) AS one LEFT JOIN page ON TRUE ORDER BY page.id_customer"#;

const UPSERT_CUSTOMER: &str = r#"INSERT INTO "{p}customer" (id_customer, customer_reference, email,
        first_name, last_name, id_company_user, permissions, is_active, reference_lc, email_lc,
        first_name_lc, last_name_lc, impersonation_allowed)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
    ON CONFLICT (id_customer) DO UPDATE SET customer_reference = EXCLUDED.customer_reference,
        email = EXCLUDED.email, first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
        id_company_user = EXCLUDED.id_company_user, permissions = EXCLUDED.permissions,
        is_active = EXCLUDED.is_active, reference_lc = EXCLUDED.reference_lc,
        email_lc = EXCLUDED.email_lc, first_name_lc = EXCLUDED.first_name_lc,
        last_name_lc = EXCLUDED.last_name_lc,
        impersonation_allowed = EXCLUDED.impersonation_allowed"#;

/// The highest code point: `prefix || MAX_CHAR` bounds every string
/// starting with `prefix` in byte order.
const MAX_CHAR: char = '\u{10FFFF}';

fn corrupt(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Storage(format!("PostgreSQL: unreadable {what}: {e}"))
}

fn read_agent(r: &Row) -> Result<Agent> {
    read_agent_at(r, 0)
}

/// An agent from the columns `id, username, password_hash, status` starting
/// at `at`.
pub(super) fn read_agent_at(r: &Row, at: usize) -> Result<Agent> {
    let get = |e| corrupt("agent", e);
    let status: String = r.try_get(at + 3).map_err(get)?;
    Ok(Agent {
        id: r.try_get(at).map_err(get)?,
        username: r.try_get(at + 1).map_err(get)?,
        password_hash: r.try_get(at + 2).map_err(get)?,
        status: AgentStatus::from_stored(&status),
    })
}

/// A customer from the columns starting at `at`.
pub(super) fn read_customer(r: &Row, at: usize) -> Result<Customer> {
    let get = |e| corrupt("customer", e);
    let permissions: Option<String> = r.try_get(at + 6).map_err(get)?;
    Ok(Customer {
        id_customer: r.try_get(at).map_err(get)?,
        customer_reference: r.try_get(at + 1).map_err(get)?,
        email: r.try_get(at + 2).map_err(get)?,
        first_name: r.try_get(at + 3).map_err(get)?,
        last_name: r.try_get(at + 4).map_err(get)?,
        id_company_user: r.try_get(at + 5).map_err(get)?,
        permissions: permissions.and_then(|p| serde_json::from_str(&p).ok()),
        is_active: r.try_get(at + 7).map_err(get)?,
        impersonation_allowed: r.try_get(at + 8).map_err(get)?,
    })
}

/// A unique violation as the caller's mistake; anything else as storage.
fn unique_violation(e: PgError, message: impl FnOnce() -> String) -> Error {
    match e.code() {
        Some(code) if *code == SqlState::UNIQUE_VIOLATION => Error::InvalidRequest(message()),
        _ => e.into(),
    }
}

impl AgentDirectory for PostgresStore {
    fn find_by_username(&self, username: &str) -> Result<Option<Agent>> {
        if has_nul(username) {
            return Ok(None);
        }
        self.pool.with(|conn| {
            conn.query_opt(FIND_AGENT_BY_USERNAME, &[&username])?
                .map(|r| read_agent(&r))
                .transpose()
        })
    }

    fn update_password_hash(&self, agent: &Agent, new_hash: &str) -> Result<bool> {
        self.set_agent_password_hash(agent.id, new_hash)
    }
}

impl CustomerDirectory for PostgresStore {
    fn find_by_reference(&self, customer_reference: &str) -> Result<Option<Customer>> {
        if has_nul(customer_reference) {
            return Ok(None);
        }
        self.pool.with(|conn| {
            conn.query_opt(FIND_CUSTOMER, &[&customer_reference])?
                .map(|r| read_customer(&r, 0))
                .transpose()
        })
    }

    fn search(&self, query: &CustomerSearch) -> Result<CustomerPage> {
        let q = fold(&query.q);
        if has_nul(&q) {
            return Ok(CustomerPage {
                customers: Vec::new(),
                total: 0,
            });
        }
        let (limit, offset) = (i64::from(query.limit), i64::from(query.offset));
        let rows = self.pool.with(|conn| {
            Ok(match q.is_empty() {
                true => conn.query(SEARCH_ALL, &[&limit, &offset])?,
                false => {
                    let upper = format!("{q}{MAX_CHAR}");
                    conn.query(SEARCH, &[&q, &upper, &limit, &offset])?
                }
            })
        })?;
        let mut total = 0;
        let mut customers = Vec::with_capacity(rows.len());
        for r in &rows {
            total = r.try_get::<_, i64>(0).map_err(|e| corrupt("count", e))?;
            // The one row of an empty page carries the total only.
            let id: Option<i64> = r.try_get(1).map_err(|e| corrupt("customer", e))?;
            if id.is_some() {
                customers.push(read_customer(r, 1)?);
            }
        }
        Ok(CustomerPage {
            customers,
            total: total as u64,
        })
    }
}

impl AgentStore for PostgresStore {
    fn insert_agent(
        &self,
        id: Option<i64>,
        username: &str,
        password_hash: &str,
        status: AgentStatus,
        now: i64,
    ) -> Result<i64> {
        self.pool.with(|conn| {
            conn.transaction(LOCK_AGENTS, |conn| {
                let row = conn
                    .query_one(
                        INSERT_AGENT,
                        &[&id, &username, &password_hash, &status.as_str(), &now],
                    )
                    .map_err(|e| {
                        unique_violation(e, || {
                            format!("an agent with username {username:?} or this id exists already")
                        })
                    })?;
                row.try_get(0).map_err(|e| corrupt("agent id", e))
            })
        })
    }

    fn set_agent_status(&self, id: i64, status: AgentStatus, now: i64) -> Result<bool> {
        self.update_agent(SET_AGENT_STATUS, id, status.as_str(), now)
    }

    fn set_agent_password_hash(&self, id: i64, hash: &str) -> Result<bool> {
        self.update_agent(SET_AGENT_PASSWORD_HASH, id, hash, 0)
    }

    fn find_agent_by_id(&self, id: i64) -> Result<Option<Agent>> {
        self.pool.with(|conn| {
            conn.query_opt(FIND_AGENT_BY_ID, &[&id])?
                .map(|r| read_agent(&r))
                .transpose()
        })
    }
}

impl PostgresStore {
    /// Password and status changes wait for the disk (D23).
    fn update_agent(&self, sql: &'static str, id: i64, value: &str, now: i64) -> Result<bool> {
        self.pool.with(|conn| {
            conn.transaction(begin(Durability::Full), |conn| {
                Ok(conn.execute(sql, &[&id, &value, &now])? == 1)
            })
        })
    }
}

impl CustomerStore for PostgresStore {
    fn upsert_customer(&self, c: &Customer) -> Result<()> {
        let permissions = c.permissions.as_ref().map(|p| p.to_string());
        self.pool.with(|conn| {
            conn.execute(
                UPSERT_CUSTOMER,
                &[
                    &c.id_customer,
                    &c.customer_reference,
                    &c.email,
                    &c.first_name,
                    &c.last_name,
                    &c.id_company_user,
                    &permissions,
                    &c.is_active,
                    &fold(&c.customer_reference),
                    &fold(&c.email),
                    &fold(&c.first_name),
                    &fold(&c.last_name),
                    &c.impersonation_allowed,
                ],
            )
            .map_err(|e| {
                unique_violation(e, || {
                    format!(
                        "customer reference {:?} belongs to another customer",
                        c.customer_reference
                    )
                })
            })?;
            Ok(())
        })
    }
}
