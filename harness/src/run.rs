//! One run, as `harness suite` and `harness load` both open it: the local
//! control plane (a moto of the run's own, every SDK call routed to it),
//! the signing key (given, or created and scheduled for deletion), the
//! signer and the token profile, and the [`Target`]: the URL measured and
//! what is known of the deployment behind it, read from AWS itself. A local
//! run creates the module's resources in its moto and serves them with the
//! emulator, and from there on it is measured exactly as a deployment
//! reached by URL and outputs.
//!
//! [`with_run`] opens a run, hands it to the job and closes it whatever the
//! job returns (the emulator stopped, moto stopped, a created key scheduled
//! for deletion); [`Run::result`] writes the run's metadata around what
//! the job found.

use crate::deployed::{self, DeployedSettings};
use crate::deployment::Deployment;
use crate::moto::Moto;
use crate::progress::Stages;
use emulator::config::GatewayConfig;
use emulator::gateway::Gateway;
use reports::load::LoadReport;
use reports::model::{
    Machine, RunInfo, Scenario, Summary, TargetInfo, TargetKind, Verdict, SCHEMA_VERSION,
};
use reports::security::SecurityReport;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use tokens::catalog::Profile;
use tokens::keypair::Spec;
use tokens::signer::Signer;

/// Where a run goes and how it signs: the target flags of `suite` and
/// `load`.
#[derive(Debug, Clone)]
pub struct RunOptions {
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
    pub deployment: Option<Deployment>,
    /// A progress bar during the loaded stages (a terminal, no `--quiet`).
    pub progress: bool,
    /// The signing key's spec (local runs; default ES512 on P-521): a key
    /// of that spec in the run's moto where moto signs as AWS does (EC,
    /// RS*), else a local key (PS*, Ed25519, ML-DSA), whose public key the
    /// function trusts.
    pub spec: Option<Spec>,
}

/// What a run produced.
#[derive(Debug)]
pub struct RunResult {
    /// The model.
    pub summary: Summary,
    /// The report folder.
    pub dir: PathBuf,
}

/// What differs between the jobs that open a run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Job {
    /// `suite` or `load`: the temporary key's alias carries it.
    pub(crate) name: &'static str,
    /// The local stack's name (function, role, API).
    pub(crate) stack: &'static str,
    /// The local stack's stage limits: rate (req/s) and burst.
    pub(crate) stage: (f64, i32),
}

/// The measured URL and what is known of the deployment behind it.
#[derive(Debug)]
pub(crate) struct Target {
    /// The protected route's URL.
    pub(crate) url: String,
    pub(crate) kind: TargetKind,
    /// The report's target settings (what was read, and from where).
    pub(crate) settings: BTreeMap<String, String>,
    pub(crate) deployment: Option<Deployment>,
    pub(crate) deployed: DeployedSettings,
    /// The stage's limits: read from the deployment, or `--rate/--burst`.
    pub(crate) throttle: Option<(f64, f64)>,
}

impl Target {
    /// The function's log group, when the deployment names it.
    pub(crate) fn log_group(&self) -> Option<&str> {
        self.deployment.as_ref()?.log_group_name.as_deref()
    }

    /// The authorizer function, when the deployment names it.
    pub(crate) fn function(&self) -> Option<&str> {
        self.deployment.as_ref()?.function_name.as_deref()
    }
}

/// An open run: what a job measures with.
#[derive(Debug)]
pub(crate) struct Run {
    /// The stage lines.
    pub(crate) stages: Stages,
    /// The run id (UTC timestamp).
    pub(crate) id: String,
    started_at: String,
    load_before: [f64; 3],
    /// Signs genuine tokens, in the key's one algorithm.
    pub(crate) signer: Arc<Signer>,
    /// `iss`, `aud`, `kid` and the run's `now` of every minted token.
    pub(crate) profile: Profile,
    pub(crate) target: Target,
}

/// What a job found, for [`Run::result`].
#[derive(Debug, Default)]
pub(crate) struct Findings {
    pub(crate) security: Option<SecurityReport>,
    pub(crate) scenarios: BTreeMap<String, Scenario>,
    pub(crate) bench: BTreeMap<String, f64>,
    pub(crate) load: Option<LoadReport>,
    pub(crate) verdicts: Vec<Verdict>,
}

