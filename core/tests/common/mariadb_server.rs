//! A real MariaDB server for the MySQL/MariaDB tests (issue 11): a new data
//! directory in a temporary folder, `mariadbd` on a free loopback port, a
//! database and a user with a password, and the server stopped again when the
//! test process exits.
//!
//! As root (CI) the server runs as the `mysql` system user, which MariaDB
//! requires; the temporary folder is opened to it. Each server is watched by
//! a small shell that stops it when its standard input closes, so even a
//! killed test process leaves no `mariadbd` behind.
//!
//! Durability: the servers run with `innodb_flush_log_at_trx_commit=2`
//! (each commit reaches the OS, the log is flushed to disk once a second).
//!
//! Missing binaries fail the test when `CI` is set; otherwise the tests say
//! `SKIPPED: MariaDB not found` and return early.
#![allow(dead_code)]

use std::io::Write as _;
use std::net::TcpListener;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The database the tests use.
pub const DATABASE: &str = "agent_oauth";
/// Its user.
pub const USER: &str = "agent_oauth";
/// The user's password: contains `secret`, which no error text or
/// description may show.
pub const PASSWORD: &str = "secret-pw-4711";

/// The binaries a server needs.
struct Binaries {
    install_db: PathBuf,
    server: PathBuf,
    client: PathBuf,
}

