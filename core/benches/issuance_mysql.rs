//! Impersonation issuance on a MariaDB server against the raw RS256 sign
//! rate, in one process (D23, issue 11): the server is started by the test
//! harness on loopback, with 100k customers, and measured at both
//! `innodb_flush_log_at_trx_commit` settings that matter (D26: durability is
//! the server's).
//!
//! `cargo bench -p agent-oauth-core --bench issuance_mysql`

#[path = "support/issuance.rs"]
mod issuance;
#[path = "../tests/common/mariadb_server.rs"]
mod mariadb_server;
#[path = "support/mod.rs"]
mod support;

use std::hint::black_box;
use std::time::Duration;

use agent_oauth_core::{Config, Engine};
use aws_lc_rs::signature::{self, RsaKeyPair};
use criterion::{Criterion, criterion_group};

const KEY: &str = include_str!("../tests/keys/test-only-private-key.pem");
const CUSTOMERS: i64 = 100_000;
const IP: &str = "127.0.0.1";
const PREFIX: &str = "agent_oauth_";

fn der_of(pem_text: &str) -> Vec<u8> {
    jsonwebtoken::EncodingKey::from_rsa_pem(pem_text.as_bytes())
        .expect("pem")
        .as_bytes()
        .to_vec()
}

fn benches(c: &mut Criterion) {
    let Some(server) = mariadb_server::shared() else {
        return;
    };
    let engine = Engine::builder()
        .config(Config {
            database_url: Some(server.url()),
            table_prefix: PREFIX.into(),
            upgrade_schema: true,
            ..Config::default()
        })
        .private_key_pem(KEY)
        .build()
        .expect("engine");
    support::seed_agent(&engine);
    // 100k customers in one statement from MariaDB's sequence engine.
    server.sql(&format!(
        "INSERT INTO {db}.{PREFIX}customer (id_customer, customer_reference, email, first_name, last_name,
             is_active, reference_lc, email_lc, first_name_lc, last_name_lc)
         SELECT seq, CONCAT('DE--', seq), CONCAT('customer', seq, '@example.com'), CONCAT('First', seq),
             CONCAT('Last', seq), 1, CONCAT('de--', seq), CONCAT('customer', seq, '@example.com'),
             CONCAT('first', seq), CONCAT('last', seq)
         FROM {db}.seq_1_to_{CUSTOMERS}",
        db = mariadb_server::DATABASE
    ));
    let agent_token = engine
        .agent_login("admin@spryker.com", "change123", IP)
        .expect("login")
        .access_token;
    let pair = RsaKeyPair::from_der(&der_of(KEY)).expect("key");
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let sample = engine
        .impersonate(&agent_token, "DE--5", None, IP)
        .expect("impersonate")
        .access_token;
    let message = sample.rsplit_once('.').expect("jwt").0.as_bytes().to_vec();

    let mut group = c.benchmark_group("issuance_mysql");
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("raw_rs256_sign", |b| {
        let mut sig = vec![0; pair.public_modulus_len()];
        b.iter(|| {
            pair.sign(
                &signature::RSA_PKCS1_SHA256,
                &rng,
                black_box(&message),
                &mut sig,
            )
            .expect("sign")
        })
    });
    for flush in [2, 1] {
        server.sql(&format!(
            "SET GLOBAL innodb_flush_log_at_trx_commit = {flush}"
        ));
        group.bench_function(format!("impersonation_flush{flush}"), |b| {
            b.iter(|| {
                engine
                    .impersonate(black_box(&agent_token), "DE--50000", None, IP)
                    .expect("impersonate")
            })
        });
    }
    group.finish();
    // The same ratios from interleaved rounds: this machine's speed drifts
    // by tens of percent within a minute, which the sequential
    // measurements above feel one by one.
    for flush in [2, 1] {
        server.sql(&format!(
            "SET GLOBAL innodb_flush_log_at_trx_commit = {flush}"
        ));
        let (ratio, sign, op) =
            issuance::issuance_vs_sign(&engine, &agent_token, &pair, &message, 200);
        println!(
            "\n== MariaDB issuance vs raw RS256 sign, innodb_flush_log_at_trx_commit={flush}, \
             median of 21 interleaved rounds: {ratio:.3} (target >= 0.5; {op:.1} us vs {sign:.1} us)"
        );
    }
}

criterion_group!(group, benches);

/// The median of a finished benchmark, in nanoseconds, from Criterion's report.
fn median_ns(group: &str, bench: &str) -> Option<f64> {
    let dir = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| format!("{}/../target", env!("CARGO_MANIFEST_DIR")));
    let path = format!("{dir}/criterion/{group}/{bench}/new/estimates.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    json["median"]["point_estimate"].as_f64()
}

fn main() {
    group();
    Criterion::default().configure_from_args().final_summary();
    let Some(sign) = median_ns("issuance_mysql", "raw_rs256_sign") else {
        return;
    };
    println!("\n== ratios (medians, same process; rate of the operation / rate of its floor)");
    for flush in [2, 1] {
        if let Some(op) = median_ns("issuance_mysql", &format!("impersonation_flush{flush}")) {
            println!(
                "MariaDB impersonation issuance vs raw RS256 sign, innodb_flush_log_at_trx_commit={flush}: \
                 {:.3} (target >= 0.5; {:.1} us vs {:.1} us)",
                sign / op,
                op / 1e3,
                sign / 1e3
            );
        }
    }
}
