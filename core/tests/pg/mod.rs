//! A real PostgreSQL server for the tests: Debian's binaries, a cluster in a
//! temporary directory, a free loopback port, run as the `postgres` system
//! user when the tests run as root (CI does; the server refuses root).
//!
//! [`shared`] starts one server per test process, stopped when the process
//! exits (an `atexit` hook, and a watchdog process should the test process be
//! killed). [`Server::start`] starts a private one, for tests that stop and
//! restart it. Without the binaries a local run prints `SKIPPED` and the
//! tests return early; under `CI` it fails.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The database the tests use on every server.
pub const DATABASE: &str = "agent_oauth_test";

/// A running cluster.
pub struct Server {
    bin: PathBuf,
    /// The temporary parent (world-writable, so `postgres` can enter it):
    /// holds the data directory, the socket and the log.
    root: PathBuf,
    pub port: u16,
}

static SHARED: OnceLock<Option<Server>> = OnceLock::new();

/// The server shared by the tests of this process, started on first use;
/// `None` (after a loud `SKIPPED`) when PostgreSQL is not installed.
pub fn shared() -> Option<&'static Server> {
    SHARED
        .get_or_init(|| {
            let server = Server::start()?;
            // SAFETY: registers a plain `extern "C"` function without arguments.
            unsafe { libc::atexit(stop_shared_at_exit) };
            Some(server)
        })
        .as_ref()
}

/// The shared server's URL for `database_url`, or `None` when skipped.
pub fn url() -> Option<String> {
    shared().map(|s| s.url())
}

extern "C" fn stop_shared_at_exit() {
    if let Some(Some(server)) = SHARED.get() {
        server.stop_and_remove();
    }
}

/// The directory of `initdb` and `pg_ctl`: the highest version installed.
fn find_binaries() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").exists() && bin.join("pg_ctl").exists()).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

impl Server {
    /// Starts a new cluster with the test database created, or `None` when
    /// the binaries are missing (a panic when `CI` is set).
    pub fn start() -> Option<Server> {
        let Some(bin) = find_binaries() else {
            if std::env::var_os("CI").is_some() {
                panic!(
                    "PostgreSQL not found under /usr/lib/postgresql/*/bin (initdb, pg_ctl): \
                     CI runs every backend; install Debian's `postgresql` package"
                );
            }
            eprintln!(
                "\n==== SKIPPED: PostgreSQL not found (/usr/lib/postgresql/*/bin); \
                 the PostgreSQL tests of this binary did not run ====\n"
            );
            return None;
        };
        let root = tempfile::Builder::new()
            .prefix("agent-oauth-pg-")
            .tempdir()
            .expect("tempdir")
            .keep();
        set_mode(&root, 0o777);
        let server = Server {
            bin,
            root,
            port: free_port(),
        };
        let data = server.data_dir();
        server.run(
            "initdb",
            &[
                "-D",
                path_str(&data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
                "--no-instructions",
            ],
        );
        server.start_again();
        server.watch_parent();
        let mut client = server.client("postgres");
        client
            .batch_execute(&format!("CREATE DATABASE {DATABASE}"))
            .expect("create database");
        Some(server)
    }

    /// `postgres://postgres@127.0.0.1:PORT/agent_oauth_test`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{DATABASE}", self.port)
    }

    /// The same URL with a password in it (trust authentication ignores
    /// it), to check that no error or description shows it.
    pub fn url_with_password(&self, password: &str) -> String {
        format!(
            "postgres://postgres:{password}@127.0.0.1:{}/{DATABASE}",
            self.port
        )
    }

    /// A plain client on `database`, for tests that reach under the store.
    pub fn client(&self, database: &str) -> postgres::Client {
        postgres::Client::connect(
            &format!(
                "host=127.0.0.1 port={} user=postgres dbname={database}",
                self.port
            ),
            postgres::NoTls,
        )
        .expect("connect to the test server")
    }

    fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    /// Starts (again) the stopped cluster, on the same port.
    pub fn start_again(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=300",
            self.port,
            path_str(&self.root)
        );
        self.run(
            "pg_ctl",
            &[
                "-D",
                path_str(&self.data_dir()),
                "-l",
                path_str(&self.root.join("server.log")),
                "-w",
                "-t",
                "60",
                "-o",
                &options,
                "start",
            ],
        );
    }

    /// Stops the cluster (fast shutdown: sessions are ended, as in a restart).
    pub fn stop(&self) {
        self.run(
            "pg_ctl",
            &["-D", path_str(&self.data_dir()), "-m", "fast", "-w", "stop"],
        );
    }

    /// Stops the cluster at once and deletes its files; quiet, for exits.
    pub fn stop_and_remove(&self) {
        let _ = self
            .command("pg_ctl")
            .args([
                "-D",
                path_str(&self.data_dir()),
                "-m",
                "immediate",
                "-w",
                "stop",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.root);
    }

    /// `program` from the server's binaries, as the `postgres` user when root.
    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        let mut command = match is_root() {
            true => {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]).arg(program);
                c
            }
            false => Command::new(program),
        };
        command.stdin(Stdio::null()).current_dir(&self.root);
        command
    }

    fn run(&self, program: &str, args: &[&str]) {
        let output = self
            .command(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
        if !output.status.success() {
            let log = std::fs::read_to_string(self.root.join("server.log")).unwrap_or_default();
            panic!(
                "{program} {args:?} failed: {}\n{}\n{}\nserver log:\n{log}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }

    /// A watchdog that stops the cluster should this process die without
    /// running its exit hooks (killed by a timeout or a signal).
    fn watch_parent(&self) {
        let pg_ctl = format!("{}/pg_ctl", path_str(&self.bin));
        let stop = match is_root() {
            true => format!("runuser -u postgres -- {pg_ctl}"),
            false => pg_ctl,
        };
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
             {stop} -D '{data}' -m immediate -w stop; rm -rf '{root}'",
            pid = std::process::id(),
            data = path_str(&self.data_dir()),
            root = path_str(&self.root),
        );
        // Never waited for: it outlives this process by design.
        #[allow(clippy::zombie_processes)]
        Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the watchdog");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop_and_remove();
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temporary path")
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}
