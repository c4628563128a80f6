//! `harness demo`: the authorizer binary under a local Runtime API, fed a
//! handful of tokens, then `N` more invocations to read its latency and
//! memory. Everything is local: a fresh P-521 key, no network.

use bytes::Bytes;
use emulator::lambda::{Environment, FunctionConfig, InvokeResult};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokens::jws::LocalSigner;

/// Demo settings.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// The authorizer binary.
    pub binary: PathBuf,
    /// Extra warm invocations for the latency and memory figures.
    pub invocations: usize,
}

/// What the demo measured.
#[derive(Debug, Clone)]
pub struct DemoReport {
    /// (case, decision, reason, invoke round trip).
    pub rows: Vec<(String, String, String, Duration)>,
    /// Spawn → first `/next`.
    pub init: Duration,
    /// Median round trip of the warm invocations.
    pub warm_p50: Duration,
    /// Resident memory after all invocations, KiB.
    pub rss_kib: Option<u64>,
    /// Peak resident memory, KiB.
    pub max_rss_kib: Option<u64>,
    /// Invocations made.
    pub invocations: usize,
}

fn now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs(),
    )
    .unwrap_or(0)
}

fn event(authorization: Option<&str>) -> Bytes {
    Bytes::from(crate::check::v2_event(authorization, now() * 1000).to_string())
}

/// Runs the demo.
///
/// # Errors
/// A one-line cause when the binary cannot start or an invocation fails.
pub async fn run(opts: &DemoOptions) -> crate::Result<DemoReport> {
    let signer = LocalSigner::generate();
    let mut f = FunctionConfig::new(&opts.binary);
    f.env = vec![
        ("JWT_PUBLIC_KEY_PEM".into(), signer.public_pem()),
        ("JWT_ISSUER".into(), "https://issuer.demo".into()),
        ("JWT_AUDIENCE".into(), "demo-api".into()),
    ];
    let mut env = Environment::start(&f).await?;
    let claims = |exp: i64| {
        json!({"iss": "https://issuer.demo", "aud": "demo-api", "sub": "demo-user", "exp": exp})
            .to_string()
    };
    let header = r#"{"alg":"ES512","typ":"JWT"}"#;
    let valid = signer.token(header, &claims(now() + 300));
    let expired = signer.token(header, &claims(now() - 10));
    let forged = LocalSigner::generate().token(header, &claims(now() + 300));
    let none = format!(
        "{}.",
        tokens::jws::signing_input(r#"{"alg":"none"}"#, &claims(now() + 300))
    );
    let cases: Vec<(&str, Option<String>)> = vec![
        ("valid", Some(format!("Bearer {valid}"))),
        ("valid (cached)", Some(format!("Bearer {valid}"))),
        ("expired", Some(format!("Bearer {expired}"))),
        ("forged (other key)", Some(format!("Bearer {forged}"))),
        ("alg none", Some(format!("Bearer {none}"))),
        ("basic auth", Some("Basic dXNlcjpwYXNz".into())),
        ("no header", None),
    ];
    let mut rows = Vec::new();
    for (name, auth) in &cases {
        let inv = env.invoke(event(auth.as_deref())).await?;
        let (decision, reason) = match &inv.result {
            InvokeResult::Response(b) => {
                let v: Value = serde_json::from_slice(b).unwrap_or_default();
                let allow = v["isAuthorized"] == true;
                (
                    if allow { "allow" } else { "deny" }.to_owned(),
                    v["context"]["reason"].as_str().unwrap_or("").to_owned(),
                )
            }
            InvokeResult::FunctionError { error_type, .. } => {
                ("error".to_owned(), error_type.clone())
            }
        };
        rows.push(((*name).to_owned(), decision, reason, inv.duration));
    }
    let mut warm = Vec::with_capacity(opts.invocations);
    for i in 0..opts.invocations {
        // Alternate a cached allow and an uncached deny.
        let auth = if i.is_multiple_of(2) {
            format!("Bearer {valid}")
        } else {
            format!("Bearer {forged}")
        };
        let inv = env.invoke(event(Some(&auth))).await?;
        warm.push(inv.duration);
    }
    warm.sort();
    let report = DemoReport {
        rows,
        init: env.init_duration,
        warm_p50: warm.get(warm.len() / 2).copied().unwrap_or_default(),
        rss_kib: env.rss_kib(),
        max_rss_kib: env.max_rss_kib(),
        invocations: cases.len() + opts.invocations,
    };
    env.stop().await;
    Ok(report)
}

/// The report as a console table.
pub fn render(r: &DemoReport) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{:<22} {:<8} {:<16} {:>10}\n",
        "case", "decision", "reason", "round trip"
    ));
    for (name, decision, reason, d) in &r.rows {
        out.push_str(&format!(
            "{name:<22} {decision:<8} {reason:<16} {:>8}µs\n",
            d.as_micros()
        ));
    }
    out.push_str(&format!(
        "\ninit (spawn → first /next): {:.2} ms\nwarm round trip p50 over {} invocations: {} µs\nresident memory: {} KiB (peak {} KiB)\n",
        r.init.as_secs_f64() * 1000.0,
        r.invocations,
        r.warm_p50.as_micros(),
        r.rss_kib.map_or("?".into(), |v| v.to_string()),
        r.max_rss_kib.map_or("?".into(), |v| v.to_string()),
    ));
    out
}
