//! The Lead step (`[playbook.leads]`, docs/hubspot.md "Lead records (object 0-136)"): once a
//! handoff's task exists, a HubSpot Lead (object 0-136) is created for its contact, owned by the
//! assigned rep — exactly once: the ledger marks the lead `attempted` before the create is sent,
//! and an attempted lead without an id is looked up on the contact (by name) before it is ever sent
//! again. A lead is an extra: a refused create (no Sales Hub Pro seat, leads not set up, missing
//! scope) is logged and counted and the handoff goes on; a transient failure retries the job a few
//! times, then gives up the same way. Reassignment moves the lead's owner: a reassigned handoff
//! runs its steps again, and a created lead whose recorded owner is not the handoff's is updated
//! (`lead_owner.rs`).

use std::collections::HashMap;

use tracing::Instrument;

use super::refusals::{self, Refused};
use super::run::outcome_of;
use super::steps::Failures;
use super::task_text::{lead_name, with_values};
use super::{PortalRun, Run};
use crate::hubspot::client::{
    Filter, FilterGroup, HubspotError, ItemError, NewLead, SearchObject, SearchRequest,
};
use crate::metrics::pipeline::OutcomeLabel;
use crate::store::ledger::{HandoffRow, LeadRow, LeadSettled, Step};
use crate::store::queue::Outcome;

/// Job attempts after which a lead that still failed transiently is given up (`failed`).
pub(super) const MAX_LEAD_ATTEMPTS: i64 = 3;

/// A batch input's failure, for logs and the ledger (no personal data: HubSpot's message).
pub(super) fn why(e: &ItemError) -> String {
    match e {
        ItemError::Rejected(std) => std.message.clone().unwrap_or_default(),
        ItemError::Request(err) => err.to_string(),
        ItemError::NotFound => "not found in HubSpot".into(),
        ItemError::Unconfirmed => "HubSpot did not confirm the write".into(),
    }
}

pub(super) fn count(run: &Run<'_>, outcome: &str) {
    run.metrics
        .pipeline
        .leads
        .get_or_create(&OutcomeLabel {
            outcome: outcome.into(),
        })
        .inc();
}

/// Creates the leads still due for `rows` (one portal). Failures it records only ever retry
/// the job; a lead never makes a handoff dead.
pub(crate) async fn create_leads(b: &PortalRun<'_>, rows: &[HandoffRow], failures: &mut Failures) {
    let (run, portal_id, attempts) = (b.run, b.portal_id, b.attempts);
    if !run.rules.playbook.doc.leads.on_for(portal_id) {
        return;
    }
    let due: Vec<(&HandoffRow, String)> = rows
        .iter()
        .filter(|r| r.step == Step::TaskCreated && !failures.contains_key(&r.contact_id))
        .filter_map(|r| lead_name(r).map(|n| (r, n)))
        .collect();
    if due.is_empty() {
        return;
    }
    let ids: Vec<i64> = due.iter().map(|(r, _)| r.id).collect();
    let known = match run.store.leads().of_handoffs(&ids).await {
        Ok(k) => k,
        Err(err) => {
            tracing::warn!(portal_id = portal_id.get(), error = %err, "lead step skipped: ledger unavailable");
            for (row, _) in &due {
                failures.insert(row.contact_id, run.retry_later(attempts, err.to_string()));
            }
            return;
        }
    };
    let mut to_create = Vec::new();
    let mut moved = Vec::new();
    for (row, name) in due {
        match known.get(&row.id) {
            None => to_create.push((row, name)),
            Some(l) if l.state == "attempted" => {
                if resolve_attempted(b, row, &name, l, failures).await {
                    to_create.push((row, name));
                }
            }
            Some(l) if l.state == "created" && l.owner_id != Some(row.owner_id) => {
                if let Some(lead_id) = &l.lead_id {
                    moved.push((row, lead_id.clone()));
                }
            }
            Some(_) => {}
        }
    }
    super::lead_owner::move_owners(b, &moved, failures).await;
    send_creates(b, &to_create, failures).await;
}

