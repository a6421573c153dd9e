//! Building a decision: effects on candidates and on the request, each tied
//! to the finding (and so the article) that justifies it.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};

use rustc_hash::FxBuildHasher;

use crate::article::Article;
use crate::candidate::Candidate;
use crate::wit;

/// Something a policy found: a stable code, the article, and a message the
/// user can read and appeal against. A notice or a block shows the message.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Finding {
    /// Stable code, e.g. `minors.curfew`.
    pub code: String,
    /// The article the finding rests on.
    pub article: Article,
    /// Another instrument cited as well (e.g. a guideline that sets the number).
    pub instrument: Option<String>,
    /// The message shown to the user.
    pub message: String,
}

impl Finding {
    /// A finding with a stable `code`, citing `article`, with a user-facing `message`.
    pub fn new(code: &str, article: Article, message: impl Into<String>) -> Self {
        Finding {
            code: code.to_string(),
            article,
            instrument: None,
            message: message.into(),
        }
    }

    /// Also cites another instrument, e.g. `"CAC minors-mode guideline 2024"`.
    pub fn citing(mut self, instrument: &str) -> Self {
        self.instrument = Some(instrument.to_string());
        self
    }

    fn into_wit(self) -> wit::Finding {
        let mut citation = self.article.citation();
        citation.instrument = self.instrument;
        wit::Finding { code: self.code, citation, message: self.message }
    }
}

/// A finding already recorded in a [`Decision`]: effects cite it without
/// hashing or comparing it again. Valid only for the decision that recorded it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FindingId(u32);

/// What an effect cites: a [`Finding`] (recorded on first use) or the
/// [`FindingId`] of one already recorded.
pub trait Cite {
    /// The finding's index in `decision`, recording it if it is new.
    fn index_in(self, decision: &mut Decision) -> u32;
}

impl Cite for &Finding {
    #[inline]
    fn index_in(self, decision: &mut Decision) -> u32 {
        decision.record(self).0
    }
}

impl Cite for FindingId {
    #[inline]
    fn index_in(self, _: &mut Decision) -> u32 {
        self.0
    }
}

/// Findings by reason: the finding for each reason is built and recorded
/// once per decision, however many effects cite it. A policy that finds the
/// same few reasons across many candidates names a reason per candidate
/// (a small `Copy` value such as an enum) and formats each message once:
///
/// ```ignore
/// let mut findings = FindingsBy::new();
/// for item in request.candidates() {
///     if let Some(reason) = why_hidden(&item) {
///         let finding = findings.record(&mut decision, reason, |reason| reason.finding());
///         decision.drop(&item, finding);
///     }
/// }
/// ```
#[derive(Debug)]
pub struct FindingsBy<K> {
    /// The first reasons recorded, looked through in order: a request
    /// usually has only a few, and comparing with each of them is cheaper
    /// than hashing.
    few: Vec<(K, FindingId)>,
    /// The reasons past the first [`FEW_REASONS`], by hash.
    many: HashMap<K, FindingId, FxBuildHasher>,
}

/// How many reasons [`FindingsBy`] looks through in order before it hashes.
const FEW_REASONS: usize = 8;

impl<K: Hash + Eq> Default for FindingsBy<K> {
    fn default() -> Self {
        FindingsBy { few: Vec::new(), many: HashMap::default() }
    }
}

impl<K: Hash + Eq> FindingsBy<K> {
    /// No reasons recorded yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The finding for `reason` in `decision`: `make` builds it the first time.
    #[inline]
    pub fn record(&mut self, decision: &mut Decision, reason: K, make: impl FnOnce(&K) -> Finding) -> FindingId {
        if let Some((_, id)) = self.few.iter().find(|(known, _)| *known == reason) {
            return *id;
        }
        if self.few.len() == FEW_REASONS {
            if let Some(&id) = self.many.get(&reason) {
                return id;
            }
        }
        let id = decision.record(&make(&reason));
        if self.few.len() < FEW_REASONS {
            self.few.push((reason, id));
        } else {
            self.many.insert(reason, id);
        }
        id
    }
}

