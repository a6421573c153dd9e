//! Native unit tests of the minors policy's logic.

use super::*;
#[allow(unused_imports)]
use recguard_sdk::testing::{candidate, request, Request, Candidate, User, Usage, UserTag, TopicCount, NotInterested, GuardianExemption, Provenance, Engagement, OperatorAction, PriceQuote, DeliveryTerms, Attribute};
use recguard_sdk::{AgeBand, Surface};

fn minor_at(local: &str) -> Request {
    request(Surface::Feed, AgeBand::From12to16, local, 480)
}

fn evaluate(req: &Request) -> recguard_sdk::testing::Decided {
    recguard_sdk::testing::evaluate::<Minors>(req, &Settings::default())
}

fn item(id: &str, kind: ItemKind, topics: &[&str]) -> Candidate {
    let mut c = candidate(id);
    c.kind = kind;
    c.topics = topics.iter().map(|t| t.to_string()).collect();
    c
}

#[test]
fn curfew_blocks_a_minor_at_23_00_and_says_when_to_come_back() {
    let req = minor_at("2026-11-25T23:00");
    let decision = evaluate(&req);
    let block = decision.blocked().expect("blocked");
    assert_eq!(decision.codes(), ["minors.curfew"]);
    assert_eq!(block.retry_at_ms, Some(req.now_ms + 7 * 3_600_000));
}

#[test]
fn curfew_edges_across_midnight_in_local_time() {
    assert!(evaluate(&minor_at("2026-11-25T21:59")).blocked().is_none());
    assert!(evaluate(&minor_at("2026-11-25T22:00")).blocked().is_some());
    assert!(evaluate(&minor_at("2026-11-26T05:59")).blocked().is_some());
    assert!(evaluate(&minor_at("2026-11-26T06:00")).blocked().is_none());
}

#[test]
fn the_curfew_follows_beijing_time_whatever_zone_the_device_claims() {
    // Before: the device's offset decided, so a device set to UTC escaped the curfew.
    let mut elsewhere = minor_at("2026-11-25T23:00");
    elsewhere.utc_offset_minutes = 0;
    assert!(evaluate(&elsewhere).blocked().is_some());
    // With the device's clock chosen explicitly, the same instant at UTC is 15:00.
    let device = Settings { local_time: Clock::Device, ..Settings::default() };
    assert!(recguard_sdk::testing::evaluate::<Minors>(&elsewhere, &device).blocked().is_none());
    // Another jurisdiction's clock can be set.
    let other = Settings { jurisdiction_utc_offset_minutes: 0, ..Settings::default() };
    assert!(recguard_sdk::testing::evaluate::<Minors>(&elsewhere, &other).blocked().is_none());
    assert!(Minors::validate(&Settings { jurisdiction_utc_offset_minutes: 5000, ..Settings::default() }).is_err());
}

#[test]
fn no_exemption_opens_games_outside_the_window() {
    // Before: a guardian's game-hours exemption let a minor play on a Wednesday.
    let mut req = minor_at("2026-11-25T20:30");
    req.user.identity_verified = true;
    req.user.guardian_exemptions.push(GuardianExemption { scope: ExemptionScope::GameHours, expires_at_ms: None });
    req.candidates.push(item("game", ItemKind::Game, &["education"]));
    assert_eq!(evaluate(&req).dropped(), ["game"]);
    // On a Friday at 20:30 the game is served, exemption or not.
    let mut friday = minor_at("2026-11-27T20:30");
    friday.user.identity_verified = true;
    friday.candidates.push(item("game", ItemKind::Game, &["education"]));
    assert!(evaluate(&friday).dropped().is_empty());
}

#[test]
fn adults_and_the_elderly_are_untouched() {
    for band in [AgeBand::Adult, AgeBand::Elderly, AgeBand::Unknown] {
        let mut req = request(Surface::Feed, band, "2026-11-25T23:00", 480);
        req.candidates.push(item("g", ItemKind::Game, &["violence"]));
        assert!(evaluate(&req).is_empty(), "{band:?}");
    }
}

#[test]
fn unknown_age_with_minors_mode_is_a_minor() {
    let mut req = request(Surface::Feed, AgeBand::Unknown, "2026-11-25T23:00", 480);
    req.user.minors_mode = true;
    assert_eq!(evaluate(&req).codes(), ["minors.curfew"]);
}

