//! One portal's micro-batch: erase and merge what the events say, read every contact to
//! evaluate with one batch read (companies with one association read and one company read),
//! decide the ones without a handoff (routing state locked, decisions recorded with it), look
//! for touches and dispositions on the ones with one, then run the handoff steps for all.

use std::collections::HashMap;
use std::sync::Arc;

use jiff::Timestamp;
use tracing::Instrument;

use super::intent::Plan;
use super::steps::{self, Failures, StoredPlan, StoredStep, StoredTask};
use super::touch::{self, ChangeWindow, Observed, disposition_news};
use super::trace::{Contacts, DecisionLine};
use super::{Pipeline, Rules, now_ms, portal, retry_later};
use crate::engine::followup::tasks::TaskContext;
use crate::engine::playbook::LadderAction;
use crate::engine::{self, DecideInput, Decision, Outcome as Decided, Playbook, Roster};
use crate::jobs::SlaAction;
use crate::store::ledger::{HandoffRow, NewDecision, NewHandoff};

/// One contact's share of the batch.
#[derive(Debug, Clone)]
pub struct ContactWork {
    pub contact_id: i64,
    pub plan: Plan,
    /// Runs of the contact's head job so far (for backoff).
    pub attempts: i64,
    /// When its oldest event happened (for the handoff latency metric).
    pub first_event_ms: i64,
    /// Its log lines' span: portal, contact, job, request and event ids (`trace.rs`).
    pub span: tracing::Span,
}

/// Runs one portal's batch; the contacts missing from the answer are done.
pub async fn run(p: &Pipeline, portal_id: i64, work: &[ContactWork]) -> Failures {
    let mut failures = Failures::new();
    let now = now_ms();
    for w in work {
        if w.plan.erase {
            match p
                .store
                .ledger()
                .erase_contact(portal_id, w.contact_id, now)
                .await
            {
                Ok(()) => {
                    p.metrics.pipeline.erasures.inc();
                    w.span
                        .in_scope(|| tracing::info!("contact erased after deletion"));
                }
                Err(err) => {
                    failures.insert(w.contact_id, retry_later(w.attempts, err.to_string()));
                }
            }
        } else if !w.plan.merged.is_empty() {
            match p
                .store
                .ledger()
                .merge_handoffs(portal_id, w.contact_id, &w.plan.merged, now)
                .await
            {
                Ok(_) => {
                    p.metrics.pipeline.merges.inc();
                    w.span.in_scope(|| {
                        tracing::info!(merged = ?w.plan.merged, "merge folded into one handoff");
                    });
                }
                Err(err) => {
                    failures.insert(w.contact_id, retry_later(w.attempts, err.to_string()));
                }
            }
        }
    }
    let evaluate: Vec<&ContactWork> = work
        .iter()
        .filter(|w| w.plan.evaluate && !failures.contains_key(&w.contact_id))
        .collect();
    if evaluate.is_empty() {
        return failures;
    }
    let rules = p.rules.current();
    let mut each = Contacts::default();
    for w in work {
        each.insert(w.contact_id, w.attempts, w.span.clone());
    }
    let ids: Vec<i64> = evaluate.iter().map(|w| w.contact_id).collect();
    let existing: HashMap<i64, HandoffRow> =
        match p.store.ledger().handoffs_for(portal_id, &ids).await {
            Ok(rows) => rows.into_iter().map(|r| (r.contact_id, r)).collect(),
            Err(err) => {
                for id in ids {
                    failures.insert(id, retry_later(1, err.to_string()));
                }
                return failures;
            }
        };
    let contacts =
        super::read::read_contacts(p, &rules, portal_id, &ids, &existing, &each, &mut failures)
            .await;
    let mut fresh = Vec::new();
    let mut known = Vec::new();
    for c in contacts {
        let id = c.id.parse::<i64>().unwrap_or_default();
        match existing.get(&id) {
            Some(row) => known.push((c, row.clone())),
            None => fresh.push(c),
        }
    }
    let plans: HashMap<i64, &Plan> = work.iter().map(|w| (w.contact_id, &w.plan)).collect();
    let mut rows = decide(p, &rules, portal_id, &fresh, &plans, &each)
        .await
        .unwrap_or_else(|err| {
            for w in work {
                failures
                    .entry(w.contact_id)
                    .or_insert_with(|| retry_later(w.attempts, err.to_string()));
            }
            Vec::new()
        });
    if let Err(err) = observe_fresh(p, &rules, (portal_id, &each), &fresh, &plans, &mut rows).await
    {
        for r in &rows {
            failures
                .entry(r.contact_id)
                .or_insert_with(|| retry_later(max_attempts(work), err.to_string()));
        }
    }
    for (c, row) in known {
        let since = StoredPlan::of(&row)
            .window_start_ms
            .unwrap_or(row.handed_off_at_ms);
        let news = plans
            .get(&row.contact_id)
            .and_then(|plan| disposition_news(plan, &c, since));
        observe(p, &rules, &c, &row, news)
            .instrument(each.span(row.contact_id))
            .await;
        rows.push(row);
    }
    let max_attempts = max_attempts(work);
    let new_ids: Vec<i64> = rows
        .iter()
        .filter(|r| r.task_id.is_none())
        .map(|r| r.contact_id)
        .collect();
    for (id, outcome) in steps::advance(p, portal_id, rows, max_attempts, &each).await {
        failures.insert(id, outcome);
    }
    let first: HashMap<i64, i64> = work
        .iter()
        .map(|w| (w.contact_id, w.first_event_ms))
        .collect();
    let done_at = now_ms();
    for id in new_ids.iter().filter(|id| !failures.contains_key(id)) {
        if let Some(at) = first.get(id) {
            p.metrics
                .pipeline
                .handoff_seconds
                .observe((done_at - at).max(0) as f64 / 1000.0);
        }
    }
    failures
}

