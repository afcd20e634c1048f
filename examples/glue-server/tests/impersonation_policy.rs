//! The impersonation policy and lifetime over HTTP (issue 12, D30), against
//! the real server: Spryker's shapes for every refusal, the short lifetime
//! beside the agent's 28800, the caps one request at a time and under a
//! concurrent burst, and the audit naming the rule. With every rule off the
//! seeds' replay in `e2e.rs` holds unchanged.

#[allow(dead_code)]
mod common;

use std::sync::Barrier;

use common::*;
use serde_json::Value;

const IMPERSONATION: &str = "/agent-customer-impersonation-access-tokens";
const E4104: &str =
    r#"{"errors":[{"code":"4104","status":401,"detail":"Failed to impersonate a customer."}]}"#;
const BLANK: &str = r#"{"errors":[{"code":"901","status":422,"detail":"reason => This value should not be blank."}]}"#;
const NOT_VALID: &str =
    r#"{"errors":[{"code":"901","status":422,"detail":"reason => This value is not valid."}]}"#;

fn impersonate(server: &Server, agent: &Tokens, attributes: &[(&str, &str)]) -> Reply {
    server.post(
        IMPERSONATION,
        &[("X-Agent-Authorization", &bearer(&agent.access))],
        &body("agent-customer-impersonation-access-tokens", attributes),
    )
}

fn audit(data: &DataDir) -> Vec<Value> {
    let out = data.cli(&["audit", "--json"]);
    let events: Value = serde_json::from_str(&out).expect("audit --json");
    events.as_array().expect("array").clone()
}

#[test]
fn short_impersonations_answer_at_most_900_while_agents_keep_28800() {
    let data = DataDir::with_config(r#""impersonation_access_token_ttl":900"#);
    let server = data.serve(&[]);
    let agent = server.admin();
    assert_eq!(agent.expires_in, 28800);
    let imp = impersonate(&server, &agent, &[("customerReference", "DE--5")])
        .assert_tokens("agent-customer-impersonation-access-tokens");
    assert_eq!(imp.expires_in, 900);
    let first = claims(&imp.access);
    assert_eq!(
        first["exp"].as_i64().unwrap() - first["iat"].as_i64().unwrap(),
        900
    );
    let refreshed = server.refresh(&imp.refresh).assert_tokens("refresh-tokens");
    assert!(
        (899..=900).contains(&refreshed.expires_in),
        "{}",
        refreshed.expires_in
    );
    assert!(claims(&refreshed.access)["act"].is_object());
}

#[test]
fn reasons_answer_spryker_422s_and_a_ticket_id_passes() {
    let data = DataDir::with_config(
        r#""impersonation":{"require_reason":true,"reason_pattern":"^[A-Z]+-[0-9]+$"}"#,
    );
    let server = data.serve(&[]);
    let agent = server.admin();
    impersonate(&server, &agent, &[("customerReference", "DE--5")]).assert_error(422, BLANK);
    impersonate(
        &server,
        &agent,
        &[("customerReference", "DE--5"), ("reason", "  ")],
    )
    .assert_error(422, BLANK);
    impersonate(
        &server,
        &agent,
        &[("customerReference", "DE--5"), ("reason", "ticket 4711")],
    )
    .assert_error(422, NOT_VALID);
    impersonate(
        &server,
        &agent,
        &[("customerReference", "DE--5"), ("reason", "SUP-4711")],
    )
    .assert_tokens("agent-customer-impersonation-access-tokens");
    let events = audit(&data);
    let denied: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e["kind"] == "impersonation_denied")
        .map(|e| (e["code"].as_str().unwrap(), e["policy"].as_str().unwrap()))
        .collect();
    assert_eq!(
        denied,
        [
            ("901", "require_reason: no reason given"),
            ("901", "require_reason: no reason given"),
            ("901", "reason_pattern: does not match ^[A-Z]+-[0-9]+$"),
        ]
    );
}

