//! Token decoding and verification.
//!
//! Input: either the token itself (any bytes; non-UTF-8 is read lossily), or
//! `\x01` / `\x02` followed by `header JSON \0 payload JSON`, which the harness
//! signs with the current / the previous test key, so the claim checks
//! behind the signature are reached too.
//!
//! Checked: nothing panics; `token::verify` and `Engine::verify` agree on
//! accepted tokens; `verify_strict` never accepts what `token::verify`
//! refuses, and returns the same claims; the claim accessors and the JSON encoding of `sub` work on
//! whatever was accepted.
#![no_main]

use std::borrow::Cow;
use std::sync::OnceLock;

use agent_oauth_core::token::{self, Subject, Validation, VerifyingKey};
use agent_oauth_core::{Engine, bearer_token};
use fuzz_fixture::{NOW, OTHER_KEY, OTHER_PUBLIC_KEY, Sessions, Signer, TEST_KEY, TEST_PUBLIC_KEY};
use libfuzzer_sys::fuzz_target;

struct Fixture {
    engine: Engine,
    current: VerifyingKey,
    previous: Vec<VerifyingKey>,
    validation: Validation,
    signers: [Signer; 2],
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let engine = fuzz_fixture::demo_engine();
        // Live sessions, so the strict check finds rows for the seeds' `jti`s.
        Sessions::issue(&engine);
        Fixture {
            engine,
            current: VerifyingKey::from_pem(TEST_PUBLIC_KEY.as_bytes()).expect("public key"),
            previous: vec![VerifyingKey::from_pem(OTHER_PUBLIC_KEY.as_bytes()).expect("key")],
            validation: Validation {
                audience: "frontend".into(),
                leeway: 0,
            },
            signers: [Signer::from_pem(TEST_KEY), Signer::from_pem(OTHER_KEY)],
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let token: Cow<'_, str> = match data.split_first() {
        Some((&mode @ (1 | 2), rest)) => {
            let (header, payload) = match rest.iter().position(|&b| b == 0) {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, &[][..]),
            };
            Cow::Owned(f.signers[usize::from(mode - 1)].token(header, payload))
        }
        _ => String::from_utf8_lossy(data),
    };
    let token = token.as_ref();

    // Each call below checks the RSA signature again, the cost of this
    // target; `Engine::verify` runs on its own only where it matters (an
    // accepted token), as `verify_strict` runs it first anyway.
    let direct = token::verify(&f.current, &f.previous, &f.validation, token, NOW);
    let strict = f.engine.verify_strict(token);
    let plain = match &direct {
        Ok(_) => f.engine.verify(token),
        Err(_) => {
            assert!(
                strict.is_err(),
                "verify_strict accepted what token::verify refused"
            );
            Err(agent_oauth_core::Error::InvalidAccessToken)
        }
    };
    match (&direct, &plain) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "token::verify and Engine::verify disagree"),
        (Err(_), Err(_)) => {}
        _ => panic!("token::verify {direct:?} but Engine::verify {plain:?}"),
    }
    if let Ok(claims) = &strict {
        assert_eq!(
            plain.as_ref().ok(),
            Some(claims),
            "verify_strict changed the claims"
        );
    }
    if let Ok(claims) = &plain {
        assert!(token.len() <= token::MAX_TOKEN_LEN);
        assert_eq!(claims.aud, "frontend");
        let _ = claims.kind();
        let _ = claims.agent_id();
        let _ = claims.has_scope("agent");
        if let Some(act) = &claims.act {
            let _ = act.agent_id();
        }
        // `sub` as the engine would write it again.
        let _ = claims.subject.to_php_json();
        assert!(claims.exp >= NOW, "accepted an expired token");
        assert!(claims.nbf <= claims.exp);
    }

    // The same bytes as a header value and as a `sub` string.
    if let Some(inner) = bearer_token(token) {
        assert!(token.contains(inner));
        assert_eq!(inner, inner.trim());
    }
    let subject = Subject::parse(token);
    let _ = subject.agent_id();
    let _ = subject.to_php_json();
});
