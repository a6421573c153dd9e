//! How decisions are merged. The rules, in full:
//!
//! 1. Policies run in the configured order. Each sees the request as the
//!    enforcing policies before it left it: dropped candidates gone, labels
//!    and prices updated, moves and reranks applied, tags set aside removed.
//! 2. Within one decision: labels and reprices first, then drops, then moves
//!    (in the order given), then the rerank. A decision is checked whole
//!    before any of it applies: an unknown candidate id, a reprice of an item
//!    without a price, or a finding index out of range makes it invalid, and
//!    the policy's error policy applies instead.
//! 3. Moves are clamped to the list. Labels already present are not repeated.
//! 4. A policy issued by the provider cannot undo what a regulator-issued
//!    policy did: it cannot move an item a regulator moved or reranked, nor
//!    reprice an item a regulator repriced (such effects are recorded as
//!    refused); a provider rerank leaves those items where they are. No
//!    policy can add a candidate, remove a label or lift a block: the
//!    contract has no such effects.
//! 5. The first enforced block ends the chain: the request is blocked with
//!    that policy's reason, and later policies are recorded as skipped.
//! 6. Notices accumulate in chain order; the same text is shown once.
//! 7. Monitor mode records every effect as "would apply" and changes nothing.

use std::collections::{HashMap, HashSet};

use crate::chain::Issuer;
use crate::decision::{Action, Decision};
use crate::outcome::{Change, Effect, EffectResult, ServedNotice, Verdict};
use crate::request::Request;

/// A decision checked against the request it will change.
pub(crate) struct Checked {
    /// The decision.
    pub decision: Decision,
    /// For each action, the list position of its candidate.
    positions: Vec<usize>,
}

/// The request as the chain has changed it so far.
pub(crate) struct Working {
    pub request: Request,
    /// Candidates whose position or price a regulator-issued policy set.
    protected_position: HashSet<String>,
    protected_price: HashSet<String>,
    pub notices: Vec<ServedNotice>,
    pub tags_set_aside: Vec<String>,
    pub verdict: Verdict,
    pub personalised: bool,
}

impl Working {
    pub fn new(request: Request) -> Self {
        Working {
            request,
            protected_position: HashSet::new(),
            protected_price: HashSet::new(),
            notices: Vec::new(),
            tags_set_aside: Vec::new(),
            verdict: Verdict::Serve,
            personalised: true,
        }
    }

    /// Checks a decision against the current request (its finding indices
    /// were checked when the policy returned it).
    pub fn check(&self, decision: Decision) -> Result<Checked, String> {
        let index = self.index();
        let mut positions = Vec::with_capacity(decision.actions.len());
        for action in &decision.actions {
            let Some(&i) = index.get(action.candidate_id.as_str()) else {
                return Err(format!("an action names candidate '{}', which is not in the list", action.candidate_id));
            };
            if matches!(action.action, Action::Reprice(_)) && self.request.candidates[i].price.is_none() {
                return Err(format!("reprice of candidate '{}', which has no price quote", action.candidate_id));
            }
            positions.push(i);
        }
        if let Some(rerank) = &decision.rerank {
            let mut seen = HashSet::new();
            for id in &rerank.order {
                if !index.contains_key(id.as_str()) {
                    return Err(format!("the rerank names candidate '{id}', which is not in the list"));
                }
                if !seen.insert(id.as_str()) {
                    return Err(format!("the rerank names candidate '{id}' twice"));
                }
            }
        }
        Ok(Checked { decision, positions })
    }

    /// Effects the decision would have, without applying them (monitor mode).
    pub fn preview(&self, decision: &Decision) -> Vec<Effect> {
        let mut effects: Vec<Effect> = decision
            .actions
            .iter()
            .map(|a| Effect {
                candidate: Some(a.candidate_id.clone()),
                change: action_change(&a.action),
                code: finding_code(decision, a.finding),
                result: EffectResult::WouldApply,
            })
            .collect();
        effects.extend(request_effects(decision, EffectResult::WouldApply));
        effects
    }

