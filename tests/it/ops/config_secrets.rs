//! No secret in any output, ever. Canary secrets written into the admin's files (as valid
//! TOML, and on lines TOML cannot parse) and canaries given the right way (the environment, a
//! file) appear nowhere: not in `check-config`'s stdout or stderr, not in the 422 answer of a
//! refused reload, not in the trace-level log of `serve`, not in `/metrics`. The inline ones
//! are refused by key and file:line:column.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::app::*;
use crate::support::serve::{start_with, stop};

/// Written into config files: each must be refused and masked.
const INLINE: [&str; 4] = [
    "CANARY-inline-admin-5b1e0c7d",
    "CANARY-inline-app-77d2e4a9",
    "CANARY-broken-line-c39a01f2",
    "CANARY-multi-line-8e6f21b4",
];
/// Given the right way: they work, and never show either.
const ENV_SECRET: &str = "CANARY-env-webhook-0f4b9a3e";
const FILE_TOKEN: &str = "CANARY-file-portal-d51c33a8";

/// The problems the inline files must produce, as `file:line:column: key: message` starts.
const EXPECTED: [&str; 4] = [
    "20-inline.toml:2:1: server.admin_token: a secret is never read from a configuration file",
    "20-inline.toml:6:1: webhook.apps[0].client_secret: a secret is never read",
    "30-broken.toml:2:47: TOML syntax error",
    "40-multi-line.toml:3:29: TOML syntax error",
];

fn needles() -> Vec<&'static str> {
    let mut all = INLINE.to_vec();
    all.extend([ENV_SECRET, FILE_TOKEN]);
    all
}

fn assert_no_secret(what: &str, text: &str) {
    for needle in needles() {
        assert!(!text.contains(needle), "{needle} shows in {what}:\n{text}");
    }
}

/// A working configuration: one portal whose token is in a file, HubSpot at `base_url`.
fn write_base(dir: &Path, conf: &Path, base_url: &str) {
    std::fs::create_dir_all(conf).unwrap();
    let token = dir.join("hubspot-token");
    std::fs::write(&token, format!("{FILE_TOKEN}\n")).unwrap();
    std::fs::write(
        conf.join("10-base.toml"),
        format!(
            "[hubspot]\nbase_url = {base_url:?}\n\n[[hubspot.portals]]\nid = 62515\n\
             playbook = \"example-b2b-saas\"\nauth = {{ kind = \"private_app\", token_file = {:?} }}\n",
            token.display().to_string()
        ),
    )
    .unwrap();
}

/// Secrets written inline: valid TOML, a broken line, a broken multi-line string.
fn write_inline(conf: &Path) {
    let [admin, app, broken, multi] = INLINE;
    std::fs::write(
        conf.join("20-inline.toml"),
        format!(
            "[server]\nadmin_token = \"{admin}\"\n\n[[webhook.apps]]\napp_id = 7\n\
             client_secret = '{app}'\n"
        ),
    )
    .unwrap();
    std::fs::write(
        conf.join("30-broken.toml"),
        format!("[webhook]\nclient_secret = \"{broken}\" oops\n"),
    )
    .unwrap();
    std::fs::write(
        conf.join("40-multi-line.toml"),
        format!("[hubspot]\ntoken_key = \"\"\"\n{multi} \\q\n\"\"\"\n"),
    )
    .unwrap();
}

fn assert_names_every_inline_secret(what: &str, text: &str) {
    for expected in EXPECTED {
        assert!(
            text.contains(expected),
            "{what} misses {expected:?}:\n{text}"
        );
    }
    assert!(
        !text.contains("is required"),
        "a file problem is reported alone, without knock-on problems: {text}"
    );
}

#[test]
fn check_config_names_inline_secrets_and_prints_none_of_them() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("conf");
    write_base(dir.path(), &conf, "https://api.hubapi.com");
    write_inline(&conf);
    let mut cmd = crate::support::cli::bare(dir.path());
    cmd.envs(base_env(dir.path()))
        .env("HANDOFF__WEBHOOK__CLIENT_SECRET", ENV_SECRET)
        .env("RUST_LOG", "trace")
        .args(["--config", conf.to_str().unwrap(), "check-config"]);
    let out = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_no_secret("check-config stdout", &stdout);
    assert_no_secret("check-config stderr", &stderr);
    assert_names_every_inline_secret("check-config", &stderr);
    // The snippet keeps its shape, so the caret still points at the right column.
    let masked = "*".repeat(INLINE[2].len());
    assert!(
        stderr.contains(&format!("2 | client_secret = \"{masked}\" oops")),
        "{stderr}"
    );
}

/// The admin listener's address, from the JSON log line `admin listener serving`.
fn admin_addr(log: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let addr = text
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find(|l| l["message"] == "admin listener serving")
            .and_then(|l| l["listen"].as_str().map(str::to_owned));
        if let Some(addr) = addr {
            return addr;
        }
        assert!(Instant::now() < deadline, "no admin listener:\n{text}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn a_refused_reload_names_inline_secrets_and_shows_none_in_its_answer_logs_or_metrics() {
    let hubspot = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/crm/owners/2026-09"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"results": []})))
        .mount(&hubspot)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("conf");
    write_base(dir.path(), &conf, &hubspot.uri());
    let conf_dir = conf.display().to_string();
    let server = start_with(
        dir.path(),
        &[
            ("HANDOFF_CONFIG_DIR", conf_dir.as_str()),
            ("HANDOFF__WEBHOOK__CLIENT_SECRET", ENV_SECRET),
            ("RUST_LOG", "trace"),
        ],
    )
    .await;
    let client = reqwest::Client::new();
    // The secret from the environment is the one webhooks are checked with.
    let body = fixture("contact_creation.json");
    let mut signed = client
        .post(server.url("/webhooks/hubspot"))
        .body(body.clone());
    for (k, v) in v3_headers(ENV_SECRET, &body, now_ms()) {
        signed = signed.header(k, v);
    }
    assert_eq!(signed.send().await.unwrap().status(), 200);

    write_inline(&conf);
    let admin = admin_addr(&server.log);
    let reload = client
        .post(format!("http://{admin}/admin/rules/reload"))
        .send()
        .await
        .unwrap();
    assert_eq!(reload.status(), 422);
    let answer = reload.text().await.unwrap();
    assert_no_secret("the reload answer", &answer);
    let problems: serde_json::Value = serde_json::from_str(&answer).unwrap();
    let problems: Vec<&str> = problems["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str())
        .collect();
    assert_names_every_inline_secret("the reload answer", &problems.join("\n"));

    let metrics = client
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("outcome=\"rejected\""),
        "the refused reload is counted: {metrics}"
    );
    assert_no_secret("/metrics", &metrics);
    let log_path = server.log.clone();
    assert!(stop(server).await.success());
    let log = std::fs::read_to_string(log_path).unwrap();
    assert!(
        log.contains("rules reload refused"),
        "the refusal is logged: {log}"
    );
    assert!(
        log.contains("\"level\":\"TRACE\""),
        "the log is at trace level"
    );
    assert_no_secret("the trace-level log", &log);
}