fn find(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/bin", "/sbin", "/usr/local/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn binaries() -> Option<Binaries> {
    Some(Binaries {
        install_db: find("mariadb-install-db")?,
        server: find("mariadbd")?,
        client: find("mariadb")?,
    })
}

/// The binaries, or `None` after saying loudly that the tests are skipped;
/// under CI a missing server is a failure.
fn binaries_or_skip() -> Option<Binaries> {
    let found = binaries();
    if found.is_none() {
        if std::env::var_os("CI").is_some() {
            panic!(
                "MariaDB not found (mariadbd, mariadb-install-db, mariadb): CI runs every \
                 backend; install Debian's mariadb-server (scripts/test-all.sh does)"
            );
        }
        eprintln!(
            "\n********************************************************\n\
             SKIPPED: MariaDB not found (install mariadb-server);\n\
             the MySQL/MariaDB tests did not run\n\
             ********************************************************\n"
        );
    }
    found
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// `program args...`, as the `mysql` user when running as root.
fn as_server_user(program: &Path) -> Command {
    match running_as_root() {
        true => {
            let mut c = Command::new("runuser");
            c.args(["-u", "mysql", "--"]).arg(program);
            c
        }
        false => Command::new(program),
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// One MariaDB server of the tests.
pub struct MariaDb {
    bin: Binaries,
    dir: PathBuf,
    /// Its TCP port on 127.0.0.1.
    pub port: u16,
    /// The watching shell and its standard input, while the server runs.
    watch: Mutex<Option<(Child, ChildStdin)>>,
}

impl MariaDb {
    /// A new server of its own (stopped and deleted on drop), or `None` when
    /// MariaDB is not installed and this is not CI.
    pub fn start() -> Option<MariaDb> {
        let bin = binaries_or_skip()?;
        let dir = std::env::temp_dir().join(format!(
            "agent-oauth-mariadb-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        // The server user must enter it and create its files there.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        let server = MariaDb {
            bin,
            dir,
            port: free_port(),
            watch: Mutex::new(None),
        };
        let mut install = as_server_user(&server.bin.install_db);
        install.args([
            "--no-defaults",
            &format!("--datadir={}", server.data().display()),
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ]);
        if running_as_root() {
            install.arg("--user=mysql");
        }
        let out = install.output().expect("mariadb-install-db runs");
        assert!(
            out.status.success(),
            "mariadb-install-db failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        server.run();
        server.sql(&format!(
            "CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
             CREATE USER '{USER}'@'127.0.0.1' IDENTIFIED BY '{PASSWORD}';
             CREATE USER '{USER}'@'localhost' IDENTIFIED BY '{PASSWORD}';
             GRANT ALL ON {DATABASE}.* TO '{USER}'@'127.0.0.1';
             GRANT ALL ON {DATABASE}.* TO '{USER}'@'localhost';"
        ));
        Some(server)
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn socket(&self) -> PathBuf {
        self.dir.join("sock")
    }

    /// `mysql://` URL of the test database, with user and password.
    pub fn url(&self) -> String {
        format!(
            "mysql://{USER}:{PASSWORD}@127.0.0.1:{}/{DATABASE}",
            self.port
        )
    }

    /// Starts `mariadbd` on the data directory and waits until it answers.
    pub fn run(&self) {
        let mut watch = self.watch.lock().unwrap();
        assert!(watch.is_none(), "the server runs already");
        let mut server = as_server_user(&self.bin.server);
        server.args([
            "--no-defaults".to_owned(),
            format!("--datadir={}", self.data().display()),
            format!("--port={}", self.port),
            "--bind-address=127.0.0.1".to_owned(),
            format!("--socket={}", self.socket().display()),
            format!("--pid-file={}", self.dir.join("pid").display()),
            format!("--log-error={}", self.dir.join("error.log").display()),
            "--innodb-flush-log-at-trx-commit=2".to_owned(),
            "--innodb-buffer-pool-size=64M".to_owned(),
            "--skip-name-resolve".to_owned(),
            "--max-connections=500".to_owned(),
        ]);
        // The shell starts the server, then waits for its standard input
        // to close (at exit, or when this process dies) and stops it: a
        // signal to `mariadbd` itself, so that `runuser` reaps it and
        // returns only once it has exited.
        let script = format!(
            "{command} & server=$!\n\
             read -r _\n\
             pid=$(cat {pid} 2>/dev/null)\n\
             kill -TERM \"${{pid:-$server}}\" 2>/dev/null\n\
             wait \"$server\"",
            command = shell_words(&server),
            pid = self.dir.join("pid").display(),
        );
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sh starts mariadbd");
        let stdin = child.stdin.take().expect("stdin");
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "mariadbd exited ({status}): {}",
                    std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
                );
            }
            if self.client("SELECT 1").is_ok() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "mariadbd did not answer within 120 s: {}",
                std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        *watch = Some((child, stdin));
    }

    /// Stops the server (a clean shutdown) and waits until it has exited.
    pub fn stop(&self) {
        let taken = self.watch.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some((mut child, mut stdin)) = taken {
            let _ = stdin.write_all(b"stop\n");
            drop(stdin);
            let _ = child.wait();
        }
    }

    fn client(&self, sql: &str) -> Result<String, String> {
        let out = Command::new(&self.bin.client)
            .args([
                "--no-defaults",
                "--user=root",
                "--batch",
                "--skip-column-names",
            ])
            .arg(format!("--socket={}", self.socket().display()))
            .args(["--default-character-set=utf8mb4", "-e", sql])
            .output()
            .map_err(|e| e.to_string())?;
        match out.status.success() {
            true => Ok(String::from_utf8_lossy(&out.stdout).into_owned()),
            false => Err(String::from_utf8_lossy(&out.stderr).into_owned()),
        }
    }

    /// Runs `sql` as root and returns its output (tab-separated rows).
    pub fn sql(&self, sql: &str) -> String {
        self.client(sql)
            .unwrap_or_else(|e| panic!("SQL failed: {e}\n{sql}"))
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The command line of `c`, quoted for `sh`.
fn shell_words(c: &Command) -> String {
    std::iter::once(c.get_program())
        .chain(c.get_args())
        .map(|w| format!("'{}'", w.to_string_lossy().replace('\'', r"'\''")))
        .collect::<Vec<_>>()
        .join(" ")
}

static SHARED: OnceLock<Option<MariaDb>> = OnceLock::new();

unsafe extern "C" {
    fn atexit(callback: extern "C" fn()) -> std::os::raw::c_int;
}

extern "C" fn stop_shared() {
    if let Some(Some(server)) = SHARED.get() {
        server.stop();
        let _ = std::fs::remove_dir_all(&server.dir);
    }
}

/// The server shared by every test of this process, started by the first
/// caller and stopped when the process exits; `None` when skipped.
pub fn shared() -> Option<&'static MariaDb> {
    SHARED
        .get_or_init(|| {
            let server = MariaDb::start();
            if server.is_some() {
                // Statics are not dropped: stop the server at exit.
                // SAFETY: registers a plain function; `atexit` has no other precondition.
                unsafe { atexit(stop_shared) };
            }
            server
        })
        .as_ref()
}

/// A table prefix of its own for the test `name`: readable, unique (a hash
/// of the whole name) and at most 32 characters, so every table name stays
/// far below MySQL's 64.
pub fn prefix(name: &str) -> String {
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let short: String = name.chars().take(20).collect();
    format!("t_{short}_{:08x}_", hash as u32)
}
