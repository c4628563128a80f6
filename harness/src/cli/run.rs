//! `harness suite`, and the target flags it shares with `harness load`
//! (the run's options, checked before anything starts).

use super::report::{finish, BaselineArgs};
use crate::{positive, CliError, Outcome};
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub(crate) struct SuiteArgs {
    /// Shorter runs for CI (about 40 s on a 2-core machine).
    #[arg(long)]
    pub(crate) quick: bool,
    /// No progress bar: one line per stage (also when stdout is not a terminal).
    #[arg(long)]
    pub(crate) quiet: bool,
    #[command(flatten)]
    pub(crate) target: TargetArgs,
    /// Write the report here (default: ./reports/out/<UTC timestamp>/ under
    /// the current directory); refused before the run when not writable.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Count a SKIP verdict as a failure (exit 1). Default: SKIP is neither
    /// a pass nor a failure.
    #[arg(long)]
    pub(crate) strict: bool,
    /// With --target: the stage's throttling rate, for the throttling
    /// scenario (with --deployment: read from the stage, GetStage).
    #[arg(long, requires = "burst", allow_negative_numbers = true, value_parser = positive)]
    pub(crate) rate: Option<f64>,
    /// With --target: the stage's throttling burst.
    #[arg(long, requires = "rate", allow_negative_numbers = true, value_parser = positive)]
    pub(crate) burst: Option<f64>,
    #[command(flatten)]
    pub(crate) compare: BaselineArgs,
}

/// Where a run goes: the local stack (default), or a deployment.
#[derive(Args, Debug)]
pub(crate) struct TargetArgs {
    /// Measure a deployed API (the protected route's URL) instead of the local emulator.
    #[arg(long)]
    pub(crate) target: Option<String>,
    /// A deployment described by `terraform output -json` of the module or
    /// the example: URL, key, kids, issuer, audience, API, stage,
    /// authorizer, function and log group (flags override each value; the
    /// stage throttling and the authorizer TTL are then read from AWS).
    #[arg(long, value_name = "FILE")]
    pub(crate) deployment: Option<PathBuf>,
    /// KMS endpoint (default: start moto_server; with --target, the SDK environment).
    #[arg(long, visible_alias = "endpoint-url")]
    pub(crate) kms_endpoint: Option<String>,
    /// Sign with this KMS key (the deployment's). Required with --target or
    /// --kms-endpoint unless --create-kms-key; the local run uses its own moto.
    #[arg(long)]
    pub(crate) kms_key_id: Option<String>,
    /// Create a temporary signing key (and alias) where --kms-endpoint / the
    /// SDK environment points; its deletion is scheduled at the end (Ctrl-C too).
    #[arg(long, conflicts_with = "kms_key_id")]
    pub(crate) create_kms_key: bool,
    /// `iss` of minted tokens (and of the local authorizer); default: the
    /// deployment's, else https://issuer.harness.test.
    #[arg(long)]
    pub(crate) issuer: Option<String>,
    /// `aud` of minted tokens (and of the local authorizer); default: the
    /// deployment's first, else harness-api.
    #[arg(long)]
    pub(crate) audience: Option<String>,
    /// The authorizer binary (default: target/release/authorizer).
    #[arg(long)]
    pub(crate) authorizer: Option<PathBuf>,
    /// The `kid` of minted tokens, one the target binds to the signing key
    /// (default: the key's id, which the Terraform module binds).
    #[arg(long)]
    pub(crate) kid: Option<String>,
    /// The AWS region of every call (default: the deployment's `region`
    /// output, else the SDK environment's AWS_REGION).
    #[arg(long, value_parser = region)]
    pub(crate) region: Option<String>,
    /// The signing key's spec on the local stack (default ES512): ES256,
    /// RS256, RSA_3072:PS256, Ed25519, ML-DSA-65 … A KMS key of that spec in
    /// the run's moto where moto signs as AWS does (EC, RS*), else a local
    /// key (PS*, Ed25519, ML-DSA) whose public key the function trusts.
    #[arg(long, value_parser = spec, conflicts_with_all = ["target", "deployment", "kms_endpoint", "kms_key_id", "create_kms_key"])]
    pub(crate) spec: Option<tokens::keypair::Spec>,
}

