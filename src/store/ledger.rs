//! The handoff ledger (`handoffs`, `decisions`, `routing_state`): what the pipeline decided and
//! how far each handoff got. A handoff row moves through explicit steps so a retry or a crash
//! resumes where it stopped; decisions and the routing state they used commit together.
//! SQL is shared by both engines (`$N` placeholders); only locking the routing state differs.

use serde::Serialize;

use super::queue::{QueueError, Scheduled};
use super::{Backend, Store, StoreError};
use crate::engine::RoutingState;

/// Steps of a handoff, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Decided,
    ContactWritten,
    TaskCreated,
    SlaScheduled,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Decided => "decided",
            Step::ContactWritten => "contact_written",
            Step::TaskCreated => "task_created",
            Step::SlaScheduled => "sla_scheduled",
        }
    }

    pub fn parse(s: &str) -> Step {
        match s {
            "contact_written" => Step::ContactWritten,
            "task_created" => Step::TaskCreated,
            "sla_scheduled" => Step::SlaScheduled,
            _ => Step::Decided,
        }
    }
}

/// One handoff as stored.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct HandoffRow {
    pub id: i64,
    pub portal_id: i64,
    pub contact_id: i64,
    pub status: String,
    pub step: String,
    pub owner_id: String,
    pub team: Option<String>,
    pub score: i64,
    pub tier: Option<String>,
    pub sla_tier: Option<String>,
    pub source: Option<String>,
    pub trace_id: String,
    pub task_id: Option<String>,
    pub task_attempted_at_ms: Option<i64>,
    pub handed_off_at_ms: i64,
    pub sla_due_at_ms: Option<i64>,
    pub close_loop_due_ms: Option<i64>,
    pub sla_plan: Option<String>,
    pub task_text: Option<String>,
    pub first_touch_at_ms: Option<i64>,
    pub sla_met: Option<i64>,
    pub escalations: i64,
    pub reassignments: i64,
    pub missed_by: String,
    pub disposition: Option<String>,
    pub disposition_reason: Option<String>,
    pub disposition_at_ms: Option<i64>,
    pub deal_amount: Option<f64>,
    pub updated_at_ms: i64,
}

#[cfg(test)]
impl HandoffRow {
    /// An open handoff of contact 1 to owner 101, handed off at 0 and due at 10 s.
    pub(crate) fn example() -> Self {
        HandoffRow {
            id: 1,
            portal_id: 1,
            contact_id: 1,
            status: "open".into(),
            step: "sla_scheduled".into(),
            owner_id: "101".into(),
            team: None,
            score: 80,
            tier: None,
            sla_tier: Some("A".into()),
            source: None,
            trace_id: "t".into(),
            task_id: None,
            task_attempted_at_ms: None,
            handed_off_at_ms: 0,
            sla_due_at_ms: Some(10_000),
            close_loop_due_ms: None,
            sla_plan: None,
            task_text: None,
            first_touch_at_ms: None,
            sla_met: None,
            escalations: 0,
            reassignments: 0,
            missed_by: "[]".into(),
            disposition: None,
            disposition_reason: None,
            disposition_at_ms: None,
            deal_amount: None,
            updated_at_ms: 0,
        }
    }
}

impl HandoffRow {
    pub fn step(&self) -> Step {
        Step::parse(&self.step)
    }

    /// Whether its remaining steps (owner written, task created, SLA scheduled) still run:
    /// open, or closed by a disposition that came before they were done — the owner must still
    /// reach HubSpot. Not when merged into another, nor erased (which drops the task text).
    pub fn steps_pending(&self) -> bool {
        self.step() < Step::SlaScheduled
            && match self.status.as_str() {
                "open" => true,
                "closed" => self.disposition.is_some() && self.task_text.is_some(),
                _ => false,
            }
    }

    /// Owners who already missed this lead's SLA.
    pub fn missed_by(&self) -> Vec<String> {
        serde_json::from_str(&self.missed_by).unwrap_or_default()
    }
}

