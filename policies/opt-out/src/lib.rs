//! Switching personalisation off (D15 / F17).
//!
//! When the user has switched personalised recommendation off, this very
//! request is ranked without personal signals: the candidates are put in the
//! order of their non-personal score, ties broken by id (never by the
//! provider's personalised order), and the user's tags are set aside so that
//! no later policy uses them. Items with a recorded editorial pin keep their
//! place: a recorded pin is an editorial decision, not a personal
//! characteristic. The rerank is marked non-personal, so the outcome says the
//! served order is not personalised; placed as a regulator-issued policy, a
//! provider's policy cannot move the items back.
//!
//! With hot-list-integrity after it in the chain (as in the reference suite),
//! a ranked surface shows the non-personal ranking with the hot-list rules
//! applied on top: manipulated items dropped or held back, unrecorded
//! interventions undone.

use recguard_sdk::prelude::*;
use recguard_sdk::OperatorActionKind;

/// Settings of the opt-out policy.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Settings {
    /// Also set aside the user's tags. Source: D15 / F17 (an option not based on personal
    /// characteristics); tags are personal characteristics.
    pub set_aside_tags: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { set_aside_tags: true }
    }
}

/// The opt-out policy.
pub struct OptOut;

impl Policy for OptOut {
    type Settings = Settings;
    const NAME: &'static str = "opt-out";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str = "When personalisation is off, ranks by a non-personal score and sets the user's tags aside, on the very request.";
    const ARTICLES: &'static [Article] = &[Article::D15F17];
    const READS: &'static [&'static str] =
        &["user.personalisation-off", "user.tags", "candidates.id", "candidates.non-personal-score", "candidates.operator-actions"];

    /// Only users who switched personalisation off.
    fn applies_to(_settings: &Settings) -> AppliesTo {
        AppliesTo::every_request().when_personalisation_off()
    }

    fn evaluate(request: &Request, settings: &Settings) -> Decision {
        let mut decision = Decision::new();
        if !request.user().personalisation_off {
            return decision;
        }
        let finding = Finding::new(
            "opt-out.non-personalised",
            Article::D15F17,
            "You switched personalised recommendations off: this list is ranked by general popularity, not by your profile.",
        );
        // Items pinned with a recorded reason keep their slots; the others fill
        // the remaining slots by non-personal score, ties by id.
        let mut free: Vec<Candidate<'_>> = request.candidates().iter().filter(|c| !recorded_pin(c)).collect();
        free.sort_by(|a, b| b.non_personal_score().total_cmp(&a.non_personal_score()).then_with(|| a.id().cmp(b.id())));
        let mut free = free.into_iter();
        let order = request.candidates().iter().filter_map(|c| if recorded_pin(&c) { Some(c) } else { free.next() });
        decision.rerank_non_personal(order, &finding);
        if settings.set_aside_tags {
            for tag in request.user().tags() {
                decision.set_aside_tag(tag.name, &finding);
            }
        }
        decision
    }
}

/// A pin by the provider's staff with a recorded reason: editorial, not personal.
fn recorded_pin(candidate: &Candidate<'_>) -> bool {
    candidate
        .operator_actions()
        .any(|a| a.kind == OperatorActionKind::Pin && a.reason.is_some_and(|r| !r.trim().is_empty()))
}

export_policy!(OptOut);

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use recguard_sdk::testing::{candidate, request, Request, Candidate, User, Usage, UserTag, TopicCount, NotInterested, GuardianExemption, Provenance, Engagement, OperatorAction, PriceQuote, DeliveryTerms, Attribute};
    use recguard_sdk::{AgeBand, Surface, TagSource};

    fn req(off: bool) -> Request {
        let mut req = request(Surface::Feed, AgeBand::Adult, "2026-11-25T12:00", 480);
        req.user.personalisation_off = off;
        req.user.tags.push(UserTag { name: "cars".into(), source: TagSource::Inferred, deleted_by_user: false });
        for (id, personal, popular) in [("a", 0.9, 0.1), ("b", 0.5, 0.8), ("c", 0.1, 0.8)] {
            let mut c = candidate(id);
            c.score = personal;
            c.non_personal_score = popular;
            req.candidates.push(c);
        }
        req
    }

    #[test]
    fn off_ranks_by_the_non_personal_score_and_sets_tags_aside() {
        let decision = recguard_sdk::testing::evaluate::<OptOut>(&req(true), &Settings::default());
        assert_eq!(decision.reranked().unwrap(), ["b", "c", "a"]);
        assert_eq!(decision.tags_set_aside(), ["cars"]);
    }

    #[test]
    fn ties_are_broken_by_id_not_by_the_personal_order() {
        // Before: equal non-personal scores kept the provider's (personalised) order.
        let mut tied = req(true);
        for c in &mut tied.candidates {
            c.non_personal_score = 0.5;
        }
        tied.candidates.reverse();
        let decision = recguard_sdk::testing::evaluate::<OptOut>(&tied, &Settings::default());
        assert_eq!(decision.reranked().unwrap(), ["a", "b", "c"]);
        assert!(decision.reranked_non_personal());
    }

    #[test]
    fn a_recorded_pin_keeps_its_place_an_unrecorded_one_does_not() {
        use recguard_sdk::testing::OperatorAction;
        let mut pinned = req(true);
        let pin = |reason: Option<&str>| OperatorAction {
            kind: OperatorActionKind::Pin,
            operator: "op1".into(),
            reason: reason.map(str::to_string),
        };
        pinned.candidates[0].operator_actions.push(pin(Some("emergency notice")));
        let decision = recguard_sdk::testing::evaluate::<OptOut>(&pinned, &Settings::default());
        assert_eq!(decision.reranked().unwrap(), ["a", "b", "c"]);
        pinned.candidates[0].operator_actions[0] = pin(None);
        let decision = recguard_sdk::testing::evaluate::<OptOut>(&pinned, &Settings::default());
        assert_eq!(decision.reranked().unwrap(), ["b", "c", "a"]);
    }

    #[test]
    fn on_changes_nothing() {
        assert!(recguard_sdk::testing::evaluate::<OptOut>(&req(false), &Settings::default()).is_empty());
    }
}
