//! The demo's configuration: the shipped playbook and roster with the clock sped up — an
//! always-open calendar and SLAs of seconds, so a missed SLA escalates and reassigns while you
//! watch — a portal pointing at the sandbox, and the embedded SQLite store.

use std::collections::HashMap;
use std::path::Path;

use secrecy::{ExposeSecret, SecretString};

use super::secrets::{DemoAuth, DemoSecrets};
use crate::config::{ConfigSources, DEFAULT_TOML, LoadedConfig, Report};

/// The demo portal (the sandbox's).
pub const PORTAL_ID: i64 = 62515;
/// The demo portal's time zone: its weeks start on Mondays 00:00 UTC.
pub const TIME_ZONE: &str = "UTC";

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
        let first_touch = format!("{}s", speed.first_touch_s);
        for tier in tables_in(sla.get_mut("tiers")) {
            tier.insert("calendar".into(), "always".into());
            tier.insert("first_touch".into(), first_touch.clone().into());
        }
    }
    let ladder: toml::Table = toml::from_str(&format!(
        r#"ladder = [
  {{ action = "remind", at = "50%", alert = "owner" }},
  {{ action = "escalate", at = "due", alert = "manager" }},
  {{ action = "reassign", at = "due+{r}s" }},
  {{ action = "fallback_queue", at = "due+{f}s", alert = "channel:{SLACK_TEAM_CHANNEL}" }},
]"#,
        r = speed.reassign_after_s,
        f = speed.reassign_after_s * 4,
    ))?;
    pb.extend(ladder);
    if let Some(toml::Value::Table(d)) = pb.get_mut("dispositions") {
        let after = format!("{}s", speed.close_loop_s);
        d.insert("close_loop_after".into(), after.into());
    }
    // Working hours would route every lead to the fallback outside office time.
    let routing = pb.get_mut("routing").and_then(toml::Value::as_table_mut);
    for pool in tables_in(routing.and_then(|r| r.get_mut("pools"))) {
        pool.insert("respect_working_hours".into(), false.into());
    }
    Ok(pb)
}

/// The tables inside an array of tables or a table of tables; none for anything else.
fn tables_in(value: Option<&mut toml::Value>) -> Vec<&mut toml::Table> {
    match value {
        Some(toml::Value::Array(items)) => items
            .iter_mut()
            .filter_map(toml::Value::as_table_mut)
            .collect(),
        Some(toml::Value::Table(items)) => items
            .iter_mut()
            .filter_map(|(_, v)| v.as_table_mut())
            .collect(),
        _ => Vec::new(),
    }
}

/// The team channel of the demo's Slack workspace (the stand-in's channel).
pub const SLACK_TEAM_CHANNEL: &str = "C0TEAM";

/// The `[alerts.slack]` layer of a world that plays Slack: the stand-in's Web API under the
/// sandbox, the secrets in files under `dir`, the stand-in's channel as the team's.
pub fn slack_layer(dir: &Path, slack_url: &str, secrets: &DemoSecrets) -> std::io::Result<String> {
    let token = secret_file(dir, "slack-bot-token", &secrets.slack_bot_token)?;
    let signing = secret_file(dir, "slack-signing-secret", &secrets.slack_signing_secret)?;
    Ok(format!(
        r#"
[alerts.slack]
enabled = true
bot_token_file = "{token}"
signing_secret_file = "{signing}"
default_channel = "{SLACK_TEAM_CHANNEL}"
base_url = "{slack_url}"
"#
    ))
}

/// Writes one secret to `dir/name` (owner-only where the OS has modes); returns the path.
fn secret_file(dir: &Path, name: &str, secret: &SecretString) -> std::io::Result<String> {
    let path = dir.join(name);
    std::fs::write(&path, secret.expose_secret())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(path.display().to_string())
}

