//! The engine on PostgreSQL (issue 11): `database_url` names a real server
//! (started by the tests, see `pg/mod.rs`), and the session, refresh,
//! revocation and lockout rules hold there, also across two engines on one
//! database, as two app servers.
#![cfg(feature = "postgres")]

mod common;
mod pg;

use std::collections::BTreeMap;
use std::sync::{Arc, Barrier};

use agent_oauth_core::admission::PasswordPoolConfig;
use agent_oauth_core::audit::{AuditKind, AuditQuery};
use agent_oauth_core::clock::FixedClock;
use agent_oauth_core::random::OsRandom;
use agent_oauth_core::{Config, Engine, Error, Result, TokenResponse};
use common::{AGENT, CHEAP, Fixture, IP, NOW, PASSWORD, TEST_KEY};

const WRONG: &str = "wrong-password";

/// An engine on the shared server's database, with tables of its own prefix.
fn engine(url: &str, prefix: &str, clock: &Arc<FixedClock>) -> Engine {
    let config = Config {
        database_url: Some(url.into()),
        table_prefix: prefix.into(),
        upgrade_schema: true,
        private_key_pem: Some(TEST_KEY.into()),
        argon2: CHEAP,
        password_pool: PasswordPoolConfig {
            workers: 4,
            queue: 256,
            queue_wait_ms: 60_000,
            keep_memory: false,
        },
        ..Config::default()
    };
    Engine::builder()
        .config(config)
        .clock(clock.clone())
        .random(Arc::new(OsRandom))
        .build()
        .expect("engine on PostgreSQL")
}

/// A seeded engine (scopes, client, the agent, the customers) on PostgreSQL.
fn fixture(prefix: &str) -> Option<Fixture> {
    let url = pg::url()?;
    let clock = Arc::new(FixedClock::new(NOW));
    let engine = engine(&url, prefix, &clock);
    let agent_id = common::seed(&engine).expect("seed");
    Some(Fixture {
        engine,
        clock,
        agent_id,
        dir: None,
    })
}

fn code(result: &Result<TokenResponse>) -> &'static str {
    match result {
        Ok(_) => "201",
        Err(e) => e.glue_code().unwrap_or("internal"),
    }
}

fn tally(codes: impl IntoIterator<Item = &'static str>) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for c in codes {
        *counts.entry(c).or_insert(0) += 1;
    }
    counts
}

