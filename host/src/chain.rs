//! A chain of policies run in order on each request: the builder that checks
//! each policy's settings and limits once, and the loop that runs them under
//! the chain's deadline. What happens at each step is in `link.rs`; the merge
//! rules are in [`merge`](crate::merge).

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::component::{sha256_hex, PolicyComponent};
use crate::error::{EvaluateError, SettingsError};
use crate::link::Link;
use crate::merge::Working;
use crate::options::{ChainOptions, FailClosed, PolicyOptions, MAX_DEADLINE_MS};
use crate::outcome::{Failure, FailureKind, Outcome};
use crate::request::Request;
use crate::runtime::Runtime;
use crate::reads::Reads;
use crate::receipt::{AuditSink, ChainRecord, ComponentFile, PolicyRecord};
use crate::trust::{check_signature, Trust};
use crate::wire;

/// What the chain allows for host work on top of its policies' deadlines, by default.
const HOST_ALLOWANCE_MS: u64 = 50;

/// Policies run in order on each request. `Send + Sync`: share one chain
/// across threads (or `Arc` it into `tokio::task::spawn_blocking`).
#[derive(Debug)]
pub struct Chain {
    runtime: Runtime,
    links: Vec<Link>,
    fail_closed: FailClosed,
    deadline: Duration,
    unsigned_allowed: bool,
    /// The fields any policy of the chain or the host reads: the only
    /// candidate columns built from a request's rows.
    reads: Reads,
    /// Where receipts go, and the digest of the chain's record they name.
    audit: Option<(Arc<dyn AuditSink>, Arc<str>)>,
}

/// One policy of a chain, as [`Chain::policy_summaries`] describes it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub struct PolicySummary {
    /// Its name in the trace.
    pub name: String,
    /// Its version.
    pub version: String,
    /// SHA-256 of the component.
    pub digest: String,
    /// SHA-256 of its settings (JSON).
    pub settings_digest: String,
    /// Who issued it (the signed role).
    pub issuer: crate::options::Issuer,
    /// Enforce or monitor.
    pub mode: crate::options::Mode,
    /// Its error policy.
    pub on_error: crate::options::OnError,
    /// The key that signed it; none if loaded unsigned (development).
    pub signed_by: Option<String>,
    /// The requests it can decide anything on, with its settings; it is
    /// skipped on the others.
    pub applies_to: crate::applies::AppliesTo,
}

/// Builds a [`Chain`], validating each policy's settings and limits once.
#[derive(Debug)]
pub struct ChainBuilder {
    runtime: Runtime,
    links: Vec<Link>,
    fail_closed: FailClosed,
    options: ChainOptions,
    trust: Trust,
    audit: Option<Arc<dyn AuditSink>>,
}

impl ChainBuilder {
    /// Sets what the chain trusts (default: no key, unsigned policies
    /// refused). Set it before adding policies: each is checked as it joins.
    pub fn trust(mut self, trust: Trust) -> Self {
        self.trust = trust;
        self
    }

    /// Appends a policy: its signature is checked against the chain's
    /// [`Trust`] (the issuer in `options` must be the signed one), its limits
    /// against the runtime and the component, and its settings are
    /// validated by the policy, now.
    pub fn policy(mut self, component: PolicyComponent, options: PolicyOptions) -> Result<Self, SettingsError> {
        let name = options.name.clone().unwrap_or_else(|| component.descriptor().name.clone());
        if !component.runtime().same(&self.runtime) {
            return Err(SettingsError::OtherRuntime { policy: name });
        }
        let signer = check_signature(&name, &component, options.issuer, &self.trust)?;
        self.runtime.check_limits(&name, &options.limits, component.initial_memory_bytes())?;
        if !options.settings.is_object() {
            return Err(SettingsError::NotAnObject { policy: name });
        }
        let settings_json = options.settings.to_string();
        let settings = component.validate_settings(&settings_json, &options.limits).map_err(|error| match error {
            SettingsError::Rejected { message, .. } => SettingsError::Rejected { policy: name.clone(), message },
            SettingsError::Failed { failure, .. } => SettingsError::Failed { policy: name.clone(), failure },
            SettingsError::Scope { message, .. } => SettingsError::Scope { policy: name.clone(), message },
            other => other,
        })?;
        let settings_digest = sha256_hex(settings_json.as_bytes());
        self.links.push(Link {
            component,
            name,
            options,
            settings: settings.encoded,
            applies_to: settings.applies_to,
            settings_digest,
            signer,
            downstream: Reads::all(),
        });
        Ok(self)
    }

