//! The C ABI's string entry points, called through their `extern "C"`
//! functions with arbitrary NUL-terminated byte strings.
//!
//! Input: byte 0 picks the entry point, byte 1 is a parameter byte (ids,
//! statuses, paging, header count), and the rest, split at NUL bytes, gives
//! the string arguments in order; a missing argument is passed as NULL. In an
//! argument, `@A`, `@R`, `@I`, `@J` become the harness's live agent
//! access/refresh or impersonation access/refresh token, `@C` a working
//! engine configuration and `@P` the demo agent's password (`Bearer @A`
//! works too), so the successful paths are reached as well as the refusals.
//!
//! One engine handle serves every call (built once, on the fixed clock);
//! `ao_engine_new` is fuzzed on its own, and only configurations that touch
//! no file are built. Everything the API hands out is freed, so the leak
//! checker stays quiet.
//!
//! Checked: no call returns `AO_RESULT_PANIC` (the panic boundary caught a
//! bug); accessors of successful results give valid strings; the last-error
//! message never contains the password, a harness token or a password hash
//! unless an argument of that call carried it.
#![no_main]

use std::ffi::{CStr, CString, c_char};
use std::ptr;
use std::sync::{Mutex, OnceLock};

use agent_oauth::*;
use agent_oauth_core::Config;
use agent_oauth_core::directory::Customer;
use fuzz_fixture::{CHEAP, PASSWORD, Sessions, TEST_KEY, contains};
use libfuzzer_sys::fuzz_target;

struct Fixture {
    /// The handle, as an address: raw pointers are not `Sync`.
    engine: usize,
    sessions: Mutex<Sessions>,
    config_json: String,
}

impl Fixture {
    fn engine(&self) -> *const ao_engine {
        self.engine as *const ao_engine
    }
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let core = fuzz_fixture::demo_engine();
        let sessions = Mutex::new(Sessions::issue(&core));
        let config_json = serde_json::json!({
            "database_path": ":memory:",
            "private_key_pem": TEST_KEY,
            "argon2": CHEAP,
        })
        .to_string();
        Fixture {
            engine: ao_engine::from_core(core) as usize,
            sessions,
            config_json,
        }
    })
}

/// The string arguments of one call, kept alive for its duration.
struct Args {
    strings: Vec<Option<CString>>,
}

impl Args {
    fn new(data: &[u8], f: &Fixture, sessions: &Sessions) -> Args {
        let strings = if data.is_empty() {
            Vec::new()
        } else {
            data.split(|&b| b == 0)
                .map(|piece| {
                    let mut text = piece.to_vec();
                    if memchr::memchr(b'@', piece).is_none() {
                        return Some(CString::new(text).expect("no NUL inside a piece"));
                    }
                    for (marker, value) in [
                        (&b"@A"[..], sessions.agent.access_token.as_bytes()),
                        (b"@R", sessions.agent.refresh_token.as_bytes()),
                        (b"@I", sessions.impersonation.access_token.as_bytes()),
                        (b"@J", sessions.impersonation.refresh_token.as_bytes()),
                        (b"@C", f.config_json.as_bytes()),
                        (b"@P", PASSWORD.as_bytes()),
                    ] {
                        if contains(&text, marker) {
                            text = replace(&text, marker, value);
                        }
                    }
                    Some(CString::new(text).expect("no NUL inside a piece"))
                })
                .collect()
        };
        Args { strings }
    }

    /// Argument `i`, NULL when the input has fewer.
    fn ptr(&self, i: usize) -> *const c_char {
        match self.strings.get(i) {
            Some(Some(s)) => s.as_ptr(),
            _ => ptr::null(),
        }
    }

    fn bytes(&self, i: usize) -> &[u8] {
        match self.strings.get(i) {
            Some(Some(s)) => s.as_bytes(),
            _ => &[],
        }
    }

    fn any_contains(&self, needle: &[u8]) -> bool {
        self.strings
            .iter()
            .flatten()
            .any(|s| contains(s.as_bytes(), needle))
    }
}

