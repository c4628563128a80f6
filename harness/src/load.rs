//! `harness load`: one load plan against the local stack or a deployment
//! (the suite's target options), measured from intended send times into
//! HDR histograms per token class and per second, with the function's logs
//! read for cold starts and authorizer invocations per second.
//!
//! A plan is an arrival profile (constant, ramp, steps, spike), a length,
//! a warm-up excluded from the figures, a cap on requests in flight and a
//! token mix; or one of two presets: `knee` (steps up until p99 exceeds a
//! bound or errors appear; the highest rate that held) and `scaling` (a
//! step from a low to a high rate after a configuration change, so every
//! environment starts cold; cold starts per second and p99 during the
//! step). Every token is minted before the first request.

use crate::progress::Stages;
use crate::run::{with_run, Findings, Job, Run, RunOptions, RunResult, Target};
use reports::hist;
use reports::load::{ClassStats, LoadReport, Outcomes, Second, StepStats};
use reports::model::{Band, Better, Scenario, Status, Verdict};
use scenarios::arrival::{Arrival, Step};
use scenarios::engine::{self, Live, Planned};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokens::catalog::{self, Expected, Family};

/// The token mix: weights per family, and for valid tokens the share of
/// repeats (a few tokens sent again and again: API Gateway cache hits
/// after their first use) against fresh ones (each used once: a miss).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mix {
    /// Weight of valid tokens.
    #[serde(default = "w70")]
    pub valid: u32,
    /// Weight of expired tokens (the catalog's).
    #[serde(default = "w10")]
    pub expired: u32,
    /// Weight of forged tokens (the catalog's).
    #[serde(default = "w10")]
    pub forged: u32,
    /// Weight of malformed tokens (the catalog's, those HTTP can carry).
    #[serde(default = "w10")]
    pub malformed: u32,
    /// Share of valid requests that repeat a token (0–1).
    #[serde(default = "repeat_default")]
    pub repeat: f64,
    /// How many distinct repeated tokens.
    #[serde(default = "repeat_tokens_default")]
    pub repeat_tokens: usize,
}

const fn w70() -> u32 {
    70
}
const fn w10() -> u32 {
    10
}
const fn repeat_default() -> f64 {
    0.9
}
const fn repeat_tokens_default() -> usize {
    16
}

impl Default for Mix {
    fn default() -> Self {
        Self {
            valid: 70,
            expired: 10,
            forged: 10,
            malformed: 10,
            repeat: 0.9,
            repeat_tokens: 16,
        }
    }
}

impl Mix {
    /// Parses `valid=70,expired=10,forged=10,malformed=10` (families not
    /// named keep their weight).
    ///
    /// # Errors
    /// An unknown family or a weight that is not a whole number.
    pub fn with_weights(mut self, text: &str) -> crate::Result<Self> {
        for part in text.split(',').filter(|p| !p.trim().is_empty()) {
            let (name, w) = part.split_once('=').ok_or_else(|| {
                crate::Error::invalid(format!("--mix {part}: expected FAMILY=WEIGHT"))
            })?;
            let w: u32 = w.trim().parse().map_err(|_| {
                crate::Error::invalid(format!("--mix {part}: the weight must be a whole number"))
            })?;
            match name.trim() {
                "valid" => self.valid = w,
                "expired" => self.expired = w,
                "forged" => self.forged = w,
                "malformed" => self.malformed = w,
                other => {
                    return Err(crate::Error::invalid(format!(
                        "--mix: unknown family {other:?} (valid, expired, forged, malformed)"
                    )))
                }
            }
        }
        Ok(self)
    }

    fn validate(&self) -> crate::Result<()> {
        if self.valid + self.expired + self.forged + self.malformed == 0 {
            return Err(crate::Error::invalid("mix: every weight is 0"));
        }
        if !(0.0..=1.0).contains(&self.repeat) {
            return Err(crate::Error::invalid(format!(
                "--repeat must be in 0..1, got {}",
                self.repeat
            )));
        }
        if self.repeat > 0.0 && self.repeat_tokens == 0 {
            return Err(crate::Error::invalid(
                "mix.repeat_tokens must be ≥ 1 when repeat > 0",
            ));
        }
        Ok(())
    }
}

/// The `knee` preset.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Knee {
    /// First step's rate, req/s.
    #[serde(default = "knee_start")]
    pub start_rate: f64,
    /// Each step's rate is the previous one's times this.
    #[serde(default = "knee_factor")]
    pub factor: f64,
    /// Step length, s.
    #[serde(default = "knee_step")]
    pub step_s: f64,
    /// Highest rate tried, req/s.
    #[serde(default = "knee_max")]
    pub max_rate: f64,
    /// A step holds while its p99 stays at or below this, ms.
    #[serde(default = "knee_p99")]
    pub p99_ms: f64,
    /// … and its errors (5xx, transport, wrong decisions, 429) stay at or
    /// below this fraction.
    #[serde(default = "knee_errors")]
    pub max_error_fraction: f64,
}

const fn knee_start() -> f64 {
    100.0
}
const fn knee_factor() -> f64 {
    1.5
}
const fn knee_step() -> f64 {
    5.0
}
const fn knee_max() -> f64 {
    20_000.0
}
const fn knee_p99() -> f64 {
    50.0
}
const fn knee_errors() -> f64 {
    0.001
}

impl Default for Knee {
    fn default() -> Self {
        Self {
            start_rate: knee_start(),
            factor: knee_factor(),
            step_s: knee_step(),
            max_rate: knee_max(),
            p99_ms: knee_p99(),
            max_error_fraction: knee_errors(),
        }
    }
}

/// The `scaling` preset.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scaling {
    /// Rate before the step, req/s.
    #[serde(default = "scaling_low")]
    pub low_rate: f64,
    /// Seconds at the low rate.
    #[serde(default = "scaling_low_s")]
    pub low_s: f64,
    /// Rate after the step, req/s.
    #[serde(default = "scaling_high")]
    pub high_rate: f64,
    /// Seconds at the high rate.
    #[serde(default = "scaling_high_s")]
    pub high_s: f64,
}

