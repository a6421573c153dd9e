//! `recguard serve`: the sidecar. A thin HTTP layer over [`recguard_host`]
//! for recommenders in any language, as Kubewarden's policy-server and OPA's
//! server mode are for theirs.
//!
//! | route | what |
//! |---|---|
//! | `POST /v1/evaluate` | a request's JSON (as `recguard eval` reads it) → the outcome's JSON |
//! | `POST /v1/evaluate:batch` | a JSON array of requests → an array of `{"outcome": …}` or `{"error": …}` |
//! | `GET /v1/policies` | each policy: name, version, digests, issuer, mode, signer |
//! | `GET /healthz`, `GET /readyz` | liveness; readiness (a chain is loaded; says so if the last reload failed) |
//! | `GET /metrics` | Prometheus text |
//! | `GET /openapi.json` | the OpenAPI 3.1 document of these routes, generated from the types ([`openapi`]) |
//! | `POST /v1/reload` | on the admin listener only: rebuild the chain now (see [`reload`]) |
//! | gRPC `recguard.v1.Sidecar/Evaluate`, `/EvaluateBatch` | the same two calls over HTTP/2 on the same port ([`grpc`]) |
//!
//! Evaluation never runs on the async reactor: it runs on blocking threads,
//! at most `workers` at once (the cores by default), with at most `queue`
//! more waiting; beyond that the answer is `503` with `Retry-After`. A body
//! over `max-body-bytes` gets `413`; a request that does not parse gets
//! `400` with the one-line message and JSON path the CLI prints. On SIGTERM
//! (or SIGINT) the server stops accepting, finishes what is in flight, and
//! returns. It logs through `tracing` (the CLI prints text, or JSON lines
//! with `--log-format json`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::StringRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use recguard_host::{one_line, Chain, EvaluateError, Outcome, Request};
use tokio::sync::Semaphore;

pub mod grpc;
mod metrics;
pub mod openapi;
mod proto_json;
pub mod reload;
pub use metrics::Metrics;
use openapi::{BatchAnswer, ErrorBody, PolicyList, ReloadAnswer, SharedOutcome};
pub use reload::{LiveChain, Loader, Reloaded};

/// How the server runs.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// Evaluations running at once (blocking threads); default: the cores.
    pub workers: usize,
    /// Evaluations waiting for a worker at most; beyond: `503`.
    pub queue: usize,
    /// The largest request body, in bytes; beyond: `413`.
    pub max_body_bytes: usize,
}

impl Default for ServerOptions {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        ServerOptions { workers: cores, queue: 4 * cores, max_body_bytes: recguard_host::MAX_REQUEST_BYTES }
    }
}

/// What the handlers share.
#[derive(Clone)]
struct AppState {
    live: Arc<LiveChain>,
    metrics: Arc<Metrics>,
    /// Admission: a permit per evaluation running or waiting.
    admitted: Arc<Semaphore>,
    /// Workers: a permit per evaluation running.
    workers: Arc<Semaphore>,
}

/// The server's routes over the chain `live` serves.
pub fn router(live: Arc<LiveChain>, metrics: Arc<Metrics>, options: &ServerOptions) -> Router {
    let state = AppState {
        live,
        metrics,
        admitted: Arc::new(Semaphore::new(options.workers.max(1) + options.queue)),
        workers: Arc::new(Semaphore::new(options.workers.max(1))),
    };
    let grpc = pb_server(grpc::Sidecar { state: state.clone() }, options.max_body_bytes);
    Router::new()
        .route("/v1/evaluate", post(evaluate))
        .route("/v1/evaluate:batch", post(evaluate_batch))
        .route("/v1/policies", get(policies))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .route("/openapi.json", get(|| async { Json(openapi::cached()) }))
        .layer(DefaultBodyLimit::max(options.max_body_bytes))
        .with_state(state)
        .merge(grpc)
        // After the merge: gRPC's own fallback answers 200 with `unimplemented`, wrong for HTTP.
        .fallback(|uri: axum::http::Uri| async move {
            Failure { status: StatusCode::NOT_FOUND, message: format!("no route {uri}: see GET /openapi.json") }
        })
}

/// The gRPC service's routes (`/recguard.v1.Sidecar/…`), for the same port.
fn pb_server(service: grpc::Sidecar, max_message_bytes: usize) -> Router {
    let server = grpc::pb::sidecar_server::SidecarServer::new(service)
        .max_decoding_message_size(max_message_bytes)
        .max_encoding_message_size(usize::MAX);
    tonic::service::Routes::new(server).into_axum_router()
}

