//! The function's log lines read until they settle: CloudWatch Logs
//! delivers late, so a count is read again until two reads agree (or a
//! bound passes), naming the wait while it lasts.

use emulator::cwlogs::{decision_request_ids, filter_events};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// Polls [`decision_request_ids`] until the count is unchanged over two
/// polls 1 s apart, at most `bound`: (ids, how long delivery took).
///
/// # Errors
/// As [`decision_request_ids`].
pub(crate) async fn request_ids(
    client: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    start_ms: i64,
    end_ms: i64,
    bound: Duration,
) -> crate::Result<(BTreeSet<String>, Duration)> {
    let started = Instant::now();
    let mut last: Option<usize> = None;
    let mut settled_at = Duration::ZERO;
    let mut waiting = crate::progress::Waiting::new(
        format!("the authorizer's decision lines in {group} to settle (FilterLogEvents)"),
        bound,
    );
    loop {
        let ids = decision_request_ids(client, group, start_ms, end_ms).await?;
        waiting.poll(|| format!("{} so far", ids.len()));
        if last == Some(ids.len()) && !ids.is_empty() {
            return Ok((ids, settled_at));
        }
        if last != Some(ids.len()) {
            settled_at = started.elapsed();
        }
        last = Some(ids.len());
        if started.elapsed() >= bound {
            return Ok((ids, settled_at));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Log events until their count is unchanged over two polls 1 s apart
/// (at most 30 s): log delivery is asynchronous.
pub(crate) async fn events(
    client: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    start_ms: i64,
    end_ms: i64,
) -> crate::Result<Vec<(i64, String)>> {
    let began = Instant::now();
    let mut last: Option<usize> = None;
    let mut waiting = crate::progress::Waiting::new(
        format!("the function's log lines in {group} to settle (FilterLogEvents)"),
        Duration::from_secs(30),
    );
    loop {
        let ev = filter_events(client, group, start_ms, end_ms, None).await?;
        waiting.poll(|| format!("{} lines so far", ev.len()));
        if last == Some(ev.len()) || began.elapsed() > Duration::from_secs(30) {
            return Ok(ev);
        }
        last = Some(ev.len());
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
