//! Reliability of the server (issue 10, "Show it"), measured on the real
//! binary over 127.0.0.1:
//!
//! - peak memory of a burst of 200 concurrent logins with the default argon2
//!   parameters (19 MiB per verification, D18), read from the server's
//!   `VmHWM`;
//! - a soak under a mixed workload of 8 clients for
//!   `AGENT_OAUTH_SOAK_SECONDS` (default 45): no 5xx, no refresh token spent
//!   twice, RSS flat after warm-up, `PRAGMA integrity_check` ok;
//! - faults while serving: `kill -9` in a stream of refreshes, a database
//!   that refuses writes, a full disk.
//!
//! Every test is bounded in requests and time and stops by itself; the
//! assertions are on statuses, bodies, counts and memory, never on time
//! taken. Each test prints its figures (run with `--nocapture`);
//! RELIABILITY.md records them with the commands that reproduce them.

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, mpsc};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_agent-oauth-server");
const BASE: &str = "https://glue.mysprykershop.com";
const JSON_API: &str = "application/vnd.api+json";
const LOGIN: &str = "/agent-access-tokens";
const IMPERSONATION: &str = "/agent-customer-impersonation-access-tokens";
const REFRESH: &str = "/refresh-tokens";
const SEARCH: &str = "/agent-customer-search";
const AGENT: &str = "admin@spryker.com";
const PASSWORD: &str = "change123";

/// The test parameters of D24, for the tests that are not about hashing.
const CHEAP_CONFIG: &str = r#"{"argon2":{"memory_kib":256,"iterations":1,"parallelism":1}}"#;
/// Every default, argon2 (m=19456 KiB, t=2, p=1) and the password pool included.
const DEFAULT_CONFIG: &str = "{}";

const E001: &str = r#"{"errors":[{"detail":"Invalid access token.","status":401,"code":"001"}]}"#;
const E004: &str =
    r#"{"errors":[{"code":"004","status":401,"detail":"Failed to refresh token."}]}"#;
const E4101: &str =
    r#"{"errors":[{"code":"4101","status":401,"detail":"Failed to authenticate an agent."}]}"#;
const E500: &str = r#"{"errors":[{"status":500,"detail":"Internal Server Error"}]}"#;
const E503: &str =
    r#"{"errors":[{"detail":"Too many requests in progress. Please try again.","status":503}]}"#;

// ---------------------------------------------------------------------------
// The server process and a small HTTP client

/// A server process over a data directory, killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The options naming the data directory, its database and configuration.
fn global_args(dir: &Path) -> Vec<OsString> {
    vec![
        "--data-dir".into(),
        dir.as_os_str().to_owned(),
        "--db".into(),
        dir.join("agent-oauth.db").into_os_string(),
        "--config".into(),
        dir.join("config.json").into_os_string(),
    ]
}

/// A data directory at `dir` with `config` as its configuration file.
fn prepare(dir: &Path, config: &str) {
    std::fs::write(dir.join("config.json"), config).expect("config");
}

/// Runs an admin subcommand on `dir` and asserts it succeeded.
fn cli(dir: &Path, args: &[&str]) {
    let output = Command::new(BIN)
        .current_dir(dir)
        .args(global_args(dir))
        .args(args)
        .output()
        .expect("run agent-oauth-server");
    assert!(
        output.status.success(),
        "agent-oauth-server {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

impl Server {
    /// `serve --demo` on an ephemeral port over the data directory `dir`.
    /// It is started through `sh` with SIGXFSZ ignored (an ignored signal
    /// stays ignored across `exec`, and the process id is the server's), so
    /// that a file-size limit set on it later, the fallback of the fault
    /// tests, fails its writes with EFBIG instead of killing it.
    fn start(dir: &Path) -> Server {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(r#"trap '' XFSZ; exec "$0" "$@""#)
            .arg(BIN)
            .current_dir(dir)
            .args(global_args(dir))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--demo",
                "--base-url",
                BASE,
            ])
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn agent-oauth-server");
        let log = Arc::new(Mutex::new(String::new()));
        let (stderr, sink) = (child.stderr.take().expect("stderr"), log.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = sink.lock().expect("log");
                log.push_str(&line);
                log.push('\n');
            }
        });
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
            for line in lines.by_ref() {
                if let Some(address) = line.strip_prefix("listening on http://") {
                    let _ = tx.send(address.trim().to_owned());
                    break;
                }
            }
            for _ in lines {}
        });
        let address = rx.recv_timeout(Duration::from_secs(60));
        let mut server = Server {
            child,
            addr: "0.0.0.0:0".parse().expect("placeholder"),
            log,
        };
        match address {
            Ok(address) => server.addr = address.parse().expect("listen address"),
            Err(_) => panic!("server did not start:\n{}", server.log()),
        }
        server
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn log(&self) -> String {
        self.log.lock().expect("log").clone()
    }

    fn client(&self) -> Client {
        Client::new(self.addr)
    }

    /// True while the process runs.
    fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }

    /// `kill -9` and wait for the exit.
    fn kill_9(&mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("wait");
    }

    /// SIGTERM (a graceful stop) and wait for the exit.
    fn stop(&mut self) {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status()
            .expect("kill");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.is_running() {
            assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// A field of `/proc/<pid>/status` in KiB (`VmHWM`, `VmRSS`).
    fn status_kib(&self, field: &str) -> u64 {
        proc_status_kib(self.pid(), field).unwrap_or_else(|| panic!("{field} of the server"))
    }
}

fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()
}

/// An HTTP answer.
#[derive(Debug, Clone)]
struct Reply {
    status: u16,
    content_type: Option<String>,
    body: String,
}

impl Reply {
    /// An error answer: exact status, body and media type.
    fn is_error(&self, status: u16, body: &str) -> bool {
        self.status == status && self.body == body && self.content_type.as_deref() == Some(JSON_API)
    }

    #[track_caller]
    fn assert_error(&self, status: u16, body: &str) {
        assert!(
            self.is_error(status, body),
            "expected {status} {body}, got {self:?}"
        );
    }

