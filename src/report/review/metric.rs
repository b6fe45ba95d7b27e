//! The figures the review follows week by week: each reads one number from a week's KPIs (the
//! scoreboard's definitions), says how it is written and which way is better, so a tile, its
//! week-over-week change and its 12-week trend always show the same thing.

use super::model::WeekFigures;
use crate::report::render::human_ms;

/// How a figure is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A share, 0–1, written as a percentage; its change is in percentage points.
    Percent,
    /// Milliseconds, written as a wait (`12m 30s`).
    Duration,
    Count,
    /// A deal amount in the portal's currency.
    Money,
}

/// A figure of the scoreboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Handoffs,
    Acceptance,
    AcceptP50,
    AcceptP90,
    Coverage,
    TouchP50,
    TouchP90,
    SlaCompliance,
    Escalations,
    Reassignments,
    PipelinePerAccepted,
    MarketingPipeline,
}

impl Metric {
    /// In the order of the tiles.
    pub const ALL: [Metric; 12] = [
        Metric::Handoffs,
        Metric::Acceptance,
        Metric::AcceptP50,
        Metric::AcceptP90,
        Metric::Coverage,
        Metric::TouchP50,
        Metric::TouchP90,
        Metric::SlaCompliance,
        Metric::Escalations,
        Metric::Reassignments,
        Metric::PipelinePerAccepted,
        Metric::MarketingPipeline,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Metric::Handoffs => "Handoffs",
            Metric::Acceptance => "Lead acceptance",
            Metric::AcceptP50 => "Time to accept p50",
            Metric::AcceptP90 => "Time to accept p90",
            Metric::Coverage => "Assignment coverage",
            Metric::TouchP50 => "First touch p50",
            Metric::TouchP90 => "First touch p90",
            Metric::SlaCompliance => "SLA compliance",
            Metric::Escalations => "Escalations",
            Metric::Reassignments => "Reassignments",
            Metric::PipelinePerAccepted => "Pipeline per accepted lead",
            Metric::MarketingPipeline => "Marketing-sourced pipeline",
        }
    }

    /// A stable name for the page's markup (`data-metric`).
    pub fn id(self) -> &'static str {
        match self {
            Metric::Handoffs => "handoffs",
            Metric::Acceptance => "acceptance",
            Metric::AcceptP50 => "accept-p50",
            Metric::AcceptP90 => "accept-p90",
            Metric::Coverage => "coverage",
            Metric::TouchP50 => "touch-p50",
            Metric::TouchP90 => "touch-p90",
            Metric::SlaCompliance => "sla",
            Metric::Escalations => "escalations",
            Metric::Reassignments => "reassignments",
            Metric::PipelinePerAccepted => "pipeline-per-accepted",
            Metric::MarketingPipeline => "marketing-pipeline",
        }
    }

    pub fn unit(self) -> Unit {
        match self {
            Metric::Acceptance | Metric::Coverage | Metric::SlaCompliance => Unit::Percent,
            Metric::TouchP50 | Metric::TouchP90 | Metric::AcceptP50 | Metric::AcceptP90 => {
                Unit::Duration
            }
            Metric::Handoffs | Metric::Escalations | Metric::Reassignments => Unit::Count,
            Metric::PipelinePerAccepted | Metric::MarketingPipeline => Unit::Money,
        }
    }

    /// Whether a rise is good news (`None`: neither, e.g. volume).
    pub fn higher_is_better(self) -> Option<bool> {
        match self {
            Metric::Handoffs => None,
            Metric::TouchP50
            | Metric::TouchP90
            | Metric::AcceptP50
            | Metric::AcceptP90
            | Metric::Escalations
            | Metric::Reassignments => Some(false),
            _ => Some(true),
        }
    }

    /// The figure of week `w`; `None` when it has nothing to divide by or nothing to measure.
    pub fn value(self, w: &WeekFigures) -> Option<f64> {
        let k = &w.kpis;
        match self {
            Metric::Handoffs => Some(k.handoffs as f64),
            Metric::Acceptance => k.acceptance.value,
            Metric::AcceptP50 => k.time_to_accept.p50_ms.map(|ms| ms as f64),
            Metric::AcceptP90 => k.time_to_accept.p90_ms.map(|ms| ms as f64),
            Metric::Coverage => k.coverage.value,
            Metric::TouchP50 => k.first_touch.p50_ms.map(|ms| ms as f64),
            Metric::TouchP90 => k.first_touch.p90_ms.map(|ms| ms as f64),
            Metric::SlaCompliance => k.sla.compliance.value,
            Metric::Escalations => Some(k.escalations as f64),
            Metric::Reassignments => Some(k.reassignments as f64),
            Metric::PipelinePerAccepted => w.pipeline.per_accepted,
            Metric::MarketingPipeline => (w.pipeline.deals > 0).then_some(w.pipeline.sum),
        }
    }

    /// What stands behind the figure, or why there is none.
    pub fn detail(self, w: &WeekFigures) -> String {
        let k = &w.kpis;
        let ratio = |r: &crate::report::Ratio, of: &str, none: &str| {
            if r.den == 0 {
                none.to_owned()
            } else {
                format!("{} of {} {of}", r.num, r.den)
            }
        };
        match self {
            Metric::Handoffs => format!("{} leads decided, {} open", w.leads.total, k.open),
            Metric::Acceptance => ratio(&k.acceptance, "with a disposition", "no dispositions"),
            Metric::AcceptP50 | Metric::AcceptP90 if k.time_to_accept.accepted == 0 => {
                "nothing accepted yet".into()
            }
            Metric::AcceptP50 | Metric::AcceptP90 => {
                format!("{} accepted", k.time_to_accept.accepted)
            }
            Metric::Coverage => ratio(&k.coverage, "ready leads have an owner", "no ready leads"),
            Metric::TouchP50 | Metric::TouchP90 if k.first_touch.touched == 0 => {
                "no touches yet".into()
            }
            Metric::TouchP50 | Metric::TouchP90 => format!("{} touched", k.first_touch.touched),
            Metric::SlaCompliance => {
                let base = ratio(&k.sla.compliance, "met", "nothing due or touched");
                format!("{base}; {} not yet due", k.sla.pending)
            }
            Metric::Escalations => format!("over {} handoffs", k.handoffs),
            Metric::Reassignments => format!("over {} handoffs", k.handoffs),
            Metric::PipelinePerAccepted | Metric::MarketingPipeline if w.pipeline.deals == 0 => {
                "no accepted lead with a deal amount".into()
            }
            Metric::PipelinePerAccepted | Metric::MarketingPipeline => {
                format!("{} accepted leads with a deal", w.pipeline.deals)
            }
        }
    }
}