/// `haystack` with every `marker` replaced by `value`.
fn replace(haystack: &[u8], marker: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len() + value.len());
    let mut rest = haystack;
    while let Some(i) = memchr::memmem::find(rest, marker) {
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(value);
        rest = &rest[i + marker.len()..];
    }
    out.extend_from_slice(rest);
    out
}

/// Reads a library string that must be valid while its owner lives.
fn read(p: *const c_char) -> Option<&'static [u8]> {
    // SAFETY: the library returns NULL or a NUL-terminated string.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_bytes())
}

/// Takes and frees a string the library handed out.
fn take(p: *mut c_char) -> Vec<u8> {
    assert!(
        !p.is_null(),
        "an OK call left its string out-parameter NULL"
    );
    // SAFETY: a NUL-terminated string from the library, freed right after.
    let bytes = unsafe { CStr::from_ptr(p) }.to_bytes().to_vec();
    unsafe { ao_string_free(p) };
    bytes
}

fn check_result(r: ao_result, args: &Args, sessions: &Sessions) {
    assert_ne!(r, ao_result::Panic, "panic caught: {:?}", last_error_text());
    if r == ao_result::Ok {
        return;
    }
    let message = read(ao_last_error()).expect("a failure leaves a message");
    let secrets: [&[u8]; 6] = [
        PASSWORD.as_bytes(),
        sessions.agent.access_token.as_bytes(),
        sessions.agent.refresh_token.as_bytes(),
        sessions.impersonation.refresh_token.as_bytes(),
        b"$argon2",
        b"PRIVATE KEY",
    ];
    for secret in secrets {
        if message.len() >= secret.len() && contains(message, secret) {
            assert!(
                args.any_contains(secret),
                "the last error reveals a secret: {}",
                String::from_utf8_lossy(message)
            );
        }
    }
}

fn last_error_text() -> String {
    read(ao_last_error())
        .map(|m| String::from_utf8_lossy(m).into_owned())
        .unwrap_or_default()
}

/// Every accessor of verified claims, then free.
unsafe fn exercise_claims(claims: *mut ao_claims, scope: *const c_char) {
    unsafe {
        let mut kind = ao_token_kind::Customer;
        assert_eq!(ao_claims_kind(claims, &mut kind), ao_result::Ok);
        for s in [
            ao_claims_aud(claims),
            ao_claims_jti(claims),
            ao_claims_sub(claims),
        ] {
            read(s).expect("claims strings are set");
        }
        let _ = (
            ao_claims_iat(claims),
            ao_claims_nbf(claims),
            ao_claims_exp(claims),
        );
        for i in 0..=ao_claims_scope_count(claims) {
            let _ = read(ao_claims_scope(claims, i));
        }
        let _ = ao_claims_has_scope(claims, scope);
        let mut id = 0i64;
        for r in [
            ao_claims_agent_id(claims, &mut id),
            ao_claims_customer_id(claims, &mut id),
            ao_claims_act_agent_id(claims, &mut id),
        ] {
            assert_ne!(r, ao_result::Panic);
        }
        let _ = read(ao_claims_customer_reference(claims));
        let _ = read(ao_claims_company_user_id(claims));
        let _ = read(ao_claims_act_sub(claims));
        let mut json = ptr::null_mut();
        assert_eq!(ao_claims_to_json(claims, &mut json), ao_result::Ok);
        let json = take(json);
        serde_json::from_slice::<serde_json::Value>(&json).expect("claims JSON parses");
        ao_claims_free(claims);
    }
}

/// Every accessor of a token pair, then free.
unsafe fn exercise_token_response(t: *mut ao_token_response) {
    unsafe {
        read(ao_token_response_access_token(t)).expect("access token");
        read(ao_token_response_refresh_token(t)).expect("refresh token");
        read(ao_token_response_token_type(t)).expect("token type");
        assert!(ao_token_response_expires_in(t) > 0);
        ao_token_response_free(t);
    }
}

/// True when `json` is a configuration `ao_engine_new` may build without
/// touching a file (a failure to parse, or `:memory:` with no paths) and
/// without a known, reported crash.
fn config_is_safe(json: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(json) else {
        return true;
    };
    match Config::from_json(text) {
        Err(_) => true,
        Ok(c) => {
            c.database_url() == ":memory:"
                && c.private_key_path.is_none()
                && c.previous_public_key_paths.is_empty()
        }
    }
}

