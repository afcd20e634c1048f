//! Agents and customers kept in the engine's own tables on MySQL/MariaDB.

use mysql::prelude::Queryable;
use mysql::{AccessMode, IsolationLevel, Row, TxOpts, Value};

use super::db::{DUPLICATE_KEY, Fail, code};
use super::tokens::col;
use super::{MAX_KEY_BYTES, MysqlStore};
use crate::directory::{
    Agent, AgentDirectory, AgentStatus, Customer, CustomerDirectory, CustomerPage, CustomerSearch,
};
use crate::error::{Error, Result};
use crate::search::fold;
use crate::store::{AgentStore, CustomerStore};

const CUSTOMER_COLUMNS: &str = "id_customer, customer_reference, email, first_name, last_name, id_company_user, permissions, is_active, impersonation_allowed";

/// The highest code point; `prefix || MAX_CHAR` bounds every string starting
/// with `prefix` in byte order (UTF-8 bytes sort as code points), so a prefix
/// search is an index range scan in which `%` and `_` are plain characters.
const MAX_CHAR: char = '\u{10FFFF}';

fn read_agent(mut r: Row) -> std::result::Result<Agent, Fail> {
    read_agent_at(&mut r, 0)
}

/// An agent from the four columns starting at `at` (id, username, hash, status).
pub(super) fn read_agent_at(r: &mut Row, at: usize) -> std::result::Result<Agent, Fail> {
    let status: String = col(r, at + 3)?;
    Ok(Agent {
        id: col(r, at)?,
        username: col(r, at + 1)?,
        password_hash: col(r, at + 2)?,
        status: AgentStatus::from_stored(&status),
    })
}

fn read_customer(mut r: Row) -> std::result::Result<Customer, Fail> {
    read_customer_at(&mut r, 0)
}

/// A customer from the columns starting at `at` (as [`CUSTOMER_COLUMNS`]).
pub(super) fn read_customer_at(r: &mut Row, at: usize) -> std::result::Result<Customer, Fail> {
    let permissions: Option<String> = col(r, at + 6)?;
    Ok(Customer {
        id_customer: col(r, at)?,
        customer_reference: col(r, at + 1)?,
        email: col(r, at + 2)?,
        first_name: col(r, at + 3)?,
        last_name: col(r, at + 4)?,
        id_company_user: col(r, at + 5)?,
        permissions: permissions.and_then(|p| serde_json::from_str(&p).ok()),
        is_active: col(r, at + 7)?,
        impersonation_allowed: col(r, at + 8)?,
    })
}

/// An indexed value must fit its `VARBINARY` column.
fn check_len(field: &str, value: &str) -> Result<()> {
    match value.len() > MAX_KEY_BYTES {
        true => Err(Error::InvalidRequest(format!(
            "{field} => This value is too long. It should have {MAX_KEY_BYTES} bytes or less."
        ))),
        false => Ok(()),
    }
}

impl AgentDirectory for MysqlStore {
    fn find_by_username(&self, username: &str) -> Result<Option<Agent>> {
        self.db.read(|conn| {
            let row: Option<Row> = conn.exec_first(
                format!(
                    "SELECT id, username, password_hash, status FROM {} WHERE username = ?",
                    self.t.agent
                ),
                (username,),
            )?;
            row.map(read_agent).transpose()
        })
    }

    fn update_password_hash(&self, agent: &Agent, new_hash: &str) -> Result<bool> {
        self.set_agent_password_hash(agent.id, new_hash)
    }
}

impl CustomerDirectory for MysqlStore {
    fn find_by_reference(&self, customer_reference: &str) -> Result<Option<Customer>> {
        self.db.read(|conn| {
            let row: Option<Row> = conn.exec_first(
                format!(
                    "SELECT {CUSTOMER_COLUMNS} FROM {} WHERE customer_reference = ?",
                    self.t.customer
                ),
                (customer_reference,),
            )?;
            row.map(read_customer).transpose()
        })
    }