    /// The pair of a 201 token answer.
    #[track_caller]
    fn tokens(&self) -> Tokens {
        assert_eq!(self.status, 201, "{self:?}");
        self.try_tokens().expect("token attributes")
    }

    fn try_tokens(&self) -> Option<Tokens> {
        if self.status != 201 {
            return None;
        }
        let doc: serde_json::Value = serde_json::from_str(&self.body).ok()?;
        let attributes = &doc["data"]["attributes"];
        Some(Tokens {
            access: attributes["accessToken"].as_str()?.to_owned(),
            refresh: attributes["refreshToken"].as_str()?.to_owned(),
        })
    }
}

#[derive(Debug, Clone)]
struct Tokens {
    access: String,
    refresh: String,
}

/// Keeps its connections alive; transport failures are returned, not
/// panicked on (the server may be killed under it).
#[derive(Clone)]
struct Client {
    http: ureq::Agent,
    url: String,
}

impl Client {
    fn new(addr: SocketAddr) -> Client {
        let http = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .new_agent();
        Client {
            http,
            url: format!("http://{addr}"),
        }
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Result<Reply, String> {
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.url));
        if !body.is_empty() {
            request = request.header("Content-Type", JSON_API);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(body.as_bytes().to_vec())
            .map_err(|e| e.to_string())?;
        let mut response = self.http.run(request).map_err(|e| e.to_string())?;
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response
            .body_mut()
            .read_to_string()
            .map_err(|e| e.to_string())?;
        Ok(Reply {
            status: response.status().as_u16(),
            content_type,
            body,
        })
    }

    #[track_caller]
    fn call(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
        self.send(method, path, headers, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    fn login(&self, username: &str, password: &str) -> Reply {
        self.call("POST", LOGIN, &[], &login_body(username, password))
    }

    fn impersonate(&self, agent_access: &str, reference: &str) -> Reply {
        let auth = bearer(agent_access);
        self.call(
            "POST",
            IMPERSONATION,
            &[("X-Agent-Authorization", &auth)],
            &impersonation_body(reference),
        )
    }

    fn refresh(&self, token: &str) -> Reply {
        self.call("POST", REFRESH, &[], &refresh_body(token))
    }

    fn try_refresh(&self, token: &str) -> Result<Reply, String> {
        self.send("POST", REFRESH, &[], &refresh_body(token))
    }

    fn revoke(&self, caller_access: &str, refresh: &str) -> Reply {
        let auth = bearer(caller_access);
        self.call(
            "DELETE",
            &format!("{REFRESH}/{refresh}"),
            &[("Authorization", &auth)],
            "",
        )
    }

    fn search(&self, agent_access: &str, query: &str) -> Reply {
        let auth = bearer(agent_access);
        self.call(
            "GET",
            &format!("{SEARCH}?q={query}"),
            &[("Authorization", &auth)],
            "",
        )
    }
}

fn body(resource: &str, attributes: &[(&str, &str)]) -> String {
    let attributes: serde_json::Map<String, serde_json::Value> = attributes
        .iter()
        .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v)))
        .collect();
    serde_json::json!({"data": {"type": resource, "attributes": attributes}}).to_string()
}

fn login_body(username: &str, password: &str) -> String {
    body(
        "agent-access-tokens",
        &[("username", username), ("password", password)],
    )
}

fn impersonation_body(reference: &str) -> String {
    body(
        "agent-customer-impersonation-access-tokens",
        &[("customerReference", reference)],
    )
}

fn refresh_body(token: &str) -> String {
    body("refresh-tokens", &[("refreshToken", token)])
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// What the database says after the server has stopped: the rows of
/// `PRAGMA integrity_check`, and the refresh tokens that have more than one
/// child (a token spent twice; with the reuse grace off, D9, none may).
fn check_database(db: &Path) -> (Vec<String>, i64) {
    let conn = rusqlite::Connection::open(db).expect("open the database");
    let integrity = conn
        .prepare("PRAGMA integrity_check")
        .expect("prepare")
        .query_map([], |r| r.get::<_, String>(0))
        .expect("integrity_check")
        .collect::<Result<Vec<_>, _>>()
        .expect("rows");
    let spent_twice = conn
        .query_row(
            "SELECT COUNT(*) FROM (SELECT parent_id FROM refresh_token
               WHERE parent_id IS NOT NULL GROUP BY parent_id HAVING COUNT(*) > 1)",
            [],
            |r| r.get(0),
        )
        .expect("children per token");
    (integrity, spent_twice)
}

#[track_caller]
fn assert_database_sound(db: &Path) {
    let (integrity, spent_twice) = check_database(db);
    assert_eq!(integrity, ["ok"], "PRAGMA integrity_check");
    assert_eq!(spent_twice, 0, "refresh tokens with two children");
}

/// The value at quantile `q` (0..=1) of sorted `values`.
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    let rank = ((sorted.len() as f64) * q).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1e3)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

// ---------------------------------------------------------------------------
// 1. Peak memory under 200 concurrent logins

