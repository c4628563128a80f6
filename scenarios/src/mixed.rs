//! The mixed-traffic scenario: valid, expired, forged and malformed tokens
//! by weight under load, latency per family and zero wrong decisions.

use crate::endpoint::Endpoint;
use crate::engine;
use crate::error::Error;
use crate::figures::{fig, percentile};
use crate::load::paced_with;
use reports::model::{Band, Better, Scenario, Series};
use std::collections::BTreeMap;

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
) -> Result<Scenario, Error> {
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
        return Err(Error::NoCases);
    }
    let shared = std::sync::Arc::new(pool);
    let p = std::sync::Arc::clone(&shared);
    let samples = paced_with(
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
        ep.live.clone(),
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
        bars.push((i as f64, percentile(&lat, 0.5)));
    }
    let (mut throttled, mut errors) = (0usize, 0usize);
    for s in &samples {
        let allow_expected = s.class.ends_with("|1");
        match s.status {
            // Only a decision can be wrong.
            st if engine::is_decision(st) => {
                wrong += usize::from(!engine::decision_ok(st, allow_expected));
            }
            429 => throttled += 1,
            // A 5xx or a transport error: an error, never a decision.
            _ => errors += 1,
        }
    }
    let decided = samples.len() - throttled - errors;
    figures.insert(
        "errors".into(),
        fig(errors as f64, "requests", Better::Lower),
    );
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
        also: Vec::new(),
        series: vec![Series {
            title: "p50 latency by token family".into(),
            x_label: "token family".into(),
            y_label: "p50 latency (ms)".into(),
            kind: reports::model::SeriesKind::Bars,
            categories: weights.iter().map(|w| w.0.to_owned()).collect(),
            lines: BTreeMap::from([("p50".into(), bars)]),
            bounds: Vec::new(),
        }],
    })
}
