//! One load plan over several generators: the manifest a plan becomes
//! (`harness load plan --shards N`), the worker that runs one shard of it
//! from an agreed wall-clock start (`harness load --manifest --shard I/N
//! --start-at T0`), the merge of the shards' reports into the whole run's
//! (`harness load merge`), and the local engine that does all three with
//! worker processes on this machine (`harness load --engine local
//! --workers N`).
//!
//! The manifest holds every token a worker sends — the shared ones once,
//! the fresh ones (each used once) per shard — so workers never mint and
//! need no KMS access. It is written with mode 0600: it holds valid bearer
//! tokens. The schedule itself is not stored: each worker recomputes it
//! from the plan and checks its digest against the manifest's, so a worker
//! of another harness version, or another plan, refuses to run.

use crate::load::{self, TokenPools, Totals};
use crate::progress::Stages;
use crate::run::{self, with_run, Job, Run, RunResult};
use crate::s3::{self, S3Url};
use reports::hist;
use reports::load::{LoadReport, ShardTag};
use reports::model::{Status, TargetInfo, TargetKind, Verdict};
use scenarios::engine::{self, Live};
use scenarios::plan::{Plan, PlanFile};
use scenarios::shard::Shard;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The manifest's file name in a plan's folder.
pub const MANIFEST: &str = "manifest.json";

/// How long the catalog's time-bound tokens hold after they were minted:
/// its allowed cases expire 300 s after the run's `now`. A shard must end
/// by then.
const TOKENS_HOLD_S: i64 = 300;

/// Seconds a worker starts its attack ahead of T0, besides launching its
/// users: goose builds an HTTP client per user first.
const ATTACK_SETUP_S: f64 = 2.0;

/// A shard whose generator sends later than this at p99 measured itself,
/// not the API: its `send_lag` verdict fails.
pub const SEND_LAG_P99_MS: f64 = 50.0;

/// A plan made ready for N generators.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The harness version that wrote it; workers of another refuse.
    pub harness_version: String,
    /// The planning run's id.
    pub run_id: String,
    /// When the tokens were minted, epoch ms.
    pub created_ms: i64,
    /// Every shard must end by then (epoch ms): the catalog's allowed
    /// tokens expire.
    pub valid_until_ms: i64,
    /// The plan, as flags and file made it.
    pub plan: PlanFile,
    /// How many shards.
    pub shards: u32,
    /// SHA-256 of the whole schedule (send time and class of every arrival).
    pub schedule: String,
    /// Where the workers send, and what the merge reads.
    pub target: ManifestTarget,
    /// The HDR settings every shard's histograms use.
    pub hdr: HdrSettings,
    /// The tokens.
    pub tokens: ManifestTokens,
}

/// The target a manifest's workers measure.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestTarget {
    /// The protected route's URL.
    pub url: String,
    /// What kind of target.
    pub kind: TargetKind,
    /// The report's target settings.
    pub settings: BTreeMap<String, String>,
    /// The function's log group (read by the merge), when known.
    pub log_group: Option<String>,
    /// The stage's rate and burst, when known.
    pub throttle: Option<(f64, f64)>,
}

/// HDR histogram settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HdrSettings {
    /// Lowest discernible value, µs.
    pub lowest_us: u64,
    /// Highest trackable value, µs.
    pub highest_us: u64,
    /// Significant digits.
    pub sigfig: u8,
}

impl HdrSettings {
    /// The settings of [`reports::hist::new_hist`].
    pub fn standard() -> Self {
        let h = hist::new_hist();
        Self {
            lowest_us: h.low(),
            highest_us: h.high(),
            sigfig: h.sigfig(),
        }
    }
}

/// One pooled token: its `Authorization` value (none: no header) and
/// whether it must be allowed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PooledToken {
    /// The header value.
    pub authorization: Option<String>,
    /// Whether the function must allow it.
    pub allow: bool,
}

/// Every token the workers send.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestTokens {
    /// The repeated valid tokens (`Authorization` values), shared.
    pub repeat: Vec<String>,
    /// The catalog's expired tokens.
    pub expired: Vec<PooledToken>,
    /// The catalog's forged tokens.
    pub forged: Vec<PooledToken>,
    /// The catalog's malformed tokens HTTP can carry.
    pub malformed: Vec<PooledToken>,
    /// Fresh valid tokens, per shard, in the order it sends them.
    pub fresh: Vec<Vec<String>>,
}

impl ManifestTokens {
    fn pools(&self) -> TokenPools {
        let pool = |v: &[PooledToken]| {
            v.iter()
                .map(|t| (t.authorization.as_deref().map(Arc::from), t.allow))
                .collect()
        };
        TokenPools {
            repeat: self.repeat.iter().map(|t| Arc::from(t.as_str())).collect(),
            expired: pool(&self.expired),
            forged: pool(&self.forged),
            malformed: pool(&self.malformed),
        }
    }

