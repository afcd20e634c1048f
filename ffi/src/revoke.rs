//! Revocation (D8): a caller's own sessions, or all of an agent's or a customer's.

use std::ffi::c_char;

use crate::engine::{ao_engine, engine_arg};
use crate::error::ao_result;
use crate::ffi::{opt_out_arg, str_arg};

fn report(out_revoked: *mut usize, revoked: usize) {
    // SAFETY: NULL or writable, per the API contract.
    if let Some(out) = unsafe { opt_out_arg(out_revoked) } {
        *out = revoked;
    }
}

/// Revokes the session (refresh-token family) of `refresh_token` if the
/// caller may (RFC 7009): an agent its own sessions and the impersonations it
/// started, an impersonation caller those of the same customer by the same
/// agent. A token the caller may not revoke, or an unknown one, changes
/// nothing and still succeeds. `caller_access_token` must be valid and live
/// (else `AO_RESULT_INVALID_ACCESS_TOKEN`). Writes the number of sessions
/// revoked to `*out_revoked` unless it is NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_engine_revoke(
    engine: *const ao_engine,
    caller_access_token: *const c_char,
    refresh_token: *const c_char,
    client_ip: *const c_char,
    out_revoked: *mut usize,
) -> ao_result {
    crate::panic::call(engine, || {
        // SAFETY (all blocks): arguments are NULL or valid, per the API contract.
        let core = unsafe { engine_arg(engine) }?;
        let caller = unsafe { str_arg(caller_access_token, "caller_access_token") }?;
        let token = unsafe { str_arg(refresh_token, "refresh_token") }?;
        let client_ip = unsafe { str_arg(client_ip, "client_ip") }?;
        report(out_revoked, core.revoke(caller, token, client_ip)?);
        Ok(())
    })
}

/// Revokes all of the caller's own sessions (`DELETE /refresh-tokens/mine`):
/// for an agent token every session of the agent and every impersonation it
/// started; for an impersonation token that customer's sessions by that
/// agent. Writes the count to `*out_revoked` unless it is NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_engine_revoke_mine(
    engine: *const ao_engine,
    caller_access_token: *const c_char,
    client_ip: *const c_char,
    out_revoked: *mut usize,
) -> ao_result {
    crate::panic::call(engine, || {
        // SAFETY (all blocks): arguments are NULL or valid, per the API contract.
        let core = unsafe { engine_arg(engine) }?;
        let caller = unsafe { str_arg(caller_access_token, "caller_access_token") }?;
        let client_ip = unsafe { str_arg(client_ip, "client_ip") }?;
        report(out_revoked, core.revoke_mine(caller, client_ip)?);
        Ok(())
    })
}

/// Administration: revokes every session of an agent and every impersonation
/// it started. Writes the count to `*out_revoked` unless it is NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_engine_revoke_agent(
    engine: *const ao_engine,
    agent_id: i64,
    out_revoked: *mut usize,
) -> ao_result {
    crate::panic::call(engine, || {
        // SAFETY: NULL or a live handle.
        let core = unsafe { engine_arg(engine) }?;
        report(out_revoked, core.revoke_all_for_agent(agent_id)?);
        Ok(())
    })
}

/// Administration: revokes every impersonation session of one customer.
/// Writes the count to `*out_revoked` unless it is NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_engine_revoke_customer(
    engine: *const ao_engine,
    customer_reference: *const c_char,
    out_revoked: *mut usize,
) -> ao_result {
    crate::panic::call(engine, || {
        // SAFETY (all blocks): arguments are NULL or valid, per the API contract.
        let core = unsafe { engine_arg(engine) }?;
        let reference = unsafe { str_arg(customer_reference, "customer_reference") }?;
        report(out_revoked, core.revoke_all_for_customer(reference)?);
        Ok(())
    })
}