const fn scaling_low() -> f64 {
    20.0
}
const fn scaling_low_s() -> f64 {
    5.0
}
const fn scaling_high() -> f64 {
    400.0
}
const fn scaling_high_s() -> f64 {
    10.0
}

impl Default for Scaling {
    fn default() -> Self {
        Self {
            low_rate: scaling_low(),
            low_s: scaling_low_s(),
            high_rate: scaling_high(),
            high_s: scaling_high_s(),
        }
    }
}

/// A plan file (`--plan load.toml`); every field optional, flags override.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanFile {
    /// `knee` or `scaling` (a preset), or leave out and give `arrival`.
    pub profile: Option<String>,
    /// The arrival profile (`kind` = constant, ramp, steps or spike).
    pub arrival: Option<Arrival>,
    /// Run length, s (default: the profile's own, else 60).
    pub duration_s: Option<f64>,
    /// Seconds at the start excluded from the figures.
    pub warmup_s: Option<f64>,
    /// Most requests in flight at once (goose users).
    pub max_in_flight: Option<usize>,
    /// Most fresh tokens minted for one run.
    pub max_fresh_tokens: Option<usize>,
    /// The token mix.
    pub mix: Option<Mix>,
    /// The `knee` preset's settings.
    pub knee: Option<Knee>,
    /// The `scaling` preset's settings.
    pub scaling: Option<Scaling>,
}

impl PlanFile {
    /// Reads a plan file.
    ///
    /// # Errors
    /// Unreadable or not a plan, with the path and TOML's message.
    pub fn read(path: &std::path::Path) -> crate::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| crate::Error::io(format!("--plan {}", path.display()), e))?;
        toml::from_str(&text).map_err(|e| {
            crate::Error::invalid(format!(
                "--plan {}: {}",
                path.display(),
                e.to_string().replace('\n', " ")
            ))
        })
    }
}

/// What a run does.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// One arrival profile.
    Profile(Arrival),
    /// Steps up until one does not hold.
    Knee(Knee),
    /// Low rate, then a step to a high rate, from a cold start.
    Scaling(Scaling),
}

/// A validated plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// What runs.
    pub shape: Shape,
    /// Length, s (knee: per step).
    pub duration_s: f64,
    /// Excluded from the figures, s (knee: per step).
    pub warmup_s: f64,
    /// Cap on requests in flight.
    pub max_in_flight: usize,
    /// Most fresh tokens minted (per step for `knee`).
    pub max_fresh_tokens: usize,
    /// Token mix.
    pub mix: Mix,
}

impl Plan {
    /// Validates a plan file (after the flags were applied to it).
    ///
    /// # Errors
    /// One line naming the field or flag.
    pub fn from_file(f: PlanFile) -> crate::Result<Self> {
        let mix = f.mix.unwrap_or_default();
        mix.validate()?;
        let shape = match (f.profile.as_deref(), f.arrival) {
            (Some("knee"), _) => Shape::Knee(f.knee.unwrap_or_default()),
            (Some("scaling"), _) => Shape::Scaling(f.scaling.unwrap_or_default()),
            (Some(other), _) if !["constant", "ramp", "steps", "spike"].contains(&other) => {
                return Err(crate::Error::invalid(format!(
                    "--profile {other:?}: expected knee, scaling, constant, ramp, steps or spike"
                )))
            }
            (_, Some(a)) => Shape::Profile(a),
            (Some(p), None) => {
                return Err(crate::Error::invalid(format!(
                    "--profile {p} needs its rates: --rate, --ramp, --steps or --spike (or [arrival] in the plan file)"
                )))
            }
            (None, None) => {
                return Err(crate::Error::invalid(
                    "no load profile: give --profile knee|scaling, --rate, --ramp, --steps, --spike or --plan FILE",
                ))
            }
        };
        let natural = match &shape {
            Shape::Profile(a) => {
                a.validate()?;
                a.natural_duration()
            }
            Shape::Knee(k) => {
                for (name, v) in [
                    ("knee.start_rate", k.start_rate),
                    ("knee.step_s", k.step_s),
                    ("knee.max_rate", k.max_rate),
                    ("knee.p99_ms", k.p99_ms),
                ] {
                    if !(v.is_finite() && v > 0.0) {
                        return Err(crate::Error::invalid(format!(
                            "{name} must be > 0, got {v}"
                        )));
                    }
                }
                if !(k.factor.is_finite() && k.factor > 1.0) {
                    return Err(crate::Error::invalid(format!(
                        "knee.factor must be > 1, got {}",
                        k.factor
                    )));
                }
                Some(k.step_s)
            }
            Shape::Scaling(s) => {
                for (name, v) in [
                    ("scaling.low_rate", s.low_rate),
                    ("scaling.low_s", s.low_s),
                    ("scaling.high_rate", s.high_rate),
                    ("scaling.high_s", s.high_s),
                ] {
                    if !(v.is_finite() && v > 0.0) {
                        return Err(crate::Error::invalid(format!(
                            "{name} must be > 0, got {v}"
                        )));
                    }
                }
                Some(s.low_s + s.high_s)
            }
        };
        let duration_s = match (&shape, f.duration_s) {
            (Shape::Profile(_), Some(d)) => d,
            (_, _) => natural.unwrap_or(60.0),
        };
        if !(duration_s.is_finite() && duration_s > 0.0) {
            return Err(crate::Error::invalid(format!(
                "--duration must be > 0 s, got {duration_s}"
            )));
        }
        let warmup_s = f.warmup_s.unwrap_or(match shape {
            Shape::Profile(_) => (duration_s * 0.1).min(5.0),
            Shape::Knee(_) => 1.0,
            Shape::Scaling(_) => 0.0,
        });
        if !(warmup_s.is_finite() && warmup_s >= 0.0 && warmup_s < duration_s) {
            return Err(crate::Error::invalid(format!(
                "--warmup must be ≥ 0 and shorter than the run ({duration_s} s), got {warmup_s}"
            )));
        }
        // What the plan schedules is known now: refuse it before anything
        // starts rather than after minting.
        if let Shape::Profile(a) = &shape {
            let n = a.expected_requests(duration_s);
            let max = scenarios::arrival::MAX_REQUESTS as f64;
            if n > max {
                return Err(crate::Error::invalid(format!(
                    "the plan (--rate/--ramp/--steps/--spike over --duration {duration_s} s) schedules {n:.0} requests, more than {max}; lower the rate or the duration"
                )));
            }
            if n < 1.0 {
                return Err(crate::Error::invalid(format!(
                    "the plan (--rate/--ramp/--steps/--spike over --duration {duration_s} s) schedules no request"
                )));
            }
        }
        let max_in_flight = f.max_in_flight.unwrap_or(256);
        if !(1..=4096).contains(&max_in_flight) {
            return Err(crate::Error::invalid(format!(
                "--max-in-flight must be in 1..=4096, got {max_in_flight}"
            )));
        }
        Ok(Self {
            shape,
            duration_s,
            warmup_s,
            max_in_flight,
            max_fresh_tokens: f.max_fresh_tokens.unwrap_or(50_000),
            mix,
        })
    }

