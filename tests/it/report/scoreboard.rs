//! `handoff report` and the KPI gauges on `/metrics`, on both store engines: the ledger is
//! filled through the `Store` API as the pipeline fills it, then read back through the library
//! and the metrics endpoint. `report_cli.rs` reads the same ledger through the real binary.

use handoff::report::{self, GroupBy, Window};
use handoff::store::Dialect;

use crate::support::ledger::{HOUR, MINUTE, explanation, seed, seeded};

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
    let app = crate::support::app::spawn_app_on(engine, "", &[]).await;
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
    // Lead 1, accepted three hours after its handoff.
    assert_eq!(
        value("handoff_kpi_time_to_accept_seconds{window=\"7d\",quantile=\"0.9\"}"),
        10_800.0
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

on_both_engines!(
    the_scoreboard_counts_every_kpi_of_the_week,
    the_metrics_endpoint_shows_the_kpi_gauges,
);
