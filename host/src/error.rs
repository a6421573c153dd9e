//! Typed host errors, one type per stage: loading a component
//! ([`LoadError`]), configuring it in a chain ([`SettingsError`]), reading a
//! config file ([`ConfigError`]), and evaluating a request
//! ([`EvaluateError`]; a bad request is a [`RequestError`](crate::RequestError)).
//! Each message is one line, says what went wrong and what to do next, and
//! keeps the error underneath as its `source`.
//!
//! A policy's *verdict* is never an error: it is a [`Decision`](crate::Decision).
//! A policy that fails while evaluating is not an error of the chain either:
//! the chain applies the policy's error policy and records a
//! [`Failure`](crate::Failure) in the trace.

use std::path::PathBuf;

use crate::outcome::Failure;

/// Folds a message onto one line: its lines, trimmed, joined with ` | `
/// (as the CLI prints errors and the sidecar answers them).
pub fn one_line(text: &str) -> String {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" | ")
}
use crate::request::RequestError;

/// An error from underneath (wasmtime, the file system), kept whole.
pub type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Loading a policy component failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read policy {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The signature file beside the component cannot be used.
    #[error("the signature file {} cannot be used: {error}", path.display())]
    SignatureFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        error: recguard_trust::SignatureError,
    },
    /// The file is larger than any policy component may be.
    #[error("{origin} is larger than the {limit_mib} MiB a policy component may have")]
    TooLarge {
        /// Where the bytes came from.
        origin: String,
        /// The limit, in MiB.
        limit_mib: u64,
    },
    /// The bytes are not WebAssembly at all.
    #[error("{origin} is not a WebAssembly file (no \\0asm header); build policies with `cargo xtask build-policies`")]
    NotWasm {
        /// Where the bytes came from.
        origin: String,
    },
    /// The bytes are a core module, not a component.
    #[error("{origin} is a core WebAssembly module, not a component; turn it into a component of recguard:policy@0.3.0 (`cargo xtask build-policies` does, with wit-component)")]
    NotAComponent {
        /// Where the bytes came from.
        origin: String,
    },
    /// wasmtime could not compile the component.
    #[error("cannot compile {origin}")]
    Compile {
        /// Where the bytes came from.
        origin: String,
        /// wasmtime's error.
        #[source]
        source: Source,
    },
    /// The component is not of the `recguard:policy/policy` world.
    #[error("{origin} is not a recguard:policy@0.3.0 policy: {}", problems.join("; "))]
    WrongWorld {
        /// Where the bytes came from.
        origin: String,
        /// Each missing or extra import or export, or mismatched type.
        problems: Vec<String>,
    },
    /// The policy failed (trapped, or hit a limit) in `describe`, which the host calls when it loads it.
    #[error("{origin} failed while loading, in `describe`: {failure}")]
    Describe {
        /// Where the bytes came from.
        origin: String,
        /// What stopped it.
        failure: Failure,
    },
    /// The wasmtime engine could not be set up.
    #[error("cannot set up the WebAssembly engine: {reason}")]
    Engine {
        /// What is wrong.
        reason: String,
        /// wasmtime's error, if it gave one.
        #[source]
        source: Option<Source>,
    },
}

