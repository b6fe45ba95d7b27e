//! One Web API call: budget, send, and the answer read into the closed set (docs/slack.md
//! "Errors and how handoff classes them"): a 429 or `ratelimited` pauses the method and comes
//! back with its `Retry-After`; 5xx and network failures are transient; another non-200 is
//! permanent; a 200 is read as `{"ok": …}`.

use reqwest::header::{AUTHORIZATION, RETRY_AFTER};
use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::Value;

use super::error::{SlackError, classify, retry_after};
use super::{Method, SlackClient, bearer};
use crate::ids::Conversation;

/// The largest answer read; Slack's answers to these methods are a few kilobytes.
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

impl SlackClient {
    /// The method's URL under the base.
    pub(super) fn url(&self, method: Method) -> reqwest::Url {
        let mut url = self.inner.base.clone();
        let path = format!("{}{}", url.path(), method.as_str());
        url.set_path(&path);
        url
    }

    pub(super) fn get(&self, method: Method) -> RequestBuilder {
        self.inner.http.get(self.url(method))
    }

    pub(super) fn post(&self, method: Method) -> RequestBuilder {
        self.inner.http.post(self.url(method))
    }

    /// Spends budget, sends, and returns the `ok: true` answer.
    pub(super) async fn call(
        &self,
        method: Method,
        channel: Option<&Conversation>,
        request: RequestBuilder,
    ) -> Result<Value, SlackError> {
        self.inner.budget.acquire(method, channel).await?;
        let request = match bearer(&self.inner.token) {
            Some(auth) => request.header(AUTHORIZATION, auth),
            None => request,
        };
        let outcome = match request.send().await {
            Ok(response) => self.answer(method, response).await,
            Err(e) => Err(SlackError::Transient {
                code: transport_code(&e).to_owned(),
            }),
        };
        match &outcome {
            Ok(_) => tracing::debug!(method = method.as_str(), "slack call succeeded"),
            Err(e) => tracing::debug!(
                method = method.as_str(),
                error.code = e.code(),
                error.class = e.class(),
                "slack call failed"
            ),
        }
        outcome
    }

    async fn answer(&self, method: Method, response: Response) -> Result<Value, SlackError> {
        let status = response.status();
        if status == StatusCode::TOO_MANY_REQUESTS {
            let header = response.headers().get(RETRY_AFTER);
            return Err(self.rate_limited(method, header.and_then(|h| h.to_str().ok())));
        }
        if status.is_server_error() {
            return Err(SlackError::Transient {
                code: format!("http_{}", status.as_u16()),
            });
        }
        if status != StatusCode::OK {
            return Err(SlackError::Permanent {
                code: format!("http_{}", status.as_u16()),
            });
        }
        let retry_header = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned);
        let body = read_capped(response).await?;
        let value: Value = serde_json::from_slice(&body).map_err(|_| unreadable())?;
        match value.get("ok").and_then(Value::as_bool) {
            Some(true) => Ok(value),
            Some(false) => {
                let code = value.get("error").and_then(Value::as_str).unwrap_or("");
                if code == "ratelimited" {
                    return Err(self.rate_limited(method, retry_header.as_deref()));
                }
                let needed = value.get("needed").and_then(Value::as_str);
                Err(classify(code, needed))
            }
            None => Err(unreadable()),
        }
    }

    fn rate_limited(&self, method: Method, header: Option<&str>) -> SlackError {
        let retry_after = retry_after(header);
        self.inner.budget.pause(method, retry_after);
        SlackError::RateLimited {
            method,
            retry_after,
        }
    }
}

async fn read_capped(mut response: Response) -> Result<Vec<u8>, SlackError> {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) if body.len() + chunk.len() > MAX_RESPONSE_BYTES => {
                return Err(unreadable());
            }
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) => return Ok(body),
            Err(e) => {
                return Err(SlackError::Transient {
                    code: transport_code(&e).to_owned(),
                });
            }
        }
    }
}

/// A 200 that is not Slack's JSON (a proxy's page, a cut answer): worth another try.
fn unreadable() -> SlackError {
    SlackError::Transient {
        code: "unreadable_response".to_owned(),
    }
}

/// The transport failure's class; reqwest's message (which names the URL) is not kept.
fn transport_code(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else {
        "request_failed"
    }
}
