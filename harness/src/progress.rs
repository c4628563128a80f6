//! The live line of a long stage: an `indicatif` bar with elapsed and
//! remaining time, the current rate, p99 and the error count, redrawn once
//! a second. Only on a terminal without `--quiet`; otherwise stages print
//! one plain line each.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use scenarios::engine::Live;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

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
