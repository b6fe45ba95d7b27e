//! The resumable steps of a handoff, each recorded in the ledger before the next starts:
//! decided → contact written (owner, score, tier, times) → task created → (sequence enrollment,
//! `sequence.rs`, never blocking) → SLA scheduled.
//! Run for a batch of one portal's handoffs with HubSpot's batch endpoints. A task create whose
//! result is unknown (timeout, 5xx, no answer for the input) is looked up by its marker before
//! it is ever sent again, so a handoff never gets a second task.

use std::collections::{BTreeMap, HashMap};

use tracing::Instrument;

use super::refusals::{self, Refused};
use super::trace::Contacts;
use super::{Pipeline, contact, now_ms, outcome_of, portal, retry_later};
use crate::engine::followup::tasks::TaskTemplateDoc;
use crate::hubspot::client::{
    ContactUpdate, Filter, FilterGroup, ItemError, NewTask, OwnerId, SearchObject, SearchRequest,
};
use crate::jobs::{SlaAction, SlaCheck};
use crate::store::ledger::{HandoffRow, Step};
use crate::store::queue::{Outcome, Scheduled};

pub use super::stored::{StoredPlan, StoredStep, StoredTask, marker};

/// Failures by contact id: how each contact's job ends instead of `Done`.
pub type Failures = HashMap<i64, Outcome>;

/// Runs every step still due for `rows` (one portal), as far as each gets; each contact's
/// lines go in its span from `each`.
pub async fn advance(
    p: &Pipeline,
    portal_id: i64,
    rows: Vec<HandoffRow>,
    attempts: i64,
    each: &Contacts,
) -> Failures {
    let mut failures = Failures::new();
    let mut rows: Vec<HandoffRow> = rows.into_iter().filter(HandoffRow::steps_pending).collect();
    write_contacts(p, portal_id, &mut rows, &mut failures, each).await;
    create_tasks(p, portal_id, &mut rows, attempts, &mut failures, each).await;
    super::sequence::enroll(p, portal_id, &rows, attempts, &mut failures, each).await;
    super::leads::create_leads(p, portal_id, &rows, attempts, &mut failures, each).await;
    // A contact whose enrollment must be retried, or whose lead is still being created, keeps
    // its ladder for that retry.
    let ready: Vec<&HandoffRow> = rows
        .iter()
        .filter(|r| r.step == Step::TaskCreated && !failures.contains_key(&r.contact_id))
        .collect();
    for row in ready {
        if let Err(err) = schedule(p, row).await {
            failures.insert(row.contact_id, retry_later(attempts, err.to_string()));
        }
    }
    failures
}

async fn write_contacts(
    p: &Pipeline,
    portal_id: i64,
    rows: &mut [HandoffRow],
    failures: &mut Failures,
    each: &Contacts,
) {
    let wb = &p.settings.write_back;
    let updates: Vec<ContactUpdate> = rows
        .iter()
        .filter(|r| r.step == Step::Decided)
        .map(|r| {
            let mut props = BTreeMap::new();
            props.insert(wb.owner.clone(), r.owner_id.clone());
            let optional = [
                (&wb.score, Some(r.score.to_string())),
                (&wb.tier, r.tier.clone()),
                (&wb.handed_off_at, Some(r.handed_off_at_ms.to_string())),
                (&wb.sla_due_at, r.sla_due_at_ms.map(|d| d.to_string())),
            ];
            for (name, value) in optional {
                if let (false, Some(v)) = (name.is_empty(), value) {
                    props.insert(name.clone(), v);
                }
            }
            ContactUpdate {
                id: contact(r.contact_id),
                properties: props,
            }
        })
        .collect();
    if updates.is_empty() {
        return;
    }
    let results = p
        .client
        .batch_update_contacts(portal(portal_id), updates)
        .await;
    let mut written = Vec::new();
    let mut by_contact: HashMap<i64, &HandoffRow> =
        rows.iter().map(|r| (r.contact_id, r)).collect();
    for item in results {
        let cid = i64::try_from(item.key.0).unwrap_or_default();
        let Some(row) = by_contact.remove(&cid) else {
            continue;
        };
        match item.result {
            Ok(_) => written.push(row.id),
            Err(e) if let Some(refusal) = e.refusal() => {
                let reason = each.span(cid).in_scope(|| {
                    refusals::record(p, portal_id, cid, Refused::ContactWrite, &refusal)
                });
                failures.insert(cid, Outcome::Dead { reason });
            }
            Err(e) => {
                failures.insert(cid, item_outcome(&e, 1, "contact write"));
            }
        }
    }
    let now = now_ms();
    if let Err(err) = p
        .store
        .ledger()
        .advance(&written, Step::ContactWritten, now)
        .await
    {
        for r in rows.iter().filter(|r| written.contains(&r.id)) {
            failures.insert(r.contact_id, retry_later(1, err.to_string()));
        }
        return;
    }
    for r in rows.iter_mut().filter(|r| written.contains(&r.id)) {
        r.step = Step::ContactWritten;
        each.span(r.contact_id).in_scope(|| {
            tracing::info!(owner_id = %r.owner_id, score = r.score, tier = r.tier.as_deref(), "owner written to the contact");
        });
    }
    p.metrics
        .pipeline
        .contacts_written
        .inc_by(written.len() as u64);
}

