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

/// A wait on the control plane that names itself: silent for its first
/// 5 s, then one line saying what it waits for, how long so far and its
/// bound, again every 10 s. A stage never sits silent on a slow or frozen
/// control plane.
#[derive(Debug)]
pub(crate) struct Waiting {
    what: String,
    bound: Duration,
    since: std::time::Instant,
    next: Duration,
}

impl Waiting {
    /// Starts the clock on a wait for `what` of at most `bound`.
    pub(crate) fn new(what: impl Into<String>, bound: Duration) -> Self {
        Self {
            what: what.into(),
            bound,
            since: std::time::Instant::now(),
            next: Duration::from_secs(5),
        }
    }

    /// Call once per poll; `now` says what the last poll saw.
    pub(crate) fn poll(&mut self, now: impl FnOnce() -> String) {
        if let Some(line) = self.line_at(self.since.elapsed(), now) {
            eprintln!("{line}");
        }
    }

    /// The line due after `waited`, if one is.
    fn line_at(&mut self, waited: Duration, now: impl FnOnce() -> String) -> Option<String> {
        if waited < self.next {
            return None;
        }
        self.next = waited + Duration::from_secs(10);
        Some(format!(
            "           still waiting for {}: {} ({} s of at most {} s)",
            self.what,
            now(),
            waited.as_secs(),
            self.bound.as_secs()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_names_itself_after_5_s_then_every_10_s() {
        let mut w = Waiting::new("the log lines", Duration::from_secs(60));
        let mut at = |s: u64| w.line_at(Duration::from_secs(s), || format!("{s} so far"));
        assert_eq!(at(0), None);
        assert_eq!(at(4), None);
        assert_eq!(
            at(5).as_deref(),
            Some("           still waiting for the log lines: 5 so far (5 s of at most 60 s)")
        );
        assert_eq!(at(6), None);
        assert_eq!(at(14), None);
        assert!(at(15).is_some_and(|l| l.contains("15 so far (15 s of at most 60 s)")));
    }
}
