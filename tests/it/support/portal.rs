//! A live portal for going-live tests: a seeded sandbox and a configuration directory whose
//! portal points at it, with `handoff portal setup` and `handoff doctor` run against it.

use std::process::Output;

use handoff::admin::doctor::{DoctorReport, Ledger, Status, doctor};
use handoff::admin::{portal_client, setup_portal};
use handoff::config::{ConfigSources, LoadedConfig};
use handoff::sandbox::{RunningSandbox, SandboxConfig};
use handoff::store::Store;

const TOKEN: &str = "pat-na1-doctor-test";
pub const PORTAL: i64 = 62515;

/// A seeded sandbox and a configuration directory whose portal points at it.
pub struct Live {
    pub sb: RunningSandbox,
    pub dir: tempfile::TempDir,
}

impl Live {
    pub async fn start() -> Self {
        Self::start_with(SandboxConfig::default()).await
    }

    /// A sandbox from `config` (its seed and accepted token are the harness's).
    pub async fn start_with(config: SandboxConfig) -> Self {
        let sb = handoff::sandbox::spawn(SandboxConfig {
            seed_dir: Some(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/sandbox").into()),
            tokens: vec![TOKEN.into()],
            ..config
        })
        .await
        .unwrap();
        let live = Self {
            sb,
            dir: tempfile::tempdir().unwrap(),
        };
        live.configure("https://handoff.example.com/webhooks/hubspot", "");
        live
    }

    fn conf(&self) -> std::path::PathBuf {
        self.dir.path().join("conf")
    }

    /// Writes the portal layer with `public_url`, and `extra` as the last layer.
    pub fn configure(&self, public_url: &str, extra: &str) {
        let d = self.dir.path();
        std::fs::create_dir_all(self.conf()).unwrap();
        std::fs::write(d.join("token"), TOKEN).unwrap();
        let layer = format!(
            r#"
[store]
url = "sqlite://{db}"
[engine]
examples_dir = ""
[webhook]
public_url = "{public_url}"
[hubspot]
base_url = "{base}"
[[hubspot.portals]]
id = {PORTAL}
playbook = "example-b2b-saas"
time_zone = "Europe/Berlin"
auth = {{ kind = "private_app", token_file = "{token}" }}
# The sandbox's limit: a budget that matches its headers never pauses to re-pace.
quota = {{ requests = 110, interval_ms = 10000 }}
"#,
            db = d.join("handoff.db").display(),
            base = self.sb.base_url,
            token = d.join("token").display(),
        );
        std::fs::write(self.conf().join("10-portal.toml"), layer).unwrap();
        std::fs::write(self.conf().join("20-extra.toml"), extra).unwrap();
    }

    pub fn loaded(&self) -> LoadedConfig {
        let env = [("HANDOFF__WEBHOOK__CLIENT_SECRET".to_owned(), "s".to_owned())];
        handoff::config::load(&ConfigSources {
            dir: Some(self.conf()),
            env: Some(env.into_iter().collect()),
        })
        .unwrap_or_else(|r| panic!("{r}"))
    }

    pub async fn store(&self, loaded: &LoadedConfig) -> Store {
        let store = Store::connect(&loaded.settings.store).await.unwrap();
        store.migrate().await.unwrap();
        store
    }

    pub async fn doctor(&self) -> DoctorReport {
        let loaded = self.loaded();
        let store = self.store(&loaded).await;
        let client = portal_client(&loaded, Some(&store)).unwrap();
        let now = jiff::Timestamp::now().as_millisecond();
        let report = doctor(&loaded, &client, Ledger::Open(&store), None, now)
            .await
            .unwrap();
        store.close().await;
        report
    }

    pub async fn setup(&self) {
        let loaded = self.loaded();
        let store = self.store(&loaded).await;
        let client = portal_client(&loaded, Some(&store)).unwrap();
        let report = setup_portal(&loaded, &client, PORTAL, false).await.unwrap();
        assert!(!report.has_problems(), "{report:?}");
        store.close().await;
    }

    /// `handoff ARGS` (the real binary) on this configuration.
    pub async fn run(&self, args: &[&str]) -> Output {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_handoff"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HANDOFF__WEBHOOK__CLIENT_SECRET", "s")
            .arg("--config")
            .arg(self.conf())
            .args(args)
            .output()
            .await
            .unwrap()
    }

    /// Requests that would change HubSpot: every POST, PUT, PATCH or DELETE except the token
    /// lookups.
    pub fn writes(&self) -> Vec<String> {
        self.sb
            .sandbox
            .stats()
            .by_route
            .into_keys()
            .filter(|r| !r.starts_with("GET "))
            .filter(|r| !r.contains("access-token-info") && !r.contains("/token/introspect"))
            .collect()
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Every failed check's id.
pub fn failing(report: &DoctorReport) -> Vec<String> {
    report
        .checks()
        .filter(|c| c.status == Status::Fail)
        .map(|c| c.id.clone())
        .collect()
}

pub fn check<'a>(report: &'a DoctorReport, id: &str) -> &'a handoff::admin::doctor::Check {
    report
        .checks()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no check {id}: {report:#?}"))
}

/// A live portal set up, with nothing broken yet.
pub async fn healthy() -> Live {
    let live = Live::start().await;
    live.setup().await;
    live.sb.sandbox.reset_stats();
    live
}

/// Breaks the healthy portal with `breaks`, and expects exactly `id` to fail, with `says` in
/// its reason; the binary exits 1.
pub async fn fails_on(live: &Live, id: &str, says: &str) {
    let report = live.doctor().await;
    assert_eq!(failing(&report), [id], "{report:#?}");
    let c = check(&report, id);
    assert!(c.reason.contains(says), "{}: {}", c.reason, says);
    assert!(c.fix.as_deref().is_some_and(|f| !f.is_empty()));
    let out = live.run(&["doctor"]).await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(stdout(&out).contains("[FAIL]"));
    assert!(
        live.writes().is_empty(),
        "doctor wrote: {:?}",
        live.writes()
    );
}
