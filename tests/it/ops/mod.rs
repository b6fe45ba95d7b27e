//! What an operator runs and reads: the binary and its CLI, the admin API and commands,
//! configuration, secrets, the demo, deploy files, the docs and doctor.

mod admin_api;
mod admin_commands;
mod anywhere;
mod binary;
mod config_loading;
mod config_precision;
mod config_secrets;
mod config_slack;
mod crate_edges;
mod demo_cli;
mod demo_secrets;
mod deploy_files;
mod doc_citations;
mod doctor;
mod health_and_metrics;
mod lead_story;
mod operations_doc;
mod queue_cli;
