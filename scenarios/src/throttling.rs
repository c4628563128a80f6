//! The throttling scenario: a sweep of offered rates around the stage's
//! configured rate, then a burst after the bucket refilled.

use crate::endpoint::{timed_get, Endpoint};
use crate::error::Error;
use crate::figures::fig;
use crate::load::paced_with;
use reports::model::{Band, Better, Scenario, Series};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Throttling: a sweep of offered rates (multiples of the configured rate),
/// then a burst after idling. The 429 fraction is compared with the
/// expected `1 − rate/offered` (burst tokens aside).
///
/// # Errors
/// Unreachable endpoint or a failed goose attack.
pub async fn throttling(
    ep: &Endpoint,
    token: &str,
    rate: f64,
    burst: f64,
    multipliers: &[f64],
    seconds: usize,
) -> Result<Scenario, Error> {
    let client = reqwest::Client::new();
    let bearer = format!("Bearer {token}");
    let mut points = Vec::new();
    let mut worst_error: f64 = 0.0;
    for m in multipliers {
        let offered = rate * m;
        // Idle long enough for the bucket to refill, so each point starts equal.
        refill(rate, burst).await;
        let b = bearer.clone();
        let samples = paced_with(
            &ep.url,
            offered,
            seconds,
            std::sync::Arc::new(move |_| ("t".to_owned(), Some(b.clone()))),
            ep.live.clone(),
        )
        .await?;
        let n = samples.len() as f64;
        let admitted = samples.iter().filter(|s| s.status == 200).count() as f64;
        let throttled = samples.iter().filter(|s| s.status == 429).count() as f64;
        let secs = seconds as f64;
        // Expected: the bucket admits burst + rate·t of the offered·t.
        let expected_admitted = (burst + rate * secs).min(n);
        let expected_429 = if n > 0.0 {
            1.0 - expected_admitted / n
        } else {
            0.0
        };
        let frac_429 = if n > 0.0 { throttled / n } else { 0.0 };
        worst_error = worst_error.max((frac_429 - expected_429).abs());
        points.push((offered, admitted / secs, frac_429, expected_429.max(0.0)));
    }
    // Burst: idle until the bucket is full again, then 2×burst at once.
    let want = (burst * 2.0).ceil() as usize;
    let burst_measured = want > 0 && want <= 2000;
    let (burst_admitted, burst_secs) = if burst_measured {
        refill(rate, burst).await;
        burst_at_once(&client, &ep.url, &bearer, want).await
    } else {
        (0.0, 0.0)
    };
    let (burst_expected_max, burst_band) = burst_band(burst, rate, burst_secs, want);
    let top = points.last().map_or(0.0, |p| p.1);
    let band = Band {
        min: 0.0,
        max: 0.15,
    };
    let mut figures = BTreeMap::new();
    figures.insert("configured_rate".into(), fig(rate, "req/s", Better::InBand));
    figures.insert(
        "configured_burst".into(),
        fig(burst, "requests", Better::InBand),
    );
    figures.insert(
        "admitted_rps_at_max_offered".into(),
        fig(top, "req/s", Better::InBand),
    );
    figures.insert(
        "admitted_to_configured_at_max".into(),
        fig(
            if rate > 0.0 { top / rate } else { 0.0 },
            "ratio",
            Better::InBand,
        ),
    );
    figures.insert(
        "max_429_fraction_error".into(),
        fig(worst_error, "fraction", Better::Lower),
    );
    figures.insert(
        "burst_admitted".into(),
        fig(burst_admitted, "requests", Better::InBand),
    );
    figures.insert(
        "burst_admitted_to_configured".into(),
        fig(
            if burst > 0.0 {
                burst_admitted / burst
            } else {
                0.0
            },
            "ratio",
            Better::InBand,
        ),
    );
    figures.insert("burst_seconds".into(), fig(burst_secs, "s", Better::InBand));
    figures.insert(
        "burst_expected_max".into(),
        fig(burst_expected_max, "requests", Better::InBand),
    );
    let also = Vec::from_iter(burst_measured.then(|| reports::model::Criterion {
        figure: "burst_admitted".into(),
        band: burst_band,
    }));
    let burst_ok = !burst_measured || burst_band.contains(burst_admitted);
    Ok(Scenario {
        inputs: BTreeMap::from([
            ("configured_rate".into(), rate.to_string()),
            ("configured_burst".into(), burst.to_string()),
            ("multipliers".into(), format!("{multipliers:?}")),
            ("seconds_per_point".into(), seconds.to_string()),
        ]),
        pass: band.contains(worst_error) && burst_ok,
        figures,
        decides: "max_429_fraction_error".into(),
        band,
        also,
        series: vec![
            Series {
                title: "Offered vs admitted rate".into(),
                x_label: "offered req/s".into(),
                y_label: "req/s".into(),
                kind: reports::model::SeriesKind::Line,
                categories: Vec::new(),
                lines: BTreeMap::from([
                    (
                        "admitted".into(),
                        points.iter().map(|p| (p.0, p.1)).collect(),
                    ),
                    (
                        "configured rate".into(),
                        points.iter().map(|p| (p.0, rate)).collect(),
                    ),
                ]),
                bounds: Vec::new(),
            },
            Series {
                title: "429 fraction vs expected".into(),
                x_label: "offered req/s".into(),
                y_label: "fraction".into(),
                kind: reports::model::SeriesKind::Line,
                categories: Vec::new(),
                lines: BTreeMap::from([
                    (
                        "measured".into(),
                        points.iter().map(|p| (p.0, p.2)).collect(),
                    ),
                    (
                        "expected 1 − (burst + rate·t)/(offered·t)".into(),
                        points.iter().map(|p| (p.0, p.3)).collect(),
                    ),
                ]),
                bounds: Vec::new(),
            },
        ],
    })
}

