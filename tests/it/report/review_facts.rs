//! The review's routing health from the decision facts (migration 0012): pool picks and the
//! fallbacks per pool read from the recorded columns, not from explanations, and the tuning
//! report as the page's last section.

use handoff::engine::RoutingState;
use handoff::store::{Dialect, Store};

use super::review::{SEEDED_AT, WEEK, review};
use crate::support::cli;
use crate::support::ledger::{HOUR, PORTAL, with_facts};

/// Three handoffs of W49 with facts and empty explanations: two fell through `dach-sdr` to
/// `uk-sdr` (owner 201), one went to `dach-ae` (owner 101).
async fn seeded(engine: Dialect, dir: &std::path::Path) -> String {
    let url = crate::support::engines::fresh_url(engine, dir).await;
    let store = Store::connect(&crate::support::engines::settings(&url))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let now = SEEDED_AT
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_millisecond();
    let score = (70, "A", "webinar", &["icp"][..]);
    let decisions = vec![
        with_facts(1, now - HOUR, "201", ("uk-sdr", Some("dach-sdr")), score),
        with_facts(2, now - HOUR, "201", ("uk-sdr", Some("dach-sdr")), score),
        with_facts(3, now - HOUR, "101", ("dach-ae", None), score),
    ];
    store
        .ledger()
        .record_decisions(
            handoff_ids::PortalId::try_from(PORTAL).unwrap(),
            now,
            move |_: &mut RoutingState| decisions,
        )
        .await
        .unwrap();
    store.close().await;
    url
}

async fn pool_picks_and_fallbacks_come_from_the_decision_facts(engine: Dialect) {
    let dir = tempfile::tempdir().unwrap();
    let url = seeded(engine, dir.path()).await;
    let out = review(dir.path(), &url, &["--week", WEEK, "--out", "page.html"]);
    assert!(out.status.success(), "{}", cli::stderr(&out));
    let page = std::fs::read_to_string(dir.path().join("page.html")).unwrap();
    let pool = |name: &str| {
        let at = page
            .find(&format!("data-pool=\"{name}\""))
            .unwrap_or_else(|| panic!("no pool {name}"));
        let p = &page[at..];
        p[..p.find("</figure>").unwrap()].to_owned()
    };
    for (name, picks, fallbacks) in [("uk-sdr", 2, 0), ("dach-ae", 1, 0), ("dach-sdr", 0, 2)] {
        let p = pool(name);
        assert!(p.contains(&format!("{picks} picks")), "{name}: {p}");
        assert!(
            p.contains(&format!("data-fallbacks=\"{fallbacks}\"")),
            "{name}: {p}"
        );
    }
    // The tuning section is the tuning report over the page's weeks: 3 leads, `icp` in all.
    let tuning = &page[page.find("id=\"tuning\"").unwrap()..];
    assert!(tuning.contains("data-tuning=\"3\""), "{tuning}");
    assert!(tuning.contains("data-rule=\"icp\""), "{tuning}");
    assert!(!page.contains("data-tuning=\"n/a\""));
}

/// `page_with_hooks` (what `handoff review` and `GET /review` run: the tuning hooks and the
/// page's rows read at once) renders the very page `ledger_hooks` then `page` renders.
async fn the_page_read_at_once_is_the_page_read_in_turn(engine: Dialect) {
    use handoff::report::review::{self, IsoWeek, ReviewRequest};
    let dir = tempfile::tempdir().unwrap();
    let url = super::review::seeded_review(engine, dir.path()).await;
    let store = Store::connect(&crate::support::engines::settings(&url))
        .await
        .unwrap();
    let loaded =
        crate::support::app::load_config(dir.path(), &super::review::portal_toml(dir.path()), &[]);
    let rules = (loaded.playbook.as_ref(), loaded.roster.as_ref());
    let now = SEEDED_AT
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_millisecond();
    let week = IsoWeek::parse(WEEK).unwrap();
    let request = ReviewRequest::new(
        (
            handoff_ids::PortalId::try_from(PORTAL).unwrap(),
            "Europe/Berlin".into(),
        ),
        Some(week),
        12,
        now,
    )
    .unwrap();
    let hooks = review::ledger_hooks(&store, &request, rules.0)
        .await
        .unwrap();
    let in_turn = review::page(&store, &request, rules, &hooks, now)
        .await
        .unwrap();
    let at_once = review::page_with_hooks(&store, &request, rules, now)
        .await
        .unwrap();
    assert!(in_turn.contains("data-tuning=\""), "{in_turn}");
    assert_eq!(at_once, in_turn);
    store.close().await;
}

on_both_engines!(
    pool_picks_and_fallbacks_come_from_the_decision_facts,
    the_page_read_at_once_is_the_page_read_in_turn
);

/// On SQLite, a portal's decisions of a period are read with their facts from
/// `decisions_portal_facts` alone and its handoffs' KPI columns from `handoffs_portal_kpis`
/// alone (migration 0014): never the rows, whose explanation, SLA plan and task text the
/// review does not read.
#[tokio::test]
async fn the_reviews_period_reads_are_answered_by_covering_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::support::engines::fresh_url(Dialect::Sqlite, dir.path()).await;
    let store = Store::connect(&crate::support::engines::settings(&url))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    store.close().await;
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    let period = "portal_id = 1 AND decided_at_ms >= 0 AND decided_at_ms < 9";
    for (sql, index) in [
        (
            format!(
                "SELECT contact_id, decided_at_ms, outcome, owner_id, score_total, tier, \
                 source, buying_role, route_kind, route_pool, fallback_from, rules, id \
                 FROM decisions WHERE {period}"
            ),
            "COVERING INDEX decisions_portal_facts",
        ),
        (
            "SELECT contact_id, status, owner_id, team, tier, source, handed_off_at_ms, \
             sla_due_at_ms, first_touch_at_ms, sla_met, escalations, reassignments, \
             disposition, disposition_reason, deal_amount, disposition_at_ms, disposition_via \
             FROM handoffs WHERE portal_id = 1 \
             AND handed_off_at_ms >= 0 AND handed_off_at_ms < 9 ORDER BY handed_off_at_ms, id"
                .to_owned(),
            "COVERING INDEX handoffs_portal_kpis",
        ),
    ] {
        let plan: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                .fetch_all(&mut conn)
                .await
                .unwrap();
        let plan: Vec<&str> = plan.iter().map(|p| p.3.as_str()).collect();
        assert!(plan.iter().any(|p| p.contains(index)), "{sql}: {plan:?}");
        assert!(
            !plan.iter().any(|p| p.contains("TEMP B-TREE")),
            "{sql}: {plan:?}"
        );
    }
}
