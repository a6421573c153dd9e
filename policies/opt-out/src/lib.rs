//! Switching personalisation off (D15 / F17).
//!
//! When the user has switched personalised recommendation off, this very
//! request is ranked without personal signals: the candidates are put in the
//! order of their non-personal score, and the user's tags are set aside so
//! that no later policy uses them. Placed as a regulator-issued policy, a
//! provider's policy cannot move the items back.

use recguard_sdk::prelude::*;

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
    const READS: &'static [&'static str] = &["user.personalisation-off", "user.tags", "candidates.non-personal-score"];

    fn evaluate(request: &Request, settings: &Settings) -> Decision {
        let mut decision = Decision::new();
        if !request.user.personalisation_off {
            return decision;
        }
        let finding = Finding::new(
            "opt-out.non-personalised",
            Article::D15F17,
            "You switched personalised recommendations off: this list is ranked by general popularity, not by your profile.",
        );
        let mut order: Vec<&Candidate> = request.candidates.iter().collect();
        // Stable: equal scores keep the provider's order.
        order.sort_by(|a, b| b.non_personal_score.total_cmp(&a.non_personal_score));
        decision.rerank(order.iter().map(|c| c.id.clone()).collect(), &finding);
        if settings.set_aside_tags {
            for tag in &request.user.tags {
                decision.set_aside_tag(&tag.name, &finding);
            }
        }
        decision
    }
}

export_policy!(OptOut);

#[cfg(test)]
mod tests {
    use super::*;
    use recguard_sdk::testing::{candidate, request};
    use recguard_sdk::{AgeBand, Surface, TagSource, UserTag};

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
        let decision = OptOut::evaluate(&req(true), &Settings::default());
        assert_eq!(decision.reranked().unwrap(), ["b", "c", "a"]);
        assert_eq!(decision.tags_set_aside(), ["cars"]);
    }

    #[test]
    fn on_changes_nothing() {
        assert!(OptOut::evaluate(&req(false), &Settings::default()).is_empty());
    }
}
