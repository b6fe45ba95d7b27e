//! The events lane's batches: the lane driver (`worker::lane`) claims up to
//! `pipeline.batch_max_contacts` contacts' oldest events, and this runs them. Each claimed job
//! heads its contact's run: the contact's later ready events are folded into it (coalescing:
//! the lease on the oldest event keeps every other worker off that contact), the run's events
//! become a plan (`intent.rs`; `lead_stages.rs` for a Lead's), and the batch runs per portal
//! (a paused portal's contacts wait, without a HubSpot call). How each head job ended goes back
//! to the driver, which records it.

use crate::hubspot::client::{ContactId, PortalId};
use std::collections::{BTreeMap, BTreeSet, HashMap};

use tracing::Span;

use super::batch::{self, ContactWork};
use super::{Pipeline, Run, intent, trace};
use crate::hubspot::client::LEAD_OBJECT_TYPE;
use crate::hubspot::event::HubspotEvent;
use crate::jobs::{Job, KIND_HUBSPOT_EVENT, LANE_EVENTS};
use crate::store::StoreError;
use crate::store::queue::{ClaimedJob, Outcome};

/// How a batch's head jobs ended.
#[derive(Debug, Default)]
pub(crate) struct Ran {
    /// Done, with the sibling jobs folded into each.
    pub(crate) done: Vec<(ClaimedJob, Vec<i64>)>,
    /// Ended otherwise, with the span their contact's lines go in.
    pub(crate) failed: Vec<(ClaimedJob, Outcome, Span)>,
}

/// One head job and what was folded into it.
struct Unit {
    head: ClaimedJob,
    siblings: Vec<i64>,
    portal_id: PortalId,
    work: ContactWork,
    /// A Lead's events (`work.contact_id` is the lead id): `lead_stages.rs` runs it.
    lead: bool,
}

/// Outcomes by `(portal, contact or lead)`; the ones missing are done.
type Failures = HashMap<(PortalId, ContactId), Outcome>;

/// Runs a claimed batch of head jobs.
pub(crate) async fn run(p: &Pipeline, jobs: Vec<ClaimedJob>) -> Ran {
    let run = p.run();
    let watched = watched(&run);
    let mut units = Vec::new();
    let mut ran = Ran::default();
    for job in jobs {
        match unit(&run, job, &watched).await {
            Ok(u) => units.push(u),
            Err((job, outcome)) => ran.failed.push((job, outcome, Span::none())),
        }
    }
    run.metrics
        .pipeline
        .batch_contacts
        .observe(units.len() as f64);
    let (leads, contacts): (Vec<Unit>, Vec<Unit>) = units.into_iter().partition(|u| u.lead);
    let paused = p.paused().await;
    let failed = run_contacts(&run, &paused, &contacts).await;
    ran.settle(contacts, failed);
    let lead_work = leads.iter().map(|u| (u.portal_id, u.work.clone()));
    let failed = super::lead_stages::run_all(&run, &paused, lead_work.collect()).await;
    ran.settle(leads, failed);
    ran
}

impl Ran {
    /// Each unit is done unless `failed` has its outcome.
    fn settle(&mut self, units: Vec<Unit>, mut failed: Failures) {
        for u in units {
            match failed.remove(&(u.portal_id, u.work.contact_id)) {
                Some(outcome) => self.failed.push((u.head, outcome, u.work.span)),
                None => self.done.push((u.head, u.siblings)),
            }
        }
    }
}

/// The properties whose changes matter to this run's rules: what the pipeline reads, and
/// among them what the playbook's disposition map reads.
fn watched(run: &Run<'_>) -> intent::Watched {
    let dispositions: BTreeSet<String> = run
        .rules
        .playbook
        .doc
        .dispositions
        .map
        .iter()
        .map(|d| d.property.clone())
        .collect();
    let mut relevant: BTreeSet<String> = run.contact_properties().into_iter().collect();
    relevant.extend(dispositions.iter().cloned());
    intent::Watched {
        relevant,
        dispositions,
    }
}

