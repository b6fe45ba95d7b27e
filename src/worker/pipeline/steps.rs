//! The resumable steps of a handoff, each recorded in the ledger before the next starts:
//! decided → contact written (owner, score, tier, times) → task created → (sequence enrollment,
//! `sequence.rs`, never blocking) → SLA scheduled.
//! Run for a batch of one portal's handoffs with HubSpot's batch endpoints. A task create whose
//! result is unknown (timeout, 5xx, no answer for the input) is looked up by its marker before
//! it is ever sent again, so a handoff never gets a second task.

use crate::hubspot::client::{PortalId, TaskId};
use std::collections::{BTreeMap, HashMap};

use tracing::Instrument;

use super::refusals::{self, Refused};
use super::task_text::{self, marker};
use super::{PortalRun, Run};
use crate::hubspot::client::{
    BatchItem, ContactId, ContactUpdate, CrmObject, Filter, FilterGroup, HubspotError, ItemError,
    SearchObject, SearchRequest, Task,
};
use crate::store::ledger::{HandoffRow, Step};
use crate::store::queue::Outcome;

pub(crate) use super::stored::{StoredPlan, check_job, schedule};

/// Failures by contact id: how each contact's job ends instead of `Done`.
pub type Failures = HashMap<ContactId, Outcome>;

/// Runs every step still due for `rows` (one portal), as far as each gets; each contact's
/// lines go in its span.
pub(crate) async fn advance(b: &PortalRun<'_>, rows: Vec<HandoffRow>) -> Failures {
    let mut failures = Failures::new();
    let mut rows: Vec<HandoffRow> = rows.into_iter().filter(HandoffRow::steps_pending).collect();
    write_contacts(b, &mut rows, &mut failures).await;
    create_tasks(b, &mut rows, &mut failures).await;
    super::sequence::enroll(b, &rows, &mut failures).await;
    super::leads::create_leads(b, &rows, &mut failures).await;
    // A contact whose enrollment must be retried, or whose lead is still being created, keeps
    // its ladder for that retry.
    let ready: Vec<&HandoffRow> = rows
        .iter()
        .filter(|r| r.step == Step::TaskCreated && !failures.contains_key(&r.contact_id))
        .collect();
    for row in ready {
        // The owner's Slack alert is claimed before the ladder: a handoff whose ladder is
        // scheduled has its alert claimed too (a retry claims it once).
        if let Err(err) = super::slack::claim::assigned(b.run, row).await {
            let outcome = b.run.retry_later(b.attempts, err.to_string());
            failures.insert(row.contact_id, outcome);
            continue;
        }
        if let Err(err) = schedule(b.run, row).await {
            let outcome = b.run.retry_later(b.attempts, err.to_string());
            failures.insert(row.contact_id, outcome);
        }
    }
    failures
}

/// The owner, score, tier and handoff times written to one decided contact.
fn contact_update(b: &PortalRun<'_>, r: &HandoffRow) -> ContactUpdate {
    let wb = &b.run.settings.write_back;
    let mut props = BTreeMap::new();
    props.insert(wb.owner.clone(), r.owner_id.to_string());
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
        id: r.contact_id,
        properties: props,
    }
}

/// Writes the owner (and score, tier, times) of the decided rows to their contacts, in one
/// batch, and records the ones written.
async fn write_contacts(b: &PortalRun<'_>, rows: &mut [HandoffRow], failures: &mut Failures) {
    let updates: Vec<ContactUpdate> = rows
        .iter()
        .filter(|r| r.step == Step::Decided)
        .map(|r| contact_update(b, r))
        .collect();
    if updates.is_empty() {
        return;
    }
    let results = b.run.crm.batch_update_contacts(b.portal_id, updates).await;
    let written = written_of(b, rows, results, failures);
    record_written(b, rows, &written, failures).await;
}

