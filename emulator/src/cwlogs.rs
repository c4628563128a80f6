//! CloudWatch Logs on both sides of the measurement: the emulator ships each
//! execution environment's output into the function's log group (as Lambda
//! does), and the suite counts the authorizer's invocations from its own
//! decision lines there (`FilterLogEvents`), against a deployment and the
//! local stack alike.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use tokio::sync::mpsc;

/// One log line for a stream, stamped when it was written.
#[derive(Debug, Clone)]
pub struct LogRecord {
    /// The log stream (`YYYY/MM/DD/[$LATEST]<id>`).
    pub stream: String,
    /// Milliseconds since the epoch.
    pub timestamp_ms: i64,
    /// The line.
    pub message: String,
}

/// Where the emulator's log lines go.
pub type LogSink = mpsc::UnboundedSender<LogRecord>;

/// Log batches this process could not ship, and the first failure.
static LOST_BATCHES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
static FIRST_LOSS: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// `settings` (a report's target settings) with the control plane's
/// losses during the run, when it stopped answering: the report names it,
/// the verdicts say what it cost.
pub fn with_losses(
    mut settings: std::collections::BTreeMap<String, String>,
) -> std::collections::BTreeMap<String, String> {
    if let Some(lost) = shipping_losses() {
        settings.insert("control plane".into(), lost);
    }
    settings
}

/// For the report: the log batches the emulator could not ship because the
/// control plane stopped answering, if any (`N log batches …, first: …`).
pub fn shipping_losses() -> Option<String> {
    let n = LOST_BATCHES.load(std::sync::atomic::Ordering::SeqCst);
    (n > 0).then(|| {
        format!(
            "stopped answering during the run: {n} log batches could not be shipped (first: {})",
            FIRST_LOSS.get().map_or("", String::as_str)
        )
    })
}

/// The metric names declared by the CloudWatch Embedded Metric Format
/// lines in `group` between `start_ms` and `end_ms`, each with the number
/// of lines that carried it (a line counts only if it is EMF: `_aws` with a
/// `CloudWatchMetrics` list whose metrics are numbers at the root).
///
/// # Errors
/// As [`filter_events`].
pub async fn emf_metrics(
    client: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    start_ms: i64,
    end_ms: i64,
) -> crate::Result<BTreeMap<String, usize>> {
    let mut seen = BTreeMap::new();
    for message in filter_messages(client, group, start_ms, end_ms, None).await? {
        let Ok(doc) = serde_json::from_str::<serde_json::Value>(&message) else {
            continue;
        };
        let directives = doc
            .pointer("/_aws/CloudWatchMetrics")
            .and_then(serde_json::Value::as_array);
        for d in directives.into_iter().flatten() {
            let metrics = d.get("Metrics").and_then(serde_json::Value::as_array);
            for m in metrics.into_iter().flatten() {
                if let Some(name) = m.get("Name").and_then(serde_json::Value::as_str) {
                    if doc.get(name).is_some_and(serde_json::Value::is_number) {
                        *seen.entry(name.to_owned()).or_insert(0) += 1;
                    }
                }
            }
        }
    }
    Ok(seen)
}

/// A CloudWatch Logs client from the SDK environment, or pointed at
/// `endpoint_url`.
pub async fn client(endpoint_url: Option<&str>) -> aws_sdk_cloudwatchlogs::Client {
    aws_sdk_cloudwatchlogs::Client::new(&crate::sdk::config(endpoint_url).await)
}

