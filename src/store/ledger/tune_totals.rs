//! Read-only totals for the tuning report (`handoff tune`, the review's tuning section): what
//! `tune::build` makes of the period's decision facts, counted by the engine. A lead is a
//! contact's last decision of the period (by time, then id, as the rows are read), with its
//! handoff; per group of leads (all by score, each source, tier, buying role, matched rule,
//! pool and owner) the leads by whether they were handed off and their disposition, with the
//! accepted leads' deal amounts summed, and per pool and owner the median first-touch wait by
//! nearest rank. One query, one pass over the period's decisions; `report::tune::totals`
//! folds the rows, and `tests/it/report/tune_totals.rs` compares them with `tune::build`.

use handoff_ids::PortalId;

use super::kpis::Kpis;
use crate::store::StoreError;
use crate::store::dispatch::Dialect;

/// One group's leads with one (handed off, disposition). `family` says which group:
/// `all` (`score` and `engine_disqualified` set: the sweep's histogram), `source`, `tier`,
/// `buying_role`, `rule`, `pool`, `owner`, `none` (leads without facts); `rule_first`: where a
/// rule first appears (`score` the lead's contact id, `engine_disqualified` the position in
/// its rules); `pool_wait` / `owner_wait`: the median wait (`score`, ms) of `leads` touched.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TuneTotal {
    pub family: String,
    pub name: String,
    pub score: i64,
    pub engine_disqualified: i64,
    pub handed_off: i64,
    pub disposition: Option<String>,
    pub leads: i64,
    pub pipeline: f64,
}

fn lead_cte(dialect: Dialect) -> String {
    // Facts are usable when the score is recorded and the rules are an array of strings, as
    // `DecisionFactRow::rules` reads them.
    let valid = match dialect {
        Dialect::Sqlite => {
            "l.score_total IS NOT NULL AND json_valid(l.rules) AND json_type(l.rules) = 'array' \
             AND NOT EXISTS (SELECT 1 FROM json_each(l.rules) e WHERE e.type <> 'text')"
        }
        // PostgreSQL 15 cannot test text for JSON without failing the query: an array of
        // plain strings, as the pipeline writes them.
        Dialect::Postgres => {
            "l.score_total IS NOT NULL AND l.rules ~ \
             '^\\s*\\[\\s*(\"([^\"\\\\]|\\\\.)*\"\\s*(,\\s*\"([^\"\\\\]|\\\\.)*\"\\s*)*)?\\]\\s*$'"
        }
    };
    let ho = "l.outcome = 'handed_off' AND h.handed_off_at_ms IS NOT NULL";
    format!(
        "WITH last AS MATERIALIZED (SELECT d.contact_id, d.outcome, d.score_total, d.tier, \
         d.source, d.buying_role, d.route_pool, d.rules, ROW_NUMBER() OVER \
         (PARTITION BY d.contact_id ORDER BY d.decided_at_ms DESC, d.id DESC) AS rn \
         FROM decisions d WHERE d.portal_id = $1 AND d.decided_at_ms >= $2 \
         AND d.decided_at_ms < $3), \
         lead AS MATERIALIZED (SELECT l.contact_id, l.outcome, l.score_total AS score, l.tier, \
         l.source, l.buying_role, l.route_pool, l.rules, h.owner_id AS owner, \
         h.handed_off_at_ms, h.first_touch_at_ms, CASE WHEN {ho} THEN 1 ELSE 0 END AS ho, \
         CASE WHEN {ho} THEN h.disposition END AS disp, \
         CASE WHEN {ho} AND h.disposition = 'accepted' THEN COALESCE(h.deal_amount, 0.0) \
         ELSE 0.0 END AS deal, CASE WHEN {valid} THEN 1 ELSE 0 END AS facts \
         FROM last l LEFT JOIN handoffs h ON h.portal_id = $1 AND h.contact_id = l.contact_id \
         WHERE l.rn = 1) "
    )
}

/// `SELECT` of one family grouped by `name` (an expression over `lead`, or over `src`).
fn family(name: &str, key: &str, from: &str, filter: &str) -> String {
    format!(
        "SELECT '{name}' AS family, {key} AS name, 0 AS score, 0 AS dq, ho, disp, \
         COUNT(*) AS leads, SUM(deal) AS pipeline FROM {from} \
         WHERE facts = 1 {filter} GROUP BY {key}, ho, disp"
    )
}

