//! `harness load`: flags over a plan file, then [`harness::load::run`];
//! sharded over several generators: `load plan` (the manifest), `load
//! --manifest --shard --start-at` (one worker), `load merge` (the whole
//! run's report), `load --engine local --workers N` (all three here).

use crate::CliError;
use clap::{Args, Subcommand};
use scenarios::arrival::{Arrival, Step};
use scenarios::plan::{Knee, Mix, Plan, PlanFile, Scaling};
use std::path::PathBuf;

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct LoadArgs {
    #[command(subcommand)]
    pub(crate) sub: Option<LoadSub>,
    #[command(flatten)]
    pub(crate) flags: LoadFlags,
    /// Run one shard of a manifest (`harness load plan`) as a worker: no
    /// plan, target or key flag — the manifest fixes them.
    /// An `s3://BUCKET/…/manifest.json` manifest is read from S3, and the
    /// shard's summary is written beside it too (`results/<I>/summary.json`).
    #[arg(long, value_name = "FILE|DIR|S3_URL", requires_all = ["shard", "start_at"], conflicts_with_all = MANIFEST_FIXES, value_parser = place)]
    pub(crate) manifest: Option<harness::fleet::Place>,
    /// The worker's shard, I/N (I from 0).
    #[arg(long, value_name = "I/N", requires = "manifest", value_parser = shard)]
    pub(crate) shard: Option<scenarios::shard::Shard>,
    /// When request 0 of the whole plan is due: Unix time, seconds (e.g.
    /// `$(( $(date +%s) + 20 ))`). A worker ready later than
    /// --start-tolerance after it refuses.
    #[arg(long, value_name = "UNIX_SECONDS", requires = "manifest", value_parser = crate::non_negative)]
    pub(crate) start_at: Option<f64>,
    /// How late a worker may be ready after --start-at, s.
    #[arg(long, default_value_t = 2.0, requires = "manifest", allow_negative_numbers = true, value_parser = crate::non_negative)]
    pub(crate) start_tolerance: f64,
    /// Where the shards run: `local` (worker processes on this machine) or
    /// `ecs` (Fargate tasks, with --workers-deployment).
    #[arg(long, value_parser = ["local", "ecs"], requires = "workers")]
    pub(crate) engine: Option<String>,
    /// --engine ecs: `terraform output -json` of terraform/modules/load-workers
    /// (cluster, task definition, subnets, security group, bucket). Default:
    /// --deployment, when its root module also outputs the workers module
    /// (`output "workers" { value = module.load_workers }`).
    #[arg(long, value_name = "FILE")]
    pub(crate) workers_deployment: Option<PathBuf>,
    /// How many generators (--engine).
    #[arg(long, requires = "engine", value_parser = clap::value_parser!(u32).range(1..=64))]
    pub(crate) workers: Option<u32>,
}

/// What a manifest fixes, refused beside --manifest.
const MANIFEST_FIXES: [&str; 27] = [
    "profile",
    "plan",
    "rate",
    "ramp",
    "steps",
    "spike",
    "duration",
    "warmup",
    "max_in_flight",
    "mix",
    "repeat",
    "max_fresh_tokens",
    "p99_bound_ms",
    "max_rate",
    "stage_rate",
    "stage_burst",
    "target",
    "deployment",
    "kms_endpoint",
    "kms_key_id",
    "create_kms_key",
    "issuer",
    "audience",
    "authorizer",
    "kid",
    "region",
    "spec",
];

fn place(v: &str) -> Result<harness::fleet::Place, String> {
    harness::fleet::Place::parse(v).map_err(|e| e.to_string())
}

fn shard(v: &str) -> Result<scenarios::shard::Shard, String> {
    scenarios::shard::Shard::parse(v).map_err(|e| {
        let e = e.to_string();
        e.strip_prefix(&format!("--shard {v:?}: "))
            .unwrap_or(&e)
            .to_owned()
    })
}

