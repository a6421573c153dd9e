//! One policy in a chain, and everything that happens to the request at its
//! step: the evaluation, the check of its decision, the merge, its error
//! policy, and its entry in the trace.

use std::time::Instant;

use crate::applies::AppliesTo;
use crate::component::PolicyComponent;
use crate::error::EvaluateError;
use crate::merge::Working;
use crate::options::{FailClosed, FailClosedResponse, Mode, OnError, PolicyOptions};
use crate::reads::Reads;
use crate::outcome::{Failure, PolicyTrace, Status, TracedFinding, Verdict};
use crate::trust::Signer;

/// A policy as configured in a chain.
#[derive(Debug)]
pub(crate) struct Link {
    pub component: PolicyComponent,
    /// Its name in the trace.
    pub name: String,
    pub options: PolicyOptions,
    /// The settings, in the policy's own encoding (as its
    /// `validate-settings` returned them from the JSON), and the digest of the JSON.
    pub settings: Vec<u8>,
    /// The requests its settings let it decide anything on; it is skipped on the others.
    pub applies_to: AppliesTo,
    pub settings_digest: String,
    /// Who vouched for it.
    pub signer: Signer,
    /// The fields read after this step, by later policies or the host: a
    /// change to the list rebuilds only these columns.
    pub downstream: Reads,
}

impl Link {
    /// A trace entry for this policy, before anything happened.
    fn trace(&self, status: Status) -> PolicyTrace {
        PolicyTrace {
            policy: self.name.clone(),
            version: self.component.descriptor().version.clone(),
            digest: self.component.digest().to_string(),
            settings_digest: self.settings_digest.clone(),
            issuer: self.options.issuer,
            signed_by: self.signer.key_id().map(str::to_string),
            mode: self.options.mode,
            reads: self.component.reads(),
            status,
            findings: Vec::new(),
            effects: Vec::new(),
            elapsed_us: 0,
            host_us: 0,
            logs: Vec::new(),
        }
    }

    /// Runs the policy on the request as `working` holds it (unless the
    /// request is blocked or outside the policy's scope), checks and
    /// merges its decision (or applies its error policy), and returns its
    /// trace entry. Errs only when no instance slot came free in time.
    pub fn step(&self, working: &mut Working, fail_closed: &FailClosed) -> Result<PolicyTrace, EvaluateError> {
        if let Verdict::Block { policy, .. } = &working.verdict {
            let reason = format!("the request was already blocked by '{policy}'");
            return Ok(self.trace(Status::Skipped { reason }));
        }
        if let Some(reason) = self.applies_to.excludes_columns(&working.request) {
            return Ok(self.trace(Status::Skipped { reason }));
        }
        let mut trace = self.trace(Status::Applied);
        let evaluation = self
            .component
            .evaluate_columns(&mut working.request, &self.settings, &self.options.limits)
            .map_err(|error| match error {
                EvaluateError::Capacity { slots, waited_ms, .. } => {
                    EvaluateError::Capacity { policy: self.name.clone(), slots, waited_ms }
                }
                other => other,
            })?;
        trace.elapsed_us = evaluation.elapsed.as_micros() as u64;
        trace.logs = evaluation.logs;

        let waited = evaluation.waited;
        let host_started = Instant::now();
        let limits = &self.options.limits;
        match evaluation.result.and_then(|decision| working.check(decision, self.options.issuer, limits)) {
            Ok(checked) => {
                trace.findings = checked
                    .decision
                    .findings
                    .iter()
                    .map(|f| TracedFinding { code: f.code.clone(), article: f.citation.to_string(), message: f.message.clone() })
                    .collect();
                match self.options.mode {
                    Mode::Enforce => trace.effects = working.apply(&self.name, self.options.issuer, checked, self.downstream),
                    Mode::Monitor => {
                        trace.effects = working.preview(&checked);
                        trace.status = Status::Monitored;
                    }
                }
            }
            Err(failure) => trace.status = self.fail(working, failure, fail_closed),
        }
        trace.host_us = (waited + host_started.elapsed()).as_micros() as u64;
        Ok(trace)
    }

    /// The trace entry of a policy that could not run, e.g. past the chain's deadline.
    pub fn not_run(&self, working: &mut Working, failure: Failure, fail_closed: &FailClosed) -> PolicyTrace {
        let status = self.fail(working, failure, fail_closed);
        self.trace(status)
    }

    /// Applies the policy's error policy to `working`; returns its status.
    fn fail(&self, working: &mut Working, failure: Failure, fail_closed: &FailClosed) -> Status {
        // Monitor mode never changes the response, failing or not.
        let handled = if self.options.mode == Mode::Monitor { OnError::FailOpen } else { self.options.on_error };
        if handled == OnError::FailClosed && !working.is_blocked() {
            match fail_closed.response {
                FailClosedResponse::Block => {
                    working.verdict = Verdict::Block {
                        reason: fail_closed.reason.clone(),
                        retry_at_ms: None,
                        policy: self.name.clone(),
                        code: format!("recguard.fail-closed.{}", failure.kind.name()),
                        article: None,
                    };
                }
                FailClosedResponse::NonPersonalised => working.depersonalise(),
            }
        }
        Status::Failed { failure, handled }
    }
}
