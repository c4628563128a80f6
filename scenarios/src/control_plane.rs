//! The control plane as measurements read it: Lambda's configuration (a
//! change that retires every execution environment, waited on with a
//! bound), CloudWatch Logs read until it settles, and a wait that names
//! itself. Cold starts are forced and read the way AWS documents: a
//! configuration change (`UpdateFunctionConfiguration` with a harness-owned
//! nonce variable, restored at the end), `GetFunctionConfiguration` until
//! `LastUpdateStatus` is `Successful`, then Init Duration from the
//! function's log group: the text `REPORT RequestId: … Init Duration: … ms`
//! line and the JSON `platform.report` record (`record.metrics.initDurationMs`)
//! alike.

use aws_sdk_lambda::types::{Environment, LastUpdateStatus};
use emulator::cwlogs::{decision_request_ids, filter_events};
use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

/// A measurement's control-plane call that failed (a Lambda or CloudWatch
/// Logs call that errored or timed out): `Ok(Err(why))`, which the suite
/// records as a SKIP naming the call, so the stages before and after it
/// stand. Any other error (a stop, a data-plane failure) stays an error.
///
/// # Errors
/// `r`'s error when it is not the control plane's.
pub fn control_plane_lost<T>(
    r: crate::error::Result<T>,
) -> crate::error::Result<Result<T, String>> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(e @ crate::error::Error::Aws { .. }) => Ok(Err(format!(
            "not measured: the control plane stopped answering during this stage ({e})"
        ))),
        Err(e) => Err(e),
    }
}

/// A wait on the control plane that names itself: silent for its first
/// 5 s, then one line saying what it waits for, how long so far and its
/// bound, again every 10 s. A stage never sits silent on a slow or frozen
/// control plane.
#[derive(Debug)]
pub struct Waiting {
    what: String,
    bound: Duration,
    since: std::time::Instant,
    next: Duration,
}

impl Waiting {
    /// Starts the clock on a wait for `what` of at most `bound`.
    pub fn new(what: impl Into<String>, bound: Duration) -> Self {
        Self {
            what: what.into(),
            bound,
            since: std::time::Instant::now(),
            next: Duration::from_secs(5),
        }
    }

    /// Call once per poll; `now` says what the last poll saw.
    pub fn poll(&mut self, now: impl FnOnce() -> String) {
        if let Some(line) = self.line_at(self.since.elapsed(), now) {
            eprintln!("{line}");
        }
    }

    /// The line due after `waited`, if one is.
    fn line_at(&mut self, waited: Duration, now: impl FnOnce() -> String) -> Option<String> {
        if waited < self.next {
            return None;
        }
        self.next = waited + Duration::from_secs(10);
        Some(format!(
            "           still waiting for {}: {} ({} s of at most {} s)",
            self.what,
            now(),
            waited.as_secs(),
            self.bound.as_secs()
        ))
    }
}

/// The variable the harness sets to force new environments.
pub const NONCE_VARIABLE: &str = "HARNESS_COLD_START_NONCE";

/// A Lambda client from the SDK environment.
pub async fn client() -> aws_sdk_lambda::Client {
    aws_sdk_lambda::Client::new(&emulator::sdk::config(None).await)
}

/// The version an alias (or version qualifier) runs: `Some("7")` for an
/// alias on a published version, `None` when it runs `$LATEST` (which a
/// configuration change reaches).
///
/// # Errors
/// A one-line message naming the call.
pub async fn published_version(
    client: &aws_sdk_lambda::Client,
    function: &str,
    qualifier: &str,
) -> crate::error::Result<Option<String>> {
    if qualifier == "$LATEST" {
        return Ok(None);
    }
    if qualifier.chars().all(|c| c.is_ascii_digit()) {
        return Ok(Some(qualifier.to_owned()));
    }
    let out = client
        .get_alias()
        .function_name(function)
        .name(qualifier)
        .send()
        .await
        .map_err(|e| {
            crate::error::Error::aws_about(
                "Lambda",
                "GetAlias",
                e,
                format!("function {function}, alias {qualifier}"),
            )
        })?;
    Ok(out
        .function_version()
        .filter(|v| *v != "$LATEST")
        .map(str::to_owned))
}

/// The function's environment variables now.
///
/// # Errors
/// A one-line message naming the call.
pub async fn environment(
    client: &aws_sdk_lambda::Client,
    function: &str,
) -> crate::error::Result<HashMap<String, String>> {
    let settings = emulator::apigw::read_function(client, function).await?;
    Ok(settings.env.into_iter().collect())
}