#[test]
fn peak_rss_of_200_concurrent_logins_with_default_argon2_is_at_most_256_mib() {
    const LOGINS: usize = 200;
    let dir = tempfile::tempdir().expect("tempdir");
    prepare(dir.path(), DEFAULT_CONFIG);
    let server = Server::start(dir.path());
    let hwm_at_start = server.status_kib("VmHWM");

    // Unknown usernames, one each: every login costs one full argon2id
    // verification (D18) and none shares a lockout key.
    let barrier = Barrier::new(LOGINS);
    let answers: Vec<(Result<Reply, String>, Duration)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..LOGINS)
            .map(|i| {
                let (barrier, client) = (&barrier, server.client());
                s.spawn(move || {
                    let body = login_body(&format!("nobody-{i}@example.com"), "wrong-password");
                    barrier.wait();
                    let started = Instant::now();
                    let reply = client.send("POST", LOGIN, &[], &body);
                    (reply, started.elapsed())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let hwm = server.status_kib("VmHWM");
    let rss_after = server.status_kib("VmRSS");

    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    let mut latencies = Vec::new();
    for (reply, latency) in &answers {
        let reply = reply.as_ref().expect("an answer to every login");
        *statuses.entry(reply.status).or_default() += 1;
        match reply.status {
            401 => reply.assert_error(401, E4101),
            503 => reply.assert_error(503, E503),
            _ => panic!("a login of an unknown user answered {reply:?}"),
        }
        latencies.push(*latency);
    }
    latencies.sort();
    println!(
        "200 concurrent logins, default argon2: statuses {statuses:?}; latency p50 {} p99 {} max {}; \
         server VmHWM {} (at start {}), VmRSS after {}",
        ms(quantile(&latencies, 0.50)),
        ms(quantile(&latencies, 0.99)),
        ms(*latencies.last().expect("latencies")),
        mib(hwm),
        mib(hwm_at_start),
        mib(rss_after),
    );
    assert!(hwm <= 256 * 1024, "peak RSS {} is above 256 MiB", mib(hwm));
}

// ---------------------------------------------------------------------------
// 2. Soak

/// What the soak's clients saw, together.
#[derive(Default)]
struct SoakTally {
    /// Answers by operation and status.
    answers: Mutex<BTreeMap<(&'static str, u16), usize>>,
    requests: AtomicUsize,
    server_errors: AtomicUsize,
    /// Answers other than the one expected (a few kept for the message).
    unexpected: AtomicUsize,
    examples: Mutex<Vec<String>>,
    /// 201 answers per presented refresh token.
    spent: Mutex<HashMap<String, u32>>,
    double_spends: AtomicUsize,
}

/// One session the client holds: its latest pair and the refresh token it
/// spent last (for deliberate reuse).
struct Session {
    tokens: Tokens,
    spent: Option<String>,
}

/// One of the soak's clients: its own agent (so that revoking `mine` ends
/// only its own sessions and every answer is known in advance), its agent
/// session and the impersonations that session started.
struct SoakClient<'a> {
    n: usize,
    username: String,
    password: String,
    http: Client,
    agent: Option<Session>,
    impersonations: Vec<Session>,
    rng: u64,
    failed_logins: usize,
    tally: &'a SoakTally,
}

impl SoakClient<'_> {
    fn random(&mut self, n: usize) -> usize {
        // xorshift64*
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        (self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }

    /// Sends a request and checks its answer: the answer (`None` on a
    /// transport failure) and whether it is the one expected (status, media
    /// type, and body if given).
    fn exchange(
        &mut self,
        op: &'static str,
        (method, path, headers, body): (&str, &str, &[(&str, &str)], &str),
        status: u16,
        expected_body: Option<&str>,
    ) -> Option<(Reply, bool)> {
        let tally = self.tally;
        tally.requests.fetch_add(1, Ordering::Relaxed);
        let reply = match self.http.send(method, path, headers, body) {
            Ok(reply) => reply,
            Err(e) => {
                self.unexpected(format!("{op}: transport error {e}"));
                return None;
            }
        };
        *tally
            .answers
            .lock()
            .unwrap()
            .entry((op, reply.status))
            .or_default() += 1;
        if reply.status >= 500 {
            tally.server_errors.fetch_add(1, Ordering::Relaxed);
        }
        // A 204 has no body and so no media type.
        let media_type = match reply.status {
            204 => reply.body.is_empty() && reply.content_type.is_none(),
            _ => reply.content_type.as_deref() == Some(JSON_API),
        };
        let as_expected =
            reply.status == status && media_type && expected_body.is_none_or(|b| b == reply.body);
        if !as_expected {
            self.unexpected(format!("{op}: expected {status}, got {reply:?}"));
        }
        Some((reply, as_expected))
    }

    /// As [`SoakClient::exchange`]; the answer only when it is the one expected.
    fn expect(
        &mut self,
        op: &'static str,
        request: (&str, &str, &[(&str, &str)], &str),
        status: u16,
        expected_body: Option<&str>,
    ) -> Option<Reply> {
        match self.exchange(op, request, status, expected_body) {
            Some((reply, true)) => Some(reply),
            _ => None,
        }
    }

    fn unexpected(&mut self, what: String) {
        self.tally.unexpected.fetch_add(1, Ordering::Relaxed);
        let mut examples = self.tally.examples.lock().unwrap();
        if examples.len() < 10 {
            examples.push(format!("client {}: {what}", self.n));
        }
        drop(examples);
        // Start over from a fresh login: the state is no longer known.
        self.agent = None;
        self.impersonations.clear();
    }

    /// Presents a refresh token; `expect_new` says whether a new pair (201)
    /// or 004 is the right answer. Every 201 is counted against the token.
    fn refresh(&mut self, op: &'static str, token: &str, expect_new: bool) -> Option<Tokens> {
        let body = refresh_body(token);
        let (status, expected) = match expect_new {
            true => (201, None),
            false => (401, Some(E004)),
        };
        let (reply, as_expected) =
            self.exchange(op, ("POST", REFRESH, &[], &body), status, expected)?;
        // Every 201 counts against the token, expected or not: a second one
        // is a double spend.
        if reply.status == 201 {
            let mut spent = self.tally.spent.lock().unwrap();
            let count = spent.entry(token.to_owned()).or_default();
            *count += 1;
            if *count > 1 {
                self.tally.double_spends.fetch_add(1, Ordering::Relaxed);
            }
        }
        match as_expected && expect_new {
            true => reply.try_tokens(),
            false => None,
        }
    }

    fn step(&mut self) {
        if self.agent.is_none() {
            return self.login();
        }
        match self.random(100) {
            0..8 => self.relogin(),
            8..13 => self.failed_login(),
            13..38 => self.search(),
            38..53 => self.impersonate(),
            53..68 => self.refresh_agent(),
            68..83 => self.refresh_impersonation(),
            83..90 => self.reuse(),
            90..94 => self.revoke_mine(),
            _ => self.end_assistance(),
        }
    }

    fn login(&mut self) {
        let body = login_body(&self.username, &self.password);
        if let Some(reply) = self.expect("login", ("POST", LOGIN, &[], &body), 201, None) {
            self.agent = reply.try_tokens().map(|tokens| Session {
                tokens,
                spent: None,
            });
        }
    }

    /// A new login after ending the current session by revoking its refresh
    /// token, which also ends the impersonations it started (D8).
    fn relogin(&mut self) {
        let old = self.agent.take().expect("agent");
        let (path, auth) = (
            format!("{REFRESH}/{}", old.tokens.refresh),
            bearer(&old.tokens.access),
        );
        let revoked = self.expect(
            "revoke",
            ("DELETE", &path, &[("Authorization", &auth)], ""),
            204,
            None,
        );
        if revoked.is_none() {
            return;
        }
        self.refresh("refresh-revoked", &old.tokens.refresh, false);
        if let Some(imp) = self.impersonations.pop() {
            self.refresh("refresh-revoked", &imp.tokens.refresh, false);
        }
        self.impersonations.clear();
        self.login();
    }

    fn failed_login(&mut self) {
        self.failed_logins += 1;
        let username = format!("nobody-{}-{}@example.com", self.n, self.failed_logins);
        let body = login_body(&username, "wrong-password");
        self.expect(
            "failed-login",
            ("POST", LOGIN, &[], &body),
            401,
            Some(E4101),
        );
    }

    fn search(&mut self) {
        let query = ["ma", "k", "spryker", "DE--"][self.random(4)];
        let path = format!("{SEARCH}?q={query}&page[offset]=0&page[limit]=2");
        let auth = bearer(&self.agent.as_ref().expect("agent").tokens.access);
        self.expect(
            "search",
            ("GET", &path, &[("Authorization", &auth)], ""),
            200,
            None,
        );
    }

    fn impersonate(&mut self) {
        let reference = format!("DE--{}", 1 + self.random(6));
        let body = impersonation_body(&reference);
        let auth = bearer(&self.agent.as_ref().expect("agent").tokens.access);
        let reply = self.expect(
            "impersonate",
            (
                "POST",
                IMPERSONATION,
                &[("X-Agent-Authorization", &auth)],
                &body,
            ),
            201,
            None,
        );
        if let Some(tokens) = reply.and_then(|r| r.try_tokens()) {
            self.impersonations.push(Session {
                tokens,
                spent: None,
            });
            if self.impersonations.len() > 4 {
                self.end_assistance_of(0);
            }
        }
    }

    fn refresh_agent(&mut self) {
        let token = self.agent.as_ref().expect("agent").tokens.refresh.clone();
        if let Some(tokens) = self.refresh("refresh-agent", &token, true) {
            self.agent = Some(Session {
                tokens,
                spent: Some(token),
            });
        }
    }

    fn refresh_impersonation(&mut self) {
        if self.impersonations.is_empty() {
            return self.impersonate();
        }
        let i = self.random(self.impersonations.len());
        let token = self.impersonations[i].tokens.refresh.clone();
        if let Some(tokens) = self.refresh("refresh-impersonation", &token, true) {
            self.impersonations[i] = Session {
                tokens,
                spent: Some(token),
            };
        }
    }

    /// Presents a spent refresh token again: 004, and its family is revoked
    /// (D9, grace 0), so the family's current token is refused too. For an
    /// agent session, its access token and its impersonations end with it.
    fn reuse(&mut self) {
        let candidates: Vec<usize> = (0..self.impersonations.len())
            .filter(|&i| self.impersonations[i].spent.is_some())
            .collect();
        let agent_spent = self.agent.as_ref().and_then(|a| a.spent.clone());
        let use_agent = agent_spent.is_some() && (candidates.is_empty() || self.random(4) == 0);
        if use_agent {
            let session = self.agent.take().expect("agent");
            self.refresh("reuse", &agent_spent.expect("spent"), false);
            self.refresh("refresh-revoked", &session.tokens.refresh, false);
            let auth = bearer(&session.tokens.access);
            let path = format!("{SEARCH}?q=ma");
            self.expect(
                "search-revoked",
                ("GET", &path, &[("Authorization", &auth)], ""),
                401,
                Some(E001),
            );
            if let Some(imp) = self.impersonations.pop() {
                self.refresh("refresh-revoked", &imp.tokens.refresh, false);
            }
            self.impersonations.clear();
        } else if !candidates.is_empty() {
            let i = candidates[self.random(candidates.len())];
            let session = self.impersonations.remove(i);
            self.refresh("reuse", &session.spent.expect("spent"), false);
            self.refresh("refresh-revoked", &session.tokens.refresh, false);
        } else {
            self.refresh_agent();
        }
    }

    /// `DELETE /refresh-tokens/mine`: every session of this agent ends.
    fn revoke_mine(&mut self) {
        let session = self.agent.take().expect("agent");
        let auth = bearer(&session.tokens.access);
        let path = format!("{REFRESH}/mine");
        if self
            .expect(
                "revoke-mine",
                ("DELETE", &path, &[("Authorization", &auth)], ""),
                204,
                None,
            )
            .is_none()
        {
            return;
        }
        self.refresh("refresh-revoked", &session.tokens.refresh, false);
        for imp in std::mem::take(&mut self.impersonations) {
            self.refresh("refresh-revoked", &imp.tokens.refresh, false);
        }
    }

    fn end_assistance(&mut self) {
        if self.impersonations.is_empty() {
            return self.impersonate();
        }
        let i = self.random(self.impersonations.len());
        self.end_assistance_of(i);
    }

    /// The impersonation caller ends its own session (D8): 204, then 004.
    fn end_assistance_of(&mut self, i: usize) {
        let session = self.impersonations.remove(i);
        let path = format!("{REFRESH}/{}", session.tokens.refresh);
        let auth = bearer(&session.tokens.access);
        if self
            .expect(
                "revoke",
                ("DELETE", &path, &[("Authorization", &auth)], ""),
                204,
                None,
            )
            .is_some()
        {
            self.refresh("refresh-revoked", &session.tokens.refresh, false);
        }
    }
}

/// RSS samples of a process, taken every 250 ms until stopped.
struct RssSampler {
    stop: Arc<AtomicBool>,
    handle: std::thread::JoinHandle<Vec<(Duration, u64)>>,
}

impl RssSampler {
    fn start(pid: u32) -> RssSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let started = Instant::now();
            let mut samples = Vec::new();
            while !flag.load(Ordering::Relaxed) {
                if let Some(kib) = proc_status_kib(pid, "VmRSS") {
                    samples.push((started.elapsed(), kib));
                }
                std::thread::sleep(Duration::from_millis(250));
            }
            samples
        });
        RssSampler { stop, handle }
    }

    fn finish(self) -> Vec<(Duration, u64)> {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().expect("sampler")
    }
}

