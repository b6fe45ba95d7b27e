//! The deployment artifacts under deploy/ (Dockerfile, compose files, Kubernetes manifests,
//! Prometheus and Grafana files), validated by parsing them: nothing here needs a container
//! engine or a cluster. Where a file configures handoff, the resulting environment is fed to
//! the real `handoff check-config`; where it queries handoff's metrics, they are checked
//! against a running handoff's `/metrics`.

mod compose;
mod docker;
mod kubernetes;
mod monitoring;
mod monitoring_wiring;
mod promql;
mod secrets;

use docker::repo_path_in_image;
use kubernetes::k8s_mounted_files;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_norway::Value;

type Env = BTreeMap<String, String>;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn deploy() -> PathBuf {
    repo().join("deploy")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every file under `dir`, recursively, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn is_yaml(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext == "yaml" || ext == "yml")
}

/// Every document of a YAML file, with merge keys (`<<: *anchor`) applied.
fn yaml_docs(path: &Path) -> Vec<Value> {
    let text = read(path);
    serde_norway::Deserializer::from_str(&text)
        .map(|doc| {
            let mut value = Value::deserialize(doc)
                .unwrap_or_else(|e| panic!("{}: not YAML: {e}", path.display()));
            value
                .apply_merge()
                .unwrap_or_else(|e| panic!("{}: bad merge key: {e}", path.display()));
            value
        })
        .filter(|doc| !doc.is_null())
        .collect()
}

fn yaml(path: &str) -> Value {
    let mut docs = yaml_docs(&deploy().join(path));
    assert_eq!(docs.len(), 1, "{path}: expected one document");
    docs.remove(0)
}

fn str_of<'a>(value: &'a Value, what: &str) -> &'a str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{what}: expected a string, got {value:?}"))
}

/// A YAML scalar as the string a container would see in its environment.
fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => panic!("expected a scalar, got {other:?}"),
    }
}

fn seq(value: &Value) -> &[Value] {
    value.as_sequence().map_or(&[], Vec::as_slice)
}

fn string_map(value: &Value) -> Env {
    value
        .as_mapping()
        .map(|map| {
            map.iter()
                .map(|(k, v)| (str_of(k, "key").to_owned(), scalar(v)))
                .collect()
        })
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// What handoff knows: config/default.toml.

fn default_toml_text() -> String {
    read(&repo().join("config/default.toml"))
}

/// True when `name` is an environment variable handoff reads: HANDOFF_CONFIG_DIR, a
/// HANDOFF__SECTION__KEY whose path exists in config/default.toml, or a variable that
/// default.toml documents by name (optional keys such as the client secret are commented out
/// there, and spelled as their variable).
fn known_env(name: &str, defaults: &toml::Table, defaults_text: &str) -> bool {
    if name == "HANDOFF_CONFIG_DIR" || handoff_names(defaults_text).contains(name) {
        return true;
    }
    let Some(path) = name.strip_prefix("HANDOFF__") else {
        return false;
    };
    let mut table = defaults;
    let segments: Vec<String> = path.split("__").map(str::to_lowercase).collect();
    for (i, segment) in segments.iter().enumerate() {
        match table.get(segment) {
            Some(toml::Value::Table(inner)) if i + 1 < segments.len() => table = inner,
            // A whole section is not a value an environment variable can set.
            Some(toml::Value::Table(_)) => return false,
            Some(_) => return i + 1 == segments.len(),
            None => return false,
        }
    }
    false
}

fn defaults() -> (toml::Table, String) {
    let text = default_toml_text();
    (text.parse().unwrap(), text)
}

/// Every `HANDOFF_...` word in `text`.
fn handoff_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("HANDOFF_") {
        let word: String = rest[at..]
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        rest = &rest[at + word.len()..];
        let word = word.trim_end_matches('_');
        if word != "HANDOFF" {
            names.insert(word.to_owned()); // not the bare prefix, as in "HANDOFF__*"
        }
    }
    names
}

// ---------------------------------------------------------------------------------------------
// The real binary.

fn handoff() -> Command {
    Command::new(env!("CARGO_BIN_EXE_handoff"))
}

