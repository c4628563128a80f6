//! The subcommands, one file each; `main.rs` parses and dispatches.
//! Each is a thin layer over a library call (`harness::check::run`,
//! `emulator::gateway::Gateway`, `harness::suite::run`, `harness::load::run`).

pub(crate) mod check;
pub(crate) mod gateway;
pub(crate) mod load;
pub(crate) mod report;
pub(crate) mod run;
pub(crate) mod signals;
pub(crate) mod tokens;

use std::fmt::Display;
use std::process::ExitCode;

/// Why a subcommand stopped: one line for stderr and the exit code — 2 for
/// a usage error or anything that stops a run before a verdict (a bad
/// flag, an unreachable target, a failed AWS call), 1 for a verdict that
/// failed (a check mismatch, a FAIL in the suite, a regression).
#[derive(Debug)]
pub(crate) struct CliError {
    code: u8,
    message: String,
}

impl CliError {
    /// Exit 2: the run could not be made as asked.
    pub(crate) fn usage(message: impl Display) -> Self {
        Self {
            code: 2,
            message: message.to_string(),
        }
    }

    /// Exit 1: the run was made and its verdict is a failure.
    pub(crate) fn failed(message: impl Display) -> Self {
        Self {
            code: 1,
            message: message.to_string(),
        }
    }

    /// Exit 128 + `signal`: stopped by SIGINT (130), SIGTERM (143) or SIGHUP
    /// (129), after the run's cleanup.
    pub(crate) fn signalled(signal: i32, message: impl Display) -> Self {
        Self {
            code: u8::try_from(128 + signal).unwrap_or(130),
            message: message.to_string(),
        }
    }

    /// Exit 0, silently: the reader of stdout went away (`harness cases |
    /// head -1`) after taking what it wanted.
    pub(crate) fn reader_gone() -> Self {
        Self {
            code: 0,
            message: String::new(),
        }
    }

    /// Prints `harness: MESSAGE` to stderr (nothing for [`CliError::reader_gone`]);
    /// the exit code.
    pub(crate) fn report(&self) -> ExitCode {
        if !self.message.is_empty() {
            eprintln!("harness: {}", self.message);
        }
        ExitCode::from(self.code)
    }
}

macro_rules! stops_the_run {
    ($($t:ty),*) => {$(
        impl From<$t> for CliError {
            fn from(e: $t) -> Self {
                Self::usage(e)
            }
        }
    )*};
}

stops_the_run!(
    harness::Error,
    emulator::Error,
    ::tokens::Error,
    reports::Error,
    scenarios::Error,
    ::tokens::keypair::KeyError
);

/// Writes `text` to stdout. A closed pipe ends the command quietly (exit 0)
/// instead of a panic; any other write error is one line, exit 2.
///
/// # Errors
/// [`CliError::reader_gone`], or the write error.
pub(crate) fn print_out(text: impl Display) -> Result<(), CliError> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match write!(out, "{text}").and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(CliError::reader_gone()),
        Err(e) => Err(CliError::usage(format!("writing to stdout: {e}"))),
    }
}

/// [`print_out`] with a newline.
///
/// # Errors
/// As [`print_out`].
pub(crate) fn print_line(text: impl Display) -> Result<(), CliError> {
    print_out(format_args!("{text}\n"))
}

/// What a subcommand returns.
pub(crate) type Outcome = Result<ExitCode, CliError>;
