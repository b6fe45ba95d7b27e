//! `handoff tune --suggest FILE --from PLAYBOOK`: a candidate playbook with points and the
//! threshold moved where the recorded outcomes say so, written as an edit of the admin's TOML
//! (comments, order and layout kept: `toml_edit`, already in the tree through `toml`, is the
//! crate that edits a document in place rather than re-serializing it). It never writes the
//! file it read. Each suggestion carries its evidence and its expected effect.
//!
//! - A rule's points go up by a quarter (at least 5) when its matched leads' acceptance
//!   interval lies wholly above the unmatched leads', and down by a quarter (at least 5, not
//!   below 0) when wholly below: both sides judged (at least `MIN_SAMPLE` with a disposition).
//! - The threshold goes up to the lowest candidate of the sweep whose acceptance interval lies
//!   wholly above the current threshold's rate, both judged. It is never lowered: leads below
//!   the threshold were not handed off, so nothing says how sales would have received them.

use serde::Serialize;
use toml_edit::{DocumentMut, Item};

use super::{Judged, Tuning};
use crate::report::ReportError;

/// One proposed change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    /// `scoring.fit[icp].points` or `scoring.handoff_threshold`.
    pub key: String,
    pub from: i64,
    pub to: i64,
    pub evidence: String,
    pub effect: String,
}

fn bounds(j: &Judged) -> Option<(f64, f64, f64)> {
    match j {
        Judged::Rate {
            rate, low, high, ..
        } => Some((*rate, *low, *high)),
        Judged::TooFew { .. } => None,
    }
}

fn step(points: i64) -> i64 {
    (points.abs() / 4).max(5)
}

/// The suggestions for a playbook whose rules have `points` (by id), from `t`.
pub fn suggestions(t: &Tuning, points: &[(String, i64)]) -> Vec<Suggestion> {
    let mut out = Vec::new();
    for r in &t.rules {
        let Some(&(_, now)) = points.iter().find(|(id, _)| *id == r.rule) else {
            continue;
        };
        let (Some(m), Some(u)) = (
            bounds(&r.matched.acceptance()),
            bounds(&r.unmatched.acceptance()),
        ) else {
            continue;
        };
        let to = if m.1 > u.2 {
            now + step(now)
        } else if m.2 < u.1 {
            (now - step(now)).max(0)
        } else {
            continue;
        };
        out.push(Suggestion {
            key: format!("scoring.{}.points", r.rule),
            from: now,
            to,
            evidence: format!(
                "{} matched leads accepted {} vs {} without it (lift {})",
                r.matched.leads,
                super::judged(&r.matched.acceptance()),
                super::judged(&r.unmatched.acceptance()),
                r.lift
                    .map_or_else(|| "n/a".into(), |l| format!("{l:.2}\u{d7}"))
            ),
            effect: format!(
                "leads matching `{}` score {} points {}; replay with `handoff simulate --playbook` \
                 to see which would be handed off",
                r.rule,
                (to - now).abs(),
                if to > now { "more" } else { "less" }
            ),
        });
    }
    out.extend(threshold(t));
    out
}

fn threshold(t: &Tuning) -> Option<Suggestion> {
    let current = t.sweep.iter().find(|s| s.current)?;
    let (rate, _, _) = bounds(&current.outcomes.acceptance())?;
    let better = t.sweep.iter().find(|s| {
        s.threshold > t.threshold
            && bounds(&s.outcomes.acceptance()).is_some_and(|(_, low, _)| low > rate)
    })?;
    Some(Suggestion {
        key: "scoring.handoff_threshold".into(),
        from: t.threshold,
        to: better.threshold,
        evidence: format!(
            "leads scoring {}+ accepted {} vs {} at {}",
            better.threshold,
            super::judged(&better.outcomes.acceptance()),
            super::judged(&current.outcomes.acceptance()),
            t.threshold
        ),
        effect: format!(
            "{} leads handed off instead of {} in the period; pipeline among them {:.0} instead \
             of {:.0}",
            better.would_hand_off,
            current.would_hand_off,
            better.outcomes.pipeline,
            current.outcomes.pipeline
        ),
    })
}

/// `text` (a playbook TOML, with a `[playbook]` table or bare) with `s` applied; every other
/// byte as it was.
pub fn apply(text: &str, s: &[Suggestion]) -> Result<String, ReportError> {
    let bad =
        |why: String| ReportError::Portal(format!("the playbook file cannot be edited: {why}"));
    let mut doc: DocumentMut = text.parse().map_err(|e| bad(format!("{e}")))?;
    let root = if doc.contains_key("playbook") {
        &mut doc["playbook"]
    } else {
        doc.as_item_mut()
    };
    let scoring = &mut root["scoring"];
    for one in s {
        if one.key == "scoring.handoff_threshold" {
            set_keeping(&mut scoring["handoff_threshold"], one.to);
            continue;
        }
        let id = one
            .key
            .trim_start_matches("scoring.")
            .trim_end_matches(".points");
        let mut done = false;
        for group in ["fit", "engagement"] {
            let Some(rules) = scoring
                .get_mut(group)
                .and_then(Item::as_array_of_tables_mut)
            else {
                continue;
            };
            let found = rules
                .iter_mut()
                .find(|t| t.get("id").and_then(Item::as_str) == Some(id));
            if let Some(rule) = found {
                set_keeping(&mut rule["points"], one.to);
                done = true;
                break;
            }
        }
        if !done {
            return Err(bad(format!("no scoring rule `{id}` in it")));
        }
    }
    Ok(doc.to_string())
}

/// Sets `item` to `n`, keeping the spaces and comment around the old value.
fn set_keeping(item: &mut Item, n: i64) {
    let decor = item.as_value().map(|v| v.decor().clone());
    let mut new = toml_edit::Value::from(n);
    if let Some(d) = decor {
        *new.decor_mut() = d;
    }
    *item = Item::Value(new);
}

/// The playbook's scoring rules with their points, by id.
pub fn points_of(pb: &crate::engine::Playbook) -> Vec<(String, i64)> {
    let s = &pb.doc.scoring;
    s.fit
        .iter()
        .chain(&s.engagement)
        .map(|r| (r.id.clone(), r.points))
        .collect()
}
