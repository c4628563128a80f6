//! The `harness` CLI.

use clap::{Args, Parser, Subcommand};
use harness::catalog::Profile;
use harness::check::Target;
use harness::signer::Signer;
use serde_json::{json, Map, Value};
use std::path::PathBuf;
use std::process::ExitCode;

mod load_cli;

const LOAD_EXAMPLES: &str = "Examples:
  harness load --rate 300 --duration 60                 hold 300 req/s for a minute (local stack)
  harness load --profile knee --p99-bound-ms 50          step up until p99 > 50 ms or errors
  harness load --profile scaling                         20 -> 400 req/s from cold; cold starts per second
  harness load --plan load.toml --mix valid=80,forged=20 a plan file, one value overridden
  harness load --deployment outputs.json --rate 100     a deployment (terraform output -json)";

#[derive(Parser, Debug)]
#[command(
    name = "harness",
    version,
    about = "Mint, attack and measure the API Gateway JWT authorizer (ES512 by default)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the authorizer binary locally on a few tokens and report init time, latency and memory.
    Demo {
        /// The authorizer binary (default: target/release/authorizer, else target/debug/authorizer).
        #[arg(long)]
        authorizer: Option<PathBuf>,
        /// Extra warm invocations for the latency and memory figures.
        #[arg(long, default_value_t = 1000)]
        invocations: usize,
    },
    /// Create signing keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Mint one signed token (or a pool of distinct tokens with --count).
    Mint(MintArgs),
    /// Print the case catalog as JSON lines.
    Cases(SignerArgs),
    /// Run the catalog against a target and compare decisions.
    #[command(after_help = CHECK_EXAMPLES)]
    Check(CheckArgs),
    /// Serve a local API Gateway HTTP API + Lambda authorizer emulator.
    Gateway(Box<GatewayArgs>),
    /// The main job: security check, cold start, caching, throttling and mixed traffic, with a report.
    Suite(SuiteArgs),
    /// Run one load plan (constant, ramp, steps, spike; or the knee and scaling presets) with a report.
    #[command(after_help = LOAD_EXAMPLES)]
    Load(Box<load_cli::LoadArgs>),
    /// Render report.md and report.html from a summary.json (and compare with a baseline).
    Report {
        /// The summary.json to render.
        summary: PathBuf,
        #[command(flatten)]
        compare: BaselineArgs,
        /// Output folder (default: beside the summary).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Build the Lambda deployment zip (`bootstrap` at the root) from the release binary.
    Package {
        /// The authorizer binary (default: target/release/authorizer).
        #[arg(long)]
        binary: Option<PathBuf>,
        /// Where to write the zip.
        #[arg(long, default_value = "target/lambda/authorizer.zip")]
        out: PathBuf,
    },
}

#[derive(Args, Debug)]
struct SuiteArgs {
    /// Shorter runs (about a minute) for CI.
    #[arg(long)]
    quick: bool,
    /// No progress bar: one line per stage (also when stdout is not a terminal).
    #[arg(long)]
    quiet: bool,
    #[command(flatten)]
    target: TargetArgs,
    /// Write the report here (default: reports/out/<UTC timestamp>/).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Count a SKIP verdict as a failure (exit 1). Default: SKIP is neither
    /// a pass nor a failure.
    #[arg(long)]
    strict: bool,
    /// With --target: the stage's throttling rate, for the throttling
    /// scenario (with --deployment: read from the stage, GetStage).
    #[arg(long, requires = "burst", value_parser = non_negative)]
    rate: Option<f64>,
    /// With --target: the stage's throttling burst.
    #[arg(long, requires = "rate", value_parser = non_negative)]
    burst: Option<f64>,
    #[command(flatten)]
    compare: BaselineArgs,
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
}

#[derive(Args, Debug)]
pub(crate) struct BaselineArgs {
    /// Compare with an earlier summary.json.
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// Relative change that counts as a regression (0.2 = 20 %).
    #[arg(long, default_value_t = 0.2, value_parser = non_negative)]
    threshold: f64,
    /// Exit 1 on a regression against the baseline.
    #[arg(long)]
    fail_on_regression: bool,
}

impl BaselineArgs {
    fn load(&self) -> Result<Option<reports::model::Summary>, (u8, String)> {
        self.baseline.as_ref().map(|p| read_summary(p)).transpose()
    }

    /// Prints each regression; an error when asked to fail on them.
    fn judge(&self, regressions: &[reports::baseline::Regression]) -> Result<(), (u8, String)> {
        for r in regressions {
            println!(
                "regression: {} {} {:.3} -> {:.3} ({:+.1}%)",
                r.scenario,
                r.figure,
                r.before,
                r.after,
                r.change * 100.0
            );
        }
        match &self.baseline {
            Some(b) if self.fail_on_regression && !regressions.is_empty() => Err((
                1,
                format!(
                    "{} regression(s) against {}",
                    regressions.len(),
                    b.display()
                ),
            )),
            _ => Ok(()),
        }
    }
}

