//! What the throughput benches share (core's `scaling` and
//! `processes_postgres`, the server's `http_load`): the demo agent and
//! customer on an engine, a timed run of concurrent callers, and medians.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use agent_oauth_core::Engine;
use agent_oauth_core::directory::{AgentStatus, Customer};

/// The client address every bench request comes from.
pub const IP: &str = "127.0.0.1";

/// Installs the scopes and agent 1 (`admin@spryker.com` / `change123`).
pub fn seed_agent(engine: &Engine) {
    engine.install_scopes().expect("scopes");
    engine
        .add_agent_with_id(
            Some(1),
            "admin@spryker.com",
            "change123",
            AgentStatus::Active,
        )
        .expect("agent");
}

/// [`seed_agent`] and customer DE--5; returns a fresh agent access token.
pub fn seed_agent_and_customer(engine: &Engine) -> String {
    seed_agent(engine);
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
            impersonation_allowed: true,
        })
        .expect("customer");
    engine
        .agent_login("admin@spryker.com", "change123", IP)
        .expect("login")
        .access_token
}

/// Calls `make()`'s operation from `callers` threads for `duration`;
/// returns operations per second.
pub fn run<F, Op>(callers: usize, duration: Duration, make: F) -> f64
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

/// Alternates `rounds` batches of `batch` calls of `floor` and of `op`
/// (which goes first alternates too), so a machine whose speed drifts
/// weighs on both sides alike. Returns the median of the per-round ratios
/// (rate of `op` / rate of `floor`) and the median time per call of each,
/// in microseconds.
pub fn interleaved(
    rounds: usize,
    batch: usize,
    mut floor: impl FnMut(),
    mut op: impl FnMut(),
) -> (f64, f64, f64) {
    let timed = |f: &mut dyn FnMut()| {
        let started = Instant::now();
        for _ in 0..batch {
            f();
        }
        started.elapsed().as_secs_f64() * 1e6 / batch as f64
    };
    let (mut ratios, mut floors, mut ops) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let (f, o) = match round % 2 {
            0 => {
                let f = timed(&mut floor);
                (f, timed(&mut op))
            }
            _ => {
                let o = timed(&mut op);
                (timed(&mut floor), o)
            }
        };
        ratios.push(f / o);
        floors.push(f);
        ops.push(o);
    }
    (median(&mut ratios), median(&mut floors), median(&mut ops))
}

/// The median (the upper one of an even count).
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// `--`-less command-line arguments of a bench binary.
pub fn args() -> Vec<String> {
    std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect()
}