fn max_attempts(work: &[ContactWork]) -> i64 {
    work.iter().map(|w| w.attempts).max().unwrap_or(1)
}

/// New handoffs whose run carried a disposition change: sales acted before the decision was
/// recorded, so the disposition is recorded now, and `rows` are read again so the steps see it
/// (a closed handoff gets its owner and task, but no ladder).
async fn observe_fresh(
    p: &Pipeline,
    rules: &Rules,
    (portal_id, each): (i64, &Contacts),
    fresh: &[engine::Contact],
    plans: &HashMap<i64, &Plan>,
    rows: &mut [HandoffRow],
) -> Result<(), crate::store::StoreError> {
    let mut changed = Vec::new();
    for row in rows.iter() {
        let Some(c) = fresh.iter().find(|c| c.id == row.contact_id.to_string()) else {
            continue;
        };
        if let Some(at) = ChangeWindow::of(plans.get(&row.contact_id), c).changed_at_ms {
            observe(p, rules, c, row, Some(at))
                .instrument(each.span(row.contact_id))
                .await;
            changed.push(row.contact_id);
        }
    }
    if changed.is_empty() {
        return Ok(());
    }
    let again = p.store.ledger().handoffs_for(portal_id, &changed).await?;
    for row in rows.iter_mut() {
        if let Some(new) = again.iter().find(|r| r.id == row.id) {
            *row = new.clone();
        }
    }
    Ok(())
}

