//! Read-only ledger queries for the weekly review (`handoff review`, `GET /review`): one
//! portal, one period `[since_ms, until_ms)` at a time. The KPI rows are the very rows
//! `handoff report` reads ([`KpiHandoff`], [`ReadyLead`], [`LeadOutcome`]), bounded on both
//! sides, so every KPI keeps its one definition; the routing-health rows (pool picks, who
//! missed, loops not closed) are small aggregates. Indexed by `0013_review_indexes.sql` and, for pools, `0012_decision_facts.sql`.

use handoff_ids::{OwnerId, PortalId};
use std::collections::BTreeMap;

use serde::Serialize;

use super::kpis::{KpiHandoff, Kpis, LeadOutcome, ReadyLead};
use crate::store::StoreError;
use crate::store::dispatch::Dialect;

/// Owners a pool's round-robin picked in a period: the decisions recorded as assigned by that
/// pool (`route_pool`; for decisions older than facts, `routing.assignment.via.pool` of the
/// explanation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct PoolPick {
    pub pool: String,
    #[sqlx(try_from = "String")]
    pub owner_id: OwnerId,
    pub decisions: i64,
}

/// A handoff of the period that was reassigned after a missed SLA: the owners who missed it
/// (a JSON array, as stored) and who holds it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Reassigned {
    #[sqlx(try_from = "String")]
    pub owner_id: OwnerId,
    pub missed_by: String,
    pub reassignments: i64,
}

impl Reassigned {
    /// The owners who missed it; an unreadable list reads as none.
    pub fn missed_by(&self) -> Vec<OwnerId> {
        super::owner_list(&self.missed_by)
    }
}

/// One owner's open handoffs still without a disposition after it was due (close the loop).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct LoopOverdue {
    #[sqlx(try_from = "String")]
    pub owner_id: OwnerId,
    pub handoffs: i64,
    /// When the oldest of them was due.
    pub oldest_due_ms: i64,
}

