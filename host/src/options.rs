//! How a policy takes part in a chain, and how the chain as a whole behaves:
//! issuer, mode, error policy, limits, the fail-closed response and the
//! chain's own deadline. Plain data, shared by the config file and the API
//! (the file's tables deserialise into these very types), so every other
//! module of the host may depend on this one and this one on none of them.

use serde::{Deserialize, Serialize};

pub use recguard_trust::Issuer;

/// Whether a policy's decisions change the response.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Decisions are applied.
    #[default]
    Enforce,
    /// Decisions are recorded in the trace and change nothing.
    Monitor,
}

/// What the chain does when a policy fails (a limit, a trap, an error).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum OnError {
    /// Apply the chain's fail-closed response (see [`FailClosed`]).
    #[default]
    FailClosed,
    /// Skip the policy and record the failure.
    FailOpen,
}

/// The response when a policy fails closed (the config file's `[fail-closed]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case", default, deny_unknown_fields)]
pub struct FailClosed {
    /// Block the request, or serve it ordered without personal signals.
    pub response: FailClosedResponse,
    /// The reason shown to the user when the request is blocked.
    pub reason: String,
}

impl Default for FailClosed {
    fn default() -> Self {
        FailClosed {
            response: FailClosedResponse::Block,
            reason: "This content is temporarily unavailable. Please try again later.".to_string(),
        }
    }
}

/// The two fail-closed responses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum FailClosedResponse {
    /// Serve nothing; show the reason.
    Block,
    /// Serve the candidates ordered by their non-personal score; the rest of the chain still runs.
    NonPersonalised,
}

/// The longest deadline a policy or a chain may be given: one minute. Longer
/// ones are refused when the chain is built (they are mistakes, and they
/// would overflow the epoch arithmetic that enforces deadlines).
pub const MAX_DEADLINE_MS: u64 = 60_000;

/// Per-evaluation limits on a policy (the config file's `[limits]`, and a
/// policy's `limits = { … }`, which inherits the keys it leaves out). A policy
/// that exceeds one is stopped; the host carries on and the outcome says
/// which limit was hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case", default, deny_unknown_fields)]
pub struct Limits {
    /// Wall-clock deadline for one evaluation (waiting for nothing: instantiate,
    /// call, and copying the results back), in milliseconds; 1 to 60,000.
    pub deadline_ms: u64,
    /// Cap on the policy's linear memory, in MiB; at least what the policy starts with.
    pub memory_mib: u64,
    /// Optional instruction budget (wasmtime fuel); needs fuel enabled on the runtime.
    pub fuel: Option<u64>,
    /// The most findings, actions, notices and tags set aside one decision may
    /// hold; none: 64, plus 8 per candidate and 2 per user tag of the request.
    pub max_effects: Option<u32>,
    /// The most bytes of text (codes, messages, labels, ids) one decision may
    /// hold; none: 64 KiB, plus 1 KiB per candidate and 512 bytes per user tag
    /// of the request.
    pub max_decision_bytes: Option<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { deadline_ms: 50, memory_mib: 64, fuel: None, max_effects: None, max_decision_bytes: None }
    }
}

impl Limits {
    /// The memory cap in bytes.
    pub fn memory_bytes(&self) -> usize {
        (self.memory_mib as usize).saturating_mul(1024 * 1024)
    }

    /// The deadline as a duration.
    pub fn deadline(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.deadline_ms)
    }

    /// The effect cap for a request of this size (as the chain received it).
    pub fn effects_cap(&self, size: RequestSize) -> usize {
        match self.max_effects {
            Some(cap) => cap as usize,
            None => 64 + 8 * size.candidates + 2 * size.user_tags,
        }
    }

    /// The decision-size cap in bytes for a request of this size (as the chain received it).
    pub fn decision_bytes_cap(&self, size: RequestSize) -> usize {
        match self.max_decision_bytes {
            Some(cap) => usize::try_from(cap).unwrap_or(usize::MAX),
            None => (64 << 10) + (1 << 10) * size.candidates + 512 * size.user_tags,
        }
    }
}

/// How large a request is, for the caps that scale with it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequestSize {
    /// Candidates.
    pub candidates: usize,
    /// Tags in the user's profile.
    pub user_tags: usize,
}

/// How one policy takes part in a chain (in the config file, a
/// `[[policy]]` table less its `path`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct PolicyOptions {
    /// Name in the trace; defaults to the policy's own name.
    #[serde(default)]
    pub name: Option<String>,
    /// Who issued it.
    pub issuer: Issuer,
    /// Enforce or monitor.
    #[serde(default)]
    pub mode: Mode,
    /// What to do when it fails.
    #[serde(default)]
    pub on_error: OnError,
    /// Its settings (a JSON object; keys left out take the policy's defaults).
    #[serde(default = "empty_object")]
    pub settings: serde_json::Value,
    /// Its limits.
    #[serde(default)]
    pub limits: Limits,
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(Default::default())
}

impl PolicyOptions {
    /// A regulator-issued policy, enforced, failing closed, default settings and limits.
    pub fn regulator() -> Self {
        PolicyOptions {
            name: None,
            issuer: Issuer::Regulator,
            mode: Mode::Enforce,
            on_error: OnError::FailClosed,
            settings: empty_object(),
            limits: Limits::default(),
        }
    }

    /// A provider-issued policy, otherwise as [`PolicyOptions::regulator`].
    pub fn provider() -> Self {
        PolicyOptions { issuer: Issuer::Provider, ..Self::regulator() }
    }

    /// With these settings.
    pub fn settings(mut self, settings: serde_json::Value) -> Self {
        self.settings = settings;
        self
    }

    /// In this mode.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// With this error policy.
    pub fn on_error(mut self, on_error: OnError) -> Self {
        self.on_error = on_error;
        self
    }

    /// With these limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Under this name in the trace.
    pub fn named(mut self, name: &str) -> Self {
        self.name = Some(name.to_string());
        self
    }
}

/// How the chain as a whole behaves (the config file's `[chain]`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case", default, deny_unknown_fields)]
pub struct ChainOptions {
    /// Deadline for one request through the whole chain, host work included
    /// (waiting for an instance slot, checking and merging decisions), in
    /// milliseconds; none: the sum of the policies' deadlines plus 50 ms.
    /// A policy that would start after it fails with kind `chain-deadline`.
    pub deadline_ms: Option<u64>,
}
