//! `harness load`: flags over a plan file, then [`harness::load::run`].

use crate::CliError;
use clap::Args;
use scenarios::arrival::{Arrival, Step};
use scenarios::plan::{Knee, Mix, Plan, PlanFile, Scaling};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub(crate) struct LoadArgs {
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

impl LoadArgs {
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

    /// The plan: the file's values, each flag given overriding its own.
    pub(crate) fn plan(&self) -> Result<Plan, CliError> {
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
        Ok(Plan::from_file(f)?)
    }
}

/// `harness load`: checks every value, then runs the plan.
pub(crate) async fn run(a: LoadArgs) -> crate::Outcome {
    let plan = a.plan()?;
    let throttle = a
        .stage_rate
        .map(|r| (r, f64::from(a.stage_burst.unwrap_or(r as u32))));
    let stage = (
        a.stage_rate.unwrap_or(10_000.0),
        i32::try_from(a.stage_burst.unwrap_or(5000))
            .map_err(|_| CliError::usage("--stage-burst: too large"))?,
    );
    let baseline = a.compare.load()?;
    super::run::check_out(a.out.as_deref())?;
    let target = harness::run::RunOptions {
        progress: !a.quiet && super::run::terminal(),
        ..super::run::run_options(a.target, a.out, throttle)?
    };
    super::signals::install()?;
    let opts = harness::load::LoadOptions {
        plan,
        target,
        stage,
    };
    let result = harness::load::run(&opts).await;
    if let Some(stopped) = super::signals::stopped() {
        return Err(stopped);
    }
    let r = result?;
    super::report::finish(&r, &a.compare, baseline.as_ref(), a.strict)
}
