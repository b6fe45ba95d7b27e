//! HubSpot misbehaving: a 429 storm and a steady share of 5xx answers from the sandbox while a
//! batch of leads arrives. Everything completes, once: no lead lost, none dead-lettered, one task
//! each, the owner written.

use handoff::demo::EnvOptions;
use handoff::store::ledger::Step;
use handoff::store::queue::DeadFilter;
use serde_json::{Value, json};

use std::time::Duration;

use crate::support::world::{calm, follow_ups, new_lead, run_until, settle, start_with};

const LEADS: usize = 24;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_storm_and_5xx_answers_delay_handoffs_but_lose_or_double_none() {
    let dir = tempfile::tempdir().unwrap();
    let env = start_with(
        dir.path(),
        EnvOptions {
            // No SLA step runs during the test: only the handoffs spend requests.
            speed: calm(),
            ..EnvOptions::default()
        },
    )
    .await;
    let mut ids = Vec::new();
    for i in 0..LEADS {
        ids.push(new_lead(&env, &format!("storm{i}@pinecrest-analytics.com")).await);
    }
    env.set_faults(&json!({
        "stormMs": 4000,
        "errorRate": 0.3,
        "seed": 11,
        "pathPrefix": "/crm/",
    }))
    .await
    .unwrap();
    // Two deliveries, the second one twice (a HubSpot retry), and out of order.
    let events: Vec<Value> = ids
        .iter()
        .map(|id| env.event("contact.creation", *id, json!({})))
        .collect();
    let (first, second) = events.split_at(LEADS / 2);
    assert_eq!(env.deliver(second).await.unwrap(), 200);
    assert_eq!(env.deliver(first).await.unwrap(), 200);
    assert_eq!(env.deliver(second).await.unwrap(), 200);

    run_until(
        &env,
        Duration::from_secs(600),
        "every lead handed off",
        || async {
            let portal = handoff_ids::PortalId::new(62515).unwrap();
            let contacts: Vec<_> = ids
                .iter()
                .map(|id| handoff_ids::ContactId::try_from(*id).unwrap())
                .collect();
            let rows = env
                .store
                .ledger()
                .handoffs_for(portal, &contacts)
                .await
                .unwrap();
            rows.len() == LEADS && rows.iter().all(|r| r.step == Step::SlaScheduled)
        },
    )
    .await;
    let stats = env.stats().await.unwrap();
    assert!(
        stats["rateLimited"].as_u64().unwrap() > 0 && stats["injected5xx"].as_u64().unwrap() > 0,
        "the faults were met: {stats}"
    );
    env.set_faults(&json!({})).await.unwrap();

    let dead = env
        .store
        .dead_letters()
        .list(&DeadFilter::default())
        .await
        .unwrap();
    assert!(dead.is_empty(), "nothing dead-lettered: {dead:#?}");
    for id in &ids {
        let own = env.tasks(Some(*id)).await.unwrap();
        assert_eq!(follow_ups(&own).len(), 1, "one task for {id}: {own:#?}");
        let row = env
            .store
            .ledger()
            .handoffs_for(
                handoff_ids::PortalId::new(62515).unwrap(),
                &[handoff_ids::ContactId::try_from(*id).unwrap()],
            )
            .await
            .unwrap()
            .remove(0);
        assert_eq!(
            env.contact(*id).await.unwrap()["properties"]["hubspot_owner_id"],
            json!(row.owner_id),
            "owner of {id} written back"
        );
        assert_eq!(
            row.task_id.map(|t| t.to_string()).as_deref(),
            follow_ups(&own)[0]["id"].as_str()
        );
    }
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_whose_company_cannot_be_read_waits_instead_of_being_decided_without_it() {
    let dir = tempfile::tempdir().unwrap();
    let env = start_with(dir.path(), EnvOptions::default()).await;
    let id = new_lead(&env, "company@pinecrest-analytics.com").await;
    env.set_faults(&json!({
        "pathPrefix": "/crm/objects/2026-09/companies/batch/read",
        "errorRate": 1.0,
        "errorStatuses": [503],
    }))
    .await
    .unwrap();
    env.deliver(&[env.event("contact.creation", id, json!({}))])
        .await
        .unwrap();
    settle(&env).await;
    let stats = env.stats().await.unwrap();
    assert!(
        stats["injected5xx"].as_u64().unwrap_or(0) > 0,
        "the company read failed: {stats}"
    );
    assert!(
        crate::support::world::decisions_of(&env, id)
            .await
            .is_empty(),
        "no decision on partial data"
    );
    env.set_faults(&json!({})).await.unwrap();
    let read = "the handoff once the company can be read";
    run_until(&env, Duration::from_secs(600), read, || async {
        let rows = env
            .store
            .ledger()
            .handoffs_for(
                handoff_ids::PortalId::new(62515).unwrap(),
                &[handoff_ids::ContactId::try_from(id).unwrap()],
            )
            .await
            .unwrap();
        rows.first().is_some_and(|r| r.step == Step::SlaScheduled)
    })
    .await;
    let decisions = crate::support::world::decisions_of(&env, id).await;
    assert_eq!(decisions.len(), 1);
    // The ICP flag needs the company's size and industry.
    assert!(
        decisions[0].explanation.contains(r#""flags":["icp"]"#),
        "decided with its company: {}",
        decisions[0].explanation
    );
    env.stop().await;
}