/// The roster with HubSpot's view applied: owners given by email alone get the id HubSpot
/// lists for that email (`engine::roster::live`), owners HubSpot does not list as assignable
/// (deactivated, archived, an unknown id, an email no active owner has) are inactive, and,
/// where the portal reads availability from HubSpot, away and out-of-office reps are marked so
/// (`availability.rs`). Without an answer from HubSpot, the roster as written, less the owners
/// given by email alone (no id to assign).
pub(crate) async fn live_roster(p: &Pipeline, rules: &Rules, portal_id: i64) -> Arc<Roster> {
    let Ok(owners) = p.client.assignable_owners(portal(portal_id)).await else {
        if !rules.roster.has_unresolved() {
            return rules.roster.clone();
        }
        let mut roster = (*rules.roster).clone();
        roster.park_unresolved();
        return Arc::new(roster);
    };
    let ids: std::collections::HashSet<String> = owners.iter().map(|o| o.id.to_string()).collect();
    let mut roster = (*rules.roster).clone();
    roster.resolve_emails(&super::roster_check::live_owners(&owners));
    let inactive: Vec<_> = roster
        .owners()
        .filter(|o| o.owner.active && !ids.contains(&o.owner.id))
        .map(|o| o.owner.clone())
        .collect();
    for mut owner in inactive {
        owner.active = false;
        roster.upsert(owner);
    }
    super::availability::apply_live(p, &mut roster, &owners, portal_id).await;
    Arc::new(roster)
}

/// Decides the contacts without a handoff; returns the handoffs created.
async fn decide(
    p: &Pipeline,
    rules: &Rules,
    portal_id: i64,
    contacts: &[engine::Contact],
    plans: &HashMap<i64, &Plan>,
    each: &Contacts,
) -> Result<Vec<HandoffRow>, crate::store::StoreError> {
    if contacts.is_empty() {
        return Ok(Vec::new());
    }
    let roster = live_roster(p, rules, portal_id).await;
    let now = Timestamp::now();
    let mut outcomes = Vec::new();
    let created = p
        .store
        .ledger()
        .record_decisions(portal_id, now.as_millisecond(), |state| {
            contacts
                .iter()
                .map(|c| {
                    let input = DecideInput {
                        contact: c,
                        roster: &roster,
                        missed_sla_by: &[],
                    };
                    let mut d = engine::decide_in_place(&input, &rules.playbook, now, state);
                    note_company_not_read(&mut d, c, &rules.playbook, now);
                    outcomes.push(DecisionLine::of(&d));
                    let plan = c.id.parse::<i64>().ok().and_then(|id| plans.get(&id));
                    let trigger = plan.map(|w| w.trigger.clone()).unwrap_or_default();
                    record(p, rules, c, &d, trigger, ChangeWindow::of(plan, c))
                })
                .collect()
        })
        .await?;
    for (c, line) in contacts.iter().zip(&outcomes) {
        p.metrics
            .pipeline
            .decisions
            .get_or_create(&crate::metrics::pipeline::OutcomeLabel {
                outcome: line.outcome.into(),
            })
            .inc();
        // In the contact's span (`trace.rs`): its portal, contact, job and request ids.
        let id = c.id.parse::<i64>().ok();
        let handoff_id = created
            .iter()
            .find(|(c, _)| Some(*c) == id)
            .map(|(_, h)| *h);
        let span = id.map_or_else(tracing::Span::none, |id| each.span(id));
        span.in_scope(|| line.log(handoff_id));
    }
    let ids: Vec<i64> = created.iter().map(|(_, id)| *id).collect();
    let contact_ids: Vec<i64> = created.iter().map(|(c, _)| *c).collect();
    let rows = p
        .store
        .ledger()
        .handoffs_for(portal_id, &contact_ids)
        .await?;
    Ok(rows.into_iter().filter(|r| ids.contains(&r.id)).collect())
}

/// Says in the explanation why a disqualified lead's score has no company part: `read.rs`
/// did not read the company of a lead a company-free disqualifier disqualifies.
fn note_company_not_read(d: &mut Decision, c: &engine::Contact, pb: &Playbook, now: Timestamp) {
    if c.company.is_none()
        && let Some(id) = pb.disqualified_without_company(c, now)
    {
        d.warnings.push(format!(
            "company not read: `{id}` disqualifies the lead whatever its company"
        ));
    }
}

pub(crate) fn outcome_name(o: Decided) -> &'static str {
    match o {
        Decided::HandOff => "handed_off",
        Decided::NotReady => "not_ready",
        Decided::Disqualified => "disqualified",
    }
}

