//! The one place a policy's decision is checked, whole, before any of it
//! applies: its size against the policy's limits, every finding's citation,
//! every index into the findings, every candidate it names, every label it
//! attaches. A decision that fails a check is refused as a whole and the
//! policy's error policy applies, with the failure attributed to that policy.
//! Linear in the size of the decision and the request.

use std::collections::{HashMap, HashSet};

use crate::decision::{Action, Decision};
use crate::options::{Issuer, Limits, RequestSize};
use crate::outcome::{Failure, FailureKind};
use crate::wire::Candidates;

/// The longest label a policy may attach, in bytes.
pub const MAX_LABEL_BYTES: usize = 128;
/// The most labels the policies of one issuer may add to one candidate over
/// the whole chain. Regulator- and provider-issued policies each have their
/// own allowance, so that no provider policy can use up a regulator's, and
/// what a later policy receives grows by at most this many labels a candidate.
pub const MAX_ADDED_LABELS_PER_ISSUER: u32 = 8;

/// A decision checked against the request it will change.
#[derive(Debug)]
pub(crate) struct Checked {
    /// The decision.
    pub decision: Decision,
    /// For each action, the list position of its candidate.
    pub positions: Vec<usize>,
    /// For each action, whether it is a label the candidate does not have yet.
    pub new_label: Vec<bool>,
}

fn invalid(message: String) -> Failure {
    Failure { kind: FailureKind::InvalidDecision, message }
}

fn too_large(message: String) -> Failure {
    Failure { kind: FailureKind::DecisionLimit, message }
}

/// What a decision is checked against: the request as the chain has changed
/// it so far.
pub(crate) struct Against<'a> {
    /// The candidates, as the deciding policy saw them.
    pub candidates: &'a Candidates,
    /// The request's size as the chain received it (the caps scale with it).
    pub original_size: RequestSize,
    /// Labels the policies of the deciding policy's issuer have added to a
    /// candidate (by id) so far.
    pub labels_added: &'a dyn Fn(&str) -> u32,
}

/// Checks `decision` against the request, for a policy of `issuer` under `limits`.
pub(crate) fn check(decision: Decision, against: Against<'_>, issuer: Issuer, limits: &Limits) -> Result<Checked, Failure> {
    check_size(&decision, against.original_size, limits)?;
    check_findings(&decision)?;
    let candidates = against.candidates;
    let count = candidates.len();

    let mut positions = Vec::with_capacity(decision.actions.len());
    let mut new_label = Vec::with_capacity(decision.actions.len());
    // Labels each labelled candidate has, and how many this decision adds.
    let mut labels: HashMap<usize, (HashSet<&str>, u32)> = HashMap::new();
    for action in &decision.actions {
        let i = action.candidate as usize;
        if i >= count {
            return Err(invalid(format!("an action names candidate {i}, but the list has {count}")));
        }
        let id = candidates.ids().get(i);
        let mut is_new = false;
        match &action.action {
            Action::Reprice(_) if candidates.price(i).is_none() => {
                return Err(invalid(format!("reprice of candidate '{id}', which has no price quote")));
            }
            Action::Label(label) => {
                if label.len() > MAX_LABEL_BYTES {
                    return Err(too_large(format!(
                        "a label for candidate '{id}' is {} bytes long, above the {MAX_LABEL_BYTES} bytes a label may have",
                        label.len()
                    )));
                }
                let (present, added) =
                    labels.entry(i).or_insert_with(|| (candidates.labels_of(i).collect(), 0));
                if present.insert(label.as_str()) {
                    *added += 1;
                    is_new = true;
                    let before = (against.labels_added)(id);
                    if before + *added > MAX_ADDED_LABELS_PER_ISSUER {
                        return Err(too_large(format!(
                            "the decision would give candidate '{id}' more than the {MAX_ADDED_LABELS_PER_ISSUER} labels {} policies may add to one candidate",
                            issuer_name(issuer)
                        )));
                    }
                }
            }
            _ => {}
        }
        positions.push(i);
        new_label.push(is_new);
    }
    if let Some(rerank) = &decision.rerank {
        let mut seen = vec![false; count];
        for &i in &rerank.order {
            let Some(seen) = seen.get_mut(i as usize) else {
                return Err(invalid(format!("the rerank names candidate {i}, but the list has {count}")));
            };
            if std::mem::replace(seen, true) {
                return Err(invalid(format!("the rerank names candidate '{}' twice", candidates.ids().get(i as usize))));
            }
        }
    }
    Ok(Checked { decision, positions, new_label })
}

fn issuer_name(issuer: Issuer) -> &'static str {
    match issuer {
        Issuer::Regulator => "regulator-issued",
        Issuer::Provider => "provider-issued",
    }
}

/// Counts and bytes, against `max-effects` and `max-decision-bytes`.
fn check_size(decision: &Decision, size: RequestSize, limits: &Limits) -> Result<(), Failure> {
    let effects = decision.findings.len() + decision.actions.len() + decision.notices.len() + decision.tags_set_aside.len();
    let cap = limits.effects_cap(size);
    if effects > cap {
        return Err(too_large(format!(
            "the decision holds {effects} findings, actions, notices and tags set aside, above max-effects of {cap}"
        )));
    }
    let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
    let bytes: usize = decision
        .findings
        .iter()
        .map(|f| f.code.len() + f.message.len() + opt(&f.citation.instrument))
        .chain(decision.actions.iter().map(|a| if let Action::Label(label) = &a.action { label.len() } else { 0 }))
        .chain(decision.notices.iter().map(|n| n.text.len() + opt(&n.link)))
        .chain(decision.tags_set_aside.iter().map(|t| t.tag.len()))
        .chain(decision.block.iter().map(|b| b.reason.len()))
        .sum();
    let cap = limits.decision_bytes_cap(size);
    if bytes > cap {
        return Err(too_large(format!("the decision holds {bytes} bytes of text, above max-decision-bytes of {cap}")));
    }
    Ok(())
}

/// Every finding cites something, and every effect cites a finding that exists.
fn check_findings(decision: &Decision) -> Result<(), Failure> {
    if let Some((i, finding)) = decision.findings.iter().enumerate().find(|(_, f)| !f.citation.cites_anything()) {
        return Err(invalid(format!(
            "finding {i} ('{}') cites no article and no other instrument; every finding must say what it rests on",
            finding.code
        )));
    }
    let count = decision.findings.len();
    let indices = decision
        .actions
        .iter()
        .map(|a| a.finding)
        .chain(decision.notices.iter().map(|n| n.finding))
        .chain(decision.block.iter().map(|b| b.finding))
        .chain(decision.rerank.iter().map(|r| r.finding))
        .chain(decision.tags_set_aside.iter().map(|t| t.finding));
    for index in indices {
        if index as usize >= count {
            return Err(invalid(format!("an effect cites finding {index}, but the decision has {count} finding(s)")));
        }
    }
    Ok(())
}
