//! CEL conditions: the `when` of every rule. Compiled once per playbook (under `catch_unwind`,
//! since the cel parser has panicked on bad input), statically checked for the names they read,
//! evaluated per decision against one shared scope.
//!
//! Variables a condition can read:
//! `contact.<prop>`, `company.<prop>` (declared properties, typed), `event.<field>`,
//! `lists.<name>` (playbook lists), `flags.<id>` (named conditions), `role` (buying role id or
//! ""), `email_domain`, `now_ms` (epoch milliseconds of the decision).

// Native vs interpreter agreement: for the property tests and the `cel_compile` fuzz target.
#[cfg(any(test, fuzzing))]
pub mod agreement;
pub(crate) mod company_free;
pub(crate) mod evaluator;
pub(crate) mod fastpath;
#[cfg(test)]
mod tests_fastpath;

use std::collections::{BTreeSet, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use cel::common::ast::{CallExpr, EntryExpr, Expr, IdedExpr, LiteralValue};
use cel::extractors::This;
use cel::{Context, Env, ExecutionError, Program, Value};
use regex::{Regex, RegexBuilder};

/// Sources longer or more deeply nested than this are refused before parsing: the recursive
/// descent parser could overflow the stack, which no `catch_unwind` can stop.
const MAX_SOURCE_LEN: usize = 4_000;
const MAX_NESTING: usize = 40;
/// Syntax trees deeper than this are refused after parsing: the cel interpreter evaluates
/// recursively, and a chain like `x + 1 + … + 1` without brackets (990 terms in a release
/// build, about 50 in a debug build) overflowed a 2 MiB tokio worker stack — where a rules
/// reload runs — when evaluated (found with the `cel_compile` fuzz target, docs/fuzzing.md).
/// The shipped playbook's conditions are at most 5 levels deep.
pub(crate) const MAX_DEPTH: usize = 24;

/// The variables conditions may use.
pub(crate) const VARIABLES: [&str; 8] = [
    "contact",
    "company",
    "event",
    "lists",
    "flags",
    "role",
    "email_domain",
    "now_ms",
];

/// A compiled condition with its source.
#[derive(Debug)]
pub struct Condition {
    pub source: String,
    program: Program,
    /// The same condition lowered for the native evaluator, when it fits the subset.
    pub(crate) native: Option<crate::conditions::fastpath::Nx>,
}

/// Names a condition reads, found by walking its syntax tree.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct References {
    /// `(variable, field)` pairs, e.g. `("contact", "country")`.
    pub fields: BTreeSet<(String, String)>,
    /// Free identifiers that are not comprehension variables.
    pub idents: BTreeSet<String>,
    /// Literal patterns passed to `matches()`, compiled once per playbook.
    pub patterns: BTreeSet<String>,
}

/// Regexes of `matches()` by pattern, compiled when the playbook is loaded: cel 0.15 would
/// compile the pattern on every evaluation (~85 µs each, most of a decision's time).
pub(crate) type Regexes = Arc<HashMap<String, Regex>>;

/// Compiles one pattern with a size limit (a pattern is admin input too).
pub(crate) fn compile_regex(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| format!("invalid regex `{pattern}`: {e}"))
}

/// A shared CEL environment: the standard library plus the strings extension.
pub(crate) fn environment() -> Arc<Env> {
    let mut env = Env::stdlib();
    // Declaring the strings extension on a fresh env cannot conflict; if it ever did, the
    // conditions would simply lack `lowerAscii()` etc. and fail the check, not the process.
    let _ = env.add_extension(cel::extensions::strings);
    Arc::new(env)
}