/// The ledger entry for one decision (and its handoff, when it hands off).
pub(crate) fn record(
    p: &Pipeline,
    rules: &Rules,
    c: &engine::Contact,
    d: &Decision,
    trigger: String,
    window: ChangeWindow,
) -> NewDecision {
    let owner = d.routing.as_ref().map(|r| r.assignment.owner_id.clone());
    let handoff = match (&d.routing, d.outcome) {
        (Some(routing), Decided::HandOff) => Some(new_handoff(p, rules, c, d, routing, window)),
        _ => None,
    };
    NewDecision {
        contact_id: c.id.parse().unwrap_or_default(),
        decided_at_ms: d.decided_at.as_millisecond(),
        trigger,
        outcome: outcome_name(d.outcome).into(),
        owner_id: owner,
        explanation: serde_json::to_string(d).unwrap_or_else(|_| "{}".into()),
        handoff,
    }
}

fn new_handoff(
    p: &Pipeline,
    rules: &Rules,
    c: &engine::Contact,
    d: &Decision,
    routing: &engine::routing::RoutingTrace,
    window: ChangeWindow,
) -> NewHandoff {
    let plan = stored_plan(d, c, &rules.playbook, window);
    let a = &routing.assignment;
    let source = (!p.settings.source_property.is_empty())
        .then(|| c.get(&p.settings.source_property))
        .flatten();
    let due_text = d.sla.as_ref().map(|s| {
        let zone = rules
            .roster
            .owner(&a.owner_id)
            .map(|o| o.tz.clone())
            .unwrap_or(jiff::tz::TimeZone::UTC);
        zone.to_datetime(s.due_at)
            .strftime("%a %d %b %H:%M")
            .to_string()
            + " "
            + &zone_name(&zone)
    });
    let ctx = TaskContext {
        source,
        offer: c.get("recent_conversion_event_name"),
        due: due_text,
        owner: a.owner_name.as_deref(),
    };
    let text = engine::followup::tasks::render(&rules.playbook.doc.tasks, d, c, &ctx);
    let task = StoredTask {
        template: Some(text.template),
        values: engine::followup::template_properties::values(d, c, &ctx),
        subject: text.subject,
        body: text.body,
        priority: text.priority,
        task_type: text.task_type,
        sequence_id: engine::followup::sequences::pick(
            &rules.playbook.doc.sequences,
            &engine::followup::sequences::SequenceContext {
                source,
                offer: ctx.offer,
                tier: d.score.tier.as_deref(),
            },
        )
        .map(str::to_owned),
        lead_name: engine::followup::leads::name(
            &rules.playbook.doc.leads,
            d,
            c,
            &ctx,
            c.id.parse().unwrap_or_default(),
        ),
    };
    NewHandoff {
        owner_id: a.owner_id.clone(),
        team: a.team.clone(),
        score: d.score.total,
        tier: d.score.tier.clone(),
        sla_tier: d.sla.as_ref().map(|s| s.tier.clone()),
        source: source.map(str::to_string),
        trace_id: uuid::Uuid::now_v7().simple().to_string(),
        handed_off_at_ms: d.decided_at.as_millisecond(),
        sla_due_at_ms: d.sla.as_ref().map(|s| s.due_at.as_millisecond()),
        close_loop_due_ms: plan.close_loop_due_ms,
        sla_plan: serde_json::to_string(&plan).ok(),
        task_text: serde_json::to_string(&task).ok(),
    }
}

fn zone_name(zone: &jiff::tz::TimeZone) -> String {
    zone.iana_name().unwrap_or("UTC").to_string()
}

