//! The bot token goes into the `Authorization` header and nowhere else: not into the client's
//! `Debug`, its errors, or its logs at any level. A test binary of its own, so no other test's
//! thread shares `tracing`'s callsite cache with the captured subscriber.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use handoff_slack::blocks::Message;
use handoff_slack::client::{PostMessage, SlackClient, SlackSettings};
use handoff_slack::ids::{ChannelId, MessageTs};
use secrecy::SecretString;
use serde_json::json;
use wiremock::matchers::{header, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "xoxb-17-secret-token-value";

async fn answer(server: &MockServer, slack_method: &str, response: ResponseTemplate) {
    Mock::given(path(format!("/api/{slack_method}")))
        .respond_with(response)
        .mount(server)
        .await;
}

fn message() -> Message {
    Message {
        text: "New lead for you".into(),
        blocks: vec![
            json!({"type": "section", "block_id": "b1", "text": {"type": "mrkdwn", "text": "hi"}}),
        ],
    }
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut buffer = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        buffer.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn the_token_is_sent_but_never_shown_in_debug_errors_or_logs() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    Mock::given(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(path("/api/users.lookupByEmail"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"ok": false, "error": "invalid_auth"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    answer(
        &server,
        "chat.postMessage",
        ResponseTemplate::new(429).insert_header("Retry-After", "9"),
    )
    .await;
    answer(&server, "chat.update", ResponseTemplate::new(500)).await;
    let settings = SlackSettings {
        base_url: format!("{}/api", server.uri()),
        timeout: Duration::from_secs(5),
        ..SlackSettings::default()
    };
    let c = SlackClient::new(SecretString::from(TOKEN.to_owned()), &settings).unwrap();
    let dm = || ChannelId::parse("D0123ABCDEF").unwrap();
    let mut shown = vec![format!("{c:?}")];
    let post = PostMessage {
        channel: &dm().into(),
        message: &message(),
        thread_ts: None,
        reply_broadcast: false,
    };
    let ts = MessageTs::parse("1.2").unwrap();
    let errors = [
        c.lookup_user_by_email("a@b.c").await.unwrap_err(),
        c.post_message(&post).await.unwrap_err(),
        c.update_message(&dm(), &ts, &message()).await.unwrap_err(),
    ];
    for e in &errors {
        shown.push(format!("{e} {e:?}"));
    }
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("slack call failed"),
        "the capture works: {logs}"
    );
    shown.push(logs);
    for text in shown {
        assert!(
            !text.contains(TOKEN) && !text.contains("secret-token"),
            "{text}"
        );
    }
}
