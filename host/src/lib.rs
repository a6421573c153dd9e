//! recguard's host: load policy components, run them as a chain on each
//! recommendation request under hard limits, merge their decisions, and
//! record who decided what, citing the article.
//!
//! ```no_run
//! use recguard_host::{Chain, PolicyComponent, PolicyOptions, Request, Runtime, RuntimeOptions};
//!
//! let runtime = Runtime::new(RuntimeOptions::default())?;
//! let minors = PolicyComponent::load_file(&runtime, "target/policies/minors.wasm")?;
//! let chain = Chain::builder(&runtime).policy(minors, PolicyOptions::regulator())?.build()?;
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

mod cache;
mod chain;
mod check;
mod component;
pub mod config;
mod decision;
mod error;
mod json_int;
mod layout;
mod link;
pub mod merge;
mod options;
mod order;
mod outcome;
mod reads;
mod request;
mod runtime;
pub mod wire;

pub use chain::{Chain, ChainBuilder};
pub use check::{MAX_ADDED_LABELS_PER_ISSUER, MAX_LABEL_BYTES};
pub use component::{CacheUse, Evaluation, PolicyComponent, MAX_COMPONENT_MIB};
pub use decision::{Action, Block, Citation, Decision, Descriptor, Finding, ItemAction, LogLevel, Notice, Rerank, TagSetAside};
pub use error::{ConfigError, EvaluateError, LoadError, SettingsError};
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
