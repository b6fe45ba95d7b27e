//! The tuning report reads each lead's last decision of its period from `lead_facts`
//! (migration 0017, kept by triggers) and gives exactly the report of every decision's row
//! (`decision_facts_between`, the oracle: the read before the table): on a ledger from the
//! review benchmark's generator (leads decided not ready first, reassigned, never handed off,
//! three portals), for the 12 weeks, for each week alone (leads decided again after it) and
//! for all time, with deal amounts that need 17 digits; after contacts are erased and
//! decisions changed; and for a ledger recorded
//! before migration 0017, which the migration fills.

use std::collections::BTreeMap;
use std::path::Path;

use handoff::report::review::{IsoWeek, ReviewRequest};
use handoff::report::tune::{self, TuneSetup};
use handoff::store::ledger::DecisionFactRow;
use handoff::store::{Dialect, Store};
use handoff_ids::{ContactId, PortalId};
use sqlx::Connection;

use super::review_totals::{data, seed};
use crate::support::engines::{execute, fresh_url, settings};
use crate::support::ledger::explanation;

const PORTAL: i64 = 62515;

fn portal() -> PortalId {
    PortalId::try_from(PORTAL).unwrap()
}

/// The 12 weeks to 2026-W49 in Europe/Berlin, as `[since_ms, until_ms)` each.
fn weeks() -> (Vec<(i64, i64)>, i64) {
    let tz = jiff::tz::TimeZone::get("Europe/Berlin").unwrap();
    let week = IsoWeek::parse("2026-W49").unwrap();
    let now_ms = week.bounds_ms(&tz).1 - 6 * 3_600_000;
    let request =
        ReviewRequest::new((portal(), "Europe/Berlin".into()), Some(week), 12, now_ms).unwrap();
    let weeks = request
        .weeks()
        .iter()
        .map(|w| (w.since_ms, w.until_ms))
        .collect();
    (weeks, now_ms)
}

/// The generator's ledger of `handoffs` handoffs (5% as many in two other portals).
async fn seed_ledger(engine: Dialect, url: &str, dir: &Path, handoffs: u64) {
    let (weeks, now_ms) = weeks();
    let portals: Vec<data::Portal> = [
        (PORTAL, handoffs),
        (71001, handoffs / 20),
        (71002, handoffs / 20),
    ]
    .into_iter()
    .map(|(portal_id, handoffs)| data::Portal {
        portal_id,
        handoffs,
        since_ms: weeks[0].0,
        now_ms,
    })
    .collect();
    let mut conn = match engine {
        Dialect::Sqlite => seed::Conn::Sqlite(sqlx::SqliteConnection::connect(url).await.unwrap()),
        Dialect::Postgres => seed::Conn::Postgres(sqlx::PgConnection::connect(url).await.unwrap()),
    };
    seed::seed(&mut conn, &explanation(dir), &portals).await;
}

/// The oracle: the last of each contact's rows of every decision in the period.
async fn last_rows_of_every_decision(
    store: &Store,
    (since, until): (i64, i64),
) -> Vec<DecisionFactRow> {
    let rows = store
        .kpis()
        .decision_facts_between(portal(), since, until)
        .await
        .unwrap();
    let mut last: BTreeMap<ContactId, DecisionFactRow> = BTreeMap::new();
    for r in rows {
        last.insert(r.contact_id, r);
    }
    last.into_values().collect()
}

/// For each period: the same last decisions as the oracle, and the same report.
async fn assert_same_report(store: &Store, periods: &[(i64, i64)]) {
    let setup = TuneSetup {
        threshold: 60,
        rules: vec!["icp-size".into(), "demo-request".into()],
    };
    for &(since, until) in periods {
        let want = last_rows_of_every_decision(store, (since, until)).await;
        let mut got = store
            .kpis()
            .last_decision_facts_between(portal(), since, until)
            .await
            .unwrap();
        got.sort_by_key(|r| r.contact_id);
        assert_eq!(got, want, "leads of [{since}, {until})");
        // Read 97 leads a statement, the keyset (time, contact) goes through every one.
        let mut small = store
            .kpis()
            .last_decision_facts_in_batches(portal(), (since, until), 97)
            .await
            .unwrap();
        small.sort_by_key(|r| r.contact_id);
        assert_eq!(small, want, "leads of [{since}, {until}) in batches of 97");
        let all = store
            .kpis()
            .decision_facts_between(portal(), since, until)
            .await
            .unwrap();
        assert_eq!(
            tune::build(&got, &setup),
            tune::build(&all, &setup),
            "report of [{since}, {until})"
        );
        assert!(!got.is_empty(), "[{since}, {until}) has leads");
    }
}

