//! Customer search semantics and paging (D14, reference §4.6), the SQLite
//! store (WAL, schema version, hashed refresh tokens, `:memory:` per D22,
//! scopes, purging), configuration defaults and validation, and the
//! administration of agents and customers.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use agent_oauth_core::clock::FixedClock;
use agent_oauth_core::directory::{AgentStatus, Customer, CustomerPage, CustomerSearch};
use agent_oauth_core::password::Argon2Config;
use agent_oauth_core::random::OsRandom;
use agent_oauth_core::store::sqlite::SCHEMA_VERSION;
use agent_oauth_core::{Config, Engine, Error, search};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{AGENT, IP, NOW, PASSWORD};

// ---------------------------------------------------------------------------
// Helpers

fn find(engine: &Engine, q: &str, paging: Option<(u64, u64)>) -> CustomerPage {
    engine
        .search_customers(&search::page(q, paging))
        .expect("search")
}

/// The references of a page, in the order returned.
fn refs(page: &CustomerPage) -> Vec<&str> {
    page.customers
        .iter()
        .map(|c| c.customer_reference.as_str())
        .collect()
}

/// The ids of a page, in the order returned.
fn ids(page: &CustomerPage) -> Vec<i64> {
    page.customers.iter().map(|c| c.id_customer).collect()
}

/// The fixture's six customers plus `GEN-100` .. `GEN-129`, whose e-mails,
/// first names and last names all start with `gen`.
fn fixture_with_generated() -> common::Fixture {
    let f = common::fixture();
    for i in 100..130 {
        f.engine
            .upsert_customer(&common::customer(
                i,
                &format!("GEN-{i}"),
                &format!("gen{i}@example.com"),
                &format!("Genevieve{i}"),
                &format!("Generated{i}"),
            ))
            .expect("upsert");
    }
    f
}

fn db_path(f: &common::Fixture) -> PathBuf {
    f.dir
        .as_ref()
        .expect("file fixture")
        .path()
        .join("agent-oauth.db")
}

fn open(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).expect("open database with rusqlite")
}

fn count(conn: &rusqlite::Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).expect(sql)
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes)
        .as_ref()
        .try_into()
        .expect("32 bytes")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every text or blob value of every table that contains `needle`, as
/// `table.column`.
fn columns_containing(conn: &rusqlite::Connection, needle: &[u8]) -> Vec<String> {
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let mut hits = Vec::new();
    for table in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
        let names: Vec<String> = stmt.column_names().map(str::to_owned).collect();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for (i, name) in names.iter().enumerate() {
                let bytes: &[u8] = match row.get_ref(i).unwrap() {
                    rusqlite::types::ValueRef::Text(b) | rusqlite::types::ValueRef::Blob(b) => b,
                    _ => continue,
                };
                if contains(bytes, needle) {
                    hits.push(format!("{table}.{name}"));
                }
            }
        }
    }
    hits
}

fn cheap_file_builder(clock: &Arc<FixedClock>, path: &Path) -> agent_oauth_core::EngineBuilder {
    common::builder(clock)
        .database_path(path.to_string_lossy())
        .random(Arc::new(OsRandom))
}

// ---------------------------------------------------------------------------
// Search semantics (reference §4.6, D14)

#[test]
fn search_mar_matches_first_and_last_name_prefixes_case_insensitively_ordered_by_id() {
    let f = common::fixture();
    for q in ["MAR", "mar", "Mar", "mAr"] {
        let page = find(&f.engine, q, None);
        // Maria Williams (first name), Bill Martin and Anne Mar%tin (last
        // names). Maggie May does not match: "mag" is not "mar".
        assert_eq!(refs(&page), ["DE--2", "DE--4", "DE--6"], "q={q}");
        assert_eq!(page.total, 3, "q={q}");
    }
}

#[test]
fn search_matches_email_prefix_case_insensitively() {
    let f = common::fixture();
    let page = find(&f.engine, "KARL.SCHMIDT@", None);
    assert_eq!(refs(&page), ["DE--5"]);
    assert_eq!(page.total, 1);
    let page = find(&f.engine, "spencor.hopkin@spryker.com", None);
    assert_eq!(refs(&page), ["DE--1"]);
    assert_eq!(page.total, 1);
}

#[test]
fn search_matches_first_name_prefix_and_last_name_prefix_separately() {
    let f = common::fixture();
    let page = find(&f.engine, "bil", None);
    assert_eq!(refs(&page), ["DE--4"]);
    let page = find(&f.engine, "SCHM", None);
    assert_eq!(refs(&page), ["DE--5"]);
    let page = find(&f.engine, "ma", None);
    // Maria (first), Maggie (first) and May (last), Martin, Mar%tin.
    assert_eq!(refs(&page), ["DE--2", "DE--3", "DE--4", "DE--6"]);
    assert_eq!(page.total, 4);
}

#[test]
fn search_returns_full_customer_records() {
    let f = common::fixture();
    let page = find(&f.engine, "karl", None);
    assert_eq!(page.customers, vec![common::customers()[4].clone()]);
}

#[test]
fn search_matches_reference_by_case_insensitive_equality() {
    let f = common::fixture();
    for q in ["de--5", "DE--5", "De--5"] {
        let page = find(&f.engine, q, None);
        assert_eq!(refs(&page), ["DE--5"], "q={q}");
        assert_eq!(page.total, 1, "q={q}");
    }
}

