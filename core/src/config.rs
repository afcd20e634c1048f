//! Engine configuration: one schema (D10), snake_case keys, durations in
//! seconds. The C ABI takes it as JSON, PHP as an array, the server as a file.

use serde::{Deserialize, Serialize};

use crate::admission::PasswordPoolConfig;
use crate::client_ip::TrustedProxies;
use crate::error::{Error, Result};
use crate::lockout::LockoutPolicy;
use crate::password::Argon2Config;
use crate::policy::ImpersonationPolicy;

/// Everything an engine is built from. Every field has a documented default,
/// so `{}` plus a private key is a working configuration.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// SQLite database file, created if missing; `:memory:` for a private
    /// in-memory database. Default `agent-oauth.db`.
    pub database_path: String,
    /// The store by URL (D26): a path, `sqlite://PATH` or `:memory:` for
    /// SQLite; `postgres://user[:password]@host:port/db` (or `postgresql://`)
    /// for PostgreSQL; `mysql://user:password@host:port/db` (or
    /// `mariadb://`) for MySQL/MariaDB. When set it wins over
    /// `database_path`, which is its shorthand. Default unset.
    pub database_url: Option<String>,
    /// Prefix of the engine's table names on a shared database server, so
    /// they can live beside the shop's `spy_*` tables. Default `agent_oauth_`.
    pub table_prefix: String,
    /// Create or upgrade the engine's tables on a database server
    /// (PostgreSQL, MySQL/MariaDB) when the engine opens it. Default false:
    /// a shop's shared schema changes only through `agent-oauth-server init`
    /// (or a deployment step that opens one engine with this set), and an
    /// engine that finds no tables, or older ones, refuses to start and says
    /// so. The embedded SQLite file is always created and upgraded on open.
    pub upgrade_schema: bool,
    /// The RSA private key (PEM, PKCS#1 or PKCS#8, at least 2048 bits) that
    /// signs tokens: normally the shop's existing OAuth key (D1).
    /// Never serialized: a configuration written out (logs, caches, the PHP
    /// engine cache key) must not carry the key; an engine drops it after
    /// parsing (see [`crate::Engine::config`]).
    #[serde(skip_serializing)]
    pub private_key_pem: Option<String>,
    /// A file holding the private key, used when `private_key_pem` is unset;
    /// `file://` paths work, and a value that starts with `-----BEGIN` is
    /// read as the PEM contents themselves, as Spryker keeps them under
    /// `OauthConstants::PRIVATE_KEY_PATH` (D31). Contents are never
    /// serialized (written as `"[key contents]"`), and an engine drops them
    /// after parsing, as `private_key_pem`.
    #[serde(serialize_with = "serialize_key_path")]
    pub private_key_path: Option<String>,
    /// Earlier public keys (PEM) that still verify tokens after a key rotation.
    pub previous_public_keys_pem: Vec<String>,
    /// Files holding earlier public keys.
    pub previous_public_key_paths: Vec<String>,
    /// The OAuth client; becomes `aud`. Default `frontend`.
    pub client_id: String,
    /// Access-token lifetime in seconds. Default 28800 (8 hours).
    pub access_token_ttl: u64,
    /// Lifetime of impersonation access tokens in seconds, still capped by
    /// the agent token that started the impersonation (D4). Unset means
    /// `access_token_ttl`, as Spryker; 900 makes a blocked agent's
    /// impersonation die everywhere within 15 minutes (issue 12).
    pub impersonation_access_token_ttl: Option<u64>,
    /// The impersonation policy (issue 12); every rule is off by default.
    pub impersonation: ImpersonationPolicy,
    /// Refresh-token lifetime in seconds; unset means one calendar month
    /// (31 Jan + 1 month = 28/29 Feb), as Spryker's `P1M` (D5).
    pub refresh_token_ttl: Option<u64>,
    /// Seconds during which a spent refresh token may be presented again and
    /// gets a sibling pair instead of revoking its family (D9). Default 0 (off).
    pub refresh_reuse_grace: u64,
    /// Clock skew tolerated when checking `exp`, `nbf` and `iat`. Default 0.
    pub leeway: u64,
    /// argon2id parameters for new password hashes.
    pub argon2: Argon2Config,
    /// Failed-login lockout.
    pub lockout: LockoutPolicy,
    /// Bounds on concurrent password verification (D28).
    pub password_pool: PasswordPoolConfig,
    /// Proxies (addresses or CIDR ranges, such as `10.0.0.0/8`) whose
    /// `X-Forwarded-For` the Glue handler believes (D29). Default none: the
    /// peer address the transport reports is the client.
    pub trusted_proxies: TrustedProxies,
    /// Database connections kept open for reuse. Default 8.
    pub pool_size: usize,
    /// Milliseconds a write waits for another process's lock. Default 5000.
    pub busy_timeout_ms: u64,
    /// Scheme and host the Glue `links` start with, such as
    /// `https://glue.mysprykershop.com`. Default empty: links are paths.
    pub glue_base_url: String,
    /// Largest request body the Glue handler accepts, in bytes. Default 65536.
    pub glue_max_body_bytes: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_path: "agent-oauth.db".into(),
            database_url: None,
            table_prefix: "agent_oauth_".into(),
            upgrade_schema: false,
            private_key_pem: None,
            private_key_path: None,
            previous_public_keys_pem: Vec::new(),
            previous_public_key_paths: Vec::new(),
            client_id: "frontend".into(),
            access_token_ttl: 28800,
            impersonation_access_token_ttl: None,
            impersonation: ImpersonationPolicy::default(),
            refresh_token_ttl: None,
            refresh_reuse_grace: 0,
            leeway: 0,
            argon2: Argon2Config::default(),
            lockout: LockoutPolicy::default(),
            password_pool: PasswordPoolConfig::default(),
            trusted_proxies: TrustedProxies::default(),
            pool_size: 8,
            busy_timeout_ms: 5000,
            glue_base_url: String::new(),
            glue_max_body_bytes: 64 * 1024,
        }
    }
}

