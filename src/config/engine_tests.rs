//! The playbook's owner references as loading checks them, without example contacts.

use std::collections::HashMap;

use crate::config::{ConfigSources, DEFAULT_TOML, Purpose, load_for};

/// Loads the defaults plus one layer: the shipped playbook with `fallback_owner` set to
/// `owner`, and no example contacts (so only loading's own checks run).
fn load_with_fallback(owner: &str) -> Result<crate::config::LoadedConfig, Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    let all: toml::Table = toml::from_str(DEFAULT_TOML).unwrap();
    let mut top = toml::Table::new();
    top.insert("playbook".into(), all["playbook"].clone());
    let text = toml::to_string(&top).unwrap().replace(
        "fallback_owner = \"900\"",
        &format!("fallback_owner = {owner:?}"),
    );
    assert!(text.contains(owner));
    let layer = format!("[engine]\nexamples_dir = \"\"\n\n{text}");
    std::fs::write(dir.path().join("50-playbook.toml"), layer).unwrap();
    let sources = ConfigSources {
        dir: Some(dir.path().to_path_buf()),
        env: Some(HashMap::new()),
    };
    load_for(&sources, Purpose::Rules)
        .map_err(|r| r.problems.iter().map(|p| p.to_string()).collect())
}

#[test]
fn a_fallback_owner_that_is_neither_a_roster_owner_nor_an_id_is_refused_at_its_line() {
    let problems = load_with_fallback("lead-queue").err().unwrap_or_default();
    assert_eq!(problems.len(), 1, "{problems:#?}");
    let p = &problems[0];
    assert!(p.contains("50-playbook.toml:"), "file and line: {p}");
    assert!(
        p.contains("playbook.routing.fallback_owner"),
        "key path: {p}"
    );
    assert!(
        p.contains("owner `lead-queue` is neither in the roster nor a HubSpot owner id"),
        "{p}"
    );
    // An owner given by id is named by that id: its email is no reference.
    let by_email = load_with_fallback("katrin.vogel@example.com").err();
    assert_eq!(by_email.map(|p| p.len()), Some(1));
}

#[test]
fn a_numeric_fallback_owner_not_in_the_roster_loads_as_that_owner_id() {
    let loaded = load_with_fallback("950").unwrap_or_else(|p| panic!("{p:#?}"));
    let id = loaded
        .roster
        .assignable_id(&loaded.playbook.doc.routing.fallback_owner);
    assert_eq!(id.map(|i| i.get()), Some(950));
}
