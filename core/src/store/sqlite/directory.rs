//! Agents and customers kept in the engine's own database, for shops that
//! import them rather than answer lookups from their own tables.

use rusqlite::{OptionalExtension, Row, TransactionBehavior, params};

use super::SqliteStore;
use crate::directory::{
    Agent, AgentDirectory, AgentStatus, Customer, CustomerDirectory, CustomerPage, CustomerSearch,
};
use crate::error::{Error, Result};
use crate::search::fold;
use crate::store::{AgentStore, CustomerStore};

const CUSTOMER_COLUMNS: &str = "id_customer, customer_reference, email, first_name, last_name, id_company_user, permissions, is_active, impersonation_allowed";

/// The highest code point; `prefix || MAX_CHAR` bounds every string starting
/// with `prefix` in SQLite's byte-wise (BINARY) order, so a prefix search is an
/// index range scan.
const MAX_CHAR: char = '\u{10FFFF}';

fn read_agent(r: &Row<'_>) -> rusqlite::Result<Agent> {
    let status: String = r.get(3)?;
    Ok(Agent {
        id: r.get(0)?,
        username: r.get(1)?,
        password_hash: r.get(2)?,
        status: AgentStatus::from_stored(&status),
    })
}

fn read_customer(r: &Row<'_>) -> rusqlite::Result<Customer> {
    let permissions: Option<String> = r.get(6)?;
    Ok(Customer {
        id_customer: r.get(0)?,
        customer_reference: r.get(1)?,
        email: r.get(2)?,
        first_name: r.get(3)?,
        last_name: r.get(4)?,
        id_company_user: r.get(5)?,
        permissions: permissions.and_then(|p| serde_json::from_str(&p).ok()),
        is_active: r.get(7)?,
        impersonation_allowed: r.get(8)?,
    })
}

impl AgentDirectory for SqliteStore {
    fn find_by_username(&self, username: &str) -> Result<Option<Agent>> {
        self.pool.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, username, password_hash, status FROM agent WHERE username = ?1",
            )?;
            Ok(stmt.query_row([username], read_agent).optional()?)
        })
    }

    fn update_password_hash(&self, agent: &Agent, new_hash: &str) -> Result<bool> {
        self.set_agent_password_hash(agent.id, new_hash)
    }
}

impl CustomerDirectory for SqliteStore {
    fn find_by_reference(&self, customer_reference: &str) -> Result<Option<Customer>> {
        self.pool.with(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {CUSTOMER_COLUMNS} FROM customer WHERE customer_reference = ?1"
            ))?;
            Ok(stmt
                .query_row([customer_reference], read_customer)
                .optional()?)
        })
    }

    fn search(&self, query: &CustomerSearch) -> Result<CustomerPage> {
        let q = fold(&query.q);
        self.pool.with(|conn| {
            let tx = conn.transaction()?;
            let (customers, total) = if q.is_empty() {
                let total: i64 = tx.prepare_cached("SELECT count(*) FROM customer")?.query_row([], |r| r.get(0))?;
                let customers = tx
                    .prepare_cached(&format!(
                        "SELECT {CUSTOMER_COLUMNS} FROM customer ORDER BY id_customer LIMIT ?1 OFFSET ?2"
                    ))?
                    .query_map(params![query.limit, query.offset], read_customer)?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                (customers, total)
            } else {
                let upper = format!("{q}{MAX_CHAR}");
                let filter = "(email_lc >= ?1 AND email_lc < ?2) OR (first_name_lc >= ?1 AND first_name_lc < ?2)
                     OR (last_name_lc >= ?1 AND last_name_lc < ?2) OR reference_lc = ?1";
                let total: i64 = tx
                    .prepare_cached(&format!("SELECT count(*) FROM customer WHERE {filter}"))?
                    .query_row(params![q, upper], |r| r.get(0))?;
                let customers = tx
                    .prepare_cached(&format!(
                        "SELECT {CUSTOMER_COLUMNS} FROM customer WHERE {filter} ORDER BY id_customer LIMIT ?3 OFFSET ?4"
                    ))?
                    .query_map(params![q, upper, query.limit, query.offset], read_customer)?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                (customers, total)
            };
            tx.finish()?;
            Ok(CustomerPage { customers, total: total as u64 })
        })
    }
}

impl AgentStore for SqliteStore {
    fn insert_agent(
        &self,
        id: Option<i64>,
        username: &str,
        password_hash: &str,
        status: AgentStatus,
        now: i64,
    ) -> Result<i64> {
        self.pool.write(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.prepare_cached(
                "INSERT INTO agent (id, username, password_hash, status, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            )?
            .execute(params![id, username, password_hash, status.as_str(), now])
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    Error::InvalidRequest(format!(
                        "an agent with username {username:?} or this id exists already"
                    ))
                }
                e => e.into(),
            })?;
            let id = tx.last_insert_rowid();
            tx.commit()?;
            Ok(id)
        })
    }

    fn set_agent_status(&self, id: i64, status: AgentStatus, now: i64) -> Result<bool> {
        self.update_agent(id, "status", status.as_str(), now)
    }

    fn set_agent_password_hash(&self, id: i64, hash: &str) -> Result<bool> {
        self.update_agent(id, "password_hash", hash, 0)
    }

    fn find_agent_by_id(&self, id: i64) -> Result<Option<Agent>> {
        self.pool.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, username, password_hash, status FROM agent WHERE id = ?1",
            )?;
            Ok(stmt.query_row([id], read_agent).optional()?)
        })
    }
}

impl SqliteStore {
    fn update_agent(&self, id: i64, column: &'static str, value: &str, now: i64) -> Result<bool> {
        self.pool.write(|conn| {
            // Password and status changes must survive a power cut (D23).
            conn.pragma_update(None, "synchronous", "FULL")?;
            let result = (|| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let n = tx
                    .prepare_cached(&format!(
                        "UPDATE agent SET {column} = ?2, updated_at = max(updated_at, ?3) WHERE id = ?1"
                    ))?
                    .execute(params![id, value, now])?;
                tx.commit()?;
                Ok(n == 1)
            })();
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            result
        })
    }
}

impl CustomerStore for SqliteStore {
    fn upsert_customer(&self, c: &Customer) -> Result<()> {
        let permissions = c.permissions.as_ref().map(|p| p.to_string());
        self.pool.write(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.prepare_cached(
                "INSERT INTO customer (id_customer, customer_reference, email, first_name, last_name, id_company_user,
                     permissions, is_active, reference_lc, email_lc, first_name_lc, last_name_lc, impersonation_allowed)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
                 ON CONFLICT (id_customer) DO UPDATE SET customer_reference = ?2, email = ?3, first_name = ?4,
                     last_name = ?5, id_company_user = ?6, permissions = ?7, is_active = ?8, reference_lc = ?9,
                     email_lc = ?10, first_name_lc = ?11, last_name_lc = ?12, impersonation_allowed = ?13",
            )?
            .execute(params![
                c.id_customer,
                c.customer_reference,
                c.email,
                c.first_name,
                c.last_name,
                c.id_company_user,
                permissions,
                c.is_active,
                fold(&c.customer_reference),
                fold(&c.email),
                fold(&c.first_name),
                fold(&c.last_name),
                c.impersonation_allowed
            ])
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                    Error::InvalidRequest(format!(
                        "customer reference {:?} belongs to another customer",
                        c.customer_reference
                    ))
                }
                e => e.into(),
            })?;
            tx.commit()?;
            Ok(())
        })
    }
}
