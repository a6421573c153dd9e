//! Protection of minors (D16 / F18).
//!
//! For a minor (an age band under 18, or minors mode switched on): no service
//! during the curfew or past the daily cap, a rest reminder after continuous
//! use, only content from the band's pool, nothing that invites unsafe
//! imitation or bad habits, no fan voting or live tipping, games only in the
//! permitted window, and top-ups within the band's spending caps. A guardian's
//! exemption lifts the rule it names (curfew, daily limit, rest reminder)
//! while `now-ms` is before its `expires-at-ms`; no exemption opens games
//! outside the NPPA window, which allows them "at no other time, in any form".
//! The curfew, the day and the game window follow the jurisdiction's clock
//! (Beijing time by default), not the zone the device claims.

use recguard_sdk::prelude::*;
use recguard_sdk::time::Weekday;
use recguard_sdk::{ExemptionScope as Scope, ItemKind};

mod settings;
pub use settings::{Band, Clock, Day, Settings, SpendingCap};

/// The minors policy.
pub struct Minors;

const GUIDELINE: &str = "CAC minors-mode guideline (2024)";
const NPPA_2021: &str = "NPPA notice on online games (2021-08)";
const NPPA_2019: &str = "NPPA notice on online games (2019)";

impl Policy for Minors {
    type Settings = Settings;
    const NAME: &'static str = "minors";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str =
        "Protects minors: curfew, daily caps, rest reminders, age-appropriate content, game hours and spending caps.";
    const ARTICLES: &'static [Article] = &[Article::D16F18];
    const READS: &'static [&'static str] = &[
        "now-ms",
        "utc-offset-minutes",
        "user.age-band",
        "user.minors-mode",
        "user.identity-verified",
        "user.usage",
        "user.guardian-exemptions",
        "candidates.kind",
        "candidates.topics",
        "candidates.risk-tags",
        "candidates.attributes",
        "candidates.price",
    ];

    fn validate(settings: &Settings) -> Result<(), String> {
        settings.check()
    }

    /// Only minors: a user in a minor's age band, or in minors mode.
    fn applies_to(_settings: &Settings) -> AppliesTo {
        AppliesTo::every_request()
            .for_age_bands([AgeBand::Under8, AgeBand::From8to12, AgeBand::From12to16, AgeBand::From16to18])
            .or_minors_mode()
    }

    fn evaluate(request: &Request, settings: &Settings) -> Decision {
        let mut decision = Decision::new();
        let Some(band) = minor_band(&request.user(), settings) else {
            return decision;
        };
        // Validated at load; a bad clock here would be a host bug, so fail safe to the defaults.
        let clock = settings.clock();
        let now = settings.local_time(request);
        let exempt = |scope| exempted(request, scope);

        if now.within(clock.curfew.0, clock.curfew.1) && !exempt(Scope::Curfew) {
            let finding = Finding::new(
                "minors.curfew",
                Article::D16F18,
                format!("Minors mode: the service is closed from {} to {}.", settings.curfew_start, settings.curfew_end),
            )
            .citing(GUIDELINE);
            let retry = now.next(clock.curfew.1);
            decision.block(&finding, Some(retry));
            return decision;
        }

        let cap = if band == Band::From16to18 { settings.daily_minutes_16to18 } else { settings.daily_minutes_under16 };
        if request.user().usage.minutes_today >= cap && !exempt(Scope::DailyLimit) {
            let finding = Finding::new(
                "minors.daily-limit",
                Article::D16F18,
                format!("Minors mode: today's {cap} minutes are used up. See you tomorrow."),
            )
            .citing(GUIDELINE);
            let retry = now.next(0);
            decision.block(&finding, Some(retry));
            return decision;
        }

        if request.user().usage.continuous_minutes >= settings.rest_reminder_minutes && !exempt(Scope::RestReminder) {
            let finding = Finding::new(
                "minors.rest-reminder",
                Article::D16F18,
                format!(
                    "You have been using the app for {} minutes. Time for a break.",
                    request.user().usage.continuous_minutes
                ),
            )
            .citing(GUIDELINE);
            decision.notice(&finding, None);
        }

        // What depends on the user and the time alone, not on the item, is decided once.
        let rules = ItemRules::for_request(band, request, settings, game_time(&now, settings, &clock));
        // The same few reasons recur across many items: each finding is built once.
        let mut findings = FindingsBy::new();
        for item in request.candidates() {
            if let Some(reason) = rules.why_hidden(&item) {
                let finding = findings.record(&mut decision, reason, |reason| reason.finding(settings));
                decision.drop(&item, finding);
            }
        }
        decision
    }
}

/// Whether a guardian's exemption for `scope` holds: while `now-ms` is
/// before its `expires-at-ms` (at that instant it has lapsed), or for ever
/// if it has none.
fn exempted(request: &Request, scope: Scope) -> bool {
    request.user().exempted(scope, request.now_ms())
}

/// The band to apply, or `None` if the user is not treated as a minor.
pub fn minor_band(user: &User, settings: &Settings) -> Option<Band> {
    match Band::of(user.age_band) {
        Some(band) => Some(band),
        None if user.minors_mode => Some(settings.assumed_band),
        None => None,
    }
}

