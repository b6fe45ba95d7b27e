//! Every refusal the intake gives: a status, a stable code and a message saying what is wrong.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::hubspot::event::DeliveryError;
use crate::hubspot::signature::SignatureError;
use crate::store::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
    message: &'a str,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(Body {
                code: self.code,
                message: &self.message,
            }),
        )
            .into_response()
    }
}

impl From<SignatureError> for ApiError {
    fn from(err: SignatureError) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, err.code(), err.to_string())
    }
}

impl From<DeliveryError> for ApiError {
    fn from(err: DeliveryError) -> Self {
        Self::new(StatusCode::BAD_REQUEST, err.code(), err.to_string())
    }
}

impl From<StoreError> for ApiError {
    /// The cause is logged where it happens; HubSpot only needs to know to retry.
    fn from(_: StoreError) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            "the delivery could not be stored; retry later",
        )
    }
}
