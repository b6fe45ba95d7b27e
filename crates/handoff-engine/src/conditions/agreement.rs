//! The native fast path must give the cel interpreter's answer: same boolean, same error class
//! ("no value" vs any other failure). Compiled only for the property tests and the
//! `cel_compile` fuzz target (`cargo fuzz` builds with `--cfg fuzzing`), never in the product.

use jiff::Timestamp;

use crate::conditions::EvalError;
use crate::conditions::evaluator::Evaluator;
use crate::contact::Contact;
use crate::playbook::compile::Playbook;

fn class(r: &Result<bool, EvalError>) -> &'static str {
    match r {
        Ok(true) => "true",
        Ok(false) => "false",
        Err(EvalError::Missing(_)) => "missing",
        Err(_) => "error",
    }
}

/// Evaluates every condition of `pb` for `c` both ways; the first disagreement, described.
pub fn check(pb: &Playbook, c: &Contact, now: Timestamp) -> Result<(), String> {
    let mut warnings = Vec::new();
    let mut ev = Evaluator::new(pb, c, now, &mut warnings);
    let scope = pb.scope_for(c, now.as_millisecond(), &mut Vec::new());
    for (path, cond) in pb.conditions() {
        let fast = ev.eval(cond);
        let slow = cond.eval(&scope);
        if class(&fast) != class(&slow) {
            return Err(format!(
                "{path} `{}`: native={fast:?} cel={slow:?}",
                cond.source
            ));
        }
    }
    Ok(())
}
