//! `handoff doctor` where the configuration turns more on: lead stages and sequences (checked
//! only where turned on), an OAuth portal (its token introspected), and a token that belongs
//! to another account.

use handoff::admin::doctor::{Section, Status};
use handoff::config::DEFAULT_TOML;
use handoff::sandbox::SandboxConfig;

use crate::support::portal::{Live, check, failing, healthy};

/// The default playbook with Leads on (the accepted stage misnamed), a second sequence rule
/// naming a sequence the portal lacks, and the portal enrolling leads in sequences.
fn leads_and_sequences() -> String {
    let all: toml::Table = toml::from_str(DEFAULT_TOML).unwrap();
    let mut pb = all["playbook"].as_table().unwrap().clone();
    let leads = pb["leads"].as_table_mut().unwrap();
    leads.insert("enabled".into(), true.into());
    let stages = leads["stages"].as_table_mut().unwrap();
    stages.insert("accepted".into(), toml::Value::Array(vec!["Won".into()]));
    let extra: toml::Table = toml::from_str(r#"sequence_id = "4999""#).unwrap();
    pb["sequences"]
        .as_array_mut()
        .unwrap()
        .push(toml::Value::Table(extra));
    let mut top = toml::Table::new();
    top.insert("playbook".into(), toml::Value::Table(pb));
    let pipeline: toml::Table = toml::from_str("sequence_portals = [62515]").unwrap();
    top.insert("pipeline".into(), toml::Value::Table(pipeline));
    toml::to_string(&top).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lead_stages_and_sequences_are_checked_only_where_turned_on() {
    let live = healthy().await;
    let report = live.doctor().await;
    assert!(
        !report
            .checks()
            .any(|c| c.section == Section::LeadsAndSequences),
        "off by default: {report:#?}"
    );
    live.configure(
        "https://handoff.example.com/webhooks/hubspot",
        &leads_and_sequences(),
    );
    let report = live.doctor().await;
    assert_eq!(
        failing(&report),
        ["lead_stages:accepted", "sequence:4999"],
        "{report:#?}"
    );
    let fix = check(&report, "lead_stages:accepted").fix.clone().unwrap();
    assert!(fix.contains("Qualified (qualified-stage-id)"), "{fix}");
    assert_eq!(check(&report, "sequence:4001").status, Status::Pass);
    // Turning them on asks for their scopes too; the sandbox grants them.
    let scopes = &check(&report, "scopes").reason;
    assert!(scopes.contains("crm.objects.leads.write"), "{scopes}");
    assert!(
        scopes.contains("automation.sequences.enrollments.write"),
        "{scopes}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oauth_portals_token_is_introspected_and_its_scopes_checked() {
    let live = healthy().await;
    let d = live.dir.path();
    for (name, text) in [
        ("secret", "doctor-client-secret"),
        ("refresh", "doctor-refresh-token"),
        (
            "key",
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        ),
    ] {
        std::fs::write(d.join(name), text).unwrap();
    }
    let oauth = format!(
        r#"
[hubspot]
token_key_file = "{key}"
[[hubspot.portals]]
id = 62515
playbook = "example-b2b-saas"
auth = {{ kind = "oauth", client_id = "doctor-client", client_secret_file = "{secret}", refresh_token_file = "{refresh}" }}
quota = {{ requests = 110, interval_ms = 10000 }}
"#,
        key = d.join("key").display(),
        secret = d.join("secret").display(),
        refresh = d.join("refresh").display(),
    );
    live.configure("https://handoff.example.com/webhooks/hubspot", &oauth);
    let report = live.doctor().await;
    assert!(failing(&report).is_empty(), "{report:#?}");
    assert!(check(&report, "token").reason.contains("introspection"));
    let routes = live.sb.sandbox.stats().by_route;
    assert_eq!(
        routes.get("POST /oauth/2026-09/token/introspect"),
        Some(&1),
        "{routes:?}"
    );
    let mut access = live.sb.sandbox.access();
    access.scopes.remove("crm.objects.companies.read");
    live.sb.sandbox.set_access(access);
    let report = live.doctor().await;
    assert_eq!(failing(&report), ["scope:crm.objects.companies.read"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_of_another_account_fails_the_token_check() {
    let live = Live::start_with(SandboxConfig {
        portal_id: 777,
        ..SandboxConfig::default()
    })
    .await;
    live.setup().await;
    let report = live.doctor().await;
    assert_eq!(failing(&report), ["token"]);
    assert!(check(&report, "token").reason.contains("account 777"));
}
