//! Execution environments for one function: reuse an idle one, start a new
//! one on demand (a cold start), refuse above reserved concurrency (a Lambda
//! throttle), reclaim idle ones, discard crashed or timed-out ones.

use crate::error::LambdaError;
use crate::lambda::{Environment, FunctionConfig, Invocation};
use bytes::Bytes;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Why an invocation did not produce an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvokeFailure {
    /// No environment available within reserved concurrency (Lambda 429).
    Throttled,
    /// A new environment failed to initialise.
    Init(LambdaError),
    /// The invocation failed (timeout, crash, response too large); with the
    /// init duration when it had started a new environment.
    Failed(LambdaError, Option<Duration>),
}

/// An answered invocation, with cold-start details.
#[derive(Debug, Clone)]
pub struct Answered {
    /// The invocation.
    pub invocation: Invocation,
    /// `Some(init duration)` when this invocation started a new environment.
    pub cold_init: Option<Duration>,
    /// Peak resident memory of the environment, KiB.
    pub max_rss_kib: Option<u64>,
}

struct Idle {
    env: Environment,
    since: Instant,
    generation: u64,
}

/// The environment pool.
pub struct Pool {
    function: Mutex<FunctionConfig>,
    reserved: Option<usize>,
    idle_timeout: Duration,
    idle: Mutex<Vec<Idle>>,
    live: AtomicUsize,
    generation: AtomicU64,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("live", &self.live())
            .field("reserved", &self.reserved)
            .finish_non_exhaustive()
    }
}

impl Pool {
    /// A pool for `function`.
    pub fn new(function: FunctionConfig, reserved: Option<usize>, idle_timeout: Duration) -> Self {
        Self {
            function: Mutex::new(function),
            reserved,
            idle_timeout,
            idle: Mutex::new(Vec::new()),
            live: AtomicUsize::new(0),
            generation: AtomicU64::new(0),
        }
    }

    /// The function's environment variables as configured now.
    pub fn env(&self) -> Vec<(String, String)> {
        self.function
            .lock()
            .map_or_else(|p| p.into_inner().env.clone(), |f| f.env.clone())
    }

    /// New environment variables: every environment is retired, so the next
    /// invocations start with them (as after `UpdateFunctionConfiguration`).
    pub async fn set_env(&self, env: Vec<(String, String)>) {
        match self.function.lock() {
            Ok(mut f) => f.env = env,
            Err(p) => p.into_inner().env = env,
        }
        self.reset().await;
    }

    /// Environments alive (idle or busy).
    pub fn live(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }

    /// Invokes the function once.
    ///
    /// # Errors
    /// [`InvokeFailure`].
    pub async fn invoke(&self, payload: Bytes) -> Result<Answered, InvokeFailure> {
        let generation = self.generation.load(Ordering::SeqCst);
        let reused = self.idle_alive().await;
        let (mut env, cold_init) = match reused {
            Some(i) if i.generation == generation => (i.env, None),
            stale => {
                if let Some(i) = stale {
                    self.retire(i.env).await;
                }
                if !self.reserve_slot() {
                    return Err(InvokeFailure::Throttled);
                }
                let function = self
                    .function
                    .lock()
                    .map_or_else(|p| p.into_inner().clone(), |f| f.clone());
                match Environment::start(&function).await {
                    Ok(env) => {
                        let init = env.init_duration;
                        (env, Some(init))
                    }
                    Err(e) => {
                        self.live.fetch_sub(1, Ordering::SeqCst);
                        return Err(InvokeFailure::Init(e));
                    }
                }
            }
        };
        let result = env.invoke(payload).await;
        let max_rss_kib = env.max_rss_kib();
        match result {
            Ok(invocation) => {
                if self.generation.load(Ordering::SeqCst) == generation {
                    if let Ok(mut idle) = self.idle.lock() {
                        idle.push(Idle {
                            env,
                            since: Instant::now(),
                            generation,
                        });
                    }
                } else {
                    self.retire(env).await;
                }
                Ok(Answered {
                    invocation,
                    cold_init,
                    max_rss_kib,
                })
            }
            Err(e) => {
                // A crashed or timed-out environment is discarded, as on Lambda.
                self.retire(env).await;
                Err(InvokeFailure::Failed(e, cold_init))
            }
        }
    }

    /// The most recently idle environment whose process still runs; one
    /// that died while idle is dropped (its exit recorded in its log, as
    /// Lambda does), never handed a request.
    async fn idle_alive(&self) -> Option<Idle> {
        loop {
            let mut i = self.idle.lock().ok().and_then(|mut idle| idle.pop())?;
            if i.env.exited().is_none() {
                return Some(i);
            }
            self.retire(i.env).await;
        }
    }

    fn reserve_slot(&self) -> bool {
        let cap = self.reserved.unwrap_or(usize::MAX);
        self.live
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < cap).then_some(n + 1)
            })
            .is_ok()
    }

    async fn retire(&self, env: Environment) {
        self.live.fetch_sub(1, Ordering::SeqCst);
        env.stop().await;
    }

    /// Stops environments idle longer than the idle timeout; returns how many.
    pub async fn reclaim_idle(&self) -> usize {
        let expired: Vec<Idle> = match self.idle.lock() {
            Ok(mut idle) => {
                let (old, keep): (Vec<Idle>, Vec<Idle>) = idle
                    .drain(..)
                    .partition(|i| i.since.elapsed() >= self.idle_timeout);
                *idle = keep;
                old
            }
            Err(_) => Vec::new(),
        };
        let n = expired.len();
        for i in expired {
            self.retire(i.env).await;
        }
        n
    }

    /// Stops every idle environment and retires busy ones when they finish.
    pub async fn reset(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        let all: Vec<Idle> = self
            .idle
            .lock()
            .map(|mut i| i.drain(..).collect())
            .unwrap_or_default();
        for i in all {
            self.retire(i.env).await;
        }
    }
}