/// A new handoff, recorded with the decision that made it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewHandoff {
    pub owner_id: String,
    pub team: Option<String>,
    pub score: i64,
    pub tier: Option<String>,
    pub sla_tier: Option<String>,
    pub source: Option<String>,
    pub trace_id: String,
    pub handed_off_at_ms: i64,
    pub sla_due_at_ms: Option<i64>,
    pub close_loop_due_ms: Option<i64>,
    pub sla_plan: Option<String>,
    pub task_text: Option<String>,
}

/// A decision to record, with its explanation (the engine's `Decision` as JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct NewDecision {
    pub contact_id: i64,
    pub decided_at_ms: i64,
    /// What woke the worker, e.g. `contact.creation`, `sla.reassign`.
    pub trigger: String,
    pub outcome: String,
    pub owner_id: Option<String>,
    pub explanation: String,
    /// Set when the decision hands the lead off.
    pub handoff: Option<NewHandoff>,
}

/// A stored decision.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct DecisionRow {
    pub id: i64,
    pub portal_id: i64,
    pub contact_id: i64,
    pub decided_at_ms: i64,
    pub trigger: String,
    pub outcome: String,
    pub owner_id: Option<String>,
    pub explanation: String,
}

const HANDOFF_COLUMNS: &str = "id, portal_id, contact_id, status, step, owner_id, team, score, tier, \
     sla_tier, source, trace_id, task_id, task_attempted_at_ms, handed_off_at_ms, sla_due_at_ms, \
     close_loop_due_ms, sla_plan, task_text, first_touch_at_ms, sla_met, escalations, reassignments, missed_by, \
     disposition, disposition_reason, disposition_at_ms, deal_amount, updated_at_ms";

const INSERT_DECISION: &str = "INSERT INTO decisions (portal_id, contact_id, decided_at_ms, trigger, \
     outcome, owner_id, explanation) VALUES ($1, $2, $3, $4, $5, $6, $7)";

const INSERT_HANDOFF: &str = "INSERT INTO handoffs (portal_id, contact_id, step, owner_id, team, score, \
     tier, sla_tier, source, trace_id, handed_off_at_ms, sla_due_at_ms, close_loop_due_ms, sla_plan, \
     task_text, updated_at_ms) VALUES ($1, $2, 'decided', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
     ON CONFLICT (portal_id, contact_id) DO NOTHING RETURNING id";

const INSERT_JOB: &str = "INSERT INTO jobs (queue, job_key, kind, payload, occurred_at_ms, run_at_ms, \
     max_attempts, created_at_ms, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)";

const CANCEL_PENDING: &str =
    "DELETE FROM jobs WHERE queue = $1 AND job_key = $2 AND status = 'ready'";

mod leads;
mod read;
pub use leads::{LeadRow, LeadSettled};
pub use read::{KpiHandoff, LeadOutcome, ReadyLead, Unassigned};

/// The SLA lane's key for a contact: it starts with the portal like every key, so
/// `dlq --portal` finds it, and differs from the events key so the lanes never block each other.
pub fn sla_key(portal_id: i64, contact_id: i64) -> String {
    format!("{portal_id}:sla:{contact_id}")
}

/// The events lane's key for a contact (as the receiver writes it).
pub fn contact_key(portal_id: i64, contact_id: i64) -> String {
    format!("{portal_id}:0-1:{contact_id}")
}

/// The lane of SLA checks (`jobs::LANE_SLA`), whose pending jobs the ledger cancels.
pub const LANE_SLA: &str = "sla";

/// `1,2,3` for an `IN (…)` list: integers only, so nothing can be injected.
pub(super) fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

