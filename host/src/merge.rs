//! How decisions are merged. The rules, in full:
//!
//! 1. Policies run in the configured order. Each sees the request as the
//!    enforcing policies before it left it: dropped candidates gone, labels
//!    and prices updated, moves and reranks applied, tags set aside removed.
//! 2. A decision is checked whole before any of it applies (`check.rs`): a
//!    candidate position past the end of the list the policy received, a
//!    reprice of an item without a price, a finding index out of range or a
//!    finding that cites nothing makes it invalid; a
//!    decision above the policy's `max-effects` or `max-decision-bytes`, a
//!    label over 128 bytes, or more than 8 labels added to one candidate by
//!    the policies of one issuer, makes it too large. Either way the policy
//!    fails, as itself, and its error policy applies instead.
//! 3. Within one decision: labels and reprices first, then drops, then moves
//!    (in the order given), then the rerank. Moves are clamped to the list.
//!    Labels already present are not repeated.
//! 4. A policy issued by the provider cannot undo what a regulator-issued
//!    policy did: it cannot move an item a regulator moved or reranked, nor
//!    reprice an item a regulator repriced (such effects are recorded as
//!    refused); a provider rerank leaves those items where they are. No
//!    policy can add a candidate, remove a label or lift a block: the
//!    contract has no such effects. What provider policies add to the request
//!    (labels) has its own allowance, apart from the regulators'.
//! 5. The first enforced block ends the chain: the request is blocked with
//!    that policy's reason, and later policies are recorded as skipped.
//! 6. Notices accumulate in chain order; the same text is shown once. A tag
//!    set aside is reported once.
//! 7. Monitor mode records every effect as "would apply" and changes nothing.
//!
//! Every step is linear in the size of the decision and the request, or
//! n log n (the rerank's sort, a long run of moves).

use std::collections::{HashMap, HashSet};

use crate::check::{check, Against, Checked};
use crate::decision::{Action, Decision};
use crate::options::{Issuer, Limits, RequestSize};
use crate::order::apply_moves;
use crate::reads::Reads;
use crate::outcome::{Change, Effect, EffectResult, Failure, ServedNotice, Verdict};
use crate::text::Code;
use crate::wire;

/// The request as the chain has changed it so far, and what the chain will serve.
#[derive(Debug)]
pub(crate) struct Working {
    /// The request's columns, as the next policy will see them.
    pub request: wire::Request,
    /// The request's size as the chain received it (caps scale with it).
    original_size: RequestSize,
    /// Candidates (by id) whose position or price a regulator-issued policy set.
    protected_position: HashSet<String>,
    protected_price: HashSet<String>,
    /// Labels added so far to each candidate, by regulator and by provider policies.
    labels_added: HashMap<String, [u32; 2]>,
    pub notices: Vec<ServedNotice>,
    notice_texts: HashSet<String>,
    pub tags_set_aside: Vec<String>,
    tags_reported: HashSet<String>,
    pub verdict: Verdict,
    pub personalised: bool,
}

impl Working {
    pub fn new(request: wire::Request) -> Self {
        Working {
            original_size: RequestSize { candidates: request.candidates.len(), user_tags: request.user.tags.as_ref().map_or(0, |t| t.name.len()) },
            request,
            protected_position: HashSet::new(),
            protected_price: HashSet::new(),
            labels_added: HashMap::new(),
            notices: Vec::new(),
            notice_texts: HashSet::new(),
            tags_set_aside: Vec::new(),
            tags_reported: HashSet::new(),
            verdict: Verdict::Serve,
            personalised: true,
        }
    }

    /// Checks a decision of a policy of `issuer` against the request as it is now.
    pub fn check(&self, decision: Decision, issuer: Issuer, limits: &Limits) -> Result<Checked, Failure> {
        let labels_added = |id: &str| self.labels_added.get(id).map_or(0, |counts| counts[issuer_slot(issuer)]);
        let against = Against {
            candidates: &self.request.candidates,
            original_size: self.original_size,
            labels_added: &labels_added,
        };
        check(decision, against, issuer, limits)
    }

    pub fn is_blocked(&self) -> bool {
        matches!(self.verdict, Verdict::Block { .. })
    }

    /// The id of the candidate at `position` now.
    fn id(&self, position: usize) -> &str {
        self.request.candidates.ids().get(position)
    }