    fn from_pools(p: &TokenPools, fresh: Vec<Vec<String>>) -> Self {
        let pool = |v: &[(Option<Arc<str>>, bool)]| {
            v.iter()
                .map(|(a, allow)| PooledToken {
                    authorization: a.as_deref().map(str::to_owned),
                    allow: *allow,
                })
                .collect()
        };
        Self {
            repeat: p.repeat.iter().map(|t| t.to_string()).collect(),
            expired: pool(&p.expired),
            forged: pool(&p.forged),
            malformed: pool(&p.malformed),
            fresh,
        }
    }
}

/// The whole plan's send times, refused for a plan that cannot be split.
fn schedule(plan: &Plan, shards: u32) -> crate::Result<Vec<f64>> {
    Shard {
        index: 0,
        count: shards,
    }
    .check_plan(plan)?;
    let arrival = plan.arrival().ok_or_else(|| {
        crate::Error::invalid("--profile knee cannot be sharded; run it on one machine")
    })?;
    Ok(arrival.send_times(plan.duration_s)?)
}

/// SHA-256 over every arrival's send time and class, in order.
pub fn schedule_digest(plan: &Plan, times: &[f64]) -> String {
    let mut h = Sha256::new();
    for (n, at) in times.iter().enumerate() {
        h.update(at.to_bits().to_le_bytes());
        let class = scenarios::plan::class_of(&plan.mix, n as u64) as u8;
        h.update([class]);
    }
    let digest = h.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// `harness load plan`: mints every token of `opts`' plan for `shards`
/// generators and writes the manifest into `dir` (mode 0600).
///
/// # Errors
/// A plan that cannot be split, a signing failure, an unwritable folder.
pub async fn plan(
    opts: &load::LoadOptions,
    file: &PlanFile,
    shards: u32,
    dest: &Place,
) -> crate::Result<(String, Manifest)> {
    let job = Job {
        name: "load-plan",
        stack: "jwt-authorizer-load",
        stage: opts.stage,
    };
    let (_, manifest) = with_run(&opts.target, job, async |run: &Run| {
        let m = make_manifest(run, &opts.plan, file, shards).await?;
        // A scaling plan starts from cold environments: the configuration
        // changed and put back now leaves none warm until the workers'
        // first requests (or anyone else's).
        if let Some(c) = force_cold(run, &opts.plan).await? {
            c.restore().await?;
            run.stages.stage(
                "the function's environments are new: each starts cold at its first request; start the workers before other traffic warms them",
            )?;
        }
        Ok(m)
    })
    .await?;
    let at = match dest {
        Place::Dir(dir) => write_manifest(&manifest, dir)?.display().to_string(),
        Place::S3(prefix) => {
            let url = prefix.join(MANIFEST);
            let json =
                serde_json::to_vec(&manifest).map_err(|e| crate::Error::invalid(e.to_string()))?;
            s3::put(&s3::client().await, &url.bucket, &url.key, json).await?;
            url.to_string()
        }
    };
    Ok((at, manifest))
}

/// Where a manifest is written or read, or where the shards' reports are:
/// a local folder or file, or an S3 prefix or object (`s3://BUCKET/KEY`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A folder (or a file in it).
    Dir(PathBuf),
    /// An S3 object or prefix.
    S3(S3Url),
}

impl Place {
    /// `s3://BUCKET/KEY` or a local path.
    ///
    /// # Errors
    /// An `s3://` address without a bucket and a key.
    pub fn parse(text: &str) -> crate::Result<Self> {
        if s3::is_s3(text) {
            Ok(Self::S3(S3Url::parse(text)?))
        } else {
            Ok(Self::Dir(PathBuf::from(text)))
        }
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Dir(p) => write!(f, "{}", p.display()),
            Self::S3(u) => write!(f, "{u}"),
        }
    }
}

/// Reads a manifest from a file, a folder holding `manifest.json`, or S3.
///
/// # Errors
/// Unreadable (no such object), not a manifest, or written by another
/// harness version.
pub async fn fetch_manifest(at: &Place) -> crate::Result<Manifest> {
    match at {
        Place::Dir(p) => read_manifest(p),
        Place::S3(url) => {
            let text = s3::get(&s3::client().await, &url.bucket, &url.key)
                .await?
                .ok_or_else(|| {
                    crate::Error::invalid(format!("--manifest {url}: no such object"))
                })?;
            parse_manifest(&text, &url.to_string())
        }
    }
}

