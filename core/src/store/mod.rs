//! Storage behind traits: refresh tokens (sessions), audit events and lockout
//! counters. [`sqlite::SqliteStore`] implements all of them, and the agent and
//! customer directories, on one embedded SQLite file.

pub mod sqlite;

use crate::audit::{AuditEvent, AuditQuery};
use crate::error::Result;
use crate::lockout::LockoutState;

/// What a refresh-token family stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// An agent's own session.
    Agent,
    /// An agent impersonating a customer.
    Impersonation,
}

impl SessionKind {
    pub(crate) fn code(self) -> i64 {
        match self {
            SessionKind::Agent => 1,
            SessionKind::Impersonation => 2,
        }
    }

    pub(crate) fn from_code(code: i64) -> Option<Self> {
        match code {
            1 => Some(SessionKind::Agent),
            2 => Some(SessionKind::Impersonation),
            _ => None,
        }
    }
}

/// One refresh token. A session is a family of them (D3): the first row and
/// every row rotated from it. Only the SHA-256 of the token is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshTokenRow {
    /// The first 8 bytes of the token hash, big-endian, as the row key.
    pub id: i64,
    /// SHA-256 of the token.
    pub token_hash: [u8; 32],
    /// The id of the family's first row.
    pub family_id: i64,
    /// The row this one was rotated from.
    pub parent_id: Option<i64>,
    /// For an impersonation: the agent's own family that started it, so the
    /// impersonation dies with that session.
    pub origin_family_id: Option<i64>,
    /// Agent session or impersonation.
    pub kind: SessionKind,
    /// The agent, or the acting agent of an impersonation.
    pub agent_id: i64,
    /// The agent's username, to re-check the agent through its directory.
    pub agent_username: String,
    /// The impersonated customer.
    pub customer_reference: Option<String>,
    /// Scope identifiers, space-separated.
    pub scopes: String,
    /// The client the token was issued to.
    pub client_id: String,
    /// The raw `jti` of the access token issued together with this token.
    pub jti: [u8; 40],
    /// Latest expiry any token of the family may have (impersonations: the
    /// agent token's `exp`, D4).
    pub cap_at: Option<i64>,
    /// Issued, Unix seconds.
    pub issued_at: i64,
    /// Refresh-token expiry, Unix seconds.
    pub expires_at: i64,
    /// When it was exchanged; a spent token.
    pub used_at: Option<i64>,
    /// When its family was revoked.
    pub revoked_at: Option<i64>,
}

impl std::fmt::Debug for RefreshTokenRow {
    // The hash stays out of debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshTokenRow")
            .field("id", &self.id)
            .field("family_id", &self.family_id)
            .field("kind", &self.kind)
            .field("agent_id", &self.agent_id)
            .field("customer_reference", &self.customer_reference)
            .field("expires_at", &self.expires_at)
            .field("used_at", &self.used_at)
            .field("revoked_at", &self.revoked_at)
            .finish_non_exhaustive()
    }
}

/// Which sessions a revocation ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeScope<'a> {
    /// One family of `agent_id`, and every impersonation started from it.
    Family {
        /// The agent (or acting agent) of the family.
        agent_id: i64,
        /// The family.
        family_id: i64,
    },
    /// Every session of the agent and every impersonation it started.
    Agent(i64),
    /// Every impersonation session of the customer.
    Customer(&'a str),
    /// The impersonation sessions of one customer by one acting agent.
    AgentCustomer {
        /// The acting agent.
        agent_id: i64,
        /// The customer.
        customer_reference: &'a str,
    },
}

/// How hard a write must reach the disk before it counts (D23).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// WAL with `synchronous=NORMAL`: a power cut may lose the last commits.
    Normal,
    /// `synchronous=FULL`, for revocations and password changes.
    Full,
}

/// Operations inside one write transaction of a [`TokenStore`].
pub trait TokenWriter {
    /// Reads a row as of this transaction.
    fn find(&mut self, id: i64) -> Result<Option<RefreshTokenRow>>;
    /// Inserts a row; false when a row with this id exists already.
    fn insert(&mut self, row: &RefreshTokenRow) -> Result<bool>;
    /// Marks a row spent.
    fn mark_used(&mut self, id: i64, at: i64) -> Result<()>;
    /// Revokes the sessions in `scope` not yet revoked; returns how many families.
    fn revoke(&mut self, scope: RevokeScope<'_>, at: i64) -> Result<usize>;
    /// Appends an audit event in the same transaction.
    fn audit(&mut self, event: &AuditEvent) -> Result<()>;
}

/// The closure run inside a [`TokenStore::write`] transaction.
pub type WriteFn<'a> = dyn FnMut(&mut dyn TokenWriter) -> Result<()> + 'a;

/// Refresh tokens and the sessions they form.
pub trait TokenStore: Send + Sync {
    /// The row with this id.
    fn find(&self, id: i64) -> Result<Option<RefreshTokenRow>>;
    /// The row whose access token has this `jti`.
    fn find_by_jti(&self, jti: &[u8; 40]) -> Result<Option<RefreshTokenRow>>;
    /// Runs `f` in one write transaction, committed when it returns `Ok`.
    fn write(&self, durability: Durability, f: &mut WriteFn<'_>) -> Result<()>;
    /// Deletes rows that expired before `before`; returns how many.
    fn purge_expired(&self, before: i64) -> Result<usize>;
}

/// The audit log.
pub trait AuditStore: Send + Sync {
    /// Appends one event.
    fn record(&self, event: &AuditEvent) -> Result<()>;
    /// Events matching `query`, oldest first.
    fn query(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>>;
    /// Deletes events recorded before `before`; returns how many.
    fn purge(&self, before: i64) -> Result<usize>;
}

/// The closure run by [`LockoutStore::update`].
pub type LockoutFn<'a> = dyn FnMut(Option<LockoutState>) -> Option<LockoutState> + 'a;

/// Failed-login counters, shared by every process on the database.
pub trait LockoutStore: Send + Sync {
    /// The counter of `key`.
    fn get(&self, key: &str) -> Result<Option<LockoutState>>;
    /// Replaces the counter of `key` by `f(current)` atomically; `None`
    /// deletes it. Concurrent updates of one key, from any thread or
    /// process, run one after the other: the lockout's reservation (D27)
    /// depends on it.
    fn update(&self, key: &str, f: &mut LockoutFn<'_>) -> Result<Option<LockoutState>>;
    /// Deletes counters whose window began at or before `window_started_by`
    /// and that are not blocked after `now`; returns how many.
    fn purge(&self, window_started_by: i64, now: i64) -> Result<usize>;
}
