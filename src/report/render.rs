//! The scoreboard as a person reads it (aligned text), as a spreadsheet reads it (CSV, one row
//! per group) and as a program reads it (JSON). A KPI with nothing to divide by reads `n/a`
//! (an empty CSV cell, `null` in JSON).

use std::fmt::Write as _;

use jiff::Timestamp;

use super::board::{Group, Scoreboard};
use super::kpi::{Kpis, Ratio};
use super::leads::LeadCounts;

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
        Format::Csv => csv(board),
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

fn money(v: f64) -> String {
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

const CSV_HEADER: &str = "group,handoffs,open,closed,merged,with_disposition,accepted,\
acceptance_ratio,ready_leads,ready_with_owner,assignment_coverage_ratio,touched,\
first_touch_p50_seconds,first_touch_p90_seconds,sla_met,sla_missed,sla_pending,\
sla_compliance_ratio,escalations,reassignments,disposition_accepted,disposition_nurture,\
disposition_disqualified,deals,pipeline_sum,pipeline_per_accepted_lead,leads_handed_off,\
leads_not_ready,leads_disqualified,decisions";

/// One row per group (`(all)` without `--by`); lead counts only on `(all)`, since a lead that
/// was not handed off belongs to no group.
fn csv(board: &Scoreboard) -> String {
    let mut out = format!("{CSV_HEADER}\n");
    if board.by.is_none() {
        let l = &board.leads;
        let decided = [
            l.with("handed_off"),
            l.with("not_ready"),
            l.with("disqualified"),
            l.decisions,
        ];
        csv_row(&mut out, "(all)", &board.total, Some(decided));
    }
    for g in &board.groups {
        csv_row(&mut out, &g.key, &g.kpis, None);
    }
    out
}

fn csv_row(out: &mut String, key: &str, k: &Kpis, decided: Option<[u64; 4]>) {
    let ratio = |r: &Ratio| r.value.map(|v| format!("{v:.4}")).unwrap_or_default();
    let secs = |ms: Option<i64>| {
        ms.map(|ms| format!("{:.3}", ms as f64 / 1000.0))
            .unwrap_or_default()
    };
    let disposed = |name: &str| {
        let n = k
            .dispositions
            .iter()
            .find(|d| d.disposition == name)
            .map_or(0, |d| d.count);
        n.to_string()
    };
    let [deals, sum_cell, mean_cell] = pipeline_cells(k);
    let decided = decided
        .map(|d| d.map(|n| n.to_string()))
        .unwrap_or_default();
    let cells = [
        quote(key),
        k.handoffs.to_string(),
        k.open.to_string(),
        k.closed.to_string(),
        k.merged.to_string(),
        k.acceptance.den.to_string(),
        k.acceptance.num.to_string(),
        ratio(&k.acceptance),
        k.coverage.den.to_string(),
        k.coverage.num.to_string(),
        ratio(&k.coverage),
        k.first_touch.touched.to_string(),
        secs(k.first_touch.p50_ms),
        secs(k.first_touch.p90_ms),
        k.sla.met.to_string(),
        k.sla.missed.to_string(),
        k.sla.pending.to_string(),
        ratio(&k.sla.compliance),
        k.escalations.to_string(),
        k.reassignments.to_string(),
        disposed("accepted"),
        disposed("nurture"),
        disposed("disqualified"),
        deals,
        sum_cell,
        mean_cell,
    ];
    let _ = writeln!(out, "{},{}", cells.join(","), decided.join(","));
}

/// Deals, their sum and the mean per accepted lead over every source; empty without deals.
fn pipeline_cells(k: &Kpis) -> [String; 3] {
    let deals: u64 = k.pipeline.iter().map(|p| p.deals).sum();
    let sum: f64 = k.pipeline.iter().map(|p| p.sum).sum();
    if deals == 0 {
        return ["0".into(), String::new(), String::new()];
    }
    [deals.to_string(), money(sum), money(sum / deals as f64)]
}

/// A CSV field, quoted when it holds a comma, quote or line break.
fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}
