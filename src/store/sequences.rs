//! First-touch sequence enrollment as the ledger records it (columns `sequence_*` of
//! `handoffs`, migration 0008). `attempted` is written before the enroll call, so a retry after
//! a crash or an unknown answer reads the contact's enrollment before it ever sends again; a
//! final `enrolled` or `skipped` is never overwritten, so a handoff is enrolled at most once.

use handoff_ids::{ContactId, PortalId};
use serde::Serialize;

use super::StoreError;
use super::dispatch::Db;
use super::dispatch::id_list;

/// A handoff's enrollment record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SequenceRecord {
    pub handoff_id: i64,
    #[sqlx(try_from = "i64")]
    #[serde(with = "handoff_ids::number")]
    pub portal_id: PortalId,
    #[sqlx(try_from = "i64")]
    #[serde(with = "handoff_ids::number")]
    pub contact_id: ContactId,
    pub sequence_id: Option<String>,
    /// `None`, `attempted`, `enrolled` or `skipped`.
    pub sequence_state: Option<String>,
    pub sequence_reason: Option<String>,
    pub sequence_enrollment_id: Option<String>,
    pub sequence_at_ms: Option<i64>,
}

impl SequenceRecord {
    /// Enrolled or skipped: nothing more to do, ever.
    pub fn is_final(&self) -> bool {
        matches!(self.sequence_state.as_deref(), Some("enrolled" | "skipped"))
    }

    pub fn attempted(&self) -> bool {
        self.sequence_state.as_deref() == Some("attempted")
    }
}

const COLUMNS: &str = "id AS handoff_id, portal_id, contact_id, sequence_id, sequence_state, \
     sequence_reason, sequence_enrollment_id, sequence_at_ms";

/// The final outcome of an enrollment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SequenceOutcome {
    Enrolled { enrollment_id: String },
    Skipped { reason: &'static str },
}

/// The sequence enrollment part of a [`super::Store`].
#[derive(Debug, Clone, Copy)]
pub struct Sequences<'s> {
    pub(in crate::store) db: &'s Db,
}

impl Sequences<'_> {
    /// The enrollment records of these handoffs.
    pub async fn records(self, ids: &[i64]) -> Result<Vec<SequenceRecord>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // Ids are integers, so the list cannot inject anything.
        let sql = format!(
            "SELECT {COLUMNS} FROM handoffs WHERE id IN ({})",
            id_list(ids)
        );
        Ok(on_reader!(self.db, |pool| sqlx::query_as(
            sqlx::AssertSqlSafe(sql)
        )
        .fetch_all(pool)
        .await?))
    }

    /// The enrollment record of a contact's handoff.
    pub async fn record(
        self,
        portal_id: PortalId,
        contact_id: ContactId,
    ) -> Result<Option<SequenceRecord>, StoreError> {
        let sql =
            format!("SELECT {COLUMNS} FROM handoffs WHERE portal_id = $1 AND contact_id = $2");
        Ok(on_reader!(self.db, |pool| sqlx::query_as(
            sqlx::AssertSqlSafe(sql)
        )
        .bind(portal_id.get())
        .bind(contact_id.get())
        .fetch_optional(pool)
        .await?))
    }

    /// Notes that an enroll call for `sequence_id` is about to be sent. Returns false when the
    /// handoff already has a final outcome (nothing must be sent).
    pub async fn attempted(
        self,
        id: i64,
        sequence_id: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "UPDATE handoffs SET sequence_id = $2, sequence_state = 'attempted', \
             sequence_at_ms = $3, updated_at_ms = $3 \
             WHERE id = $1 AND (sequence_state IS NULL OR sequence_state = 'attempted')";
        let n = on_writer!(self.db, |pool| sqlx::query(SQL)
            .bind(id)
            .bind(sequence_id)
            .bind(now_ms)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// Records the final outcome, unless one is already recorded.
    pub async fn finished(
        self,
        id: i64,
        sequence_id: &str,
        outcome: &SequenceOutcome,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE handoffs SET sequence_id = $2, sequence_state = $3, \
             sequence_reason = $4, sequence_enrollment_id = $5, sequence_at_ms = $6, updated_at_ms = $6 \
             WHERE id = $1 AND (sequence_state IS NULL OR sequence_state = 'attempted')";
        let (state, reason, enrollment) = match outcome {
            SequenceOutcome::Enrolled { enrollment_id } => {
                ("enrolled", None, Some(enrollment_id.as_str()))
            }
            SequenceOutcome::Skipped { reason } => ("skipped", Some(*reason), None),
        };
        on_writer!(self.db, |pool| sqlx::query(SQL)
            .bind(id)
            .bind(sequence_id)
            .bind(state)
            .bind(reason)
            .bind(enrollment)
            .bind(now_ms)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(())
    }
}
