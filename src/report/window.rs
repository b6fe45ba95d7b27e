//! The report's period: a duration back from now, written as a number and a unit (`30m`, `24h`,
//! `7d`, `2w`).

use super::ReportError;

const MINUTE_MS: i64 = 60_000;

/// How far back a report looks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    text: String,
    ms: i64,
}

impl Window {
    /// `30m`, `24h`, `7d` or `2w`: a positive whole number and one of m, h, d, w.
    pub fn parse(text: &str) -> Result<Self, ReportError> {
        let bad = || ReportError::Window(text.to_owned());
        let trimmed = text.trim();
        let split = trimmed
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(bad)?;
        let (number, unit) = trimmed.split_at(split);
        let n: i64 = number.parse().map_err(|_| bad())?;
        let unit_ms = match unit {
            "m" => MINUTE_MS,
            "h" => 60 * MINUTE_MS,
            "d" => 24 * 60 * MINUTE_MS,
            "w" => 7 * 24 * 60 * MINUTE_MS,
            _ => return Err(bad()),
        };
        let ms = n
            .checked_mul(unit_ms)
            .filter(|ms| *ms > 0)
            .ok_or_else(bad)?;
        Ok(Self {
            text: trimmed.to_owned(),
            ms,
        })
    }

    /// The last `days` days (the gauges' windows).
    pub fn days(days: i64) -> Self {
        Self {
            text: format!("{days}d"),
            ms: days.saturating_mul(24 * 60 * MINUTE_MS),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn ms(&self) -> i64 {
        self.ms
    }

    /// The start of the window ending at `now_ms`.
    pub fn since_ms(&self, now_ms: i64) -> i64 {
        now_ms.saturating_sub(self.ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_hours_days_and_weeks_are_understood() {
        for (text, ms) in [
            ("30m", 30 * 60_000),
            ("24h", 86_400_000),
            ("7d", 7 * 86_400_000),
            ("2w", 14 * 86_400_000),
        ] {
            let window = Window::parse(text).unwrap();
            assert_eq!((window.text(), window.ms()), (text, ms));
            assert_eq!(window.since_ms(ms + 5), 5);
        }
    }

    #[test]
    fn anything_else_is_refused_with_the_value_it_got() {
        for text in [
            "",
            "7",
            "d",
            "0d",
            "-1d",
            "7y",
            "1.5d",
            "7 d",
            "99999999999999999w",
        ] {
            let err = Window::parse(text).unwrap_err();
            assert!(err.to_string().contains(&format!("{text:?}")), "{err}");
        }
    }
}
