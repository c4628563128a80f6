//! SIGINT, SIGTERM and SIGHUP get the same stop: what CI sends on a timeout
//! or a cancelled job (SIGTERM), a closed terminal (SIGHUP) and Ctrl-C
//! (SIGINT) all finish the current step, restore what the run changed (the
//! function's configuration), schedule temporary keys for deletion, stop
//! every child process, and exit 128 + the signal's number (130, 143, 129).
//! The first signal is announced once; later ones change nothing.

use super::CliError;
use std::sync::atomic::{AtomicI32, Ordering};
use tokio::signal::unix::{signal, SignalKind};

/// The first signal received (0: none).
static RECEIVED: AtomicI32 = AtomicI32::new(0);
/// Wakes [`wait`].
static STOP: tokio::sync::Notify = tokio::sync::Notify::const_new();

const SIGNALS: [(i32, &str); 3] = [(2, "SIGINT"), (15, "SIGTERM"), (1, "SIGHUP")];

/// Listens for the three signals on the current runtime. From here on they
/// no longer kill the process: the run stops itself.
///
/// # Errors
/// A handler could not be installed (exit 2 before anything starts).
pub(crate) fn install() -> Result<(), CliError> {
    // SIGINT through ctrlc, installed before anything else: goose (the load
    // engine) installs a ctrlc handler at its first attack, which would
    // take SIGINT from a tokio listener; with ours in place goose's
    // install fails and ours keeps SIGINT.
    ctrlc::set_handler(|| received(2, "SIGINT"))
        .map_err(|e| CliError::usage(format!("cannot handle SIGINT: {e}")))?;
    for (number, name) in SIGNALS.into_iter().filter(|(n, _)| *n != 2) {
        let mut stream = signal(SignalKind::from_raw(number))
            .map_err(|e| CliError::usage(format!("cannot handle {name}: {e}")))?;
        tokio::spawn(async move {
            while stream.recv().await.is_some() {
                received(number, name);
            }
        });
    }
    Ok(())
}

fn received(number: i32, name: &str) {
    if RECEIVED
        .compare_exchange(0, number, Ordering::SeqCst, Ordering::SeqCst)
        .is_ok()
    {
        eprintln!(
            "stopping ({name}): finishing the current step, restoring what the run changed and stopping every child process"
        );
        scenarios::request_stop();
        STOP.notify_waiters();
    }
}

/// Waits for the first of the three signals.
pub(crate) async fn wait() {
    let notified = STOP.notified();
    if RECEIVED.load(Ordering::SeqCst) == 0 {
        notified.await;
    }
}

/// The error that ends a stopped run: exit 128 + the signal's number.
pub(crate) fn stopped() -> Option<CliError> {
    let number = RECEIVED.load(Ordering::SeqCst);
    let (_, name) = SIGNALS.into_iter().find(|(n, _)| *n == number)?;
    Some(CliError::signalled(
        number,
        format!(
            "stopped by {name}; what the run changed was restored and every child process stopped"
        ),
    ))
}
