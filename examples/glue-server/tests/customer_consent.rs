//! The customer's side of impersonation over HTTP (issue 12, D30), against
//! the real server: a customer creates a consent code with their own
//! Spryker token, the agent spends it once, wrong codes are locked out (one
//! at a time and under a burst), and the customer lists the impersonation
//! sessions on their account with Spryker's JSON:API shape and D14 paging.
//! Agent and impersonation tokens get 403/4105 on both resources.

#[allow(dead_code)]
mod common;

use std::sync::Barrier;

use common::*;
use serde_json::{Value, json};

const CONSENTS: &str = "/customer-impersonation-consents";
const SESSIONS: &str = "/customer-impersonation-sessions";
const IMPERSONATION: &str = "/agent-customer-impersonation-access-tokens";
const E4104: &str =
    r#"{"errors":[{"code":"4104","status":401,"detail":"Failed to impersonate a customer."}]}"#;
const E4105: &str = r#"{"errors":[{"status":403,"code":"4105","detail":"Action is available to customer user only."}]}"#;
const E002: &str = r#"{"errors":[{"detail":"Missing access token.","status":403,"code":"002"}]}"#;
const E001: &str = r#"{"errors":[{"detail":"Invalid access token.","status":401,"code":"001"}]}"#;
const CONSENT: &str = r#""impersonation":{"require_customer_consent":true}"#;

/// A customer's own token, signed by the shop's key as Spryker's league
/// server signs it.
fn customer_token(data: &DataDir, reference: &str, id: i64) -> String {
    let now = now();
    sign(
        &data.private_key_pem(),
        &json!({
            "aud": "frontend",
            "jti": "cd".repeat(40),
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "sub": format!(
                r#"{{"id_company_user":null,"id_agent":null,"customer_reference":"{reference}","id_customer":{id},"permissions":null}}"#
            ),
            "scopes": ["customer"],
        }),
    )
}

/// `POST /customer-impersonation-consents` with the customer's token; the
/// 201 answer checked whole, and its code returned.
fn create_consent(server: &Server, customer: &str) -> String {
    let reply = server.post(CONSENTS, &[("Authorization", &bearer(customer))], "");
    assert_eq!(reply.status, 201, "{reply:?}");
    assert_eq!(reply.header("Content-Type"), Some(JSON_API));
    assert_eq!(reply.header("Cache-Control"), Some("no-store"));
    let doc = reply.json();
    let code = doc["data"]["attributes"]["consentCode"]
        .as_str()
        .expect("consentCode")
        .to_owned();
    assert!(
        code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
        "{code}"
    );
    assert_eq!(
        reply.body,
        format!(
            r#"{{"data":{{"type":"customer-impersonation-consents","id":null,"attributes":{{"consentCode":"{code}","expiresIn":600}},"links":{{"self":"{BASE}{CONSENTS}"}}}}}}"#
        )
    );
    code
}

fn impersonate(server: &Server, agent: &Tokens, reference: &str, code: Option<&str>) -> Reply {
    let mut attributes = vec![("customerReference", reference)];
    if let Some(code) = code {
        attributes.push(("consentCode", code));
    }
    server.post(
        IMPERSONATION,
        &[("X-Agent-Authorization", &bearer(&agent.access))],
        &body("agent-customer-impersonation-access-tokens", &attributes),
    )
}

