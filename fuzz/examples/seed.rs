//! Writes the seed inputs of `token_verify`, `config_parse` and
//! `ffi_strings` into `corpus/<target>/`: tokens the demo engine really
//! issues (the same ones the fuzz harnesses hold, since clock and randomness
//! are fixed), the sample JWTs found in the given text files, and one input
//! per C entry point.
//!
//! `cargo +nightly run --example seed -- [TEXT_FILE...]` from `fuzz/`. Seed
//! files are named by the SHA-1 of their content, as libFuzzer names its own.

use std::fs;
use std::path::Path;

use agent_oauth_core::Config;
use agent_oauth_core::lockout::LockoutPolicy;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use fuzz_fixture::{CHEAP, NOW, Sessions};

fn write(target: &str, data: &[u8]) {
    let dir = Path::new("corpus").join(target);
    fs::create_dir_all(&dir).expect("corpus directory");
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, data);
    let name: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    fs::write(dir.join(name), data).expect("seed file");
}

/// `mode` byte, header, NUL, payload: the signed form of `token_verify`.
fn signed(mode: u8, header: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut v = vec![mode];
    v.extend_from_slice(header);
    v.push(0);
    v.extend_from_slice(payload);
    v
}

/// The decoded header and payload of a JWT.
fn parts(jwt: &str) -> (Vec<u8>, Vec<u8>) {
    let mut it = jwt.split('.');
    let header = URL_SAFE_NO_PAD.decode(it.next().unwrap()).expect("header");
    let payload = URL_SAFE_NO_PAD.decode(it.next().unwrap()).expect("payload");
    (header, payload)
}

/// JWTs (`eyJ...` with three base64url parts) in a text.
fn jwts(text: &str) -> Vec<String> {
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.';
    let mut found: Vec<String> = text
        .match_indices("eyJ")
        .map(|(i, _)| {
            text[i..]
                .chars()
                .take_while(|&c| is_b64(c))
                .collect::<String>()
        })
        .filter(|t| t.split('.').count() == 3 && t.split('.').all(|p| !p.is_empty()))
        .collect();
    found.sort();
    found.dedup();
    found
}

