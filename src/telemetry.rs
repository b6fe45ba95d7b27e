//! Logging for on-call: JSON lines in production, pretty in a terminal. Constant messages,
//! data in fields; never a secret, signature or raw body.
//!
//! A JSON line is one flat object: `timestamp`, `level`, `message`, then the fields of every
//! span the event is in (outermost first, an inner span's value wins) and the event's own
//! fields (which win over a span's), then `target`. So the ids a span carries for a unit of work
//! (`portal_id`, `contact_id`, `job_id`, `request_id`, `event_id`, see
//! `worker::pipeline::trace`) are top-level keys of every line logged inside it, and
//! `jq 'select(.contact_id == 123)'` finds them all. Each key appears once per line.
//!
//! Why not a crate: tracing-subscriber's own `Json` nests span fields (`"spans": [{...}]`), and
//! json-subscriber's top-level flattening writes a key twice when an event repeats a span's
//! field; this formatter reuses tracing-subscriber's JSON field encoding and only merges.

use std::fmt;

use serde_json::{Map, Value};
use tracing::{Event, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::{LogFormat, LogSettings};

/// Installs the global subscriber once; later calls (tests) keep the first.
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    // An error means a subscriber is already installed, which is fine.
    match settings.format {
        LogFormat::Json => drop(json_subscriber(filter, std::io::stderr).try_init()),
        LogFormat::Pretty => drop(
            tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(std::io::stderr)
                .try_init(),
        ),
    }
}

/// The JSON-lines subscriber writing to `writer` (stderr in production, a buffer in tests).
pub(crate) fn json_subscriber<W>(filter: EnvFilter, writer: W) -> impl Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .fmt_fields(JsonFields::new())
        .event_format(FlatJson)
        .finish()
}

/// Formats an event as one flat JSON object (module docs).
struct FlatJson;

impl<S, N> FormatEvent<S, N> for FlatJson
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut fields = Map::new();
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                if let Some(own) = span.extensions().get::<FormattedFields<N>>() {
                    merge(&mut fields, own);
                }
            }
        }
        let mut own = String::new();
        ctx.format_fields(Writer::new(&mut own), event)?;
        merge(&mut fields, &own);
        let mut timestamp = String::new();
        SystemTime.format_time(&mut Writer::new(&mut timestamp))?;
        // Records of the `log` crate name their origin in fields; it is their target.
        let target = match fields.remove("log.target") {
            Some(Value::String(t)) => t,
            _ => event.metadata().target().to_owned(),
        };
        for key in ["log.module_path", "log.file", "log.line"] {
            fields.remove(key);
        }
        let mut line = String::with_capacity(256);
        line.push('{');
        entry(&mut line, "timestamp", &Value::String(timestamp))?;
        entry(
            &mut line,
            "level",
            &event.metadata().level().as_str().into(),
        )?;
        if let Some(message) = fields.remove("message") {
            entry(&mut line, "message", &message)?;
        }
        for (key, value) in &fields {
            entry(&mut line, key, value)?;
        }
        entry(&mut line, "target", &Value::String(target))?;
        line.push('}');
        writeln!(writer, "{line}")
    }
}

/// Adds the fields of a JSON object (as `JsonFields` formats them) to `into`; later wins.
fn merge(into: &mut Map<String, Value>, formatted: &str) {
    if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(formatted) {
        into.extend(map);
    }
}

fn entry(line: &mut String, key: &str, value: &Value) -> fmt::Result {
    if !line.ends_with('{') {
        line.push(',');
    }
    line.push_str(&serde_json::to_string(key).map_err(|_| fmt::Error)?);
    line.push(':');
    line.push_str(&serde_json::to_string(value).map_err(|_| fmt::Error)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A writer tests read back.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'w> MakeWriter<'w> for Buffer {
        type Writer = Buffer;
        fn make_writer(&'w self) -> Self::Writer {
            self.clone()
        }
    }

    fn lines(log: impl FnOnce()) -> (String, Vec<Value>) {
        let buffer = Buffer::default();
        let subscriber = json_subscriber(EnvFilter::new("info"), buffer.clone());
        tracing::subscriber::with_default(subscriber, log);
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let parsed = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (text, parsed)
    }

    #[test]
    fn span_fields_are_top_level_keys_of_every_line_logged_inside_the_span() {
        let (_, lines) = lines(|| {
            let job = tracing::error_span!("job", portal_id = 62515_i64, job_id = 7_i64);
            let lead = job.in_scope(|| {
                tracing::error_span!("lead", contact_id = 123_i64, request_id = "req-1")
            });
            lead.in_scope(|| tracing::info!(owner_id = "301", "task created"));
            tracing::info!("worker started");
        });
        let line = &lines[0];
        assert_eq!(line["message"], "task created");
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["portal_id"], 62515, "a number, from the outer span");
        assert_eq!(line["contact_id"], 123);
        assert_eq!(line["job_id"], 7);
        assert_eq!(line["request_id"], "req-1");
        assert_eq!(line["owner_id"], "301");
        assert!(line["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
        assert_eq!(line["target"], module_path!());
        assert!(lines[1].get("contact_id").is_none(), "no span, no ids");
    }

    #[test]
    fn an_event_field_wins_over_a_span_field_and_each_key_appears_once() {
        let (text, lines) = lines(|| {
            let outer = tracing::error_span!("outer", portal_id = 1_i64, step = "outer");
            let inner = outer.in_scope(|| tracing::error_span!("inner", step = "inner"));
            inner.in_scope(|| tracing::warn!(portal_id = 1_i64, attempt = 3_i64, "SLA step taken"));
        });
        assert_eq!(lines[0]["step"], "inner", "the inner span wins");
        assert_eq!(lines[0]["attempt"], 3);
        assert_eq!(text.matches("\"portal_id\"").count(), 1, "{text}");
        assert_eq!(text.matches("\"step\"").count(), 1, "{text}");
    }

    #[test]
    fn a_field_recorded_on_a_span_later_shows_on_the_lines_after() {
        let (_, lines) = lines(|| {
            let span =
                tracing::error_span!("lead", lead_id = 9_i64, contact_id = tracing::field::Empty);
            span.in_scope(|| tracing::info!("lead decided"));
            span.record("contact_id", 123_i64);
            span.in_scope(|| tracing::info!("lead decided"));
        });
        assert!(lines[0].get("contact_id").is_none());
        assert_eq!(lines[1]["contact_id"], 123);
        assert_eq!(lines[1]["lead_id"], 9);
    }
}
