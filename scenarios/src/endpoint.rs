//! Where requests go, and one request timed.

use crate::error::Error;
use std::time::Instant;

/// Where to send requests.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The protected route, e.g. `http://127.0.0.1:PORT/hello`.
    pub url: String,
    /// Fed as requests go, for a progress display.
    pub live: Option<std::sync::Arc<crate::engine::Live>>,
}

/// One GET (with an `Authorization` value if given): status and latency in
/// ms, the body read.
///
/// # Errors
/// Transport failures.
pub async fn timed_get(
    client: &reqwest::Client,
    url: &str,
    auth: Option<&str>,
) -> Result<(u16, f64), Error> {
    let mut req = client.get(url);
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let t = Instant::now();
    let resp = req.send().await?;
    let status = resp.status().as_u16();
    let _ = resp.bytes().await;
    Ok((status, t.elapsed().as_secs_f64() * 1000.0))
}
