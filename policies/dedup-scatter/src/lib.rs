//! De-duplication and scatter (D12 / F12).
//!
//! Exact duplicates (same content hash) and near duplicates (similarity keys
//! within a few bits) are removed, keeping the first; items the user marked
//! "not interested" (the item, its author or its topic) are removed; and the
//! rest are scattered so that no more than N consecutive items share an
//! author or a main topic, moving as little as possible.

use recguard_sdk::prelude::*;
use recguard_sdk::FeedbackTarget;

/// Settings of the dedup-scatter policy.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Settings {
    /// Similarity keys (64-bit SimHash) this many bits apart or fewer are near duplicates. No
    /// statutory number: 3 bits of 64 is the usual SimHash threshold for near-identical text.
    pub near_duplicate_bits: u32,
    /// At most this many consecutive items by one author. No statutory number: D12 / F12 asks for
    /// scatter (打散); 2 keeps one author from filling a screen.
    pub max_consecutive_author: usize,
    /// At most this many consecutive items whose first topic is the same. No statutory number; the
    /// 2024 Qinglang campaign asks providers not to push homogeneous content.
    pub max_consecutive_topic: usize,
    /// Remove items the user marked "not interested". Source: 2024 Qinglang campaign.
    pub honour_not_interested: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { near_duplicate_bits: 3, max_consecutive_author: 2, max_consecutive_topic: 3, honour_not_interested: true }
    }
}

/// The dedup-scatter policy.
pub struct DedupScatter;

impl Policy for DedupScatter {
    type Settings = Settings;
    const NAME: &'static str = "dedup-scatter";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str = "Removes duplicates and items the user is not interested in, and scatters runs of one author or topic.";
    const ARTICLES: &'static [Article] = &[Article::D12F12];
    const READS: &'static [&'static str] = &[
        "user.not-interested",
        "candidates.id",
        "candidates.author",
        "candidates.topics",
        "candidates.content-hash",
        "candidates.similarity-key",
    ];

    fn validate(settings: &Settings) -> Result<(), String> {
        if settings.max_consecutive_author == 0 || settings.max_consecutive_topic == 0 {
            return Err("max-consecutive-author and max-consecutive-topic must be at least 1".into());
        }
        if settings.near_duplicate_bits > 64 {
            return Err("near-duplicate-bits is at most 64".into());
        }
        Ok(())
    }

    fn evaluate(request: &Request, settings: &Settings) -> Decision {
        let mut decision = Decision::new();
        let mut kept: Vec<Candidate<'_>> = Vec::with_capacity(request.candidates().len());
        for item in request.candidates() {
            if let Some(finding) = unwanted(&item, &kept, request, settings) {
                decision.drop(&item, &finding);
            } else {
                kept.push(item);
            }
        }
        let order = scatter(&kept, settings);
        if order.iter().zip(&kept).any(|(a, b)| a.index() != b.index()) {
            let finding = Finding::new(
                "dedup-scatter.scattered",
                Article::D12F12,
                format!(
                    "The list was reordered so that no more than {} items in a row share an author and no more than {} a topic.",
                    settings.max_consecutive_author, settings.max_consecutive_topic
                ),
            );
            decision.rerank(order, &finding);
        }
        decision
    }
}

fn unwanted(item: &Candidate<'_>, kept: &[Candidate<'_>], request: &Request, settings: &Settings) -> Option<Finding> {
    if settings.honour_not_interested {
        let marked = request.user().not_interested().find(|n| match n.target {
            FeedbackTarget::Item => n.value == item.id(),
            FeedbackTarget::Author => n.value == item.author(),
            FeedbackTarget::Topic => item.topics().contains(n.value),
        });
        if let Some(marked) = marked {
            return Some(
                Finding::new(
                    "dedup-scatter.not-interested",
                    Article::D12F12,
                    format!("You said you were not interested in '{}'.", marked.value),
                )
                .citing("2024 Qinglang campaign on algorithms"),
            );
        }
    }
    if let Some(hash) = item.content_hash() {
        if let Some(first) = kept.iter().find(|k| k.content_hash() == Some(hash)) {
            return Some(Finding::new("dedup-scatter.duplicate", Article::D12F12, format!("A duplicate of '{}', shown once.", first.id())));
        }
    }
    if let Some(key) = item.similarity_key() {
        let near = kept
            .iter()
            .find(|k| k.similarity_key().is_some_and(|other| (other ^ key).count_ones() <= settings.near_duplicate_bits));
        if let Some(first) = near {
            return Some(Finding::new(
                "dedup-scatter.near-duplicate",
                Article::D12F12,
                format!("Nearly the same as '{}', shown once.", first.id()),
            ));
        }
    }
    None
}