/// Settles a lead whose create was sent before, by what the lookup finds; whether to send it
/// again.
async fn resolve_attempted(
    b: &PortalRun<'_>,
    row: &HandoffRow,
    name: &str,
    lead: &LeadRow,
    failures: &mut Failures,
) -> bool {
    let (run, attempts) = (b.run, b.attempts);
    let span = b.each.span(row.contact_id);
    let found = look_up(run, row, name, lead, attempts)
        .instrument(span.clone())
        .await;
    match found {
        Lookup::Found(id) => settle_created(run, row, &id).instrument(span).await,
        Lookup::Later(outcome) => {
            failures.insert(row.contact_id, outcome);
        }
        Lookup::Resend => return true,
        Lookup::Failed(err) => {
            search_failed(run, row, &err, attempts, failures)
                .instrument(span)
                .await
        }
    }
    false
}

/// Marks the leads, then sends their creates in batches and records each answer.
async fn send_creates(
    b: &PortalRun<'_>,
    to_create: &[(&HandoffRow, String)],
    failures: &mut Failures,
) {
    if to_create.is_empty() {
        return;
    }
    let (run, portal_id, attempts) = (b.run, b.portal_id, b.attempts);
    let now = run.now_ms();
    let ids: Vec<i64> = to_create.iter().map(|(r, _)| r.id).collect();
    if let Err(err) = run.store.leads().attempted(portal_id, &ids, now).await {
        tracing::warn!(portal_id = portal_id.get(), error = %err, "lead step skipped: ledger unavailable");
        for (row, _) in to_create {
            failures.insert(row.contact_id, run.retry_later(attempts, err.to_string()));
        }
        return;
    }
    let leads: Vec<NewLead> = to_create
        .iter()
        .map(|(r, name)| new_lead(run, r, name))
        .collect();
    let by_trace: HashMap<String, &HandoffRow> = to_create
        .iter()
        .map(|(r, _)| (format!("{}-lead", r.trace_id), *r))
        .collect();
    let mut created = false;
    for item in run.crm.create_leads(portal_id, leads).await {
        let Some(row) = by_trace.get(&item.key) else {
            continue;
        };
        let span = b.each.span(row.contact_id);
        match item.result {
            Ok(lead) => {
                created = true;
                settle_created(run, row, &lead.id).instrument(span).await;
            }
            Err(e) => {
                create_failed(run, row, &e, attempts, failures)
                    .instrument(span)
                    .await
            }
        }
    }
    if created {
        super::lead_stages::warm(run, portal_id).await;
    }
}

/// The lead of a handoff, owned by its owner.
fn new_lead(run: &Run<'_>, r: &HandoffRow, name: &str) -> NewLead {
    NewLead {
        trace_id: format!("{}-lead", r.trace_id),
        contact_id: r.contact_id,
        owner_id: Some(r.owner_id),
        name: name.to_owned(),
        extra: lead_properties(run, r),
    }
}

/// `hs_lead_type` and the `[playbook.leads]` properties as the playbook has them now, rendered
/// with the values kept at decision time.
fn lead_properties(run: &Run<'_>, row: &HandoffRow) -> std::collections::BTreeMap<String, String> {
    let doc = &run.rules.playbook.doc.leads;
    let mut props = with_values(row, &doc.properties);
    if let Some(t) = &doc.lead_type {
        props.insert("hs_lead_type".to_owned(), t.clone());
    }
    props
}

/// What the lookup of an `attempted` lead found.
enum Lookup {
    /// The earlier create landed: this lead.
    Found(String),
    /// Not yet visible; HubSpot's search index lags, so look again later.
    Later(Outcome),
    /// Not there after the lag: send the create again.
    Resend,
    /// The search failed.
    Failed(HubspotError),
}

/// An earlier create may have landed: look for the contact's lead by name before re-sending.
async fn look_up(
    run: &Run<'_>,
    row: &HandoffRow,
    name: &str,
    lead: &LeadRow,
    attempts: i64,
) -> Lookup {
    let request = SearchRequest {
        filter_groups: vec![FilterGroup {
            filters: vec![
                Filter::eq("associations.contact", row.contact_id.to_string()),
                Filter::eq("hs_lead_name", name.to_owned()),
            ],
        }],
        sorts: Vec::new(),
        properties: vec!["hs_lead_name".into()],
        limit: 10,
        after: None,
    };
    let visible_at = lead.attempted_at_ms + run.settings.task_lookup_delay_ms;
    match run
        .crm
        .search(row.portal_id, SearchObject::Leads, &request)
        .await
    {
        Ok(page) => match page.results.first() {
            Some(l) => Lookup::Found(l.id.clone()),
            None if run.now_ms() < visible_at && attempts < MAX_LEAD_ATTEMPTS => {
                Lookup::Later(Outcome::Retry {
                    at_ms: visible_at,
                    error: "lead create unconfirmed; looking it up again".into(),
                })
            }
            None => Lookup::Resend,
        },
        Err(err) => Lookup::Failed(err),
    }
}

