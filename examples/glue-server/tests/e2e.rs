//! End-to-end tests over real HTTP: the `agent-oauth-server` binary on an
//! ephemeral port with a temporary database, the seeds' request bodies, and
//! exact statuses, headers, bodies and key orders (reference §4, §5;
//! DECISIONS D6, D8, D11-D17).

mod common;

use common::*;
use serde_json::{Value, json};

const E4101: &str =
    r#"{"errors":[{"code":"4101","status":401,"detail":"Failed to authenticate an agent."}]}"#;
const E4102: &str =
    r#"{"errors":[{"detail":"Agent access token is invalid.","status":401,"code":"4102"}]}"#;
const E4103: &str = r#"{"errors":[{"status":401,"code":"4103","detail":"Action is available to agent user only."}]}"#;
const E4104: &str =
    r#"{"errors":[{"code":"4104","status":401,"detail":"Failed to impersonate a customer."}]}"#;
const E001: &str = r#"{"errors":[{"detail":"Invalid access token.","status":401,"code":"001"}]}"#;
const E002: &str = r#"{"errors":[{"detail":"Missing access token.","status":403,"code":"002"}]}"#;
const E004: &str =
    r#"{"errors":[{"code":"004","status":401,"detail":"Failed to refresh token."}]}"#;
const E901: &str = r#"{"errors":[{"code":"901","status":422,"detail":"refreshToken => This value should not be blank."}]}"#;
const E4401: &str = r#"{"errors":[{"status":429,"code":"4401","detail":"Too many log in attempts from your address. Please wait 6 minutes before trying again."}]}"#;
const INVALID_TYPE: &str = r#"{"errors":[{"detail":"Invalid type.","status":400}]}"#;
const POST_DATA_INVALID: &str = r#"{"errors":[{"detail":"Post data is invalid.","status":400}]}"#;
const NOT_FOUND: &str = r#"{"errors":[{"status":404,"detail":"Not Found"}]}"#;

const IMPERSONATION: &str = "/agent-customer-impersonation-access-tokens";
const SEARCH: &str = "/agent-customer-search";

/// The `sub` of the demo agent's tokens (Spryker's layout, PHP encoding).
const AGENT_SUB: &str = r#"{"id_company_user":null,"id_agent":1,"customer_reference":null,"id_customer":null,"permissions":null}"#;
/// The `sub` of an impersonation of DE--5 (Karl Schmidt, B2B company user).
const KARL_SUB: &str = r#"{"id_company_user":"dffc622b-8dd6-59ec-8e19-c5a4d5e74b1a","id_agent":null,"customer_reference":"DE--5","id_customer":5,"permissions":null}"#;

/// A bcrypt hash of `secret-1` made by PHP's `password_hash(..., PASSWORD_BCRYPT)`.
const PHP_BCRYPT_SECRET_1: &str = "$2y$10$5VFYYKeAAmBBlfiM0h5viuj5yR3.5mRYFNFPGS0mxcT5hg5ns7.eO";

fn x_agent(token: &str) -> (&'static str, String) {
    ("X-Agent-Authorization", bearer(token))
}

// ---------------------------------------------------------------------------
// POST /agent-access-tokens

#[test]
fn agent_login_with_the_seed_body_issues_a_token_pair() {
    let data = DataDir::new();
    let server = data.serve(&[]);
    let reply = server.post("/agent-access-tokens", &[], LOGIN_SEED);
    let tokens = reply.assert_tokens("agent-access-tokens");
    assert_eq!(tokens.expires_in, 28800);
    assert!(reply.body.starts_with(
        r#"{"data":{"type":"agent-access-tokens","id":null,"attributes":{"tokenType":"Bearer","expiresIn":28800,"accessToken":"eyJ"#
    ));
    assert!(reply.body.ends_with(
        r#""},"links":{"self":"https://glue.mysprykershop.com/agent-access-tokens"}}}"#
    ));

    let claims = claims(&tokens.access);
    assert_eq!(
        keys(&claims),
        ["aud", "jti", "iat", "nbf", "exp", "sub", "scopes"]
    );
    assert_eq!(claims["aud"], "frontend");
    assert_eq!(claims["sub"], AGENT_SUB);
    assert_eq!(claims["scopes"], json!(["agent"]));
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        28800
    );
    let jti = claims["jti"].as_str().unwrap();
    assert_eq!(jti.len(), 80, "{jti}");
    assert!(
        jti.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );

    // D13: Accept and Content-Type are not enforced.
    server
        .post(
            "/agent-access-tokens",
            &[("Content-Type", "application/json"), ("Accept", "*/*")],
            LOGIN_SEED,
        )
        .assert_tokens("agent-access-tokens");
    server
        .post(
            "/agent-access-tokens",
            &[("Accept", "application/vnd.api+json")],
            LOGIN_SEED,
        )
        .assert_tokens("agent-access-tokens");
    // No Accept and no Content-Type at all.
    let raw = format!(
        "POST /agent-access-tokens HTTP/1.1\r\nHost: glue\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{LOGIN_SEED}",
        LOGIN_SEED.len()
    );
    server
        .raw(raw.as_bytes())
        .assert_tokens("agent-access-tokens");

    // Every login is a new session: distinct tokens.
    let again = server.admin();
    assert_ne!(again.access, tokens.access);
    assert_ne!(again.refresh, tokens.refresh);
}

