//! Read-only ledger rows for the tuning report (`handoff tune`, the review's tuning section)
//! and replays (`handoff simulate --playbook`): each decision's recorded facts (migration
//! 0012) with what became of its lead (the handoff's disposition, pipeline and first touch).
//! The report reads a lead's last decision of the period from `lead_facts` (migration 0017:
//! one row per lead, kept by triggers), one indexed handoff per lead; every decision of a
//! period with its outcome is still there for the tests' oracle and for callers that want
//! them all.

use handoff_ids::{ContactId, OwnerId, PortalId};
use serde::Serialize;

use super::kpis::Kpis;
use super::lead_batches::BATCH;
use crate::store::StoreError;
use crate::store::dispatch::Dialect;

/// One decision's facts with its lead's outcome. The facts are `None` on decisions recorded
/// before they existed (`score_total` is the marker); the outcome is `None` while the lead
/// has no handoff, no disposition, no deal or no touch yet.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct DecisionFactRow {
    #[sqlx(try_from = "i64")]
    #[serde(with = "handoff_ids::number")]
    pub contact_id: ContactId,
    pub decided_at_ms: i64,
    /// `handed_off`, `not_ready` or `disqualified`.
    pub outcome: String,
    #[sqlx(try_from = "crate::store::id_columns::NullableText")]
    pub owner_id: Option<OwnerId>,
    pub score_total: Option<i64>,
    pub tier: Option<String>,
    pub source: Option<String>,
    pub buying_role: Option<String>,
    pub route_kind: Option<String>,
    pub route_pool: Option<String>,
    pub fallback_from: Option<String>,
    /// Ids of the scoring rules that matched, a JSON array as stored.
    pub rules: Option<String>,
    /// The handoff's owner now (after any reassignment).
    #[sqlx(try_from = "crate::store::id_columns::NullableText")]
    pub handoff_owner: Option<OwnerId>,
    pub handed_off_at_ms: Option<i64>,
    pub first_touch_at_ms: Option<i64>,
    /// `accepted`, `nurture` or `disqualified`, as sales said.
    pub disposition: Option<String>,
    pub deal_amount: Option<f64>,
}

impl DecisionFactRow {
    /// The matched scoring rules; `None` when not recorded (or unreadable).
    pub fn rules(&self) -> Option<Vec<String>> {
        serde_json::from_str(self.rules.as_deref()?).ok()
    }
}

/// One decision's recorded contact (the engine's `Contact` JSON cut to what the playbook
/// read), with what was decided, for replays.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct RecordedContact {
    #[sqlx(try_from = "i64")]
    #[serde(with = "handoff_ids::number")]
    pub contact_id: ContactId,
    pub decided_at_ms: i64,
    pub outcome: String,
    #[sqlx(try_from = "crate::store::id_columns::NullableText")]
    pub owner_id: Option<OwnerId>,
    pub tier: Option<String>,
    pub contact: String,
}

