//! `handoff queue stats` and `handoff dlq list|show|replay|purge`.

use std::fmt::Write as _;

use jiff::{SignedDuration, Timestamp};

use super::AdminError;
use crate::store::Store;
use crate::store::queue::{DeadFilter, DeadJob};

/// `--since`: a duration back from now (`7d`, `24h`, `90m`) or an RFC 3339 time.
pub fn parse_since(text: &str, now: Timestamp) -> Result<i64, AdminError> {
    if let Ok(at) = text.parse::<Timestamp>() {
        return Ok(at.as_millisecond());
    }
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: i64 = number
        .parse()
        .map_err(|_| AdminError::Since(text.to_owned()))?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(AdminError::Since(text.to_owned())),
    };
    let back = SignedDuration::from_secs(n.saturating_mul(secs));
    Ok(now.as_millisecond() - back.as_millis() as i64)
}

/// The order `queue stats` lists a lane's states in: what needs work first.
const STATES: [&str; 6] = ["due", "held", "paused", "scheduled", "leased", "dead"];

/// Depth per lane and state, how long the oldest job has been due, and when the next waiting
/// one runs, as a table with a legend.
pub async fn queue_stats(store: &Store, now: Timestamp) -> Result<String, AdminError> {
    let now_ms = now.as_millisecond();
    let mut rows = store.queue().depth(now_ms).await?;
    let rank = |s: &str| STATES.iter().position(|x| *x == s).unwrap_or(STATES.len());
    rows.sort_by(|a, b| (&a.lane, rank(&a.status)).cmp(&(&b.lane, rank(&b.status))));
    let mut out = format!(
        "{:<10} {:<10} {:>8} {:>10} {:>12}\n",
        "lane", "status", "jobs", "oldest", "next run"
    );
    if rows.is_empty() {
        out.push_str("(no pending, running or dead jobs)\n");
    }
    for row in rows {
        let oldest = row
            .oldest_due_ms
            .map(|at| human_age((now_ms - at).max(0)))
            .unwrap_or_else(|| "-".into());
        let next = match (row.status.as_str(), row.next_run_at_ms) {
            ("paused", _) => "on resume".to_owned(),
            ("held" | "scheduled", Some(at)) => format!("in {}", human_age((at - now_ms).max(0))),
            _ => "-".to_owned(),
        };
        let _ = writeln!(
            out,
            "{:<10} {:<10} {:>8} {:>10} {:>12}",
            row.lane, row.status, row.jobs, oldest, next
        );
    }
    out.push_str(
        "\ndue: can run now. held: was due, waits to run again (retry backoff, HubSpot auth failure).\n\
         paused: its portal is paused. scheduled: not due yet (e.g. SLA checks).\n\
         oldest: how long the oldest job has been due, time held or paused included.",
    );
    Ok(out)
}

