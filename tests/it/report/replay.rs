//! `handoff simulate --playbook FILE` without `--contacts`: the contacts recorded with the
//! ledger's decisions replayed through a candidate playbook, against what was recorded.

use std::path::Path;

use handoff::engine::RoutingState;
use handoff::store::ledger::NewDecision;
use handoff::store::{Dialect, Store};

use super::review::portal_toml;
use crate::support::cli;
use crate::support::ledger::{PORTAL, examples, with_facts};

/// Three decisions of the shipped DACH demo contact, each with its snapshot: contact 1 as the
/// configured playbook decides it, contact 2 recorded as not ready, contact 3 unreadable.
/// Returns the store URL and the recorded owner and tier of contact 1.
async fn seeded(engine: Dialect, dir: &Path) -> (String, String, Option<String>) {
    let loaded = crate::support::app::load_config(
        dir,
        &portal_toml(dir),
        &[("HANDOFF__ENGINE__EXAMPLES_DIR", examples().as_str())],
    );
    let contact =
        handoff::admin::load_contact(&Path::new(&examples()).join("dach-enterprise-demo.json"))
            .unwrap();
    let at: jiff::Timestamp = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(48))
        .round(jiff::Unit::Second)
        .unwrap();
    let decided = handoff::admin::explain(&contact, &loaded.playbook, &loaded.roster, at);
    let owner = decided
        .routing
        .as_ref()
        .unwrap()
        .assignment
        .as_ref()
        .unwrap()
        .owner_id
        .to_string();
    let snapshot = serde_json::to_string(&handoff::engine::snapshot::snapshot(
        &contact,
        &loaded.playbook,
    ))
    .unwrap();
    let record = |id: i64, outcome: &str, owner: Option<&str>, tier: Option<String>, snap: &str| {
        let mut d: NewDecision =
            with_facts(id, at.as_millisecond(), "1", ("p", None), (0, "", "", &[]));
        d.outcome = outcome.into();
        d.owner_id = owner.map(|o| o.parse().unwrap());
        if let Some(f) = d.facts.as_mut() {
            f.tier = tier;
            f.contact = Some(snap.into());
        }
        d
    };
    let tier = decided.score.tier.clone();
    let decisions = vec![
        record(1, "handed_off", Some(&owner), tier.clone(), &snapshot),
        record(2, "not_ready", None, None, &snapshot),
        record(3, "not_ready", None, None, "not a contact"),
    ];
    let url = crate::support::engines::fresh_url(engine, dir).await;
    let store = Store::connect(&crate::support::engines::settings(&url))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    store
        .ledger()
        .record_decisions(
            handoff_ids::PortalId::try_from(PORTAL).unwrap(),
            at.as_millisecond(),
            move |_: &mut RoutingState| decisions,
        )
        .await
        .unwrap();
    store.close().await;
    (url, owner, tier)
}

async fn simulate_replays_the_recorded_contacts_against_what_was_recorded(engine: Dialect) {
    let dir = tempfile::tempdir().unwrap();
    let (url, owner, tier) = seeded(engine, dir.path()).await;
    let config_dir = dir.path().join("config");
    let mut cmd = cli::configured(dir.path());
    cmd.env("HANDOFF__STORE__URL", &url);
    let candidate = concat!(env!("CARGO_MANIFEST_DIR"), "/config/default.toml");
    let args = [
        "--config",
        config_dir.to_str().unwrap(),
        "simulate",
        "--playbook",
        candidate,
        "--since",
        "7d",
    ];
    let out = cli::run(cmd, &args);
    assert!(out.status.success(), "{}", cli::stderr(&out));
    let text = cli::stdout(&out);
    let tier = tier.as_deref().unwrap_or("-");
    for line in [
        "Replayed 2 recorded leads through playbook",
        "(1 unreadable snapshots left out)",
        "handed off: 1 recorded, 2 with the candidate; 1 leads change",
        &format!("  contact 2: not_ready owner - tier - -> handed_off owner {owner} tier {tier}"),
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    assert!(
        !text.contains("contact 1:"),
        "contact 1 decides the same: {text}"
    );
}

on_both_engines!(simulate_replays_the_recorded_contacts_against_what_was_recorded);
