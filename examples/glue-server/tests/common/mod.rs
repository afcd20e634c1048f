//! Harness for the end-to-end tests: a data directory with cheap argon2
//! parameters (D24), the real `agent-oauth-server` binary started on an
//! ephemeral port and killed on drop, its admin subcommands, and small HTTP
//! helpers over ureq (plus a raw socket client for what ureq cannot send).
//!
//! With `AGENT_OAUTH_E2E_STORE=postgres` every data directory keeps its
//! tables on one PostgreSQL server started for the test process (issue 11:
//! the whole suite against a server store), each under its own
//! `table_prefix`, created with `init` as an operator would; tests about the
//! SQLite file itself say so and return early.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "../../../../core/tests/pg/mod.rs"]
pub mod pg;

/// The base URL the servers are started with, so links match the docs.
pub const BASE: &str = "https://glue.mysprykershop.com";

/// The server binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_agent-oauth-server");

/// `WWW-Authenticate` of every 401 (reference §4.7).
pub const REALM: &str = r#"Bearer realm="Access to shop API""#;

/// The JSON:API media type of every Glue answer (D13).
pub const JSON_API: &str = "application/vnd.api+json";

/// The seed's login body, verbatim (seeds/001).
pub const LOGIN_SEED: &str = r#"{
    "data": {
        "type": "agent-access-tokens",
        "attributes": {
            "username": "admin@spryker.com",
            "password": "change123"
        }
    }
}"#;

/// The seed's impersonation body, verbatim (seeds/003).
pub const IMPERSONATION_SEED: &str = r#"{
    "data": {
        "type": "agent-customer-impersonation-access-tokens",
        "attributes": {
            "customerReference": "DE--5"
        }
    }
}"#;

/// A temporary data directory (database, managed keys, configuration), and
/// an empty working directory for the processes.
pub struct DataDir {
    dir: tempfile::TempDir,
    cwd: tempfile::TempDir,
    pass_db: bool,
    /// The PostgreSQL URL the data lives on instead of the SQLite file.
    database_url: Option<String>,
}

/// Whether this run keeps the data on PostgreSQL
/// (`AGENT_OAUTH_E2E_STORE=postgres`) rather than the default SQLite file.
pub fn on_postgres() -> bool {
    match std::env::var("AGENT_OAUTH_E2E_STORE").as_deref() {
        Ok("postgres") => true,
        Ok("" | "sqlite") | Err(_) => false,
        Ok(other) => panic!("AGENT_OAUTH_E2E_STORE={other}: expected sqlite or postgres"),
    }
}

/// For a test about the SQLite file itself: true (after saying so) when the
/// run is on PostgreSQL, where the test has nothing to check.
pub fn sqlite_only(why: &str) -> bool {
    let skip = on_postgres();
    if skip {
        eprintln!("not on PostgreSQL: {why}");
    }
    skip
}

/// The cheap argon2 parameters of the tests (D24).
const CHEAP_ARGON2: &str = r#""argon2":{"memory_kib":256,"iterations":1,"parallelism":1}"#;

impl DataDir {
    /// A fresh directory whose configuration makes logins cheap (D24).
    pub fn new() -> Self {
        Self::with_config("")
    }

