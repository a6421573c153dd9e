//! Protection of elderly users (F19, new in the final text).
//!
//! For users in the elderly age band, items that moderation flagged with a
//! fraud risk (telecom fraud, investment scams, health-product scams, …) are
//! dropped, and the finding says which risk, in words the user understands.

use std::collections::BTreeMap;

use recguard_sdk::prelude::*;

/// Settings of the elderly-anti-fraud policy.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Settings {
    /// Risk tags that mark fraud risk, each with the explanation shown to the user. Source: F19
    /// (monitor and prevent telecom and online fraud against the elderly); no list is published,
    /// the defaults are the common scam categories.
    pub fraud_risk_tags: BTreeMap<String, String>,
    /// Also protect users with minors mode off whose age band is unknown. No statutory number:
    /// off by default, since age is not established.
    pub include_unknown_age: bool,
}

impl Default for Settings {
    fn default() -> Self {
        let tags = [
            ("fraud-risk", "it was flagged as a possible fraud"),
            ("telecom-fraud", "it matches known telephone and online fraud patterns"),
            ("investment-scam", "it promises investment returns that look like a scam"),
            ("health-scam", "it sells health products with false claims"),
            ("impersonation", "it pretends to be an official, a bank or a relative"),
        ];
        Settings {
            fraud_risk_tags: tags.iter().map(|(t, why)| (t.to_string(), why.to_string())).collect(),
            include_unknown_age: false,
        }
    }
}

/// The elderly-anti-fraud policy.
pub struct ElderlyAntiFraud;

impl Policy for ElderlyAntiFraud {
    type Settings = Settings;
    const NAME: &'static str = "elderly-anti-fraud";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str = "Keeps items flagged as fraud risks away from elderly users, saying why.";
    const ARTICLES: &'static [Article] = &[Article::F19];
    const READS: &'static [&'static str] = &["user.age-band", "candidates.risk-tags"];

    /// Only elderly users (and users of unknown age, if the settings say so).
    fn applies_to(settings: &Settings) -> AppliesTo {
        let unknown = settings.include_unknown_age.then_some(AgeBand::Unknown);
        AppliesTo::every_request().for_age_bands([AgeBand::Elderly].into_iter().chain(unknown))
    }

    fn evaluate(request: &Request, settings: &Settings) -> Decision {
        let mut decision = Decision::new();
        let protected = match request.user().age_band {
            AgeBand::Elderly => true,
            AgeBand::Unknown => settings.include_unknown_age,
            _ => false,
        };
        if !protected {
            return decision;
        }
        for item in request.candidates() {
            let risk = item.risk_tags().find_map(|t| settings.fraud_risk_tags.get_key_value(t));
            if let Some((tag, why)) = risk {
                let finding = Finding::new(
                    &format!("elderly.{tag}"),
                    Article::F19,
                    format!("Hidden to protect you: {why}."),
                );
                decision.drop(&item, &finding);
            }
        }
        decision
    }
}

export_policy!(ElderlyAntiFraud);

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use recguard_sdk::testing::{candidate, request, Request, Candidate, User, Usage, UserTag, TopicCount, NotInterested, GuardianExemption, Provenance, Engagement, OperatorAction, PriceQuote, DeliveryTerms, Attribute};
    use recguard_sdk::Surface;

    fn req(band: AgeBand) -> Request {
        let mut req = request(Surface::Feed, band, "2026-11-25T12:00", 480);
        let mut scam = candidate("scam");
        scam.risk_tags.push("investment-scam".into());
        req.candidates = vec![scam, candidate("ok")];
        req
    }

    #[test]
    fn elderly_users_do_not_see_fraud_risks_and_are_told_why() {
        let decision = recguard_sdk::testing::evaluate::<ElderlyAntiFraud>(&req(AgeBand::Elderly), &Settings::default());
        assert_eq!(decision.dropped(), ["scam"]);
        assert_eq!(decision.codes(), ["elderly.investment-scam"]);
        assert!(decision.findings()[0].message.contains("investment returns"));
    }

    #[test]
    fn other_users_are_untouched() {
        for band in [AgeBand::Adult, AgeBand::Unknown, AgeBand::From12to16] {
            assert!(recguard_sdk::testing::evaluate::<ElderlyAntiFraud>(&req(band), &Settings::default()).is_empty());
        }
    }
}
