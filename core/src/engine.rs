//! The engine: configuration, keys, stores and the operations every layer
//! (Glue, C ABI, PHP) calls.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Months};
use serde::Serialize;

use zeroize::Zeroize;

use crate::admission::Admission;
use crate::audit::{AuditEvent, AuditKind, AuditQuery};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::directory::{Agent, AgentDirectory, CustomerDirectory};
use crate::error::{Error, Result};
use crate::grant::{self, Grant};
use crate::password::{Argon2Hasher, PasswordHasher};
use crate::random::{OsRandom, RandomSource};
use crate::store::{self, RefreshTokenRow, SessionKind, Store};
use crate::token::{
    self, AccessClaims, ActorRef, IssuedClaims, SigningKey, TokenKind, Validation, VerifyingKey,
};

/// Prefix of this engine's refresh tokens (D6), so a shop can route
/// `/refresh-tokens` by prefix between the engine and its own store.
pub const REFRESH_TOKEN_PREFIX: &str = "ao1_";

/// A successful grant: the OAuth token response.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct TokenResponse {
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires (`exp - now`).
    pub expires_in: i64,
    /// The signed JWT.
    pub access_token: String,
    /// The opaque refresh token (`ao1_...`).
    pub refresh_token: String,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// An agent authenticated by a token that passed the strict check.
#[derive(Debug, Clone)]
pub struct AgentCaller {
    /// The verified token claims.
    pub claims: AccessClaims,
    /// The agent, as its directory has it now.
    pub agent: Agent,
    /// The refresh-token row the token was issued with; its family is the session.
    pub session: RefreshTokenRow,
    /// The token came in `X-Agent-Authorization`: a refusal is 4102, not 001.
    from_agent_header: bool,
}

impl AgentCaller {
    /// The error a later refusal of this caller's token answers (D11).
    pub(crate) fn refusal(&self) -> Error {
        match self.from_agent_header {
            true => Error::InvalidAgentAccessToken,
            false => Error::InvalidAccessToken,
        }
    }
}

/// Builds an [`Engine`]. Every setting has a default (see [`Config`]) except
/// the private key.
pub struct EngineBuilder {
    config: Config,
    clock: Arc<dyn Clock>,
    random: Arc<dyn RandomSource>,
    hasher: Option<Arc<dyn PasswordHasher>>,
    agents: Option<Arc<dyn AgentDirectory>>,
    customers: Option<Arc<dyn CustomerDirectory>>,
    store: Option<Arc<dyn Store>>,
}

impl Default for EngineBuilder {
    fn default() -> Self {
        EngineBuilder {
            config: Config::default(),
            clock: Arc::new(SystemClock),
            random: Arc::new(OsRandom),
            hasher: None,
            agents: None,
            customers: None,
            store: None,
        }
    }
}

impl EngineBuilder {
    /// Replaces the whole configuration.
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// The signing key as PEM.
    pub fn private_key_pem(mut self, pem: impl Into<String>) -> Self {
        self.config.private_key_pem = Some(pem.into());
        self
    }

    /// A file holding the signing key as PEM, read at [`EngineBuilder::build`].
    pub fn private_key_path(mut self, path: impl Into<String>) -> Self {
        self.config.private_key_path = Some(path.into());
        self
    }

    /// An earlier public key (PEM) that keeps verifying after a rotation.
    pub fn previous_public_key_pem(mut self, pem: impl Into<String>) -> Self {
        self.config.previous_public_keys_pem.push(pem.into());
        self
    }

    /// The database file, or `:memory:`.
    pub fn database_path(mut self, path: impl Into<String>) -> Self {
        self.config.database_path = path.into();
        self
    }

