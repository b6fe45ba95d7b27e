//! `deploy/hubspot/` is the HubSpot project `handoff hubspot-app` generates from the shipped
//! configuration: regenerated here by the real binary, it must match byte for byte.

use super::*;

const TARGET_URL: &str = "https://handoff.example.com/webhooks/hubspot";

/// The generated files, relative to the project directory.
const GENERATED: [&str; 3] = [
    "hsproject.json",
    "src/app/app-hsmeta.json",
    "src/app/webhooks/webhooks-hsmeta.json",
];

/// `handoff hubspot-app` on the shipped configuration alone (no config/local.toml: the working
/// directory is empty). The loader still asks for a client secret and `webhook.public_url`
/// for every command; the generator reads neither secret.
fn hubspot_app(cwd: &Path, args: &[&str]) -> Output {
    handoff()
        .arg("hubspot-app")
        .args(args)
        .env_clear()
        .env("HANDOFF__WEBHOOK__CLIENT_SECRET", "replace-me")
        .env("HANDOFF__WEBHOOK__PUBLIC_URL", TARGET_URL)
        .env(
            "HANDOFF__ENGINE__EXAMPLES_DIR",
            repo().join("fixtures/contacts"),
        )
        .current_dir(cwd)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn the_committed_hubspot_project_is_what_hubspot_app_generates_from_the_shipped_configuration() {
    let cwd = tempfile::tempdir().unwrap();
    let output = hubspot_app(cwd.path(), &["--out", "project"]);
    assert!(
        output.status.success(),
        "hubspot-app failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let committed = deploy().join("hubspot");
    let generated = cwd.path().join("project");
    let files: Vec<PathBuf> = files_under(&generated)
        .into_iter()
        .map(|p| p.strip_prefix(&generated).unwrap().to_path_buf())
        .collect();
    assert_eq!(files, GENERATED.map(PathBuf::from));
    for name in GENERATED {
        assert_eq!(
            read(&committed.join(name)),
            read(&generated.join(name)),
            "deploy/hubspot/{name} differs from what `handoff hubspot-app` generates; regenerate it as deploy/hubspot/README.md says"
        );
    }
    let text = stdout(&output);
    assert!(text.contains("Required scopes (7)"), "{text}");
    assert!(
        text.contains("1. cd project && hs project upload"),
        "{text}"
    );
}

#[test]
fn the_committed_project_has_no_file_the_generator_does_not_write_but_its_readme() {
    let committed = deploy().join("hubspot");
    let mut expected: Vec<PathBuf> = GENERATED.iter().map(|n| committed.join(n)).collect();
    expected.push(committed.join("README.md"));
    expected.sort();
    assert_eq!(files_under(&committed), expected);
    let readme = read(&committed.join("README.md"));
    assert!(readme.contains("hubspot-app --out deploy/hubspot"));
}

#[test]
fn regenerating_with_the_other_auth_type_is_refused_and_leaves_the_app_as_it_was() {
    let cwd = tempfile::tempdir().unwrap();
    assert!(hubspot_app(cwd.path(), &["--out", "p"]).status.success());
    let app = cwd.path().join("p/src/app/app-hsmeta.json");
    let before = read(&app);
    let output = hubspot_app(cwd.path(), &["--out", "p", "--auth", "oauth"]);
    assert!(!output.status.success());
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("cannot change an app's auth type"), "{err}");
    assert_eq!(read(&app), before);
    let again = hubspot_app(cwd.path(), &["--out", "p"]);
    assert!(stdout(&again).contains("unchanged"), "{}", stdout(&again));
}

#[test]
fn a_plain_http_target_url_is_refused_and_nothing_is_written() {
    let cwd = tempfile::tempdir().unwrap();
    let url = "http://handoff.example.com/webhooks/hubspot";
    let output = hubspot_app(cwd.path(), &["--out", "p", "--target-url", url]);
    assert!(!output.status.success());
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("must be https://"), "{err}");
    assert!(!cwd.path().join("p").exists());
}
