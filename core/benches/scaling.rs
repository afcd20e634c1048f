//! How impersonation issuance through the core scales from one caller to
//! two on this machine's two cores, in one process: the rate of two threads
//! calling `Engine::impersonate` against the rate of one, on the same engine
//! and database file (WAL). The same is measured for the raw RS256 signature
//! of the same backend and key, the floor: it tells what the hardware gives.
//!
//! `cargo bench -p agent-oauth-core --bench scaling [-- SECONDS ROUNDS]`

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use agent_oauth_core::Engine;
use agent_oauth_core::directory::{AgentStatus, Customer};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, RsaKeyPair};

const KEY: &str = include_str!("../tests/keys/test-only-private-key.pem");
const IP: &str = "127.0.0.1";

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let seconds: f64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(3.0);
    let rounds: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    let duration = Duration::from_secs_f64(seconds);

    let dir = tempfile::tempdir().expect("tempdir");
    let engine = Engine::builder()
        .private_key_pem(KEY)
        .database_path(dir.path().join("scaling.db").to_string_lossy())
        .build()
        .expect("engine");
    engine.install_scopes().expect("scopes");
    engine
        .add_agent_with_id(
            Some(1),
            "admin@spryker.com",
            "change123",
            AgentStatus::Active,
        )
        .expect("agent");
    engine
        .upsert_customer(&Customer {
            id_customer: 5,
            customer_reference: "DE--5".into(),
            email: "karl.schmidt@spryker.com".into(),
            first_name: "Karl".into(),
            last_name: "Schmidt".into(),
            id_company_user: None,
            permissions: None,
            is_active: true,
        })
        .expect("customer");
    let token = engine
        .agent_login("admin@spryker.com", "change123", IP)
        .expect("login")
        .access_token;

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
        let core1 = run(1, duration, impersonate);
        let core2 = run(2, duration, impersonate);
        let sign1 = run(1, duration, &sign);
        let sign2 = run(2, duration, &sign);
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
        median(&mut core_ratios),
        median(&mut sign_ratios)
    );
}

/// Calls `make()`'s operation from `callers` threads for `duration`;
/// returns operations per second.
fn run<F, Op>(callers: usize, duration: Duration, make: F) -> f64
where
    F: Fn() -> Op,
    Op: FnMut() + Send + 'static,
{
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let threads: Vec<_> = (0..callers)
        .map(|_| {
            let (stop, done, mut op) = (stop.clone(), done.clone(), make());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    op();
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(duration);
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().expect("caller");
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
