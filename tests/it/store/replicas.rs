//! Three `handoff serve` replicas on one PostgreSQL: 5,000 jobs over 200 keys run exactly once,
//! in order per key, and when one replica is SIGKILLed mid-run its leased jobs finish elsewhere
//! after their leases expire.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use handoff::jobs::{KIND_PROBE, LANE_PROBE, Probe};
use handoff::store::queue::{OnExisting, Scheduled};
use handoff::store::{Dialect, NewJob, Store};

const JOBS: i64 = 5_000;
const KEYS: i64 = 200;

fn replica(dir: &Path, url: &str) -> (Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = std::fs::File::create(dir.join(format!("replica-{port}.log"))).unwrap();
    let child = crate::support::cli::configured(dir)
        .arg("serve")
        .env("HANDOFF__STORE__URL", url)
        .env("HANDOFF__SERVER__LISTEN", format!("127.0.0.1:{port}"))
        .env("HANDOFF__SERVER__ADMIN_BIND", "127.0.0.1:0")
        .env("HANDOFF__HUBSPOT__REPLICAS", "3")
        .env("HANDOFF__QUEUE__LEASE_MS", "2000")
        .env("HANDOFF__QUEUE__MAINTENANCE_INTERVAL_MS", "1000")
        .env("HANDOFF__WORKER__CONCURRENCY", "8")
        .env("HANDOFF__LOG__FILTER", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    (child, port)
}

async fn wait_until(what: &str, limit: Duration, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_run_every_job_once_in_key_order_and_survive_a_killed_peer() {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::support::engines::fresh_url(Dialect::Postgres, dir.path()).await;
    let store = Store::connect(&crate::support::engines::settings(&url))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let now = jiff::Timestamp::now().as_millisecond();
    for n in 0..JOBS {
        let payload = serde_json::value::to_raw_value(&Probe {
            enqueued_at_ms: now,
            work_ms: 3,
        })
        .unwrap();
        let job = NewJob {
            lane: LANE_PROBE,
            key: format!("p:{}", n % KEYS),
            kind: KIND_PROBE,
            payload,
            occurred_at_ms: n,
        };
        store
            .queue()
            .schedule(
                &Scheduled {
                    job,
                    run_at_ms: now,
                    max_attempts: 10,
                },
                OnExisting::Keep,
                now,
            )
            .await
            .unwrap();
    }

    let mut replicas: Vec<(Child, u16)> = (0..3).map(|_| replica(dir.path(), &url)).collect();
    let ran = |store: Store| async move { store.probes().runs().await.unwrap().len() as i64 };
    wait_until(
        "the first 1,000 runs",
        Duration::from_secs(60),
        async || ran(store.clone()).await >= 1_000,
    )
    .await;

    // Kill one replica while it holds leases.
    let victim = replicas.remove(1).0;
    let victim_pid = victim.id();
    let mut victim = victim;
    victim.kill().unwrap();
    victim.wait().unwrap();
    let prefix = format!("{victim_pid}-");
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let held: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM jobs WHERE status = 'leased' AND lease_owner LIKE $1")
            .bind(format!("{prefix}%"))
            .fetch_all(&pool)
            .await
            .unwrap();
    pool.close().await;
    assert!(
        !held.is_empty(),
        "the killed replica held leases when it died"
    );

    wait_until("all 5,000 runs", Duration::from_secs(120), async || {
        ran(store.clone()).await >= JOBS
    })
    .await;
    for (mut child, _) in replicas {
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let _ = child.wait();
    }

    let runs = store.probes().runs().await.unwrap();
    let ids: HashSet<i64> = runs.iter().map(|r| r.job_id).collect();
    assert_eq!(runs.len() as i64, JOBS, "every job ran, none twice");
    assert_eq!(ids.len() as i64, JOBS);
    // Runs are recorded in commit order; a key's next job is claimable only after its previous
    // one committed, so per key the recorded order is the execution order.
    let mut last: HashMap<&str, i64> = HashMap::new();
    for run in &runs {
        if let Some(prev) = last.insert(&run.job_key, run.occurred_at_ms) {
            assert!(
                prev < run.occurred_at_ms,
                "{} ran {} after {}",
                run.job_key,
                run.occurred_at_ms,
                prev
            );
        }
    }
    let owners: HashSet<&str> = runs.iter().map(|r| r.owner.as_str()).collect();
    assert_eq!(owners.len(), 3, "all three replicas did work: {owners:?}");
    assert!(
        runs.iter().any(|r| r.owner.starts_with(&prefix)),
        "the killed replica worked until it died"
    );
    // Its leased jobs were finished by the survivors once the leases expired.
    let finisher: HashMap<i64, &str> = runs.iter().map(|r| (r.job_id, r.owner.as_str())).collect();
    for id in &held {
        let owner = finisher[id];
        assert!(
            !owner.starts_with(&prefix),
            "job {id} held by the killed replica was finished by {owner}"
        );
    }
    let depth = store
        .queue()
        .depth(jiff::Timestamp::now().as_millisecond())
        .await
        .unwrap();
    assert!(
        depth.iter().all(|d| d.lane != LANE_PROBE),
        "nothing left ready, leased or dead: {depth:?}"
    );
    store.close().await;
}
