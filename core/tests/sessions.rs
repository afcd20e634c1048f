mod common;

// Sessions: impersonation (D4), refresh rotation and reuse (D9), the
// refresh-token TTL (D5), revocation scoping (D8), the header precedence of
// agent authentication (D11) and the audit query API.

use std::sync::{Arc, Mutex};

use agent_oauth_core::audit::{AuditEvent, AuditKind, AuditQuery};
use agent_oauth_core::clock::FixedClock;
use agent_oauth_core::directory::{Agent, AgentDirectory, AgentStatus};
use agent_oauth_core::password::{Argon2Hasher, PasswordHasher};
use agent_oauth_core::random::OsRandom;
use agent_oauth_core::store::SessionKind;
use agent_oauth_core::token::TokenKind;
use agent_oauth_core::{Error, Result, TokenResponse};
use common::{AGENT, CHEAP, Fixture, IP, NOW, PASSWORD, builder, customer, fixture, fixture_with};

/// `sub` of the tokens of agent 1.
const AGENT_SUB: &str = r#"{"id_company_user":null,"id_agent":1,"customer_reference":null,"id_customer":null,"permissions":null}"#;
/// `sub` of the tokens of agent 2.
const AGENT_B_SUB: &str = r#"{"id_company_user":null,"id_agent":2,"customer_reference":null,"id_customer":null,"permissions":null}"#;
/// `sub` of an impersonation of DE--5 (the seed's B2B identifier and permissions).
const DE5_SUB: &str = r#"{"id_company_user":"dffc622b-8dd6-59ec-8e19-c5a4d5e74b1a","id_agent":null,"customer_reference":"DE--5","id_customer":5,"permissions":{"permissions":[{"id_permission":1,"key":"ReadSharedCartPermissionPlugin"}]}}"#;

const AGENT_B: &str = "agent.b@spryker.com";
const PASSWORD_B: &str = "secret456";

/// A Spryker refresh token (defuse-encrypted), which this engine never accepts (D6).
const SPRYKER_REFRESH_TOKEN: &str = "def50200a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

/// Asserts that `$result` failed with exactly the variant `$pattern` and the Glue code `$code`.
macro_rules! assert_err {
    ($result:expr, $pattern:pat, $code:expr) => {{
        let err = $result.expect_err("expected an error");
        assert!(matches!(err, $pattern), "unexpected error: {err:?}");
        assert_eq!(err.glue_code(), Some($code), "Glue code of {err:?}");
    }};
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

#[track_caller]
fn login(f: &Fixture) -> TokenResponse {
    f.engine
        .agent_login(AGENT, PASSWORD, IP)
        .expect("agent login")
}

/// Adds agent 2 (`agent.b@spryker.com`).
fn add_agent_b(f: &Fixture) -> i64 {
    f.engine
        .add_agent_with_id(Some(2), AGENT_B, PASSWORD_B, AgentStatus::Active)
        .expect("add agent B")
}

#[track_caller]
fn login_b(f: &Fixture) -> TokenResponse {
    f.engine
        .agent_login(AGENT_B, PASSWORD_B, IP)
        .expect("agent B login")
}

#[track_caller]
fn impersonate(f: &Fixture, agent: &TokenResponse, reference: &str) -> TokenResponse {
    f.engine
        .impersonate(&agent.access_token, reference, None, IP)
        .expect("impersonation")
}

#[track_caller]
fn refresh(f: &Fixture, token: &TokenResponse) -> TokenResponse {
    f.engine.refresh(&token.refresh_token, IP).expect("refresh")
}

#[track_caller]
fn jti(f: &Fixture, access_token: &str) -> String {
    f.engine.verify(access_token).expect("verify").jti
}

/// The session of `t` is revoked: its access token fails the strict check
/// (while its signature still verifies) and its refresh token is refused.
#[track_caller]
fn assert_revoked(f: &Fixture, t: &TokenResponse) {
    f.engine
        .verify(&t.access_token)
        .expect("signature still verifies");
    assert_err!(
        f.engine.verify_strict(&t.access_token),
        Error::InvalidAccessToken,
        "001"
    );
    assert_err!(
        f.engine.refresh(&t.refresh_token, IP),
        Error::RefreshFailed,
        "004"
    );
}

/// The session of `t` is alive: its access token passes the strict check
/// and its refresh token refreshes (which spends it).
#[track_caller]
fn assert_alive(f: &Fixture, t: &TokenResponse) {
    f.engine
        .verify_strict(&t.access_token)
        .expect("strict check passes");
    f.engine
        .refresh(&t.refresh_token, IP)
        .expect("refresh works");
}

/// All audit events, oldest first, with the store's ids zeroed so they
/// compare with events built by [`AuditEvent::new`].
fn all_events(f: &Fixture) -> Vec<AuditEvent> {
    f.engine
        .audit_events(&AuditQuery::default())
        .expect("audit query")
        .into_iter()
        .map(|e| AuditEvent { id: 0, ..e })
        .collect()
}

fn events_of(f: &Fixture, kind: AuditKind) -> Vec<AuditEvent> {
    all_events(f)
        .into_iter()
        .filter(|e| e.kind == kind)
        .collect()
}

/// A customer token as Spryker's league/oauth2-server issues it: no `kid`,
/// float time claims (microseconds), scope `customer`, signed with the shop
/// key (D1). `iat` and `nbf` are `issued_at`.
fn league_customer_token(reference: &str, id_customer: i64, issued_at: f64) -> String {
    let sub = format!(
        r#"{{"id_company_user":null,"id_agent":null,"customer_reference":"{reference}","id_customer":{id_customer},"permissions":null}}"#
    );
    let claims = serde_json::json!({
        "aud": "frontend",
        "jti": "0123456789abcdef".repeat(5),
        "iat": issued_at,
        "nbf": issued_at,
        "exp": issued_at + 28800.0,
        "sub": sub,
        "scopes": ["customer"],
    });
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(common::TEST_KEY.as_bytes()).expect("key");
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &claims,
        &key,
    )
    .expect("sign")
}

/// A Spryker customer token issued during the previous second.
fn spryker_customer_token(f: &Fixture, reference: &str, id_customer: i64) -> String {
    league_customer_token(reference, id_customer, f.engine.now() as f64 - 0.535_922)
}

// ---------------------------------------------------------------------------
// 1. Impersonation
// ---------------------------------------------------------------------------