#[test]
fn guardian_exemption_lifts_the_curfew_until_it_expires() {
    let mut req = minor_at("2026-11-25T23:00");
    req.user.guardian_exemptions.push(GuardianExemption { scope: ExemptionScope::Curfew, expires_at_ms: Some(req.now_ms + 1) });
    assert!(evaluate(&req).blocked().is_none());
    req.user.guardian_exemptions[0].expires_at_ms = Some(req.now_ms);
    assert!(evaluate(&req).blocked().is_some());
}

#[test]
fn daily_cap_depends_on_the_band() {
    let mut req = minor_at("2026-11-25T20:00");
    req.user.usage.minutes_today = 60;
    assert_eq!(evaluate(&req).codes(), ["minors.daily-limit"]);
    req.user.age_band = AgeBand::From16to18;
    assert!(evaluate(&req).blocked().is_none());
    req.user.usage.minutes_today = 120;
    assert!(evaluate(&req).blocked().is_some());
}

#[test]
fn rest_reminder_after_30_continuous_minutes() {
    let mut req = minor_at("2026-11-25T20:00");
    req.user.usage.continuous_minutes = 29;
    assert!(evaluate(&req).notices().is_empty());
    req.user.usage.continuous_minutes = 30;
    let decision = evaluate(&req);
    assert_eq!(decision.codes(), ["minors.rest-reminder"]);
    assert!(decision.blocked().is_none());
}

#[test]
fn content_outside_the_pool_or_unsafe_is_dropped() {
    let mut req = minor_at("2026-11-25T20:00");
    req.candidates = vec![
        item("ok", ItemKind::Video, &["science"]),
        item("pool", ItemKind::Video, &["finance"]),
        item("risky", ItemKind::Video, &["science"]),
        item("fans", ItemKind::Article, &["fan-voting"]),
        item("untagged", ItemKind::Video, &[]),
    ];
    req.candidates[2].risk_tags.push("unsafe-imitation".into());
    let decision = evaluate(&req);
    assert_eq!(decision.dropped(), ["pool", "risky", "fans", "untagged"]);
    assert!(decision.codes().contains(&"minors.unsafe-content"));
}

#[test]
fn games_only_friday_to_sunday_20_to_21() {
    // 2026-11-27 is a Friday, 2026-11-25 a Wednesday.
    let game = |local: &str| {
        let mut req = minor_at(local);
        req.candidates.push(item("g", ItemKind::Game, &["education"]));
        evaluate(&req).dropped().len()
    };
    assert_eq!(game("2026-11-27T20:30"), 0);
    assert_eq!(game("2026-11-27T21:00"), 1);
    assert_eq!(game("2026-11-25T20:30"), 1);
    let mut settings = Settings::default();
    settings.game_holidays.push("2026-11-25".into());
    let mut req = minor_at("2026-11-25T20:30");
    req.candidates.push(item("g", ItemKind::Game, &["education"]));
    assert!(recguard_sdk::testing::evaluate::<Minors>(&req, &settings).dropped().is_empty());
}

#[test]
fn top_ups_within_the_band_caps() {
    let mut req = minor_at("2026-11-25T20:00");
    let mut top_up = item("t", ItemKind::TopUp, &["education"]);
    top_up.price = Some(PriceQuote { amount_fen: 5_000, reference_fen: 5_000, cohort: "all".into(), personalised: false });
    req.candidates.push(top_up);
    assert!(evaluate(&req).dropped().is_empty());
    req.user.usage.spent_this_month_fen = 15_001;
    assert_eq!(evaluate(&req).codes(), ["minors.spending-cap"]);
    req.user.age_band = AgeBand::Under8;
    req.user.usage.spent_this_month_fen = 0;
    assert_eq!(evaluate(&req).dropped(), ["t"]);
}

#[test]
fn settings_are_checked() {
    let error = recguard_sdk::testing::validate_json::<Minors>(r#"{"curfew-start": "25:00"}"#).unwrap_err();
    assert!(error.contains("25:00") && error.contains("curfew-start"), "{error}");
    let mut settings = Settings::default();
    settings.game_holidays.push("1 October".into());
    assert!(Minors::validate(&settings).is_err());
}
