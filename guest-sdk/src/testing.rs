//! Builders for requests in native unit tests of a policy's logic.
//!
//! ```
//! use recguard_sdk::testing::{candidate, request};
//! use recguard_sdk::{AgeBand, Surface};
//! let mut req = request(Surface::Feed, AgeBand::Adult, "2026-11-27T23:00", 480);
//! req.candidates.push(candidate("v1"));
//! assert_eq!(req.candidates.len(), 1);
//! ```

use crate::{AgeBand, Candidate, ItemKind, Request, Surface, Usage, User};

/// A request at a local time `"YYYY-MM-DDTHH:MM"` for a user at `utc_offset_minutes`,
/// with no candidates and a user of the given age band.
///
/// Panics on a malformed time: it is for tests.
pub fn request(surface: Surface, age_band: AgeBand, local_time: &str, utc_offset_minutes: i32) -> Request {
    Request {
        id: "test-request".to_string(),
        now_ms: unix_ms(local_time, utc_offset_minutes),
        utc_offset_minutes,
        surface,
        user: User {
            id: "u-test".to_string(),
            age_band,
            identity_verified: true,
            minors_mode: false,
            personalisation_off: false,
            tags: Vec::new(),
            usage: Usage {
                minutes_today: 0,
                continuous_minutes: 0,
                items_this_session: 0,
                session_topics: Vec::new(),
                spent_this_month_fen: 0,
            },
            guardian_exemptions: Vec::new(),
            not_interested: Vec::new(),
        },
        candidates: Vec::new(),
    }
}

/// An article candidate with the given id and nothing else of note.
pub fn candidate(id: &str) -> Candidate {
    Candidate {
        id: id.to_string(),
        author: format!("author-of-{id}"),
        kind: ItemKind::Article,
        topics: Vec::new(),
        risk_tags: Vec::new(),
        labels: Vec::new(),
        synthetic: None,
        score: 1.0,
        non_personal_score: 1.0,
        engagement: None,
        operator_actions: Vec::new(),
        first_party: false,
        content_hash: None,
        similarity_key: None,
        price: None,
        delivery: None,
        attributes: Vec::new(),
    }
}

/// Unix milliseconds of a local time `"YYYY-MM-DDTHH:MM"` at an offset.
pub fn unix_ms(local_time: &str, utc_offset_minutes: i32) -> u64 {
    let parse = |range: std::ops::Range<usize>| -> i64 {
        local_time
            .get(range)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("'{local_time}' is not YYYY-MM-DDTHH:MM"))
    };
    let (year, month, day) = (parse(0..4), parse(5..7), parse(8..10));
    let (hour, minute) = (parse(11..13), parse(14..16));
    let days = days_from_civil(year, month, day);
    let local_minutes = days * 1440 + hour * 60 + minute;
    ((local_minutes - utc_offset_minutes as i64) * 60_000) as u64
}

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_index = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::LocalTime;

    #[test]
    fn local_time_round_trips() {
        let req = request(Surface::Feed, AgeBand::Adult, "2026-11-27T23:00", 480);
        assert_eq!(req.now_ms, 1_795_791_600_000);
        let t = LocalTime::of(&req);
        assert_eq!(t.date(), "2026-11-27");
        assert_eq!(t.minute_of_day, 23 * 60);
    }
}
