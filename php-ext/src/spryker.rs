//! Spryker-shaped classes for plugin mode (D2): a shop that keeps
//! league/oauth2-server as the issuer delegates its OAuth plugins to these.
//! They take and return arrays with the keys of Spryker's transfer
//! `toArray()` (snake_case), so `OauthUserTransfer::fromArray($result, true)`
//! reads the answer. One class per plugin of the Agent Assist integration
//! guide, plus the impersonation side.
// The PHP methods' parameter names are PHP's, in camelCase, for named
// arguments; ext-php-rs takes them from the Rust names.
#![allow(non_snake_case)]

use agent_oauth_core::scope::{self, GRANT_AGENT_CREDENTIALS, GRANT_CUSTOMER_IMPERSONATION};
use agent_oauth_core::token::Subject;
use agent_oauth_core::{Error, Result};
use ext_php_rs::{
    boxed::ZBox,
    exception::PhpResult,
    flags::ClassFlags,
    prelude::*,
    types::{ZendClassObject, ZendHashTable, Zval},
};

use crate::engine::{Engine, Handle};
use crate::exceptions;

/// `OauthUserTransfer` properties in the order `toArray()` emits them.
const OAUTH_USER_KEYS: [&str; 8] = [
    "is_success",
    "username",
    "password",
    "grant_type",
    "client_id",
    "client_name",
    "user_identifier",
    "customer_reference",
];

/// A string property of a transfer array: absent or null reads as empty.
fn text<'a>(transfer: &'a ZendHashTable, key: &str) -> PhpResult<&'a str> {
    match transfer.get(key).map(Zval::dereference) {
        None => Ok(""),
        Some(z) if z.is_null() => Ok(""),
        Some(z) => z
            .str()
            .ok_or_else(|| exceptions::type_error(format!("`{key}` must be a string or null"))),
    }
}

fn grant_type_is(transfer: &ZendHashTable, grant_type: &str) -> PhpResult<bool> {
    Ok(text(transfer, "grant_type")? == grant_type)
}

/// The `OauthUserTransfer` answer: the request's properties, with
/// `is_success` and `user_identifier` (the `sub` JSON string) set.
fn oauth_user_transfer(
    request: &ZendHashTable,
    user_identifier: Option<String>,
) -> PhpResult<ZBox<ZendHashTable>> {
    let mut user = ZendHashTable::with_capacity(OAUTH_USER_KEYS.len() as u32);
    for key in OAUTH_USER_KEYS {
        match key {
            "is_success" => user.insert(key, user_identifier.is_some())?,
            "user_identifier" => user.insert(key, user_identifier.clone())?,
            _ => match request.get(key) {
                Some(value) => user.insert(key, value.dereference().shallow_clone())?,
                None => user.insert(key, Zval::null())?,
            },
        }
    }
    Ok(user)
}

/// `OauthScopeTransfer`s: the request's `default_scopes`, then those the
/// core grants for `grant_type`.
fn scopes(request: &ZendHashTable, grant_type: &str) -> PhpResult<ZBox<ZendHashTable>> {
    let mut list = ZendHashTable::new();
    if let Some(defaults) = request.get("default_scopes").map(Zval::dereference) {
        match defaults.array() {
            Some(defaults) => {
                for scope in defaults.values() {
                    list.push(scope.dereference().shallow_clone())?;
                }
            }
            None if defaults.is_null() => {}
            None => return Err(exceptions::type_error("`default_scopes` must be an array")),
        }
    }
    for identifier in agent_oauth_core::grant::scopes_for(grant_type).unwrap_or_default() {
        let mut scope = ZendHashTable::with_capacity(1);
        scope.insert("identifier", *identifier)?;
        list.push(scope)?;
    }
    Ok(list)
}

/// A user provider's answer: the identifier on success, `None` when the
/// core refuses the user, an exception for anything else.
fn refused_as_none(result: Result<Option<String>>) -> Result<Option<String>> {
    match result {
        Err(Error::AuthenticationFailed | Error::ImpersonationFailed) => Ok(None),
        other => other,
    }
}

/// Spryker's `AgentOauthUserProviderPlugin`: checks an agent's credentials
/// for the `agent_credentials` grant.
#[php_class]
#[php(name = "AgentOauth\\AgentOauthUserProvider")]
#[php(flags = ClassFlags::Final)]
pub struct AgentOauthUserProvider {
    handle: Handle,
}

#[php_impl]
impl AgentOauthUserProvider {
    pub fn __construct(engine: &ZendClassObject<Engine>) -> Self {
        AgentOauthUserProvider {
            handle: engine.handle().clone(),
        }
    }

    /// True for the `agent_credentials` grant.
    pub fn accept(&self, oauthUser: &ZendHashTable) -> PhpResult<bool> {
        grant_type_is(oauthUser, GRANT_AGENT_CREDENTIALS)
    }

    /// The `OauthUserTransfer` with `is_success` and `user_identifier` (the
    /// agent's `sub` JSON) when `username` and `password` are an active
    /// agent's; `is_success` false otherwise. No lockout in plugin mode (D2).
    pub fn get_user(&self, oauthUser: &ZendHashTable) -> PhpResult<ZBox<ZendHashTable>> {
        let username = text(oauthUser, "username")?;
        let password = text(oauthUser, "password")?;
        let identifier = self.handle.call(|e| {
            refused_as_none(
                e.verify_agent_credentials(username, password)
                    .map(|agent| Some(Subject::agent(agent.id).to_php_json())),
            )
        })?;
        oauth_user_transfer(oauthUser, identifier)
    }
}

