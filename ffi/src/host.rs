//! Host directories (D19): C callbacks through which the host answers "find
//! agent by username", "find customer by reference" and optionally "search
//! customers" and "store a new password hash" from its own database.
//!
//! Buffer ownership: the host never hands memory to the library. A callback
//! that finds something writes its JSON answer into the library-owned
//! `ao_buffer` it was given, with `ao_buffer_set`, which copies the bytes; the
//! host frees its own memory whenever it likes. Strings the library passes to
//! a callback are borrowed for the duration of the call.

use std::ffi::{CString, c_char, c_int, c_void};
use std::sync::atomic::{AtomicBool, Ordering};

use agent_oauth_core::directory::{
    Agent, AgentDirectory, Customer, CustomerDirectory, CustomerPage, CustomerSearch,
};
use agent_oauth_core::{Error, Result};
use serde::de::DeserializeOwned;

use crate::error::{Failure, ao_result};

/// Callback status: done; for a lookup, the answer was written with `ao_buffer_set`.
pub const AO_HOST_OK: c_int = 0;
/// Callback status: no such agent or customer (or, for `update_password_hash`,
/// the hash was not stored).
pub const AO_HOST_NOT_FOUND: c_int = 1;
/// Callback status: the host failed (any value other than OK and NOT_FOUND
/// means the same). The engine call then fails with `AO_RESULT_DIRECTORY`.
pub const AO_HOST_ERROR: c_int = 2;

/// A library-owned output buffer handed to a lookup callback. It is valid
/// only during that callback; fill it with `ao_buffer_set`.
pub struct ao_buffer {
    bytes: Option<Vec<u8>>,
}

/// Copies `len` bytes from `data` into `buffer`, replacing earlier content.
/// Only valid inside the callback that received `buffer`. The bytes need no
/// NUL terminator; `data` stays the caller's.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_buffer_set(
    buffer: *mut ao_buffer,
    data: *const c_char,
    len: usize,
) -> ao_result {
    crate::panic::call(std::ptr::null::<ao_buffer>(), || {
        // SAFETY: NULL or the buffer passed to the running callback.
        let buffer = unsafe { buffer.as_mut() }.ok_or_else(|| Failure::null("buffer"))?;
        if data.is_null() {
            return Err(Failure::null("data"));
        }
        // SAFETY: the caller guarantees `len` readable bytes at `data`.
        let bytes = unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len) };
        buffer.bytes = Some(bytes.to_vec());
        Ok(())
    })
}

/// Looks up an agent: writes `{"id":1,"username":"...","password_hash":"...",
/// "status":"active"|"blocked"|"deleted"}` with `ao_buffer_set` and returns
/// `AO_HOST_OK`, or returns `AO_HOST_NOT_FOUND`.
pub type ao_find_agent_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        username: *const c_char,
        out: *mut ao_buffer,
    ) -> c_int,
>;

/// Looks up a customer by reference: writes `{"id_customer":5,
/// "customer_reference":"DE--5","email":"...","first_name":"...",
/// "last_name":"...","id_company_user":null,"permissions":null,
/// "is_active":true,"impersonation_allowed":true}` (the last two default to
/// true) and returns `AO_HOST_OK`, or returns `AO_HOST_NOT_FOUND`.
pub type ao_find_customer_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        customer_reference: *const c_char,
        out: *mut ao_buffer,
    ) -> c_int,
>;

/// Searches customers (Spryker's agent search: case-insensitive prefix of
/// e-mail, first or last name, or equal reference; ordered by id): writes
/// `{"customers":[...],"total":N}` for rows `offset` to `offset + limit` and
/// returns `AO_HOST_OK`. `q` may be empty (everyone).
pub type ao_search_customers_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        q: *const c_char,
        offset: u32,
        limit: u32,
        out: *mut ao_buffer,
    ) -> c_int,
>;

/// Stores a new password hash after a successful login with an outdated one
/// (an imported bcrypt hash): `AO_HOST_OK` if stored, `AO_HOST_NOT_FOUND` if not.
pub type ao_update_password_hash_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        agent_id: i64,
        username: *const c_char,
        new_hash: *const c_char,
    ) -> c_int,
>;

/// Releases the host's `user_data`.
pub type ao_free_user_data_fn = Option<unsafe extern "C" fn(user_data: *mut c_void)>;

/// The host's directory callbacks, copied by `ao_engine_new`.
///
/// Set `find_agent` to take agents from the host instead of the engine
/// database, `find_customer` (and optionally `search_customers`) to take
/// customers from it; a NULL member leaves that part to the engine database.
/// `search_customers` needs `find_customer`, `update_password_hash` needs
/// `find_agent`. Without `search_customers`, customer search fails with
/// `AO_RESULT_DIRECTORY`.
///
/// Callbacks may be called concurrently from every thread that uses the
/// engine, must return normally (no longjmp, no C++ exception), and must not
/// call back into the engine. `free_user_data`, if set, is called once when
/// the engine is freed, and not at all when `ao_engine_new` fails.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ao_host_directory {
    /// Passed as the first argument of every callback; owned by the host.
    pub user_data: *mut c_void,
    /// Optional: agents by username.
    pub find_agent: ao_find_agent_fn,
    /// Optional: customers by reference.
    pub find_customer: ao_find_customer_fn,
    /// Optional: customer search (needs `find_customer`).
    pub search_customers: ao_search_customers_fn,
    /// Optional: re-hash write-back (needs `find_agent`).
    pub update_password_hash: ao_update_password_hash_fn,
    /// Optional: releases `user_data` when the engine is freed.
    pub free_user_data: ao_free_user_data_fn,
}

