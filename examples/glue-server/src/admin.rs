//! The operators' commands: agents, customers, keys, purging and the audit log.

use std::path::Path;

use agent_oauth_core::audit::AuditQuery;
use agent_oauth_core::directory::{AgentStatus, Customer};
use agent_oauth_core::{Engine, Error, Result};
use serde::Deserialize;

/// One agent row as exported from Spryker's `spy_user` (CSV header or JSON keys).
#[derive(Debug, Deserialize)]
pub struct AgentRow {
    /// `spy_user.id_user`.
    #[serde(alias = "id")]
    pub id_user: i64,
    /// Login name.
    pub username: String,
    /// The bcrypt hash (`$2y$...`) as stored by Spryker.
    #[serde(alias = "password_hash")]
    pub password: String,
    /// `active`, `blocked` or `deleted`; default `active`.
    #[serde(default)]
    pub status: Option<String>,
    /// Rows with `is_agent` false are skipped (plain back-office users).
    #[serde(default, deserialize_with = "flexible_bool")]
    pub is_agent: Option<bool>,
}

/// One customer row (CSV header or JSON keys of D19, `permissions` as JSON text in CSV).
#[derive(Debug, Deserialize)]
pub struct CustomerRow {
    /// `spy_customer.id_customer`.
    pub id_customer: i64,
    /// The unique reference.
    pub customer_reference: String,
    /// E-mail address.
    pub email: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// B2B company user UUID.
    #[serde(default)]
    pub id_company_user: Option<String>,
    /// Permissions as JSON (text in CSV).
    #[serde(default)]
    pub permissions: Option<serde_json::Value>,
    /// False for an anonymized customer; default true.
    #[serde(default, deserialize_with = "flexible_bool")]
    pub is_active: Option<bool>,
    /// False for a customer who may not be impersonated (default true).
    #[serde(default, deserialize_with = "flexible_bool")]
    pub impersonation_allowed: Option<bool>,
}

fn flexible_bool<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Bool(bool),
        Int(i64),
        Text(String),
    }
    Ok(match Option::<Raw>::deserialize(d)? {
        None => None,
        Some(Raw::Bool(b)) => Some(b),
        Some(Raw::Int(i)) => Some(i != 0),
        Some(Raw::Text(t)) => match t.trim().to_ascii_lowercase().as_str() {
            "" | "null" => None,
            "1" | "true" | "t" | "yes" => Some(true),
            _ => Some(false),
        },
    })
}

/// Reads rows from a `.json` file (an array) or a CSV file with a header line.
pub fn read_rows<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    let bad = |e: &dyn std::fmt::Display| Error::InvalidRequest(format!("{}: {e}", path.display()));
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        let text = std::fs::read_to_string(path).map_err(|e| bad(&e))?;
        return serde_json::from_str(&text).map_err(|e| bad(&e));
    }
    let mut reader = csv::Reader::from_path(path).map_err(|e| bad(&e))?;
    let headers = reader.headers().map_err(|e| bad(&e))?.clone();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| bad(&e))?;
        // CSV cells are text; permissions hold JSON and empty cells mean null.
        let object: serde_json::Map<String, serde_json::Value> = headers
            .iter()
            .zip(record.iter())
            .map(|(name, cell)| {
                let value = match (name, cell) {
                    (_, "") => serde_json::Value::Null,
                    ("permissions", text) => {
                        serde_json::from_str(text).unwrap_or(serde_json::Value::Null)
                    }
                    ("id_user" | "id" | "id_customer", text) => text
                        .parse::<i64>()
                        .map(Into::into)
                        .unwrap_or_else(|_| text.into()),
                    (_, text) => text.into(),
                };
                (name.to_owned(), value)
            })
            .collect();
        rows.push(serde_json::from_value(object.into()).map_err(|e| bad(&e))?);
    }
    Ok(rows)
}

