//! HubSpot's error bodies (docs/hubspot.md "Error bodies and status codes"): `status`, `message`,
//! `correlationId`, `category`, optional `context` and `errors`; the 429 body with `errorType` and
//! `policyName`. Also the JSON/query extractors, so a malformed request gets HubSpot's 400 instead
//! of axum's text.

use std::collections::BTreeMap;
use std::path::PathBuf;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Why a sandbox could not start.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// A seed file is missing or malformed; `file` names it.
    #[error("sandbox seed file {}: {message}", file.display())]
    Seed {
        /// The file.
        file: PathBuf,
        /// What is wrong, with the JSON path when parsing failed.
        message: String,
    },
    /// The configuration is unusable (e.g. a fault rate above 1).
    #[error("sandbox configuration: {0}")]
    Config(String),
    /// Binding or serving failed.
    #[error("sandbox I/O: {0}")]
    Io(#[from] std::io::Error),
}

/// A HubSpot-shaped error response.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) category: &'static str,
    pub(crate) message: String,
    pub(crate) context: BTreeMap<String, Vec<String>>,
    /// `errors[]`: the rules a write broke (`validation.rs`).
    pub(crate) errors: Vec<Value>,
    /// e.g. `Properties.PROPERTY_WITH_NAME_EXISTS`.
    pub(crate) sub_category: Option<&'static str>,
}

impl ApiError {
    pub(crate) fn new(
        status: StatusCode,
        category: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            category,
            message: message.into(),
            context: BTreeMap::new(),
            errors: Vec::new(),
            sub_category: None,
        }
    }

    pub(crate) fn validation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", message)
    }

    pub(crate) fn not_found(id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "OBJECT_NOT_FOUND",
            "resource not found",
        )
        .with_context("id", vec![id.to_owned()])
    }

    pub(crate) fn with_context(mut self, key: &str, values: Vec<String>) -> Self {
        self.context.insert(key.to_owned(), values);
        self
    }

    pub(crate) fn with_errors(mut self, errors: Vec<Value>) -> Self {
        self.errors = errors;
        self
    }

    /// The body alone, also used for per-input errors inside a 207.
    pub(crate) fn body(&self) -> Value {
        let mut body = json!({
            "status": "error",
            "message": self.message,
            "correlationId": correlation_id(),
            "category": self.category,
        });
        if !self.context.is_empty() {
            body["context"] = json!(self.context);
        }
        if !self.errors.is_empty() {
            body["errors"] = json!(self.errors);
        }
        if let Some(sub) = self.sub_category {
            body["subCategory"] = json!(sub);
        }
        body
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body())).into_response()
    }
}

pub(crate) fn correlation_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Which 429 (docs/hubspot.md "429 answers and Retry-After").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Policy {
    TenSecondly,
    Daily,
    /// Search's 5/s limit: the message the official SDK matches, no `policyName`.
    Search,
}

impl Policy {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::TenSecondly => "TEN_SECONDLY_ROLLING",
            Self::Daily => "DAILY",
            Self::Search => "SEARCH",
        }
    }
}

/// The 429 body, e.g. `{"status":"error","message":"You have reached your daily limit.",
/// "errorType":"RATE_LIMIT","correlationId":"…","policyName":"DAILY","requestId":"…"}`.
pub(crate) fn too_many(policy: Policy) -> Value {
    let message = match policy {
        Policy::TenSecondly => "You have reached your ten_secondly_rolling limit.",
        Policy::Daily => "You have reached your daily limit.",
        Policy::Search => "You have reached your secondly limit.",
    };
    let mut body = json!({
        "status": "error",
        "message": message,
        "errorType": "RATE_LIMIT",
        "correlationId": correlation_id(),
        "requestId": correlation_id(),
    });
    if policy != Policy::Search {
        body["policyName"] = json!(policy.name());
    }
    body
}

/// `Json<T>` whose rejection is HubSpot's 400 (or 415 without a JSON content type).
pub(crate) struct HsJson<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for HsJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(JsonRejection::MissingJsonContentType(e)) => Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "VALIDATION_ERROR",
                e.body_text(),
            )),
            Err(e) => Err(ApiError::validation(format!(
                "Invalid input JSON: {}",
                e.body_text()
            ))),
        }
    }
}

/// `Query<T>` whose rejection is HubSpot's 400.
pub(crate) struct HsQuery<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for HsQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|e: QueryRejection| ApiError::validation(e.body_text()))
    }
}

/// A `{path}` id: HubSpot ids are numeric.
pub(crate) fn parse_id(raw: &str) -> Result<u64, ApiError> {
    raw.trim().parse().map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "OBJECT_NOT_FOUND",
            "Object not found.  objectId are usually numeric.",
        )
        .with_context("id", vec![raw.to_owned()])
    })
}
