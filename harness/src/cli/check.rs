//! `harness check`: the catalog against lib, the binary over the Runtime API, or a URL.

use super::tokens::*;
use crate::{positive, CliError, Outcome};
use clap::Args;
use harness::check::Target;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub(crate) struct CheckArgs {
    /// lib, lambda:PATH, or an API Gateway URL (http/https); with
    /// --deployment, default: its api_endpoint.
    #[arg(long, required_unless_present = "deployment")]
    pub(crate) target: Option<String>,
    /// A deployment described by `terraform output -json` of the module or
    /// the example: URL, signing key, kid, issuer, audience and region
    /// (each flag overrides its value).
    #[arg(long, value_name = "FILE")]
    pub(crate) deployment: Option<PathBuf>,
    /// The AWS region of the KMS calls (default: the deployment's `region`
    /// output, else AWS_REGION).
    #[arg(long, value_parser = super::run::region)]
    pub(crate) region: Option<String>,
    #[command(flatten)]
    pub(crate) signer: SignerArgs,
    /// Write the results as JSON.
    #[arg(long)]
    pub(crate) json: Option<PathBuf>,
    /// Write the results as JUnit XML.
    #[arg(long)]
    pub(crate) junit: Option<PathBuf>,
    /// Configure local targets (lib, lambda:) from this KEY=VALUE file, e.g.
    /// a deployment's `authorizer_environment` output, instead of from the
    /// signer's public key. Passed to a foreign binary unchanged (its own
    /// variable names).
    #[arg(long)]
    pub(crate) authorizer_env_file: Option<PathBuf>,
    /// What to compare: reasons when the target reports any (auto), decisions only, or reasons (an error against a target that reports none).
    #[arg(long, value_enum, default_value_t = harness::check::Compare::Auto)]
    pub(crate) compare: harness::check::Compare,
    /// Which cases: every one (full), or skip those whose expectation is this project's choice rather than an RFC requirement (rfc).
    #[arg(long, value_enum, default_value_t = harness::check::CatalogProfile::Full)]
    pub(crate) profile: harness::check::CatalogProfile,
    /// Against a URL: send at most this many cases per second (e.g. below
    /// the stage's throttling rate); default one at a time, unpaced. A 429 is
    /// retried with back-off either way and never counted as a decision.
    #[arg(long, allow_negative_numbers = true, value_parser = positive)]
    pub(crate) rate: Option<f64>,
}

pub(crate) const CHECK_EXAMPLES: &str = "Examples:
  # An authorizer this project did not write, over the Lambda Runtime API:
  harness keys new --out keys
  printf 'ISSUER=https://issuer.harness.test\\nAUDIENCE=harness-api\\nPUBLIC_KEY_PEM=\"%s\"\\n' \\
    \"$(awk 'BEGIN{ORS=\"\\\\n\"} 1' keys/public.pem)\" > foreign.env
  harness check --target lambda:./their-authorizer --key keys/private.pem \\
    --authorizer-env-file foreign.env --profile rfc --junit check.xml

  # A deployed API described by its Terraform outputs (decisions only: API
  # Gateway hides reasons); URL, key, kid, issuer, audience and region:
  terraform -chdir=terraform/examples/complete output -json > outputs.json
  harness check --deployment outputs.json --rate 20 --junit check.xml

  # The same without the outputs (the kid defaults to the key's id):
  harness check --target https://abc123.execute-api.us-east-1.amazonaws.com/hello \\
    --kms-key-id alias/jwt-authorizer --iss https://issuer.example --aud api --region us-east-1";

/// Fills what `--deployment` describes into the flags the user left unset.
fn with_deployment(mut args: CheckArgs) -> Result<CheckArgs, CliError> {
    if let Some(file) = &args.deployment {
        let dep = harness::deployment::Deployment::read(file)?;
        args.target = args.target.or(dep.api_endpoint);
        let s = &mut args.signer;
        if s.key.is_none() && s.spec.is_none() {
            s.kms_key_id = s.kms_key_id.take().or(dep.kms_key);
        }
        s.issuer = s.issuer.take().or(dep.issuer);
        s.audience = s.audience.take().or(dep.audience.into_iter().next());
        args.region = args.region.or(dep.region);
    }
    if let Some(r) = &args.region {
        emulator::sdk::set_region(r);
    }
    Ok(args)
}

