//! Access tokens: the exact Spryker layout of what the engine issues, PHP
//! `json_encode` compatibility of `sub`, the verification attack table, what
//! Spryker-issued tokens look like and still verify, keys and rotation, and a
//! cross-check against jsonwebtoken as an independent RS256 implementation.
//!
//! Everything runs on the fixed clock `NOW` with the committed test-only keys.

mod common;

use std::sync::Arc;

use agent_oauth_core::clock::FixedClock;
use agent_oauth_core::directory::Customer;
use agent_oauth_core::token::{
    self, MAX_TOKEN_LEN, Rejection, Subject, TokenKind, Validation, VerifyingKey, php_json_encode,
};
use agent_oauth_core::{Engine, Error};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use common::{
    AGENT, Fixture, IP, NOW, OTHER_KEY, OTHER_PUBLIC_KEY, PASSWORD, SMALL_KEY, TEST_KEY,
    TEST_PUBLIC_KEY, builder, fixture, fixture_with, part,
};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde::Deserialize;
use serde_json::{Value, json};

/// The default access-token lifetime (Spryker's `PT8H`).
const TTL: i64 = 28800;
/// `exp` of a token issued at `NOW`.
const EXP: i64 = NOW + TTL;

/// `sub` of the seeded agent's token: Spryker's doc token, byte for byte.
const AGENT_SUB: &str = r#"{"id_company_user":null,"id_agent":1,"customer_reference":null,"id_customer":null,"permissions":null}"#;

/// `sub` of an impersonation token for the fixture's DE--5.
const DE5_SUB: &str = concat!(
    r#"{"id_company_user":"dffc622b-8dd6-59ec-8e19-c5a4d5e74b1a","id_agent":null,"#,
    r#""customer_reference":"DE--5","id_customer":5,"#,
    r#""permissions":{"permissions":[{"id_permission":1,"key":"ReadSharedCartPermissionPlugin"}]}}"#,
);

/// `sub` of a Spryker customer token (password grant) for DE--1.
const CUSTOMER_SUB: &str = r#"{"id_company_user":null,"id_agent":null,"customer_reference":"DE--1","id_customer":1,"permissions":null}"#;

/// The header Spryker (lcobucci) emits: no `kid`.
const SPRYKER_HEADER: &str = r#"{"typ":"JWT","alg":"RS256"}"#;

/// A fixed 80-hex `jti` for hand-made tokens.
const JTI: &str =
    "b2b6b92cfd12bc3eaaf8d9fa90d3780d1abbb7c29f6764993c28e89d50fde79085ae8607b45c28a3";

/// The sample agent access token of seed 001_09bd7de56e2d9d48.txt (Spryker docs).
const SEED_AGENT_TOKEN: &str = concat!(
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJmcm9udGVuZCIsImp0aSI6ImIyYjZiOTJjZmQxMmJ",
    "jM2VhYWY4ZDlmYTkwZDM3ODBkMWFiYmI3YzI5ZjY3NjQ5OTNjMjhlODlkNTBmZGU3OTA4NWFlODYwN2I0NWMyOGE",
    "zIiwiaWF0IjoxNjAwNzc1NjYwLCJuYmYiOjE2MDA3NzU2NjAsImV4cCI6MTYwMDgwNDQ2MCwic3ViIjoie1wiaWR",
    "fY29tcGFueV91c2VyXCI6bnVsbCxcImlkX2FnZW50XCI6MSxcImN1c3RvbWVyX3JlZmVyZW5jZVwiOm51bGwsXCJ",
    "pZF9jdXN0b21lclwiOm51bGwsXCJwZXJtaXNzaW9uc1wiOm51bGx9Iiwic2NvcGVzIjpbImFnZW50Il19.RsW6bV",
    "ZD1GotR_Nse8_m972aXzNaiQ1gVV42u-So0dQ91ebPgjCYnKBwfl9sZHZfuT5kV3e6UyY0WBzhBz12vTdPGh9AZ3",
    "LvOCVJ5f8fts2PHTdsnmcnWURlHzf0jjuw5cJLJzqItONAWke8Dd5cZfEybHTVAyUJuMe6kX_HqONiLiljnLE0_N",
    "9I7zw5l9rkuk8vlHRKmyl4vyf24bb22N5RcaXO5medMGgEqO3E6lQKzgjkk6d3iVS7pDuD_96uiHUddLLH9r1d5b",
    "a5JJ6M9oAgIUYpjxKNIHJIUV1sbZ9wYg5YAkxHp6RekjZOIigxflBDyRprIjHjelBsukZiSA",
);

/// The sample impersonation access token of seed 003_7331ccbf37e9880a.txt (Spryker docs), with
/// the page's Markdown escapes (`\_`) removed from its signature.
const SEED_IMPERSONATION_TOKEN: &str = concat!(
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJmcm9udGVuZCIsImp0aSI6ImZkNTYzYTJhZjcyZmR",
    "mMzk5NzRmZTk3MGFjZDg1Njc5MmY5ZmU2MzkyZjY1NDdjMmZkODk2NGIzNzlkMDRlMGFjYTg2ZGNmNTgwYjg1MTN",
    "kIiwiaWF0IjoxNjAwODQ1NDI4LCJuYmYiOjE2MDA4NDU0MjgsImV4cCI6MTYwMDg3NDIyOCwic3ViIjoie1wiaWR",
    "fY29tcGFueV91c2VyXCI6XCJkZmZjNjIyYi04ZGQ2LTU5ZWMtOGUxOS1jNWE0ZDVlNzRiMWFcIixcImlkX2FnZW5",
    "0XCI6bnVsbCxcImN1c3RvbWVyX3JlZmVyZW5jZVwiOlwiREUtLTVcIixcImlkX2N1c3RvbWVyXCI6NSxcInBlcm1",
    "pc3Npb25zXCI6e1wicGVybWlzc2lvbnNcIjpbe1wiaWRfcGVybWlzc2lvblwiOjEsXCJrZXlcIjpcIlJlYWRTaGF",
    "yZWRDYXJ0UGVybWlzc2lvblBsdWdpblwiLFwiY29uZmlndXJhdGlvblwiOntcImlkX3F1b3RlX2NvbGxlY3Rpb25",
    "cIjpbMzMsNV19LFwiY29uZmlndXJhdGlvbl9zaWduYXR1cmVcIjpcIltdXCIsXCJpZF9jb21wYW55X3JvbGVcIjp",
    "udWxsLFwiaXNfaW5mcmFzdHJ1Y3R1cmFsXCI6bnVsbH0se1wiaWRfcGVybWlzc2lvblwiOjIsXCJrZXlcIjpcIld",
    "yaXRlU2hhcmVkQ2FydFBlcm1pc3Npb25QbHVnaW5cIixcImNvbmZpZ3VyYXRpb25cIjp7XCJpZF9xdW90ZV9jb2x",
    "sZWN0aW9uXCI6WzMzLDVdfSxcImNvbmZpZ3VyYXRpb25fc2lnbmF0dXJlXCI6XCJbXVwiLFwiaWRfY29tcGFueV9",
    "yb2xlXCI6bnVsbCxcImlzX2luZnJhc3RydWN0dXJhbFwiOm51bGx9LHtcImlkX3Blcm1pc3Npb25cIjpudWxsLFw",
    "ia2V5XCI6XCJSZWFkU2hvcHBpbmdMaXN0UGVybWlzc2lvblBsdWdpblwiLFwiY29uZmlndXJhdGlvblwiOntcIml",
    "kX3Nob3BwaW5nX2xpc3RfY29sbGVjdGlvblwiOltdfSxcImNvbmZpZ3VyYXRpb25fc2lnbmF0dXJlXCI6W10sXCJ",
    "pZF9jb21wYW55X3JvbGVcIjpudWxsLFwiaXNfaW5mcmFzdHJ1Y3R1cmFsXCI6bnVsbH0se1wiaWRfcGVybWlzc2l",
    "vblwiOm51bGwsXCJrZXlcIjpcIldyaXRlU2hvcHBpbmdMaXN0UGVybWlzc2lvblBsdWdpblwiLFwiY29uZmlndXJ",
    "hdGlvblwiOntcImlkX3Nob3BwaW5nX2xpc3RfY29sbGVjdGlvblwiOltdfSxcImNvbmZpZ3VyYXRpb25fc2lnbmF",
    "0dXJlXCI6W10sXCJpZF9jb21wYW55X3JvbGVcIjpudWxsLFwiaXNfaW5mcmFzdHJ1Y3R1cmFsXCI6bnVsbH1dfX0",
    "iLCJzY29wZXMiOlsiY3VzdG9tZXJfaW1wZXJzb25hdGlvbiIsImN1c3RvbWVyIl19.XlUS6iR_HAQxybsihbeWB1",
    "mC2-A1lSfWVMjsfWQwXcxO1QoBo61DIJoHPGerwSQpRCf3j5gHg3NkXyUUnTjWAj1U1zteIL2Dp9St6V8-K0teVv",
    "GPhkEuwCkK5ltHKnjyk5oXT36rq4KOrIY3yv2siaCHeSM18YhacGMMyE4xsoNGByccuQ7B0FZ_IjLE1TXecEswvO",
    "6Bz5MDZ2D8vatWZ3DxTQuvX5QULJ1zjPQVeBAM1Kioz0pWIpcxwRY-66nDiLu4hMtJtiB2RtmaDyrVt-yu-ZjccR",
    "IaF6FZXJ1HmPJrVIS2R67ZKee5qixkFoy3lr3RsHPZW0fETrp4NprxJw",
);

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The DER inside a PEM document, decoded here without the engine's parsers.
fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("-----"))
        .collect();
    STANDARD.decode(body).expect("PEM base64")
}

