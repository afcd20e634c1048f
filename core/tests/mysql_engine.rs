//! The engine on a real MariaDB server (issue 11): configured by
//! `database_url` and `table_prefix`, it logs in, impersonates, refreshes
//! once, detects reuse, revokes, and keeps the lockout at 9 failures under a
//! burst, also when two engines (two app servers) share the database.
#![cfg(feature = "mysql")]

mod common;
#[path = "common/mariadb_server.rs"]
mod mariadb_server;

use std::collections::BTreeMap;
use std::sync::{Arc, Barrier};

use agent_oauth_core::admission::PasswordPoolConfig;
use agent_oauth_core::audit::{AuditKind, AuditQuery};
use agent_oauth_core::clock::FixedClock;
use agent_oauth_core::random::OsRandom;
use agent_oauth_core::{Config, Engine, Error, Result, TokenResponse};
use common::{AGENT, CHEAP, IP, NOW, PASSWORD, TEST_KEY};
use mariadb_server::MariaDb;

const WRONG: &str = "wrong-password";

/// An engine on the shared server's tables with `prefix`, seeded unless
/// another engine seeded them already.
fn engine(server: &MariaDb, prefix: &str, clock: &Arc<FixedClock>, seed: bool) -> Engine {
    let engine = Engine::builder()
        .config(Config {
            database_url: Some(server.url()),
            table_prefix: prefix.into(),
            upgrade_schema: true,
            ..Config::default()
        })
        .private_key_pem(TEST_KEY)
        .argon2(CHEAP)
        .clock(clock.clone())
        .random(Arc::new(OsRandom))
        .password_pool(PasswordPoolConfig {
            workers: 4,
            queue: 256,
            queue_wait_ms: 60_000,
            keep_memory: false,
        })
        .build()
        .expect("engine on MariaDB");
    if seed {
        common::seed(&engine).expect("seed");
    }
    engine
}

macro_rules! server_or_skip {
    () => {
        match mariadb_server::shared() {
            Some(server) => server,
            None => return,
        }
    };
}

/// The Glue code of an answer ("201" for a token).
fn outcome(result: &Result<TokenResponse>) -> &'static str {
    match result {
        Ok(_) => "201",
        Err(e) => e.glue_code().unwrap_or("internal"),
    }
}