#[test]
fn impersonation_issues_a_customer_token_acting_for_the_agent() {
    let f = fixture();
    let agent = login(&f);
    let agent_claims = f.engine.verify(&agent.access_token).unwrap();

    let imp = f
        .engine
        .impersonate(&agent.access_token, "DE--5", Some("ticket 42"), IP)
        .unwrap();

    assert_eq!(imp.token_type, "Bearer");
    assert_eq!(imp.expires_in, 28800);
    assert!(imp.refresh_token.starts_with("ao1_"));
    assert_eq!(imp.refresh_token.len(), 4 + 43);
    let claims = f.engine.verify_strict(&imp.access_token).unwrap();
    assert_eq!(claims.kind(), TokenKind::Impersonation);
    assert_eq!(claims.sub, DE5_SUB);
    assert_eq!(claims.subject.customer_reference.as_deref(), Some("DE--5"));
    assert_eq!(claims.subject.id_customer, Some(5));
    assert_eq!(claims.subject.id_agent, None);
    assert_eq!(claims.scopes, ["customer_impersonation", "customer"]);
    assert_eq!(claims.aud, "frontend");
    assert_eq!(
        (claims.iat, claims.nbf, claims.exp),
        (NOW, NOW, NOW + 28800)
    );
    let act = claims.act.as_ref().expect("act claim");
    assert_eq!(act.sub, agent_claims.sub);
    assert_eq!(act.sub, AGENT_SUB);
    assert_eq!(act.agent_id(), Some(1));
    assert_eq!(claims.agent_id(), Some(1));
    assert_ne!(claims.jti, agent_claims.jti);
}

#[test]
fn impersonation_started_audit_event_records_the_reason() {
    let f = fixture();
    let agent = login(&f);
    let imp = f
        .engine
        .impersonate(&agent.access_token, "DE--5", Some("ticket 42"), IP)
        .unwrap();

    assert_eq!(
        events_of(&f, AuditKind::ImpersonationStarted),
        [AuditEvent {
            agent_id: Some(1),
            agent_username: Some(AGENT.into()),
            customer_reference: Some("DE--5".into()),
            client_ip: Some(IP.into()),
            jti: Some(jti(&f, &imp.access_token)),
            reason: Some("ticket 42".into()),
            ..AuditEvent::new(AuditKind::ImpersonationStarted, NOW)
        }]
    );
}

#[test]
fn impersonation_of_empty_unknown_or_inactive_customer_fails_with_4104_and_is_audited() {
    let f = fixture();
    let mut de4 = customer(4, "DE--4", "bill.martin@spryker.com", "Bill", "Martin");
    de4.is_active = false;
    f.engine.upsert_customer(&de4).unwrap();
    let agent = login(&f);
    let agent_jti = jti(&f, &agent.access_token);

    for reference in ["", "DE--999", "DE--4"] {
        assert_err!(
            f.engine
                .impersonate(&agent.access_token, reference, Some("ticket 7"), IP),
            Error::ImpersonationFailed,
            "4104"
        );
    }

    let denied = |reference: Option<&str>| AuditEvent {
        agent_id: Some(1),
        agent_username: Some(AGENT.into()),
        customer_reference: reference.map(str::to_owned),
        client_ip: Some(IP.into()),
        jti: Some(agent_jti.clone()),
        reason: Some("ticket 7".into()),
        code: Some("4104".into()),
        ..AuditEvent::new(AuditKind::ImpersonationDenied, NOW)
    };
    assert_eq!(
        events_of(&f, AuditKind::ImpersonationDenied),
        [denied(None), denied(Some("DE--999")), denied(Some("DE--4"))]
    );
    assert_eq!(events_of(&f, AuditKind::ImpersonationStarted), []);
}

#[test]
fn impersonation_with_a_customer_or_impersonation_token_as_agent_token_fails_with_4103() {
    let f = fixture();
    let agent = login(&f);
    let imp = impersonate(&f, &agent, "DE--5");
    let customer_token = spryker_customer_token(&f, "DE--1", 1);

    assert_err!(
        f.engine.impersonate(&customer_token, "DE--5", None, IP),
        Error::AgentOnly,
        "4103"
    );
    assert_err!(
        f.engine.impersonate(&imp.access_token, "DE--3", None, IP),
        Error::AgentOnly,
        "4103"
    );

    let denied = events_of(&f, AuditKind::ImpersonationDenied);
    assert_eq!(denied.len(), 2);
    assert_eq!(
        denied[0],
        AuditEvent {
            customer_reference: Some("DE--5".into()),
            client_ip: Some(IP.into()),
            code: Some("4103".into()),
            ..AuditEvent::new(AuditKind::ImpersonationDenied, NOW)
        }
    );
    assert_eq!(denied[1].customer_reference.as_deref(), Some("DE--3"));
    assert_eq!(denied[1].code.as_deref(), Some("4103"));
    assert_eq!(events_of(&f, AuditKind::ImpersonationStarted).len(), 1);
}

#[test]
fn impersonation_with_an_invalid_agent_token_fails_with_001() {
    let f = fixture();
    let agent = login(&f);
    let truncated = &agent.access_token[..agent.access_token.len() - 10];

    for token in ["", "not-a-jwt", "a.b.c", truncated] {
        assert_err!(
            f.engine.impersonate(token, "DE--5", None, IP),
            Error::InvalidAccessToken,
            "001"
        );
    }
    // Expired: at the agent token's exp.
    f.clock.advance(28800);
    assert_err!(
        f.engine.impersonate(&agent.access_token, "DE--5", None, IP),
        Error::InvalidAccessToken,
        "001"
    );
    assert_eq!(events_of(&f, AuditKind::ImpersonationStarted), []);
}

#[test]
fn impersonation_by_a_blocked_agent_fails_with_001_and_is_audited_as_refused() {
    let f = fixture();
    let agent = login(&f);
    let agent_jti = jti(&f, &agent.access_token);
    assert!(f.engine.set_agent_status(1, AgentStatus::Blocked).unwrap());

    assert_err!(
        f.engine.impersonate(&agent.access_token, "DE--5", None, IP),
        Error::InvalidAccessToken,
        "001"
    );
    assert_eq!(
        events_of(&f, AuditKind::AgentTokenRefused),
        [AuditEvent {
            agent_id: Some(1),
            client_ip: Some(IP.into()),
            jti: Some(agent_jti),
            code: Some("001".into()),
            ..AuditEvent::new(AuditKind::AgentTokenRefused, NOW)
        }]
    );
    assert_eq!(events_of(&f, AuditKind::ImpersonationStarted), []);
}

#[test]
fn impersonation_reason_longer_than_1024_bytes_is_an_invalid_request() {
    let f = fixture();
    let agent = login(&f);

    let too_long = "x".repeat(1025);
    assert_err!(
        f.engine
            .impersonate(&agent.access_token, "DE--5", Some(&too_long), IP),
        Error::InvalidRequest(_),
        "901"
    );
    // 513 two-byte characters: 1026 bytes, the limit counts bytes.
    let multibyte = "é".repeat(513);
    assert_err!(
        f.engine
            .impersonate(&agent.access_token, "DE--5", Some(&multibyte), IP),
        Error::InvalidRequest(_),
        "901"
    );
    assert_eq!(events_of(&f, AuditKind::ImpersonationStarted), []);

    let longest = "y".repeat(1024);
    f.engine
        .impersonate(&agent.access_token, "DE--5", Some(&longest), IP)
        .unwrap();
    let started = events_of(&f, AuditKind::ImpersonationStarted);
    assert_eq!(started.len(), 1);
    assert_eq!(started[0].reason.as_deref(), Some(longest.as_str()));
}

