//! Monitoring: the Prometheus alert rules and the Grafana dashboard. Every PromQL expression is
//! parsed, and every metric and label it reads is checked against what a running handoff shows
//! on `/metrics`.

use std::collections::BTreeMap;

use handoff::jobs::{KIND_PROBE, LANE_PROBE, Probe};
use handoff::store::NewJob;
use handoff::store::queue::{OnExisting, Scheduled};
use promql_parser::label::MatchOp;

use super::promql::*;
use super::*;
use crate::support::scrape::{Scrape, scrape};

// =============================================================================================
// Alert rules.

#[test]
fn the_anchor_of_a_heading_is_the_one_github_renders() {
    assert_eq!(anchor(" Dashboards and alerts"), "dashboards-and-alerts");
    assert_eq!(anchor("HandoffTargetDown"), "handofftargetdown");
    assert_eq!(
        anchor("HubSpot API errors (`error.code` in worker logs)"),
        "hubspot-api-errors-errorcode-in-worker-logs"
    );
}

#[test]
fn every_alert_rule_parses_with_a_severity_summary_description_and_runbook() {
    let mut names = BTreeSet::new();
    for (group, rule) in alert_rules() {
        let name = str_of(&rule["alert"], "alert");
        assert!(
            name.starts_with("Handoff") && name.chars().all(|c| c.is_ascii_alphanumeric()),
            "{group}: alert names are HandoffCamelCase: {name}"
        );
        assert!(names.insert(name.to_owned()), "{name} twice");
        parse_promql(name, str_of(&rule["expr"], "expr"));
        if let Some(hold) = rule.get("for") {
            promql_parser::util::parse_duration(str_of(hold, "for"))
                .unwrap_or_else(|e| panic!("{name}: for: {e}"));
        }
        let severity = str_of(&rule["labels"]["severity"], "severity");
        assert!(
            ["warning", "critical"].contains(&severity),
            "{name}: severity {severity}"
        );
        let annotations = string_map(&rule["annotations"]);
        for key in ["summary", "description", "runbook_url"] {
            assert!(
                annotations.get(key).is_some_and(|v| !v.trim().is_empty()),
                "{name}: no {key} annotation"
            );
        }
        let unknown: Vec<&String> = annotations
            .keys()
            .filter(|k| !["summary", "description", "runbook_url"].contains(&k.as_str()))
            .collect();
        assert!(
            unknown.is_empty(),
            "{name}: unexpected annotations {unknown:?}"
        );
    }
    assert!(names.len() >= 10, "only {names:?}");
}

#[test]
fn every_runbook_link_points_at_the_alerts_own_section_of_the_operations_doc() {
    let anchors = doc_anchors();
    assert!(anchors.contains("dashboards-and-alerts"), "{anchors:?}");
    for (_, rule) in alert_rules() {
        let name = str_of(&rule["alert"], "alert");
        let link = &string_map(&rule["annotations"])["runbook_url"];
        let (file, fragment) = link
            .split_once('#')
            .unwrap_or_else(|| panic!("{name}: {link} has no #section"));
        assert_eq!(file, "docs/operations.md", "{name}");
        assert!(repo().join(file).is_file());
        assert!(
            anchors.contains(fragment),
            "{name}: docs/operations.md has no heading for #{fragment}"
        );
        assert_eq!(
            fragment,
            anchor(name),
            "{name} links to another alert's section"
        );
    }
}

#[test]
fn the_alerts_cover_what_on_call_must_hear_about() {
    let read = names_read(alert_queries());
    for metric in [
        "up",
        "handoff_webhook_deliveries_rejected_total",
        "handoff_queue_oldest_age_seconds",
        "handoff_queue_dead_letters_total",
        "handoff_hubspot_rate_limited_total",
        "handoff_hubspot_portals_blocked",
        "handoff_hubspot_token_refreshes_total",
        "handoff_hubspot_portals_paused",
        "handoff_pipeline_sla_breaches_total",
        "handoff_kpi_unassigned_leads",
    ] {
        assert!(read.contains(metric), "no alert reads {metric}");
    }
}

// =============================================================================================
// The dashboard.

