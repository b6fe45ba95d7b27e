//! From TOML text to a compiled [`Playbook`]: structural validation, CEL compilation with a
//! static check of every name a condition reads, calendars, durations and the stable hash.
//! All problems are reported together.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use cel::objects::{Key, Map};
use cel::{Env, Value};
use jiff::SignedDuration;
use sha2::{Digest, Sha256};

use crate::calendar::Calendar;
use crate::calendar::duration::{BizDuration, LadderOffset};
use crate::conditions::{Condition, Regexes, VARIABLES, compile_regex, environment};
use crate::contact::{EVENT_FIELDS, ViewSchema};
use crate::playbook::validate::{Problem, validate};
use crate::playbook::{PlaybookDoc, TierDoc};

/// A checked, compiled playbook. Cheap to share (`Arc<Playbook>`) between workers.
pub struct Playbook {
    pub doc: PlaybookDoc,
    hash: String,
    pub(crate) env: Arc<Env>,
    pub(crate) schema: ViewSchema,
    pub(crate) lists: Value,
    pub(crate) regexes: Regexes,
    /// `definitions.lists` in key order (native evaluator).
    pub(crate) list_values: Vec<Vec<String>>,
    pub(crate) flags: Vec<Condition>,
    pub(crate) roles: Vec<Condition>,
    pub(crate) disqualifiers: Vec<Condition>,
    pub(crate) fit: Vec<Condition>,
    pub(crate) engagement: Vec<Condition>,
    pub(crate) route_when: Vec<Option<Condition>>,
    /// Tiers sorted by `min_score`, highest first.
    pub(crate) tiers: Vec<TierDoc>,
    pub(crate) calendars: BTreeMap<String, Calendar>,
    pub(crate) sla_first_touch: Vec<BizDuration>,
    pub(crate) ladder: Vec<LadderOffset>,
    pub(crate) close_loop_after: Option<BizDuration>,
}

impl std::fmt::Debug for Playbook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Playbook")
            .field("name", &self.doc.name)
            .field("hash", &self.hash)
            .finish_non_exhaustive()
    }
}

impl Playbook {
    /// The CEL scope of contact `c` at `now_ms` (its view, company, event, lists, email
    /// domain); the view's data warnings go to `warnings`.
    pub(crate) fn scope_for(
        &self,
        c: &crate::contact::Contact,
        now_ms: i64,
        warnings: &mut Vec<crate::contact::ViewWarning>,
    ) -> crate::conditions::Scope<'static> {
        let (contact, company) = crate::contact::build_view(c, &self.schema, warnings);
        crate::conditions::Scope::new(
            Arc::clone(&self.env),
            &self.regexes,
            crate::conditions::ScopeValues {
                contact,
                company,
                event: crate::contact::event_value(c.event.as_ref()),
                lists: self.lists.clone(),
                email_domain: c.email_domain(),
                now_ms,
            },
        )
    }

    /// Parses and compiles a playbook; on failure, every problem found.
    pub fn from_toml_str(text: &str) -> Result<Playbook, Vec<Problem>> {
        let doc: PlaybookDoc =
            crate::playbook::toml_doc::from_toml(text, "playbook").map_err(|e| {
                let at =
                    e.at.map(|(line, column)| format!(" (line {line}, column {column})"))
                        .unwrap_or_default();
                vec![Problem::new(
                    e.problem.path,
                    format!("{}{at}", e.problem.message),
                )]
            })?;
        Playbook::from_doc(doc)
    }

    pub fn from_doc(doc: PlaybookDoc) -> Result<Playbook, Vec<Problem>> {
        let mut problems = validate(&doc);
        let env = environment();
        let mut schema = ViewSchema {
            contact: doc.properties.contact.clone(),
            company: doc.properties.company.clone(),
            ..ViewSchema::default()
        };
        let mut regexes = HashMap::new();
        let mut cx = Compiler {
            env: &env,
            doc: &doc,
            schema: &mut schema,
            problems: &mut problems,
            regexes: &mut regexes,
        };
        let Conditions {
            flags,
            roles,
            disqualifiers,
            fit,
            engagement,
            route_when,
        } = cx.conditions();
        let calendars = compile_calendars(&doc, &mut problems);
        let (sla_first_touch, ladder, close_loop_after) = durations(&doc);
        if !problems.is_empty() {
            problems.sort();
            problems.dedup();
            return Err(problems);
        }
        let mut tiers = doc.scoring.tiers.clone();
        tiers.sort_by(|a, b| b.min_score.cmp(&a.min_score).then_with(|| a.id.cmp(&b.id)));
        let lists = lists_value(&doc.definitions.lists);
        let list_values = doc.definitions.lists.values().cloned().collect();
        let hash = hash_of(&doc);
        Ok(Playbook {
            doc,
            hash,
            env,
            schema,
            lists,
            regexes: Arc::new(regexes),
            list_values,
            flags,
            roles,
            disqualifiers,
            fit,
            engagement,
            route_when,
            tiers,
            calendars,
            sla_first_touch,
            ladder,
            close_loop_after,
        })
    }

    /// Stable hash of the playbook's content (`sha256:` + hex): independent of comments,
    /// whitespace and key order in the TOML, changed by any semantic edit.
    /// The playbook's `name`, which portals refer to (`hubspot.portals[].playbook`).
    pub fn name(&self) -> &str {
        &self.doc.name
    }

    pub fn hash(&self) -> &str {
        &self.hash
    }

    pub fn calendar(&self, id: &str) -> Option<&Calendar> {
        self.calendars.get(id)
    }

    /// Every condition with its key path, in playbook order (for `check_playbook`).
    pub fn conditions(&self) -> Vec<(String, &Condition)> {
        let mut out = Vec::new();
        let groups: [(&str, &Vec<Condition>); 5] = [
            ("playbook.definitions.flags", &self.flags),
            ("playbook.definitions.buying_roles", &self.roles),
            ("playbook.definitions.disqualifiers", &self.disqualifiers),
            ("playbook.scoring.fit", &self.fit),
            ("playbook.scoring.engagement", &self.engagement),
        ];
        for (at, conds) in groups {
            out.extend(
                conds
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (format!("{at}[{i}].when"), c)),
            );
        }
        for (i, c) in self.route_when.iter().enumerate() {
            if let Some(c) = c {
                out.push((format!("playbook.routing.rules[{i}].when"), c));
            }
        }
        out
    }
}

