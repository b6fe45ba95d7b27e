//! Test harness: a real server on port 0 with its own SQLite file, and typed helpers to post
//! signed deliveries the way HubSpot does.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use std::sync::Arc;

use handoff::config::{ConfigSources, LoadedConfig, load};
use handoff::hubspot::client::ManualClock;
use handoff::hubspot::signature::{sign_v1, sign_v2, sign_v3};
use handoff::startup::{Application, Drive, Stepped};
use handoff::store::{Dialect, Store};
use handoff::worker::Ran;
use secrecy::SecretString;
use sqlx::SqlitePool;
use tokio_util::sync::CancellationToken;

pub const SECRET: &str = "test-client-secret-5f0c";
pub const PUBLIC_URL: &str = "https://handoff.test/webhooks/hubspot";

pub struct TestApp {
    pub addr: SocketAddr,
    /// The admin listener, apart from the public one.
    pub admin_addr: SocketAddr,
    pub client: reqwest::Client,
    pub store: Store,
    pub db_url: String,
    pub shutdown: CancellationToken,
    pub server: tokio::task::JoinHandle<()>,
    /// The worker and its clock, when the test steps the worker ([`TestApp::run_due`]).
    stepped: Option<(Stepped, Arc<ManualClock>)>,
    _dir: Option<tempfile::TempDir>,
}

/// The environment every test server gets: a secret, the public URL and its own database.
pub fn base_env(dir: &Path) -> HashMap<String, String> {
    HashMap::from([
        ("HANDOFF__WEBHOOK__CLIENT_SECRET".into(), SECRET.into()),
        ("HANDOFF__WEBHOOK__PUBLIC_URL".into(), PUBLIC_URL.into()),
        (
            "HANDOFF__STORE__URL".into(),
            format!("sqlite://{}/handoff.db", dir.display()),
        ),
    ])
}

/// Loads the real configuration layers with `toml` as the admin's only file.
pub fn load_config(dir: &Path, toml: &str, extra_env: &[(&str, &str)]) -> LoadedConfig {
    let config_dir = dir.join("config");
    std::fs::create_dir_all(&config_dir).unwrap();
    std::fs::write(config_dir.join("local.toml"), toml).unwrap();
    let mut env = base_env(dir);
    for (k, v) in extra_env {
        env.insert((*k).into(), (*v).into());
    }
    load(&ConfigSources {
        dir: Some(config_dir),
        env: Some(env),
    })
    .unwrap_or_else(|r| panic!("{r}"))
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with("", &[]).await
}

pub async fn spawn_app_with(toml: &str, extra_env: &[(&str, &str)]) -> TestApp {
    spawn_app_on(Dialect::Sqlite, toml, extra_env).await
}

/// A server on the given store engine (PostgreSQL: a fresh database per test).
pub async fn spawn_app_on(engine: Dialect, toml: &str, extra_env: &[(&str, &str)]) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::support::engines::fresh_url(engine, dir.path()).await;
    let mut app = spawn_app_in(dir.path(), &url, toml, extra_env).await;
    app._dir = Some(dir);
    app
}

/// A server whose worker the test steps on its own clock ([`TestApp::run_due`]), on SQLite;
/// the checks `serve` runs at start are done when it returns.
pub async fn spawn_stepped_app() -> TestApp {
    spawn_stepped_app_with("", &[]).await
}

/// [`spawn_stepped_app`] with `toml` as the admin's file.
pub async fn spawn_stepped_app_with(toml: &str, extra_env: &[(&str, &str)]) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::support::engines::fresh_url(Dialect::Sqlite, dir.path()).await;
    let mut app = spawn_stepped_app_in(dir.path(), &url, toml, extra_env).await;
    app._dir = Some(dir);
    app
}

/// A server whose configuration and store live in `dir` (the caller keeps it, e.g. to start
/// the service again on the same store).
pub async fn spawn_app_in(
    dir: &Path,
    url: &str,
    toml: &str,
    extra_env: &[(&str, &str)],
) -> TestApp {
    spawn(dir, url, toml, extra_env, false).await
}

/// [`spawn_app_in`] with a worker the test steps on its own clock ([`TestApp::run_due`]).
pub async fn spawn_stepped_app_in(
    dir: &Path,
    url: &str,
    toml: &str,
    extra_env: &[(&str, &str)],
) -> TestApp {
    spawn(dir, url, toml, extra_env, true).await
}

