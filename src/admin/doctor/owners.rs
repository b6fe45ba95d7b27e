//! Owners: every roster owner exists in HubSpot, is active (not archived, its user not
//! deactivated) and has the email the roster gives; an owner given by email alone resolves to
//! exactly one active owner (`engine::roster::live`). HubSpot's archived owners are read only
//! when an id is missing from the active list, to say "archived" rather than "no such owner".
//! A fallback owner that is not routable gets its own check: the global one fails (a lead that
//! falls to it stays without an owner), a team's warns (the chain goes on to the global one).

use super::{Check, Ctx, Section, Status, why};
use crate::engine::roster::live::{
    LiveOwner, OwnerFinding, UnroutableFallback, check_roster, unroutable_fallbacks,
};
use crate::hubspot::client::Owner;

const S: Section = Section::Owners;

fn live(owners: &[Owner], archived: bool) -> impl Iterator<Item = LiveOwner> + '_ {
    owners.iter().map(move |o| LiveOwner {
        id: o.id,
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
        .filter_map(|o| o.id)
        .any(|id| !known.iter().any(|l| l.id == id));
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
    let playbook = &ctx.loaded.playbook;
    out.extend(
        unroutable_fallbacks(roster, playbook, &findings)
            .iter()
            .map(fallback),
    );
    out
}

/// The check for a fallback owner HubSpot cannot route to.
fn fallback(f: &UnroutableFallback<'_>) -> Check {
    let no_id = matches!(
        f.finding,
        OwnerFinding::Unresolved { .. } | OwnerFinding::Duplicate { .. }
    );
    let (status, consequence) = match (f.is_global(), no_id) {
        (true, true) => (
            Status::Fail,
            "a lead that falls to it stays without an owner",
        ),
        (true, false) => (
            Status::Fail,
            "a lead that falls to it goes to an owner who cannot work it",
        ),
        (false, _) => (
            Status::Warn,
            "its team's leads go on to the global fallback owner",
        ),
    };
    let why = if no_id {
        "has no HubSpot owner id (given by email, not resolved)"
    } else {
        "is not an active HubSpot owner"
    };
    Check::problem(
        status,
        S,
        format!("fallback:{}", f.at),
        format!("fallback owner {}", f.owner),
        format!("{} names {}, which {why}: {consequence}", f.at, f.owner),
        "fix that owner (its own check above says how) or name another fallback owner",
    )
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
