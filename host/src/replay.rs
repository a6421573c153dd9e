//! Replaying a receipt: the chain it names is rebuilt from the store (the
//! very component bytes, by digest, their signatures, the settings, options
//! and keys of its [`ChainRecord`](crate::ChainRecord)), the recorded request
//! is evaluated again, and the outcome is compared with the recorded one.
//! Policies get time only from the request, so a replay is identical, except
//! for the time each step took, which is not compared, and except where a
//! step stopped at a wall-clock limit (its own deadline or the chain's),
//! when recorded or when replayed: how far a policy gets before a wall-clock
//! limit depends on how busy the machine was, so such a receipt is reported
//! as not reproducible, naming the policies, rather than as tampered with.
//! (Fuel and memory limits are deterministic and replay exactly.)

use std::collections::HashMap;

use recguard_trust::{PublicKey, TrustedKeys};
use serde_json::Value;

use crate::chain::Chain;
use crate::component::{signature_path, PolicyComponent};
use crate::error::AuditError;
use crate::options::ChainOptions;
use crate::outcome::{Outcome, Status};
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
    /// The policies whose step stopped at a wall-clock limit (`deadline` or
    /// `chain-deadline`) in the recorded or the replayed outcome: where
    /// these differ, the difference says how busy the machine was, not
    /// that the log or the code changed.
    pub wall_clock_limited: Vec<String>,
}

impl Replayed {
    /// True if the outcome is the recorded one.
    pub fn identical(&self) -> bool {
        self.differences.is_empty()
    }

    /// True if the outcome differs and a wall-clock limit was hit (recorded
    /// or replayed), so the decision cannot be reproduced exactly.
    pub fn not_reproducible(&self) -> bool {
        !self.identical() && !self.wall_clock_limited.is_empty()
    }
}

/// The policies of `outcome` stopped by a wall-clock limit.
fn wall_clock_limited(outcome: &Outcome) -> impl Iterator<Item = &str> {
    outcome.trace.iter().filter_map(|step| match &step.status {
        Status::Failed { failure, .. } if failure.kind.is_wall_clock() => Some(step.policy.as_str()),
        _ => None,
    })
}

/// Replays receipts of one store, building each chain once and compiling
/// each component once.
pub struct Replayer<'a> {
    log: &'a AuditLog,
    runtime: Runtime,
    chains: HashMap<String, Chain>,
    components: HashMap<String, PolicyComponent>,
}

impl<'a> Replayer<'a> {
    /// A replayer of `log`'s receipts on `runtime`.
    pub fn new(log: &'a AuditLog, runtime: &Runtime) -> Self {
        Replayer { log, runtime: runtime.clone(), chains: HashMap::new(), components: HashMap::new() }
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
        let mut limited: Vec<String> =
            wall_clock_limited(&receipt.outcome).chain(wall_clock_limited(&outcome)).map(str::to_string).collect();
        limited.sort();
        limited.dedup();
        Ok(Replayed { seq, differences: differences(&receipt.outcome, &outcome), wall_clock_limited: limited })
    }

    fn error(&self, message: String) -> AuditError {
        AuditError::Store { path: self.log.path().display().to_string(), message }
    }

    /// The component with `digest` kept in the store, with its signature.
    fn component(&self, digest: &str) -> Result<PolicyComponent, AuditError> {
        let file = component_file(&self.log.components_dir(), digest);
        let bytes = std::fs::read(&file).map_err(|e| self.error(format!("component {}: {e}", file.display())))?;
        let origin = file.display().to_string();
        let mut component = PolicyComponent::load_bytes(&self.runtime, &bytes, &origin).map_err(|e| self.error(e.to_string()))?;
        if component.digest() != digest {
            return Err(self.error(format!("{origin} is not the component {digest} (changed in the store)")));
        }
        if let Some(envelope) = recguard_trust::Envelope::read(&signature_path(&origin)).map_err(|e| self.error(e.to_string()))? {
            component = component.with_signature(envelope);
        }
        Ok(component)
    }

    /// The chain of the record with `digest`, from the store's components.
    fn build(&mut self, digest: &str) -> Result<Chain, AuditError> {
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
        for policy in &record.policies {
            let component = match self.components.get(&policy.component) {
                Some(component) => component.clone(),
                None => {
                    let component = self.component(&policy.component)?;
                    self.components.insert(policy.component.clone(), component.clone());
                    component
                }
            };
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