fn read_summary(p: &std::path::Path) -> Result<reports::model::Summary, (u8, String)> {
    let text = std::fs::read_to_string(p).map_err(|e| (2, format!("{}: {e}", p.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| (2, format!("{}: not a summary.json ({e})", p.display())))
}

#[derive(Args, Debug)]
struct GatewayArgs {
    /// The authorizer binary (default: target/release/authorizer, else debug).
    #[arg(long)]
    authorizer: Option<PathBuf>,
    /// A TOML file with any of the settings below (flags win).
    #[arg(long)]
    config: Option<PathBuf>,
    /// KEY=VALUE lines for the function's environment.
    #[arg(long)]
    env_file: Option<PathBuf>,
    /// One function environment variable, KEY=VALUE (repeatable).
    #[arg(long = "env")]
    env: Vec<String>,
    /// Listen address.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Stage name ($default serves at /, others at /STAGE/).
    #[arg(long)]
    stage: Option<String>,
    /// Routes, replacing the defaults (`GET /hello`, `ANY /{proxy+}`, `$default`); repeatable.
    #[arg(long = "route")]
    routes: Vec<String>,
    /// Routes served without the authorizer; repeatable.
    #[arg(long = "public-route")]
    public_routes: Vec<String>,
    /// Identity sources (default $request.header.Authorization); repeatable.
    #[arg(long = "identity-source")]
    identity_sources: Vec<String>,
    /// Authorizer result cache TTL, 0-3600 s (0 disables).
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=3600))]
    cache_ttl: Option<u64>,
    /// Stage default throttle rate (requests/s; 0 throttles everything).
    #[arg(long, value_parser = non_negative)]
    rate: Option<f64>,
    /// Stage default throttle burst (0 throttles everything).
    #[arg(long, value_parser = non_negative)]
    burst: Option<f64>,
    /// Per-route throttle, "ROUTE KEY=RATE:BURST" (repeatable).
    #[arg(long = "route-throttle")]
    route_throttles: Vec<String>,
    /// Turn the account-level bucket (10000 rps / 5000 burst) off.
    #[arg(long)]
    no_account_throttle: bool,
    /// Reserved concurrency of the authorizer function.
    #[arg(long)]
    reserved_concurrency: Option<usize>,
    /// Reclaim environments idle this many seconds.
    #[arg(long, value_parser = positive)]
    idle_timeout: Option<f64>,
    /// Authorizer payload: 2.0 (HTTP API REQUEST) or 1.0 (REST-style TOKEN).
    #[arg(long)]
    payload: Option<String>,
    /// Expect IAM-policy responses instead of simple ones (payload 2.0).
    #[arg(long)]
    policy_responses: bool,
    /// Authorizer timeout in ms (HTTP APIs: 10000).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=30_000))]
    timeout_ms: Option<u64>,
    /// Status for an `Unauthorized` function error on payload 2.0 (UNCONFIRMED on AWS).
    #[arg(long, value_parser = clap::value_parser!(u16).range(100..=599))]
    unauthorized_status: Option<u16>,
    /// Forward allowed requests to this URL instead of the built-in echo.
    #[arg(long)]
    upstream: Option<String>,
    /// Do not print REPORT lines.
    #[arg(long)]
    quiet: bool,
    /// Copy the function's own log lines to stderr.
    #[arg(long)]
    function_logs: bool,
    /// Ship each environment's output and a REPORT record per invocation
    /// into this CloudWatch Logs group (it must exist), as Lambda does.
    #[arg(long)]
    log_group: Option<String>,
    /// The CloudWatch Logs endpoint for --log-group (moto); default: the
    /// SDK environment.
    #[arg(long, requires = "log_group")]
    logs_endpoint_url: Option<String>,
    /// Follow this Lambda function's configuration (moto): a change
    /// (UpdateFunctionConfiguration) retires every execution environment.
    #[arg(long)]
    function_name: Option<String>,
    /// The Lambda endpoint for --function-name (moto); default: the SDK
    /// environment.
    #[arg(long, requires = "function_name")]
    lambda_endpoint_url: Option<String>,
    /// Serve this HTTP API as registered in the control plane (moto's, or
    /// AWS's): routes, authorizer (TTL, identity sources, payload) and stage
    /// throttling from API Gateway v2, the authorizer function's environment
    /// and log group from Lambda, followed while serving; logs are shipped
    /// to that group.
    #[arg(
        long,
        conflicts_with_all = [
            "env", "env_file", "routes", "public_routes", "identity_sources", "cache_ttl",
            "rate", "burst", "route_throttles", "payload", "policy_responses",
            "log_group", "function_name",
        ]
    )]
    api_id: Option<String>,
    /// The control plane's endpoint for --api-id (e.g. moto's URL); default:
    /// the SDK environment (AWS_ENDPOINT_URL, or AWS itself).
    #[arg(long, requires = "api_id")]
    endpoint_url: Option<String>,
}