    /// The profile's name.
    pub fn name(&self) -> &'static str {
        match &self.shape {
            Shape::Profile(Arrival::Constant { .. }) => "constant",
            Shape::Profile(Arrival::Ramp { .. }) => "ramp",
            Shape::Profile(Arrival::Steps { .. }) => "steps",
            Shape::Profile(Arrival::Spike { .. }) => "spike",
            Shape::Knee(_) => "knee",
            Shape::Scaling(_) => "scaling",
        }
    }

    fn describe(&self) -> BTreeMap<String, String> {
        let mut d = BTreeMap::new();
        let arrival = match &self.shape {
            Shape::Profile(Arrival::Constant { rate }) => format!("constant {rate} req/s"),
            Shape::Profile(Arrival::Ramp { from, to, seconds }) => {
                format!("ramp {from} → {to} req/s over {seconds} s")
            }
            Shape::Profile(Arrival::Steps { steps }) => steps
                .iter()
                .map(|s| format!("{} req/s × {} s", s.rate, s.seconds))
                .collect::<Vec<_>>()
                .join(", "),
            Shape::Profile(Arrival::Spike {
                base,
                spike,
                at,
                length,
            }) => format!("{base} req/s, {spike} req/s from {at} s for {length} s"),
            Shape::Knee(k) => format!(
                "steps of {} s from {} req/s × {} up to {} req/s; a step holds with p99 ≤ {} ms and errors ≤ {}",
                k.step_s, k.start_rate, k.factor, k.max_rate, k.p99_ms, k.max_error_fraction
            ),
            Shape::Scaling(s) => format!(
                "{} req/s for {} s, then {} req/s for {} s, from a configuration change (every environment cold)",
                s.low_rate, s.low_s, s.high_rate, s.high_s
            ),
        };
        d.insert("arrival".into(), arrival);
        if let Shape::Knee(_) = self.shape {
            d.insert(
                "figures".into(),
                "from the steps that held (the first that did not is in the step table and the time series)".into(),
            );
        }
        d.insert("duration_s".into(), self.duration_s.to_string());
        d.insert("warmup_s".into(), self.warmup_s.to_string());
        d.insert("max_in_flight".into(), self.max_in_flight.to_string());
        let m = &self.mix;
        d.insert(
            "mix".into(),
            format!(
                "valid {} (repeat {} over {} tokens), expired {}, forged {}, malformed {}",
                m.valid, m.repeat, m.repeat_tokens, m.expired, m.forged, m.malformed
            ),
        );
        d
    }
}

/// Where to run and how to report.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The plan.
    pub plan: Plan,
    /// The suite's target options (target, deployment, KMS, issuer…).
    pub target: RunOptions,
    /// The local stack's stage limits (rate, burst).
    pub stage: (f64, i32),
    /// A progress bar on a terminal (else one line per stage).
    pub progress: bool,
}

/// The token classes, in plan order.
const CLASSES: [&str; 5] = [
    "valid_repeat",
    "valid_fresh",
    "expired",
    "forged",
    "malformed",
];

/// A deterministic 64-bit mix of `n` (splitmix64).
fn mix64(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The class of request `n` under `mix` (a deterministic draw by weight).
fn class_of(mix: &Mix, n: u64) -> usize {
    let total = u64::from(mix.valid + mix.expired + mix.forged + mix.malformed);
    let h = mix64(n) % total;
    let (v, e, f) = (
        u64::from(mix.valid),
        u64::from(mix.expired),
        u64::from(mix.forged),
    );
    if h < v {
        let u = (mix64(n ^ 0xA5A5_A5A5) >> 11) as f64 / (1u64 << 53) as f64;
        usize::from(u >= mix.repeat)
    } else if h < v + e {
        2
    } else if h < v + e + f {
        3
    } else {
        4
    }
}

/// The run and its tokens: the repeated valid ones, and the catalog's of
/// each family that HTTP can carry (no re-mint needed).
struct Pools<'a> {
    run: &'a Run,
    repeat: Vec<Arc<str>>,
    expired: Vec<(Option<Arc<str>>, bool)>,
    forged: Vec<(Option<Arc<str>>, bool)>,
    malformed: Vec<(Option<Arc<str>>, bool)>,
}

fn family_pool(cases: &[catalog::Case], family: Family) -> Vec<(Option<Arc<str>>, bool)> {
    cases
        .iter()
        .filter(|c| c.family == family && c.http_safe() && !c.fresh)
        .map(|c| {
            (
                c.authorization.as_deref().map(Arc::from),
                c.expected == Expected::Allow,
            )
        })
        .collect()
}

