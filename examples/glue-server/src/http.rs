//! The HTTP transport: hyper serves HTTP/1.1 connections under time limits
//! and a connection cap; axum hands every request to the engine's Glue
//! handler. Every answer the server makes itself is JSON:API, as the
//! handler's are.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use agent_oauth_core::Engine;
use agent_oauth_core::glue::{
    GlueRequest, GlueResponse, body_too_large, internal_error, post_data_invalid, request_timeout,
};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;
use tower::ServiceExt;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// Default of `--header-timeout`, in seconds.
pub const DEFAULT_HEADER_TIMEOUT: u64 = 10;
/// Default of `--body-timeout`, in seconds.
pub const DEFAULT_BODY_TIMEOUT: u64 = 30;
/// Default of `--idle-timeout`, in seconds.
pub const DEFAULT_IDLE_TIMEOUT: u64 = 60;
/// Default of `--max-connections`: well under the ~20,000 file descriptors a
/// process gets on the machines we run on, leaving room for the database and
/// for connections waiting in the listen backlog.
pub const DEFAULT_MAX_CONNECTIONS: usize = 4096;

/// The largest request head, and the largest read buffer of a connection:
/// hyper answers a larger head with 431, and a connection holds at most
/// this much while its head arrives. Glue heads are a few KiB.
const MAX_HEAD: usize = 64 * 1024;

/// First and longest pause after a failed `accept` (file descriptors
/// exhausted, for instance); the pause doubles up to the longest.
const ACCEPT_BACKOFF: (Duration, Duration) = (Duration::from_millis(10), Duration::from_secs(1));

/// How the server treats its clients' requests.
#[derive(Debug, Clone)]
pub struct Options {
    /// Origins allowed to call from a browser; `X-Agent-Authorization` is
    /// among the allowed headers (D13).
    pub cors_origins: Vec<String>,
    /// How long a request body may take to arrive once its head has; past
    /// it the answer is 408 and the connection is closed. Default
    /// [`DEFAULT_BODY_TIMEOUT`] seconds.
    pub body_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            cors_origins: Vec::new(),
            body_timeout: Duration::from_secs(DEFAULT_BODY_TIMEOUT),
        }
    }
}

/// How long connections may take and how many are served at once.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How long a request head may take: from the accept for a connection's
    /// first request, from the first byte of the next one on a kept-alive
    /// connection. Past it the connection is closed without an answer.
    /// Default [`DEFAULT_HEADER_TIMEOUT`] seconds.
    pub header_timeout: Duration,
    /// How long a kept-alive connection may wait for its next request before
    /// it is closed. Default [`DEFAULT_IDLE_TIMEOUT`] seconds.
    pub idle_timeout: Duration,
    /// Connections served at once. At the cap the server stops accepting:
    /// new clients wait in the kernel's listen backlog, holding no file
    /// descriptor of the server, and are served in turn as connections
    /// close (the timeouts above make sure they do). Refusing them instead
    /// would hand the cap's slots to whoever holds them, so a flood of idle
    /// connections would shut out every normal client until it stops.
    /// Default [`DEFAULT_MAX_CONNECTIONS`].
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(DEFAULT_HEADER_TIMEOUT),
            idle_timeout: Duration::from_secs(DEFAULT_IDLE_TIMEOUT),
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

#[derive(Clone)]
struct AppState {
    engine: Engine,
    body_timeout: Duration,
}

