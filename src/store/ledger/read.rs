//! Read-only ledger queries for the KPIs (`handoff report`, the `handoff_kpi_*` gauges): lean
//! rows without free text or plans, so a 30-day window stays cheap to load on every engine.

use serde::Serialize;

use super::{Backend, Store, StoreError};

/// A handoff as the KPIs read it: who, which segment, and how far the lead got.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct KpiHandoff {
    pub portal_id: i64,
    pub contact_id: i64,
    /// `open`, `closed` or `merged`.
    pub status: String,
    pub owner_id: String,
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
    pub deal_amount: Option<f64>,
}

/// A contact that at least one decision in the period found ready (outcome `handed_off`),
/// with the owner and segment of its handoff when the ledger has one.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ReadyLead {
    pub portal_id: i64,
    pub contact_id: i64,
    /// The owner a ready decision named (the greatest id when decisions differ).
    pub decided_owner: Option<String>,
    /// The handoff's owner; `None` when no handoff holds the lead.
    pub owner_id: Option<String>,
    pub team: Option<String>,
    pub tier: Option<String>,
    pub source: Option<String>,
}

impl Store {
    /// Handoffs decided at or after `since_ms`, oldest first, with only what the KPIs read.
    pub async fn kpi_handoffs_since(&self, since_ms: i64) -> Result<Vec<KpiHandoff>, StoreError> {
        const SQL: &str = "SELECT portal_id, contact_id, status, owner_id, team, tier, source, \
             handed_off_at_ms, sla_due_at_ms, first_touch_at_ms, sla_met, escalations, reassignments, \
             disposition, disposition_reason, deal_amount FROM handoffs \
             WHERE handed_off_at_ms >= $1 ORDER BY handed_off_at_ms, id";
        Ok(on_reader!(self, |pool| sqlx::query_as(SQL)
            .bind(since_ms)
            .fetch_all(pool)
            .await?))
    }

    /// Every contact with a `handed_off` decision at or after `since_ms`, once each, joined to
    /// its handoff (whenever that was made): the base of assignment coverage.
    pub async fn ready_leads_since(&self, since_ms: i64) -> Result<Vec<ReadyLead>, StoreError> {
        const SQL: &str = "SELECT r.portal_id, r.contact_id, r.decided_owner, h.owner_id, h.team, \
             h.tier, h.source FROM (SELECT portal_id, contact_id, MAX(owner_id) AS decided_owner \
             FROM decisions WHERE outcome = 'handed_off' AND decided_at_ms >= $1 \
             GROUP BY portal_id, contact_id) r \
             LEFT JOIN handoffs h ON h.portal_id = r.portal_id AND h.contact_id = r.contact_id \
             ORDER BY r.portal_id, r.contact_id";
        Ok(on_reader!(self, |pool| sqlx::query_as(SQL)
            .bind(since_ms)
            .fetch_all(pool)
            .await?))
    }

    /// The handoff of one contact, if it has one.
    pub async fn handoff_of(
        &self,
        portal_id: i64,
        contact_id: i64,
    ) -> Result<Option<super::HandoffRow>, StoreError> {
        Ok(self
            .handoffs_for(portal_id, &[contact_id])
            .await?
            .into_iter()
            .next())
    }
}
