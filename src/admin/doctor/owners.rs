//! Owners: every roster owner exists in HubSpot, is active (not archived, its user not
//! deactivated) and has the email the roster gives; an owner given by email alone resolves to
//! exactly one active owner (`engine::roster::live`). HubSpot's archived owners are read only
//! when an id is missing from the active list, to say "archived" rather than "no such owner".

use super::{Check, Ctx, Section, Status, why};
use crate::engine::roster::live::{LiveOwner, OwnerFinding, check_roster};
use crate::hubspot::client::Owner;

const S: Section = Section::Owners;

fn live(owners: &[Owner], archived: bool) -> impl Iterator<Item = LiveOwner> + '_ {
    owners.iter().map(move |o| LiveOwner {
        id: o.id.to_string(),
        email: o.email.clone(),
        assignable: !archived && o.is_assignable(),
        archived: archived || o.archived,
    })
}

pub(crate) async fn check(ctx: &Ctx<'_>) -> Vec<Check> {
    let active = match ctx.client.list_owners(ctx.id).await {
        Ok(list) => list,
        Err(e) => {
            return vec![Check::problem(
                Status::Fail,
                S,
                "owners",
                "owners",
                format!("HubSpot's owners could not be read: {}", why(&e)),
                "fix the token and scopes above, then run doctor again",
            )];
        }
    };
    let roster = &ctx.loaded.roster;
    let mut known: Vec<LiveOwner> = live(&active, false).collect();
    let unlisted = roster
        .owners()
        .any(|o| !o.owner.id.is_empty() && !known.iter().any(|l| l.id == o.owner.id));
    if unlisted && let Ok(archived) = ctx.client.list_archived_owners(ctx.id).await {
        known.extend(live(&archived, true));
    }
    let findings = check_roster(roster, &known);
    let ok = findings
        .iter()
        .filter(|f| matches!(f, OwnerFinding::Ok { .. }))
        .count();
    let mut out = vec![Check::pass(
        S,
        "owners",
        "roster owners",
        format!(
            "{ok} of {} exist, are active and match their email",
            findings.len()
        ),
    )];
    out.extend(findings.iter().filter_map(item));
    out
}

fn fail(id: String, what: String, reason: String, fix: &str) -> Option<Check> {
    Some(Check::problem(Status::Fail, S, id, what, reason, fix))
}

fn item(f: &OwnerFinding) -> Option<Check> {
    match f {
        OwnerFinding::Ok { .. } => None,
        OwnerFinding::Resolved { email, id } => Some(Check::pass(
            S,
            format!("owner:{email}"),
            format!("owner {email}"),
            format!("resolved to HubSpot owner id {id}"),
        )),
        OwnerFinding::Unresolved { email } => fail(
            format!("owner:{email}"),
            format!("owner {email}"),
            "no active HubSpot owner has this email (or several do); the rep is out of rotation"
                .into(),
            "correct the email in [roster], add the user in HubSpot, or give the owner's id",
        ),
        OwnerFinding::Duplicate { email, id } => fail(
            format!("owner:{email}"),
            format!("owner {email}"),
            format!("resolves to owner id {id}, which another roster owner has"),
            "list each person once in [roster]",
        ),
        OwnerFinding::Missing { id, email } => fail(
            format!("owner:{id}"),
            format!("owner {id} ({email})"),
            "HubSpot has no owner with this id; the rep is out of rotation".into(),
            "correct the id (HubSpot: Settings → Users, or the owners API) or give only the email",
        ),
        OwnerFinding::Inactive {
            id,
            email,
            archived,
        } => fail(
            format!("owner:{id}"),
            format!("owner {id} ({email})"),
            if *archived {
                "archived in HubSpot; the rep is out of rotation".into()
            } else {
                "the user is deactivated in HubSpot; the rep is out of rotation".into()
            },
            "reactivate the user in HubSpot, or take the owner out of [roster] and the pools",
        ),
        OwnerFinding::EmailMismatch {
            id,
            roster_email,
            hubspot_email,
        } => fail(
            format!("owner:{id}"),
            format!("owner {id}"),
            format!(
                "HubSpot's email is {}, the roster says {roster_email}",
                hubspot_email.as_deref().unwrap_or("(none)")
            ),
            "correct the email in [roster]; if the id names someone else, correct the id",
        ),
    }
}
