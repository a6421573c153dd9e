//! No addiction-inducing design (D8 / F8).
//!
//! Long continuous sessions get a rest notice; sessions in the small hours get
//! a late-night notice; when one topic dominates a long session, candidates of
//! that topic beyond a share of the list are moved to its end, so the feed
//! does not narrow into a loop.

use recguard_sdk::prelude::*;

/// Settings of the anti-addiction policy.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Settings {
    /// Continuous minutes after which a rest notice is shown. No statutory number for adults:
    /// three times the minors' 30-minute reminder (CAC minors-mode guideline 2024).
    pub rest_notice_minutes: u32,
    /// Start of the late-night window, local time. No statutory number: the hours after midnight,
    /// later than the minors' 22:00 curfew.
    pub late_night_start: TimeOfDay,
    /// End of the late-night window, local time.
    pub late_night_end: TimeOfDay,
    /// Minutes of continuous use in the late-night window before the notice. No statutory number.
    pub late_night_min_minutes: u32,
    /// Session items after which topic concentration is checked. No statutory number: enough
    /// items for a share to mean something.
    pub concentration_min_items: u32,
    /// Largest share of the session one topic may take before the feed is diversified, and the
    /// largest share of the list its candidates may keep in place. No statutory number; the 2024
    /// Qinglang campaign asks providers not to push homogeneous content.
    pub max_topic_share: f32,
    /// Surfaces left alone (dispatch is work, not consumption).
    pub exempt_surfaces: Vec<Surface>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            rest_notice_minutes: 90,
            late_night_start: TimeOfDay::hm(0, 0),
            late_night_end: TimeOfDay::hm(5, 0),
            late_night_min_minutes: 15,
            concentration_min_items: 30,
            max_topic_share: 0.5,
            exempt_surfaces: vec![Surface::Dispatch],
        }
    }
}

/// The anti-addiction policy.
pub struct AntiAddiction;

impl Policy for AntiAddiction {
    type Settings = Settings;
    const NAME: &'static str = "anti-addiction";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str = "Counters addictive use: rest and late-night notices, and a diverse feed in long sessions.";
    const ARTICLES: &'static [Article] = &[Article::D8F8];
    const READS: &'static [&'static str] = &[
        "now-ms",
        "utc-offset-minutes",
        "surface",
        "user.usage.continuous-minutes",
        "user.usage.items-this-session",
        "user.usage.session-topics",
        "candidates.topics",
    ];

    fn validate(settings: &Settings) -> Result<(), String> {
        if !(settings.max_topic_share > 0.0 && settings.max_topic_share <= 1.0) {
            return Err("max-topic-share is a share: above 0, at most 1".into());
        }
        Ok(())
    }

    /// Every surface but the exempt ones.
    fn applies_to(settings: &Settings) -> AppliesTo {
        AppliesTo::every_request().except_on(&settings.exempt_surfaces)
    }

    fn evaluate(request: &Request, settings: &Settings) -> Decision {
        let mut decision = Decision::new();
        if settings.exempt_surfaces.contains(&request.surface()) {
            return decision;
        }
        let usage = request.user().usage;
        if usage.continuous_minutes >= settings.rest_notice_minutes {
            let finding = Finding::new(
                "anti-addiction.rest",
                Article::D8F8,
                format!("You have been scrolling for {} minutes. Consider taking a break.", usage.continuous_minutes),
            );
            decision.notice(&finding, None);
        }
        let (start, end) = (settings.late_night_start.minutes(), settings.late_night_end.minutes());
        if LocalTime::of(request).within(start, end) && usage.continuous_minutes >= settings.late_night_min_minutes {
            let finding = Finding::new(
                "anti-addiction.late-night",
                Article::D8F8,
                "It is late. Rest well: the feed will still be here tomorrow.",
            );
            decision.notice(&finding, None);
        }
        if usage.items_this_session >= settings.concentration_min_items {
            diversify(request, settings, &mut decision);
        }
        decision
    }
}

