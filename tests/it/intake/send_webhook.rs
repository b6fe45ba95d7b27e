//! `handoff send-webhook` through the real binary against a real receiver: a correctly signed
//! delivery is stored; a wrong secret is refused with the receiver's 401 and exit code 1.

use std::process::Output;

use crate::support::app::{PUBLIC_URL, SECRET, spawn_app};

/// Runs `handoff send-webhook ARGS` off the async runtime (the receiver runs on it).
async fn send(args: Vec<&str>, secret: &str) -> Output {
    let args: Vec<String> = args.into_iter().map(str::to_owned).collect();
    let secret = secret.to_owned();
    tokio::task::spawn_blocking(move || run(&args, &secret))
        .await
        .unwrap()
}

fn run(args: &[String], secret: &str) -> Output {
    crate::support::cli::bare(tempfile::tempdir().unwrap().path())
        .env("APP_SECRET", secret)
        .arg("send-webhook")
        .args(args)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_delivery_is_stored_and_a_wrong_secret_is_refused_with_exit_1() {
    let app = spawn_app().await;
    let url = app.url("/webhooks/hubspot");
    let base = [
        "--url",
        &url,
        "--signed-url",
        PUBLIC_URL,
        "--secret-env",
        "APP_SECRET",
        "--portal",
        "62515",
    ];
    let ok = [&base[..], &["--contact", "101", "--kind", "creation"]].concat();
    let out = send(ok, SECRET).await;
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{said}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains(": 200 accepted (1 event(s)"), "{said}");
    assert_eq!(app.inbox_rows().await, 1);

    let change = [
        &base[..],
        &["--contact", "101", "--kind", "property-change"],
        &["--property", "hs_lead_status", "--value", "CONNECTED"],
    ]
    .concat();
    let out = send(change, SECRET).await;
    assert!(out.status.success());
    assert_eq!(app.inbox_rows().await, 2);

    let wrong = [&base[..], &["--contact", "102"]].concat();
    let out = send(wrong, "not-the-secret").await;
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success());
    assert!(said.contains(": 401 refused"), "{said}");
    assert!(err.contains("refused the delivery (401)"), "{err}");
    assert!(!said.contains("not-the-secret") && !err.contains("not-the-secret"));
    assert_eq!(
        app.inbox_rows().await,
        2,
        "nothing stored for a refused delivery"
    );
    app.stop().await;
}
