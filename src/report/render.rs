//! The scoreboard as a person reads it (aligned text), as a spreadsheet reads it (CSV, one row
//! per group: `sheet.rs`) and as a program reads it (JSON). A KPI with nothing to divide by
//! reads `n/a` (an empty CSV cell, `null` in JSON).

use std::fmt::Write as _;

use jiff::Timestamp;

use super::board::{Group, Scoreboard};
use super::kpi::{Kpis, Ratio};
use super::leads::LeadCounts;
use super::slack::{SlackAlerts, top};

/// Output format of `handoff report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
}

pub fn render(board: &Scoreboard, format: Format) -> String {
    match format {
        Format::Table => table(board),
        Format::Json => serde_json::to_string_pretty(board).unwrap_or_default(),
        Format::Csv => super::sheet::csv(board),
    }
}

/// `2026-11-24T09:00:00Z` (to the second); the raw number when out of range.
pub fn time(ms: i64) -> String {
    Timestamp::from_second(ms.div_euclid(1000))
        .map(|t| t.to_string())
        .unwrap_or_else(|_| ms.to_string())
}

/// A wait as a person says it: `<1s`, `45s`, `12m 30s`, `3h 05m`, `2d 04h` (`0s` only for
/// no wait at all, so a touch 300 ms after the handoff does not read as none).
pub fn human_ms(ms: i64) -> String {
    let ms = ms.max(0);
    if (1..1000).contains(&ms) {
        return "<1s".into();
    }
    let s = ms / 1000;
    match s {
        0..60 => format!("{s}s"),
        60..3_600 => format!("{}m {:02}s", s / 60, s % 60),
        3_600..86_400 => format!("{}h {:02}m", s / 3_600, s % 3_600 / 60),
        _ => format!("{}d {:02}h", s / 86_400, s % 86_400 / 3_600),
    }
}

pub fn percent(r: &Ratio) -> String {
    r.value
        .map(|v| format!("{:.1}%", v * 100.0))
        .unwrap_or_else(|| "n/a".into())
}

fn wait(ms: Option<i64>) -> String {
    ms.map(human_ms).unwrap_or_else(|| "n/a".into())
}

pub(super) fn money(v: f64) -> String {
    format!("{v:.2}")
}

fn table(board: &Scoreboard) -> String {
    let mut out = format!(
        "Lead handoff scoreboard, last {} ({} → {})\n\n",
        board.window,
        time(board.since_ms),
        time(board.until_ms)
    );
    line(&mut out, "leads", &leads(&board.leads));
    summary(&mut out, &board.total);
    if let Some(slack) = &board.slack {
        slack_lines(&mut out, slack);
    }
    if let Some(by) = board.by {
        let _ = writeln!(out, "\nBy {}:", by.as_str());
        group_table(&mut out, by.as_str(), &board.groups);
    }
    out
}

/// `9 decided: handed_off 4, disqualified 3, not_ready 2 (11 decisions)`.
fn leads(l: &LeadCounts) -> String {
    if l.total == 0 {
        return "none decided".to_owned();
    }
    let parts: Vec<String> = l
        .by_outcome
        .iter()
        .map(|(outcome, n)| format!("{outcome} {n}"))
        .collect();
    format!(
        "{} decided: {} ({} decisions)",
        l.total,
        parts.join(", "),
        l.decisions
    )
}

fn line(out: &mut String, label: &str, value: &str) {
    let _ = writeln!(out, "{label:<22}{value}");
}

fn summary(out: &mut String, k: &Kpis) {
    let handoffs = format!(
        "{} (open {}, closed {}; merged {} not counted)",
        k.handoffs, k.open, k.closed, k.merged
    );
    line(out, "handoffs", &handoffs);
    let a = &k.acceptance;
    let (num, den) = (a.num, a.den);
    let acceptance = format!(
        "{} ({num} accepted of {den} with a disposition)",
        percent(a)
    );
    line(out, "lead acceptance", &acceptance);
    accepting(out, k);
    let c = &k.coverage;
    let (num, den) = (c.num, c.den);
    let coverage = format!(
        "{} ({num} of {den} handed_off leads have an owner)",
        percent(c)
    );
    line(out, "assignment coverage", &coverage);
    let t = &k.first_touch;
    let touch = if t.touched == 0 {
        "n/a (no touches yet)".to_owned()
    } else {
        format!(
            "p50 {}, p90 {} ({} touched)",
            wait(t.p50_ms),
            wait(t.p90_ms),
            t.touched
        )
    };
    line(out, "time to first touch", &touch);
    let s = &k.sla;
    let sla = format!(
        "{} ({} met of {} due or touched; {} not yet due)",
        percent(&s.compliance),
        s.met,
        s.compliance.den,
        s.pending
    );
    line(out, "SLA compliance", &sla);
    line(out, "escalations", &k.escalations.to_string());
    line(out, "reassignments", &k.reassignments.to_string());
    mix(out, k);
}