impl std::fmt::Debug for Config {
    // The private key never reaches a log through `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_path", &self.database_path)
            .field(
                "database_url",
                &self.database_url.as_deref().map(crate::store::redact_url),
            )
            .field("table_prefix", &self.table_prefix)
            .field("upgrade_schema", &self.upgrade_schema)
            .field(
                "private_key_pem",
                &self.private_key_pem.as_ref().map(|_| "[redacted]"),
            )
            .field(
                "private_key_path",
                &self
                    .private_key_path
                    .as_deref()
                    .map(|p| match holds_key_contents(p) {
                        true => "[redacted]",
                        false => p,
                    }),
            )
            .field("previous_public_key_paths", &self.previous_public_key_paths)
            .field("client_id", &self.client_id)
            .field("access_token_ttl", &self.access_token_ttl)
            .field(
                "impersonation_access_token_ttl",
                &self.impersonation_access_token_ttl,
            )
            .field("impersonation", &self.impersonation)
            .field("refresh_token_ttl", &self.refresh_token_ttl)
            .field("refresh_reuse_grace", &self.refresh_reuse_grace)
            .field("leeway", &self.leeway)
            .field("argon2", &self.argon2)
            .field("lockout", &self.lockout)
            .field("password_pool", &self.password_pool)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("pool_size", &self.pool_size)
            .field("busy_timeout_ms", &self.busy_timeout_ms)
            .field("glue_base_url", &self.glue_base_url)
            .field("glue_max_body_bytes", &self.glue_max_body_bytes)
            .finish()
    }
}

impl Config {
    /// Parses a JSON configuration; unknown keys are an error, so typos surface.
    pub fn from_json(json: &str) -> Result<Self> {
        let invalid = |e: serde_json::Error| Error::Config(format!("invalid configuration: {e}"));
        let value: serde_json::Value = serde_json::from_str(json).map_err(invalid)?;
        // serde would also read arrays by field position; only named keys are the format.
        let is_object = |v: Option<&serde_json::Value>| v.is_none_or(serde_json::Value::is_object);
        let nested = ["argon2", "lockout", "password_pool", "impersonation"];
        if !value.is_object() || !nested.iter().all(|k| is_object(value.get(*k))) {
            return Err(Error::Config(
                "invalid configuration: expected a JSON object (and objects for argon2, lockout, password_pool and impersonation)".into(),
            ));
        }
        let config: Config = serde_json::from_value(value).map_err(invalid)?;
        config.validate()?;
        Ok(config)
    }

    /// A SHA-256 over every setting, the private key included, for caches
    /// of engines by configuration (the PHP extension's per-process cache):
    /// equal configurations, equal fingerprints, without keeping the key.
    pub fn fingerprint(&self) -> [u8; 32] {
        let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        context.update(&serde_json::to_vec(self).expect("a configuration serializes"));
        context.update(b"\0");
        if let Some(pem) = &self.private_key_pem {
            context.update(pem.as_bytes());
        }
        if let Some(contents) = self
            .private_key_path
            .as_deref()
            .filter(|p| holds_key_contents(p))
        {
            context.update(b"\0");
            context.update(contents.as_bytes());
        }
        let digest = context.finish();
        digest.as_ref().try_into().expect("SHA-256 is 32 bytes")
    }

