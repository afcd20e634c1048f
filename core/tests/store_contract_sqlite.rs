//! The storage contract suite on SQLite: a database file per test, so the
//! concurrency tests use several connections as several processes would.

#[macro_use]
mod contract;

use std::sync::Arc;
use std::time::Duration;

use agent_oauth_core::store::{self, OpenOptions, Store};

fn sqlite(name: &str) -> Arc<dyn Store> {
    let dir = std::env::temp_dir().join(format!("agent-oauth-contract-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.db"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    store::open(
        &format!("sqlite://{}", path.display()),
        OpenOptions {
            pool_size: 8,
            busy_timeout: Duration::from_secs(5),
            table_prefix: "agent_oauth_".into(),
            upgrade_schema: true,
        },
    )
    .unwrap()
}

contract_suite!(sqlite);
