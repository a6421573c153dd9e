//! Labels on synthetic content (D9 / F9; deep-synthesis provisions Art. 16–18;
//! AI-generated content labelling measures, 2025, with GB 45438-2025).
//!
//! Content known or suspected to be generated gets a prominent label before
//! it is transmitted: "confirmed" when its metadata (implicit label) says so,
//! "possible" when only the uploader declared it, "suspected" when only a
//! detector finds traces. Content whose visible label was stripped is held back.

use recguard_sdk::prelude::*;
use recguard_sdk::Provenance;

/// Settings of the synthetic-label policy.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Settings {
    /// Label for content whose implicit metadata label says it is generated. Source: AI labelling
    /// measures (2025): platforms add a prominent label when content is confirmed generated.
    pub confirmed_label: String,
    /// Label for content the uploader declared as generated, with no metadata label. Source: AI
    /// labelling measures: "possibly" generated.
    pub possible_label: String,
    /// Label for content a detector flags. Source: AI labelling measures: "suspected" generated.
    pub suspected_label: String,
    /// Detector score at or above which content is suspected generated. No statutory number:
    /// high enough that a false label is rare; set it from the detector's measured precision.
    pub detector_threshold: f32,
    /// Hold back content whose visible label was removed. Source: deep-synthesis provisions Art. 18
    /// (no removal of labels).
    pub hold_stripped: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            confirmed_label: "AI-generated".into(),
            possible_label: "Possibly AI-generated".into(),
            suspected_label: "Suspected AI-generated".into(),
            detector_threshold: 0.9,
            hold_stripped: true,
        }
    }
}

/// How sure the policy is that an item is generated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Certainty {
    /// The metadata label says so.
    Confirmed,
    /// The uploader said so.
    Possible,
    /// A detector says so.
    Suspected,
}

/// The certainty that an item is generated, if there is any.
pub fn certainty(provenance: &Provenance, settings: &Settings) -> Option<Certainty> {
    if provenance.metadata_label {
        Some(Certainty::Confirmed)
    } else if provenance.uploader_declared {
        Some(Certainty::Possible)
    } else if provenance.detector_score.is_some_and(|s| s >= settings.detector_threshold) {
        Some(Certainty::Suspected)
    } else {
        None
    }
}

/// The synthetic-label policy.
pub struct SyntheticLabel;

impl Policy for SyntheticLabel {
    type Settings = Settings;
    const NAME: &'static str = "synthetic-label";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str = "Labels generated and synthetic content before it is shown; holds back content whose label was stripped.";
    const ARTICLES: &'static [Article] = &[Article::D9F9];
    const READS: &'static [&'static str] = &["candidates.synthetic", "candidates.labels"];

    fn validate(settings: &Settings) -> Result<(), String> {
        if !(0.0..=1.0).contains(&settings.detector_threshold) {
            return Err("detector-threshold is a score between 0 and 1".into());
        }
        let labels = [&settings.confirmed_label, &settings.possible_label, &settings.suspected_label];
        if labels.iter().any(|l| l.trim().is_empty()) {
            return Err("labels must not be empty: they are what the user sees".into());
        }
        Ok(())
    }

    /// Only when some candidate has synthetic-content signals.
    fn applies_to(_settings: &Settings) -> AppliesTo {
        AppliesTo::every_request().requiring("candidates.synthetic")
    }

    fn evaluate(request: &Request, settings: &Settings) -> Decision {
        let mut decision = Decision::new();
        for item in request.candidates() {
            let Some(provenance) = &item.synthetic() else { continue };
            if provenance.label_stripped && settings.hold_stripped {
                let finding = Finding::new(
                    "synthetic.label-stripped",
                    Article::D9F9,
                    "This item's AI-generated label was removed, so it is held back.",
                )
                .citing("Deep synthesis provisions Art. 18");
                decision.drop(&item, &finding);
                continue;
            }
            let Some(certainty) = certainty(provenance, settings) else { continue };
            let (code, label) = match certainty {
                Certainty::Confirmed => ("synthetic.confirmed", &settings.confirmed_label),
                Certainty::Possible => ("synthetic.possible", &settings.possible_label),
                Certainty::Suspected => ("synthetic.suspected", &settings.suspected_label),
            };
            if item.labels().contains(label) {
                continue;
            }
            let finding = Finding::new(code, Article::D9F9, format!("Labelled '{label}': the item is or may be generated by AI."))
                .citing("AI-generated content labelling measures (2025)");
            decision.label(&item, label, &finding);
        }
        decision
    }
}

export_policy!(SyntheticLabel);

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use recguard_sdk::testing::{candidate, request, Request, Candidate, User, Usage, UserTag, TopicCount, NotInterested, GuardianExemption, Provenance, Engagement, OperatorAction, PriceQuote, DeliveryTerms, Attribute};
    use recguard_sdk::{AgeBand, Surface};

    fn with(provenance: Provenance) -> Request {
        let mut req = request(Surface::Feed, AgeBand::Adult, "2026-11-25T12:00", 480);
        let mut item = candidate("x");
        item.synthetic = Some(provenance);
        req.candidates.push(item);
        req.candidates.push(candidate("plain"));
        req
    }

    fn provenance() -> Provenance {
        Provenance { metadata_label: false, uploader_declared: false, detector_score: None, label_stripped: false }
    }

    #[test]
    fn labels_by_certainty() {
        let s = Settings::default();
        let confirmed = recguard_sdk::testing::evaluate::<SyntheticLabel>(&with(Provenance { metadata_label: true, ..provenance() }), &s);
        assert_eq!(confirmed.labels_of("x"), ["AI-generated"]);
        let possible = recguard_sdk::testing::evaluate::<SyntheticLabel>(&with(Provenance { uploader_declared: true, ..provenance() }), &s);
        assert_eq!(possible.labels_of("x"), ["Possibly AI-generated"]);
        let suspected = recguard_sdk::testing::evaluate::<SyntheticLabel>(&with(Provenance { detector_score: Some(0.95), ..provenance() }), &s);
        assert_eq!(suspected.labels_of("x"), ["Suspected AI-generated"]);
        let below = recguard_sdk::testing::evaluate::<SyntheticLabel>(&with(Provenance { detector_score: Some(0.5), ..provenance() }), &s);
        assert!(below.is_empty());
    }

    #[test]
    fn stripped_labels_hold_the_item_back_and_existing_labels_are_not_repeated() {
        let s = Settings::default();
        let stripped = recguard_sdk::testing::evaluate::<SyntheticLabel>(&with(Provenance { label_stripped: true, metadata_label: true, ..provenance() }), &s);
        assert_eq!(stripped.dropped(), ["x"]);
        let mut labelled = with(Provenance { metadata_label: true, ..provenance() });
        labelled.candidates[0].labels.push("AI-generated".into());
        assert!(recguard_sdk::testing::evaluate::<SyntheticLabel>(&labelled, &s).is_empty());
    }
}
