//! The server under hostile clients (issue 10): slow and half-sent requests
//! and idle connections are closed within their limits, the connection cap
//! queues new clients instead of failing them, every error answer is
//! JSON:API (5xx included, with the cause in the log), and broken input gets
//! the right answer. Everything runs over raw sockets on 127.0.0.1 against
//! the real binary; limits are set to a second so the tests stay short, and
//! the assertions are on behaviour (an answer, a closed connection), never
//! on time taken.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_agent-oauth-server");
const BASE: &str = "https://glue.mysprykershop.com";
const JSON_API: &str = "application/vnd.api+json";
const REALM: &str = r#"Bearer realm="Access to shop API""#;
const SEARCH: &str = "/agent-customer-search";
const E001: &str = r#"{"errors":[{"detail":"Invalid access token.","status":401,"code":"001"}]}"#;
const E4102: &str =
    r#"{"errors":[{"detail":"Agent access token is invalid.","status":401,"code":"4102"}]}"#;
const E500: &str = r#"{"errors":[{"status":500,"detail":"Internal Server Error"}]}"#;
const POST_DATA_INVALID: &str = r#"{"errors":[{"detail":"Post data is invalid.","status":400}]}"#;
const TIMEOUT_408: &str = r#"{"errors":[{"status":408,"detail":"Request Timeout"}]}"#;
/// Longer than every limit a test relies on, shorter than every limit it
/// relies on not acting: a read that waits this long has seen no answer.
const PATIENCE: Duration = Duration::from_secs(15);

/// A server process on a fresh data directory (cheap argon2, D24), killed
/// when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: Arc<Mutex<String>>,
    dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// `serve --demo` on an ephemeral port with `extra` options.
    fn start(extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("config.json");
        std::fs::write(
            &config,
            r#"{"argon2":{"memory_kib":256,"iterations":1,"parallelism":1}}"#,
        )
        .expect("config");
        let mut child = Command::new(BIN)
            .current_dir(dir.path())
            .arg("--data-dir")
            .arg(dir.path())
            .arg("--db")
            .arg(dir.path().join("agent-oauth.db"))
            .arg("--config")
            .arg(&config)
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
        let address = rx.recv_timeout(Duration::from_secs(30));
        let mut server = Server {
            child,
            addr: "0.0.0.0:0".parse().expect("placeholder"),
            log,
            dir,
        };
        match address {
            Ok(address) => server.addr = address.parse().expect("listen address"),
            Err(_) => panic!("server did not start:\n{}", server.log()),
        }
        server
    }

    fn log(&self) -> String {
        self.log.lock().expect("log").clone()
    }

    fn wait_for_log(&self, needle: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
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

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(self.addr).expect("connect");
        stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
        stream
    }

    /// Sends `request` on a fresh connection and reads until the server
    /// closes it; the answer, and whether the server closed the connection.
    fn send(&self, request: &[u8]) -> (Reply, Ending) {
        let mut stream = self.connect();
        // The server may answer and close before a body is written whole.
        let _ = stream.write_all(request);
        let (raw, ending) = read_until_closed(&mut stream);
        (Reply::parse(&raw), ending)
    }

    /// A request with `Connection: close` and the given extra header lines.
    fn request(&self, method: &str, target: &str, headers: &[&[u8]], body: &[u8]) -> Reply {
        let mut request = format!(
            "{method} {target} HTTP/1.1\r\nHost: glue\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        )
        .into_bytes();
        for header in headers {
            request.extend_from_slice(header);
            request.extend_from_slice(b"\r\n");
        }
        request.extend_from_slice(b"\r\n");
        request.extend_from_slice(body);
        let (reply, ending) = self.send(&request);
        assert_eq!(ending, Ending::Closed, "{reply:?}");
        reply
    }

    fn login(&self, password: &str) -> Reply {
        let body = format!(
            r#"{{"data":{{"type":"agent-access-tokens","attributes":{{"username":"admin@spryker.com","password":"{password}"}}}}}}"#
        );
        self.request("POST", "/agent-access-tokens", &[], body.as_bytes())
    }

    /// The demo agent's access token.
    fn agent_token(&self) -> String {
        let reply = self.login("change123");
        assert_eq!(reply.status, 201, "{reply:?}");
        let doc: serde_json::Value = serde_json::from_str(&reply.body).expect("JSON");
        doc["data"]["attributes"]["accessToken"]
            .as_str()
            .expect("accessToken")
            .to_owned()
    }
}

