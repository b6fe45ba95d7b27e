//! The `handoff` command: parses arguments, loads configuration, installs logging and calls
//! the library. No logic lives here.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use handoff::admin;
use handoff::config::{self, ConfigSources, LoadedConfig};
use handoff::startup::Application;
use handoff::store::Store;
use handoff::store::queue::DeadFilter;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Parser)]
#[command(
    name = "handoff",
    version,
    about = "Predictable lead handoff from marketing to sales for HubSpot"
)]
struct Cli {
    /// Directory of admin config files: every DIR/*.toml is loaded in lexical order over the
    /// built-in defaults. Without it, config/local.toml is loaded if present.
    #[arg(long, global = true, env = "HANDOFF_CONFIG_DIR", value_name = "DIR")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the service: receive HubSpot webhooks on the configured listener, verify and store
    /// every event before answering 2xx. Stops gracefully on SIGTERM or ctrl-c.
    Serve,
    /// Run only the worker and queue maintenance (no HTTP listener), for split deployments.
    /// Stops on SIGTERM or ctrl-c after running jobs drain.
    Work,
    /// Check the configuration and list every problem with its key and file; exits non-zero
    /// when there is any. Reads the same layers as `serve`.
    CheckConfig,
    /// Create or upgrade the store's schema (also done at every `serve` start).
    Migrate,
    /// Show the full decision for one contact, offline: score with every matched rule, tier,
    /// readiness, the routing path (rules tried, candidates excluded and why), owner, SLA due
    /// time and escalation ladder. Uses the configured playbook and roster.
    Explain {
        /// Contact JSON: {"id": "...", "properties": {...}, "company": {...}}.
        #[arg(long, value_name = "FILE.json")]
        contact: PathBuf,
        /// Roster TOML to use instead of the configured [roster].
        #[arg(long, value_name = "FILE")]
        owners: Option<PathBuf>,
        /// Decision time, RFC 3339 (default: now).
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// Print the decision as JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Inspect the job queue.
    Queue {
        #[command(subcommand)]
        command: QueueCommand,
    },
    /// Dead letters: jobs that failed for good (permanent error or attempts used up). They stay
    /// until replayed or purged.
    Dlq {
        #[command(subcommand)]
        command: DlqCommand,
    },
    /// Run a batch of contacts through a candidate playbook and a baseline and print how
    /// outcomes, tiers, teams and owners change, and each lead that moves with why.
    Simulate {
        /// One contact JSON per line.
        #[arg(long, value_name = "FILE.jsonl")]
        contacts: PathBuf,
        /// The candidate playbook: a TOML file with a [playbook] table (or a bare playbook).
        #[arg(long, value_name = "NEW")]
        playbook: PathBuf,
        /// The playbook to compare against (default: the configured one).
        #[arg(long, value_name = "OLD")]
        baseline: Option<PathBuf>,
        /// Decision time, RFC 3339 (default: now).
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// Print the comparison as JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum QueueCommand {
    /// Jobs per lane and status (ready, leased, dead), with the age of the oldest.
    Stats,
    /// Enqueue canary jobs in the `probe` lane to check that workers run jobs end to end; with
    /// --wait, report how many ran and the enqueue→start latency.
    Probe {
        #[arg(long, default_value_t = 10)]
        jobs: u32,
        /// Spread over this many keys (jobs of one key run one at a time, in order).
        #[arg(long, default_value_t = 10)]
        keys: u32,
        /// How long each probe pretends to work.
        #[arg(long, default_value_t = 0)]
        work_ms: u64,
        /// Wait up to this many seconds for the runs.
        #[arg(long)]
        wait: Option<u64>,
    },
}

#[derive(Debug, Subcommand)]
enum DlqCommand {
    /// List dead jobs: id, key, kind, attempts, last error.
    List {
        #[command(flatten)]
        filter: DeadArgs,
        /// At most this many.
        #[arg(long)]
        limit: Option<i64>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one dead job in full: payload, last error and the history of earlier replays.
    Show { id: i64 },
    /// Put dead jobs back to run now with fresh attempts; their history is kept.
    Replay {
        /// One job; or use --all with filters.
        #[arg(conflicts_with = "all")]
        id: Option<i64>,
        /// Every dead job the filters match.
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        filter: DeadArgs,
    },
    /// Delete dead jobs for good.
    Purge {
        /// One job; or use --all with filters.
        #[arg(conflicts_with = "all")]
        id: Option<i64>,
        /// Every dead job the filters match.
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        filter: DeadArgs,
    },
}

#[derive(Debug, clap::Args)]
struct DeadArgs {
    /// Only jobs of this HubSpot portal.
    #[arg(long)]
    portal: Option<i64>,
    /// Only jobs of this kind (e.g. hubspot_event.v1).
    #[arg(long)]
    kind: Option<String>,
    /// Only jobs that died since this: a duration back (7d, 24h, 90m) or an RFC 3339 time.
    #[arg(long)]
    since: Option<String>,
}

impl DeadArgs {
    fn filter(&self, limit: Option<i64>) -> anyhow::Result<DeadFilter> {
        let since_ms = match &self.since {
            Some(text) => Some(admin::parse_since(text, jiff::Timestamp::now())?),
            None => None,
        };
        Ok(DeadFilter {
            portal_id: self.portal,
            kind: self.kind.clone(),
            since_ms,
            limit,
        })
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let sources = ConfigSources {
        dir: cli.config.clone(),
        env: None,
    };
    let loaded = match config::load(&sources) {
        Ok(loaded) => loaded,
        Err(report) => {
            eprint!("{report}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        Command::CheckConfig => {
            println!("configuration OK; layers, lowest first:");
            for layer in &loaded.layers {
                println!("  - {layer}");
            }
            ExitCode::SUCCESS
        }
        Command::Serve => run_async(serve(loaded)),
        Command::Work => run_async(work(loaded)),
        Command::Migrate => run_async(migrate(loaded)),
        Command::Queue { command } => run_async(print(queue(loaded, command))),
        Command::Dlq { command } => run_async(print(dlq(loaded, command))),
        Command::Explain {
            contact,
            owners,
            at,
            json,
        } => report(explain(
            &loaded,
            &contact,
            owners.as_deref(),
            at.as_deref(),
            json,
        )),
        Command::Simulate {
            contacts,
            playbook,
            baseline,
            at,
            json,
        } => report(simulate(
            &loaded,
            &contacts,
            &playbook,
            baseline.as_deref(),
            at.as_deref(),
            json,
        )),
    }
}

async fn print(task: impl Future<Output = anyhow::Result<String>>) -> anyhow::Result<()> {
    println!("{}", task.await?);
    Ok(())
}

async fn open_store(loaded: &LoadedConfig) -> anyhow::Result<Store> {
    let store = Store::connect(&loaded.settings.store).await?;
    store.migrate().await?;
    Ok(store)
}

async fn queue(loaded: LoadedConfig, command: QueueCommand) -> anyhow::Result<String> {
    let store = open_store(&loaded).await?;
    let out = match command {
        QueueCommand::Stats => admin::queue_stats(&store, jiff::Timestamp::now()).await?,
        QueueCommand::Probe {
            jobs,
            keys,
            work_ms,
            wait,
        } => {
            let wait = wait.map(std::time::Duration::from_secs);
            admin::probe(&store, jobs, keys, work_ms, wait).await?
        }
    };
    store.close().await;
    Ok(out)
}

async fn dlq(loaded: LoadedConfig, command: DlqCommand) -> anyhow::Result<String> {
    let store = open_store(&loaded).await?;
    let now = jiff::Timestamp::now();
    let out = match command {
        DlqCommand::List {
            filter,
            limit,
            json,
        } => admin::dead_letters(&store, &filter.filter(limit)?, json).await?,
        DlqCommand::Show { id } => admin::show_dead(&store, id).await?,
        DlqCommand::Replay { id, all, filter } => {
            let selection = admin::DeadSelection {
                id,
                all,
                filter: filter.filter(None)?,
            };
            admin::replay_dead(&store, &selection, now).await?
        }
        DlqCommand::Purge { id, all, filter } => {
            let selection = admin::DeadSelection {
                id,
                all,
                filter: filter.filter(None)?,
            };
            admin::purge_dead(&store, &selection).await?
        }
    };
    store.close().await;
    Ok(out)
}

fn report(result: anyhow::Result<String>) -> ExitCode {
    match result {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn explain(
    loaded: &LoadedConfig,
    contact: &Path,
    owners: Option<&Path>,
    at: Option<&str>,
    json: bool,
) -> anyhow::Result<String> {
    let contact = admin::load_contact(contact)?;
    let roster = match owners {
        Some(path) => std::sync::Arc::new(admin::load_roster(path)?),
        None => loaded.roster.clone(),
    };
    let decision = admin::explain(&contact, &loaded.playbook, &roster, admin::parse_at(at)?);
    Ok(if json {
        serde_json::to_string_pretty(&decision)?
    } else {
        decision.to_string()
    })
}

fn simulate(
    loaded: &LoadedConfig,
    contacts: &Path,
    candidate: &Path,
    baseline: Option<&Path>,
    at: Option<&str>,
    json: bool,
) -> anyhow::Result<String> {
    let contacts = admin::load_contacts_jsonl(contacts)?;
    let candidate = admin::load_playbook(candidate)?;
    let baseline = match baseline {
        Some(path) => std::sync::Arc::new(admin::load_playbook(path)?),
        None => loaded.playbook.clone(),
    };
    let sim = admin::compare(
        &contacts,
        &loaded.roster,
        &baseline,
        &candidate,
        admin::parse_at(at)?,
    );
    Ok(if json {
        serde_json::to_string_pretty(&sim)?
    } else {
        sim.to_string()
    })
}

fn run_async(task: impl Future<Output = anyhow::Result<()>>) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(task) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(loaded: LoadedConfig) -> anyhow::Result<()> {
    handoff::telemetry::init(&loaded.settings.log);
    let listen = loaded.settings.server.listen;
    let layers = loaded.layers.join(", ");
    let app = Application::build(loaded).await?;
    let listener = tokio::net::TcpListener::bind(listen).await?;
    tracing::info!(listen = %listener.local_addr()?, layers, "handoff serving");
    let shutdown = CancellationToken::new();
    tokio::spawn(wait_for_signal(shutdown.clone()));
    app.serve(listener, shutdown).await?;
    tracing::info!("handoff stopped");
    Ok(())
}

async fn work(loaded: LoadedConfig) -> anyhow::Result<()> {
    handoff::telemetry::init(&loaded.settings.log);
    let app = Application::build(loaded).await?;
    let shutdown = CancellationToken::new();
    tokio::spawn(wait_for_signal(shutdown.clone()));
    app.work(shutdown).await;
    tracing::info!("handoff worker stopped");
    Ok(())
}

async fn migrate(loaded: LoadedConfig) -> anyhow::Result<()> {
    let store = Store::connect(&loaded.settings.store).await?;
    store.migrate().await?;
    store.close().await;
    println!("migrations applied");
    Ok(())
}

/// Cancels `token` on SIGTERM or ctrl-c.
async fn wait_for_signal(token: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutdown signal received");
    token.cancel();
}
