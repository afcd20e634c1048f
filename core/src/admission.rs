//! Admission of password verifications (D28): at most `workers` run at once
//! and at most `queue` wait, each for at most `queue_wait_ms`. A login that
//! cannot be admitted is refused with [`Error::Overloaded`] before any
//! lockout step, so an attacker's burst costs neither memory nor hashing.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Bounds on concurrent password verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordPoolConfig {
    /// Verifications that may run at once; 0 (the default) means one per core.
    pub workers: usize,
    /// Logins that may wait for a worker beyond those running. Default 256.
    pub queue: usize,
    /// Milliseconds a login waits for a worker before it is refused with 503.
    /// Default 10000.
    pub queue_wait_ms: u64,
    /// Keep one argon2 working area per worker for reuse (a server) instead
    /// of returning it to the system after each verification (PHP and C
    /// hosts, whose processes live long and log in rarely). Default false.
    pub keep_memory: bool,
}

impl Default for PasswordPoolConfig {
    fn default() -> Self {
        PasswordPoolConfig {
            workers: 0,
            queue: 256,
            queue_wait_ms: 10_000,
            keep_memory: false,
        }
    }
}

impl PasswordPoolConfig {
    /// The number of workers, with 0 resolved to the cores available.
    pub fn resolved_workers(&self) -> usize {
        match self.workers {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }
}

#[derive(Debug, Default)]
struct Counts {
    running: usize,
    waiting: usize,
}

/// The admission gate of one engine.
#[derive(Debug)]
pub(crate) struct Admission {
    workers: usize,
    queue: usize,
    wait: Duration,
    counts: Mutex<Counts>,
    freed: Condvar,
}

/// A running verification's place; dropping it lets the next one in.
pub(crate) struct Permit<'a> {
    gate: &'a Admission,
}

impl Admission {
    pub(crate) fn new(config: &PasswordPoolConfig) -> Self {
        Admission {
            workers: config.resolved_workers(),
            queue: config.queue,
            wait: Duration::from_millis(config.queue_wait_ms),
            counts: Mutex::new(Counts::default()),
            freed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Counts> {
        // Counts stay consistent even if a holder panicked: every change is one statement.
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for a free worker within the configured bounds.
    pub(crate) fn enter(&self) -> Result<Permit<'_>> {
        let mut counts = self.lock();
        if counts.running < self.workers {
            counts.running += 1;
            return Ok(Permit { gate: self });
        }
        if counts.waiting >= self.queue {
            return Err(Error::Overloaded);
        }
        counts.waiting += 1;
        let deadline = Instant::now() + self.wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                counts.waiting -= 1;
                return Err(Error::Overloaded);
            }
            counts = self
                .freed
                .wait_timeout(counts, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
            if counts.running < self.workers {
                counts.waiting -= 1;
                counts.running += 1;
                return Ok(Permit { gate: self });
            }
        }
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.gate.lock().running -= 1;
        self.gate.freed.notify_one();
    }
}
