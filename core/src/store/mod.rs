//! The storage contract: every table the engine keeps, behind traits that
//! one [`Store`] bundles. The engine holds an `Arc<dyn Store>`; [`open`] is
//! the only place that picks a backend (by URL), and nothing outside this
//! folder names a backend type. Stores keep and find rows; the rules
//! (lockout, sessions, revocation scope, search matching) are decided in core.

mod catalog;
#[cfg(feature = "mysql")]
pub mod mysql;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod sqlite;

use std::sync::Arc;
use std::time::Duration;

pub use catalog::Client;

use crate::audit::{AuditEvent, AuditQuery};
use crate::directory::{Agent, AgentDirectory, AgentStatus, Customer, CustomerDirectory};
use crate::error::{Error, Result};
use crate::lockout::LockoutState;

/// Agents kept in the engine's own tables (for shops that import them
/// rather than answer lookups from their own; see [`AgentDirectory`]).
pub trait AgentStore: AgentDirectory {
    /// Adds an agent with an already computed hash. `id` keeps Spryker's
    /// `id_user`; `None` assigns the next free id. A taken username or id is
    /// [`Error::InvalidRequest`].
    fn insert_agent(
        &self,
        id: Option<i64>,
        username: &str,
        password_hash: &str,
        status: AgentStatus,
        now: i64,
    ) -> Result<i64>;
    /// Sets an agent's status, durably (D23); false when there is no such agent.
    fn set_agent_status(&self, id: i64, status: AgentStatus, now: i64) -> Result<bool>;
    /// Replaces an agent's password hash, durably; false when there is no such agent.
    fn set_agent_password_hash(&self, id: i64, hash: &str) -> Result<bool>;
    /// The agent with this id.
    fn find_agent_by_id(&self, id: i64) -> Result<Option<Agent>>;
}

/// Customers kept in the engine's own tables.
pub trait CustomerStore: CustomerDirectory {
    /// Inserts or replaces (by `id_customer`) a customer; a reference taken
    /// by another customer is [`Error::InvalidRequest`].
    fn upsert_customer(&self, customer: &Customer) -> Result<()>;
}

/// OAuth scopes and clients (Spryker's `spy_oauth_scope`, `spy_oauth_client`).
pub trait CatalogStore {
    /// Inserts the scopes that are missing; returns those inserted.
    fn install_scopes(&self, scopes: &[&str]) -> Result<Vec<String>>;
    /// Every installed scope identifier, sorted.
    fn scopes(&self) -> Result<Vec<String>>;
    /// Inserts or updates (by identifier) a client.
    fn upsert_client(&self, client: &Client) -> Result<()>;
    /// The client with this identifier.
    fn find_client(&self, identifier: &str) -> Result<Option<Client>>;
}

/// The whole storage contract of an engine, as one object. A host that
/// brings its own storage implements it and passes it to
/// [`crate::EngineBuilder::store`].
pub trait Store:
    TokenStore
    + AuditStore
    + LockoutStore
    + ConsentStore
    + AgentStore
    + CustomerStore
    + CatalogStore
    + Send
    + Sync
{
    /// The backend and where it is, for logs and `init`: never a password.
    fn describe(&self) -> String;

    /// True when calls are answered on this machine without a network round
    /// trip (the embedded SQLite file), so a short request costs CPU time
    /// only, unless another process holds the write lock.
    fn is_embedded(&self) -> bool {
        false
    }

    /// The session row whose access token has this `jti`, with the agent
    /// stored under the row's `agent_username` (`None` when there is no
    /// such agent): what the strict check (D3) reads when the agents live in
    /// this store. The default makes the two reads; a server store answers
    /// both in one round trip.
    fn find_session_and_agent(
        &self,
        jti: &[u8; 40],
    ) -> Result<Option<(RefreshTokenRow, Option<Agent>)>> {
        let Some(row) = self.find_by_jti(jti)? else {
            return Ok(None);
        };
        let agent = self.find_by_username(&row.agent_username)?;
        Ok(Some((row, agent)))
    }

    /// What an impersonation reads before it signs, when the agents and the
    /// customers both live in this store: [`Store::find_session_and_agent`]
    /// for the agent's token and the customer under `customer_reference`
    /// (none for an empty reference). The default makes the reads one after
    /// the other; a server store answers them in one round trip, since on a
    /// network each round trip costs about as much as the signature.
    fn find_session_agent_and_customer(
        &self,
        jti: &[u8; 40],
        customer_reference: &str,
    ) -> Result<SessionAgentAndCustomer> {
        let session = self.find_session_and_agent(jti)?;
        let customer = match customer_reference.is_empty() {
            true => None,
            false => CustomerDirectory::find_by_reference(self, customer_reference)?,
        };
        Ok((session, customer))
    }
}

/// What [`Store::find_session_agent_and_customer`] finds: the session row
/// and its agent (if the row exists), and the customer.
pub type SessionAgentAndCustomer = (Option<(RefreshTokenRow, Option<Agent>)>, Option<Customer>);