    /// The client identifier (`aud`).
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.config.client_id = client_id.into();
        self
    }

    /// Access-token lifetime in seconds.
    pub fn access_token_ttl(mut self, seconds: u64) -> Self {
        self.config.access_token_ttl = seconds;
        self
    }

    /// Refresh-token lifetime in seconds instead of one calendar month.
    pub fn refresh_token_ttl(mut self, seconds: u64) -> Self {
        self.config.refresh_token_ttl = Some(seconds);
        self
    }

    /// Grace window for spent refresh tokens, in seconds (D9).
    pub fn refresh_reuse_grace(mut self, seconds: u64) -> Self {
        self.config.refresh_reuse_grace = seconds;
        self
    }

    /// The scheme and host Glue `links` start with.
    pub fn glue_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.config.glue_base_url = base_url.into();
        self
    }

    /// Clock skew tolerated in verification, in seconds.
    pub fn leeway(mut self, seconds: u64) -> Self {
        self.config.leeway = seconds;
        self
    }

    /// argon2id parameters.
    pub fn argon2(mut self, argon2: crate::password::Argon2Config) -> Self {
        self.config.argon2 = argon2;
        self
    }

    /// Lockout settings.
    pub fn lockout(mut self, policy: crate::lockout::LockoutPolicy) -> Self {
        self.config.lockout = policy;
        self
    }

    /// Bounds on concurrent password verification (D28).
    pub fn password_pool(mut self, pool: crate::admission::PasswordPoolConfig) -> Self {
        self.config.password_pool = pool;
        self
    }

    /// The time source (tests use [`crate::clock::FixedClock`]).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The random source (tests use [`crate::random::CountingRandom`]).
    pub fn random(mut self, random: Arc<dyn RandomSource>) -> Self {
        self.random = random;
        self
    }

    /// The password hasher; default argon2id with the configured parameters.
    pub fn password_hasher(mut self, hasher: Arc<dyn PasswordHasher>) -> Self {
        self.hasher = Some(hasher);
        self
    }

    /// Keeps every engine table in `store` instead of the one
    /// `database_url` names (a host that brings its own storage).
    pub fn store(mut self, store: Arc<dyn Store>) -> Self {
        self.store = Some(store);
        self
    }

    /// Finds agents in the host's own tables instead of the engine database.
    pub fn agent_directory(mut self, agents: Arc<dyn AgentDirectory>) -> Self {
        self.agents = Some(agents);
        self
    }

    /// Finds customers in the host's own tables instead of the engine database.
    pub fn customer_directory(mut self, customers: Arc<dyn CustomerDirectory>) -> Self {
        self.customers = Some(customers);
        self
    }

    /// Parses the keys once, opens and migrates the database.
    pub fn build(self) -> Result<Engine> {
        let config = self.config;
        config.validate()?;
        let mut pem = config.load_private_key()?;
        let signing = SigningKey::from_pem(&pem);
        pem.zeroize();
        let signing = signing?;
        let consent_key = crate::consent::derive_key(&signing)?;
        let previous = config
            .load_previous_keys()?
            .iter()
            .map(|pem| VerifyingKey::from_pem(pem))
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .filter(|k| k.kid() != signing.kid())
            .collect();
        let admission = Admission::new(&config.password_pool);
        let db = match self.store {
            Some(store) => store,
            None => store::open(
                config.database_url(),
                store::OpenOptions {
                    pool_size: config.pool_size,
                    busy_timeout: Duration::from_millis(config.busy_timeout_ms),
                    table_prefix: config.table_prefix.clone(),
                    upgrade_schema: config.upgrade_schema,
                },
            )?,
        };
        let hasher = match self.hasher {
            Some(h) => h,
            None => {
                let keep = match config.password_pool.keep_memory {
                    true => config.password_pool.resolved_workers(),
                    false => 0,
                };
                Arc::new(Argon2Hasher::new(config.argon2, self.random.clone())?.keep_memory(keep))
            }
        };
        // The key lives on only inside `signing`: the configuration kept for
        // the engine's life (and readable through `Engine::config`) drops it.
        let mut config = config;
        if let Some(mut pem) = config.private_key_pem.take() {
            pem.zeroize();
        }
        // Spryker keeps the key's contents under its "path" (D31).
        if config
            .private_key_path
            .as_deref()
            .is_some_and(crate::config::holds_key_contents)
        {
            if let Some(mut pem) = config.private_key_path.take() {
                pem.zeroize();
            }
        }
        let validation = Validation {
            audience: config.client_id.clone(),
            leeway: config.leeway,
        };
        let agents_in_store = self.agents.is_none();
        let customers_in_store = self.customers.is_none();
        let policy = config.impersonation.compile()?;
        Ok(Engine {
            inner: Arc::new(Inner {
                agents: self.agents.unwrap_or_else(|| db.clone()),
                agents_in_store,
                customers_in_store,
                policy,
                customers: self.customers.unwrap_or_else(|| db.clone()),
                store: db,
                config,
                signing,
                consent_key,
                previous,
                validation,
                hasher,
                clock: self.clock,
                random: self.random,
                dummy_hash: OnceLock::new(),
                learned_bcrypt_cost: std::sync::atomic::AtomicU32::new(0),
                bcrypt_dummies: [const { OnceLock::new() }; 32],
                grants: grant::registry(),
                admission,
            }),
        })
    }
}

