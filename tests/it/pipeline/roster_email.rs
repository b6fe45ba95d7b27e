//! Roster owners given by email alone, end to end against the sandbox: the id comes from
//! HubSpot's owners list, and it — never the email — is what routing assigns and writes back;
//! `handoff doctor` shows the resolution and fails an email no active owner has; the check
//! `serve` logs at start names an unknown id and an unmatched email.

use handoff::admin::doctor::Status;
use handoff::config::DEFAULT_TOML;
use handoff::hubspot::client::PortalId;
use handoff::sandbox::OwnerPatch;
use handoff::worker::pipeline::roster_check::check_portals;

use crate::support::portal::{Live, failing};
use crate::support::world::{handed_off_lead, handoff_row, start_with_layer};

/// The US reps 301 and 302 given by email alone, and named by email wherever the playbook and
/// the roster named their ids.
fn email_only_layer(playbook: toml::Table) -> String {
    let all: toml::Table = toml::from_str(DEFAULT_TOML).unwrap();
    let mut top = toml::Table::new();
    top.insert("playbook".into(), toml::Value::Table(playbook));
    top.insert("roster".into(), all["roster"].clone());
    let mut text = toml::to_string(&top).unwrap();
    for (id, email) in [
        ("301", "marcus.reed@example.com"),
        ("302", "priya.shah@example.com"),
    ] {
        text = text.replace(&format!("\"{id}\""), &format!("\"{email}\""));
        text = text.replace(&format!("id = \"{email}\"\n"), "");
    }
    assert!(!text.contains("\"301\""), "{text}");
    text
}

fn default_playbook() -> toml::Table {
    let all: toml::Table = toml::from_str(DEFAULT_TOML).unwrap();
    all["playbook"].as_table().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rep_given_by_email_is_handed_leads_under_the_id_hubspot_has_for_that_email() {
    let dir = tempfile::tempdir().unwrap();
    let env = start_with_layer(dir.path(), email_only_layer).await;
    let mut owners = Vec::new();
    for n in 0..2 {
        let id = handed_off_lead(&env, &format!("buyer{n}@pinecrest-analytics.com")).await;
        let row = handoff_row(&env, id).await;
        let written = env.contact(id).await.unwrap()["properties"]["hubspot_owner_id"].clone();
        assert_eq!(
            written,
            serde_json::json!(row.owner_id),
            "written as decided"
        );
        owners.push(row.owner_id.to_string());
    }
    owners.sort();
    assert_eq!(owners, ["301", "302"], "both US reps, by their HubSpot ids");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_shows_the_resolved_id_and_fails_an_email_no_active_owner_has() {
    let live = Live::start().await;
    live.setup().await;
    live.configure(
        "https://handoff.example.com/webhooks/hubspot",
        &email_only_layer(default_playbook()),
    );
    let report = live.doctor().await;
    assert!(failing(&report).is_empty(), "{report:#?}");
    let marcus = report
        .checks()
        .find(|c| c.id == "owner:marcus.reed@example.com")
        .unwrap();
    assert_eq!(marcus.status, Status::Pass);
    assert!(marcus.reason.contains("301"), "{}", marcus.reason);

    let patch = OwnerPatch {
        email: Some("m.reed@example.com".into()),
        archived: None,
    };
    live.sb.sandbox.patch_owner(301, patch).unwrap();
    let report = live.doctor().await;
    assert_eq!(failing(&report), ["owner:marcus.reed@example.com"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_start_check_names_an_unknown_id_and_an_unmatched_email() {
    use handoff::engine::roster::live::OwnerFinding;
    let live = Live::start().await;
    live.configure(
        "https://handoff.example.com/webhooks/hubspot",
        &email_only_layer(default_playbook()),
    );
    let loaded = live.loaded();
    let store = live.store(&loaded).await;
    let client = handoff::admin::portal_client(&loaded, Some(&store)).unwrap();
    assert!(check_portals(&client, &loaded.roster).await.is_empty());
    live.sb.sandbox.remove_owner(101).unwrap();
    live.sb.sandbox.remove_owner(302).unwrap();
    let found = check_portals(&client, &loaded.roster).await;
    assert_eq!(
        found,
        [
            (
                PortalId::new(62515).unwrap(),
                OwnerFinding::Missing {
                    id: handoff::hubspot::client::OwnerId::new(101).unwrap(),
                    email: "jonas.becker@example.com".into()
                }
            ),
            (
                PortalId::new(62515).unwrap(),
                OwnerFinding::Unresolved {
                    email: "priya.shah@example.com".into()
                }
            ),
        ]
    );
}
