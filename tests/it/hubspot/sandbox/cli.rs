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

#[tokio::test]
async fn the_binary_serves_the_seed_without_handoff_configuration() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("sandbox.log");
    let mut child = handoff()
        .current_dir(dir.path())
        .args([
            "sandbox",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--rate",
            "50/10s",
        ])
        .arg("--seed")
        .arg(seed_dir())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/crm/v3/owners");
    let deadline = Instant::now() + Duration::from_secs(20);
    let owners = loop {
        if let Ok(r) = http.get(&url).bearer_auth("dev").send().await {
            break r;
        }
        assert!(Instant::now() < deadline, "sandbox did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
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
