//! Webhooks in: signatures, deliveries stored before their 2xx, refusals, hostile input, `send-
//! webhook`; Slack's clicks on `POST /slack/interactions`.

mod hostile_smoke;
mod on_postgres;
mod rejections;
mod send_webhook;
mod slack;
mod webhooks;
