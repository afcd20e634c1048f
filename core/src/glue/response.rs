//! Building answers: JSON:API documents and Spryker's error envelopes, with
//! their exact key orders (reference §4.7).

use serde_json::{Map, Value, json};

use super::JSON_API;
use crate::engine::TokenResponse;
use crate::error::Error;

/// The answer to a Glue request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlueResponse {
    /// HTTP status.
    pub status: u16,
    /// Header pairs, in order.
    pub headers: Vec<(&'static str, String)>,
    /// The body; empty for 204.
    pub body: Vec<u8>,
    /// Why an internal failure happened, for the transport's log; never sent
    /// to the client. Filled from the engine error's message, which never
    /// holds a password, token or hash.
    pub cause: Option<String>,
}

impl GlueResponse {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json_api(status: u16, body: &Value) -> Self {
        GlueResponse {
            status,
            headers: vec![("Content-Type", JSON_API.to_owned())],
            body: serde_json::to_vec(body).expect("JSON into memory"),
            cause: None,
        }
    }

    pub(super) fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

/// A token pair as a JSON:API resource: 201, `Cache-Control: no-store`.
pub(super) fn token(resource: &str, self_link: String, t: &TokenResponse) -> GlueResponse {
    let doc = json!({"data": {
        "type": resource,
        "id": null,
        "attributes": {
            "tokenType": t.token_type,
            "expiresIn": t.expires_in,
            "accessToken": t.access_token,
            "refreshToken": t.refresh_token,
        },
        "links": {"self": self_link},
    }});
    GlueResponse::json_api(201, &doc).with_header("Cache-Control", "no-store")
}

/// 201 with a JSON:API document and this `Cache-Control`.
pub(super) fn created(doc: &Value, cache: &'static str) -> GlueResponse {
    GlueResponse::json_api(201, doc).with_header("Cache-Control", cache)
}

/// 200 with a JSON:API document.
pub(super) fn ok(doc: &Value) -> GlueResponse {
    GlueResponse::json_api(200, doc)
}

/// 204 without a body.
pub(super) fn no_content() -> GlueResponse {
    GlueResponse {
        status: 204,
        headers: Vec::new(),
        body: Vec::new(),
        cause: None,
    }
}

/// 200 with plain JSON (JWKS, introspection), which are not JSON:API.
pub(super) fn plain_json(body: &impl serde::Serialize, cache: &'static str) -> GlueResponse {
    GlueResponse {
        status: 200,
        headers: vec![
            ("Content-Type", "application/json".to_owned()),
            ("Cache-Control", cache.to_owned()),
        ],
        body: serde_json::to_vec(body).expect("JSON into memory"),
        cause: None,
    }
}

/// An engine error as Spryker renders it. An internal failure is the generic
/// JSON:API 500 with the error's message kept as the cause for the log; an
/// error without a Glue code that is not internal (overload, D28) names its
/// message and status, `detail` first, as Glue's own validation errors do.
pub(super) fn error(e: &Error) -> GlueResponse {
    if e.is_internal() {
        let mut response = internal_error();
        response.cause = Some(e.to_string());
        return response;
    }
    let Some(code) = e.glue_code() else {
        let status = e.http_status();
        let response = GlueResponse::json_api(
            status,
            &json!({"errors": [{"detail": e.to_string(), "status": status}]}),
        );
        return match e {
            Error::Overloaded => response.with_header("Retry-After", "1"),
            _ => response,
        };
    };
    let status = e.http_status();
    // The key order follows the Spryker class that raises each error.
    let ordered: [(&str, Value); 3] = match code {
        "4103" | "4105" | "4401" | "005" => [
            ("status", status.into()),
            ("code", code.into()),
            ("detail", e.to_string().into()),
        ],
        "4102" | "001" | "002" => [
            ("detail", e.to_string().into()),
            ("status", status.into()),
            ("code", code.into()),
        ],
        _ => [
            ("code", code.into()),
            ("status", status.into()),
            ("detail", e.to_string().into()),
        ],
    };
    let entry: Map<String, Value> = ordered
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    let mut response = GlueResponse::json_api(status, &json!({"errors": [entry]}));
    if status == 401 {
        response = response.with_header("WWW-Authenticate", r#"Bearer realm="Access to shop API""#);
    }
    if let Error::TooManyAttempts { retry_after } = e {
        response = response.with_header("Retry-After", retry_after.to_string());
    }
    response
}

/// 400 "Post data is invalid." (malformed JSON, no attributes); transports
/// answer with it when a body cannot be read (a malformed chunked encoding).
pub fn post_data_invalid() -> GlueResponse {
    GlueResponse::json_api(
        400,
        &json!({"errors": [{"detail": "Post data is invalid.", "status": 400}]}),
    )
}

/// 400 "Invalid type." (wrong `data.type`).
pub(super) fn invalid_type() -> GlueResponse {
    GlueResponse::json_api(
        400,
        &json!({"errors": [{"detail": "Invalid type.", "status": 400}]}),
    )
}

/// 404 for unknown routes and methods.
pub(super) fn not_found() -> GlueResponse {
    GlueResponse::json_api(
        404,
        &json!({"errors": [{"status": 404, "detail": "Not Found"}]}),
    )
}

/// 413 for bodies over `glue_max_body_bytes`; transports that stop reading
/// a body early answer with it.
pub fn too_large() -> GlueResponse {
    GlueResponse::json_api(
        413,
        &json!({"errors": [{"status": 413, "detail": "Request body is too large."}]}),
    )
}

/// 408 for a body that did not arrive within the transport's time limit.
pub fn request_timeout() -> GlueResponse {
    GlueResponse::json_api(
        408,
        &json!({"errors": [{"status": 408, "detail": "Request Timeout"}]}),
    )
}

/// A plain-text answer, as Glue's HTTP validators send (pagination errors).
pub(super) fn plain_text(status: u16, text: &str) -> GlueResponse {
    GlueResponse {
        status,
        headers: vec![("Content-Type", "text/plain; charset=utf-8".to_owned())],
        body: text.as_bytes().to_vec(),
        cause: None,
    }
}

/// 500 for any internal failure, as JSON:API with the framework errors' key
/// order (`status`, `detail`, as 404 and 413) and no detail of the cause,
/// which goes to [`GlueResponse::cause`] instead. Transports answer with it
/// when the handler itself could not run (a panic), setting the cause.
pub fn internal_error() -> GlueResponse {
    GlueResponse::json_api(
        500,
        &json!({"errors": [{"status": 500, "detail": "Internal Server Error"}]}),
    )
}

/// 400 with an RFC 6749 error object (introspection without `token`).
pub(super) fn oauth_error(status: u16, error: &str) -> GlueResponse {
    GlueResponse {
        status,
        headers: vec![
            ("Content-Type", "application/json".to_owned()),
            ("Cache-Control", "no-store".to_owned()),
        ],
        body: serde_json::to_vec(&json!({"error": error})).expect("JSON into memory"),
        cause: None,
    }
}

/// 400 "Resource id is not specified." (`DELETE /refresh-tokens/`).
pub(super) fn resource_id_missing() -> GlueResponse {
    GlueResponse::json_api(
        400,
        &json!({"errors": [{"detail": "Resource id is not specified.", "status": 400}]}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(response: &GlueResponse) -> &str {
        std::str::from_utf8(&response.body).expect("UTF-8")
    }

    #[test]
    fn internal_errors_are_a_generic_json_api_500_with_the_cause_kept_aside() {
        for e in [
            Error::Internal("random source failed".into()),
            Error::Config("bad ttl".into()),
            Error::Directory("host lookup failed".into()),
        ] {
            let response = error(&e);
            assert_eq!(response.status, 500);
            assert_eq!(
                response.headers,
                vec![("Content-Type", JSON_API.to_owned())]
            );
            assert_eq!(
                body(&response),
                r#"{"errors":[{"status":500,"detail":"Internal Server Error"}]}"#
            );
            assert_eq!(response.cause, Some(e.to_string()));
        }
    }

    #[test]
    fn overload_is_503_detail_first_with_retry_after_1() {
        let response = error(&Error::Overloaded);
        assert_eq!(
            (response.status, body(&response)),
            (
                503,
                r#"{"errors":[{"detail":"Too many requests in progress. Please try again.","status":503}]}"#
            )
        );
        assert_eq!(
            response.headers,
            vec![
                ("Content-Type", JSON_API.to_owned()),
                ("Retry-After", "1".to_owned())
            ]
        );
        assert_eq!(response.cause, None);
    }

    #[test]
    fn request_errors_carry_no_cause() {
        for e in [
            Error::AuthenticationFailed,
            Error::TooManyAttempts { retry_after: 60 },
            Error::InvalidAccessToken,
            Error::MissingAccessToken,
            Error::InvalidRequest("refreshToken => This value should not be blank.".into()),
        ] {
            let response = error(&e);
            assert_eq!(response.header("content-type"), Some(JSON_API), "{e:?}");
            assert_eq!(response.cause, None, "{e:?}");
        }
    }
}