/// How a read of a connection ended.
#[derive(Debug, PartialEq, Eq)]
enum Ending {
    /// The server closed the connection.
    Closed,
    /// Nothing more came within [`PATIENCE`].
    StillOpen,
}

fn read_until_closed(stream: &mut TcpStream) -> (Vec<u8>, Ending) {
    let mut raw = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return (raw, Ending::Closed),
            Ok(n) => raw.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return (raw, Ending::StillOpen);
            }
            // A reset after the answer is a close too.
            Err(_) => return (raw, Ending::Closed),
        }
    }
}

/// Reads exactly one answer that carries a `Content-Length`, leaving the
/// connection open.
fn read_one(stream: &mut TcpStream) -> Reply {
    let mut raw = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let reply = Reply::parse(&raw);
            let length: usize = reply
                .header("content-length")
                .expect("content-length")
                .parse()
                .expect("length");
            if raw.len() >= end + 4 + length {
                return reply;
            }
        }
        let n = stream.read(&mut chunk).expect("an answer");
        assert!(n > 0, "closed before the answer was complete");
        raw.extend_from_slice(&chunk[..n]);
    }
}

/// An HTTP answer.
#[derive(Debug)]
struct Reply {
    status: u16,
    /// Names lower-cased, in arrival order.
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn parse(raw: &[u8]) -> Reply {
        let end = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no HTTP answer in {:?}", String::from_utf8_lossy(raw)));
        let head = String::from_utf8_lossy(&raw[..end]).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .expect("status line");
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let mut body = raw[end + 4..].to_vec();
        let length = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse::<usize>().ok());
        if let Some(n) = length {
            body.truncate(n);
        }
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A JSON:API error: exact status and body, the media type, and the
    /// realm on 401 only.
    #[track_caller]
    fn assert_error(&self, status: u16, body: &str) {
        assert_eq!(
            (self.status, self.body.as_str()),
            (status, body),
            "{self:?}"
        );
        assert_eq!(self.header("content-type"), Some(JSON_API), "{self:?}");
        let realm = (status == 401).then_some(REALM);
        assert_eq!(self.header("www-authenticate"), realm, "{self:?}");
    }
}

#[test]
fn a_slow_body_is_answered_408_and_the_connection_closed() {
    let server = Server::start(&["--body-timeout", "1"]);
    let (reply, ending) = server.send(
        b"POST /agent-access-tokens HTTP/1.1\r\nHost: glue\r\n\
          Content-Type: application/vnd.api+json\r\nContent-Length: 100\r\n\r\n{\"",
    );
    reply.assert_error(408, TIMEOUT_408);
    assert_eq!(reply.header("connection"), Some("close"), "{reply:?}");
    assert_eq!(ending, Ending::Closed);
    server.wait_for_log("method=POST path=/agent-access-tokens status=408");
}

