//! The review's trend weeks as totals the store computes (`Kpis::trend_totals`) show exactly
//! the figures the rows gave: on a ledger from the review benchmark's generator at a small
//! size (12 weeks, three portals, merged and reassigned handoffs, touched late and never,
//! every disposition with and without a reason and from each channel, deals), `review::load`
//! builds the same review as reading every week's rows and computing them with
//! `Kpis::compute` (the oracle, the loading code before the totals).

#[allow(dead_code)]
#[path = "../../../benches/review/data.rs"]
pub(super) mod data;
#[allow(dead_code)]
#[path = "../../../benches/review/seed.rs"]
pub(super) mod seed;

use handoff::report::review::{self, IsoWeek, Review, ReviewRequest, ReviewRows, Setup};
use handoff::store::{Dialect, Store};
use handoff_ids::PortalId;
use sqlx::Connection;

use crate::support::ledger::{examples, explanation};

const PORTAL: i64 = 62515;

/// The week of `request` as rows, every one of them, as the review loaded them before.
async fn rows_of_every_week(store: &Store, request: &ReviewRequest, now_ms: i64) -> ReviewRows {
    let kpis = store.kpis();
    let portal = request.portal_id;
    let mut out = ReviewRows::default();
    let weeks = request.weeks();
    for week in &weeks {
        let (since, until) = (week.since_ms, week.until_ms);
        let rows = handoff::report::LedgerRows {
            handoffs: kpis.handoffs_between(portal, since, until).await.unwrap(),
            ready: kpis
                .ready_leads_between(portal, since, until)
                .await
                .unwrap(),
            leads: kpis
                .lead_outcomes_between(portal, since, until)
                .await
                .unwrap(),
        };
        out.weeks.push((week.clone(), rows));
    }
    let last = weeks.last().unwrap();
    out.picks = kpis
        .pool_picks_between(portal, last.since_ms, last.until_ms)
        .await
        .unwrap();
    out.reassigned = kpis
        .reassigned_between(portal, last.since_ms, last.until_ms)
        .await
        .unwrap();
    out.overdue = kpis.loops_overdue(portal, now_ms).await.unwrap();
    out
}

/// A ledger of `handoffs` handoffs for the reviewed portal (5% as many for two others) over
/// the 12 weeks to 2026-W49, and the request with its "now" (Sunday 18:00 of W49).
async fn seeded(
    engine: Dialect,
    dir: &std::path::Path,
    handoffs: u64,
) -> (Store, ReviewRequest, i64) {
    let url = crate::support::engines::fresh_url(engine, dir).await;
    let store = Store::connect(&crate::support::engines::settings(&url))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let tz = jiff::tz::TimeZone::get("Europe/Berlin").unwrap();
    let week = IsoWeek::parse("2026-W49").unwrap();
    let now_ms = week.bounds_ms(&tz).1 - 6 * 3_600_000;
    let portal = PortalId::try_from(PORTAL).unwrap();
    let request =
        ReviewRequest::new((portal, "Europe/Berlin".into()), Some(week), 12, now_ms).unwrap();
    let since_ms = request.weeks()[0].since_ms;
    let portals: Vec<data::Portal> = [
        (PORTAL, handoffs),
        (71001, handoffs / 20),
        (71002, handoffs / 20),
    ]
    .into_iter()
    .map(|(portal_id, handoffs)| data::Portal {
        portal_id,
        handoffs,
        since_ms,
        now_ms,
    })
    .collect();
    let mut conn = match engine {
        Dialect::Sqlite => seed::Conn::Sqlite(sqlx::SqliteConnection::connect(&url).await.unwrap()),
        Dialect::Postgres => seed::Conn::Postgres(sqlx::PgConnection::connect(&url).await.unwrap()),
    };
    seed::seed(&mut conn, &explanation(dir), &portals).await;
    // Which channel gave each disposition: Slack, HubSpot, or not recorded (older rows).
    crate::support::engines::execute(
        &url,
        "UPDATE handoffs SET disposition_via = CASE contact_id % 3 WHEN 0 THEN 'slack' \
         WHEN 1 THEN 'hubspot' END WHERE disposition IS NOT NULL",
    )
    .await;
    (store, request, now_ms)
}

async fn the_trend_weeks_totalled_by_the_store_are_the_figures_of_their_rows(engine: Dialect) {
    let dir = tempfile::tempdir().unwrap();
    let (store, request, now_ms) = seeded(engine, dir.path(), 3_000).await;
    let loaded = crate::support::app::load_config(
        dir.path(),
        "",
        &[("HANDOFF__ENGINE__EXAMPLES_DIR", examples().as_str())],
    );
    let setup = Setup {
        portal_id: request.portal_id,
        time_zone: &request.time_zone,
        now_ms,
        playbook: loaded.playbook.as_ref(),
        roster: loaded.roster.as_ref(),
        pool_fallbacks: None,
    };
    let totalled = review::load(&store, &request, now_ms).await.unwrap();
    assert_eq!(totalled.earlier.len(), 11, "the trend weeks come as totals");
    assert_eq!(
        totalled.weeks.len(),
        1,
        "only the reviewed week comes as rows"
    );
    let oracle = Review::build(&rows_of_every_week(&store, &request, now_ms).await, &setup);
    let review = Review::build(&totalled, &setup);
    for (got, want) in review.weeks.iter().zip(&oracle.weeks) {
        assert_eq!(got, want, "week {}", want.week.label);
    }
    assert_eq!(review, oracle);
    // The ledger has what each definition distinguishes, in the trend weeks.
    let trend = &oracle.weeks[..11];
    let sum = |f: &dyn Fn(&review::WeekFigures) -> u64| trend.iter().map(f).sum::<u64>();
    assert!(sum(&|w| w.kpis.handoffs) > 2_000);
    assert!(sum(&|w| w.kpis.merged) > 0);
    assert!(sum(&|w| w.kpis.sla.met) > 0 && sum(&|w| w.kpis.sla.missed) > 0);
    assert!(sum(&|w| w.kpis.first_touch.touched) > 0);
    assert!(sum(&|w| w.kpis.time_to_accept.accepted) > 0);
    let via = |w: &review::WeekFigures| w.kpis.accepted_via.unwrap();
    assert!(sum(&|w| via(w).slack.num) > 0 && sum(&|w| via(w).hubspot.num) > 0);
    assert!(sum(&|w| w.leads.with("not_ready")) > 0 && sum(&|w| w.leads.with("disqualified")) > 0);
    assert!(sum(&|w| w.pipeline.deals) > 0);
    assert!(
        trend
            .iter()
            .any(|w| w.kpis.coverage.num < w.kpis.coverage.den)
    );
    assert!(trend.iter().any(|w| {
        w.kpis
            .dispositions
            .iter()
            .any(|d| d.reasons.contains_key("(none)"))
    }));
    assert!(sum(&|w| w.kpis.escalations.unsigned_abs()) > 0);
    store.close().await;
}

on_both_engines!(the_trend_weeks_totalled_by_the_store_are_the_figures_of_their_rows);
