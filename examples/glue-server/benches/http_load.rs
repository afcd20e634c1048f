//! Load over HTTP on loopback: impersonations per second through the server
//! against the core's own rate, both measured in this process with the same
//! number of concurrent callers on the same database file.
//!
//! `cargo bench -p agent-oauth-server --bench http_load [-- SECONDS CALLERS ROUNDS]`

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use agent_oauth_core::Engine;
use agent_oauth_core::directory::{AgentStatus, Customer};
use agent_oauth_server::http;

const KEY: &str = include_str!("../../../core/tests/keys/test-only-private-key.pem");
const IP: &str = "127.0.0.1";
const BODY: &str = r#"{"data":{"type":"agent-customer-impersonation-access-tokens","attributes":{"customerReference":"DE--5"}}}"#;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let seconds: f64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(4.0);
    let callers: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(4);
    let rounds: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(3);
    let duration = Duration::from_secs_f64(seconds);

    let dir = tempfile::tempdir().expect("tempdir");
    let engine = Engine::builder()
        .private_key_pem(KEY)
        .database_path(dir.path().join("load.db").to_string_lossy())
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
    let agent_token = engine
        .agent_login("admin@spryker.com", "change123", IP)
        .expect("login")
        .access_token;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let url = format!(
        "http://{}/agent-customer-impersonation-access-tokens",
        listener.local_addr().expect("addr")
    );
    runtime.spawn(http::serve(
        listener,
        http::router(engine.clone(), &http::Options::default()),
        http::Limits::default(),
    ));

    println!(
        "impersonation issuance, {callers} concurrent callers, {seconds} s per run, {rounds} rounds"
    );
    let (mut over_http, mut in_core) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        let h = run(callers, duration, || {
            let agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .new_agent();
            let (url, token) = (url.clone(), agent_token.clone());
            move || {
                let response = agent
                    .post(&url)
                    .header("Content-Type", "application/vnd.api+json")
                    .header("X-Agent-Authorization", &format!("Bearer {token}"))
                    .send(BODY)
                    .expect("request");
                assert_eq!(response.status(), 201, "HTTP impersonation failed");
            }
        });
        let c = run(callers, duration, || {
            let (engine, token) = (engine.clone(), agent_token.clone());
            move || {
                engine
                    .impersonate(&token, "DE--5", None, IP)
                    .expect("impersonate");
            }
        });
        println!(
            "round {round}: over HTTP {h:>8.1}/s   core {c:>8.1}/s   ratio {:.3}",
            h / c
        );
        over_http.push(h);
        in_core.push(c);
    }
    let (h, c) = (median(&mut over_http), median(&mut in_core));
    println!(
        "median: over HTTP {h:.1}/s, core {c:.1}/s, HTTP/core ratio {:.3}",
        h / c
    );
}

/// Calls `make()`'s operation from `callers` threads for `duration`; returns operations per second.
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
