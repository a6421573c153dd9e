//! Workers' rights in dispatch (D17 / F20).
//!
//! On the dispatch surface (the user is a worker, the candidates are orders):
//! after too long online without a break, or past the daily cap, no new
//! orders are offered until the worker has rested; orders whose promised time
//! is compressed below the platform's own safe-journey estimate are dropped.

use recguard_sdk::prelude::*;

/// Settings of the worker-dispatch policy.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Settings {
    /// Continuous minutes online after which no new orders are dispatched. No statutory number in
    /// the provisions (D17 / F20 asks for working-time rules); 4 hours follows the fatigue rules
    /// large delivery platforms publish [?].
    pub max_continuous_minutes: u32,
    /// Rest, in minutes, the worker is told to take (for the retry time). Same source as above [?].
    pub rest_minutes: u32,
    /// Daily cap on minutes online. No statutory number: 12 hours, beyond which the Labour Law's
    /// limits on working time are plainly exceeded.
    pub max_minutes_today: u32,
    /// An order's promised minutes must be at least this share of the safe-journey estimate. No
    /// statutory number: 1.0 means never promise faster than the platform itself says is safe
    /// (SAMR and others' 2021 opinions on delivery workers ask for reasonable delivery times).
    pub min_promise_ratio: f32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { max_continuous_minutes: 240, rest_minutes: 20, max_minutes_today: 720, min_promise_ratio: 1.0 }
    }
}

/// The worker-dispatch policy.
pub struct WorkerDispatch;

impl Policy for WorkerDispatch {
    type Settings = Settings;
    const NAME: &'static str = "worker-dispatch";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str = "Gives dispatched workers rest after long or daily-capped hours, and drops orders with unsafe promised times.";
    const ARTICLES: &'static [Article] = &[Article::D17F20];
    const READS: &'static [&'static str] = &["surface", "now-ms", "utc-offset-minutes", "user.usage.continuous-minutes", "user.usage.minutes-today", "candidates.delivery"];

    fn validate(settings: &Settings) -> Result<(), String> {
        if settings.min_promise_ratio.is_nan() || settings.min_promise_ratio <= 0.0 {
            return Err("min-promise-ratio must be above 0".into());
        }
        Ok(())
    }

    /// Only work dispatch.
    fn applies_to(_settings: &Settings) -> AppliesTo {
        AppliesTo::every_request().on_surfaces([Surface::Dispatch])
    }

    fn evaluate(request: &Request, settings: &Settings) -> Decision {
        let mut decision = Decision::new();
        if request.surface() != Surface::Dispatch {
            return decision;
        }
        let usage = &request.user().usage;
        if usage.minutes_today >= settings.max_minutes_today {
            let finding = Finding::new(
                "worker.daily-cap",
                Article::D17F20,
                format!("You have been online {} hours today. No more orders today: rest well.", usage.minutes_today / 60),
            );
            let midnight = LocalTime::of(request).next(0);
            decision.block(&finding, Some(midnight));
            return decision;
        }
        if usage.continuous_minutes >= settings.max_continuous_minutes {
            let finding = Finding::new(
                "worker.rest",
                Article::D17F20,
                format!(
                    "You have been online {} minutes without a break. Take {} minutes' rest before the next order.",
                    usage.continuous_minutes, settings.rest_minutes
                ),
            );
            let retry = LocalTime::of(request).ms_after_minutes(settings.rest_minutes);
            decision.block(&finding, Some(retry));
            return decision;
        }
        for order in request.candidates() {
            let Some(terms) = order.delivery() else { continue };
            let safe = terms.safe_baseline_minutes as f32 * settings.min_promise_ratio;
            if (terms.promised_minutes as f32) < safe {
                let finding = Finding::new(
                    "worker.compressed-time",
                    Article::D17F20,
                    format!(
                        "Not offered: it promises {} minutes for a journey that safely takes {}.",
                        terms.promised_minutes, terms.safe_baseline_minutes
                    ),
                );
                decision.drop(&order, &finding);
            }
        }
        decision
    }
}

export_policy!(WorkerDispatch);

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use recguard_sdk::testing::{candidate, request, Request, Candidate, User, Usage, UserTag, TopicCount, NotInterested, GuardianExemption, Provenance, Engagement, OperatorAction, PriceQuote, DeliveryTerms, Attribute};

    fn shift(continuous: u32, today: u32) -> Request {
        let mut req = request(Surface::Dispatch, AgeBand::Adult, "2026-11-25T12:00", 480);
        req.user.usage.continuous_minutes = continuous;
        req.user.usage.minutes_today = today;
        for (id, promised, safe) in [("fair", 30, 25), ("tight", 20, 25), ("unknown", 0, 0)] {
            let mut order = candidate(id);
            order.kind = ItemKind::Order;
            if id != "unknown" {
                order.delivery = Some(DeliveryTerms { promised_minutes: promised, safe_baseline_minutes: safe });
            }
            req.candidates.push(order);
        }
        req
    }

    #[test]
    fn compressed_orders_are_dropped() {
        let decision = recguard_sdk::testing::evaluate::<WorkerDispatch>(&shift(60, 300), &Settings::default());
        assert_eq!(decision.dropped(), ["tight"]);
    }

    #[test]
    fn rest_after_four_hours_and_the_daily_cap() {
        let rest = recguard_sdk::testing::evaluate::<WorkerDispatch>(&shift(240, 300), &Settings::default());
        assert_eq!(rest.codes(), ["worker.rest"]);
        let done = recguard_sdk::testing::evaluate::<WorkerDispatch>(&shift(10, 720), &Settings::default());
        assert_eq!(done.codes(), ["worker.daily-cap"]);
    }

    #[test]
    fn only_the_dispatch_surface() {
        let mut req = shift(500, 800);
        req.surface = Surface::Feed;
        assert!(recguard_sdk::testing::evaluate::<WorkerDispatch>(&req, &Settings::default()).is_empty());
    }
}
