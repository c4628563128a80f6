//! `harness gateway`: flags over the TOML file into a `GatewayConfig`, the start-up preflight, then serve until Ctrl-C.

use crate::{non_negative, positive, CliError, Outcome};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// The settings a control plane's definition gives (--api-id,
/// --rest-api-id): their flags would contradict it.
const FROM_CONTROL_PLANE: [&str; 13] = [
    "env",
    "env_file",
    "routes",
    "public_routes",
    "identity_sources",
    "cache_ttl",
    "rate",
    "burst",
    "route_throttles",
    "payload",
    "policy_responses",
    "log_group",
    "function_name",
];

#[derive(Args, Debug)]
pub(crate) struct GatewayArgs {
    /// The authorizer binary (default: target/release/authorizer, else debug).
    #[arg(long)]
    pub(crate) authorizer: Option<PathBuf>,
    /// A TOML file with any of the settings below (flags win).
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
    /// KEY=VALUE lines for the function's environment.
    #[arg(long)]
    pub(crate) env_file: Option<PathBuf>,
    /// One function environment variable, KEY=VALUE (repeatable).
    #[arg(long = "env")]
    pub(crate) env: Vec<String>,
    /// Listen address.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub(crate) listen: String,
    /// Stage name ($default serves at /, others at /STAGE/).
    #[arg(long)]
    pub(crate) stage: Option<String>,
    /// Routes, replacing the defaults (`GET /hello`, `ANY /{proxy+}`, `$default`); repeatable.
    #[arg(long = "route")]
    pub(crate) routes: Vec<String>,
    /// Routes served without the authorizer; repeatable.
    #[arg(long = "public-route")]
    pub(crate) public_routes: Vec<String>,
    /// Identity sources (default $request.header.Authorization); repeatable.
    #[arg(long = "identity-source")]
    pub(crate) identity_sources: Vec<String>,
    /// Authorizer result cache TTL, 0-3600 s (0 disables).
    #[arg(long, allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub(crate) cache_ttl: Option<u64>,
    /// Stage default throttle rate (requests/s; 0 throttles everything).
    #[arg(long, allow_negative_numbers = true, value_parser = non_negative)]
    pub(crate) rate: Option<f64>,
    /// Stage default throttle burst (0 throttles everything).
    #[arg(long, allow_negative_numbers = true, value_parser = non_negative)]
    pub(crate) burst: Option<f64>,
    /// Per-route throttle, "ROUTE KEY=RATE:BURST" (repeatable).
    #[arg(long = "route-throttle")]
    pub(crate) route_throttles: Vec<String>,
    /// Turn the account-level bucket (10000 rps / 5000 burst) off.
    #[arg(long)]
    pub(crate) no_account_throttle: bool,
    /// Reserved concurrency of the authorizer function.
    #[arg(long)]
    pub(crate) reserved_concurrency: Option<usize>,
    /// Reclaim environments idle this many seconds.
    #[arg(long, allow_negative_numbers = true, value_parser = positive)]
    pub(crate) idle_timeout: Option<f64>,
    /// Authorizer payload: 2.0 (HTTP API REQUEST), 1.0 or TOKEN (REST-style
    /// TOKEN), REQUEST (a REST API's REQUEST authorizer, with REST
    /// responses).
    #[arg(long)]
    pub(crate) payload: Option<String>,
    /// Expect IAM-policy responses instead of simple ones (payload 2.0).
    #[arg(long)]
    pub(crate) policy_responses: bool,
    /// Authorizer timeout in ms (HTTP APIs: 10000).
    #[arg(long, allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(1..=30_000))]
    pub(crate) timeout_ms: Option<u64>,
    /// Status for an `Unauthorized` function error on payload 2.0 (UNCONFIRMED on AWS).
    #[arg(long, allow_negative_numbers = true, value_parser = clap::value_parser!(u16).range(100..=599))]
    pub(crate) unauthorized_status: Option<u16>,
    /// Forward allowed requests to this URL instead of the built-in echo.
    #[arg(long)]
    pub(crate) upstream: Option<String>,
    /// Do not print REPORT lines.
    #[arg(long)]
    pub(crate) quiet: bool,
    /// Copy the function's own log lines to stderr.
    #[arg(long)]
    pub(crate) function_logs: bool,
    /// Ship each environment's output and a REPORT record per invocation
    /// into this CloudWatch Logs group (it must exist), as Lambda does.
    #[arg(long)]
    pub(crate) log_group: Option<String>,
    /// The CloudWatch Logs endpoint for --log-group (moto); default: the
    /// SDK environment.
    #[arg(long, requires = "log_group")]
    pub(crate) logs_endpoint_url: Option<String>,
    /// Follow this Lambda function's configuration (moto): a change
    /// (UpdateFunctionConfiguration) retires every execution environment.
    #[arg(long)]
    pub(crate) function_name: Option<String>,
    /// The Lambda endpoint for --function-name (moto); default: the SDK
    /// environment.
    #[arg(long, requires = "function_name")]
    pub(crate) lambda_endpoint_url: Option<String>,
    /// Serve this HTTP API as registered in the control plane (moto's, or
    /// AWS's): routes, authorizer (TTL, identity sources, payload) and stage
    /// throttling from API Gateway v2, the authorizer function's environment
    /// and log group from Lambda, followed while serving; logs are shipped
    /// to that group.
    #[arg(
        long,
        group = "control_plane",
        conflicts_with_all = FROM_CONTROL_PLANE
    )]
    pub(crate) api_id: Option<String>,
    /// Serve this REST API (API Gateway v1) as registered in the control
    /// plane: resources and methods, each method's TOKEN or REQUEST
    /// authorizer (identity source, validation expression, TTL) and the
    /// stage's method throttling, read at start; the function as for
    /// --api-id, followed while serving.
    #[arg(
        long,
        group = "control_plane",
        conflicts_with_all = FROM_CONTROL_PLANE
    )]
    pub(crate) rest_api_id: Option<String>,
    /// The control plane's endpoint for --api-id or --rest-api-id (e.g.
    /// moto's URL); default: the SDK environment (AWS_ENDPOINT_URL, or AWS
    /// itself).
    #[arg(long, requires = "control_plane")]
    pub(crate) endpoint_url: Option<String>,
}

