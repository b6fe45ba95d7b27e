//! Search semantics (docs/hubspot.md "Search limits and index lag"), pure: the body, its limits (≤
//! 5 groups × 6 filters, ≤ 18 filters, one sort, ≤ 200 per page, ≤ 10 000 results, ≤ 3 000
//! characters), and every operator. Groups are ORed, filters in a group ANDed. Values compare as
//! numbers when both sides are numbers, as instants when both are times (Unix ms or ISO-8601), else
//! as case-insensitive text. A property may have several values (`associations.contact`): positive
//! operators need one value to match, negative ones (`NEQ`, `NOT_IN`, `NOT_CONTAINS_TOKEN`)
//! need none to, so a record without the property matches them.

use std::cmp::Ordering;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

const MAX_GROUPS: usize = 5;
const MAX_FILTERS_PER_GROUP: usize = 6;
const MAX_FILTERS: usize = 18;
const MAX_LIMIT: usize = 200;
const DEFAULT_LIMIT: usize = 10;
const MAX_RESULTS: usize = 10_000;
const MAX_BODY_CHARS: usize = 3_000;

/// A filter value: string, number or boolean, kept as text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Text(pub(crate) String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(Self(s)),
            Value::Number(n) => Ok(Self(n.to_string())),
            Value::Bool(b) => Ok(Self(b.to_string())),
            other => Err(serde::de::Error::custom(format!(
                "expected a string, got {other}"
            ))),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SearchBody {
    #[serde(default)]
    pub(crate) filter_groups: Vec<FilterGroup>,
    #[serde(default)]
    pub(crate) sorts: Vec<SortSpec>,
    #[serde(default)]
    pub(crate) properties: Vec<String>,
    #[serde(default)]
    pub(crate) limit: Option<usize>,
    #[serde(default)]
    pub(crate) after: Option<Text>,
    #[serde(default)]
    pub(crate) query: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct FilterGroup {
    #[serde(default)]
    pub(crate) filters: Vec<FilterSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FilterSpec {
    pub(crate) property_name: String,
    pub(crate) operator: String,
    #[serde(default)]
    pub(crate) value: Option<Text>,
    #[serde(default)]
    pub(crate) high_value: Option<Text>,
    #[serde(default)]
    pub(crate) values: Option<Vec<Text>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SortSpec {
    pub(crate) property_name: String,
    #[serde(default)]
    pub(crate) direction: Option<String>,
}

/// Which slice of the matches to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Page {
    pub(crate) offset: usize,
    pub(crate) limit: usize,
}

impl SearchBody {
    /// HubSpot's 400s, checked before any record is looked at.
    pub(crate) fn validate(&self, body_chars: usize) -> Result<Page, String> {
        let filters: Vec<&FilterSpec> =
            self.filter_groups.iter().flat_map(|g| &g.filters).collect();
        if self.filter_groups.len() > MAX_GROUPS
            || self
                .filter_groups
                .iter()
                .any(|g| g.filters.len() > MAX_FILTERS_PER_GROUP)
            || filters.len() > MAX_FILTERS
        {
            return Err(format!(
                "at most {MAX_GROUPS} filterGroups of {MAX_FILTERS_PER_GROUP} filters, {MAX_FILTERS} filters in all"
            ));
        }
        if self.sorts.len() > 1 {
            return Err("only one sort is allowed".into());
        }
        if body_chars > MAX_BODY_CHARS {
            return Err(format!(
                "the query body exceeds {MAX_BODY_CHARS} characters"
            ));
        }
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(format!("limit must be between 1 and {MAX_LIMIT}"));
        }
        let offset = match &self.after {
            None => 0,
            Some(Text(a)) => a
                .parse()
                .map_err(|_| format!("after: `{a}` is not a valid cursor"))?,
        };
        if offset >= MAX_RESULTS {
            return Err(format!(
                "paging beyond {MAX_RESULTS} results is not allowed"
            ));
        }
        for f in filters {
            f.check()?;
        }
        Ok(Page { offset, limit })
    }
}

impl FilterSpec {
    fn check(&self) -> Result<(), String> {
        let needs = match self.operator.as_str() {
            "HAS_PROPERTY" | "NOT_HAS_PROPERTY" => None,
            "EQ" | "NEQ" | "LT" | "LTE" | "GT" | "GTE" | "CONTAINS_TOKEN"
            | "NOT_CONTAINS_TOKEN" => self.value.is_none().then_some("value"),
            "BETWEEN" => {
                (self.value.is_none() || self.high_value.is_none()).then_some("value and highValue")
            }
            "IN" | "NOT_IN" => self.values.is_none().then_some("values"),
            other => return Err(format!("unknown filter operator {other}")),
        };
        match needs {
            Some(what) => Err(format!(
                "{} filter on {} needs {what}",
                self.operator, self.property_name
            )),
            None => Ok(()),
        }
    }

    /// Does a record whose property has `vals` (empty = absent) pass this filter?
    fn matches(&self, vals: &[String]) -> bool {
        let value = self.value.as_ref().map_or("", |t| t.0.as_str());
        let any = |pred: &dyn Fn(&str) -> bool| vals.iter().any(|v| pred(v));
        let eq = |v: &str| compare(v, value) == Ordering::Equal;
        let in_list = |v: &str| {
            self.values
                .iter()
                .flatten()
                .any(|t| compare(v, &t.0) == Ordering::Equal)
        };
        match self.operator.as_str() {
            "HAS_PROPERTY" => !vals.is_empty(),
            "NOT_HAS_PROPERTY" => vals.is_empty(),
            "EQ" => any(&eq),
            "NEQ" => !any(&eq),
            "LT" => any(&|v| compare(v, value) == Ordering::Less),
            "LTE" => any(&|v| compare(v, value) != Ordering::Greater),
            "GT" => any(&|v| compare(v, value) == Ordering::Greater),
            "GTE" => any(&|v| compare(v, value) != Ordering::Less),
            "BETWEEN" => {
                let high = self.high_value.as_ref().map_or("", |t| t.0.as_str());
                any(&|v| {
                    compare(v, value) != Ordering::Less && compare(v, high) != Ordering::Greater
                })
            }
            "IN" => any(&in_list),
            "NOT_IN" => !any(&in_list),
            "CONTAINS_TOKEN" => any(&|v| contains_token(v, value)),
            "NOT_CONTAINS_TOKEN" => !any(&|v| contains_token(v, value)),
            _ => false,
        }
    }
}

/// OR of groups, AND within a group; no groups matches everything.
pub(crate) fn matches(groups: &[FilterGroup], values: &dyn Fn(&str) -> Vec<String>) -> bool {
    groups.is_empty()
        || groups.iter().any(|g| {
            g.filters
                .iter()
                .all(|f| f.matches(&values(&f.property_name)))
        })
}

fn as_ms(v: &str) -> Option<i64> {
    if let Ok(ms) = v.parse::<i64>() {
        return Some(ms);
    }
    if let Ok(ts) = v.parse::<jiff::Timestamp>() {
        return Some(ts.as_millisecond());
    }
    let date = v.parse::<jiff::civil::Date>().ok()?;
    Some(
        date.to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .ok()?
            .timestamp()
            .as_millisecond(),
    )
}

/// Numbers, then instants, then case-insensitive text.
pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.trim(), b.trim());
    if let (Ok(x), Ok(y)) = (a.parse::<f64>(), b.parse::<f64>()) {
        return x.partial_cmp(&y).unwrap_or(Ordering::Equal);
    }
    if let (Some(x), Some(y)) = (as_ms(a), as_ms(b)) {
        return x.cmp(&y);
    }
    a.to_lowercase().cmp(&b.to_lowercase())
}