#[derive(Subcommand, Debug)]
pub(crate) enum LoadSub {
    /// Mint every token of a plan for N generators and write its manifest
    /// (mode 0600: it holds valid tokens). Needs a target the workers can
    /// reach (--deployment or --target) and the deployment's key.
    Plan(Box<PlanArgs>),
    /// One shard on an engine's task (the ECS engine starts it): the
    /// manifest from S3, a ready marker, T0 from the run's go.json, the
    /// report back to S3.
    Worker(WorkerArgs),
    /// Merge the shards' reports (their folders or summary.json files) into
    /// the whole run's: histograms added, the function's logs read once.
    Merge(MergeArgs),
}

#[derive(Args, Debug)]
pub(crate) struct PlanArgs {
    #[command(flatten)]
    pub(crate) flags: LoadFlags,
    /// How many shards (generators).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub(crate) shards: u32,
}

#[derive(Args, Debug)]
pub(crate) struct WorkerArgs {
    /// The run's manifest, s3://BUCKET/runs/RUN/manifest.json.
    #[arg(long, value_name = "S3_URL")]
    pub(crate) manifest: String,
    /// The shard, I/N (I from 0).
    #[arg(long, value_name = "I/N", value_parser = shard)]
    pub(crate) shard: scenarios::shard::Shard,
    /// Stop when no go.json arrives within this many seconds.
    #[arg(long, default_value_t = 300.0, allow_negative_numbers = true, value_parser = crate::positive)]
    pub(crate) go_within: f64,
    /// How late the worker may be ready after T0, s.
    #[arg(long, default_value_t = 2.0, allow_negative_numbers = true, value_parser = crate::non_negative)]
    pub(crate) start_tolerance: f64,
    /// Where the shard's report is written locally too.
    #[arg(long, default_value = "shard")]
    pub(crate) out: PathBuf,
    /// No progress bar.
    #[arg(long)]
    pub(crate) quiet: bool,
}

#[derive(Args, Debug)]
pub(crate) struct MergeArgs {
    /// The shards' report folders (or their summary.json), or an S3 prefix
    /// holding them (`s3://BUCKET/runs/RUN/results/`: every summary.json
    /// under it).
    #[arg(required = true, value_name = "DIR|S3_URL", value_parser = place)]
    pub(crate) shards: Vec<harness::fleet::Place>,
    /// Write the merged report here (default: reports/out/<UTC timestamp>/).
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Count a SKIP verdict as a failure (exit 1).
    #[arg(long)]
    pub(crate) strict: bool,
    #[command(flatten)]
    pub(crate) compare: crate::cli::report::BaselineArgs,
}