/// `v` as the unit writes it; `n/a` for none.
pub fn format(unit: Unit, v: Option<f64>) -> String {
    let Some(v) = v.filter(|v| v.is_finite()) else {
        return "n/a".into();
    };
    match unit {
        Unit::Percent => format!("{:.1}%", v * 100.0),
        Unit::Duration => human_ms(v.round() as i64),
        Unit::Count => thousands(v.round() as i64),
        Unit::Money => thousands(v.round() as i64),
    }
}

/// The change from `before` to `now` as the unit writes it (`+4.2 pts`, `−12m 00s`, `+3`);
/// `None` when either is missing.
pub fn change(unit: Unit, now: Option<f64>, before: Option<f64>) -> Option<(f64, String)> {
    let delta = now? - before?;
    if !delta.is_finite() {
        return None;
    }
    let sign = if delta > 0.0 {
        "+"
    } else if delta < 0.0 {
        "\u{2212}"
    } else {
        "\u{b1}"
    };
    let size = delta.abs();
    let text = match unit {
        Unit::Percent => format!("{sign}{:.1} pts", size * 100.0),
        _ => format!("{sign}{}", format(unit, Some(size))),
    };
    Some((delta, text))
}

/// `12345678` → `12,345,678`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("\u{2212}{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_written_in_their_unit_and_none_reads_n_a() {
        assert_eq!(format(Unit::Percent, Some(1.0 / 3.0)), "33.3%");
        assert_eq!(format(Unit::Duration, Some(600_000.0)), "10m 00s");
        assert_eq!(format(Unit::Money, Some(1_234_567.4)), "1,234,567");
        assert_eq!(format(Unit::Count, Some(0.0)), "0");
        assert_eq!(format(Unit::Percent, None), "n/a");
        assert_eq!(format(Unit::Percent, Some(f64::NAN)), "n/a");
    }

    #[test]
    fn a_change_needs_both_weeks_and_percentages_move_in_points() {
        assert_eq!(
            change(Unit::Percent, Some(0.5), Some(0.25)).map(|c| c.1),
            Some("+25.0 pts".into())
        );
        assert_eq!(
            change(Unit::Duration, Some(60_000.0), Some(660_000.0)).map(|c| c.1),
            Some("\u{2212}10m 00s".into())
        );
        assert_eq!(
            change(Unit::Count, Some(3.0), Some(3.0)).map(|c| c.1),
            Some("\u{b1}0".into())
        );
        assert_eq!(change(Unit::Percent, Some(0.5), None), None);
        assert_eq!(change(Unit::Percent, None, Some(0.5)), None);
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(-12_000), "\u{2212}12,000");
    }
}
