//! Read-only ledger totals for the weekly review's trend weeks: what `Kpis::compute` and
//! `LeadCounts::from_rows` would make of a week's rows, counted and summed by the engine
//! (`GROUP BY` week) so the weeks before the reviewed one never leave it as rows. One query
//! per kind of figure for all the weeks at once; the weeks are a `VALUES` list of bounds, so
//! each keeps the exact `[since_ms, until_ms)` the review cut in the portal's time zone.
//! Every figure keeps the row code's definition; `report::review::trend` folds these rows
//! into the same structs, and `tests/it/report/review_totals.rs` compares the two.

use handoff_ids::PortalId;

use super::kpis::Kpis;
use crate::store::StoreError;
use crate::store::dispatch::Dialect;

/// One week's handoff counts (merged handoffs only in `merged`; every other count is of the
/// live ones, as `Kpis::compute` counts them).
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct HandoffTotals {
    /// Index of the week in the list asked for.
    pub week: i64,
    pub handoffs: i64,
    pub open: i64,
    pub closed: i64,
    pub merged: i64,
    pub disposed: i64,
    pub accepted: i64,
    /// Accepted through a Slack alert's button (`disposition_via = 'slack'`).
    pub accepted_via_slack: i64,
    pub touched: i64,
    pub sla_met: i64,
    pub sla_missed: i64,
    pub sla_pending: i64,
    pub escalations: i64,
    pub reassignments: i64,
}

/// The totals of some weeks, each row tagged with the index of its week.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrendTotals {
    pub handoffs: Vec<HandoffTotals>,
    /// `(week, disposition, reason, handoffs)` of live handoffs with a disposition.
    pub dispositions: Vec<(i64, String, Option<String>, i64)>,
    /// `(week, source, deals, sum)`: live accepted handoffs with a deal amount.
    pub pipeline: Vec<(i64, Option<String>, i64, f64)>,
    /// `(week, wait_ms, rank, touched)`: the first-touch waits of nearest rank ⌈n/2⌉ and
    /// ⌈9n/10⌉ among the week's `touched` waits, sorted.
    pub waits: Vec<(i64, i64, i64, i64)>,
    /// `(week, wait_ms, rank, n)`: the same of the week's `n` waits to accept (disposition −
    /// handoff of accepted handoffs with a disposition time).
    pub accept_waits: Vec<(i64, i64, i64, i64)>,
    /// `(week, outcome, leads, decisions)` as `LeadCounts` counts leads.
    pub leads: Vec<(i64, String, i64, i64)>,
    /// `(week, ready leads, with an owner)` as assignment coverage counts them.
    pub coverage: Vec<(i64, i64, i64)>,
}

/// `WITH wk(i, since_ms, until_ms) AS (VALUES …)`: only integers are formatted in.
fn weeks_cte(weeks: &[(i64, i64)]) -> String {
    let rows: Vec<String> = weeks
        .iter()
        .enumerate()
        .map(|(i, (since, until))| {
            format!("(CAST({i} AS BIGINT), CAST({since} AS BIGINT), CAST({until} AS BIGINT))")
        })
        .collect();
    format!(
        "WITH wk(i, since_ms, until_ms) AS (VALUES {}) ",
        rows.join(", ")
    )
}

const HANDOFFS_OF_WEEK: &str = "FROM wk JOIN handoffs h ON h.portal_id = $1 \
     AND h.handed_off_at_ms >= wk.since_ms AND h.handed_off_at_ms < wk.until_ms";
const DECISIONS_OF_WEEK: &str = "FROM wk JOIN decisions d ON d.portal_id = $1 \
     AND d.decided_at_ms >= wk.since_ms AND d.decided_at_ms < wk.until_ms";

