//! Load over HTTP on loopback: impersonations per second through the server
//! against the core's own rate, both measured in this process with the same
//! number of concurrent callers on the same database file. The HTTP callers
//! are minimal keep-alive clients (a prepared request, a response read by its
//! `Content-Length`), so that what the ratio shows is the server's cost, not
//! a client library's on the same two cores.
//!
//! `cargo bench -p agent-oauth-server --bench http_load [-- SECONDS CALLERS ROUNDS]`

#[path = "../../../core/benches/support/mod.rs"]
mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use agent_oauth_core::Engine;
use agent_oauth_core::glue::GlueRequest;
use agent_oauth_server::http;
use support::IP;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const KEY: &str = include_str!("../../../core/tests/keys/test-only-private-key.pem");
const BODY: &str = r#"{"data":{"type":"agent-customer-impersonation-access-tokens","attributes":{"customerReference":"DE--5"}}}"#;

fn main() {
    let args = support::args();
    let seconds: f64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(1.0);
    let callers: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(8);
    let rounds: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(12);
    let duration = Duration::from_secs_f64(seconds);

    let dir = tempfile::tempdir().expect("tempdir");
    let engine = Engine::builder()
        .private_key_pem(KEY)
        .database_path(dir.path().join("load.db").to_string_lossy())
        .build()
        .expect("engine");
    let agent_token = support::seed_agent_and_customer(&engine);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(
            std::env::var("BLOCKING")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(512),
        )
        .enable_all()
        .build()
        .expect("runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    // The whole request, as a client sends it; built once, since the
    // clients' own work is not what is measured.
    let request = format!(
        "POST /agent-customer-impersonation-access-tokens HTTP/1.1\r\n\
         Host: {addr}\r\n\
         Content-Type: application/vnd.api+json\r\n\
         X-Agent-Authorization: Bearer {agent_token}\r\n\
         Content-Length: {}\r\n\r\n{BODY}",
        BODY.len()
    )
    .into_bytes();
    runtime.spawn(http::serve(
        listener,
        http::router(engine.clone(), &http::Options::default()),
        http::Limits::default(),
    ));

    println!(
        "impersonation issuance, {callers} concurrent callers, {seconds} s per run, {rounds} rounds"
    );
    let (mut over_http, mut in_core, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let mut glue_ratios = Vec::new();
    let http = |callers: usize, duration: Duration| http_run(addr, &request, callers, duration);
    let core = || {
        let (engine, token) = (engine.clone(), agent_token.clone());
        move || {
            engine
                .impersonate(&token, "DE--5", None, IP)
                .expect("impersonate");
        }
    };
    let glue = || {
        let (engine, header) = (engine.clone(), format!("Bearer {agent_token}"));
        move || {
            let headers = [
                ("content-type", "application/vnd.api+json"),
                ("x-agent-authorization", header.as_str()),
            ];
            let response = engine.handle_glue(&GlueRequest {
                method: "POST",
                path: "/agent-customer-impersonation-access-tokens",
                query: "",
                headers: &headers,
                body: BODY.as_bytes(),
                client_ip: IP,
            });
            assert_eq!(response.status, 201, "Glue impersonation failed");
        }
    };
    // Short runs, alternating which side goes first, so that the machine's
    // drifting speed weighs on both sides alike.
    for round in 1..=rounds {
        let (h, g, c) = if round % 2 == 1 {
            let h = http(callers, duration);
            let g = support::run(callers, duration, glue);
            (h, g, support::run(callers, duration, core))
        } else {
            let c = support::run(callers, duration, core);
            let g = support::run(callers, duration, glue);
            (http(callers, duration), g, c)
        };
        println!(
            "round {round:>2}: over HTTP {h:>8.1}/s   Glue handler {g:>8.1}/s   core {c:>8.1}/s   \
             HTTP/core {:.3}   Glue/core {:.3}",
            h / c,
            g / c
        );
        glue_ratios.push(g / c);
        over_http.push(h);
        in_core.push(c);
        ratios.push(h / c);
    }
    let total = over_http.iter().sum::<f64>() / in_core.iter().sum::<f64>();
    println!(
        "median of {rounds} rounds: HTTP/core ratio {:.3} (over all rounds {total:.3}); \
         Glue handler in process/core {:.3}; over HTTP {:.1}/s, core {:.1}/s",
        support::median(&mut ratios),
        support::median(&mut glue_ratios),
        support::median(&mut over_http),
        support::median(&mut in_core)
    );
}

/// Keeps `connections` keep-alive HTTP/1.1 connections busy for `duration`
/// from one client thread with its own event loop (as wrk does, so that the
/// clients cost little of the two cores): each writes the prepared request
/// and reads one response (head, then `Content-Length` bytes of body),
/// checking the status and that a token came back. Returns responses per
/// second.
fn http_run(addr: SocketAddr, request: &[u8], connections: usize, duration: Duration) -> f64 {
    let request: Arc<[u8]> = request.into();
    std::thread::spawn(move || {
        let client = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("client runtime");
        client.block_on(async move {
            let stop = Instant::now() + duration;
            let started = Instant::now();
            let tasks: Vec<_> = (0..connections)
                .map(|_| {
                    let request = request.clone();
                    tokio::spawn(async move {
                        let mut stream =
                            tokio::net::TcpStream::connect(addr).await.expect("connect");
                        stream.set_nodelay(true).expect("nodelay");
                        let mut buf = Vec::with_capacity(16 * 1024);
                        let mut done = 0u64;
                        while Instant::now() < stop {
                            stream.write_all(&request).await.expect("send");
                            read_response(&mut stream, &mut buf).await;
                            done += 1;
                        }
                        done
                    })
                })
                .collect();
            let mut done = 0;
            for task in tasks {
                done += task.await.expect("client task");
            }
            done as f64 / started.elapsed().as_secs_f64()
        })
    })
    .join()
    .expect("client thread")
}

async fn read_response(stream: &mut tokio::net::TcpStream, buf: &mut Vec<u8>) {
    buf.clear();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.expect("receive");
        assert!(n > 0, "the server closed the connection");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = std::str::from_utf8(&buf[..head_end]).expect("head");
    assert!(
        head.starts_with("HTTP/1.1 201 "),
        "HTTP impersonation failed: {head}"
    );
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .expect("content-length");
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await.expect("receive");
        assert!(n > 0, "the server closed the connection");
        buf.extend_from_slice(&chunk[..n]);
    }
    assert!(
        find(&buf[head_end..], b"\"accessToken\"").is_some(),
        "no token in the answer"
    );
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
