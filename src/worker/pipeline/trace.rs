//! The ids on every log line about a lead. Each contact's run in a batch goes in a span that
//! carries `portal_id`, `contact_id` (always a number), the `job_id` of its head job and the
//! `request_id` and `event_id` of the webhook that brought that job; an SLA check runs in a span
//! with its `job_id`, `handoff_id` and `trace_id` (the assignment). The JSON log (`telemetry`)
//! writes a span's fields on every line logged inside it, so one `jq` filter on `contact_id`
//! tells a lead's story (docs/operations.md, "Follow one lead").
//!
//! Spans are created at `error` level so that they are on whatever `log.filter` says: a
//! `warn`-only filter still gets the ids on its warnings.

use crate::hubspot::client::{ContactId, PortalId};
use handoff_ids::RecordId;
use std::collections::HashMap;

use tracing::Span;

use crate::engine::routing::Via;
use crate::engine::{Decision, Outcome as Decided};
use crate::jobs::SlaCheck;

/// The span of one contact's (or, for `object.*` Lead events, one lead's) events job.
pub(crate) fn event_job(
    portal_id: PortalId,
    object_id: RecordId,
    lead: bool,
    job_id: i64,
    request_id: &str,
    event_id: i64,
) -> Span {
    if lead {
        // The lead's contact is known once its handoff is found (`lead_stages.rs`).
        tracing::error_span!(
            "lead_event",
            portal_id = portal_id.get(),
            lead_id = object_id.get(),
            contact_id = tracing::field::Empty,
            job_id,
            request_id,
            event_id
        )
    } else {
        tracing::error_span!(
            "contact_event",
            portal_id = portal_id.get(),
            contact_id = object_id.get(),
            job_id,
            request_id,
            event_id
        )
    }
}

/// The span of one SLA check job. A check has no webhook: `handoff_id` and `trace_id` join it
/// to the decision line, which carries both.
pub(crate) fn sla_check(check: &SlaCheck, job_id: i64) -> Span {
    tracing::error_span!(
        "sla_check",
        portal_id = check.portal_id.get(),
        contact_id = check.contact_id.get(),
        job_id,
        handoff_id = check.handoff_id,
        trace_id = %check.trace_id,
        action = check.action.as_str(),
        step = check.step
    )
}

/// Each contact of a batch: its head job's attempts (for backoff) and its span. Outside a
/// batch (an SLA check's single contact) it is empty: lines go in the job's own span.
#[derive(Debug, Default)]
pub(crate) struct Contacts(HashMap<ContactId, (i64, Span)>);

impl Contacts {
    pub(crate) fn insert(&mut self, contact_id: ContactId, attempts: i64, span: Span) {
        self.0.insert(contact_id, (attempts, span));
    }

    /// Runs of the contact's job so far (1 when unknown).
    pub(crate) fn attempts(&self, contact_id: ContactId) -> i64 {
        self.0.get(&contact_id).map_or(1, |(n, _)| *n)
    }

    /// The contact's span; none (the current span stays) when it has none here.
    pub(crate) fn span(&self, contact_id: ContactId) -> Span {
        self.0
            .get(&contact_id)
            .map_or_else(Span::none, |(_, s)| s.clone())
    }
}

/// What the decision line says: outcome, owner, score, tier, the route and rule that routed
/// the lead, or why it was not handed off.
#[derive(Debug, Clone)]
pub(crate) struct DecisionLine {
    pub(crate) outcome: &'static str,
    owner_id: Option<String>,
    owner_name: Option<String>,
    team: Option<String>,
    score: i64,
    tier: Option<String>,
    route: Option<&'static str>,
    rule: Option<String>,
    pool: Option<String>,
    reason: Option<String>,
}

impl DecisionLine {
    pub(crate) fn of(d: &Decision) -> Self {
        let a = d.routing.as_ref().and_then(|r| r.assignment.as_ref());
        let (route, rule, pool) = match a.map(|a| &a.via) {
            None => (None, None, None),
            Some(Via::Sticky) => (Some("sticky"), None, None),
            Some(Via::AccountMatch) => (Some("account_match"), None, None),
            Some(Via::RuleOwner { rule }) => (Some("rule_owner"), Some(rule.clone()), None),
            Some(Via::Pool { pool, rule }) => (Some("pool"), rule.clone(), Some(pool.clone())),
            Some(Via::TeamFallback { .. }) => (Some("team_fallback"), None, None),
            Some(Via::GlobalFallback) => (Some("global_fallback"), None, None),
        };
        Self {
            outcome: super::decision::outcome_name(d.outcome),
            owner_id: a.map(|a| a.owner_id.to_string()),
            owner_name: a.and_then(|a| a.owner_name.clone()),
            team: a.and_then(|a| a.team.clone()),
            score: d.score.total,
            tier: d.score.tier.clone(),
            route,
            rule,
            pool,
            reason: reason(d),
        }
    }

