//! The storage contract suite on a real MariaDB server, and what only a
//! server backend has: an unreachable server, a restart, a schema from a
//! newer build, migrations racing, several stores (processes) on one
//! database. Each test gets tables of its own (a table prefix) on one shared
//! server, so the tests run in parallel.
#![cfg(feature = "mysql")]

#[macro_use]
mod contract;
#[path = "common/mariadb_server.rs"]
mod mariadb_server;

use std::sync::{Arc, Barrier};
use std::time::Duration;

use agent_oauth_core::directory::{AgentStatus, Customer};
use agent_oauth_core::lockout::{LockoutPolicy, LockoutState, Reservation};
use agent_oauth_core::store::{self, Durability, OpenOptions, SessionKind, Store};
use agent_oauth_core::{Error, Result};
use mariadb_server::{MariaDb, PASSWORD};

const NOW: i64 = contract::NOW;

fn options(prefix: &str) -> OpenOptions {
    OpenOptions {
        pool_size: 8,
        busy_timeout: Duration::from_secs(5),
        table_prefix: prefix.into(),
        upgrade_schema: true,
    }
}

fn open(url: &str, prefix: &str) -> Result<Arc<dyn Store>> {
    store::open(url, options(prefix))
}

/// The error of an open that must fail.
fn open_err(url: &str, prefix: &str) -> Error {
    match open(url, prefix) {
        Ok(store) => panic!("opened {}", store.describe()),
        Err(e) => e,
    }
}

/// The contract factory: tables of its own for each test. Without MariaDB
/// (and outside CI) the whole test binary ends here, successfully, after
/// saying loudly that it skipped: a contract test cannot return early.
fn mysql(name: &str) -> Arc<dyn Store> {
    let Some(server) = mariadb_server::shared() else {
        std::process::exit(0);
    };
    open(&server.url(), &mariadb_server::prefix(name)).unwrap()
}

contract_suite!(mysql);

macro_rules! server_or_skip {
    ($server:expr) => {
        match $server {
            Some(server) => server,
            None => return,
        }
    };
}

#[test]
fn mariadb_scheme_opens_the_same_store_and_describe_hides_the_password() {
    let server = server_or_skip!(mariadb_server::shared());
    let url = server.url().replacen("mysql://", "mariadb://", 1);
    let prefix = mariadb_server::prefix("mariadb_scheme");
    let store = open(&url, &prefix).unwrap();
    let text = store.describe();
    assert!(text.starts_with("MySQL/MariaDB 10."), "{text}");
    assert!(text.contains("MariaDB"), "{text}");
    assert!(
        text.contains(&format!("127.0.0.1:{}/agent_oauth", server.port)),
        "{text}"
    );
    assert!(text.contains(&prefix), "{text}");
    assert!(!text.contains(PASSWORD), "{text}");
    // The same tables through the other scheme.
    store.install_scopes(&["agent"]).unwrap();
    let again = open(&server.url(), &prefix).unwrap();
    assert_eq!(again.scopes().unwrap(), ["agent"]);
}

#[test]
fn unreachable_server_is_a_storage_error_naming_the_address_without_the_password() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("mysql://agent_oauth:{PASSWORD}@127.0.0.1:{port}/agent_oauth");
    let err = open_err(&url, "agent_oauth_");
    let Error::Storage(text) = &err else {
        panic!("{err:?}");
    };
    assert!(
        text.contains(&format!("127.0.0.1:{port}/agent_oauth is unreachable")),
        "{text}"
    );
    assert!(!text.contains(PASSWORD), "{text}");
    assert!(!format!("{err:?}").contains(PASSWORD));
}

