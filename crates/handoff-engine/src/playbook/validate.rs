//! Structural validation of a playbook document: every problem, each with its key path
//! (`playbook.scoring.fit[3].id`), never stopping at the first. CEL is checked in `compile.rs`,
//! owners and example contacts in `check.rs`.

use std::collections::{BTreeSet, HashSet};
use std::fmt;

use serde::Serialize;

use crate::calendar::duration::{BizDuration, LadderOffset};
use crate::playbook::{LadderAlert, PlaybookDoc};

/// One problem in a config file, at a key path.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

impl Problem {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

struct Collector(Vec<Problem>);

impl Collector {
    fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem::new(path, message));
    }

    fn unique_ids<'a>(&mut self, at: &str, ids: impl Iterator<Item = &'a str>) {
        let mut seen = HashSet::new();
        for (i, id) in ids.enumerate() {
            if id.trim().is_empty() {
                self.push(format!("{at}[{i}].id"), "id must not be empty");
            } else if !seen.insert(id) {
                self.push(format!("{at}[{i}].id"), format!("duplicate id `{id}`"));
            }
        }
    }

    fn known(&mut self, path: String, what: &str, name: &str, set: &BTreeSet<&str>) {
        if !set.contains(name) {
            let known: Vec<&str> = set.iter().copied().collect();
            self.push(
                path,
                format!("unknown {what} `{name}` (known: {})", known.join(", ")),
            );
        }
    }
}

/// Every structural problem of `doc` (empty when fine).
pub(crate) fn validate(doc: &PlaybookDoc) -> Vec<Problem> {
    let mut c = Collector(Vec::new());
    let p = "playbook";
    if doc.name.trim().is_empty() {
        c.push(format!("{p}.name"), "name must not be empty");
    }
    let d = &doc.definitions;
    c.unique_ids(
        &format!("{p}.definitions.flags"),
        d.flags.iter().map(|f| f.id.as_str()),
    );
    c.unique_ids(
        &format!("{p}.definitions.buying_roles"),
        d.buying_roles.iter().map(|f| f.id.as_str()),
    );
    c.unique_ids(
        &format!("{p}.definitions.disqualifiers"),
        d.disqualifiers.iter().map(|f| f.id.as_str()),
    );
    scoring(&mut c, doc);
    let tiers: BTreeSet<&str> = doc.scoring.tiers.iter().map(|t| t.id.as_str()).collect();
    readiness(&mut c, doc, &tiers);
    crate::playbook::validate_routing::routing(&mut |path, m| c.push(path, m), doc, &tiers);
    crate::followup::tasks::validate(&doc.tasks, &mut |path, m| c.push(path, m));
    crate::followup::sequences::validate(&doc.sequences, &tiers, &mut |path, m| c.push(path, m));
    crate::followup::leads::validate(&doc.leads, &mut |path, m| c.push(path, m));
    calendars_and_sla(&mut c, doc, &tiers);
    dispositions(&mut c, doc);
    c.0
}

/// Whether `name` (`company.` + name for a company property) is declared in [properties].
fn declared(doc: &PlaybookDoc, name: &str) -> bool {
    match name.strip_prefix("company.") {
        Some(n) => doc.properties.company.contains_key(n),
        None => doc.properties.contact.contains_key(name),
    }
}

fn readiness(c: &mut Collector, doc: &PlaybookDoc, tiers: &BTreeSet<&str>) {
    let p = "playbook.readiness";
    c.unique_ids(p, doc.readiness.iter().map(|r| r.id.as_str()));
    for (i, r) in doc.readiness.iter().enumerate() {
        for (j, t) in r.tiers.iter().enumerate() {
            c.known(format!("{p}[{i}].tiers[{j}]"), "tier", t, tiers);
        }
        for (j, f) in r.required.iter().enumerate() {
            if !declared(doc, f) {
                c.push(
                    format!("{p}[{i}].required[{j}]"),
                    format!("property `{f}` is not declared in [properties]"),
                );
            }
        }
    }
}

