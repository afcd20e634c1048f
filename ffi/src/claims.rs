//! Verification and `ao_claims`, the verified claims of an access token.

use std::ffi::{CString, c_char};

use agent_oauth_core::token::{AccessClaims, TokenKind};

use crate::engine::{ao_engine, engine_arg};
use crate::error::{Failure, ao_result};
use crate::ffi::{c_string, free_handle, into_c_string, opt_ptr, out_arg, read_handle, str_arg};

/// What a verified token is.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ao_token_kind {
    /// An agent token (`sub.id_agent` set, scope `agent`).
    Agent = 0,
    /// An impersonation token of this engine (it carries `act`).
    Impersonation = 1,
    /// Any other valid token, such as a Spryker-issued customer token.
    Customer = 2,
}

/// The verified claims of an access token. Read them with the `ao_claims_*`
/// accessors; free them with `ao_claims_free`. Strings the accessors return
/// are borrowed and valid until `ao_claims_free`.
pub struct ao_claims {
    claims: AccessClaims,
    aud: CString,
    jti: CString,
    sub: CString,
    scopes: Vec<CString>,
    customer_reference: Option<CString>,
    id_company_user: Option<CString>,
    act_sub: Option<CString>,
}

impl ao_claims {
    fn new(claims: AccessClaims) -> Self {
        ao_claims {
            aud: c_string(claims.aud.as_str()),
            jti: c_string(claims.jti.as_str()),
            sub: c_string(claims.sub.as_str()),
            scopes: claims.scopes.iter().map(|s| c_string(s.as_str())).collect(),
            customer_reference: claims.subject.customer_reference.as_deref().map(c_string),
            id_company_user: claims.subject.id_company_user.as_deref().map(c_string),
            act_sub: claims.act.as_ref().map(|a| c_string(a.sub.as_str())),
            claims,
        }
    }
}

fn verify_with(
    engine: *const ao_engine,
    token: *const c_char,
    out: *mut *mut ao_claims,
    strict: bool,
) -> ao_result {
    crate::panic::call(engine, || {
        // SAFETY (all blocks): arguments are NULL or valid, per the API contract.
        let core = unsafe { engine_arg(engine) }?;
        let token = unsafe { str_arg(token, "token") }?;
        let out = unsafe { out_arg(out, "out") }?;
        let claims = match strict {
            true => core.verify_strict(token)?,
            false => core.verify(token)?,
        };
        *out = Box::into_raw(Box::new(ao_claims::new(claims)));
        Ok(())
    })
}

/// Verifies an access token: RS256 signature by the current or a previous
/// key, `exp`/`nbf`/`iat` with the configured leeway, and `aud`. Anything
/// else is `AO_RESULT_INVALID_ACCESS_TOKEN` (001). On success writes the
/// claims to `*out`; free them with `ao_claims_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_engine_verify(
    engine: *const ao_engine,
    token: *const c_char,
    out: *mut *mut ao_claims,
) -> ao_result {
    verify_with(engine, token, out, false)
}

/// As `ao_engine_verify`, plus the strict check (D3): an agent or
/// impersonation token must belong to a live session of an active agent.
/// Tokens the engine did not issue (Spryker's customer tokens) pass on their
/// signature alone.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_engine_verify_strict(
    engine: *const ao_engine,
    token: *const c_char,
    out: *mut *mut ao_claims,
) -> ao_result {
    verify_with(engine, token, out, true)
}

/// Whether `token` looks like one the engine issued: an impersonation
/// token's `act` or an agent token's `sub.id_agent`, with a header `kid`
/// (league's own tokens, plugin mode included, have none), read without any
/// cryptography and without an engine (issue 12). A resource server's cheap
/// first test: give such a token `ao_engine_verify_strict` and every other
/// its usual validation. False for NULL and for text that is not UTF-8.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_is_engine_token(token: *const c_char) -> bool {
    crate::panic::value(|| {
        // SAFETY: NULL or a NUL-terminated string, per the API contract.
        match unsafe { str_arg(token, "token") } {
            Ok(token) => agent_oauth_core::token::is_engine_token(token),
            Err(_) => false,
        }
    })
}

/// Frees claims. `ao_claims_free(NULL)` does nothing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_claims_free(claims: *mut ao_claims) {
    free_handle(claims)
}

/// An optional integer claim through an out-parameter: OK or NOT_FOUND.
fn read_id(
    claims: *const ao_claims,
    out: *mut i64,
    name: &str,
    get: impl FnOnce(&AccessClaims) -> Option<i64>,
) -> ao_result {
    crate::panic::call(claims, || {
        // SAFETY (both blocks): NULL or valid, per the API contract.
        let claims = unsafe { claims.as_ref() }.ok_or_else(|| Failure::null("claims"))?;
        let out = unsafe { out_arg(out, "out") }?;
        *out = get(&claims.claims).ok_or_else(|| Failure::not_found(format!("no {name}")))?;
        Ok(())
    })
}