/// The admissions a burst of `sent` requests answered over `secs` may
/// get from a full bucket of `burst` refilled at `rate`: at least 0.8 ×
/// burst, at most 1.2 × (burst + rate × secs), capped at what was sent.
/// Returns that upper expectation (before the 1.2) and the band.
fn burst_band(burst: f64, rate: f64, secs: f64, sent: usize) -> (f64, Band) {
    let expected_max = (burst + rate * secs).min(sent as f64);
    (
        expected_max,
        Band {
            min: (0.8 * burst).floor(),
            max: (1.2 * expected_max).ceil(),
        },
    )
}

/// Sends `n` requests at once: how many were admitted (200) and how long
/// the last answer took. The bucket refills while the burst is answered,
/// so up to burst + rate × that time are admitted.
async fn burst_at_once(client: &reqwest::Client, url: &str, bearer: &str, n: usize) -> (f64, f64) {
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..n {
        let (url, b, c) = (url.to_owned(), bearer.to_owned(), client.clone());
        set.spawn(async move {
            timed_get(&c, &url, Some(&b))
                .await
                .map(|r| r.0)
                .unwrap_or(0)
        });
    }
    let mut admitted = 0.0;
    while let Some(r) = set.join_next().await {
        admitted += f64::from(u8::from(r.unwrap_or(0) == 200));
    }
    (admitted, started.elapsed().as_secs_f64())
}

/// Waits until a token bucket of `rate`/`burst` is full again: idling
/// `burst / rate` plus a 0.5 s margin (at most 60 s) — a stage refills only
/// with time.
async fn refill(rate: f64, burst: f64) {
    let idle = if rate > 0.0 { burst / rate + 0.5 } else { 60.0 };
    tokio::time::sleep(Duration::from_secs_f64(idle.clamp(0.5, 60.0))).await;
}

#[cfg(test)]
mod tests {
    use super::burst_band;

    #[test]
    fn a_burst_answered_slowly_may_admit_what_the_bucket_refilled() {
        // The reviewed case: burst 30, TTL 0, the burst took 1 s at
        // 10 req/s refill: 39 admitted is expected, not a failure (the old
        // |39/30 − 1| ≤ 0.2 said FAIL).
        let (expected, band) = burst_band(30.0, 10.0, 1.0, 60);
        assert!((expected - 40.0).abs() < 1e-9);
        assert!(band.contains(39.0), "{band:?}");
        // An answered-at-once burst still holds the configured burst.
        let (_, quick) = burst_band(30.0, 10.0, 0.01, 60);
        assert!(quick.contains(30.0) && !quick.contains(45.0), "{quick:?}");
        // Too few admitted fails; never more than what was sent is expected.
        assert!(!band.contains(20.0));
        let (capped, _) = burst_band(30.0, 100.0, 5.0, 60);
        assert!((capped - 60.0).abs() < 1e-9);
    }
}
