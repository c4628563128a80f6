//! The `harness` CLI.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

mod cli;

use cli::{CliError, Outcome};

use cli::{check::*, gateway::*, report::*, run::*, tokens::*};

const LOAD_EXAMPLES: &str = "Examples:
  harness load --rate 300 --duration 60                 hold 300 req/s for a minute (local stack)
  harness load --profile knee --p99-bound-ms 50          step up until p99 > 50 ms or errors
  harness load --profile scaling                         20 -> 400 req/s from cold; cold starts per second
  harness load --plan load.toml --mix valid=80,forged=20 a plan file, one value overridden
  harness load --deployment outputs.json --rate 50 --duration 10   a deployment (terraform output -json)

Several generators (docs/guide.md, \"Several generators\"):
  harness load --engine local --workers 3 --rate 600 --duration 30   three worker processes, one merged report
  harness load plan --deployment outputs.json --shards 3 --rate 90 --duration 10 --out run   a manifest (tokens for 3 shards)
  harness load --manifest run/manifest.json --shard 0/3 --start-at 1767225600 --out shard-0   one shard, from T0 (Unix s)
  harness load merge shard-0 shard-1 shard-2 --out merged   the whole run's report, histograms added";

const GATEWAY_EXAMPLES: &str = "The authorizer needs a key and the claims it checks, as the function's environment
(--env KEY=VALUE, --env-file FILE): JWT_ISSUER and JWT_AUDIENCE, and one of JWT_PUBLIC_KEY_PEM
(with JWT_PUBLIC_KEY_ALG for RSA, JWT_PUBLIC_KEY_KIDS), JWT_JWKS or JWT_KMS_KEY_IDS; the optional
ones are in the README's Configuration table. A configuration the authorizer refuses stops the
gateway at start-up with its message.

Examples:
  harness keys new --out keys
  harness gateway --env JWT_ISSUER=https://issuer.harness.test --env JWT_AUDIENCE=harness-api \\
    --env \"JWT_PUBLIC_KEY_PEM=$(cat keys/public.pem)\" --listen 127.0.0.1:8080
  curl -H \"Authorization: Bearer $(harness mint --key keys/private.pem)\" http://127.0.0.1:8080/hello

  # An API registered in a control plane (moto, or AWS): routes, authorizer, stage, function
  harness gateway --api-id a1b2c3d4e5 --endpoint-url http://127.0.0.1:5000
  # A REST API (v1): methods, each one's TOKEN or REQUEST authorizer, method throttling, function
  harness gateway --rest-api-id a1b2c3d4e5 --endpoint-url http://127.0.0.1:5000";

const SUITE_EXAMPLES: &str = "Examples:
  harness suite --quick                                  the local stack (moto + the emulator), about 40 s
  harness suite --quick --deployment outputs.json --region us-east-1
                                                         a deployment (terraform output -json): URL, key, kid, region";

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
    #[command(after_help = GATEWAY_EXAMPLES)]
    Gateway(Box<GatewayArgs>),
    /// The main job: security check, cold start, caching, throttling and mixed traffic, with a report.
    #[command(after_help = SUITE_EXAMPLES)]
    Suite(SuiteArgs),
    /// Run one load plan (constant, ramp, steps, spike; or the knee and scaling presets) with a report.
    #[command(after_help = LOAD_EXAMPLES)]
    Load(Box<cli::load::LoadArgs>),
    /// The local data plane of moto's ECS (moto runs nothing): each task
    /// started in CLUSTER runs as a process of the harness with the task's
    /// command, and is stopped in moto with its exit code.
    #[command(name = "ecs-runner")]
    EcsRunner {
        /// moto's endpoint.
        #[arg(long)]
        endpoint_url: String,
        /// The cluster (name or ARN).
        #[arg(long)]
        cluster: String,
        /// The program a task's container runs (default: this harness).
        #[arg(long)]
        exe: Option<PathBuf>,
        /// Test fault: the task of this shard exits 3 at once.
        #[arg(long, hide = true)]
        fail_shard: Option<u32>,
        /// Test fault: the worker of this shard is frozen once ready and
        /// thawed 3 s after T0 (it must refuse to run late).
        #[arg(long, hide = true)]
        stall_shard: Option<u32>,
    },
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
    ///
    /// Refuses (exit 2) anything that is not a Linux ELF executable for
    /// --architecture, or that needs a newer glibc than provided.al2023's 2.34.
    Package {
        /// The authorizer binary (default: target/release/authorizer; an
        /// installed harness: the authorizer beside it, else
        /// ./target/release/authorizer).
        #[arg(long, alias = "authorizer")]
        binary: Option<PathBuf>,
        /// The function's architecture (the module's `architecture`): x86_64 or arm64.
        #[arg(long, default_value = "x86_64", value_parser = architecture)]
        architecture: harness::package::Architecture,
        /// Where to write the zip.
        #[arg(long, default_value = "target/lambda/authorizer.zip")]
        out: PathBuf,
    },
}

