//! Scopes, grant types and their configuration, mirroring Spryker's
//! OauthAgentConnector and OauthCustomerConnector plugins.

use serde::Serialize;

/// Scope of agent tokens.
pub const AGENT: &str = "agent";
/// Scope of customer tokens.
pub const CUSTOMER: &str = "customer";
/// Scope marking impersonation tokens.
pub const CUSTOMER_IMPERSONATION: &str = "customer_impersonation";

/// Every scope the installer puts in place.
pub const ALL: [&str; 3] = [AGENT, CUSTOMER, CUSTOMER_IMPERSONATION];

/// Grant type of agent login.
pub const GRANT_AGENT_CREDENTIALS: &str = "agent_credentials";
/// Grant type of customer impersonation.
pub const GRANT_CUSTOMER_IMPERSONATION: &str = "customer_impersonation";
/// Grant type of token refresh.
pub const GRANT_REFRESH_TOKEN: &str = "refresh_token";

/// Spryker's `OauthGrantTypeConfigurationTransfer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrantTypeConfiguration {
    /// The grant type, such as `agent_credentials`.
    pub identifier: &'static str,
    /// The Spryker grant class it stands in for.
    pub fully_qualified_class_name: &'static str,
}

/// The grant types the engine serves, in Spryker's naming.
pub fn grant_type_configurations() -> [GrantTypeConfiguration; 3] {
    [
        GrantTypeConfiguration {
            identifier: GRANT_AGENT_CREDENTIALS,
            fully_qualified_class_name: "Spryker\\Zed\\OauthAgentConnector\\Business\\League\\Grant\\AgentCredentialsGrantType",
        },
        GrantTypeConfiguration {
            identifier: GRANT_CUSTOMER_IMPERSONATION,
            fully_qualified_class_name: "Spryker\\Zed\\OauthCustomerConnector\\Business\\League\\Grant\\CustomerImpersonationGrantType",
        },
        GrantTypeConfiguration {
            identifier: GRANT_REFRESH_TOKEN,
            fully_qualified_class_name: "Spryker\\Zed\\Oauth\\Business\\Model\\League\\Grant\\RefreshTokenGrantType",
        },
    ]
}
