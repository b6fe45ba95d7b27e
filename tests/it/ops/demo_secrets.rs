//! The full demo (`handoff demo`, the real binary) runs with known secret values — webhook
//! client secret, private-app token or OAuth client secret, refresh token and token-sealing
//! key, admin token — and none of them, nor their hex or base64 forms, appears in its logs
//! (at debug level), in the error answers it gives, in `/metrics` or in the sandbox's stats.

use std::io::Read;
use std::net::SocketAddr;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use handoff::hubspot::signature::sign_v3;
use secrecy::SecretString;

/// The demo's secrets for one run, as `HANDOFF_DEMO_*` variables.
struct Secrets {
    vars: Vec<(&'static str, String)>,
}

impl Secrets {
    fn new(run: &str, oauth: bool) -> Self {
        let mut vars = vec![
            (
                "HANDOFF_DEMO_WEBHOOK_SECRET",
                format!("whsec-{run}-7f3a9c21e4"),
            ),
            (
                "HANDOFF_DEMO_ADMIN_TOKEN",
                format!("admtok-{run}-c84d02b7a1"),
            ),
        ];
        if oauth {
            vars.push((
                "HANDOFF_DEMO_OAUTH_CLIENT_SECRET",
                format!("oacs-{run}-51be6d09f3"),
            ));
            vars.push((
                "HANDOFF_DEMO_OAUTH_REFRESH_TOKEN",
                format!("oart-{run}-9a0e7c44d2"),
            ));
            vars.push((
                "HANDOFF_DEMO_TOKEN_KEY",
                "3c9f1e7a5b2d8c4f6a0e9d1b7c3f5a2e8d4b6c0f1a9e7d3b5c2f8a4e6d0b1c9f".into(),
            ));
        } else {
            vars.push((
                "HANDOFF_DEMO_HUBSPOT_TOKEN",
                format!("pat-{run}-e2b61f0c93"),
            ));
        }
        Self { vars }
    }

    fn get(&self, name: &str) -> &str {
        &self.vars.iter().find(|(k, _)| *k == name).unwrap().1
    }

    /// Every form in which a secret would be recognisable in output.
    fn needles(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (name, value) in &self.vars {
            let mut forms = vec![
                value.clone(),
                hex::encode(value),
                hex::encode_upper(value),
                STANDARD.encode(value),
                URL_SAFE_NO_PAD.encode(value),
            ];
            // The sealing key is hex: its raw bytes could also show up re-encoded.
            if let Ok(raw) = hex::decode(value) {
                forms.push(STANDARD.encode(&raw));
                forms.push(URL_SAFE_NO_PAD.encode(&raw));
                forms.push(hex::encode_upper(&raw));
                forms.push(format!("{raw:?}"));
            }
            out.extend(forms.into_iter().map(|f| ((*name).to_owned(), f)));
        }
        // The access tokens the sandbox issues on refresh (`sandbox-at-<uuid>`) are secrets too.
        out.push(("issued OAuth access token".into(), "sandbox-at-".into()));
        out
    }
}

/// Everything one demo run showed the outside world.
#[derive(Default)]
struct Seen {
    texts: Vec<(String, String)>,
}

impl Seen {
    fn add(&mut self, what: impl Into<String>, text: impl Into<String>) {
        self.texts.push((what.into(), text.into()));
    }
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn spawn_reader(mut pipe: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let buffer = Arc::new(Mutex::new(String::new()));
    let sink = buffer.clone();
    std::thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        while let Ok(n) = pipe.read(&mut chunk) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&chunk[..n]));
        }
    });
    buffer
}

/// The address in the field `name=` of the "demo started" log line.
fn address_after(log: &str, name: &str) -> Option<SocketAddr> {
    let line = log.lines().find(|l| l.contains("demo started"))?;
    let field = format!(" {name}=");
    let rest = &line[line.find(&field)? + field.len()..];
    let text = rest.trim_start_matches("http://");
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ':'))
        .unwrap_or(text.len());
    text[..end].parse().ok()
}

struct Demo {
    child: Mutex<Child>,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    _tmp: tempfile::TempDir,
}

