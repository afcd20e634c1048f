//! The one error type of the engine, and how each failure maps onto Spryker's
//! Glue error codes and RFC 6749 error names.

/// Every way an engine call can fail.
///
/// Each variant says when it happens. [`Error::glue_code`], [`Error::http_status`]
/// and [`Error::oauth_error`] give its wire representation, so the Glue layer,
/// the C ABI and the PHP extension never decide a code on their own.
/// Messages never contain a password, a token or a hash.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Agent login failed: unknown username, wrong password, blocked or deleted
    /// agent, empty password or one over 4096 bytes. Deliberately one variant,
    /// so a caller cannot tell which usernames exist. Glue `4101`.
    #[error("Failed to authenticate an agent.")]
    AuthenticationFailed,

    /// Too many failed logins for this client IP and username; the block ends
    /// in `retry_after` seconds. Glue `4401`, HTTP 429.
    #[error(
        "Too many log in attempts from your address. Please wait {} minutes before trying again.",
        retry_after.div_ceil(60)
    )]
    TooManyAttempts {
        /// Seconds until the block ends, rounded up.
        retry_after: u64,
    },

    /// An access token failed verification (malformed, bad signature, expired,
    /// not yet valid, wrong audience) or, under the strict check, its session
    /// is revoked or expired or its agent is no longer active. Glue `001`.
    #[error("Invalid access token.")]
    InvalidAccessToken,

    /// The token in `X-Agent-Authorization` failed verification or the strict
    /// check, or its type is not `Bearer`. Glue `4102`.
    #[error("Agent access token is invalid.")]
    InvalidAgentAccessToken,

    /// A call that needs an access token got none. Glue `002`, HTTP 403.
    #[error("Missing access token.")]
    MissingAccessToken,

    /// The caller is not an agent (no token, or a customer or impersonation
    /// token) where only agents are allowed. Glue `4103`.
    #[error("Action is available to agent user only.")]
    AgentOnly,

    /// A resource of the customer's own (consent codes, the list of
    /// impersonation sessions) was called with an agent or impersonation
    /// token. Glue `4105`, HTTP 403.
    #[error("Action is available to customer user only.")]
    CustomerOnly,

    /// Impersonation refused: empty or unknown customer reference, inactive
    /// customer. Glue `4104`.
    #[error("Failed to impersonate a customer.")]
    ImpersonationFailed,

    /// Refresh refused: unknown, malformed, expired, revoked or reused refresh
    /// token, another client's token, or its agent or customer is no longer
    /// active. Glue `004`.
    #[error("Failed to refresh token.")]
    RefreshFailed,

    /// Too many password verifications are running or waiting: the login was
    /// not admitted within its bound (D28). Nothing was counted or hashed.
    /// HTTP 503 with `Retry-After: 1`; no Glue code.
    #[error("Too many requests in progress. Please try again.")]
    Overloaded,

    /// A request is missing a required value or carries one of the wrong
    /// shape. RFC 6749 `invalid_request`; Glue `901` (422). The message names
    /// the field, Symfony-validator style (`field => what is wrong`).
    #[error("{0}")]
    InvalidRequest(String),

    /// The engine configuration is unusable (bad key, TTL, path, parameter).
    #[error("Configuration error: {0}")]
    Config(String),

    /// The store's database failed (I/O, corruption, lock timeout, lost
    /// connection). The text keeps the backend's cause for logs; it never
    /// carries credentials.
    #[error("Storage error: {0}")]
    Storage(String),

    /// A host-supplied agent or customer directory (C callback, PHP callable)
    /// failed or returned a malformed record. Never counted toward lockout.
    #[error("Directory error: {0}")]
    Directory(String),

    /// An unexpected internal failure (random source, signing backend).
    #[error("Internal error: {0}")]
    Internal(String),
}

/// Result alias used throughout the engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The Glue error code (`"4101"`, `"001"`, ...), as Spryker sends it: a
    /// string with its leading zeros. `None` for internal failures.
    pub fn glue_code(&self) -> Option<&'static str> {
        Some(match self {
            Error::AuthenticationFailed => "4101",
            Error::TooManyAttempts { .. } => "4401",
            Error::InvalidAccessToken => "001",
            Error::InvalidAgentAccessToken => "4102",
            Error::MissingAccessToken => "002",
            Error::AgentOnly => "4103",
            Error::CustomerOnly => "4105",
            Error::ImpersonationFailed => "4104",
            Error::RefreshFailed => "004",
            Error::InvalidRequest(_) => "901",
            _ => return None,
        })
    }

    /// The HTTP status the Glue API answers with for this error.
    pub fn http_status(&self) -> u16 {
        match self {
            Error::AuthenticationFailed
            | Error::InvalidAccessToken
            | Error::InvalidAgentAccessToken
            | Error::AgentOnly
            | Error::ImpersonationFailed
            | Error::RefreshFailed => 401,
            Error::TooManyAttempts { .. } => 429,
            Error::Overloaded => 503,
            Error::MissingAccessToken | Error::CustomerOnly => 403,
            Error::InvalidRequest(_) => 422,
            Error::Config(_) | Error::Storage(_) | Error::Directory(_) | Error::Internal(_) => 500,
        }
    }

    /// The RFC 6749 / RFC 6750 error name for this failure.
    pub fn oauth_error(&self) -> &'static str {
        match self {
            Error::AuthenticationFailed | Error::ImpersonationFailed | Error::RefreshFailed => {
                "invalid_grant"
            }
            Error::TooManyAttempts { .. } | Error::Overloaded => "temporarily_unavailable",
            Error::InvalidAccessToken | Error::InvalidAgentAccessToken => "invalid_token",
            Error::MissingAccessToken | Error::InvalidRequest(_) => "invalid_request",
            Error::AgentOnly | Error::CustomerOnly => "insufficient_scope",
            Error::Config(_) | Error::Storage(_) | Error::Directory(_) | Error::Internal(_) => {
                "server_error"
            }
        }
    }

    /// True for failures of the engine or its host rather than of the request.
    pub fn is_internal(&self) -> bool {
        self.http_status() == 500
    }
}
