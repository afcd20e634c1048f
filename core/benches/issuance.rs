//! Issuance, verification and login against their cryptographic floor, in
//! one process (D23): the ratios at the end compare each engine operation
//! with the raw primitive of the same backend and key.
//!
//! `cargo bench -p agent-oauth-core --bench issuance`

#[path = "support/mod.rs"]
mod support;

use std::path::Path;
use std::time::Duration;

use agent_oauth_core::Engine;
use agent_oauth_core::directory::Customer;
use agent_oauth_core::password::Argon2Config;
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use aws_lc_rs::signature::{self, KeyPair, ParsedPublicKey, RsaKeyPair};
use criterion::{Criterion, criterion_group};
use std::hint::black_box;

const KEY: &str = include_str!("../tests/keys/test-only-private-key.pem");
const CUSTOMERS: i64 = 100_000;
const IP: &str = "127.0.0.1";

struct Setup {
    engine: Engine,
    agent_token: String,
    _dir: tempfile::TempDir,
}

/// An engine on a database file (WAL, synchronous=NORMAL) with 100k customers.
fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = Engine::builder()
        .private_key_pem(KEY)
        .database_path(dir.path().join("bench.db").to_string_lossy())
        .build()
        .expect("engine");
    support::seed_agent(&engine);
    seed_customers(&dir.path().join("bench.db"));
    let agent_token = engine
        .agent_login("admin@spryker.com", "change123", IP)
        .expect("login")
        .access_token;
    Setup {
        engine,
        agent_token,
        _dir: dir,
    }
}

fn seed_customers(db: &Path) {
    let mut conn = rusqlite::Connection::open(db).expect("db");
    let tx = conn.transaction().expect("tx");
    {
        let mut stmt = tx
            .prepare(
                "INSERT INTO customer (id_customer, customer_reference, email, first_name, last_name, is_active,
                    reference_lc, email_lc, first_name_lc, last_name_lc) VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?3, ?7, ?8)",
            )
            .expect("stmt");
        for id in 1..=CUSTOMERS {
            let c = Customer {
                id_customer: id,
                customer_reference: format!("DE--{id}"),
                email: format!("customer{id}@example.com"),
                first_name: format!("First{id}"),
                last_name: format!("Last{id}"),
                id_company_user: None,
                permissions: None,
                is_active: true,
                impersonation_allowed: true,
            };
            stmt.execute(rusqlite::params![
                c.id_customer,
                c.customer_reference,
                c.email,
                c.first_name,
                c.last_name,
                c.customer_reference.to_lowercase(),
                c.first_name.to_lowercase(),
                c.last_name.to_lowercase()
            ])
            .expect("insert");
        }
    }
    tx.commit().expect("commit");
}

fn der_of(pem_text: &str) -> Vec<u8> {
    jsonwebtoken::EncodingKey::from_rsa_pem(pem_text.as_bytes())
        .expect("pem")
        .as_bytes()
        .to_vec()
}

fn benches(c: &mut Criterion) {
    let s = setup();
    let pair = RsaKeyPair::from_der(&der_of(KEY)).expect("key");
    let rng = aws_lc_rs::rand::SystemRandom::new();
    // The signing input of a real impersonation token, so both sides hash the same length.
    let sample = s
        .engine
        .impersonate(&s.agent_token, "DE--5", None, IP)
        .expect("impersonate")
        .access_token;
    let message = sample.rsplit_once('.').expect("jwt").0.as_bytes().to_vec();
    let agent_message = s
        .agent_token
        .rsplit_once('.')
        .expect("jwt")
        .0
        .as_bytes()
        .to_vec();

    let mut group = c.benchmark_group("issuance");
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
            s.engine
                .impersonate(black_box(&s.agent_token), "DE--50000", None, IP)
                .expect("impersonate")
        })
    });
    group.finish();

    let mut group = c.benchmark_group("verification");
    let public = ParsedPublicKey::new(
        &signature::RSA_PKCS1_2048_8192_SHA256,
        pair.public_key().as_ref(),
    )
    .expect("public");
    let agent_sig = {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s.agent_token.rsplit_once('.').expect("jwt").1)
            .expect("b64")
    };
    group.bench_function("raw_rs256_verify", |b| {
        b.iter(|| {
            public
                .verify_sig(black_box(&agent_message), black_box(&agent_sig))
                .expect("verify")
        })
    });
    group.bench_function("verify_agent_token", |b| {
        b.iter(|| s.engine.verify(black_box(&s.agent_token)).expect("verify"))
    });
    group.finish();

    let mut group = c.benchmark_group("login");
    // argon2id allocates 19 MiB per call; long runs keep allocator noise below the 1 ms of interest.
    group.sample_size(30);
    group.measurement_time(Duration::from_secs(15));
    let defaults = Argon2Config::default();
    let argon = Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(
            defaults.memory_kib,
            defaults.iterations,
            defaults.parallelism,
            None,
        )
        .expect("params"),
    );
    let hash = argon
        .hash_password_with_salt(b"change123", b"0123456789abcdef")
        .expect("hash")
        .to_string();
    group.bench_function("argon2id_verify", |b| {
        b.iter(|| {
            argon
                .verify_password(black_box(b"change123"), hash.as_str())
                .expect("verify")
        })
    });
    group.bench_function("agent_login", |b| {
        b.iter(|| {
            s.engine
                .agent_login("admin@spryker.com", black_box("change123"), IP)
                .expect("login")
        })
    });
    group.finish();
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
    let Some(sign) = median_ns("issuance", "raw_rs256_sign") else {
        return;
    };
    let ratio = |floor: f64, op: f64| floor / op;
    println!("\n== ratios (medians, same process; rate of the operation / rate of its floor)");
    if let Some(op) = median_ns("issuance", "impersonation") {
        println!(
            "impersonation issuance vs raw RS256 sign: {:.3} (target >= 0.8; {:.1} us vs {:.1} us)",
            ratio(sign, op),
            op / 1e3,
            sign / 1e3
        );
    }
    if let (Some(raw), Some(op)) = (
        median_ns("verification", "raw_rs256_verify"),
        median_ns("verification", "verify_agent_token"),
    ) {
        println!(
            "verification vs raw RS256 verify:        {:.3} (target >= 0.8; {:.2} us vs {:.2} us)",
            ratio(raw, op),
            op / 1e3,
            raw / 1e3
        );
    }
    if let (Some(raw), Some(op)) = (
        median_ns("login", "argon2id_verify"),
        median_ns("login", "agent_login"),
    ) {
        println!(
            "agent login minus one argon2id verify:   {:.3} ms (target <= 1 ms; {:.2} ms vs {:.2} ms)",
            (op - raw) / 1e6,
            op / 1e6,
            raw / 1e6
        );
    }
}
