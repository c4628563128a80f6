//! The Lambda side of the emulator: one execution environment is one real
//! process of the function binary plus its own Runtime API (2018-06-01)
//! listener, serving one invocation at a time, as on Lambda.
//!
//! Init ends at the first `GET /next`; a process exit or an `/init/error`
//! before then is an init failure. Responses above 6 MiB get 413.

use crate::error::LambdaError;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot, Notify};

/// Largest response Lambda accepts (6 MiB) plus the 100 B it tolerates.
pub const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024 + 100;
const API: &str = "/2018-06-01/runtime";

/// How to run the function.
#[derive(Debug, Clone)]
pub struct FunctionConfig {
    /// The function binary (`bootstrap`).
    pub binary: PathBuf,
    /// The function's own environment variables.
    pub env: Vec<(String, String)>,
    /// `AWS_LAMBDA_FUNCTION_NAME`.
    pub name: String,
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, MB.
    pub memory_mb: u32,
    /// The function timeout (the deadline header is now + this).
    pub timeout: Duration,
    /// Longest init before it counts as failed (Lambda: 10 s).
    pub init_timeout: Duration,
    /// AWS region for the environment and ARNs.
    pub region: String,
    /// Copy the function's stdout/stderr lines to this process's stderr.
    pub echo_logs: bool,
    /// Also send each line to this sink (CloudWatch Logs shipping), under
    /// the environment's log stream.
    pub log_sink: Option<crate::cwlogs::LogSink>,
}

impl FunctionConfig {
    /// Defaults for `binary`: 128 MB, 3 s timeout, 10 s init, us-east-1.
    pub fn new(binary: impl Into<PathBuf>) -> Self {
        Self {
            binary: binary.into(),
            env: Vec::new(),
            name: "authorizer".into(),
            memory_mb: 128,
            timeout: Duration::from_secs(3),
            init_timeout: Duration::from_secs(10),
            region: "us-east-1".into(),
            echo_logs: false,
            log_sink: None,
        }
    }

    /// The function ARN Lambda would report.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:lambda:{}:123456789012:function:{}",
            self.region, self.name
        )
    }
}

/// What a completed invocation returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvokeResult {
    /// `/response` with this body.
    Response(Bytes),
    /// `/error` with this `errorType` and `errorMessage`.
    FunctionError {
        /// `errorType`.
        error_type: String,
        /// `errorMessage`.
        message: String,
    },
}

/// One invocation's figures, for `REPORT` lines.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The request id.
    pub request_id: String,
    /// What came back.
    pub result: InvokeResult,
    /// From hand-off to `/next` until the answer.
    pub duration: Duration,
}

struct Pending {
    request_id: String,
    payload: Bytes,
    deadline_ms: u64,
}

type Answer = Result<InvokeResult, LambdaError>;

struct Shared {
    queue: tokio::sync::Mutex<mpsc::Receiver<Pending>>,
    waiting: Mutex<HashMap<String, oneshot::Sender<Answer>>>,
    init_done: Notify,
    initialised: std::sync::atomic::AtomicBool,
    init_error: Mutex<Option<(String, String)>>,
    function_arn: String,
}

/// A running execution environment.
pub struct Environment {
    child: Child,
    pid: u32,
    sender: mpsc::Sender<Pending>,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
    logs: Arc<Mutex<Vec<String>>>,
    timeout: Duration,
    /// Where the platform's own lines go (the function's log group, its
    /// stream), as the process's output does.
    sink: Option<(crate::cwlogs::LogSink, String)>,
    /// Spawn → first `/next`.
    pub init_duration: Duration,
    /// The Runtime API address given to the process.
    pub runtime_api: String,
}

impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Environment")
            .field("pid", &self.pid)
            .field("runtime_api", &self.runtime_api)
            .finish()
    }
}

static REQUEST_SEQ: AtomicU64 = AtomicU64::new(1);

fn request_id() -> String {
    let n = REQUEST_SEQ.fetch_add(1, Ordering::Relaxed);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (t >> 32) as u32,
        (t >> 16) as u16,
        n & 0xfff,
        (n >> 12) & 0xfff,
        n
    )
}

fn epoch_ms() -> u64 {
    u64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis(),
    )
    .unwrap_or(u64::MAX)
}

