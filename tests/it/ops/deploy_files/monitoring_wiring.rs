//! Monitoring wiring: compose mounts, Prometheus' targets and rule files, Grafana's provisioned
//! datasource and dashboard, all pointing at each other and at files in the repository.

use super::compose::compose;
use super::*;

// =============================================================================================
// Wiring: compose, Prometheus, Grafana.

/// `(source, destination)` of every bind mount (a source that is a path, not a named volume).
fn bind_mounts(service: &Value) -> Vec<(String, String)> {
    seq(&service["volumes"])
        .iter()
        .filter_map(|v| {
            let text = str_of(v, "volume");
            let mut parts = text.split(':');
            let source = parts.next()?;
            let destination = parts.next()?;
            (source.starts_with('.') || source.starts_with('/'))
                .then(|| (source.to_owned(), destination.to_owned()))
        })
        .collect()
}

/// The compose bind mount of `repo_path` (relative to deploy/) in `service`: its destination.
fn mounted_at(service: &Value, repo_path: &str) -> String {
    let wanted = format!("../{repo_path}");
    bind_mounts(service)
        .into_iter()
        .find(|(source, _)| source.trim_end_matches('/') == wanted)
        .map(|(_, destination)| destination)
        .unwrap_or_else(|| panic!("deploy/{repo_path} is not mounted"))
}

#[test]
fn every_compose_bind_mount_points_at_a_file_in_the_repository() {
    let mut mounts = 0;
    for file in ["single-node.yaml", "postgres-replicas.yaml"] {
        for (name, service) in compose(file) {
            for (source, _) in bind_mounts(&service) {
                mounts += 1;
                assert!(
                    source.starts_with("../"),
                    "{file}: {name}: {source} is outside deploy/"
                );
                let path = deploy().join("compose").join(&source);
                assert!(path.exists(), "{file}: {name}: {source} does not exist");
            }
        }
    }
    assert!(mounts >= 4, "{mounts} bind mounts");
}

#[test]
fn prometheus_scrapes_every_compose_replica_and_loads_the_mounted_rules() {
    let services = compose("postgres-replicas.yaml");
    let expected: BTreeSet<String> = services
        .iter()
        .filter(|(_, s)| super::compose::is_handoff_service(s))
        .map(|(name, s)| {
            let port = super::docker::listen_port(&super::compose::compose_service_env(s));
            format!("{name}:{port}")
        })
        .collect();
    let config = yaml("prometheus/prometheus.yml");
    let jobs = seq(&config["scrape_configs"]);
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0]["metrics_path"].as_str(), Some("/metrics"));
    let targets: BTreeSet<String> = seq(&jobs[0]["static_configs"])
        .iter()
        .flat_map(|c| {
            seq(&c["targets"])
                .iter()
                .map(|t| str_of(t, "target").to_owned())
        })
        .collect();
    assert_eq!(targets, expected);
    let prometheus = &services["prometheus"];
    let config_at = mounted_at(prometheus, "prometheus/prometheus.yml");
    let command = seq(&prometheus["command"])
        .iter()
        .map(|c| str_of(c, "command"))
        .collect::<Vec<_>>();
    assert!(
        command.contains(&format!("--config.file={config_at}").as_str()),
        "{command:?}"
    );
    let rules_at = mounted_at(prometheus, "prometheus/alerts.yaml");
    let rule_files: Vec<&str> = seq(&config["rule_files"])
        .iter()
        .map(|f| str_of(f, "rule file"))
        .collect();
    assert_eq!(rule_files, [rules_at.as_str()]);
}

#[test]
fn grafana_provisions_the_prometheus_service_and_the_mounted_dashboard() {
    let services = compose("postgres-replicas.yaml");
    let grafana = &services["grafana"];
    let provisioning = mounted_at(grafana, "grafana/provisioning");
    assert_eq!(provisioning, "/etc/grafana/provisioning");
    let dashboard_at = mounted_at(grafana, "grafana/dashboard.json");

    let providers = yaml("grafana/provisioning/dashboards/handoff-dashboards.yaml");
    let provider = &seq(&providers["providers"])[0];
    assert_eq!(provider["type"].as_str(), Some("file"));
    let path = str_of(&provider["options"]["path"], "provider path");
    assert_eq!(Path::new(&dashboard_at).parent(), Some(Path::new(path)));

    let sources = yaml("grafana/provisioning/datasources/handoff-prometheus.yaml");
    let source = &seq(&sources["datasources"])[0];
    assert_eq!(source["type"].as_str(), Some("prometheus"));
    let url = str_of(&source["url"], "datasource url");
    let prometheus = &services["prometheus"];
    let published: Vec<&str> = seq(&prometheus["ports"])
        .iter()
        .map(|p| str_of(p, "port").rsplit(':').next().unwrap())
        .collect();
    assert_eq!(url, format!("http://prometheus:{}", published[0]));

    let env = string_map(&grafana["environment"]);
    assert_eq!(env["GF_AUTH_ANONYMOUS_ORG_ROLE"], "Viewer");
    assert!(
        env["GF_SECURITY_ADMIN_PASSWORD"].contains("replace-me"),
        "from .env"
    );
    assert_eq!(
        env["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"],
        dashboard_at
    );
}