/// PEM from DER, 64 characters a line.
fn der_pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut pem = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    pem
}

/// One DER element: (tag, contents, what follows).
fn der_next(input: &[u8]) -> (u8, &[u8], &[u8]) {
    let tag = input[0];
    let first = usize::from(input[1]);
    let (len, start) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7f;
        let len = input[2..2 + n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, 2 + n)
    };
    (tag, &input[start..start + len], &input[start + len..])
}

/// One DER element from its tag and contents.
fn der_element(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = contents.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(contents);
    out
}

fn strip_zeros(bytes: &[u8]) -> Vec<u8> {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes[first..].to_vec()
}

/// The PKCS#1 `RSAPublicKey` DER inside a SubjectPublicKeyInfo PEM.
fn rsa_public_key_der(spki_pem: &str) -> Vec<u8> {
    let spki = pem_der(spki_pem);
    let (tag, spki, _) = der_next(&spki);
    assert_eq!(tag, 0x30, "SPKI SEQUENCE");
    let (tag, algorithm, rest) = der_next(spki);
    assert_eq!(tag, 0x30, "AlgorithmIdentifier SEQUENCE");
    // rsaEncryption, 1.2.840.113549.1.1.1
    let (tag, oid, _) = der_next(algorithm);
    assert_eq!(
        (tag, oid),
        (
            0x06,
            &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01][..]
        )
    );
    let (tag, bits, _) = der_next(rest);
    assert_eq!((tag, bits[0]), (0x03, 0), "BIT STRING without unused bits");
    bits[1..].to_vec()
}

/// `(n, e)` of a SubjectPublicKeyInfo PEM, big-endian without leading zeros.
fn rsa_components(spki_pem: &str) -> (Vec<u8>, Vec<u8>) {
    let rsa = rsa_public_key_der(spki_pem);
    let (tag, rsa, _) = der_next(&rsa);
    assert_eq!(tag, 0x30, "RSAPublicKey SEQUENCE");
    let (tag, n, rest) = der_next(rsa);
    assert_eq!(tag, 0x02, "modulus INTEGER");
    let (tag, e, _) = der_next(rest);
    assert_eq!(tag, 0x02, "exponent INTEGER");
    (strip_zeros(n), strip_zeros(e))
}

/// The RFC 7638 SHA-256 thumbprint, computed by hand: the canonical JWK
/// `{"e":..,"kty":"RSA","n":..}` (members sorted, no whitespace), hashed.
fn thumbprint(spki_pem: &str) -> String {
    let (n, e) = rsa_components(spki_pem);
    let canonical = format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, b64(&e), b64(&n));
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes());
    b64(digest.as_ref())
}

/// The header the engine must emit for a key.
fn engine_header(spki_pem: &str) -> String {
    format!(
        r#"{{"typ":"JWT","alg":"RS256","kid":"{}"}}"#,
        thumbprint(spki_pem)
    )
}

/// Signs `header.payload` (given as JSON text) with RS256, through
/// jsonwebtoken's signer rather than the engine's.
fn sign(header: &str, payload: &str, private_pem: &str) -> String {
    let message = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
    let key = EncodingKey::from_rsa_pem(private_pem.as_bytes()).expect("RSA private key");
    let signature =
        jsonwebtoken::crypto::sign(message.as_bytes(), &key, Algorithm::RS256).expect("RS256");
    format!("{message}.{signature}")
}

/// An agent token's claims in Spryker's order (`aud, jti, iat, nbf, exp,
/// sub, scopes`), issued at `NOW`; `overrides` replace values in place or
/// append new claims.
fn claims(overrides: &[(&str, Value)]) -> String {
    let mut map = serde_json::Map::new();
    map.insert("aud".into(), json!("frontend"));
    map.insert("jti".into(), json!(JTI));
    map.insert("iat".into(), json!(NOW));
    map.insert("nbf".into(), json!(NOW));
    map.insert("exp".into(), json!(EXP));
    map.insert("sub".into(), json!(AGENT_SUB));
    map.insert("scopes".into(), json!(["agent"]));
    for (key, value) in overrides {
        map.insert((*key).to_owned(), value.clone());
    }
    Value::Object(map).to_string()
}

/// A token as the engine would issue it (its header, the test key), over
/// `claims(overrides)`.
fn signed(overrides: &[(&str, Value)]) -> String {
    sign(
        &engine_header(TEST_PUBLIC_KEY),
        &claims(overrides),
        TEST_KEY,
    )
}

/// The test key's verification keys and the default validation, for calling
/// `token::verify` directly.
fn reason(token: &str, now: i64) -> Option<Rejection> {
    let current = VerifyingKey::from_pem(TEST_PUBLIC_KEY.as_bytes()).expect("public key");
    let validation = Validation {
        audience: "frontend".into(),
        leeway: 0,
    };
    token::verify(&current, &[], &validation, token, now).err()
}

/// The engine refuses `token` with `InvalidAccessToken` (Glue 001), and the
/// codec names `expected` as the reason.
fn assert_refused(f: &Fixture, token: &str, expected: Rejection) {
    match f.engine.verify(token) {
        Err(Error::InvalidAccessToken) => {}
        Err(other) => panic!("expected InvalidAccessToken, got {other:?}"),
        Ok(claims) => panic!("expected a refusal, the token verified: {claims:?}"),
    }
    assert_eq!(reason(token, f.engine.now()), Some(expected));
}

/// The keys of a JSON object, in document order.
fn keys(json: &str) -> Vec<String> {
    let value: Value = serde_json::from_str(json).expect("JSON");
    value.as_object().expect("object").keys().cloned().collect()
}

