//! Compiles the C programs in `tests/c/` and `examples/c/` with
//! `-std=c11 -Wall -Wextra -Werror -pedantic` against both the shared and the
//! static library, and runs each under valgrind (zero errors, zero definite
//! or indirect leaks). Valgrind is required: CI installs it.
//!
//! `cargo test` builds the cdylib and staticlib next to this test binary in
//! `target/<profile>/deps` (it does not copy them up as `cargo build` does),
//! so they are found from `current_exe()`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// What a C program needs to link the staticlib on Linux
/// (`cargo rustc --lib -- --print native-static-libs`).
const NATIVE_STATIC_LIBS: &[&str] = &[
    "-lgcc_s",
    "-lutil",
    "-lrt",
    "-lpthread",
    "-lm",
    "-ldl",
    "-lc",
];
const CFLAGS: &[&str] = &[
    "-std=c11",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-pedantic",
    "-g",
    "-pthread",
];
const VALGRIND: &[&str] = &[
    "-q",
    "--leak-check=full",
    "--errors-for-leak-kinds=definite,indirect",
    "--error-exitcode=99",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn key_path() -> String {
    root()
        .join("core/tests/keys/test-only-private-key.pem")
        .display()
        .to_string()
}

/// `target/<profile>/deps`, where cargo put the libraries of this build.
fn lib_dir() -> PathBuf {
    std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf()
}

fn work_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("c_programs");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn tool(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| default.to_owned())
}

/// The shared library under its SONAME, plus the link-time name, in a
/// directory of their own (the build writes only `libagent_oauth.so`).
fn shared_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = work_dir().join("lib");
        std::fs::create_dir_all(&dir).unwrap();
        let so = dir.join("libagent_oauth.so.0");
        let _ = std::fs::remove_file(&so);
        std::fs::copy(lib_dir().join("libagent_oauth.so"), &so).unwrap();
        let link = dir.join("libagent_oauth.so");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink("libagent_oauth.so.0", &link).unwrap();
        dir
    })
}

#[derive(Clone, Copy, Debug)]
enum Link {
    Shared,
    Static,
}