/// Time to accept, and (where Slack alerts are used) which channel accepted.
fn accepting(out: &mut String, k: &Kpis) {
    let t = &k.time_to_accept;
    let text = if t.accepted == 0 {
        "n/a (nothing accepted yet)".to_owned()
    } else {
        format!(
            "p50 {}, p90 {} ({} accepted)",
            wait(t.p50_ms),
            wait(t.p90_ms),
            t.accepted
        )
    };
    line(out, "time to accept", &text);
    if let Some(via) = &k.accepted_via {
        let text = format!(
            "Slack button {} ({}), HubSpot status {} ({})",
            via.slack.num,
            percent(&via.slack),
            via.hubspot.num,
            percent(&via.hubspot)
        );
        line(out, "accepted via", &text);
    }
}

/// The period's Slack alerts and what their buttons did.
fn slack_lines(out: &mut String, s: &SlackAlerts) {
    let alerts = format!(
        "{} sent, {} failed, {} pending",
        s.alerts_sent, s.alerts_failed, s.alerts_pending
    );
    line(out, "Slack alerts", &alerts);
    if !s.failed_by_reason.is_empty() {
        line(out, "  failed because", &top(&s.failed_by_reason, 3));
    }
    let clicks = format!(
        "{} accept, {} not a fit, {} reassign",
        s.accept_clicks, s.not_a_fit_clicks, s.reassign_clicks
    );
    line(out, "Slack clicks", &clicks);
    let mut refused = format!("{} refused", s.clicks_refused);
    if !s.refused_by_outcome.is_empty() {
        let _ = write!(refused, " ({})", top(&s.refused_by_outcome, 3));
    }
    if s.clicks_unapplied > 0 {
        let _ = write!(refused, "; {} not applied yet", s.clicks_unapplied);
    }
    line(out, "", &refused);
}

/// Disposition mix and pipeline per accepted lead, one line per outcome or source.
fn mix(out: &mut String, k: &Kpis) {
    if k.dispositions.is_empty() {
        line(out, "dispositions", "none");
    }
    for (i, d) in k.dispositions.iter().enumerate() {
        let reasons: Vec<String> = d.reasons.iter().map(|(r, n)| format!("{r} {n}")).collect();
        let text = format!("{} {} ({})", d.disposition, d.count, reasons.join(", "));
        line(out, if i == 0 { "dispositions" } else { "" }, &text);
    }
    if k.pipeline.is_empty() {
        line(
            out,
            "pipeline / accepted",
            "n/a (no deal amounts on accepted leads)",
        );
    }
    for (i, p) in k.pipeline.iter().enumerate() {
        let text = format!(
            "{}: {} deal(s), {} total, {} per accepted lead",
            p.source,
            p.deals,
            money(p.sum),
            money(p.mean)
        );
        line(out, if i == 0 { "pipeline / accepted" } else { "" }, &text);
    }
}

const COLUMNS: [&str; 10] = [
    "handoffs",
    "open",
    "closed",
    "acceptance",
    "coverage",
    "touch p50",
    "touch p90",
    "SLA",
    "escalations",
    "reassignments",
];

fn group_table(out: &mut String, name: &str, groups: &[Group]) {
    let rows: Vec<(String, [String; 10])> = groups
        .iter()
        .map(|g| {
            let key = match &g.name {
                Some(name) => format!("{} ({name})", g.key),
                None => g.key.clone(),
            };
            (key, group_cells(&g.kpis))
        })
        .collect();
    let key_width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .chain([name.len()])
        .max()
        .unwrap_or(0);
    let widths: Vec<usize> = COLUMNS
        .iter()
        .enumerate()
        .map(|(i, c)| {
            rows.iter()
                .map(|(_, r)| r[i].len())
                .chain([c.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let _ = write!(out, "{name:<key_width$}");
    for (c, w) in COLUMNS.iter().zip(&widths) {
        let _ = write!(out, "  {c:>w$}");
    }
    out.push('\n');
    if rows.is_empty() {
        out.push_str("(no handoffs or ready leads in this period)\n");
    }
    for (key, cells) in &rows {
        let pad = key_width.saturating_sub(key.chars().count());
        let _ = write!(out, "{key}{}", " ".repeat(pad));
        for (cell, w) in cells.iter().zip(&widths) {
            let _ = write!(out, "  {cell:>w$}");
        }
        out.push('\n');
    }
}

fn group_cells(k: &Kpis) -> [String; 10] {
    [
        k.handoffs.to_string(),
        k.open.to_string(),
        k.closed.to_string(),
        percent(&k.acceptance),
        percent(&k.coverage),
        wait(k.first_touch.p50_ms),
        wait(k.first_touch.p90_ms),
        percent(&k.sla.compliance),
        k.escalations.to_string(),
        k.reassignments.to_string(),
    ]
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
