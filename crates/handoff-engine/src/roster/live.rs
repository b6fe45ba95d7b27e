//! The roster against HubSpot's owners list: owners given by email alone get the id HubSpot
//! lists for that email ([`Roster::resolve_emails`], at every decision), and every roster owner
//! is checked to exist, be active and carry the email the roster gives ([`check_roster`]:
//! `handoff doctor` and the warnings at `serve` start). Pure: the caller reads HubSpot and
//! hands the list in.

use handoff_ids::OwnerId;
use serde::Serialize;

use crate::playbook::compile::Playbook;
use crate::roster::Roster;

/// One owner as HubSpot lists it, reduced to what the roster is checked against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveOwner {
    /// HubSpot owner id.
    pub id: OwnerId,
    pub email: Option<String>,
    /// Not archived and still an active user: may receive leads.
    pub assignable: bool,
    /// Listed among the archived owners.
    pub archived: bool,
}

fn same_email(a: &str, b: Option<&str>) -> bool {
    b.is_some_and(|b| a.trim().eq_ignore_ascii_case(b.trim()))
}

/// The assignable owner HubSpot lists with `email`, if exactly one.
fn by_email<'a>(live: &'a [LiveOwner], email: &str) -> Option<&'a LiveOwner> {
    let mut hits = live
        .iter()
        .filter(|o| o.assignable && same_email(email, o.email.as_deref()));
    match (hits.next(), hits.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

impl Roster {
    /// Gives each owner listed by email alone the id of the assignable HubSpot owner with that
    /// email: it is keyed by that id from now on and its email stays an alias. An email no
    /// assignable owner has, or whose id another roster owner already has, stays unresolved
    /// (out of rotation; [`check_roster`] says why).
    pub fn resolve_emails(&mut self, live: &[LiveOwner]) {
        let pending: Vec<String> = self
            .owners
            .iter()
            .filter(|(_, o)| o.id.is_none())
            .map(|(key, _)| key.clone())
            .collect();
        for key in pending {
            let Some(hit) = by_email(live, &key) else {
                continue;
            };
            let id = hit.id.to_string();
            if self.owners.contains_key(&id) {
                continue;
            }
            if let Some(mut entry) = self.owners.remove(&key) {
                entry.id = Some(hit.id);
                entry.owner.id.clone_from(&id);
                self.aliases.insert(key, id.clone());
                self.owners.insert(id, entry);
            }
        }
    }
}

impl Roster {
    /// Whether an owner is given by email alone and not resolved.
    pub fn has_unresolved(&self) -> bool {
        self.owners.values().any(|o| o.id.is_none())
    }

    /// Takes the owners still without an id out of rotation (no HubSpot answer to resolve
    /// them with): an email is never assigned as an owner id.
    pub fn park_unresolved(&mut self) {
        for o in self.owners.values_mut().filter(|o| o.id.is_none()) {
            o.owner.active = false;
        }
    }
}

/// What HubSpot's owners list says about one roster owner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "finding", rename_all = "snake_case")]
pub enum OwnerFinding {
    /// Exists, is active and has the roster's email.
    Ok { id: OwnerId, email: String },
    /// Given by email alone; HubSpot's active owner with that email has this id.
    Resolved { email: String, id: OwnerId },
    /// Given by email alone; no active owner has it (or several do).
    Unresolved { email: String },
    /// Given by email alone, but the id it resolves to is another roster owner's.
    Duplicate { email: String, id: OwnerId },
    /// No owner with this id, active or archived (as far as `live` tells).
    Missing { id: OwnerId, email: String },
    /// Exists but may not receive leads: archived, or its user deactivated.
    Inactive {
        id: OwnerId,
        email: String,
        archived: bool,
    },
    /// Exists and is active, but HubSpot has another email for it.
    EmailMismatch {
        id: OwnerId,
        roster_email: String,
        hubspot_email: Option<String>,
    },
}

impl OwnerFinding {
    /// Whether the owner can be routed to as the roster means it.
    pub fn is_ok(&self) -> bool {
        matches!(self, Self::Ok { .. } | Self::Resolved { .. })
    }
}

/// Every roster owner (in key order) against `live` (HubSpot's owners: the active list,
/// plus the archived one where the caller read it). Call it on a roster before
/// [`Roster::resolve_emails`]: an owner resolved already reads as one given by id.
pub fn check_roster(roster: &Roster, live: &[LiveOwner]) -> Vec<OwnerFinding> {
    roster
        .owners()
        .map(|ro| {
            let o = &ro.owner;
            let Some(id) = ro.id else {
                return match by_email(live, &o.email) {
                    Some(hit) if roster.owner(&hit.id.to_string()).is_some() => {
                        OwnerFinding::Duplicate {
                            email: o.email.clone(),
                            id: hit.id,
                        }
                    }
                    Some(hit) => OwnerFinding::Resolved {
                        email: o.email.clone(),
                        id: hit.id,
                    },
                    None => OwnerFinding::Unresolved {
                        email: o.email.clone(),
                    },
                };
            };
            let email = o.email.clone();
            match live.iter().find(|l| l.id == id) {
                None => OwnerFinding::Missing { id, email },
                Some(l) if !l.assignable => OwnerFinding::Inactive {
                    id,
                    email,
                    archived: l.archived,
                },
                Some(l) if !same_email(&o.email, l.email.as_deref()) => {
                    OwnerFinding::EmailMismatch {
                        id,
                        roster_email: email,
                        hubspot_email: l.email.clone(),
                    }
                }
                Some(_) => OwnerFinding::Ok { id, email },
            }
        })
        .collect()
}

/// A fallback owner HubSpot cannot route to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnroutableFallback<'f> {
    /// The key that names it: `playbook.routing.fallback_owner` (the global one: a lead that
    /// falls to it stays without an owner) or `roster.teams.<id>.fallback_owner`.
    pub at: String,
    /// The owner as that key names it (an id, or an email).
    pub owner: String,
    /// What HubSpot's owners list says about it.
    pub finding: &'f OwnerFinding,
}

