//! The webhook body parser (crates/handoff-hubspot/src/event.rs) on arbitrary bytes: it answers Ok
//! or a coded error, never panics, and what it accepts is an event the worker can read back from
//! its job payload unchanged.
#![no_main]

use handoff::hubspot::event::{HubspotEvent, MAX_EVENTS_PER_DELIVERY, parse_delivery};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    match parse_delivery(body) {
        Ok(parsed) => {
            assert!(parsed.events.len() + parsed.ignored <= MAX_EVENTS_PER_DELIVERY);
            for event in &parsed.events {
                assert!(event.event_id > 0 && event.portal_id.get() > 0 && event.object_id.get() > 0);
                assert!(event.occurred_at >= 0);
                let _ = (event.dedup_key(), event.object_key());
                // The job payload round trip (intake writes it, the worker reads it).
                let json = serde_json::to_vec(event).expect("an event always serializes");
                let back: HubspotEvent =
                    serde_json::from_slice(&json).expect("a stored event reads back");
                assert_eq!(&back, event);
            }
        }
        Err(err) => {
            assert!(!err.code().is_empty());
            assert!(!err.to_string().is_empty());
        }
    }
});
