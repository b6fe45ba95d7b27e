//! The deployment artifacts under deploy/ (Dockerfile, compose files, Kubernetes manifests),
//! validated by parsing them: nothing here needs a container engine or a cluster. Where a file
//! configures handoff, the resulting environment is fed to the real `handoff check-config`.

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
// The Dockerfile.

struct Instruction {
    name: String,
    args: String,
}

fn dockerfile() -> Vec<Instruction> {
    let text = read(&deploy().join("docker/Dockerfile"));
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with('#') {
            continue; // comments, also inside a continued instruction
        }
        match line.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head);
                current.push(' ');
            }
            None => {
                current.push_str(line);
                let joined = std::mem::take(&mut current);
                let joined = joined.trim();
                if let Some((name, args)) = joined.split_once(char::is_whitespace) {
                    out.push(Instruction {
                        name: name.to_uppercase(),
                        args: args.trim().to_owned(),
                    });
                }
            }
        }
    }
    out
}

fn instructions<'a>(all: &'a [Instruction], name: &str) -> Vec<&'a str> {
    all.iter()
        .filter(|i| i.name == name)
        .map(|i| i.args.as_str())
        .collect()
}

fn exec_form(args: &str) -> Vec<String> {
    serde_json::from_str(args).unwrap_or_else(|e| panic!("not exec (JSON) form: {args}: {e}"))
}

