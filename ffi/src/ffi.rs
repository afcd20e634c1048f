//! Plumbing between C and Rust values: string arguments, out-parameters and
//! the strings the library hands out.

use std::ffi::{CStr, CString, c_char};

use crate::error::Failure;

/// Frees a string returned by an `ao_*` function through a `char **`
/// out-parameter. `ao_string_free(NULL)` does nothing. Never pass it a string
/// the library did not allocate, nor a `const char *` that an accessor returned.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_string_free(s: *mut c_char) {
    crate::panic::value(|| {
        if !s.is_null() {
            // SAFETY: `s` came from `CString::into_raw` in `into_c_string`.
            drop(unsafe { CString::from_raw(s) });
        }
    })
}

/// A C string from Rust text; an interior NUL (never in the engine's own
/// output) becomes `?` rather than truncating the message.
pub(crate) fn c_string(s: impl Into<Vec<u8>>) -> CString {
    let mut bytes = s.into();
    for b in &mut bytes {
        if *b == 0 {
            *b = b'?';
        }
    }
    CString::new(bytes).expect("no NUL left")
}

/// Hands a string to C; the caller frees it with `ao_string_free`.
pub(crate) fn into_c_string(s: impl Into<Vec<u8>>) -> *mut c_char {
    c_string(s).into_raw()
}

/// Borrows a required NUL-terminated UTF-8 argument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn str_arg<'a>(p: *const c_char, name: &str) -> Result<&'a str, Failure> {
    // SAFETY: per the function contract.
    unsafe { opt_str_arg(p, name) }?.ok_or_else(|| Failure::null(name))
}

/// Borrows an optional argument: NULL is `None`.
///
/// # Safety
/// As [`str_arg`].
pub(crate) unsafe fn opt_str_arg<'a>(
    p: *const c_char,
    name: &str,
) -> Result<Option<&'a str>, Failure> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL and NUL-terminated per the API contract.
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str().map(Some).map_err(|_| Failure::utf8(name))
}

/// Checks a required out-parameter before any work is done, so that it can
/// be written last, only on success.
///
/// # Safety
/// `p` is NULL or valid for writes for `'a`.
pub(crate) unsafe fn out_arg<'a, T>(p: *mut T, name: &str) -> Result<&'a mut T, Failure> {
    // SAFETY: per the function contract.
    unsafe { p.as_mut() }.ok_or_else(|| Failure::null(name))
}

/// An optional out-parameter: NULL means the caller does not want the value.
///
/// # Safety
/// As [`out_arg`].
pub(crate) unsafe fn opt_out_arg<'a, T>(p: *mut T) -> Option<&'a mut T> {
    // SAFETY: per the function contract.
    unsafe { p.as_mut() }
}

/// The pointer of an optional borrowed C string, NULL for `None`.
pub(crate) fn opt_ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
}

/// Reads a handle inside the panic boundary; the zero value (NULL, 0, false)
/// for a NULL handle, as the accessor functions document.
pub(crate) fn read_handle<T, R: crate::panic::PanicValue>(
    handle: *const T,
    get: impl FnOnce(&T) -> R,
) -> R {
    crate::panic::value(|| {
        // SAFETY: NULL or a live handle, per the API contract.
        match unsafe { handle.as_ref() } {
            Some(h) => get(h),
            None => R::panic_value(),
        }
    })
}

/// Frees a handle the library boxed; NULL does nothing.
pub(crate) fn free_handle<T>(handle: *mut T) {
    crate::panic::value(|| {
        if !handle.is_null() {
            // SAFETY: came from `Box::into_raw` in this library and is freed once.
            drop(unsafe { Box::from_raw(handle) });
        }
    })
}
