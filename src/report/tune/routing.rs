//! Routing in the tuning report: per pool and per owner, the handed-off leads, their
//! acceptance and time to first touch (p50 by nearest rank, touched leads only).

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Lead, Outcomes};
use crate::report::percentile;
use crate::store::ledger::DecisionFactRow;

/// One pool or owner.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RouteRow {
    pub name: String,
    pub outcomes: Outcomes,
    /// Handed-off leads touched so far.
    pub touched: u64,
    /// Median time from handoff to first touch; none when nothing was touched.
    pub touch_p50_ms: Option<i64>,
}

/// Handed-off leads grouped by `key` (leads without one are left out), by name.
pub(crate) fn by<'r, K: Ord + ToString>(
    leads: &[Lead<'r>],
    key: impl Fn(&'r DecisionFactRow) -> Option<K>,
) -> Vec<RouteRow> {
    let mut groups: BTreeMap<K, (Outcomes, Vec<i64>)> = BTreeMap::new();
    for l in leads.iter().filter(|l| l.handed_off) {
        let Some(name) = key(l.row) else { continue };
        let (outcomes, waits) = groups.entry(name).or_default();
        outcomes.add(l);
        if let (Some(touch), Some(at)) = (l.row.first_touch_at_ms, l.row.handed_off_at_ms) {
            waits.push(touch.saturating_sub(at).max(0));
        }
    }
    let mut rows: Vec<RouteRow> = groups
        .into_iter()
        .map(|(name, (outcomes, mut waits))| {
            waits.sort_unstable();
            RouteRow {
                name: name.to_string(),
                outcomes,
                touched: waits.len() as u64,
                touch_p50_ms: percentile(&waits, 0.5),
            }
        })
        .collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    rows
}
