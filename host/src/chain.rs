//! A chain of policies run in order on each request, with per-policy
//! settings, mode, error policy and limits.

use serde::{Deserialize, Serialize};

use crate::component::PolicyComponent;
use crate::error::LoadError;
use crate::merge::Working;
use crate::outcome::{Failure, Outcome, PolicyTrace, ServedItem, Status, TracedFinding, Verdict};
use crate::request::{Request, RequestError};
use crate::runtime::{Limits, Runtime};

/// Who issued a policy. A provider's policy cannot undo a regulator's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Issuer {
    /// A regulator's reference policy, run unchanged.
    Regulator,
    /// The provider's own policy.
    Provider,
}

/// Whether a policy's decisions change the response.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Decisions are applied.
    #[default]
    Enforce,
    /// Decisions are recorded in the trace and change nothing.
    Monitor,
}

/// What the chain does when a policy fails (a limit, a trap, an error).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnError {
    /// Apply the chain's fail-closed response (see [`FailClosed`]).
    #[default]
    FailClosed,
    /// Skip the policy and record the failure.
    FailOpen,
}

/// The response when a policy fails closed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct FailClosed {
    /// Block the request, or serve it ordered without personal signals.
    pub response: FailClosedResponse,
    /// The reason shown to the user when the request is blocked.
    pub reason: String,
}

impl Default for FailClosed {
    fn default() -> Self {
        FailClosed {
            response: FailClosedResponse::Block,
            reason: "This content is temporarily unavailable. Please try again later.".to_string(),
        }
    }
}

/// The two fail-closed responses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailClosedResponse {
    /// Serve nothing; show the reason.
    Block,
    /// Serve the candidates ordered by their non-personal score; the rest of the chain still runs.
    NonPersonalised,
}

/// How one policy takes part in a chain.
#[derive(Clone, Debug)]
pub struct PolicyOptions {
    /// Name in the trace; defaults to the policy's own name.
    pub name: Option<String>,
    /// Who issued it.
    pub issuer: Issuer,
    /// Enforce or monitor.
    pub mode: Mode,
    /// What to do when it fails.
    pub on_error: OnError,
    /// Its settings (a JSON object; keys left out take the policy's defaults).
    pub settings: serde_json::Value,
    /// Its limits.
    pub limits: Limits,
}

impl PolicyOptions {
    /// A regulator-issued policy, enforced, failing closed, default settings and limits.
    pub fn regulator() -> Self {
        PolicyOptions {
            name: None,
            issuer: Issuer::Regulator,
            mode: Mode::Enforce,
            on_error: OnError::FailClosed,
            settings: serde_json::Value::Object(Default::default()),
            limits: Limits::default(),
        }
    }

    /// A provider-issued policy, otherwise as [`PolicyOptions::regulator`].
    pub fn provider() -> Self {
        PolicyOptions { issuer: Issuer::Provider, ..Self::regulator() }
    }

    /// With these settings.
    pub fn settings(mut self, settings: serde_json::Value) -> Self {
        self.settings = settings;
        self
    }

    /// In this mode.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// With this error policy.
    pub fn on_error(mut self, on_error: OnError) -> Self {
        self.on_error = on_error;
        self
    }

    /// With these limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Under this name in the trace.
    pub fn named(mut self, name: &str) -> Self {
        self.name = Some(name.to_string());
        self
    }
}

struct Link {
    component: PolicyComponent,
    name: String,
    options: PolicyOptions,
    settings_json: String,
    settings_digest: String,
}

/// Policies run in order on each request. `Send + Sync`: share one chain
/// across threads (or `Arc` it into `tokio::task::spawn_blocking`).
pub struct Chain {
    runtime: Runtime,
    links: Vec<Link>,
    fail_closed: FailClosed,
}

/// Builds a [`Chain`], validating each policy's settings and limits once.
pub struct ChainBuilder {
    chain: Chain,
}

impl ChainBuilder {
    /// Appends a policy; its settings are validated by the policy now.
    pub fn policy(mut self, component: PolicyComponent, options: PolicyOptions) -> Result<Self, LoadError> {
        let name = options.name.clone().unwrap_or_else(|| component.descriptor().name.clone());
        self.chain
            .runtime
            .check_limits(&options.limits)
            .map_err(|message| LoadError::InvalidLimits { policy: name.clone(), message })?;
        if !options.settings.is_object() {
            return Err(LoadError::InvalidSettings {
                policy: name,
                message: "settings must be a JSON object (a TOML table)".into(),
                defaults: component.descriptor().default_settings.clone(),
            });
        }
        let settings_json = options.settings.to_string();
        component.validate_settings(&self.chain.runtime, &settings_json)?;
        let settings_digest = crate::component::sha256_hex(settings_json.as_bytes());
        self.chain.links.push(Link { component, name, options, settings_json, settings_digest });
        Ok(self)
    }

