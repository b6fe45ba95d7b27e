//! The events lane: claim up to `pipeline.batch_max_contacts` contacts' oldest events, wait up
//! to `pipeline.batch_window_ms` for more to arrive, fold each contact's later ready events into
//! its run (coalescing: the lease on the oldest event keeps every other worker off that
//! contact), then run the batch per portal and record each contact's outcome.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Span;

use super::batch::{self, ContactWork};
use super::{Pipeline, now_ms, retry_later};
use super::{intent, pause, trace};
use crate::hubspot::client::LEAD_OBJECT_TYPE;
use crate::hubspot::event::HubspotEvent;
use crate::jobs::{Job, KIND_HUBSPOT_EVENT, LANE_EVENTS};
use crate::metrics::JobLabel;
use crate::store::queue::{ClaimedJob, Outcome};

/// How the lane runs in this process.
#[derive(Debug, Clone)]
pub struct LaneSettings {
    pub owner: String,
    pub lease_ms: i64,
    pub poll: Duration,
    pub drain: Duration,
}

/// Runs the events lane until `shutdown`, then drains running batches.
pub async fn run(p: Arc<Pipeline>, lane: LaneSettings, shutdown: CancellationToken) {
    let slots = Arc::new(Semaphore::new(p.settings.batches_in_flight));
    let mut running = JoinSet::new();
    let mut wake = p.store.wakeups().await;
    while !shutdown.is_cancelled() {
        while running.try_join_next().is_some() {}
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            tokio::select! {
                () = shutdown.cancelled() => {}
                Some(_) = running.join_next() => {}
            }
            continue;
        };
        let jobs = gather(&p, &lane, &shutdown).await;
        if jobs.is_empty() {
            drop(permit);
            tokio::select! {
                () = shutdown.cancelled() => {}
                _ = wake.changed() => {}
                () = tokio::time::sleep(lane.poll) => {}
            }
            continue;
        }
        let (p, lane) = (p.clone(), lane.clone());
        running.spawn(async move {
            process(&p, &lane, jobs).await;
            drop(permit);
        });
    }
    if !running.is_empty() {
        tracing::info!(
            lane = LANE_EVENTS,
            batches = running.len(),
            "draining running jobs"
        );
        let all = async { while running.join_next().await.is_some() {} };
        if tokio::time::timeout(lane.drain, all).await.is_err() {
            tracing::warn!(
                lane = LANE_EVENTS,
                jobs = running.len(),
                "drain time elapsed; leaving jobs to lease expiry"
            );
            running.abort_all();
        }
    }
}

/// Claims a batch: what is due now, plus what arrives within the window.
async fn gather(
    p: &Pipeline,
    lane: &LaneSettings,
    shutdown: &CancellationToken,
) -> Vec<ClaimedJob> {
    let max = p.settings.batch_max_contacts as i64;
    let mut jobs = claim(p, lane, max).await;
    if jobs.is_empty() || jobs.len() as i64 >= max || p.settings.batch_window_ms == 0 {
        return jobs;
    }
    tokio::select! {
        () = shutdown.cancelled() => return jobs,
        () = tokio::time::sleep(Duration::from_millis(p.settings.batch_window_ms)) => {}
    }
    let more = claim(p, lane, max - jobs.len() as i64).await;
    jobs.extend(more);
    jobs
}

async fn claim(p: &Pipeline, lane: &LaneSettings, limit: i64) -> Vec<ClaimedJob> {
    match p
        .store
        .queue()
        .claim(LANE_EVENTS, &lane.owner, now_ms(), lane.lease_ms, limit)
        .await
    {
        Ok(jobs) => {
            p.metrics.queue_claims.inc_by(jobs.len() as u64);
            jobs
        }
        Err(err) => {
            tracing::warn!(lane = LANE_EVENTS, error = %err, "claim failed; retrying after the poll interval");
            Vec::new()
        }
    }
}

/// One head job and what was folded into it.
struct Unit {
    head: ClaimedJob,
    siblings: Vec<i64>,
    portal_id: i64,
    work: ContactWork,
    /// A Lead's events (`work.contact_id` is the lead id): `lead_stages.rs` runs it.
    lead: bool,
}