/// Writes a shard's summary beside its S3 manifest, at
/// `<manifest's folder>results/<I>/summary.json`: where `load merge
/// s3://…/results/` and the ECS coordinator read it. Returns its address.
///
/// # Errors
/// The S3 call's, naming the object.
pub async fn upload_result(
    manifest: &S3Url,
    shard: Shard,
    summary: &reports::model::Summary,
) -> crate::Result<String> {
    let key = format!("{}results/{}/summary.json", manifest.dir(), shard.index);
    let json = serde_json::to_vec(summary).map_err(|e| crate::Error::invalid(e.to_string()))?;
    s3::put(&s3::client().await, &manifest.bucket, &key, json).await?;
    Ok(format!("s3://{}/{key}", manifest.bucket))
}

pub(crate) async fn make_manifest(
    run: &Run,
    plan: &Plan,
    file: &PlanFile,
    shards: u32,
) -> crate::Result<Manifest> {
    let times = schedule(plan, shards)?;
    let pools = TokenPools::mint(run, plan).await?;
    load::fresh_needed(plan, times.len(), 0, Shard::WHOLE)?;
    run.stages.stage(&format!(
        "minting the fresh tokens of {shards} shards ({} requests in all)",
        times.len()
    ))?;
    let mut fresh = Vec::with_capacity(shards as usize);
    for index in 0..shards {
        let shard = Shard {
            index,
            count: shards,
        };
        let n = load::fresh_needed(plan, times.len(), 0, shard)?;
        fresh.push(run.mint_valid(n, &format!("fresh-{index}")).await?);
    }
    let fresh = fresh
        .into_iter()
        .map(|v| v.into_iter().map(|t| format!("Bearer {t}")).collect())
        .collect();
    let t = &run.target;
    Ok(Manifest {
        harness_version: env!("CARGO_PKG_VERSION").to_owned(),
        run_id: run.id.clone(),
        created_ms: run.profile.now * 1000,
        valid_until_ms: (run.profile.now + TOKENS_HOLD_S) * 1000,
        plan: file.clone(),
        shards,
        schedule: schedule_digest(plan, &times),
        target: ManifestTarget {
            url: t.url.clone(),
            kind: t.kind,
            settings: t.settings.clone(),
            log_group: t.log_group().map(str::to_owned),
            throttle: t.throttle,
        },
        hdr: HdrSettings::standard(),
        tokens: ManifestTokens::from_pools(&pools, fresh),
    })
}

fn write_manifest(m: &Manifest, dir: &Path) -> crate::Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(|e| {
        crate::Error::invalid(format!("--out {}: cannot create it ({e})", dir.display()))
    })?;
    let path = dir.join(MANIFEST);
    let json = serde_json::to_vec(m).map_err(|e| crate::Error::invalid(e.to_string()))?;
    reports::atomic::write_atomic_private(&path, &json)
        .map_err(|e| crate::Error::invalid(format!("{}: cannot write it ({e})", path.display())))?;
    Ok(path)
}

/// Reads a manifest (a file, or a folder holding `manifest.json`).
///
/// # Errors
/// Unreadable, not a manifest, or written by another harness version.
pub fn read_manifest(path: &Path) -> crate::Result<Manifest> {
    let file = if path.is_dir() {
        path.join(MANIFEST)
    } else {
        path.to_owned()
    };
    let text = std::fs::read(&file)
        .map_err(|e| crate::Error::invalid(format!("--manifest {}: {e}", file.display())))?;
    parse_manifest(&text, &file.display().to_string())
}

/// Parses a manifest read from `source`.
///
/// # Errors
/// Not a manifest, or written by another harness version.
pub fn parse_manifest(text: &[u8], source: &str) -> crate::Result<Manifest> {
    let m: Manifest = serde_json::from_slice(text).map_err(|e| {
        crate::Error::invalid(format!("--manifest {source}: not a load manifest ({e})"))
    })?;
    if m.harness_version != env!("CARGO_PKG_VERSION") {
        return Err(crate::Error::invalid(format!(
            "--manifest {source}: written by harness {}, this is {}; run every shard with the planner's version",
            m.harness_version,
            env!("CARGO_PKG_VERSION")
        )));
    }
    Ok(m)
}

/// What a worker is asked to do.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// The manifest.
    pub manifest: Manifest,
    /// Which shard.
    pub shard: Shard,
    /// When request 0 of the whole plan is due, epoch ms.
    pub start_at_ms: i64,
    /// How late a worker may be ready before it refuses, ms.
    pub tolerance_ms: i64,
    /// The report folder.
    pub out: PathBuf,
    /// A progress bar.
    pub progress: bool,
    /// The checkout (for the report's revision).
    pub root: PathBuf,
}

