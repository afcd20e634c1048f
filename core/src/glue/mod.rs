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
        match Route::of(request.method, request.path) {
            Route::Login => resources::agent_access_tokens(self, request),
            Route::Impersonation => resources::impersonation(self, request),
            Route::Search => resources::customer_search(self, request),
            Route::Refresh => resources::refresh(self, request),
            Route::Revoke(token) => resources::revoke(self, request, token),
            Route::Jwks => resources::jwks(self),
            Route::Introspection => resources::introspection(self, request),
            Route::Consent => resources::consent(self, request),
            Route::CustomerSessions => resources::customer_sessions(self, request),
            Route::NotFound => response::not_found(),
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
        Route::of(method, path).is_brief() && self.store().is_embedded()
    }
}

/// The resource a request is for: the one route table of the handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route<'a> {
    Login,
    Impersonation,
    Search,
    Refresh,
    /// `DELETE /refresh-tokens/{token}`, with the raw token.
    Revoke(&'a str),
    Jwks,
    Introspection,
    /// `POST /customer-impersonation-consents` (issue 12).
    Consent,
    /// `GET /customer-impersonation-sessions` (issue 12).
    CustomerSessions,
    NotFound,
}

impl<'a> Route<'a> {
    fn of(method: &str, path: &'a str) -> Self {
        let method = method.to_ascii_uppercase();
        match (method.as_str(), path) {
            ("POST", "/agent-access-tokens") => Route::Login,
            ("POST", "/agent-customer-impersonation-access-tokens") => Route::Impersonation,
            ("GET", "/agent-customer-search") => Route::Search,
            ("POST", "/refresh-tokens") => Route::Refresh,
            ("DELETE", path) if path.starts_with("/refresh-tokens/") => {
                Route::Revoke(&path["/refresh-tokens/".len()..])
            }
            ("GET", "/.well-known/jwks.json") => Route::Jwks,
            ("POST", "/token-introspection") => Route::Introspection,
            ("POST", "/customer-impersonation-consents") => Route::Consent,
            ("GET", "/customer-impersonation-sessions") => Route::CustomerSessions,
            _ => Route::NotFound,
        }
    }

    /// See [`Engine::glue_request_is_brief`]: revocation commits with a
    /// sync (D23); login and the two paged lists are the slow ones by
    /// design.
    fn is_brief(self) -> bool {
        match self {
            Route::Impersonation
            | Route::Refresh
            | Route::Jwks
            | Route::Introspection
            | Route::Consent
            | Route::NotFound => true,
            Route::Login | Route::Search | Route::CustomerSessions | Route::Revoke(_) => false,
        }
    }
}
