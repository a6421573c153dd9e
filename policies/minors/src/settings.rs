//! The minors policy's settings. Each default names its source in
//! `shared/regulation/parameters.md`, or says why it was chosen where no
//! statutory number exists.

use std::collections::BTreeMap;

use recguard_sdk::time::{check_date, LocalTime, TimeOfDay};
use recguard_sdk::{AgeBand, Request, TextSet};
use serde::{Deserialize, Serialize};

/// Settings of the minors policy.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Settings {
    /// Curfew start, local time. Source: CAC minors-mode guideline (2024-11-15): no service 22:00–06:00.
    pub curfew_start: TimeOfDay,
    /// Curfew end, local time. Source: as `curfew-start`.
    pub curfew_end: TimeOfDay,
    /// Daily cap for users under 16, minutes. Source: minors-mode guideline: at most 1 hour.
    pub daily_minutes_under16: u32,
    /// Daily cap for users of 16 and 17, minutes. Source: minors-mode guideline: at most 2 hours.
    pub daily_minutes_16to18: u32,
    /// Rest reminder after this many minutes of continuous use. Source: minors-mode guideline: 30 minutes.
    pub rest_reminder_minutes: u32,
    /// The band assumed when minors mode is on but the age is unknown (or not a minor's).
    /// No statutory number: the youngest band, the strictest, is the safe default.
    pub assumed_band: Band,
    /// Topics allowed per band (the content pool). The guideline requires one pool per band but
    /// publishes no topic list; the defaults are a conservative starting taxonomy.
    pub content_pools: BTreeMap<Band, TextSet>,
    /// Drop items that carry no topic (cannot be placed in a pool). No statutory number; fail safe.
    pub drop_unclassified: bool,
    /// Risk tags never shown to minors. Source: D16 / F18 (unsafe imitation, acts against social
    /// morality, bad habits).
    pub blocked_risk_tags: TextSet,
    /// Topics never shown to minors. Source: CAC notice on fan-club chaos (2021) and the 2023 draft
    /// guideline [?]: no fan-club fundraising, vote-for-ranking or traffic-boosting content.
    pub blocked_topics: TextSet,
    /// Drop live streams that take tips. Source: public reports of large platforms' youth modes.
    pub drop_live_tipping: bool,
    /// Days on which minors may play games. Source: NPPA notice (2021-08): Fri, Sat, Sun.
    pub game_days: Vec<Day>,
    /// Statutory holidays (YYYY-MM-DD) on which minors may also play. Source: NPPA notice (2021-08).
    /// The State Council publishes them yearly, so the deployment must list them; none by default.
    pub game_holidays: Vec<String>,
    /// Game window start, local time. Source: NPPA notice (2021-08): 20:00–21:00.
    pub game_start: TimeOfDay,
    /// Game window end, local time. Source: as `game-start`.
    pub game_end: TimeOfDay,
    /// Spending caps per band, in fen. Source: NPPA notice (2019): none under 8; 8–16 at most
    /// ¥50 a payment and ¥200 a month; 16–18 at most ¥100 a payment and ¥400 a month.
    pub spending_caps: BTreeMap<Band, SpendingCap>,
    /// Whose clock the curfew, the daily cap's day and the game window follow: the
    /// jurisdiction's (default), or the device's `utc-offset-minutes`. Source: the rules are
    /// Beijing-time rules for services in mainland China; a device's zone is the user's to set,
    /// so following it would let a minor escape the curfew.
    pub local_time: Clock,
    /// The jurisdiction's offset from UTC, minutes. Source: mainland China keeps Beijing time,
    /// UTC+08:00, all year.
    pub jurisdiction_utc_offset_minutes: i32,
}

/// Whose clock the time rules follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Clock {
    /// The jurisdiction's, at `jurisdiction-utc-offset-minutes`.
    Jurisdiction,
    /// The device's, at the request's `utc-offset-minutes`.
    Device,
}

/// A minor's age band, as settings name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Band {
    /// Younger than 8.
    Under8,
    /// 8 to 11.
    From8to12,
    /// 12 to 15.
    From12to16,
    /// 16 and 17.
    From16to18,
}