/// `handoff check-config` under exactly `env`, with image paths mapped into the repo:
/// HANDOFF_CONFIG_DIR → a directory holding `config_files`, the examples dir → its COPY source.
fn check_config(env: &Env, config_files: &Env) -> Output {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in config_files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let mut env = env.clone();
    assert!(env.contains_key("HANDOFF_CONFIG_DIR"));
    env.insert(
        "HANDOFF_CONFIG_DIR".into(),
        dir.path().display().to_string(),
    );
    let examples = repo_path_in_image(&env["HANDOFF__ENGINE__EXAMPLES_DIR"]);
    env.insert(
        "HANDOFF__ENGINE__EXAMPLES_DIR".into(),
        examples.display().to_string(),
    );
    handoff()
        .arg("check-config")
        .env_clear()
        .envs(&env)
        .current_dir(dir.path())
        .output()
        .unwrap()
}

fn assert_config_ok(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{what}: handoff check-config failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Shutdown grace in ms under `env` and the admin files (later layers win).
fn shutdown_grace_ms(env: &Env, config_files: &Env) -> u64 {
    let mut grace = defaults().0["server"]["shutdown_grace_ms"]
        .as_integer()
        .unwrap();
    for text in config_files.values() {
        let table: toml::Table = text.parse().unwrap();
        if let Some(ms) = table.get("server").and_then(|s| s.get("shutdown_grace_ms")) {
            grace = ms.as_integer().unwrap();
        }
    }
    if let Some(ms) = env.get("HANDOFF__SERVER__SHUTDOWN_GRACE_MS") {
        grace = ms.parse().unwrap();
    }
    u64::try_from(grace).unwrap()
}

// =============================================================================================
// Files.

#[test]
fn every_yaml_file_under_deploy_parses_into_at_least_one_document() {
    let yamls: Vec<PathBuf> = files_under(&deploy())
        .into_iter()
        .filter(|p| is_yaml(p))
        .collect();
    assert!(
        yamls.len() >= 8,
        "expected compose and Kubernetes files, got {yamls:?}"
    );
    for path in yamls {
        let docs = yaml_docs(&path);
        assert!(!docs.is_empty(), "{}: no document", path.display());
        for doc in docs {
            assert!(
                doc.is_mapping(),
                "{}: a document is not a mapping",
                path.display()
            );
        }
    }
}

#[test]
fn the_variable_check_tells_a_misspelled_key_from_a_real_one() {
    let (table, text) = defaults();
    assert!(known_env("HANDOFF__SERVER__LISTEN", &table, &text));
    assert!(known_env(
        "HANDOFF__HUBSPOT__RETRY__MAX_ATTEMPTS",
        &table,
        &text
    ));
    assert!(known_env("HANDOFF__WEBHOOK__CLIENT_SECRET", &table, &text));
    assert!(!known_env("HANDOFF__SERVER__LISTN", &table, &text));
    assert!(!known_env("HANDOFF__SERVER", &table, &text));
    assert!(!known_env(
        "HANDOFF__HUBSPOT__RETRY__MAX_ATTEMPTS__X",
        &table,
        &text
    ));
    assert!(!known_env("HANDOFF__HUBSPOT__REPLICA", &table, &text));
}

#[test]
fn every_handoff_variable_named_in_deploy_files_is_a_key_of_default_toml() {
    let (table, text) = defaults();
    let mut seen = 0;
    for path in files_under(&deploy()) {
        for name in handoff_names(&read(&path)) {
            seen += 1;
            assert!(
                known_env(&name, &table, &text),
                "{}: {name} is not a key of config/default.toml (misspelled?)",
                path.display()
            );
        }
    }
    assert!(
        seen > 20,
        "found only {seen} HANDOFF_ variables under deploy/"
    );
}

#[test]
fn the_admin_local_toml_in_the_config_map_sets_only_keys_of_default_toml() {
    fn walk(table: &toml::Table, defaults: &toml::Table, prefix: &str) {
        for (key, value) in table {
            let known = defaults.get(key);
            assert!(
                known.is_some(),
                "local.toml: {prefix}{key} is not in default.toml"
            );
            if let (toml::Value::Table(inner), Some(toml::Value::Table(def))) = (value, known) {
                walk(inner, def, &format!("{prefix}{key}."));
            }
        }
    }
    let files = k8s_mounted_files("/etc/handoff");
    let local: toml::Table = files["local.toml"].parse().unwrap();
    assert!(!local.is_empty());
    walk(&local, &defaults().0, "");
}
