//! The Kubernetes manifests: Deployment, Service, ConfigMaps, Secret example, PDB, kustomization.

use super::docker::{image_env, listen_port};
use super::*;

// ---------------------------------------------------------------------------------------------
// Kubernetes.

pub(super) fn k8s_docs() -> Vec<Value> {
    files_under(&deploy().join("kubernetes"))
        .iter()
        .filter(|p| is_yaml(p))
        .flat_map(|p| yaml_docs(p))
        .collect()
}

pub(super) fn k8s_object(kind: &str, name: &str) -> Value {
    k8s_docs()
        .into_iter()
        .find(|d| d["kind"].as_str() == Some(kind) && d["metadata"]["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("no {kind} named {name} under deploy/kubernetes"))
}

pub(super) fn deployment() -> Value {
    k8s_object("Deployment", "handoff")
}

pub(super) fn container() -> Value {
    let deployment = deployment();
    let containers = seq(&deployment["spec"]["template"]["spec"]["containers"]);
    assert_eq!(containers.len(), 1);
    containers[0].clone()
}

/// A Secret's `stringData` (the manifests here use no base64 `data`).
pub(super) fn secret_data(secret: &Value) -> Env {
    assert!(secret.get("data").is_none(), "use stringData");
    string_map(&secret["stringData"])
}

/// The container's environment: the image's ENV, then envFrom in order, then env.
pub(super) fn k8s_env() -> Env {
    let container = container();
    let mut env = image_env();
    for source in seq(&container["envFrom"]) {
        if let Some(name) = source["configMapRef"]["name"].as_str() {
            env.extend(string_map(&k8s_object("ConfigMap", name)["data"]));
        }
        if let Some(name) = source["secretRef"]["name"].as_str() {
            env.extend(secret_data(&k8s_object("Secret", name)));
        }
    }
    for var in seq(&container["env"]) {
        let name = str_of(&var["name"], "env name").to_owned();
        let value = if let Some(value) = var.get("value") {
            scalar(value)
        } else if let Some(r) = var["valueFrom"].get("configMapKeyRef") {
            let map = k8s_object("ConfigMap", str_of(&r["name"], "configMapKeyRef"));
            string_map(&map["data"])[str_of(&r["key"], "key")].clone()
        } else if let Some(r) = var["valueFrom"].get("secretKeyRef") {
            let secret = k8s_object("Secret", str_of(&r["name"], "secretKeyRef"));
            secret_data(&secret)[str_of(&r["key"], "key")].clone()
        } else {
            panic!("env {name}: unsupported valueFrom")
        };
        env.insert(name, value);
    }
    env
}

/// Files the pod sees at `mount_path`, from a ConfigMap volume.
pub(super) fn k8s_mounted_files(mount_path: &str) -> Env {
    let container = container();
    let mount = seq(&container["volumeMounts"])
        .iter()
        .find(|m| m["mountPath"].as_str() == Some(mount_path))
        .unwrap_or_else(|| panic!("nothing is mounted at {mount_path}"));
    let deployment = deployment();
    let volume = seq(&deployment["spec"]["template"]["spec"]["volumes"])
        .iter()
        .find(|v| v["name"] == mount["name"])
        .unwrap()
        .clone();
    let map = k8s_object(
        "ConfigMap",
        str_of(&volume["configMap"]["name"], "configMap"),
    );
    string_map(&map["data"])
}

pub(super) fn container_port(port: &Value) -> u64 {
    if let Some(number) = port.as_u64() {
        return number;
    }
    let name = str_of(port, "port");
    seq(&container()["ports"])
        .iter()
        .find(|p| p["name"].as_str() == Some(name))
        .and_then(|p| p["containerPort"].as_u64())
        .unwrap_or_else(|| panic!("no container port named {name}"))
}

pub(super) fn selects_pods(match_labels: &Value) {
    let labels = string_map(&deployment()["spec"]["template"]["metadata"]["labels"]);
    let wanted = string_map(match_labels);
    assert!(!wanted.is_empty(), "empty selector");
    for (k, v) in wanted {
        assert_eq!(labels.get(&k), Some(&v), "pods lack the label {k}={v}");
    }
}

// =============================================================================================
// Kubernetes.

#[test]
fn kustomization_lists_every_manifest_and_only_files_that_exist() {
    let kustomization = yaml("kubernetes/kustomization.yaml");
    let listed: BTreeSet<String> = seq(&kustomization["resources"])
        .iter()
        .map(|r| str_of(r, "resource").to_owned())
        .collect();
    for file in &listed {
        assert!(
            deploy().join("kubernetes").join(file).is_file(),
            "{file} does not exist"
        );
    }
    for path in files_under(&deploy().join("kubernetes")) {
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        // The example Secret stays out: `apply -k` would overwrite the real one.
        if is_yaml(&path) && name != "kustomization.yaml" && !name.contains(".example.") {
            assert!(
                listed.contains(&name),
                "kustomization.yaml does not list {name}"
            );
        }
    }
    assert!(!listed.iter().any(|f| f.contains(".example.")));
}

#[test]
fn manifests_are_namespace_agnostic() {
    for doc in k8s_docs() {
        assert!(
            doc["metadata"].get("namespace").is_none(),
            "{:?}",
            doc["metadata"]
        );
    }
    assert!(
        yaml("kubernetes/kustomization.yaml")
            .get("namespace")
            .is_none()
    );
}

#[test]
fn the_deployment_env_and_volume_refs_exist_in_the_config_maps_and_secret() {
    let container = container();
    let sources = seq(&container["envFrom"]);
    assert!(sources.iter().any(|s| s.get("configMapRef").is_some()));
    assert!(sources.iter().any(|s| s.get("secretRef").is_some()));
    // k8s_env and k8s_mounted_files panic on any name or key that does not resolve.
    let env = k8s_env();
    for key in ["HANDOFF__STORE__URL", "HANDOFF__WEBHOOK__CLIENT_SECRET"] {
        assert!(secret_data(&k8s_object("Secret", "handoff-secrets")).contains_key(key));
        assert!(env.contains_key(key));
    }
    let files = k8s_mounted_files(&env["HANDOFF_CONFIG_DIR"]);
    assert!(files.contains_key("local.toml"), "{files:?}");
}

#[test]
fn the_config_map_carries_no_secret_and_the_store_password_lives_in_the_secret() {
    for doc in k8s_docs().iter().filter(|d| d["kind"] == "ConfigMap") {
        for (key, value) in string_map(&doc["data"]) {
            assert!(
                !key.contains("SECRET") && !key.contains("PASSWORD"),
                "{key}"
            );
            assert!(
                !value.contains("postgres://"),
                "{key}: store URLs carry a password"
            );
        }
    }
    let url = &k8s_env()["HANDOFF__STORE__URL"];
    assert!(url.starts_with("postgres://"), "{url}");
}

#[test]
fn the_kubernetes_deployment_passes_check_config() {
    let env = k8s_env();
    let files = k8s_mounted_files(&env["HANDOFF_CONFIG_DIR"]);
    assert_config_ok("kubernetes", &check_config(&env, &files));
}

#[test]
fn probes_get_healthz_and_readyz_on_the_listen_port() {
    let container = container();
    let port = u64::from(listen_port(&k8s_env()));
    for (probe, path) in [
        ("livenessProbe", "/healthz"),
        ("startupProbe", "/healthz"),
        ("readinessProbe", "/readyz"),
    ] {
        let get = &container[probe]["httpGet"];
        assert_eq!(get["path"].as_str(), Some(path), "{probe}");
        assert_eq!(container_port(&get["port"]), port, "{probe}");
    }
}

#[test]
fn the_deployment_replicas_match_hubspot_replicas() {
    let replicas = deployment()["spec"]["replicas"].as_u64().unwrap();
    assert_eq!(replicas, 2);
    assert_eq!(
        k8s_env()["HANDOFF__HUBSPOT__REPLICAS"],
        replicas.to_string()
    );
}

#[test]
fn termination_grace_exceeds_pre_stop_sleep_plus_shutdown_grace() {
    let env = k8s_env();
    let files = k8s_mounted_files(&env["HANDOFF_CONFIG_DIR"]);
    let grace_ms = shutdown_grace_ms(&env, &files);
    let container = container();
    let pre_stop = seq(&container["lifecycle"]["preStop"]["exec"]["command"]);
    let sleep_ms = match pre_stop {
        [cmd, secs] if cmd == "sleep" => str_of(secs, "sleep").parse::<u64>().unwrap() * 1000,
        [] => 0,
        other => panic!("unexpected preStop {other:?}"),
    };
    let termination = deployment()["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        .as_u64()
        .unwrap();
    assert!(termination * 1000 > sleep_ms + grace_ms, "{termination}s");
}

#[test]
fn the_pod_is_non_root_with_a_read_only_root_and_a_writable_tmp() {
    let deployment = deployment();
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"].as_bool(), Some(true));
    let container = container();
    let security = &container["securityContext"];
    assert_eq!(security["readOnlyRootFilesystem"].as_bool(), Some(true));
    assert_eq!(security["allowPrivilegeEscalation"].as_bool(), Some(false));
    let tmp = seq(&container["volumeMounts"])
        .iter()
        .find(|m| m["mountPath"] == "/tmp")
        .expect("/tmp mounted");
    let volume = seq(&pod["volumes"])
        .iter()
        .find(|v| v["name"] == tmp["name"])
        .unwrap();
    assert!(volume.get("emptyDir").is_some());
    assert_eq!(container["args"], Value::from(vec!["serve"]));
}

/// The intake benchmark's peak RSS in MB, as BENCHMARKS.md reports it ("peak RSS ... **92 MB**").
fn benchmark_peak_rss_mb() -> u64 {
    let text = read(&repo().join("BENCHMARKS.md"));
    let line = text
        .lines()
        .find(|l| l.contains("peak RSS"))
        .expect("BENCHMARKS.md reports a peak RSS");
    let before_mb = &line[..line.find(" MB**").expect("peak RSS as **N MB**")];
    before_mb
        .rsplit("**")
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number in {line:?}"))
}

/// Kubernetes memory quantities in MB (Mi and Gi).
fn mb(quantity: &str) -> u64 {
    let (n, unit) = quantity.split_at(quantity.find(|c: char| !c.is_ascii_digit()).unwrap());
    let mib: u64 = match unit {
        "Mi" => n.parse().unwrap(),
        "Gi" => n.parse::<u64>().unwrap() * 1024,
        other => panic!("unexpected unit {other}"),
    };
    mib * 1_048_576 / 1_000_000
}

#[test]
fn resources_are_sized_from_the_benchmark_peak_with_headroom() {
    let peak = benchmark_peak_rss_mb();
    let resources = &container()["resources"];
    let request = mb(str_of(&resources["requests"]["memory"], "memory request"));
    let limit = mb(str_of(&resources["limits"]["memory"], "memory limit"));
    assert!(
        request >= peak,
        "request {request} MB below the {peak} MB peak"
    );
    assert!(
        limit >= 2 * peak,
        "limit {limit} MB leaves no room over {peak} MB"
    );
    assert_eq!(resources["requests"]["cpu"], "100m");
    assert_eq!(scalar(&resources["limits"]["cpu"]), "1");
    let text = read(&deploy().join("kubernetes/deployment.yaml"));
    assert!(
        text.contains("BENCHMARKS.md") && text.contains(&format!("{peak} MB")),
        "the comment says where the numbers come from"
    );
}

#[test]
fn the_pod_annotations_point_prometheus_at_the_metrics_endpoint() {
    let annotations = string_map(&deployment()["spec"]["template"]["metadata"]["annotations"]);
    assert_eq!(annotations["prometheus.io/scrape"], "true");
    assert_eq!(annotations["prometheus.io/path"], "/metrics");
    let port: u16 = annotations["prometheus.io/port"].parse().unwrap();
    assert_eq!(port, listen_port(&k8s_env()));
}

#[test]
fn the_service_and_pdb_select_the_deployment_pods() {
    let deployment = deployment();
    selects_pods(&deployment["spec"]["selector"]["matchLabels"]);
    let service = k8s_object("Service", "handoff");
    selects_pods(&service["spec"]["selector"]);
    let port = &seq(&service["spec"]["ports"])[0];
    assert_eq!(port["port"].as_u64(), Some(80));
    assert_eq!(container_port(&port["targetPort"]), 8080);
    let pdb = k8s_object("PodDisruptionBudget", "handoff");
    assert_eq!(pdb["spec"]["minAvailable"].as_u64(), Some(1));
    selects_pods(&pdb["spec"]["selector"]["matchLabels"]);
}