#[derive(Args, Debug)]
pub(crate) struct LoadFlags {
    /// A preset (`knee`, `scaling`) or the arrival kind (`constant`,
    /// `ramp`, `steps`, `spike`; implied by --rate/--ramp/--steps/--spike).
    #[arg(long)]
    pub(crate) profile: Option<String>,
    /// A TOML plan file (README "Load testing"); flags override its values.
    #[arg(long, value_name = "FILE")]
    pub(crate) plan: Option<PathBuf>,
    /// Constant arrival: requests per second.
    #[arg(long, allow_negative_numbers = true, value_parser = crate::positive, conflicts_with_all = ["ramp", "steps", "spike"])]
    pub(crate) rate: Option<f64>,
    /// Ramp: FROM:TO req/s over the whole --duration.
    #[arg(long, value_name = "FROM:TO", conflicts_with_all = ["steps", "spike"])]
    pub(crate) ramp: Option<String>,
    /// Steps: RATE:SECONDS,RATE:SECONDS,… in order.
    #[arg(long, value_name = "RATE:SECONDS,…", conflicts_with = "spike")]
    pub(crate) steps: Option<String>,
    /// Spike: BASE:SPIKE:AT:LENGTH (req/s, req/s, s, s).
    #[arg(long, value_name = "BASE:SPIKE:AT:LENGTH")]
    pub(crate) spike: Option<String>,
    /// Run length, s (default: the profile's own, else 60).
    #[arg(long, allow_negative_numbers = true, value_parser = crate::non_negative)]
    pub(crate) duration: Option<f64>,
    /// Seconds at the start excluded from the figures (default: 10 % of the
    /// run, at most 5 s; knee: 1 s per step; scaling: 0).
    #[arg(long, allow_negative_numbers = true, value_parser = crate::non_negative)]
    pub(crate) warmup: Option<f64>,
    /// Most requests in flight at once (default 256).
    #[arg(long)]
    pub(crate) max_in_flight: Option<usize>,
    /// Family weights, e.g. valid=70,expired=10,forged=10,malformed=10.
    #[arg(long, value_name = "FAMILY=WEIGHT,…")]
    pub(crate) mix: Option<String>,
    /// Share of valid requests that repeat one of a few tokens (cache hits
    /// after the first use), 0–1; the rest are fresh tokens used once.
    #[arg(long)]
    pub(crate) repeat: Option<f64>,
    /// Most fresh tokens minted before a run (default 50000).
    #[arg(long)]
    pub(crate) max_fresh_tokens: Option<usize>,
    /// knee: a step holds while its p99 stays at or below this (ms).
    #[arg(long, allow_negative_numbers = true, value_parser = crate::non_negative)]
    pub(crate) p99_bound_ms: Option<f64>,
    /// knee: the highest rate tried (req/s).
    #[arg(long, allow_negative_numbers = true, value_parser = crate::non_negative)]
    pub(crate) max_rate: Option<f64>,
    /// The local stack's stage throttling rate; with --target, the deployed
    /// stage's (for the throttling chart; --deployment reads it).
    #[arg(long, allow_negative_numbers = true, value_parser = crate::non_negative)]
    pub(crate) stage_rate: Option<f64>,
    /// The local stack's stage burst.
    #[arg(long)]
    pub(crate) stage_burst: Option<u32>,
    /// No progress bar: one line per stage.
    #[arg(long)]
    pub(crate) quiet: bool,
    #[command(flatten)]
    pub(crate) target: crate::cli::run::TargetArgs,
    /// Write the report here (default: reports/out/<UTC timestamp>/).
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Count a SKIP verdict as a failure (exit 1).
    #[arg(long)]
    pub(crate) strict: bool,
    #[command(flatten)]
    pub(crate) compare: crate::cli::report::BaselineArgs,
}

fn numbers(flag: &str, text: &str, n: usize) -> Result<Vec<f64>, CliError> {
    let v: Vec<f64> = text
        .split(':')
        .map(|x| crate::non_negative(x).map_err(|e| CliError::usage(format!("{flag} {text}: {e}"))))
        .collect::<Result<_, _>>()?;
    if v.len() == n {
        Ok(v)
    } else {
        Err(CliError::usage(format!(
            "{flag} {text}: expected {n} numbers separated by ':'"
        )))
    }
}

impl LoadFlags {
    /// A preset sets its own arrival and length, and the knee's settings
    /// mean nothing elsewhere: a flag the profile would ignore is refused,
    /// naming it.
    fn refuse_unused(&self, profile: Option<&str>) -> Result<(), CliError> {
        let arrival = [
            ("--rate", self.rate.is_some()),
            ("--ramp", self.ramp.is_some()),
            ("--steps", self.steps.is_some()),
            ("--spike", self.spike.is_some()),
            ("--duration", self.duration.is_some()),
        ];
        let knee = [
            ("--p99-bound-ms", self.p99_bound_ms.is_some()),
            ("--max-rate", self.max_rate.is_some()),
        ];
        let unused: Vec<&str> = match profile {
            Some("knee") => arrival.iter().filter(|f| f.1).map(|f| f.0).collect(),
            Some("scaling") => arrival
                .iter()
                .chain(&knee)
                .filter(|f| f.1)
                .map(|f| f.0)
                .collect(),
            _ => knee.iter().filter(|f| f.1).map(|f| f.0).collect(),
        };
        match unused.as_slice() {
            [] => Ok(()),
            flags => Err(CliError::usage(format!(
                "{} not used by --profile {}: {}",
                flags.join(", "),
                profile.unwrap_or("constant"),
                match profile {
                    Some("knee") =>
                        "its steps come from [knee] in the plan file, --max-rate and --p99-bound-ms",
                    Some("scaling") => "its rates and lengths come from [scaling] in the plan file",
                    _ => "they belong to --profile knee",
                }
            ))),
        }
    }