/// Why an item must not be shown to a minor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Hidden<'a> {
    /// A risk tag that may harm minors.
    UnsafeContent(&'a str),
    /// A fan-voting, ranking or fundraising topic.
    FanRanking(&'a str),
    /// A live stream that takes tips.
    LiveTipping,
    /// A game, for a user whose real name is not verified.
    GameUnverified,
    /// A game outside the permitted days and hours.
    GameHours,
    /// Above the band's spending caps.
    SpendingCap(SpendingCap),
    /// A topic outside the band's content pool.
    OutsidePool(&'a str),
    /// No topic to check against the pool.
    Unclassified,
}

impl Hidden<'_> {
    /// The finding that cites the rule.
    fn finding(&self, settings: &Settings) -> Finding {
        let finding = |code, message: String| Finding::new(code, Article::D16F18, message);
        match *self {
            Hidden::UnsafeContent(tag) => finding(
                "minors.unsafe-content",
                format!("Hidden in minors mode: the item is marked '{tag}', which may harm minors."),
            ),
            Hidden::FanRanking(topic) => finding(
                "minors.fan-ranking",
                format!("Hidden in minors mode: '{topic}' content (fan voting, rankings, fundraising) is not shown to minors."),
            )
            .citing("CAC notice on fan-club chaos (2021)"),
            Hidden::LiveTipping => {
                finding("minors.live-tipping", "Hidden in minors mode: live streams with tipping are not shown to minors.".into())
            }
            Hidden::GameUnverified => {
                finding("minors.game-unverified", "Games need real-name verification.".into()).citing(NPPA_2021)
            }
            Hidden::GameHours => finding(
                "minors.game-hours",
                format!(
                    "Minors may play games only on Fridays, weekends and holidays, {} to {}.",
                    settings.game_start, settings.game_end
                ),
            )
            .citing(NPPA_2021),
            Hidden::SpendingCap(cap) => finding(
                "minors.spending-cap",
                format!(
                    "This purchase is above the limit for your age: ¥{} a payment, ¥{} a month.",
                    yuan(cap.per_payment_fen),
                    yuan(cap.per_month_fen)
                ),
            )
            .citing(NPPA_2019),
            Hidden::OutsidePool(topic) => finding(
                "minors.content-pool",
                format!("Hidden in minors mode: '{topic}' is not in the content pool for your age."),
            ),
            Hidden::Unclassified => finding(
                "minors.content-pool",
                "Hidden in minors mode: the item has no topic, so it cannot be checked against your age's content pool."
                    .into(),
            ),
        }
    }
}

/// The rules an item is checked against, for this minor at this time.
struct ItemRules<'s> {
    settings: &'s Settings,
    /// The user's real name is verified (games need it).
    identity_verified: bool,
    /// Games are open now (the NPPA window admits no exemption, a guardian's included).
    games_open: bool,
    /// The band's spending cap, and what the user spent this month.
    spending_cap: Option<SpendingCap>,
    spent_this_month_fen: u64,
    /// The band's content pool.
    pool: Option<&'s TextSet>,
}

impl<'s> ItemRules<'s> {
    fn for_request(band: Band, request: &Request, settings: &'s Settings, games_open: bool) -> Self {
        ItemRules {
            settings,
            identity_verified: request.user().identity_verified,
            games_open,
            spending_cap: settings.spending_caps.get(&band).copied(),
            spent_this_month_fen: request.user().usage.spent_this_month_fen,
            pool: settings.content_pools.get(&band),
        }
    }

    /// Why an item must not be shown to this minor, if it must not.
    fn why_hidden<'a>(&self, item: &Candidate<'a>) -> Option<Hidden<'a>> {
        let settings = self.settings;
        if let Some(tag) = settings.blocked_risk_tags.first_in(item.risk_tags()) {
            return Some(Hidden::UnsafeContent(tag));
        }
        if let Some(topic) = settings.blocked_topics.first_in(item.topics()) {
            return Some(Hidden::FanRanking(topic));
        }
        if settings.drop_live_tipping && item.kind() == ItemKind::Live && takes_tips(item) {
            return Some(Hidden::LiveTipping);
        }
        if item.kind() == ItemKind::Game {
            if !self.identity_verified {
                return Some(Hidden::GameUnverified);
            }
            if !self.games_open {
                return Some(Hidden::GameHours);
            }
        }
        if let (Some(price), Some(cap)) = (item.price(), self.spending_cap) {
            if matches!(item.kind(), ItemKind::TopUp | ItemKind::Game | ItemKind::Live | ItemKind::Product) {
                let month_total = self.spent_this_month_fen.saturating_add(price.amount_fen);
                if price.amount_fen > cap.per_payment_fen || month_total > cap.per_month_fen {
                    return Some(Hidden::SpendingCap(cap));
                }
            }
        }
        if let Some(pool) = self.pool {
            if let Some(topic) = pool.first_not_in(item.topics()) {
                return Some(Hidden::OutsidePool(topic));
            }
            if item.topics().len() == 0 && settings.drop_unclassified {
                return Some(Hidden::Unclassified);
            }
        }
        None
    }
}

fn takes_tips(item: &Candidate<'_>) -> bool {
    item.risk_tags().any(|t| t == "live-tipping")
        || item.attributes().any(|(key, value)| key == "tipping" && value != "off" && value != "false")
}

/// Whether minors may play games at `now`: on a game day or a listed
/// holiday, inside the game window.
fn game_time(now: &LocalTime, settings: &Settings, clock: &settings::Times) -> bool {
    let day = match now.weekday {
        Weekday::Monday => Day::Mon,
        Weekday::Tuesday => Day::Tue,
        Weekday::Wednesday => Day::Wed,
        Weekday::Thursday => Day::Thu,
        Weekday::Friday => Day::Fri,
        Weekday::Saturday => Day::Sat,
        Weekday::Sunday => Day::Sun,
    };
    let game_day = settings.game_days.contains(&day) || settings.game_holidays.contains(&now.date());
    game_day && now.within(clock.games.0, clock.games.1)
}

fn yuan(fen: u64) -> String {
    if fen.is_multiple_of(100) { format!("{}", fen / 100) } else { format!("{}.{:02}", fen / 100, fen % 100) }
}

export_policy!(Minors);

#[cfg(test)]
mod tests;
