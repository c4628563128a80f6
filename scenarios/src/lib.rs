//! Load scenarios against an API Gateway endpoint (the local emulator or a
//! deployed API), each a function returning a typed [`Scenario`] for the
//! report. Pass/fail bands are ratios and fractions, never absolute times.
//!
//! The loaded scenarios (caching, throttling, mixed) run goose 0.19 attacks
//! with a paced transaction: user *i* of *U* sends its *k*-th request at
//! `start + (i + k·U)/R`, and latency is measured from that intended send
//! time (as wrk2 does), so a stall shows up instead of being hidden by
//! coordinated omission. Metrics are never reset after ramp-up and goose's
//! request log stays off (it would record the `Authorization` header).
//! Cold start is a sequence of single requests around emulator resets, so it
//! uses one plain HTTP client.

mod load;

pub use load::{paced, Picker, Sample};

use reports::model::{Band, Better, Figure, Scenario, Series};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Where to send requests.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The protected route, e.g. `http://127.0.0.1:PORT/hello`.
    pub url: String,
    /// The emulator's base URL for `/__emulator/{stats,reset}`; `None` for a
    /// deployed API.
    pub control: Option<String>,
}

impl Endpoint {
    async fn stats(&self, client: &reqwest::Client) -> Option<Value> {
        let base = self.control.as_ref()?;
        client
            .get(format!("{base}/__emulator/stats"))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()
    }

    async fn reset(&self, client: &reqwest::Client) -> Result<(), String> {
        let base = self
            .control
            .as_ref()
            .ok_or("cold starts need the emulator's reset endpoint")?;
        let r = client
            .post(format!("{base}/__emulator/reset"))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        r.status()
            .is_success()
            .then_some(())
            .ok_or_else(|| format!("reset returned {}", r.status()))
    }
}

fn counter(stats: Option<&Value>, key: &str) -> f64 {
    stats
        .and_then(|s| s.get(key))
        .and_then(Value::as_f64)
        .unwrap_or(0.0)
}

/// Median of `v` (0 for empty).
pub fn percentile(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let idx = ((s.len() - 1) as f64 * p).round() as usize;
    s[idx.min(s.len() - 1)]
}

/// A figure of `value` in `unit`.
pub fn fig(value: f64, unit: &str, better: Better) -> Figure {
    Figure {
        value,
        unit: unit.into(),
        better,
    }
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
) -> Result<(u16, f64), String> {
    let mut req = client.get(url);
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let t = Instant::now();
    let resp = req.send().await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let _ = resp.bytes().await;
    Ok((status, t.elapsed().as_secs_f64() * 1000.0))
}

