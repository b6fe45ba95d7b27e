//! The ledger's record of a first-touch enrollment (`store::sequences`), on both engines: an
//! `attempted` call may be retried, a final outcome (`enrolled`, `skipped`) is never replaced,
//! so a handoff is enrolled at most once.

use handoff::engine::RoutingState;
use handoff::store::Dialect;
use handoff::store::ledger::{NewDecision, NewHandoff};
use handoff::store::sequences::SequenceOutcome;

const PORTAL: i64 = 62515;
const CONTACT: i64 = 4242;

fn decision(at: i64) -> NewDecision {
    NewDecision {
        contact_id: handoff_ids::ContactId::try_from(CONTACT).unwrap(),
        decided_at_ms: at,
        trigger: "contact.creation".into(),
        outcome: "handed_off".into(),
        owner_id: Some("300".parse().unwrap()),
        explanation: "{}".into(),
        facts: None,
        handoff: Some(NewHandoff {
            owner_id: "300".parse().unwrap(),
            team: Some("us".into()),
            score: 85,
            tier: Some("A".into()),
            sla_tier: Some("A".into()),
            source: None,
            trace_id: "trace-4242".into(),
            handed_off_at_ms: at,
            sla_due_at_ms: None,
            close_loop_due_ms: None,
            sla_plan: None,
            task_text: None,
        }),
    }
}

/// A store of `engine` with one handoff: (store, handoff id, its time).
async fn one_handoff(engine: Dialect) -> (crate::support::engines::TestStore, i64, i64) {
    let t = crate::support::engines::open_store(engine).await;
    let now = jiff::Timestamp::now().as_millisecond();
    let created = t
        .store
        .ledger()
        .record_decisions(
            handoff_ids::PortalId::try_from(PORTAL).unwrap(),
            now,
            move |_: &mut RoutingState| vec![decision(now)],
        )
        .await
        .unwrap();
    let id = created[0].1;
    (t, id, now)
}

async fn a_final_enrollment_outcome_is_never_replaced(engine: Dialect) {
    let (t, id, now) = one_handoff(engine).await;
    let store = &t.store;
    let state = |r: &handoff::store::sequences::SequenceRecord| {
        (
            r.sequence_state.clone(),
            r.sequence_reason.clone(),
            r.sequence_enrollment_id.clone(),
        )
    };
    let rec = store
        .sequences()
        .record(
            handoff_ids::PortalId::try_from(PORTAL).unwrap(),
            handoff_ids::ContactId::try_from(CONTACT).unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(state(&rec), (None, None, None), "nothing due yet");

    // The call is about to go out; after a lost answer it may go out again (after a read).
    assert!(store.sequences().attempted(id, "4001", now).await.unwrap());
    assert!(
        store
            .sequences()
            .attempted(id, "4001", now + 1)
            .await
            .unwrap()
    );
    let rec = store
        .sequences()
        .record(
            handoff_ids::PortalId::try_from(PORTAL).unwrap(),
            handoff_ids::ContactId::try_from(CONTACT).unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(rec.attempted() && !rec.is_final());
    assert_eq!(rec.sequence_id.as_deref(), Some("4001"));

    let enrolled = SequenceOutcome::Enrolled {
        enrollment_id: "770001".into(),
    };
    store
        .sequences()
        .finished(id, "4001", &enrolled, now + 2)
        .await
        .unwrap();
    // Once final: no further call, and a late outcome does not replace it.
    assert!(
        !store
            .sequences()
            .attempted(id, "4001", now + 3)
            .await
            .unwrap()
    );
    let late = SequenceOutcome::Skipped {
        reason: "already_enrolled",
    };
    store
        .sequences()
        .finished(id, "4001", &late, now + 4)
        .await
        .unwrap();
    let recs = store.sequences().records(&[id]).await.unwrap();
    assert_eq!(recs.len(), 1);
    assert!(recs[0].is_final());
    assert_eq!(
        state(&recs[0]),
        (Some("enrolled".into()), None, Some("770001".into()))
    );
    assert_eq!(recs[0].sequence_at_ms, Some(now + 2));
}

async fn a_skip_is_recorded_with_its_reason(engine: Dialect) {
    let (t, id, now) = one_handoff(engine).await;
    let store = &t.store;
    let skipped = SequenceOutcome::Skipped { reason: "no_seat" };
    store
        .sequences()
        .finished(id, "4001", &skipped, now)
        .await
        .unwrap();
    let rec = store
        .sequences()
        .record(
            handoff_ids::PortalId::try_from(PORTAL).unwrap(),
            handoff_ids::ContactId::try_from(CONTACT).unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            rec.sequence_state.as_deref(),
            rec.sequence_reason.as_deref(),
            rec.sequence_enrollment_id.as_deref()
        ),
        (Some("skipped"), Some("no_seat"), None)
    );
    assert!(
        !store
            .sequences()
            .attempted(id, "4001", now + 1)
            .await
            .unwrap()
    );
}

mod sqlite {
    #[tokio::test]
    async fn a_final_enrollment_outcome_is_never_replaced() {
        super::a_final_enrollment_outcome_is_never_replaced(handoff::store::Dialect::Sqlite).await;
    }

    #[tokio::test]
    async fn a_skip_is_recorded_with_its_reason() {
        super::a_skip_is_recorded_with_its_reason(handoff::store::Dialect::Sqlite).await;
    }
}

mod postgres {
    #[tokio::test]
    async fn a_final_enrollment_outcome_is_never_replaced() {
        super::a_final_enrollment_outcome_is_never_replaced(handoff::store::Dialect::Postgres)
            .await;
    }

    #[tokio::test]
    async fn a_skip_is_recorded_with_its_reason() {
        super::a_skip_is_recorded_with_its_reason(handoff::store::Dialect::Postgres).await;
    }
}