impl Store {
    /// Handoffs of these contacts (at most one each).
    pub async fn handoffs_for(
        &self,
        portal_id: i64,
        contacts: &[i64],
    ) -> Result<Vec<HandoffRow>, StoreError> {
        let mut out = Vec::new();
        for chunk in contacts.chunks(200) {
            let list = id_list(chunk);
            // Ids are integers, so the list cannot inject anything.
            let sql = format!(
                "SELECT {HANDOFF_COLUMNS} FROM handoffs WHERE portal_id = $1 AND contact_id IN ({list})"
            );
            let rows: Vec<HandoffRow> = on_reader!(self, |pool| sqlx::query_as(
                sqlx::AssertSqlSafe(sql.clone())
            )
            .bind(portal_id)
            .fetch_all(pool)
            .await?);
            out.extend(rows);
        }
        Ok(out)
    }

    /// One handoff by id.
    pub async fn handoff(&self, id: i64) -> Result<Option<HandoffRow>, StoreError> {
        let sql = format!("SELECT {HANDOFF_COLUMNS} FROM handoffs WHERE id = $1");
        Ok(on_reader!(self, |pool| sqlx::query_as(
            sqlx::AssertSqlSafe(sql.clone())
        )
        .bind(id)
        .fetch_optional(pool)
        .await?))
    }

    /// Every handoff decided at or after `since_ms`, oldest first (for reports).
    pub async fn handoffs_since(&self, since_ms: i64) -> Result<Vec<HandoffRow>, StoreError> {
        let sql = format!(
            "SELECT {HANDOFF_COLUMNS} FROM handoffs WHERE handed_off_at_ms >= $1 ORDER BY handed_off_at_ms, id"
        );
        Ok(on_reader!(self, |pool| sqlx::query_as(
            sqlx::AssertSqlSafe(sql.clone())
        )
        .bind(since_ms)
        .fetch_all(pool)
        .await?))
    }

    /// Decisions made at or after `since_ms`: `(outcome, count)`.
    pub async fn decision_counts_since(
        &self,
        since_ms: i64,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        const SQL: &str = "SELECT outcome, COUNT(*) FROM decisions WHERE decided_at_ms >= $1 \
             GROUP BY outcome ORDER BY outcome";
        Ok(on_reader!(self, |pool| sqlx::query_as(SQL)
            .bind(since_ms)
            .fetch_all(pool)
            .await?))
    }

    /// The stored decisions about one contact, oldest first.
    pub async fn decisions_of(
        &self,
        portal_id: i64,
        contact_id: i64,
    ) -> Result<Vec<DecisionRow>, StoreError> {
        const SQL: &str = "SELECT id, portal_id, contact_id, decided_at_ms, trigger, outcome, owner_id, \
             explanation FROM decisions WHERE portal_id = $1 AND contact_id = $2 ORDER BY decided_at_ms, id";
        Ok(on_reader!(self, |pool| sqlx::query_as(SQL)
            .bind(portal_id)
            .bind(contact_id)
            .fetch_all(pool)
            .await?))
    }

