//! `cargo bench -p harness --bench gateway` — the emulator's own cost:
//! (1) p50 of an uncached authorizer call through the gateway (TTL 0) minus
//! p50 of the same call driven directly over the Runtime API, and (2)
//! cache-hit throughput with `wrk` (Debian's `wrk`) when it is installed.
//! Needs the release authorizer binary. Prints a table and writes
//! `target/bench-gateway.json`.

use emulator::config::GatewayConfig;
use emulator::gateway::Gateway;
use emulator::lambda::{Environment, FunctionConfig};
use serde_json::json;
use std::time::{Duration, Instant};
use tokens::jws::LocalSigner;

const N: usize = 3000;
const WARM: usize = 300;

fn p50(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return; // `cargo test --benches` probes bench binaries this way.
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run());
}

async fn run() {
    let binary = harness::binary::authorizer_binary(true)
        .expect("release authorizer (cargo build --release -p authorizer)");
    let signer = LocalSigner::generate();
    let env = vec![
        ("JWT_PUBLIC_KEY_PEM".to_owned(), signer.public_pem()),
        ("JWT_ISSUER".to_owned(), "https://issuer.bench".to_owned()),
        ("JWT_AUDIENCE".to_owned(), "bench".to_owned()),
    ];
    let now = authorizer::UnixTime::now().0 as i64;
    let token = signer.token(
        r#"{"alg":"ES512","typ":"JWT"}"#,
        &json!({"iss": "https://issuer.bench", "aud": "bench", "sub": "b", "exp": now + 3600})
            .to_string(),
    );
    let bearer = format!("Bearer {token}");

    // (1a) Direct over the Runtime API.
    let mut f = FunctionConfig::new(&binary);
    f.env.clone_from(&env);
    let mut direct_env = Environment::start(&f).await.expect("start");
    let event = bytes::Bytes::from(harness::check::v2_event(Some(&bearer), now * 1000).to_string());
    let mut direct = Vec::with_capacity(N);
    for i in 0..WARM + N {
        let t = Instant::now();
        direct_env.invoke(event.clone()).await.expect("invoke");
        if i >= WARM {
            direct.push(t.elapsed());
        }
    }
    direct_env.stop().await;

    // (1b) Through the gateway, cache off, one keep-alive client.
    let cfg = GatewayConfig {
        authorizer: binary.clone(),
        env: env.clone(),
        cache_ttl_seconds: 0,
        account_throttle: false,
        ..GatewayConfig::default()
    };
    let gw = Gateway::start(cfg).await.expect("gateway");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()
        .expect("client");
    let url = format!("{}/hello", gw.base_url());
    let mut via = Vec::with_capacity(N);
    for i in 0..WARM + N {
        let t = Instant::now();
        let r = client
            .get(&url)
            .header("authorization", &bearer)
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), 200);
        let _ = r.bytes().await;
        if i >= WARM {
            via.push(t.elapsed());
        }
    }
    gw.stop().await;
    let (d, g) = (p50(direct), p50(via));
    let overhead_us = g.as_secs_f64() * 1e6 - d.as_secs_f64() * 1e6;

    // (2) Cache-hit throughput with wrk.
    let cfg = GatewayConfig {
        authorizer: binary,
        env,
        cache_ttl_seconds: 300,
        account_throttle: false,
        ..GatewayConfig::default()
    };
    let gw = Gateway::start(cfg).await.expect("gateway");
    let url = format!("{}/hello", gw.base_url());
    let _ = reqwest::Client::new()
        .get(&url)
        .header("authorization", &bearer)
        .send()
        .await;
    let wrk = tokio::process::Command::new("wrk")
        .args([
            "-t2",
            "-c64",
            "-d10s",
            "--latency",
            "-H",
            &format!("Authorization: {bearer}"),
            &url,
        ])
        .output()
        .await;
    let stats = gw.stats();
    gw.stop().await;
    let (rps, wrk_text) = match wrk {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let rps = text
                .lines()
                .find_map(|l| l.strip_prefix("Requests/sec:"))
                .and_then(|v| v.trim().parse::<f64>().ok());
            (rps, text)
        }
        _ => (
            None,
            "wrk not installed (apt-get install wrk): throughput not measured".to_owned(),
        ),
    };
    println!("{wrk_text}");
    println!("| measure | value |\n|---|---|");
    println!(
        "| p50 direct Runtime API invoke (n={N}) | {:.0} µs |",
        d.as_secs_f64() * 1e6
    );
    println!(
        "| p50 through the gateway, cache off (n={N}) | {:.0} µs |",
        g.as_secs_f64() * 1e6
    );
    println!("| gateway overhead at p50 | {overhead_us:.0} µs |");
    match rps {
        Some(r) => println!("| cache-hit throughput (wrk -t2 -c64 -d10s) | {r:.0} req/s |"),
        None => println!("| cache-hit throughput | not measured (no wrk) |"),
    }
    println!(
        "| authorizer invocations during the wrk run | {} |",
        stats.authorizer_invocations
    );
    let doc = json!({
        "p50_direct_us": d.as_secs_f64() * 1e6, "p50_gateway_us": g.as_secs_f64() * 1e6, "overhead_p50_us": overhead_us,
        "cache_hit_rps": rps, "samples": N,
    });
    let out = harness::binary::workspace_root().join("target/bench-gateway.json");
    let _ = reports::write_atomic(&out, doc.to_string().as_bytes());
}
