//! One function per Glue resource. Each parses, calls the engine and renders.

use serde_json::{Map, Value, json};

use super::request::{BodyError, GlueRequest, attributes, string_attribute};
use super::response::{self, GlueResponse};
use crate::engine::{AgentCaller, Engine, bearer_token};
use crate::error::Error;
use crate::{consent, search};

const PAGE_OFFSET: &str = "page[offset]";
const PAGE_LIMIT: &str = "page[limit]";

fn body_error(e: BodyError) -> GlueResponse {
    match e {
        BodyError::Invalid => response::post_data_invalid(),
        BodyError::WrongType => response::invalid_type(),
    }
}

fn link(engine: &Engine, path: &str) -> String {
    format!("{}{path}", engine.config().glue_base_url)
}

fn authenticate(engine: &Engine, request: &GlueRequest<'_>) -> Result<AgentCaller, GlueResponse> {
    engine
        .authenticate_agent(
            request.header("Authorization"),
            request.header("X-Agent-Authorization"),
            request.client_ip,
        )
        .map_err(|e| response::error(&e))
}

/// `POST /agent-access-tokens`: agent login.
pub(super) fn agent_access_tokens(engine: &Engine, request: &GlueRequest<'_>) -> GlueResponse {
    const RESOURCE: &str = "agent-access-tokens";
    let attributes = match attributes(request.body, RESOURCE) {
        Ok(a) => a,
        Err(e) => return body_error(e),
    };
    let username = string_attribute(&attributes, "username");
    let password = string_attribute(&attributes, "password");
    match engine.agent_login(username, password, request.client_ip) {
        Ok(t) => response::token(RESOURCE, link(engine, request.path), &t),
        Err(e) => response::error(&e),
    }
}

/// `POST /agent-customer-impersonation-access-tokens`: impersonation.
pub(super) fn impersonation(engine: &Engine, request: &GlueRequest<'_>) -> GlueResponse {
    const RESOURCE: &str = "agent-customer-impersonation-access-tokens";
    let attributes = match attributes(request.body, RESOURCE) {
        Ok(a) => a,
        Err(e) => return body_error(e),
    };
    let caller = match authenticate(engine, request) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let reference = string_attribute(&attributes, "customerReference");
    let reason = attributes.get("reason").and_then(Value::as_str);
    let consent_code = attributes.get("consentCode").and_then(Value::as_str);
    match engine.impersonate_as(&caller, reference, reason, consent_code, request.client_ip) {
        Ok(t) => response::token(RESOURCE, link(engine, request.path), &t),
        Err(e) => response::error(&e),
    }
}

/// The paging of a request's query (D14): `Err` is the plain-text 400.
fn request_paging(request: &GlueRequest<'_>) -> Result<Option<(u64, u64)>, GlueResponse> {
    let pairs = request.query_pairs();
    let param = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    search::parse_paging(param(PAGE_OFFSET), param(PAGE_LIMIT))
        .map_err(|_| response::plain_text(400, search::INVALID_PAGING))
}

/// The request URL as received: base URL + path + raw query (D14).
fn request_link(engine: &Engine, request: &GlueRequest<'_>) -> String {
    let base = link(engine, request.path);
    match request.query {
        "" => base,
        q => format!("{base}?{q}"),
    }
}

/// The top-level links of a paged list (D14): self, last, first, prev (when
/// the offset is past the first page), next (when rows follow); only self
/// when there is nothing.
fn paging_links(
    engine: &Engine,
    request: &GlueRequest<'_>,
    (offset, limit): (u64, u64),
    total: u64,
) -> Map<String, Value> {
    let base = link(engine, request.path);
    let mut links = Map::new();
    links.insert("self".into(), request_link(engine, request).into());
    if total == 0 {
        return links;
    }
    // Other parameters keep their raw form; paging is appended as Spryker does.
    let others: String = request
        .query
        .split('&')
        .filter(|segment| !segment.is_empty())
        .filter(|segment| {
            let key = form_urlencoded::parse(segment.as_bytes())
                .next()
                .map(|(k, _)| k.into_owned());
            !matches!(key.as_deref(), Some(PAGE_OFFSET | PAGE_LIMIT))
        })
        .map(|segment| format!("{segment}&"))
        .collect();
    let page_link = |o: u64| format!("{base}?{others}page[offset]={o}&page[limit]={limit}");
    links.insert(
        "last".into(),
        page_link(limit * (total.div_ceil(limit) - 1)).into(),
    );
    links.insert("first".into(), page_link(0).into());
    if offset > 0 {
        links.insert(
            "prev".into(),
            page_link(offset.saturating_sub(limit)).into(),
        );
    }
    if let Some(next) = offset.checked_add(limit).filter(|&n| n < total) {
        links.insert("next".into(), page_link(next).into());
    }
    links
}

/// `GET /agent-customer-search`: Spryker's agent customer search (D14).
pub(super) fn customer_search(engine: &Engine, request: &GlueRequest<'_>) -> GlueResponse {
    const RESOURCE: &str = "agent-customer-search";
    let paging = match request_paging(request) {
        Ok(paging) => paging,
        Err(r) => return r,
    };
    let pairs = request.query_pairs();
    let q = pairs
        .iter()
        .find(|(k, _)| k == "q")
        .map_or("", |(_, v)| v.as_str());
    if let Err(r) = authenticate(engine, request) {
        return r;
    }
    let query = search::page(q, paging);
    let page = match engine.search_customers(&query) {
        Ok(p) => p,
        Err(e) => return response::error(&e),
    };
    let customers: Vec<Value> = page
        .customers
        .iter()
        .map(|c| {
            json!({
                "customerReference": c.customer_reference,
                "email": c.email,
                "firstName": c.first_name,
                "lastName": c.last_name,
            })
        })
        .collect();
    // The directory pages with a u32 offset (clamped for huge offsets, which
    // find nothing anyway); the links keep the requested offset, rounded
    // down to a page boundary as the search rounds it (D14).
    let links = paging_links(engine, request, search::window(paging), page.total);
    let self_link = request_link(engine, request);
    response::ok(&json!({
        "data": [{
            "type": RESOURCE,
            "id": null,
            "attributes": {"customers": customers},
            "links": {"self": self_link},
        }],
        "links": links,
    }))
}

