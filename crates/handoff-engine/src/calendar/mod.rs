//! Business calendars: weekly hours in one IANA zone minus holiday dates. The SLA clock runs only
//! while a calendar is open. Durations are real elapsed time inside open ranges, so a range that
//! spans a DST change counts its true length (an overnight 00:00-24:00 day is 23 h or 25 h).

pub(crate) mod duration;
pub mod hours;

use std::collections::BTreeSet;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::calendar::hours::WeeklyHours;

/// How far `add` searches for open time before giving up (a calendar open once a decade is
/// a configuration error, not a reason to loop forever).
const MAX_SEARCH_DAYS: i32 = 3 * 366;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("unknown time zone `{0}`")]
    UnknownZone(String),
    #[error("calendar `{0}` has no opening hours")]
    NeverOpen(String),
    #[error("calendar `{0}` has no open time within {MAX_SEARCH_DAYS} days of {1}")]
    NoOpenTime(String, Timestamp),
    #[error("negative business duration")]
    Negative,
}

/// A business calendar (see module doc).
#[derive(Debug, Clone)]
pub struct Calendar {
    pub id: String,
    tz: TimeZone,
    hours: WeeklyHours,
    holidays: BTreeSet<Date>,
    /// Length of "1 business day" in SLA durations written as `1bd`.
    pub business_day: SignedDuration,
}

impl Calendar {
    pub fn new(
        id: &str,
        zone: &str,
        hours: WeeklyHours,
        holidays: impl IntoIterator<Item = Date>,
        business_day: SignedDuration,
    ) -> Result<Calendar, CalendarError> {
        let tz = TimeZone::get(zone).map_err(|_| CalendarError::UnknownZone(zone.to_string()))?;
        if hours.is_empty() {
            return Err(CalendarError::NeverOpen(id.to_string()));
        }
        Ok(Calendar {
            id: id.to_string(),
            tz,
            hours,
            holidays: holidays.into_iter().collect(),
            business_day,
        })
    }

    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    fn local_date(&self, t: Timestamp) -> Date {
        self.tz.to_datetime(t).date()
    }

