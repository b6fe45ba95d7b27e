//! `GET …/owners` (`/crm/v3/owners`, `/crm/owners/2026-09`; docs/hubspot.md "Owners and user ids"):
//! `limit` (default 100, at most 500 here), `after` (an opaque cursor), `archived` (false: active
//! owners; true: archived ones) and `email`; `paging.next.after` while more remain.

use axum::Json;
use axum::extract::State;
use axum::http::Uri;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Sandbox;
use crate::error::{ApiError, HsQuery};

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 500;

#[derive(Debug, Default, Deserialize)]
pub(super) struct OwnersQuery {
    #[serde(default)]
    limit: Option<usize>,
    #[serde(default)]
    after: Option<String>,
    #[serde(default)]
    archived: bool,
    #[serde(default)]
    email: Option<String>,
}

pub(super) async fn list(
    State(sb): State<Sandbox>,
    uri: Uri,
    HsQuery(q): HsQuery<OwnersQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::validation(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        )));
    }
    let offset: usize = match q.after.as_deref() {
        None | Some("") => 0,
        Some(a) => a
            .parse()
            .map_err(|_| ApiError::validation(format!("after: `{a}` is not a valid cursor")))?,
    };
    let crm = sb.crm();
    crm.access.require(&["crm.objects.owners.read"])?;
    let matching: Vec<&_> = crm
        .owners
        .iter()
        .filter(|o| o.archived == q.archived)
        .filter(|o| {
            q.email.as_deref().is_none_or(|e| {
                o.email
                    .as_deref()
                    .is_some_and(|oe| oe.eq_ignore_ascii_case(e))
            })
        })
        .collect();
    let results: Vec<Value> = matching
        .iter()
        .skip(offset)
        .take(limit)
        .map(|o| o.render(crm.started_ms))
        .collect();
    let mut body = json!({ "results": results });
    let next = offset + limit;
    if next < matching.len() {
        body["paging"] = json!({"next": {
            "after": next.to_string(),
            "link": format!("{}?after={next}&limit={limit}", uri.path()),
        }});
    }
    Ok(Json(body))
}