fn compile(source: &Path, link: Link) -> PathBuf {
    let stem = source.file_stem().unwrap().to_str().unwrap();
    let exe = work_dir().join(format!("{stem}_{link:?}").to_lowercase());
    let mut cmd = Command::new(tool("CC", "cc"));
    cmd.args(CFLAGS)
        .arg(format!("-I{}", root().join("include").display()))
        .arg(source)
        .arg("-o")
        .arg(&exe);
    match link {
        Link::Shared => {
            let dir = shared_dir();
            cmd.arg(format!("-L{}", dir.display()))
                .arg(format!("-Wl,-rpath,{}", dir.display()))
                .arg("-lagent_oauth");
        }
        // By path: with -lagent_oauth the linker would prefer the .so.
        Link::Static => {
            cmd.arg(lib_dir().join("libagent_oauth.a"))
                .args(NATIVE_STATIC_LIBS);
        }
    }
    let out = cmd.output().expect("run $CC");
    assert!(
        out.status.success(),
        "compiling {}:\n{}",
        source.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

/// Runs a program under valgrind; fails when valgrind is missing.
fn run_under_valgrind(exe: &Path, args: &[String]) -> Output {
    let suppressions = root().join("ffi/tests/valgrind.supp");
    let out = Command::new(tool("VALGRIND", "valgrind"))
        .args(VALGRIND)
        .arg(format!("--suppressions={}", suppressions.display()))
        .arg(exe)
        .args(args)
        .output()
        .expect("valgrind is required for the C tests (apt-get install valgrind)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{} exited with {:?}:\n{stderr}",
        exe.display(),
        out.status
    );
    // Nothing on stderr: no valgrind report, and caught panics are silent.
    assert_eq!(stderr, "", "{}", exe.display());
    out
}

fn c_test(name: &str, link: Link, args: &[String]) {
    let exe = compile(&root().join("tests/c").join(name), link);
    let out = run_under_valgrind(&exe, args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("ok: "), "{stdout}");
}

fn scratch() -> String {
    let dir = tempfile::tempdir_in(work_dir()).unwrap();
    dir.keep().display().to_string()
}

#[test]
fn flow_against_the_shared_library() {
    c_test("flow.c", Link::Shared, &[key_path(), scratch()]);
}

#[test]
fn flow_against_the_static_library() {
    c_test("flow.c", Link::Static, &[key_path(), scratch()]);
}

#[test]
fn glue_against_the_shared_library() {
    c_test("glue.c", Link::Shared, &[key_path()]);
}

#[test]
fn glue_against_the_static_library() {
    c_test("glue.c", Link::Static, &[key_path()]);
}

#[test]
fn key_forms_against_the_shared_library() {
    c_test("keys.c", Link::Shared, &[key_path()]);
}

#[test]
fn impersonation_policy_against_the_shared_library() {
    c_test("policy.c", Link::Shared, &[key_path()]);
}

/// Customer consent codes and the customer's session list (issue 12, D30),
/// with the test-only customer tokens of `tests/c/fixtures`.
#[test]
fn customer_consent_and_sessions_against_the_shared_library() {
    let token = |reference: &str| {
        root()
            .join(format!(
                "tests/c/fixtures/test-only-customer-token-{reference}.jwt"
            ))
            .display()
            .to_string()
    };
    c_test(
        "consent.c",
        Link::Shared,
        &[key_path(), token("DE--1"), token("DE--2")],
    );
}

#[test]
fn host_directory_and_threads_against_the_shared_library() {
    c_test("host_threads.c", Link::Shared, &[key_path()]);
}

#[test]
fn host_directory_and_threads_against_the_static_library() {
    c_test("host_threads.c", Link::Static, &[key_path()]);
}

/// 1,000 agent logins with the default argon2 parameters in one process
/// (issue 10): RSS stays within 4 MiB of its value after the first 10. Run
/// natively: under valgrind the figure would be valgrind's, and 1,000
/// default verifications would take many minutes.
#[test]
fn memory_stays_flat_over_1000_default_argon2_logins_against_the_shared_library() {
    let exe = compile(&root().join("tests/c/memory.c"), Link::Shared);
    let out = Command::new(&exe)
        .arg(key_path())
        .arg(scratch())
        .output()
        .expect("run the memory program");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{} exited with {:?}:\n{stdout}{}",
        exe.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("ok: "), "{stdout}");
    println!("{stdout}");
}

fn example(link: Link) {
    let exe = compile(&root().join("examples/c/agent_assist.c"), link);
    let out = run_under_valgrind(&exe, &[key_path()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in [
        "1. agent 1 logged in",
        "(a wrong password gives AO_RESULT_AUTHENTICATION_FAILED, Glue 4101, HTTP 401",
        r#"2. search "spencor": {"customers":[{"id_customer":5,"customer_reference":"DE--5""#,
        "3. impersonating DE--5",
        "   kind:     impersonation",
        "   act:      agent 1 (act.sub = {",
        "5. refreshed",
        "6. revoked 1 session",
        "the impersonation token now gives AO_RESULT_INVALID_ACCESS_TOKEN (Glue 001)",
        r#""reason":"ticket #4711: cart problem""#,
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
}

#[test]
fn agent_assist_example_runs_against_the_shared_library() {
    example(Link::Shared);
}

#[test]
fn agent_assist_example_runs_against_the_static_library() {
    example(Link::Static);
}

#[test]
fn header_compiles_as_c_and_as_cplusplus() {
    let header = root().join("include/agent_oauth.h");
    for (compiler, flags) in [
        (tool("CC", "cc"), ["-std=c99", "-x", "c"]),
        (tool("CC", "cc"), ["-std=c11", "-x", "c"]),
        (tool("CXX", "c++"), ["-std=c++17", "-x", "c++"]),
    ] {
        let out = Command::new(&compiler)
            .args(flags)
            .args(["-Wall", "-Wextra", "-Werror", "-pedantic", "-fsyntax-only"])
            .arg(&header)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{compiler} {flags:?}:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn shared_library_has_its_soname_and_exports_only_ao_symbols() {
    let so = lib_dir().join("libagent_oauth.so");
    let out = Command::new("readelf")
        .arg("-d")
        .arg(&so)
        .output()
        .expect("readelf");
    let dynamic = String::from_utf8_lossy(&out.stdout);
    assert!(
        dynamic.contains("Library soname: [libagent_oauth.so.0]"),
        "{dynamic}"
    );
    let out = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(&so)
        .output()
        .expect("nm");
    let symbols: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2).map(str::to_owned))
        .collect();
    assert!(symbols.len() >= 60, "{symbols:?}");
    let foreign: Vec<&String> = symbols.iter().filter(|s| !s.starts_with("ao_")).collect();
    assert!(foreign.is_empty(), "exported: {foreign:?}");
    // Every declared function is exported, and the other way round.
    let header = std::fs::read_to_string(root().join("include/agent_oauth.h")).unwrap();
    for symbol in &symbols {
        assert!(
            header.contains(&format!(" {symbol}(")) || header.contains(&format!("*{symbol}(")),
            "{symbol}"
        );
    }
}

#[test]
fn install_script_installs_a_usable_pkg_config_package() {
    let prefix = work_dir().join("prefix");
    let _ = std::fs::remove_dir_all(&prefix);
    let out = Command::new("sh")
        .arg(root().join("ffi/install.sh"))
        .env("PREFIX", &prefix)
        .env("AO_LIB_DIR", lib_dir())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in [
        "include/agent_oauth.h",
        "lib/libagent_oauth.a",
        "lib/libagent_oauth.so.0.1.0",
        "lib/libagent_oauth.so.0",
        "lib/libagent_oauth.so",
        "lib/pkgconfig/agent_oauth.pc",
    ] {
        assert!(prefix.join(file).exists(), "{file}");
    }
    let pkg_config = |args: &[&str]| {
        let out = Command::new("pkg-config")
            .args(args)
            .arg("agent_oauth")
            .env("PKG_CONFIG_PATH", prefix.join("lib/pkgconfig"))
            .output()
            .expect("pkg-config");
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    // Shipped stripped: no debug sections, the API still exported.
    let installed = prefix.join("lib/libagent_oauth.so.0.1.0");
    let sections = Command::new("readelf")
        .arg("-S")
        .arg(&installed)
        .output()
        .expect("readelf");
    let sections = String::from_utf8_lossy(&sections.stdout);
    assert!(!sections.contains(".debug_"), "{sections}");
    let built = std::fs::metadata(lib_dir().join("libagent_oauth.so"))
        .unwrap()
        .len();
    let shipped = std::fs::metadata(&installed).unwrap().len();
    assert!(shipped < built, "{shipped} bytes installed, {built} built");
    let symbols = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(&installed)
        .output()
        .expect("nm");
    assert!(String::from_utf8_lossy(&symbols.stdout).contains(" ao_engine_new"));
    let archive = Command::new("readelf")
        .args(["-S", "-W"])
        .arg(prefix.join("lib/libagent_oauth.a"))
        .output()
        .expect("readelf");
    assert!(!String::from_utf8_lossy(&archive.stdout).contains(".debug_info"));
    assert_eq!(pkg_config(&["--modversion"]).trim(), "0.1.0");
    let flags = pkg_config(&["--cflags", "--libs"]);
    let exe = work_dir().join("agent_assist_pkg_config");
    let out = Command::new(tool("CC", "cc"))
        .args(CFLAGS)
        .arg(root().join("examples/c/agent_assist.c"))
        .args(flags.split_whitespace())
        .arg(format!("-Wl,-rpath,{}", prefix.join("lib").display()))
        .arg("-o")
        .arg(&exe)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{flags}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(&exe).arg(key_path()).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[path = "../../core/tests/common/mariadb_server.rs"]
mod mariadb_server;
#[path = "../../core/tests/pg/mod.rs"]
mod pg;

/// The C library on a PostgreSQL store (issue 11), under valgrind: two
/// engines in one process share sessions, refresh tokens and revocations.
#[test]
fn two_engines_on_one_postgresql_under_valgrind() {
    let Some(url) = pg::url() else {
        return;
    };
    c_test(
        "server_store.c",
        Link::Shared,
        &[key_path(), url, "c_server_store_".into()],
    );
}

/// The same on MariaDB, against the static library.
#[test]
fn two_engines_on_one_mariadb_under_valgrind() {
    let Some(server) = mariadb_server::shared() else {
        return;
    };
    c_test(
        "server_store.c",
        Link::Static,
        &[
            key_path(),
            server.url(),
            mariadb_server::prefix("c_server_store"),
        ],
    );
}
