//! The verified-webhook extractor: the raw body is read as bytes (within the size limit) and
//! checked against HubSpot's signature before anything parses it. Holding a
//! [`VerifiedWebhook`] is proof the bytes came from a configured app.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::error::ApiError;
use super::state::{AppState, now_ms};
use crate::hubspot::signature::{
    self, HEADER_LEGACY, HEADER_LEGACY_VERSION, HEADER_TIMESTAMP, HEADER_V3, SignatureVersion,
    SignedRequest,
};

#[derive(Debug)]
pub struct VerifiedWebhook {
    pub body: Bytes,
    /// Index of the signing app in the intake settings.
    pub app_index: usize,
    pub version: SignatureVersion,
}

impl FromRequest<AppState> for VerifiedWebhook {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let settings = state.settings();
        let (parts, body) = req.into_parts();
        check_content_type(&parts.headers)?;
        let body = read_limited(&parts.headers, body, settings.max_body_bytes).await?;
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let request = SignedRequest {
            method: parts.method.as_str(),
            uri: &settings.public_url,
            body: &body,
            signature_v3: header(HEADER_V3),
            timestamp: header(HEADER_TIMESTAMP),
            signature_legacy: header(HEADER_LEGACY),
            legacy_version: header(HEADER_LEGACY_VERSION),
        };
        let verified = signature::verify(
            &request,
            &settings.apps,
            now_ms(),
            settings.timestamp_tolerance_ms,
        )?;
        Ok(Self {
            body,
            app_index: verified.app_index,
            version: verified.version,
        })
    }
}

/// HubSpot posts `application/json` (docs/hubspot.md "Delivery shape and fields"); anything else is
/// refused with 415.
fn check_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let value = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = value.split(';').next().unwrap_or("").trim();
    if media.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        let shown = if value.is_empty() { "none" } else { value };
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("content type must be application/json (got {shown})"),
        ))
    }
}

pub(super) async fn read_limited(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("body is larger than the {limit} byte limit"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(too_large());
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(err) if err.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Err(_) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "body_unreadable",
            "the request body could not be read",
        )),
    }
}