/// A policy cannot take part in a chain as configured: its settings or its
/// limits are refused. Found when the chain is built, never per request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// The settings are not a JSON object.
    #[error("settings for policy '{policy}' must be a JSON object (a TOML table)")]
    NotAnObject {
        /// The policy.
        policy: String,
    },
    /// The policy rejected its settings.
    #[error("settings for policy '{policy}' are invalid: {message} (`recguard inspect` shows its defaults)")]
    Rejected {
        /// The policy.
        policy: String,
        /// The policy's own message.
        message: String,
    },
    /// The policy declared a scope (`applies-to`) the host cannot use.
    #[error("policy '{policy}' cannot be used: {message} (a fault of the policy, not of its settings)")]
    Scope {
        /// The policy.
        policy: String,
        /// What is wrong with its scope.
        message: String,
    },
    /// The policy failed (trapped, or hit a limit) in `validate-settings`.
    #[error("policy '{policy}' failed while validating its settings, in `validate-settings`: {failure}")]
    Failed {
        /// The policy.
        policy: String,
        /// What stopped it.
        failure: Failure,
    },
    /// A limit that cannot be enforced, or cannot be met by any evaluation.
    #[error("limits for policy '{policy}' cannot be used: {limit} {message}")]
    Limits {
        /// The policy.
        policy: String,
        /// The limit, as the config file names it, e.g. `memory-mib`.
        limit: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The policy has no signature and the chain does not allow unsigned policies.
    #[error("policy '{policy}' is not signed (no {}): sign it with `recguard sign`, or for development only set `allow-unsigned = true` in [trust]", expected.display())]
    Unsigned {
        /// The policy.
        policy: String,
        /// Where its signature was looked for.
        expected: PathBuf,
    },
    /// The policy's signature was refused.
    #[error("policy '{policy}' is refused: {error}")]
    Signature {
        /// The policy.
        policy: String,
        /// The check that failed.
        error: recguard_trust::SignatureError,
    },
    /// The config gives the policy another issuer than its signature.
    #[error("policy '{policy}' is configured as issued by the {configured}, but its signature is the {signed}'s; the role comes from the signature")]
    IssuerMismatch {
        /// The policy.
        policy: String,
        /// The issuer in the options.
        configured: crate::Issuer,
        /// The issuer in the signature.
        signed: crate::Issuer,
    },
    /// The chain's audit sink could not keep the chain's record or components.
    #[error("the audit store cannot keep this chain: {0}")]
    Audit(String),
    /// The policy was loaded on another [`Runtime`](crate::Runtime) than the chain's.
    #[error("policy '{policy}' was loaded on another runtime than the chain's; load it with the chain's runtime")]
    OtherRuntime {
        /// The policy.
        policy: String,
    },
}

/// A chain configuration file could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A key file named in `[trust]` or `[audit]` cannot be used.
    #[error("key: {0}")]
    Key(recguard_trust::KeyError),
    /// The `[audit]` store cannot be opened.
    #[error("[audit]: {0}")]
    Audit(AuditError),
    /// The file is not valid TOML, or not a chain configuration.
    #[error("config {path} is not a valid chain configuration: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Where (line and column, or the key's path) and what.
        message: String,
    },
    /// The configuration names no policy.
    #[error("config {0} names no policy; add a [[policy]] table with a path")]
    Empty(PathBuf),
    /// A policy in the configuration could not be loaded.
    #[error("policy #{index} ({path}) in the config")]
    Load {
        /// Position in the chain, from 1.
        index: usize,
        /// The component's path.
        path: PathBuf,
        /// Why it could not be loaded.
        #[source]
        source: LoadError,
    },
    /// A policy in the configuration cannot take part as configured.
    #[error("policy #{index} ({path}) in the config")]
    Settings {
        /// Position in the chain, from 1.
        index: usize,
        /// The component's path.
        path: PathBuf,
        /// What is wrong with its settings or limits.
        #[source]
        source: SettingsError,
    },
    /// The `[chain]` table cannot be used.
    #[error("the config's [chain] table")]
    Chain(#[source] SettingsError),
    /// The runtime could not be created.
    #[error("config {path}: the [runtime] table")]
    Runtime {
        /// The file.
        path: PathBuf,
        /// Why the runtime could not be created.
        #[source]
        source: LoadError,
    },
}

/// A request could not be evaluated. A policy's failure is not one (it is
/// recorded in the outcome's trace); this is a bad request, or a host without
/// capacity.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvaluateError {
    /// The request is not one the chain can evaluate.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// Every instance slot stayed busy for as long as the policy's deadline:
    /// the host is over capacity. Nothing was served; retry, or raise
    /// `[runtime] max-concurrent-instances`.
    #[error("no instance slot came free for policy '{policy}' within {waited_ms} ms: all {slots} slots of the runtime are busy (raise [runtime] max-concurrent-instances, or send fewer requests at once)")]
    Capacity {
        /// The policy that was waiting.
        policy: String,
        /// The runtime's slots.
        slots: u32,
        /// How long it waited.
        waited_ms: u64,
    },
    /// The evaluation's receipt could not be written: the outcome is not
    /// returned, since it could not be audited.
    #[error("the outcome was not returned because its receipt could not be written: {0}")]
    Audit(#[from] AuditError),
}

/// A receipt log could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The store failed (SQLite, the file system).
    #[error("audit store {path}: {message}")]
    Store {
        /// The store.
        path: String,
        /// What failed.
        message: String,
    },
    /// The store's writer has stopped; no receipt can be written.
    #[error("the audit store's writer has stopped: {0}")]
    Stopped(String),
    /// A setting of the store cannot be used.
    #[error("audit settings: {0}")]
    Settings(String),
}