/// Starts shipping records sent to the returned sink into `group`, in
/// batches every 200 ms (streams created as they appear). The task ends
/// when every sender is dropped, after a last flush.
pub fn ship(
    client: aws_sdk_cloudwatchlogs::Client,
    group: String,
) -> (LogSink, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = mpsc::unbounded_channel::<LogRecord>();
    let task = tokio::spawn(async move {
        let mut streams: BTreeSet<String> = BTreeSet::new();
        let mut open = true;
        // Batches that could not be shipped since the last one that could:
        // the first failure is named, the rest counted (never a line per
        // batch), and the recovery said once.
        let mut failing = 0u64;
        while open {
            let mut batch: BTreeMap<String, Vec<LogRecord>> = BTreeMap::new();
            let deadline = tokio::time::sleep(Duration::from_millis(200));
            tokio::pin!(deadline);
            loop {
                tokio::select! {
                    r = rx.recv() => match r {
                        Some(rec) => batch.entry(rec.stream.clone()).or_default().push(rec),
                        None => { open = false; break; }
                    },
                    () = &mut deadline => break,
                }
            }
            for (stream, mut records) in batch {
                if streams.insert(stream.clone()) {
                    let _ = client
                        .create_log_stream()
                        .log_group_name(&group)
                        .log_stream_name(&stream)
                        .send()
                        .await;
                }
                records.sort_by_key(|r| r.timestamp_ms);
                let events: Vec<_> = records
                    .iter()
                    .filter_map(|r| {
                        aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                            .timestamp(r.timestamp_ms)
                            .message(&r.message)
                            .build()
                            .ok()
                    })
                    .collect();
                match client
                    .put_log_events()
                    .log_group_name(&group)
                    .log_stream_name(&stream)
                    .set_log_events(Some(events))
                    .send()
                    .await
                {
                    Err(e) => {
                        if failing == 0 {
                            let why = authorizer::aws_error::describe(
                                "CloudWatch Logs",
                                "PutLogEvents",
                                &e,
                            );
                            eprintln!(
                                "log shipping to {group}: the control plane stopped answering ({why}); later failures are counted, not printed"
                            );
                            let _ = FIRST_LOSS.set(why);
                        }
                        failing += 1;
                        LOST_BATCHES.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                    Ok(_) if failing > 0 => {
                        eprintln!(
                            "log shipping to {group}: the control plane answers again ({failing} batches lost)"
                        );
                        failing = 0;
                    }
                    Ok(_) => {}
                }
            }
        }
    });
    (tx, task)
}

/// Every message in `group` between `start_ms` and `end_ms` matching
/// `pattern` (all pages of `FilterLogEvents`).
///
/// # Errors
/// A one-line message naming the call.
pub async fn filter_messages(
    client: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    start_ms: i64,
    end_ms: i64,
    pattern: Option<&str>,
) -> crate::Result<Vec<String>> {
    Ok(filter_events(client, group, start_ms, end_ms, pattern)
        .await?
        .into_iter()
        .map(|e| e.1)
        .collect())
}

/// `(timestamp ms, message)` of the events in `group` between `start_ms`
/// and `end_ms` matching `pattern` (all pages of `FilterLogEvents`).
///
/// # Errors
/// A one-line message naming the call.
pub async fn filter_events(
    client: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    start_ms: i64,
    end_ms: i64,
    pattern: Option<&str>,
) -> crate::Result<Vec<(i64, String)>> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .filter_log_events()
            .log_group_name(group)
            .start_time(start_ms)
            .end_time(end_ms)
            .set_filter_pattern(pattern.map(str::to_owned))
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| {
                crate::Error::aws_about(
                    "CloudWatch Logs",
                    "FilterLogEvents",
                    e,
                    format!("log group {group}"),
                )
            })?;
        out.extend(page.events().iter().filter_map(|e| {
            e.message()
                .map(|m| (e.timestamp().unwrap_or_default(), m.to_owned()))
        }));
        match page.next_token() {
            Some(t) if Some(t) != token.as_deref() => token = Some(t.to_owned()),
            _ => break,
        }
    }
    Ok(out)
}

/// The request ids of the authorizer's decision lines in `group` between
/// `start_ms` and `end_ms` (the JSON `"event":"decision"` lines; each names
/// its `request_id`).
///
/// # Errors
/// A one-line message naming the call.
pub async fn decision_request_ids(
    client: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    start_ms: i64,
    end_ms: i64,
) -> crate::Result<BTreeSet<String>> {
    Ok(
        filter_messages(client, group, start_ms, end_ms, Some("decision"))
            .await?
            .iter()
            .filter_map(|m| decision_request_id(m))
            .collect(),
    )
}

/// The `request_id` of an authorizer decision line (tracing's JSON: the
/// fields at the top level or under `fields`), `None` for any other line.
pub fn decision_request_id(line: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(line.trim()).ok()?;
    let fields = v.get("fields").unwrap_or(&v);
    if fields.get("event")?.as_str()? != "decision" {
        return None;
    }
    fields
        .get("request_id")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_request_id_of_decision_lines_only() {
        let line = r#"{"timestamp":"t","level":"INFO","fields":{"event":"decision","outcome":"allow","request_id":"r-1"},"target":"authorizer"}"#;
        assert_eq!(decision_request_id(line).as_deref(), Some("r-1"));
        let flat = r#"{"event":"decision","request_id":"r-2"}"#;
        assert_eq!(decision_request_id(flat).as_deref(), Some("r-2"));
        for other in [
            r#"{"fields":{"event":"cold_start"}}"#,
            "REPORT RequestId: r-3\tDuration: 1 ms",
            r#"{"fields":{"event":"decision"}}"#,
            "",
        ] {
            assert_eq!(decision_request_id(other), None, "{other}");
        }
    }
}
