//! `ao_engine`: the opaque engine handle C programs create, share and free.

use std::ffi::c_char;
use std::sync::Arc;

use agent_oauth_core::{Config, Engine};

use crate::error::{Failure, forget_last_error, last_error};
use crate::ffi::{out_arg, str_arg};
use crate::host::{HostDirectory, ao_host_directory};

/// An engine: keys, database and settings. Create it with `ao_engine_new` or
/// `ao_engine_new_from_file`, free it with `ao_engine_free`.
///
/// Thread safety: one handle may be used from any number of threads at once
/// (calls do not need a lock around them). Only `ao_engine_free` must not
/// race with other calls on the same handle.
pub struct ao_engine {
    core: Engine,
}

impl ao_engine {
    /// Wraps an engine a Rust program built itself (with its own clock,
    /// directories or hasher) as a C handle; free it with `ao_engine_free`.
    pub fn from_core(core: Engine) -> *mut ao_engine {
        Box::into_raw(Box::new(ao_engine { core }))
    }

    /// The core engine behind the handle.
    pub fn core(&self) -> &Engine {
        &self.core
    }
}

/// The engine behind a handle argument.
///
/// # Safety
/// `p` is NULL or a live handle.
pub(crate) unsafe fn engine_arg<'a>(p: *const ao_engine) -> Result<&'a Engine, Failure> {
    // SAFETY: per the function contract.
    unsafe { p.as_ref() }
        .map(|e| &e.core)
        .ok_or_else(|| Failure::null("engine"))
}

fn build(
    config: Config,
    host: *const ao_host_directory,
    out: *mut *mut ao_engine,
) -> Result<(), Failure> {
    // SAFETY: NULL or a valid struct, per the API contract.
    let host = unsafe { host.as_ref() }
        .map(|table| HostDirectory::new(*table).map(Arc::new))
        .transpose()?;
    // SAFETY: NULL or writable, per the API contract.
    let out = unsafe { out_arg(out, "out") }?;
    let mut builder = Engine::builder().config(config);
    if let Some(host) = &host {
        if host.has_agents() {
            builder = builder.agent_directory(host.clone());
        }
        if host.has_customers() {
            builder = builder.customer_directory(host.clone());
        }
    }
    let core = builder.build()?;
    if let Some(host) = host {
        host.take_user_data();
    }
    *out = ao_engine::from_core(core);
    Ok(())
}

/// Creates an engine from a JSON configuration: the core's one schema (D10),
/// snake_case keys, durations in seconds, unknown keys refused. A private key
/// (`private_key_pem` or `private_key_path`) is the only required setting;
/// for example `{"private_key_path":"/etc/shop/jwt.key",
/// "database_path":"/var/lib/agent-oauth.db"}`.
///
/// `host` is optional (NULL: agents and customers live in the engine
/// database); when given, its callbacks are copied. On success writes the
/// handle to `*out`; free it with `ao_engine_free`. A bad configuration is
/// `AO_RESULT_CONFIG`, a database that cannot be opened `AO_RESULT_STORAGE`;
/// `ao_last_error()` says why.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_engine_new(
    config_json: *const c_char,
    host: *const ao_host_directory,
    out: *mut *mut ao_engine,
) -> crate::error::ao_result {
    crate::panic::call(std::ptr::null::<ao_engine>(), || {
        // SAFETY: per the API contract.
        let json = unsafe { str_arg(config_json, "config_json") }?;
        if out.is_null() {
            return Err(Failure::null("out"));
        }
        build(Config::from_json(json)?, host, out)
    })
}

/// As `ao_engine_new`, with the JSON configuration read from a file.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_engine_new_from_file(
    config_path: *const c_char,
    host: *const ao_host_directory,
    out: *mut *mut ao_engine,
) -> crate::error::ao_result {
    crate::panic::call(std::ptr::null::<ao_engine>(), || {
        // SAFETY: per the API contract.
        let path = unsafe { str_arg(config_path, "config_path") }?;
        if out.is_null() {
            return Err(Failure::null("out"));
        }
        let json = std::fs::read_to_string(path).map_err(|e| {
            agent_oauth_core::Error::Config(format!("cannot read configuration {path:?}: {e}"))
        })?;
        build(Config::from_json(&json)?, host, out)
    })
}

/// Frees an engine, closing its database and calling the host's
/// `free_user_data`. `ao_engine_free(NULL)` does nothing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_engine_free(engine: *mut ao_engine) {
    crate::panic::value(|| {
        if !engine.is_null() {
            forget_last_error(engine as usize);
            // SAFETY: `engine` came from `ao_engine_new` and is freed once.
            drop(unsafe { Box::from_raw(engine) });
        }
    })
}

/// The message of the last call on `engine` that failed on the calling
/// thread, or NULL if this thread's last failure was not on `engine` (or
/// nothing failed). Each thread has its own last error, so threads sharing an
/// engine never see each other's messages.
///
/// The string belongs to the library and stays valid until the next failing
/// `ao_*` call on the same thread: do not free it. Successful calls do not
/// clear it; read it right after a call returned a code other than
/// `AO_RESULT_OK`. Messages never contain a password, token or hash.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_engine_last_error(engine: *const ao_engine) -> *const c_char {
    crate::panic::value(|| match engine.is_null() {
        true => std::ptr::null(),
        false => last_error(Some(engine as usize)),
    })
}
