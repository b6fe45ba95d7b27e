//! A model-based property test of the job queue: random interleavings of schedule, claim,
//! finish, extend_lease, release_expired, cancel and the passing of time run against the real
//! `Store` and against a plain in-memory model (a `Vec` of jobs), and after every step the two
//! must agree on what the step returned and on the state of every job.
//!
//! The model states the contract of `store::queue` directly: a key's next job is its oldest open
//! (ready or leased) job by `(occurred_at_ms, id)`, a leased job blocks its key (keys are global,
//! not per lane, as the doc says "at most one job per key runs at a time"), a claim hands out the
//! due heads of a lane by `(run_at_ms, id)`, and a lease is held while `lease_until_ms >= now`.

use std::collections::BTreeMap;
use std::fmt;

use handoff::store::queue::{DeadFilter, OnExisting, Outcome, QueueError, Scheduled};
use handoff::store::{Dialect, NewJob, PAUSED_ERROR, Store};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use crate::support::engines::{fresh_url, settings};

const LANES: [&str; 2] = ["events", "sla"];
const KEYS: usize = 4;
const OWNERS: usize = 3;
const LEASE_MS: i64 = 1_000;
const START_MS: i64 = 1_000_000;
const LEASE_EXPIRED: &str = "lease expired on its last attempt (worker crashed or hung)";

#[test]
fn the_sqlite_queue_behaves_like_a_simple_model_under_random_interleavings() {
    check_against_model(Dialect::Sqlite, 64, 2_048);
}

#[test]
fn the_postgres_queue_behaves_like_a_simple_model_under_random_interleavings() {
    check_against_model(Dialect::Postgres, 8, 256);
}

/// Runs `cases` random op sequences; a failure is shrunk (at most `shrink_iters` tries, each on
/// a fresh database) to a short sequence that still disagrees, which the panic message shows.
fn check_against_model(engine: Dialect, cases: u32, shrink_iters: u32) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let config = Config {
        cases,
        max_shrink_iters: shrink_iters,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&prop::collection::vec(op(), 1..40), |ops| {
        runtime.block_on(run_case(engine, &ops))
    });
    if let Err(err) = result {
        panic!("{err}");
    }
}

// ---------------------------------------------------------------------------------------------
// Operations

#[derive(Debug, Clone)]
enum Op {
    Schedule {
        lane: usize,
        key: usize,
        occurred_at_ms: i64,
        delay_ms: i64,
        max_attempts: i64,
        replace: bool,
    },
    Claim {
        lane: usize,
        owner: usize,
        limit: i64,
    },
    /// `as_holder`: finish a job the model says is leased, as its owner (if any is leased);
    /// otherwise any job (or none) as `owner`.
    Finish {
        job: Index,
        as_holder: bool,
        owner: usize,
        end: End,
    },
    Extend {
        job: Index,
        as_holder: bool,
        owner: usize,
        until_in_ms: i64,
    },
    ReleaseExpired,
    Cancel {
        lane: usize,
        key: usize,
    },
    Advance(i64),
}

#[derive(Debug, Clone)]
enum End {
    Done,
    Retry {
        in_ms: i64,
    },
    Dead,
    /// Not run (a paused portal): back to ready, the attempt given back.
    Defer {
        in_ms: i64,
    },
}

/// Mostly the first lane, so claims find work; the second still competes for the same keys.
fn lane() -> impl Strategy<Value = usize> {
    prop_oneof![3 => Just(0usize), 1 => Just(1usize)]
}

