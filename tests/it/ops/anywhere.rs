//! The installed binary, started outside the checkout: `serve` starts from an empty directory
//! on the built-in defaults, commands that read the store or the rules need only what they
//! read, and a read-only command never creates an empty store where it happens to run.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::app::{PUBLIC_URL, SECRET};
use crate::support::cli;
use crate::support::serve::{Running, stop};

/// `handoff ARGS` in `dir` with nothing but PATH and `env` in its environment.
fn handoff(dir: &Path, env: &[(&str, &str)]) -> Command {
    let mut cmd = cli::bare(dir);
    cmd.envs(env.iter().copied());
    cmd
}

fn run(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    handoff(dir, env).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `serve` with only its two required settings (and free ports); returns once ready.
async fn serve(dir: &Path) -> Running {
    let log = dir.join("serve.log");
    let child = handoff(
        dir,
        &[
            ("HANDOFF__WEBHOOK__CLIENT_SECRET", SECRET),
            ("HANDOFF__WEBHOOK__PUBLIC_URL", PUBLIC_URL),
            ("HANDOFF__SERVER__LISTEN", "127.0.0.1:0"),
            ("HANDOFF__SERVER__ADMIN_BIND", "127.0.0.1:0"),
        ],
    )
    .arg("serve")
    .stdout(Stdio::null())
    .stderr(std::fs::File::create(&log).unwrap())
    .spawn()
    .unwrap();
    let mut running = Running {
        child,
        port: 0,
        log: log.clone(),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while running.port == 0 {
        let log_text = std::fs::read_to_string(&log).unwrap_or_default();
        running.port = log_text
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find(|l| l["message"] == "handoff serving")
            .and_then(|l| l["listen"].as_str()?.parse::<std::net::SocketAddr>().ok())
            .map_or(0, |a| a.port());
        if let Ok(Some(status)) = running.child.try_wait() {
            panic!("serve exited ({status}) outside the checkout:\n{log_text}");
        }
        assert!(
            Instant::now() < deadline,
            "serve never listened:\n{log_text}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    running
}

#[tokio::test]
async fn from_an_empty_directory_the_binary_serves_then_explains_and_reports_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path()).await;
    let ready = reqwest::get(server.url("/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200);
    let log = std::fs::read_to_string(&server.log).unwrap();
    assert!(!log.contains("examples_dir"), "no fixtures needed:\n{log}");
    assert!(stop(server).await.success());
    let store = dir.path().join("data/handoff.db");
    assert!(store.is_file(), "serve made its store where it ran");

    // A RevOps admin's laptop: no webhook secret, no public URL, no portal token.
    for args in [
        &["report"][..],
        &["queue", "stats"],
        &["dlq", "list"],
        &["portal", "list"],
    ] {
        let out = run(dir.path(), &[], args);
        let err = text(&out.stderr);
        assert!(out.status.success(), "handoff {args:?} failed:\n{err}");
        let said = format!("store: SQLite {}", store.display());
        assert!(
            err.contains(&said),
            "handoff {args:?} says which store:\n{err}"
        );
    }
    // Asked about a lead the store has never seen: the store's answer, not a config problem.
    let out = run(
        dir.path(),
        &[],
        &["explain", "--contact-id", "1", "--portal", "62515"],
    );
    let err = text(&out.stderr);
    assert!(
        err.contains("the ledger has no decision or handoff for contact 1"),
        "{err}"
    );
    let contact = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/contacts/dach-enterprise-demo.json"
    );
    let out = run(dir.path(), &[], &["explain", "--contact", contact]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("HAND OFF"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_read_only_command_refuses_a_store_that_is_not_there_and_creates_none() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["report"][..], &["queue", "stats"], &["portal", "list"]] {
        let out = run(dir.path(), &[], args);
        let err = text(&out.stderr);
        assert!(
            !out.status.success(),
            "handoff {args:?} succeeded on no store"
        );
        let missing = dir.path().join("data/handoff.db");
        assert!(
            err.contains(&format!("no store at {}", missing.display())),
            "handoff {args:?} names the path it looked at:\n{err}"
        );
        assert!(!missing.exists(), "handoff {args:?} created an empty store");
    }
}

#[test]
fn check_config_still_checks_everything_serve_needs_and_says_when_examples_were_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &[], &["check-config"]);
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("webhook.public_url: is required"), "{err}");
    assert!(err.contains("no client secret"), "{err}");
    let env = [
        ("HANDOFF__WEBHOOK__CLIENT_SECRET", SECRET),
        ("HANDOFF__WEBHOOK__PUBLIC_URL", PUBLIC_URL),
    ];
    let out = run(dir.path(), &env, &["check-config"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(
        said.contains("examples: no example contacts: the built-in fixtures/contacts is not here"),
        "{said}"
    );
    // A directory an admin names must be there.
    let env = [
        ("HANDOFF__WEBHOOK__CLIENT_SECRET", SECRET),
        ("HANDOFF__WEBHOOK__PUBLIC_URL", PUBLIC_URL),
        ("HANDOFF__ENGINE__EXAMPLES_DIR", "my-examples"),
    ];
    let out = run(dir.path(), &env, &["check-config"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("engine.examples_dir: cannot read my-examples"));
}

#[test]
fn store_commands_need_no_portal_token_but_check_config_does() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("local.toml"),
        "[[hubspot.portals]]\nid = 62515\nplaybook = \"example-b2b-saas\"\n\
         auth = { kind = \"private_app\", token_env = \"HUBSPOT_TOKEN_62515\" }\n",
    )
    .unwrap();
    let config = config.display().to_string();
    let out = run(dir.path(), &[], &["migrate", "--config", &config]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for args in [&["report"][..], &["portal", "list"], &["queue", "stats"]] {
        let args = [args, &["--config", &config]].concat();
        let out = run(dir.path(), &[], &args);
        assert!(
            out.status.success(),
            "handoff {args:?}:\n{}",
            text(&out.stderr)
        );
    }
    let env = [
        ("HANDOFF__WEBHOOK__CLIENT_SECRET", SECRET),
        ("HANDOFF__WEBHOOK__PUBLIC_URL", PUBLIC_URL),
    ];
    let out = run(dir.path(), &env, &["check-config", "--config", &config]);
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("HUBSPOT_TOKEN_62515"),
        "the missing token is named:\n{err}"
    );
}

#[test]
fn a_reader_that_stops_early_ends_the_output_quietly() {
    use std::io::Read as _;
    let dir = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    // Far more output than a pipe holds, so the writer meets the closed pipe.
    let one = std::fs::read_to_string(format!("{root}/fixtures/simulate/contacts.jsonl")).unwrap();
    let contacts = dir.path().join("many.jsonl");
    std::fs::write(&contacts, one.repeat(200)).unwrap();
    let playbook = format!("{root}/fixtures/simulate/playbook-stricter.toml");
    // `handoff simulate … --json | head -c 1`: the reader takes one byte and closes the pipe.
    let mut child = handoff(dir.path(), &[])
        .args(["simulate", "--json", "--playbook", &playbook, "--contacts"])
        .arg(&contacts)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 1];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let out = child.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.status.success(), "{err}");
}
