//! The impersonation policy and lifetime (issue 12, D30) through the core:
//! a short impersonation lifetime still capped by the agent token, reasons
//! (required, pattern), the per-agent caps (live sessions, starts per hour)
//! one at a time and under a concurrent burst on SQLite, PostgreSQL and
//! MariaDB, the session age at refresh, and the audit event naming the rule.

mod common;
#[cfg(feature = "mysql")]
#[path = "common/mariadb_server.rs"]
mod mariadb_server;
#[cfg(feature = "postgres")]
mod pg;

use std::sync::{Arc, Barrier};

use agent_oauth_core::audit::{AuditEvent, AuditKind, AuditQuery};
use agent_oauth_core::clock::FixedClock;
use agent_oauth_core::policy::ImpersonationPolicy;
use agent_oauth_core::random::OsRandom;
use agent_oauth_core::{Config, Engine, Error, TokenResponse};
use common::{AGENT, CHEAP, IP, NOW, PASSWORD, TEST_KEY};

const CUSTOMER: &str = "DE--5";
const OTHER_CUSTOMER: &str = "DE--1";

struct Setup {
    engine: Engine,
    clock: Arc<FixedClock>,
    _dir: Option<tempfile::TempDir>,
}

/// A seeded engine whose configuration `tune` changes, on `url` (with a
/// table prefix of its own) or on a fresh SQLite file.
fn setup_on(url: Option<(String, String)>, tune: impl FnOnce(&mut Config)) -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = Config {
        private_key_pem: Some(TEST_KEY.into()),
        argon2: CHEAP,
        upgrade_schema: true,
        ..Config::default()
    };
    match url {
        Some((url, prefix)) => {
            config.database_url = Some(url);
            config.table_prefix = prefix;
        }
        None => config.database_path = dir.path().join("a.db").to_string_lossy().into_owned(),
    }
    tune(&mut config);
    let clock = Arc::new(FixedClock::new(NOW));
    let engine = Engine::builder()
        .config(config)
        .clock(clock.clone())
        .random(Arc::new(OsRandom))
        .build()
        .expect("engine");
    common::seed(&engine).expect("seed");
    Setup {
        engine,
        clock,
        _dir: Some(dir),
    }
}

fn setup(tune: impl FnOnce(&mut Config)) -> Setup {
    setup_on(None, tune)
}

fn policy(json: &str) -> ImpersonationPolicy {
    serde_json::from_str(json).expect("policy")
}

fn login(s: &Setup) -> TokenResponse {
    s.engine.agent_login(AGENT, PASSWORD, IP).expect("login")
}

fn impersonate(
    s: &Setup,
    agent: &TokenResponse,
    reason: Option<&str>,
) -> Result<TokenResponse, Error> {
    s.engine
        .impersonate(&agent.access_token, CUSTOMER, reason, IP)
}

fn denials(engine: &Engine) -> Vec<AuditEvent> {
    engine
        .audit_events(&AuditQuery::default())
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == AuditKind::ImpersonationDenied)
        .collect()
}

fn last_started(engine: &Engine) -> AuditEvent {
    engine
        .audit_events(&AuditQuery::default())
        .unwrap()
        .into_iter()
        .rfind(|e| e.kind == AuditKind::ImpersonationStarted)
        .expect("a start")
}

fn lifetime(token: &str) -> i64 {
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            token.split('.').nth(1).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap()
}

#[test]
fn default_impersonation_lifetime_is_the_agent_tokens_as_spryker() {
    let s = setup(|_| {});
    let agent = login(&s);
    assert_eq!(agent.expires_in, 28800);
    let imp = impersonate(&s, &agent, None).unwrap();
    assert_eq!(imp.expires_in, 28800);
    assert_eq!(lifetime(&imp.access_token), 28800);
}

#[test]
fn short_impersonation_lifetime_is_kept_at_refresh_and_capped_by_the_agent_token() {
    let s = setup(|c| c.impersonation_access_token_ttl = Some(900));
    let agent = login(&s);
    assert_eq!(
        agent.expires_in, 28800,
        "agent tokens keep access_token_ttl"
    );
    let imp = impersonate(&s, &agent, None).unwrap();
    assert_eq!(imp.expires_in, 900);
    assert_eq!(lifetime(&imp.access_token), 900);
    s.clock.advance(800);
    let refreshed = s.engine.refresh(&imp.refresh_token, IP).unwrap();
    assert_eq!(refreshed.expires_in, 900);
    // 300 s before the agent token ends, the impersonation gets those 300 s.
    s.clock.set(NOW + 28800 - 300);
    let capped = s.engine.refresh(&refreshed.refresh_token, IP).unwrap();
    assert_eq!(capped.expires_in, 300);
    s.clock.advance(100);
    assert_eq!(
        s.engine
            .refresh(&capped.refresh_token, IP)
            .unwrap()
            .expires_in,
        200
    );
}