/// Runs the contacts' units per portal; a paused portal's contacts wait.
async fn run_contacts(
    run: &Run<'_>,
    paused: &Result<BTreeSet<PortalId>, StoreError>,
    units: &[Unit],
) -> Failures {
    let mut by_portal: BTreeMap<PortalId, Vec<ContactWork>> = BTreeMap::new();
    for u in units {
        by_portal
            .entry(u.portal_id)
            .or_default()
            .push(u.work.clone());
    }
    let mut failures = Failures::new();
    for (portal_id, work) in by_portal {
        let key = |w: &ContactWork| (portal_id, w.contact_id);
        match paused {
            // A paused portal's contacts wait, without a HubSpot call.
            Ok(paused) if paused.contains(&portal_id) => {
                let deferred = super::pause::deferred(run.now_ms());
                failures.extend(work.iter().map(|w| (key(w), deferred.clone())));
            }
            Ok(_) => {
                for (contact_id, outcome) in batch::run(run, portal_id, &work).await {
                    failures.insert((portal_id, contact_id), outcome);
                }
            }
            Err(err) => failures.extend(
                work.iter()
                    .map(|w| (key(w), run.retry_later(w.attempts, err.to_string()))),
            ),
        }
    }
    failures
}

/// Parses a head job, folds in its contact's later ready events and plans the run.
async fn unit(
    run: &Run<'_>,
    head: ClaimedJob,
    watched: &intent::Watched,
) -> Result<Unit, (ClaimedJob, Outcome)> {
    let (event, request_id) = match Job::parse(&head) {
        Ok(Job::Event(e)) => (e.event, e.request_id),
        Ok(_) => {
            let reason = "not an event job (wrong lane)".into();
            return Err((head, Outcome::Dead { reason }));
        }
        Err(reason) => return Err((head, Outcome::Dead { reason })),
    };
    let (events, siblings) = fold_siblings(run, &head, event).await;
    let first = &events[0];
    let first_event_ms = first.occurred_at;
    // The receiver and the journal refuse ids out of range, and so does reading the payload
    // back (`Job::parse`: dead, never record 0).
    let portal_id = first.portal_id;
    let lead = first.object_type_id == LEAD_OBJECT_TYPE;
    // For a Lead's events, the lead id (`ContactWork::contact_id`).
    let contact_id = first.object_id.contact();
    let span = trace::event_job(
        portal_id,
        first.object_id,
        lead,
        head.id,
        &request_id,
        first.event_id,
    );
    let plan = if lead {
        let reason_property = &run.rules.playbook.doc.leads.reason_property;
        super::lead_stages::plan(&events, reason_property)
    } else {
        intent::plan(&events, watched)
    };
    run.metrics
        .pipeline
        .events_skipped
        .inc_by(plan.skipped as u64);
    Ok(Unit {
        work: ContactWork {
            contact_id,
            plan,
            attempts: head.attempts,
            first_event_ms,
            span,
        },
        head,
        siblings,
        portal_id,
        lead,
    })
}

/// The head's event and its contact's later ready events, oldest first, with the ids of the
/// sibling jobs folded in.
async fn fold_siblings(
    run: &Run<'_>,
    head: &ClaimedJob,
    event: HubspotEvent,
) -> (Vec<HubspotEvent>, Vec<i64>) {
    let mut events = vec![event];
    let mut siblings = Vec::new();
    let queue = run.store.queue();
    if let Ok(rest) = queue
        .ready_siblings(LANE_EVENTS, &head.key, run.now_ms(), 500)
        .await
    {
        for s in rest {
            if let Ok(Job::Event(e)) = Job::parse_parts(KIND_HUBSPOT_EVENT, &s.payload) {
                events.push(e.event);
                siblings.push(s.id);
            }
        }
    }
    (events, siblings)
}
