//! The Glue handler (D10): one request in, `ao_glue_response` out.

use std::ffi::{CString, c_char};

use agent_oauth_core::glue::GlueRequest;

use crate::engine::{ao_engine, engine_arg};
use crate::error::{Failure, ao_result};
use crate::ffi::{c_string, free_handle, opt_str_arg, out_arg, read_handle, str_arg};

/// The answer to a Glue request: status, headers and body. Read it with the
/// `ao_glue_response_*` accessors; free it with `ao_glue_response_free`.
/// Strings and bytes the accessors return are borrowed and valid until then.
pub struct ao_glue_response {
    status: u16,
    headers: Vec<(CString, CString)>,
    /// The body followed by one NUL byte, which `len` does not count.
    body: Vec<u8>,
}

/// Answers one Glue request, exactly as the HTTP server does (D1, D10):
/// `POST /agent-access-tokens`, `POST /agent-customer-impersonation-access-tokens`,
/// `GET /agent-customer-search`, `POST /refresh-tokens`,
/// `DELETE /refresh-tokens/{token|mine}`, `GET /.well-known/jwks.json`,
/// `POST /token-introspection`; anything else is a 404 response.
///
/// - `method`, `path` (without the query) and `client_ip` are required;
/// - `query` is the raw query string without `?` (NULL: none);
/// - `header_names[i]`/`header_values[i]` for `i < header_count` are the
///   request headers in arrival order (names are matched case-insensitively);
///   both arrays may be NULL when `header_count` is 0;
/// - `body`/`body_len` are the raw body bytes (`body` may be NULL when
///   `body_len` is 0).
///
/// Every outcome of the request, including refusals and internal failures
/// (a JSON:API 500), is a response: the result is `AO_RESULT_OK` whenever a
/// response was written to `*out`. Other codes mean the call itself was
/// wrong (NULL or non-UTF-8 arguments) or, for `AO_RESULT_PANIC`, a bug in
/// the library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_engine_handle_glue(
    engine: *const ao_engine,
    method: *const c_char,
    path: *const c_char,
    query: *const c_char,
    header_names: *const *const c_char,
    header_values: *const *const c_char,
    header_count: usize,
    body: *const u8,
    body_len: usize,
    client_ip: *const c_char,
    out: *mut *mut ao_glue_response,
) -> ao_result {
    crate::panic::call(engine, || {
        // SAFETY (all blocks): arguments are NULL or valid for the stated
        // lengths, per the API contract.
        let core = unsafe { engine_arg(engine) }?;
        let method = unsafe { str_arg(method, "method") }?;
        let path = unsafe { str_arg(path, "path") }?;
        let query = unsafe { opt_str_arg(query, "query") }?.unwrap_or_default();
        let client_ip = unsafe { str_arg(client_ip, "client_ip") }?;
        let out = unsafe { out_arg(out, "out") }?;
        let mut headers = Vec::with_capacity(header_count);
        if header_count > 0 {
            if header_names.is_null() {
                return Err(Failure::null("header_names"));
            }
            if header_values.is_null() {
                return Err(Failure::null("header_values"));
            }
            let names = unsafe { std::slice::from_raw_parts(header_names, header_count) };
            let values = unsafe { std::slice::from_raw_parts(header_values, header_count) };
            for (name, value) in names.iter().zip(values) {
                let name = unsafe { str_arg(*name, "header name") }?;
                let value = unsafe { str_arg(*value, "header value") }?;
                headers.push((name, value));
            }
        }
        let body: &[u8] = match (body.is_null(), body_len) {
            (_, 0) => &[],
            (true, _) => return Err(Failure::null("body")),
            (false, len) => unsafe { std::slice::from_raw_parts(body, len) },
        };
        let response = core.handle_glue(&GlueRequest {
            method,
            path,
            query,
            headers: &headers,
            body,
            client_ip,
        });
        let mut body = response.body;
        body.push(0);
        *out = Box::into_raw(Box::new(ao_glue_response {
            status: response.status,
            headers: response
                .headers
                .into_iter()
                .map(|(name, value)| (c_string(name), c_string(value)))
                .collect(),
            body,
        }));
        Ok(())
    })
}

/// Frees a response. `ao_glue_response_free(NULL)` does nothing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_glue_response_free(response: *mut ao_glue_response) {
    free_handle(response)
}

/// The HTTP status; 0 for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_glue_response_status(response: *const ao_glue_response) -> u16 {
    read_handle(response, |r| r.status)
}

/// How many headers the response has; 0 for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_glue_response_header_count(response: *const ao_glue_response) -> usize {
    read_handle(response, |r| r.headers.len())
}

/// The name of header `index` (from 0), or NULL when out of range.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_glue_response_header_name(
    response: *const ao_glue_response,
    index: usize,
) -> *const c_char {
    read_handle(response, |r| {
        r.headers
            .get(index)
            .map_or(std::ptr::null(), |(name, _)| name.as_ptr())
    })
}

/// The value of header `index` (from 0), or NULL when out of range.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_glue_response_header_value(
    response: *const ao_glue_response,
    index: usize,
) -> *const c_char {
    read_handle(response, |r| {
        r.headers
            .get(index)
            .map_or(std::ptr::null(), |(_, value)| value.as_ptr())
    })
}

/// The value of the first header named `name` (case-insensitive), or NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_glue_response_header(
    response: *const ao_glue_response,
    name: *const c_char,
) -> *const c_char {
    read_handle(response, |r| {
        // SAFETY: NULL or NUL-terminated, per the API contract.
        let Ok(name) = (unsafe { str_arg(name, "name") }) else {
            return std::ptr::null();
        };
        r.headers
            .iter()
            .find(|(n, _)| n.to_bytes().eq_ignore_ascii_case(name.as_bytes()))
            .map_or(std::ptr::null(), |(_, value)| value.as_ptr())
    })
}

/// The body bytes; their number is written to `*out_len` (which may be NULL).
/// The bytes are followed by a NUL that `*out_len` does not count, so a JSON
/// or text body can be printed as a string. An empty body (204) gives a
/// non-NULL pointer and length 0; a NULL response gives NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ao_glue_response_body(
    response: *const ao_glue_response,
    out_len: *mut usize,
) -> *const u8 {
    read_handle(response, |r| {
        // SAFETY: NULL or writable, per the API contract.
        if let Some(len) = unsafe { crate::ffi::opt_out_arg(out_len) } {
            *len = r.body.len() - 1;
        }
        r.body.as_ptr()
    })
}
