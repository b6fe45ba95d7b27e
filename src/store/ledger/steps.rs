//! The write-back steps of a handoff, in order (decided → contact written → task created →
//! SLA scheduled): the worker records each as it completes, so a retry resumes at the first
//! step not done and never sends a task twice.

use handoff_ids::TaskId;

use super::{HandoffRow, LANE_SLA, Ledger, Step, sla_key};
use crate::store::StoreError;
use crate::store::dispatch::id_list;
use crate::store::queue::{QueueError, Scheduled, cancel_pending, insert_job};

impl Ledger<'_> {
    /// Moves handoffs to `step`, in one statement.
    pub async fn advance(self, ids: &[i64], step: Step, now_ms: i64) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        // Ids are integers, so the list cannot inject anything.
        let sql = format!(
            "UPDATE handoffs SET step = $1, updated_at_ms = $2 WHERE id IN ({})",
            id_list(ids)
        );
        on_writer!(self.db, |pool| sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(step.as_str())
            .bind(now_ms)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Notes that a task create is about to be sent, so a retry looks for it first.
    pub async fn mark_task_attempted(self, ids: &[i64], now_ms: i64) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "UPDATE handoffs SET task_attempted_at_ms = $1, updated_at_ms = $1 \
             WHERE task_attempted_at_ms IS NULL AND id IN ({})",
            id_list(ids)
        );
        on_writer!(self.db, |pool| sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now_ms)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Records the task created for a handoff.
    pub async fn task_created(
        self,
        id: i64,
        task_id: TaskId,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE handoffs SET step = 'task_created', task_id = $2, updated_at_ms = $3 \
             WHERE id = $1 AND step IN ('decided', 'contact_written')";
        on_writer!(self.db, |pool| sqlx::query(SQL)
            .bind(id)
            .bind(task_id.to_string())
            .bind(now_ms)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Replaces the contact's pending SLA jobs with `jobs` and marks the handoff
    /// `sla_scheduled`, in one transaction.
    pub async fn schedule_ladder(
        self,
        handoff: &HandoffRow,
        jobs: &[Scheduled],
        now_ms: i64,
    ) -> Result<(), QueueError> {
        const STEP: &str =
            "UPDATE handoffs SET step = 'sla_scheduled', updated_at_ms = $2 WHERE id = $1";
        let key = sla_key(handoff.portal_id, handoff.contact_id);
        in_tx!(self.db, |tx| {
            cancel_pending(LANE_SLA, &key).execute(&mut *tx).await?;
            for job in jobs {
                insert_job(job, now_ms).execute(&mut *tx).await?;
            }
            sqlx::query(STEP)
                .bind(handoff.id)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }
}
