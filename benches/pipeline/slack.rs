//! Slack: a burst of `--contacts` new contacts (1,000 by default) handed off twice, with
//! `[alerts.slack]` off and then on, against the sandbox playing HubSpot and Slack. Figures:
//! the HubSpot drain time of each run (alerts must not slow it), then, with alerts on, how long
//! until every owner's DM is out, DMs per handoff (each exactly once), and the stand-in's
//! per-channel 429s (none: the client keeps Slack's pace).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::world::{World, arg};

pub async fn run() -> anyhow::Result<()> {
    let n = usize::try_from(arg("--contacts", 1_000))?;
    let (off, _) = burst(n, false).await?;
    let (on, alerts) = burst(n, true).await?;
    println!(
        "slack: {n} new contacts in {} deliveries of 100",
        n.div_ceil(100)
    );
    println!("  handed off, alerts off      {:.1} s", off.as_secs_f64());
    println!(
        "  handed off, alerts on       {:.1} s ({:+.1} %)",
        on.as_secs_f64(),
        (on.as_secs_f64() / off.as_secs_f64() - 1.0) * 100.0
    );
    println!("{alerts}");
    Ok(())
}

/// One burst; how long the HubSpot side took, and (alerts on) what Slack saw.
async fn burst(n: usize, slack: bool) -> anyhow::Result<(Duration, String)> {
    let mut w = World::start_with("", slack).await?;
    let ids = w.create_contacts(n).await?;
    let start = Instant::now();
    w.deliver_creations(&ids).await?;
    let took = w.until_settled(n, start, Duration::from_secs(3600)).await?;
    let report = if slack {
        alerts(&w, start).await?
    } else {
        String::new()
    };
    w.env.stop().await;
    Ok((took, report))
}

/// Waits until every handoff's alert is settled; what Slack saw.
async fn alerts(w: &World, start: Instant) -> anyhow::Result<String> {
    let handoffs = w.env.store.ledger().handoffs_since(0).await?;
    let limit = Duration::from_secs(1800);
    let (settled, states) = loop {
        let mut states: BTreeMap<String, usize> = BTreeMap::new();
        for h in &handoffs {
            for a in w
                .env
                .store
                .slack()
                .alerts_of(h.portal_id, h.contact_id)
                .await?
            {
                *states.entry(a.state).or_default() += 1;
            }
        }
        let pending = states.get("pending").copied().unwrap_or(0);
        let total: usize = states.values().sum();
        if total >= handoffs.len() && pending == 0 {
            break (start.elapsed(), states);
        }
        anyhow::ensure!(
            start.elapsed() < limit,
            "alerts not settled after {limit:?}: {states:?}"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    let stats = w.env.slack_stats().await?;
    let messages = w.env.slack_messages(None).await?;
    let mut per_lead: BTreeMap<String, usize> = BTreeMap::new();
    for m in messages.iter().filter(|m| m["thread_ts"].is_null()) {
        let block = m["blocks"][0]["block_id"].as_str().unwrap_or_default();
        let lead = block.rsplit_once(':').map_or(block, |(l, _)| l).to_owned();
        *per_lead.entry(lead).or_default() += 1;
    }
    let most = per_lead.values().max().copied().unwrap_or(0);
    Ok(format!(
        "  alerts                      {states:?} for {} handoffs\n\
         \x20 every alert settled after   {:.1} s\n\
         \x20 posts                       {} ({} distinct leads, at most {most} per lead)\n\
         \x20 429s from the pace          {} (max {} posts to one channel in a 5 s window)\n\
         \x20 Slack calls by method       {}",
        handoffs.len(),
        settled.as_secs_f64(),
        stats["posted"],
        per_lead.len(),
        stats["channel_rate_limited"],
        stats["max_channel_posts_in_window"],
        stats["by_method"],
    ))
}
