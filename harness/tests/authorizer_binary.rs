//! The real `authorizer` binary driven over the Lambda Runtime API.

use bytes::Bytes;
use emulator::lambda::{Environment, FunctionConfig, InvokeResult};
use emulator::LambdaError;
use serde_json::{json, Value};
use std::time::{SystemTime, UNIX_EPOCH};
use tokens::jws::LocalSigner;

const ISS: &str = "https://issuer.example";

fn now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .as_secs(),
    )
    .expect("time")
}

fn function(signer: &LocalSigner) -> FunctionConfig {
    let mut f =
        FunctionConfig::new(harness::binary::authorizer_binary(false).expect("authorizer binary"));
    f.env = vec![
        ("JWT_PUBLIC_KEY_PEM".into(), signer.public_pem()),
        ("JWT_ISSUER".into(), ISS.into()),
        ("JWT_AUDIENCE".into(), "api".into()),
    ];
    f
}

fn token(signer: &LocalSigner, sub: &str) -> String {
    let claims =
        json!({"iss": ISS, "aud": "api", "sub": sub, "exp": now() + 300, "iat": now()}).to_string();
    signer.token(r#"{"alg":"ES512","typ":"JWT"}"#, &claims)
}

fn v2(authorization: Option<&str>) -> Bytes {
    let mut headers = json!({"host": "api.example"});
    if let Some(a) = authorization {
        headers["authorization"] = a.into();
    }
    let ev = json!({
        "version": "2.0", "type": "REQUEST",
        "routeArn": "arn:aws:execute-api:us-east-1:123456789012:abc123/$default/GET/hello",
        "identitySource": authorization.map(|a| vec![a]),
        "routeKey": "GET /hello", "rawPath": "/hello", "rawQueryString": "", "headers": headers,
        "requestContext": {"accountId": "123456789012", "apiId": "abc123", "http": {"method": "GET", "path": "/hello"},
                           "requestId": "abc=", "routeKey": "GET /hello", "stage": "$default", "timeEpoch": now() * 1000}
    });
    Bytes::from(ev.to_string())
}

async fn response(env: &mut Environment, payload: Bytes) -> Value {
    match env.invoke(payload).await.expect("invocation").result {
        InvokeResult::Response(body) => serde_json::from_slice(&body).expect("JSON response"),
        other => panic!("expected a response, got {other:?}"),
    }
}

#[tokio::test]
async fn allows_denies_and_never_logs_tokens() {
    let signer = LocalSigner::generate();
    let mut env = Environment::start(&function(&signer)).await.expect("init");
    let good = token(&signer, "user-secret-sub");
    let allowed = response(&mut env, v2(Some(&format!("Bearer {good}")))).await;
    assert_eq!(allowed["isAuthorized"], true, "{allowed}");
    assert_eq!(allowed["context"]["sub"], "user-secret-sub");

    let other = LocalSigner::generate();
    let forged = token(&other, "mallory");
    let denied = response(&mut env, v2(Some(&format!("Bearer {forged}")))).await;
    assert_eq!(
        denied,
        json!({"isAuthorized": false, "context": {"reason": "bad_signature"}})
    );

    let missing = response(&mut env, v2(None)).await;
    assert_eq!(missing["context"]["reason"], "missing_token");

    let garbage = response(&mut env, Bytes::from_static(b"{\"hello\":1}")).await;
    assert_eq!(garbage["context"]["reason"], "bad_event");

    // REST TOKEN authorizer: allow policy, deny as the `Unauthorized` error.
    let token_event = |t: &str| {
        Bytes::from(
            json!({"type": "TOKEN", "authorizationToken": t,
            "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets"})
            .to_string(),
        )
    };
    let policy = response(&mut env, token_event(&format!("Bearer {good}"))).await;
    assert_eq!(policy["principalId"], "user-secret-sub");
    assert_eq!(
        policy["policyDocument"]["Statement"][0]["Resource"],
        "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/*/*"
    );
    let rejected = env
        .invoke(token_event(&format!("Bearer {forged}")))
        .await
        .expect("invocation");
    assert_eq!(
        rejected.result,
        InvokeResult::FunctionError {
            error_type: "Unauthorized".into(),
            message: "Unauthorized".into()
        }
    );

    // Give the log collector a moment, then check what the function printed.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let logs = env.logs();
    env.stop().await;
    let decisions: Vec<Value> = logs
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["event"] == "decision")
        .collect();
    assert_eq!(
        decisions.len(),
        6,
        "one decision line per invocation: {logs:#?}"
    );
    assert!(decisions
        .iter()
        .all(|d| d["latency_us"].is_u64() && d["request_id"].is_string()));
    // API Gateway's request id (payload 2.0 events carry one; REST TOKEN
    // events do not) and the X-Ray trace id the Runtime API passed.
    let ids: Vec<&Value> = decisions.iter().map(|d| &d["apigw_request_id"]).collect();
    assert_eq!(ids[0], "abc=", "{decisions:#?}");
    assert!(ids[4].is_null(), "a TOKEN event has no requestContext");
    assert!(decisions.iter().all(|d| d["trace_id"]
        .as_str()
        .is_some_and(|t| t.starts_with("Root=1-"))));
    assert!(
        decisions[0]["verify_us"].is_u64(),
        "the allow verified a signature"
    );
    assert!(
        decisions[2]["verify_us"].is_null(),
        "a missing token verifies nothing"
    );
    assert!(
        logs.iter().any(|l| l.contains("\"cold_start\"")),
        "cold start line: {logs:#?}"
    );
    let all = logs.join("\n");
    for t in [&good, &forged] {
        for segment in t.split('.') {
            assert!(!all.contains(segment), "a token segment reached the logs");
        }
    }
    assert!(
        !all.contains("user-secret-sub") && !all.contains("mallory"),
        "claims reached the logs"
    );
}

