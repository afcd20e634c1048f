//! The HTTP transport: axum hands every request to the engine's Glue handler.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use agent_oauth_core::Engine;
use agent_oauth_core::glue::{GlueRequest, GlueResponse, body_too_large, internal_error};
use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// How the server treats its clients.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Origins allowed to call from a browser; `X-Agent-Authorization` is
    /// among the allowed headers (D13).
    pub cors_origins: Vec<String>,
    /// Proxies whose `X-Forwarded-For` is believed (D17).
    pub trusted_proxies: Vec<IpAddr>,
}

#[derive(Clone)]
struct AppState {
    engine: Engine,
    trusted_proxies: std::sync::Arc<Vec<IpAddr>>,
}

/// The router: every path goes to the Glue handler.
pub fn router(engine: Engine, options: &Options) -> Router {
    let state = AppState {
        engine,
        trusted_proxies: std::sync::Arc::new(options.trusted_proxies.clone()),
    };
    let router = Router::new().fallback(handle).with_state(state);
    if options.cors_origins.is_empty() {
        return router;
    }
    let origins: Vec<HeaderValue> = options
        .cors_origins
        .iter()
        .filter_map(|o| o.parse().ok())
        .collect();
    router.layer(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([
                axum::http::Method::GET,
                axum::http::Method::POST,
                axum::http::Method::DELETE,
            ])
            .allow_headers([
                axum::http::header::AUTHORIZATION,
                axum::http::header::CONTENT_TYPE,
                axum::http::header::ACCEPT,
                HeaderName::from_static("x-agent-authorization"),
            ]),
    )
}

/// Serves until SIGINT or SIGTERM, then finishes the requests in flight.
pub async fn serve(listener: tokio::net::TcpListener, app: Router) -> std::io::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

async fn handle(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request<Body>,
) -> Response<Body> {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let method = parts.method.as_str().to_owned();
    let path = parts.uri.path().to_owned();
    let limit = state.engine.config().glue_max_body_bytes;
    let declared = parts
        .headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    // Oversized bodies are refused without being read whole.
    let body = match declared {
        Some(n) if n > limit => None,
        _ => to_bytes(body, limit).await.ok(),
    };
    let response = match body {
        None => body_too_large(),
        Some(body) => {
            let client_ip =
                client_ip(peer.ip(), &parts.headers, &state.trusted_proxies).to_string();
            let query = parts.uri.query().unwrap_or_default().to_owned();
            let headers: Vec<(String, String)> = parts
                .headers
                .iter()
                .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
                .collect();
            let engine = state.engine.clone();
            let (method, path) = (method.clone(), path.clone());
            // SQLite and RSA block; keep them off the async workers.
            tokio::task::spawn_blocking(move || {
                let headers: Vec<(&str, &str)> = headers
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.as_str()))
                    .collect();
                engine.handle_glue(&GlueRequest {
                    method: &method,
                    path: &path,
                    query: &query,
                    headers: &headers,
                    body: &body,
                    client_ip: &client_ip,
                })
            })
            .await
            .unwrap_or_else(|_| internal_error())
        }
    };
    tracing::info!(
        method = %method,
        path = %loggable_path(&path),
        status = response.status,
        ms = format_args!("{:.2}", started.elapsed().as_secs_f64() * 1e3),
        "request"
    );
    into_http(response)
}

fn into_http(response: GlueResponse) -> Response<Body> {
    let mut http = Response::new(Body::from(response.body));
    *http.status_mut() =
        StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in response.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            http.headers_mut().append(name, value);
        }
    }
    http
}

/// The path as logged: a refresh token in any segment (after
/// `refresh-tokens`, or starting with `ao1_`, routed or not) is replaced by a
/// placeholder (D16).
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    let segments: Vec<&str> = path.split('/').collect();
    let secret = |i: usize, segment: &str| {
        segment.starts_with(agent_oauth_core::REFRESH_TOKEN_PREFIX)
            || (i > 0
                && segments[i - 1] == "refresh-tokens"
                && !segment.is_empty()
                && segment != "mine")
    };
    if !segments.iter().enumerate().any(|(i, s)| secret(i, s)) {
        return std::borrow::Cow::Borrowed(path);
    }
    let masked: Vec<&str> = segments
        .iter()
        .enumerate()
        .map(|(i, s)| if secret(i, s) { "{refreshToken}" } else { s })
        .collect();
    std::borrow::Cow::Owned(masked.join("/"))
}

/// The client's address: the socket peer, unless the peer is a trusted
/// proxy; then the right-most `X-Forwarded-For` entry that is not (D17).
pub fn client_ip(peer: IpAddr, headers: &axum::http::HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|entry| entry.trim().parse::<IpAddr>().ok())
        .collect::<Vec<_>>();
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !trusted.contains(ip))
        .unwrap_or(peer)
}
