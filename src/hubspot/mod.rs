//! Everything that speaks HubSpot's protocol: request signatures, webhook payloads and the CRM
//! client (batching, one rate budget per portal, auth). Nothing here decides anything about leads.

pub mod client;
pub mod event;
pub mod journal;
pub mod signature;
