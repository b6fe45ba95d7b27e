//! The review's period: ISO weeks (`2026-W49`), Monday 00:00 up to the next Monday 00:00 in the
//! review's time zone, so a week means the same days to everyone reading the page.

use jiff::civil::{Date, ISOWeekDate, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::Serialize;

use crate::report::ReportError;

/// One ISO 8601 week: a year and a week number (1–52 or 53).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct IsoWeek {
    year: i16,
    week: i8,
}

impl IsoWeek {
    /// `2026-W49`: four digits, `-W`, two digits, a week the year has.
    pub fn parse(text: &str) -> Result<Self, ReportError> {
        let bad = || ReportError::Week(text.to_owned());
        let (year, week) = text.trim().split_once("-W").ok_or_else(bad)?;
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(year, 4) || !digits(week, 2) {
            return Err(bad());
        }
        let year: i16 = year.parse().map_err(|_| bad())?;
        let week: i8 = week.parse().map_err(|_| bad())?;
        ISOWeekDate::new(year, week, Weekday::Monday).map_err(|_| bad())?;
        Ok(Self { year, week })
    }

    /// The week `at_ms` falls in, in `tz`.
    pub fn containing(at_ms: i64, tz: &TimeZone) -> Self {
        let date = Timestamp::from_millisecond(at_ms)
            .unwrap_or(Timestamp::UNIX_EPOCH)
            .to_zoned_datetime(tz.clone())
            .date();
        Self::of_date(date)
    }

    fn of_date(date: Date) -> Self {
        let iso = date.iso_week_date();
        Self {
            year: iso.year(),
            week: iso.week(),
        }
    }

    fn monday(self) -> Date {
        ISOWeekDate::new(self.year, self.week, Weekday::Monday)
            .map(|d| d.date())
            .unwrap_or(Date::MIN)
    }

    /// The week before this one.
    pub fn previous(self) -> Self {
        Self::of_date(self.monday().saturating_sub(7.days()))
    }

    /// `count` weeks ending with this one, oldest first (at least this one).
    pub fn back(self, count: usize) -> Vec<Self> {
        let mut weeks = vec![self];
        while weeks.len() < count.max(1) {
            let before = weeks[weeks.len() - 1].previous();
            weeks.push(before);
        }
        weeks.reverse();
        weeks
    }

    /// `[since_ms, until_ms)`: Monday 00:00 to the next Monday 00:00 in `tz`.
    pub fn bounds_ms(self, tz: &TimeZone) -> (i64, i64) {
        let start = |d: Date| {
            d.to_zoned_datetime(tz.clone())
                .map(|z| z.timestamp().as_millisecond())
                .unwrap_or(0)
        };
        let monday = self.monday();
        (start(monday), start(monday.saturating_add(7.days())))
    }
}

impl std::fmt::Display for IsoWeek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-W{:02}", self.year, self.week)
    }
}

/// A week as the page shows it: its label and its bounds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Week {
    /// e.g. `2026-W49`.
    pub label: String,
    pub since_ms: i64,
    /// Exclusive.
    pub until_ms: i64,
}

impl Week {
    pub fn iso(week: IsoWeek, tz: &TimeZone) -> Self {
        let (since_ms, until_ms) = week.bounds_ms(tz);
        Self {
            label: week.to_string(),
            since_ms,
            until_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_week_is_monday_to_monday_in_the_review_zone() {
        let week = IsoWeek::parse("2026-W49").unwrap();
        // Monday 30 November 2026 (ISO week 49), 00:00 UTC = 1 795 996 800 s.
        let (since, until) = week.bounds_ms(&TimeZone::UTC);
        assert_eq!(since, 1_795_996_800_000);
        assert_eq!(until - since, 7 * 86_400_000);
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        assert_eq!(week.bounds_ms(&berlin).0, since - 3_600_000);
        assert_eq!(IsoWeek::containing(since, &TimeZone::UTC), week);
        assert_eq!(
            IsoWeek::containing(since - 1, &TimeZone::UTC).to_string(),
            "2026-W48"
        );
    }

    #[test]
    fn twelve_weeks_back_cross_the_new_year() {
        let weeks = IsoWeek::parse("2027-W02").unwrap().back(4);
        let labels: Vec<String> = weeks.iter().map(ToString::to_string).collect();
        // 2026 has 53 ISO weeks (it starts on a Thursday).
        assert_eq!(labels, ["2026-W52", "2026-W53", "2027-W01", "2027-W02"]);
        assert_eq!(IsoWeek::parse("2026-W10").unwrap().back(0).len(), 1);
    }

    #[test]
    fn anything_but_a_real_iso_week_is_refused_with_the_value_it_got() {
        for text in [
            "", "2026", "2026-49", "2026-W5", "2026-W00", "2025-W53", "26-W01", "2026-w01",
        ] {
            let err = IsoWeek::parse(text).unwrap_err();
            assert!(err.to_string().contains(&format!("{text:?}")), "{err}");
        }
        assert_eq!(
            IsoWeek::parse(" 2026-W53 ").unwrap().to_string(),
            "2026-W53"
        );
    }
}
