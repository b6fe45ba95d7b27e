//! `POST /crm/v3/objects/{contacts|tasks}/search` (docs/hubspot.md "Search limits and index lag"):
//! filters from `filter.rs`, `associations.contact` on tasks and `associations.company` on
//! contacts, one sort (default: by id), free-text `query` over the default searchable properties,
//! `after` paging, `total`. Archived records never appear. The gate gives search its own 5/s limit
//! and no headers.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::filter::{SearchBody, compare, matches};
use crate::Sandbox;
use crate::error::ApiError;
use crate::state::{Kind, Record, Select, render};

fn searchable(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Contact => &["email", "firstname", "lastname", "phone", "company"],
        Kind::Company => &["name", "domain"],
        Kind::Task => &["hs_task_subject", "hs_task_body"],
        Kind::Lead => &["hs_lead_name"],
    }
}

/// A property's values, `associations.<type>` included; empty strings count as absent.
fn values(kind: Kind, rec: &Record, name: &str) -> Vec<String> {
    let linked = matches!(
        (kind, name),
        (Kind::Task | Kind::Lead, "associations.contact") | (Kind::Contact, "associations.company")
    );
    if linked {
        return rec.links.iter().map(u64::to_string).collect();
    }
    rec.value(name)
        .filter(|v| !v.is_empty())
        .into_iter()
        .collect()
}

fn query_matches(kind: Kind, rec: &Record, query: &str) -> bool {
    let texts: Vec<String> = searchable(kind)
        .iter()
        .filter_map(|p| rec.value(p))
        .map(|v| v.to_lowercase())
        .collect();
    query
        .split_whitespace()
        .map(str::to_lowercase)
        .all(|term| texts.iter().any(|t| t.contains(&term)))
}

fn search(sb: &Sandbox, kind: Kind, raw: &[u8]) -> Result<Json<Value>, ApiError> {
    let body: SearchBody = serde_json::from_slice(raw)
        .map_err(|e| ApiError::validation(format!("Invalid input JSON: {e}")))?;
    let chars = String::from_utf8_lossy(raw).chars().count();
    let page = body.validate(chars).map_err(ApiError::validation)?;
    let crm = sb.crm();
    let mut hits: Vec<&Record> = crm
        .table(kind)
        .values()
        .filter(|r| !r.archived())
        .filter(|r| matches(&body.filter_groups, &|name| values(kind, r, name)))
        .filter(|r| {
            body.query
                .as_deref()
                .is_none_or(|q| query_matches(kind, r, q))
        })
        .collect();
    if let Some(sort) = body.sorts.first() {
        let descending = sort.direction.as_deref() == Some("DESCENDING");
        hits.sort_by(|a, b| {
            let (va, vb) = (a.value(&sort.property_name), b.value(&sort.property_name));
            // Records without the property go last either way.
            let order = match (va, vb) {
                (Some(x), Some(y)) if descending => compare(&y, &x),
                (Some(x), Some(y)) => compare(&x, &y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            };
            order.then(a.id.cmp(&b.id))
        });
    }
    let results: Vec<Value> = hits
        .iter()
        .skip(page.offset)
        .take(page.limit)
        .map(|r| render(kind, r, Select::Requested(&body.properties)))
        .collect();
    let mut out = json!({"total": hits.len(), "results": results});
    let next = page.offset + page.limit;
    if next < hits.len() {
        out["paging"] = json!({"next": {"after": next.to_string()}});
    }
    Ok(Json(out))
}

fn check_json(headers: &axum::http::HeaderMap) -> Result<(), ApiError> {
    let json = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if json {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "VALIDATION_ERROR",
            "Expected request with `Content-Type: application/json`",
        ))
    }
}

// The raw body is read so the 3 000-character limit is checked on what was sent.
pub(super) async fn contacts(
    State(sb): State<Sandbox>,
    headers: axum::http::HeaderMap,
    raw: Bytes,
) -> Result<Json<Value>, ApiError> {
    check_json(&headers)?;
    search(&sb, Kind::Contact, &raw)
}

pub(super) async fn tasks(
    State(sb): State<Sandbox>,
    headers: axum::http::HeaderMap,
    raw: Bytes,
) -> Result<Json<Value>, ApiError> {
    check_json(&headers)?;
    search(&sb, Kind::Task, &raw)
}

pub(super) async fn leads(
    State(sb): State<Sandbox>,
    headers: axum::http::HeaderMap,
    raw: Bytes,
) -> Result<Json<Value>, ApiError> {
    check_json(&headers)?;
    search(&sb, Kind::Lead, &raw)
}
