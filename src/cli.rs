//! The command line: every subcommand and flag, with the help text users see.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use handoff::admin;
use handoff::report::{Format, GroupBy};
use handoff::store::queue::DeadFilter;

#[derive(Debug, Parser)]
#[command(
    name = "handoff",
    version,
    about = "Predictable lead handoff from marketing to sales for HubSpot"
)]
pub struct Cli {
    /// Directory of admin config files: every DIR/*.toml is loaded in lexical order over the
    /// built-in defaults. Without it, config/local.toml is loaded if present.
    #[arg(long, global = true, env = "HANDOFF_CONFIG_DIR", value_name = "DIR")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum JournalCommand {
    /// Create the portal's journal subscription (contacts: create, update of the configured
    /// properties, delete, merge, restore) unless it exists. Events are journaled only from
    /// then on, so subscribe before you need a backfill.
    Subscribe {
        /// Only this portal (default: every portal with the journal enabled).
        #[arg(long, value_name = "P")]
        portal: Option<i64>,
    },
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service: receive HubSpot webhooks on the configured listener, verify and store
    /// every event before answering 2xx. Stops gracefully on SIGTERM or ctrl-c.
    Serve,
    /// Run only the worker and queue maintenance, for split deployments: no webhook route;
    /// /healthz, /readyz and /metrics on the configured listener, the admin routes on theirs.
    /// Stops on SIGTERM or ctrl-c after running jobs drain.
    Work,
    /// Check the configuration and list every problem with its key and file; exits non-zero
    /// when there is any. Reads the same layers as `serve`.
    CheckConfig,
    /// Create or upgrade the store's schema (also done at every `serve` start).
    Migrate,
    /// Explain one lead: the engine's decision for a contact file (--contact), or the stored
    /// history of a lead (--contact-id with --portal); the two modes exclude each other.
    ///
    /// With --contact FILE: the full decision for that contact, offline — score
    /// with every matched rule, tier, readiness, the routing path (rules tried, candidates
    /// excluded and why), owner, SLA due time and escalation ladder, using the configured
    /// playbook and roster. With --contact-id ID --portal P: what the store recorded about that
    /// lead — every decision (time, trigger, outcome, owner, explanation) and its handoff
    /// (owner, step, task, SLA due, first touch, escalations, disposition).
    #[command(group(clap::ArgGroup::new("lead").required(true).args(["contact", "contact_id"])))]
    Explain {
        /// Contact JSON: {"id": "...", "properties": {...}, "company": {...}}.
        #[arg(long, value_name = "FILE.json")]
        contact: Option<PathBuf>,
        /// HubSpot contact id whose stored history to show (needs --portal).
        #[arg(long, value_name = "ID", requires = "portal")]
        contact_id: Option<i64>,
        /// HubSpot portal (hub) id of --contact-id.
        #[arg(long, value_name = "P", requires = "contact_id")]
        portal: Option<i64>,
        /// Roster TOML to use instead of the configured [roster] (with --contact).
        #[arg(long, value_name = "FILE", conflicts_with = "contact_id")]
        owners: Option<PathBuf>,
        /// Decision time, RFC 3339 (default: now; with --contact).
        #[arg(long, value_name = "TIME", conflicts_with = "contact_id")]
        at: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The lead handoff scoreboard from the ledger: KPIs over handoffs made in the period,
    /// optionally per source, tier, team or owner.
    ///
    /// KPIs (merged handoffs are counted apart and left out of every KPI):
    ///   lead acceptance      accepted ÷ handoffs with a disposition
    ///   assignment coverage  ready leads (contacts with a handed_off decision in the period,
    ///                        once each) that have an owner in the ledger ÷ ready leads
    ///   time to first touch  p50 / p90 of first touch − handoff, touched handoffs only
    ///   SLA compliance       touched before due ÷ handoffs with an SLA that were touched or
    ///                        are past due (untouched past due = missed; not yet due = pending)
    ///   escalations, reassignments, disposition mix (by outcome and reason), pipeline per
    ///   accepted lead by source (deal amounts of accepted handoffs, where there are any),
    ///   decisions by outcome, handoffs open and closed.
    /// A KPI with nothing to divide by shows n/a (an empty CSV cell, null in JSON).
    #[command(verbatim_doc_comment)]
    Report {
        /// How far back: a number and a unit — 30m, 24h, 7d, 2w.
        #[arg(long, default_value = "7d", value_name = "AGE", value_parser = handoff::report::Window::parse)]
        since: handoff::report::Window,
        /// Also show the KPIs per group.
        #[arg(long, value_enum, value_name = "GROUP")]
        by: Option<ByArg>,
        /// table: aligned text; json: everything, machine-readable; csv: one row per group.
        #[arg(long, value_enum, default_value_t = FormatArg::Table)]
        format: FormatArg,
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
    /// Pause or resume a HubSpot portal, straight on the store (works while the service is
    /// down; a running service sees the change at its next batch). A paused portal's webhooks
    /// are still accepted and queued; its jobs wait without HubSpot calls and without spending
    /// attempts. The same as the admin endpoints /admin/portals/... .
    Portal {
        #[command(subcommand)]
        command: PortalCommand,
    },
    /// Recover events HubSpot could not push (an outage longer than its 24 h retry window)
    /// from the Webhooks Journal: read each portal's journal from its stored offset (or from
    /// --since), queue every event the inbox does not already have (the same deduplication as
    /// webhooks: nothing is handled twice), store the new offset, and print what was read,
    /// recovered and already received. An offset older than the journal's 3-day retention is
    /// printed as a GAP with its time range (see docs/operations.md, "Journal gap"). Needs
    /// journal = { enabled = true } on the portal; creates its subscription if missing.
    Backfill {
        /// Only this portal (default: every portal with the journal enabled).
        #[arg(long, value_name = "P")]
        portal: Option<i64>,
        /// Read from the journal's earliest entry and keep events from this time on, whatever
        /// the stored offset: an RFC 3339 time or an age (30m, 24h, 3d).
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
        /// Print the reports as JSON.
        #[arg(long)]
        json: bool,
    },
    #[command(
        about = "Check each portal against live HubSpot before going live (read-only)",
        long_about = "Check each configured portal (or --portal) against live HubSpot, read-only, and \
print a checklist grouped like `brew doctor`: every item passes, warns or fails, with the reason \
and the fix. Groups: Token & scopes (the token works; its scopes cover what the configuration \
turns on), Owners (every roster owner exists, is active and has its email; owners given by email \
alone resolve), Properties (every property the playbook and pipeline read exists with a \
compatible type), Write-back (the [pipeline.write_back] properties exist: else run `handoff \
portal setup`), Leads & sequences (when turned on: the stages and sequences named exist), Webhook \
URL (webhook.public_url is HTTPS and is the served route), Refused writes (writes HubSpot refused \
in the last 24 h for rules no API can read). Exits 1 when any item fails, 0 otherwise (warnings \
allowed)."
    )]
    Doctor {
        /// Only this portal (default: every configured portal).
        #[arg(long, value_name = "P")]
        portal: Option<i64>,
        /// Print the checklist as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The Webhooks Journal's subscriptions.
    Journal {
        #[command(subcommand)]
        command: JournalCommand,
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
    /// Run a local HubSpot-compatible server for development, tests, benchmarks and the demo:
    /// the CRM endpoints handoff calls, POST /oauth/v3/token, bearer auth, HubSpot's rate limits
    /// with their headers and 429 bodies, and fault injection. Point `hubspot.base_url` at it.
    /// Also the Webhooks Journal (subscriptions, journal reads), fed from contact changes.
    /// Control API (JSON, no auth) under /_sandbox/: stats, contacts, tasks, faults,
    /// rate-limit, journal, reset. Needs no handoff configuration; logs JSON lines (RUST_LOG filters).
    /// Stops on SIGTERM or ctrl-c.
    Sandbox(SandboxArgs),
    /// The whole product on this machine in about a minute: starts the HubSpot sandbox and
    /// `serve` on a temporary SQLite store, creates the example leads of fixtures/contacts and
    /// sends the signed webhooks HubSpot would send. The logs show decisions, owners, tasks
    /// and, on an accelerated clock (SLAs of seconds), reminders, escalations and
    /// reassignments; it ends with the scoreboard. Needs no configuration or network.
    Demo {
        /// Seconds the accelerated clock runs before the scoreboard.
        #[arg(long, default_value_t = 60)]
        run_s: u64,
    },
}

/// `handoff sandbox` flags.
#[derive(Debug, clap::Args)]
pub struct SandboxArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090", value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
    /// Seed from DIR/owners.json, companies.json and contacts.json (e.g. fixtures/sandbox);
    /// without it the CRM starts empty.
    #[arg(long, value_name = "DIR")]
    pub seed: Option<PathBuf>,
    /// Burst limit per private-app token (per account for OAuth tokens) over a rolling
    /// window; append ",daily=N" or ",search=N/WINDOW" to change those limits.
    #[arg(long, default_value = "110/10s", value_name = "N/WINDOW")]
    pub rate: handoff::sandbox::RateLimit,
    /// Faults from the start, comma-separated: error_rate=0.1, statuses=500|503, fail_next=3,
    /// status=503, path=/crm/v3/objects/tasks, latency_ms=200, latency_rate=0.05 (spikes),
    /// response_delay_ms=3000 (answer held back after the effect), storm_ms=5000,
    /// daily_exhausted, seed=42. Change them at run time with PUT /_sandbox/faults.
    #[arg(long, value_name = "SPEC")]
    pub faults: Option<handoff::sandbox::FaultConfig>,
    /// Accept only this bearer token (repeatable); default: any non-empty token.
    #[arg(long = "token", value_name = "TOKEN")]
    pub tokens: Vec<String>,
}

impl SandboxArgs {
    pub fn config(&self) -> handoff::sandbox::SandboxConfig {
        handoff::sandbox::SandboxConfig {
            listen: self.listen,
            seed_dir: self.seed.clone(),
            rate_limit: self.rate.clone(),
            faults: self.faults.clone().unwrap_or_default(),
            tokens: self.tokens.clone(),
            ..handoff::sandbox::SandboxConfig::default()
        }
    }
}

/// `handoff report --by`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ByArg {
    Source,
    Tier,
    Team,
    Owner,
}

