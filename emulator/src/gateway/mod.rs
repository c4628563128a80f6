//! `harness gateway`: a local API Gateway HTTP API with a Lambda REQUEST
//! authorizer, run as real processes of the authorizer binary. Per request
//! (`apigw-lambda-spec.md` §8): match the route → throttle (route/stage
//! bucket inside the account bucket; 429) → resolve identity sources
//! (missing → 401, no invocation) → result cache → invoke (no environment
//! within reserved concurrency → 500) → interpret the answer (error,
//! timeout or malformed → 500, not cached; deny → 403, cached; allow → the
//! integration).

pub mod control_plane;
pub mod policy;
pub mod pool;
pub mod rest_control_plane;
pub mod routes;
pub mod stats;
pub mod throttle;

use crate::config::Limit;
use crate::config::{ApiType, GatewayConfig, PayloadVersion, RouteConfig};
use crate::lambda::{FunctionConfig, InvokeResult};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use pool::{InvokeFailure, Pool};
use serde_json::{json, Map, Value};
use stats::Stats;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use throttle::Bucket;
use tokio::net::TcpListener;

/// Largest request payload API Gateway accepts (10 MB).
const MAX_BODY: usize = 10 * 1024 * 1024;

/// What the cache holds: the authorizer's verdict and context.
#[derive(Debug, Clone)]
enum Verdict {
    Simple {
        allow: bool,
        context: Value,
    },
    Policy {
        document: Value,
        context: Value,
        principal: Value,
    },
}

fn payload_name(p: PayloadVersion) -> &'static str {
    match p {
        PayloadVersion::V2 => "2.0",
        PayloadVersion::V1Token => "1.0 TOKEN",
        PayloadVersion::RestRequest => "REST REQUEST",
    }
}

/// The authorizer a route uses, with its settings resolved.
struct Effective<'a> {
    /// Cache namespace (the authorizer's id; empty for the gateway-wide one).
    id: &'a str,
    payload: PayloadVersion,
    identity_sources: &'a [String],
    ttl: u64,
    validation: Option<&'a regex_lite::Regex>,
}

