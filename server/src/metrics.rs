//! The server's Prometheus metrics (`GET /metrics`): requests by verdict,
//! per-policy evaluation latency, limit hits by limit and policy, failures
//! by kind, policy and what the error policy did (fail-closed or fail-open),
//! requests in flight, and reloads.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use recguard_host::{Outcome, Status};

/// Labels of a request counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct VerdictLabels {
    /// `serve`, `block`, or `error` (bad input, over capacity).
    pub verdict: String,
}

/// Labels of a per-policy series.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PolicyLabels {
    /// The policy's name in the chain.
    pub policy: String,
}

/// Labels of a failure counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FailureLabels {
    /// The policy.
    pub policy: String,
    /// The failure's kind (`deadline`, `memory`, `trap`, …).
    pub kind: String,
    /// `fail-closed` or `fail-open`: what its error policy did.
    pub handled: String,
}

/// Labels of the limit-hit counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LimitLabels {
    /// The policy.
    pub policy: String,
    /// The limit: `deadline`, `memory-limit`, `fuel-limit`, `decision-limit` or `chain-deadline`.
    pub limit: String,
}

/// Labels of the reload counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReloadLabels {
    /// `ok` (swapped in) or `failed` (the last good chain kept).
    pub result: String,
}

/// Every metric the server exports.
pub struct Metrics {
    reloads: Family<ReloadLabels, Counter>,
    reload_failing: Gauge,
    registry: Registry,
    requests: Family<VerdictLabels, Counter>,
    policy_seconds: Family<PolicyLabels, Histogram>,
    failures: Family<FailureLabels, Counter>,
    limit_hits: Family<LimitLabels, Counter>,
    in_flight: Gauge,
}

impl Metrics {
    /// Registers the metrics.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("recguard");
        let requests = Family::<VerdictLabels, Counter>::default();
        registry.register("requests", "Evaluation requests answered, by verdict", requests.clone());
        let policy_seconds =
            Family::<PolicyLabels, Histogram>::new_with_constructor(|| Histogram::new(exponential_buckets(0.000_005, 2.0, 16)));
        registry.register("policy_evaluation_seconds", "Time in each policy per evaluation", policy_seconds.clone());
        let failures = Family::<FailureLabels, Counter>::default();
        registry.register("policy_failures", "Policy failures (limits hit, traps, errors), by kind and error policy", failures.clone());
        let limit_hits = Family::<LimitLabels, Counter>::default();
        registry.register("limit_hits", "Policies stopped by a limit of the host, by policy and limit", limit_hits.clone());
        let in_flight = Gauge::default();
        registry.register("requests_in_flight", "Evaluation requests being answered", in_flight.clone());
        let reloads = Family::<ReloadLabels, Counter>::default();
        registry.register("reloads", "Chain reloads, by result", reloads.clone());
        let reload_failing = Gauge::default();
        registry.register(
            "last_reload_failed",
            "1 while the last reload failed and the last good chain serves (GET /readyz says why)",
            reload_failing.clone(),
        );
        Metrics { reloads, reload_failing, registry, requests, policy_seconds, failures, limit_hits, in_flight }
    }

    /// Counts a request that got no outcome.
    pub fn error(&self) {
        self.requests.get_or_create(&VerdictLabels { verdict: "error".into() }).inc();
    }

    /// Records an outcome: its verdict, each policy's time and failure.
    pub fn outcome(&self, outcome: &Outcome) {
        let verdict = if outcome.is_blocked() { "block" } else { "serve" };
        self.requests.get_or_create(&VerdictLabels { verdict: verdict.into() }).inc();
        for trace in &outcome.trace {
            let policy = PolicyLabels { policy: trace.policy.clone() };
            self.policy_seconds.get_or_create(&policy).observe(trace.elapsed_us as f64 / 1e6);
            if let Status::Failed { failure, handled } = &trace.status {
                let kind = failure.kind.name().to_string();
                let handled = serde_json::to_value(handled).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
                if failure.kind.is_limit() {
                    self.limit_hits.get_or_create(&LimitLabels { policy: trace.policy.clone(), limit: kind.clone() }).inc();
                }
                self.failures.get_or_create(&FailureLabels { policy: trace.policy.clone(), kind, handled }).inc();
            }
        }
    }

    /// Counts a reload and whether the last one failed.
    pub fn reload(&self, ok: bool) {
        let result = if ok { "ok" } else { "failed" };
        self.reloads.get_or_create(&ReloadLabels { result: result.into() }).inc();
        self.reload_failing.set(i64::from(!ok));
    }

    /// The gauge of requests in flight.
    pub fn in_flight(&self) -> &Gauge {
        &self.in_flight
    }

    /// The metrics in Prometheus' text format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry).expect("writing to a String cannot fail");
        text
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
