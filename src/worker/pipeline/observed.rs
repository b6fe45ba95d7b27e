//! What sales did, recorded: a handed-off contact's first touch (which stops the SLA ladder
//! and may be the assignment's breach), its disposition and its deal amount, as read by the
//! batch from the contact, by an SLA check, or from a lead's stage (`lead_stages.rs`).

use super::Run;
use super::touch::{self, Observed};
use crate::engine;
use crate::jobs::SlaAction;
use crate::metrics::pipeline::OutcomeLabel;
use crate::store::ledger::{HandoffRow, Step};

/// A handed-off contact changed: record its first touch and disposition. `changed_at_ms`: when
/// a disposition property changed, if that change is news (`touch::disposition_news`).
pub(crate) async fn observe(
    run: &Run<'_>,
    c: &engine::Contact,
    row: &HandoffRow,
    changed_at_ms: Option<i64>,
) {
    let now = run.now_ms();
    let settings = touch::Settings::of(run.settings);
    let seen = touch::observe(c, row, &run.rules.playbook, &settings, changed_at_ms, now);
    apply_observed(run, row, &seen, now).await;
}

/// Records what a contact shows (touch, disposition, deal amount); shared with SLA checks.
/// Returns whether the lead has been touched.
pub(crate) async fn apply_observed(
    run: &Run<'_>,
    row: &HandoffRow,
    seen: &Observed,
    now: i64,
) -> bool {
    let mut touched = row.first_touch_at_ms.is_some();
    if let (None, Some(at)) = (row.first_touch_at_ms, seen.touched_at_ms) {
        first_touch(run, row, seen, at, now).await;
        touched = true;
    }
    if let Some((outcome, reason)) = &seen.disposition
        && (row.disposition.as_deref() != Some(outcome) || row.disposition_reason != *reason)
    {
        disposition(
            run,
            row,
            (*outcome, reason.as_deref()),
            seen.deal_amount,
            now,
        )
        .await;
        touched = true;
    } else if let Some(amount) = seen.deal_amount
        && row.deal_amount != Some(amount)
    {
        let _ = run
            .store
            .ledger()
            .record_deal_amount(row.id, amount, now)
            .await;
    }
    touched
}

/// Records the first touch at `at` (met or missed), counts it, and stops the ladder: only the
/// close-the-loop check stays, unless a disposition closes that too.
async fn first_touch(run: &Run<'_>, row: &HandoffRow, seen: &Observed, at: i64, now: i64) {
    let met = row.sla_due_at_ms.is_none_or(|due| at <= due);
    let Ok(true) = run.store.ledger().record_touch(row.id, at, met, now).await else {
        return;
    };
    let label = if met { "met" } else { "missed" };
    let metrics = &run.metrics.pipeline;
    metrics
        .touches
        .get_or_create(&OutcomeLabel {
            outcome: label.into(),
        })
        .inc();
    if super::breach::late_touch_counts(row, at) {
        super::breach::count(metrics, row);
    }
    tracing::info!(portal_id = row.portal_id.get(), contact_id = row.contact_id.get(), owner_id = %row.owner_id, owner_name = %run.owner_name(row.owner_id), sla = label, "first touch recorded; SLA ladder stopped");
    let keep: Vec<_> = row
        .close_loop_due_ms
        .filter(|_| seen.disposition.is_none() && row.disposition.is_none())
        .and_then(|at| super::steps::check_job(row, SlaAction::CloseLoop, usize::MAX, at.max(now)))
        .into_iter()
        .collect();
    if row.step >= Step::SlaScheduled {
        let _ = run.store.ledger().schedule_ladder(row, &keep, now).await;
    }
}

/// Records the disposition sales gave (with the deal amount the contact shows), and counts it.
async fn disposition(
    run: &Run<'_>,
    row: &HandoffRow,
    (outcome, reason): (&'static str, Option<&str>),
    deal_amount: Option<f64>,
    now: i64,
) {
    let recorded = run
        .store
        .ledger()
        .record_disposition(row, outcome, reason, deal_amount, now)
        .await;
    if !matches!(recorded, Ok(true)) {
        return;
    }
    run.metrics
        .pipeline
        .dispositions
        .get_or_create(&OutcomeLabel {
            outcome: outcome.into(),
        })
        .inc();
    tracing::info!(
        portal_id = row.portal_id.get(),
        contact_id = row.contact_id.get(),
        disposition = outcome,
        reason = reason.unwrap_or(""),
        "disposition recorded"
    );
}