struct State {
    cfg: GatewayConfig,
    /// The authorizer's result TTL in seconds (followed in the control plane).
    ttl: AtomicU64,
    routes: Vec<routes::Route>,
    route_buckets: Vec<Option<Bucket>>,
    account: Option<Bucket>,
    pool: Pool,
    cache: Mutex<HashMap<String, (Instant, Verdict)>>,
    /// Per route: its TOKEN authorizer's compiled validation expression.
    validations: Vec<Option<regex_lite::Regex>>,
    stats: Stats,
    seq: AtomicU64,
    upstream: Option<reqwest::Client>,
    /// CloudWatch Logs shipping: the sink and the stream REPORT records go to.
    logs: Option<(crate::cwlogs::LogSink, String)>,
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

/// For a configuration naming a control-plane API (`control_plane_api`,
/// an HTTP API; `control_plane_rest_api`, a REST API): reads the API and
/// applies it onto `cfg`; returns the client and what was read, to follow
/// (HTTP APIs; a REST API's definition is read once).
///
/// # Errors
/// As [`control_plane::read`] and [`rest_control_plane::read`].
pub async fn resolve(
    cfg: &mut GatewayConfig,
) -> crate::Result<Option<(aws_sdk_apigatewayv2::Client, control_plane::Registered)>> {
    if let Some(api) = cfg.control_plane_rest_api.clone() {
        let conf = crate::sdk::config(cfg.endpoint_url.as_deref()).await;
        let r = rest_control_plane::read(
            &aws_sdk_apigateway::Client::new(&conf),
            &aws_sdk_lambda::Client::new(&conf),
            &api,
            &cfg.stage,
        )
        .await?;
        rest_control_plane::apply(cfg, &r);
        cfg.api_id = api;
        return Ok(None);
    }
    let Some(api) = cfg.control_plane_api.clone() else {
        return Ok(None);
    };
    let (apigw, lambda) = control_plane::clients(cfg.endpoint_url.as_deref()).await;
    let r = control_plane::read(&apigw, &lambda, &api, &cfg.stage).await?;
    control_plane::apply(cfg, &r);
    cfg.api_id = api;
    Ok(Some((apigw, r)))
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

/// Follows the function's configuration in the Lambda API (moto): a new
/// `RevisionId`, `LastModified` or environment retires every execution
/// environment, so the next requests are cold starts, as after
/// `UpdateFunctionConfiguration` on AWS; with `take_env` (an API served
/// from the control plane) the new environment is the one they start with.
/// Polled every 50 ms; the first read only records the revision.
async fn follow_function(
    state: Arc<State>,
    function: String,
    endpoint: Option<String>,
    take_env: bool,
) {
    let client = aws_sdk_lambda::Client::new(&crate::sdk::config(endpoint.as_deref()).await);
    let mut seen: Option<String> = None;
    let mut warned = false;
    loop {
        match client
            .get_function_configuration()
            .function_name(&function)
            .send()
            .await
        {
            Ok(out) => {
                // moto keeps RevisionId across updates; the environment and
                // LastModified change with each one.
                let mut vars: Vec<(String, String)> = out
                    .environment()
                    .and_then(|e| e.variables())
                    .map(|v| v.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default();
                vars.sort();
                let revision = Some(format!(
                    "{:?} {:?} {vars:?}",
                    out.revision_id(),
                    out.last_modified()
                ));
                if seen.is_some() && revision != seen {
                    if take_env {
                        state.pool.set_env(vars).await;
                    } else {
                        state.pool.reset().await;
                    }
                }
                seen = revision;
            }
            Err(e) if !warned => {
                warned = true;
                eprintln!(
                    "following function {function}: {}",
                    authorizer::aws_error::describe("Lambda", "GetFunctionConfiguration", &e)
                );
            }
            Err(_) => {}
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Each route's limit: its own, else the stage default; with `always`, the
/// account limit where neither is set (so a limit can arrive later).
fn route_limits(
    routes: &[RouteConfig],
    stage: Option<Limit>,
    cfg: &GatewayConfig,
    always: bool,
) -> Vec<Option<Limit>> {
    let account = Limit {
        rate: cfg.account_rate,
        burst: cfg.account_burst,
    };
    routes
        .iter()
        .map(|r| match (r.rate, r.burst, stage) {
            (None, None, None) if !always => None,
            (rate, burst, stage) => {
                let base = stage.unwrap_or(account);
                Some(Limit {
                    rate: rate.unwrap_or(base.rate),
                    burst: burst.unwrap_or(base.burst),
                })
            }
        })
        .collect()
}

/// Follows the authorizer (`GetAuthorizer`: result TTL) and the stage
/// (`GetStage`: throttling) of an API served from the control plane,
/// every 500 ms. A new TTL empties the cache; new limits apply at once,
/// each bucket starting full. Routes, identity sources and payload are
/// read once, at start.
async fn follow_api(
    state: Arc<State>,
    apigw: aws_sdk_apigatewayv2::Client,
    mut seen: control_plane::Registered,
) {
    let api = state.cfg.api_id.clone();
    let mut warned = false;
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let read = async {
            let a = control_plane::authorizer(&apigw, &api, &seen.authorizer_id).await?;
            let l = crate::apigw::stage_limits(&apigw, &api, &seen.stage).await?;
            Ok::<_, crate::Error>((a, l))
        }
        .await;
        let (authorizer, limits) = match read {
            Ok(v) => v,
            Err(e) => {
                if !warned {
                    eprintln!("following API {api}: {e}");
                    warned = true;
                }
                continue;
            }
        };
        if authorizer.ttl_seconds != seen.authorizer.ttl_seconds {
            state.ttl.store(authorizer.ttl_seconds, Ordering::SeqCst);
            if let Ok(mut c) = state.cache.lock() {
                c.clear();
            }
            eprintln!(
                "authorizer {}: result TTL now {} s (GetAuthorizer)",
                seen.authorizer_id, authorizer.ttl_seconds
            );
        }
        if limits != seen.limits {
            let routes = control_plane::with_route_limits(&state.cfg.routes, &limits);
            let stage = limits.default.map(|(rate, burst)| Limit { rate, burst });
            for (bucket, limit) in state
                .route_buckets
                .iter()
                .zip(route_limits(&routes, stage, &state.cfg, true))
            {
                if let (Some(b), Some(l)) = (bucket, limit) {
                    b.set_limit(l);
                }
            }
            eprintln!(
                "stage {}: throttling now {} (GetStage)",
                seen.stage,
                limits
                    .default
                    .map_or("account limit only".into(), |(r, b)| format!(
                        "{r} rps / burst {b}"
                    ))
            );
        }
        seen.authorizer = authorizer;
        seen.limits = limits;
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<State>) {
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| {
                let state = Arc::clone(&state);
                async move { Ok::<_, std::convert::Infallible>(handle(req, &state, peer).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

fn message(status: StatusCode, text: &str, request_id: &str) -> Response<Full<Bytes>> {
    json_response(status, &json!({ "message": text }), request_id)
}

fn json_response(status: StatusCode, body: &Value, request_id: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/json"),
    );
    if let Ok(v) = hyper::header::HeaderValue::from_str(request_id) {
        h.insert("apigw-requestid", v);
    }
    r
}

fn request_id(state: &State) -> String {
    use base64::Engine;
    let n = state.seq.fetch_add(1, Ordering::Relaxed);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos() as u64;
    let mut raw = [0u8; 10];
    raw[..8].copy_from_slice(&(t ^ n.rotate_left(40)).to_be_bytes());
    raw[8..].copy_from_slice(&(n as u16).to_be_bytes());
    base64::engine::general_purpose::STANDARD.encode(raw)
}

async fn reset(state: &State, clear_stats: bool) {
    if let Ok(mut c) = state.cache.lock() {
        c.clear();
    }
    state.pool.reset().await;
    for b in state
        .route_buckets
        .iter()
        .flatten()
        .chain(state.account.iter())
    {
        b.refill();
    }
    if clear_stats {
        state.stats.clear();
    }
}

/// The request as the pipeline sees it.
struct Incoming2 {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Bytes,
    peer: SocketAddr,
}

async fn handle(req: Request<Incoming>, state: &State, peer: SocketAddr) -> Response<Full<Bytes>> {
    let rid = request_id(state);
    let path = req.uri().path().to_owned();
    if let Some(ctl) = path.strip_prefix("/__emulator/") {
        return control(
            ctl,
            req.uri().query().unwrap_or(""),
            req.method(),
            state,
            &rid,
        )
        .await;
    }
    let method = req.method().as_str().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            state.stats.response(413);
            return message(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request Entity Too Large",
                &rid,
            );
        }
    };
    let incoming = Incoming2 {
        method,
        path,
        query,
        headers,
        body,
        peer,
    };
    let response = pipeline(&incoming, state, &rid).await;
    state.stats.response(response.status().as_u16());
    response
}

async fn control(
    ctl: &str,
    query: &str,
    method: &hyper::Method,
    state: &State,
    rid: &str,
) -> Response<Full<Bytes>> {
    match (method.as_str(), ctl) {
        ("GET", "stats") => {
            let snap = state.stats.snapshot(state.pool.live());
            json_response(
                StatusCode::OK,
                &serde_json::to_value(snap).unwrap_or_default(),
                rid,
            )
        }
        ("POST", "reset") => {
            let clear = query
                .split('&')
                .any(|kv| kv == "stats=1" || kv == "stats=true");
            reset(state, clear).await;
            json_response(
                StatusCode::OK,
                &json!({"reset": true, "stats_cleared": clear}),
                rid,
            )
        }
        _ => message(StatusCode::NOT_FOUND, "Not Found", rid),
    }
}

async fn pipeline(req: &Incoming2, state: &State, rid: &str) -> Response<Full<Bytes>> {
    let cfg = &state.cfg;
    let rest = cfg.api_type == ApiType::Rest;
    // REST answers an unknown resource or method with 403 (gateway
    // response MISSING_AUTHENTICATION_TOKEN); HTTP APIs with 404.
    let not_found = || {
        if rest {
            message(StatusCode::FORBIDDEN, "Missing Authentication Token", rid)
        } else {
            message(StatusCode::NOT_FOUND, "Not Found", rid)
        }
    };
    // Named stages are served under /{stage}/; rawPath keeps the prefix.
    let route_path = if cfg.stage == "$default" {
        req.path.as_str()
    } else {
        match req.path.strip_prefix(&format!("/{}", cfg.stage)) {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => rest,
            _ => return not_found(),
        }
    };
    let Some(matched) = routes::best(&state.routes, &req.method, route_path) else {
        return not_found();
    };
    let route_cfg = &cfg.routes[matched.index];

    // Throttling: the route (or stage default) bucket inside the account bucket.
    let route_bucket = state.route_buckets[matched.index].as_ref();
    if let Some(b) = route_bucket {
        if !b.try_take() {
            return message(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests", rid);
        }
    }
    if let Some(acct) = &state.account {
        if !acct.try_take() {
            if let Some(b) = route_bucket {
                b.give_back();
            }
            return message(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests", rid);
        }
    }

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let now_ms = now.as_millis() as i64;
    let route_arn = format!(
        "arn:aws:execute-api:{}:{}:{}/{}/{}/{}",
        cfg.region,
        cfg.account_id,
        cfg.api_id,
        cfg.stage,
        req.method,
        route_path.trim_start_matches('/')
    );
    let mut granted = None;
    if route_cfg.authorized {
        let auth = match &route_cfg.authorizer {
            Some(a) => Effective {
                id: &a.id,
                payload: a.payload,
                identity_sources: &a.identity_sources,
                ttl: a.ttl_seconds,
                validation: state.validations[matched.index].as_ref(),
            },
            None => Effective {
                id: "",
                payload: cfg.payload,
                identity_sources: &cfg.identity_sources,
                ttl: state.ttl.load(Ordering::SeqCst),
                validation: None,
            },
        };
        // Identity sources: any missing or empty → 401 without invoking;
        // a TOKEN that fails the validation expression likewise.
        let mut identity = Vec::with_capacity(auth.identity_sources.len());
        for src in auth.identity_sources {
            match resolve_identity(src, req, &route_cfg.key, cfg) {
                Some(v) if !v.is_empty() => identity.push(v),
                _ => return message(StatusCode::UNAUTHORIZED, "Unauthorized", rid),
            }
        }
        if let (Some(re), Some(token)) = (auth.validation, identity.first()) {
            if !re.is_match(token) {
                return message(StatusCode::UNAUTHORIZED, "Unauthorized", rid);
            }
        }
        let call = Call {
            req,
            rid,
            identity: &identity,
            route: route_cfg,
            route_arn: &route_arn,
            params: &matched.params,
            now_ms,
        };
        let verdict = match authorize(call, &auth, state).await {
            Ok(v) => v,
            Err(status) => return failure(status, rest, rid),
        };
        let (access, ctx, principal) = match verdict {
            Verdict::Simple { allow, context } => (
                if allow {
                    policy::Access::Allow
                } else {
                    policy::Access::ImplicitDeny
                },
                context,
                Value::Null,
            ),
            Verdict::Policy {
                document,
                context,
                principal,
            } => match policy::evaluate(&document, &route_arn) {
                Some(a) => (a, context, principal),
                None => return failure(StatusCode::INTERNAL_SERVER_ERROR, rest, rid),
            },
        };
        match (access, rest) {
            (policy::Access::Allow, _) => {}
            (_, false) => return message(StatusCode::FORBIDDEN, "Forbidden", rid),
            (policy::Access::ExplicitDeny, true) => {
                return json_response(
                    StatusCode::FORBIDDEN,
                    &json!({ "Message": "User is not authorized to access this resource with an explicit deny" }),
                    rid,
                )
            }
            (policy::Access::ImplicitDeny, true) => {
                return json_response(
                    StatusCode::FORBIDDEN,
                    &json!({ "Message": "User is not authorized to access this resource" }),
                    rid,
                )
            }
        }
        granted = Some((ctx, principal));
    }
    integrate(req, state, rid, route_cfg, &matched.params, granted).await
}

/// An authorizer failure's response: REST sends `{"message": null}` for a
/// 500 (`AUTHORIZER_CONFIGURATION_ERROR`), HTTP APIs the status text.
fn failure(status: StatusCode, rest: bool, rid: &str) -> Response<Full<Bytes>> {
    if rest && status == StatusCode::INTERNAL_SERVER_ERROR {
        json_response(status, &json!({ "message": null }), rid)
    } else {
        message(status, status_text(status), rid)
    }
}

fn status_text(s: StatusCode) -> &'static str {
    match s.as_u16() {
        401 => "Unauthorized",
        403 => "Forbidden",
        429 => "Too Many Requests",
        _ => "Internal Server Error",
    }
}

fn header_value(req: &Incoming2, name: &str) -> Option<String> {
    let name = name.to_ascii_lowercase();
    let values: Vec<&str> = req
        .headers
        .iter()
        .filter(|(k, _)| *k == name)
        .map(|(_, v)| v.as_str())
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

fn query_params(query: &str) -> Map<String, Value> {
    let mut out: Map<String, Value> = Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (percent_decode(k), percent_decode(v));
        match out.get_mut(&k) {
            Some(Value::String(existing)) => {
                existing.push(',');
                existing.push_str(&v);
            }
            _ => {
                out.insert(k, Value::String(v));
            }
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
                {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn resolve_identity(
    src: &str,
    req: &Incoming2,
    route_key: &str,
    cfg: &GatewayConfig,
) -> Option<String> {
    if let Some(h) = src
        .strip_prefix("$request.header.")
        .or_else(|| src.strip_prefix("method.request.header."))
    {
        return header_value(req, h);
    }
    if let Some(q) = src
        .strip_prefix("$request.querystring.")
        .or_else(|| src.strip_prefix("method.request.querystring."))
    {
        return query_params(&req.query)
            .get(q)
            .and_then(Value::as_str)
            .map(str::to_owned);
    }
    let context = src
        .strip_prefix("$context.")
        .or_else(|| src.strip_prefix("context."));
    match context {
        Some("routeKey") => Some(route_key.to_owned()),
        Some("resourcePath") => route_key.split_once(' ').map(|(_, p)| p.to_owned()),
        Some("stage") => Some(cfg.stage.clone()),
        Some("httpMethod") => Some(req.method.clone()),
        Some("path") => Some(req.path.clone()),
        Some("identity.sourceIp") => Some(req.peer.ip().to_string()),
        _ => None, // unknown context variables and stage variables: absent
    }
}

/// One request on its way to the authorizer.
#[derive(Clone, Copy)]
struct Call<'a> {
    req: &'a Incoming2,
    rid: &'a str,
    identity: &'a [String],
    route: &'a RouteConfig,
    route_arn: &'a str,
    params: &'a std::collections::BTreeMap<String, String>,
    now_ms: i64,
}

fn build_event(call: Call<'_>, payload: PayloadVersion, state: &State) -> Value {
    let Call {
        req,
        rid,
        identity,
        route,
        route_arn,
        params,
        now_ms,
    } = call;
    let route_key = route.key.as_str();
    let cfg = &state.cfg;
    match payload {
        PayloadVersion::V1Token => {
            return json!({ "type": "TOKEN", "authorizationToken": identity.first(), "methodArn": route_arn });
        }
        PayloadVersion::RestRequest => return rest_request_event(call, state),
        PayloadVersion::V2 => {}
    }
    let mut headers = Map::new();
    let mut cookies: Vec<String> = Vec::new();
    for (k, v) in &req.headers {
        if k == "cookie" {
            cookies.extend(
                v.split(';')
                    .map(|c| c.trim().to_owned())
                    .filter(|c| !c.is_empty()),
            );
            continue;
        }
        match headers.get_mut(k) {
            Some(Value::String(existing)) => {
                existing.push(',');
                existing.push_str(v);
            }
            _ => {
                headers.insert(k.clone(), Value::String(v.clone()));
            }
        }
    }
    let host = header_value(req, "host")
        .unwrap_or_else(|| format!("{}.execute-api.{}.amazonaws.com", cfg.api_id, cfg.region));
    headers
        .entry("x-forwarded-for")
        .or_insert_with(|| Value::String(req.peer.ip().to_string()));
    headers
        .entry("x-forwarded-port")
        .or_insert_with(|| Value::String(req.peer.port().to_string()));
    headers
        .entry("x-forwarded-proto")
        .or_insert_with(|| Value::String("http".into()));
    headers.entry("x-amzn-trace-id").or_insert_with(|| {
        Value::String(format!(
            "Root=1-{:08x}-{:024x}",
            now_ms / 1000,
            state.seq.load(Ordering::Relaxed)
        ))
    });
    let user_agent = header_value(req, "user-agent").unwrap_or_default();
    let mut ev = json!({
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": route_arn,
        "identitySource": identity,
        "routeKey": route_key,
        "rawPath": req.path,
        "rawQueryString": req.query,
        "headers": headers,
        "requestContext": {
            "accountId": cfg.account_id,
            "apiId": cfg.api_id,
            "domainName": host,
            "domainPrefix": host.split('.').next().unwrap_or(""),
            "http": { "method": req.method, "path": req.path, "protocol": "HTTP/1.1", "sourceIp": req.peer.ip().to_string(), "userAgent": user_agent },
            "requestId": rid,
            "routeKey": route_key,
            "stage": cfg.stage,
            "time": crate::civil_time::clf_time(now_ms / 1000),
            "timeEpoch": now_ms,
        },
    });
    if !cookies.is_empty() {
        ev["cookies"] = json!(cookies);
    }
    let q = query_params(&req.query);
    if !q.is_empty() {
        ev["queryStringParameters"] = Value::Object(q);
    }
    if !params.is_empty() {
        ev["pathParameters"] = json!(params);
    }
    ev
}

/// The REST REQUEST authorizer event (`apigw-lambda-spec.md` §3). Header
/// names arrive lowercased (the emulator's HTTP stack normalises them);
/// API Gateway keeps the client's case.
fn rest_request_event(call: Call<'_>, state: &State) -> Value {
    let cfg = &state.cfg;
    let req = call.req;
    let resource = call
        .route
        .key
        .split_once(' ')
        .map_or("/", |(_, p)| p)
        .to_owned();
    let path = req
        .path
        .strip_prefix(&format!("/{}", cfg.stage))
        .filter(|p| p.is_empty() || p.starts_with('/'))
        .unwrap_or(&req.path);
    let mut headers = Map::new();
    let mut multi: Map<String, Value> = Map::new();
    for (k, v) in &req.headers {
        headers.insert(k.clone(), Value::String(v.clone()));
        match multi.get_mut(k) {
            Some(Value::Array(vs)) => vs.push(Value::String(v.clone())),
            _ => {
                multi.insert(k.clone(), json!([v]));
            }
        }
    }
    let mut query = Map::new();
    let mut multi_query: Map<String, Value> = Map::new();
    for pair in req.query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (percent_decode(k), percent_decode(v));
        query.insert(k.clone(), Value::String(v.clone()));
        match multi_query.get_mut(&k) {
            Some(Value::Array(vs)) => vs.push(Value::String(v)),
            _ => {
                multi_query.insert(k, json!([v]));
            }
        }
    }
    json!({
        "type": "REQUEST",
        "methodArn": call.route_arn,
        "resource": resource,
        "path": if path.is_empty() { "/" } else { path },
        "httpMethod": req.method,
        "headers": headers,
        "multiValueHeaders": multi,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": call.params,
        "stageVariables": {},
        "requestContext": {
            "path": req.path,
            "accountId": cfg.account_id,
            "resourceId": call.route.resource_id.clone().unwrap_or_default(),
            "stage": cfg.stage,
            "requestId": call.rid,
            "identity": {
                "apiKey": null,
                "sourceIp": req.peer.ip().to_string(),
                "userAgent": header_value(req, "user-agent"),
                "clientCert": null,
            },
            "resourcePath": resource,
            "httpMethod": req.method,
            "apiId": cfg.api_id,
            "requestTimeEpoch": call.now_ms,
        },
    })
}

async fn authorize(
    call: Call<'_>,
    auth: &Effective<'_>,
    state: &State,
) -> Result<Verdict, StatusCode> {
    let Call { rid, identity, .. } = call;
    let cfg = &state.cfg;
    // API Gateway caches per authorizer: the TOKEN, or the identity values.
    let key = format!("{}\u{0}{}", auth.id, identity.join("\u{0}"));
    let ttl = auth.ttl;
    if ttl > 0 {
        let hit = state.cache.lock().ok().and_then(|c| {
            c.get(&key)
                .filter(|(exp, _)| Instant::now() < *exp)
                .map(|(_, v)| v.clone())
        });
        state.stats.cache(hit.is_some());
        if let Some(v) = hit {
            return Ok(v);
        }
    }
    let event = build_event(call, auth.payload, state);
    let answered = match state.pool.invoke(Bytes::from(event.to_string())).await {
        Ok(a) => a,
        Err(InvokeFailure::Throttled) => {
            state.stats.lambda_throttle();
            return Err(StatusCode::INTERNAL_SERVER_ERROR);
        }
        Err(InvokeFailure::Init(e)) => {
            state.stats.failed_init();
            eprintln!("INIT_FAILURE {e}");
            return Err(StatusCode::INTERNAL_SERVER_ERROR);
        }
        Err(InvokeFailure::Failed(e, cold_init)) => {
            if let Some(init) = cold_init {
                state.stats.cold_start(init);
            }
            state.stats.function_error();
            eprintln!("INVOKE_FAILURE RequestId: {rid} {e}");
            return Err(StatusCode::INTERNAL_SERVER_ERROR);
        }
    };
    let inv = &answered.invocation;
    if let Some(init) = answered.cold_init {
        state.stats.cold_start(init);
    }
    state.stats.invocation(inv.duration, answered.max_rss_kib);
    if cfg.log_reports || state.logs.is_some() {
        let ms = inv.duration.as_secs_f64() * 1000.0;
        let init = answered
            .cold_init
            .map(|d| format!("\tInit Duration: {:.2} ms", d.as_secs_f64() * 1000.0))
            .unwrap_or_default();
        let report = format!(
            "REPORT RequestId: {}\tDuration: {ms:.2} ms\tBilled Duration: {} ms\tMemory Size: {} MB\tMax Memory Used: {} MB{init}",
            inv.request_id,
            ms.ceil() as u64,
            cfg.memory_mb,
            answered.max_rss_kib.map_or(0, |k| k.div_ceil(1024)),
        );
        if let Some((sink, stream)) = &state.logs {
            let _ = sink.send(crate::cwlogs::LogRecord {
                stream: stream.clone(),
                timestamp_ms: crate::civil_time::now_ms(),
                message: report.clone(),
            });
        }
        if cfg.log_reports {
            eprintln!("{report}");
        }
    }
    let verdict = match &inv.result {
        InvokeResult::FunctionError { message, .. } => {
            state.stats.function_error();
            let status = if message == "Unauthorized" {
                if auth.payload.rest() {
                    401
                } else {
                    cfg.unauthorized_error_status
                }
            } else {
                500
            };
            return Err(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
        }
        InvokeResult::Response(body) => interpret(body, auth.payload, cfg).ok_or_else(|| {
            state.stats.function_error();
            StatusCode::INTERNAL_SERVER_ERROR
        })?,
    };
    if ttl > 0 {
        if let Ok(mut c) = state.cache.lock() {
            if c.len() >= 100_000 {
                c.clear();
            }
            c.insert(
                key,
                (Instant::now() + Duration::from_secs(ttl), verdict.clone()),
            );
        }
    }
    Ok(verdict)
}

/// Reads the authorizer's answer; `None` for anything malformed.
fn interpret(body: &[u8], payload: PayloadVersion, cfg: &GatewayConfig) -> Option<Verdict> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let context = match v.get("context") {
        None | Some(Value::Null) => json!({}),
        Some(c @ Value::Object(_)) => c.clone(),
        Some(_) => return None,
    };
    // REST: context values are strings, numbers or booleans; anything else
    // is AUTHORIZER_CONFIGURATION_ERROR (500).
    if payload.rest()
        && context
            .as_object()
            .is_some_and(|m| m.values().any(|x| x.is_object() || x.is_array()))
    {
        return None;
    }
    let simple_ok = payload == PayloadVersion::V2 && cfg.simple_responses;
    if simple_ok {
        if let Some(a) = v.get("isAuthorized") {
            // A non-boolean isAuthorized is malformed (→ 500).
            return a.as_bool().map(|allow| Verdict::Simple { allow, context });
        }
        if !cfg.accept_policy_with_simple {
            return None;
        }
    }
    let document = v.get("policyDocument")?;
    if !document.is_object() {
        return None;
    }
    Some(Verdict::Policy {
        document: document.clone(),
        context,
        principal: v.get("principalId").cloned().unwrap_or(Value::Null),
    })
}

/// The integration's view of what the authorizer granted: HTTP APIs nest
/// the context under `lambda`; REST flattens it beside `principalId`.
fn authorizer_context(api: ApiType, granted: Option<(Value, Value)>) -> Value {
    let (context, principal) = granted.unwrap_or((Value::Null, Value::Null));
    match api {
        ApiType::Http => json!({ "lambda": context }),
        ApiType::Rest => {
            let mut flat = context.as_object().cloned().unwrap_or_default();
            if !principal.is_null() {
                flat.insert("principalId".into(), principal);
            }
            Value::Object(flat)
        }
    }
}

async fn integrate(
    req: &Incoming2,
    state: &State,
    rid: &str,
    route: &RouteConfig,
    params: &std::collections::BTreeMap<String, String>,
    granted: Option<(Value, Value)>,
) -> Response<Full<Bytes>> {
    let route_key = route.key.as_str();
    let authorizer = authorizer_context(state.cfg.api_type, granted);
    if let (Some(client), Some(base)) = (&state.upstream, &state.cfg.upstream) {
        let url = format!(
            "{}{}{}{}",
            base.trim_end_matches('/'),
            req.path,
            if req.query.is_empty() { "" } else { "?" },
            req.query
        );
        let method =
            reqwest::Method::from_bytes(req.method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut r = client.request(method, url).body(req.body.clone());
        for (k, v) in &req.headers {
            if !matches!(
                k.as_str(),
                "host" | "connection" | "content-length" | "transfer-encoding"
            ) {
                r = r.header(k, v);
            }
        }
        r = r.header("x-apigw-authorizer-context", authorizer.to_string());
        return match r.send().await {
            Ok(resp) => {
                let status =
                    StatusCode::from_u16(resp.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
                let body = resp.bytes().await.unwrap_or_default();
                let mut out = Response::new(Full::new(body));
                *out.status_mut() = status;
                if let Ok(v) = hyper::header::HeaderValue::from_str(rid) {
                    out.headers_mut().insert("apigw-requestid", v);
                }
                out
            }
            Err(e) if e.is_timeout() => {
                message(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable", rid)
            }
            Err(_) => message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal Server Error",
                rid,
            ),
        };
    }
    let echo = json!({
        "message": "Hello from the local integration",
        "routeKey": route_key,
        "rawPath": req.path,
        "rawQueryString": req.query,
        "pathParameters": params,
        "requestContext": { "requestId": rid, "authorizer": authorizer },
    });
    json_response(StatusCode::OK, &echo, rid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parsing_joins_duplicates_and_decodes() {
        let q = query_params("a=1&b=x%20y&a=2&c=&d");
        assert_eq!(q["a"], "1,2");
        assert_eq!(q["b"], "x y");
        assert_eq!(q["c"], "");
        assert_eq!(q["d"], "");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn interpret_answers() {
        let cfg = GatewayConfig::default();
        // REST: a policy only, with a flat context.
        let policy = br#"{"principalId":"p","policyDocument":{"Statement":[]},"context":{"a":"1","n":2,"b":true}}"#;
        for rest in [PayloadVersion::V1Token, PayloadVersion::RestRequest] {
            assert!(matches!(
                interpret(policy, rest, &cfg),
                Some(Verdict::Policy { principal, .. }) if principal == "p"
            ));
            assert!(interpret(br#"{"isAuthorized":true}"#, rest, &cfg).is_none());
            assert!(interpret(
                br#"{"principalId":"p","policyDocument":{"Statement":[]},"context":{"a":{"b":1}}}"#,
                rest,
                &cfg
            )
            .is_none());
        }
        assert!(matches!(
            interpret(
                br#"{"isAuthorized":true,"context":{"a":1}}"#,
                PayloadVersion::V2,
                &cfg
            ),
            Some(Verdict::Simple { allow: true, .. })
        ));
        assert!(
            interpret(br#"{"isAuthorized":"true"}"#, PayloadVersion::V2, &cfg).is_none(),
            "non-boolean is malformed"
        );
        assert!(interpret(b"not json", PayloadVersion::V2, &cfg).is_none());
        assert!(interpret(
            br#"{"isAuthorized":true,"context":[1]}"#,
            PayloadVersion::V2,
            &cfg
        )
        .is_none());
        assert!(matches!(
            interpret(
                br#"{"principalId":"x","policyDocument":{"Statement":[]}}"#,
                PayloadVersion::V2,
                &cfg
            ),
            Some(Verdict::Policy { .. })
        ));
        let strict = GatewayConfig {
            accept_policy_with_simple: false,
            ..GatewayConfig::default()
        };
        assert!(interpret(
            br#"{"principalId":"x","policyDocument":{"Statement":[]}}"#,
            PayloadVersion::V2,
            &strict
        )
        .is_none());
    }
}