fn dispositions(c: &mut Collector, doc: &PlaybookDoc) {
    let p = "playbook.dispositions";
    for (i, r) in doc.dispositions.map.iter().enumerate() {
        if !declared(doc, &r.property) {
            c.push(
                format!("{p}.map[{i}].property"),
                format!("property `{}` is not declared in [properties]", r.property),
            );
        }
        if let Some(rp) = r.reason_property.as_ref().filter(|rp| !declared(doc, rp)) {
            c.push(
                format!("{p}.map[{i}].reason_property"),
                format!("property `{rp}` is not declared in [properties]"),
            );
        }
        if r.values.is_empty() {
            c.push(format!("{p}.map[{i}].values"), "list at least one value");
        }
    }
    let close_loop = doc.dispositions.close_loop_after.as_deref();
    if let Some(Err(m)) = close_loop.map(BizDuration::parse) {
        c.push(format!("{p}.close_loop_after"), m);
    }
    reasons(c, doc);
}

/// The **Not a fit** reasons: what a Slack select can carry, each value once.
fn reasons(c: &mut Collector, doc: &PlaybookDoc) {
    use crate::playbook::{MAX_DISPOSITION_REASONS, MAX_REASON_VALUE};
    let p = "playbook.dispositions.reasons";
    let reasons = &doc.dispositions.reasons;
    if reasons.len() > MAX_DISPOSITION_REASONS {
        c.push(
            p.to_owned(),
            format!(
                "{} reasons; a Slack select offers at most {MAX_DISPOSITION_REASONS}",
                reasons.len()
            ),
        );
    }
    for (i, r) in reasons.iter().enumerate() {
        let v = r.value.trim();
        if v.is_empty() || v.chars().count() > MAX_REASON_VALUE || v.chars().any(char::is_control) {
            c.push(
                format!("{p}[{i}].value"),
                format!("give a value of 1 to {MAX_REASON_VALUE} characters, one line"),
            );
        } else if reasons[..i].iter().any(|o| o.value.trim() == v) {
            c.push(format!("{p}[{i}].value"), format!("{v:?} is listed twice"));
        }
    }
}

fn scoring(c: &mut Collector, doc: &PlaybookDoc) {
    let s = &doc.scoring;
    let p = "playbook.scoring";
    c.unique_ids(&format!("{p}.fit"), s.fit.iter().map(|r| r.id.as_str()));
    c.unique_ids(
        &format!("{p}.engagement"),
        s.engagement.iter().map(|r| r.id.as_str()),
    );
    c.unique_ids(&format!("{p}.tiers"), s.tiers.iter().map(|r| r.id.as_str()));
    if s.tiers.is_empty() {
        c.push(format!("{p}.tiers"), "define at least one tier");
    }
    for (i, r) in s.engagement.iter().enumerate() {
        if let Some(at) = &r.at {
            match doc.properties.contact.get(at) {
                Some(crate::contact::PropertyType::Datetime) => {}
                Some(_) => c.push(
                    format!("{p}.engagement[{i}].at"),
                    format!("property `{at}` must be declared as datetime"),
                ),
                None => c.push(
                    format!("{p}.engagement[{i}].at"),
                    format!("property `{at}` is not declared in [properties]"),
                ),
            }
        }
    }
    for (i, step) in s.engagement_decay.iter().enumerate() {
        if step.keep_percent > 100 {
            c.push(
                format!("{p}.engagement_decay[{i}].keep_percent"),
                "must be 0..=100",
            );
        }
    }
    for (field, cap) in [("fit_cap", s.fit_cap), ("engagement_cap", s.engagement_cap)] {
        if cap.is_some_and(|v| v < 0) {
            c.push(format!("{p}.{field}"), "cap must not be negative");
        }
    }
}

