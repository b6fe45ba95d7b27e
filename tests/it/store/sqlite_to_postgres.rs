//! `scripts/sqlite-to-postgres` (docs/operations.md, "Move from SQLite to PostgreSQL"): a store
//! that has handed off a lead, holds a pause, a dead letter and sealed tokens reads the same on
//! PostgreSQL after the copy, and new rows continue after the copied ids.

use std::path::Path;
use std::process::Command;

use handoff::store::queue::{DeadFilter, OnExisting, Outcome, Scheduled};
use handoff::store::{Dialect, NewJob, SealedRecord, Store};
use serde_json::json;

use crate::support::engines::{fresh_url, settings};
use crate::support::world::{handed_off_lead, start_at};

const PORTAL: i64 = 62515;

fn copy(db: &Path, url: &str) -> std::process::Output {
    Command::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scripts/sqlite-to-postgres"
    ))
    .arg(db)
    .arg(url)
    .output()
    .unwrap()
}

/// A job that died, and one held back by an auth failure for an hour, in a lane no worker runs.
async fn dead_letter(store: &Store) {
    let now = jiff::Timestamp::now().as_millisecond();
    let held = Scheduled {
        job: NewJob {
            lane: "parked",
            key: format!("{PORTAL}:0-1:2"),
            kind: "hubspot_event.v1",
            payload: serde_json::value::to_raw_value(&json!({})).unwrap(),
            occurred_at_ms: 1,
        },
        run_at_ms: now - 60_000,
        max_attempts: 5,
    };
    store
        .queue()
        .schedule(&held, OnExisting::Keep, now)
        .await
        .unwrap();
    let claimed = store
        .queue()
        .claim("parked", "w", now, 60_000, 1)
        .await
        .unwrap();
    let retry = Outcome::Retry {
        at_ms: now + 3_600_000,
        error: "hubspot.auth.token_rejected: refused".into(),
    };
    store
        .queue()
        .finish(claimed[0].id, "w", &retry, now)
        .await
        .unwrap();
    let job = NewJob {
        lane: "parked",
        key: format!("{PORTAL}:0-1:1"),
        kind: "hubspot_event.v1",
        payload: serde_json::value::to_raw_value(
            &json!({"note": "a \"quoted\", multi\nline payload"}),
        )
        .unwrap(),
        occurred_at_ms: 1,
    };
    let scheduled = Scheduled {
        job,
        run_at_ms: now,
        max_attempts: 1,
    };
    store
        .queue()
        .schedule(&scheduled, OnExisting::Keep, now)
        .await
        .unwrap();
    let claimed = store
        .queue()
        .claim("parked", "w", now, 60_000, 1)
        .await
        .unwrap();
    let reason = "hubspot.permanent.rejected: \"\" and, commas".to_string();
    store
        .queue()
        .finish(claimed[0].id, "w", &Outcome::Dead { reason }, now)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_copy_to_postgres_keeps_every_row_and_new_ids_follow_the_copied_ones() {
    let dir = tempfile::tempdir().unwrap();
    let env = start_at(dir.path(), handoff::demo::setup::Speed::default()).await;
    let id = handed_off_lead(&env, "lena@pinecrest-analytics.com").await;
    env.store
        .portals()
        .pause(
            handoff_ids::PortalId::try_from(PORTAL).unwrap(),
            Some("moving to PostgreSQL"),
            1_000,
        )
        .await
        .unwrap();
    dead_letter(&env.store).await;
    let sealed = SealedRecord {
        nonce: vec![0, 1, 2, 255],
        ciphertext: vec![9; 40],
    };
    env.store
        .secrets()
        .save(
            handoff_ids::PortalId::try_from(PORTAL).unwrap(),
            &sealed,
            2_000,
        )
        .await
        .unwrap();
    let handoff_id = env
        .store
        .ledger()
        .handoffs_for(
            handoff_ids::PortalId::try_from(PORTAL).unwrap(),
            &[handoff_ids::ContactId::try_from(id).unwrap()],
        )
        .await
        .unwrap()[0]
        .id;
    env.store
        .leads()
        .attempted(
            handoff_ids::PortalId::try_from(PORTAL).unwrap(),
            &[handoff_id],
            3_000,
        )
        .await
        .unwrap();
    let lead = handoff::store::ledger::LeadSettled::Created {
        lead_id: "4242",
        owner_id: "301".parse().unwrap(),
    };
    env.store
        .leads()
        .settled(handoff_id, lead, 3_000)
        .await
        .unwrap();
    env.stop().await;

    let db = dir.path().join("handoff-demo.db");
    let url = fresh_url(Dialect::Postgres, dir.path()).await;
    let target = Store::connect(&settings(&url)).await.unwrap();
    target.migrate().await.unwrap();
    let out = copy(&db, &url);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(printed.contains("handoffs"), "{printed}");

    let source = Store::connect(&settings(&format!("sqlite://{}", db.display())))
        .await
        .unwrap();
    assert_eq!(
        target.inbox().count().await.unwrap(),
        source.inbox().count().await.unwrap()
    );
    let now = jiff::Timestamp::now().as_millisecond();
    assert_eq!(
        target.queue().depth(now).await.unwrap(),
        source.queue().depth(now).await.unwrap(),
        "the same queue, scheduled SLA checks included"
    );
    let held = target.queue().depth(now).await.unwrap();
    let held = held
        .iter()
        .find(|d| d.lane == "parked" && d.status == "held");
    assert!(
        held.is_some_and(|d| d.oldest_due_ms < Some(now - 50_000)),
        "a held job keeps the time it became due: {held:?}"
    );
    let dead = source
        .dead_letters()
        .list(&DeadFilter::default())
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        target
            .dead_letters()
            .list(&DeadFilter::default())
            .await
            .unwrap(),
        dead
    );
    assert_eq!(
        target.portals().pauses().await.unwrap(),
        source.portals().pauses().await.unwrap()
    );
    assert_eq!(
        target
            .secrets()
            .load(handoff_ids::PortalId::try_from(PORTAL).unwrap())
            .await
            .unwrap(),
        Some(sealed)
    );
    let handoffs = source
        .ledger()
        .handoffs_for(
            handoff_ids::PortalId::try_from(PORTAL).unwrap(),
            &[handoff_ids::ContactId::try_from(id).unwrap()],
        )
        .await
        .unwrap();
    assert_eq!(handoffs.len(), 1);
    assert_eq!(
        target
            .ledger()
            .handoffs_for(
                handoff_ids::PortalId::try_from(PORTAL).unwrap(),
                &[handoff_ids::ContactId::try_from(id).unwrap()]
            )
            .await
            .unwrap(),
        handoffs
    );
    assert_eq!(
        target
            .ledger()
            .decisions_of(
                handoff_ids::PortalId::try_from(PORTAL).unwrap(),
                handoff_ids::ContactId::try_from(id).unwrap()
            )
            .await
            .unwrap(),
        source
            .ledger()
            .decisions_of(
                handoff_ids::PortalId::try_from(PORTAL).unwrap(),
                handoff_ids::ContactId::try_from(id).unwrap()
            )
            .await
            .unwrap()
    );
    let leads = source.leads().of_handoffs(&[handoffs[0].id]).await.unwrap();
    assert_eq!(leads.len(), 1, "the handoff's lead row");
    assert_eq!(
        target.leads().of_handoffs(&[handoffs[0].id]).await.unwrap(),
        leads
    );

    // New jobs continue after the copied ids.
    let now = jiff::Timestamp::now().as_millisecond();
    let job = NewJob {
        lane: "parked",
        key: "1:0-1:2".into(),
        kind: "probe.v1",
        payload: serde_json::value::to_raw_value(&json!({})).unwrap(),
        occurred_at_ms: 1,
    };
    let scheduled = Scheduled {
        job,
        run_at_ms: now + 3_600_000,
        max_attempts: 1,
    };
    let new_id = target
        .queue()
        .schedule(&scheduled, OnExisting::Keep, now)
        .await
        .unwrap();
    assert!(new_id > dead[0].id, "new id {new_id} after {}", dead[0].id);

    let again = copy(&db, &url);
    assert!(
        !again.status.success(),
        "a second copy into a full database"
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("already has"));
    source.close().await;
    target.close().await;
}