/// A new order in which no run of one author or main topic is too long.
/// Greedy: at each place take the earliest remaining item that does not break
/// a run limit; if none can, take the earliest (the limits cannot all hold).
pub fn scatter<'a>(items: &[Candidate<'a>], settings: &Settings) -> Vec<Candidate<'a>> {
    let mut remaining: Vec<Candidate<'a>> = items.to_vec();
    let mut order: Vec<Candidate<'a>> = Vec::with_capacity(items.len());
    while !remaining.is_empty() {
        let fits = |c: &Candidate<'a>| {
            run_ok(&order, settings.max_consecutive_author, |o| o.author() == c.author())
                && run_ok(&order, settings.max_consecutive_topic, |o| main_topic(o).is_some() && main_topic(o) == main_topic(c))
        };
        let pick = remaining.iter().position(fits).unwrap_or(0);
        order.push(remaining.remove(pick));
    }
    order
}

/// True if the last `limit` items do not all satisfy `same`.
fn run_ok(order: &[Candidate<'_>], limit: usize, same: impl Fn(&Candidate<'_>) -> bool) -> bool {
    order.len() < limit || !order[order.len() - limit..].iter().all(same)
}

fn main_topic<'a>(item: &Candidate<'a>) -> Option<&'a str> {
    item.topics().next()
}

export_policy!(DedupScatter);

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use recguard_sdk::testing::{candidate, request, Request, Candidate, User, Usage, UserTag, TopicCount, NotInterested, GuardianExemption, Provenance, Engagement, OperatorAction, PriceQuote, DeliveryTerms, Attribute};
    use recguard_sdk::{AgeBand, Surface};

    fn item(id: &str, author: &str, topic: &str) -> Candidate {
        let mut c = candidate(id);
        c.author = author.into();
        c.topics = vec![topic.into()];
        c
    }

    fn feed(items: Vec<Candidate>) -> Request {
        let mut req = request(Surface::Feed, AgeBand::Adult, "2026-11-25T12:00", 480);
        req.candidates = items;
        req
    }

    #[test]
    fn exact_and_near_duplicates_are_removed_keeping_the_first() {
        let mut a = item("a", "x", "t1");
        a.content_hash = Some("h1".into());
        a.similarity_key = Some(0b1111_0000);
        let mut b = item("b", "y", "t2");
        b.content_hash = Some("h1".into());
        let mut c = item("c", "z", "t3");
        c.similarity_key = Some(0b1111_0111);
        let mut d = item("d", "w", "t4");
        d.similarity_key = Some(0b0000_1111);
        let decision = recguard_sdk::testing::evaluate::<DedupScatter>(&feed(vec![a, b, c, d]), &Settings::default());
        assert_eq!(decision.dropped(), ["b", "c"]);
    }

    #[test]
    fn runs_of_one_author_are_broken_up() {
        let items = vec![item("a1", "a", "t1"), item("a2", "a", "t2"), item("a3", "a", "t3"), item("b1", "b", "t4")];
        let decision = recguard_sdk::testing::evaluate::<DedupScatter>(&feed(items), &Settings::default());
        assert_eq!(decision.reranked().unwrap(), ["a1", "a2", "b1", "a3"]);
    }

    #[test]
    fn runs_of_one_topic_are_broken_up_and_an_unbreakable_run_is_left() {
        let items: Vec<Candidate> = (0..5).map(|i| item(&format!("s{i}"), &format!("p{i}"), "sports")).collect();
        let mut with_other = items.clone();
        with_other.push(item("n", "q", "news"));
        let decision = recguard_sdk::testing::evaluate::<DedupScatter>(&feed(with_other), &Settings::default());
        assert_eq!(decision.reranked().unwrap(), ["s0", "s1", "s2", "n", "s3", "s4"]);
        assert!(recguard_sdk::testing::evaluate::<DedupScatter>(&feed(items), &Settings::default()).is_empty());
    }

    #[test]
    fn not_interested_is_honoured() {
        let mut req = feed(vec![item("a", "x", "t1"), item("b", "spammer", "t2"), item("c", "y", "gossip")]);
        req.user.not_interested = vec![
            NotInterested { target: FeedbackTarget::Author, value: "spammer".into() },
            NotInterested { target: FeedbackTarget::Topic, value: "gossip".into() },
        ];
        assert_eq!(recguard_sdk::testing::evaluate::<DedupScatter>(&req, &Settings::default()).dropped(), ["b", "c"]);
    }
}
