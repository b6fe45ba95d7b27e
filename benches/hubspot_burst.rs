//! Load script: HubSpot requests per contact, and time to drain a burst, against a local fake.
//!
//! For each contact handoff does three things: read it, write its owner, create a task. Batched,
//! that is 3 requests per 100 contacts; per record it is 3 requests per contact. The burst is
//! drained through the real budget at `--limit` requests per `--interval-ms` (HubSpot: 110 per
//! 10 000 ms for public apps; the default here scales the window down 10× to 1 000 ms so the run
//! takes seconds — every time scales by the same factor).
//!
//! `cargo bench --bench hubspot_burst -- [--contacts 10000] [--limit 110] [--interval-ms 1000] [--margin 10]`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use handoff::hubspot::client::{
    ClientDeps, ContactId, ContactUpdate, HubspotClient, HubspotConfig, NewTask, OwnerId, PortalId,
};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const PORTAL: PortalId = PortalId::new(62515).unwrap();

/// Echoes every input of a batch as a result, counting requests.
#[derive(Clone)]
struct Echo {
    requests: Arc<AtomicU64>,
}

impl Respond for Echo {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if req.method.as_str() == "GET" {
            let id = req.url.path().rsplit('/').next().unwrap_or("0");
            return ResponseTemplate::new(200)
                .set_body_json(json!({"id": id, "properties": {}, "archived": false}));
        }
        let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
        let inputs = body["inputs"].as_array().cloned().unwrap_or_default();
        let results: Vec<Value> = inputs
            .iter()
            .enumerate()
            .map(|(i, input)| {
                let id = input["id"].as_str().map(str::to_owned).unwrap_or_else(|| (900_000 + i).to_string());
                json!({"id": id, "properties": input.get("properties").cloned().unwrap_or(json!({})),
                       "archived": false, "objectWriteTraceId": input.get("objectWriteTraceId")})
            })
            .collect();
        ResponseTemplate::new(200).set_body_json(json!({"status": "COMPLETE", "results": results}))
    }
}

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn config(base: &str, limit: u64, interval_ms: u64, margin: u64) -> HubspotConfig {
    let token = std::env::temp_dir().join(format!("handoff-bench-token-{}", std::process::id()));
    std::fs::write(&token, "pat-bench").unwrap();
    let text = format!(
        r#"
base_url = "{base}"
chunk_concurrency = 8
[retry]
max_inline_wait_ms = 600000
[[portals]]
id = {portal}
playbook = "default"
auth = {{ kind = "private_app", token_file = "{token}" }}
quota = {{ requests = {limit}, interval_ms = {interval_ms}, safety_margin_pct = {margin} }}
"#,
        portal = PORTAL.as_u64(),
        token = token.display()
    );
    toml::from_str(&text).unwrap()
}

async fn handle_batched(c: &HubspotClient, ids: Vec<ContactId>) {
    let read = c
        .batch_read_contacts(PORTAL, &ids, &["email", "hubspot_owner_id"])
        .await;
    assert!(read.iter().all(|i| i.result.is_ok()));
    let updates = ids
        .iter()
        .map(|id| ContactUpdate {
            id: *id,
            properties: BTreeMap::from([("hubspot_owner_id".to_owned(), "41629779".to_owned())]),
        })
        .collect();
    let written = c.batch_update_contacts(PORTAL, updates).await;
    assert!(written.iter().all(|i| i.result.is_ok()));
    let due = jiff::Timestamp::now();
    let tasks = ids
        .iter()
        .map(|id| {
            let mut t = NewTask::new(*id, "Call new lead", due);
            t.owner_id = Some(OwnerId::new(41_629_779).unwrap());
            t
        })
        .collect();
    let created = c.create_tasks(PORTAL, tasks).await;
    assert!(created.iter().all(|i| i.result.is_ok()));
}

async fn handle_per_record(c: &HubspotClient, id: ContactId) {
    c.get_contact(PORTAL, id, &["email"]).await.unwrap();
    let update = ContactUpdate {
        id,
        properties: BTreeMap::from([("hubspot_owner_id".to_owned(), "41629779".to_owned())]),
    };
    c.batch_update_contacts(PORTAL, vec![update]).await;
    c.create_tasks(
        PORTAL,
        vec![NewTask::new(id, "Call new lead", jiff::Timestamp::now())],
    )
    .await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let contacts = arg("--contacts", 10_000);
    let limit = arg("--limit", 110);
    let interval_ms = arg("--interval-ms", 1_000);
    let margin = arg("--margin", 10);
    let per_record_sample = arg("--per-record", 100);

    let server = MockServer::start().await;
    let echo = Echo {
        requests: Arc::new(AtomicU64::new(0)),
    };
    for p in [
        "/crm/objects/2026-09/contacts/batch/read",
        "/crm/objects/2026-09/contacts/batch/update",
        "/crm/objects/2026-09/tasks/batch/create",
    ] {
        Mock::given(method("POST"))
            .and(path(p))
            .respond_with(echo.clone())
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path_regex("^/crm/objects/2026-09/contacts/[0-9]+$"))
        .respond_with(echo.clone())
        .mount(&server)
        .await;
    let cfg = config(&server.uri(), limit, interval_ms, margin);
    let http = HubspotClient::http_client(&cfg).unwrap();
    let c = HubspotClient::new(&cfg, http, ClientDeps::default()).unwrap();
    let (share, _) = c.enforced_budget(PORTAL).unwrap();

    // Batched: the burst arrives at once; workers take 100 contacts each, 8 at a time.
    let started = Instant::now();
    let ids: Vec<ContactId> = (1..=contacts).filter_map(ContactId::new).collect();
    let groups: Vec<Vec<ContactId>> = ids.chunks(100).map(<[ContactId]>::to_vec).collect();
    let queue = Arc::new(std::sync::Mutex::new(groups));
    let mut workers = Vec::new();
    for _ in 0..8 {
        let (c, queue) = (c.clone(), queue.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let Some(group) = queue.lock().unwrap().pop() else {
                    break;
                };
                handle_batched(&c, group).await;
            }
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    let drain = started.elapsed();
    let batched_requests = echo.requests.swap(0, Ordering::Relaxed);

    let window = Duration::from_millis(interval_ms);
    let min_at_limit = window.mul_f64(batched_requests as f64 / limit as f64);
    let min_at_share = window.mul_f64(batched_requests as f64 / f64::from(share));

    // Per record, on a sample (same budget).
    for id in 1..=per_record_sample {
        handle_per_record(&c, ContactId::new(id).unwrap()).await;
    }
    let per_record_requests = echo.requests.load(Ordering::Relaxed);

    println!("contacts                       {contacts}");
    println!(
        "budget                         {limit} per {interval_ms} ms, margin {margin} % -> {share} per window enforced"
    );
    println!("batched requests               {batched_requests}");
    println!(
        "requests per contact (batched) {:.4}",
        batched_requests as f64 / contacts as f64
    );
    println!(
        "requests per contact (per-record sample of {per_record_sample}) {:.2}",
        per_record_requests as f64 / per_record_sample as f64
    );
    println!(
        "drain time                     {:.3} s",
        drain.as_secs_f64()
    );
    println!(
        "minimum at HubSpot limit       {:.3} s  (ratio {:.3})",
        min_at_limit.as_secs_f64(),
        drain.as_secs_f64() / min_at_limit.as_secs_f64()
    );
    println!(
        "minimum at enforced share      {:.3} s  (ratio {:.3})",
        min_at_share.as_secs_f64(),
        drain.as_secs_f64() / min_at_share.as_secs_f64()
    );
}