#[derive(Subcommand, Debug)]
enum KeysCommand {
    /// A new signing key (P-521 by default): PKCS#8 private key and SPKI
    /// public PEM, or a KMS key.
    New {
        /// Directory for private.pem and public.pem (local keys).
        #[arg(long, default_value = ".")]
        out: PathBuf,
        /// Key spec: ES512 (default), ES256, ES384, ES256K, RS256…PS512, a KMS
        /// spec (ECC_NIST_P256…) or RSA_2048|3072|4096:ALG.
        #[arg(long, default_value = "ES512", value_parser = one_spec)]
        spec: harness::keypair::Spec,
        /// Create a SIGN_VERIFY key of that spec in KMS (or moto) instead.
        #[arg(long)]
        kms: bool,
        /// Alias for the KMS key, e.g. alias/jwt-signing.
        #[arg(long)]
        alias: Option<String>,
        /// KMS endpoint (moto); default: the SDK environment.
        #[arg(long)]
        endpoint_url: Option<String>,
    },
}

#[derive(Args, Debug, Clone)]
struct SignerArgs {
    /// PKCS#8 PEM private key (from `harness keys new`); default: a fresh key.
    #[arg(long, conflicts_with = "kms_key_id")]
    key: Option<PathBuf>,
    /// Key spec of the local key: ES512 (default), ES256, ES384, ES256K,
    /// RS256…PS512, a KMS spec (ECC_NIST_P256…), RSA_2048|3072|4096:ALG;
    /// `check` and `cases` also take a comma-separated list or `all`.
    #[arg(long, conflicts_with = "kms_key_id")]
    spec: Option<String>,
    /// Sign with this KMS key (id, ARN or alias; an RSA key as ID:ALG, e.g.
    /// alias/jwt-rsa:PS256) instead.
    #[arg(long)]
    kms_key_id: Option<String>,
    /// KMS endpoint (moto); default: the SDK environment.
    #[arg(long)]
    endpoint_url: Option<String>,
    /// The issuer the authorizer expects (`iss`).
    #[arg(
        long,
        visible_alias = "iss",
        default_value = "https://issuer.harness.test"
    )]
    issuer: String,
    /// An audience the authorizer accepts (`aud`).
    #[arg(long, visible_alias = "aud", default_value = "harness-api")]
    audience: String,
    /// A kid bound to the signing key on the target.
    #[arg(long, default_value = "harness-key")]
    kid: String,
}

#[derive(Args, Debug)]
struct MintArgs {
    #[command(flatten)]
    signer: SignerArgs,
    /// Expiry: +SECONDS, -SECONDS or an absolute epoch.
    #[arg(long, default_value = "+300")]
    exp: String,
    /// Subject.
    #[arg(long, default_value = "harness-user")]
    sub: String,
    /// Put the kid in the header.
    #[arg(long)]
    with_kid: bool,
    /// Extra claims, key=value (value parsed as JSON when it can be).
    #[arg(long = "claim")]
    claims: Vec<String>,
    /// Claims as a JSON object, merged last.
    #[arg(long)]
    claims_json: Option<String>,
    /// Mint this many distinct tokens (local key only), one per line.
    #[arg(long)]
    count: Option<usize>,
}

#[derive(Args, Debug)]
struct CheckArgs {
    /// lib, lambda:PATH, or an API Gateway URL (http/https).
    #[arg(long)]
    target: String,
    #[command(flatten)]
    signer: SignerArgs,
    /// Write the results as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write the results as JUnit XML.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Configure local targets (lib, lambda:) from this KEY=VALUE file, e.g.
    /// a deployment's `authorizer_environment` output, instead of from the
    /// signer's public key. Passed to a foreign binary unchanged (its own
    /// variable names).
    #[arg(long)]
    authorizer_env_file: Option<PathBuf>,
    /// What to compare: reasons when the target reports any (auto), decisions only, or reasons (an error against a target that reports none).
    #[arg(long, value_enum, default_value_t = harness::check::Compare::Auto)]
    compare: harness::check::Compare,
    /// Which cases: every one (full), or skip those whose expectation is this project's choice rather than an RFC requirement (rfc).
    #[arg(long, value_enum, default_value_t = harness::check::CatalogProfile::Full)]
    profile: harness::check::CatalogProfile,
    /// Against a URL: send at most this many cases per second (e.g. below
    /// the stage's throttling rate); default one at a time, unpaced. A 429 is
    /// retried with back-off either way and never counted as a decision.
    #[arg(long, value_parser = positive)]
    rate: Option<f64>,
}