#[test]
fn bad_urls_are_config_errors_without_the_password() {
    for url in [
        format!("mysql://u:{PASSWORD}@127.0.0.1:3306"),
        format!("mysql://u:{PASSWORD}@127.0.0.1:99999/db"),
        format!("mysql://u:{PASSWORD}@127.0.0.1/db?no_such_option=1"),
    ] {
        let err = open_err(&url, "agent_oauth_");
        assert!(matches!(err, Error::Config(_)), "{url}: {err:?}");
        assert!(!err.to_string().contains(PASSWORD), "{err}");
    }
    let err = open_err("mysql://u:p@127.0.0.1/db", "Bad-Prefix");
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[test]
fn store_recovers_by_itself_after_the_server_restarts() {
    let server = server_or_skip!(MariaDb::start());
    let store = open(&server.url(), "agent_oauth_").unwrap();
    store
        .insert_agent(Some(1), "a@b.c", "h", AgentStatus::Active, NOW)
        .unwrap();
    // Fill the pool with connections that the restart will break.
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| store.find_agent_by_id(1).unwrap().unwrap());
        }
    });

    server.stop();
    let err = store.find_agent_by_id(1).unwrap_err();
    assert!(matches!(err, Error::Storage(_)), "{err:?}");
    assert!(!err.to_string().contains(PASSWORD), "{err}");
    let err = store
        .write(Durability::Normal, &mut |w| {
            w.insert(&contract::row(7, 7, SessionKind::Agent)).map(drop)
        })
        .unwrap_err();
    assert!(matches!(err, Error::Storage(_)), "{err:?}");

    server.run();
    // Reads, writes and the lockout, each on the same store: the broken
    // connections are dropped and new ones made, without an error.
    for _ in 0..10 {
        assert_eq!(
            store.find_agent_by_id(1).unwrap().unwrap().username,
            "a@b.c"
        );
    }
    store
        .write(Durability::Normal, &mut |w| {
            assert!(w.insert(&contract::row(7, 7, SessionKind::Agent))?);
            Ok(())
        })
        .unwrap();
    assert!(store.find(7).unwrap().is_some());
    let state = store
        .update("k", &mut |_| {
            Some(LockoutState {
                failures: 1,
                window_start: NOW,
                blocked_until: None,
            })
        })
        .unwrap();
    assert_eq!(state.map(|s| s.failures), Some(1));
}

#[test]
fn schema_newer_than_this_build_is_a_config_error_naming_both_versions() {
    let server = server_or_skip!(mariadb_server::shared());
    let prefix = mariadb_server::prefix("schema_newer");
    open(&server.url(), &prefix).unwrap();
    let current = store::mysql::SCHEMA_VERSION;
    server.sql(&format!(
        "INSERT INTO agent_oauth.{prefix}schema_version (version) VALUES ({})",
        current + 1
    ));
    let err = open_err(&server.url(), &prefix);
    let Error::Config(text) = &err else {
        panic!("{err:?}");
    };
    assert!(
        text.contains(&format!(
            "schema version {}, newer than this build's {current}",
            current + 1
        )),
        "{text}"
    );
}

#[test]
fn stores_opened_at_once_migrate_once() {
    let server = server_or_skip!(mariadb_server::shared());
    let prefix = mariadb_server::prefix("opened_at_once");
    let barrier = Barrier::new(6);
    std::thread::scope(|s| {
        for _ in 0..6 {
            s.spawn(|| {
                barrier.wait();
                open(&server.url(), &prefix).unwrap()
            });
        }
    });
    let versions = server.sql(&format!(
        "SELECT version FROM agent_oauth.{prefix}schema_version ORDER BY version"
    ));
    // Each migration recorded exactly once.
    let expected: Vec<String> = (1..=store::mysql::SCHEMA_VERSION)
        .map(|v| v.to_string())
        .collect();
    assert_eq!(versions.trim(), expected.join("\n"));
}

