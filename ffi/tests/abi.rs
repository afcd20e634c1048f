//! The exported functions called from Rust through the C ABI: arguments,
//! result codes, out-parameters, last errors and ownership.

mod common;

use std::ffi::{CStr, c_char};
use std::ptr;

use agent_oauth::*;
use common::*;

fn glue_code(rc: ao_result) -> Option<String> {
    borrowed(ao_result_glue_code(rc as u32))
}

#[test]
fn result_codes_carry_the_cores_glue_codes_and_statuses() {
    let table = [
        (ao_result::Ok, None, 200),
        (ao_result::NullArgument, None, 500),
        (ao_result::InvalidUtf8, None, 500),
        (ao_result::InvalidJson, None, 500),
        (ao_result::InvalidArgument, None, 500),
        (ao_result::NotFound, None, 500),
        (ao_result::AuthenticationFailed, Some("4101"), 401),
        (ao_result::TooManyAttempts, Some("4401"), 429),
        (ao_result::InvalidAccessToken, Some("001"), 401),
        (ao_result::InvalidAgentAccessToken, Some("4102"), 401),
        (ao_result::MissingAccessToken, Some("002"), 403),
        (ao_result::AgentOnly, Some("4103"), 401),
        (ao_result::CustomerOnly, Some("4105"), 403),
        (ao_result::ImpersonationFailed, Some("4104"), 401),
        (ao_result::RefreshFailed, Some("004"), 401),
        (ao_result::InvalidRequest, Some("901"), 422),
        (ao_result::Overloaded, None, 503),
        (ao_result::Config, None, 500),
        (ao_result::Storage, None, 500),
        (ao_result::Directory, None, 500),
        (ao_result::Internal, None, 500),
        (ao_result::Panic, None, 500),
    ];
    for (rc, code, status) in table {
        assert_eq!(glue_code(rc).as_deref(), code, "{rc:?}");
        assert_eq!(ao_result_http_status(rc as u32), status, "{rc:?}");
        let name = borrowed(ao_result_name(rc as u32)).unwrap();
        assert!(name.starts_with("AO_RESULT_"), "{name}");
    }
    assert_eq!(borrowed(ao_result_name(0)).as_deref(), Some("AO_RESULT_OK"));
    assert_eq!(
        borrowed(ao_result_name(13)).as_deref(),
        Some("AO_RESULT_INVALID_AGENT_ACCESS_TOKEN")
    );
    // Any number is safe to pass.
    assert_eq!(
        borrowed(ao_result_name(7)).as_deref(),
        Some("AO_RESULT_UNKNOWN")
    );
    assert_eq!(glue_code_raw(12345), None);
    assert_eq!(ao_result_http_status(u32::MAX), 500);
}

fn glue_code_raw(raw: u32) -> Option<String> {
    borrowed(ao_result_glue_code(raw))
}

#[test]
fn version_matches_the_header_constants() {
    let v = borrowed(ao_version()).unwrap();
    assert_eq!(
        v,
        format!("{AO_VERSION_MAJOR}.{AO_VERSION_MINOR}.{AO_VERSION_PATCH}")
    );
    assert_eq!(v, "0.1.0");
}

#[test]
fn engine_new_refuses_null_arguments_and_leaves_out_untouched() {
    let json = c(&config(""));
    let mut out: *mut ao_engine = sentinel();
    unsafe {
        assert_eq!(
            ao_engine_new(ptr::null(), ptr::null(), &mut out),
            ao_result::NullArgument
        );
        assert_eq!(last_error(), "config_json must not be NULL");
        assert_eq!(
            ao_engine_new(json.as_ptr(), ptr::null(), ptr::null_mut()),
            ao_result::NullArgument
        );
        assert_eq!(
            ao_engine_new_from_file(ptr::null(), ptr::null(), &mut out),
            ao_result::NullArgument
        );
    }
    assert_eq!(out, sentinel());
}

#[test]
fn engine_new_with_a_bad_configuration_is_config_error_with_a_message() {
    let mut out: *mut ao_engine = sentinel();
    for (json, needle) in [
        ("not json", "invalid configuration"),
        ("[]", "expected a JSON object"),
        (r#"{"database_path":":memory:"}"#, "no signing key"),
        (
            r#"{"private_key_pem":"x","colour":"red"}"#,
            "unknown field `colour`",
        ),
        (
            r#"{"private_key_pem":"x","access_token_ttl":0}"#,
            "access_token_ttl",
        ),
    ] {
        let rc = unsafe { ao_engine_new(c(json).as_ptr(), ptr::null(), &mut out) };
        assert_eq!(rc, ao_result::Config, "{json}");
        assert!(last_error().contains(needle), "{json}: {}", last_error());
        assert_eq!(glue_code(rc), None);
        assert_eq!(ao_result_http_status(rc as u32), 500);
    }
    let missing = c("/nonexistent/agent-oauth.json");
    assert_eq!(
        unsafe { ao_engine_new_from_file(missing.as_ptr(), ptr::null(), &mut out) },
        ao_result::Config
    );
    assert!(
        last_error().contains("cannot read configuration"),
        "{}",
        last_error()
    );
    assert_eq!(out, sentinel());
}

#[test]
fn engine_new_on_an_unopenable_database_is_storage_error() {
    let json = config("").replace(":memory:", "/nonexistent/dir/agent-oauth.db");
    let mut out: *mut ao_engine = sentinel();
    let rc = unsafe { ao_engine_new(c(&json).as_ptr(), ptr::null(), &mut out) };
    assert_eq!(rc, ao_result::Storage, "{}", last_error());
    assert_eq!(out, sentinel());
}

#[test]
fn engine_from_a_configuration_file_serves_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ao.db");
    let path = dir.path().join("agent-oauth.json");
    let json = config("").replace(":memory:", db.to_str().unwrap());
    std::fs::write(&path, json).unwrap();
    let mut engine = ptr::null_mut();
    let rc = unsafe {
        ao_engine_new_from_file(c(path.to_str().unwrap()).as_ptr(), ptr::null(), &mut engine)
    };
    assert_eq!(rc, ao_result::Ok, "{}", last_error());
    unsafe {
        assert_eq!(
            ao_engine_install_scopes(engine, ptr::null_mut()),
            ao_result::Ok
        );
        let rc = ao_engine_add_agent(
            engine,
            c(AGENT).as_ptr(),
            c(PASSWORD).as_ptr(),
            0,
            ptr::null_mut(),
        );
        assert_eq!(rc, ao_result::Ok);
    }
    let t = login(engine);
    assert!(t.refresh.starts_with("ao1_"));
    unsafe { ao_engine_free(engine) };
    assert!(db.exists());
}

