//! The HubSpot CRM client against a fake HubSpot (wiremock): batching, rate budget, retries,
//! auth and secrets.

mod auth;
mod batch;
mod bodies;
mod budget_burst;
mod leads;
mod owners;
mod rate_limits;
mod retries;
mod search;
mod secrets;
