//! The PHP extension on a database server (issue 11): four PHP processes,
//! one after another, on one PostgreSQL (then MariaDB) `database_url`; each
//! sees what the processes before it did (tests/php/server_store.php).
//!
//! Needs `php` and the extension this `cargo test` builds; without PHP a
//! local run prints `SKIPPED` and passes, under `CI` it fails.

#[path = "../../core/tests/common/mariadb_server.rs"]
mod mariadb_server;
#[path = "../../core/tests/pg/mod.rs"]
mod pg;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace")
        .to_path_buf()
}

/// The extension, built by this test: `cargo test` builds no cdylib for an
/// integration test, so it runs `cargo build -p agent_oauth_php` (the same
/// target directory and profile; php-ext/run-tests.sh reuses the result).
fn extension() -> &'static Path {
    static SO: OnceLock<PathBuf> = OnceLock::new();
    SO.get_or_init(|| {
        let exe = std::env::current_exe().expect("test binary");
        // target/<profile>/deps/<this test>
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("profile directory");
        let mut build = Command::new(env!("CARGO"));
        build.args(["build", "-p", "agent_oauth_php"]);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            build.arg("--release");
        }
        let status = build.status().expect("run cargo build");
        assert!(status.success(), "cargo build -p agent_oauth_php: {status}");
        profile_dir.join("libagent_oauth_php.so")
    })
}

fn php_available() -> bool {
    let found = Command::new("php").arg("--version").output().is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "php is required under CI (scripts/test-all.sh installs php8.2-cli)"
        );
        eprintln!("SKIPPED: php not found");
    }
    found
}

fn four_processes(url: &str, prefix: &str) {
    let config = |upgrade: bool| {
        serde_json::json!({
            "database_url": url,
            "table_prefix": prefix,
            "upgrade_schema": upgrade,
            "private_key_path": root().join("core/tests/keys/test-only-private-key.pem"),
            "argon2": {"memory_kib": 256, "iterations": 1, "parallelism": 1},
        })
        .to_string()
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state.json");
    for step in ["issue", "use", "revoke", "check"] {
        let out = Command::new("php")
            .arg("-n")
            .arg("-d")
            .arg(format!("extension={}", extension().display()))
            .arg(root().join("tests/php/server_store.php"))
            // The first process creates the tables, as a deployment step would.
            .args([step, &config(step == "issue")])
            .arg(&state)
            .output()
            .expect("run php");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout == format!("ok: {step}\n"),
            "step {step}: {}\nstdout: {stdout}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn four_php_processes_on_one_postgresql_see_each_others_sessions() {
    if !php_available() {
        return;
    }
    let Some(url) = pg::url() else {
        return;
    };
    four_processes(&url, "php_server_store_");
}

#[test]
fn four_php_processes_on_one_mariadb_see_each_others_sessions() {
    if !php_available() {
        return;
    }
    let Some(server) = mariadb_server::shared() else {
        return;
    };
    four_processes(&server.url(), &mariadb_server::prefix("php_server_store"));
}
