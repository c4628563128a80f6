//! `harness load`: one load plan ([`scenarios::plan`]) against the local
//! stack or a deployment (the run's target options), measured from intended
//! send times into HDR histograms per token class and per second, with the
//! function's logs read for cold starts and authorizer invocations per
//! second. The presets run here: `knee` (the highest rate that held) and
//! `scaling` (a configuration change first, so every environment starts
//! cold; cold starts per second and p99 during the step). Every token is
//! minted before the first request.

use crate::progress::Stages;
use crate::run::{with_run, Findings, Job, Run, RunOptions, RunResult};
use reports::hist;
use reports::load::{ClassStats, LoadReport, Outcomes, Second, StepStats};
use reports::model::{Band, Better, Scenario, Status, Verdict};
use scenarios::arrival::{Arrival, Step};
use scenarios::engine::{self, Live, Planned};
use scenarios::plan::{class_of, Knee, Plan, Scaling, Shape, CLASSES};
use scenarios::shard::Shard;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokens::catalog::{self, Expected, Family};

/// Where to run and how to report.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The plan.
    pub plan: Plan,
    /// The suite's target options (target, deployment, KMS, issuer…).
    pub target: RunOptions,
    /// The local stack's stage limits (rate, burst).
    pub stage: (f64, i32),
}

/// The tokens a run reuses: the repeated valid ones, and the catalog's of
/// each family that HTTP can carry (`Authorization`, whether allowed).
#[derive(Debug, Clone, Default)]
pub(crate) struct TokenPools {
    pub(crate) repeat: Vec<Arc<str>>,
    pub(crate) expired: Vec<(Option<Arc<str>>, bool)>,
    pub(crate) forged: Vec<(Option<Arc<str>>, bool)>,
    pub(crate) malformed: Vec<(Option<Arc<str>>, bool)>,
}

impl TokenPools {
    /// Mints the repeated tokens and takes the catalog's of each family.
    pub(crate) async fn mint(run: &Run, plan: &Plan) -> crate::Result<Self> {
        run.stages.stage(&format!(
            "minting tokens {} (catalog cases and the repeated valid tokens)",
            run.signer.how()
        ))?;
        let cases = catalog::build(&run.signer, &run.profile).await?;
        let repeat_n = if plan.mix.repeat > 0.0 {
            plan.mix.repeat_tokens
        } else {
            0
        };
        Ok(Self {
            repeat: bearer(run.mint_valid(repeat_n, "repeat").await?),
            expired: family_pool(&cases, Family::Expired),
            forged: family_pool(&cases, Family::Forged),
            malformed: family_pool(&cases, Family::Malformed),
        })
    }
}

/// The run and its tokens.
struct Pools<'a> {
    run: &'a Run,
    tokens: TokenPools,
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

/// How many fresh tokens (each used once) `shard` of a schedule of
/// `times` arrivals sends; refused above the plan's cap (for the whole
/// plan).
pub(crate) fn fresh_needed(
    plan: &Plan,
    times: usize,
    first_n: u64,
    shard: Shard,
) -> crate::Result<usize> {
    let classes = (0..times as u64).map(|i| first_n + i);
    let all = classes
        .clone()
        .filter(|n| class_of(&plan.mix, *n) == 1)
        .count();
    if all > plan.max_fresh_tokens {
        return Err(crate::Error::invalid(format!(
            "the plan needs {all} fresh tokens (each used once), more than --max-fresh-tokens {}; raise it, lower the rate or duration, or raise --repeat",
            plan.max_fresh_tokens
        )));
    }
    Ok(classes
        .filter(|n| shard.owns(*n) && class_of(&plan.mix, *n) == 1)
        .count())
}

/// `shard`'s requests of a schedule: a class per arrival from the mix (by
/// its index in the whole plan, `first_n` on), and a token per request —
/// the pools' taken in turn per class over the whole plan, so every shard
/// sends what one generator would, and `fresh` (this shard's, in order).
pub(crate) fn assign(
    plan: &Plan,
    times: Vec<f64>,
    first_n: u64,
    pools: &TokenPools,
    mut fresh: impl Iterator<Item = Arc<str>>,
    shard: Shard,
) -> Vec<Planned> {
    let mut counters = [0usize; 5];
    let mut out = Vec::with_capacity(times.len() / shard.count as usize + 1);
    for (i, at) in times.into_iter().enumerate() {
        let n = first_n + i as u64;
        let class = class_of(&plan.mix, n);
        let k = counters[class];
        counters[class] += 1;
        if !shard.owns(n) {
            continue;
        }
        let (authorization, allow) = match class {
            0 => (
                pools.repeat.get(k % pools.repeat.len().max(1)).cloned(),
                true,
            ),
            1 => (fresh.next(), true),
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
    out
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
    let n = fresh_needed(plan, times.len(), first_n, Shard::WHOLE)?;
    let fresh = bearer(pools.run.mint_valid(n, tag).await?);
    Ok(assign(
        plan,
        times,
        first_n,
        &pools.tokens,
        fresh.into_iter(),
        Shard::WHOLE,
    ))
}

pub(crate) fn class_names() -> Vec<String> {
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
        let pools = Pools {
            run,
            tokens: TokenPools::mint(run, &opts.plan).await?,
        };
        Ok(findings(measure(opts, &pools).await?))
    })
    .await?;
    Ok(run.result(&opts.target, found))
}