/// The decision's SLA ladder as stored, with the disposition `c` already shows — unless the
/// run that decided it carried a change of that disposition (`window`): then it is news.
pub(crate) fn stored_plan(
    d: &Decision,
    c: &engine::Contact,
    playbook: &Playbook,
    window: ChangeWindow,
) -> StoredPlan {
    let disposition_at_handoff = engine::followup::disposition::classify(playbook, c)
        .filter(|_| window.changed_at_ms.is_none())
        .map(|d| (touch::outcome_name(d.outcome).to_owned(), d.reason));
    let Some(sla) = &d.sla else {
        return StoredPlan {
            disposition_at_handoff,
            window_start_ms: window.start_ms,
            ..StoredPlan::default()
        };
    };
    StoredPlan {
        disposition_at_handoff,
        window_start_ms: window.start_ms,
        ladder: sla
            .ladder
            .iter()
            .map(|s| StoredStep {
                action: match s.action {
                    LadderAction::Remind => SlaAction::Remind,
                    LadderAction::Escalate => SlaAction::Escalate,
                    LadderAction::Reassign => SlaAction::Reassign,
                    LadderAction::FallbackQueue => SlaAction::FallbackQueue,
                },
                at_ms: s.at.as_millisecond(),
            })
            .collect(),
        close_loop_due_ms: sla.close_loop_due.map(|t| t.as_millisecond()),
    }
}

/// A handed-off contact changed: record its first touch and disposition. `changed_at_ms`: when
/// a disposition property changed, if that change is news (`disposition_news`).
async fn observe(
    p: &Pipeline,
    rules: &Rules,
    c: &engine::Contact,
    row: &HandoffRow,
    changed_at_ms: Option<i64>,
) {
    let now = now_ms();
    let settings = touch::Settings::of(&p.settings);
    let seen = touch::observe(c, row, &rules.playbook, &settings, changed_at_ms, now);
    apply_observed(p, row, &seen, now).await;
}

/// Records what a contact shows (touch, disposition, deal amount); shared with SLA checks.
/// Returns whether the lead has been touched.
pub(crate) async fn apply_observed(
    p: &Pipeline,
    row: &HandoffRow,
    seen: &Observed,
    now: i64,
) -> bool {
    let mut touched = row.first_touch_at_ms.is_some();
    if let (None, Some(at)) = (row.first_touch_at_ms, seen.touched_at_ms) {
        let met = row.sla_due_at_ms.is_none_or(|due| at <= due);
        if let Ok(true) = p.store.ledger().record_touch(row.id, at, met, now).await {
            let label = if met { "met" } else { "missed" };
            p.metrics
                .pipeline
                .touches
                .get_or_create(&crate::metrics::pipeline::OutcomeLabel {
                    outcome: label.into(),
                })
                .inc();
            if super::breach::late_touch_counts(row, at) {
                super::breach::count(p, row);
            }
            tracing::info!(portal_id = row.portal_id, contact_id = row.contact_id, owner_id = %row.owner_id, owner_name = %p.owner_name(&row.owner_id), sla = label, "first touch recorded; SLA ladder stopped");
            // Only the close-the-loop check stays, unless a disposition closes that too.
            let keep: Vec<_> = row
                .close_loop_due_ms
                .filter(|_| seen.disposition.is_none() && row.disposition.is_none())
                .and_then(|at| steps::check_job(row, SlaAction::CloseLoop, usize::MAX, at.max(now)))
                .into_iter()
                .collect();
            if row.step >= crate::store::ledger::Step::SlaScheduled {
                let _ = p.store.ledger().schedule_ladder(row, &keep, now).await;
            }
        }
        touched = true;
    }
    if let Some((outcome, reason)) = &seen.disposition
        && (row.disposition.as_deref() != Some(outcome) || row.disposition_reason != *reason)
    {
        if p.store
            .ledger()
            .record_disposition(row, outcome, reason.as_deref(), seen.deal_amount, now)
            .await
            .is_ok()
        {
            p.metrics
                .pipeline
                .dispositions
                .get_or_create(&crate::metrics::pipeline::OutcomeLabel {
                    outcome: (*outcome).into(),
                })
                .inc();
            tracing::info!(
                portal_id = row.portal_id,
                contact_id = row.contact_id,
                disposition = outcome,
                reason = reason.as_deref().unwrap_or(""),
                "disposition recorded"
            );
        }
        touched = true;
    } else if let Some(amount) = seen.deal_amount
        && row.deal_amount != Some(amount)
    {
        let _ = p
            .store
            .ledger()
            .record_deal_amount(row.id, amount, now)
            .await;
    }
    touched
}
