//! The Webhooks Journal checkpoint per portal (`journal_offsets`): which journal file's events
//! are already enqueued. The backfill (`worker::journal`) reads and advances it; SQL is shared
//! by both engines.

use handoff_ids::PortalId;
use serde::Serialize;

use super::StoreError;
use super::dispatch::Db;

/// A portal's journal checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct JournalOffset {
    #[sqlx(try_from = "i64")]
    #[serde(with = "handoff_ids::number")]
    pub portal_id: PortalId,
    /// HubSpot's `currentOffset` of the last applied file.
    pub journal_offset: String,
    /// Every journal event up to this time is enqueued: the last applied file's publish time,
    /// or the time a read found nothing newer.
    pub applied_through_ms: i64,
    pub updated_at_ms: i64,
}

const COLUMNS: &str = "portal_id, journal_offset, applied_through_ms, updated_at_ms";

/// The journal checkpoint part of a [`super::Store`].
#[derive(Debug, Clone, Copy)]
pub struct Journal<'s> {
    pub(in crate::store) db: &'s Db,
}

impl Journal<'_> {
    /// The portal's checkpoint, if it has read the journal before.
    pub async fn offset(self, portal_id: PortalId) -> Result<Option<JournalOffset>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM journal_offsets WHERE portal_id = $1");
        Ok(on_reader!(self.db, |pool| sqlx::query_as(
            sqlx::AssertSqlSafe(sql)
        )
        .bind(portal_id.get())
        .fetch_optional(pool)
        .await?))
    }

    /// Advances (or sets) the portal's checkpoint. Called after the file's events are
    /// committed: a crash in between re-reads that file, and the inbox drops its events as
    /// duplicates.
    pub async fn set_offset(
        self,
        portal_id: PortalId,
        offset: &str,
        applied_through_ms: i64,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        const SQL: &str = "INSERT INTO journal_offsets \
             (portal_id, journal_offset, applied_through_ms, updated_at_ms) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (portal_id) DO UPDATE SET journal_offset = excluded.journal_offset, \
             applied_through_ms = excluded.applied_through_ms, updated_at_ms = excluded.updated_at_ms";
        on_writer!(self.db, |pool| {
            sqlx::query(SQL)
                .bind(portal_id.get())
                .bind(offset)
                .bind(applied_through_ms)
                .bind(now_ms)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}
