//! Local time, computed only from the request (`now-ms` and a UTC offset),
//! so that a decision replays exactly. The arithmetic saturates: no request
//! time, however far off, wraps around (the host also refuses request times
//! outside 2000–2199).

use crate::Request;

const MS_PER_MINUTE: i64 = 60_000;
const MINUTES_PER_DAY: i64 = 24 * 60;

/// A day of the week.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weekday {
    /// Monday.
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
    /// Sunday.
    Sunday,
}

/// A local date and time of day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalTime {
    /// The instant, Unix milliseconds.
    pub unix_ms: u64,
    /// Days since 1970-01-01 in local time.
    pub day_number: i64,
    /// Minutes since local midnight, 0..1440.
    pub minute_of_day: u32,
    /// Local calendar year.
    pub year: i32,
    /// Local calendar month, 1..=12.
    pub month: u32,
    /// Local day of the month, 1..=31.
    pub day: u32,
    /// Local day of the week.
    pub weekday: Weekday,
}

impl LocalTime {
    /// The request's time at the device's UTC offset (`utc-offset-minutes`).
    pub fn of(request: &Request) -> Self {
        Self::from_unix_ms(request.now_ms(), request.utc_offset_minutes())
    }

    /// The request's time at a given UTC offset, e.g. a jurisdiction's
    /// (Beijing: 480), whatever zone the device claims.
    pub fn of_in_zone(request: &Request, utc_offset_minutes: i32) -> Self {
        Self::from_unix_ms(request.now_ms(), utc_offset_minutes)
    }

    /// Local time for Unix milliseconds at an offset in minutes.
    pub fn from_unix_ms(unix_ms: u64, utc_offset_minutes: i32) -> Self {
        let minutes = i64::try_from(unix_ms).unwrap_or(i64::MAX).div_euclid(MS_PER_MINUTE);
        let local_minutes = minutes.saturating_add(utc_offset_minutes as i64);
        let day_number = local_minutes.div_euclid(MINUTES_PER_DAY);
        let minute_of_day = local_minutes.rem_euclid(MINUTES_PER_DAY) as u32;
        let (year, month, day) = civil_from_days(day_number);
        // 1970-01-01 was a Thursday.
        let weekday = match (day_number + 3).rem_euclid(7) {
            0 => Weekday::Monday,
            1 => Weekday::Tuesday,
            2 => Weekday::Wednesday,
            3 => Weekday::Thursday,
            4 => Weekday::Friday,
            5 => Weekday::Saturday,
            _ => Weekday::Sunday,
        };
        LocalTime { unix_ms, day_number, minute_of_day, year, month, day, weekday }
    }

    /// The instant `minutes` from now, Unix milliseconds (saturating, never wrapping).
    pub fn ms_after_minutes(&self, minutes: u32) -> u64 {
        self.unix_ms.saturating_add(u64::from(minutes) * MS_PER_MINUTE as u64)
    }

    /// The instant the time of day `target` next comes round, Unix milliseconds.
    pub fn next(&self, target: u32) -> u64 {
        self.ms_after_minutes(self.minutes_until(target))
    }

    /// The local date as `YYYY-MM-DD`.
    pub fn date(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// Whether the time of day lies in `[start, end)`, minutes since midnight;
    /// a window whose end is before its start spans midnight (22:00–06:00).
    pub fn within(&self, start: u32, end: u32) -> bool {
        let now = self.minute_of_day;
        if start <= end {
            start <= now && now < end
        } else {
            now >= start || now < end
        }
    }

    /// Minutes from now until the time of day `target` next comes round (0..1440).
    pub fn minutes_until(&self, target: u32) -> u32 {
        ((target as i64 - self.minute_of_day as i64).rem_euclid(MINUTES_PER_DAY)) as u32
    }
}

/// A time of day, minutes since midnight (0..=1440). In JSON settings it is
/// `"HH:MM"` (checked when the settings are validated); in the compact
/// encoding a policy's settings travel in, a number, so no request parses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay(pub u32);

impl TimeOfDay {
    /// The time `hours`:`minutes`.
    pub const fn hm(hours: u32, minutes: u32) -> Self {
        TimeOfDay(hours * 60 + minutes)
    }

    /// Minutes since midnight.
    pub fn minutes(self) -> u32 {
        self.0
    }
}

/// `HH:MM`.
impl std::fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl serde::Serialize for TimeOfDay {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.collect_str(self)
        } else {
            serializer.serialize_u32(self.0)
        }
    }
}

impl<'de> serde::Deserialize<'de> for TimeOfDay {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
            parse_clock(&text).map(TimeOfDay).map_err(serde::de::Error::custom)
        } else {
            u32::deserialize(deserializer).map(TimeOfDay)
        }
    }
}

