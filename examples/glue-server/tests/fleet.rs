//! Two `agent-oauth-server` processes on two ports, with the same key and
//! one database server (issue 11): first PostgreSQL, then MariaDB, each a
//! real server started by the tests. What one app server does, the other
//! sees at once: sessions, refresh tokens (spent exactly once, even when both
//! receive one at the same instant), revocations, the lockout count and the
//! audit log.
//!
//! Without the database binaries a local run prints `SKIPPED` and passes;
//! under `CI` it fails.

#[allow(dead_code)]
mod common;
#[path = "../../../core/tests/common/mariadb_server.rs"]
mod mariadb_server;

use common::pg;
use common::*;
use serde_json::Value;

const E4101: &str =
    r#"{"errors":[{"code":"4101","status":401,"detail":"Failed to authenticate an agent."}]}"#;
const E4102: &str =
    r#"{"errors":[{"detail":"Agent access token is invalid.","status":401,"code":"4102"}]}"#;
const E004: &str =
    r#"{"errors":[{"code":"004","status":401,"detail":"Failed to refresh token."}]}"#;
const E4401: &str = r#"{"errors":[{"status":429,"code":"4401","detail":"Too many log in attempts from your address. Please wait 6 minutes before trying again."}]}"#;
const IMPERSONATION: &str = "/agent-customer-impersonation-access-tokens";
const KEY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../core/tests/keys/test-only-private-key.pem"
);

/// Two servers on `url`, tables under `prefix`; the second starts once the
/// first has created the schema and the demo data.
fn two_servers(url: &str, prefix: &str) -> (DataDir, Server, DataDir, Server) {
    two_servers_with(url, prefix, "")
}

/// [`two_servers`] with more configuration keys (`,"key":value...`).
fn two_servers_with(url: &str, prefix: &str, extra: &str) -> (DataDir, Server, DataDir, Server) {
    let config = format!(r#""table_prefix":"{prefix}"{extra}"#);
    let options = [
        "--database-url",
        url,
        "--key",
        KEY,
        // Each request names its client in X-Forwarded-For, so the audit
        // shows which server saw what, and one lockout key spans both.
        "--trusted-proxy",
        "127.0.0.1",
    ];
    let (data_a, data_b) = (DataDir::with_config(&config), DataDir::with_config(&config));
    // The tables come from `init` alone: a server refuses to create them.
    let refused = data_a.serve_fails(&options);
    assert!(
        refused.contains(&format!("tables {prefix}* yet"))
            && refused.contains(
                "create or upgrade them with `agent-oauth-server init --database-url URL`"
            ),
        "{refused}"
    );
    let init = data_a.cli(&["--database-url", url, "init"]);
    assert!(init.starts_with("database ready: "), "{init}");
    // Safe to run twice.
    assert_eq!(data_b.cli(&["--database-url", url, "init"]), init);
    let a = data_a.serve(&options);
    let b = data_b.serve(&options);
    (data_a, a, data_b, b)
}

fn from(ip: &str) -> (&'static str, &str) {
    ("X-Forwarded-For", ip)
}

fn login(server: &Server, ip: &str) -> Tokens {
    server
        .post(
            "/agent-access-tokens",
            &[from(ip)],
            &login_body("admin@spryker.com", "change123"),
        )
        .assert_tokens("agent-access-tokens")
}

fn refresh(server: &Server, token: &str) -> Reply {
    server.post("/refresh-tokens", &[from("10.0.0.9")], &refresh_body(token))
}

fn fleet(url: &str, prefix: &str) {
    let (data_a, mut a, _data_b, b) = two_servers(url, prefix);

    // An agent logs in on A, then searches and impersonates on B.
    let agent = login(&a, "10.0.0.1");
    let as_agent = [("X-Agent-Authorization", bearer(&agent.access))];
    let as_agent: Vec<(&str, &str)> = as_agent.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let search = b.get("/agent-customer-search?q=DE--5", &as_agent);
    assert_eq!(search.status, 200, "{}", search.body);
    let found = search.json();
    assert_eq!(
        found["data"][0]["attributes"]["customers"][0]["customerReference"], "DE--5",
        "{found}"
    );
    b.post(IMPERSONATION, &as_agent, IMPERSONATION_SEED)
        .assert_tokens("agent-customer-impersonation-access-tokens");

    // A refresh token issued on A refreshes on B, once.
    let on_b = refresh(&b, &agent.refresh).assert_tokens("refresh-tokens");
    refresh(&a, &agent.refresh).assert_error(401, E004);
    // That reuse revoked the family on both.
    refresh(&b, &on_b.refresh).assert_error(401, E004);
    refresh(&a, &on_b.refresh).assert_error(401, E004);

    // The same refresh token to both at the same instant, a dozen times:
    // spent exactly once each time, and the loser's reuse revokes the
    // winner's new token on both servers.
    for round in 0..12 {
        let session = login(&b, "10.0.0.2");
        let barrier = std::sync::Barrier::new(2);
        let send = |server: &Server| {
            barrier.wait();
            refresh(server, &session.refresh)
        };
        let (reply_a, reply_b) = std::thread::scope(|s| {
            let ta = s.spawn(|| send(&a));
            let tb = s.spawn(|| send(&b));
            (ta.join().expect("a"), tb.join().expect("b"))
        });
        let mut statuses = [reply_a.status, reply_b.status];
        statuses.sort();
        assert_eq!(
            statuses,
            [201, 401],
            "round {round}: {reply_a:?} {reply_b:?}"
        );
        let (winner, loser) = match reply_a.status {
            201 => (reply_a, reply_b),
            _ => (reply_b, reply_a),
        };
        assert_eq!(loser.body, E004, "round {round}");
        let new = winner.assert_tokens("refresh-tokens");
        refresh(&a, &new.refresh).assert_error(401, E004);
        refresh(&b, &new.refresh).assert_error(401, E004);
    }

    // `DELETE /refresh-tokens/mine` on A ends the session for B as well.
    let session = login(&a, "10.0.0.1");
    let status = a
        .delete(
            "/refresh-tokens/mine",
            &[("Authorization", &bearer(&session.access))],
        )
        .status;
    assert_eq!(status, 204);
    b.post(
        IMPERSONATION,
        &[("X-Agent-Authorization", &bearer(&session.access))],
        IMPERSONATION_SEED,
    )
    .assert_error(401, E4102);
    refresh(&b, &session.refresh).assert_error(401, E004);

    // Nine failures spread over both servers lock the tenth on either.
    let wrong = login_body("admin@spryker.com", "wrong");
    for server in [&a, &b, &a, &b, &a, &b, &a, &b, &a] {
        server
            .post("/agent-access-tokens", &[from("10.0.0.66")], &wrong)
            .assert_error(401, E4101);
    }
    for server in [&b, &a] {
        let reply = server.post(
            "/agent-access-tokens",
            &[from("10.0.0.66")],
            &login_body("admin@spryker.com", "change123"),
        );
        reply.assert_error(429, E4401);
    }

    // One audit query (the admin CLI, a third process) shows both servers.
    let out = data_a.cli(&["--database-url", url, "audit", "--json"]);
    let events: Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("audit --json ({e}): {out}"));
    let events = events.as_array().expect("array");
    let count = |kind: &str, ip: &str| {
        events
            .iter()
            .filter(|e| e["kind"] == kind && e["client_ip"] == ip)
            .count()
    };
    assert_eq!(count("agent_login_succeeded", "10.0.0.1"), 2, "{out}");
    assert_eq!(count("agent_login_succeeded", "10.0.0.2"), 12, "{out}");
    assert_eq!(count("agent_login_failed", "10.0.0.66"), 11, "{out}");

    // A graceful stop drops the database clients outside the async runtime.
    let status = a.terminate("-TERM");
    assert!(status.success(), "{status}; log:\n{}", a.log());
}