/// How [`open`] connects.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Connections kept open for reuse.
    pub pool_size: usize,
    /// How long a write waits for another writer's lock.
    pub busy_timeout: Duration,
    /// Prefix of every table name on server databases (D26); the embedded
    /// SQLite file is the engine's alone and keeps plain names.
    pub table_prefix: String,
    /// Create or upgrade the tables of a database server on open; without
    /// it, missing or older tables are a configuration error naming the
    /// command that upgrades them. The SQLite file is always brought up to
    /// date.
    pub upgrade_schema: bool,
}

/// The error of a server store whose tables are missing or older than this
/// build, when the engine may not change them. `found` is `None` when there
/// is no version table at all.
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) fn schema_outdated(
    backend: &str,
    prefix: &str,
    found: Option<i64>,
    needed: i64,
) -> Error {
    let what = match found {
        None => format!(
            "there are no {backend} tables {prefix}* yet (this build needs schema version {needed})"
        ),
        Some(found) => format!(
            "the {backend} tables {prefix}* have schema version {found}, this build needs {needed}"
        ),
    };
    Error::Config(format!(
        "{what}: create or upgrade them with `agent-oauth-server init --database-url URL` \
         (or open one engine with \"upgrade_schema\": true)"
    ))
}

/// The version of the SQLite library built into the engine (the embedded
/// default store), for `phpinfo()` and `--version` texts.
pub fn embedded_sqlite_version() -> &'static str {
    sqlite::SqliteStore::sqlite_version()
}

/// A database URL as logs and error texts may show it: the password (and
/// anything else between `://` and `@`) replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

/// Opens the store a URL names and brings its schema up to date: a plain
/// path, `sqlite://PATH` or `:memory:` is SQLite; `postgres://` or
/// `postgresql://` is PostgreSQL; `mysql://` or `mariadb://` is
/// MySQL/MariaDB (D26).
pub fn open(url: &str, options: OpenOptions) -> Result<Arc<dyn Store>> {
    let path = url.strip_prefix("sqlite://").unwrap_or(url);
    #[cfg(feature = "mysql")]
    if url.starts_with("mysql://") || url.starts_with("mariadb://") {
        return Ok(Arc::new(mysql::MysqlStore::open(url, &options)?));
    }
    if matches!(url.split_once("://"), Some(("postgres" | "postgresql", _))) {
        #[cfg(feature = "postgres")]
        return Ok(Arc::new(postgres::PostgresStore::open(url, &options)?));
        #[cfg(not(feature = "postgres"))]
        return Err(Error::Config(
            "database_url: this build has no PostgreSQL support (cargo feature `postgres`)".into(),
        ));
    }
    if let Some((scheme, _)) = url.split_once("://")
        && scheme != "sqlite"
    {
        return Err(Error::Config(format!(
            "database_url: unknown scheme {scheme:?} (use a path, sqlite://PATH, :memory:, postgres://... or mysql://...)"
        )));
    }
    Ok(Arc::new(sqlite::SqliteStore::open(
        path,
        options.pool_size,
        options.busy_timeout,
    )?))
}

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
    /// Why the agent started the session: kept on a family's first row
    /// only, for the customer's session list (issue 12).
    pub reason: Option<String>,
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
///
/// The transaction serializes with every other write transaction touching
/// the same rows, in every process on the database: a row read with
/// [`TokenWriter::find`] cannot change until this transaction ends (SQLite's
/// immediate transactions; `SELECT ... FOR UPDATE` on server databases).
pub trait TokenWriter {
    /// Reads a row as of this transaction, and holds it until the end.
    fn find(&mut self, id: i64) -> Result<Option<RefreshTokenRow>>;
    /// Inserts a row; false when a row with this id exists already.
    fn insert(&mut self, row: &RefreshTokenRow) -> Result<bool>;
    /// Spends a row: sets `used_at` only where it is neither spent nor
    /// revoked (a conditional update, D26); true when this call spent it.
    fn spend(&mut self, id: i64, at: i64) -> Result<bool>;
    /// Revokes the sessions in `scope` not yet revoked; returns how many families.
    fn revoke(&mut self, scope: RevokeScope<'_>, at: i64) -> Result<usize>;
    /// Appends an audit event in the same transaction.
    fn audit(&mut self, event: &AuditEvent) -> Result<()>;
    /// Holds the lock of one agent's policy-checked session starts until
    /// the transaction ends: two transactions taking it for the same agent,
    /// in any process, run one after the other, so the counts below cannot
    /// let both pass a cap (issue 12).
    fn lock_agent(&mut self, agent_id: i64) -> Result<()>;
    /// The agent's live sessions of this kind: families with a row that is
    /// neither spent nor revoked and expires after `now`.
    fn count_live_sessions(&mut self, agent_id: i64, kind: SessionKind, now: i64) -> Result<u64>;
    /// The sessions of this kind the agent started (first rows of their
    /// families) at or after `since`, revoked or not.
    fn count_started_since(&mut self, agent_id: i64, kind: SessionKind, since: i64) -> Result<u64>;
}

/// What [`TokenStore::insert_session`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionInsert {
    /// The row and its audit event are stored.
    Inserted,
    /// A row with this id exists already; nothing was stored.
    IdTaken,
    /// The origin session is revoked (or gone); nothing was stored.
    OriginRevoked,
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
    /// Stores the first row of a new session and its audit event in one
    /// transaction of [`Durability::Normal`]. With an `origin` (the row id
    /// of the agent session an impersonation starts from), that row is read
    /// and held first, and nothing is stored unless it exists unrevoked, so
    /// a revocation of the origin either sees the new row or is seen here.
    ///
    /// The default runs these steps through [`TokenStore::write`]; a server
    /// store may send them as one statement, one round trip.
    fn insert_session(
        &self,
        row: &RefreshTokenRow,
        event: &AuditEvent,
        origin: Option<i64>,
    ) -> Result<SessionInsert> {
        let mut outcome = SessionInsert::IdTaken;
        self.write(Durability::Normal, &mut |w| {
            if let Some(origin) = origin {
                let live = w.find(origin)?.is_some_and(|o| o.revoked_at.is_none());
                if !live {
                    outcome = SessionInsert::OriginRevoked;
                    return Ok(());
                }
            }
            if w.insert(row)? {
                w.audit(event)?;
                outcome = SessionInsert::Inserted;
            }
            Ok(())
        })?;
        Ok(outcome)
    }
    /// Deletes rows that expired before `before`; returns how many.
    fn purge_expired(&self, before: i64) -> Result<usize>;
    /// One page of the impersonation sessions (families of kind
    /// [`SessionKind::Impersonation`]) on a customer's account, newest
    /// first (by start, then family id), and how many there are in all.
    fn customer_sessions(
        &self,
        customer_reference: &str,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<SessionSummary>, u64)>;
}

