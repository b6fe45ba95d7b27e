//! A CRM user's availability properties (docs/hubspot.md "CRM user availability properties") parsed
//! once: the status flag, the time zone, the weekly working hours and the out-of-office ranges.
//! HubSpot stores the two schedules as *stringified JSON*; whatever does not parse is reported in
//! `problems` (the caller logs it) and left out, so a malformed value never makes a rep unavailable
//! by itself.

use jiff::Timestamp;
use jiff::civil::Weekday;
use serde::Deserialize;

/// `hs_availability_status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// `available`.
    Available,
    /// `away`: set by hand, by working hours or by an out-of-office period (docs/hubspot.md "What
    /// away means").
    Away,
    /// Missing or empty: common for users who never used inbox or help desk (docs/hubspot.md "Empty
    /// and malformed availability").
    Unset,
    /// Anything else, kept for the log.
    Unknown(String),
}

/// One `{days, startMinute, endMinute}` entry of `hs_working_hours`, minutes from local midnight
/// (0–1440, end inclusive of 1440: docs/hubspot.md "Empty and malformed availability").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingRange {
    pub days: Vec<Weekday>,
    pub start_minute: u16,
    pub end_minute: u16,
}

/// What HubSpot says about one user's availability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAvailability {
    pub status: Status,
    /// `hs_standard_time_zone` (an IANA id), when set.
    pub time_zone: Option<String>,
    /// `None` when the user has no schedule (`""`, missing, `[]`) or it did not parse.
    pub working_hours: Option<Vec<WorkingRange>>,
    /// `[start, end)` instants of `hs_out_of_office_hours`.
    pub out_of_office: Vec<(Timestamp, Timestamp)>,
    /// Values that did not parse, as `property: why` (logged by the caller).
    pub problems: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRange {
    days: String,
    start_minute: i64,
    end_minute: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawOoo {
    start_timestamp: i64,
    end_timestamp: i64,
}

/// Below this an out-of-office number is read as seconds: the guide says milliseconds, but the
/// example values seen had fewer digits (docs/hubspot.md "CRM user availability properties").
const SECONDS_BELOW: i64 = 100_000_000_000;

impl UserAvailability {
    /// Parses the four properties (`None` = absent).
    pub fn parse(
        status: Option<&str>,
        time_zone: Option<&str>,
        working_hours: Option<&str>,
        out_of_office: Option<&str>,
    ) -> Self {
        let mut problems = Vec::new();
        let status = match status.map(str::trim) {
            None | Some("") => Status::Unset,
            Some(s) if s.eq_ignore_ascii_case("available") => Status::Available,
            Some(s) if s.eq_ignore_ascii_case("away") => Status::Away,
            Some(s) => Status::Unknown(s.to_owned()),
        };
        let time_zone = time_zone
            .map(str::trim)
            .filter(|z| !z.is_empty())
            .map(str::to_owned);
        let working_hours = match nonempty(working_hours) {
            None => None,
            Some(text) => match parse_hours(text) {
                Ok(r) if r.is_empty() => None,
                Ok(r) => Some(r),
                Err(why) => {
                    problems.push(format!("hs_working_hours: {why}"));
                    None
                }
            },
        };
        let out_of_office = match nonempty(out_of_office) {
            None => Vec::new(),
            Some(text) => parse_ooo(text).unwrap_or_else(|why| {
                problems.push(format!("hs_out_of_office_hours: {why}"));
                Vec::new()
            }),
        };
        Self {
            status,
            time_zone,
            working_hours,
            out_of_office,
            problems,
        }
    }
}

fn nonempty(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|t| !t.is_empty())
}

fn parse_hours(text: &str) -> Result<Vec<WorkingRange>, String> {
    let raw: Vec<RawRange> = serde_json::from_str(text).map_err(|e| e.to_string())?;
    raw.into_iter()
        .map(|r| {
            let days = days(&r.days).ok_or_else(|| format!("unknown days `{}`", r.days))?;
            let ok = |m: i64| (0..=1440).contains(&m);
            if !ok(r.start_minute) || !ok(r.end_minute) || r.start_minute >= r.end_minute {
                return Err(format!(
                    "minutes {}-{} outside 0-1440 or empty",
                    r.start_minute, r.end_minute
                ));
            }
            Ok(WorkingRange {
                days,
                start_minute: u16::try_from(r.start_minute).unwrap_or(0),
                end_minute: u16::try_from(r.end_minute).unwrap_or(1440),
            })
        })
        .collect()
}

