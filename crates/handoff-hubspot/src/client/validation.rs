//! HubSpot's write validation (docs/hubspot.md "Write validation"): from API version 2026-09
//! HubSpot enforces the rules a portal's admins configure — properties required when a record
//! is created (Settings → Objects → Create Record) and properties required under a condition —
//! and refuses a write that misses one with `MISSING_REQUIRED_PROPERTY` or
//! `MISSING_CONDITIONAL_REQUIRED_PROPERTY` in `errors[].code`, the property in
//! `errors[].context.propertyName`. This module reads such a refusal out of a per-input batch
//! error or a whole-request error body, the same way on every API version (whether the older
//! paths are exempt is unverified, so v3 answers are read the same way). It also logs the
//! `warnings[]` of a write HubSpot accepted.

use std::fmt;

use serde::Deserialize;

use super::error::truncate;
use super::types::{Context, ErrorEntry, PortalId, StandardError};

/// Which rule refused the write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefusalCode {
    /// A property the portal requires on every create of the object is missing.
    MissingRequired,
    /// A property a conditional property rule requires (given other values) is missing.
    MissingConditionalRequired,
}

impl RefusalCode {
    /// HubSpot's code, verbatim: what logs, metrics and dead letters carry.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MissingRequired => "MISSING_REQUIRED_PROPERTY",
            Self::MissingConditionalRequired => "MISSING_CONDITIONAL_REQUIRED_PROPERTY",
        }
    }

    /// Lower case, for `error.code` (`hubspot.permanent.missing_required_property`).
    pub(crate) fn slug(self) -> &'static str {
        match self {
            Self::MissingRequired => "missing_required_property",
            Self::MissingConditionalRequired => "missing_conditional_required_property",
        }
    }

    fn parse(code: &str) -> Option<Self> {
        match code.trim() {
            "MISSING_REQUIRED_PROPERTY" => Some(Self::MissingRequired),
            "MISSING_CONDITIONAL_REQUIRED_PROPERTY" => Some(Self::MissingConditionalRequired),
            _ => None,
        }
    }
}

/// A write HubSpot refused because a required property is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteRefusal {
    /// The rule's kind.
    pub code: RefusalCode,
    /// The missing properties (`context.propertyName`), sorted; empty when HubSpot named none.
    pub properties: Vec<String>,
    /// HubSpot's message, e.g. "A value for firstname must be provided" (truncated).
    pub message: String,
    /// The inputs the error names (`objectWriteTraceId`, `ids`), when it names any.
    pub inputs: Vec<String>,
}

impl WriteRefusal {
    /// From one input's error in a batch answer: the error's own `code`, or its `errors[]`.
    pub(crate) fn of_standard(e: &StandardError) -> Option<Self> {
        Self::of_parts(
            e.code.as_deref(),
            e.message.as_deref(),
            &e.context,
            &e.errors,
        )
    }

    /// From a whole-request error body (HTTP 400): its `message`, `context` and `errors[]`.
    pub(crate) fn of_request(
        message: Option<&str>,
        context: &Context,
        entries: &[ErrorEntry],
    ) -> Option<Self> {
        Self::of_parts(None, message, context, entries)
    }

    /// The first refusal code among the error and its entries decides the kind; the
    /// properties of every refusing entry are collected.
    fn of_parts(
        code: Option<&str>,
        message: Option<&str>,
        context: &Context,
        entries: &[ErrorEntry],
    ) -> Option<Self> {
        let top = code
            .and_then(RefusalCode::parse)
            .map(|c| (c, message, context));
        let nested = entries.iter().filter_map(|e| {
            let c = RefusalCode::parse(e.code.as_deref()?)?;
            Some((c, e.message.as_deref().or(message), &e.context))
        });
        let refusing: Vec<_> = top.into_iter().chain(nested).collect();
        let (code, first_message, _) = *refusing.first()?;
        let mut properties: Vec<String> = refusing
            .iter()
            .filter_map(|(_, _, ctx)| ctx.get("propertyName"))
            .flatten()
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect();
        properties.sort();
        properties.dedup();
        let mut inputs: Vec<String> = std::iter::once(context)
            .chain(entries.iter().map(|e| &e.context))
            .flat_map(|ctx| ["objectWriteTraceId", "ids", "id"].map(|k| ctx.get(k)))
            .flatten()
            .flatten()
            .cloned()
            .collect();
        inputs.sort();
        inputs.dedup();
        Some(Self {
            code,
            properties,
            message: truncate(first_message.unwrap_or_default().to_owned()),
            inputs,
        })
    }

    /// The properties as one label-friendly text: `a,b`, or `unknown` when none was named.
    pub fn property_list(&self) -> String {
        if self.properties.is_empty() {
            "unknown".into()
        } else {
            self.properties.join(",")
        }
    }
}

impl fmt::Display for WriteRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.properties.is_empty() {
            write!(f, "{} (HubSpot named no property)", self.code.as_str())
        } else {
            write!(f, "{} {}", self.code.as_str(), self.properties.join(", "))
        }
    }
}

/// `warnings[]` of a 2xx answer (`{category, message, context}`), optional on every version:
/// HubSpot reports a value it normalised (`PROPERTY_VALUE_NORMALIZED`) without failing the
/// write (docs/hubspot.md "Date-versioned API and write validation").
#[derive(Deserialize)]
struct Warnings {
    #[serde(default)]
    warnings: Vec<Warning>,
}

