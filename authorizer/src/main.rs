//! The Lambda binary: init tracing, build the validated `Config` and the
//! `Authorizer` (keys parsed or fetched once, here), then serve events over
//! the Lambda Runtime API.

use authorizer::event::{self, Unauthorized};
use authorizer::kms::{self, KmsError, KmsLoader};
use authorizer::{Authorizer, Config, UnixTime};
use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde_json::Value;
use std::io::Write;
use std::time::Instant;

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

struct State {
    auth: Authorizer,
    kms: Option<KmsLoader>,
}

fn main() {
    let started = Instant::now();
    tracing_subscriber::fmt()
        .json()
        .with_ansi(false)
        .with_current_span(false)
        .with_span_list(false)
        .with_target(false)
        .flatten_event(true)
        .with_writer(std::io::stdout)
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
    let kms = if config.kms_key_ids.is_empty() {
        None
    } else {
        let loader = KmsLoader::new(
            kms::client().await,
            config.kms_key_ids.clone(),
            config.backend,
        );
        match loader.load(&auth).await {
            Ok(_) => {}
            Err(e @ KmsError::WrongKey { .. }) => fail_init("Runtime.ConfigError", &e.to_string()),
            Err(e) => {
                tracing::warn!(event = "kms_unavailable", error = %e, "starting without KMS keys; denying with key_unavailable and retrying")
            }
        }
        Some(loader)
    };
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
        init_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
    );
    let state = State { auth, kms };
    let state = &state;
    let result = lambda_runtime::run(service_fn(move |ev: LambdaEvent<Value>| async move {
        handle(state, ev).await
    }))
    .await;
    if let Err(e) = result {
        tracing::error!(event = "runtime_error", error = %e);
        std::process::exit(1);
    }
}

async fn handle(state: &State, ev: LambdaEvent<Value>) -> Result<Value, Deny> {
    let start = Instant::now();
    if let Some(loader) = &state.kms {
        if let Some(result) = loader.retry_if_due(&state.auth).await {
            match result {
                Ok(n) => tracing::info!(event = "kms_loaded", keys = n),
                Err(e) => tracing::warn!(event = "kms_unavailable", error = %e),
            }
        }
    }
    let handled = event::handle(&state.auth, &ev.payload, UnixTime::now());
    let o = &handled.outcome;
    tracing::info!(
        event = "decision",
        outcome = if o.decision.is_allow() { "allow" } else { "deny" },
        reason = o.decision.reason().map(|r| r.as_str()),
        kid = o.key.as_deref(),
        cache = if o.cache_hit { "hit" } else { "miss" },
        latency_us = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX),
        shape = handled.kind.as_str(),
        request_id = %ev.context.request_id,
    );
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
