//! The Dockerfile: build stages, what the image carries, its user, healthcheck and entrypoint.

use super::compose::compose_dotenv;
use super::*;

// ---------------------------------------------------------------------------------------------
// The Dockerfile.

pub(super) struct Instruction {
    name: String,
    args: String,
}

pub(super) fn dockerfile() -> Vec<Instruction> {
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

pub(super) fn instructions<'a>(all: &'a [Instruction], name: &str) -> Vec<&'a str> {
    all.iter()
        .filter(|i| i.name == name)
        .map(|i| i.args.as_str())
        .collect()
}

pub(super) fn exec_form(args: &str) -> Vec<String> {
    serde_json::from_str(args).unwrap_or_else(|e| panic!("not exec (JSON) form: {args}: {e}"))
}

/// The image's environment: every `ENV K=V` of the last stage.
pub(super) fn image_env() -> Env {
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
pub(super) fn context_copies() -> Vec<(Vec<String>, String)> {
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
pub(super) fn repo_path_in_image(image_path: &str) -> PathBuf {
    let wanted = image_path.trim_end_matches('/');
    let (sources, _) = context_copies()
        .into_iter()
        .find(|(_, dest)| dest.trim_end_matches('/') == wanted)
        .unwrap_or_else(|| panic!("the Dockerfile copies nothing to {image_path}"));
    repo().join(&sources[0])
}

pub(super) fn listen_port(env: &Env) -> u16 {
    let listen = &env["HANDOFF__SERVER__LISTEN"];
    let (host, port) = listen.rsplit_once(':').unwrap();
    assert_eq!(
        host, "0.0.0.0",
        "a container must listen on every interface"
    );
    port.parse().unwrap()
}

// =============================================================================================
// Dockerfile.

#[test]
fn the_dockerfile_builds_with_the_crates_rust_version_and_runs_on_bookworm() {
    let manifest: toml::Table = read(&repo().join("Cargo.toml")).parse().unwrap();
    let rust = manifest["workspace"]["package"]["rust-version"]
        .as_str()
        .unwrap();
    let all = dockerfile();
    let froms = instructions(&all, "FROM");
    assert_eq!(froms.len(), 2, "builder and runtime stages: {froms:?}");
    assert_eq!(froms[0], format!("rust:{rust}-slim-bookworm AS builder"));
    assert!(froms[1].starts_with("debian:bookworm-slim"), "{}", froms[1]);
    let runs = instructions(&all, "RUN").join("\n");
    assert!(runs.contains(BUILD));
    assert!(runs.contains("ca-certificates"));
}

/// The image's build: the service alone, without the `demo` feature (`handoff demo`, `handoff
/// sandbox` and the sandbox crate).
const BUILD: &str = "cargo build --release --locked --no-default-features --bin handoff";

/// Every lib and bin target path of the workspace's packages, from the repository root.
fn workspace_targets() -> Vec<String> {
    let root: toml::Table = read(&repo().join("Cargo.toml")).parse().unwrap();
    let members = root["workspace"]["members"].as_array().unwrap();
    let mut targets = Vec::new();
    for member in members.iter().map(|m| m.as_str().unwrap()) {
        let dir = if member == "." {
            String::new()
        } else {
            format!("{member}/")
        };
        let manifest: toml::Table = read(&repo().join(&dir).join("Cargo.toml")).parse().unwrap();
        let lib = manifest.get("lib").and_then(|l| l.get("path"));
        targets.push(format!(
            "{dir}{}",
            lib.and_then(|p| p.as_str()).unwrap_or("src/lib.rs")
        ));
        for bin in manifest
            .get("bin")
            .and_then(|b| b.as_array())
            .into_iter()
            .flatten()
        {
            targets.push(format!("{dir}{}", bin["path"].as_str().unwrap()));
        }
    }
    targets
}

#[test]
fn the_dependency_layer_stubs_every_target_of_the_workspace_before_copying_sources() {
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
    let targets = workspace_targets();
    assert!(targets.len() >= 6, "{targets:?}");
    for target in targets {
        assert!(
            before.contains(&target),
            "the dependency layer does not create {target}"
        );
    }
    if manifest.contains_key("bench") {
        assert!(before.contains("COPY benches") || before.contains("benches ./benches"));
    }
    assert!(before.contains(BUILD));
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
        .env("HANDOFF__SERVER__ADMIN_BIND", "127.0.0.1:0")
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
