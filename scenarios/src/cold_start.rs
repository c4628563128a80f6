//! The cold-start scenario, measured as on AWS against the local stack and
//! a deployment alike: per trial a configuration change forces new
//! execution environments, `k` first requests go out together and three
//! warm ones after, and the function's log group must report between one
//! and `k` cold starts in the trial's window.

use reports::model::Scenario;
use std::collections::BTreeMap;
use std::time::Instant;

/// Cold start measured as on AWS: per trial, a configuration change (the
/// nonce variable) and a bounded wait for `LastUpdateStatus: Successful`,
/// then `k` simultaneous first requests (distinct tokens, so each reaches
/// the authorizer) timed client-side and three warm ones; the original
/// environment is restored at the end, failures included. The log group
/// must then report, in each trial's window, between one and `k` cold
/// starts (REPORT lines with Init Duration, or `platform.report` with
/// `initDurationMs`); the first requests go out together on connections
/// opened beforehand.
pub async fn cold_start(
    url: &str,
    tokens: &[String],
    function: &str,
    group: &str,
    trials: usize,
    k: usize,
) -> crate::error::Result<Result<Scenario, String>> {
    use crate::control_plane as coldstart;
    use std::time::Duration;
    let lambda = coldstart::client().await;
    let original = coldstart::environment(&lambda, function).await?;
    let mut run = ColdRun {
        start_ms: emulator::civil_time::now_ms(),
        ..ColdRun::default()
    };
    let target = ColdTarget {
        lambda: &lambda,
        function,
        original: &original,
        url,
    };
    // Dropped at a stop; the restore below runs either way.
    let measured =
        crate::stop::until_stopped(cold_trials(&target, tokens, trials, k, &mut run)).await;
    // A function left changed is never a SKIP: its restore failing ends the
    // run, naming the function and what to put back.
    coldstart::update_and_wait(&lambda, function, original, Duration::from_secs(60))
        .await
        .map_err(|e| {
            crate::error::Error::unavailable(format!(
                "function {function}: its environment could not be restored after the cold-start trials \
                 (remove the variable {} by hand): {e}",
                coldstart::NONCE_VARIABLE
            ))
        })?;
    if let Err(why) = crate::control_plane::control_plane_lost(measured)? {
        return Ok(Err(why));
    }
    let end_ms = emulator::civil_time::now_ms() + 1000;
    let logs = emulator::cwlogs::client(None).await;
    let reported =
        crate::stop::until_stopped(settled_cold_reports(&logs, group, &run, end_ms, trials * k))
            .await;
    Ok(crate::control_plane::control_plane_lost(reported)?
        .map(|reported| cold_start_scenario(function, group, trials, k, &run, &reported)))
}

/// What the cold-start trials measured client-side.
#[derive(Debug, Default)]
struct ColdRun {
    /// When the first trial began, in epoch ms.
    start_ms: i64,
    /// First requests after each configuration change (ms).
    cold: Vec<f64>,
    /// Warm requests after them (ms).
    warm: Vec<f64>,
    /// How long each UpdateFunctionConfiguration took to settle.
    waits: Vec<std::time::Duration>,
    /// When each trial's first requests went out: the trials' log windows.
    sent_ms: Vec<i64>,
}

/// The function whose environments the trials force, and the route.
struct ColdTarget<'a> {
    lambda: &'a aws_sdk_lambda::Client,
    function: &'a str,
    /// Its environment before the run (restored after).
    original: &'a std::collections::HashMap<String, String>,
    url: &'a str,
}

