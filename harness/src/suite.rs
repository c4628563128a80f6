//! `harness suite`: the main job, one measurement path for every target.
//! A deployment is measured through AWS's own interfaces: the stage limits
//! and the authorizer TTL read from API Gateway (`GetStage`,
//! `GetAuthorizer`), cold starts forced with `UpdateFunctionConfiguration`
//! and their Init Duration read from the function's CloudWatch Logs group,
//! caching counted from the authorizer's decision lines in that group, the
//! security catalog and the throttling and mixed scenarios sent to its URL.
//! With no target, the local run is such a deployment ([`crate::run`]).
//! With `--target URL` alone, what needs the deployment's description is
//! SKIP with the reason. Returns the summary with the verdicts; the caller
//! writes `summary.json`, `report.md` and `report.html`.

use crate::check::{self, Fresh};
use crate::progress::live_endpoint;
use crate::run::{with_run, Findings, Job, Run, RunOptions, RunResult, Target};
use reports::model::{Scenario, Status, Verdict};
use reports::security::SecurityReport;
use scenarios::{until_stopped, Endpoint, MixedCase};
use std::collections::BTreeMap;
use std::path::PathBuf;
use tokens::catalog::{self, Case, Expected};

/// The suite's local stack: the module's defaults (100 req/s, burst 50).
const JOB: Job = Job {
    name: "suite",
    stack: "jwt-authorizer-local",
    stage: (100.0, 50),
};

/// Runs the suite (`quick`: the CI lengths, ≤ 60 s of measuring).
///
/// # Errors
/// A one-line cause; everything started is stopped first.
pub async fn run(opts: &RunOptions, quick: bool) -> crate::Result<RunResult> {
    let timings = Timings::of(quick);
    let (run, found) = with_run(opts, JOB, async |run: &Run| {
        stages(opts, run, timings).await
    })
    .await?;
    Ok(run.result(opts, found))
}

/// The genuine tokens a run needs, minted before anything is measured.
struct Tokens {
    cases: Vec<Case>,
    /// Per cold-start trial: k first requests and 3 warm ones, each its own
    /// token (so each reaches the authorizer).
    cold: Vec<String>,
    /// One token shared by caching and throttling.
    shared: String,
}

/// The security check, then each scenario measured or skipped with its
/// reason, then the verdicts.
async fn stages(opts: &RunOptions, run: &Run, timings: Timings) -> crate::Result<Findings> {
    let timings = timings.fitted(run.target.throttle);
    let p = &run.stages;
    p.stage("minting tokens through KMS (catalog and pools)")?;
    let cases = catalog::build(&run.signer, &run.profile).await?;
    let cold_n = timings.cold_trials * (timings.burst_k + 3);
    let mut pool = run.mint_valid(cold_n + 1, "load").await?;
    let shared = pool
        .pop()
        .ok_or_else(|| crate::Error::unavailable("no shared token minted"))?;
    let tokens = Tokens {
        cases,
        cold: pool,
        shared,
    };
    let t = &run.target;
    p.stage("security check (catalog through the gateway)")?;
    let fresh = Fresh {
        signer: &run.signer,
        profile: &run.profile,
    };
    let security = until_stopped(check::run(
        &check::Target::Url(t.url.clone()),
        &tokens.cases,
        &[],
        &fresh,
        check::CheckOptions {
            pace: timings.check_pace,
            ..check::CheckOptions::default()
        },
    ))
    .await?;
    let (scenarios, skipped) = measure(opts, run, &tokens, timings).await?;
    p.stage("writing the report")?;
    Ok(Findings {
        verdicts: verdicts(&security, &scenarios, &skipped),
        security: Some(security),
        scenarios,
        bench: read_bench(&opts.root),
        load: None,
    })
}

/// How long and how hard each scenario runs (`--quick` shortens them all).
#[derive(Debug, Clone, Copy)]
struct Timings {
    cold_trials: usize,
    burst_k: usize,
    cache: scenarios::caching::Timing,
    thr_secs: usize,
    multipliers: &'static [f64],
    mixed_rate: f64,
    mixed_secs: usize,
    /// The security check's pace, cases per second (`None`: unpaced).
    check_pace: Option<f64>,
}

