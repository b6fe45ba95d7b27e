//! Refused writes: HubSpot's 2026-09 write validation enforces rules an admin set up in the
//! portal — conditionally required properties and the fields required to create a record — and
//! no API reads those rules (the property validations API covers format rules only;
//! docs/hubspot.md "Write validation cannot be checked in advance"). So doctor lists what the
//! pipeline had refused for them: the portal's dead letters of the last 24 hours whose reason
//! carries `MISSING_REQUIRED_PROPERTY` or `MISSING_CONDITIONAL_REQUIRED_PROPERTY`, with the
//! properties they name.

use std::collections::BTreeMap;

use regex::Regex;

use super::{Check, Ctx, Ledger, Section, Status};
use crate::store::queue::{DeadFilter, DeadJob};

const S: Section = Section::RefusedWrites;
const DAY_MS: i64 = 86_400_000;
/// The rule codes, conditional first (it contains the other as a substring).
const CODES: [&str; 2] = [
    "MISSING_CONDITIONAL_REQUIRED_PROPERTY",
    "MISSING_REQUIRED_PROPERTY",
];

/// The rule code a dead letter's reason carries, if any.
fn code_of(reason: &str) -> Option<&'static str> {
    CODES.into_iter().find(|c| reason.contains(c))
}

/// The property names a reason names: after `propertyName` (HubSpot's error context), or in
/// HubSpot's messages "A value for X must be provided" and "X is required because …"; failing
/// those, after the word "property"/"properties".
pub(crate) fn property_names(reason: &str) -> Vec<String> {
    const HUBSPOT: [&str; 3] = [
        r#"propertyName\W{0,6}((?:[a-z0-9_]+[",;\s\]]*)+)"#,
        r"[Aa] value for ([a-z0-9_]+) must be provided",
        r"\b([a-z0-9_]+) is required because",
    ];
    const WORDED: &str = r"\bpropert(?:y|ies)\s+((?:`?[a-z0-9_]+`?(?:,\s*|\s+and\s+)?)+)";
    let found = names_by(reason, &HUBSPOT);
    if found.is_empty() {
        names_by(reason, &[WORDED])
    } else {
        found
    }
}

fn names_by(reason: &str, patterns: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in patterns {
        let Ok(re) = Regex::new(p) else { continue };
        for cap in re.captures_iter(reason) {
            let Some(m) = cap.get(1) else { continue };
            for name in m
                .as_str()
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|n| !n.is_empty() && *n != "and")
            {
                if !out.iter().any(|o| o == name) {
                    out.push(name.to_owned());
                }
            }
        }
    }
    out
}

pub(crate) async fn check(ctx: &Ctx<'_>) -> Vec<Check> {
    let jobs = match recent_dead(ctx).await {
        Ok(jobs) => jobs,
        Err(check) => return vec![check],
    };
    // (code, properties) → job ids.
    let mut groups: BTreeMap<(&str, Vec<String>), Vec<i64>> = BTreeMap::new();
    for job in &jobs {
        let reason = job.last_error.as_deref().unwrap_or_default();
        if let Some(code) = code_of(reason) {
            groups
                .entry((code, property_names(reason)))
                .or_default()
                .push(job.id);
        }
    }
    if groups.is_empty() {
        return vec![Check::pass(
            S,
            "refused",
            "refused writes",
            "no refused writes in the last 24 h (HubSpot has no API to read conditional-required or create-record rules; only refusals show them)",
        )];
    }
    groups
        .into_iter()
        .map(|((code, props), ids)| {
            let names = if props.is_empty() {
                "(property not named)".to_owned()
            } else {
                props.join(", ")
            };
            let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
            Check::problem(
                Status::Fail,
                S,
                format!("refused:{code}:{}", props.join(",")),
                format!("{code} {names}"),
                format!(
                    "HubSpot refused {} write(s) in the last 24 h for a portal rule (dead jobs {})",
                    ids.len(),
                    ids.join(", ")
                ),
                format!("HubSpot has no API to read these rules: in HubSpot, relax the rule (Settings → Objects → the object → conditional properties or Create Record) or have the playbook fill the property, then `handoff dlq replay --all --portal {}`", ctx.id.as_u64()),
            )
        })
        .collect()
}

/// The portal's dead letters of the last 24 hours, or the check that says why there are none
/// to read.
async fn recent_dead(ctx: &Ctx<'_>) -> Result<Vec<DeadJob>, Check> {
    let unreadable = |why: String, fix: &str| {
        Check::problem(
            Status::Warn,
            S,
            "refused",
            "refused writes",
            format!("the dead letters could not be read: {why}"),
            fix,
        )
    };
    let store = match ctx.ledger {
        Ledger::Open(store) => store,
        Ledger::Missing => {
            return Err(Check::pass(
                S,
                "refused",
                "refused writes",
                "no store yet where store.url points: nothing has run, so nothing was refused",
            ));
        }
        Ledger::Unreadable(why) => {
            let fix = "check store.url (run doctor where `serve` runs), then run doctor again";
            return Err(unreadable(why.to_string(), fix));
        }
    };
    let filter = DeadFilter {
        portal_id: Some(ctx.id.get()),
        kind: None,
        since_ms: Some(ctx.now_ms - DAY_MS),
        limit: None,
    };
    store
        .dead_letters()
        .list(&filter)
        .await
        .map_err(|e| unreadable(e.to_string(), "check store.url, then run doctor again"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_hubspot_contexts_and_messages() {
        let ctx = r#"hubspot.permanent.rejected: 400 VALIDATION_ERROR: MISSING_CONDITIONAL_REQUIRED_PROPERTY {"propertyName":["my_property","other_one"]}"#;
        assert_eq!(property_names(ctx), ["my_property", "other_one"]);
        let msg = "MISSING_REQUIRED_PROPERTY: A value for firstname must be provided";
        assert_eq!(property_names(msg), ["firstname"]);
        let cond =
            "my_property is required because of a conditional property rule based on [country]";
        assert_eq!(property_names(cond), ["my_property"]);
        let plain = "task refused: MISSING_REQUIRED_PROPERTY property hs_task_type";
        assert_eq!(property_names(plain), ["hs_task_type"]);
        assert_eq!(code_of(ctx), Some("MISSING_CONDITIONAL_REQUIRED_PROPERTY"));
        assert_eq!(code_of(msg), Some("MISSING_REQUIRED_PROPERTY"));
        assert_eq!(code_of("hubspot.permanent: 400 VALIDATION_ERROR"), None);
    }
}
