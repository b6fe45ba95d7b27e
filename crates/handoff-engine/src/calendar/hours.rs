//! Weekly opening hours ("09:00-12:00" per weekday), shared by business calendars and owners'
//! working hours. Parsed once from config; local times only, the zone lives with the user.

use jiff::civil::{Time, Weekday};
use serde::{Deserialize, Serialize};

/// Weekly hours as written in TOML: per weekday a list of `"HH:MM-HH:MM"` ranges (end may be
/// `24:00`). A day that is absent or empty is closed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeeklyHoursDoc {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mon: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tue: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wed: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thu: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fri: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sat: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sun: Vec<String>,
}

/// Parsed weekly hours: for each weekday (Monday = 0) sorted, disjoint `[start, end)` ranges in
/// minutes since local midnight (`end` ≤ 1440).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WeeklyHours {
    days: [Vec<(u16, u16)>; 7],
}

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl WeeklyHoursDoc {
    fn day(&self, i: usize) -> &[String] {
        match i {
            0 => &self.mon,
            1 => &self.tue,
            2 => &self.wed,
            3 => &self.thu,
            4 => &self.fri,
            5 => &self.sat,
            _ => &self.sun,
        }
    }

    /// Parses every range; returns all problems as `(relative key path, message)`.
    pub fn parse(&self) -> Result<WeeklyHours, Vec<(String, String)>> {
        let mut problems = Vec::new();
        let mut out = WeeklyHours::default();
        for (i, name) in DAY_NAMES.iter().enumerate() {
            let mut ranges = Vec::new();
            for (j, text) in self.day(i).iter().enumerate() {
                match parse_range(text) {
                    Ok(r) => ranges.push(r),
                    Err(m) => problems.push((format!("{name}[{j}]"), m)),
                }
            }
            ranges.sort_unstable();
            for w in ranges.windows(2) {
                if w[1].0 < w[0].1 {
                    problems.push((name.to_string(), "time ranges overlap".to_string()));
                }
            }
            out.days[i] = ranges;
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(problems)
        }
    }
}

fn parse_hhmm(s: &str) -> Option<u16> {
    let (h, m) = s.trim().split_once(':')?;
    let h: u16 = h.parse().ok()?;
    let m: u16 = m.parse().ok()?;
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return None;
    }
    Some(h * 60 + m)
}

fn parse_range(text: &str) -> Result<(u16, u16), String> {
    let bad = || format!("`{text}` is not a range like \"09:00-17:30\"");
    let (a, b) = text.split_once('-').ok_or_else(bad)?;
    let (start, end) = (
        parse_hhmm(a).ok_or_else(bad)?,
        parse_hhmm(b).ok_or_else(bad)?,
    );
    if start >= end {
        return Err(format!("`{text}`: start must be before end"));
    }
    Ok((start, end))
}

impl WeeklyHours {
    /// Ranges for one weekday, in minutes since local midnight.
    pub fn on(&self, day: Weekday) -> &[(u16, u16)] {
        let i = usize::try_from(day.to_monday_zero_offset()).unwrap_or(0);
        self.days.get(i).map(Vec::as_slice).unwrap_or(&[])
    }

    /// True when the local wall-clock time `t` on `day` lies inside an opening range.
    pub fn contains(&self, day: Weekday, t: Time) -> bool {
        let minute =
            u16::try_from(t.hour()).unwrap_or(0) * 60 + u16::try_from(t.minute()).unwrap_or(0);
        self.on(day).iter().any(|&(s, e)| s <= minute && minute < e)
    }

    /// True when no weekday has any opening.
    pub fn is_empty(&self) -> bool {
        self.days.iter().all(Vec::is_empty)
    }

    /// Hours from a compact list, for tests and benches: the same ranges Monday to Friday.
    #[cfg(test)]
    pub(crate) fn weekdays(ranges: &[(u16, u16)]) -> WeeklyHours {
        let mut out = WeeklyHours::default();
        for d in out.days.iter_mut().take(5) {
            *d = ranges.to_vec();
        }
        out
    }

    /// Every day of the week the same ranges.
    #[cfg(test)]
    pub(crate) fn every_day(ranges: &[(u16, u16)]) -> WeeklyHours {
        let mut out = WeeklyHours::default();
        for d in out.days.iter_mut() {
            *d = ranges.to_vec();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ranges_and_reports_every_bad_one() {
        let doc = WeeklyHoursDoc {
            mon: vec!["09:00-12:00".into(), "13:00-17:30".into()],
            tue: vec!["9-5".into()],
            wed: vec!["10:00-09:00".into()],
            thu: vec!["08:00-12:00".into(), "11:00-13:00".into()],
            sun: vec!["00:00-24:00".into()],
            ..Default::default()
        };
        let problems = doc.parse().err().unwrap_or_default();
        let paths: Vec<&str> = problems.iter().map(|p| p.0.as_str()).collect();
        assert_eq!(paths, ["tue[0]", "wed[0]", "thu"]);
    }

    #[test]
    fn contains_is_half_open() {
        let h = WeeklyHours::weekdays(&[(540, 1020)]);
        let t = |h: i8, m: i8| Time::constant(h, m, 0, 0);
        assert!(h.contains(Weekday::Monday, t(9, 0)));
        assert!(!h.contains(Weekday::Monday, t(17, 0)));
        assert!(!h.contains(Weekday::Saturday, t(10, 0)));
    }
}
