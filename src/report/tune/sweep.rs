//! The threshold sweep: for candidate thresholds around the playbook's, the leads that would
//! have been handed off (scored at least the threshold and not disqualified by the engine —
//! other readiness requirements are not replayed here; `handoff simulate` replays them), with
//! acceptance and pipeline among those that were handed off and got a disposition.

use serde::Serialize;

use super::{Lead, Outcomes};

/// Points between candidate thresholds.
pub const STEP: i64 = 5;
/// Candidates on each side of the playbook's threshold.
pub const SIDE: i64 = 3;

/// One candidate threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepRow {
    pub threshold: i64,
    /// Whether this is the playbook's threshold.
    pub current: bool,
    /// Leads scoring at least `threshold` (and not disqualified by the engine).
    pub would_hand_off: u64,
    /// Of them, what became of those handed off.
    pub outcomes: Outcomes,
}

/// Candidates `threshold ± k·STEP` for `k` up to `SIDE` (none below 0), lowest first.
pub(crate) fn sweep(leads: &[Lead<'_>], threshold: i64) -> Vec<SweepRow> {
    (-SIDE..=SIDE)
        .map(|k| threshold + k * STEP)
        .filter(|t| *t >= 0)
        .map(|t| {
            let mut outcomes = Outcomes::default();
            let mut would = 0;
            for l in leads
                .iter()
                .filter(|l| l.score >= t && l.row.outcome != "disqualified")
            {
                would += 1;
                if l.handed_off {
                    outcomes.add(l);
                }
            }
            SweepRow {
                threshold: t,
                current: t == threshold,
                would_hand_off: would,
                outcomes,
            }
        })
        .collect()
}