    /// Sets the fail-closed response (default: block with a generic reason).
    pub fn fail_closed(mut self, fail_closed: FailClosed) -> Self {
        self.fail_closed = fail_closed;
        self
    }

    /// Writes a receipt of every evaluation to `sink` (registered with the
    /// chain's record and components when the chain is built).
    pub fn audit(mut self, sink: Arc<dyn AuditSink>) -> Self {
        self.audit = Some(sink);
        self
    }

    /// Sets the chain's own options (its deadline).
    pub fn options(mut self, options: ChainOptions) -> Self {
        self.options = options;
        self
    }

    /// The chain. Fails if the chain's deadline is outside 1..=60,000 ms, or
    /// if its audit sink cannot keep the chain's record and components.
    pub fn build(self) -> Result<Chain, SettingsError> {
        let deadline_ms = match self.options.deadline_ms {
            Some(ms) => ms,
            None => (self.links.iter().map(|l| l.options.limits.deadline_ms).sum::<u64>() + HOST_ALLOWANCE_MS).min(MAX_DEADLINE_MS),
        };
        if !(1..=MAX_DEADLINE_MS).contains(&deadline_ms) {
            return Err(SettingsError::Limits {
                policy: "(the chain)".into(),
                limit: "deadline-ms",
                message: format!("{deadline_ms} is outside 1..={MAX_DEADLINE_MS} ([chain] deadline-ms)"),
            });
        }
        let audit = match &self.audit {
            Some(sink) => {
                let record = self.record(deadline_ms);
                let digest = record.digest();
                let components: Vec<ComponentFile<'_>> = self
                    .links
                    .iter()
                    .map(|l| ComponentFile { digest: l.component.digest(), bytes: l.component.bytes(), signature: l.component.signature() })
                    .collect();
                sink.register(&digest, &record, &components).map_err(|e| SettingsError::Audit(e.to_string()))?;
                Some((sink.clone(), Arc::from(digest)))
            }
            None => None,
        };
        // What each step must leave in the working columns: the fields later
        // policies read, and those the host reads.
        let mut links = self.links;
        let mut downstream = Reads::host_keeps();
        for link in links.iter_mut().rev() {
            link.downstream = downstream;
            downstream = downstream.union(link.component.reads());
        }
        Ok(Chain {
            reads: downstream,
            audit,
            unsigned_allowed: self.trust.allow_unsigned,
            runtime: self.runtime,
            links,
            fail_closed: self.fail_closed,
            deadline: Duration::from_millis(deadline_ms),
        })
    }
}

impl ChainBuilder {
    /// What a replay of this chain needs besides the components' bytes.
    fn record(&self, deadline_ms: u64) -> ChainRecord {
        let pem = |keys: &[recguard_trust::PublicKey]| keys.iter().filter_map(|k| k.to_pem().ok()).collect();
        ChainRecord {
            policies: self
                .links
                .iter()
                .map(|l| PolicyRecord { component: l.component.digest().to_string(), options: l.options.clone() })
                .collect(),
            fail_closed: self.fail_closed.clone(),
            deadline_ms,
            regulator_keys: pem(&self.trust.keys.regulator),
            provider_keys: pem(&self.trust.keys.provider),
            allow_unsigned: self.trust.allow_unsigned,
        }
    }
}

impl Chain {
    /// Starts a chain on `runtime`; every policy must be loaded on it.
    pub fn builder(runtime: &Runtime) -> ChainBuilder {
        ChainBuilder {
            runtime: runtime.clone(),
            links: Vec::new(),
            fail_closed: FailClosed::default(),
            options: ChainOptions::default(),
            trust: Trust::default(),
            audit: None,
        }
    }

    /// The runtime the chain runs on.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// The policies, in order, with their names in the trace.
    pub fn policies(&self) -> impl Iterator<Item = (&str, &PolicyComponent)> {
        self.links.iter().map(|l| (l.name.as_str(), &l.component))
    }

    /// What each policy is and how it takes part, in order (for a server's
    /// `GET /v1/policies`, or a log line at start).
    pub fn policy_summaries(&self) -> Vec<PolicySummary> {
        self.links
            .iter()
            .map(|l| PolicySummary {
                name: l.name.clone(),
                version: l.component.descriptor().version.clone(),
                digest: l.component.digest().to_string(),
                settings_digest: l.settings_digest.clone(),
                issuer: l.options.issuer,
                mode: l.options.mode,
                on_error: l.options.on_error,
                signed_by: l.signer.key_id().map(str::to_string),
                applies_to: l.applies_to.clone(),
            })
            .collect()
    }

