//! `AgentOauth\Engine`: the core engine's operations with PHP types.
// The PHP methods' parameter names are PHP's, in camelCase, for named
// arguments; ext-php-rs takes them from the Rust names.
#![allow(non_snake_case)]

use std::sync::Arc;

use agent_oauth_core::audit::AuditQuery;
use agent_oauth_core::directory::{AgentStatus, Customer};
use agent_oauth_core::glue::GlueRequest;
use agent_oauth_core::{Error, search};
use ext_php_rs::{
    binary::Binary,
    binary_slice::BinarySlice,
    boxed::ZBox,
    exception::PhpResult,
    flags::ClassFlags,
    prelude::*,
    types::{ArrayKey, ZendHashTable, Zval},
};

use crate::convert::{self, EmptyArray};
use crate::exceptions::{self, from_core};
use crate::host::{Callable, Scope, SharedCallables};
use crate::shared::{self, CoreEngine};

/// A Rust engine and the host callables of the PHP object that uses it.
/// Plugin objects built on an `Engine` share both.
#[derive(Clone)]
pub struct Handle {
    core: Arc<CoreEngine>,
    callables: SharedCallables,
}

impl Handle {
    fn new(core: Arc<CoreEngine>) -> Self {
        Handle {
            core,
            callables: SharedCallables::default(),
        }
    }

    /// Runs one core call with this object's callables current; a core error
    /// becomes its PHP exception.
    pub fn call<T>(
        &self,
        f: impl FnOnce(&agent_oauth_core::Engine) -> agent_oauth_core::Result<T>,
    ) -> PhpResult<T> {
        if crate::host::in_callable() {
            return Err(from_core(Error::Directory(
                "a directory callable must not call the engine (D19)".into(),
            )));
        }
        let _scope = Scope::enter(&self.callables);
        f(&self.core.engine).map_err(from_core)
    }
}

/// A request error the core would raise for the same mistake.
fn invalid(message: impl Into<String>) -> ext_php_rs::exception::PhpException {
    from_core(Error::InvalidRequest(message.into()))
}

fn status(status: &str) -> PhpResult<AgentStatus> {
    AgentStatus::parse(status).ok_or_else(|| {
        invalid(format!(
            "status must be active, blocked or deleted, not {status:?}"
        ))
    })
}

