//! Fair prices (D18 / F21).
//!
//! A quote above the reference price for the same item and cohort by more
//! than a tolerance, when the difference comes from the user's preferences or
//! trading habits (the provider marks such quotes `personalised`), is flagged:
//! the item is served at the reference price, or dropped, as configured.

use recguard_sdk::prelude::*;

/// What to do with an unfair quote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Remedy {
    /// Serve the item at the reference price.
    Reprice,
    /// Do not offer the item.
    Drop,
}

/// Settings of the price-fairness policy.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Settings {
    /// Share above the reference price tolerated (rounding, currency). No statutory number:
    /// D18 / F21 bans unreasonable differential treatment; 1% absorbs rounding only.
    pub tolerance: f64,
    /// Reprice (default: the user pays what the cohort pays) or drop.
    pub remedy: Remedy,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { tolerance: 0.01, remedy: Remedy::Reprice }
    }
}

/// The price-fairness policy.
pub struct PriceFairness;

impl Policy for PriceFairness {
    type Settings = Settings;
    const NAME: &'static str = "price-fairness";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str = "Serves personalised quotes above the cohort's reference price at the reference price, or drops them.";
    const ARTICLES: &'static [Article] = &[Article::D18F21];
    const READS: &'static [&'static str] = &["candidates.price"];

    fn validate(settings: &Settings) -> Result<(), String> {
        if !(0.0..=1.0).contains(&settings.tolerance) {
            return Err("tolerance is a share between 0 and 1".into());
        }
        Ok(())
    }

    /// Only when some candidate has a price quote.
    fn applies_to(_settings: &Settings) -> AppliesTo {
        AppliesTo::every_request().requiring("candidates.price")
    }

    fn evaluate(request: &Request, settings: &Settings) -> Decision {
        let mut decision = Decision::new();
        for item in request.candidates() {
            let Some(price) = &item.price() else { continue };
            let ceiling = price.reference_fen as f64 * (1.0 + settings.tolerance);
            if !price.personalised || (price.amount_fen as f64) <= ceiling {
                continue;
            }
            let finding = Finding::new(
                "price.personalised-markup",
                Article::D18F21,
                format!(
                    "Your quote of ¥{} was above the ¥{} others in '{}' pay, because of your profile; you pay the reference price.",
                    yuan(price.amount_fen),
                    yuan(price.reference_fen),
                    price.cohort
                ),
            );
            match settings.remedy {
                Remedy::Reprice => decision.reprice(&item, price.reference_fen, &finding),
                Remedy::Drop => decision.drop(&item, &finding),
            };
        }
        decision
    }
}

fn yuan(fen: u64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

export_policy!(PriceFairness);

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use recguard_sdk::testing::{candidate, request, Request, Candidate, User, Usage, UserTag, TopicCount, NotInterested, GuardianExemption, Provenance, Engagement, OperatorAction, PriceQuote, DeliveryTerms, Attribute};

    fn offer(amount: u64, personalised: bool) -> Request {
        let mut req = request(Surface::Search, AgeBand::Adult, "2026-11-25T12:00", 480);
        let mut item = candidate("room");
        item.kind = ItemKind::Product;
        item.price = Some(PriceQuote { amount_fen: amount, reference_fen: 10_000, cohort: "new-customers".into(), personalised });
        req.candidates.push(item);
        req
    }

    #[test]
    fn a_personalised_markup_is_repriced_to_the_reference() {
        let decision = recguard_sdk::testing::evaluate::<PriceFairness>(&offer(12_000, true), &Settings::default());
        assert_eq!(decision.codes(), ["price.personalised-markup"]);
        assert!(matches!(decision.actions()[0].action, recguard_sdk::wit::Action::Reprice(10_000)));
    }

    #[test]
    fn within_tolerance_or_not_personalised_is_left_alone() {
        assert!(recguard_sdk::testing::evaluate::<PriceFairness>(&offer(10_100, true), &Settings::default()).is_empty());
        assert!(recguard_sdk::testing::evaluate::<PriceFairness>(&offer(12_000, false), &Settings::default()).is_empty());
    }

    #[test]
    fn the_remedy_can_be_drop() {
        let settings = Settings { remedy: Remedy::Drop, ..Settings::default() };
        assert_eq!(recguard_sdk::testing::evaluate::<PriceFairness>(&offer(12_000, true), &settings).dropped(), ["room"]);
    }
}
