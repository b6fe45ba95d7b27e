//! The alerts a handoff is due: one row per assignment (`version`) and step, claimed with the
//! job that sends it, then settled once: `sent` with the message's channel and `ts`, `failed`
//! with the reason it was given up, or `skipped` with why it no longer applied (the lead was
//! reassigned or closed first). `sending_at_ms` marks a post in flight, so a post whose outcome
//! was lost (a crash, a timeout) is never sent a second time.

use handoff_ids::{ContactId, PortalId};
use serde::Serialize;

use super::{LANE_ALERTS, Slack, job};
use crate::store::postgres::notify;
use crate::store::queue::insert_job;
use crate::store::{Dialect, StoreError};

/// One alert of a handoff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AlertRow {
    pub id: i64,
    /// A row whose id is not `1 ..= i64::MAX` fails to load (a `StoreError`), never reads as 0.
    #[sqlx(try_from = "i64")]
    #[serde(with = "handoff_ids::number")]
    pub portal_id: PortalId,
    #[sqlx(try_from = "i64")]
    #[serde(with = "handoff_ids::number")]
    pub contact_id: ContactId,
    pub version: i64,
    pub step: String,
    /// `assignment`, `reping`, `escalation` or `channel`.
    pub kind: String,
    pub channel: Option<String>,
    pub ts: Option<String>,
    pub thread_ts: Option<String>,
    /// The Slack user it was addressed to (who may click it); `None` for a channel post.
    pub recipient: Option<String>,
    /// `pending`, `sent`, `failed` or `skipped`.
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub next_attempt_at_ms: Option<i64>,
    pub sending_at_ms: Option<i64>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

const ALERT_COLUMNS: &str = "id, portal_id, contact_id, version, step, kind, channel, ts, \
     thread_ts, recipient, state, attempts, last_error, next_attempt_at_ms, sending_at_ms, \
     created_at_ms, updated_at_ms";

/// Which alert: a handoff's assignment (`version`) and its step (`assigned`, `ladder:<i>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertKey<'a> {
    pub portal_id: PortalId,
    pub contact_id: ContactId,
    pub version: i64,
    pub step: &'a str,
}

/// An alert to claim: which one, what kind, and when it is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewAlert<'a> {
    pub key: AlertKey<'a>,
    /// `assignment`, `reping`, `escalation` or `channel`.
    pub kind: &'a str,
    /// Where a `channel` alert goes (`#name` or an id); the lane finds the others' conversation.
    pub channel: Option<&'a str>,
    pub due_at_ms: i64,
}

