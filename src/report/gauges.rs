//! The scoreboard as Prometheus gauges: the last 7 and 30 days (`window` label), recomputed at
//! most every 30 s when `/metrics` is scraped. One 30-day load of handoffs serves both windows.
//! The unassigned-lead count comes with them (the last 30 days of ready decisions).

use super::ReportError;
use super::board::{LedgerRows, Scoreboard};
use super::window::Window;
use crate::metrics::Metrics;
use crate::metrics::kpi::{KpiMetrics, QuantileLabel, StageLabel, WindowLabel, WindowOutcomeLabel};
use crate::store::Store;

/// How often the gauges are recomputed at most.
pub const REFRESH_EVERY_MS: i64 = 30_000;

/// The windows the gauges cover, longest first.
const WINDOW_DAYS: [i64; 2] = [30, 7];

/// How long a ready lead may take to get its owner's task before it counts as unassigned:
/// the pipeline normally needs seconds; this leaves room for a retry or a short cooldown.
pub const UNASSIGNED_GRACE_MS: i64 = 5 * 60_000;

/// Recomputes the KPI gauges if the last refresh is older than [`REFRESH_EVERY_MS`]. On a store
/// error the gauges keep their last values (`handoff_kpi_computed_timestamp_seconds` ages).
pub async fn refresh_gauges(
    store: &Store,
    metrics: &Metrics,
    now_ms: i64,
) -> Result<(), ReportError> {
    if !metrics.kpi.claim_refresh(now_ms, REFRESH_EVERY_MS) {
        return Ok(());
    }
    let since_longest = Window::days(WINDOW_DAYS[0]).since_ms(now_ms);
    let handoffs = store.kpis().handoffs_since(since_longest).await?;
    let mut boards = Vec::with_capacity(WINDOW_DAYS.len());
    for days in WINDOW_DAYS {
        let window = Window::days(days);
        let since = window.since_ms(now_ms);
        let rows = LedgerRows {
            handoffs: handoffs
                .iter()
                .filter(|h| h.handed_off_at_ms >= since)
                .cloned()
                .collect(),
            ready: store.kpis().ready_leads_since(since).await?,
            leads: store.kpis().lead_outcomes_since(since).await?,
        };
        boards.push(Scoreboard::build(&rows, &window, None, now_ms));
    }
    let unassigned = store
        .kpis()
        .unassigned_leads(since_longest, now_ms - UNASSIGNED_GRACE_MS)
        .await?;
    metrics.kpi.clear();
    for board in &boards {
        set(&metrics.kpi, board);
    }
    for (stage, leads) in [
        ("not_handed_off", unassigned.not_handed_off),
        ("decided", unassigned.decided),
        ("contact_written", unassigned.contact_written),
    ] {
        let label = StageLabel { stage };
        metrics
            .kpi
            .unassigned_leads
            .get_or_create(&label)
            .set(leads);
    }
    metrics.kpi.computed_at_seconds.set(now_ms as f64 / 1000.0);
    Ok(())
}

fn set(m: &KpiMetrics, board: &Scoreboard) {
    let window = || WindowLabel {
        window: board.window.clone(),
    };
    let k = &board.total;
    m.handoffs.get_or_create(&window()).set(as_i64(k.handoffs));
    m.open_handoffs.get_or_create(&window()).set(as_i64(k.open));
    m.escalations.get_or_create(&window()).set(k.escalations);
    m.sla_missed
        .get_or_create(&window())
        .set(as_i64(k.sla.missed));
    m.reassignments
        .get_or_create(&window())
        .set(k.reassignments);
    for (family, ratio) in [
        (&m.acceptance_ratio, &k.acceptance),
        (&m.assignment_coverage_ratio, &k.coverage),
        (&m.sla_compliance_ratio, &k.sla.compliance),
    ] {
        if let Some(v) = ratio.value {
            family.get_or_create(&window()).set(v);
        }
    }
    let (touch, accept) = (&k.first_touch, &k.time_to_accept);
    for (family, quantile, ms) in [
        (&m.first_touch_seconds, "0.5", touch.p50_ms),
        (&m.first_touch_seconds, "0.9", touch.p90_ms),
        (&m.time_to_accept_seconds, "0.5", accept.p50_ms),
        (&m.time_to_accept_seconds, "0.9", accept.p90_ms),
    ] {
        if let Some(ms) = ms {
            let label = QuantileLabel {
                window: board.window.clone(),
                quantile,
            };
            family.get_or_create(&label).set(ms as f64 / 1000.0);
        }
    }
    let outcome = |outcome: &str| WindowOutcomeLabel {
        window: board.window.clone(),
        outcome: outcome.to_owned(),
    };
    for (o, n) in &board.leads.by_outcome {
        m.leads.get_or_create(&outcome(o)).set(as_i64(*n));
    }
    for d in &k.dispositions {
        m.dispositions
            .get_or_create(&outcome(&d.disposition))
            .set(as_i64(d.count));
    }
}

fn as_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