fn op() -> impl Strategy<Value = Op> {
    let schedule = (
        lane(),
        0..KEYS,
        0..4i64,
        prop_oneof![3 => Just(0i64), 1 => 0..3_000i64],
        1..=3i64,
        prop::bool::weighted(0.2),
    )
        .prop_map(
            |(lane, key, occurred, delay_ms, max_attempts, replace)| Op::Schedule {
                lane,
                key,
                occurred_at_ms: occurred * 1_000,
                delay_ms,
                max_attempts,
                replace,
            },
        );
    let claim = (lane(), 0..OWNERS, 1..=3i64).prop_map(|(lane, owner, limit)| Op::Claim {
        lane,
        owner,
        limit,
    });
    let end = prop_oneof![
        2 => Just(End::Done),
        3 => prop_oneof![Just(0i64), 0..2_000i64].prop_map(|in_ms| End::Retry { in_ms }),
        1 => Just(End::Dead),
        1 => (0..2_000i64).prop_map(|in_ms| End::Defer { in_ms }),
    ];
    let finish = (any::<Index>(), prop::bool::weighted(0.9), 0..OWNERS, end).prop_map(
        |(job, as_holder, owner, end)| Op::Finish {
            job,
            as_holder,
            owner,
            end,
        },
    );
    let extend = (
        any::<Index>(),
        prop::bool::weighted(0.7),
        0..OWNERS,
        -500..2_000i64,
    )
        .prop_map(|(job, as_holder, owner, until_in_ms)| Op::Extend {
            job,
            as_holder,
            owner,
            until_in_ms,
        });
    let cancel = (lane(), 0..KEYS).prop_map(|(lane, key)| Op::Cancel { lane, key });
    prop_oneof![
        6 => schedule,
        4 => claim,
        4 => finish,
        1 => extend,
        2 => Just(Op::ReleaseExpired),
        1 => cancel,
        // Exactly a lease, and one past it, so the `lease_until_ms >= now` boundary is hit.
        2 => prop_oneof![0..3_000i64, Just(LEASE_MS), Just(LEASE_MS + 1)].prop_map(Op::Advance),
    ]
}

// ---------------------------------------------------------------------------------------------
// The model

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Ready,
    Leased { owner: usize, until_ms: i64 },
    Done,
    Dead,
}

#[derive(Debug, Clone)]
struct Job {
    id: i64,
    lane: usize,
    key: usize,
    occurred_at_ms: i64,
    run_at_ms: i64,
    /// When a job put back (retry, defer) first became due; `None` until then.
    due_since_ms: Option<i64>,
    max_attempts: i64,
    attempts: i64,
    status: Status,
    last_error: Option<String>,
}

impl Job {
    fn is_open(&self) -> bool {
        matches!(self.status, Status::Ready | Status::Leased { .. })
    }

    fn is_held_by(&self, owner: usize, now_ms: i64) -> bool {
        matches!(self.status, Status::Leased { owner: o, until_ms } if o == owner && until_ms >= now_ms)
    }
}

#[derive(Debug, Default)]
struct Model {
    now_ms: i64,
    jobs: Vec<Job>,
}

impl Model {
    fn job(&mut self, id: i64) -> Option<&mut Job> {
        self.jobs.iter_mut().find(|j| j.id == id)
    }

    /// The job a key runs next: none while one of its jobs is leased, else its oldest open job.
    fn next_of_key(&self, key: usize) -> Option<i64> {
        let open = self.jobs.iter().filter(|j| j.key == key && j.is_open());
        if open
            .clone()
            .any(|j| matches!(j.status, Status::Leased { .. }))
        {
            return None;
        }
        open.min_by_key(|j| (j.occurred_at_ms, j.id)).map(|j| j.id)
    }

    fn claim(&mut self, lane: usize, owner: usize, limit: i64) -> Vec<i64> {
        let now = self.now_ms;
        let mut due: Vec<(i64, i64)> = (0..KEYS)
            .filter_map(|key| self.next_of_key(key))
            .filter_map(|id| self.jobs.iter().find(|j| j.id == id))
            .filter(|j| j.lane == lane && j.status == Status::Ready && j.run_at_ms <= now)
            .map(|j| (j.run_at_ms, j.id))
            .collect();
        due.sort();
        let mut ids: Vec<i64> = due
            .into_iter()
            .take(limit as usize)
            .map(|(_, id)| id)
            .collect();
        for &id in &ids {
            let job = self.job(id).unwrap();
            job.status = Status::Leased {
                owner,
                until_ms: now + LEASE_MS,
            };
            job.attempts += 1;
        }
        ids.sort();
        ids
    }

