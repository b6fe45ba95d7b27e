//! Hostile input against the real binary: every request of `fixtures/hostile/cases.toml`
//! (malformed, oversized, replayed, mis-signed, mis-addressed, badly framed) is refused with
//! the 4xx the manifest names and a JSON `code`, nothing of it is stored, the server logs and
//! counts each refusal, and it stays up.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use handoff::hubspot::signature::{sign_v1, sign_v2, sign_v3};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::app::*;
use crate::support::serve::{Running, start_with, stop};

const WINDOW_MS: i64 = 300_000;
const APP_ID: &str = "54321";

#[derive(Deserialize)]
struct Manifest {
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Repeat {
    #[serde(default)]
    prefix: String,
    text: String,
    times: usize,
    #[serde(default)]
    suffix: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Pad {
    count: usize,
    bytes: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    method: Option<String>,
    path: Option<String>,
    body: Option<String>,
    body_hex: Option<String>,
    body_fixture: Option<String>,
    truncate: Option<usize>,
    body_repeat: Option<Repeat>,
    content_type: Option<String>,
    sign: Option<String>,
    secret: Option<String>,
    signed_body: Option<String>,
    signed_uri: Option<String>,
    signed_method: Option<String>,
    #[serde(default)]
    timestamp_offset_ms: i64,
    timestamp: Option<String>,
    signature: Option<String>,
    #[serde(default)]
    headers: Vec<[String; 2]>,
    pad_headers: Option<Pad>,
    raw: Option<String>,
    status: u16,
    code: Option<String>,
}

fn manifest() -> Vec<Case> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/hostile/cases.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    toml::from_str::<Manifest>(&text).unwrap().case
}

fn hex_bytes(text: &str) -> Vec<u8> {
    let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).unwrap())
        .collect()
}

impl Case {
    fn body(&self) -> Vec<u8> {
        let mut body = match (
            &self.body,
            &self.body_hex,
            &self.body_fixture,
            &self.body_repeat,
        ) {
            (Some(text), _, _, _) => text.clone().into_bytes(),
            (_, Some(hex), _, _) => hex_bytes(hex),
            (_, _, Some(name), _) => fixture(name),
            (_, _, _, Some(r)) => {
                format!("{}{}{}", r.prefix, r.text.repeat(r.times), r.suffix).into_bytes()
            }
            _ => Vec::new(),
        };
        if let Some(n) = self.truncate {
            body.truncate(n);
        }
        body
    }

    fn method(&self) -> &str {
        self.method.as_deref().unwrap_or("POST")
    }

    /// The headers HubSpot (or the attacker) would send with `body`.
    fn headers(&self, body: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut headers: Vec<(String, Vec<u8>)> = Vec::new();
        match self.content_type.as_deref() {
            Some("") => {}
            other => headers.push((
                "content-type".into(),
                other.unwrap_or("application/json").into(),
            )),
        }
        let secret = SecretString::from(self.secret.as_deref().unwrap_or(SECRET));
        let signed_body = self.signed_body.as_ref().map_or(body, |b| b.as_bytes());
        let method = self.signed_method.as_deref().unwrap_or(self.method());
        let uri = self.signed_uri.as_deref().unwrap_or(PUBLIC_URL);
        let ts = (now_ms() + self.timestamp_offset_ms).to_string();
        let (signature, version) = match self.sign.as_deref().unwrap_or("v3") {
            "none" => (None, None),
            "v3" => (Some(sign_v3(&secret, method, uri, signed_body, &ts)), None),
            "v1" => (Some(sign_v1(&secret, signed_body)), Some("v1")),
            "v2" => (Some(sign_v2(&secret, method, uri, signed_body)), Some("v2")),
            other => panic!("{}: unknown sign {other:?}", self.name),
        };
        let signature = self.signature.clone().or(signature);
        match (signature, version) {
            (Some(sig), Some(version)) => {
                headers.push(("x-hubspot-signature".into(), sig.into()));
                headers.push(("x-hubspot-signature-version".into(), version.into()));
            }
            (Some(sig), None) => {
                headers.push(("x-hubspot-signature-v3".into(), sig.into()));
                match self.timestamp.as_deref() {
                    Some("") => {}
                    Some(raw) => headers.push(("x-hubspot-request-timestamp".into(), raw.into())),
                    None => headers.push(("x-hubspot-request-timestamp".into(), ts.into())),
                }
            }
            (None, _) => {}
        }
        for [name, value] in &self.headers {
            headers.push((name.clone(), value.clone().into_bytes()));
        }
        if let Some(pad) = &self.pad_headers {
            for i in 0..pad.count {
                headers.push((format!("x-pad-{i}"), vec![b'a'; pad.bytes]));
            }
        }
        headers
    }
}

/// What came back: the status and the JSON body, if there was one.
struct Answer {
    status: u16,
    json: Option<Value>,
}

/// Sends one HTTP/1.1 request over a fresh connection, written by hand: a server that refuses
/// early (413, 431) closes while a large request is still being written, which an HTTP client
/// reports as a failed send. Write errors are ignored here and the answer is read regardless.
async fn send(
    server: &Running,
    method: &str,
    path: &str,
    body: Vec<u8>,
    headers: &[(String, Vec<u8>)],
) -> Answer {
    let host = format!("127.0.0.1:{}", server.port);
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    )
    .into_bytes();
    for (name, value) in headers {
        request.extend_from_slice(name.as_bytes());
        request.extend_from_slice(b": ");
        request.extend_from_slice(value);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"\r\n");
    request.extend_from_slice(&body);
    exchange(&host, &request, false).await
}