    /// The deadline for one request through the whole chain, host work included.
    pub fn deadline(&self) -> Duration {
        self.deadline
    }

    /// Parses a JSON request and evaluates it (a receipt shares the parsed request).
    pub fn evaluate_json(&self, request: &str) -> Result<Outcome, EvaluateError> {
        self.evaluate_shared(Arc::new(Request::from_json(request)?)).map(Arc::unwrap_or_clone)
    }

    /// Runs every policy on the request and merges their decisions (see
    /// [`merge`](crate::merge) for the rules). A policy that would start after
    /// the chain's deadline does not run: it fails with kind `chain-deadline`
    /// and its error policy applies.
    ///
    /// The request is borrowed: its columns are built once, and each policy
    /// receives the fields it reads from them. With an audit sink, the
    /// receipt needs the request and the outcome after this returns, so both
    /// are copied once; [`Chain::evaluate_shared`] shares them instead.
    pub fn evaluate(&self, request: &Request) -> Result<Outcome, EvaluateError> {
        let outcome = self.run(request)?;
        match &self.audit {
            None => Ok(outcome),
            Some(_) => self.record(Arc::new(request.clone()), Arc::new(outcome)).map(Arc::unwrap_or_clone),
        }
    }

    /// [`Chain::evaluate`] for a request the caller shares (a server that
    /// parsed it): with an audit sink, the receipt takes the request and the
    /// outcome as they are, without a copy (what an `async` receipt costs the
    /// caller is a queue push).
    pub fn evaluate_shared(&self, request: Arc<Request>) -> Result<Arc<Outcome>, EvaluateError> {
        let outcome = Arc::new(self.run(&request)?);
        match &self.audit {
            None => Ok(outcome),
            Some(_) => self.record(request, outcome),
        }
    }

    /// Appends the receipt; a durable one's sequence number goes in the outcome.
    fn record(&self, request: Arc<Request>, mut outcome: Arc<Outcome>) -> Result<Arc<Outcome>, EvaluateError> {
        if let Some((sink, chain)) = &self.audit {
            if let Some(seq) = sink.append(chain, request, outcome.clone())? {
                Arc::make_mut(&mut outcome).receipt = Some(seq);
            }
        }
        Ok(outcome)
    }

    fn run(&self, request: &Request) -> Result<Outcome, EvaluateError> {
        let started = Instant::now();
        request.check()?;
        let mut working = Working::new(wire::Request::from_rows_reading(request, self.reads));
        let mut trace = Vec::with_capacity(self.links.len());
        for link in &self.links {
            let spent = started.elapsed();
            let entry = if spent > self.deadline && !working.is_blocked() {
                let failure = self.past_deadline(spent, &trace);
                link.not_run(&mut working, failure, &self.fail_closed)
            } else {
                link.step(&mut working, &self.fail_closed)?
            };
            trace.push(entry);
        }

        let candidates = if working.is_blocked() { Vec::new() } else { working.request.candidates.served() };
        Ok(Outcome {
            request_id: request.id.clone(),
            verdict: working.verdict,
            personalised: working.personalised,
            candidates,
            notices: working.notices,
            tags_set_aside: working.tags_set_aside,
            unsigned_policies_allowed: self.unsigned_allowed,
            trace,
            receipt: None,
        })
    }

    /// The failure of a policy that could not start before the chain's
    /// deadline, naming the step that took longest.
    fn past_deadline(&self, spent: Duration, trace: &[crate::outcome::PolicyTrace]) -> Failure {
        let slowest = trace.iter().max_by_key(|t| t.elapsed_us + t.host_us);
        let blame = match slowest {
            Some(t) => format!(
                "; the longest step was '{}' ({} µs in the policy, {} µs in the host)",
                t.policy, t.elapsed_us, t.host_us
            ),
            None => String::new(),
        };
        Failure {
            kind: FailureKind::ChainDeadline,
            message: format!(
                "did not run: {} ms had passed, beyond the chain's deadline of {} ms ([chain] deadline-ms){blame}",
                spent.as_millis(),
                self.deadline.as_millis()
            ),
        }
    }
}
