//! Impersonation issuance through the C ABI against the core's rate, in one
//! process on one engine (D23: a database file in WAL mode with
//! `synchronous=NORMAL`, the signing key parsed once).
//!
//! The C side calls the exported functions exactly as a C host does (C
//! strings prepared once, the token response freed after each call); the
//! baseline calls `Engine::impersonate` on the same engine. Batches of the two
//! alternate, so the growing database weighs on both alike; the ratio is the
//! C ABI's rate over the core's, from the medians of the per-batch times.
//!
//! `cargo bench -p agent-oauth-ffi --bench ffi_issuance` (target >= 0.95).

use std::ffi::CString;
use std::hint::black_box;
use std::ptr;
use std::time::Instant;

use agent_oauth::{ao_engine, ao_engine_impersonate, ao_result, ao_token_response_free};
use agent_oauth_core::Engine;
use agent_oauth_core::directory::{AgentStatus, Customer};

const KEY: &str = include_str!("../../core/tests/keys/test-only-private-key.pem");
const IP: &str = "127.0.0.1";
const CUSTOMERS: i64 = 10_000;

fn setup(dir: &std::path::Path) -> (Engine, String) {
    let engine = Engine::builder()
        .private_key_pem(KEY)
        .database_path(dir.join("bench.db").to_string_lossy())
        .build()
        .expect("engine");
    engine.install_scopes().expect("scopes");
    engine
        .add_agent("admin@spryker.com", "change123", AgentStatus::Active)
        .expect("agent");
    for id in 1..=CUSTOMERS {
        engine
            .upsert_customer(&Customer {
                id_customer: id,
                customer_reference: format!("DE--{id}"),
                email: format!("customer{id}@example.com"),
                first_name: format!("First{id}"),
                last_name: format!("Last{id}"),
                id_company_user: None,
                permissions: None,
                is_active: true,
                impersonation_allowed: true,
            })
            .expect("customer");
    }
    let token = engine
        .agent_login("admin@spryker.com", "change123", IP)
        .expect("login")
        .access_token;
    (engine, token)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes --bench; anything else (cargo test --benches) is a smoke run.
    let full = std::env::args().any(|a| a == "--bench");
    let (rounds, batch) = if full { (40, 250) } else { (2, 5) };

    let dir = tempfile::tempdir().expect("tempdir");
    let (engine, agent_token) = setup(dir.path());
    let handle = ao_engine::from_core(engine.clone());
    let token = CString::new(agent_token.as_str()).unwrap();
    let reference = CString::new("DE--5000").unwrap();
    let ip = CString::new(IP).unwrap();

    let core_batch = || {
        let start = Instant::now();
        for _ in 0..batch {
            black_box(
                engine
                    .impersonate(black_box(&agent_token), "DE--5000", None, IP)
                    .expect("impersonate"),
            );
        }
        start.elapsed().as_secs_f64() / f64::from(batch)
    };
    let ffi_batch = || {
        let start = Instant::now();
        for _ in 0..batch {
            let mut out = ptr::null_mut();
            // SAFETY: live handle, NUL-terminated strings, a writable out-parameter.
            let rc = unsafe {
                ao_engine_impersonate(
                    handle,
                    black_box(token.as_ptr()),
                    reference.as_ptr(),
                    ptr::null(),
                    ip.as_ptr(),
                    &mut out,
                )
            };
            assert_eq!(rc, ao_result::Ok);
            // SAFETY: `out` came from the call above.
            unsafe { ao_token_response_free(black_box(out)) };
        }
        start.elapsed().as_secs_f64() / f64::from(batch)
    };

    // Warm-up: caches, page cache, the WAL.
    core_batch();
    ffi_batch();
    let (mut core, mut ffi) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        if round % 2 == 0 {
            core.push(core_batch());
            ffi.push(ffi_batch());
        } else {
            ffi.push(ffi_batch());
            core.push(core_batch());
        }
    }
    let (core, ffi) = (median(core), median(ffi));
    println!("impersonation issuance, {rounds} alternating batches of {batch} (median per call):");
    println!(
        "  core  Engine::impersonate     {:8.1} us  ({:.0}/s)",
        core * 1e6,
        1.0 / core
    );
    println!(
        "  C ABI ao_engine_impersonate   {:8.1} us  ({:.0}/s)",
        ffi * 1e6,
        1.0 / ffi
    );
    println!(
        "  ratio (C ABI rate / core rate): {:.3} (target >= 0.95)",
        core / ffi
    );
    // SAFETY: the handle is freed once, after its last use.
    unsafe { agent_oauth::ao_engine_free(handle) };
}
