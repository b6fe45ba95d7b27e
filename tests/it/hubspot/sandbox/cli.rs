//! `handoff sandbox` as a binary: the help text, and a real run serving the seed.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::cli;
use crate::support::sandbox::seed_dir;

fn handoff() -> Command {
    cli::bare(&std::env::temp_dir())
}

#[test]
fn sandbox_help_explains_every_flag() {
    let out = handoff().args(["sandbox", "--help"]).output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "--listen",
        "--seed",
        "--rate",
        "--faults",
        "--token",
        "--slack-bot-token-env",
        "--slack-signing-secret-env",
        "--slack-interactions-url",
        "--slack-without-account",
        "/_sandbox/",
        "110/10s",
    ] {
        assert!(help.contains(needle), "help lacks {needle}:\n{help}");
    }
    let bad = handoff()
        .args(["sandbox", "--rate", "fast"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
}

/// `handoff sandbox` with `args` (and the seed) on a free port, its log in `dir`; the child and
/// its base URL once it answers.
async fn serve_sandbox(
    dir: &std::path::Path,
    args: &[&str],
    envs: &[(&str, &str)],
) -> (std::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = handoff()
        .current_dir(dir)
        .args(["sandbox", "--listen", &format!("127.0.0.1:{port}")])
        .args(args)
        .arg("--seed")
        .arg(seed_dir())
        .envs(envs.iter().copied())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("sandbox.log")).unwrap())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "sandbox did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (child, base)
}

#[tokio::test]
async fn the_binary_serves_the_seed_without_handoff_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("sandbox.log");
    let (mut child, base) = serve_sandbox(dir.path(), &["--rate", "50/10s"], &[]).await;
    let http = reqwest::Client::new();
    let owners = http
        .get(format!("{base}/crm/v3/owners"))
        .bearer_auth("dev")
        .send()
        .await
        .unwrap();
    assert_eq!(owners.status(), 200);
    assert_eq!(owners.headers()["x-hubspot-ratelimit-max"], "50");
    let body: serde_json::Value = owners.json().await.unwrap();
    assert_eq!(body["results"].as_array().unwrap().len(), 12);
    child.kill().unwrap();
    child.wait().unwrap();
    let log = std::fs::read_to_string(&log_path).unwrap();
    let line: serde_json::Value = serde_json::from_str(log.lines().next().unwrap()).unwrap();
    assert_eq!(line["message"], "sandbox listening");
    assert_eq!(line["contacts"], 10);
}

/// The Slack stand-in from the command line: the bot token comes from the variable named, a
/// wrong token is Slack's `invalid_auth`, and an owner given as without an account is not found.
#[tokio::test]
async fn the_slack_stand_in_takes_its_token_and_people_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, base) = serve_sandbox(
        dir.path(),
        &[
            "--slack-bot-token-env",
            "SANDBOX_SLACK_BOT",
            "--slack-signing-secret-env",
            "SANDBOX_SLACK_SIGNING",
            "--slack-without-account",
            "101",
        ],
        &[
            ("SANDBOX_SLACK_BOT", "xoxb-sandbox-cli"),
            ("SANDBOX_SLACK_SIGNING", "signing-secret-cli"),
        ],
    )
    .await;
    let http = reqwest::Client::new();
    let lookup = |email: &str, token: &str| {
        http.get(format!("{base}/api/users.lookupByEmail"))
            .query(&[("email", email)])
            .bearer_auth(token)
            .send()
    };
    let found: serde_json::Value = lookup("katrin.vogel@example.com", "xoxb-sandbox-cli")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["ok"], true, "{found}");
    assert_eq!(found["user"]["id"], "U100");
    let wrong: serde_json::Value = lookup("katrin.vogel@example.com", "xoxb-other")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(wrong["error"], "invalid_auth", "{wrong}");
    let owners: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(seed_dir().join("owners.json")).unwrap())
            .unwrap();
    let without = owners
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == "101")
        .unwrap()["email"]
        .as_str()
        .unwrap()
        .to_owned();
    let missing: serde_json::Value = lookup(&without, "xoxb-sandbox-cli")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(missing["error"], "users_not_found", "{missing}");
    child.kill().unwrap();
    child.wait().unwrap();
    let log = std::fs::read_to_string(dir.path().join("sandbox.log")).unwrap();
    assert!(
        !log.contains("xoxb-sandbox-cli") && !log.contains("signing-secret-cli"),
        "{log}"
    );
}

/// A Slack secret variable that is not set: exit 2 naming the flag and the variable, and no
/// sandbox starts.
#[test]
fn a_slack_secret_variable_that_is_not_set_is_refused_before_anything_starts() {
    let out = handoff()
        .args([
            "sandbox",
            "--listen",
            "127.0.0.1:1",
            "--slack-signing-secret-env",
            "SANDBOX_SLACK_UNSET_FOR_TEST",
        ])
        .env_remove("SANDBOX_SLACK_UNSET_FOR_TEST")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--slack-signing-secret-env") && err.contains("SANDBOX_SLACK_UNSET_FOR_TEST"),
        "{err}"
    );
    assert!(!err.contains("sandbox listening"), "{err}");
}