/// The portal's `auth` and the `[hubspot]` key lines for `secrets`, their files written.
fn auth_settings(dir: &Path, auth: &DemoAuth) -> std::io::Result<(String, String)> {
    Ok(match auth {
        DemoAuth::PrivateApp { token } => {
            let token = secret_file(dir, "hubspot-token", token)?;
            (
                format!(
                    r#"{{ kind = "private_app", token_file = "{token}", tier = "professional" }}"#
                ),
                String::new(),
            )
        }
        DemoAuth::OAuth {
            client_secret,
            refresh_token,
            token_key,
        } => {
            let secret = secret_file(dir, "oauth-client-secret", client_secret)?;
            let refresh = secret_file(dir, "oauth-refresh-token", refresh_token)?;
            let key = secret_file(dir, "token-key", token_key)?;
            (
                format!(
                    r#"{{ kind = "oauth", client_id = "demo-client", client_secret_file = "{secret}", refresh_token_file = "{refresh}" }}"#
                ),
                format!(r#"token_key_file = "{key}""#),
            )
        }
    })
}

/// The whole demo configuration, loaded and checked like any other.
pub fn load(
    dir: &Path,
    sandbox_url: &str,
    public_url: &str,
    speed: Speed,
    log_format: &str,
    secrets: &DemoSecrets,
) -> Result<LoadedConfig, Report> {
    let sources = write(dir, sandbox_url, public_url, speed, log_format, "", secrets)?;
    crate::config::load(&sources)
}

/// Writes the demo configuration under `dir` (`conf/`, the secret files) and returns where it
/// is: the directory and the environment `serve` needs (the admin token, when one is set),
/// for this process or a child. `conf/` alone opens the demo's store (`--config DIR/conf`).
/// `extra` is TOML appended as the last layer (tests and benchmarks tune the queue or
/// pipeline).
pub fn write(
    dir: &Path,
    sandbox_url: &str,
    public_url: &str,
    speed: Speed,
    log_format: &str,
    extra: &str,
    secrets: &DemoSecrets,
) -> Result<ConfigSources, Report> {
    let urls = (sandbox_url, public_url);
    write_files(dir, urls, (speed, log_format, extra), secrets).map_err(|e| Report {
        problems: vec![crate::config::Problem::new(None, "demo", e.to_string())],
    })
}

fn write_files(
    dir: &Path,
    urls: (&str, &str),
    (speed, log_format, extra): (Speed, &str, &str),
    secrets: &DemoSecrets,
) -> Result<ConfigSources, Box<dyn std::error::Error>> {
    let mut top = toml::Table::new();
    top.insert(
        "playbook".into(),
        toml::Value::Table(accelerated_playbook(speed)?),
    );
    let playbook = toml::to_string(&top)?;
    let settings = settings(dir, urls, log_format, secrets)?;
    let conf = dir.join("conf");
    std::fs::create_dir_all(&conf)?;
    std::fs::write(conf.join("10-demo.toml"), settings)?;
    std::fs::write(conf.join("20-playbook.toml"), playbook)?;
    std::fs::write(conf.join("30-extra.toml"), extra)?;
    // Only `serve` needs the admin token: it stays out of the files a later `report` reads.
    let mut env: HashMap<String, String> = HashMap::new();
    if let Some(token) = &secrets.admin_token {
        env.insert(
            "HANDOFF__SERVER__ADMIN_TOKEN".into(),
            token.expose_secret().to_owned(),
        );
    }
    Ok(ConfigSources {
        dir: Some(conf),
        env: Some(env),
    })
}

/// The demo's settings layer; the secrets it names are written to files under `dir`.
fn settings(
    dir: &Path,
    (sandbox_url, public_url): (&str, &str),
    log_format: &str,
    secrets: &DemoSecrets,
) -> std::io::Result<String> {
    let db = dir.join("handoff-demo.db");
    // Files, not the environment: the demo never touches the process environment, and
    // `handoff --config DIR/conf explain|report` opens the kept store with nothing else.
    let (auth, key_line) = auth_settings(dir, &secrets.auth)?;
    let webhook_secret = secret_file(dir, "webhook-secret", &secrets.webhook_secret)?;
    Ok(format!(
        r#"
[store]
url = "sqlite://{db}"

[webhook]
public_url = "{public_url}"
client_secret_file = "{webhook_secret}"

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
{key_line}

[[hubspot.portals]]
id = {PORTAL_ID}
playbook = "example-b2b-saas"
time_zone = "{TIME_ZONE}"
auth = {auth}
quota = {{ requests = 110, interval_ms = 10000, safety_margin_pct = 10 }}
"#,
        db = db.display(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The demo configuration for a sandbox that is not running, loaded like any other.
    fn load_in(dir: &Path, secrets: &DemoSecrets) -> LoadedConfig {
        load(
            dir,
            "http://127.0.0.1:9",
            "http://127.0.0.1:8080/webhooks/hubspot",
            Speed::default(),
            "pretty",
            secrets,
        )
        .unwrap_or_else(|r| panic!("{r}"))
    }

    #[test]
    fn the_demo_configuration_passes_every_check() {
        let dir = tempfile::tempdir().unwrap();
        let loaded = load_in(dir.path(), &DemoSecrets::default());
        assert_eq!(loaded.settings.hubspot.portals.len(), 1);
        assert_eq!(loaded.playbook.name(), "example-b2b-saas");
    }

    #[test]
    fn the_configuration_directory_alone_opens_the_demo_store_afterwards() {
        // What the demo's closing `handoff --config DIR/conf explain|report` commands load:
        // no environment at all, yet the same store, and no secret in the files' text.
        let dir = tempfile::tempdir().unwrap();
        let secrets = DemoSecrets::from_lookup(|name| match name {
            "HANDOFF_DEMO_WEBHOOK_SECRET" => Some("whsec-kept-out-of-conf".into()),
            "HANDOFF_DEMO_ADMIN_TOKEN" => Some("demo-admin-token-0123".into()),
            _ => None,
        });
        let sources = write(
            dir.path(),
            "http://127.0.0.1:9",
            "http://127.0.0.1:8080/webhooks/hubspot",
            Speed::default(),
            "pretty",
            "",
            &secrets,
        )
        .unwrap_or_else(|r| panic!("{r}"));
        let conf = sources.dir.clone().unwrap();
        let alone = ConfigSources {
            dir: Some(conf.clone()),
            env: Some(HashMap::new()),
        };
        let loaded = crate::config::load(&alone).unwrap_or_else(|r| panic!("{r}"));
        let db = dir.path().join("handoff-demo.db").display().to_string();
        assert!(
            loaded.settings.store.url.contains(&db),
            "{}",
            loaded.settings.store.url
        );
        for file in std::fs::read_dir(&conf).unwrap() {
            let text = std::fs::read_to_string(file.unwrap().path()).unwrap();
            assert!(!text.contains("whsec-kept-out-of-conf"));
            assert!(!text.contains("demo-admin-token-0123"));
        }
    }

    #[test]
    fn the_oauth_variant_with_an_admin_token_passes_every_check() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = DemoSecrets::from_lookup(|name| match name {
            "HANDOFF_DEMO_OAUTH_CLIENT_SECRET" => Some("cs".into()),
            "HANDOFF_DEMO_OAUTH_REFRESH_TOKEN" => Some("rt".into()),
            "HANDOFF_DEMO_ADMIN_TOKEN" => Some("demo-admin-token-0123".into()),
            _ => None,
        });
        let loaded = load_in(dir.path(), &secrets);
        let portal = &loaded.settings.hubspot.portals[0];
        assert!(matches!(
            portal.auth,
            crate::hubspot::client::AuthConfig::Oauth { .. }
        ));
        assert!(loaded.settings.hubspot.token_key_file.is_some());
        assert!(loaded.settings.server.admin_token.is_some());
    }
}