fn human_age(ms: i64) -> String {
    let s = ms / 1000;
    match s {
        0..=119 => format!("{s}s"),
        120..=7_199 => format!("{}m", s / 60),
        7_200..=172_799 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// Which dead jobs a `dlq` command acts on: one id, or every job the filter matches (`--all`).
#[derive(Debug, Clone, Default)]
pub struct DeadSelection {
    pub id: Option<i64>,
    pub all: bool,
    pub filter: DeadFilter,
}

pub async fn dead_letters(
    store: &Store,
    filter: &DeadFilter,
    json: bool,
) -> Result<String, AdminError> {
    let jobs = store.dead_letters().list(filter).await?;
    if json {
        return Ok(serde_json::to_string_pretty(&jobs).unwrap_or_default());
    }
    let mut out = format!(
        "{:>8}  {:<28} {:<18} {:>8}  {}\n",
        "id", "key", "kind", "attempts", "last error"
    );
    for job in &jobs {
        let error = job.last_error.as_deref().unwrap_or("");
        let _ = writeln!(
            out,
            "{:>8}  {:<28} {:<18} {:>8}  {}",
            job.id, job.key, job.kind, job.attempts, error
        );
    }
    let _ = write!(out, "{} dead job(s)", jobs.len());
    Ok(out)
}

pub async fn show_dead(store: &Store, id: i64) -> Result<String, AdminError> {
    let job = find_dead(store, id).await?;
    Ok(serde_json::to_string_pretty(&dead_json(&job)).unwrap_or_default())
}

/// A dead job as JSON, its payload and history as JSON rather than strings of JSON
/// (`handoff dlq show` and the admin endpoints).
pub fn dead_json(job: &DeadJob) -> serde_json::Value {
    let mut value = serde_json::to_value(job).unwrap_or_default();
    for field in ["payload", "history"] {
        if let Some(text) = value.get(field).and_then(|v| v.as_str()).map(str::to_owned)
            && let Ok(parsed) = serde_json::from_str::<serde_json::Value>(&text)
        {
            value[field] = parsed;
        }
    }
    value
}

/// One dead job by id; [`AdminError::NoSuchJob`] if there is none.
pub async fn find_dead(store: &Store, id: i64) -> Result<DeadJob, AdminError> {
    let all = store.dead_letters().list(&DeadFilter::default()).await?;
    all.into_iter()
        .find(|j| j.id == id)
        .ok_or(AdminError::NoSuchJob(id))
}

fn check(selection: &DeadSelection) -> Result<(), AdminError> {
    if selection.id.is_none() && !selection.all {
        return Err(AdminError::NothingSelected);
    }
    Ok(())
}

/// Puts dead jobs back to run now, attempts reset, their history kept; how many.
pub async fn replay(
    store: &Store,
    selection: &DeadSelection,
    now: Timestamp,
) -> Result<u64, AdminError> {
    check(selection)?;
    if let Some(id) = selection.id {
        find_dead(store, id).await?;
    }
    Ok(store
        .dead_letters()
        .replay(&selection.filter, selection.id, now.as_millisecond())
        .await?)
}

/// `handoff dlq replay`.
pub async fn replay_dead(
    store: &Store,
    selection: &DeadSelection,
    now: Timestamp,
) -> Result<String, AdminError> {
    let n = replay(store, selection, now).await?;
    Ok(format!("replayed {n} dead job(s)"))
}

pub async fn purge_dead(store: &Store, selection: &DeadSelection) -> Result<String, AdminError> {
    check(selection)?;
    if let Some(id) = selection.id {
        find_dead(store, id).await?;
    }
    let n = store
        .dead_letters()
        .purge(&selection.filter, selection.id)
        .await?;
    Ok(format!("purged {n} dead job(s)"))
}

/// `handoff queue probe`: canary jobs over `keys` keys in the probe lane; with `wait`, waits for
/// the workers (any replica) to run them all and reports enqueue→start latency.
pub async fn probe(
    store: &Store,
    jobs: u32,
    keys: u32,
    work_ms: u64,
    wait: Option<std::time::Duration>,
) -> Result<String, AdminError> {
    let batch = uuid::Uuid::now_v7().simple().to_string();
    let first = enqueue_probes(store, (jobs, keys, work_ms), &batch).await?;
    let mut out = format!("enqueued {jobs} probe job(s) over {keys} key(s) (batch {batch})");
    let (Some(wait), Some(first)) = (wait, first) else {
        return Ok(out);
    };
    let deadline = std::time::Instant::now() + wait;
    loop {
        let runs: Vec<_> = store
            .probes()
            .runs()
            .await?
            .into_iter()
            .filter(|r| r.job_id >= first)
            .collect();
        if runs.len() as u32 >= jobs || std::time::Instant::now() >= deadline {
            let latency: Vec<i64> = runs
                .iter()
                .map(|r| r.started_at_ms - r.enqueued_at_ms)
                .collect();
            out.push('\n');
            out.push_str(&ran(latency, jobs));
            return Ok(out);
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Enqueues `jobs` probe jobs spread over `keys` keys; returns the first one's id.
async fn enqueue_probes(
    store: &Store,
    (jobs, keys, work_ms): (u32, u32, u64),
    batch: &str,
) -> Result<Option<i64>, AdminError> {
    use crate::jobs::{KIND_PROBE, LANE_PROBE, Probe};
    use crate::store::NewJob;
    use crate::store::queue::{OnExisting, Scheduled};
    let mut first = None;
    for n in 0..jobs {
        let now = Timestamp::now().as_millisecond();
        // A struct of integers always serializes.
        let Ok(payload) = serde_json::value::to_raw_value(&Probe {
            enqueued_at_ms: now,
            work_ms,
        }) else {
            continue;
        };
        let job = NewJob {
            lane: LANE_PROBE,
            key: format!("probe:{batch}:{}", n % keys.max(1)),
            kind: KIND_PROBE,
            payload,
            occurred_at_ms: i64::from(n),
        };
        let scheduled = Scheduled {
            job,
            run_at_ms: now,
            max_attempts: 5,
        };
        let id = store
            .queue()
            .schedule(&scheduled, OnExisting::Keep, now)
            .await?;
        first.get_or_insert(id);
    }
    Ok(first)
}

/// How many of `jobs` probes ran, and their enqueue→start latency (ms) at p50 and p99.
fn ran(mut latency: Vec<i64>, jobs: u32) -> String {
    latency.sort_unstable();
    let pct = |p: f64| {
        latency
            .get(((latency.len() as f64 * p) as usize).min(latency.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    format!(
        "ran {}/{jobs}; enqueue→start ms p50={} p99={}",
        latency.len(),
        pct(0.5),
        pct(0.99)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probe_report_names_the_runs_and_their_latency_percentiles() {
        let latency: Vec<i64> = (1..=100).rev().collect();
        assert_eq!(
            ran(latency, 120),
            "ran 100/120; enqueue→start ms p50=51 p99=100"
        );
        assert_eq!(ran(Vec::new(), 3), "ran 0/3; enqueue→start ms p50=0 p99=0");
    }

    #[test]
    fn since_takes_durations_back_from_now_or_a_time() {
        let now: Timestamp = "2026-11-24T12:00:00Z".parse().unwrap();
        assert_eq!(
            parse_since("24h", now).unwrap(),
            now.as_millisecond() - 86_400_000
        );
        assert_eq!(
            parse_since("7d", now).unwrap(),
            now.as_millisecond() - 7 * 86_400_000
        );
        let at: Timestamp = "2026-11-20T00:00:00Z".parse().unwrap();
        assert_eq!(
            parse_since("2026-11-20T00:00:00Z", now).unwrap(),
            at.as_millisecond()
        );
        assert!(parse_since("soon", now).is_err());
        assert!(parse_since("5y", now).is_err());
    }

    #[test]
    fn ages_read_like_a_person_would_say_them() {
        assert_eq!(human_age(59_000), "59s");
        assert_eq!(human_age(600_000), "10m");
        assert_eq!(human_age(3 * 3_600_000), "3h");
        assert_eq!(human_age(4 * 86_400_000), "4d");
    }
}
