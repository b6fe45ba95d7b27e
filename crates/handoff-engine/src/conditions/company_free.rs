//! Disqualified whatever the company says: a disqualifier whose condition reads nothing of the
//! company (no `company.*`, and no flag or buying role, which may) decides the same with or
//! without the company. A lead one of them disqualifies needs no company read: the worker skips
//! the association and company lookups for it, which saves HubSpot requests in a burst of
//! freemail sign-ups or students, and the decision is the one a company would not change.

use jiff::Timestamp;

use crate::conditions::Condition;
use crate::conditions::evaluator::Evaluator;
use crate::{Contact, Playbook};

/// True when `cond` may read the company: directly, or through a flag or the buying role.
pub(crate) fn may_read_company(cond: &Condition) -> bool {
    let refs = cond.references();
    let indirect = |name: &str| matches!(name, "company" | "flags" | "role");
    refs.fields.iter().any(|(var, _)| indirect(var)) || refs.idents.iter().any(|i| indirect(i))
}

impl Playbook {
    /// The id of the first disqualifier that holds for `contact` and reads nothing of the
    /// company: the lead is disqualified whatever its company says (see the module doc).
    pub fn disqualified_without_company(&self, contact: &Contact, now: Timestamp) -> Option<&str> {
        let mut warnings = Vec::new();
        let mut ev = Evaluator::new(self, contact, now, &mut warnings);
        self.doc
            .definitions
            .disqualifiers
            .iter()
            .zip(&self.disqualifiers)
            .filter(|(_, cond)| !may_read_company(cond))
            .find(|(q, cond)| ev.holds(cond, &q.id, &mut warnings))
            .map(|(q, _)| q.id.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DecideInput, Outcome, RoutingState, decide};

    fn contact(properties: &[(&str, &str)]) -> Contact {
        Contact {
            id: handoff_ids::ContactId::new(1).unwrap(),
            properties: properties
                .iter()
                .map(|(k, v)| (k.to_string(), Some(v.to_string())))
                .collect(),
            company: None,
            event: None,
        }
    }

    #[test]
    fn a_student_is_disqualified_without_a_company_and_a_company_would_not_change_it() {
        let (playbook, roster, examples) = crate::tests::example();
        let now = Timestamp::now();
        let student = contact(&[("email", "kim@gmail.com"), ("jobtitle", "Student")]);
        assert_eq!(
            playbook.disqualified_without_company(&student, now),
            Some("student")
        );
        // The same lead with the richest example company is still disqualified.
        let company = examples.iter().find_map(|c| c.company.clone());
        let with_company = Contact {
            company,
            ..student.clone()
        };
        for c in [&student, &with_company] {
            let input = DecideInput {
                contact: c,
                roster: &roster,
                missed_sla_by: &[],
            };
            let (d, _) = decide(&input, &playbook, now, &RoutingState::default());
            assert_eq!(d.outcome, Outcome::Disqualified);
        }
    }

    #[test]
    fn a_lead_no_company_free_rule_disqualifies_needs_its_company() {
        let (playbook, _, _) = crate::tests::example();
        let now = Timestamp::now();
        let buyer = contact(&[("email", "ana@nordwerk.de"), ("jobtitle", "CTO")]);
        assert_eq!(playbook.disqualified_without_company(&buyer, now), None);
    }

    #[test]
    fn conditions_that_read_the_company_directly_or_through_flags_are_told_apart() {
        let env = crate::conditions::environment();
        let reads = |src: &str| may_read_company(&Condition::compile(&env, src).unwrap());
        assert!(reads("has(company.industry) && company.industry == 'X'"));
        assert!(reads("flags.icp"));
        assert!(reads("role == 'decision_maker'"));
        assert!(!reads(
            "has(contact.jobtitle) && contact.jobtitle == 'Student'"
        ));
        assert!(!reads("email_domain in lists.competitor_domains"));
    }
}
