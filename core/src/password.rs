//! Password hashing: argon2id for new hashes; bcrypt hashes imported from
//! Spryker's `spy_user` are verified with Symfony's rules and replaced by
//! argon2id after the next successful login.

use std::sync::{Arc, Mutex};

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
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
///
/// argon2 works in memory the hasher controls rather than a fresh heap
/// allocation per call: an anonymous mapping per verification, which is
/// returned to the system when it ends (a long-lived PHP or C process stays
/// flat), or, with [`Argon2Hasher::keep_memory`], up to that many mappings
/// kept and reused (a server with a fixed pool of verifiers).
pub struct Argon2Hasher {
    params: Params,
    random: Arc<dyn RandomSource>,
    kept: Mutex<Vec<HashMemory>>,
    keep: usize,
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
        Ok(Argon2Hasher {
            params,
            random,
            kept: Mutex::new(Vec::new()),
            keep: 0,
        })
    }

    /// Keeps up to `count` working areas for reuse instead of returning each
    /// to the system after its verification; a server sets this to the
    /// number of verifiers it runs at once. Default 0.
    pub fn keep_memory(mut self, count: usize) -> Self {
        self.keep = count;
        self
    }

    /// Runs argon2 with `params` into `out`, in a working area of this hasher.
    fn hash_into(
        &self,
        algorithm: Algorithm,
        version: Version,
        params: Params,
        password: &[u8],
        salt: &[u8],
        out: &mut [u8],
    ) -> Result<()> {
        let needed = params.block_count();
        let reused = {
            let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
            kept.iter()
                .position(|m| m.len >= needed)
                .map(|i| kept.swap_remove(i))
        };
        let mut memory = match reused {
            Some(memory) => memory,
            None => HashMemory::new(needed)?,
        };
        let hashed = Argon2::new(algorithm, version, params).hash_password_into_with_memory(
            password,
            salt,
            out,
            memory.blocks(),
        );
        if self.keep > 0 {
            let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
            if kept.len() < self.keep {
                kept.push(memory);
            }
        }
        hashed.map_err(|e| Error::Internal(format!("argon2: {e}")))
    }

    /// Verifies against a PHC argon2 hash: the hash's own algorithm, version
    /// and parameters, output compared in constant time.
    fn verify_argon2(&self, password: &[u8], hash: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(hash) else {
            return false;
        };
        let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
            Algorithm::try_from(parsed.algorithm.as_str()),
            Params::try_from(&parsed),
            parsed.salt,
            parsed.hash,
        ) else {
            return false;
        };
        let version = match parsed.version.map(Version::try_from) {
            None => Version::V0x13,
            Some(Ok(v)) => v,
            Some(Err(_)) => return false,
        };
        let mut out = [0u8; Output::MAX_LENGTH];
        let out = &mut out[..expected.len()];
        self.hash_into(algorithm, version, params, password, salt.as_ref(), out)
            .is_ok()
            && aws_lc_rs::constant_time::verify_slices_are_equal(out, expected.as_bytes()).is_ok()
    }
}

/// argon2 working memory in an anonymous mapping, so that dropping it hands
/// the pages back to the system instead of to the allocator's free lists.
struct HashMemory {
    map: memmap2::MmapMut,
    len: usize,
}

impl HashMemory {
    fn new(blocks: usize) -> Result<Self> {
        let map = memmap2::MmapMut::map_anon(blocks.max(1) * Block::SIZE)
            .map_err(|e| Error::Internal(format!("argon2 memory: {e}")))?;
        Ok(HashMemory { map, len: blocks })
    }

    fn blocks(&mut self) -> &mut [Block] {
        // SAFETY: the mapping is page-aligned (more than Block's 64), holds
        // `len` blocks of Block::SIZE bytes, lives as long as the borrow, and
        // every bit pattern is a valid Block (128 u64 words).
        unsafe { std::slice::from_raw_parts_mut(self.map.as_mut_ptr().cast::<Block>(), self.len) }
    }
}

impl PasswordHasher for Argon2Hasher {
    fn hash(&self, password: &[u8]) -> Result<String> {
        let mut salt = [0u8; 16];
        self.random.fill(&mut salt)?;
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        self.hash_into(
            Algorithm::Argon2id,
            Version::V0x13,
            self.params.clone(),
            password,
            &salt,
            &mut out,
        )?;
        fn phc(e: impl std::fmt::Display) -> Error {
            Error::Internal(format!("argon2: {e}"))
        }
        let hash = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&self.params).map_err(phc)?,
            salt: Some(Salt::new(&salt).map_err(phc)?),
            hash: Some(Output::new(&out).map_err(phc)?),
        };
        Ok(hash.to_string())
    }

    fn verify(&self, password: &[u8], hash: &str) -> bool {
        if is_bcrypt(hash) {
            return verify_bcrypt(password, hash);
        }
        self.verify_argon2(password, hash)
    }

    fn needs_rehash(&self, hash: &str) -> bool {
        match PasswordHash::new(hash) {
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

/// The cost of a bcrypt hash (`$2y$12$...` is 12), or `None` for another
/// scheme or a malformed one.
pub fn bcrypt_cost(hash: &str) -> Option<u32> {
    if !is_bcrypt(hash) {
        return None;
    }
    hash.get(4..6)?
        .parse()
        .ok()
        .filter(|cost| (4..=31).contains(cost))
}

/// A bcrypt hash (`$2y$`, as PHP writes) of `secret` at `cost`, for the
/// verification an unknown agent costs when the shop's hashes are bcrypt.
pub(crate) fn bcrypt_dummy(secret: &[u8], cost: u32, salt: [u8; 16]) -> Result<String> {
    bcrypt::hash_with_salt(secret, cost, salt)
        .map(|parts| parts.format_for_version(bcrypt::Version::TwoY))
        .map_err(|e| crate::error::Error::Internal(format!("bcrypt: {e}")))
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
