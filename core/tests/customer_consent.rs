//! The customer's side of impersonation (issue 12, D30) through the core:
//! consent codes (created with the customer's own token, used once, expired,
//! replaced, bound to the customer, wrong codes locked out one at a time and
//! under a concurrent burst on SQLite, PostgreSQL and MariaDB) and the list
//! of impersonation sessions a customer sees (own only, statuses, paging,
//! the agent as the shop shows it).

mod common;
#[cfg(feature = "mysql")]
#[path = "common/mariadb_server.rs"]
mod mariadb_server;
#[cfg(feature = "postgres")]
mod pg;

use std::sync::{Arc, Barrier};

use agent_oauth_core::audit::{AuditEvent, AuditKind, AuditQuery};
use agent_oauth_core::clock::FixedClock;
use agent_oauth_core::consent::{CustomerSession, SessionStatus};
use agent_oauth_core::random::OsRandom;
use agent_oauth_core::{Config, Engine, Error, TokenResponse};
use common::{AGENT, CHEAP, IP, NOW, PASSWORD, TEST_KEY};

const CUSTOMER: &str = "DE--5";

struct Setup {
    engine: Engine,
    clock: Arc<FixedClock>,
    _dir: tempfile::TempDir,
}

/// A seeded engine requiring consent (and whatever `policy` adds), on `url`
/// with a table prefix of its own, or on a fresh SQLite file.
fn setup_on(url: Option<(String, String)>, policy: &str) -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config =
        Config::from_json(&format!(r#"{{"impersonation":{policy}}}"#)).expect("configuration");
    config.private_key_pem = Some(TEST_KEY.into());
    config.argon2 = CHEAP;
    config.upgrade_schema = true;
    config.pool_size = 8;
    match url {
        Some((url, prefix)) => {
            config.database_url = Some(url);
            config.table_prefix = prefix;
        }
        None => config.database_path = dir.path().join("a.db").to_string_lossy().into_owned(),
    }
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
        _dir: dir,
    }
}

fn setup(policy: &str) -> Setup {
    setup_on(None, policy)
}

const CONSENT: &str = r#"{"require_customer_consent":true}"#;
const CONSENT_CONFIG: &str = r#"{"impersonation":{"require_customer_consent":true}}"#;

/// A token as league signs one for Spryker with the shop's key (D1).
fn shop_token(sub: &str, scopes: &[&str], now: i64) -> String {
    let claims = serde_json::json!({
        "aud": "frontend",
        "jti": "0123456789abcdef".repeat(5),
        "iat": now,
        "nbf": now,
        "exp": now + 28800,
        "sub": sub,
        "scopes": scopes,
    });
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(TEST_KEY.as_bytes()).expect("key");
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &claims,
        &key,
    )
    .expect("sign")
}

/// The customer's own Spryker token.
fn customer_token(reference: &str, id: i64) -> String {
    shop_token(
        &format!(
            r#"{{"id_company_user":null,"id_agent":null,"customer_reference":"{reference}","id_customer":{id},"permissions":null}}"#
        ),
        &["customer"],
        NOW,
    )
}

fn login(s: &Setup) -> TokenResponse {
    s.engine.agent_login(AGENT, PASSWORD, IP).expect("login")
}

fn impersonate(
    s: &Setup,
    agent: &TokenResponse,
    code: Option<&str>,
) -> Result<TokenResponse, Error> {
    s.engine
        .impersonate_with_consent(&agent.access_token, CUSTOMER, Some("SUP-1"), code, IP)
}

fn code(s: &Setup) -> String {
    let consent = s
        .engine
        .create_consent(&customer_token(CUSTOMER, 5), IP)
        .expect("consent");
    assert_eq!(consent.expires_in, 600);
    assert_eq!(consent.code.len(), 6);
    assert!(consent.code.bytes().all(|b| b.is_ascii_digit()));
    consent.code
}

fn events(engine: &Engine) -> Vec<AuditEvent> {
    engine.audit_events(&AuditQuery::default()).unwrap()
}

