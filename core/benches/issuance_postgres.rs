//! Impersonation issuance on PostgreSQL against the raw RS256 sign rate, in
//! one process (D23), on a server the bench starts (as the tests do, see
//! `tests/pg/mod.rs`): loopback TCP, the server's default settings, issuance
//! committed with `synchronous_commit = off` (D26).
//!
//! `cargo bench -p agent-oauth-core --bench issuance_postgres`

#[path = "support/issuance.rs"]
mod issuance;
#[path = "../tests/pg/mod.rs"]
mod pg;
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
const PREFIX: &str = "bench_";

fn der_of(pem_text: &str) -> Vec<u8> {
    jsonwebtoken::EncodingKey::from_rsa_pem(pem_text.as_bytes())
        .expect("pem")
        .as_bytes()
        .to_vec()
}

/// An engine on the server with 100k customers and a logged-in agent.
///
/// Only the customer table is analyzed: statistics taken while the token
/// table is nearly empty make the planner cache sequential scans for it on
/// every pooled connection, which a table growing by thousands of rows a
/// second outgrows before autovacuum analyzes it again.
fn setup(server: &pg::Server) -> (Engine, String) {
    let config = Config {
        database_url: Some(server.url()),
        table_prefix: PREFIX.into(),
        upgrade_schema: true,
        private_key_pem: Some(KEY.into()),
        ..Config::default()
    };
    let engine = Engine::builder().config(config).build().expect("engine");
    support::seed_agent(&engine);
    let mut client = server.client(pg::DATABASE);
    client
        .batch_execute(&format!(
            "INSERT INTO {PREFIX}customer (id_customer, customer_reference, email, first_name, last_name,
                is_active, reference_lc, email_lc, first_name_lc, last_name_lc)
             SELECT g, 'DE--' || g, 'customer' || g || '@example.com', 'First' || g, 'Last' || g,
                TRUE, 'de--' || g, 'customer' || g || '@example.com', 'first' || g, 'last' || g
             FROM generate_series(1, {CUSTOMERS}) AS g;
             ANALYZE {PREFIX}customer"
        ))
        .expect("customers");
    let agent_token = engine
        .agent_login("admin@spryker.com", "change123", IP)
        .expect("login")
        .access_token;
    (engine, agent_token)
}

fn benches(c: &mut Criterion) {
    let Some(server) = pg::shared() else {
        return;
    };
    let (engine, agent_token) = setup(server);
    let pair = RsaKeyPair::from_der(&der_of(KEY)).expect("key");
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let sample = engine
        .impersonate(&agent_token, "DE--5", None, IP)
        .expect("impersonate")
        .access_token;
    let message = sample.rsplit_once('.').expect("jwt").0.as_bytes().to_vec();

    let mut group = c.benchmark_group("issuance_postgres");
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
    group.bench_function("impersonation", |b| {
        b.iter(|| {
            engine
                .impersonate(black_box(&agent_token), "DE--50000", None, IP)
                .expect("impersonate")
        })
    });
    group.finish();
    // The same ratio from interleaved rounds: this machine's speed drifts
    // by tens of percent within a minute, which the two sequential
    // measurements above feel one by one.
    let (ratio, sign, op) = issuance::issuance_vs_sign(&engine, &agent_token, &pair, &message, 300);
    println!(
        "\n== PostgreSQL issuance vs raw RS256 sign, median of 21 interleaved rounds: \
         {ratio:.3} (target >= 0.65; {op:.1} us vs {sign:.1} us)"
    );
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
    let (Some(sign), Some(op)) = (
        median_ns("issuance_postgres", "raw_rs256_sign"),
        median_ns("issuance_postgres", "impersonation"),
    ) else {
        return;
    };
    println!(
        "\n== PostgreSQL impersonation issuance vs raw RS256 sign: {:.3} (target >= 0.65; {:.1} us vs {:.1} us)",
        sign / op,
        op / 1e3,
        sign / 1e3
    );
}
