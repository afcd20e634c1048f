//! Administration: agents, customers, customer search, scopes, clients,
//! grant types and the audit log.

use std::ffi::c_char;

use agent_oauth_core::audit::AuditQuery;
use agent_oauth_core::directory::{AgentStatus, Customer};
use agent_oauth_core::{scope, search};
use serde::Serialize;

use crate::engine::{ao_engine, engine_arg};
use crate::error::{Failure, ao_result};
use crate::ffi::{into_c_string, opt_out_arg, opt_str_arg, out_arg, str_arg};

/// Agent status: may log in and act.
pub const AO_AGENT_STATUS_ACTIVE: u32 = 0;
/// Agent status: refused at login; its sessions are revoked.
pub const AO_AGENT_STATUS_BLOCKED: u32 = 1;
/// Agent status: refused at login; its sessions are revoked.
pub const AO_AGENT_STATUS_DELETED: u32 = 2;

fn status_arg(status: u32) -> Result<AgentStatus, Failure> {
    match status {
        AO_AGENT_STATUS_ACTIVE => Ok(AgentStatus::Active),
        AO_AGENT_STATUS_BLOCKED => Ok(AgentStatus::Blocked),
        AO_AGENT_STATUS_DELETED => Ok(AgentStatus::Deleted),
        other => Err(Failure::invalid(format!("unknown agent status {other}"))),
    }
}

/// JSON for C: serializing plain data cannot fail.
fn to_json(value: &impl Serialize) -> *mut c_char {
    into_c_string(serde_json::to_string(value).expect("JSON into memory"))
}

/// Writes an optional id out-parameter.
fn report_id(out_id: *mut i64, id: i64) {
    // SAFETY: NULL or writable, per the API contract.
    if let Some(out) = unsafe { opt_out_arg(out_id) } {
        *out = id;
    }
}

/// Adds an agent to the engine database with a password (hashed with the
/// configured argon2id) and an `AO_AGENT_STATUS_*` status. Writes its new id
/// to `*out_id` unless it is NULL. An empty username or password is
/// `AO_RESULT_INVALID_REQUEST`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_engine_add_agent(
    engine: *const ao_engine,
    username: *const c_char,
    password: *const c_char,
    status: u32,
    out_id: *mut i64,
) -> ao_result {
    crate::panic::call(engine, || {
        // SAFETY (all blocks): arguments are NULL or valid, per the API contract.
        let core = unsafe { engine_arg(engine) }?;
        let username = unsafe { str_arg(username, "username") }?;
        let password = unsafe { str_arg(password, "password") }?;
        let status = status_arg(status)?;
        report_id(out_id, core.add_agent(username, password, status)?);
        Ok(())
    })
}

/// As `ao_engine_add_agent`, under a given id (Spryker's `spy_user.id_user`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_engine_add_agent_with_id(
    engine: *const ao_engine,
    agent_id: i64,
    username: *const c_char,
    password: *const c_char,
    status: u32,
    out_id: *mut i64,
) -> ao_result {
    crate::panic::call(engine, || {
        // SAFETY (all blocks): arguments are NULL or valid, per the API contract.
        let core = unsafe { engine_arg(engine) }?;
        let username = unsafe { str_arg(username, "username") }?;
        let password = unsafe { str_arg(password, "password") }?;
        let status = status_arg(status)?;
        report_id(
            out_id,
            core.add_agent_with_id(Some(agent_id), username, password, status)?,
        );
        Ok(())
    })
}

/// Imports an agent row from Spryker's `spy_user` with its existing hash
/// (bcrypt `$2y$...`), keeping its id; the hash becomes argon2id after the
/// agent's next successful login. Writes the id to `*out_id` unless NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_engine_import_agent(
    engine: *const ao_engine,
    agent_id: i64,
    username: *const c_char,
    password_hash: *const c_char,
    status: u32,
    out_id: *mut i64,
) -> ao_result {
    crate::panic::call(engine, || {
        // SAFETY (all blocks): arguments are NULL or valid, per the API contract.
        let core = unsafe { engine_arg(engine) }?;
        let username = unsafe { str_arg(username, "username") }?;
        let hash = unsafe { str_arg(password_hash, "password_hash") }?;
        let status = status_arg(status)?;
        report_id(out_id, core.import_agent(agent_id, username, hash, status)?);
        Ok(())
    })
}

/// Sets an agent's `AO_AGENT_STATUS_*` status. Blocking or deleting revokes
/// all its sessions and the impersonations it started.
/// `AO_RESULT_NOT_FOUND` if there is no such agent.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_engine_set_agent_status(
    engine: *const ao_engine,
    agent_id: i64,
    status: u32,
) -> ao_result {
    crate::panic::call(engine, || {
        // SAFETY: NULL or a live handle.
        let core = unsafe { engine_arg(engine) }?;
        let status = status_arg(status)?;
        agent_found(core.set_agent_status(agent_id, status)?, agent_id)
    })
}