/// Builds the requests of one run: send times from `arrival`, a class per
/// request from the mix, a token per request (fresh ones minted here).
async fn build_requests(
    plan: &Plan,
    arrival: &Arrival,
    duration: f64,
    pools: &Pools<'_>,
    tag: &str,
    first_n: u64,
) -> crate::Result<Vec<Planned>> {
    let times = arrival.send_times(duration)?;
    let classes: Vec<usize> = (0..times.len() as u64)
        .map(|i| class_of(&plan.mix, first_n + i))
        .collect();
    let fresh_needed = classes.iter().filter(|c| **c == 1).count();
    if fresh_needed > plan.max_fresh_tokens {
        return Err(crate::Error::invalid(format!(
            "the plan needs {fresh_needed} fresh tokens (each used once), more than --max-fresh-tokens {}; raise it, lower the rate or duration, or raise --repeat",
            plan.max_fresh_tokens
        )));
    }
    let fresh = bearer(pools.run.mint_valid(fresh_needed, tag).await?);
    let mut fresh_it = fresh.into_iter();
    let mut counters = [0usize; 5];
    let mut out = Vec::with_capacity(times.len());
    for (at, class) in times.into_iter().zip(classes) {
        let k = counters[class];
        counters[class] += 1;
        let (authorization, allow) = match class {
            0 => (
                pools.repeat.get(k % pools.repeat.len().max(1)).cloned(),
                true,
            ),
            1 => (fresh_it.next(), true),
            c => {
                let pool = match c {
                    2 => &pools.expired,
                    3 => &pools.forged,
                    _ => &pools.malformed,
                };
                match pool.get(k % pool.len().max(1)) {
                    Some(p) => p.clone(),
                    None => continue,
                }
            }
        };
        out.push(Planned {
            at,
            class: class as u16,
            authorization,
            allow,
        });
    }
    Ok(out)
}

fn class_names() -> Vec<String> {
    CLASSES.iter().map(|c| (*c).to_owned()).collect()
}

/// Runs `opts`' plan; the summary carries the load report, its charts and
/// verdicts.
///
/// # Errors
/// A one-line cause; everything started is stopped first.
pub async fn run(opts: &LoadOptions) -> crate::Result<RunResult> {
    let job = Job {
        name: "load",
        stack: "jwt-authorizer-load",
        stage: opts.stage,
    };
    let (run, found) = with_run(&opts.target, job, async |run: &Run| {
        let p = &run.stages;
        p.stage("minting tokens through KMS (catalog cases and the repeated valid tokens)")?;
        let cases = catalog::build(&run.signer, &run.profile).await?;
        let repeat_n = if opts.plan.mix.repeat > 0.0 {
            opts.plan.mix.repeat_tokens
        } else {
            0
        };
        let pools = Pools {
            run,
            repeat: bearer(run.mint_valid(repeat_n, "repeat").await?),
            expired: family_pool(&cases, Family::Expired),
            forged: family_pool(&cases, Family::Forged),
            malformed: family_pool(&cases, Family::Malformed),
        };
        let (report, scenario, verdicts) = measure(opts, &pools).await?;
        Ok(Findings {
            scenarios: BTreeMap::from([("load".to_owned(), scenario)]),
            load: Some(report),
            verdicts,
            ..Findings::default()
        })
    })
    .await?;
    Ok(run.result(&opts.target, found))
}

/// Tokens as `Authorization` values.
fn bearer(tokens: Vec<String>) -> Vec<Arc<str>> {
    tokens
        .into_iter()
        .map(|t| Arc::from(format!("Bearer {t}")))
        .collect()
}

/// One engine run with a progress display.
async fn one_run(
    opts: &LoadOptions,
    p: &Stages,
    url: &str,
    requests: Vec<Planned>,
    what: &str,
) -> crate::Result<(Arc<Vec<Planned>>, engine::Recorded, i64)> {
    one_run_watched(opts, p, url, requests, what, |_, _| {}).await
}

/// [`one_run`], calling `watch` with the live counters and the plan every
/// 100 ms while the run goes on (it may [`Live::cut`] the run short).
async fn one_run_watched(
    opts: &LoadOptions,
    p: &Stages,
    url: &str,
    requests: Vec<Planned>,
    what: &str,
    mut watch: impl FnMut(&Live, &[Planned]),
) -> crate::Result<(Arc<Vec<Planned>>, engine::Recorded, i64)> {
    p.stage(&format!("{what}: {} requests", requests.len()))?;
    let plan = Arc::new(requests);
    let live = Arc::new(Live::default());
    let bar = opts
        .progress
        .then(|| crate::progress::LoadBar::start(Arc::clone(&live), plan.len() as u64, what));
    let run = engine::run(
        url,
        Arc::clone(&plan),
        opts.plan.max_in_flight,
        Arc::clone(&live),
    );
    tokio::pin!(run);
    let rec = loop {
        tokio::select! {
            r = &mut run => break r,
            () = tokio::time::sleep(Duration::from_millis(100)) => watch(&live, &plan),
        }
    };
    if let Some(b) = bar {
        b.finish().await;
    }
    // When request 0 was due, in epoch ms (log timestamps are).
    let since = live.started_at().map_or(Duration::ZERO, |s| {
        Instant::now().saturating_duration_since(s)
    });
    let start_ms = emulator::civil_time::now_ms() - since.as_millis() as i64;
    Ok((plan, rec?, start_ms))
}

type Measured = (LoadReport, Scenario, Vec<Verdict>);

/// What the runs of one plan add up to, as they are absorbed.
struct Totals {
    steps: Vec<StepStats>,
    seconds: Vec<Second>,
    classes: BTreeMap<String, ClassStats>,
    all: hist::Hist,
    outcomes: Outcomes,
    wrong: u64,
    unsent: u64,
    achieved_sum: f64,
    planned_sum: f64,
    window_sum: f64,
    /// When request 0 of the first run was due, in epoch ms.
    epoch_start_ms: Option<i64>,
    verdicts: Vec<Verdict>,
    figures: BTreeMap<String, reports::model::Figure>,
    init_durations: Option<Vec<f64>>,
}

impl Totals {
    fn new() -> Self {
        Self {
            steps: Vec::new(),
            seconds: Vec::new(),
            classes: BTreeMap::new(),
            all: hist::new_hist(),
            outcomes: Outcomes::default(),
            wrong: 0,
            unsent: 0,
            achieved_sum: 0.0,
            planned_sum: 0.0,
            window_sum: 0.0,
            epoch_start_ms: None,
            verdicts: Vec::new(),
            figures: BTreeMap::new(),
            init_durations: None,
        }
    }