impl Slack<'_> {
    /// Claims an alert, with the job that sends it; false when this step of this assignment
    /// has a row already (pending, sent, failed or skipped): it is never claimed twice.
    pub async fn claim_alert(self, a: &NewAlert<'_>, now_ms: i64) -> Result<bool, StoreError> {
        const SQL: &str = "INSERT INTO slack_alerts (portal_id, contact_id, version, step, kind, \
             channel, state, attempts, next_attempt_at_ms, created_at_ms, updated_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $8, $8) ON CONFLICT DO NOTHING \
             RETURNING id";
        let on_postgres = self.db.dialect() == Dialect::Postgres;
        let k = a.key;
        let new: bool = in_tx!(self.db, |tx| {
            let id: Option<i64> = sqlx::query_scalar(SQL)
                .bind(k.portal_id.get())
                .bind(k.contact_id.get())
                .bind(k.version)
                .bind(k.step)
                .bind(a.kind)
                .bind(a.channel)
                .bind(a.due_at_ms)
                .bind(now_ms)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(id) = id {
                let j = job(true, id, (k.portal_id, k.contact_id), a.due_at_ms)?;
                insert_job(&j, now_ms).execute(&mut *tx).await?;
                if on_postgres {
                    notify(LANE_ALERTS).execute(&mut *tx).await?;
                }
            }
            id.is_some()
        });
        if new && a.due_at_ms <= now_ms {
            self.db.wake.signal();
        }
        Ok(new)
    }

    /// The alert of this step of this assignment, if claimed.
    pub async fn alert(self, key: AlertKey<'_>) -> Result<Option<AlertRow>, StoreError> {
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM slack_alerts WHERE portal_id = $1 AND contact_id = $2 \
             AND version = $3 AND step = $4"
        );
        Ok(on_reader!(self.db, |pool| sqlx::query_as(
            sqlx::AssertSqlSafe(sql)
        )
        .bind(key.portal_id.get())
        .bind(key.contact_id.get())
        .bind(key.version)
        .bind(key.step)
        .fetch_optional(pool)
        .await?))
    }

    /// One alert by its id.
    pub async fn alert_by_id(self, id: i64) -> Result<Option<AlertRow>, StoreError> {
        let sql = format!("SELECT {ALERT_COLUMNS} FROM slack_alerts WHERE id = $1");
        Ok(on_reader!(self.db, |pool| sqlx::query_as(
            sqlx::AssertSqlSafe(sql)
        )
        .bind(id)
        .fetch_optional(pool)
        .await?))
    }

    /// The alert posted as this message (its conversation and `ts`), if handoff sent it.
    pub async fn alert_at(self, channel: &str, ts: &str) -> Result<Option<AlertRow>, StoreError> {
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM slack_alerts WHERE channel = $1 AND ts = $2 \
             ORDER BY id LIMIT 1"
        );
        Ok(on_reader!(self.db, |pool| sqlx::query_as(
            sqlx::AssertSqlSafe(sql)
        )
        .bind(channel)
        .bind(ts)
        .fetch_optional(pool)
        .await?))
    }

    /// Every alert of a lead, oldest first.
    pub async fn alerts_of(
        self,
        portal_id: PortalId,
        contact_id: ContactId,
    ) -> Result<Vec<AlertRow>, StoreError> {
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM slack_alerts WHERE portal_id = $1 AND contact_id = $2 \
             ORDER BY id"
        );
        Ok(on_reader!(self.db, |pool| sqlx::query_as(
            sqlx::AssertSqlSafe(sql)
        )
        .bind(portal_id.get())
        .bind(contact_id.get())
        .fetch_all(pool)
        .await?))
    }

    /// Marks a post in flight to `recipient` (`None` for a channel); false when the alert is no
    /// longer pending or a post is in flight already.
    pub async fn alert_sending(
        self,
        id: i64,
        recipient: Option<&str>,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "UPDATE slack_alerts SET sending_at_ms = $2, recipient = $3, \
             attempts = attempts + 1, updated_at_ms = $2 \
             WHERE id = $1 AND state = 'pending' AND sending_at_ms IS NULL";
        let n = on_writer!(self.db, |pool| sqlx::query(SQL)
            .bind(id)
            .bind(now_ms)
            .bind(recipient)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// Records the posted message (its channel and `ts`, and the thread it went into); false
    /// when the alert was no longer pending.
    pub async fn alert_sent(
        self,
        id: i64,
        (channel, ts, thread_ts): (&str, &str, Option<&str>),
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "UPDATE slack_alerts SET state = 'sent', channel = $2, ts = $3, \
             thread_ts = $4, sending_at_ms = NULL, next_attempt_at_ms = NULL, \
             updated_at_ms = $5 WHERE id = $1 AND state = 'pending'";
        let n = on_writer!(self.db, |pool| sqlx::query(SQL)
            .bind(id)
            .bind(channel)
            .bind(ts)
            .bind(thread_ts)
            .bind(now_ms)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// Records an attempt that posted nothing: retried at `retry_at_ms`, or given up
    /// (`failed`) when `None`. Clears the in-flight mark.
    pub async fn alert_attempt_failed(
        self,
        id: i64,
        error: &str,
        retry_at_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "UPDATE slack_alerts SET last_error = $2, sending_at_ms = NULL, \
             state = CASE WHEN $3 IS NULL THEN 'failed' ELSE 'pending' END, \
             next_attempt_at_ms = $3, updated_at_ms = $4 WHERE id = $1 AND state = 'pending'";
        let n = on_writer!(self.db, |pool| sqlx::query(SQL)
            .bind(id)
            .bind(error)
            .bind(retry_at_ms)
            .bind(now_ms)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// Settles a pending alert without posting: `failed` (given up, e.g. a post whose outcome
    /// was lost) or `skipped` (no longer applies), with why.
    pub async fn alert_settled(
        self,
        id: i64,
        state: &str,
        why: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "UPDATE slack_alerts SET state = $2, last_error = $3, \
             sending_at_ms = NULL, next_attempt_at_ms = NULL, updated_at_ms = $4 \
             WHERE id = $1 AND state = 'pending'";
        let n = on_writer!(self.db, |pool| sqlx::query(SQL)
            .bind(id)
            .bind(state)
            .bind(why)
            .bind(now_ms)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n == 1)
    }
}