    /// `true` if the finish is accepted.
    fn finish(&mut self, id: i64, owner: usize, outcome: &Outcome) -> bool {
        let now = self.now_ms;
        let Some(job) = self.job(id).filter(|j| j.is_held_by(owner, now)) else {
            return false;
        };
        match outcome {
            Outcome::Done => job.status = Status::Done,
            Outcome::Retry { at_ms, error } => {
                job.due_since_ms = job.due_since_ms.or(Some(job.run_at_ms));
                job.run_at_ms = *at_ms;
                if job.attempts >= job.max_attempts {
                    job.status = Status::Dead;
                    job.last_error =
                        Some(format!("gave up after {} attempts: {error}", job.attempts));
                } else {
                    job.status = Status::Ready;
                    job.last_error = Some(error.clone());
                }
            }
            Outcome::Dead { reason } => {
                job.status = Status::Dead;
                job.last_error = Some(reason.clone());
            }
            Outcome::Defer { at_ms, reason } => {
                job.due_since_ms = job.due_since_ms.or(Some(job.run_at_ms));
                job.run_at_ms = *at_ms;
                job.attempts = (job.attempts - 1).max(0);
                job.status = Status::Ready;
                job.last_error = Some(reason.clone());
            }
        }
        true
    }

    fn extend(&mut self, id: i64, owner: usize, until: i64) -> bool {
        let now = self.now_ms;
        let Some(job) = self.job(id).filter(|j| j.is_held_by(owner, now)) else {
            return false;
        };
        job.status = Status::Leased {
            owner,
            until_ms: until,
        };
        true
    }

    fn release_expired(&mut self) -> (u64, u64) {
        let now = self.now_ms;
        let (mut ready, mut dead) = (0, 0);
        for job in &mut self.jobs {
            if let Status::Leased { until_ms, .. } = job.status
                && until_ms < now
            {
                if job.attempts >= job.max_attempts {
                    job.status = Status::Dead;
                    job.last_error = Some(LEASE_EXPIRED.to_owned());
                    dead += 1;
                } else {
                    job.status = Status::Ready;
                    ready += 1;
                }
            }
        }
        (ready, dead)
    }

    fn cancel(&mut self, lane: usize, key: usize) -> u64 {
        let before = self.jobs.len();
        self.jobs
            .retain(|j| !(j.lane == lane && j.key == key && j.status == Status::Ready));
        (before - self.jobs.len()) as u64
    }

    /// Picks the target of a finish or extend: a leased job and its holder, or any job (or a
    /// job id that does not exist) and a given owner.
    fn pick(&self, index: &Index, as_holder: bool, owner: usize) -> (i64, usize) {
        let leased: Vec<(i64, usize)> = self
            .jobs
            .iter()
            .filter_map(|j| match j.status {
                Status::Leased { owner, .. } => Some((j.id, owner)),
                _ => None,
            })
            .collect();
        if as_holder && !leased.is_empty() {
            return leased[index.index(leased.len())];
        }
        if self.jobs.is_empty() {
            return (-1, owner);
        }
        (self.jobs[index.index(self.jobs.len())].id, owner)
    }
}

// ---------------------------------------------------------------------------------------------
// Running a case against the store

/// One row of the `jobs` table as the test compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    id: i64,
    queue: String,
    key: String,
    status: String,
    attempts: i64,
    max_attempts: i64,
    run_at_ms: i64,
    due_since_ms: Option<i64>,
    lease_owner: Option<String>,
    lease_until_ms: Option<i64>,
    last_error: Option<String>,
}

type RawRow = (
    i64,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<String>,
);

const SNAPSHOT: &str = "SELECT id, queue, job_key, status, attempts, max_attempts, run_at_ms, \
                        due_since_ms, lease_owner, lease_until_ms, last_error FROM jobs ORDER BY id";

