//! What a running gateway holds: its configuration, routes and buckets, the
//! environment pool, the authorizer result cache and the counters.

use super::pool::Pool;
use super::routes;
use super::stats::Stats;
use super::throttle::Bucket;
use crate::config::GatewayConfig;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::Mutex;
use std::time::Instant;

/// What the cache holds: the authorizer's verdict and context.
#[derive(Debug, Clone)]
pub(super) enum Cached {
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

pub(super) struct State {
    pub(super) cfg: GatewayConfig,
    /// The authorizer's result TTL in seconds (followed in the control plane).
    pub(super) ttl: AtomicU64,
    pub(super) routes: Vec<routes::Route>,
    pub(super) route_buckets: Vec<Option<Bucket>>,
    pub(super) account: Option<Bucket>,
    pub(super) pool: Pool,
    pub(super) cache: Mutex<HashMap<String, (Instant, Cached)>>,
    /// Per route: its TOKEN authorizer's compiled validation expression.
    pub(super) validations: Vec<Option<regex_lite::Regex>>,
    pub(super) stats: Stats,
    pub(super) seq: AtomicU64,
    pub(super) upstream: Option<reqwest::Client>,
    /// CloudWatch Logs shipping: the sink and the stream REPORT records go to.
    pub(super) logs: Option<(crate::cwlogs::LogSink, String)>,
}