impl UnroutableFallback<'_> {
    /// Whether it is the global fallback owner (the end of every chain).
    pub fn is_global(&self) -> bool {
        self.at == GLOBAL_FALLBACK
    }
}

const GLOBAL_FALLBACK: &str = "playbook.routing.fallback_owner";

/// The fallback owners (the playbook's global one, then each team's) whose roster owner is not
/// routable per `findings` (from [`check_roster`] on the same roster). An owner not in the
/// roster is not judged here: config loading checks the reference.
pub fn unroutable_fallbacks<'f>(
    roster: &Roster,
    playbook: &Playbook,
    findings: &'f [OwnerFinding],
) -> Vec<UnroutableFallback<'f>> {
    let keys: Vec<&str> = roster.owners().map(|o| o.owner.key()).collect();
    let global = (
        GLOBAL_FALLBACK.to_string(),
        &playbook.doc.routing.fallback_owner,
    );
    let teams = roster.teams().filter_map(|t| {
        let at = format!("roster.teams.{}.fallback_owner", t.id);
        t.fallback_owner.as_ref().map(|o| (at, o))
    });
    std::iter::once(global)
        .chain(teams)
        .filter_map(|(at, owner)| {
            let key = roster.owner(owner)?.owner.key();
            let i = keys.iter().position(|k| *k == key)?;
            let finding = findings.get(i).filter(|f| !f.is_ok())?;
            Some(UnroutableFallback {
                at,
                owner: owner.clone(),
                finding,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(id: u64, email: &str) -> LiveOwner {
        LiveOwner {
            id: OwnerId::new(id).unwrap(),
            email: Some(email.into()),
            assignable: true,
            archived: false,
        }
    }

    fn roster(text: &str) -> Roster {
        Roster::from_toml_str(text).unwrap()
    }

    const ROSTER: &str = r#"
        [[teams]]
        id = "t"
        name = "T"
        manager = "boss@x.com"
        [[owners]]
        id = "1"
        email = "one@x.com"
        name = "One"
        teams = ["t"]
        time_zone = "UTC"
        [[owners]]
        email = "boss@x.com"
        name = "Boss"
        time_zone = "UTC"
    "#;

    #[test]
    fn an_owner_given_by_email_alone_is_keyed_by_its_email_until_resolved() {
        let mut r = roster(ROSTER);
        let boss = r.owner("boss@x.com").unwrap();
        assert_eq!((boss.id, boss.owner.key()), (None, "boss@x.com"));
        r.resolve_emails(&[live(1, "one@x.com"), live(7, "Boss@X.com")]);
        assert_eq!(r.owner("7").unwrap().id, OwnerId::new(7), "keyed by its id");
        assert_eq!(
            r.owner("boss@x.com").unwrap().owner.key(),
            "7",
            "the email still finds it"
        );
        assert_eq!(r.owners().count(), 2);
    }

    #[test]
    fn without_an_answer_from_hubspot_an_unresolved_owner_is_out_of_rotation() {
        let mut r = roster(ROSTER);
        assert!(r.has_unresolved());
        r.park_unresolved();
        assert!(!r.owner("boss@x.com").unwrap().owner.active);
        assert!(r.owner("1").unwrap().owner.active);
        r.resolve_emails(&[live(7, "boss@x.com")]);
        assert!(!r.has_unresolved());
    }

    #[test]
    fn an_email_no_active_owner_has_stays_unresolved() {
        let mut r = roster(ROSTER);
        let mut gone = live(7, "boss@x.com");
        gone.assignable = false;
        r.resolve_emails(&[gone.clone()]);
        assert_eq!(r.owner("boss@x.com").unwrap().id, None);
        let findings = check_roster(&r, &[live(1, "one@x.com"), gone]);
        assert_eq!(
            findings[1],
            OwnerFinding::Unresolved {
                email: "boss@x.com".into()
            }
        );
    }

    #[test]
    fn check_names_missing_inactive_mismatched_and_resolved_owners() {
        let r = roster(ROSTER);
        let ok = check_roster(&r, &[live(1, "ONE@x.com"), live(7, "boss@x.com")]);
        assert!(ok.iter().all(OwnerFinding::is_ok), "{ok:?}");
        assert_eq!(
            ok[1],
            OwnerFinding::Resolved {
                email: "boss@x.com".into(),
                id: OwnerId::new(7).unwrap()
            }
        );
        let missing = check_roster(&r, &[]);
        assert!(matches!(&missing[0], OwnerFinding::Missing { id, .. } if id.get() == 1));
        let mut archived = live(1, "one@x.com");
        archived.assignable = false;
        archived.archived = true;
        let inactive = check_roster(&r, &[archived]);
        assert!(matches!(
            inactive[0],
            OwnerFinding::Inactive { archived: true, .. }
        ));
        let moved = check_roster(&r, &[live(1, "someone.else@x.com")]);
        assert!(matches!(
            &moved[0],
            OwnerFinding::EmailMismatch { hubspot_email: Some(e), .. } if e == "someone.else@x.com"
        ));
        let dup = check_roster(&r, &[live(1, "one@x.com"), live(1, "boss@x.com")]);
        assert!(matches!(&dup[1], OwnerFinding::Duplicate { id, .. } if id.get() == 1));
    }

    #[test]
    fn an_owner_with_neither_id_nor_email_is_a_problem() {
        let problems = Roster::from_toml_str(
            r#"
            [[owners]]
            email = ""
            name = "Nobody"
            time_zone = "UTC"
        "#,
        )
        .err()
        .unwrap();
        assert_eq!(problems[0].path, "owners.owners[0].email");
    }

    #[test]
    fn an_unresolved_global_or_team_fallback_owner_is_named_with_its_key() {
        let (pb, _, _) = crate::tests::example();
        let text = crate::tests::playbook_text().replace(
            "fallback_owner = \"900\"",
            "fallback_owner = \"boss@x.com\"",
        );
        let pb = Playbook::from_toml_str(&text).unwrap_or(pb);
        let mut r = roster(ROSTER);
        let mut t = r.team("t").cloned().unwrap_or_default();
        t.fallback_owner = Some("1".into());
        r.upsert_team(t);
        let findings = check_roster(&r, &[live(1, "one@x.com")]);
        let found = unroutable_fallbacks(&r, &pb, &findings);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].is_global());
        assert_eq!(found[0].owner, "boss@x.com");
        assert!(matches!(found[0].finding, OwnerFinding::Unresolved { .. }));
        // Team t's fallback (1) archived: named with its team's key, not as the global one.
        let mut gone = live(1, "one@x.com");
        gone.assignable = false;
        let findings = check_roster(&r, &[gone, live(7, "boss@x.com")]);
        let found = unroutable_fallbacks(&r, &pb, &findings);
        let keys: Vec<(&str, bool)> = found
            .iter()
            .map(|f| (f.at.as_str(), f.is_global()))
            .collect();
        assert_eq!(keys, [("roster.teams.t.fallback_owner", false)]);
    }
}