    /// Logs `lead decided` (in the contact's span); `handoff_id` when it was handed off.
    pub(crate) fn log(&self, handoff_id: Option<i64>) {
        tracing::info!(
            outcome = self.outcome,
            owner_id = self.owner_id.as_deref(),
            owner_name = self.owner_name.as_deref(),
            team = self.team.as_deref(),
            score = self.score,
            tier = self.tier.as_deref(),
            route = self.route,
            rule = self.rule.as_deref(),
            pool = self.pool.as_deref(),
            reason = self.reason.as_deref(),
            handoff_id,
            "lead decided"
        );
    }
}

/// Why a lead was not handed off, in a few words (the ledger has the full explanation).
fn reason(d: &Decision) -> Option<String> {
    match d.outcome {
        Decided::HandOff if d.routing.as_ref().is_some_and(|r| r.assignment.is_none()) => {
            Some("no owner id to assign (the explanation's last routing step says why)".into())
        }
        Decided::HandOff => None,
        Decided::Disqualified => Some(format!(
            "disqualified by {}",
            d.disqualified_by
                .iter()
                .map(|q| q.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Decided::NotReady if !d.readiness.meets_threshold => Some(format!(
            "score {} below threshold {}",
            d.score.total, d.score.threshold
        )),
        Decided::NotReady if d.readiness.missing_fields.is_empty() => Some("not ready".into()),
        Decided::NotReady => Some(format!("missing {}", d.readiness.missing_fields.join(", "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Contact, DecideInput, Playbook, RoutingState, decide};

    fn section(name: &str) -> String {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config/default.toml");
        let table: toml::Table = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        toml::to_string(&table[name]).unwrap()
    }

    /// The line for a fixture contact under the shipped playbook, Tuesday 10:00 in Berlin.
    fn line(fixture: &str) -> DecisionLine {
        let pb = Playbook::from_toml_str(&section("playbook")).unwrap();
        let roster = crate::engine::Roster::from_toml_str(&section("roster")).unwrap();
        let path = format!("{}/fixtures/contacts/{fixture}", env!("CARGO_MANIFEST_DIR"));
        let contact = Contact::from_json(&std::fs::read_to_string(path).unwrap()).unwrap();
        let input = DecideInput {
            contact: &contact,
            roster: &roster,
            missed_sla_by: &[],
        };
        let now = "2026-11-24T09:00:00Z".parse().unwrap();
        let (d, _) = decide(&input, &pb, now, &RoutingState::default());
        DecisionLine::of(&d)
    }

    #[test]
    fn the_decision_line_names_the_rule_and_pool_that_routed_a_handed_off_lead() {
        let l = line("dach-enterprise-demo.json");
        assert_eq!(l.outcome, "handed_off");
        assert_eq!(l.owner_id.as_deref(), Some("101"));
        assert_eq!(l.owner_name.as_deref(), Some("Jonas Becker"));
        assert_eq!((l.score, l.tier.as_deref()), (110, Some("A")));
        assert_eq!(l.route, Some("pool"));
        assert_eq!(l.rule.as_deref(), Some("dach-enterprise"));
        assert_eq!(l.pool.as_deref(), Some("dach-ae"));
        assert_eq!(l.reason, None);
        // US reps are asleep: the `us` rule's pool falls back to the inbound pool.
        let l = line("us-west-director.json");
        assert_eq!(
            (l.rule.as_deref(), l.pool.as_deref()),
            (Some("us"), Some("inbound-sdr"))
        );
        let l = line("sticky-owner-connected.json");
        assert_eq!((l.route, l.rule), (Some("sticky"), None));
    }

    #[test]
    fn the_decision_line_says_why_a_lead_was_not_handed_off() {
        let l = line("competitor.json");
        assert_eq!(l.outcome, "disqualified");
        assert_eq!(l.reason.as_deref(), Some("disqualified by competitor"));
        assert_eq!((l.owner_id, l.route), (None, None));
        let l = line("tier-a-missing-phone.json");
        assert_eq!(l.outcome, "not_ready");
        assert_eq!(l.reason.as_deref(), Some("missing phone"));
        let l = line("nurture-unqualified.json");
        assert_eq!(l.reason.as_deref(), Some("score 10 below threshold 50"));
    }
}
