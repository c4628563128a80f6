//! `harness suite`: the main job, one measurement path for every target.
//! A deployment is measured through AWS's own interfaces: the stage limits
//! and the authorizer TTL read from API Gateway v2 (`GetStage`,
//! `GetAuthorizer`), cold starts forced with `UpdateFunctionConfiguration`
//! and their Init Duration read from the function's CloudWatch Logs group,
//! caching counted from the authorizer's decision lines in that group, the
//! security catalog and the throttling and mixed scenarios sent to its URL.
//! With no target, the local run is such a deployment: its own moto holds
//! the control plane (the KMS key, and [`crate::stack`]: function, log
//! group, HTTP API, authorizer, stage) and the emulator serving that API is
//! the data plane. With `--target URL` alone, what needs the deployment's
//! description is SKIP with the reason. Writes `summary.json`, `report.md`
//! and `report.html`, stops everything it started and returns the verdicts.

use crate::check::{self, Fresh, Target};
use crate::moto::Moto;
use emulator::config::GatewayConfig;
use emulator::gateway::Gateway;
use reports::model::{
    Machine, RunInfo, Scenario, Status, Summary, TargetInfo, Verdict, SCHEMA_VERSION,
};
use reports::security::SecurityReport;
use scenarios::{Endpoint, MixedCase};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;
use tokens::catalog::{self, Case, Expected, Profile};
use tokens::signer::Signer;

/// Set by the Ctrl-C handler; checked between stages.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Suite settings.
#[derive(Debug, Clone)]
pub struct SuiteOptions {
    /// Shorter runs for CI (≤ 60 s).
    pub quick: bool,
    /// A deployed API's protected URL instead of the local emulator.
    pub target: Option<String>,
    /// An existing KMS endpoint (default: start moto).
    pub kms_endpoint: Option<String>,
    /// An existing KMS key. Default: the local run creates one in its own
    /// moto; against a target or an endpoint given by the user, a key is
    /// created only with `create_kms_key`.
    pub kms_key_id: Option<String>,
    /// Create a temporary signing key (and alias) where the user pointed
    /// us, deleted (scheduled, 7 days) at the end — Ctrl-C included.
    pub create_kms_key: bool,
    /// The `kid` of minted tokens (default: the key's id).
    pub kid: Option<String>,
    /// The report folder (default `./reports/out/<UTC timestamp>/`, under
    /// the current directory).
    pub out: Option<PathBuf>,
    /// `iss` for minted tokens (and the local authorizer).
    pub issuer: String,
    /// `aud` for minted tokens (and the local authorizer).
    pub audience: String,
    /// The deployed stage's throttle (for `--target`), rate and burst.
    pub target_throttle: Option<(f64, f64)>,
    /// The authorizer binary (local runs).
    pub authorizer: PathBuf,
    /// Where `reports/out/` goes.
    pub root: PathBuf,
    /// The deployment described by `--deployment` (`terraform output -json`).
    pub deployment: Option<crate::deployment::Deployment>,
    /// A progress bar during the loaded stages (a terminal, no `--quiet`).
    pub progress: bool,
}

/// What a suite run produced.
#[derive(Debug)]
pub struct SuiteResult {
    /// The model.
    pub summary: Summary,
    /// The report folder.
    pub dir: PathBuf,
}

/// Whether a stop (SIGINT, SIGTERM, SIGHUP) was requested.
fn stopping() -> bool {
    INTERRUPTED.load(Ordering::SeqCst) || scenarios::stop_requested()
}