#[test]
fn free_functions_accept_null() {
    unsafe {
        ao_engine_free(ptr::null_mut());
        ao_string_free(ptr::null_mut());
        ao_token_response_free(ptr::null_mut());
        ao_claims_free(ptr::null_mut());
        ao_glue_response_free(ptr::null_mut());
    }
}

#[test]
fn accessors_of_null_handles_return_null_or_zero() {
    unsafe {
        assert!(ao_engine_last_error(ptr::null()).is_null());
        assert!(ao_token_response_access_token(ptr::null()).is_null());
        assert!(ao_token_response_refresh_token(ptr::null()).is_null());
        assert!(ao_token_response_token_type(ptr::null()).is_null());
        assert_eq!(ao_token_response_expires_in(ptr::null()), 0);
        assert!(ao_claims_aud(ptr::null()).is_null());
        assert!(ao_claims_sub(ptr::null()).is_null());
        assert!(ao_claims_act_sub(ptr::null()).is_null());
        assert_eq!(ao_claims_exp(ptr::null()), 0);
        assert_eq!(ao_claims_scope_count(ptr::null()), 0);
        assert!(ao_claims_scope(ptr::null(), 0).is_null());
        assert_eq!(ao_claims_has_scope(ptr::null(), c("agent").as_ptr()), 0);
        let mut id = 77;
        assert_eq!(
            ao_claims_agent_id(ptr::null(), &mut id),
            ao_result::NullArgument
        );
        assert_eq!(id, 77);
        let mut kind = ao_token_kind::Customer;
        assert_eq!(
            ao_claims_kind(ptr::null(), &mut kind),
            ao_result::NullArgument
        );
        assert_eq!(ao_glue_response_status(ptr::null()), 0);
        assert_eq!(ao_glue_response_header_count(ptr::null()), 0);
        assert!(ao_glue_response_header_name(ptr::null(), 0).is_null());
        assert!(ao_glue_response_header(ptr::null(), c("Content-Type").as_ptr()).is_null());
        let mut len = 5;
        assert!(ao_glue_response_body(ptr::null(), &mut len).is_null());
        assert_eq!(len, 5);
    }
}

#[test]
fn every_engine_function_refuses_a_null_engine() {
    let s = c("x");
    let p = s.as_ptr();
    let mut out_str: *mut c_char = sentinel();
    let mut out_token: *mut ao_token_response = sentinel();
    let mut out_claims: *mut ao_claims = sentinel();
    let mut out_glue: *mut ao_glue_response = sentinel();
    let mut n = 9usize;
    let mut id = 9i64;
    let e = ptr::null();
    let results = unsafe {
        [
            ao_engine_agent_login(e, p, p, p, &mut out_token),
            ao_engine_impersonate(e, p, p, p, p, &mut out_token),
            ao_engine_refresh(e, p, p, &mut out_token),
            ao_engine_verify(e, p, &mut out_claims),
            ao_engine_verify_strict(e, p, &mut out_claims),
            ao_engine_revoke(e, p, p, p, &mut n),
            ao_engine_revoke_mine(e, p, p, &mut n),
            ao_engine_revoke_agent(e, 1, &mut n),
            ao_engine_revoke_customer(e, p, &mut n),
            ao_engine_add_agent(e, p, p, 0, &mut id),
            ao_engine_add_agent_with_id(e, 1, p, p, 0, &mut id),
            ao_engine_import_agent(e, 1, p, p, 0, &mut id),
            ao_engine_set_agent_status(e, 1, 0),
            ao_engine_set_agent_password(e, 1, p),
            ao_engine_upsert_customer(e, p),
            ao_engine_find_customer(e, p, &mut out_str),
            ao_engine_search_customers(e, p, 0, 0, &mut out_str),
            ao_engine_install_scopes(e, &mut out_str),
            ao_engine_install_default_client(e),
            ao_engine_set_client_secret(e, p, p, p),
            ao_engine_audit_query(e, p, &mut out_str),
            ao_engine_jwks(e, &mut out_str),
            ao_engine_public_key_pem(e, &mut out_str),
            ao_engine_kid(e, &mut out_str),
            ao_engine_introspect(e, p, p, &mut out_str),
            ao_engine_purge_expired(e, 0, &mut n),
            ao_engine_handle_glue(
                e,
                p,
                p,
                p,
                ptr::null(),
                ptr::null(),
                0,
                ptr::null(),
                0,
                p,
                &mut out_glue,
            ),
        ]
    };
    for (i, rc) in results.into_iter().enumerate() {
        assert_eq!(rc, ao_result::NullArgument, "call {i}");
    }
    assert_eq!(last_error(), "engine must not be NULL");
    assert_eq!(
        (out_str, out_token, out_claims, out_glue),
        (sentinel(), sentinel(), sentinel(), sentinel())
    );
    assert_eq!((n, id), (9, 9));
}