/// The agent found under a session's username, if it is still the same
/// agent (same id) and active.
fn active(agent: Option<Agent>, id: i64) -> Option<Agent> {
    agent.filter(|a| a.id == id && a.is_active())
}

/// The agent-assist OAuth engine. Cheap to clone and safe to share between
/// threads: clones use the same keys and database.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("kid", &self.inner.signing.kid())
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Inner {
    pub config: Config,
    pub admission: Admission,
    pub signing: SigningKey,
    /// The key consent codes are hashed under (derived from the private key).
    pub consent_key: aws_lc_rs::hmac::Key,
    pub previous: Vec<VerifyingKey>,
    pub validation: Validation,
    /// Every table of the engine.
    pub store: Arc<dyn Store>,
    /// Where agents are looked up: the store, or a host directory.
    pub agents: Arc<dyn AgentDirectory>,
    /// True when `agents` is `store`: the strict check then reads the
    /// session and its agent together.
    pub agents_in_store: bool,
    /// True when `customers` is `store`: an impersonation then reads the
    /// agent's session and the customer together.
    pub customers_in_store: bool,
    /// The impersonation policy, its pattern compiled.
    pub policy: crate::policy::Compiled,
    /// Where customers are looked up: the store, or a host directory.
    pub customers: Arc<dyn CustomerDirectory>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub clock: Arc<dyn Clock>,
    pub random: Arc<dyn RandomSource>,
    pub dummy_hash: OnceLock<String>,
    /// The bcrypt cost of the last agent hash the directory returned, 0
    /// when it was not bcrypt: the dummy verification follows it (D18).
    pub learned_bcrypt_cost: std::sync::atomic::AtomicU32,
    /// A bcrypt dummy hash per cost (index = cost, 4 to 31), each made on
    /// first need, so a directory mixing costs never rebuilds one.
    pub bcrypt_dummies: [OnceLock<String>; 32],
    pub grants: Vec<Box<dyn Grant>>,
}

/// What goes into a new token pair.
pub(crate) struct MintParams<'a> {
    pub now: i64,
    pub kind: SessionKind,
    pub sub: &'a str,
    pub scopes: &'a [&'a str],
    pub act: Option<&'a str>,
    pub agent_id: i64,
    pub agent_username: &'a str,
    pub customer_reference: Option<&'a str>,
    /// `(family_id, parent_id)` when rotating within a family.
    pub family: Option<(i64, i64)>,
    pub origin_family_id: Option<i64>,
    pub cap_at: Option<i64>,
}

/// A signed access token and its refresh token, not yet stored.
pub(crate) struct Minted {
    pub response: TokenResponse,
    pub jti: String,
    pub row: RefreshTokenRow,
}