impl Kpis<'_> {
    /// The portal's handoffs made in `[since_ms, until_ms)`, oldest first.
    pub async fn handoffs_between(
        self,
        portal_id: PortalId,
        since_ms: i64,
        until_ms: i64,
    ) -> Result<Vec<KpiHandoff>, StoreError> {
        const SQL: &str = "SELECT portal_id, contact_id, status, owner_id, team, tier, source, \
             handed_off_at_ms, sla_due_at_ms, first_touch_at_ms, sla_met, escalations, reassignments, \
             disposition, disposition_reason, disposition_at_ms, disposition_via, deal_amount \
             FROM handoffs WHERE portal_id = $1 AND handed_off_at_ms >= $2 AND handed_off_at_ms < $3 \
             ORDER BY handed_off_at_ms, id";
        self.in_period(SQL, (portal_id, since_ms, until_ms)).await
    }

    /// [`Kpis::ready_leads_since`] for one portal and a bounded period: every contact with a
    /// `handed_off` decision in `[since_ms, until_ms)`, once, joined to its handoff.
    pub async fn ready_leads_between(
        self,
        portal_id: PortalId,
        since_ms: i64,
        until_ms: i64,
    ) -> Result<Vec<ReadyLead>, StoreError> {
        const SQL: &str = "SELECT r.portal_id, r.contact_id, r.decided_owner, h.owner_id, h.team, \
             h.tier, h.source FROM (SELECT portal_id, contact_id, MAX(owner_id) AS decided_owner \
             FROM decisions WHERE portal_id = $1 AND decided_at_ms >= $2 AND decided_at_ms < $3 \
             AND outcome = 'handed_off' GROUP BY portal_id, contact_id) r \
             LEFT JOIN handoffs h ON h.portal_id = r.portal_id AND h.contact_id = r.contact_id \
             ORDER BY r.contact_id";
        self.in_period(SQL, (portal_id, since_ms, until_ms)).await
    }

    /// [`Kpis::lead_outcomes_since`] for one portal and a bounded period.
    pub async fn lead_outcomes_between(
        self,
        portal_id: PortalId,
        since_ms: i64,
        until_ms: i64,
    ) -> Result<Vec<LeadOutcome>, StoreError> {
        const SQL: &str = "SELECT portal_id, contact_id, outcome, COUNT(*) AS decisions, \
             MAX(decided_at_ms) AS last_decided_at_ms FROM decisions \
             WHERE portal_id = $1 AND decided_at_ms >= $2 AND decided_at_ms < $3 \
             GROUP BY portal_id, contact_id, outcome ORDER BY contact_id, outcome";
        self.in_period(SQL, (portal_id, since_ms, until_ms)).await
    }

    /// Owners each pool picked in `[since_ms, until_ms)`: the `handed_off` decisions' recorded
    /// pool (`route_pool`, migration 0012). Decisions recorded before facts existed
    /// (`score_total IS NULL`) are read from their explanation instead, so an old ledger
    /// counts the same; on a ledger without any, that part reads an empty index.
    pub async fn pool_picks_between(
        self,
        portal_id: PortalId,
        since_ms: i64,
        until_ms: i64,
    ) -> Result<Vec<PoolPick>, StoreError> {
        let old_pool = match self.db.dialect() {
            Dialect::Sqlite => "json_extract(explanation, '$.routing.assignment.via.pool')",
            Dialect::Postgres => "CAST(explanation AS json) #>> '{routing,assignment,via,pool}'",
        };
        let sql = format!(
            "SELECT pool, owner_id, COUNT(*) AS decisions FROM \
             (SELECT route_pool AS pool, owner_id FROM decisions \
              WHERE portal_id = $1 AND decided_at_ms >= $2 AND decided_at_ms < $3 \
              AND route_pool IS NOT NULL AND outcome = 'handed_off' AND owner_id IS NOT NULL \
              UNION ALL \
              SELECT {old_pool} AS pool, owner_id FROM decisions \
              WHERE portal_id = $1 AND decided_at_ms >= $2 AND decided_at_ms < $3 \
              AND score_total IS NULL AND outcome = 'handed_off' AND owner_id IS NOT NULL \
              AND explanation LIKE '%\"kind\":\"pool\"%') p \
             WHERE pool IS NOT NULL GROUP BY pool, owner_id ORDER BY pool, owner_id"
        );
        // Only the dialect's own constant expression is formatted in.
        let sql = sqlx::AssertSqlSafe(sql);
        self.in_period(sql, (portal_id, since_ms, until_ms)).await
    }

    /// Leads of `[since_ms, until_ms)` that fell through each pool (no eligible member) to the
    /// rest of the fallback chain, by the first pool they fell through (`fallback_from`).
    /// `None` when a `handed_off` decision of the period was recorded before facts existed:
    /// its fallbacks are unknown, and a count without it would be wrong.
    pub async fn pool_fallbacks_between(
        self,
        portal_id: PortalId,
        since_ms: i64,
        until_ms: i64,
    ) -> Result<Option<BTreeMap<String, u64>>, StoreError> {
        const UNKNOWN: &str = "SELECT COUNT(*) FROM decisions WHERE portal_id = $1 \
             AND decided_at_ms >= $2 AND decided_at_ms < $3 AND score_total IS NULL \
             AND outcome = 'handed_off'";
        const SQL: &str = "SELECT fallback_from, COUNT(*) FROM decisions WHERE portal_id = $1 \
             AND decided_at_ms >= $2 AND decided_at_ms < $3 AND fallback_from IS NOT NULL \
             GROUP BY fallback_from";
        let unknown: i64 = on_reader!(self.db, |pool| sqlx::query_scalar(UNKNOWN)
            .bind(portal_id.get())
            .bind(since_ms)
            .bind(until_ms)
            .fetch_one(pool)
            .await?);
        if unknown > 0 {
            return Ok(None);
        }
        let rows: Vec<(String, i64)> = on_reader!(self.db, |pool| sqlx::query_as(SQL)
            .bind(portal_id.get())
            .bind(since_ms)
            .bind(until_ms)
            .fetch_all(pool)
            .await?);
        Ok(Some(
            rows.into_iter()
                .map(|(pool, n)| (pool, u64::try_from(n).unwrap_or(0)))
                .collect(),
        ))
    }

    /// The portal's handoffs made in `[since_ms, until_ms)` that were reassigned.
    pub async fn reassigned_between(
        self,
        portal_id: PortalId,
        since_ms: i64,
        until_ms: i64,
    ) -> Result<Vec<Reassigned>, StoreError> {
        const SQL: &str = "SELECT owner_id, missed_by, reassignments FROM handoffs \
             WHERE portal_id = $1 AND handed_off_at_ms >= $2 AND handed_off_at_ms < $3 \
             AND reassignments > 0 ORDER BY handed_off_at_ms, id";
        self.in_period(SQL, (portal_id, since_ms, until_ms)).await
    }

    /// Per owner, the portal's open handoffs without a disposition whose close-the-loop time
    /// (`close_loop_due_ms`) is before `now_ms`, whenever they were made.
    pub async fn loops_overdue(
        self,
        portal_id: PortalId,
        now_ms: i64,
    ) -> Result<Vec<LoopOverdue>, StoreError> {
        const SQL: &str = "SELECT owner_id, COUNT(*) AS handoffs, \
             MIN(close_loop_due_ms) AS oldest_due_ms FROM handoffs \
             WHERE portal_id = $1 AND status = 'open' AND disposition IS NULL \
             AND close_loop_due_ms < $2 GROUP BY owner_id ORDER BY COUNT(*) DESC, owner_id";
        Ok(on_reader!(self.db, |pool| sqlx::query_as(SQL)
            .bind(portal_id.get())
            .bind(now_ms)
            .fetch_all(pool)
            .await?))
    }

    /// The rows `sql` selects for one portal (`$1`) in a period `[$2, $3)`.
    async fn in_period<T>(
        self,
        sql: impl sqlx::SqlSafeStr,
        (portal_id, since_ms, until_ms): (PortalId, i64, i64),
    ) -> Result<Vec<T>, StoreError>
    where
        T: Send
            + Unpin
            + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
    {
        Ok(on_reader!(self.db, |pool| sqlx::query_as(sql)
            .bind(portal_id.get())
            .bind(since_ms)
            .bind(until_ms)
            .fetch_all(pool)
            .await?))
    }
}