fn token_verify(sessions: &Sessions, samples: &[String]) {
    let t = "token_verify";
    let issued = [
        &sessions.agent.access_token,
        &sessions.impersonation.access_token,
    ];
    for token in issued {
        write(t, token.as_bytes());
        let (header, payload) = parts(token);
        write(t, &signed(1, &header, &payload));
        write(t, &signed(2, &header, &payload));
    }
    write(t, sessions.agent.refresh_token.as_bytes());
    for token in samples {
        write(t, token.as_bytes());
        let (header, payload) = parts(token);
        write(t, &signed(1, &header, &payload));
    }
    let header = br#"{"typ":"JWT","alg":"RS256"}"#;
    let sub = r#"{\"id_company_user\":null,\"id_agent\":1,\"customer_reference\":null,\"id_customer\":null,\"permissions\":null}"#;
    let jti = "0".repeat(80);
    let payloads = [
        // league/oauth2-server 8.5: float times, one audience.
        format!(
            r#"{{"aud":"frontend","jti":"{jti}","iat":{NOW}.123456,"nbf":{NOW}.123456,"exp":{}.5,"sub":"{sub}","scopes":["agent"]}}"#,
            NOW + 3600
        ),
        // An audience list, an actor, no nbf.
        format!(
            r#"{{"aud":["frontend","other"],"jti":"x","iat":{NOW},"exp":{},"sub":"{{}}","scopes":[],"act":{{"sub":"{sub}"}}}}"#,
            NOW + 60
        ),
        // Expired; from the future; wrong audience; missing claims.
        format!(r#"{{"aud":"frontend","jti":"x","exp":{NOW},"sub":"1"}}"#),
        format!(
            r#"{{"aud":"frontend","jti":"x","iat":{},"exp":{},"sub":"1"}}"#,
            NOW + 10,
            NOW + 20
        ),
        format!(
            r#"{{"aud":"backoffice","jti":"x","exp":{},"sub":"1"}}"#,
            NOW + 20
        ),
        r#"{"aud":"frontend"}"#.to_owned(),
    ];
    for payload in &payloads {
        write(t, &signed(1, header, payload.as_bytes()));
    }
    write(t, &signed(1, br#"{"alg":"none"}"#, payloads[0].as_bytes()));
    write(
        t,
        &signed(
            1,
            br#"{"alg":"RS256","crit":["b64"]}"#,
            payloads[0].as_bytes(),
        ),
    );
    write(
        t,
        &signed(
            2,
            br#"{"alg":"RS256","kid":"unknown"}"#,
            payloads[0].as_bytes(),
        ),
    );
    for garbage in [
        "",
        "a.b.c",
        "..",
        "Bearer eyJ.eyJ.x",
        "eyJhbGciOiJub25lIn0.e30.",
    ] {
        write(t, garbage.as_bytes());
    }
}

fn config_parse() {
    let t = "config_parse";
    write(t, b"{}");
    write(t, br#"{"database_path":":memory:"}"#);
    let full = Config {
        database_path: ":memory:".into(),
        argon2: CHEAP,
        lockout: LockoutPolicy::default(),
        refresh_token_ttl: Some(86400),
        refresh_reuse_grace: 10,
        leeway: 5,
        glue_base_url: "https://glue.mysprykershop.com".into(),
        ..Config::default()
    };
    write(t, serde_json::to_string_pretty(&full).unwrap().as_bytes());
    write(
        t,
        serde_json::to_string(&Config::default())
            .unwrap()
            .as_bytes(),
    );
    write(
        t,
        br#"{"private_key_path":"/etc/shop/jwt.key","database_path":"/var/lib/agent-oauth.db","client_id":"frontend","access_token_ttl":28800}"#,
    );
    write(t, br#"{"argon2":[1,2,3]}"#);
    write(
        t,
        br#"{"lockout":{"max_failures":0},"pool_size":0,"busy_timeout_ms":0}"#,
    );
}

fn ffi_strings() {
    let t = "ffi_strings";
    let call = |op: u8, param: u8, args: &[&str]| {
        let mut v = vec![op, param];
        v.extend_from_slice(args.join("\0").as_bytes());
        write(t, &v);
    };
    let ip = "203.0.113.9";
    let login = r#"{"data":{"type":"agent-access-tokens","attributes":{"username":"admin@spryker.com","password":"@P"}}}"#;
    let impersonate = r#"{"data":{"type":"agent-customer-impersonation-access-tokens","attributes":{"customerReference":"DE--5"}}}"#;
    let refresh = r#"{"data":{"type":"refresh-tokens","attributes":{"refreshToken":"@J"}}}"#;
    let basic = STANDARD.encode("backoffice:s3cret");
    let basic = format!("Basic {basic}");

    call(0, 0, &["@C"]);
    call(0, 0, &["{\"database_path\":\":memory:\"}"]);
    call(1, 0, &["@A", "agent"]);
    call(2, 0, &["@A", "agent"]);
    call(2, 0, &["@I", "customer_impersonation"]);
    call(3, 0, &["admin@spryker.com", "@P", ip]);
    call(3, 0, &["admin@spryker.com", "wrong", ip]);
    call(4, 0, &["@A", "DE--5", "ticket 42", ip]);
    call(4, 0, &["@A", "DE--6"]);
    call(5, 0, &["@J", ip]);
    call(
        6,
        1,
        &[
            "POST",
            "/agent-access-tokens",
            "",
            ip,
            "Content-Type",
            "application/vnd.api+json",
            login,
        ],
    );
    call(
        6,
        1,
        &[
            "POST",
            "/agent-customer-impersonation-access-tokens",
            "",
            ip,
            "X-Agent-Authorization",
            "Bearer @A",
            impersonate,
        ],
    );
    call(
        6,
        1,
        &[
            "GET",
            "/agent-customer-search",
            "q=ka&page[offset]=0&page[limit]=1",
            ip,
            "Authorization",
            "Bearer @A",
        ],
    );
    call(6, 0, &["POST", "/refresh-tokens", "", ip, refresh]);
    call(
        6,
        1,
        &[
            "DELETE",
            "/refresh-tokens/mine",
            "",
            ip,
            "Authorization",
            "Bearer @I",
        ],
    );
    call(
        6,
        1,
        &[
            "POST",
            "/token-introspection",
            "",
            ip,
            "Authorization",
            "Bearer @A",
            "token=@I",
        ],
    );
    call(6, 0, &["GET", "/.well-known/jwks.json", "", ip]);
    call(7, 0, &["DE--5"]);
    call(8, 1, &["kar"]);
    call(8, 0, &[""]);
    call(9, 0, &["Bearer @A", "@I"]);
    call(9, 0, &["Bearer @A", "@R"]);
    call(9, 0, &[&basic, "@A"]);
    call(10, 0, &["@A", "@J", ip]);
    call(11, 0, &["@I", ip]);
    call(12, 0, &["DE--5"]);
    call(13, 0, &["agent_credentials"]);
    call(14, 0, &[r#"{"agent_id":1,"limit":5}"#]);
    call(
        15,
        0,
        &[concat!(
            r#"{"id_customer":100,"customer_reference":"DE--100","email":"new@example.com","#,
            r#""first_name":"New","last_name":"Customer","id_company_user":null,"#,
            r#""permissions":null,"is_active":true}"#
        )],
    );
    call(16, 0x05, &["agent100@spryker.com", "pw-100"]);
    call(17, 0x05, &["new-password"]);
    call(18, 0, &["Back office", "s3cret"]);
    call(19, 7, &[]);
}

fn main() {
    let engine = fuzz_fixture::demo_engine();
    let sessions = Sessions::issue(&engine);
    let mut samples = Vec::new();
    for path in std::env::args().skip(1) {
        let text = fs::read_to_string(&path).expect("readable text file");
        samples.extend(jwts(&text));
    }
    samples.sort();
    samples.dedup();
    eprintln!("{} sample JWTs", samples.len());
    token_verify(&sessions, &samples);
    config_parse();
    ffi_strings();
}
