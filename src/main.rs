//! The `handoff` command: parses arguments, loads configuration, installs logging and calls
//! the library. No logic lives here.

use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use handoff::admin;
use handoff::config::{self, ConfigSources, LoadedConfig};
use handoff::report;
use handoff::startup::Application;
use handoff::store::Store;
use handoff_ids::PortalId;
use tokio_util::sync::CancellationToken;

/// `println!` that ends quietly when stdout is closed (`handoff report | head`): a closed
/// pipe is the reader's choice, not an error, and must not panic.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        if let Err(err) = writeln!(out, $($arg)*)
            && err.kind() != std::io::ErrorKind::BrokenPipe
        {
            eprintln!("error: cannot write to stdout: {err}");
        }
    }};
}

mod cli;
mod tune_cmd;
use cli::{Cli, Command, DlqCommand, JournalCommand, PortalCommand, QueueCommand};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The demo brings its own configuration (sandbox, its own store, accelerated clock).
    #[cfg(feature = "demo")]
    if let Command::Demo { run_s, dir } = cli.command {
        return run_async(demo(run_s, dir));
    }
    // The sandbox stands in for HubSpot: it needs none of handoff's configuration.
    #[cfg(feature = "demo")]
    if let Command::Sandbox(args) = &cli.command {
        return match args.config(|name| std::env::var(name).ok()) {
            Ok(config) => run_async(sandbox(config)),
            Err(err) => {
                eprintln!("error: {err}");
                ExitCode::from(2)
            }
        };
    }
    let Some(loaded) = load_config(&cli) else {
        return ExitCode::FAILURE;
    };
    run(cli.command, loaded)
}

/// Runs a command that needs the configuration: one arm a subcommand.
fn run(command: Command, loaded: LoadedConfig) -> ExitCode {
    match command {
        Command::CheckConfig => {
            say!("{}", admin::describe_config(&loaded));
            ExitCode::SUCCESS
        }
        Command::Serve => run_async(serve(loaded)),
        Command::Work => run_async(work(loaded)),
        Command::Migrate => run_async(migrate(loaded)),
        Command::Queue { command } => run_async(print(queue(loaded, command))),
        Command::Dlq { command } => run_async(print(dlq(loaded, command))),
        Command::Portal {
            command: PortalCommand::Setup { portal, dry_run },
        } => run_code(portal_setup(loaded, portal.get(), dry_run)),
        Command::Portal { command } => run_async(print(portal(loaded, command))),
        Command::Doctor { portal, json } => {
            run_code(doctor(loaded, portal.map(PortalId::get), json))
        }
        Command::Journal {
            command: JournalCommand::Subscribe { portal },
        } => run_async(print(journal_subscribe(loaded, portal.map(PortalId::get)))),
        Command::Backfill {
            portal,
            since,
            json,
        } => run_async(backfill(loaded, portal.map(PortalId::get), since, json)),
        Command::Explain {
            contact,
            contact_id,
            portal,
            owners,
            at,
            json,
        } => {
            let asked = (contact, contact_id.zip(portal));
            explain_or_history(loaded, asked, (owners.as_deref(), at.as_deref()), json)
        }
        Command::SendWebhook(args) => run_async(send_webhook(&loaded, args)),
        Command::HubspotApp {
            out,
            auth,
            target_url,
        } => report(hubspot_app(&loaded, &out, auth, target_url)),
        Command::Report { since, by, format } => run_async(print(scoreboard(
            loaded,
            since,
            by.map(Into::into),
            format.into(),
        ))),
        Command::Review {
            week,
            weeks,
            portal,
            out,
        } => run_code(review(loaded, week, weeks, portal, out)),
        Command::Tune {
            since,
            portal,
            format,
            suggest,
            from,
        } => run_code(tune_cmd::tune(
            loaded,
            since,
            portal,
            format,
            suggest.zip(from),
        )),
        Command::Simulate {
            contacts: None,
            playbook,
            since,
            portal,
            json,
            ..
        } => run_code(tune_cmd::replay(loaded, &playbook, since, portal, json)),
        Command::Simulate {
            contacts: Some(contacts),
            playbook,
            baseline,
            at,
            json,
            ..
        } => report(simulate(
            &loaded,
            &contacts,
            &playbook,
            baseline.as_deref(),
            at.as_deref(),
            json,
        )),
        // Both run above, before configuration.
        #[cfg(feature = "demo")]
        Command::Sandbox(_) | Command::Demo { .. } => ExitCode::SUCCESS,
    }
}

