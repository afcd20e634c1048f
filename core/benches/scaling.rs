//! How impersonation issuance through the core scales from one caller to
//! two on this machine's two cores, in one process: the rate of two threads
//! calling `Engine::impersonate` against the rate of one, on the same engine
//! and database file (WAL). The same is measured for the raw RS256 signature
//! of the same backend and key, the floor: it tells what the hardware gives.
//!
//! `cargo bench -p agent-oauth-core --bench scaling [-- SECONDS ROUNDS]`

#[path = "support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::Duration;

use agent_oauth_core::Engine;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, RsaKeyPair};
use support::IP;

const KEY: &str = include_str!("../tests/keys/test-only-private-key.pem");

fn main() {
    let args = support::args();
    let seconds: f64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(3.0);
    let rounds: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    let duration = Duration::from_secs_f64(seconds);

    let dir = tempfile::tempdir().expect("tempdir");
    let engine = Engine::builder()
        .private_key_pem(KEY)
        .database_path(dir.path().join("scaling.db").to_string_lossy())
        .build()
        .expect("engine");
    let token = support::seed_agent_and_customer(&engine);

    let der = jsonwebtoken::EncodingKey::from_rsa_pem(KEY.as_bytes())
        .expect("pem")
        .as_bytes()
        .to_vec();
    let key = Arc::new(RsaKeyPair::from_der(&der).expect("key"));
    let sign = move || {
        let key = key.clone();
        let mut out = vec![0; key.public_modulus_len()];
        move || {
            key.sign(
                &signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                b"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzY2FsaW5nIn0",
                &mut out,
            )
            .expect("sign");
        }
    };
    let impersonate = || {
        let (engine, token) = (engine.clone(), token.clone());
        move || {
            engine
                .impersonate(&token, "DE--5", None, IP)
                .expect("impersonate");
        }
    };

    println!("{rounds} rounds, {seconds} s per run; rates per second");
    let (mut core_ratios, mut sign_ratios) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        let core1 = support::run(1, duration, impersonate);
        let core2 = support::run(2, duration, impersonate);
        let sign1 = support::run(1, duration, &sign);
        let sign2 = support::run(2, duration, &sign);
        println!(
            "round {round}: core 1 thread {core1:.1}, 2 threads {core2:.1} ({:.3}x); \
             raw sign 1 thread {sign1:.1}, 2 threads {sign2:.1} ({:.3}x)",
            core2 / core1,
            sign2 / sign1
        );
        core_ratios.push(core2 / core1);
        sign_ratios.push(sign2 / sign1);
    }
    println!(
        "median: core two threads / one {:.3}x; raw RS256 sign two threads / one {:.3}x",
        support::median(&mut core_ratios),
        support::median(&mut sign_ratios)
    );
}