/// A second connection straight to the database, to read every job's state.
enum Reader {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl Reader {
    async fn rows(&mut self) -> Vec<Row> {
        let raw: Vec<RawRow> = match self {
            Self::Sqlite(c) => sqlx::query_as(SNAPSHOT).fetch_all(c).await.unwrap(),
            Self::Postgres(c) => sqlx::query_as(SNAPSHOT).fetch_all(c).await.unwrap(),
        };
        raw.into_iter()
            .map(
                |(
                    id,
                    queue,
                    key,
                    status,
                    attempts,
                    max_attempts,
                    run_at_ms,
                    due,
                    owner,
                    until,
                    err,
                )| {
                    Row {
                        id,
                        queue,
                        key,
                        status,
                        attempts,
                        max_attempts,
                        run_at_ms,
                        due_since_ms: due,
                        lease_owner: owner,
                        lease_until_ms: until,
                        last_error: err,
                    }
                },
            )
            .collect()
    }
}

fn owner_name(owner: usize) -> String {
    format!("w{owner}")
}

fn key_name(key: usize) -> String {
    format!("k{key}")
}

fn expected_row(job: &Job) -> Row {
    let (status, lease_owner, lease_until_ms) = match job.status {
        Status::Ready => ("ready", None, None),
        Status::Leased { owner, until_ms } => ("leased", Some(owner_name(owner)), Some(until_ms)),
        Status::Done => ("done", None, None),
        Status::Dead => ("dead", None, None),
    };
    Row {
        id: job.id,
        queue: LANES[job.lane].to_owned(),
        key: key_name(job.key),
        status: status.to_owned(),
        attempts: job.attempts,
        max_attempts: job.max_attempts,
        run_at_ms: job.run_at_ms,
        due_since_ms: job.due_since_ms,
        lease_owner,
        lease_until_ms,
        last_error: job.last_error.clone(),
    }
}

/// What went wrong, with the steps that led there.
struct Disagreement {
    step: usize,
    ops: Vec<Op>,
    what: String,
}

impl fmt::Display for Disagreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "store and model disagree at step {}:", self.step)?;
        writeln!(f, "  {}", self.what)?;
        writeln!(f, "steps so far:")?;
        for (i, op) in self.ops.iter().enumerate() {
            writeln!(f, "  {i:>2}: {op:?}")?;
        }
        Ok(())
    }
}

async fn run_case(engine: Dialect, ops: &[Op]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_url(engine, dir.path()).await;
    let store = Store::connect(&settings(&url)).await.unwrap();
    store.migrate().await.unwrap();
    let mut reader = match engine {
        Dialect::Sqlite => Reader::Sqlite(
            <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
                .await
                .unwrap(),
        ),
        Dialect::Postgres => Reader::Postgres(
            <sqlx::PgConnection as sqlx::Connection>::connect(&url)
                .await
                .unwrap(),
        ),
    };
    let mut model = Model {
        now_ms: START_MS,
        jobs: Vec::new(),
    };
    let mut outcome = Ok(());
    for (step, op) in ops.iter().enumerate() {
        let checked = match apply(&store, &mut model, op).await {
            Ok(()) => compare_state(&store, &mut reader, &model).await,
            Err(what) => Err(what),
        };
        if let Err(what) = checked {
            let disagreement = Disagreement {
                step,
                ops: ops[..=step].to_vec(),
                what,
            };
            outcome = Err(TestCaseError::fail(disagreement.to_string()));
            break;
        }
    }
    match reader {
        Reader::Sqlite(c) => sqlx::Connection::close(c).await.unwrap(),
        Reader::Postgres(c) => sqlx::Connection::close(c).await.unwrap(),
    }
    store.close().await;
    outcome
}

/// `Ok(true)` when the store accepted, `Ok(false)` on `LeaseLost`.
fn accepted(result: Result<(), QueueError>, id: i64) -> Result<bool, String> {
    match result {
        Ok(()) => Ok(true),
        Err(QueueError::LeaseLost(lost)) if lost == id => Ok(false),
        Err(err) => Err(format!("unexpected error: {err}")),
    }
}

