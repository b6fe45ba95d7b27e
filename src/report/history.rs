//! `handoff explain --contact-id ID --portal P`: what the ledger holds about one lead — its
//! handoff (owner, step, task, SLA, touch, escalations, disposition, first-touch sequence,
//! HubSpot Lead record, Slack alerts and clicks) and every decision with its explanation — as
//! text or JSON.

use handoff_ids::{ContactId, PortalId};
use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use super::ReportError;
use super::render::{human_ms, time};
use crate::engine::Roster;
use crate::store::Store;
use crate::store::ledger::{DecisionRow, HandoffRow, LeadRow};
use crate::store::sequences::SequenceRecord;
use crate::store::slack::{AlertRow, ClickRow};

/// The stored history of one lead.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    pub portal_id: PortalId,
    pub contact_id: ContactId,
    pub handoff: Option<HandoffRow>,
    /// The handoff's first-touch enrollment (`[[playbook.sequences]]`), if one was chosen.
    pub sequence: Option<SequenceRecord>,
    /// The handoff's HubSpot Lead record (`[playbook.leads]`), if one was attempted.
    pub lead: Option<LeadRow>,
    /// Oldest first.
    pub decisions: Vec<DecisionRow>,
    /// The lead's Slack alerts and the clicks on them (`[alerts.slack]`), oldest first.
    pub slack: (Vec<AlertRow>, Vec<ClickRow>),
    /// Owner names from the roster, by owner id (see [`History::named`]).
    pub names: BTreeMap<String, String>,
}

impl History {
    /// Loads the history; a lead the ledger knows nothing about is an error.
    pub async fn load(
        store: &Store,
        portal_id: PortalId,
        contact_id: ContactId,
    ) -> Result<Self, ReportError> {
        let decisions = store.ledger().decisions_of(portal_id, contact_id).await?;
        let handoff = store.ledger().handoff_of(portal_id, contact_id).await?;
        if decisions.is_empty() && handoff.is_none() {
            return Err(ReportError::UnknownLead {
                portal_id,
                contact_id,
            });
        }
        let ids: Vec<i64> = handoff.iter().map(|h| h.id).collect();
        let sequence = store
            .sequences()
            .records(&ids)
            .await?
            .into_iter()
            .find(|s| s.sequence_id.is_some() || s.sequence_state.is_some());
        let lead = store.leads().of_handoffs(&ids).await?.into_values().next();
        let alerts = store.slack().alerts_of(portal_id, contact_id).await?;
        let clicks = store.slack().clicks_of(portal_id, contact_id).await?;
        Ok(Self {
            portal_id,
            contact_id,
            handoff,
            sequence,
            lead,
            decisions,
            slack: (alerts, clicks),
            names: BTreeMap::new(),
        })
    }

    /// Adds the roster's names of the owners this history mentions, so the text reads
    /// `101 (Jonas Becker)` where the ledger has `101`. Owners the roster does not know stay ids.
    pub fn named(mut self, roster: &Roster) -> Self {
        let mut ids: Vec<String> = self
            .decisions
            .iter()
            .filter_map(|d| d.owner_id.map(|o| o.to_string()))
            .collect();
        if let Some(h) = &self.handoff {
            ids.push(h.owner_id.to_string());
            ids.extend(h.missed_by().iter().map(|o| o.to_string()));
        }
        ids.extend(
            self.lead
                .iter()
                .filter_map(|l| l.owner_id.map(|o| o.to_string())),
        );
        for id in ids {
            if let Some(o) = roster.owner(&id) {
                self.names.insert(id, o.owner.name.clone());
            }
        }
        self
    }

    /// `101 (Jonas Becker)`, or `101` when the roster does not name the owner.
    fn owner(&self, id: impl std::fmt::Display) -> String {
        let id = id.to_string();
        match self.names.get(&id) {
            Some(name) => format!("{id} ({name})"),
            None => id,
        }
    }