#[test]
fn search_does_not_match_reference_by_prefix() {
    let f = common::fixture();
    for q in ["DE--", "de-", "D", "DE--5x"] {
        let page = find(&f.engine, q, None);
        assert_eq!(refs(&page), Vec::<&str>::new(), "q={q}");
        assert_eq!(page.total, 0, "q={q}");
    }
}

#[test]
fn search_reference_prefix_still_finds_customers_whose_email_or_name_matches() {
    let f = common::fixture();
    f.engine
        .upsert_customer(&common::customer(
            7,
            "DE--7",
            "de--team@spryker.com",
            "Dora",
            "Explorer",
        ))
        .unwrap();
    let page = find(&f.engine, "DE--", None);
    // Matched by its e-mail, not by its reference.
    assert_eq!(refs(&page), ["DE--7"]);
    assert_eq!(page.total, 1);
}

#[test]
fn search_has_no_infix_match() {
    let f = common::fixture();
    for q in ["illiams", "artin", "spryker.com", "@spryker", "--5"] {
        let page = find(&f.engine, q, None);
        assert_eq!(refs(&page), Vec::<&str>::new(), "q={q}");
        assert_eq!(page.total, 0, "q={q}");
    }
}

#[test]
fn search_percent_in_query_is_a_literal_character() {
    let f = common::fixture();
    let page = find(&f.engine, "mar%", None);
    assert_eq!(refs(&page), ["DE--6"]);
    assert_eq!(page.total, 1);
    let page = find(&f.engine, "MAR%T", None);
    assert_eq!(refs(&page), ["DE--6"]);
    // As a LIKE wildcard "%" would match every customer; literal, it matches none.
    let page = find(&f.engine, "%", None);
    assert_eq!(refs(&page), Vec::<&str>::new());
    assert_eq!(page.total, 0);
    let page = find(&f.engine, "%tin", None);
    assert_eq!(refs(&page), Vec::<&str>::new());
    assert_eq!(page.total, 0);
}

#[test]
fn search_underscore_in_query_is_a_literal_character() {
    let f = common::fixture();
    let page = find(&f.engine, "anne.mar_", None);
    assert_eq!(refs(&page), ["DE--6"]);
    assert_eq!(page.total, 1);
    let page = find(&f.engine, "ANNE.MAR_TIN@", None);
    assert_eq!(refs(&page), ["DE--6"]);
    // As a LIKE wildcard "_" would match any first character.
    let page = find(&f.engine, "_", None);
    assert_eq!(refs(&page), Vec::<&str>::new());
    assert_eq!(page.total, 0);
    // "maria.w_" would match "maria.williams" if "_" were a wildcard.
    let page = find(&f.engine, "maria.w_", None);
    assert_eq!(refs(&page), Vec::<&str>::new());
    assert_eq!(page.total, 0);
}

#[test]
fn search_backslash_in_query_is_a_literal_character() {
    let f = common::fixture();
    let page = find(&f.engine, "\\", None);
    assert_eq!(refs(&page), Vec::<&str>::new());
    assert_eq!(page.total, 0);
    let page = find(&f.engine, "mar\\%", None);
    assert_eq!(refs(&page), Vec::<&str>::new());
    assert_eq!(page.total, 0);
}

#[test]
fn search_empty_query_returns_every_customer_ordered_by_id() {
    let f = common::fixture();
    let page = find(&f.engine, "", None);
    assert_eq!(
        refs(&page),
        ["DE--1", "DE--2", "DE--3", "DE--4", "DE--5", "DE--6"]
    );
    assert_eq!(page.total, 6);
    assert_eq!(page.customers, common::customers());
}

#[test]
fn search_orders_by_id_customer_not_by_insertion_or_name() {
    let f = common::fixture();
    // Inserted last, with the smallest id and the last name in alphabetical order.
    f.engine
        .upsert_customer(&common::customer(
            0,
            "DE--0",
            "zed.marble@spryker.com",
            "Zed",
            "Marble",
        ))
        .unwrap();
    let page = find(&f.engine, "mar", None);
    assert_eq!(refs(&page), ["DE--0", "DE--2", "DE--4", "DE--6"]);
    assert_eq!(ids(&page), [0, 2, 4, 6]);
}

#[test]
fn search_folds_unicode_case_in_query_and_data() {
    let f = common::fixture();
    f.engine
        .upsert_customer(&common::customer(
            7,
            "DE--7",
            "ölaf@spryker.com",
            "Ölaf",
            "Überschall",
        ))
        .unwrap();
    for q in ["öl", "ÖL", "Öl", "ölaf@", "ÜBER", "über", "ÜberSCHALL"] {
        let page = find(&f.engine, q, None);
        assert_eq!(refs(&page), ["DE--7"], "q={q}");
        assert_eq!(page.total, 1, "q={q}");
    }
    // No infix match for non-ASCII either.
    let page = find(&f.engine, "BERSCHALL", None);
    assert_eq!(refs(&page), Vec::<&str>::new());
    assert_eq!(page.total, 0);
}

