//! A week of ledger, written through the `Store` API as the pipeline writes it: the report and
//! review tests read it back.

use std::path::Path;

use handoff::engine::RoutingState;
use handoff::store::ledger::{NewDecision, NewHandoff};
use handoff::store::{Dialect, Store};

pub const PORTAL: i64 = 62515;
pub const MINUTE: i64 = 60_000;
pub const HOUR: i64 = 60 * MINUTE;
pub const DAY: i64 = 24 * HOUR;

pub fn examples() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/contacts").to_owned()
}

/// The engine's real explanation for the shipped DACH enterprise demo contact.
pub(crate) fn explanation(dir: &Path) -> String {
    let loaded = crate::support::app::load_config(
        dir,
        "",
        &[("HANDOFF__ENGINE__EXAMPLES_DIR", examples().as_str())],
    );
    let contact =
        handoff::admin::load_contact(&Path::new(&examples()).join("dach-enterprise-demo.json"))
            .unwrap();
    let at = "2026-11-24T09:00:00Z".parse().unwrap();
    let decision = handoff::admin::explain(&contact, &loaded.playbook, &loaded.roster, at);
    serde_json::to_string(&decision).unwrap()
}

/// The leads handed off: contact, owner, team, source, handed off this long ago, SLA due in
/// (negative: already past).
type Lead = (i64, &'static str, &'static str, &'static str, i64, i64);

const LEADS: [Lead; 5] = [
    (1, "101", "dach", "webinar", 3 * HOUR, -2 * HOUR),
    (2, "102", "dach", "webinar", 3 * HOUR, -2 * HOUR),
    (3, "201", "uk", "ads", 3 * HOUR, -150 * MINUTE),
    (4, "201", "uk", "ads", HOUR, HOUR),
    (7, "101", "dach", "webinar", 10 * DAY, -10 * DAY + HOUR),
];

fn decision(now: i64, lead: &Lead, explanation: &str) -> NewDecision {
    let &(contact_id, owner, team, source, ago, due_in) = lead;
    let at = now - ago;
    NewDecision {
        contact_id: handoff_ids::ContactId::try_from(contact_id).unwrap(),
        decided_at_ms: at,
        trigger: "contact.creation".into(),
        outcome: "handed_off".into(),
        owner_id: Some(owner.parse().unwrap()),
        explanation: explanation.into(),
        facts: None,
        handoff: Some(NewHandoff {
            owner_id: owner.parse().unwrap(),
            team: Some(team.into()),
            score: 80,
            tier: Some("A".into()),
            sla_tier: Some("hot".into()),
            source: Some(source.into()),
            trace_id: format!("trace-{contact_id}"),
            handed_off_at_ms: at,
            sla_due_at_ms: Some(now + due_in),
            close_loop_due_ms: None,
            sla_plan: None,
            task_text: None,
        }),
    }
}

fn not_handed_off(now: i64, contact_id: i64, outcome: &str) -> NewDecision {
    NewDecision {
        contact_id: handoff_ids::ContactId::try_from(contact_id).unwrap(),
        decided_at_ms: now - HOUR,
        trigger: "contact.propertyChange".into(),
        outcome: outcome.into(),
        owner_id: None,
        explanation: "{}".into(),
        facts: None,
        handoff: None,
    }
}

/// The ledger of one week, plus one older handoff:
/// - 1 dach/101/webinar: touched after 10 min (met), accepted (fit), deal 12,000;
/// - 2 dach/102/webinar: untouched past due (missed), one escalation, nurture (timing);
/// - 3 uk/201/ads: touched after 60 min, late (missed), disqualified (competitor);
/// - 4 uk/201/ads: untouched, due in an hour (pending);
/// - 5 not ready, 6 disqualified by the engine, 8 ready but never handed off (no owner);
/// - 7 dach/101/webinar: handed off ten days ago (only in a 30-day window).
pub(crate) async fn seed(store: &Store, now: i64, explanation: &str) {
    let mut decisions: Vec<NewDecision> = LEADS
        .iter()
        .map(|l| decision(now, l, explanation))
        .collect();
    decisions.push(not_handed_off(now, 5, "not_ready"));
    decisions.push(not_handed_off(now, 6, "disqualified"));
    let mut unheld = not_handed_off(now, 8, "handed_off");
    unheld.owner_id = Some("101".parse().unwrap());
    decisions.push(unheld);
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
    let at = |ago: i64| now - ago;

    store
        .ledger()
        .task_created(id(1), handoff_ids::TaskId::new(7001).unwrap(), now)
        .await
        .unwrap();
    store
        .ledger()
        .record_touch(id(1), at(3 * HOUR) + 10 * MINUTE, true, now)
        .await
        .unwrap();
    store
        .ledger()
        .record_touch(id(3), at(2 * HOUR), false, now)
        .await
        .unwrap();
    store.ledger().note_escalation(id(2), now).await.unwrap();
    for (contact, outcome, reason, amount) in [
        (1, "accepted", "fit", Some(12_000.0)),
        (2, "nurture", "timing", None),
        (3, "disqualified", "competitor", None),
    ] {
        let row = store.ledger().handoff(id(contact)).await.unwrap().unwrap();
        store
            .ledger()
            .record_disposition(&row, outcome, Some(reason), amount, now)
            .await
            .unwrap();
    }
}

/// A fresh store on `engine`, seeded; its URL for the binary.
pub async fn seeded(engine: Dialect, dir: &Path) -> (Store, String, i64) {
    let url = crate::support::engines::fresh_url(engine, dir).await;
    let store = Store::connect(&crate::support::engines::settings(&url))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let now = jiff::Timestamp::now().as_millisecond();
    seed(&store, now, &explanation(dir)).await;
    (store, url, now)
}

/// A handed-off decision of `contact` at `at` with recorded facts (migration 0012): routed to
/// `owner` by `pool`, after falling through `fallback_from` when given; `rules` matched,
/// scoring `score` in `tier` from `source`. Its explanation says nothing (`{}`), so what the
/// ledger reports of it comes from the facts.
pub fn with_facts(
    contact_id: i64,
    at: i64,
    owner: &str,
    route: (&str, Option<&str>),
    score: (i64, &str, &str, &[&str]),
) -> NewDecision {
    let (pool, fallback_from) = route;
    let (score_total, tier, source, rules) = score;
    NewDecision {
        contact_id: handoff_ids::ContactId::try_from(contact_id).unwrap(),
        decided_at_ms: at,
        trigger: "contact.creation".into(),
        outcome: "handed_off".into(),
        owner_id: Some(owner.parse().unwrap()),
        explanation: "{}".into(),
        facts: Some(handoff::store::ledger::DecisionFacts {
            score_total,
            tier: Some(tier.into()),
            source: Some(source.into()),
            buying_role: None,
            route_kind: Some("pool".into()),
            route_pool: Some(pool.into()),
            fallback_from: fallback_from.map(str::to_string),
            rules: rules.iter().map(|r| r.to_string()).collect(),
            contact: None,
        }),
        handoff: None,
    }
}