/// The EMF lines the binary printed, parsed.
fn emf_lines(logs: &[String]) -> Vec<Value> {
    logs.iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("_aws").is_some())
        .collect()
}

#[tokio::test]
async fn metrics_are_one_emf_line_per_invocation_and_off_when_asked() {
    let signer = LocalSigner::generate();
    let mut f = function(&signer);
    f.env
        .push(("JWT_METRICS_NAMESPACE".into(), "Harness/Test".into()));
    let mut env = Environment::start(&f).await.expect("init");
    let good = format!("Bearer {}", token(&signer, "u"));
    for authorization in [Some(good.as_str()), Some(good.as_str()), None] {
        response(&mut env, v2(authorization)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let emf = emf_lines(&env.logs());
    env.stop().await;
    assert_eq!(emf.len(), 3, "{emf:#?}");
    for doc in &emf {
        assert!(doc["_aws"]["Timestamp"].is_u64());
        assert_eq!(doc["FunctionName"], f.name.as_str());
        for d in doc["_aws"]["CloudWatchMetrics"]
            .as_array()
            .expect("directives")
        {
            assert_eq!(d["Namespace"], "Harness/Test");
        }
    }
    assert_eq!(
        (
            &emf[0]["Outcome"],
            &emf[0]["CacheHits"],
            emf[0]["VerifyTime"].is_u64()
        ),
        (&json!("allow"), &json!(0), true)
    );
    assert_eq!(
        (&emf[1]["CacheHits"], emf[1].get("VerifyTime")),
        (&json!(1), None)
    );
    assert_eq!(
        (&emf[2]["Outcome"], &emf[2]["Reason"], &emf[2]["Denies"]),
        (&json!("deny"), &json!("missing_token"), &json!(1))
    );

    f.env.push(("JWT_METRICS".into(), "off".into()));
    let mut env = Environment::start(&f).await.expect("init");
    response(&mut env, v2(Some(&good))).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let logs = env.logs();
    env.stop().await;
    assert!(emf_lines(&logs).is_empty(), "{logs:#?}");
    assert!(logs.iter().any(|l| l.contains("\"decision\"")));
}

/// The lean build (no AWS SDK), from `scripts/build-lambda.sh`: `.ci/run`
/// sets `AUTHORIZER_LEAN_BIN`.
fn lean_binary() -> Option<std::path::PathBuf> {
    match std::env::var_os("AUTHORIZER_LEAN_BIN") {
        Some(p) => Some(p.into()),
        None if std::env::var_os("CI").is_some() => {
            panic!("CI must set AUTHORIZER_LEAN_BIN (scripts/build-lambda.sh builds it)")
        }
        None => {
            eprintln!("SKIPPED: AUTHORIZER_LEAN_BIN is not set (scripts/build-lambda.sh builds the lean binary)");
            None
        }
    }
}

#[tokio::test]
async fn the_lean_build_decides_and_refuses_a_kms_key_at_init_naming_it() {
    let Some(lean) = lean_binary() else { return };
    let signer = LocalSigner::generate();
    let mut f = function(&signer);
    f.binary = lean;
    let mut env = Environment::start(&f).await.expect("init");
    let good = format!("Bearer {}", token(&signer, "u"));
    assert_eq!(
        response(&mut env, v2(Some(&good))).await["isAuthorized"],
        true
    );
    env.stop().await;
    f.env.push(("JWT_KMS_KEY_IDS".into(), "alias/jwt".into()));
    match Environment::start(&f).await {
        Err(LambdaError::InitError {
            error_type,
            message,
        }) => {
            assert_eq!(error_type, "Runtime.ConfigError");
            assert!(
                message.starts_with("JWT_KMS_KEY_IDS is invalid"),
                "{message}"
            );
            assert!(message.contains("lean build"), "{message}");
        }
        other => panic!("expected an init error, got {other:?}"),
    }
}

#[tokio::test]
async fn bad_configuration_is_an_init_error_naming_the_variable() {
    let signer = LocalSigner::generate();
    let mut f = function(&signer);
    f.env.retain(|(k, _)| k != "JWT_ISSUER");
    match Environment::start(&f).await {
        Err(LambdaError::InitError {
            error_type,
            message,
        }) => {
            assert_eq!(error_type, "Runtime.ConfigError");
            assert!(message.contains("JWT_ISSUER"), "{message}");
        }
        other => panic!("expected an init error, got {other:?}"),
    }
}

/// The function's log lines, parsed (every line the binary prints is JSON).
fn log_lines(env: &Environment) -> Vec<Value> {
    env.logs()
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|_| json!({"unparsed": l})))
        .collect()
}

