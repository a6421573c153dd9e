//! Integrity of ranked surfaces: hot lists, hot searches, curated picks
//! (D13 / F14, D13 / F15, D11 / F11).
//!
//! On a guarded surface (by default the five key surfaces of D11 / F11: the
//! home page's first screen, hot searches, curated picks, lists, pop-ups; and
//! search results, which D13 names, when configured): items whose heat is
//! mostly fake engagement are dropped; velocity spikes far above the baseline
//! are held back at the bottom; manual interventions (pin, boost, demote) with
//! no recorded reason are undone; ads and celebrity popularity rankings never
//! hold ranked slots; the provider's own items do not sit above more popular
//! third-party items. Heat is the candidate's non-personal score.
//!
//! The rules compose: afterwards the ranked part of the list follows heat
//! except where a recorded reason says otherwise (the provider's order, a
//! recorded intervention), held-back items come last, and every move cites
//! the rule that caused it. Self-preferencing compares only with items that
//! are ranked, not with those held back.

use recguard_sdk::prelude::*;
use recguard_sdk::OperatorActionKind;

mod settings;
pub use settings::{RankedSurface, Remedy, Settings};

/// The hot-list-integrity policy.
pub struct HotListIntegrity;

impl Policy for HotListIntegrity {
    type Settings = Settings;
    const NAME: &'static str = "hot-list-integrity";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str =
        "Keeps hot lists, hot searches and curated picks free of fake engagement, unrecorded manual boosts, ads in ranked slots and self-preferencing.";
    const ARTICLES: &'static [Article] = &[Article::D13F14, Article::D13F15, Article::D11F11];
    const READS: &'static [&'static str] = &[
        "surface",
        "candidates.kind",
        "candidates.topics",
        "candidates.non-personal-score",
        "candidates.engagement",
        "candidates.operator-actions",
        "candidates.first-party",
    ];

    fn validate(settings: &Settings) -> Result<(), String> {
        settings.check()
    }

    /// Only the ranked surfaces the settings guard.
    fn applies_to(settings: &Settings) -> AppliesTo {
        AppliesTo::every_request().on_surfaces(settings.surfaces.iter().map(|s| s.surface()))
    }

    fn evaluate(request: &Request, settings: &Settings) -> Decision {
        let mut decision = Decision::new();
        if !settings.surfaces.iter().any(|s| s.is(request.surface())) {
            return decision;
        }
        // The list as this decision leaves it, to compute moves against, and
        // the items held back for manipulation, in their order, with their
        // positions in the list.
        let mut list: Vec<Candidate<'_>> = Vec::with_capacity(request.candidates().len());
        let mut held: Vec<(Candidate<'_>, Flag, usize)> = Vec::new();
        let mut findings = FindingsBy::new();
        for item in request.candidates() {
            match excluded(&item, settings).map(|flag| (flag, Remedy::Drop)).or_else(|| manipulated(&item, settings)) {
                Some((flag, Remedy::Drop)) => {
                    let finding = findings.record(&mut decision, flag, Flag::finding);
                    decision.drop(&item, finding);
                }
                Some((flag, Remedy::Demote)) => {
                    held.push((item, flag, list.len()));
                    list.push(item);
                }
                None => list.push(item),
            }
        }

        // 1. Items held back for manipulation go to the bottom, in their order.
        //    Their heat is not trusted, so the rules below do not compare with them.
        //    Each one moved from above the next one shifts that one up by a place.
        for (moved, &(item, flag, position)) in held.iter().enumerate() {
            let finding = findings.record(&mut decision, flag, Flag::finding);
            move_to(&mut decision, &mut list, item, position - moved, usize::MAX, finding);
        }
        let ranked = list.len() - held.len();

        // 2. An unrecorded manual intervention (pin, boost or demote) is undone:
        //    the item goes back to its place by heat, just below the last hotter item.
        if settings.undo_unrecorded_interventions {
            let finding = Finding::new(
                "hot-list.unrecorded-intervention",
                Article::D13F14,
                "A manual intervention (pin, boost or demotion) without a recorded reason was undone; the item is ranked by its popularity.",
            )
            .citing("D11 / F11");
            // The items in place, by the candidate's index in the request: at
            // first those without an intervention.
            let mut in_place = vec![false; request.candidates().len()];
            let mut unrecorded: Vec<Candidate<'_>> = Vec::new();
            for item in &list[..ranked] {
                if has_unrecorded_intervention(item) {
                    unrecorded.push(*item);
                } else {
                    in_place[item.index() as usize] = true;
                }
            }
            // Hottest first, each placed among the items already in place (those
            // without an intervention, and those placed before it), so that no
            // item is placed against one that is itself out of place.
            unrecorded.sort_by(|a, b| b.non_personal_score().total_cmp(&a.non_personal_score()));
            for item in unrecorded {
                let from = index_of(&list, &item);
                let last_hotter = last_index(&list[..ranked], |other| in_place[other.index() as usize] && hotter(other, &item));
                let target = match last_hotter {
                    // An index in the list without the item itself: just below the hotter one.
                    Some(last) if last > from => last,
                    Some(last) => last + 1,
                    None => 0,
                };
                move_to(&mut decision, &mut list, item, from, target, &finding);
                in_place[item.index() as usize] = true;
            }
        }

        // 3. The provider's own item never sits above a hotter third-party item.
        if settings.prevent_self_preferencing {
            let finding = Finding::new(
                "hot-list.self-preferencing",
                Article::D13F15,
                "The provider's own item was ranked above more popular items and was moved below them.",
            );
            let first_party: Vec<Candidate<'_>> = list[..ranked].iter().copied().filter(|item| item.first_party()).collect();
            for item in first_party {
                let position = index_of(&list, &item);
                let last_hotter = last_index(&list[..ranked], |other| !other.first_party() && hotter(other, &item));
                if let Some(last) = last_hotter.filter(|&last| last > position) {
                    move_to(&mut decision, &mut list, item, position, last, &finding);
                }
            }
        }
        decision
    }
}

