//! The tuning commands of the binary: `handoff tune` (with `--suggest`) and `handoff simulate
//! --playbook` replaying the ledger's recorded contacts. Loading and printing only; the report
//! is `handoff::report::tune`.

use std::path::Path;
use std::process::ExitCode;

use handoff::admin;
use handoff::config::LoadedConfig;
use handoff::hubspot::client::PortalId;
use handoff::report;

use super::{cli, open_store, write_whole};

/// `handoff tune`: the tuning report of one portal's leads decided in the period, printed.
/// A portal that cannot be picked is a usage error (exit 2).
pub(crate) async fn tune(
    loaded: LoadedConfig,
    since: report::Window,
    portal: Option<PortalId>,
    format: cli::TuneFormatArg,
    suggest: Option<(std::path::PathBuf, std::path::PathBuf)>,
) -> anyhow::Result<ExitCode> {
    use report::tune::{TuneSetup, load, page, table};
    if let Some((to, from)) = &suggest
        && (to == from || std::fs::canonicalize(to).ok() == std::fs::canonicalize(from).ok())
    {
        eprintln!(
            "error: --suggest {} is the playbook it edits: write the candidate to another file",
            to.display()
        );
        return Ok(ExitCode::from(2));
    }
    let Some(portal_id) = chosen_portal(&loaded, portal) else {
        return Ok(ExitCode::from(2));
    };
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let store = open_store(&loaded).await?;
    let setup = TuneSetup::of(&loaded.playbook);
    let tuning = load(&store, portal_id, (since.since_ms(now_ms), now_ms), &setup).await;
    store.close().await;
    let tuning = tuning?;
    match format {
        cli::TuneFormatArg::Table => say!("{}", table(&tuning, since.text())),
        cli::TuneFormatArg::Json => say!("{}", serde_json::to_string_pretty(&tuning)?),
        cli::TuneFormatArg::Html => say!("{}", page(&tuning, since.text())),
    }
    if let Some((to, from)) = suggest {
        write_suggestions(&tuning, &to, &from)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `handoff tune --suggest TO --from FROM`: the candidate written to TO, each suggestion with
/// its evidence and expected effect printed (on stderr when stdout carries JSON or HTML).
fn write_suggestions(tuning: &report::tune::Tuning, to: &Path, from: &Path) -> anyhow::Result<()> {
    use report::tune::{apply, points_of, suggestions};
    let text = std::fs::read_to_string(from)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", from.display()))?;
    let playbook = admin::load_playbook(from)?;
    let found = suggestions(tuning, &points_of(&playbook));
    write_whole(to, apply(&text, &found)?.as_bytes())?;
    eprintln!(
        "candidate playbook: {} ({} suggestions; {} is unchanged)",
        to.display(),
        found.len(),
        from.display()
    );
    for s in &found {
        eprintln!("  {}: {} -> {}", s.key, s.from, s.to);
        eprintln!("    evidence: {}", s.evidence);
        eprintln!("    expected: {}", s.effect);
    }
    Ok(())
}

/// `handoff simulate --playbook FILE` without `--contacts`: the recorded contacts of one
/// portal's period replayed through the candidate. A portal that cannot be picked exits 2.
pub(crate) async fn replay(
    loaded: LoadedConfig,
    candidate: &Path,
    since: report::Window,
    portal: Option<PortalId>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let candidate = admin::load_playbook(candidate)?;
    let Some(portal_id) = chosen_portal(&loaded, portal) else {
        return Ok(ExitCode::from(2));
    };
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let store = open_store(&loaded).await?;
    let recorded = store
        .kpis()
        .recorded_contacts_between(portal_id, since.since_ms(now_ms), now_ms)
        .await;
    store.close().await;
    let replay = report::tune::replay(&recorded?, &loaded.roster, &candidate);
    if json {
        say!("{}", serde_json::to_string_pretty(&replay)?);
    } else {
        say!("{replay}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The portal `--portal` names, or the only one configured; `None` (said on stderr) when it
/// is unknown, or missing among several.
fn chosen_portal(loaded: &LoadedConfig, portal: Option<PortalId>) -> Option<PortalId> {
    report::review::pick_portal(&configured_portals(loaded), portal)
        .map(|(id, _)| id)
        .map_err(|err| eprintln!("error: {err}"))
        .ok()
}

/// The configured portals with their time zones.
fn configured_portals(loaded: &LoadedConfig) -> Vec<(PortalId, String)> {
    loaded
        .settings
        .hubspot
        .portals
        .iter()
        .map(|p| (p.id, p.time_zone.clone()))
        .collect()
}