    /// Like [`DataDir::new`] with more configuration keys (`"key":value,...`).
    pub fn with_config(extra: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut keys = vec![CHEAP_ARGON2.to_owned()];
        let database_url = match on_postgres() && !extra.contains("\"table_prefix\"") {
            true => {
                // One server per test process; each directory its own tables.
                static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
                let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                keys.push(format!(r#""table_prefix":"e2e{n}_""#));
                Some(pg::url().expect("AGENT_OAUTH_E2E_STORE=postgres needs PostgreSQL"))
            }
            false => None,
        };
        if !extra.is_empty() {
            keys.push(extra.to_owned());
        }
        std::fs::write(
            dir.path().join("config.json"),
            format!("{{{}}}", keys.join(",")),
        )
        .expect("config");
        let data = DataDir {
            dir,
            cwd: tempfile::tempdir().expect("tempdir"),
            pass_db: true,
            database_url,
        };
        if data.database_url.is_some() {
            // A server refuses to create tables on a database server.
            data.cli(&["init"]);
        }
        data
    }

    /// Like [`DataDir::new`], but without `--db`: the database location is
    /// left to `--data-dir` and the configuration file.
    pub fn without_db_option() -> Self {
        DataDir {
            pass_db: false,
            ..Self::new()
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The working directory of the processes.
    pub fn cwd(&self) -> &Path {
        self.cwd.path()
    }

    /// The global options every command gets: data directory, database and
    /// configuration file.
    fn global_args(&self) -> Vec<OsString> {
        let p = self.path();
        let mut args = vec!["--data-dir".into(), p.as_os_str().to_owned()];
        match &self.database_url {
            Some(url) => args.extend(["--database-url".into(), url.into()]),
            None if self.pass_db => {
                args.extend(["--db".into(), p.join("agent-oauth.db").into_os_string()])
            }
            None => {}
        }
        args.extend(["--config".into(), p.join("config.json").into_os_string()]);
        args
    }

    /// Runs an admin subcommand, asserts it succeeded and returns its stdout.
    pub fn cli(&self, args: &[&str]) -> String {
        let output = Command::new(BIN)
            .current_dir(self.cwd())
            .args(self.global_args())
            .args(args)
            .output()
            .expect("run agent-oauth-server");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "agent-oauth-server {args:?} failed: {}\nstdout: {stdout}\nstderr: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
    }

    /// Runs `serve --listen 127.0.0.1:0 --demo` plus `extra`, which must
    /// fail before it listens; returns its stderr.
    #[allow(dead_code)] // Not every test file that includes this module uses it.
    pub fn serve_fails(&self, extra: &[&str]) -> String {
        let output = Command::new(BIN)
            .current_dir(self.cwd())
            .args(self.global_args())
            .args(["serve", "--listen", "127.0.0.1:0", "--demo"])
            .args(extra)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .output()
            .expect("run agent-oauth-server");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(
            !output.status.success(),
            "serve {extra:?} started: {}\n{stderr}",
            String::from_utf8_lossy(&output.stdout)
        );
        stderr
    }

    /// Starts `serve --listen 127.0.0.1:0 --demo --base-url BASE` plus `extra`.
    pub fn serve(&self, extra: &[&str]) -> Server {
        let mut child = Command::new(BIN)
            .current_dir(self.cwd())
            .args(self.global_args())
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--demo",
                "--base-url",
                BASE,
            ])
            .args(extra)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn agent-oauth-server");
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().expect("stderr");
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let mut log = sink.lock().expect("log");
                log.push_str(&line);
                log.push('\n');
            }
        });
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            for line in lines.by_ref() {
                let Ok(line) = line else { break };
                if let Some(address) = line.strip_prefix("listening on http://") {
                    let _ = tx.send(address.trim().to_owned());
                    break;
                }
            }
            // Keep draining, so the server never writes into a closed pipe.
            for _ in lines {}
        });
        let address = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(address) => address,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "server did not start; stderr:\n{}",
                    log.lock().expect("log")
                );
            }
        };
        let addr: SocketAddr = address.parse().expect("listen address");
        let http = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(15)))
            .build()
            .new_agent();
        Server {
            child,
            addr,
            url: format!("http://{addr}"),
            log,
            http,
        }
    }

    /// The managed signing key (PEM) the server generated.
    pub fn private_key_pem(&self) -> Vec<u8> {
        std::fs::read(self.path().join("private-key.pem")).expect("managed key")
    }

    /// A file in the data directory with `contents`.
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.path().join(name);
        std::fs::write(&path, contents).expect("write file");
        path
    }
}

