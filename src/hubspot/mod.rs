//! Everything that speaks HubSpot's protocol: request signatures and webhook payloads (and,
//! later, the CRM client). Nothing here decides anything about leads.

pub mod event;
pub mod signature;