    fn search(&self, query: &CustomerSearch) -> Result<CustomerPage> {
        let q = fold(&query.q);
        let table = &self.t.customer;
        let (filter, mut args): (&str, Vec<Value>) = match q.is_empty() {
            true => ("TRUE", Vec::new()),
            false => {
                let upper = format!("{q}{MAX_CHAR}");
                let mut args = Vec::new();
                for _ in 0..3 {
                    args.push(q.as_str().into());
                    args.push(upper.as_str().into());
                }
                args.push(q.as_str().into());
                (
                    "(email_lc >= ? AND email_lc < ?) OR (first_name_lc >= ? AND first_name_lc < ?)
                     OR (last_name_lc >= ? AND last_name_lc < ?) OR reference_lc = ?",
                    args,
                )
            }
        };
        let count_args = args.clone();
        args.push(query.limit.into());
        args.push(query.offset.into());
        let count_sql = format!("SELECT COUNT(*) FROM {table} WHERE {filter}");
        let page_sql = format!(
            "SELECT {CUSTOMER_COLUMNS} FROM {table} WHERE {filter} ORDER BY id_customer LIMIT ? OFFSET ?"
        );
        // The count and the page from one snapshot (REPEATABLE READ: under
        // the sessions' READ COMMITTED each statement would see its own).
        let snapshot = TxOpts::default()
            .set_isolation_level(Some(IsolationLevel::RepeatableRead))
            .set_with_consistent_snapshot(true)
            .set_access_mode(Some(AccessMode::ReadOnly));
        self.db.read(|conn| {
            let mut tx = conn.start_transaction(snapshot)?;
            let total: Option<i64> = tx.exec_first(&count_sql, count_args.clone())?;
            let rows: Vec<Row> = tx.exec(&page_sql, args.clone())?;
            tx.commit()?;
            Ok(CustomerPage {
                customers: rows
                    .into_iter()
                    .map(read_customer)
                    .collect::<std::result::Result<_, _>>()?,
                total: total.unwrap_or(0) as u64,
            })
        })
    }
}

impl AgentStore for MysqlStore {
    fn insert_agent(
        &self,
        id: Option<i64>,
        username: &str,
        password_hash: &str,
        status: AgentStatus,
        now: i64,
    ) -> Result<i64> {
        check_len("username", username)?;
        self.db.transaction(true, |tx| {
            let inserted = tx.exec_drop(
                format!(
                    "INSERT INTO {} (id, username, password_hash, status, created_at, updated_at)
                     VALUES (?, ?, ?, ?, ?, ?)",
                    self.t.agent
                ),
                (id, username, password_hash, status.as_str(), now, now),
            );
            match inserted {
                Err(e) if code(&e) == Some(DUPLICATE_KEY) => Err(Error::InvalidRequest(format!(
                    "an agent with username {username:?} or this id exists already"
                ))
                .into()),
                Err(e) => Err(e.into()),
                Ok(()) => match id {
                    Some(id) => Ok(id),
                    None => tx
                        .last_insert_id()
                        .map(|id| id as i64)
                        .ok_or_else(|| Error::Storage("MySQL: no id assigned".into()).into()),
                },
            }
        })
    }

    fn set_agent_status(&self, id: i64, status: AgentStatus, now: i64) -> Result<bool> {
        self.update_agent(id, "status", status.as_str(), now)
    }

    fn set_agent_password_hash(&self, id: i64, hash: &str) -> Result<bool> {
        self.update_agent(id, "password_hash", hash, 0)
    }

    fn find_agent_by_id(&self, id: i64) -> Result<Option<Agent>> {
        self.db.read(|conn| {
            let row: Option<Row> = conn.exec_first(
                format!(
                    "SELECT id, username, password_hash, status FROM {} WHERE id = ?",
                    self.t.agent
                ),
                (id,),
            )?;
            row.map(read_agent).transpose()
        })
    }
}

