//! Configuration errors as precise as the rest: each names its file:line:column and the key
//! path an admin can search for, says what is wrong in the words that fit (empty, not unset),
//! and stands alone (no knock-on problem, no two that contradict each other).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use handoff::config::{ConfigSources, load};

use crate::support::app::*;

fn sources(dir: &Path, env: &[(&str, &str)]) -> ConfigSources {
    let mut map: HashMap<String, String> = base_env(dir);
    for (k, v) in env {
        map.insert((*k).into(), (*v).into());
    }
    ConfigSources {
        dir: Some(dir.to_path_buf()),
        env: Some(map),
    }
}

/// The report of loading `dir` with `env`, and the path of its `local.toml`.
fn report(dir: &Path, env: &[(&str, &str)]) -> (String, String) {
    let report = load(&sources(dir, env)).unwrap_err();
    (
        report.to_string(),
        dir.join("local.toml").display().to_string(),
    )
}

fn assert_contains(text: &str, expected: &str) {
    assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
}

/// The shipped `[playbook]` section and everything after it, as an admin copies it.
fn shipped_playbook() -> String {
    let default = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/default.toml"),
    )
    .unwrap();
    let start = default.find("\n[playbook]\n").unwrap();
    default[start + 1..].to_owned()
}

#[test]
fn a_misspelt_key_in_a_rule_is_named_by_file_line_column_and_path() {
    let dir = tempfile::tempdir().unwrap();
    let playbook = shipped_playbook();
    let fit = playbook
        .find("[[playbook.scoring.fit]]\nid = \"icp\"\nwhen")
        .unwrap();
    let typo = fit + "[[playbook.scoring.fit]]\nid = \"icp\"\n".len();
    let mut text = playbook.clone();
    text.replace_range(typo..typo + 4, "whne");
    std::fs::write(dir.path().join("local.toml"), &text).unwrap();
    let line = text[..typo].matches('\n').count() + 1;
    let (shown, local) = report(dir.path(), &[]);
    assert_contains(
        &shown,
        &format!("{local}:{line}:1: playbook.scoring.fit[0].whne: unknown field `whne`"),
    );
    assert!(!shown.contains("at byte"), "{shown}");
}

#[test]
fn an_undeclared_company_property_names_the_table_to_declare_it_in() {
    let dir = tempfile::tempdir().unwrap();
    let text = shipped_playbook().replacen(
        "company.numberofemployees >= 1000",
        "company.headcount >= 1000",
        1,
    );
    std::fs::write(dir.path().join("local.toml"), &text).unwrap();
    let (shown, _) = report(dir.path(), &[]);
    assert_contains(&shown, "unknown company field `company.headcount`");
    assert_contains(&shown, "declare it under [playbook.properties.company]");
}

#[test]
fn a_bad_auth_kind_is_named_with_its_file_and_a_dotted_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("local.toml"),
        "[[hubspot.portals]]\nid = 1\nplaybook = \"example-b2b-saas\"\n\
         auth = { kind = \"private_ap\", token_env = \"T\" }\n",
    )
    .unwrap();
    let (shown, local) = report(dir.path(), &[]);
    assert_contains(
        &shown,
        &format!("{local}:4:10: hubspot.portals[0].auth.kind: unknown variant `private_ap`"),
    );
}

#[test]
fn a_syntax_error_is_reported_alone() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("local.toml"),
        "[webhook]\npublic_url = \"https://handoff.test/hook\" x\n",
    )
    .unwrap();
    // The file that sets webhook.public_url does not parse: "is required" would be noise.
    let mut sources = sources(dir.path(), &[]);
    sources
        .env
        .as_mut()
        .unwrap()
        .remove("HANDOFF__WEBHOOK__PUBLIC_URL");
    let report = load(&sources).unwrap_err();
    let shown = report.to_string();
    assert_eq!(report.problems.len(), 1, "{shown}");
    let local = dir.path().join("local.toml").display().to_string();
    assert_contains(&shown, &format!("{local}:2:42: TOML syntax error: "));
}

