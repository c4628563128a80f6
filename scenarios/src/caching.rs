//! The caching scenario, measured as on AWS: one shared token sent paced,
//! the authorizer's invocations counted from its own decision lines in the
//! function's log group, then the deployed TTL's expiry.

use reports::model::Scenario;
use std::collections::BTreeMap;

/// Caching measured as on AWS: one shared token sent paced, the
/// authorizer's invocations counted from its own decision lines in the
/// function's log group (distinct request ids, `FilterLogEvents` over the
/// run's window, polled until the count is stable). Hit ratio = 1 −
/// invocations / answered requests; it must be at least 0.5 (a shared token
/// under any TTL ≥ a few seconds is answered from the cache but for the
/// first request per cache partition), so TTL 0 fails. Then the deployed
/// TTL's expiry: when it is at most `expiry_wait_max` seconds, the token is
/// sent again after TTL + 1 s and must reach the authorizer once more;
/// longer, it is not measured and the scenario says so.
pub async fn caching(
    url: &str,
    token: &str,
    group: &str,
    ttl_seconds: Option<i32>,
    timing: Timing,
) -> crate::error::Result<Scenario> {
    let Timing {
        rate,
        seconds,
        expiry_wait_max,
    } = timing;
    use crate::figures::fig;
    use reports::model::{Band, Better};
    let header = format!("Bearer {token}");
    // A quiet second first, so the window holds this scenario's traffic
    // only (the log lines of the stage before are stamped before it).
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let start_ms = emulator::civil_time::now_ms();
    let samples = crate::load::paced(
        url,
        rate,
        seconds,
        std::sync::Arc::new(move |_| ("shared".to_owned(), Some(header.clone()))),
    )
    .await?;
    // The stage after starts only once the count has settled, so a second
    // of slack for late lines cannot take in its traffic.
    let end_ms = emulator::civil_time::now_ms() + 1000;
    let answered = samples.iter().filter(|s| s.status == 200).count();
    let throttled = samples.iter().filter(|s| s.status == 429).count();
    let client = emulator::cwlogs::client(None).await;
    let (ids, delivery) = crate::control_plane::settled_request_ids(
        &client,
        group,
        start_ms,
        end_ms,
        std::time::Duration::from_secs(60),
    )
    .await?;
    // No decision line at all is no measurement: the ratio is 0, never 1.
    let hit_ratio = if answered == 0 || ids.is_empty() {
        0.0
    } else {
        (1.0 - ids.len() as f64 / answered as f64).max(0.0)
    };
    let band = Band { min: 0.5, max: 1.0 };
    let mut figures = BTreeMap::new();
    figures.insert("hit_ratio".into(), fig(hit_ratio, "ratio", Better::Higher));
    figures.insert(
        "requests_answered".into(),
        fig(answered as f64, "requests", Better::InBand),
    );
    figures.insert(
        "requests_throttled".into(),
        fig(throttled as f64, "requests", Better::Lower),
    );
    figures.insert(
        "authorizer_invocations".into(),
        fig(ids.len() as f64, "invocations", Better::InBand),
    );
    figures.insert(
        "log_delivery_s".into(),
        fig(delivery.as_secs_f64(), "s", Better::Lower),
    );
    let mut inputs = BTreeMap::from([
        ("rate".into(), format!("{rate} req/s")),
        ("seconds".into(), seconds.to_string()),
        (
            "source".into(),
            format!("authorizer decision lines in {group} (FilterLogEvents), distinct request ids"),
        ),
        (
            "authorizer TTL".into(),
            ttl_seconds.map_or("unknown (no --deployment authorizer_id)".into(), |t| {
                format!("{t} s (GetAuthorizer)")
            }),
        ),
    ]);
    // The function's own metrics (EMF lines) over the same window: what an
    // operator would graph, read back as CloudWatch would extract them.
    let emf = emulator::cwlogs::emf_metrics(&client, group, start_ms, end_ms).await?;
    inputs.insert(
        "metrics (EMF) in the log group".into(),
        if emf.is_empty() {
            "none (JWT_METRICS=off, or an authorizer without metrics)".into()
        } else {
            emf.iter()
                .map(|(name, lines)| format!("{name} ×{lines}"))
                .collect::<Vec<_>>()
                .join(", ")
        },
    );
    if ids.is_empty() {
        inputs.insert(
            "problem".into(),
            format!("no authorizer decision line reached {group} within 60 s: is the function logging there?"),
        );
    }
    // TTL expiry, with the deployed TTL.
    let mut expiry_ok = true;
    match ttl_seconds.and_then(|t| u64::try_from(t).ok()) {
        Some(ttl) if ttl > 0 && ttl <= expiry_wait_max => {
            let from_ms = emulator::civil_time::now_ms();
            let http = reqwest::Client::new();
            let header = format!("Bearer {token}");
            let first = crate::endpoint::timed_get(&http, url, Some(&header)).await?;
            tokio::time::sleep(std::time::Duration::from_secs(ttl + 1)).await;
            let again = crate::endpoint::timed_get(&http, url, Some(&header)).await?;
            let (expiry_ids, _) = crate::control_plane::settled_request_ids(
                &client,
                group,
                from_ms,
                emulator::civil_time::now_ms() + 1000,
                std::time::Duration::from_secs(60),
            )
            .await?;
            // The first request may be a hit (the cache of the run above);
            // the one after the TTL must not be.
            expiry_ok = first.0 == 200 && again.0 == 200 && !expiry_ids.is_empty();
            figures.insert(
                "invocations_after_ttl".into(),
                fig(expiry_ids.len() as f64, "invocations", Better::InBand),
            );
            inputs.insert(
                "ttl expiry".into(),
                format!(
                    "{} authorizer invocation(s) for the shared token resent {} s after the first (TTL {ttl} s): {}",
                    expiry_ids.len(),
                    ttl + 1,
                    if expiry_ok { "the cached result expired" } else { "NOT re-invoked" }
                ),
            );
        }
        Some(ttl) if ttl > 0 => {
            inputs.insert(
                "ttl expiry".into(),
                format!("not measured: the deployed TTL {ttl} s is longer than the {expiry_wait_max} s this run waits"),
            );
        }
        _ => {}
    }
    Ok(Scenario {
        inputs,
        figures,
        decides: "hit_ratio".into(),
        pass: band.min <= hit_ratio && hit_ratio <= band.max && expiry_ok,
        band,
        also: Vec::new(),
        series: Vec::new(),
    })
}

/// Pacing of the caching scenario.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Requests per second of the shared token.
    pub rate: f64,
    /// For how long.
    pub seconds: usize,
    /// The longest TTL whose expiry the run waits for.
    pub expiry_wait_max: u64,
}