#[test]
fn denied_impersonation_audit_keeps_at_most_1024_bytes_of_the_reason() {
    // A refusal before the length check (4103) still audits the reason;
    // MAX_REASON_LEN counts bytes, so 1000 three-byte characters (3000
    // bytes) keep the 341 whole characters that fit in 1024 bytes.
    let f = fixture();
    let customer_token = spryker_customer_token(&f, "DE--1", 1);
    let reason = "€".repeat(1000);

    assert_err!(
        f.engine
            .impersonate(&customer_token, "DE--5", Some(&reason), IP),
        Error::AgentOnly,
        "4103"
    );

    let denied = events_of(&f, AuditKind::ImpersonationDenied);
    assert_eq!(denied.len(), 1);
    let kept = denied[0].reason.as_deref().expect("reason audited");
    assert_eq!(kept.len(), 1023);
    assert_eq!(kept, "€".repeat(341));
}

// ---------------------------------------------------------------------------
// 2. Impersonation lifetime capped by the agent token (D4)
// ---------------------------------------------------------------------------

#[test]
fn impersonation_expiry_is_capped_at_the_agent_token_expiry() {
    let f = fixture();
    let agent = login(&f);
    f.clock.advance(3 * 3600);

    let imp = impersonate(&f, &agent, "DE--5");

    let claims = f.engine.verify_strict(&imp.access_token).unwrap();
    assert_eq!(claims.exp, NOW + 28800);
    assert_eq!(claims.iat, NOW + 10800);
    assert_eq!(imp.expires_in, 28800 - 10800);
}

#[test]
fn capped_impersonation_refresh_token_cannot_refresh_after_the_agent_token_expiry() {
    let f = fixture();
    let agent = login(&f);
    f.clock.advance(3 * 3600);
    let imp = impersonate(&f, &agent, "DE--5");

    f.clock.set(NOW + 28800);
    assert_err!(
        f.engine.refresh(&imp.refresh_token, IP),
        Error::RefreshFailed,
        "004"
    );
    // The agent's own refresh token lives on (one calendar month).
    refresh(&f, &agent);
}

#[test]
fn refreshed_impersonation_keeps_the_cap_and_act() {
    let f = fixture();
    let agent = login(&f);
    f.clock.advance(3 * 3600);
    let imp = impersonate(&f, &agent, "DE--5");

    f.clock.set(NOW + 28000);
    let refreshed = refresh(&f, &imp);
    let claims = f.engine.verify_strict(&refreshed.access_token).unwrap();
    assert_eq!(claims.exp, NOW + 28800);
    assert_eq!(refreshed.expires_in, 800);
    assert_eq!(claims.sub, DE5_SUB);
    assert_eq!(claims.scopes, ["customer_impersonation", "customer"]);
    assert_eq!(claims.act.expect("act kept").sub, AGENT_SUB);

    f.clock.set(NOW + 28800);
    assert_err!(
        f.engine.refresh(&refreshed.refresh_token, IP),
        Error::RefreshFailed,
        "004"
    );
}

// ---------------------------------------------------------------------------
// 3. Refresh rotation and reuse detection
// ---------------------------------------------------------------------------

#[test]
fn refresh_rotates_the_pair_and_keeps_the_agent_sub_and_scopes() {
    let f = fixture();
    let first = login(&f);
    f.clock.advance(60);

    let second = refresh(&f, &first);

    assert_ne!(second.access_token, first.access_token);
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_eq!(second.token_type, "Bearer");
    assert_eq!(second.expires_in, 28800);
    let claims = f.engine.verify_strict(&second.access_token).unwrap();
    assert_eq!(claims.sub, AGENT_SUB);
    assert_eq!(claims.scopes, ["agent"]);
    assert_eq!(claims.kind(), TokenKind::Agent);
    assert_eq!((claims.iat, claims.exp), (NOW + 60, NOW + 60 + 28800));
    assert_eq!(
        events_of(&f, AuditKind::TokenRefreshed),
        [AuditEvent {
            agent_id: Some(1),
            agent_username: Some(AGENT.into()),
            client_ip: Some(IP.into()),
            jti: Some(claims.jti),
            ..AuditEvent::new(AuditKind::TokenRefreshed, NOW + 60)
        }]
    );
}

#[test]
fn refresh_of_a_spent_token_fails_and_revokes_the_whole_family() {
    let f = fixture();
    let first = login(&f);
    let second = refresh(&f, &first);
    let third = refresh(&f, &second);
    let other_session = login(&f);
    f.clock.advance(5);

    assert_err!(
        f.engine.refresh(&first.refresh_token, IP),
        Error::RefreshFailed,
        "004"
    );

    assert_revoked(&f, &third);
    assert_revoked(&f, &second);
    assert_revoked(&f, &first);
    assert_eq!(
        events_of(&f, AuditKind::RefreshReuseDetected),
        [AuditEvent {
            agent_id: Some(1),
            agent_username: Some(AGENT.into()),
            client_ip: Some(IP.into()),
            ..AuditEvent::new(AuditKind::RefreshReuseDetected, NOW + 5)
        }]
    );
    // The agent's other session is another family.
    assert_alive(&f, &other_session);
}

#[test]
fn reuse_detection_also_revokes_impersonations_started_from_the_family() {
    let f = fixture();
    let agent = login(&f);
    let imp = impersonate(&f, &agent, "DE--5");
    refresh(&f, &agent);

    assert_err!(
        f.engine.refresh(&agent.refresh_token, IP),
        Error::RefreshFailed,
        "004"
    );

    assert_revoked(&f, &imp);
}

#[test]
fn malformed_refresh_tokens_fail_with_004() {
    let f = fixture();
    let session = login(&f);
    let token = session.refresh_token.as_str();
    let unknown = format!("ao1_{}", "A".repeat(43));
    let cases = [
        ("empty", String::new()),
        ("prefix only", "ao1_".to_owned()),
        ("no prefix", token[4..].to_owned()),
        ("other prefix", format!("ao2_{}", &token[4..])),
        ("one character more", format!("{token}A")),
        ("one character less", token[..token.len() - 1].to_owned()),
        (
            "not base64url",
            format!("ao1_{}+", &token[4..token.len() - 1]),
        ),
        ("Spryker defuse token", SPRYKER_REFRESH_TOKEN.to_owned()),
        ("unknown", unknown),
        ("an access token", session.access_token.clone()),
    ];
    for (name, candidate) in cases {
        let err = f.engine.refresh(&candidate, IP).expect_err(name);
        assert!(matches!(err, Error::RefreshFailed), "{name}: {err:?}");
        assert_eq!(err.glue_code(), Some("004"), "{name}");
    }
    // None of these touched the real session.
    assert_eq!(events_of(&f, AuditKind::RefreshReuseDetected), []);
    assert_alive(&f, &session);
}

#[test]
fn refresh_token_expires_one_calendar_month_after_issue() {
    // NOW is 2023-11-14T22:13:20Z; one month later is 2023-12-14T22:13:20Z.
    let month = 1_702_592_000 - NOW;
    assert_eq!(month, 30 * 86400);
    let f = fixture();
    let a = login(&f);
    let b = login(&f);

    f.clock.set(NOW + month - 1);
    refresh(&f, &a);
    f.clock.set(NOW + month);
    assert_err!(
        f.engine.refresh(&b.refresh_token, IP),
        Error::RefreshFailed,
        "004"
    );
}