/// A `--flag` value that is not the number the flag takes.
#[derive(Debug, thiserror::Error)]
#[error("expected a finite number {bound}, got {value:?}")]
pub(crate) struct NumberError {
    bound: &'static str,
    value: String,
}

/// `--flag` values that are a finite number ≥ 0 (rates, bursts, thresholds:
/// 0 is a valid AWS setting, "throttle everything").
pub(crate) fn non_negative(v: &str) -> Result<f64, NumberError> {
    match v.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err(NumberError {
            bound: ">= 0",
            value: v.to_owned(),
        }),
    }
}

/// `--flag` values that are a finite number > 0 (durations).
pub(crate) fn positive(v: &str) -> Result<f64, NumberError> {
    match v.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err(NumberError {
            bound: "> 0",
            value: v.to_owned(),
        }),
    }
}

/// A `--architecture` value that is not a Lambda architecture.
#[derive(Debug, thiserror::Error)]
#[error("expected x86_64 or arm64, got {0:?}")]
pub(crate) struct ArchitectureError(String);

fn architecture(v: &str) -> Result<harness::package::Architecture, ArchitectureError> {
    harness::package::Architecture::from_name(v).ok_or_else(|| ArchitectureError(v.to_owned()))
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
            // clap's message runs until the blank line before `Usage:`
            // (a missing argument lists the flags on lines of their own).
            let text = e.render().to_string();
            let message = text
                .lines()
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" ");
            let message = message.trim_start_matches("error: ");
            CliError::usage(if message.is_empty() {
                "invalid arguments"
            } else {
                message
            })
            .report()
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
        Err(e) => return CliError::usage(format!("cannot start the async runtime: {e}")).report(),
    };
    match runtime.block_on(dispatch(cli.command)) {
        Ok(code) => code,
        Err(e) => e.report(),
    }
}

async fn dispatch(command: Command) -> Outcome {
    match command {
        Command::Demo {
            authorizer,
            invocations,
        } => {
            let binary = authorizer.map_or_else(|| harness::binary::authorizer_binary(true), Ok)?;
            let report = harness::demo::run(&harness::demo::DemoOptions {
                binary,
                invocations,
            })
            .await?;
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
                let cases = ::tokens::catalog::build(&signer, &profile(&args)).await?;
                for c in cases {
                    cli::print_line(c.to_json())?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check(args) => check(args).await,
        Command::Gateway(args) => gateway(*args).await,
        Command::EcsRunner {
            endpoint_url,
            cluster,
            exe,
            fail_shard,
            stall_shard,
        } => {
            cli::signals::install()?;
            let exe = match exe {
                Some(e) => e,
                None => std::env::current_exe()
                    .map_err(|e| CliError::usage(format!("--exe: this harness's path: {e}")))?,
            };
            let faults = harness::ecs::Faults {
                fail_shard,
                stall_shard,
            };
            match harness::ecs::runner(&endpoint_url, &cluster, &exe, faults).await {
                Ok(()) | Err(harness::Error::Interrupted) => Ok(ExitCode::SUCCESS),
                Err(e) => Err(e.into()),
            }
        }
        Command::Suite(args) => suite(args).await,
        Command::Load(args) => cli::load::run(*args).await,
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
                reports::write_report(&dir, &current, base.as_ref(), compare.threshold)?;
            println!("{}", dir.join("report.html").display());
            compare.judge(&regressions)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Package {
            binary,
            architecture,
            out,
        } => {
            let binary = binary.map_or_else(|| harness::binary::authorizer_binary(true), Ok)?;
            let p = harness::package::package(&binary, architecture, &out)?;
            let glibc = p
                .max_glibc
                .map_or("none".to_owned(), |(a, b)| format!("GLIBC_{a}.{b}"));
            println!(
                "wrote {} ({} bytes; {} binary {} bytes; highest glibc symbol {glibc}, Amazon Linux 2023 has 2.34)",
                out.display(),
                p.zip_bytes,
                architecture.name(),
                p.binary_bytes
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
