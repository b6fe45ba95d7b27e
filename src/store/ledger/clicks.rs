//! What a click in a Slack alert changes in the ledger, each in one transaction with the
//! click's outcome, and only while the handoff is still the assignment that was clicked (open,
//! same version): a second click, or a click racing an SLA step or a HubSpot status, finds the
//! handoff changed and changes nothing.

use handoff_ids::{ContactId, PortalId};

use super::sales::{REASSIGN, Reassignment, reassign_statement};
use super::{LANE_SLA, Ledger, sla_key};
use crate::store::StoreError;
use crate::store::queue::cancel_pending;

/// A disposition given with a button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClickDisposition<'a> {
    pub handoff_id: i64,
    /// The handoff's lead (whose pending SLA checks are cancelled).
    pub lead: (PortalId, ContactId),
    /// The assignment clicked (`handoffs.reassignments`).
    pub version: i64,
    pub click_id: i64,
    /// `accepted` or `disqualified`.
    pub outcome: &'a str,
    pub reason: Option<&'a str>,
    /// What the click's row records (`accepted`, `not_a_fit`).
    pub click_outcome: &'a str,
    pub now_ms: i64,
}

/// The handoff is open and still the clicked assignment, with no disposition yet.
const CURRENT: &str = "status = 'open' AND reassignments = $V AND disposition IS NULL";

const CLICK_APPLIED: &str = "UPDATE slack_clicks SET applied_at_ms = $2, outcome = $3 \
     WHERE id = $1 AND applied_at_ms IS NULL";

impl Ledger<'_> {
    /// Records a disposition given in Slack (`disposition_via = 'slack'`), and with it the
    /// first touch if there was none (met when at or before the SLA's due time); the lead's
    /// pending SLA checks are cancelled and the click marked applied. False, changing nothing,
    /// when the handoff is no longer the clicked open assignment.
    pub async fn click_disposition(self, c: &ClickDisposition<'_>) -> Result<bool, StoreError> {
        let sql = format!(
            "UPDATE handoffs SET status = 'closed', disposition = $2, disposition_reason = $3, \
             disposition_at_ms = COALESCE(disposition_at_ms, $4), disposition_via = 'slack', \
             sla_met = CASE WHEN first_touch_at_ms IS NOT NULL THEN sla_met \
                WHEN sla_due_at_ms IS NULL OR $4 <= sla_due_at_ms THEN 1 ELSE 0 END, \
             first_touch_at_ms = COALESCE(first_touch_at_ms, $4), updated_at_ms = $4 \
             WHERE id = $1 AND {}",
            CURRENT.replace("$V", "$5")
        );
        let applied: bool = in_tx!(self.db, |tx| {
            let n = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(c.handoff_id)
                .bind(c.outcome)
                .bind(c.reason)
                .bind(c.now_ms)
                .bind(c.version)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 1 {
                let key = sla_key(c.lead.0, c.lead.1);
                cancel_pending(LANE_SLA, &key).execute(&mut *tx).await?;
                sqlx::query(CLICK_APPLIED)
                    .bind(c.click_id)
                    .bind(c.now_ms)
                    .bind(c.click_outcome)
                    .execute(&mut *tx)
                    .await?;
            }
            n == 1
        });
        Ok(applied)
    }

    /// Hands the lead to a new owner because its owner clicked Reassign, and marks the click
    /// applied (`reassigned`). False, changing nothing, when the handoff is no longer the
    /// clicked open assignment.
    pub async fn click_reassign(
        self,
        (handoff_id, version, click_id): (i64, i64, i64),
        change: &Reassignment,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let sql = format!("{REASSIGN} AND {}", CURRENT.replace("$V", "$12"));
        let applied: bool = in_tx!(self.db, |tx| {
            let n = reassign_statement(sql.clone(), handoff_id, change, now_ms)
                .bind(version)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 1 {
                sqlx::query(CLICK_APPLIED)
                    .bind(click_id)
                    .bind(now_ms)
                    .bind("reassigned")
                    .execute(&mut *tx)
                    .await?;
            }
            n == 1
        });
        Ok(applied)
    }
}
