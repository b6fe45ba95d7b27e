//! The command line: every subcommand and flag, with the help text users see.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use handoff::admin;
use handoff::config::Purpose;
use handoff::report::{Format, GroupBy};
use handoff::store::queue::DeadFilter;
use handoff_ids::{ContactId, PortalId};

#[derive(Debug, Parser)]
#[command(
    name = "handoff",
    version,
    about = "Predictable lead handoff from marketing to sales for HubSpot"
)]
#[cfg_attr(
    not(feature = "demo"),
    command(
        after_help = "This build has no `demo` or `sandbox` command: they come with the `demo` feature (on by default; release images are built with --no-default-features)."
    )
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
    /// Create each portal's Webhooks Journal subscription unless it exists
    ///
    /// The subscription covers contacts: create, update of the configured properties, delete,
    /// merge, restore. Events are journaled only from then on, so subscribe before you need a
    /// backfill.
    Subscribe {
        /// Only this portal (default: every portal with the journal enabled).
        #[arg(long, value_name = "P")]
        portal: Option<PortalId>,
    },
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service: receive and store webhooks, hand leads off
    ///
    /// Receives HubSpot webhooks on server.listen, verifies and stores every event before
    /// answering 2xx, and runs the worker on the stored jobs (decide, write back, task, SLA
    /// ladder). Migrates the store at start. Stops gracefully on SIGTERM or ctrl-c.
    Serve,
    /// Run only the worker and queue maintenance, for split deployments
    ///
    /// No webhook route: /healthz, /readyz and /metrics on server.listen, the admin routes on
    /// server.admin_bind. Stops on SIGTERM or ctrl-c after running jobs drain.
    Work,
    /// Check the configuration and list every problem at once
    ///
    /// Reads the same layers as `serve`, prints each problem with its file (or environment
    /// variable) and key path, and exits non-zero when there is any.
    CheckConfig,
    /// Create or upgrade the store's schema (also done at every `serve` start)
    Migrate,
    /// Explain one lead: a contact file's decision, or a stored lead's history
    ///
    /// The two modes exclude each other. With --contact FILE: the full decision for that
    /// contact, offline — score with every matched rule, tier, readiness, the routing path
    /// (rules tried, candidates excluded and why), owner, SLA due time and escalation ladder,
    /// using the configured playbook and roster. With --contact-id ID --portal P: what the
    /// store recorded about that lead — every decision (time, trigger, outcome, owner,
    /// explanation) and its handoff (owner, step, task, SLA due, first touch, escalations,
    /// disposition), owners with their roster names.
    #[command(group(clap::ArgGroup::new("lead").required(true).args(["contact", "contact_id"])))]
    Explain {
        /// Contact JSON: {"id": "...", "properties": {...}, "company": {...}}.
        #[arg(long, value_name = "FILE.json")]
        contact: Option<PathBuf>,
        /// HubSpot contact id whose stored history to show (needs --portal).
        #[arg(long, value_name = "ID", requires = "portal")]
        contact_id: Option<ContactId>,
        /// HubSpot portal (hub) id of --contact-id.
        #[arg(long, value_name = "P", requires = "contact_id")]
        portal: Option<PortalId>,
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
    /// Print the lead handoff scoreboard: the KPIs of the period from the ledger
    ///
    /// KPIs over handoffs made in the period, optionally per source, tier, team or owner
    /// (merged handoffs are counted apart and left out of every KPI):
    ///   leads                each lead decided in the period once, by outcome: handed_off
    ///                        if any decision found it ready, else its latest outcome
    ///                        (not_ready, disqualified); the decisions behind them apart
    ///   lead acceptance      accepted ÷ handoffs with a disposition
    ///   time to accept       p50 / p90 of disposition − handoff, accepted handoffs only
    ///                        ("nothing accepted yet" when none is)
    ///   assignment coverage  handed_off leads that have an owner in the ledger ÷
    ///                        handed_off leads
    ///   time to first touch  p50 / p90 of first touch − handoff, touched handoffs only
    ///                        ("no touches yet" when none is)
    ///   SLA compliance       touched before due ÷ handoffs with an SLA that were touched or
    ///                        are past due (untouched past due = missed; not yet due = pending)
    ///   escalations, reassignments, disposition mix (by outcome and reason), pipeline per
    ///   accepted lead by source (deal amounts of accepted handoffs, where there are any),
    ///   handoffs open and closed.
    /// Where Slack alerts are used (docs/slack.md), also: accepted via Slack button or
    /// HubSpot status (each ÷ accepted handoffs), the alerts created in the period (sent,
    /// failed with their reasons, pending) and the clicks received (accept, not a fit,
    /// reassign; refused ones by the answer given). Where they never were, nothing is said
    /// about Slack.
    /// A KPI with nothing to divide by shows n/a (an empty CSV cell, null in JSON). Owners
    /// show with their roster names.
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
    /// Write the weekly review page: one portal's week as one self-contained HTML file
    ///
    /// The week's scoreboard (the KPIs of `handoff report`) with its change from the week
    /// before and a trend over the weeks before it; the disposition mix and the top
    /// disqualification and nurture reasons; marketing-sourced pipeline by source; the
    /// week's Slack alerts and acceptance by channel (only where Slack alerts are used); the KPIs
    /// by source, tier, team and owner; routing health (pool picks against weights,
    /// unassigned leads, reassignments and who missed, SLA misses per rep, loops not closed).
    /// One HTML file with inline styles and charts and no script: it opens offline, travels as
    /// an e-mail attachment and prints to PDF. The admin listener serves the same page at
    /// GET /review?week=2026-W49&weeks=12&portal=P. Prints the file's path.
    #[command(verbatim_doc_comment)]
    Review {
        /// The ISO week to review, e.g. 2026-W49; default: the week now falls in (in the
        /// portal's time zone), marked as in progress.
        #[arg(long, value_name = "WEEK", value_parser = handoff::report::review::IsoWeek::parse)]
        week: Option<handoff::report::review::IsoWeek>,
        /// How many weeks the trends show, ending with the reviewed week (1 to 104).
        #[arg(long, value_name = "N", default_value = "12", value_parser = handoff::report::review::parse_weeks)]
        weeks: usize,
        /// The portal ([[hubspot.portals]] id); may be left out when only one is configured.
        #[arg(long, value_name = "P")]
        portal: Option<PortalId>,
        /// Where to write the page; default: review-PORTAL-WEEK.html in the current directory.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Tuning report: which scoring rules and segments earn their points
    ///
    /// Over one portal's leads decided in the period, from the decision facts each decision
    /// records: per scoring rule the leads it matched against those it did not (acceptance
    /// with a 95% Wilson interval, disqualification, pipeline per accepted lead, lift); the
    /// same per source, tier and buying role; a threshold sweep around the playbook's; and
    /// acceptance and time to first touch per pool and owner. A rate over fewer than 20 leads
    /// with a disposition says "too few to judge" instead of a number.
    #[command(verbatim_doc_comment)]
    Tune {
        /// How far back: a number and a unit — 30d, 12w.
        #[arg(long, default_value = "90d", value_name = "AGE", value_parser = handoff::report::Window::parse)]
        since: handoff::report::Window,
        /// The portal ([[hubspot.portals]] id); may be left out when only one is configured.
        #[arg(long, value_name = "P")]
        portal: Option<PortalId>,
        /// table: aligned text; json: everything, machine-readable; html: one page.
        #[arg(long, value_enum, default_value_t = TuneFormatArg::Table)]
        format: TuneFormatArg,
        /// Write a candidate playbook here: the --from file with points and the threshold
        /// moved where the outcomes say so (comments and layout kept). Never the --from file.
        #[arg(long, value_name = "FILE", requires = "from")]
        suggest: Option<PathBuf>,
        /// The playbook TOML the candidate is edited from (a [playbook] table or bare).
        #[arg(long, value_name = "PLAYBOOK", requires = "suggest")]
        from: Option<PathBuf>,
    },
    /// Inspect the job queue: counts per lane, canary jobs
    Queue {
        #[command(subcommand)]
        command: QueueCommand,
    },
    /// List, show, replay or purge dead letters
    ///
    /// Dead letters are jobs that failed for good (a permanent error, or attempts used up).
    /// They stay until replayed or purged.
    Dlq {
        #[command(subcommand)]
        command: DlqCommand,
    },
    /// Pause, resume or list HubSpot portals, straight on the store
    ///
    /// Works while the service is down; a running service sees the change at its next batch.
    /// A paused portal's webhooks are still accepted and queued; its jobs wait without HubSpot
    /// calls and without spending attempts. The same as the admin endpoints /admin/portals/….
    Portal {
        #[command(subcommand)]
        command: PortalCommand,
    },
    /// Recover events HubSpot could not push from the Webhooks Journal
    ///
    /// For an outage longer than HubSpot's 24 h retry window: reads each portal's journal from
    /// its stored offset (or from --since), queues every event the inbox does not already have
    /// (the same deduplication as webhooks: nothing is handled twice), stores the new offset,
    /// and prints what was read, recovered and already received. An offset older than the
    /// journal's 3-day retention is printed as a GAP with its time range (see
    /// docs/operations.md, "Journal gap"). Needs journal = { enabled = true } on the portal;
    /// creates its subscription if missing.
    Backfill {
        /// Only this portal (default: every portal with the journal enabled).
        #[arg(long, value_name = "P")]
        portal: Option<PortalId>,
        /// Read from the journal's earliest entry and keep events from this time on, whatever
        /// the stored offset: an RFC 3339 time or an age (30m, 24h, 3d).
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
        /// Print the reports as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check each portal against live HubSpot before going live (read-only)
    ///
    /// Checks each configured portal (or --portal) against live HubSpot, read-only, and prints
    /// a checklist grouped like `brew doctor`: every item passes, warns or fails, with the
    /// reason and the fix. Groups: Token & scopes (the token works; its scopes cover what the
    /// configuration turns on), Owners (every roster owner exists, is active and has its email;
    /// owners given by email alone resolve), Properties (every property the playbook and
    /// pipeline read exists with a compatible type), Write-back (the [pipeline.write_back]
    /// properties exist: else run `handoff portal setup`), Leads & sequences (when turned on:
    /// the stages and sequences named exist), Webhook URL (webhook.public_url is HTTPS and is
    /// the served route), Refused writes (writes HubSpot refused in the last 24 h for rules no
    /// API can read). Exits 1 when any item fails, 0 otherwise (warnings allowed).
    Doctor {
        /// Only this portal (default: every configured portal).
        #[arg(long, value_name = "P")]
        portal: Option<PortalId>,
        /// Print the checklist as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Manage the Webhooks Journal subscriptions
    Journal {
        #[command(subcommand)]
        command: JournalCommand,
    },
    /// Sign and send a HubSpot-shaped webhook delivery to a receiver
    ///
    /// For trying a setup against `handoff serve` and for on-call checks: builds one contact
    /// event (or sends the delivery in --event FILE as it is), signs it as HubSpot does (v3,
    /// over --signed-url, default --url) with the app's client secret from --secret-env VAR or
    /// --secret-file FILE, posts it and prints the receiver's answer. Exits 1 unless it is 2xx.
    SendWebhook(SendWebhookArgs),
    /// Write the HubSpot developer project handoff runs as, from the configuration
    ///
    /// Writes DIR/hsproject.json, DIR/src/app/app-hsmeta.json and
    /// DIR/src/app/webhooks/webhooks-hsmeta.json (platform 2026.03, a private app): the required
    /// scopes are exactly what the enabled features use, the webhooks are the contact events
    /// the pipeline acts on and one property change per property it reads (never one it writes
    /// back). Prints what it wrote, why each scope is there and the next steps (README "Connect
    /// your portal"). Other files in DIR are left alone; an app of the other auth type there is
    /// refused, since HubSpot cannot change it after the first upload.
    HubspotApp {
        /// The project directory (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// static: one account, its access token shown in HubSpot; oauth: installed through
        /// HubSpot's OAuth flow, needed by the Webhooks Journal. Default: oauth when a portal
        /// has journal.enabled, else static.
        #[arg(long, value_enum, value_name = "AUTH")]
        auth: Option<AuthArg>,
        /// Where HubSpot posts the webhooks: an https:// URL (http:// only for localhost).
        /// Default: webhook.public_url, which must be this exact URL (HubSpot signs it).
        #[arg(long, value_name = "URL")]
        target_url: Option<String>,
    },
    /// Compare a candidate playbook with the configured one on a batch of contacts
    ///
    /// Runs every contact through the candidate and the baseline and prints how outcomes,
    /// tiers, teams and owners change, and each lead that moves, with why. Without
    /// --contacts, replays the contacts the ledger recorded with its decisions (--since,
    /// --portal) through the candidate, each at its decision time, against what was recorded.
    Simulate {
        /// One contact JSON per line; default: the recorded contacts of the ledger.
        #[arg(long, value_name = "FILE.jsonl")]
        contacts: Option<PathBuf>,
        /// Without --contacts: how far back the recorded decisions go (e.g. 30d, 12w).
        #[arg(long, default_value = "90d", value_name = "AGE", value_parser = handoff::report::Window::parse)]
        since: handoff::report::Window,
        /// Without --contacts: the portal whose decisions are replayed.
        #[arg(long, value_name = "P")]
        portal: Option<PortalId>,
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
    /// Run a local HubSpot stand-in for development, tests, benchmarks and the demo
    ///
    /// Serves the CRM endpoints handoff calls, POST /oauth/v3/token, bearer auth, HubSpot's
    /// rate limits with their headers and 429 bodies, fault injection, and the Webhooks
    /// Journal (subscriptions, journal reads) fed from contact changes. Point
    /// hubspot.base_url at it. A control API (JSON, no auth) under /_sandbox/ drives
    /// scenarios: stats, contacts, tasks, faults, rate-limit, users, sequences, leads,
    /// journal, reset. Needs no handoff configuration; logs JSON lines (RUST_LOG filters).
    /// Stops on SIGTERM or ctrl-c. Comes with the `demo` feature (on by default; release
    /// images are built without it).
    #[cfg(feature = "demo")]
    Sandbox(SandboxArgs),
    /// Run the whole product on this machine in about a minute
    ///
    /// Starts the HubSpot sandbox and `serve` on its own SQLite store, creates the example
    /// leads of fixtures/contacts and sends the signed webhooks HubSpot would send. The logs
    /// show decisions, owners (by name), tasks and, on an accelerated clock (SLAs of seconds),
    /// reminders, escalations and reassignments. It ends with the scoreboard, one line per
    /// lead, where the store was kept and the `explain` and `report` commands that open it.
    /// Needs no configuration or network; run it from the repository root (it reads
    /// fixtures/). Comes with the `demo` feature (on by default; release images are built
    /// without it).
    #[cfg(feature = "demo")]
    Demo {
        /// Seconds the accelerated clock runs before the scoreboard.
        #[arg(long, default_value_t = 60)]
        run_s: u64,
        /// Keep the store and configuration here (new or empty; default: a new
        /// handoff-demo-… directory under the system's temporary directory).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

/// `handoff sandbox` flags.
#[cfg(feature = "demo")]
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
    /// Faults from the start, comma-separated: error_rate=0.1, error_statuses=500|503,
    /// fail_next=3, fail_status=503, path_prefix=/crm/objects/2026-09/tasks, latency_ms=200,
    /// latency_rate=0.05 (spikes), response_delay_ms=3000 (answer held back after the
    /// effect), storm_ms=5000, daily_exhausted, seed=42. The same keys in camelCase change
    /// them at run time: PUT /_sandbox/faults.
    #[arg(long, value_name = "SPEC")]
    pub faults: Option<handoff::sandbox::FaultConfig>,
    /// Accept only this bearer token (repeatable); default: any non-empty token.
    #[arg(long = "token", value_name = "TOKEN")]
    pub tokens: Vec<String>,
    /// Slack stand-in: environment variable holding the bot token its Web API methods accept
    /// (default: any non-empty token).
    #[arg(long, value_name = "VAR")]
    pub slack_bot_token_env: Option<String>,
    /// Slack stand-in: environment variable holding the signing secret clicks are signed with
    /// (`POST /_sandbox/slack/click`); the same secret as handoff's `[alerts.slack]`.
    #[arg(long, value_name = "VAR")]
    pub slack_signing_secret_env: Option<String>,
    /// Slack stand-in: handoff's interactivity URL, where clicks are sent
    /// (e.g. http://127.0.0.1:8080/slack/interactions).
    #[arg(long, value_name = "URL")]
    pub slack_interactions_url: Option<String>,
    /// Slack stand-in: a HubSpot owner id with no Slack account (repeatable).
    #[arg(long, value_name = "OWNER_ID")]
    pub slack_without_account: Vec<handoff_ids::OwnerId>,
}

#[cfg(feature = "demo")]
impl SandboxArgs {
    /// The sandbox's configuration; `lookup` reads the environment. Err: a named variable that
    /// is unset or empty (its name, never a value).
    pub fn config(
        &self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<handoff::sandbox::SandboxConfig, String> {
        let secret = |flag: &str, var: &Option<String>| match var {
            None => Ok(None),
            Some(name) => lookup(name)
                .filter(|v| !v.is_empty())
                .map(|v| Some(secrecy::SecretString::from(v)))
                .ok_or_else(|| format!("{flag}: environment variable {name} is not set")),
        };
        let slack = handoff::sandbox::SlackConfig {
            bot_token: secret("--slack-bot-token-env", &self.slack_bot_token_env)?,
            signing_secret: secret("--slack-signing-secret-env", &self.slack_signing_secret_env)?,
            interactions_url: self.slack_interactions_url.clone(),
            without_account: self
                .slack_without_account
                .iter()
                .map(|o| o.as_u64())
                .collect(),
            ..handoff::sandbox::SlackConfig::default()
        };
        Ok(handoff::sandbox::SandboxConfig {
            listen: self.listen,
            seed_dir: self.seed.clone(),
            rate_limit: self.rate.clone(),
            faults: self.faults.clone().unwrap_or_default(),
            tokens: self.tokens.clone(),
            slack,
            ..handoff::sandbox::SandboxConfig::default()
        })
    }
}

/// `handoff send-webhook` flags.
#[derive(Debug, clap::Args)]
pub struct SendWebhookArgs {
    /// Where to post, e.g. http://127.0.0.1:8080/webhooks/hubspot.
    #[arg(long, value_name = "URL")]
    pub url: String,
    /// The URL the signature covers, when --url reaches the service another way than
    /// HubSpot does (past a proxy): the service's webhook.public_url. Default: --url.
    #[arg(long, value_name = "URL")]
    pub signed_url: Option<String>,
    /// Environment variable holding the app's client secret.
    #[arg(
        long,
        value_name = "VAR",
        conflicts_with = "secret_file",
        required_unless_present = "secret_file"
    )]
    pub secret_env: Option<String>,
    /// File holding the app's client secret (trailing newline ignored).
    #[arg(long, value_name = "FILE")]
    pub secret_file: Option<PathBuf>,
    /// Send this delivery as it is: a JSON array of events, or one event object.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["contact", "property", "value"], required_unless_present = "contact")]
    pub event: Option<PathBuf>,
    /// The contact the built event is about (its objectId); an impossible id is refused here.
    #[arg(long, value_name = "ID")]
    pub contact: Option<ContactId>,
    /// The built event's kind.
    #[arg(long, value_enum, default_value = "creation")]
    pub kind: KindArg,
    /// For --kind property-change: the property's name.
    #[arg(long, value_name = "NAME", requires = "value")]
    pub property: Option<String>,
    /// For --kind property-change: its new value.
    #[arg(long, value_name = "VALUE", requires = "property")]
    pub value: Option<String>,
    /// The portal (hub) id of the built event. Default: the one configured portal.
    #[arg(long, value_name = "P")]
    pub portal: Option<PortalId>,
    /// The app id the built event carries (needed when the receiver sets webhook.app_id).
    #[arg(long, value_name = "ID")]
    pub app_id: Option<i64>,
}

/// `handoff send-webhook --kind`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum KindArg {
    Creation,
    Deletion,
    PrivacyDeletion,
    PropertyChange,
}

impl From<KindArg> for admin::send_webhook::EventKind {
    fn from(kind: KindArg) -> Self {
        match kind {
            KindArg::Creation => Self::Creation,
            KindArg::Deletion => Self::Deletion,
            KindArg::PrivacyDeletion => Self::PrivacyDeletion,
            KindArg::PropertyChange => Self::PropertyChange,
        }
    }
}

/// `handoff hubspot-app --auth`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum AuthArg {
    Static,
    Oauth,
}

impl From<AuthArg> for admin::hubspot_app::AppAuth {
    fn from(auth: AuthArg) -> Self {
        match auth {
            AuthArg::Static => Self::Static,
            AuthArg::Oauth => Self::Oauth,
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

/// `handoff tune --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TuneFormatArg {
    Table,
    Json,
    Html,
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
    /// Show jobs per lane and status, and how long the oldest has been due
    ///
    /// Statuses: due (can run now), held (was due, waits to run again), paused, scheduled (not
    /// due yet), leased and dead; also when the next waiting job runs.
    Stats,
    /// Enqueue canary jobs to check that workers run jobs end to end
    ///
    /// The jobs go to the `probe` lane; with --wait, reports how many ran and the
    /// enqueue→start latency.
    Probe {
        /// How many canary jobs.
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
    /// List dead jobs: id, key, kind, attempts, last error
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
    /// Show one dead job in full: payload, last error, earlier replays
    Show {
        /// The dead job's id (from `dlq list`).
        id: i64,
    },
    /// Run dead jobs again now with fresh attempts; their history is kept
    Replay {
        #[command(flatten)]
        pick: DeadPick,
    },
    /// Delete dead jobs for good
    Purge {
        #[command(flatten)]
        pick: DeadPick,
    },
}

#[derive(Debug, Subcommand)]
pub enum PortalCommand {
    /// Stop running a portal's jobs until it is resumed
    ///
    /// The pause survives restarts and holds on every replica.
    Pause {
        /// HubSpot portal (hub) id, one of [[hubspot.portals]].
        #[arg(long, value_name = "P")]
        portal: PortalId,
        /// Why, for whoever looks next (shown by `portal list` and GET /admin/portals).
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// Run a portal's jobs again
    ///
    /// The jobs that waited for the pause (or for an auth failure) become due now.
    Resume {
        /// HubSpot portal (hub) id, one of [[hubspot.portals]].
        #[arg(long, value_name = "P")]
        portal: PortalId,
    },
    /// Create the handoff property group and write-back properties in a portal
    ///
    /// Creates what handoff writes into a portal that is not there yet: the `handoff` contact
    /// property group and the contact properties of [pipeline.write_back] (score: number, tier:
    /// a select of the playbook's tiers, handed_off_at and sla_due_at: datetime; the owner is
    /// HubSpot's own hubspot_owner_id, checked, never created). Idempotent: everything is read
    /// first and a property that already exists is left alone; one that exists with a type
    /// handoff cannot write is reported as a conflict, never changed. Prints created / present /
    /// conflict per item; exits non-zero on a conflict or failure. Needs the scope
    /// crm.schemas.contacts.write.
    Setup {
        /// HubSpot portal (hub) id, one of [[hubspot.portals]].
        #[arg(long, value_name = "P")]
        portal: PortalId,
        /// Print the plan and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// List each configured portal: running, paused or auth-paused, since when, why
    ///
    /// Auth-paused: HubSpot refused the portal's credentials, as the service recorded it. Also
    /// how many jobs wait for the portal.
    List {
        /// Only this portal.
        #[arg(long, value_name = "P")]
        portal: Option<PortalId>,
        /// Print JSON (as GET /admin/portals).
        #[arg(long)]
        json: bool,
    },
}

/// Which dead jobs a replay or purge takes: one by id, or every one the filters match.
#[derive(Debug, clap::Args)]
pub struct DeadPick {
    /// One job; or use --all with filters.
    #[arg(conflicts_with = "all")]
    pub id: Option<i64>,
    /// Every dead job the filters match.
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub filter: DeadArgs,
}

impl DeadPick {
    pub fn selection(&self) -> anyhow::Result<admin::DeadSelection> {
        Ok(admin::DeadSelection {
            id: self.id,
            all: self.all,
            filter: self.filter.filter(None)?,
        })
    }
}

#[derive(Debug, clap::Args)]
pub struct DeadArgs {
    /// Only jobs of this HubSpot portal.
    #[arg(long)]
    pub portal: Option<PortalId>,
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
            portal_id: self.portal.map(PortalId::get),
            kind: self.kind.clone(),
            since_ms,
            limit,
        })
    }
}

impl Command {
    /// What the command uses of the configuration (each command needs only that).
    pub fn purpose(&self) -> Purpose {
        match self {
            Command::Serve | Command::Work | Command::CheckConfig => Purpose::Service,
            Command::Journal { .. }
            | Command::Backfill { .. }
            | Command::Doctor { .. }
            | Command::Portal {
                command: PortalCommand::Setup { .. },
            } => Purpose::Hubspot,
            Command::Explain {
                contact_id: Some(_),
                ..
            }
            | Command::Migrate
            | Command::Queue { .. }
            | Command::Dlq { .. }
            | Command::Portal { .. }
            | Command::Report { .. }
            | Command::Review { .. }
            | Command::Tune { .. }
            | Command::Simulate { contacts: None, .. } => Purpose::Store,
            Command::Explain { .. }
            | Command::Simulate { .. }
            | Command::HubspotApp { .. }
            | Command::SendWebhook(_) => Purpose::Rules,
            #[cfg(feature = "demo")]
            Command::Sandbox(_) | Command::Demo { .. } => Purpose::Rules,
        }
    }
}

#[cfg(test)]
#[path = "cli_tests.rs"]
mod tests;
