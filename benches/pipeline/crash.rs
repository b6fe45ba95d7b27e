//! Crash: `--contacts` contacts × 5 events (creation, three property changes that cannot change
//! a decision, one that can) are sent like HubSpot sends them — deliveries of 100, each retried
//! until it gets a 2xx — while `serve` is SIGKILLed and restarted `--kills` times at random
//! points. Afterwards: every acknowledged event is in the inbox and its job done, nothing is
//! dead-lettered, every contact is decided, no task exists twice, no ready lead is unassigned.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::verify;
use crate::world::{World, arg, deliver_to};

/// Short leases, so a killed process's jobs come back within seconds.
const EXTRA: &str = "[queue]\nlease_ms = 5000\nmaintenance_interval_ms = 1000\n";

/// Deterministic draws for the kill points (SplitMix64).
fn draws(seed: u64, n: usize) -> Vec<f64> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

pub async fn run() -> anyhow::Result<()> {
    let n = usize::try_from(arg("--contacts", 10_000))?;
    let kills = usize::try_from(arg("--kills", 10))?;
    let seed = arg("--seed", 7);
    let window_s = arg("--kill-window-s", 90) as f64;
    let mut w = World::start(EXTRA).await?;
    let ids = w.create_contacts(n).await?;
    let mut deliveries: Vec<Vec<Value>> = Vec::new();
    for chunk in ids.chunks(100) {
        deliveries.push(
            chunk
                .iter()
                .map(|id| w.event("contact.creation", *id, json!({})))
                .collect(),
        );
    }
    for (prop, value) in [
        ("favorite_color", "teal"),
        ("hs_analytics_last_visit_timestamp", "1764000000000"),
        ("notes_last_updated", "1764000000000"),
        ("hs_analytics_num_page_views", "23"),
    ] {
        for chunk in ids.chunks(100) {
            deliveries.push(
                chunk
                    .iter()
                    .map(|id| {
                        w.event(
                            "contact.propertyChange",
                            *id,
                            json!({"propertyName": prop, "propertyValue": value}),
                        )
                    })
                    .collect(),
            );
        }
    }
    let events: usize = deliveries.iter().map(Vec::len).sum();
    let before = w.stats().await?;
    let start = Instant::now();
    let (http, url) = (w.http.clone(), w.webhook.clone());
    // The sender: like HubSpot, a delivery without a 2xx is sent again.
    let sender = tokio::spawn(async move {
        let begun = Instant::now();
        let mut unanswered = 0usize;
        for d in &deliveries {
            loop {
                match deliver_to(&http, &url, d).await {
                    Some(s) if (200..300).contains(&s) => break,
                    _ => {
                        unanswered += 1;
                        tokio::time::sleep(Duration::from_millis(250)).await;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
        (unanswered, begun.elapsed())
    });
    let mut points: Vec<f64> = draws(seed, kills)
        .into_iter()
        .map(|u| 1.0 + u * window_s)
        .collect();
    points.sort_by(f64::total_cmp);
    for (i, at) in points.iter().enumerate() {
        tokio::time::sleep_until((start + Duration::from_secs_f64(*at)).into()).await;
        let p = w.progress().await?;
        w.env.child()?.kill().await?;
        eprintln!(
            "  {:>6.1}s SIGKILL #{} at {p}",
            start.elapsed().as_secs_f64(),
            i + 1
        );
        w.env.child()?.restart().await?;
    }
    let (unanswered, sent) = sender.await?;
    w.until_settled(n, start, Duration::from_secs(3600)).await?;
    let took = w.until_drained(start, Duration::from_secs(3600)).await?;
    // Every acknowledged event is in the inbox, and no job is left but scheduled SLA checks.
    let inbox = w.env.store.inbox().count().await?;
    anyhow::ensure!(
        usize::try_from(inbox)? == events,
        "inbox holds {inbox} events, {events} were acknowledged"
    );
    let depth = w
        .env
        .store
        .queue()
        .depth(jiff::Timestamp::now().as_millisecond())
        .await?;
    let open: Vec<_> = depth
        .iter()
        .filter(|d| d.lane != "sla" && d.status != "done" && d.jobs > 0)
        .collect();
    anyhow::ensure!(open.is_empty(), "jobs not done: {open:?}");
    let checked = verify::handoffs(&w, &ids).await?;
    let after = w.stats().await?;
    let requests =
        after["requests"].as_u64().unwrap_or(0) - before["requests"].as_u64().unwrap_or(0);
    println!(
        "crash: {n} contacts, {events} events in {} deliveries, {kills} SIGKILLs at {:?} s",
        events.div_ceil(100),
        points
            .iter()
            .map(|p| (p * 10.0).round() / 10.0)
            .collect::<Vec<_>>()
    );
    println!("  deliveries unanswered during kills, resent  {unanswered}");
    println!(
        "  all sent and acknowledged                   {:.1} s",
        sent.as_secs_f64()
    );
    println!(
        "  every event handled, all handed off         {:.1} s",
        took.as_secs_f64()
    );
    println!(
        "  inbox                                       {inbox} events = every acknowledged event"
    );
    println!(
        "  HubSpot requests                            {requests} ({:.4} per contact), 429s {}",
        requests as f64 / n as f64,
        after["rateLimited"]
    );
    println!("  checked                                     {checked}");
    w.env.stop().await;
    Ok(())
}