fn assert_no_token_text(logs: &[String], token: &str) {
    let all = logs.join("\n");
    for segment in token.split('.') {
        assert!(
            !all.contains(segment),
            "a token segment reached the logs: {all}"
        );
    }
}

#[tokio::test]
async fn denies_log_once_at_info_and_never_name_an_unverified_kid() {
    let signer = LocalSigner::generate();
    let mut f = function(&signer);
    f.env
        .push(("JWT_PUBLIC_KEY_KIDS".into(), "genuine-kid".into()));
    let mut env = Environment::start(&f).await.expect("init");
    let claims =
        json!({"iss": ISS, "aud": "api", "sub": "s", "exp": now() + 300, "iat": now()}).to_string();
    let good = signer.token(r#"{"alg":"ES512","kid":"genuine-kid"}"#, &claims);
    // Genuine header and claims, another key's signature: claims the kid.
    let forged = LocalSigner::generate().token(r#"{"alg":"ES512","kid":"genuine-kid"}"#, &claims);
    let token_event = |t: &str| {
        Bytes::from(
            json!({"type": "TOKEN", "authorizationToken": format!("Bearer {t}"),
            "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets"})
            .to_string(),
        )
    };
    for _ in 0..3 {
        let r = env.invoke(token_event(&forged)).await.expect("invocation");
        assert!(matches!(r.result, InvokeResult::FunctionError { .. }));
    }
    let allowed = response(&mut env, v2(Some(&format!("Bearer {good}")))).await;
    assert_eq!(allowed["isAuthorized"], true);
    // The same token again: a cache hit, still naming the key.
    let again = response(&mut env, v2(Some(&format!("Bearer {good}")))).await;
    assert_eq!(again["isAuthorized"], true);
    let denied = response(&mut env, v2(Some(&format!("Bearer {forged}")))).await;
    assert_eq!(denied["context"]["reason"], "bad_signature");
    // Verified, then refused by the claims: the verifying key is named.
    let stale =
        json!({"iss": ISS, "aud": "api", "sub": "s", "exp": now() - 3600, "iat": now() - 7200})
            .to_string();
    let expired = signer.token(r#"{"alg":"ES512","kid":"genuine-kid"}"#, &stale);
    let late = response(&mut env, v2(Some(&format!("Bearer {expired}")))).await;
    assert_eq!(late["context"]["reason"], "expired");
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let lines = log_lines(&env);
    env.stop().await;
    let errors: Vec<&Value> = lines
        .iter()
        .filter(|l| l["level"] == "ERROR" || l.get("unparsed").is_some())
        .collect();
    assert!(errors.is_empty(), "a deny is not an ERROR: {errors:#?}");
    let decisions: Vec<&Value> = lines.iter().filter(|l| l["event"] == "decision").collect();
    assert_eq!(decisions.len(), 7, "one line per decision: {lines:#?}");
    // The rule: `kid` names the key that verified the token, whenever one
    // did (cache hits included), and nothing else.
    let mut hits = 0;
    let mut named = std::collections::BTreeSet::new();
    for d in &decisions {
        assert_eq!(d["level"], "INFO", "{d}");
        let verified = d["outcome"] == "allow" || d["reason"] == "expired";
        if verified {
            assert!(d["kid"].is_string(), "the verifying key is named: {d}");
            named.insert(d["kid"].to_string());
        } else {
            assert!(
                d.get("kid").is_none(),
                "an unverified token is attributed to a key: {d}"
            );
        }
        hits += usize::from(d["cache"] == "hit");
    }
    assert_eq!(
        hits, 1,
        "the repeated token was a cache hit: {decisions:#?}"
    );
    assert_eq!(named.len(), 1, "one key verified them all: {named:?}");
    assert_no_token_text(&env_logs_text(&lines), &forged);
}

fn env_logs_text(lines: &[Value]) -> Vec<String> {
    lines.iter().map(Value::to_string).collect()
}

#[tokio::test]
async fn unparseable_events_are_denied_without_echoing_them() {
    let signer = LocalSigner::generate();
    let mut env = Environment::start(&function(&signer)).await.expect("init");
    let token = token(&signer, "user");
    let header = format!(
        r#"{{"version":"2.0","type":"REQUEST","headers":{{"authorization":"Bearer {token}"}}"#
    );
    let mut not_utf8 = format!(r#"{header},"x":""#).into_bytes();
    not_utf8.extend_from_slice(b"\xff\"}");
    let events: Vec<(&str, Vec<u8>)> = vec![
        ("invalid UTF-8", not_utf8),
        (
            "lone surrogate",
            format!(r#"{header},"x":"\ud800 {token}"}}"#).into_bytes(),
        ),
        ("1e400", format!(r#"{header},"x":1e400}}"#).into_bytes()),
        (
            "128+ levels",
            format!(
                r#"{header},"x":{}"{token}"{}}}"#,
                "[".repeat(130),
                "]".repeat(130)
            )
            .into_bytes(),
        ),
        (
            "trailing text",
            format!(r#"{header}}} {token}"#).into_bytes(),
        ),
        (
            "6 MB",
            format!(r#"{header},"pad":"{}"}}"#, "A".repeat(6 << 20)).into_bytes(),
        ),
    ];
    for (what, raw) in events {
        let got = response(&mut env, Bytes::from(raw)).await;
        assert_eq!(
            got,
            json!({"isAuthorized": false, "context": {"reason": "bad_event"}}),
            "{what}"
        );
    }
    let peak_mib = env.max_rss_kib().expect("VmHWM") / 1024;
    println!("peak RSS after the 6 MB event: {peak_mib} MiB");
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let lines = log_lines(&env);
    env.stop().await;
    let refused: Vec<&str> = lines
        .iter()
        .filter(|l| l["event"] == "decision")
        .filter_map(|l| l["refused"].as_str())
        .collect();
    assert_eq!(
        refused,
        [
            "invalid_utf8",
            "invalid_json",
            "invalid_json",
            "invalid_json",
            "invalid_json",
            "too_large"
        ]
    );
    assert!(
        lines.iter().all(|l| l["level"] != "ERROR"),
        "no invocation error, no ERROR line: {lines:#?}"
    );
    assert_no_token_text(&env_logs_text(&lines), &token);
    // The 6 MB event is refused before a JSON tree is built: the body itself
    // (6 MB, held by the runtime) is what remains.
    assert!(peak_mib < 48, "peak RSS {peak_mib} MiB after a 6 MB event");
}

#[tokio::test]
async fn cache_memory_stays_bounded_with_maximum_size_tokens() {
    let signer = LocalSigner::generate();
    let mut env = Environment::start(&function(&signer)).await.expect("init");
    let header = r#"{"alg":"ES512","typ":"JWT"}"#;
    let exp = now() + 600;
    // ~8 KB tokens (the default JWT_MAX_TOKEN_BYTES is 8192) whose `scope`
    // the grant keeps: 5000 of them would hold ~29 MB without a byte bound.
    let tokens: Vec<String> = {
        use rayon::prelude::*;
        (0..5000)
            .into_par_iter()
            .map(|i| {
                let claims = json!({"iss": ISS, "aud": "api", "sub": format!("u{i}"),
                    "exp": exp, "scope": format!("{i:06}{}", "s".repeat(5_800))})
                .to_string();
                signer.token(header, &claims)
            })
            .collect()
    };
    assert!(tokens.iter().all(|t| t.len() > 7_900 && t.len() <= 8192));
    let before = env.rss_kib().expect("VmRSS");
    for t in &tokens {
        let r = response(&mut env, v2(Some(&format!("Bearer {t}")))).await;
        assert_eq!(r["isAuthorized"], true);
    }
    let after = env.rss_kib().expect("VmRSS");
    env.stop().await;
    let grown_mib = after.saturating_sub(before) / 1024;
    println!("RSS {before} KiB -> {after} KiB after 5000 ~8 KB tokens (+{grown_mib} MiB)");
    // JWT_CACHE_MAX_BYTES defaults to 16 MiB; allocator slack on top.
    assert!(
        grown_mib <= 16 + 6,
        "RSS grew {grown_mib} MiB ({before} -> {after} KiB) filling the cache"
    );
}

#[tokio::test]
async fn a_kms_endpoint_that_never_answers_costs_no_request_its_deadline() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let mut f = FunctionConfig::new(harness::binary::authorizer_binary(false).expect("binary"));
    f.env = vec![
        ("JWT_KMS_KEY_IDS".into(), "alias/jwt".into()),
        ("JWT_ISSUER".into(), ISS.into()),
        ("JWT_AUDIENCE".into(), "api".into()),
        (
            "AWS_ENDPOINT_URL_KMS".into(),
            format!("http://127.0.0.1:{port}"),
        ),
        ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
        ("AWS_SECRET_ACCESS_KEY".into(), "testing".into()),
        ("AWS_REGION".into(), "us-east-1".into()),
        ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
    ];
    f.timeout = std::time::Duration::from_secs(3);
    let mut env = Environment::start(&f).await.expect("starts without KMS");
    // Let the cold start's back-off (1 s) elapse, so the next well-formed
    // token is due a retry.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;

    // Rejected before key selection: never waits on KMS.
    let t = std::time::Instant::now();
    let malformed = response(&mut env, v2(Some("Bearer not.a.token"))).await;
    let malformed_ms = t.elapsed().as_millis();
    assert_eq!(malformed["context"]["reason"], "malformed");

    // Well-formed: the retry runs, bounded by the deadline (3 s, less the margin).
    let signer = LocalSigner::generate();
    let t = std::time::Instant::now();
    let r = env
        .invoke(v2(Some(&format!("Bearer {}", token(&signer, "u")))))
        .await
        .expect("answered before the function timeout");
    let retry_ms = t.elapsed().as_millis();
    match r.result {
        InvokeResult::Response(b) => {
            let v: Value = serde_json::from_slice(&b).expect("json");
            assert_eq!(v["context"]["reason"], "key_unavailable");
        }
        other => panic!("expected a deny, got {other:?}"),
    }
    // Back-off: the next one does not wait on KMS again.
    let t = std::time::Instant::now();
    let again = response(
        &mut env,
        v2(Some(&format!("Bearer {}", token(&signer, "u")))),
    )
    .await;
    let backoff_ms = t.elapsed().as_millis();
    assert_eq!(again["context"]["reason"], "key_unavailable");
    let unavailable: Vec<Value> = log_lines(&env)
        .into_iter()
        .filter(|l| l["event"] == "kms_unavailable")
        .collect();
    env.stop().await;
    hold.abort();
    assert!(!unavailable.is_empty(), "KMS failures are logged");
    for line in &unavailable {
        let error = line["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("KMS GetPublicKey") || error.contains("remaining time"),
            "one readable line naming the call: {error}"
        );
        assert!(
            !error.contains("Some(") && !error.contains(" { "),
            "no Rust debug dump in the log: {error}"
        );
    }
    println!("malformed {malformed_ms} ms, retry {retry_ms} ms, during back-off {backoff_ms} ms");
    assert!(
        malformed_ms < 1_000,
        "a malformed token waited {malformed_ms} ms"
    );
    assert!(
        retry_ms < 3_000,
        "the retry took {retry_ms} ms of a 3 s timeout"
    );
    assert!(backoff_ms < 1_000, "back-off ignored: {backoff_ms} ms");
}

#[tokio::test]
async fn every_algorithm_is_verified_by_the_binary_with_pem_keys() {
    use authorizer::test_util::AnySigner;
    use authorizer::Algorithm;
    for alg in Algorithm::ALL {
        let signer = AnySigner::generate(alg);
        let mut f = FunctionConfig::new(
            harness::binary::authorizer_binary(false).expect("authorizer binary"),
        );
        f.env = vec![
            ("JWT_PUBLIC_KEY_PEM".into(), signer.pem()),
            ("JWT_ISSUER".into(), ISS.into()),
            ("JWT_AUDIENCE".into(), "api".into()),
        ];
        if alg.is_rsa() {
            f.env.push(("JWT_PUBLIC_KEY_ALG".into(), alg.name().into()));
        }
        let mut env = Environment::start(&f).await.expect("init");
        let claims =
            json!({"iss": ISS, "aud": "api", "sub": format!("u-{alg}"), "exp": now() + 300})
                .to_string();
        let good = signer.token(&format!(r#"{{"alg":"{alg}"}}"#), &claims);
        let allowed = response(&mut env, v2(Some(&format!("Bearer {good}")))).await;
        assert_eq!(allowed["isAuthorized"], true, "{alg}: {allowed}");
        let other = if alg == Algorithm::Es512 {
            Algorithm::Es256
        } else {
            Algorithm::Es512
        };
        let confused = signer.token(&format!(r#"{{"alg":"{other}"}}"#), &claims);
        let denied = response(&mut env, v2(Some(&format!("Bearer {confused}")))).await;
        env.stop().await;
        assert_eq!(denied["isAuthorized"], false, "{alg}");
        assert!(
            ["alg_not_allowed", "malformed"]
                .contains(&denied["context"]["reason"].as_str().unwrap_or("")),
            "{alg} key, {other} header: {denied}"
        );
    }
}

/// One JWKS with a key of each of the 14 algorithms, in the binaries that
/// ship: the lean release build (`AUTHORIZER_LEAN_BIN`, from
/// `scripts/build-lambda.sh`, the zip the Terraform module deploys for PEM
/// and JWKS keys) and the workspace's authorizer (release where it is
/// fresh): each genuine token is allowed, and no token passes under another
/// key's kid or another algorithm's name.
#[tokio::test]
async fn a_jwks_of_every_algorithm_in_the_binary_verifies_each_and_refuses_every_confusion() {
    use authorizer::test_util::AnySigner;
    use authorizer::Algorithm;
    let signers: Vec<AnySigner> = Algorithm::ALL
        .into_iter()
        .map(AnySigner::generate)
        .collect();
    let keys: Vec<Value> = signers
        .iter()
        .map(|s| s.jwk(&format!("k-{}", s.algorithm())))
        .collect();
    let jwks = json!({ "keys": keys }).to_string();
    let mut binaries = vec![harness::binary::authorizer_binary(true).expect("authorizer binary")];
    binaries.extend(lean_binary());
    for binary in binaries {
        let (allowed, denied) = every_algorithm_through(&binary, &jwks, &signers).await;
        assert_eq!((allowed, denied), (14, 14 * 13 * 2), "{}", binary.display());
    }
}

/// Each signer's genuine token and its confusions, through `binary` holding
/// `jwks`: (allowed, denied).
async fn every_algorithm_through(
    binary: &std::path::Path,
    jwks: &str,
    signers: &[authorizer::test_util::AnySigner],
) -> (usize, usize) {
    use authorizer::Algorithm;
    let mut f = FunctionConfig::new(binary.to_path_buf());
    f.env = vec![
        ("JWT_JWKS".into(), jwks.to_owned()),
        ("JWT_ISSUER".into(), ISS.into()),
        ("JWT_AUDIENCE".into(), "api".into()),
        ("JWT_CACHE_MAX_ENTRIES".into(), "0".into()),
    ];
    let mut env = Environment::start(&f).await.expect("init with 14 keys");
    let claims = json!({"iss": ISS, "aud": "api", "sub": "u", "exp": now() + 300}).to_string();
    let head = |a: &str, k: &str| format!(r#"{{"alg":"{a}","kid":"{k}"}}"#);
    let mut allowed = 0;
    let mut denied = 0;
    for s in signers {
        let alg = s.algorithm();
        let kid = format!("k-{alg}");
        let good = s.token(&head(alg.name(), &kid), &claims);
        let r = response(&mut env, v2(Some(&format!("Bearer {good}")))).await;
        assert_eq!(r["isAuthorized"], true, "{alg}: {r}");
        allowed += 1;
        for other in Algorithm::ALL.into_iter().filter(|o| *o != alg) {
            let other_kid = format!("k-{other}");
            for t in [
                s.token(&head(alg.name(), &other_kid), &claims),
                s.token(&head(other.name(), &kid), &claims),
            ] {
                let r = response(&mut env, v2(Some(&format!("Bearer {t}")))).await;
                assert_eq!(r["isAuthorized"], false, "{alg} signature, {other}: {r}");
                denied += 1;
            }
        }
    }
    env.stop().await;
    (allowed, denied)
}