/// Every condition of a playbook, compiled, in playbook order.
struct Conditions {
    flags: Vec<Condition>,
    roles: Vec<Condition>,
    disqualifiers: Vec<Condition>,
    fit: Vec<Condition>,
    engagement: Vec<Condition>,
    route_when: Vec<Option<Condition>>,
}

/// The SLA tiers' first-touch times, the ladder's offsets and the close-the-loop time (any that
/// do not parse are reported by `validate`).
fn durations(doc: &PlaybookDoc) -> (Vec<BizDuration>, Vec<LadderOffset>, Option<BizDuration>) {
    let sla_first_touch = doc
        .sla
        .tiers
        .iter()
        .filter_map(|t| BizDuration::parse(&t.first_touch).ok())
        .collect();
    let ladder = doc
        .ladder
        .iter()
        .filter_map(|s| LadderOffset::parse(&s.at).ok())
        .collect();
    let close_loop_after = doc
        .dispositions
        .close_loop_after
        .as_deref()
        .and_then(|d| BizDuration::parse(d).ok());
    (sla_first_touch, ladder, close_loop_after)
}

struct Compiler<'a> {
    env: &'a Env,
    doc: &'a PlaybookDoc,
    schema: &'a mut ViewSchema,
    problems: &'a mut Vec<Problem>,
    regexes: &'a mut HashMap<String, regex::Regex>,
}

impl Compiler<'_> {
    fn conditions(&mut self) -> Conditions {
        let doc = self.doc;
        let d = &doc.definitions;
        Conditions {
            flags: self.all(
                "playbook.definitions.flags",
                d.flags.iter().map(|f| f.when.as_str()),
            ),
            roles: self.all(
                "playbook.definitions.buying_roles",
                d.buying_roles.iter().map(|f| f.when.as_str()),
            ),
            disqualifiers: self.all(
                "playbook.definitions.disqualifiers",
                d.disqualifiers.iter().map(|f| f.when.as_str()),
            ),
            fit: self.all(
                "playbook.scoring.fit",
                doc.scoring.fit.iter().map(|r| r.when.as_str()),
            ),
            engagement: self.all(
                "playbook.scoring.engagement",
                doc.scoring.engagement.iter().map(|r| r.when.as_str()),
            ),
            route_when: doc
                .routing
                .rules
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let at = format!("playbook.routing.rules[{i}].when");
                    r.when.as_deref().and_then(|w| self.one(at, w))
                })
                .collect(),
        }
    }

    fn all<'s>(&mut self, at: &str, sources: impl Iterator<Item = &'s str>) -> Vec<Condition> {
        let mut out = Vec::new();
        for (i, src) in sources.enumerate() {
            if let Some(c) = self.one(format!("{at}[{i}].when"), src) {
                out.push(c);
            }
        }
        out
    }

    /// Compiles one condition and checks every name it reads against the declarations.
    fn one(&mut self, path: String, src: &str) -> Option<Condition> {
        let before = self.problems.len();
        let mut cond = match Condition::compile(self.env, src) {
            Ok(c) => c,
            Err(m) => {
                self.problems.push(Problem::new(path, m));
                return None;
            }
        };
        let refs = cond.references();
        for pattern in &refs.patterns {
            match compile_regex(pattern) {
                Ok(re) => {
                    self.regexes.insert(pattern.clone(), re);
                }
                Err(m) => self.problems.push(Problem::new(&path, m)),
            }
        }
        for ident in &refs.idents {
            if !VARIABLES.contains(&ident.as_str()) {
                self.problems.push(Problem::new(
                    &path,
                    format!(
                        "unknown variable `{ident}` (use one of: {})",
                        VARIABLES.join(", ")
                    ),
                ));
            }
        }
        for (var, field) in &refs.fields {
            self.check_field(&path, var, field);
        }
        if self.problems.len() == before {
            cond.lower(self);
        }
        Some(cond)
    }
}

