//! Operator pauses per portal (`portal_pauses`), and the HubSpot auth pause the service last
//! saw. The store keeps the state; the worker reads it before a portal's jobs run
//! (`worker::pipeline::pause`) and records its client's auth pauses in it, and the admin
//! endpoints and `handoff portal` change and show it. SQL is shared by both engines (`$N`
//! placeholders).

use handoff_ids::PortalId;
use serde::Serialize;

use super::StoreError;
use super::dispatch::Db;

/// The last error of a job put back because its portal is paused; resuming the portal makes
/// exactly these jobs due again (with those waiting out an auth failure).
pub const PAUSED_ERROR: &str = "portal paused by an operator; runs when resumed";

/// One portal's pause record. A portal without a row has never been paused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct PortalPause {
    /// A row whose id is out of range fails to load (a `StoreError`).
    #[sqlx(try_from = "i64")]
    #[serde(with = "handoff_ids::number")]
    pub portal_id: PortalId,
    /// Since when it is paused; `None` while it runs.
    pub paused_at_ms: Option<i64>,
    pub reason: Option<String>,
    /// The last resume.
    pub resumed_at_ms: Option<i64>,
    /// Why a handoff process's HubSpot client paused the portal (`token_rejected`,
    /// `refresh_rejected`, `token_store`), until a resume or a start clears it.
    pub auth_failure: Option<String>,
    /// Since when, as first recorded.
    pub auth_failed_at_ms: Option<i64>,
}

impl PortalPause {
    pub fn is_paused(&self) -> bool {
        self.paused_at_ms.is_some()
    }
}

const COLUMNS: &str =
    "portal_id, paused_at_ms, reason, resumed_at_ms, auth_failure, auth_failed_at_ms";

/// The ready jobs of portal `$1` waiting for a pause (`$2` is [`PAUSED_ERROR`]) or out an auth
/// failure. Keys start with the portal (`store::ledger::contact_key`, `sla_key`).
const HELD: &str = "status = 'ready' AND job_key LIKE $1 || ':%' \
    AND (last_error = $2 OR last_error LIKE 'hubspot.auth.%')";

/// The portals part of a [`super::Store`].
#[derive(Debug, Clone, Copy)]
pub struct Portals<'s> {
    pub(in crate::store) db: &'s Db,
}

