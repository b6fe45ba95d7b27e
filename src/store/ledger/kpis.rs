//! Read-only ledger queries for the KPIs (`handoff report`, the `handoff_kpi_*` gauges): lean
//! rows without free text or plans, so a 30-day window stays cheap to load on every engine.

use handoff_ids::{ContactId, OwnerId, PortalId};
use serde::Serialize;

use crate::store::StoreError;
use crate::store::dispatch::Db;

/// A handoff as the KPIs read it: who, which segment, and how far the lead got.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct KpiHandoff {
    #[sqlx(try_from = "i64")]
    #[serde(with = "handoff_ids::number")]
    pub portal_id: PortalId,
    #[sqlx(try_from = "i64")]
    #[serde(with = "handoff_ids::number")]
    pub contact_id: ContactId,
    /// `open`, `closed` or `merged`.
    pub status: String,
    #[sqlx(try_from = "String")]
    pub owner_id: OwnerId,
    pub team: Option<String>,
    pub tier: Option<String>,
    pub source: Option<String>,
    pub handed_off_at_ms: i64,
    pub sla_due_at_ms: Option<i64>,
    pub first_touch_at_ms: Option<i64>,
    /// 1 when the first touch came before the SLA was due, 0 when after; unset until touched.
    pub sla_met: Option<i64>,
    pub escalations: i64,
    pub reassignments: i64,
    pub disposition: Option<String>,
    pub disposition_reason: Option<String>,
    /// When sales gave the disposition (time to accept reads it for accepted handoffs).
    pub disposition_at_ms: Option<i64>,
    /// `slack` when a Slack alert's button set the disposition; `hubspot` or unset (older
    /// rows) when HubSpot's contact status or lead stage did.
    pub disposition_via: Option<String>,
    pub deal_amount: Option<f64>,
}

/// A contact that at least one decision in the period found ready (outcome `handed_off`),
/// with the owner and segment of its handoff when the ledger has one.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ReadyLead {
    #[sqlx(try_from = "i64")]
    #[serde(with = "handoff_ids::number")]
    pub portal_id: PortalId,
    #[sqlx(try_from = "i64")]
    #[serde(with = "handoff_ids::number")]
    pub contact_id: ContactId,
    /// The owner a ready decision named (the greatest id when decisions differ).
    #[sqlx(try_from = "crate::store::id_columns::NullableText")]
    pub decided_owner: Option<OwnerId>,
    /// The handoff's owner; `None` when no handoff holds the lead.
    #[sqlx(try_from = "crate::store::id_columns::NullableText")]
    pub owner_id: Option<OwnerId>,
    pub team: Option<String>,
    pub tier: Option<String>,
    pub source: Option<String>,
}

/// The decisions about one contact that had one outcome in a period: how many, and when the
/// latest was made (`handoff report` counts leads, not decisions, from these).
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct LeadOutcome {
    #[sqlx(try_from = "i64")]
    #[serde(with = "handoff_ids::number")]
    pub portal_id: PortalId,
    #[sqlx(try_from = "i64")]
    #[serde(with = "handoff_ids::number")]
    pub contact_id: ContactId,
    /// `handed_off`, `not_ready` or `disqualified`.
    pub outcome: String,
    pub decisions: i64,
    pub last_decided_at_ms: i64,
}

/// Ready leads still without an owner's task, by where they stopped (see
/// [`Kpis::unassigned_leads`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Unassigned {
    /// A ready decision, but no handoff holds the lead.
    pub not_handed_off: i64,
    /// An open handoff whose owner is not written to HubSpot yet.
    pub decided: i64,
    /// Owner written, follow-up task not created yet.
    pub contact_written: i64,
}

/// The KPI part of a [`crate::store::Store`]: reads only.
#[derive(Debug, Clone, Copy)]
pub struct Kpis<'s> {
    pub(in crate::store) db: &'s Db,
}