fn start_demo(secrets: &Secrets, run_s: u64) -> Demo {
    let tmp = tempfile::tempdir().unwrap();
    let mut child = crate::support::cli::bare(env!("CARGO_MANIFEST_DIR").as_ref())
        .env("TMPDIR", tmp.path())
        .env("NO_COLOR", "1")
        // Debug level: the lines most likely to carry a value verbatim.
        .env(
            "RUST_LOG",
            "debug,sqlx=warn,hyper=info,hyper_util=info,h2=info,rustls=info",
        )
        .envs(secrets.vars.iter().map(|(k, v)| (*k, v.as_str())))
        .args(["demo", "--run-s", &run_s.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = spawn_reader(child.stdout.take().unwrap());
    let stderr = spawn_reader(child.stderr.take().unwrap());
    Demo {
        child: Mutex::new(child),
        stdout,
        stderr,
        _tmp: tmp,
    }
}

/// While the demo runs: scrape `/metrics` and the sandbox's stats, and provoke the errors an
/// outsider can: a mis-signed webhook, a wrong admin token, an unknown route; then the admin
/// reload with the right token (its answer must not echo any secret either).
async fn probe(demo: &Demo, secrets: &Secrets, seen: &mut Seen) {
    let deadline = Instant::now() + Duration::from_secs(40);
    let (serve, admin, sandbox) = loop {
        let log = strip_ansi(&demo.stderr.lock().unwrap());
        if let (Some(a), Some(b), Some(c)) = (
            address_after(&log, "listen"),
            address_after(&log, "admin"),
            address_after(&log, "sandbox"),
        ) {
            break (a, b, c);
        }
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        assert!(
            Instant::now() < deadline,
            "the demo did not start: {tail:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let http = reqwest::Client::new();
    let text = |r: reqwest::Response| async move {
        let head = format!("{} {:?}", r.status(), r.headers());
        format!("{head} {}", r.text().await.unwrap_or_default())
    };
    let webhook = format!("http://{serve}/webhooks/hubspot");
    let body = br#"[{"eventId": 1, "subscriptionId": 1, "portalId": 62515, "occurredAt": 1, "subscriptionType": "contact.creation", "objectId": 1}]"#;
    let ts = handoff_now_ms().to_string();
    let wrong = sign_v3(&SecretString::from("wrong"), "POST", &webhook, body, &ts);
    let r = http
        .post(&webhook)
        .header("content-type", "application/json")
        .header("x-hubspot-signature-v3", wrong)
        .header("x-hubspot-request-timestamp", &ts)
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    seen.add("mis-signed webhook answer", text(r).await);
    let reload = format!("http://{admin}/admin/rules/reload");
    let r = http
        .post(&reload)
        .bearer_auth("not-the-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    seen.add("admin answer to a wrong token", text(r).await);
    let r = http
        .post(&reload)
        .bearer_auth(secrets.get("HANDOFF_DEMO_ADMIN_TOKEN"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        200,
        "the admin token was not the one configured"
    );
    seen.add("admin reload answer", text(r).await);
    let r = http
        .get(format!("http://{serve}/nowhere"))
        .send()
        .await
        .unwrap();
    seen.add("unknown route answer", text(r).await);
    // Scrape while the worker runs (handoffs, tasks, SLA checks), until the demo ends.
    let mut scrapes = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    while demo_running(demo) && Instant::now() < deadline {
        if let Ok(r) = http.get(format!("http://{serve}/metrics")).send().await {
            seen.add("/metrics", r.text().await.unwrap_or_default());
            scrapes += 1;
        }
        if let Ok(r) = http
            .get(format!("http://{sandbox}/_sandbox/stats"))
            .send()
            .await
        {
            seen.add("sandbox stats", r.text().await.unwrap_or_default());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(scrapes > 0, "/metrics was never scraped");
}

fn demo_running(demo: &Demo) -> bool {
    matches!(demo.child.lock().unwrap().try_wait(), Ok(None))
}

fn handoff_now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

async fn run(name: &str, oauth: bool) -> (Secrets, Seen, String) {
    let secrets = Secrets::new(name, oauth);
    let demo = start_demo(&secrets, 6);
    let mut seen = Seen::default();
    probe(&demo, &secrets, &mut seen).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = demo.child.lock().unwrap().try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the demo did not finish");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // The reader threads finish at EOF; give them a moment after the exit.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stdout = strip_ansi(&demo.stdout.lock().unwrap());
    let stderr = strip_ansi(&demo.stderr.lock().unwrap());
    let tail: Vec<&str> = stderr.lines().rev().take(30).collect();
    assert!(status.success(), "demo failed: {tail:#?}");
    seen.add("stdout", stdout.clone());
    seen.add("log (stderr)", stderr);
    (secrets, seen, stdout)
}

fn assert_no_secret(secrets: &Secrets, seen: &Seen) {
    let needles = secrets.needles();
    let mut leaks = Vec::new();
    for (what, text) in &seen.texts {
        for (name, form) in &needles {
            if text.contains(form.as_str()) {
                let line = text
                    .lines()
                    .find(|l| l.contains(form.as_str()))
                    .unwrap_or("");
                leaks.push(format!("{name} in {what}: {line}"));
            }
        }
    }
    assert!(leaks.is_empty(), "secrets leaked:\n{}", leaks.join("\n"));
}

/// The number on the scoreboard's `handoffs` line.
fn handoffs(stdout: &str) -> u64 {
    stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("handoffs"))
        .and_then(|n| n.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn no_demo_secret_appears_in_logs_errors_metrics_or_sandbox_stats() {
    // Both ways of authenticating to HubSpot, side by side.
    let (private_app, oauth) = tokio::join!(run("pat", false), run("oauth", true));
    for (secrets, seen, stdout) in [&private_app, &oauth] {
        // The run really used its credentials: leads were handed off through the sandbox.
        assert!(handoffs(stdout) > 0, "no handoff:\n{stdout}");
        assert!(seen.texts.iter().any(|(w, _)| w == "/metrics"));
        assert_no_secret(secrets, seen);
    }
    let stats = oauth
        .1
        .texts
        .iter()
        .rev()
        .find(|(w, _)| w == "sandbox stats")
        .unwrap();
    let stats: serde_json::Value = serde_json::from_str(&stats.1).unwrap();
    assert!(
        stats["tokensIssued"].as_u64().unwrap() > 0,
        "OAuth was not used: {stats}"
    );
}