fn handoffs_sql(cte: &str) -> String {
    let live = "h.status <> 'merged'";
    let due = format!("{live} AND h.sla_due_at_ms IS NOT NULL");
    let n = |cond: &str, alias: &str| {
        format!("CAST(SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS BIGINT) AS {alias}")
    };
    let cols = [
        n(live, "handoffs"),
        n("h.status = 'open'", "open"),
        n("h.status = 'closed'", "closed"),
        n("h.status = 'merged'", "merged"),
        n(&format!("{live} AND h.disposition IS NOT NULL"), "disposed"),
        n(
            &format!("{live} AND h.disposition = 'accepted'"),
            "accepted",
        ),
        n(
            &format!("{live} AND h.disposition = 'accepted' AND h.disposition_via = 'slack'"),
            "accepted_via_slack",
        ),
        n(
            &format!("{live} AND h.first_touch_at_ms IS NOT NULL"),
            "touched",
        ),
        n(
            &format!("{due} AND h.first_touch_at_ms IS NOT NULL AND h.sla_met = 1"),
            "sla_met",
        ),
        n(
            &format!(
                "{due} AND ((h.first_touch_at_ms IS NOT NULL AND (h.sla_met IS NULL \
                 OR h.sla_met <> 1)) OR (h.first_touch_at_ms IS NULL AND h.sla_due_at_ms <= $2))"
            ),
            "sla_missed",
        ),
        n(
            &format!("{due} AND h.first_touch_at_ms IS NULL AND h.sla_due_at_ms > $2"),
            "sla_pending",
        ),
        format!(
            "CAST(SUM(CASE WHEN {live} THEN h.escalations ELSE 0 END) AS BIGINT) AS escalations"
        ),
        format!(
            "CAST(SUM(CASE WHEN {live} THEN h.reassignments ELSE 0 END) AS BIGINT) AS reassignments"
        ),
    ];
    format!(
        "{cte}SELECT wk.i AS week, {} {HANDOFFS_OF_WEEK} GROUP BY wk.i",
        cols.join(", ")
    )
}

/// The waits `at − handoff` of each week's live handoffs that match `when`, ranked: those of
/// nearest rank ⌈n/2⌉ and ⌈9n/10⌉, with their rank and `n`.
fn waits_sql(cte: &str, dialect: Dialect, (at, when): (&str, &str)) -> String {
    let greatest = match dialect {
        Dialect::Sqlite => "MAX",
        Dialect::Postgres => "GREATEST",
    };
    // ⌈n/2⌉ and ⌈9n/10⌉ in integers: `kpi::percentile`'s float ranks, for every n.
    format!(
        "{cte}SELECT week, wait_ms, rn, n FROM (SELECT week, wait_ms, \
         ROW_NUMBER() OVER (PARTITION BY week ORDER BY wait_ms) AS rn, \
         COUNT(*) OVER (PARTITION BY week) AS n FROM (SELECT wk.i AS week, \
         {greatest}({at} - h.handed_off_at_ms, 0) AS wait_ms {HANDOFFS_OF_WEEK} \
         WHERE h.status <> 'merged' AND {when}) t) r \
         WHERE rn = (n + 1) / 2 OR rn = (9 * n + 9) / 10"
    )
}

/// Time to first touch: touched handoffs.
const FIRST_TOUCH: (&str, &str) = ("h.first_touch_at_ms", "h.first_touch_at_ms IS NOT NULL");
/// Time to accept: accepted handoffs with a disposition time. A query of its own rather than
/// a second kind in the first-touch one: on SQLite, ranking both kinds in one window sort
/// took longer than the two sorts apart (BENCHMARKS.md "Time to accept in the trend weeks").
const ACCEPT: (&str, &str) = (
    "h.disposition_at_ms",
    "h.disposition = 'accepted' AND h.disposition_at_ms IS NOT NULL",
);

