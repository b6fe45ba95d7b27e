//! Seeding: the fixtures match the configured roster, and a bad seed file is named.

use std::path::Path;

use handoff::hubspot::client::OwnerId;
use handoff::sandbox::{Sandbox, SandboxConfig, SandboxError};

use crate::support::sandbox::*;

fn roster_owners() -> Vec<(String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config/default.toml");
    let config: toml::Value = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    config["roster"]["owners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let field = |k: &str| o[k].as_str().unwrap().to_owned();
            (field("id"), field("email"))
        })
        .collect()
}

#[tokio::test]
async fn the_fixture_seed_has_every_roster_owner_with_the_same_email() {
    let sb = start(seeded()).await;
    let owners = client_for(&sb).assignable_owners(PORTAL).await.unwrap();
    let roster = roster_owners();
    assert!(roster.len() >= 10);
    for (id, email) in &roster {
        let owner = owners
            .iter()
            .find(|o| o.id == OwnerId::new(id.parse().unwrap()).unwrap())
            .unwrap_or_else(|| panic!("roster owner {id} is not seeded"));
        assert_eq!(owner.email.as_deref(), Some(email.as_str()), "owner {id}");
    }
    assert_eq!(
        owners.len(),
        roster.len(),
        "only the archived owner is left out"
    );
    assert_eq!(sb.sandbox.counts(), (roster.len() + 1, 8, 10));
}

fn seed_copy(dir: &Path) {
    for name in ["owners.json", "companies.json", "contacts.json"] {
        std::fs::copy(seed_dir().join(name), dir.join(name)).unwrap();
    }
}

fn seed_error(dir: &Path) -> String {
    let err = Sandbox::new(SandboxConfig {
        seed_dir: Some(dir.to_owned()),
        ..SandboxConfig::default()
    })
    .err()
    .expect("the seed should be refused");
    assert!(matches!(err, SandboxError::Seed { .. }), "{err}");
    err.to_string()
}

#[test]
fn a_malformed_seed_file_is_an_error_naming_the_file_and_the_place() {
    let dir = tempfile::tempdir().unwrap();
    seed_copy(dir.path());
    std::fs::write(
        dir.path().join("contacts.json"),
        r#"[{"id": "1", "properties": {"email": "a@b.com"}}, {"id": "2", "properties": {"email": 5}}]"#,
    )
    .unwrap();
    let message = seed_error(dir.path());
    assert!(message.contains("contacts.json"), "{message}");
    assert!(message.contains("[1].properties.email"), "{message}");

    std::fs::write(
        dir.path().join("contacts.json"),
        r#"[{"id": "1", "companyIds": ["77"]}]"#,
    )
    .unwrap();
    let message = seed_error(dir.path());
    assert!(
        message.contains("contacts.json") && message.contains("unknown company 77"),
        "{message}"
    );

    std::fs::remove_file(dir.path().join("owners.json")).unwrap();
    let message = seed_error(dir.path());
    assert!(
        message.contains("owners.json") && message.contains("cannot read"),
        "{message}"
    );
}
