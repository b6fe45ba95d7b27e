//! The Lead record (HubSpot object 0-136) of each handoff, when the playbook creates one
//! (`handoff_leads`, migration 0007): marked `attempted` before the create is sent, `created`
//! with the lead id once HubSpot answers, `refused`/`failed` when it will not. The mark is what
//! makes the create exactly-once: an attempted lead without an id is looked up, not re-sent.

use handoff_ids::{OwnerId, PortalId};
use std::collections::HashMap;

use serde::Serialize;

use crate::store::StoreError;
use crate::store::dispatch::{Db, id_list};

/// One handoff's lead as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct LeadRow {
    pub handoff_id: i64,
    #[sqlx(try_from = "i64")]
    #[serde(with = "handoff_ids::number")]
    pub portal_id: PortalId,
    pub lead_id: Option<String>,
    /// The owner last written to the lead (follows the handoff's owner on reassignment).
    #[sqlx(try_from = "crate::store::id_columns::NullableText")]
    pub owner_id: Option<OwnerId>,
    /// `attempted`, `created`, `refused` or `failed`.
    pub state: String,
    pub attempted_at_ms: i64,
    pub error: Option<String>,
    pub updated_at_ms: i64,
}

/// How a lead create ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeadSettled<'a> {
    Created { lead_id: &'a str, owner_id: OwnerId },
    Refused(&'a str),
    Failed(&'a str),
}

const COLUMNS: &str =
    "handoff_id, portal_id, lead_id, owner_id, state, attempted_at_ms, error, updated_at_ms";

/// The Lead records part of a [`crate::store::Store`].
#[derive(Debug, Clone, Copy)]
pub struct Leads<'s> {
    pub(in crate::store) db: &'s Db,
}

impl Leads<'_> {
    /// The lead rows of these handoffs, by handoff id.
    pub async fn of_handoffs(self, ids: &[i64]) -> Result<HashMap<i64, LeadRow>, StoreError> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(200) {
            // Ids are integers, so the list cannot inject anything.
            let sql = format!(
                "SELECT {COLUMNS} FROM handoff_leads WHERE handoff_id IN ({})",
                id_list(chunk)
            );
            let rows: Vec<LeadRow> =
                on_reader!(self.db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .fetch_all(pool)
                    .await?);
            out.extend(rows.into_iter().map(|r| (r.handoff_id, r)));
        }
        Ok(out)
    }

    /// Marks the leads of these handoffs as being created, now. A lead marked before and not
    /// found since is being sent again: its attempt time moves, since the lookup after a lost
    /// answer must wait for HubSpot's search from the latest send. Settled leads stay.
    pub async fn attempted(
        self,
        portal_id: PortalId,
        ids: &[i64],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        const SQL: &str = "INSERT INTO handoff_leads (handoff_id, portal_id, state, \
             attempted_at_ms, updated_at_ms) VALUES ($1, $2, 'attempted', $3, $3) \
             ON CONFLICT (handoff_id) DO UPDATE SET attempted_at_ms = excluded.attempted_at_ms, \
             updated_at_ms = excluded.updated_at_ms WHERE handoff_leads.state = 'attempted'";
        for id in ids {
            on_writer!(self.db, |pool| sqlx::query(SQL)
                .bind(id)
                .bind(portal_id.get())
                .bind(now_ms)
                .execute(pool)
                .await?
                .rows_affected());
        }
        Ok(())
    }

    /// Records how a handoff's lead create ended: `created` with its id and owner, or
    /// `refused`/`failed` with the error. A created lead is never overwritten.
    pub async fn settled(
        self,
        handoff_id: i64,
        settled: LeadSettled<'_>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE handoff_leads SET state = $2, lead_id = $3, owner_id = $4, \
             error = $5, updated_at_ms = $6 WHERE handoff_id = $1 AND state <> 'created'";
        let (state, lead_id, owner_id, error) = match settled {
            LeadSettled::Created { lead_id, owner_id } => {
                ("created", Some(lead_id), Some(owner_id.to_string()), None)
            }
            LeadSettled::Refused(why) => ("refused", None, None, Some(why)),
            LeadSettled::Failed(why) => ("failed", None, None, Some(why)),
        };
        on_writer!(self.db, |pool| sqlx::query(SQL)
            .bind(handoff_id)
            .bind(state)
            .bind(lead_id)
            .bind(owner_id)
            .bind(error)
            .bind(now_ms)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Records the owner now written to a handoff's lead (after a reassignment).
    pub async fn owner_written(
        self,
        handoff_id: i64,
        owner_id: OwnerId,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        const SQL: &str =
            "UPDATE handoff_leads SET owner_id = $2, updated_at_ms = $3 WHERE handoff_id = $1";
        on_writer!(self.db, |pool| sqlx::query(SQL)
            .bind(handoff_id)
            .bind(owner_id.to_string())
            .bind(now_ms)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(())
    }

    /// The handoffs whose leads these are (a lead stage webhook names only the lead), as
    /// lead id → handoff id.
    pub async fn handoffs_by_lead(
        self,
        portal_id: PortalId,
        lead_ids: &[i64],
    ) -> Result<HashMap<i64, i64>, StoreError> {
        const SQL: &str = "SELECT lead_id, handoff_id FROM handoff_leads \
             WHERE portal_id = $1 AND lead_id = $2 AND state = 'created'";
        let mut out = HashMap::new();
        for lead in lead_ids {
            let text = lead.to_string();
            let found: Option<(String, i64)> = on_reader!(self.db, |pool| sqlx::query_as(SQL)
                .bind(portal_id.get())
                .bind(&text)
                .fetch_optional(pool)
                .await?);
            if let Some((_, handoff)) = found {
                out.insert(*lead, handoff);
            }
        }
        Ok(out)
    }
}
