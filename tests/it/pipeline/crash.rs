//! A crash between writing the owner and creating the task: the real binary, SIGKILLed while
//! its task create is in flight, restarted on the same store — one task, not two.

use handoff::demo::EnvOptions;
use handoff::demo::service::ServiceMode;
use handoff::store::ledger::Step;
use serde_json::json;

use crate::support::world::{
    calm, crash_and_finish, follow_ups, handoff_row, new_lead, poll_child, start_with,
};

/// Short leases so the restarted process picks up the killed one's job within seconds, and a
/// first touch far away so no SLA step runs during the test.
const EXTRA: &str = r#"
[queue]
lease_ms = 2000
maintenance_interval_ms = 1000
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkill_after_the_owner_is_written_and_the_task_sent_leaves_one_task() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = start_with(
        dir.path(),
        EnvOptions {
            speed: calm(),
            extra_settings: EXTRA.into(),
            service: ServiceMode::Binary(env!("CARGO_BIN_EXE_handoff").into()),
            ..EnvOptions::default()
        },
    )
    .await;
    // HubSpot creates the task but its answer never arrives before the crash.
    env.set_faults(&json!({
        "pathPrefix": "/crm/objects/2026-09/tasks/batch/create",
        "responseDelayMs": 120_000,
    }))
    .await
    .unwrap();
    let id = new_lead(&env, "crash@pinecrest-analytics.com").await;
    let status = env
        .deliver(&[env.event("contact.creation", id, json!({}))])
        .await
        .unwrap();
    assert_eq!(status, 200, "accepted before the crash");

    poll_child(
        20,
        "the owner written and the task created in HubSpot",
        || async {
            let owner = env.contact(id).await.unwrap()["properties"]["hubspot_owner_id"].clone();
            owner.is_string() && !env.tasks(Some(id)).await.unwrap().is_empty()
        },
    )
    .await;
    let row = handoff_row(&env, id).await;
    assert_eq!(
        row.step,
        Step::ContactWritten,
        "the crash comes between the two steps"
    );
    assert!(row.task_attempted_at_ms.is_some());

    crash_and_finish(&mut env, id).await;
    let tasks = env.tasks(Some(id)).await.unwrap();
    let follow = follow_ups(&tasks);
    assert_eq!(follow.len(), 1, "one task, not two: {tasks:#?}");
    let row = handoff_row(&env, id).await;
    assert_eq!(
        row.task_id.map(|t| t.to_string()).as_deref(),
        follow[0]["id"].as_str(),
        "the ledger found the task created before the crash"
    );
    assert_eq!(
        env.contact(id).await.unwrap()["properties"]["hubspot_owner_id"],
        json!(row.owner_id)
    );
    env.stop().await;
}