pub(crate) fn gateway_config(a: GatewayArgs) -> Result<emulator::config::GatewayConfig, CliError> {
    use emulator::config::{parse_env_file, GatewayConfig, PayloadVersion, RouteConfig};
    let mut c = match &a.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
            toml::from_str::<GatewayConfig>(&text)
                .map_err(|e| CliError::usage(format!("{}: {}", path.display(), e.message())))?
        }
        None => GatewayConfig::default(),
    };
    c.authorizer = match a.authorizer {
        Some(p) => p,
        None if a.config.is_some() && c.authorizer.is_file() => c.authorizer.clone(),
        None => harness::binary::authorizer_binary(true)?,
    };
    if let Some(path) = &a.env_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
        c.env.extend(
            parse_env_file(&text)
                .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?,
        );
    }
    for kv in &a.env {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| CliError::usage(format!("--env needs KEY=VALUE, got {kv:?}")))?;
        c.env.push((k.to_owned(), v.to_owned()));
    }
    c.listen = a.listen;
    if let Some(s) = a.stage {
        c.stage = s;
    }
    if !a.routes.is_empty() || !a.public_routes.is_empty() {
        c.routes = a
            .routes
            .iter()
            .map(|k| RouteConfig::new(k.clone(), true))
            .collect();
        c.routes.extend(
            a.public_routes
                .iter()
                .map(|k| RouteConfig::new(k.clone(), false)),
        );
    }
    for spec in &a.route_throttles {
        let (key, limit) = spec.rsplit_once('=').ok_or_else(|| {
            CliError::usage(format!(
                "--route-throttle needs \"ROUTE=RATE:BURST\", got {spec:?}"
            ))
        })?;
        let (rate, burst) = limit.split_once(':').ok_or_else(|| {
            CliError::usage(format!("--route-throttle needs RATE:BURST, got {limit:?}"))
        })?;
        let rate = non_negative(rate)
            .map_err(|e| CliError::usage(format!("--route-throttle {spec:?}: rate {e}")))?;
        let burst = non_negative(burst)
            .map_err(|e| CliError::usage(format!("--route-throttle {spec:?}: burst {e}")))?;
        let route = c
            .routes
            .iter_mut()
            .find(|r| r.key == key)
            .ok_or_else(|| CliError::usage(format!("--route-throttle: no route {key:?}")))?;
        route.rate = Some(rate);
        route.burst = Some(burst);
    }
    if !a.identity_sources.is_empty() {
        c.identity_sources = a.identity_sources;
    }
    if let Some(t) = a.cache_ttl {
        c.cache_ttl_seconds = t;
    }
    c.rate = a.rate.or(c.rate);
    c.burst = a.burst.or(c.burst);
    if a.no_account_throttle {
        c.account_throttle = false;
    }
    c.reserved_concurrency = a.reserved_concurrency.or(c.reserved_concurrency);
    if let Some(t) = a.idle_timeout {
        c.idle_timeout_seconds = t;
    }
    match a.payload.as_deref() {
        None => {}
        Some("2.0") => c.payload = PayloadVersion::V2,
        Some("1.0" | "TOKEN") => c.payload = PayloadVersion::V1Token,
        Some("REQUEST") => {
            c.payload = PayloadVersion::RestRequest;
            c.api_type = emulator::config::ApiType::Rest;
        }
        Some(other) => {
            return Err(CliError::usage(format!(
                "--payload must be 2.0, 1.0 (TOKEN) or REQUEST (REST), got {other:?}"
            )))
        }
    }
    if a.policy_responses {
        c.simple_responses = false;
    }
    if let Some(t) = a.timeout_ms {
        c.authorizer_timeout_ms = t;
    }
    if let Some(s) = a.unauthorized_status {
        c.unauthorized_error_status = s;
    }
    c.upstream = a.upstream.or(c.upstream);
    c.log_reports = !a.quiet;
    c.echo_function_logs = a.function_logs;
    c.log_group = a.log_group.or(c.log_group);
    c.logs_endpoint_url = a.logs_endpoint_url.or(c.logs_endpoint_url);
    c.lambda_function = a.function_name.or(c.lambda_function);
    c.lambda_endpoint_url = a.lambda_endpoint_url.or(c.lambda_endpoint_url);
    c.control_plane_api = a.api_id.or(c.control_plane_api);
    c.control_plane_rest_api = a.rest_api_id.or(c.control_plane_rest_api);
    c.endpoint_url = a.endpoint_url.or(c.endpoint_url);
    Ok(c)
}