/// The `policy` field of every `impersonation_denied` event, in order.
fn denials(engine: &Engine) -> Vec<String> {
    events(engine)
        .into_iter()
        .filter(|e| e.kind == AuditKind::ImpersonationDenied)
        .map(|e| {
            assert_eq!(e.code.as_deref(), Some("4104"));
            e.policy.unwrap_or_default()
        })
        .collect()
}

/// A code other than `code`, of the same shape.
fn other_than(code: &str) -> String {
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}

#[test]
fn a_consent_code_is_used_once_and_never_recorded() {
    let s = setup(CONSENT);
    let agent = login(&s);
    let code = code(&s);
    let imp = impersonate(&s, &agent, Some(&code)).expect("consented");
    assert!(s.engine.verify_strict(&imp.access_token).is_ok());
    assert!(matches!(
        impersonate(&s, &agent, Some(&code)),
        Err(Error::ImpersonationFailed)
    ));
    assert_eq!(
        denials(&s.engine),
        ["require_customer_consent: consent code already used"]
    );
    let all = events(&s.engine);
    let created: Vec<_> = all
        .iter()
        .filter(|e| e.kind == AuditKind::ConsentCreated)
        .collect();
    assert_eq!(created.len(), 1);
    assert_eq!(
        (
            created[0].customer_reference.as_deref(),
            created[0].client_ip.as_deref(),
            created[0].agent_id
        ),
        (Some(CUSTOMER), Some(IP), None)
    );
    let text = serde_json::to_string(&all).unwrap();
    assert!(!text.contains(&code), "the code is in the audit log");
}

#[test]
fn a_missing_wrong_expired_or_replaced_code_is_refused_with_its_reason() {
    let s = setup(CONSENT);
    let agent = login(&s);
    let first = code(&s);
    for missing in [None, Some(""), Some("  ")] {
        assert!(matches!(
            impersonate(&s, &agent, missing),
            Err(Error::ImpersonationFailed)
        ));
    }
    for wrong in [other_than(&first), "12345".into(), "abcdef".into()] {
        assert!(matches!(
            impersonate(&s, &agent, Some(&wrong)),
            Err(Error::ImpersonationFailed)
        ));
    }
    // A new code replaces the first one.
    let second = code(&s);
    assert!(impersonate(&s, &agent, Some(&first)).is_err());
    // The second expires after 600 s.
    s.clock.advance(600);
    assert!(impersonate(&s, &agent, Some(&second)).is_err());
    assert_eq!(
        denials(&s.engine),
        [
            "require_customer_consent: no consent code given",
            "require_customer_consent: no consent code given",
            "require_customer_consent: no consent code given",
            "require_customer_consent: wrong consent code",
            "require_customer_consent: wrong consent code",
            "require_customer_consent: wrong consent code",
            "require_customer_consent: wrong consent code",
            "require_customer_consent: consent code expired",
        ]
    );
    // A fresh code works again.
    let third = code(&s);
    impersonate(&s, &agent, Some(&third)).expect("a fresh code");
}

#[test]
fn a_code_is_bound_to_the_customer_who_made_it() {
    let s = setup(CONSENT);
    let agent = login(&s);
    let anne = s
        .engine
        .create_consent(&customer_token("DE--6", 6), IP)
        .unwrap()
        .code;
    assert!(impersonate(&s, &agent, Some(&anne)).is_err());
    assert_eq!(
        denials(&s.engine),
        ["require_customer_consent: wrong consent code"]
    );
    s.engine
        .impersonate_with_consent(&agent.access_token, "DE--6", None, Some(&anne), IP)
        .expect("Anne's own code");
}

#[test]
fn without_the_rule_no_code_is_needed_and_one_given_is_ignored() {
    let s = setup("{}");
    let agent = login(&s);
    impersonate(&s, &agent, None).expect("no consent required");
    impersonate(&s, &agent, Some("000000")).expect("ignored");
}

