//! Audit events: what happened, to whom, by whom, from where. Append-only;
//! never a password, token or hash.

use serde::{Deserialize, Serialize};

/// The kinds of audited events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    /// An agent logged in.
    AgentLoginSucceeded,
    /// A login was refused (`code` 4101, or 4401 while blocked).
    AgentLoginFailed,
    /// Failed logins reached the limit; a block started.
    AgentLockedOut,
    /// An agent started impersonating a customer.
    ImpersonationStarted,
    /// An impersonation was refused (`code` says why).
    ImpersonationDenied,
    /// A refresh token was exchanged for a new pair.
    TokenRefreshed,
    /// A spent refresh token came back within the grace window and got a sibling pair.
    RefreshReuseGranted,
    /// A spent refresh token came back after the grace window; its family was revoked.
    RefreshReuseDetected,
    /// Sessions were revoked (by the caller, an administrator or a status change).
    SessionRevoked,
    /// A validly signed agent token was refused by the strict check: its
    /// session is revoked or expired, or the agent is no longer active.
    AgentTokenRefused,
    /// A customer created an impersonation consent code (never the code itself).
    ConsentCreated,
}

impl AuditKind {
    /// The stored name, such as `impersonation_started`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::AgentLoginSucceeded => "agent_login_succeeded",
            AuditKind::AgentLoginFailed => "agent_login_failed",
            AuditKind::AgentLockedOut => "agent_locked_out",
            AuditKind::ImpersonationStarted => "impersonation_started",
            AuditKind::ImpersonationDenied => "impersonation_denied",
            AuditKind::TokenRefreshed => "token_refreshed",
            AuditKind::RefreshReuseGranted => "refresh_reuse_granted",
            AuditKind::RefreshReuseDetected => "refresh_reuse_detected",
            AuditKind::SessionRevoked => "session_revoked",
            AuditKind::AgentTokenRefused => "agent_token_refused",
            AuditKind::ConsentCreated => "consent_created",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        ALL_KINDS.iter().copied().find(|k| k.as_str() == s)
    }
}

const ALL_KINDS: [AuditKind; 11] = [
    AuditKind::AgentLoginSucceeded,
    AuditKind::AgentLoginFailed,
    AuditKind::AgentLockedOut,
    AuditKind::ImpersonationStarted,
    AuditKind::ImpersonationDenied,
    AuditKind::TokenRefreshed,
    AuditKind::RefreshReuseGranted,
    AuditKind::RefreshReuseDetected,
    AuditKind::SessionRevoked,
    AuditKind::AgentTokenRefused,
    AuditKind::ConsentCreated,
];

/// One audited event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEvent {
    /// Sequence number assigned by the store (0 before it is stored).
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    /// What happened.
    pub kind: AuditKind,
    /// The agent involved (the acting agent for impersonation events).
    pub agent_id: Option<i64>,
    /// The username presented or resolved.
    pub agent_username: Option<String>,
    /// The customer involved.
    pub customer_reference: Option<String>,
    /// The client's IP address.
    pub client_ip: Option<String>,
    /// The `jti` of the access token issued or presented.
    pub jti: Option<String>,
    /// The agent's stated reason for an impersonation.
    pub reason: Option<String>,
    /// The Glue code of a refusal, or the number of sessions revoked.
    pub code: Option<String>,
    /// The impersonation policy's part (issue 12): the rule that refused an
    /// impersonation and its figures (`max_active_sessions_per_agent: 3 of
    /// 3`), or the figures a start was admitted under.
    pub policy: Option<String>,
}

impl AuditEvent {
    /// An event of `kind` at `at`, all other fields empty.
    pub fn new(kind: AuditKind, at: i64) -> Self {
        AuditEvent {
            id: 0,
            at,
            kind,
            agent_id: None,
            agent_username: None,
            customer_reference: None,
            client_ip: None,
            jti: None,
            reason: None,
            code: None,
            policy: None,
        }
    }
}

/// The events an audit query answers when it sets no limit.
pub const DEFAULT_QUERY_LIMIT: u32 = 1000;

/// Longest text the engine writes into an audit field from a request
/// (username, customer reference, client IP), in bytes: a hostile client
/// cannot grow the log by sending long values.
pub const MAX_FIELD_LEN: usize = 256;

/// `s` cut to at most `max` bytes on a character boundary.
pub(crate) fn clip(s: &str, max: usize) -> &str {
    let end = (0..=max.min(s.len()))
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0);
    &s[..end]
}

/// A request value as an audit field: at most [`MAX_FIELD_LEN`] bytes.
pub(crate) fn field(s: &str) -> Option<String> {
    Some(clip(s, MAX_FIELD_LEN).to_owned())
}

/// A filter for [`crate::Engine::audit_events`]; empty fields match all.
///
/// Its JSON form (the C ABI's `query_json`) is read here, once: every key
/// optional, unknown keys refused, `{"agent_id":1,"customer_reference":
/// "DE--5","from":<unix>,"to":<unix>,"limit":100}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditQuery {
    /// Only events of this agent.
    pub agent_id: Option<i64>,
    /// Only events of this customer.
    pub customer_reference: Option<String>,
    /// Only events at or after this time (Unix seconds).
    pub from: Option<i64>,
    /// Only events before this time (Unix seconds).
    pub to: Option<i64>,
    /// At most this many events, oldest first; 0 means
    /// [`DEFAULT_QUERY_LIMIT`] (the engine resolves it; stores never see 0).
    pub limit: u32,
}