    /// Effects the decision would have, without applying them (monitor mode).
    pub fn preview(&self, checked: &Checked) -> Vec<Effect> {
        let decision = &checked.decision;
        let codes = Codes::new(decision);
        let mut effects: Vec<Effect> = decision
            .actions
            .iter()
            .map(|a| Effect {
                candidate: Some(self.id(a.candidate as usize).into()),
                change: action_change(&a.action),
                code: codes.of(a.finding),
                result: EffectResult::WouldApply,
            })
            .collect();
        effects.extend(self.request_effects(decision, &codes, EffectResult::WouldApply));
        effects
    }

    /// Applies a checked decision and returns its effects. A changed list
    /// keeps only the columns in `keep` (see [`Reads::host_keeps`]).
    pub fn apply(&mut self, policy: &str, issuer: Issuer, checked: Checked, keep: Reads) -> Vec<Effect> {
        let Checked { decision, positions, new_label } = checked;
        let count = self.request.candidates.len();
        let mut effects = Vec::with_capacity(decision.actions.len() + decision.notices.len() + 2);
        let mut dropped = vec![false; count];
        let mut moves = Vec::new();
        let mut added_labels: HashMap<usize, Vec<String>> = HashMap::new();
        let codes = Codes::new(&decision);

        for ((action, &i), &is_new_label) in decision.actions.iter().zip(&positions).zip(&new_label) {
            let id = self.request.candidates.ids().get(i);
            let mut result = EffectResult::Applied;
            match &action.action {
                Action::Drop => dropped[i] = true,
                Action::Label(label) => {
                    if is_new_label {
                        added_labels.entry(i).or_default().push(label.clone());
                        self.labels_added.entry(id.to_string()).or_default()[issuer_slot(issuer)] += 1;
                    }
                }
                Action::Reprice(fen) => {
                    if issuer == Issuer::Provider && self.protected_price.contains(id) {
                        result = refused("a regulator-issued policy set this item's price");
                    } else if self.request.candidates.price(i).is_some() {
                        if issuer == Issuer::Regulator {
                            self.protected_price.insert(id.to_string());
                        }
                        self.request.candidates.set_price(i, *fen);
                    }
                }
                Action::MoveBy(places) => {
                    if issuer == Issuer::Provider && self.protected_position.contains(id) {
                        result = refused("a regulator-issued policy set this item's position");
                    } else {
                        moves.push((i as u32, *places));
                    }
                }
            }
            effects.push(Effect {
                candidate: Some(self.request.candidates.ids().get(i).into()),
                change: action_change(&action.action),
                code: codes.of(action.finding),
                result,
            });
        }

        // The new list, as positions in the list the policy saw.
        let mut changed = !added_labels.is_empty();
        let mut order: Vec<usize> = if !moves.is_empty() || dropped.contains(&true) {
            changed = true;
            if issuer == Issuer::Regulator {
                for &(i, _) in &moves {
                    self.protected_position.insert(self.id(i as usize).to_string());
                }
            }
            let kept: Vec<u32> = (0..count as u32).filter(|&i| !dropped[i as usize]).collect();
            apply_moves(kept, &moves).into_iter().map(|i| i as usize).collect()
        } else {
            (0..count).collect()
        };
        if let Some(rerank) = &decision.rerank {
            changed = true;
            order = self.rerank(order, &rerank.order, issuer);
            // Every candidate put in an order that uses no personal data, by a
            // regulator's policy (whose positions provider policies cannot move).
            let mut listed = vec![false; count];
            rerank.order.iter().for_each(|&i| listed[i as usize] = true);
            if rerank.non_personal && issuer == Issuer::Regulator && order.iter().all(|&i| listed[i]) {
                self.personalised = false;
            }
        }
        effects.extend(self.request_effects(&decision, &codes, EffectResult::Applied));
        if changed {
            let none: &[String] = &[];
            let added = |i: usize| added_labels.get(&i).map_or(none, Vec::as_slice);
            self.request.candidates = self.request.candidates.gather(&order, &added, keep);
        }

        for notice in &decision.notices {
            if self.notice_texts.insert(notice.text.clone()) {
                self.notices.push(ServedNotice {
                    text: notice.text.clone(),
                    link: notice.link.clone(),
                    policy: policy.to_string(),
                    code: codes.of(notice.finding).to_string(),
                });
            }
        }
        if !decision.tags_set_aside.is_empty() {
            let aside: HashSet<&str> = decision.tags_set_aside.iter().map(|t| t.tag.as_str()).collect();
            if let Some(tags) = self.request.user.tags.as_mut() {
                tags.retain(|name| !aside.contains(name));
            }
            for tag in &decision.tags_set_aside {
                if self.tags_reported.insert(tag.tag.clone()) {
                    self.tags_set_aside.push(tag.tag.clone());
                }
            }
        }
        if let Some(block) = &decision.block {
            let finding = decision.findings.get(block.finding as usize);
            self.verdict = Verdict::Block {
                reason: block.reason.clone(),
                retry_at_ms: block.retry_at_ms,
                policy: policy.to_string(),
                code: finding.map(|f| f.code.clone()).unwrap_or_default(),
                article: finding.map(|f| f.citation.to_string()),
            };
        }
        effects
    }

