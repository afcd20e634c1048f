//! The storage contract suite on a real PostgreSQL server (started by the
//! tests, see `pg/mod.rs`): every test has its own table prefix on the one
//! server, so the tests run in parallel as several app servers would.
#![cfg(feature = "postgres")]

#[macro_use]
mod contract;
mod pg;

use std::sync::Arc;
use std::time::Duration;

use agent_oauth_core::store::{self, OpenOptions, Store};

/// `t_<start of the test name>_<hash>_`: unique per test, at most 32 characters.
fn prefix_for(name: &str) -> String {
    let hash = name.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    let start: String = name.chars().take(16).collect();
    format!("t_{start}_{hash:08x}_")
}

fn options(prefix: &str) -> OpenOptions {
    OpenOptions {
        pool_size: 8,
        busy_timeout: Duration::from_secs(5),
        table_prefix: prefix.into(),
        upgrade_schema: true,
    }
}

fn postgres(name: &str) -> Option<Arc<dyn Store>> {
    let url = pg::url()?;
    Some(store::open(&url, options(&prefix_for(name))).unwrap())
}

contract_suite!(postgres);

// ---------------------------------------------------------------------------
// PostgreSQL only: servers that go away, schemas, prefixes, several pools.

use std::sync::Barrier;

use agent_oauth_core::Error;
use agent_oauth_core::lockout::LockoutState;
use agent_oauth_core::store::{Durability, SessionKind};

const PASSWORD: &str = "s3cret-pw";

#[test]
fn unreachable_server_is_a_storage_error_without_the_password_and_the_store_recovers() {
    let Some(server) = pg::Server::start() else {
        return;
    };
    let url = server.url_with_password(PASSWORD);
    let store = store::open(&url, options("agent_oauth_")).unwrap();
    let described = store.describe();
    assert!(!described.contains(PASSWORD), "{described}");
    assert!(
        described.contains(&format!("127.0.0.1:{}/{}", server.port, pg::DATABASE)),
        "{described}"
    );
    // Several pooled connections, so a stop leaves several stale ones.
    fill_pool(&*store, 4);

    server.stop();
    for _ in 0..2 {
        let err = store.find_by_username("nobody").unwrap_err();
        assert!(matches!(err, Error::Storage(_)), "{err:?}");
        let text = err.to_string();
        assert!(!text.contains(PASSWORD), "{text}");
        assert!(text.contains("PostgreSQL"), "{text}");
    }
    let err = store
        .write(Durability::Full, &mut |w| {
            w.revoke(agent_oauth_core::store::RevokeScope::Agent(1), 0)
                .map(|_| ())
        })
        .unwrap_err();
    assert!(matches!(err, Error::Storage(_)), "{err:?}");
    // A store opened while the server is down fails the same way.
    let err = open_err(&url, options("agent_oauth_"));
    assert!(matches!(err, Error::Storage(_)), "{err:?}");
    assert!(!err.to_string().contains(PASSWORD), "{err}");
    assert!(err.to_string().contains("cannot connect"), "{err}");

    server.start_again();
    assert_eq!(store.find_by_username("nobody").unwrap(), None);
    contract::insert_one(&*store, &contract::row(5, 5, SessionKind::Agent));
    assert!(store.find(5).unwrap().is_some());

    // A restart while the pool is full of idle connections: the first
    // calls after it already succeed (each stale connection fails on its
    // first round trip, is dropped, and the call runs on a new one).
    fill_pool(&*store, 4);
    server.stop();
    server.start_again();
    for _ in 0..8 {
        assert_eq!(store.find_by_username("nobody").unwrap(), None);
    }
    fill_pool(&*store, 4);
    server.stop();
    server.start_again();
    contract::insert_one(&*store, &contract::row(6, 6, SessionKind::Agent));
    assert!(store.find(6).unwrap().is_some());
}

/// Leaves `n` connections idle in the store's pool: `n` callers at once.
fn fill_pool(store: &dyn Store, n: usize) {
    let barrier = Barrier::new(n);
    std::thread::scope(|s| {
        for _ in 0..n {
            s.spawn(|| {
                barrier.wait();
                store
                    .write(Durability::Normal, &mut |w| {
                        w.find(1)?;
                        std::thread::sleep(std::time::Duration::from_millis(50));
                        Ok(())
                    })
                    .unwrap();
            });
        }
    });
}

fn open_err(url: &str, options: OpenOptions) -> Error {
    match store::open(url, options) {
        Ok(store) => panic!("opened {}", store.describe()),
        Err(e) => e,
    }
}

#[test]
fn a_schema_newer_than_this_build_is_refused_naming_its_version() {
    let Some(server) = pg::shared() else {
        return;
    };
    let prefix = "t_newer_schema_";
    store::open(&server.url(), options(prefix)).unwrap();
    let mut client = server.client(pg::DATABASE);
    client
        .execute(
            &format!("INSERT INTO \"{prefix}schema_version\" (version) VALUES (99)"),
            &[],
        )
        .unwrap();
    let err = open_err(&server.url(), options(prefix));
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("99") && text.contains(prefix), "{text}");
}