/// A running server process, killed when dropped.
pub struct Server {
    child: Child,
    /// The socket address it listens on.
    pub addr: SocketAddr,
    url: String,
    log: Arc<Mutex<String>>,
    http: ureq::Agent,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    /// Header pairs, names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    /// Every value of the header `name`.
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The only value of the header `name`, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        let values = self.header_values(name);
        assert!(
            values.len() <= 1,
            "{name} sent {} times: {values:?}",
            values.len()
        );
        values.first().copied()
    }

    /// The body as JSON (key order kept).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.body))
    }

    /// A Glue error: exact status, media type, body and, for 401 only,
    /// `WWW-Authenticate`.
    #[track_caller]
    pub fn assert_error(&self, status: u16, body: &str) {
        assert_eq!(
            (self.status, self.body.as_str()),
            (status, body),
            "unexpected answer: {self:?}"
        );
        assert_eq!(self.header("content-type"), Some(JSON_API), "{self:?}");
        let realm = (status == 401).then_some(REALM);
        assert_eq!(self.header("www-authenticate"), realm, "{self:?}");
    }

    /// A token answer (201) of `resource`; checks headers and the exact body.
    #[track_caller]
    pub fn assert_tokens(&self, resource: &str) -> Tokens {
        assert_eq!(self.status, 201, "{self:?}");
        assert_eq!(self.header("content-type"), Some(JSON_API), "{self:?}");
        assert_eq!(self.header("cache-control"), Some("no-store"), "{self:?}");
        let doc = self.json();
        let attributes = &doc["data"]["attributes"];
        let tokens = Tokens {
            access: attributes["accessToken"]
                .as_str()
                .expect("accessToken")
                .to_owned(),
            refresh: attributes["refreshToken"]
                .as_str()
                .expect("refreshToken")
                .to_owned(),
            expires_in: attributes["expiresIn"].as_i64().expect("expiresIn"),
        };
        assert_eq!(
            self.body,
            token_body(resource, tokens.expires_in, &tokens.access, &tokens.refresh),
            "token body shape or key order"
        );
        assert_eq!(
            tokens.access.split('.').count(),
            3,
            "a JWS: {}",
            tokens.access
        );
        assert_refresh_token_format(&tokens.refresh);
        tokens
    }
}

/// A token pair from a 201 answer.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
    pub expires_in: i64,
}

/// The exact body of a token answer, as the seeds show it (key order kept).
pub fn token_body(resource: &str, expires_in: i64, access: &str, refresh: &str) -> String {
    format!(
        concat!(
            r#"{{"data":{{"type":"{resource}","id":null,"attributes":{{"tokenType":"Bearer","#,
            r#""expiresIn":{expires_in},"accessToken":"{access}","refreshToken":"{refresh}"}},"#,
            r#""links":{{"self":"{base}/{resource}"}}}}}}"#
        ),
        resource = resource,
        expires_in = expires_in,
        access = access,
        refresh = refresh,
        base = BASE,
    )
}

/// D6: `ao1_` and 32 random bytes as base64url without padding.
#[track_caller]
pub fn assert_refresh_token_format(token: &str) {
    let encoded = token
        .strip_prefix("ao1_")
        .unwrap_or_else(|| panic!("no ao1_ prefix: {token}"));
    assert_eq!(encoded.len(), 43, "{token}");
    assert!(
        encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{token}"
    );
}

/// A JSON:API body of `resource` with string attributes.
pub fn body(resource: &str, attributes: &[(&str, &str)]) -> String {
    let attributes: serde_json::Map<String, Value> = attributes
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
        .collect();
    serde_json::json!({"data": {"type": resource, "attributes": attributes}}).to_string()
}

/// The login body for `username` and `password`.
pub fn login_body(username: &str, password: &str) -> String {
    body(
        "agent-access-tokens",
        &[("username", username), ("password", password)],
    )
}

/// The impersonation body for `reference`.
pub fn impersonation_body(reference: &str) -> String {
    body(
        "agent-customer-impersonation-access-tokens",
        &[("customerReference", reference)],
    )
}

/// The refresh body for `token`.
pub fn refresh_body(token: &str) -> String {
    body("refresh-tokens", &[("refreshToken", token)])
}

/// `Bearer <token>`.
pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