fn days(s: &str) -> Option<Vec<Weekday>> {
    use Weekday::*;
    Some(match s {
        "MONDAY_TO_FRIDAY" => vec![Monday, Tuesday, Wednesday, Thursday, Friday],
        "SATURDAY_SUNDAY" => vec![Saturday, Sunday],
        "EVERY_DAY" => vec![
            Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday,
        ],
        "MONDAY" => vec![Monday],
        "TUESDAY" => vec![Tuesday],
        "WEDNESDAY" => vec![Wednesday],
        "THURSDAY" => vec![Thursday],
        "FRIDAY" => vec![Friday],
        "SATURDAY" => vec![Saturday],
        "SUNDAY" => vec![Sunday],
        _ => return None,
    })
}

fn instant(n: i64) -> Result<Timestamp, String> {
    let ms = if n.abs() < SECONDS_BELOW {
        n.saturating_mul(1000)
    } else {
        n
    };
    Timestamp::from_millisecond(ms).map_err(|_| format!("timestamp {n} out of range"))
}

fn parse_ooo(text: &str) -> Result<Vec<(Timestamp, Timestamp)>, String> {
    let raw: Vec<RawOoo> = serde_json::from_str(text).map_err(|e| e.to_string())?;
    raw.into_iter()
        .map(|r| {
            let (from, to) = (instant(r.start_timestamp)?, instant(r.end_timestamp)?);
            if to <= from {
                return Err(format!("range ends before it starts ({from} .. {to})"));
            }
            Ok((from, to))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn a_full_user_parses_into_status_zone_hours_and_out_of_office() {
        let a = UserAvailability::parse(
            Some("away"),
            Some("Europe/Berlin"),
            Some(
                r#"[{"days":"MONDAY_TO_FRIDAY","startMinute":540,"endMinute":1020},{"days":"SATURDAY","startMinute":600,"endMinute":1440}]"#,
            ),
            Some(r#"[{"startTimestamp":1795000000000,"endTimestamp":1795600000000}]"#),
        );
        assert_eq!(a.status, Status::Away);
        assert_eq!(a.time_zone.as_deref(), Some("Europe/Berlin"));
        let hours = a.working_hours.unwrap();
        assert_eq!(hours[0].days.len(), 5);
        assert_eq!((hours[0].start_minute, hours[0].end_minute), (540, 1020));
        assert_eq!(hours[1].days, vec![Weekday::Saturday]);
        assert_eq!(hours[1].end_minute, 1440);
        assert_eq!(
            a.out_of_office,
            vec![(
                Timestamp::from_millisecond(1_795_000_000_000).unwrap(),
                Timestamp::from_millisecond(1_795_600_000_000).unwrap()
            )]
        );
        assert!(a.problems.is_empty());
    }

    #[test]
    fn empty_values_mean_no_schedule_and_an_unset_status() {
        let a = UserAvailability::parse(Some(""), Some(""), Some("[]"), Some(" "));
        assert_eq!(a.status, Status::Unset);
        assert_eq!(a.time_zone, None);
        assert_eq!(a.working_hours, None);
        assert!(a.out_of_office.is_empty());
        assert!(a.problems.is_empty());
        let none = UserAvailability::parse(None, None, None, None);
        assert_eq!(none.status, Status::Unset);
    }

    #[test]
    fn malformed_schedules_are_reported_and_left_out() {
        let a = UserAvailability::parse(
            Some("on_a_boat"),
            None,
            Some(r#"[{"days":"FUNDAY","startMinute":540,"endMinute":1020}]"#),
            Some("not json"),
        );
        assert_eq!(a.status, Status::Unknown("on_a_boat".into()));
        assert_eq!(a.working_hours, None);
        assert!(a.out_of_office.is_empty());
        assert_eq!(a.problems.len(), 2, "{:?}", a.problems);
        assert!(a.problems[0].contains("unknown days `FUNDAY`"));
        for bad in [
            r#"[{"days":"MONDAY","startMinute":600,"endMinute":600}]"#,
            r#"[{"days":"MONDAY","startMinute":-5,"endMinute":600}]"#,
            r#"[{"days":"MONDAY","startMinute":0,"endMinute":1441}]"#,
            r#"{"days":"MONDAY"}"#,
        ] {
            let a = UserAvailability::parse(None, None, Some(bad), None);
            assert_eq!(a.working_hours, None, "{bad}");
            assert_eq!(a.problems.len(), 1, "{bad}");
        }
        let backwards = UserAvailability::parse(
            None,
            None,
            None,
            Some(r#"[{"startTimestamp":1795600000000,"endTimestamp":1795000000000}]"#),
        );
        assert!(backwards.out_of_office.is_empty());
        assert_eq!(backwards.problems.len(), 1);
    }

    #[test]
    fn out_of_office_in_seconds_is_read_as_seconds() {
        let a = UserAvailability::parse(
            None,
            None,
            None,
            Some(r#"[{"startTimestamp":1795000000,"endTimestamp":1795600000}]"#),
        );
        assert_eq!(
            a.out_of_office,
            vec![(ts("2026-11-18T11:06:40Z"), ts("2026-11-25T09:46:40Z"))]
        );
    }
}
