//! The chain configuration file (TOML): which policies run, in what order,
//! issued by whom, with which settings, mode, error policy and limits.
//!
//! ```toml
//! [limits]                 # defaults for every policy
//! deadline-ms = 50
//! memory-mib = 64
//!
//! [fail-closed]
//! response = "block"       # or "non-personalised"
//! reason = "Temporarily unavailable."
//!
//! [[policy]]
//! path = "../target/policies/minors.wasm"   # relative to this file
//! issuer = "regulator"     # or "provider"
//! mode = "enforce"         # or "monitor"
//! on-error = "fail-closed" # or "fail-open"
//! limits = { deadline-ms = 20 }
//! [policy.settings]
//! curfew-start = "22:00"
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::chain::{Chain, FailClosed, Issuer, Mode, OnError, PolicyOptions};
use crate::component::PolicyComponent;
use crate::error::{ConfigError, LoadError};
use crate::runtime::{Limits, Runtime, RuntimeOptions};

/// A chain configuration file, as parsed.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ChainConfig {
    /// Engine-wide options.
    #[serde(default)]
    pub runtime: RuntimeSection,
    /// Default limits for every policy.
    #[serde(default)]
    pub limits: Limits,
    /// What failing closed means.
    #[serde(default)]
    pub fail_closed: FailClosed,
    /// The policies, in order.
    #[serde(default, rename = "policy")]
    pub policies: Vec<PolicyEntry>,
}

/// The `[runtime]` table.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct RuntimeSection {
    /// Policy instances that may exist at once.
    pub max_concurrent_instances: u32,
    /// The largest memory cap any policy may have, in MiB.
    pub max_memory_mib: u64,
    /// Count fuel (needed for `fuel` limits).
    pub fuel: bool,
}

impl Default for RuntimeSection {
    fn default() -> Self {
        let defaults = RuntimeOptions::default();
        RuntimeSection {
            max_concurrent_instances: defaults.max_concurrent_instances,
            max_memory_mib: defaults.max_memory_mib,
            fuel: defaults.fuel,
        }
    }
}

/// One `[[policy]]` table.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct PolicyEntry {
    /// The component file, relative to the config file.
    pub path: PathBuf,
    /// Name in the trace (default: the policy's own name).
    pub name: Option<String>,
    /// Who issued the policy.
    pub issuer: Issuer,
    /// Enforce (default) or monitor.
    #[serde(default)]
    pub mode: Mode,
    /// Fail closed (default) or open.
    #[serde(default)]
    pub on_error: OnError,
    /// Overrides of the default limits.
    #[serde(default)]
    pub limits: LimitOverrides,
    /// The policy's settings.
    #[serde(default)]
    pub settings: toml::Table,
}

/// Limits given for one policy; those left out take the chain's defaults.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct LimitOverrides {
    /// Deadline in milliseconds.
    pub deadline_ms: Option<u64>,
    /// Memory cap in MiB.
    pub memory_mib: Option<u64>,
    /// Fuel budget.
    pub fuel: Option<u64>,
}

impl LimitOverrides {
    fn over(&self, defaults: &Limits) -> Limits {
        Limits {
            deadline_ms: self.deadline_ms.unwrap_or(defaults.deadline_ms),
            memory_mib: self.memory_mib.unwrap_or(defaults.memory_mib),
            fuel: self.fuel.or(defaults.fuel),
        }
    }
}

impl ChainConfig {
    /// Reads and parses a config file.
    pub fn read(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| ConfigError::Read { path: path.to_path_buf(), error })?;
        Self::parse(&text, path)
    }

    /// Parses config text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let config: ChainConfig = toml::from_str(text)
            .map_err(|e| ConfigError::Parse { path: path.to_path_buf(), message: e.to_string() })?;
        if config.policies.is_empty() {
            return Err(ConfigError::Empty(path.to_path_buf()));
        }
        Ok(config)
    }

    /// The runtime options this config asks for.
    pub fn runtime_options(&self) -> RuntimeOptions {
        RuntimeOptions {
            max_concurrent_instances: self.runtime.max_concurrent_instances,
            max_memory_mib: self.runtime.max_memory_mib,
            fuel: self.runtime.fuel,
        }
    }

    /// Loads every policy (paths relative to `base`) and builds the chain.
    pub fn build(&self, runtime: &Runtime, base: &Path) -> Result<Chain, ConfigError> {
        let mut builder = Chain::builder(runtime).fail_closed(self.fail_closed.clone());
        for (i, entry) in self.policies.iter().enumerate() {
            let path = base.join(&entry.path);
            let wrap = |source: LoadError| ConfigError::Policy { index: i + 1, path: path.clone(), source };
            let component = PolicyComponent::load_file(runtime, &path).map_err(wrap)?;
            let settings = serde_json::to_value(&entry.settings).map_err(|e| {
                wrap(LoadError::InvalidSettings {
                    policy: component.descriptor().name.clone(),
                    message: e.to_string(),
                    defaults: component.descriptor().default_settings.clone(),
                })
            })?;
            let options = PolicyOptions {
                name: entry.name.clone(),
                issuer: entry.issuer,
                mode: entry.mode,
                on_error: entry.on_error,
                settings,
                limits: entry.limits.over(&self.limits),
            };
            builder = builder.policy(component, options).map_err(wrap)?;
        }
        Ok(builder.build())
    }
}

impl Chain {
    /// Reads a config file, creates a runtime for it and builds the chain.
    pub fn from_config_file(path: impl AsRef<Path>) -> Result<Chain, ConfigError> {
        let path = path.as_ref();
        let config = ChainConfig::read(path)?;
        let runtime = Runtime::new(config.runtime_options()).map_err(ConfigError::Runtime)?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        config.build(&runtime, &base)
    }
}
