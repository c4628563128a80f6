//! The Lambda binary: init tracing, build the validated `Config` and the
//! `Authorizer` (keys parsed or fetched once, here), then serve events over
//! the Lambda Runtime API.

use authorizer::event::{self, Unauthorized};
use authorizer::metrics::{Emf, Sample};
use authorizer::{Authorizer, Config, UnixTime};
use lambda_runtime::tower::{Layer, Service};
use lambda_runtime::{service_fn, Diagnostic, LambdaEvent, LambdaInvocation, Runtime};
use serde_json::Value;
use std::io::Write;
use std::time::Instant;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::prelude::*;

#[cfg(feature = "kms")]
mod key_source {
    //! The KMS key source (the `kms` build): fetch at cold start, retry a
    //! `key_unavailable` deny within the request's time, refresh off the
    //! request path, and count failed refreshes for the metrics.
    use super::fail_init;
    use authorizer::event::Handled;
    use authorizer::kms::{self, KmsLoader};
    use authorizer::{Authorizer, Config, Decision, RejectReason, UnixTime};
    use serde_json::Value;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::{Duration, Instant};

    #[derive(Debug)]
    pub(crate) struct Kms {
        loader: KmsLoader,
        failed_refreshes: AtomicU64,
    }

    pub(crate) async fn start(config: &Config, auth: &Authorizer) -> Option<Kms> {
        if config.kms_key_ids.is_empty() {
            return None;
        }
        let loader = KmsLoader::new(
            kms::client().await,
            config.kms_key_ids.clone(),
            config.backend,
        )
        .with_refresh(Some(Duration::from_secs(config.kms_refresh_seconds)))
        .with_max_stale(Duration::from_secs(config.key_max_stale_seconds));
        match loader.load(auth).await {
            Ok(_) => {}
            // KMS answered about the key itself (not found, disabled, wrong
            // spec): a configuration error, named.
            Err(e) if e.is_definitive() => fail_init("Runtime.ConfigError", &e.to_string()),
            Err(e) => {
                tracing::warn!(event = "kms_unavailable", error = %e, "starting without KMS keys; denying with key_unavailable and retrying")
            }
        }
        Some(Kms {
            loader,
            failed_refreshes: AtomicU64::new(0),
        })
    }

    impl Kms {
        /// KMS is retried only for a token that reached key selection
        /// (anything rejected earlier never waits on it), within this
        /// invocation's time.
        pub(crate) async fn retry(
            &self,
            auth: &Authorizer,
            payload: &Value,
            ctx: &lambda_runtime::Context,
            handled: &mut Handled,
        ) {
            if handled.outcome.decision != Decision::Deny(RejectReason::KeyUnavailable) {
                return;
            }
            if let Some(result) = self.loader.retry_before(auth, deadline(ctx)).await {
                match result {
                    Ok(n) => {
                        tracing::info!(event = "kms_loaded", keys = n);
                        *handled = authorizer::event::handle(auth, payload, UnixTime::now());
                    }
                    Err(e) => tracing::warn!(event = "kms_unavailable", error = %e),
                }
            }
        }

        /// Periodic re-fetch (an alias re-pointed, a rotated key): a task of
        /// its own, run while the runtime waits for the next event; this
        /// request is decided with the set in force, and a failure keeps
        /// that set.
        pub(crate) fn refresh_if_due(&'static self, auth: &'static Authorizer) {
            if self.loader.take_due_refresh(auth) {
                tokio::spawn(async move {
                    match self.loader.refresh(auth).await {
                        Ok(report) => {
                            for why in &report.dropped {
                                tracing::warn!(event = "kms_key_dropped", reason = %why);
                            }
                            if let Some(e) = report.kept_stale.first() {
                                // A partial refresh counts as a failed one.
                                self.failed_refreshes.fetch_add(1, Ordering::Relaxed);
                                tracing::warn!(
                                    event = "kms_refresh_failed",
                                    keys_kept_stale = report.kept_stale.len(),
                                    error = %e
                                );
                            }
                            tracing::info!(event = "kms_refreshed", keys = report.keys);
                        }
                        Err(e) => {
                            self.failed_refreshes.fetch_add(1, Ordering::Relaxed);
                            tracing::warn!(
                                event = "kms_refresh_failed",
                                key_set_age_s = e.key_set_age.as_secs(),
                                error = %e.error
                            );
                        }
                    }
                });
            }
        }

