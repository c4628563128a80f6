//! The real `authorizer` binary driven over the Lambda Runtime API.

use bytes::Bytes;
use harness::lambda::{Environment, FunctionConfig, InvokeResult, LambdaError};
use harness::mint::LocalSigner;
use serde_json::{json, Value};
use std::time::{SystemTime, UNIX_EPOCH};

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
