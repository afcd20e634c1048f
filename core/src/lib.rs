//! # agent-oauth core
//!
//! Support-agent authentication for Spryker-compatible shops, as an
//! embeddable engine: agents log in (`agent_credentials`), impersonate
//! customers (`customer_impersonation`), refresh (`refresh_token`) and revoke,
//! with RS256 JWTs in the exact layout Spryker shops accept and sessions in an
//! embedded SQLite database.
//!
//! ```
//! use agent_oauth_core::{Engine, directory::{AgentStatus, Customer}};
//!
//! # fn main() -> agent_oauth_core::Result<()> {
//! let engine = Engine::builder()
//!     .private_key_pem(agent_oauth_core::token::generate_private_key_pem()?)
//!     .database_path(":memory:")
//!     .argon2(agent_oauth_core::password::Argon2Config { memory_kib: 256, iterations: 1, parallelism: 1 })
//!     .build()?;
//! engine.install_scopes()?;
//! engine.add_agent("admin@spryker.com", "change123", AgentStatus::Active)?;
//! engine.upsert_customer(&Customer {
//!     id_customer: 5,
//!     customer_reference: "DE--5".into(),
//!     email: "spencor.hopkin@spryker.com".into(),
//!     first_name: "Spencor".into(),
//!     last_name: "Hopkin".into(),
//!     id_company_user: None,
//!     permissions: None,
//!     is_active: true,
//!     impersonation_allowed: true,
//! })?;
//!
//! let agent = engine.agent_login("admin@spryker.com", "change123", "127.0.0.1")?;
//! let customer = engine.impersonate(&agent.access_token, "DE--5", Some("ticket 42"), "127.0.0.1")?;
//! let claims = engine.verify_strict(&customer.access_token)?;
//! assert_eq!(claims.subject.customer_reference.as_deref(), Some("DE--5"));
//! assert_eq!(claims.act.unwrap().agent_id(), Some(1));
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod admin;
pub mod admission;
pub mod audit;
pub mod client_ip;
pub mod clock;
pub mod config;
pub mod consent;
pub mod directory;
mod engine;
pub mod error;
pub mod glue;
pub mod grant;
pub mod introspect;
pub mod lockout;
pub mod password;
pub mod policy;
pub mod random;
mod revoke;
pub mod scope;
pub mod search;
pub mod store;
pub mod token;

pub use config::Config;
pub use engine::{
    AgentCaller, Engine, EngineBuilder, REFRESH_TOKEN_PREFIX, TokenResponse, bearer_token,
};
pub use error::{Error, Result};