/// `n` threads released together, each running `attempt(i)`.
fn burst<T: Send>(n: usize, attempt: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let barrier = Barrier::new(n);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (barrier, attempt) = (&barrier, &attempt);
                s.spawn(move || {
                    barrier.wait();
                    attempt(i)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn assert_refused(result: Result<impl std::fmt::Debug>, code: &str) {
    let err = result.expect_err("refused");
    assert_eq!(err.glue_code(), Some(code), "{err:?}");
}

#[test]
fn login_impersonation_refresh_reuse_and_revocation_on_postgres() {
    let Some(f) = fixture("e_sessions_") else {
        return;
    };
    assert!(
        f.engine.store().describe().starts_with("PostgreSQL"),
        "{}",
        f.engine.store().describe()
    );
    // Every call waits on the network: a server hands every request to a
    // thread that may block.
    assert!(!f.engine.store().is_embedded());
    assert!(
        !f.engine
            .glue_request_is_brief("POST", "/agent-customer-impersonation-access-tokens")
    );
    let agent = f.engine.agent_login(AGENT, PASSWORD, IP).unwrap();
    f.engine.verify_strict(&agent.access_token).unwrap();
    let imp = f
        .engine
        .impersonate(&agent.access_token, "DE--5", None, IP)
        .unwrap();
    let claims = f.engine.verify_strict(&imp.access_token).unwrap();
    assert_eq!(claims.subject.customer_reference.as_deref(), Some("DE--5"));

    // Refresh once; the second presentation of the same token is reuse:
    // refused, and the whole family is revoked (D9).
    f.clock.advance(60);
    let rotated = f.engine.refresh(&imp.refresh_token, IP).unwrap();
    f.engine.verify_strict(&rotated.access_token).unwrap();
    assert_refused(f.engine.refresh(&imp.refresh_token, IP), "004");
    assert_refused(f.engine.refresh(&rotated.refresh_token, IP), "004");
    assert!(matches!(
        f.engine.verify_strict(&rotated.access_token),
        Err(Error::InvalidAccessToken)
    ));
    // The agent's own session lives on.
    f.engine.verify_strict(&agent.access_token).unwrap();

    // Revoking the agent's sessions ends them and what they started.
    let second = f
        .engine
        .impersonate(&agent.access_token, "DE--1", None, IP)
        .unwrap();
    assert_eq!(f.engine.revoke_mine(&agent.access_token, IP).unwrap(), 2);
    for token in [&agent.access_token, &second.access_token] {
        assert!(matches!(
            f.engine.verify_strict(token),
            Err(Error::InvalidAccessToken)
        ));
    }
    assert_refused(f.engine.refresh(&agent.refresh_token, IP), "004");

    let kinds: Vec<AuditKind> = f
        .engine
        .audit_events(&AuditQuery {
            limit: 100,
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds.first(), Some(&AuditKind::AgentLoginSucceeded));
    assert!(
        kinds.contains(&AuditKind::ImpersonationStarted),
        "{kinds:?}"
    );
}

#[test]
fn burst_of_100_wrong_passwords_on_postgres_answers_at_most_9_times_4101() {
    let Some(f) = fixture("e_burst_") else {
        return;
    };
    let results = burst(100, |_| f.engine.agent_login(AGENT, WRONG, IP));
    let counts = tally(results.iter().map(code));
    assert_eq!(counts, BTreeMap::from([("4101", 9), ("4401", 91)]));
    assert_eq!(code(&f.engine.agent_login(AGENT, PASSWORD, IP)), "4401");
}

#[test]
fn two_engines_on_one_postgres_database_share_sessions_and_the_lockout() {
    let Some(a) = fixture("e_two_servers_") else {
        return;
    };
    let b = engine(&pg::url().unwrap(), "e_two_servers_", &a.clock);
    // Logged in on one, impersonating and refreshing on the other.
    let agent = a.engine.agent_login(AGENT, PASSWORD, IP).unwrap();
    b.verify_strict(&agent.access_token)
        .expect("the other engine knows the session");
    let imp = b
        .impersonate(&agent.access_token, "DE--5", None, IP)
        .unwrap();
    a.engine.verify_strict(&imp.access_token).unwrap();
    let rotated = b.refresh(&imp.refresh_token, IP).unwrap();
    assert_refused(a.engine.refresh(&imp.refresh_token, IP), "004");
    assert!(b.verify_strict(&rotated.access_token).is_err());
    // Revoked on one, refused on the other.
    assert_eq!(b.revoke_mine(&agent.access_token, IP).unwrap(), 1);
    assert!(a.engine.verify_strict(&agent.access_token).is_err());

    // The same refresh token sent to both at once is spent once.
    for _ in 0..6 {
        let session = a.engine.agent_login(AGENT, PASSWORD, IP).unwrap();
        let engines = [&a.engine, &b];
        let results = burst(2, |i| engines[i].refresh(&session.refresh_token, IP));
        let won = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(won, 1, "{results:?}");
    }

    // One lockout across both: a burst spread over the two.
    let engines = [&a.engine, &b];
    let results = burst(100, |i| {
        engines[i % 2].agent_login(AGENT, WRONG, "198.51.100.9")
    });
    let counts = tally(results.iter().map(code));
    assert_eq!(counts, BTreeMap::from([("4101", 9), ("4401", 91)]));
}

/// The engine without `upgrade_schema` on `prefix`, or its error.
fn open_without_upgrade(url: &str, prefix: &str) -> Result<Engine> {
    Engine::builder()
        .config(Config {
            database_url: Some(url.into()),
            table_prefix: prefix.into(),
            private_key_pem: Some(TEST_KEY.into()),
            ..Config::default()
        })
        .build()
}

fn config_error(result: Result<Engine>) -> String {
    match result {
        Err(Error::Config(message)) => message,
        Err(e) => panic!("expected a configuration error, got {e:?}"),
        Ok(_) => panic!("expected a configuration error, the engine opened"),
    }
}

/// Only an explicit upgrade (`init`, or `upgrade_schema`) changes a
/// server's tables: missing or older tables are refused with the command.
#[test]
fn missing_or_older_tables_are_refused_with_the_command_that_upgrades_them() {
    let Some(server) = pg::shared() else {
        return;
    };
    let (url, prefix) = (server.url(), "upgrade_");
    let needs = |found: &str| {
        format!(
            "{found}: create or upgrade them with `agent-oauth-server init --database-url URL` \
             (or open one engine with \"upgrade_schema\": true)"
        )
    };
    let mut sql = server.client(pg::DATABASE);
    let exists = |sql: &mut postgres::Client| -> bool {
        sql.query_one(
            "SELECT to_regclass('upgrade_refresh_token') IS NOT NULL",
            &[],
        )
        .unwrap()
        .get(0)
    };

    // Nothing changes without the upgrade: not even the version table.
    let message = config_error(open_without_upgrade(&url, prefix));
    let clock = Arc::new(FixedClock::new(NOW));
    let upgraded = engine(&url, prefix, &clock);
    let version: i32 = sql
        .query_one("SELECT max(version) FROM upgrade_schema_version", &[])
        .unwrap()
        .get(0);
    assert_eq!(
        message,
        needs(&format!(
            "there are no PostgreSQL tables upgrade_* yet (this build needs schema version {version})"
        ))
    );
    assert!(exists(&mut sql));
    drop(upgraded);

    // Up to date: opens, and changes nothing.
    open_without_upgrade(&url, prefix).expect("an up-to-date schema opens");

    // One version behind (the last migration's record taken away): refused.
    sql.execute(
        "DELETE FROM upgrade_schema_version WHERE version = $1",
        &[&version],
    )
    .unwrap();
    assert_eq!(
        config_error(open_without_upgrade(&url, prefix)),
        needs(&format!(
            "the PostgreSQL tables upgrade_* have schema version {}, this build needs {version}",
            version - 1
        ))
    );
    sql.execute(
        "INSERT INTO upgrade_schema_version (version) VALUES ($1)",
        &[&version],
    )
    .unwrap();
    open_without_upgrade(&url, prefix).expect("current again");

    // Newer than this build: refused either way.
    sql.execute(
        "INSERT INTO upgrade_schema_version (version) VALUES ($1)",
        &[&(version + 1)],
    )
    .unwrap();
    let newer = format!(
        "the PostgreSQL tables upgrade_* have schema version {}, newer than this build's {version}: \
         run a newer agent-oauth",
        version + 1
    );
    assert_eq!(config_error(open_without_upgrade(&url, prefix)), newer);
    sql.execute(
        "DELETE FROM upgrade_schema_version WHERE version = $1",
        &[&(version + 1)],
    )
    .unwrap();
}
