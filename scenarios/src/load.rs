//! The paced goose transaction shared by the loaded scenarios.

use goose::prelude::*;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request's outcome.
#[derive(Debug, Clone)]
pub struct Sample {
    /// The class the picker named.
    pub class: String,
    /// HTTP status (0: no response).
    pub status: u16,
    /// From the intended send time to the end of the response.
    pub latency_ms: f64,
}

/// What to send for the n-th request of the run: (class, Authorization).
pub type Picker = Arc<dyn Fn(u64) -> (String, Option<String>) + Send + Sync>;

struct Run {
    live: Option<Arc<crate::engine::Live>>,
    path: String,
    rate: f64,
    users: u64,
    start: Mutex<Option<Instant>>,
    next_k: Mutex<HashMap<usize, u64>>,
    pick: Picker,
    samples: Mutex<Vec<Sample>>,
}

/// Runs one goose attack against `url` at `rate` requests/s for `seconds`.
///
/// # Errors
/// A bad URL or a goose error.
pub async fn paced(
    url: &str,
    rate: f64,
    seconds: usize,
    pick: Picker,
) -> Result<Vec<Sample>, crate::error::Error> {
    paced_with(url, rate, seconds, pick, None).await
}

/// [`paced`], feeding `live` (a progress display) as it goes.
///
/// # Errors
/// A bad URL or a goose error.
pub async fn paced_with(
    url: &str,
    rate: f64,
    seconds: usize,
    pick: Picker,
    live: Option<Arc<crate::engine::Live>>,
) -> Result<Vec<Sample>, crate::error::Error> {
    let (host, path) = crate::attack::split_url(url)?;
    // Enough users that a slow response does not delay the schedule.
    let users = ((rate / 50.0).ceil() as usize).clamp(4, 64);
    let run = Arc::new(Run {
        live,
        path,
        rate,
        users: users as u64,
        start: Mutex::new(None),
        next_k: Mutex::new(HashMap::new()),
        pick,
        samples: Mutex::new(Vec::new()),
    });
    let r = Arc::clone(&run);
    let tx = Transaction::new(Arc::new(move |user: &mut GooseUser| {
        let r = Arc::clone(&r);
        Box::pin(async move { send(&r, user).await })
    }))
    .set_name("paced");
    crate::attack::attack("paced", &host, users, "1000", seconds, tx).await?;
    let samples = run.samples.lock().map(|s| s.clone()).unwrap_or_default();
    Ok(samples)
}

async fn send(r: &Run, user: &mut GooseUser) -> TransactionResult {
    let start = {
        let mut s = r.start.lock().map_err(|_| {
            Box::new(TransactionError::InvalidMethod {
                method: reqwest::Method::GET,
            })
        })?;
        *s.get_or_insert_with(Instant::now)
    };
    let i = user.weighted_users_index as u64 % r.users;
    let k = {
        let mut m = r.next_k.lock().map_err(|_| {
            Box::new(TransactionError::InvalidMethod {
                method: reqwest::Method::GET,
            })
        })?;
        let k = m.entry(i as usize).or_insert(0);
        let v = *k;
        *k += 1;
        v
    };
    let n = i + k * r.users;
    let intended = start + Duration::from_secs_f64(n as f64 / r.rate);
    let now = Instant::now();
    if intended > now {
        tokio::time::sleep(intended - now).await;
    }
    let (class, auth) = (r.pick)(n);
    let mut rb = user.get_request_builder(&GooseMethod::Get, &r.path)?;
    if let Some(a) = auth {
        rb = rb.header("authorization", a);
    }
    let req = GooseRequest::builder().set_request_builder(rb).build();
    let resp = user.request(req).await?;
    let status = resp
        .response
        .as_ref()
        .map(|r| r.status().as_u16())
        .unwrap_or(0);
    let latency_ms = intended.elapsed().as_secs_f64() * 1000.0;
    if let Some(live) = &r.live {
        live.started.get_or_init(|| start);
        live.count(status, status == 0 || status >= 500, latency_ms);
    }
    if let Ok(mut s) = r.samples.lock() {
        s.push(Sample {
            class,
            status,
            latency_ms,
        });
    }
    Ok(())
}
