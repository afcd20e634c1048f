//! Library identity (D22): version constants in the header and `ao_version()`.

use std::ffi::c_char;

/// Major version of the C API; the SONAME is `libagent_oauth.so.<AO_VERSION_MAJOR>`.
pub const AO_VERSION_MAJOR: u32 = 0;
/// Minor version of the C API.
pub const AO_VERSION_MINOR: u32 = 1;
/// Patch version of the C API.
pub const AO_VERSION_PATCH: u32 = 0;

const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// The library version as `"MAJOR.MINOR.PATCH"`, a static string: do not free.
/// Compare with `AO_VERSION_*` to detect a header/library mismatch.
#[unsafe(no_mangle)]
pub extern "C" fn ao_version() -> *const c_char {
    VERSION.as_ptr().cast()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_constants_match_the_package_version() {
        assert_eq!(
            AO_VERSION_MAJOR.to_string(),
            env!("CARGO_PKG_VERSION_MAJOR")
        );
        assert_eq!(
            AO_VERSION_MINOR.to_string(),
            env!("CARGO_PKG_VERSION_MINOR")
        );
        assert_eq!(
            AO_VERSION_PATCH.to_string(),
            env!("CARGO_PKG_VERSION_PATCH")
        );
    }
}