#[test]
fn only_a_customers_own_token_creates_a_consent_or_lists_sessions() {
    let s = setup(CONSENT);
    let agent = login(&s);
    let code = code(&s);
    let imp = impersonate(&s, &agent, Some(&code)).unwrap();
    // Spryker's own impersonation token names no agent but carries the scope.
    let spryker_impersonation = shop_token(
        r#"{"id_company_user":null,"id_agent":null,"customer_reference":"DE--5","id_customer":5,"permissions":null}"#,
        &["customer_impersonation", "customer"],
        NOW,
    );
    let no_customer = shop_token(r#"{"id_customer":5}"#, &["customer"], NOW);
    for token in [
        &agent.access_token,
        &imp.access_token,
        &spryker_impersonation,
        &no_customer,
    ] {
        assert!(matches!(
            s.engine.create_consent(token, IP),
            Err(Error::CustomerOnly)
        ));
        assert!(matches!(
            s.engine.customer_sessions(token, None),
            Err(Error::CustomerOnly)
        ));
    }
    let expired = shop_token(
        r#"{"customer_reference":"DE--5","id_customer":5}"#,
        &["customer"],
        NOW - 30000,
    );
    // A customer the directory no longer has (deleted), or an inactive
    // (anonymized) one: the token no longer stands for anyone.
    let deleted = customer_token("DE--404", 404);
    let mut anne = s.engine.find_customer("DE--6").unwrap().unwrap();
    anne.is_active = false;
    s.engine.upsert_customer(&anne).unwrap();
    let anonymized = customer_token("DE--6", 6);
    for token in ["", "a.b.c", &expired, &deleted, &anonymized] {
        assert!(matches!(
            s.engine.create_consent(token, IP),
            Err(Error::InvalidAccessToken)
        ));
    }
    let e = Error::CustomerOnly;
    assert_eq!(
        (e.http_status(), e.glue_code(), e.to_string().as_str()),
        (
            403,
            Some("4105"),
            "Action is available to customer user only."
        )
    );
}

#[test]
fn nine_wrong_codes_block_the_agent_for_that_customer_only() {
    let s = setup(CONSENT);
    let agent = login(&s);
    let good = code(&s);
    let wrong = other_than(&good);
    for _ in 0..9 {
        assert!(impersonate(&s, &agent, Some(&wrong)).is_err());
    }
    // Blocked: even the right code is not tried, and stays unspent.
    assert!(impersonate(&s, &agent, Some(&good)).is_err());
    let denied = denials(&s.engine);
    assert_eq!(denied.len(), 10);
    assert_eq!(
        denied[7..],
        [
            "require_customer_consent: wrong consent code".to_owned(),
            "require_customer_consent: wrong consent code; the 9th failure blocks this agent for this customer for 360 s".to_owned(),
            "require_customer_consent: too many wrong codes from this agent for this customer, blocked for 360 s".to_owned(),
        ]
    );
    // Another customer is not blocked for this agent.
    let anne = s
        .engine
        .create_consent(&customer_token("DE--6", 6), IP)
        .unwrap()
        .code;
    s.engine
        .impersonate_with_consent(&agent.access_token, "DE--6", None, Some(&anne), IP)
        .expect("another customer");
    // The block ends after 360 s; the code (600 s) is still good.
    s.clock.advance(359);
    assert!(impersonate(&s, &agent, Some(&good)).is_err());
    s.clock.advance(1);
    impersonate(&s, &agent, Some(&good)).expect("after the block");
}

/// 30 wrong codes at once: the lockout is taken before a code is tried, so
/// exactly 9 are tried and 21 refused as blocked; then 12 agents' requests
/// race for one good code of another customer and exactly one wins.
fn bursts(s: &Setup) {
    let agent = login(s);
    let good = code(s);
    let wrong = other_than(&good);
    let barrier = Barrier::new(30);
    std::thread::scope(|scope| {
        for _ in 0..30 {
            let (barrier, agent, wrong) = (&barrier, &agent, &wrong);
            scope.spawn(move || {
                barrier.wait();
                assert!(matches!(
                    impersonate(s, agent, Some(wrong)),
                    Err(Error::ImpersonationFailed)
                ));
            });
        }
    });
    let denied = denials(&s.engine);
    let tried = denied.iter().filter(|p| p.contains("wrong consent code"));
    let blocked = denied.iter().filter(|p| p.contains("too many wrong codes"));
    assert_eq!((tried.count(), blocked.count()), (9, 21), "{denied:?}");

    let anne = s
        .engine
        .create_consent(&customer_token("DE--6", 6), IP)
        .unwrap()
        .code;
    let barrier = Barrier::new(12);
    let won = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..12)
            .map(|_| {
                let (barrier, agent, anne) = (&barrier, &agent, &anne);
                scope.spawn(move || {
                    barrier.wait();
                    s.engine.impersonate_with_consent(
                        &agent.access_token,
                        "DE--6",
                        None,
                        Some(anne),
                        IP,
                    )
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .filter(Result::is_ok)
            .count()
    });
    assert_eq!(won, 1);
}

#[test]
fn bursts_on_sqlite() {
    bursts(&setup(CONSENT));
}

#[cfg(feature = "postgres")]
#[test]
fn bursts_on_postgres() {
    let Some(url) = pg::url() else { return };
    bursts(&setup_on(Some((url, "consent_burst_".into())), CONSENT));
}

#[cfg(feature = "mysql")]
#[test]
fn bursts_on_mariadb() {
    let Some(server) = mariadb_server::shared() else {
        return;
    };
    bursts(&setup_on(
        Some((server.url(), "consent_burst_".into())),
        CONSENT,
    ));
}

fn statuses(sessions: &[CustomerSession]) -> Vec<(SessionStatus, Option<i64>)> {
    sessions.iter().map(|s| (s.status, s.ended_at)).collect()
}

/// Three impersonations of DE--5 (one ended by the agent, one left to
/// expire, one live) and one of DE--6: DE--5 sees its three, newest first.
fn session_list(s: &Setup) {
    let agent = login(s);
    let short = s
        .engine
        .impersonate(&agent.access_token, CUSTOMER, Some("SUP-1"), IP)
        .unwrap();
    s.clock.advance(10);
    let ended = s
        .engine
        .impersonate(&agent.access_token, CUSTOMER, Some("SUP-2"), IP)
        .unwrap();
    // The agent ends this one; `revoke mine` of the impersonation would end
    // every session of this agent with this customer (D8).
    s.engine
        .revoke(&agent.access_token, &ended.refresh_token, IP)
        .unwrap();
    s.clock.advance(10);
    s.engine
        .impersonate(&agent.access_token, CUSTOMER, None, IP)
        .unwrap();
    s.engine
        .impersonate(&agent.access_token, "DE--6", Some("SUP-9"), IP)
        .unwrap();
    drop(short);

    let karl = customer_token(CUSTOMER, 5);
    let page = s.engine.customer_sessions(&karl, None).unwrap();
    assert_eq!((page.total, page.offset, page.limit), (3, 0, 10));
    let reasons: Vec<_> = page.sessions.iter().map(|s| s.reason.as_deref()).collect();
    assert_eq!(reasons, [None, Some("SUP-2"), Some("SUP-1")]);
    assert_eq!(
        statuses(&page.sessions),
        [
            (SessionStatus::Active, None),
            (SessionStatus::Revoked, Some(NOW + 10)),
            (SessionStatus::Active, None),
        ]
    );
    let starts: Vec<_> = page.sessions.iter().map(|s| s.started_at).collect();
    assert_eq!(starts, [NOW + 20, NOW + 10, NOW]);
    assert!(
        page.sessions
            .iter()
            .all(|s| s.agent.as_deref() == Some(AGENT))
    );
    assert!(page.sessions.iter().all(|s| s.id.len() == 16));

    // Paging as D14: the offset rounds down to a page boundary.
    let second = s.engine.customer_sessions(&karl, Some((1, 1))).unwrap();
    assert_eq!((second.total, second.offset, second.limit), (3, 1, 1));
    assert_eq!(second.sessions, page.sessions[1..2]);
    let rounded = s.engine.customer_sessions(&karl, Some((3, 2))).unwrap();
    assert_eq!((rounded.offset, rounded.sessions.len()), (2, 1));
    let past = s.engine.customer_sessions(&karl, Some((99, 500))).unwrap();
    assert_eq!((past.offset, past.limit, past.sessions.len()), (0, 100, 3));

    // Once the agent token (and with it every impersonation) expires.
    s.clock.advance(28800);
    let karl_later = shop_token(
        r#"{"customer_reference":"DE--5","id_customer":5}"#,
        &["customer"],
        s.engine.now(),
    );
    let later = s.engine.customer_sessions(&karl_later, None).unwrap();
    assert_eq!(
        statuses(&later.sessions),
        [
            (SessionStatus::Ended, Some(NOW + 28800)),
            (SessionStatus::Revoked, Some(NOW + 10)),
            (SessionStatus::Ended, Some(NOW + 28800)),
        ]
    );

    // Own sessions only: DE--6 sees one, DE--1 none.
    let anne_token = shop_token(
        r#"{"customer_reference":"DE--6","id_customer":6}"#,
        &["customer"],
        s.engine.now(),
    );
    let anne = s.engine.customer_sessions(&anne_token, None).unwrap();
    assert_eq!(
        (anne.total, anne.sessions[0].reason.as_deref()),
        (1, Some("SUP-9"))
    );
    let spencor_token = shop_token(
        r#"{"customer_reference":"DE--1","id_customer":1}"#,
        &["customer"],
        s.engine.now(),
    );
    let spencor = s.engine.customer_sessions(&spencor_token, None).unwrap();
    assert_eq!((spencor.total, spencor.sessions.len()), (0, 0));
}

#[test]
fn a_customer_lists_their_own_sessions_on_sqlite() {
    session_list(&setup("{}"));
}

#[cfg(feature = "postgres")]
#[test]
fn a_customer_lists_their_own_sessions_on_postgres() {
    let Some(url) = pg::url() else { return };
    session_list(&setup_on(Some((url, "consent_list_".into())), "{}"));
}

#[cfg(feature = "mysql")]
#[test]
fn a_customer_lists_their_own_sessions_on_mariadb() {
    let Some(server) = mariadb_server::shared() else {
        return;
    };
    session_list(&setup_on(
        Some((server.url(), "consent_list_".into())),
        "{}",
    ));
}

#[test]
fn the_agent_is_shown_as_the_shop_chooses() {
    for (display, expected) in [
        ("username", Some(AGENT.to_owned())),
        ("id", Some("1".to_owned())),
        ("none", None),
    ] {
        let s = setup(&format!(r#"{{"agent_display":"{display}"}}"#));
        let agent = login(&s);
        s.engine
            .impersonate(&agent.access_token, CUSTOMER, None, IP)
            .unwrap();
        let page = s
            .engine
            .customer_sessions(&customer_token(CUSTOMER, 5), None)
            .unwrap();
        assert_eq!(page.sessions[0].agent, expected, "{display}");
    }
}

/// Two app servers on one store, one with the key file as PKCS#1 and one as
/// PKCS#8 (the same key): a code made through one is taken by the other.
#[test]
fn a_code_made_on_one_server_is_taken_on_another_whatever_its_key_file_form() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("shared.db").to_string_lossy().into_owned();
    let clock = Arc::new(FixedClock::new(NOW));
    let engine = |pem: &str| {
        let mut config = Config::from_json(CONSENT_CONFIG).expect("configuration");
        config.private_key_pem = Some(pem.into());
        config.argon2 = CHEAP;
        config.database_path = path.clone();
        Engine::builder()
            .config(config)
            .clock(clock.clone())
            .random(Arc::new(OsRandom))
            .build()
            .expect("engine")
    };
    let first = engine(TEST_KEY);
    common::seed(&first).expect("seed");
    let second = engine(include_str!("keys/test-only-private-key-pkcs8.pem"));
    assert_eq!(first.kid(), second.kid());
    let code = first
        .create_consent(&customer_token(CUSTOMER, 5), IP)
        .unwrap()
        .code;
    let agent = second.agent_login(AGENT, PASSWORD, IP).unwrap();
    second
        .impersonate_with_consent(&agent.access_token, CUSTOMER, None, Some(&code), IP)
        .expect("the other server takes the code");
}
