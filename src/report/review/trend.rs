//! The trend weeks' figures from the store's totals (`Kpis::trend_totals`) instead of their
//! rows: the same [`WeekFigures`] `Kpis::compute` and `LeadCounts::from_rows` give, folded
//! from counts the engine made. Only the reviewed week, whose segments and routing need row
//! detail, is still read as rows.

use std::collections::BTreeMap;

use super::model::{Pipeline, WeekFigures};
use super::week::Week;
use crate::report::kpi::{
    AcceptedVia, DispositionCount, FirstTouch, Kpis, NONE, Ratio, Sla, SourcePipeline,
    TimeToAccept, order_dispositions,
};
use crate::report::leads::LeadCounts;
use crate::store::ledger::{HandoffTotals, TrendTotals};

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The figures of each of `weeks` (in the order the totals were asked for).
pub(crate) fn figures(weeks: &[Week], totals: &TrendTotals) -> Vec<WeekFigures> {
    weeks
        .iter()
        .enumerate()
        .map(|(i, week)| {
            let i = i as i64;
            let kpis = kpis(i, totals);
            WeekFigures {
                week: week.clone(),
                leads: leads(i, totals),
                pipeline: Pipeline::of(&kpis),
                kpis,
            }
        })
        .collect()
}

fn leads(i: i64, totals: &TrendTotals) -> LeadCounts {
    let mut out = LeadCounts::default();
    for (_, outcome, leads, decisions) in totals.leads.iter().filter(|r| r.0 == i) {
        out.total += count(*leads);
        out.decisions += count(*decisions);
        *out.by_outcome.entry(outcome.clone()).or_default() += count(*leads);
    }
    out
}

fn kpis(i: i64, totals: &TrendTotals) -> Kpis {
    let h = totals
        .handoffs
        .iter()
        .find(|h| h.week == i)
        .cloned()
        .unwrap_or_default();
    let (ready, owned) = totals
        .coverage
        .iter()
        .find(|c| c.0 == i)
        .map_or((0, 0), |c| (c.1, c.2));
    let (met, missed) = (count(h.sla_met), count(h.sla_missed));
    Kpis {
        handoffs: count(h.handoffs),
        open: count(h.open),
        closed: count(h.closed),
        merged: count(h.merged),
        acceptance: Ratio::new(count(h.accepted), count(h.disposed)),
        time_to_accept: time_to_accept(i, totals),
        accepted_via: Some(AcceptedVia::new(
            count(h.accepted_via_slack),
            count(h.accepted),
        )),
        coverage: Ratio::new(count(owned), count(ready)),
        first_touch: first_touch(i, &h, totals),
        sla: Sla {
            met,
            missed,
            pending: count(h.sla_pending),
            compliance: Ratio::new(met, met + missed),
        },
        escalations: h.escalations,
        reassignments: h.reassignments,
        dispositions: dispositions(i, totals),
        pipeline: pipeline(i, totals),
    }
}

fn first_touch(i: i64, h: &HandoffTotals, totals: &TrendTotals) -> FirstTouch {
    let touched = count(h.touched);
    let (p50_ms, p90_ms) = ranked(i, touched, &totals.waits);
    FirstTouch {
        touched,
        p50_ms,
        p90_ms,
    }
}

/// The week's accept waits carry how many there are (`n`); none means nothing was accepted.
fn time_to_accept(i: i64, totals: &TrendTotals) -> TimeToAccept {
    let of_week = totals.accept_waits.iter().find(|w| w.0 == i);
    let accepted = of_week.map_or(0, |w| count(w.3));
    let (p50_ms, p90_ms) = ranked(i, accepted, &totals.accept_waits);
    TimeToAccept {
        accepted,
        p50_ms,
        p90_ms,
    }
}

/// p50 and p90 of week `i`'s `n` ranked `waits` (`(week, wait_ms, rank, n)`) by nearest rank,
/// as `kpi::percentile` picks them from the sorted waits.
fn ranked(i: i64, n: u64, waits: &[(i64, i64, i64, i64)]) -> (Option<i64>, Option<i64>) {
    let at = |p: f64| {
        let rank = (p * n as f64).ceil() as i64;
        waits
            .iter()
            .find(|w| w.0 == i && w.2 == rank.max(1))
            .map(|w| w.1)
    };
    (at(0.5), at(0.9))
}

fn dispositions(i: i64, totals: &TrendTotals) -> Vec<DispositionCount> {
    let mut by: BTreeMap<&str, DispositionCount> = BTreeMap::new();
    for (_, d, reason, n) in totals.dispositions.iter().filter(|r| r.0 == i) {
        let entry = by.entry(d).or_insert_with(|| DispositionCount {
            disposition: d.clone(),
            count: 0,
            reasons: BTreeMap::new(),
        });
        entry.count += count(*n);
        let reason = reason.as_deref().unwrap_or(NONE);
        *entry.reasons.entry(reason.to_owned()).or_default() += count(*n);
    }
    order_dispositions(by.into_values().collect())
}

fn pipeline(i: i64, totals: &TrendTotals) -> Vec<SourcePipeline> {
    let mut by: BTreeMap<&str, (u64, f64)> = BTreeMap::new();
    for (_, source, deals, sum) in totals.pipeline.iter().filter(|r| r.0 == i) {
        let e = by.entry(source.as_deref().unwrap_or(NONE)).or_default();
        e.0 += count(*deals);
        e.1 += sum;
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
