//! The storage contract suite (issue 11): one set of tests that every
//! backend runs, through `Arc<dyn Store>` only. A backend is done when the
//! whole suite passes; a new rule is added here once.
//!
//! A backend's test file provides a factory that returns a fresh, empty,
//! migrated store for a name unique to the test (SQLite: a new file; server
//! databases: a table prefix of its own), and expands [`contract_suite!`].
#![allow(dead_code)]

use std::sync::{Arc, Barrier};

use agent_oauth_core::audit::{AuditEvent, AuditKind, AuditQuery};
use agent_oauth_core::directory::{AgentStatus, Customer, CustomerDirectory, CustomerSearch};
use agent_oauth_core::lockout::LockoutState;
use agent_oauth_core::store::{
    Client, ConsentRow, Durability, RefreshTokenRow, RevokeScope, SessionInsert, SessionKind,
    SessionSummary, Store,
};
use agent_oauth_core::{Error, Result};

/// Makes a fresh store for the test named by the argument.
pub type Factory = fn(&str) -> Arc<dyn Store>;

/// What a factory returns: a store, or `None` for a server backend whose
/// server is not installed on this machine (a local run skips, loudly).
pub trait IntoStore {
    /// The store, if there is one.
    fn into_store(self) -> Option<Arc<dyn Store>>;
}

impl IntoStore for Arc<dyn Store> {
    fn into_store(self) -> Option<Arc<dyn Store>> {
        Some(self)
    }
}

impl IntoStore for Option<Arc<dyn Store>> {
    fn into_store(self) -> Option<Arc<dyn Store>> {
        self
    }
}

/// Expands every contract test for one backend's factory.
#[macro_export]
macro_rules! contract_suite {
    ($factory:expr) => {
        $crate::contract_suite!(@tests $factory;
            token_row_round_trips_by_id_and_jti,
            duplicate_token_id_is_not_inserted,
            spend_is_conditional_on_unspent_and_unrevoked,
            failed_write_transaction_leaves_nothing,
            revoke_family_cascades_to_impersonations_started_from_it,
            revoke_scopes_count_families_and_skip_revoked_rows,
            purge_expired_removes_only_wholly_expired_families,
            audit_events_round_trip_filter_limit_and_purge,
            lockout_update_is_atomic_under_concurrent_threads,
            lockout_update_to_none_deletes_and_purge_keeps_live_counters,
            agents_insert_find_status_and_password,
            duplicate_agent_username_is_invalid_request,
            customers_upsert_find_and_search_by_folded_prefix,
            customer_reference_taken_by_another_is_invalid_request,
            scopes_and_clients_install_idempotently,
            concurrent_spends_of_one_token_succeed_once,
            describe_names_the_backend_without_a_password,
            audit_text_round_trips_quotes_backslashes_and_unicode,
            search_page_past_the_end_keeps_the_total,
            customer_permissions_round_trip_in_key_order,
            write_transaction_reads_its_own_writes,
            nul_characters_in_lookups_lockout_keys_and_audit_are_not_errors,
            insert_session_stores_row_and_event_only_while_the_origin_is_live,
            insert_session_from_a_revoked_origin_racing_its_revocation_never_survives,
            find_session_and_agent_reads_both_or_the_session_alone,
            find_session_agent_and_customer_reads_what_exists_in_one_call,
            insert_session_keeps_awkward_text_and_bytes_exactly,
            rotation_racing_its_family_revocation_never_survives,
            customer_impersonation_allowed_round_trips,
            rotation_racing_a_customer_revocation_never_survives,
            customer_sessions_are_families_newest_first_and_paged,
            consent_codes_replace_spend_once_and_purge,
            concurrent_spends_of_one_consent_succeed_once,
        );
    };
    (@tests $factory:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let store = $crate::contract::IntoStore::into_store($factory(stringify!($name)));
                let Some(store) = store else { return };
                $crate::contract::$name(&*store);
            }
        )*
    };
}

pub const NOW: i64 = 1_700_000_000;

pub fn row(id: i64, family: i64, kind: SessionKind) -> RefreshTokenRow {
    let mut jti = [0u8; 40];
    jti[..8].copy_from_slice(&id.to_be_bytes());
    jti[39] = 7;
    RefreshTokenRow {
        id,
        token_hash: [id as u8; 32],
        family_id: family,
        parent_id: (family != id).then_some(family),
        origin_family_id: None,
        kind,
        agent_id: 1,
        agent_username: "admin@spryker.com".into(),
        customer_reference: (kind == SessionKind::Impersonation).then(|| "DE--5".into()),
        scopes: "agent".into(),
        client_id: "frontend".into(),
        jti,
        cap_at: None,
        issued_at: NOW,
        expires_at: NOW + 3600,
        used_at: None,
        revoked_at: None,
        reason: None,
    }
}

/// Inserts one row in a write transaction of its own.
pub fn insert_one(store: &dyn Store, row: &RefreshTokenRow) {
    insert(store, &[row]);
}

fn insert(store: &dyn Store, rows: &[&RefreshTokenRow]) {
    store
        .write(Durability::Normal, &mut |w| {
            for r in rows {
                assert!(w.insert(r)?);
            }
            Ok(())
        })
        .unwrap();
}

fn revoke(store: &dyn Store, scope: RevokeScope<'_>) -> usize {
    let mut n = 0;
    store
        .write(Durability::Full, &mut |w| {
            n = w.revoke(scope, NOW + 5)?;
            Ok(())
        })
        .unwrap();
    n
}

pub fn token_row_round_trips_by_id_and_jti(store: &dyn Store) {
    let mut r = row(
        -9_000_000_000_000_000_001,
        -9_000_000_000_000_000_001,
        SessionKind::Impersonation,
    );
    r.origin_family_id = Some(42);
    r.cap_at = Some(NOW + 100);
    r.token_hash = [0xff; 32];
    r.jti = [0xab; 40];
    r.reason = Some("SUP-4711: \"Lieferung\" fehlt \u{1F4E6}".into());
    insert(store, &[&r]);
    assert_eq!(store.find(r.id).unwrap(), Some(r.clone()));
    assert_eq!(store.find_by_jti(&r.jti).unwrap(), Some(r.clone()));
    assert_eq!(store.find(12345).unwrap(), None);
    assert_eq!(store.find_by_jti(&[1; 40]).unwrap(), None);
}

