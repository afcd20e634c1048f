//! Agent login (`agent_credentials`): the token pair, the single 4101 error,
//! equal work (D18), bcrypt compatibility with PHP and Symfony, re-hashing,
//! and the lockout (D17), on the fixed clock of `common`.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use agent_oauth_core::audit::{AuditEvent, AuditKind, AuditQuery};
use agent_oauth_core::clock::FixedClock;
use agent_oauth_core::directory::{Agent, AgentDirectory, AgentStatus};
use agent_oauth_core::grant::GrantRequest;
use agent_oauth_core::lockout::LockoutPolicy;
use agent_oauth_core::password::{Argon2Hasher, PasswordHasher};
use agent_oauth_core::random::{CountingRandom, OsRandom};
use agent_oauth_core::{Engine, Error, REFRESH_TOKEN_PREFIX, Result, TokenResponse};
use argon2::PasswordHasher as _;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{AGENT, CountingHasher, Fixture, IP, NOW, PASSWORD};

/// A second client address, for the per-IP lockout key.
const OTHER_IP: &str = "198.51.100.23";
const WRONG: &str = "wrong-password-42";

/// The PHP-generated bcrypt hashes of `tests/fixtures/php_bcrypt.json`.
const PHP_BCRYPT: &str = include_str!("fixtures/php_bcrypt.json");

/// `password_hash(str_repeat("0123456789", 8), PASSWORD_BCRYPT, ["cost" => 4])`
/// on PHP 8.2.36: an 80-byte password stored the way Spryker's
/// `UserFacade` stores it, without Symfony's pre-hash.
const SPRYKER_LONG_PASSWORD_HASH: &str =
    "$2y$04$i3eWYIr7P.z2RcjtxG0VUezV2wOueK4AWJfbP9ts7kqeZC1e.rvSi";

/// `password_hash("change123", PASSWORD_ARGON2ID, ["memory_cost" => 512,
/// "time_cost" => 2, "threads" => 1])` on PHP 8.2.36.
const PHP_ARGON2ID_M512_T2: &str = "$argon2id$v=19$m=512,t=2,p=1$WDBmTS5lcXYxQ015aTd2ZQ$YkZ2HFEvP8Xnk7HkdEkWh3LkEZDmgzBnta9ewdSeJDQ";

/// The PHC prefix of hashes made with the tests' cheap parameters (D24).
const CHEAP_PREFIX: &str = "$argon2id$v=19$m=256,t=1,p=1$";

// ---------------------------------------------------------------------------
// Helpers

fn login(f: &Fixture, username: &str, password: &str) -> Result<TokenResponse> {
    f.engine.agent_login(username, password, IP)
}

#[track_caller]
fn assert_authentication_failed(result: Result<TokenResponse>) {
    let err = result.expect_err("login must fail");
    assert!(matches!(err, Error::AuthenticationFailed), "got {err:?}");
    assert_eq!(err.glue_code(), Some("4101"));
    assert_eq!(err.http_status(), 401);
}

#[track_caller]
fn assert_too_many_attempts(result: Result<TokenResponse>, seconds: u64) {
    let err = result.expect_err("login must be blocked");
    assert!(
        matches!(err, Error::TooManyAttempts { retry_after } if retry_after == seconds),
        "expected TooManyAttempts {{ retry_after: {seconds} }}, got {err:?}"
    );
    assert_eq!(err.glue_code(), Some("4401"));
    assert_eq!(err.http_status(), 429);
}

fn all_events(engine: &Engine) -> Vec<AuditEvent> {
    engine.audit_events(&AuditQuery::default()).expect("audit")
}

fn events_of(engine: &Engine, kind: AuditKind) -> Vec<AuditEvent> {
    all_events(engine)
        .into_iter()
        .filter(|e| e.kind == kind)
        .collect()
}

/// `n` logins with a wrong password, each answered 4101.
#[track_caller]
fn fail_times(engine: &Engine, n: usize, username: &str, ip: &str) {
    for _ in 0..n {
        assert_authentication_failed(engine.agent_login(username, WRONG, ip));
    }
}

/// A fixture whose engine hashes through a [`CountingHasher`].
fn counting_fixture() -> (Fixture, Arc<CountingHasher>) {
    let clock = Arc::new(FixedClock::new(NOW));
    let hasher = CountingHasher::new();
    let f = common::fixture_with(
        common::builder(&clock).password_hasher(hasher.clone()),
        clock,
    );
    (f, hasher)
}

/// How many password verifications `attempt` costs.
fn verifications(f: &Fixture, hasher: &CountingHasher, attempt: impl FnOnce(&Engine)) -> usize {
    // Warm the dummy hash up so its one-time creation is not in the count.
    assert_authentication_failed(f.engine.agent_login("warm-up@spryker.com", WRONG, OTHER_IP));
    let before = hasher.verifies();
    attempt(&f.engine);
    hasher.verifies() - before
}

fn fixture_with_policy(policy: LockoutPolicy) -> Fixture {
    let clock = Arc::new(FixedClock::new(NOW));
    common::fixture_with(common::builder(&clock).lockout(policy), clock)
}

struct BcryptCase {
    password: String,
    hash: String,
}

