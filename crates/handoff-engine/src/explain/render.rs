//! The decision as text for admins (`handoff explain`): what happened, then why.

use std::fmt::{self, Display, Formatter, Write};

use crate::decision::{Decision, GroupScore, Outcome, Readiness, SlaPlan};
use crate::routing::{Exclusion, RoutingTrace};

impl Display for Decision {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let verdict = match self.outcome {
            Outcome::HandOff => "HAND OFF",
            Outcome::NotReady => "NOT READY",
            Outcome::Disqualified => "DISQUALIFIED",
        };
        writeln!(f, "Contact {} — {verdict}", self.contact_id)?;
        writeln!(
            f,
            "  decided at {} with playbook {} ({})",
            self.decided_at, self.playbook, self.playbook_hash
        )?;
        for d in &self.disqualified_by {
            writeln!(f, "  disqualified by {}: {}", d.id, d.reason)?;
        }
        let s = &self.score;
        let tier = s.tier.as_deref().unwrap_or("none");
        writeln!(
            f,
            "Score {} (threshold {}), tier {tier}",
            s.total, s.threshold
        )?;
        group(f, "fit", &s.fit)?;
        group(f, "engagement", &s.engagement)?;
        if !self.flags.is_empty() {
            writeln!(f, "  flags: {}", self.flags.join(", "))?;
        }
        if let Some(r) = &self.buying_role {
            writeln!(f, "  buying role: {r}")?;
        }
        readiness(f, &self.readiness)?;
        if let Some(t) = &self.routing {
            routing(f, t)?;
        }
        if let Some(p) = &self.sla {
            sla(f, p)?;
        }
        if let Some(d) = &self.disposition {
            let reason = d
                .reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            writeln!(f, "Disposition: {:?} from {}{reason}", d.outcome, d.source)?;
        }
        for w in &self.warnings {
            writeln!(f, "warning: {w}")?;
        }
        Ok(())
    }
}

fn readiness(f: &mut Formatter<'_>, r: &Readiness) -> fmt::Result {
    if r.missing_fields.is_empty() {
        let ready = if r.ready { "ready" } else { "below threshold" };
        writeln!(f, "Readiness: {ready}")
    } else {
        writeln!(
            f,
            "Readiness: missing {} (required by {})",
            r.missing_fields.join(", "),
            r.requirements.join(", ")
        )
    }
}

fn sla(f: &mut Formatter<'_>, p: &SlaPlan) -> fmt::Result {
    writeln!(
        f,
        "SLA {} on calendar {}: first touch within {:#} business time, due {}",
        p.tier, p.calendar, p.first_touch, p.due_at
    )?;
    for step in &p.ladder {
        let to = step
            .target
            .as_deref()
            .map(|t| format!(" → {t}"))
            .unwrap_or_default();
        writeln!(f, "  {:?} at {}{to}", step.action, step.at)?;
    }
    if let Some(d) = p.close_loop_due {
        writeln!(f, "  disposition expected by {d}")?;
    }
    Ok(())
}

fn group(f: &mut Formatter<'_>, name: &str, g: &GroupScore) -> fmt::Result {
    let cap = match g.cap {
        Some(c) if g.raw > c => format!(" (capped from {} at {c})", g.raw),
        _ => String::new(),
    };
    writeln!(f, "  {name}: {}{cap}", g.points)?;
    for hit in &g.matched {
        let decay = hit
            .decay
            .as_deref()
            .map(|d| format!(" [{} base, {d}]", hit.base_points))
            .unwrap_or_default();
        writeln!(f, "    {:+} {}{decay}", hit.points, hit.id)?;
    }
    Ok(())
}

fn routing(f: &mut Formatter<'_>, t: &RoutingTrace) -> fmt::Result {
    match &t.assignment {
        Some(a) => {
            let name = a
                .owner_name
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            let via = crate::explain::simulate::describe_via(&a.via);
            writeln!(f, "Owner {}{name} via {via}", a.owner_id)?;
        }
        None => writeln!(f, "NO OWNER: no owner id to assign (last step below)")?,
    }
    for s in &t.steps {
        writeln!(f, "  {:<24} {:?}: {}", s.stage, s.result, s.detail)?;
        for c in &s.candidates {
            let mut line = format!("      {} (weight {})", c.owner_id, c.weight);
            if let Some(x) = &c.excluded {
                let _ = write!(line, " excluded: {}", exclusion(x));
            }
            writeln!(f, "{line}")?;
        }
    }
    Ok(())
}

fn exclusion(x: &Exclusion) -> String {
    match x {
        Exclusion::NotInRoster => "not in roster".into(),
        Exclusion::Unresolved => "no HubSpot owner id (given by email, not resolved)".into(),
        Exclusion::Inactive => "inactive".into(),
        Exclusion::Paused => "paused in config".into(),
        Exclusion::Away => "away in HubSpot".into(),
        Exclusion::MissedSla => "already missed this lead's SLA".into(),
        Exclusion::OutOfOffice { until, source } => {
            format!("out of office until {until} {}", source.phrase())
        }
        Exclusion::OutsideWorkingHours { source } => {
            format!("outside working hours {}", source.phrase())
        }
        Exclusion::AtCapacity {
            period,
            count,
            limit,
        } => format!("at capacity ({count}/{limit} this {period})"),
    }
}
