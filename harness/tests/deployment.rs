//! `harness suite --deployment outputs.json`: a deployment described only by
//! its Terraform-style outputs, whose control plane is moto (KMS key, HTTP
//! API, stage throttling, authorizer) and whose data plane is the emulator
//! running the real authorizer binary, shipping the function's log lines
//! into moto's CloudWatch Logs. The stage limits the throttling scenario
//! measures come from moto's `GetStage`, the key from the outputs, the
//! authorizer invocations from the log group; no KMS key is created; cold
//! start is SKIP with its reason.

use harness::catalog::Profile;
use harness::gateway::config::GatewayConfig;
use harness::gateway::Gateway;
use harness::moto::Moto;
use harness::signer::Signer;
use serde_json::{json, Value};
use std::process::Command;

async fn sdk_conf(moto: &Moto) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(moto.endpoint())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_kms::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .load()
        .await
}

async fn key_count(kms: &aws_sdk_kms::Client) -> usize {
    kms.list_keys().send().await.expect("ListKeys").keys().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suite_measures_a_deployment_described_by_its_outputs() {
    let moto = Moto::start().expect("moto_server");
    // The emulator in this process ships logs with the SDK environment's
    // credentials and region, as `harness gateway` would.
    for (k, v) in moto.sdk_env() {
        std::env::set_var(k, v);
    }
    let conf = sdk_conf(&moto).await;
    let kms = aws_sdk_kms::Client::new(&conf);
    let apigw = aws_sdk_apigatewayv2::Client::new(&conf);

    // The control plane: what the Terraform module creates.
    let key = harness::kms::create_key(&kms, Some("alias/deployed"))
        .await
        .expect("key");
    let api = apigw
        .create_api()
        .name("deployed")
        .protocol_type(aws_sdk_apigatewayv2::types::ProtocolType::Http)
        .send()
        .await
        .expect("CreateApi");
    let api_id = api.api_id().expect("api id").to_owned();
    let authorizer = apigw
        .create_authorizer()
        .api_id(&api_id)
        .name("jwt")
        .authorizer_type(aws_sdk_apigatewayv2::types::AuthorizerType::Request)
        .authorizer_payload_format_version("2.0")
        .enable_simple_responses(true)
        .identity_source("$request.header.Authorization")
        .authorizer_result_ttl_in_seconds(300)
        .authorizer_uri("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:deployed/invocations")
        .send()
        .await
        .expect("CreateAuthorizer");
    let (rate, burst) = (20.0, 10);
    apigw
        .create_stage()
        .api_id(&api_id)
        .stage_name("$default")
        .default_route_settings(
            aws_sdk_apigatewayv2::types::RouteSettings::builder()
                .throttling_rate_limit(rate)
                .throttling_burst_limit(burst)
                .build(),
        )
        .send()
        .await
        .expect("CreateStage");

    // The data plane: the emulator enforcing the same stage, running the
    // real binary configured as the module configures it (PEM + kids).
    let signer = Signer::kms(kms.clone(), &key.arn).await.expect("signer");
    let profile = Profile {
        issuer: "https://issuer.example.com".into(),
        audience: "demo-api".into(),
        kid: key.key_id.clone(),
        ..Profile::local(0)
    };
    let mut env = profile.authorizer_env(&signer.public_pem());
    env.retain(|(k, _)| k != "JWT_PUBLIC_KEY_KIDS");
    env.push((
        "JWT_PUBLIC_KEY_KIDS".into(),
        format!("{},{},alias/deployed", key.key_id, key.arn),
    ));
    // The function (moto stores it; the emulator runs the real binary and
    // follows this configuration).
    let lambda = aws_sdk_lambda::Client::new(&conf);
    // moto checks the role exists; IAM's query API, unsigned (moto routes by
    // the credential scope and verifies no signature).
    let role = reqwest::Client::new()
        .post(moto.endpoint())
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=testing/20261201/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0",
        )
        .form(&[
            ("Action", "CreateRole"),
            ("Version", "2010-05-08"),
            ("RoleName", "deployed-function"),
            (
                "AssumeRolePolicyDocument",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
            ),
        ])
        .send()
        .await
        .expect("IAM CreateRole");
    assert!(
        role.status().is_success(),
        "CreateRole: {}",
        role.text().await.unwrap_or_default()
    );
    let zip = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../terraform/examples/complete/echo/echo.zip"
    ))
    .expect("a zip for moto");
    lambda
        .create_function()
        .function_name("deployed")
        .runtime(aws_sdk_lambda::types::Runtime::Providedal2023)
        .handler("bootstrap")
        .role("arn:aws:iam::123456789012:role/deployed-function")
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(zip))
                .build(),
        )
        .environment(
            aws_sdk_lambda::types::Environment::builder()
                .variables("JWT_ISSUER", "https://issuer.example.com")
                .build(),
        )
        .send()
        .await
        .expect("CreateFunction");
    let logs = aws_sdk_cloudwatchlogs::Client::new(&conf);
    logs.create_log_group()
        .log_group_name("/aws/lambda/deployed")
        .send()
        .await
        .expect("CreateLogGroup");
    let gateway = Gateway::start(GatewayConfig {
        authorizer: harness::binary::authorizer_binary(false).expect("authorizer binary"),
        env,
        cache_ttl_seconds: 300,
        log_group: Some("/aws/lambda/deployed".into()),
        logs_endpoint_url: Some(moto.endpoint().to_owned()),
        lambda_function: Some("deployed".into()),
        lambda_endpoint_url: Some(moto.endpoint().to_owned()),
        rate: Some(rate),
        burst: Some(f64::from(burst)),
        ..GatewayConfig::default()
    })
    .await
    .expect("gateway");

    let dir = std::env::temp_dir().join(format!("harness-deployment-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let outputs = json!({
        "api_endpoint": {"value": format!("{}/hello", gateway.base_url())},
        "api_id": {"value": api_id},
        "stage_name": {"value": "$default"},
        "authorizer_id": {"value": authorizer.authorizer_id().expect("id")},
        "function_name": {"value": "deployed"},
        "log_group_name": {"value": "/aws/lambda/deployed"},
        "kms_key_id": {"value": key.key_id},
        "kms_key_arn": {"value": key.arn},
        "key_algorithm": {"value": "ES512"},
        "kids": {"value": [key.key_id, key.arn, "alias/deployed"]},
        "issuer": {"value": "https://issuer.example.com"},
        "audience": {"value": ["demo-api"]},
    });
    let file = dir.join("outputs.json");
    std::fs::write(&file, outputs.to_string()).expect("outputs.json");
    let keys_before = key_count(&kms).await;

    let run_suite = |out_dir: std::path::PathBuf| {
        let (file, endpoint) = (file.clone(), moto.endpoint().to_owned());
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_harness"))
                .args(["suite", "--quick", "--deployment"])
                .arg(&file)
                .arg("--out")
                .arg(&out_dir)
                .env("AWS_ENDPOINT_URL", &endpoint)
                .env("AWS_ACCESS_KEY_ID", "testing")
                .env("AWS_SECRET_ACCESS_KEY", "testing")
                .env("AWS_REGION", "us-east-1")
                .env("AWS_EC2_METADATA_DISABLED", "true")
                .output()
                .expect("run harness suite")
        })
    };
    let out_dir = dir.join("report");
    let out = run_suite(out_dir.clone()).await.expect("join");
    // The deployed limits change, the data plane does not: the verdict
    // follows what GetStage says, with no change to the harness. (moto 5.2
    // answers UpdateStage with a 500, so the stage is re-created.)
    apigw
        .delete_stage()
        .api_id(&api_id)
        .stage_name("$default")
        .send()
        .await
        .expect("DeleteStage");
    apigw
        .create_stage()
        .api_id(&api_id)
        .stage_name("$default")
        .default_route_settings(
            aws_sdk_apigatewayv2::types::RouteSettings::builder()
                .throttling_rate_limit(80.0)
                .throttling_burst_limit(40)
                .build(),
        )
        .send()
        .await
        .expect("CreateStage (raised limits)");
    let raised = run_suite(dir.join("raised")).await.expect("join");
    // A plain URL and a key, nothing else: what needs the deployment's
    // description is SKIP with the reason, the rest runs, exit 0.
    let plain = {
        let (url, key, endpoint, out) = (
            format!("{}/hello", gateway.base_url()),
            key.arn.clone(),
            moto.endpoint().to_owned(),
            dir.join("plain"),
        );
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_harness"))
                .args(["suite", "--quick", "--target", &url, "--kms-key-id", &key])
                .args([
                    "--kms-endpoint",
                    &endpoint,
                    "--issuer",
                    "https://issuer.example.com",
                ])
                .args(["--audience", "demo-api", "--out"])
                .arg(&out)
                .env("AWS_ACCESS_KEY_ID", "testing")
                .env("AWS_SECRET_ACCESS_KEY", "testing")
                .env("AWS_REGION", "us-east-1")
                .output()
                .expect("run harness suite")
        })
        .await
        .expect("join")
    };
    gateway.stop().await;
    assert!(
        plain.status.success(),
        "{}",
        String::from_utf8_lossy(&plain.stdout)
    );
    let plain_summary: Value = serde_json::from_slice(
        &std::fs::read(dir.join("plain/summary.json")).expect("summary.json"),
    )
    .expect("json");
    for v in plain_summary["verdicts"].as_array().expect("verdicts") {
        let (check, status) = (
            v["check"].as_str().unwrap_or(""),
            v["status"].as_str().unwrap_or(""),
        );
        match check {
            "security" | "mixed" => assert_eq!(status, "pass", "{v}"),
            "cold_start" | "caching" => {
                assert_eq!(status, "skip", "{v}");
                assert!(
                    v["detail"]
                        .as_str()
                        .is_some_and(|d| d
                            .contains("needs the function name and log group: pass --deployment")),
                    "{v}"
                );
            }
            "throttling" => assert_eq!(status, "skip", "{v}"),
            other => panic!("unexpected verdict {other}"),
        }
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");

    let summary: Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("summary.json")).expect("summary.json"))
            .expect("json");
    let verdict = |name: &str| {
        summary["verdicts"]
            .as_array()
            .expect("verdicts")
            .iter()
            .find(|v| v["check"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} verdict: {summary}"))
    };
    for pass in ["security", "cold_start", "caching", "throttling", "mixed"] {
        assert_eq!(verdict(pass)["status"], "pass", "{pass}: {}", verdict(pass));
    }
    // Cold starts were forced through moto's Lambda API and read back from
    // the log group: exactly trials × k of them.
    let cold = &summary["scenarios"]["cold_start"];
    eprintln!("cold start from the log group: {cold}");
    let reported = cold["figures"]["cold_starts_reported"]["value"].as_f64();
    assert!(reported.is_some_and(|r| r >= 3.0), "{cold}");
    assert_eq!(
        reported,
        cold["figures"]["cold_starts_expected"]["value"].as_f64(),
        "{cold}"
    );
    assert!(
        cold["figures"]["init_duration_p50_ms"]["value"]
            .as_f64()
            .is_some_and(|v| v > 0.0),
        "{cold}"
    );
    let env_after = lambda
        .get_function_configuration()
        .function_name("deployed")
        .send()
        .await
        .expect("GetFunctionConfiguration");
    let vars = env_after
        .environment()
        .and_then(|e| e.variables())
        .cloned()
        .unwrap_or_default();
    assert!(
        !vars.contains_key(harness::coldstart::NONCE_VARIABLE) && vars.contains_key("JWT_ISSUER"),
        "the function's environment is restored: {vars:?}"
    );
    // Caching was measured from the log group the emulator shipped to.
    let caching = &summary["scenarios"]["caching"];
    eprintln!("caching from the log group: {caching}");
    let figure = |name: &str| caching["figures"][name]["value"].as_f64().unwrap_or(-1.0);
    let (invocations, answered) = (
        figure("authorizer_invocations"),
        figure("requests_answered"),
    );
    assert!(
        invocations >= 1.0 && answered > 10.0 * invocations,
        "{caching}"
    );
    assert!(
        caching["inputs"]["source"]
            .as_str()
            .is_some_and(|s| s.contains("FilterLogEvents")),
        "{caching}"
    );
    assert!(
        caching["inputs"]["authorizer TTL"]
            .as_str()
            .is_some_and(|s| s.contains("300 s (GetAuthorizer)")),
        "{caching}"
    );
    let settings = summary["target"]["settings"].to_string();
    assert!(
        settings.contains("20 rps / burst 10 (GetStage") && settings.contains("TTL 300 s"),
        "the deployed settings and their source: {settings}"
    );
    assert_eq!(summary["target"]["kind"], "deployment");
    assert_eq!(key_count(&kms).await, keys_before, "no KMS key created");
    assert_eq!(
        raised.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&raised.stdout)
    );
    let raised_summary: Value = serde_json::from_slice(
        &std::fs::read(dir.join("raised/summary.json")).expect("summary.json"),
    )
    .expect("json");
    let throttling = raised_summary["verdicts"]
        .as_array()
        .and_then(|v| v.iter().find(|v| v["check"] == "throttling"))
        .cloned()
        .expect("throttling verdict");
    assert_eq!(throttling["status"], "fail", "{throttling}");
    assert!(raised_summary["target"]["settings"]
        .to_string()
        .contains("80 rps / burst 40"));
    std::fs::remove_dir_all(&dir).ok();
}