/// Issuances before the soak's timed workload (see the soak's doc comment).
const WARM_UP_ISSUANCES: usize = 8000;

/// One client's part of the warm-up: a login of its agent, then
/// impersonations, each refreshed once (two issuances per round).
fn soak_warm_up(http: &Client, n: usize, issuances: usize) {
    let agent = http
        .login(&format!("agent-{n}@example.com"), &format!("password-{n}"))
        .tokens();
    for i in 0..issuances / 2 {
        let imp = http
            .impersonate(&agent.access, &format!("DE--{}", 1 + i % 6))
            .tokens();
        http.refresh(&imp.refresh).tokens();
    }
}

/// The soak: 8 clients, each with its own agent, run a mixed workload
/// (logins good and bad, searches, impersonations, refreshes, deliberate
/// reuse of spent refresh tokens, revocations of one session and of `mine`)
/// for `AGENT_OAUTH_SOAK_SECONDS` (default 45) against a server with the
/// default configuration. Every answer is known in advance and checked.
///
/// Warm-up: before the timed workload the clients log in together (so the
/// password workers have taken their argon2 memory) and issue 8,000 tokens
/// (impersonations and their refreshes), so that each agent has a history
/// and the database connections' page caches (2 MiB each, bounded) fill
/// early instead of growing through a short run. "RSS flat after warm-up"
/// is then: the largest RSS sampled in the second half of the timed
/// workload is at most the largest of its first half plus 8 MiB.
#[test]
fn soak_mixed_workload_has_no_5xx_no_double_spend_flat_rss_and_a_sound_database() {
    const CLIENTS: usize = 8;
    const RSS_MARGIN_KIB: u64 = 8 * 1024;
    let seconds: u64 = std::env::var("AGENT_OAUTH_SOAK_SECONDS")
        .ok()
        .map(|s| {
            s.parse()
                .expect("AGENT_OAUTH_SOAK_SECONDS is a number of seconds")
        })
        .unwrap_or(45);
    let duration = Duration::from_secs(seconds);
    let dir = tempfile::tempdir().expect("tempdir");
    prepare(dir.path(), DEFAULT_CONFIG);
    for n in 0..CLIENTS {
        cli(
            dir.path(),
            &[
                "agent",
                "add",
                &format!("agent-{n}@example.com"),
                "--password",
                &format!("password-{n}"),
                "--id",
                &(100 + n).to_string(),
            ],
        );
    }
    let mut server = Server::start(dir.path());
    let tally = SoakTally::default();
    let warm_up_started = Instant::now();
    std::thread::scope(|s| {
        for n in 0..CLIENTS {
            let http = server.client();
            s.spawn(move || soak_warm_up(&http, n, WARM_UP_ISSUANCES / CLIENTS));
        }
    });
    let warm_up = warm_up_started.elapsed();
    let rss_after_warm_up = server.status_kib("VmRSS");
    let sampler = RssSampler::start(server.pid());
    let started = Instant::now();
    std::thread::scope(|s| {
        for n in 0..CLIENTS {
            let (tally, http) = (&tally, server.client());
            s.spawn(move || {
                let mut client = SoakClient {
                    n,
                    username: format!("agent-{n}@example.com"),
                    password: format!("password-{n}"),
                    http,
                    agent: None,
                    impersonations: Vec::new(),
                    rng: 0x9E37_79B9_7F4A_7C15 ^ (n as u64 + 1),
                    failed_logins: 0,
                    tally,
                };
                while started.elapsed() < duration {
                    client.step();
                }
            });
        }
    });
    let elapsed = started.elapsed();
    let samples = sampler.finish();
    assert!(server.is_running(), "the server died:\n{}", server.log());
    server.stop();
    let (integrity, spent_twice) = check_database(&dir.path().join("agent-oauth.db"));

    let half = elapsed / 2;
    let max_in = |first: bool| {
        samples
            .iter()
            .filter(|(t, _)| (*t < half) == first)
            .map(|&(_, kib)| kib)
            .max()
            .unwrap_or(0)
    };
    let (first_half, last_half) = (max_in(true), max_in(false));
    let requests = tally.requests.load(Ordering::Relaxed);
    let answers = tally.answers.lock().unwrap().clone();
    let refreshes_201: usize = tally
        .spent
        .lock()
        .unwrap()
        .values()
        .map(|&n| n as usize)
        .sum();
    println!(
        "soak {:.0} s, {CLIENTS} clients, after a warm-up of {WARM_UP_ISSUANCES} issuances in \
         {:.0} s (RSS then {}): {requests} requests ({:.0}/s), 5xx {}, unexpected {}, \
         refresh tokens spent (201) {refreshes_201}, spent twice {} (database: {spent_twice}), \
         RSS max first half {} / last half {} ({} samples), integrity_check {integrity:?}",
        elapsed.as_secs_f64(),
        warm_up.as_secs_f64(),
        mib(rss_after_warm_up),
        requests as f64 / elapsed.as_secs_f64(),
        tally.server_errors.load(Ordering::Relaxed),
        tally.unexpected.load(Ordering::Relaxed),
        tally.double_spends.load(Ordering::Relaxed),
        mib(first_half),
        mib(last_half),
        samples.len(),
    );
    let tenths: Vec<String> = (0..10)
        .map(|k| {
            let (from, to) = (elapsed * k / 10, elapsed * (k + 1) / 10);
            samples
                .iter()
                .filter(|(t, _)| *t >= from && *t < to)
                .map(|&(_, kib)| kib)
                .max()
                .map_or_else(
                    || "-".to_owned(),
                    |kib| format!("{:.1}", kib as f64 / 1024.0),
                )
        })
        .collect();
    println!("  RSS max per tenth of the run, MiB: {}", tenths.join(" "));
    for ((op, status), n) in &answers {
        println!("  {op:<22} {status} x {n}");
    }
    let examples = tally.examples.lock().unwrap().clone();
    assert_eq!(
        tally.server_errors.load(Ordering::Relaxed),
        0,
        "5xx answers; {examples:#?}\n{}",
        server.log()
    );
    assert_eq!(
        tally.unexpected.load(Ordering::Relaxed),
        0,
        "unexpected answers: {examples:#?}"
    );
    assert_eq!(tally.double_spends.load(Ordering::Relaxed), 0);
    assert_eq!(spent_twice, 0, "refresh tokens with two children");
    assert_eq!(integrity, ["ok"]);
    for op in [
        "login",
        "failed-login",
        "search",
        "impersonate",
        "reuse",
        "revoke",
        "revoke-mine",
    ] {
        assert!(
            answers.keys().any(|(o, _)| *o == op),
            "the workload never ran {op}"
        );
    }
    assert!(
        last_half <= first_half + RSS_MARGIN_KIB,
        "RSS grew after warm-up: max {} in the first half, {} in the last",
        mib(first_half),
        mib(last_half)
    );
}

