//! The grants (agent login, impersonation, refresh) and `ao_token_response`.

use std::ffi::{CString, c_char};

use agent_oauth_core::TokenResponse;

use crate::engine::{ao_engine, engine_arg};
use crate::error::ao_result;
use crate::ffi::{c_string, free_handle, opt_str_arg, out_arg, read_handle, str_arg};

/// An issued token pair. Read it with the `ao_token_response_*` accessors;
/// free it with `ao_token_response_free`.
pub struct ao_token_response {
    token_type: CString,
    access_token: CString,
    refresh_token: CString,
    expires_in: i64,
}

impl From<TokenResponse> for ao_token_response {
    fn from(t: TokenResponse) -> Self {
        ao_token_response {
            token_type: c_string(t.token_type),
            access_token: c_string(t.access_token),
            refresh_token: c_string(t.refresh_token),
            expires_in: t.expires_in,
        }
    }
}

fn boxed(t: TokenResponse) -> *mut ao_token_response {
    Box::into_raw(Box::new(ao_token_response::from(t)))
}

/// Logs an agent in (`agent_credentials`). On success writes a token pair to
/// `*out`. Every refusal is `AO_RESULT_AUTHENTICATION_FAILED` (4101), and
/// after too many failures from `client_ip` for `username`
/// `AO_RESULT_TOO_MANY_ATTEMPTS` (4401). `client_ip` is required (lockout
/// key and audit).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_engine_agent_login(
    engine: *const ao_engine,
    username: *const c_char,
    password: *const c_char,
    client_ip: *const c_char,
    out: *mut *mut ao_token_response,
) -> ao_result {
    crate::panic::call(engine, || {
        // SAFETY (all blocks): arguments are NULL or valid, per the API contract.
        let core = unsafe { engine_arg(engine) }?;
        let username = unsafe { str_arg(username, "username") }?;
        let password = unsafe { str_arg(password, "password") }?;
        let client_ip = unsafe { str_arg(client_ip, "client_ip") }?;
        let out = unsafe { out_arg(out, "out") }?;
        *out = boxed(core.agent_login(username, password, client_ip)?);
        Ok(())
    })
}

/// Impersonates a customer with an agent access token
/// (`customer_impersonation`). `reason` is optional (NULL), kept in the audit
/// log. The token must be a valid agent token with a live session (else
/// `AO_RESULT_INVALID_ACCESS_TOKEN`, 001, or `AO_RESULT_AGENT_ONLY`, 4103);
/// the customer must exist and be active (else
/// `AO_RESULT_IMPERSONATION_FAILED`, 4104). The new token carries `act` and
/// expires no later than the agent's.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_engine_impersonate(
    engine: *const ao_engine,
    agent_access_token: *const c_char,
    customer_reference: *const c_char,
    reason: *const c_char,
    client_ip: *const c_char,
    out: *mut *mut ao_token_response,
) -> ao_result {
    // SAFETY: the same arguments, and no consent code (NULL).
    unsafe {
        ao_engine_impersonate_with_consent(
            engine,
            agent_access_token,
            customer_reference,
            reason,
            std::ptr::null(),
            client_ip,
            out,
        )
    }
}

/// [`ao_engine_impersonate`] with the code the customer created to consent
/// (`POST /customer-impersonation-consents`), which the configuration's
/// `impersonation.require_customer_consent` demands; NULL when there is
/// none. A missing, wrong, expired or spent code is
/// `AO_RESULT_IMPERSONATION_FAILED` (4104), and wrong codes count toward a
/// lockout per agent and customer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_engine_impersonate_with_consent(
    engine: *const ao_engine,
    agent_access_token: *const c_char,
    customer_reference: *const c_char,
    reason: *const c_char,
    consent_code: *const c_char,
    client_ip: *const c_char,
    out: *mut *mut ao_token_response,
) -> ao_result {
    crate::panic::call(engine, || {
        // SAFETY (all blocks): arguments are NULL or valid, per the API contract.
        let core = unsafe { engine_arg(engine) }?;
        let token = unsafe { str_arg(agent_access_token, "agent_access_token") }?;
        let reference = unsafe { str_arg(customer_reference, "customer_reference") }?;
        let reason = unsafe { opt_str_arg(reason, "reason") }?;
        let consent_code = unsafe { opt_str_arg(consent_code, "consent_code") }?;
        let client_ip = unsafe { str_arg(client_ip, "client_ip") }?;
        let out = unsafe { out_arg(out, "out") }?;
        *out = boxed(core.impersonate_with_consent(
            token,
            reference,
            reason,
            consent_code,
            client_ip,
        )?);
        Ok(())
    })
}

/// Exchanges a refresh token for a new pair (`refresh_token`); the presented
/// token is spent. Every refusal is `AO_RESULT_REFRESH_FAILED` (004).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_engine_refresh(
    engine: *const ao_engine,
    refresh_token: *const c_char,
    client_ip: *const c_char,
    out: *mut *mut ao_token_response,
) -> ao_result {
    crate::panic::call(engine, || {
        // SAFETY (all blocks): arguments are NULL or valid, per the API contract.
        let core = unsafe { engine_arg(engine) }?;
        let token = unsafe { str_arg(refresh_token, "refresh_token") }?;
        let client_ip = unsafe { str_arg(client_ip, "client_ip") }?;
        let out = unsafe { out_arg(out, "out") }?;
        *out = boxed(core.refresh(token, client_ip)?);
        Ok(())
    })
}

/// Frees a token pair. `ao_token_response_free(NULL)` does nothing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_token_response_free(response: *mut ao_token_response) {
    free_handle(response)
}

/// The signed JWT access token. Borrowed: valid until the response is freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_token_response_access_token(
    response: *const ao_token_response,
) -> *const c_char {
    read_handle(response, |r| r.access_token.as_ptr())
}

/// The opaque refresh token (`ao1_...`). Borrowed: valid until the response is freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_token_response_refresh_token(
    response: *const ao_token_response,
) -> *const c_char {
    read_handle(response, |r| r.refresh_token.as_ptr())
}

/// The token type, always `"Bearer"`. Borrowed: valid until the response is freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_token_response_token_type(
    response: *const ao_token_response,
) -> *const c_char {
    read_handle(response, |r| r.token_type.as_ptr())
}

/// Seconds until the access token expires (`exp - now`); 0 for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_token_response_expires_in(response: *const ao_token_response) -> i64 {
    read_handle(response, |r| r.expires_in)
}