/// Checks a worker's manifest, shard and start before anything is sent;
/// its plan and requests.
///
/// # Errors
/// One line: another plan or shard count, a start already too late, tokens
/// that expire before the shard ends.
pub fn prepare(w: &WorkerOptions) -> crate::Result<(Plan, Vec<engine::Planned>)> {
    let m = &w.manifest;
    let plan = Plan::from_file(m.plan.clone())?;
    if w.shard.count != m.shards {
        return Err(crate::Error::invalid(format!(
            "--shard {}: the manifest is for {} shards",
            w.shard, m.shards
        )));
    }
    if m.hdr != HdrSettings::standard() {
        return Err(crate::Error::invalid(format!(
            "--manifest: HDR settings {:?} differ from this harness's {:?}",
            m.hdr,
            HdrSettings::standard()
        )));
    }
    let times = schedule(&plan, m.shards)?;
    let digest = schedule_digest(&plan, &times);
    if digest != m.schedule {
        return Err(crate::Error::invalid(format!(
            "--manifest: its plan gives another schedule here ({digest}, the manifest says {}); plan again with this harness",
            m.schedule
        )));
    }
    let now = emulator::civil_time::now_ms();
    let late = now - w.start_at_ms;
    if late > w.tolerance_ms {
        return Err(crate::Error::invalid(format!(
            "shard {}: it is {:.1} s past --start-at, more than the {:.1} s tolerance; refusing to run late (the shards would not add up to the plan)",
            w.shard,
            late as f64 / 1000.0,
            w.tolerance_ms as f64 / 1000.0
        )));
    }
    let end = w.start_at_ms + (plan.duration_s * 1000.0) as i64;
    if end > m.valid_until_ms {
        return Err(crate::Error::invalid(format!(
            "shard {}: the run would end at {} but the manifest's tokens hold until {} (minted {} s earlier); plan again closer to --start-at",
            w.shard,
            stamp(end),
            stamp(m.valid_until_ms),
            TOKENS_HOLD_S
        )));
    }
    let fresh = m.tokens.fresh.get(w.shard.index as usize).ok_or_else(|| {
        crate::Error::invalid(format!("--manifest: no fresh tokens for shard {}", w.shard))
    })?;
    let requests = load::assign(
        &plan,
        times,
        0,
        &m.tokens.pools(),
        fresh.iter().map(|t| Arc::from(t.as_str())),
        w.shard,
    );
    Ok((plan, requests))
}

fn stamp(ms: i64) -> String {
    emulator::civil_time::utc_stamp(ms.div_euclid(1000)).1
}