fn login(f: &Fixture) -> String {
    f.engine
        .agent_login(AGENT, PASSWORD, IP)
        .expect("agent login")
        .access_token
}

fn impersonate(f: &Fixture, agent_token: &str, reference: &str) -> String {
    f.engine
        .impersonate(agent_token, reference, Some("ticket 42"), IP)
        .expect("impersonation")
        .access_token
}

/// The `jti` of a token, read from its payload.
fn jti_of(token: &str) -> String {
    let payload: Value = serde_json::from_str(&part(token, 1)).expect("payload JSON");
    payload["jti"].as_str().expect("jti string").to_owned()
}

fn is_lower_hex_80(s: &str) -> bool {
    s.len() == 80
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The same token with the byte at `index` of its decoded signature flipped.
fn flip_signature_byte(token: &str, index: usize) -> String {
    let (message, signature) = token.rsplit_once('.').expect("three parts");
    let mut bytes = URL_SAFE_NO_PAD.decode(signature).expect("signature base64");
    bytes[index] ^= 0x01;
    format!("{message}.{}", b64(&bytes))
}

// ---------------------------------------------------------------------------
// 1. Golden layout
// ---------------------------------------------------------------------------

#[test]
fn agent_token_header_is_typ_alg_and_rfc7638_kid() {
    let f = fixture();
    let token = login(&f);
    let kid = thumbprint(TEST_PUBLIC_KEY);
    assert_eq!(
        part(&token, 0),
        format!(r#"{{"typ":"JWT","alg":"RS256","kid":"{kid}"}}"#)
    );
    assert_eq!(f.engine.kid(), kid);
    // RFC 7638 SHA-256 thumbprints are 32 bytes: 43 base64url characters.
    assert_eq!(kid.len(), 43);
}

#[test]
fn agent_token_kid_equals_jsonwebtoken_thumbprint_of_the_jwks_entry() {
    let f = fixture();
    let jwks = f.engine.jwks();
    let thumb = jwks.keys[0]
        .thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
        .expect("thumbprint");
    assert_eq!(thumb, thumbprint(TEST_PUBLIC_KEY));
    assert_eq!(f.engine.kid(), thumb);
}

#[test]
fn agent_token_payload_is_spryker_layout_byte_for_byte() {
    let f = fixture();
    let response = f.engine.agent_login(AGENT, PASSWORD, IP).expect("login");
    assert_eq!(response.token_type, "Bearer");
    assert_eq!(response.expires_in, TTL);
    let token = response.access_token;
    let jti = jti_of(&token);
    assert!(is_lower_hex_80(&jti), "jti {jti:?}");
    let expected = concat!(
        r#"{"aud":"frontend","jti":"JTI","iat":1700000000,"nbf":1700000000,"exp":1700028800,"#,
        r#""sub":"{\"id_company_user\":null,\"id_agent\":1,\"customer_reference\":null,"#,
        r#"\"id_customer\":null,\"permissions\":null}","scopes":["agent"]}"#,
    )
    .replace("JTI", &jti);
    assert_eq!(part(&token, 1), expected);
}

#[test]
fn agent_token_claims_decode_to_agent_sub_and_times() {
    let f = fixture();
    let claims = f.engine.verify(&login(&f)).expect("verify");
    assert_eq!(claims.aud, "frontend");
    assert_eq!((claims.iat, claims.nbf, claims.exp), (NOW, NOW, EXP));
    assert_eq!(claims.sub, AGENT_SUB);
    assert_eq!(claims.subject, Subject::agent(1));
    assert_eq!(claims.scopes, ["agent"]);
    assert_eq!(claims.act, None);
    assert_eq!(claims.kind(), TokenKind::Agent);
    assert_eq!(claims.agent_id(), Some(1));
}

#[test]
fn impersonation_token_header_is_typ_alg_and_rfc7638_kid() {
    let f = fixture();
    let agent = login(&f);
    let token = impersonate(&f, &agent, "DE--5");
    assert_eq!(part(&token, 0), engine_header(TEST_PUBLIC_KEY));
}

#[test]
fn impersonation_token_payload_is_spryker_layout_with_act_last() {
    let f = fixture();
    let agent = login(&f);
    let response = f
        .engine
        .impersonate(&agent, "DE--5", Some("ticket 42"), IP)
        .expect("impersonation");
    assert_eq!(response.token_type, "Bearer");
    assert_eq!(response.expires_in, TTL);
    let token = response.access_token;
    let jti = jti_of(&token);
    assert!(is_lower_hex_80(&jti), "jti {jti:?}");
    assert_ne!(jti, jti_of(&agent));
    let expected = concat!(
        r#"{"aud":"frontend","jti":"JTI","iat":1700000000,"nbf":1700000000,"exp":1700028800,"#,
        r#""sub":"{\"id_company_user\":\"dffc622b-8dd6-59ec-8e19-c5a4d5e74b1a\",\"id_agent\":null,"#,
        r#"\"customer_reference\":\"DE--5\",\"id_customer\":5,\"permissions\":{\"permissions\":"#,
        r#"[{\"id_permission\":1,\"key\":\"ReadSharedCartPermissionPlugin\"}]}}","#,
        r#""scopes":["customer_impersonation","customer"],"#,
        r#""act":{"sub":"{\"id_company_user\":null,\"id_agent\":1,\"customer_reference\":null,"#,
        r#"\"id_customer\":null,\"permissions\":null}"}}"#,
    )
    .replace("JTI", &jti);
    assert_eq!(part(&token, 1), expected);
}

#[test]
fn impersonation_token_claims_name_the_customer_and_the_acting_agent() {
    let f = fixture();
    let agent = login(&f);
    let claims = f
        .engine
        .verify(&impersonate(&f, &agent, "DE--5"))
        .expect("verify");
    assert_eq!(claims.sub, DE5_SUB);
    assert_eq!(claims.subject.id_agent, None);
    assert_eq!(claims.subject.customer_reference.as_deref(), Some("DE--5"));
    assert_eq!(claims.subject.id_customer, Some(5));
    assert_eq!(
        claims.subject.id_company_user.as_deref(),
        Some("dffc622b-8dd6-59ec-8e19-c5a4d5e74b1a")
    );
    assert_eq!(claims.scopes, ["customer_impersonation", "customer"]);
    assert_eq!(claims.act.as_ref().map(|a| a.sub.as_str()), Some(AGENT_SUB));
    assert_eq!(claims.kind(), TokenKind::Impersonation);
    assert_eq!(claims.agent_id(), Some(1));
    assert_eq!((claims.iat, claims.nbf, claims.exp), (NOW, NOW, EXP));
}

#[test]
fn agent_token_claim_order_equals_spryker_sample_agent_token() {
    let f = fixture();
    let token = login(&f);
    let sample = part(SEED_AGENT_TOKEN, 1);
    assert_eq!(
        keys(&sample),
        ["aud", "jti", "iat", "nbf", "exp", "sub", "scopes"]
    );
    assert_eq!(keys(&part(&token, 1)), keys(&sample));
    // The sample's header is the engine's header without `kid`.
    assert_eq!(part(SEED_AGENT_TOKEN, 0), SPRYKER_HEADER);
    assert_eq!(
        keys(&part(&token, 0)),
        [keys(SPRYKER_HEADER), vec!["kid".to_owned()]].concat()
    );
    // The sample's sub is the engine's agent sub, byte for byte.
    let sample: Value = serde_json::from_str(&sample).expect("sample payload");
    assert_eq!(sample["sub"], json!(AGENT_SUB));
    assert_eq!(sample["scopes"], json!(["agent"]));
    assert_eq!(sample["aud"], json!("frontend"));
    assert!(is_lower_hex_80(sample["jti"].as_str().expect("jti")));
    assert_eq!(
        sample["exp"].as_i64().expect("exp") - sample["iat"].as_i64().expect("iat"),
        TTL
    );
}

#[test]
fn impersonation_token_claim_order_equals_spryker_sample_plus_act() {
    let f = fixture();
    let agent = login(&f);
    let token = impersonate(&f, &agent, "DE--5");
    let sample = part(SEED_IMPERSONATION_TOKEN, 1);
    assert_eq!(
        keys(&sample),
        ["aud", "jti", "iat", "nbf", "exp", "sub", "scopes"]
    );
    assert_eq!(
        keys(&part(&token, 1)),
        [keys(&sample), vec!["act".to_owned()]].concat()
    );
    assert_eq!(part(SEED_IMPERSONATION_TOKEN, 0), SPRYKER_HEADER);
    // Same sub layout as Spryker's impersonation token.
    let sample: Value = serde_json::from_str(&sample).expect("sample payload");
    let sample_sub = sample["sub"].as_str().expect("sub string");
    assert_eq!(
        keys(sample_sub),
        [
            "id_company_user",
            "id_agent",
            "customer_reference",
            "id_customer",
            "permissions"
        ]
    );
    let claims = f.engine.verify(&token).expect("verify");
    assert_eq!(keys(&claims.sub), keys(sample_sub));
    assert_eq!(
        sample["scopes"],
        json!(["customer_impersonation", "customer"])
    );
    assert_eq!(claims.scopes, ["customer_impersonation", "customer"]);
}

#[test]
fn spryker_sample_subs_reencode_byte_for_byte_through_php_json_encode() {
    for sample in [SEED_AGENT_TOKEN, SEED_IMPERSONATION_TOKEN] {
        let payload: Value = serde_json::from_str(&part(sample, 1)).expect("payload");
        let sub = payload["sub"].as_str().expect("sub string");
        assert_eq!(Subject::parse(sub).to_php_json(), sub);
    }
    let payload: Value = serde_json::from_str(&part(SEED_IMPERSONATION_TOKEN, 1)).expect("payload");
    let subject = Subject::parse(payload["sub"].as_str().expect("sub"));
    assert_eq!(subject.customer_reference.as_deref(), Some("DE--5"));
    assert_eq!(subject.id_customer, Some(5));
    assert_eq!(subject.id_agent, None);
}

#[test]
fn spryker_sample_token_signed_by_spryker_demo_key_is_refused_for_its_signature() {
    let f = fixture();
    assert_refused(&f, SEED_AGENT_TOKEN, Rejection::Signature);
    assert_refused(&f, SEED_IMPERSONATION_TOKEN, Rejection::Signature);
}

#[test]
fn jti_differs_between_tokens_and_is_80_lowercase_hex() {
    let f = fixture();
    let a = login(&f);
    let b = login(&f);
    let c = impersonate(&f, &a, "DE--5");
    let jtis = [jti_of(&a), jti_of(&b), jti_of(&c)];
    for jti in &jtis {
        assert!(is_lower_hex_80(jti), "jti {jti:?}");
    }
    assert_ne!(jtis[0], jtis[1]);
    assert_ne!(jtis[0], jtis[2]);
    assert_ne!(jtis[1], jtis[2]);
}

// ---------------------------------------------------------------------------
// 2. PHP json_encode compatibility of sub
// ---------------------------------------------------------------------------

/// Generated with PHP 8.2: `json_encode(["id_company_user"=>"c/u-ü",
/// "id_agent"=>null, "customer_reference"=>"a/b-Ü-😀", "id_customer"=>7,
/// "permissions"=>["note"=>"x/y ß €", "list"=>["😀", "\t\x1f<>&'\"\\", 1.5, true]]])`.
const PHP_SUB: &str = concat!(
    r#"{"id_company_user":"c\/u-\u00fc","id_agent":null,"#,
    r#""customer_reference":"a\/b-\u00dc-\ud83d\ude00","id_customer":7,"#,
    r#""permissions":{"note":"x\/y \u00df \u20ac","list":["\ud83d\ude00","\t\u001f<>&'\"\\",1.5,true]}}"#,
);

fn unicode_subject() -> Subject {
    Subject {
        id_company_user: Some("c/u-ü".into()),
        id_agent: None,
        customer_reference: Some("a/b-Ü-😀".into()),
        id_customer: Some(7),
        permissions: Some(json!({
            "note": "x/y ß €",
            "list": ["😀", "\t\u{1f}<>&'\"\\", 1.5, true],
        })),
    }
}

#[test]
fn php_json_encode_escapes_slash_and_non_ascii_like_php() {
    assert_eq!(php_json_encode(&unicode_subject()), PHP_SUB);
    assert_eq!(unicode_subject().to_php_json(), PHP_SUB);
}

#[test]
fn php_json_encode_writes_astral_characters_as_lowercase_surrogate_pairs() {
    // php -r 'echo json_encode("é/𝄞");'
    assert_eq!(php_json_encode("é/𝄞"), r#""\u00e9\/\ud834\udd1e""#);
}

#[test]
fn php_json_encode_escapes_control_characters_like_php() {
    // php -r 'echo json_encode(["\\\x7f\x00\x08\x0c\n\r"]);' (DEL stays raw)
    assert_eq!(
        php_json_encode(&["\\\u{7f}\u{0}\u{8}\u{c}\n\r"]),
        "[\"\\\\\u{7f}\\u0000\\b\\f\\n\\r\"]"
    );
}

#[test]
fn impersonation_sub_with_slash_umlaut_and_emoji_is_php_json_encoded() {
    let f = fixture();
    let customer = Customer {
        id_customer: 7,
        customer_reference: "a/b-Ü-😀".into(),
        email: "unicode@example.com".into(),
        first_name: "Ünal".into(),
        last_name: "Öz".into(),
        id_company_user: Some("c/u-ü".into()),
        permissions: unicode_subject().permissions,
        is_active: true,
        impersonation_allowed: true,
    };
    f.engine.upsert_customer(&customer).expect("customer");
    let agent = login(&f);
    let token = impersonate(&f, &agent, "a/b-Ü-😀");
    let claims = f.engine.verify(&token).expect("verify");
    assert_eq!(claims.sub, PHP_SUB);
    assert_eq!(claims.subject, unicode_subject());
    // Inside the payload the sub string is JSON-escaped once more: `\/`
    // becomes `\\/`, `\u00fc` becomes `\\u00fc`; the payload stays ASCII.
    let payload = part(&token, 1);
    assert!(payload.is_ascii());
    let payload: Value = serde_json::from_str(&payload).expect("payload");
    assert_eq!(payload["sub"], json!(PHP_SUB));
}

// ---------------------------------------------------------------------------
// 3. Verification attack table
// ---------------------------------------------------------------------------

#[test]
fn correctly_signed_token_with_the_attack_tables_claims_is_accepted() {
    let f = fixture();
    let token = signed(&[]);
    assert_eq!(reason(&token, NOW), None);
    let claims = f.engine.verify(&token).expect("verify");
    assert_eq!(claims.jti, JTI);
    assert_eq!(claims.sub, AGENT_SUB);
    assert_eq!((claims.iat, claims.nbf, claims.exp), (NOW, NOW, EXP));
    assert_eq!(claims.kind(), TokenKind::Agent);
}

#[test]
fn alg_none_unsigned_token_is_refused() {
    let f = fixture();
    let header = b64(br#"{"typ":"JWT","alg":"none"}"#);
    let token = format!("{header}.{}.", b64(claims(&[]).as_bytes()));
    assert_refused(&f, &token, Rejection::Algorithm);
}

#[test]
fn alg_none_header_on_a_validly_signed_token_is_refused() {
    let f = fixture();
    let valid = login(&f);
    let (_, rest) = valid.split_once('.').expect("header");
    let token = format!("{}.{rest}", b64(br#"{"typ":"JWT","alg":"none"}"#));
    assert_refused(&f, &token, Rejection::Algorithm);
}

#[test]
fn hs256_token_signed_with_public_key_is_refused() {
    let f = fixture();
    let payload: Value = serde_json::from_str(&claims(&[])).expect("claims");
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &payload,
        &EncodingKey::from_secret(TEST_PUBLIC_KEY.as_bytes()),
    )
    .expect("HS256");
    assert_eq!(part(&token, 0), r#"{"typ":"JWT","alg":"HS256"}"#);
    assert_refused(&f, &token, Rejection::Algorithm);
}

#[test]
fn hs256_token_with_the_engine_kid_signed_with_public_key_is_refused() {
    let f = fixture();
    let payload: Value = serde_json::from_str(&claims(&[])).expect("claims");
    let header = Header {
        kid: Some(f.engine.kid().to_owned()),
        ..Header::new(Algorithm::HS256)
    };
    let pem_secret = jsonwebtoken::encode(
        &header,
        &payload,
        &EncodingKey::from_secret(TEST_PUBLIC_KEY.as_bytes()),
    )
    .expect("HS256");
    let der_secret = jsonwebtoken::encode(
        &header,
        &payload,
        &EncodingKey::from_secret(&pem_der(TEST_PUBLIC_KEY)),
    )
    .expect("HS256");
    assert_refused(&f, &pem_secret, Rejection::Algorithm);
    assert_refused(&f, &der_secret, Rejection::Algorithm);
}

#[test]
fn token_signed_by_another_rsa_key_is_refused() {
    let f = fixture();
    let without_kid = sign(SPRYKER_HEADER, &claims(&[]), OTHER_KEY);
    assert_refused(&f, &without_kid, Rejection::Signature);
    let with_own_kid = sign(&engine_header(OTHER_PUBLIC_KEY), &claims(&[]), OTHER_KEY);
    assert_refused(&f, &with_own_kid, Rejection::Signature);
}

#[test]
fn token_signed_by_another_rsa_key_claiming_the_engine_kid_is_refused() {
    let f = fixture();
    let token = sign(&engine_header(TEST_PUBLIC_KEY), &claims(&[]), OTHER_KEY);
    assert_refused(&f, &token, Rejection::Signature);
}

#[test]
fn tampered_payload_with_changed_id_agent_is_refused() {
    let f = fixture();
    let valid = login(&f);
    let mut parts = valid.split('.');
    let (header, payload, signature) = (
        parts.next().expect("header"),
        parts.next().expect("payload"),
        parts.next().expect("signature"),
    );
    let original = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).expect("b64")).expect("utf8");
    let forged = original.replace(r#"\"id_agent\":1,"#, r#"\"id_agent\":2,"#);
    assert_ne!(forged, original);
    let token = format!("{header}.{}.{signature}", b64(forged.as_bytes()));
    assert_refused(&f, &token, Rejection::Signature);
}

#[test]
fn tampered_signature_byte_is_refused() {
    let f = fixture();
    let valid = login(&f);
    for index in [0, 128, 255] {
        assert_refused(
            &f,
            &flip_signature_byte(&valid, index),
            Rejection::Signature,
        );
    }
    // Untouched, the same token verifies.
    assert_eq!(reason(&valid, NOW), None);
}

#[test]
fn token_is_refused_once_the_clock_passes_exp() {
    let f = fixture();
    let token = login(&f);
    f.clock.set(EXP + 1);
    assert_refused(&f, &token, Rejection::Expired);
    f.clock.set(EXP + 86400);
    assert_refused(&f, &token, Rejection::Expired);
}

#[test]
fn token_is_refused_exactly_at_exp() {
    let f = fixture();
    let token = login(&f);
    f.clock.set(EXP);
    assert_refused(&f, &token, Rejection::Expired);
}

#[test]
fn token_is_accepted_one_second_before_exp() {
    let f = fixture();
    let token = login(&f);
    f.clock.set(EXP - 1);
    assert_eq!(f.engine.verify(&token).expect("verify").exp, EXP);
}

#[test]
fn token_with_nbf_in_the_future_is_refused() {
    let f = fixture();
    let token = signed(&[("nbf", json!(NOW + 60))]);
    assert_refused(&f, &token, Rejection::NotYetValid);
    // Valid from nbf on.
    f.clock.set(NOW + 60);
    assert_eq!(f.engine.verify(&token).expect("verify").nbf, NOW + 60);
}

#[test]
fn token_with_iat_in_the_future_is_refused() {
    let f = fixture();
    let token = signed(&[("iat", json!(NOW + 60))]);
    assert_refused(&f, &token, Rejection::IssuedInFuture);
    f.clock.set(NOW + 60);
    assert_eq!(f.engine.verify(&token).expect("verify").iat, NOW + 60);
}

#[test]
fn token_with_wrong_aud_is_refused() {
    let f = fixture();
    assert_refused(
        &f,
        &signed(&[("aud", json!("backoffice"))]),
        Rejection::Audience,
    );
    assert_refused(
        &f,
        &signed(&[("aud", json!("Frontend"))]),
        Rejection::Audience,
    );
    assert_refused(&f, &signed(&[("aud", json!(""))]), Rejection::Audience);
}

#[test]
fn token_issued_by_an_engine_for_another_client_is_refused_for_its_aud() {
    let f = fixture();
    let other = fixture_with(builder(&f.clock).client_id("backoffice"), f.clock.clone());
    let token = login(&other);
    assert_eq!(
        serde_json::from_str::<Value>(&part(&token, 1)).expect("payload")["aud"],
        json!("backoffice")
    );
    assert_refused(&f, &token, Rejection::Audience);
}

#[test]
fn token_truncated_inside_its_signature_is_refused() {
    let f = fixture();
    let valid = login(&f);
    // 342 base64url characters carry 256 bytes; 332 carry 249.
    let token = &valid[..valid.len() - 10];
    assert_refused(&f, token, Rejection::Signature);
}

#[test]
fn token_truncated_inside_its_payload_is_refused() {
    let f = fixture();
    let valid = login(&f);
    let header_len = valid.find('.').expect("dot");
    let token = &valid[..header_len + 20];
    assert_refused(&f, token, Rejection::Malformed);
}

#[test]
fn token_with_empty_signature_is_refused() {
    let f = fixture();
    let valid = login(&f);
    let (message, _) = valid.rsplit_once('.').expect("three parts");
    assert_refused(&f, &format!("{message}."), Rejection::Signature);
}

#[test]
fn token_of_two_parts_is_refused() {
    let f = fixture();
    let valid = login(&f);
    let (message, _) = valid.rsplit_once('.').expect("three parts");
    assert_refused(&f, message, Rejection::Malformed);
}

#[test]
fn token_that_is_not_base64url_is_refused() {
    let f = fixture();
    assert_refused(&f, "###.$$$.%%%", Rejection::Malformed);
    // Standard base64 (`+`, `/`, `=`) is not base64url.
    let valid = login(&f);
    let (message, signature) = valid.rsplit_once('.').expect("three parts");
    let bytes = URL_SAFE_NO_PAD.decode(signature).expect("signature");
    let standard = STANDARD.encode(bytes);
    assert!(standard.contains(['+', '/', '=']), "{standard}");
    assert_refused(&f, &format!("{message}.{standard}"), Rejection::Malformed);
}

#[test]
fn token_whose_header_is_not_json_is_refused() {
    let f = fixture();
    let valid = login(&f);
    let (_, rest) = valid.split_once('.').expect("header");
    assert_refused(
        &f,
        &format!("{}.{rest}", b64(b"RS256")),
        Rejection::Malformed,
    );
}

#[test]
fn empty_token_is_refused() {
    let f = fixture();
    assert_refused(&f, "", Rejection::Malformed);
    assert_refused(&f, "..", Rejection::Malformed);
}

#[test]
fn token_of_one_megabyte_is_refused_as_oversize() {
    let f = fixture();
    let token = signed(&[("padding", json!("x".repeat(1 << 20)))]);
    assert!(token.len() > 1 << 20);
    assert_refused(&f, &token, Rejection::Oversize);
    assert_refused(&f, &"a".repeat(1 << 20), Rejection::Oversize);
}

#[test]
fn signed_token_of_exactly_max_len_is_accepted_and_one_more_character_is_oversize() {
    let f = fixture();
    let padded = |n: usize| signed(&[("padding", json!("x".repeat(n)))]);
    // Each padding byte adds one or two base64url characters: search around
    // the estimate for the padding that lands exactly on a length.
    let estimate = (MAX_TOKEN_LEN - padded(0).len()) * 3 / 4;
    let of_len = |len: usize| {
        (estimate - 8..estimate + 8)
            .map(padded)
            .find(|t| t.len() == len)
            .expect("a token of the wanted length")
    };
    let at_limit = of_len(MAX_TOKEN_LEN);
    assert_eq!(at_limit.len(), 16 * 1024);
    assert_eq!(f.engine.verify(&at_limit).expect("verify").jti, JTI);
    assert_refused(&f, &of_len(MAX_TOKEN_LEN + 1), Rejection::Oversize);
}

#[test]
fn token_with_crit_header_is_refused() {
    let f = fixture();
    let header = format!(
        r#"{{"typ":"JWT","alg":"RS256","kid":"{}","crit":["exp"]}}"#,
        f.engine.kid()
    );
    let token = sign(&header, &claims(&[]), TEST_KEY);
    assert_refused(&f, &token, Rejection::Algorithm);
}

#[test]
fn token_with_lowercase_alg_rs256_is_refused() {
    let f = fixture();
    let token = sign(r#"{"typ":"JWT","alg":"rs256"}"#, &claims(&[]), TEST_KEY);
    assert_refused(&f, &token, Rejection::Algorithm);
}

#[test]
fn token_with_rs512_alg_is_refused() {
    let f = fixture();
    let payload: Value = serde_json::from_str(&claims(&[])).expect("claims");
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::RS512),
        &payload,
        &EncodingKey::from_rsa_pem(TEST_KEY.as_bytes()).expect("key"),
    )
    .expect("RS512");
    assert_refused(&f, &token, Rejection::Algorithm);
}

#[test]
fn signed_token_without_exp_is_refused_for_its_claims() {
    let f = fixture();
    let payload = format!(
        r#"{{"aud":"frontend","jti":"{JTI}","iat":{NOW},"nbf":{NOW},"sub":{},"scopes":["agent"]}}"#,
        json!(AGENT_SUB)
    );
    let token = sign(&engine_header(TEST_PUBLIC_KEY), &payload, TEST_KEY);
    assert_refused(&f, &token, Rejection::Claims);
}

#[test]
fn signed_token_with_sub_as_object_is_refused_for_its_claims() {
    let f = fixture();
    let token = signed(&[("sub", serde_json::from_str(AGENT_SUB).expect("sub"))]);
    assert_refused(&f, &token, Rejection::Claims);
}

// ---------------------------------------------------------------------------
// 4. Acceptance of Spryker-issued tokens and leeway
// ---------------------------------------------------------------------------

/// A customer token as Spryker issues it with league 8.5 / lcobucci 4:
/// float times, no `kid`, signed by the shop key.
fn league_customer_token(iat: f64, exp: f64) -> String {
    let payload = claims(&[
        ("iat", json!(iat)),
        ("nbf", json!(iat)),
        ("exp", json!(exp)),
        ("sub", json!(CUSTOMER_SUB)),
        ("scopes", json!(["customer"])),
    ]);
    sign(SPRYKER_HEADER, &payload, TEST_KEY)
}

#[test]
fn league_token_with_float_times_and_no_kid_verifies_in_the_second_it_was_issued() {
    let f = fixture();
    let token = league_customer_token(1_700_000_000.464_078, 1_700_028_800.464_078);
    assert!(
        part(&token, 1).contains(
            r#""iat":1700000000.464078,"nbf":1700000000.464078,"exp":1700028800.464078,"#
        ),
        "{}",
        part(&token, 1)
    );
    assert_eq!(part(&token, 0), SPRYKER_HEADER);
    assert_eq!(reason(&token, NOW), None);
    let claims = f.engine.verify(&token).expect("verify");
    assert_eq!((claims.iat, claims.nbf, claims.exp), (NOW, NOW, EXP));
    assert_eq!(claims.sub, CUSTOMER_SUB);
    assert_eq!(claims.kind(), TokenKind::Customer);
}

#[test]
fn league_token_with_float_times_verifies_a_second_later() {
    let f = fixture();
    let token = league_customer_token(1_700_000_000.464_078, 1_700_028_800.464_078);
    f.clock.set(NOW + 1);
    let claims = f.engine.verify(&token).expect("verify");
    assert_eq!((claims.iat, claims.nbf, claims.exp), (NOW, NOW, EXP));
    assert_eq!(claims.jti, JTI);
    assert_eq!(claims.aud, "frontend");
    assert_eq!(claims.scopes, ["customer"]);
    assert_eq!(claims.act, None);
}

#[test]
fn league_customer_token_is_of_kind_customer_and_names_no_agent() {
    let f = fixture();
    let token = league_customer_token(1_699_999_999.5, 1_700_028_799.5);
    let claims = f.engine.verify(&token).expect("verify");
    assert_eq!(claims.kind(), TokenKind::Customer);
    assert_eq!(claims.agent_id(), None);
    assert_eq!(claims.subject.customer_reference.as_deref(), Some("DE--1"));
    assert_eq!(claims.subject.id_customer, Some(1));
    assert_eq!(claims.subject.id_agent, None);
}

#[test]
fn league_token_with_float_exp_is_refused_after_exp() {
    let f = fixture();
    let token = league_customer_token(1_699_999_999.5, 1_700_028_799.5);
    f.clock.set(EXP);
    assert_refused(&f, &token, Rejection::Expired);
}

#[test]
fn token_with_agent_id_but_without_agent_scope_is_of_kind_customer() {
    let f = fixture();
    let token = signed(&[("scopes", json!(["customer"]))]);
    let claims = f.engine.verify(&token).expect("verify");
    assert_eq!(claims.kind(), TokenKind::Customer);
    assert_eq!(claims.agent_id(), None);
}

fn leeway_fixture(seconds: u64) -> Fixture {
    let clock = Arc::new(FixedClock::new(NOW));
    fixture_with(builder(&clock).leeway(seconds), clock)
}

#[test]
fn leeway_30_accepts_token_expired_10_seconds_ago() {
    let f = leeway_fixture(30);
    let token = login(&f);
    f.clock.set(EXP + 10);
    assert_eq!(f.engine.verify(&token).expect("verify").exp, EXP);
    f.clock.set(EXP + 29);
    assert_eq!(f.engine.verify(&token).expect("verify").exp, EXP);
}

#[test]
fn leeway_30_refuses_token_expired_40_seconds_ago() {
    let f = leeway_fixture(30);
    let token = login(&f);
    f.clock.set(EXP + 40);
    assert!(matches!(
        f.engine.verify(&token),
        Err(Error::InvalidAccessToken)
    ));
    f.clock.set(EXP + 30);
    assert!(matches!(
        f.engine.verify(&token),
        Err(Error::InvalidAccessToken)
    ));
}

#[test]
fn leeway_30_accepts_nbf_and_iat_10_seconds_ahead_and_refuses_40() {
    let f = leeway_fixture(30);
    let ahead_10 = signed(&[("iat", json!(NOW + 10)), ("nbf", json!(NOW + 10))]);
    assert_eq!(f.engine.verify(&ahead_10).expect("verify").nbf, NOW + 10);
    let ahead_40 = signed(&[("iat", json!(NOW + 40)), ("nbf", json!(NOW + 40))]);
    assert!(matches!(
        f.engine.verify(&ahead_40),
        Err(Error::InvalidAccessToken)
    ));
}

#[test]
fn leeway_in_token_verify_is_applied_to_exp() {
    let current = VerifyingKey::from_pem(TEST_PUBLIC_KEY.as_bytes()).expect("key");
    let validation = Validation {
        audience: "frontend".into(),
        leeway: 30,
    };
    let token = signed(&[]);
    let at = |now| token::verify(&current, &[], &validation, &token, now).err();
    assert_eq!(at(EXP + 10), None);
    assert_eq!(at(EXP + 30), Some(Rejection::Expired));
    assert_eq!(at(EXP + 40), Some(Rejection::Expired));
}

#[test]
fn aud_array_containing_the_client_id_is_accepted() {
    let f = fixture();
    let token = signed(&[("aud", json!(["backoffice", "frontend"]))]);
    let claims = f.engine.verify(&token).expect("verify");
    assert_eq!(claims.aud, "frontend");
    let single = signed(&[("aud", json!(["frontend"]))]);
    assert_eq!(f.engine.verify(&single).expect("verify").aud, "frontend");
}

#[test]
fn aud_array_without_the_client_id_is_refused() {
    let f = fixture();
    assert_refused(
        &f,
        &signed(&[("aud", json!(["backoffice", "merchant"]))]),
        Rejection::Audience,
    );
    assert_refused(&f, &signed(&[("aud", json!([]))]), Rejection::Audience);
}

// ---------------------------------------------------------------------------
// 5. Keys
// ---------------------------------------------------------------------------

fn engine_with_key(private_pem: &str) -> agent_oauth_core::Result<Engine> {
    let clock = Arc::new(FixedClock::new(NOW));
    builder(&clock).private_key_pem(private_pem).build()
}

#[test]
fn pkcs1_and_pkcs8_private_keys_both_load() {
    assert!(TEST_KEY.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    assert!(OTHER_KEY.starts_with("-----BEGIN PRIVATE KEY-----"));
    let pkcs1 = engine_with_key(TEST_KEY).expect("PKCS#1 key");
    let pkcs8 = engine_with_key(OTHER_KEY).expect("PKCS#8 key");
    assert_eq!(pkcs1.kid(), thumbprint(TEST_PUBLIC_KEY));
    assert_eq!(pkcs8.kid(), thumbprint(OTHER_PUBLIC_KEY));
    assert_ne!(pkcs1.kid(), pkcs8.kid());
}

#[test]
fn same_key_as_pkcs1_and_as_pkcs8_signs_with_the_same_kid() {
    // PKCS#8 PrivateKeyInfo { version 0, rsaEncryption NULL, OCTET STRING pkcs1 }.
    let pkcs1 = pem_der(TEST_KEY);
    let algorithm = der_element(
        0x30,
        &[
            der_element(
                0x06,
                &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
            ),
            der_element(0x05, &[]),
        ]
        .concat(),
    );
    let info = der_element(
        0x30,
        &[
            der_element(0x02, &[0]),
            algorithm,
            der_element(0x04, &pkcs1),
        ]
        .concat(),
    );
    let pkcs8_pem = der_pem("PRIVATE KEY", &info);
    let clock = Arc::new(FixedClock::new(NOW));
    let f = fixture_with(builder(&clock).private_key_pem(pkcs8_pem), clock);
    assert_eq!(f.engine.kid(), thumbprint(TEST_PUBLIC_KEY));
    let token = login(&f);
    assert_eq!(part(&token, 0), engine_header(TEST_PUBLIC_KEY));
    assert_eq!(reason(&token, NOW), None);
}

#[test]
fn private_key_of_1024_bits_is_refused_with_config_error() {
    let err = engine_with_key(SMALL_KEY).unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[test]
fn garbage_private_key_pem_is_refused_with_config_error() {
    for garbage in [
        "garbage",
        "",
        "-----BEGIN RSA PRIVATE KEY-----\nbm90IGEga2V5\n-----END RSA PRIVATE KEY-----\n",
        "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n",
        TEST_PUBLIC_KEY,
    ] {
        let err = engine_with_key(garbage).unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{garbage:?}: {err:?}");
    }
}

#[test]
fn garbage_previous_public_key_is_refused_with_config_error() {
    let clock = Arc::new(FixedClock::new(NOW));
    let err = builder(&clock)
        .previous_public_key_pem(
            "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n",
        )
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

/// An engine on the test key that still accepts the other key, and an engine
/// that signs with the other key, on the same clock.
fn rotated() -> (Fixture, Fixture) {
    let clock = Arc::new(FixedClock::new(NOW));
    let current = fixture_with(
        builder(&clock).previous_public_key_pem(OTHER_PUBLIC_KEY),
        clock.clone(),
    );
    let old = fixture_with(builder(&clock).private_key_pem(OTHER_KEY), clock);
    (current, old)
}

#[test]
fn previous_public_key_verifies_tokens_of_the_rotated_key_by_kid() {
    let (current, old) = rotated();
    let token = login(&old);
    assert_eq!(part(&token, 0), engine_header(OTHER_PUBLIC_KEY));
    let claims = current.engine.verify(&token).expect("verify");
    assert_eq!(claims.sub, AGENT_SUB);
    assert_eq!(claims.exp, EXP);
    let impersonation = impersonate(&old, &token, "DE--5");
    assert_eq!(
        current.engine.verify(&impersonation).expect("verify").sub,
        DE5_SUB
    );
}

#[test]
fn previous_public_key_verifies_tokens_of_the_rotated_key_without_kid() {
    let (current, old) = rotated();
    let token = login(&old);
    let unkeyed = sign(SPRYKER_HEADER, &part(&token, 1), OTHER_KEY);
    let claims = current.engine.verify(&unkeyed).expect("verify");
    assert_eq!(claims.sub, AGENT_SUB);
    assert_eq!(claims.jti, jti_of(&token));
}

#[test]
fn current_key_still_verifies_its_own_tokens_after_rotation_setup() {
    let (current, _) = rotated();
    let token = login(&current);
    assert_eq!(part(&token, 0), engine_header(TEST_PUBLIC_KEY));
    assert_eq!(
        current.engine.verify(&token).expect("verify").sub,
        AGENT_SUB
    );
    let unkeyed = sign(SPRYKER_HEADER, &part(&token, 1), TEST_KEY);
    assert_eq!(
        current.engine.verify(&unkeyed).expect("verify").sub,
        AGENT_SUB
    );
}

#[test]
fn token_of_the_rotated_key_is_refused_without_the_previous_key() {
    let (_, old) = rotated();
    let plain = fixture_with(builder(&old.clock), old.clock.clone());
    let token = login(&old);
    assert!(matches!(
        plain.engine.verify(&token),
        Err(Error::InvalidAccessToken)
    ));
    assert_eq!(reason(&token, NOW), Some(Rejection::Signature));
}

#[test]
fn token_of_the_previous_key_carrying_the_current_kid_is_refused() {
    let (current, old) = rotated();
    let token = login(&old);
    let mislabelled = sign(&engine_header(TEST_PUBLIC_KEY), &part(&token, 1), OTHER_KEY);
    assert!(matches!(
        current.engine.verify(&mislabelled),
        Err(Error::InvalidAccessToken)
    ));
}

#[test]
fn previous_public_key_in_pkcs1_rsa_public_key_pem_verifies() {
    let pkcs1_public = der_pem("RSA PUBLIC KEY", &rsa_public_key_der(OTHER_PUBLIC_KEY));
    let clock = Arc::new(FixedClock::new(NOW));
    let current = fixture_with(
        builder(&clock).previous_public_key_pem(pkcs1_public),
        clock.clone(),
    );
    let old = fixture_with(builder(&clock).private_key_pem(OTHER_KEY), clock);
    let token = login(&old);
    assert_eq!(
        current.engine.verify(&token).expect("verify").sub,
        AGENT_SUB
    );
    assert_eq!(
        current.engine.jwks().keys[1].common.key_id.as_deref(),
        Some(thumbprint(OTHER_PUBLIC_KEY).as_str())
    );
}

#[test]
fn verifying_key_from_private_key_pem_keeps_its_public_half() {
    // VerifyingKey::from_pem documents: "or a PEM private key, of which only
    // the public half is kept".
    for pem in [OTHER_KEY, TEST_KEY] {
        let key = VerifyingKey::from_pem(pem.as_bytes()).expect("private key PEM");
        let public = if pem == OTHER_KEY {
            OTHER_PUBLIC_KEY
        } else {
            TEST_PUBLIC_KEY
        };
        assert_eq!(key.kid(), thumbprint(public));
    }
}

#[test]
fn jwks_lists_current_then_previous_key_with_kid_use_alg_kty_n_e() {
    let (current, _) = rotated();
    let jwks = serde_json::to_value(current.engine.jwks()).expect("JWKS JSON");
    let entry = |pem: &str| {
        let (n, e) = rsa_components(pem);
        json!({
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": thumbprint(pem),
            "n": b64(&n),
            "e": b64(&e),
        })
    };
    assert_eq!(
        jwks,
        json!({"keys": [entry(TEST_PUBLIC_KEY), entry(OTHER_PUBLIC_KEY)]})
    );
    // Document order: current first.
    assert_eq!(jwks["keys"][0]["kid"], json!(current.engine.kid()));
    assert_eq!(jwks["keys"][0]["e"], json!("AQAB"));
    // 2048-bit moduli: 256 bytes, 342 base64url characters.
    assert_eq!(jwks["keys"][0]["n"].as_str().expect("n").len(), 342);
    assert_eq!(jwks["keys"][1]["n"].as_str().expect("n").len(), 342);
}

#[test]
fn jwks_of_an_engine_without_previous_keys_has_one_key() {
    let f = fixture();
    let jwks = f.engine.jwks();
    assert_eq!(jwks.keys.len(), 1);
    assert_eq!(
        jwks.keys[0].common.key_id.as_deref(),
        Some(thumbprint(TEST_PUBLIC_KEY).as_str())
    );
}

#[test]
fn previous_key_equal_to_the_current_key_is_listed_once() {
    let clock = Arc::new(FixedClock::new(NOW));
    let engine = builder(&clock)
        .previous_public_key_pem(TEST_PUBLIC_KEY)
        .build()
        .expect("engine");
    assert_eq!(engine.jwks().keys.len(), 1);
}

#[test]
fn public_key_pem_equals_the_committed_public_key() {
    let f = fixture();
    let pem = f.engine.public_key_pem();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"), "{pem}");
    assert_eq!(pem_der(&pem), pem_der(TEST_PUBLIC_KEY));
    let other = engine_with_key(OTHER_KEY).expect("engine");
    assert_eq!(pem_der(&other.public_key_pem()), pem_der(OTHER_PUBLIC_KEY));
}

// ---------------------------------------------------------------------------
// 6. Cross-check with jsonwebtoken
// ---------------------------------------------------------------------------

#[derive(Debug, Deserialize, PartialEq)]
struct JwtAct {
    sub: String,
}

#[derive(Debug, Deserialize, PartialEq)]
struct JwtClaims {
    aud: String,
    jti: String,
    iat: i64,
    nbf: i64,
    exp: i64,
    sub: String,
    scopes: Vec<String>,
    act: Option<JwtAct>,
}

/// Decodes with jsonwebtoken. Its clock is the system's, so `exp` is checked
/// here against the fixed clock instead.
fn jsonwebtoken_decode(
    token: &str,
) -> jsonwebtoken::errors::Result<jsonwebtoken::TokenData<JwtClaims>> {
    let mut validation = jsonwebtoken::Validation::new(Algorithm::RS256);
    validation.set_audience(&["frontend"]);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    let key = DecodingKey::from_rsa_pem(TEST_PUBLIC_KEY.as_bytes()).expect("public key");
    jsonwebtoken::decode::<JwtClaims>(token, &key, &validation)
}

fn assert_same_claims(f: &Fixture, token: &str) {
    let decoded = jsonwebtoken_decode(token).expect("jsonwebtoken accepts the token");
    let ours = f.engine.verify(token).expect("engine accepts the token");
    assert_eq!(decoded.header.alg, Algorithm::RS256);
    assert_eq!(decoded.header.typ.as_deref(), Some("JWT"));
    assert_eq!(decoded.header.kid.as_deref(), Some(f.engine.kid()));
    let theirs = decoded.claims;
    assert_eq!(
        theirs,
        JwtClaims {
            aud: ours.aud,
            jti: ours.jti,
            iat: ours.iat,
            nbf: ours.nbf,
            exp: ours.exp,
            sub: ours.sub,
            scopes: ours.scopes,
            act: ours.act.map(|a| JwtAct { sub: a.sub }),
        }
    );
    assert!(theirs.exp > f.engine.now());
}

#[test]
fn jsonwebtoken_decode_accepts_agent_token_with_the_same_claims() {
    let f = fixture();
    let token = login(&f);
    assert_same_claims(&f, &token);
    let decoded = jsonwebtoken_decode(&token).expect("decode").claims;
    assert_eq!((decoded.iat, decoded.exp), (NOW, EXP));
    assert_eq!(decoded.sub, AGENT_SUB);
    assert_eq!(decoded.act, None);
}

#[test]
fn jsonwebtoken_decode_accepts_impersonation_token_with_the_same_claims() {
    let f = fixture();
    let agent = login(&f);
    let token = impersonate(&f, &agent, "DE--5");
    assert_same_claims(&f, &token);
    let decoded = jsonwebtoken_decode(&token).expect("decode").claims;
    assert_eq!(decoded.sub, DE5_SUB);
    assert_eq!(
        decoded.act,
        Some(JwtAct {
            sub: AGENT_SUB.to_owned()
        })
    );
}

#[test]
fn jsonwebtoken_decode_refuses_engine_token_with_a_flipped_signature_byte() {
    // The independent implementation agrees with the engine on a forgery.
    let f = fixture();
    let forged = flip_signature_byte(&login(&f), 7);
    assert!(jsonwebtoken_decode(&forged).is_err());
    assert!(matches!(
        f.engine.verify(&forged),
        Err(Error::InvalidAccessToken)
    ));
}