#[test]
fn null_string_arguments_are_named_in_the_last_error() {
    let engine = seeded("");
    let mut out: *mut ao_token_response = sentinel();
    unsafe {
        let rc = ao_engine_agent_login(
            engine,
            c(AGENT).as_ptr(),
            ptr::null(),
            c(IP).as_ptr(),
            &mut out,
        );
        assert_eq!(rc, ao_result::NullArgument);
        assert_eq!(
            borrowed(ao_engine_last_error(engine)).as_deref(),
            Some("password must not be NULL")
        );
        let rc = ao_engine_agent_login(
            engine,
            c(AGENT).as_ptr(),
            c(PASSWORD).as_ptr(),
            ptr::null(),
            &mut out,
        );
        assert_eq!(rc, ao_result::NullArgument);
        assert_eq!(last_error(), "client_ip must not be NULL");
        let rc = ao_engine_agent_login(
            engine,
            c(AGENT).as_ptr(),
            c(PASSWORD).as_ptr(),
            c(IP).as_ptr(),
            ptr::null_mut(),
        );
        assert_eq!(rc, ao_result::NullArgument);
        assert_eq!(last_error(), "out must not be NULL");
        assert_eq!(out, sentinel());
        ao_engine_free(engine);
    }
}

#[test]
fn invalid_utf8_arguments_are_refused() {
    let engine = seeded("");
    let bad = b"adm\xffin\0";
    let bad = bad.as_ptr().cast::<c_char>();
    let mut out: *mut ao_token_response = sentinel();
    let mut json: *mut c_char = sentinel();
    unsafe {
        let rc = ao_engine_agent_login(engine, bad, c(PASSWORD).as_ptr(), c(IP).as_ptr(), &mut out);
        assert_eq!(rc, ao_result::InvalidUtf8);
        assert_eq!(last_error(), "username is not valid UTF-8");
        assert_eq!(
            ao_engine_new(bad, ptr::null(), &mut ptr::null_mut()),
            ao_result::InvalidUtf8
        );
        assert_eq!(
            ao_engine_search_customers(engine, bad, 0, 0, &mut json),
            ao_result::InvalidUtf8
        );
        assert_eq!(
            ao_engine_upsert_customer(engine, bad),
            ao_result::InvalidUtf8
        );
        let authorization = c("Authorization");
        let names = [authorization.as_ptr()];
        let values = [bad];
        let mut glue: *mut ao_glue_response = sentinel();
        let rc = ao_engine_handle_glue(
            engine,
            c("GET").as_ptr(),
            c("/agent-customer-search").as_ptr(),
            ptr::null(),
            names.as_ptr(),
            values.as_ptr(),
            1,
            ptr::null(),
            0,
            c(IP).as_ptr(),
            &mut glue,
        );
        assert_eq!(rc, ao_result::InvalidUtf8);
        assert_eq!(last_error(), "header value is not valid UTF-8");
        assert_eq!(glue, sentinel());
        ao_engine_free(engine);
    }
    assert_eq!((out, json), (sentinel(), sentinel()));
}

#[test]
fn login_failure_is_4101_and_lockout_is_4401() {
    let engine = seeded(r#""lockout":{"max_failures":2,"window":900,"block":360}"#);
    let mut out: *mut ao_token_response = sentinel();
    let attempt = |password: &str, out: &mut *mut ao_token_response| unsafe {
        ao_engine_agent_login(
            engine,
            c(AGENT).as_ptr(),
            c(password).as_ptr(),
            c(IP).as_ptr(),
            out,
        )
    };
    let rc = attempt("wrong", &mut out);
    assert_eq!(rc, ao_result::AuthenticationFailed);
    assert_eq!(glue_code(rc).as_deref(), Some("4101"));
    assert_eq!(ao_result_http_status(rc as u32), 401);
    assert_eq!(last_error(), "Failed to authenticate an agent.");
    assert_eq!(attempt("wrong", &mut out), ao_result::AuthenticationFailed);
    let rc = attempt(PASSWORD, &mut out);
    assert_eq!(rc, ao_result::TooManyAttempts);
    assert_eq!(glue_code(rc).as_deref(), Some("4401"));
    assert_eq!(ao_result_http_status(rc as u32), 429);
    assert_eq!(
        last_error(),
        "Too many log in attempts from your address. Please wait 6 minutes before trying again."
    );
    assert_eq!(out, sentinel());
    unsafe { ao_engine_free(engine) };
}

#[test]
fn impersonation_carries_act_and_verifies_strictly() {
    let engine = seeded("");
    let agent = login(engine);
    let customer = impersonate(engine, &agent.access, "DE--1");
    assert!(customer.expires_in <= agent.expires_in);
    let mut claims = ptr::null_mut();
    unsafe {
        assert_eq!(
            ao_engine_verify_strict(engine, c(&customer.access).as_ptr(), &mut claims),
            ao_result::Ok
        );
        let mut kind = ao_token_kind::Agent;
        assert_eq!(ao_claims_kind(claims, &mut kind), ao_result::Ok);
        assert_eq!(kind, ao_token_kind::Impersonation);
        assert_eq!(borrowed(ao_claims_aud(claims)).as_deref(), Some("frontend"));
        assert_eq!(
            borrowed(ao_claims_customer_reference(claims)).as_deref(),
            Some("DE--1")
        );
        assert_eq!(borrowed(ao_claims_company_user_id(claims)), None);
        assert_eq!(
            borrowed(ao_claims_act_sub(claims)).as_deref(),
            Some(
                r#"{"id_company_user":null,"id_agent":1,"customer_reference":null,"id_customer":null,"permissions":null}"#
            )
        );
        let (mut act, mut agent_id, mut customer_id) = (0, 0, 0);
        assert_eq!(ao_claims_act_agent_id(claims, &mut act), ao_result::Ok);
        assert_eq!(ao_claims_agent_id(claims, &mut agent_id), ao_result::Ok);
        assert_eq!(
            ao_claims_customer_id(claims, &mut customer_id),
            ao_result::Ok
        );
        assert_eq!((act, agent_id, customer_id), (1, 1, 1));
        assert_eq!(ao_claims_scope_count(claims), 2);
        assert_eq!(
            borrowed(ao_claims_scope(claims, 0)).as_deref(),
            Some("customer_impersonation")
        );
        assert_eq!(
            borrowed(ao_claims_scope(claims, 1)).as_deref(),
            Some("customer")
        );
        assert!(ao_claims_scope(claims, 2).is_null());
        assert_eq!(ao_claims_has_scope(claims, c("customer").as_ptr()), 1);
        assert_eq!(ao_claims_has_scope(claims, c("agent").as_ptr()), 0);
        assert_eq!(borrowed(ao_claims_jti(claims)).unwrap().len(), 80);
        assert!(ao_claims_exp(claims) > ao_claims_iat(claims));
        assert_eq!(ao_claims_nbf(claims), ao_claims_iat(claims));
        let mut json = ptr::null_mut();
        assert_eq!(ao_claims_to_json(claims, &mut json), ao_result::Ok);
        let json: serde_json::Value = serde_json::from_str(&take(json)).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            ["aud", "jti", "iat", "nbf", "exp", "sub", "scopes", "act"]
        );
        assert_eq!(
            json["act"]["sub"],
            borrowed(ao_claims_act_sub(claims)).unwrap()
        );
        ao_claims_free(claims);

        // The agent token: no act, no customer.
        let mut claims = ptr::null_mut();
        assert_eq!(
            ao_engine_verify(engine, c(&agent.access).as_ptr(), &mut claims),
            ao_result::Ok
        );
        let mut kind = ao_token_kind::Customer;
        assert_eq!(ao_claims_kind(claims, &mut kind), ao_result::Ok);
        assert_eq!(kind, ao_token_kind::Agent);
        assert!(ao_claims_act_sub(claims).is_null());
        assert!(ao_claims_customer_reference(claims).is_null());
        let mut id = -1;
        assert_eq!(ao_claims_act_agent_id(claims, &mut id), ao_result::NotFound);
        assert_eq!(ao_claims_customer_id(claims, &mut id), ao_result::NotFound);
        assert_eq!(id, -1);
        ao_claims_free(claims);
        ao_engine_free(engine);
    }
}

