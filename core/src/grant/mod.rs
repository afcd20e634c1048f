//! The grants: one type per grant, a small trait and a registry keyed by
//! grant type, as league/oauth2-server's `Grant/` folder.

mod agent_credentials;
mod customer_impersonation;
mod refresh_token;

use crate::engine::{Engine, TokenResponse};
use crate::error::Result;

pub use agent_credentials::AgentCredentialsGrant;
pub use customer_impersonation::{CustomerImpersonationGrant, MAX_REASON_LEN};
pub use refresh_token::RefreshTokenGrant;

/// A token request, as Spryker's `OauthRequestTransfer`: each grant reads the
/// fields it needs and ignores the rest.
#[derive(Clone, Copy, Default)]
pub struct GrantRequest<'a> {
    /// `agent_credentials`, `customer_impersonation` or `refresh_token`.
    pub grant_type: &'a str,
    /// Agent login name (`agent_credentials`).
    pub username: Option<&'a str>,
    /// Agent password (`agent_credentials`).
    pub password: Option<&'a str>,
    /// The agent's access token (`customer_impersonation`).
    pub agent_token: Option<&'a str>,
    /// The customer to impersonate (`customer_impersonation`).
    pub customer_reference: Option<&'a str>,
    /// Why the agent impersonates, for the audit log (`customer_impersonation`).
    pub reason: Option<&'a str>,
    /// The code the customer created to consent (`customer_impersonation`,
    /// when the policy requires consent).
    pub consent_code: Option<&'a str>,
    /// The refresh token to exchange (`refresh_token`).
    pub refresh_token: Option<&'a str>,
    /// The client's IP address: lockout key and audit.
    pub client_ip: &'a str,
}

impl std::fmt::Debug for GrantRequest<'_> {
    // Secrets stay out of debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrantRequest")
            .field("grant_type", &self.grant_type)
            .field("username", &self.username)
            .field("customer_reference", &self.customer_reference)
            .field("client_ip", &self.client_ip)
            .finish_non_exhaustive()
    }
}

/// One grant type.
pub trait Grant: Send + Sync {
    /// The grant type it serves.
    fn identifier(&self) -> &'static str;
    /// The scopes its tokens carry, as Spryker's scope provider plugins
    /// answer them (`AgentOauthScopeProviderPlugin`,
    /// `CustomerImpersonationOauthScopeProviderPlugin`); empty for a grant
    /// that keeps the scopes of the token it exchanges (refresh).
    fn scopes(&self) -> &'static [&'static str];
    /// Checks the request and issues a token pair.
    fn handle(&self, engine: &Engine, request: &GrantRequest<'_>) -> Result<TokenResponse>;
}

/// The scopes of a grant type; `None` for a type the engine does not serve.
/// The one answer every front end gives (Glue, C, PHP plugin mode).
pub fn scopes_for(grant_type: &str) -> Option<&'static [&'static str]> {
    registry()
        .into_iter()
        .find(|g| g.identifier() == grant_type)
        .map(|g| g.scopes())
}

pub(crate) fn registry() -> Vec<Box<dyn Grant>> {
    vec![
        Box::new(AgentCredentialsGrant),
        Box::new(CustomerImpersonationGrant),
        Box::new(RefreshTokenGrant),
    ]
}
