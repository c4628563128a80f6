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

/// Runs `work` until it ends or a stop is requested ([`request_stop`]),
/// whichever comes first: dropped within 50 ms of a signal, its requests in
/// flight with it. Only for work whose interruption leaves nothing changed,
/// or whose caller restores what it changed (the cold-start trials).
///
/// # Errors
/// `work`'s error, or [`crate::error::Error::Interrupted`] (converted into the
/// caller's error type).
pub async fn until_stopped<T, E: From<crate::error::Error>>(
    work: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, E> {
    let watch = async {
        while !stop_requested() {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    };
    tokio::select! {
        r = work => r,
        () = watch => Err(crate::error::Error::Interrupted.into()),
    }
}

/// Sleeps `d`, or less when a stop is requested.
///
/// # Errors
/// [`crate::error::Error::Interrupted`] (converted into the caller's error
/// type) when a stop came first.
pub async fn nap<E: From<crate::error::Error>>(d: std::time::Duration) -> Result<(), E> {
    until_stopped(async {
        tokio::time::sleep(d).await;
        Ok(())
    })
    .await
}
