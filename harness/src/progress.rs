//! What a run shows while it goes: one line per stage ([`Stages`]), and
//! the live line of a loaded stage ([`LoadBar`]): an `indicatif` bar with
//! elapsed and remaining time, the current rate, p99 and the error count,
//! redrawn once a second — only on a terminal without `--quiet`.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use scenarios::engine::Live;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A run's stage lines, timed from its start; a stage does not begin once
/// a stop was requested.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stages(Instant);

impl Stages {
    /// From now.
    pub(crate) fn new() -> Self {
        Self(Instant::now())
    }

    /// Prints `what` with the time since the start.
    ///
    /// # Errors
    /// [`crate::Error::Interrupted`] once a stop was requested.
    pub(crate) fn stage(&self, what: &str) -> crate::Result<()> {
        if scenarios::stop_requested() {
            return Err(crate::Error::Interrupted);
        }
        eprintln!("[{:>6.1}s] {what}", self.0.elapsed().as_secs_f64());
        Ok(())
    }

    /// Seconds since the start.
    pub(crate) fn elapsed_s(&self) -> f64 {
        self.0.elapsed().as_secs_f64()
    }
}

/// Runs `work` on `url` as the scenarios take it, with a bar over
/// `planned` requests while it runs when `show`; the bar is cleared however
/// `work` ends.
pub(crate) async fn with_bar<T>(
    show: bool,
    url: &str,
    planned: f64,
    what: &str,
    work: impl AsyncFnOnce(&scenarios::Endpoint) -> T,
) -> T {
    let (ep, bar) = live_endpoint(show, url, planned, what);
    let out = work(&ep).await;
    if let Some(b) = bar {
        b.finish().await;
    }
    out
}

/// `url` as the scenarios take it, with a bar over `planned` requests when
/// `show`.
fn live_endpoint(
    show: bool,
    url: &str,
    planned: f64,
    what: &str,
) -> (scenarios::Endpoint, Option<LoadBar>) {
    let live = show.then(|| Arc::new(Live::default()));
    let bar = live
        .as_ref()
        .map(|l| LoadBar::start(Arc::clone(l), planned as u64, what));
    (
        scenarios::Endpoint {
            url: url.to_owned(),
            live,
        },
        bar,
    )
}

/// A running bar; [`LoadBar::finish`] clears it.
#[derive(Debug)]
pub(crate) struct LoadBar {
    bar: ProgressBar,
    ticker: tokio::task::JoinHandle<()>,
}

impl LoadBar {
    /// Starts a bar over `total` requests fed by `live`.
    pub(crate) fn start(live: Arc<Live>, total: u64, what: &str) -> Self {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr_with_hz(4));
        let style = ProgressStyle::with_template(
            "{prefix} [{elapsed_precise} / eta {eta}] {wide_bar} {pos}/{len} · {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_prefix(what.to_owned());
        let b = bar.clone();
        let ticker = tokio::spawn(async move {
            let mut last = 0u64;
            let mut began = false;
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                if !began && live.started_at().is_some() {
                    // Time from the first due request, not from goose's start-up.
                    began = true;
                    b.reset_elapsed();
                    b.reset_eta();
                }
                let sent = live.sent.load(Ordering::Relaxed);
                b.set_position(sent);
                b.set_message(format!(
                    "{} req/s · p99 {:.1} ms · {} errors · {} throttled",
                    sent.saturating_sub(last),
                    live.take_p99_ms(),
                    live.errors.load(Ordering::Relaxed),
                    live.throttled.load(Ordering::Relaxed)
                ));
                last = sent;
            }
        });
        Self { bar, ticker }
    }

    /// Stops and clears the bar.
    pub(crate) async fn finish(self) {
        self.ticker.abort();
        let _ = self.ticker.await;
        self.bar.finish_and_clear();
    }
}