    /// The plan file: the file's values, each flag given overriding its own.
    pub(crate) fn plan_file(&self) -> Result<PlanFile, CliError> {
        let mut f = match &self.plan {
            Some(p) => PlanFile::read(p)?,
            None => PlanFile::default(),
        };
        if let Some(p) = &self.profile {
            f.profile = Some(p.clone());
        }
        self.refuse_unused(f.profile.as_deref())?;
        if let Some(rate) = self.rate {
            f.arrival = Some(Arrival::Constant { rate });
        }
        if let Some(r) = &self.ramp {
            let v = numbers("--ramp", r, 2)?;
            let seconds = self.duration.or(f.duration_s).unwrap_or(60.0);
            f.arrival = Some(Arrival::Ramp {
                from: v[0],
                to: v[1],
                seconds,
            });
        }
        if let Some(s) = &self.steps {
            let steps = s
                .split(',')
                .map(|p| {
                    numbers("--steps", p, 2).map(|v| Step {
                        rate: v[0],
                        seconds: v[1],
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            f.arrival = Some(Arrival::Steps { steps });
        }
        if let Some(s) = &self.spike {
            let v = numbers("--spike", s, 4)?;
            f.arrival = Some(Arrival::Spike {
                base: v[0],
                spike: v[1],
                at: v[2],
                length: v[3],
            });
        }
        if self.duration.is_some() {
            f.duration_s = self.duration;
        }
        if self.warmup.is_some() {
            f.warmup_s = self.warmup;
        }
        if self.max_in_flight.is_some() {
            f.max_in_flight = self.max_in_flight;
        }
        if self.max_fresh_tokens.is_some() {
            f.max_fresh_tokens = self.max_fresh_tokens;
        }
        // Scaling measures cold starts: by default every valid token is
        // fresh, so every request reaches the authorizer.
        let scaling = f.profile.as_deref() == Some("scaling");
        let mut mix = f.mix.take().unwrap_or_else(|| Mix {
            repeat: if scaling { 0.0 } else { Mix::default().repeat },
            ..Mix::default()
        });
        if let Some(m) = &self.mix {
            mix = mix.with_weights(m)?;
        }
        if let Some(r) = self.repeat {
            mix = Mix { repeat: r, ..mix };
        }
        f.mix = Some(mix);
        if self.p99_bound_ms.is_some() || self.max_rate.is_some() {
            let mut k = f.knee.take().unwrap_or_else(Knee::default);
            if let Some(b) = self.p99_bound_ms {
                k.p99_ms = b;
            }
            if let Some(m) = self.max_rate {
                k.max_rate = m;
            }
            f.knee = Some(k);
        }
        if f.profile.as_deref() == Some("scaling") && f.scaling.is_none() {
            f.scaling = Some(Scaling::default());
        }
        Ok(f)
    }
}

/// `harness load`: checks every value, then runs the plan (or a shard of
/// a manifest, or the plan over local workers).
pub(crate) async fn run(a: LoadArgs) -> crate::Outcome {
    match a.sub {
        Some(LoadSub::Plan(p)) => return plan(*p).await,
        Some(LoadSub::Merge(m)) => return merge(m).await,
        Some(LoadSub::Worker(w)) => return ecs_worker(w).await,
        None => {}
    }
    if let (Some(manifest), Some(shard), Some(start_at)) = (&a.manifest, a.shard, a.start_at) {
        return worker(&a.flags, manifest, shard, start_at, a.start_tolerance).await;
    }
    let f = a.flags;
    let file = f.plan_file()?;
    let plan = Plan::from_file(file.clone())?;
    if let Some(n) = a.workers {
        scenarios::shard::Shard { index: 0, count: n }.check_plan(&plan)?;
    }
    let ecs = match (a.engine.as_deref(), &a.workers_deployment, &f.target.deployment) {
        (Some("ecs"), Some(w), _) => Some(harness::ecs::WorkersDeployment::read(
            w,
            "--workers-deployment",
        )?),
        // One root module's outputs: the deployment's and, under `workers`
        // (or at the top), the load-workers module's.
        (Some("ecs"), None, Some(d)) => Some(
            harness::ecs::WorkersDeployment::read(d, "--deployment").map_err(|e| {
                CliError::usage(format!(
                    "{e} (--engine ecs reads the load-workers module's outputs from --deployment when --workers-deployment is not given)"
                ))
            })?,
        ),
        (Some("ecs"), None, None) => {
            return Err(CliError::usage(
                "--engine ecs needs --workers-deployment FILE (terraform output -json of terraform/modules/load-workers), or a --deployment holding its outputs",
            ))
        }
        (_, Some(_), _) => {
            return Err(CliError::usage("--workers-deployment belongs to --engine ecs"))
        }
        _ => None,
    };
    let (opts, baseline) = options(
        f.stage_rate,
        f.stage_burst,
        f.quiet,
        f.target,
        f.out,
        &f.compare,
        plan,
    )?;
    super::signals::install()?;
    let result = match (a.workers, ecs) {
        (Some(n), Some(dep)) => harness::ecs::run(&opts, &file, n, &dep).await,
        (Some(n), None) => {
            let exe = std::env::current_exe().map_err(|e| {
                CliError::usage(format!("--engine local: this harness's path: {e}"))
            })?;
            harness::fleet::run_local(&opts, &file, n, &exe).await
        }
        (None, _) => harness::load::run(&opts).await,
    };
    if let Some(stopped) = super::signals::stopped() {
        return Err(stopped);
    }
    let r = result?;
    super::report::finish(&r, &f.compare, baseline.as_ref(), f.strict)
}

type Baseline = Option<reports::model::Summary>;

/// The load options from the flags, and the baseline; every value checked.
fn options(
    stage_rate: Option<f64>,
    stage_burst: Option<u32>,
    quiet: bool,
    target: crate::cli::run::TargetArgs,
    out: Option<PathBuf>,
    compare: &crate::cli::report::BaselineArgs,
    plan: Plan,
) -> Result<(harness::load::LoadOptions, Baseline), CliError> {
    let throttle = stage_rate.map(|r| (r, f64::from(stage_burst.unwrap_or(r as u32))));
    let stage = (
        stage_rate.unwrap_or(10_000.0),
        i32::try_from(stage_burst.unwrap_or(5000))
            .map_err(|_| CliError::usage("--stage-burst: too large"))?,
    );
    let baseline = compare.load()?;
    super::run::check_out(out.as_deref())?;
    let target = harness::run::RunOptions {
        progress: !quiet && super::run::terminal(),
        ..super::run::run_options(target, out, throttle)?
    };
    Ok((
        harness::load::LoadOptions {
            plan,
            target,
            stage,
        },
        baseline,
    ))
}

/// `harness load plan`: the manifest, written before any worker starts.
async fn plan(p: PlanArgs) -> crate::Outcome {
    let f = p.flags;
    let file = f.plan_file()?;
    let plan = Plan::from_file(file.clone())?;
    scenarios::shard::Shard {
        index: 0,
        count: p.shards,
    }
    .check_plan(&plan)?;
    if f.target.target.is_none() && f.target.deployment.is_none() {
        return Err(CliError::usage(
            "load plan: pass --deployment (terraform output -json) or --target: the local stack ends with this command, so workers could not reach it (`harness load --engine local --workers N` shards over it)",
        ));
    }
    if f.target.create_kms_key {
        return Err(CliError::usage(
            "load plan: --create-kms-key would delete its key before the workers run; pass the deployment's --kms-key-id",
        ));
    }
    let dir = f.out.as_deref().ok_or_else(|| {
        CliError::usage(
            "load plan: --out DIR|s3://BUCKET/PREFIX is required (where the manifest is written)",
        )
    })?;
    let dest = harness::fleet::Place::parse(&dir.to_string_lossy())
        .map_err(|e| CliError::usage(format!("--out {e}")))?;
    let (opts, _) = options(
        f.stage_rate,
        f.stage_burst,
        f.quiet,
        f.target,
        None,
        &f.compare,
        plan,
    )?;
    super::signals::install()?;
    let result = harness::fleet::plan(&opts, &file, p.shards, &dest).await;
    if let Some(stopped) = super::signals::stopped() {
        return Err(stopped);
    }
    let (path, m) = result?;
    let requests: usize = m.tokens.fresh.iter().map(Vec::len).sum();
    super::print_line(format_args!(
        "manifest: {} ({} shards, schedule {}, {} fresh tokens; tokens hold until {})",
        path,
        m.shards,
        m.schedule,
        requests,
        emulator::civil_time::utc_stamp(m.valid_until_ms / 1000).1
    ))?;
    super::print_line(format_args!(
        "run each shard: harness load --manifest {} --shard I/{} --start-at T0 --out DIR   (I from 0; T0 in Unix seconds, the same for all)",
        path,
        m.shards
    ))?;
    Ok(std::process::ExitCode::SUCCESS)
}

/// One worker: the manifest's shard from T0.
async fn worker(
    f: &LoadFlags,
    manifest: &harness::fleet::Place,
    shard: scenarios::shard::Shard,
    start_at: f64,
    tolerance: f64,
) -> crate::Outcome {
    let baseline = f.compare.load()?;
    let out = f.out.clone().ok_or_else(|| {
        CliError::usage(
            "--manifest: --out DIR is required (each worker writes its shard's report there)",
        )
    })?;
    super::run::check_out(Some(&out))?;
    let w = harness::fleet::WorkerOptions {
        manifest: harness::fleet::fetch_manifest(manifest).await?,
        shard,
        start_at_ms: (start_at * 1000.0).round() as i64,
        tolerance_ms: (tolerance * 1000.0).round() as i64,
        out,
        progress: !f.quiet && super::run::terminal(),
        root: harness::binary::workspace_root(),
    };
    // Everything is checked before the wait: a late or foreign worker
    // refuses at once.
    harness::fleet::prepare(&w)?;
    super::signals::install()?;
    let result = harness::fleet::work(&w).await;
    if let Some(stopped) = super::signals::stopped() {
        return Err(stopped);
    }
    let r = result?;
    // Beside an S3 manifest, for `load merge s3://…/results/`; the local
    // report is written either way, and a failed upload then fails the
    // worker (exit 2) naming the object.
    let uploaded = match manifest {
        harness::fleet::Place::S3(url) => {
            Some(harness::fleet::upload_result(url, shard, &r.summary).await)
        }
        harness::fleet::Place::Dir(_) => None,
    };
    let outcome = super::report::finish(&r, &f.compare, baseline.as_ref(), f.strict);
    if let Some(at) = uploaded {
        super::print_line(format_args!("shard report: {}", at?))?;
    }
    outcome
}

/// `harness load worker`: one shard on an engine's task.
async fn ecs_worker(w: WorkerArgs) -> crate::Outcome {
    let url = harness::s3::S3Url::parse(&w.manifest)
        .map_err(|e| CliError::usage(format!("--manifest {e}")))?;
    super::run::check_out(Some(&w.out))?;
    super::signals::install()?;
    let result = harness::ecs::worker(
        &url,
        w.shard,
        std::time::Duration::from_secs_f64(w.go_within),
        (w.start_tolerance * 1000.0).round() as i64,
        w.out,
        !w.quiet && super::run::terminal(),
    )
    .await;
    if let Some(stopped) = super::signals::stopped() {
        return Err(stopped);
    }
    let compare = crate::cli::report::BaselineArgs {
        baseline: None,
        threshold: 0.2,
        fail_on_regression: false,
    };
    super::report::finish(&result?, &compare, None, false)
}

/// `harness load merge`.
async fn merge(m: MergeArgs) -> crate::Outcome {
    let baseline = m.compare.load()?;
    super::run::check_out(m.out.as_deref())?;
    super::signals::install()?;
    let root = harness::binary::workspace_root();
    let result = harness::fleet::merge_reports(&m.shards, m.out, &root).await;
    if let Some(stopped) = super::signals::stopped() {
        return Err(stopped);
    }
    super::report::finish(&result?, &m.compare, baseline.as_ref(), m.strict)
}
