//! A native evaluator for the common subset of CEL conditions (field reads, `has`, literals,
//! comparisons, `in`, `&&`/`||`/`!`, integer `+ - *`, string `contains`/`startsWith`/
//! `endsWith`/`lowerAscii`/`upperAscii`/`matches`). Conditions outside the subset run on the
//! cel interpreter. Same results by construction (the rules below mirror cel 0.15, including
//! how `&&` and `||` absorb errors) and by test (`tests_fastpath.rs` compares both on random
//! contacts). It exists for speed: ~20× faster than the interpreter per condition.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::Arc;

use cel::common::ast::{Expr, IdedExpr, LiteralValue, operators as op};
use regex::Regex;

use crate::conditions::EvalError;

/// A value during native evaluation; strings borrow from the contact when they can.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum V<'a> {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Cow<'a, str>),
    /// A playbook list (only ever the right side of `in`).
    List(&'a [String]),
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Arith {
    Add,
    Sub,
    Mul,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum StrOp {
    Contains,
    StartsWith,
    EndsWith,
}

/// A lowered condition.
#[derive(Clone, Debug)]
pub(crate) enum Nx {
    Lit(V<'static>),
    ListLit(Vec<V<'static>>),
    /// A property slot, with its name for the "no value" error.
    Field(usize, Arc<str>),
    Has(usize),
    EmailDomain,
    NowMs,
    Role,
    Flag(usize, Arc<str>),
    List(usize),
    Not(Box<Nx>),
    And(Box<Nx>, Box<Nx>),
    Or(Box<Nx>, Box<Nx>),
    Cmp(Cmp, Box<Nx>, Box<Nx>),
    In(Box<Nx>, Box<Nx>),
    Arith(Arith, Box<Nx>, Box<Nx>),
    Str(StrOp, Box<Nx>, Box<Nx>),
    Lower(Box<Nx>),
    Upper(Box<Nx>),
    Matches(Box<Nx>, Arc<Regex>),
}

/// The right side of `in`: a playbook list or a list of literals.
fn lower_container(e: &IdedExpr, n: &mut dyn Names) -> Option<Nx> {
    match &e.expr {
        Expr::Select(sel)
            if !sel.test && matches!(&sel.operand.expr, Expr::Ident(v) if v == "lists") =>
        {
            Some(Nx::List(n.list(&sel.field)?))
        }
        Expr::List(l) if l.optional_indices.is_empty() => {
            let items: Option<Vec<V<'static>>> = l
                .elements
                .iter()
                .map(|x| match lower(x, n)? {
                    Nx::Lit(v) => Some(v),
                    _ => None,
                })
                .collect();
            Some(Nx::ListLit(items?))
        }
        _ => None,
    }
}

/// How names resolve while lowering; `None` means "not in the subset".
pub(crate) trait Names {
    fn slot(&mut self, var: &str, field: &str) -> Option<usize>;
    fn list(&self, name: &str) -> Option<usize>;
    fn flag(&self, id: &str) -> Option<usize>;
    fn regex(&self, pattern: &str) -> Option<Arc<Regex>>;
}

/// Lowers a CEL syntax tree, or `None` when any part is outside the subset.
pub(crate) fn lower(e: &IdedExpr, n: &mut dyn Names) -> Option<Nx> {
    Some(match &e.expr {
        Expr::Literal(LiteralValue::Boolean(b)) => Nx::Lit(V::Bool(**b)),
        Expr::Literal(LiteralValue::Int(i)) => Nx::Lit(V::Int(**i)),
        Expr::Literal(LiteralValue::Double(f)) => Nx::Lit(V::Float(**f)),
        Expr::Literal(LiteralValue::String(s)) => Nx::Lit(V::Str(Cow::Owned(s.to_string()))),
        Expr::Ident(name) => match name.as_str() {
            "email_domain" => Nx::EmailDomain,
            "now_ms" => Nx::NowMs,
            "role" => Nx::Role,
            _ => return None,
        },
        Expr::Select(sel) => {
            let Expr::Ident(var) = &sel.operand.expr else {
                return None;
            };
            match (var.as_str(), sel.test) {
                ("contact" | "company", true) => Nx::Has(n.slot(var, &sel.field)?),
                ("contact" | "company", false) => {
                    Nx::Field(n.slot(var, &sel.field)?, Arc::from(sel.field.as_str()))
                }
                ("flags", false) => Nx::Flag(n.flag(&sel.field)?, Arc::from(sel.field.as_str())),
                _ => return None,
            }
        }
        Expr::Call(call) => return lower_call(call, n),
        _ => return None,
    })
}

fn lower_call(call: &cel::common::ast::CallExpr, n: &mut dyn Names) -> Option<Nx> {
    let f = call.func_name.as_str();
    let b = |x: Nx| Box::new(x);
    if let Some(t) = &call.target {
        let target = b(lower(t, n)?);
        return Some(match (f, call.args.as_slice()) {
            ("lowerAscii", []) => Nx::Lower(target),
            ("upperAscii", []) => Nx::Upper(target),
            ("contains", [a]) => Nx::Str(StrOp::Contains, target, b(lower(a, n)?)),
            ("startsWith", [a]) => Nx::Str(StrOp::StartsWith, target, b(lower(a, n)?)),
            ("endsWith", [a]) => Nx::Str(StrOp::EndsWith, target, b(lower(a, n)?)),
            (
                "matches",
                [
                    IdedExpr {
                        expr: Expr::Literal(LiteralValue::String(p)),
                        ..
                    },
                ],
            ) => Nx::Matches(target, n.regex(p)?),
            _ => return None,
        });
    }
    match call.args.as_slice() {
        [x] if f == op::LOGICAL_NOT => Some(Nx::Not(b(lower(x, n)?))),
        [x, y] if f == op::IN => Some(Nx::In(b(lower(x, n)?), b(lower_container(y, n)?))),
        [x, y] => {
            let (x, y) = (b(lower(x, n)?), b(lower(y, n)?));
            Some(match f {
                op::LOGICAL_AND => Nx::And(x, y),
                op::LOGICAL_OR => Nx::Or(x, y),
                op::EQUALS => Nx::Cmp(Cmp::Eq, x, y),
                op::NOT_EQUALS => Nx::Cmp(Cmp::Ne, x, y),
                op::LESS => Nx::Cmp(Cmp::Lt, x, y),
                op::LESS_EQUALS => Nx::Cmp(Cmp::Le, x, y),
                op::GREATER => Nx::Cmp(Cmp::Gt, x, y),
                op::GREATER_EQUALS => Nx::Cmp(Cmp::Ge, x, y),
                op::ADD => Nx::Arith(Arith::Add, x, y),
                op::SUBSTRACT => Nx::Arith(Arith::Sub, x, y),
                op::MULTIPLY => Nx::Arith(Arith::Mul, x, y),
                _ => return None,
            })
        }
        _ => None,
    }
}

/// The values one decision's conditions read.
pub(crate) struct Env<'a> {
    pub slots: &'a [Option<V<'a>>],
    pub lists: &'a [Vec<String>],
    /// Flags evaluated so far (empty while flags themselves are evaluated, as in the CEL scope).
    pub flags: &'a [bool],
    pub role: &'a str,
    pub email_domain: &'a str,
    pub now_ms: i64,
}

fn failed(what: &str) -> EvalError {
    EvalError::Failed(format!("no such overload: {what}"))
}

impl Nx {
    /// Evaluates to a bool, with the same error classes as the interpreter.
    pub(crate) fn eval_bool(&self, env: &Env<'_>) -> Result<bool, EvalError> {
        match self.eval(env)? {
            V::Bool(b) => Ok(b),
            other => Err(EvalError::NotBool(format!("{other:?}"))),
        }
    }

    fn eval<'a>(&'a self, env: &Env<'a>) -> Result<V<'a>, EvalError> {
        Ok(match self {
            Nx::Lit(V::Str(s)) => V::Str(Cow::Borrowed(s.as_ref())),
            Nx::Lit(v) => v.clone(),
            Nx::ListLit(_) => return Err(failed("list used as a value")),
            Nx::Field(slot, name) => match env.slots.get(*slot) {
                Some(Some(v)) => v.clone(),
                _ => return Err(EvalError::Missing(name.to_string())),
            },
            Nx::Has(slot) => V::Bool(env.slots.get(*slot).is_some_and(Option::is_some)),
            Nx::EmailDomain => V::Str(Cow::Borrowed(env.email_domain)),
            Nx::NowMs => V::Int(env.now_ms),
            Nx::Role => V::Str(Cow::Borrowed(env.role)),
            Nx::Flag(i, name) => match env.flags.get(*i) {
                Some(b) => V::Bool(*b),
                None => return Err(EvalError::Missing(name.to_string())),
            },
            Nx::List(i) => V::List(env.lists.get(*i).map(Vec::as_slice).unwrap_or(&[])),
            Nx::Not(x) => match x.eval(env)? {
                V::Bool(b) => V::Bool(!b),
                _ => return Err(failed("!_")),
            },
            Nx::And(x, y) => logical(x, y, env, false)?,
            Nx::Or(x, y) => logical(x, y, env, true)?,
            Nx::Cmp(c, x, y) => V::Bool(compare(*c, &x.eval(env)?, &y.eval(env)?)?),
            Nx::In(x, y) => V::Bool(y.contains(&x.eval(env)?, env)?),
            Nx::Arith(a, x, y) => arith(*a, x.eval(env)?, y.eval(env)?)?,
            Nx::Str(o, x, y) => match (x.eval(env)?, y.eval(env)?) {
                (V::Str(s), V::Str(t)) => V::Bool(match o {
                    StrOp::Contains => s.contains(&*t),
                    StrOp::StartsWith => s.starts_with(&*t),
                    StrOp::EndsWith => s.ends_with(&*t),
                }),
                _ => return Err(failed("string function on non-strings")),
            },
            Nx::Lower(x) => match x.eval(env)? {
                V::Str(s) => V::Str(Cow::Owned(s.to_ascii_lowercase())),
                _ => return Err(failed("lowerAscii")),
            },
            Nx::Upper(x) => match x.eval(env)? {
                V::Str(s) => V::Str(Cow::Owned(s.to_ascii_uppercase())),
                _ => return Err(failed("upperAscii")),
            },
            Nx::Matches(x, re) => match x.eval(env)? {
                V::Str(s) => V::Bool(re.is_match(&s)),
                _ => return Err(failed("matches")),
            },
        })
    }
}

impl Nx {
    /// `needle in self`: a list literal, or a list the playbook defines.
    fn contains<'a>(&'a self, needle: &V<'a>, env: &Env<'a>) -> Result<bool, EvalError> {
        match self {
            Nx::ListLit(items) => Ok(items.iter().any(|i| equal(needle, i))),
            other => match other.eval(env)? {
                V::List(items) => Ok(matches!(needle, V::Str(s) if items.iter().any(|i| i == s))),
                _ => Err(failed("@in")),
            },
        }
    }
}

fn arith<'a>(a: Arith, x: V<'a>, y: V<'a>) -> Result<V<'a>, EvalError> {
    Ok(match (x, y) {
        (V::Int(p), V::Int(q)) => {
            let r = match a {
                Arith::Add => p.checked_add(q),
                Arith::Sub => p.checked_sub(q),
                Arith::Mul => p.checked_mul(q),
            };
            V::Int(r.ok_or_else(|| EvalError::Failed("integer overflow".into()))?)
        }
        (V::Float(p), V::Float(q)) => V::Float(match a {
            Arith::Add => p + q,
            Arith::Sub => p - q,
            Arith::Mul => p * q,
        }),
        (V::Str(p), V::Str(q)) if matches!(a, Arith::Add) => V::Str(Cow::Owned(format!("{p}{q}"))),
        _ => return Err(failed("arithmetic on mixed types")),
    })
}

/// `&&` / `||` exactly as cel 0.15: the left side may be an error or a non-bool and still be
/// absorbed by a deciding right side; an error on the right always propagates.
fn logical<'a>(x: &'a Nx, y: &'a Nx, env: &Env<'a>, is_or: bool) -> Result<V<'a>, EvalError> {
    let left = match x.eval(env) {
        Ok(V::Bool(b)) => Ok(b),
        Ok(_) => Err(failed(if is_or { "_||_" } else { "_&&_" })),
        Err(e) => Err(e),
    };
    if left == Ok(is_or) {
        return Ok(V::Bool(is_or));
    }
    let right = y.eval(env)?;
    match (left, right) {
        (Ok(_), V::Bool(r)) => Ok(V::Bool(r)),
        (Err(_), V::Bool(r)) if r == is_or => Ok(V::Bool(r)),
        (Err(e), _) => Err(e),
        (Ok(_), _) => Err(failed(if is_or { "_||_" } else { "_&&_" })),
    }
}