// ---------------------------------------------------------------------------
// 3a. kill -9 during a stream of refreshes

/// One refresh-token family a client keeps refreshing.
#[derive(Debug, Default)]
struct Chain {
    /// The latest token received, not yet answered when presented.
    current: String,
    /// Tokens answered 201 (spent), oldest first.
    spent: Vec<String>,
    /// `current` was presented and no answer came: the kill fell on it.
    in_flight: bool,
}

/// `kill -9` of the server while 8 clients refresh 3 families each as fast
/// as they can; then a restart on the same data directory. Every token a
/// client holds is either still valid (refreshes once, then 004) or spent
/// (004), never both; no token is answered 201 twice; every token answered
/// 201 before the kill is spent after it; the database is sound.
///
/// After the restart, even-numbered families present their current token
/// first (valid unless the kill fell on it after its commit), odd ones
/// their last spent token first (004, which revokes the family, so the
/// current token is 004 then too).
#[test]
fn kill_9_during_refreshes_leaves_every_token_spent_or_valid_never_both() {
    const CLIENTS: usize = 8;
    const FAMILIES: usize = 3;
    const REFRESHES_BEFORE_KILL: usize = 400;
    let dir = tempfile::tempdir().expect("tempdir");
    prepare(dir.path(), CHEAP_CONFIG);
    let db = dir.path().join("agent-oauth.db");
    let mut server = Server::start(dir.path());
    let client = server.client();
    let mut chains: Vec<Vec<Chain>> = (0..CLIENTS)
        .map(|_| {
            (0..FAMILIES)
                .map(|_| Chain {
                    current: client.login(AGENT, PASSWORD).tokens().refresh,
                    ..Chain::default()
                })
                .collect()
        })
        .collect();

    let answered = AtomicUsize::new(0);
    let unexpected: Mutex<Vec<String>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for chains in chains.iter_mut() {
            let (answered, unexpected, client) = (&answered, &unexpected, server.client());
            s.spawn(move || {
                for i in (0..FAMILIES).cycle() {
                    let chain = &mut chains[i];
                    match client.try_refresh(&chain.current) {
                        Ok(reply) if reply.status == 201 => {
                            let next = reply.tokens().refresh;
                            chain
                                .spent
                                .push(std::mem::replace(&mut chain.current, next));
                            answered.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(reply) => {
                            unexpected.lock().unwrap().push(format!("{reply:?}"));
                            return;
                        }
                        Err(_) => {
                            chain.in_flight = true;
                            return;
                        }
                    }
                }
            });
        }
        let deadline = Instant::now() + Duration::from_secs(300);
        while answered.load(Ordering::SeqCst) < REFRESHES_BEFORE_KILL {
            assert!(Instant::now() < deadline, "refreshes too slow");
            std::thread::sleep(Duration::from_millis(1));
        }
        server.kill_9();
    });
    assert_eq!(*unexpected.lock().unwrap(), Vec::<String>::new());
    let before_kill = answered.load(Ordering::SeqCst);
    let in_flight = chains.iter().flatten().filter(|c| c.in_flight).count();

    let mut server = Server::start(dir.path());
    let client = server.client();
    let mut answered_201: HashMap<String, usize> = chains
        .iter()
        .flatten()
        .flat_map(|c| c.spent.iter().map(|t| (t.clone(), 1)))
        .collect();
    let mut refresh = |token: &str| {
        let reply = client.refresh(token);
        match reply.status {
            201 => *answered_201.entry(token.to_owned()).or_default() += 1,
            _ => reply.assert_error(401, E004),
        }
        reply.status
    };
    let mut outcomes: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, chain) in chains.iter().flatten().enumerate() {
        let last_spent = chain.spent.last();
        if let (1, Some(spent)) = (i % 2, last_spent) {
            assert_eq!(refresh(spent), 401, "a token spent before the kill");
            *outcomes.entry("spent before the kill: 004").or_default() += 1;
            assert_eq!(refresh(&chain.current), 401, "family revoked by the reuse");
            *outcomes
                .entry("current after reuse of its family: 004")
                .or_default() += 1;
            continue;
        }
        let first = refresh(&chain.current);
        let outcome = match (chain.in_flight, first) {
            (false, 201) => "current, not in flight: valid (201, then 004)",
            (false, _) => {
                panic!("a token answered 201 to its client is not valid after the restart")
            }
            (true, 201) => "in flight at the kill, not committed: valid (201, then 004)",
            (true, _) => "in flight at the kill, committed: spent (004)",
        };
        *outcomes.entry(outcome).or_default() += 1;
        if first == 201 {
            assert_eq!(refresh(&chain.current), 401, "a valid token refreshes once");
        }
        if let Some(spent) = last_spent {
            assert_eq!(refresh(spent), 401, "a token spent before the kill");
            *outcomes.entry("spent before the kill: 004").or_default() += 1;
        }
    }
    let twice: Vec<_> = answered_201.iter().filter(|(_, n)| **n > 1).collect();
    server.stop();
    let (integrity, spent_twice) = check_database(&db);
    println!(
        "kill -9 after {before_kill} refreshes answered 201 ({CLIENTS} clients x {FAMILIES} \
         families, {in_flight} in flight): after the restart {outcomes:#?}; tokens answered 201 \
         twice: {}; tokens with two children in the database: {spent_twice}; \
         integrity_check {integrity:?}",
        twice.len()
    );
    assert!(twice.is_empty(), "answered 201 twice: {twice:?}");
    assert_eq!(spent_twice, 0);
    assert_eq!(integrity, ["ok"]);
}