/// A failed lookup search: retried while attempts remain, unless HubSpot refused it (not a lag
/// or a limit), which a retry will not change: then the lead is given up at once.
async fn search_failed(
    run: &Run<'_>,
    row: &HandoffRow,
    err: &HubspotError,
    attempts: i64,
    failures: &mut Failures,
) {
    let tries = match outcome_of(err, run.now_ms()) {
        Outcome::Dead { .. } => MAX_LEAD_ATTEMPTS,
        _ => attempts,
    };
    let retry = || run.outcome_of(err);
    give_up_or_retry(run, row, &err.to_string(), tries, failures, retry).await;
}

async fn settle_created(run: &Run<'_>, row: &HandoffRow, lead_id: &str) {
    let settled = LeadSettled::Created {
        lead_id,
        owner_id: row.owner_id,
    };
    match run
        .store
        .leads()
        .settled(row.id, settled, run.now_ms())
        .await
    {
        Ok(()) => {
            count(run, "created");
            tracing::info!(portal_id = row.portal_id.get(), contact_id = row.contact_id.get(), owner_id = %row.owner_id, lead_id, "lead created");
        }
        Err(err) => {
            tracing::warn!(portal_id = row.portal_id.get(), contact_id = row.contact_id.get(), lead_id, error = %err, "lead created but not recorded; it is looked up on the next run");
        }
    }
}

async fn create_failed(
    run: &Run<'_>,
    row: &HandoffRow,
    e: &ItemError,
    attempts: i64,
    failures: &mut Failures,
) {
    let retry_at = run.now_ms() + run.settings.task_lookup_delay_ms;
    match e {
        // Auth: the portal is paused until its credentials are fixed; the lead can wait.
        ItemError::Unconfirmed
        | ItemError::Request(
            HubspotError::Transient { .. }
            | HubspotError::RateLimited { .. }
            | HubspotError::Auth { .. },
        ) => {
            count(run, "unconfirmed");
            tracing::warn!(portal_id = row.portal_id.get(), contact_id = row.contact_id.get(), error = %why(e), "lead create unconfirmed; it is looked up before it is sent again");
            give_up_or_retry(run, row, &why(e), attempts, failures, || Outcome::Retry {
                at_ms: retry_at,
                error: "lead create unconfirmed; looking it up before creating again".into(),
            })
            .await;
        }
        other => {
            // A missing required property is logged with its code and property by `record`.
            let why = match other.refusal() {
                Some(r) => refusals::record(
                    run.metrics,
                    row.portal_id,
                    row.contact_id,
                    Refused::Lead,
                    &r,
                ),
                None => why(other),
            };
            let _ = run
                .store
                .leads()
                .settled(row.id, LeadSettled::Refused(&why), run.now_ms())
                .await;
            count(run, "refused");
            if other.refusal().is_none() {
                tracing::warn!(portal_id = row.portal_id.get(), contact_id = row.contact_id.get(), error = %why, "lead create refused; the handoff goes on without a lead");
            }
        }
    }
}

/// Retries the job while attempts remain, else records the lead as `failed` and lets the
/// handoff go on.
async fn give_up_or_retry(
    run: &Run<'_>,
    row: &HandoffRow,
    why: &str,
    attempts: i64,
    failures: &mut Failures,
    retry: impl FnOnce() -> Outcome,
) {
    if attempts < MAX_LEAD_ATTEMPTS {
        failures.insert(row.contact_id, retry());
        return;
    }
    let _ = run
        .store
        .leads()
        .settled(row.id, LeadSettled::Failed(why), run.now_ms())
        .await;
    count(run, "failed");
    tracing::warn!(portal_id = row.portal_id.get(), contact_id = row.contact_id.get(), error = %why, "lead create failed; the handoff goes on without a lead");
}
