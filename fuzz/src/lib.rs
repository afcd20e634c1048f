//! Shared fixtures of the fuzz targets: the committed test-only keys, a fixed
//! clock, deterministic randomness, cheap argon2 (D24), a demo agent and
//! customers, and an RS256 signer for payloads the fuzzer writes.
//!
//! Everything is deterministic, so a crash input replays the same way as long
//! as the engine's state (sessions, lockout rows) was built the same way.

use std::sync::Arc;

use agent_oauth_core::clock::FixedClock;
use agent_oauth_core::directory::{AgentStatus, Customer};
use agent_oauth_core::password::Argon2Config;
use agent_oauth_core::random::CountingRandom;
use agent_oauth_core::{Engine, TokenResponse};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The main test signing key (PKCS#1), committed under core/tests/keys.
pub const TEST_KEY: &str = include_str!("../../core/tests/keys/test-only-private-key.pem");
/// Its public key.
pub const TEST_PUBLIC_KEY: &str = include_str!("../../core/tests/keys/test-only-public-key.pem");
/// A second key (PKCS#8): the engine's "previous" key after a rotation.
pub const OTHER_KEY: &str = include_str!("../../core/tests/keys/test-only-other-private-key.pem");
/// Its public key.
pub const OTHER_PUBLIC_KEY: &str =
    include_str!("../../core/tests/keys/test-only-other-public-key.pem");

/// The engine's fixed time: 2023-11-14T22:13:20Z.
pub const NOW: i64 = 1_700_000_000;
/// The demo agent.
pub const AGENT: &str = "admin@spryker.com";
/// Its password: distinctive, so a leak into a response or message is found
/// by a plain substring search.
pub const PASSWORD: &str = "fuzz-Secret-7319";
/// A blocked agent, with the same password.
pub const BLOCKED_AGENT: &str = "blocked@spryker.com";
/// The address the harness logs in from; never handed to the fuzzer, so
/// fuzzed failures cannot lock the harness out.
pub const HARNESS_IP: &str = "198.51.100.250";
/// The active customer the harness impersonates.
pub const CUSTOMER: &str = "DE--5";

/// Cheap argon2 parameters (D24).
pub const CHEAP: Argon2Config = Argon2Config {
    memory_kib: 256,
    iterations: 1,
    parallelism: 1,
};

/// An engine on `:memory:` with the test key, the other key as a previous
/// key, a fixed clock, deterministic randomness and cheap argon2, with
/// scopes, the default client, the demo agents and the customers installed.
pub fn demo_engine() -> Engine {
    let engine = Engine::builder()
        .private_key_pem(TEST_KEY)
        .previous_public_key_pem(OTHER_PUBLIC_KEY)
        .database_path(":memory:")
        .argon2(CHEAP)
        .clock(Arc::new(FixedClock::new(NOW)))
        .random(Arc::new(CountingRandom::new(1)))
        .build()
        .expect("demo engine");
    engine.install_scopes().expect("scopes");
    engine.install_default_client().expect("client");
    engine
        .add_agent_with_id(Some(1), AGENT, PASSWORD, AgentStatus::Active)
        .expect("agent");
    engine
        .add_agent_with_id(Some(2), BLOCKED_AGENT, PASSWORD, AgentStatus::Blocked)
        .expect("blocked agent");
    for c in customers() {
        engine.upsert_customer(&c).expect("customer");
    }
    engine
}

fn customer(id: i64, reference: &str, email: &str, first: &str, last: &str) -> Customer {
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

/// The demo customers: DE--5 a B2B customer with permissions, DE--6 inactive.
pub fn customers() -> Vec<Customer> {
    let mut de5 = customer(5, "DE--5", "karl.schmidt@spryker.com", "Karl", "Schmidt");
    de5.id_company_user = Some("dffc622b-8dd6-59ec-8e19-c5a4d5e74b1a".into());
    de5.permissions = Some(serde_json::json!({"permissions": [
        {"id_permission": 1, "key": "ReadSharedCartPermissionPlugin"}
    ]}));
    let mut de6 = customer(6, "DE--6", "ina.aktiv@spryker.com", "Ina", "Aktiv");
    de6.is_active = false;
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
        de5,
        de6,
        customer(7, "DE--7", "σίσυφος@example.com", "Σίσυφος", "Ünïcødé"),
    ]
}

/// Tokens the harness holds: an agent session and an impersonation started
/// from it, issued from [`HARNESS_IP`].
#[derive(Debug, Clone)]
pub struct Sessions {
    /// The agent's pair.
    pub agent: TokenResponse,
    /// The impersonation of [`CUSTOMER`].
    pub impersonation: TokenResponse,
}

impl Sessions {
    /// Logs the demo agent in and impersonates [`CUSTOMER`].
    pub fn issue(engine: &Engine) -> Sessions {
        let agent = engine
            .agent_login(AGENT, PASSWORD, HARNESS_IP)
            .expect("harness login");
        let impersonation = engine
            .impersonate(&agent.access_token, CUSTOMER, Some("fuzz"), HARNESS_IP)
            .expect("harness impersonation");
        Sessions {
            agent,
            impersonation,
        }
    }

    /// True while both access tokens pass the strict check.
    pub fn live(&self, engine: &Engine) -> bool {
        engine.verify_strict(&self.agent.access_token).is_ok()
            && engine
                .verify_strict(&self.impersonation.access_token)
                .is_ok()
    }
}

/// Signs arbitrary header and payload bytes as an RS256 JWS, so the fuzzer
/// reaches the claim checks behind the signature.
pub struct Signer(RsaKeyPair);

impl Signer {
    /// A signer from a PEM RSA private key (PKCS#1 or PKCS#8).
    pub fn from_pem(pem_text: &str) -> Signer {
        let parsed = pem::parse(pem_text).expect("PEM");
        let pair = match parsed.tag() {
            "RSA PRIVATE KEY" => RsaKeyPair::from_der(parsed.contents()),
            _ => RsaKeyPair::from_pkcs8(parsed.contents()),
        }
        .expect("RSA key");
        Signer(pair)
    }

    /// `base64url(header).base64url(payload).base64url(signature)`.
    pub fn token(&self, header: &[u8], payload: &[u8]) -> String {
        let mut token = URL_SAFE_NO_PAD.encode(header);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(payload, &mut token);
        let mut signature = vec![0; self.0.public_modulus_len()];
        self.0
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                token.as_bytes(),
                &mut signature,
            )
            .expect("RS256 signature");
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&signature, &mut token);
        token
    }
}

/// True when `haystack` contains `needle` (both raw bytes). memchr's search
/// rather than comparing every window: libFuzzer intercepts each `bcmp` and
/// that alone cost a fifth of the run time.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && memchr::memmem::find(haystack, needle).is_some()
}