        /// The metrics' KMS figures: the key set's age and the refreshes
        /// that failed since the previous call.
        pub(crate) fn figures(&self) -> (Option<Duration>, Option<u64>) {
            (
                self.loader.key_set_age(),
                Some(self.failed_refreshes.swap(0, Ordering::Relaxed)),
            )
        }
    }

    /// The invocation deadline (`Lambda-Runtime-Deadline-Ms`, epoch ms) as an
    /// `Instant`; an unreadable one counts as "no time left".
    fn deadline(ctx: &lambda_runtime::Context) -> Instant {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(u64::MAX, |d| {
                u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
            });
        Instant::now() + Duration::from_millis(ctx.deadline.saturating_sub(now_ms))
    }
}

#[cfg(not(feature = "kms"))]
mod key_source {
    //! The lean build has no KMS key source: `Config` refuses
    //! `JWT_KMS_KEY_IDS` at cold start, so there is never a `Kms` value.
    use authorizer::event::Handled;
    use authorizer::{Authorizer, Config};
    use serde_json::Value;
    use std::time::Duration;

    #[derive(Debug)]
    pub(crate) enum Kms {}

    #[allow(clippy::unused_async)]
    pub(crate) async fn start(_: &Config, _: &Authorizer) -> Option<Kms> {
        None
    }

    impl Kms {
        #[allow(clippy::unused_async)]
        pub(crate) async fn retry(
            &self,
            _: &Authorizer,
            _: &Value,
            _: &lambda_runtime::Context,
            _: &mut Handled,
        ) {
            match *self {}
        }

        pub(crate) fn refresh_if_due(&'static self, _: &'static Authorizer) {
            match *self {}
        }

        pub(crate) fn figures(&self) -> (Option<Duration>, Option<u64>) {
            match *self {}
        }
    }
}

use key_source::Kms;

/// The function error API Gateway REST APIs map to 401.
#[derive(Debug)]
struct Deny(Unauthorized);

impl From<Deny> for Diagnostic {
    fn from(_: Deny) -> Self {
        Diagnostic {
            error_type: "Unauthorized".into(),
            error_message: "Unauthorized".into(),
        }
    }
}

/// Which events reach the log: `info` and above (lambda_runtime logs the raw
/// event at `trace`), except the runtime's ERROR line for a handler `Err`.
/// The handler's only `Err` is the REST deny (`Unauthorized`), already
/// logged once at `info` by the decision line; a deny is client input, not
/// an error anyone should be paged for. The runtime's panic line (which has
/// an `error` field) is kept; release builds abort on panic anyway.
fn keep(meta: &tracing::Metadata<'_>) -> bool {
    let handler_err = meta.target().starts_with("lambda_runtime::layers::panic")
        && *meta.level() == tracing::Level::ERROR
        && meta.fields().field("error").is_none();
    *meta.level() <= tracing::Level::INFO && !handler_err
}

/// Screens the raw payload before lambda_runtime deserializes it: an event
/// that is too large, not UTF-8 or not JSON (`\ud800`, `1e400`, nesting of
/// 128+ levels, trailing text) would otherwise be an invocation error. It is
/// replaced by a small marker event that the handler denies with
/// `bad_event`, naming only the refusal's category — never any part of the
/// event itself.
#[derive(Debug, Clone, Copy)]
struct ScreenLayer;

impl<S> Layer<S> for ScreenLayer {
    type Service = Screen<S>;
    fn layer(&self, inner: S) -> Screen<S> {
        Screen(inner)
    }
}

#[derive(Debug)]
struct Screen<S>(S);

impl<S: Service<LambdaInvocation>> Service<LambdaInvocation> for Screen<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, mut invocation: LambdaInvocation) -> Self::Future {
        if let Err(refusal) = event::screen(&invocation.body) {
            invocation.body = refusal.marker_event().as_bytes().into();
        }
        self.0.call(invocation)
    }
}

struct State {
    auth: Authorizer,
    kms: Option<Kms>,
    /// `None` with `JWT_METRICS=off`.
    emf: Option<Emf>,
}

fn main() {
    let started = Instant::now();
    let json_lines = tracing_subscriber::fmt::layer()
        .json()
        .with_ansi(false)
        .with_current_span(false)
        .with_span_list(false)
        .with_target(false)
        .flatten_event(true)
        .with_writer(std::io::stdout);
    tracing_subscriber::registry()
        .with(json_lines.with_filter(filter_fn(keep)))
        .init();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => fail_init("Runtime.TokioError", &e.to_string()),
    };
    runtime.block_on(serve(started));
}