/// Sets a new password for an agent. `AO_RESULT_NOT_FOUND` if there is no
/// such agent.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_engine_set_agent_password(
    engine: *const ao_engine,
    agent_id: i64,
    password: *const c_char,
) -> ao_result {
    crate::panic::call(engine, || {
        // SAFETY (both blocks): arguments are NULL or valid, per the API contract.
        let core = unsafe { engine_arg(engine) }?;
        let password = unsafe { str_arg(password, "password") }?;
        agent_found(core.set_agent_password(agent_id, password)?, agent_id)
    })
}

/// Adds or replaces (by `id_customer`) a customer in the engine database,
/// from the D19 JSON: `{"id_customer":5,"customer_reference":"DE--5",
/// "email":"...","first_name":"...","last_name":"...",
/// "id_company_user":null,"permissions":null,"is_active":true,
/// "impersonation_allowed":true}`; the last two default to true.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_engine_upsert_customer(
    engine: *const ao_engine,
    customer_json: *const c_char,
) -> ao_result {
    crate::panic::call(engine, || {
        // SAFETY (both blocks): arguments are NULL or valid, per the API contract.
        let core = unsafe { engine_arg(engine) }?;
        let json = unsafe { str_arg(customer_json, "customer_json") }?;
        let customer: Customer =
            serde_json::from_str(json).map_err(|e| Failure::json("customer_json", &e))?;
        core.upsert_customer(&customer)?;
        Ok(())
    })
}

/// Looks up a customer by reference in the configured directory (the host's
/// callbacks or the engine database). On success writes its D19 JSON to
/// `*out_json` (free with `ao_string_free`); `AO_RESULT_NOT_FOUND` if none.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_engine_find_customer(
    engine: *const ao_engine,
    customer_reference: *const c_char,
    out_json: *mut *mut c_char,
) -> ao_result {
    crate::panic::call(engine, || {
        // SAFETY (all blocks): arguments are NULL or valid, per the API contract.
        let core = unsafe { engine_arg(engine) }?;
        let reference = unsafe { str_arg(customer_reference, "customer_reference") }?;
        let out = unsafe { out_arg(out_json, "out_json") }?;
        let customer = core
            .find_customer(reference)?
            .ok_or_else(|| Failure::not_found(format!("no customer {reference:?}")))?;
        *out = to_json(&customer);
        Ok(())
    })
}

/// One page of a customer search, with the paging actually applied.
#[derive(Serialize)]
struct SearchAnswer {
    customers: Vec<Customer>,
    total: u64,
    offset: u32,
    limit: u32,
}

/// Searches customers as Spryker's agent customer search does: `q` is a
/// case-insensitive prefix of e-mail, first or last name, or an equal
/// reference (empty: everyone), ordered by id. `offset` and `limit` both 0
/// mean no paging (the first 10); a `limit` of 0 with an offset is
/// `AO_RESULT_INVALID_REQUEST` ("Pagination parameters are invalid."), as
/// Glue answers it; otherwise the limit is clamped to 1..100 and `offset`
/// rounded down to a page boundary (D14). This call checks no token: the
/// host authorises its caller (the Glue handler's `/agent-customer-search`
/// requires an agent token).
///
/// On success writes `{"customers":[<D19 customer>...],"total":N,
/// "offset":O,"limit":L}` to `*out_json`; free it with `ao_string_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_engine_search_customers(
    engine: *const ao_engine,
    q: *const c_char,
    offset: u64,
    limit: u64,
    out_json: *mut *mut c_char,
) -> ao_result {
    crate::panic::call(engine, || {
        // SAFETY (all blocks): arguments are NULL or valid, per the API contract.
        let core = unsafe { engine_arg(engine) }?;
        let q = unsafe { str_arg(q, "q") }?;
        let out = unsafe { out_arg(out_json, "out_json") }?;
        // 0 and 0 stand for "no paging"; the rule itself is the core's.
        let paging = match (offset, limit) {
            (0, 0) => search::paging(None, None),
            (offset, limit) => search::paging(Some(offset), Some(limit)),
        }?;
        let query = search::page(q, paging);
        let page = core.search_customers(&query)?;
        *out = to_json(&SearchAnswer {
            customers: page.customers,
            total: page.total,
            offset: query.offset,
            limit: query.limit,
        });
        Ok(())
    })
}