impl Timings {
    fn of(quick: bool) -> Self {
        if quick {
            Self {
                cold_trials: 3,
                burst_k: 3,
                cache: scenarios::caching::Timing {
                    rate: 40.0,
                    seconds: 3,
                    expiry_wait_max: 10,
                },
                thr_secs: 3,
                multipliers: &[0.5, 1.0, 2.0, 4.0],
                mixed_rate: 60.0,
                mixed_secs: 3,
                check_pace: None,
            }
        } else {
            Self {
                cold_trials: 10,
                burst_k: 5,
                cache: scenarios::caching::Timing {
                    rate: 100.0,
                    seconds: 8,
                    expiry_wait_max: 30,
                },
                thr_secs: 5,
                multipliers: &[0.5, 1.0, 1.5, 2.0, 3.0, 4.0],
                mixed_rate: 150.0,
                mixed_secs: 10,
                check_pace: None,
            }
        }
    }

    /// Against a throttled stage, the traffic that measures decisions (the
    /// security check, caching, mixed) stays below 80 % of its rate, so it
    /// measures the authorizer, not the bucket (a 429 left is counted
    /// apart); the throttling sweep alone goes past it.
    fn fitted(self, throttle: Option<(f64, f64)>) -> Self {
        let Some((limit, _)) = throttle.filter(|(limit, _)| *limit > 0.0) else {
            return self;
        };
        let below = |rate: f64| f64::min(rate, 0.8 * limit);
        Self {
            cache: scenarios::caching::Timing {
                rate: below(self.cache.rate),
                ..self.cache
            },
            mixed_rate: below(self.mixed_rate),
            check_pace: Some(0.8 * limit),
            ..self
        }
    }
}

type Scenarios = BTreeMap<String, Scenario>;
type Skipped = BTreeMap<&'static str, String>;

const NEEDS_DEPLOYMENT: &str =
    "needs the function name and log group: pass --deployment (terraform output -json)";

/// Cold start, caching, throttling and mixed traffic, each measured or
/// skipped with its reason.
async fn measure(
    opts: &RunOptions,
    run: &Run,
    tokens: &Tokens,
    timings: Timings,
) -> crate::Result<(Scenarios, Skipped)> {
    let (p, t) = (&run.stages, &run.target);
    let mut scen = Scenarios::new();
    let mut skipped = Skipped::new();
    let group = t.log_group().map(str::to_owned);
    let function = t.function().map(str::to_owned);
    // An authorizer that invokes a published version (an alias on one)
    // does not see a configuration change to $LATEST: forcing its cold
    // starts would mean publishing a version and moving the alias that
    // serves production, which this run does not do.
    let published = match (&function, &t.deployed.qualifier) {
        (Some(function), Some(q)) => {
            let lambda = scenarios::control_plane::client().await;
            scenarios::control_plane::published_version(&lambda, function, q)
                .await?
                .map(|v| (q.clone(), v))
        }
        _ => None,
    };
    match (&function, &group, published) {
        (Some(_), Some(_), Some((q, v))) => {
            skipped.insert(
                "cold_start",
                format!("the authorizer invokes {q} (published version {v}): a configuration change to $LATEST forces no cold start there, and moving {q} would change production; measure a deployment whose alias follows $LATEST (the module's publish = false)"),
            );
        }
        (Some(function), Some(group), None) => {
            p.stage(&format!(
                "cold start (UpdateFunctionConfiguration on {function}; Init Duration from {group})"
            ))?;
            let s = scenarios::cold_start(
                &t.url,
                &tokens.cold,
                function,
                group,
                timings.cold_trials,
                timings.burst_k,
            )
            .await?;
            match s {
                Ok(s) => {
                    scen.insert("cold_start".into(), s);
                }
                Err(why) => {
                    skipped.insert("cold_start", why);
                }
            }
        }
        (None, Some(_), _) => {
            skipped.insert(
                "cold_start",
                "needs the function name: pass --deployment with a function_name output".into(),
            );
        }
        (_, None, _) => {
            skipped.insert("cold_start", NEEDS_DEPLOYMENT.into());
        }
    }
    match &group {
        Some(group) => {
            p.stage(&format!(
                "caching (one shared token; authorizer invocations counted in {group})"
            ))?;
            let s = until_stopped(scenarios::caching(
                &t.url,
                &tokens.shared,
                group,
                t.deployed.ttl_seconds,
                timings.cache,
            ))
            .await;
            match scenarios::control_plane::control_plane_lost(s)? {
                Ok(s) => {
                    scen.insert("caching".into(), s);
                }
                Err(why) => {
                    skipped.insert("caching", why);
                }
            }
        }
        None => {
            skipped.insert("caching", NEEDS_DEPLOYMENT.into());
        }
    }
    match t.throttle {
        Some((rate, burst)) => {
            p.stage("throttling (rate sweep and burst)")?;
            let planned: f64 = timings
                .multipliers
                .iter()
                .map(|m| rate * m * timings.thr_secs as f64)
                .sum();
            let (ep, bar) = live_endpoint(opts.progress, &endpoint(t), planned, "throttling");
            let result = until_stopped(scenarios::throttling(
                &ep,
                &tokens.shared,
                rate,
                burst,
                timings.multipliers,
                timings.thr_secs,
            ))
            .await;
            if let Some(b) = bar {
                b.finish().await;
            }
            scen.insert("throttling".into(), result?);
        }
        None => {
            skipped.insert(
                "throttling",
                "needs the stage's limits: pass --deployment (read with GetStage) or --rate and --burst".into(),
            );
        }
    }
    p.stage("mixed traffic")?;
    scen.insert(
        "mixed".into(),
        until_stopped(mixed(opts, t, &tokens.cases, timings)).await?,
    );
    Ok((scen, skipped))
}