async fn serve(started: Instant) {
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => fail_init("Runtime.ConfigError", &e.to_string()),
    };
    for warning in config.warnings() {
        tracing::warn!(event = "config_warning", "{warning}");
    }
    let auth = Authorizer::new(&config);
    let kms = key_source::start(&config, &auth).await;
    let emf = config.metrics_namespace.as_ref().map(|ns| {
        Emf::new(
            ns.clone(),
            std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_default(),
        )
    });
    let sources: Vec<&str> = [
        (!config.static_keys.is_empty()).then_some("static"),
        (!config.kms_key_ids.is_empty()).then_some("kms"),
    ]
    .into_iter()
    .flatten()
    .collect();
    tracing::info!(
        event = "cold_start",
        key_sources = sources.join(","),
        static_keys = config.static_keys.len(),
        kms_keys = config.kms_key_ids.len(),
        keys_ready = auth.keys_ready(),
        backend = config.backend.name(),
        kms_build = cfg!(feature = "kms"),
        metrics = config.metrics_namespace.as_deref().unwrap_or("off"),
        init_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
    );
    // The state lives as long as the process; 'static so a KMS refresh can
    // run as a task of its own, off the request path.
    let state: &'static State = Box::leak(Box::new(State { auth, kms, emf }));
    let result = Runtime::new(service_fn(move |ev: LambdaEvent<Value>| async move {
        handle(state, ev).await
    }))
    .layer(lambda_runtime::layers::TracingLayer::new())
    .layer(ScreenLayer)
    .run()
    .await;
    if let Err(e) = result {
        tracing::error!(event = "runtime_error", error = %e);
        std::process::exit(1);
    }
}

async fn handle(
    state: &'static State,
    ev: LambdaEvent<Value>,
) -> Result<Box<serde_json::value::RawValue>, Deny> {
    let start = Instant::now();
    let mut handled = event::handle(&state.auth, &ev.payload, UnixTime::now());
    if let Some(kms) = &state.kms {
        kms.retry(&state.auth, &ev.payload, &ev.context, &mut handled)
            .await;
        kms.refresh_if_due(&state.auth);
    }
    let o = &handled.outcome;
    let elapsed = start.elapsed();
    let apigw_request_id = ev
        .payload
        .pointer("/requestContext/requestId")
        .and_then(Value::as_str);
    tracing::info!(
        event = "decision",
        outcome = if o.decision.is_allow() { "allow" } else { "deny" },
        reason = o.decision.reason().map(|r| r.as_str()),
        kid = o.key.as_deref(),
        cache = if o.cache_hit { "hit" } else { "miss" },
        latency_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
        verify_us = o.verify_time.map(|t| u64::try_from(t.as_micros()).unwrap_or(u64::MAX)),
        shape = handled.kind.as_str(),
        refused = event::Refusal::of_marker(&ev.payload).map(event::Refusal::as_str),
        request_id = %ev.context.request_id,
        apigw_request_id,
        trace_id = ev.context.xray_trace_id.as_deref(),
    );
    if let Some(emf) = &state.emf {
        let (key_set_age, refresh_failures) = state.kms.as_ref().map_or((None, None), Kms::figures);
        let sample = Sample {
            outcome: o,
            decision_time: elapsed,
            key_set_age,
            refresh_failures,
        };
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        // One write per line: the decision line went out just before, on
        // this same thread, so the two never interleave.
        let mut line = emf.line(&sample, now_ms);
        line.push('\n');
        let _ = std::io::stdout().lock().write_all(line.as_bytes());
    }
    handled.response.map_err(Deny)
}

/// Reports a fatal init error to the Runtime API (so Lambda records
/// `Runtime.InitError` with our message) and exits.
fn fail_init(error_type: &str, message: &str) -> ! {
    tracing::error!(event = "init_error", error_type, error = message);
    if let Ok(api) = std::env::var("AWS_LAMBDA_RUNTIME_API") {
        let body =
            serde_json::json!({ "errorType": error_type, "errorMessage": message }).to_string();
        if let Ok(mut stream) = std::net::TcpStream::connect(&api) {
            let _ = write!(
                stream,
                "POST /2018-06-01/runtime/init/error HTTP/1.1\r\nHost: {api}\r\nLambda-Runtime-Function-Error-Type: {error_type}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = std::io::Read::read(&mut stream, &mut [0u8; 256]);
        }
    }
    std::process::exit(1);
}
