//! A global fallback owner given by an email HubSpot has no owner for: a ready lead that falls
//! to it is never assigned the email. It is recorded as a ready decision without an owner or a
//! handoff (the unassigned-lead count), nothing is written to the contact, and `handoff doctor`
//! fails the fallback owner with the reason.

use handoff::config::DEFAULT_TOML;
use handoff::hubspot::client::{ContactId, PortalId};
use serde_json::json;

use crate::support::portal::{Live, check};
use crate::support::world::{new_lead, settle, start_with_layer};

const QUEUE: &str = "lead-queue@nowhere.example";

/// Every roster owner paused, and the global fallback owner given by an email no HubSpot
/// owner has.
fn nobody_but_the_queue(playbook: toml::Table) -> String {
    let all: toml::Table = toml::from_str(DEFAULT_TOML).unwrap();
    let mut roster = all["roster"].as_table().unwrap().clone();
    let owners = roster["owners"].as_array_mut().unwrap();
    for o in owners.iter_mut() {
        o.as_table_mut()
            .unwrap()
            .insert("paused".into(), true.into());
    }
    let queue = format!("email = \"{QUEUE}\"\nname = \"Queue\"\ntime_zone = \"UTC\"\n");
    owners.push(toml::Value::Table(toml::from_str(&queue).unwrap()));
    let mut top = toml::Table::new();
    top.insert("playbook".into(), toml::Value::Table(playbook));
    top.insert("roster".into(), toml::Value::Table(roster));
    let text = toml::to_string(&top).unwrap();
    text.replace(
        "fallback_owner = \"900\"\n",
        &format!("fallback_owner = \"{QUEUE}\"\n"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_that_falls_to_an_unresolved_fallback_owner_stays_unassigned_not_given_the_email() {
    let dir = tempfile::tempdir().unwrap();
    let env = start_with_layer(dir.path(), nobody_but_the_queue).await;
    let id = new_lead(&env, "buyer@pinecrest-analytics.com").await;
    env.deliver(&[env.event("contact.creation", id, json!({}))])
        .await
        .unwrap();
    settle(&env).await;
    let (portal, contact) = (
        PortalId::new(62515).unwrap(),
        ContactId::try_from(id).unwrap(),
    );
    let ledger = env.store.ledger();
    let decisions = ledger.decisions_of(portal, contact).await.unwrap();
    assert_eq!(decisions.len(), 1, "{decisions:#?}");
    let d = &decisions[0];
    assert_eq!(
        (d.outcome.as_str(), d.owner_id.as_ref()),
        ("handed_off", None)
    );
    assert!(
        d.explanation.contains("\"result\":\"unassigned\""),
        "{}",
        d.explanation
    );
    assert!(d.explanation.contains(QUEUE), "the step names the owner");
    assert!(ledger.handoff_of(portal, contact).await.unwrap().is_none());
    let written = env.contact(id).await.unwrap()["properties"]["hubspot_owner_id"].clone();
    assert!(
        written.is_null() || written == json!(""),
        "no owner written: {written}"
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_fails_a_global_fallback_owner_hubspot_cannot_resolve() {
    let live = Live::start().await;
    live.setup().await;
    let all: toml::Table = toml::from_str(DEFAULT_TOML).unwrap();
    let playbook = all["playbook"].as_table().unwrap().clone();
    live.configure(
        "https://handoff.example.com/webhooks/hubspot",
        &nobody_but_the_queue(playbook),
    );
    let report = live.doctor().await;
    let c = check(&report, "fallback:playbook.routing.fallback_owner");
    assert_eq!(c.status, handoff::admin::doctor::Status::Fail);
    assert!(c.reason.contains(QUEUE), "{}", c.reason);
    assert!(
        c.reason
            .contains("a lead that falls to it stays without an owner"),
        "{}",
        c.reason
    );
}