/// The kind of token (agent, impersonation, other customer token), written
/// to `*out`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_claims_kind(
    claims: *const ao_claims,
    out: *mut ao_token_kind,
) -> ao_result {
    crate::panic::call(claims, || {
        // SAFETY (both blocks): NULL or valid, per the API contract.
        let claims = unsafe { claims.as_ref() }.ok_or_else(|| Failure::null("claims"))?;
        let out = unsafe { out_arg(out, "out") }?;
        *out = match claims.claims.kind() {
            TokenKind::Agent => ao_token_kind::Agent,
            TokenKind::Impersonation => ao_token_kind::Impersonation,
            TokenKind::Customer => ao_token_kind::Customer,
        };
        Ok(())
    })
}

/// `aud`: the client identifier.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_claims_aud(claims: *const ao_claims) -> *const c_char {
    read_handle(claims, |c| c.aud.as_ptr())
}

/// `jti`: the token id.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_claims_jti(claims: *const ao_claims) -> *const c_char {
    read_handle(claims, |c| c.jti.as_ptr())
}

/// `sub`: the raw subject string exactly as signed (Spryker's JSON-encoded
/// user identifier).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_claims_sub(claims: *const ao_claims) -> *const c_char {
    read_handle(claims, |c| c.sub.as_ptr())
}

/// `iat`, Unix seconds; 0 for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_claims_iat(claims: *const ao_claims) -> i64 {
    read_handle(claims, |c| c.claims.iat)
}

/// `nbf`, Unix seconds; 0 for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_claims_nbf(claims: *const ao_claims) -> i64 {
    read_handle(claims, |c| c.claims.nbf)
}

/// `exp`, Unix seconds; 0 for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_claims_exp(claims: *const ao_claims) -> i64 {
    read_handle(claims, |c| c.claims.exp)
}

/// How many scopes the token has; 0 for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_claims_scope_count(claims: *const ao_claims) -> usize {
    read_handle(claims, |c| c.scopes.len())
}

/// Scope number `index` (from 0), or NULL when out of range.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_claims_scope(claims: *const ao_claims, index: usize) -> *const c_char {
    read_handle(claims, |c| {
        c.scopes.get(index).map_or(std::ptr::null(), |s| s.as_ptr())
    })
}

/// 1 if the token has `scope`, 0 if not (or an argument is NULL or not UTF-8).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_claims_has_scope(
    claims: *const ao_claims,
    scope: *const c_char,
) -> i32 {
    read_handle(claims, |c| {
        // SAFETY: NULL or NUL-terminated, per the API contract.
        match unsafe { str_arg(scope, "scope") } {
            Ok(scope) => i32::from(c.claims.has_scope(scope)),
            Err(_) => 0,
        }
    })
}

/// The agent behind the token, written to `*out`: the agent itself for an
/// agent token, the acting agent (`act`) for an impersonation token.
/// `AO_RESULT_NOT_FOUND` for other tokens.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_claims_agent_id(claims: *const ao_claims, out: *mut i64) -> ao_result {
    read_id(claims, out, "agent", AccessClaims::agent_id)
}

/// `sub.id_customer`, written to `*out`; `AO_RESULT_NOT_FOUND` if unset
/// (agent tokens).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_claims_customer_id(
    claims: *const ao_claims,
    out: *mut i64,
) -> ao_result {
    read_id(claims, out, "customer id", |c| c.subject.id_customer)
}

/// `sub.customer_reference`, or NULL if unset (agent tokens).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_claims_customer_reference(claims: *const ao_claims) -> *const c_char {
    read_handle(claims, |c| opt_ptr(&c.customer_reference))
}

/// `sub.id_company_user` (B2B), or NULL if unset.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_claims_company_user_id(claims: *const ao_claims) -> *const c_char {
    read_handle(claims, |c| opt_ptr(&c.id_company_user))
}

/// `act.sub`: the `sub` string of the agent acting for the customer, or NULL
/// if the token has no `act` (it is not an impersonation token).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_claims_act_sub(claims: *const ao_claims) -> *const c_char {
    read_handle(claims, |c| opt_ptr(&c.act_sub))
}

/// The acting agent's id from `act`, written to `*out`;
/// `AO_RESULT_NOT_FOUND` if the token has no `act`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_claims_act_agent_id(
    claims: *const ao_claims,
    out: *mut i64,
) -> ao_result {
    read_id(claims, out, "act", |c| {
        c.act.as_ref().and_then(|a| a.agent_id())
    })
}

/// The claims as JSON, in the token's order: `{"aud","jti","iat","nbf",
/// "exp","sub","scopes"[,"act":{"sub"}]}`. On success writes a string to
/// `*out_json`; free it with `ao_string_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_claims_to_json(
    claims: *const ao_claims,
    out_json: *mut *mut c_char,
) -> ao_result {
    crate::panic::call(claims, || {
        // SAFETY (both blocks): NULL or valid, per the API contract.
        let claims = unsafe { claims.as_ref() }.ok_or_else(|| Failure::null("claims"))?;
        let out = unsafe { out_arg(out_json, "out_json") }?;
        let json = serde_json::to_string(&claims.claims)
            .map_err(|e| agent_oauth_core::Error::Internal(format!("claims: {e}")))?;
        *out = into_c_string(json);
        Ok(())
    })
}