/// Runs one shard from `start_at_ms` and returns its report (tagged with
/// its shard, send lag, late start and clock status).
///
/// # Errors
/// As [`prepare`]; a failure of the engine.
pub async fn work(w: &WorkerOptions) -> crate::Result<RunResult> {
    let stages = Stages::new();
    let load_before = run::load_average();
    let (plan, requests) = prepare(w)?;
    let m = &w.manifest;
    let now_s = authorizer::UnixTime::now().0 as i64;
    let (id, started) = emulator::civil_time::utc_stamp(now_s);
    stages.stage(&format!(
        "shard {}: {} of the plan's requests, due from {}",
        w.shard,
        requests.len(),
        stamp(w.start_at_ms)
    ))?;
    let clock = clock_status(&m.target.url).await;
    stages.stage(&format!("clock: {clock}"))?;
    // Ready to send when request 0 is due: the attack set up (one HTTP
    // client per user) and every user launched before it.
    let launch = engine::launch_s(plan.max_in_flight) + ATTACK_SETUP_S;
    let wait_ms = w.start_at_ms - emulator::civil_time::now_ms() - (launch * 1000.0) as i64;
    if wait_ms > 0 {
        stages.stage(&format!(
            "waiting {:.1} s for --start-at",
            wait_ms as f64 / 1000.0
        ))?;
        scenarios::nap::<crate::Error>(Duration::from_millis(wait_ms as u64)).await?;
    }
    let now = emulator::civil_time::now_ms();
    let late_start_ms = (now - w.start_at_ms).max(0);
    if late_start_ms > w.tolerance_ms {
        return Err(crate::Error::invalid(format!(
            "shard {}: ready {:.1} s after --start-at, more than the tolerance; refusing to run late",
            w.shard,
            late_start_ms as f64 / 1000.0
        )));
    }
    let due = Instant::now() + Duration::from_millis((w.start_at_ms - now).max(0) as u64);
    let live = Arc::new(Live::default());
    live.start_at(due);
    let planned = requests.len() as u64;
    let plan_arc = Arc::new(requests);
    stages.stage(&format!("shard {}: sending", w.shard))?;
    let bar = w
        .progress
        .then(|| crate::progress::LoadBar::start(Arc::clone(&live), planned, "shard"));
    let rec = engine::run(
        &m.target.url,
        Arc::clone(&plan_arc),
        plan.max_in_flight,
        Arc::clone(&live),
    )
    .await;
    if let Some(b) = bar {
        b.finish().await;
    }
    let rec = rec?;
    let t = engine::tally(
        &plan_arc,
        &load::class_names(),
        &rec,
        plan.warmup_s,
        plan.duration_s,
        0,
    );
    stages.stage(&format!(
        "shard {}: sent; send lag p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        w.shard,
        hist::ms_at(&t.send_lag, 50.0),
        hist::ms_at(&t.send_lag, 99.0),
        hist::ms_at(&t.send_lag, 100.0)
    ))?;
    let mut tag = ShardTag::new(w.shard.index, w.shard.count, m.schedule.clone());
    tag.start_ms = w.start_at_ms;
    tag.late_start_ms = late_start_ms as f64;
    tag.planned = planned;
    tag.unsent = rec.unsent;
    tag.achieved_rps = t.achieved_rps;
    tag.planned_rps = t.planned_rps;
    tag.outcomes = t.outcomes;
    tag.send_lag = t.send_lag.clone();
    tag.clock = clock;
    tag.log_group.clone_from(&m.target.log_group);
    let mut totals = Totals::new();
    totals.epoch_start_ms = Some(w.start_at_ms);
    if let scenarios::arrival::Arrival::Steps { steps } = plan
        .arrival()
        .unwrap_or(scenarios::arrival::Arrival::Constant { rate: 0.0 })
    {
        totals.steps = load::step_stats(&t.seconds, &steps, None)?;
    }
    totals.absorb(t, rec.unsent, plan.duration_s - plan.warmup_s, true)?;
    totals.verdicts.push(Verdict::new(
        "cold_starts",
        Status::Skip,
        "not measured by a shard: `harness load merge` reads the function's logs once for the whole run",
    ));
    let (mut report, scenario, mut verdicts) = load::finish(&plan, m.target.throttle, totals)?;
    verdicts.push(send_lag_verdict(std::slice::from_ref(&tag)));
    report.shard = Some(tag);
    let found = load::findings((report, scenario, verdicts));
    let info = run::run_info(&id, &started, stages.elapsed_s(), load_before, &w.root);
    let mut settings = m.target.settings.clone();
    settings.insert(
        "shard".into(),
        format!("{} of manifest {} (run {})", w.shard, m.schedule, m.run_id),
    );
    let target = TargetInfo {
        kind: m.target.kind,
        endpoint: m.target.url.clone(),
        settings,
    };
    Ok(RunResult {
        summary: run::summary_of(info, target, found),
        dir: w.out.clone(),
    })
}

/// The `send_lag` verdict: every shard sent on time (p99 of its send lag
/// within [`SEND_LAG_P99_MS`]); else the generator, not the API, was slow.
fn send_lag_verdict(tags: &[ShardTag]) -> Verdict {
    let lags: Vec<(String, f64)> = tags
        .iter()
        .map(|t| (t.label(), hist::ms_at(&t.send_lag, 99.0)))
        .collect();
    let late: Vec<String> = lags
        .iter()
        .filter(|(_, p)| *p > SEND_LAG_P99_MS)
        .map(|(l, p)| format!("shard {l} {p:.1} ms"))
        .collect();
    let all: Vec<String> = lags.iter().map(|(l, p)| format!("{l} {p:.2} ms")).collect();
    if late.is_empty() {
        Verdict::new(
            "send_lag",
            Status::Pass,
            format!(
                "every generator sent on time: send lag p99 {} (bound {SEND_LAG_P99_MS} ms)",
                all.join(", ")
            ),
        )
    } else {
        Verdict::new(
            "send_lag",
            Status::Fail,
            format!(
                "a generator could not keep up, so its latencies measure itself: send lag p99 {} over {SEND_LAG_P99_MS} ms; add workers or lower --max-in-flight's load per worker",
                late.join(", ")
            ),
        )
    }
}

