//! Integration tests through real HTTP: one binary, a `spawn_app()` harness on port 0 with its
//! own temporary database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod engines;
mod helpers;
mod scrape;

mod admin_api;
mod admin_commands;
mod binary;
mod config_loading;
mod deploy_files;
mod health_and_metrics;
mod hubspot_client;
mod hubspot_in_serve;
mod hubspot_metrics;
mod intake_on_postgres;
mod journal_backfill;
mod operations_doc;
mod pipeline_crash;
mod pipeline_e2e;
mod pipeline_faults;
mod pipeline_world;
mod queue_cli;
mod queue_contract;
mod queue_model;
mod rejections;
mod replicas;
mod report;
mod report_cli;
mod sandbox;
mod sqlite_to_postgres;
mod store_failure;
mod token_persistence;
mod unassigned_leads;
mod webhook_intake;
mod worker;
