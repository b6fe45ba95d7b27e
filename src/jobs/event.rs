//! The job of one webhook event: what the receiver and the journal backfill write and the
//! events lane reads. One type for both sides, so the wire format cannot drift.

use serde::{Deserialize, Serialize};

use super::{KIND_HUBSPOT_EVENT, LANE_EVENTS};
use crate::hubspot::event::HubspotEvent;
use crate::store::{InboxEntry, NewJob};

/// A webhook event as enqueued, with the request that brought it (`journal` for the
/// backfill). The reader holds it owned (the defaults); a writer serializes borrowed parts
/// (`EventJob<&HubspotEvent, &str>`) without copying the event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventJob<E = HubspotEvent, S = String> {
    pub request_id: S,
    pub event: E,
}

/// The inbox row and job of one event, as every path that brings events builds it (push, the
/// journal backfill in `worker::journal`): same dedup key, same job.
pub(crate) fn event_entry(
    event: &HubspotEvent,
    request_id: &str,
) -> Result<InboxEntry, serde_json::Error> {
    let payload = serde_json::value::to_raw_value(&EventJob { request_id, event })?;
    Ok(InboxEntry {
        dedup_key: event.dedup_key(),
        portal_id: event.portal_id,
        job: NewJob {
            lane: LANE_EVENTS,
            key: event.object_key(),
            kind: KIND_HUBSPOT_EVENT,
            payload,
            occurred_at_ms: event.occurred_at,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::super::Job;
    use super::*;

    #[test]
    fn an_enqueued_event_parses_back_into_the_event_with_its_request() {
        let path = format!(
            "{}/fixtures/hubspot/webhooks/contact_property_change.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let bytes = std::fs::read(path).unwrap();
        let events = crate::hubspot::event::parse_delivery(&bytes)
            .unwrap()
            .events;
        let entry = event_entry(&events[0], "req-1").unwrap();
        assert_eq!(entry.job.lane, LANE_EVENTS);
        assert_eq!(entry.dedup_key, events[0].dedup_key());
        let parsed = Job::parse_parts(entry.job.kind, entry.job.payload.get()).unwrap();
        let Job::Event(job) = parsed else {
            panic!("not an event job: {parsed:?}");
        };
        assert_eq!(job.request_id, "req-1");
        assert_eq!(job.event, events[0]);
    }

    #[test]
    fn a_stored_event_whose_record_id_is_out_of_range_is_dead_not_record_0() {
        let payload = |object: &str, merged: &str| {
            format!(
                r#"{{"requestId":"r","event":{{"eventId":1,"subscriptionId":1,"portalId":7,
                "occurredAt":1,"subscriptionType":"contact.merge","action":"merge",
                "objectTypeId":"0-1","objectId":{object},"mergedObjectIds":[{merged}]}}}}"#
            )
        };
        assert!(Job::parse_parts(KIND_HUBSPOT_EVENT, &payload("5", "9")).is_ok());
        for (object, merged) in [("0", "9"), ("-5", "9"), ("5", "9, 0")] {
            let err = Job::parse_parts(KIND_HUBSPOT_EVENT, &payload(object, merged)).unwrap_err();
            assert!(err.contains("record id"), "{object} {merged}: {err}");
        }
    }
}