pub fn duplicate_token_id_is_not_inserted(store: &dyn Store) {
    let r = row(10, 10, SessionKind::Agent);
    insert(store, &[&r]);
    let mut again = row(10, 10, SessionKind::Agent);
    again.agent_username = "other".into();
    let mut inserted = true;
    store
        .write(Durability::Normal, &mut |w| {
            inserted = w.insert(&again)?;
            Ok(())
        })
        .unwrap();
    assert!(!inserted);
    assert_eq!(
        store.find(10).unwrap().unwrap().agent_username,
        "admin@spryker.com"
    );
}

pub fn spend_is_conditional_on_unspent_and_unrevoked(store: &dyn Store) {
    let (a, b) = (row(1, 1, SessionKind::Agent), row(2, 2, SessionKind::Agent));
    insert(store, &[&a, &b]);
    let mut spent = Vec::new();
    store
        .write(Durability::Normal, &mut |w| {
            spent.push(w.spend(1, NOW + 1)?);
            spent.push(w.spend(1, NOW + 2)?);
            spent.push(w.spend(99, NOW + 2)?);
            Ok(())
        })
        .unwrap();
    assert_eq!(spent, [true, false, false]);
    assert_eq!(store.find(1).unwrap().unwrap().used_at, Some(NOW + 1));
    revoke(
        store,
        RevokeScope::Family {
            agent_id: 1,
            family_id: 2,
        },
    );
    let mut after_revoke = true;
    store
        .write(Durability::Normal, &mut |w| {
            after_revoke = w.spend(2, NOW + 9)?;
            Ok(())
        })
        .unwrap();
    assert!(!after_revoke);
    assert_eq!(store.find(2).unwrap().unwrap().used_at, None);
}

pub fn failed_write_transaction_leaves_nothing(store: &dyn Store) {
    let r = row(5, 5, SessionKind::Agent);
    let result = store.write(Durability::Normal, &mut |w| {
        w.insert(&r)?;
        w.audit(&AuditEvent::new(AuditKind::AgentLoginSucceeded, NOW))?;
        Err(Error::Internal("rolled back on purpose".into()))
    });
    assert!(matches!(result, Err(Error::Internal(_))));
    assert_eq!(store.find(5).unwrap(), None);
    let events = store
        .query(&AuditQuery {
            limit: 100,
            ..Default::default()
        })
        .unwrap();
    assert!(events.is_empty());
}

pub fn revoke_family_cascades_to_impersonations_started_from_it(store: &dyn Store) {
    let agent = row(100, 100, SessionKind::Agent);
    let rotated = row(101, 100, SessionKind::Agent);
    let mut imp = row(200, 200, SessionKind::Impersonation);
    imp.origin_family_id = Some(100);
    let other_agent_session = row(300, 300, SessionKind::Agent);
    insert(store, &[&agent, &rotated, &imp, &other_agent_session]);
    assert_eq!(
        revoke(
            store,
            RevokeScope::Family {
                agent_id: 1,
                family_id: 100
            }
        ),
        2
    );
    for id in [100, 101, 200] {
        assert_eq!(
            store.find(id).unwrap().unwrap().revoked_at,
            Some(NOW + 5),
            "{id}"
        );
    }
    assert_eq!(store.find(300).unwrap().unwrap().revoked_at, None);
    // Another agent's id never revokes these rows.
    assert_eq!(
        revoke(
            store,
            RevokeScope::Family {
                agent_id: 2,
                family_id: 300
            }
        ),
        0
    );
}

pub fn revoke_scopes_count_families_and_skip_revoked_rows(store: &dyn Store) {
    let mut a = row(1, 1, SessionKind::Agent);
    a.agent_id = 7;
    let mut i1 = row(2, 2, SessionKind::Impersonation);
    i1.agent_id = 7;
    let mut i2 = row(3, 3, SessionKind::Impersonation);
    i2.agent_id = 8;
    let mut i3 = row(4, 4, SessionKind::Impersonation);
    i3.agent_id = 7;
    i3.customer_reference = Some("DE--6".into());
    insert(store, &[&a, &i1, &i2, &i3]);
    assert_eq!(
        revoke(
            store,
            RevokeScope::AgentCustomer {
                agent_id: 7,
                customer_reference: "DE--5"
            }
        ),
        1
    );
    assert_eq!(revoke(store, RevokeScope::Customer("DE--5")), 1);
    assert_eq!(revoke(store, RevokeScope::Agent(7)), 2);
    assert_eq!(revoke(store, RevokeScope::Agent(7)), 0);
}

pub fn purge_expired_removes_only_wholly_expired_families(store: &dyn Store) {
    let mut old = row(1, 1, SessionKind::Agent);
    old.expires_at = NOW - 10;
    let mut old_child = row(2, 1, SessionKind::Agent);
    old_child.expires_at = NOW - 5;
    let mut mixed = row(3, 3, SessionKind::Agent);
    mixed.expires_at = NOW - 10;
    let live_child = row(4, 3, SessionKind::Agent);
    insert(store, &[&old, &old_child, &mixed, &live_child]);
    assert_eq!(store.purge_expired(NOW).unwrap(), 2);
    assert_eq!(store.find(1).unwrap(), None);
    assert_eq!(store.find(2).unwrap(), None);
    assert!(store.find(3).unwrap().is_some());
    assert!(store.find(4).unwrap().is_some());
}

