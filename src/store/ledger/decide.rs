//! Recording decisions: the worker decides a portal's contacts with the portal's routing state
//! locked, and the decisions, the new handoffs and the new state commit together.

use handoff_ids::{ContactId, PortalId};
use serde::Serialize;
use serde::de::DeserializeOwned;

use sqlx::Database;

use super::{Ledger, NewDecision, NewHandoff};
use crate::store::dispatch::{Param, Statement};
use crate::store::{Dialect, StoreError};

/// What a decision was, as the ledger's columns (migration 0012): read by `handoff tune` and
/// the review's routing health without parsing explanations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecisionFacts {
    pub score_total: i64,
    pub tier: Option<String>,
    pub source: Option<String>,
    pub buying_role: Option<String>,
    /// `sticky`, `account_match`, `rule_owner`, `pool`, `team_fallback`, `global_fallback`.
    pub route_kind: Option<String>,
    /// The pool that assigned the lead.
    pub route_pool: Option<String>,
    /// The first pool the lead fell through (no eligible member): the fallback chain was used.
    pub fallback_from: Option<String>,
    /// Ids of the scoring rules that matched.
    pub rules: Vec<String>,
    /// The contact as the decision read it (`engine::snapshot`, JSON): personal data.
    pub contact: Option<String>,
}

/// Records decision `d` about a contact of portal `portal_id`.
fn insert_decision<DB: Database>(portal_id: PortalId, d: &NewDecision) -> Statement<DB>
where
    i64: Param<DB>,
    Option<i64>: Param<DB>,
    Option<String>: Param<DB>,
    for<'a> &'a str: Param<DB>,
{
    const SQL: &str = "INSERT INTO decisions (portal_id, contact_id, decided_at_ms, trigger, \
         outcome, owner_id, explanation, score_total, tier, source, buying_role, route_kind, \
         route_pool, fallback_from, rules, contact) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)";
    let f = d.facts.as_ref();
    let text = |pick: fn(&DecisionFacts) -> &Option<String>| f.and_then(|f| pick(f).clone());
    sqlx::query(SQL)
        .bind(portal_id.get())
        .bind(d.contact_id.get())
        .bind(d.decided_at_ms)
        .bind(d.trigger.as_str())
        .bind(d.outcome.as_str())
        .bind(d.owner_id.map(|o| o.to_string()))
        .bind(d.explanation.as_str())
        .bind(f.map(|f| f.score_total))
        .bind(text(|f| &f.tier))
        .bind(text(|f| &f.source))
        .bind(text(|f| &f.buying_role))
        .bind(text(|f| &f.route_kind))
        .bind(text(|f| &f.route_pool))
        .bind(text(|f| &f.fallback_from))
        .bind(f.and_then(|f| serde_json::to_string(&f.rules).ok()))
        .bind(text(|f| &f.contact))
}

/// Inserts handoff `h` of a contact at its first step and returns its id; nothing (no row)
/// when the contact already has a handoff, which it keeps.
fn insert_handoff<DB: Database>(
    portal_id: PortalId,
    contact_id: ContactId,
    h: &NewHandoff,
    now_ms: i64,
) -> Statement<DB>
where
    i64: Param<DB>,
    Option<i64>: Param<DB>,
    Option<String>: Param<DB>,
    for<'a> &'a str: Param<DB>,
{
    const SQL: &str = "INSERT INTO handoffs (portal_id, contact_id, step, owner_id, team, score, \
         tier, sla_tier, source, trace_id, handed_off_at_ms, sla_due_at_ms, close_loop_due_ms, \
         sla_plan, task_text, updated_at_ms) \
         VALUES ($1, $2, 'decided', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (portal_id, contact_id) DO NOTHING RETURNING id";
    sqlx::query(SQL)
        .bind(portal_id.get())
        .bind(contact_id.get())
        .bind(Some(h.owner_id.to_string()))
        .bind(h.team.clone())
        .bind(h.score)
        .bind(h.tier.clone())
        .bind(h.sla_tier.clone())
        .bind(h.source.clone())
        .bind(h.trace_id.as_str())
        .bind(h.handed_off_at_ms)
        .bind(h.sla_due_at_ms)
        .bind(h.close_loop_due_ms)
        .bind(h.sla_plan.clone())
        .bind(h.task_text.clone())
        .bind(now_ms)
}

// The portal's routing state: created empty on first use, saved with the decisions.
const ENSURE: &str = "INSERT INTO routing_state (portal_id, state, updated_at_ms) \
     VALUES ($1, '{}', $2) ON CONFLICT (portal_id) DO NOTHING";
const SAVE: &str = "UPDATE routing_state SET state = $2, updated_at_ms = $3 WHERE portal_id = $1";

impl Ledger<'_> {
    /// Decides with the portal's routing state locked: `decide` gets the state, changes it and
    /// returns the decisions; decisions, new handoffs and the new state commit together. A
    /// contact that already has a handoff keeps it (the new one is not inserted). Returns the
    /// ids of the handoffs created, by contact. The state is the caller's (the lead engine's
    /// `RoutingState`), kept as JSON; a stored state that no longer reads starts afresh.
    pub async fn record_decisions<S, F>(
        self,
        portal_id: PortalId,
        now_ms: i64,
        decide: F,
    ) -> Result<Vec<(ContactId, i64)>, StoreError>
    where
        S: Serialize + DeserializeOwned + Default,
        F: FnOnce(&mut S) -> Vec<NewDecision>,
    {
        let lock = match self.db.dialect() {
            // SQLite: BEGIN IMMEDIATE already holds the only write lock.
            Dialect::Sqlite => "",
            Dialect::Postgres => "FOR UPDATE",
        };
        let load = format!("SELECT state FROM routing_state WHERE portal_id = $1 {lock}");
        let created = in_tx!(self.db, |tx| {
            sqlx::query(ENSURE)
                .bind(portal_id.get())
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
            let text: String = sqlx::query_scalar(sqlx::AssertSqlSafe(load))
                .bind(portal_id.get())
                .fetch_one(&mut *tx)
                .await?;
            let mut state: S = serde_json::from_str(&text).unwrap_or_default();
            let decisions = decide(&mut state);
            let mut created = Vec::new();
            for d in &decisions {
                insert_decision(portal_id, d).execute(&mut *tx).await?;
                let Some(h) = &d.handoff else { continue };
                let row = insert_handoff(portal_id, d.contact_id, h, now_ms)
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some(row) = row {
                    created.push((d.contact_id, sqlx::Row::try_get(&row, 0)?));
                }
            }
            let text = serde_json::to_string(&state).unwrap_or_else(|_| "{}".into());
            sqlx::query(SAVE)
                .bind(portal_id.get())
                .bind(text)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
            created
        });
        Ok(created)
    }
}