fn not_negative(name: &str, value: i64) -> PhpResult<u64> {
    u64::try_from(value).map_err(|_| invalid(format!("{name} must not be negative")))
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The agent-assist OAuth engine: agent login, impersonation, refresh,
/// revocation, verification, the Glue handler and administration.
#[php_class]
#[php(name = "AgentOauth\\Engine")]
#[php(flags = ClassFlags::Final)]
pub struct Engine {
    handle: Handle,
}

impl Engine {
    pub fn handle(&self) -> &Handle {
        &self.handle
    }
}

#[php_impl]
impl Engine {
    /// Builds a private engine from a configuration array (the core's
    /// schema, D10). It opens the database and parses the key now.
    pub fn __construct(config: &ZendHashTable) -> PhpResult<Self> {
        let config = convert::config(config).map_err(from_core)?;
        let core = shared::build(config).map_err(from_core)?;
        Ok(Engine {
            handle: Handle::new(core),
        })
    }

    /// An engine on the Rust engine this process keeps for `config`, built on
    /// first use and reused by later requests of the same worker (D20). The
    /// returned object has no callables of its own yet.
    pub fn shared(config: &ZendHashTable) -> PhpResult<Self> {
        let config = convert::config(config).map_err(from_core)?;
        let core = shared::shared(config).map_err(from_core)?;
        Ok(Engine {
            handle: Handle::new(core),
        })
    }

    /// `pid`, `shared_engines` (kept for this process) and `engines_built`
    /// (every engine this process built, shared or not).
    pub fn process_info() -> PhpResult<ZBox<ZendHashTable>> {
        let mut info = ZendHashTable::with_capacity(3);
        info.insert("pid", i64::from(std::process::id()))?;
        info.insert("shared_engines", count(shared::shared_count()))?;
        info.insert(
            "engines_built",
            i64::try_from(shared::builds()).unwrap_or(i64::MAX),
        )?;
        Ok(info)
    }

    /// Whether `$token` looks like one the engine issued (an impersonation
    /// token's `act`, an agent token's `id_agent`, and a header `kid`, which
    /// league's own tokens lack), read without any cryptography and without
    /// an engine: the cheap first test of a resource server, which then
    /// applies `verify($token, true)` to the engine's tokens and leaves every
    /// other to Spryker (issue 12). Any value is accepted: a header's bytes
    /// that are not UTF-8 (or not a string) are simply not the engine's,
    /// never a `TypeError` in the middle of a request.
    pub fn is_engine_token(token: &Zval) -> bool {
        token
            .str()
            .is_some_and(agent_oauth_core::token::is_engine_token)
    }

    /// Which Rust engine this object uses: equal for objects sharing one.
    pub fn instance_id(&self) -> i64 {
        i64::try_from(self.handle.core.serial).unwrap_or(i64::MAX)
    }

    /// Agents come from `$findByUsername(string $username): ?array` (D19:
    /// `id`, `username`, `password_hash`, `status`) instead of the engine's
    /// database.
    pub fn set_agent_directory(&self, findByUsername: Callable) {
        self.handle
            .callables
            .borrow_mut()
            .set_agents(findByUsername);
    }

    /// Customers come from `$findByReference(string $reference): ?array`
    /// and, for the search, `$search(string $q, int $offset, int $limit):
    /// array` (`customers`, `total`) instead of the engine's database.
    pub fn set_customer_directory(&self, findByReference: Callable, search: Option<Callable>) {
        self.handle
            .callables
            .borrow_mut()
            .set_customers(findByReference, search);
    }

    /// Forgets the callables; the engine's database answers again.
    pub fn clear_directories(&self) {
        self.handle.callables.borrow_mut().clear();
    }

    /// Agent login (`agent_credentials`): the token response.
    pub fn agent_login(
        &self,
        username: &str,
        password: &str,
        clientIp: &str,
    ) -> PhpResult<ZBox<ZendHashTable>> {
        let t = self
            .handle
            .call(|e| e.agent_login(username, password, clientIp))?;
        convert::token_response(&t)
    }

    /// Impersonation (`customer_impersonation`) with an agent access token;
    /// `consentCode` is the code the customer created, when the policy
    /// requires consent (`impersonation.require_customer_consent`).
    pub fn impersonate_customer(
        &self,
        agentToken: &str,
        customerReference: &str,
        reason: Option<&str>,
        clientIp: &str,
        consentCode: Option<&str>,
    ) -> PhpResult<ZBox<ZendHashTable>> {
        let t = self.handle.call(|e| {
            e.impersonate_with_consent(agentToken, customerReference, reason, consentCode, clientIp)
        })?;
        convert::token_response(&t)
    }

    /// Refresh (`refresh_token`): a new pair; the presented token is spent.
    pub fn refresh(&self, refreshToken: &str, clientIp: &str) -> PhpResult<ZBox<ZendHashTable>> {
        let t = self.handle.call(|e| e.refresh(refreshToken, clientIp))?;
        convert::token_response(&t)
    }

    /// Revokes the family of `refresh_token` if the caller may (D8); the
    /// number of sessions revoked (0 when it may not).
    pub fn revoke(&self, callerToken: &str, refreshToken: &str, clientIp: &str) -> PhpResult<i64> {
        self.handle
            .call(|e| e.revoke(callerToken, refreshToken, clientIp))
            .map(count)
    }

    /// Revokes the caller's own sessions (`/refresh-tokens/mine`).
    pub fn revoke_mine(&self, callerToken: &str, clientIp: &str) -> PhpResult<i64> {
        self.handle
            .call(|e| e.revoke_mine(callerToken, clientIp))
            .map(count)
    }

    /// Revokes every session of an agent and the impersonations it started.
    pub fn revoke_all_for_agent(&self, agentId: i64) -> PhpResult<i64> {
        self.handle
            .call(|e| e.revoke_all_for_agent(agentId))
            .map(count)
    }

    /// Revokes every impersonation session of a customer.
    pub fn revoke_all_for_customer(&self, customerReference: &str) -> PhpResult<i64> {
        self.handle
            .call(|e| e.revoke_all_for_customer(customerReference))
            .map(count)
    }

    /// Verifies an access token: the claims in token order, then `kind` and
    /// `agent_id`. `$strict` also requires a live session (D3).
    #[php(defaults(strict = false))]
    pub fn verify(&self, token: &str, strict: bool) -> PhpResult<ZBox<ZendHashTable>> {
        let claims = self.handle.call(|e| match strict {
            true => e.verify_strict(token),
            false => e.verify(token),
        })?;
        convert::claims(&claims)
    }

    /// RFC 7662 introspection of an access or refresh token (D15).
    pub fn introspect(
        &self,
        authorization: Option<&str>,
        token: &str,
    ) -> PhpResult<ZBox<ZendHashTable>> {
        let answer = self.handle.call(|e| e.introspect(authorization, token))?;
        convert::serialized(&answer)
    }

    /// Spryker's agent customer search: `customers`, `total`, and the
    /// `offset` and `limit` applied (both or neither count, D14).
    #[php(optional = "q")]
    pub fn search_customers(
        &self,
        q: Option<&str>,
        offset: Option<i64>,
        limit: Option<i64>,
    ) -> PhpResult<ZBox<ZendHashTable>> {
        let offset = offset.map(|o| not_negative("offset", o)).transpose()?;
        let limit = limit.map(|l| not_negative("limit", l)).transpose()?;
        let paging = search::paging(offset, limit).map_err(from_core)?;
        let query = search::page(q.unwrap_or_default(), paging);
        let page = self.handle.call(|e| e.search_customers(&query))?;
        let mut result = ZendHashTable::with_capacity(4);
        result.insert("customers", convert::serialized(&page.customers)?)?;
        result.insert("total", i64::try_from(page.total).unwrap_or(i64::MAX))?;
        result.insert("offset", i64::from(query.offset))?;
        result.insert("limit", i64::from(query.limit))?;
        Ok(result)
    }

    /// Answers one Glue request (D10): `status`, `headers` (a list of
    /// `[name, value]` pairs) and `body`. Headers come as pairs or as
    /// `name => value`. Errors are answers, not exceptions.
    pub fn handle_glue_request(
        &self,
        method: &str,
        path: &str,
        query: &str,
        headers: &ZendHashTable,
        body: BinarySlice<u8>,
        clientIp: &str,
    ) -> PhpResult<ZBox<ZendHashTable>> {
        let owned = convert::headers(headers)?;
        let pairs: Vec<(&str, &str)> = owned
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let request = GlueRequest {
            method,
            path,
            query,
            headers: &pairs,
            body: &body,
            client_ip: clientIp,
        };
        let response = self.handle.call(|e| Ok(e.handle_glue(&request)))?;
        let mut headers = ZendHashTable::with_capacity(convert_len(response.headers.len()));
        for (name, value) in &response.headers {
            let mut pair = ZendHashTable::with_capacity(2);
            pair.push(*name)?;
            pair.push(value.as_str())?;
            headers.push(pair)?;
        }
        let mut result = ZendHashTable::with_capacity(3);
        result.insert("status", i64::from(response.status))?;
        result.insert("headers", headers)?;
        result.insert("body", Binary::from(response.body))?;
        Ok(result)
    }

    /// The public keys as a JWKS document.
    pub fn jwks(&self) -> PhpResult<ZBox<ZendHashTable>> {
        convert::serialized(&self.handle.core.engine.jwks())
    }

    /// The signing key's public half as PEM (`BEGIN PUBLIC KEY`), for
    /// `openssl_verify()` and Spryker's `OAUTH_KEY_PUBLIC_PATH`.
    pub fn public_key_pem(&self) -> String {
        self.handle.core.engine.public_key_pem()
    }

    /// The key id in token headers (RFC 7638 thumbprint).
    pub fn kid(&self) -> String {
        self.handle.core.engine.kid().to_owned()
    }

    /// Adds an agent with a password (hashed with argon2id); its id.
    #[php(defaults(status = "\"active\""))]
    pub fn add_agent(
        &self,
        username: &str,
        password: &str,
        status: String,
        id: Option<i64>,
    ) -> PhpResult<i64> {
        let status = self::status(&status)?;
        self.handle
            .call(|e| e.add_agent_with_id(id, username, password, status))
    }

    /// Imports an agent of Spryker's `spy_user` with its hash (bcrypt),
    /// keeping its id.
    #[php(defaults(status = "\"active\""))]
    pub fn import_agent(
        &self,
        id: i64,
        username: &str,
        passwordHash: &str,
        status: String,
    ) -> PhpResult<i64> {
        let status = self::status(&status)?;
        self.handle
            .call(|e| e.import_agent(id, username, passwordHash, status))
    }

    /// Sets an agent's status; blocking or deleting revokes its sessions.
    /// False when there is no such agent.
    pub fn set_agent_status(&self, agentId: i64, status: &str) -> PhpResult<bool> {
        let status = self::status(status)?;
        self.handle.call(|e| e.set_agent_status(agentId, status))
    }

    /// Sets an agent's password. False when there is no such agent.
    pub fn set_agent_password(&self, agentId: i64, password: &str) -> PhpResult<bool> {
        self.handle
            .call(|e| e.set_agent_password(agentId, password))
    }

    /// Adds or replaces a customer in the engine's database (D19 keys).
    pub fn upsert_customer(&self, customer: &ZendHashTable) -> PhpResult<()> {
        let json = convert::array_to_json(customer, EmptyArray::List)
            .map_err(|e| invalid(format!("customer: {e}")))?;
        let customer: Customer =
            serde_json::from_value(json).map_err(|e| invalid(format!("customer: {e}")))?;
        self.handle.call(|e| e.upsert_customer(&customer))
    }

    /// The customer with this reference, from the customer directory.
    pub fn find_customer(&self, customerReference: &str) -> PhpResult<Option<ZBox<ZendHashTable>>> {
        let customer = self.handle.call(|e| e.find_customer(customerReference))?;
        customer.as_ref().map(convert::serialized).transpose()
    }

    /// Installs the scopes `agent`, `customer` and `customer_impersonation`
    /// where missing; the identifiers added.
    pub fn install_scopes(&self) -> PhpResult<Vec<String>> {
        self.handle.call(|e| e.install_scopes())
    }

    /// The scope identifiers installed.
    pub fn scopes(&self) -> PhpResult<Vec<String>> {
        self.handle.call(|e| e.store().scopes())
    }

    /// Installs the configured client as a public client where missing.
    pub fn install_default_client(&self) -> PhpResult<()> {
        self.handle.call(|e| e.install_default_client())
    }

    /// Adds or replaces a confidential client (token introspection callers).
    pub fn set_client_secret(&self, identifier: &str, name: &str, secret: &str) -> PhpResult<()> {
        self.handle
            .call(|e| e.set_client_secret(identifier, name, secret))
    }

    /// True when `identifier` is a confidential client with this secret.
    pub fn authenticate_client(&self, identifier: &str, secret: &str) -> PhpResult<bool> {
        self.handle
            .call(|e| e.authenticate_client(identifier, secret))
    }

    /// Audit events, oldest first, filtered by `agent_id`, `customer_reference`,
    /// `from`, `to` (Unix seconds) and `limit`.
    #[php(optional = "filter")]
    pub fn audit_events(&self, filter: Option<&ZendHashTable>) -> PhpResult<ZBox<ZendHashTable>> {
        let mut query = AuditQuery::default();
        for (key, value) in filter.into_iter().flat_map(ZendHashTable::iter) {
            let value = value.dereference();
            let name = match &key {
                ArrayKey::Long(_) => String::new(),
                other => String::try_from(other.clone()).unwrap_or_default(),
            };
            let int = || {
                value.long().ok_or_else(|| {
                    exceptions::type_error(format!("audit filter `{name}` must be an int"))
                })
            };
            match name.as_str() {
                "agent_id" => query.agent_id = Some(int()?),
                "customer_reference" => {
                    let reference = value.str().ok_or_else(|| {
                        exceptions::type_error("audit filter `customer_reference` must be a string")
                    })?;
                    query.customer_reference = Some(reference.to_owned());
                }
                "from" => query.from = Some(int()?),
                "to" => query.to = Some(int()?),
                "limit" => {
                    query.limit = u32::try_from(int()?)
                        .map_err(|_| invalid("audit filter `limit` is out of range"))?;
                }
                _ => return Err(invalid(format!("unknown audit filter `{key}`"))),
            }
        }
        let events = self.handle.call(|e| e.audit_events(&query))?;
        convert::serialized(&events)
    }

    /// Deletes refresh-token families expired more than `$retentionSeconds`
    /// ago; the number of rows deleted.
    pub fn purge_expired(&self, retentionSeconds: i64) -> PhpResult<i64> {
        let retention = not_negative("retentionSeconds", retentionSeconds)?;
        self.handle.call(|e| e.purge_expired(retention)).map(count)
    }
}

#[cfg(feature = "bench")]
impl Engine {
    /// Runs the core's impersonation `n` times natively; the seconds it took
    /// (see `AgentOauth\\Bench\\core_impersonations` in lib.rs).
    pub(crate) fn bench_core_impersonations(
        &self,
        agent_token: &str,
        customer_reference: &str,
        client_ip: &str,
        n: i64,
    ) -> PhpResult<f64> {
        let n = not_negative("n", n)?;
        self.handle.call(|e| {
            let start = std::time::Instant::now();
            for _ in 0..n {
                std::hint::black_box(e.impersonate(
                    agent_token,
                    customer_reference,
                    None,
                    client_ip,
                )?);
            }
            Ok(start.elapsed().as_secs_f64())
        })
    }
}

fn convert_len(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
