//! `harness gateway`: a local API Gateway HTTP API with a Lambda REQUEST
//! authorizer, run as real processes of the authorizer binary. Per request
//! (`apigw-lambda-spec.md` §8): match the route → throttle (route/stage
//! bucket inside the account bucket; 429) → resolve identity sources
//! (missing → 401, no invocation) → result cache → invoke (no environment
//! within reserved concurrency → 500) → interpret the answer (error,
//! timeout or malformed → 500, not cached; deny → 403, cached; allow → the
//! integration).
//!
//! By job, lowest first: `state` (what a running gateway holds), `http`
//! (requests and responses), `event` (the authorizer's payload),
//! `authorize` (cache, invoke, interpret), `integrate`, `pipeline` (one
//! request's walk), `serve` (accept loop and control routes), `resolve` (the
//! control plane read at start), `follow` (followed while serving), and this file:
//! the [`Gateway`]'s start, banner and stop.

mod authorize;
pub mod control_plane;
mod event;
mod follow;
mod http;
mod integrate;
mod pipeline;
pub mod policy;
pub mod pool;
mod resolve;
pub mod rest_control_plane;
pub mod routes;
mod serve;
mod state;
pub mod stats;
pub mod throttle;

use crate::config::Limit;
use crate::config::{ApiType, GatewayConfig, PayloadVersion};
use crate::lambda::FunctionConfig;
use follow::{follow_api, follow_function};
use pool::Pool;
pub use resolve::resolve;
use serve::{accept_loop, reset};
use state::State;
use stats::Stats;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use throttle::{route_limits, Bucket};
use tokio::net::TcpListener;

pub(super) fn payload_name(p: PayloadVersion) -> &'static str {
    match p {
        PayloadVersion::V2 => "2.0",
        PayloadVersion::V1Token => "1.0 TOKEN",
        PayloadVersion::RestRequest => "REST REQUEST",
    }
}

/// A running emulator.
pub struct Gateway {
    addr: SocketAddr,
    state: Arc<State>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// Validates the configuration, binds the listener and starts serving.
    /// No environment is started until the first request needs one.
    ///
    /// # Errors
    /// A one-line message: bad configuration or address in use.
    pub async fn start(mut cfg: GatewayConfig) -> crate::Result<Self> {
        let registered = resolve(&mut cfg).await?;
        Self::start_resolved(cfg, registered).await
    }

