//! Everything that speaks HubSpot's protocol, at both ends of the pipe (HubSpot → intake, and
//! worker → **hubspot client** → HubSpot): request signatures, webhook and journal payloads, and
//! the CRM client (batching, one rate budget per portal, auth, retries) with its metrics. Nothing
//! here decides anything about leads, and nothing here knows the store: the client persists
//! OAuth tokens through the [`client::TokenStore`] trait it is given (docs/architecture.md
//! "Crates").
//!
//! # Layout
//! - [`signature`]: the v1, v2 and v3 request signatures (pure).
//! - [`event`]: a webhook delivery's events; [`journal`]: the Webhooks Journal's entries.
//! - [`client`]: the CRM client, its configuration section (`HubspotConfig`) and its metrics.
//!
//! Items are `pub(crate)` unless the service uses them across the crate edge.

#![warn(unreachable_pub)]

pub mod client;
pub mod event;
pub mod journal;
pub mod signature;
