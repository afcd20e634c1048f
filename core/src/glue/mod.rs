//! The Glue JSON:API layer: a transport-agnostic handler that answers
//! Spryker's agent-assist requests (D1, D10). The HTTP server, the C ABI and
//! the PHP extension forward requests here unchanged.
//!
//! This layer only converts: it parses bodies and headers, calls the engine
//! and renders answers with Spryker's shapes, statuses, codes and key orders.

mod request;
mod resources;
mod response;

pub use request::GlueRequest;
pub use response::{
    GlueResponse, internal_error, post_data_invalid, request_timeout, too_large as body_too_large,
};

use crate::engine::Engine;

/// The media type of every JSON:API answer.
pub const JSON_API: &str = "application/vnd.api+json";

impl Engine {
    /// Answers one Glue request. Never fails: every problem becomes the
    /// response Spryker would send. Every error is JSON:API except D14's
    /// plain-text pagination 400; an internal failure is a generic 500 whose
    /// cause is in [`GlueResponse::cause`] for the transport's log.
    pub fn handle_glue(&self, request: &GlueRequest<'_>) -> GlueResponse {
        if request.body.len() > self.config().glue_max_body_bytes {
            return response::too_large();
        }
        let client_ip = self.client_address(
            request.client_ip,
            request
                .headers
                .iter()
                .filter(|(name, _)| name.eq_ignore_ascii_case("x-forwarded-for"))
                .map(|(_, value)| *value),
        );
        let request = &GlueRequest {
            client_ip: &client_ip,
            ..*request
        };
        let method = request.method.to_ascii_uppercase();
        match (method.as_str(), request.path) {
            ("POST", "/agent-access-tokens") => resources::agent_access_tokens(self, request),
            ("POST", "/agent-customer-impersonation-access-tokens") => {
                resources::impersonation(self, request)
            }
            ("GET", "/agent-customer-search") => resources::customer_search(self, request),
            ("POST", "/refresh-tokens") => resources::refresh(self, request),
            ("DELETE", path) if path.starts_with("/refresh-tokens/") => {
                resources::revoke(self, request, &path["/refresh-tokens/".len()..])
            }
            ("GET", "/.well-known/jwks.json") => resources::jwks(self),
            ("POST", "/token-introspection") => resources::introspection(self, request),
            _ => response::not_found(),
        }
    }

    /// True when answering this request is brief and bounded: no password
    /// verification (which may also wait for the password pool), no customer
    /// search, no revocation (a synced commit; a refresh that detects reuse
    /// syncs too, but only then), and a store on this machine. An event-loop
    /// transport may answer such a request on its loop thread and spare the
    /// hand-off to a blocking thread, which over loopback costs more than the
    /// store's part of the work; every other request belongs on a thread that
    /// may block.
    pub fn glue_request_is_brief(&self, method: &str, path: &str) -> bool {
        let routed_brief = match path {
            "/agent-customer-impersonation-access-tokens"
            | "/refresh-tokens"
            | "/token-introspection" => method.eq_ignore_ascii_case("POST"),
            "/.well-known/jwks.json" => method.eq_ignore_ascii_case("GET"),
            // Revocation commits with a sync (D23); login and search are
            // the slow ones by design.
            "/agent-access-tokens" | "/agent-customer-search" => false,
            _ => !path.starts_with("/refresh-tokens/"),
        };
        routed_brief && self.store().is_embedded()
    }
}