/// Installs the scopes `agent`, `customer` and `customer_impersonation` where
/// missing (Spryker's scope installer plugins); idempotent. Writes the JSON
/// array of the scopes added to `*out_added_json` unless it is NULL (free it
/// with `ao_string_free`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_engine_install_scopes(
    engine: *const ao_engine,
    out_added_json: *mut *mut c_char,
) -> ao_result {
    crate::panic::call(engine, || {
        // SAFETY: NULL or a live handle.
        let core = unsafe { engine_arg(engine) }?;
        let added = core.install_scopes()?;
        // SAFETY: NULL or writable, per the API contract.
        if let Some(out) = unsafe { opt_out_arg(out_added_json) } {
            *out = to_json(&added);
        }
        Ok(())
    })
}

/// Installs the configured client (`frontend` by default) as a public
/// client when it is missing; idempotent.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_engine_install_default_client(engine: *const ao_engine) -> ao_result {
    crate::panic::call(engine, || {
        // SAFETY: NULL or a live handle.
        let core = unsafe { engine_arg(engine) }?;
        core.install_default_client()?;
        Ok(())
    })
}

/// Adds or replaces a confidential client with a secret (stored hashed),
/// such as a back office that calls token introspection.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_engine_set_client_secret(
    engine: *const ao_engine,
    client_id: *const c_char,
    name: *const c_char,
    secret: *const c_char,
) -> ao_result {
    crate::panic::call(engine, || {
        // SAFETY (all blocks): arguments are NULL or valid, per the API contract.
        let core = unsafe { engine_arg(engine) }?;
        let client_id = unsafe { str_arg(client_id, "client_id") }?;
        let name = unsafe { str_arg(name, "name") }?;
        let secret = unsafe { str_arg(secret, "secret") }?;
        core.set_client_secret(client_id, name, secret)?;
        Ok(())
    })
}

/// The grant types the engine serves, in Spryker's naming (its
/// `OauthGrantTypeConfigurationTransfer`): writes
/// `[{"identifier":"agent_credentials","fully_qualified_class_name":"..."},...]`
/// to `*out_json`; free it with `ao_string_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_grant_type_configurations(out_json: *mut *mut c_char) -> ao_result {
    crate::panic::call(std::ptr::null::<ao_engine>(), || {
        // SAFETY: NULL or writable, per the API contract.
        let out = unsafe { out_arg(out_json, "out_json") }?;
        *out = to_json(&scope::grant_type_configurations());
        Ok(())
    })
}

/// The scopes a grant type issues (Spryker's scope provider plugins), as a
/// JSON array written to `*out_json` (free with `ao_string_free`); `[]` for
/// `refresh_token`, which keeps the refreshed token's scopes.
/// `AO_RESULT_NOT_FOUND` for a grant type the engine does not serve.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_grant_type_scopes(
    grant_type: *const c_char,
    out_json: *mut *mut c_char,
) -> ao_result {
    crate::panic::call(std::ptr::null::<ao_engine>(), || {
        // SAFETY (both blocks): arguments are NULL or valid, per the API contract.
        let grant_type = unsafe { str_arg(grant_type, "grant_type") }?;
        let out = unsafe { out_arg(out_json, "out_json") }?;
        let scopes = agent_oauth_core::grant::scopes_for(grant_type)
            .ok_or_else(|| Failure::not_found(format!("unknown grant type {grant_type:?}")))?;
        *out = to_json(&scopes);
        Ok(())
    })
}

/// Audit events, oldest first, filtered by `query_json` (NULL or `{}`: all):
/// `{"agent_id":1,"customer_reference":"DE--5","from":<unix>,"to":<unix>,
/// "limit":100}`, every key optional (`from` inclusive, `to` exclusive,
/// limit 0 or absent: 1000). Writes a JSON array of
/// `{"id","at","kind","agent_id","agent_username","customer_reference",
/// "client_ip","jti","reason","code"}` to `*out_json`; free it with
/// `ao_string_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_engine_audit_query(
    engine: *const ao_engine,
    query_json: *const c_char,
    out_json: *mut *mut c_char,
) -> ao_result {
    crate::panic::call(engine, || {
        // SAFETY (all blocks): arguments are NULL or valid, per the API contract.
        let core = unsafe { engine_arg(engine) }?;
        let json = unsafe { opt_str_arg(query_json, "query_json") }?;
        let out = unsafe { out_arg(out_json, "out_json") }?;
        let query: AuditQuery = serde_json::from_str(json.unwrap_or("{}"))
            .map_err(|e| Failure::json("query_json", &e))?;
        let events = core.audit_events(&query)?;
        *out = to_json(&events);
        Ok(())
    })
}

/// `AO_RESULT_NOT_FOUND` when an agent update found no agent with this id.
fn agent_found(found: bool, agent_id: i64) -> Result<(), Failure> {
    match found {
        true => Ok(()),
        false => Err(Failure::not_found(format!("no agent with id {agent_id}"))),
    }
}
