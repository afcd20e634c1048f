//! Helpers for calling the C ABI from Rust tests: C strings in and out, an
//! engine on `:memory:` with the committed test-only key and cheap argon2 (D24).
#![allow(dead_code)]

use std::ffi::{CStr, CString, c_char};
use std::ptr;

use agent_oauth::*;

pub const KEY_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../core/tests/keys/test-only-private-key.pem"
);
pub const AGENT: &str = "admin@spryker.com";
pub const PASSWORD: &str = "change123";
pub const IP: &str = "203.0.113.7";

/// A configuration with the test key, `:memory:` and cheap argon2, plus `extra` keys.
pub fn config(extra: &str) -> String {
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(",{extra}")
    };
    format!(
        r#"{{"private_key_path":{KEY_PATH:?},"database_path":":memory:","argon2":{{"memory_kib":256,"iterations":1,"parallelism":1}}{extra}}}"#
    )
}

pub fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

/// Takes ownership of a string the library returned.
pub fn take(s: *mut c_char) -> String {
    assert!(!s.is_null());
    let owned = unsafe { CStr::from_ptr(s) }.to_str().unwrap().to_owned();
    unsafe { ao_string_free(s) };
    owned
}

/// Reads a borrowed string (NULL as `None`).
pub fn borrowed(s: *const c_char) -> Option<String> {
    (!s.is_null()).then(|| unsafe { CStr::from_ptr(s) }.to_str().unwrap().to_owned())
}

/// The calling thread's last error message.
pub fn last_error() -> String {
    borrowed(ao_last_error()).unwrap_or_default()
}

/// An engine from `config(extra)` with `host`, panicking on failure.
pub fn engine_with(extra: &str, host: Option<&ao_host_directory>) -> *mut ao_engine {
    let json = c(&config(extra));
    let mut engine = ptr::null_mut();
    let host = host.map_or(ptr::null(), |h| h as *const _);
    let rc = unsafe { ao_engine_new(json.as_ptr(), host, &mut engine) };
    assert_eq!(rc, ao_result::Ok, "{}", last_error());
    engine
}

/// An engine with scopes, the agent admin@spryker.com (id 1) and customers
/// DE--1 (active), DE--2 (inactive).
pub fn seeded(extra: &str) -> *mut ao_engine {
    let engine = engine_with(extra, None);
    unsafe {
        assert_eq!(
            ao_engine_install_scopes(engine, ptr::null_mut()),
            ao_result::Ok
        );
        let mut id = 0;
        let rc = ao_engine_add_agent(
            engine,
            c(AGENT).as_ptr(),
            c(PASSWORD).as_ptr(),
            AO_AGENT_STATUS_ACTIVE,
            &mut id,
        );
        assert_eq!(rc, ao_result::Ok, "{}", last_error());
        assert_eq!(id, 1);
        for (id, active) in [(1, true), (2, false)] {
            let json = c(&customer_json(id, active));
            assert_eq!(
                ao_engine_upsert_customer(engine, json.as_ptr()),
                ao_result::Ok
            );
        }
    }
    engine
}

pub fn customer_json(id: i64, active: bool) -> String {
    format!(
        r#"{{"id_customer":{id},"customer_reference":"DE--{id}","email":"customer{id}@example.com","first_name":"First{id}","last_name":"Last{id}","id_company_user":null,"permissions":null,"is_active":{active},"impersonation_allowed":true}}"#
    )
}

/// A token pair as owned strings.
pub struct Tokens {
    pub access: String,
    pub refresh: String,
    pub expires_in: i64,
}

pub fn tokens(response: *mut ao_token_response) -> Tokens {
    unsafe {
        let t = Tokens {
            access: borrowed(ao_token_response_access_token(response)).unwrap(),
            refresh: borrowed(ao_token_response_refresh_token(response)).unwrap(),
            expires_in: ao_token_response_expires_in(response),
        };
        assert_eq!(
            borrowed(ao_token_response_token_type(response)).as_deref(),
            Some("Bearer")
        );
        ao_token_response_free(response);
        t
    }
}

pub fn login(engine: *const ao_engine) -> Tokens {
    let mut out = ptr::null_mut();
    let rc = unsafe {
        ao_engine_agent_login(
            engine,
            c(AGENT).as_ptr(),
            c(PASSWORD).as_ptr(),
            c(IP).as_ptr(),
            &mut out,
        )
    };
    assert_eq!(rc, ao_result::Ok, "{}", last_error());
    tokens(out)
}

pub fn impersonate(engine: *const ao_engine, agent_token: &str, reference: &str) -> Tokens {
    let mut out = ptr::null_mut();
    let rc = unsafe {
        ao_engine_impersonate(
            engine,
            c(agent_token).as_ptr(),
            c(reference).as_ptr(),
            c("ticket 42").as_ptr(),
            c(IP).as_ptr(),
            &mut out,
        )
    };
    assert_eq!(rc, ao_result::Ok, "{}", last_error());
    tokens(out)
}

/// A sentinel pointer that a failing call must leave untouched.
pub fn sentinel<T>() -> *mut T {
    std::ptr::NonNull::<T>::dangling().as_ptr()
}