impl Kpis<'_> {
    /// The portal's decisions of `[since_ms, until_ms)` with their facts and their lead's
    /// outcome, by contact and time (a lead's last decision is its last row).
    pub async fn decision_facts_between(
        self,
        portal_id: PortalId,
        since_ms: i64,
        until_ms: i64,
    ) -> Result<Vec<DecisionFactRow>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            fact_columns!("d"),
            " FROM decisions d LEFT JOIN handoffs h \
             ON h.portal_id = d.portal_id AND h.contact_id = d.contact_id \
             WHERE d.portal_id = $1 AND d.decided_at_ms >= $2 AND d.decided_at_ms < $3 \
             ORDER BY d.contact_id, d.decided_at_ms, d.id",
        );
        self.fact_rows(SQL, portal_id, (since_ms, until_ms)).await
    }

    /// The last decision of each lead decided in `[since_ms, until_ms)` (latest time, ties by
    /// the greater id), with its lead's outcome, in no order: the last of that lead's rows in
    /// `decision_facts_between`. A lead's last decision overall comes from `lead_facts` (on
    /// SQLite in batches, `lead_batches.rs`); only leads decided again at or after `until_ms`
    /// are looked up in `decisions`.
    pub async fn last_decision_facts_between(
        self,
        portal_id: PortalId,
        since_ms: i64,
        until_ms: i64,
    ) -> Result<Vec<DecisionFactRow>, StoreError> {
        self.last_decision_facts_in_batches(portal_id, (since_ms, until_ms), BATCH)
            .await
    }

    /// `last_decision_facts_between` with `batch` leads a statement on SQLite (tests use small
    /// ones). PostgreSQL returns a row per lead: there sqlx moves rows cheaply and building the
    /// JSON costs more than it saves (BENCHMARKS.md "Each lead's last decision kept at write
    /// time").
    #[doc(hidden)]
    pub async fn last_decision_facts_in_batches(
        self,
        portal_id: PortalId,
        (since_ms, until_ms): (i64, i64),
        batch: i64,
    ) -> Result<Vec<DecisionFactRow>, StoreError> {
        let mut rows = match self.db.dialect() {
            Dialect::Sqlite => {
                self.lead_facts_batched(portal_id, (since_ms, until_ms), batch)
                    .await?
            }
            Dialect::Postgres => self.lead_facts_rows(portal_id, since_ms, until_ms).await?,
        };
        rows.extend(self.decided_again(portal_id, since_ms, until_ms).await?);
        Ok(rows)
    }

    /// The facts of the leads whose last decision was in `[since_ms, until_ms)`, a row each.
    async fn lead_facts_rows(
        self,
        portal_id: PortalId,
        since_ms: i64,
        until_ms: i64,
    ) -> Result<Vec<DecisionFactRow>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            fact_columns!("f"),
            " FROM lead_facts f LEFT JOIN handoffs h \
             ON h.portal_id = f.portal_id AND h.contact_id = f.contact_id \
             WHERE f.portal_id = $1 AND f.decided_at_ms >= $2 AND f.decided_at_ms < $3",
        );
        self.fact_rows(SQL, portal_id, (since_ms, until_ms)).await
    }

    /// The last decision in `[since_ms, until_ms)` of the leads decided there and again at or
    /// after `until_ms` (none when the period runs to now).
    async fn decided_again(
        self,
        portal_id: PortalId,
        since_ms: i64,
        until_ms: i64,
    ) -> Result<Vec<DecisionFactRow>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            fact_columns!("d"),
            " FROM lead_facts f JOIN decisions d ON d.id = (SELECT e.id FROM decisions e \
             WHERE e.portal_id = f.portal_id AND e.contact_id = f.contact_id \
             AND e.decided_at_ms >= $2 AND e.decided_at_ms < $3 \
             ORDER BY e.decided_at_ms DESC, e.id DESC LIMIT 1) \
             LEFT JOIN handoffs h ON h.portal_id = f.portal_id AND h.contact_id = f.contact_id \
             WHERE f.portal_id = $1 AND f.decided_at_ms >= $3 AND f.first_decided_at_ms < $3",
        );
        self.fact_rows(SQL, portal_id, (since_ms, until_ms)).await
    }

    /// The portal's recorded contacts of `[since_ms, until_ms)`, by contact and time;
    /// decisions recorded without one (before migration 0012) are left out.
    pub async fn recorded_contacts_between(
        self,
        portal_id: PortalId,
        since_ms: i64,
        until_ms: i64,
    ) -> Result<Vec<RecordedContact>, StoreError> {
        const SQL: &str = "SELECT contact_id, decided_at_ms, outcome, owner_id, tier, contact \
             FROM decisions WHERE portal_id = $1 AND decided_at_ms >= $2 \
             AND decided_at_ms < $3 AND contact IS NOT NULL \
             ORDER BY contact_id, decided_at_ms, id";
        Ok(on_reader!(self.db, |pool| sqlx::query_as(SQL)
            .bind(portal_id.get())
            .bind(since_ms)
            .bind(until_ms)
            .fetch_all(pool)
            .await?))
    }

    /// The `DecisionFactRow`s `sql` reads for the portal (`$1`) and period (`$2`, `$3`).
    async fn fact_rows(
        self,
        sql: &'static str,
        portal_id: PortalId,
        (since_ms, until_ms): (i64, i64),
    ) -> Result<Vec<DecisionFactRow>, StoreError> {
        Ok(on_reader!(self.db, |pool| sqlx::query_as(sql)
            .bind(portal_id.get())
            .bind(since_ms)
            .bind(until_ms)
            .fetch_all(pool)
            .await?))
    }
}