fn php_bcrypt_cases() -> Vec<BcryptCase> {
    let doc: serde_json::Value = serde_json::from_str(PHP_BCRYPT).expect("fixture JSON");
    doc["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| {
            let password = match c.get("password_hex") {
                Some(hex) => String::from_utf8(decode_hex(hex.as_str().expect("hex")))
                    .expect("UTF-8 password"),
                None => c["password"].as_str().expect("password").to_owned(),
            };
            BcryptCase {
                password,
                hash: c["hash"].as_str().expect("hash").to_owned(),
            }
        })
        .collect()
}

fn decode_hex(hex: &str) -> Vec<u8> {
    assert_eq!(hex.len() % 2, 0);
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex digit"))
        .collect()
}

fn stored_hash(engine: &Engine, id: i64) -> String {
    engine
        .store()
        .find_agent_by_id(id)
        .expect("store")
        .expect("agent")
        .password_hash
}

/// An argon2 hash of `password` with the given algorithm and parameters.
fn argon2_hash(algorithm: argon2::Algorithm, m: u32, t: u32, p: u32, password: &str) -> String {
    let params = argon2::Params::new(m, t, p, None).expect("params");
    argon2::Argon2::new(algorithm, argon2::Version::V0x13, params)
        .hash_password_with_salt(password.as_bytes(), b"fixed-test-salt!")
        .expect("hash")
        .to_string()
}

// ---------------------------------------------------------------------------
// 1. Successful login

#[test]
fn login_returns_bearer_pair_with_8_hour_access_token_and_ao1_refresh_token() {
    let f = common::fixture();
    let t = login(&f, AGENT, PASSWORD).unwrap();

    assert_eq!(t.token_type, "Bearer");
    assert_eq!(t.expires_in, 28800);
    assert_eq!(REFRESH_TOKEN_PREFIX, "ao1_");
    let body = t.refresh_token.strip_prefix("ao1_").expect("ao1_ prefix");
    assert_eq!(body.len(), 43);
    assert!(
        body.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "not base64url: {body}"
    );
    assert_eq!(URL_SAFE_NO_PAD.decode(body).unwrap().len(), 32);

    let claims = f.engine.verify(&t.access_token).unwrap();
    assert_eq!(claims.subject.id_agent, Some(1));
    assert_eq!(claims.scopes, vec!["agent".to_owned()]);
    assert_eq!(claims.iat, NOW);
    assert_eq!(claims.exp, NOW + 28800);
}

#[test]
fn successful_login_is_audited_with_agent_username_ip_and_token_jti() {
    let f = common::fixture();
    let t = login(&f, AGENT, PASSWORD).unwrap();
    let jti = f.engine.verify(&t.access_token).unwrap().jti;
    assert_eq!(jti.len(), 80);

    let events = all_events(&f.engine);
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.kind, AuditKind::AgentLoginSucceeded);
    assert_eq!(e.kind.as_str(), "agent_login_succeeded");
    assert_eq!(e.at, NOW);
    assert_eq!(e.agent_id, Some(1));
    assert_eq!(e.agent_username.as_deref(), Some(AGENT));
    assert_eq!(e.client_ip.as_deref(), Some(IP));
    assert_eq!(e.jti.as_deref(), Some(jti.as_str()));
    assert_eq!(e.customer_reference, None);
    assert_eq!(e.reason, None);
    assert_eq!(e.code, None);
}

