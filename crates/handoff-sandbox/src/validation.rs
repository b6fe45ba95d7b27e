//! Write validation as a portal's admins configure it (docs/hubspot.md "Write validation"):
//! properties required when a record is created (HubSpot's Create Record requirements) and
//! properties required when other properties have given values (conditional property rules),
//! per object, set at run time with `POST /_sandbox/validation` and cleared by a reset.
//!
//! A write that misses one is refused in the shape HubSpot's changelog shows for 2026-09: per
//! input inside a batch (an error with `errors[].code` and `errors[].context.propertyName`,
//! inside the 200/201 on 2026-09 and in a 207 on v3), or the whole request with a 400 when the
//! rules say `wholeRequest` (the single-record shape; what a batch gets is unverified, so both
//! can be played). The rules apply on both API versions: whether the older paths are exempt is
//! unverified. Required properties apply to creates (tasks, leads); conditional rules to
//! those creates and to contact updates, judged on the record as it would be after the write.

use std::collections::{BTreeMap, HashMap};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Sandbox;
use super::error::{ApiError, HsJson};
use super::state::Kind;

/// `POST /_sandbox/validation`: the rules of one object, replacing its earlier ones.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ValidationInput {
    /// `tasks`, `leads` or `contacts`.
    pub object: String,
    /// Properties every create must carry (`MISSING_REQUIRED_PROPERTY`).
    #[serde(default)]
    pub required: Vec<String>,
    /// Properties required under a condition (`MISSING_CONDITIONAL_REQUIRED_PROPERTY`).
    #[serde(default)]
    pub conditional: Vec<ConditionalRule>,
    /// Refuse the whole request with a 400 instead of the input inside the batch answer.
    #[serde(default)]
    pub whole_request: bool,
}

/// `property` is required when every `when` property has its value (case-insensitively).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionalRule {
    pub property: String,
    pub when: BTreeMap<String, String>,
}

/// The rules in force, by object.
#[derive(Debug, Clone, Default)]
pub(crate) struct Rules(HashMap<Kind, ValidationInput>);

/// What a write misses.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Missing {
    code: &'static str,
    property: String,
    message: String,
    /// The rules answer the whole request with 400.
    pub(crate) whole_request: bool,
}

fn kind_of(object: &str) -> Option<Kind> {
    match object {
        "tasks" => Some(Kind::Task),
        "leads" => Some(Kind::Lead),
        "contacts" => Some(Kind::Contact),
        _ => None,
    }
}

fn blank(props: &BTreeMap<String, String>, name: &str) -> bool {
    props.get(name).is_none_or(|v| v.trim().is_empty())
}

impl Rules {
    /// The first rule `props` (the record after the write) breaks; `creating`: a create.
    pub(crate) fn check(
        &self,
        kind: Kind,
        props: &BTreeMap<String, String>,
        creating: bool,
    ) -> Option<Missing> {
        let rules = self.0.get(&kind)?;
        let required = rules
            .required
            .iter()
            .filter(|_| creating)
            .find(|p| blank(props, p))
            .map(|p| {
                (
                    "MISSING_REQUIRED_PROPERTY",
                    p.clone(),
                    format!("A value for {p} must be provided"),
                )
            });
        let conditional = || {
            rules.conditional.iter().find_map(|r| {
                let applies = r.when.iter().all(|(k, v)| {
                    props.get(k).is_some_and(|have| have.eq_ignore_ascii_case(v))
                });
                (applies && blank(props, &r.property)).then(|| {
                    let based_on = r.when.keys().cloned().collect::<Vec<_>>().join(", ");
                    (
                        "MISSING_CONDITIONAL_REQUIRED_PROPERTY",
                        r.property.clone(),
                        format!(
                            "{} is required because of a conditional property rule based on [{based_on}]",
                            r.property
                        ),
                    )
                })
            })
        };
        let (code, property, message) = required.or_else(conditional)?;
        Some(Missing {
            code,
            property,
            message,
            whole_request: rules.whole_request,
        })
    }
}

