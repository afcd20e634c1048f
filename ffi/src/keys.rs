//! Public keys, introspection and maintenance.

use std::ffi::c_char;

use crate::engine::{ao_engine, engine_arg};
use crate::error::ao_result;
use crate::ffi::{into_c_string, opt_out_arg, opt_str_arg, out_arg, str_arg};

/// The public keys as a JWKS document (current key first, then previous
/// ones), for resource servers: writes `{"keys":[...]}` to `*out_json`; free
/// it with `ao_string_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_engine_jwks(
    engine: *const ao_engine,
    out_json: *mut *mut c_char,
) -> ao_result {
    crate::panic::call(engine, || {
        // SAFETY (both blocks): arguments are NULL or valid, per the API contract.
        let core = unsafe { engine_arg(engine) }?;
        let out = unsafe { out_arg(out_json, "out_json") }?;
        *out = into_c_string(serde_json::to_string(&core.jwks()).expect("JSON into memory"));
        Ok(())
    })
}

/// The current public key as PEM (`-----BEGIN PUBLIC KEY-----`), written to
/// `*out_pem`; free it with `ao_string_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_engine_public_key_pem(
    engine: *const ao_engine,
    out_pem: *mut *mut c_char,
) -> ao_result {
    crate::panic::call(engine, || {
        // SAFETY (both blocks): arguments are NULL or valid, per the API contract.
        let core = unsafe { engine_arg(engine) }?;
        let out = unsafe { out_arg(out_pem, "out_pem") }?;
        *out = into_c_string(core.public_key_pem());
        Ok(())
    })
}

/// The key id (`kid`) of the current signing key, written to `*out_kid`;
/// free it with `ao_string_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_engine_kid(
    engine: *const ao_engine,
    out_kid: *mut *mut c_char,
) -> ao_result {
    crate::panic::call(engine, || {
        // SAFETY (both blocks): arguments are NULL or valid, per the API contract.
        let core = unsafe { engine_arg(engine) }?;
        let out = unsafe { out_arg(out_kid, "out_kid") }?;
        *out = into_c_string(core.kid());
        Ok(())
    })
}

/// RFC 7662 introspection of an access or refresh token (D15). The caller
/// authenticates with its `Authorization` header value (NULL if none): an
/// agent token with a live session (`Bearer ...`) or a confidential client's
/// credentials (`Basic ...`); anything else is
/// `AO_RESULT_INVALID_ACCESS_TOKEN`. Writes
/// `{"active":true,"scope","client_id","token_type","exp","iat","nbf","sub",
/// "aud","jti"[,"act"]}` or `{"active":false}` to `*out_json`; free it with
/// `ao_string_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_engine_introspect(
    engine: *const ao_engine,
    authorization: *const c_char,
    token: *const c_char,
    out_json: *mut *mut c_char,
) -> ao_result {
    crate::panic::call(engine, || {
        // SAFETY (all blocks): arguments are NULL or valid, per the API contract.
        let core = unsafe { engine_arg(engine) }?;
        let authorization = unsafe { opt_str_arg(authorization, "authorization") }?;
        let token = unsafe { str_arg(token, "token") }?;
        let out = unsafe { out_arg(out_json, "out_json") }?;
        let answer = core.introspect(authorization, token)?;
        *out = into_c_string(serde_json::to_string(&answer).expect("JSON into memory"));
        Ok(())
    })
}

/// Deletes refresh-token families whose every token expired more than
/// `retention_seconds` ago. Writes the number of rows deleted to
/// `*out_deleted` unless it is NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_engine_purge_expired(
    engine: *const ao_engine,
    retention_seconds: u64,
    out_deleted: *mut usize,
) -> ao_result {
    crate::panic::call(engine, || {
        // SAFETY: NULL or a live handle.
        let core = unsafe { engine_arg(engine) }?;
        let deleted = core.purge_expired(retention_seconds)?;
        // SAFETY: NULL or writable, per the API contract.
        if let Some(out) = unsafe { opt_out_arg(out_deleted) } {
            *out = deleted;
        }
        Ok(())
    })
}
