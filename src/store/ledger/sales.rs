//! What sales does after a handoff, as the ledger records it for the SLA ladder and the KPIs:
//! the first touch, a disposition, the deal amount, escalations, and a reassignment after a
//! missed SLA.

use sqlx::Database;

use super::{HandoffRow, LANE_SLA, Ledger, sla_key};
use crate::store::StoreError;
use crate::store::dispatch::{Param, Statement};
use crate::store::queue::cancel_pending;
use handoff_ids::OwnerId;

impl Ledger<'_> {
    /// Records the first sales touch (once); `true` if this call recorded it. The caller
    /// replaces the pending ladder (only the close-the-loop check stays).
    pub async fn record_touch(
        self,
        id: i64,
        touched_at_ms: i64,
        sla_met: bool,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "UPDATE handoffs SET first_touch_at_ms = $2, sla_met = $3, updated_at_ms = $4 \
             WHERE id = $1 AND first_touch_at_ms IS NULL";
        let n = on_writer!(self.db, |pool| sqlx::query(SQL)
            .bind(id)
            .bind(touched_at_ms)
            .bind(i64::from(sla_met))
            .bind(now_ms)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// Records a disposition (accepted / nurture / disqualified + reason) as HubSpot shows it
    /// (`disposition_via = 'hubspot'`) and closes the loop: the contact's pending SLA jobs are
    /// cancelled. A disposition given in Slack stands against HubSpot showing the same outcome
    /// (the status handoff wrote for it coming back); false when nothing changed.
    pub async fn record_disposition(
        self,
        handoff: &HandoffRow,
        outcome: &str,
        reason: Option<&str>,
        deal_amount: Option<f64>,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "UPDATE handoffs SET status = 'closed', disposition = $2, disposition_reason = $3, \
             disposition_at_ms = COALESCE(disposition_at_ms, $4), deal_amount = COALESCE($5, deal_amount), \
             disposition_via = 'hubspot', updated_at_ms = $4 \
             WHERE id = $1 \
             AND NOT (COALESCE(disposition_via, '') = 'slack' AND COALESCE(disposition, '') = $2)";
        const AMOUNT: &str =
            "UPDATE handoffs SET deal_amount = COALESCE($2, deal_amount) WHERE id = $1";
        let key = sla_key(handoff.portal_id, handoff.contact_id);
        let changed: bool = in_tx!(self.db, |tx| {
            let n = sqlx::query(SQL)
                .bind(handoff.id)
                .bind(outcome)
                .bind(reason)
                .bind(now_ms)
                .bind(deal_amount)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                sqlx::query(AMOUNT)
                    .bind(handoff.id)
                    .bind(deal_amount)
                    .execute(&mut *tx)
                    .await?;
            }
            cancel_pending(LANE_SLA, &key).execute(&mut *tx).await?;
            n == 1
        });
        Ok(changed)
    }

    /// Updates the deal amount of a handoff (pipeline by source).
    pub async fn record_deal_amount(
        self,
        id: i64,
        amount: f64,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE handoffs SET deal_amount = $2, updated_at_ms = $3 WHERE id = $1";
        on_writer!(self.db, |pool| sqlx::query(SQL)
            .bind(id)
            .bind(amount)
            .bind(now_ms)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Counts one escalation (manager task, fallback queue, missing disposition).
    pub async fn note_escalation(self, id: i64, now_ms: i64) -> Result<(), StoreError> {
        const SQL: &str =
            "UPDATE handoffs SET escalations = escalations + 1, updated_at_ms = $2 WHERE id = $1";
        on_writer!(self.db, |pool| sqlx::query(SQL)
            .bind(id)
            .bind(now_ms)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Hands the lead to a new owner after a missed SLA: a new trace id, task and ladder follow
    /// (the step goes back to `decided`); the old owner joins `missed_by`.
    pub async fn reassign(
        self,
        id: i64,
        change: &Reassignment,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        on_writer!(self.db, |pool| reassign_statement(
            REASSIGN.to_owned(),
            id,
            change,
            now_ms
        )
        .execute(pool)
        .await?
        .rows_affected());
        Ok(())
    }
}

/// A reassignment: the new owner, task and ladder follow (`$1` the handoff, `$2..$11` the change).
pub(super) const REASSIGN: &str = "UPDATE handoffs SET step = 'decided', owner_id = $2, team = $3, \
     trace_id = $4, task_id = NULL, task_attempted_at_ms = NULL, sla_due_at_ms = $5, sla_plan = $6, \
     missed_by = $7, reassignments = reassignments + 1, escalations = escalations + $8, \
     updated_at_ms = $9, task_text = $10, close_loop_due_ms = COALESCE($11, close_loop_due_ms) \
     WHERE id = $1";

/// [`REASSIGN`] (or a statement that extends it: `sql`) bound for handoff `id` and `change`
/// at `now_ms` (`$1..$11`).
pub(super) fn reassign_statement<DB: Database>(
    sql: String,
    id: i64,
    change: &Reassignment,
    now_ms: i64,
) -> Statement<DB>
where
    i64: Param<DB>,
    Option<i64>: Param<DB>,
    String: Param<DB>,
    Option<String>: Param<DB>,
{
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(change.owner_id.to_string())
        .bind(change.team.clone())
        .bind(change.trace_id.clone())
        .bind(change.sla_due_at_ms)
        .bind(change.sla_plan.clone())
        .bind(serde_json::to_string(&change.missed_by).unwrap_or_else(|_| "[]".into()))
        .bind(i64::from(change.escalation))
        .bind(now_ms)
        .bind(change.task_text.clone())
        .bind(change.close_loop_due_ms)
}

/// A reassignment after a missed SLA.
#[derive(Debug, Clone, PartialEq)]
pub struct Reassignment {
    pub owner_id: OwnerId,
    pub team: Option<String>,
    pub trace_id: String,
    pub sla_due_at_ms: Option<i64>,
    pub sla_plan: Option<String>,
    pub missed_by: Vec<OwnerId>,
    /// Counts as an escalation too (fallback queue).
    pub escalation: bool,
    pub task_text: Option<String>,
    pub close_loop_due_ms: Option<i64>,
}