fn tokens(s: &str) -> Vec<String> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '*'))
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// `*` matches any run of characters inside one token.
fn glob(pattern: &str, token: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == token,
        Some((head, rest)) => {
            let Some(tail) = token.strip_prefix(head) else {
                return false;
            };
            (0..=tail.len())
                .filter(|i| tail.is_char_boundary(*i))
                .any(|i| glob(rest, &tail[i..]))
        }
    }
}

/// Every token of `wanted` (wildcards allowed) is a token of `value`.
fn contains_token(value: &str, wanted: &str) -> bool {
    let have: Vec<String> = tokens(&value.replace('*', " "));
    tokens(wanted)
        .iter()
        .all(|w| have.iter().any(|h| glob(w, h)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: &str) -> SearchBody {
        serde_json::from_str(json).unwrap()
    }

    fn props<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Vec<String> + 'a {
        move |name| {
            pairs
                .iter()
                .filter(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
                .collect()
        }
    }

    fn hit(filter: &str, record: &[(&str, &str)]) -> bool {
        let b = body(&format!(r#"{{"filterGroups":[{{"filters":[{filter}]}}]}}"#));
        b.validate(10).unwrap();
        matches(&b.filter_groups, &props(record))
    }

    #[test]
    fn comparisons_use_numbers_times_then_text() {
        let rec = [
            ("n", "12"),
            ("due", "2026-11-23T10:00:00.000Z"),
            ("s", "NEW"),
        ];
        assert!(hit(
            r#"{"propertyName":"n","operator":"GT","value":"9"}"#,
            &rec
        ));
        assert!(!hit(
            r#"{"propertyName":"n","operator":"LT","value":9}"#,
            &rec
        ));
        assert!(hit(
            r#"{"propertyName":"due","operator":"LTE","value":"1795428000000"}"#,
            &rec
        ));
        assert!(hit(
            r#"{"propertyName":"due","operator":"GT","value":"2026-11-22"}"#,
            &rec
        ));
        assert!(hit(
            r#"{"propertyName":"s","operator":"EQ","value":"new"}"#,
            &rec
        ));
        assert!(hit(
            r#"{"propertyName":"n","operator":"BETWEEN","value":"10","highValue":"12"}"#,
            &rec
        ));
    }

    #[test]
    fn negative_operators_match_absent_properties() {
        let rec = [
            ("s", "COMPLETED"),
            ("associations.contact", "1"),
            ("associations.contact", "2"),
        ];
        assert!(!hit(
            r#"{"propertyName":"s","operator":"NEQ","value":"COMPLETED"}"#,
            &rec
        ));
        assert!(hit(
            r#"{"propertyName":"missing","operator":"NEQ","value":"x"}"#,
            &rec
        ));
        assert!(hit(
            r#"{"propertyName":"missing","operator":"NOT_HAS_PROPERTY"}"#,
            &rec
        ));
        assert!(hit(
            r#"{"propertyName":"associations.contact","operator":"EQ","value":"2"}"#,
            &rec
        ));
        assert!(hit(
            r#"{"propertyName":"s","operator":"IN","values":["NEW","completed"]}"#,
            &rec
        ));
        assert!(!hit(
            r#"{"propertyName":"s","operator":"NOT_IN","values":["COMPLETED"]}"#,
            &rec
        ));
    }

    #[test]
    fn tokens_match_whole_words_with_wildcards() {
        let rec = [("body", "handoff:lead 51003 — call within 1h")];
        assert!(hit(
            r#"{"propertyName":"body","operator":"CONTAINS_TOKEN","value":"51003"}"#,
            &rec
        ));
        assert!(hit(
            r#"{"propertyName":"body","operator":"CONTAINS_TOKEN","value":"hand*"}"#,
            &rec
        ));
        assert!(!hit(
            r#"{"propertyName":"body","operator":"CONTAINS_TOKEN","value":"5100"}"#,
            &rec
        ));
        assert!(hit(
            r#"{"propertyName":"body","operator":"NOT_CONTAINS_TOKEN","value":"email"}"#,
            &rec
        ));
    }

    #[test]
    fn limits_and_malformed_filters_are_refused() {
        assert!(body(r#"{"limit":201}"#).validate(10).is_err());
        assert!(body(r#"{"after":"10000"}"#).validate(10).is_err());
        assert!(body(r#"{}"#).validate(3_001).is_err());
        assert!(
            body(r#"{"sorts":[{"propertyName":"a"},{"propertyName":"b"}]}"#)
                .validate(10)
                .is_err()
        );
        let op = |o: &str| {
            format!(
                r#"{{"filterGroups":[{{"filters":[{{"propertyName":"a","operator":"{o}"}}]}}]}}"#
            )
        };
        assert!(body(&op("LIKE")).validate(10).is_err());
        assert!(body(&op("EQ")).validate(10).is_err(), "EQ needs a value");
        assert!(body(&op("HAS_PROPERTY")).validate(10).is_ok());
        assert_eq!(
            body(r#"{"after":"20","limit":5}"#).validate(10),
            Ok(Page {
                offset: 20,
                limit: 5
            })
        );
    }
}