#[derive(Deserialize)]
struct Warning {
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// Logs each warning of an accepted write, once, without failing it.
pub(crate) fn log_warnings(portal: PortalId, path: &str, body: &[u8]) {
    const KEY: &[u8] = b"\"warnings\"";
    if !body.windows(KEY.len()).any(|w| w == KEY) {
        return;
    }
    let Ok(found) = serde_json::from_slice::<Warnings>(body) else {
        return;
    };
    for w in found.warnings {
        tracing::info!(
            portal_id = portal.as_u64(),
            endpoint = %crate::client::metrics::endpoint_of(path),
            category = w.category.as_deref().unwrap_or(""),
            message = %truncate(w.message.unwrap_or_default()),
            "hubspot accepted a write with a warning"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::error::{ErrorDetail, ErrorSpecifics};

    /// The refusal in a whole-request error body, as the transport reads it.
    fn refusal(body: &str) -> Option<WriteRefusal> {
        #[derive(serde::Deserialize)]
        struct Body {
            #[serde(default)]
            message: Option<String>,
            #[serde(default, deserialize_with = "crate::client::types::de_context")]
            context: Context,
            #[serde(default, deserialize_with = "crate::client::types::de_entries")]
            errors: Vec<ErrorEntry>,
        }
        let b: Body = serde_json::from_str(body).unwrap();
        WriteRefusal::of_request(b.message.as_deref(), &b.context, &b.errors)
    }

    // The three bodies HubSpot's changelog shows for 2026-09 write validation
    // (docs/hubspot.md "Write validation").
    #[test]
    fn a_conditional_rule_names_its_property() {
        let r = refusal(
            r#"{"category":"VALIDATION_ERROR","errors":[{"code":"MISSING_CONDITIONAL_REQUIRED_PROPERTY",
            "message":"my_property is required because of a conditional property rule based on [country]",
            "context":{"propertyName":["my_property"]}}]}"#,
        )
        .unwrap();
        assert_eq!(r.code, RefusalCode::MissingConditionalRequired);
        assert_eq!(r.properties, ["my_property"]);
        assert!(r.message.contains("based on [country]"), "{r:?}");
        assert_eq!(
            r.to_string(),
            "MISSING_CONDITIONAL_REQUIRED_PROPERTY my_property"
        );
        let d = ErrorDetail {
            status: Some(400),
            specifics: Some(Box::new(ErrorSpecifics {
                refusal: Some(r),
                ..ErrorSpecifics::default()
            })),
            ..ErrorDetail::default()
        };
        assert!(
            d.to_string()
                .contains("[MISSING_CONDITIONAL_REQUIRED_PROPERTY my_property]")
        );
    }

    #[test]
    fn a_create_record_requirement_names_its_property() {
        let r = refusal(
            r#"{"status":"error","category":"VALIDATION_ERROR","message":"The property values provided are invalid",
            "errors":[{"code":"MISSING_REQUIRED_PROPERTY","message":"A value for firstname must be provided",
            "context":{"propertyName":["firstname"]}}]}"#,
        )
        .unwrap();
        assert_eq!(r.code, RefusalCode::MissingRequired);
        assert_eq!(r.property_list(), "firstname");
        assert_eq!(r.message, "A value for firstname must be provided");
        assert!(r.inputs.is_empty());
    }

    #[test]
    fn a_missing_association_permission_is_not_a_missing_property() {
        let r = refusal(
            r#"{"status":"error","message":"Missing 'Edit Associations' permission.","category":"VALIDATION_ERROR"}"#,
        );
        assert_eq!(r, None);
    }

    #[test]
    fn inside_a_batch_the_refusal_is_read_from_the_inputs_error_or_its_entries() {
        // The input's error wraps the rule (HubSpot's StandardError with `errors[]`)…
        let wrapped: StandardError = serde_json::from_str(
            r#"{"status":"error","category":"VALIDATION_ERROR","message":"The property values provided are invalid",
            "context":{"objectWriteTraceId":["t-2"]},
            "errors":[{"code":"MISSING_REQUIRED_PROPERTY","message":"A value for hs_x must be provided",
              "context":{"propertyName":["hs_x","hs_a"]},"in":"properties"},
              {"code":"SOMETHING_ELSE","context":"{missingScopes=[a]}"}]}"#,
        )
        .unwrap();
        let r = WriteRefusal::of_standard(&wrapped).unwrap();
        assert_eq!(r.properties, ["hs_a", "hs_x"]);
        assert_eq!(r.inputs, ["t-2"]);
        // …or is the rule's entry itself.
        let bare: StandardError = serde_json::from_str(
            r#"{"code":"MISSING_CONDITIONAL_REQUIRED_PROPERTY","message":"m is required",
            "context":{"propertyName":"m","objectWriteTraceId":["t-3"]}}"#,
        )
        .unwrap();
        let r = WriteRefusal::of_standard(&bare).unwrap();
        assert_eq!(
            (r.code, r.property_list()),
            (RefusalCode::MissingConditionalRequired, "m".into())
        );
        assert_eq!(r.inputs, ["t-3"]);
        let other = StandardError {
            category: Some("VALIDATION_ERROR".into()),
            ..StandardError::default()
        };
        assert_eq!(WriteRefusal::of_standard(&other), None);
    }

    #[test]
    fn a_refusal_without_a_property_says_so() {
        let r = refusal(r#"{"errors":[{"code":"MISSING_REQUIRED_PROPERTY"}]}"#).unwrap();
        assert_eq!(r.property_list(), "unknown");
        assert_eq!(
            r.to_string(),
            "MISSING_REQUIRED_PROPERTY (HubSpot named no property)"
        );
    }
}