/// Cold start: per trial, reset the emulator (no environment, empty cache),
/// open the connection with a token-less request (401, no invocation), then
/// time the first tokened request (cold), warm cache misses (new tokens)
/// and warm cache hits. Then a burst: `burst` simultaneous first requests
/// with distinct tokens must start `burst` environments.
///
/// `tokens` needs at least `trials × 6 + burst` distinct valid tokens.
///
/// # Errors
/// Unreachable endpoint, missing control endpoint, or too few tokens.
pub async fn cold_start(
    ep: &Endpoint,
    tokens: &[String],
    trials: usize,
    burst: usize,
) -> Result<Scenario, String> {
    if tokens.len() < trials * 6 + burst {
        return Err(format!(
            "cold start needs {} tokens, got {}",
            trials * 6 + burst,
            tokens.len()
        ));
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()
        .map_err(|e| e.to_string())?;
    let (mut first, mut miss, mut hit, mut init) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut next = tokens.iter().map(|t| format!("Bearer {t}"));
    for _ in 0..trials {
        ep.reset(&client).await?;
        let before = ep.stats(&client).await;
        let seen = before
            .as_ref()
            .and_then(|s| s["init_durations_ms"].as_array().map(Vec::len))
            .unwrap_or(0);
        let (s, _) = timed_get(&client, &ep.url, None).await?;
        if s != 401 {
            return Err(format!(
                "a request without a token returned {s}, expected 401"
            ));
        }
        let a = next.next().unwrap_or_default();
        let (s, ms) = timed_get(&client, &ep.url, Some(&a)).await?;
        if s != 200 {
            return Err(format!("first tokened request returned {s}"));
        }
        first.push(ms);
        for _ in 0..4 {
            let b = next.next().unwrap_or_default();
            miss.push(timed_get(&client, &ep.url, Some(&b)).await?.1);
            hit.push(timed_get(&client, &ep.url, Some(&a)).await?.1);
        }
        let _ = next.next();
        if let Some(after) = ep.stats(&client).await {
            if let Some(list) = after["init_durations_ms"].as_array() {
                init.extend(list.iter().skip(seen).filter_map(Value::as_f64));
            }
        }
    }
    // Concurrent burst on a cold emulator.
    ep.reset(&client).await?;
    let before = counter(ep.stats(&client).await.as_ref(), "cold_starts");
    // Everything is prepared first and released together, so the requests
    // overlap even when init takes only a few milliseconds.
    let gate = std::sync::Arc::new(tokio::sync::Barrier::new(burst.max(1)));
    let mut set = tokio::task::JoinSet::new();
    for t in next.by_ref().take(burst) {
        let (url, c, gate) = (ep.url.clone(), client.clone(), std::sync::Arc::clone(&gate));
        set.spawn(async move {
            gate.wait().await;
            timed_get(&c, &url, Some(&t))
                .await
                .map(|r| r.0)
                .unwrap_or(0)
        });
    }
    let mut ok = 0;
    while let Some(r) = set.join_next().await {
        ok += usize::from(r.unwrap_or(0) == 200);
    }
    let burst_cold = counter(ep.stats(&client).await.as_ref(), "cold_starts") - before;

    let (f50, m50, h50) = (
        percentile(&first, 0.5),
        percentile(&miss, 0.5),
        percentile(&hit, 0.5),
    );
    let ratio = if m50 > 0.0 { f50 / m50 } else { 0.0 };
    let band = Band {
        min: 1.0,
        max: 200.0,
    };
    let mut figures = BTreeMap::new();
    figures.insert("first_request_p50_ms".into(), fig(f50, "ms", Better::Lower));
    figures.insert("warm_miss_p50_ms".into(), fig(m50, "ms", Better::Lower));
    figures.insert("warm_hit_p50_ms".into(), fig(h50, "ms", Better::Lower));
    figures.insert(
        "cold_penalty_ms".into(),
        fig(f50 - m50, "ms", Better::Lower),
    );
    figures.insert(
        "cold_to_warm_ratio".into(),
        fig(ratio, "ratio", Better::InBand),
    );
    figures.insert(
        "init_p50_ms".into(),
        fig(percentile(&init, 0.5), "ms", Better::Lower),
    );
    figures.insert(
        "init_max_ms".into(),
        fig(percentile(&init, 1.0), "ms", Better::Lower),
    );
    figures.insert(
        "burst_cold_starts".into(),
        fig(burst_cold, "environments", Better::InBand),
    );
    figures.insert(
        "burst_allowed".into(),
        fig(ok as f64, "requests", Better::InBand),
    );
    let pass =
        band.contains(ratio) && (burst == 0 || (burst_cold as usize == burst && ok == burst));
    let idx = |v: &[f64]| {
        v.iter()
            .enumerate()
            .map(|(i, y)| ((i + 1) as f64, *y))
            .collect::<Vec<_>>()
    };
    Ok(Scenario {
        inputs: BTreeMap::from([
            ("trials".into(), trials.to_string()),
            ("burst".into(), burst.to_string()),
        ]),
        figures,
        decides: "cold_to_warm_ratio".into(),
        band,
        pass,
        series: vec![
            Series {
                title: "Init duration per cold start".into(),
                x_label: "cold start".into(),
                y_label: "ms".into(),
                kind: "bars".into(),
                lines: BTreeMap::from([("init".into(), idx(&init))]),
            },
            Series {
                title: "First request vs warm requests per trial".into(),
                x_label: "trial".into(),
                y_label: "ms".into(),
                kind: "line".into(),
                lines: BTreeMap::from([
                    ("first (cold)".into(), idx(&first)),
                    (
                        "warm miss".into(),
                        idx(&miss
                            .chunks(4)
                            .map(|c| percentile(c, 0.5))
                            .collect::<Vec<_>>()),
                    ),
                    (
                        "warm hit".into(),
                        idx(&hit
                            .chunks(4)
                            .map(|c| percentile(c, 0.5))
                            .collect::<Vec<_>>()),
                    ),
                ]),
            },
        ],
    })
}

/// Caching: shared-token and unique-token requests mixed in one paced run
/// (same-run comparison) with server-side counters; optionally the same
/// shared-token load against a TTL-0 twin in alternating rounds; optionally
/// TTL expiry against a short-TTL twin.
///
/// # Errors
/// Unreachable endpoints or a failed goose attack.
#[allow(clippy::too_many_arguments)]
pub async fn caching(
    ep: &Endpoint,
    ttl_off: Option<&Endpoint>,
    short_ttl: Option<(&Endpoint, f64)>,
    shared: &str,
    unique: &[String],
    rate: f64,
    seconds: usize,
    rounds: usize,
) -> Result<Scenario, String> {
    let client = reqwest::Client::new();
    let shared_h = format!("Bearer {shared}");
    let unique_h: Vec<String> = unique.iter().map(|t| format!("Bearer {t}")).collect();
    let before = ep.stats(&client).await;
    let pick = {
        let (s, u) = (shared_h.clone(), unique_h.clone());
        move |n: u64| -> (String, Option<String>) {
            if n.is_multiple_of(2) || u.is_empty() {
                ("shared".into(), Some(s.clone()))
            } else {
                ("unique".into(), Some(u[(n / 2) as usize % u.len()].clone()))
            }
        }
    };
    let samples = paced(&ep.url, rate, seconds, std::sync::Arc::new(pick)).await?;
    let after = ep.stats(&client).await;
    let class = |c: &str| {
        samples
            .iter()
            .filter(|s| s.class == c && s.status == 200)
            .map(|s| s.latency_ms)
            .collect::<Vec<_>>()
    };
    let (shared_l, unique_l) = (class("shared"), class("unique"));
    let requests = samples.len() as f64;
    let invocations = counter(after.as_ref(), "authorizer_invocations")
        - counter(before.as_ref(), "authorizer_invocations");
    let hits = counter(after.as_ref(), "cache_hits") - counter(before.as_ref(), "cache_hits");
    let misses = counter(after.as_ref(), "cache_misses") - counter(before.as_ref(), "cache_misses");
    let hit_ratio = if hits + misses > 0.0 {
        hits / (hits + misses)
    } else {
        0.0
    };
    let mut figures = BTreeMap::new();
    figures.insert(
        "shared_p50_ms".into(),
        fig(percentile(&shared_l, 0.5), "ms", Better::Lower),
    );
    figures.insert(
        "shared_p95_ms".into(),
        fig(percentile(&shared_l, 0.95), "ms", Better::Lower),
    );
    figures.insert(
        "unique_p50_ms".into(),
        fig(percentile(&unique_l, 0.5), "ms", Better::Lower),
    );
    figures.insert(
        "unique_p95_ms".into(),
        fig(percentile(&unique_l, 0.95), "ms", Better::Lower),
    );
    figures.insert("requests".into(), fig(requests, "requests", Better::InBand));
    figures.insert(
        "non_200".into(),
        fig(
            samples.iter().filter(|s| s.status != 200).count() as f64,
            "requests",
            Better::Lower,
        ),
    );
    figures.insert(
        "invocations_per_request".into(),
        fig(
            if requests > 0.0 {
                invocations / requests
            } else {
                0.0
            },
            "ratio",
            Better::InBand,
        ),
    );
    figures.insert("hit_ratio".into(), fig(hit_ratio, "ratio", Better::Higher));
    let mut series = vec![Series {
        title: "Latency by class (p50, p95)".into(),
        x_label: "percentile".into(),
        y_label: "ms".into(),
        kind: "bars".into(),
        lines: BTreeMap::from([
            (
                "shared token (cache hits)".into(),
                vec![
                    (50.0, percentile(&shared_l, 0.5)),
                    (95.0, percentile(&shared_l, 0.95)),
                ],
            ),
            (
                "unique tokens (misses)".into(),
                vec![
                    (50.0, percentile(&unique_l, 0.5)),
                    (95.0, percentile(&unique_l, 0.95)),
                ],
            ),
        ]),
    }];
    if let Some(off) = ttl_off {
        let (mut on_p50, mut off_p50) = (Vec::new(), Vec::new());
        let only_shared = std::sync::Arc::new({
            let (s, u) = (shared_h.clone(), unique_h.clone());
            move |n: u64| {
                (
                    "ttl".to_owned(),
                    Some(if u.is_empty() {
                        s.clone()
                    } else {
                        u[n as usize % u.len()].clone()
                    }),
                )
            }
        });
        for _ in 0..rounds.max(1) {
            for (which, target) in [(&mut on_p50, ep), (&mut off_p50, off)] {
                let s = paced(
                    &target.url,
                    rate,
                    seconds.div_ceil(2).max(1),
                    only_shared.clone(),
                )
                .await?;
                which.push(percentile(
                    &s.iter().map(|x| x.latency_ms).collect::<Vec<_>>(),
                    0.5,
                ));
            }
        }
        let (on, offv) = (percentile(&on_p50, 0.5), percentile(&off_p50, 0.5));
        figures.insert("ttl_on_p50_ms".into(), fig(on, "ms", Better::Lower));
        figures.insert("ttl_off_p50_ms".into(), fig(offv, "ms", Better::Lower));
        figures.insert(
            "ttl_off_to_on_ratio".into(),
            fig(
                if on > 0.0 { offv / on } else { 0.0 },
                "ratio",
                Better::InBand,
            ),
        );
        let rounds_x = |v: &[f64]| {
            v.iter()
                .enumerate()
                .map(|(i, y)| ((i + 1) as f64, *y))
                .collect::<Vec<_>>()
        };
        series.push(Series {
            title: "TTL on vs off (alternating rounds, pinned rate)".into(),
            x_label: "round".into(),
            y_label: "p50 ms".into(),
            kind: "line".into(),
            lines: BTreeMap::from([
                ("TTL on".into(), rounds_x(&on_p50)),
                ("TTL 0".into(), rounds_x(&off_p50)),
            ]),
        });
    }
    if let Some((short, ttl_s)) = short_ttl {
        let inv = |s: Option<&Value>| counter(s, "authorizer_invocations");
        let token = unique_h.last().unwrap_or(&shared_h).clone();
        let s0 = inv(short.stats(&client).await.as_ref());
        timed_get(&client, &short.url, Some(&token)).await?;
        timed_get(&client, &short.url, Some(&token)).await?;
        let s1 = inv(short.stats(&client).await.as_ref());
        tokio::time::sleep(Duration::from_secs_f64(ttl_s + 0.3)).await;
        timed_get(&client, &short.url, Some(&token)).await?;
        let s2 = inv(short.stats(&client).await.as_ref());
        figures.insert(
            "ttl_expiry_reinvoked".into(),
            fig(
                if (s1 - s0 - 1.0).abs() < 0.5 && (s2 - s1 - 1.0).abs() < 0.5 {
                    1.0
                } else {
                    0.0
                },
                "bool",
                Better::Higher,
            ),
        );
    }
    // Half the requests reuse one token: ideally 1 − (unique + 1)/requests hit.
    let band = Band { min: 0.4, max: 1.0 };
    let mut pass =
        band.contains(hit_ratio) && figures.get("non_200").is_some_and(|f| f.value == 0.0);
    if let Some(f) = figures.get("ttl_expiry_reinvoked") {
        pass &= f.value == 1.0;
    }
    Ok(Scenario {
        inputs: BTreeMap::from([
            ("offered_rps".into(), rate.to_string()),
            ("seconds".into(), seconds.to_string()),
            ("unique_tokens".into(), unique.len().to_string()),
            ("rounds".into(), rounds.to_string()),
        ]),
        figures,
        decides: "hit_ratio".into(),
        band,
        pass,
        series,
    })
}

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
) -> Result<Scenario, String> {
    let client = reqwest::Client::new();
    let bearer = format!("Bearer {token}");
    let mut points = Vec::new();
    let mut worst_error: f64 = 0.0;
    for m in multipliers {
        let offered = rate * m;
        // Idle long enough for the bucket to refill, so each point starts equal.
        refill(ep, &client, rate, burst).await?;
        let b = bearer.clone();
        let samples = paced(
            &ep.url,
            offered,
            seconds,
            std::sync::Arc::new(move |_| ("t".to_owned(), Some(b.clone()))),
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
    let mut burst_admitted = 0.0;
    let want = (burst * 2.0).ceil() as usize;
    if want > 0 && want <= 2000 {
        refill(ep, &client, rate, burst).await?;
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..want {
            let (url, b, c) = (ep.url.clone(), bearer.clone(), client.clone());
            set.spawn(async move {
                timed_get(&c, &url, Some(&b))
                    .await
                    .map(|r| r.0)
                    .unwrap_or(0)
            });
        }
        while let Some(r) = set.join_next().await {
            burst_admitted += f64::from(u8::from(r.unwrap_or(0) == 200));
        }
    }
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
    let burst_ok = burst <= 0.0 || (burst_admitted / burst - 1.0).abs() <= 0.2;
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
        series: vec![
            Series {
                title: "Offered vs admitted rate".into(),
                x_label: "offered req/s".into(),
                y_label: "req/s".into(),
                kind: "line".into(),
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
            },
            Series {
                title: "429 fraction vs expected".into(),
                x_label: "offered req/s".into(),
                y_label: "fraction".into(),
                kind: "line".into(),
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
            },
        ],
    })
}