/// One impersonation session as its customer may see it: what the family's
/// rows hold together. Whether it is active, ended or revoked is decided in
/// core from these figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSummary {
    /// The family id (the first row's id).
    pub family_id: i64,
    /// The acting agent.
    pub agent_id: i64,
    /// The acting agent's username when the session started.
    pub agent_username: String,
    /// The reason given at the start, if any.
    pub reason: Option<String>,
    /// When the first row was issued.
    pub started_at: i64,
    /// When the family was revoked, if it was.
    pub revoked_at: Option<i64>,
    /// The latest expiry of any of its refresh tokens.
    pub expires_at: i64,
}

/// A customer's consent to be impersonated (issue 12, D30): a one-time code
/// the customer created, stored only as a keyed hash bound to the customer.
#[derive(Clone, PartialEq, Eq)]
pub struct ConsentRow {
    /// HMAC-SHA256 of the customer reference and the code, under a key only
    /// the engine holds: the row key.
    pub code_hash: [u8; 32],
    /// The customer who consented.
    pub customer_reference: String,
    /// Created, Unix seconds.
    pub created_at: i64,
    /// Unusable from this time on.
    pub expires_at: i64,
    /// When an impersonation spent it.
    pub used_at: Option<i64>,
}

impl std::fmt::Debug for ConsentRow {
    // The hash stays out of debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsentRow")
            .field("customer_reference", &self.customer_reference)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .field("used_at", &self.used_at)
            .finish_non_exhaustive()
    }
}

/// Consent codes, shared by every process on the database.
pub trait ConsentStore: Send + Sync {
    /// Stores a new code and deletes the customer's earlier codes in the
    /// same transaction, so a customer has at most one code at a time;
    /// false (and nothing changed) when a row with this hash exists.
    fn replace_consent(&self, row: &ConsentRow) -> Result<bool>;
    /// Spends the code: sets `used_at` only where it belongs to this
    /// customer, is unspent and expires after `now` (a conditional update);
    /// true when this call spent it.
    fn spend_consent(
        &self,
        code_hash: &[u8; 32],
        customer_reference: &str,
        now: i64,
    ) -> Result<bool>;
    /// The row with this hash, spent or not.
    fn find_consent(&self, code_hash: &[u8; 32]) -> Result<Option<ConsentRow>>;
    /// Deletes codes that expired before `before`; returns how many.
    fn purge_consents(&self, before: i64) -> Result<usize>;
}

/// The audit log.
pub trait AuditStore: Send + Sync {
    /// Appends one event.
    fn record(&self, event: &AuditEvent) -> Result<()>;
    /// Events matching `query`, oldest first.
    fn query(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>>;
    /// Deletes events recorded before `before`; returns how many.
    fn purge_audit(&self, before: i64) -> Result<usize>;
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
    fn purge_lockouts(&self, window_started_by: i64, now: i64) -> Result<usize>;
}