// ---------------------------------------------------------------------------
// 3b and 3c. A database that refuses writes, a full disk

/// What the faults are checked with: a session and a refresh token taken
/// before the fault.
struct Held {
    agent: Tokens,
    refresh: String,
}

fn warm_up(client: &Client) -> Held {
    let agent = client.login(AGENT, PASSWORD).tokens();
    let imp = client.impersonate(&agent.access, "DE--5").tokens();
    let refreshed = client.refresh(&imp.refresh).tokens();
    Held {
        agent,
        refresh: refreshed.refresh,
    }
}

/// While writes fail: every request that writes is a JSON:API 500 with the
/// exact generic body, reads are still served, and the process stays up.
/// Returns the statuses seen.
fn assert_writes_fail_cleanly(server: &mut Server, held: &Held) -> Vec<(&'static str, u16)> {
    let client = server.client();
    let writes = [
        ("login", client.login(AGENT, PASSWORD)),
        ("failed login", client.login(AGENT, "wrong-password")),
        (
            "impersonation",
            client.impersonate(&held.agent.access, "DE--3"),
        ),
        ("refresh", client.refresh(&held.refresh)),
        (
            "revocation",
            client.revoke(&held.agent.access, &held.refresh),
        ),
    ];
    for (what, reply) in &writes {
        assert!(reply.is_error(500, E500), "{what}: {reply:?}");
    }
    let search = client.search(&held.agent.access, "ma");
    assert_eq!(search.status, 200, "a read while writes fail: {search:?}");
    let jwks = client.call("GET", "/.well-known/jwks.json", &[], "");
    assert_eq!(jwks.status, 200);
    assert!(server.is_running(), "the server died:\n{}", server.log());
    let log = server.log();
    assert!(
        log.lines()
            .any(|l| l.contains("request failed") && l.contains("Storage error")),
        "{log}"
    );
    let mut seen: Vec<(&str, u16)> = writes.iter().map(|(w, r)| (*w, r.status)).collect();
    seen.extend([("search", search.status), ("jwks", jwks.status)]);
    seen
}

