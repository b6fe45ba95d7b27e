//! The KPIs of one set of ledger rows, computed without I/O: the same rows always give the same
//! numbers, and a KPI with nothing to divide by is `None` ("n/a"), never a division by zero.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::store::ledger::{KpiHandoff, ReadyLead};

/// A share with its parts, so a reader sees "3 of 4" behind "75%".
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Ratio {
    pub num: u64,
    pub den: u64,
    /// `num / den`; `None` when `den` is 0.
    pub value: Option<f64>,
}

impl Ratio {
    pub fn new(num: u64, den: u64) -> Self {
        let value = (den > 0).then(|| num as f64 / den as f64);
        Self { num, den, value }
    }
}

/// Time from handoff to the first sales touch, over touched handoffs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FirstTouch {
    pub touched: u64,
    pub p50_ms: Option<i64>,
    pub p90_ms: Option<i64>,
}

/// Time from handoff to its acceptance (the disposition's time), over accepted handoffs
/// that have one, whichever channel accepted them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TimeToAccept {
    pub accepted: u64,
    pub p50_ms: Option<i64>,
    pub p90_ms: Option<i64>,
}

/// Which channel accepted the accepted handoffs: a Slack alert's **Accept** button, or
/// HubSpot's contact status / lead stage (older rows, recorded before the channel was, count
/// as HubSpot). Each share is of all accepted handoffs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AcceptedVia {
    pub slack: Ratio,
    pub hubspot: Ratio,
}

impl AcceptedVia {
    pub(crate) fn new(slack: u64, accepted: u64) -> Self {
        Self {
            slack: Ratio::new(slack, accepted),
            hubspot: Ratio::new(accepted.saturating_sub(slack), accepted),
        }
    }
}

/// SLA outcomes of handoffs that have an SLA.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sla {
    /// Touched before the SLA was due.
    pub met: u64,
    /// Touched late, or not touched and past due.
    pub missed: u64,
    /// Not touched and not yet due: not counted either way.
    pub pending: u64,
    /// `met / (met + missed)`.
    pub compliance: Ratio,
}

/// One disposition outcome with its reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DispositionCount {
    pub disposition: String,
    pub count: u64,
    /// Count per reason; `(none)` when sales gave none.
    pub reasons: BTreeMap<String, u64>,
}

/// Deal amounts of accepted handoffs from one source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourcePipeline {
    pub source: String,
    /// Accepted handoffs with a deal amount.
    pub deals: u64,
    pub sum: f64,
    pub mean: f64,
}

/// Every KPI of one group of handoffs (or all of them).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kpis {
    /// Open and closed handoffs; merged ones are counted apart and left out of every KPI.
    pub handoffs: u64,
    pub open: u64,
    pub closed: u64,
    pub merged: u64,
    /// Accepted ÷ handoffs with a disposition.
    pub acceptance: Ratio,
    /// Disposition − handoff of accepted handoffs.
    pub time_to_accept: TimeToAccept,
    /// Accepted handoffs by channel; `None` where Slack alerts were never used (see
    /// [`Kpis::forget_slack`]), so a portal without them reads nothing about Slack.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted_via: Option<AcceptedVia>,
    /// Ready leads with an owner in the ledger ÷ ready leads.
    pub coverage: Ratio,
    pub first_touch: FirstTouch,
    pub sla: Sla,
    pub escalations: i64,
    pub reassignments: i64,
    pub dispositions: Vec<DispositionCount>,
    /// Only sources with at least one accepted handoff that has a deal amount.
    pub pipeline: Vec<SourcePipeline>,
}

/// What a missing segment value is shown as.
pub const NONE: &str = "(none)";

/// The `p`-th percentile (0 < p ≤ 1) by nearest rank: the smallest value with at least `p` of
/// the values at or below it. `values` must be sorted; `None` when empty.
pub fn percentile(values: &[i64], p: f64) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    let rank = (p * values.len() as f64).ceil() as usize;
    values.get(rank.clamp(1, values.len()) - 1).copied()
}