fn totals_sql(dialect: Dialect) -> String {
    let (rules, greatest, real) = match dialect {
        Dialect::Sqlite => ("lead l, json_each(l.rules) e", "MAX", "REAL"),
        Dialect::Postgres => (
            "lead l, jsonb_array_elements_text(CAST(l.rules AS jsonb)) WITH ORDINALITY \
             AS e(value, key)",
            "GREATEST",
            "DOUBLE PRECISION",
        ),
    };
    let rule_rows = format!(
        "(SELECT DISTINCT l.contact_id, e.value AS rule, l.ho, l.disp, l.deal, l.facts \
         FROM {rules} WHERE l.facts = 1) r"
    );
    let waits = |fam: &str, key: &str| {
        format!(
            "SELECT '{fam}' AS family, {key} AS name, {greatest}(first_touch_at_ms - \
             handed_off_at_ms, 0) AS wait FROM lead WHERE facts = 1 AND ho = 1 \
             AND {key} IS NOT NULL AND first_touch_at_ms IS NOT NULL"
        )
    };
    let parts = [
        "SELECT 'all' AS family, '' AS name, score, CASE WHEN outcome = 'disqualified' \
         THEN 1 ELSE 0 END AS dq, ho, disp, COUNT(*) AS leads, SUM(deal) AS pipeline FROM lead \
         WHERE facts = 1 GROUP BY score, CASE WHEN outcome = 'disqualified' THEN 1 ELSE 0 END, \
         ho, disp"
            .to_owned(),
        family("source", "COALESCE(source, '(none)')", "lead", ""),
        family("tier", "COALESCE(tier, '(none)')", "lead", ""),
        family("buying_role", "COALESCE(buying_role, '(none)')", "lead", ""),
        family(
            "pool",
            "route_pool",
            "lead",
            "AND ho = 1 AND route_pool IS NOT NULL",
        ),
        family("owner", "owner", "lead", "AND ho = 1 AND owner IS NOT NULL"),
        family("rule", "rule", &rule_rows, ""),
        "SELECT 'none' AS family, '' AS name, 0 AS score, 0 AS dq, 0 AS ho, NULL AS disp, \
         COUNT(*) AS leads, 0.0 AS pipeline FROM lead WHERE facts = 0"
            .to_owned(),
        format!(
            "SELECT 'rule_first' AS family, value AS name, contact_id AS score, key AS dq, \
             0 AS ho, NULL AS disp, 0 AS leads, 0.0 AS pipeline FROM \
             (SELECT e.value, l.contact_id, e.key, ROW_NUMBER() OVER (PARTITION BY e.value \
             ORDER BY l.contact_id, e.key) AS first FROM {rules} WHERE l.facts = 1) f \
             WHERE first = 1"
        ),
        format!(
            "SELECT family || '_wait' AS family, name, wait AS score, 0 AS dq, 1 AS ho, \
             NULL AS disp, n AS leads, 0.0 AS pipeline FROM (SELECT family, \
             name, wait, ROW_NUMBER() OVER (PARTITION BY family, name ORDER BY wait) AS rn, \
             COUNT(*) OVER (PARTITION BY family, name) AS n FROM ({} UNION ALL {}) w) m \
             WHERE rn = (n + 1) / 2",
            waits("pool", "route_pool"),
            waits("owner", "owner")
        ),
    ];
    let parts: Vec<String> = parts
        .iter()
        .map(|p| {
            format!(
                "SELECT family, name, CAST(score AS BIGINT) AS score, \
                 CAST(dq AS BIGINT) AS engine_disqualified, CAST(ho AS BIGINT) AS handed_off, \
                 disp AS disposition, CAST(leads AS BIGINT) AS leads, \
                 CAST(pipeline AS {real}) AS pipeline FROM ({p}) p"
            )
        })
        .collect();
    format!("{}{}", lead_cte(dialect), parts.join(" UNION ALL "))
}

impl Kpis<'_> {
    /// The tuning report's totals over the portal's leads decided in `[since_ms, until_ms)`.
    pub async fn tune_totals(
        self,
        portal_id: PortalId,
        since_ms: i64,
        until_ms: i64,
    ) -> Result<Vec<TuneTotal>, StoreError> {
        // Built from constants only (the dialect's expressions).
        let sql = sqlx::AssertSqlSafe(totals_sql(self.db.dialect()));
        Ok(on_reader!(self.db, |pool| sqlx::query_as(sql)
            .bind(portal_id.get())
            .bind(since_ms)
            .bind(until_ms)
            .fetch_all(pool)
            .await?))
    }
}
