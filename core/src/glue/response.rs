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
        }
    }

    fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
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
    }
}

/// An engine error as Spryker renders it; internal failures as plain-text 500.
pub(super) fn error(e: &Error) -> GlueResponse {
    let Some(code) = e.glue_code() else {
        return internal_error();
    };
    let status = e.http_status();
    // The key order follows the Spryker class that raises each error.
    let ordered: [(&str, Value); 3] = match code {
        "4103" | "4401" | "005" => [
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

/// 400 "Post data is invalid." (malformed JSON, no attributes).
pub(super) fn post_data_invalid() -> GlueResponse {
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

/// A plain-text answer, as Glue's HTTP validators send (pagination errors).
pub(super) fn plain_text(status: u16, text: &str) -> GlueResponse {
    GlueResponse {
        status,
        headers: vec![("Content-Type", "text/plain; charset=utf-8".to_owned())],
        body: text.as_bytes().to_vec(),
    }
}

/// Spryker's answer to an uncaught exception: plain-text 500. Transports
/// answer with it when the handler itself could not run.
pub fn internal_error() -> GlueResponse {
    plain_text(500, "Internal Server Error")
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
    }
}

/// 400 "Resource id is not specified." (`DELETE /refresh-tokens/`).
pub(super) fn resource_id_missing() -> GlueResponse {
    GlueResponse::json_api(
        400,
        &json!({"errors": [{"detail": "Resource id is not specified.", "status": 400}]}),
    )
}