/// Runs `work` until it ends or a stop is requested, whichever comes
/// first: a stage is dropped within 50 ms of a signal (its requests in
/// flight with it), so a run stops in every stage at once. Only for work
/// whose interruption leaves nothing changed, or whose caller restores
/// what it changed (the cold-start trials).
///
/// # Errors
/// `work`'s error, or [`crate::Error::Interrupted`].
pub(crate) async fn until_stopped<T>(
    work: impl std::future::Future<Output = crate::Result<T>>,
) -> crate::Result<T> {
    let watch = async {
        while !stopping() {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    };
    tokio::select! {
        r = work => r,
        () = watch => Err(crate::Error::Interrupted),
    }
}

pub(crate) struct Progress(pub(crate) Instant);

impl Progress {
    pub(crate) fn stage(&self, what: &str) -> crate::Result<()> {
        if stopping() {
            return Err(crate::Error::Interrupted);
        }
        eprintln!("[{:>6.1}s] {what}", self.0.elapsed().as_secs_f64());
        Ok(())
    }
}

pub(crate) fn load_average() -> [f64; 3] {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut it = text.split_whitespace().map(|v| v.parse().unwrap_or(0.0));
    [
        it.next().unwrap_or(0.0),
        it.next().unwrap_or(0.0),
        it.next().unwrap_or(0.0),
    ]
}

pub(crate) fn git_revision(root: &std::path::Path) -> Option<String> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// `n` valid tokens signed by `signer` (in its own algorithm), one at a
/// time: distinct `sub`s, so each is its own cache entry.
async fn mint_many(
    signer: &Signer,
    profile: &Profile,
    n: usize,
    tag: &str,
) -> crate::Result<Vec<String>> {
    use base64::Engine;
    let header = format!(r#"{{"alg":"{}","typ":"JWT"}}"#, signer.algorithm().name());
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let claims = serde_json::json!({"iss": profile.issuer, "aud": profile.audience, "sub": format!("{tag}-{i}"), "iat": profile.now, "exp": profile.now + 3600});
        let input = tokens::jws::signing_input(&header, &claims.to_string());
        let sig = signer.sign(input.as_bytes()).await?;
        out.push(format!(
            "{input}.{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sig)
        ));
    }
    Ok(out)
}

fn verdict(name: &str, s: Option<&Scenario>, skipped_why: &str) -> Verdict {
    match s {
        Some(s) => Verdict::new(
            name,
            if s.pass { Status::Pass } else { Status::Fail },
            s.decided_by(),
        ),
        None => Verdict::new(name, Status::Skip, format!("skipped: {skipped_why}")),
    }
}

/// The local deployment: the signing key described (id, ARN, aliases —
/// the kids the module binds to it), the authorizer zipped as the
/// function's code with the suite profile's environment, everything
/// created in moto by [`crate::stack::create`].
async fn local_stack(
    opts: &SuiteOptions,
    moto: &Moto,
    kms: &aws_sdk_kms::Client,
    key_entry: &str,
    signer: &Signer,
    env: &[(String, String)],
) -> crate::Result<crate::deployment::Deployment> {
    let stack = LocalStack {
        name: "jwt-authorizer-local",
        authorizer: &opts.authorizer,
        issuer: &opts.issuer,
        audience: &opts.audience,
        ttl_seconds: 300,
        rate: 100.0,
        burst: 50,
    };
    create_local_stack(&stack, moto, kms, key_entry, signer, env).await
}

/// What differs between local stacks (the suite's mirrors the module's
/// defaults; `harness load` raises the stage limits).
#[derive(Debug)]
pub(crate) struct LocalStack<'a> {
    pub(crate) name: &'a str,
    pub(crate) authorizer: &'a std::path::Path,
    pub(crate) issuer: &'a str,
    pub(crate) audience: &'a str,
    pub(crate) ttl_seconds: i32,
    pub(crate) rate: f64,
    pub(crate) burst: i32,
}

/// Creates a local stack in `moto` for `key_entry` (see [`local_stack`]).
pub(crate) async fn create_local_stack(
    stack: &LocalStack<'_>,
    moto: &Moto,
    kms: &aws_sdk_kms::Client,
    key_entry: &str,
    signer: &Signer,
    env: &[(String, String)],
) -> crate::Result<crate::deployment::Deployment> {
    let id = authorizer::keys::split_kms_entry("--kms-key-id", key_entry)
        .map_or(key_entry.to_owned(), |(id, _)| id);
    let meta = kms
        .describe_key()
        .key_id(&id)
        .send()
        .await
        .map_err(|e| crate::Error::aws("KMS", "DescribeKey", e))?;
    let meta = meta
        .key_metadata()
        .ok_or_else(|| crate::Error::unavailable("DescribeKey: no key metadata"))?;
    let key_id = meta.key_id().to_owned();
    let aliases = kms
        .list_aliases()
        .key_id(&key_id)
        .send()
        .await
        .map_err(|e| crate::Error::aws("KMS", "ListAliases", e))?;
    let key = tokens::kms::KmsKey {
        arn: meta.arn().unwrap_or_default().to_owned(),
        alias: aliases
            .aliases()
            .iter()
            .find_map(|a| a.alias_name().map(str::to_owned)),
        key_id,
    };
    let mut kids = vec![key.key_id.clone(), key.arn.clone()];
    kids.extend(key.alias.clone());
    let mut env: Vec<(String, String)> = env
        .iter()
        .filter(|(k, _)| k != "JWT_PUBLIC_KEY_KIDS")
        .cloned()
        .collect();
    env.push(("JWT_PUBLIC_KEY_KIDS".into(), kids.join(",")));
    env.extend(signer.pem_alg_env());
    env.push(("JWT_RESPONSE_FORMAT".into(), "simple".into()));
    let binary = std::fs::read(stack.authorizer)
        .map_err(|e| crate::Error::io(stack.authorizer.display(), e))?;
    let spec = crate::stack::StackSpec {
        name: stack.name.into(),
        zip: crate::package::zip_bootstrap(&binary)?,
        env,
        key,
        issuer: stack.issuer.to_owned(),
        audience: stack.audience.to_owned(),
        ttl_seconds: stack.ttl_seconds,
        rate: stack.rate,
        burst: stack.burst,
        route: "GET /hello".into(),
    };
    let conf = emulator::sdk::config(Some(moto.endpoint())).await;
    crate::stack::create(&conf, moto.endpoint(), &spec).await
}

