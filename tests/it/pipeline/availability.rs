//! Rep availability from HubSpot (issue #8, capability 1), end to end: the sandbox's CRM users,
//! `serve` with `availability = { from_hubspot = true }` on the demo portal, real webhooks.
//! The US pool is Marcus (301, weight 3) and Priya (302, weight 2); Priya's roster entry says
//! `hubspot_availability = false`, the config override.

use std::time::Duration;

use handoff::demo::EnvOptions;
use handoff::report::History;
use reqwest::Method;
use serde_json::json;

use crate::support::world::{calm, new_lead, settle, start_with};

/// How long the availability cache lives in these tests.
const REFRESH_MS: u64 = 1_000;

/// The shipped roster with Priya opted out of HubSpot availability, and the demo portal
/// reading availability from HubSpot every second.
fn settings(dir: &std::path::Path) -> String {
    let all: toml::Table = toml::from_str(handoff::config::DEFAULT_TOML).unwrap();
    let mut roster = all["roster"].clone();
    for owner in roster["owners"].as_array_mut().unwrap() {
        let owner = owner.as_table_mut().unwrap();
        if owner["id"].as_str() == Some("302") {
            owner.insert("hubspot_availability".into(), false.into());
        }
    }
    let mut top = toml::Table::new();
    top.insert("roster".into(), roster);
    format!(
        r#"{roster}
[[hubspot.portals]]
id = 62515
playbook = "example-b2b-saas"
time_zone = "UTC"
auth = {{ kind = "private_app", token_file = "{token}", tier = "professional" }}
quota = {{ requests = 110, interval_ms = 10000, safety_margin_pct = 10 }}
availability = {{ from_hubspot = true, refresh_ms = {REFRESH_MS} }}
"#,
        roster = toml::to_string(&top).unwrap(),
        token = dir.join("hubspot-token").display(),
    )
}

/// A new US lead through its webhook to a decision: its owner and `handoff explain` text.
async fn decide(env: &handoff::demo::DemoEnv, email: &str) -> (String, String) {
    let id = new_lead(env, email).await;
    env.deliver(&[env.event("contact.creation", id, json!({}))])
        .await
        .unwrap();
    settle(env).await;
    let history = History::load(
        &env.store,
        handoff_ids::PortalId::new(62515).unwrap(),
        handoff_ids::ContactId::try_from(id).unwrap(),
    )
    .await
    .unwrap();
    let owner = history.decisions[0]
        .owner_id
        .map(|o| o.to_string())
        .unwrap_or_default();
    (owner, history.to_text(env.now().as_millisecond()))
}

async fn set_user(env: &handoff::demo::DemoEnv, owner: &str, properties: serde_json::Value) {
    env.control(
        Method::PATCH,
        &format!("users/{owner}"),
        Some(&json!({ "properties": properties })),
    )
    .await
    .unwrap();
}