impl Missing {
    fn entry(&self) -> Value {
        json!({"code": self.code, "message": self.message,
            "context": {"propertyName": [self.property]}})
    }

    /// One input's error inside a batch answer; `context` names the input.
    pub(crate) fn input_error(&self, context: (&str, String)) -> Value {
        let mut body = ApiError::validation("The property values provided are invalid")
            .with_context(context.0, vec![context.1])
            .body();
        body["errors"] = json!([self.entry()]);
        body
    }

    /// The whole request refused (400).
    pub(crate) fn request_error(&self) -> ApiError {
        ApiError::validation("The property values provided are invalid")
            .with_errors(vec![self.entry()])
    }
}

impl Sandbox {
    /// Sets the rules of one object (empty lists clear them).
    pub(crate) fn set_validation(&self, input: ValidationInput) -> Result<(), String> {
        let kind = kind_of(&input.object)
            .ok_or_else(|| format!("object `{}`: use tasks, leads or contacts", input.object))?;
        let names = input
            .required
            .iter()
            .chain(input.conditional.iter().map(|r| &r.property))
            .chain(input.conditional.iter().flat_map(|r| r.when.keys()));
        if names.clone().any(|n| n.trim().is_empty()) {
            return Err("property names must not be empty".into());
        }
        if input.conditional.iter().any(|r| r.when.is_empty()) {
            return Err("a conditional rule needs at least one `when` property".into());
        }
        self.crm().validation.0.insert(kind, input);
        Ok(())
    }

    /// The rules in force.
    pub fn validation(&self) -> Vec<ValidationInput> {
        let mut all: Vec<ValidationInput> = self.crm().validation.0.values().cloned().collect();
        all.sort_by(|a, b| a.object.cmp(&b.object));
        all
    }
}

pub(super) fn control(sb: Sandbox) -> Router {
    Router::new()
        .route("/validation", get(list).post(set))
        .with_state(sb)
}

async fn list(State(sb): State<Sandbox>) -> Json<Value> {
    Json(json!({ "results": sb.validation() }))
}

async fn set(
    State(sb): State<Sandbox>,
    HsJson(input): HsJson<ValidationInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    sb.set_validation(input).map_err(ApiError::validation)?;
    Ok((StatusCode::OK, Json(json!({ "results": sb.validation() }))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn required_properties_bind_creates_and_conditional_ones_their_condition() {
        let mut rules = Rules::default();
        rules.0.insert(
            Kind::Task,
            ValidationInput {
                object: "tasks".into(),
                required: vec!["hs_a".into()],
                conditional: vec![ConditionalRule {
                    property: "hs_b".into(),
                    when: BTreeMap::from([("hs_task_type".into(), "CALL".into())]),
                }],
                whole_request: false,
            },
        );
        let missing = rules.check(Kind::Task, &props(&[]), true).unwrap();
        assert_eq!(
            (missing.code, missing.property.as_str()),
            ("MISSING_REQUIRED_PROPERTY", "hs_a")
        );
        assert_eq!(
            rules.check(Kind::Task, &props(&[]), false),
            None,
            "updates skip create rules"
        );
        let call = props(&[("hs_a", "x"), ("hs_task_type", "call")]);
        let missing = rules.check(Kind::Task, &call, true).unwrap();
        assert_eq!(missing.code, "MISSING_CONDITIONAL_REQUIRED_PROPERTY");
        assert!(missing.message.contains("based on [hs_task_type]"));
        assert_eq!(
            rules.check(
                Kind::Task,
                &props(&[("hs_a", "x"), ("hs_task_type", "TODO")]),
                true
            ),
            None
        );
        assert_eq!(rules.check(Kind::Lead, &props(&[]), true), None);
        let e = missing.input_error(("objectWriteTraceId", "t".into()));
        assert_eq!(e["errors"][0]["context"]["propertyName"], json!(["hs_b"]));
        assert_eq!(e["context"]["objectWriteTraceId"], json!(["t"]));
    }
}