#[test]
fn refresh_fails_after_the_agent_is_blocked() {
    let f = fixture();
    let session = login(&f);
    assert!(f.engine.set_agent_status(1, AgentStatus::Blocked).unwrap());

    assert_err!(
        f.engine.refresh(&session.refresh_token, IP),
        Error::RefreshFailed,
        "004"
    );
}

/// An agent directory of the host with one agent whose status the test
/// changes behind the engine's back (no revocation happens then).
struct HostAgents(Mutex<Agent>);

impl AgentDirectory for HostAgents {
    fn find_by_username(&self, username: &str) -> Result<Option<Agent>> {
        let agent = self.0.lock().unwrap().clone();
        Ok((agent.username == username).then_some(agent))
    }
}

#[test]
fn refresh_rechecks_the_agent_status_in_a_host_directory() {
    let hash = Argon2Hasher::new(CHEAP, Arc::new(OsRandom))
        .unwrap()
        .hash(PASSWORD.as_bytes())
        .unwrap();
    let agents = Arc::new(HostAgents(Mutex::new(Agent {
        id: 1,
        username: AGENT.into(),
        password_hash: hash,
        status: AgentStatus::Active,
    })));
    let clock = Arc::new(FixedClock::new(NOW));
    let f = fixture_with(builder(&clock).agent_directory(agents.clone()), clock);
    let session = login(&f);
    let imp = impersonate(&f, &session, "DE--5");

    for status in [AgentStatus::Blocked, AgentStatus::Deleted] {
        agents.0.lock().unwrap().status = status;
        assert_err!(
            f.engine.refresh(&session.refresh_token, IP),
            Error::RefreshFailed,
            "004"
        );
        assert_err!(
            f.engine.refresh(&imp.refresh_token, IP),
            Error::RefreshFailed,
            "004"
        );
        assert_err!(
            f.engine.verify_strict(&session.access_token),
            Error::InvalidAccessToken,
            "001"
        );
        assert_err!(
            f.engine.verify_strict(&imp.access_token),
            Error::InvalidAccessToken,
            "001"
        );
    }

    // Refused refreshes did not spend the tokens: once active again, both work.
    agents.0.lock().unwrap().status = AgentStatus::Active;
    assert_alive(&f, &session);
    assert_alive(&f, &imp);
}

#[test]
fn refresh_of_an_impersonation_fails_after_the_customer_is_deactivated() {
    let f = fixture();
    let agent = login(&f);
    let imp = impersonate(&f, &agent, "DE--5");
    let mut de5 = common::customers().remove(4);
    assert_eq!(de5.customer_reference, "DE--5");
    de5.is_active = false;
    f.engine.upsert_customer(&de5).unwrap();

    assert_err!(
        f.engine.refresh(&imp.refresh_token, IP),
        Error::RefreshFailed,
        "004"
    );
    // The agent's own session is not affected.
    assert_alive(&f, &agent);
}

// ---------------------------------------------------------------------------
// 4. Reuse grace (D9)
// ---------------------------------------------------------------------------

fn grace_fixture() -> Fixture {
    let clock = Arc::new(FixedClock::new(NOW));
    fixture_with(builder(&clock).refresh_reuse_grace(30), clock)
}

#[test]
fn spent_token_presented_within_the_grace_window_gets_a_sibling_pair() {
    let f = grace_fixture();
    let parent = login(&f);
    f.clock.advance(5);
    let first_child = refresh(&f, &parent);
    f.clock.advance(30);

    let second_child = refresh(&f, &parent);

    assert_ne!(second_child.refresh_token, first_child.refresh_token);
    assert_ne!(second_child.access_token, first_child.access_token);
    assert_eq!(
        events_of(&f, AuditKind::RefreshReuseGranted),
        [AuditEvent {
            agent_id: Some(1),
            agent_username: Some(AGENT.into()),
            client_ip: Some(IP.into()),
            jti: Some(jti(&f, &second_child.access_token)),
            ..AuditEvent::new(AuditKind::RefreshReuseGranted, NOW + 35)
        }]
    );
    assert_eq!(events_of(&f, AuditKind::RefreshReuseDetected), []);
    assert_alive(&f, &first_child);
    assert_alive(&f, &second_child);
}

#[test]
fn spent_token_presented_after_the_grace_window_revokes_the_family() {
    let f = grace_fixture();
    let parent = login(&f);
    let child = refresh(&f, &parent);
    f.clock.advance(31);

    assert_err!(
        f.engine.refresh(&parent.refresh_token, IP),
        Error::RefreshFailed,
        "004"
    );

    assert_revoked(&f, &child);
    assert_eq!(events_of(&f, AuditKind::RefreshReuseDetected).len(), 1);
    assert_eq!(events_of(&f, AuditKind::RefreshReuseGranted), []);
}

// ---------------------------------------------------------------------------
// 5. Refresh-token TTL (D5)
// ---------------------------------------------------------------------------

/// Logs in twice at `issued`, then checks that a refresh token works one
/// second before `expires` and fails at `expires`.
fn assert_refresh_expiry(issued: i64, expires: i64) {
    let clock = Arc::new(FixedClock::new(issued));
    let f = fixture_with(builder(&clock), clock);
    let a = login(&f);
    let b = login(&f);

    f.clock.set(expires - 1);
    refresh(&f, &a);
    f.clock.set(expires);
    assert_err!(
        f.engine.refresh(&b.refresh_token, IP),
        Error::RefreshFailed,
        "004"
    );
}

#[test]
fn refresh_token_issued_on_31_january_2024_expires_on_29_february_2024() {
    // 2024-01-31T10:00:00Z -> 2024-02-29T10:00:00Z (leap year).
    assert_refresh_expiry(1_706_695_200, 1_709_200_800);
}

#[test]
fn refresh_token_issued_on_31_january_2023_expires_on_28_february_2023() {
    // 2023-01-31T10:00:00Z -> 2023-02-28T10:00:00Z.
    assert_refresh_expiry(1_675_159_200, 1_677_578_400);
}

#[test]
fn configured_refresh_token_ttl_in_seconds_replaces_the_calendar_month() {
    let clock = Arc::new(FixedClock::new(NOW));
    let f = fixture_with(builder(&clock).refresh_token_ttl(3600), clock);
    let a = login(&f);
    let b = login(&f);

    f.clock.set(NOW + 3599);
    refresh(&f, &a);
    f.clock.set(NOW + 3600);
    assert_err!(
        f.engine.refresh(&b.refresh_token, IP),
        Error::RefreshFailed,
        "004"
    );
}

// ---------------------------------------------------------------------------
// 6. Revocation scoping (D8)
// ---------------------------------------------------------------------------