async fn spawn(
    dir: &Path,
    url: &str,
    toml: &str,
    extra_env: &[(&str, &str)],
    stepped: bool,
) -> TestApp {
    let mut env: Vec<(&str, &str)> = vec![("HANDOFF__STORE__URL", url)];
    env.extend_from_slice(extra_env);
    let config = load_config(dir, toml, &env);
    let db_url = config.settings.store.url.clone();
    let clock = stepped.then(|| Arc::new(ManualClock::new(jiff::Timestamp::now())));
    let drive = match &clock {
        Some(clock) => Drive {
            clock: clock.clone(),
            worker_loop: false,
        },
        None => Drive::default(),
    };
    let app = Application::build_with(config, drive).await.unwrap();
    let stepped = clock.map(|clock| (app.stepped(), clock));
    if let Some((worker, _)) = &stepped {
        worker.start().await;
    }
    let store = app.store().clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let admin = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let admin_addr = admin.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let token = shutdown.clone();
    let server =
        tokio::spawn(async move { app.serve(listener, Some(admin), token).await.unwrap() });
    TestApp {
        addr,
        admin_addr,
        client: reqwest::Client::new(),
        store,
        db_url,
        shutdown,
        server,
        stepped,
        _dir: None,
    }
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/hubspot/webhooks")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Headers HubSpot would send for `body`, signed v3 with `secret` at `timestamp_ms`.
pub fn v3_headers(secret: &str, body: &[u8], timestamp_ms: i64) -> Vec<(String, String)> {
    let ts = timestamp_ms.to_string();
    let sig = sign_v3(&SecretString::from(secret), "POST", PUBLIC_URL, body, &ts);
    vec![
        ("content-type".into(), "application/json".into()),
        ("x-hubspot-signature-v3".into(), sig),
        ("x-hubspot-request-timestamp".into(), ts),
    ]
}

pub fn v1_headers(secret: &str, body: &[u8]) -> Vec<(String, String)> {
    vec![
        ("content-type".into(), "application/json".into()),
        (
            "x-hubspot-signature".into(),
            sign_v1(&SecretString::from(secret), body),
        ),
        ("x-hubspot-signature-version".into(), "v1".into()),
    ]
}

pub fn v2_headers(secret: &str, body: &[u8]) -> Vec<(String, String)> {
    vec![
        ("content-type".into(), "application/json".into()),
        (
            "x-hubspot-signature".into(),
            sign_v2(&SecretString::from(secret), "POST", PUBLIC_URL, body),
        ),
        ("x-hubspot-signature-version".into(), "v2".into()),
    ]
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A URL on the admin listener.
    pub fn admin_url(&self, path: &str) -> String {
        format!("http://{}{}", self.admin_addr, path)
    }

    pub fn request(&self, body: &[u8], headers: &[(String, String)]) -> reqwest::RequestBuilder {
        let mut request = self
            .client
            .post(self.url("/webhooks/hubspot"))
            .body(body.to_vec());
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request
    }

    /// A request signed now, to send later (e.g. from a spawned task).
    pub fn signed_request(&self, body: &[u8]) -> reqwest::RequestBuilder {
        self.request(body, &v3_headers(SECRET, body, now_ms()))
    }

    pub async fn post_webhook(
        &self,
        body: &[u8],
        headers: &[(String, String)],
    ) -> reqwest::Response {
        self.request(body, headers).send().await.unwrap()
    }

    /// Posts `body` signed the way HubSpot signs it now.
    pub async fn post_signed_webhook(&self, body: &[u8]) -> reqwest::Response {
        self.post_webhook(body, &v3_headers(SECRET, body, now_ms()))
            .await
    }

    pub async fn post_signed_fixture(&self, name: &str) -> reqwest::Response {
        self.post_signed_webhook(&fixture(name)).await
    }

    pub async fn pool(&self) -> SqlitePool {
        SqlitePool::connect(&self.db_url).await.unwrap()
    }

    pub async fn inbox_rows(&self) -> i64 {
        self.store.inbox().count().await.unwrap()
    }

    /// Jobs not yet done, on any engine.
    pub async fn job_rows(&self) -> i64 {
        self.store
            .queue()
            .depth(now_ms())
            .await
            .unwrap()
            .iter()
            .map(|d| d.jobs)
            .sum()
    }

    /// `(job_key, payload)` of every job, oldest first.
    pub async fn jobs(&self) -> Vec<(String, serde_json::Value)> {
        let pool = self.pool().await;
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT job_key, payload FROM jobs ORDER BY id")
                .fetch_all(&pool)
                .await
                .unwrap();
        pool.close().await;
        rows.into_iter()
            .map(|(k, p)| (k, serde_json::from_str(&p).unwrap()))
            .collect()
    }

    /// One step of the worker: every job due now, on every lane, run to its end.
    pub async fn run_due(&self) -> Ran {
        let (worker, _) = self.stepped.as_ref().expect("a stepped app");
        worker.run_due().await
    }

    /// Moves the app's clock forward.
    pub fn advance(&self, by: std::time::Duration) {
        let (_, clock) = self.stepped.as_ref().expect("a stepped app");
        clock.advance(by);
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        self.server.await.unwrap();
    }
}