/// True when an upsert may run: it cannot replace a demo customer, and the
/// ids it can add are bounded (100..=163), so the database stays small.
fn upsert_is_bounded(json: &[u8]) -> bool {
    match serde_json::from_slice::<Customer>(json) {
        Ok(c) => {
            (100..=163).contains(&c.id_customer)
                && !fuzz_fixture::customers()
                    .iter()
                    .any(|d| d.customer_reference == c.customer_reference)
        }
        Err(_) => true,
    }
}

fuzz_target!(|data: &[u8]| {
    let &[op, param, ref rest @ ..] = data else {
        return;
    };
    let f = fixture();
    let engine = f.engine();
    let sessions = f.sessions.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let args = Args::new(rest, f, &sessions);
    let a = |i| args.ptr(i);
    let mut sessions_may_have_ended = false;

    // SAFETY: every pointer is NULL or a live NUL-terminated string or handle.
    let r = unsafe {
        match op % 20 {
            0 => {
                if !config_is_safe(args.bytes(0)) {
                    return;
                }
                let mut out = ptr::null_mut();
                let r = ao_engine_new(a(0), ptr::null(), &mut out);
                if r == ao_result::Ok {
                    ao_engine_free(out);
                }
                r
            }
            op @ (1 | 2) => {
                let mut claims = ptr::null_mut();
                let r = match op {
                    1 => ao_engine_verify(engine, a(0), &mut claims),
                    _ => ao_engine_verify_strict(engine, a(0), &mut claims),
                };
                if r == ao_result::Ok {
                    exercise_claims(claims, a(1));
                }
                r
            }
            3 => {
                let mut t = ptr::null_mut();
                let r = ao_engine_agent_login(engine, a(0), a(1), a(2), &mut t);
                if r == ao_result::Ok {
                    exercise_token_response(t);
                }
                r
            }
            4 => {
                let mut t = ptr::null_mut();
                let r = ao_engine_impersonate(engine, a(0), a(1), a(2), a(3), &mut t);
                if r == ao_result::Ok {
                    exercise_token_response(t);
                }
                r
            }
            5 => {
                let mut t = ptr::null_mut();
                let r = ao_engine_refresh(engine, a(0), a(1), &mut t);
                if r == ao_result::Ok {
                    exercise_token_response(t);
                    sessions_may_have_ended = true;
                }
                r
            }
            6 => {
                // method, path, query, client_ip, then `param % 4` header
                // name/value pairs, then the body (its bytes up to the end).
                let count = usize::from(param % 4);
                let names: Vec<*const c_char> = (0..count).map(|i| a(4 + 2 * i)).collect();
                let values: Vec<*const c_char> = (0..count).map(|i| a(5 + 2 * i)).collect();
                let body = args.bytes(4 + 2 * count);
                let mut response = ptr::null_mut();
                let r = ao_engine_handle_glue(
                    engine,
                    a(0),
                    a(1),
                    a(2),
                    if count == 0 {
                        ptr::null()
                    } else {
                        names.as_ptr()
                    },
                    if count == 0 {
                        ptr::null()
                    } else {
                        values.as_ptr()
                    },
                    count,
                    body.as_ptr(),
                    body.len(),
                    a(3),
                    &mut response,
                );
                if r == ao_result::Ok {
                    let status = ao_glue_response_status(response);
                    assert!((200..600).contains(&status));
                    for i in 0..=ao_glue_response_header_count(response) {
                        let _ = read(ao_glue_response_header_name(response, i));
                        let _ = read(ao_glue_response_header_value(response, i));
                    }
                    let _ = read(ao_glue_response_header(response, a(5 + 2 * count)));
                    let mut len = 0usize;
                    let body = ao_glue_response_body(response, &mut len);
                    assert!(!body.is_null());
                    assert_eq!(*body.add(len), 0, "the body is NUL-terminated");
                    ao_glue_response_free(response);
                    sessions_may_have_ended = matches!(status, 201 | 204);
                }
                r
            }
            7 => {
                let mut json = ptr::null_mut();
                let r = ao_engine_find_customer(engine, a(0), &mut json);
                if r == ao_result::Ok {
                    take(json);
                }
                r
            }
            8 => {
                let (offset, limit) = match param % 4 {
                    0 => (0, 0),
                    1 => (u64::from(param), u64::from(param >> 2)),
                    2 => (u64::MAX - u64::from(param), 100),
                    _ => (1 << 32, u64::MAX),
                };
                let mut json = ptr::null_mut();
                let r = ao_engine_search_customers(engine, a(0), offset, limit, &mut json);
                if r == ao_result::Ok {
                    serde_json::from_slice::<serde_json::Value>(&take(json)).expect("JSON");
                }
                r
            }
            9 => {
                let mut json = ptr::null_mut();
                let r = ao_engine_introspect(engine, a(0), a(1), &mut json);
                if r == ao_result::Ok {
                    serde_json::from_slice::<serde_json::Value>(&take(json)).expect("JSON");
                }
                r
            }
            10 => {
                let mut revoked = 0usize;
                let r = ao_engine_revoke(engine, a(0), a(1), a(2), &mut revoked);
                sessions_may_have_ended = revoked > 0;
                r
            }
            11 => {
                let mut revoked = 0usize;
                let r = ao_engine_revoke_mine(engine, a(0), a(1), &mut revoked);
                sessions_may_have_ended = revoked > 0;
                r
            }
            12 => {
                let mut revoked = 0usize;
                let r = ao_engine_revoke_customer(engine, a(0), &mut revoked);
                sessions_may_have_ended = revoked > 0;
                r
            }
            13 => {
                let mut json = ptr::null_mut();
                let r = ao_grant_type_scopes(a(0), &mut json);
                if r == ao_result::Ok {
                    take(json);
                }
                r
            }
            14 => {
                let mut json = ptr::null_mut();
                let r = ao_engine_audit_query(engine, a(0), &mut json);
                if r == ao_result::Ok {
                    serde_json::from_slice::<serde_json::Value>(&take(json)).expect("JSON");
                }
                r
            }
            15 => {
                if !upsert_is_bounded(args.bytes(0)) {
                    return;
                }
                ao_engine_upsert_customer(engine, a(0))
            }
            16 => {
                // Fuzzed agents get ids 100..=115, so the harness's agent stays.
                let id = 100 + i64::from(param % 16);
                let mut out = 0i64;
                ao_engine_add_agent_with_id(
                    engine,
                    id,
                    a(0),
                    a(1),
                    u32::from(param >> 4) % 4,
                    &mut out,
                )
            }
            17 => ao_engine_set_agent_password(engine, 100 + i64::from(param % 16), a(0)),
            18 => {
                let client = if param % 2 == 0 {
                    c"backoffice"
                } else {
                    c"reports"
                };
                ao_engine_set_client_secret(engine, client.as_ptr(), a(0), a(1))
            }
            _ => {
                let code = u32::from_le_bytes([param.wrapping_sub(1), op, 0, 0]) % 128;
                let _ = read(ao_result_glue_code(code));
                let _ = ao_result_http_status(code);
                read(ao_result_name(code)).expect("every number has a name");
                read(ao_version()).expect("version");
                let mut json = ptr::null_mut();
                assert_eq!(ao_grant_type_configurations(&mut json), ao_result::Ok);
                take(json);
                let _ = read(ao_engine_last_error(engine));
                ao_result::Ok
            }
        }
    };
    check_result(r, &args, &sessions);

    // A refresh spends a harness token, a revocation may end its sessions:
    // start new ones so later inputs still reach the authenticated paths.
    if sessions_may_have_ended {
        let mut held = f.sessions.lock().unwrap_or_else(|e| e.into_inner());
        *held = Sessions::issue(f.engine_core());
    }
});

impl Fixture {
    fn engine_core(&self) -> &agent_oauth_core::Engine {
        // SAFETY: the handle lives for the whole process.
        unsafe { &*self.engine() }.core()
    }
}