/// Once writes work again, without a restart: the refresh token whose
/// refresh was answered 500 was not spent and refreshes once; logins and
/// impersonations are issued again.
fn assert_recovered(server: &Server, held: &Held) -> Held {
    let client = server.client();
    let refreshed = client.refresh(&held.refresh).tokens();
    client.refresh(&held.refresh).assert_error(401, E004);
    let agent = client.login(AGENT, PASSWORD).tokens();
    let imp = client.impersonate(&agent.access, "DE--3").tokens();
    client.refresh(&refreshed.refresh).assert_error(401, E004);
    Held {
        agent,
        refresh: imp.refresh,
    }
}

/// Sets the soft `RLIMIT_FSIZE` of a process (`None`: unlimited), keeping
/// the hard limit, so it can be lifted again.
fn set_file_size_limit(pid: u32, limit: Option<u64>) {
    let value = limit.map_or_else(|| "unlimited".to_owned(), |n| n.to_string());
    let status = Command::new("prlimit")
        .args(["--pid", &pid.to_string(), &format!("--fsize={value}:")])
        .status()
        .expect("prlimit (util-linux)");
    assert!(status.success(), "prlimit --fsize={value}:");
}

/// How writes are refused in [`an_unwritable_database_answers_500_and_recovers_without_a_restart`].
enum WriteBlock {
    /// `chattr +i` on the database and its write-ahead log: every write
    /// through the server's open descriptors fails with EPERM, for root too.
    Immutable(Vec<PathBuf>),
    /// Where `chattr` is refused (no CAP_LINUX_IMMUTABLE, a file system
    /// without the flag): a file-size limit of 0 on the server process, so
    /// every write fails with EFBIG.
    FileSizeLimit(u32),
}

impl WriteBlock {
    fn apply(server: &Server, db: &Path) -> WriteBlock {
        let files = vec![
            db.to_owned(),
            PathBuf::from(format!("{}-wal", db.display())),
        ];
        let immutable = files.iter().all(|f| {
            Command::new("chattr")
                .arg("+i")
                .arg(f)
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        });
        // The flag must really refuse writes to count.
        if immutable && std::fs::OpenOptions::new().append(true).open(db).is_err() {
            return WriteBlock::Immutable(files);
        }
        for f in &files {
            let _ = Command::new("chattr").arg("-i").arg(f).status();
        }
        set_file_size_limit(server.pid(), Some(0));
        WriteBlock::FileSizeLimit(server.pid())
    }

