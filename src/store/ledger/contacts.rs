//! What happens to a contact in HubSpot that the ledger must follow: a merge (the survivor
//! keeps one handoff) and erasure for privacy (only anonymous counts stay).

use super::{LANE_SLA, Ledger, contact_key, sla_key};
use crate::store::StoreError;
use crate::store::queue::cancel_pending;
use handoff_ids::{ContactId, PortalId};

// A merge (`Ledger::merge_handoffs`): does a contact have a handoff, move one to the
// survivor with its SLA jobs, or mark it merged.
const HAS: &str = "SELECT COUNT(*) FROM handoffs WHERE portal_id = $1 AND contact_id = $2";
const MOVE: &str = "UPDATE handoffs SET contact_id = $3, updated_at_ms = $4 \
     WHERE portal_id = $1 AND contact_id = $2";
const REKEY: &str = "UPDATE jobs SET job_key = $2 WHERE job_key = $1 AND status = 'ready'";
const CLOSE: &str = "UPDATE handoffs SET status = 'merged', updated_at_ms = $3 \
     WHERE portal_id = $1 AND contact_id = $2";

impl Ledger<'_> {
    /// Privacy: removes what the store keeps about a contact beyond anonymous counts — its
    /// decisions (explanations, facts and contact snapshots hold property values), its finished and pending jobs (payloads
    /// hold property values) except the one running now, and the handoff's free-text fields.
    /// The handoff row stays, without reason or source, so KPIs keep their denominators.
    pub async fn erase_contact(
        self,
        portal_id: PortalId,
        contact_id: ContactId,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        const DECISIONS: &str = "DELETE FROM decisions WHERE portal_id = $1 AND contact_id = $2";
        const JOBS: &str = "DELETE FROM jobs WHERE job_key = $1 AND status <> 'leased'";
        const HANDOFF: &str = "UPDATE handoffs SET disposition_reason = NULL, source = NULL, \
             sla_plan = NULL, task_text = NULL, status = CASE WHEN status = 'open' THEN 'closed' ELSE status END, \
             updated_at_ms = $3 WHERE portal_id = $1 AND contact_id = $2";
        in_tx!(self.db, |tx| {
            sqlx::query(DECISIONS)
                .bind(portal_id.get())
                .bind(contact_id.get())
                .execute(&mut *tx)
                .await?;
            for key in [
                contact_key(portal_id, contact_id),
                sla_key(portal_id, contact_id),
                crate::store::slack::alert_key(portal_id, contact_id),
                crate::store::slack::click_key(portal_id, contact_id),
            ] {
                sqlx::query(JOBS).bind(key).execute(&mut *tx).await?;
            }
            sqlx::query(HANDOFF)
                .bind(portal_id.get())
                .bind(contact_id.get())
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// A merge: the surviving contact keeps one handoff. If it has none, the first merged
    /// contact's handoff moves to it (with its SLA jobs); every other merged handoff is marked
    /// `merged` and its SLA jobs cancelled. Returns whether the survivor has a handoff now.
    pub async fn merge_handoffs(
        self,
        portal_id: PortalId,
        primary: ContactId,
        merged: &[ContactId],
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        // The survivor first: whether it has a handoff decides where the others' go.
        let contacts =
            std::iter::once(primary).chain(merged.iter().copied().filter(|m| *m != primary));
        let has = in_tx!(self.db, |tx| {
            let mut has = false;
            for (n, m) in contacts.enumerate() {
                let found: i64 = sqlx::query_scalar(HAS)
                    .bind(portal_id.get())
                    .bind(m.get())
                    .fetch_one(&mut *tx)
                    .await?;
                if n == 0 || found == 0 {
                    has |= found > 0;
                } else if has {
                    sqlx::query(CLOSE)
                        .bind(portal_id.get())
                        .bind(m.get())
                        .bind(now_ms)
                        .execute(&mut *tx)
                        .await?;
                    cancel_pending(LANE_SLA, &sla_key(portal_id, m))
                        .execute(&mut *tx)
                        .await?;
                } else {
                    sqlx::query(MOVE)
                        .bind(portal_id.get())
                        .bind(m.get())
                        .bind(primary.get())
                        .bind(now_ms)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(REKEY)
                        .bind(sla_key(portal_id, m))
                        .bind(sla_key(portal_id, primary))
                        .execute(&mut *tx)
                        .await?;
                    has = true;
                }
            }
            has
        });
        Ok(has)
    }
}