#[test]
fn a_request_in_flight_is_not_cut_by_the_header_timeout() {
    let server = Server::start(&["--header-timeout", "1", "--body-timeout", "30"]);
    let body = br#"{"data":{"type":"agent-access-tokens","attributes":{"username":"admin@spryker.com","password":"change123"}}}"#;
    let mut stream = server.connect();
    let head = format!(
        "POST /agent-access-tokens HTTP/1.1\r\nHost: glue\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("write");
    stream.write_all(&body[..10]).expect("write");
    // Past the header limit counted from the accept: the head came in time,
    // so only the body limit applies now.
    std::thread::sleep(Duration::from_millis(1500));
    stream.write_all(&body[10..]).expect("write");
    assert_eq!(read_one(&mut stream).status, 201);
}

#[test]
fn a_half_sent_head_or_a_silent_connection_is_closed_by_the_header_timeout() {
    // The idle limit is longer than the test waits: only the header limit can act.
    let server = Server::start(&["--header-timeout", "1", "--idle-timeout", "60"]);
    for sent in [
        &b"POST /agent-access-tokens HTTP/1.1\r\nHost: glue\r\nContent-Le"[..],
        b"",
    ] {
        let (raw, ending) = {
            let mut stream = server.connect();
            stream.write_all(sent).expect("write");
            read_until_closed(&mut stream)
        };
        assert_eq!(
            (ending, String::from_utf8_lossy(&raw).as_ref()),
            (Ending::Closed, ""),
            "after {:?}",
            String::from_utf8_lossy(sent)
        );
    }
}

#[test]
fn a_half_sent_second_head_on_a_kept_alive_connection_is_closed_by_the_header_timeout() {
    let server = Server::start(&["--header-timeout", "1", "--idle-timeout", "60"]);
    let mut stream = server.connect();
    stream
        .write_all(b"GET /.well-known/jwks.json HTTP/1.1\r\nHost: glue\r\n\r\n")
        .expect("write");
    assert_eq!(read_one(&mut stream).status, 200);
    stream
        .write_all(b"GET /.well-known/jwks.json HTTP/1.1\r\nHo")
        .expect("write");
    let (raw, ending) = read_until_closed(&mut stream);
    assert_eq!((ending, raw.len()), (Ending::Closed, 0));
}

#[test]
fn an_idle_kept_alive_connection_is_closed_after_the_idle_timeout() {
    // The header limit is longer than the test waits: only the idle limit can act.
    let server = Server::start(&["--header-timeout", "60", "--idle-timeout", "1"]);
    let mut stream = server.connect();
    for _ in 0..2 {
        stream
            .write_all(b"GET /.well-known/jwks.json HTTP/1.1\r\nHost: glue\r\n\r\n")
            .expect("write");
        let reply = read_one(&mut stream);
        assert_eq!(reply.status, 200, "{reply:?}");
        assert_eq!(reply.header("connection"), None, "kept alive: {reply:?}");
    }
    let (raw, ending) = read_until_closed(&mut stream);
    assert_eq!((ending, raw.len()), (Ending::Closed, 0));
}

#[test]
fn beyond_max_connections_new_clients_wait_and_are_served_once_others_close() {
    let server = Server::start(&["--max-connections", "2", "--header-timeout", "60"]);
    let holders = [server.connect(), server.connect()];
    server.wait_for_log("connection limit reached");
    let mut waiting = server.connect();
    waiting
        .write_all(
            b"GET /.well-known/jwks.json HTTP/1.1\r\nHost: glue\r\nConnection: close\r\n\r\n",
        )
        .expect("write");
    // Not accepted while both slots are held: no answer, connection open.
    waiting
        .set_read_timeout(Some(Duration::from_millis(500)))
        .expect("timeout");
    let (raw, ending) = read_until_closed(&mut waiting);
    assert_eq!((ending, raw.len()), (Ending::StillOpen, 0));
    drop(holders);
    waiting.set_read_timeout(Some(PATIENCE)).expect("timeout");
    let (raw, ending) = read_until_closed(&mut waiting);
    assert_eq!(Reply::parse(&raw).status, 200);
    assert_eq!(ending, Ending::Closed);
}

#[test]
fn non_utf8_authorization_headers_are_present_and_invalid() {
    let server = Server::start(&[]);
    let agent = server.agent_token();
    let target = format!("{SEARCH}?q=ma");
    server
        .request("GET", &target, &[b"Authorization: Bearer \xff\xfe"], b"")
        .assert_error(401, E001);
    // Authorization is checked first, even beside a good agent token (D11).
    let x_agent = format!("X-Agent-Authorization: Bearer {agent}");
    server
        .request(
            "GET",
            &target,
            &[b"Authorization: \xc3\x28", x_agent.as_bytes()],
            b"",
        )
        .assert_error(401, E001);
    server
        .request(
            "GET",
            &target,
            &[b"X-Agent-Authorization: Bearer \xff\xfe"],
            b"",
        )
        .assert_error(401, E4102);
}

#[test]
fn a_malformed_chunked_body_is_400_and_a_large_one_still_413() {
    let server = Server::start(&[]);
    let (reply, ending) = server.send(
        b"POST /agent-access-tokens HTTP/1.1\r\nHost: glue\r\n\
          Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    );
    reply.assert_error(400, POST_DATA_INVALID);
    assert_eq!(ending, Ending::Closed);

    let big = vec![b' '; 64 * 1024 + 1];
    for framing in [
        format!("Content-Length: {}\r\n", big.len()),
        "Transfer-Encoding: chunked\r\n".to_owned(),
    ] {
        let mut request =
            format!("POST /agent-access-tokens HTTP/1.1\r\nHost: glue\r\n{framing}\r\n")
                .into_bytes();
        if framing.starts_with("Transfer") {
            request.extend_from_slice(format!("{:x}\r\n", big.len()).as_bytes());
            request.extend_from_slice(&big);
            request.extend_from_slice(b"\r\n0\r\n\r\n");
        } else {
            request.extend_from_slice(&big);
        }
        let (reply, _) = server.send(&request);
        reply.assert_error(
            413,
            r#"{"errors":[{"status":413,"detail":"Request body is too large."}]}"#,
        );
    }
}

#[test]
fn huge_offsets_give_exact_paging_links() {
    let server = Server::start(&[]);
    let auth = format!("Authorization: Bearer {}", server.agent_token());
    let page = |o: u64| format!("{BASE}{SEARCH}?q=ma&page[offset]={o}&page[limit]=10");
    for (offset, prev) in [
        ("4294967304", 4_294_967_290_u64),
        ("18446744073709551615", 18_446_744_073_709_551_600),
    ] {
        let query = format!("q=ma&page[offset]={offset}&page[limit]=10");
        let reply = server.request("GET", &format!("{SEARCH}?{query}"), &[auth.as_bytes()], b"");
        assert_eq!(reply.status, 200, "{reply:?}");
        let doc: serde_json::Value = serde_json::from_str(&reply.body).expect("JSON");
        assert_eq!(
            doc["links"].to_string(),
            serde_json::json!({
                "self": format!("{BASE}{SEARCH}?{query}"),
                "last": page(0),
                "first": page(0),
                "prev": page(prev),
            })
            .to_string()
        );
    }
}

/// Drops every table of the server's database behind its back, so the
/// next request that touches the store fails inside the engine.
fn break_the_database(server: &Server) {
    let db = rusqlite::Connection::open(server.dir.path().join("agent-oauth.db")).expect("open");
    let tables: Vec<String> = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .expect("prepare")
        .query_map([], |row| row.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("names");
    assert!(!tables.is_empty());
    for table in tables {
        db.execute_batch(&format!("DROP TABLE \"{table}\""))
            .expect("drop");
    }
}

#[test]
fn an_internal_failure_is_a_json_api_500_with_its_cause_in_the_log() {
    let server = Server::start(&[]);
    break_the_database(&server);
    let reply = server.login("hunter2-secret");
    reply.assert_error(500, E500);
    let log = server.wait_for_log("request failed");
    let line = log
        .lines()
        .find(|l| l.contains("request failed"))
        .expect("failure line");
    assert!(line.contains("ERROR"), "{line}");
    assert!(
        line.contains("path=/agent-access-tokens status=500"),
        "{line}"
    );
    assert!(line.contains(r#"cause="Storage error: "#), "{line}");
    assert!(!log.contains("hunter2-secret"), "{log}");
}

#[test]
fn every_error_status_the_server_answers_is_json_api() {
    let server = Server::start(&["--body-timeout", "1"]);
    let mut answers = vec![
        server.request("POST", "/agent-access-tokens", &[], b"{"),
        server.request("GET", SEARCH, &[b"Authorization: Bearer x"], b""),
        server.request("DELETE", "/refresh-tokens/mine", &[], b""),
        server.request("GET", "/nope", &[], b""),
        server.request("GET", "/agent-access-tokens", &[], b""),
        server.request(
            "POST",
            "/refresh-tokens",
            &[],
            br#"{"data":{"type":"refresh-tokens","attributes":{"refreshToken":""}}}"#,
        ),
        server
            .send(b"POST /nope HTTP/1.1\r\nHost: glue\r\nContent-Length: 9\r\n\r\n{")
            .0,
        server.request(
            "POST",
            "/agent-access-tokens",
            &[],
            &vec![b' '; 64 * 1024 + 1],
        ),
    ];
    // Nine failures, then the block (D17).
    for _ in 0..9 {
        server.login("wrong");
    }
    answers.push(server.login("wrong"));
    break_the_database(&server);
    answers.push(server.login("wrong"));
    let statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [400, 401, 403, 404, 404, 422, 408, 413, 429, 500]);
    for reply in &answers {
        assert_eq!(reply.header("content-type"), Some(JSON_API), "{reply:?}");
        let doc: serde_json::Value = serde_json::from_str(&reply.body).expect("JSON body");
        assert_eq!(doc["errors"][0]["status"], reply.status, "{reply:?}");
    }
}
