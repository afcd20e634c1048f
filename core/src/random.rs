//! Randomness for token identifiers, refresh tokens and salts.
//!
//! The default reads the operating system's generator through aws-lc on every
//! call, never a user-space state, so a `fork()`ed PHP-FPM worker cannot repeat
//! its parent's values (D7).

use crate::error::{Error, Result};

/// A source of cryptographically secure random bytes.
pub trait RandomSource: Send + Sync {
    /// Fills `dest` entirely with random bytes.
    fn fill(&self, dest: &mut [u8]) -> Result<()>;
}

/// The operating system's generator, through aws-lc. The default.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

impl RandomSource for OsRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<()> {
        aws_lc_rs::rand::fill(dest).map_err(|_| Error::Internal("random source failed".into()))
    }
}

/// A deterministic generator for tests: a counter expanded with SHA-256.
/// Never use it outside tests; its output is predictable by design.
#[derive(Debug, Default)]
pub struct CountingRandom(std::sync::atomic::AtomicU64);

impl CountingRandom {
    /// A generator starting at `seed`.
    pub fn new(seed: u64) -> Self {
        CountingRandom(std::sync::atomic::AtomicU64::new(seed))
    }
}

impl RandomSource for CountingRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<()> {
        for chunk in dest.chunks_mut(32) {
            let n = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let block = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &n.to_le_bytes());
            chunk.copy_from_slice(&block.as_ref()[..chunk.len()]);
        }
        Ok(())
    }
}

impl<R: RandomSource + ?Sized> RandomSource for std::sync::Arc<R> {
    fn fill(&self, dest: &mut [u8]) -> Result<()> {
        (**self).fill(dest)
    }
}
