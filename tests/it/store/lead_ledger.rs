//! The ledger's Lead rows (`handoff_leads`, migration 0007) on both engines: marked before the
//! create is sent (again when it is sent again), never overwritten once created, found by lead id
//! for stage webhooks, and the owner recorded after a reassignment.

use handoff::store::Dialect;
use handoff::store::ledger::LeadSettled;

use crate::support::engines::open_store;

const PORTAL: i64 = 62515;

async fn a_lead_is_marked_once_settled_once_and_found_by_its_id(engine: Dialect) {
    let t = open_store(engine).await;
    let store = &t.store;
    store
        .leads()
        .attempted(
            handoff_ids::PortalId::try_from(PORTAL).unwrap(),
            &[1, 2, 3],
            1_000,
        )
        .await
        .unwrap();
    // Sent again after a lookup found nothing: the lookup waits from the latest send.
    store
        .leads()
        .attempted(
            handoff_ids::PortalId::try_from(PORTAL).unwrap(),
            &[1],
            1_500,
        )
        .await
        .unwrap();
    let created = LeadSettled::Created {
        lead_id: "777",
        owner_id: "301".parse().unwrap(),
    };
    store.leads().settled(1, created, 2_000).await.unwrap();
    store
        .leads()
        .settled(2, LeadSettled::Refused("leads not set up"), 2_000)
        .await
        .unwrap();
    // A late failure report cannot undo a created lead.
    store
        .leads()
        .settled(1, LeadSettled::Failed("timeout"), 3_000)
        .await
        .unwrap();
    let rows = store.leads().of_handoffs(&[1, 2, 3, 4]).await.unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[&1].state, "created");
    assert_eq!(rows[&1].lead_id.as_deref(), Some("777"));
    assert_eq!(rows[&1].owner_id.map(|o| o.get()), Some(301));
    assert_eq!(rows[&1].attempted_at_ms, 1_500);
    assert_eq!(rows[&2].state, "refused");
    assert_eq!(rows[&2].error.as_deref(), Some("leads not set up"));
    assert_eq!(rows[&3].state, "attempted");

    let found = store
        .leads()
        .handoffs_by_lead(
            handoff_ids::PortalId::try_from(PORTAL).unwrap(),
            &[777, 888],
        )
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[&777], 1);
    assert!(
        store
            .leads()
            .handoffs_by_lead(handoff_ids::PortalId::new(7).unwrap(), &[777])
            .await
            .unwrap()
            .is_empty(),
        "another portal's lead with the same id is not this one"
    );

    // A settled lead is never marked again.
    store
        .leads()
        .attempted(
            handoff_ids::PortalId::try_from(PORTAL).unwrap(),
            &[1, 2],
            3_500,
        )
        .await
        .unwrap();
    let rows = store.leads().of_handoffs(&[1, 2]).await.unwrap();
    assert_eq!(
        (rows[&1].state.as_str(), rows[&1].attempted_at_ms),
        ("created", 1_500)
    );
    assert_eq!(
        (rows[&2].state.as_str(), rows[&2].attempted_at_ms),
        ("refused", 1_000)
    );

    store
        .leads()
        .owner_written(1, "302".parse().unwrap(), 4_000)
        .await
        .unwrap();
    let rows = store.leads().of_handoffs(&[1]).await.unwrap();
    assert_eq!(rows[&1].owner_id.map(|o| o.get()), Some(302));
    assert_eq!(rows[&1].updated_at_ms, 4_000);
}

on_both_engines!(a_lead_is_marked_once_settled_once_and_found_by_its_id);
