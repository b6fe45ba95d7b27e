//! Business durations as written in the playbook: "15m", "4h", "1h 30m" (jiff's friendly
//! format) or "1bd" (business days, each as long as the calendar's `business_day`); and ladder
//! offsets ("50%" of the SLA, "due+30m").

use jiff::SignedDuration;
use serde::Serialize;

use crate::calendar::Calendar;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum BizDuration {
    Exact(SignedDuration),
    BusinessDays(u32),
}

impl BizDuration {
    pub(crate) fn parse(text: &str) -> Result<BizDuration, String> {
        let t = text.trim();
        if let Some(n) = t.strip_suffix("bd") {
            return n
                .trim()
                .parse::<u32>()
                .map(BizDuration::BusinessDays)
                .map_err(|_| {
                    format!("`{text}`: business days must be a whole number, e.g. \"1bd\"")
                });
        }
        match t.parse::<SignedDuration>() {
            Ok(d) if !d.is_negative() => Ok(BizDuration::Exact(d)),
            Ok(_) => Err(format!("`{text}` is negative")),
            Err(_) => Err(format!(
                "`{text}` is not a duration like \"15m\", \"4h\" or \"1bd\""
            )),
        }
    }

    /// The open time this stands for on `cal`.
    pub(crate) fn on(self, cal: &Calendar) -> SignedDuration {
        match self {
            BizDuration::Exact(d) => d,
            BizDuration::BusinessDays(n) => cal
                .business_day
                .saturating_mul(i32::try_from(n).unwrap_or(i32::MAX)),
        }
    }
}

/// When a ladder step fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum LadderOffset {
    /// A percentage of the SLA after handoff (business time).
    PercentOfSla(u32),
    /// Business time after the due time.
    AfterDue(BizDuration),
}

impl LadderOffset {
    pub(crate) fn parse(text: &str) -> Result<LadderOffset, String> {
        let t = text.trim();
        if let Some(p) = t.strip_suffix('%') {
            return match p.trim().parse::<u32>() {
                Ok(p) if p <= 1000 => Ok(LadderOffset::PercentOfSla(p)),
                _ => Err(format!("`{text}`: expected a percentage like \"50%\"")),
            };
        }
        if t == "due" {
            return Ok(LadderOffset::AfterDue(BizDuration::Exact(
                SignedDuration::ZERO,
            )));
        }
        match t.strip_prefix("due+") {
            Some(d) => BizDuration::parse(d).map(LadderOffset::AfterDue),
            None => Err(format!(
                "`{text}`: expected \"50%\", \"due\" or \"due+30m\""
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_durations_and_offsets() {
        assert_eq!(
            BizDuration::parse("15m"),
            Ok(BizDuration::Exact(SignedDuration::from_mins(15)))
        );
        assert_eq!(
            BizDuration::parse("1h 30m"),
            Ok(BizDuration::Exact(SignedDuration::from_mins(90)))
        );
        assert_eq!(BizDuration::parse("2bd"), Ok(BizDuration::BusinessDays(2)));
        assert!(BizDuration::parse("soon").is_err());
        assert!(BizDuration::parse("-5m").is_err());
        assert_eq!(
            LadderOffset::parse("50%"),
            Ok(LadderOffset::PercentOfSla(50))
        );
        assert_eq!(
            LadderOffset::parse("due+1bd"),
            Ok(LadderOffset::AfterDue(BizDuration::BusinessDays(1)))
        );
        assert!(LadderOffset::parse("later").is_err());
    }
}