/// Runs one step on both sides and compares what each returned.
async fn apply(store: &Store, model: &mut Model, op: &Op) -> Result<(), String> {
    let now = model.now_ms;
    match *op {
        Op::Schedule {
            lane,
            key,
            occurred_at_ms,
            delay_ms,
            max_attempts,
            replace,
        } => {
            let scheduled = Scheduled {
                job: NewJob {
                    lane: LANES[lane],
                    key: key_name(key),
                    kind: "model.v1",
                    payload: serde_json::value::to_raw_value(&serde_json::json!({ "k": key }))
                        .unwrap(),
                    occurred_at_ms,
                },
                run_at_ms: now + delay_ms,
                max_attempts,
            };
            let on_existing = if replace {
                OnExisting::Replace
            } else {
                OnExisting::Keep
            };
            let id = store
                .queue()
                .schedule(&scheduled, on_existing, now)
                .await
                .map_err(|e| format!("schedule failed: {e}"))?;
            if replace {
                model.cancel(lane, key);
            }
            if model.jobs.iter().any(|j| j.id == id) {
                return Err(format!("schedule returned id {id}, already in use"));
            }
            if model.jobs.iter().any(|j| j.id > id) {
                return Err(format!(
                    "schedule returned id {id}, lower than an older job's"
                ));
            }
            model.jobs.push(Job {
                id,
                lane,
                key,
                occurred_at_ms,
                run_at_ms: now + delay_ms,
                due_since_ms: None,
                max_attempts,
                attempts: 0,
                status: Status::Ready,
                last_error: None,
            });
        }
        Op::Claim { lane, owner, limit } => {
            let claimed = store
                .queue()
                .claim(LANES[lane], &owner_name(owner), now, LEASE_MS, limit)
                .await
                .map_err(|e| format!("claim failed: {e}"))?;
            let mut got: Vec<i64> = claimed.iter().map(|j| j.id).collect();
            got.sort();
            let want = model.claim(lane, owner, limit);
            if got != want {
                return Err(format!("claim handed out {got:?}, the model {want:?}"));
            }
            for c in &claimed {
                let j = model.jobs.iter().find(|j| j.id == c.id).unwrap();
                let seen = (c.lane.clone(), c.key.clone(), c.attempts, c.max_attempts);
                let expected = (
                    LANES[j.lane].to_owned(),
                    key_name(j.key),
                    j.attempts,
                    j.max_attempts,
                );
                if seen != expected
                    || c.occurred_at_ms != j.occurred_at_ms
                    || c.lease_until_ms != now + LEASE_MS
                {
                    return Err(format!(
                        "claimed job {c:?} does not match the model's {j:?}"
                    ));
                }
            }
        }
        Op::Finish {
            ref job,
            as_holder,
            owner,
            ref end,
        } => {
            let (id, owner) = model.pick(job, as_holder, owner);
            let outcome = match *end {
                End::Done => Outcome::Done,
                End::Retry { in_ms } => Outcome::Retry {
                    at_ms: now + in_ms,
                    error: "flaky".to_owned(),
                },
                End::Dead => Outcome::Dead {
                    reason: "broken".to_owned(),
                },
                End::Defer { in_ms } => Outcome::Defer {
                    at_ms: now + in_ms,
                    reason: PAUSED_ERROR.to_owned(),
                },
            };
            let got = accepted(
                store
                    .queue()
                    .finish(id, &owner_name(owner), &outcome, now)
                    .await,
                id,
            )?;
            let want = model.finish(id, owner, &outcome);
            if got != want {
                return Err(format!(
                    "finish of job {id} by w{owner}: store accepted={got}, model accepted={want}"
                ));
            }
        }
        Op::Extend {
            ref job,
            as_holder,
            owner,
            until_in_ms,
        } => {
            let (id, owner) = model.pick(job, as_holder, owner);
            let until = now + until_in_ms;
            let got = accepted(
                store
                    .queue()
                    .extend_lease(id, &owner_name(owner), now, until)
                    .await,
                id,
            )?;
            let want = model.extend(id, owner, until);
            if got != want {
                return Err(format!(
                    "extend of job {id} by w{owner}: store accepted={got}, model accepted={want}"
                ));
            }
        }
        Op::ReleaseExpired => {
            let got = store
                .queue()
                .release_expired(now)
                .await
                .map_err(|e| format!("release_expired failed: {e}"))?;
            let want = model.release_expired();
            if got != want {
                return Err(format!(
                    "release_expired returned (ready, dead) {got:?}, the model {want:?}"
                ));
            }
        }
        Op::Cancel { lane, key } => {
            let got = store
                .queue()
                .cancel(LANES[lane], &key_name(key))
                .await
                .map_err(|e| format!("cancel failed: {e}"))?;
            let want = model.cancel(lane, key);
            if got != want {
                return Err(format!("cancel removed {got} jobs, the model {want}"));
            }
        }
        Op::Advance(ms) => model.now_ms += ms,
    }
    Ok(())
}

