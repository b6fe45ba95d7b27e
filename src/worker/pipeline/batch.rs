//! One portal's micro-batch: erase and merge what the events say, read every contact to
//! evaluate with one batch read (companies with one association read and one company read),
//! decide the ones without a handoff (routing state locked, decisions recorded with it), look
//! for touches and dispositions on the ones with one, then run the handoff steps for all.

use crate::hubspot::client::{ContactId, PortalId};
use std::collections::HashMap;

use tracing::Instrument;

use super::decision::{live_roster, note_company_not_read, record};
use super::intent::Plan;
use super::observed::observe;
use super::steps::{self, Failures, StoredPlan};
use super::touch::{ChangeWindow, disposition_news};
use super::trace::{Contacts, DecisionLine};
use super::{PortalRun, Run};
use crate::engine::{self, DecideInput};
use crate::store::StoreError;
use crate::store::ledger::HandoffRow;

/// One contact's share of the batch.
#[derive(Debug, Clone)]
pub struct ContactWork {
    pub contact_id: ContactId,
    pub plan: Plan,
    /// Runs of the contact's head job so far (for backoff).
    pub attempts: i64,
    /// When its oldest event happened (for the handoff latency metric).
    pub first_event_ms: i64,
    /// Its log lines' span: portal, contact, job, request and event ids (`trace.rs`).
    pub span: tracing::Span,
}

/// Each contact's plan, by contact id.
type Plans<'a> = HashMap<ContactId, &'a Plan>;

/// Runs one portal's batch; the contacts missing from the answer are done.
pub(crate) async fn run(run: &Run<'_>, portal_id: PortalId, work: &[ContactWork]) -> Failures {
    let mut failures = erase_and_merge(run, portal_id, work).await;
    let ids: Vec<ContactId> = work
        .iter()
        .filter(|w| w.plan.evaluate && !failures.contains_key(&w.contact_id))
        .map(|w| w.contact_id)
        .collect();
    if ids.is_empty() {
        return failures;
    }
    let mut each = Contacts::default();
    for w in work {
        each.insert(w.contact_id, w.attempts, w.span.clone());
    }
    let b = PortalRun {
        run,
        portal_id,
        each: &each,
        attempts: work.iter().map(|w| w.attempts).max().unwrap_or(1),
    };
    let existing: HashMap<ContactId, HandoffRow> =
        match run.store.ledger().handoffs_for(portal_id, &ids).await {
            Ok(rows) => rows.into_iter().map(|r| (r.contact_id, r)).collect(),
            Err(err) => {
                for id in ids {
                    failures.insert(id, run.retry_later(1, err.to_string()));
                }
                return failures;
            }
        };
    let contacts = super::read::read_contacts(&b, &ids, &existing, &mut failures).await;
    let plans: Plans<'_> = work.iter().map(|w| (w.contact_id, &w.plan)).collect();
    let rows = handoffs_of(&b, contacts, &existing, &plans, &mut failures).await;
    let new_ids: Vec<ContactId> = rows
        .iter()
        .filter(|r| r.task_id.is_none())
        .map(|r| r.contact_id)
        .collect();
    failures.extend(steps::advance(&b, rows).await);
    observe_latency(run, work, &new_ids, &failures);
    failures
}

/// Erases the contacts the events deleted and folds merged contacts into their survivor.
async fn erase_and_merge(run: &Run<'_>, portal_id: PortalId, work: &[ContactWork]) -> Failures {
    let mut failures = Failures::new();
    let now = run.now_ms();
    let ledger = run.store.ledger();
    for w in work {
        let done = if w.plan.erase {
            let erased = ledger.erase_contact(portal_id, w.contact_id, now).await;
            erased.map(|()| {
                run.metrics.pipeline.erasures.inc();
                w.span
                    .in_scope(|| tracing::info!("contact erased after deletion"));
            })
        } else if !w.plan.merged.is_empty() {
            let merged = ledger
                .merge_handoffs(portal_id, w.contact_id, &w.plan.merged, now)
                .await;
            merged.map(|_| {
                run.metrics.pipeline.merges.inc();
                w.span.in_scope(|| {
                    tracing::info!(merged = ?w.plan.merged, "merge folded into one handoff");
                });
            })
        } else {
            Ok(())
        };
        if let Err(err) = done {
            failures.insert(w.contact_id, run.retry_later(w.attempts, err.to_string()));
        }
    }
    failures
}