/// Sets the function's environment to `vars` and waits (at most `bound`)
/// until `LastUpdateStatus` is `Successful`; returns how long that took.
///
/// # Errors
/// The update failed, or did not finish within `bound`.
pub async fn update_and_wait(
    client: &aws_sdk_lambda::Client,
    function: &str,
    vars: HashMap<String, String>,
    bound: Duration,
) -> crate::error::Result<Duration> {
    let started = Instant::now();
    client
        .update_function_configuration()
        .function_name(function)
        .environment(Environment::builder().set_variables(Some(vars)).build())
        .send()
        .await
        .map_err(|e| {
            crate::error::Error::aws_about(
                "Lambda",
                "UpdateFunctionConfiguration",
                e,
                format!("function {function}"),
            )
        })?;
    let mut waiting = Waiting::new(
        format!("function {function}'s configuration update (GetFunctionConfiguration)"),
        bound,
    );
    loop {
        let out = client
            .get_function_configuration()
            .function_name(function)
            .send()
            .await
            .map_err(|e| crate::error::Error::aws("Lambda", "GetFunctionConfiguration", e))?;
        match out.last_update_status() {
            None | Some(LastUpdateStatus::Successful) => return Ok(started.elapsed()),
            Some(LastUpdateStatus::Failed) => {
                return Err(crate::error::Error::unavailable(format!(
                    "function {function}: the configuration update failed ({})",
                    out.last_update_status_reason().unwrap_or("no reason given")
                )))
            }
            Some(_) if started.elapsed() >= bound => {
                return Err(crate::error::Error::unavailable(format!(
                    "function {function}: the configuration update did not finish within {} s",
                    bound.as_secs()
                )))
            }
            Some(status) => {
                waiting.poll(|| format!("LastUpdateStatus {}", status.as_str()));
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

/// `(request id, Init Duration ms)` of a cold start's report line: the text
/// `REPORT` line or the JSON `platform.report` record; `None` for a warm
/// invocation's report or any other line.
pub fn init_duration(line: &str) -> Option<(String, f64)> {
    if let Some(rest) = line.strip_prefix("REPORT RequestId: ") {
        let id = rest.split(['\t', ' ']).next()?.to_owned();
        let ms = rest
            .split('\t')
            .find_map(|f| f.trim().strip_prefix("Init Duration: "))?
            .trim_end_matches(" ms")
            .parse()
            .ok()?;
        return Some((id, ms));
    }
    let v: serde_json::Value = serde_json::from_str(line.trim()).ok()?;
    if v.get("type")?.as_str()? != "platform.report" {
        return None;
    }
    let record = v.get("record")?;
    let ms = record.get("metrics")?.get("initDurationMs")?.as_f64()?;
    Some((record.get("requestId")?.as_str()?.to_owned(), ms))
}

/// The cold starts reported in `group` between `start_ms` and `end_ms`,
/// with their log timestamps: `(timestamp ms, request id, Init Duration
/// ms)`, one per request id, in time order.
///
/// # Errors
/// A one-line message naming the call.
pub async fn reported_cold_start_times(
    client: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    start_ms: i64,
    end_ms: i64,
) -> crate::error::Result<Vec<(i64, String, f64)>> {
    let mut out: Vec<(i64, String, f64)> = filter_events(client, group, start_ms, end_ms, None)
        .await?
        .iter()
        .filter_map(|(ts, m)| init_duration(m).map(|(id, ms)| (*ts, id, ms)))
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    out.dedup_by(|a, b| a.1 == b.1);
    out.sort_by_key(|e| e.0);
    Ok(out)
}

/// Polls [`decision_request_ids`] until the count is unchanged over two
/// polls 1 s apart, at most `bound`: (ids, how long delivery took).
///
/// # Errors
/// As [`decision_request_ids`].
pub async fn settled_request_ids(
    client: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    start_ms: i64,
    end_ms: i64,
    bound: Duration,
) -> crate::error::Result<(BTreeSet<String>, Duration)> {
    let started = Instant::now();
    let mut last: Option<usize> = None;
    let mut settled_at = Duration::ZERO;
    let mut waiting = Waiting::new(
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
pub async fn settled_events(
    client: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    start_ms: i64,
    end_ms: i64,
) -> crate::error::Result<Vec<(i64, String)>> {
    let began = Instant::now();
    let mut last: Option<usize> = None;
    let mut waiting = Waiting::new(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_names_itself_after_5_s_then_every_10_s() {
        let mut w = Waiting::new("the log lines", Duration::from_secs(60));
        let mut at = |s: u64| w.line_at(Duration::from_secs(s), || format!("{s} so far"));
        assert_eq!(at(0), None);
        assert_eq!(at(4), None);
        assert_eq!(
            at(5).as_deref(),
            Some("           still waiting for the log lines: 5 so far (5 s of at most 60 s)")
        );
        assert_eq!(at(6), None);
        assert_eq!(at(14), None);
        assert!(at(15).is_some_and(|l| l.contains("15 so far (15 s of at most 60 s)")));
    }

    #[test]
    fn reads_init_duration_from_text_and_json_reports() {
        let text = "REPORT RequestId: 8f5c-1\tDuration: 1.52 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 9 MB\tInit Duration: 12.34 ms";
        assert_eq!(init_duration(text), Some(("8f5c-1".into(), 12.34)));
        let json = r#"{"time":"2026-12-01T00:00:00Z","type":"platform.report","record":{"requestId":"r-2","metrics":{"durationMs":1.1,"billedDurationMs":2,"memorySizeMB":128,"maxMemoryUsedMB":9,"initDurationMs":20.5},"status":"success"}}"#;
        assert_eq!(init_duration(json), Some(("r-2".into(), 20.5)));
        for warm in [
            "REPORT RequestId: w\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 9 MB",
            r#"{"type":"platform.report","record":{"requestId":"w","metrics":{"durationMs":1.0}}}"#,
            r#"{"type":"platform.start","record":{"requestId":"w"}}"#,
            r#"{"event":"decision","request_id":"w"}"#,
            "",
        ] {
            assert_eq!(init_duration(warm), None, "{warm}");
        }
    }
}
