//! recguard's host: load policy components, run them as a chain on each
//! recommendation request under hard limits, merge their decisions, and
//! record who decided what, citing the article.
//!
//! ```no_run
//! use recguard_host::signing::{PublicKey, TrustedKeys};
//! use recguard_host::{Chain, PolicyComponent, PolicyOptions, Request, Runtime, RuntimeOptions, Trust};
//!
//! let runtime = Runtime::new(RuntimeOptions::default())?;
//! // The component, and its signature kept beside it (minors.wasm.sig).
//! let minors = PolicyComponent::load_file(&runtime, "target/policies/minors.wasm")?;
//! let regulator = PublicKey::read("keys/regulator.pub".as_ref())?;
//! let trust = Trust::keys(TrustedKeys { regulator: vec![regulator], provider: vec![] });
//! let chain = Chain::builder(&runtime).trust(trust).policy(minors, PolicyOptions::regulator())?.build()?;
//! let request = Request::from_reader(std::fs::File::open("request.json")?)?;
//! let outcome = chain.evaluate(&request)?;
//! println!("{}", serde_json::to_string_pretty(&outcome)?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Compile once, instantiate fresh per evaluation: a [`PolicyComponent`] is
//! compiled when loaded and shared; every evaluation gets a new instance,
//! so no state leaks between requests.

#![deny(missing_docs)]

mod applies;
mod audit_log;
mod cache;
mod chain;
mod check;
mod component;
pub mod config;
mod decision;
mod error;
mod fresh;
mod json_int;
mod layout;
mod link;
pub mod merge;
mod options;
mod order;
mod outcome;
mod reads;
mod rows;
mod replay;
mod receipt;
mod request;
mod runtime;
mod store;
mod text;
mod trust;
pub mod wire;
mod world;

pub use applies::{requirable_paths, AppliesTo};
pub use chain::{Chain, ChainBuilder, PolicySummary};
pub use check::{MAX_ADDED_LABELS_PER_ISSUER, MAX_LABEL_BYTES};
pub use component::{sha256_digest, signature_path, CacheUse, CheckedSettings, Evaluation, PolicyComponent, MAX_COMPONENT_MIB};
pub use decision::{Action, Block, Citation, Decision, Descriptor, Finding, ItemAction, LogLevel, Notice, Rerank, TagSetAside};
pub use error::{one_line, ConfigError, EvaluateError, LoadError, SettingsError};
pub use options::{
    ChainOptions, FailClosed, FailClosedResponse, Issuer, Limits, Mode, OnError, PolicyOptions, RequestSize, MAX_DEADLINE_MS,
};
pub use outcome::{
    Change, Effect, EffectResult, Failure, FailureKind, LogLine, Outcome, PolicyTrace, ServedItem, ServedNotice,
    Status, TracedFinding, Verdict,
};
pub use request::{
    AgeBand, Attribute, Candidate, DeliveryTerms, Engagement, ExemptionScope, FeedbackTarget, GuardianExemption,
    ItemKind, NotInterested, OperatorAction, OperatorActionKind, PriceQuote, Provenance, Request, RequestError,
    Surface, TagSource, TopicCount, Usage, User, UserTag, EARLIEST_MS, LATEST_MS, MAX_REQUEST_BYTES,
};
pub use reads::{Reads, READ_PATHS};
pub use runtime::{Runtime, RuntimeOptions, EPOCH_TICK};
pub use text::{CandidateId, Code};
/// The text type of a candidate's short strings (its id, author, topics, risk
/// tags and labels, an operator's id): kept inline up to 24 bytes, so that
/// reading a request allocates nothing for them. Reads as `&str`; built with
/// `"…".into()` or from a `String`.
pub use compact_str::CompactString;
pub use trust::{Trust, TrustConfig};
pub use replay::{differences, Replayed, Replayer};
pub use receipt::{
    verify_log, AuditError, AuditSink, ChainRecord, Checkpoint, ComponentFile, PolicyRecord, Receipt, StoredReceipt,
    Verification, CHECKPOINT_PAYLOAD_TYPE, GENESIS,
};
pub use audit_log::{AuditLog, MIN_RETENTION_DAYS};
pub use store::{component_file, components_dir, system_ms, AuditConfig, AuditOptions, AuditStore, Durability, ASYNC_GROUP_WINDOW, MAX_BATCH};
/// Keys, signature envelopes and policy manifests (the `recguard-trust` crate).
pub use recguard_trust as signing;
