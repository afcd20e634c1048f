//! Result codes, the failures behind them, and the per-thread last error.

use std::cell::RefCell;
use std::ffi::{CString, c_char};
use std::ptr;

use agent_oauth_core::Error;

/// What every fallible `ao_*` function returns. The numbers are ABI and never
/// change; new codes get new numbers.
///
/// Codes 10 to 18 (and 24) are the engine's refusals and carry a Glue error code and
/// HTTP status (`ao_result_glue_code`, `ao_result_http_status`); 19 is a
/// login refused for overload (HTTP 503, no Glue code); 20 to 23 are
/// failures of the engine or its host (HTTP 500, no Glue code); 24 is the
/// refusal of a token that is not a customer's own (Glue 4105); 1 to 5 are
/// mistakes in the call itself.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ao_result {
    /// Success; out-parameters were written.
    Ok = 0,
    /// A required pointer argument was NULL.
    NullArgument = 1,
    /// A string argument was not valid UTF-8.
    InvalidUtf8 = 2,
    /// A JSON argument was malformed or did not have the documented shape.
    InvalidJson = 3,
    /// An argument was out of range (an unknown status, a bad index).
    InvalidArgument = 4,
    /// The agent, customer or grant type asked for does not exist.
    NotFound = 5,
    /// Agent login refused (Glue 4101, HTTP 401).
    AuthenticationFailed = 10,
    /// Too many failed logins from this address (Glue 4401, HTTP 429).
    TooManyAttempts = 11,
    /// The access token is invalid, expired or revoked (Glue 001, HTTP 401).
    InvalidAccessToken = 12,
    /// The `X-Agent-Authorization` token is invalid (Glue 4102, HTTP 401).
    InvalidAgentAccessToken = 13,
    /// No access token where one is needed (Glue 002, HTTP 403).
    MissingAccessToken = 14,
    /// Only an agent may do this (Glue 4103, HTTP 401).
    AgentOnly = 15,
    /// Impersonation refused: unknown or inactive customer (Glue 4104, HTTP 401).
    ImpersonationFailed = 16,
    /// Refresh refused (Glue 004, HTTP 401).
    RefreshFailed = 17,
    /// A value of the request is missing or malformed (Glue 901, HTTP 422).
    InvalidRequest = 18,
    /// Too many password verifications running or waiting: the login was not
    /// admitted (`password_pool` bounds) and nothing was counted or hashed.
    /// HTTP 503 (answer with `Retry-After: 1`); no Glue code.
    Overloaded = 19,
    /// The engine configuration is unusable (bad JSON, key, path, value).
    Config = 20,
    /// The engine database failed (I/O, corruption, lock timeout).
    Storage = 21,
    /// A host directory callback failed or answered malformed JSON. Never
    /// reported as a failed login and never counted toward lockout.
    Directory = 22,
    /// Any other internal failure (random source, signing backend).
    Internal = 23,
    /// Only the customer's own token may do this: an agent or impersonation
    /// token asked for a consent code or the customer's sessions (Glue 4105,
    /// HTTP 403).
    CustomerOnly = 24,
    /// A bug inside the library (a Rust panic) was caught; the handle stays usable.
    Panic = 99,
}

impl From<&Error> for ao_result {
    fn from(e: &Error) -> Self {
        match e {
            Error::AuthenticationFailed => ao_result::AuthenticationFailed,
            Error::TooManyAttempts { .. } => ao_result::TooManyAttempts,
            Error::InvalidAccessToken => ao_result::InvalidAccessToken,
            Error::InvalidAgentAccessToken => ao_result::InvalidAgentAccessToken,
            Error::MissingAccessToken => ao_result::MissingAccessToken,
            Error::AgentOnly => ao_result::AgentOnly,
            Error::CustomerOnly => ao_result::CustomerOnly,
            Error::ImpersonationFailed => ao_result::ImpersonationFailed,
            Error::RefreshFailed => ao_result::RefreshFailed,
            Error::InvalidRequest(_) => ao_result::InvalidRequest,
            Error::Overloaded => ao_result::Overloaded,
            Error::Config(_) => ao_result::Config,
            Error::Storage(_) => ao_result::Storage,
            Error::Directory(_) => ao_result::Directory,
            _ => ao_result::Internal,
        }
    }
}

/// Every code, in number order.
const ALL_RESULTS: [ao_result; 22] = [
    ao_result::Ok,
    ao_result::NullArgument,
    ao_result::InvalidUtf8,
    ao_result::InvalidJson,
    ao_result::InvalidArgument,
    ao_result::NotFound,
    ao_result::AuthenticationFailed,
    ao_result::TooManyAttempts,
    ao_result::InvalidAccessToken,
    ao_result::InvalidAgentAccessToken,
    ao_result::MissingAccessToken,
    ao_result::AgentOnly,
    ao_result::ImpersonationFailed,
    ao_result::RefreshFailed,
    ao_result::InvalidRequest,
    ao_result::Overloaded,
    ao_result::Config,
    ao_result::Storage,
    ao_result::Directory,
    ao_result::Internal,
    ao_result::CustomerOnly,
    ao_result::Panic,
];

