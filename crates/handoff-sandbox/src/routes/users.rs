//! `GET …/objects/users` (docs/hubspot.md "CRM user availability properties", scope
//! `crm.objects.users.read`): `limit` (default 10 as HubSpot's, at most 100), `after` (an opaque
//! cursor), `properties` (comma list or repeated), `archived` (the sandbox keeps no archived users:
//! `true` lists none); `paging.next.after` while more remain. Without the scope (control API), 403
//! `MISSING_SCOPES`.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use serde_json::{Value, json};

use crate::Sandbox;
use crate::error::{ApiError, HsQuery};
use crate::users::render;

const DEFAULT_LIMIT: usize = 10;
const MAX_LIMIT: usize = 100;
const SCOPE: &str = "crm.objects.users.read";

/// What a list request asks for.
struct ListQuery {
    limit: usize,
    offset: usize,
    archived: bool,
    properties: Vec<String>,
}

impl ListQuery {
    fn parse(pairs: Vec<(String, String)>) -> Result<Self, ApiError> {
        let mut limit = DEFAULT_LIMIT;
        let mut offset = 0usize;
        let mut archived = false;
        let mut properties = Vec::new();
        for (k, v) in pairs {
            match k.as_str() {
                "limit" => {
                    limit = v
                        .parse()
                        .ok()
                        .filter(|l| (1..=MAX_LIMIT).contains(l))
                        .ok_or_else(|| {
                            ApiError::validation(format!("limit must be between 1 and {MAX_LIMIT}"))
                        })?;
                }
                "after" if !v.is_empty() => {
                    offset = v.parse().map_err(|_| {
                        ApiError::validation(format!("after: `{v}` is not a valid cursor"))
                    })?;
                }
                "archived" => {
                    archived = v.parse().map_err(|_| {
                        ApiError::validation(format!("archived: `{v}` is not a boolean"))
                    })?;
                }
                "properties" => properties.extend(
                    v.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned),
                ),
                _ => {}
            }
        }
        Ok(Self {
            limit,
            offset,
            archived,
            properties,
        })
    }
}

pub(super) async fn list(
    State(sb): State<Sandbox>,
    uri: Uri,
    HsQuery(pairs): HsQuery<Vec<(String, String)>>,
) -> Result<Json<Value>, ApiError> {
    let ListQuery {
        limit,
        offset,
        archived,
        properties,
    } = ListQuery::parse(pairs)?;
    let crm = sb.crm();
    if crm.users.scope_missing {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "MISSING_SCOPES",
            "This app hasn't been granted all required scopes to make this call.",
        )
        .with_context("requiredGranularScopes", vec![SCOPE.to_owned()]));
    }
    let total = if archived { 0 } else { crm.users.records.len() };
    let results: Vec<Value> = crm
        .users
        .records
        .values()
        .take(total)
        .skip(offset)
        .take(limit)
        .map(|r| render(r, &properties))
        .collect();
    let mut body = json!({ "results": results });
    let next = offset + limit;
    if next < total {
        body["paging"] = json!({"next": {
            "after": next.to_string(),
            "link": format!("{}?after={next}&limit={limit}", uri.path()),
        }});
    }
    Ok(Json(body))
}
