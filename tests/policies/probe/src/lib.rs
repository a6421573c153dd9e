//! A policy that reports, as one notice, every request field that reached it
//! with anything in it, reading the raw columns (not the SDK's views, which
//! could hide something). It declares only a few fields, so the tests can
//! prove that the host sends nothing else.

use recguard_sdk::prelude::*;
use recguard_sdk::wit::CandidateFlags as F;

/// No settings.
#[derive(Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {}

/// The probe policy.
pub struct Probe;

/// What the probe declares: a scalar, one usage field, and two candidate fields
/// (one of them behind flags shared with undeclared fields).
pub const READS: &[&str] = &["now-ms", "user.usage.minutes-today", "candidates.topics", "candidates.price"];

impl Policy for Probe {
    type Settings = Settings;
    const NAME: &'static str = "probe";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str = "Test policy: reports which request fields reached it.";
    const ARTICLES: &'static [Article] = &[Article::D12F12];
    const READS: &'static [&'static str] = READS;

    fn evaluate(request: &Request, _settings: &Settings) -> Decision {
        let seen = visible(request.as_wit());
        let mut decision = Decision::new();
        decision.notice(&Finding::new("probe.visible", Article::D12F12, seen.join(",")), None);
        decision
    }
}

/// The fields of the raw request that hold anything.
pub fn visible(r: &recguard_sdk::wit::Request) -> Vec<&'static str> {
    let u = &r.user;
    let c = &r.candidates;
    let strings = |s: &recguard_sdk::wit::Strings| !s.text.is_empty() || !s.ends.is_empty();
    let lists = |l: &recguard_sdk::wit::StringLists| !l.ends.is_empty() || strings(&l.items);
    let flag = |f: F| c.flags.iter().any(|x| x.intersects(f));
    let checks: [(&'static str, bool); 34] = [
        ("id", !r.id.is_empty()),
        ("now-ms", r.now_ms != 0),
        ("utc-offset-minutes", r.utc_offset_minutes != 0),
        ("surface", r.surface != Surface::Feed),
        ("user.id", !u.id.is_empty()),
        ("user.age-band", u.age_band != AgeBand::Unknown),
        ("user.identity-verified", u.identity_verified),
        ("user.minors-mode", u.minors_mode),
        ("user.personalisation-off", u.personalisation_off),
        ("user.tags", strings(&u.tags.name) || !u.tags.source.is_empty() || !u.tags.deleted_by_user.is_empty()),
        ("user.usage.minutes-today", u.usage.minutes_today != 0),
        ("user.usage.continuous-minutes", u.usage.continuous_minutes != 0),
        ("user.usage.items-this-session", u.usage.items_this_session != 0),
        ("user.usage.session-topics", strings(&u.usage.session_topics.topic) || !u.usage.session_topics.items.is_empty()),
        ("user.usage.spent-this-month-fen", u.usage.spent_this_month_fen != 0),
        ("user.guardian-exemptions", !u.guardian_exemptions.is_empty()),
        ("user.not-interested", strings(&u.not_interested.value) || !u.not_interested.target.is_empty()),
        ("candidates.id", strings(&c.id)),
        ("candidates.author", strings(&c.author)),
        ("candidates.kind", !c.kind.is_empty()),
        ("candidates.topics", lists(&c.topics)),
        ("candidates.risk-tags", lists(&c.risk_tags)),
        ("candidates.labels", lists(&c.labels)),
        (
            "candidates.synthetic",
            !c.detector_score.is_empty()
                || flag(
                    F::SYNTHETIC
                        | F::SYNTHETIC_METADATA_LABEL
                        | F::SYNTHETIC_UPLOADER_DECLARED
                        | F::SYNTHETIC_LABEL_STRIPPED
                        | F::DETECTOR_SCORE,
                ),
        ),
        ("candidates.score", !c.score.is_empty()),
        ("candidates.non-personal-score", !c.non_personal_score.is_empty()),
        (
            "candidates.engagement",
            flag(F::ENGAGEMENT)
                || !c.views.is_empty()
                || !c.likes.is_empty()
                || !c.comments.is_empty()
                || !c.shares.is_empty()
                || !c.low_reputation_share.is_empty()
                || !c.velocity_per_hour.is_empty()
                || !c.baseline_per_hour.is_empty(),
        ),
        (
            "candidates.operator-actions",
            !c.operator_actions.ends.is_empty()
                || !c.operator_actions.kind.is_empty()
                || strings(&c.operator_actions.operator)
                || strings(&c.operator_actions.reason),
        ),
        ("candidates.first-party", flag(F::FIRST_PARTY)),
        ("candidates.content-hash", flag(F::CONTENT_HASH) || strings(&c.content_hash)),
        ("candidates.similarity-key", flag(F::SIMILARITY_KEY) || !c.similarity_key.is_empty()),
        (
            "candidates.price",
            flag(F::PRICE | F::PRICE_PERSONALISED)
                || !c.price_fen.is_empty()
                || !c.reference_price_fen.is_empty()
                || strings(&c.price_cohort),
        ),
        ("candidates.delivery", flag(F::DELIVERY) || !c.promised_minutes.is_empty() || !c.safe_baseline_minutes.is_empty()),
        (
            "candidates.attributes",
            !c.attributes.ends.is_empty() || strings(&c.attributes.key) || strings(&c.attributes.value),
        ),
    ];
    checks.iter().filter(|(_, seen)| *seen).map(|(name, _)| *name).collect()
}

export_policy!(Probe);