impl ao_result {
    /// A core error of this kind, so that its wire codes come from the core.
    fn core_error(self) -> Option<Error> {
        Some(match self {
            ao_result::AuthenticationFailed => Error::AuthenticationFailed,
            ao_result::TooManyAttempts => Error::TooManyAttempts { retry_after: 0 },
            ao_result::InvalidAccessToken => Error::InvalidAccessToken,
            ao_result::InvalidAgentAccessToken => Error::InvalidAgentAccessToken,
            ao_result::MissingAccessToken => Error::MissingAccessToken,
            ao_result::AgentOnly => Error::AgentOnly,
            ao_result::CustomerOnly => Error::CustomerOnly,
            ao_result::ImpersonationFailed => Error::ImpersonationFailed,
            ao_result::RefreshFailed => Error::RefreshFailed,
            ao_result::InvalidRequest => Error::InvalidRequest(String::new()),
            ao_result::Overloaded => Error::Overloaded,
            ao_result::Config => Error::Config(String::new()),
            ao_result::Directory => Error::Directory(String::new()),
            ao_result::Internal => Error::Internal(String::new()),
            _ => return None,
        })
    }

    /// The code's name as in the header, such as `"AO_RESULT_OK"`.
    fn name(self) -> &'static str {
        match self {
            ao_result::Ok => "AO_RESULT_OK\0",
            ao_result::NullArgument => "AO_RESULT_NULL_ARGUMENT\0",
            ao_result::InvalidUtf8 => "AO_RESULT_INVALID_UTF8\0",
            ao_result::InvalidJson => "AO_RESULT_INVALID_JSON\0",
            ao_result::InvalidArgument => "AO_RESULT_INVALID_ARGUMENT\0",
            ao_result::NotFound => "AO_RESULT_NOT_FOUND\0",
            ao_result::AuthenticationFailed => "AO_RESULT_AUTHENTICATION_FAILED\0",
            ao_result::TooManyAttempts => "AO_RESULT_TOO_MANY_ATTEMPTS\0",
            ao_result::InvalidAccessToken => "AO_RESULT_INVALID_ACCESS_TOKEN\0",
            ao_result::InvalidAgentAccessToken => "AO_RESULT_INVALID_AGENT_ACCESS_TOKEN\0",
            ao_result::MissingAccessToken => "AO_RESULT_MISSING_ACCESS_TOKEN\0",
            ao_result::AgentOnly => "AO_RESULT_AGENT_ONLY\0",
            ao_result::ImpersonationFailed => "AO_RESULT_IMPERSONATION_FAILED\0",
            ao_result::RefreshFailed => "AO_RESULT_REFRESH_FAILED\0",
            ao_result::InvalidRequest => "AO_RESULT_INVALID_REQUEST\0",
            ao_result::Overloaded => "AO_RESULT_OVERLOADED\0",
            ao_result::Config => "AO_RESULT_CONFIG\0",
            ao_result::Storage => "AO_RESULT_STORAGE\0",
            ao_result::Directory => "AO_RESULT_DIRECTORY\0",
            ao_result::Internal => "AO_RESULT_INTERNAL\0",
            ao_result::CustomerOnly => "AO_RESULT_CUSTOMER_ONLY\0",
            ao_result::Panic => "AO_RESULT_PANIC\0",
        }
    }

    /// The code with this number; values from C are read as integers, never
    /// as a Rust enum, because an unknown number in a Rust enum is UB.
    fn from_raw(raw: u32) -> Option<ao_result> {
        ALL_RESULTS.into_iter().find(|r| *r as u32 == raw)
    }
}

/// The Glue error code of a result (`"4101"`, `"001"`, ...), as a static
/// string; NULL for codes that are not a Glue refusal (OK, call mistakes,
/// internal failures). Do not free.
///
/// The parameter is a plain `uint32_t` so that any number is safe to pass.
#[unsafe(no_mangle)]
pub extern "C" fn ao_result_glue_code(result: u32) -> *const c_char {
    crate::panic::value(|| {
        let code = ao_result::from_raw(result)
            .and_then(ao_result::core_error)
            .and_then(|e| e.glue_code());
        match code {
            // The core's codes are static; the table below adds the NUL.
            Some(code) => static_c_str(code),
            None => ptr::null(),
        }
    })
}