#[test]
fn impersonation_refusals_map_to_their_codes() {
    let engine = seeded("");
    let agent = login(engine);
    let customer = impersonate(engine, &agent.access, "DE--1");
    let mut out: *mut ao_token_response = sentinel();
    let run =
        |token: &str, reference: &str, reason: Option<&str>, out: &mut *mut ao_token_response| {
            let reason = reason.map(c);
            unsafe {
                ao_engine_impersonate(
                    engine,
                    c(token).as_ptr(),
                    c(reference).as_ptr(),
                    reason.as_ref().map_or(ptr::null(), |r| r.as_ptr()),
                    c(IP).as_ptr(),
                    out,
                )
            }
        };
    for (token, reference, reason, expected, code) in [
        (
            agent.access.as_str(),
            "DE--2",
            None,
            ao_result::ImpersonationFailed,
            "4104",
        ),
        (
            agent.access.as_str(),
            "DE--404",
            None,
            ao_result::ImpersonationFailed,
            "4104",
        ),
        (
            customer.access.as_str(),
            "DE--1",
            None,
            ao_result::AgentOnly,
            "4103",
        ),
        (
            "not.a.token",
            "DE--1",
            None,
            ao_result::InvalidAccessToken,
            "001",
        ),
    ] {
        let rc = run(token, reference, reason, &mut out);
        assert_eq!(rc, expected, "{reference}");
        assert_eq!(glue_code(rc).as_deref(), Some(code));
    }
    let long = "x".repeat(1025);
    let rc = run(&agent.access, "DE--1", Some(&long), &mut out);
    assert_eq!(rc, ao_result::InvalidRequest);
    assert_eq!(glue_code(rc).as_deref(), Some("901"));
    assert_eq!(ao_result_http_status(rc as u32), 422);
    // Without a reason (NULL) impersonation works.
    assert_eq!(run(&agent.access, "DE--1", None, &mut out), ao_result::Ok);
    unsafe {
        ao_token_response_free(out);
        ao_engine_free(engine);
    }
}

#[test]
fn refresh_rotates_and_a_spent_token_is_004() {
    let engine = seeded("");
    let agent = login(engine);
    let mut out = ptr::null_mut();
    unsafe {
        assert_eq!(
            ao_engine_refresh(engine, c(&agent.refresh).as_ptr(), c(IP).as_ptr(), &mut out),
            ao_result::Ok
        );
        let next = tokens(out);
        assert_ne!(next.refresh, agent.refresh);
        let mut out: *mut ao_token_response = sentinel();
        let rc = ao_engine_refresh(engine, c(&agent.refresh).as_ptr(), c(IP).as_ptr(), &mut out);
        assert_eq!(rc, ao_result::RefreshFailed);
        assert_eq!(glue_code(rc).as_deref(), Some("004"));
        assert_eq!(last_error(), "Failed to refresh token.");
        assert_eq!(out, sentinel());
        ao_engine_free(engine);
    }
}

