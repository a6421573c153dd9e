//! Replaying a receipt: the chain it names is rebuilt from the store (the
//! very component bytes, by digest, their signatures, the settings, options
//! and keys of its [`ChainRecord`](crate::ChainRecord)), the recorded request
//! is evaluated again, and the outcome is compared with the recorded one.
//! Policies get time only from the request, so a replay is identical, except
//! for the time each step took, which is not compared.

use std::collections::HashMap;

use recguard_trust::{PublicKey, TrustedKeys};
use serde_json::Value;

use crate::chain::Chain;
use crate::component::{signature_path, PolicyComponent};
use crate::error::AuditError;
use crate::options::ChainOptions;
use crate::outcome::Outcome;
use crate::runtime::Runtime;
use crate::audit_log::AuditLog;
use crate::store::component_file;
use crate::trust::Trust;

/// What a replay found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replayed {
    /// The receipt replayed.
    pub seq: u64,
    /// Where the new outcome differs from the recorded one (JSON paths and
    /// both values); empty if identical.
    pub differences: Vec<String>,
}

impl Replayed {
    /// True if the outcome is the recorded one.
    pub fn identical(&self) -> bool {
        self.differences.is_empty()
    }
}

/// Replays receipts of one store, building each chain once.
pub struct Replayer<'a> {
    log: &'a AuditLog,
    runtime: Runtime,
    chains: HashMap<String, Chain>,
}

impl<'a> Replayer<'a> {
    /// A replayer of `log`'s receipts on `runtime`.
    pub fn new(log: &'a AuditLog, runtime: &Runtime) -> Self {
        Replayer { log, runtime: runtime.clone(), chains: HashMap::new() }
    }

    /// Replays receipt `seq`.
    pub fn replay(&mut self, seq: u64) -> Result<Replayed, AuditError> {
        let stored = self.log.receipt(seq)?.ok_or_else(|| self.error(format!("no receipt {seq} (pruned, or not yet written)")))?;
        let receipt = stored.parse().map_err(|e| self.error(e))?;
        if !self.chains.contains_key(&receipt.chain) {
            let chain = self.build(&receipt.chain)?;
            self.chains.insert(receipt.chain.clone(), chain);
        }
        let chain = &self.chains[&receipt.chain];
        let outcome = chain
            .evaluate(&receipt.request)
            .map_err(|e| self.error(format!("receipt {seq}: the replay could not evaluate: {e}")))?;
        Ok(Replayed { seq, differences: differences(&receipt.outcome, &outcome) })
    }

    fn error(&self, message: String) -> AuditError {
        AuditError::Store { path: self.log.path().display().to_string(), message }
    }

    /// The chain of the record with `digest`, from the store's components.
    fn build(&self, digest: &str) -> Result<Chain, AuditError> {
        let record = self.log.chain(digest)?.ok_or_else(|| self.error(format!("no chain record {digest}")))?;
        let keys = |pems: &[String]| pems.iter().map(|p| PublicKey::from_pem(p)).collect::<Result<Vec<_>, _>>();
        let trusted = TrustedKeys {
            regulator: keys(&record.regulator_keys).map_err(|e| self.error(e.to_string()))?,
            provider: keys(&record.provider_keys).map_err(|e| self.error(e.to_string()))?,
        };
        let mut builder = Chain::builder(&self.runtime)
            .trust(Trust { keys: trusted, allow_unsigned: record.allow_unsigned })
            .fail_closed(record.fail_closed.clone())
            .options(ChainOptions { deadline_ms: Some(record.deadline_ms) });
        let dir = self.log.components_dir();
        for policy in &record.policies {
            let file = component_file(&dir, &policy.component);
            let bytes = std::fs::read(&file).map_err(|e| self.error(format!("component {}: {e}", file.display())))?;
            let origin = file.display().to_string();
            let mut component = PolicyComponent::load_bytes(&self.runtime, &bytes, &origin).map_err(|e| self.error(e.to_string()))?;
            if component.digest() != policy.component {
                return Err(self.error(format!("{origin} is not the component {} (changed in the store)", policy.component)));
            }
            if let Some(envelope) = recguard_trust::Envelope::read(&signature_path(&origin)).map_err(|e| self.error(e.to_string()))? {
                component = component.with_signature(envelope);
            }
            builder = builder.policy(component, policy.options.clone()).map_err(|e| self.error(e.to_string()))?;
        }
        builder.build().map_err(|e| self.error(e.to_string()))
    }
}

/// Where two outcomes differ, leaving out the time each step took and the
/// receipt number (which a replay does not write).
pub fn differences(recorded: &Outcome, replayed: &Outcome) -> Vec<String> {
    let normal = |outcome: &Outcome| {
        let mut value = serde_json::to_value(outcome).expect("an outcome always serialises");
        if let Some(object) = value.as_object_mut() {
            object.remove("receipt");
            if let Some(Value::Array(trace)) = object.get_mut("trace") {
                for entry in trace.iter_mut().filter_map(Value::as_object_mut) {
                    entry.remove("elapsed-us");
                    entry.remove("host-us");
                }
            }
        }
        value
    };
    let mut found = Vec::new();
    compare("", &normal(recorded), &normal(replayed), &mut found);
    found
}

fn compare(path: &str, a: &Value, b: &Value, found: &mut Vec<String>) {
    const MAX_DIFFERENCES: usize = 20;
    if found.len() >= MAX_DIFFERENCES || a == b {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for key in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                compare(&format!("{path}/{key}"), x.get(key).unwrap_or(&Value::Null), y.get(key).unwrap_or(&Value::Null), found);
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                compare(&format!("{path}/{i}"), p, q, found);
            }
        }
        _ => found.push(format!("{}: recorded {a}, replayed {b}", if path.is_empty() { "/" } else { path })),
    }
}