#[test]
fn search_uppercase_greek_query_ending_in_sigma_matches_like_its_lowercase_form() {
    let f = common::fixture();
    f.engine
        .upsert_customer(&common::customer(
            8,
            "GR--8",
            "k.konstantinou@example.gr",
            "Οδυσσέας",
            "Κωνσταντίνου",
        ))
        .unwrap();
    // Typed in lower case, the prefixes match.
    for q in ["κωνσ", "οδυσ", "οδυσσ"] {
        let page = find(&f.engine, q, None);
        assert_eq!(refs(&page), ["GR--8"], "q={q}");
    }
    // Typed in capitals, the same prefixes must match too: a capital sigma
    // ending the query is the same letter as the stored medial sigma.
    let missed: Vec<&str> = ["ΚΩΝΣ", "ΟΔΥΣ", "ΟΔΥΣΣ", "Κωνσ"]
        .into_iter()
        .filter(|q| refs(&find(&f.engine, q, None)) != ["GR--8"])
        .collect();
    assert_eq!(
        missed,
        Vec::<&str>::new(),
        "queries that did not find GR--8"
    );
    // The in-memory matcher for host directories applies the same rule.
    let customer = f.engine.find_customer("GR--8").unwrap().unwrap();
    assert!(search::matches(&customer, "κωνσ"));
    assert!(search::matches(&customer, "ΚΩΝΣ"));
}

#[test]
fn search_total_counts_every_match_while_the_page_holds_limit_rows() {
    let f = fixture_with_generated();
    let page = find(&f.engine, "GEN", None);
    assert_eq!(page.total, 30);
    assert_eq!(ids(&page), (100..110).collect::<Vec<_>>());
    let page = find(&f.engine, "", Some((0, 7)));
    assert_eq!(page.total, 36);
    assert_eq!(ids(&page), [1, 2, 3, 4, 5, 6, 100]);
}

// ---------------------------------------------------------------------------
// Paging rules of `search::page`

#[test]
fn page_without_paging_uses_offset_0_and_the_default_limit_10() {
    assert_eq!(search::DEFAULT_LIMIT, 10);
    assert_eq!(
        search::page("mar", None),
        CustomerSearch {
            q: "mar".into(),
            offset: 0,
            limit: 10
        }
    );
    let f = fixture_with_generated();
    let page = find(&f.engine, "gen", None);
    assert_eq!(ids(&page), (100..110).collect::<Vec<_>>());
    assert_eq!(page.total, 30);
}

#[test]
fn page_limit_above_100_is_clamped_to_100() {
    assert_eq!(search::MAX_LIMIT, 100);
    assert_eq!(search::page("", Some((0, 101))).limit, 100);
    assert_eq!(search::page("", Some((0, 500))).limit, 100);
    assert_eq!(search::page("", Some((0, u64::MAX))).limit, 100);
    assert_eq!(search::page("", Some((0, 100))).limit, 100);
    // The offset is rounded to the clamped limit.
    assert_eq!(
        search::page("", Some((250, 1000))),
        CustomerSearch {
            q: String::new(),
            offset: 200,
            limit: 100
        }
    );

    let f = common::fixture();
    for i in 100..220 {
        f.engine
            .upsert_customer(&common::customer(
                i,
                &format!("GEN-{i}"),
                &format!("gen{i}@example.com"),
                "Gen",
                "Erated",
            ))
            .unwrap();
    }
    let page = find(&f.engine, "gen", Some((0, 500)));
    assert_eq!(page.total, 120);
    assert_eq!(ids(&page), (100..200).collect::<Vec<_>>());
}

#[test]
fn page_offset_is_rounded_down_to_a_page_boundary() {
    assert_eq!(search::page("", Some((15, 10))).offset, 10);
    assert_eq!(search::page("", Some((10, 10))).offset, 10);
    assert_eq!(search::page("", Some((19, 10))).offset, 10);
    assert_eq!(search::page("", Some((9, 10))).offset, 0);
    assert_eq!(search::page("", Some((7, 3))).offset, 6);

    let f = fixture_with_generated();
    let page = find(&f.engine, "gen", Some((15, 10)));
    assert_eq!(ids(&page), (110..120).collect::<Vec<_>>());
    assert_eq!(page.total, 30);
    let page = find(&f.engine, "gen", Some((29, 10)));
    assert_eq!(ids(&page), (120..130).collect::<Vec<_>>());
    let page = find(&f.engine, "gen", Some((27, 4)));
    // 27 rounds down to 24: rows 24..28 of the 30 matches.
    assert_eq!(ids(&page), [124, 125, 126, 127]);
}

#[test]
fn page_limit_0_becomes_1() {
    assert_eq!(
        search::page("x", Some((0, 0))),
        CustomerSearch {
            q: "x".into(),
            offset: 0,
            limit: 1
        }
    );
    assert_eq!(search::page("x", Some((5, 0))).offset, 5);

    let f = fixture_with_generated();
    let page = find(&f.engine, "gen", Some((0, 0)));
    assert_eq!(ids(&page), [100]);
    assert_eq!(page.total, 30);
    let page = find(&f.engine, "gen", Some((5, 0)));
    assert_eq!(ids(&page), [105]);
}

#[test]
fn page_last_partial_page_holds_the_remaining_rows() {
    let f = fixture_with_generated();
    let page = find(&f.engine, "gen", Some((20, 20)));
    assert_eq!(ids(&page), (120..130).collect::<Vec<_>>());
    assert_eq!(page.total, 30);
}