impl MysqlStore {
    fn update_agent(&self, id: i64, column: &'static str, value: &str, now: i64) -> Result<bool> {
        let table = &self.t.agent;
        self.db.transaction(true, |tx| {
            tx.exec_drop(
                format!(
                    "UPDATE {table} SET {column} = ?, updated_at = GREATEST(updated_at, ?) WHERE id = ?"
                ),
                (value, now, id),
            )?;
            if tx.affected_rows() == 1 {
                return Ok(true);
            }
            // Affected rows count changed rows: an unchanged agent exists too.
            let exists: Option<i64> =
                tx.exec_first(format!("SELECT id FROM {table} WHERE id = ?"), (id,))?;
            Ok(exists.is_some())
        })
    }
}

impl CustomerStore for MysqlStore {
    fn upsert_customer(&self, c: &Customer) -> Result<()> {
        let folded = [
            ("customer_reference", c.customer_reference.clone()),
            ("reference", fold(&c.customer_reference)),
            ("email", fold(&c.email)),
            ("first_name", fold(&c.first_name)),
            ("last_name", fold(&c.last_name)),
        ];
        for (field, value) in &folded {
            check_len(field, value)?;
        }
        let [
            _,
            (_, reference_lc),
            (_, email_lc),
            (_, first_lc),
            (_, last_lc),
        ] = folded;
        let permissions = c.permissions.as_ref().map(|p| p.to_string());
        let table = &self.t.customer;
        let values: Vec<Value> = vec![
            c.customer_reference.as_str().into(),
            c.email.as_str().into(),
            c.first_name.as_str().into(),
            c.last_name.as_str().into(),
            c.id_company_user.as_deref().into(),
            permissions.as_deref().into(),
            c.is_active.into(),
            reference_lc.as_str().into(),
            email_lc.as_str().into(),
            first_lc.as_str().into(),
            last_lc.as_str().into(),
            c.impersonation_allowed.into(),
            c.id_customer.into(),
        ];
        // Not `ON DUPLICATE KEY UPDATE`: it would update whichever row holds
        // a clashing reference. Lock the id, then update or insert.
        let find = format!("SELECT id_customer FROM {table} WHERE id_customer = ? FOR UPDATE");
        let insert = format!(
            "INSERT INTO {table} (customer_reference, email, first_name, last_name, id_company_user,
                permissions, is_active, reference_lc, email_lc, first_name_lc, last_name_lc,
                impersonation_allowed, id_customer)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        );
        let update = format!(
            "UPDATE {table} SET customer_reference = ?, email = ?, first_name = ?, last_name = ?,
                id_company_user = ?, permissions = ?, is_active = ?, reference_lc = ?, email_lc = ?,
                first_name_lc = ?, last_name_lc = ?, impersonation_allowed = ? WHERE id_customer = ?"
        );
        let taken = || -> Fail {
            Error::InvalidRequest(format!(
                "customer reference {:?} belongs to another customer",
                c.customer_reference
            ))
            .into()
        };
        self.db.transaction(true, |tx| {
            let exists: Option<i64> = tx.exec_first(&find, (c.id_customer,))?;
            if exists.is_none() {
                match tx.exec_drop(&insert, values.clone()) {
                    Ok(()) => return Ok(()),
                    Err(e) if code(&e) != Some(DUPLICATE_KEY) => return Err(e.into()),
                    // The reference is another customer's, or a concurrent
                    // upsert has just inserted this id: then update it.
                    Err(_) => {
                        let inserted: Option<i64> = tx.exec_first(&find, (c.id_customer,))?;
                        if inserted.is_none() {
                            return Err(taken());
                        }
                    }
                }
            }
            match tx.exec_drop(&update, values.clone()) {
                Err(e) if code(&e) == Some(DUPLICATE_KEY) => Err(taken()),
                other => Ok(other?),
            }
        })
    }
}