/// One token of the mixed workload.
#[derive(Debug, Clone)]
pub struct MixedCase {
    /// `valid`, `expired`, `forged` or `malformed`.
    pub family: String,
    /// The `Authorization` value (`None`: no header).
    pub authorization: Option<String>,
    /// Whether it must be allowed.
    pub allow: bool,
}

/// Waits until a token bucket of `rate`/`burst` is full again: the emulator's
/// reset where there is one, else idling `burst / rate` plus a 0.5 s margin
/// (at most 60 s) — a deployed stage refills only with time.
async fn refill(
    ep: &Endpoint,
    client: &reqwest::Client,
    rate: f64,
    burst: f64,
) -> Result<(), String> {
    if ep.control.is_some() {
        return ep.reset(client).await;
    }
    let idle = if rate > 0.0 { burst / rate + 0.5 } else { 60.0 };
    tokio::time::sleep(Duration::from_secs_f64(idle.clamp(0.5, 60.0))).await;
    Ok(())
}

/// Mixed traffic: valid, expired, forged and malformed tokens by weight
/// under load; latency per family and zero wrong decisions. A 429 is
/// throttling, never a wrong decision: it is counted apart
/// (`throttled_requests`).
///
/// # Errors
/// Unreachable endpoint or a failed goose attack.
pub async fn mixed(
    ep: &Endpoint,
    cases: &[MixedCase],
    weights: &[(&str, u32)],
    rate: f64,
    seconds: usize,
) -> Result<Scenario, String> {
    let mut pool: Vec<MixedCase> = Vec::new();
    for (family, w) in weights {
        let fam: Vec<&MixedCase> = cases.iter().filter(|c| c.family == *family).collect();
        for i in 0..(*w as usize * 4) {
            if let Some(c) = fam.get(i % fam.len().max(1)) {
                pool.push((*c).clone());
            }
        }
    }
    if pool.is_empty() {
        return Err("mixed traffic needs cases".into());
    }
    let shared = std::sync::Arc::new(pool);
    let p = std::sync::Arc::clone(&shared);
    let samples = paced(
        &ep.url,
        rate,
        seconds,
        std::sync::Arc::new(move |n: u64| {
            let c = &p[(n as usize).wrapping_mul(7919) % p.len()];
            (
                format!("{}|{}", c.family, u8::from(c.allow)),
                c.authorization.clone(),
            )
        }),
    )
    .await?;
    let mut figures = BTreeMap::new();
    let mut wrong = 0usize;
    let mut bars = Vec::new();
    for (i, (family, _)) in weights.iter().enumerate() {
        let lat: Vec<f64> = samples
            .iter()
            .filter(|s| s.class.starts_with(&format!("{family}|")))
            .map(|s| s.latency_ms)
            .collect();
        figures.insert(
            format!("{family}_p50_ms"),
            fig(percentile(&lat, 0.5), "ms", Better::Lower),
        );
        figures.insert(
            format!("{family}_requests"),
            fig(lat.len() as f64, "requests", Better::InBand),
        );
        bars.push(((i + 1) as f64, percentile(&lat, 0.5)));
    }
    let mut throttled = 0usize;
    for s in &samples {
        let allow_expected = s.class.ends_with("|1");
        let ok = match s.status {
            200 => allow_expected,
            401 | 403 => !allow_expected,
            429 => {
                throttled += 1;
                true
            }
            _ => false,
        };
        wrong += usize::from(!ok);
    }
    let decided = samples.len() - throttled;
    figures.insert(
        "wrong_decisions".into(),
        fig(wrong as f64, "requests", Better::Lower),
    );
    figures.insert(
        "throttled_requests".into(),
        fig(throttled as f64, "requests", Better::Lower),
    );
    figures.insert(
        "requests".into(),
        fig(samples.len() as f64, "requests", Better::InBand),
    );
    let band = Band { min: 0.0, max: 0.0 };
    Ok(Scenario {
        inputs: BTreeMap::from([
            ("offered_rps".into(), rate.to_string()),
            ("seconds".into(), seconds.to_string()),
            (
                "weights".into(),
                weights
                    .iter()
                    .map(|(f, w)| format!("{f}:{w}"))
                    .collect::<Vec<_>>()
                    .join(","),
            ),
        ]),
        pass: wrong == 0 && decided > 0,
        figures,
        decides: "wrong_decisions".into(),
        band,
        series: vec![Series {
            title: format!(
                "p50 latency by family ({})",
                weights.iter().map(|w| w.0).collect::<Vec<_>>().join(", ")
            ),
            x_label: "family (in weight order)".into(),
            y_label: "ms".into(),
            kind: "bars".into(),
            lines: BTreeMap::from([("p50".into(), bars)]),
        }],
    })
}

/// Whether a stop was requested (Ctrl-C) — goose's kill switch, which also
/// ends a running attack early.
pub fn stop_requested() -> bool {
    goose::is_killswitch_triggered()
}

/// Requests a stop: the running attack ends and the caller sees
/// [`stop_requested`].
pub fn request_stop() {
    goose::trigger_killswitch("interrupted");
}
