//! The harness: a fake HubSpot, configs written as TOML (the real shape), and clients.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use handoff::hubspot::client::{ClientDeps, Clock, HubspotClient, HubspotConfig, Jitter, PortalId};
use serde_json::{Value, json};
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

pub const PORTAL: PortalId = PortalId::new(62515).unwrap();
pub const KEY_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

/// Writes a secret to a fresh file (env vars cannot be set safely from parallel tests).
pub fn secret_file(content: &str) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let path = std::env::temp_dir().join(format!(
        "handoff-client-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&path, content).unwrap();
    path
}

/// A private-app portal config; `extra` is appended to the top level before `[[portals]]`.
pub fn private_app_config(base_url: &str, top: &str, portal_extra: &str) -> HubspotConfig {
    let token = secret_file("pat-na1-SECRET-TOKEN");
    let text = format!(
        r#"
base_url = "{base_url}"
request_timeout_ms = 2000
{top}
[retry]
base_delay_ms = 10
max_delay_ms = 50
max_inline_wait_ms = 3000

[[portals]]
id = {portal}
playbook = "default"
auth = {{ kind = "private_app", token_file = "{token}" }}
{portal_extra}
"#,
        portal = PORTAL.as_u64(),
        token = token.display()
    );
    toml::from_str(&text).unwrap()
}

/// An OAuth portal config.
pub fn oauth_config(base_url: &str) -> HubspotConfig {
    let secret = secret_file("client-SECRET-value");
    let refresh = secret_file("refresh-SECRET-0");
    let key = secret_file(KEY_HEX);
    let text = format!(
        r#"
base_url = "{base_url}"
request_timeout_ms = 2000
token_key_file = "{key}"
[retry]
base_delay_ms = 10
max_delay_ms = 50

[[portals]]
id = {portal}
playbook = "default"
[portals.auth]
kind = "oauth"
client_id = "client-id-1"
client_secret_file = "{secret}"
refresh_token_file = "{refresh}"
"#,
        portal = PORTAL.as_u64(),
        key = key.display(),
        secret = secret.display(),
        refresh = refresh.display()
    );
    toml::from_str(&text).unwrap()
}

pub fn client_with(cfg: &HubspotConfig, deps: ClientDeps) -> HubspotClient {
    let http = HubspotClient::http_client(cfg).unwrap();
    HubspotClient::new(cfg, http, deps).unwrap()
}

pub fn client(cfg: &HubspotConfig) -> HubspotClient {
    client_with(
        cfg,
        ClientDeps {
            jitter: Jitter::from_fn(|_| 0),
            ..ClientDeps::default()
        },
    )
}

pub fn deps_with_clock(clock: Arc<dyn Clock>) -> ClientDeps {
    ClientDeps {
        clock,
        jitter: Jitter::from_fn(|_| 0),
        ..ClientDeps::default()
    }
}

pub fn body(req: &Request) -> Value {
    serde_json::from_slice(&req.body).unwrap()
}

/// Answers a batch read with one record per input id, except ids listed as missing (207).
pub struct EchoBatchRead {
    pub missing: Vec<String>,
}

impl Respond for EchoBatchRead {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let b = body(req);
        let mut results = Vec::new();
        let mut missing = Vec::new();
        for input in b["inputs"].as_array().unwrap() {
            let id = input["id"].as_str().unwrap().to_owned();
            if self.missing.contains(&id) {
                missing.push(id);
            } else {
                results.push(json!({"id": id, "properties": {"email": format!("{id}@example.com"), "hubspot_owner_id": "41629779"},
                    "createdAt": "2019-10-30T03:30:17.883Z", "updatedAt": "2019-12-07T16:50:06.678Z", "archived": false}));
            }
        }
        if missing.is_empty() {
            ResponseTemplate::new(200)
                .set_body_json(json!({"status": "COMPLETE", "results": results}))
        } else {
            ResponseTemplate::new(207).set_body_json(json!({"status": "COMPLETE", "results": results, "numErrors": 1,
                "errors": [{"status": "error", "category": "OBJECT_NOT_FOUND",
                    "message": "Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.",
                    "context": {"ids": missing}}]}))
        }
    }
}

/// Records when each request arrived, then answers 200 with a contact.
#[derive(Clone, Default)]
pub struct Recorder {
    pub arrivals: Arc<Mutex<Vec<Instant>>>,
}

impl Respond for Recorder {
    fn respond(&self, _req: &Request) -> ResponseTemplate {
        self.arrivals.lock().unwrap().push(Instant::now());
        ResponseTemplate::new(200)
            .set_body_json(json!({"id": "1", "properties": {}, "archived": false}))
    }
}

/// Answers with each template in turn, then repeats the last.
pub struct Sequence {
    pub responses: Vec<ResponseTemplate>,
    pub next: AtomicU64,
}

impl Sequence {
    pub fn new(responses: Vec<ResponseTemplate>) -> Self {
        Self {
            responses,
            next: AtomicU64::new(0),
        }
    }
}

impl Respond for Sequence {
    fn respond(&self, _req: &Request) -> ResponseTemplate {
        let i = self.next.fetch_add(1, Ordering::SeqCst) as usize;
        self.responses[i.min(self.responses.len() - 1)].clone()
    }
}

pub fn contact_json(id: &str) -> Value {
    json!({"id": id, "properties": {"email": "a@b.com"}, "archived": false,
        "createdAt": "2019-10-30T03:30:17.883Z", "updatedAt": "2019-12-07T16:50:06.678Z",
        "associations": {"companies": {"results": [{"id": "55", "type": "contact_to_company"}, {"id": "55", "type": "contact_to_company_unlabeled"}]}}})
}

pub async fn fake() -> MockServer {
    MockServer::start().await
}