/// A policy's decision on one request, built up effect by effect.
///
/// An empty decision serves the request unchanged.
#[derive(Clone, Debug, Default)]
pub struct Decision {
    /// The findings in the order recorded, each once.
    findings: Vec<Finding>,
    /// The first finding with each hash, and for each finding the next one
    /// with the same hash: recording stays linear however many there are,
    /// and each finding is stored once.
    first_with_hash: HashMap<u64, u32, FxBuildHasher>,
    next_with_hash: Vec<u32>,
    /// Everything else; its findings are filled from `findings` at the end.
    inner: wit::Decision,
}

impl PartialEq for Decision {
    fn eq(&self, other: &Self) -> bool {
        self.findings == other.findings && self.inner == other.inner
    }
}

/// The end of a chain of findings with the same hash.
const NO_FINDING: u32 = u32::MAX;

// The generated type cannot carry a derive; this is the empty decision.
#[allow(clippy::derivable_impls)]
impl Default for wit::Decision {
    fn default() -> Self {
        wit::Decision {
            findings: Vec::new(),
            actions: Vec::new(),
            rerank: None,
            notices: Vec::new(),
            block: None,
            tags_set_aside: Vec::new(),
        }
    }
}

impl Decision {
    /// A decision that changes nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `finding` (once, however often it is cited) and returns its id.
    #[inline]
    pub fn record(&mut self, finding: &Finding) -> FindingId {
        FindingId(self.record_index(finding))
    }

    fn record_index(&mut self, finding: &Finding) -> u32 {
        let hash = FxBuildHasher.hash_one(finding);
        let new = self.findings.len() as u32;
        match self.first_with_hash.get(&hash) {
            None => {
                self.first_with_hash.insert(hash, new);
            }
            Some(&first) => {
                let mut at = first;
                loop {
                    if self.findings[at as usize] == *finding {
                        return at;
                    }
                    match self.next_with_hash[at as usize] {
                        NO_FINDING => break,
                        next => at = next,
                    }
                }
                self.next_with_hash[at as usize] = new;
            }
        }
        self.findings.push(finding.clone());
        self.next_with_hash.push(NO_FINDING);
        new
    }

    #[inline]
    fn act(&mut self, candidate: &Candidate<'_>, action: wit::Action, finding: impl Cite) -> &mut Self {
        let finding = finding.index_in(self);
        self.inner.actions.push(wit::ItemAction { candidate: candidate.index(), action, finding });
        self
    }

    /// An action on the candidate at position `candidate`, which need not
    /// exist: for test policies that check how the host refuses a decision
    /// naming a candidate that is not in the list. Policies name candidates
    /// by their view ([`Decision::drop`] and the like).
    #[doc(hidden)]
    pub fn action_at(&mut self, candidate: u32, action: wit::Action, finding: impl Cite) -> &mut Self {
        let finding = finding.index_in(self);
        self.inner.actions.push(wit::ItemAction { candidate, action, finding });
        self
    }

    /// A rerank by positions, which need not exist (see [`Decision::action_at`]).
    #[doc(hidden)]
    pub fn rerank_at(&mut self, order: Vec<u32>, finding: impl Cite) -> &mut Self {
        let finding = finding.index_in(self);
        self.inner.rerank = Some(wit::Rerank { finding, order, non_personal: false });
        self
    }

    /// Removes the candidate from the response.
    #[inline]
    pub fn drop(&mut self, candidate: &Candidate<'_>, finding: impl Cite) -> &mut Self {
        self.act(candidate, wit::Action::Drop, finding)
    }

    /// Attaches a visible label to the candidate.
    #[inline]
    pub fn label(&mut self, candidate: &Candidate<'_>, label: &str, finding: impl Cite) -> &mut Self {
        self.act(candidate, wit::Action::Label(label.to_string()), finding)
    }

