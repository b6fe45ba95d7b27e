//! Job queue benchmark, on each store engine: claim+complete throughput with 1, 4 and 16
//! concurrent workers, and idle-to-start latency (an idle worker, then one job enqueued).
//!
//! SQLite runs on a temporary file with `synchronous=FULL`, as in production. PostgreSQL runs on
//! a fresh database of the server that PGHOST/PGPORT/PGUSER/PGPASSWORD name (as the tests do);
//! without PGHOST that part is skipped. A throwaway cluster (pg_virtualenv turns fsync off
//! unless told otherwise; production has it on):
//!
//! `pg_virtualenv -o fsync=on -- cargo bench --bench queue`
//!
//! Options (after `--`): `--sqlite-jobs 2000 --sqlite-keys 200 --pg-jobs 20000 --pg-keys 2000
//! --batches 1,16 --workers 1,4,16 --samples 200 --max-secs 8 --max-connections 4 --analyze 1`.
//! `--analyze 0` skips `ANALYZE jobs` after loading PostgreSQL (a burst before autovacuum runs).
//! `--max-secs` caps each throughput run (jobs completed by then count; the row says so).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use handoff::jobs::{KIND_HUBSPOT_EVENT, LANE_EVENTS};
use handoff::store::queue::{OnExisting, Outcome, Scheduled};
use handoff::store::{
    InboxEntry, NOTIFY_CHANNEL, NewDelivery, NewJob, SqliteSynchronous, Store, StoreSettings,
};
use sqlx::postgres::PgListener;
use tokio::sync::{Notify, mpsc};

#[path = "../tests/it/support/pg_env.rs"]
mod pg_env;

const LEASE_MS: i64 = 60_000;
/// Events per preloaded delivery (HubSpot sends up to 100 per request).
const PER_DELIVERY: usize = 100;
/// A worker that finds nothing waits at most this long for a NOTIFY before polling anyway.
const FALLBACK_POLL: Duration = Duration::from_secs(1);
/// The SQLite poll-mode interval.
const SQLITE_POLL: Duration = Duration::from_millis(50);

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn list_arg(name: &str, default: &[i64]) -> Vec<i64> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| default.to_vec())
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// The PostgreSQL server of the environment (as tests/it/support/engines.rs builds it), or `None`.
struct PgServer {
    server: pg_env::PgEnv,
    admin_url: String,
}

impl PgServer {
    fn from_env() -> Option<Self> {
        let server = pg_env::PgEnv::from_env()?;
        let admin_url = server.admin_url();
        Some(Self { server, admin_url })
    }

    async fn admin(&self, sql: String) {
        let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&self.admin_url)
            .await
            .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {}: {e}", self.server.address));
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut admin)
            .await
            .unwrap();
    }

    /// The server's durability settings, for the report.
    async fn durability(&self) -> String {
        let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&self.admin_url)
            .await
            .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {}: {e}", self.server.address));
        let mut parts = Vec::new();
        for name in ["server_version", "fsync", "synchronous_commit"] {
            let value: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SHOW {name}")))
                .fetch_one(&mut admin)
                .await
                .unwrap();
            parts.push(format!("{name}={value}"));
        }
        parts.join(", ")
    }

    /// Creates an empty database; returns its name and URL.
    async fn fresh(&self) -> (String, String) {
        let name = format!("handoff_bench_{}", uuid::Uuid::now_v7().simple());
        self.admin(format!("CREATE DATABASE \"{name}\"")).await;
        let url = self.server.url(&name);
        (name, url)
    }

    async fn drop_db(&self, name: &str) {
        self.admin(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await;
    }
}

/// Production store settings (config/default.toml), on `url`.
fn settings(url: &str, max_connections: u32) -> StoreSettings {
    StoreSettings {
        url: url.to_owned(),
        sqlite_synchronous: SqliteSynchronous::Full,
        busy_timeout_ms: 5_000,
        max_connections,
        commit_timeout_ms: 4_000,
        max_group_deliveries: 64,
    }
}

