//! Password hashing: argon2id for new hashes; bcrypt hashes imported from
//! Spryker's `spy_user` are verified with Symfony's rules and replaced by
//! argon2id after the next successful login.

use std::sync::Arc;

use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::random::RandomSource;

/// Longest password accepted (Symfony's `NativePasswordHasher` limit).
pub const MAX_PASSWORD_LEN: usize = 4096;

/// argon2id cost parameters. Defaults are OWASP's: m=19456 KiB, t=2, p=1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Argon2Config {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for Argon2Config {
    fn default() -> Self {
        Argon2Config {
            memory_kib: 19456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// Hashes and verifies passwords. Injected so tests can count calls (D18).
pub trait PasswordHasher: Send + Sync {
    /// A new hash of `password` in PHC format.
    fn hash(&self, password: &[u8]) -> Result<String>;
    /// True when `password` matches `hash`; false for a mismatch or an unknown format.
    fn verify(&self, password: &[u8], hash: &str) -> bool;
    /// True when `hash` should be replaced by a new one after a successful login.
    fn needs_rehash(&self, hash: &str) -> bool;
}

/// The default hasher: argon2id, plus verification of bcrypt hashes.
pub struct Argon2Hasher {
    params: Params,
    random: Arc<dyn RandomSource>,
}

impl std::fmt::Debug for Argon2Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Argon2Hasher")
            .field("params", &self.params)
            .finish()
    }
}

impl Argon2Hasher {
    /// A hasher with these parameters, drawing salts from `random`.
    pub fn new(config: Argon2Config, random: Arc<dyn RandomSource>) -> Result<Self> {
        let params = Params::new(
            config.memory_kib,
            config.iterations,
            config.parallelism,
            None,
        )
        .map_err(|e| Error::Config(format!("argon2 parameters: {e}")))?;
        Ok(Argon2Hasher { params, random })
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }
}

impl PasswordHasher for Argon2Hasher {
    fn hash(&self, password: &[u8]) -> Result<String> {
        let mut salt = [0u8; 16];
        self.random.fill(&mut salt)?;
        self.argon2()
            .hash_password_with_salt(password, &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(format!("argon2: {e}")))
    }

    fn verify(&self, password: &[u8], hash: &str) -> bool {
        if is_bcrypt(hash) {
            return verify_bcrypt(password, hash);
        }
        // The hash carries its own parameters; `self.argon2()` only supplies defaults.
        self.argon2().verify_password(password, hash).is_ok()
    }

    fn needs_rehash(&self, hash: &str) -> bool {
        match argon2::password_hash::phc::PasswordHash::new(hash) {
            Ok(parsed) => {
                parsed.algorithm.as_str() != "argon2id"
                    || Params::try_from(&parsed).is_ok_and(|p| {
                        p.m_cost() != self.params.m_cost()
                            || p.t_cost() != self.params.t_cost()
                            || p.p_cost() != self.params.p_cost()
                    })
            }
            Err(_) => true,
        }
    }
}

fn is_bcrypt(hash: &str) -> bool {
    ["$2y$", "$2a$", "$2b$"].iter().any(|p| hash.starts_with(p))
}

/// Symfony's `NativePasswordHasher::verify` for bcrypt: a password over 72
/// bytes or containing NUL is first replaced by base64(sha512(password)),
/// then checked as PHP's `password_verify` does (truncating at 72 bytes).
fn verify_bcrypt(password: &[u8], hash: &str) -> bool {
    let prehashed;
    let input = if password.len() > 72 || password.contains(&0) {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA512, password);
        prehashed = base64::engine::general_purpose::STANDARD.encode(digest.as_ref());
        prehashed.as_bytes()
    } else {
        password
    };
    bcrypt::verify(input, hash).unwrap_or(false)
}

/// The password rules checked before any hash is touched: not empty, at most
/// [`MAX_PASSWORD_LEN`] bytes.
pub fn acceptable(password: &str) -> bool {
    !password.is_empty() && password.len() <= MAX_PASSWORD_LEN
}
