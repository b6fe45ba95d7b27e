//! `handoff-loadgen`: sends freshly signed HubSpot-shaped deliveries (unique event ids, N events
//! each) to a running receiver at a fixed concurrency and reports events/s and ack latency.
//! Bodies are built before the clock starts so the tool spends its CPU on HTTP, not JSON.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use handoff_sandbox::sign_v3;
use secrecy::SecretString;

#[derive(Debug, Parser)]
#[command(about = "Load a handoff receiver with signed webhook deliveries")]
struct Args {
    /// Where to post.
    #[arg(long, default_value = "http://127.0.0.1:8080/webhooks/hubspot")]
    url: String,
    /// The URI to sign (the receiver's webhook.public_url, without percent-escapes); defaults
    /// to --url.
    #[arg(long)]
    public_url: Option<String>,
    /// Client secret to sign with.
    #[arg(long, env = "HANDOFF_LOADGEN_SECRET")]
    secret: String,
    /// Deliveries in flight at once (HubSpot's default is 10).
    #[arg(long, default_value_t = 10)]
    concurrency: usize,
    /// Deliveries to send in total.
    #[arg(long, default_value_t = 2_000)]
    deliveries: usize,
    /// Events per delivery (HubSpot sends at most 100).
    #[arg(long, default_value_t = 100)]
    events: usize,
    /// Offset for event and object ids, so repeated runs do not collide with earlier ones.
    #[arg(long, default_value_t = 0)]
    id_offset: u64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(args))
}

fn body(delivery: usize, events: usize, offset: u64) -> Vec<u8> {
    let mut out = String::with_capacity(events * 300);
    out.push('[');
    for i in 0..events {
        let id = offset + (delivery * events + i) as u64 + 1;
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!(
            r#"{{"eventId":{id},"subscriptionId":12345,"portalId":62515,"appId":54321,"occurredAt":{},"subscriptionType":"contact.creation","attemptNumber":0,"objectId":{id},"changeSource":"IMPORT","changeFlag":"NEW"}}"#,
            1_764_000_000_000u64 + id
        ));
    }
    out.push(']');
    out.into_bytes()
}

async fn run(args: Args) -> anyhow::Result<()> {
    let public_url = args.public_url.clone().unwrap_or_else(|| args.url.clone());
    let secret = SecretString::from(args.secret.clone());
    // A URL that cannot be signed is refused before anything is sent.
    sign_v3(&secret, "POST", &public_url, b"", "0")?;
    let bodies: Vec<Vec<u8>> = (0..args.deliveries)
        .map(|d| body(d, args.events, args.id_offset))
        .collect();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .build()?;
    let target = Arc::new(Target {
        client,
        url: args.url.clone(),
        public_url,
        secret,
        bodies,
        next: AtomicUsize::new(0),
    });
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency {
        tasks.spawn(send_share(target.clone()));
    }
    let mut latencies: Vec<Duration> = Vec::with_capacity(args.deliveries);
    let mut failures = 0;
    while let Some(done) = tasks.join_next().await {
        let (l, f) = done?;
        latencies.extend(l);
        failures += f;
    }
    report(&args, latencies, failures, started.elapsed());
    if failures > 0 {
        anyhow::bail!("{failures} deliveries were not acknowledged");
    }
    Ok(())
}

/// Where and what to send; the senders share it and take the next body in turn.
struct Target {
    client: reqwest::Client,
    url: String,
    public_url: String,
    secret: SecretString,
    bodies: Vec<Vec<u8>>,
    next: AtomicUsize,
}

/// One sender: takes bodies until none are left; returns the ack latencies and the failures.
async fn send_share(target: Arc<Target>) -> (Vec<Duration>, usize) {
    let mut latencies = Vec::new();
    let mut failures = 0usize;
    loop {
        let i = target.next.fetch_add(1, Ordering::Relaxed);
        let Some(body) = target.bodies.get(i) else {
            break;
        };
        let ts = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis()
            .to_string();
        let Ok(sig) = sign_v3(&target.secret, "POST", &target.public_url, body, &ts) else {
            failures += 1;
            continue;
        };
        let sent = Instant::now();
        let result = target
            .client
            .post(&target.url)
            .header("content-type", "application/json")
            .header("x-hubspot-signature-v3", sig)
            .header("x-hubspot-request-timestamp", ts)
            .body(body.clone())
            .send()
            .await;
        match result {
            Ok(r) if r.status().is_success() => latencies.push(sent.elapsed()),
            _ => failures += 1,
        }
    }
    (latencies, failures)
}

/// Prints the run's counts, throughput and ack latency percentiles.
fn report(args: &Args, mut latencies: Vec<Duration>, failures: usize, elapsed: Duration) {
    latencies.sort();
    let pct = |p: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let idx = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[idx].as_secs_f64() * 1000.0
    };
    let ok = latencies.len();
    println!(
        "concurrency={} deliveries={} events/delivery={} ok={} failed={} elapsed={:.2}s",
        args.concurrency,
        args.deliveries,
        args.events,
        ok,
        failures,
        elapsed.as_secs_f64()
    );
    println!(
        "throughput: {:.0} events/s ({:.0} deliveries/s)",
        (ok * args.events) as f64 / elapsed.as_secs_f64(),
        ok as f64 / elapsed.as_secs_f64()
    );
    println!(
        "ack latency ms: p50={:.2} p90={:.2} p99={:.2} max={:.2}",
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(1.0)
    );
}