/// The generator's clock against the target's: the target's `Date` header
/// read every 40 ms until its second turns, which places that instant on
/// our clock within the gap between two answers.
pub async fn clock_status(url: &str) -> String {
    let Ok(client) = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
    else {
        return "unknown (no HTTP client)".into();
    };
    let mut last: Option<(i64, i64)> = None; // (sent at, the Date's second)
    for _ in 0..40 {
        let sent = emulator::civil_time::now_ms();
        let date = match client.get(url).send().await {
            Ok(r) => r
                .headers()
                .get(reqwest::header::DATE)
                .and_then(|v| v.to_str().ok())
                .and_then(httpdate_seconds),
            Err(e) => return format!("unknown (the target did not answer: {e})"),
        };
        let got = emulator::civil_time::now_ms();
        let Some(second) = date else {
            return "unknown (the target sends no Date header)".into();
        };
        if let Some((prev_sent, prev_second)) = last {
            if second == prev_second + 1 {
                // The target's clock read second*1000 between prev_sent and got.
                let lo = prev_sent - second * 1000;
                let hi = got - second * 1000;
                let offset = (lo + hi) / 2;
                let within = (hi - lo + 1) / 2;
                return format!("{offset:+} ms ± {within} ms against the target's Date header");
            }
        }
        last = Some((sent, second));
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    "unknown (the target's Date header did not turn within 1.6 s)".into()
}

/// An HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`) in epoch seconds.
fn httpdate_seconds(v: &str) -> Option<i64> {
    let t = httpdate::parse_http_date(v).ok()?;
    let s = t.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(s).ok()
}

/// The shards' reports merged: counters and histograms added, the
/// function's logs read once for the whole window, the verdicts of one run
/// plus `send_lag` over every shard.
///
/// # Errors
/// A set that is not exactly one plan's shards (naming the shard).
pub(crate) async fn merge(stages: &Stages, parts: &[LoadReport]) -> crate::Result<load::Measured> {
    let merged = reports::merge::merge(parts).map_err(|e| crate::Error::invalid(e.to_string()))?;
    let tags = merged.shards.clone();
    let plan_duration: f64 = merged
        .plan
        .get("duration_s")
        .and_then(|d| d.parse().ok())
        .unwrap_or(0.0);
    let mut totals = Totals::new();
    totals.all = merged.all_classes()?;
    totals.classes = merged.classes.clone();
    totals.seconds = merged.seconds.clone();
    totals.steps = merged.steps.clone();
    totals.wrong = merged.classes.values().map(|c| c.wrong_decisions).sum();
    let window = (plan_duration - merged.warmup_s).max(1e-9);
    for t in &tags {
        totals.outcomes.add(&t.outcomes);
        totals.unsent += t.unsent;
        totals.achieved_sum += t.achieved_rps * window;
        totals.planned_sum += t.planned_rps * window;
    }
    totals.window_sum = window;
    let start = tags.first().map_or(0, |t| t.start_ms);
    totals.epoch_start_ms = Some(start);
    let end_ms = start + (plan_duration * 1000.0) as i64 + 3000;
    match tags.first().and_then(|t| t.log_group.clone()) {
        Some(g) => {
            if let Err(e) = load::read_function_logs(stages, &g, end_ms, &mut totals).await {
                if matches!(e, crate::Error::Interrupted) {
                    return Err(e);
                }
                totals.verdicts.push(Verdict::new(
                    "cold_starts",
                    Status::Skip,
                    format!("not measured: the function's logs in {g} could not be read ({e})"),
                ));
            }
        }
        None => totals.verdicts.push(Verdict::new(
            "cold_starts",
            Status::Skip,
            "skipped: cold starts need the log group: plan with --deployment (terraform output -json)",
        )),
    }
    // A scaling plan's steps are its low and high rates.
    if let ("scaling", [low, high]) = (merged.profile.as_str(), merged.steps.as_slice()) {
        let s = scenarios::plan::Scaling {
            low_rate: low.rate,
            low_s: low.seconds,
            high_rate: high.rate,
            high_s: high.seconds,
        };
        load::scaling_verdict(&s, &mut totals)?;
    }
    let plan = Plan::from_file(PlanFile {
        duration_s: Some(plan_duration),
        warmup_s: Some(merged.warmup_s),
        arrival: Some(scenarios::arrival::Arrival::Constant { rate: 1.0 }),
        ..PlanFile::default()
    })?;
    let throttle = merged.stage_rate.zip(merged.stage_burst);
    let (mut report, scenario, mut verdicts) = load::finish(&plan, throttle, totals)?;
    // `finish` names the plan it was given; the merged report keeps the
    // shards' own.
    report.profile = merged.profile;
    report.plan = merged.plan;
    report.shards = tags;
    verdicts.push(send_lag_verdict(&report.shards));
    let scenario = reports::model::Scenario {
        inputs: report.plan.clone(),
        series: reports::load_charts::charts(&report),
        ..scenario
    };
    Ok((report, scenario, verdicts))
}

/// A `scaling` plan's cold environments: the function's configuration
/// changed before the shards start ([`load::ColdForced`]; the caller
/// restores it on every way out). `None` for other plans or a target
/// without a function.
pub(crate) async fn force_cold(run: &Run, plan: &Plan) -> crate::Result<Option<load::ColdForced>> {
    if !matches!(plan.shape, scenarios::plan::Shape::Scaling(_)) {
        return Ok(None);
    }
    load::ColdForced::force(&run.stages, run.target.function()).await
}

/// How far ahead of now the coordinator sets T0: each worker starts,
/// checks its clock (up to 1.6 s), sets up its attack and launches its
/// users before request 0 is due.
pub(crate) fn start_lead_ms(plan: &Plan) -> i64 {
    4000 + ((engine::launch_s(plan.max_in_flight) + ATTACK_SETUP_S) * 1000.0) as i64
}

/// A shard's report: its folder's `summary.json` (or the file itself), its
/// target and its load report.
fn read_shard(p: &Path) -> crate::Result<(TargetInfo, LoadReport)> {
    let file = if p.is_dir() {
        p.join("summary.json")
    } else {
        p.to_owned()
    };
    let text = std::fs::read(&file)
        .map_err(|e| crate::Error::invalid(format!("{}: {e}", file.display())))?;
    parse_shard(&text, &file.display().to_string())
}

/// The shards' reports at `place`: a folder's `summary.json` or the file
/// itself; in S3, the object itself (`….json`) or every `summary.json`
/// under the prefix (`s3://…/results/`).
///
/// # Errors
/// Unreadable, not a shard's summary, or no summary under the prefix.
async fn read_shards(place: &Place) -> crate::Result<Vec<(TargetInfo, LoadReport)>> {
    let url = match place {
        Place::Dir(p) => return Ok(vec![read_shard(p)?]),
        Place::S3(url) => url,
    };
    let client = s3::client().await;
    let keys = if url.key.ends_with(".json") {
        vec![url.key.clone()]
    } else {
        s3::list(&client, &url.bucket, &url.key)
            .await?
            .into_iter()
            .filter(|k| k.ends_with("/summary.json"))
            .collect()
    };
    if keys.is_empty() {
        return Err(crate::Error::invalid(format!(
            "{url}: no shard summaries under it (each worker of an S3 manifest writes results/<I>/summary.json)"
        )));
    }
    let mut found = Vec::with_capacity(keys.len());
    for key in keys {
        let at = format!("s3://{}/{key}", url.bucket);
        let text = s3::get(&client, &url.bucket, &key)
            .await?
            .ok_or_else(|| crate::Error::invalid(format!("{at}: no such object")))?;
        found.push(parse_shard(&text, &at)?);
    }
    Ok(found)
}

/// A shard's `summary.json` (read from `source`): its target and its load
/// report.
///
/// # Errors
/// Not a summary, or one without a load report.
pub(crate) fn parse_shard(text: &[u8], source: &str) -> crate::Result<(TargetInfo, LoadReport)> {
    let s: reports::model::Summary = serde_json::from_slice(text)
        .map_err(|e| crate::Error::invalid(format!("{source}: not a summary.json ({e})")))?;
    match s.load {
        Some(l) => Ok((s.target, l)),
        None => Err(crate::Error::invalid(format!(
            "{source}: no load report in it (a shard's summary.json is `harness load --manifest`'s)"
        ))),
    }
}

/// `harness load merge DIR…`: each folder's `summary.json` (or the file
/// itself), merged into one run's report.
///
/// # Errors
/// An unreadable summary, one without a shard's load report, a set that
/// does not add up.
pub async fn merge_reports(
    places: &[Place],
    out: Option<PathBuf>,
    root: &Path,
) -> crate::Result<RunResult> {
    let stages = Stages::new();
    let load_before = run::load_average();
    let now_s = authorizer::UnixTime::now().0 as i64;
    let (id, started) = emulator::civil_time::utc_stamp(now_s);
    let mut parts = Vec::new();
    let mut target = None;
    for place in places {
        for (t, l) in read_shards(place).await? {
            target.get_or_insert(t);
            parts.push(l);
        }
    }
    stages.stage(&format!("merging {} shard reports", parts.len()))?;
    let (report, scenario, verdicts) = merge(&stages, &parts).await?;
    let mut target = target.ok_or_else(|| crate::Error::invalid("no shard reports given"))?;
    target.settings.remove("shard");
    target.settings.insert(
        "shards".into(),
        format!(
            "{} generators, merged by harness load merge",
            report.shards.len()
        ),
    );
    let found = load::findings((report, scenario, verdicts));
    let info = run::run_info(&id, &started, stages.elapsed_s(), load_before, root);
    Ok(RunResult {
        summary: run::summary_of(info, target, found),
        dir: out.unwrap_or_else(|| reports::run_dir(Path::new("."), &id)),
    })
}

/// `harness load --engine local --workers N`: the plan's manifest, N worker
/// processes of this harness started together, their reports merged, the
/// function's logs read once — all while the run's target (the local stack
/// included) stays up. A worker that fails, or a stop signal, stops every
/// worker (by PID) and fails the run naming the shard.
///
/// # Errors
/// As [`plan`], a worker that failed or refused, a merge that does not add
/// up.
pub async fn run_local(
    opts: &load::LoadOptions,
    file: &PlanFile,
    workers: u32,
    harness_exe: &Path,
) -> crate::Result<RunResult> {
    let job = Job {
        name: "load",
        stack: "jwt-authorizer-load",
        stage: opts.stage,
    };
    let dir = opts
        .target
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports/out"));
    let (run, found) = with_run(&opts.target, job, async |run: &Run| {
        let manifest = make_manifest(run, &opts.plan, file, workers).await?;
        let work_dir = dir.join(format!("shards-{}", run.id));
        let path = write_manifest(&manifest, &work_dir)?;
        // It holds valid tokens: gone on every way out of the run.
        let _manifest = Removed(path.clone());
        let cold = force_cold(run, &opts.plan).await?;
        let ran = async {
            let t0 = emulator::civil_time::now_ms() + start_lead_ms(&opts.plan);
            run.stages.stage(&format!(
                "starting {workers} worker processes (harness load --manifest … --shard I/{workers} --start-at {})",
                stamp(t0)
            ))?;
            let outs: Vec<PathBuf> =
                (0..workers).map(|i| work_dir.join(format!("shard-{i}"))).collect();
            let mut fleet = Fleet::default();
            for (i, out) in outs.iter().enumerate() {
                let shard = Shard { index: i as u32, count: workers };
                fleet.spawn(harness_exe, &path, shard, t0, out)?;
            }
            fleet.wait(&run.stages).await?;
            outs.iter()
                .map(|out| read_shard(out).map(|(_, l)| l))
                .collect::<crate::Result<Vec<_>>>()
        }
        .await;
        if let Some(c) = cold {
            c.restore().await?;
        }
        Ok(load::findings(merge(&run.stages, &ran?).await?))
    })
    .await?;
    Ok(run.result(&opts.target, found))
}

/// A file removed when dropped.
struct Removed(PathBuf);

impl Drop for Removed {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Worker processes, each stopped by its PID when the fleet is dropped.
#[derive(Default)]
struct Fleet {
    children: Vec<(Shard, std::process::Child, PathBuf)>,
}

impl Fleet {
    fn spawn(
        &mut self,
        exe: &Path,
        manifest: &Path,
        shard: Shard,
        t0: i64,
        out: &Path,
    ) -> crate::Result<()> {
        std::fs::create_dir_all(out)
            .map_err(|e| crate::Error::invalid(format!("{}: {e}", out.display())))?;
        let log = out.join("worker.log");
        let stderr = std::fs::File::create(&log)
            .map_err(|e| crate::Error::invalid(format!("{}: {e}", log.display())))?;
        let child = std::process::Command::new(exe)
            .args(["load", "--manifest"])
            .arg(manifest)
            .args(["--shard", &shard.to_string(), "--start-at"])
            .arg(format!("{:.3}", t0 as f64 / 1000.0))
            .arg("--out")
            .arg(out)
            .arg("--quiet")
            .stdin(std::process::Stdio::null())
            .stdout(
                stderr
                    .try_clone()
                    .map_err(|e| crate::Error::invalid(e.to_string()))?,
            )
            .stderr(stderr)
            .spawn()
            .map_err(|e| crate::Error::invalid(format!("starting {}: {e}", exe.display())))?;
        self.children.push((shard, child, log));
        Ok(())
    }

    /// Waits for every worker; the first that fails (exit 2: refused or
    /// broken; a signal) or a stop request stops the others.
    async fn wait(&mut self, stages: &Stages) -> crate::Result<()> {
        let mut left = self.children.len();
        let mut done = vec![false; left];
        while left > 0 {
            if scenarios::stop_requested() {
                return Err(crate::Error::Interrupted);
            }
            for (i, (shard, child, log)) in self.children.iter_mut().enumerate() {
                if done[i] {
                    continue;
                }
                let Ok(Some(status)) = child.try_wait() else {
                    continue;
                };
                done[i] = true;
                left -= 1;
                // Exit 1 is a shard whose verdict failed: its report is
                // written and merged. Anything else is no report.
                if !matches!(status.code(), Some(0 | 1)) {
                    let text = std::fs::read_to_string(&*log).unwrap_or_default();
                    let last = text
                        .lines()
                        .rev()
                        .find(|l| !l.trim().is_empty())
                        .unwrap_or("");
                    return Err(crate::Error::invalid(format!(
                        "worker of shard {shard} failed ({status}): {last}"
                    )));
                }
                stages.stage(&format!("shard {shard} done ({status})"))?;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for (_, child, _) in &mut self.children {
            if let Ok(None) = child.try_wait() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}