/// Whether `a` is hotter than `b`.
fn hotter(a: &Candidate<'_>, b: &Candidate<'_>) -> bool {
    a.non_personal_score() > b.non_personal_score()
}

fn last_index(list: &[Candidate<'_>], pick: impl Fn(&Candidate<'_>) -> bool) -> Option<usize> {
    list.iter().rposition(pick)
}

/// Why an item leaves the ranked part of the list. The numbers are kept as
/// their bits, so that items with equal numbers cite one finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Flag {
    /// An advertisement.
    Ad,
    /// A celebrity popularity ranking.
    CelebrityRanking,
    /// Engagement mostly from new or low-reputation accounts (the share, as `f32` bits).
    FakeEngagement { share_bits: u32 },
    /// Engagement growing far faster than usual (the ratio, as `f64` bits).
    VelocitySpike { ratio_bits: u64 },
}

impl Flag {
    /// The finding that cites the rule.
    fn finding(&self) -> Finding {
        match *self {
            Flag::Ad => Finding::new(
                "hot-list.ad-in-ranking",
                Article::D13F14,
                "Advertisements are shown in marked slots, never as ranked entries.",
            ),
            Flag::CelebrityRanking => Finding::new(
                "hot-list.celebrity-ranking",
                Article::D11F11,
                "Celebrity personal popularity rankings are not published.",
            )
            .citing("CAC notice on fan-club chaos (2021)"),
            Flag::FakeEngagement { share_bits } => Finding::new(
                "hot-list.fake-engagement",
                Article::D13F14,
                format!(
                    "{:.0}% of this item's engagement came from new or low-reputation accounts; it was removed from the ranking.",
                    f32::from_bits(share_bits) * 100.0
                ),
            ),
            Flag::VelocitySpike { ratio_bits } => Finding::new(
                "hot-list.velocity-spike",
                Article::D13F14,
                format!(
                    "This item's engagement grew {:.0}× faster than usual and is held back while it is checked.",
                    f64::from_bits(ratio_bits)
                ),
            ),
        }
    }
}

/// Items that never hold a ranked slot.
fn excluded(item: &Candidate<'_>, settings: &Settings) -> Option<Flag> {
    if settings.drop_ads && item.kind() == ItemKind::Ad {
        return Some(Flag::Ad);
    }
    if settings.celebrity_ranking_topics.first_in(item.topics()).is_some() {
        return Some(Flag::CelebrityRanking);
    }
    None
}

/// Fake engagement or a velocity spike, with the remedy the settings choose.
fn manipulated(item: &Candidate<'_>, settings: &Settings) -> Option<(Flag, Remedy)> {
    let engagement = item.engagement()?;
    if engagement.low_reputation_share > settings.max_low_reputation_share {
        let share_bits = engagement.low_reputation_share.to_bits();
        return Some((Flag::FakeEngagement { share_bits }, settings.on_fake_engagement));
    }
    let baseline = engagement.baseline_per_hour.max(settings.min_baseline_per_hour);
    let ratio = engagement.velocity_per_hour / baseline;
    if ratio > settings.max_velocity_ratio {
        return Some((Flag::VelocitySpike { ratio_bits: ratio.to_bits() }, settings.on_velocity_spike));
    }
    None
}

/// Any manual intervention (pin, boost or demote) with no recorded reason:
/// each hides or pushes information outside the ranking's rules (D13 / F14),
/// and none is recorded as D11 / F11 asks.
fn has_unrecorded_intervention(item: &Candidate<'_>) -> bool {
    item.operator_actions().any(|action| {
        matches!(action.kind, OperatorActionKind::Pin | OperatorActionKind::Boost | OperatorActionKind::Demote)
            && action.reason.is_none_or(|r| r.trim().is_empty())
    })
}

fn index_of(list: &[Candidate<'_>], item: &Candidate<'_>) -> usize {
    list.iter().position(|c| c.index() == item.index()).expect("item is in the list")
}

/// Moves `item`, at index `from` of the list, to `target` (an index in the
/// list without the item, clamped), recording the move as the host applies
/// it: out of its place, then in at `target`.
fn move_to<'a>(
    decision: &mut Decision,
    list: &mut Vec<Candidate<'a>>,
    item: Candidate<'a>,
    from: usize,
    target: usize,
    finding: impl recguard_sdk::Cite,
) {
    debug_assert_eq!(list[from].index(), item.index(), "`from` is where the item is");
    let to = target.min(list.len() - 1);
    if to == from {
        return;
    }
    list.remove(from);
    list.insert(to, item);
    decision.move_by(&item, from as i32 - to as i32, finding);
}

export_policy!(HotListIntegrity);

#[cfg(test)]
mod tests;
