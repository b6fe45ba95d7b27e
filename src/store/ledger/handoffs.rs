//! Reading the ledger: a contact's handoff, a batch's handoffs, the handoffs of a period, and
//! the decisions about one contact (the worker's next step, `handoff explain`, the demo).

use super::{DecisionRow, HandoffRow, Ledger};
use crate::store::StoreError;
use crate::store::dispatch::id_list;
use handoff_ids::{ContactId, PortalId};

const HANDOFF_COLUMNS: &str = "id, portal_id, contact_id, status, step, owner_id, team, score, tier, \
     sla_tier, source, trace_id, task_id, task_attempted_at_ms, handed_off_at_ms, sla_due_at_ms, \
     close_loop_due_ms, sla_plan, task_text, first_touch_at_ms, sla_met, escalations, reassignments, missed_by, \
     disposition, disposition_reason, disposition_at_ms, deal_amount, updated_at_ms";

impl Ledger<'_> {
    /// Handoffs of these contacts (at most one each).
    pub async fn handoffs_for(
        self,
        portal_id: PortalId,
        contacts: &[ContactId],
    ) -> Result<Vec<HandoffRow>, StoreError> {
        let mut out = Vec::new();
        for chunk in contacts.chunks(200) {
            let list = id_list(chunk);
            // Ids are integers, so the list cannot inject anything.
            let sql = format!(
                "SELECT {HANDOFF_COLUMNS} FROM handoffs WHERE portal_id = $1 AND contact_id IN ({list})"
            );
            let rows: Vec<HandoffRow> =
                on_reader!(self.db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(portal_id.get())
                    .fetch_all(pool)
                    .await?);
            out.extend(rows);
        }
        Ok(out)
    }

    /// One handoff by id.
    pub async fn handoff(self, id: i64) -> Result<Option<HandoffRow>, StoreError> {
        let sql = format!("SELECT {HANDOFF_COLUMNS} FROM handoffs WHERE id = $1");
        Ok(on_reader!(self.db, |pool| sqlx::query_as(
            sqlx::AssertSqlSafe(sql)
        )
        .bind(id)
        .fetch_optional(pool)
        .await?))
    }

    /// Every handoff decided at or after `since_ms`, oldest first (for reports).
    pub async fn handoffs_since(self, since_ms: i64) -> Result<Vec<HandoffRow>, StoreError> {
        let sql = format!(
            "SELECT {HANDOFF_COLUMNS} FROM handoffs WHERE handed_off_at_ms >= $1 ORDER BY handed_off_at_ms, id"
        );
        Ok(on_reader!(self.db, |pool| sqlx::query_as(
            sqlx::AssertSqlSafe(sql)
        )
        .bind(since_ms)
        .fetch_all(pool)
        .await?))
    }

    /// The stored decisions about one contact, oldest first.
    pub async fn decisions_of(
        self,
        portal_id: PortalId,
        contact_id: ContactId,
    ) -> Result<Vec<DecisionRow>, StoreError> {
        const SQL: &str = "SELECT id, portal_id, contact_id, decided_at_ms, trigger, outcome, owner_id, \
             explanation FROM decisions WHERE portal_id = $1 AND contact_id = $2 ORDER BY decided_at_ms, id";
        Ok(on_reader!(self.db, |pool| sqlx::query_as(SQL)
            .bind(portal_id.get())
            .bind(contact_id.get())
            .fetch_all(pool)
            .await?))
    }

    /// The handoff of one contact, if it has one.
    pub async fn handoff_of(
        self,
        portal_id: PortalId,
        contact_id: ContactId,
    ) -> Result<Option<HandoffRow>, StoreError> {
        Ok(self
            .handoffs_for(portal_id, &[contact_id])
            .await?
            .into_iter()
            .next())
    }
}