/// The router: every path goes to the Glue handler.
pub fn router(engine: Engine, options: &Options) -> Router {
    let state = AppState {
        engine,
        body_timeout: options.body_timeout,
    };
    let router = Router::new()
        .fallback(handle)
        .with_state(state)
        .layer(CatchPanicLayer::custom(|_panic| {
            // The panic hook has printed the message already.
            let mut response = internal_error();
            response.cause = Some("the HTTP handler panicked".into());
            log_failure("-", "-", &response);
            into_http(response)
        }));
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

/// Serves `app` until SIGINT or SIGTERM, then stops accepting, closes idle
/// connections and finishes the requests in flight. The handler finds the
/// peer's address as `ConnectInfo<SocketAddr>` in the request extensions.
pub async fn serve(listener: TcpListener, app: Router, limits: Limits) -> io::Result<()> {
    let slots = Arc::new(Semaphore::new(
        limits.max_connections.min(Semaphore::MAX_PERMITS),
    ));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    // hyper's header timeout also runs while a kept-alive connection waits
    // for its next request, so it cannot tell the two limits apart; the
    // watchdog in `connection` keeps both.
    http.header_read_timeout(None)
        .max_header_size(MAX_HEAD)
        .max_buf_size(MAX_HEAD);
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    let mut at_cap = false;
    let mut backoff = ACCEPT_BACKOFF.0;
    loop {
        let permit = match slots.clone().try_acquire_owned() {
            Ok(permit) => {
                if std::mem::take(&mut at_cap) {
                    tracing::info!("connections below the limit again");
                }
                permit
            }
            Err(_) => {
                if !std::mem::replace(&mut at_cap, true) {
                    tracing::warn!(
                        max_connections = limits.max_connections,
                        "connection limit reached; new connections wait in the listen backlog"
                    );
                }
                tokio::select! {
                    permit = slots.clone().acquire_owned() => {
                        permit.expect("the connection semaphore is never closed")
                    }
                    () = &mut shutdown => break,
                }
            }
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    // EMFILE and the like: retrying at once would spin.
                    tracing::error!("accept error: {e}; retrying in {} ms", backoff.as_millis());
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {},
                        () = &mut shutdown => break,
                    }
                    backoff = (backoff * 2).min(ACCEPT_BACKOFF.1);
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        backoff = ACCEPT_BACKOFF.0;
        // Answers are small and complete: send them without Nagle's delay.
        let _ = stream.set_nodelay(true);
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(Watched {
            inner: stream,
            activity: activity.clone(),
        });
        let service = {
            let (app, activity) = (app.clone(), activity.clone());
            hyper::service::service_fn(move |mut request: Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                let busy = activity.begin_request();
                let app = app.clone();
                async move {
                    let response = app.oneshot(request).await;
                    drop(busy);
                    response
                }
            })
        };
        let conn = graceful.watch(http.serve_connection(io, service));
        tokio::spawn(connection(conn, activity, limits, peer, permit));
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Drives one connection and closes it when its head or idle time runs out.
/// Dropping hyper's connection closes the socket; the permit goes with it.
async fn connection(
    conn: impl Future<Output = hyper::Result<()>>,
    activity: Arc<Activity>,
    limits: Limits,
    peer: SocketAddr,
    permit: tokio::sync::OwnedSemaphorePermit,
) {
    let _permit = permit;
    tokio::pin!(conn);
    loop {
        let deadline = activity.deadline(&limits);
        tokio::select! {
            result = &mut conn => {
                if let Err(e) = result {
                    tracing::debug!(%peer, "connection ended: {e}");
                }
                return;
            }
            // A request in flight has no deadline here (its body has its own
            // in the handler); a change of phase wakes the loop, and the
            // deadline is judged again when it passes.
            () = sleep_until(deadline) => {
                if activity.deadline(&limits).is_some_and(|d| d <= Instant::now()) {
                    tracing::debug!(%peer, "connection closed: no complete request in time");
                    return;
                }
            }
            () = activity.changed.notified() => {}
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// Where a connection is between requests, as the watchdog sees it.
struct Activity {
    opened: Instant,
    phase: Mutex<Phase>,
    /// Signalled when the deadline may have moved.
    changed: Notify,
}

#[derive(Default)]
struct Phase {
    /// Requests handed to the service and not yet answered.
    busy: usize,
    /// When the last request was answered; `None` before the first.
    idle_since: Option<Instant>,
    /// When the first byte after `idle_since` arrived: a head has begun.
    head_started: Option<Instant>,
}

impl Activity {
    fn new() -> Self {
        Activity {
            opened: Instant::now(),
            phase: Mutex::new(Phase::default()),
            changed: Notify::new(),
        }
    }

    fn phase(&self) -> std::sync::MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// When the connection must be closed unless it makes progress.
    fn deadline(&self, limits: &Limits) -> Option<Instant> {
        let phase = self.phase();
        if phase.busy > 0 {
            return None;
        }
        Some(match (phase.head_started, phase.idle_since) {
            (Some(started), _) => started + limits.header_timeout,
            (None, Some(idle)) => idle + limits.idle_timeout,
            (None, None) => self.opened + limits.header_timeout,
        })
    }

    /// Bytes arrived. Between requests they start the next head, whose time
    /// then counts from here. (Bytes of the next request read while the last
    /// one is still in flight leave the idle limit in charge, which is the
    /// longer bound, never none.)
    fn on_read(&self) {
        let mut phase = self.phase();
        if phase.busy == 0 && phase.idle_since.is_some() && phase.head_started.is_none() {
            phase.head_started = Some(Instant::now());
            drop(phase);
            self.changed.notify_one();
        }
    }

    fn begin_request(self: &Arc<Self>) -> Busy {
        let mut phase = self.phase();
        phase.busy += 1;
        phase.head_started = None;
        drop(phase);
        self.changed.notify_one();
        Busy(self.clone())
    }
}

/// A request in flight; its end starts the idle time.
struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        let mut phase = self.0.phase();
        phase.busy -= 1;
        if phase.busy == 0 {
            phase.idle_since = Some(Instant::now());
            phase.head_started = None;
        }
        drop(phase);
        self.0.changed.notify_one();
    }
}

/// The socket, telling the watchdog when bytes arrive.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.on_read();
        }
        result
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Errors of one connection that `accept` reports; the next accept is fine.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Resolves at SIGINT or SIGTERM. The handlers are installed when this is
/// called, not when it is first polled: a signal that arrives between the
/// "listening" line and the first turn of the accept loop must still stop
/// the server gracefully rather than kill it.
fn shutdown_signal() -> impl Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let interrupt = signal(SignalKind::interrupt());
    let terminate = signal(SignalKind::terminate());
    async move {
        let wait = |s: std::io::Result<tokio::signal::unix::Signal>| async move {
            match s {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = wait(interrupt) => {},
            () = wait(terminate) => {},
        }
        tracing::info!("shutting down");
    }
}

/// Why a request body could not be read whole.
enum BodyFailure {
    /// Over `glue_max_body_bytes`: 413.
    TooLarge,
    /// Not all there within the body timeout: 408.
    TimedOut,
    /// Broken framing (an invalid chunk size) or a connection lost mid-body: 400.
    Malformed,
}

async fn read_body(body: Body, limit: usize, timeout: Duration) -> Result<Bytes, BodyFailure> {
    match tokio::time::timeout(timeout, Limited::new(body, limit).collect()).await {
        Err(_) => Err(BodyFailure::TimedOut),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.is::<LengthLimitError>() => Err(BodyFailure::TooLarge),
        Ok(Err(_)) => Err(BodyFailure::Malformed),
    }
}

async fn handle(State(state): State<AppState>, request: Request<Body>) -> Response<Body> {
    let started = std::time::Instant::now();
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
        Some(n) if n > limit => Err(BodyFailure::TooLarge),
        _ => read_body(body, limit, state.body_timeout).await,
    };
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip());
    let response = match (body, peer) {
        (Err(failure), _) => {
            // The rest of the body is unread: the connection cannot carry
            // another request.
            let mut response = match failure {
                BodyFailure::TooLarge => body_too_large(),
                BodyFailure::TimedOut => request_timeout(),
                BodyFailure::Malformed => post_data_invalid(),
            };
            response.headers.push(("Connection", "close".to_owned()));
            response
        }
        (Ok(_), None) => {
            let mut response = internal_error();
            response.cause = Some("no peer address on the request".into());
            response
        }
        (Ok(body), Some(peer)) => {
            // The peer as seen; the handler applies the trusted-proxy rule (D29).
            let client_ip = peer.to_string();
            let query = parts.uri.query().unwrap_or_default().to_owned();
            // A value that is not UTF-8 is passed on (lossily), not dropped:
            // a present but broken Authorization header is invalid (001,
            // 4102), not absent (D11).
            let headers: Vec<(String, String)> = parts
                .headers
                .iter()
                .map(|(n, v)| {
                    let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
                    (n.as_str().to_owned(), value)
                })
                .collect();
            let engine = state.engine.clone();
            let brief = engine.glue_request_is_brief(&method, &path);
            let (method, path) = (method.clone(), path.clone());
            let answer = move || {
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
            };
            // A brief request (an impersonation or a refresh on the embedded
            // store: a signature and a short local write) is answered here:
            // the hand-off to a blocking thread and back costs more than it
            // saves. Everything that may wait (password work, search, a
            // synced write, a database server) goes to the blocking pool.
            let answered = if brief {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(answer))
                    .map_err(|_| "the Glue handler panicked")
            } else {
                tokio::task::spawn_blocking(answer)
                    .await
                    .map_err(|e| match e.is_panic() {
                        true => "the Glue handler panicked",
                        false => "the Glue handler was cancelled",
                    })
            };
            answered.unwrap_or_else(|cause| {
                // A panic's message has gone to stderr through the panic hook.
                let mut response = internal_error();
                response.cause = Some(cause.into());
                response
            })
        }
    };
    let path = loggable_path(&path);
    match response.cause {
        Some(_) => log_failure(&method, &path, &response),
        None => tracing::info!(
            method = %method,
            path = %path,
            status = response.status,
            ms = format_args!("{:.2}", started.elapsed().as_secs_f64() * 1e3),
            "request"
        ),
    }
    into_http(response)
}

/// Logs an answer that carries an internal cause (D16: the path is masked,
/// and the cause never holds a secret).
fn log_failure(method: &str, path: &str, response: &GlueResponse) {
    tracing::error!(
        method = %method,
        path = %path,
        status = response.status,
        cause = response.cause.as_deref().unwrap_or_default(),
        "request failed"
    );
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
