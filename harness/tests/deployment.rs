//! `harness suite --deployment outputs.json`: a deployment described only by
//! its Terraform-style outputs, whose control plane is moto (KMS key, Lambda
//! function, log group, HTTP API, authorizer, stage — created by
//! `harness::stack`) and whose data plane is the emulator serving that API
//! (`control_plane_api`, as `harness gateway --api-id`), running the real
//! authorizer binary and shipping the function's log lines into moto's
//! CloudWatch Logs. A setting changed in moto changes the verdict with no
//! change to the harness: TTL 0 fails caching, raised stage limits are
//! measured at the new rate. No KMS key is created; a plain URL run is exit
//! 0 with cold start and caching SKIP and the reason.

use emulator::config::GatewayConfig;
use emulator::gateway::Gateway;
use harness::moto::Moto;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tokens::catalog::Profile;
use tokens::signer::Signer;

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

/// The control plane in moto (what the Terraform module creates; the
/// function's code is a placeholder zip: moto stores it, the emulator runs
/// the real binary) and the emulator serving that API as its data plane.
struct Deployed {
    moto: Moto,
    kms: aws_sdk_kms::Client,
    apigw: aws_sdk_apigatewayv2::Client,
    lambda: aws_sdk_lambda::Client,
    key: tokens::kms::KmsKey,
    api_id: String,
    authorizer_id: String,
    /// The emulator's base URL.
    base_url: String,
}

async fn deploy() -> (Deployed, Gateway) {
    let moto = Moto::start().expect("moto_server");
    // The emulator in this process ships logs with the SDK environment's
    // credentials and region, as `harness gateway` would.
    for (k, v) in moto.sdk_env() {
        std::env::set_var(k, v);
    }
    let conf = sdk_conf(&moto).await;
    let kms = aws_sdk_kms::Client::new(&conf);
    let apigw = aws_sdk_apigatewayv2::Client::new(&conf);

    // The control plane: what the Terraform module creates (the function's
    // code is a placeholder zip: moto stores it, the emulator runs the real
    // binary).
    let key = tokens::kms::create_key(&kms, Some("alias/deployed"))
        .await
        .expect("key");
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
    let zip = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../terraform/examples/complete/echo/echo.zip"
    ))
    .expect("a zip for moto");
    let (rate, burst) = (20.0, 10);
    let dep = harness::stack::create(
        &conf,
        moto.endpoint(),
        &harness::stack::StackSpec {
            name: "deployed".into(),
            zip,
            env,
            key: Some(key.clone()),
            issuer: "https://issuer.example.com".into(),
            audience: "demo-api".into(),
            ttl_seconds: 300,
            rate,
            burst,
            route: "GET /hello".into(),
        },
    )
    .await
    .expect("the stack in moto");
    let api_id = dep.api_id.clone().expect("api id");
    let authorizer_id = dep.authorizer_id.clone().expect("authorizer id");
    let lambda = aws_sdk_lambda::Client::new(&conf);

    // The data plane: the emulator serving that API as moto describes it
    // (routes, authorizer, stage throttling, the function's environment and
    // log group), following changes.
    let gateway = Gateway::start(GatewayConfig {
        authorizer: harness::binary::authorizer_binary(false).expect("authorizer binary"),
        control_plane_api: Some(api_id.clone()),
        endpoint_url: Some(moto.endpoint().to_owned()),
        ..GatewayConfig::default()
    })
    .await
    .expect("gateway");
    let banner = gateway.banner();
    assert!(
        banner.contains("cache TTL 300 s")
            && banner.contains("stage 20 rps / burst 10")
            && banner.contains("GET /hello")
            && banner.contains("logs to /aws/lambda/deployed"),
        "{banner}"
    );

    let base_url = gateway.base_url();
    (
        Deployed {
            moto,
            kms,
            apigw,
            lambda,
            key,
            api_id,
            authorizer_id,
            base_url,
        },
        gateway,
    )
}