#[test]
fn audit_events_contain_no_password_and_no_token_text() {
    let f = common::fixture();
    assert_authentication_failed(login(&f, AGENT, WRONG));
    let first = login(&f, AGENT, PASSWORD).unwrap();
    let second = login(&f, AGENT, PASSWORD).unwrap();

    let events = all_events(&f.engine);
    assert_eq!(events.len(), 3);
    let json = serde_json::to_string(&events).unwrap();
    assert!(json.contains("agent_login_succeeded"), "{json}");
    assert!(!json.contains(PASSWORD), "password in audit: {json}");
    assert!(!json.contains(WRONG), "wrong password in audit: {json}");
    for token in [
        &first.access_token,
        &first.refresh_token,
        &second.access_token,
        &second.refresh_token,
    ] {
        let chars: Vec<char> = token.chars().collect();
        for window in chars.windows(12) {
            let piece: String = window.iter().collect();
            assert!(
                !json.contains(&piece),
                "token text {piece:?} in audit: {json}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// 2. Every failure is 4101

#[test]
fn wrong_password_fails_with_4101() {
    let f = common::fixture();
    assert_authentication_failed(login(&f, AGENT, WRONG));
    assert_authentication_failed(login(&f, AGENT, "change1234"));
    assert_authentication_failed(login(&f, AGENT, "Change123"));
}

#[test]
fn unknown_username_fails_with_4101() {
    let f = common::fixture();
    assert_authentication_failed(login(&f, "nobody@spryker.com", PASSWORD));
}

#[test]
fn username_differing_only_in_case_fails_with_4101() {
    let f = common::fixture();
    assert_authentication_failed(login(&f, "ADMIN@spryker.com", PASSWORD));
    assert_authentication_failed(login(&f, "Admin@Spryker.com", PASSWORD));
    assert_authentication_failed(login(&f, " admin@spryker.com", PASSWORD));
    login(&f, AGENT, PASSWORD).unwrap();
}

#[test]
fn blocked_agent_with_right_password_fails_with_4101() {
    let f = common::fixture();
    f.engine
        .add_agent_with_id(
            Some(2),
            "blocked@spryker.com",
            PASSWORD,
            AgentStatus::Blocked,
        )
        .unwrap();
    assert_authentication_failed(login(&f, "blocked@spryker.com", PASSWORD));

    assert!(f.engine.set_agent_status(1, AgentStatus::Blocked).unwrap());
    assert_authentication_failed(login(&f, AGENT, PASSWORD));
}

#[test]
fn deleted_agent_with_right_password_fails_with_4101() {
    let f = common::fixture();
    f.engine
        .add_agent_with_id(
            Some(2),
            "deleted@spryker.com",
            PASSWORD,
            AgentStatus::Deleted,
        )
        .unwrap();
    assert_authentication_failed(login(&f, "deleted@spryker.com", PASSWORD));

    assert!(f.engine.set_agent_status(1, AgentStatus::Deleted).unwrap());
    assert_authentication_failed(login(&f, AGENT, PASSWORD));
}

#[test]
fn empty_password_fails_with_4101() {
    let f = common::fixture();
    assert_authentication_failed(login(&f, AGENT, ""));
}

#[test]
fn empty_username_fails_with_4101() {
    let f = common::fixture();
    assert_authentication_failed(login(&f, "", PASSWORD));
    assert_authentication_failed(login(&f, "", ""));
}

#[test]
fn grant_request_without_username_or_password_fails_with_4101() {
    let f = common::fixture();
    let request = |username, password| GrantRequest {
        grant_type: "agent_credentials",
        username,
        password,
        client_ip: IP,
        ..GrantRequest::default()
    };
    assert_authentication_failed(f.engine.grant(&request(None, Some(PASSWORD))));
    assert_authentication_failed(f.engine.grant(&request(Some(AGENT), None)));
    assert_authentication_failed(f.engine.grant(&request(None, None)));
    let t = f
        .engine
        .grant(&request(Some(AGENT), Some(PASSWORD)))
        .unwrap();
    assert_eq!(t.expires_in, 28800);
}

#[test]
fn agent_whose_password_is_exactly_4096_bytes_logs_in() {
    let f = common::fixture();
    let password = "p".repeat(4096);
    let id = f
        .engine
        .add_agent_with_id(Some(2), "long@spryker.com", &password, AgentStatus::Active)
        .unwrap();
    let t = login(&f, "long@spryker.com", &password).unwrap();
    assert_eq!(
        f.engine.verify(&t.access_token).unwrap().subject.id_agent,
        Some(id)
    );
}

#[test]
fn password_of_4097_bytes_fails_with_4101_even_when_it_starts_with_the_right_one() {
    let f = common::fixture();
    let password = "p".repeat(4096);
    f.engine
        .add_agent_with_id(Some(2), "long@spryker.com", &password, AgentStatus::Active)
        .unwrap();
    let too_long = format!("{password}p");
    assert_eq!(too_long.len(), 4097);
    assert_authentication_failed(login(&f, "long@spryker.com", &too_long));
    assert_authentication_failed(login(&f, AGENT, &too_long));
    // 4097 bytes in 4095 characters: the limit counts bytes, as PHP's strlen.
    let multibyte = format!("{}é", "p".repeat(4095));
    assert_eq!(multibyte.len(), 4097);
    assert_authentication_failed(login(&f, AGENT, &multibyte));
}

#[test]
fn every_refusal_is_audited_as_agent_login_failed_with_code_4101() {
    let f = common::fixture();
    f.engine
        .add_agent_with_id(
            Some(2),
            "blocked@spryker.com",
            PASSWORD,
            AgentStatus::Blocked,
        )
        .unwrap();
    f.engine
        .add_agent_with_id(
            Some(3),
            "deleted@spryker.com",
            PASSWORD,
            AgentStatus::Deleted,
        )
        .unwrap();
    let too_long = "x".repeat(4097);
    let attempts: [(&str, &str); 8] = [
        (AGENT, WRONG),
        ("nobody@spryker.com", PASSWORD),
        ("ADMIN@spryker.com", PASSWORD),
        ("blocked@spryker.com", PASSWORD),
        ("deleted@spryker.com", PASSWORD),
        (AGENT, ""),
        ("", PASSWORD),
        (AGENT, &too_long),
    ];
    for (username, password) in attempts {
        assert_authentication_failed(login(&f, username, password));
    }

    let events = all_events(&f.engine);
    assert_eq!(events.len(), attempts.len());
    for (event, (username, _)) in events.iter().zip(attempts) {
        assert_eq!(event.kind, AuditKind::AgentLoginFailed);
        assert_eq!(event.kind.as_str(), "agent_login_failed");
        assert_eq!(event.code.as_deref(), Some("4101"));
        assert_eq!(event.agent_username.as_deref(), Some(username));
        assert_eq!(event.client_ip.as_deref(), Some(IP));
        assert_eq!(event.at, NOW);
        assert_eq!(event.agent_id, None);
        assert_eq!(event.jti, None);
    }
}

// ---------------------------------------------------------------------------
// 3. Equal work (D18)

#[test]
fn successful_login_costs_exactly_one_verification() {
    let (f, hasher) = counting_fixture();
    let n = verifications(&f, &hasher, |e| {
        e.agent_login(AGENT, PASSWORD, IP).unwrap();
    });
    assert_eq!(n, 1);
}

#[test]
fn wrong_password_for_known_agent_costs_exactly_one_verification() {
    let (f, hasher) = counting_fixture();
    let n = verifications(&f, &hasher, |e| {
        assert_authentication_failed(e.agent_login(AGENT, WRONG, IP));
    });
    assert_eq!(n, 1);
}

#[test]
fn unknown_username_costs_exactly_one_verification() {
    let (f, hasher) = counting_fixture();
    let n = verifications(&f, &hasher, |e| {
        assert_authentication_failed(e.agent_login("nobody@spryker.com", PASSWORD, IP));
    });
    assert_eq!(n, 1);
}

#[test]
fn first_unknown_username_costs_exactly_one_verification() {
    // No warm-up: creating the dummy hash is a hash, never an extra verify.
    let (f, hasher) = counting_fixture();
    assert_eq!(hasher.verifies(), 0);
    assert_authentication_failed(login(&f, "nobody@spryker.com", PASSWORD));
    assert_eq!(hasher.verifies(), 1);
}

#[test]
fn blocked_or_deleted_agent_costs_exactly_one_verification() {
    let (f, hasher) = counting_fixture();
    f.engine
        .add_agent_with_id(
            Some(2),
            "blocked@spryker.com",
            PASSWORD,
            AgentStatus::Blocked,
        )
        .unwrap();
    f.engine
        .add_agent_with_id(
            Some(3),
            "deleted@spryker.com",
            PASSWORD,
            AgentStatus::Deleted,
        )
        .unwrap();
    let n = verifications(&f, &hasher, |e| {
        assert_authentication_failed(e.agent_login("blocked@spryker.com", PASSWORD, IP));
    });
    assert_eq!(n, 1);
    let n = verifications(&f, &hasher, |e| {
        assert_authentication_failed(e.agent_login("deleted@spryker.com", PASSWORD, IP));
    });
    assert_eq!(n, 1);
}

#[test]
fn empty_password_costs_exactly_one_verification() {
    let (f, hasher) = counting_fixture();
    let n = verifications(&f, &hasher, |e| {
        assert_authentication_failed(e.agent_login(AGENT, "", IP));
    });
    assert_eq!(n, 1);
}

#[test]
fn empty_username_costs_exactly_one_verification() {
    let (f, hasher) = counting_fixture();
    let n = verifications(&f, &hasher, |e| {
        assert_authentication_failed(e.agent_login("", PASSWORD, IP));
    });
    assert_eq!(n, 1);
}

#[test]
fn over_long_password_costs_exactly_one_verification() {
    let (f, hasher) = counting_fixture();
    let too_long = "x".repeat(4097);
    let n = verifications(&f, &hasher, |e| {
        assert_authentication_failed(e.agent_login(AGENT, &too_long, IP));
    });
    assert_eq!(n, 1);
    let n = verifications(&f, &hasher, |e| {
        assert_authentication_failed(e.agent_login("nobody@spryker.com", &too_long, IP));
    });
    assert_eq!(n, 1);
}

/// Records the hash each verification runs against.
struct RecordingHasher {
    inner: Argon2Hasher,
    verified: Mutex<Vec<String>>,
}

impl PasswordHasher for RecordingHasher {
    fn hash(&self, password: &[u8]) -> Result<String> {
        self.inner.hash(password)
    }

    fn verify(&self, password: &[u8], hash: &str) -> bool {
        self.verified.lock().unwrap().push(hash.to_owned());
        self.inner.verify(password, hash)
    }

    fn needs_rehash(&self, hash: &str) -> bool {
        self.inner.needs_rehash(hash)
    }
}

#[test]
fn unknown_and_inactive_agents_are_verified_against_an_argon2id_hash_with_engine_parameters() {
    let clock = Arc::new(FixedClock::new(NOW));
    let hasher = Arc::new(RecordingHasher {
        inner: Argon2Hasher::new(common::CHEAP, Arc::new(OsRandom)).unwrap(),
        verified: Mutex::new(Vec::new()),
    });
    let f = common::fixture_with(
        common::builder(&clock).password_hasher(hasher.clone()),
        clock,
    );
    f.engine
        .add_agent_with_id(
            Some(2),
            "blocked@spryker.com",
            PASSWORD,
            AgentStatus::Blocked,
        )
        .unwrap();
    let too_long = "x".repeat(4097);
    for (username, password) in [
        ("nobody@spryker.com", PASSWORD),
        ("blocked@spryker.com", PASSWORD),
        ("", PASSWORD),
        (AGENT, ""),
        (AGENT, too_long.as_str()),
    ] {
        assert_authentication_failed(login(&f, username, password));
    }
    let verified = hasher.verified.lock().unwrap().clone();
    assert_eq!(verified.len(), 5);
    for hash in &verified {
        assert!(hash.starts_with(CHEAP_PREFIX), "{hash}");
        assert_eq!(hash, &verified[0], "one dummy hash for every refusal");
    }
    // The dummy hash is nobody's hash.
    assert_ne!(verified[0], stored_hash(&f.engine, 1));
    assert_ne!(verified[0], stored_hash(&f.engine, 2));
}

#[test]
fn login_blocked_by_lockout_costs_no_verification() {
    let (f, hasher) = counting_fixture();
    let n = verifications(&f, &hasher, |e| fail_times(e, 9, AGENT, IP));
    assert_eq!(n, 9);
    let n = verifications(&f, &hasher, |e| {
        assert_too_many_attempts(e.agent_login(AGENT, PASSWORD, IP), 360);
        assert_too_many_attempts(e.agent_login(AGENT, WRONG, IP), 360);
        assert_too_many_attempts(e.agent_login("ADMIN@spryker.com", WRONG, IP), 360);
    });
    assert_eq!(n, 0);
}

/// An agent directory of the host (D19) that can be made to fail.
struct FlakyDirectory {
    fail: AtomicBool,
    agent: Agent,
}

impl AgentDirectory for FlakyDirectory {
    fn find_by_username(&self, username: &str) -> Result<Option<Agent>> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(Error::Directory("host lookup failed".into()));
        }
        Ok((username == self.agent.username).then(|| self.agent.clone()))
    }
}

#[test]
fn failing_agent_directory_is_an_internal_error_never_4101_and_never_counted() {
    let clock = Arc::new(FixedClock::new(NOW));
    let directory = Arc::new(FlakyDirectory {
        fail: AtomicBool::new(true),
        agent: Agent {
            id: 42,
            username: AGENT.to_owned(),
            password_hash: argon2_hash(argon2::Algorithm::Argon2id, 256, 1, 1, PASSWORD),
            status: AgentStatus::Active,
        },
    });
    let f = common::fixture_with(
        common::builder(&clock).agent_directory(directory.clone()),
        clock,
    );
    for _ in 0..12 {
        let err = login(&f, AGENT, WRONG).expect_err("directory fails");
        assert!(matches!(err, Error::Directory(_)), "got {err:?}");
        assert_eq!(err.glue_code(), None);
        assert_eq!(err.http_status(), 500);
    }
    assert!(all_events(&f.engine).is_empty());

    directory.fail.store(false, Ordering::SeqCst);
    fail_times(&f.engine, 8, AGENT, IP);
    let t = login(&f, AGENT, PASSWORD).unwrap();
    assert_eq!(
        f.engine.verify(&t.access_token).unwrap().subject.id_agent,
        Some(42)
    );
}

// ---------------------------------------------------------------------------
// 4. bcrypt hashes from PHP's password_hash

#[test]
fn php_bcrypt_fixture_hashes_log_in_with_their_passwords() {
    let f = common::fixture();
    let cases = php_bcrypt_cases();
    assert_eq!(cases.len(), 5);
    for (i, case) in cases.iter().enumerate() {
        let id = 100 + i as i64;
        let username = format!("bcrypt{i}@spryker.com");
        f.engine
            .import_agent(id, &username, &case.hash, AgentStatus::Active)
            .unwrap();
        let t = login(&f, &username, &case.password)
            .unwrap_or_else(|e| panic!("case {i} ({:?}): {e:?}", case.hash));
        assert_eq!(
            f.engine.verify(&t.access_token).unwrap().subject.id_agent,
            Some(id)
        );
    }
}

#[test]
fn bcrypt_2a_and_2b_prefixes_verify_like_2y() {
    let f = common::fixture();
    for (i, case) in php_bcrypt_cases().iter().enumerate() {
        assert!(case.hash.starts_with("$2y$"));
        for (j, prefix) in ["$2a$", "$2b$"].into_iter().enumerate() {
            let id = 200 + 10 * i as i64 + j as i64;
            let username = format!("bcrypt{i}-{j}@spryker.com");
            let hash = format!("{prefix}{}", &case.hash[4..]);
            f.engine
                .import_agent(id, &username, &hash, AgentStatus::Active)
                .unwrap();
            assert_authentication_failed(login(&f, &username, WRONG));
            login(&f, &username, &case.password)
                .unwrap_or_else(|e| panic!("case {i} with {prefix}: {e:?}"));
        }
    }
}

#[test]
fn bcrypt_hash_refuses_wrong_passwords_and_keeps_the_hash() {
    let f = common::fixture();
    for (i, case) in php_bcrypt_cases().iter().enumerate() {
        let id = 300 + i as i64;
        let username = format!("bcrypt{i}@spryker.com");
        f.engine
            .import_agent(id, &username, &case.hash, AgentStatus::Active)
            .unwrap();
        let mut wrong = vec![format!("{}x", case.password), WRONG.to_owned()];
        if let Some(nul) = case.password.find('\0') {
            // C-string truncation at NUL must not let "change" in for "change\0123".
            wrong.push(case.password[..nul].to_owned());
        }
        if case.password.len() > 72 {
            // The pre-hash covers every byte: the first 72 alone do not match.
            wrong.push(case.password[..72].to_owned());
        }
        for w in &wrong {
            assert_authentication_failed(login(&f, &username, w));
        }
        assert_eq!(stored_hash(&f.engine, id), case.hash);
    }
}

#[test]
fn bcrypt_hash_is_replaced_by_argon2id_after_a_successful_login() {
    let f = common::fixture();
    for (i, case) in php_bcrypt_cases().iter().enumerate() {
        let id = 400 + i as i64;
        let username = format!("bcrypt{i}@spryker.com");
        f.engine
            .import_agent(id, &username, &case.hash, AgentStatus::Active)
            .unwrap();
        login(&f, &username, &case.password).unwrap();

        let rehashed = stored_hash(&f.engine, id);
        assert!(rehashed.starts_with("$argon2id$"), "case {i}: {rehashed}");
        assert!(rehashed.starts_with(CHEAP_PREFIX), "case {i}: {rehashed}");

        // The new hash works, refuses a wrong password, and stays as it is.
        assert_authentication_failed(login(&f, &username, WRONG));
        let t = login(&f, &username, &case.password).unwrap();
        assert_eq!(
            f.engine.verify(&t.access_token).unwrap().subject.id_agent,
            Some(id)
        );
        assert_eq!(stored_hash(&f.engine, id), rehashed);
    }
}

#[test]
fn spryker_password_over_72_bytes_stored_without_prehash_cannot_log_in() {
    // Spryker's UserFacade stores password_hash($password) without the
    // pre-hash, while the agent grant's Symfony hasher pre-hashes: the full
    // password never matches (reference section 2.3).
    let f = common::fixture();
    let password = "0123456789".repeat(8);
    assert_eq!(password.len(), 80);
    f.engine
        .import_agent(
            7,
            "longpass@spryker.com",
            SPRYKER_LONG_PASSWORD_HASH,
            AgentStatus::Active,
        )
        .unwrap();
    assert_authentication_failed(login(&f, "longpass@spryker.com", &password));
    assert_eq!(stored_hash(&f.engine, 7), SPRYKER_LONG_PASSWORD_HASH);
}

#[test]
fn spryker_password_over_72_bytes_stored_without_prehash_matches_its_first_72_bytes() {
    // What PHP does with that hash: password_verify(substr($p, 0, 72), $h)
    // is true (checked on PHP 8.2.36), and Symfony does not pre-hash 72 bytes.
    let f = common::fixture();
    let password = "0123456789".repeat(8);
    f.engine
        .import_agent(
            7,
            "longpass@spryker.com",
            SPRYKER_LONG_PASSWORD_HASH,
            AgentStatus::Active,
        )
        .unwrap();
    login(&f, "longpass@spryker.com", &password[..72]).unwrap();
    assert!(stored_hash(&f.engine, 7).starts_with(CHEAP_PREFIX));
}

// ---------------------------------------------------------------------------
// 5. Re-hash of argon2 hashes with other parameters

#[test]
fn argon2id_hash_with_other_parameters_is_rehashed_to_the_engine_parameters() {
    let f = common::fixture();
    let hashes = [
        PHP_ARGON2ID_M512_T2.to_owned(),
        argon2_hash(argon2::Algorithm::Argon2id, 512, 1, 1, PASSWORD), // m differs
        argon2_hash(argon2::Algorithm::Argon2id, 256, 2, 1, PASSWORD), // t differs
        argon2_hash(argon2::Algorithm::Argon2id, 256, 1, 2, PASSWORD), // p differs
    ];
    for (i, hash) in hashes.iter().enumerate() {
        assert!(!hash.starts_with(CHEAP_PREFIX), "{hash}");
        let id = 500 + i as i64;
        let username = format!("argon{i}@spryker.com");
        f.engine
            .import_agent(id, &username, hash, AgentStatus::Active)
            .unwrap();

        assert_authentication_failed(login(&f, &username, WRONG));
        assert_eq!(
            &stored_hash(&f.engine, id),
            hash,
            "a failure must not re-hash"
        );

        login(&f, &username, PASSWORD).unwrap();
        let rehashed = stored_hash(&f.engine, id);
        assert!(rehashed.starts_with(CHEAP_PREFIX), "case {i}: {rehashed}");
        login(&f, &username, PASSWORD).unwrap();
        assert_eq!(stored_hash(&f.engine, id), rehashed);
    }
}

#[test]
fn argon2i_hash_is_rehashed_to_argon2id() {
    let f = common::fixture();
    let hash = argon2_hash(argon2::Algorithm::Argon2i, 256, 1, 1, PASSWORD);
    assert!(hash.starts_with("$argon2i$"), "{hash}");
    f.engine
        .import_agent(9, "argon2i@spryker.com", &hash, AgentStatus::Active)
        .unwrap();
    login(&f, "argon2i@spryker.com", PASSWORD).unwrap();
    assert!(stored_hash(&f.engine, 9).starts_with(CHEAP_PREFIX));
}

#[test]
fn argon2id_hash_with_the_engine_parameters_is_kept_after_login() {
    let f = common::fixture();
    let before = stored_hash(&f.engine, 1);
    assert!(before.starts_with(CHEAP_PREFIX), "{before}");
    login(&f, AGENT, PASSWORD).unwrap();
    assert_eq!(stored_hash(&f.engine, 1), before);
}

// ---------------------------------------------------------------------------
// 6. Lockout (D17): 9 failures within 900 s block for 360 s

#[test]
fn eight_failures_answer_4101_and_do_not_block() {
    let f = common::fixture();
    fail_times(&f.engine, 8, AGENT, IP);
    login(&f, AGENT, PASSWORD).unwrap();
}

#[test]
fn ninth_failure_answers_4101_and_the_tenth_attempt_is_blocked_for_360_seconds() {
    let f = common::fixture();
    fail_times(&f.engine, 8, AGENT, IP);
    assert_authentication_failed(login(&f, AGENT, WRONG));
    assert_too_many_attempts(login(&f, AGENT, PASSWORD), 360);
    assert_too_many_attempts(login(&f, AGENT, WRONG), 360);
}

#[test]
fn retry_after_counts_down_with_the_clock() {
    let f = common::fixture();
    fail_times(&f.engine, 9, AGENT, IP);
    assert_too_many_attempts(login(&f, AGENT, PASSWORD), 360);
    f.clock.advance(100);
    assert_too_many_attempts(login(&f, AGENT, PASSWORD), 260);
    f.clock.advance(259);
    assert_too_many_attempts(login(&f, AGENT, PASSWORD), 1);
}

#[test]
fn block_ends_after_360_seconds_and_the_right_password_works() {
    let f = common::fixture();
    fail_times(&f.engine, 9, AGENT, IP);
    f.clock.advance(360);
    let t = login(&f, AGENT, PASSWORD).unwrap();
    assert_eq!(f.engine.verify(&t.access_token).unwrap().iat, NOW + 360);
}

#[test]
fn attempts_while_blocked_neither_count_nor_extend_the_block() {
    let f = common::fixture();
    fail_times(&f.engine, 9, AGENT, IP);
    for _ in 0..20 {
        assert_too_many_attempts(login(&f, AGENT, WRONG), 360);
    }
    f.clock.advance(300);
    for _ in 0..20 {
        assert_too_many_attempts(login(&f, AGENT, WRONG), 60);
    }
    f.clock.advance(60);
    // A fresh count after the block: 8 failures are again only 4101.
    fail_times(&f.engine, 8, AGENT, IP);
    login(&f, AGENT, PASSWORD).unwrap();
}

#[test]
fn failures_after_a_block_ends_start_a_new_count_and_a_new_block() {
    let f = common::fixture();
    fail_times(&f.engine, 9, AGENT, IP);
    f.clock.advance(360);
    fail_times(&f.engine, 9, AGENT, IP);
    assert_too_many_attempts(login(&f, AGENT, PASSWORD), 360);
}

#[test]
fn lockout_of_one_ip_does_not_block_another_ip() {
    let f = common::fixture();
    fail_times(&f.engine, 9, AGENT, IP);
    assert_too_many_attempts(login(&f, AGENT, PASSWORD), 360);

    assert_authentication_failed(f.engine.agent_login(AGENT, WRONG, OTHER_IP));
    f.engine.agent_login(AGENT, PASSWORD, OTHER_IP).unwrap();
    assert_too_many_attempts(login(&f, AGENT, PASSWORD), 360);
}

#[test]
fn lockout_of_one_username_does_not_block_another_username_from_the_same_ip() {
    let f = common::fixture();
    f.engine
        .add_agent_with_id(Some(2), "other@spryker.com", PASSWORD, AgentStatus::Active)
        .unwrap();
    fail_times(&f.engine, 9, AGENT, IP);
    login(&f, "other@spryker.com", PASSWORD).unwrap();
    assert_too_many_attempts(login(&f, AGENT, PASSWORD), 360);
}

#[test]
fn lockout_key_ignores_username_case() {
    let f = common::fixture();
    fail_times(&f.engine, 9, AGENT, IP);
    assert_too_many_attempts(login(&f, "ADMIN@spryker.com", PASSWORD), 360);
    assert_too_many_attempts(login(&f, "Admin@Spryker.COM", WRONG), 360);
}

#[test]
fn failures_under_different_username_cases_count_together() {
    let f = common::fixture();
    fail_times(&f.engine, 5, AGENT, IP);
    fail_times(&f.engine, 4, "ADMIN@SPRYKER.COM", IP);
    assert_too_many_attempts(login(&f, AGENT, PASSWORD), 360);
}

#[test]
fn unknown_username_is_locked_out_like_a_known_one() {
    let f = common::fixture();
    fail_times(&f.engine, 9, "nobody@spryker.com", IP);
    assert_too_many_attempts(login(&f, "nobody@spryker.com", PASSWORD), 360);
    login(&f, AGENT, PASSWORD).unwrap();
}

#[test]
fn success_resets_the_failure_count() {
    let f = common::fixture();
    fail_times(&f.engine, 8, AGENT, IP);
    login(&f, AGENT, PASSWORD).unwrap();
    fail_times(&f.engine, 8, AGENT, IP);
    login(&f, AGENT, PASSWORD).unwrap();
}

#[test]
fn ninth_failure_at_899_seconds_after_the_first_still_blocks() {
    let f = common::fixture();
    fail_times(&f.engine, 8, AGENT, IP);
    f.clock.advance(899);
    assert_authentication_failed(login(&f, AGENT, WRONG));
    assert_too_many_attempts(login(&f, AGENT, PASSWORD), 360);
}

#[test]
fn failures_spread_beyond_the_900_second_window_do_not_accumulate() {
    let f = common::fixture();
    fail_times(&f.engine, 8, AGENT, IP);
    f.clock.advance(901);
    fail_times(&f.engine, 8, AGENT, IP);
    login(&f, AGENT, PASSWORD).unwrap();
}

#[test]
fn window_counts_from_the_first_failure_not_the_last() {
    let f = common::fixture();
    // One failure every 120 s: after the 8th (at 840 s) the window of the
    // first ends at 900 s, so the 9th at 960 s opens a new window.
    for _ in 0..9 {
        assert_authentication_failed(login(&f, AGENT, WRONG));
        f.clock.advance(120);
    }
    login(&f, AGENT, PASSWORD).unwrap();
}

#[test]
fn lockout_is_audited_once_as_agent_locked_out_and_blocked_attempts_as_4401() {
    let f = common::fixture();
    fail_times(&f.engine, 9, AGENT, IP);
    for _ in 0..3 {
        assert_too_many_attempts(login(&f, AGENT, PASSWORD), 360);
    }

    let locked = events_of(&f.engine, AuditKind::AgentLockedOut);
    assert_eq!(locked.len(), 1);
    assert_eq!(locked[0].kind.as_str(), "agent_locked_out");
    assert_eq!(locked[0].agent_username.as_deref(), Some(AGENT));
    assert_eq!(locked[0].client_ip.as_deref(), Some(IP));
    assert_eq!(locked[0].at, NOW);

    let failed = events_of(&f.engine, AuditKind::AgentLoginFailed);
    let codes: Vec<&str> = failed.iter().filter_map(|e| e.code.as_deref()).collect();
    assert_eq!(codes.len(), 12);
    assert_eq!(codes[..9], ["4101"; 9]);
    assert_eq!(codes[9..], ["4401"; 3]);
    assert!(events_of(&f.engine, AuditKind::AgentLoginSucceeded).is_empty());

    // The lock-out event follows the ninth failure.
    let kinds: Vec<AuditKind> = all_events(&f.engine).iter().map(|e| e.kind).collect();
    assert_eq!(kinds[8], AuditKind::AgentLoginFailed);
    assert_eq!(kinds[9], AuditKind::AgentLockedOut);
}

#[test]
fn custom_lockout_policy_blocks_after_three_failures_for_ten_seconds() {
    let f = fixture_with_policy(LockoutPolicy {
        max_failures: 3,
        window: 60,
        block: 10,
    });
    fail_times(&f.engine, 3, AGENT, IP);
    assert_too_many_attempts(login(&f, AGENT, PASSWORD), 10);
    f.clock.advance(4);
    assert_too_many_attempts(login(&f, AGENT, PASSWORD), 6);
    f.clock.advance(6);
    login(&f, AGENT, PASSWORD).unwrap();
}

#[test]
fn custom_lockout_window_of_60_seconds_forgets_older_failures() {
    let f = fixture_with_policy(LockoutPolicy {
        max_failures: 3,
        window: 60,
        block: 10,
    });
    fail_times(&f.engine, 2, AGENT, IP);
    f.clock.advance(61);
    fail_times(&f.engine, 2, AGENT, IP);
    login(&f, AGENT, PASSWORD).unwrap();
}

#[test]
fn max_failures_zero_disables_lockout() {
    let f = fixture_with_policy(LockoutPolicy {
        max_failures: 0,
        window: 900,
        block: 360,
    });
    fail_times(&f.engine, 30, AGENT, IP);
    login(&f, AGENT, PASSWORD).unwrap();
    assert!(events_of(&f.engine, AuditKind::AgentLockedOut).is_empty());
}

// ---------------------------------------------------------------------------
// 7. Lockout shared by engines on one database file

#[test]
fn failures_counted_by_one_engine_block_logins_on_another_sharing_the_database_file() {
    let f = common::file_fixture();
    let path = f
        .dir
        .as_ref()
        .expect("tempdir")
        .path()
        .join("agent-oauth.db");
    let other = common::builder(&f.clock)
        .database_path(path.to_string_lossy())
        .random(Arc::new(OsRandom))
        .build()
        .expect("second engine");

    fail_times(&f.engine, 5, AGENT, IP);
    fail_times(&other, 4, AGENT, IP);
    assert_too_many_attempts(f.engine.agent_login(AGENT, PASSWORD, IP), 360);
    assert_too_many_attempts(other.agent_login(AGENT, PASSWORD, IP), 360);

    f.clock.advance(360);
    other.agent_login(AGENT, PASSWORD, IP).unwrap();
    // The success on `other` reset the shared counter for `f.engine` too.
    fail_times(&f.engine, 8, AGENT, IP);
    f.engine.agent_login(AGENT, PASSWORD, IP).unwrap();

    assert_eq!(events_of(&f.engine, AuditKind::AgentLockedOut).len(), 1);
}

// ---------------------------------------------------------------------------
// 8. Default argon2 parameters (D24: the one test of the defaults)

#[test]
fn engine_without_argon2_setting_hashes_with_m19456_t2_p1() {
    let clock = Arc::new(FixedClock::new(NOW));
    let engine = Engine::builder()
        .private_key_pem(common::TEST_KEY)
        .database_path(":memory:")
        .clock(clock)
        .random(Arc::new(CountingRandom::new(1)))
        .build()
        .unwrap();
    let id = engine
        .add_agent(AGENT, PASSWORD, AgentStatus::Active)
        .unwrap();
    let hash = stored_hash(&engine, id);
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    engine.agent_login(AGENT, PASSWORD, IP).unwrap();
    assert_eq!(stored_hash(&engine, id), hash);
}
