//! Burst: an import of `--contacts` new contacts at once (HubSpot sends them in deliveries of
//! 100 events). Time until every one is decided and every handoff has its owner written, its
//! task and its SLA scheduled; HubSpot requests per contact; 429s; peak RSS of `serve`.

use std::time::{Duration, Instant};

use crate::verify;
use crate::world::{World, arg};

pub async fn run() -> anyhow::Result<()> {
    let n = usize::try_from(arg("--contacts", 10_000))?;
    let mut w = World::start("").await?;
    let t0 = Instant::now();
    let ids = w.create_contacts(n).await?;
    eprintln!(
        "  {n} contacts created in the sandbox in {:.1}s",
        t0.elapsed().as_secs_f64()
    );
    let before = w.stats().await?;
    let start = Instant::now();
    w.deliver_creations(&ids).await?;
    let accepted = start.elapsed();
    let took = w.until_settled(n, start, Duration::from_secs(3600)).await?;
    let after = w.stats().await?;
    let requests =
        after["requests"].as_u64().unwrap_or(0) - before["requests"].as_u64().unwrap_or(0);
    let progress = w.progress().await?;
    let checked = verify::handoffs(&w, &ids).await?;
    let peak = w.env.child()?.peak_rss_bytes();
    println!(
        "burst: {n} new contacts in {} deliveries of 100",
        n.div_ceil(100)
    );
    println!(
        "  all deliveries acknowledged {:.2} s",
        accepted.as_secs_f64()
    );
    println!(
        "  all decided and handed off  {:.1} s ({} handoffs, {} decisions)",
        took.as_secs_f64(),
        progress.handoffs(),
        progress.decisions
    );
    println!(
        "  HubSpot requests            {requests} = {:.4} per contact",
        requests as f64 / n as f64
    );
    println!("  by route                    {}", after["byRoute"]);
    println!(
        "  429s                        {} (max {} requests in any 10 s window)",
        after["rateLimited"], after["maxInWindow"]
    );
    println!("  peak RSS of serve           {:.1} MB", peak as f64 / 1e6);
    println!("  checked                     {checked}");
    w.env.stop().await;
    Ok(())
}
