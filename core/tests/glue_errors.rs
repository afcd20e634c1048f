//! Every error answer of the Glue handler is JSON:API (D13), 5xx included;
//! an internal failure keeps its cause for the transport's log and out of
//! the body; overload is 503 with `Retry-After` (D28); paging links stay
//! exact for offsets beyond 32 bits (D14).

mod common;

use std::sync::Arc;

use agent_oauth_core::clock::FixedClock;
use agent_oauth_core::directory::{Agent, AgentDirectory};
use agent_oauth_core::glue::{
    GlueRequest, GlueResponse, JSON_API, body_too_large, internal_error, post_data_invalid,
    request_timeout,
};
use agent_oauth_core::{Engine, Error, Result};
use common::{AGENT, IP, NOW, PASSWORD};

const BASE: &str = "https://glue.mysprykershop.com";
const SEARCH: &str = "/agent-customer-search";

fn get(engine: &Engine, path: &str, query: &str, headers: &[(&str, &str)]) -> GlueResponse {
    request(engine, "GET", path, query, headers, b"")
}

fn request(
    engine: &Engine,
    method: &str,
    path: &str,
    query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> GlueResponse {
    engine.handle_glue(&GlueRequest {
        method,
        path,
        query,
        headers,
        body,
        client_ip: IP,
    })
}

fn login_body(username: &str, password: &str) -> String {
    serde_json::json!({"data": {"type": "agent-access-tokens",
        "attributes": {"username": username, "password": password}}})
    .to_string()
}

fn login(engine: &Engine, username: &str, password: &str) -> GlueResponse {
    request(
        engine,
        "POST",
        "/agent-access-tokens",
        "",
        &[],
        login_body(username, password).as_bytes(),
    )
}

fn text(response: &GlueResponse) -> &str {
    std::str::from_utf8(&response.body).expect("UTF-8 body")
}

/// An agent directory whose every lookup fails with the error `make` builds.
struct FailingDirectory(fn() -> Error);

impl AgentDirectory for FailingDirectory {
    fn find_by_username(&self, _username: &str) -> Result<Option<Agent>> {
        Err((self.0)())
    }
}

fn engine_with_failing_directory(make: fn() -> Error) -> Engine {
    let clock = Arc::new(FixedClock::new(NOW));
    common::fixture_with(
        common::builder(&clock).agent_directory(Arc::new(FailingDirectory(make))),
        clock,
    )
    .engine
}

fn search_engine() -> (Engine, String) {
    let clock = Arc::new(FixedClock::new(NOW));
    let engine = common::fixture_with(common::builder(&clock).glue_base_url(BASE), clock).engine;
    let token = engine
        .agent_login(AGENT, PASSWORD, IP)
        .expect("login")
        .access_token;
    (engine, format!("Bearer {token}"))
}

#[test]
fn an_internal_failure_is_a_json_api_500_whose_cause_stays_out_of_the_body() {
    let engine = engine_with_failing_directory(|| Error::Directory("host lookup failed".into()));
    let response = login(&engine, AGENT, PASSWORD);
    assert_eq!(
        (response.status, text(&response)),
        (
            500,
            r#"{"errors":[{"status":500,"detail":"Internal Server Error"}]}"#
        )
    );
    assert_eq!(
        response.headers,
        vec![("Content-Type", JSON_API.to_owned())]
    );
    assert_eq!(
        response.cause.as_deref(),
        Some("Directory error: host lookup failed")
    );
}

#[test]
fn an_overloaded_engine_answers_503_with_retry_after_1() {
    let engine = engine_with_failing_directory(|| Error::Overloaded);
    let response = login(&engine, AGENT, PASSWORD);
    assert_eq!(
        (response.status, text(&response)),
        (
            503,
            r#"{"errors":[{"detail":"Too many requests in progress. Please try again.","status":503}]}"#
        )
    );
    assert_eq!(response.header("content-type"), Some(JSON_API));
    assert_eq!(response.header("retry-after"), Some("1"));
    assert_eq!(response.cause, None);
}

#[test]
fn the_transport_answers_are_json_api_with_exact_bodies() {
    let cases = [
        (
            internal_error(),
            500,
            r#"{"errors":[{"status":500,"detail":"Internal Server Error"}]}"#,
        ),
        (
            request_timeout(),
            408,
            r#"{"errors":[{"status":408,"detail":"Request Timeout"}]}"#,
        ),
        (
            body_too_large(),
            413,
            r#"{"errors":[{"status":413,"detail":"Request body is too large."}]}"#,
        ),
        (
            post_data_invalid(),
            400,
            r#"{"errors":[{"detail":"Post data is invalid.","status":400}]}"#,
        ),
    ];
    for (response, status, body) in cases {
        assert_eq!((response.status, text(&response)), (status, body));
        assert_eq!(
            response.headers,
            vec![("Content-Type", JSON_API.to_owned())]
        );
        assert_eq!(response.cause, None);
    }
}

#[test]
fn every_error_status_of_the_handler_is_json_api() {
    let (engine, _) = search_engine();
    let big = vec![b'x'; engine.config().glue_max_body_bytes + 1];
    let mut answers = vec![
        (
            400,
            request(&engine, "POST", "/agent-access-tokens", "", &[], b"{"),
        ),
        (
            401,
            get(&engine, SEARCH, "q=ma", &[("Authorization", "Bearer x")]),
        ),
        (
            403,
            request(&engine, "DELETE", "/refresh-tokens/mine", "", &[], b""),
        ),
        (404, get(&engine, "/nope", "", &[])),
        (404, get(&engine, "/agent-access-tokens", "", &[])),
        (
            413,
            request(&engine, "POST", "/agent-access-tokens", "", &[], &big),
        ),
        (
            422,
            request(
                &engine,
                "POST",
                "/refresh-tokens",
                "",
                &[],
                br#"{"data":{"type":"refresh-tokens","attributes":{"refreshToken":""}}}"#,
            ),
        ),
    ];
    // Nine failures, then the block (D17).
    for _ in 0..9 {
        login(&engine, "nobody@spryker.com", "wrong");
    }
    answers.push((429, login(&engine, "nobody@spryker.com", "wrong")));
    answers.push((
        500,
        login(
            &engine_with_failing_directory(|| Error::Internal("down".into())),
            AGENT,
            PASSWORD,
        ),
    ));
    answers.push((
        503,
        login(
            &engine_with_failing_directory(|| Error::Overloaded),
            AGENT,
            PASSWORD,
        ),
    ));
    for (status, response) in answers {
        assert_eq!(response.status, status, "{}", text(&response));
        assert_eq!(
            response.header("content-type"),
            Some(JSON_API),
            "{status}: {}",
            text(&response)
        );
        let doc: serde_json::Value = serde_json::from_slice(&response.body).expect("JSON");
        assert_eq!(doc["errors"][0]["status"], status, "{status}");
    }
    // D14's one exception: invalid paging is Glue's plain-text 400.
    let paging = get(&engine, SEARCH, "page[offset]=x&page[limit]=10", &[]);
    assert_eq!(
        (paging.status, paging.header("content-type")),
        (400, Some("text/plain; charset=utf-8"))
    );
}

#[test]
fn offsets_beyond_32_bits_give_exact_paging_links() {
    let (engine, agent) = search_engine();
    let headers = [("Authorization", agent.as_str())];
    let links = |query: &str| {
        let response = get(&engine, SEARCH, query, &headers);
        assert_eq!(response.status, 200, "{}", text(&response));
        let doc: serde_json::Value = serde_json::from_slice(&response.body).expect("JSON");
        assert_eq!(
            doc["data"][0]["attributes"]["customers"],
            serde_json::json!([])
        );
        doc["links"].to_string()
    };
    let page = |o: u64| format!("{BASE}{SEARCH}?q=ma&page[offset]={o}&page[limit]=10");
    // 2^32 + 4, rounded down to a page boundary: 4294967300.
    let query = "q=ma&page[offset]=4294967304&page[limit]=10";
    assert_eq!(
        links(query),
        serde_json::json!({
            "self": format!("{BASE}{SEARCH}?{query}"),
            "last": page(0),
            "first": page(0),
            "prev": page(4_294_967_290),
        })
        .to_string()
    );
    // The largest offset: no next page, and no overflow computing it.
    let query = "q=ma&page[offset]=18446744073709551615&page[limit]=10";
    assert_eq!(
        links(query),
        serde_json::json!({
            "self": format!("{BASE}{SEARCH}?{query}"),
            "last": page(0),
            "first": page(0),
            "prev": page(18_446_744_073_709_551_600),
        })
        .to_string()
    );
}

/// Which requests an event-loop transport may answer on its loop thread: the
/// short ones on the embedded store; never a login (password pool), a search
/// or a revocation (a synced commit).
#[test]
fn brief_requests_are_the_short_ones_on_the_embedded_store() {
    let f = common::fixture();
    assert!(f.engine.store().is_embedded());
    let brief = |method: &str, path: &str| f.engine.glue_request_is_brief(method, path);
    assert!(brief("POST", "/agent-customer-impersonation-access-tokens"));
    assert!(brief("post", "/refresh-tokens"));
    assert!(brief("POST", "/token-introspection"));
    assert!(brief("GET", "/.well-known/jwks.json"));
    assert!(brief("GET", "/no-such-resource"));
    assert!(!brief("POST", "/agent-access-tokens"));
    assert!(!brief("GET", SEARCH));
    assert!(!brief("DELETE", "/refresh-tokens/mine"));
    assert!(!brief("DELETE", "/refresh-tokens/ao1_x"));
    // A known path with another method is answered 404 at once, as any
    // unrouted request: brief, whatever the path.
    assert!(brief("GET", "/agent-access-tokens"));
    assert!(brief("GET", "/agent-customer-impersonation-access-tokens"));
    assert!(brief("GET", "/refresh-tokens/mine"));
    assert_eq!(
        f.engine
            .handle_glue(&agent_oauth_core::glue::GlueRequest {
                method: "GET",
                path: "/agent-access-tokens",
                query: "",
                headers: &[],
                body: b"",
                client_ip: "127.0.0.1",
            })
            .status,
        404
    );
}