/// The configuration a command runs with; its problems are printed and `None` returned.
fn load_config(cli: &Cli) -> Option<LoadedConfig> {
    let sources = ConfigSources {
        dir: cli.config.clone(),
        env: None,
    };
    config::load_for(&sources, cli.command.purpose())
        .map_err(|report| eprint!("{report}"))
        .ok()
}

/// `explain`: a contact file through the engine, or a stored contact's decision history.
fn explain_or_history(
    loaded: LoadedConfig,
    (contact, stored): (
        Option<std::path::PathBuf>,
        Option<(handoff_ids::ContactId, handoff_ids::PortalId)>,
    ),
    (owners, at): (Option<&Path>, Option<&str>),
    json: bool,
) -> ExitCode {
    match (contact, stored) {
        (_, Some((contact_id, portal))) => {
            run_async(print(history(loaded, portal, contact_id, json)))
        }
        (Some(contact), None) => report(explain(&loaded, &contact, owners, at, json)),
        (None, None) => report(Err(anyhow::anyhow!(
            "give --contact FILE.json or --contact-id ID --portal P"
        ))),
    }
}

async fn print(task: impl Future<Output = anyhow::Result<String>>) -> anyhow::Result<()> {
    say!("{}", task.await?);
    Ok(())
}

/// Opens the store a command reads or changes; it must exist (`serve` and `migrate` create
/// it). Says which one on stderr, so the output on stdout stays the command's own.
async fn open_store(loaded: &LoadedConfig) -> anyhow::Result<Store> {
    let url = &loaded.settings.store.url;
    eprintln!("store: {}", handoff::store::describe_location(url));
    Ok(Store::open_existing(&loaded.settings.store).await?)
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
        DlqCommand::Replay { pick } => admin::replay_dead(&store, &pick.selection()?, now).await?,
        DlqCommand::Purge { pick } => admin::purge_dead(&store, &pick.selection()?).await?,
    };
    store.close().await;
    Ok(out)
}

async fn portal(loaded: LoadedConfig, command: PortalCommand) -> anyhow::Result<String> {
    let configured: Vec<PortalId> = loaded
        .settings
        .hubspot
        .portals
        .iter()
        .map(|p| p.id)
        .collect();
    let store = open_store(&loaded).await?;
    let now = jiff::Timestamp::now();
    let out = match command {
        PortalCommand::Pause { portal, reason } => {
            admin::pause_portal(&store, &configured, portal, reason.as_deref(), now)
                .await
                .map(|s| {
                    format!(
                        "portal {} paused since {}",
                        s.portal_id,
                        s.since.unwrap_or_default()
                    )
                })
        }
        PortalCommand::Resume { portal } => admin::resume_portal(&store, &configured, portal, now)
            .await
            .map(|(s, due)| {
                format!(
                    "portal {} resumed; {due} waiting job(s) due now",
                    s.portal_id
                )
            }),
        // Handled by `portal_setup`.
        PortalCommand::Setup { .. } => Ok(String::new()),
        PortalCommand::List { portal, json } => {
            admin::portal_statuses(&store, &configured, portal, now)
                .await
                .map(|list| {
                    if json {
                        serde_json::json!({ "portals": list }).to_string()
                    } else {
                        admin::render_statuses(&list)
                    }
                })
        }
    };
    store.close().await;
    Ok(out?)
}