/// One `--spec` value.
pub(crate) fn spec(v: &str) -> Result<tokens::keypair::Spec, String> {
    if v.trim() == "all" {
        return Err("one key spec per run (`all` is for check and cases)".into());
    }
    tokens::keypair::Spec::parse(v).map_err(|e| {
        let e = e.to_string();
        e.strip_prefix(&format!("--spec {v:?}: "))
            .unwrap_or(&e)
            .to_owned()
    })
}

/// A `--region` value that is not shaped like an AWS region.
#[derive(Debug, thiserror::Error)]
#[error("expected an AWS region such as us-east-1, got {0:?}")]
pub(crate) struct RegionError(String);

pub(crate) fn region(v: &str) -> Result<String, RegionError> {
    let parts: Vec<&str> = v.split('-').collect();
    let shaped = parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()));
    if shaped {
        Ok(v.to_owned())
    } else {
        Err(RegionError(v.to_owned()))
    }
}

/// Refuses an `--out` (or the default `./reports/out`) that cannot take a
/// report, before anything starts: the folder is created and a probe file
/// written and removed.
pub(crate) fn check_out(out: Option<&std::path::Path>) -> Result<(), CliError> {
    let (flag, dir) = match out {
        Some(d) => ("--out", d.to_path_buf()),
        None => ("the default --out", PathBuf::from("reports/out")),
    };
    match reports::cannot_take_a_report(&dir) {
        None => Ok(()),
        Some(why) => Err(CliError::usage(format!(
            "{flag} {}: cannot write a report there ({why})",
            dir.display()
        ))),
    }
}

/// The suite's options from the target flags (a deployment file's values
/// where a flag is not given).
pub(crate) fn run_options(
    t: TargetArgs,
    out: Option<PathBuf>,
    throttle: Option<(f64, f64)>,
) -> Result<harness::run::RunOptions, CliError> {
    let deployment = t
        .deployment
        .as_deref()
        .map(harness::deployment::Deployment::read)
        .transpose()?;
    let dep = deployment.clone().unwrap_or_default();
    if let Some(r) = t.region.as_deref().or(dep.region.as_deref()) {
        emulator::sdk::set_region(r);
    }
    let target = t.target.or(dep.api_endpoint.clone());
    let authorizer = match (&t.authorizer, &target) {
        (Some(p), _) => p.clone(),
        (None, Some(_)) => PathBuf::new(),
        (None, None) => harness::binary::authorizer_binary(true)?,
    };
    Ok(harness::run::RunOptions {
        target,
        kms_endpoint: t.kms_endpoint,
        kms_key_id: t.kms_key_id.or(dep.kms_key.clone()),
        kid: t.kid,
        create_kms_key: t.create_kms_key,
        out,
        issuer: t
            .issuer
            .or(dep.issuer.clone())
            .unwrap_or_else(|| "https://issuer.harness.test".into()),
        audience: t
            .audience
            .or(dep.audience.first().cloned())
            .unwrap_or_else(|| "harness-api".into()),
        target_throttle: throttle,
        authorizer,
        root: harness::binary::workspace_root(),
        deployment,
        progress: false,
        spec: t.spec,
    })
}

/// Whether stdout and stderr are both a terminal (else: plain lines).
pub(crate) fn terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() && std::io::stderr().is_terminal()
}

pub(crate) async fn suite(a: SuiteArgs) -> Outcome {
    super::signals::install()?;
    let baseline = a.compare.load()?;
    check_out(a.out.as_deref())?;
    let mut opts = run_options(a.target, a.out, a.rate.zip(a.burst))?;
    opts.progress = !a.quiet && terminal();
    let result = harness::suite::run(&opts, a.quick).await;
    if let Some(stopped) = super::signals::stopped() {
        return Err(stopped);
    }
    let r = result?;
    finish(&r, &a.compare, baseline.as_ref(), a.strict)
}
