//! The Glue JSON:API handler: method, path, query, headers, body and client
//! address all fuzzed, against one engine with a demo agent and customers.
//!
//! The input is structured (`arbitrary`): each part is either one of the
//! shapes the handler knows (the routes, JSON:API bodies with the right
//! `type`, `Bearer` headers carrying the harness's live agent or
//! impersonation tokens, the demo agent's username and password) or raw
//! fuzzed text, so both deep paths and garbage are reached.
//!
//! Checked: nothing panics; the status is one the handler documents (a 500
//! is a failure: nothing inside can fail with an in-memory database); JSON
//! content types carry JSON, error statuses carry `errors`; 204 has no body;
//! 401 carries `WWW-Authenticate` and 429 `Retry-After`; a 201 carries an
//! access token the engine verifies; no answer contains the agent's password
//! or a password hash unless the request itself carried that text elsewhere.
#![no_main]

use std::sync::{Mutex, OnceLock};

use agent_oauth_core::Engine;
use agent_oauth_core::glue::{GlueRequest, GlueResponse, JSON_API};
use arbitrary::Arbitrary;
use fuzz_fixture::{AGENT, BLOCKED_AGENT, HARNESS_IP, PASSWORD, Sessions, contains};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

struct Fixture {
    engine: Engine,
    sessions: Mutex<Sessions>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let engine = fuzz_fixture::demo_engine();
        let sessions = Mutex::new(Sessions::issue(&engine));
        Fixture { engine, sessions }
    })
}

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    method: Method<'a>,
    path: Path<'a>,
    query: Query<'a>,
    headers: Vec<Header<'a>>,
    body: Body<'a>,
    client_ip: ClientIp<'a>,
}

#[derive(Arbitrary, Debug)]
enum Method<'a> {
    Get,
    Post,
    Delete,
    LowerPost,
    Raw(&'a str),
}

#[derive(Arbitrary, Debug)]
enum Path<'a> {
    AgentAccessTokens,
    Impersonation,
    Search,
    Refresh,
    RevokeMine,
    Revoke(Token<'a>),
    Jwks,
    Introspection,
    Consents,
    CustomerSessions,
    Raw(&'a str),
}

#[derive(Arbitrary, Debug)]
enum Query<'a> {
    None,
    Search {
        q: Option<&'a str>,
        offset: Option<&'a str>,
        limit: Option<&'a str>,
        extra: &'a str,
    },
    Raw(&'a str),
}

#[derive(Arbitrary, Debug)]
struct Header<'a> {
    name: HeaderName<'a>,
    value: HeaderValue<'a>,
}

#[derive(Arbitrary, Debug)]
enum HeaderName<'a> {
    Authorization,
    XAgentAuthorization,
    LowerAuthorization,
    ContentType,
    Raw(&'a str),
}

