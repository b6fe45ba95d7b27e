//! What on-call sees of HubSpot on `/metrics`: `serve` with a portal pointed at the sandbox,
//! whose faults and OAuth refusals stand in for HubSpot's (the roster check at start reads the
//! owners: the first call, done when the app is up), and the client's own counters for
//! requests and retries.

use handoff::hubspot::client::ContactId;
use handoff::hubspot::client::metrics::{HubspotReasonLabel, RequestLabel};
use handoff::sandbox::{FaultConfig, RunningSandbox, SandboxConfig};

use crate::support::app::{TestApp, spawn_stepped_app_with};
use crate::support::hubspot::{KEY_HEX, PORTAL};
use crate::support::sandbox::{client_for, seeded, start};
use crate::support::scrape::scrape;

fn file(dir: &std::path::Path, name: &str, content: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path.display().to_string()
}

/// `serve` with one portal on the sandbox; `auth` is the portal's auth table.
async fn serve_against(sb: &RunningSandbox, top: &str, auth: &str) -> TestApp {
    let toml = format!(
        "[hubspot]\nbase_url = {:?}\n{top}\n\n[[hubspot.portals]]\nid = {}\n\
         playbook = \"example-b2b-saas\"\nquota = {{ requests = {}, interval_ms = {} }}\n{auth}\n",
        sb.base_url,
        PORTAL.as_u64(),
        sb.sandbox.rate_limit().requests,
        sb.sandbox.rate_limit().interval_ms,
    );
    spawn_stepped_app_with(&toml, &[]).await
}

#[tokio::test]
async fn a_429_storm_shows_as_rate_limits_and_a_portal_cooling_down() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = seeded();
    // A long window: the cooldown after the 429 lasts it, long past the scrape.
    config.rate_limit.interval_ms = 600_000;
    config.faults = "storm_ms=600000".parse::<FaultConfig>().unwrap();
    let sb = start(config).await;
    let token = file(dir.path(), "token", "pat-sandbox");
    let auth = format!("auth = {{ kind = \"private_app\", token_file = {token:?} }}");
    let app = serve_against(&sb, "", &auth).await;

    let m = scrape(&app.url("")).await;
    assert!(
        m.get("handoff_hubspot_rate_limited_total{policy=\"ten_secondly\"}") >= Some(1.0),
        "the first 429:\n{}",
        m.text
    );
    assert_eq!(
        m.value("handoff_hubspot_cooldowns_total{reason=\"rate_limited\"}"),
        1.0
    );
    assert_eq!(
        m.value("handoff_hubspot_portals_blocked{state=\"cooling_down\"}"),
        1.0
    );
    assert_eq!(
        m.value("handoff_hubspot_portals_blocked{state=\"parked\"}"),
        0.0
    );
    assert_eq!(
        m.value("handoff_hubspot_rate_limited_total{policy=\"daily\"}"),
        0.0
    );
    assert!(
        m.value(
            "handoff_hubspot_requests_total{method=\"GET\",endpoint=\"/crm/owners/2026-09\",status=\"4xx\"}"
        ) >= 1.0
    );
    assert_eq!(m.value("handoff_hubspot_portals_paused"), 0.0);
    app.stop().await;
}

#[tokio::test]
async fn a_refused_token_refresh_shows_as_a_failed_refresh_and_a_paused_portal() {
    let dir = tempfile::tempdir().unwrap();
    let sb = start(SandboxConfig {
        refresh_tokens: vec!["the-only-refresh-token-the-sandbox-knows".into()],
        ..seeded()
    })
    .await;
    let key = file(dir.path(), "key", KEY_HEX);
    let secret = file(dir.path(), "client-secret", "client-secret-value");
    let refresh = file(dir.path(), "refresh", "a-revoked-refresh-token");
    let auth = format!(
        "[hubspot.portals.auth]\nkind = \"oauth\"\nclient_id = \"client-id-1\"\n\
         client_secret_file = {secret:?}\nrefresh_token_file = {refresh:?}"
    );
    let app = serve_against(&sb, &format!("token_key_file = {key:?}"), &auth).await;

    let m = scrape(&app.url("")).await;
    assert!(
        m.get("handoff_hubspot_token_refreshes_total{result=\"failed\"}") >= Some(1.0),
        "the refused refresh:\n{}",
        m.text
    );
    assert_eq!(
        m.value("handoff_hubspot_token_refreshes_total{result=\"ok\"}"),
        0.0
    );
    assert_eq!(m.value("handoff_hubspot_portals_paused"), 1.0);
    assert_eq!(
        m.value("handoff_hubspot_auth_pauses_total{reason=\"refresh_rejected\"}"),
        1.0
    );
    app.stop().await;
}

#[tokio::test]
async fn requests_are_counted_by_endpoint_and_status_class_and_5xx_retries_by_reason() {
    let sb = start(seeded()).await;
    sb.sandbox
        .set_faults("fail_next=2,status=500".parse().unwrap())
        .unwrap();
    let c = client_for(&sb);
    c.get_contact(PORTAL, ContactId::new(51001).unwrap(), &[])
        .await
        .unwrap();
    let m = c.metrics();
    let requests = |status| {
        m.requests
            .get_or_create(&RequestLabel {
                method: "GET",
                endpoint: "/crm/objects/2026-09/contacts/{id}".into(),
                status,
            })
            .get()
    };
    assert_eq!((requests("5xx"), requests("2xx")), (2, 1));
    let retries = m
        .retries
        .get_or_create(&HubspotReasonLabel { reason: "server" })
        .get();
    assert_eq!(retries, 2);
}
