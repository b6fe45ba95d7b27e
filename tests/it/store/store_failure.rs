//! When the store cannot commit, HubSpot hears 503 (and retries), and nothing half-written stays.

use crate::support::app::*;

#[tokio::test]
async fn a_store_that_cannot_commit_answers_503_and_keeps_no_part_of_the_batch() {
    let app = spawn_app().await;
    assert_eq!(
        app.post_signed_fixture("contact_creation.json")
            .await
            .status(),
        200
    );
    // Break the job table behind the service's back: the inbox insert succeeds, the job insert
    // fails, and the transaction must take the inbox rows back with it.
    let pool = app.pool().await;
    sqlx::query("ALTER TABLE jobs RENAME TO jobs_gone")
        .execute(&pool)
        .await
        .unwrap();
    let response = app.post_signed_fixture("import_burst_100.json").await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "store_unavailable");
    assert_eq!(app.inbox_rows().await, 1);
    let readiness = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(readiness.status(), 200, "the store still answers reads");

    // Once the store is whole again, HubSpot's retry of the same delivery goes through.
    sqlx::query("ALTER TABLE jobs_gone RENAME TO jobs")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let retry = app.post_signed_fixture("import_burst_100.json").await;
    assert_eq!(retry.status(), 200);
    assert_eq!(app.job_rows().await, 101);
    app.stop().await;
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let app = spawn_app().await;
    assert_eq!(
        app.client
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    app.store.close().await;
    assert_eq!(
        app.client
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        503
    );
    assert_eq!(
        app.client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // A closed store cannot take a delivery: 503, so HubSpot keeps it.
    assert_eq!(
        app.post_signed_fixture("contact_creation.json")
            .await
            .status(),
        503
    );
}

/// The error of reading the seeded ledger's handoffs after `corrupt` (SQL) ran on it.
async fn handoffs_error_after(corrupt: &'static str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let (store, url, _) =
        crate::support::ledger::seeded(handoff::store::Dialect::Sqlite, dir.path()).await;
    let rows = store.ledger().handoffs_since(0).await.unwrap();
    assert!(
        rows.iter().any(|r| r.task_id.is_some()),
        "seeded with a task"
    );
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let changed = sqlx::query(corrupt).execute(&pool).await.unwrap();
    assert!(changed.rows_affected() > 0, "{corrupt}");
    pool.close().await;
    let err = store.ledger().handoffs_since(0).await.unwrap_err();
    err.to_string()
}

#[tokio::test]
async fn a_stored_handoff_whose_contact_id_is_out_of_range_fails_to_load_and_is_not_contact_0() {
    let err = handoffs_error_after(
        "UPDATE handoffs SET contact_id = 0 WHERE id = (SELECT MIN(id) FROM handoffs)",
    )
    .await;
    // A StoreError naming the column (sqlx does not print the id's own error).
    assert!(err.contains("decoding column contact_id"), "{err}");
}

#[tokio::test]
async fn a_stored_handoff_whose_task_id_is_not_a_task_id_fails_to_load_and_is_not_dropped() {
    let err =
        handoffs_error_after("UPDATE handoffs SET task_id = 'T-1' WHERE task_id IS NOT NULL").await;
    assert!(err.contains("decoding column task_id"), "{err}");
}

/// An owner id is text in the ledger: a handoff whose owner is an email (as a fallback owner
/// HubSpot never resolved was once assigned) fails to load naming the column; it never reaches
/// HubSpot as an owner.
#[tokio::test]
async fn a_stored_handoff_whose_owner_id_is_an_email_fails_to_load() {
    let err = handoffs_error_after(
        "UPDATE handoffs SET owner_id = 'queue@example.com' WHERE id = (SELECT MIN(id) FROM handoffs)",
    )
    .await;
    assert!(err.contains("decoding column owner_id"), "{err}");
}

/// A decision's owner id is read back typed as well, by the ledger and the KPIs.
#[tokio::test]
async fn a_stored_decision_whose_owner_id_is_not_an_id_fails_to_load() {
    let dir = tempfile::tempdir().unwrap();
    let (store, url, _) =
        crate::support::ledger::seeded(handoff::store::Dialect::Sqlite, dir.path()).await;
    let rows = store.ledger().handoffs_since(0).await.unwrap();
    let (portal, contact) = (rows[0].portal_id, rows[0].contact_id);
    let decisions = store.ledger().decisions_of(portal, contact).await.unwrap();
    assert!(
        decisions.iter().any(|d| d.owner_id.is_some()),
        "{decisions:?}"
    );
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("UPDATE decisions SET owner_id = 'queue@example.com' WHERE owner_id IS NOT NULL")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let err = store
        .ledger()
        .decisions_of(portal, contact)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("decoding column owner_id"),
        "{err}"
    );
    // The KPIs' ready leads read the decided owner typed too: no lead counts for `queue@…`.
    let err = store.kpis().ready_leads_since(0).await.unwrap_err();
    let err = err.to_string();
    assert!(err.contains("decoding column decided_owner"), "{err}");
}

/// The KPI rows and the decision facts read ids typed too: a decision whose contact or portal
/// id is out of range fails the report with a StoreError naming the column, never counts as
/// lead 0.
#[tokio::test]
async fn a_stored_decision_whose_id_is_out_of_range_fails_the_kpi_and_tune_reads() {
    let dir = tempfile::tempdir().unwrap();
    let (store, url, _) =
        crate::support::ledger::seeded(handoff::store::Dialect::Sqlite, dir.path()).await;
    let kpis = store.kpis();
    assert!(!kpis.lead_outcomes_since(0).await.unwrap().is_empty());
    let portal = handoff_ids::PortalId::new(62515).unwrap();
    let facts = kpis.decision_facts_between(portal, 0, i64::MAX);
    assert!(!facts.await.unwrap().is_empty(), "seeded with facts");
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("UPDATE decisions SET contact_id = -7")
        .execute(&pool)
        .await
        .unwrap();
    let err = kpis.lead_outcomes_since(0).await.unwrap_err().to_string();
    assert!(err.contains("decoding column contact_id"), "{err}");
    let err = kpis.decision_facts_between(portal, 0, i64::MAX);
    let err = err.await.unwrap_err().to_string();
    assert!(err.contains("decoding column contact_id"), "{err}");
    sqlx::query("UPDATE decisions SET contact_id = 7, portal_id = 0")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let err = kpis.lead_outcomes_since(0).await.unwrap_err().to_string();
    assert!(err.contains("decoding column portal_id"), "{err}");
}
