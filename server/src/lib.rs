//! `recguard serve`: the sidecar. A thin HTTP layer over [`recguard_host`]
//! for recommenders in any language, as Kubewarden's policy-server and OPA's
//! server mode are for theirs.
//!
//! | route | what |
//! |---|---|
//! | `POST /v1/evaluate` | a request's JSON (as `recguard eval` reads it) → the outcome's JSON |
//! | `POST /v1/evaluate:batch` | a JSON array of requests → an array of `{"outcome": …}` or `{"error": …}` |
//! | `GET /v1/policies` | each policy: name, version, digests, issuer, mode, signer |
//! | `GET /healthz`, `GET /readyz` | liveness; readiness (a chain is loaded) |
//! | `GET /metrics` | Prometheus text |
//!
//! Evaluation never runs on the async reactor: it runs on blocking threads,
//! at most `workers` at once (the cores by default), with at most `queue`
//! more waiting; beyond that the answer is `503` with `Retry-After`. A body
//! over `max-body-bytes` gets `413`; a request that does not parse gets
//! `400` with the one-line message and JSON path the CLI prints. On SIGTERM
//! (or SIGINT) the server stops accepting, finishes what is in flight, and
//! returns.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use recguard_host::{Chain, EvaluateError, Outcome, Request};
use serde::Serialize;
use tokio::sync::Semaphore;

mod metrics;
pub use metrics::Metrics;

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
    chain: Arc<Chain>,
    metrics: Arc<Metrics>,
    /// Admission: a permit per evaluation running or waiting.
    admitted: Arc<Semaphore>,
    /// Workers: a permit per evaluation running.
    workers: Arc<Semaphore>,
}

/// The server's routes over `chain`.
pub fn router(chain: Arc<Chain>, options: &ServerOptions) -> Router {
    let state = AppState {
        chain,
        metrics: Arc::new(Metrics::new()),
        admitted: Arc::new(Semaphore::new(options.workers.max(1) + options.queue)),
        workers: Arc::new(Semaphore::new(options.workers.max(1))),
    };
    Router::new()
        .route("/v1/evaluate", post(evaluate))
        .route("/v1/evaluate:batch", post(evaluate_batch))
        .route("/v1/policies", get(policies))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(|| async { "ready\n" }))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(options.max_body_bytes))
        .with_state(state)
}

/// Serves `chain` on `listener` until `shutdown` completes, then lets the
/// requests in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    chain: Arc<Chain>,
    options: ServerOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(chain, &options)).with_graceful_shutdown(shutdown).await
}

/// Completes on SIGTERM or SIGINT.
pub async fn termination() {
    use tokio::signal::unix::{signal, SignalKind};
    match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
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
        let mut response = (self.status, Json(serde_json::json!({ "error": self.message }))).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        }
        response
    }
}

/// One line, as the CLI prints errors.
fn one_line(text: &str) -> String {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" | ")
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
        let chain = self.chain.clone();
        let result = tokio::task::spawn_blocking(move || work(&chain)).await;
        self.metrics.in_flight().dec();
        result.map_err(|e| Failure { status: StatusCode::INTERNAL_SERVER_ERROR, message: format!("the evaluation stopped: {e}") })
    }
}

/// An outcome shared with the receipt writer, serialised as the outcome.
struct Shared(Arc<Outcome>);

impl Serialize for Shared {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// Parses and evaluates one request; the parsed request is shared with the
/// chain's receipt, not copied.
fn evaluate_one(chain: &Chain, json: &str) -> Result<Arc<Outcome>, EvaluateError> {
    chain.evaluate_shared(Arc::new(Request::from_json(json)?))
}

async fn evaluate(State(state): State<AppState>, body: String) -> Result<Json<Shared>, Failure> {
    let result = state.run(move |chain| evaluate_one(chain, &body)).await?;
    match result {
        Ok(outcome) => {
            state.metrics.outcome(&outcome);
            Ok(Json(Shared(outcome)))
        }
        Err(error) => {
            state.metrics.error();
            Err(evaluate_error(&error))
        }
    }
}

/// One answer of a batch.
#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
enum BatchItem {
    Outcome(Shared),
    Error(String),
}

async fn evaluate_batch(State(state): State<AppState>, body: String) -> Result<Json<Vec<BatchItem>>, Failure> {
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
                BatchItem::Outcome(Shared(outcome))
            }
            Err(message) => {
                state.metrics.error();
                BatchItem::Error(message)
            }
        })
        .collect();
    Ok(Json(items))
}

async fn policies(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "policies": state.chain.policy_summaries() }))
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], state.metrics.encode())
}