async fn create_tasks(
    p: &Pipeline,
    portal_id: i64,
    rows: &mut [HandoffRow],
    attempts: i64,
    failures: &mut Failures,
    each: &Contacts,
) {
    let now = now_ms();
    let mut to_create = Vec::new();
    for row in rows.iter_mut().filter(|r| r.step == Step::ContactWritten) {
        if failures.contains_key(&row.contact_id) {
            continue;
        }
        let Some(attempted) = row.task_attempted_at_ms else {
            to_create.push(row.id);
            continue;
        };
        // An earlier create may have landed: look before creating again.
        match find_task(p, portal_id, row)
            .instrument(each.span(row.contact_id))
            .await
        {
            Ok(Some(task_id)) => {
                if p.store
                    .ledger()
                    .task_created(row.id, &task_id, now)
                    .await
                    .is_ok()
                {
                    row.step = Step::TaskCreated;
                    row.task_id = Some(task_id);
                }
            }
            Ok(None) if now < attempted + p.settings.task_lookup_delay_ms => {
                // HubSpot's search index lags; look again once it has caught up.
                failures.insert(
                    row.contact_id,
                    Outcome::Retry {
                        at_ms: attempted + p.settings.task_lookup_delay_ms,
                        error: "task create unconfirmed; looking it up again".into(),
                    },
                );
            }
            Ok(None) => to_create.push(row.id),
            Err(err) => {
                failures.insert(row.contact_id, outcome_of(&err));
            }
        }
    }
    if to_create.is_empty() {
        return;
    }
    if let Err(err) = p.store.ledger().mark_task_attempted(&to_create, now).await {
        for r in rows.iter().filter(|r| to_create.contains(&r.id)) {
            failures.insert(r.contact_id, retry_later(attempts, err.to_string()));
        }
        return;
    }
    let rules = p.rules.current();
    let tasks: Vec<NewTask> = rows
        .iter()
        .filter(|r| to_create.contains(&r.id))
        .map(|r| new_task(r, &rules.playbook.doc.tasks))
        .collect();
    let by_trace: HashMap<String, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.trace_id.clone(), i))
        .collect();
    for item in p.client.create_tasks(portal(portal_id), tasks).await {
        let Some(&i) = by_trace.get(&item.key) else {
            continue;
        };
        let row = &mut rows[i];
        match item.result {
            Ok(task) => match p
                .store
                .ledger()
                .task_created(row.id, &task.id.to_string(), now_ms())
                .await
            {
                Ok(()) => {
                    row.step = Step::TaskCreated;
                    row.task_id = Some(task.id.to_string());
                    p.metrics.pipeline.tasks_created.inc();
                    each.span(row.contact_id).in_scope(|| {
                        tracing::info!(owner_id = %row.owner_id, owner_name = %p.owner_name(&row.owner_id), task_id = %task.id, "task created");
                    });
                }
                Err(err) => {
                    failures.insert(row.contact_id, retry_later(attempts, err.to_string()));
                }
            },
            Err(e) if let Some(refusal) = e.refusal() => {
                let text = StoredTask::of(row);
                let what = Refused::Task {
                    template: text.template.as_deref(),
                };
                let reason = each
                    .span(row.contact_id)
                    .in_scope(|| refusals::record(p, portal_id, row.contact_id, what, &refusal));
                failures.insert(row.contact_id, Outcome::Dead { reason });
            }
            Err(e) => {
                let unknown = matches!(&e, ItemError::Unconfirmed)
                    || matches!(
                        &e,
                        ItemError::Request(crate::hubspot::client::HubspotError::Transient {
                            maybe_applied: true,
                            ..
                        })
                    );
                let outcome = if unknown {
                    Outcome::Retry {
                        at_ms: now + p.settings.task_lookup_delay_ms,
                        error: "task create unconfirmed; looking it up before creating again"
                            .into(),
                    }
                } else {
                    item_outcome(&e, attempts, "task create")
                };
                failures.insert(row.contact_id, outcome);
            }
        }
    }
}