#[allow(clippy::cast_precision_loss)] // mirrors cel's `i as f64`
fn equal(a: &V<'_>, b: &V<'_>) -> bool {
    match (a, b) {
        (V::Bool(x), V::Bool(y)) => x == y,
        (V::Int(x), V::Int(y)) => x == y,
        (V::Float(x), V::Float(y)) => x == y,
        (V::Int(x), V::Float(y)) | (V::Float(y), V::Int(x)) => (*x as f64) == *y,
        (V::Str(x), V::Str(y)) => x == y,
        _ => false,
    }
}

#[allow(clippy::cast_precision_loss)]
fn compare(c: Cmp, a: &V<'_>, b: &V<'_>) -> Result<bool, EvalError> {
    match c {
        Cmp::Eq => return Ok(equal(a, b)),
        Cmp::Ne => return Ok(!equal(a, b)),
        _ => {}
    }
    let ord = match (a, b) {
        (V::Int(x), V::Int(y)) => Some(x.cmp(y)),
        (V::Float(x), V::Float(y)) => x.partial_cmp(y),
        (V::Int(x), V::Float(y)) => (*x as f64).partial_cmp(y),
        (V::Float(x), V::Int(y)) => x.partial_cmp(&(*y as f64)),
        (V::Str(x), V::Str(y)) => Some(x.cmp(y)),
        (V::Bool(x), V::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    };
    let ord =
        ord.ok_or_else(|| EvalError::Failed(format!("{a:?} can not be compared to {b:?}")))?;
    Ok(match c {
        Cmp::Lt => ord == Ordering::Less,
        Cmp::Le => ord != Ordering::Greater,
        Cmp::Gt => ord == Ordering::Greater,
        _ => ord != Ordering::Less,
    })
}
