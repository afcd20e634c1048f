//! Equal work with the shop's own hashes (issue 13, D18): when the agent
//! directory answers with bcrypt hashes (Spryker's `spy_user`) and writes
//! nothing back, an unknown agent costs one bcrypt verification at the cost
//! the directory's hashes use, not an argon2id one, so timing tells nothing.
//! Proven by recording which hash each verification runs against, never by
//! timing.

mod common;

use std::sync::{Arc, Mutex};

use agent_oauth_core::clock::FixedClock;
use agent_oauth_core::directory::{Agent, AgentDirectory, AgentStatus};
use agent_oauth_core::password::{Argon2Hasher, PasswordHasher, bcrypt_cost};
use agent_oauth_core::random::OsRandom;
use agent_oauth_core::{Error, Result};
use common::{CHEAP, IP, NOW};

/// A hasher that records the scheme and cost (`$2y$05`, `$argon2id`) of
/// every hash it verifies against.
struct RecordingHasher {
    inner: Argon2Hasher,
    verified: Mutex<Vec<String>>,
}

impl PasswordHasher for RecordingHasher {
    fn hash(&self, password: &[u8]) -> Result<String> {
        self.inner.hash(password)
    }

    fn verify(&self, password: &[u8], hash: &str) -> bool {
        let scheme = match bcrypt_cost(hash) {
            Some(cost) => format!("bcrypt {cost}"),
            None => hash.split('$').nth(1).unwrap_or("").to_owned(),
        };
        self.verified.lock().unwrap().push(scheme);
        self.inner.verify(password, hash)
    }

    fn needs_rehash(&self, hash: &str) -> bool {
        self.inner.needs_rehash(hash)
    }
}

/// The shop's `spy_user`: one agent, bcrypt at `cost`, read-only.
struct ShopUsers {
    hash: String,
}

impl AgentDirectory for ShopUsers {
    fn find_by_username(&self, username: &str) -> Result<Option<Agent>> {
        Ok((username == "shop.agent@spryker.com").then(|| Agent {
            id: 7,
            username: username.into(),
            password_hash: self.hash.clone(),
            status: AgentStatus::Active,
        }))
    }
}

fn engine(cost: u32) -> (agent_oauth_core::Engine, Arc<RecordingHasher>) {
    let hasher = Arc::new(RecordingHasher {
        inner: Argon2Hasher::new(CHEAP, Arc::new(OsRandom)).unwrap(),
        verified: Mutex::new(Vec::new()),
    });
    let hash = bcrypt::hash("from the shop", cost).unwrap();
    let engine = common::builder(&Arc::new(FixedClock::new(NOW)))
        .password_hasher(hasher.clone())
        .agent_directory(Arc::new(ShopUsers { hash }))
        .build()
        .unwrap();
    engine.install_scopes().unwrap();
    (engine, hasher)
}

fn verified(hasher: &RecordingHasher) -> Vec<String> {
    std::mem::take(&mut *hasher.verified.lock().unwrap())
}

#[test]
fn an_unknown_agent_costs_a_bcrypt_verification_at_the_shops_cost() {
    let (engine, hasher) = engine(5);
    // Known agent, right password: its own bcrypt hash.
    engine
        .agent_login("shop.agent@spryker.com", "from the shop", IP)
        .unwrap();
    assert_eq!(verified(&hasher), ["bcrypt 5"]);
    // Unknown agent: one verification against a bcrypt dummy at cost 5.
    assert!(matches!(
        engine.agent_login("nobody@spryker.com", "guess", IP),
        Err(Error::AuthenticationFailed)
    ));
    assert_eq!(verified(&hasher), ["bcrypt 5"]);
    // Known agent, wrong password: the same single bcrypt verification.
    assert!(
        engine
            .agent_login("shop.agent@spryker.com", "wrong", IP)
            .is_err()
    );
    assert_eq!(verified(&hasher), ["bcrypt 5"]);
}

#[test]
fn the_dummy_follows_the_cost_the_directory_uses_now() {
    let (engine, hasher) = engine(4);
    // Before any hash was seen, the engine's own scheme.
    let _ = engine.agent_login("nobody@spryker.com", "guess", IP);
    assert_eq!(verified(&hasher), ["argon2id"]);
    let _ = engine.agent_login("shop.agent@spryker.com", "wrong", IP);
    let _ = engine.agent_login("nobody@spryker.com", "guess", IP);
    assert_eq!(verified(&hasher), ["bcrypt 4", "bcrypt 4"]);
}

#[test]
fn bcrypt_costs_are_read_from_php_hashes() {
    assert_eq!(
        bcrypt_cost("$2y$12$abcdefghijklmnopqrstuvABCDEFGHIJKLMNOPQRSTUVWXYZ01234"),
        Some(12)
    );
    assert_eq!(bcrypt_cost("$2a$04$x"), Some(4));
    assert_eq!(bcrypt_cost("$2y$99$x"), None);
    assert_eq!(bcrypt_cost("$argon2id$v=19$m=256,t=1,p=1$x$y"), None);
    assert_eq!(bcrypt_cost("$2y$"), None);
}
