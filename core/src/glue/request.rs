//! What a Glue request carries, and reading it.

use serde_json::{Map, Value};

/// One request, as any transport hands it over (D10).
#[derive(Debug, Clone, Copy)]
pub struct GlueRequest<'a> {
    /// HTTP method, such as `POST`.
    pub method: &'a str,
    /// Path without query string, such as `/agent-access-tokens`.
    pub path: &'a str,
    /// The raw query string without `?`, as received.
    pub query: &'a str,
    /// Header pairs in arrival order; names are matched case-insensitively.
    pub headers: &'a [(&'a str, &'a str)],
    /// The raw body.
    pub body: &'a [u8],
    /// The address of the peer the transport received the request from
    /// (`REMOTE_ADDR`). The handler takes the client's address from it and,
    /// when it is one of `trusted_proxies`, from `X-Forwarded-For` (D29);
    /// that address keys the lockout and goes into the audit log.
    pub client_ip: &'a str,
}

impl<'a> GlueRequest<'a> {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    /// Decoded query pairs (keys may arrive percent-encoded: `page%5Boffset%5D`).
    pub(super) fn query_pairs(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(self.query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }
}

/// Why a JSON:API body was refused (D13).
pub(super) enum BodyError {
    /// Not JSON, or no `data.attributes` object: "Post data is invalid."
    Invalid,
    /// `data.type` is not the resource's: "Invalid type."
    WrongType,
}

/// The `data.attributes` object of a JSON:API body for `resource`.
pub(super) fn attributes(body: &[u8], resource: &str) -> Result<Map<String, Value>, BodyError> {
    let Ok(Value::Object(mut doc)) = serde_json::from_slice::<Value>(body) else {
        return Err(BodyError::Invalid);
    };
    let Some(Value::Object(mut data)) = doc.remove("data") else {
        return Err(BodyError::Invalid);
    };
    if data.get("type").and_then(Value::as_str) != Some(resource) {
        return Err(BodyError::WrongType);
    }
    match data.remove("attributes") {
        Some(Value::Object(attributes)) => Ok(attributes),
        _ => Err(BodyError::Invalid),
    }
}

/// A string attribute; absent, `null` or not a string reads as empty, which
/// the grants refuse with their own code (D13).
pub(super) fn string_attribute<'m>(attributes: &'m Map<String, Value>, name: &str) -> &'m str {
    attributes
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_default()
}