/// Runs the suite.
///
/// # Errors
/// A one-line cause; everything started is stopped first.
pub async fn run(opts: &SuiteOptions) -> crate::Result<SuiteResult> {
    let started = Instant::now();
    let p = Progress(started);
    let load_before = load_average();
    let now = authorizer::UnixTime::now().0 as i64;
    let (run_id, started_at) = emulator::civil_time::utc_stamp(now);

    let mut key = RunKey::open(opts, &p, &format!("alias/harness-suite-{run_id}")).await?;
    let run = RunClock {
        id: run_id,
        started_at,
        started,
        load_before,
        now,
    };
    let moto = key.moto.take();
    let outcome = run_with_key(opts, &p, &key.client, &key.key_id, moto, &run).await;
    key.close("suite's").await;
    outcome
}

/// Where a run signs: the local run's own moto (started here; the control
/// plane of the local deployment too) or the user's KMS, and the key — the
/// one given, or a temporary one. Nothing is created in the user's account
/// without `--create-kms-key`: only the run's own moto gets a key unasked.
pub(crate) struct RunKey {
    /// The local run's moto (`None` against a target).
    pub(crate) moto: Option<Moto>,
    /// KMS, where the key is.
    pub(crate) client: aws_sdk_kms::Client,
    /// The key's id, ARN or alias (with `:ALG` for RSA).
    pub(crate) key_id: String,
    /// A key created in the user's KMS, deleted by [`RunKey::close`].
    created: Option<tokens::kms::KmsKey>,
}

impl RunKey {
    /// Starts moto for a local run and finds or creates the key.
    pub(crate) async fn open(
        opts: &SuiteOptions,
        p: &Progress,
        alias: &str,
    ) -> crate::Result<Self> {
        // The local run is a deployment in its own moto (KMS unless an
        // endpoint is given, Lambda, CloudWatch Logs, API Gateway v2).
        let moto = match &opts.target {
            None => {
                p.stage("starting moto_server (the local control plane)")?;
                Some(Moto::start()?)
            }
            Some(_) => None,
        };
        if let Some(m) = &moto {
            route_sdk_to(m);
        }
        let endpoint = opts
            .kms_endpoint
            .clone()
            .or_else(|| moto.as_ref().map(|m| m.endpoint().to_owned()));
        let client = crate::stack::kms_client(endpoint.as_deref()).await;
        let users_kms = opts.kms_endpoint.is_some() || moto.is_none();
        let (key_id, created) = match &opts.kms_key_id {
            Some(k) => (k.clone(), None),
            None if users_kms && !opts.create_kms_key => {
                return Err(crate::Error::invalid(
                    "no signing key: pass --kms-key-id (the deployment's key, e.g. `terraform output -raw kms_key_id`), \
                     or --create-kms-key to create a temporary one (scheduled for deletion at the end)",
                ))
            }
            None => {
                p.stage(&format!("creating an ECC_NIST_P521 signing key ({alias})"))?;
                let key = tokens::kms::create_key(&client, Some(alias))
                    .await?;
                (key.key_id.clone(), users_kms.then_some(key))
            }
        };
        Ok(Self {
            moto,
            client,
            key_id,
            created,
        })
    }

