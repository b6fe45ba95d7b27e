//! Outcome counts of a group of leads and their rates: acceptance with a Wilson score interval
//! (95%), disqualification and pipeline per accepted lead. A rate over fewer than
//! [`MIN_SAMPLE`] leads with a disposition is not judged: it says so instead of a number.

use serde::Serialize;

/// Leads with a disposition below which a group's acceptance is "too few to judge": with 20,
/// the 95% interval around a 50% rate is still about ±21 points wide.
pub const MIN_SAMPLE: u64 = 20;

/// z for a two-sided 95% interval.
const Z95: f64 = 1.959_963_984_540_054;

/// A rate with its 95% Wilson score interval, or why there is none.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "judged", rename_all = "snake_case")]
pub enum Judged {
    /// `successes` of `n`, with the interval `[low, high]` (fractions of 1).
    Rate {
        rate: f64,
        low: f64,
        high: f64,
        successes: u64,
        n: u64,
    },
    /// Fewer than [`MIN_SAMPLE`] leads with a disposition (`n` of them).
    TooFew { n: u64 },
}

impl Judged {
    /// `successes` of `n`, judged when `n` reaches [`MIN_SAMPLE`].
    pub fn of(successes: u64, n: u64) -> Judged {
        match wilson(successes, n) {
            Some((low, high)) if n >= MIN_SAMPLE => Judged::Rate {
                rate: successes as f64 / n as f64,
                low,
                high,
                successes,
                n,
            },
            _ => Judged::TooFew { n },
        }
    }

    pub fn rate(&self) -> Option<f64> {
        match self {
            Judged::Rate { rate, .. } => Some(*rate),
            Judged::TooFew { .. } => None,
        }
    }
}

/// The 95% Wilson score interval of `successes` in `n` trials; none for `n = 0`.
pub fn wilson(successes: u64, n: u64) -> Option<(f64, f64)> {
    if n == 0 || successes > n {
        return None;
    }
    let (n, p) = (n as f64, successes as f64 / n as f64);
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denom;
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    Some(((center - half).max(0.0), (center + half).min(1.0)))
}

/// What became of a group of leads. As JSON, with its rates: `acceptance` (a [`Judged`]),
/// `disqualification` and `pipeline_per_accepted` (`null` with nothing to divide by).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Outcomes {
    pub leads: u64,
    pub handed_off: u64,
    /// Handed-off leads sales gave a disposition: the denominator of acceptance.
    pub with_disposition: u64,
    pub accepted: u64,
    pub disqualified: u64,
    /// Deal amounts of accepted leads.
    pub pipeline: f64,
}

impl Outcomes {
    pub(crate) fn add(&mut self, lead: &super::Lead<'_>) {
        self.leads += 1;
        self.handed_off += u64::from(lead.handed_off);
        let Some(d) = lead.disposition else { return };
        self.with_disposition += 1;
        match d {
            "accepted" => {
                self.accepted += 1;
                self.pipeline += lead.deal_amount.unwrap_or(0.0);
            }
            "disqualified" => self.disqualified += 1,
            _ => {}
        }
    }

    pub fn acceptance(&self) -> Judged {
        Judged::of(self.accepted, self.with_disposition)
    }

    /// Disqualified by sales ÷ leads with a disposition; none without any.
    pub fn disqualification(&self) -> Option<f64> {
        (self.with_disposition > 0).then(|| self.disqualified as f64 / self.with_disposition as f64)
    }

    /// Pipeline ÷ accepted leads; none without any.
    pub fn pipeline_per_accepted(&self) -> Option<f64> {
        (self.accepted > 0).then(|| self.pipeline / self.accepted as f64)
    }
}

impl Serialize for Outcomes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = s.serialize_struct("Outcomes", 9)?;
        out.serialize_field("leads", &self.leads)?;
        out.serialize_field("handed_off", &self.handed_off)?;
        out.serialize_field("with_disposition", &self.with_disposition)?;
        out.serialize_field("accepted", &self.accepted)?;
        out.serialize_field("disqualified", &self.disqualified)?;
        out.serialize_field("pipeline", &self.pipeline)?;
        out.serialize_field("acceptance", &self.acceptance())?;
        out.serialize_field("disqualification", &self.disqualification())?;
        out.serialize_field("pipeline_per_accepted", &self.pipeline_per_accepted())?;
        out.end()
    }
}