#[test]
fn agent_revoking_its_own_refresh_token_revokes_the_family() {
    let f = fixture();
    let first = login(&f);
    let second = refresh(&f, &first);
    let other = login(&f);

    // The spent first token names the same family as the live second one.
    assert_eq!(
        f.engine
            .revoke(&second.access_token, &first.refresh_token, IP)
            .unwrap(),
        1
    );

    assert_revoked(&f, &second);
    assert_revoked(&f, &first);
    assert_eq!(
        events_of(&f, AuditKind::SessionRevoked),
        [AuditEvent {
            agent_id: Some(1),
            client_ip: Some(IP.into()),
            jti: Some(jti(&f, &second.access_token)),
            code: Some("1".into()),
            ..AuditEvent::new(AuditKind::SessionRevoked, NOW)
        }]
    );
    // Revoking it again changes nothing and records nothing.
    assert_eq!(
        f.engine
            .revoke(&other.access_token, &second.refresh_token, IP)
            .unwrap(),
        0
    );
    assert_eq!(events_of(&f, AuditKind::SessionRevoked).len(), 1);
    assert_alive(&f, &other);
}

#[test]
fn agent_cannot_revoke_another_agents_refresh_token() {
    let f = fixture();
    add_agent_b(&f);
    let a = login(&f);
    let b = login_b(&f);
    let imp_a = impersonate(&f, &a, "DE--5");

    assert_eq!(
        f.engine
            .revoke(&b.access_token, &a.refresh_token, IP)
            .unwrap(),
        0
    );
    assert_eq!(
        f.engine
            .revoke(&b.access_token, &imp_a.refresh_token, IP)
            .unwrap(),
        0
    );

    assert_eq!(events_of(&f, AuditKind::SessionRevoked), []);
    assert_alive(&f, &a);
    assert_alive(&f, &imp_a);
    assert_alive(&f, &b);
}

#[test]
fn agent_may_revoke_an_impersonation_it_started() {
    let f = fixture();
    let agent = login(&f);
    let imp = impersonate(&f, &agent, "DE--5");

    assert_eq!(
        f.engine
            .revoke(&agent.access_token, &imp.refresh_token, IP)
            .unwrap(),
        1
    );

    assert_revoked(&f, &imp);
    assert_alive(&f, &agent);
}

#[test]
fn impersonation_caller_revokes_its_own_impersonation_family() {
    let f = fixture();
    let agent = login(&f);
    let imp = impersonate(&f, &agent, "DE--5");
    let imp_jti = jti(&f, &imp.access_token);
    let refreshed = refresh(&f, &imp);

    assert_eq!(
        f.engine
            .revoke(&refreshed.access_token, &refreshed.refresh_token, IP)
            .unwrap(),
        1
    );

    assert_revoked(&f, &refreshed);
    assert_revoked(&f, &imp);
    let revoked = events_of(&f, AuditKind::SessionRevoked);
    assert_eq!(
        revoked,
        [AuditEvent {
            agent_id: Some(1),
            customer_reference: Some("DE--5".into()),
            client_ip: Some(IP.into()),
            jti: Some(jti(&f, &refreshed.access_token)),
            code: Some("1".into()),
            ..AuditEvent::new(AuditKind::SessionRevoked, NOW)
        }]
    );
    assert_ne!(revoked[0].jti.as_deref(), Some(imp_jti.as_str()));
    assert_alive(&f, &agent);
}

#[test]
fn impersonation_caller_cannot_revoke_the_agents_own_session_or_other_impersonations() {
    let f = fixture();
    add_agent_b(&f);
    let agent = login(&f);
    let imp5 = impersonate(&f, &agent, "DE--5");
    let imp3 = impersonate(&f, &agent, "DE--3");
    let b = login_b(&f);
    let b_imp5 = impersonate(&f, &b, "DE--5");

    // The agent's own session, another customer by the same agent, the same
    // customer by another agent, another agent's own session.
    for target in [&agent, &imp3, &b_imp5, &b] {
        assert_eq!(
            f.engine
                .revoke(&imp5.access_token, &target.refresh_token, IP)
                .unwrap(),
            0
        );
    }

    assert_eq!(events_of(&f, AuditKind::SessionRevoked), []);
    for session in [&agent, &imp5, &imp3, &b, &b_imp5] {
        assert_alive(&f, session);
    }
}

#[test]
fn revoke_of_an_unknown_or_malformed_refresh_token_changes_nothing() {
    let f = fixture();
    let agent = login(&f);
    let unknown = format!("ao1_{}", "A".repeat(43));

    for token in [
        "",
        "garbage",
        "ao1_",
        unknown.as_str(),
        SPRYKER_REFRESH_TOKEN,
        &agent.refresh_token[4..],
    ] {
        assert_eq!(
            f.engine.revoke(&agent.access_token, token, IP).unwrap(),
            0,
            "{token:?}"
        );
    }

    assert_eq!(events_of(&f, AuditKind::SessionRevoked), []);
    assert_alive(&f, &agent);
}

#[test]
fn revoke_with_an_invalid_caller_token_fails_with_001() {
    let f = fixture();
    let agent = login(&f);
    let revoked = login(&f);
    assert_eq!(
        f.engine
            .revoke(&revoked.access_token, &revoked.refresh_token, IP)
            .unwrap(),
        1
    );

    for caller in ["", "garbage", revoked.access_token.as_str()] {
        assert_err!(
            f.engine.revoke(caller, &agent.refresh_token, IP),
            Error::InvalidAccessToken,
            "001"
        );
        assert_err!(
            f.engine.revoke_mine(caller, IP),
            Error::InvalidAccessToken,
            "001"
        );
    }
    // An expired caller token.
    f.clock.advance(28800);
    assert_err!(
        f.engine
            .revoke(&agent.access_token, &agent.refresh_token, IP),
        Error::InvalidAccessToken,
        "001"
    );
    refresh(&f, &agent);
}

#[test]
fn spryker_customer_token_as_caller_revokes_nothing() {
    let f = fixture();
    let agent = login(&f);
    let imp = impersonate(&f, &agent, "DE--5");
    let customer_token = spryker_customer_token(&f, "DE--5", 5);
    assert_eq!(
        f.engine.verify_strict(&customer_token).unwrap().kind(),
        TokenKind::Customer
    );

    assert_eq!(
        f.engine
            .revoke(&customer_token, &agent.refresh_token, IP)
            .unwrap(),
        0
    );
    assert_eq!(
        f.engine
            .revoke(&customer_token, &imp.refresh_token, IP)
            .unwrap(),
        0
    );
    assert_eq!(f.engine.revoke_mine(&customer_token, IP).unwrap(), 0);

    assert_eq!(events_of(&f, AuditKind::SessionRevoked), []);
    assert_alive(&f, &agent);
    assert_alive(&f, &imp);
}