pub fn audit_events_round_trip_filter_limit_and_purge(store: &dyn Store) {
    let mut e = AuditEvent::new(AuditKind::ImpersonationStarted, NOW);
    e.agent_id = Some(1);
    e.agent_username = Some("admin@spryker.com".into());
    e.customer_reference = Some("DE--5".into());
    e.client_ip = Some("203.0.113.7".into());
    e.jti = Some("ab".repeat(40));
    e.reason = Some("ticket ü 42".into());
    e.code = Some("4104".into());
    store.record(&e).unwrap();
    for i in 1..=4 {
        let mut other = AuditEvent::new(AuditKind::AgentLoginFailed, NOW + i);
        other.agent_id = Some(2);
        store.record(&other).unwrap();
    }
    let all = store
        .query(&AuditQuery {
            limit: 100,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(all.len(), 5);
    let mut first = all[0].clone();
    assert!(first.id > 0);
    first.id = 0;
    assert_eq!(first, e);
    assert!(all.windows(2).all(|w| w[0].id < w[1].id), "oldest first");
    let of_1 = store
        .query(&AuditQuery {
            agent_id: Some(1),
            limit: 100,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(of_1.len(), 1);
    let of_customer = store
        .query(&AuditQuery {
            customer_reference: Some("DE--5".into()),
            limit: 100,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(of_customer.len(), 1);
    let window = store
        .query(&AuditQuery {
            from: Some(NOW + 2),
            to: Some(NOW + 4),
            limit: 100,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        window.iter().map(|e| e.at).collect::<Vec<_>>(),
        [NOW + 2, NOW + 3]
    );
    let limited = store
        .query(&AuditQuery {
            limit: 2,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(limited.len(), 2);
    assert_eq!(store.purge_audit(NOW + 3).unwrap(), 3);
    assert_eq!(
        store
            .query(&AuditQuery {
                limit: 100,
                ..Default::default()
            })
            .unwrap()
            .len(),
        2
    );
}

pub fn lockout_update_is_atomic_under_concurrent_threads(store: &dyn Store) {
    const THREADS: usize = 8;
    const EACH: usize = 25;
    let barrier = Barrier::new(THREADS);
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                barrier.wait();
                for _ in 0..EACH {
                    store
                        .update("203.0.113.7\u{1f}admin@spryker.com", &mut |state| {
                            let mut next = state.unwrap_or(LockoutState {
                                failures: 0,
                                window_start: NOW,
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
    let state = store
        .get("203.0.113.7\u{1f}admin@spryker.com")
        .unwrap()
        .unwrap();
    assert_eq!(state.failures as usize, THREADS * EACH);
}

pub fn lockout_update_to_none_deletes_and_purge_keeps_live_counters(store: &dyn Store) {
    let set = |key: &str, state: LockoutState| {
        store.update(key, &mut |_| Some(state)).unwrap();
    };
    let ended = LockoutState {
        failures: 3,
        window_start: NOW - 1000,
        blocked_until: None,
    };
    let blocked = LockoutState {
        failures: 9,
        window_start: NOW - 1000,
        blocked_until: Some(NOW + 60),
    };
    let live = LockoutState {
        failures: 2,
        window_start: NOW - 10,
        blocked_until: None,
    };
    set("a", ended);
    set("b", blocked);
    set("c", live);
    set("d", live);
    assert_eq!(store.update("d", &mut |_| None).unwrap(), None);
    assert_eq!(store.get("d").unwrap(), None);
    assert_eq!(store.get("b").unwrap(), Some(blocked));
    assert_eq!(store.purge_lockouts(NOW - 900, NOW).unwrap(), 1);
    assert_eq!(store.get("a").unwrap(), None);
    assert_eq!(store.get("b").unwrap(), Some(blocked));
    assert_eq!(store.get("c").unwrap(), Some(live));
}

pub fn agents_insert_find_status_and_password(store: &dyn Store) {
    let id = store
        .insert_agent(
            Some(41),
            "Admin@Spryker.com",
            "$argon2id$hash",
            AgentStatus::Active,
            NOW,
        )
        .unwrap();
    assert_eq!(id, 41);
    let next = store
        .insert_agent(
            None,
            "second@spryker.com",
            "$2y$10$hash",
            AgentStatus::Blocked,
            NOW,
        )
        .unwrap();
    assert!(next > 41, "{next}");
    let found = store
        .find_by_username("Admin@Spryker.com")
        .unwrap()
        .unwrap();
    assert_eq!((found.id, found.status), (41, AgentStatus::Active));
    assert_eq!(store.find_by_username("nobody").unwrap(), None);
    assert!(
        store
            .set_agent_status(41, AgentStatus::Deleted, NOW + 1)
            .unwrap()
    );
    assert!(
        !store
            .set_agent_status(999, AgentStatus::Deleted, NOW + 1)
            .unwrap()
    );
    assert!(store.set_agent_password_hash(41, "$argon2id$new").unwrap());
    let by_id = store.find_agent_by_id(41).unwrap().unwrap();
    assert_eq!(by_id.status, AgentStatus::Deleted);
    assert_eq!(by_id.password_hash, "$argon2id$new");
    assert_eq!(store.find_agent_by_id(999).unwrap(), None);
}

pub fn duplicate_agent_username_is_invalid_request(store: &dyn Store) {
    store
        .insert_agent(None, "a@b.c", "h", AgentStatus::Active, NOW)
        .unwrap();
    let err = store
        .insert_agent(None, "a@b.c", "h", AgentStatus::Active, NOW)
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
}

fn customer(id: i64, reference: &str, email: &str, first: &str, last: &str) -> Customer {
    Customer {
        id_customer: id,
        customer_reference: reference.into(),
        email: email.into(),
        first_name: first.into(),
        last_name: last.into(),
        id_company_user: None,
        permissions: None,
        is_active: true,
        impersonation_allowed: true,
    }
}

pub fn customers_upsert_find_and_search_by_folded_prefix(store: &dyn Store) {
    let mut b2b = customer(5, "DE--5", "karl.schmidt@spryker.com", "Karl", "Schmidt");
    b2b.id_company_user = Some("dffc622b-8dd6-59ec-8e19-c5a4d5e74b1a".into());
    b2b.permissions = Some(serde_json::json!({"permissions": [{"id_permission": 1}]}));
    let customers = [
        customer(
            1,
            "DE--1",
            "spencor.hopkin@spryker.com",
            "Spencor",
            "Hopkin",
        ),
        customer(
            2,
            "DE--2",
            "maria.williams@spryker.com",
            "Maria",
            "Williams",
        ),
        customer(3, "DE--3", "maggie.may@spryker.com", "Maggie", "May"),
        customer(4, "DE--4", "ÖMER@spryker.com", "Ömer", "Σίσυφος"),
        b2b.clone(),
        customer(6, "DE--6", "anne.mar_tin@spryker.com", "Anne", "Mar%tin"),
    ];
    for c in &customers {
        store.upsert_customer(c).unwrap();
    }
    assert_eq!(store.find_by_reference("DE--5").unwrap(), Some(b2b));
    assert_eq!(store.find_by_reference("de--5").unwrap(), None);
    let search = |q: &str, offset: u32, limit: u32| {
        let page = store
            .search(&CustomerSearch {
                q: q.into(),
                offset,
                limit,
            })
            .unwrap();
        (
            page.customers
                .iter()
                .map(|c| c.id_customer)
                .collect::<Vec<_>>(),
            page.total,
        )
    };
    assert_eq!(search("", 0, 10), (vec![1, 2, 3, 4, 5, 6], 6));
    assert_eq!(search("ma", 0, 10), (vec![2, 3, 6], 3));
    assert_eq!(search("MA", 0, 2), (vec![2, 3], 3));
    assert_eq!(search("ma", 2, 2), (vec![6], 3));
    assert_eq!(search("öm", 0, 10), (vec![4], 1));
    assert_eq!(search("σίσ", 0, 10), (vec![4], 1));
    assert_eq!(search("de--5", 0, 10), (vec![5], 1));
    assert_eq!(search("de--", 0, 10), (vec![], 0), "references match whole");
    assert_eq!(search("mar%", 0, 10), (vec![6], 1));
    assert_eq!(search("mar_", 0, 10), (vec![], 0), "_ is literal");
    assert_eq!(search("anne.mar_", 0, 10), (vec![6], 1));
    // Replacing by id keeps one row.
    let mut renamed = customers[0].clone();
    renamed.first_name = "Spencer".into();
    renamed.is_active = false;
    store.upsert_customer(&renamed).unwrap();
    assert_eq!(store.find_by_reference("DE--1").unwrap(), Some(renamed));
    assert_eq!(search("", 0, 10).1, 6);
}

pub fn customer_reference_taken_by_another_is_invalid_request(store: &dyn Store) {
    store
        .upsert_customer(&customer(1, "DE--1", "a@b.c", "A", "B"))
        .unwrap();
    let err = store
        .upsert_customer(&customer(2, "DE--1", "c@d.e", "C", "D"))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
}

pub fn scopes_and_clients_install_idempotently(store: &dyn Store) {
    assert_eq!(store.scopes().unwrap(), Vec::<String>::new());
    assert_eq!(
        store.install_scopes(&["customer", "agent"]).unwrap(),
        ["customer", "agent"]
    );
    assert_eq!(
        store
            .install_scopes(&["agent", "customer-impersonation"])
            .unwrap(),
        ["customer-impersonation"]
    );
    assert_eq!(
        store.scopes().unwrap(),
        ["agent", "customer", "customer-impersonation"]
    );
    let client = Client {
        identifier: "frontend".into(),
        name: "Customer client".into(),
        is_confidential: true,
        secret_hash: Some("$2y$10$x".into()),
    };
    store.upsert_client(&client).unwrap();
    assert_eq!(store.find_client("frontend").unwrap(), Some(client.clone()));
    let public = Client {
        is_confidential: false,
        secret_hash: None,
        ..client
    };
    store.upsert_client(&public).unwrap();
    assert_eq!(store.find_client("frontend").unwrap(), Some(public));
    assert_eq!(store.find_client("nope").unwrap(), None);
}

pub fn concurrent_spends_of_one_token_succeed_once(store: &dyn Store) {
    const THREADS: usize = 8;
    for round in 0..5 {
        let id = 1000 + round;
        insert(store, &[&row(id, id, SessionKind::Agent)]);
        let barrier = Barrier::new(THREADS);
        let won: Vec<bool> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..THREADS)
                .map(|t| {
                    let barrier = &barrier;
                    s.spawn(move || -> Result<bool> {
                        barrier.wait();
                        let mut spent = false;
                        store.write(Durability::Normal, &mut |w| {
                            let Some(current) = w.find(id)? else {
                                return Ok(());
                            };
                            if current.used_at.is_none() && w.spend(id, NOW + t as i64)? {
                                let child = row(id * 100 + t as i64, id, SessionKind::Agent);
                                spent = w.insert(&child)?;
                            }
                            Ok(())
                        })?;
                        Ok(spent)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap().unwrap())
                .collect()
        });
        assert_eq!(
            won.iter().filter(|w| **w).count(),
            1,
            "round {round}: {won:?}"
        );
    }
}

pub fn describe_names_the_backend_without_a_password(store: &dyn Store) {
    let text = store.describe();
    assert!(!text.is_empty());
    assert!(!text.contains("secret"), "{text}");
}

pub fn audit_text_round_trips_quotes_backslashes_and_unicode(store: &dyn Store) {
    let awkward = [
        "it's \\ a \"ticket\" $$ $a$ %_ -- ;",
        "\\x00 \\' \u{1F600} Σίσυφος \u{10FFFF}",
        "",
    ];
    for text in awkward {
        let mut e = AuditEvent::new(AuditKind::ImpersonationStarted, NOW);
        e.reason = Some(text.into());
        e.agent_username = Some(text.into());
        store
            .write(Durability::Normal, &mut |w| w.audit(&e))
            .unwrap();
    }
    let events = store
        .query(&AuditQuery {
            limit: 100,
            ..Default::default()
        })
        .unwrap();
    let reasons: Vec<_> = events
        .iter()
        .map(|e| e.reason.as_deref().unwrap())
        .collect();
    assert_eq!(reasons, awkward);
    assert!(events.iter().all(|e| e.reason == e.agent_username));
}

pub fn search_page_past_the_end_keeps_the_total(store: &dyn Store) {
    for id in 1..=3 {
        store
            .upsert_customer(&customer(
                id,
                &format!("DE--{id}"),
                &format!("ma{id}@spryker.com"),
                "First",
                "Last",
            ))
            .unwrap();
    }
    for q in ["", "ma"] {
        let page = store
            .search(&CustomerSearch {
                q: q.into(),
                offset: 10,
                limit: 10,
            })
            .unwrap();
        assert_eq!((page.customers.len(), page.total), (0, 3), "{q:?}");
    }
    let none = store
        .search(&CustomerSearch {
            q: "zz".into(),
            offset: 0,
            limit: 10,
        })
        .unwrap();
    assert_eq!((none.customers.len(), none.total), (0, 0));
}

pub fn customer_permissions_round_trip_in_key_order(store: &dyn Store) {
    let mut c = customer(9, "DE--9", "b2b@spryker.com", "B", "B");
    c.permissions = Some(serde_json::json!({
        "zeta": 1,
        "alpha": [{"key": "ReadSharedCartPermissionPlugin", "configuration": {"id_quote_collection": [3, 1]}}],
        "ünïcode": "‘quoted’ \\ \"",
        "null": null,
        "float": 1.5
    }));
    store.upsert_customer(&c).unwrap();
    let found = store.find_by_reference("DE--9").unwrap().unwrap();
    assert_eq!(found, c);
    assert_eq!(
        serde_json::to_string(&found.permissions).unwrap(),
        serde_json::to_string(&c.permissions).unwrap(),
        "key order is kept"
    );
}

pub fn write_transaction_reads_its_own_writes(store: &dyn Store) {
    let r = row(77, 77, SessionKind::Agent);
    let mut seen = Vec::new();
    store
        .write(Durability::Normal, &mut |w| {
            assert!(w.insert(&r)?);
            seen.push(w.find(77)?.map(|found| found.used_at));
            assert!(w.spend(77, NOW + 1)?);
            seen.push(w.find(77)?.map(|found| found.used_at));
            assert_eq!(
                w.revoke(
                    RevokeScope::Family {
                        agent_id: 1,
                        family_id: 77
                    },
                    NOW + 2
                )?,
                1
            );
            seen.push(w.find(77)?.map(|found| found.revoked_at));
            Ok(())
        })
        .unwrap();
    assert_eq!(seen, [Some(None), Some(Some(NOW + 1)), Some(Some(NOW + 2))]);
    assert_eq!(store.find(77).unwrap().unwrap().revoked_at, Some(NOW + 2));
}

/// Request values reach the store as sent: a NUL inside one (which
/// PostgreSQL text cannot hold) finds nothing, counts, and is audited.
pub fn nul_characters_in_lookups_lockout_keys_and_audit_are_not_errors(store: &dyn Store) {
    store
        .insert_agent(Some(1), "a@b.c", "h", AgentStatus::Active, NOW)
        .unwrap();
    store
        .upsert_customer(&customer(1, "DE--1", "a@b.c", "A", "B"))
        .unwrap();
    assert_eq!(store.find_by_username("a@b.c\0").unwrap(), None);
    assert_eq!(store.find_by_reference("DE--1\0").unwrap(), None);
    assert_eq!(store.find_client("frontend\0").unwrap(), None);
    let page = store
        .search(&CustomerSearch {
            q: "a\0".into(),
            offset: 0,
            limit: 10,
        })
        .unwrap();
    assert_eq!((page.customers.len(), page.total), (0, 0));
    let state = LockoutState {
        failures: 1,
        window_start: NOW,
        blocked_until: None,
    };
    store.update("ip\u{1f}a\0b", &mut |_| Some(state)).unwrap();
    assert_eq!(store.get("ip\u{1f}a\0b").unwrap(), Some(state));
    assert_eq!(store.get("ip\u{1f}a").unwrap(), None);
    let mut e = AuditEvent::new(AuditKind::AgentLoginFailed, NOW);
    e.agent_username = Some("a\0b".into());
    e.reason = Some("\0".into());
    store.record(&e).unwrap();
    let mut revoked = 1;
    store
        .write(Durability::Full, &mut |w| {
            revoked = w.revoke(RevokeScope::Customer("DE--1\0"), NOW)?;
            w.audit(&e)
        })
        .unwrap();
    assert_eq!(revoked, 0);
    let events = store
        .query(&AuditQuery {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(events.len(), 2);
    assert!(
        events[0]
            .agent_username
            .as_deref()
            .unwrap()
            .starts_with('a')
    );
}

fn started(at: i64, jti: &str) -> AuditEvent {
    let mut event = AuditEvent::new(AuditKind::ImpersonationStarted, at);
    event.agent_id = Some(1);
    event.jti = Some(jti.into());
    event.reason = Some("ticket 'DE-1' \\ ü".into());
    event
}

fn events(store: &dyn Store) -> Vec<AuditEvent> {
    store
        .query(&AuditQuery {
            limit: 100,
            ..AuditQuery::default()
        })
        .unwrap()
}

pub fn insert_session_stores_row_and_event_only_while_the_origin_is_live(store: &dyn Store) {
    let agent = row(500, 500, SessionKind::Agent);
    insert_one(store, &agent);
    // No origin (an agent login): stored with its event.
    let login = row(510, 510, SessionKind::Agent);
    assert_eq!(
        store
            .insert_session(&login, &started(NOW, "login"), None)
            .unwrap(),
        SessionInsert::Inserted
    );
    assert_eq!(store.find(510).unwrap(), Some(login.clone()));
    // The id is taken: nothing stored, no second event.
    let mut clash = row(510, 510, SessionKind::Agent);
    clash.agent_username = "other".into();
    assert_eq!(
        store
            .insert_session(&clash, &started(NOW, "clash"), None)
            .unwrap(),
        SessionInsert::IdTaken
    );
    assert_eq!(store.find(510).unwrap(), Some(login));
    // From a live origin: stored.
    let mut imp = row(520, 520, SessionKind::Impersonation);
    imp.origin_family_id = Some(500);
    assert_eq!(
        store
            .insert_session(&imp, &started(NOW + 1, "imp"), Some(500))
            .unwrap(),
        SessionInsert::Inserted
    );
    assert_eq!(store.find(520).unwrap(), Some(imp));
    // From a revoked origin, or one that does not exist: nothing stored.
    revoke(
        store,
        RevokeScope::Family {
            agent_id: 1,
            family_id: 500,
        },
    );
    for origin in [500, 999] {
        let mut late = row(530 + origin, 530 + origin, SessionKind::Impersonation);
        late.origin_family_id = Some(origin);
        assert_eq!(
            store
                .insert_session(&late, &started(NOW + 2, "late"), Some(origin))
                .unwrap(),
            SessionInsert::OriginRevoked,
            "origin {origin}"
        );
        assert_eq!(store.find(late.id).unwrap(), None);
    }
    let jtis: Vec<(Option<String>, Option<String>)> = events(store)
        .into_iter()
        .map(|e| (e.jti, e.reason))
        .collect();
    let reason = Some("ticket 'DE-1' \\ ü".to_owned());
    assert_eq!(
        jtis,
        vec![
            (Some("login".into()), reason.clone()),
            (Some("imp".into()), reason)
        ]
    );
}

pub fn insert_session_from_a_revoked_origin_racing_its_revocation_never_survives(
    store: &dyn Store,
) {
    // Each round: one thread starts an impersonation from an agent session
    // while another revokes that session (with the impersonations started
    // from it). Whichever commits first, no live impersonation is left.
    for round in 0..20_i64 {
        let origin = 1_000 + round * 10;
        insert_one(store, &row(origin, origin, SessionKind::Agent));
        let mut imp = row(origin + 1, origin + 1, SessionKind::Impersonation);
        imp.origin_family_id = Some(origin);
        let barrier = Barrier::new(2);
        let outcome = std::thread::scope(|s| {
            let starter = s.spawn(|| {
                barrier.wait();
                store
                    .insert_session(&imp, &started(NOW, "race"), Some(origin))
                    .unwrap()
            });
            barrier.wait();
            revoke(
                store,
                RevokeScope::Family {
                    agent_id: 1,
                    family_id: origin,
                },
            );
            starter.join().unwrap()
        });
        let stored = store.find(imp.id).unwrap();
        match outcome {
            SessionInsert::Inserted => assert_eq!(
                stored.and_then(|r| r.revoked_at),
                Some(NOW + 5),
                "round {round}: the revocation must reach the impersonation stored first"
            ),
            SessionInsert::OriginRevoked => assert_eq!(stored, None, "round {round}"),
            SessionInsert::IdTaken => panic!("round {round}: fresh ids"),
        }
    }
}

pub fn find_session_and_agent_reads_both_or_the_session_alone(store: &dyn Store) {
    let id = store
        .insert_agent(
            Some(7),
            "agent@spryker.com",
            "$argon2id$h",
            AgentStatus::Blocked,
            NOW,
        )
        .unwrap();
    let mut known = row(700, 700, SessionKind::Agent);
    known.agent_id = id;
    known.agent_username = "agent@spryker.com".into();
    let mut unknown = row(710, 710, SessionKind::Agent);
    unknown.agent_username = "gone@spryker.com".into();
    insert(store, &[&known, &unknown]);
    let (found, agent) = store.find_session_and_agent(&known.jti).unwrap().unwrap();
    assert_eq!(found, known);
    let agent = agent.expect("the agent");
    assert_eq!(
        (
            agent.id,
            agent.username.as_str(),
            agent.password_hash.as_str(),
            agent.status
        ),
        (7, "agent@spryker.com", "$argon2id$h", AgentStatus::Blocked)
    );
    assert_eq!(
        store.find_session_and_agent(&unknown.jti).unwrap(),
        Some((unknown, None))
    );
    assert_eq!(store.find_session_and_agent(&[3; 40]).unwrap(), None);
}

pub fn find_session_agent_and_customer_reads_what_exists_in_one_call(store: &dyn Store) {
    let id = store
        .insert_agent(
            Some(8),
            "agent@spryker.com",
            "$argon2id$h",
            AgentStatus::Active,
            NOW,
        )
        .unwrap();
    let mut session = row(800, 800, SessionKind::Agent);
    session.agent_id = id;
    session.agent_username = "agent@spryker.com".into();
    let mut orphan = row(810, 810, SessionKind::Agent);
    orphan.agent_username = "gone@spryker.com".into();
    insert(store, &[&session, &orphan]);
    let mut b2b = customer(5, "DE--5", "karl@spryker.com", "Karl", "Schmidt");
    b2b.id_company_user = Some("5f1b6e4c".into());
    b2b.permissions = Some(serde_json::json!({"b": [1, 2], "a": null}));
    b2b.impersonation_allowed = false;
    store.upsert_customer(&b2b).unwrap();
    let agent = store.find_by_username("agent@spryker.com").unwrap();

    // All three exist: the same as the separate reads.
    let both = store
        .find_session_agent_and_customer(&session.jti, "DE--5")
        .unwrap();
    assert_eq!(
        both,
        (Some((session.clone(), agent.clone())), Some(b2b.clone()))
    );
    assert_eq!(
        both.1,
        CustomerDirectory::find_by_reference(store, "DE--5").unwrap()
    );
    // A session whose agent is gone; then no session; then no customer.
    assert_eq!(
        store
            .find_session_agent_and_customer(&orphan.jti, "DE--5")
            .unwrap(),
        (Some((orphan, None)), Some(b2b.clone()))
    );
    assert_eq!(
        store
            .find_session_agent_and_customer(&[3; 40], "DE--5")
            .unwrap(),
        (None, Some(b2b))
    );
    // The reference is matched exactly: no wildcard, case or quoting games.
    for reference in [
        "",
        "de--5",
        "DE--%",
        "DE--_",
        "DE--5'",
        "DE--5 ",
        "' OR '1'='1",
    ] {
        assert_eq!(
            store
                .find_session_agent_and_customer(&session.jti, reference)
                .unwrap(),
            (Some((session.clone(), agent.clone())), None),
            "{reference:?}"
        );
    }
}

pub fn insert_session_keeps_awkward_text_and_bytes_exactly(store: &dyn Store) {
    let awkward =
        "it's \\ a \"ticket\" $$ $a$ %_ -- ; \\' \u{1a} \n\r\t \u{1F600} Σίσυφος \u{10FFFF}";
    let mut session = row(0x27, 0x27, SessionKind::Impersonation);
    // Bytes that are quotes, backslashes and NUL, as text would be written.
    session.token_hash = *b"'\\\"\0%_\x1a\n'\\\"\0%_\x1a\n'\\\"\0%_\x1a\n'\\\"\0%_\x1a\n";
    session.jti[8..20].copy_from_slice(b"'\\\"\0%_\x1a\n\r;--");
    session.agent_username = awkward.into();
    session.customer_reference = Some(format!("DE--{awkward}"));
    session.scopes = awkward.into();
    session.client_id = awkward.into();
    session.reason = Some(awkward.into());
    session.cap_at = Some(i64::MAX);
    let mut event = AuditEvent::new(AuditKind::ImpersonationStarted, NOW);
    event.agent_id = Some(i64::MIN);
    event.agent_username = Some(awkward.into());
    event.customer_reference = Some(format!("DE--{awkward}"));
    event.client_ip = Some("::ffff:127.0.0.1".into());
    event.jti = Some(awkward.into());
    event.reason = Some(awkward.into());
    event.code = Some("4104".into());
    event.policy = Some(format!("reason_pattern: {awkward}"));
    assert_eq!(
        store.insert_session(&session, &event, None).unwrap(),
        SessionInsert::Inserted
    );
    assert_eq!(store.find(0x27).unwrap(), Some(session.clone()));
    assert_eq!(store.find_by_jti(&session.jti).unwrap(), Some(session));
    let stored = events(store);
    assert_eq!(stored.len(), 1);
    let got = &stored[0];
    assert_eq!(
        (
            got.at,
            got.kind,
            got.agent_id,
            got.agent_username.as_deref(),
            got.customer_reference.clone(),
            got.client_ip.as_deref(),
            got.jti.as_deref(),
            got.reason.as_deref(),
            got.code.as_deref(),
            got.policy.clone(),
        ),
        (
            NOW,
            AuditKind::ImpersonationStarted,
            Some(i64::MIN),
            Some(awkward),
            Some(format!("DE--{awkward}")),
            Some("::ffff:127.0.0.1"),
            Some(awkward),
            Some(awkward),
            Some("4104"),
            Some(format!("reason_pattern: {awkward}")),
        )
    );
}

pub fn rotation_racing_its_family_revocation_never_survives(store: &dyn Store) {
    // A refresh (hold the parent, spend it, insert the child) against a
    // revocation of the family: the child never outlives the revocation.
    rotation_race(store, 2_000, SessionKind::Agent, |family| {
        RevokeScope::Family {
            agent_id: 1,
            family_id: family,
        }
    });
}

/// 20 rounds of one refresh of a fresh family against one revocation of
/// `scope(family)`, released together: whichever commits first, the child
/// the refresh stored is revoked too, or was never stored.
fn rotation_race(
    store: &dyn Store,
    base: i64,
    kind: SessionKind,
    scope: impl Fn(i64) -> RevokeScope<'static>,
) {
    for round in 0..20_i64 {
        let family = base + round * 10;
        insert_one(store, &row(family, family, kind));
        let child = row(family + 1, family, kind);
        let barrier = Barrier::new(2);
        let rotated = std::thread::scope(|s| {
            let refresher = s.spawn(|| {
                barrier.wait();
                let mut rotated = false;
                store
                    .write(Durability::Normal, &mut |w| {
                        let live = w.find(family)?.is_some_and(|p| p.revoked_at.is_none());
                        if live && w.spend(family, NOW + 1)? {
                            rotated = w.insert(&child)?;
                        }
                        Ok(())
                    })
                    .unwrap();
                rotated
            });
            barrier.wait();
            revoke(store, scope(family));
            refresher.join().unwrap()
        });
        let stored = store.find(child.id).unwrap();
        match rotated {
            true => assert_eq!(
                stored.and_then(|r| r.revoked_at),
                Some(NOW + 5),
                "round {round}: the revocation must reach the child stored first"
            ),
            false => assert_eq!(stored, None, "round {round}"),
        }
    }
}

pub fn customer_impersonation_allowed_round_trips(store: &dyn Store) {
    let mut c = customer(9, "DE--9", "opt@out.example", "Opt", "Out");
    c.impersonation_allowed = false;
    store.upsert_customer(&c).unwrap();
    assert_eq!(store.find_by_reference("DE--9").unwrap(), Some(c.clone()));
    let page = store
        .search(&CustomerSearch {
            q: "opt".into(),
            offset: 0,
            limit: 10,
        })
        .unwrap();
    assert_eq!(page.customers, vec![c.clone()]);
    c.impersonation_allowed = true;
    store.upsert_customer(&c).unwrap();
    assert!(
        store
            .find_by_reference("DE--9")
            .unwrap()
            .unwrap()
            .impersonation_allowed
    );
}

pub fn rotation_racing_a_customer_revocation_never_survives(store: &dyn Store) {
    // As the family case, for the scopes that revoke by customer (an
    // impersonation's "revoke mine", a customer's sessions).
    rotation_race(store, 3_000, SessionKind::Impersonation, |family| {
        match (family / 10) % 2 {
            0 => RevokeScope::Customer("DE--5"),
            _ => RevokeScope::AgentCustomer {
                agent_id: 1,
                customer_reference: "DE--5",
            },
        }
    });
}

/// An impersonation row of `customer` by `agent`, started at `at`.
fn impersonation_row(id: i64, family: i64, agent: i64, customer: &str, at: i64) -> RefreshTokenRow {
    let mut r = row(id, family, SessionKind::Impersonation);
    r.agent_id = agent;
    r.agent_username = format!("agent{agent}@spryker.com");
    r.customer_reference = Some(customer.into());
    r.issued_at = at;
    r.expires_at = at + 600;
    r
}

pub fn customer_sessions_are_families_newest_first_and_paged(store: &dyn Store) {
    // DE--5: family 10 (started NOW, rotated once, reason on its first row),
    // family 20 (NOW + 5, revoked), family 30 (NOW + 9, another agent).
    let mut first = impersonation_row(10, 10, 1, "DE--5", NOW);
    first.reason = Some("SUP-1".into());
    let mut rotated = impersonation_row(11, 10, 1, "DE--5", NOW + 100);
    rotated.parent_id = Some(10);
    let revoked = impersonation_row(20, 20, 1, "DE--5", NOW + 5);
    let other_agent = impersonation_row(30, 30, 2, "DE--5", NOW + 9);
    // Not DE--5's: another customer, and an agent's own session.
    let foreign = impersonation_row(40, 40, 1, "DE--6", NOW + 20);
    let agent_session = row(50, 50, SessionKind::Agent);
    insert(
        store,
        &[
            &first,
            &rotated,
            &revoked,
            &other_agent,
            &foreign,
            &agent_session,
        ],
    );
    assert_eq!(
        revoke(
            store,
            RevokeScope::Family {
                agent_id: 1,
                family_id: 20
            }
        ),
        1
    );

    let (all, total) = store.customer_sessions("DE--5", 0, 10).unwrap();
    assert_eq!(total, 3);
    assert_eq!(
        all,
        vec![
            SessionSummary {
                family_id: 30,
                agent_id: 2,
                agent_username: "agent2@spryker.com".into(),
                reason: None,
                started_at: NOW + 9,
                revoked_at: None,
                expires_at: NOW + 609,
            },
            SessionSummary {
                family_id: 20,
                agent_id: 1,
                agent_username: "agent1@spryker.com".into(),
                reason: None,
                started_at: NOW + 5,
                revoked_at: Some(NOW + 5),
                expires_at: NOW + 605,
            },
            SessionSummary {
                family_id: 10,
                agent_id: 1,
                agent_username: "agent1@spryker.com".into(),
                reason: Some("SUP-1".into()),
                started_at: NOW,
                revoked_at: None,
                expires_at: NOW + 700,
            },
        ]
    );
    let (page, total) = store.customer_sessions("DE--5", 1, 1).unwrap();
    assert_eq!((page.len(), page[0].family_id, total), (1, 20, 3));
    let (page, total) = store.customer_sessions("DE--5", 3, 1).unwrap();
    assert_eq!((page, total), (vec![], 3));
    assert_eq!(
        store.customer_sessions("DE--7", 0, 10).unwrap(),
        (vec![], 0)
    );
    assert_eq!(
        store.customer_sessions("DE\0--5", 0, 10).unwrap(),
        (vec![], 0)
    );
}

fn consent(hash: u8, customer: &str, expires_at: i64) -> ConsentRow {
    ConsentRow {
        code_hash: [hash; 32],
        customer_reference: customer.into(),
        created_at: NOW,
        expires_at,
        used_at: None,
    }
}

pub fn consent_codes_replace_spend_once_and_purge(store: &dyn Store) {
    assert!(
        store
            .replace_consent(&consent(1, "DE--5", NOW + 600))
            .unwrap()
    );
    assert!(
        store
            .replace_consent(&consent(2, "DE--6", NOW + 600))
            .unwrap()
    );
    // A taken hash is not stored again.
    assert!(
        !store
            .replace_consent(&consent(2, "DE--6", NOW + 900))
            .unwrap()
    );
    // A customer's new code replaces the earlier one; others' codes stay.
    assert!(
        store
            .replace_consent(&consent(3, "DE--5", NOW + 600))
            .unwrap()
    );
    assert_eq!(store.find_consent(&[1; 32]).unwrap(), None);
    assert_eq!(
        store.find_consent(&[2; 32]).unwrap(),
        Some(consent(2, "DE--6", NOW + 600))
    );

    // Only the owner, only before expiry, only once.
    assert!(!store.spend_consent(&[3; 32], "DE--6", NOW).unwrap());
    assert!(!store.spend_consent(&[3; 32], "DE--5", NOW + 600).unwrap());
    assert!(!store.spend_consent(&[9; 32], "DE--5", NOW).unwrap());
    assert!(store.spend_consent(&[3; 32], "DE--5", NOW + 599).unwrap());
    assert!(!store.spend_consent(&[3; 32], "DE--5", NOW + 599).unwrap());
    let mut spent = consent(3, "DE--5", NOW + 600);
    spent.used_at = Some(NOW + 599);
    assert_eq!(store.find_consent(&[3; 32]).unwrap(), Some(spent));

    assert!(
        store
            .replace_consent(&consent(4, "DE--7", NOW + 10))
            .unwrap()
    );
    assert_eq!(store.purge_consents(NOW + 11).unwrap(), 1);
    assert_eq!(store.find_consent(&[4; 32]).unwrap(), None);
    assert!(store.find_consent(&[2; 32]).unwrap().is_some());
}

pub fn concurrent_spends_of_one_consent_succeed_once(store: &dyn Store) {
    const THREADS: usize = 8;
    for round in 0..5u8 {
        let customer = format!("DE--{round}");
        assert!(
            store
                .replace_consent(&consent(100 + round, &customer, NOW + 600))
                .unwrap()
        );
        let barrier = Barrier::new(THREADS);
        let won = std::thread::scope(|s| {
            let handles: Vec<_> = (0..THREADS)
                .map(|_| {
                    let (barrier, customer) = (&barrier, &customer);
                    s.spawn(move || {
                        barrier.wait();
                        store
                            .spend_consent(&[100 + round; 32], customer, NOW)
                            .unwrap()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap())
                .filter(|w| *w)
                .count()
        });
        assert_eq!(won, 1, "round {round}");
    }
}