/// The deployment's `terraform output -json`, as a file in `dir`.
fn write_outputs(d: &Deployed, dir: &Path) -> PathBuf {
    let (api_id, authorizer_id, key) = (&d.api_id, &d.authorizer_id, &d.key);
    let outputs = json!({
        "api_endpoint": {"value": format!("{}/hello", d.base_url)},
        "api_id": {"value": api_id},
        "stage_name": {"value": "$default"},
        "authorizer_id": {"value": authorizer_id},
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
    file
}

/// `harness suite --quick --deployment FILE --out OUT_DIR`, moto's endpoint
/// as the SDK's.
async fn run_suite(file: &Path, endpoint: &str, out_dir: PathBuf) -> Output {
    let (file, endpoint) = (file.to_owned(), endpoint.to_owned());
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
    .await
    .expect("join")
}

/// The function's environment variables as moto holds them.
async fn function_env(
    lambda: &aws_sdk_lambda::Client,
) -> std::collections::HashMap<String, String> {
    lambda
        .get_function_configuration()
        .function_name("deployed")
        .send()
        .await
        .expect("GetFunctionConfiguration")
        .environment()
        .and_then(|e| e.variables())
        .cloned()
        .unwrap_or_default()
}

/// `harness suite --deployment` as CI runs it, sent a real SIGTERM (what a
/// CI runner sends on a timeout or a cancelled job) once the cold-start
/// stage has changed the function's configuration. Returns the exit status,
/// stderr, and whether the change was seen in moto before the signal.
async fn terminate_during_cold_start(
    d: &Deployed,
    file: &Path,
    out_dir: PathBuf,
) -> (std::process::ExitStatus, String, bool) {
    let (status, text, changed, _) = signal_during(
        d,
        file,
        out_dir,
        "cold start (UpdateFunctionConfiguration",
        "TERM",
    )
    .await;
    (status, text, changed)
}

/// Sends `signal` once the suite prints `stage` (for the cold-start stage,
/// once its change is in moto). Returns the exit status, stderr, whether
/// the function's configuration had changed, and how long the run took to
/// exit after the signal.
async fn signal_during(
    d: &Deployed,
    file: &Path,
    out_dir: PathBuf,
    stage: &str,
    signal: &str,
) -> (std::process::ExitStatus, String, bool, std::time::Duration) {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(["suite", "--quick", "--deployment"])
        .arg(file)
        .arg("--out")
        .arg(&out_dir)
        .env("AWS_ENDPOINT_URL", d.moto.endpoint())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run harness suite");
    let pid = child.id();
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut text = String::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !text.contains(stage) {
        assert!(
            std::time::Instant::now() < deadline,
            "no stage {stage:?}: {text}"
        );
        if let Ok(line) = rx.recv_timeout(std::time::Duration::from_millis(200)) {
            text.push_str(&line);
            text.push('\n');
        }
    }
    // Wait until the trial's change is in moto, so the signal lands while
    // the function is not as it was.
    let mut changed = false;
    let polls = if stage.starts_with("cold start") {
        100
    } else {
        0
    };
    for _ in 0..polls {
        if function_env(&d.lambda)
            .await
            .contains_key(scenarios::control_plane::NONCE_VARIABLE)
        {
            changed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    if !stage.starts_with("cold start") {
        // Well inside the stage, not at its first line.
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    }
    let killed = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let signalled = std::time::Instant::now();
    let status = tokio::task::spawn_blocking(move || child.wait().expect("wait"))
        .await
        .expect("join");
    let took = signalled.elapsed();
    while let Ok(line) = rx.recv_timeout(std::time::Duration::from_millis(500)) {
        text.push_str(&line);
        text.push('\n');
    }
    (status, text, changed, took)
}

/// The authorizer now invokes alias `live` on a published version (the
/// module's versioned rollout): a configuration change to `$LATEST` would
/// force no cold start there.
async fn invoke_a_published_alias(d: &Deployed) {
    let version = d
        .lambda
        .publish_version()
        .function_name("deployed")
        .send()
        .await
        .expect("PublishVersion");
    let version = version.version().expect("a version").to_owned();
    d.lambda
        .create_alias()
        .function_name("deployed")
        .name("live")
        .function_version(&version)
        .send()
        .await
        .expect("CreateAlias");
    let current = harness_authorizer_uri(d).await;
    d.apigw
        .update_authorizer()
        .api_id(&d.api_id)
        .authorizer_id(&d.authorizer_id)
        .authorizer_uri(current.replace(":function:deployed/", ":function:deployed:live/"))
        .send()
        .await
        .expect("UpdateAuthorizer");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
}

async fn harness_authorizer_uri(d: &Deployed) -> String {
    d.apigw
        .get_authorizer()
        .api_id(&d.api_id)
        .authorizer_id(&d.authorizer_id)
        .send()
        .await
        .expect("GetAuthorizer")
        .authorizer_uri()
        .expect("a URI")
        .to_owned()
}

/// The EMF lines the authorizer wrote into the function's log group: every
/// metric a PEM-keyed function documents, each line valid EMF.
async fn assert_emf_in_log_group(d: &Deployed) {
    let conf = sdk_conf(&d.moto).await;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&conf);
    let mut names = std::collections::BTreeSet::new();
    let mut lines = 0;
    let mut token = None;
    loop {
        let page = logs
            .filter_log_events()
            .log_group_name("/aws/lambda/deployed")
            .set_next_token(token)
            .send()
            .await
            .expect("FilterLogEvents");
        for e in page.events() {
            let Ok(doc) = serde_json::from_str::<Value>(e.message().unwrap_or("")) else {
                continue;
            };
            let Some(directives) = doc["_aws"]["CloudWatchMetrics"].as_array() else {
                continue;
            };
            lines += 1;
            assert!(doc["_aws"]["Timestamp"].is_u64(), "{doc}");
            for dir in directives {
                assert_eq!(dir["Namespace"], "JwtAuthorizer", "{doc}");
                for set in dir["Dimensions"].as_array().expect("dimensions") {
                    for dim in set.as_array().expect("a dimension set") {
                        assert!(doc[dim.as_str().expect("name")].is_string(), "{doc}");
                    }
                }
                for m in dir["Metrics"].as_array().expect("metrics") {
                    let name = m["Name"].as_str().expect("name");
                    assert!(doc[name].is_number(), "{doc}");
                    names.insert(name.to_owned());
                }
            }
        }
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    for metric in [
        "Decisions",
        "Denies",
        "CacheHits",
        "DecisionTime",
        "VerifyTime",
    ] {
        assert!(
            names.contains(metric),
            "{metric} not among {names:?} ({lines} EMF lines)"
        );
    }
}

/// A deployed setting changes, the harness does not: the authorizer's TTL
/// in moto (the emulator follows GetAuthorizer).
async fn set_ttl(d: &Deployed, ttl: i32) {
    let (apigw, api_id, authorizer_id) = (&d.apigw, &d.api_id, &d.authorizer_id);
    apigw
        .update_authorizer()
        .api_id(api_id)
        .authorizer_id(authorizer_id)
        .authorizer_result_ttl_in_seconds(ttl)
        .send()
        .await
        .expect("UpdateAuthorizer");
    // The emulator re-reads every 500 ms.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
}

/// Raised stage limits: the emulator applies them, the suite reads them.
async fn raise_stage_limits(d: &Deployed) {
    let (apigw, api_id) = (&d.apigw, d.api_id.as_str());
    apigw
        .delete_stage()
        .api_id(api_id)
        .stage_name("$default")
        .send()
        .await
        .expect("DeleteStage");
    apigw
        .create_stage()
        .api_id(api_id)
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
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
}

/// A plain URL and a key, nothing else.
async fn run_plain_url(d: &Deployed, out: PathBuf) -> Output {
    let (url, key, endpoint) = (
        format!("{}/hello", d.base_url),
        d.key.arn.clone(),
        d.moto.endpoint().to_owned(),
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
}

/// What needs the deployment's description is SKIP with the reason, the
/// rest runs, exit 0.
fn assert_plain_url_run(dir: &Path, plain: &Output) {
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
}

/// Every check passes on the deployment as described; cold start and
/// caching were read from its log group; nothing was left or created.
async fn assert_deployment_run(d: &Deployed, out: &Output, out_dir: &Path, keys_before: usize) {
    let (kms, lambda) = (&d.kms, &d.lambda);
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
    // the log group: in every trial at least one, at most k (a first
    // request may reuse an environment its own trial just started).
    let cold = &summary["scenarios"]["cold_start"];
    eprintln!("cold start from the log group: {cold}");
    let reported = cold["figures"]["cold_starts_reported"]["value"].as_f64();
    let expected = cold["figures"]["cold_starts_expected"]["value"].as_f64();
    assert!(reported.is_some_and(|r| r >= 3.0), "{cold}");
    assert!(reported <= expected, "{cold}");
    let per_trial: Vec<u64> = cold["inputs"]["cold starts per trial"]
        .as_str()
        .expect("per-trial counts")
        .split(", ")
        .map(|c| c.parse().expect("count"))
        .collect();
    assert_eq!(per_trial.len(), 3, "{cold}");
    assert!(per_trial.iter().all(|c| (1..=3).contains(c)), "{cold}");
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
        !vars.contains_key(scenarios::control_plane::NONCE_VARIABLE)
            && vars.contains_key("JWT_ISSUER"),
        "the function's environment is restored: {vars:?}"
    );
    // The harness read the function's own metrics back from the log group.
    let emf = caching_emf(&summary);
    for metric in ["Decisions", "CacheHits", "DecisionTime"] {
        assert!(emf.contains(metric), "{metric} not in {emf}");
    }
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
    assert_eq!(key_count(kms).await, keys_before, "no KMS key created");
}

/// The caching scenario's list of EMF metrics read from the log group.
fn caching_emf(summary: &Value) -> String {
    summary["scenarios"]["caching"]["inputs"]["metrics (EMF) in the log group"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn read_summary(dir: &Path, name: &str) -> Value {
    serde_json::from_slice(
        &std::fs::read(dir.join(name).join("summary.json")).expect("summary.json"),
    )
    .expect("json")
}

fn status_of(s: &Value, check: &str) -> String {
    s["verdicts"]
        .as_array()
        .and_then(|v| v.iter().find(|v| v["check"] == check))
        .map(|v| v["status"].as_str().unwrap_or("").to_owned())
        .unwrap_or_default()
}

/// TTL 0 fails caching; raised stage limits are measured at the new rate.
fn assert_changed_settings(dir: &Path, no_cache: &Output, raised: &Output) {
    let read = |name: &str| read_summary(dir, name);
    // TTL 0: every request reaches the authorizer, the hit ratio is ~0.
    let ttl0 = read("ttl0");
    assert_eq!(no_cache.status.code(), Some(1), "{ttl0}");
    assert_eq!(status_of(&ttl0, "caching"), "fail", "{ttl0}");
    let hit = ttl0["scenarios"]["caching"]["figures"]["hit_ratio"]["value"]
        .as_f64()
        .unwrap_or(1.0);
    assert!(hit < 0.1, "hit ratio with TTL 0: {hit}");
    assert!(ttl0["target"]["settings"].to_string().contains("TTL 0 s"));
    for check in ["security", "cold_start", "throttling", "mixed"] {
        assert_eq!(status_of(&ttl0, check), "pass", "{check}: {ttl0}");
    }
    // Raised limits: measured at the new rate, and they hold.
    let raised_summary = read("raised");
    assert!(
        raised.status.success(),
        "{}",
        String::from_utf8_lossy(&raised.stdout)
    );
    assert_eq!(status_of(&raised_summary, "throttling"), "pass");
    assert!(raised_summary["target"]["settings"]
        .to_string()
        .contains("80 rps / burst 40"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suite_measures_a_deployment_described_by_its_outputs() {
    let (d, gateway) = deploy().await;
    let dir = std::env::temp_dir().join(format!("harness-deployment-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = write_outputs(&d, &dir);
    let keys_before = key_count(&d.kms).await;
    let endpoint = d.moto.endpoint().to_owned();

    let out_dir = dir.join("report");
    let out = run_suite(&file, &endpoint, out_dir.clone()).await;
    // TTL 0 makes caching FAIL.
    set_ttl(&d, 0).await;
    let no_cache = run_suite(&file, &endpoint, dir.join("ttl0")).await;
    set_ttl(&d, 300).await;
    // Throttling measures the raised rate.
    raise_stage_limits(&d).await;
    let raised = run_suite(&file, &endpoint, dir.join("raised")).await;
    let plain = run_plain_url(&d, dir.join("plain")).await;
    let env_before = function_env(&d.lambda).await;
    let (terminated, stderr, changed) =
        terminate_during_cold_start(&d, &file, dir.join("sigterm")).await;
    let env_after = function_env(&d.lambda).await;
    invoke_a_published_alias(&d).await;
    let aliased = run_suite(&file, &endpoint, dir.join("aliased")).await;
    // Ctrl-C in the middle of the throttling sweep stops the run at once.
    let (interrupted, int_stderr, _, took) = signal_during(
        &d,
        &file,
        dir.join("sigint"),
        "throttling (rate sweep and burst)",
        "INT",
    )
    .await;
    gateway.stop().await;
    assert_eq!(interrupted.code(), Some(130), "{int_stderr}");
    assert_eq!(
        int_stderr.matches("stopping (SIGINT)").count(),
        1,
        "announced once: {int_stderr}"
    );
    assert!(
        !int_stderr.contains("dispatch failure"),
        "stopped quietly: {int_stderr}"
    );
    println!("SIGINT during throttling: exited after {took:?}");
    assert!(
        took < std::time::Duration::from_secs(3),
        "a stop takes effect within 2 s of the signal (plus exit): {took:?}\n{int_stderr}"
    );

    // Cold start is not forced on a published version: SKIP, with why.
    assert!(
        aliased.status.success(),
        "{}",
        String::from_utf8_lossy(&aliased.stdout)
    );
    let aliased = read_summary(&dir, "aliased");
    assert_eq!(status_of(&aliased, "cold_start"), "skip", "{aliased}");
    assert!(
        aliased
            .to_string()
            .contains("the authorizer invokes live (published version 1)"),
        "{aliased}"
    );
    for check in ["security", "caching", "throttling", "mixed"] {
        assert_eq!(status_of(&aliased, check), "pass", "{check}: {aliased}");
    }

    // SIGTERM gets SIGINT's cleanup: the function as it was, exit 143.
    assert!(
        changed,
        "the cold-start stage changed the function before the signal: {stderr}"
    );
    assert_eq!(terminated.code(), Some(143), "{stderr}");
    assert_eq!(stderr.matches("stopping (SIGTERM)").count(), 1, "{stderr}");
    assert_eq!(
        env_after, env_before,
        "the function's environment is restored: {stderr}"
    );
    assert_emf_in_log_group(&d).await;

    assert_plain_url_run(&dir, &plain);
    assert_deployment_run(&d, &out, &out_dir, keys_before).await;
    assert_changed_settings(&dir, &no_cache, &raised);
    std::fs::remove_dir_all(&dir).ok();
}