    /// Sets the fail-closed response (default: block with a generic reason).
    pub fn fail_closed(mut self, fail_closed: FailClosed) -> Self {
        self.chain.fail_closed = fail_closed;
        self
    }

    /// The chain.
    pub fn build(self) -> Chain {
        self.chain
    }
}

impl Chain {
    /// Starts a chain on `runtime`.
    pub fn builder(runtime: &Runtime) -> ChainBuilder {
        ChainBuilder { chain: Chain { runtime: runtime.clone(), links: Vec::new(), fail_closed: FailClosed::default() } }
    }

    /// The runtime the chain runs on.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// The policies, in order, with their names in the trace.
    pub fn policies(&self) -> impl Iterator<Item = (&str, &PolicyComponent)> {
        self.links.iter().map(|l| (l.name.as_str(), &l.component))
    }

    /// Parses a JSON request and evaluates it.
    pub fn evaluate_json(&self, request: &str) -> Result<Outcome, RequestError> {
        self.evaluate(Request::from_json(request)?)
    }

    /// Runs every policy on the request and merges their decisions (see
    /// [`merge`](crate::merge) for the rules).
    pub fn evaluate(&self, request: Request) -> Result<Outcome, RequestError> {
        request.check()?;
        let request_id = request.id.clone();
        let mut working = Working::new(request);
        let mut trace = Vec::with_capacity(self.links.len());

        for link in &self.links {
            let mut entry = PolicyTrace {
                policy: link.name.clone(),
                version: link.component.descriptor().version.clone(),
                digest: link.component.digest().to_string(),
                settings_digest: link.settings_digest.clone(),
                issuer: link.options.issuer,
                mode: link.options.mode,
                status: Status::Applied,
                findings: Vec::new(),
                effects: Vec::new(),
                elapsed_us: 0,
                logs: Vec::new(),
            };
            if let Verdict::Block { policy, .. } = &working.verdict {
                entry.status = Status::Skipped { reason: format!("the request was already blocked by '{policy}'") };
                trace.push(entry);
                continue;
            }
            let evaluation = link.component.evaluate(
                &self.runtime,
                &working.request,
                &link.settings_json,
                &link.options.limits,
            );
            entry.elapsed_us = evaluation.elapsed.as_micros() as u64;
            entry.logs = evaluation.logs;
            let checked = evaluation.result.and_then(|decision| {
                working
                    .check(decision)
                    .map_err(|message| Failure { kind: crate::outcome::FailureKind::InvalidDecision, message })
            });
            match checked {
                Ok(checked) => {
                    entry.findings = checked
                        .decision
                        .findings
                        .iter()
                        .map(|f| TracedFinding {
                            code: f.code.clone(),
                            article: f.citation.to_string(),
                            message: f.message.clone(),
                        })
                        .collect();
                    match link.options.mode {
                        Mode::Enforce => {
                            entry.effects = working.apply(&link.name, link.options.issuer, &checked);
                        }
                        Mode::Monitor => {
                            entry.effects = working.preview(&checked.decision);
                            entry.status = Status::Monitored;
                        }
                    }
                }
                Err(failure) => {
                    let handled = if link.options.mode == Mode::Monitor { OnError::FailOpen } else { link.options.on_error };
                    if handled == OnError::FailClosed {
                        self.fail_closed(&mut working, &link.name, &failure);
                    }
                    entry.status = Status::Failed { failure, handled };
                }
            }
            trace.push(entry);
        }

        let blocked = working.is_blocked();
        let candidates = if blocked {
            Vec::new()
        } else {
            working
                .request
                .candidates
                .into_iter()
                .map(|c| ServedItem { id: c.id, labels: c.labels, price_fen: c.price.map(|p| p.amount_fen) })
                .collect()
        };
        Ok(Outcome {
            request_id,
            verdict: working.verdict,
            personalised: working.personalised,
            candidates,
            notices: working.notices,
            tags_set_aside: working.tags_set_aside,
            trace,
        })
    }

    fn fail_closed(&self, working: &mut Working, policy: &str, failure: &Failure) {
        match self.fail_closed.response {
            FailClosedResponse::Block => {
                working.verdict = Verdict::Block {
                    reason: self.fail_closed.reason.clone(),
                    retry_at_ms: None,
                    policy: policy.to_string(),
                    code: format!("recguard.fail-closed.{}", kind_code(failure)),
                    article: "-".to_string(),
                };
            }
            FailClosedResponse::NonPersonalised => working.depersonalise(),
        }
    }
}

fn kind_code(failure: &Failure) -> String {
    serde_json::to_value(failure.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "failure".into())
}