/// The HTTP status that Glue answers for a result: 200 for `AO_RESULT_OK`,
/// the refusal's status for codes 10 to 18 and 24, 503 for `AO_RESULT_OVERLOADED`,
/// and 500 for everything else
/// (a failed call is the host's or the library's fault, not the client's).
#[unsafe(no_mangle)]
pub extern "C" fn ao_result_http_status(result: u32) -> u16 {
    crate::panic::value(|| match ao_result::from_raw(result) {
        Some(ao_result::Ok) => 200,
        Some(code) => code.core_error().map_or(500, |e| e.http_status()),
        None => 500,
    })
}

/// The name of a result code as written in the header (`"AO_RESULT_OK"`), or
/// `"AO_RESULT_UNKNOWN"` for a number that is not a code. Static; do not free.
#[unsafe(no_mangle)]
pub extern "C" fn ao_result_name(result: u32) -> *const c_char {
    crate::panic::value(|| {
        ao_result::from_raw(result)
            .map_or("AO_RESULT_UNKNOWN\0", ao_result::name)
            .as_ptr()
            .cast()
    })
}

/// The NUL-terminated static twin of a core Glue code.
fn static_c_str(code: &'static str) -> *const c_char {
    const CODES: [&str; 10] = [
        "4101\0", "4401\0", "001\0", "4102\0", "002\0", "4103\0", "4104\0", "4105\0", "004\0",
        "901\0",
    ];
    CODES
        .iter()
        .find(|c| &c[..c.len() - 1] == code)
        .map_or(ptr::null(), |c| c.as_ptr().cast())
}

/// Why an exported call failed: its code and a message for the last error.
#[derive(Debug)]
pub(crate) struct Failure {
    pub code: ao_result,
    pub message: String,
}

impl Failure {
    pub fn new(code: ao_result, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }

    pub fn null(name: &str) -> Self {
        Failure::new(ao_result::NullArgument, format!("{name} must not be NULL"))
    }

    pub fn utf8(name: &str) -> Self {
        Failure::new(ao_result::InvalidUtf8, format!("{name} is not valid UTF-8"))
    }

    pub fn json(name: &str, e: &serde_json::Error) -> Self {
        Failure::new(ao_result::InvalidJson, format!("{name}: {e}"))
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Failure::new(ao_result::InvalidArgument, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Failure::new(ao_result::NotFound, message)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::new(ao_result::from(&e), e.to_string())
    }
}

thread_local! {
    /// The last failure on this thread: the handle it happened on (its
    /// address, 0 for none) and its message.
    static LAST_ERROR: RefCell<Option<(usize, CString)>> = const { RefCell::new(None) };
}

/// Records the message of a failed call on `owner` for this thread.
pub(crate) fn set_last_error(owner: usize, message: String) {
    let message = crate::ffi::c_string(message);
    // During thread teardown the slot may be gone; the message is then lost.
    let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = Some((owner, message)));
}

/// Forgets this thread's last error if it belongs to `owner` (a freed handle).
pub(crate) fn forget_last_error(owner: usize) {
    let _ = LAST_ERROR.try_with(|slot| {
        let mut slot = slot.borrow_mut();
        if slot.as_ref().is_some_and(|(o, _)| *o == owner) {
            *slot = None;
        }
    });
}

/// This thread's last error message if it belongs to `owner` (or to anything
/// when `owner` is `None`); the pointer stays valid until the next failure on
/// this thread.
pub(crate) fn last_error(owner: Option<usize>) -> *const c_char {
    LAST_ERROR
        .try_with(|slot| match &*slot.borrow() {
            Some((o, message)) if owner.is_none_or(|owner| owner == *o) => message.as_ptr(),
            _ => ptr::null(),
        })
        .unwrap_or(ptr::null())
}

/// The message of the last call that failed on the calling thread, whatever
/// it was called on (including `ao_engine_new`, which has no engine yet), or
/// NULL if none failed.
///
/// The string belongs to the library and stays valid until the next failing
/// `ao_*` call on the same thread: do not free it, copy it to keep it.
/// Successful calls do not clear it (as `errno`), so read it right after a
/// call returned a code other than `AO_RESULT_OK`.
#[unsafe(no_mangle)]
pub extern "C" fn ao_last_error() -> *const c_char {
    crate::panic::value(|| last_error(None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_glue_code_of_the_core_has_its_static_c_string() {
        for rc in ALL_RESULTS {
            if let Some(code) = rc.core_error().and_then(|e| e.glue_code()) {
                assert!(!static_c_str(code).is_null(), "{rc:?}: {code}");
            }
        }
    }

    #[test]
    fn every_code_has_its_documented_number() {
        let numbers: Vec<u32> = ALL_RESULTS.iter().map(|r| *r as u32).collect();
        assert_eq!(
            numbers,
            [
                0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 99
            ]
        );
    }
}