impl Kpis<'_> {
    /// Handoffs decided at or after `since_ms`, oldest first, with only what the KPIs read.
    pub async fn handoffs_since(self, since_ms: i64) -> Result<Vec<KpiHandoff>, StoreError> {
        const SQL: &str = "SELECT portal_id, contact_id, status, owner_id, team, tier, source, \
             handed_off_at_ms, sla_due_at_ms, first_touch_at_ms, sla_met, escalations, reassignments, \
             disposition, disposition_reason, disposition_at_ms, disposition_via, deal_amount \
             FROM handoffs WHERE handed_off_at_ms >= $1 ORDER BY handed_off_at_ms, id";
        Ok(on_reader!(self.db, |pool| sqlx::query_as(SQL)
            .bind(since_ms)
            .fetch_all(pool)
            .await?))
    }

    /// The outcomes of the decisions made at or after `since_ms`, one row per contact and
    /// outcome, with how many decisions had it and the latest one's time.
    pub async fn lead_outcomes_since(self, since_ms: i64) -> Result<Vec<LeadOutcome>, StoreError> {
        const SQL: &str = "SELECT portal_id, contact_id, outcome, COUNT(*) AS decisions, \
             MAX(decided_at_ms) AS last_decided_at_ms FROM decisions WHERE decided_at_ms >= $1 \
             GROUP BY portal_id, contact_id, outcome ORDER BY portal_id, contact_id, outcome";
        Ok(on_reader!(self.db, |pool| sqlx::query_as(SQL)
            .bind(since_ms)
            .fetch_all(pool)
            .await?))
    }

    /// Every contact with a `handed_off` decision at or after `since_ms`, once each, joined to
    /// its handoff (whenever that was made): the base of assignment coverage.
    pub async fn ready_leads_since(self, since_ms: i64) -> Result<Vec<ReadyLead>, StoreError> {
        const SQL: &str = "SELECT r.portal_id, r.contact_id, r.decided_owner, h.owner_id, h.team, \
             h.tier, h.source FROM (SELECT portal_id, contact_id, MAX(owner_id) AS decided_owner \
             FROM decisions WHERE outcome = 'handed_off' AND decided_at_ms >= $1 \
             GROUP BY portal_id, contact_id) r \
             LEFT JOIN handoffs h ON h.portal_id = r.portal_id AND h.contact_id = r.contact_id \
             ORDER BY r.portal_id, r.contact_id";
        Ok(on_reader!(self.db, |pool| sqlx::query_as(SQL)
            .bind(since_ms)
            .fetch_all(pool)
            .await?))
    }

    /// Ready leads nobody was given yet: contacts with a `handed_off` decision made in
    /// `[since_ms, before_ms)` that no handoff holds, and open handoffs made before
    /// `before_ms` that have not reached `task_created`. `before_ms` leaves the pipeline its
    /// normal time to finish; a reassigned handoff counts again until its new task exists.
    pub async fn unassigned_leads(
        self,
        since_ms: i64,
        before_ms: i64,
    ) -> Result<Unassigned, StoreError> {
        const SQL: &str = "SELECT 'not_handed_off' AS stage, COUNT(*) AS leads FROM \
             (SELECT d.portal_id, d.contact_id FROM decisions d \
              LEFT JOIN handoffs h ON h.portal_id = d.portal_id AND h.contact_id = d.contact_id \
              WHERE d.outcome = 'handed_off' AND d.decided_at_ms >= $1 AND d.decided_at_ms < $2 \
              AND h.id IS NULL GROUP BY d.portal_id, d.contact_id) r \
             UNION ALL SELECT step AS stage, COUNT(*) AS leads FROM handoffs \
             WHERE status = 'open' AND step IN ('decided', 'contact_written') \
             AND handed_off_at_ms < $2 GROUP BY step";
        let rows: Vec<(String, i64)> = on_reader!(self.db, |pool| sqlx::query_as(SQL)
            .bind(since_ms)
            .bind(before_ms)
            .fetch_all(pool)
            .await?);
        let mut out = Unassigned::default();
        for (stage, leads) in rows {
            match stage.as_str() {
                "not_handed_off" => out.not_handed_off = leads,
                "decided" => out.decided = leads,
                "contact_written" => out.contact_written = leads,
                _ => {}
            }
        }
        Ok(out)
    }

    /// Decisions made at or after `since_ms`: `(outcome, count)`.
    pub async fn decision_counts_since(
        self,
        since_ms: i64,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        const SQL: &str = "SELECT outcome, COUNT(*) FROM decisions WHERE decided_at_ms >= $1 \
             GROUP BY outcome ORDER BY outcome";
        Ok(on_reader!(self.db, |pool| sqlx::query_as(SQL)
            .bind(since_ms)
            .fetch_all(pool)
            .await?))
    }
}