/// Parses `"HH:MM"` into minutes since midnight.
pub fn parse_clock(text: &str) -> Result<u32, String> {
    let bad = || format!("'{text}' is not a time of day as HH:MM (00:00 to 24:00)");
    let (hours, minutes) = text.split_once(':').ok_or_else(bad)?;
    let hours: u32 = hours.parse().map_err(|_| bad())?;
    let minutes: u32 = minutes.parse().map_err(|_| bad())?;
    if minutes >= 60 || hours > 24 || (hours == 24 && minutes > 0) {
        return Err(bad());
    }
    Ok(hours * 60 + minutes)
}

/// Checks that `text` is a date as `YYYY-MM-DD`.
pub fn check_date(text: &str) -> Result<(), String> {
    let bad = || format!("'{text}' is not a date as YYYY-MM-DD");
    let parts: Vec<&str> = text.split('-').collect();
    if parts.len() != 3 || parts[0].len() != 4 || parts[1].len() != 2 || parts[2].len() != 2 {
        return Err(bad());
    }
    let month: u32 = parts[1].parse().map_err(|_| bad())?;
    let day: u32 = parts[2].parse().map_err(|_| bad())?;
    parts[0].parse::<u32>().map_err(|_| bad())?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return Err(bad());
    }
    Ok(())
}

/// Year, month, day of a day number (days since 1970-01-01), proleptic Gregorian.
fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let z = days.saturating_add(719_468);
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 } as u32;
    let year = year_of_era + era * 400 + if month <= 2 { 1 } else { 0 };
    (year.clamp(i32::MIN as i64, i32::MAX as i64) as i32, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beijing_evening_is_the_previous_utc_afternoon() {
        // 2026-11-27T15:00:00Z is 23:00 on Friday 27 November in Beijing.
        let t = LocalTime::from_unix_ms(1_795_791_600_000, 480);
        assert_eq!((t.year, t.month, t.day), (2026, 11, 27));
        assert_eq!(t.minute_of_day, 23 * 60);
        assert_eq!(t.weekday, Weekday::Friday);
        assert_eq!(t.date(), "2026-11-27");
    }

    #[test]
    fn an_offset_can_cross_midnight_into_the_next_day() {
        // 2026-11-27T17:30:00Z is 01:30 on Saturday in Beijing.
        let t = LocalTime::from_unix_ms(1_795_800_600_000, 480);
        assert_eq!(t.date(), "2026-11-28");
        assert_eq!(t.weekday, Weekday::Saturday);
        assert_eq!(t.minute_of_day, 90);
    }

    #[test]
    fn windows_across_midnight() {
        let at = |minute: u32| LocalTime { minute_of_day: minute, ..LocalTime::from_unix_ms(0, 0) };
        assert!(at(22 * 60).within(22 * 60, 6 * 60));
        assert!(at(5 * 60 + 59).within(22 * 60, 6 * 60));
        assert!(!at(6 * 60).within(22 * 60, 6 * 60));
        assert!(!at(21 * 60 + 59).within(22 * 60, 6 * 60));
        assert!(at(20 * 60).within(20 * 60, 21 * 60));
        assert!(!at(21 * 60).within(20 * 60, 21 * 60));
        assert_eq!(at(23 * 60).minutes_until(6 * 60), 7 * 60);
    }

    #[test]
    fn clock_and_date_parsing() {
        assert_eq!(parse_clock("22:00"), Ok(1320));
        assert_eq!(parse_clock("24:00"), Ok(1440));
        assert!(parse_clock("25:00").is_err());
        assert!(parse_clock("7").is_err());
        assert!(check_date("2026-10-01").is_ok());
        assert!(check_date("2026-13-01").is_err());
        assert!(check_date("1 Oct").is_err());
    }

    #[test]
    fn times_near_the_top_of_u64_do_not_wrap() {
        // Before: `now-ms` near u64::MAX became negative, and a retry time in 1970.
        let t = LocalTime::from_unix_ms(u64::MAX - 5, 480);
        assert!(t.year > 1970, "{t:?}");
        assert_eq!(t.ms_after_minutes(600), u64::MAX);
        assert_eq!(t.next(6 * 60), u64::MAX);
        let early = LocalTime::from_unix_ms(0, -1080);
        assert_eq!(early.date(), "1969-12-31");
    }

    #[test]
    fn the_next_time_of_day() {
        // 23:00 in Beijing; 06:00 comes round in 7 hours.
        let t = LocalTime::from_unix_ms(1_795_791_600_000, 480);
        assert_eq!(t.next(6 * 60), 1_795_791_600_000 + 7 * 3_600_000);
    }

    #[test]
    fn leap_days() {
        // 2024-02-29T12:00:00Z
        let t = LocalTime::from_unix_ms(1_709_208_000_000, 0);
        assert_eq!(t.date(), "2024-02-29");
        assert_eq!(t.weekday, Weekday::Thursday);
    }
}
