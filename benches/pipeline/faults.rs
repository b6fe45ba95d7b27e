//! Faults: `--contacts` new contacts while the sandbox answers 20 % of requests with a 5xx,
//! holds 5 % for 2 s (latency spikes) and starts a 5-second 429 storm every 30 s. Everything
//! completes or lands in the dead-letter list with a reason; completion time and the requests
//! spent are reported.

use std::time::{Duration, Instant};

use handoff::store::queue::DeadFilter;
use serde_json::json;

use crate::verify;
use crate::world::{World, arg};

pub async fn run() -> anyhow::Result<()> {
    let n = usize::try_from(arg("--contacts", 2000))?;
    let seed = arg("--seed", 7);
    let mut w = World::start("").await?;
    let ids = w.create_contacts(n).await?;
    let faults = json!({
        "errorRate": 0.2, "latencyMs": 2000, "latencyRate": 0.05, "stormMs": 5000,
        "seed": seed, "pathPrefix": "/crm/",
    });
    let url = format!("{}/_sandbox/faults", w.sandbox);
    w.http
        .put(&url)
        .json(&faults)
        .send()
        .await?
        .error_for_status()?;
    let before = w.stats().await?;
    let start = Instant::now();
    w.deliver_creations(&ids).await?;
    // A new storm every 30 s while the run lasts.
    let (http, storm_url, storm) = (w.http.clone(), url.clone(), faults.clone());
    let storms = tokio::spawn(async move {
        let mut count = 1u32;
        loop {
            tokio::time::sleep(Duration::from_secs(30)).await;
            if http.put(&storm_url).json(&storm).send().await.is_err() {
                return count;
            }
            count += 1;
        }
    });
    let settled = match w.until_settled(n, start, Duration::from_secs(3600)).await {
        Ok(_) => w.until_drained(start, Duration::from_secs(3600)).await,
        Err(e) => Err(e),
    };
    storms.abort();
    let took = settled?;
    let after = w.stats().await?;
    w.http
        .put(&url)
        .json(&json!({}))
        .send()
        .await?
        .error_for_status()?;
    let dead = w
        .env
        .store
        .dead_letters()
        .list(&DeadFilter::default())
        .await?;
    for d in &dead {
        println!(
            "  dead: {} {} — {}",
            d.lane,
            d.key,
            d.last_error.as_deref().unwrap_or("(no reason)")
        );
    }
    let checked = if dead.is_empty() {
        verify::handoffs(&w, &ids).await?
    } else {
        format!("{} dead letters, each with its reason above", dead.len())
    };
    let requests =
        after["requests"].as_u64().unwrap_or(0) - before["requests"].as_u64().unwrap_or(0);
    println!(
        "faults: {n} new contacts; 20 % 5xx, 5 % of requests +2 s, a 5 s 429 storm every 30 s"
    );
    println!("  all decided and handed off  {:.1} s", took.as_secs_f64());
    println!(
        "  HubSpot requests            {requests} ({:.4} per contact); injected 5xx {}, 429s {}",
        requests as f64 / n as f64,
        after["injected5xx"],
        after["rateLimited"]
    );
    println!("  dead letters                {}", dead.len());
    println!("  checked                     {checked}");
    w.env.stop().await;
    Ok(())
}