#[test]
fn the_dashboard_reads_every_panel_through_the_prometheus_datasource_variable() {
    let dash = dashboard();
    let variables = dash["templating"]["list"].as_array().expect("templating");
    let ds = variables
        .iter()
        .find(|v| v["name"] == "DS_PROMETHEUS")
        .expect("a DS_PROMETHEUS variable");
    assert_eq!(ds["type"], "datasource");
    assert_eq!(ds["query"], "prometheus");
    let wanted = serde_json::json!({"type": "prometheus", "uid": "${DS_PROMETHEUS}"});
    let mut ids = BTreeSet::new();
    let mut queries = 0;
    for panel in panels(&dash) {
        let title = panel["title"].as_str().unwrap_or_default().to_owned();
        assert!(
            ids.insert(panel["id"].as_u64().expect("panel id")),
            "{title}: id twice"
        );
        let pos = &panel["gridPos"];
        let (x, w) = (pos["x"].as_u64().unwrap(), pos["w"].as_u64().unwrap());
        assert!(
            x + w <= 24 && pos["h"].as_u64().unwrap() > 0,
            "{title}: {pos}"
        );
        if panel["type"] == "row" {
            continue;
        }
        assert!(!title.is_empty(), "a panel without a title");
        assert_eq!(panel["datasource"], wanted, "{title}");
        let targets = panel["targets"].as_array().cloned().unwrap_or_default();
        assert!(!targets.is_empty(), "{title}: no query");
        for target in targets {
            assert_eq!(target["datasource"], wanted, "{title}");
            queries += 1;
        }
    }
    for (title, expr) in dashboard_queries() {
        parse_promql(&title, &expr);
    }
    let uses_window = dashboard_queries()
        .iter()
        .any(|(_, e)| e.contains("$window"));
    let window = variables.iter().find(|v| v["name"] == "window");
    assert_eq!(uses_window, window.is_some());
    assert!(queries >= 30, "{queries} queries");
}

#[test]
fn the_dashboard_shows_every_item_of_the_on_call_list() {
    let dashboard_read = names_read(dashboard_queries());
    for metric in [
        "handoff_webhook_deliveries_rejected_total",
        "handoff_queue_jobs",
        "handoff_queue_oldest_age_seconds",
        "handoff_queue_dead_letters_total",
        "handoff_hubspot_rate_limited_total",
        "handoff_hubspot_cooldowns_total",
        "handoff_hubspot_portals_blocked",
        "handoff_hubspot_token_refreshes_total",
        "handoff_hubspot_portals_paused",
        "handoff_pipeline_sla_breaches_total",
        "handoff_kpi_unassigned_leads",
        "handoff_pipeline_decisions_total",
        "handoff_pipeline_handoff_seconds_bucket",
        "handoff_kpi_sla_compliance_ratio",
        "handoff_kpi_first_touch_seconds",
    ] {
        assert!(dashboard_read.contains(metric), "no panel reads {metric}");
    }
}

// =============================================================================================
// Against a running handoff.

fn probe(run_at_ms: i64, kind: &'static str, key: &str) -> Scheduled {
    let payload = serde_json::value::to_raw_value(&Probe {
        enqueued_at_ms: run_at_ms,
        work_ms: 1,
    })
    .unwrap();
    Scheduled {
        job: NewJob {
            lane: LANE_PROBE,
            key: key.to_owned(),
            kind,
            payload,
            occurred_at_ms: run_at_ms,
        },
        run_at_ms,
        max_attempts: 1,
    }
}