    /// Adds one run. `count`: whether it enters the figures (a knee's step
    /// that did not hold is in the series and the step table only). The
    /// histograms are added in memory, exactly.
    ///
    /// # Errors
    /// A histogram outside the standard bounds (none that `engine` makes).
    fn absorb(
        &mut self,
        t: engine::Tally,
        unsent: u64,
        window: f64,
        count: bool,
    ) -> crate::Result<()> {
        if !count {
            self.seconds.extend(t.seconds);
            return Ok(());
        }
        for (name, c) in t.classes {
            match self.classes.entry(name) {
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert(c);
                }
                std::collections::btree_map::Entry::Occupied(mut o) => {
                    let e = o.get_mut();
                    e.requests += c.requests;
                    e.wrong_decisions += c.wrong_decisions;
                    hist::merge(&mut e.histogram, &c.histogram)?;
                }
            }
        }
        hist::merge(&mut self.all, &t.all)?;
        self.outcomes.add(&t.outcomes);
        self.wrong += t.wrong;
        self.unsent += unsent;
        self.achieved_sum += t.achieved_rps * window;
        self.planned_sum += t.planned_rps * window;
        self.window_sum += window;
        self.seconds.extend(t.seconds);
        Ok(())
    }

    fn figure(&mut self, name: &str, value: f64, unit: &str, better: Better) {
        self.figures
            .insert(name.into(), suite_fig(value, unit, better));
    }
}

/// Runs the plan's shape and builds the report.
async fn measure(opts: &LoadOptions, pools: &Pools<'_>) -> crate::Result<Measured> {
    let (p, target) = (&pools.run.stages, &pools.run.target);
    let plan = &opts.plan;
    let mut totals = Totals::new();
    match &plan.shape {
        Shape::Profile(arrival) => {
            let reqs = build_requests(plan, arrival, plan.duration_s, pools, "fresh", 0).await?;
            let (pl, rec, at) = one_run(opts, p, &target.url, reqs, plan.name()).await?;
            totals.epoch_start_ms = Some(at);
            let t = engine::tally(&pl, &class_names(), &rec, plan.warmup_s, plan.duration_s, 0);
            if let Arrival::Steps { steps: st } = arrival {
                totals.steps = step_stats(&t.seconds, st, None)?;
            }
            totals.absorb(t, rec.unsent, plan.duration_s - plan.warmup_s, true)?;
        }
        Shape::Scaling(s) => run_scaling(opts, pools, s, &mut totals).await?,
        Shape::Knee(k) => run_knee(opts, pools, k, &mut totals).await?,
    }
    let end_ms = emulator::civil_time::now_ms() + 1000;
    let group = target.log_group().map(str::to_owned);
    match &group {
        // What the traffic measured stands whatever happens to the control
        // plane now: logs that cannot be read become a SKIP with why.
        Some(g) => match read_function_logs(p, g, end_ms, &mut totals).await {
            Ok(()) => {}
            Err(crate::Error::Interrupted) => return Err(crate::Error::Interrupted),
            Err(e) => totals.verdicts.push(Verdict::new(
                "cold_starts",
                Status::Skip,
                format!(
                    "not measured: the function's logs in {g} could not be read after the run ({e}); \
                     the traffic's figures are complete, cold starts and invocations per second are missing"
                ),
            )),
        },
        None => totals.verdicts.push(Verdict::new(
            "cold_starts",
            Status::Skip,
            "skipped: cold starts and cache hits per second need the log group: pass --deployment (terraform output -json)",
        )),
    }
    if let Shape::Scaling(s) = &plan.shape {
        scaling_verdict(s, &mut totals)?;
    }
    finish(plan, target, totals)
}