/// Longer than the cache lives, so the next decision reads HubSpot again.
fn let_the_cache_expire(env: &handoff::demo::DemoEnv) {
    env.advance(Duration::from_millis(REFRESH_MS + 500))
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reps_away_or_out_of_office_in_hubspot_get_no_new_leads_unless_config_says_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let env = start_with(
        dir.path(),
        EnvOptions {
            // No SLA step runs during the test: only first decisions are looked at.
            speed: calm(),
            extra_settings: settings(dir.path()),
            ..EnvOptions::default()
        },
    )
    .await;

    // Both US reps away in HubSpot: Marcus is skipped, Priya's roster entry ignores HubSpot.
    set_user(&env, "301", json!({"hs_availability_status": "away"})).await;
    set_user(&env, "302", json!({"hs_availability_status": "away"})).await;
    let_the_cache_expire(&env);
    let (owner, text) = decide(&env, "away-1@pinecrest-analytics.com").await;
    assert_eq!(owner, "302", "{text}");
    assert!(text.contains("301 excluded: away in HubSpot"), "{text}");
    assert!(
        !text.contains("302 excluded"),
        "the config override wins:\n{text}"
    );

    // Marcus is back: the refresh picks it up and he is in the rotation again (his weight
    // makes him next).
    set_user(&env, "301", json!({"hs_availability_status": "available"})).await;
    let_the_cache_expire(&env);
    let (owner, text) = decide(&env, "back-2@pinecrest-analytics.com").await;
    assert!(!text.contains("301 excluded"), "{text}");
    assert_eq!(owner, "301", "{text}");

    // Out of office in HubSpot (which also sets the status away): the explanation names the
    // last day, in Marcus's zone, and the source.
    let now = env.now();
    let end = now + jiff::SignedDuration::from_hours(72);
    let ooo = format!(
        r#"[{{"startTimestamp":{},"endTimestamp":{}}}]"#,
        now.as_millisecond() - 3_600_000,
        end.as_millisecond()
    );
    set_user(
        &env,
        "301",
        json!({"hs_availability_status": "away", "hs_out_of_office_hours": ooo}),
    )
    .await;
    let_the_cache_expire(&env);
    let (owner, text) = decide(&env, "ooo-3@pinecrest-analytics.com").await;
    let last_day = jiff::tz::TimeZone::get("America/New_York")
        .unwrap()
        .to_datetime(end - jiff::SignedDuration::from_millis(1))
        .date();
    assert_eq!(owner, "302", "{text}");
    assert!(
        text.contains(&format!(
            "301 excluded: out of office until {last_day} per HubSpot"
        )),
        "{text}"
    );

    // The app loses the users scope: HubSpot refuses (403), the cached availability is
    // dropped and routing goes by the roster as written, where Marcus is available.
    let refused = env
        .http
        .put(format!("{}/_sandbox/users/scope", env.sandbox.base_url))
        .json(&json!({"granted": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 204);
    let_the_cache_expire(&env);
    let (_, text) = decide(&env, "refused-4@pinecrest-analytics.com").await;
    assert!(!text.contains("301 excluded"), "{text}");
    env.stop().await;
}

#[test]
fn the_availability_switch_is_checked_with_its_key_path() {
    let dir = tempfile::tempdir().unwrap();
    let portal = |availability: &str| {
        format!(
            "[[hubspot.portals]]\nid = 62515\nplaybook = \"example-b2b-saas\"\ntime_zone = \"UTC\"\n\
             auth = {{ kind = \"private_app\", token_env = \"HUBSPOT_TOKEN_62515\" }}\n{availability}\n"
        )
    };
    let sources = handoff::config::ConfigSources {
        dir: Some(dir.path().to_owned()),
        env: Some(
            [
                ("HUBSPOT_TOKEN_62515", "pat-na1-test"),
                ("HANDOFF__WEBHOOK__CLIENT_SECRET", "test-secret"),
                (
                    "HANDOFF__WEBHOOK__PUBLIC_URL",
                    "https://handoff.example.com/webhooks/hubspot",
                ),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        ),
    };
    let write = |text: String| std::fs::write(dir.path().join("local.toml"), text).unwrap();
    write(portal(
        "availability = { from_hubspot = true, refresh_ms = 10, colour = 1 }",
    ));
    let text = handoff::config::load(&sources).unwrap_err().to_string();
    assert!(
        text.contains("hubspot.portals[0].availability.colour: unknown key"),
        "{text}"
    );
    write(portal(
        "availability = { from_hubspot = true, refresh_ms = 10 }",
    ));
    let text = handoff::config::load(&sources).unwrap_err().to_string();
    assert!(
        text.contains("hubspot.portals[0].availability.refresh_ms: must be at least 1000"),
        "{text}"
    );
    write(portal("availability = { from_hubspot = true }"));
    let loaded = handoff::config::load(&sources).unwrap_or_else(|r| panic!("{r}"));
    let a = &loaded.settings.hubspot.portals[0].availability;
    assert!(a.from_hubspot);
    assert_eq!(a.refresh_ms, 60_000);
}