impl Engine {
    /// A builder with default settings.
    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
    }

    /// The configuration the engine was built with, without the private key
    /// (`private_key_pem` is `None` once the key is parsed).
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Every table of the engine, behind the storage contract (for
    /// installers, administration, and host directories that fall back to
    /// the engine's own tables). `describe()` names the backend for logs.
    pub fn store(&self) -> &dyn Store {
        self.inner.store.as_ref()
    }

    /// The client's address from the peer's (`REMOTE_ADDR`) and the
    /// `X-Forwarded-For` header lines, believed only from the configured
    /// `trusted_proxies` (D29). Transports that call grants directly use it
    /// to key the lockout as the Glue handler does.
    pub fn client_address<'a>(
        &self,
        peer: &str,
        forwarded_for: impl IntoIterator<Item = &'a str>,
    ) -> String {
        crate::client_ip::resolve_str(peer, forwarded_for, &self.inner.config.trusted_proxies)
    }

    /// Current Unix time by the engine's clock.
    pub fn now(&self) -> i64 {
        self.inner.clock.now()
    }

    /// Runs a grant by its type (`agent_credentials`, `customer_impersonation`,
    /// `refresh_token`), as Spryker's token endpoint does.
    pub fn grant(&self, request: &grant::GrantRequest<'_>) -> Result<TokenResponse> {
        let grant = self
            .inner
            .grants
            .iter()
            .find(|g| g.identifier() == request.grant_type)
            .ok_or_else(|| {
                Error::InvalidRequest(format!("unsupported grant type {:?}", request.grant_type))
            })?;
        grant.handle(self, request)
    }

    /// Verifies an access token: RS256 signature by the current or a previous
    /// key, `exp`/`nbf`/`iat` with the configured leeway, and `aud`.
    pub fn verify(&self, token: &str) -> Result<AccessClaims> {
        self.verify_at(token, self.now())
    }

    fn verify_at(&self, token: &str, now: i64) -> Result<AccessClaims> {
        let inner = &self.inner;
        token::verify(
            inner.signing.verifying_key(),
            &inner.previous,
            &inner.validation,
            token,
            now,
        )
        .map_err(|_| Error::InvalidAccessToken)
    }

    /// Verifies a token and applies the strict check (D3): an agent or
    /// impersonation token must belong to a live session of an active agent.
    /// Tokens the engine did not issue (Spryker's own customer tokens) have no
    /// session here and pass on their signature alone.
    pub fn verify_strict(&self, token: &str) -> Result<AccessClaims> {
        let claims = self.verify(token)?;
        match claims.kind() {
            TokenKind::Customer => Ok(claims),
            _ => match self.live_session(&claims)? {
                Some(_) => Ok(claims),
                None => Err(Error::InvalidAccessToken),
            },
        }
    }

    /// The session and active agent behind an agent or impersonation token,
    /// or `None` when the session is revoked or expired or the agent inactive.
    pub(crate) fn live_session(
        &self,
        claims: &AccessClaims,
    ) -> Result<Option<(Agent, RefreshTokenRow)>> {
        let Some(jti) = decode_jti(&claims.jti) else {
            return Ok(None);
        };
        let found = match self.inner.agents_in_store {
            true => self
                .inner
                .store
                .find_session_and_agent(&jti)?
                .map(|(row, agent)| (row, Some(agent))),
            false => self.inner.store.find_by_jti(&jti)?.map(|row| (row, None)),
        };
        match found {
            Some((row, agent)) => self.check_session(claims, row, agent),
            None => Ok(None),
        }
    }

    /// The strict check's rules over the session row found for a token:
    /// the row matches the token, is unrevoked and unexpired, and its agent
    /// exists under the same id and is active. `agent` is what the store
    /// read with the row (`Some(None)`: no such agent); `None` reads it from
    /// the agent directory.
    pub(crate) fn check_session(
        &self,
        claims: &AccessClaims,
        row: RefreshTokenRow,
        agent: Option<Option<Agent>>,
    ) -> Result<Option<(Agent, RefreshTokenRow)>> {
        let now = self.now();
        let consistent = match claims.kind() {
            TokenKind::Agent => {
                row.kind == SessionKind::Agent && claims.subject.agent_id() == Some(row.agent_id)
            }
            TokenKind::Impersonation => {
                row.kind == SessionKind::Impersonation
                    && claims.agent_id() == Some(row.agent_id)
                    && claims.subject.customer_reference == row.customer_reference
            }
            TokenKind::Customer => false,
        };
        if !consistent || row.revoked_at.is_some() || now >= row.expires_at {
            return Ok(None);
        }
        let agent = match agent {
            Some(read_with_row) => read_with_row,
            None => self.inner.agents.find_by_username(&row.agent_username)?,
        };
        Ok(active(agent, row.agent_id).map(|agent| (agent, row)))
    }

    /// The agent if it still exists under this id and is active.
    pub(crate) fn active_agent(&self, id: i64, username: &str) -> Result<Option<Agent>> {
        Ok(active(self.inner.agents.find_by_username(username)?, id))
    }

    /// Authenticates the agent behind a request's headers, as Spryker's Glue
    /// does (D11): `Authorization` is checked first (failing: 001), then
    /// `X-Agent-Authorization` (not `Bearer` or failing: 4102); the agent is
    /// taken from `X-Agent-Authorization` when it holds an agent token, else
    /// from `Authorization`; none: 4103. The agent's token must then pass the
    /// strict check, else 4102 or 001 by the header it came in.
    pub fn authenticate_agent(
        &self,
        authorization: Option<&str>,
        x_agent_authorization: Option<&str>,
        client_ip: &str,
    ) -> Result<AgentCaller> {
        // An empty header counts as absent, as PHP's `!$header` in Spryker's validators.
        let authorization = authorization.filter(|h| !h.trim().is_empty());
        let from_authorization = match authorization {
            Some(header) => {
                let token = bearer_token(header).ok_or(Error::InvalidAccessToken)?;
                Some(self.verify(token)?)
            }
            None => None,
        };
        let from_agent_header = match x_agent_authorization.and_then(split_authorization) {
            Some(("Bearer", token)) => Some(
                self.verify(token)
                    .map_err(|_| Error::InvalidAgentAccessToken)?,
            ),
            Some(_) => return Err(Error::InvalidAgentAccessToken),
            None => None,
        };
        let (claims, refused) = match (from_agent_header, from_authorization) {
            (Some(c), _) if c.kind() == TokenKind::Agent => (c, Error::InvalidAgentAccessToken),
            (_, Some(c)) if c.kind() == TokenKind::Agent => (c, Error::InvalidAccessToken),
            _ => return Err(Error::AgentOnly),
        };
        self.agent_caller(claims, refused, client_ip)
    }

    /// Applies the strict check to a verified agent token; `refused` is the
    /// error when it fails, which is also audited.
    pub(crate) fn agent_caller(
        &self,
        claims: AccessClaims,
        refused: Error,
        client_ip: &str,
    ) -> Result<AgentCaller> {
        let live = self.live_session(&claims)?;
        self.caller_from(claims, live, refused, client_ip)
    }

    /// The caller behind a verified agent token whose strict check gave
    /// `live`; `None` refuses it with `refused`, audited.
    pub(crate) fn caller_from(
        &self,
        claims: AccessClaims,
        live: Option<(Agent, RefreshTokenRow)>,
        refused: Error,
        client_ip: &str,
    ) -> Result<AgentCaller> {
        match live {
            Some((agent, session)) => Ok(AgentCaller {
                claims,
                agent,
                session,
                from_agent_header: matches!(refused, Error::InvalidAgentAccessToken),
            }),
            None => Err(self.refuse_agent_token(&claims, refused, client_ip)),
        }
    }

    /// Records that an agent token failed the strict check and hands back
    /// `refused`; when the audit write itself fails, that failure instead.
    pub(crate) fn refuse_agent_token(
        &self,
        claims: &AccessClaims,
        refused: Error,
        client_ip: &str,
    ) -> Error {
        let mut event = AuditEvent::new(AuditKind::AgentTokenRefused, self.now());
        event.agent_id = claims.subject.agent_id();
        event.client_ip = crate::audit::field(client_ip);
        event.jti = Some(claims.jti.clone());
        event.code = refused.glue_code().map(str::to_owned);
        match self.inner.store.record(&event) {
            Ok(()) => refused,
            Err(audit_failure) => audit_failure,
        }
    }

    /// The public keys as a JWKS document (current first, then previous).
    pub fn jwks(&self) -> jsonwebtoken::jwk::JwkSet {
        token::jwks(std::iter::once(self.inner.signing.verifying_key()).chain(&self.inner.previous))
    }

    /// The current public key as PEM (`BEGIN PUBLIC KEY`).
    pub fn public_key_pem(&self) -> String {
        self.inner.signing.verifying_key().to_pem()
    }

    /// The key id of the current signing key.
    pub fn kid(&self) -> &str {
        self.inner.signing.kid()
    }

    /// Audit events matching `query`, oldest first; a `limit` of 0 means
    /// [`crate::audit::DEFAULT_QUERY_LIMIT`].
    pub fn audit_events(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>> {
        let mut query = query.clone();
        if query.limit == 0 {
            query.limit = crate::audit::DEFAULT_QUERY_LIMIT;
        }
        self.inner.store.query(&query)
    }

    /// Deletes refresh-token families whose every token expired more than
    /// `retention` seconds ago, lockout counters whose window and block have
    /// ended, and expired consent codes; returns how many refresh-token rows
    /// went.
    pub fn purge_expired(&self, retention: u64) -> Result<usize> {
        let now = self.now();
        let window = self.inner.config.lockout.window as i64;
        self.inner
            .store
            .purge_lockouts(now.saturating_sub(window), now)?;
        // Consent codes live minutes; they go as soon as they expire.
        self.inner.store.purge_consents(now)?;
        self.inner
            .store
            .purge_expired(now.saturating_sub(retention as i64))
    }

    /// Deletes audit events older than `retention` seconds; returns how many.
    /// The engine never does this by itself: how long to keep the audit log
    /// is the shop's decision.
    pub fn purge_audit(&self, retention: u64) -> Result<usize> {
        self.inner
            .store
            .purge_audit(self.now().saturating_sub(retention as i64))
    }

    /// A hash of a random password, verified against when the agent is
    /// unknown or inactive so every login costs one verification (D18).
    /// Notes the scheme of an agent hash the directory returned, so the
    /// verification of an unknown agent costs what a known one does: a
    /// shop whose `spy_user` hashes are bcrypt (and that writes nothing
    /// back) gets a bcrypt dummy at the same cost (issue 13, D18).
    pub(crate) fn learn_hash_scheme(&self, hash: &str) {
        let cost = crate::password::bcrypt_cost(hash).unwrap_or(0);
        self.inner
            .learned_bcrypt_cost
            .store(cost, std::sync::atomic::Ordering::Relaxed);
    }

    /// The hash an unknown or inactive agent's password is verified
    /// against: bcrypt at the learned cost when the directory's hashes are
    /// bcrypt, else argon2id with the engine's parameters.
    pub(crate) fn dummy_for_unknown(&self) -> Result<&str> {
        let cost = self
            .inner
            .learned_bcrypt_cost
            .load(std::sync::atomic::Ordering::Relaxed);
        let Some(cell) = self
            .inner
            .bcrypt_dummies
            .get(cost as usize)
            .filter(|_| cost >= 4)
        else {
            return self.dummy_hash();
        };
        if let Some(hash) = cell.get() {
            return Ok(hash);
        }
        // Made once per cost, without a lock: two first callers may both
        // hash, and one result is kept.
        let mut secret = [0u8; 32];
        let mut salt = [0u8; 16];
        self.inner.random.fill(&mut secret)?;
        self.inner.random.fill(&mut salt)?;
        let hash = crate::password::bcrypt_dummy(&secret, cost, salt)?;
        Ok(cell.get_or_init(|| hash))
    }

    pub(crate) fn dummy_hash(&self) -> Result<&str> {
        if let Some(hash) = self.inner.dummy_hash.get() {
            return Ok(hash);
        }
        let mut secret = [0u8; 32];
        self.inner.random.fill(&mut secret)?;
        let hash = self.inner.hasher.hash(&secret)?;
        Ok(self.inner.dummy_hash.get_or_init(|| hash))
    }

    /// Signs an access token and creates its refresh token row (not stored).
    pub(crate) fn mint(&self, p: MintParams<'_>) -> Result<Minted> {
        let inner = &self.inner;
        let cap = p.cap_at.unwrap_or(i64::MAX);
        let ttl = match p.kind {
            SessionKind::Impersonation => inner
                .config
                .impersonation_access_token_ttl
                .unwrap_or(inner.config.access_token_ttl),
            SessionKind::Agent => inner.config.access_token_ttl,
        };
        let exp = (p.now + ttl as i64).min(cap);
        let mut jti_raw = [0u8; 40];
        inner.random.fill(&mut jti_raw)?;
        let jti = hex(&jti_raw);
        let access_token = token::encode(
            &inner.signing,
            &IssuedClaims {
                aud: &inner.config.client_id,
                jti: &jti,
                iat: p.now,
                nbf: p.now,
                exp,
                sub: p.sub,
                scopes: p.scopes,
                act: p.act.map(|sub| ActorRef { sub }),
            },
        )?;
        let (refresh_token, token_hash) = self.new_refresh_token()?;
        let id = refresh_id(&token_hash);
        let (family_id, parent_id) = match p.family {
            Some((family, parent)) => (family, Some(parent)),
            None => (id, None),
        };
        let row = RefreshTokenRow {
            id,
            token_hash,
            family_id,
            parent_id,
            origin_family_id: p.origin_family_id,
            kind: p.kind,
            agent_id: p.agent_id,
            agent_username: p.agent_username.to_owned(),
            customer_reference: p.customer_reference.map(str::to_owned),
            scopes: p.scopes.join(" "),
            client_id: inner.config.client_id.clone(),
            jti: jti_raw,
            cap_at: p.cap_at,
            issued_at: p.now,
            expires_at: self.refresh_expiry(p.now).min(cap),
            used_at: None,
            revoked_at: None,
            reason: None,
        };
        Ok(Minted {
            response: TokenResponse {
                token_type: "Bearer",
                expires_in: exp - p.now,
                access_token,
                refresh_token,
            },
            jti,
            row,
        })
    }

    /// A fresh refresh token and its SHA-256.
    pub(crate) fn new_refresh_token(&self) -> Result<(String, [u8; 32])> {
        let mut raw = [0u8; 32];
        self.inner.random.fill(&mut raw)?;
        let mut token = String::with_capacity(REFRESH_TOKEN_PREFIX.len() + 43);
        token.push_str(REFRESH_TOKEN_PREFIX);
        URL_SAFE_NO_PAD.encode_string(raw, &mut token);
        let hash = refresh_hash(&token);
        Ok((token, hash))
    }

    /// When a refresh token issued at `now` expires: one calendar month in
    /// UTC, clamped to the end of a shorter month (D5), unless configured.
    pub(crate) fn refresh_expiry(&self, now: i64) -> i64 {
        if let Some(ttl) = self.inner.config.refresh_token_ttl {
            return now + ttl as i64;
        }
        DateTime::from_timestamp(now, 0)
            .and_then(|t| t.checked_add_months(Months::new(1)))
            .map_or(now + 31 * 86400, |t| t.timestamp())
    }

    /// Looks up the row of a presented refresh token, comparing the full
    /// hash in constant time. `None` for a malformed or unknown token.
    pub(crate) fn find_refresh_token(&self, token: &str) -> Result<Option<RefreshTokenRow>> {
        let Some(encoded) = token.strip_prefix(REFRESH_TOKEN_PREFIX) else {
            return Ok(None);
        };
        if encoded.len() != 43 || URL_SAFE_NO_PAD.decode(encoded).is_err() {
            return Ok(None);
        }
        let hash = refresh_hash(token);
        Ok(self.inner.store.find(refresh_id(&hash))?.filter(|row| {
            aws_lc_rs::constant_time::verify_slices_are_equal(&row.token_hash, &hash).is_ok()
        }))
    }
}

fn refresh_hash(token: &str) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
    digest.as_ref().try_into().expect("SHA-256 is 32 bytes")
}

pub(crate) fn refresh_id(hash: &[u8; 32]) -> i64 {
    i64::from_be_bytes(hash[..8].try_into().expect("8 bytes"))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// The raw 40 bytes of an 80-hex-character `jti`.
pub(crate) fn decode_jti(jti: &str) -> Option<[u8; 40]> {
    let bytes = jti.as_bytes();
    if bytes.len() != 80 {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut out = [0u8; 40];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        out[i] = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(out)
}

/// The token of an `Authorization` header, as league strips it: `^\s*Bearer\s`.
pub fn bearer_token(header: &str) -> Option<&str> {
    let token = header.trim_start().strip_prefix("Bearer")?;
    let mut chars = token.chars();
    chars.next().filter(|c| c.is_whitespace())?;
    Some(chars.as_str().trim())
}

/// Spryker's `X-Agent-Authorization` reading: split on whitespace into type
/// and token; a header without both is ignored.
fn split_authorization(header: &str) -> Option<(&str, &str)> {
    let mut pieces = header.split_whitespace();
    Some((pieces.next()?, pieces.next()?))
}