pub(crate) async fn gateway(args: GatewayArgs) -> Outcome {
    let mut cfg = gateway_config(args)?;
    cfg.validate()?;
    // The function as the control plane describes it, when serving one
    // (read once: the gateway starts from what was read here).
    let registered = emulator::gateway::resolve(&mut cfg).await?;
    preflight(&cfg).await?;
    let gw = emulator::gateway::Gateway::start_resolved(cfg, registered).await?;
    eprintln!("{}", gw.banner());
    super::signals::install()?;
    super::signals::wait().await;
    eprintln!(
        "stopping: {}",
        serde_json::to_string(&gw.stats()).unwrap_or_default()
    );
    gw.stop().await;
    Ok(ExitCode::SUCCESS)
}

/// Starts one execution environment with the gateway's function settings and
/// stops it again, so a configuration the authorizer refuses (a missing
/// `JWT_ISSUER`, a bad key) is an error at start-up rather than a 500 on the
/// first request. The first request still gets a cold start of its own.
pub(crate) async fn preflight(cfg: &emulator::config::GatewayConfig) -> Result<(), CliError> {
    use emulator::lambda::{Environment, FunctionConfig};
    let mut f = FunctionConfig::new(&cfg.authorizer);
    f.env.clone_from(&cfg.env);
    f.memory_mb = cfg.memory_mb;
    f.region.clone_from(&cfg.region);
    match Environment::start(&f).await {
        Ok(env) => {
            env.stop().await;
            Ok(())
        }
        Err(e) => Err(CliError::usage(format!(
            "the authorizer {} does not start with this configuration: {e}",
            cfg.authorizer.display()
        ))),
    }
}
