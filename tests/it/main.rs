//! Integration tests through real HTTP: one binary, a `spawn_app()` harness on port 0 with its
//! own temporary database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod engines;
mod helpers;
mod scrape;

mod admin_api;
mod admin_commands;
mod anywhere;
mod auth_hold;
mod availability_e2e;
mod binary;
mod config_loading;
mod config_precision;
mod config_secrets;
mod crate_edges;
mod demo_cli;
mod demo_secrets;
mod deploy_files;
mod doc_citations;
mod doctor;
mod health_and_metrics;
mod hostile_smoke;
mod hubspot_client;
mod hubspot_in_serve;
mod hubspot_metrics;
mod intake_on_postgres;
mod journal_backfill;
mod lead_ledger;
mod lead_story;
mod operations_doc;
mod pipeline_companies;
mod pipeline_crash;
mod pipeline_e2e;
mod pipeline_faults;
mod pipeline_leads;
mod pipeline_refusals;
mod pipeline_world;
mod queue_cli;
mod queue_contract;
mod queue_model;
mod queue_views;
mod rejections;
mod replicas;
mod report;
mod report_cli;
mod roster_email;
mod sandbox;
mod send_webhook;
mod sequence_e2e;
mod sequence_ledger;
mod sqlite_to_postgres;
mod store_failure;
mod token_persistence;
mod unassigned_leads;
mod webhook_intake;
mod worker;
