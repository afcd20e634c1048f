//! Sets the SONAME and generates `include/agent_oauth.h` with cbindgen.
//!
//! Locally the committed header is rewritten when the API changes (cbindgen
//! leaves an unchanged file alone). With `CI` set the committed header is
//! never touched: the fresh generation goes to `OUT_DIR` only, and the test
//! `header_matches_fresh_cbindgen_generation` fails on any difference.

use std::env;
use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    let committed = crate_dir.join("../include/agent_oauth.h");

    // SONAME carries the major version (D22): 0.x.y upgrades are drop-in.
    let major = env::var("CARGO_PKG_VERSION_MAJOR").expect("version");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libagent_oauth.so.{major}");
    soname_link(&out_dir, &major);

    let ci = env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
    let config =
        cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("ffi/cbindgen.toml");
    match cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
    {
        Ok(bindings) => {
            bindings.write_to_file(out_dir.join("agent_oauth.h"));
            if !ci {
                bindings.write_to_file(&committed);
            }
        }
        // A syntax error in src/ is better reported by rustc itself; in CI a
        // header that cannot be generated fails the build.
        Err(e) if !ci => println!("cargo:warning=agent_oauth.h not regenerated: {e}"),
        Err(e) => panic!("cbindgen failed to generate agent_oauth.h: {e}"),
    }
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=../include/agent_oauth.h");
    println!("cargo:rerun-if-env-changed=CI");
}

/// Links `libagent_oauth.so.<major>` to `libagent_oauth.so` in the profile
/// directory (`target/release`), as an installed library has it: cargo writes
/// only the plain name, and a program linked with `-Ltarget/release
/// -lagent_oauth` asks for the SONAME at run time. The link may dangle until
/// the library is linked after this script. `ffi/install.sh` installs the
/// versioned library itself.
fn soname_link(out_dir: &std::path::Path, major: &str) {
    // OUT_DIR is <target>/[<triple>/]<profile>/build/<package>-<hash>/out.
    let Some(profile_dir) = out_dir.ancestors().nth(3) else {
        return;
    };
    let link = profile_dir.join(format!("libagent_oauth.so.{major}"));
    if std::fs::read_link(&link).is_ok_and(|target| target.as_os_str() == "libagent_oauth.so") {
        return;
    }
    let _ = std::fs::remove_file(&link);
    #[cfg(unix)]
    if let Err(e) = std::os::unix::fs::symlink("libagent_oauth.so", &link) {
        println!("cargo:warning=could not link {}: {e}", link.display());
    }
}
