//! The chain configuration file (TOML): which policies run, in what order,
//! issued by whom, with which settings, mode, error policy and limits.
//!
//! ```toml
//! [limits]                 # defaults for every policy (the deadline bounds its describe at load too)
//! deadline-ms = 50
//! memory-mib = 64
//!
//! [chain]
//! deadline-ms = 500        # the whole chain, host work included
//!
//! [fail-closed]
//! response = "block"       # or "non-personalised"
//! reason = "Temporarily unavailable."
//!
//! [trust]                  # whose signatures a policy may carry
//! regulator-keys = ["../keys/demo-regulator.pub"]
//! provider-keys = []
//! allow-unsigned = false   # development only; shown in every outcome
//!
//! [audit]                  # a receipt of every evaluation (optional)
//! store = "receipts.db"    # SQLite, relative to this file
//! durability = "sync"      # or "async"
//! checkpoint-key = "../keys/provider.pem"   # signs checkpoints
//! checkpoint-every = 1000  # receipts, or
//! checkpoint-seconds = 60  # seconds, whichever comes first
//!
//! [[policy]]
//! path = "../target/policies/minors.wasm"   # relative to this file
//! issuer = "regulator"     # or "provider": must be the role its signature (minors.wasm.sig) gives
//! mode = "enforce"         # or "monitor"
//! on-error = "fail-closed" # or "fail-open"
//! limits = { deadline-ms = 20 }
//! [policy.settings]
//! curfew-start = "22:00"
//! ```

use std::path::{Path, PathBuf};

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

use crate::chain::Chain;
use crate::component::PolicyComponent;
use crate::error::ConfigError;
use crate::options::{ChainOptions, FailClosed, Limits, PolicyOptions};
use crate::runtime::{Runtime, RuntimeOptions};
use crate::store::{AuditConfig, AuditOptions, AuditStore};
use crate::trust::TrustConfig;

/// The largest config file read, in bytes.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// A chain configuration file, as parsed. Each table is the library type of
/// the same name: `[runtime]` is [`RuntimeOptions`], `[limits]` is [`Limits`],
/// `[chain]` is [`ChainOptions`], `[fail-closed]` is [`FailClosed`], and each
/// `[[policy]]` is a path and [`PolicyOptions`].
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ChainConfig {
    /// Engine-wide options.
    #[serde(default)]
    pub runtime: RuntimeOptions,
    /// Default limits for every policy (each policy's own `limits` inherits the keys it leaves out).
    #[serde(default)]
    pub limits: Limits,
    /// The chain's own options.
    #[serde(default)]
    pub chain: ChainOptions,
    /// What failing closed means.
    #[serde(default)]
    pub fail_closed: FailClosed,
    /// Whose signatures are trusted (key files relative to the config file).
    /// Without it, no key is trusted and every policy is refused.
    #[serde(default)]
    pub trust: TrustConfig,
    /// Where receipts go (paths relative to the config file); none: no receipts.
    #[serde(default)]
    pub audit: AuditConfig,
    /// The policies, in order.
    #[serde(default, rename = "policy")]
    pub policies: Vec<PolicyEntry>,
}

/// One `[[policy]]` table: where the component is, and how it takes part.
#[derive(Debug)]
pub struct PolicyEntry {
    /// The component file, relative to the config file.
    pub path: PathBuf,
    /// The rest of the table.
    pub options: PolicyOptions,
}

impl<'de> Deserialize<'de> for PolicyEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut table = toml::Table::deserialize(deserializer)?;
        let path = table.remove("path").ok_or_else(|| D::Error::missing_field("path"))?;
        let path = PathBuf::deserialize(path).map_err(|e| D::Error::custom(format!("path: {}", e.message())))?;
        let options = PolicyOptions::deserialize(table).map_err(|e| D::Error::custom(e.message()))?;
        Ok(PolicyEntry { path, options })
    }
}

impl ChainConfig {
    /// Every file a chain built from this config (at `path`) reads: the
    /// config itself, each component and its signature, the trusted keys.
    /// A server that reloads on change watches these.
    pub fn files(&self, path: &Path) -> Vec<PathBuf> {
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut files = vec![path.to_path_buf()];
        for policy in &self.policies {
            let component = base.join(&policy.path);
            files.push(crate::component::signature_path(&component.to_string_lossy()));
            files.push(component);
        }
        files.extend(self.trust.regulator_keys.iter().chain(&self.trust.provider_keys).map(|key| base.join(key)));
        files
    }

    /// Reads and parses a config file (at most 1 MiB).
    pub fn read(path: &Path) -> Result<Self, ConfigError> {
        use std::io::Read;
        let read = |source| ConfigError::Read { path: path.to_path_buf(), source };
        let mut text = String::new();
        std::fs::File::open(path).map_err(read)?.take(MAX_CONFIG_BYTES + 1).read_to_string(&mut text).map_err(read)?;
        if text.len() as u64 > MAX_CONFIG_BYTES {
            return Err(ConfigError::Parse { path: path.to_path_buf(), message: "larger than the 1 MiB a config may have".into() });
        }
        Self::parse(&text, path)
    }

