//! A stop (a signal) requested of every running measurement.

/// Set by [`request_stop`]. Kept here rather than read from goose's kill
/// switch, which also ends a run cut short on purpose
/// (`engine::Live::cut`) and is cleared when an attack starts.
static STOPPED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether a stop was requested (a signal).
pub fn stop_requested() -> bool {
    STOPPED.load(std::sync::atomic::Ordering::SeqCst)
}

/// Requests a stop: the running attack ends (goose's kill switch) and the
/// caller sees [`stop_requested`].
pub fn request_stop() {
    STOPPED.store(true, std::sync::atomic::Ordering::SeqCst);
    goose::trigger_killswitch("interrupted");
}