fn leads_sql(cte: &str, dialect: Dialect) -> String {
    // The latest decision's outcome, ties by the greater outcome: the greatest
    // zero-padded time + outcome, in byte order (decision times are not negative).
    let latest = match dialect {
        Dialect::Sqlite => "MAX(printf('%020d', d.decided_at_ms) || d.outcome)",
        Dialect::Postgres => {
            "MAX(LPAD(CAST(d.decided_at_ms AS TEXT), 20, '0') || d.outcome COLLATE \"C\")"
        }
    };
    format!(
        "{cte}SELECT week, outcome, COUNT(*) AS leads, CAST(SUM(decisions) AS BIGINT) FROM \
         (SELECT wk.i AS week, CASE WHEN MAX(CASE WHEN d.outcome = 'handed_off' THEN 1 ELSE 0 END) \
         = 1 THEN 'handed_off' ELSE SUBSTR({latest}, 21) END AS outcome, COUNT(*) AS decisions \
         {DECISIONS_OF_WEEK} GROUP BY wk.i, d.contact_id) l GROUP BY week, outcome"
    )
}

fn coverage_sql(cte: &str) -> String {
    format!(
        "{cte}SELECT r.week, COUNT(*), CAST(SUM(CASE WHEN h.owner_id IS NOT NULL \
         AND h.owner_id <> '' THEN 1 ELSE 0 END) AS BIGINT) FROM (SELECT wk.i AS week, \
         d.contact_id {DECISIONS_OF_WEEK} AND d.outcome = 'handed_off' \
         GROUP BY wk.i, d.contact_id) r LEFT JOIN handoffs h ON h.portal_id = $1 \
         AND h.contact_id = r.contact_id GROUP BY r.week"
    )
}

impl Kpis<'_> {
    /// The totals of the portal's `weeks` (`[since_ms, until_ms)` each); SLAs due at or
    /// before `now_ms` count as missed. One query at a time, on one reader connection.
    pub async fn trend_totals(
        self,
        portal_id: PortalId,
        weeks: &[(i64, i64)],
        now_ms: i64,
    ) -> Result<TrendTotals, StoreError> {
        if weeks.is_empty() {
            return Ok(TrendTotals::default());
        }
        let dialect = self.db.dialect();
        let cte = weeks_cte(weeks);
        let portal = portal_id.get();
        // Each SQL text is built from constants and the integers of `weeks_cte`.
        let sql = |s: String| sqlx::AssertSqlSafe(s);
        Ok(TrendTotals {
            handoffs: on_reader!(self.db, |pool| sqlx::query_as(sql(handoffs_sql(&cte)))
                .bind(portal)
                .bind(now_ms)
                .fetch_all(pool)
                .await?),
            dispositions: self.by_week(sql(dispositions_sql(&cte)), portal).await?,
            pipeline: self.by_week(sql(pipeline_sql(&cte)), portal).await?,
            waits: self
                .by_week(sql(waits_sql(&cte, dialect, FIRST_TOUCH)), portal)
                .await?,
            accept_waits: self
                .by_week(sql(waits_sql(&cte, dialect, ACCEPT)), portal)
                .await?,
            leads: self.by_week(sql(leads_sql(&cte, dialect)), portal).await?,
            coverage: self.by_week(sql(coverage_sql(&cte)), portal).await?,
        })
    }

    async fn by_week<T>(
        self,
        sql: sqlx::AssertSqlSafe<String>,
        portal: i64,
    ) -> Result<Vec<T>, StoreError>
    where
        T: Send
            + Unpin
            + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
    {
        Ok(on_reader!(self.db, |pool| sqlx::query_as(sql)
            .bind(portal)
            .fetch_all(pool)
            .await?))
    }
}

fn dispositions_sql(cte: &str) -> String {
    format!(
        "{cte}SELECT wk.i, h.disposition, h.disposition_reason, COUNT(*) {HANDOFFS_OF_WEEK} \
         WHERE h.status <> 'merged' AND h.disposition IS NOT NULL \
         GROUP BY wk.i, h.disposition, h.disposition_reason"
    )
}

fn pipeline_sql(cte: &str) -> String {
    format!(
        "{cte}SELECT wk.i, h.source, COUNT(*), SUM(h.deal_amount) {HANDOFFS_OF_WEEK} \
         WHERE h.status <> 'merged' AND h.disposition = 'accepted' \
         AND h.deal_amount IS NOT NULL GROUP BY wk.i, h.source"
    )
}
