//! What the queue and the portal records tell on-call, on both engines, with time passed in:
//! ready jobs told apart as due, held, paused and scheduled; a job held back keeps ageing from
//! when it first became due (so the backlog gauge grows); a portal's HubSpot auth pause is
//! recorded until a resume or a fresh start, which also makes its held jobs due at once.

use handoff::metrics::Metrics;
use handoff::store::queue::{OnExisting, Outcome, Scheduled};
use handoff::store::{Dialect, NewJob, PAUSED_ERROR, QueueDepth, Store};

use crate::support::engines::open_store;

const T0: i64 = 1_000_000_000;
const LEASE: i64 = 30_000;
const PORTAL: i64 = 62515;

async fn add(store: &Store, lane: &'static str, key: &str, run_at_ms: i64) -> i64 {
    let job = NewJob {
        lane,
        key: key.to_owned(),
        kind: "test.v1",
        payload: serde_json::value::to_raw_value(&serde_json::json!({ "key": key })).unwrap(),
        occurred_at_ms: 1,
    };
    let scheduled = Scheduled {
        job,
        run_at_ms,
        max_attempts: 10,
    };
    store
        .queue()
        .schedule(&scheduled, OnExisting::Keep, T0)
        .await
        .unwrap()
}

/// Claims the one due job of `lane` at `now` and ends its run with `outcome`.
async fn run_once(store: &Store, lane: &str, now: i64, outcome: Outcome) -> i64 {
    let claimed = store.queue().claim(lane, "w", now, LEASE, 1).await.unwrap();
    assert_eq!(claimed.len(), 1, "one due job in {lane} at {now}");
    store
        .queue()
        .finish(claimed[0].id, "w", &outcome, now)
        .await
        .unwrap();
    claimed[0].id
}

fn row<'a>(depth: &'a [QueueDepth], lane: &str, status: &str) -> &'a QueueDepth {
    depth
        .iter()
        .find(|d| d.lane == lane && d.status == status)
        .unwrap_or_else(|| panic!("no {lane}/{status} in {depth:?}"))
}

/// The `handoff_queue_oldest_age_seconds` value of a lane and status after a refresh at `now`.
fn oldest_age_gauge(depth: &[QueueDepth], now: i64, lane: &str, status: &str) -> Option<f64> {
    let metrics = Metrics::new();
    metrics.set_queue_depth(depth, now);
    let series =
        format!("handoff_queue_oldest_age_seconds{{queue=\"{lane}\",status=\"{status}\"}} ");
    metrics
        .render()
        .lines()
        .find_map(|l| l.strip_prefix(&series).map(|v| v.parse().unwrap()))
}

async fn ready_jobs_are_told_apart_and_a_held_job_keeps_ageing(engine: Dialect) {
    let t = open_store(engine).await;
    let s = &t.store;
    // A retry backing off (as after a HubSpot auth failure), a job of a paused portal, a due
    // job (in a lane of its own, so claims below pick the others), and an SLA check for later.
    add(s, "events", "1:0-1:1", T0).await;
    let retry = Outcome::Retry {
        at_ms: T0 + 30_000,
        error: "hubspot.auth.token_rejected: refused".into(),
    };
    let held = run_once(s, "events", T0, retry).await;
    add(s, "events", "2:0-1:2", T0 + 1_000).await;
    let pause = Outcome::Defer {
        at_ms: T0 + 61_000,
        reason: PAUSED_ERROR.into(),
    };
    run_once(s, "events", T0 + 1_000, pause).await;
    add(s, "probe", "3:0-1:3", T0 + 5_000).await;
    add(s, "sla", "sla:1:1", T0 + 600_000).await;

    let now = T0 + 20_000;
    let depth = s.queue().depth(now).await.unwrap();
    assert_eq!(depth.len(), 4, "{depth:?}");
    let held_row = row(&depth, "events", "held");
    assert_eq!(
        (
            held_row.jobs,
            held_row.oldest_due_ms,
            held_row.next_run_at_ms
        ),
        (1, Some(T0), Some(T0 + 30_000)),
        "due since T0, next try at its retry time"
    );
    assert_eq!(
        row(&depth, "events", "paused").oldest_due_ms,
        Some(T0 + 1_000)
    );
    assert_eq!(row(&depth, "probe", "due").oldest_due_ms, Some(T0 + 5_000));
    let scheduled = row(&depth, "sla", "scheduled");
    assert_eq!(
        (
            scheduled.jobs,
            scheduled.oldest_due_ms,
            scheduled.next_run_at_ms
        ),
        (1, None, Some(T0 + 600_000)),
        "an SLA check for later is not ready work and has no age"
    );
    assert_eq!(oldest_age_gauge(&depth, now, "events", "held"), Some(20.0));
    assert_eq!(oldest_age_gauge(&depth, now, "sla", "scheduled"), None);

    // Its retry comes, fails the same way and backs off again: still due since T0.
    let again = Outcome::Retry {
        at_ms: T0 + 90_000,
        error: "hubspot.auth.portal_paused: paused".into(),
    };
    run_once(s, "events", T0 + 30_000, again).await;
    let now = T0 + 80_000;
    let depth = s.queue().depth(now).await.unwrap();
    assert_eq!(row(&depth, "events", "held").oldest_due_ms, Some(T0));
    assert_eq!(
        oldest_age_gauge(&depth, now, "events", "held"),
        Some(80.0),
        "the gauge of a held job grows with time"
    );

    // Once its time comes it is due (as is the paused portal's job, to look again), and still
    // counts its age from T0.
    let depth = s.queue().depth(T0 + 90_000).await.unwrap();
    let due = row(&depth, "events", "due");
    assert_eq!((due.jobs, due.oldest_due_ms), (2, Some(T0)));

    // A replayed dead letter starts a new life: due since the replay.
    let dead = Outcome::Dead {
        reason: "hubspot.permanent.rejected".into(),
    };
    let claimed = s
        .queue()
        .claim("events", "w", T0 + 90_000, LEASE, 10)
        .await
        .unwrap();
    let job = claimed.iter().find(|j| j.id == held).unwrap();
    s.queue()
        .finish(job.id, "w", &dead, T0 + 90_000)
        .await
        .unwrap();
    let filter = handoff::store::queue::DeadFilter::default();
    assert_eq!(
        s.dead_letters()
            .replay(&filter, Some(held), T0 + 100_000)
            .await
            .unwrap(),
        1
    );
    let depth = s.queue().depth(T0 + 100_000).await.unwrap();
    assert_eq!(
        row(&depth, "events", "due").oldest_due_ms,
        Some(T0 + 100_000)
    );
}