/// Mixed traffic: the catalog's HTTP-safe cases in a 6:1:2:1 mix.
async fn mixed(
    opts: &RunOptions,
    t: &Target,
    cases: &[Case],
    timings: Timings,
) -> crate::Result<Scenario> {
    let mixed_cases: Vec<MixedCase> = cases
        .iter()
        .filter(|c| c.http_safe() && !c.fresh)
        .map(|c| MixedCase {
            family: c.family.as_str().into(),
            authorization: c.authorization.clone(),
            allow: c.expected == Expected::Allow,
        })
        .collect();
    let weights = [
        ("valid", 6),
        ("expired", 1),
        ("forged", 2),
        ("malformed", 1),
    ];
    let rate = timings.mixed_rate;
    let (ep, bar) = live_endpoint(
        opts.progress,
        &endpoint(t),
        rate * timings.mixed_secs as f64,
        "mixed",
    );
    let result = scenarios::mixed(&ep, &mixed_cases, &weights, rate, timings.mixed_secs).await;
    if let Some(b) = bar {
        b.finish().await;
    }
    Ok(result?)
}

/// The target's URL as the scenarios take it.
fn endpoint(t: &Target) -> Endpoint {
    Endpoint {
        url: t.url.clone(),
        live: None,
    }
}

/// The run's verdicts: security, then each scenario (a SKIP says why).
fn verdicts(security: &SecurityReport, scen: &Scenarios, skipped: &Skipped) -> Vec<Verdict> {
    let security_status = if !security.totals.holds() {
        Status::Fail
    } else if security.totals.passed == 0 {
        Status::Skip
    } else {
        Status::Pass
    };
    let mut out = vec![Verdict::new(
        "security",
        security_status,
        format!("{} of {}", security.totals.summary(), security.cases.len()),
    )];
    for name in ["cold_start", "caching", "throttling", "mixed"] {
        out.push(match scen.get(name) {
            Some(s) => Verdict::new(
                name,
                if s.pass { Status::Pass } else { Status::Fail },
                s.decided_by(),
            ),
            None => Verdict::new(
                name,
                Status::Skip,
                format!("skipped: {}", skipped.get(name).map_or("", String::as_str)),
            ),
        });
    }
    out
}

/// Criterion medians (µs) for the verify benchmark ids, when present.
fn read_bench(root: &std::path::Path) -> BTreeMap<String, f64> {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root.join("target"), PathBuf::from)
        .join("criterion");
    let mut out = BTreeMap::new();
    for id in ["allow_uncached", "forged", "malformed", "cache_hit"] {
        let p = dir.join(id).join("new/estimates.json");
        if let Some(v) = std::fs::read_to_string(p)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        {
            if let Some(ns) = v["median"]["point_estimate"].as_f64() {
                out.insert(id.to_owned(), ns / 1000.0);
            }
        }
    }
    out
}
