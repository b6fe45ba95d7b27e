//! SLA breaches: a first-touch deadline that passed without a touch, counted once per
//! assignment on `handoff_pipeline_sla_breaches_total{tier}`.
//!
//! Two places can see a breach: the SLA check of the first ladder step at or after the due
//! time (the lead is still untouched, or was touched only after that step's time), and a first
//! touch recorded after the due time but before that step's time (the step's check then finds
//! the touch and counts nothing). Splitting at the step's time, not at whoever runs first,
//! keeps the count at one per assignment even when checks run late behind a queue. A ladder
//! without a step at or after the due time leaves late touches as the only signal; a lead that
//! is never touched then shows in `handoff_kpi_sla_missed` only.

use super::stored::StoredPlan;
use crate::metrics::pipeline::{PipelineMetrics, TierLabel};
use crate::store::ledger::HandoffRow;

/// `(index, at_ms)` of the first ladder step due at or after the SLA's due time.
fn first_overdue_step(row: &HandoffRow) -> Option<(usize, i64)> {
    let due = row.sla_due_at_ms?;
    StoredPlan::of(row)
        .ladder
        .iter()
        .enumerate()
        .find(|(_, step)| step.at_ms >= due)
        .map(|(i, step)| (i, step.at_ms))
}

/// A first touch at `touched_at_ms` is the breach to count: late, and before the time of the
/// first overdue step (whose check would otherwise count it).
pub(crate) fn late_touch_counts(row: &HandoffRow, touched_at_ms: i64) -> bool {
    let Some(due) = row.sla_due_at_ms else {
        return false;
    };
    touched_at_ms > due && first_overdue_step(row).is_none_or(|(_, at)| touched_at_ms < at)
}

/// The check of ladder step `step` counts the breach: it is the first step at or after the
/// due time, and the lead had no touch by then (or a late one, at or after that step's time).
pub(crate) fn overdue_check_counts(
    row: &HandoffRow,
    step: usize,
    touched_at_ms: Option<i64>,
) -> bool {
    let (Some(due), Some((first, at))) = (row.sla_due_at_ms, first_overdue_step(row)) else {
        return false;
    };
    first == step && touched_at_ms.is_none_or(|t| t > due && t >= at)
}

/// Counts the assignment's breach (once: the callers decide whose it is).
pub(crate) fn count(metrics: &PipelineMetrics, row: &HandoffRow) {
    let tier = row.sla_tier.clone().unwrap_or_else(|| "none".into());
    metrics
        .sla_breaches
        .get_or_create(&TierLabel { tier })
        .inc();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::SlaAction;
    use crate::worker::pipeline::stored::StoredStep;

    const DUE: i64 = 10_000;

    /// Remind at 50 %, escalate at due, reassign at due + 1000 ms.
    fn row(ladder: &[(SlaAction, i64)]) -> HandoffRow {
        let plan = StoredPlan {
            ladder: ladder
                .iter()
                .map(|&(action, at_ms)| StoredStep { action, at_ms })
                .collect(),
            ..StoredPlan::default()
        };
        HandoffRow {
            sla_plan: serde_json::to_string(&plan).ok(),
            ..HandoffRow::example()
        }
    }

    fn default_ladder() -> HandoffRow {
        row(&[
            (SlaAction::Remind, DUE / 2),
            (SlaAction::Escalate, DUE),
            (SlaAction::Reassign, DUE + 1_000),
        ])
    }

    /// How many times one assignment is counted: the touch (if any) and every check that runs.
    fn counted(r: &HandoffRow, touched_at: Option<i64>) -> usize {
        let by_touch = touched_at.is_some_and(|t| late_touch_counts(r, t));
        let by_checks = (0..3)
            .filter(|&step| overdue_check_counts(r, step, touched_at))
            .count();
        usize::from(by_touch) + by_checks
    }

    #[test]
    fn a_touch_in_time_is_no_breach() {
        let r = default_ladder();
        assert_eq!(counted(&r, Some(DUE / 3)), 0);
        assert_eq!(counted(&r, Some(DUE)), 0, "at the due time is in time");
    }

    #[test]
    fn a_late_or_missing_touch_is_one_breach_whoever_sees_it() {
        let r = default_ladder();
        assert_eq!(counted(&r, Some(DUE + 1)), 1);
        assert_eq!(counted(&r, Some(DUE + 5_000)), 1);
        assert_eq!(counted(&r, None), 1);
    }

    #[test]
    fn the_first_step_at_or_after_the_due_time_is_the_one_that_counts() {
        let r = default_ladder();
        assert!(overdue_check_counts(&r, 1, None), "escalate at due");
        assert!(
            !overdue_check_counts(&r, 0, None),
            "the reminder is before due"
        );
        assert!(!overdue_check_counts(&r, 2, None), "reassign comes after");
        assert!(
            !overdue_check_counts(&r, usize::MAX, None),
            "close the loop is not about the first touch"
        );
    }

    #[test]
    fn a_touch_between_due_and_the_check_is_counted_by_the_touch() {
        let r = row(&[
            (SlaAction::Remind, DUE / 2),
            (SlaAction::Reassign, DUE + 1_000),
        ]);
        assert!(late_touch_counts(&r, DUE + 500));
        assert!(!overdue_check_counts(&r, 1, Some(DUE + 500)));
        assert!(!late_touch_counts(&r, DUE + 1_500), "the check counted it");
        assert!(overdue_check_counts(&r, 1, Some(DUE + 1_500)));
    }

    #[test]
    fn without_an_overdue_step_only_a_late_touch_counts() {
        let r = row(&[(SlaAction::Remind, DUE / 2)]);
        assert_eq!(counted(&r, Some(DUE + 1)), 1);
        assert_eq!(counted(&r, None), 0);
    }

    #[test]
    fn a_handoff_without_an_sla_never_breaches() {
        let mut r = default_ladder();
        r.sla_due_at_ms = None;
        assert_eq!(counted(&r, Some(DUE * 10)), 0);
        assert_eq!(counted(&r, None), 0);
    }
}
