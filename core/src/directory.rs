//! Agents and customers, and the directory traits through which the engine
//! finds them. The built-in SQLite store implements both; a host can supply
//! its own (C callbacks, PHP callables) so that the shop's `spy_user` and
//! `spy_customer` tables stay the source of truth (D19).

use serde::{Deserialize, Serialize};

use crate::error::Result;

/// An agent's account status, as Spryker's `spy_user.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AgentStatus {
    /// May log in and act.
    Active,
    /// Refused at login; existing sessions die.
    Blocked,
    /// Refused at login; existing sessions die.
    Deleted,
}

impl AgentStatus {
    /// The status as stored and exchanged: `active`, `blocked`, `deleted`.
    pub fn as_str(self) -> &'static str {
        match self {
            AgentStatus::Active => "active",
            AgentStatus::Blocked => "blocked",
            AgentStatus::Deleted => "deleted",
        }
    }

    /// Parses `active`, `blocked` or `deleted`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(AgentStatus::Active),
            "blocked" => Some(AgentStatus::Blocked),
            "deleted" => Some(AgentStatus::Deleted),
            _ => None,
        }
    }

    /// The status a store row holds, for every backend alike: an unknown
    /// value (a hand-edited row, a newer schema) fails closed as blocked.
    pub fn from_stored(s: &str) -> Self {
        Self::parse(s).unwrap_or(AgentStatus::Blocked)
    }
}

/// A support agent. JSON shape (D19): `{id, username, password_hash, status}`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agent {
    /// `spy_user.id_user`; becomes `sub.id_agent`.
    pub id: i64,
    /// Login name, matched exactly.
    pub username: String,
    /// argon2id PHC string, or a bcrypt hash (`$2y$`, `$2a$`, `$2b$`) imported from Spryker.
    pub password_hash: String,
    /// Only `active` agents log in.
    pub status: AgentStatus,
}

impl std::fmt::Debug for Agent {
    // The hash stays out of debug output and therefore out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl Agent {
    /// True when the agent may log in and act.
    pub fn is_active(&self) -> bool {
        self.status == AgentStatus::Active
    }
}

/// A shop customer. JSON shape (D19): `{id_customer, customer_reference,
/// email, first_name, last_name, id_company_user, permissions, is_active,
/// impersonation_allowed}`; the last two default to true when absent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    /// `spy_customer.id_customer`.
    pub id_customer: i64,
    /// The unique reference, such as `DE--5`.
    pub customer_reference: String,
    /// E-mail address.
    pub email: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// The company user UUID of a B2B customer.
    #[serde(default)]
    pub id_company_user: Option<String>,
    /// Stored permissions (B2B), copied into `sub.permissions`.
    #[serde(default)]
    pub permissions: Option<serde_json::Value>,
    /// False for an anonymized or deactivated customer, who cannot be impersonated.
    #[serde(default = "default_true")]
    pub is_active: bool,
    /// False for a customer who may not be impersonated (issue 12): every
    /// impersonation of them is refused with 4104. Default true.
    #[serde(default = "default_true")]
    pub impersonation_allowed: bool,
}

fn default_true() -> bool {
    true
}

/// One page of a customer search, after the engine's paging rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerSearch {
    /// The raw query; empty matches everyone.
    pub q: String,
    /// Rows to skip (a multiple of `limit`).
    pub offset: u32,
    /// Rows to return, 1 to [`crate::search::MAX_LIMIT`].
    pub limit: u32,
}

/// The answer to a customer search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerPage {
    /// The customers of this page, ordered by id.
    pub customers: Vec<Customer>,
    /// How many customers match in all.
    pub total: u64,
}

/// Finds agents. Implementations may be called from several threads at once
/// and must not call back into the engine.
pub trait AgentDirectory: Send + Sync {
    /// The agent with exactly this username, whatever its status.
    fn find_by_username(&self, username: &str) -> Result<Option<Agent>>;

    /// Stores a new hash after a successful login with an outdated one (an
    /// imported bcrypt hash). Returns false when the directory cannot write,
    /// which leaves the old hash in use.
    fn update_password_hash(&self, agent: &Agent, new_hash: &str) -> Result<bool> {
        let _ = (agent, new_hash);
        Ok(false)
    }
}

/// Finds customers. Implementations may be called from several threads at
/// once and must not call back into the engine.
pub trait CustomerDirectory: Send + Sync {
    /// The customer with this reference (exact match).
    fn find_by_reference(&self, customer_reference: &str) -> Result<Option<Customer>>;

    /// Spryker's agent search: case-insensitive prefix of e-mail, first or
    /// last name, or equal reference; ordered by id; with the total.
    fn search(&self, query: &CustomerSearch) -> Result<CustomerPage>;
}