    /// The fail-closed fallback without a block: order by the non-personal
    /// score, ties by id (never by the provider's personalised order), and
    /// keep that order from provider-issued policies.
    pub fn depersonalise(&mut self) {
        let candidates = &self.request.candidates;
        let mut order: Vec<usize> = (0..candidates.len()).collect();
        order.sort_by(|&a, &b| {
            candidates
                .non_personal_score_of(b)
                .total_cmp(&candidates.non_personal_score_of(a))
                .then_with(|| candidates.ids().get(a).cmp(candidates.ids().get(b)))
        });
        self.request.candidates = candidates.gather(&order, &|_| &[], Reads::all());
        self.protected_position.extend(self.request.candidates.ids().iter().map(str::to_string));
        self.personalised = false;
    }

    /// `order` (positions in the list the policy saw) reranked by `ranked`
    /// (positions too, best first): slots held by items a regulator placed
    /// stay put for a provider's rerank; the rest are filled in the new
    /// order (a stable sort: items it leaves out keep their relative order, after it).
    fn rerank(&mut self, order: Vec<usize>, ranked: &[u32], issuer: Issuer) -> Vec<usize> {
        let mut rank = vec![usize::MAX; self.request.candidates.len()];
        for (place, &i) in ranked.iter().enumerate() {
            rank[i as usize] = place;
        }
        let protected: Vec<bool> =
            order.iter().map(|&i| issuer == Issuer::Provider && self.protected_position.contains(self.id(i))).collect();
        let mut free: Vec<usize> = order.iter().zip(&protected).filter(|(_, p)| !**p).map(|(&i, _)| i).collect();
        free.sort_by_key(|&i| rank[i]);
        let mut free = free.into_iter();
        let reordered: Vec<usize> =
            order.iter().zip(&protected).map(|(&i, &p)| if p { i } else { free.next().unwrap_or(i) }).collect();
        if issuer == Issuer::Regulator {
            for &i in &reordered {
                self.protected_position.insert(self.id(i).to_string());
            }
        }
        reordered
    }

    /// The effects of a decision on the request as a whole (never refused), in the
    /// order they apply: rerank, notices, tags set aside, block.
    fn request_effects(&self, decision: &Decision, codes: &Codes, result: EffectResult) -> Vec<Effect> {
        let effect = |change, finding| Effect { candidate: None, change, code: codes.of(finding), result: result.clone() };
        let mut effects = Vec::new();
        if let Some(rerank) = &decision.rerank {
            let order = rerank.order.iter().map(|&i| self.id(i as usize).to_string()).collect();
            effects.push(effect(Change::Rerank { order }, rerank.finding));
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
}

fn issuer_slot(issuer: Issuer) -> usize {
    match issuer {
        Issuer::Regulator => 0,
        Issuer::Provider => 1,
    }
}

fn refused(reason: &str) -> EffectResult {
    EffectResult::Refused { reason: reason.to_string() }
}

/// The codes of a decision's findings, made once and shared by its effects.
struct Codes(Vec<Code>);

impl Codes {
    fn new(decision: &Decision) -> Self {
        Codes(decision.findings.iter().map(|f| Code::from(f.code.as_str())).collect())
    }

    /// The code of a finding the decision's check proved to exist.
    fn of(&self, finding: u32) -> Code {
        self.0.get(finding as usize).cloned().unwrap_or_else(|| Code::from(""))
    }
}

fn action_change(action: &Action) -> Change {
    match action {
        Action::Drop => Change::Drop,
        Action::Label(label) => Change::Label { label: label.clone() },
        Action::MoveBy(places) => Change::MoveBy { places: *places },
        Action::Reprice(fen) => Change::Reprice { fen: *fen },
    }
}

#[cfg(test)]
#[path = "merge_tests.rs"]
mod tests;