impl Environment {
    /// Spawns the binary with its own Runtime API and waits for its first
    /// `/next` (the end of init).
    ///
    /// # Errors
    /// [`LambdaError`] for spawn and init failures; the process is stopped.
    pub async fn start(cfg: &FunctionConfig) -> Result<Self, LambdaError> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| LambdaError::Spawn(e.to_string()))?;
        let addr = listener
            .local_addr()
            .map_err(|e| LambdaError::Spawn(e.to_string()))?;
        let (sender, receiver) = mpsc::channel(1);
        let shared = Arc::new(Shared {
            queue: tokio::sync::Mutex::new(receiver),
            waiting: Mutex::new(HashMap::new()),
            init_done: Notify::new(),
            initialised: std::sync::atomic::AtomicBool::new(false),
            init_error: Mutex::new(None),
            function_arn: cfg.arn(),
        });
        let server = tokio::spawn(serve(listener, Arc::clone(&shared)));
        let runtime_api = addr.to_string();
        let log_stream = {
            let date = crate::civil_time::utc_date(crate::civil_time::now_ms() / 1000);
            format!("{date}/[$LATEST]{}", &request_id()[..8])
        };

        let mut cmd = Command::new(&cfg.binary);
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", &runtime_api)
            .env("AWS_LAMBDA_FUNCTION_NAME", &cfg.name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", cfg.memory_mb.to_string())
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{}", cfg.name),
            )
            .env("AWS_LAMBDA_LOG_STREAM_NAME", &log_stream)
            .env("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
            .env("AWS_REGION", &cfg.region)
            .env("AWS_DEFAULT_REGION", &cfg.region)
            .env("_HANDLER", "bootstrap")
            .env("LAMBDA_TASK_ROOT", "/var/task")
            .envs(cfg.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let spawned = Instant::now();
        let mut child = cmd.spawn().map_err(|e| {
            server.abort();
            LambdaError::Spawn(format!("{}: {e}", cfg.binary.display()))
        })?;
        let pid = child.id().unwrap_or(0);
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = cfg.log_sink.clone().map(|s| (s, log_stream.clone()));
        if let Some(out) = child.stdout.take() {
            tokio::spawn(relay_output(
                BufReader::new(out),
                Arc::clone(&logs),
                cfg.echo_logs,
                sink.clone(),
            ));
        }
        if let Some(err) = child.stderr.take() {
            tokio::spawn(relay_output(
                BufReader::new(err),
                Arc::clone(&logs),
                cfg.echo_logs,
                sink.clone(),
            ));
        }

        let mut env = Self {
            child,
            pid,
            sender,
            shared,
            server,
            logs,
            timeout: cfg.timeout,
            sink,
            init_duration: Duration::ZERO,
            runtime_api,
        };
        let outcome = tokio::select! {
            () = env.shared.init_done.notified() => Ok(()),
            status = env.child.wait() => Err(match env.shared.init_error.lock().map(|e| e.clone()).ok().flatten() {
                Some((error_type, message)) => LambdaError::InitError { error_type, message },
                None => LambdaError::InitExit(status.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string())),
            }),
            () = tokio::time::sleep(cfg.init_timeout) => Err(LambdaError::InitTimeout),
        };
        match outcome {
            Ok(()) => {
                env.init_duration = spawned.elapsed();
                Ok(env)
            }
            Err(e) => {
                env.stop().await;
                Err(e)
            }
        }
    }

    /// Every line the function printed so far.
    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Peak resident memory of the process in KiB (`VmHWM`), if readable.
    pub fn max_rss_kib(&self) -> Option<u64> {
        proc_status_kib(self.pid, "VmHWM:")
    }

    /// Current resident memory in KiB (`VmRSS`), if readable.
    pub fn rss_kib(&self) -> Option<u64> {
        proc_status_kib(self.pid, "VmRSS:")
    }

    /// Invokes the function once and waits for its answer.
    ///
    /// # Errors
    /// `Timeout` or `Crashed` (the environment should then be discarded),
    /// `ResponseTooLarge`.
    pub async fn invoke(&mut self, payload: Bytes) -> Result<Invocation, LambdaError> {
        let request_id = request_id();
        let (tx, rx) = oneshot::channel();
        if let Ok(mut w) = self.shared.waiting.lock() {
            w.insert(request_id.clone(), tx);
        }
        let deadline_ms =
            epoch_ms() + u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX / 2);
        let started = Instant::now();
        let pending = Pending {
            request_id: request_id.clone(),
            payload,
            deadline_ms,
        };
        if self.sender.send(pending).await.is_err() {
            return Err(LambdaError::Crashed("runtime API closed".into()));
        }
        let answer = tokio::select! {
            a = rx => a.unwrap_or_else(|_| Err(LambdaError::Crashed("no answer".into()))),
            status = self.child.wait() => Err(LambdaError::Crashed(status.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string()))),
            () = tokio::time::sleep(self.timeout) => Err(LambdaError::Timeout),
        };
        if let Ok(mut w) = self.shared.waiting.lock() {
            w.remove(&request_id);
        }
        let result = answer?;
        Ok(Invocation {
            request_id,
            result,
            duration: started.elapsed(),
        })
    }

    /// How the process ended, if it has (an environment that died while
    /// idle): Lambda then records the exit in the function's log group and
    /// starts a new environment for the next invocation.
    pub fn exited(&mut self) -> Option<String> {
        let status = self.child.try_wait().ok()??;
        let line = format!("Error: Runtime exited with error: {status} Runtime.ExitError");
        if let Some((sink, stream)) = &self.sink {
            let _ = sink.send(crate::cwlogs::LogRecord {
                stream: stream.clone(),
                timestamp_ms: crate::civil_time::now_ms(),
                message: line.clone(),
            });
        }
        if let Ok(mut l) = self.logs.lock() {
            l.push(line);
        }
        Some(status.to_string())
    }

    /// Stops the process (by PID) and the Runtime API listener.
    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
        self.server.abort();
    }
}

fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

async fn relay_output<R: tokio::io::AsyncRead + Unpin>(
    reader: BufReader<R>,
    logs: Arc<Mutex<Vec<String>>>,
    echo: bool,
    sink: Option<(crate::cwlogs::LogSink, String)>,
) {
    let mut lines = reader.lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if echo {
            eprintln!("{line}");
        }
        if let Some((sink, stream)) = &sink {
            let _ = sink.send(crate::cwlogs::LogRecord {
                stream: stream.clone(),
                timestamp_ms: crate::civil_time::now_ms(),
                message: line.clone(),
            });
        }
        if let Ok(mut l) = logs.lock() {
            l.push(line);
        }
    }
}

async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| route(req, Arc::clone(&shared)));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

fn reply(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/json"),
    );
    r
}

async fn route(
    req: Request<Incoming>,
    shared: Arc<Shared>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let path = req.uri().path().to_owned();
    let Some(rest) = path.strip_prefix(API) else {
        return Ok(reply(
            StatusCode::NOT_FOUND,
            r#"{"errorMessage":"not found"}"#,
        ));
    };
    match (req.method().clone(), rest) {
        (Method::GET, "/invocation/next") => Ok(next(&shared).await),
        (Method::POST, "/init/error") => {
            let body = read_body(req, 1 << 20).await.unwrap_or_default();
            if let Ok(mut e) = shared.init_error.lock() {
                *e = Some(error_fields(&body));
            }
            Ok(reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#))
        }
        (Method::POST, p) if p.starts_with("/invocation/") => {
            let p = &p["/invocation/".len()..];
            let (id, kind) = match p.rsplit_once('/') {
                Some((id, k @ ("response" | "error"))) => (id.to_owned(), k),
                _ => {
                    return Ok(reply(
                        StatusCode::NOT_FOUND,
                        r#"{"errorMessage":"not found"}"#,
                    ))
                }
            };
            let sender = shared.waiting.lock().ok().and_then(|mut w| w.remove(&id));
            let Some(sender) = sender else {
                return Ok(reply(
                    StatusCode::BAD_REQUEST,
                    r#"{"errorMessage":"unknown request id"}"#,
                ));
            };
            let Some(body) = read_body(req, MAX_RESPONSE_BYTES).await else {
                let _ = sender.send(Err(LambdaError::ResponseTooLarge));
                return Ok(reply(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    r#"{"errorMessage":"response too large"}"#,
                ));
            };
            let answer = if kind == "response" {
                InvokeResult::Response(body)
            } else {
                let (error_type, message) = error_fields(&body);
                InvokeResult::FunctionError {
                    error_type,
                    message,
                }
            };
            let _ = sender.send(Ok(answer));
            Ok(reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#))
        }
        _ => Ok(reply(
            StatusCode::NOT_FOUND,
            r#"{"errorMessage":"not found"}"#,
        )),
    }
}

async fn next(shared: &Shared) -> Response<Full<Bytes>> {
    if !shared.initialised.swap(true, Ordering::SeqCst) {
        shared.init_done.notify_one();
    }
    let pending = shared.queue.lock().await.recv().await;
    let Some(p) = pending else {
        return reply(StatusCode::GONE, r#"{"errorMessage":"shutting down"}"#);
    };
    let mut r = Response::new(Full::new(p.payload));
    let h = r.headers_mut();
    let put = |h: &mut hyper::HeaderMap, k: &'static str, v: String| {
        if let Ok(v) = hyper::header::HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    };
    put(h, "content-type", "application/json".into());
    put(h, "lambda-runtime-aws-request-id", p.request_id.clone());
    put(h, "lambda-runtime-deadline-ms", p.deadline_ms.to_string());
    put(
        h,
        "lambda-runtime-invoked-function-arn",
        shared.function_arn.clone(),
    );
    put(
        h,
        "lambda-runtime-trace-id",
        format!(
            "Root=1-{:08x}-{}",
            epoch_ms() / 1000,
            &p.request_id.replace('-', "")[..24]
        ),
    );
    r
}

async fn read_body(req: Request<Incoming>, limit: usize) -> Option<Bytes> {
    Limited::new(req.into_body(), limit)
        .collect()
        .await
        .ok()
        .map(http_body_util::Collected::to_bytes)
}

fn error_fields(body: &[u8]) -> (String, String) {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let s = |k: &str| {
        v.get(k)
            .and_then(serde_json::Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    (s("errorType"), s("errorMessage"))
}
