//! One decision's condition evaluator: the native fast path for conditions that lowered, the
//! cel interpreter (scope built lazily, once) for the rest. Flags and the buying role are
//! published to both as they become known.

use std::borrow::Cow;
use std::sync::Arc;

use jiff::Timestamp;

use crate::conditions::fastpath::{Env, V};
use crate::conditions::{Condition, EvalError, Scope, ScopeValues};
use crate::contact::{self, Contact, PropertyType, parse_epoch_ms};
use crate::playbook::compile::Playbook;

pub(crate) struct Evaluator<'a> {
    pb: &'a Playbook,
    contact: &'a Contact,
    slots: Vec<Option<V<'a>>>,
    flags: Vec<(String, bool)>,
    flag_values: Vec<bool>,
    role: String,
    email_domain: String,
    now_ms: i64,
    scope: Option<Scope<'static>>,
}

/// A property as a native value: the same typing as the CEL view (`contact::typed_value`).
fn native(raw: &str, ty: PropertyType) -> Result<V<'_>, String> {
    match ty {
        PropertyType::String => Ok(V::Str(Cow::Borrowed(raw))),
        PropertyType::Number => {
            if let Ok(i) = raw.parse::<i64>() {
                return Ok(V::Int(i));
            }
            match raw.parse::<f64>() {
                Ok(f) if f.is_finite() => Ok(V::Float(f)),
                _ => Err(format!("`{raw}` is not a number")),
            }
        }
        PropertyType::Bool => match raw.to_ascii_lowercase().as_str() {
            "true" | "yes" => Ok(V::Bool(true)),
            "false" | "no" => Ok(V::Bool(false)),
            _ => Err(format!("`{raw}` is not true/false")),
        },
        PropertyType::Datetime => parse_epoch_ms(raw).map(V::Int),
    }
}

impl<'a> Evaluator<'a> {
    pub(crate) fn new(
        pb: &'a Playbook,
        c: &'a Contact,
        now: Timestamp,
        warnings: &mut Vec<String>,
    ) -> Evaluator<'a> {
        let slots = pb
            .schema
            .slots
            .iter()
            .map(|(company, name, ty)| {
                let raw = if *company {
                    c.company_get(name)
                } else {
                    c.get(name)
                };
                raw.and_then(|raw| match native(raw, *ty) {
                    Ok(v) => Some(v),
                    Err(m) => {
                        let prefix = if *company { "company." } else { "" };
                        warnings.push(format!("property {prefix}{name}: {m}; treated as missing"));
                        None
                    }
                })
            })
            .collect();
        Evaluator {
            pb,
            contact: c,
            slots,
            flags: Vec::new(),
            flag_values: Vec::new(),
            role: String::new(),
            email_domain: c.email_domain(),
            now_ms: now.as_millisecond(),
            scope: None,
        }
    }

    fn scope(&mut self) -> &Scope<'static> {
        let (pb, c, flags, role) = (self.pb, self.contact, &self.flags, &self.role);
        let (email_domain, now_ms) = (&self.email_domain, self.now_ms);
        self.scope.get_or_insert_with(|| {
            // Data warnings were already reported by `new`.
            let (contact, company) = contact::build_view(c, &pb.schema, &mut Vec::new());
            let values = ScopeValues {
                contact,
                company,
                event: contact::event_value(c.event.as_ref()),
                lists: pb.lists.clone(),
                email_domain: email_domain.clone(),
                now_ms,
            };
            let mut scope = Scope::new(Arc::clone(&pb.env), &pb.regexes, values);
            if !flags.is_empty() {
                scope.set_flags(flags);
            }
            if !role.is_empty() {
                scope.set_role(role);
            }
            scope
        })
    }

    pub(crate) fn eval(&mut self, cond: &'a Condition) -> Result<bool, EvalError> {
        match &cond.native {
            Some(nx) => {
                let env = Env {
                    slots: &self.slots,
                    lists: &self.pb.list_values,
                    flags: &self.flag_values,
                    role: &self.role,
                    email_domain: &self.email_domain,
                    now_ms: self.now_ms,
                };
                nx.eval_bool(&env)
            }
            None => cond.eval(self.scope()),
        }
    }

    /// As [`Condition::holds`]: errors count as no match, unexpected ones are noted.
    pub(crate) fn holds(
        &mut self,
        cond: &'a Condition,
        label: &str,
        warnings: &mut Vec<String>,
    ) -> bool {
        match self.eval(cond) {
            Ok(b) => b,
            Err(EvalError::Missing(_)) => false,
            Err(e) => {
                warnings.push(format!("{label}: {e}; counted as no match"));
                false
            }
        }
    }

    pub(crate) fn set_flags(&mut self, flags: Vec<(String, bool)>) {
        self.flag_values = flags.iter().map(|f| f.1).collect();
        if let Some(s) = self.scope.as_mut() {
            s.set_flags(&flags);
        }
        self.flags = flags;
    }

    pub(crate) fn set_role(&mut self, role: &str) {
        role.clone_into(&mut self.role);
        if let Some(s) = self.scope.as_mut() {
            s.set_role(role);
        }
    }
}