/// What a load run found, for its summary.
pub(crate) fn findings((report, scenario, verdicts): Measured) -> Findings {
    Findings {
        scenarios: BTreeMap::from([("load".to_owned(), scenario)]),
        load: Some(report),
        verdicts,
        ..Findings::default()
    }
}

/// Tokens as `Authorization` values.
pub(crate) fn bearer(tokens: Vec<String>) -> Vec<Arc<str>> {
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
        .target
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

pub(crate) type Measured = (LoadReport, Scenario, Vec<Verdict>);

/// What the runs of one plan add up to, as they are absorbed.
pub(crate) struct Totals {
    pub(crate) steps: Vec<StepStats>,
    pub(crate) seconds: Vec<Second>,
    pub(crate) classes: BTreeMap<String, ClassStats>,
    pub(crate) all: hist::Hist,
    pub(crate) outcomes: Outcomes,
    pub(crate) wrong: u64,
    pub(crate) unsent: u64,
    pub(crate) achieved_sum: f64,
    pub(crate) planned_sum: f64,
    pub(crate) window_sum: f64,
    /// When request 0 of the first run was due, in epoch ms.
    pub(crate) epoch_start_ms: Option<i64>,
    pub(crate) verdicts: Vec<Verdict>,
    figures: BTreeMap<String, reports::model::Figure>,
    init_durations: Option<Vec<f64>>,
}

impl Totals {
    pub(crate) fn new() -> Self {
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
    pub(crate) fn absorb(
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
    finish(plan, target.throttle, totals)
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
    let st = s.steps().to_vec();
    let arrival = Arrival::Steps { steps: st.clone() };
    let reqs = build_requests(plan, &arrival, plan.duration_s, pools, "fresh", 0).await?;
    let cold = ColdForced::force(p, target.function()).await?;
    let ran = one_run(opts, p, &target.url, reqs, "scaling").await;
    if let Some(c) = cold {
        c.restore().await?;
    }
    let (pl, rec, at) = ran?;
    totals.epoch_start_ms = Some(at);
    let t = engine::tally(&pl, &class_names(), &rec, plan.warmup_s, plan.duration_s, 0);
    totals.steps = step_stats(&t.seconds, &st, None)?;
    totals.absorb(t, rec.unsent, plan.duration_s - plan.warmup_s, true)?;
    Ok(())
}

/// A function whose configuration was changed so that every environment
/// starts cold (the `scaling` preset); [`ColdForced::restore`] puts the
/// original environment back, and every caller runs it on every way out.
pub(crate) struct ColdForced {
    lambda: aws_sdk_lambda::Client,
    function: String,
    original: std::collections::HashMap<String, String>,
}

impl ColdForced {
    /// Changes `function`'s environment (a nonce variable), waits for the
    /// update and for the emulator to follow it (it reads the
    /// configuration every 50 ms). `None` when the target names no function.
    ///
    /// # Errors
    /// The control plane's.
    pub(crate) async fn force(p: &Stages, function: Option<&str>) -> crate::Result<Option<Self>> {
        let Some(f) = function else {
            return Ok(None);
        };
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
        tokio::time::sleep(Duration::from_secs(2)).await;
        Ok(Some(Self {
            lambda,
            function: f.to_owned(),
            original,
        }))
    }

    /// Puts the original environment back.
    ///
    /// # Errors
    /// The control plane's (naming the function).
    pub(crate) async fn restore(self) -> crate::Result<()> {
        scenarios::control_plane::update_and_wait(
            &self.lambda,
            &self.function,
            self.original,
            Duration::from_secs(60),
        )
        .await?;
        Ok(())
    }
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
pub(crate) async fn read_function_logs(
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
pub(crate) fn scaling_verdict(s: &Scaling, totals: &mut Totals) -> crate::Result<()> {
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
pub(crate) fn finish(
    plan: &Plan,
    throttle: Option<(f64, f64)>,
    mut totals: Totals,
) -> crate::Result<Measured> {
    let report = LoadReport {
        profile: plan.name().into(),
        plan: plan.describe(),
        warmup_s: plan.warmup_s,
        classes: std::mem::take(&mut totals.classes),
        seconds: std::mem::take(&mut totals.seconds),
        steps: std::mem::take(&mut totals.steps),
        init_durations_ms: totals.init_durations.take(),
        stage_rate: throttle.map(|t| t.0),
        stage_burst: throttle.map(|t| t.1),
        p99_bound_ms: match &plan.shape {
            Shape::Knee(k) => Some(k.p99_ms),
            _ => None,
        },
        shard: None,
        shards: Vec::new(),
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
pub(crate) fn step_stats(
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