/// A handoff whose every metric has a series: a portal on the sandbox (HubSpot requests), a
/// seeded ledger (KPIs), a refused delivery, a job done, one waiting and one dead.
async fn busy_handoff() -> (
    crate::support::app::TestApp,
    handoff::sandbox::RunningSandbox,
    Scrape,
) {
    let sb = crate::support::sandbox::start(crate::support::sandbox::seeded()).await;
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "pat-sandbox").unwrap();
    let toml = format!(
        "[hubspot]\nbase_url = {:?}\n\n[[hubspot.portals]]\nid = 62515\n\
         playbook = \"example-b2b-saas\"\nauth = {{ kind = \"private_app\", token_file = {:?} }}\n\
         journal = {{ enabled = true }}\n",
        sb.base_url,
        token.display().to_string()
    );

    let app = crate::support::app::spawn_stepped_app_with(&toml, &[]).await;
    let now = jiff::Timestamp::now().as_millisecond();
    crate::support::ledger::seed(
        &app.store,
        now,
        &crate::support::ledger::explanation(dir.path()),
    )
    .await;
    for job in [
        probe(now, KIND_PROBE, "p:done"),
        probe(now + 3_600_000, KIND_PROBE, "p:later"),
        probe(now, "mystery.v9", "p:dead"),
    ] {
        app.store
            .queue()
            .schedule(&job, OnExisting::Keep, now)
            .await
            .unwrap();
    }
    let body = crate::support::app::fixture("contact_creation.json");
    let unsigned = [("content-type".to_owned(), "application/json".to_owned())];
    let refused = app.post_webhook(&body, &unsigned).await;
    assert_eq!(refused.status(), 401);
    // The worker runs what is due; the roster check at start made the HubSpot request.
    app.run_due().await;
    let m = scrape(&app.url("")).await;
    assert!(
        m.get("handoff_queue_jobs{queue=\"probe\",status=\"dead\"}") == Some(1.0)
            && m.get("handoff_jobs_finished_total{kind=\"probe.v1\",outcome=\"done\"}")
                .is_some()
            && m.names().contains("handoff_hubspot_requests_total"),
        "a done, a dead job and a HubSpot request:\n{}",
        m.text
    );
    (app, sb, m)
}

/// Label values of `metric` on the scrape, by label name.
fn label_values(m: &Scrape, metric: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let prefix = format!("{metric}{{");
    for line in m.text.lines().filter(|l| l.starts_with(&prefix)) {
        let labels = &line[prefix.len()..line.rfind('}').unwrap()];
        for pair in labels.split("\",") {
            let (k, v) = pair.split_once("=\"").unwrap();
            out.entry(k.to_owned())
                .or_default()
                .insert(v.trim_end_matches('"').to_owned());
        }
    }
    out
}

#[tokio::test]
async fn every_metric_and_label_the_dashboard_and_alerts_read_is_on_a_running_handoffs_metrics() {
    let (app, _sb, m) = busy_handoff().await;
    // A fresh scrape: the KPI gauges and queue depth of the seeded ledger.
    let m = if m.names().contains("handoff_kpi_acceptance_ratio") {
        m
    } else {
        scrape(&app.url("")).await
    };
    let names = m.names();
    let prometheus = yaml("prometheus/prometheus.yml");
    let job = str_of(
        &seq(&prometheus["scrape_configs"])[0]["job_name"],
        "job_name",
    )
    .to_owned();
    let codes = operations_doc();
    let queries = dashboard_queries().into_iter().chain(alert_queries());
    let mut checked = 0;
    for (what, expr) in queries {
        for s in selectors(&what, &expr) {
            if s.name == "up" {
                for (label, _, value) in &s.matchers {
                    assert_eq!((label.as_str(), value), ("job", &job), "{what}: {expr}");
                }
                continue;
            }
            assert!(
                names.contains(&s.name),
                "{what}: {} is not on /metrics: {expr}\n{}",
                s.name,
                m.text
            );
            let labels = label_values(&m, &s.name);
            for (label, op, value) in &s.matchers {
                let values = labels
                    .get(label)
                    .unwrap_or_else(|| panic!("{what}: {} has no label {label}", s.name));
                // A rejection code the test cannot provoke must at least be a documented one.
                let documented = s.name == "handoff_webhook_deliveries_rejected_total"
                    && codes.contains(&format!("| `{value}` |"));
                if matches!(op, MatchOp::Equal | MatchOp::NotEqual) {
                    assert!(
                        values.contains(value) || documented,
                        "{what}: {}{{{label}=\"{value}\"}} never appears; values: {values:?}",
                        s.name
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 15, "only {checked} label matchers checked");
    app.stop().await;
}