/// The image's environment: every `ENV K=V` of the last stage.
fn image_env() -> Env {
    let all = dockerfile();
    let last_from = all.iter().rposition(|i| i.name == "FROM").unwrap();
    all[last_from..]
        .iter()
        .filter(|i| i.name == "ENV")
        .flat_map(|i| i.args.split_whitespace())
        .map(|pair| {
            let (k, v) = pair.split_once('=').expect("ENV in K=V form");
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

/// (sources, destination) of every COPY from the build context (not `--from=` a stage).
fn context_copies() -> Vec<(Vec<String>, String)> {
    instructions(&dockerfile(), "COPY")
        .into_iter()
        .filter(|args| !args.contains("--from="))
        .map(|args| {
            let mut words: Vec<String> = args
                .split_whitespace()
                .filter(|w| !w.starts_with("--"))
                .map(str::to_owned)
                .collect();
            let dest = words.pop().unwrap();
            (words, dest)
        })
        .collect()
}

/// The repository path the image serves at `image_path` (a COPY destination).
fn repo_path_in_image(image_path: &str) -> PathBuf {
    let wanted = image_path.trim_end_matches('/');
    let (sources, _) = context_copies()
        .into_iter()
        .find(|(_, dest)| dest.trim_end_matches('/') == wanted)
        .unwrap_or_else(|| panic!("the Dockerfile copies nothing to {image_path}"));
    repo().join(&sources[0])
}

fn listen_port(env: &Env) -> u16 {
    let listen = &env["HANDOFF__SERVER__LISTEN"];
    let (host, port) = listen.rsplit_once(':').unwrap();
    assert_eq!(
        host, "0.0.0.0",
        "a container must listen on every interface"
    );
    port.parse().unwrap()
}

// ---------------------------------------------------------------------------------------------
// Compose.

/// ${NAME}, ${NAME:?message}, ${NAME:-default} from `vars`; a missing NAME fails the test.
fn interpolate(text: &str, vars: &Env) -> String {
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

fn dotenv(path: &Path) -> Env {
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

fn compose_dotenv() -> Env {
    dotenv(&deploy().join("compose/.env.example"))
}

/// The compose file's services, after `.env.example` interpolation and merge keys.
fn compose(name: &str) -> BTreeMap<String, Value> {
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

fn is_handoff_service(service: &Value) -> bool {
    service["image"]
        .as_str()
        .is_some_and(|i| i.starts_with("handoff"))
}

/// What the container sees: the image's ENV, then env_file (read from the `.example` beside
/// it, since `.env` holds real secrets and is not in the repo), then `environment`.
fn compose_service_env(service: &Value) -> Env {
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
fn compose_seconds(text: &str) -> u64 {
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

// ---------------------------------------------------------------------------------------------
// Kubernetes.

fn k8s_docs() -> Vec<Value> {
    files_under(&deploy().join("kubernetes"))
        .iter()
        .filter(|p| is_yaml(p))
        .flat_map(|p| yaml_docs(p))
        .collect()
}

fn k8s_object(kind: &str, name: &str) -> Value {
    k8s_docs()
        .into_iter()
        .find(|d| d["kind"].as_str() == Some(kind) && d["metadata"]["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("no {kind} named {name} under deploy/kubernetes"))
}

fn deployment() -> Value {
    k8s_object("Deployment", "handoff")
}

fn container() -> Value {
    let deployment = deployment();
    let containers = seq(&deployment["spec"]["template"]["spec"]["containers"]);
    assert_eq!(containers.len(), 1);
    containers[0].clone()
}

/// A Secret's `stringData` (the manifests here use no base64 `data`).
fn secret_data(secret: &Value) -> Env {
    assert!(secret.get("data").is_none(), "use stringData");
    string_map(&secret["stringData"])
}

/// The container's environment: the image's ENV, then envFrom in order, then env.
fn k8s_env() -> Env {
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
fn k8s_mounted_files(mount_path: &str) -> Env {
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

fn container_port(port: &Value) -> u64 {
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

fn selects_pods(match_labels: &Value) {
    let labels = string_map(&deployment()["spec"]["template"]["metadata"]["labels"]);
    let wanted = string_map(match_labels);
    assert!(!wanted.is_empty(), "empty selector");
    for (k, v) in wanted {
        assert_eq!(labels.get(&k), Some(&v), "pods lack the label {k}={v}");
    }
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

// =============================================================================================
// Dockerfile.

#[test]
fn the_dockerfile_builds_with_the_crates_rust_version_and_runs_on_bookworm() {
    let manifest: toml::Table = read(&repo().join("Cargo.toml")).parse().unwrap();
    let rust = manifest["package"]["rust-version"].as_str().unwrap();
    let all = dockerfile();
    let froms = instructions(&all, "FROM");
    assert_eq!(froms.len(), 2, "builder and runtime stages: {froms:?}");
    assert_eq!(froms[0], format!("rust:{rust}-slim-bookworm AS builder"));
    assert!(froms[1].starts_with("debian:bookworm-slim"), "{}", froms[1]);
    let runs = instructions(&all, "RUN").join("\n");
    assert!(runs.contains("cargo build --release --locked --bin handoff"));
    assert!(runs.contains("ca-certificates"));
}

#[test]
fn the_dependency_layer_stubs_every_binary_target_before_copying_src() {
    let manifest: toml::Table = read(&repo().join("Cargo.toml")).parse().unwrap();
    let all = dockerfile();
    let src_copy = all
        .iter()
        .position(|i| i.name == "COPY" && i.args.starts_with("src "))
        .expect("COPY src");
    let before = all[..src_copy]
        .iter()
        .map(|i| i.args.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let mut targets = vec![manifest["lib"]["path"].as_str().unwrap().to_owned()];
    for bin in manifest["bin"].as_array().unwrap() {
        targets.push(bin["path"].as_str().unwrap().to_owned());
    }
    for target in targets {
        assert!(
            before.contains(&target),
            "the dependency layer does not create {target}"
        );
    }
    if manifest.contains_key("bench") {
        assert!(before.contains("COPY benches") || before.contains("benches ./benches"));
    }
    assert!(before.contains("cargo build --release --locked --bin handoff"));
}

#[test]
fn the_dockerfile_copies_only_files_that_exist_and_are_not_docker_ignored() {
    let ignored: Vec<String> = read(&repo().join(".dockerignore"))
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.trim_end_matches('/').to_owned())
        .collect();
    let copies = context_copies();
    assert!(copies.len() >= 5, "{copies:?}");
    for (sources, _) in copies {
        for source in sources {
            let path = repo().join(&source);
            assert!(path.exists(), "COPY {source}: not in the repository");
            let first = source.split('/').next().unwrap();
            assert!(
                !ignored.iter().any(|i| i == first),
                "COPY {source}: .dockerignore drops it"
            );
        }
    }
    for needed in ["target", ".git", "data"] {
        assert!(
            ignored.iter().any(|i| i == needed),
            ".dockerignore lacks {needed}"
        );
    }
}

#[test]
fn the_image_runs_handoff_serve_and_serve_is_a_real_subcommand() {
    let all = dockerfile();
    let entrypoint = instructions(&all, "ENTRYPOINT");
    let cmd = instructions(&all, "CMD");
    assert_eq!(exec_form(entrypoint.last().unwrap()), ["handoff"]);
    assert_eq!(exec_form(cmd.last().unwrap()), ["serve"]);
    let binary = instructions(&all, "COPY")
        .into_iter()
        .find(|c| c.starts_with("--from=builder"))
        .unwrap();
    assert!(binary.ends_with(" /usr/local/bin/handoff"), "{binary}");
    let help = handoff().args(["serve", "--help"]).output().unwrap();
    assert!(
        help.status.success(),
        "{}",
        String::from_utf8_lossy(&help.stderr)
    );
}

#[test]
fn the_image_runs_as_a_numeric_non_root_user_with_a_data_volume() {
    let all = dockerfile();
    let user = *instructions(&all, "USER").last().unwrap();
    let uid: u32 = user
        .split(':')
        .next()
        .unwrap()
        .parse()
        .expect("numeric USER");
    assert_ne!(uid, 0);
    assert_eq!(
        exec_form(instructions(&all, "VOLUME")[0]),
        ["/var/lib/handoff"]
    );
    assert_eq!(instructions(&all, "EXPOSE"), ["8080"]);
    let env = image_env();
    assert_eq!(listen_port(&env), 8080);
    assert_eq!(
        env["HANDOFF__STORE__URL"],
        "sqlite:///var/lib/handoff/handoff.db"
    );
}

#[test]
fn the_image_ships_the_example_contacts_but_no_default_toml_layer() {
    let env = image_env();
    let contacts = repo_path_in_image(&env["HANDOFF__ENGINE__EXAMPLES_DIR"]);
    assert_eq!(contacts, repo().join("fixtures/contacts/"));
    let config_dir = &env["HANDOFF_CONFIG_DIR"];
    for (sources, dest) in context_copies() {
        assert!(
            !dest.starts_with(config_dir.as_str()) || sources.iter().all(|s| !s.contains("config")),
            "COPY {sources:?} {dest}: every {config_dir}/*.toml is a layer over the admin's files"
        );
    }
}

#[test]
fn the_image_defaults_pass_check_config_given_the_two_required_variables() {
    let mut env = image_env();
    env.extend(
        compose_dotenv()
            .into_iter()
            .filter(|(k, _)| k.starts_with("HANDOFF__")),
    );
    assert_config_ok("image", &check_config(&env, &Env::new()));
}

fn healthcheck_script() -> String {
    let all = dockerfile();
    let health = *instructions(&all, "HEALTHCHECK").last().unwrap();
    let (_, cmd) = health
        .split_once("CMD ")
        .expect("HEALTHCHECK ... CMD [...]");
    let argv = exec_form(cmd);
    assert_eq!(argv[..2], ["bash", "-c"], "the image has bash, not curl");
    argv[2].clone()
}

fn run_healthcheck(script: &str, port: u16) -> bool {
    let script = script.replace(
        "/dev/tcp/127.0.0.1/8080",
        &format!("/dev/tcp/127.0.0.1/{port}"),
    );
    Command::new("bash")
        .args(["-c", &script])
        .output()
        .unwrap()
        .status
        .success()
}

#[test]
fn the_image_healthcheck_gets_healthz_on_the_listen_port() {
    let script = healthcheck_script();
    assert!(script.contains("GET /healthz "), "{script}");
    let port = listen_port(&image_env());
    assert!(
        script.contains(&format!("/dev/tcp/127.0.0.1/{port}")),
        "{script}"
    );
}

#[test]
fn the_image_healthcheck_script_passes_against_a_running_server_and_fails_without_one() {
    let script = healthcheck_script();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    assert!(
        !run_healthcheck(&script, port),
        "healthy with nothing listening"
    );
    /// Kills the server even when an assertion fails first.
    struct Server(std::process::Child);
    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let public_url = "https://handoff.example.com/webhooks/hubspot";
    let server = handoff()
        .arg("serve")
        .env_clear()
        .current_dir(dir.path())
        .env("HANDOFF_CONFIG_DIR", dir.path())
        .env("HANDOFF__SERVER__LISTEN", format!("127.0.0.1:{port}"))
        .env(
            "HANDOFF__STORE__URL",
            format!("sqlite://{}/h.db", dir.path().display()),
        )
        .env(
            "HANDOFF__ENGINE__EXAMPLES_DIR",
            repo().join("fixtures/contacts"),
        )
        .env("HANDOFF__WEBHOOK__CLIENT_SECRET", "replace-me")
        .env("HANDOFF__WEBHOOK__PUBLIC_URL", public_url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let _server = Server(server);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut healthy = false;
    while !healthy && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        healthy = run_healthcheck(&script, port);
    }
    assert!(
        healthy,
        "the HEALTHCHECK script never passed against handoff serve"
    );
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

#[test]
fn resources_leave_headroom_over_the_benchmark_peak() {
    let resources = &container()["resources"];
    assert_eq!(resources["requests"]["memory"], "128Mi");
    assert_eq!(resources["limits"]["memory"], "256Mi");
    assert_eq!(resources["requests"]["cpu"], "100m");
    assert_eq!(scalar(&resources["limits"]["cpu"]), "1");
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

// =============================================================================================
// Secrets.

/// `replace-me...`, a compose `${VARIABLE}`, or an upper-case name standing for the value in
/// documentation (`postgres://USER:PASSWORD@HOST/DB`).
fn is_placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    lower.contains("replace-me")
        || lower.contains("replace_me")
        || value.starts_with("${")
        || is_upper_name(value)
}

fn is_upper_name(word: &str) -> bool {
    !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

fn secret_like(name: &str) -> bool {
    ["SECRET", "PASSWORD", "TOKEN", "KEY"]
        .iter()
        .any(|word| name.to_ascii_uppercase().contains(word))
}

/// Passwords in `scheme://user:password@host` URLs in `text`.
fn url_passwords(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        rest = &rest[at + 3..];
        let authority: String = rest
            .chars()
            .take_while(|c| !c.is_whitespace() && !"/'\"".contains(*c))
            .collect();
        if let Some((userinfo, _)) = authority.rsplit_once('@')
            && let Some((_, password)) = userinfo.split_once(':')
        {
            out.push(password.to_owned());
        }
    }
    out
}

#[test]
fn secret_values_in_deploy_files_are_placeholders() {
    let mut checked = 0;
    for doc in k8s_docs().iter().filter(|d| d["kind"] == "Secret") {
        for (key, value) in secret_data(doc) {
            checked += 1;
            let value = url_passwords(&value).pop().unwrap_or(value);
            assert!(
                is_placeholder(&value),
                "Secret {key}: {value:?} is not a placeholder"
            );
        }
    }
    for path in files_under(&deploy()) {
        let name = path.file_name().unwrap().to_str().unwrap();
        if name.starts_with(".env") {
            for (key, value) in dotenv(&path).into_iter().filter(|(k, _)| secret_like(k)) {
                checked += 1;
                assert!(is_placeholder(&value), "{name}: {key}={value:?}");
            }
        }
        for password in url_passwords(&read(&path)) {
            checked += 1;
            assert!(
                is_placeholder(&password),
                "{}: URL password {password:?}",
                path.display()
            );
        }
    }
    assert!(checked >= 5, "checked only {checked} values");
}

#[test]
fn no_deploy_file_contains_a_key_token_or_random_looking_string() {
    for path in files_under(&deploy())
        .into_iter()
        .chain([repo().join(".dockerignore")])
    {
        let text = read(&path);
        assert!(!text.contains("PRIVATE KEY-----"), "{}", path.display());
        for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || "+/_-".contains(c))) {
            let has_digit = word.chars().any(|c| c.is_ascii_digit());
            let has_alpha = word.chars().any(|c| c.is_ascii_alphabetic());
            assert!(
                word.len() < 24 || !has_digit || !has_alpha || is_placeholder(word),
                "{}: {word:?} looks like a credential",
                path.display()
            );
            assert!(
                !word.starts_with("pat-na"),
                "{}: a HubSpot token",
                path.display()
            );
        }
    }
}

#[test]
fn real_compose_env_files_are_kept_out_of_git_and_the_image() {
    assert!(
        read(&deploy().join("compose/.gitignore"))
            .lines()
            .any(|l| l.trim() == ".env")
    );
    assert!(
        read(&repo().join(".dockerignore"))
            .lines()
            .any(|l| l.trim() == "**/.env")
    );
}

#[test]
fn the_readme_names_every_deploy_file() {
    let readme = read(&deploy().join("README.md"));
    for path in files_under(&deploy()) {
        let name = path.file_name().unwrap().to_str().unwrap();
        if name != "README.md" && name != ".gitignore" {
            assert!(
                readme.contains(name),
                "deploy/README.md does not mention {name}"
            );
        }
    }
    assert!(readme.contains("tests/it/deploy_files.rs"));
}