    /// Parses config text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let parse_error = |message: String| ConfigError::Parse { path: path.to_path_buf(), message };
        let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let at = e.span().map(|span| line_and_column(text, span.start)).unwrap_or_default();
            parse_error(format!("{at}{}", e.message().trim()))
        })?;
        inherit_limits(&mut table);
        let config: ChainConfig = serde_path_to_error::deserialize(table).map_err(|e| {
            let at = e.path().to_string();
            let message = e.into_inner().message().trim().to_string();
            parse_error(if at.is_empty() || at == "." { message } else { format!("at `{at}`: {message}") })
        })?;
        if config.policies.is_empty() {
            return Err(ConfigError::Empty(path.to_path_buf()));
        }
        Ok(config)
    }

    /// Loads every policy (paths relative to `base`) on `runtime` and builds the chain.
    pub fn build(&self, runtime: &Runtime, base: &Path) -> Result<Chain, ConfigError> {
        let trust = self.trust.load(base).map_err(ConfigError::Key)?;
        let mut builder =
            Chain::builder(runtime).trust(trust).fail_closed(self.fail_closed.clone()).options(self.chain.clone());
        if let Some(store) = self.audit.open(base)? {
            builder = builder.audit(std::sync::Arc::new(store));
        }
        for (i, entry) in self.policies.iter().enumerate() {
            let path = base.join(&entry.path);
            let component = PolicyComponent::load_file_under(runtime, &path, &entry.options.limits)
                .map_err(|source| ConfigError::Load { index: i + 1, path: path.clone(), source })?;
            builder = builder
                .policy(component, entry.options.clone())
                .map_err(|source| ConfigError::Settings { index: i + 1, path: path.clone(), source })?;
        }
        builder.build().map_err(ConfigError::Chain)
    }
}

impl AuditConfig {
    /// Opens the store the table names (paths relative to `base`), if it names one.
    pub fn open(&self, base: &Path) -> Result<Option<AuditStore>, ConfigError> {
        let Some(store) = &self.store else { return Ok(None) };
        let checkpoint_key = match &self.checkpoint_key {
            Some(path) => Some(std::sync::Arc::new(recguard_trust::SecretKey::read(&base.join(path)).map_err(ConfigError::Key)?)),
            None => None,
        };
        let options = AuditOptions {
            durability: self.durability,
            queue: self.queue,
            checkpoint_every: self.checkpoint_every,
            checkpoint_interval: std::time::Duration::from_secs(self.checkpoint_seconds),
            checkpoint_key,
            ..AuditOptions::default()
        };
        AuditStore::open(base.join(store), options).map(Some).map_err(ConfigError::Audit)
    }
}

/// `line L, column C: ` of a byte offset, both from 1.
fn line_and_column(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("line {line}, column {column}: ")
}

/// Gives each `[[policy]]` the keys of `[limits]` that its own `limits` leaves out.
fn inherit_limits(table: &mut toml::Table) {
    let Some(toml::Value::Table(defaults)) = table.get("limits").cloned() else { return };
    let Some(toml::Value::Array(policies)) = table.get_mut("policy") else { return };
    for policy in policies.iter_mut() {
        let toml::Value::Table(policy) = policy else { continue };
        let limits = policy.entry("limits").or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if let toml::Value::Table(limits) = limits {
            for (key, value) in &defaults {
                limits.entry(key.clone()).or_insert_with(|| value.clone());
            }
        }
    }
}

impl Chain {
    /// Reads a config file and builds its chain on a runtime of its own,
    /// made from the file's `[runtime]` table (a wasmtime engine, its
    /// instance pool and its epoch thread; `cache-dir` relative to the file).
    /// To share one runtime among several chains, use [`ChainConfig::read`]
    /// and [`ChainConfig::build`].
    pub fn from_config_file(path: impl AsRef<Path>) -> Result<Chain, ConfigError> {
        Self::from_config_file_with(path, |_| {})
    }

    /// As [`Chain::from_config_file`], with a last say over the runtime's
    /// options (e.g. a default compile cache where the file names none).
    pub fn from_config_file_with(
        path: impl AsRef<Path>,
        adjust: impl FnOnce(&mut RuntimeOptions),
    ) -> Result<Chain, ConfigError> {
        let path = path.as_ref();
        let config = ChainConfig::read(path)?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut options = config.runtime.clone();
        options.cache_dir = options.cache_dir.map(|dir| base.join(dir));
        adjust(&mut options);
        let runtime = Runtime::new(options)
            .map_err(|source| ConfigError::Runtime { path: path.to_path_buf(), source })?;
        config.build(&runtime, &base)
    }
}