#[test]
fn page_offset_beyond_the_end_gives_an_empty_page_with_the_total() {
    let f = fixture_with_generated();
    for paging in [(30, 10), (1000, 10), (30, 1), (100, 100)] {
        let page = find(&f.engine, "gen", Some(paging));
        assert_eq!(page.customers, Vec::<Customer>::new(), "{paging:?}");
        assert_eq!(page.total, 30, "{paging:?}");
    }
    // An offset beyond u32 is clamped to the last page boundary below u32::MAX.
    let huge = search::page("gen", Some((u64::MAX, 10)));
    assert_eq!(huge.offset, 4_294_967_290);
    assert_eq!(huge.limit, 10);
    let page = f.engine.search_customers(&huge).unwrap();
    assert_eq!(page.customers, Vec::<Customer>::new());
    assert_eq!(page.total, 30);
}

#[test]
fn page_of_a_query_without_matches_is_empty_with_total_0() {
    let f = fixture_with_generated();
    let page = find(&f.engine, "nobody", Some((0, 10)));
    assert_eq!(page.customers, Vec::<Customer>::new());
    assert_eq!(page.total, 0);
}

// ---------------------------------------------------------------------------
// Store

#[test]
fn store_file_is_in_wal_mode_with_the_current_schema_version() {
    let f = common::file_fixture();
    let conn = open(&db_path(&f));
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    assert_eq!(SCHEMA_VERSION, 3);
}

#[test]
fn a_version_1_file_is_migrated_keeping_its_audit_rows() {
    // v2 adds the audit event's `policy` column and the customer's
    // `impersonation_allowed`, v3 the session's `reason` and the consent
    // codes (issue 12).
    let f = common::file_fixture();
    f.engine.agent_login(AGENT, PASSWORD, IP).unwrap();
    let path = db_path(&f);
    drop(f.engine);
    {
        let conn = open(&path);
        conn.execute_batch(
            "ALTER TABLE audit_event DROP COLUMN policy;
             ALTER TABLE customer DROP COLUMN impersonation_allowed;
             ALTER TABLE refresh_token DROP COLUMN reason;
             DROP TABLE consent;
             PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    let engine = cheap_file_builder(&f.clock, &path).build().expect("engine");
    let conn = open(&path);
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 3);
    let events = engine
        .audit_events(&agent_oauth_core::audit::AuditQuery::default())
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].kind, events[0].policy.as_deref()),
        (
            agent_oauth_core::audit::AuditKind::AgentLoginSucceeded,
            None
        )
    );
}

fn table_names(conn: &rusqlite::Connection) -> Vec<String> {
    conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

#[test]
fn store_same_file_opened_by_two_engines_shares_data_and_migration_is_idempotent() {
    let f = common::file_fixture();
    let path = db_path(&f);
    let login = f.engine.agent_login(AGENT, PASSWORD, IP).unwrap();

    let second = cheap_file_builder(&f.clock, &path)
        .build()
        .expect("second engine");
    let third = cheap_file_builder(&f.clock, &path)
        .build()
        .expect("third engine");

    // The second engine sees the first one's customers, agent and sessions.
    let page = find(&second, "", None);
    assert_eq!(page.total, 6);
    let claims = second.verify_strict(&login.access_token).unwrap();
    assert_eq!(claims.subject.agent_id(), Some(1));
    let r2 = second.refresh(&login.refresh_token, IP).unwrap();
    third.verify_strict(&r2.access_token).unwrap();
    // The first engine sees the second's rotation: the new token refreshes,
    let r3 = f.engine.refresh(&r2.refresh_token, IP).unwrap();
    // the spent one is reuse, which revokes the family for every engine.
    assert!(matches!(
        f.engine.refresh(&login.refresh_token, IP),
        Err(Error::RefreshFailed)
    ));
    assert!(matches!(
        third.verify_strict(&r3.access_token),
        Err(Error::InvalidAccessToken)
    ));

    // Re-running the migration changed nothing.
    let conn = open(&path);
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    assert_eq!(
        table_names(&conn),
        [
            "agent",
            "audit_event",
            "consent",
            "customer",
            "lockout",
            "oauth_client",
            "oauth_scope",
            "refresh_token"
        ]
    );
    assert_eq!(count(&conn, "SELECT count(*) FROM customer"), 6);
    assert_eq!(count(&conn, "SELECT count(*) FROM agent"), 1);
    assert_eq!(count(&conn, "SELECT count(*) FROM oauth_scope"), 3);
}

#[test]
fn store_refuses_a_database_with_a_newer_schema_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    {
        let conn = open(&path);
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
    }
    let clock = Arc::new(FixedClock::new(NOW));
    let err = cheap_file_builder(&clock, &path).build().unwrap_err();
    let Error::Config(message) = &err else {
        panic!("expected Error::Config, got {err:?}");
    };
    assert!(
        message.contains(&format!("schema version {}", SCHEMA_VERSION + 1)),
        "{message}"
    );
    // The refused database is left as it was.
    let conn = open(&path);
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION + 1);
    assert_eq!(table_names(&conn), Vec::<String>::new());
}