/// The admin listener's routes: `POST /v1/reload`.
pub fn admin_router(live: Arc<LiveChain>) -> Router {
    Router::new().route("/v1/reload", post(reload_now)).with_state(live)
}

/// Serves a fixed `chain` on `listener` until `shutdown` completes, then
/// lets the requests in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    chain: Arc<Chain>,
    options: ServerOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let metrics = Arc::new(Metrics::new());
    let live = LiveChain::fixed(chain, metrics.clone());
    axum::serve(without_delay(listener), router(live, metrics, &options)).with_graceful_shutdown(shutdown).await
}

/// Where and how a reloading server listens.
pub struct Listeners {
    /// The API.
    pub api: tokio::net::TcpListener,
    /// The admin API (`POST /v1/reload`), if any: keep it on loopback.
    pub admin: Option<tokio::net::TcpListener>,
    /// How often watched files are checked for changes; `None`: not watched.
    pub watch_interval: Option<Duration>,
}

/// Serves the chain `loader` builds, reloading it on SIGHUP, on `POST
/// /v1/reload` (admin listener) and when its files change, until `shutdown`
/// completes; then lets the requests in flight finish. `ready` is told once
/// the first chain is built and the listeners accept. Errs if the first
/// chain does not build.
pub async fn serve_reloading(
    listeners: Listeners,
    loader: Arc<Loader>,
    options: ServerOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ready: tokio::sync::oneshot::Sender<()>,
) -> anyhow::Result<()> {
    let metrics = Arc::new(Metrics::new());
    let live = {
        let metrics = metrics.clone();
        tokio::task::spawn_blocking(move || LiveChain::start(loader, metrics)).await?.map_err(|e| anyhow::anyhow!(e))?
    };
    // SIGHUP is handled from here on, before anyone is told the server is ready.
    let triggers = tokio::spawn(live.clone().run_triggers(listeners.watch_interval));
    let _ = ready.send(());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let admin = listeners.admin.map(|listener| {
        let mut stopped = stopped.clone();
        let app = admin_router(live.clone());
        tokio::spawn(async move {
            axum::serve(without_delay(listener), app).with_graceful_shutdown(async move {
                let _ = stopped.wait_for(|s| *s).await;
            }).await
        })
    });
    tracing::info!(policies = live.chain().policies().count(), "serving");
    let result = axum::serve(without_delay(listeners.api), router(live, metrics, &options))
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop.send(true);
        })
        .await;
    triggers.abort();
    if let Some(admin) = admin {
        let _ = admin.await;
    }
    tracing::info!("stopped: the requests in flight finished");
    Ok(result?)
}

/// A future that completes on SIGTERM or SIGINT. The handlers are installed
/// when this is called (inside the runtime), not when the future is first
/// polled: a signal that comes right after the server says it listens is
/// never met by the default action (which would end the process at once).
pub fn termination() -> impl std::future::Future<Output = ()> + Send + 'static {
    use tokio::signal::unix::{signal, SignalKind};
    let handlers = (signal(SignalKind::terminate()), signal(SignalKind::interrupt()));
    async move {
        match handlers {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            // Without signal handlers the server runs until killed.
            _ => std::future::pending().await,
        }
    }
}

/// The listener with Nagle's algorithm off on every connection it accepts.
/// An HTTP/2 (gRPC) answer goes out as several frames; with Nagle on, the
/// last of them waits for the client's delayed ACK, about 40 ms a call.
fn without_delay(listener: tokio::net::TcpListener) -> impl axum::serve::Listener<Addr = SocketAddr> {
    use axum::serve::ListenerExt;
    listener.tap_io(|stream| {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY on a connection");
        }
    })
}

/// Binds `address` (e.g. `127.0.0.1:8181`; port 0 picks a free one).
pub async fn bind(address: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(address).await
}

/// An error answer: a status and a one-line message as `{"error": …}`.
struct Failure {
    status: StatusCode,
    message: String,
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(ErrorBody { error: self.message })).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        }
        response
    }
}