fn calendars_and_sla(c: &mut Collector, doc: &PlaybookDoc, tiers: &BTreeSet<&str>) {
    for (id, cal) in &doc.calendars {
        calendar(c, &format!("playbook.calendars.{id}"), cal);
    }
    let cals: BTreeSet<&str> = doc.calendars.keys().map(String::as_str).collect();
    let sla = &doc.sla;
    c.known(
        "playbook.sla.default_calendar".into(),
        "calendar",
        &sla.default_calendar,
        &cals,
    );
    c.unique_ids(
        "playbook.sla.tiers",
        sla.tiers.iter().map(|t| t.id.as_str()),
    );
    let segments: BTreeSet<&str> = doc.routing.segments.iter().map(|s| s.id.as_str()).collect();
    for (i, t) in sla.tiers.iter().enumerate() {
        let at = format!("playbook.sla.tiers[{i}]");
        for (j, st) in t.score_tiers.iter().enumerate() {
            c.known(format!("{at}.score_tiers[{j}]"), "tier", st, tiers);
        }
        for (j, s) in t.segments.iter().enumerate() {
            c.known(format!("{at}.segments[{j}]"), "segment", s, &segments);
        }
        if let Err(m) = BizDuration::parse(&t.first_touch) {
            c.push(format!("{at}.first_touch"), m);
        }
        if let Some(cal) = &t.calendar {
            c.known(format!("{at}.calendar"), "calendar", cal, &cals);
        }
    }
    ladder(c, doc);
}

fn calendar(c: &mut Collector, at: &str, cal: &crate::playbook::CalendarDoc) {
    if jiff::tz::TimeZone::get(&cal.time_zone).is_err() {
        c.push(
            format!("{at}.time_zone"),
            format!("unknown time zone `{}`", cal.time_zone),
        );
    }
    match cal.hours.parse() {
        Err(ps) => ps
            .into_iter()
            .for_each(|(k, m)| c.push(format!("{at}.hours.{k}"), m)),
        Ok(h) if h.is_empty() => c.push(format!("{at}.hours"), "calendar is never open"),
        Ok(_) => {}
    }
    for (i, h) in cal.holidays.iter().enumerate() {
        if h.parse::<jiff::civil::Date>().is_err() {
            c.push(
                format!("{at}.holidays[{i}]"),
                format!("`{h}` is not a date like 2026-12-25"),
            );
        }
    }
    if let Some(bd) = &cal.business_day {
        match BizDuration::parse(bd) {
            Ok(BizDuration::Exact(d)) if !d.is_zero() => {}
            _ => c.push(
                format!("{at}.business_day"),
                format!("`{bd}` must be a positive duration like \"8h\""),
            ),
        }
    }
}

/// Every ladder offset parses, and the steps move forward: percentages first, then offsets
/// after due.
fn ladder(c: &mut Collector, doc: &PlaybookDoc) {
    let mut last: Option<(u8, u32)> = None;
    for (i, step) in doc.ladder.iter().enumerate() {
        if let Some(Err(m)) = step.alert.as_deref().map(LadderAlert::parse) {
            c.push(format!("playbook.ladder[{i}].alert"), m);
        }
        let key = match LadderOffset::parse(&step.at) {
            Err(m) => {
                c.push(format!("playbook.ladder[{i}].at"), m);
                continue;
            }
            Ok(LadderOffset::PercentOfSla(p)) => (0, p),
            Ok(LadderOffset::AfterDue(BizDuration::Exact(d))) => {
                (1, u32::try_from(d.as_secs()).unwrap_or(u32::MAX))
            }
            Ok(LadderOffset::AfterDue(BizDuration::BusinessDays(n))) => (2, n),
        };
        if last.is_some_and(|l| key < l) {
            c.push(
                format!("playbook.ladder[{i}].at"),
                "ladder steps must be in time order",
            );
        }
        last = Some(key);
    }
}