#[test]
fn reasons_are_required_and_must_match_the_pattern() {
    let s = setup(|c| {
        c.impersonation = policy(r#"{"require_reason":true,"reason_pattern":"^[A-Z]+-[0-9]+$"}"#)
    });
    let agent = login(&s);
    for blank in [None, Some(""), Some("   ")] {
        match impersonate(&s, &agent, blank) {
            Err(Error::InvalidRequest(detail)) => {
                assert_eq!(detail, "reason => This value should not be blank.")
            }
            other => panic!("{blank:?}: {other:?}"),
        }
    }
    match impersonate(&s, &agent, Some("ticket 4711")) {
        Err(Error::InvalidRequest(detail)) => {
            assert_eq!(detail, "reason => This value is not valid.")
        }
        other => panic!("{other:?}"),
    }
    impersonate(&s, &agent, Some("SUP-4711")).expect("a ticket id");
    let denied: Vec<(Option<String>, Option<String>, Option<String>)> = denials(&s.engine)
        .into_iter()
        .map(|e| (e.code, e.reason, e.policy))
        .collect();
    let blank = |reason: Option<&str>| {
        (
            Some("901".to_owned()),
            reason.map(str::to_owned),
            Some("require_reason: no reason given".to_owned()),
        )
    };
    assert_eq!(
        denied,
        vec![
            blank(None),
            blank(Some("")),
            blank(Some("   ")),
            (
                Some("901".into()),
                Some("ticket 4711".into()),
                Some("reason_pattern: does not match ^[A-Z]+-[0-9]+$".into())
            ),
        ]
    );
    assert_eq!(last_started(&s.engine).reason.as_deref(), Some("SUP-4711"));
}

#[test]
fn live_sessions_are_capped_per_agent_and_an_ended_one_frees_its_place() {
    let s = setup(|c| c.impersonation = policy(r#"{"max_active_sessions_per_agent":2}"#));
    let first_login = login(&s);
    let second_login = login(&s);
    let a = impersonate(&s, &first_login, None).unwrap();
    assert_eq!(
        last_started(&s.engine).policy.as_deref(),
        Some("1 active of 2")
    );
    // The cap counts the agent, not the agent session.
    let b = s
        .engine
        .impersonate(&second_login.access_token, OTHER_CUSTOMER, None, IP)
        .unwrap();
    assert!(matches!(
        impersonate(&s, &second_login, None),
        Err(Error::ImpersonationFailed)
    ));
    let denied = denials(&s.engine);
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0].code.as_deref(), Some("4104"));
    assert_eq!(
        denied[0].policy.as_deref(),
        Some("max_active_sessions_per_agent: 2 of 2 active")
    );
    // A refresh keeps a session, it does not start one.
    let b = s.engine.refresh(&b.refresh_token, IP).unwrap();
    // Ending one (the customer-side revoke of its own family) frees a place.
    s.engine
        .revoke(&a.access_token, &a.refresh_token, IP)
        .unwrap();
    impersonate(&s, &first_login, None).expect("a place is free");
    drop(b);
}

#[test]
fn starts_are_capped_per_hour_and_the_window_slides() {
    let s = setup(|c| c.impersonation = policy(r#"{"max_starts_per_agent_per_hour":3}"#));
    let agent = login(&s);
    for i in 0..3 {
        let imp = impersonate(&s, &agent, None).unwrap();
        // Ended at once: ended sessions still count as starts.
        s.engine
            .revoke(&imp.access_token, &imp.refresh_token, IP)
            .unwrap();
        s.clock.advance(if i == 0 { 1000 } else { 10 });
    }
    assert!(matches!(
        impersonate(&s, &agent, None),
        Err(Error::ImpersonationFailed)
    ));
    assert_eq!(
        denials(&s.engine)[0].policy.as_deref(),
        Some("max_starts_per_agent_per_hour: 3 of 3 started within the hour")
    );
    // 3600 s after the first start it leaves the window.
    s.clock.set(NOW + 3599);
    assert!(impersonate(&s, &agent, None).is_err());
    s.clock.set(NOW + 3600);
    impersonate(&s, &agent, None).expect("the first start left the window");
    assert_eq!(
        last_started(&s.engine).policy.as_deref(),
        Some("3 started of 3 within the hour")
    );
}

#[test]
fn an_old_impersonation_session_is_not_refreshed() {
    let s = setup(|c| c.impersonation = policy(r#"{"max_session_seconds":1800}"#));
    let agent = login(&s);
    let imp = impersonate(&s, &agent, Some("why")).unwrap();
    s.clock.advance(1000);
    let imp = s.engine.refresh(&imp.refresh_token, IP).unwrap();
    s.clock.advance(799);
    let imp = s.engine.refresh(&imp.refresh_token, IP).unwrap();
    s.clock.advance(1);
    assert!(matches!(
        s.engine.refresh(&imp.refresh_token, IP),
        Err(Error::ImpersonationFailed)
    ));
    let denied = denials(&s.engine);
    assert_eq!(denied.len(), 1);
    assert_eq!(
        (denied[0].code.as_deref(), denied[0].policy.as_deref()),
        (
            Some("4104"),
            Some("max_session_seconds: 1800 s old, at most 1800 s")
        )
    );
    // The session ended there: its token fails the strict check.
    assert!(matches!(
        s.engine.verify_strict(&imp.access_token),
        Err(Error::InvalidAccessToken)
    ));
    // Agent sessions are not impersonations: the rule leaves them alone.
    s.engine.refresh(&agent.refresh_token, IP).unwrap();
    // A new impersonation is a new session.
    impersonate(&s, &login(&s), Some("again")).unwrap();
}

#[test]
fn a_session_ended_by_its_age_frees_its_place_under_the_cap() {
    let s = setup(|c| {
        c.impersonation = policy(r#"{"max_session_seconds":600,"max_active_sessions_per_agent":1}"#)
    });
    let agent = login(&s);
    let imp = impersonate(&s, &agent, None).unwrap();
    assert!(impersonate(&s, &agent, None).is_err(), "the cap holds");
    s.clock.advance(600);
    assert!(matches!(
        s.engine.refresh(&imp.refresh_token, IP),
        Err(Error::ImpersonationFailed)
    ));
    impersonate(&s, &agent, None).expect("the aged session no longer counts");
}

#[test]
fn policy_values_are_checked_when_the_engine_is_built() {
    for (json, message) in [
        (
            r#"{"impersonation":{"max_active_sessions_per_agent":0}}"#,
            "impersonation.max_active_sessions_per_agent must be at least 1",
        ),
        (
            r#"{"impersonation":{"reason_pattern":"(["}}"#,
            "impersonation.reason_pattern is invalid",
        ),
        (
            r#"{"impersonation_access_token_ttl":0}"#,
            "impersonation_access_token_ttl must be between 1 second and a year",
        ),
        (
            r#"{"impersonation":{"require_reasons":true}}"#,
            "unknown field `require_reasons`",
        ),
        (r#"{"impersonation":[]}"#, "objects for argon2"),
        (
            r#"{"impersonation":{"require_customer_consent":true},"lockout":{"max_failures":0}}"#,
            "impersonation.require_customer_consent needs the lockout",
        ),
    ] {
        match Config::from_json(json) {
            Err(Error::Config(m)) => assert!(m.contains(message), "{json}: {m}"),
            other => panic!("{json}: {other:?}"),
        }
    }
}

/// 24 impersonations at once by one agent (from two sessions) against a cap
/// of 3 live sessions: exactly 3 start, the rest are 4104, and the audit
/// holds 3 starts and 21 denials.
fn burst_against_the_session_cap(s: &Setup) {
    let logins = [login(s), login(s)];
    let barrier = Barrier::new(24);
    let results: Vec<Result<TokenResponse, Error>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..24)
            .map(|i| {
                let (barrier, logins) = (&barrier, &logins);
                scope.spawn(move || {
                    barrier.wait();
                    s.engine
                        .impersonate(&logins[i % 2].access_token, CUSTOMER, None, IP)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let started = results.iter().filter(|r| r.is_ok()).count();
    let refused = results
        .iter()
        .filter(|r| matches!(r, Err(Error::ImpersonationFailed)))
        .count();
    assert_eq!((started, refused), (3, 21), "{results:?}");
    let events = s.engine.audit_events(&AuditQuery::default()).unwrap();
    let count = |kind| events.iter().filter(|e| e.kind == kind).count();
    assert_eq!(count(AuditKind::ImpersonationStarted), 3);
    assert_eq!(count(AuditKind::ImpersonationDenied), 21);
}

fn capped(c: &mut Config) {
    c.impersonation = policy(r#"{"max_active_sessions_per_agent":3}"#);
    c.pool_size = 8;
}

#[test]
fn burst_against_the_session_cap_on_sqlite() {
    burst_against_the_session_cap(&setup(capped));
}

#[cfg(feature = "postgres")]
#[test]
fn burst_against_the_session_cap_on_postgres() {
    let Some(url) = pg::url() else { return };
    burst_against_the_session_cap(&setup_on(Some((url, "policy_burst_".into())), capped));
}

#[cfg(feature = "mysql")]
#[test]
fn burst_against_the_session_cap_on_mariadb() {
    let Some(server) = mariadb_server::shared() else {
        return;
    };
    burst_against_the_session_cap(&setup_on(
        Some((server.url(), "policy_burst_".into())),
        capped,
    ));
}

/// A token as league issues one for Spryker (no `kid` in the header).
fn league_token(sub: &str, scope: &str) -> String {
    let claims = serde_json::json!({
        "aud": "frontend",
        "jti": "0123456789abcdef".repeat(5),
        "iat": NOW,
        "nbf": NOW,
        "exp": NOW + 28800,
        "sub": sub,
        "scopes": [scope],
    });
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(TEST_KEY.as_bytes()).expect("key");
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &claims,
        &key,
    )
    .expect("sign")
}

/// A customer's token: `sub` with `id_agent` null and no `act`.
fn spryker_customer_token() -> String {
    league_token(
        r#"{"id_company_user":null,"id_agent":null,"customer_reference":"DE--5","id_customer":5,"permissions":null}"#,
        "customer",
    )
}

/// An agent token of plugin mode (D2): `sub.id_agent` set, but no `kid`.
fn spryker_agent_token() -> String {
    league_token(
        r#"{"id_agent":1,"customer_reference":null,"id_customer":null}"#,
        "agent",
    )
}

fn unsigned(payload: &str) -> String {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!(
        "{}.{}.c2ln",
        b64(r#"{"alg":"RS256","kid":"k"}"#),
        b64(payload)
    )
}

#[test]
fn engine_tokens_are_told_from_spryker_tokens_without_cryptography() {
    use agent_oauth_core::token::is_engine_token;
    let s = setup(|_| {});
    let agent = login(&s);
    let imp = impersonate(&s, &agent, None).unwrap();
    assert!(
        is_engine_token(&agent.access_token),
        "agent token: id_agent"
    );
    assert!(
        is_engine_token(&imp.access_token),
        "impersonation token: act"
    );
    let customer = spryker_customer_token();
    assert!(!is_engine_token(&customer), "Spryker's customer token");
    // It verifies in the engine all the same (D1), and is no agent's.
    s.engine
        .verify(&customer)
        .expect("the shop's key signed it");
    for (token, expected) in [
        ("", false),
        ("a.b", false),
        ("a.b.c.d", false),
        (&*unsigned(r#"{"sub":"{\"id_agent\":7}"}"#), true),
        (&*unsigned(r#"{"sub":"{\"id_agent\":\"0\"}"}"#), false),
        (&*unsigned(r#"{"sub":"{\"id_agent\":0}"}"#), false),
        (&*unsigned(r#"{"sub":"not json"}"#), false),
        (&*unsigned(r#"{"act":{"sub":"x"}}"#), true),
        (&*unsigned(r#"{"act":null}"#), false),
        (&*unsigned("[1,2]"), false),
        // Spryker's own agent token (plugin mode): no `kid`.
        (&*spryker_agent_token(), false),
    ] {
        assert_eq!(is_engine_token(token), expected, "{token}");
    }
    // Looking like the engine's is no pass: the strict check refuses a forgery.
    let forged = unsigned(r#"{"act":{"sub":"x"}}"#);
    assert!(matches!(
        s.engine.verify_strict(&forged),
        Err(Error::InvalidAccessToken)
    ));
}

#[test]
fn a_customer_who_opted_out_is_not_impersonated_nor_refreshed() {
    let s = setup(|_| {});
    let agent = login(&s);
    let before = impersonate(&s, &agent, None).unwrap();
    let mut customer = s.engine.find_customer(CUSTOMER).unwrap().unwrap();
    assert!(customer.impersonation_allowed, "the default");
    customer.impersonation_allowed = false;
    s.engine.upsert_customer(&customer).unwrap();
    assert!(matches!(
        impersonate(&s, &agent, Some("why")),
        Err(Error::ImpersonationFailed)
    ));
    let denied = denials(&s.engine);
    assert_eq!(
        (denied[0].code.as_deref(), denied[0].policy.as_deref()),
        (
            Some("4104"),
            Some("impersonation_allowed: false for this customer")
        )
    );
    // The impersonation started before the opt-out ends at its next refresh.
    assert!(matches!(
        s.engine.refresh(&before.refresh_token, IP),
        Err(Error::RefreshFailed)
    ));
    assert_eq!(s.engine.impersonable_customer(CUSTOMER).unwrap(), None);
    // Other customers are not affected.
    s.engine
        .impersonate(&agent.access_token, OTHER_CUSTOMER, None, IP)
        .unwrap();
}