#[test]
fn two_servers_on_one_postgresql_share_sessions_refresh_tokens_revocations_lockout_and_audit() {
    let Some(url) = pg::url() else {
        return;
    };
    fleet(&url, "fleet_pg_");
}

#[test]
fn two_servers_on_one_mariadb_share_sessions_refresh_tokens_revocations_lockout_and_audit() {
    let Some(server) = mariadb_server::shared() else {
        return;
    };
    fleet(&server.url(), &mariadb_server::prefix("fleet"));
}

/// Impersonations started at the same instant through both servers, by one
/// agent logged in on each, against a cap of 3 live sessions (issue 12):
/// exactly 3 start, whichever server they reach.
fn cap_across_servers(url: &str, prefix: &str) {
    let (_data_a, a, _data_b, b) = two_servers_with(
        url,
        prefix,
        r#","impersonation":{"max_active_sessions_per_agent":3}"#,
    );
    let agents = [login(&a, "198.51.100.1"), login(&b, "198.51.100.2")];
    let servers = [&a, &b];
    let barrier = std::sync::Barrier::new(16);
    let replies: Vec<Reply> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|i| {
                let (barrier, agents, servers) = (&barrier, &agents, &servers);
                s.spawn(move || {
                    barrier.wait();
                    servers[i % 2].post(
                        IMPERSONATION,
                        &[("X-Agent-Authorization", &bearer(&agents[i % 2].access))],
                        &impersonation_body("DE--5"),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let started = replies.iter().filter(|r| r.status == 201).count();
    for reply in replies.iter().filter(|r| r.status != 201) {
        reply.assert_error(
            401,
            r#"{"errors":[{"code":"4104","status":401,"detail":"Failed to impersonate a customer."}]}"#,
        );
    }
    assert_eq!(started, 3, "{replies:?}");
}

#[test]
fn impersonation_cap_holds_across_two_servers_on_postgresql() {
    let Some(url) = pg::url() else {
        return;
    };
    cap_across_servers(&url, "fleet_cap_pg_");
}

#[test]
fn impersonation_cap_holds_across_two_servers_on_mariadb() {
    let Some(server) = mariadb_server::shared() else {
        return;
    };
    cap_across_servers(&server.url(), &mariadb_server::prefix("fleet_cap"));
}
