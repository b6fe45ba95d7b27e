//! Scoring: fit and engagement rules add points; each group is capped; engagement decays with
//! the age of the property dating it; the total picks a tier.

pub(crate) mod readiness;

use jiff::Timestamp;

use crate::conditions::evaluator::Evaluator;
use crate::contact::{Contact, parse_epoch_ms};
use crate::decision::{GroupScore, RuleHit, Score};
use crate::playbook::compile::Playbook;
use crate::playbook::{DecayStepDoc, ScoreRuleDoc};

const DAY_MS: i64 = 86_400_000;

pub(crate) fn score<'a>(
    pb: &'a Playbook,
    c: &Contact,
    ev: &mut Evaluator<'a>,
    now: Timestamp,
    warnings: &mut Vec<String>,
) -> Score {
    let s = &pb.doc.scoring;
    let fit = group(&s.fit, &pb.fit, s.fit_cap, ev, warnings, |_| (100, None));
    let decay = |rule: &ScoreRuleDoc| decay_for(rule, c, &s.engagement_decay, now);
    let engagement = group(
        &s.engagement,
        &pb.engagement,
        s.engagement_cap,
        ev,
        warnings,
        decay,
    );
    let total = fit.points.saturating_add(engagement.points);
    let tier = tier_for(pb, total);
    Score {
        fit,
        engagement,
        total,
        tier,
        threshold: s.handoff_threshold,
    }
}

/// The first tier (highest `min_score` first) the total reaches.
pub(crate) fn tier_for(pb: &Playbook, total: i64) -> Option<String> {
    pb.tiers
        .iter()
        .find(|t| total >= t.min_score)
        .map(|t| t.id.clone())
}

fn group<'a>(
    rules: &[ScoreRuleDoc],
    conds: &'a [crate::conditions::Condition],
    cap: Option<i64>,
    ev: &mut Evaluator<'a>,
    warnings: &mut Vec<String>,
    keep: impl Fn(&ScoreRuleDoc) -> (i64, Option<String>),
) -> GroupScore {
    let mut g = GroupScore {
        cap,
        ..GroupScore::default()
    };
    for (rule, cond) in rules.iter().zip(conds) {
        if !ev.holds(cond, &rule.id, warnings) {
            continue;
        }
        let (percent, note) = keep(rule);
        // Integer arithmetic, rounding half away from zero: deterministic everywhere.
        let scaled = rule.points.saturating_mul(percent);
        let points = (scaled + scaled.signum() * 50) / 100;
        g.raw = g.raw.saturating_add(points);
        g.matched.push(RuleHit {
            id: rule.id.clone(),
            points,
            base_points: rule.points,
            decay: note,
        });
    }
    g.points = cap.map_or(g.raw, |c| g.raw.min(c));
    g
}

/// Percentage kept for an engagement rule, with a note when decay applied.
fn decay_for(
    rule: &ScoreRuleDoc,
    c: &Contact,
    steps: &[DecayStepDoc],
    now: Timestamp,
) -> (i64, Option<String>) {
    let Some(at) = rule
        .at
        .as_deref()
        .and_then(|p| c.get(p))
        .and_then(|raw| parse_epoch_ms(raw).ok())
    else {
        return (100, None);
    };
    let age_days = (now.as_millisecond().saturating_sub(at) / DAY_MS).max(0);
    let step = steps
        .iter()
        .filter(|s| age_days >= i64::from(s.older_than_days))
        .max_by_key(|s| s.older_than_days);
    match step {
        Some(s) => (
            i64::from(s.keep_percent),
            Some(format!("{age_days} days old: {}% kept", s.keep_percent)),
        ),
        None => (100, None),
    }
}