/// The handoffs to advance: new ones for the contacts without one (decided now), and the
/// existing ones of the others once the touches and dispositions they show are recorded.
async fn handoffs_of(
    b: &PortalRun<'_>,
    contacts: Vec<engine::Contact>,
    existing: &HashMap<ContactId, HandoffRow>,
    plans: &Plans<'_>,
    failures: &mut Failures,
) -> Vec<HandoffRow> {
    let run = b.run;
    let (mut fresh, mut known) = (Vec::new(), Vec::new());
    for c in contacts {
        match existing.get(&c.id) {
            Some(row) => known.push((c, row.clone())),
            None => fresh.push(c),
        }
    }
    let mut rows = decide(b, &fresh, plans).await.unwrap_or_else(|err| {
        for (id, _) in plans.iter() {
            let attempts = b.each.attempts(*id);
            failures
                .entry(*id)
                .or_insert_with(|| run.retry_later(attempts, err.to_string()));
        }
        Vec::new()
    });
    if let Err(err) = observe_fresh(b, &fresh, plans, &mut rows).await {
        for r in &rows {
            failures
                .entry(r.contact_id)
                .or_insert_with(|| run.retry_later(b.attempts, err.to_string()));
        }
    }
    for (c, row) in known {
        let since = StoredPlan::of(&row)
            .window_start_ms
            .unwrap_or(row.handed_off_at_ms);
        let news = plans
            .get(&row.contact_id)
            .and_then(|plan| disposition_news(plan, &c, since));
        observe(run, &c, &row, news)
            .instrument(b.each.span(row.contact_id))
            .await;
        rows.push(row);
    }
    rows
}

/// The time from each new handoff's oldest event to its steps done, on the latency metric.
fn observe_latency(
    run: &Run<'_>,
    work: &[ContactWork],
    new_ids: &[ContactId],
    failures: &Failures,
) {
    let first: HashMap<ContactId, i64> = work
        .iter()
        .map(|w| (w.contact_id, w.first_event_ms))
        .collect();
    let done_at = run.now_ms();
    for id in new_ids.iter().filter(|id| !failures.contains_key(id)) {
        if let Some(at) = first.get(id) {
            run.metrics
                .pipeline
                .handoff_seconds
                .observe((done_at - at).max(0) as f64 / 1000.0);
        }
    }
}

/// New handoffs whose run carried a disposition change: sales acted before the decision was
/// recorded, so the disposition is recorded now, and `rows` are read again so the steps see it
/// (a closed handoff gets its owner and task, but no ladder).
async fn observe_fresh(
    b: &PortalRun<'_>,
    fresh: &[engine::Contact],
    plans: &Plans<'_>,
    rows: &mut [HandoffRow],
) -> Result<(), StoreError> {
    let mut changed = Vec::new();
    for row in rows.iter() {
        let Some(c) = fresh.iter().find(|c| c.id == row.contact_id) else {
            continue;
        };
        if let Some(at) = ChangeWindow::of(plans.get(&row.contact_id), c).changed_at_ms {
            observe(b.run, c, row, Some(at))
                .instrument(b.each.span(row.contact_id))
                .await;
            changed.push(row.contact_id);
        }
    }
    if changed.is_empty() {
        return Ok(());
    }
    let again = b
        .run
        .store
        .ledger()
        .handoffs_for(b.portal_id, &changed)
        .await?;
    for row in rows.iter_mut() {
        if let Some(new) = again.iter().find(|r| r.id == row.id) {
            *row = new.clone();
        }
    }
    Ok(())
}

/// Decides the contacts without a handoff; returns the handoffs created.
async fn decide(
    b: &PortalRun<'_>,
    contacts: &[engine::Contact],
    plans: &Plans<'_>,
) -> Result<Vec<HandoffRow>, StoreError> {
    if contacts.is_empty() {
        return Ok(Vec::new());
    }
    let run = b.run;
    let roster = live_roster(run, b.portal_id).await;
    let now = run.clock.now();
    let playbook = &run.rules.playbook;
    let mut lines = Vec::new();
    let created = run
        .store
        .ledger()
        .record_decisions(b.portal_id, now.as_millisecond(), |state| {
            contacts
                .iter()
                .map(|c| {
                    let input = DecideInput {
                        contact: c,
                        roster: &roster,
                        missed_sla_by: &[],
                    };
                    let mut d = engine::decide_in_place(&input, playbook, now, state);
                    note_company_not_read(&mut d, c, playbook, now);
                    lines.push(DecisionLine::of(&d));
                    let plan = plans.get(&c.id);
                    let trigger = plan.map(|w| w.trigger.clone()).unwrap_or_default();
                    record(&run.recorder(), c, &d, trigger, ChangeWindow::of(plan, c))
                })
                .collect()
        })
        .await?;
    log_decisions(b, contacts, &lines, &created);
    let ids: Vec<i64> = created.iter().map(|(_, id)| *id).collect();
    let contact_ids: Vec<ContactId> = created.iter().map(|(c, _)| *c).collect();
    let rows = run
        .store
        .ledger()
        .handoffs_for(b.portal_id, &contact_ids)
        .await?;
    Ok(rows.into_iter().filter(|r| ids.contains(&r.id)).collect())
}

/// Counts each decision by outcome and logs its line in the contact's span (`trace.rs`: its
/// portal, contact, job and request ids), with the handoff it created.
fn log_decisions(
    b: &PortalRun<'_>,
    contacts: &[engine::Contact],
    lines: &[DecisionLine],
    created: &[(ContactId, i64)],
) {
    for (c, line) in contacts.iter().zip(lines) {
        b.run
            .metrics
            .pipeline
            .decisions
            .get_or_create(&crate::metrics::pipeline::OutcomeLabel {
                outcome: line.outcome.into(),
            })
            .inc();
        let handoff_id = created.iter().find(|(id, _)| *id == c.id).map(|(_, h)| *h);
        let span = b.each.span(c.id);
        span.in_scope(|| line.log(handoff_id));
    }
}