#[test]
fn a_burst_of_impersonations_gets_exactly_the_cap_and_the_rest_4104() {
    let data = DataDir::with_config(r#""impersonation":{"max_active_sessions_per_agent":2}"#);
    let server = data.serve(&[]);
    let agent = server.admin();
    let barrier = Barrier::new(12);
    let replies: Vec<Reply> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..12)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    impersonate(&server, &agent, &[("customerReference", "DE--5")])
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut started = 0;
    for reply in &replies {
        match reply.status {
            201 => started += 1,
            _ => reply.assert_error(401, E4104),
        }
    }
    assert_eq!(started, 2, "{replies:?}");
    let events = audit(&data);
    let policies: Vec<&str> = events
        .iter()
        .filter(|e| e["kind"] == "impersonation_denied")
        .map(|e| e["policy"].as_str().unwrap())
        .collect();
    assert_eq!(
        policies,
        ["max_active_sessions_per_agent: 2 of 2 active"; 10]
    );
    // The customer-side end of one session frees a place.
    let one = replies.iter().find(|r| r.status == 201).unwrap();
    let access = one.json()["data"]["attributes"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply = server.delete(
        "/refresh-tokens/mine",
        &[("Authorization", &bearer(&access))],
    );
    assert_eq!(reply.status, 204, "{reply:?}");
    impersonate(&server, &agent, &[("customerReference", "DE--5")])
        .assert_tokens("agent-customer-impersonation-access-tokens");
}

#[test]
fn a_customer_added_with_no_impersonation_is_refused_4104() {
    let data = DataDir::new();
    data.cli(&[
        "customer",
        "add",
        "--id",
        "77",
        "--reference",
        "DE--77",
        "--email",
        "private@example.com",
        "--first-name",
        "Pri",
        "--last-name",
        "Vate",
        "--no-impersonation",
    ]);
    let server = data.serve(&[]);
    let agent = server.admin();
    impersonate(&server, &agent, &[("customerReference", "DE--77")]).assert_error(401, E4104);
    impersonate(&server, &agent, &[("customerReference", "DE--5")])
        .assert_tokens("agent-customer-impersonation-access-tokens");
    let events = audit(&data);
    let denied: Vec<&str> = events
        .iter()
        .filter(|e| e["kind"] == "impersonation_denied")
        .map(|e| e["policy"].as_str().unwrap())
        .collect();
    assert_eq!(denied, ["impersonation_allowed: false for this customer"]);
}

#[test]
fn the_hourly_cap_answers_4104_and_names_its_figures() {
    let data = DataDir::with_config(r#""impersonation":{"max_starts_per_agent_per_hour":2}"#);
    let server = data.serve(&[]);
    let agent = server.admin();
    for reference in ["DE--5", "DE--6"] {
        impersonate(&server, &agent, &[("customerReference", reference)])
            .assert_tokens("agent-customer-impersonation-access-tokens");
    }
    impersonate(&server, &agent, &[("customerReference", "DE--1")]).assert_error(401, E4104);
    let policies: Vec<String> = audit(&data)
        .iter()
        .filter(|e| e["kind"] == "impersonation_denied")
        .map(|e| e["policy"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        policies,
        ["max_starts_per_agent_per_hour: 2 of 2 started within the hour"]
    );
}

#[test]
fn a_session_past_its_age_is_not_refreshed() {
    let data = DataDir::with_config(r#""impersonation":{"max_session_seconds":1}"#);
    let server = data.serve(&[]);
    let agent = server.admin();
    let imp = impersonate(&server, &agent, &[("customerReference", "DE--5")])
        .assert_tokens("agent-customer-impersonation-access-tokens");
    // The server's clock is real: two seconds make the session at least one old.
    std::thread::sleep(std::time::Duration::from_secs(2));
    server.refresh(&imp.refresh).assert_error(401, E4104);
    let events = audit(&data);
    let denied: Vec<&str> = events
        .iter()
        .filter(|e| e["kind"] == "impersonation_denied")
        .map(|e| e["policy"].as_str().unwrap())
        .collect();
    assert_eq!(denied.len(), 1, "{events:?}");
    assert!(
        denied[0].starts_with("max_session_seconds: ")
            && denied[0].ends_with(" s old, at most 1 s"),
        "{denied:?}"
    );
}
