//! The shop's key as Spryker holds it (issue 13, D31): a path, a `file://`
//! path, PEM contents under the "path" key (Spryker's
//! `OauthConstants::PRIVATE_KEY_PATH`) and PEM contents with the docker
//! SDK's `__LINE__` for newlines, for the private key and the previous
//! public keys. Each engine signs tokens the committed public key verifies,
//! and the contents never show in the kept configuration or its debug form.

mod common;

use agent_oauth_core::{Config, Engine, Error};
use common::{CHEAP, TEST_KEY, TEST_PUBLIC_KEY};

const KEY_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/keys/test-only-private-key.pem"
);

fn engine(tune: impl FnOnce(&mut Config)) -> Result<Engine, Error> {
    let mut config = Config {
        database_path: ":memory:".into(),
        argon2: CHEAP,
        ..Config::default()
    };
    tune(&mut config);
    Engine::builder().config(config).build()
}

fn assert_signs_with_the_test_key(engine: &Engine) {
    // The pem crate writes CRLF line ends.
    assert_eq!(
        engine.public_key_pem().replace("\r\n", "\n").trim(),
        TEST_PUBLIC_KEY.trim()
    );
}

/// A change to a configuration.
type Tune = Box<dyn Fn(&mut Config)>;

fn line_encoded(pem: &str) -> String {
    pem.trim_end().replace('\n', "__LINE__")
}

#[test]
fn every_form_spryker_uses_loads_the_same_key() {
    let forms: [(&str, Tune); 5] = [
        (
            "path",
            Box::new(|c| c.private_key_path = Some(KEY_PATH.into())),
        ),
        (
            "file:// path",
            Box::new(|c| c.private_key_path = Some(format!("file://{KEY_PATH}"))),
        ),
        (
            "contents under the path key",
            Box::new(|c| c.private_key_path = Some(TEST_KEY.into())),
        ),
        (
            "__LINE__ contents under the path key",
            Box::new(|c| c.private_key_path = Some(line_encoded(TEST_KEY))),
        ),
        (
            "__LINE__ contents as private_key_pem",
            Box::new(|c| c.private_key_pem = Some(line_encoded(TEST_KEY))),
        ),
    ];
    for (name, form) in forms {
        let engine = engine(|c| form(c)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_signs_with_the_test_key(&engine);
        let kept = serde_json::to_string(engine.config()).unwrap();
        let shown = format!("{:?}", engine.config());
        for text in [&kept, &shown] {
            assert!(!text.contains("PRIVATE KEY"), "{name}: {text}");
            assert!(!text.contains("MII"), "{name}: {text}");
        }
    }
}

#[test]
fn key_contents_are_never_serialized_or_shown_before_the_engine_drops_them() {
    let config = Config {
        private_key_path: Some(line_encoded(TEST_KEY)),
        ..Config::default()
    };
    let json = serde_json::to_string(&config).unwrap();
    assert!(
        json.contains(r#""private_key_path":"[key contents]""#),
        "{json}"
    );
    assert!(!format!("{config:?}").contains("__LINE__"));
    // Two different keys still make two fingerprints.
    let other = Config {
        private_key_path: Some(common::OTHER_KEY.into()),
        ..Config::default()
    };
    assert_ne!(config.fingerprint(), other.fingerprint());
}

#[test]
fn previous_public_keys_take_the_same_forms() {
    let public_path = KEY_PATH.replace("private", "public");
    let engine = engine(|c| {
        c.private_key_pem = Some(common::OTHER_KEY.into());
        c.previous_public_keys_pem = vec![line_encoded(TEST_PUBLIC_KEY)];
        c.previous_public_key_paths = vec![format!("file://{public_path}"), TEST_PUBLIC_KEY.into()];
    })
    .expect("engine");
    assert_eq!(
        engine.jwks().keys.len(),
        4,
        "the current key and three previous"
    );
}

#[test]
fn an_unreadable_value_is_a_configuration_error_that_never_echoes_key_material() {
    let missing = engine(|c| c.private_key_path = Some("/nonexistent/oauth.key".into()))
        .unwrap_err()
        .to_string();
    assert!(missing.contains("/nonexistent/oauth.key"), "{missing}");
    // Contents that lost their BEGIN line are not a path either.
    let body = TEST_KEY.lines().nth(1).unwrap().to_owned() + "__LINE__MORE";
    let mangled = engine(|c| c.private_key_path = Some(body.clone()))
        .unwrap_err()
        .to_string();
    assert!(
        mangled.contains("neither PEM contents nor a readable path"),
        "{mangled}"
    );
    assert!(!mangled.contains(&body[..20]), "{mangled}");
}