    /// Schedules deletion (7 days) of a key created in the user's KMS;
    /// `whose` names the run on the console.
    pub(crate) async fn close(&self, whose: &str) {
        let Some(key) = &self.created else { return };
        match tokens::kms::schedule_deletion(&self.client, key).await {
            Ok(()) => eprintln!(
                "scheduled deletion of the {whose} KMS key {} ({}) in 7 days",
                key.key_id,
                key.alias.as_deref().unwrap_or("no alias")
            ),
            Err(e) => eprintln!(
                "could not schedule deletion of KMS key {}: {e} — delete it by hand",
                key.key_id
            ),
        }
    }
}

/// Every SDK call of a local run goes to `m`, never elsewhere (KMS too,
/// unless `AWS_ENDPOINT_URL_KMS` names another endpoint).
pub(crate) fn route_sdk_to(m: &Moto) {
    std::env::set_var("AWS_ENDPOINT_URL", m.endpoint());
    for service in ["LAMBDA", "CLOUDWATCH_LOGS", "APIGATEWAYV2"] {
        std::env::remove_var(format!("AWS_ENDPOINT_URL_{service}"));
    }
    for (k, v) in m.sdk_env() {
        if k != "AWS_ENDPOINT_URL_KMS" && std::env::var_os(&k).is_none() {
            std::env::set_var(k, v);
        }
    }
}

/// When and where a run started.
struct RunClock {
    id: String,
    started_at: String,
    started: Instant,
    load_before: [f64; 3],
    now: i64,
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
            }
        }
    }
}

/// What the run measures: the URL, the deployment behind it (if known) and
/// what was read from it.
struct Measured {
    /// The protected route's URL.
    main: Endpoint,
    deployment: Option<crate::deployment::Deployment>,
    deployed: crate::deployed::DeployedSettings,
    /// The stage's limits: read from the deployment, or `--rate/--burst`.
    throttle: Option<(f64, f64)>,
    target: TargetInfo,
}

impl Measured {
    /// Against a throttled stage, stay below its rate: mixed traffic and the
    /// security check measure decisions, not the bucket (and any 429 left
    /// is counted apart).
    fn below(&self, rate: f64) -> f64 {
        match self.throttle {
            Some((limit, _)) if limit > 0.0 => f64::min(rate, 0.8 * limit),
            _ => rate,
        }
    }
}

/// The run's key: where it is, its signer, and the authorizer environment
/// that trusts it.
struct RunSigning<'a> {
    client: &'a aws_sdk_kms::Client,
    key_id: &'a str,
    signer: &'a Signer,
    env: &'a [(String, String)],
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

async fn run_with_key(
    opts: &SuiteOptions,
    p: &Progress,
    client: &aws_sdk_kms::Client,
    key_id: &str,
    moto: Option<Moto>,
    run: &RunClock,
) -> crate::Result<SuiteResult> {
    let signer = Signer::kms(client.clone(), key_id).await?;
    // The kid is the key's id or ARN (an RSA entry's `:ALG` is not part of it).
    let kid = opts.kid.clone().unwrap_or_else(|| {
        authorizer::keys::split_kms_entry("--kms-key-id", key_id)
            .map_or(key_id.to_owned(), |(id, _)| id)
    });
    let profile = Profile {
        issuer: opts.issuer.clone(),
        audience: opts.audience.clone(),
        kid,
        max_token_bytes: 8192,
        now: run.now,
    };
    let env = profile.authorizer_env(&signer.public_pem());
    let timings = Timings::of(opts.quick);

    p.stage("minting tokens through KMS (catalog and pools)")?;
    let cases = catalog::build(&signer, &profile).await?;
    let cold_n = timings.cold_trials * (timings.burst_k + 3);
    let mut pool = mint_many(&signer, &profile, cold_n + 1, "load").await?;
    let shared = pool
        .pop()
        .ok_or_else(|| crate::Error::unavailable("no shared token minted"))?;
    let tokens = Tokens {
        cases,
        cold: pool,
        shared,
    };

    let mut gateway: Option<Gateway> = None;
    let result = async {
        let key = RunSigning {
            client,
            key_id,
            signer: &signer,
            env: &env,
        };
        let target = open_target(opts, p, moto.as_ref(), &key, &mut gateway).await?;
        p.stage("security check (catalog through the gateway)")?;
        let fresh = Fresh {
            signer: &signer,
            profile: &profile,
        };
        // Paced below the stage's rate, when it is known.
        let security = until_stopped(check::run(
            &Target::Url(target.main.url.clone()),
            &tokens.cases,
            &[],
            &fresh,
            check::CheckOptions {
                pace: target.throttle.map(|(rate, _)| target.below(rate)),
                ..check::CheckOptions::default()
            },
        ))
        .await?;
        let (scen, skipped) = measure(opts, p, &target, &tokens, timings).await?;
        p.stage("writing the report")?;
        Ok::<_, crate::Error>((scen, skipped, security, target.target))
    }
    .await;
    if let Some(g) = gateway {
        g.stop().await;
    }
    drop(moto);
    let (scen, skipped, security, target) = result?;
    Ok(summarize(opts, run, target, security, scen, &skipped))
}