/// The trials: a forced configuration change each, then `k` first requests
/// released together and three warm ones.
async fn cold_trials(
    target: &ColdTarget<'_>,
    tokens: &[String],
    trials: usize,
    k: usize,
    run: &mut ColdRun,
) -> crate::error::Result<()> {
    use crate::control_plane::{self as coldstart, NONCE_VARIABLE};
    use std::time::Duration;
    let ColdTarget {
        lambda,
        function,
        original,
        url,
    } = *target;
    let http = reqwest::Client::new();
    let mut tokens = tokens.iter();
    for trial in 0..trials {
        // A stop (a signal) ends the trials here: the caller restores the
        // function's configuration at once.
        if crate::stop::stop_requested() {
            return Err(crate::error::Error::Interrupted);
        }
        let mut vars = original.clone();
        vars.insert(NONCE_VARIABLE.into(), format!("{}-{trial}", run.start_ms));
        run.waits.push(
            coldstart::update_and_wait(lambda, function, vars, Duration::from_secs(60)).await?,
        );
        // A guard for propagation after Successful (not the wait itself).
        tokio::time::sleep(Duration::from_secs(2)).await;
        if crate::stop::stop_requested() {
            return Err(crate::error::Error::Interrupted);
        }
        // Each first request on its own connection, opened beforehand
        // by a request without the identity source (answered 401 by API
        // Gateway without invoking the authorizer), then all released
        // at once, so they reach the function together.
        let mut set = tokio::task::JoinSet::new();
        let gate = std::sync::Arc::new(tokio::sync::Barrier::new(k + 1));
        for tok in tokens.by_ref().take(k) {
            let (url, tok, gate) = (url.to_owned(), tok.clone(), std::sync::Arc::clone(&gate));
            let own = reqwest::Client::new();
            let _ = crate::endpoint::timed_get(&own, &url, None).await;
            set.spawn(async move {
                gate.wait().await;
                crate::endpoint::timed_get(&own, &url, Some(&format!("Bearer {tok}"))).await
            });
        }
        run.sent_ms.push(emulator::civil_time::now_ms());
        gate.wait().await;
        while let Some(r) = set.join_next().await {
            let (status, ms) = r??;
            if status != 200 {
                return Err(crate::error::Error::unavailable(format!(
                    "cold start: a first request got HTTP {status}"
                )));
            }
            run.cold.push(ms);
        }
        for tok in tokens.by_ref().take(3) {
            if let Ok((200, ms)) =
                crate::endpoint::timed_get(&http, url, Some(&format!("Bearer {tok}"))).await
            {
                run.warm.push(ms);
            }
        }
    }
    Ok(())
}

/// The cold starts the log group reported, polled until every trial shows
/// one (and 10 s passed) or all `expected` are in, at most 60 s.
struct ColdReports {
    reports: Vec<(i64, String, f64)>,
    /// Per trial, the cold starts in its window.
    counts: Vec<usize>,
    delivery: std::time::Duration,
}

