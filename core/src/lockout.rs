//! Brute-force protection of agent login (D17, D27): a counter per client IP
//! and lower-cased username, kept in the store so every process sees it.
//!
//! An attempt is counted *before* its password is verified, in one atomic
//! step with the block test ([`LockoutPolicy::reserve`]); otherwise every
//! request arriving while the first failures are still being verified would
//! pass the test, and a burst could try hundreds of passwords.

use serde::{Deserialize, Serialize};

/// Lockout settings. Defaults are Spryker's B2B values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LockoutPolicy {
    /// Failures within `window` that start a block (default 9; 0 disables lockout).
    pub max_failures: u32,
    /// Seconds over which failures are counted, from the first (default 900).
    pub window: u64,
    /// Seconds a block lasts (default 360).
    pub block: u64,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy {
            max_failures: 9,
            window: 900,
            block: 360,
        }
    }
}

impl crate::Engine {
    /// The reservation step of D27 on `key`, in one atomic store update:
    /// blocked, or the attempt counted now. Agent login and consent codes
    /// share it.
    pub(crate) fn reserve_attempt(&self, key: &str, now: i64) -> crate::Result<Reservation> {
        let policy = self.config().lockout;
        let mut decided = None;
        self.store().update(key, &mut |state| {
            let (next, reservation) = policy.reserve(state, now);
            decided = Some(reservation);
            next
        })?;
        decided.ok_or_else(|| crate::Error::Internal("lockout store skipped the update".into()))
    }
}

/// The stored counter of one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutState {
    /// Failures counted in the current window.
    pub failures: u32,
    /// When the current window began (first failure), Unix seconds.
    pub window_start: i64,
    /// End of the current block, if one was started.
    pub blocked_until: Option<i64>,
}

/// The counter key for an IP and a username: the username as the agent
/// directory stores it when the agent exists, lower-cased.
pub fn key(client_ip: &str, username: &str) -> String {
    format!("{client_ip}\u{1f}{}", username.to_lowercase())
}

/// What [`LockoutPolicy::reserve`] decided for one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// The key is blocked for this many more seconds: answer 4401 without
    /// verifying the password and without counting.
    Blocked {
        /// Seconds until the block ends, rounded up.
        retry_after: u64,
    },
    /// The attempt is counted; verify the password, then settle.
    Counted {
        /// True when this attempt is the one that reached `max_failures`:
        /// its failure locks the key.
        locks: bool,
    },
}

impl LockoutPolicy {
    /// Seconds the key stays blocked, if it is blocked at `now`.
    pub fn blocked_for(&self, state: Option<&LockoutState>, now: i64) -> Option<u64> {
        let until = state?.blocked_until?;
        (until > now).then(|| (until - now) as u64)
    }

    /// The atomic step taken before any password work (D27): blocked, or the
    /// attempt counted as a failure now. The attempt that reaches
    /// `max_failures` sets the block at once, so attempts arriving while it
    /// is still being verified are refused; a success later deletes the key
    /// (D17: success resets the count), which also lifts that block.
    pub fn reserve(
        &self,
        state: Option<LockoutState>,
        now: i64,
    ) -> (Option<LockoutState>, Reservation) {
        if let Some(retry_after) = self.blocked_for(state.as_ref(), now) {
            return (state, Reservation::Blocked { retry_after });
        }
        let next = self.after_failure(state, now);
        let locks = next.blocked_until.is_some();
        (Some(next), Reservation::Counted { locks })
    }

    /// The state after one more failure at `now`; a block starts when the
    /// count reaches `max_failures` within `window`.
    pub fn after_failure(&self, state: Option<LockoutState>, now: i64) -> LockoutState {
        let fresh = LockoutState {
            failures: 0,
            window_start: now,
            blocked_until: None,
        };
        let mut next = match state {
            Some(s)
                if now - s.window_start < self.window as i64
                    && s.blocked_until.is_none_or(|u| u > now) =>
            {
                s
            }
            _ => fresh,
        };
        next.failures += 1;
        if self.max_failures > 0 && next.failures >= self.max_failures {
            next.blocked_until = Some(now + self.block as i64);
        }
        next
    }
}
