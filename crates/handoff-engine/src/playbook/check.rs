//! `check_playbook`: the admin's pre-flight (`handoff check-config`). Beyond what loading
//! already checks (syntax, CEL compilation, declared names), it checks the playbook against the
//! roster (every owner and team it names) and runs every condition and a full decision against
//! the example contacts, so a misspelled property fails here and not in production.

use std::collections::BTreeSet;

use handoff_ids::OwnerId;
use jiff::Timestamp;

use crate::conditions::EvalError;
use crate::conditions::evaluator::Evaluator;
use crate::contact::Contact;
use crate::playbook::LadderAction;
use crate::playbook::compile::Playbook;
use crate::playbook::validate::Problem;
use crate::roster::Roster;
use crate::{DecideInput, RoutingState, decide};

/// Every problem found, each with its key path (empty when the playbook is fit to deploy).
pub fn check_playbook(playbook: &Playbook, owners: &Roster, examples: &[Contact]) -> Vec<Problem> {
    let mut problems = references(playbook, owners);
    let now = Timestamp::UNIX_EPOCH;
    for c in examples {
        run_conditions(playbook, c, &mut problems);
        let input = DecideInput {
            contact: c,
            roster: owners,
            missed_sla_by: &[],
        };
        let (decision, _) = decide(&input, playbook, now, &RoutingState::default());
        for w in decision
            .warnings
            .iter()
            .filter(|w| w.starts_with("SLA not computed"))
        {
            problems.push(Problem::new(format!("example contact {}", c.id), w.clone()));
        }
    }
    if !examples.is_empty() {
        unseen_properties(playbook, examples, &mut problems);
    }
    problems.sort();
    problems.dedup();
    problems
}

/// The playbook's owner references (key path, reference): the global fallback owner, rule
/// owners and pool members.
fn owner_references(pb: &Playbook) -> Vec<(String, &str)> {
    let r = &pb.doc.routing;
    let mut out = vec![(
        "playbook.routing.fallback_owner".to_string(),
        r.fallback_owner.as_str(),
    )];
    for (i, rule) in r.rules.iter().enumerate() {
        if let Some(o) = &rule.owner {
            out.push((format!("playbook.routing.rules[{i}].owner"), o));
        }
    }
    for (id, pool) in &r.pools {
        for (j, m) in pool.members.iter().enumerate() {
            let path = format!("playbook.routing.pools.{id}.members[{j}].owner");
            out.push((path, &m.owner));
        }
    }
    out
}

fn not_an_owner(reference: &str) -> String {
    format!(
        "owner `{reference}` is neither in the roster nor a HubSpot owner id: give an owner id, \
         or the email of a roster owner given by email"
    )
}

/// Owner references that can never be assigned: not in the roster, and not an owner id
/// either (a misspelt email or name). Checked whenever the configuration loads; a numeric id
/// not in the roster is allowed there (routing assigns it as that owner id) and only the
/// pre-flight with example contacts ([`check_playbook`]) asks for it to be in the roster.
pub fn unknown_owner_references(pb: &Playbook, roster: &Roster) -> Vec<Problem> {
    owner_references(pb)
        .into_iter()
        .filter(|(_, o)| roster.owner(o).is_none() && o.parse::<OwnerId>().is_err())
        .map(|(path, o)| Problem::new(path, not_an_owner(o)))
        .collect()
}

fn references(pb: &Playbook, roster: &Roster) -> Vec<Problem> {
    let mut out = Vec::new();
    for (path, id) in owner_references(pb) {
        if roster.owner(id).is_none() {
            let message = match id.parse::<OwnerId>() {
                Ok(_) => format!("owner `{id}` is not in the roster"),
                Err(_) => not_an_owner(id),
            };
            out.push(Problem::new(path, message));
        }
    }
    let r = &pb.doc.routing;
    let escalates = pb
        .doc
        .ladder
        .iter()
        .any(|s| s.action == LadderAction::Escalate);
    for (id, pool) in &r.pools {
        let path = format!("playbook.routing.pools.{id}.team");
        match roster.team(&pool.team) {
            None => out.push(Problem::new(
                path,
                format!("team `{}` is not in the roster", pool.team),
            )),
            Some(t) if escalates && t.manager.is_none() => {
                out.push(Problem::new(
                    path,
                    format!("team `{}` has no manager to escalate to", t.id),
                ));
            }
            Some(_) => {}
        }
    }
    out
}

/// Evaluates every condition against one example; failures other than "no value" are
/// problems (type errors, unknown functions, non-bool results).
fn run_conditions(pb: &Playbook, c: &Contact, problems: &mut Vec<Problem>) {
    let mut warnings = Vec::new();
    let mut scope = pb.scope_for(c, 0, &mut warnings);
    for w in warnings {
        problems.push(Problem::new(format!("example contact {}", c.id), w));
    }
    // Flags as if all held, so every later condition reading them gets a bool.
    let flags: Vec<(String, bool)> = pb
        .doc
        .definitions
        .flags
        .iter()
        .map(|f| (f.id.clone(), true))
        .collect();
    scope.set_flags(&flags);
    let mut native = Evaluator::new(pb, c, Timestamp::UNIX_EPOCH, &mut Vec::new());
    native.set_flags(flags);
    for (path, cond) in pb.conditions() {
        let slow = cond.eval(&scope);
        match &slow {
            Ok(_) | Err(EvalError::Missing(_)) => {}
            Err(e) => problems.push(Problem::new(
                &path,
                format!("on example contact {}: {e}", c.id),
            )),
        }
        // Belt and braces: the fast path must agree with the interpreter (see fastpath.rs).
        let fast = native.eval(cond);
        if outcome(&fast) != outcome(&slow) {
            let msg = format!(
                "engine bug: native {fast:?} vs interpreter {slow:?} on example contact {}",
                c.id
            );
            problems.push(Problem::new(path, msg));
        }
    }
}

fn outcome(r: &Result<bool, EvalError>) -> Option<Option<bool>> {
    match r {
        Ok(b) => Some(Some(*b)),
        Err(EvalError::Missing(_)) => Some(None),
        Err(_) => None,
    }
}

/// A declared property that no example contact carries is most likely misspelled.
fn unseen_properties(pb: &Playbook, examples: &[Contact], problems: &mut Vec<Problem>) {
    let seen: BTreeSet<&str> = examples
        .iter()
        .flat_map(|c| c.properties.keys().map(String::as_str))
        .collect();
    let seen_co: BTreeSet<&str> = examples
        .iter()
        .filter_map(|c| c.company.as_ref())
        .flat_map(|c| c.properties.keys().map(String::as_str))
        .collect();
    for name in pb
        .doc
        .properties
        .contact
        .keys()
        .filter(|k| !seen.contains(k.as_str()))
    {
        problems.push(Problem::new(
            format!("playbook.properties.contact.{name}"),
            "no example contact has this property: misspelled, or add an example that has it",
        ));
    }
    for name in pb
        .doc
        .properties
        .company
        .keys()
        .filter(|k| !seen_co.contains(k.as_str()))
    {
        problems.push(Problem::new(
            format!("playbook.properties.company.{name}"),
            "no example company has this property: misspelled, or add an example that has it",
        ));
    }
}