#[test]
fn stores_opening_one_fresh_prefix_at_once_migrate_it_once() {
    let Some(server) = pg::shared() else {
        return;
    };
    let prefix = "t_racing_migrations_";
    let barrier = Barrier::new(6);
    std::thread::scope(|s| {
        for _ in 0..6 {
            s.spawn(|| {
                barrier.wait();
                store::open(&server.url(), options(prefix)).unwrap();
            });
        }
    });
    let mut client = server.client(pg::DATABASE);
    let versions: Vec<i32> = client
        .query(
            &format!("SELECT version FROM \"{prefix}schema_version\" ORDER BY version"),
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions, (1..=versions.len() as i32).collect::<Vec<_>>());
    assert_eq!(
        versions.len() as i32,
        agent_oauth_core::store::postgres::SCHEMA_VERSION
    );
}

#[test]
fn table_prefixes_keep_stores_on_one_database_apart() {
    let Some(url) = pg::url() else {
        return;
    };
    let a = store::open(&url, options("t_apart_a_")).unwrap();
    let b = store::open(&url, options("t_apart_b_")).unwrap();
    contract::insert_one(&*a, &contract::row(1, 1, SessionKind::Agent));
    a.install_scopes(&["agent"]).unwrap();
    assert!(a.find(1).unwrap().is_some());
    assert_eq!(b.find(1).unwrap(), None);
    assert!(b.scopes().unwrap().is_empty());
}

/// Two pools on one database and prefix, as two app servers.
fn two_stores(name: &str) -> Option<[Arc<dyn Store>; 2]> {
    let url = pg::url()?;
    let prefix = prefix_for(name);
    Some([
        store::open(&url, options(&prefix)).unwrap(),
        store::open(&url, options(&prefix)).unwrap(),
    ])
}

#[test]
fn two_stores_update_one_lockout_key_one_after_the_other() {
    let Some(stores) = two_stores("two_stores_lockout") else {
        return;
    };
    const THREADS: usize = 12;
    const EACH: usize = 15;
    let barrier = Barrier::new(THREADS);
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (store, barrier) = (&stores[t % 2], &barrier);
            s.spawn(move || {
                barrier.wait();
                for _ in 0..EACH {
                    store
                        .update("k", &mut |state| {
                            let mut next = state.unwrap_or(LockoutState {
                                failures: 0,
                                window_start: contract::NOW,
                                blocked_until: None,
                            });
                            next.failures += 1;
                            Some(next)
                        })
                        .unwrap();
                }
            });
        }
    });
    assert_eq!(
        stores[1].get("k").unwrap().unwrap().failures as usize,
        THREADS * EACH
    );
}

#[test]
fn two_stores_spend_one_refresh_token_once() {
    let Some(stores) = two_stores("two_stores_spend") else {
        return;
    };
    const THREADS: usize = 8;
    for round in 0..5 {
        let id = 1000 + round;
        contract::insert_one(&*stores[0], &contract::row(id, id, SessionKind::Agent));
        let barrier = Barrier::new(THREADS);
        let won = std::thread::scope(|s| {
            let handles: Vec<_> = (0..THREADS)
                .map(|t| {
                    let (store, barrier) = (&stores[t % 2], &barrier);
                    s.spawn(move || {
                        barrier.wait();
                        let mut spent = false;
                        store
                            .write(Durability::Normal, &mut |w| {
                                if w.find(id)?.is_some_and(|r| r.used_at.is_none())
                                    && w.spend(id, contract::NOW)?
                                {
                                    let child =
                                        contract::row(id * 100 + t as i64, id, SessionKind::Agent);
                                    spent = w.insert(&child)?;
                                }
                                Ok(())
                            })
                            .unwrap();
                        spent
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap())
                .filter(|won| *won)
                .count()
        });
        assert_eq!(won, 1, "round {round}");
    }
}

#[test]
fn a_small_pool_makes_callers_wait_for_a_connection() {
    let Some(url) = pg::url() else {
        return;
    };
    let store = store::open(
        &url,
        OpenOptions {
            pool_size: 2,
            ..options("t_small_pool_")
        },
    )
    .unwrap();
    std::thread::scope(|s| {
        for t in 0..16 {
            let store = &store;
            s.spawn(move || {
                for i in 0..5 {
                    let id = t * 100 + i + 1;
                    contract::insert_one(&**store, &contract::row(id, id, SessionKind::Agent));
                }
            });
        }
    });
    assert!(store.find(1505).unwrap().is_some());
}

#[test]
fn an_up_to_date_schema_opens_for_a_user_that_may_not_create_tables() {
    let Some(server) = pg::shared() else {
        return;
    };
    let prefix = "t_dml_only_";
    let owner = store::open(&server.url(), options(prefix)).unwrap();
    owner.install_scopes(&["agent"]).unwrap();
    // As a shop grants its application user: data, not schema.
    let mut admin = server.client(pg::DATABASE);
    admin
        .batch_execute(
            "CREATE ROLE app_only LOGIN;
             GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO app_only;
             GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO app_only;",
        )
        .unwrap();
    let url = format!(
        "postgres://app_only@127.0.0.1:{}/{}",
        server.port,
        pg::DATABASE
    );
    let app = store::open(&url, options(prefix)).unwrap();
    assert_eq!(app.scopes().unwrap(), ["agent"]);
    contract::insert_one(&*app, &contract::row(1, 1, SessionKind::Agent));
    app.record(&agent_oauth_core::audit::AuditEvent::new(
        agent_oauth_core::audit::AuditKind::AgentLoginFailed,
        contract::NOW,
    ))
    .unwrap();
    // Creating a new prefix's tables is refused, as a storage error.
    let err = open_err(&url, options("t_dml_only_new_"));
    assert!(matches!(err, Error::Storage(_)), "{err:?}");
    assert!(err.to_string().contains("permission denied"), "{err}");
}