/// The URL to measure and what is known of the deployment behind it: the
/// given target, or (a local run) the module's resources created in moto
/// and the emulator serving them as their data plane. From here on a local
/// run is measured exactly as a deployment reached by URL and outputs.
async fn open_target(
    opts: &SuiteOptions,
    p: &Progress,
    moto: Option<&Moto>,
    key: &RunSigning<'_>,
    gateway: &mut Option<Gateway>,
) -> crate::Result<Measured> {
    let mut settings: BTreeMap<String, String> = BTreeMap::new();
    let (url, deployment, kind) = match (&opts.target, moto) {
        (Some(url), _) => (
            url.clone(),
            opts.deployment.clone(),
            if opts.deployment.is_some() {
                "deployment"
            } else {
                "url"
            },
        ),
        (None, Some(m)) => {
            p.stage("creating the deployment in moto with the AWS SDK (function, log group, HTTP API, authorizer, stage)")?;
            let dep = local_stack(opts, m, key.client, key.key_id, key.signer, key.env).await?;
            p.stage("starting the emulator as its data plane (gateway --api-id; the real authorizer binary)")?;
            let gw = Gateway::start(GatewayConfig {
                authorizer: opts.authorizer.clone(),
                control_plane_api: dep.api_id.clone(),
                endpoint_url: Some(m.endpoint().to_owned()),
                ..GatewayConfig::default()
            })
            .await?;
            let url = format!("{}/hello", gw.base_url());
            settings.insert(
                "control plane".into(),
                format!(
                    "moto at {}: KMS key, Lambda function, log group, HTTP API, authorizer and stage created with the AWS SDK (what terraform/ creates)",
                    m.endpoint()
                ),
            );
            settings.insert(
                "data plane".into(),
                format!(
                    "emulator serving API {} (gateway --api-id), running {}",
                    dep.api_id.as_deref().unwrap_or("?"),
                    opts.authorizer.display()
                ),
            );
            *gateway = Some(gw);
            (url, Some(dep), "local deployment")
        }
        (None, None) => unreachable!("a local run always starts moto"),
    };
    // What decides verdicts is read from the deployment itself.
    let deployed = match &deployment {
        Some(dep) => {
            p.stage(if dep.rest_api_id.is_some() {
                "reading the deployed settings (API Gateway v1 GetStage, GetAuthorizer)"
            } else {
                "reading the deployed settings (API Gateway v2 GetStage, GetAuthorizer)"
            })?;
            crate::deployed::read_settings(dep).await?
        }
        None => crate::deployed::DeployedSettings::default(),
    };
    let throttle = opts.target_throttle.or(deployed.throttle);
    settings.extend(deployed.notes.iter().cloned());
    if let (Some(t), None) = (opts.target_throttle, deployed.throttle) {
        settings.insert(
            "stage throttling".into(),
            format!("{} rps / burst {} (--rate, --burst)", t.0, t.1),
        );
    }
    Ok(Measured {
        main: Endpoint {
            url: url.clone(),
            live: None,
        },
        deployment,
        deployed,
        throttle,
        target: TargetInfo {
            kind: kind.into(),
            endpoint: url,
            settings,
        },
    })
}

type Scenarios = BTreeMap<String, Scenario>;
type Skipped = BTreeMap<&'static str, String>;

const NEEDS_DEPLOYMENT: &str =
    "needs the function name and log group: pass --deployment (terraform output -json)";

