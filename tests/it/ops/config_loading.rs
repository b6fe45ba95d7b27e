//! The configuration an admin writes: layers, overrides, and a report of every problem.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use handoff::config::{ConfigSources, load};
use secrecy::ExposeSecret;

use crate::support::app::*;

fn sources(dir: &Path, env: &[(&str, &str)]) -> ConfigSources {
    let mut map: HashMap<String, String> = base_env(dir);
    for (k, v) in env {
        map.insert((*k).into(), (*v).into());
    }
    ConfigSources {
        dir: Some(dir.to_path_buf()),
        env: Some(map),
    }
}

#[test]
fn every_file_shipped_in_config_loads_cleanly() {
    let shipped = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config");
    let tmp = tempfile::tempdir().unwrap();
    let mut env = base_env(tmp.path());
    env.insert("HANDOFF__WEBHOOK__PUBLIC_URL".into(), PUBLIC_URL.into());
    let loaded = load(&ConfigSources {
        dir: Some(shipped),
        env: Some(env),
    })
    .unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(loaded.settings.server.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(loaded.settings.hubspot.base_url, "https://api.hubapi.com");
    // The checked-in defaults are the built-in layer: `--config config` does not read them a
    // second time as an admin layer (which would undo any file sorted before it).
    assert_eq!(
        loaded.layers,
        ["config/default.toml (built in)", "environment (HANDOFF__*)"]
    );
}

#[test]
fn files_load_in_lexical_order_and_the_environment_wins() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("20-site.toml"),
        "[server]\nlisten = \"0.0.0.0:9200\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("10-base.toml"),
        "[server]\nlisten = \"0.0.0.0:9100\"\nrequest_timeout_ms = 2000\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not config").unwrap();
    let loaded = load(&sources(dir.path(), &[])).unwrap();
    assert_eq!(loaded.settings.server.listen.to_string(), "0.0.0.0:9200");
    assert_eq!(loaded.settings.server.request_timeout_ms, 2000);
    let env = [
        ("HANDOFF__SERVER__LISTEN", "127.0.0.1:9300"),
        ("HANDOFF__HUBSPOT__BASE_URL", "http://127.0.0.1:4010"),
        ("HANDOFF__STORE__SQLITE_SYNCHRONOUS", "normal"),
    ];
    let loaded = load(&sources(dir.path(), &env)).unwrap();
    assert_eq!(loaded.settings.server.listen.to_string(), "127.0.0.1:9300");
    assert_eq!(loaded.settings.hubspot.base_url, "http://127.0.0.1:4010");
    assert_eq!(
        loaded.settings.store.sqlite_synchronous,
        handoff::store::SqliteSynchronous::Normal
    );
    assert_eq!(loaded.webhook_apps[0].secret.expose_secret(), SECRET);
}

#[test]
fn every_problem_is_reported_at_once_with_its_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("local.toml");
    std::fs::write(
        &local,
        "[server]\nlisten = \"127.0.0.1:8080\"\nlistn = \"oops\"\n\n[store]\nbusy_timeout_ms = \"soon\"\n\n\
         [hubspott]\nbase_url = \"x\"\n\n[log]\nformat = \"xml\"\n",
    )
    .unwrap();
    let env = [
        ("HANDOFF__WEBHOOK__PUBLIC_URL", "ftp://example.com/hook"),
        ("HANDOFF__SERVER__COLOUR", "red"),
    ];
    let report = load(&sources(dir.path(), &env)).unwrap_err();
    let text = report.to_string();
    let local = local.display().to_string();
    for expected in [
        format!("{local}:8:2: hubspott: unknown section"),
        format!("{local}:3:1: server.listn: unknown key"),
        "environment variable HANDOFF__SERVER__COLOUR: server.colour: unknown key".to_string(),
        format!("{local}:6:1: store.busy_timeout_ms: invalid type"),
        "log.format".to_string(),
    ] {
        assert!(text.contains(&expected), "missing {expected:?} in:\n{text}");
    }
    assert!(report.problems.len() >= 5, "{text}");
}

#[test]
fn the_hubspot_api_version_defaults_to_2026_09_and_an_unknown_one_is_named_with_its_file() {
    use handoff::hubspot::client::ApiVersion;
    let dir = tempfile::tempdir().unwrap();
    let loaded = load(&sources(dir.path(), &[])).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(
        loaded.settings.hubspot.api_version,
        ApiVersion::Dated2026_09
    );
    let env = [("HANDOFF__HUBSPOT__API_VERSION", "v3")];
    let loaded = load(&sources(dir.path(), &env)).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(loaded.settings.hubspot.api_version, ApiVersion::V3);

    let local = dir.path().join("local.toml");
    std::fs::write(&local, "[hubspot]\napi_version = \"2026-03\"\n").unwrap();
    let report = load(&sources(dir.path(), &[])).unwrap_err();
    let text = report.to_string();
    let expected = format!(
        "{}:2:1: hubspot.api_version: unknown HubSpot API version `2026-03`",
        local.display()
    );
    assert!(text.contains(&expected), "missing {expected:?} in:\n{text}");
    assert!(
        text.contains("\"2026-09\"") && text.contains("\"v3\""),
        "{text}"
    );
}