#[test]
fn store_refuses_a_migrated_database_whose_version_was_raised_later() {
    let f = common::file_fixture();
    let path = db_path(&f);
    open(&path)
        .pragma_update(None, "user_version", SCHEMA_VERSION + 5)
        .unwrap();
    let err = cheap_file_builder(&f.clock, &path).build().unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[test]
fn store_keeps_refresh_tokens_only_as_sha256_hashes() {
    let f = common::file_fixture();
    let path = db_path(&f);
    let agent = f.engine.agent_login(AGENT, PASSWORD, IP).unwrap();
    let imp = f
        .engine
        .impersonate(&agent.access_token, "DE--5", Some("ticket 42"), IP)
        .unwrap();
    let agent2 = f.engine.refresh(&agent.refresh_token, IP).unwrap();
    let imp2 = f.engine.refresh(&imp.refresh_token, IP).unwrap();
    let tokens = [
        &agent.refresh_token,
        &imp.refresh_token,
        &agent2.refresh_token,
        &imp2.refresh_token,
    ];

    let conn = open(&path);
    assert_eq!(count(&conn, "SELECT count(*) FROM refresh_token"), 4);
    for token in tokens {
        assert!(token.starts_with("ao1_"), "{token}");
        let body = &token["ao1_".len()..];
        let raw = URL_SAFE_NO_PAD.decode(body).unwrap();
        assert_eq!(raw.len(), 32);
        // Neither the token, nor its base64 body, nor its raw bytes are stored
        // anywhere in the database (any table, any column).
        assert_eq!(
            columns_containing(&conn, token.as_bytes()),
            Vec::<String>::new()
        );
        assert_eq!(
            columns_containing(&conn, body.as_bytes()),
            Vec::<String>::new()
        );
        assert_eq!(columns_containing(&conn, &raw), Vec::<String>::new());

        // token_hash is SHA-256 of the token string; the row id its first 8 bytes.
        let hash = sha256(token.as_bytes());
        let (id, stored): (i64, Vec<u8>) = conn
            .query_row(
                "SELECT id, token_hash FROM refresh_token WHERE token_hash = ?1",
                [&hash[..]],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("a row whose token_hash is the token's SHA-256");
        assert_eq!(stored, hash.to_vec());
        assert_eq!(id, i64::from_be_bytes(hash[..8].try_into().unwrap()));
    }
    // Nor do the raw files hold a token (the WAL has every recent page).
    for file in ["agent-oauth.db", "agent-oauth.db-wal"] {
        let Ok(bytes) = std::fs::read(f.dir.as_ref().unwrap().path().join(file)) else {
            continue;
        };
        for token in tokens {
            assert!(!contains(&bytes, token.as_bytes()), "{file} holds a token");
            assert!(
                !contains(&bytes, &token.as_bytes()[4..]),
                "{file} holds a token body"
            );
        }
    }
}

#[test]
fn store_memory_database_is_shared_by_every_caller_of_one_engine() {
    let f = common::fixture();
    assert_eq!(f.engine.config().database_path, ":memory:");
    // Writes from several threads (and clones) land in the same database.
    std::thread::scope(|s| {
        for t in 0..4i64 {
            let engine = f.engine.clone();
            s.spawn(move || {
                for i in 0..5 {
                    let id = 1000 + t * 10 + i;
                    engine
                        .upsert_customer(&common::customer(
                            id,
                            &format!("T-{id}"),
                            &format!("thread{id}@example.com"),
                            "Thread",
                            "Writer",
                        ))
                        .unwrap();
                }
            });
        }
    });
    let page = find(&f.engine, "thread", Some((0, 100)));
    assert_eq!(page.total, 20);
    let expected: Vec<i64> = (0..4)
        .flat_map(|t| (0..5).map(move |i| 1000 + t * 10 + i))
        .collect();
    assert_eq!(ids(&page), expected);
    // A session written by one call is found by the next (strict check).
    let login = f.engine.agent_login(AGENT, PASSWORD, IP).unwrap();
    let clone = f.engine.clone();
    std::thread::spawn(move || clone.verify_strict(&login.access_token).map(|_| ()))
        .join()
        .unwrap()
        .unwrap();
}

#[test]
fn store_two_memory_engines_do_not_share_data() {
    let a = common::fixture();
    let clock = Arc::new(FixedClock::new(NOW));
    let b = common::builder(&clock).build().unwrap();
    assert_eq!(find(&a.engine, "", None).total, 6);
    let page = find(&b, "", None);
    assert_eq!(page.customers, Vec::<Customer>::new());
    assert_eq!(page.total, 0);
    assert_eq!(b.find_customer("DE--5").unwrap(), None);
    assert_eq!(b.store().scopes().unwrap(), Vec::<String>::new());
    assert!(matches!(
        b.agent_login(AGENT, PASSWORD, IP),
        Err(Error::AuthenticationFailed)
    ));
    // A token from engine a (same key) has no session in engine b.
    let login = a.engine.agent_login(AGENT, PASSWORD, IP).unwrap();
    b.verify(&login.access_token).unwrap();
    assert!(matches!(
        b.verify_strict(&login.access_token),
        Err(Error::InvalidAccessToken)
    ));
}

#[test]
fn install_scopes_is_idempotent() {
    let clock = Arc::new(FixedClock::new(NOW));
    let engine = common::builder(&clock).build().unwrap();
    assert_eq!(engine.store().scopes().unwrap(), Vec::<String>::new());
    assert_eq!(
        engine.install_scopes().unwrap(),
        ["agent", "customer", "customer_impersonation"]
    );
    assert_eq!(engine.install_scopes().unwrap(), Vec::<String>::new());
    assert_eq!(
        engine.store().scopes().unwrap(),
        ["agent", "customer", "customer_impersonation"]
    );
}

#[test]
fn install_scopes_adds_only_the_missing_ones() {
    let clock = Arc::new(FixedClock::new(NOW));
    let engine = common::builder(&clock).build().unwrap();
    assert_eq!(
        engine.store().install_scopes(&["customer"]).unwrap(),
        ["customer"]
    );
    assert_eq!(
        engine.install_scopes().unwrap(),
        ["agent", "customer_impersonation"]
    );
    assert_eq!(
        engine.store().scopes().unwrap(),
        ["agent", "customer", "customer_impersonation"]
    );
}

#[test]
fn purge_expired_deletes_only_families_whose_every_token_expired_before_now_minus_retention() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agent-oauth.db");
    let clock = Arc::new(FixedClock::new(NOW));
    let engine = cheap_file_builder(&clock, &path)
        .refresh_token_ttl(1000)
        .build()
        .unwrap();
    common::seed(&engine).unwrap();

    // Family A: A1 (expires NOW+1000) rotated at NOW+500 into A2 (NOW+1500).
    let a1 = engine.agent_login(AGENT, PASSWORD, IP).unwrap();
    // Family C: C1 (expires NOW+1000), rotated at NOW+950 into C2 (NOW+1950).
    let c1 = engine.agent_login(AGENT, PASSWORD, IP).unwrap();
    clock.set(NOW + 500);
    let a2 = engine.refresh(&a1.refresh_token, IP).unwrap();
    // Family B: B1 (expires NOW+1900).
    clock.set(NOW + 900);
    let b1 = engine.agent_login(AGENT, PASSWORD, IP).unwrap();
    clock.set(NOW + 950);
    let c2 = engine.refresh(&c1.refresh_token, IP).unwrap();

    let expires = |token: &str| -> i64 {
        open(&path)
            .query_row(
                "SELECT expires_at FROM refresh_token WHERE token_hash = ?1",
                [&sha256(token.as_bytes())[..]],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert_eq!(expires(&a1.refresh_token), NOW + 1000);
    assert_eq!(expires(&a2.refresh_token), NOW + 1500);
    assert_eq!(expires(&b1.refresh_token), NOW + 1900);
    assert_eq!(expires(&c1.refresh_token), NOW + 1000);
    assert_eq!(expires(&c2.refresh_token), NOW + 1950);

    // NOW+1560 - 60 = NOW+1500: family A's last token expires exactly then,
    // not before, so nothing goes.
    clock.set(NOW + 1560);
    assert_eq!(engine.purge_expired(60).unwrap(), 0);
    let conn = open(&path);
    assert_eq!(count(&conn, "SELECT count(*) FROM refresh_token"), 5);

    // NOW+1600 - 60 = NOW+1540: family A (2 rows) goes; family C keeps C1,
    // expired, because C2 lives; family B lives.
    clock.set(NOW + 1600);
    assert_eq!(engine.purge_expired(60).unwrap(), 2);
    let remaining: Vec<i64> = conn
        .prepare("SELECT expires_at - ?1 FROM refresh_token ORDER BY expires_at")
        .unwrap()
        .query_map([NOW], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(remaining, [1000, 1900, 1950]);
    assert_eq!(engine.purge_expired(60).unwrap(), 0);

    // The live sessions still work.
    engine.verify_strict(&b1.access_token).unwrap();
    engine.refresh(&b1.refresh_token, IP).unwrap();
    engine.refresh(&c2.refresh_token, IP).unwrap();
    assert!(matches!(
        engine.refresh(&a2.refresh_token, IP),
        Err(Error::RefreshFailed)
    ));
}

#[test]
fn purge_expired_with_zero_retention_deletes_families_expired_before_now() {
    let clock = Arc::new(FixedClock::new(NOW));
    let f = common::fixture_with(common::builder(&clock).refresh_token_ttl(100), clock);
    f.engine.agent_login(AGENT, PASSWORD, IP).unwrap();
    f.clock.set(NOW + 50);
    let live = f.engine.agent_login(AGENT, PASSWORD, IP).unwrap();
    f.clock.set(NOW + 101);
    assert_eq!(f.engine.purge_expired(0).unwrap(), 1);
    f.engine.refresh(&live.refresh_token, IP).unwrap();
}

// ---------------------------------------------------------------------------
// Configuration

#[test]
fn config_from_empty_json_has_the_documented_defaults() {
    let c = Config::from_json("{}").unwrap();
    assert_eq!(c.database_path, "agent-oauth.db");
    assert_eq!(c.private_key_pem, None);
    assert_eq!(c.private_key_path, None);
    assert_eq!(c.previous_public_keys_pem, Vec::<String>::new());
    assert_eq!(c.previous_public_key_paths, Vec::<String>::new());
    assert_eq!(c.client_id, "frontend");
    assert_eq!(c.access_token_ttl, 28800);
    assert_eq!(c.refresh_token_ttl, None);
    assert_eq!(c.refresh_reuse_grace, 0);
    assert_eq!(c.leeway, 0);
    assert_eq!(
        c.argon2,
        Argon2Config {
            memory_kib: 19456,
            iterations: 2,
            parallelism: 1
        }
    );
    assert_eq!(c.lockout.max_failures, 9);
    assert_eq!(c.lockout.window, 900);
    assert_eq!(c.lockout.block, 360);
    assert_eq!(c.pool_size, 8);
    assert_eq!(c.busy_timeout_ms, 5000);
    assert_eq!(c, Config::default());
}

#[test]
fn config_from_json_reads_every_key() {
    let c = Config::from_json(
        r#"{"database_path":":memory:","client_id":"mobile","access_token_ttl":60,
            "refresh_token_ttl":120,"refresh_reuse_grace":5,"leeway":2,
            "argon2":{"memory_kib":256,"iterations":1,"parallelism":1},
            "lockout":{"max_failures":3,"window":30,"block":10},
            "pool_size":2,"busy_timeout_ms":100}"#,
    )
    .unwrap();
    assert_eq!(c.database_path, ":memory:");
    assert_eq!(c.client_id, "mobile");
    assert_eq!(c.access_token_ttl, 60);
    assert_eq!(c.refresh_token_ttl, Some(120));
    assert_eq!(c.refresh_reuse_grace, 5);
    assert_eq!(c.leeway, 2);
    assert_eq!(c.argon2, common::CHEAP);
    assert_eq!(
        (c.lockout.max_failures, c.lockout.window, c.lockout.block),
        (3, 30, 10)
    );
    assert_eq!(c.pool_size, 2);
    assert_eq!(c.busy_timeout_ms, 100);
}

#[test]
fn config_unknown_key_is_a_config_error_naming_the_key() {
    for (json, key) in [
        (r#"{"client_ids":"frontend"}"#, "client_ids"),
        (r#"{"argon2":{"memory":256}}"#, "memory"),
        (r#"{"lockout":{"max_attempts":3}}"#, "max_attempts"),
    ] {
        match Config::from_json(json) {
            Err(Error::Config(message)) => assert!(message.contains(key), "{message}"),
            other => panic!("{json}: expected Error::Config, got {other:?}"),
        }
    }
}

#[test]
fn config_wrong_type_is_a_config_error() {
    for json in [
        r#"{"access_token_ttl":"28800"}"#,
        r#"{"client_id":7}"#,
        r#"{"access_token_ttl":-1}"#,
        r#"{"refresh_token_ttl":1.5}"#,
        r#"{"previous_public_keys_pem":"x"}"#,
        r#"not json"#,
    ] {
        assert!(
            matches!(Config::from_json(json), Err(Error::Config(_))),
            "{json}"
        );
    }
}

#[test]
fn config_json_that_is_not_an_object_is_a_config_error() {
    // The schema is an object with named keys (D10); an array must not be
    // read positionally into the fields.
    let accepted: Vec<String> = [
        r#"[]"#,
        r#"["other.db"]"#,
        r#""frontend""#,
        "42",
        "null",
        r#"{"argon2":[256,1,1]}"#,
        r#"{"lockout":[3,30,10]}"#,
    ]
    .into_iter()
    .filter_map(|json| match Config::from_json(json) {
        Err(Error::Config(_)) => None,
        other => Some(format!("{json} -> {other:?}")),
    })
    .collect();
    assert_eq!(accepted, Vec::<String>::new());
}

#[test]
fn config_empty_client_id_and_zero_access_ttl_are_config_errors() {
    for json in [
        r#"{"client_id":""}"#,
        r#"{"access_token_ttl":0}"#,
        r#"{"refresh_token_ttl":0}"#,
        r#"{"database_path":""}"#,
    ] {
        assert!(
            matches!(Config::from_json(json), Err(Error::Config(_))),
            "{json}"
        );
    }
    let clock = Arc::new(FixedClock::new(NOW));
    let err = common::builder(&clock).client_id("").build().unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    let err = common::builder(&clock)
        .access_token_ttl(0)
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[test]
fn engine_without_a_private_key_is_a_config_error() {
    let err = Engine::builder()
        .database_path(":memory:")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    let mut config = Config::from_json("{}").unwrap();
    config.database_path = ":memory:".into();
    let err = Engine::builder().config(config).build().unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[test]
fn config_debug_output_does_not_contain_the_private_key() {
    let mut config = Config::from_json("{}").unwrap();
    config.private_key_pem = Some(common::TEST_KEY.into());
    let debug = format!("{config:?}");
    let pretty = format!("{config:#?}");
    for text in [&debug, &pretty] {
        assert!(!text.contains(common::TEST_KEY));
        assert!(!text.contains("PRIVATE KEY"), "{text}");
        for line in common::TEST_KEY.lines().filter(|l| !l.starts_with("-----")) {
            assert!(!text.contains(line), "key material in {text}");
        }
        assert!(text.contains("[redacted]"), "{text}");
    }
    let clock = Arc::new(FixedClock::new(NOW));
    let engine = common::builder(&clock).build().unwrap();
    let debug = format!("{engine:?}");
    assert!(!debug.contains("PRIVATE KEY"), "{debug}");
    for line in common::TEST_KEY.lines().filter(|l| !l.starts_with("-----")) {
        assert!(!debug.contains(line), "key material in {debug}");
    }
}

#[test]
fn client_id_becomes_the_tokens_aud() {
    let clock = Arc::new(FixedClock::new(NOW));
    let f = common::fixture_with(common::builder(&clock).client_id("mobile"), clock);
    let agent = f.engine.agent_login(AGENT, PASSWORD, IP).unwrap();
    let claims = f.engine.verify(&agent.access_token).unwrap();
    assert_eq!(claims.aud, "mobile");
    assert!(
        common::part(&agent.access_token, 1).starts_with(r#"{"aud":"mobile","jti":""#),
        "{}",
        common::part(&agent.access_token, 1)
    );
    let imp = f
        .engine
        .impersonate(&agent.access_token, "DE--5", None, IP)
        .unwrap();
    assert_eq!(f.engine.verify(&imp.access_token).unwrap().aud, "mobile");
    let refreshed = f.engine.refresh(&imp.refresh_token, IP).unwrap();
    assert_eq!(
        f.engine.verify(&refreshed.access_token).unwrap().aud,
        "mobile"
    );

    // An engine for client "frontend" with the same key refuses the token.
    let frontend = common::builder(&f.clock).build().unwrap();
    assert!(matches!(
        frontend.verify(&agent.access_token),
        Err(Error::InvalidAccessToken)
    ));
}

// ---------------------------------------------------------------------------
// Agent and customer administration

#[test]
fn add_agent_with_a_duplicate_username_is_an_invalid_request() {
    let f = common::fixture();
    let err = f
        .engine
        .add_agent(AGENT, "other-password", AgentStatus::Active)
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    // The existing agent is untouched: the old password still logs in.
    f.engine.agent_login(AGENT, PASSWORD, IP).unwrap();
    assert!(matches!(
        f.engine.agent_login(AGENT, "other-password", IP),
        Err(Error::AuthenticationFailed)
    ));
    // A duplicate id is refused the same way.
    let err = f
        .engine
        .add_agent_with_id(
            Some(f.agent_id),
            "new@spryker.com",
            "pw",
            AgentStatus::Active,
        )
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    // A fresh username gets the next id.
    assert_eq!(
        f.engine
            .add_agent("second@spryker.com", "pw", AgentStatus::Active)
            .unwrap(),
        2
    );
}

#[test]
fn upsert_customer_with_a_reference_of_another_customer_is_an_invalid_request() {
    let f = common::fixture();
    // A new id with DE--5's reference.
    let err = f
        .engine
        .upsert_customer(&common::customer(
            7,
            "DE--5",
            "intruder@example.com",
            "In",
            "Truder",
        ))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    // An existing id moved onto DE--2's reference.
    let err = f
        .engine
        .upsert_customer(&common::customer(
            1,
            "DE--2",
            "spencor.hopkin@spryker.com",
            "Spencor",
            "Hopkin",
        ))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    // Nothing changed.
    assert_eq!(
        f.engine.find_customer("DE--5").unwrap(),
        Some(common::customers()[4].clone())
    );
    assert_eq!(
        f.engine.find_customer("DE--2").unwrap(),
        Some(common::customers()[1].clone())
    );
    let page = find(&f.engine, "", None);
    assert_eq!(page.customers, common::customers());
}

#[test]
fn upsert_customer_by_id_updates_the_record_and_search_reflects_it() {
    let f = common::fixture();
    let mut updated =
        common::customer(4, "DE--44", "william.marsh@spryker.com", "William", "Marsh");
    updated.id_company_user = Some("company-user-4".into());
    updated.permissions = Some(serde_json::json!({"permissions": []}));
    f.engine.upsert_customer(&updated).unwrap();

    assert_eq!(find(&f.engine, "", None).total, 6);
    assert_eq!(f.engine.find_customer("DE--4").unwrap(), None);
    assert_eq!(
        f.engine.find_customer("DE--44").unwrap(),
        Some(updated.clone())
    );
    // Old name, e-mail and reference no longer match; the new ones do.
    for q in ["bill", "martin", "bill.martin@", "de--4"] {
        let page = find(&f.engine, q, None);
        assert_eq!(refs(&page), Vec::<&str>::new(), "q={q}");
    }
    for q in ["MARSH", "william.marsh@spryker.com", "de--44"] {
        let page = find(&f.engine, q, None);
        assert_eq!(page.customers, vec![updated.clone()], "q={q}");
    }
    // Its new first name "William" is a prefix of Maria's last name "Williams".
    assert_eq!(refs(&find(&f.engine, "WILLIAM", None)), ["DE--2", "DE--44"]);
    // "mar" now finds Maria, Marsh (id 4, same position) and Mar%tin.
    assert_eq!(
        refs(&find(&f.engine, "mar", None)),
        ["DE--2", "DE--44", "DE--6"]
    );
}

#[test]
fn upsert_customer_with_an_empty_reference_is_an_invalid_request() {
    let f = common::fixture();
    let err = f
        .engine
        .upsert_customer(&common::customer(9, "", "x@example.com", "X", "Y"))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    assert_eq!(find(&f.engine, "", None).total, 6);
}

#[test]
fn paging_counts_only_with_both_values_and_a_limit_of_zero_is_invalid() {
    use agent_oauth_core::search::{INVALID_PAGING, paging, parse_paging};
    assert_eq!(paging(None, None).unwrap(), None);
    assert_eq!(paging(Some(20), None).unwrap(), None);
    assert_eq!(paging(None, Some(5)).unwrap(), None);
    assert_eq!(paging(Some(20), Some(5)).unwrap(), Some((20, 5)));
    let err = paging(Some(0), Some(0)).unwrap_err();
    assert_eq!(err.to_string(), INVALID_PAGING);
    assert_eq!((err.glue_code(), err.http_status()), (Some("901"), 422));
    assert_eq!(parse_paging(Some("10"), Some("5")).unwrap(), Some((10, 5)));
    assert_eq!(parse_paging(Some("10"), None).unwrap(), None);
    for (offset, limit) in [
        (Some("x"), Some("5")),
        (Some("-1"), Some("5")),
        (Some("1"), Some("0")),
        (None, Some("0")),
        (Some("1.5"), None),
        (None, Some("")),
    ] {
        assert!(parse_paging(offset, limit).is_err(), "{offset:?} {limit:?}");
    }
}