/// Moves candidates of a dominant session topic beyond the allowed share to the end of the list.
fn diversify(request: &Request, settings: &Settings, decision: &mut Decision) {
    let usage = request.user().usage;
    let total: u32 = usage.session_topics().map(|(_, items)| items).sum();
    let Some((topic, items)) = usage.session_topics().max_by_key(|&(_, items)| items) else { return };
    if total == 0 || (items as f32 / total as f32) <= settings.max_topic_share {
        return;
    }
    let allowed = (settings.max_topic_share * request.candidates().len() as f32).floor() as usize;
    let finding = Finding::new(
        "anti-addiction.topic-concentration",
        Article::D8F8,
        format!(
            "Most of this session was '{}'; more of it is shown further down, to keep the feed varied.",
            topic
        ),
    );
    let excess = request.candidates().iter().filter(|c| c.topics().contains(topic)).skip(allowed);
    // Each goes to the end in turn, so they keep their relative order there.
    for item in excess {
        decision.move_by(&item, -(request.candidates().len() as i32), &finding);
    }
}

export_policy!(AntiAddiction);

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use recguard_sdk::testing::{candidate, request, Request, Candidate, User, Usage, UserTag, TopicCount, NotInterested, GuardianExemption, Provenance, Engagement, OperatorAction, PriceQuote, DeliveryTerms, Attribute};
    use recguard_sdk::{AgeBand};

    fn session(local: &str, continuous: u32) -> Request {
        let mut req = request(Surface::Feed, AgeBand::Adult, local, 480);
        req.user.usage.continuous_minutes = continuous;
        req
    }

    #[test]
    fn rest_notice_at_the_threshold() {
        let settings = Settings::default();
        assert!(recguard_sdk::testing::evaluate::<AntiAddiction>(&session("2026-11-25T12:00", 89), &settings).is_empty());
        assert_eq!(recguard_sdk::testing::evaluate::<AntiAddiction>(&session("2026-11-25T12:00", 90), &settings).codes(), ["anti-addiction.rest"]);
    }

    #[test]
    fn late_night_notice_in_local_time() {
        let settings = Settings::default();
        assert_eq!(recguard_sdk::testing::evaluate::<AntiAddiction>(&session("2026-11-26T01:30", 20), &settings).codes(), ["anti-addiction.late-night"]);
        assert!(recguard_sdk::testing::evaluate::<AntiAddiction>(&session("2026-11-26T05:00", 20), &settings).is_empty());
        assert!(recguard_sdk::testing::evaluate::<AntiAddiction>(&session("2026-11-26T01:30", 5), &settings).is_empty());
    }

    #[test]
    fn a_dominant_topic_is_thinned_in_a_long_session() {
        let mut req = session("2026-11-25T12:00", 40);
        req.user.usage.items_this_session = 60;
        req.user.usage.session_topics = vec![
            TopicCount { topic: "gaming".into(), items: 50 },
            TopicCount { topic: "news".into(), items: 10 },
        ];
        for i in 0..6 {
            let mut c = candidate(&format!("c{i}"));
            c.topics = vec![if i < 5 { "gaming" } else { "news" }.into()];
            req.candidates.push(c);
        }
        let decision = recguard_sdk::testing::evaluate::<AntiAddiction>(&req, &Settings::default());
        // Three of six may stay in place; c3 and c4 move to the end.
        let moved: Vec<String> = decision.actions().into_iter().map(|a| a.candidate_id).collect();
        assert_eq!(moved, ["c3", "c4"]);
    }

    #[test]
    fn dispatch_is_exempt_and_bad_settings_are_refused() {
        let mut req = session("2026-11-26T01:30", 500);
        req.surface = Surface::Dispatch;
        assert!(recguard_sdk::testing::evaluate::<AntiAddiction>(&req, &Settings::default()).is_empty());
        let bad = Settings { max_topic_share: 0.0, ..Settings::default() };
        assert!(AntiAddiction::validate(&bad).is_err());
    }
}