    /// The history as JSON: stored JSON columns (explanations, SLA plan, task text) are
    /// nested as JSON, not as strings of JSON.
    pub fn to_json(&self) -> String {
        let handoff = self.handoff.as_ref().map(|h| {
            let mut v = serde_json::to_value(h).unwrap_or_default();
            for field in ["sla_plan", "task_text", "missed_by"] {
                if let Some(parsed) = v.get(field).and_then(Value::as_str).and_then(parse) {
                    v[field] = parsed;
                }
            }
            v
        });
        let decisions: Vec<StoredDecision<'_>> = self
            .decisions
            .iter()
            .map(|d| StoredDecision {
                id: d.id,
                decided_at: time(d.decided_at_ms),
                decided_at_ms: d.decided_at_ms,
                trigger: &d.trigger,
                outcome: &d.outcome,
                owner_id: d.owner_id,
                explanation: parse(&d.explanation).unwrap_or(Value::Null),
            })
            .collect();
        let doc = serde_json::json!({
            "portal_id": self.portal_id.get(),
            "contact_id": self.contact_id.get(),
            "handoff": handoff,
            "sequence": self.sequence,
            "lead": self.lead,
            "slack": { "alerts": self.slack.0, "clicks": self.slack.1 },
            "decisions": decisions,
        });
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    }

    /// The history as text; `now_ms` tells a pending SLA from a missed one.
    pub fn to_text(&self, now_ms: i64) -> String {
        let state = match &self.handoff {
            Some(_) => "handed off",
            None => "never handed off",
        };
        let mut out = format!(
            "Contact {} in portal {}: {} decision(s), {state}\n",
            self.contact_id,
            self.portal_id,
            self.decisions.len()
        );
        if let Some(h) = &self.handoff {
            self.handoff_text(&mut out, h, now_ms);
        }
        if let Some(s) = &self.sequence {
            row(&mut out, "sequence", &sequence_text(s));
        }
        if let Some(l) = &self.lead {
            row(&mut out, "HubSpot lead", &self.lead_text(l));
        }
        for a in &self.slack.0 {
            row(&mut out, "Slack alert", &alert_text(a));
        }
        for c in &self.slack.1 {
            row(&mut out, "Slack click", &click_text(c));
        }
        if self.decisions.is_empty() {
            out.push_str(
                "\nNo decisions stored (erased with the contact, or recorded elsewhere).\n",
            );
        }
        let n = self.decisions.len();
        for (i, d) in self.decisions.iter().enumerate() {
            let owner = d
                .owner_id
                .map(|o| format!(", owner {}", self.owner(o)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "\nDecision {} of {n}: {} at {} (trigger {}){owner}",
                i + 1,
                d.outcome,
                time(d.decided_at_ms),
                if d.trigger.is_empty() {
                    "-"
                } else {
                    &d.trigger
                },
            );
            match parse(&d.explanation) {
                Some(e) => out.push_str(&super::explanation::render(&e, "  ")),
                None => out.push_str("  (explanation unreadable)\n"),
            }
        }
        out
    }
}

#[derive(Serialize)]
struct StoredDecision<'a> {
    id: i64,
    decided_at: String,
    decided_at_ms: i64,
    trigger: &'a str,
    outcome: &'a str,
    owner_id: Option<handoff_ids::OwnerId>,
    explanation: Value,
}

fn parse(text: &str) -> Option<Value> {
    serde_json::from_str(text).ok()
}

fn row(out: &mut String, label: &str, value: &str) {
    let _ = writeln!(out, "  {label:<16}{value}");
}

impl History {
    fn handoff_text(&self, out: &mut String, h: &HandoffRow, now_ms: i64) {
        let _ = writeln!(out, "\nHandoff ({}, step {})", h.status, h.step);
        let team = h
            .team
            .as_deref()
            .map(|t| format!(", team {t}"))
            .unwrap_or_default();
        row(out, "owner", &format!("{}{team}", self.owner(h.owner_id)));
        handoff_rest(out, h, now_ms, &self.owners(&h.missed_by()));
    }

    /// `created 5501, owner 101 (Jonas Becker)`, `refused (…)`, `attempted …`.
    fn lead_text(&self, l: &LeadRow) -> String {
        let id = l
            .lead_id
            .as_deref()
            .map(|i| format!(" {i}"))
            .unwrap_or_default();
        let owner = l
            .owner_id
            .map(|o| format!(", owner {}", self.owner(o)))
            .unwrap_or_default();
        let error = l
            .error
            .as_deref()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default();
        format!("{}{id}{owner}{error} at {}", l.state, time(l.updated_at_ms))
    }

    fn owners(&self, ids: &[handoff_ids::OwnerId]) -> Vec<String> {
        ids.iter().map(|id| self.owner(id)).collect()
    }
}