/// Spryker's `AgentOauthScopeProviderPlugin`: the agent scope.
#[php_class]
#[php(name = "AgentOauth\\AgentOauthScopeProvider")]
#[php(flags = ClassFlags::Final)]
pub struct AgentOauthScopeProvider;

#[php_impl]
impl AgentOauthScopeProvider {
    pub fn __construct() -> Self {
        AgentOauthScopeProvider
    }

    /// True for the `agent_credentials` grant.
    pub fn accept(&self, oauthScopeRequest: &ZendHashTable) -> PhpResult<bool> {
        grant_type_is(oauthScopeRequest, GRANT_AGENT_CREDENTIALS)
    }

    /// `default_scopes` followed by `['identifier' => 'agent']`.
    pub fn get_scopes(&self, oauthScopeRequest: &ZendHashTable) -> PhpResult<ZBox<ZendHashTable>> {
        scopes(oauthScopeRequest, GRANT_AGENT_CREDENTIALS)
    }
}

/// Spryker's `AgentCredentialsOauthGrantTypeConfigurationProviderPlugin`.
#[php_class]
#[php(name = "AgentOauth\\AgentCredentialsOauthGrantTypeConfigurationProvider")]
#[php(flags = ClassFlags::Final)]
pub struct AgentCredentialsOauthGrantTypeConfigurationProvider;

#[php_impl]
impl AgentCredentialsOauthGrantTypeConfigurationProvider {
    pub fn __construct() -> Self {
        AgentCredentialsOauthGrantTypeConfigurationProvider
    }

    /// The `OauthGrantTypeConfigurationTransfer` of `agent_credentials`.
    pub fn get_grant_type_configuration(&self) -> PhpResult<ZBox<ZendHashTable>> {
        let configuration = scope::grant_type_configurations()
            .into_iter()
            .find(|c| c.identifier == GRANT_AGENT_CREDENTIALS)
            .ok_or_else(|| {
                exceptions::from_core(Error::Internal("no agent_credentials grant".into()))
            })?;
        let mut transfer = ZendHashTable::with_capacity(3);
        transfer.insert("identifier", configuration.identifier)?;
        transfer.insert(
            "fully_qualified_class_name",
            configuration.fully_qualified_class_name,
        )?;
        transfer.insert("builder_fully_qualified_class_name", Zval::null())?;
        Ok(transfer)
    }
}

/// Spryker's `AgentOauthScopeInstallerPlugin`, for the engine's database.
#[php_class]
#[php(name = "AgentOauth\\AgentOauthScopeInstaller")]
#[php(flags = ClassFlags::Final)]
pub struct AgentOauthScopeInstaller {
    handle: Handle,
}

#[php_impl]
impl AgentOauthScopeInstaller {
    pub fn __construct(engine: &ZendClassObject<Engine>) -> Self {
        AgentOauthScopeInstaller {
            handle: engine.handle().clone(),
        }
    }

    /// Installs `agent`, `customer` and `customer_impersonation` where
    /// missing (idempotent); the identifiers added.
    pub fn install(&self) -> PhpResult<Vec<String>> {
        self.handle.call(|e| e.install_scopes())
    }
}

/// Spryker's `CustomerImpersonationOauthUserProvider`: the customer of the
/// `customer_impersonation` grant.
#[php_class]
#[php(name = "AgentOauth\\CustomerImpersonationOauthUserProvider")]
#[php(flags = ClassFlags::Final)]
pub struct CustomerImpersonationOauthUserProvider {
    handle: Handle,
}

#[php_impl]
impl CustomerImpersonationOauthUserProvider {
    pub fn __construct(engine: &ZendClassObject<Engine>) -> Self {
        CustomerImpersonationOauthUserProvider {
            handle: engine.handle().clone(),
        }
    }

    /// True for the `customer_impersonation` grant.
    pub fn accept(&self, oauthUser: &ZendHashTable) -> PhpResult<bool> {
        grant_type_is(oauthUser, GRANT_CUSTOMER_IMPERSONATION)
    }

    /// The `OauthUserTransfer` with `is_success` and `user_identifier` (the
    /// customer's `sub` JSON) when `customer_reference` names an active
    /// customer; `is_success` false otherwise.
    pub fn get_user(&self, oauthUser: &ZendHashTable) -> PhpResult<ZBox<ZendHashTable>> {
        let reference = text(oauthUser, "customer_reference")?;
        let identifier = self.handle.call(|e| {
            refused_as_none(
                e.impersonable_customer(reference)
                    .map(|c| c.map(|c| Subject::customer(&c).to_php_json())),
            )
        })?;
        oauth_user_transfer(oauthUser, identifier)
    }
}

/// Spryker's `CustomerImpersonationOauthScopeProviderPlugin`.
#[php_class]
#[php(name = "AgentOauth\\CustomerImpersonationOauthScopeProvider")]
#[php(flags = ClassFlags::Final)]
pub struct CustomerImpersonationOauthScopeProvider;

#[php_impl]
impl CustomerImpersonationOauthScopeProvider {
    pub fn __construct() -> Self {
        CustomerImpersonationOauthScopeProvider
    }

    /// True for the `customer_impersonation` grant.
    pub fn accept(&self, oauthScopeRequest: &ZendHashTable) -> PhpResult<bool> {
        grant_type_is(oauthScopeRequest, GRANT_CUSTOMER_IMPERSONATION)
    }

    /// `default_scopes` followed by `customer_impersonation` and `customer`.
    pub fn get_scopes(&self, oauthScopeRequest: &ZendHashTable) -> PhpResult<ZBox<ZendHashTable>> {
        scopes(oauthScopeRequest, GRANT_CUSTOMER_IMPERSONATION)
    }
}
