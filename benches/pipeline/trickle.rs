//! Trickle: one new lead at a time, like a normal working day; latency from the webhook sent to
//! the follow-up task existing in HubSpot (the sandbox's `createdAt` of the task).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::world::{World, arg, iso_ms, percentile};

pub async fn run() -> anyhow::Result<()> {
    let leads = usize::try_from(arg("--leads", 90))?;
    let every = Duration::from_millis(arg("--every-ms", 1000));
    let mut w = World::start("").await?;
    let ids = w.create_contacts(leads).await?;
    let before = w.stats().await?;
    let start = Instant::now();
    let mut sent_ms: HashMap<String, i64> = HashMap::new();
    for (i, id) in ids.iter().enumerate() {
        tokio::time::sleep_until((start + every * u32::try_from(i)?).into()).await;
        let event = w.event("contact.creation", *id, json!({}));
        sent_ms.insert(id.to_string(), jiff::Timestamp::now().as_millisecond());
        let status = w.deliver(&[event]).await;
        anyhow::ensure!(status == Some(200), "delivery answered {status:?}");
    }
    w.until_settled(leads, start, Duration::from_secs(600))
        .await?;
    let mut latencies: Vec<f64> = Vec::new();
    let mut tasks = w.tasks().await?;
    tasks.sort_by_key(|t| t["createdAt"].as_str().and_then(iso_ms));
    let mut seen = std::collections::HashSet::new();
    for t in &tasks {
        let Some(contact) = t["contactIds"][0].as_str() else {
            continue;
        };
        let (Some(sent), Some(created)) = (
            sent_ms.get(contact),
            t["createdAt"].as_str().and_then(iso_ms),
        ) else {
            continue;
        };
        if seen.insert(contact.to_owned()) {
            latencies.push((created - sent) as f64);
        }
    }
    latencies.sort_by(f64::total_cmp);
    let after = w.stats().await?;
    let requests =
        after["requests"].as_u64().unwrap_or(0) - before["requests"].as_u64().unwrap_or(0);
    let limited = after["rateLimited"].as_u64().unwrap_or(0);
    let peak = w.env.child()?.peak_rss_bytes();
    println!("trickle: {leads} leads, one every {} ms", every.as_millis());
    println!(
        "  handed off with a task     {} of {leads} (the others were nurture/disqualified by the playbook)",
        latencies.len()
    );
    println!(
        "  webhook -> task created    p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms",
        percentile(&latencies, 50.0),
        percentile(&latencies, 95.0),
        percentile(&latencies, 100.0)
    );
    println!(
        "  HubSpot requests           {requests} ({:.2} per lead), 429s {limited}",
        requests as f64 / leads as f64
    );
    println!("  peak RSS of serve          {:.1} MB", peak as f64 / 1e6);
    w.env.stop().await;
    Ok(())
}