#[test]
fn two_stores_on_one_database_count_a_lockout_burst_9_times_in_all() {
    let server = server_or_skip!(mariadb_server::shared());
    let prefix = mariadb_server::prefix("two_stores_lockout");
    let stores = [
        open(&server.url(), &prefix).unwrap(),
        open(&server.url(), &prefix).unwrap(),
    ];
    let policy = LockoutPolicy::default();
    let barrier = Barrier::new(100);
    let counted: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..100)
            .map(|i| {
                let (store, barrier) = (&stores[i % 2], &barrier);
                s.spawn(move || {
                    barrier.wait();
                    let mut reservation = None;
                    store
                        .update("203.0.113.7\u{1f}admin@spryker.com", &mut |state| {
                            let (next, r) = policy.reserve(state, NOW);
                            reservation = Some(r);
                            next
                        })
                        .unwrap();
                    matches!(reservation, Some(Reservation::Counted { .. }))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap() as usize)
            .sum()
    });
    assert_eq!(counted, 9);
    let state = stores[1]
        .get("203.0.113.7\u{1f}admin@spryker.com")
        .unwrap()
        .unwrap();
    assert_eq!(state.failures, 9);
    assert_eq!(state.blocked_until, Some(NOW + 360));
}

#[test]
fn trailing_spaces_and_case_are_significant_in_usernames_and_references() {
    let server = server_or_skip!(mariadb_server::shared());
    let store = open(&server.url(), &mariadb_server::prefix("trailing_spaces")).unwrap();
    store
        .insert_agent(None, "a@b.c", "h", AgentStatus::Active, NOW)
        .unwrap();
    assert_eq!(store.find_by_username("a@b.c ").unwrap(), None);
    assert_eq!(store.find_by_username("A@b.c").unwrap(), None);
    // Another username, not a duplicate.
    store
        .insert_agent(None, "a@b.c ", "h", AgentStatus::Active, NOW)
        .unwrap();
    let customer = |id: i64, reference: &str| Customer {
        id_customer: id,
        customer_reference: reference.into(),
        email: format!("c{id}@example.com"),
        first_name: "F".into(),
        last_name: "L".into(),
        id_company_user: None,
        permissions: None,
        is_active: true,
        impersonation_allowed: true,
    };
    store.upsert_customer(&customer(1, "DE--1")).unwrap();
    store.upsert_customer(&customer(2, "DE--1 ")).unwrap();
    assert_eq!(
        store
            .find_by_reference("DE--1 ")
            .unwrap()
            .unwrap()
            .id_customer,
        2
    );
}

#[test]
fn values_longer_than_their_columns_are_invalid_requests() {
    let server = server_or_skip!(mariadb_server::shared());
    let store = open(&server.url(), &mariadb_server::prefix("too_long")).unwrap();
    let long = "a".repeat(1025);
    let err = store
        .insert_agent(None, &long, "h", AgentStatus::Active, NOW)
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    store
        .insert_agent(None, &long[..1024], "h", AgentStatus::Active, NOW)
        .unwrap();
    let mut c = Customer {
        id_customer: 1,
        customer_reference: "DE--1".into(),
        email: format!("{long}@example.com"),
        first_name: "F".into(),
        last_name: "L".into(),
        id_company_user: None,
        permissions: None,
        is_active: true,
        impersonation_allowed: true,
    };
    let err = store.upsert_customer(&c).unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    c.email = "ok@example.com".into();
    store.upsert_customer(&c).unwrap();
}