pub(crate) async fn check(args: CheckArgs) -> Outcome {
    let args = with_deployment(args)?;
    let target: Target = args.target.as_deref().unwrap_or_default().parse()?;
    let specs = specs(&args.signer)?;
    if specs.len() > 1 {
        if args.signer.key.is_some() {
            return Err(CliError::usage(
                "--spec with several specs mints a fresh key for each; drop --key",
            ));
        }
        if args.authorizer_env_file.is_some() {
            return Err(CliError::usage("--spec with several specs configures the authorizer for each key; drop --authorizer-env-file"));
        }
        if matches!(target, Target::Url(_)) {
            return Err(CliError::usage("--spec with several specs needs a local target (lib, lambda:PATH): a deployed API trusts only its own key"));
        }
    }
    let profile = profile(&args.signer);
    let options = harness::check::CheckOptions {
        compare: args.compare,
        profile: args.profile,
        pace: args.rate,
    };
    let mut done = Vec::new();
    for spec in &specs {
        let signer = match args.signer.kms_key_id {
            Some(_) => signer(&args.signer).await?,
            None => signer_of(&args.signer, *spec).await?,
        };
        let cases = ::tokens::catalog::build(&signer, &profile).await?;
        let env = match &args.authorizer_env_file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
                emulator::config::parse_env_file(&text)
                    .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?
            }
            None => {
                let mut env = profile.authorizer_env(&signer.public_pem());
                env.extend(signer.pem_alg_env());
                env
            }
        };
        let fresh = harness::check::Fresh {
            signer: &signer,
            profile: &profile,
        };
        let report = harness::check::run(&target, &cases, &env, &fresh, options)
            .await
            .map_err(CliError::usage)?;
        if specs.len() > 1 {
            println!("== key {} ({} cases)", spec.label(), cases.len());
        }
        super::print_out(harness::check::render(&report))?;
        done.push((spec.label(), report));
    }
    let report = if done.len() == 1 {
        done.remove(0).1
    } else {
        println!();
        for (label, r) in &done {
            println!("key {label:<18} {}", r.totals.summary());
        }
        let first = &done[0].1;
        let (target, reasons, comparison, profile) = (
            first.target.clone(),
            done.iter().all(|(_, r)| r.reasons_compared),
            first.comparison.clone(),
            first.profile.clone(),
        );
        let rows = done.into_iter().flat_map(|(_, r)| r.cases).collect();
        let all = reports::security::SecurityReport::new(target, reasons, rows)
            .with_comparison(comparison)
            .with_profile(profile);
        println!("all {} key specs: {}", specs.len(), all.totals.summary());
        all
    };
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report).map_err(CliError::usage)?;
        reports::write_atomic(path, text.as_bytes())
            .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
    }
    if let Some(path) = &args.junit {
        reports::write_atomic(path, reports::junit::security(&report).as_bytes())
            .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
    }
    if report.totals.errors > 0 && report.totals.failed == 0 {
        let first = report
            .cases
            .iter()
            .find(|c| c.outcome() == reports::security::CaseOutcome::NoDecision)
            .map_or(String::new(), |c| {
                format!("{}: {}", c.id, c.note.as_deref().unwrap_or(""))
            });
        return Err(CliError::failed(format!(
            "{} case(s) got no decision — errors, not mismatches (first: {first})",
            report.totals.errors
        )));
    }
    if report.totals.failed > 0 {
        let first = report
            .cases
            .iter()
            .find(|c| c.outcome() == reports::security::CaseOutcome::Failed)
            .map_or("", |c| c.id.as_str());
        return Err(CliError::failed(format!(
            "{} case(s) did not match (first: {first})",
            report.totals.failed
        )));
    }
    Ok(ExitCode::SUCCESS)
}