fn evaluate_error(error: &EvaluateError) -> Failure {
    let status = match error {
        EvaluateError::Request(_) => StatusCode::BAD_REQUEST,
        EvaluateError::Capacity { .. } => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    Failure { status, message: one_line(&format!("{error}")) }
}

impl AppState {
    /// Runs `work` on a blocking worker once admitted; `503` if the queue is full.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce(&Chain) -> T + Send + 'static) -> Result<T, Failure> {
        let Ok(_admitted) = self.admitted.clone().try_acquire_owned() else {
            self.metrics.error();
            return Err(Failure {
                status: StatusCode::SERVICE_UNAVAILABLE,
                message: "over capacity: every worker is busy and the queue is full; retry shortly".into(),
            });
        };
        let _worker = self.workers.clone().acquire_owned().await.map_err(|_| Failure {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: "the server is shutting down".into(),
        })?;
        self.metrics.in_flight().inc();
        let chain = self.live.chain();
        let result = tokio::task::spawn_blocking(move || work(&chain)).await;
        self.metrics.in_flight().dec();
        result.map_err(|e| Failure { status: StatusCode::INTERNAL_SERVER_ERROR, message: format!("the evaluation stopped: {e}") })
    }
}

/// The body as text; a body over the limit or not UTF-8 gets the same
/// `{"error": …}` answer as every other refusal.
fn body_text(body: Result<String, StringRejection>) -> Result<String, Failure> {
    body.map_err(|rejection| Failure { status: rejection.status(), message: one_line(&rejection.body_text()) })
}

/// Parses and evaluates one request; the parsed request is shared with the
/// chain's receipt, not copied.
fn evaluate_one(chain: &Chain, json: &str) -> Result<Arc<Outcome>, EvaluateError> {
    chain.evaluate_shared(Arc::new(Request::from_json(json)?))
}

async fn evaluate(
    State(state): State<AppState>,
    body: Result<String, StringRejection>,
) -> Result<Json<SharedOutcome>, Failure> {
    let body = body_text(body)?;
    let result = state.run(move |chain| evaluate_one(chain, &body)).await?;
    match result {
        Ok(outcome) => {
            state.metrics.outcome(&outcome);
            Ok(Json(SharedOutcome(outcome)))
        }
        Err(error) => {
            state.metrics.error();
            let failure = evaluate_error(&error);
            tracing::debug!(status = failure.status.as_u16(), error = %failure.message, "request refused");
            Err(failure)
        }
    }
}

async fn evaluate_batch(
    State(state): State<AppState>,
    body: Result<String, StringRejection>,
) -> Result<Json<Vec<BatchAnswer>>, Failure> {
    let body = body_text(body)?;
    let requests: Vec<Box<serde_json::value::RawValue>> = serde_json::from_str(&body)
        .map_err(|e| Failure { status: StatusCode::BAD_REQUEST, message: format!("a batch is a JSON array of requests: {e}") })?;
    let results = state
        .run(move |chain| {
            requests
                .iter()
                .enumerate()
                .map(|(i, raw)| {
                    evaluate_one(chain, raw.get()).map_err(|e| one_line(&format!("request {i}: {e}")))
                })
                .collect::<Vec<_>>()
        })
        .await?;
    let items = results
        .into_iter()
        .map(|result| match result {
            Ok(outcome) => {
                state.metrics.outcome(&outcome);
                BatchAnswer::Outcome(SharedOutcome(outcome))
            }
            Err(message) => {
                state.metrics.error();
                BatchAnswer::Error(message)
            }
        })
        .collect();
    Ok(Json(items))
}

async fn policies(State(state): State<AppState>) -> Json<PolicyList> {
    Json(PolicyList { policies: state.live.chain().policy_summaries() })
}

/// Ready while a chain serves; says so when the last reload failed and the last good chain serves.
async fn readyz(State(state): State<AppState>) -> String {
    match state.live.last_failure() {
        None => "ready\n".into(),
        Some(reason) => format!("ready: serving the last good chain; the last reload failed: {reason}\n"),
    }
}

/// `POST /v1/reload`: `200` with the new chain's policy count, or `409`
/// with why the last good chain keeps serving.
async fn reload_now(State(live): State<Arc<LiveChain>>) -> Response {
    match live.reload("POST /v1/reload").await {
        Reloaded::Swapped { policies } => {
            Json(ReloadAnswer { reloaded: true, policies: Some(policies), error: None }).into_response()
        }
        Reloaded::KeptLastGood { reason } => {
            (StatusCode::CONFLICT, Json(ReloadAnswer { reloaded: false, policies: None, error: Some(reason) })).into_response()
        }
    }
}

async fn metrics_text(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], state.metrics.encode())
}