async fn an_auth_pause_is_recorded_until_a_resume_or_a_fresh_start(engine: Dialect) {
    let t = open_store(engine).await;
    let s = &t.store;
    let portal = handoff_ids::PortalId::try_from(PORTAL).unwrap();
    let auth_of = |rows: Vec<handoff::store::PortalPause>| {
        let row = rows.into_iter().find(|r| r.portal_id == portal).unwrap();
        (row.is_paused(), row.auth_failure, row.auth_failed_at_ms)
    };
    for at in [T0, T0 + 5_000] {
        let recorded = s
            .portals()
            .record_auth_failure(portal, "token_rejected", None, at);
        assert!(recorded.await.unwrap());
    }
    assert_eq!(
        auth_of(s.portals().pauses().await.unwrap()),
        (false, Some("token_rejected".into()), Some(T0)),
        "not an operator pause; the first time is kept"
    );
    // The portal's job waits out the failure; another portal's does not count.
    add(s, "events", &format!("{PORTAL}:0-1:7"), T0).await;
    let retry = Outcome::Retry {
        at_ms: T0 + 60_000,
        error: "hubspot.auth.token_rejected: refused".into(),
    };
    run_once(s, "events", T0, retry).await;
    add(s, "events", "99:0-1:7", T0 + 1_000).await;
    assert_eq!(s.portals().held_jobs(portal, T0 + 10_000).await.unwrap(), 1);
    assert_eq!(
        s.portals()
            .held_jobs(handoff_ids::PortalId::new(99).unwrap(), T0 + 10_000)
            .await
            .unwrap(),
        0
    );

    // A start with credentials loaded afresh: the record goes, the held job is due now.
    let (cleared, due) = s
        .portals()
        .auth_fresh_start(portal, T0 + 10_000)
        .await
        .unwrap();
    assert_eq!((cleared.as_deref(), due), (Some("token_rejected"), 1));
    assert_eq!(
        auth_of(s.portals().pauses().await.unwrap()),
        (false, None, None)
    );
    assert_eq!(s.portals().held_jobs(portal, T0 + 10_000).await.unwrap(), 0);
    let claimed = s
        .queue()
        .claim("events", "w", T0 + 10_000, LEASE, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 2, "the held job runs now, not at T0 + 60 s");
    assert_eq!(
        s.portals()
            .auth_fresh_start(portal, T0 + 11_000)
            .await
            .unwrap(),
        (None, 0)
    );

    // A resume clears a recorded failure too (every replica lifts its pause)...
    let recorded = s
        .portals()
        .record_auth_failure(portal, "refresh_rejected", None, T0 + 20_000);
    assert!(recorded.await.unwrap());
    s.portals().resume(portal, T0 + 30_000).await.unwrap();
    assert_eq!(
        auth_of(s.portals().pauses().await.unwrap()),
        (false, None, None)
    );
    // ...and a replica that read the record before that resume does not bring it back; one
    // paused again after the resume it saw does.
    let stale = s
        .portals()
        .record_auth_failure(portal, "refresh_rejected", None, T0 + 31_000);
    assert!(!stale.await.unwrap(), "the resume since the read wins");
    assert_eq!(
        auth_of(s.portals().pauses().await.unwrap()),
        (false, None, None)
    );
    let again =
        s.portals()
            .record_auth_failure(portal, "token_rejected", Some(T0 + 30_000), T0 + 40_000);
    assert!(again.await.unwrap());
    assert_eq!(
        auth_of(s.portals().pauses().await.unwrap()),
        (false, Some("token_rejected".into()), Some(T0 + 40_000))
    );
}

on_both_engines!(
    ready_jobs_are_told_apart_and_a_held_job_keeps_ageing,
    an_auth_pause_is_recorded_until_a_resume_or_a_fresh_start,
);
