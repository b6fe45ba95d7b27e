//! Decision facts: the worker records with each decision what it was (score, tier, source,
//! buying role, route, matched rules) and the contact as the playbook read it, and erasing the
//! contact erases them with the decision.

use serde_json::{Value, json};

use crate::support::world::{settle, start, us_lead};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_records_its_facts_and_erasing_the_contact_removes_them() {
    let dir = tempfile::tempdir().unwrap();
    let env = start(dir.path()).await;
    let mut lead = us_lead("julia@pinecrest-analytics.com");
    lead["hs_analytics_source"] = json!("PAID_SEARCH");
    lead["favorite_color"] = json!("teal");
    let company = env
        .upsert_company(
            None,
            &json!({"name": "Pinecrest Analytics Inc.", "numberofemployees": "85",
            "domain": "pinecrest-analytics.com", "country": "US"}),
        )
        .await
        .unwrap();
    let id = env
        .upsert_contact(None, &lead, Some(&company))
        .await
        .unwrap();
    env.deliver(&[env.event("contact.creation", id, json!({}))])
        .await
        .unwrap();
    settle(&env).await;

    let ledger = env.store.ledger();
    let decisions = ledger
        .decisions_of(PORTAL_ID, contact_id(id))
        .await
        .unwrap();
    assert_eq!(decisions.len(), 1, "{decisions:#?}");
    let explained: Value = serde_json::from_str(&decisions[0].explanation).unwrap();
    let facts = env
        .store
        .kpis()
        .decision_facts_between(
            handoff_ids::PortalId::try_from(62515_i64).unwrap(),
            0,
            i64::MAX,
        )
        .await
        .unwrap();
    let f = facts
        .iter()
        .find(|f| f.contact_id == contact_id(id))
        .unwrap();
    let handoff = ledger
        .handoff_of(PORTAL_ID, contact_id(id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(f.outcome, "handed_off");
    assert_eq!(f.score_total, Some(handoff.score));
    assert_eq!(f.tier, handoff.tier);
    assert_eq!(f.source.as_deref(), Some("PAID_SEARCH"));
    assert_eq!(
        f.buying_role.as_deref(),
        explained["buying_role"].as_str(),
        "{explained:#}"
    );
    let via = &explained["routing"]["assignment"]["via"];
    assert_eq!(f.route_kind.as_deref(), via["kind"].as_str());
    assert_eq!(f.route_pool.as_deref(), via["pool"].as_str());
    assert_eq!(f.route_kind.as_deref(), Some("pool"), "{explained:#}");
    assert_eq!(f.fallback_from, None, "the first pool had a rep");
    let matched: Vec<String> = ["fit", "engagement"]
        .iter()
        .flat_map(|g| explained["score"][g]["matched"].as_array().unwrap().clone())
        .map(|h| h["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(!matched.is_empty());
    assert_eq!(f.rules(), Some(matched));
    assert_eq!(f.handoff_owner, Some(handoff.owner_id));

    let recorded = env
        .store
        .kpis()
        .recorded_contacts_between(
            handoff_ids::PortalId::try_from(62515_i64).unwrap(),
            0,
            i64::MAX,
        )
        .await
        .unwrap();
    let snap: Value = serde_json::from_str(&recorded[0].contact).unwrap();
    assert_eq!(snap["properties"]["email"], "julia@pinecrest-analytics.com");
    assert_eq!(snap["properties"]["country"], "US");
    assert!(
        snap["properties"].get("favorite_color").is_none(),
        "only what the playbook reads: {snap:#}"
    );

    env.deliver(&[env.event("contact.privacyDeletion", id, json!({}))])
        .await
        .unwrap();
    settle(&env).await;
    let kpis = env.store.kpis();
    assert!(
        kpis.recorded_contacts_between(
            handoff_ids::PortalId::try_from(62515_i64).unwrap(),
            0,
            i64::MAX
        )
        .await
        .unwrap()
        .is_empty(),
        "the snapshot is erased with the contact"
    );
    assert!(
        kpis.decision_facts_between(
            handoff_ids::PortalId::try_from(62515_i64).unwrap(),
            0,
            i64::MAX
        )
        .await
        .unwrap()
        .is_empty()
    );
    env.stop().await;
}

const PORTAL_ID: handoff_ids::PortalId = handoff_ids::PortalId::new(62515).unwrap();

fn contact_id(id: i64) -> handoff_ids::ContactId {
    handoff_ids::ContactId::try_from(id).unwrap()
}