#[test]
fn revoke_mine_for_an_agent_revokes_its_sessions_and_the_impersonations_it_started() {
    let f = fixture();
    add_agent_b(&f);
    let a1 = login(&f);
    let a2 = login(&f);
    let imp5 = impersonate(&f, &a1, "DE--5");
    let imp3 = impersonate(&f, &a2, "DE--3");
    let b = login_b(&f);
    let b_imp5 = impersonate(&f, &b, "DE--5");
    f.clock.advance(7);

    assert_eq!(f.engine.revoke_mine(&a1.access_token, IP).unwrap(), 4);

    for session in [&a1, &a2, &imp5, &imp3] {
        assert_revoked(&f, session);
    }
    assert_eq!(
        events_of(&f, AuditKind::SessionRevoked),
        [AuditEvent {
            agent_id: Some(1),
            client_ip: Some(IP.into()),
            jti: Some(jti(&f, &a1.access_token)),
            code: Some("4".into()),
            ..AuditEvent::new(AuditKind::SessionRevoked, NOW + 7)
        }]
    );
    assert_alive(&f, &b);
    assert_alive(&f, &b_imp5);
}

#[test]
fn revoke_mine_for_an_impersonation_revokes_only_that_customers_impersonations_by_that_agent() {
    let f = fixture();
    add_agent_b(&f);
    let agent = login(&f);
    let imp5 = impersonate(&f, &agent, "DE--5");
    let imp5_again = impersonate(&f, &agent, "DE--5");
    let imp3 = impersonate(&f, &agent, "DE--3");
    let b = login_b(&f);
    let b_imp5 = impersonate(&f, &b, "DE--5");

    assert_eq!(f.engine.revoke_mine(&imp5.access_token, IP).unwrap(), 2);

    assert_revoked(&f, &imp5);
    assert_revoked(&f, &imp5_again);
    assert_eq!(
        events_of(&f, AuditKind::SessionRevoked),
        [AuditEvent {
            agent_id: Some(1),
            customer_reference: Some("DE--5".into()),
            client_ip: Some(IP.into()),
            jti: Some(jti(&f, &imp5.access_token)),
            code: Some("2".into()),
            ..AuditEvent::new(AuditKind::SessionRevoked, NOW)
        }]
    );
    for session in [&agent, &imp3, &b, &b_imp5] {
        assert_alive(&f, session);
    }
}

#[test]
fn revoke_all_for_agent_revokes_only_that_agents_sessions() {
    let f = fixture();
    add_agent_b(&f);
    let a = login(&f);
    let imp5 = impersonate(&f, &a, "DE--5");
    let imp3 = impersonate(&f, &a, "DE--3");
    let b = login_b(&f);
    let b_imp5 = impersonate(&f, &b, "DE--5");

    assert_eq!(f.engine.revoke_all_for_agent(1).unwrap(), 3);
    assert_eq!(f.engine.revoke_all_for_agent(1).unwrap(), 0);
    assert_eq!(f.engine.revoke_all_for_agent(99).unwrap(), 0);

    for session in [&a, &imp5, &imp3] {
        assert_revoked(&f, session);
    }
    assert_eq!(
        events_of(&f, AuditKind::SessionRevoked),
        [AuditEvent {
            agent_id: Some(1),
            code: Some("3".into()),
            ..AuditEvent::new(AuditKind::SessionRevoked, NOW)
        }]
    );
    assert_alive(&f, &b);
    assert_alive(&f, &b_imp5);
}

#[test]
fn revoke_all_for_customer_revokes_only_that_customers_impersonations() {
    let f = fixture();
    add_agent_b(&f);
    let a = login(&f);
    let a_imp5 = impersonate(&f, &a, "DE--5");
    let a_imp3 = impersonate(&f, &a, "DE--3");
    let b = login_b(&f);
    let b_imp5 = impersonate(&f, &b, "DE--5");

    assert_eq!(f.engine.revoke_all_for_customer("DE--5").unwrap(), 2);
    assert_eq!(f.engine.revoke_all_for_customer("DE--5").unwrap(), 0);
    assert_eq!(f.engine.revoke_all_for_customer("DE--999").unwrap(), 0);

    assert_revoked(&f, &a_imp5);
    assert_revoked(&f, &b_imp5);
    assert_eq!(
        events_of(&f, AuditKind::SessionRevoked),
        [AuditEvent {
            customer_reference: Some("DE--5".into()),
            code: Some("2".into()),
            ..AuditEvent::new(AuditKind::SessionRevoked, NOW)
        }]
    );
    // Not Spryker's global `mine`: everyone else stays.
    for session in [&a, &a_imp3, &b] {
        assert_alive(&f, session);
    }
}

#[test]
fn revoking_the_agent_session_that_started_an_impersonation_kills_the_impersonation() {
    let f = fixture();
    let first = login(&f);
    // Impersonate with the access token of a rotated row of the family.
    let second = refresh(&f, &first);
    let imp = impersonate(&f, &second, "DE--5");
    let other = login(&f);
    let other_imp = impersonate(&f, &other, "DE--3");

    assert_eq!(
        f.engine
            .revoke(&second.access_token, &second.refresh_token, IP)
            .unwrap(),
        2
    );

    assert_revoked(&f, &second);
    assert_revoked(&f, &imp);
    assert_eq!(
        events_of(&f, AuditKind::SessionRevoked)[0].code.as_deref(),
        Some("2")
    );
    assert_alive(&f, &other);
    assert_alive(&f, &other_imp);
}

#[test]
fn blocking_or_deleting_an_agent_revokes_all_its_sessions() {
    let f = fixture();
    add_agent_b(&f);
    let a1 = login(&f);
    let a2 = login(&f);
    let imp = impersonate(&f, &a1, "DE--5");
    let b = login_b(&f);
    let b_imp = impersonate(&f, &b, "DE--3");
    f.clock.advance(11);

    assert!(f.engine.set_agent_status(1, AgentStatus::Blocked).unwrap());

    for session in [&a1, &a2, &imp] {
        assert_revoked(&f, session);
    }
    assert_err!(
        f.engine.agent_login(AGENT, PASSWORD, IP),
        Error::AuthenticationFailed,
        "4101"
    );
    f.engine.verify_strict(&b.access_token).unwrap();
    f.engine.verify_strict(&b_imp.access_token).unwrap();

    assert!(f.engine.set_agent_status(2, AgentStatus::Deleted).unwrap());
    assert_revoked(&f, &b);
    assert_revoked(&f, &b_imp);
    assert!(!f.engine.set_agent_status(99, AgentStatus::Blocked).unwrap());

    let session_revoked = |agent_id: i64, count: &str| AuditEvent {
        agent_id: Some(agent_id),
        code: Some(count.into()),
        ..AuditEvent::new(AuditKind::SessionRevoked, NOW + 11)
    };
    assert_eq!(
        events_of(&f, AuditKind::SessionRevoked),
        [session_revoked(1, "3"), session_revoked(2, "2")]
    );
    // Reactivation does not bring revoked sessions back.
    assert!(f.engine.set_agent_status(1, AgentStatus::Active).unwrap());
    assert_revoked(&f, &a2);
    login(&f);
}

// ---------------------------------------------------------------------------
// 7. Header precedence (D11)
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Expect {
    /// The agent of the session `0` (index into the sessions of the test).
    Agent(usize),
    AgentOnly,
    InvalidAccessToken,
    InvalidAgentAccessToken,
}

