//! What follows a handoff in HubSpot besides the owner: the follow-up task a rep reads, the Lead
//! record, the sequence the lead is enrolled in, the extra record properties these carry, and
//! the disposition sales records afterwards (what closes the loop).

pub mod disposition;
pub mod leads;
pub mod sequences;
pub mod tasks;
pub mod template_properties;