const CHECK_EXAMPLES: &str = "Examples:
  # An authorizer this project did not write, over the Lambda Runtime API:
  harness keys new --out keys
  printf 'ISSUER=https://issuer.harness.test\\nAUDIENCE=harness-api\\nPUBLIC_KEY_PEM=\"%s\"\\n' \\
    \"$(awk 'BEGIN{ORS=\"\\\\n\"} 1' keys/public.pem)\" > foreign.env
  harness check --target lambda:./their-authorizer --key keys/private.pem \\
    --authorizer-env-file foreign.env --profile rfc --junit check.xml

  # A deployed API (decisions only: API Gateway hides reasons):
  harness check --target https://abc123.execute-api.us-east-1.amazonaws.com/hello \\
    --kms-key-id alias/jwt-signing --iss https://issuer.example --aud api";

/// `--flag` values that are a finite number ≥ 0 (rates, bursts, thresholds:
/// 0 is a valid AWS setting, "throttle everything").
pub(crate) fn non_negative(v: &str) -> Result<f64, String> {
    match v.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err(format!("expected a finite number >= 0, got {v:?}")),
    }
}

/// `--flag` values that are a finite number > 0 (durations).
fn positive(v: &str) -> Result<f64, String> {
    match v.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err(format!("expected a finite number > 0, got {v:?}")),
    }
}

/// Parses the command line; a usage error is one line naming the flag, exit 2
/// (`--help` and `--version` print as usual).
fn parse_cli() -> Result<Cli, ExitCode> {
    use clap::error::ErrorKind;
    Cli::try_parse().map_err(|e| match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::from(if e.use_stderr() { 2 } else { 0 })
        }
        _ => {
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            fail(2, first.trim_start_matches("error: "))
        }
    })
}

fn main() -> ExitCode {
    let cli = match parse_cli() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(2, &format!("cannot start the async runtime: {e}")),
    };
    match runtime.block_on(dispatch(cli.command)) {
        Ok(code) => code,
        Err((code, message)) => fail(code, &message),
    }
}

type Outcome = Result<ExitCode, (u8, String)>;