/// Every job's state, the dead-letter listing and the queue depth must match the model.
/// A job's state in `Queue::depth`: ready jobs by whether they can run now, wait for a pause,
/// were due and wait to run again, or are not due yet.
fn depth_state(r: &Row, now_ms: i64) -> &str {
    match r.status.as_str() {
        "ready" if r.run_at_ms <= now_ms => "due",
        "ready" if r.last_error.as_deref() == Some(PAUSED_ERROR) => "paused",
        "ready" if r.due_since_ms.is_some() => "held",
        "ready" => "scheduled",
        other => other,
    }
}

async fn compare_state(store: &Store, reader: &mut Reader, model: &Model) -> Result<(), String> {
    let rows = reader.rows().await;
    let mut jobs: Vec<&Job> = model.jobs.iter().collect();
    jobs.sort_by_key(|j| j.id);
    let expected: Vec<Row> = jobs.iter().map(|j| expected_row(j)).collect();
    if rows != expected {
        let diff: Vec<String> = rows
            .iter()
            .map(Some)
            .chain(std::iter::repeat(None))
            .zip(expected.iter().map(Some).chain(std::iter::repeat(None)))
            .take(rows.len().max(expected.len()))
            .filter(|(a, b)| a != b)
            .map(|(a, b)| format!("store {a:?}\n    model {b:?}"))
            .collect();
        return Err(format!(
            "jobs differ at now={}:\n  {}",
            model.now_ms,
            diff.join("\n  ")
        ));
    }

    let dead = store
        .dead_letters()
        .list(&DeadFilter::default())
        .await
        .map_err(|e| format!("dead_jobs failed: {e}"))?;
    let got: Vec<(i64, i64, bool)> = dead
        .iter()
        .map(|d| (d.id, d.attempts, d.last_error.is_some()))
        .collect();
    let want: Vec<(i64, i64, bool)> = jobs
        .iter()
        .filter(|j| j.status == Status::Dead)
        .map(|j| (j.id, j.attempts, true))
        .collect();
    if got != want {
        return Err(format!(
            "dead letters (id, attempts, has error) {got:?}, the model {want:?}"
        ));
    }

    let now = model.now_ms;
    let depth = store
        .queue()
        .depth(now)
        .await
        .map_err(|e| format!("queue depth failed: {e}"))?;
    type Depth = (i64, Option<i64>, Option<i64>);
    let got: BTreeMap<(String, String), Depth> = depth
        .into_iter()
        .map(|d| {
            let counts = (d.jobs, d.oldest_due_ms, d.next_run_at_ms);
            ((d.lane, d.status), counts)
        })
        .collect();
    let mut want: BTreeMap<(String, String), Depth> = BTreeMap::new();
    for row in expected.iter().filter(|r| r.status != "done") {
        let state = depth_state(row, now);
        let due = (state != "scheduled").then(|| row.due_since_ms.unwrap_or(row.run_at_ms));
        let entry = want
            .entry((row.queue.clone(), state.to_owned()))
            .or_insert((0, due, Some(row.run_at_ms)));
        entry.0 += 1;
        entry.1 = entry.1.min(due); // all Some, or (scheduled) all None
        entry.2 = entry.2.min(Some(row.run_at_ms));
    }
    if got != want {
        return Err(format!("queue depth {got:?}, the model {want:?}"));
    }
    Ok(())
}