/// Cold start, caching, throttling and mixed traffic, each measured or
/// skipped with its reason.
async fn measure(
    opts: &SuiteOptions,
    p: &Progress,
    t: &Measured,
    tokens: &Tokens,
    timings: Timings,
) -> crate::Result<(Scenarios, Skipped)> {
    let mut scen = Scenarios::new();
    let mut skipped = Skipped::new();
    let group = t.deployment.as_ref().and_then(|d| d.log_group_name.clone());
    let function = t.deployment.as_ref().and_then(|d| d.function_name.clone());
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
            let s = scenarios::cold_start::measure(
                &t.main.url,
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
            let timing = scenarios::caching::Timing {
                rate: t.below(timings.cache.rate),
                ..timings.cache
            };
            let s = scenarios::control_plane::until_stopped(scenarios::caching::measure(
                &t.main.url,
                &tokens.shared,
                group,
                t.deployed.ttl_seconds,
                timing,
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
            let (ep, bar) = live_endpoint(opts, &t.main, planned, "throttling");
            let result = until_stopped(async {
                Ok(scenarios::throttling(
                    &ep,
                    &tokens.shared,
                    rate,
                    burst,
                    timings.multipliers,
                    timings.thr_secs,
                )
                .await?)
            })
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
    opts: &SuiteOptions,
    t: &Measured,
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
    let rate = t.below(timings.mixed_rate);
    let (ep, bar) = live_endpoint(opts, &t.main, rate * timings.mixed_secs as f64, "mixed");
    let result = scenarios::mixed(&ep, &mixed_cases, &weights, rate, timings.mixed_secs).await;
    if let Some(b) = bar {
        b.finish().await;
    }
    Ok(result?)
}

/// The run's verdicts and summary.
fn summarize(
    opts: &SuiteOptions,
    run: &RunClock,
    target: TargetInfo,
    security: SecurityReport,
    scen: Scenarios,
    skipped: &Skipped,
) -> SuiteResult {
    let security_status = if !security.totals.holds() {
        Status::Fail
    } else if security.totals.passed == 0 {
        Status::Skip
    } else {
        Status::Pass
    };
    let mut verdicts = vec![Verdict::new(
        "security",
        security_status,
        format!("{} of {}", security.totals.summary(), security.cases.len()),
    )];
    for name in ["cold_start", "caching", "throttling", "mixed"] {
        verdicts.push(verdict(
            name,
            scen.get(name),
            skipped.get(name).map_or("", String::as_str),
        ));
    }
    let summary = Summary {
        schema_version: SCHEMA_VERSION,
        run: RunInfo {
            id: run.id.clone(),
            started: run.started_at.clone(),
            duration_s: run.started.elapsed().as_secs_f64(),
            git_revision: git_revision(&opts.root),
            machine: Machine {
                cpus: std::thread::available_parallelism().map_or(1, usize::from),
                load_before: run.load_before,
                load_after: load_average(),
                os: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
            },
        },
        target: TargetInfo {
            settings: emulator::cwlogs::with_losses(target.settings),
            ..target
        },
        security: Some(security),
        scenarios: scen,
        bench: read_bench(&opts.root),
        load: None,
        verdicts,
    };
    SuiteResult {
        dir: opts
            .out
            .clone()
            .unwrap_or_else(|| reports::run_dir(std::path::Path::new("."), &run.id)),
        summary,
    }
}

/// `ep` with a progress bar over `planned` requests, when the run shows one.
fn live_endpoint(
    opts: &SuiteOptions,
    ep: &Endpoint,
    planned: f64,
    what: &str,
) -> (Endpoint, Option<crate::progress::LoadBar>) {
    if !opts.progress {
        return (ep.clone(), None);
    }
    let live = std::sync::Arc::new(scenarios::engine::Live::default());
    let bar = crate::progress::LoadBar::start(std::sync::Arc::clone(&live), planned as u64, what);
    (
        Endpoint {
            url: ep.url.clone(),
            live: Some(live),
        },
        Some(bar),
    )
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

/// The verdict table for the console.
pub fn render_verdicts(s: &Summary) -> String {
    let mut out = format!("{:<12} {:<6} detail\n", "check", "result");
    for v in &s.verdicts {
        out.push_str(&format!(
            "{:<12} {:<6} {}\n",
            v.check,
            v.status().label(),
            v.detail
        ));
    }
    out
}
