//! `handoff report` and the KPI gauges on `/metrics`, on both store engines: the ledger is
//! filled through the `Store` API as the pipeline fills it, then read back through the library
//! and the metrics endpoint. `report_cli.rs` reads the same ledger through the real binary.

use std::path::Path;

use handoff::engine::RoutingState;
use handoff::report::{self, GroupBy, Window};
use handoff::store::ledger::{NewDecision, NewHandoff};
use handoff::store::{Dialect, Store};

pub const PORTAL: i64 = 62515;
pub const MINUTE: i64 = 60_000;
pub const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

pub fn examples() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/contacts").to_owned()
}

/// The engine's real explanation for the shipped DACH enterprise demo contact.
pub(crate) fn explanation(dir: &Path) -> String {
    let loaded = crate::helpers::load_config(
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
        contact_id,
        decided_at_ms: at,
        trigger: "contact.creation".into(),
        outcome: "handed_off".into(),
        owner_id: Some(owner.into()),
        explanation: explanation.into(),
        handoff: Some(NewHandoff {
            owner_id: owner.into(),
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
        contact_id,
        decided_at_ms: now - HOUR,
        trigger: "contact.propertyChange".into(),
        outcome: outcome.into(),
        owner_id: None,
        explanation: "{}".into(),
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
    unheld.owner_id = Some("101".into());
    decisions.push(unheld);
    let created = store
        .ledger()
        .record_decisions(PORTAL, now, move |_: &mut RoutingState| decisions)
        .await
        .unwrap();
    let id = |contact: i64| created.iter().find(|(c, _)| *c == contact).unwrap().1;
    let at = |ago: i64| now - ago;

    store
        .ledger()
        .task_created(id(1), "T-1", now)
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
    let url = crate::engines::fresh_url(engine, dir).await;
    let store = Store::connect(&crate::engines::settings(&url))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let now = jiff::Timestamp::now().as_millisecond();
    seed(&store, now, &explanation(dir)).await;
    (store, url, now)
}

async fn the_scoreboard_counts_every_kpi_of_the_week(engine: Dialect) {
    let dir = tempfile::tempdir().unwrap();
    let (store, _, now) = seeded(engine, dir.path()).await;
    let week = Window::parse("7d").unwrap();
    let board = report::scoreboard(&store, &week, Some(GroupBy::Team), now)
        .await
        .unwrap();
    let k = &board.total;
    assert_eq!((k.handoffs, k.open, k.closed, k.merged), (4, 1, 3, 0));
    assert_eq!((k.acceptance.num, k.acceptance.den), (1, 3));
    assert_eq!(
        (k.coverage.num, k.coverage.den),
        (4, 5),
        "contact 8 was ready but has no owner"
    );
    assert_eq!(k.first_touch.touched, 2);
    assert_eq!(k.first_touch.p50_ms, Some(10 * MINUTE));
    assert_eq!(k.first_touch.p90_ms, Some(HOUR));
    assert_eq!((k.sla.met, k.sla.missed, k.sla.pending), (1, 2, 1));
    assert_eq!((k.escalations, k.reassignments), (1, 0));
    let mix: Vec<(&str, u64)> = k
        .dispositions
        .iter()
        .map(|d| (d.disposition.as_str(), d.count))
        .collect();
    assert_eq!(mix, [("accepted", 1), ("nurture", 1), ("disqualified", 1)]);
    assert_eq!(k.pipeline.len(), 1);
    assert_eq!(
        (k.pipeline[0].source.as_str(), k.pipeline[0].sum),
        ("webinar", 12_000.0)
    );
    let leads = ["handed_off", "not_ready", "disqualified"].map(|o| board.leads.with(o));
    assert_eq!(leads, [5, 1, 1]);
    assert_eq!(
        board.leads.with("handed_off"),
        k.coverage.den,
        "the handed_off leads are the base of coverage"
    );

    let teams: Vec<(&str, u64, Option<f64>)> = board
        .groups
        .iter()
        .map(|g| (g.key.as_str(), g.kpis.handoffs, g.kpis.acceptance.value))
        .collect();
    assert_eq!(
        teams,
        [
            ("dach", 2, Some(0.5)),
            ("uk", 2, Some(0.0)),
            ("(none)", 0, None)
        ]
    );

    let month = Window::parse("30d").unwrap();
    let board = report::scoreboard(&store, &month, None, now).await.unwrap();
    assert_eq!(board.total.handoffs, 5, "the older handoff is in the month");
    assert_eq!(board.total.sla.missed, 3);
    store.close().await;
}

async fn the_metrics_endpoint_shows_the_kpi_gauges(engine: Dialect) {
    let app = crate::helpers::spawn_app_on(engine, "", &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let now = jiff::Timestamp::now().as_millisecond();
    seed(&app.store, now, &explanation(dir.path())).await;
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value = |series: &str| -> f64 {
        let line = text
            .lines()
            .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
            .unwrap_or_else(|| panic!("missing {series} in\n{text}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    assert_eq!(value("handoff_kpi_handoffs{window=\"7d\"}"), 4.0);
    assert_eq!(value("handoff_kpi_handoffs{window=\"30d\"}"), 5.0);
    assert_eq!(value("handoff_kpi_open_handoffs{window=\"7d\"}"), 1.0);
    assert!((value("handoff_kpi_acceptance_ratio{window=\"7d\"}") - 1.0 / 3.0).abs() < 1e-9);
    assert!((value("handoff_kpi_assignment_coverage_ratio{window=\"7d\"}") - 0.8).abs() < 1e-9);
    assert!((value("handoff_kpi_sla_compliance_ratio{window=\"7d\"}") - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!(
        value("handoff_kpi_first_touch_seconds{window=\"7d\",quantile=\"0.5\"}"),
        600.0
    );
    assert_eq!(
        value("handoff_kpi_first_touch_seconds{window=\"7d\",quantile=\"0.9\"}"),
        3600.0
    );
    assert_eq!(value("handoff_kpi_escalations{window=\"7d\"}"), 1.0);
    assert_eq!(value("handoff_kpi_sla_missed{window=\"7d\"}"), 2.0);
    assert_eq!(value("handoff_kpi_sla_missed{window=\"30d\"}"), 3.0);
    assert_eq!(
        value("handoff_kpi_leads{window=\"7d\",outcome=\"not_ready\"}"),
        1.0
    );
    assert_eq!(
        value("handoff_kpi_dispositions{window=\"30d\",outcome=\"accepted\"}"),
        1.0
    );
    assert!(value("handoff_kpi_computed_timestamp_seconds") * 1000.0 >= now as f64 - 1000.0);
    app.stop().await;
}

/// Every test, once per engine.
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $name() { super::$name(handoff::store::Dialect::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $name() { super::$name(handoff::store::Dialect::Postgres).await })*
        }
    };
}

on_both_engines!(
    the_scoreboard_counts_every_kpi_of_the_week,
    the_metrics_endpoint_shows_the_kpi_gauges,
);
