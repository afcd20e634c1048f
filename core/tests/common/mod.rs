//! Shared fixtures: committed test-only keys, a fixed clock, cheap argon2
//! parameters (D24) and a seeded agent and customers.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use agent_oauth_core::clock::FixedClock;
use agent_oauth_core::directory::{AgentStatus, Customer};
use agent_oauth_core::password::{Argon2Config, Argon2Hasher, PasswordHasher};
use agent_oauth_core::random::{CountingRandom, OsRandom};
use agent_oauth_core::{Engine, EngineBuilder, Result};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The main test signing key (PKCS#1).
pub const TEST_KEY: &str = include_str!("../keys/test-only-private-key.pem");
/// Its public key.
pub const TEST_PUBLIC_KEY: &str = include_str!("../keys/test-only-public-key.pem");
/// A second key (PKCS#8).
pub const OTHER_KEY: &str = include_str!("../keys/test-only-other-private-key.pem");
/// Its public key.
pub const OTHER_PUBLIC_KEY: &str = include_str!("../keys/test-only-other-public-key.pem");
/// A 1024-bit key, which must be refused.
pub const SMALL_KEY: &str = include_str!("../keys/test-only-1024-private-key.pem");

/// 2023-11-14T22:13:20Z.
pub const NOW: i64 = 1_700_000_000;
/// The client IP used by the tests.
pub const IP: &str = "203.0.113.7";

pub const AGENT: &str = "admin@spryker.com";
pub const PASSWORD: &str = "change123";

/// Cheap argon2 parameters for tests (D24).
pub const CHEAP: Argon2Config = Argon2Config {
    memory_kib: 256,
    iterations: 1,
    parallelism: 1,
};

pub struct Fixture {
    pub engine: Engine,
    pub clock: Arc<FixedClock>,
    pub agent_id: i64,
    /// Keeps a database directory alive when the fixture uses a file.
    pub dir: Option<tempfile::TempDir>,
}

/// A builder on `:memory:` with the test key, a fixed clock, deterministic
/// randomness and cheap argon2.
pub fn builder(clock: &Arc<FixedClock>) -> EngineBuilder {
    Engine::builder()
        .private_key_pem(TEST_KEY)
        .database_path(":memory:")
        .argon2(CHEAP)
        .clock(clock.clone())
        .random(Arc::new(CountingRandom::new(1)))
}

/// An engine with scopes, the agent `admin@spryker.com` / `change123` and the
/// customers of [`customers`].
pub fn fixture() -> Fixture {
    let clock = Arc::new(FixedClock::new(NOW));
    fixture_with(builder(&clock), clock)
}

/// As [`fixture`], from a customised builder (which must use `clock`).
pub fn fixture_with(builder: EngineBuilder, clock: Arc<FixedClock>) -> Fixture {
    let engine = builder.build().expect("engine");
    let agent_id = seed(&engine).expect("seed");
    Fixture {
        engine,
        clock,
        agent_id,
        dir: None,
    }
}

/// As [`fixture`] on a database file in a temporary directory, with OS randomness.
pub fn file_fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(FixedClock::new(NOW));
    let path = dir.path().join("agent-oauth.db");
    let builder = builder(&clock)
        .database_path(path.to_string_lossy())
        .random(Arc::new(OsRandom));
    let mut f = fixture_with(builder, clock);
    f.dir = Some(dir);
    f
}

/// Installs scopes and client, adds the agent and the customers.
pub fn seed(engine: &Engine) -> Result<i64> {
    engine.install_scopes()?;
    engine.install_default_client()?;
    let id = engine.add_agent_with_id(Some(1), AGENT, PASSWORD, AgentStatus::Active)?;
    for c in customers() {
        engine.upsert_customer(&c)?;
    }
    Ok(id)
}

pub fn customer(id: i64, reference: &str, email: &str, first: &str, last: &str) -> Customer {
    Customer {
        id_customer: id,
        customer_reference: reference.into(),
        email: email.into(),
        first_name: first.into(),
        last_name: last.into(),
        id_company_user: None,
        permissions: None,
        is_active: true,
        impersonation_allowed: true,
    }
}

/// The demo shop's customers, DE--5 with the seed's B2B identifier.
pub fn customers() -> Vec<Customer> {
    let mut de5 = customer(5, "DE--5", "karl.schmidt@spryker.com", "Karl", "Schmidt");
    de5.id_company_user = Some("dffc622b-8dd6-59ec-8e19-c5a4d5e74b1a".into());
    de5.permissions = Some(
        serde_json::json!({"permissions": [{"id_permission": 1, "key": "ReadSharedCartPermissionPlugin"}]}),
    );
    vec![
        customer(
            1,
            "DE--1",
            "spencor.hopkin@spryker.com",
            "Spencor",
            "Hopkin",
        ),
        customer(
            2,
            "DE--2",
            "maria.williams@spryker.com",
            "Maria",
            "Williams",
        ),
        customer(3, "DE--3", "maggie.may@spryker.com", "Maggie", "May"),
        customer(4, "DE--4", "bill.martin@spryker.com", "Bill", "Martin"),
        de5,
        customer(6, "DE--6", "anne.mar_tin@spryker.com", "Anne", "Mar%tin"),
    ]
}

/// The decoded JSON text of part `index` (0 header, 1 payload) of a JWT.
pub fn part(token: &str, index: usize) -> String {
    let segment = token.split('.').nth(index).expect("JWT part");
    String::from_utf8(URL_SAFE_NO_PAD.decode(segment).expect("base64url")).expect("UTF-8")
}

/// A hasher that counts its calls, around the real argon2 hasher.
pub struct CountingHasher {
    pub inner: Argon2Hasher,
    pub verifies: AtomicUsize,
    pub hashes: AtomicUsize,
}

impl CountingHasher {
    pub fn new() -> Arc<Self> {
        Arc::new(CountingHasher {
            inner: Argon2Hasher::new(CHEAP, Arc::new(OsRandom)).expect("hasher"),
            verifies: AtomicUsize::new(0),
            hashes: AtomicUsize::new(0),
        })
    }

    pub fn verifies(&self) -> usize {
        self.verifies.load(Ordering::SeqCst)
    }
}

impl PasswordHasher for CountingHasher {
    fn hash(&self, password: &[u8]) -> Result<String> {
        self.hashes.fetch_add(1, Ordering::SeqCst);
        self.inner.hash(password)
    }

    fn verify(&self, password: &[u8], hash: &str) -> bool {
        self.verifies.fetch_add(1, Ordering::SeqCst);
        self.inner.verify(password, hash)
    }

    fn needs_rehash(&self, hash: &str) -> bool {
        self.inner.needs_rehash(hash)
    }
}
