//! Rust engines, and the per-process cache that shares them between PHP
//! requests (D20).
//!
//! PHP-FPM keeps a worker alive across requests. `Engine::shared()` keeps one
//! Rust engine (database connections, parsed keys) per configuration in the
//! worker, so a request does not reopen the database or parse the key again.
//! Only Rust state is cached: the host callables stay on the PHP objects. The
//! cache is filled lazily, so an FPM master that never calls the engine
//! forks with an empty cache; a process that finds the cache filled by
//! another process id (a fork) starts over.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use agent_oauth_core::{Config, Engine, Result};

use crate::host::HostDirectory;

/// A Rust engine as the extension uses it.
pub struct CoreEngine {
    pub engine: Engine,
    /// Which build this is (1, 2, ... in this process), to tell engines apart.
    pub serial: u64,
}

static BUILDS: AtomicU64 = AtomicU64::new(0);

/// Builds an engine whose directories ask the current PHP object's callables,
/// falling back to its own database.
pub fn build(config: Config) -> Result<Arc<CoreEngine>> {
    let directory = Arc::new(HostDirectory::default());
    let engine = Engine::builder()
        .config(config)
        .agent_directory(directory.clone())
        .customer_directory(directory.clone())
        .build()?;
    let core = Arc::new(CoreEngine {
        engine,
        serial: BUILDS.fetch_add(1, Ordering::Relaxed) + 1,
    });
    directory.attach(Arc::downgrade(&core));
    Ok(core)
}

struct Cache {
    pid: u32,
    engines: HashMap<[u8; 32], Arc<CoreEngine>>,
}

static CACHE: Mutex<Option<Cache>> = Mutex::new(None);

/// The engine of this process for `config`, built on first use.
pub fn shared(config: Config) -> Result<Arc<CoreEngine>> {
    // Equal settings, one engine; the map keeps a hash, never the key itself.
    let key = config.fingerprint();
    let mut guard = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    let pid = std::process::id();
    let cache = guard.get_or_insert_with(|| Cache {
        pid,
        engines: HashMap::new(),
    });
    if cache.pid != pid {
        // A forked child: the parent's connections are the parent's. Closing
        // them here could disturb its database state, so they are left alone.
        for (_, engine) in cache.engines.drain() {
            std::mem::forget(engine);
        }
        cache.pid = pid;
    }
    if let Some(engine) = cache.engines.get(&key) {
        return Ok(engine.clone());
    }
    let engine = build(config)?;
    cache.engines.insert(key, engine.clone());
    Ok(engine)
}

/// Closes this process's shared engines (module shutdown), so their
/// databases are checkpointed and closed cleanly when a worker exits.
pub fn close_all() {
    let mut guard = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(cache) = guard.take() {
        if cache.pid == std::process::id() {
            drop(cache);
        } else {
            std::mem::forget(cache);
        }
    }
}

/// How many shared engines this process holds.
pub fn shared_count() -> usize {
    let guard = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    match guard.as_ref() {
        Some(cache) if cache.pid == std::process::id() => cache.engines.len(),
        _ => 0,
    }
}

/// How many engines this process has built, shared or not.
pub fn builds() -> u64 {
    BUILDS.load(Ordering::Relaxed)
}
