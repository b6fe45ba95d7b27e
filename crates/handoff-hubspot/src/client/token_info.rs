//! Which scopes a portal's token has (docs/hubspot.md "Which scopes a token has"), for
//! `handoff doctor`:
//! - a static token (private app, or a project app with static auth) is described by
//!   `POST /oauth/v2/private-apps/get/access-token-info` with `{"tokenKey": token}` and the
//!   token as bearer; the answer names `hubId` and `scopes`. Whether the endpoint accepts the
//!   tokens of static *project* apps is **unverified**: a refusal comes back as an error and
//!   the caller falls back (a 403's `missingScopes`, or "scopes unknown");
//! - an OAuth access token is introspected at `POST /oauth/{2026-09|v3}/token/introspect`
//!   (form: the app's `client_id` and `client_secret`, `token_type_hint=access_token`, and the
//!   token twice, as `token` (the reference's name) and `access_token` (the guide's)); the
//!   answer names `active`, `hub_id` and `scopes`.
//!
//! Neither call spends the portal's CRM rate budget, retries or pauses the portal: a doctor's
//! question must not change the service's state. The token stays in the request body only.

use std::time::Instant;

use secrecy::ExposeSecret;
use serde::Deserialize;

use super::HubspotClient;
use super::auth::TokenKind;
use super::error::{ErrorDetail, HubspotError, TransientReason, truncate};
use super::paths::{self, Api};
use super::types::PortalId;

/// Where the scopes were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenScopesSource {
    /// `access-token-info` (static tokens).
    AccessTokenInfo,
    /// OAuth token introspection.
    Introspection,
}

/// What HubSpot says about a portal's token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenScopes {
    pub source: TokenScopesSource,
    /// Introspection's `active`; a static token that was described is active.
    pub active: bool,
    /// The account the token belongs to, when said.
    pub hub_id: Option<u64>,
    pub scopes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AccessTokenInfo {
    #[serde(default, deserialize_with = "opt_u64")]
    hub_id: Option<u64>,
    #[serde(default)]
    scopes: Vec<String>,
}

#[derive(Deserialize)]
struct Introspection {
    #[serde(default)]
    active: bool,
    #[serde(default, deserialize_with = "opt_u64")]
    hub_id: Option<u64>,
    #[serde(default)]
    scopes: Vec<String>,
}

fn opt_u64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    struct Id(#[serde(deserialize_with = "super::types::de_u64")] u64);
    Ok(Option::<Id>::deserialize(d).ok().flatten().map(|i| i.0))
}

/// An error answer of a token endpoint: OAuth errors (`error`, `error_description`) or the
/// usual body (`category`, `message`).
#[derive(Default, Deserialize)]
struct ErrorAnswer {
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

impl HubspotClient {
    /// The scopes of `portal`'s token, as HubSpot describes them.
    #[tracing::instrument(skip_all, fields(portal_id = portal.as_u64()))]
    pub async fn token_scopes(&self, portal: PortalId) -> Result<TokenScopes, HubspotError> {
        let kind = self.inner.auth.token_kind(portal)?;
        let bearer = self.inner.auth.bearer(portal).await?;
        let token = bearer.token.expose_secret();
        let (path, request) = match &kind {
            TokenKind::Static => {
                let path = paths::ACCESS_TOKEN_INFO.to_owned();
                let url = format!("{}{path}", self.inner.base_url);
                let body = serde_json::json!({ "tokenKey": token });
                (
                    path,
                    self.inner.http.post(url).bearer_auth(token).json(&body),
                )
            }
            TokenKind::OAuth {
                client_id,
                client_secret,
            } => {
                let path = self.inner.path(Api::OAuth, "token/introspect");
                let url = format!("{}{path}", self.inner.base_url);
                let form = [
                    ("client_id", client_id.as_str()),
                    ("client_secret", client_secret.expose_secret()),
                    ("token_type_hint", "access_token"),
                    ("token", token),
                    ("access_token", token),
                ];
                (path, self.inner.http.post(url).form(&form))
            }
        };
        let body = self.token_call(portal, &path, request).await?;
        let decode = |e: serde_json::Error| HubspotError::local(portal, "decode", e.to_string());
        Ok(match kind {
            TokenKind::Static => {
                let info: AccessTokenInfo = serde_json::from_slice(&body).map_err(decode)?;
                TokenScopes {
                    source: TokenScopesSource::AccessTokenInfo,
                    active: true,
                    hub_id: info.hub_id,
                    scopes: info.scopes,
                }
            }
            TokenKind::OAuth { .. } => {
                let info: Introspection = serde_json::from_slice(&body).map_err(decode)?;
                TokenScopes {
                    source: TokenScopesSource::Introspection,
                    active: info.active,
                    hub_id: info.hub_id,
                    scopes: info.scopes,
                }
            }
        })
    }

    /// Sends one token request; a 2xx body, or the error HubSpot gave (never retried).
    async fn token_call(
        &self,
        portal: PortalId,
        path: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<Vec<u8>, HubspotError> {
        let started = Instant::now();
        let sent = request.send().await;
        let seconds = started.elapsed().as_secs_f64();
        let method = reqwest::Method::POST;
        let resp = match sent {
            Ok(r) => r,
            Err(e) => {
                self.inner.metrics.request(&method, path, None, seconds);
                return Err(HubspotError::Transient {
                    portal,
                    reason: if e.is_timeout() {
                        TransientReason::Timeout
                    } else {
                        TransientReason::Connect
                    },
                    detail: ErrorDetail {
                        message: truncate(e.without_url().to_string()),
                        ..ErrorDetail::default()
                    },
                    retry_at: self.inner.clock.now(),
                    maybe_applied: false,
                });
            }
        };
        let status = resp.status().as_u16();
        self.inner
            .metrics
            .request(&method, path, Some(status), seconds);
        let body = resp.bytes().await.unwrap_or_default().to_vec();
        if (200..300).contains(&status) {
            return Ok(body);
        }
        let answer: ErrorAnswer = serde_json::from_slice(&body).unwrap_or_default();
        Err(HubspotError::Permanent {
            portal,
            detail: ErrorDetail {
                status: Some(status),
                category: answer.category.or(answer.error),
                message: truncate(
                    answer
                        .message
                        .or(answer.error_description)
                        .unwrap_or_default(),
                ),
                ..ErrorDetail::default()
            },
        })
    }
}