#[test]
fn authenticate_agent_applies_spryker_header_precedence() {
    let f = fixture();
    add_agent_b(&f);
    let a = login(&f);
    let a2 = login(&f);
    let b = login_b(&f);
    let imp = impersonate(&f, &a, "DE--5");
    let customer_token = spryker_customer_token(&f, "DE--1", 1);
    let sessions = [&a, &a2, &b];
    let bearer = |t: &str| format!("Bearer {t}");
    let agent = bearer(&a.access_token);

    let cases: Vec<(&str, Option<String>, Option<String>, Expect)> = vec![
        ("no headers", None, None, Expect::AgentOnly),
        (
            "X-Agent bearer agent",
            None,
            Some(agent.clone()),
            Expect::Agent(0),
        ),
        (
            "Authorization bearer agent",
            Some(agent.clone()),
            None,
            Expect::Agent(0),
        ),
        (
            "Authorization garbage, good X-Agent",
            Some(bearer("garbage")),
            Some(agent.clone()),
            Expect::InvalidAccessToken,
        ),
        (
            "Authorization without type, good X-Agent",
            Some(a.access_token.clone()),
            Some(agent.clone()),
            Expect::InvalidAccessToken,
        ),
        (
            "Authorization Basic, good X-Agent",
            Some(format!("Basic {}", a.access_token)),
            Some(agent.clone()),
            Expect::InvalidAccessToken,
        ),
        // Spryker's validators test `!$header`: an empty header is no header.
        (
            "Authorization empty",
            Some(String::new()),
            None,
            Expect::AgentOnly,
        ),
        (
            "Authorization empty, good X-Agent",
            Some(String::new()),
            Some(agent.clone()),
            Expect::Agent(0),
        ),
        (
            "X-Agent garbage",
            None,
            Some(bearer("garbage")),
            Expect::InvalidAgentAccessToken,
        ),
        (
            "X-Agent garbage, good Authorization",
            Some(agent.clone()),
            Some(bearer("garbage")),
            Expect::InvalidAgentAccessToken,
        ),
        (
            "X-Agent type Basic",
            None,
            Some(format!("Basic {}", a.access_token)),
            Expect::InvalidAgentAccessToken,
        ),
        (
            "X-Agent type bearer in lower case",
            None,
            Some(format!("bearer {}", a.access_token)),
            Expect::InvalidAgentAccessToken,
        ),
        (
            "X-Agent without a space is ignored",
            None,
            Some("Bearer".into()),
            Expect::AgentOnly,
        ),
        (
            "X-Agent without a space is ignored, agent in Authorization",
            Some(agent.clone()),
            Some("Bearer".into()),
            Expect::Agent(0),
        ),
        (
            "X-Agent type glued to the token is ignored",
            None,
            Some(format!("Bearer{}", a.access_token)),
            Expect::AgentOnly,
        ),
        (
            "Authorization impersonation, X-Agent agent",
            Some(bearer(&imp.access_token)),
            Some(agent.clone()),
            Expect::Agent(0),
        ),
        (
            "Authorization customer, X-Agent agent",
            Some(bearer(&customer_token)),
            Some(agent.clone()),
            Expect::Agent(0),
        ),
        (
            "Authorization agent, X-Agent impersonation",
            Some(agent.clone()),
            Some(bearer(&imp.access_token)),
            Expect::Agent(0),
        ),
        (
            "X-Agent agent wins over another agent session in Authorization",
            Some(bearer(&a2.access_token)),
            Some(agent.clone()),
            Expect::Agent(0),
        ),
        (
            "X-Agent agent B wins over agent A in Authorization",
            Some(agent.clone()),
            Some(bearer(&b.access_token)),
            Expect::Agent(2),
        ),
        (
            "only an impersonation token",
            Some(bearer(&imp.access_token)),
            None,
            Expect::AgentOnly,
        ),
        (
            "only a customer token",
            Some(bearer(&customer_token)),
            None,
            Expect::AgentOnly,
        ),
        (
            "impersonation token in X-Agent",
            None,
            Some(bearer(&imp.access_token)),
            Expect::AgentOnly,
        ),
        (
            "customer tokens in both headers",
            Some(bearer(&customer_token)),
            Some(bearer(&customer_token)),
            Expect::AgentOnly,
        ),
    ];

    for (name, authorization, x_agent, expected) in cases {
        let result = f
            .engine
            .authenticate_agent(authorization.as_deref(), x_agent.as_deref(), IP);
        match (expected, result) {
            (Expect::Agent(i), Ok(caller)) => {
                let session = sessions[i];
                assert_eq!(caller.claims.jti, jti(&f, &session.access_token), "{name}");
                assert_eq!(
                    caller.agent.id,
                    caller.claims.subject.agent_id().unwrap(),
                    "{name}"
                );
                assert_eq!(caller.session.kind, SessionKind::Agent, "{name}");
                assert_eq!(caller.session.agent_id, caller.agent.id, "{name}");
                assert_eq!(caller.agent.status, AgentStatus::Active, "{name}");
            }
            (Expect::AgentOnly, Err(err @ Error::AgentOnly)) => {
                assert_eq!(err.glue_code(), Some("4103"), "{name}");
            }
            (Expect::InvalidAccessToken, Err(err @ Error::InvalidAccessToken)) => {
                assert_eq!(err.glue_code(), Some("001"), "{name}");
            }
            (Expect::InvalidAgentAccessToken, Err(err @ Error::InvalidAgentAccessToken)) => {
                assert_eq!(err.glue_code(), Some("4102"), "{name}");
            }
            (expected, result) => panic!("{name}: expected {expected:?}, got {result:?}"),
        }
    }
    // Nothing above was a refused live-session check.
    assert_eq!(events_of(&f, AuditKind::AgentTokenRefused), []);
}

#[test]
fn spryker_customer_token_issued_earlier_in_the_current_second_is_agent_only_not_invalid() {
    // league stamps `iat`/`nbf` with microseconds; the engine's clock counts
    // whole seconds (the floor of the real time). At clock NOW the real time
    // may be NOW+0.9, so a token issued at NOW+0.464078 is already valid, and
    // a customer token where an agent is needed is 4103, not 001 (D1, D11).
    let f = fixture();
    let a = login(&f);
    let fresh = league_customer_token("DE--1", 1, NOW as f64 + 0.464_078);
    let header = format!("Bearer {fresh}");

    assert_eq!(
        f.engine
            .verify(&fresh)
            .expect("fresh token verifies")
            .kind(),
        TokenKind::Customer
    );
    assert_err!(
        f.engine.authenticate_agent(Some(&header), None, IP),
        Error::AgentOnly,
        "4103"
    );
    let caller = f
        .engine
        .authenticate_agent(
            Some(&header),
            Some(&format!("Bearer {}", a.access_token)),
            IP,
        )
        .expect("agent from X-Agent-Authorization");
    assert_eq!(caller.agent.id, 1);
    assert_err!(
        f.engine.impersonate(&fresh, "DE--5", None, IP),
        Error::AgentOnly,
        "4103"
    );
}