    fn describe(&self) -> &'static str {
        match self {
            WriteBlock::Immutable(_) => "chattr +i on the database and its WAL (EPERM)",
            WriteBlock::FileSizeLimit(_) => "RLIMIT_FSIZE 0 on the server (EFBIG)",
        }
    }

    fn lift(&self) {
        match self {
            WriteBlock::Immutable(files) => {
                for f in files {
                    let status = Command::new("chattr").arg("-i").arg(f).status();
                    assert!(status.is_ok_and(|s| s.success()), "chattr -i {f:?}");
                }
            }
            WriteBlock::FileSizeLimit(pid) => set_file_size_limit(*pid, None),
        }
    }
}

impl Drop for WriteBlock {
    fn drop(&mut self) {
        // The temporary directory cannot be removed while a file is immutable.
        if let WriteBlock::Immutable(files) = self {
            for f in files {
                let _ = Command::new("chattr").arg("-i").arg(f).status();
            }
        }
    }
}

/// The database refuses writes while the server runs: `chattr +i` on the
/// database file and its write-ahead log (a database made read-only under
/// a running server; the flag holds for root, which chmod does not, and
/// acts on descriptors already open). The shared-memory index (`-shm`)
/// stays writable: it is mapped into the server, and SQLite keeps it in
/// memory for readers. Where `chattr` is refused, a file-size limit of 0 on
/// the process does the same with EFBIG. Twice in a row: writes answer a
/// JSON:API 500, reads go on, the server stays up, and once the flag is
/// cleared everything works again without a restart; the database is sound.
#[test]
fn an_unwritable_database_answers_500_and_recovers_without_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    prepare(dir.path(), CHEAP_CONFIG);
    let db = dir.path().join("agent-oauth.db");
    let mut server = Server::start(dir.path());
    let mut held = warm_up(&server.client());
    for round in 1..=2 {
        let block = WriteBlock::apply(&server, &db);
        let seen = assert_writes_fail_cleanly(&mut server, &held);
        block.lift();
        held = assert_recovered(&server, &held);
        println!(
            "unwritable database, round {round} ({}): {seen:?}; recovered without a restart",
            block.describe()
        );
    }
    server.stop();
    assert_database_sound(&db);
}

/// A small tmpfs mounted for the test, unmounted when dropped.
struct Tmpfs {
    mount_point: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (such as `2m`); `None` where mounting is refused.
    fn mount(size: &str) -> Option<Tmpfs> {
        let mount_point = tempfile::tempdir().expect("tempdir");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(mount_point.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        mounted.then(|| Tmpfs { mount_point })
    }

    fn path(&self) -> &Path {
        self.mount_point.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.mount_point.path())
            .stderr(Stdio::null())
            .status();
    }
}

/// How the disk is filled in [`a_full_disk_answers_500_and_recovers_once_space_is_freed`].
enum DiskFull {
    /// A file that takes every free byte of the tmpfs (ENOSPC).
    Filler(PathBuf),
    /// Where mounting is refused: a file-size limit on the server process
    /// at the current size of its largest database file, so that the files
    /// cannot grow (EFBIG), as on a full disk.
    FileSizeLimit(u32),
}

impl DiskFull {
    fn fill(server: &Server, dir: &Path, tmpfs: bool) -> DiskFull {
        if tmpfs {
            let path = dir.join("filler");
            let mut file = std::fs::File::create(&path).expect("filler");
            let chunk = vec![0xA5u8; 64 * 1024];
            loop {
                match file.write(&chunk) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) if e.raw_os_error() == Some(28) => break, // ENOSPC
                    Err(e) => panic!("filling the tmpfs: {e}"),
                }
            }
            let _ = file.sync_all();
            return DiskFull::Filler(path);
        }
        let largest = std::fs::read_dir(dir)
            .expect("data dir")
            .flatten()
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with("agent-oauth.db")
            })
            .map(|e| e.metadata().map_or(0, |m| m.len()))
            .max()
            .unwrap_or(0);
        set_file_size_limit(server.pid(), Some(largest));
        DiskFull::FileSizeLimit(server.pid())
    }

    fn describe(&self) -> &'static str {
        match self {
            DiskFull::Filler(_) => "tmpfs filled to the last byte (ENOSPC)",
            DiskFull::FileSizeLimit(_) => "RLIMIT_FSIZE at the current file sizes (EFBIG)",
        }
    }

    fn free(&self) {
        match self {
            DiskFull::Filler(path) => std::fs::remove_file(path).expect("remove the filler"),
            DiskFull::FileSizeLimit(pid) => set_file_size_limit(*pid, None),
        }
    }
}

/// The disk under the database fills up while the server runs: the data
/// directory is a 2 MiB tmpfs, and a filler file takes its last free byte
/// (ENOSPC on every write that needs a new block). Where mounting is
/// refused (no CAP_SYS_ADMIN), a file-size limit on the server process at
/// the database's current size stands in for it (EFBIG on every write that
/// grows a file). Twice in a row: writes answer a JSON:API 500, reads go
/// on, the server stays up; once the filler is removed everything works
/// again without a restart; the database is sound.
#[test]
fn a_full_disk_answers_500_and_recovers_once_space_is_freed() {
    let tmpfs = Tmpfs::mount("2m");
    let scratch = tempfile::tempdir().expect("tempdir");
    let dir = tmpfs.as_ref().map_or(scratch.path(), Tmpfs::path);
    prepare(dir, CHEAP_CONFIG);
    let db = dir.join("agent-oauth.db");
    let mut server = Server::start(dir);
    let mut held = warm_up(&server.client());
    for round in 1..=2 {
        let full = DiskFull::fill(&server, dir, tmpfs.is_some());
        let seen = assert_writes_fail_cleanly(&mut server, &held);
        full.free();
        held = assert_recovered(&server, &held);
        println!(
            "disk full, round {round} ({}): {seen:?}; recovered without a restart",
            full.describe()
        );
    }
    server.stop();
    assert_database_sound(&db);
}
