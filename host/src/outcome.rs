//! The outcome of a chain: what is served, and a trace of who decided what,
//! citing which article, so that every decision can be audited and replayed.

use serde::{Deserialize, Serialize};

use crate::decision::LogLevel;
use crate::reads::Reads;
use crate::options::{Issuer, Mode, OnError};
use crate::text::{CandidateId, Code};

/// The result of running a chain on one request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub struct Outcome {
    /// The provider's request id.
    pub request_id: String,
    /// Serve, or block with a reason for the user.
    pub verdict: Verdict,
    /// Whether personal data may have shaped the served order: false when a
    /// regulator-issued policy put every candidate in a non-personal order
    /// (e.g. opt-out, for a user who switched personalisation off), or a
    /// fail-closed fallback did.
    pub personalised: bool,
    /// The candidates to serve, in order, with the labels to show.
    pub candidates: Vec<ServedItem>,
    /// Notices to show with the response.
    pub notices: Vec<ServedNotice>,
    /// User tags set aside for this request.
    pub tags_set_aside: Vec<String>,
    /// True if the chain runs with the development switch that lets
    /// unsigned policies in (see each trace entry's `signed-by`).
    #[serde(default)]
    pub unsigned_policies_allowed: bool,
    /// One entry per policy in the chain, in order.
    pub trace: Vec<PolicyTrace>,
    /// The sequence number of this evaluation's receipt, once durable (a
    /// chain with a `sync` audit store); none without a store, or `async`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<u64>,
}

/// Whether the request is served.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Verdict {
    /// Serve the candidates (possibly none).
    Serve,
    /// Serve nothing; show the reason.
    #[serde(rename_all = "kebab-case")]
    Block {
        /// The reason shown to the user.
        reason: String,
        /// When the user may try again, Unix milliseconds, if known.
        retry_at_ms: Option<u64>,
        /// The policy that blocked.
        policy: String,
        /// The finding's code (`recguard.fail-closed.<kind>` when a failure closed the chain).
        code: String,
        /// The article cited; none when a failure, not a finding, closed the chain.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        article: Option<String>,
    },
}

/// A candidate as served.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub struct ServedItem {
    /// The candidate's id.
    pub id: CandidateId,
    /// Labels to show with it.
    pub labels: Vec<String>,
    /// The price to charge, in fen, if it has a price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_fen: Option<u64>,
}

/// A notice as served.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub struct ServedNotice {
    /// The text shown to the user.
    pub text: String,
    /// A link for more.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The policy that asked for it.
    pub policy: String,
    /// The finding's code.
    pub code: String,
}

/// What one policy did with the request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub struct PolicyTrace {
    /// The policy's name in the chain.
    pub policy: String,
    /// The policy's version.
    pub version: String,
    /// SHA-256 of the component, so a replay can use the very same code.
    pub digest: String,
    /// SHA-256 of the settings (as JSON) the policy ran with, to replay with the same.
    pub settings_digest: String,
    /// Who issued the policy (for a signed policy, the role its signature gives).
    pub issuer: Issuer,
    /// The id of the trusted key that signed the policy; none if it was
    /// loaded unsigned, under the development switch.
    #[serde(default)]
    pub signed_by: Option<String>,
    /// Enforce or monitor.
    pub mode: Mode,
    /// The request fields the policy received (those its descriptor
    /// declares); every other field reached it empty.
    pub reads: Reads,
    /// What became of the evaluation.
    pub status: Status,
    /// The findings, as the policy gave them.
    pub findings: Vec<TracedFinding>,
    /// Each effect, applied, refused, or (in monitor mode) what it would have done.
    pub effects: Vec<Effect>,
    /// Wall-clock time in the policy (instantiation, the call, copying its
    /// results back: what its deadline limits), in microseconds.
    pub elapsed_us: u64,
    /// Wall-clock time the host spent on the policy's step besides: waiting
    /// for an instance slot, then checking and merging its decision, in microseconds.
    pub host_us: u64,
    /// What the policy logged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub logs: Vec<LogLine>,
}

/// A line a policy logged during an evaluation (at most 64 an evaluation).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LogLine {
    /// Severity.
    pub level: LogLevel,
    /// The text, cut to 1 KiB.
    pub message: String,
}

/// What became of one policy's evaluation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Status {
    /// The decision was applied.
    Applied,
    /// Monitor mode: the decision was recorded and nothing changed.
    Monitored,
    /// The policy failed; `handled` says what the chain did about it.
    Failed {
        /// What went wrong.
        failure: Failure,
        /// The error policy applied (monitor mode never changes the response).
        handled: OnError,
    },
    /// The policy did not run.
    Skipped {
        /// Why not.
        reason: String,
    },
}