fn denied_policies(data: &DataDir) -> Vec<String> {
    let out = data.cli(&["audit", "--json"]);
    let events: Value = serde_json::from_str(&out).expect("audit --json");
    events
        .as_array()
        .expect("array")
        .iter()
        .filter(|e| e["kind"] == "impersonation_denied")
        .map(|e| e["policy"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Another code of the same shape.
fn other_than(code: &str) -> String {
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}

#[test]
fn a_customers_code_lets_one_impersonation_through() {
    let data = DataDir::with_config(CONSENT);
    let server = data.serve(&[]);
    let agent = server.admin();
    let karl = customer_token(&data, "DE--5", 5);
    impersonate(&server, &agent, "DE--5", None).assert_error(401, E4104);
    let code = create_consent(&server, &karl);
    impersonate(&server, &agent, "DE--5", Some(&code))
        .assert_tokens("agent-customer-impersonation-access-tokens");
    impersonate(&server, &agent, "DE--5", Some(&code)).assert_error(401, E4104);
    // Bound to the customer: Anne's code does not open Karl's account.
    let anne = create_consent(&server, &customer_token(&data, "DE--6", 6));
    impersonate(&server, &agent, "DE--5", Some(&anne)).assert_error(401, E4104);
    // A JSON:API body of the right type is accepted too; a wrong type is not.
    let typed = server.post(
        CONSENTS,
        &[("Authorization", &bearer(&karl))],
        &body("customer-impersonation-consents", &[]),
    );
    assert_eq!(typed.status, 201, "{typed:?}");
    server
        .post(
            CONSENTS,
            &[("Authorization", &bearer(&karl))],
            &body("agent-access-tokens", &[]),
        )
        .assert_error(
            400,
            r#"{"errors":[{"detail":"Invalid type.","status":400}]}"#,
        );
    assert_eq!(
        denied_policies(&data),
        [
            "require_customer_consent: no consent code given",
            "require_customer_consent: consent code already used",
            "require_customer_consent: wrong consent code",
        ]
    );
    let out = data.cli(&["audit", "--json"]);
    let events: Value = serde_json::from_str(&out).expect("audit --json");
    let created = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "consent_created" && e["customer_reference"] == "DE--5")
        .count();
    assert_eq!(created, 2, "{out}");
    assert!(!out.contains(&code), "a consent code reached the audit log");
}

#[test]
fn only_the_customers_own_token_reaches_the_customer_resources() {
    let data = DataDir::new();
    let server = data.serve(&[]);
    let agent = server.admin();
    let imp = server.impersonate(&agent.access, "DE--5");
    for token in [&agent.access, &imp.access] {
        let header = bearer(token);
        let auth = [("Authorization", header.as_str())];
        server.post(CONSENTS, &auth, "").assert_error(403, E4105);
        server.get(SESSIONS, &auth).assert_error(403, E4105);
    }
    server.post(CONSENTS, &[], "").assert_error(403, E002);
    server.get(SESSIONS, &[]).assert_error(403, E002);
    let forged = [("Authorization", "Bearer not.a.token")];
    server.post(CONSENTS, &forged, "").assert_error(401, E001);
    server.get(SESSIONS, &forged).assert_error(401, E001);
    // Paging is checked first, as in the agent customer search (D14).
    let karl = customer_token(&data, "DE--5", 5);
    let reply = server.get(
        &format!("{SESSIONS}?page[offset]=x&page[limit]=1"),
        &[("Authorization", &bearer(&karl))],
    );
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (400, "Pagination parameters are invalid.")
    );
}

#[test]
fn a_burst_of_wrong_codes_tries_nine_and_then_blocks_the_right_one() {
    let data = DataDir::with_config(CONSENT);
    let server = data.serve(&[]);
    let agent = server.admin();
    let code = create_consent(&server, &customer_token(&data, "DE--5", 5));
    let wrong = other_than(&code);
    let barrier = Barrier::new(20);
    std::thread::scope(|s| {
        for _ in 0..20 {
            let (barrier, server, agent, wrong) = (&barrier, &server, &agent, &wrong);
            s.spawn(move || {
                barrier.wait();
                impersonate(server, agent, "DE--5", Some(wrong)).assert_error(401, E4104);
            });
        }
    });
    impersonate(&server, &agent, "DE--5", Some(&code)).assert_error(401, E4104);
    let policies = denied_policies(&data);
    let tried = policies
        .iter()
        .filter(|p| p.contains("wrong consent code"))
        .count();
    let blocked = policies
        .iter()
        .filter(|p| p.contains("too many wrong codes"))
        .count();
    assert_eq!((tried, blocked), (9, 12), "{policies:?}");
}

#[test]
fn the_customer_lists_the_sessions_on_their_account() {
    let data = DataDir::new();
    let server = data.serve(&[]);
    let agent = server.admin();
    let reason = |r: &str| {
        server
            .post(
                IMPERSONATION,
                &[("X-Agent-Authorization", &bearer(&agent.access))],
                &body(
                    "agent-customer-impersonation-access-tokens",
                    &[("customerReference", "DE--5"), ("reason", r)],
                ),
            )
            .assert_tokens("agent-customer-impersonation-access-tokens")
    };
    let first = reason("SUP-1");
    let second = reason("SUP-2");
    server.impersonate(&agent.access, "DE--6");
    // The agent ends the first session.
    let reply = server.delete(
        &format!("/refresh-tokens/{}", first.refresh),
        &[("Authorization", &bearer(&agent.access))],
    );
    assert_eq!(reply.status, 204, "{reply:?}");

    let karl = customer_token(&data, "DE--5", 5);
    let auth = bearer(&karl);
    let reply = server.get(SESSIONS, &[("Authorization", &auth)]);
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.header("Content-Type"), Some(JSON_API));
    assert_eq!(reply.header("Cache-Control"), Some("no-store"));
    let doc = reply.json();
    let sessions = doc["data"].as_array().expect("data");
    assert_eq!(sessions.len(), 2, "{doc}");
    for s in sessions {
        assert_eq!(keys(s), ["type", "id", "attributes"]);
        assert_eq!(s["type"], "customer-impersonation-sessions");
        assert_eq!(s["id"].as_str().unwrap().len(), 16);
        assert_eq!(
            keys(&s["attributes"]),
            ["agent", "reason", "startedAt", "endedAt", "status"]
        );
        assert_eq!(s["attributes"]["agent"], "admin@spryker.com");
        let started = s["attributes"]["startedAt"].as_str().unwrap();
        assert!(
            started.len() == 20 && started.ends_with('Z') && started.as_bytes()[10] == b'T',
            "{started}"
        );
    }
    // Newest first (both may start within one second, so each is found by
    // its reason); the first session is revoked, the second live.
    let started: Vec<&str> = sessions
        .iter()
        .map(|s| s["attributes"]["startedAt"].as_str().unwrap())
        .collect();
    assert!(started[0] >= started[1], "{started:?}");
    let by_reason = |r: &str| {
        &sessions
            .iter()
            .find(|s| s["attributes"]["reason"] == r)
            .unwrap_or_else(|| panic!("no session with reason {r}"))["attributes"]
    };
    let (live, ended) = (by_reason("SUP-2"), by_reason("SUP-1"));
    assert_eq!(
        (&live["status"], &live["endedAt"]),
        (&json!("active"), &Value::Null)
    );
    assert_eq!(ended["status"], "revoked");
    assert!(ended["endedAt"].as_str().unwrap() >= ended["startedAt"].as_str().unwrap());
    assert_eq!(
        doc["links"],
        json!({
            "self": format!("{BASE}{SESSIONS}"),
            "last": format!("{BASE}{SESSIONS}?page[offset]=0&page[limit]=10"),
            "first": format!("{BASE}{SESSIONS}?page[offset]=0&page[limit]=10"),
        })
    );
    drop(second);

    // Paging as D14: one per page, the second page has prev and no next.
    let query = "page%5Boffset%5D=1&page%5Blimit%5D=1";
    let reply = server.get(&format!("{SESSIONS}?{query}"), &[("Authorization", &auth)]);
    let doc = reply.json();
    assert_eq!(doc["data"].as_array().unwrap().len(), 1);
    assert_eq!(doc["data"][0], sessions[1]);
    let page = |o| format!("{BASE}{SESSIONS}?page[offset]={o}&page[limit]=1");
    assert_eq!(
        doc["links"],
        json!({
            "self": format!("{BASE}{SESSIONS}?{query}"),
            "last": page(1),
            "first": page(0),
            "prev": page(0),
        })
    );
    assert_eq!(keys(&doc["links"]), ["self", "last", "first", "prev"]);

    // Only their own: Anne sees one, Spencor none (self link only).
    let anne = server.get(
        SESSIONS,
        &[("Authorization", &bearer(&customer_token(&data, "DE--6", 6)))],
    );
    assert_eq!(anne.json()["data"].as_array().unwrap().len(), 1);
    let spencor = server.get(
        SESSIONS,
        &[("Authorization", &bearer(&customer_token(&data, "DE--1", 1)))],
    );
    assert_eq!(
        spencor.body,
        format!(r#"{{"data":[],"links":{{"self":"{BASE}{SESSIONS}"}}}}"#)
    );
}

#[test]
fn an_expired_code_is_refused() {
    let data = DataDir::with_config(
        r#""impersonation":{"require_customer_consent":true,"consent_ttl":1}"#,
    );
    let server = data.serve(&[]);
    let agent = server.admin();
    let karl = customer_token(&data, "DE--5", 5);
    let reply = server.post(CONSENTS, &[("Authorization", &bearer(&karl))], "");
    assert_eq!(reply.status, 201, "{reply:?}");
    assert_eq!(reply.json()["data"]["attributes"]["expiresIn"], 1);
    let code = reply.json()["data"]["attributes"]["consentCode"]
        .as_str()
        .unwrap()
        .to_owned();
    // The server's clock is real: two seconds pass the code's one.
    std::thread::sleep(std::time::Duration::from_secs(2));
    impersonate(&server, &agent, "DE--5", Some(&code)).assert_error(401, E4104);
    assert_eq!(
        denied_policies(&data),
        ["require_customer_consent: consent code expired"]
    );
}
