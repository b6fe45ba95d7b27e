//! Operator pauses per portal (`portal_pauses`). The store keeps the state; the worker reads it
//! before a portal's jobs run (`worker::pipeline::pause`), and the admin endpoints and
//! `handoff portal` change it. SQL is shared by both engines (`$N` placeholders).

use serde::Serialize;

use super::{Backend, Store, StoreError};

/// The last error of a job put back because its portal is paused; resuming the portal makes
/// exactly these jobs due again (with those waiting out an auth failure).
pub const PAUSED_ERROR: &str = "portal paused by an operator; runs when resumed";

/// One portal's pause record. A portal without a row has never been paused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct PortalPause {
    pub portal_id: i64,
    /// Since when it is paused; `None` while it runs.
    pub paused_at_ms: Option<i64>,
    pub reason: Option<String>,
    /// The last resume.
    pub resumed_at_ms: Option<i64>,
}

impl PortalPause {
    pub fn is_paused(&self) -> bool {
        self.paused_at_ms.is_some()
    }
}

const COLUMNS: &str = "portal_id, paused_at_ms, reason, resumed_at_ms";

impl Store {
    /// Every portal's pause record, by portal id.
    pub async fn portal_pauses(&self) -> Result<Vec<PortalPause>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM portal_pauses ORDER BY portal_id");
        Ok(on_reader!(self, |pool| sqlx::query_as(
            sqlx::AssertSqlSafe(sql.clone())
        )
        .fetch_all(pool)
        .await?))
    }

    /// Pauses a portal. Pausing a paused portal keeps its start time; a new `reason` replaces
    /// the old one.
    pub async fn pause_portal(
        &self,
        portal_id: i64,
        reason: Option<&str>,
        now_ms: i64,
    ) -> Result<PortalPause, StoreError> {
        let sql = format!(
            "INSERT INTO portal_pauses (portal_id, paused_at_ms, reason, updated_at_ms) \
             VALUES ($1, $2, $3, $2) ON CONFLICT (portal_id) DO UPDATE \
             SET paused_at_ms = COALESCE(portal_pauses.paused_at_ms, excluded.paused_at_ms), \
                 reason = COALESCE(excluded.reason, portal_pauses.reason), \
                 updated_at_ms = excluded.updated_at_ms \
             RETURNING {COLUMNS}"
        );
        Ok(on_writer!(self, |pool| sqlx::query_as(
            sqlx::AssertSqlSafe(sql.clone())
        )
        .bind(portal_id)
        .bind(now_ms)
        .bind(reason)
        .fetch_one(pool)
        .await?))
    }

    /// Lifts a portal's pause and records the resume (so every replica lifts its auth pause of
    /// the portal too). In the same transaction, the portal's jobs that were put back for the
    /// pause, or are waiting out an auth failure (`hubspot.auth.*`), become due now; scheduled
    /// SLA checks keep their times. Returns the record and how many jobs became due.
    pub async fn resume_portal(
        &self,
        portal_id: i64,
        now_ms: i64,
    ) -> Result<(PortalPause, u64), StoreError> {
        let resume = format!(
            "INSERT INTO portal_pauses (portal_id, resumed_at_ms, updated_at_ms) \
             VALUES ($1, $2, $2) ON CONFLICT (portal_id) DO UPDATE \
             SET paused_at_ms = NULL, reason = NULL, resumed_at_ms = excluded.resumed_at_ms, \
                 updated_at_ms = excluded.updated_at_ms \
             RETURNING {COLUMNS}"
        );
        // Keys start with the portal (`store::ledger::contact_key`, `sla_key`).
        const DUE_NOW: &str = "UPDATE jobs SET run_at_ms = $2, updated_at_ms = $2 \
             WHERE status = 'ready' AND run_at_ms > $2 AND job_key LIKE $1 || ':%' \
               AND (last_error = $3 OR last_error LIKE 'hubspot.auth.%')";
        let portal = portal_id.to_string();
        let out = in_tx!(self, |tx| {
            let row: PortalPause = sqlx::query_as(sqlx::AssertSqlSafe(resume.clone()))
                .bind(portal_id)
                .bind(now_ms)
                .fetch_one(&mut *tx)
                .await?;
            let due = sqlx::query(DUE_NOW)
                .bind(&portal)
                .bind(now_ms)
                .bind(PAUSED_ERROR)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            (row, due)
        });
        if out.1 > 0 {
            self.wake.signal();
        }
        Ok(out)
    }
}
