//! PHP extension of agent-oauth: the Rust engine inside a PHP/Spryker shop.
//!
//! Everything lives in namespace `AgentOauth\`: the [`engine::Engine`] class,
//! the Spryker-shaped plugin classes ([`spryker`]) and the exception
//! hierarchy ([`exceptions`]). The extension only converts types and calls
//! `agent-oauth-core`; it has no rules of its own. `agent_oauth.stub.php`
//! documents the PHP API.
#![cfg_attr(windows, feature(abi_vectorcall))]

mod convert;
mod engine;
mod exceptions;
mod host;
mod shared;
mod spryker;

use ext_php_rs::{info_table_end, info_table_row, info_table_start, prelude::*, zend::ModuleEntry};

/// The extension's version (`AgentOauth\VERSION`, `phpversion('agent_oauth_php')`).
#[php_const]
#[php(name = "AgentOauth\\VERSION")]
pub const AGENT_OAUTH_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The `phpinfo()` section. It must not panic: nothing catches it here.
pub extern "C" fn module_info(_module: *mut ModuleEntry) {
    info_table_start!();
    info_table_row!("agent_oauth support", "enabled");
    info_table_row!("agent_oauth version", AGENT_OAUTH_VERSION);
    info_table_row!("crypto backend", "aws-lc-rs");
    info_table_row!(
        "SQLite version",
        agent_oauth_core::store::embedded_sqlite_version()
    );
    info_table_row!("shared engines", shared::shared_count().to_string());
    info_table_end!();
}

/// Module startup (MINIT): registers the exception classes before the
/// classes that throw them. A panic here is not caught by ext-php-rs.
unsafe extern "C" fn module_startup(_type: i32, _module_number: i32) -> i32 {
    match std::panic::catch_unwind(exceptions::register) {
        Ok(Ok(())) => 0,
        _ => -1,
    }
}

/// Module shutdown (MSHUTDOWN): closes the shared engines. Not caught either.
unsafe extern "C" fn module_shutdown(_type: i32, _module_number: i32) -> i32 {
    match std::panic::catch_unwind(shared::close_all) {
        Ok(()) => 0,
        Err(_) => -1,
    }
}

/// For benchmarks only, in builds with the cargo feature `bench` (never in
/// the public class): runs the core's impersonation `$n` times natively on
/// `$engine`, with the arguments `impersonateCustomer()` takes; the seconds
/// it took. `php-ext/bench/impersonation.php` compares it with the rate
/// through the extension.
#[cfg(feature = "bench")]
#[php_function]
#[php(name = "AgentOauth\\Bench\\core_impersonations")]
pub fn bench_core_impersonations(
    engine: &engine::Engine,
    agent_token: &str,
    customer_reference: &str,
    client_ip: &str,
    n: i64,
) -> PhpResult<f64> {
    engine.bench_core_impersonations(agent_token, customer_reference, client_ip, n)
}

#[php_module]
pub fn get_module(module: ModuleBuilder) -> ModuleBuilder {
    #[cfg(feature = "bench")]
    let module = module.function(wrap_function!(bench_core_impersonations));
    module
        .startup_function(module_startup)
        .shutdown_function(module_shutdown)
        .info_function(module_info)
        .constant(wrap_constant!(AGENT_OAUTH_VERSION))
        .class::<engine::Engine>()
        .class::<spryker::AgentOauthUserProvider>()
        .class::<spryker::AgentOauthScopeProvider>()
        .class::<spryker::AgentCredentialsOauthGrantTypeConfigurationProvider>()
        .class::<spryker::AgentOauthScopeInstaller>()
        .class::<spryker::CustomerImpersonationOauthUserProvider>()
        .class::<spryker::CustomerImpersonationOauthScopeProvider>()
}