/// The bearer token of a call that needs one: no `Authorization` is
/// 403/002, one that is not `Bearer <token>` 401/001 (as revocation, D8).
fn required_bearer<'r>(request: &GlueRequest<'r>) -> Result<&'r str, GlueResponse> {
    let authorization = request
        .header("Authorization")
        .filter(|h| !h.trim().is_empty())
        .ok_or_else(|| response::error(&Error::MissingAccessToken))?;
    bearer_token(authorization).ok_or_else(|| response::error(&Error::InvalidAccessToken))
}

/// `POST /customer-impersonation-consents`: the customer, with their own
/// token, creates a one-time code for an agent (D30). The body may be empty
/// or a JSON:API document of this type.
pub(super) fn consent(engine: &Engine, request: &GlueRequest<'_>) -> GlueResponse {
    const RESOURCE: &str = "customer-impersonation-consents";
    if !request.body.iter().all(u8::is_ascii_whitespace) {
        if let Err(e) = attributes(request.body, RESOURCE) {
            return body_error(e);
        }
    }
    let token = match required_bearer(request) {
        Ok(t) => t,
        Err(r) => return r,
    };
    match engine.create_consent(token, request.client_ip) {
        Ok(c) => response::created(
            &json!({"data": {
                "type": RESOURCE,
                "id": null,
                "attributes": {"consentCode": c.code, "expiresIn": c.expires_in},
                "links": {"self": link(engine, request.path)},
            }}),
            "no-store",
        ),
        Err(e) => response::error(&e),
    }
}

/// `GET /customer-impersonation-sessions`: the impersonation sessions on
/// the calling customer's account, newest first, paged as D14.
pub(super) fn customer_sessions(engine: &Engine, request: &GlueRequest<'_>) -> GlueResponse {
    const RESOURCE: &str = "customer-impersonation-sessions";
    let paging = match request_paging(request) {
        Ok(paging) => paging,
        Err(r) => return r,
    };
    let token = match required_bearer(request) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let page = match engine.customer_sessions(token, paging) {
        Ok(p) => p,
        Err(e) => return response::error(&e),
    };
    let data: Vec<Value> = page
        .sessions
        .iter()
        .map(|s| {
            json!({
                "type": RESOURCE,
                "id": s.id,
                "attributes": {
                    "agent": s.agent,
                    "reason": s.reason,
                    "startedAt": consent::iso8601(s.started_at),
                    "endedAt": s.ended_at.map(consent::iso8601),
                    "status": s.status,
                },
            })
        })
        .collect();
    let links = paging_links(engine, request, (page.offset, page.limit), page.total);
    // Personal data (who acted, why): no shared cache keeps it.
    response::ok(&json!({"data": data, "links": links})).with_header("Cache-Control", "no-store")
}

/// `POST /refresh-tokens`: refresh.
pub(super) fn refresh(engine: &Engine, request: &GlueRequest<'_>) -> GlueResponse {
    const RESOURCE: &str = "refresh-tokens";
    let attributes = match attributes(request.body, RESOURCE) {
        Ok(a) => a,
        Err(e) => return body_error(e),
    };
    let token = match attributes.get("refreshToken") {
        None | Some(Value::Null) => "",
        Some(Value::String(s)) => s.as_str(),
        // A number or an object cannot be a refresh token.
        Some(_) => return response::error(&Error::RefreshFailed),
    };
    if token.is_empty() {
        return response::error(&Error::InvalidRequest(
            "refreshToken => This value should not be blank.".into(),
        ));
    }
    match engine.refresh(token, request.client_ip) {
        Ok(t) => response::token(RESOURCE, link(engine, request.path), &t),
        Err(e) => response::error(&e),
    }
}

/// `DELETE /refresh-tokens/{token|mine}`: revocation, always 204 (D8).
pub(super) fn revoke(engine: &Engine, request: &GlueRequest<'_>, id: &str) -> GlueResponse {
    let caller = match required_bearer(request) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let id: String = form_urlencoded::parse(format!("id={id}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    if id.is_empty() {
        return super::response::resource_id_missing();
    }
    let result = match id.as_str() {
        "mine" => engine.revoke_mine(caller, request.client_ip),
        token => engine.revoke(caller, token, request.client_ip),
    };
    match result {
        Ok(_) => response::no_content(),
        Err(e) => response::error(&e),
    }
}

/// `GET /.well-known/jwks.json`: the public keys.
pub(super) fn jwks(engine: &Engine) -> GlueResponse {
    response::plain_json(&engine.jwks(), "public, max-age=300")
}

/// `POST /token-introspection`: RFC 7662 (D15).
pub(super) fn introspection(engine: &Engine, request: &GlueRequest<'_>) -> GlueResponse {
    let token = form_urlencoded::parse(request.body)
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned());
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return response::oauth_error(400, "invalid_request");
    };
    match engine.introspect(request.header("Authorization"), &token) {
        Ok(answer) => response::plain_json(&answer, "no-store"),
        Err(e) => response::error(&e),
    }
}