    /// The open ranges of one local date as instants, in order (none on holidays).
    fn open_ranges(&self, date: Date) -> impl Iterator<Item = (Timestamp, Timestamp)> + '_ {
        let holiday = self.holidays.contains(&date);
        let ranges = if holiday {
            &[][..]
        } else {
            self.hours.on(date.weekday())
        };
        ranges.iter().filter_map(move |&(s, e)| {
            let start = self.instant(date, s)?;
            let end = self.instant(date, e)?;
            (start < end).then_some((start, end))
        })
    }

    fn instant(&self, date: Date, minute: u16) -> Option<Timestamp> {
        let dt = if minute >= 1440 {
            date.tomorrow().ok()?.at(0, 0, 0, 0)
        } else {
            let (h, m) = (
                i8::try_from(minute / 60).ok()?,
                i8::try_from(minute % 60).ok()?,
            );
            date.at(h, m, 0, 0)
        };
        // `compatible`: a time in a spring-forward gap moves later, one in a fold takes the
        // earlier instant, the usual reading of wall-clock office hours.
        self.tz.to_ambiguous_timestamp(dt).compatible().ok()
    }

    /// True when the calendar is open at `t`.
    pub fn is_open(&self, t: Timestamp) -> bool {
        let date = self.local_date(t);
        [date.yesterday().ok(), Some(date)]
            .into_iter()
            .flatten()
            .any(|d| self.open_ranges(d).any(|(s, e)| s <= t && t < e))
    }

    /// The instant reached after `d` of open time from `start`. `d = 0` returns `start`
    /// unchanged; a result may fall exactly on the close of a range.
    pub fn add(&self, start: Timestamp, d: SignedDuration) -> Result<Timestamp, CalendarError> {
        if d.is_negative() {
            return Err(CalendarError::Negative);
        }
        if d.is_zero() {
            return Ok(start);
        }
        let mut remaining = d;
        let mut date = self
            .local_date(start)
            .yesterday()
            .unwrap_or(self.local_date(start));
        for _ in 0..MAX_SEARCH_DAYS {
            for (s, e) in self.open_ranges(date) {
                if e <= start {
                    continue;
                }
                let from = s.max(start);
                let available = e.duration_since(from);
                if remaining <= available {
                    return from
                        .checked_add(remaining)
                        .map_err(|_| CalendarError::NoOpenTime(self.id.clone(), start));
                }
                remaining -= available;
            }
            date = match date.tomorrow() {
                Ok(next) => next,
                Err(_) => break,
            };
        }
        Err(CalendarError::NoOpenTime(self.id.clone(), start))
    }

    /// Open time between `a` and `b` (negative when `b` is before `a`).
    pub fn between(&self, a: Timestamp, b: Timestamp) -> SignedDuration {
        if b < a {
            return -self.between(b, a);
        }
        let mut total = SignedDuration::ZERO;
        let last = self.local_date(b);
        let mut date = self.local_date(a).yesterday().unwrap_or(self.local_date(a));
        while date <= last {
            for (s, e) in self.open_ranges(date) {
                let (from, to) = (s.max(a), e.min(b));
                if from < to {
                    total += to.duration_since(from);
                }
            }
            date = match date.tomorrow() {
                Ok(next) => next,
                Err(_) => break,
            };
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap_or(Timestamp::UNIX_EPOCH)
    }

    fn berlin() -> Calendar {
        let holidays = [
            date(2026, 12, 24),
            date(2026, 12, 25),
            date(2026, 12, 26),
            date(2027, 1, 1),
        ];
        Calendar::new(
            "berlin",
            "Europe/Berlin",
            WeeklyHours::weekdays(&[(540, 720), (780, 1020)]),
            holidays,
            SignedDuration::from_hours(7),
        )
        .unwrap_or_else(|e| unreachable!("{e}"))
    }

    fn round_the_clock(zone: &str) -> Calendar {
        Calendar::new(
            "x",
            zone,
            WeeklyHours::every_day(&[(0, 1440)]),
            [],
            SignedDuration::from_hours(24),
        )
        .unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[test]
    fn fifteen_minutes_before_close_lands_on_close_not_next_morning() {
        let cal = berlin();
        let t = ts("2026-11-23T15:45:00Z"); // 16:45 Berlin, Monday
        assert_eq!(
            cal.add(t, SignedDuration::from_mins(15)),
            Ok(ts("2026-11-23T16:00:00Z"))
        );
        assert_eq!(
            cal.add(t, SignedDuration::from_mins(30)),
            Ok(ts("2026-11-24T08:15:00Z"))
        );
    }

    #[test]
    fn lunch_break_and_weekend_are_skipped() {
        let cal = berlin();
        let friday_1145 = ts("2026-11-27T10:45:00Z");
        assert_eq!(
            cal.add(friday_1145, SignedDuration::from_mins(30)),
            Ok(ts("2026-11-27T12:15:00Z"))
        );
        let friday_1650 = ts("2026-11-27T15:50:00Z");
        assert_eq!(
            cal.add(friday_1650, SignedDuration::from_mins(20)),
            Ok(ts("2026-11-30T08:10:00Z"))
        );
    }

    #[test]
    fn holidays_are_closed() {
        let cal = berlin();
        let dec23_1700 = ts("2026-12-23T16:00:00Z");
        // 24, 25 are holidays (Thu, Fri), 26-27 weekend: next opening Monday 28th 09:00.
        assert_eq!(
            cal.add(dec23_1700, SignedDuration::from_mins(1)),
            Ok(ts("2026-12-28T08:01:00Z"))
        );
        assert!(!cal.is_open(ts("2026-12-24T10:00:00Z")));
    }

    #[test]
    fn dst_days_have_their_true_length() {
        let cal = round_the_clock("Europe/Berlin");
        // 2026-03-29 is 23 h long in Berlin, 2026-10-25 is 25 h long.
        let spring = cal.between(ts("2026-03-28T23:00:00Z"), ts("2026-03-29T22:00:00Z"));
        assert_eq!(spring, SignedDuration::from_hours(23));
        let autumn = cal.between(ts("2026-10-24T22:00:00Z"), ts("2026-10-25T23:00:00Z"));
        assert_eq!(autumn, SignedDuration::from_hours(25));
    }

    #[test]
    fn office_hours_across_dst_keep_local_wall_clock() {
        let cal = Calendar::new(
            "ny",
            "America/New_York",
            WeeklyHours::weekdays(&[(540, 1020)]),
            [],
            SignedDuration::from_hours(8),
        )
        .unwrap_or_else(|e| unreachable!("{e}"));
        // Friday 2026-03-06 16:00 EST + 2h → Monday 2026-03-09 10:00 EDT (= 14:00Z).
        let t = ts("2026-03-06T21:00:00Z");
        assert_eq!(
            cal.add(t, SignedDuration::from_hours(2)),
            Ok(ts("2026-03-09T14:00:00Z"))
        );
    }

    #[test]
    fn errors_instead_of_panicking() {
        assert!(matches!(
            Calendar::new(
                "x",
                "Mars/Olympus",
                WeeklyHours::weekdays(&[(0, 60)]),
                [],
                SignedDuration::ZERO
            ),
            Err(CalendarError::UnknownZone(_))
        ));
        assert!(matches!(
            Calendar::new("x", "UTC", WeeklyHours::default(), [], SignedDuration::ZERO),
            Err(CalendarError::NeverOpen(_))
        ));
        let cal = berlin();
        assert!(
            cal.add(Timestamp::MAX, SignedDuration::from_mins(1))
                .is_err()
        );
        assert_eq!(
            cal.add(ts("2026-01-01T00:00:00Z"), SignedDuration::from_mins(-1)),
            Err(CalendarError::Negative)
        );
    }

    fn zones() -> impl Strategy<Value = Calendar> {
        prop_oneof![
            Just(berlin()),
            Just(round_the_clock("America/New_York")),
            Just(
                Calendar::new(
                    "ny",
                    "America/New_York",
                    WeeklyHours::weekdays(&[(0, 150), (540, 1020)]),
                    [date(2026, 11, 26), date(2026, 3, 9)],
                    SignedDuration::from_hours(8),
                )
                .unwrap_or_else(|e| unreachable!("{e}"))
            ),
        ]
    }

    // Instants around 2026 (both DST changes in both zones, Christmas and Thanksgiving).
    fn instant() -> impl Strategy<Value = Timestamp> {
        (1_767_225_600i64..1_798_761_600)
            .prop_map(|s| Timestamp::from_second(s).unwrap_or(Timestamp::UNIX_EPOCH))
    }

    proptest! {
        #[test]
        fn between_undoes_add(cal in zones(), t in instant(), mins in 0i64..20_000) {
            let d = SignedDuration::from_mins(mins);
            let end = cal.add(t, d);
            prop_assert!(end.is_ok());
            let end = end.unwrap_or(t);
            prop_assert!(end >= t);
            prop_assert_eq!(cal.between(t, end), d);
        }

        #[test]
        fn add_is_monotonic(cal in zones(), t in instant(), dt in 0i64..200_000, a in 0i64..5_000, b in 0i64..5_000) {
            let t2 = Timestamp::from_second(t.as_second() + dt).unwrap_or(t);
            let (small, big) = (a.min(b), a.max(b));
            let r1 = cal.add(t, SignedDuration::from_mins(small)).unwrap_or(t);
            let r2 = cal.add(t, SignedDuration::from_mins(big)).unwrap_or(t);
            let r3 = cal.add(t2, SignedDuration::from_mins(small)).unwrap_or(t);
            prop_assert!(r1 <= r2);
            prop_assert!(r1 <= r3);
        }

        #[test]
        fn between_is_additive_and_bounded(cal in zones(), t in instant(), x in 0i64..400_000, y in 0i64..400_000) {
            let a = Timestamp::from_second(t.as_second() + x).unwrap_or(t);
            let b = Timestamp::from_second(a.as_second() + y).unwrap_or(t);
            let ab = cal.between(t, a) + cal.between(a, b);
            prop_assert_eq!(ab, cal.between(t, b));
            prop_assert!(cal.between(t, b) <= b.duration_since(t));
            prop_assert_eq!(cal.between(b, t), -cal.between(t, b));
        }
    }
}