    /// Decides with the portal's routing state locked: `decide` gets the state, changes it and
    /// returns the decisions; decisions, new handoffs and the new state commit together. A
    /// contact that already has a handoff keeps it (the new one is not inserted). Returns the
    /// ids of the handoffs created, by contact.
    pub async fn record_decisions<F>(
        &self,
        portal_id: i64,
        now_ms: i64,
        decide: F,
    ) -> Result<Vec<(i64, i64)>, StoreError>
    where
        F: FnOnce(&mut RoutingState) -> Vec<NewDecision>,
    {
        const ENSURE: &str = "INSERT INTO routing_state (portal_id, state, updated_at_ms) \
             VALUES ($1, '{}', $2) ON CONFLICT (portal_id) DO NOTHING";
        const SAVE: &str =
            "UPDATE routing_state SET state = $2, updated_at_ms = $3 WHERE portal_id = $1";
        let lock = match &*self.backend {
            // SQLite: BEGIN IMMEDIATE already holds the only write lock.
            Backend::Sqlite(_) => "SELECT state FROM routing_state WHERE portal_id = $1",
            Backend::Postgres(_) => {
                "SELECT state FROM routing_state WHERE portal_id = $1 FOR UPDATE"
            }
        };
        let created = in_tx!(self, |tx| {
            sqlx::query(ENSURE)
                .bind(portal_id)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
            let text: String = sqlx::query_scalar(lock)
                .bind(portal_id)
                .fetch_one(&mut *tx)
                .await?;
            let mut state: RoutingState = serde_json::from_str(&text).unwrap_or_default();
            let decisions = decide(&mut state);
            let mut created = Vec::new();
            for d in &decisions {
                sqlx::query(INSERT_DECISION)
                    .bind(portal_id)
                    .bind(d.contact_id)
                    .bind(d.decided_at_ms)
                    .bind(&d.trigger)
                    .bind(&d.outcome)
                    .bind(&d.owner_id)
                    .bind(&d.explanation)
                    .execute(&mut *tx)
                    .await?;
                if let Some(h) = &d.handoff {
                    let id: Option<i64> = sqlx::query_scalar(INSERT_HANDOFF)
                        .bind(portal_id)
                        .bind(d.contact_id)
                        .bind(&h.owner_id)
                        .bind(&h.team)
                        .bind(h.score)
                        .bind(&h.tier)
                        .bind(&h.sla_tier)
                        .bind(&h.source)
                        .bind(&h.trace_id)
                        .bind(h.handed_off_at_ms)
                        .bind(h.sla_due_at_ms)
                        .bind(h.close_loop_due_ms)
                        .bind(&h.sla_plan)
                        .bind(&h.task_text)
                        .bind(now_ms)
                        .fetch_optional(&mut *tx)
                        .await?;
                    if let Some(id) = id {
                        created.push((d.contact_id, id));
                    }
                }
            }
            let text = serde_json::to_string(&state).unwrap_or_else(|_| "{}".into());
            sqlx::query(SAVE)
                .bind(portal_id)
                .bind(text)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
            created
        });
        Ok(created)
    }