impl Kpis {
    /// The KPIs of `handoffs` and `ready` leads; SLAs due at or before `now_ms` count.
    pub fn compute(handoffs: &[&KpiHandoff], ready: &[&ReadyLead], now_ms: i64) -> Self {
        let merged = handoffs.iter().filter(|h| h.status == "merged").count() as u64;
        let live: Vec<&KpiHandoff> = handoffs
            .iter()
            .copied()
            .filter(|h| h.status != "merged")
            .collect();
        let count = |f: &dyn Fn(&KpiHandoff) -> bool| live.iter().filter(|h| f(h)).count() as u64;
        let disposed = count(&|h| h.disposition.is_some());
        let accepted = count(&|h| h.disposition.as_deref() == Some("accepted"));
        let via_slack = count(&|h| {
            h.disposition.as_deref() == Some("accepted")
                && h.disposition_via.as_deref() == Some("slack")
        });
        let owned = ready.iter().filter(|r| r.owner_id.is_some()).count() as u64;
        Self {
            handoffs: live.len() as u64,
            open: count(&|h| h.status == "open"),
            closed: count(&|h| h.status == "closed"),
            merged,
            acceptance: Ratio::new(accepted, disposed),
            time_to_accept: time_to_accept(&live),
            accepted_via: Some(AcceptedVia::new(via_slack, accepted)),
            coverage: Ratio::new(owned, ready.len() as u64),
            first_touch: first_touch(&live),
            sla: sla(&live, now_ms),
            escalations: live.iter().map(|h| h.escalations).sum(),
            reassignments: live.iter().map(|h| h.reassignments).sum(),
            dispositions: dispositions(&live),
            pipeline: pipeline(&live),
        }
    }

    /// Takes away what these KPIs say about Slack, for a ledger that never used Slack alerts.
    pub(crate) fn forget_slack(&mut self) {
        self.accepted_via = None;
    }

    /// Whether a Slack button accepted any of these handoffs.
    pub(crate) fn accepted_in_slack(&self) -> bool {
        self.accepted_via.is_some_and(|v| v.slack.num > 0)
    }
}

fn time_to_accept(live: &[&KpiHandoff]) -> TimeToAccept {
    let mut waits: Vec<i64> = live
        .iter()
        .filter(|h| h.disposition.as_deref() == Some("accepted"))
        .filter_map(|h| h.disposition_at_ms.map(|t| (t - h.handed_off_at_ms).max(0)))
        .collect();
    waits.sort_unstable();
    TimeToAccept {
        accepted: waits.len() as u64,
        p50_ms: percentile(&waits, 0.5),
        p90_ms: percentile(&waits, 0.9),
    }
}

fn first_touch(live: &[&KpiHandoff]) -> FirstTouch {
    let mut waits: Vec<i64> = live
        .iter()
        .filter_map(|h| h.first_touch_at_ms.map(|t| (t - h.handed_off_at_ms).max(0)))
        .collect();
    waits.sort_unstable();
    FirstTouch {
        touched: waits.len() as u64,
        p50_ms: percentile(&waits, 0.5),
        p90_ms: percentile(&waits, 0.9),
    }
}

fn sla(live: &[&KpiHandoff], now_ms: i64) -> Sla {
    let (mut met, mut missed, mut pending) = (0, 0, 0);
    for h in live {
        let Some(due) = h.sla_due_at_ms else { continue };
        match (h.first_touch_at_ms, h.sla_met) {
            (Some(_), Some(1)) => met += 1,
            (Some(_), _) => missed += 1,
            (None, _) if due <= now_ms => missed += 1,
            (None, _) => pending += 1,
        }
    }
    Sla {
        met,
        missed,
        pending,
        compliance: Ratio::new(met, met + missed),
    }
}

fn dispositions(live: &[&KpiHandoff]) -> Vec<DispositionCount> {
    let mut by: BTreeMap<&str, DispositionCount> = BTreeMap::new();
    for h in live {
        let Some(d) = h.disposition.as_deref() else {
            continue;
        };
        let entry = by.entry(d).or_insert_with(|| DispositionCount {
            disposition: d.to_owned(),
            count: 0,
            reasons: BTreeMap::new(),
        });
        entry.count += 1;
        let reason = h.disposition_reason.as_deref().unwrap_or(NONE);
        *entry.reasons.entry(reason.to_owned()).or_default() += 1;
    }
    order_dispositions(by.into_values().collect())
}

/// The canonical outcomes first, in funnel order; anything else after, by name.
pub(crate) fn order_dispositions(mut out: Vec<DispositionCount>) -> Vec<DispositionCount> {
    let order = |d: &str| match d {
        "accepted" => 0,
        "nurture" => 1,
        "disqualified" => 2,
        _ => 3,
    };
    out.sort_by(|a, b| {
        (order(&a.disposition), &a.disposition).cmp(&(order(&b.disposition), &b.disposition))
    });
    out
}

fn pipeline(live: &[&KpiHandoff]) -> Vec<SourcePipeline> {
    let mut by: BTreeMap<&str, (u64, f64)> = BTreeMap::new();
    for h in live {
        if let (Some("accepted"), Some(amount)) = (h.disposition.as_deref(), h.deal_amount) {
            let e = by.entry(h.source.as_deref().unwrap_or(NONE)).or_default();
            e.0 += 1;
            e.1 += amount;
        }
    }
    by.into_iter()
        .map(|(source, (deals, sum))| SourcePipeline {
            source: source.to_owned(),
            deals,
            sum,
            mean: sum / deals as f64,
        })
        .collect()
}

#[cfg(test)]
#[path = "kpi_tests.rs"]
mod tests;