#[test]
fn revocation_counts_sessions() {
    let engine = seeded("");
    unsafe {
        let agent = login(engine);
        let customer = impersonate(engine, &agent.access, "DE--1");
        let mut n = 99;
        // An unknown token changes nothing and succeeds.
        assert_eq!(
            ao_engine_revoke(
                engine,
                c(&agent.access).as_ptr(),
                c("ao1_unknown").as_ptr(),
                c(IP).as_ptr(),
                &mut n
            ),
            ao_result::Ok
        );
        assert_eq!(n, 0);
        assert_eq!(
            ao_engine_revoke(
                engine,
                c(&agent.access).as_ptr(),
                c(&customer.refresh).as_ptr(),
                c(IP).as_ptr(),
                &mut n
            ),
            ao_result::Ok
        );
        assert_eq!(n, 1);
        // The count is optional.
        assert_eq!(
            ao_engine_revoke_mine(
                engine,
                c(&agent.access).as_ptr(),
                c(IP).as_ptr(),
                ptr::null_mut()
            ),
            ao_result::Ok
        );
        // The agent's session is gone: its token no longer passes.
        let rc = ao_engine_revoke_mine(engine, c(&agent.access).as_ptr(), c(IP).as_ptr(), &mut n);
        assert_eq!(rc, ao_result::InvalidAccessToken);

        let agent = login(engine);
        impersonate(engine, &agent.access, "DE--1");
        impersonate(engine, &agent.access, "DE--1");
        assert_eq!(
            ao_engine_revoke_customer(engine, c("DE--1").as_ptr(), &mut n),
            ao_result::Ok
        );
        assert_eq!(n, 2);
        assert_eq!(ao_engine_revoke_agent(engine, 1, &mut n), ao_result::Ok);
        assert_eq!(n, 1);
        let mut claims: *mut ao_claims = sentinel();
        assert_eq!(
            ao_engine_verify_strict(engine, c(&agent.access).as_ptr(), &mut claims),
            ao_result::InvalidAccessToken
        );
        // Without the strict check the signature still verifies.
        assert_eq!(
            ao_engine_verify(engine, c(&agent.access).as_ptr(), &mut claims),
            ao_result::Ok
        );
        ao_claims_free(claims);
        ao_engine_free(engine);
    }
}

#[test]
fn agent_administration() {
    let engine = seeded("");
    unsafe {
        let mut id = 0;
        assert_eq!(
            ao_engine_add_agent_with_id(
                engine,
                40,
                c("second@spryker.com").as_ptr(),
                c("pw").as_ptr(),
                AO_AGENT_STATUS_ACTIVE,
                &mut id
            ),
            ao_result::Ok
        );
        assert_eq!(id, 40);
        let rc = ao_engine_add_agent(
            engine,
            c("").as_ptr(),
            c("pw").as_ptr(),
            AO_AGENT_STATUS_ACTIVE,
            &mut id,
        );
        assert_eq!(rc, ao_result::InvalidRequest);
        let rc = ao_engine_add_agent(engine, c("third").as_ptr(), c("pw").as_ptr(), 7, &mut id);
        assert_eq!(rc, ao_result::InvalidArgument);
        assert_eq!(last_error(), "unknown agent status 7");
        assert_eq!(id, 40);
        let bcrypt = "$2y$10$abcdefghijklmnopqrstuuFb0Yb2FfyF8E1YS6WvTo2eu3ATB8Yu";
        assert_eq!(
            ao_engine_import_agent(
                engine,
                50,
                c("imported").as_ptr(),
                c(bcrypt).as_ptr(),
                AO_AGENT_STATUS_BLOCKED,
                &mut id
            ),
            ao_result::Ok
        );
        assert_eq!(id, 50);

        let agent = login(engine);
        assert_eq!(
            ao_engine_set_agent_status(engine, 1, AO_AGENT_STATUS_BLOCKED),
            ao_result::Ok
        );
        let mut claims: *mut ao_claims = sentinel();
        assert_eq!(
            ao_engine_verify_strict(engine, c(&agent.access).as_ptr(), &mut claims),
            ao_result::InvalidAccessToken
        );
        assert_eq!(
            ao_engine_set_agent_status(engine, 999, AO_AGENT_STATUS_ACTIVE),
            ao_result::NotFound
        );
        assert_eq!(
            ao_engine_set_agent_status(engine, 1, 3),
            ao_result::InvalidArgument
        );
        assert_eq!(
            ao_engine_set_agent_status(engine, 1, AO_AGENT_STATUS_ACTIVE),
            ao_result::Ok
        );
        assert_eq!(
            ao_engine_set_agent_password(engine, 1, c("new secret").as_ptr()),
            ao_result::Ok
        );
        assert_eq!(
            ao_engine_set_agent_password(engine, 999, c("x").as_ptr()),
            ao_result::NotFound
        );
        let mut out = ptr::null_mut();
        let rc = ao_engine_agent_login(
            engine,
            c(AGENT).as_ptr(),
            c("new secret").as_ptr(),
            c(IP).as_ptr(),
            &mut out,
        );
        assert_eq!(rc, ao_result::Ok);
        ao_token_response_free(out);
        ao_engine_free(engine);
    }
}