async fn process(p: &Pipeline, lane: &LaneSettings, jobs: Vec<ClaimedJob>) {
    let ids: Vec<i64> = jobs.iter().map(|j| j.id).collect();
    let heartbeat = tokio::spawn(crate::worker::runner::heartbeat(
        p.store.clone(),
        ids,
        lane.owner.clone(),
        lane.lease_ms,
    ));
    let rules = p.rules.current();
    let dispositions: BTreeSet<String> = rules
        .playbook
        .doc
        .dispositions
        .map
        .iter()
        .map(|d| d.property.clone())
        .collect();
    let mut relevant: BTreeSet<String> = p.contact_properties(&rules).into_iter().collect();
    relevant.extend(dispositions.iter().cloned());
    let watched = intent::Watched {
        relevant,
        dispositions,
    };
    let mut units = Vec::new();
    let mut outcomes: Vec<(ClaimedJob, Outcome, Span)> = Vec::new();
    for job in jobs {
        match unit(p, job, &watched).await {
            Ok(u) => units.push(u),
            Err((job, outcome)) => outcomes.push((job, outcome, Span::none())),
        }
    }
    p.metrics
        .pipeline
        .batch_contacts
        .observe(units.len() as f64);
    let (leads, units): (Vec<Unit>, Vec<Unit>) = units.into_iter().partition(|u| u.lead);
    let mut by_portal: BTreeMap<i64, Vec<ContactWork>> = BTreeMap::new();
    for u in &units {
        by_portal
            .entry(u.portal_id)
            .or_default()
            .push(u.work.clone());
    }
    let mut failures = std::collections::HashMap::new();
    let paused = p.pauses.paused(p).await;
    for (portal_id, work) in by_portal {
        let key = |w: &ContactWork| (portal_id, w.contact_id);
        match &paused {
            // A paused portal's contacts wait, without a HubSpot call.
            Ok(paused) if paused.contains(&portal_id) => {
                failures.extend(work.iter().map(|w| (key(w), pause::deferred())));
            }
            Ok(_) => {
                for (contact_id, outcome) in batch::run(p, portal_id, &work).await {
                    failures.insert((portal_id, contact_id), outcome);
                }
            }
            Err(err) => failures.extend(
                work.iter()
                    .map(|w| (key(w), retry_later(w.attempts, err.to_string()))),
            ),
        }
    }
    let lead_work = leads.iter().map(|u| (u.portal_id, u.work.clone()));
    let mut lead_failures = super::lead_stages::run_all(p, &paused, lead_work.collect()).await;
    heartbeat.abort();
    let mut done = Vec::new();
    for u in units {
        match failures.remove(&(u.portal_id, u.work.contact_id)) {
            Some(outcome) => outcomes.push((u.head, outcome, u.work.span)),
            None => done.push(u),
        }
    }
    for u in leads {
        match lead_failures.remove(&(u.portal_id, u.work.contact_id)) {
            Some(outcome) => outcomes.push((u.head, outcome, u.work.span)),
            None => done.push(u),
        }
    }
    finish(p, lane, done, outcomes).await;
}

/// Parses a head job, folds in its contact's later ready events and plans the run.
async fn unit(
    p: &Pipeline,
    head: ClaimedJob,
    watched: &intent::Watched,
) -> Result<Unit, (ClaimedJob, Outcome)> {
    let (event, request_id) = match Job::parse(&head) {
        Ok(Job::Event(e)) => (e.event, e.request_id),
        Ok(_) => {
            return Err((
                head,
                Outcome::Dead {
                    reason: "not an event job (wrong lane)".into(),
                },
            ));
        }
        Err(reason) => return Err((head, Outcome::Dead { reason })),
    };
    let mut events: Vec<HubspotEvent> = vec![event];
    let mut siblings = Vec::new();
    if let Ok(rest) = p
        .store
        .queue()
        .ready_siblings(LANE_EVENTS, &head.key, now_ms(), 500)
        .await
    {
        for s in rest {
            if let Ok(Job::Event(e)) = Job::parse_parts(KIND_HUBSPOT_EVENT, &s.payload) {
                events.push(e.event);
                siblings.push(s.id);
            }
        }
    }
    let first = &events[0];
    let (portal_id, contact_id, first_event_ms) =
        (first.portal_id, first.object_id, first.occurred_at);
    let lead = first.object_type_id == LEAD_OBJECT_TYPE;
    let span = trace::event_job(
        portal_id,
        contact_id,
        lead,
        head.id,
        &request_id,
        first.event_id,
    );
    let plan = if lead {
        let rules = p.rules.current();
        super::lead_stages::plan(&events, &rules.playbook.doc.leads.reason_property)
    } else {
        intent::plan(&events, watched)
    };
    p.metrics
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

async fn finish(
    p: &Pipeline,
    lane: &LaneSettings,
    done: Vec<Unit>,
    failed: Vec<(ClaimedJob, Outcome, Span)>,
) {
    let now = now_ms();
    let ids: Vec<i64> = done.iter().map(|u| u.head.id).collect();
    match p
        .store
        .queue()
        .finish_done_many(&lane.owner, &ids, now)
        .await
    {
        Ok(finished) => {
            let siblings: Vec<i64> = done
                .iter()
                .filter(|u| finished.binary_search(&u.head.id).is_ok())
                .flat_map(|u| u.siblings.iter().copied())
                .collect();
            if let Ok(n) = p.store.queue().finish_siblings(&siblings, now).await {
                p.metrics.pipeline.events_coalesced.inc_by(n);
            }
            count(p, "done", finished.len() as u64);
            count(p, "lease_lost", (ids.len() - finished.len()) as u64);
        }
        Err(err) => tracing::error!(error = %err, "could not record a job's outcome"),
    }
    for (job, outcome, span) in failed {
        let name = outcome.name();
        if let Outcome::Dead { reason } = &outcome {
            span.in_scope(|| {
                tracing::warn!(job_id = job.id, key = %job.key, reason = %reason, "event job dead-lettered");
            });
            p.metrics.queue_dead_letters.inc();
        }
        match p
            .store
            .queue()
            .finish(job.id, &lane.owner, &outcome, now)
            .await
        {
            Ok(()) => count(p, name, 1),
            Err(err) => {
                tracing::warn!(job_id = job.id, error = %err, "could not record a job's outcome")
            }
        }
    }
}

fn count(p: &Pipeline, outcome: &'static str, n: u64) {
    if n > 0 {
        p.metrics
            .jobs_finished
            .get_or_create(&JobLabel {
                kind: KIND_HUBSPOT_EVENT.into(),
                outcome,
            })
            .inc_by(n);
    }
}
