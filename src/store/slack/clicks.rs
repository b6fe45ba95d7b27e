//! Clicks on an alert's buttons: stored by the intake before its 200 (once per Slack
//! `action_ts`), each with the job that applies it, and marked applied with what it did.

use handoff_ids::{ContactId, PortalId};
use serde::Serialize;

use super::{LANE_ALERTS, Slack, job};
use crate::store::postgres::notify;
use crate::store::queue::insert_job;
use crate::store::{Dialect, StoreError};

/// A click as the intake stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClick<'a> {
    pub received_at_ms: i64,
    pub team_id: &'a str,
    pub user_id: &'a str,
    pub channel_id: &'a str,
    pub message_ts: &'a str,
    /// Slack's stamp of the click: with the four above, the click's identity.
    pub action_ts: &'a str,
    /// `accept`, `not_a_fit` or `reassign`.
    pub action: &'a str,
    pub reason: Option<&'a str>,
    pub portal_id: PortalId,
    pub contact_id: ContactId,
    pub version: i64,
}

/// A stored click.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ClickRow {
    pub id: i64,
    pub received_at_ms: i64,
    pub team_id: String,
    pub user_id: String,
    pub channel_id: String,
    pub message_ts: String,
    pub action_ts: String,
    pub action: String,
    pub reason: Option<String>,
    /// A row whose id is not `1 ..= i64::MAX` fails to load (a `StoreError`), never reads as 0.
    #[sqlx(try_from = "i64")]
    #[serde(with = "handoff_ids::number")]
    pub portal_id: PortalId,
    #[sqlx(try_from = "i64")]
    #[serde(with = "handoff_ids::number")]
    pub contact_id: ContactId,
    pub version: i64,
    pub applied_at_ms: Option<i64>,
    pub outcome: Option<String>,
}

const CLICK_COLUMNS: &str = "id, received_at_ms, team_id, user_id, channel_id, message_ts, \
     action_ts, action, reason, portal_id, contact_id, version, applied_at_ms, outcome";

impl Slack<'_> {
    /// Stores a click, with the job that applies it, unless the same click (team, channel,
    /// message, user, `action_ts`) is stored already; true when it is new.
    pub async fn record_click(self, c: &NewClick<'_>) -> Result<bool, StoreError> {
        const SQL: &str = "INSERT INTO slack_clicks (received_at_ms, team_id, user_id, \
             channel_id, message_ts, action_ts, action, reason, portal_id, contact_id, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING \
             RETURNING id";
        let on_postgres = self.db.dialect() == Dialect::Postgres;
        let new: bool = in_tx!(self.db, |tx| {
            let id: Option<i64> = sqlx::query_scalar(SQL)
                .bind(c.received_at_ms)
                .bind(c.team_id)
                .bind(c.user_id)
                .bind(c.channel_id)
                .bind(c.message_ts)
                .bind(c.action_ts)
                .bind(c.action)
                .bind(c.reason)
                .bind(c.portal_id.get())
                .bind(c.contact_id.get())
                .bind(c.version)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(id) = id {
                let lead = (c.portal_id, c.contact_id);
                let j = job(false, id, lead, c.received_at_ms)?;
                insert_job(&j, c.received_at_ms).execute(&mut *tx).await?;
                if on_postgres {
                    notify(LANE_ALERTS).execute(&mut *tx).await?;
                }
            }
            id.is_some()
        });
        if new {
            self.db.wake.signal();
        }
        Ok(new)
    }

    /// One stored click.
    pub async fn click(self, id: i64) -> Result<Option<ClickRow>, StoreError> {
        let sql = format!("SELECT {CLICK_COLUMNS} FROM slack_clicks WHERE id = $1");
        Ok(on_reader!(self.db, |pool| sqlx::query_as(
            sqlx::AssertSqlSafe(sql)
        )
        .bind(id)
        .fetch_optional(pool)
        .await?))
    }

    /// Clicks not applied yet, oldest first, at most `limit`.
    pub async fn unapplied_clicks(self, limit: i64) -> Result<Vec<ClickRow>, StoreError> {
        let sql = format!(
            "SELECT {CLICK_COLUMNS} FROM slack_clicks WHERE applied_at_ms IS NULL \
             ORDER BY id LIMIT $1"
        );
        Ok(on_reader!(self.db, |pool| sqlx::query_as(
            sqlx::AssertSqlSafe(sql)
        )
        .bind(limit)
        .fetch_all(pool)
        .await?))
    }

    /// Every stored click of a lead, oldest first.
    pub async fn clicks_of(
        self,
        portal_id: PortalId,
        contact_id: ContactId,
    ) -> Result<Vec<ClickRow>, StoreError> {
        let sql = format!(
            "SELECT {CLICK_COLUMNS} FROM slack_clicks WHERE portal_id = $1 AND contact_id = $2 \
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

    /// Records what applying a click did; false when it was applied already (the first outcome
    /// stands).
    pub async fn click_applied(
        self,
        id: i64,
        outcome: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "UPDATE slack_clicks SET applied_at_ms = $2, outcome = $3 \
             WHERE id = $1 AND applied_at_ms IS NULL";
        let n = on_writer!(self.db, |pool| sqlx::query(SQL)
            .bind(id)
            .bind(now_ms)
            .bind(outcome)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n == 1)
    }
}
