//! Lead alerts in Slack as the store keeps them (migration 0015): each owner's Slack user, each
//! alert a handoff is due (claimed before it is posted, so a step is sent at most once), and the
//! clicks `POST /slack/interactions` took (stored before its 200, applied later by the worker).
//! Typed HubSpot ids (a row whose id is not an id fails to load), Slack's ids as text: the
//! store knows neither Slack nor HTTP. One statement per query for both
//! engines.

use handoff_ids::{ContactId, OwnerId, PortalId};
use serde::Serialize;

use super::StoreError;
use super::dispatch::Db;

/// An owner's Slack user, as `users.lookupByEmail` last answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SlackUserRow {
    /// A row whose id is not `1 ..= i64::MAX` fails to load (a `StoreError`), never reads as 0.
    #[sqlx(try_from = "i64")]
    #[serde(with = "handoff_ids::number")]
    pub portal_id: PortalId,
    #[sqlx(try_from = "String")]
    pub owner_id: OwnerId,
    pub email: String,
    /// `U…`/`W…`, or [`NO_SLACK_USER`].
    pub slack_user_id: String,
    pub team_id: Option<String>,
    pub time_zone: Option<String>,
    pub refreshed_at_ms: i64,
}

/// `slack_user_id` of an owner with no Slack account (their alerts go to the team channel).
pub const NO_SLACK_USER: &str = "none";

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
    pub channel: Option<String>,
    pub ts: Option<String>,
    pub thread_ts: Option<String>,
    /// `pending`, `sent` or `failed`.
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub next_attempt_at_ms: Option<i64>,
}

const ALERT_COLUMNS: &str = "id, portal_id, contact_id, version, step, channel, ts, thread_ts, \
     state, attempts, last_error, next_attempt_at_ms";

/// Which alert: a handoff's assignment (`version`) and its step (`assigned`, `ladder:<i>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertKey<'a> {
    pub portal_id: PortalId,
    pub contact_id: ContactId,
    pub version: i64,
    pub step: &'a str,
}

/// The Slack part of a [`super::Store`].
#[derive(Debug, Clone, Copy)]
pub struct Slack<'s> {
    pub(in crate::store) db: &'s Db,
}

impl Slack<'_> {
    /// Stores a click unless the same click (team, channel, message, user, `action_ts`) is
    /// stored already; true when it is new.
    pub async fn record_click(self, c: &NewClick<'_>) -> Result<bool, StoreError> {
        const SQL: &str = "INSERT INTO slack_clicks (received_at_ms, team_id, user_id, \
             channel_id, message_ts, action_ts, action, reason, portal_id, contact_id, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING";
        let n = on_writer!(self.db, |pool| sqlx::query(SQL)
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
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n == 1)
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

    /// Stores (or refreshes) an owner's Slack user.
    pub async fn put_user(self, u: &SlackUserRow) -> Result<(), StoreError> {
        const SQL: &str = "INSERT INTO slack_users (portal_id, owner_id, email, slack_user_id, \
             team_id, time_zone, refreshed_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (portal_id, owner_id) DO UPDATE SET email = excluded.email, \
             slack_user_id = excluded.slack_user_id, team_id = excluded.team_id, \
             time_zone = excluded.time_zone, refreshed_at_ms = excluded.refreshed_at_ms";
        on_writer!(self.db, |pool| {
            sqlx::query(SQL)
                .bind(u.portal_id.get())
                .bind(u.owner_id.to_string())
                .bind(&u.email)
                .bind(&u.slack_user_id)
                .bind(&u.team_id)
                .bind(&u.time_zone)
                .bind(u.refreshed_at_ms)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// An owner's Slack user, if looked up before.
    pub async fn user(
        self,
        portal_id: PortalId,
        owner_id: OwnerId,
    ) -> Result<Option<SlackUserRow>, StoreError> {
        const SQL: &str = "SELECT portal_id, owner_id, email, slack_user_id, team_id, time_zone, \
             refreshed_at_ms FROM slack_users WHERE portal_id = $1 AND owner_id = $2";
        Ok(on_reader!(self.db, |pool| sqlx::query_as(SQL)
            .bind(portal_id.get())
            .bind(owner_id.to_string())
            .fetch_optional(pool)
            .await?))
    }

    /// Claims an alert as due at `due_at_ms`; false when this step of this assignment has a
    /// row already (pending, sent or failed): it is never claimed twice.
    pub async fn claim_alert(
        self,
        key: AlertKey<'_>,
        due_at_ms: i64,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "INSERT INTO slack_alerts (portal_id, contact_id, version, step, \
             state, attempts, next_attempt_at_ms, created_at_ms, updated_at_ms) \
             VALUES ($1, $2, $3, $4, 'pending', 0, $5, $6, $6) ON CONFLICT DO NOTHING";
        let n = on_writer!(self.db, |pool| sqlx::query(SQL)
            .bind(key.portal_id.get())
            .bind(key.contact_id.get())
            .bind(key.version)
            .bind(key.step)
            .bind(due_at_ms)
            .bind(now_ms)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n == 1)
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

    /// Pending alerts due by `now_ms`, soonest first, at most `limit`.
    pub async fn due_alerts(self, now_ms: i64, limit: i64) -> Result<Vec<AlertRow>, StoreError> {
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM slack_alerts WHERE state = 'pending' \
             AND next_attempt_at_ms <= $1 ORDER BY next_attempt_at_ms, id LIMIT $2"
        );
        Ok(on_reader!(self.db, |pool| sqlx::query_as(
            sqlx::AssertSqlSafe(sql)
        )
        .bind(now_ms)
        .bind(limit)
        .fetch_all(pool)
        .await?))
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
             thread_ts = $4, attempts = attempts + 1, next_attempt_at_ms = NULL, \
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

    /// Records a failed attempt: retried at `retry_at_ms`, or given up (`failed`) when `None`.
    pub async fn alert_attempt_failed(
        self,
        id: i64,
        error: &str,
        retry_at_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "UPDATE slack_alerts SET attempts = attempts + 1, last_error = $2, \
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
}