/// The callbacks as the core's directory traits.
pub(crate) struct HostDirectory {
    table: ao_host_directory,
    /// False until the engine is built, so a failed `ao_engine_new` leaves
    /// `user_data` to the host.
    owns_user_data: AtomicBool,
}

// SAFETY: the documented contract makes the callbacks and `user_data` usable
// from any thread, concurrently.
unsafe impl Send for HostDirectory {}
// SAFETY: as above.
unsafe impl Sync for HostDirectory {}

impl HostDirectory {
    /// Checks the combination of callbacks.
    pub fn new(table: ao_host_directory) -> std::result::Result<Self, Failure> {
        if table.find_agent.is_none() && table.find_customer.is_none() {
            return Err(Failure::invalid(
                "host directory: set find_agent, find_customer or both",
            ));
        }
        if table.search_customers.is_some() && table.find_customer.is_none() {
            return Err(Failure::invalid(
                "host directory: search_customers needs find_customer",
            ));
        }
        if table.update_password_hash.is_some() && table.find_agent.is_none() {
            return Err(Failure::invalid(
                "host directory: update_password_hash needs find_agent",
            ));
        }
        Ok(HostDirectory {
            table,
            owns_user_data: AtomicBool::new(false),
        })
    }

    pub fn has_agents(&self) -> bool {
        self.table.find_agent.is_some()
    }

    pub fn has_customers(&self) -> bool {
        self.table.find_customer.is_some()
    }

    /// From now on `free_user_data` runs when the last reference goes.
    pub fn take_user_data(&self) {
        self.owns_user_data.store(true, Ordering::Release);
    }

    /// Runs a lookup callback and parses its answer; `None` for NOT_FOUND.
    fn lookup<T: DeserializeOwned>(
        &self,
        name: &str,
        call: impl FnOnce(*mut ao_buffer) -> c_int,
    ) -> Result<Option<T>> {
        let mut buffer = ao_buffer { bytes: None };
        let status = call(&mut buffer);
        match (status, buffer.bytes) {
            (AO_HOST_OK, Some(bytes)) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| Error::Directory(format!("{name} answered malformed JSON: {e}"))),
            (AO_HOST_OK, None) => Err(Error::Directory(format!(
                "{name} answered AO_HOST_OK without calling ao_buffer_set"
            ))),
            (AO_HOST_NOT_FOUND, _) => Ok(None),
            (other, _) => Err(Error::Directory(format!(
                "{name} failed with status {other}"
            ))),
        }
    }
}

impl Drop for HostDirectory {
    fn drop(&mut self) {
        if let Some(free) = self.table.free_user_data
            && self.owns_user_data.load(Ordering::Acquire)
        {
            // SAFETY: host contract; called exactly once, here.
            unsafe { free(self.table.user_data) };
        }
    }
}

/// A key from the engine as a C string. A key with a NUL byte (from a
/// request body) cannot name anything the host has, so it finds nothing.
fn key(s: &str) -> Option<CString> {
    CString::new(s).ok()
}

impl AgentDirectory for HostDirectory {
    fn find_by_username(&self, username: &str) -> Result<Option<Agent>> {
        let (Some(find), Some(username)) = (self.table.find_agent, key(username)) else {
            return Ok(None);
        };
        self.lookup("find_agent", |out| {
            // SAFETY: host contract; the arguments outlive the call.
            unsafe { find(self.table.user_data, username.as_ptr(), out) }
        })
    }

    fn update_password_hash(&self, agent: &Agent, new_hash: &str) -> Result<bool> {
        let (Some(update), Some(username), Some(hash)) = (
            self.table.update_password_hash,
            key(&agent.username),
            key(new_hash),
        ) else {
            return Ok(false);
        };
        // SAFETY: host contract; the arguments outlive the call.
        let status = unsafe {
            update(
                self.table.user_data,
                agent.id,
                username.as_ptr(),
                hash.as_ptr(),
            )
        };
        match status {
            AO_HOST_OK => Ok(true),
            AO_HOST_NOT_FOUND => Ok(false),
            other => Err(Error::Directory(format!(
                "update_password_hash failed with status {other}"
            ))),
        }
    }
}

impl CustomerDirectory for HostDirectory {
    fn find_by_reference(&self, customer_reference: &str) -> Result<Option<Customer>> {
        let (Some(find), Some(reference)) = (self.table.find_customer, key(customer_reference))
        else {
            return Ok(None);
        };
        self.lookup("find_customer", |out| {
            // SAFETY: host contract; the arguments outlive the call.
            unsafe { find(self.table.user_data, reference.as_ptr(), out) }
        })
    }

    fn search(&self, query: &CustomerSearch) -> Result<CustomerPage> {
        let Some(search) = self.table.search_customers else {
            return Err(Error::Directory(
                "the host directory has no search_customers callback".into(),
            ));
        };
        let Some(q) = key(&query.q) else {
            return Ok(CustomerPage {
                customers: Vec::new(),
                total: 0,
            });
        };
        self.lookup("search_customers", |out| {
            // SAFETY: host contract; the arguments outlive the call.
            unsafe {
                search(
                    self.table.user_data,
                    q.as_ptr(),
                    query.offset,
                    query.limit,
                    out,
                )
            }
        })?
        .ok_or_else(|| Error::Directory("search_customers answered AO_HOST_NOT_FOUND".into()))
    }
}
