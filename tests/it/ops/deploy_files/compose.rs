//! The compose files: single node on SQLite, PostgreSQL with two replicas.

use super::docker::{image_env, listen_port};
use super::*;

// ---------------------------------------------------------------------------------------------
// Compose.

/// ${NAME}, ${NAME:?message}, ${NAME:-default} from `vars`; a missing NAME fails the test.
pub(super) fn interpolate(text: &str, vars: &Env) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let end = rest[at..].find('}').unwrap() + at;
        let expr = &rest[at + 2..end];
        let name = expr.split([':', '-', '?']).next().unwrap();
        let default = expr.split_once(":-").map(|(_, d)| d);
        match (vars.get(name), default) {
            (Some(value), _) => out.push_str(value),
            (None, Some(default)) => out.push_str(default),
            (None, None) => panic!("${{{name}}} is not set in .env.example"),
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

pub(super) fn dotenv(path: &Path) -> Env {
    read(path)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap_or_else(|| panic!("not K=V: {l}"));
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

pub(super) fn compose_dotenv() -> Env {
    dotenv(&deploy().join("compose/.env.example"))
}

/// The compose file's services, after `.env.example` interpolation and merge keys.
pub(super) fn compose(name: &str) -> BTreeMap<String, Value> {
    let path = deploy().join("compose").join(name);
    let text = interpolate(&read(&path), &compose_dotenv());
    let mut doc: Value = serde_norway::from_str(&text).unwrap();
    doc.apply_merge().unwrap();
    doc["services"]
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(k, v)| (str_of(k, "service").to_owned(), v.clone()))
        .collect()
}

pub(super) fn is_handoff_service(service: &Value) -> bool {
    service["image"]
        .as_str()
        .is_some_and(|i| i.starts_with("handoff"))
}

/// What the container sees: the image's ENV, then env_file (read from the `.example` beside
/// it, since `.env` holds real secrets and is not in the repo), then `environment`.
pub(super) fn compose_service_env(service: &Value) -> Env {
    let mut env = image_env();
    let env_files: Vec<String> = match &service["env_file"] {
        Value::Null => Vec::new(),
        Value::String(one) => vec![one.clone()],
        many => seq(many)
            .iter()
            .map(|f| str_of(f, "env_file").to_owned())
            .collect(),
    };
    for file in env_files {
        env.extend(dotenv(
            &deploy().join("compose").join(format!("{file}.example")),
        ));
    }
    match &service["environment"] {
        Value::Sequence(list) => env.extend(list.iter().map(|item| {
            let (k, v) = str_of(item, "environment").split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        })),
        map => env.extend(string_map(map)),
    }
    env
}

/// Seconds of a compose duration like "30s" or "1m30s".
pub(super) fn compose_seconds(text: &str) -> u64 {
    let mut total = 0;
    let mut number = String::new();
    for c in text.chars() {
        match c {
            '0'..='9' => number.push(c),
            'h' | 'm' | 's' => {
                let n: u64 = std::mem::take(&mut number).parse().unwrap();
                total += n * [3600, 60, 1]["hms".find(c).unwrap()];
            }
            _ => panic!("unsupported duration {text:?}"),
        }
    }
    total
}

// =============================================================================================
// Compose.

#[test]
fn the_single_node_compose_file_runs_one_handoff_on_sqlite_in_a_named_volume() {
    let services = compose("single-node.yaml");
    assert_eq!(services.len(), 1);
    let handoff = &services["handoff"];
    assert!(is_handoff_service(handoff));
    let env = compose_service_env(handoff);
    let url = &env["HANDOFF__STORE__URL"];
    let db_dir = url
        .strip_prefix("sqlite://")
        .unwrap()
        .rsplit_once('/')
        .unwrap()
        .0;
    let volume = seq(&handoff["volumes"])
        .iter()
        .map(|v| str_of(v, "volume"))
        .find(|v| v.ends_with(&format!(":{db_dir}")))
        .unwrap_or_else(|| panic!("no volume holds {url}"));
    let name = volume.split(':').next().unwrap();
    let file: Value =
        serde_norway::from_str(&read(&deploy().join("compose/single-node.yaml"))).unwrap();
    assert!(
        file["volumes"].get(name).is_some(),
        "{name} is not a named volume"
    );
    assert_eq!(env["HANDOFF__HUBSPOT__REPLICAS"], "1");
}

#[test]
fn the_postgres_replicas_wait_for_a_healthy_postgres_15_they_point_at() {
    let services = compose("postgres-replicas.yaml");
    let (db_name, db) = services
        .iter()
        .find(|(_, s)| {
            s["image"]
                .as_str()
                .is_some_and(|i| i.starts_with("postgres:15"))
        })
        .expect("a postgres:15 service");
    let test = seq(&db["healthcheck"]["test"])
        .iter()
        .map(|t| str_of(t, "test"))
        .collect::<Vec<_>>()
        .join(" ");
    assert!(test.contains("pg_isready"), "{test}");
    let replicas: Vec<&Value> = services
        .values()
        .filter(|s| is_handoff_service(s))
        .collect();
    assert_eq!(replicas.len(), 2);
    for replica in replicas {
        let condition = &replica["depends_on"][db_name.as_str()]["condition"];
        assert_eq!(condition.as_str(), Some("service_healthy"));
        let url = &compose_service_env(replica)["HANDOFF__STORE__URL"];
        assert!(url.starts_with("postgres://"), "{url}");
        assert!(url.contains(&format!("@{db_name}:5432/")), "{url}");
    }
}

#[test]
fn each_compose_file_sets_hubspot_replicas_to_its_number_of_handoff_services() {
    for file in ["single-node.yaml", "postgres-replicas.yaml"] {
        let services = compose(file);
        let handoffs: Vec<&Value> = services
            .values()
            .filter(|s| is_handoff_service(s))
            .collect();
        for service in &handoffs {
            let replicas = &compose_service_env(service)["HANDOFF__HUBSPOT__REPLICAS"];
            assert_eq!(replicas, &handoffs.len().to_string(), "{file}");
        }
    }
}

#[test]
fn each_compose_replica_publishes_its_own_host_port_to_the_listen_port() {
    for file in ["single-node.yaml", "postgres-replicas.yaml"] {
        let mut host_ports = BTreeSet::new();
        for service in compose(file).values().filter(|s| is_handoff_service(s)) {
            let port = listen_port(&compose_service_env(service));
            for mapping in seq(&service["ports"]) {
                let (host, container) = str_of(mapping, "port").rsplit_once(':').unwrap();
                assert_eq!(container, port.to_string(), "{file}");
                assert!(
                    host_ports.insert(host.to_owned()),
                    "{file}: host port {host} twice"
                );
            }
        }
        assert!(!host_ports.is_empty(), "{file}: nothing published");
    }
}

#[test]
fn compose_stop_grace_exceeds_the_shutdown_grace() {
    for file in ["single-node.yaml", "postgres-replicas.yaml"] {
        for service in compose(file).values().filter(|s| is_handoff_service(s)) {
            let env = compose_service_env(service);
            let stop = compose_seconds(str_of(&service["stop_grace_period"], "stop_grace_period"));
            assert!(stop * 1000 > shutdown_grace_ms(&env, &Env::new()), "{file}");
        }
    }
}

#[test]
fn every_compose_handoff_service_passes_check_config() {
    for file in ["single-node.yaml", "postgres-replicas.yaml"] {
        for (name, service) in compose(file).iter().filter(|(_, s)| is_handoff_service(s)) {
            let env = compose_service_env(service);
            assert_config_ok(&format!("{file}: {name}"), &check_config(&env, &Env::new()));
        }
    }
}

#[test]
fn compose_builds_the_repository_dockerfile() {
    for file in ["single-node.yaml", "postgres-replicas.yaml"] {
        for service in compose(file).values().filter(|s| is_handoff_service(s)) {
            let build = &service["build"];
            // Lexically, so that a symlinked deploy/ resolves like the compose CLI does.
            let mut context = PathBuf::from("deploy/compose");
            for part in Path::new(str_of(&build["context"], "context")).components() {
                match part {
                    std::path::Component::ParentDir => assert!(context.pop(), "{file}"),
                    std::path::Component::Normal(name) => context.push(name),
                    _ => panic!("{file}: the build context must be relative"),
                }
            }
            assert_eq!(
                context,
                Path::new(""),
                "{file}: the context is not the repo root"
            );
            let dockerfile = str_of(&build["dockerfile"], "dockerfile");
            assert!(repo().join(dockerfile).is_file(), "{file}: {dockerfile}");
        }
    }
}