/// Opens a run for `job`, runs `work` on it, and closes it whatever `work`
/// returns.
///
/// # Errors
/// What opening the run or `work` failed with; everything started is
/// stopped, and a created key scheduled for deletion, first.
pub(crate) async fn with_run<T>(
    opts: &RunOptions,
    job: Job,
    work: impl AsyncFnOnce(&Run) -> crate::Result<T>,
) -> crate::Result<(Run, T)> {
    let stages = Stages::new();
    let load_before = load_average();
    let now = authorizer::UnixTime::now().0 as i64;
    let (id, started_at) = emulator::civil_time::utc_stamp(now);
    let alias = format!("alias/harness-{}-{id}", job.name);
    let mut held = Held::open(opts, &stages, &alias).await?;
    let outcome = async {
        let signer = Arc::new(match (&held.key_id, opts.spec) {
            (Some(key_id), _) => Signer::kms(held.kms.clone(), key_id).await?,
            (None, spec) => Signer::generate(spec.unwrap_or(Spec::DEFAULT))?,
        });
        // The kid is the key's id or ARN (an RSA entry's `:ALG` is not part
        // of it); a local key's is its RFC 7638 thumbprint.
        let kid = match (&opts.kid, &held.key_id) {
            (Some(kid), _) => kid.clone(),
            (None, Some(key_id)) => authorizer::keys::split_kms_entry("--kms-key-id", key_id)
                .map_or(key_id.clone(), |(id, _)| id),
            (None, None) => authorizer::PublicKey::from_spki_der_as(
                authorizer::Backend::AwsLc,
                &signer.spki_der(),
                Some(signer.algorithm()),
            )
            .map_err(|e| crate::Error::invalid(format!("--spec: the local key: {e}")))?
            .thumbprint(),
        };
        let profile = Profile {
            issuer: opts.issuer.clone(),
            audience: opts.audience.clone(),
            kid,
            max_token_bytes: 8192,
            now,
        };
        let target = held
            .open_target(opts, job, &stages, &signer, &profile)
            .await?;
        let run = Run {
            stages,
            id,
            started_at,
            load_before,
            signer,
            profile,
            target,
        };
        let found = work(&run).await?;
        Ok((run, found))
    }
    .await;
    held.close(job.name).await;
    outcome
}

impl Run {
    /// The summary of this run with `found`, and its report folder.
    pub(crate) fn result(&self, opts: &RunOptions, found: Findings) -> RunResult {
        let t = &self.target;
        let info = run_info(
            &self.id,
            &self.started_at,
            self.stages.elapsed_s(),
            self.load_before,
            &opts.root,
        );
        let target = TargetInfo {
            kind: t.kind,
            endpoint: t.url.clone(),
            settings: emulator::cwlogs::with_losses(t.settings.clone()),
        };
        RunResult {
            dir: opts
                .out
                .clone()
                .unwrap_or_else(|| reports::run_dir(std::path::Path::new("."), &self.id)),
            summary: summary_of(info, target, found),
        }
    }

    /// `n` valid tokens of the run's key, up to 8 signing calls at a time;
    /// distinct `sub`s (`TAG-i`), so each is its own cache entry.
    ///
    /// # Errors
    /// A signing call that failed.
    pub(crate) async fn mint_valid(&self, n: usize, tag: &str) -> crate::Result<Vec<String>> {
        use base64::Engine;
        let header = format!(
            r#"{{"alg":"{}","typ":"JWT"}}"#,
            self.signer.algorithm().name()
        );
        let p = &self.profile;
        let mut out: Vec<Option<String>> = vec![None; n];
        let mut set = tokio::task::JoinSet::new();
        let mut next = 0usize;
        loop {
            while set.len() < 8 && next < n {
                let claims = serde_json::json!({"iss": p.issuer, "aud": p.audience, "sub": format!("{tag}-{next}"), "iat": p.now, "exp": p.now + 3600});
                let input = tokens::jws::signing_input(&header, &claims.to_string());
                let signer = Arc::clone(&self.signer);
                let i = next;
                set.spawn(async move {
                    let sig = signer.sign(input.as_bytes()).await?;
                    Ok::<_, crate::Error>((
                        i,
                        format!(
                            "{input}.{}",
                            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sig)
                        ),
                    ))
                });
                next += 1;
            }
            match set.join_next().await {
                Some(r) => {
                    let (i, t) = r.map_err(|e| crate::Error::from(e).context("minting"))??;
                    out[i] = Some(t);
                }
                None => break,
            }
        }
        Ok(out.into_iter().flatten().collect())
    }
}

/// What a run started or created, undone by [`Held::close`]: the local
/// run's moto (the control plane of the local deployment, KMS too unless an
/// endpoint is given), the key, and the emulator serving a local
/// deployment. Nothing is created in the user's account without
/// `--create-kms-key`: only the run's own moto gets a key unasked.
struct Held {
    moto: Option<Moto>,
    kms: aws_sdk_kms::Client,
    /// The key's id, ARN or alias (with `:ALG` for RSA); `None` for a
    /// local run signing with a local key (`--spec` of a spec moto lacks).
    key_id: Option<String>,
    /// A key created in the user's KMS, scheduled for deletion at close.
    created: Option<tokens::kms::KmsKey>,
    gateway: Option<Gateway>,
}