/// Writes `request` (ignoring a connection the server closed early), closes the write side if
/// `half_close` (the server then sees the end of a short body; hyper drops a connection whose
/// client stopped sending, so whole requests keep it open and ask `connection: close`), and
/// reads the whole answer.
async fn exchange(host: &str, request: &[u8], half_close: bool) -> Answer {
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let _ = stream.write_all(request).await;
    if half_close {
        let _ = stream.shutdown().await;
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let json = text
        .split_once("\r\n\r\n")
        .and_then(|(_, body)| serde_json::from_str(body).ok());
    Answer { status, json }
}

/// Writes `raw` ({host} replaced) to a fresh connection and reads the whole answer.
async fn send_raw(server: &Running, raw: &str) -> Answer {
    let host = format!("127.0.0.1:{}", server.port);
    exchange(&host, raw.replace("{host}", &host).as_bytes(), true).await
}

async fn stored(dir: &Path) -> (i64, i64) {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}/handoff.db", dir.display()))
        .await
        .unwrap();
    let inbox: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inbox")
        .fetch_one(&pool)
        .await
        .unwrap();
    let jobs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    (inbox, jobs)
}

/// Sum of `handoff_webhook_deliveries_rejected_total` per reason.
async fn rejected_metric(server: &Running) -> BTreeMap<String, u64> {
    let text = reqwest::get(server.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("handoff_webhook_deliveries_rejected_total{") else {
            continue;
        };
        let (labels, value) = rest.split_once("} ").unwrap();
        let reason = labels.split('"').nth(1).unwrap().to_owned();
        *out.entry(reason).or_default() += value.trim().parse::<f64>().unwrap() as u64;
    }
    out
}

#[tokio::test]
async fn every_hostile_request_gets_a_4xx_with_its_code_and_nothing_is_stored() {
    let cases = manifest();
    assert!(cases.len() >= 50, "the corpus shrank to {}", cases.len());
    let dir = tempfile::tempdir().unwrap();
    let server = start_with(dir.path(), &[("HANDOFF__WEBHOOK__APP_ID", APP_ID)]).await;

    // One genuine delivery, signed near the end of the window so it can be replayed past it.
    let body = fixture("contact_creation.json");
    let signed_at = now_ms() - WINDOW_MS + 4_000;
    let genuine: Vec<(String, Vec<u8>)> = v3_headers(SECRET, &body, signed_at)
        .into_iter()
        .map(|(k, v)| (k, v.into_bytes()))
        .collect();
    let first = send_genuine(&server, &body, &genuine).await;
    assert_eq!(first.status, 200, "the genuine delivery: {:?}", first.json);
    // A replay inside the window is a duplicate: 200, nothing new.
    let again = send_genuine(&server, &body, &genuine).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json.unwrap()["duplicates"], 1);
    let baseline = stored(dir.path()).await;
    assert_eq!(baseline, (1, 1));

    let (replays, now): (Vec<&Case>, Vec<&Case>) = cases
        .iter()
        .partition(|c| c.sign.as_deref() == Some("replay"));
    let mut failures = Vec::new();
    let mut logged_codes: BTreeMap<String, u64> = BTreeMap::new();
    let mut check = |case: &Case, answer: Answer| {
        assert!(
            (400..500).contains(&case.status),
            "{}: expects a non-4xx",
            case.name
        );
        let code = answer
            .json
            .as_ref()
            .and_then(|j| j["code"].as_str())
            .map(str::to_owned);
        if answer.status != case.status || code != case.code {
            failures.push(format!(
                "{}: got {} {:?}, expected {} {:?}",
                case.name, answer.status, answer.json, case.status, case.code
            ));
        }
        if let Some(code) = &case.code {
            let message = answer.json.as_ref().and_then(|j| j["message"].as_str());
            if message.is_none_or(str::is_empty) {
                failures.push(format!("{}: no message", case.name));
            }
            if !["not_found", "method_not_allowed"].contains(&code.as_str()) {
                *logged_codes.entry(code.clone()).or_default() += 1;
            }
        }
    };
    for case in now {
        let answer = match &case.raw {
            Some(raw) => send_raw(&server, raw).await,
            None => {
                let body = case.body();
                let headers = case.headers(&body);
                let path = case.path.as_deref().unwrap_or("/webhooks/hubspot");
                send(&server, case.method(), path, body, &headers).await
            }
        };
        check(case, answer);
    }
    // The captured delivery, byte for byte, once its timestamp has left the window.
    let wait_ms = (signed_at + WINDOW_MS + 500 - now_ms()).max(0);
    tokio::time::sleep(Duration::from_millis(wait_ms as u64)).await;
    for case in replays {
        let answer = send_genuine(&server, &body, &genuine).await;
        check(case, answer);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    assert_eq!(
        stored(dir.path()).await,
        baseline,
        "a refused request stored something"
    );
    assert_eq!(rejected_metric(&server).await, logged_codes);
    let ready = reqwest::get(server.url("/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200, "the server did not survive");
    let log = server.log.clone();
    assert!(stop(server).await.success());

    let log = std::fs::read_to_string(log).unwrap();
    let mut rejected_in_log: BTreeMap<String, u64> = BTreeMap::new();
    for line in log.lines() {
        let line: Value = serde_json::from_str(line).unwrap();
        assert_ne!(line["level"], "ERROR", "{line}");
        if line["message"] == "webhook delivery rejected" {
            let code = line["error.code"].as_str().unwrap().to_owned();
            *rejected_in_log.entry(code).or_default() += 1;
        }
    }
    assert_eq!(rejected_in_log, logged_codes, "one log line per refusal");
    assert!(!log.contains("panicked"));
}

/// Sends a body with exactly these headers to the webhook path.
async fn send_genuine(server: &Running, body: &[u8], headers: &[(String, Vec<u8>)]) -> Answer {
    send(server, "POST", "/webhooks/hubspot", body.to_vec(), headers).await
}
