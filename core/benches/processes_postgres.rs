//! Two processes on one PostgreSQL against one (issue 11): impersonation
//! issuance per second of one process, then of two at once, on a server the
//! bench starts (as the tests do, see `tests/pg/mod.rs`). Each process is
//! this binary again, issuing from one thread as a PHP-FPM worker does; the
//! database server shares the machine's two cores with them.
//!
//! `cargo bench -p agent-oauth-core --bench processes_postgres [-- SECONDS ROUNDS]`

#[path = "../tests/pg/mod.rs"]
mod pg;
#[path = "support/mod.rs"]
mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use agent_oauth_core::{Config, Engine};
use support::IP;

const KEY: &str = include_str!("../tests/keys/test-only-private-key.pem");
const PREFIX: &str = "bench_processes_";
const CHILD: &str = "AO_BENCH_PROCESS";

fn config(url: &str, upgrade: bool) -> Config {
    Config {
        database_url: Some(url.into()),
        table_prefix: PREFIX.into(),
        upgrade_schema: upgrade,
        private_key_pem: Some(KEY.into()),
        ..Config::default()
    }
}

/// A child: builds its engine, waits for the start file, issues for the
/// given time and prints how many impersonations it issued.
fn child(spec: &str) {
    let mut parts = spec.splitn(4, '\n');
    let (url, token, seconds, go) = (
        parts.next().expect("url"),
        parts.next().expect("token"),
        parts.next().expect("seconds"),
        parts.next().expect("go file"),
    );
    let seconds: f64 = seconds.parse().expect("seconds");
    let engine = Engine::builder()
        .config(config(url, false))
        .build()
        .expect("engine");
    engine
        .impersonate(token, "DE--5", None, IP)
        .expect("warm-up impersonation");
    println!("ready");
    while !Path::new(go).exists() {
        std::thread::sleep(Duration::from_millis(1));
    }
    let until = Instant::now() + Duration::from_secs_f64(seconds);
    let mut done = 0u64;
    while Instant::now() < until {
        engine
            .impersonate(token, "DE--5", None, IP)
            .expect("impersonate");
        done += 1;
    }
    println!("done {done}");
}

/// Runs `processes` children for `seconds` at once; returns impersonations
/// per second of all of them together.
fn run(url: &str, token: &str, processes: usize, seconds: f64) -> f64 {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().expect("tempdir");
    let go = dir.path().join("go");
    let spec = format!("{url}\n{token}\n{seconds}\n{}", go.display());
    let exe = std::env::current_exe().expect("bench binary");
    let mut children: Vec<_> = (0..processes)
        .map(|_| {
            Command::new(&exe)
                .env(CHILD, &spec)
                .stdout(Stdio::piped())
                .spawn()
                .expect("spawn a process")
        })
        .collect();
    let mut outputs: Vec<_> = children
        .iter_mut()
        .map(|c| BufReader::new(c.stdout.take().expect("stdout")).lines())
        .collect();
    for lines in &mut outputs {
        let line = lines.next().expect("ready line").expect("read");
        assert_eq!(line, "ready");
    }
    std::fs::write(&go, "").expect("go file");
    let started = Instant::now();
    let mut total = 0u64;
    for lines in &mut outputs {
        let line = lines.next().expect("done line").expect("read");
        total += line
            .strip_prefix("done ")
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or_else(|| panic!("unexpected line {line:?}"));
    }
    let elapsed = started.elapsed().as_secs_f64().max(seconds);
    for mut c in children {
        assert!(c.wait().expect("wait").success(), "a process failed");
    }
    total as f64 / elapsed
}

fn main() {
    if let Ok(spec) = std::env::var(CHILD) {
        child(&spec);
        return;
    }
    let args = support::args();
    let seconds: f64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(3.0);
    let rounds: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    let Some(server) = pg::shared() else {
        return;
    };
    let url = server.url();
    let engine = Engine::builder()
        .config(config(&url, true))
        .build()
        .expect("engine");
    let token = support::seed_agent_and_customer(&engine);
    drop(engine);

    println!("{rounds} rounds, {seconds} s per run, one issuing thread per process");
    let mut ratios = Vec::new();
    for round in 1..=rounds {
        // Alternating which goes first, so the machine's drift weighs on both.
        let (one, two) = if round % 2 == 1 {
            let one = run(&url, &token, 1, seconds);
            (one, run(&url, &token, 2, seconds))
        } else {
            let two = run(&url, &token, 2, seconds);
            (run(&url, &token, 1, seconds), two)
        };
        println!(
            "round {round}: one process {one:.1}/s, two processes {two:.1}/s ({:.3}x)",
            two / one
        );
        ratios.push(two / one);
    }
    println!(
        "median: two processes / one on PostgreSQL {:.3}x (target >= 1.6)",
        support::median(&mut ratios)
    );
}
