//! The `harness` CLI.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "harness",
    version,
    about = "Mint, attack and measure the ES512 API Gateway authorizer"
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(2, &format!("cannot start the async runtime: {e}")),
    };
    match cli.command {
        Command::Demo {
            authorizer,
            invocations,
        } => {
            let binary =
                match authorizer.map_or_else(|| harness::binary::authorizer_binary(true), Ok) {
                    Ok(b) => b,
                    Err(e) => return fail(2, &e),
                };
            let opts = harness::demo::DemoOptions {
                binary,
                invocations,
            };
            match runtime.block_on(harness::demo::run(&opts)) {
                Ok(report) => {
                    print!("{}", harness::demo::render(&report));
                    ExitCode::SUCCESS
                }
                Err(e) => fail(2, &e),
            }
        }
    }
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("harness: {message}");
    ExitCode::from(code)
}