/// The handoffs whose contact HubSpot wrote; the others' outcomes go to `failures`.
fn written_of(
    b: &PortalRun<'_>,
    rows: &[HandoffRow],
    results: Vec<BatchItem<ContactId, CrmObject>>,
    failures: &mut Failures,
) -> Vec<i64> {
    let mut written = Vec::new();
    let mut by_contact: HashMap<ContactId, &HandoffRow> =
        rows.iter().map(|r| (r.contact_id, r)).collect();
    for item in results {
        let cid = item.key;
        let Some(row) = by_contact.remove(&cid) else {
            continue;
        };
        match item.result {
            Ok(_) => written.push(row.id),
            Err(e) if let Some(refusal) = e.refusal() => {
                let (metrics, what) = (b.run.metrics, Refused::ContactWrite);
                let reason = b
                    .each
                    .span(cid)
                    .in_scope(|| refusals::record(metrics, b.portal_id, cid, what, &refusal));
                failures.insert(cid, Outcome::Dead { reason });
            }
            Err(e) => {
                failures.insert(cid, item_outcome(b.run, &e, 1, "contact write"));
            }
        }
    }
    written
}

/// Moves the `written` handoffs on in the ledger (a store error retries their jobs).
async fn record_written(
    b: &PortalRun<'_>,
    rows: &mut [HandoffRow],
    written: &[i64],
    failures: &mut Failures,
) {
    let run = b.run;
    let now = run.now_ms();
    if let Err(err) = run
        .store
        .ledger()
        .advance(written, Step::ContactWritten, now)
        .await
    {
        for r in rows.iter().filter(|r| written.contains(&r.id)) {
            failures.insert(r.contact_id, run.retry_later(1, err.to_string()));
        }
        return;
    }
    for r in rows.iter_mut().filter(|r| written.contains(&r.id)) {
        r.step = Step::ContactWritten;
        b.each.span(r.contact_id).in_scope(|| {
            tracing::info!(owner_id = %r.owner_id, score = r.score, tier = r.tier.as_deref(), "owner written to the contact");
        });
    }
    run.metrics
        .pipeline
        .contacts_written
        .inc_by(written.len() as u64);
}

/// Creates the tasks of the rows whose owner is written: an earlier create that may have
/// landed is looked up first; the rest are marked attempted, then sent in batches.
async fn create_tasks(b: &PortalRun<'_>, rows: &mut [HandoffRow], failures: &mut Failures) {
    let now = b.run.now_ms();
    let mut to_create = Vec::new();
    for row in rows.iter_mut().filter(|r| r.step == Step::ContactWritten) {
        if failures.contains_key(&row.contact_id) {
            continue;
        }
        let Some(attempted) = row.task_attempted_at_ms else {
            to_create.push(row.id);
            continue;
        };
        match look_up_task(b, row, attempted, now).await {
            Looked::Found => {}
            Looked::Missing => to_create.push(row.id),
            Looked::Later(outcome) => {
                failures.insert(row.contact_id, outcome);
            }
        }
    }
    if to_create.is_empty() {
        return;
    }
    let run = b.run;
    if let Err(err) = run
        .store
        .ledger()
        .mark_task_attempted(&to_create, now)
        .await
    {
        for r in rows.iter().filter(|r| to_create.contains(&r.id)) {
            failures.insert(r.contact_id, run.retry_later(b.attempts, err.to_string()));
        }
        return;
    }
    send_tasks(b, rows, &to_create, now, failures).await;
}

/// What the lookup of an attempted task found.
enum Looked {
    /// The earlier create landed: recorded (the row moves on), or left for the next run to
    /// find again when the ledger could not take it.
    Found,
    /// Not there after the search index's lag: create it now.
    Missing,
    /// How the job ends instead: looked up too early, or the search failed.
    Later(Outcome),
}

/// An earlier create may have landed: looks before creating again.
async fn look_up_task(b: &PortalRun<'_>, row: &mut HandoffRow, attempted: i64, now: i64) -> Looked {
    let run = b.run;
    let found = find_task(run, b.portal_id, row)
        .instrument(b.each.span(row.contact_id))
        .await;
    let visible_at = attempted + run.settings.task_lookup_delay_ms;
    match found {
        Ok(Some(task_id)) => {
            let ledger = run.store.ledger();
            if ledger.task_created(row.id, task_id, now).await.is_ok() {
                row.step = Step::TaskCreated;
                row.task_id = Some(task_id);
            }
            Looked::Found
        }
        // HubSpot's search index lags; look again once it has caught up.
        Ok(None) if now < visible_at => Looked::Later(Outcome::Retry {
            at_ms: visible_at,
            error: "task create unconfirmed; looking it up again".into(),
        }),
        Ok(None) => Looked::Missing,
        Err(err) => Looked::Later(run.outcome_of(&err)),
    }
}