/// The scaling preset: the low rate, then the step, from cold environments
/// (a configuration change, the original environment restored afterwards,
/// failures included).
async fn run_scaling(
    opts: &LoadOptions,
    pools: &Pools<'_>,
    s: &Scaling,
    totals: &mut Totals,
) -> crate::Result<()> {
    let (p, target) = (&pools.run.stages, &pools.run.target);
    let plan = &opts.plan;
    let st = vec![
        Step {
            rate: s.low_rate,
            seconds: s.low_s,
        },
        Step {
            rate: s.high_rate,
            seconds: s.high_s,
        },
    ];
    let arrival = Arrival::Steps { steps: st.clone() };
    let reqs = build_requests(plan, &arrival, plan.duration_s, pools, "fresh", 0).await?;
    let function = target.function().map(str::to_owned);
    let mut restore = None;
    if let Some(f) = &function {
        p.stage(&format!(
            "forcing cold starts: UpdateFunctionConfiguration on {f}"
        ))?;
        let lambda = scenarios::control_plane::client().await;
        let original = scenarios::control_plane::environment(&lambda, f).await?;
        let mut vars = original.clone();
        vars.insert(
            "HARNESS_LOAD_NONCE".into(),
            format!("{}", emulator::civil_time::now_ms()),
        );
        scenarios::control_plane::update_and_wait(&lambda, f, vars, Duration::from_secs(60))
            .await?;
        restore = Some((lambda, f.clone(), original));
        // The emulator follows the configuration every 50 ms.
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let ran = one_run(opts, p, &target.url, reqs, "scaling").await;
    if let Some((lambda, f, original)) = restore {
        scenarios::control_plane::update_and_wait(&lambda, &f, original, Duration::from_secs(60))
            .await?;
    }
    let (pl, rec, at) = ran?;
    totals.epoch_start_ms = Some(at);
    let t = engine::tally(&pl, &class_names(), &rec, plan.warmup_s, plan.duration_s, 0);
    totals.steps = step_stats(&t.seconds, &st, None)?;
    totals.absorb(t, rec.unsent, plan.duration_s - plan.warmup_s, true)?;
    Ok(())
}

/// The knee's step rates: `start_rate`, then ×`factor` (rounded) up to
/// `max_rate`.
fn knee_rates(k: &Knee) -> Vec<f64> {
    let mut rates = vec![k.start_rate];
    loop {
        let next = (rates[rates.len() - 1] * k.factor).round();
        if next > k.max_rate || rates.len() >= 1_000 {
            return rates;
        }
        rates.push(next);
    }
}

/// The knee preset: steps ×factor until one does not hold, as one attack.
/// Every step's requests (and fresh tokens) are made before the first is
/// sent, back to back, so step i starts exactly i × `step_s` after the
/// first and the per-second series has no gaps. Each step is judged while
/// the next runs, once its answers are in (see [`knee_drain_s`]); the
/// first that does not hold cuts the run there.
async fn run_knee(
    opts: &LoadOptions,
    pools: &Pools<'_>,
    k: &Knee,
    totals: &mut Totals,
) -> crate::Result<()> {
    let (p, target) = (&pools.run.stages, &pools.run.target);
    let plan = &opts.plan;
    let rates = knee_rates(k);
    p.stage(&format!(
        "knee: minting every step's tokens first ({} steps of {} s, {} to {} req/s)",
        rates.len(),
        k.step_s,
        rates[0],
        rates[rates.len() - 1]
    ))?;
    let mut requests = Vec::new();
    let mut ranges = Vec::new();
    for (i, &rate) in rates.iter().enumerate() {
        let from = i as f64 * k.step_s;
        let step = build_requests(
            plan,
            &Arrival::Constant { rate },
            k.step_s,
            pools,
            &format!("fresh-{rate}"),
            requests.len() as u64,
        )
        .await?;
        let lo = requests.len();
        requests.extend(step.into_iter().map(|r| Planned {
            at: r.at + from,
            ..r
        }));
        ranges.push(lo..requests.len());
    }
    let drain = knee_drain_s(k);
    let classes = class_names();
    // Steps judged so far, and the first that did not hold.
    let (mut judged, mut failed) = (0usize, None::<usize>);
    let watch = |live: &Live, planned: &[Planned]| {
        while failed.is_none()
            && judged + 1 < rates.len()
            && live.elapsed() >= (judged + 1) as f64 * k.step_s + drain
        {
            let from = judged as f64 * k.step_s;
            let (pl, rec) =
                engine::step_view(planned, &live.answered(), ranges[judged].clone(), from);
            let t = engine::tally(&pl, &classes, &rec, plan.warmup_s, k.step_s, 0);
            // A step that cannot be judged did not hold.
            let held =
                step_of(&t, rates[judged], k, plan.warmup_s, rec.unsent).is_ok_and(|st| st.held);
            if !held {
                failed = Some(judged);
                live.cut((judged + 1) as f64 * k.step_s);
            }
            judged += 1;
        }
    };
    let (pl, rec, at) =
        one_run_watched(opts, p, &target.url, requests, "knee steps", watch).await?;
    totals.epoch_start_ms = Some(at);
    // The report reads the whole record: each step up to the first that did
    // not hold (the next step's first `drain` seconds, sent while it was
    // judged, are left out).
    for (i, range) in ranges.into_iter().enumerate() {
        let from = i as f64 * k.step_s;
        let (spl, srec) = engine::step_view(&pl, &rec.done, range, from);
        let offset = from.round() as u32;
        let t = engine::tally(&spl, &classes, &srec, plan.warmup_s, k.step_s, offset);
        let mut st = step_of(&t, rates[i], k, plan.warmup_s, srec.unsent)?;
        st.start_s = from;
        let held = st.held;
        totals.steps.push(st);
        totals.absorb(t, srec.unsent, k.step_s - plan.warmup_s, held)?;
        if !held || failed.is_some_and(|f| i >= f) || scenarios::stop_requested() {
            break;
        }
    }
    knee_verdict(k, totals);
    Ok(())
}

/// How long after a knee step ends it is judged: its answers are in by
/// then (twice the p99 bound, at least 0.5 s; one still missing counts as
/// unanswered, far past the bound).
fn knee_drain_s(k: &Knee) -> f64 {
    (2.0 * k.p99_ms / 1000.0).max(0.5)
}

/// One knee step's figures and whether it held.
fn step_of(
    t: &engine::Tally,
    rate: f64,
    k: &Knee,
    warmup: f64,
    unsent: u64,
) -> crate::Result<StepStats> {
    let only = [Step {
        rate,
        seconds: k.step_s,
    }];
    let mut st = step_stats(&t.seconds, &only, Some(warmup))?.remove(0);
    judge_step(&mut st, k, t, unsent);
    Ok(st)
}

/// Whether a knee step held: p99 within the bound, errors (wrong, failed,
/// throttled, unsent) within their share, ≥ 95 % of the rate achieved; if
/// not, why.
fn judge_step(st: &mut StepStats, k: &Knee, t: &engine::Tally, unsent: u64) {
    let rate = st.rate;
    let n = t.outcomes.total().max(1) as f64;
    let failed = t.outcomes.server_error + t.outcomes.transport_error + t.outcomes.other;
    let errors = t.wrong + failed + t.outcomes.throttled + unsent;
    let error_fraction = errors as f64 / n;
    let achieved_ratio = t.achieved_rps / t.planned_rps.max(1e-9);
    let p99 = hist::ms_at(&t.all, 99.0);
    st.p99_ms = p99;
    st.held = p99 <= k.p99_ms && error_fraction <= k.max_error_fraction && achieved_ratio >= 0.95;
    if st.held {
        return;
    }
    let mut why = Vec::new();
    if p99 > k.p99_ms {
        why.push(format!("p99 {p99:.1} ms > {} ms", k.p99_ms));
    }
    if error_fraction > k.max_error_fraction {
        why.push(format!(
            "errors {:.2}% ({} wrong, {} failed (5xx or transport), {} throttled, {} unsent or unanswered)",
            error_fraction * 100.0,
            t.wrong,
            failed,
            t.outcomes.throttled,
            unsent
        ));
    }
    if achieved_ratio < 0.95 {
        why.push(format!("achieved {:.0} of {rate:.0} req/s", t.achieved_rps));
    }
    st.why = why.join("; ");
}

/// The `knee` verdict and figure: the highest step that held.
fn knee_verdict(k: &Knee, totals: &mut Totals) {
    let held: Vec<&StepStats> = totals.steps.iter().filter(|s| s.held).collect();
    let knee = held.last().map_or(0.0, |s| s.rate);
    let broke = totals.steps.iter().find(|s| !s.held);
    let detail = match (held.last(), broke) {
        (Some(h), Some(b)) => format!(
            "held {} req/s (p99 {:.1} ms); {} req/s did not: {}",
            h.rate, h.p99_ms, b.rate, b.why
        ),
        (Some(h), None) => format!(
            "held every step up to {} req/s (p99 {:.1} ms; the plan's max_rate {})",
            h.rate, h.p99_ms, k.max_rate
        ),
        (None, Some(b)) => format!("the first step ({} req/s) did not hold: {}", b.rate, b.why),
        (None, None) => "no step ran".into(),
    };
    let status = if held.is_empty() {
        Status::Fail
    } else {
        Status::Pass
    };
    totals.figure("knee_rps", knee, "req/s", Better::Higher);
    totals.verdicts.push(Verdict::new("knee", status, detail));
}

/// The function's logs: authorizer invocations and cold starts per second.
async fn read_function_logs(
    p: &Stages,
    group: &str,
    end_ms: i64,
    totals: &mut Totals,
) -> crate::Result<()> {
    p.stage(&format!("reading decisions and cold starts from {group}"))?;
    let logs = emulator::cwlogs::client(None).await;
    let epoch_start_ms = totals.epoch_start_ms.unwrap_or(end_ms);
    let events =
        scenarios::control_plane::settled_events(&logs, group, epoch_start_ms - 1000, end_ms)
            .await?;
    let mut inits = Vec::new();
    let mut inv: BTreeMap<u32, u64> = BTreeMap::new();
    let mut cold: BTreeMap<u32, u64> = BTreeMap::new();
    for (ts, m) in &events {
        if *ts < epoch_start_ms - 500 {
            continue; // the start-up preflight, before request 0
        }
        let sec = ((ts - epoch_start_ms).max(0) / 1000) as u32;
        if emulator::cwlogs::decision_request_id(m).is_some() {
            *inv.entry(sec).or_default() += 1;
        } else if let Some((_, ms)) = scenarios::control_plane::init_duration(m) {
            *cold.entry(sec).or_default() += 1;
            inits.push(ms);
        }
    }
    for s in &mut totals.seconds {
        s.invocations = Some(inv.get(&s.t).copied().unwrap_or(0));
        s.cold_starts = Some(cold.get(&s.t).copied().unwrap_or(0));
    }
    totals.figure("cold_starts", inits.len() as f64, "count", Better::InBand);
    let invocations = inv.values().sum::<u64>() as f64;
    totals.figure(
        "authorizer_invocations",
        invocations,
        "count",
        Better::InBand,
    );
    totals.init_durations = Some(inits);
    Ok(())
}

/// The `scaling` verdict: cold starts in the run and p99 in the first 3 s
/// of the step.
fn scaling_verdict(s: &Scaling, totals: &mut Totals) -> crate::Result<()> {
    let step_at = s.low_s as u32;
    let during: Vec<&Second> = totals
        .seconds
        .iter()
        .filter(|x| x.t >= step_at && x.t < step_at + 3)
        .collect();
    let mut h = hist::new_hist();
    for x in &during {
        hist::merge(&mut h, &x.histogram)?;
    }
    let p99 = hist::ms_at(&h, 99.0);
    let at_step: u64 = during.iter().map(|x| x.cold_starts.unwrap_or(0)).sum();
    let verdict = match &totals.init_durations {
        Some(inits) => Verdict::new(
            "scaling",
            if inits.is_empty() { Status::Fail } else { Status::Pass },
            format!(
                "{} cold starts in the run ({at_step} in the first 3 s of the step to {} req/s); p99 in those 3 s {p99:.1} ms",
                inits.len(),
                s.high_rate
            ),
        ),
        None => Verdict::new(
            "scaling",
            Status::Skip,
            format!("skipped: cold starts need the function's log group (p99 in the first 3 s of the step {p99:.1} ms)"),
        ),
    };
    totals.figure("p99_first_3s_of_step_ms", p99, "ms", Better::Lower);
    totals.verdicts.push(verdict);
    Ok(())
}

/// The report, the scenario's figures and the run's verdicts.
fn finish(plan: &Plan, target: &Target, mut totals: Totals) -> crate::Result<Measured> {
    let report = LoadReport {
        profile: plan.name().into(),
        plan: plan.describe(),
        warmup_s: plan.warmup_s,
        classes: std::mem::take(&mut totals.classes),
        seconds: std::mem::take(&mut totals.seconds),
        steps: std::mem::take(&mut totals.steps),
        init_durations_ms: totals.init_durations.take(),
        stage_rate: target.throttle.map(|t| t.0),
        stage_burst: target.throttle.map(|t| t.1),
        p99_bound_ms: match &plan.shape {
            Shape::Knee(k) => Some(k.p99_ms),
            _ => None,
        },
    };
    let window = totals.window_sum.max(1e-9);
    let (achieved, planned) = (totals.achieved_sum / window, totals.planned_sum / window);
    let ratio = if planned > 0.0 {
        achieved / planned
    } else {
        0.0
    };
    rate_figures(&mut totals, planned, achieved, ratio);
    let band = Band {
        min: 0.98,
        max: 1.02,
    };
    let is_knee = matches!(plan.shape, Shape::Knee(_));
    let (decides, pass) = if is_knee {
        (
            "knee_rps".to_owned(),
            totals
                .figures
                .get("knee_rps")
                .is_some_and(|f| f.value > 0.0),
        )
    } else {
        ("achieved_to_planned".to_owned(), band.contains(ratio))
    };
    let mut verdicts = std::mem::take(&mut totals.verdicts);
    if !is_knee {
        verdicts.insert(
            0,
            Verdict::new(
                "rate",
                if band.contains(ratio) { Status::Pass } else { Status::Fail },
                format!(
                    "achieved {achieved:.1} of {planned:.1} req/s planned (ratio {ratio:.3}, band 0.98..1.02; measured window {:.0} s)",
                    window
                ),
            ),
        );
    }
    let o = &totals.outcomes;
    let decided = o.ok + o.unauthorized + o.forbidden;
    let detail = format!(
        "{} wrong decisions of {} responses (counted apart, never as decisions: {} throttled, {} failed with a 5xx or a transport error)",
        totals.wrong,
        o.total(),
        o.throttled,
        o.server_error + o.transport_error + o.other
    );
    // No allow or deny measured is no evidence: a SKIP, never a PASS (a
    // knee whose first step failed enters no figure).
    verdicts.push(match (decided, totals.wrong) {
        (0, _) => Verdict::new(
            "decisions",
            Status::Skip,
            format!("not measured: no response in the measured figures was a decision; {detail}"),
        ),
        (_, 0) => Verdict::new("decisions", Status::Pass, detail),
        _ => Verdict::new("decisions", Status::Fail, detail),
    });
    let scenario = Scenario {
        inputs: report.plan.clone(),
        figures: totals.figures,
        decides,
        band: match &plan.shape {
            Shape::Knee(k) => Band {
                min: k.start_rate,
                max: k.max_rate,
            },
            _ => band,
        },
        pass,
        also: Vec::new(),
        series: reports::load_charts::charts(&report),
    };
    Ok((report, scenario, verdicts))
}

/// Rates, latency percentiles and error counts of the counted runs.
fn rate_figures(totals: &mut Totals, planned: f64, achieved: f64, ratio: f64) {
    totals.figure("planned_rps", planned, "req/s", Better::InBand);
    totals.figure("achieved_rps", achieved, "req/s", Better::Higher);
    totals.figure("achieved_to_planned", ratio, "ratio", Better::InBand);
    for (name, q) in [
        ("p50_ms", 50.0),
        ("p90_ms", 90.0),
        ("p99_ms", 99.0),
        ("p999_ms", 99.9),
        ("max_ms", 100.0),
    ] {
        let v = hist::ms_at(&totals.all, q);
        totals.figure(name, v, "ms", Better::Lower);
    }
    let o = totals.outcomes;
    totals.figure(
        "wrong_decisions",
        totals.wrong as f64,
        "requests",
        Better::Lower,
    );
    let failed = (o.server_error + o.transport_error) as f64;
    totals.figure(
        "server_or_transport_errors",
        failed,
        "requests",
        Better::Lower,
    );
    totals.figure("throttled", o.throttled as f64, "requests", Better::Lower);
    totals.figure("unsent", totals.unsent as f64, "requests", Better::Lower);
}

fn suite_fig(value: f64, unit: &str, better: Better) -> reports::model::Figure {
    scenarios::fig(value, unit, better)
}

/// Per-step figures from per-second data (steps laid end to end from 0).
fn step_stats(
    seconds: &[Second],
    steps: &[Step],
    warmup: Option<f64>,
) -> crate::Result<Vec<StepStats>> {
    let mut out = Vec::new();
    let mut start = 0.0;
    let first_t = seconds.first().map_or(0, |s| s.t);
    for st in steps {
        let skip = warmup.unwrap_or(0.0);
        let (lo, hi) = (start + skip, start + st.seconds);
        let mut h = hist::new_hist();
        let mut o = Outcomes::default();
        for s in seconds {
            let rel = f64::from(s.t - first_t);
            if rel >= lo.floor() && rel < hi {
                hist::merge(&mut h, &s.histogram)?;
                o.add(&s.outcomes);
            }
        }
        let len = (hi - lo.floor()).max(1e-9);
        out.push(StepStats {
            rate: st.rate,
            start_s: start,
            seconds: st.seconds,
            achieved_rps: o.total() as f64 / len,
            p99_ms: hist::ms_at(&h, 99.0),
            errors: o.server_error + o.transport_error + o.other,
            throttled: o.throttled,
            held: true,
            why: String::new(),
        });
        start += st.seconds;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mix_draws_classes_by_weight_and_repeat_share() {
        let mix = Mix::default();
        let mut n = [0usize; 5];
        for i in 0..100_000u64 {
            n[class_of(&mix, i)] += 1;
        }
        let share = |c: usize| n[c] as f64 / 100_000.0;
        assert!((share(0) - 0.63).abs() < 0.01, "repeat {}", share(0));
        assert!((share(1) - 0.07).abs() < 0.01, "fresh {}", share(1));
        for c in 2..5 {
            assert!((share(c) - 0.10).abs() < 0.01, "class {c}: {}", share(c));
        }
        let only_fresh = Mix {
            repeat: 0.0,
            ..Mix::default()
        }
        .with_weights("valid=1,expired=0,forged=0,malformed=0")
        .expect("weights");
        assert!((0..1000).all(|i| class_of(&only_fresh, i) == 1));
    }

    #[test]
    fn plan_files_and_flags_are_checked_by_name() {
        let f: PlanFile = toml::from_str(
            r#"
            duration_s = 30
            warmup_s = 2
            max_in_flight = 64
            [arrival]
            kind = "steps"
            steps = [{ rate = 50, seconds = 10 }, { rate = 100, seconds = 20 }]
            [mix]
            valid = 80
            repeat = 0.5
            "#,
        )
        .expect("plan");
        let plan = Plan::from_file(f).expect("valid");
        assert_eq!(plan.name(), "steps");
        assert_eq!(plan.duration_s, 30.0);
        assert_eq!(plan.mix.valid, 80);
        assert_eq!(plan.mix.expired, 10);
        let e = toml::from_str::<PlanFile>("rate = 5")
            .unwrap_err()
            .to_string();
        assert!(e.contains("rate"), "{e}");
        let e = Plan::from_file(PlanFile::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("no load profile"), "{e}");
        let e = Plan::from_file(PlanFile {
            profile: Some("knee".into()),
            max_in_flight: Some(0),
            ..PlanFile::default()
        })
        .unwrap_err()
        .to_string();
        assert!(e.contains("--max-in-flight"), "{e}");
        let e = Mix::default()
            .with_weights("valid=x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("--mix"), "{e}");
        let knee = Plan::from_file(PlanFile {
            profile: Some("knee".into()),
            ..PlanFile::default()
        })
        .expect("knee");
        assert_eq!(knee.duration_s, knee_step());
    }
}