    /// Moves the candidate by `places`: positive towards the top, negative down.
    #[inline]
    pub fn move_by(&mut self, candidate: &Candidate<'_>, places: i32, finding: impl Cite) -> &mut Self {
        self.act(candidate, wit::Action::MoveBy(places), finding)
    }

    /// Serves the candidate at `price_fen` instead of its quoted price.
    pub fn reprice(&mut self, candidate: &Candidate<'_>, price_fen: u64, finding: impl Cite) -> &mut Self {
        self.act(candidate, wit::Action::Reprice(price_fen), finding)
    }

    /// Puts the remaining candidates in this order (those not listed follow, in their order).
    pub fn rerank<'a>(&mut self, order: impl IntoIterator<Item = Candidate<'a>>, finding: impl Cite) -> &mut Self {
        let finding = finding.index_in(self);
        let order = order.into_iter().map(|c| c.index()).collect();
        self.inner.rerank = Some(wit::Rerank { finding, order, non_personal: false });
        self
    }

    /// Puts the candidates in an order that uses no personal data (all of
    /// them, for the outcome to say the order is not personalised).
    pub fn rerank_non_personal<'a>(&mut self, order: impl IntoIterator<Item = Candidate<'a>>, finding: impl Cite) -> &mut Self {
        self.rerank(order, finding);
        if let Some(rerank) = self.inner.rerank.as_mut() {
            rerank.non_personal = true;
        }
        self
    }

    /// Shows the finding's message as a notice with the response, with a
    /// link for more if given (e.g. a rest reminder, a disclosure).
    pub fn notice(&mut self, finding: &Finding, link: Option<&str>) -> &mut Self {
        let index = self.record_index(finding);
        self.inner.notices.push(wit::Notice {
            finding: index,
            text: finding.message.clone(),
            link: link.map(str::to_string),
        });
        self
    }

    /// Refuses to serve the request, giving the finding's message as the
    /// reason, and when the user may try again if known. The first block a
    /// policy sets is kept.
    pub fn block(&mut self, finding: &Finding, retry_at_ms: Option<u64>) -> &mut Self {
        if self.inner.block.is_none() {
            let index = self.record_index(finding);
            self.inner.block = Some(wit::Block {
                finding: index,
                reason: finding.message.clone(),
                retry_at_ms,
            });
        }
        self
    }

    /// Sets a user tag aside for the rest of the chain.
    pub fn set_aside_tag(&mut self, tag: &str, finding: impl Cite) -> &mut Self {
        let finding = finding.index_in(self);
        self.inner.tags_set_aside.push(wit::TagSetAside {
            tag: tag.to_string(),
            finding,
        });
        self
    }

    /// The findings recorded so far.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// The codes of the findings recorded so far.
    pub fn codes(&self) -> Vec<&str> {
        self.findings.iter().map(|f| f.code.as_str()).collect()
    }

    /// Positions of the candidates this decision drops.
    pub fn dropped(&self) -> Vec<u32> {
        self.inner.actions.iter().filter(|a| matches!(a.action, wit::Action::Drop)).map(|a| a.candidate).collect()
    }

    /// The actions on candidates, in order.
    pub fn actions(&self) -> &[wit::ItemAction] {
        &self.inner.actions
    }

    /// The block, if the decision refuses the request.
    pub fn blocked(&self) -> Option<&wit::Block> {
        self.inner.block.as_ref()
    }

    /// The notices shown with the response.
    pub fn notices(&self) -> &[wit::Notice] {
        &self.inner.notices
    }

    /// The new order (positions), if the decision reranks.
    pub fn reranked(&self) -> Option<&[u32]> {
        self.inner.rerank.as_ref().map(|r| r.order.as_slice())
    }

    /// True if the decision reranks without personal data.
    pub fn reranked_non_personal(&self) -> bool {
        self.inner.rerank.as_ref().is_some_and(|r| r.non_personal)
    }

    /// The tags set aside.
    pub fn tags_set_aside(&self) -> Vec<&str> {
        self.inner.tags_set_aside.iter().map(|t| t.tag.as_str()).collect()
    }

    /// True if the decision changes nothing and found nothing.
    pub fn is_empty(&self) -> bool {
        self.findings.is_empty() && self.inner == wit::Decision::default()
    }

    /// The decision as the contract carries it.
    pub fn into_wit(self) -> wit::Decision {
        let mut inner = self.inner;
        inner.findings = self.findings.into_iter().map(Finding::into_wit).collect();
        inner
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finding_cited_twice_is_recorded_once() {
        let finding = Finding::new("x.y", Article::D12F12, "duplicate");
        let request = crate::testing::request(crate::Surface::Feed, crate::AgeBand::Adult, "2026-11-27T12:00", 480)
            .with_candidates(&["a", "b"])
            .build();
        let candidates = request.candidates();
        let mut decision = Decision::new();
        for item in candidates {
            decision.drop(&item, &finding);
        }
        assert_eq!(decision.findings().len(), 1);
        assert_eq!(decision.dropped(), [0, 1]);
        let wit = decision.into_wit();
        assert_eq!(wit.actions[1].finding, 0);
        assert_eq!(wit.findings[0].citation.draft_article, Some(12));
    }

    #[test]
    fn recording_many_findings_is_linear() {
        // Before: every finding was compared with every earlier one (quadratic).
        let mut decision = Decision::new();
        let findings: Vec<Finding> =
            (0..20_000).map(|i| Finding::new("tag.harmful", Article::D10F10, format!("tag {i}"))).collect();
        for (i, finding) in findings.iter().enumerate() {
            assert_eq!(decision.record(finding), FindingId(i as u32));
        }
        assert_eq!(decision.record(&findings[7]), FindingId(7));
        assert_eq!(decision.findings().len(), 20_000);
    }

    #[test]
    fn a_reason_builds_its_finding_once() {
        let request = crate::testing::request(crate::Surface::Feed, crate::AgeBand::Adult, "2026-11-27T12:00", 480)
            .with_candidates(&["a", "b", "c"])
            .build();
        let mut decision = Decision::new();
        let mut findings = FindingsBy::new();
        let mut built = 0;
        for (item, topic) in request.candidates().into_iter().zip(["x", "y", "x"]) {
            let finding = findings.record(&mut decision, topic, |topic| {
                built += 1;
                Finding::new("t.topic", Article::D12F12, format!("topic {topic}"))
            });
            decision.drop(&item, finding);
        }
        assert_eq!(built, 2);
        assert_eq!(decision.codes(), ["t.topic", "t.topic"]);
        let wit = decision.into_wit();
        assert_eq!(wit.actions.iter().map(|a| a.finding).collect::<Vec<_>>(), [0, 1, 0]);
    }

    #[test]
    fn many_reasons_each_build_their_finding_once_past_the_few_looked_through_in_order() {
        let mut decision = Decision::new();
        let mut findings = FindingsBy::new();
        let mut built = 0;
        let mut ids = Vec::new();
        // Every reason three times, interleaved, well past FEW_REASONS of them.
        for round in 0..3 {
            for reason in 0..(FEW_REASONS as u32 * 4) {
                let id = findings.record(&mut decision, reason, |reason| {
                    built += 1;
                    Finding::new("t.reason", Article::D12F12, format!("reason {reason}"))
                });
                if round == 0 {
                    ids.push(id);
                } else {
                    assert_eq!(id, ids[reason as usize], "reason {reason}, round {round}");
                }
            }
        }
        assert_eq!(built, FEW_REASONS * 4);
        assert_eq!(ids, (0..FEW_REASONS as u32 * 4).map(FindingId).collect::<Vec<_>>());
    }

    #[test]
    fn the_first_block_is_kept() {
        let first = Finding::new("a", Article::D16F18, "first");
        let second = Finding::new("b", Article::D16F18, "second");
        let mut decision = Decision::new();
        decision.block(&first, None).block(&second, None);
        assert_eq!(decision.blocked().unwrap().reason, "first");
        assert_eq!(decision.codes(), ["a"]);
    }
}