impl Portals<'_> {
    /// Every portal's pause record, by portal id.
    pub async fn pauses(self) -> Result<Vec<PortalPause>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM portal_pauses ORDER BY portal_id");
        Ok(on_reader!(self.db, |pool| sqlx::query_as(
            sqlx::AssertSqlSafe(sql)
        )
        .fetch_all(pool)
        .await?))
    }

    /// Pauses a portal. Pausing a paused portal keeps its start time; a new `reason` replaces
    /// the old one.
    pub async fn pause(
        self,
        portal_id: PortalId,
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
        Ok(on_writer!(self.db, |pool| sqlx::query_as(
            sqlx::AssertSqlSafe(sql)
        )
        .bind(portal_id.get())
        .bind(now_ms)
        .bind(reason)
        .fetch_one(pool)
        .await?))
    }

    /// Lifts a portal's pause and records the resume (so every replica lifts its auth pause of
    /// the portal too). In the same transaction, the portal's jobs that were put back for the
    /// pause, or are waiting out an auth failure (`hubspot.auth.*`), become due now; scheduled
    /// SLA checks keep their times. Returns the record and how many jobs became due.
    pub async fn resume(
        self,
        portal_id: PortalId,
        now_ms: i64,
    ) -> Result<(PortalPause, u64), StoreError> {
        let resume = format!(
            "INSERT INTO portal_pauses (portal_id, resumed_at_ms, updated_at_ms) \
             VALUES ($1, $2, $2) ON CONFLICT (portal_id) DO UPDATE \
             SET paused_at_ms = NULL, reason = NULL, resumed_at_ms = excluded.resumed_at_ms, \
                 auth_failure = NULL, auth_failed_at_ms = NULL, \
                 updated_at_ms = excluded.updated_at_ms \
             RETURNING {COLUMNS}"
        );
        let due_now = format!(
            "UPDATE jobs SET run_at_ms = $3, updated_at_ms = $3 WHERE {HELD} AND run_at_ms > $3"
        );
        let portal = portal_id.to_string();
        let out = in_tx!(self.db, |tx| {
            let row: PortalPause = sqlx::query_as(sqlx::AssertSqlSafe(resume))
                .bind(portal_id.get())
                .bind(now_ms)
                .fetch_one(&mut *tx)
                .await?;
            let due = sqlx::query(sqlx::AssertSqlSafe(due_now))
                .bind(&portal)
                .bind(PAUSED_ERROR)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            (row, due)
        });
        if out.1 > 0 {
            self.db.wake.signal();
        }
        Ok(out)
    }

    /// Records that a process's HubSpot client paused the portal for `failure`, unless the
    /// portal was resumed since the caller read its record (`seen_resume_ms`: its
    /// `resumed_at_ms` then), as that resume lifts the pause. The first record's time is kept
    /// while the failure lasts. Returns whether it was recorded.
    pub async fn record_auth_failure(
        self,
        portal_id: PortalId,
        failure: &str,
        seen_resume_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "INSERT INTO portal_pauses \
               (portal_id, auth_failure, auth_failed_at_ms, updated_at_ms) VALUES ($1, $2, $3, $3) \
             ON CONFLICT (portal_id) DO UPDATE SET auth_failure = excluded.auth_failure, \
               auth_failed_at_ms = COALESCE(portal_pauses.auth_failed_at_ms, excluded.auth_failed_at_ms), \
               updated_at_ms = excluded.updated_at_ms \
             WHERE COALESCE(portal_pauses.resumed_at_ms, -1) = COALESCE(CAST($4 AS BIGINT), -1)";
        let recorded = on_writer!(self.db, |pool| {
            sqlx::query(SQL)
                .bind(portal_id.get())
                .bind(failure)
                .bind(now_ms)
                .bind(seen_resume_ms)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(recorded == 1)
    }

    /// A process started with the portal's credentials loaded afresh: clears the recorded auth
    /// failure and makes the jobs waiting out an auth failure due now (one transaction).
    /// Returns the failure cleared, if any, and how many jobs became due.
    pub async fn auth_fresh_start(
        self,
        portal_id: PortalId,
        now_ms: i64,
    ) -> Result<(Option<String>, u64), StoreError> {
        const FAILURE: &str = "SELECT auth_failure FROM portal_pauses WHERE portal_id = $1";
        const CLEAR: &str = "UPDATE portal_pauses SET auth_failure = NULL, \
             auth_failed_at_ms = NULL, updated_at_ms = $2 \
             WHERE portal_id = $1 AND auth_failure IS NOT NULL";
        const DUE_NOW: &str = "UPDATE jobs SET run_at_ms = $2, updated_at_ms = $2 \
             WHERE status = 'ready' AND run_at_ms > $2 AND job_key LIKE $1 || ':%' \
               AND last_error LIKE 'hubspot.auth.%'";
        let portal = portal_id.to_string();
        let out = in_tx!(self.db, |tx| {
            let failure: Option<Option<String>> = sqlx::query_scalar(FAILURE)
                .bind(portal_id.get())
                .fetch_optional(&mut *tx)
                .await?;
            sqlx::query(CLEAR)
                .bind(portal_id.get())
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
            let due = sqlx::query(DUE_NOW)
                .bind(&portal)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            (failure.flatten(), due)
        });
        if out.1 > 0 {
            self.db.wake.signal();
        }
        Ok(out)
    }

    /// How many of the portal's jobs wait, at `now_ms`, to run later for its pause or out an
    /// auth failure.
    pub async fn held_jobs(self, portal_id: PortalId, now_ms: i64) -> Result<i64, StoreError> {
        let sql = format!("SELECT COUNT(*) FROM jobs WHERE {HELD} AND run_at_ms > $3");
        Ok(on_reader!(self.db, |pool| sqlx::query_scalar(
            sqlx::AssertSqlSafe(sql)
        )
        .bind(portal_id.to_string())
        .bind(PAUSED_ERROR)
        .bind(now_ms)
        .fetch_one(pool)
        .await?))
    }
}