    /// Checks the values that serde cannot.
    pub fn validate(&self) -> Result<()> {
        if self.client_id.is_empty() {
            return Err(Error::Config("client_id must not be empty".into()));
        }
        if self.access_token_ttl == 0 || self.access_token_ttl > 366 * 86400 {
            return Err(Error::Config(
                "access_token_ttl must be between 1 second and a year".into(),
            ));
        }
        if self
            .impersonation_access_token_ttl
            .is_some_and(|ttl| ttl == 0 || ttl > 366 * 86400)
        {
            return Err(Error::Config(
                "impersonation_access_token_ttl must be between 1 second and a year".into(),
            ));
        }
        self.impersonation.compile()?;
        // Wrong consent codes are limited by the lockout (D30): without it a
        // million codes could be tried within a code's lifetime.
        if self.impersonation.require_customer_consent && self.lockout.max_failures == 0 {
            return Err(Error::Config(
                "impersonation.require_customer_consent needs the lockout (lockout.max_failures of at least 1): it limits wrong consent codes".into(),
            ));
        }
        if self.refresh_token_ttl == Some(0) {
            return Err(Error::Config("refresh_token_ttl must be positive".into()));
        }
        // Durations become i64 seconds (and SQLite's i32 milliseconds): bounds
        // keep every sum in range, so no setting can wrap or switch a rule off
        // (found by the config_parse fuzz target).
        const TEN_YEARS: u64 = 10 * 366 * 86400;
        let bounded = [
            (
                "refresh_token_ttl",
                self.refresh_token_ttl.unwrap_or(0),
                TEN_YEARS,
            ),
            ("refresh_reuse_grace", self.refresh_reuse_grace, TEN_YEARS),
            ("leeway", self.leeway, 86400),
            ("lockout.window", self.lockout.window, TEN_YEARS),
            ("lockout.block", self.lockout.block, TEN_YEARS),
            ("busy_timeout_ms", self.busy_timeout_ms, 3_600_000),
        ];
        for (name, value, max) in bounded {
            if value > max {
                return Err(Error::Config(format!("{name} must be at most {max}")));
            }
        }
        if self.password_pool.queue_wait_ms > 3_600_000 {
            return Err(Error::Config(
                "password_pool.queue_wait_ms must be at most an hour".into(),
            ));
        }
        if self.database_url().is_empty() {
            return Err(Error::Config("database_path must not be empty".into()));
        }
        let prefix_ok = self.table_prefix.len() <= 32
            && self
                .table_prefix
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !prefix_ok {
            return Err(Error::Config(
                "table_prefix must be at most 32 characters of a-z, 0-9 and _".into(),
            ));
        }
        Ok(())
    }

    /// The URL of the store: `database_url`, else `database_path`.
    pub fn database_url(&self) -> &str {
        self.database_url.as_deref().unwrap_or(&self.database_path)
    }

    /// The private key PEM, from `private_key_pem` or `private_key_path`.
    pub(crate) fn load_private_key(&self) -> Result<Vec<u8>> {
        match (&self.private_key_pem, &self.private_key_path) {
            (Some(pem), _) => Ok(unline(pem)),
            (None, Some(path)) => read_key(path, "private_key_path"),
            (None, None) => Err(Error::Config(
                "no signing key: set private_key_pem or private_key_path (the shop's OAuth private key)".into(),
            )),
        }
    }

    /// The previous public keys' PEMs, inline ones first.
    pub(crate) fn load_previous_keys(&self) -> Result<Vec<Vec<u8>>> {
        let mut keys: Vec<Vec<u8>> = self
            .previous_public_keys_pem
            .iter()
            .map(|p| unline(p))
            .collect();
        for path in &self.previous_public_key_paths {
            keys.push(read_key(path, "previous public key")?);
        }
        Ok(keys)
    }
}

/// Writes `private_key_path`, with key contents replaced by a marker.
fn serialize_key_path<S: serde::Serializer>(
    value: &Option<String>,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    match value.as_deref() {
        Some(contents) if holds_key_contents(contents) => {
            serializer.serialize_some("[key contents]")
        }
        other => serde::Serialize::serialize(&other, serializer),
    }
}

/// True when a `..._path` value holds PEM contents rather than a path.
pub(crate) fn holds_key_contents(value: &str) -> bool {
    value.trim_start().starts_with("-----BEGIN")
}

/// PEM contents with the docker SDK's `__LINE__` read as newlines (D31).
fn unline(pem: &str) -> Vec<u8> {
    pem.replace("__LINE__", "\n").into_bytes()
}

/// A key as Spryker's configuration holds it (D31): PEM contents (Spryker
/// keeps them under `OauthConstants::PRIVATE_KEY_PATH`), a path, or a
/// `file://` path as league's `CryptKey` accepts.
fn read_key(value: &str, what: &str) -> Result<Vec<u8>> {
    if holds_key_contents(value) {
        return Ok(unline(value.trim_start()));
    }
    let path = value.strip_prefix("file://").unwrap_or(value);
    std::fs::read(path).map_err(|e| {
        // A value that is not a path may be key material: never echo it.
        let looks_secret = path.len() > 1024
            || path.contains('\n')
            || path.contains("__LINE__")
            || path.contains("KEY");
        match looks_secret {
            true => Error::Config(format!(
                "cannot read {what}: the value is neither PEM contents nor a readable path ({})",
                e.kind()
            )),
            false => Error::Config(format!("cannot read {what} {path:?}: {e}")),
        }
    })
}