/// Why a policy produced no usable decision.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Failure {
    /// Which limit or failure.
    pub kind: FailureKind,
    /// Detail, naming the limit and its value where a limit stopped it.
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The kinds of policy failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    /// Stopped at its wall-clock deadline.
    Deadline,
    /// Tried to grow its memory past the cap.
    MemoryLimit,
    /// Ran out of fuel.
    FuelLimit,
    /// Trapped (panic, unreachable, out of bounds, instantiation failure).
    Trap,
    /// Returned an error instead of a decision.
    PolicyError,
    /// Returned a decision that cites unknown candidates or findings, or
    /// breaks a rule of the contract (e.g. a finding that cites no article).
    InvalidDecision,
    /// Returned a decision larger than its limits allow (`max-effects`,
    /// `max-decision-bytes`) or that would grow the request past what the
    /// merge rules allow.
    DecisionLimit,
    /// Did not run: the chain's deadline had passed.
    ChainDeadline,
}

impl FailureKind {
    /// The kind's name, as in JSON (`deadline`, `memory-limit`, …).
    pub fn name(self) -> &'static str {
        match self {
            FailureKind::Deadline => "deadline",
            FailureKind::MemoryLimit => "memory-limit",
            FailureKind::FuelLimit => "fuel-limit",
            FailureKind::Trap => "trap",
            FailureKind::PolicyError => "policy-error",
            FailureKind::InvalidDecision => "invalid-decision",
            FailureKind::DecisionLimit => "decision-limit",
            FailureKind::ChainDeadline => "chain-deadline",
        }
    }

    /// True for a wall-clock limit (the policy's deadline or the chain's):
    /// where it stops a policy depends on how busy the machine was, so a
    /// replay may not reproduce it.
    pub fn is_wall_clock(self) -> bool {
        matches!(self, FailureKind::Deadline | FailureKind::ChainDeadline)
    }

    /// True for a limit the host enforces (time, memory, fuel, decision
    /// size), as against the policy failing on its own (trap, error,
    /// invalid decision).
    pub fn is_limit(self) -> bool {
        matches!(
            self,
            FailureKind::Deadline
                | FailureKind::MemoryLimit
                | FailureKind::FuelLimit
                | FailureKind::DecisionLimit
                | FailureKind::ChainDeadline
        )
    }
}

/// A finding as recorded in the trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TracedFinding {
    /// The stable code.
    pub code: String,
    /// The article, as `D16 / F18` (with another instrument after `; `, if cited).
    pub article: String,
    /// The user-facing message.
    pub message: String,
}

/// One effect of a decision on the response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub struct Effect {
    /// The candidate affected, if the effect is on one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidate: Option<CandidateId>,
    /// What the effect is.
    pub change: Change,
    /// The finding's code.
    pub code: Code,
    /// Applied, refused, or would have been applied.
    pub result: EffectResult,
}

/// The change an effect makes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Change {
    /// Removed from the response.
    Drop,
    /// A label attached.
    Label {
        /// The label.
        label: String,
    },
    /// Moved by a number of places (positive: up).
    MoveBy {
        /// Places.
        places: i32,
    },
    /// Served at another price.
    Reprice {
        /// The new price, in fen.
        fen: u64,
    },
    /// The candidates put in a new order.
    Rerank {
        /// The order asked for.
        order: Vec<String>,
    },
    /// A notice shown.
    Notice {
        /// The text.
        text: String,
    },
    /// The request blocked.
    Block {
        /// The reason shown.
        reason: String,
    },
    /// A user tag set aside.
    SetAsideTag {
        /// The tag.
        tag: String,
    },
}

/// What became of an effect.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum EffectResult {
    /// It changed the response.
    Applied,
    /// Monitor mode: it would have changed the response.
    WouldApply,
    /// It was refused by the merge rules.
    Refused {
        /// Which rule.
        reason: String,
    },
}

impl Outcome {
    /// Ids of the candidates served, in order.
    pub fn served_ids(&self) -> Vec<&str> {
        self.candidates.iter().map(|c| &*c.id).collect()
    }

    /// True if the request is blocked.
    pub fn is_blocked(&self) -> bool {
        matches!(self.verdict, Verdict::Block { .. })
    }

    /// The trace entry of the policy with this name.
    pub fn trace_of(&self, policy: &str) -> Option<&PolicyTrace> {
        self.trace.iter().find(|t| t.policy == policy)
    }
}
