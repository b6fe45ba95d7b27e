//! The harness: a sandbox on port 0, seeded from `fixtures/sandbox`, and the real client
//! pointed at it with a budget that matches the sandbox's limit.

use std::path::PathBuf;

use handoff::hubspot::client::{ApiVersion, HubspotClient};
use handoff::sandbox::{RunningSandbox, SandboxConfig, spawn};
use serde_json::Value;

pub use crate::support::hubspot::PORTAL;
use crate::support::hubspot::{client, private_app_config};

pub fn seed_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/sandbox"))
}

pub fn seeded() -> SandboxConfig {
    SandboxConfig {
        seed_dir: Some(seed_dir()),
        ..SandboxConfig::default()
    }
}

pub async fn start(config: SandboxConfig) -> RunningSandbox {
    spawn(config).await.unwrap()
}

/// A private-app client whose quota is the sandbox's limit (as the headers will say).
pub fn client_for(sb: &RunningSandbox) -> HubspotClient {
    let limit = sb.sandbox.rate_limit();
    let quota = format!(
        "quota = {{ requests = {}, interval_ms = {} }}",
        limit.requests, limit.interval_ms
    );
    client(&private_app_config(&sb.base_url, "", &quota))
}

/// A raw HTTP call, for what the client does not expose (status, headers, bodies).
pub async fn raw(
    sb: &RunningSandbox,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = reqwest::Client::new().request(method, format!("{}{path}", sb.base_url));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

pub async fn json(resp: reqwest::Response) -> Value {
    resp.json().await.unwrap()
}

/// [`client_for`] calling the paths of API version `v` (`hubspot.api_version`).
pub fn client_for_version(sb: &RunningSandbox, v: ApiVersion) -> HubspotClient {
    let limit = sb.sandbox.rate_limit();
    let quota = format!(
        "quota = {{ requests = {}, interval_ms = {} }}",
        limit.requests, limit.interval_ms
    );
    let top = format!("api_version = \"{v}\"");
    client(&private_app_config(&sb.base_url, &top, &quota))
}