#[test]
fn an_empty_secret_variable_is_called_empty_not_unset() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("local.toml"),
        "[[webhook.apps]]\napp_id = 7\nclient_secret_env = \"APP_7_SECRET\"\n\n\
         [[hubspot.portals]]\nid = 1\nplaybook = \"example-b2b-saas\"\n\
         auth = { kind = \"private_app\", token_env = \"PORTAL_TOKEN\" }\n",
    )
    .unwrap();
    let empty = [
        ("APP_7_SECRET", ""),
        ("PORTAL_TOKEN", " "),
        ("HANDOFF__WEBHOOK__CLIENT_SECRET", ""),
        ("HANDOFF__SERVER__ADMIN_TOKEN", ""),
    ];
    let (shown, local) = report(dir.path(), &empty);
    for expected in [
        format!(
            "{local}:3:1: webhook.apps[0].client_secret_env: environment variable APP_7_SECRET is empty"
        ),
        format!(
            "{local}:8:32: hubspot.portals[0].auth.token_env: environment variable PORTAL_TOKEN is empty"
        ),
        "environment variable HANDOFF__WEBHOOK__CLIENT_SECRET: webhook.client_secret: is empty"
            .into(),
        "environment variable HANDOFF__SERVER__ADMIN_TOKEN: server.admin_token: is empty".into(),
    ] {
        assert_contains(&shown, &expected);
    }
    assert!(!shown.contains("is not set"), "{shown}");
}

#[test]
fn a_secret_given_twice_is_one_problem() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("secret");
    std::fs::write(&file, "from-a-file-0123456789\n").unwrap();
    std::fs::write(
        dir.path().join("local.toml"),
        format!(
            "[webhook]\nclient_secret_file = {0:?}\n\n[server]\nadmin_token_file = {0:?}\n",
            file.display().to_string()
        ),
    )
    .unwrap();
    let twice = [("HANDOFF__SERVER__ADMIN_TOKEN", "from-the-environment-0123")];
    let report = load(&sources(dir.path(), &twice)).unwrap_err();
    let shown = report.to_string();
    assert_eq!(report.problems.len(), 2, "one per secret:\n{shown}");
    let local = dir.path().join("local.toml").display().to_string();
    assert_contains(
        &shown,
        &format!(
            "{local}:2:1: webhook.client_secret_file: set either HANDOFF__WEBHOOK__CLIENT_SECRET or webhook.client_secret_file, not both"
        ),
    );
    assert_contains(
        &shown,
        &format!(
            "{local}:5:1: server.admin_token_file: set either HANDOFF__SERVER__ADMIN_TOKEN or server.admin_token_file, not both"
        ),
    );
    assert!(!shown.contains("no client secret"), "{shown}");
}

#[test]
fn a_copy_of_the_defaults_in_a_config_directory_is_not_an_admin_layer() {
    let dir = tempfile::tempdir().unwrap();
    let default = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/default.toml"),
    )
    .unwrap();
    // 10-base.toml sorts before default.toml: a second read of the defaults would undo it.
    std::fs::write(
        dir.path().join("10-base.toml"),
        "[server]\nrequest_timeout_ms = 2000\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("default.toml"), &default).unwrap();
    let loaded = load(&sources(dir.path(), &[])).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(loaded.settings.server.request_timeout_ms, 2000);
    assert!(
        !loaded.layers.iter().any(|l| l.ends_with("/default.toml")),
        "{:?}",
        loaded.layers
    );
    // An edited copy would not be read: refused, so the edit is not silently lost.
    std::fs::write(
        dir.path().join("default.toml"),
        default.replace("request_timeout_ms = 10000", "request_timeout_ms = 3000"),
    )
    .unwrap();
    let shown = load(&sources(dir.path(), &[])).unwrap_err().to_string();
    assert_contains(
        &shown,
        "default.toml: differs from the config/default.toml built into this binary, and is not read",
    );
}

#[test]
fn a_roster_owner_id_hubspot_cannot_have_is_named_by_file_line_and_path() {
    let dir = tempfile::tempdir().unwrap();
    let text = shipped_playbook().replacen("id = \"101\"", "id = \"jonas\"", 1);
    std::fs::write(dir.path().join("local.toml"), &text).unwrap();
    let line = text[..text.find("id = \"jonas\"").unwrap()]
        .matches('\n')
        .count()
        + 1;
    let (shown, local) = report(dir.path(), &[]);
    assert_contains(
        &shown,
        &format!("{local}:{line}:1: roster.owners[1].id: owner id `jonas` is not an id"),
    );
}