#[test]
fn authenticate_agent_agent_ids_match_the_header_that_carried_the_agent_token() {
    let f = fixture();
    add_agent_b(&f);
    let a = login(&f);
    let b = login_b(&f);

    let caller = f
        .engine
        .authenticate_agent(
            Some(&format!("Bearer {}", a.access_token)),
            Some(&format!("Bearer {}", b.access_token)),
            IP,
        )
        .unwrap();
    assert_eq!(caller.agent.id, 2);
    assert_eq!(caller.agent.username, AGENT_B);
    assert_eq!(caller.claims.sub, AGENT_B_SUB);

    let caller = f
        .engine
        .authenticate_agent(Some(&format!("Bearer {}", a.access_token)), None, IP)
        .unwrap();
    assert_eq!(caller.agent.id, 1);
    assert_eq!(caller.agent.username, AGENT);
    assert_eq!(caller.claims.sub, AGENT_SUB);
}

#[test]
fn authenticate_agent_refuses_a_revoked_session_by_the_header_it_came_in() {
    let f = fixture();
    let a = login(&f);
    let a_jti = jti(&f, &a.access_token);
    assert_eq!(
        f.engine
            .revoke(&a.access_token, &a.refresh_token, IP)
            .unwrap(),
        1
    );
    let header = format!("Bearer {}", a.access_token);
    f.clock.advance(3);

    assert_err!(
        f.engine.authenticate_agent(None, Some(&header), IP),
        Error::InvalidAgentAccessToken,
        "4102"
    );
    assert_err!(
        f.engine.authenticate_agent(Some(&header), None, IP),
        Error::InvalidAccessToken,
        "001"
    );

    let refused = |code: &str| AuditEvent {
        agent_id: Some(1),
        client_ip: Some(IP.into()),
        jti: Some(a_jti.clone()),
        code: Some(code.into()),
        ..AuditEvent::new(AuditKind::AgentTokenRefused, NOW + 3)
    };
    assert_eq!(
        events_of(&f, AuditKind::AgentTokenRefused),
        [refused("4102"), refused("001")]
    );
}

#[test]
fn authenticate_agent_refuses_a_blocked_agent_by_the_header_it_came_in() {
    let f = fixture();
    let a = login(&f);
    let header = format!("Bearer {}", a.access_token);
    assert!(f.engine.set_agent_status(1, AgentStatus::Blocked).unwrap());

    assert_err!(
        f.engine.authenticate_agent(None, Some(&header), IP),
        Error::InvalidAgentAccessToken,
        "4102"
    );
    assert_err!(
        f.engine.authenticate_agent(Some(&header), None, IP),
        Error::InvalidAccessToken,
        "001"
    );
    let codes: Vec<_> = events_of(&f, AuditKind::AgentTokenRefused)
        .into_iter()
        .map(|e| e.code)
        .collect();
    assert_eq!(codes, [Some("4102".to_owned()), Some("001".to_owned())]);
}

// ---------------------------------------------------------------------------
// 8. Audit query API
// ---------------------------------------------------------------------------

#[test]
fn audit_query_filters_by_agent_customer_time_range_and_limit() {
    let f = fixture();
    add_agent_b(&f);
    // NOW: agent 1 logs in.
    let a = login(&f);
    // NOW+100: agent 2 logs in, agent 1 impersonates DE--5.
    f.clock.set(NOW + 100);
    let b = login_b(&f);
    impersonate(&f, &a, "DE--5");
    // NOW+200: agent 2 impersonates DE--5, agent 1 impersonates DE--3.
    f.clock.set(NOW + 200);
    impersonate(&f, &b, "DE--5");
    impersonate(&f, &a, "DE--3");
    // NOW+300: a failed login of agent 1's username.
    f.clock.set(NOW + 300);
    assert_err!(
        f.engine.agent_login(AGENT, "wrong", IP),
        Error::AuthenticationFailed,
        "4101"
    );

    use AuditKind::{
        AgentLoginFailed as Failed, AgentLoginSucceeded as LoggedIn,
        ImpersonationStarted as Started,
    };
    let query = |q: AuditQuery| -> Vec<(i64, AuditKind, Option<i64>, Option<String>)> {
        let events = f.engine.audit_events(&q).expect("audit query");
        assert!(events.windows(2).all(|w| w[0].id < w[1].id), "oldest first");
        events
            .into_iter()
            .map(|e| (e.at, e.kind, e.agent_id, e.customer_reference))
            .collect()
    };
    let de = |r: &str| Some(r.to_owned());

    let everything = vec![
        (NOW, LoggedIn, Some(1), None),
        (NOW + 100, LoggedIn, Some(2), None),
        (NOW + 100, Started, Some(1), de("DE--5")),
        (NOW + 200, Started, Some(2), de("DE--5")),
        (NOW + 200, Started, Some(1), de("DE--3")),
        (NOW + 300, Failed, None, None),
    ];
    assert_eq!(query(AuditQuery::default()), everything);
    assert_eq!(
        query(AuditQuery {
            agent_id: Some(1),
            ..Default::default()
        }),
        [
            (NOW, LoggedIn, Some(1), None),
            (NOW + 100, Started, Some(1), de("DE--5")),
            (NOW + 200, Started, Some(1), de("DE--3")),
        ]
    );
    assert_eq!(
        query(AuditQuery {
            customer_reference: de("DE--5"),
            ..Default::default()
        }),
        [
            (NOW + 100, Started, Some(1), de("DE--5")),
            (NOW + 200, Started, Some(2), de("DE--5"))
        ]
    );
    assert_eq!(
        query(AuditQuery {
            agent_id: Some(2),
            customer_reference: de("DE--5"),
            ..Default::default()
        }),
        [(NOW + 200, Started, Some(2), de("DE--5"))]
    );
    // `from` is inclusive, `to` exclusive.
    assert_eq!(
        query(AuditQuery {
            from: Some(NOW + 100),
            to: Some(NOW + 200),
            ..Default::default()
        }),
        [
            (NOW + 100, LoggedIn, Some(2), None),
            (NOW + 100, Started, Some(1), de("DE--5"))
        ]
    );
    assert_eq!(
        query(AuditQuery {
            from: Some(NOW + 200),
            ..Default::default()
        }),
        everything[3..]
    );
    assert_eq!(
        query(AuditQuery {
            to: Some(NOW + 100),
            ..Default::default()
        }),
        everything[..1]
    );
    assert_eq!(
        query(AuditQuery {
            from: Some(NOW + 301),
            ..Default::default()
        }),
        []
    );
    assert_eq!(
        query(AuditQuery {
            limit: 2,
            ..Default::default()
        }),
        everything[..2]
    );
    assert_eq!(
        query(AuditQuery {
            agent_id: Some(1),
            from: Some(NOW + 100),
            limit: 1,
            ..Default::default()
        }),
        [(NOW + 100, Started, Some(1), de("DE--5"))]
    );
    assert_eq!(
        query(AuditQuery {
            agent_id: Some(99),
            ..Default::default()
        }),
        []
    );
    assert_eq!(
        query(AuditQuery {
            customer_reference: de("DE--999"),
            ..Default::default()
        }),
        []
    );
}