/// A migrated, empty store and what is needed to throw it away.
struct Fresh {
    store: Store,
    url: String,
    pg_name: Option<String>,
    _dir: tempfile::TempDir,
}

async fn fresh_store(pg: Option<&PgServer>, max_connections: u32) -> Fresh {
    let dir = tempfile::tempdir().unwrap();
    let (url, pg_name) = match pg {
        None => (
            format!("sqlite://{}/handoff.db", dir.path().display()),
            None,
        ),
        Some(pg) => {
            let (name, url) = pg.fresh().await;
            (url, Some(name))
        }
    };
    let store = Store::connect(&settings(&url, max_connections))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    Fresh {
        store,
        url,
        pg_name,
        _dir: dir,
    }
}

async fn discard(fresh: Fresh, pg: Option<&PgServer>) {
    fresh.store.close().await;
    if let (Some(pg), Some(name)) = (pg, fresh.pg_name.as_deref()) {
        pg.drop_db(name).await;
    }
}

fn job(key: String, occurred_at_ms: i64) -> NewJob {
    NewJob {
        lane: LANE_EVENTS,
        key,
        kind: KIND_HUBSPOT_EVENT,
        payload: serde_json::value::to_raw_value(&serde_json::json!({
            "eventId": occurred_at_ms, "subscriptionType": "contact.creation", "objectId": 1
        }))
        .unwrap(),
        occurred_at_ms,
    }
}

/// `jobs` ready jobs over `keys` keys, interleaved (job `i` has key `i % keys`, as a burst over
/// many contacts arrives), in deliveries of 100 received 1 ms apart, all due now.
async fn preload(store: &Store, jobs: usize, keys: usize) {
    let deliveries = jobs.div_ceil(PER_DELIVERY);
    let base = now_ms() - deliveries as i64 - 10;
    for d in 0..deliveries {
        let entries = (d * PER_DELIVERY..((d + 1) * PER_DELIVERY).min(jobs))
            .map(|i| {
                let mut dedup_key = [0u8; 16];
                dedup_key[..8].copy_from_slice(&(i as u64).to_be_bytes());
                InboxEntry {
                    dedup_key,
                    portal_id: handoff_ids::PortalId::new(62515).unwrap(),
                    job: job(format!("62515:{}", i % keys), base + d as i64),
                }
            })
            .collect();
        let receipt = store
            .inbox()
            .enqueue(NewDelivery {
                received_at_ms: base + d as i64,
                entries,
            })
            .await
            .unwrap();
        assert_eq!(receipt.duplicates, 0);
    }
}

/// One engine's throughput runs: the load, and the store's pool size.
struct Plan {
    jobs: usize,
    keys: usize,
    max_connections: u32,
    /// Each run stops here; the jobs completed by then count.
    cap: Duration,
    /// PostgreSQL: `ANALYZE jobs` after loading.
    analyze: bool,
}

struct Throughput {
    workers: usize,
    batch: i64,
    /// Complete a claimed batch in one transaction (`finish_done_many`) instead of per job.
    batched_finish: bool,
    jobs: u64,
    secs: f64,
    capped: bool,
}

