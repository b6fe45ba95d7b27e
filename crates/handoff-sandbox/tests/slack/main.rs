//! The Slack stand-in against handoff's own Slack code (docs/slack.md "The stand-in"): the real
//! `handoff_slack::SlackClient` pointed at the sandbox meets Slack's shapes, errors and limits;
//! clicks the sandbox sends pass `handoff_slack::signature::verify` and parse with
//! `handoff_slack::interaction::parse`. `handoff-slack` is a dev-dependency only: the sandbox
//! itself imports nothing of it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod clicks;
mod faults;
mod methods;

use std::time::Duration;

use handoff_sandbox::{RunningSandbox, SandboxConfig, SlackConfig, SlackStats, spawn};
use handoff_slack::blocks::Message;
use handoff_slack::client::{BudgetSettings, PostMessage, Posted, SlackClient, SlackSettings};
use handoff_slack::ids::ChannelId;
use secrecy::SecretString;
use serde_json::{Value, json};

const TOKEN: &str = "xoxb-sandbox-test-token";
const SIGNING_SECRET: &str = "sandbox-signing-secret-for-tests";

/// Owners as HubSpot lists them: 100 and 200 on Slack, 101 without an account, 199 archived.
fn seed_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let owners = json!([
        {"id": "100", "email": "katrin.vogel@example.com", "firstName": "Katrin", "lastName": "Vogel"},
        {"id": "101", "email": "jonas.becker@example.com", "firstName": "Jonas", "lastName": "Becker"},
        {"id": "199", "email": "former.rep@example.com", "firstName": "Frank", "archived": true},
        {"id": "200", "email": "oliver.hughes@example.com", "firstName": "Oliver", "lastName": "Hughes"},
    ]);
    for (file, body) in [
        ("owners.json", owners),
        ("companies.json", json!([])),
        ("contacts.json", json!([])),
    ] {
        std::fs::write(dir.path().join(file), body.to_string()).unwrap();
    }
    dir
}

/// A running sandbox with its seed directory (kept alive as long as the sandbox).
struct Stand {
    sb: RunningSandbox,
    _seed: tempfile::TempDir,
    http: reqwest::Client,
}

fn slack_config() -> SlackConfig {
    SlackConfig {
        bot_token: Some(SecretString::from(TOKEN)),
        signing_secret: Some(SecretString::from(SIGNING_SECRET)),
        without_account: vec![101],
        time_zones: [(100, "Europe/Berlin".to_owned())].into(),
        time_zone: "America/New_York".into(),
        channels: vec!["C0TEAM".into()],
        channels_not_joined: vec!["C0PRIVATE".into()],
        ..SlackConfig::default()
    }
}

async fn start_with(slack: SlackConfig) -> Stand {
    let seed = seed_dir();
    let sb = spawn(SandboxConfig {
        seed_dir: Some(seed.path().to_owned()),
        slack,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    Stand {
        sb,
        _seed: seed,
        http: reqwest::Client::new(),
    }
}

async fn start() -> Stand {
    start_with(slack_config()).await
}

impl Stand {
    /// handoff's client with this token, its budget's per-channel pace `post_interval`; the
    /// per-minute ceilings are lifted so that a test's calls do not wait for them.
    fn client_with(&self, token: &str, post_interval: Duration) -> SlackClient {
        let settings = SlackSettings {
            base_url: self.sb.slack_base_url.clone(),
            timeout: Duration::from_secs(5),
            budget: BudgetSettings {
                post_per_channel_interval: post_interval,
                post_per_workspace_per_min: 60_000,
                tier3_per_min: 60_000,
                ..BudgetSettings::default()
            },
        };
        SlackClient::new(SecretString::from(token.to_owned()), &settings).unwrap()
    }

    /// The client as handoff builds it, paced fast enough for a test's few posts.
    fn client(&self) -> SlackClient {
        self.client_with(TOKEN, Duration::from_millis(10))
    }

    async fn control(&self, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
        let url = format!("{}/_sandbox/slack/{path}", self.sb.base_url);
        let response = self
            .http
            .request(method, url)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn set_faults(&self, faults: Value) {
        let (status, body) = self
            .control(reqwest::Method::PUT, "faults", json!({ "faults": faults }))
            .await;
        assert_eq!(status, 200, "{body}");
    }

    fn stats(&self) -> SlackStats {
        self.sb.sandbox.slack_stats()
    }
}

fn channel(id: &str) -> ChannelId {
    ChannelId::parse(id).unwrap()
}

fn text(t: &str) -> Message {
    Message {
        text: t.to_owned(),
        blocks: vec![json!({"type": "section", "text": {"type": "mrkdwn", "text": t}})],
    }
}

async fn post(
    client: &SlackClient,
    to: &ChannelId,
    message: &Message,
) -> Result<Posted, handoff_slack::client::SlackError> {
    let post = PostMessage {
        channel: &to.clone().into(),
        message,
        thread_ts: None,
        reply_broadcast: false,
    };
    client.post_message(&post).await
}
