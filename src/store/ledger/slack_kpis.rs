//! Read-only counts of the Slack tables for the scoreboard and the weekly review (issue #18):
//! alerts by state and reason, clicks by action and outcome, in a period. The tables hold one
//! row per alert and per click, so plain `GROUP BY`s over them are cheap; the handoffs are not
//! read here (acceptance by channel comes from the KPIs' own pass over them).

use handoff_ids::PortalId;
use serde::Serialize;

use super::kpis::Kpis;
use crate::store::StoreError;

/// What the Slack tables hold for a period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SlackCounts {
    /// Whether the portal (or any portal) has any alert or click at all, in any period: Slack
    /// alerts are optional, and a portal that never used them gets no Slack figures.
    pub ever: bool,
    /// `(state, reason, alerts)` of the alerts created in the period; the reason
    /// (`last_error`) only for `failed` ones.
    pub alerts: Vec<(String, Option<String>, i64)>,
    /// `(action, outcome, clicks)` of the clicks received in the period; no outcome while the
    /// worker has not applied the click.
    pub clicks: Vec<(String, Option<String>, i64)>,
}

/// `portal_id = $1` unless `$1` is 0 (every portal; portal ids start at 1).
const PORTAL: &str = "($1 = 0 OR portal_id = $1)";

impl Kpis<'_> {
    /// The Slack tables' counts for `[since_ms, until_ms)`, of one portal or (`None`) of all.
    pub async fn slack_counts(
        self,
        portal_id: Option<PortalId>,
        since_ms: i64,
        until_ms: i64,
    ) -> Result<SlackCounts, StoreError> {
        let portal = portal_id.map_or(0, PortalId::get);
        let ever_sql = format!(
            "SELECT CAST((SELECT COUNT(*) FROM (SELECT 1 AS one FROM slack_alerts WHERE {PORTAL} \
             LIMIT 1) a) + (SELECT COUNT(*) FROM (SELECT 1 AS one FROM slack_clicks \
             WHERE {PORTAL} LIMIT 1) c) AS BIGINT)"
        );
        let alerts_sql = format!(
            "SELECT state, reason, CAST(COUNT(*) AS BIGINT) FROM (SELECT state, CASE WHEN \
             state = 'failed' THEN last_error END AS reason FROM slack_alerts WHERE {PORTAL} \
             AND created_at_ms >= $2 AND created_at_ms < $3) a GROUP BY state, reason"
        );
        let clicks_sql = format!(
            "SELECT action, outcome, CAST(COUNT(*) AS BIGINT) FROM slack_clicks WHERE {PORTAL} \
             AND received_at_ms >= $2 AND received_at_ms < $3 GROUP BY action, outcome"
        );
        // Only the constant `PORTAL` is formatted in.
        let sql = |s: String| sqlx::AssertSqlSafe(s);
        let rows: i64 = on_reader!(self.db, |pool| sqlx::query_scalar(sql(ever_sql.clone()))
            .bind(portal)
            .fetch_one(pool)
            .await?);
        let alerts = on_reader!(self.db, |pool| sqlx::query_as(sql(alerts_sql.clone()))
            .bind(portal)
            .bind(since_ms)
            .bind(until_ms)
            .fetch_all(pool)
            .await?);
        let clicks = on_reader!(self.db, |pool| sqlx::query_as(sql(clicks_sql.clone()))
            .bind(portal)
            .bind(since_ms)
            .bind(until_ms)
            .fetch_all(pool)
            .await?);
        Ok(SlackCounts {
            ever: rows > 0,
            alerts,
            clicks,
        })
    }
}