#[test]
fn semantic_problems_are_all_reported_once_types_are_right() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("local.toml"),
        "[webhook]\npath = \"hooks\"\ntimestamp_tolerance_ms = 0\n\n[store]\nurl = \"mysql://db/handoff\"\n",
    )
    .unwrap();
    let env = [
        ("HANDOFF__WEBHOOK__PUBLIC_URL", ""),
        ("HANDOFF__WEBHOOK__CLIENT_SECRET", ""),
    ];
    let mut sources = sources(dir.path(), &env);
    sources
        .env
        .as_mut()
        .unwrap()
        .remove("HANDOFF__WEBHOOK__CLIENT_SECRET");
    sources.env.as_mut().unwrap().remove("HANDOFF__STORE__URL");
    let report = load(&sources).unwrap_err();
    let keys: Vec<&str> = report.problems.iter().map(|p| p.key.as_str()).collect();
    for key in [
        "webhook.path",
        "webhook.public_url",
        "webhook.timestamp_tolerance_ms",
        "store.url",
        "webhook.client_secret",
    ] {
        assert!(keys.contains(&key), "{key} not in {keys:?}");
    }
}

#[test]
fn the_worker_sections_report_each_problem_under_its_full_key_and_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("local.toml"),
        "[worker]\nlanes = [\"events\", \"mail\"]\nconcurrency = 0\n\n[queue]\ndedup_window_ms = 1000\n\n[pipeline]\nbatch_max_contacts = 500\n",
    )
    .unwrap();
    let report = load(&sources(dir.path(), &[])).unwrap_err();
    let text = report.to_string();
    let local = dir.path().join("local.toml").display().to_string();
    for line in [
        format!(
            "{local}:2:20: worker.lanes[1]: unknown lane \"mail\"; this build runs: events, sla, probe"
        ),
        format!("{local}:3:1: worker.concurrency: must be between 1 and 256"),
        format!("{local}:6:1: queue.dedup_window_ms: must be at least 86400000"),
        format!("{local}:9:1: pipeline.batch_max_contacts: must be between 1 and 100"),
    ] {
        assert!(text.contains(&line), "{line:?} not in:\n{text}");
    }
    assert_eq!(report.problems.len(), 4, "{text}");
}

#[test]
fn secrets_come_from_files_and_never_show_in_debug_or_reports() {
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, "file-secret-value\n").unwrap();
    std::fs::write(
        dir.path().join("local.toml"),
        format!(
            "[webhook]\nclient_secret_file = {:?}\n",
            secret_file.display().to_string()
        ),
    )
    .unwrap();
    let mut sources = sources(dir.path(), &[]);
    sources
        .env
        .as_mut()
        .unwrap()
        .remove("HANDOFF__WEBHOOK__CLIENT_SECRET");
    let loaded = load(&sources).unwrap();
    assert_eq!(
        loaded.webhook_apps[0].secret.expose_secret(),
        "file-secret-value"
    );
    let debug = format!("{loaded:?}");
    assert!(!debug.contains("file-secret-value"));

    // Both a secret and a secret file: refused, and the report does not print the secret.
    sources
        .env
        .as_mut()
        .unwrap()
        .insert("HANDOFF__WEBHOOK__CLIENT_SECRET".into(), SECRET.into());
    let report = load(&sources).unwrap_err();
    assert!(report.to_string().contains("webhook.client_secret_file"));
    assert!(!report.to_string().contains(SECRET));
    assert!(!format!("{report:?}").contains(SECRET));
    let with_env = load(&self::sources(dir.path(), &[])).unwrap_err();
    assert!(!format!("{with_env:?}").contains("file-secret-value"));
}

#[test]
fn portals_are_configured_under_hubspot_and_checked_against_the_playbook() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("local.toml"),
        "[[hubspot.portals]]\nid = 62515\nplaybook = \"example-b2b-saas\"\ntime_zone = \"Europe/Berlin\"\n\
         auth = { kind = \"private_app\", token_env = \"HUBSPOT_TOKEN_62515\", tier = \"professional\" }\n\n\
         [[hubspot.portals]]\nid = 62515\nplaybook = \"other\"\ntime_zone = \"Mars/Base\"\n\
         auth = { kind = \"private_app\", token_env = \"T\" }\nquota = { requests = 0, colour = 1 }\n",
    )
    .unwrap();
    let report = load(&sources(dir.path(), &[])).unwrap_err();
    let text = report.to_string();
    for expected in [
        ":5:32: hubspot.portals[0].auth.token_env: environment variable HUBSPOT_TOKEN_62515 is not set",
        ":12:25: hubspot.portals[1].quota.colour: unknown key",
        ":8:1: hubspot.portals[1].id",
        ":10:1: hubspot.portals[1].time_zone",
        ":9:1: hubspot.portals[1].playbook: names playbook \"other\"",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    // The first portal alone is fine.
    std::fs::write(
        dir.path().join("local.toml"),
        "[[hubspot.portals]]\nid = 62515\nplaybook = \"example-b2b-saas\"\ntime_zone = \"Europe/Berlin\"\n\
         auth = { kind = \"private_app\", token_env = \"HUBSPOT_TOKEN_62515\", tier = \"professional\" }\n",
    )
    .unwrap();
    let with_token = [("HUBSPOT_TOKEN_62515", "pat-na1-test")];
    let loaded = load(&sources(dir.path(), &with_token)).unwrap_or_else(|r| panic!("{r}"));
    assert!(!format!("{loaded:?}").contains("pat-na1-test"));
    assert_eq!(
        loaded.settings.hubspot.portals[0].id,
        handoff::hubspot::client::PortalId::new(62515).unwrap()
    );
    assert_eq!(loaded.playbook.name(), "example-b2b-saas");
}