/// Sends the creates of `to_create` (marked attempted) and records each answer.
async fn send_tasks(
    b: &PortalRun<'_>,
    rows: &mut [HandoffRow],
    to_create: &[i64],
    now: i64,
    failures: &mut Failures,
) {
    let run = b.run;
    let templates = &run.rules.playbook.doc.tasks;
    let tasks = rows
        .iter()
        .filter(|r| to_create.contains(&r.id))
        .map(|r| task_text::new_task(r, templates))
        .collect();
    let by_trace: HashMap<String, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.trace_id.clone(), i))
        .collect();
    for item in run.crm.create_tasks(b.portal_id, tasks).await {
        let Some(&i) = by_trace.get(&item.key) else {
            continue;
        };
        let row = &mut rows[i];
        let failed = match item.result {
            Ok(task) => task_created(b, row, &task).await,
            Err(e) => Some(task_refused(b, row, &e, now)),
        };
        if let Some(outcome) = failed {
            failures.insert(row.contact_id, outcome);
        }
    }
}

/// Records a created task; `Some` when the ledger could not take it.
async fn task_created(b: &PortalRun<'_>, row: &mut HandoffRow, task: &Task) -> Option<Outcome> {
    let run = b.run;
    let task_id = task.id;
    if let Err(err) = run
        .store
        .ledger()
        .task_created(row.id, task_id, run.now_ms())
        .await
    {
        return Some(run.retry_later(b.attempts, err.to_string()));
    }
    row.step = Step::TaskCreated;
    row.task_id = Some(task_id);
    run.metrics.pipeline.tasks_created.inc();
    b.each.span(row.contact_id).in_scope(|| {
        tracing::info!(owner_id = %row.owner_id, owner_name = %run.owner_name(row.owner_id), task_id = %task.id, "task created");
    });
    None
}

/// How a task create HubSpot did not confirm ends the job: dead for a refusal (named), a
/// lookup before any new create when it may have landed, else as the error says.
fn task_refused(b: &PortalRun<'_>, row: &HandoffRow, e: &ItemError, now: i64) -> Outcome {
    let run = b.run;
    if let Some(refusal) = e.refusal() {
        let template = task_text::template_of(row);
        let what = Refused::Task {
            template: template.as_deref(),
        };
        let reason = b.each.span(row.contact_id).in_scope(|| {
            refusals::record(run.metrics, b.portal_id, row.contact_id, what, &refusal)
        });
        return Outcome::Dead { reason };
    }
    let unknown = matches!(e, ItemError::Unconfirmed)
        || matches!(
            e,
            ItemError::Request(HubspotError::Transient {
                maybe_applied: true,
                ..
            })
        );
    if unknown {
        return Outcome::Retry {
            at_ms: now + run.settings.task_lookup_delay_ms,
            error: "task create unconfirmed; looking it up before creating again".into(),
        };
    }
    item_outcome(run, e, b.attempts, "task create")
}

/// The task of this handoff if one exists (by the marker in its body, on this contact).
async fn find_task(
    run: &Run<'_>,
    portal_id: PortalId,
    row: &HandoffRow,
) -> Result<Option<TaskId>, HubspotError> {
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
    let page = run
        .crm
        .search(portal_id, SearchObject::Tasks, &request)
        .await?;
    // HubSpot's record ids are numbers; one that is not is skipped, said once, never task 0.
    let task = page
        .results
        .iter()
        .find_map(|t| match t.id.parse::<TaskId>() {
            Ok(id) => Some(id),
            Err(err) => {
                tracing::warn!(error = %err, "task search result skipped: its id is not a task id");
                None
            }
        });
    Ok(task)
}

/// How a failed batch input ends its contact's job.
pub(crate) fn item_outcome(run: &Run<'_>, e: &ItemError, attempts: i64, what: &str) -> Outcome {
    match e {
        ItemError::Request(err) => run.outcome_of(err),
        ItemError::NotFound => Outcome::Dead {
            reason: format!("{what}: the contact no longer exists in HubSpot"),
        },
        ItemError::Rejected(std) => Outcome::Dead {
            reason: format!(
                "{what}: HubSpot rejected the input: {}",
                std.message.as_deref().unwrap_or("(no message)")
            ),
        },
        ItemError::Unconfirmed => {
            run.retry_later(attempts, format!("{what}: HubSpot did not confirm"))
        }
    }
}
