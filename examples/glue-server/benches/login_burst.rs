//! A burst of concurrent agent logins over HTTP on loopback: 200 clients
//! released at once against the server (default argon2id parameters, the
//! default password pool of one worker per core), half with the demo agent's
//! password and half with unknown usernames. Reports every login's latency
//! (p50, p99, max) against the floor the pool allows: logins / workers × one
//! argon2id verification, measured in the same process.
//!
//! `cargo bench -p agent-oauth-server --bench login_burst [-- LOGINS ROUNDS]`

#[path = "../../../core/benches/support/mod.rs"]
mod support;

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use agent_oauth_core::admission::PasswordPoolConfig;
use agent_oauth_core::{Config, Engine};
use agent_oauth_server::http;

const KEY: &str = include_str!("../../../core/tests/keys/test-only-private-key.pem");

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let logins: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(200);
    let rounds: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(3);

    let dir = tempfile::tempdir().expect("tempdir");
    // As `serve` builds it: one argon2 working area kept per worker.
    let config = Config {
        private_key_pem: Some(KEY.into()),
        database_path: dir.path().join("burst.db").to_string_lossy().into(),
        password_pool: PasswordPoolConfig {
            keep_memory: true,
            ..PasswordPoolConfig::default()
        },
        ..Config::default()
    };
    let engine = Engine::builder().config(config).build().expect("engine");
    support::seed_agent(&engine);
    let workers = engine.config().password_pool.resolved_workers();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let url = format!(
        "http://{}/agent-access-tokens",
        listener.local_addr().expect("addr")
    );
    runtime.spawn(http::serve(
        listener,
        http::router(engine.clone(), &http::Options::default()),
        http::Limits::default(),
    ));

    let verification = argon2_verification();
    let floor = verification.mul_f64(logins as f64 / workers as f64);
    println!(
        "{logins} concurrent logins, {workers} password workers; one argon2id hash \
         {:.1} ms (median of 9, reused memory), floor for the burst {:.0} ms",
        ms(verification),
        ms(floor)
    );
    for round in 1..=rounds {
        let (mut latencies, statuses) = burst(&url, logins);
        latencies.sort();
        let pick = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
        let (p50, p99, max) = (pick(0.5), pick(0.99), latencies[latencies.len() - 1]);
        println!(
            "round {round}: statuses {statuses:?}; p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms; \
             p99 / floor {:.3}",
            ms(p50),
            ms(p99),
            ms(max),
            p99.as_secs_f64() / floor.as_secs_f64()
        );
    }
    println!(
        "peak RSS of this process (server and clients): {} KiB",
        peak_rss_kib()
    );
}

/// Fires `logins` requests released by one barrier; returns each one's
/// latency and the count of each status.
fn burst(url: &str, logins: usize) -> (Vec<Duration>, Vec<(u16, usize)>) {
    let barrier = Arc::new(Barrier::new(logins));
    let threads: Vec<_> = (0..logins)
        .map(|i| {
            let (barrier, url) = (barrier.clone(), url.to_owned());
            std::thread::spawn(move || {
                let (username, password) = if i % 2 == 0 {
                    ("admin@spryker.com".to_owned(), "change123")
                } else {
                    (format!("nobody-{i}@example.com"), "change123")
                };
                let body = format!(
                    r#"{{"data":{{"type":"agent-access-tokens","attributes":{{"username":"{username}","password":"{password}"}}}}}}"#
                );
                let agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .new_agent();
                barrier.wait();
                let started = Instant::now();
                let mut response = agent
                    .post(&url)
                    .header("Content-Type", "application/vnd.api+json")
                    .send(&body)
                    .expect("request");
                let _ = response.body_mut().read_to_string();
                (started.elapsed(), response.status().as_u16())
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(logins);
    let mut statuses: Vec<(u16, usize)> = Vec::new();
    for t in threads {
        let (latency, status) = t.join().expect("client");
        latencies.push(latency);
        match statuses.iter_mut().find(|(s, _)| *s == status) {
            Some((_, n)) => *n += 1,
            None => statuses.push((status, 1)),
        }
    }
    statuses.sort();
    (latencies, statuses)
}

/// Median time of one argon2id hash with the default parameters (D18) into
/// a reused working area, as the server's password workers do it, by the
/// argon2 crate itself: the work one login cannot avoid.
fn argon2_verification() -> Duration {
    let config = agent_oauth_core::password::Argon2Config::default();
    let params = argon2::Params::new(
        config.memory_kib,
        config.iterations,
        config.parallelism,
        Some(32),
    )
    .expect("params");
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut memory = vec![argon2::Block::default(); argon.params().block_count()];
    let mut out = [0u8; 32];
    let mut times: Vec<Duration> = (0..9)
        .map(|_| {
            let started = Instant::now();
            argon
                .hash_password_into_with_memory(
                    b"change123",
                    b"0123456789abcdef",
                    &mut out,
                    &mut memory,
                )
                .expect("hash");
            started.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}