impl From<ByArg> for GroupBy {
    fn from(by: ByArg) -> Self {
        match by {
            ByArg::Source => GroupBy::Source,
            ByArg::Tier => GroupBy::Tier,
            ByArg::Team => GroupBy::Team,
            ByArg::Owner => GroupBy::Owner,
        }
    }
}

/// `handoff report --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    Table,
    Json,
    Csv,
}

impl From<FormatArg> for Format {
    fn from(format: FormatArg) -> Self {
        match format {
            FormatArg::Table => Format::Table,
            FormatArg::Json => Format::Json,
            FormatArg::Csv => Format::Csv,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum QueueCommand {
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
pub enum DlqCommand {
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

#[derive(Debug, Subcommand)]
pub enum PortalCommand {
    /// Stop running a portal's jobs until it is resumed (survives restarts, holds on every
    /// replica).
    Pause {
        /// HubSpot portal (hub) id, one of [[hubspot.portals]].
        #[arg(long, value_name = "P")]
        portal: i64,
        /// Why, for whoever looks next (shown by `portal list` and GET /admin/portals).
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// Run a portal's jobs again: the ones that waited for the pause (or for an auth failure)
    /// become due now.
    Resume {
        #[arg(long, value_name = "P")]
        portal: i64,
    },
    #[command(
        about = "Create the handoff property group and write-back properties in a portal",
        long_about = "Create what handoff writes into a portal that is not there yet: the `handoff` \
contact property group and the contact properties of [pipeline.write_back] (score: number, tier: \
a select of the playbook's tiers, handed_off_at and sla_due_at: datetime; the owner is HubSpot's \
own hubspot_owner_id, checked, never created). Idempotent: everything is read first and a \
property that already exists is left alone; one that exists with a type handoff cannot write is \
reported as a conflict, never changed. Prints created / present / conflict per item; exits \
non-zero on a conflict or failure. Needs the scope crm.schemas.contacts.write."
    )]
    Setup {
        /// HubSpot portal (hub) id, one of [[hubspot.portals]].
        #[arg(long, value_name = "P")]
        portal: i64,
        /// Print the plan and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Each configured portal: running or paused, since when, why.
    List {
        /// Only this portal.
        #[arg(long, value_name = "P")]
        portal: Option<i64>,
        /// Print JSON (as GET /admin/portals, without the auth state only the service knows).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, clap::Args)]
pub struct DeadArgs {
    /// Only jobs of this HubSpot portal.
    #[arg(long)]
    pub portal: Option<i64>,
    /// Only jobs of this kind (e.g. hubspot_event.v1).
    #[arg(long)]
    pub kind: Option<String>,
    /// Only jobs that died since this: a duration back (7d, 24h, 90m) or an RFC 3339 time.
    #[arg(long)]
    pub since: Option<String>,
}

impl DeadArgs {
    pub fn filter(&self, limit: Option<i64>) -> anyhow::Result<DeadFilter> {
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