#[test]
fn customer_administration_and_search() {
    let engine = seeded("");
    unsafe {
        let rc = ao_engine_upsert_customer(engine, c(r#"{"id_customer":3}"#).as_ptr());
        assert_eq!(rc, ao_result::InvalidJson);
        assert!(
            last_error().starts_with("customer_json: missing field"),
            "{}",
            last_error()
        );
        assert_eq!(
            ao_engine_upsert_customer(engine, c("{").as_ptr()),
            ao_result::InvalidJson
        );
        let empty_reference = customer_json(3, true).replace("DE--3", "");
        assert_eq!(
            ao_engine_upsert_customer(engine, c(&empty_reference).as_ptr()),
            ao_result::InvalidRequest
        );

        let mut json = ptr::null_mut();
        assert_eq!(
            ao_engine_find_customer(engine, c("DE--1").as_ptr(), &mut json),
            ao_result::Ok
        );
        assert_eq!(take(json), customer_json(1, true));
        let mut json: *mut c_char = sentinel();
        assert_eq!(
            ao_engine_find_customer(engine, c("DE--9").as_ptr(), &mut json),
            ao_result::NotFound
        );
        assert_eq!(json, sentinel());

        for id in 3..=25 {
            ao_engine_upsert_customer(engine, c(&customer_json(id, true)).as_ptr());
        }
        let mut json = ptr::null_mut();
        assert_eq!(
            ao_engine_search_customers(engine, c("CUSTOMER2").as_ptr(), 0, 0, &mut json),
            ao_result::Ok
        );
        let page: serde_json::Value = serde_json::from_str(&take(json)).unwrap();
        assert_eq!(page["total"], 7); // customer2, customer20..25
        assert_eq!(page["limit"], 10);
        assert_eq!(page["customers"][0]["customer_reference"], "DE--2");
        let mut json = ptr::null_mut();
        assert_eq!(
            ao_engine_search_customers(engine, c("").as_ptr(), 13, 5, &mut json),
            ao_result::Ok
        );
        let page: serde_json::Value = serde_json::from_str(&take(json)).unwrap();
        assert_eq!(
            (
                page["offset"].as_u64(),
                page["limit"].as_u64(),
                page["total"].as_u64()
            ),
            (Some(10), Some(5), Some(25))
        );
        assert_eq!(page["customers"][0]["id_customer"], 11);
        // A limit of 0 beside an offset is invalid paging, as in Glue (D14).
        let mut json = sentinel();
        assert_eq!(
            ao_engine_search_customers(engine, c("").as_ptr(), 5, 0, &mut json),
            ao_result::InvalidRequest
        );
        assert_eq!(json, sentinel());
        assert_eq!(
            CStr::from_ptr(ao_engine_last_error(engine))
                .to_str()
                .unwrap(),
            "Pagination parameters are invalid."
        );
        ao_engine_free(engine);
    }
}

#[test]
fn scopes_clients_and_grant_types() {
    let engine = engine_with("", None);
    unsafe {
        let mut json = ptr::null_mut();
        assert_eq!(ao_engine_install_scopes(engine, &mut json), ao_result::Ok);
        assert_eq!(
            take(json),
            r#"["agent","customer","customer_impersonation"]"#
        );
        let mut json = ptr::null_mut();
        assert_eq!(ao_engine_install_scopes(engine, &mut json), ao_result::Ok);
        assert_eq!(take(json), "[]");
        assert_eq!(ao_engine_install_default_client(engine), ao_result::Ok);
        assert_eq!(
            ao_engine_set_client_secret(
                engine,
                c("backoffice").as_ptr(),
                c("Back office").as_ptr(),
                c("s3cret").as_ptr()
            ),
            ao_result::Ok
        );
        assert_eq!(
            ao_engine_set_client_secret(
                engine,
                c("backoffice").as_ptr(),
                c("Back office").as_ptr(),
                c("").as_ptr()
            ),
            ao_result::InvalidRequest
        );

        let mut json = ptr::null_mut();
        assert_eq!(ao_grant_type_configurations(&mut json), ao_result::Ok);
        let grants: serde_json::Value = serde_json::from_str(&take(json)).unwrap();
        assert_eq!(grants[0]["identifier"], "agent_credentials");
        assert_eq!(grants[1]["identifier"], "customer_impersonation");
        assert_eq!(grants[2]["identifier"], "refresh_token");
        assert!(
            grants[0]["fully_qualified_class_name"]
                .as_str()
                .unwrap()
                .contains("AgentCredentialsGrantType")
        );
        let mut json = ptr::null_mut();
        assert_eq!(
            ao_grant_type_scopes(c("customer_impersonation").as_ptr(), &mut json),
            ao_result::Ok
        );
        assert_eq!(take(json), r#"["customer_impersonation","customer"]"#);
        let mut json: *mut c_char = sentinel();
        assert_eq!(
            ao_grant_type_scopes(c("password").as_ptr(), &mut json),
            ao_result::NotFound
        );
        assert_eq!(
            ao_grant_type_configurations(ptr::null_mut()),
            ao_result::NullArgument
        );
        assert_eq!(json, sentinel());
        ao_engine_free(engine);
    }
}

#[test]
fn audit_query_filters_and_refuses_unknown_keys() {
    let engine = seeded("");
    let agent = login(engine);
    impersonate(engine, &agent.access, "DE--1");
    unsafe {
        let mut json = ptr::null_mut();
        assert_eq!(
            ao_engine_audit_query(engine, ptr::null(), &mut json),
            ao_result::Ok
        );
        let events: serde_json::Value = serde_json::from_str(&take(json)).unwrap();
        let kinds: Vec<&str> = events
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["agent_login_succeeded", "impersonation_started"]);
        assert_eq!(events[1]["reason"], "ticket 42");
        assert_eq!(events[1]["client_ip"], IP);
        let mut json = ptr::null_mut();
        assert_eq!(
            ao_engine_audit_query(
                engine,
                c(r#"{"customer_reference":"DE--1","limit":5}"#).as_ptr(),
                &mut json
            ),
            ao_result::Ok
        );
        let events: serde_json::Value = serde_json::from_str(&take(json)).unwrap();
        assert_eq!(events.as_array().unwrap().len(), 1);
        let mut json: *mut c_char = sentinel();
        assert_eq!(
            ao_engine_audit_query(engine, c(r#"{"agent":1}"#).as_ptr(), &mut json),
            ao_result::InvalidJson
        );
        assert_eq!(json, sentinel());
        ao_engine_free(engine);
    }
}

#[test]
fn keys_and_introspection() {
    let engine = seeded("");
    let agent = login(engine);
    unsafe {
        let mut pem = ptr::null_mut();
        assert_eq!(ao_engine_public_key_pem(engine, &mut pem), ao_result::Ok);
        let expected = std::fs::read_to_string(KEY_PATH.replace("private", "public")).unwrap();
        // The core writes PEM with CRLF line ends.
        assert_eq!(take(pem).replace("\r\n", "\n").trim(), expected.trim());
        let (mut jwks, mut kid) = (ptr::null_mut(), ptr::null_mut());
        assert_eq!(ao_engine_jwks(engine, &mut jwks), ao_result::Ok);
        assert_eq!(ao_engine_kid(engine, &mut kid), ao_result::Ok);
        let jwks: serde_json::Value = serde_json::from_str(&take(jwks)).unwrap();
        assert_eq!(jwks["keys"][0]["kid"], take(kid));

        let mut json = ptr::null_mut();
        let bearer = c(&format!("Bearer {}", agent.access));
        assert_eq!(
            ao_engine_introspect(
                engine,
                bearer.as_ptr(),
                c(&agent.refresh).as_ptr(),
                &mut json
            ),
            ao_result::Ok
        );
        let answer: serde_json::Value = serde_json::from_str(&take(json)).unwrap();
        assert_eq!(answer["active"], true);
        assert_eq!(answer["token_type"], "refresh_token");
        let mut json = ptr::null_mut();
        assert_eq!(
            ao_engine_introspect(engine, bearer.as_ptr(), c("garbage").as_ptr(), &mut json),
            ao_result::Ok
        );
        assert_eq!(take(json), r#"{"active":false}"#);
        let mut json: *mut c_char = sentinel();
        assert_eq!(
            ao_engine_introspect(engine, ptr::null(), c(&agent.access).as_ptr(), &mut json),
            ao_result::InvalidAccessToken
        );
        assert_eq!(json, sentinel());
        let mut n = 9;
        assert_eq!(ao_engine_purge_expired(engine, 0, &mut n), ao_result::Ok);
        assert_eq!(n, 0);
        ao_engine_free(engine);
    }
}

/// A Glue request through the C ABI, answered as (status, headers, body).
fn glue(
    engine: *const ao_engine,
    method: &str,
    path: &str,
    query: Option<&str>,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<(String, String)>, String) {
    let names: Vec<_> = headers.iter().map(|(n, _)| c(n)).collect();
    let values: Vec<_> = headers.iter().map(|(_, v)| c(v)).collect();
    let name_ptrs: Vec<_> = names.iter().map(|n| n.as_ptr()).collect();
    let value_ptrs: Vec<_> = values.iter().map(|v| v.as_ptr()).collect();
    let query = query.map(c);
    let mut out = ptr::null_mut();
    unsafe {
        let rc = ao_engine_handle_glue(
            engine,
            c(method).as_ptr(),
            c(path).as_ptr(),
            query.as_ref().map_or(ptr::null(), |q| q.as_ptr()),
            name_ptrs.as_ptr(),
            value_ptrs.as_ptr(),
            headers.len(),
            body.as_ptr(),
            body.len(),
            c(IP).as_ptr(),
            &mut out,
        );
        assert_eq!(rc, ao_result::Ok, "{}", last_error());
        let status = ao_glue_response_status(out);
        let headers = (0..ao_glue_response_header_count(out))
            .map(|i| {
                (
                    borrowed(ao_glue_response_header_name(out, i)).unwrap(),
                    borrowed(ao_glue_response_header_value(out, i)).unwrap(),
                )
            })
            .collect();
        assert!(ao_glue_response_header_name(out, 99).is_null());
        let mut len = 0;
        let bytes = ao_glue_response_body(out, &mut len);
        let body = std::slice::from_raw_parts(bytes, len);
        assert_eq!(*bytes.add(len), 0, "body is NUL-terminated");
        assert_eq!(CStr::from_ptr(bytes.cast()).to_bytes(), body);
        let body = String::from_utf8(body.to_vec()).unwrap();
        ao_glue_response_free(out);
        (status, headers, body)
    }
}

#[test]
fn glue_handler_serves_the_whole_flow() {
    let engine = seeded("");
    let login_body = format!(
        r#"{{"data":{{"type":"agent-access-tokens","attributes":{{"username":"{AGENT}","password":"{PASSWORD}"}}}}}}"#
    );
    let (status, headers, body) = glue(
        engine,
        "POST",
        "/agent-access-tokens",
        None,
        &[("Content-Type", "application/json")],
        login_body.as_bytes(),
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        headers[0],
        (
            "Content-Type".to_owned(),
            "application/vnd.api+json".to_owned()
        )
    );
    assert_eq!(
        headers[1],
        ("Cache-Control".to_owned(), "no-store".to_owned())
    );
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    let agent_token = doc["data"]["attributes"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let auth = format!("Bearer {agent_token}");

    let (status, _, body) = glue(
        engine,
        "GET",
        "/agent-customer-search",
        Some("q=customer1&page%5Boffset%5D=0&page%5Blimit%5D=1"),
        &[("x-agent-authorization", &auth)],
        b"",
    );
    assert_eq!(status, 200, "{body}");
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        doc["data"][0]["attributes"]["customers"][0]["customerReference"],
        "DE--1"
    );

    let imp_body = br#"{"data":{"type":"agent-customer-impersonation-access-tokens","attributes":{"customerReference":"DE--1"}}}"#;
    let (status, _, body) = glue(
        engine,
        "POST",
        "/agent-customer-impersonation-access-tokens",
        None,
        &[("X-Agent-Authorization", &auth)],
        imp_body,
    );
    assert_eq!(status, 201, "{body}");

    // Refusals are responses, not result codes.
    let (status, headers, body) = glue(
        engine,
        "POST",
        "/agent-customer-impersonation-access-tokens",
        None,
        &[],
        imp_body,
    );
    assert_eq!(status, 401);
    assert_eq!(
        body,
        r#"{"errors":[{"status":401,"code":"4103","detail":"Action is available to agent user only."}]}"#
    );
    assert!(headers.iter().any(|(n, _)| n == "WWW-Authenticate"));
    let (status, _, body) = glue(engine, "DELETE", "/refresh-tokens/mine", None, &[], b"");
    assert_eq!(status, 403);
    assert!(body.contains(r#""code":"002""#), "{body}");
    let (status, _, body) = glue(
        engine,
        "GET",
        "/agent-customer-search",
        None,
        &[("X-Agent-Authorization", "Bearer nope")],
        b"",
    );
    assert_eq!(status, 401);
    assert!(body.contains(r#""code":"4102""#), "{body}");
    let (status, _, _) = glue(engine, "POST", "/agent-access-tokens", None, &[], b"{\0");
    assert_eq!(status, 400);
    let (status, _, _) = glue(engine, "GET", "/nowhere", None, &[], b"");
    assert_eq!(status, 404);
    let (status, headers, body) = glue(
        engine,
        "DELETE",
        "/refresh-tokens/mine",
        None,
        &[("Authorization", &auth)],
        b"",
    );
    assert_eq!((status, headers.len(), body.as_str()), (204, 0, ""));
    let (status, headers, body) = glue(engine, "GET", "/.well-known/jwks.json", None, &[], b"");
    assert_eq!(status, 200);
    assert_eq!(headers[0].1, "application/json");
    assert!(body.starts_with(r#"{"keys":["#));
    unsafe { ao_engine_free(engine) };
}

#[test]
fn glue_response_header_lookup_is_case_insensitive() {
    let engine = seeded("");
    let mut out = ptr::null_mut();
    unsafe {
        let rc = ao_engine_handle_glue(
            engine,
            c("GET").as_ptr(),
            c("/.well-known/jwks.json").as_ptr(),
            ptr::null(),
            ptr::null(),
            ptr::null(),
            0,
            ptr::null(),
            0,
            c(IP).as_ptr(),
            &mut out,
        );
        assert_eq!(rc, ao_result::Ok);
        assert_eq!(
            borrowed(ao_glue_response_header(out, c("cache-control").as_ptr())).as_deref(),
            Some("public, max-age=300")
        );
        assert!(ao_glue_response_header(out, c("Retry-After").as_ptr()).is_null());
        assert!(ao_glue_response_header(out, ptr::null()).is_null());
        let mut len = 0;
        assert!(!ao_glue_response_body(out, ptr::null_mut()).is_null());
        ao_glue_response_body(out, &mut len);
        assert!(len > 0);
        ao_glue_response_free(out);

        // Headers announced but missing, or a body length without bytes.
        let mut out: *mut ao_glue_response = sentinel();
        let rc = ao_engine_handle_glue(
            engine,
            c("GET").as_ptr(),
            c("/").as_ptr(),
            ptr::null(),
            ptr::null(),
            ptr::null(),
            2,
            ptr::null(),
            0,
            c(IP).as_ptr(),
            &mut out,
        );
        assert_eq!(rc, ao_result::NullArgument);
        assert_eq!(last_error(), "header_names must not be NULL");
        let rc = ao_engine_handle_glue(
            engine,
            c("POST").as_ptr(),
            c("/agent-access-tokens").as_ptr(),
            ptr::null(),
            ptr::null(),
            ptr::null(),
            0,
            ptr::null(),
            10,
            c(IP).as_ptr(),
            &mut out,
        );
        assert_eq!(rc, ao_result::NullArgument);
        assert_eq!(out, sentinel());
        ao_engine_free(engine);
    }
}

#[test]
fn last_error_is_per_thread_and_per_engine() {
    let engine = seeded("");
    let other = engine_with("", None);
    let mut out: *mut ao_token_response = sentinel();
    unsafe {
        ao_engine_agent_login(
            engine,
            c(AGENT).as_ptr(),
            c("wrong").as_ptr(),
            c(IP).as_ptr(),
            &mut out,
        );
        assert_eq!(
            borrowed(ao_engine_last_error(engine)).as_deref(),
            Some("Failed to authenticate an agent.")
        );
        // Another engine's last error is not this one's.
        assert!(ao_engine_last_error(other).is_null());
        // Another thread has its own.
        let address = engine as usize;
        std::thread::spawn(move || {
            assert!(ao_engine_last_error(address as *const ao_engine).is_null());
            assert!(ao_last_error().is_null());
        })
        .join()
        .unwrap();
        // Successful calls leave it, as errno.
        login(engine);
        assert_eq!(last_error(), "Failed to authenticate an agent.");
        // Freeing the engine forgets it.
        ao_engine_free(engine);
        assert!(ao_last_error().is_null());
        ao_engine_free(other);
    }
}

#[test]
fn one_engine_serves_many_threads_at_once() {
    let engine = seeded("");
    let agent = login(engine);
    let address = engine as usize;
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let agent_token = agent.access.clone();
            std::thread::spawn(move || {
                let engine = address as *const ao_engine;
                for _ in 0..5 {
                    let t = impersonate(engine, &agent_token, "DE--1");
                    let mut claims = ptr::null_mut();
                    unsafe {
                        assert_eq!(
                            ao_engine_verify_strict(engine, c(&t.access).as_ptr(), &mut claims),
                            ao_result::Ok
                        );
                        ao_claims_free(claims);
                    }
                    // A failure on this thread stays on this thread.
                    let mut out: *mut ao_token_response = sentinel();
                    let reference = c(&format!("DE--missing{i}"));
                    let rc = unsafe {
                        ao_engine_impersonate(
                            engine,
                            c(&agent_token).as_ptr(),
                            reference.as_ptr(),
                            ptr::null(),
                            c(IP).as_ptr(),
                            &mut out,
                        )
                    };
                    assert_eq!(rc, ao_result::ImpersonationFailed);
                    assert_eq!(last_error(), "Failed to impersonate a customer.");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut json = ptr::null_mut();
    unsafe {
        assert_eq!(
            ao_engine_audit_query(
                engine,
                c(r#"{"customer_reference":"DE--1"}"#).as_ptr(),
                &mut json
            ),
            ao_result::Ok
        );
        let events: serde_json::Value = serde_json::from_str(&take(json)).unwrap();
        assert_eq!(events.as_array().unwrap().len(), 20);
        ao_engine_free(engine);
    }
}