#[test]
fn revocations_racing_refreshes_neither_fail_nor_leave_a_row_alive() {
    let server = server_or_skip!(mariadb_server::shared());
    let store = open(&server.url(), &mariadb_server::prefix("revoke_vs_refresh")).unwrap();
    for round in 0..30_i64 {
        let family = 1000 * (round + 1);
        // Other sessions of the agent around the refreshed one, so the
        // revocation scans past rows that the refresh locks and inserts.
        let rows: Vec<_> = (0..4)
            .map(|i| contract::row(family + 100 * i, family + 100 * i, SessionKind::Agent))
            .collect();
        store
            .write(Durability::Normal, &mut |w| {
                for r in &rows {
                    assert!(w.insert(r)?);
                }
                Ok(())
            })
            .unwrap();
        let barrier = Barrier::new(2);
        let (refreshed, revoked) = std::thread::scope(|s| {
            let refresh = s.spawn(|| {
                barrier.wait();
                store.write(Durability::Normal, &mut |w| {
                    let current = w.find(family)?.expect("row");
                    if current.revoked_at.is_none() && w.spend(family, NOW + 1)? {
                        // A child keyed below its parent: the revocation's
                        // index scan passes its place before reaching the parent.
                        assert!(w.insert(&contract::row(
                            family - 1,
                            family,
                            SessionKind::Agent
                        ))?);
                    }
                    Ok(())
                })
            });
            let revoke = s.spawn(|| {
                barrier.wait();
                let mut n = 0;
                store
                    .write(Durability::Full, &mut |w| {
                        n = w.revoke(agent_oauth_core::store::RevokeScope::Agent(1), NOW + 2)?;
                        Ok(())
                    })
                    .map(|()| n)
            });
            (refresh.join().unwrap(), revoke.join().unwrap())
        });
        refreshed.unwrap_or_else(|e| panic!("round {round}: refresh: {e}"));
        let revoked = revoked.unwrap_or_else(|e| panic!("round {round}: revoke: {e}"));
        assert!(revoked >= 1, "round {round}");
        for id in [family - 1, family, family + 100, family + 200, family + 300] {
            if let Some(row) = store.find(id).unwrap() {
                assert!(row.revoked_at.is_some(), "round {round}: row {id} alive");
            }
        }
    }
}

#[test]
fn concurrent_upserts_of_one_new_customer_all_succeed() {
    let server = server_or_skip!(mariadb_server::shared());
    let store = open(&server.url(), &mariadb_server::prefix("upsert_race")).unwrap();
    let barrier = Barrier::new(8);
    std::thread::scope(|s| {
        for t in 0..8 {
            let (store, barrier) = (&store, &barrier);
            s.spawn(move || {
                barrier.wait();
                store
                    .upsert_customer(&Customer {
                        id_customer: 9,
                        customer_reference: "DE--9".into(),
                        email: format!("t{t}@example.com"),
                        first_name: "F".into(),
                        last_name: "L".into(),
                        id_company_user: None,
                        permissions: None,
                        is_active: true,
                        impersonation_allowed: true,
                    })
                    .unwrap();
            });
        }
    });
    let page = store
        .search(&agent_oauth_core::directory::CustomerSearch {
            q: String::new(),
            offset: 0,
            limit: 10,
        })
        .unwrap();
    assert_eq!(page.total, 1);
}

#[test]
fn a_migration_that_stopped_half_way_completes_on_the_next_open() {
    // MySQL commits each ALTER on its own: v2 added `audit_event.policy`,
    // then failed before `customer.impersonation_allowed` and before
    // recording version 2 (and so before every later version). The next open
    // must finish it and apply the later ones again, not fail on the
    // duplicate columns or the existing tables.
    let server = server_or_skip!(mariadb_server::shared());
    let prefix = mariadb_server::prefix("half_migrated");
    drop(open(&server.url(), &prefix).unwrap());
    server.sql(&format!(
        "ALTER TABLE agent_oauth.{prefix}customer DROP COLUMN impersonation_allowed; \
         DELETE FROM agent_oauth.{prefix}schema_version WHERE version >= 2"
    ));
    let store = open(&server.url(), &prefix).expect("the migration completes");
    let versions = server.sql(&format!(
        "SELECT version FROM agent_oauth.{prefix}schema_version ORDER BY version"
    ));
    assert_eq!(versions.trim(), "1\n2\n3");
    let mut c = customer_for_migration();
    c.impersonation_allowed = false;
    store.upsert_customer(&c).unwrap();
    assert_eq!(store.find_by_reference("DE--31").unwrap(), Some(c));
}

fn customer_for_migration() -> agent_oauth_core::directory::Customer {
    agent_oauth_core::directory::Customer {
        id_customer: 31,
        customer_reference: "DE--31".into(),
        email: "half@example.com".into(),
        first_name: "Half".into(),
        last_name: "Way".into(),
        id_company_user: None,
        permissions: None,
        is_active: true,
        impersonation_allowed: true,
    }
}
