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

/// The fields of the raw request that hold anything (a column counts as
/// there when it is `some`, even if empty).
pub fn visible(r: &recguard_sdk::wit::Request) -> Vec<&'static str> {
    let u = &r.user;
    let c = &r.candidates;
    let flag = |f: F| c.flags.iter().flatten().any(|x| x.intersects(f));
    let synthetic = F::SYNTHETIC
        | F::SYNTHETIC_METADATA_LABEL
        | F::SYNTHETIC_UPLOADER_DECLARED
        | F::SYNTHETIC_LABEL_STRIPPED
        | F::DETECTOR_SCORE;
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
        ("user.tags", u.tags.is_some()),
        ("user.usage.minutes-today", u.usage.minutes_today != 0),
        ("user.usage.continuous-minutes", u.usage.continuous_minutes != 0),
        ("user.usage.items-this-session", u.usage.items_this_session != 0),
        ("user.usage.session-topics", u.usage.session_topics.is_some()),
        ("user.usage.spent-this-month-fen", u.usage.spent_this_month_fen != 0),
        ("user.guardian-exemptions", u.guardian_exemptions.is_some()),
        ("user.not-interested", u.not_interested.is_some()),
        ("candidates.id", c.id.is_some()),
        ("candidates.author", c.author.is_some()),
        ("candidates.kind", c.kind.is_some()),
        ("candidates.topics", c.topics.is_some()),
        ("candidates.risk-tags", c.risk_tags.is_some()),
        ("candidates.labels", c.labels.is_some()),
        ("candidates.synthetic", c.detector_score.is_some() || flag(synthetic)),
        ("candidates.score", c.score.is_some()),
        ("candidates.non-personal-score", c.non_personal_score.is_some()),
        ("candidates.engagement", c.engagement.is_some() || flag(F::ENGAGEMENT)),
        ("candidates.operator-actions", c.operator_actions.is_some()),
        ("candidates.first-party", flag(F::FIRST_PARTY)),
        ("candidates.content-hash", c.content_hash.is_some() || flag(F::CONTENT_HASH)),
        ("candidates.similarity-key", c.similarity_key.is_some() || flag(F::SIMILARITY_KEY)),
        ("candidates.price", c.price.is_some() || flag(F::PRICE | F::PRICE_PERSONALISED)),
        ("candidates.delivery", c.delivery.is_some() || flag(F::DELIVERY)),
        ("candidates.attributes", c.attributes.is_some()),
    ];
    checks.iter().filter(|(_, seen)| *seen).map(|(name, _)| *name).collect()
}

export_policy!(Probe);