#[derive(Arbitrary, Debug)]
enum HeaderValue<'a> {
    Bearer(Token<'a>),
    /// Any scheme word, then a token.
    Scheme(&'a str, Token<'a>),
    Basic(&'a str),
    Raw(&'a str),
}

/// A token: one of the harness's live ones, or fuzzed text.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Token<'a> {
    AgentAccess,
    AgentRefresh,
    ImpersonationAccess,
    ImpersonationRefresh,
    Raw(&'a str),
}

#[derive(Arbitrary, Debug)]
enum Body<'a> {
    Empty,
    Raw(&'a [u8]),
    Login {
        ty: ResourceType<'a>,
        username: Attribute<'a>,
        password: Attribute<'a>,
    },
    Impersonate {
        ty: ResourceType<'a>,
        customer_reference: Attribute<'a>,
        reason: Option<Attribute<'a>>,
    },
    Refresh {
        ty: ResourceType<'a>,
        token: Attribute<'a>,
    },
    /// `token=...` form body of introspection.
    Introspect {
        token: Token<'a>,
        extra: &'a str,
    },
}

#[derive(Arbitrary, Debug)]
enum ResourceType<'a> {
    /// The type the route expects.
    Right,
    Missing,
    Raw(&'a str),
}

/// A JSON attribute value.
#[derive(Arbitrary, Debug)]
enum Attribute<'a> {
    /// The demo agent's username, the harness password, a known customer
    /// reference or a harness token, by the attribute's meaning.
    Known(u8),
    Token(Token<'a>),
    Text(&'a str),
    Number(i64),
    Null,
    Absent,
    Object(&'a str, &'a str),
}

#[derive(Arbitrary, Debug)]
enum ClientIp<'a> {
    V4(u8),
    V6,
    Raw(&'a str),
}

/// The statuses the handler answers with.
const STATUSES: [u16; 11] = [200, 201, 204, 400, 401, 403, 404, 413, 422, 429, 503];

fn token_text<'a>(token: Token<'a>, sessions: &'a Sessions) -> &'a str {
    match token {
        Token::AgentAccess => &sessions.agent.access_token,
        Token::AgentRefresh => &sessions.agent.refresh_token,
        Token::ImpersonationAccess => &sessions.impersonation.access_token,
        Token::ImpersonationRefresh => &sessions.impersonation.refresh_token,
        Token::Raw(s) => s,
    }
}

/// Which known values an attribute may take.
#[derive(Clone, Copy)]
enum Meaning {
    Username,
    Password,
    CustomerReference,
    Reason,
    RefreshToken,
}

fn attribute(a: &Attribute<'_>, meaning: Meaning, sessions: &Sessions) -> Option<Value> {
    Some(match a {
        Attribute::Known(i) => {
            let known: &[&str] = match meaning {
                Meaning::Username => &[AGENT, BLOCKED_AGENT, "ADMIN@SPRYKER.COM", "nobody@x"],
                Meaning::Password => &[PASSWORD, "wrong", ""],
                Meaning::CustomerReference => &["DE--5", "DE--6", "DE--7", "DE--99", ""],
                Meaning::Reason => &["ticket 42", ""],
                Meaning::RefreshToken => &[
                    &sessions.agent.refresh_token,
                    &sessions.impersonation.refresh_token,
                    "ao1_",
                ],
            };
            Value::from(known[usize::from(*i) % known.len()])
        }
        Attribute::Token(t) => Value::from(token_text(*t, sessions)),
        Attribute::Text(s) => Value::from(*s),
        Attribute::Number(n) => Value::from(*n),
        Attribute::Null => Value::Null,
        Attribute::Absent => return None,
        Attribute::Object(k, v) => json!({ *k: *v }),
    })
}

fn json_api_body(
    resource: &str,
    ty: &ResourceType<'_>,
    attributes: &[(&str, Option<Value>)],
) -> Vec<u8> {
    let mut data = serde_json::Map::new();
    match ty {
        ResourceType::Right => {
            data.insert("type".into(), resource.into());
        }
        ResourceType::Missing => {}
        ResourceType::Raw(t) => {
            data.insert("type".into(), (*t).into());
        }
    }
    let attributes: serde_json::Map<String, Value> = attributes
        .iter()
        .filter_map(|(k, v)| v.clone().map(|v| ((*k).to_owned(), v)))
        .collect();
    data.insert("attributes".into(), attributes.into());
    serde_json::to_vec(&json!({ "data": data })).expect("JSON")
}

/// The request's body, and the same body with the harness password left
/// out where the input placed it as the password attribute (for the leak check).
fn body(b: &Body<'_>, sessions: &Sessions) -> (Vec<u8>, Vec<u8>) {
    match b {
        Body::Empty => (Vec::new(), Vec::new()),
        Body::Raw(bytes) => (bytes.to_vec(), bytes.to_vec()),
        Body::Login {
            ty,
            username,
            password,
        } => {
            let build = |password: Option<Value>| {
                json_api_body(
                    "agent-access-tokens",
                    ty,
                    &[
                        ("username", attribute(username, Meaning::Username, sessions)),
                        ("password", password),
                    ],
                )
            };
            let full = build(attribute(password, Meaning::Password, sessions));
            let redacted = match password {
                Attribute::Known(_) => build(None),
                _ => full.clone(),
            };
            (full, redacted)
        }
        Body::Impersonate {
            ty,
            customer_reference,
            reason,
        } => {
            let body = json_api_body(
                "agent-customer-impersonation-access-tokens",
                ty,
                &[
                    (
                        "customerReference",
                        attribute(customer_reference, Meaning::CustomerReference, sessions),
                    ),
                    (
                        "reason",
                        reason
                            .as_ref()
                            .and_then(|r| attribute(r, Meaning::Reason, sessions)),
                    ),
                ],
            );
            (body.clone(), body)
        }
        Body::Refresh { ty, token } => {
            let body = json_api_body(
                "refresh-tokens",
                ty,
                &[(
                    "refreshToken",
                    attribute(token, Meaning::RefreshToken, sessions),
                )],
            );
            (body.clone(), body)
        }
        Body::Introspect { token, extra } => {
            let form = form_urlencoded::Serializer::new(String::new())
                .append_pair("token", token_text(*token, sessions))
                .finish()
                + extra;
            (form.clone().into_bytes(), form.into_bytes())
        }
    }
}

fn check(request: &GlueRequest<'_>, redacted_body: &[u8], response: &GlueResponse) {
    let status = response.status;
    assert!(
        STATUSES.contains(&status),
        "unexpected status {status}: {}",
        String::from_utf8_lossy(&response.body)
    );
    let content_type = response.header("Content-Type");
    if status == 204 {
        assert!(response.body.is_empty(), "204 with a body");
    } else {
        assert!(content_type.is_some(), "{status} without Content-Type");
    }
    let is_json = matches!(content_type, Some(t) if t == JSON_API || t == "application/json");
    let doc: Option<Value> = is_json.then(|| {
        serde_json::from_slice(&response.body).unwrap_or_else(|e| {
            panic!(
                "{status} {content_type:?} body is not JSON ({e}): {}",
                String::from_utf8_lossy(&response.body)
            )
        })
    });
    if let (Some(doc), Some(JSON_API)) = (&doc, content_type)
        && status >= 400
    {
        assert!(
            doc["errors"].as_array().is_some_and(|e| !e.is_empty()),
            "{status} JSON:API answer without errors: {doc}"
        );
    }
    if status == 401 {
        assert!(
            response.header("WWW-Authenticate").is_some(),
            "401 without WWW-Authenticate"
        );
    }
    assert_eq!(
        status == 429,
        response.header("Retry-After").is_some(),
        "Retry-After on {status}"
    );
    if status == 201 {
        let doc = doc.expect("201 is JSON");
        // A consent code needs a customer's own token, which the harness
        // holds none of; every other 201 is a token pair.
        if doc["data"]["type"] != "customer-impersonation-consents" {
            let access = doc["data"]["attributes"]["accessToken"]
                .as_str()
                .expect("201 with an access token");
            let engine = &fixture().engine;
            engine
                .verify_strict(access)
                .expect("an issued token verifies");
        }
        assert_eq!(response.header("Cache-Control"), Some("no-store"));
    }

    // What the request itself carried, outside the password attribute.
    let mut sent: Vec<u8> = Vec::new();
    for part in [
        request.method,
        request.path,
        request.query,
        request.client_ip,
    ] {
        sent.extend_from_slice(part.as_bytes());
        sent.push(0);
    }
    for (name, value) in request.headers {
        sent.extend_from_slice(name.as_bytes());
        sent.push(0);
        sent.extend_from_slice(value.as_bytes());
        sent.push(0);
    }
    sent.extend_from_slice(redacted_body);
    let mut answered: Vec<u8> = response.body.clone();
    for (_, value) in &response.headers {
        answered.extend_from_slice(value.as_bytes());
        answered.push(0);
    }
    for secret in [PASSWORD.as_bytes(), b"$argon2", b"$2y$"] {
        if contains(&answered, secret) {
            assert!(
                contains(&sent, secret),
                "the answer contains {:?}",
                String::from_utf8_lossy(secret)
            );
        }
    }
}

fuzz_target!(|input: Input<'_>| {
    let f = fixture();
    let sessions = f.sessions.lock().unwrap_or_else(|e| e.into_inner()).clone();

    let method = match input.method {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Delete => "DELETE",
        Method::LowerPost => "post",
        Method::Raw(m) => m,
    };
    let revoke_path;
    let path = match input.path {
        Path::AgentAccessTokens => "/agent-access-tokens",
        Path::Impersonation => "/agent-customer-impersonation-access-tokens",
        Path::Search => "/agent-customer-search",
        Path::Refresh => "/refresh-tokens",
        Path::RevokeMine => "/refresh-tokens/mine",
        Path::Revoke(t) => {
            revoke_path = format!("/refresh-tokens/{}", token_text(t, &sessions));
            &revoke_path
        }
        Path::Jwks => "/.well-known/jwks.json",
        Path::Introspection => "/token-introspection",
        Path::Consents => "/customer-impersonation-consents",
        Path::CustomerSessions => "/customer-impersonation-sessions",
        Path::Raw(p) => p,
    };
    let search_query;
    let query = match input.query {
        Query::None => "",
        Query::Search {
            q,
            offset,
            limit,
            extra,
        } => {
            let mut form = form_urlencoded::Serializer::new(String::new());
            for (key, value) in [("q", q), ("page[offset]", offset), ("page[limit]", limit)] {
                if let Some(value) = value {
                    form.append_pair(key, value);
                }
            }
            search_query = form.finish() + "&" + extra;
            &search_query
        }
        Query::Raw(q) => q,
    };
    let values: Vec<String> = input
        .headers
        .iter()
        .take(8)
        .map(|h| match h.value {
            HeaderValue::Bearer(t) => format!("Bearer {}", token_text(t, &sessions)),
            HeaderValue::Scheme(scheme, t) => format!("{scheme} {}", token_text(t, &sessions)),
            HeaderValue::Basic(credentials) => format!("Basic {credentials}"),
            HeaderValue::Raw(v) => v.to_owned(),
        })
        .collect();
    let headers: Vec<(&str, &str)> = input
        .headers
        .iter()
        .zip(&values)
        .map(|(h, v)| {
            let name = match h.name {
                HeaderName::Authorization => "Authorization",
                HeaderName::XAgentAuthorization => "X-Agent-Authorization",
                HeaderName::LowerAuthorization => "authorization",
                HeaderName::ContentType => "Content-Type",
                HeaderName::Raw(n) => n,
            };
            (name, v.as_str())
        })
        .collect();
    let (body, redacted_body) = body(&input.body, &sessions);
    let v4;
    let client_ip = match input.client_ip {
        ClientIp::V4(last) => {
            v4 = format!("203.0.113.{last}");
            &v4
        }
        ClientIp::V6 => "2001:db8::7",
        // The harness's own address stays the harness's.
        ClientIp::Raw(ip) if ip == HARNESS_IP => "203.0.113.0",
        ClientIp::Raw(ip) => ip,
    };

    let request = GlueRequest {
        method,
        path,
        query,
        headers: &headers,
        body: &body,
        client_ip,
    };
    let response = f.engine.handle_glue(&request);
    check(&request, &redacted_body, &response);

    // Refreshing or revoking may have spent or ended the harness's sessions:
    // start new ones so later inputs still reach the authenticated paths.
    if path.starts_with("/refresh-tokens") && matches!(response.status, 201 | 204) {
        let mut held = f.sessions.lock().unwrap_or_else(|e| e.into_inner());
        *held = Sessions::issue(&f.engine);
    }
});
