//! The unassigned-lead count that must stay 0: ready leads that, after the grace period, still
//! have no handoff, or an open handoff without its owner's task. Read from the ledger through
//! the store and through `/metrics`, on both engines.

use handoff::engine::RoutingState;
use handoff::report::UNASSIGNED_GRACE_MS;
use handoff::store::Dialect;
use handoff::store::ledger::{NewDecision, NewHandoff, Step, Unassigned};

use crate::support::scrape::scrape;

const PORTAL: i64 = 62515;
const MINUTE: i64 = 60_000;
const DAY: i64 = 24 * 60 * MINUTE;

fn decision(contact_id: i64, at: i64, outcome: &str, handoff: bool) -> NewDecision {
    NewDecision {
        contact_id: handoff_ids::ContactId::try_from(contact_id).unwrap(),
        decided_at_ms: at,
        trigger: "contact.creation".into(),
        outcome: outcome.into(),
        owner_id: Some("101".parse().unwrap()),
        explanation: "{}".into(),
        facts: None,
        handoff: handoff.then(|| NewHandoff {
            owner_id: "101".parse().unwrap(),
            team: Some("dach".into()),
            score: 80,
            tier: Some("A".into()),
            sla_tier: Some("A".into()),
            source: None,
            trace_id: format!("trace-{contact_id}"),
            handed_off_at_ms: at,
            sla_due_at_ms: Some(at + 10 * MINUTE),
            close_loop_due_ms: None,
            sla_plan: None,
            task_text: None,
        }),
    }
}

/// The ledger, with `old` = past the grace period and `new` = within it:
/// - 1 old, stuck before the owner write; 2 old, owner written but no task; 3 old, task created;
/// - 4 new, not yet written (the pipeline still has time);
/// - 5 old ready decision without a handoff; 6 the same, new;
/// - 7 old, stuck before the owner write but closed by a disposition; 8 old, not ready;
/// - 9 a ready decision without a handoff from before the 30-day look-back.
async fn seed(store: &handoff::store::Store, now: i64) {
    let old = now - UNASSIGNED_GRACE_MS - MINUTE;
    let new = now - MINUTE;
    let decisions = vec![
        decision(1, old, "handed_off", true),
        decision(2, old, "handed_off", true),
        decision(3, old, "handed_off", true),
        decision(4, new, "handed_off", true),
        decision(5, old, "handed_off", false),
        decision(6, new, "handed_off", false),
        decision(7, old, "handed_off", true),
        decision(8, old, "not_ready", false),
        decision(9, now - 31 * DAY, "handed_off", false),
    ];
    let created = store
        .ledger()
        .record_decisions(
            handoff_ids::PortalId::try_from(PORTAL).unwrap(),
            now,
            move |_: &mut RoutingState| decisions,
        )
        .await
        .unwrap();
    let id = |contact: i64| {
        created
            .iter()
            .find(|(c, _)| *c == handoff_ids::ContactId::try_from(contact).unwrap())
            .unwrap()
            .1
    };
    store
        .ledger()
        .advance(&[id(2)], Step::ContactWritten, now)
        .await
        .unwrap();
    store
        .ledger()
        .task_created(id(3), handoff_ids::TaskId::new(7003).unwrap(), now)
        .await
        .unwrap();
    let closed = store.ledger().handoff(id(7)).await.unwrap().unwrap();
    store
        .ledger()
        .record_disposition(&closed, "disqualified", Some("spam"), None, now)
        .await
        .unwrap();
}

async fn ready_leads_without_a_task_past_the_grace_period_are_counted_by_stage(engine: Dialect) {
    let app = crate::support::app::spawn_app_on(engine, "", &[]).await;
    let now = jiff::Timestamp::now().as_millisecond();
    seed(&app.store, now).await;

    let counted = app
        .store
        .kpis()
        .unassigned_leads(now - 30 * DAY, now - UNASSIGNED_GRACE_MS)
        .await
        .unwrap();
    let expected = Unassigned {
        not_handed_off: 1,
        decided: 1,
        contact_written: 1,
    };
    assert_eq!(counted, expected);

    let m = scrape(&app.url("")).await;
    for (stage, leads) in [
        ("not_handed_off", 1.0),
        ("decided", 1.0),
        ("contact_written", 1.0),
    ] {
        let series = format!("handoff_kpi_unassigned_leads{{stage=\"{stage}\"}}");
        assert_eq!(m.value(&series), leads, "{series}");
    }
    app.stop().await;
}

async fn an_empty_ledger_has_no_unassigned_lead(engine: Dialect) {
    let app = crate::support::app::spawn_app_on(engine, "", &[]).await;
    let m = scrape(&app.url("")).await;
    for stage in ["not_handed_off", "decided", "contact_written"] {
        let series = format!("handoff_kpi_unassigned_leads{{stage=\"{stage}\"}}");
        assert_eq!(m.value(&series), 0.0, "{series}");
    }
    app.stop().await;
}

mod sqlite {
    #[tokio::test]
    async fn ready_leads_without_a_task_past_the_grace_period_are_counted_by_stage() {
        super::ready_leads_without_a_task_past_the_grace_period_are_counted_by_stage(
            handoff::store::Dialect::Sqlite,
        )
        .await;
    }

    #[tokio::test]
    async fn an_empty_ledger_has_no_unassigned_lead() {
        super::an_empty_ledger_has_no_unassigned_lead(handoff::store::Dialect::Sqlite).await;
    }
}

mod postgres {
    #[tokio::test]
    async fn ready_leads_without_a_task_past_the_grace_period_are_counted_by_stage() {
        super::ready_leads_without_a_task_past_the_grace_period_are_counted_by_stage(
            handoff::store::Dialect::Postgres,
        )
        .await;
    }

    #[tokio::test]
    async fn an_empty_ledger_has_no_unassigned_lead() {
        super::an_empty_ledger_has_no_unassigned_lead(handoff::store::Dialect::Postgres).await;
    }
}