impl Compiler<'_> {
    /// Reports `var.field` when the playbook declares no such field.
    fn check_field(&mut self, path: &str, var: &str, field: &str) {
        let d = &self.doc.definitions;
        let known = match var {
            "contact" => mark_used(&self.schema.contact, &mut self.schema.used_contact, field),
            "company" => mark_used(&self.schema.company, &mut self.schema.used_company, field),
            "event" => EVENT_FIELDS.contains(&field),
            "lists" => d.lists.contains_key(field),
            "flags" => d.flags.iter().any(|f| f.id == field),
            _ => true,
        };
        if known {
            return;
        }
        let hint = match var {
            "contact" | "company" => {
                format!("; declare it under [playbook.properties.{var}] if it exists in HubSpot")
            }
            _ => String::new(),
        };
        self.problems.push(Problem::new(
            path,
            format!("unknown {var} field `{var}.{field}`{hint}"),
        ));
    }
}

impl crate::conditions::fastpath::Names for Compiler<'_> {
    fn slot(&mut self, var: &str, field: &str) -> Option<usize> {
        let company = var == "company";
        let ty = if company {
            self.schema.company.get(field)
        } else {
            self.schema.contact.get(field)
        };
        let ty = *ty?;
        let slots = &mut self.schema.slots;
        match slots
            .iter()
            .position(|(c, n, _)| *c == company && n == field)
        {
            Some(i) => Some(i),
            None => {
                slots.push((company, field.to_string(), ty));
                Some(slots.len() - 1)
            }
        }
    }

    fn list(&self, name: &str) -> Option<usize> {
        self.doc.definitions.lists.keys().position(|k| k == name)
    }

    fn flag(&self, id: &str) -> Option<usize> {
        self.doc.definitions.flags.iter().position(|f| f.id == id)
    }

    fn regex(&self, pattern: &str) -> Option<Arc<regex::Regex>> {
        self.regexes.get(pattern).cloned().map(Arc::new)
    }
}

/// True when `field` is declared; then it is also recorded as read by some condition.
fn mark_used(
    declared: &BTreeMap<String, crate::contact::PropertyType>,
    used: &mut BTreeSet<String>,
    field: &str,
) -> bool {
    let known = declared.contains_key(field);
    if known {
        used.insert(field.to_string());
    }
    known
}

fn compile_calendars(doc: &PlaybookDoc, problems: &mut Vec<Problem>) -> BTreeMap<String, Calendar> {
    let mut out = BTreeMap::new();
    for (id, c) in &doc.calendars {
        let (Ok(hours), Ok(holidays)) = (
            c.hours.parse(),
            c.holidays
                .iter()
                .map(|h| h.parse::<jiff::civil::Date>())
                .collect::<Result<Vec<_>, _>>(),
        ) else {
            continue; // already reported by validate
        };
        let business_day = match c.business_day.as_deref().map(BizDuration::parse) {
            Some(Ok(BizDuration::Exact(d))) => d,
            _ => SignedDuration::from_hours(8),
        };
        match Calendar::new(id, &c.time_zone, hours, holidays, business_day) {
            Ok(cal) => {
                out.insert(id.clone(), cal);
            }
            Err(e) => problems.push(Problem::new(
                format!("playbook.calendars.{id}"),
                e.to_string(),
            )),
        }
    }
    out
}

fn lists_value(lists: &BTreeMap<String, Vec<String>>) -> Value {
    let map: HashMap<Key, Value> = lists
        .iter()
        .map(|(k, v)| (Key::from(k.clone()), Value::from(v.clone())))
        .collect();
    Value::Map(Map { map: Arc::new(map) })
}

fn hash_of(doc: &PlaybookDoc) -> String {
    // serde_json of plain structs and BTreeMaps is deterministic: field order is declaration
    // order, map keys are sorted.
    let bytes = serde_json::to_vec(doc).unwrap_or_default();
    let digest = Sha256::digest(&bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}