async fn settled_cold_reports(
    logs: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    run: &ColdRun,
    end_ms: i64,
    expected: usize,
) -> crate::error::Result<ColdReports> {
    use std::time::Duration;
    let waited = Instant::now();
    let sent_ms = &run.sent_ms;
    // Trial i's window: from its first requests to the next trial's.
    let per_trial = |r: &[(i64, String, f64)]| -> Vec<usize> {
        (0..sent_ms.len())
            .map(|i| {
                let lo = sent_ms[i] - 500;
                let hi = sent_ms.get(i + 1).map_or(i64::MAX, |t| t - 500);
                r.iter().filter(|e| e.0 >= lo && e.0 < hi).count()
            })
            .collect()
    };
    let mut waiting = crate::control_plane::Waiting::new(
        format!("{expected} cold-start reports in {group} (FilterLogEvents)"),
        Duration::from_secs(60),
    );
    loop {
        let r = crate::control_plane::reported_cold_start_times(logs, group, run.start_ms, end_ms)
            .await?;
        let counts = per_trial(&r);
        waiting.poll(|| format!("{} so far", r.len()));
        let settled = r.len() >= expected
            || (counts.iter().all(|c| *c >= 1) && waited.elapsed() >= Duration::from_secs(10));
        if settled || waited.elapsed() >= Duration::from_secs(60) {
            return Ok(ColdReports {
                reports: r,
                counts,
                delivery: waited.elapsed(),
            });
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The cold start scenario: PASS when first requests are slower than warm
/// ones (ratio in 1..200) and every trial reported 1..=k cold starts.
fn cold_start_scenario(
    function: &str,
    group: &str,
    trials: usize,
    k: usize,
    run: &ColdRun,
    reported: &ColdReports,
) -> Scenario {
    use crate::control_plane::NONCE_VARIABLE;
    use crate::figures::fig;
    use reports::model::{Band, Better};
    let (reports, counts) = (&reported.reports, &reported.counts);
    let expected = trials * k;
    let inits: Vec<f64> = reports.iter().map(|(_, _, ms)| *ms).collect();
    // Each forced change must show in the logs as at least one new
    // environment and at most K: a first request that arrives after an
    // environment this trial started is idle again may reuse it, as Lambda
    // would.
    let trials_ok = counts.len() == trials && counts.iter().all(|c| (1..=k).contains(c));
    let (cold_p50, warm_p50) = (
        crate::figures::percentile(&run.cold, 0.5),
        crate::figures::percentile(&run.warm, 0.5),
    );
    let ratio = if warm_p50 > 0.0 {
        cold_p50 / warm_p50
    } else {
        0.0
    };
    let band = Band {
        min: 1.0,
        max: 200.0,
    };
    let waits: Vec<f64> = run
        .waits
        .iter()
        .map(std::time::Duration::as_secs_f64)
        .collect();
    let figures = BTreeMap::from([
        (
            "cold_to_warm_ratio".into(),
            fig(ratio, "ratio", Better::InBand),
        ),
        ("cold_p50_ms".into(), fig(cold_p50, "ms", Better::Lower)),
        ("warm_p50_ms".into(), fig(warm_p50, "ms", Better::Lower)),
        (
            "init_duration_p50_ms".into(),
            fig(crate::figures::percentile(&inits, 0.5), "ms", Better::Lower),
        ),
        (
            "init_duration_max_ms".into(),
            fig(
                inits.iter().copied().fold(0.0, f64::max),
                "ms",
                Better::Lower,
            ),
        ),
        (
            "cold_starts_reported".into(),
            fig(reports.len() as f64, "environments", Better::InBand),
        ),
        (
            "cold_starts_expected".into(),
            fig(expected as f64, "environments", Better::InBand),
        ),
        (
            "update_wait_p50_s".into(),
            fig(crate::figures::percentile(&waits, 0.5), "s", Better::Lower),
        ),
        (
            "log_delivery_s".into(),
            fig(reported.delivery.as_secs_f64(), "s", Better::Lower),
        ),
    ]);
    let mut inputs = BTreeMap::from([
        ("trials".into(), trials.to_string()),
        ("simultaneous first requests".into(), k.to_string()),
        (
            "forced by".into(),
            format!("UpdateFunctionConfiguration {function} ({NONCE_VARIABLE}), restored after"),
        ),
        (
            "source".into(),
            format!(
                "{} REPORT records with Init Duration from {group}",
                reports.len()
            ),
        ),
        (
            "cold starts per trial".into(),
            counts
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        ),
    ]);
    if !trials_ok {
        inputs.insert(
            "problem".into(),
            format!(
                "every trial must report 1..={k} cold starts in {group} within 60 s; reported per trial: {counts:?}"
            ),
        );
    } else if reports.len() < expected {
        inputs.insert(
            "note".into(),
            format!(
                "{} of {expected} first requests started an environment; the others reused one their trial had just started",
                reports.len()
            ),
        );
    }
    Scenario {
        inputs,
        figures,
        decides: "cold_to_warm_ratio".into(),
        pass: band.min <= ratio && ratio <= band.max && trials_ok,
        band,
        also: Vec::new(),
        series: vec![
            reports::model::Series {
                title: format!("Init Duration per cold start ({group})"),
                x_label: "cold start (in log order)".into(),
                y_label: "ms".into(),
                kind: reports::model::SeriesKind::Bars,
                categories: Vec::new(),
                lines: BTreeMap::from([("Init Duration".into(), numbered(&inits))]),
                bounds: Vec::new(),
            },
            reports::model::Series {
                title: "First vs warm request latency (client-side)".into(),
                x_label: "request (in send order)".into(),
                y_label: "ms".into(),
                kind: reports::model::SeriesKind::Line,
                categories: Vec::new(),
                lines: BTreeMap::from([
                    (
                        "first requests after a configuration change".into(),
                        numbered(&run.cold),
                    ),
                    ("warm requests".into(), numbered(&run.warm)),
                ]),
                bounds: Vec::new(),
            },
        ],
    }
}

/// `values` as chart points numbered from 1.
fn numbered(values: &[f64]) -> Vec<(f64, f64)> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| ((i + 1) as f64, *v))
        .collect()
}