/// `portal setup`: the report; exit 1 on a conflict or failure.
async fn portal_setup(
    loaded: LoadedConfig,
    portal: i64,
    dry_run: bool,
) -> anyhow::Result<ExitCode> {
    let (text, ok) = admin::setup::command(&loaded, portal, dry_run).await?;
    say!("{text}");
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `doctor`: the checklist; exit 1 when any item failed.
async fn doctor(loaded: LoadedConfig, portal: Option<i64>, json: bool) -> anyhow::Result<ExitCode> {
    let (text, ok) = admin::doctor::command(&loaded, portal, json).await?;
    say!("{text}");
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn journal_subscribe(loaded: LoadedConfig, portal: Option<i64>) -> anyhow::Result<String> {
    let store = open_store(&loaded).await?;
    let out = admin::journal_subscribe(&loaded, &store, portal).await;
    store.close().await;
    Ok(out?)
}

/// Prints the reports; a gap makes the command fail (after printing it).
async fn backfill(
    loaded: LoadedConfig,
    portal: Option<i64>,
    since: Option<String>,
    json: bool,
) -> anyhow::Result<()> {
    let now = jiff::Timestamp::now();
    let since_ms = since
        .as_deref()
        .map(|s| admin::parse_since(s, now))
        .transpose()?;
    let store = open_store(&loaded).await?;
    let reports =
        admin::journal_backfill(&loaded, &store, portal, since_ms, now.as_millisecond()).await;
    store.close().await;
    let reports = reports?;
    if json {
        say!("{}", serde_json::json!({ "portals": reports }));
    } else {
        say!("{}", admin::render_backfill(&reports));
    }
    let gaps = reports.iter().filter(|r| r.gap.is_some()).count();
    if gaps > 0 {
        anyhow::bail!(
            "{gaps} portal(s) have a journal gap: recover it as docs/operations.md \"Journal gap\" says"
        );
    }
    Ok(())
}

async fn scoreboard(
    loaded: LoadedConfig,
    since: report::Window,
    by: Option<report::GroupBy>,
    format: report::Format,
) -> anyhow::Result<String> {
    let store = open_store(&loaded).await?;
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let board = report::scoreboard(&store, &since, by, now_ms).await;
    store.close().await;
    let board = board?.named(&loaded.roster);
    Ok(report::render(&board, format).trim_end().to_owned())
}

/// `handoff review`: writes the page and prints its path. A portal or week that cannot be
/// reviewed is a usage error (exit 2, like a bad flag), and nothing is written.
async fn review(
    loaded: LoadedConfig,
    week: Option<report::review::IsoWeek>,
    weeks: usize,
    portal: Option<PortalId>,
    out: Option<std::path::PathBuf>,
) -> anyhow::Result<ExitCode> {
    use report::review::{ReviewRequest, default_file_name, page_with_hooks, pick_portal};
    let configured: Vec<(PortalId, String)> = loaded
        .settings
        .hubspot
        .portals
        .iter()
        .map(|p| (p.id, p.time_zone.clone()))
        .collect();
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let request = match pick_portal(&configured, portal)
        .and_then(|p| ReviewRequest::new(p, week, weeks, now_ms))
    {
        Ok(request) => request,
        Err(err) => {
            eprintln!("error: {err}");
            return Ok(ExitCode::from(2));
        }
    };
    let path = out.unwrap_or_else(|| default_file_name(&request).into());
    let store = open_store(&loaded).await?;
    let rules = (loaded.playbook.as_ref(), loaded.roster.as_ref());
    let html = page_with_hooks(&store, &request, rules, now_ms).await;
    store.close().await;
    write_whole(&path, html?.as_bytes())?;
    let shown = std::fs::canonicalize(&path).unwrap_or(path);
    say!("{}", shown.display());
    Ok(ExitCode::SUCCESS)
}

/// Writes `bytes` to `path` through a temporary file beside it, so a failed write leaves no
/// half page behind (and no file at all where there was none).
fn write_whole(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{}.tmp", name.as_deref().unwrap_or("review")));
    let written = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if let Err(err) = written {
        let _ = std::fs::remove_file(&tmp);
        anyhow::bail!("cannot write {}: {err}", path.display());
    }
    Ok(())
}

async fn history(
    loaded: LoadedConfig,
    portal: handoff_ids::PortalId,
    contact_id: handoff_ids::ContactId,
    json: bool,
) -> anyhow::Result<String> {
    let store = open_store(&loaded).await?;
    let history = report::History::load(&store, portal, contact_id).await;
    store.close().await;
    let history = history?.named(&loaded.roster);
    Ok(if json {
        history.to_json()
    } else {
        let now_ms = jiff::Timestamp::now().as_millisecond();
        history.to_text(now_ms).trim_end().to_owned()
    })
}

fn report(result: anyhow::Result<String>) -> ExitCode {
    match result {
        Ok(text) => {
            say!("{text}");
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

fn hubspot_app(
    loaded: &LoadedConfig,
    out: &Path,
    auth: Option<cli::AuthArg>,
    target_url: Option<String>,
) -> anyhow::Result<String> {
    use admin::hubspot_app::{AppRequest, AppSource, generate, render, write_project};
    let req = AppRequest {
        auth: auth.map(Into::into),
        target_url,
    };
    let project = generate(&AppSource::of(loaded), &req)?;
    let changes = write_project(&project, out)?;
    Ok(render(&project, out, &changes))
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

/// [`run_async`] for a command that chooses its own exit code.
fn run_code(task: impl Future<Output = anyhow::Result<ExitCode>>) -> ExitCode {
    let mut code = ExitCode::SUCCESS;
    let done = run_async(async {
        code = task.await?;
        Ok(())
    });
    if done == ExitCode::SUCCESS {
        code
    } else {
        done
    }
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
    let admin_bind = loaded.settings.server.admin_bind;
    let layers = loaded.layers.join(", ");
    let app = Application::build(loaded).await?;
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let admin = Application::bind_admin(admin_bind).await?;
    tracing::info!(listen = %listener.local_addr()?, layers, "handoff serving");
    let shutdown = CancellationToken::new();
    tokio::spawn(wait_for_signal(shutdown.clone()));
    app.serve(listener, admin, shutdown).await?;
    tracing::info!("handoff stopped");
    Ok(())
}

async fn work(loaded: LoadedConfig) -> anyhow::Result<()> {
    handoff::telemetry::init(&loaded.settings.log);
    let admin_bind = loaded.settings.server.admin_bind;
    let listen = loaded.settings.server.listen;
    let app = Application::build(loaded).await?;
    let admin = Application::bind_admin(admin_bind).await?;
    // Probes and metrics on server.listen, like serve's, without the webhook route.
    let probes = tokio::net::TcpListener::bind(listen).await?;
    tracing::info!(listen = %probes.local_addr()?, "handoff worker: probes and metrics serving");
    let shutdown = CancellationToken::new();
    tokio::spawn(wait_for_signal(shutdown.clone()));
    app.work(Some(probes), admin, shutdown).await;
    tracing::info!("handoff worker stopped");
    Ok(())
}

#[cfg(feature = "demo")]
async fn sandbox(config: handoff::sandbox::SandboxConfig) -> anyhow::Result<()> {
    handoff::telemetry::init(&config::LogSettings {
        format: config::LogFormat::Json,
        filter: "info".into(),
    });
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let shutdown = CancellationToken::new();
    tokio::spawn(wait_for_signal(shutdown.clone()));
    handoff::sandbox::serve(config, listener, shutdown).await?;
    Ok(())
}

#[cfg(feature = "demo")]
async fn demo(run_s: u64, dir: Option<std::path::PathBuf>) -> anyhow::Result<()> {
    handoff::telemetry::init(&config::LogSettings {
        format: config::LogFormat::Pretty,
        filter: "info,sqlx=warn,tower_http=warn".into(),
    });
    let dir = handoff::demo::workdir(dir, jiff::Timestamp::now())?;
    // Credentials: HANDOFF_DEMO_* if set (see src/demo/secrets.rs), generated otherwise.
    let secrets = handoff::demo::DemoSecrets::from_lookup(|name| std::env::var(name).ok());
    // The example leads and the sandbox's seed are built in: the demo runs from anywhere.
    let data = handoff::demo::data::unpack(&dir)?;
    let options = handoff::demo::DemoOptions {
        run_s,
        command: this_command(),
        contacts_dir: data.contacts,
        env: handoff::demo::EnvOptions {
            secrets,
            seed_dir: Some(data.sandbox),
            // The sandbox plays Slack too: the owners get their alerts there.
            slack: true,
            ..handoff::demo::EnvOptions::default()
        },
    };
    // The store stays in `dir` (the closing lines say where and how to open it).
    let text = handoff::demo::run(&dir, options).await?;
    say!("{text}");
    Ok(())
}

/// Signs and posts one delivery; fails (exit 1) unless the receiver answered 2xx.
async fn send_webhook(loaded: &LoadedConfig, args: cli::SendWebhookArgs) -> anyhow::Result<()> {
    use admin::send_webhook::{Delivery, SendWebhook};
    let secret = match (&args.secret_env, &args.secret_file) {
        (Some(var), _) => match std::env::var(var) {
            Ok(v) if !v.trim().is_empty() => secrecy::SecretString::from(v.trim()),
            Ok(_) => anyhow::bail!("--secret-env {var}: the variable is empty"),
            Err(_) => anyhow::bail!("--secret-env {var}: the variable is not set"),
        },
        (None, Some(path)) => config::read_secret(path).map_err(anyhow::Error::msg)?,
        (None, None) => anyhow::bail!("give --secret-env VAR or --secret-file FILE"),
    };
    let delivery = match (args.event, args.contact) {
        (Some(path), _) => Delivery::File(path),
        (None, Some(contact_id)) => Delivery::Event {
            portal_id: match args.portal {
                Some(p) => p,
                None => the_portal(loaded)?,
            },
            contact_id,
            kind: args.kind.into(),
            property: args.property.zip(args.value),
            app_id: args.app_id,
        },
        (None, None) => anyhow::bail!("give --event FILE or --contact ID"),
    };
    let req = SendWebhook {
        url: args.url,
        signed_url: args.signed_url,
        secret,
        delivery,
    };
    let answer = admin::send_webhook::send_webhook(&req).await?;
    say!("{}", answer.render(&req.url));
    if !answer.accepted() {
        anyhow::bail!("the receiver refused the delivery ({})", answer.status);
    }
    Ok(())
}

/// The one configured portal, for commands whose `--portal` may be left out.
fn the_portal(loaded: &LoadedConfig) -> anyhow::Result<PortalId> {
    match loaded.settings.hubspot.portals.as_slice() {
        [one] => Ok(one.id),
        [] => anyhow::bail!("no [[hubspot.portals]] is configured: give --portal P"),
        _ => anyhow::bail!("several portals are configured: give --portal P"),
    }
}

/// This binary as a person would run it from here: relative to the current directory when it
/// is below it (`target/release/handoff`), else its full path.
#[cfg(feature = "demo")]
fn this_command() -> String {
    let Ok(exe) = std::env::current_exe() else {
        return "handoff".into();
    };
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| exe.strip_prefix(cwd).ok().map(Path::to_path_buf));
    match relative {
        // `./handoff`, not `handoff`: a bare name would be looked up on PATH.
        Some(r) if r.parent().is_some_and(|p| p.as_os_str().is_empty()) => {
            format!("./{}", r.display())
        }
        Some(r) => r.display().to_string(),
        None => exe.display().to_string(),
    }
}

async fn migrate(loaded: LoadedConfig) -> anyhow::Result<()> {
    let store = Store::connect(&loaded.settings.store).await?;
    store.migrate().await?;
    store.close().await;
    say!(
        "migrations applied to {}",
        handoff::store::describe_location(&loaded.settings.store.url)
    );
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
