//! Where the server keeps its state: a data directory with the database, the
//! signing key and the public keys of rotated-out signing keys.

use std::path::{Path, PathBuf};

use agent_oauth_core::client_ip::TrustedProxies;
use agent_oauth_core::token::{SigningKey, generate_private_key_pem};
use agent_oauth_core::{Config, Engine, Error, Result};

/// Paths and overrides from the command line.
#[derive(Debug, Clone)]
pub struct Paths {
    /// Directory for the database and managed keys.
    pub data_dir: PathBuf,
    /// A database file instead of `<data-dir>/agent-oauth.db`.
    pub db: Option<PathBuf>,
    /// A PEM private key (the shop's OAuth key) instead of a managed one.
    pub key: Option<PathBuf>,
    /// A JSON configuration file in the engine's schema (D10).
    pub config: Option<PathBuf>,
    /// The store by URL (D26), over the file's `database_url` and `--db`.
    pub database_url: Option<String>,
}

impl Paths {
    /// The managed signing key.
    pub fn managed_key(&self) -> PathBuf {
        self.data_dir.join("private-key.pem")
    }

    /// Where rotated-out public keys go.
    pub fn previous_keys_dir(&self) -> PathBuf {
        self.data_dir.join("previous-keys")
    }

    /// The database file.
    pub fn database(&self) -> PathBuf {
        self.db
            .clone()
            .unwrap_or_else(|| self.data_dir.join("agent-oauth.db"))
    }

    /// The configuration: the file if given (else defaults), then the paths.
    /// A managed key is generated on first use, and the caller is told so.
    pub fn config(&self, now: i64) -> Result<Config> {
        let (mut config, names_database) = match &self.config {
            Some(path) => {
                let text = read(path)?;
                let names_database =
                    text_names_key(&text, "database_path") || text_names_key(&text, "database_url");
                (Config::from_json(&text)?, names_database)
            }
            None => (Config::default(), false),
        };
        std::fs::create_dir_all(&self.data_dir).map_err(|e| io_error(&self.data_dir, e))?;
        // The data directory holds the database unless --db or the file says otherwise.
        if self.db.is_some() || !names_database {
            config.database_path = self.database().to_string_lossy().into_owned();
        }
        if let Some(url) = &self.database_url {
            config.database_url = Some(url.clone());
        } else if self.db.is_some() {
            config.database_url = None;
        }
        match &self.key {
            Some(key) => {
                config.private_key_pem = None;
                config.private_key_path = Some(key.to_string_lossy().into_owned());
            }
            None if config.private_key_pem.is_none() && config.private_key_path.is_none() => {
                let key = self.managed_key();
                if !key.exists() {
                    write_private(&key, &generate_private_key_pem()?)?;
                    eprintln!(
                        "generated a development signing key in {} (pass --key with the shop's OAuth private key in production)",
                        key.display()
                    );
                }
                config.private_key_path = Some(key.to_string_lossy().into_owned());
                config
                    .previous_public_key_paths
                    .extend(self.live_previous_keys(&config, now)?);
            }
            None => {}
        }
        Ok(config)
    }

    /// Rotated-out public keys that may still have live tokens: those rotated
    /// less than one access-token lifetime ago (impersonations never outlive
    /// the agent token, D4).
    fn live_previous_keys(&self, config: &Config, now: i64) -> Result<Vec<String>> {
        let dir = self.previous_keys_dir();
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(Vec::new());
        };
        let mut keys = Vec::new();
        for entry in entries {
            let path = entry.map_err(|e| io_error(&dir, e))?.path();
            if rotated_at(&path).is_some_and(|at| now - at < config.access_token_ttl as i64) {
                keys.push(path.to_string_lossy().into_owned());
            }
        }
        keys.sort();
        keys.reverse();
        Ok(keys)
    }

    /// Replaces the managed signing key by a new one; the old public key keeps
    /// verifying until its tokens have expired. Returns (old kid, new kid).
    pub fn rotate_key(&self, config: &Config, now: i64) -> Result<(String, String)> {
        if self.key.is_some() {
            return Err(Error::Config(
                "--key names an external key; rotate it where it is managed".into(),
            ));
        }
        let path = self.managed_key();
        let old = SigningKey::from_pem(read(&path)?.as_bytes())?;
        let dir = self.previous_keys_dir();
        std::fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
        let archived = dir.join(format!("{now}-{}.pem", old.kid()));
        std::fs::write(&archived, old.verifying_key().to_pem())
            .map_err(|e| io_error(&archived, e))?;
        let pem = generate_private_key_pem()?;
        let new = SigningKey::from_pem(pem.as_bytes())?;
        write_private(&path, &pem)?;
        // Keys whose tokens have all expired are of no use any more.
        for stale in std::fs::read_dir(&dir)
            .map_err(|e| io_error(&dir, e))?
            .flatten()
        {
            let stale = stale.path();
            if rotated_at(&stale).is_some_and(|at| now - at >= config.access_token_ttl as i64) {
                let _ = std::fs::remove_file(stale);
            }
        }
        Ok((old.kid().to_owned(), new.kid().to_owned()))
    }

    /// Builds the engine for the admin commands and makes sure scopes and
    /// the default client exist.
    pub fn engine(&self, base_url: Option<&str>) -> Result<Engine> {
        self.engine_with(|config| {
            if let Some(base) = base_url {
                config.glue_base_url = base.trim_end_matches('/').to_owned();
            }
        })
    }

    /// Builds the serving engine: links start at `base_url`, the
    /// `--trusted-proxy` entries join the file's `trusted_proxies`, and the
    /// password verifiers keep their argon2 working memory (a server runs a
    /// fixed pool of them; D28) unless the file's `password_pool` says
    /// otherwise.
    pub fn serving_engine(&self, base_url: &str, trusted_proxies: &[String]) -> Result<Engine> {
        let names_pool = match &self.config {
            Some(path) => text_names_key(&read(path)?, "password_pool"),
            None => false,
        };
        let mut trusted = Ok(());
        let engine = self.engine_with(|config| {
            config.glue_base_url = base_url.trim_end_matches('/').to_owned();
            if !names_pool {
                config.password_pool.keep_memory = true;
            }
            let mut entries: Vec<String> = config.trusted_proxies.clone().into();
            entries.extend(trusted_proxies.iter().cloned());
            match TrustedProxies::parse(entries) {
                Ok(parsed) => config.trusted_proxies = parsed,
                Err(e) => trusted = Err(e),
            }
        });
        trusted?;
        engine
    }

    /// Builds the engine after `adjust` has changed the configuration.
    pub fn engine_with(&self, adjust: impl FnOnce(&mut Config)) -> Result<Engine> {
        let now = agent_oauth_core::clock::Clock::now(&agent_oauth_core::clock::SystemClock);
        let mut config = self.config(now)?;
        adjust(&mut config);
        let engine = Engine::builder().config(config).build()?;
        engine.install_scopes()?;
        engine.install_default_client()?;
        Ok(engine)
    }
}

/// True when a JSON configuration text sets `key` at the top level.
fn text_names_key(text: &str, key: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text).is_ok_and(|v| v.get(key).is_some())
}

fn rotated_at(path: &Path) -> Option<i64> {
    path.file_name()?.to_str()?.split_once('-')?.0.parse().ok()
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| io_error(path, e))
}

fn write_private(path: &Path, pem: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| io_error(path, e))?;
    file.write_all(pem.as_bytes())
        .map_err(|e| io_error(path, e))
}

fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::Config(format!("{}: {e}", path.display()))
}
