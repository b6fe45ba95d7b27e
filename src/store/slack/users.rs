//! Each owner's Slack user, as `users.lookupByEmail` last answered, and the DM conversation
//! `conversations.open` gave for them.

use handoff_ids::{OwnerId, PortalId};
use serde::Serialize;

use super::Slack;
use crate::store::StoreError;

/// An owner's Slack user.
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
    /// The DM conversation with them (`D…`), once opened.
    pub dm_channel: Option<String>,
}

/// `slack_user_id` of an owner with no Slack account (their alerts go to the team channel).
pub const NO_SLACK_USER: &str = "none";

impl Slack<'_> {
    /// Stores (or refreshes) an owner's Slack user; the DM conversation is kept while the user
    /// stays the same, and dropped when it changes.
    pub async fn put_user(self, u: &SlackUserRow) -> Result<(), StoreError> {
        const SQL: &str = "INSERT INTO slack_users (portal_id, owner_id, email, slack_user_id, \
             team_id, time_zone, refreshed_at_ms, dm_channel) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (portal_id, owner_id) DO UPDATE SET email = excluded.email, \
             dm_channel = CASE WHEN slack_users.slack_user_id = excluded.slack_user_id \
                THEN COALESCE(excluded.dm_channel, slack_users.dm_channel) ELSE excluded.dm_channel END, \
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
                .bind(&u.dm_channel)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Keeps the DM conversation opened for an owner.
    pub async fn put_dm_channel(
        self,
        portal_id: PortalId,
        owner_id: OwnerId,
        channel: &str,
    ) -> Result<(), StoreError> {
        const SQL: &str =
            "UPDATE slack_users SET dm_channel = $3 WHERE portal_id = $1 AND owner_id = $2";
        on_writer!(self.db, |pool| {
            sqlx::query(SQL)
                .bind(portal_id.get())
                .bind(owner_id.to_string())
                .bind(channel)
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
             refreshed_at_ms, dm_channel FROM slack_users WHERE portal_id = $1 AND owner_id = $2";
        Ok(on_reader!(self.db, |pool| sqlx::query_as(SQL)
            .bind(portal_id.get())
            .bind(owner_id.to_string())
            .fetch_optional(pool)
            .await?))
    }
}
