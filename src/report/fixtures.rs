//! Hand-built ledger rows for the report's unit tests.

use crate::store::ledger::{KpiHandoff, ReadyLead};

pub const HOUR: i64 = 3_600_000;
pub const T0: i64 = 1_764_000_000_000;
pub const NOW: i64 = T0 + 100 * HOUR;

/// An open, untouched handoff at `T0` with a one-hour SLA; tests change what they need.
pub fn handoff(contact_id: i64) -> KpiHandoff {
    KpiHandoff {
        portal_id: handoff_ids::PortalId::new(62515).unwrap(),
        contact_id: handoff_ids::ContactId::try_from(contact_id).unwrap(),
        status: "open".into(),
        owner_id: "101".parse().unwrap(),
        team: Some("dach".into()),
        tier: Some("A".into()),
        source: Some("webinar".into()),
        handed_off_at_ms: T0,
        sla_due_at_ms: Some(T0 + HOUR),
        first_touch_at_ms: None,
        sla_met: None,
        escalations: 0,
        reassignments: 0,
        disposition: None,
        disposition_reason: None,
        disposition_at_ms: None,
        disposition_via: None,
        deal_amount: None,
    }
}

pub fn ready(contact_id: i64, owner: Option<&str>) -> ReadyLead {
    ReadyLead {
        portal_id: handoff_ids::PortalId::new(62515).unwrap(),
        contact_id: handoff_ids::ContactId::try_from(contact_id).unwrap(),
        decided_owner: Some("101".parse().unwrap()),
        owner_id: owner.map(|o| o.parse().unwrap()),
        team: owner.map(|_| "dach".into()),
        tier: owner.map(|_| "A".into()),
        source: owner.map(|_| "webinar".into()),
    }
}