impl Server {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    fn reply(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
        let mut response = response.expect("HTTP request");
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    v.to_str().unwrap_or("<binary>").to_owned(),
                )
            })
            .collect();
        let body = response.body_mut().read_to_string().expect("body");
        Reply {
            status,
            headers,
            body,
        }
    }

    /// POST with a JSON:API content type (unless `headers` names another).
    pub fn post(&self, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
        let mut request = self.http.post(self.url(path));
        if !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            request = request.header("Content-Type", JSON_API);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Self::reply(request.send(body))
    }

    /// GET `path_and_query`, sent as given.
    pub fn get(&self, path_and_query: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = self.http.get(self.url(path_and_query));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Self::reply(request.call())
    }

    /// DELETE `path`.
    pub fn delete(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = self.http.delete(self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Self::reply(request.call())
    }

    /// Any method, with an optional body.
    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if body.is_empty() {
            return Self::reply(self.http.run(request.body(()).expect("request")));
        }
        Self::reply(
            self.http
                .run(request.body(body.as_bytes().to_vec()).expect("request")),
        )
    }

    /// Sends `request` as is over a fresh connection and reads the answer
    /// until the server closes it (send `Connection: close`).
    pub fn raw(&self, request: &[u8]) -> Reply {
        let mut stream = TcpStream::connect(self.addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(15)))
            .expect("timeout");
        // The server may answer and close before the whole body is written.
        let _ = stream.write_all(request);
        let mut raw = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            match stream.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => raw.extend_from_slice(&chunk[..n]),
                Err(e) if raw.is_empty() => panic!("no answer: {e}"),
                Err(_) => break,
            }
            if response_complete(&raw) {
                break;
            }
        }
        parse_response(&raw)
    }

    /// Logs in over HTTP and returns the pair.
    pub fn login(&self, username: &str, password: &str) -> Tokens {
        self.post("/agent-access-tokens", &[], &login_body(username, password))
            .assert_tokens("agent-access-tokens")
    }

    /// The demo agent's tokens.
    pub fn admin(&self) -> Tokens {
        self.login("admin@spryker.com", "change123")
    }

    /// Impersonates `reference` with the agent token in `X-Agent-Authorization`.
    pub fn impersonate(&self, agent_token: &str, reference: &str) -> Tokens {
        self.post(
            "/agent-customer-impersonation-access-tokens",
            &[("X-Agent-Authorization", &bearer(agent_token))],
            &impersonation_body(reference),
        )
        .assert_tokens("agent-customer-impersonation-access-tokens")
    }

    /// Presents a refresh token.
    pub fn refresh(&self, token: &str) -> Reply {
        self.post("/refresh-tokens", &[], &refresh_body(token))
    }

    /// The JWKS document.
    pub fn jwks(&self) -> jsonwebtoken::jwk::JwkSet {
        let reply = self.get("/.well-known/jwks.json", &[]);
        assert_eq!(reply.status, 200, "{reply:?}");
        serde_json::from_str(&reply.body).expect("JWKS")
    }

    /// Everything the server wrote to stderr so far.
    pub fn log(&self) -> String {
        self.log.lock().expect("log").clone()
    }

    /// Waits until the log contains `needle`; returns the log.
    pub fn wait_for_log(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let log = self.log();
            if log.contains(needle) {
                return log;
            }
            assert!(
                Instant::now() < deadline,
                "log never showed {needle:?}:\n{log}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends `signal` (`-TERM`, `-INT`) with `kill` and waits for the exit.
    pub fn terminate(&mut self, signal: &str) -> ExitStatus {
        let status = Command::new("kill")
            .arg(signal)
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "server did not stop on {signal}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn response_complete(raw: &[u8]) -> bool {
    let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    match length {
        Some(n) => raw.len() >= end + 4 + n,
        None => false,
    }
}

fn parse_response(raw: &[u8]) -> Reply {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP head in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    if let Some(n) = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
    {
        body.truncate(n);
    }
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// Verifies `token` with the JWKS key named by its `kid` (RS256, aud
/// `frontend`) and returns its claims in their signed order.
pub fn verify_with_jwks(jwks: &jsonwebtoken::jwk::JwkSet, token: &str) -> Value {
    use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
    let header = decode_header(token).expect("JWT header");
    assert_eq!(header.alg, Algorithm::RS256);
    let kid = header.kid.expect("kid in the token header");
    let jwk = jwks
        .find(&kid)
        .unwrap_or_else(|| panic!("kid {kid} not in the JWKS"));
    let key = DecodingKey::from_jwk(jwk).expect("decoding key from JWK");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&["frontend"]);
    validation.set_required_spec_claims(&["exp", "aud", "sub"]);
    decode::<Value>(token, &key, &validation)
        .unwrap_or_else(|e| panic!("token does not verify with the JWKS: {e}"))
        .claims
}

/// The claims of a JWT without verifying it.
pub fn claims(token: &str) -> Value {
    jsonwebtoken::dangerous::insecure_decode::<Value>(token)
        .expect("JWT")
        .claims
}

/// Signs `claims` with the server's own private key, as Spryker's league
/// server would with the shop's key (no `kid`).
pub fn sign(private_key_pem: &[u8], claims: &Value) -> String {
    use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
    let key = EncodingKey::from_rsa_pem(private_key_pem).expect("private key");
    encode(&Header::new(Algorithm::RS256), claims, &key).expect("sign")
}

/// Unix seconds now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// The keys of a JSON object, in order.
pub fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect()
}