/// Workers loop `claim` then `finish(Done)` per job until every preloaded job is done (or the
/// time cap). A claim that finds nothing while others still hold the remaining keys waits 1 ms.
async fn throughput(
    pg: Option<&PgServer>,
    plan: &Plan,
    workers: usize,
    batch: i64,
    batched_finish: bool,
) -> Throughput {
    let fresh = fresh_store(pg, plan.max_connections).await;
    preload(&fresh.store, plan.jobs, plan.keys).await;
    if pg.is_some() && plan.analyze {
        // Steady state: autovacuum would have analyzed the table. Without statistics right after
        // a bulk load the planner expects one ready row and sorts every ready row per claim.
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&fresh.url)
            .await
            .unwrap();
        sqlx::query("ANALYZE jobs")
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let done = Arc::new(AtomicU64::new(0));
    let target = plan.jobs as u64;
    let started = Instant::now();
    let deadline = started + plan.cap;
    let tasks: Vec<_> = (0..workers)
        .map(|w| {
            let store = fresh.store.clone();
            let done = done.clone();
            tokio::spawn(async move {
                let owner = format!("bench-worker-{w}");
                while done.load(Ordering::Relaxed) < target && Instant::now() < deadline {
                    let claimed = store
                        .queue()
                        .claim(LANE_EVENTS, &owner, now_ms(), LEASE_MS, batch)
                        .await
                        .unwrap();
                    if claimed.is_empty() {
                        tokio::time::sleep(Duration::from_millis(1)).await;
                        continue;
                    }
                    if batched_finish {
                        let ids: Vec<i64> = claimed.iter().map(|j| j.id).collect();
                        let finished = store
                            .queue()
                            .finish_done_many(&owner, &ids, now_ms())
                            .await
                            .unwrap();
                        assert_eq!(finished.len(), ids.len(), "a lease was lost mid-benchmark");
                        done.fetch_add(finished.len() as u64, Ordering::Relaxed);
                        continue;
                    }
                    for job in claimed {
                        store
                            .queue()
                            .finish(job.id, &owner, &Outcome::Done, now_ms())
                            .await
                            .unwrap();
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    let completed = done.load(Ordering::Relaxed);
    let capped = completed < target;
    if !capped {
        let open: i64 = fresh
            .store
            .queue()
            .depth(jiff::Timestamp::now().as_millisecond())
            .await
            .unwrap()
            .iter()
            .filter(|d| d.status != "dead")
            .map(|d| d.jobs)
            .sum();
        assert_eq!(open, 0, "jobs left open after the run");
    }
    discard(fresh, pg).await;
    Throughput {
        workers,
        batch,
        batched_finish,
        jobs: completed,
        secs,
        capped,
    }
}

/// How the idle worker learns there is work.
#[derive(Clone, Copy)]
enum Wake {
    /// `LISTEN handoff_jobs` on its own connection (PostgreSQL), 1 s fallback poll.
    Listen,
    /// An in-process `tokio::sync::Notify` signalled after `schedule` returns, 1 s fallback poll.
    InProcess,
    /// Claim every 50 ms.
    Poll,
}

impl Wake {
    fn label(self) -> &'static str {
        match self {
            Wake::Listen => "LISTEN/NOTIFY (PgListener), 1 s fallback poll",
            Wake::InProcess => "in-process tokio Notify after schedule, 1 s fallback poll",
            Wake::Poll => "poll every 50 ms",
        }
    }
}

struct Latency {
    wake: Wake,
    samples: Vec<Duration>,
    enqueue: Vec<Duration>,
    fallbacks: u64,
}

/// A tiny deterministic generator for the idle gaps (xorshift64).
struct Gaps(u64);

impl Gaps {
    fn next_ms(&mut self, lo: u64, hi: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        lo + self.0 % (hi - lo)
    }
}

/// One idle worker; `samples` times: wait a random 5–30 ms (the worker is idle), enqueue one job
/// with `schedule(.., OnExisting::Keep, now)`, and time from just before that call until the
/// worker's `claim` returns the job.
async fn idle_to_start(
    pg: Option<&PgServer>,
    wake: Wake,
    samples: usize,
    max_connections: u32,
) -> Latency {
    let fresh = fresh_store(pg, max_connections).await;
    let store = fresh.store.clone();
    let signal = Arc::new(Notify::new());
    let fallbacks = Arc::new(AtomicU64::new(0));
    let (tx, mut rx) = mpsc::unbounded_channel::<(i64, Instant)>();
    let mut listener = match wake {
        Wake::Listen => {
            let mut l = PgListener::connect(&fresh.url).await.unwrap();
            l.listen(NOTIFY_CHANNEL).await.unwrap();
            Some(l)
        }
        _ => None,
    };
    let worker = {
        let store = store.clone();
        let signal = signal.clone();
        let fallbacks = fallbacks.clone();
        tokio::spawn(async move {
            let owner = "bench-idle-worker";
            loop {
                let claimed = store
                    .queue()
                    .claim(LANE_EVENTS, owner, now_ms(), LEASE_MS, 16)
                    .await
                    .unwrap();
                let claimed_at = Instant::now();
                if claimed.is_empty() {
                    let woken = match (&mut listener, wake) {
                        (Some(l), _) => {
                            // Any notification is a wake-up; drain those already buffered so
                            // one enqueue causes one claim.
                            let got = tokio::time::timeout(FALLBACK_POLL, l.recv()).await;
                            while let Some(n) = l.next_buffered() {
                                drop(n);
                            }
                            got.map(|r| {
                                r.unwrap();
                            })
                        }
                        (None, Wake::InProcess) => {
                            tokio::time::timeout(FALLBACK_POLL, signal.notified()).await
                        }
                        (None, _) => {
                            tokio::time::sleep(SQLITE_POLL).await;
                            Ok(())
                        }
                    };
                    if woken.is_err() {
                        fallbacks.fetch_add(1, Ordering::Relaxed);
                    }
                    continue;
                }
                for job in claimed {
                    tx.send((job.id, claimed_at)).unwrap();
                    store
                        .queue()
                        .finish(job.id, owner, &Outcome::Done, now_ms())
                        .await
                        .unwrap();
                }
            }
        })
    };
    // Let the worker settle into waiting.
    tokio::time::sleep(Duration::from_millis(100)).await;
    fallbacks.store(0, Ordering::Relaxed);
    let mut gaps = Gaps(0x9E37_79B9_7F4A_7C15);
    let mut latencies = Vec::with_capacity(samples);
    let mut enqueue = Vec::with_capacity(samples);
    for s in 0..samples {
        tokio::time::sleep(Duration::from_millis(gaps.next_ms(5, 30))).await;
        let at = now_ms();
        let scheduled = Scheduled {
            job: job(format!("62515:idle-{s}"), at),
            run_at_ms: at,
            max_attempts: 10,
        };
        let t0 = Instant::now();
        let id = store
            .queue()
            .schedule(&scheduled, OnExisting::Keep, at)
            .await
            .unwrap();
        enqueue.push(t0.elapsed());
        if matches!(wake, Wake::InProcess) {
            signal.notify_one();
        }
        let (got, claimed_at) = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("the idle worker did not pick up the job within 5 s")
            .unwrap();
        assert_eq!(got, id);
        latencies.push(claimed_at.duration_since(t0));
    }
    worker.abort();
    let _ = worker.await;
    discard(fresh, pg).await;
    Latency {
        wake,
        samples: latencies,
        enqueue,
        fallbacks: fallbacks.load(Ordering::Relaxed),
    }
}

fn pct(sorted: &[Duration], p: usize) -> f64 {
    let i = (sorted.len() * p / 100).min(sorted.len() - 1);
    sorted[i].as_secs_f64() * 1_000.0
}

fn print_throughput(engine: &str, jobs: usize, keys: usize, note: &str, rows: &[Throughput]) {
    println!("\n{engine}: claim+complete, {jobs} ready jobs over {keys} keys{note}");
    println!("| workers | claim batch | complete | jobs done | seconds | jobs/s |");
    println!("|---|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {} | {} | {}{} | {:.2} | {:.0} |",
            r.workers,
            r.batch,
            if r.batched_finish {
                "one commit per batch"
            } else {
                "one commit per job"
            },
            r.jobs,
            if r.capped { " (time cap)" } else { "" },
            r.secs,
            r.jobs as f64 / r.secs
        );
    }
}

fn print_latency(engine: &str, rows: &mut [Latency]) {
    println!("\n{engine}: idle-to-start (enqueue call → the idle worker's claim returns the job)");
    println!(
        "| wake-up | samples | p50 ms | p99 ms | max ms | enqueue commit p50 ms | fallback polls |"
    );
    println!("|---|---|---|---|---|---|---|");
    for r in rows.iter_mut() {
        r.samples.sort();
        r.enqueue.sort();
        println!(
            "| {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {} |",
            r.wake.label(),
            r.samples.len(),
            pct(&r.samples, 50),
            pct(&r.samples, 99),
            pct(&r.samples, 100),
            pct(&r.enqueue, 50),
            r.fallbacks
        );
    }
}

async fn run_engine(name: &str, pg: Option<&PgServer>, jobs: usize, keys: usize, waits: &[Wake]) {
    let workers = list_arg("--workers", &[1, 4, 16]);
    let batches = list_arg("--batches", &[1, 16]);
    let samples = arg("--samples", 200) as usize;
    let cap = Duration::from_secs(arg("--max-secs", 8));
    let max_connections = arg("--max-connections", 4) as u32;
    let analyze = arg("--analyze", 1) == 1;
    let plan = Plan {
        jobs,
        keys,
        max_connections,
        cap,
        analyze,
    };
    let mut rows = Vec::new();
    for &batch in &batches {
        // A batch of one has nothing to group; larger claims are measured both ways.
        let modes: &[bool] = if batch > 1 { &[false, true] } else { &[false] };
        for &batched_finish in modes {
            for &w in &workers {
                let r = throughput(pg, &plan, w as usize, batch, batched_finish).await;
                eprintln!(
                    "{name}: {w} workers, batch {batch}, batched finish {batched_finish}: {:.0} jobs/s",
                    r.jobs as f64 / r.secs
                );
                rows.push(r);
            }
        }
    }
    let mut latencies = Vec::new();
    for &wake in waits {
        latencies.push(idle_to_start(pg, wake, samples, max_connections).await);
    }
    let note = match (pg, analyze) {
        (None, _) => "",
        (Some(_), true) => " (ANALYZE jobs after loading)",
        (Some(_), false) => " (no ANALYZE after loading: planner without statistics)",
    };
    print_throughput(name, jobs, keys, note, &rows);
    print_latency(name, &mut latencies);
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo bench` passes `--bench`; nothing else to do with it.
    let started = Instant::now();
    println!(
        "queue bench: load average before: {}; store.max_connections = {} (PostgreSQL pool = 2×)",
        load_average(),
        arg("--max-connections", 4)
    );
    let sqlite_jobs = arg("--sqlite-jobs", 2_000) as usize;
    let sqlite_keys = arg("--sqlite-keys", 200) as usize;
    run_engine(
        "SQLite (file, WAL, synchronous=FULL)",
        None,
        sqlite_jobs,
        sqlite_keys,
        &[Wake::Poll, Wake::InProcess],
    )
    .await;
    match PgServer::from_env() {
        None => println!(
            "\nPostgreSQL: skipped (PGHOST is unset). Run `pg_virtualenv -o fsync=on -- cargo bench --bench queue` \
             for a throwaway cluster, or export PGHOST/PGPORT/PGUSER/PGPASSWORD."
        ),
        Some(pg) => {
            println!("\nPostgreSQL server: {}", pg.durability().await);
            let jobs = arg("--pg-jobs", 20_000) as usize;
            let keys = arg("--pg-keys", 2_000) as usize;
            run_engine("PostgreSQL", Some(&pg), jobs, keys, &[Wake::Listen]).await;
        }
    }
    println!(
        "\nload average after: {}; total {:.1} s",
        load_average(),
        started.elapsed().as_secs_f64()
    );
}