impl Held {
    /// Starts moto for a local run and finds or creates the key.
    async fn open(opts: &RunOptions, stages: &Stages, alias: &str) -> crate::Result<Self> {
        let moto = match &opts.target {
            None => {
                stages.stage("starting moto_server (the local control plane)")?;
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
        let kms = crate::stack::kms_client(endpoint.as_deref()).await;
        let users_kms = opts.kms_endpoint.is_some() || moto.is_none();
        let spec = opts.spec.unwrap_or(Spec::DEFAULT);
        let (key_id, created) = match &opts.kms_key_id {
            Some(k) => (Some(k.clone()), None),
            // What moto's KMS cannot sign as AWS does: a local key.
            None if !users_kms && local_because(spec).is_some() => (None, None),
            None if users_kms && !opts.create_kms_key => {
                return Err(crate::Error::invalid(
                    "no signing key: pass --kms-key-id (the deployment's key, e.g. `terraform output -raw kms_key_id`), \
                     or --create-kms-key to create a temporary one (scheduled for deletion at the end)",
                ))
            }
            None => {
                let key_spec = spec.kms_key_spec();
                stages.stage(&format!(
                    "creating an {} signing key ({alias})",
                    key_spec.as_str()
                ))?;
                let key = tokens::kms::create_key_spec(&kms, key_spec, Some(alias)).await?;
                let entry = if spec.alg.is_rsa() {
                    format!("{}:{}", key.key_id, spec.alg)
                } else {
                    key.key_id.clone()
                };
                (Some(entry), users_kms.then_some(key))
            }
        };
        Ok(Self {
            moto,
            kms,
            key_id,
            created,
            gateway: None,
        })
    }

    /// The target: the given URL, or (a local run) the module's resources
    /// created in moto and the emulator serving them; then what decides
    /// verdicts, read from the deployment itself.
    async fn open_target(
        &mut self,
        opts: &RunOptions,
        job: Job,
        stages: &Stages,
        signer: &Signer,
        profile: &Profile,
    ) -> crate::Result<Target> {
        let mut settings = BTreeMap::new();
        let (url, deployment, kind) = match (&opts.target, &self.moto) {
            (Some(url), _) => match &opts.deployment {
                Some(dep) => (url.clone(), Some(dep.clone()), TargetKind::Deployment),
                None => (url.clone(), None, TargetKind::Url),
            },
            (None, Some(m)) => {
                stages.stage("creating the deployment in moto with the AWS SDK (function, log group, HTTP API, authorizer, stage)")?;
                let env = profile.authorizer_env(&signer.public_pem());
                let stack = crate::stack::LocalStack {
                    name: job.stack.to_owned(),
                    authorizer: opts.authorizer.clone(),
                    issuer: opts.issuer.clone(),
                    audience: opts.audience.clone(),
                    ttl_seconds: 300,
                    rate: job.stage.0,
                    burst: job.stage.1,
                };
                let dep = stack
                    .create(m, &self.kms, self.key_id.as_deref(), signer, &env)
                    .await?;
                stages.stage("starting the emulator as its data plane (gateway --api-id; the real authorizer binary)")?;
                let mut cfg = GatewayConfig {
                    authorizer: opts.authorizer.clone(),
                    control_plane_api: dep.api_id.clone(),
                    endpoint_url: Some(m.endpoint().to_owned()),
                    ..GatewayConfig::default()
                };
                // As `harness gateway --api-id`: the API read from the
                // control plane, then served and followed.
                let registered = emulator::gateway::resolve(&mut cfg).await?;
                let gw = Gateway::start_resolved(cfg, registered).await?;
                let url = format!("{}/hello", gw.base_url());
                self.gateway = Some(gw);
                settings.insert(
                    "control plane".into(),
                    format!(
                        "moto at {}: {}Lambda function, log group, HTTP API, authorizer and stage created with the AWS SDK (what terraform/ creates)",
                        m.endpoint(),
                        if self.key_id.is_some() { "KMS key, " } else { "" }
                    ),
                );
                if self.key_id.is_none() {
                    let spec = opts.spec.unwrap_or(Spec::DEFAULT);
                    settings.insert(
                        "signing key".into(),
                        format!(
                            "a local {} key (--spec; {}): the function trusts its public key (PEM)",
                            spec.label(),
                            local_because(spec).unwrap_or("asked")
                        ),
                    );
                }
                settings.insert(
                    "data plane".into(),
                    format!(
                        "emulator serving API {} (gateway --api-id), running {}",
                        dep.api_id.as_deref().unwrap_or("?"),
                        opts.authorizer.display()
                    ),
                );
                (url, Some(dep), TargetKind::LocalDeployment)
            }
            (None, None) => unreachable!("a local run always starts moto"),
        };
        // What decides verdicts is read from the deployment itself.
        let deployed = match &deployment {
            Some(dep) => {
                stages.stage(if dep.rest_api_id.is_some() {
                    "reading the deployed settings (API Gateway v1 GetStage, GetAuthorizer)"
                } else {
                    "reading the deployed settings (API Gateway v2 GetStage, GetAuthorizer)"
                })?;
                deployed::read_settings(dep).await?
            }
            None => DeployedSettings::default(),
        };
        let throttle = opts.target_throttle.or(deployed.throttle);
        settings.extend(deployed.notes.iter().cloned());
        if let (Some(t), None) = (opts.target_throttle, deployed.throttle) {
            settings.insert(
                "stage throttling".into(),
                format!("{} rps / burst {} (--rate, --burst)", t.0, t.1),
            );
        }
        Ok(Target {
            url,
            kind,
            settings,
            deployment,
            deployed,
            throttle,
        })
    }

    /// Stops the emulator and moto, and schedules deletion (7 days) of a key
    /// created in the user's KMS; `job` names the run on the console.
    async fn close(self, job: &str) {
        if let Some(g) = self.gateway {
            g.stop().await;
        }
        drop(self.moto);
        let Some(key) = &self.created else { return };
        match tokens::kms::schedule_deletion(&self.kms, key).await {
            Ok(()) => eprintln!(
                "scheduled deletion of the {job} run's KMS key {} ({}) in 7 days",
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

/// Why a local run signs `spec`'s tokens with a local key rather than its
/// moto's KMS: moto has no Ed25519 or ML-DSA keys, and its RSASSA-PSS
/// signatures use the largest salt, not the hash's length that JWS PS*
/// requires (RFC 7518 §3.5). `None`: moto's KMS signs it as AWS does.
fn local_because(spec: Spec) -> Option<&'static str> {
    match spec.alg {
        a if a.curve().is_some() => None,
        a if a.is_rsa() && a.name().starts_with("RS") => None,
        a if a.is_rsa() => {
            Some("moto's RSASSA_PSS signatures use another salt length than JWS PS*")
        }
        _ => Some("moto has no such KMS key spec"),
    }
}

/// Every SDK call of a local run goes to `m`, never elsewhere (KMS too,
/// unless `AWS_ENDPOINT_URL_KMS` names another endpoint).
fn route_sdk_to(m: &Moto) {
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

/// A run's metadata: its id and start, how long it took, the machine
/// (load averages before and now) and the checkout's revision.
pub(crate) fn run_info(
    id: &str,
    started: &str,
    duration_s: f64,
    load_before: [f64; 3],
    root: &std::path::Path,
) -> RunInfo {
    RunInfo {
        id: id.to_owned(),
        started: started.to_owned(),
        duration_s,
        git_revision: git_revision(root),
        machine: Machine {
            cpus: std::thread::available_parallelism().map_or(1, usize::from),
            load_before,
            load_after: load_average(),
            os: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
        },
    }
}

/// The summary of a run: its metadata, its target and what it found.
pub(crate) fn summary_of(run: RunInfo, target: TargetInfo, found: Findings) -> Summary {
    Summary {
        schema_version: SCHEMA_VERSION,
        run,
        target,
        security: found.security,
        scenarios: found.scenarios,
        bench: found.bench,
        load: found.load,
        verdicts: found.verdicts,
    }
}

/// The machine's load averages (1, 5, 15 min), zeros where unknown.
pub(crate) fn load_average() -> [f64; 3] {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut it = text.split_whitespace().map(|v| v.parse().unwrap_or(0.0));
    [
        it.next().unwrap_or(0.0),
        it.next().unwrap_or(0.0),
        it.next().unwrap_or(0.0),
    ]
}

/// The checkout's revision, when `root` is one.
fn git_revision(root: &std::path::Path) -> Option<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_runs_sign_through_moto_only_where_it_signs_as_aws_does() {
        for text in [
            "ES512",
            "ES256",
            "ES384",
            "ES256K",
            "RS256",
            "RSA_3072:RS512",
        ] {
            let spec = Spec::parse(text).expect(text);
            assert_eq!(local_because(spec), None, "{text}");
        }
        for text in [
            "PS256",
            "RSA_4096:PS512",
            "Ed25519",
            "ML-DSA-44",
            "ML_DSA_87",
        ] {
            let spec = Spec::parse(text).expect(text);
            assert!(local_because(spec).is_some(), "{text}");
        }
    }
}