    /// [`Gateway::start`] for a configuration already resolved with
    /// [`resolve`] (`registered`: what it returned, followed
    /// while serving).
    ///
    /// # Errors
    /// As [`Gateway::start`].
    pub async fn start_resolved(
        cfg: GatewayConfig,
        registered: Option<(aws_sdk_apigatewayv2::Client, control_plane::Registered)>,
    ) -> crate::Result<Self> {
        cfg.validate()?;
        if !cfg.authorizer.is_file() {
            return Err(crate::Error::unavailable(format!(
                "authorizer binary {} not found (cargo build --release -p authorizer)",
                cfg.authorizer.display()
            )));
        }
        let listener = TcpListener::bind(&cfg.listen)
            .await
            .map_err(|e| crate::Error::io(format!("cannot listen on {}", cfg.listen), e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| crate::Error::io("listener address", e))?;
        let routes: Vec<routes::Route> = cfg
            .routes
            .iter()
            .map(|r| routes::Route::parse(&r.key))
            .collect();
        // A followed stage may gain limits later: every route gets a bucket.
        let route_buckets =
            route_limits(&cfg.routes, cfg.stage_limit(), &cfg, registered.is_some())
                .into_iter()
                .map(|l| l.map(Bucket::new))
                .collect();
        let validations = cfg
            .routes
            .iter()
            .map(|r| {
                r.authorizer
                    .as_ref()
                    .and_then(|a| a.validation_expression.as_deref())
                    .map(crate::config::validation_regex)
                    .transpose()
                    .map_err(crate::Error::invalid)
            })
            .collect::<crate::Result<Vec<_>>>()?;
        let account = cfg.account_throttle.then(|| {
            Bucket::new(Limit {
                rate: cfg.account_rate,
                burst: cfg.account_burst,
            })
        });
        let mut function = FunctionConfig::new(&cfg.authorizer);
        function.env.clone_from(&cfg.env);
        function.memory_mb = cfg.memory_mb;
        function.timeout = cfg.authorizer_timeout();
        function.region.clone_from(&cfg.region);
        function.echo_logs = cfg.echo_function_logs;
        let mut tasks = Vec::new();
        let logs = match &cfg.log_group {
            Some(group) => {
                let client = crate::cwlogs::client(cfg.logs_endpoint_url.as_deref()).await;
                let (sink, shipper) = crate::cwlogs::ship(client, group.clone());
                tasks.push(shipper);
                function.log_sink = Some(sink.clone());
                let date = crate::civil_time::utc_date(crate::civil_time::now_ms() / 1000);
                Some((sink, format!("{date}/[$LATEST]platform")))
            }
            None => None,
        };
        let pool = Pool::new(
            function,
            cfg.reserved_concurrency,
            Duration::from_secs_f64(cfg.idle_timeout_seconds),
        );
        let upstream = match &cfg.upstream {
            Some(_) => Some(
                reqwest::Client::builder()
                    .timeout(Duration::from_secs(30))
                    .build()?,
            ),
            None => None,
        };
        let state = Arc::new(State {
            ttl: AtomicU64::new(cfg.cache_ttl_seconds),
            routes,
            route_buckets,
            account,
            pool,
            cache: Mutex::new(HashMap::new()),
            validations,
            stats: Stats::default(),
            seq: AtomicU64::new(1),
            upstream,
            logs,
            cfg,
        });
        let accept = tokio::spawn(accept_loop(listener, Arc::clone(&state)));
        let reaper_state = Arc::clone(&state);
        let reaper = tokio::spawn(async move {
            let every = Duration::from_secs_f64(
                (reaper_state.cfg.idle_timeout_seconds / 4.0).clamp(0.05, 30.0),
            );
            loop {
                tokio::time::sleep(every).await;
                reaper_state.pool.reclaim_idle().await;
            }
        });
        tasks.extend([accept, reaper]);
        if let Some(function) = state.cfg.lambda_function.clone() {
            tasks.push(tokio::spawn(follow_function(
                Arc::clone(&state),
                function,
                state.cfg.lambda_endpoint_url.clone(),
                registered.is_some(),
            )));
        }
        if let Some((apigw, r)) = registered {
            tasks.push(tokio::spawn(follow_api(Arc::clone(&state), apigw, r)));
        }
        Ok(Self { addr, state, tasks })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR` (plus `/{stage}` for a named stage).
    pub fn base_url(&self) -> String {
        if self.state.cfg.stage == "$default" {
            format!("http://{}", self.addr)
        } else {
            format!("http://{}/{}", self.addr, self.state.cfg.stage)
        }
    }

    /// The current counters.
    pub fn stats(&self) -> stats::Snapshot {
        self.state.stats.snapshot(self.state.pool.live())
    }

    /// Drops the cache and every environment (the next request is cold).
    pub async fn reset(&self) {
        reset(&self.state, false).await;
    }

    /// The effective settings, for the startup banner.
    pub fn banner(&self) -> String {
        let c = &self.state.cfg;
        let throttle = |l: Option<Limit>| {
            l.map_or("none".to_owned(), |l| {
                format!("{} rps / burst {}", l.rate, l.burst)
            })
        };
        format!(
            "API Gateway + Lambda emulator listening on {}\n  stage {} · routes {} · identity sources {}\n  authorizer {} · payload {} · {} responses · cache TTL {} s · timeout {} ms\n  throttle: stage {} · account {} · reserved concurrency {} · idle reclaim {} s\n  control: GET {}/__emulator/stats · POST {}/__emulator/reset",
            self.base_url(),
            c.stage,
            c.routes.iter().map(|r| format!("{}{}", r.key, match (&r.authorizer, r.authorized) {
                (_, false) => " (public)".to_owned(),
                (Some(a), true) => format!(" ({} authorizer {}, {}, TTL {} s{})", payload_name(a.payload), a.id, a.identity_sources.join(", "), a.ttl_seconds, a.validation_expression.as_ref().map_or(String::new(), |e| format!(", validation {e}"))),
                (None, true) => String::new(),
            })).collect::<Vec<_>>().join(", "),
            c.identity_sources.join(", "),
            c.authorizer.display(),
            payload_name(c.payload),
            if c.simple_responses { "simple" } else { "IAM policy" },
            self.state.ttl.load(Ordering::SeqCst),
            c.authorizer_timeout_ms,
            throttle(c.stage_limit()),
            if c.account_throttle { format!("{} rps / burst {}", c.account_rate, c.account_burst) } else { "off".into() },
            c.reserved_concurrency.map_or("unlimited".into(), |n| n.to_string()),
            c.idle_timeout_seconds,
            format_args!("http://{}", self.addr),
            format_args!("http://{}", self.addr),
        ) + &c.control_plane_api.as_ref().or(c.control_plane_rest_api.as_ref()).map_or(String::new(), |api| {
            format!(
                "\n  control plane {}: {} {api} · function {} · logs to {} (followed)",
                c.endpoint_url.as_deref().unwrap_or("from the SDK environment"),
                if c.api_type == ApiType::Rest { "REST API (read at start)" } else { "HTTP API" },
                c.lambda_function.as_deref().unwrap_or("?"),
                c.log_group.as_deref().unwrap_or("?"),
            )
        })
    }

    /// Stops serving and stops every environment by PID (after the last
    /// log batch was shipped, when shipping).
    pub async fn stop(self) {
        if self.state.logs.is_some() {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        for t in &self.tasks {
            t.abort();
        }
        self.state.pool.reset().await;
    }
}