fn nesting(src: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for ch in src.chars() {
        match ch {
            '(' | '[' | '{' => {
                depth += 1;
                max = max.max(depth);
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

impl Condition {
    /// Compiles `source`; the error is a readable message (with the parser's caret line).
    pub fn compile(env: &Env, source: &str) -> Result<Condition, String> {
        if source.trim().is_empty() {
            return Err("empty condition".to_string());
        }
        if source.len() > MAX_SOURCE_LEN || nesting(source) > MAX_NESTING {
            return Err(format!(
                "condition too long or too deeply nested (max {MAX_SOURCE_LEN} chars, {MAX_NESTING} levels)"
            ));
        }
        match catch_unwind(AssertUnwindSafe(|| env.compile(source))) {
            Ok(Ok(program)) if depth(program.expression()) > MAX_DEPTH => Err(format!(
                "condition nests more than {MAX_DEPTH} levels deep (a long chain of operators?); split it into flags"
            )),
            Ok(Ok(program)) => Ok(Condition {
                source: source.to_string(),
                program,
                native: None,
            }),
            Ok(Err(e)) => Err(e.to_string().trim_end().to_string()),
            Err(_) => Err("the CEL parser crashed on this expression".to_string()),
        }
    }

    /// Lowers the condition for the native evaluator (see `fastpath.rs`).
    pub(crate) fn lower(&mut self, names: &mut dyn crate::conditions::fastpath::Names) {
        self.native = crate::conditions::fastpath::lower(self.program.expression(), names);
    }

    /// True when the condition runs on the native evaluator.
    #[cfg(test)]
    pub(crate) fn is_native(&self) -> bool {
        self.native.is_some()
    }

    pub(crate) fn references(&self) -> References {
        let mut refs = References::default();
        walk(self.program.expression(), &mut Vec::new(), &mut refs);
        refs
    }

    /// Evaluates to a bool. Any non-bool result is an error.
    pub(crate) fn eval(&self, scope: &Scope<'_>) -> Result<bool, EvalError> {
        let result = catch_unwind(AssertUnwindSafe(|| self.program.execute(&scope.ctx)));
        match result {
            Ok(Ok(Value::Bool(b))) => Ok(b),
            Ok(Ok(other)) => Err(EvalError::NotBool(format!("{other:?}"))),
            Ok(Err(ExecutionError::NoSuchKey(k))) => Err(EvalError::Missing(k.to_string())),
            Ok(Err(e)) => Err(EvalError::Failed(e.to_string())),
            Err(_) => Err(EvalError::Failed("the CEL interpreter crashed".to_string())),
        }
    }
}

impl Condition {
    /// Evaluates for a decision: an error counts as "no match"; errors other than a missing
    /// value are noted in `warnings` under `label` (the rule's id).
    pub fn holds(&self, scope: &Scope<'_>, label: &str, warnings: &mut Vec<String>) -> bool {
        match self.eval(scope) {
            Ok(b) => b,
            Err(EvalError::Missing(_)) => false,
            Err(e) => {
                warnings.push(format!("{label}: {e}; counted as no match"));
                false
            }
        }
    }
}

/// Why a condition gave no answer. `Missing` is ordinary (a property without a value, read
/// without a `has()` guard) and counts as "no match"; the others are worth a warning.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum EvalError {
    #[error("no value for `{0}`")]
    Missing(String),
    #[error("result is not a bool: {0}")]
    NotBool(String),
    #[error("{0}")]
    Failed(String),
}

/// How deep the syntax tree goes, measured without recursion (a deep tree is what is being
/// looked for).
fn depth(root: &IdedExpr) -> usize {
    let mut max = 0;
    let mut stack = vec![(root, 1usize)];
    while let Some((e, d)) = stack.pop() {
        max = max.max(d);
        let mut children: Vec<&IdedExpr> = Vec::new();
        match &e.expr {
            Expr::Select(sel) => children.push(&sel.operand),
            Expr::Call(call) => {
                children.extend(call.target.as_deref());
                children.extend(&call.args);
            }
            Expr::Comprehension(c) => {
                children.extend([
                    &c.iter_range,
                    &c.accu_init,
                    &c.loop_cond,
                    &c.loop_step,
                    &c.result,
                ]);
            }
            Expr::List(l) => children.extend(&l.elements),
            Expr::Map(m) => m
                .entries
                .iter()
                .for_each(|e| entry_children(&e.expr, &mut children)),
            Expr::Struct(st) => st
                .entries
                .iter()
                .for_each(|e| entry_children(&e.expr, &mut children)),
            Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
        }
        stack.extend(children.into_iter().map(|c| (c, d + 1)));
    }
    max
}

fn entry_children<'a>(e: &'a EntryExpr, out: &mut Vec<&'a IdedExpr>) {
    match e {
        EntryExpr::MapEntry(m) => out.extend([&m.key, &m.value]),
        EntryExpr::StructField(f) => out.push(&f.value),
    }
}

fn walk(e: &IdedExpr, bound: &mut Vec<String>, refs: &mut References) {
    match &e.expr {
        Expr::Ident(name) => {
            if !bound.iter().any(|b| b == name) {
                refs.idents.insert(name.clone());
            }
        }
        Expr::Select(sel) => {
            if let Expr::Ident(var) = &sel.operand.expr
                && !bound.iter().any(|b| b == var)
            {
                refs.fields.insert((var.clone(), sel.field.clone()));
            }
            walk(&sel.operand, bound, refs);
        }
        Expr::Call(call) => {
            call_refs(call, refs);
            if let Some(t) = &call.target {
                walk(t, bound, refs);
            }
            call.args.iter().for_each(|a| walk(a, bound, refs));
        }
        Expr::Comprehension(c) => {
            walk(&c.iter_range, bound, refs);
            walk(&c.accu_init, bound, refs);
            let added = 2 + usize::from(c.iter_var2.is_some());
            bound.push(c.iter_var.clone());
            bound.push(c.accu_var.clone());
            bound.extend(c.iter_var2.clone());
            for part in [&c.loop_cond, &c.loop_step, &c.result] {
                walk(part, bound, refs);
            }
            bound.truncate(bound.len().saturating_sub(added));
        }
        Expr::List(l) => l.elements.iter().for_each(|x| walk(x, bound, refs)),
        Expr::Map(m) => m
            .entries
            .iter()
            .for_each(|entry| walk_entry(&entry.expr, bound, refs)),
        Expr::Struct(s) => s
            .entries
            .iter()
            .for_each(|entry| walk_entry(&entry.expr, bound, refs)),
        Expr::Literal(_) | Expr::Unspecified => {}
    }
}

/// What a call itself reads: the pattern of `matches`, the field of `contact["x"]` (which reads
/// a field just like `contact.x`).
fn call_refs(call: &CallExpr, refs: &mut References) {
    let pattern = match (call.target.is_some(), call.args.as_slice()) {
        (true, [p]) | (false, [_, p]) => Some(p),
        _ => None,
    };
    if call.func_name == "matches"
        && let Some(IdedExpr {
            expr: Expr::Literal(LiteralValue::String(p)),
            ..
        }) = pattern
    {
        refs.patterns.insert(p.to_string());
    }
    if call.func_name == "_[_]"
        && let [
            IdedExpr {
                expr: Expr::Ident(var),
                ..
            },
            IdedExpr {
                expr: Expr::Literal(LiteralValue::String(s)),
                ..
            },
        ] = call.args.as_slice()
    {
        refs.fields.insert((var.clone(), s.to_string()));
    }
}

fn walk_entry(e: &EntryExpr, bound: &mut Vec<String>, refs: &mut References) {
    match e {
        EntryExpr::MapEntry(m) => {
            walk(&m.key, bound, refs);
            walk(&m.value, bound, refs);
        }
        EntryExpr::StructField(f) => walk(&f.value, bound, refs),
    }
}

/// The variables of one decision, built once and shared by every condition.
pub struct Scope<'v> {
    ctx: Context<'v, 'v>,
}

/// The values a scope is built from.
pub(crate) struct ScopeValues {
    pub contact: Value,
    pub company: Value,
    pub event: Value,
    pub lists: Value,
    pub email_domain: String,
    pub now_ms: i64,
}

impl<'v> Scope<'v> {
    pub(crate) fn new(env: Arc<Env>, regexes: &Regexes, v: ScopeValues) -> Scope<'v> {
        let mut ctx = Context::with_env(env);
        let cache = Arc::clone(regexes);
        // `matches` is not declared in the env (cel's regex feature is off), so this cannot
        // conflict; were it to, conditions using it would fail the playbook check.
        let _ = ctx.add_function(
            "matches",
            move |This(text): This<Arc<String>>,
                  pattern: Arc<String>|
                  -> Result<bool, ExecutionError> {
                match cache.get(pattern.as_str()) {
                    Some(re) => Ok(re.is_match(&text)),
                    None => compile_regex(&pattern)
                        .map(|re| re.is_match(&text))
                        .map_err(|m| ExecutionError::function_error("matches", m)),
                }
            },
        );
        ctx.add_variable_from_value("contact", v.contact);
        ctx.add_variable_from_value("company", v.company);
        ctx.add_variable_from_value("event", v.event);
        ctx.add_variable_from_value("lists", v.lists);
        ctx.add_variable_from_value("email_domain", v.email_domain);
        ctx.add_variable_from_value("now_ms", Value::Int(v.now_ms));
        ctx.add_variable_from_value(
            "flags",
            Value::Map(cel::objects::Map {
                map: Arc::new(HashMap::new()),
            }),
        );
        ctx.add_variable_from_value("role", String::new());
        Scope { ctx }
    }

    /// Publishes the named conditions (`flags.<id>`) once they are evaluated.
    pub(crate) fn set_flags(&mut self, flags: &[(String, bool)]) {
        let map: HashMap<cel::objects::Key, Value> = flags
            .iter()
            .map(|(k, v)| (cel::objects::Key::from(k.clone()), Value::Bool(*v)))
            .collect();
        self.ctx.add_variable_from_value(
            "flags",
            Value::Map(cel::objects::Map { map: Arc::new(map) }),
        );
    }

    pub(crate) fn set_role(&mut self, role: &str) {
        self.ctx.add_variable_from_value("role", role.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(contact: &[(&str, Value)]) -> Scope<'static> {
        let map: HashMap<cel::objects::Key, Value> = contact
            .iter()
            .map(|(k, v)| (cel::objects::Key::from(*k), v.clone()))
            .collect();
        let lists: HashMap<cel::objects::Key, Value> = [(
            cel::objects::Key::from("free"),
            Value::from(vec!["gmail.com"]),
        )]
        .into_iter()
        .collect();
        Scope::new(
            environment(),
            &Regexes::default(),
            ScopeValues {
                contact: Value::Map(cel::objects::Map { map: Arc::new(map) }),
                company: Value::Map(cel::objects::Map {
                    map: Arc::new(HashMap::new()),
                }),
                event: Value::Map(cel::objects::Map {
                    map: Arc::new(HashMap::new()),
                }),
                lists: Value::Map(cel::objects::Map {
                    map: Arc::new(lists),
                }),
                email_domain: "gmail.com".into(),
                now_ms: 0,
            },
        )
    }

    fn eval(src: &str, s: &Scope<'_>) -> Result<bool, EvalError> {
        let env = environment();
        Condition::compile(&env, src)
            .map_err(EvalError::Failed)?
            .eval(s)
    }

    #[test]
    fn evaluates_typed_properties_lists_and_strings() {
        let s = scope(&[
            ("n", Value::Int(600)),
            ("f", Value::Float(600.5)),
            ("title", Value::from("VP Sales")),
        ]);
        assert_eq!(
            eval("contact.n >= 500 && email_domain in lists.free", &s),
            Ok(true)
        );
        assert_eq!(eval("contact.f > 600", &s), Ok(true));
        assert_eq!(
            eval("contact.title.lowerAscii().contains('vp')", &s),
            Ok(true)
        );
        assert_eq!(eval("contact.title.matches('(?i)^vp')", &s), Ok(true));
        assert_eq!(eval("has(contact.phone)", &s), Ok(false));
        assert_eq!(
            eval("contact.phone == '1'", &s),
            Err(EvalError::Missing("phone".into()))
        );
        assert!(matches!(
            eval("contact.n + 'x'", &s),
            Err(EvalError::Failed(_))
        ));
        assert!(matches!(eval("contact.n", &s), Err(EvalError::NotBool(_))));
    }

    #[test]
    fn compile_errors_are_messages_not_panics() {
        let env = environment();
        for bad in [
            "",
            "contact.n >=",
            "((((((((((((((((((((((((((((((((((((((((((1))))))))))))))))))))))))))))))))))))))))))",
            "'\\",
            "a.b.c[",
            "}{",
            "1 ? 2",
        ] {
            assert!(Condition::compile(&env, bad).is_err(), "{bad}");
        }
    }

    /// Found by the `cel_compile` fuzz target (docs/fuzzing.md): a long operator chain without
    /// brackets passed the length and nesting checks and overflowed the interpreter's stack.
    #[test]
    fn operator_chains_too_deep_to_evaluate_are_refused_and_the_deepest_allowed_runs_on_a_worker_stack()
     {
        let env = environment();
        let chain = |terms: usize| format!("contact.n{} > 0", " + 1".repeat(terms));
        let refused = Condition::compile(&env, &chain(990));
        assert!(
            refused.as_ref().is_err_and(|e| e.contains("levels deep")),
            "{:?}",
            refused.map(|c| c.source.len())
        );
        let deepest = (1..MAX_DEPTH)
            .rev()
            .find(|&n| Condition::compile(&env, &chain(n)).is_ok())
            .unwrap_or(0);
        assert!(deepest > MAX_DEPTH - 5, "only {deepest} terms compile");
        let source = chain(deepest);
        // A rules reload compiles and checks on a tokio worker thread (2 MiB of stack).
        let answer = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || {
                let condition = Condition::compile(&environment(), &source)?;
                condition
                    .eval(&scope(&[("n", Value::Int(1))]))
                    .map_err(|e| e.to_string())
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(answer, Ok(true));
    }

    #[test]
    fn references_name_fields_and_skip_comprehension_variables() {
        let env = environment();
        let c = Condition::compile(
            &env,
            "has(contact.phone) && contact['zip'].startsWith('1') && lists.free.exists(d, d == email_domain) && company.x > 1 && foo",
        );
        let refs = c
            .map(|c| c.references())
            .unwrap_or_else(|e| unreachable!("{e}"));
        let fields: Vec<String> = refs
            .fields
            .iter()
            .map(|(a, b)| format!("{a}.{b}"))
            .collect();
        assert_eq!(
            fields,
            ["company.x", "contact.phone", "contact.zip", "lists.free"]
        );
        assert!(refs.idents.contains("foo"));
        assert!(!refs.idents.contains("d"));
    }
}