/// `n` threads released together, each running `attempt(i)`; the tally of
/// their answers.
fn burst(
    n: usize,
    attempt: impl Fn(usize) -> Result<TokenResponse> + Sync,
) -> BTreeMap<&'static str, usize> {
    let barrier = Barrier::new(n);
    let outcomes: Vec<&'static str> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (barrier, attempt) = (&barrier, &attempt);
                s.spawn(move || {
                    barrier.wait();
                    outcome(&attempt(i))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut counts = BTreeMap::new();
    for o in outcomes {
        *counts.entry(o).or_insert(0) += 1;
    }
    counts
}

#[track_caller]
fn assert_glue<T: std::fmt::Debug>(result: Result<T>, code: &str) {
    let err = result.expect_err(code);
    assert_eq!(err.glue_code(), Some(code), "{err:?}");
}

#[test]
fn login_impersonate_refresh_once_reuse_and_revoke_mine_on_mariadb() {
    let server = server_or_skip!();
    let clock = Arc::new(FixedClock::new(NOW));
    let e = engine(server, &mariadb_server::prefix("engine_flow"), &clock, true);
    let describe = e.store().describe();
    assert!(describe.contains("MariaDB"), "{describe}");
    assert!(!describe.contains(mariadb_server::PASSWORD), "{describe}");

    let agent = e.agent_login(AGENT, PASSWORD, IP).unwrap();
    e.verify_strict(&agent.access_token).unwrap();
    let imp = e
        .impersonate(&agent.access_token, "DE--5", Some("ticket 42"), IP)
        .unwrap();
    let claims = e.verify_strict(&imp.access_token).unwrap();
    assert_eq!(claims.subject.customer_reference.as_deref(), Some("DE--5"));

    clock.advance(5);
    let rotated = e.refresh(&agent.refresh_token, IP).unwrap();
    e.verify_strict(&rotated.access_token).unwrap();
    // The spent token again: 004, and the whole family is revoked, with the
    // impersonation started from it.
    assert_glue(e.refresh(&agent.refresh_token, IP), "004");
    assert_glue(e.refresh(&rotated.refresh_token, IP), "004");
    assert!(matches!(
        e.verify_strict(&rotated.access_token),
        Err(Error::InvalidAccessToken)
    ));
    assert!(matches!(
        e.verify_strict(&imp.access_token),
        Err(Error::InvalidAccessToken)
    ));

    let session = e.agent_login(AGENT, PASSWORD, IP).unwrap();
    let other = e
        .impersonate(&session.access_token, "DE--1", None, IP)
        .unwrap();
    assert_eq!(e.revoke_mine(&session.access_token, IP).unwrap(), 2);
    assert_glue(e.refresh(&session.refresh_token, IP), "004");
    assert_glue(e.refresh(&other.refresh_token, IP), "004");

    let kinds: Vec<AuditKind> = e
        .audit_events(&AuditQuery::default())
        .unwrap()
        .into_iter()
        .map(|event| event.kind)
        .collect();
    for kind in [
        AuditKind::AgentLoginSucceeded,
        AuditKind::ImpersonationStarted,
        AuditKind::TokenRefreshed,
        AuditKind::RefreshReuseDetected,
        AuditKind::SessionRevoked,
    ] {
        assert!(kinds.contains(&kind), "{kind:?} in {kinds:?}");
    }
}

#[test]
fn burst_of_100_wrong_passwords_for_one_username_and_ip_answers_9_times_4101() {
    let server = server_or_skip!();
    let clock = Arc::new(FixedClock::new(NOW));
    let e = engine(
        server,
        &mariadb_server::prefix("engine_burst"),
        &clock,
        true,
    );
    let counts = burst(100, |_| e.agent_login(AGENT, WRONG, IP));
    assert_eq!(counts, BTreeMap::from([("4101", 9), ("4401", 91)]));
    let blocked = e.agent_login(AGENT, PASSWORD, IP).unwrap_err();
    assert_eq!(blocked.http_status(), 429);
}

#[test]
fn two_engines_on_one_database_share_sessions_refreshes_and_the_lockout() {
    let server = server_or_skip!();
    let clock = Arc::new(FixedClock::new(NOW));
    let prefix = mariadb_server::prefix("engine_two_servers");
    let a = engine(server, &prefix, &clock, true);
    let b = engine(server, &prefix, &clock, false);

    let session = a.agent_login(AGENT, PASSWORD, IP).unwrap();
    b.verify_strict(&session.access_token).unwrap();
    let imp = b
        .impersonate(&session.access_token, "DE--5", None, IP)
        .unwrap();
    a.verify_strict(&imp.access_token).unwrap();
    // Refreshed on B once; the same token on A is reuse, on both servers.
    let rotated = b.refresh(&session.refresh_token, IP).unwrap();
    assert_glue(a.refresh(&session.refresh_token, IP), "004");
    assert_glue(b.refresh(&rotated.refresh_token, IP), "004");
    assert!(b.verify_strict(&imp.access_token).is_err());

    let counts = burst(100, |i| {
        let engine = if i % 2 == 0 { &a } else { &b };
        engine.agent_login(AGENT, WRONG, "198.51.100.9")
    });
    assert_eq!(counts, BTreeMap::from([("4101", 9), ("4401", 91)]));
    // Both servers' audit rows in one query.
    let failed = a
        .audit_events(&AuditQuery {
            limit: 1000,
            ..AuditQuery::default()
        })
        .unwrap()
        .into_iter()
        .filter(|event| event.kind == AuditKind::AgentLoginFailed)
        .count();
    assert_eq!(failed, 100);
}

/// Only an explicit upgrade (`init`, or `upgrade_schema`) changes the
/// tables: missing or older ones are refused with the command, newer ones
/// with their version.
#[test]
fn missing_or_older_tables_are_refused_with_the_command_that_upgrades_them() {
    let Some(server) = mariadb_server::shared() else {
        return;
    };
    let prefix = mariadb_server::prefix("upgrade");
    let open = || {
        Engine::builder()
            .config(Config {
                database_url: Some(server.url()),
                table_prefix: prefix.clone(),
                private_key_pem: Some(TEST_KEY.into()),
                ..Config::default()
            })
            .build()
    };
    let refusal = |result: Result<Engine>| match result {
        Err(Error::Config(message)) => message,
        Err(e) => panic!("expected a configuration error, got {e:?}"),
        Ok(_) => panic!("expected a configuration error, the engine opened"),
    };
    let needs = |found: String| {
        format!(
            "{found}: create or upgrade them with `agent-oauth-server init --database-url URL` \
             (or open one engine with \"upgrade_schema\": true)"
        )
    };
    let table = format!("{}.{prefix}schema_version", mariadb_server::DATABASE);

    let missing = refusal(open());
    let clock = Arc::new(FixedClock::new(NOW));
    drop(engine(server, &prefix, &clock, false));
    let version: i64 = server
        .sql(&format!("SELECT MAX(version) FROM {table}"))
        .trim()
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .expect("schema version");
    assert_eq!(
        missing,
        needs(format!(
            "there are no MySQL/MariaDB tables {prefix}* yet (this build needs schema version {version})"
        ))
    );
    open().expect("an up-to-date schema opens");

    server.sql(&format!("DELETE FROM {table} WHERE version = {version}"));
    assert_eq!(
        refusal(open()),
        needs(format!(
            "the MySQL/MariaDB tables {prefix}* have schema version {}, this build needs {version}",
            version - 1
        ))
    );
    server.sql(&format!(
        "INSERT INTO {table} (version) VALUES ({version}), ({})",
        version + 1
    ));
    assert_eq!(
        refusal(open()),
        format!(
            "the tables {prefix}* have schema version {}, newer than this build's {version}: \
             upgrade agent-oauth",
            version + 1
        )
    );
    server.sql(&format!("DELETE FROM {table} WHERE version > {version}"));
    open().expect("current again");
}