impl Band {
    /// The band of a minor's age band; `None` for adults, the elderly and unknown ages.
    pub fn of(age: AgeBand) -> Option<Band> {
        match age {
            AgeBand::Under8 => Some(Band::Under8),
            AgeBand::From8to12 => Some(Band::From8to12),
            AgeBand::From12to16 => Some(Band::From12to16),
            AgeBand::From16to18 => Some(Band::From16to18),
            AgeBand::Unknown | AgeBand::Adult | AgeBand::Elderly => None,
        }
    }
}

/// A day of the week, as settings name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

/// Spending caps for one band, in fen (0.01 CNY).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SpendingCap {
    /// Largest single payment.
    pub per_payment_fen: u64,
    /// Largest total in a calendar month.
    pub per_month_fen: u64,
}

fn topics(list: &[&str]) -> TextSet {
    TextSet::from(list)
}

impl Default for Settings {
    fn default() -> Self {
        let youngest = ["education", "children", "animation", "nature", "music", "science"];
        let middle = [&youngest[..], &["sports", "culture", "history", "reading", "arts"]].concat();
        let teen = [&middle[..], &["news", "technology", "health"]].concat();
        let older = [&teen[..], &["society", "career", "entertainment"]].concat();
        let cap = |per_payment_fen, per_month_fen| SpendingCap { per_payment_fen, per_month_fen };
        Settings {
            curfew_start: TimeOfDay::hm(22, 0),
            curfew_end: TimeOfDay::hm(6, 0),
            daily_minutes_under16: 60,
            daily_minutes_16to18: 120,
            rest_reminder_minutes: 30,
            assumed_band: Band::Under8,
            content_pools: BTreeMap::from([
                (Band::Under8, topics(&youngest)),
                (Band::From8to12, topics(&middle)),
                (Band::From12to16, topics(&teen)),
                (Band::From16to18, topics(&older)),
            ]),
            drop_unclassified: true,
            blocked_risk_tags: topics(&["unsafe-imitation", "bad-habit", "immoral", "violence", "gambling", "self-harm"]),
            blocked_topics: topics(&["fan-voting", "fan-ranking", "fan-fundraising", "traffic-boosting", "celebrity-ranking"]),
            drop_live_tipping: true,
            game_days: vec![Day::Fri, Day::Sat, Day::Sun],
            game_holidays: Vec::new(),
            game_start: TimeOfDay::hm(20, 0),
            game_end: TimeOfDay::hm(21, 0),
            spending_caps: BTreeMap::from([
                (Band::Under8, cap(0, 0)),
                (Band::From8to12, cap(5_000, 20_000)),
                (Band::From12to16, cap(5_000, 20_000)),
                (Band::From16to18, cap(10_000, 40_000)),
            ]),
            local_time: Clock::Jurisdiction,
            jurisdiction_utc_offset_minutes: 480,
        }
    }
}

/// The settings' times, minutes since midnight.
pub struct Times {
    /// Curfew `[start, end)`.
    pub curfew: (u32, u32),
    /// Game window `[start, end)`.
    pub games: (u32, u32),
}

impl Settings {
    /// The windows, as minutes since midnight.
    pub fn clock(&self) -> Times {
        Times {
            curfew: (self.curfew_start.minutes(), self.curfew_end.minutes()),
            games: (self.game_start.minutes(), self.game_end.minutes()),
        }
    }

    /// Checks everything the types do not.
    pub fn check(&self) -> Result<(), String> {
        for day in &self.game_holidays {
            check_date(day).map_err(|e| format!("game-holidays: {e}"))?;
        }
        if self.daily_minutes_under16 > 1440 || self.daily_minutes_16to18 > 1440 {
            return Err("daily caps are minutes in a day: at most 1440".into());
        }
        if !(-1080..=1080).contains(&self.jurisdiction_utc_offset_minutes) {
            return Err("jurisdiction-utc-offset-minutes must be within -1080..=1080 (±18 hours)".into());
        }
        Ok(())
    }

    /// The request's local time on the clock these settings choose.
    pub fn local_time(&self, request: &Request) -> LocalTime {
        match self.local_time {
            Clock::Jurisdiction => LocalTime::of_in_zone(request, self.jurisdiction_utc_offset_minutes),
            Clock::Device => LocalTime::of(request),
        }
    }
}