    /// Moves handoffs to `step`, in one statement.
    pub async fn advance(&self, ids: &[i64], step: Step, now_ms: i64) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        // Ids are integers, so the list cannot inject anything.
        let sql = format!(
            "UPDATE handoffs SET step = $1, updated_at_ms = $2 WHERE id IN ({})",
            id_list(ids)
        );
        on_writer!(self, |pool| sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(step.as_str())
            .bind(now_ms)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Notes that a task create is about to be sent, so a retry looks for it first.
    pub async fn mark_task_attempted(&self, ids: &[i64], now_ms: i64) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "UPDATE handoffs SET task_attempted_at_ms = $1, updated_at_ms = $1 \
             WHERE task_attempted_at_ms IS NULL AND id IN ({})",
            id_list(ids)
        );
        on_writer!(self, |pool| sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now_ms)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Records the task created for a handoff.
    pub async fn task_created(
        &self,
        id: i64,
        task_id: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE handoffs SET step = 'task_created', task_id = $2, updated_at_ms = $3 \
             WHERE id = $1 AND step IN ('decided', 'contact_written')";
        on_writer!(self, |pool| sqlx::query(SQL)
            .bind(id)
            .bind(task_id)
            .bind(now_ms)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Replaces the contact's pending SLA jobs with `jobs` and marks the handoff
    /// `sla_scheduled`, in one transaction.
    pub async fn schedule_ladder(
        &self,
        handoff: &HandoffRow,
        jobs: &[Scheduled],
        now_ms: i64,
    ) -> Result<(), QueueError> {
        const STEP: &str =
            "UPDATE handoffs SET step = 'sla_scheduled', updated_at_ms = $2 WHERE id = $1";
        let key = sla_key(handoff.portal_id, handoff.contact_id);
        in_tx!(self, |tx| {
            sqlx::query(CANCEL_PENDING)
                .bind(LANE_SLA)
                .bind(&key)
                .execute(&mut *tx)
                .await?;
            for job in jobs {
                sqlx::query(INSERT_JOB)
                    .bind(job.job.lane)
                    .bind(&job.job.key)
                    .bind(job.job.kind)
                    .bind(job.job.payload.get())
                    .bind(job.job.occurred_at_ms)
                    .bind(job.run_at_ms)
                    .bind(job.max_attempts)
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(STEP)
                .bind(handoff.id)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Records the first sales touch (once); `true` if this call recorded it. The caller
    /// replaces the pending ladder (only the close-the-loop check stays).
    pub async fn record_touch(
        &self,
        id: i64,
        touched_at_ms: i64,
        sla_met: bool,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "UPDATE handoffs SET first_touch_at_ms = $2, sla_met = $3, updated_at_ms = $4 \
             WHERE id = $1 AND first_touch_at_ms IS NULL";
        let n = on_writer!(self, |pool| sqlx::query(SQL)
            .bind(id)
            .bind(touched_at_ms)
            .bind(i64::from(sla_met))
            .bind(now_ms)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// Records a disposition (accepted / nurture / disqualified + reason) and closes the loop:
    /// the contact's pending SLA jobs are cancelled.
    pub async fn record_disposition(
        &self,
        handoff: &HandoffRow,
        outcome: &str,
        reason: Option<&str>,
        deal_amount: Option<f64>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE handoffs SET status = 'closed', disposition = $2, disposition_reason = $3, \
             disposition_at_ms = COALESCE(disposition_at_ms, $4), deal_amount = COALESCE($5, deal_amount), \
             updated_at_ms = $4 WHERE id = $1";
        let key = sla_key(handoff.portal_id, handoff.contact_id);
        in_tx!(self, |tx| {
            sqlx::query(SQL)
                .bind(handoff.id)
                .bind(outcome)
                .bind(reason)
                .bind(now_ms)
                .bind(deal_amount)
                .execute(&mut *tx)
                .await?;
            sqlx::query(CANCEL_PENDING)
                .bind(LANE_SLA)
                .bind(&key)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Updates the deal amount of a handoff (pipeline by source).
    pub async fn record_deal_amount(
        &self,
        id: i64,
        amount: f64,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE handoffs SET deal_amount = $2, updated_at_ms = $3 WHERE id = $1";
        on_writer!(self, |pool| sqlx::query(SQL)
            .bind(id)
            .bind(amount)
            .bind(now_ms)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Counts one escalation (manager task, fallback queue, missing disposition).
    pub async fn note_escalation(&self, id: i64, now_ms: i64) -> Result<(), StoreError> {
        const SQL: &str =
            "UPDATE handoffs SET escalations = escalations + 1, updated_at_ms = $2 WHERE id = $1";
        on_writer!(self, |pool| sqlx::query(SQL)
            .bind(id)
            .bind(now_ms)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Hands the lead to a new owner after a missed SLA: a new trace id, task and ladder follow
    /// (the step goes back to `decided`); the old owner joins `missed_by`.
    pub async fn reassign(
        &self,
        id: i64,
        change: &Reassignment,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE handoffs SET step = 'decided', owner_id = $2, team = $3, trace_id = $4, \
             task_id = NULL, task_attempted_at_ms = NULL, sla_due_at_ms = $5, sla_plan = $6, \
             missed_by = $7, reassignments = reassignments + 1, escalations = escalations + $8, \
             updated_at_ms = $9, task_text = $10, close_loop_due_ms = COALESCE($11, close_loop_due_ms) \
             WHERE id = $1";
        on_writer!(self, |pool| sqlx::query(SQL)
            .bind(id)
            .bind(&change.owner_id)
            .bind(&change.team)
            .bind(&change.trace_id)
            .bind(change.sla_due_at_ms)
            .bind(&change.sla_plan)
            .bind(serde_json::to_string(&change.missed_by).unwrap_or_else(|_| "[]".into()))
            .bind(i64::from(change.escalation))
            .bind(now_ms)
            .bind(&change.task_text)
            .bind(change.close_loop_due_ms)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Privacy: removes what the store keeps about a contact beyond anonymous counts — its
    /// decisions (explanations hold property values), its finished and pending jobs (payloads
    /// hold property values) except the one running now, and the handoff's free-text fields.
    /// The handoff row stays, without reason or source, so KPIs keep their denominators.
    pub async fn erase_contact(
        &self,
        portal_id: i64,
        contact_id: i64,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        const DECISIONS: &str = "DELETE FROM decisions WHERE portal_id = $1 AND contact_id = $2";
        const JOBS: &str = "DELETE FROM jobs WHERE job_key = $1 AND status <> 'leased'";
        const HANDOFF: &str = "UPDATE handoffs SET disposition_reason = NULL, source = NULL, \
             sla_plan = NULL, task_text = NULL, status = CASE WHEN status = 'open' THEN 'closed' ELSE status END, \
             updated_at_ms = $3 WHERE portal_id = $1 AND contact_id = $2";
        in_tx!(self, |tx| {
            sqlx::query(DECISIONS)
                .bind(portal_id)
                .bind(contact_id)
                .execute(&mut *tx)
                .await?;
            for key in [
                contact_key(portal_id, contact_id),
                sla_key(portal_id, contact_id),
            ] {
                sqlx::query(JOBS).bind(key).execute(&mut *tx).await?;
            }
            sqlx::query(HANDOFF)
                .bind(portal_id)
                .bind(contact_id)
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
        &self,
        portal_id: i64,
        primary: i64,
        merged: &[i64],
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        const HAS: &str = "SELECT COUNT(*) FROM handoffs WHERE portal_id = $1 AND contact_id = $2";
        const MOVE: &str = "UPDATE handoffs SET contact_id = $3, updated_at_ms = $4 \
             WHERE portal_id = $1 AND contact_id = $2";
        const REKEY: &str = "UPDATE jobs SET job_key = $2 WHERE job_key = $1 AND status = 'ready'";
        const CLOSE: &str = "UPDATE handoffs SET status = 'merged', updated_at_ms = $3 \
             WHERE portal_id = $1 AND contact_id = $2";
        let has = in_tx!(self, |tx| {
            let mut has: i64 = sqlx::query_scalar(HAS)
                .bind(portal_id)
                .bind(primary)
                .fetch_one(&mut *tx)
                .await?;
            for m in merged.iter().filter(|m| **m != primary) {
                let theirs: i64 = sqlx::query_scalar(HAS)
                    .bind(portal_id)
                    .bind(m)
                    .fetch_one(&mut *tx)
                    .await?;
                if theirs == 0 {
                    continue;
                }
                if has == 0 {
                    sqlx::query(MOVE)
                        .bind(portal_id)
                        .bind(m)
                        .bind(primary)
                        .bind(now_ms)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(REKEY)
                        .bind(sla_key(portal_id, *m))
                        .bind(sla_key(portal_id, primary))
                        .execute(&mut *tx)
                        .await?;
                    has = 1;
                } else {
                    sqlx::query(CLOSE)
                        .bind(portal_id)
                        .bind(m)
                        .bind(now_ms)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(CANCEL_PENDING)
                        .bind(LANE_SLA)
                        .bind(sla_key(portal_id, *m))
                        .execute(&mut *tx)
                        .await?;
                }
            }
            has > 0
        });
        Ok(has)
    }
}

/// A reassignment after a missed SLA.
#[derive(Debug, Clone, PartialEq)]
pub struct Reassignment {
    pub owner_id: String,
    pub team: Option<String>,
    pub trace_id: String,
    pub sla_due_at_ms: Option<i64>,
    pub sla_plan: Option<String>,
    pub missed_by: Vec<String>,
    /// Counts as an escalation too (fallback queue).
    pub escalation: bool,
    pub task_text: Option<String>,
    pub close_loop_due_ms: Option<i64>,
}
