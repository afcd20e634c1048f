//! Configuration parsing: `Config::from_json` on arbitrary bytes, and what
//! an accepted configuration then drives.
//!
//! Checked: nothing panics; an accepted configuration passes `validate`,
//! survives a JSON round trip unchanged, gives valid argon2 parameters or an
//! error, builds an engine or fails with an error, and its lockout policy
//! counts failures without overflow. Only configurations that touch no file
//! are built (`:memory:`, no key or previous-key paths); the test key is put
//! in when none is given. When `refresh_token_ttl` is set, one agent logs in
//! on the built engine and refreshes at once, which must work, so the expiry
//! arithmetic runs too (a plain-text password hasher keeps that cheap; the
//! configured argon2 parameters are checked on their own).
#![no_main]

use std::sync::Arc;

use agent_oauth_core::clock::FixedClock;
use agent_oauth_core::directory::AgentStatus;
use agent_oauth_core::password::{Argon2Hasher, PasswordHasher};
use agent_oauth_core::random::CountingRandom;
use agent_oauth_core::{Config, Engine, Result};
use fuzz_fixture::{NOW, TEST_KEY};
use libfuzzer_sys::fuzz_target;

/// Stores passwords as they are: the login below is about expiry
/// arithmetic, not hashing, and argon2 with fuzzed parameters could ask for
/// gigabytes.
struct PlainHasher;

impl PasswordHasher for PlainHasher {
    fn hash(&self, password: &[u8]) -> Result<String> {
        Ok(format!("plain${}", String::from_utf8_lossy(password)))
    }
    fn verify(&self, password: &[u8], hash: &str) -> bool {
        hash.strip_prefix("plain$")
            .is_some_and(|p| p.as_bytes() == password)
    }
    fn needs_rehash(&self, _hash: &str) -> bool {
        false
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(json) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(config) = Config::from_json(json) else {
        return;
    };
    config
        .validate()
        .expect("from_json accepted a configuration validate refuses");
    let again = serde_json::to_string(&config).expect("a configuration serializes");
    let reparsed = Config::from_json(&again).expect("a serialized configuration parses");
    assert!(
        reparsed == config,
        "the JSON round trip changed the configuration"
    );

    let random = Arc::new(CountingRandom::new(1));
    let _ = Argon2Hasher::new(config.argon2, random.clone());

    // `max_failures` failures in one second must block whenever the policy
    // blocks at all (a block and a window of at least a second).
    let policy = config.lockout;
    let mut state = None;
    for _ in 0..policy.max_failures.clamp(1, 12) {
        state = Some(policy.after_failure(state, NOW));
    }
    let blocks = (1..=12).contains(&policy.max_failures)
        && policy.block > 0
        && (policy.window > 0 || policy.max_failures == 1);
    if blocks {
        assert!(
            policy.blocked_for(state.as_ref(), NOW).is_some(),
            "{} failures do not block: {policy:?}",
            policy.max_failures
        );
    }

    // A file or a server: the store URL (which `database_url` overrides) must
    // be the in-memory database, and no key file may be named.
    let touches_files = config.database_url() != ":memory:"
        || config.private_key_path.is_some()
        || !config.previous_public_key_paths.is_empty();
    if touches_files {
        return;
    }
    let mut config = config;
    if config.private_key_pem.is_none() {
        config.private_key_pem = Some(TEST_KEY.to_owned());
    }
    let with_refresh_ttl = config.refresh_token_ttl.is_some();
    let Ok(engine) = Engine::builder()
        .config(config)
        .clock(Arc::new(FixedClock::new(NOW)))
        .random(random)
        .password_hasher(Arc::new(PlainHasher))
        .build()
    else {
        return;
    };
    if with_refresh_ttl {
        engine
            .add_agent("agent", "password", AgentStatus::Active)
            .expect("an agent in a new engine");
        let login = engine
            .agent_login("agent", "password", "192.0.2.1")
            .expect("the agent logs in");
        engine
            .refresh(&login.refresh_token, "192.0.2.1")
            .expect("a refresh token works the second it is issued");
    }
});