/// The task of a handoff: its text as rendered at decision time, and the `properties` of its
/// template as the playbook has them now (so a property added after a refusal applies when
/// the dead letter is replayed), rendered with the values kept at decision time.
fn new_task(r: &HandoffRow, templates: &[TaskTemplateDoc]) -> NewTask {
    let text = StoredTask::of(r);
    let extra = templates
        .iter()
        .find(|t| Some(&t.id) == text.template.as_ref())
        .map(|t| crate::engine::followup::template_properties::render(&t.properties, &text.values))
        .unwrap_or_default();
    let due = r.sla_due_at_ms.unwrap_or(r.handed_off_at_ms);
    let due = jiff::Timestamp::from_millisecond(due).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let subject = if text.subject.is_empty() {
        format!("Follow up with new lead {}", r.contact_id)
    } else {
        text.subject
    };
    let mut task = NewTask::new(contact(r.contact_id), subject, due);
    task.trace_id = r.trace_id.clone();
    task.owner_id = r.owner_id.parse::<OwnerId>().ok();
    task.body = Some(format!("{}\n\n[{}]", text.body, marker(&r.trace_id)));
    task.priority = text.priority;
    task.task_type = text.task_type;
    task.extra = extra;
    task
}

/// The task of this handoff if one exists (by the marker in its body, on this contact).
async fn find_task(
    p: &Pipeline,
    portal_id: i64,
    row: &HandoffRow,
) -> Result<Option<String>, crate::hubspot::client::HubspotError> {
    let request = SearchRequest {
        filter_groups: vec![FilterGroup {
            filters: vec![
                Filter::eq("associations.contact", row.contact_id.to_string()),
                Filter::compare("hs_task_body", "CONTAINS_TOKEN", marker(&row.trace_id))
                    .unwrap_or_else(|| Filter::eq("hs_task_body", marker(&row.trace_id))),
            ],
        }],
        sorts: Vec::new(),
        properties: vec!["hs_task_subject".into()],
        limit: 10,
        after: None,
    };
    let page = p
        .client
        .search(portal(portal_id), SearchObject::Tasks, &request)
        .await?;
    Ok(page.results.first().map(|t| t.id.clone()))
}

/// The ladder's checks and the close-the-loop check, replacing any pending ones.
pub async fn schedule(
    p: &Pipeline,
    row: &HandoffRow,
) -> Result<(), crate::store::queue::QueueError> {
    let plan = StoredPlan::of(row);
    let mut jobs = Vec::new();
    let now = now_ms();
    // Sales got there before the last step: a touch ends the ladder, a disposition the
    // close-the-loop check too.
    let touched = row.first_touch_at_ms.is_some() || row.disposition.is_some();
    for (i, step) in plan.ladder.iter().enumerate().filter(|_| !touched) {
        // A step whose time has passed (a slow resume) runs now, in order.
        jobs.extend(check_job(row, step.action, i, step.at_ms.max(now)));
    }
    if let Some(at) = plan
        .close_loop_due_ms
        .or(row.close_loop_due_ms)
        .filter(|_| row.disposition.is_none())
    {
        jobs.extend(check_job(
            row,
            SlaAction::CloseLoop,
            plan.ladder.len(),
            at.max(now),
        ));
    }
    p.store.ledger().schedule_ladder(row, &jobs, now).await?;
    p.metrics.pipeline.ladders_scheduled.inc();
    Ok(())
}

/// One SLA check job for the handoff.
pub fn check_job(
    row: &HandoffRow,
    action: SlaAction,
    step: usize,
    at_ms: i64,
) -> Option<Scheduled> {
    let check = SlaCheck {
        handoff_id: row.id,
        portal_id: row.portal_id,
        contact_id: row.contact_id,
        trace_id: row.trace_id.clone(),
        action,
        step,
    };
    Some(Scheduled {
        job: check.job(at_ms).ok()?,
        run_at_ms: at_ms,
        max_attempts: 20,
    })
}

/// How a failed batch input ends its contact's job.
pub fn item_outcome(e: &ItemError, attempts: i64, what: &str) -> Outcome {
    match e {
        ItemError::Request(err) => outcome_of(err),
        ItemError::NotFound => Outcome::Dead {
            reason: format!("{what}: the contact no longer exists in HubSpot"),
        },
        ItemError::Rejected(std) => Outcome::Dead {
            reason: format!(
                "{what}: HubSpot rejected the input: {}",
                std.message.as_deref().unwrap_or("(no message)")
            ),
        },
        ItemError::Unconfirmed => retry_later(attempts, format!("{what}: HubSpot did not confirm")),
    }
}
