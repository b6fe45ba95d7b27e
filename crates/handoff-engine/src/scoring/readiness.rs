//! Readiness: a lead that scores enough is handed off only when it has the data sales needs.
//! Requirements apply by tier; the decision lists every missing field.

use crate::contact::Contact;
use crate::decision::{Readiness, Score};
use crate::playbook::compile::Playbook;

pub(crate) fn readiness(pb: &Playbook, c: &Contact, score: &Score) -> Readiness {
    let meets_threshold = score.total >= score.threshold;
    let mut r = Readiness {
        meets_threshold,
        ..Readiness::default()
    };
    for req in &pb.doc.readiness {
        let applies =
            req.tiers.is_empty() || score.tier.as_ref().is_some_and(|t| req.tiers.contains(t));
        if !applies {
            continue;
        }
        r.requirements.push(req.id.clone());
        for field in &req.required {
            if c.field(field).is_none() && !r.missing_fields.contains(field) {
                r.missing_fields.push(field.clone());
            }
        }
    }
    r.ready = meets_threshold && r.missing_fields.is_empty();
    r
}
