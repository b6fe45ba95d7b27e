//! The demo's configuration: the shipped playbook and roster with the clock sped up — an
//! always-open calendar and SLAs of seconds, so a missed SLA escalates and reassigns while you
//! watch — a portal pointing at the sandbox, and the embedded SQLite store.

use std::collections::HashMap;
use std::path::Path;

use crate::config::{ConfigSources, DEFAULT_TOML, LoadedConfig, Report};

/// The demo portal and its credentials (local only).
pub const PORTAL_ID: i64 = 62515;
pub const WEBHOOK_SECRET: &str = "demo-webhook-secret";
pub const TOKEN: &str = "demo-private-app-token";

/// SLA timings of the accelerated playbook, seconds.
#[derive(Debug, Clone, Copy)]
pub struct Speed {
    /// First touch due after this, for every tier.
    pub first_touch_s: u64,
    /// Ladder: remind at 50 %, escalate at due, reassign `due + reassign_after_s`.
    pub reassign_after_s: u64,
    /// Close the loop: a disposition is expected this long after handoff.
    pub close_loop_s: u64,
}

impl Default for Speed {
    fn default() -> Self {
        Self {
            first_touch_s: 20,
            reassign_after_s: 10,
            close_loop_s: 90,
        }
    }
}

/// The default playbook with its calendars always open and its SLAs in seconds.
pub fn accelerated_playbook(speed: Speed) -> Result<toml::Table, toml::de::Error> {
    let all: toml::Table = toml::from_str(DEFAULT_TOML)?;
    let mut pb = match all.get("playbook") {
        Some(toml::Value::Table(t)) => t.clone(),
        _ => toml::Table::new(),
    };
    let always: toml::Table = toml::from_str(
        r#"time_zone = "UTC"
business_day = "8h"
hours = { mon = ["00:00-24:00"], tue = ["00:00-24:00"], wed = ["00:00-24:00"], thu = ["00:00-24:00"], fri = ["00:00-24:00"], sat = ["00:00-24:00"], sun = ["00:00-24:00"] }"#,
    )?;
    if let Some(toml::Value::Table(cals)) = pb.get_mut("calendars") {
        cals.insert("always".into(), toml::Value::Table(always));
    }
    if let Some(toml::Value::Table(sla)) = pb.get_mut("sla") {
        sla.insert("default_calendar".into(), "always".into());
        if let Some(toml::Value::Array(tiers)) = sla.get_mut("tiers") {
            for tier in tiers.iter_mut().filter_map(toml::Value::as_table_mut) {
                tier.insert("calendar".into(), "always".into());
                tier.insert(
                    "first_touch".into(),
                    format!("{}s", speed.first_touch_s).into(),
                );
            }
        }
    }
    let ladder: toml::Table = toml::from_str(&format!(
        r#"ladder = [
  {{ action = "remind", at = "50%" }},
  {{ action = "escalate", at = "due" }},
  {{ action = "reassign", at = "due+{r}s" }},
  {{ action = "fallback_queue", at = "due+{f}s" }},
]"#,
        r = speed.reassign_after_s,
        f = speed.reassign_after_s * 4,
    ))?;
    pb.extend(ladder);
    if let Some(toml::Value::Table(d)) = pb.get_mut("dispositions") {
        d.insert(
            "close_loop_after".into(),
            format!("{}s", speed.close_loop_s).into(),
        );
    }
    // Working hours would route every lead to the fallback outside office time.
    if let Some(toml::Value::Table(pools)) = pb
        .get_mut("routing")
        .and_then(toml::Value::as_table_mut)
        .and_then(|r| r.get_mut("pools"))
    {
        for (_, pool) in pools.iter_mut() {
            if let Some(pool) = pool.as_table_mut() {
                pool.insert("respect_working_hours".into(), false.into());
            }
        }
    }
    Ok(pb)
}

/// The whole demo configuration, loaded and checked like any other.
pub fn load(
    dir: &Path,
    sandbox_url: &str,
    public_url: &str,
    speed: Speed,
    log_format: &str,
) -> Result<LoadedConfig, Report> {
    let sources = write(dir, sandbox_url, public_url, speed, log_format, "")?;
    crate::config::load(&sources)
}

/// Writes the demo configuration under `dir` (`conf/`, the token file) and returns where it
/// is: the directory and the environment `serve` needs, for this process or a child. `extra`
/// is TOML appended as the last layer (tests and benchmarks tune the queue or pipeline).
pub fn write(
    dir: &Path,
    sandbox_url: &str,
    public_url: &str,
    speed: Speed,
    log_format: &str,
    extra: &str,
) -> Result<ConfigSources, Report> {
    let problem = |m: String| Report {
        problems: vec![crate::config::Problem::new(None, "demo", m)],
    };
    let pb = accelerated_playbook(speed).map_err(|e| problem(e.to_string()))?;
    let mut top = toml::Table::new();
    top.insert("playbook".into(), toml::Value::Table(pb));
    let playbook = toml::to_string(&top).map_err(|e| problem(e.to_string()))?;
    let db = dir.join("handoff-demo.db");
    // A file, not the environment: the demo never touches the process environment.
    let token_file = dir.join("hubspot-token");
    std::fs::write(&token_file, TOKEN).map_err(|e| problem(e.to_string()))?;
    let settings = format!(
        r#"
[store]
url = "sqlite://{db}"

[log]
format = "{log_format}"
filter = "info,sqlx=warn,tower_http=warn,handoff::sandbox=warn"

[worker]
poll_interval_ms = 200

[pipeline]
batch_window_ms = 100
task_lookup_delay_ms = 2000

[engine]
examples_dir = ""

[hubspot]
base_url = "{sandbox_url}"
owners_refresh_ms = 60000

[[hubspot.portals]]
id = {PORTAL_ID}
playbook = "example-b2b-saas"
time_zone = "UTC"
auth = {{ kind = "private_app", token_file = "{token}", tier = "professional" }}
quota = {{ requests = 110, interval_ms = 10000, safety_margin_pct = 10 }}
"#,
        db = db.display(),
        token = token_file.display(),
    );
    let conf = dir.join("conf");
    std::fs::create_dir_all(&conf).map_err(|e| problem(e.to_string()))?;
    std::fs::write(conf.join("10-demo.toml"), settings).map_err(|e| problem(e.to_string()))?;
    std::fs::write(conf.join("20-playbook.toml"), playbook).map_err(|e| problem(e.to_string()))?;
    std::fs::write(conf.join("30-extra.toml"), extra).map_err(|e| problem(e.to_string()))?;
    let env: HashMap<String, String> = [
        ("HANDOFF__WEBHOOK__CLIENT_SECRET", WEBHOOK_SECRET),
        ("HANDOFF__WEBHOOK__PUBLIC_URL", public_url),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    Ok(ConfigSources {
        dir: Some(conf),
        env: Some(env),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_configuration_passes_every_check() {
        let dir = tempfile::tempdir().unwrap();
        let loaded = load(
            dir.path(),
            "http://127.0.0.1:9",
            "http://127.0.0.1:8080/webhooks/hubspot",
            Speed::default(),
            "pretty",
        )
        .unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(loaded.settings.hubspot.portals.len(), 1);
        assert_eq!(loaded.playbook.name(), "example-b2b-saas");
    }
}
