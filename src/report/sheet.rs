//! The scoreboard as a spreadsheet reads it: CSV, one row per group, a KPI with nothing to
//! divide by an empty cell.

use std::fmt::Write as _;

use super::board::Scoreboard;
use super::kpi::{Kpis, Ratio};
use super::render::money;

const CSV_HEADER: &str = "group,handoffs,open,closed,merged,with_disposition,accepted,\
acceptance_ratio,ready_leads,ready_with_owner,assignment_coverage_ratio,touched,\
first_touch_p50_seconds,first_touch_p90_seconds,sla_met,sla_missed,sla_pending,\
sla_compliance_ratio,escalations,reassignments,disposition_accepted,disposition_nurture,\
disposition_disqualified,deals,pipeline_sum,pipeline_per_accepted_lead,leads_handed_off,\
leads_not_ready,leads_disqualified,decisions,time_to_accept_accepted,\
time_to_accept_p50_seconds,time_to_accept_p90_seconds";

/// One row per group (`(all)` without `--by`); lead counts only on `(all)`, since a lead that
/// was not handed off belongs to no group. Columns added later go at the end, so a sheet that
/// reads them by position keeps working; Slack's figures are not per group and stay out.
pub(super) fn csv(board: &Scoreboard) -> String {
    let mut out = format!("{CSV_HEADER}\n");
    if board.by.is_none() {
        let l = &board.leads;
        let decided = [
            l.with("handed_off"),
            l.with("not_ready"),
            l.with("disqualified"),
            l.decisions,
        ];
        csv_row(&mut out, "(all)", &board.total, Some(decided));
    }
    for g in &board.groups {
        csv_row(&mut out, &g.key, &g.kpis, None);
    }
    out
}

fn csv_row(out: &mut String, key: &str, k: &Kpis, decided: Option<[u64; 4]>) {
    let ratio = |r: &Ratio| r.value.map(|v| format!("{v:.4}")).unwrap_or_default();
    let secs = |ms: Option<i64>| {
        ms.map(|ms| format!("{:.3}", ms as f64 / 1000.0))
            .unwrap_or_default()
    };
    let disposed = |name: &str| {
        let n = k
            .dispositions
            .iter()
            .find(|d| d.disposition == name)
            .map_or(0, |d| d.count);
        n.to_string()
    };
    let [deals, sum_cell, mean_cell] = pipeline_cells(k);
    let decided = decided
        .map(|d| d.map(|n| n.to_string()))
        .unwrap_or_default();
    let cells = [
        quote(key),
        k.handoffs.to_string(),
        k.open.to_string(),
        k.closed.to_string(),
        k.merged.to_string(),
        k.acceptance.den.to_string(),
        k.acceptance.num.to_string(),
        ratio(&k.acceptance),
        k.coverage.den.to_string(),
        k.coverage.num.to_string(),
        ratio(&k.coverage),
        k.first_touch.touched.to_string(),
        secs(k.first_touch.p50_ms),
        secs(k.first_touch.p90_ms),
        k.sla.met.to_string(),
        k.sla.missed.to_string(),
        k.sla.pending.to_string(),
        ratio(&k.sla.compliance),
        k.escalations.to_string(),
        k.reassignments.to_string(),
        disposed("accepted"),
        disposed("nurture"),
        disposed("disqualified"),
        deals,
        sum_cell,
        mean_cell,
    ];
    let accept = [
        k.time_to_accept.accepted.to_string(),
        secs(k.time_to_accept.p50_ms),
        secs(k.time_to_accept.p90_ms),
    ];
    let _ = writeln!(
        out,
        "{},{},{}",
        cells.join(","),
        decided.join(","),
        accept.join(",")
    );
}

/// Deals, their sum and the mean per accepted lead over every source; empty without deals.
fn pipeline_cells(k: &Kpis) -> [String; 3] {
    let deals: u64 = k.pipeline.iter().map(|p| p.deals).sum();
    let sum: f64 = k.pipeline.iter().map(|p| p.sum).sum();
    if deals == 0 {
        return ["0".into(), String::new(), String::new()];
    }
    [deals.to_string(), money(sum), money(sum / deals as f64)]
}

/// A CSV field, quoted when it holds a comma, quote or line break.
fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}
