//! Cold starts forced and read the way AWS documents: a configuration
//! change (`UpdateFunctionConfiguration` with a harness-owned nonce
//! variable, restored at the end) retires every execution environment; the
//! harness waits on `GetFunctionConfiguration` until `LastUpdateStatus` is
//! `Successful` (polled with a bound), sends the first requests and times
//! them client-side, then reads Init Duration from the function's log group:
//! the text `REPORT RequestId: … Init Duration: … ms` line and the JSON
//! `platform.report` record (`record.metrics.initDurationMs`) alike.

use aws_sdk_lambda::types::{Environment, LastUpdateStatus};
use std::collections::HashMap;
use std::time::{Duration, Instant};

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
) -> crate::Result<Option<String>> {
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
            crate::Error::aws_about(
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
) -> crate::Result<HashMap<String, String>> {
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
) -> crate::Result<Duration> {
    let started = Instant::now();
    client
        .update_function_configuration()
        .function_name(function)
        .environment(Environment::builder().set_variables(Some(vars)).build())
        .send()
        .await
        .map_err(|e| {
            crate::Error::aws_about(
                "Lambda",
                "UpdateFunctionConfiguration",
                e,
                format!("function {function}"),
            )
        })?;
    let mut waiting = crate::progress::Waiting::new(
        format!("function {function}'s configuration update (GetFunctionConfiguration)"),
        bound,
    );
    loop {
        let out = client
            .get_function_configuration()
            .function_name(function)
            .send()
            .await
            .map_err(|e| crate::Error::aws("Lambda", "GetFunctionConfiguration", e))?;
        match out.last_update_status() {
            None | Some(LastUpdateStatus::Successful) => return Ok(started.elapsed()),
            Some(LastUpdateStatus::Failed) => {
                return Err(crate::Error::unavailable(format!(
                    "function {function}: the configuration update failed ({})",
                    out.last_update_status_reason().unwrap_or("no reason given")
                )))
            }
            Some(_) if started.elapsed() >= bound => {
                return Err(crate::Error::unavailable(format!(
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
) -> crate::Result<Vec<(i64, String, f64)>> {
    let mut out: Vec<(i64, String, f64)> =
        emulator::cwlogs::filter_events(client, group, start_ms, end_ms, None)
            .await?
            .iter()
            .filter_map(|(ts, m)| init_duration(m).map(|(id, ms)| (*ts, id, ms)))
            .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    out.dedup_by(|a, b| a.1 == b.1);
    out.sort_by_key(|e| e.0);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

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