async fn dispatch(command: Command) -> Outcome {
    match command {
        Command::Demo {
            authorizer,
            invocations,
        } => {
            let binary = authorizer
                .map_or_else(|| harness::binary::authorizer_binary(true), Ok)
                .map_err(|e| (2, e))?;
            let report = harness::demo::run(&harness::demo::DemoOptions {
                binary,
                invocations,
            })
            .await
            .map_err(|e| (2, e))?;
            print!("{}", harness::demo::render(&report));
            Ok(ExitCode::SUCCESS)
        }
        Command::Keys {
            command:
                KeysCommand::New {
                    out,
                    spec,
                    kms,
                    alias,
                    endpoint_url,
                },
        } => keys_new(out, spec, kms, alias, endpoint_url).await,
        Command::Mint(args) => mint(args).await,
        Command::Cases(args) => {
            for spec in specs(&args)? {
                let signer = match args.kms_key_id {
                    Some(_) => signer(&args).await?,
                    None => signer_of(&args, spec).await?,
                };
                let cases = harness::catalog::build(&signer, &profile(&args))
                    .await
                    .map_err(|e| (2, e))?;
                for c in cases {
                    println!("{}", c.to_json());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check(args) => check(args).await,
        Command::Gateway(args) => gateway(*args).await,
        Command::Suite(args) => suite(args).await,
        Command::Load(args) => load(*args).await,
        Command::Report {
            summary,
            compare,
            out,
        } => {
            let current = read_summary(&summary)?;
            let base = compare.load()?;
            let dir =
                out.unwrap_or_else(|| summary.parent().map(PathBuf::from).unwrap_or_default());
            let regressions =
                reports::write_report(&dir, &current, base.as_ref(), compare.threshold)
                    .map_err(|e| (2, e))?;
            println!("{}", dir.join("report.html").display());
            compare.judge(&regressions)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Package { binary, out } => {
            let binary = binary
                .map_or_else(|| harness::binary::authorizer_binary(true), Ok)
                .map_err(|e| (2, e))?;
            let p = harness::package::package(&binary, &out).map_err(|e| (2, e))?;
            let glibc = p
                .max_glibc
                .map_or("none".to_owned(), |(a, b)| format!("GLIBC_{a}.{b}"));
            println!(
                "wrote {} ({} bytes; binary {} bytes; highest glibc symbol {glibc}, Amazon Linux 2023 has 2.34)",
                out.display(),
                p.zip_bytes,
                p.binary_bytes
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn now() -> i64 {
    authorizer::UnixTime::now().0 as i64
}

fn profile(args: &SignerArgs) -> Profile {
    let mut p = Profile::local(now());
    p.issuer.clone_from(&args.issuer);
    p.audience.clone_from(&args.audience);
    p.kid.clone_from(&args.kid);
    p
}

/// The specs named by `--spec` (default ES512).
fn specs(args: &SignerArgs) -> Result<Vec<harness::keypair::Spec>, (u8, String)> {
    args.spec
        .as_deref()
        .map_or(Ok(vec![harness::keypair::Spec::DEFAULT]), |s| {
            harness::keypair::Spec::parse_list(s).map_err(|e| (2, e))
        })
}

fn one_spec(text: &str) -> Result<harness::keypair::Spec, String> {
    harness::keypair::Spec::parse(text)
}

async fn signer(args: &SignerArgs) -> Result<Signer, (u8, String)> {
    match specs(args)?.as_slice() {
        [spec] => signer_of(args, *spec).await,
        _ => Err((2, "--spec: this command signs with one key spec".into())),
    }
}

async fn signer_of(
    args: &SignerArgs,
    spec: harness::keypair::Spec,
) -> Result<Signer, (u8, String)> {
    if let Some(id) = &args.kms_key_id {
        let client = harness::kms::client(args.endpoint_url.as_deref()).await;
        return Signer::kms(client, id).await.map_err(|e| (2, e));
    }
    match &args.key {
        Some(path) => {
            let pem = std::fs::read_to_string(path)
                .map_err(|e| (2, format!("{}: {e}", path.display())))?;
            harness::keypair::LocalKey::from_pkcs8_pem(&pem, spec.alg)
                .map(Signer::Local)
                .map_err(|e| {
                    (
                        2,
                        format!(
                            "--key {}: {e} (the key's spec is --spec, default ES512)",
                            path.display()
                        ),
                    )
                })
        }
        None => Signer::generate(spec).map_err(|e| (2, e)),
    }
}

async fn keys_new(
    out: PathBuf,
    spec: harness::keypair::Spec,
    kms: bool,
    alias: Option<String>,
    endpoint_url: Option<String>,
) -> Outcome {
    let alg = spec.alg.name();
    if kms {
        let client = harness::kms::client(endpoint_url.as_deref()).await;
        let key = harness::kms::create_key_spec(&client, spec.kms_key_spec(), alias.as_deref())
            .await
            .map_err(|e| (2, e.to_string()))?;
        // What JWT_KMS_KEY_IDS (and --kms-key-id) name: RSA keys with their algorithm.
        let name = key.alias.clone().unwrap_or_else(|| key.key_id.clone());
        let entry = if spec.alg.is_rsa() {
            format!("{name}:{alg}")
        } else {
            name
        };
        let pem = Signer::kms(client, &entry)
            .await
            .map_err(|e| (2, e))?
            .public_pem();
        println!(
            "{}",
            json!({"key_id": key.key_id, "arn": key.arn, "alias": key.alias,
                   "key_spec": spec.kms_key_spec().as_str(), "alg": alg,
                   "jwt_kms_key_ids": entry, "public_key_pem": pem})
        );
        return Ok(ExitCode::SUCCESS);
    }
    let s = Signer::generate(spec).map_err(|e| (2, e))?;
    let Signer::Local(local) = &s else {
        return Err((2, "not a local key".into()));
    };
    let private = local.private_pem().map_err(|e| (2, e))?;
    std::fs::create_dir_all(&out).map_err(|e| (2, format!("{}: {e}", out.display())))?;
    let (priv_path, pub_path) = (out.join("private.pem"), out.join("public.pem"));
    reports::write_atomic(&priv_path, private.as_bytes())
        .map_err(|e| (2, format!("{}: {e}", priv_path.display())))?;
    reports::write_atomic(&pub_path, s.public_pem().as_bytes())
        .map_err(|e| (2, format!("{}: {e}", pub_path.display())))?;
    let pin = s.pem_alg_env().map_or(String::new(), |(k, v)| {
        format!("; configure the authorizer with {k}={v}")
    });
    println!(
        "wrote {} and {} ({}){pin}",
        priv_path.display(),
        pub_path.display(),
        spec.label()
    );
    Ok(ExitCode::SUCCESS)
}

async fn mint(args: MintArgs) -> Outcome {
    let now = now();
    let signer = signer(&args.signer).await?;
    if let Some(count) = args.count {
        let Signer::Local(local) = &signer else {
            return Err((
                2,
                "--count works with local keys only (KMS Sign is one call per token)".into(),
            ));
        };
        let lifetime = harness::mint::parse_time(&args.exp, now).map_err(|e| (2, e))? - now;
        for t in harness::mint::pool(
            local,
            count,
            &args.signer.issuer,
            &args.signer.audience,
            now,
            lifetime,
        ) {
            println!("{t}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut claims = Map::new();
    claims.insert("iss".into(), args.signer.issuer.clone().into());
    claims.insert("aud".into(), args.signer.audience.clone().into());
    claims.insert("sub".into(), args.sub.clone().into());
    claims.insert("iat".into(), now.into());
    claims.insert(
        "exp".into(),
        harness::mint::parse_time(&args.exp, now)
            .map_err(|e| (2, e))?
            .into(),
    );
    for kv in &args.claims {
        let (k, v) = harness::mint::parse_claim(kv).map_err(|e| (2, e))?;
        claims.insert(k, v);
    }
    if let Some(j) = &args.claims_json {
        let Ok(Value::Object(extra)) = serde_json::from_str::<Value>(j) else {
            return Err((2, "--claims-json must be a JSON object".into()));
        };
        claims.extend(extra);
    }
    let alg = signer.algorithm().name();
    let header = if args.with_kid {
        json!({"alg": alg, "typ": "JWT", "kid": args.signer.kid})
    } else {
        json!({"alg": alg, "typ": "JWT"})
    };
    let input =
        harness::mint::signing_input(&header.to_string(), &Value::Object(claims).to_string());
    let sig = signer.sign(input.as_bytes()).await.map_err(|e| (2, e))?;
    use base64::Engine;
    println!(
        "{input}.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sig)
    );
    Ok(ExitCode::SUCCESS)
}

async fn check(args: CheckArgs) -> Outcome {
    let target: Target = args.target.parse().map_err(|e| (2, e))?;
    let specs = specs(&args.signer)?;
    if specs.len() > 1 {
        if args.signer.key.is_some() {
            return Err((
                2,
                "--spec with several specs mints a fresh key for each; drop --key".into(),
            ));
        }
        if args.authorizer_env_file.is_some() {
            return Err((2, "--spec with several specs configures the authorizer for each key; drop --authorizer-env-file".into()));
        }
        if matches!(target, Target::Url(_)) {
            return Err((2, "--spec with several specs needs a local target (lib, lambda:PATH): a deployed API trusts only its own key".into()));
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
        let cases = harness::catalog::build(&signer, &profile)
            .await
            .map_err(|e| (2, e))?;
        let env = match &args.authorizer_env_file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| (2, format!("{}: {e}", path.display())))?;
                harness::gateway::config::parse_env_file(&text)
                    .map_err(|e| (2, format!("{}: {e}", path.display())))?
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
            .map_err(|e| (2, e.to_string()))?;
        if specs.len() > 1 {
            println!("== key {} ({} cases)", spec.label(), cases.len());
        }
        print!("{}", harness::check::render(&report));
        done.push((spec.label(), report));
    }
    let report = if done.len() == 1 {
        done.remove(0).1
    } else {
        println!();
        for (label, r) in &done {
            println!(
                "key {label:<18} {} passed, {} failed, {} skipped",
                r.totals.passed, r.totals.failed, r.totals.skipped
            );
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
        println!(
            "all {} key specs: {} passed, {} failed, {} skipped",
            specs.len(),
            all.totals.passed,
            all.totals.failed,
            all.totals.skipped
        );
        all
    };
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report).map_err(|e| (2, e.to_string()))?;
        reports::write_atomic(path, text.as_bytes())
            .map_err(|e| (2, format!("{}: {e}", path.display())))?;
    }
    if let Some(path) = &args.junit {
        reports::write_atomic(path, report.to_junit().as_bytes())
            .map_err(|e| (2, format!("{}: {e}", path.display())))?;
    }
    if report.totals.failed > 0 {
        let first = report
            .cases
            .iter()
            .find(|c| !c.pass && c.actual != "skipped")
            .map_or("", |c| c.id.as_str());
        return Err((
            1,
            format!(
                "{} case(s) did not match (first: {first})",
                report.totals.failed
            ),
        ));
    }
    Ok(ExitCode::SUCCESS)
}

fn gateway_config(a: GatewayArgs) -> Result<harness::gateway::config::GatewayConfig, String> {
    use harness::gateway::config::{parse_env_file, GatewayConfig, PayloadVersion, RouteConfig};
    let mut c = match &a.config {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            toml::from_str::<GatewayConfig>(&text)
                .map_err(|e| format!("{}: {}", path.display(), e.message()))?
        }
        None => GatewayConfig::default(),
    };
    c.authorizer = match a.authorizer {
        Some(p) => p,
        None if a.config.is_some() && c.authorizer.is_file() => c.authorizer.clone(),
        None => harness::binary::authorizer_binary(true)?,
    };
    if let Some(path) = &a.env_file {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        c.env
            .extend(parse_env_file(&text).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    for kv in &a.env {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| format!("--env needs KEY=VALUE, got {kv:?}"))?;
        c.env.push((k.to_owned(), v.to_owned()));
    }
    c.listen = a.listen;
    if let Some(s) = a.stage {
        c.stage = s;
    }
    if !a.routes.is_empty() || !a.public_routes.is_empty() {
        c.routes = a
            .routes
            .iter()
            .map(|k| RouteConfig {
                key: k.clone(),
                authorized: true,
                rate: None,
                burst: None,
            })
            .collect();
        c.routes.extend(a.public_routes.iter().map(|k| RouteConfig {
            key: k.clone(),
            authorized: false,
            rate: None,
            burst: None,
        }));
    }
    for spec in &a.route_throttles {
        let (key, limit) = spec
            .rsplit_once('=')
            .ok_or_else(|| format!("--route-throttle needs \"ROUTE=RATE:BURST\", got {spec:?}"))?;
        let (rate, burst) = limit
            .split_once(':')
            .ok_or_else(|| format!("--route-throttle needs RATE:BURST, got {limit:?}"))?;
        let rate =
            non_negative(rate).map_err(|e| format!("--route-throttle {spec:?}: rate {e}"))?;
        let burst =
            non_negative(burst).map_err(|e| format!("--route-throttle {spec:?}: burst {e}"))?;
        let route = c
            .routes
            .iter_mut()
            .find(|r| r.key == key)
            .ok_or_else(|| format!("--route-throttle: no route {key:?}"))?;
        route.rate = Some(rate);
        route.burst = Some(burst);
    }
    if !a.identity_sources.is_empty() {
        c.identity_sources = a.identity_sources;
    }
    if let Some(t) = a.cache_ttl {
        c.cache_ttl_seconds = t;
    }
    c.rate = a.rate.or(c.rate);
    c.burst = a.burst.or(c.burst);
    if a.no_account_throttle {
        c.account_throttle = false;
    }
    c.reserved_concurrency = a.reserved_concurrency.or(c.reserved_concurrency);
    if let Some(t) = a.idle_timeout {
        c.idle_timeout_seconds = t;
    }
    match a.payload.as_deref() {
        None => {}
        Some("2.0") => c.payload = PayloadVersion::V2,
        Some("1.0") => c.payload = PayloadVersion::V1Token,
        Some(other) => return Err(format!("--payload must be 2.0 or 1.0, got {other:?}")),
    }
    if a.policy_responses {
        c.simple_responses = false;
    }
    if let Some(t) = a.timeout_ms {
        c.authorizer_timeout_ms = t;
    }
    if let Some(s) = a.unauthorized_status {
        c.unauthorized_error_status = s;
    }
    c.upstream = a.upstream.or(c.upstream);
    c.log_reports = !a.quiet;
    c.echo_function_logs = a.function_logs;
    c.log_group = a.log_group.or(c.log_group);
    c.logs_endpoint_url = a.logs_endpoint_url.or(c.logs_endpoint_url);
    c.lambda_function = a.function_name.or(c.lambda_function);
    c.lambda_endpoint_url = a.lambda_endpoint_url.or(c.lambda_endpoint_url);
    c.control_plane_api = a.api_id.or(c.control_plane_api);
    c.endpoint_url = a.endpoint_url.or(c.endpoint_url);
    Ok(c)
}

async fn gateway(args: GatewayArgs) -> Outcome {
    let mut cfg = gateway_config(args).map_err(|e| (2, e))?;
    cfg.validate().map_err(|e| (2, e))?;
    // The function as the control plane describes it, when serving one
    // (read once: the gateway starts from what was read here).
    let registered = harness::gateway::control_plane::resolve(&mut cfg)
        .await
        .map_err(|e| (2, e))?;
    preflight(&cfg).await?;
    let gw = harness::gateway::Gateway::start_resolved(cfg, registered)
        .await
        .map_err(|e| (2, e))?;
    eprintln!("{}", gw.banner());
    let _ = tokio::signal::ctrl_c().await;
    eprintln!(
        "stopping: {}",
        serde_json::to_string(&gw.stats()).unwrap_or_default()
    );
    gw.stop().await;
    Ok(ExitCode::SUCCESS)
}

/// Starts one execution environment with the gateway's function settings and
/// stops it again, so a configuration the authorizer refuses (a missing
/// `JWT_ISSUER`, a bad key) is an error at start-up rather than a 500 on the
/// first request. The first request still gets a cold start of its own.
async fn preflight(cfg: &harness::gateway::config::GatewayConfig) -> Result<(), (u8, String)> {
    use harness::lambda::{Environment, FunctionConfig};
    let mut f = FunctionConfig::new(&cfg.authorizer);
    f.env.clone_from(&cfg.env);
    f.memory_mb = cfg.memory_mb;
    f.region.clone_from(&cfg.region);
    match Environment::start(&f).await {
        Ok(env) => {
            env.stop().await;
            Ok(())
        }
        Err(e) => Err((
            2,
            format!(
                "the authorizer {} does not start with this configuration: {e}",
                cfg.authorizer.display()
            ),
        )),
    }
}

/// The suite's options from the target flags (a deployment file's values
/// where a flag is not given).
fn suite_options(
    t: TargetArgs,
    out: Option<PathBuf>,
    quick: bool,
    throttle: Option<(f64, f64)>,
) -> Result<harness::suite::SuiteOptions, (u8, String)> {
    let deployment = t
        .deployment
        .as_deref()
        .map(harness::deployment::Deployment::read)
        .transpose()
        .map_err(|e| (2, e))?;
    let dep = deployment.clone().unwrap_or_default();
    let target = t.target.or(dep.api_endpoint.clone());
    let authorizer = match (&t.authorizer, &target) {
        (Some(p), _) => p.clone(),
        (None, Some(_)) => PathBuf::new(),
        (None, None) => harness::binary::authorizer_binary(true).map_err(|e| (2, e))?,
    };
    Ok(harness::suite::SuiteOptions {
        quick,
        target,
        kms_endpoint: t.kms_endpoint,
        kms_key_id: t.kms_key_id.or(dep.kms_key.clone()),
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
    })
}

/// Whether stdout and stderr are both a terminal (else: plain lines).
fn terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() && std::io::stderr().is_terminal()
}

fn interrupt_handler() {
    use std::sync::atomic::Ordering;
    let _ = ctrlc::set_handler(|| {
        eprintln!("stopping (Ctrl-C): finishing the current step and stopping every child process");
        harness::suite::INTERRUPTED.store(true, Ordering::SeqCst);
        scenarios::request_stop();
    });
}

/// Writes the report, prints the verdicts and decides the exit code.
fn finish(
    r: &harness::suite::SuiteResult,
    compare: &BaselineArgs,
    baseline: Option<&reports::model::Summary>,
    strict: bool,
) -> Outcome {
    let regressions = reports::write_report(&r.dir, &r.summary, baseline, compare.threshold)
        .map_err(|e| (2, e))?;
    print!("{}", harness::suite::render_verdicts(&r.summary));
    let judged = compare.judge(&regressions);
    println!("report: {}", r.dir.join("report.html").display());
    let failures = r.summary.failures(strict);
    if !failures.is_empty() {
        let failed: Vec<String> = failures
            .iter()
            .map(|v| format!("{} ({})", v.check, v.status().label()))
            .collect();
        let strict = if strict {
            " (--strict: a SKIP fails)"
        } else {
            ""
        };
        return Err((1, format!("failed: {}{strict}", failed.join(", "))));
    }
    judged?;
    Ok(ExitCode::SUCCESS)
}

async fn load(a: load_cli::LoadArgs) -> Outcome {
    use std::sync::atomic::Ordering;
    let plan = a.plan().map_err(|e| (2, e))?;
    let throttle = a
        .stage_rate
        .map(|r| (r, f64::from(a.stage_burst.unwrap_or(r as u32))));
    let stage = (
        a.stage_rate.unwrap_or(10_000.0),
        i32::try_from(a.stage_burst.unwrap_or(5000))
            .map_err(|_| (2, "--stage-burst: too large".to_owned()))?,
    );
    let baseline = a.compare.load()?;
    let target = suite_options(a.target, a.out, false, throttle.filter(|_| true))?;
    interrupt_handler();
    let opts = harness::load::LoadOptions {
        plan,
        target,
        stage,
        progress: !a.quiet && terminal(),
    };
    let result = harness::load::run(&opts).await;
    if harness::suite::INTERRUPTED.load(Ordering::SeqCst) {
        return Err((130, "interrupted; every child process was stopped".into()));
    }
    let r = result.map_err(|e| (2, e))?;
    finish(&r, &a.compare, baseline.as_ref(), a.strict)
}

async fn suite(a: SuiteArgs) -> Outcome {
    use harness::suite::INTERRUPTED;
    use std::sync::atomic::Ordering;
    interrupt_handler();
    let baseline = a.compare.load()?;
    let mut opts = suite_options(a.target, a.out, a.quick, a.rate.zip(a.burst))?;
    opts.progress = !a.quiet && terminal();
    let result = harness::suite::run(&opts).await;
    if INTERRUPTED.load(Ordering::SeqCst) {
        return Err((130, "interrupted; every child process was stopped".into()));
    }
    let r = result.map_err(|e| (2, e))?;
    finish(&r, &a.compare, baseline.as_ref(), a.strict)
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("harness: {message}");
    ExitCode::from(code)
}