#[test]
fn agent_login_failures_answer_4101_and_bad_bodies_400() {
    let data = DataDir::new();
    let server = data.serve(&[]);
    let login = |body: &str| server.post("/agent-access-tokens", &[], body);

    let failures = [
        ("wrong password", login_body("admin@spryker.com", "wrong")),
        ("unknown user", login_body("nobody@spryker.com", "change123")),
        ("empty strings", login_body("", "")),
        ("empty password", login_body("admin@spryker.com", "")),
        (
            "attributes {}",
            r#"{"data":{"type":"agent-access-tokens","attributes":{}}}"#.to_owned(),
        ),
        (
            "non-string username",
            r#"{"data":{"type":"agent-access-tokens","attributes":{"username":1,"password":"change123"}}}"#
                .to_owned(),
        ),
        (
            "null password",
            r#"{"data":{"type":"agent-access-tokens","attributes":{"username":"admin@spryker.com","password":null}}}"#
                .to_owned(),
        ),
        (
            "password of the wrong case",
            login_body("admin@spryker.com", "CHANGE123"),
        ),
    ];
    for (case, body) in &failures {
        let reply = login(body);
        assert_eq!(reply.body, E4101, "{case}");
        reply.assert_error(401, E4101);
        assert_eq!(reply.header("cache-control"), None, "{case}");
    }

    login(&body(
        "agent-customer-search",
        &[("username", "admin@spryker.com"), ("password", "change123")],
    ))
    .assert_error(400, INVALID_TYPE);
    login(r#"{"data":{"attributes":{"username":"admin@spryker.com","password":"change123"}}}"#)
        .assert_error(400, INVALID_TYPE);
    for (case, body) in [
        (
            "malformed JSON",
            r#"{"data":{"type":"agent-access-tokens","#,
        ),
        ("not JSON", "username=admin@spryker.com&password=change123"),
        ("empty body", ""),
        (
            "no data.attributes",
            r#"{"data":{"type":"agent-access-tokens"}}"#,
        ),
        (
            "attributes not an object",
            r#"{"data":{"type":"agent-access-tokens","attributes":[]}}"#,
        ),
        ("no data", r#"{"type":"agent-access-tokens"}"#),
        ("JSON array", "[]"),
    ] {
        let reply = login(body);
        assert_eq!(reply.body, POST_DATA_INVALID, "{case}");
        reply.assert_error(400, POST_DATA_INVALID);
    }

    // None of that locked the agent out (fewer than 9 failures per username).
    server.admin();
}

#[test]
fn agent_login_lockout_after_nine_failures() {
    let data = DataDir::new();
    let server = data.serve(&[]);
    let wrong = login_body("admin@spryker.com", "wrong");
    for attempt in 1..=9 {
        let reply = server.post("/agent-access-tokens", &[], &wrong);
        assert_eq!(reply.body, E4101, "attempt {attempt}");
        reply.assert_error(401, E4101);
        assert_eq!(reply.header("retry-after"), None);
    }
    // The 10th attempt, even with the right password, is refused unverified.
    for body in [wrong.as_str(), LOGIN_SEED] {
        let reply = server.post("/agent-access-tokens", &[], body);
        reply.assert_error(429, E4401);
        // 360 s block; a second may tick between the 9th failure and this answer.
        let retry = reply.header("retry-after").expect("Retry-After");
        assert!(retry == "360" || retry == "359", "Retry-After: {retry}");
    }
    // The key is IP + lower-cased username.
    server
        .post(
            "/agent-access-tokens",
            &[],
            &login_body("ADMIN@Spryker.com", "change123"),
        )
        .assert_error(429, E4401);
    server
        .post(
            "/agent-access-tokens",
            &[],
            &login_body("other@spryker.com", "x"),
        )
        .assert_error(401, E4101);
}

#[test]
fn lockout_resets_on_success_and_is_shared_between_processes() {
    let data = DataDir::new();
    let first = data.serve(&[]);
    let second = data.serve(&[]);
    let wrong = login_body("admin@spryker.com", "wrong");
    // Eight failures, then a success: the count starts again.
    for _ in 0..8 {
        first
            .post("/agent-access-tokens", &[], &wrong)
            .assert_error(401, E4101);
    }
    first.admin();
    for _ in 0..8 {
        first
            .post("/agent-access-tokens", &[], &wrong)
            .assert_error(401, E4101);
    }
    first.admin();
    // Failures in two processes on one store add up (D17).
    for server in [
        &first, &second, &first, &second, &first, &second, &first, &second,
    ] {
        server
            .post("/agent-access-tokens", &[], &wrong)
            .assert_error(401, E4101);
    }
    second
        .post("/agent-access-tokens", &[], &wrong)
        .assert_error(401, E4101);
    first
        .post("/agent-access-tokens", &[], LOGIN_SEED)
        .assert_error(429, E4401);
    second
        .post("/agent-access-tokens", &[], LOGIN_SEED)
        .assert_error(429, E4401);
}

// ---------------------------------------------------------------------------
// POST /agent-customer-impersonation-access-tokens

#[test]
fn impersonation_with_the_seed_body_via_either_header() {
    let data = DataDir::new();
    let server = data.serve(&[]);
    let agent = server.admin();
    let agent_claims = claims(&agent.access);

    let via_x_agent = server
        .post(
            IMPERSONATION,
            &[("X-Agent-Authorization", &bearer(&agent.access))],
            IMPERSONATION_SEED,
        )
        .assert_tokens("agent-customer-impersonation-access-tokens");
    let via_authorization = server
        .post(
            IMPERSONATION,
            &[("Authorization", &bearer(&agent.access))],
            IMPERSONATION_SEED,
        )
        .assert_tokens("agent-customer-impersonation-access-tokens");

    for tokens in [&via_x_agent, &via_authorization] {
        let c = claims(&tokens.access);
        assert_eq!(
            keys(&c),
            ["aud", "jti", "iat", "nbf", "exp", "sub", "scopes", "act"]
        );
        assert_eq!(c["sub"], KARL_SUB);
        assert_eq!(c["scopes"], json!(["customer_impersonation", "customer"]));
        // D4: act names the agent token's sub; exp never after the agent's.
        assert_eq!(c["act"], json!({"sub": agent_claims["sub"]}));
        assert_eq!(c["act"]["sub"], AGENT_SUB);
        let exp = c["exp"].as_i64().unwrap();
        assert!(exp <= agent_claims["exp"].as_i64().unwrap());
        assert_eq!(tokens.expires_in, exp - c["iat"].as_i64().unwrap());
        assert!(tokens.expires_in <= 28800 && tokens.expires_in > 28700);
    }
    assert_ne!(via_x_agent.refresh, via_authorization.refresh);

    // The impersonation token with the agent's own X-Agent header (Spryker's
    // AgentRestUserMapperPlugin case) also works, as does `reason`.
    let with_reason = body(
        "agent-customer-impersonation-access-tokens",
        &[
            ("customerReference", "DE--1"),
            ("reason", "customer called support"),
        ],
    );
    server
        .post(
            IMPERSONATION,
            &[
                ("Authorization", &bearer(&via_x_agent.access)),
                ("X-Agent-Authorization", &bearer(&agent.access)),
            ],
            &with_reason,
        )
        .assert_tokens("agent-customer-impersonation-access-tokens");
    // Customer references match exactly, as Spryker's lookup.
    server.impersonate(&agent.access, "DE--6");
    // Spryker splits X-Agent-Authorization on any run of whitespace.
    server
        .post(
            IMPERSONATION,
            &[(
                "X-Agent-Authorization",
                &format!("Bearer  \t{}", agent.access),
            )],
            IMPERSONATION_SEED,
        )
        .assert_tokens("agent-customer-impersonation-access-tokens");
}

#[test]
fn impersonation_error_table_of_reference_4_5() {
    let data = DataDir::new();
    let server = data.serve(&[]);
    let agent = server.admin();
    let customer = server.impersonate(&agent.access, "DE--5");
    let post = |headers: &[(&str, &str)], body: &str| server.post(IMPERSONATION, headers, body);
    let good_x = x_agent(&agent.access);
    let good_x = (good_x.0, good_x.1.as_str());

    // no agent token
    post(&[], IMPERSONATION_SEED).assert_error(401, E4103);
    // a customer (impersonation) token in Authorization only
    post(
        &[("Authorization", &bearer(&customer.access))],
        IMPERSONATION_SEED,
    )
    .assert_error(401, E4103);
    // ... or in X-Agent-Authorization only
    post(
        &[("X-Agent-Authorization", &bearer(&customer.access))],
        IMPERSONATION_SEED,
    )
    .assert_error(401, E4103);
    // a Spryker-issued customer token (signed with the shop's key, no kid, D1)
    let spryker_customer = spryker_customer_token(&data);
    post(
        &[("Authorization", &bearer(&spryker_customer))],
        IMPERSONATION_SEED,
    )
    .assert_error(401, E4103);
    // Authorization: Bearer fake -> 001, even with a good X-Agent header (D11)
    post(&[("Authorization", "Bearer fake")], IMPERSONATION_SEED).assert_error(401, E001);
    post(
        &[("Authorization", "Bearer fake"), good_x],
        IMPERSONATION_SEED,
    )
    .assert_error(401, E001);
    post(
        &[("Authorization", "Basic YWRtaW46c2VjcmV0"), good_x],
        IMPERSONATION_SEED,
    )
    .assert_error(401, E001);
    // invalid X-Agent-Authorization -> 4102
    post(
        &[("X-Agent-Authorization", "Bearer fake")],
        IMPERSONATION_SEED,
    )
    .assert_error(401, E4102);
    post(
        &[("X-Agent-Authorization", &format!("Basic {}", agent.access))],
        IMPERSONATION_SEED,
    )
    .assert_error(401, E4102);
    post(
        &[("X-Agent-Authorization", &format!("bearer {}", agent.access))],
        IMPERSONATION_SEED,
    )
    .assert_error(401, E4102);
    post(
        &[
            ("X-Agent-Authorization", "Bearer fake"),
            ("Authorization", &bearer(&agent.access)),
        ],
        IMPERSONATION_SEED,
    )
    .assert_error(401, E4102);
    // a header without a space is ignored: no agent
    post(&[("X-Agent-Authorization", "Bearer")], IMPERSONATION_SEED).assert_error(401, E4103);
    // a token signed with the right key but of no session fails the strict check
    let forged = forged_agent_token(&data, common::now() + 3600);
    post(
        &[("X-Agent-Authorization", &bearer(&forged))],
        IMPERSONATION_SEED,
    )
    .assert_error(401, E4102);
    post(&[("Authorization", &bearer(&forged))], IMPERSONATION_SEED).assert_error(401, E001);
    // an expired agent token
    let expired = forged_agent_token(&data, common::now() - 10);
    post(
        &[("X-Agent-Authorization", &bearer(&expired))],
        IMPERSONATION_SEED,
    )
    .assert_error(401, E4102);
    post(&[("Authorization", &bearer(&expired))], IMPERSONATION_SEED).assert_error(401, E001);
    // another audience, and an unsigned token
    let now = common::now();
    let other_audience = sign(
        &data.private_key_pem(),
        &json!({"aud": "backoffice", "jti": "ef".repeat(40), "iat": now, "nbf": now, "exp": now + 600,
                "sub": AGENT_SUB, "scopes": ["agent"]}),
    );
    post(
        &[("X-Agent-Authorization", &bearer(&other_audience))],
        IMPERSONATION_SEED,
    )
    .assert_error(401, E4102);
    post(
        &[("Authorization", &bearer(&other_audience))],
        IMPERSONATION_SEED,
    )
    .assert_error(401, E001);
    let payload = agent.access.split('.').nth(1).unwrap();
    let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
    post(
        &[("X-Agent-Authorization", &bearer(&unsigned))],
        IMPERSONATION_SEED,
    )
    .assert_error(401, E4102);
    post(&[("Authorization", &bearer(&unsigned))], IMPERSONATION_SEED).assert_error(401, E001);
    // the agent's own token with a tampered payload
    let parts: Vec<&str> = agent.access.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        parts[1].replacen('e', "f", 1),
        parts[2]
    );
    post(
        &[("X-Agent-Authorization", &bearer(&tampered))],
        IMPERSONATION_SEED,
    )
    .assert_error(401, E4102);
    // unknown, empty and missing reference -> 4104
    for body in [
        impersonation_body("DE--999"),
        impersonation_body(""),
        impersonation_body("de--5"),
        r#"{"data":{"type":"agent-customer-impersonation-access-tokens","attributes":{}}}"#.to_owned(),
        r#"{"data":{"type":"agent-customer-impersonation-access-tokens","attributes":{"customerReference":5}}}"#
            .to_owned(),
    ] {
        let reply = post(&[good_x], &body);
        assert_eq!(reply.body, E4104, "{body}");
        reply.assert_error(401, E4104);
    }
    // wrong type
    post(
        &[good_x],
        &body("agent-access-tokens", &[("customerReference", "DE--5")]),
    )
    .assert_error(400, INVALID_TYPE);
    post(&[good_x], "{oops").assert_error(400, POST_DATA_INVALID);
    post(
        &[good_x],
        r#"{"data":{"type":"agent-customer-impersonation-access-tokens"}}"#,
    )
    .assert_error(400, POST_DATA_INVALID);

    // After all that the agent still works.
    server.impersonate(&agent.access, "DE--5");
}

/// A customer token as Spryker's league server issues it with the shop's
/// key: no `kid`, `sub` with the customer, scope `customer`.
fn spryker_customer_token(data: &DataDir) -> String {
    let now = common::now();
    sign(
        &data.private_key_pem(),
        &json!({
            "aud": "frontend",
            "jti": "ab".repeat(40),
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "sub": r#"{"id_company_user":null,"id_agent":null,"customer_reference":"DE--1","id_customer":1,"permissions":null}"#,
            "scopes": ["customer"],
        }),
    )
}

/// An agent token signed with the server's key whose `jti` is no session's.
fn forged_agent_token(data: &DataDir, exp: i64) -> String {
    let now = common::now();
    sign(
        &data.private_key_pem(),
        &json!({
            "aud": "frontend",
            "jti": "cd".repeat(40),
            "iat": now - 20,
            "nbf": now - 20,
            "exp": exp,
            "sub": AGENT_SUB,
            "scopes": ["agent"],
        }),
    )
}

// ---------------------------------------------------------------------------
// GET /agent-customer-search

const CUSTOMERS: [&str; 6] = [
    r#"{"customerReference":"DE--1","email":"spencor.hopkin@spryker.com","firstName":"Spencor","lastName":"Hopkin"}"#,
    r#"{"customerReference":"DE--2","email":"maria.williams@spryker.com","firstName":"Maria","lastName":"Williams"}"#,
    r#"{"customerReference":"DE--3","email":"maggie.may@spryker.com","firstName":"Maggie","lastName":"May"}"#,
    r#"{"customerReference":"DE--4","email":"bill.martin@spryker.com","firstName":"Bill","lastName":"Martin"}"#,
    r#"{"customerReference":"DE--5","email":"karl.schmidt@spryker.com","firstName":"Karl","lastName":"Schmidt"}"#,
    r#"{"customerReference":"DE--6","email":"anne.boleyn@spryker.com","firstName":"Anne","lastName":"Boleyn"}"#,
];

/// The exact search document: `ids` are demo customer ids (1-based), `links`
/// the top-level links after `self`, as (name, query).
fn search_doc(query: &str, ids: &[usize], links: &[(&str, &str)]) -> String {
    let url = |q: &str| match q {
        "" => format!("{BASE}{SEARCH}"),
        q => format!("{BASE}{SEARCH}?{q}"),
    };
    let self_link = url(query);
    let customers: Vec<&str> = ids.iter().map(|&i| CUSTOMERS[i - 1]).collect();
    let mut top = vec![format!(r#""self":"{self_link}""#)];
    top.extend(
        links
            .iter()
            .map(|(name, q)| format!(r#""{name}":"{}""#, url(q))),
    );
    format!(
        r#"{{"data":[{{"type":"agent-customer-search","id":null,"attributes":{{"customers":[{}]}},"links":{{"self":"{self_link}"}}}}],"links":{{{}}}}}"#,
        customers.join(","),
        top.join(",")
    )
}

#[test]
fn customer_search_results_and_pagination_links() {
    let data = DataDir::new();
    let server = data.serve(&[]);
    let agent = server.admin();
    let header = x_agent(&agent.access);
    let search = |query: &str| server.get(&format!("{SEARCH}?{query}"), &[(header.0, &header.1)]);
    let check = |query: &str, ids: &[usize], links: &[(&str, &str)]| {
        let reply = search(query);
        assert_eq!(reply.status, 200, "{query}: {reply:?}");
        assert_eq!(reply.header("content-type"), Some(JSON_API), "{query}");
        assert_eq!(reply.body, search_doc(query, ids, links), "{query}");
    };

    // q=ma: Maria Williams, Maggie May, Bill Martin; default page (0, 10).
    check(
        "q=ma",
        &[2, 3, 4],
        &[
            ("last", "q=ma&page[offset]=0&page[limit]=10"),
            ("first", "q=ma&page[offset]=0&page[limit]=10"),
        ],
    );
    // Case-insensitive prefixes (D14), and the reference itself (docs: q=de--5).
    check(
        "q=MA",
        &[2, 3, 4],
        &[
            ("last", "q=MA&page[offset]=0&page[limit]=10"),
            ("first", "q=MA&page[offset]=0&page[limit]=10"),
        ],
    );
    check(
        "q=de--5",
        &[5],
        &[
            ("last", "q=de--5&page[offset]=0&page[limit]=10"),
            ("first", "q=de--5&page[offset]=0&page[limit]=10"),
        ],
    );
    // Pages of two: first page has next, not prev.
    check(
        "q=ma&page[offset]=0&page[limit]=2",
        &[2, 3],
        &[
            ("last", "q=ma&page[offset]=2&page[limit]=2"),
            ("first", "q=ma&page[offset]=0&page[limit]=2"),
            ("next", "q=ma&page[offset]=2&page[limit]=2"),
        ],
    );
    // Last page: prev, no next.
    check(
        "q=ma&page[offset]=2&page[limit]=2",
        &[4],
        &[
            ("last", "q=ma&page[offset]=2&page[limit]=2"),
            ("first", "q=ma&page[offset]=0&page[limit]=2"),
            ("prev", "q=ma&page[offset]=0&page[limit]=2"),
        ],
    );
    // The offset is rounded down to a page boundary; self stays as received.
    check(
        "q=ma&page[offset]=3&page[limit]=2",
        &[4],
        &[
            ("last", "q=ma&page[offset]=2&page[limit]=2"),
            ("first", "q=ma&page[offset]=0&page[limit]=2"),
            ("prev", "q=ma&page[offset]=0&page[limit]=2"),
        ],
    );
    // Percent-encoded keys; self is the raw query, page links use brackets.
    check(
        "q=ma&page%5Boffset%5D=0&page%5Blimit%5D=2",
        &[2, 3],
        &[
            ("last", "q=ma&page[offset]=2&page[limit]=2"),
            ("first", "q=ma&page[offset]=0&page[limit]=2"),
            ("next", "q=ma&page[offset]=2&page[limit]=2"),
        ],
    );
    // Other parameters are kept in the page links.
    check(
        "q=ma&page[offset]=0&page[limit]=2&include=x",
        &[2, 3],
        &[
            ("last", "q=ma&include=x&page[offset]=2&page[limit]=2"),
            ("first", "q=ma&include=x&page[offset]=0&page[limit]=2"),
            ("next", "q=ma&include=x&page[offset]=2&page[limit]=2"),
        ],
    );
    // A limit above 100 is clamped to 100, and the links say 100; no q: everyone.
    check(
        "page[offset]=0&page[limit]=500",
        &[1, 2, 3, 4, 5, 6],
        &[
            ("last", "page[offset]=0&page[limit]=100"),
            ("first", "page[offset]=0&page[limit]=100"),
        ],
    );
    // No query string at all.
    let reply = server.get(SEARCH, &[(header.0, &header.1)]);
    assert_eq!(
        reply.body,
        search_doc(
            "",
            &[1, 2, 3, 4, 5, 6],
            &[
                ("last", "page[offset]=0&page[limit]=10"),
                ("first", "page[offset]=0&page[limit]=10")
            ]
        )
    );
    // Six customers in pages of four: last is 4, next from 0 is 4.
    check(
        "q=&page[offset]=0&page[limit]=4",
        &[1, 2, 3, 4],
        &[
            ("last", "q=&page[offset]=4&page[limit]=4"),
            ("first", "q=&page[offset]=0&page[limit]=4"),
            ("next", "q=&page[offset]=4&page[limit]=4"),
        ],
    );
    // Only one page parameter: it does not count (default 0, 10).
    check(
        "q=ma&page[limit]=2",
        &[2, 3, 4],
        &[
            ("last", "q=ma&page[offset]=0&page[limit]=10"),
            ("first", "q=ma&page[offset]=0&page[limit]=10"),
        ],
    );
    check(
        "q=ma&page[offset]=2",
        &[2, 3, 4],
        &[
            ("last", "q=ma&page[offset]=0&page[limit]=10"),
            ("first", "q=ma&page[offset]=0&page[limit]=10"),
        ],
    );
    // Total 0: only self.
    check("q=zzz", &[], &[]);
    check("q=zzz&page[offset]=0&page[limit]=2", &[], &[]);
    // `%` and `_` are literal (D14).
    check("q=%25", &[], &[]);
    check("q=_", &[], &[]);
    // A space-encoded prefix does not match a name by accident.
    check("q=ma+x", &[], &[]);
    // References match whole, not by prefix.
    check("q=DE--", &[], &[]);
    // A huge offset is an empty page, not an error.
    let reply = search("q=ma&page[offset]=18446744073709551615&page[limit]=10");
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(
        reply.json()["data"][0]["attributes"]["customers"],
        json!([])
    );

    // Invalid paging: plain-text 400, checked before authentication.
    for query in [
        "page[offset]=x&page[limit]=10",
        "page[offset]=0&page[limit]=0",
        "page[offset]=-1&page[limit]=10",
        "page[offset]=0&page[limit]=ten",
        "page[limit]=x",
    ] {
        for headers in [vec![(header.0, header.1.as_str())], vec![]] {
            let reply = server.get(&format!("{SEARCH}?{query}"), &headers);
            assert_eq!(
                (reply.status, reply.body.as_str()),
                (400, "Pagination parameters are invalid."),
                "{query}"
            );
            let content_type = reply.header("content-type").unwrap_or_default();
            assert!(
                content_type.starts_with("text/plain"),
                "{query}: {content_type}"
            );
        }
    }

    // Agent-only: same header rules as impersonation.
    let customer = server.impersonate(&agent.access, "DE--5");
    server
        .get(&format!("{SEARCH}?q=ma"), &[])
        .assert_error(401, E4103);
    server
        .get(
            &format!("{SEARCH}?q=ma"),
            &[("Authorization", &bearer(&customer.access))],
        )
        .assert_error(401, E4103);
    server
        .get(
            &format!("{SEARCH}?q=ma"),
            &[("Authorization", "Bearer fake"), (header.0, &header.1)],
        )
        .assert_error(401, E001);
    server
        .get(
            &format!("{SEARCH}?q=ma"),
            &[("X-Agent-Authorization", "Bearer fake")],
        )
        .assert_error(401, E4102);
    // The agent token in Authorization also works (Spryker's robot tests).
    let reply = server.get(
        &format!("{SEARCH}?q=ma"),
        &[("Authorization", &bearer(&agent.access))],
    );
    assert_eq!(
        reply.body,
        search_doc(
            "q=ma",
            &[2, 3, 4],
            &[
                ("last", "q=ma&page[offset]=0&page[limit]=10"),
                ("first", "q=ma&page[offset]=0&page[limit]=10")
            ]
        )
    );
}

// ---------------------------------------------------------------------------
// POST /refresh-tokens

#[test]
fn refresh_rotates_and_refuses_reuse() {
    let data = DataDir::new();
    let server = data.serve(&[]);
    let agent = server.admin();

    let seed_like = format!(
        "{{\n    \"data\": {{\n        \"type\": \"refresh-tokens\",\n        \"attributes\": {{\n            \"refreshToken\": \"{}\"\n        }}\n    }}\n}}",
        agent.refresh
    );
    let refreshed = server
        .post("/refresh-tokens", &[], &seed_like)
        .assert_tokens("refresh-tokens");
    assert_eq!(refreshed.expires_in, 28800);
    assert_ne!(refreshed.refresh, agent.refresh);
    let c = claims(&refreshed.access);
    assert_eq!(c["sub"], AGENT_SUB);
    assert_eq!(c["scopes"], json!(["agent"]));
    assert!(c.get("act").is_none());
    // The refreshed agent token is an agent token.
    server.impersonate(&refreshed.access, "DE--5");

    // The spent token comes back: 004, and the family is revoked (D9, grace 0).
    let reply = server.refresh(&agent.refresh);
    assert_eq!(reply.body, E004);
    reply.assert_error(401, E004);
    server.refresh(&refreshed.refresh).assert_error(401, E004);

    // Blank: 422/901; missing and null read as blank.
    server.refresh("").assert_error(422, E901);
    server
        .post(
            "/refresh-tokens",
            &[],
            r#"{"data":{"type":"refresh-tokens","attributes":{}}}"#,
        )
        .assert_error(422, E901);
    server
        .post(
            "/refresh-tokens",
            &[],
            r#"{"data":{"type":"refresh-tokens","attributes":{"refreshToken":null}}}"#,
        )
        .assert_error(422, E901);
    // Spryker's encrypted format and garbage: 004 (D6).
    let spryker = format!("def50200{}", "0a1b2c3d".repeat(40));
    server.refresh(&spryker).assert_error(401, E004);
    server
        .refresh("ao1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .assert_error(401, E004);
    server.refresh("ao1_short").assert_error(401, E004);
    server.refresh(&agent.access).assert_error(401, E004);
    server
        .post(
            "/refresh-tokens",
            &[],
            r#"{"data":{"type":"refresh-tokens","attributes":{"refreshToken":42}}}"#,
        )
        .assert_error(401, E004);
    server
        .post(
            "/refresh-tokens",
            &[],
            &body("agent-access-tokens", &[("refreshToken", "x")]),
        )
        .assert_error(400, INVALID_TYPE);
    server
        .post("/refresh-tokens", &[], "nope")
        .assert_error(400, POST_DATA_INVALID);

    // An impersonation refresh keeps act and the cap (D4).
    let agent = server.admin();
    let agent_exp = claims(&agent.access)["exp"].as_i64().unwrap();
    let imp = server.impersonate(&agent.access, "DE--5");
    let imp2 = server.refresh(&imp.refresh).assert_tokens("refresh-tokens");
    let c = claims(&imp2.access);
    assert_eq!(
        keys(&c),
        ["aud", "jti", "iat", "nbf", "exp", "sub", "scopes", "act"]
    );
    assert_eq!(c["sub"], KARL_SUB);
    assert_eq!(c["act"], json!({"sub": AGENT_SUB}));
    assert!(c["exp"].as_i64().unwrap() <= agent_exp);
    assert_eq!(
        imp2.expires_in,
        c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap()
    );
}

// ---------------------------------------------------------------------------
// DELETE /refresh-tokens/{token} and /refresh-tokens/mine

#[track_caller]
fn assert_no_content(reply: &Reply) {
    assert_eq!((reply.status, reply.body.as_str()), (204, ""), "{reply:?}");
    assert_eq!(reply.header("www-authenticate"), None);
}

#[test]
fn revocation_is_scoped_to_the_callers_own_sessions() {
    let data = DataDir::new();
    data.cli(&[
        "agent",
        "add",
        "second@spryker.com",
        "--password",
        "pass-2",
        "--id",
        "2",
    ]);
    let server = data.serve(&[]);
    let agent = server.admin();
    let other = server.login("second@spryker.com", "pass-2");
    assert_eq!(
        claims(&other.access)["sub"],
        AGENT_SUB.replace(r#""id_agent":1"#, r#""id_agent":2"#)
    );

    // Authorization is required (403/002) and must be valid (401/001).
    for path in [
        format!("/refresh-tokens/{}", agent.refresh),
        "/refresh-tokens/mine".to_owned(),
    ] {
        server.delete(&path, &[]).assert_error(403, E002);
        server
            .delete(&path, &[(x_agent(&agent.access).0, &bearer(&agent.access))])
            .assert_error(403, E002);
        server
            .delete(&path, &[("Authorization", "Bearer fake")])
            .assert_error(401, E001);
        server
            .delete(&path, &[("Authorization", "Basic YWRtaW46c2VjcmV0")])
            .assert_error(401, E001);
    }
    // Nothing was revoked by those.
    let agent = Tokens {
        refresh: server
            .refresh(&agent.refresh)
            .assert_tokens("refresh-tokens")
            .refresh,
        ..agent
    };

    let auth = bearer(&agent.access);
    let as_admin = [("Authorization", auth.as_str())];
    // Another agent's token: 204, nothing happens.
    assert_no_content(&server.delete(&format!("/refresh-tokens/{}", other.refresh), &as_admin));
    let other = server
        .refresh(&other.refresh)
        .assert_tokens("refresh-tokens");
    // Unknown and malformed tokens: 204.
    assert_no_content(&server.delete(
        "/refresh-tokens/ao1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        &as_admin,
    ));
    assert_no_content(&server.delete("/refresh-tokens/def50200abcdef", &as_admin));
    // Its own token: 204 and the family is gone.
    let second_session = server.admin();
    assert_no_content(&server.delete(
        &format!("/refresh-tokens/{}", second_session.refresh),
        &as_admin,
    ));
    server
        .refresh(&second_session.refresh)
        .assert_error(401, E004);
    // ... and its access token fails the strict check.
    server
        .post(
            IMPERSONATION,
            &[("X-Agent-Authorization", &bearer(&second_session.access))],
            IMPERSONATION_SEED,
        )
        .assert_error(401, E4102);
    // Revoking it again: still 204.
    assert_no_content(&server.delete(
        &format!("/refresh-tokens/{}", second_session.refresh),
        &as_admin,
    ));

    // An impersonation caller may end its own assistance, not the agent's session.
    let imp = server.impersonate(&agent.access, "DE--5");
    let imp_auth = bearer(&imp.access);
    assert_no_content(&server.delete(
        &format!("/refresh-tokens/{}", agent.refresh),
        &[("Authorization", imp_auth.as_str())],
    ));
    let imp_sibling = server.impersonate(&agent.access, "DE--5");
    assert_no_content(&server.delete(
        &format!("/refresh-tokens/{}", imp.refresh),
        &[("Authorization", imp_auth.as_str())],
    ));
    server.refresh(&imp.refresh).assert_error(401, E004);
    let agent = Tokens {
        refresh: server
            .refresh(&agent.refresh)
            .assert_tokens("refresh-tokens")
            .refresh,
        ..agent
    };

    // The agent may revoke an impersonation it started, not another agent's.
    let started = server.impersonate(&agent.access, "DE--3");
    let foreign = server.impersonate(&other.access, "DE--3");
    assert_no_content(&server.delete(&format!("/refresh-tokens/{}", started.refresh), &as_admin));
    assert_no_content(&server.delete(&format!("/refresh-tokens/{}", foreign.refresh), &as_admin));
    server.refresh(&started.refresh).assert_error(401, E004);
    server
        .refresh(&foreign.refresh)
        .assert_tokens("refresh-tokens");
    // An impersonation caller: the same customer by the same agent only (D8).
    let karl_a = server.impersonate(&agent.access, "DE--5");
    let karl_b = server.impersonate(&agent.access, "DE--5");
    let anne_a = server.impersonate(&agent.access, "DE--6");
    let karl_by_other = server.impersonate(&other.access, "DE--5");
    let karl_a_auth = bearer(&karl_a.access);
    for target in [&anne_a.refresh, &karl_by_other.refresh, &karl_b.refresh] {
        assert_no_content(&server.delete(
            &format!("/refresh-tokens/{target}"),
            &[("Authorization", karl_a_auth.as_str())],
        ));
    }
    server
        .refresh(&anne_a.refresh)
        .assert_tokens("refresh-tokens");
    server
        .refresh(&karl_by_other.refresh)
        .assert_tokens("refresh-tokens");
    server.refresh(&karl_b.refresh).assert_error(401, E004);
    server
        .refresh(&karl_a.refresh)
        .assert_tokens("refresh-tokens");

    // `mine` for an agent: its sessions and the impersonations it started,
    // not another agent's.
    let imp_a = server.impersonate(&agent.access, "DE--1");
    let imp_other = server.impersonate(&other.access, "DE--2");
    let other_session = server.login("second@spryker.com", "pass-2");
    assert_no_content(&server.delete("/refresh-tokens/mine", &as_admin));
    server.refresh(&agent.refresh).assert_error(401, E004);
    server.refresh(&imp_a.refresh).assert_error(401, E004);
    server.refresh(&imp_sibling.refresh).assert_error(401, E004);
    server
        .refresh(&imp_other.refresh)
        .assert_tokens("refresh-tokens");
    server
        .refresh(&other_session.refresh)
        .assert_tokens("refresh-tokens");
    server
        .refresh(&other.refresh)
        .assert_tokens("refresh-tokens");
    // The ended sessions' access tokens no longer work anywhere.
    server
        .post(
            IMPERSONATION,
            &[("X-Agent-Authorization", &auth)],
            IMPERSONATION_SEED,
        )
        .assert_error(401, E4102);
    server
        .post(
            IMPERSONATION,
            &[("Authorization", &auth)],
            IMPERSONATION_SEED,
        )
        .assert_error(401, E001);
    server
        .delete("/refresh-tokens/mine", &as_admin)
        .assert_error(401, E001);
    server
        .get(
            &format!("{SEARCH}?q=ma"),
            &[("Authorization", &bearer(&imp_a.access))],
        )
        .assert_error(401, E4103);

    // `mine` for an impersonation caller: that customer by that agent only.
    let fresh = server.admin();
    let karl_1 = server.impersonate(&fresh.access, "DE--5");
    let karl_2 = server.impersonate(&fresh.access, "DE--5");
    let anne = server.impersonate(&fresh.access, "DE--6");
    assert_no_content(&server.delete(
        "/refresh-tokens/mine",
        &[("Authorization", &bearer(&karl_1.access))],
    ));
    server.refresh(&karl_1.refresh).assert_error(401, E004);
    server.refresh(&karl_2.refresh).assert_error(401, E004);
    server
        .refresh(&anne.refresh)
        .assert_tokens("refresh-tokens");
    server
        .refresh(&fresh.refresh)
        .assert_tokens("refresh-tokens");

    // A Spryker customer token may call `mine`; nothing of ours is revoked.
    let spryker = spryker_customer_token(&data);
    assert_no_content(&server.delete(
        "/refresh-tokens/mine",
        &[("Authorization", &bearer(&spryker))],
    ));
}

// ---------------------------------------------------------------------------
// GET /.well-known/jwks.json

#[test]
fn jwks_verifies_agent_and_impersonation_tokens() {
    let data = DataDir::new();
    let server = data.serve(&[]);
    let reply = server.get("/.well-known/jwks.json", &[]);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let doc = reply.json();
    let keys_list = doc["keys"].as_array().expect("keys");
    assert_eq!(keys_list.len(), 1);
    let key = &keys_list[0];
    for field in ["kid", "kty", "n", "e", "use", "alg"] {
        assert!(key[field].is_string(), "{field} missing in {key}");
    }
    assert_eq!(
        (
            key["kty"].as_str(),
            key["use"].as_str(),
            key["alg"].as_str()
        ),
        (Some("RSA"), Some("sig"), Some("RS256"))
    );
    assert_eq!(key["e"], "AQAB");
    assert!(
        key.get("d").is_none() && key.get("p").is_none(),
        "no private parts"
    );

    let jwks = server.jwks();
    let agent = server.admin();
    let imp = server.impersonate(&agent.access, "DE--5");
    let agent_claims = verify_with_jwks(&jwks, &agent.access);
    let imp_claims = verify_with_jwks(&jwks, &imp.access);
    assert_eq!(agent_claims, claims(&agent.access));
    assert_eq!(imp_claims["act"]["sub"], agent_claims["sub"]);
    assert!(imp_claims["exp"].as_i64() <= agent_claims["exp"].as_i64());
    let kid = jsonwebtoken::decode_header(&imp.access)
        .unwrap()
        .kid
        .unwrap();
    assert_eq!(kid, key["kid"].as_str().unwrap());

    // A token with another audience does not verify with this validation.
    let mut wrong = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    wrong.set_audience(&["backoffice"]);
    let decoding = jsonwebtoken::DecodingKey::from_jwk(&jwks.keys[0]).unwrap();
    assert!(jsonwebtoken::decode::<Value>(&agent.access, &decoding, &wrong).is_err());
}

// ---------------------------------------------------------------------------
// POST /token-introspection

fn introspection_of(claims: &Value) -> String {
    let mut answer = serde_json::Map::new();
    answer.insert("active".into(), true.into());
    answer.insert(
        "scope".into(),
        claims["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect::<Vec<_>>()
            .join(" ")
            .into(),
    );
    answer.insert("client_id".into(), "frontend".into());
    answer.insert("token_type".into(), "Bearer".into());
    for claim in ["exp", "iat", "nbf", "sub", "aud", "jti", "act"] {
        if let Some(value) = claims.get(claim) {
            answer.insert(claim.into(), value.clone());
        }
    }
    Value::Object(answer).to_string()
}

#[test]
fn introspection_answers_active_claims_or_inactive() {
    let data = DataDir::new();
    let server = data.serve(&[]);
    let caller = server.admin();
    let auth = bearer(&caller.access);
    let introspect = |authorization: Option<&str>, form: &str| {
        let mut headers = vec![("Content-Type", "application/x-www-form-urlencoded")];
        if let Some(a) = authorization {
            headers.push(("Authorization", a));
        }
        server.post("/token-introspection", &headers, form)
    };
    let check = |form: &str, expected: &str| {
        let reply = introspect(Some(&auth), form);
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (200, expected),
            "{form}"
        );
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_eq!(reply.header("cache-control"), Some("no-store"));
    };

    // An active agent token.
    let agent = server.admin();
    let agent_claims = claims(&agent.access);
    let expected = introspection_of(&agent_claims);
    assert!(expected.starts_with(
        r#"{"active":true,"scope":"agent","client_id":"frontend","token_type":"Bearer","exp":"#
    ));
    check(&format!("token={}", agent.access), &expected);
    check(
        &format!("token={}&token_type_hint=access_token", agent.access),
        &expected,
    );
    // An impersonation token, with act last.
    let imp = server.impersonate(&agent.access, "DE--5");
    let imp_claims = claims(&imp.access);
    let expected = introspection_of(&imp_claims);
    assert!(expected.contains(r#""scope":"customer_impersonation customer""#));
    assert!(expected.ends_with(&format!(r#","act":{{"sub":{}}}}}"#, Value::from(AGENT_SUB))));
    check(&format!("token={}", imp.access), &expected);
    // A Spryker customer token verifies on its signature (no session here).
    let spryker = spryker_customer_token(&data);
    let reply = introspect(Some(&auth), &format!("token={spryker}"));
    assert_eq!(reply.json()["active"], true, "{reply:?}");

    // Refresh tokens are introspectable.
    let reply = introspect(
        Some(&auth),
        &format!("token={}&token_type_hint=refresh_token", agent.refresh),
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    let answer = reply.json();
    assert_eq!(
        keys(&answer),
        [
            "active",
            "scope",
            "client_id",
            "token_type",
            "exp",
            "iat",
            "sub",
            "aud"
        ]
    );
    assert_eq!(answer["active"], true);
    assert_eq!(answer["scope"], "agent");
    assert_eq!(answer["token_type"], "refresh_token");
    assert_eq!(answer["sub"], AGENT_SUB);
    assert!(answer["exp"].as_i64().unwrap() > agent_claims["exp"].as_i64().unwrap());
    let reply = introspect(Some(&auth), &format!("token={}", imp.refresh));
    let answer = reply.json();
    assert_eq!(answer["sub"], KARL_SUB);
    assert_eq!(answer["act"], json!({"sub": AGENT_SUB}));

    // Garbage, revoked and spent tokens are inactive.
    let inactive = r#"{"active":false}"#;
    check("token=garbage", inactive);
    check(
        &format!("token={}", forged_agent_token(&data, common::now() + 3600)),
        inactive,
    );
    let spent = agent.refresh.clone();
    let rotated = server.refresh(&spent).assert_tokens("refresh-tokens");
    check(&format!("token={spent}"), inactive);
    // Rotation leaves the session, and so its access tokens, alive.
    check(
        &format!("token={}", agent.access),
        &introspection_of(&agent_claims),
    );
    // Reuse revokes the family and the impersonations started from it (D4, D9).
    server.refresh(&spent).assert_error(401, E004);
    check(&format!("token={}", rotated.refresh), inactive);
    check(&format!("token={}", rotated.access), inactive);
    check(&format!("token={}", agent.access), inactive);
    check(&format!("token={}", imp.access), inactive);
    check(&format!("token={}", imp.refresh), inactive);
    let revoked = server.admin();
    assert_no_content(&server.delete(
        &format!("/refresh-tokens/{}", revoked.refresh),
        &[("Authorization", &bearer(&revoked.access))],
    ));
    check(&format!("token={}", revoked.access), inactive);
    check(&format!("token={}", revoked.refresh), inactive);

    // Callers: none, garbage, impersonation token, revoked agent -> 401/001.
    let form = format!("token={}", caller.access);
    introspect(None, &form).assert_error(401, E001);
    introspect(Some("Bearer fake"), &form).assert_error(401, E001);
    let live_imp = server.impersonate(&caller.access, "DE--5");
    introspect(Some(&bearer(&live_imp.access)), &form).assert_error(401, E001);
    introspect(Some(&bearer(&revoked.access)), &form).assert_error(401, E001);
    introspect(Some(&bearer(&spryker)), &form).assert_error(401, E001);
    // No token parameter.
    let reply = introspect(Some(&auth), "");
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (400, r#"{"error":"invalid_request"}"#)
    );
}

// ---------------------------------------------------------------------------
// Routing and limits

#[test]
fn unknown_routes_and_wrong_methods_are_404() {
    let data = DataDir::new();
    let server = data.serve(&[]);
    for (method, path) in [
        ("GET", "/"),
        ("GET", "/nope"),
        ("GET", "/agent-access-tokens"),
        ("PUT", "/agent-access-tokens"),
        ("PATCH", "/agent-customer-impersonation-access-tokens"),
        ("POST", "/agent-customer-search"),
        ("GET", "/refresh-tokens"),
        ("DELETE", "/refresh-tokens"),
        ("POST", "/.well-known/jwks.json"),
        ("GET", "/token-introspection"),
        ("POST", "/agent-access-tokens/extra"),
        ("OPTIONS", "/agent-access-tokens"),
    ] {
        let reply = server.request(method, path, &[], "");
        assert_eq!(reply.body, NOT_FOUND, "{method} {path}");
        reply.assert_error(404, NOT_FOUND);
    }
    // DELETE without an id (Spryker's RestRequestValidator).
    let agent = server.admin();
    server
        .delete(
            "/refresh-tokens/",
            &[("Authorization", &bearer(&agent.access))],
        )
        .assert_error(
            400,
            r#"{"errors":[{"detail":"Resource id is not specified.","status":400}]}"#,
        );
}

#[test]
fn oversized_bodies_are_refused_and_the_server_keeps_working() {
    let data = DataDir::new();
    let server = data.serve(&[]);
    let limit = 64 * 1024;

    // Exactly at the limit: read and answered normally.
    let small = login_body("nobody@spryker.com", "x");
    let at_limit = format!("{small}{}", " ".repeat(limit - small.len()));
    assert_eq!(at_limit.len(), limit);
    server
        .post("/agent-access-tokens", &[], &at_limit)
        .assert_error(401, E4101);

    // One byte over, with Content-Length.
    let over = format!("{small}{}", " ".repeat(limit + 1 - small.len()));
    let reply = server.post("/agent-access-tokens", &[], &over);
    assert_eq!(reply.status, 413, "{reply:?}");
    // Far over, declared: refused from the header.
    let huge = format!(
        "POST /agent-access-tokens HTTP/1.1\r\nHost: glue\r\nContent-Type: {JSON_API}\r\nContent-Length: 10000000\r\nConnection: close\r\n\r\n{small}"
    );
    assert_eq!(server.raw(huge.as_bytes()).status, 413);
    // Chunked, without a length: refused once the limit is passed.
    let mut chunked = format!(
        "POST /agent-access-tokens HTTP/1.1\r\nHost: glue\r\nContent-Type: {JSON_API}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    let chunk = " ".repeat(8192);
    for _ in 0..9 {
        chunked.extend_from_slice(format!("{:x}\r\n{chunk}\r\n", chunk.len()).as_bytes());
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    assert_eq!(server.raw(&chunked).status, 413);

    // Still serving.
    let agent = server.admin();
    server.impersonate(&agent.access, "DE--5");
}

// ---------------------------------------------------------------------------
// Logs (D16)

#[test]
fn request_log_shows_method_path_status_and_no_secrets() {
    let data = DataDir::new();
    let server = data.serve(&[]);
    let agent = server.admin();
    let imp = server.impersonate(&agent.access, "DE--5");
    server.get(
        &format!("{SEARCH}?q=karl"),
        &[(x_agent(&agent.access).0, &bearer(&agent.access))],
    );
    let refreshed = server.refresh(&imp.refresh).assert_tokens("refresh-tokens");
    server.post(
        "/agent-access-tokens",
        &[],
        &login_body("admin@spryker.com", "hunter2-wrong"),
    );
    let auth = bearer(&agent.access);
    assert_no_content(&server.delete(
        &format!("/refresh-tokens/{}", refreshed.refresh),
        &[("Authorization", &auth)],
    ));
    assert_no_content(&server.delete("/refresh-tokens/mine", &[("Authorization", &auth)]));
    server.get("/nope", &[]);

    let full_log = server.wait_for_log("path=/nope status=404");
    // The startup banner names the demo credentials on purpose; requests never do.
    let log: String = full_log
        .lines()
        .filter(|l| !l.starts_with("demo data:"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(!full_log.contains("hunter2-wrong"));
    for line in [
        "method=POST path=/agent-access-tokens status=201",
        "method=POST path=/agent-customer-impersonation-access-tokens status=201",
        "method=GET path=/agent-customer-search status=200",
        "method=POST path=/refresh-tokens status=201",
        "method=POST path=/agent-access-tokens status=401",
        "method=DELETE path=/refresh-tokens/{refreshToken} status=204",
        "method=DELETE path=/refresh-tokens/mine status=204",
        "method=GET path=/nope status=404",
    ] {
        assert!(log.contains(line), "log lacks {line:?}:\n{log}");
    }
    for secret in [
        agent.access.as_str(),
        agent.refresh.as_str(),
        imp.access.as_str(),
        imp.refresh.as_str(),
        refreshed.refresh.as_str(),
        "ao1_",
        "eyJ",
        "change123",
        "hunter2-wrong",
        "Bearer",
        "karl",
        "DE--5",
    ] {
        assert!(!log.contains(secret), "log contains {secret:?}:\n{log}");
    }
}

#[test]
fn request_log_masks_refresh_tokens_in_unrouted_paths() {
    // A shop that forwards under a prefix, or a client with a stray slash,
    // still must not put a refresh token into the log (D16).
    let data = DataDir::new();
    let server = data.serve(&[]);
    let agent = server.admin();
    let auth = bearer(&agent.access);
    for path in [
        format!("/glue/refresh-tokens/{}", agent.refresh),
        format!("//refresh-tokens/{}", agent.refresh),
    ] {
        server
            .delete(&path, &[("Authorization", &auth)])
            .assert_error(404, NOT_FOUND);
    }
    server.get("/done", &[]);
    let log = server.wait_for_log("path=/done status=404");
    assert!(
        !log.contains(&agent.refresh),
        "log contains the refresh token:\n{log}"
    );
}

// ---------------------------------------------------------------------------
// Lockout behind a trusted proxy (D17)

fn fail_nine(server: &Server, forwarded_for: &str) {
    let wrong = login_body("admin@spryker.com", "wrong");
    for _ in 0..9 {
        server
            .post(
                "/agent-access-tokens",
                &[("X-Forwarded-For", forwarded_for)],
                &wrong,
            )
            .assert_error(401, E4101);
    }
}

#[test]
fn trusted_proxy_lockout_keys_on_the_forwarded_address() {
    let data = DataDir::new();
    let server = data.serve(&["--trusted-proxy", "127.0.0.1"]);
    fail_nine(&server, "198.51.100.1");
    let wrong = login_body("admin@spryker.com", "wrong");
    let from = |xff: &str, body: &str| {
        server.post("/agent-access-tokens", &[("X-Forwarded-For", xff)], body)
    };
    from("198.51.100.1", &wrong).assert_error(429, E4401);
    from("198.51.100.1", LOGIN_SEED).assert_error(429, E4401);
    // The right-most untrusted entry counts.
    from("203.0.113.9, 198.51.100.1", LOGIN_SEED).assert_error(429, E4401);
    from("198.51.100.1, 127.0.0.1", LOGIN_SEED).assert_error(429, E4401);
    // Another address is not blocked.
    from("198.51.100.2", &wrong).assert_error(401, E4101);
    from("198.51.100.2", LOGIN_SEED).assert_tokens("agent-access-tokens");
    from("198.51.100.1, 198.51.100.2", LOGIN_SEED).assert_tokens("agent-access-tokens");
    // Nor is the proxy itself (no header, or nothing usable in it).
    server.admin();
    from("unknown", LOGIN_SEED).assert_tokens("agent-access-tokens");
}

#[test]
fn untrusted_peer_forwarded_for_is_ignored() {
    let data = DataDir::new();
    let server = data.serve(&[]);
    fail_nine(&server, "198.51.100.1");
    for xff in ["198.51.100.2", "198.51.100.1"] {
        server
            .post(
                "/agent-access-tokens",
                &[("X-Forwarded-For", xff)],
                LOGIN_SEED,
            )
            .assert_error(429, E4401);
    }
    server
        .post("/agent-access-tokens", &[], LOGIN_SEED)
        .assert_error(429, E4401);
}

// ---------------------------------------------------------------------------
// CORS (D13)

#[test]
fn cors_preflight_allows_x_agent_authorization() {
    let data = DataDir::new();
    let server = data.serve(&["--cors-origin", "https://shop.example"]);
    let reply = server.request(
        "OPTIONS",
        IMPERSONATION,
        &[
            ("Origin", "https://shop.example"),
            ("Access-Control-Request-Method", "POST"),
            (
                "Access-Control-Request-Headers",
                "x-agent-authorization,content-type",
            ),
        ],
        "",
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://shop.example")
    );
    let allowed = reply
        .header("access-control-allow-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(allowed.contains("x-agent-authorization"), "{allowed}");
    let agent = server.admin();
    let reply = server.post(
        IMPERSONATION,
        &[
            ("Origin", "https://shop.example"),
            ("X-Agent-Authorization", &bearer(&agent.access)),
        ],
        IMPERSONATION_SEED,
    );
    reply.assert_tokens("agent-customer-impersonation-access-tokens");
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://shop.example")
    );
    // Another origin gets no CORS grant.
    let reply = server.post(
        "/agent-access-tokens",
        &[("Origin", "https://evil.example")],
        LOGIN_SEED,
    );
    assert_eq!(reply.header("access-control-allow-origin"), None);
}

// ---------------------------------------------------------------------------
// Admin CLI round trips

#[test]
fn imported_php_bcrypt_agent_logs_in_over_http() {
    let data = DataDir::new();
    let csv = format!(
        "id_user,username,password,status,is_agent\n\
         7,imported@spryker.com,{PHP_BCRYPT_SECRET_1},active,1\n\
         8,backoffice@spryker.com,{PHP_BCRYPT_SECRET_1},active,0\n\
         9,blocked@spryker.com,{PHP_BCRYPT_SECRET_1},blocked,1\n"
    );
    let file = data.write("agents.csv", &csv);
    let out = data.cli(&["agent", "import", file.to_str().unwrap()]);
    assert!(
        out.contains("imported 2 agent(s), skipped 1 non-agent user(s)"),
        "{out}"
    );
    let server = data.serve(&[]);

    let tokens = server.login("imported@spryker.com", "secret-1");
    assert_eq!(
        claims(&tokens.access)["sub"],
        AGENT_SUB.replace(r#""id_agent":1"#, r#""id_agent":7"#)
    );
    server.impersonate(&tokens.access, "DE--5");
    // After the first login the hash is argon2id; the password still works.
    server.login("imported@spryker.com", "secret-1");
    server
        .post(
            "/agent-access-tokens",
            &[],
            &login_body("imported@spryker.com", "secret-2"),
        )
        .assert_error(401, E4101);
    server
        .post(
            "/agent-access-tokens",
            &[],
            &login_body("backoffice@spryker.com", "secret-1"),
        )
        .assert_error(401, E4101);
    server
        .post(
            "/agent-access-tokens",
            &[],
            &login_body("blocked@spryker.com", "secret-1"),
        )
        .assert_error(401, E4101);

    // JSON import works the same way.
    let json_file = data.write(
        "agents.json",
        &json!([{"id_user": 10, "username": "json@spryker.com", "password": PHP_BCRYPT_SECRET_1, "is_agent": true}]).to_string(),
    );
    data.cli(&["agent", "import", json_file.to_str().unwrap()]);
    server.login("json@spryker.com", "secret-1");
}

#[test]
fn blocking_an_agent_ends_its_existing_sessions() {
    let data = DataDir::new();
    data.cli(&[
        "agent",
        "add",
        "second@spryker.com",
        "--password",
        "pass-2",
        "--id",
        "2",
    ]);
    let server = data.serve(&[]);
    let second = server.login("second@spryker.com", "pass-2");
    let admin = server.admin();
    let imp = server.impersonate(&second.access, "DE--5");

    let out = data.cli(&["agent", "block", "2"]);
    assert!(out.contains("blocked agent 2"), "{out}");
    server
        .post(
            IMPERSONATION,
            &[("X-Agent-Authorization", &bearer(&second.access))],
            IMPERSONATION_SEED,
        )
        .assert_error(401, E4102);
    server
        .post(
            IMPERSONATION,
            &[("Authorization", &bearer(&second.access))],
            IMPERSONATION_SEED,
        )
        .assert_error(401, E001);
    server
        .get(
            &format!("{SEARCH}?q=ma"),
            &[("X-Agent-Authorization", &bearer(&second.access))],
        )
        .assert_error(401, E4102);
    server.refresh(&second.refresh).assert_error(401, E004);
    server.refresh(&imp.refresh).assert_error(401, E004);
    server
        .post(
            "/agent-access-tokens",
            &[],
            &login_body("second@spryker.com", "pass-2"),
        )
        .assert_error(401, E4101);
    // The other agent is untouched.
    server.impersonate(&admin.access, "DE--5");
    // The refusals are audited by the header the token came in (D11).
    let refused: Value =
        serde_json::from_str(&data.cli(&["audit", "--json", "--agent", "2"])).unwrap();
    let codes: Vec<&str> = refused
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "agent_token_refused")
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["4102", "001", "4102"]);

    data.cli(&["agent", "unblock", "2"]);
    let again = server.login("second@spryker.com", "pass-2");
    server.impersonate(&again.access, "DE--5");
    // The sessions ended by the block stay ended.
    server
        .post(
            IMPERSONATION,
            &[("X-Agent-Authorization", &bearer(&second.access))],
            IMPERSONATION_SEED,
        )
        .assert_error(401, E4102);
}

#[test]
fn key_rotation_keeps_earlier_tokens_valid_across_a_restart() {
    let data = DataDir::new();
    let mut server = data.serve(&[]);
    let before = server.admin();
    let old_jwks = server.jwks();
    assert_eq!(old_jwks.keys.len(), 1);
    let old_kid = old_jwks.keys[0].common.key_id.clone().unwrap();
    let status = server.terminate("-TERM");
    assert!(
        status.success(),
        "SIGTERM exit status {status:?}; server log:\n{}",
        server.log()
    );

    let out = data.cli(&["keys", "rotate"]);
    assert!(
        out.contains(&format!("rotated signing key {old_kid} -> ")),
        "{out}"
    );
    let shown = data.cli(&["keys", "show"]);
    assert!(
        !shown.contains(&old_kid) && shown.contains("BEGIN PUBLIC KEY"),
        "{shown}"
    );

    let server = data.serve(&[]);
    let jwks = server.jwks();
    let kids: Vec<String> = jwks
        .keys
        .iter()
        .map(|k| k.common.key_id.clone().unwrap())
        .collect();
    assert_eq!(kids.len(), 2, "{kids:?}");
    assert_ne!(kids[0], old_kid, "the new key is listed first");
    assert_eq!(kids[1], old_kid);
    assert!(shown.contains(&format!("kid: {}", kids[0])), "{shown}");

    // Tokens from before the rotation still verify, in the engine and by JWKS.
    let reply = server.get(
        &format!("{SEARCH}?q=ma"),
        &[("X-Agent-Authorization", &bearer(&before.access))],
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    verify_with_jwks(&jwks, &before.access);
    let imp = server.impersonate(&before.access, "DE--5");
    // New tokens are signed with the new key.
    let after = server.admin();
    for token in [&imp.access, &after.access] {
        assert_eq!(
            jsonwebtoken::decode_header(token).unwrap().kid.as_deref(),
            Some(kids[0].as_str())
        );
        verify_with_jwks(&jwks, token);
    }
    server
        .refresh(&before.refresh)
        .assert_tokens("refresh-tokens");
}

#[test]
fn audit_json_lists_events_without_secrets() {
    let data = DataDir::new();
    let server = data.serve(&[]);
    let agent = server.admin();
    server.post(
        "/agent-access-tokens",
        &[],
        &login_body("admin@spryker.com", "wrong"),
    );
    let reply = server.post(
        IMPERSONATION,
        &[("X-Agent-Authorization", &bearer(&agent.access))],
        &body(
            "agent-customer-impersonation-access-tokens",
            &[("customerReference", "DE--5"), ("reason", "order question")],
        ),
    );
    let imp = reply.assert_tokens("agent-customer-impersonation-access-tokens");
    server
        .post(
            IMPERSONATION,
            &[("X-Agent-Authorization", &bearer(&agent.access))],
            &impersonation_body("DE--999"),
        )
        .assert_error(401, E4104);
    server.refresh(&imp.refresh).assert_tokens("refresh-tokens");
    assert_no_content(&server.delete(
        "/refresh-tokens/mine",
        &[("Authorization", &bearer(&agent.access))],
    ));

    let out = data.cli(&["audit", "--json"]);
    let events: Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("audit --json ({e}): {out}"));
    let events = events.as_array().expect("array");
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "agent_login_succeeded",
            "agent_login_failed",
            "impersonation_started",
            "impersonation_denied",
            "token_refreshed",
            "session_revoked",
        ]
    );
    assert_eq!(
        keys(&events[0]),
        [
            "id",
            "at",
            "kind",
            "agent_id",
            "agent_username",
            "customer_reference",
            "client_ip",
            "jti",
            "reason",
            "code",
            "policy"
        ]
    );
    assert_eq!(events[0]["agent_id"], 1);
    assert_eq!(events[0]["policy"], Value::Null, "no policy is configured");
    assert_eq!(events[0]["client_ip"], "127.0.0.1");
    assert_eq!(events[0]["jti"], claims(&agent.access)["jti"]);
    assert_eq!(events[1]["code"], "4101");
    assert_eq!(events[2]["customer_reference"], "DE--5");
    assert_eq!(events[2]["reason"], "order question");
    assert_eq!(events[3]["code"], "4104");
    for secret in [
        agent.access.as_str(),
        agent.refresh.as_str(),
        imp.refresh.as_str(),
        "change123",
        "wrong",
    ] {
        assert!(!out.contains(secret), "audit shows {secret:?}");
    }

    // Filters.
    let only_karl: Value =
        serde_json::from_str(&data.cli(&["audit", "--json", "--customer", "DE--5"])).unwrap();
    let only_karl = only_karl.as_array().unwrap();
    assert!(!only_karl.is_empty());
    assert!(
        only_karl.iter().all(|e| e["customer_reference"] == "DE--5"),
        "{only_karl:?}"
    );
    let lines = data.cli(&["audit", "--agent", "1"]);
    assert!(
        lines.contains("impersonation_started") && lines.contains("customer=DE--5"),
        "{lines}"
    );
    let none: Value =
        serde_json::from_str(&data.cli(&["audit", "--json", "--agent", "99"])).unwrap();
    assert_eq!(none, json!([]));
    let later = (common::now() + 3600).to_string();
    let none: Value =
        serde_json::from_str(&data.cli(&["audit", "--json", "--from", &later])).unwrap();
    assert_eq!(none, json!([]));
    let all: Value =
        serde_json::from_str(&data.cli(&["audit", "--json", "--to", &later, "--limit", "2"]))
            .unwrap();
    assert_eq!(all.as_array().unwrap().len(), 2);
}

#[test]
fn graceful_shutdown_on_sigterm_and_sigint_exits_zero() {
    let data = DataDir::new();
    let mut server = data.serve(&[]);
    let agent = server.admin();
    let status = server.terminate("-TERM");
    assert!(status.success(), "exit status {status}");
    server.wait_for_log("shutting down");
    // The database outlives the process: a new server knows the session.
    let mut server = data.serve(&[]);
    server.impersonate(&agent.access, "DE--5");
    let status = server.terminate("-INT");
    assert!(status.success(), "exit status {status}");
}

#[test]
fn cli_customers_unicode_search_and_inactive_customers() {
    let data = DataDir::new();
    data.cli(&[
        "customer",
        "add",
        "--id",
        "7",
        "--reference",
        "DE--7",
        "--email",
        "ülrich.özil@spryker.com",
        "--first-name",
        "Ülrich",
        "--last-name",
        "Özil",
    ]);
    let csv = "id_customer,customer_reference,email,first_name,last_name,id_company_user,permissions,is_active\n\
               8,DE--8,zoe.aberg@spryker.com,Zoë,Åberg,,\"{\"\"permissions\"\":[]}\",1\n\
               9,DE--9,gone@spryker.com,Anon,Ymous,,,0\n";
    let file = data.write("customers.csv", csv);
    let out = data.cli(&["customer", "import", file.to_str().unwrap()]);
    assert!(out.contains("imported 2 customer(s)"), "{out}");
    let server = data.serve(&[]);
    let agent = server.admin();
    let header = [("X-Agent-Authorization", bearer(&agent.access))];
    let header = [(header[0].0, header[0].1.as_str())];
    let references = |query: &str| {
        let reply = server.get(&format!("{SEARCH}?{query}"), &header);
        assert_eq!(reply.status, 200, "{reply:?}");
        let doc = reply.json();
        assert_eq!(doc["links"]["self"], format!("{BASE}{SEARCH}?{query}"));
        doc["data"][0]["attributes"]["customers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["customerReference"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    // Unicode case folding in both directions (D14).
    assert_eq!(references("q=%C3%BC"), ["DE--7"]); // ü
    assert_eq!(references("q=%C3%9CLRICH"), ["DE--7"]); // ÜLRICH
    assert_eq!(references("q=%C3%B6z"), ["DE--7"]); // öz
    assert_eq!(references("q=%C3%A5b"), ["DE--8"]); // åb
    assert_eq!(references("q=zo%C3%8B"), ["DE--8"]); // zoË
    let reply = server.get(&format!("{SEARCH}?q=%C3%BC"), &header);
    assert_eq!(
        reply.json()["data"][0]["attributes"]["customers"][0],
        json!({"customerReference": "DE--7", "email": "ülrich.özil@spryker.com", "firstName": "Ülrich", "lastName": "Özil"})
    );

    // Imported permissions reach the impersonation token's sub.
    let imp = server.impersonate(&agent.access, "DE--8");
    assert_eq!(
        claims(&imp.access)["sub"],
        r#"{"id_company_user":null,"id_agent":null,"customer_reference":"DE--8","id_customer":8,"permissions":{"permissions":[]}}"#
    );
    let karl = server.impersonate(&agent.access, "DE--7");
    // An inactive (anonymized) customer cannot be impersonated.
    server
        .post(IMPERSONATION, &[header[0]], &impersonation_body("DE--9"))
        .assert_error(401, E4104);
    data.cli(&[
        "customer",
        "add",
        "--id",
        "7",
        "--reference",
        "DE--7",
        "--email",
        "x@spryker.com",
        "--first-name",
        "X",
        "--last-name",
        "Y",
        "--inactive",
    ]);
    server
        .post(IMPERSONATION, &[header[0]], &impersonation_body("DE--7"))
        .assert_error(401, E4104);
    // ... nor its impersonation refreshed (D4).
    server.refresh(&karl.refresh).assert_error(401, E004);
}

#[test]
fn impersonation_is_capped_by_the_agent_token_expiry() {
    let data = DataDir::with_config(r#""access_token_ttl":4"#);
    let server = data.serve(&[]);
    let agent = server.admin();
    assert_eq!(agent.expires_in, 4);
    let agent_exp = claims(&agent.access)["exp"].as_i64().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let imp = server.impersonate(&agent.access, "DE--5");
    let c = claims(&imp.access);
    // D4: exp is the agent's, expiresIn = exp - now.
    assert_eq!(c["exp"].as_i64().unwrap(), agent_exp);
    assert_eq!(imp.expires_in, agent_exp - c["iat"].as_i64().unwrap());
    assert!(
        (1..4).contains(&imp.expires_in),
        "expiresIn {}",
        imp.expires_in
    );
    // A refresh keeps the cap.
    let imp = server.refresh(&imp.refresh).assert_tokens("refresh-tokens");
    assert_eq!(claims(&imp.access)["exp"].as_i64().unwrap(), agent_exp);

    // Once the agent token has expired, everything hanging off it is dead.
    while common::now() < agent_exp {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    server
        .post(
            IMPERSONATION,
            &[("X-Agent-Authorization", &bearer(&agent.access))],
            IMPERSONATION_SEED,
        )
        .assert_error(401, E4102);
    server
        .get(
            &format!("{SEARCH}?q=ma"),
            &[("Authorization", &bearer(&imp.access))],
        )
        .assert_error(401, E001);
    server.refresh(&imp.refresh).assert_error(401, E004);
    // The agent's own refresh token lives on (one month, D5).
    let again = server
        .refresh(&agent.refresh)
        .assert_tokens("refresh-tokens");
    assert_eq!(again.expires_in, 4);
    server.impersonate(&again.access, "DE--5");
}

#[test]
fn purge_expired_removes_dead_sessions() {
    let data = DataDir::with_config(r#""refresh_token_ttl":1"#);
    let out = data.cli(&["init"]);
    assert!(
        out.contains("database ready") && out.contains("agent"),
        "{out}"
    );
    let server = data.serve(&[]);
    let agent = server.admin();
    let issued = claims(&agent.access)["iat"].as_i64().unwrap();
    while common::now() <= issued + 1 {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // An expired session: its refresh token and its access token are dead (D3).
    server.refresh(&agent.refresh).assert_error(401, E004);
    server
        .post(
            IMPERSONATION,
            &[("X-Agent-Authorization", &bearer(&agent.access))],
            IMPERSONATION_SEED,
        )
        .assert_error(401, E4102);
    // Kept for the retention period, then removed.
    let kept = data.cli(&["purge-expired", "--retention", "3600"]);
    assert!(
        kept.contains("removed 0 expired refresh token(s)"),
        "{kept}"
    );
    let out = data.cli(&["purge-expired"]);
    assert!(out.contains("removed 1 expired refresh token(s)"), "{out}");
    server.refresh(&agent.refresh).assert_error(401, E004);
    server.admin();
}

#[test]
fn the_server_runs_on_the_store_this_run_is_for() {
    // AGENT_OAUTH_E2E_STORE=postgres runs this whole suite on PostgreSQL;
    // the server's start-up line proves which store answered.
    let data = DataDir::new();
    let server = data.serve(&[]);
    server.admin();
    let log = server.wait_for_log("database: ");
    let line = log
        .lines()
        .find(|l| l.starts_with("database: "))
        .expect("the store line");
    match on_postgres() {
        true => assert!(
            line.starts_with("database: PostgreSQL ") && line.contains("tables e2e"),
            "{line}"
        ),
        false => assert!(line.starts_with("database: SQLite "), "{line}"),
    }
}

#[test]
fn config_file_without_database_path_keeps_the_database_in_the_data_dir() {
    // `--db` defaults to <data-dir>/agent-oauth.db (its --help); a --config
    // file that does not name database_path must not move it elsewhere.
    if sqlite_only("where the SQLite file is created") {
        return;
    }
    let data = DataDir::without_db_option();
    let server = data.serve(&[]);
    server.admin();
    let stray = data.cwd().join("agent-oauth.db");
    assert!(
        !stray.exists(),
        "the database was created in the working directory ({}) instead of the data directory",
        stray.display()
    );
    assert!(
        data.path().join("agent-oauth.db").exists(),
        "no database in the data directory"
    );
}

/// The README's curl walk-through, run verbatim (but for the address) with
/// bash, curl and jq, so the documented commands cannot rot.
#[test]
fn readme_curl_walkthrough_runs_verbatim() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("README.md");
    let block = readme
        .split("```sh\n")
        .filter_map(|rest| rest.split_once("```").map(|(block, _)| block))
        .find(|block| block.starts_with("GLUE=http://127.0.0.1:8080\n"))
        .expect("the README's walk-through block starting with GLUE=http://127.0.0.1:8080");
    let data = DataDir::new();
    let server = data.serve(&[]);
    let script = block.replacen(
        "GLUE=http://127.0.0.1:8080",
        &format!("GLUE={}", server.url("")),
        1,
    );
    let output = std::process::Command::new("bash")
        .args(["-e", "-o", "pipefail", "-c", &script])
        .output()
        .expect("bash (with curl and jq on PATH)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "walk-through failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Search, impersonation, refresh, revocation and JWKS each left their mark.
    assert!(
        stdout.contains(r#""customerReference": "DE--2""#),
        "{stdout}"
    );
    assert!(
        stdout.contains(r#""type": "agent-customer-impersonation-access-tokens""#),
        "{stdout}"
    );
    assert!(stdout.contains(r#""type": "refresh-tokens""#), "{stdout}");
    assert!(stdout.lines().any(|line| line == "204"), "{stdout}");
    assert!(stdout.contains(r#""kty": "RSA""#), "{stdout}");
}
