//! The rules the pipeline decides with (playbook + roster), swappable at run time: a reload
//! (SIGHUP or the admin endpoint) loads and checks the configuration exactly as
//! `check-config` does, and only a clean result replaces the rules; jobs already running keep
//! the rules they started with. Every reload is counted (`handoff_pipeline_rules_reloads_total`)
//! and a refused one is logged, whoever asked for it.

use std::sync::{Arc, RwLock};

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

use crate::config::{ConfigSources, Report};
use crate::engine::{Playbook, Roster};
use crate::metrics::pipeline::OutcomeLabel;

/// One consistent set of rules.
#[derive(Debug)]
pub struct Rules {
    pub playbook: Arc<Playbook>,
    pub roster: Arc<Roster>,
}

/// Shared, replaceable rules.
#[derive(Debug, Clone)]
pub struct RulesHandle {
    current: Arc<RwLock<Arc<Rules>>>,
    sources: Arc<ConfigSources>,
    /// Reloads by outcome (`ok`, `rejected`).
    reloads: Family<OutcomeLabel, Counter>,
}

impl RulesHandle {
    pub fn new(
        rules: Rules,
        sources: ConfigSources,
        reloads: Family<OutcomeLabel, Counter>,
    ) -> Self {
        Self {
            current: Arc::new(RwLock::new(Arc::new(rules))),
            sources: Arc::new(sources),
            reloads,
        }
    }

    /// The rules now in force.
    pub fn current(&self) -> Arc<Rules> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Loads the configuration again; on success the new playbook and roster replace the old
    /// ones and their playbook hash is returned. On failure nothing changes and the report
    /// (the same as `check-config`'s) says why; it is logged here.
    pub fn reload(&self) -> Result<String, Report> {
        let count = |outcome: &str| {
            let label = OutcomeLabel {
                outcome: outcome.into(),
            };
            self.reloads.get_or_create(&label).inc();
        };
        match self.swap() {
            Ok(hash) => {
                count("ok");
                Ok(hash)
            }
            Err(report) => {
                count("rejected");
                tracing::error!(problems = %report, "rules reload refused; the previous rules stay");
                Err(report)
            }
        }
    }

    fn swap(&self) -> Result<String, Report> {
        let loaded = crate::config::load(&self.sources)?;
        let hash = loaded.playbook.hash().to_string();
        let rules = Arc::new(Rules {
            playbook: loaded.playbook,
            roster: loaded.roster,
        });
        match self.current.write() {
            Ok(mut guard) => *guard = rules,
            Err(poisoned) => *poisoned.into_inner() = rules,
        }
        tracing::info!(playbook_hash = %hash, "rules reloaded");
        Ok(hash)
    }
}
