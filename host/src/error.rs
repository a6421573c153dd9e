//! Typed host errors. Each says what went wrong and what to do next.
//!
//! A policy's *verdict* is never an error: it is a [`Decision`](crate::Decision).
//! A policy that fails while evaluating is not an error of the chain either:
//! the chain applies the policy's error policy and records a
//! [`Failure`](crate::Failure) in the trace.

use std::path::PathBuf;

/// Loading a policy component failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read policy {path}: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The bytes are not WebAssembly at all.
    #[error("{origin} is not a WebAssembly file (no \\0asm header); build policies with `cargo xtask build-policies`")]
    NotWasm {
        /// Where the bytes came from.
        origin: String,
    },
    /// The bytes are a core module, not a component.
    #[error("{origin} is a core WebAssembly module, not a component; turn it into a component of recguard:policy@0.1.0 (`cargo xtask build-policies` does, with wit-component)")]
    NotAComponent {
        /// Where the bytes came from.
        origin: String,
    },
    /// wasmtime could not compile the component.
    #[error("cannot compile {origin}: {message}")]
    Compile {
        /// Where the bytes came from.
        origin: String,
        /// wasmtime's message.
        message: String,
    },
    /// The component is not of the `recguard:policy/policy` world.
    #[error("{origin} is not a recguard:policy@0.1.0 policy:\n  - {}", problems.join("\n  - "))]
    WrongWorld {
        /// Where the bytes came from.
        origin: String,
        /// Each missing or extra import or export, or mismatched type.
        problems: Vec<String>,
    },
    /// The policy trapped or failed while describing itself.
    #[error("{origin} failed while describing itself: {message}")]
    Describe {
        /// Where the bytes came from.
        origin: String,
        /// What happened.
        message: String,
    },
    /// The policy rejected its settings.
    #[error("settings for policy '{policy}' are invalid: {message}\n  (the policy's defaults: {defaults})")]
    InvalidSettings {
        /// The policy.
        policy: String,
        /// The policy's own message.
        message: String,
        /// The policy's default settings, for reference.
        defaults: String,
    },
    /// Limits that this runtime cannot enforce.
    #[error("limits for policy '{policy}' cannot be enforced: {message}")]
    InvalidLimits {
        /// The policy.
        policy: String,
        /// What is wrong.
        message: String,
    },
    /// The wasmtime engine could not be set up.
    #[error("cannot set up the WebAssembly engine: {0}")]
    Engine(String),
}

/// A chain configuration file could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {path}: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The file is not valid TOML for a chain configuration.
    #[error("config {path} is not a valid chain configuration: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },
    /// The configuration names no policy.
    #[error("config {0} names no policy; add a [[policy]] table with a path")]
    Empty(PathBuf),
    /// A policy in the configuration could not be loaded.
    #[error("policy #{index} ({path}) in the config")]
    Policy {
        /// Position in the chain, from 1.
        index: usize,
        /// The component's path.
        path: PathBuf,
        /// Why it could not be loaded.
        #[source]
        source: LoadError,
    },
    /// The runtime could not be created.
    #[error(transparent)]
    Runtime(LoadError),
}