    /// Applies a checked decision and returns its effects.
    pub fn apply(&mut self, policy: &str, issuer: Issuer, checked: &Checked) -> Vec<Effect> {
        let Checked { decision, positions } = checked;
        let mut effects = Vec::with_capacity(decision.actions.len());
        let mut dropped = vec![false; self.request.candidates.len()];
        let mut moves = Vec::new();

        for (action, &i) in decision.actions.iter().zip(positions) {
            let candidate = &mut self.request.candidates[i];
            let mut result = EffectResult::Applied;
            match &action.action {
                Action::Drop => dropped[i] = true,
                Action::Label(label) => {
                    if !candidate.labels.contains(label) {
                        candidate.labels.push(label.clone());
                    }
                }
                Action::Reprice(fen) => {
                    if issuer == Issuer::Provider && self.protected_price.contains(&candidate.id) {
                        result = refused("a regulator-issued policy set this item's price");
                    } else if let Some(price) = candidate.price.as_mut() {
                        price.amount_fen = *fen;
                        if issuer == Issuer::Regulator {
                            self.protected_price.insert(candidate.id.clone());
                        }
                    }
                }
                Action::MoveBy(places) => {
                    if issuer == Issuer::Provider && self.protected_position.contains(&candidate.id) {
                        result = refused("a regulator-issued policy set this item's position");
                    } else {
                        moves.push((candidate.id.clone(), *places));
                    }
                }
            }
            effects.push(Effect {
                candidate: Some(action.candidate_id.clone()),
                change: action_change(&action.action),
                code: finding_code(decision, action.finding),
                result,
            });
        }

        if dropped.iter().any(|d| *d) {
            let mut keep = dropped.iter().map(|d| !d);
            self.request.candidates.retain(|_| keep.next().unwrap_or(true));
        }
        for (id, places) in moves {
            self.move_by(&id, places);
            if issuer == Issuer::Regulator {
                self.protected_position.insert(id);
            }
        }
        if let Some(rerank) = &decision.rerank {
            self.rerank(&rerank.order, issuer);
        }

        for notice in &decision.notices {
            if !self.notices.iter().any(|n| n.text == notice.text) {
                self.notices.push(ServedNotice {
                    text: notice.text.clone(),
                    link: notice.link.clone(),
                    policy: policy.to_string(),
                    code: finding_code(decision, notice.finding),
                });
            }
        }
        for aside in &decision.tags_set_aside {
            self.request.user.tags.retain(|t| t.name != aside.tag);
            if !self.tags_set_aside.contains(&aside.tag) {
                self.tags_set_aside.push(aside.tag.clone());
            }
        }
        if let Some(block) = &decision.block {
            let finding = &decision.findings[block.finding as usize];
            self.verdict = Verdict::Block {
                reason: block.reason.clone(),
                retry_at_ms: block.retry_at_ms,
                policy: policy.to_string(),
                code: finding.code.clone(),
                article: finding.citation.to_string(),
            };
        }
        effects.extend(request_effects(decision, EffectResult::Applied));
        effects
    }

    /// The fail-closed fallback without a block: order by the non-personal
    /// score, and keep that order from provider-issued policies.
    pub fn depersonalise(&mut self) {
        self.request
            .candidates
            .sort_by(|a, b| b.non_personal_score.total_cmp(&a.non_personal_score));
        for candidate in &self.request.candidates {
            self.protected_position.insert(candidate.id.clone());
        }
        self.personalised = false;
    }

    pub fn is_blocked(&self) -> bool {
        matches!(self.verdict, Verdict::Block { .. })
    }

    fn index(&self) -> HashMap<&str, usize> {
        self.request.candidates.iter().enumerate().map(|(i, c)| (c.id.as_str(), i)).collect()
    }

    fn move_by(&mut self, id: &str, places: i32) {
        let list = &mut self.request.candidates;
        let Some(from) = list.iter().position(|c| c.id == id) else { return };
        let last = list.len().saturating_sub(1) as i64;
        let to = (from as i64 - places as i64).clamp(0, last) as usize;
        let item = list.remove(from);
        list.insert(to, item);
    }

    fn rerank(&mut self, order: &[String], issuer: Issuer) {
        let rank: HashMap<&str, usize> = order.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
        let list = std::mem::take(&mut self.request.candidates);
        let protected = |id: &str| issuer == Issuer::Provider && self.protected_position.contains(id);
        // Slots held by protected items stay put; the rest are filled in the new order.
        let mut free: Vec<_> = list.iter().filter(|c| !protected(&c.id)).cloned().collect();
        free.sort_by_key(|c| rank.get(c.id.as_str()).copied().unwrap_or(usize::MAX));
        let mut free = free.into_iter();
        let reordered: Vec<_> = list
            .into_iter()
            .map(|c| if protected(&c.id) { c } else { free.next().expect("as many free items as free slots") })
            .collect();
        if issuer == Issuer::Regulator {
            self.protected_position.extend(reordered.iter().map(|c| c.id.clone()));
        }
        self.request.candidates = reordered;
    }
}

fn refused(reason: &str) -> EffectResult {
    EffectResult::Refused { reason: reason.to_string() }
}

fn finding_code(decision: &Decision, finding: u32) -> String {
    decision.findings[finding as usize].code.clone()
}

fn action_change(action: &Action) -> Change {
    match action {
        Action::Drop => Change::Drop,
        Action::Label(label) => Change::Label { label: label.clone() },
        Action::MoveBy(places) => Change::MoveBy { places: *places },
        Action::Reprice(fen) => Change::Reprice { fen: *fen },
    }
}

/// The effects of a decision on the request as a whole (never refused), in the
/// order they apply: rerank, notices, tags set aside, block.
fn request_effects(decision: &Decision, result: EffectResult) -> Vec<Effect> {
    let effect = |change, finding| Effect { candidate: None, change, code: finding_code(decision, finding), result: result.clone() };
    let mut effects = Vec::new();
    if let Some(rerank) = &decision.rerank {
        effects.push(effect(Change::Rerank { order: rerank.order.clone() }, rerank.finding));
    }
    for notice in &decision.notices {
        effects.push(effect(Change::Notice { text: notice.text.clone() }, notice.finding));
    }
    for aside in &decision.tags_set_aside {
        effects.push(effect(Change::SetAsideTag { tag: aside.tag.clone() }, aside.finding));
    }
    if let Some(block) = &decision.block {
        effects.push(effect(Change::Block { reason: block.reason.clone() }, block.finding));
    }
    effects
}