/// Imports agents with their Spryker hashes; returns (imported, skipped).
pub fn import_agents(engine: &Engine, rows: &[AgentRow]) -> Result<(usize, usize)> {
    let (mut imported, mut skipped) = (0, 0);
    for row in rows {
        if row.is_agent == Some(false) {
            skipped += 1;
            continue;
        }
        let status = match row.status.as_deref() {
            None | Some("") => AgentStatus::Active,
            Some(s) => AgentStatus::parse(s).ok_or_else(|| {
                Error::InvalidRequest(format!("agent {:?}: unknown status {s:?}", row.username))
            })?,
        };
        engine.import_agent(row.id_user, &row.username, &row.password, status)?;
        imported += 1;
    }
    Ok((imported, skipped))
}

/// Imports (inserts or updates) customers; returns how many.
pub fn import_customers(engine: &Engine, rows: Vec<CustomerRow>) -> Result<usize> {
    let count = rows.len();
    for row in rows {
        engine.upsert_customer(&Customer {
            id_customer: row.id_customer,
            customer_reference: row.customer_reference,
            email: row.email,
            first_name: row.first_name,
            last_name: row.last_name,
            id_company_user: row.id_company_user,
            permissions: row.permissions,
            is_active: row.is_active.unwrap_or(true),
            impersonation_allowed: row.impersonation_allowed.unwrap_or(true),
        })?;
    }
    Ok(count)
}

/// The demo data of `serve --demo`: the agent `admin@spryker.com` /
/// `change123` and a few customers, among them `DE--5`. Existing rows stay.
pub fn seed_demo(engine: &Engine) -> Result<()> {
    if engine.store().find_agent_by_id(1)?.is_none() {
        engine.add_agent_with_id(
            Some(1),
            "admin@spryker.com",
            "change123",
            AgentStatus::Active,
        )?;
    }
    let demo = [
        (
            1,
            "DE--1",
            "spencor.hopkin@spryker.com",
            "Spencor",
            "Hopkin",
            None,
        ),
        (
            2,
            "DE--2",
            "maria.williams@spryker.com",
            "Maria",
            "Williams",
            None,
        ),
        (3, "DE--3", "maggie.may@spryker.com", "Maggie", "May", None),
        (
            4,
            "DE--4",
            "bill.martin@spryker.com",
            "Bill",
            "Martin",
            None,
        ),
        (
            5,
            "DE--5",
            "karl.schmidt@spryker.com",
            "Karl",
            "Schmidt",
            Some("dffc622b-8dd6-59ec-8e19-c5a4d5e74b1a"),
        ),
        (
            6,
            "DE--6",
            "anne.boleyn@spryker.com",
            "Anne",
            "Boleyn",
            None,
        ),
    ];
    for (id, reference, email, first, last, company_user) in demo {
        if engine.find_customer(reference)?.is_none() {
            engine.upsert_customer(&Customer {
                id_customer: id,
                customer_reference: reference.into(),
                email: email.into(),
                first_name: first.into(),
                last_name: last.into(),
                id_company_user: company_user.map(Into::into),
                permissions: None,
                is_active: true,
                impersonation_allowed: true,
            })?;
        }
    }
    Ok(())
}

/// Audit events as one line each, oldest first.
pub fn audit_lines(engine: &Engine, query: &AuditQuery) -> Result<Vec<String>> {
    Ok(engine
        .audit_events(query)?
        .into_iter()
        .map(|e| {
            let time = chrono_like(e.at);
            let mut line = format!("{:>6} {time} {:<22}", e.id, e.kind.as_str());
            let mut field = |name: &str, value: Option<String>| {
                if let Some(v) = value {
                    line.push_str(&format!(" {name}={v}"));
                }
            };
            field("agent", e.agent_id.map(|a| a.to_string()));
            field("username", e.agent_username);
            field("customer", e.customer_reference);
            field("ip", e.client_ip);
            field("code", e.code);
            field("reason", e.reason.map(|r| format!("{r:?}")));
            field("jti", e.jti);
            line
        })
        .collect())
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`.
fn chrono_like(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0).map_or_else(
        || at.to_string(),
        |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}