/// The 12 weeks, each week, and all time.
fn periods() -> Vec<(i64, i64)> {
    let (weeks, _) = weeks();
    let mut out = vec![(weeks[0].0, weeks[11].1), (0, i64::MAX)];
    out.extend(weeks);
    out
}

/// Leads whose decisions span more than one of the weeks (a week's report must take their
/// last decision of that week, not their last one).
async fn leads_spanning_weeks(store: &Store) -> usize {
    let (weeks, _) = weeks();
    let mut spanning = 0;
    for (since, until) in weeks {
        let rows = last_rows_of_every_decision(store, (since, until)).await;
        let later = store
            .kpis()
            .decision_facts_between(portal(), until, i64::MAX)
            .await
            .unwrap();
        let later: std::collections::BTreeSet<ContactId> =
            later.iter().map(|r| r.contact_id).collect();
        spanning += rows
            .iter()
            .filter(|r| later.contains(&r.contact_id))
            .count();
    }
    spanning
}

async fn the_tuning_reports_leads_from_lead_facts_are_its_leads_from_every_decision(
    engine: Dialect,
) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_url(engine, dir.path()).await;
    let store = Store::connect(&settings(&url)).await.unwrap();
    store.migrate().await.unwrap();
    seed_ledger(engine, &url, dir.path(), 2_000).await;
    // Deal amounts whose shortest text has 16 or 17 digits: they must read back exactly.
    execute(
        &url,
        "UPDATE handoffs SET deal_amount = deal_amount / 3.0 + 0.1 WHERE deal_amount IS NOT NULL",
    )
    .await;
    assert!(
        leads_spanning_weeks(&store).await > 20,
        "leads decided in a week and again after it"
    );
    assert_same_report(&store, &periods()).await;

    // Erased contacts (their decisions deleted) and decisions changed by hand.
    let (weeks, now_ms) = weeks();
    let some: Vec<DecisionFactRow> = last_rows_of_every_decision(&store, weeks[5]).await;
    for row in some.iter().step_by(7).take(40) {
        store
            .ledger()
            .erase_contact(portal(), row.contact_id, now_ms)
            .await
            .unwrap();
        let gone = store
            .kpis()
            .last_decision_facts_between(portal(), 0, i64::MAX)
            .await
            .unwrap();
        assert!(gone.iter().all(|r| r.contact_id != row.contact_id));
    }
    execute(
        &url,
        "UPDATE decisions SET decided_at_ms = decided_at_ms - 86400000, outcome = 'not_ready' \
         WHERE id % 5 = 0 AND portal_id = 62515",
    )
    .await;
    // Leads whose last decisions share a time: the batches' keyset breaks ties by contact.
    execute(
        &url,
        "UPDATE decisions SET decided_at_ms = decided_at_ms - decided_at_ms % 86400000 \
         WHERE id % 3 = 0 AND portal_id = 62515",
    )
    .await;
    assert_same_report(&store, &periods()).await;
    store.close().await;
}

/// The migrations of `engine` before 0017, applied from a copy of their files.
async fn migrate_before_lead_facts(engine: Dialect, url: &str, dir: &Path) {
    let folder = match engine {
        Dialect::Sqlite => "sqlite",
        Dialect::Postgres => "postgres",
    };
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(folder);
    let to = dir.join("migrations-0016");
    std::fs::create_dir_all(&to).unwrap();
    for entry in std::fs::read_dir(&from).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name.as_str() < "0017" {
            std::fs::copy(&path, to.join(&name)).unwrap();
        }
    }
    let migrator = sqlx::migrate::Migrator::new(to.as_path()).await.unwrap();
    match engine {
        Dialect::Sqlite => {
            let options = <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(url)
                .unwrap()
                .create_if_missing(true);
            let mut conn = sqlx::SqliteConnection::connect_with(&options)
                .await
                .unwrap();
            migrator.run(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        }
        Dialect::Postgres => {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            migrator.run(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        }
    }
}

async fn migration_0017_fills_lead_facts_from_the_decisions_recorded_before_it(engine: Dialect) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_url(engine, dir.path()).await;
    migrate_before_lead_facts(engine, &url, dir.path()).await;
    seed_ledger(engine, &url, dir.path(), 1_000).await;
    let store = Store::connect(&settings(&url)).await.unwrap();
    store.migrate().await.unwrap();
    assert!(leads_spanning_weeks(&store).await > 10);
    assert_same_report(&store, &periods()).await;
    store.close().await;
}

on_both_engines!(
    the_tuning_reports_leads_from_lead_facts_are_its_leads_from_every_decision,
    migration_0017_fills_lead_facts_from_the_decisions_recorded_before_it,
);