/// The handoff's lines after its owner; `missed` names the owners who missed its SLA.
fn handoff_rest(out: &mut String, h: &HandoffRow, now_ms: i64, missed: &[String]) {
    let tier = h.tier.as_deref().unwrap_or("none");
    let sla_tier = h.sla_tier.as_deref().unwrap_or("none");
    row(
        out,
        "score",
        &format!("{}, tier {tier}, SLA tier {sla_tier}", h.score),
    );
    row(out, "source", h.source.as_deref().unwrap_or("-"));
    row(out, "handed off", &time(h.handed_off_at_ms));
    row(
        out,
        "task",
        &h.task_id
            .map_or_else(|| "not created yet".to_string(), |t| t.to_string()),
    );
    row(
        out,
        "SLA due",
        &h.sla_due_at_ms.map_or("no SLA".into(), time),
    );
    row(out, "first touch", &touch(h, now_ms));
    let missed = if missed.is_empty() {
        String::new()
    } else {
        format!("; missed by {}", missed.join(", "))
    };
    row(
        out,
        "escalations",
        &format!(
            "{} (reassignments {}{missed})",
            h.escalations, h.reassignments
        ),
    );
    row(out, "disposition", &disposition(h));
}

/// `4001: enrolled (enrollment 77) at …`, `4001: skipped (no_seat)`, `4001: attempted …`.
fn sequence_text(s: &SequenceRecord) -> String {
    let id = s.sequence_id.as_deref().unwrap_or("-");
    let state = s.sequence_state.as_deref().unwrap_or("not yet");
    let detail = match (&s.sequence_enrollment_id, &s.sequence_reason) {
        (Some(e), _) => format!(" (enrollment {e})"),
        (None, Some(r)) => format!(" ({r})"),
        (None, None) => String::new(),
    };
    let at = s
        .sequence_at_ms
        .map(|t| format!(" at {}", time(t)))
        .unwrap_or_default();
    format!("{id}: {state}{detail}{at}")
}

/// `assignment v0 (assigned): sent to U101 in D101 at …`, `… failed (channel_not_found) at …`.
fn alert_text(a: &AlertRow) -> String {
    let to = match (a.recipient.as_deref(), a.channel.as_deref()) {
        (Some(user), Some(channel)) => format!(" to {user} in {channel}"),
        (None, Some(channel)) => format!(" in {channel}"),
        _ => String::new(),
    };
    let why = a
        .last_error
        .as_deref()
        .filter(|_| a.state != "sent")
        .map(|e| format!(" ({e})"))
        .unwrap_or_default();
    format!(
        "{} v{} ({}): {}{to}{why} at {}",
        a.kind,
        a.version,
        a.step,
        a.state,
        time(a.updated_at_ms)
    )
}

/// `accept by U101 at … on v0: accepted`, `… not yet applied`.
fn click_text(c: &ClickRow) -> String {
    let reason = c
        .reason
        .as_deref()
        .map(|r| format!(" ({r})"))
        .unwrap_or_default();
    let outcome = c.outcome.as_deref().unwrap_or("not yet applied");
    format!(
        "{}{reason} by {} at {} on v{}: {outcome}",
        c.action,
        c.user_id,
        time(c.received_at_ms),
        c.version
    )
}

fn touch(h: &HandoffRow, now_ms: i64) -> String {
    match (h.first_touch_at_ms, h.sla_due_at_ms) {
        (Some(at), _) => {
            let sla = match h.sla_met {
                Some(1) => ", SLA met",
                Some(_) => ", SLA missed",
                None => "",
            };
            let wait = human_ms(at - h.handed_off_at_ms);
            format!("{} ({wait} after handoff{sla})", time(at))
        }
        (None, Some(due)) if due <= now_ms => "none yet (SLA missed: past due)".into(),
        (None, _) => "none yet".into(),
    }
}

fn disposition(h: &HandoffRow) -> String {
    let Some(d) = h.disposition.as_deref() else {
        return "none yet".into();
    };
    let reason = h
        .disposition_reason
        .as_deref()
        .map(|r| format!(" ({r})"))
        .unwrap_or_default();
    let at = h
        .disposition_at_ms
        .map(|t| format!(" at {}", time(t)))
        .unwrap_or_default();
    let amount = h
        .deal_amount
        .map(|a| format!("; deal amount {a:.2}"))
        .unwrap_or_default();
    format!("{d}{reason}{at}{amount}")
}

#[cfg(test)]
#[path = "history_tests.rs"]
mod tests;
