//! End to end: the emulator with the real authorizer binary (and stand-in
//! fixtures for the failure rows), on OS-chosen ports.

use emulator::config::{ApiType, GatewayConfig, PayloadVersion, RouteAuthorizer, RouteConfig};
use emulator::gateway::Gateway;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Duration;
use tokens::jws::LocalSigner;

const ISS: &str = "https://issuer.gw.test";

fn now() -> i64 {
    authorizer::UnixTime::now().0 as i64
}

fn real(signer: &LocalSigner) -> GatewayConfig {
    GatewayConfig {
        authorizer: harness::binary::authorizer_binary(false).expect("authorizer binary"),
        env: vec![
            ("JWT_PUBLIC_KEY_PEM".into(), signer.public_pem()),
            ("JWT_ISSUER".into(), ISS.into()),
            ("JWT_AUDIENCE".into(), "gw".into()),
        ],
        ..GatewayConfig::default()
    }
}

fn fixture(mode: &str) -> GatewayConfig {
    GatewayConfig {
        authorizer: PathBuf::from(env!("CARGO_BIN_EXE_fixture-authorizer")),
        env: vec![("FIXTURE_MODE".into(), mode.into())],
        authorizer_timeout_ms: 700,
        ..GatewayConfig::default()
    }
}

fn token(signer: &LocalSigner, sub: &str) -> String {
    signer.token(
        r#"{"alg":"ES512","typ":"JWT"}"#,
        &json!({"iss": ISS, "aud": "gw", "sub": sub, "exp": now() + 300}).to_string(),
    )
}

async fn get(
    gw: &Gateway,
    path: &str,
    auth: Option<&str>,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut r = reqwest::Client::new().get(format!("{}{path}", gw.base_url()));
    if let Some(a) = auth {
        r = r.header("authorization", a);
    }
    let resp = r.send().await.expect("request");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, body, headers)
}

#[tokio::test]
async fn behaviour_table_with_the_real_authorizer() {
    let signer = LocalSigner::generate();
    let gw = Gateway::start(real(&signer)).await.expect("start");
    // 401 without invoking.
    let (s, body, headers) = get(&gw, "/hello", None).await;
    assert_eq!((s, body), (401, json!({"message": "Unauthorized"})));
    assert!(headers.contains_key("apigw-requestid"));
    let (s, _, _) = get(&gw, "/hello", Some("")).await;
    assert_eq!(s, 401, "empty identity source");
    assert_eq!(gw.stats().authorizer_invocations, 0);
    assert_eq!(gw.stats().cold_starts, 0);
    // 200 with the context as the integration sees it.
    let t = token(&signer, "alice");
    let (s, body, _) = get(&gw, "/hello?x=1", Some(&format!("Bearer {t}"))).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        body["requestContext"]["authorizer"]["lambda"]["sub"],
        "alice"
    );
    assert_eq!(body["routeKey"], "GET /hello");
    // Greedy route with path parameters.
    let (s, body, _) = get(&gw, "/a/b", Some(&format!("Bearer {t}"))).await;
    assert_eq!(
        (
            s,
            body["routeKey"].as_str(),
            body["pathParameters"]["proxy"].as_str()
        ),
        (200, Some("ANY /{proxy+}"), Some("a/b"))
    );
    // 403 for a forged token.
    let forged = token(&LocalSigner::generate(), "mallory");
    let (s, body, _) = get(&gw, "/hello", Some(&format!("Bearer {forged}"))).await;
    assert_eq!((s, body), (403, json!({"message": "Forbidden"})));
    let st = gw.stats();
    assert_eq!(st.cold_starts, 1, "one environment served all");
    assert_eq!(
        st.authorizer_invocations, 2,
        "second allow came from the cache"
    );
    assert_eq!(st.cache_hits, 1);
    assert_eq!(st.by_status["401"], 2);
    gw.stop().await;
}

#[tokio::test]
async fn cache_ttl_hits_then_reinvokes_and_caches_denies() {
    let signer = LocalSigner::generate();
    let gw = Gateway::start(GatewayConfig {
        cache_ttl_seconds: 1,
        ..real(&signer)
    })
    .await
    .expect("start");
    let t = format!("Bearer {}", token(&signer, "bob"));
    for _ in 0..3 {
        assert_eq!(get(&gw, "/hello", Some(&t)).await.0, 200);
    }
    assert_eq!(gw.stats().authorizer_invocations, 1);
    // The cache is shared by all routes of the API.
    assert_eq!(get(&gw, "/other/route", Some(&t)).await.0, 200);
    assert_eq!(gw.stats().authorizer_invocations, 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(get(&gw, "/hello", Some(&t)).await.0, 200);
    assert_eq!(
        gw.stats().authorizer_invocations,
        2,
        "re-invoked after the TTL"
    );
    let bad = "Bearer not.a.token";
    assert_eq!(get(&gw, "/hello", Some(bad)).await.0, 403);
    assert_eq!(get(&gw, "/hello", Some(bad)).await.0, 403);
    assert_eq!(
        gw.stats().authorizer_invocations,
        3,
        "denies are cached too"
    );
    gw.stop().await;

    let gw = Gateway::start(GatewayConfig {
        cache_ttl_seconds: 0,
        ..real(&signer)
    })
    .await
    .expect("start");
    assert_eq!(get(&gw, "/hello", Some(&t)).await.0, 200);
    assert_eq!(get(&gw, "/hello", Some(&t)).await.0, 200);
    assert_eq!(
        gw.stats().authorizer_invocations,
        2,
        "TTL 0 disables the cache"
    );
    gw.stop().await;
}

#[tokio::test]
async fn cold_starts_reset_and_idle_reclaim() {
    let signer = LocalSigner::generate();
    let gw = Gateway::start(GatewayConfig {
        idle_timeout_seconds: 0.4,
        ..real(&signer)
    })
    .await
    .expect("start");
    let t = format!("Bearer {}", token(&signer, "carol"));
    assert_eq!(get(&gw, "/hello", Some(&t)).await.0, 200);
    assert_eq!(gw.stats().cold_starts, 1);
    assert!(gw.stats().init_durations_ms[0] > 0.0);
    gw.reset().await;
    assert_eq!(gw.stats().live_environments, 0);
    assert_eq!(get(&gw, "/hello", Some(&t)).await.0, 200);
    assert_eq!(
        gw.stats().cold_starts,
        2,
        "cold again after reset (cache dropped too)"
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(
        gw.stats().live_environments,
        0,
        "idle environment reclaimed"
    );
    gw.stop().await;
}

#[tokio::test]
async fn concurrency_scales_out_and_reserved_concurrency_throttles() {
    let signer = LocalSigner::generate();
    let tokens: Vec<String> = (0..4)
        .map(|i| format!("Bearer {}", token(&signer, &format!("u{i}"))))
        .collect();
    // The fixture answers slowly enough (slow init) that requests overlap.
    let mut cfg = real(&signer);
    cfg.cache_ttl_seconds = 0;
    let gw = Gateway::start(cfg).await.expect("start");
    let results = futures_join(&gw, &tokens).await;
    assert!(results.iter().all(|s| *s == 200), "{results:?}");
    let st = gw.stats();
    assert!(
        st.cold_starts >= 2,
        "simultaneous requests on a cold emulator start several environments: {st:?}"
    );
    assert_eq!(st.cold_starts as usize, st.live_environments);
    gw.stop().await;

    let mut cfg = fixture("slow_init");
    cfg.reserved_concurrency = Some(1);
    cfg.cache_ttl_seconds = 0;
    let gw = Gateway::start(cfg).await.expect("start");
    let results = futures_join(&gw, &tokens).await;
    assert!(results.contains(&200), "{results:?}");
    assert!(
        results.contains(&500),
        "over reserved concurrency the client gets 500: {results:?}"
    );
    let st = gw.stats();
    assert!(st.lambda_throttled >= 1);
    assert_eq!(st.cold_starts, 1);
    gw.stop().await;
}

async fn futures_join(gw: &Gateway, tokens: &[String]) -> Vec<u16> {
    let mut set = tokio::task::JoinSet::new();
    for t in tokens {
        let (url, t) = (format!("{}/hello", gw.base_url()), t.clone());
        set.spawn(async move {
            reqwest::Client::new()
                .get(url)
                .header("authorization", t)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        });
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        out.push(r.unwrap_or(0));
    }
    out
}

#[tokio::test]
async fn throttling_429_and_the_zero_gotcha() {
    let signer = LocalSigner::generate();
    let t = format!("Bearer {}", token(&signer, "dave"));
    let gw = Gateway::start(GatewayConfig {
        rate: Some(1.0),
        burst: Some(2.0),
        ..real(&signer)
    })
    .await
    .expect("start");
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(get(&gw, "/hello", Some(&t)).await.0);
    }
    assert_eq!(&statuses[..2], &[200, 200]);
    assert!(statuses[2..].iter().all(|s| *s == 429), "{statuses:?}");
    let (_, body, _) = get(&gw, "/hello", Some(&t)).await;
    assert_eq!(body, json!({"message": "Too Many Requests"}));
    assert!(
        gw.stats().authorizer_invocations <= 1,
        "throttled requests never reach the authorizer"
    );
    gw.stop().await;

    for (rate, burst) in [(100.0, 0.0), (0.0, 100.0)] {
        let gw = Gateway::start(GatewayConfig {
            rate: Some(rate),
            burst: Some(burst),
            ..real(&signer)
        })
        .await
        .expect("start");
        assert_eq!(
            get(&gw, "/hello", Some(&t)).await.0,
            429,
            "rate {rate} burst {burst} throttles everything"
        );
        gw.stop().await;
    }

    // A route override inside the stage.
    let mut cfg = real(&signer);
    cfg.routes = vec![
        RouteConfig {
            rate: Some(1.0),
            burst: Some(1.0),
            ..RouteConfig::new("GET /hello", true)
        },
        RouteConfig::new("GET /free", false),
    ];
    let gw = Gateway::start(cfg).await.expect("start");
    assert_eq!(get(&gw, "/hello", Some(&t)).await.0, 200);
    assert_eq!(get(&gw, "/hello", Some(&t)).await.0, 429);
    assert_eq!(
        get(&gw, "/free", None).await.0,
        200,
        "a public route, other bucket"
    );
    assert_eq!(get(&gw, "/nope", None).await.0, 404);
    gw.stop().await;
}

#[tokio::test]
async fn failing_authorizers_give_500_and_are_not_cached() {
    for mode in ["crash", "hang", "garbage", "non_bool", "unauthorized"] {
        let gw = Gateway::start(fixture(mode)).await.expect("start");
        for _ in 0..2 {
            let (s, body, _) = get(&gw, "/hello", Some("Bearer x")).await;
            assert_eq!(
                (s, body),
                (500, json!({"message": "Internal Server Error"})),
                "{mode}"
            );
        }
        let st = gw.stats();
        assert_eq!(st.function_errors, 2, "{mode}: errors are not cached");
        if mode == "crash" || mode == "hang" {
            assert_eq!(
                st.cold_starts, 2,
                "{mode}: a crashed or timed-out environment is discarded"
            );
        }
        gw.stop().await;
    }
    for mode in ["init_error", "exit_in_init"] {
        let gw = Gateway::start(fixture(mode)).await.expect("start");
        assert_eq!(get(&gw, "/hello", Some("Bearer x")).await.0, 500, "{mode}");
        assert_eq!(gw.stats().live_environments, 0);
        gw.stop().await;
    }
    let gw = Gateway::start(fixture("deny")).await.expect("start");
    assert_eq!(get(&gw, "/hello", Some("Bearer x")).await.0, 403);
    gw.stop().await;
}

#[tokio::test]
async fn policy_responses_and_rest_token_payload() {
    let signer = LocalSigner::generate();
    let t = format!("Bearer {}", token(&signer, "erin"));
    let mut cfg = real(&signer);
    cfg.env
        .push(("JWT_RESPONSE_FORMAT".into(), "policy".into()));
    cfg.simple_responses = false;
    let gw = Gateway::start(cfg).await.expect("start");
    let (s, body, _) = get(&gw, "/hello", Some(&t)).await;
    assert_eq!(s, 200);
    assert_eq!(
        body["requestContext"]["authorizer"]["lambda"]["sub"],
        "erin"
    );
    assert_eq!(get(&gw, "/hello", Some("Bearer bad")).await.0, 403);
    gw.stop().await;

    let mut cfg = real(&signer);
    cfg.payload = PayloadVersion::V1Token;
    cfg.stage = "prod".into();
    let gw = Gateway::start(cfg).await.expect("start");
    assert!(gw.base_url().ends_with("/prod"));
    assert_eq!(get(&gw, "/hello", Some(&t)).await.0, 200);
    assert_eq!(
        get(&gw, "/hello", Some("Bearer bad")).await.0,
        401,
        "REST TOKEN deny is Unauthorized → 401"
    );
    gw.stop().await;
}

/// The whole catalog through a gateway running the real authorizer with
/// `settings` applied; returns the report and the gateway's throttled count.
async fn catalog_through(
    settings: impl FnOnce(GatewayConfig) -> GatewayConfig,
) -> (reports::security::SecurityReport, u64) {
    use harness::check::{self, Fresh, Target};
    use tokens::catalog::{self, Profile};
    use tokens::signer::Signer;
    let signer = Signer::Local(tokens::keypair::LocalKey::P521(LocalSigner::generate()));
    let profile = Profile::local(now());
    let cases = catalog::build(&signer, &profile).await.expect("catalog");
    let cfg = settings(GatewayConfig {
        authorizer: harness::binary::authorizer_binary(false).expect("binary"),
        env: profile.authorizer_env(&signer.public_pem()),
        ..GatewayConfig::default()
    });
    let gw = Gateway::start(cfg).await.expect("start");
    let fresh = Fresh {
        signer: &signer,
        profile: &profile,
    };
    let report = check::run(
        &Target::Url(format!("{}/hello", gw.base_url())),
        &cases,
        &[],
        &fresh,
        check::CheckOptions::default(),
    )
    .await
    .expect("reachable");
    let throttled = gw.stats().throttled;
    gw.stop().await;
    (report, throttled)
}

/// The cases that did not match (skips are not mismatches).
fn mismatches(
    report: &reports::security::SecurityReport,
) -> Vec<(&String, &String, &Option<String>)> {
    report
        .cases
        .iter()
        .filter(|c| !c.pass && c.actual != "skipped")
        .map(|c| (&c.id, &c.actual, &c.note))
        .collect()
}

#[tokio::test]
async fn the_security_check_passes_through_the_emulator() {
    let (report, _) = catalog_through(|c| c).await;
    let failures = mismatches(&report);
    assert!(failures.is_empty(), "{failures:?}");
    assert!(report.totals.passed >= 140, "{:?}", report.totals);
    assert!(
        report.totals.skipped > 0 && report.totals.skipped < 15,
        "only unsendable headers are skipped: {:?}",
        report.totals
    );
}

#[tokio::test]
async fn the_security_check_through_a_throttled_stage_counts_no_429_as_a_decision() {
    let (report, throttled) = catalog_through(|c| GatewayConfig {
        cache_ttl_seconds: 0,
        rate: Some(60.0),
        burst: Some(5.0),
        ..c
    })
    .await;
    let failures = mismatches(&report);
    assert!(throttled > 0, "the stage did throttle");
    assert!(failures.is_empty(), "a 429 became a mismatch: {failures:?}");
    assert!(report.totals.passed >= 140, "{:?}", report.totals);
}

#[tokio::test]
async fn the_check_names_a_wrong_url_or_a_mismatched_deployment_in_plain_words() {
    use harness::check::{self, Fresh, Target};
    use tokens::catalog::{self, Profile};
    use tokens::signer::Signer;
    let signer = Signer::Local(tokens::keypair::LocalKey::P521(LocalSigner::generate()));
    let profile = Profile::local(now());
    let cases = catalog::build(&signer, &profile).await.expect("catalog");
    let fresh = Fresh {
        signer: &signer,
        profile: &profile,
    };
    let mut cfg = GatewayConfig {
        authorizer: harness::binary::authorizer_binary(false).expect("binary"),
        env: profile.authorizer_env(&signer.public_pem()),
        routes: vec![
            RouteConfig::new("GET /hello", true),
            RouteConfig::new("GET /open", false),
        ],
        ..GatewayConfig::default()
    };
    let gw = Gateway::start(cfg.clone()).await.expect("start");
    let run = |path: &'static str| {
        let url = format!("{}{path}", gw.base_url());
        let (cases, fresh) = (&cases, &fresh);
        async move {
            check::run(
                &Target::Url(url),
                cases,
                &[],
                fresh,
                check::CheckOptions::default(),
            )
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
        }
    };
    let open = run("/open").await.expect_err("public route");
    assert!(open.contains("not protected"), "{open}");
    let missing = run("/nope").await.expect_err("no route");
    assert!(missing.contains("no such route"), "{missing}");
    gw.stop().await;
    // The deployment expects another issuer: a genuine token is denied.
    for (k, v) in &mut cfg.env {
        if k == "JWT_ISSUER" {
            *v = "https://someone-else.example".into();
        }
    }
    let other = Gateway::start(cfg).await.expect("start");
    let url = format!("{}/hello", other.base_url());
    let mismatch = check::run(
        &Target::Url(url),
        &cases,
        &[],
        &fresh,
        check::CheckOptions::default(),
    )
    .await
    .map(|_| ())
    .expect_err("genuine token denied");
    other.stop().await;
    assert!(
        mismatch.to_string().contains("denies a genuine token"),
        "{mismatch}"
    );
}

#[tokio::test]
async fn mixed_traffic_counts_429s_apart_never_as_wrong_decisions() {
    let signer = LocalSigner::generate();
    let cfg = GatewayConfig {
        rate: Some(5.0),
        burst: Some(5.0),
        cache_ttl_seconds: 0,
        ..real(&signer)
    };
    let gw = Gateway::start(cfg).await.expect("start");
    let good = format!("Bearer {}", token(&signer, "m"));
    let cases = vec![
        scenarios::MixedCase {
            family: "valid".into(),
            authorization: Some(good),
            allow: true,
        },
        scenarios::MixedCase {
            family: "forged".into(),
            authorization: Some("Bearer a.b.c".into()),
            allow: false,
        },
    ];
    let ep = scenarios::Endpoint {
        url: format!("{}/hello", gw.base_url()),
        live: None,
    };
    let sc = scenarios::mixed(&ep, &cases, &[("valid", 1), ("forged", 1)], 40.0, 2)
        .await
        .expect("mixed");
    gw.stop().await;
    let throttled = sc.figures["throttled_requests"].value;
    assert!(throttled > 10.0, "the stage throttled: {throttled}");
    assert_eq!(sc.figures["wrong_decisions"].value, 0.0);
    assert!(sc.pass);
}

#[tokio::test]
async fn the_burst_test_against_a_deployed_stage_waits_for_the_bucket_to_refill() {
    let signer = LocalSigner::generate();
    let cfg = GatewayConfig {
        rate: Some(10.0),
        burst: Some(10.0),
        ..real(&signer)
    };
    let gw = Gateway::start(cfg).await.expect("start");
    // No control URL: measured as a deployed stage is, by time alone.
    let ep = scenarios::Endpoint {
        url: format!("{}/hello", gw.base_url()),
        live: None,
    };
    let sc = scenarios::throttling(&ep, &token(&signer, "b"), 10.0, 10.0, &[3.0], 2)
        .await
        .expect("throttling");
    gw.stop().await;
    let ratio = sc.figures["burst_admitted_to_configured"].value;
    assert!(
        (0.8..=1.3).contains(&ratio),
        "burst after the sweep admitted {ratio} of the configured burst"
    );
}

/// A REST API as `gateway --rest-api-id` serves one: a TOKEN method with a
/// validation expression, a REQUEST method, a public one; stage `prod`.
fn rest(base: GatewayConfig) -> GatewayConfig {
    let authorizer = |id: &str, payload, validation: Option<&str>| RouteAuthorizer {
        id: id.into(),
        payload,
        identity_sources: vec!["method.request.header.Authorization".into()],
        validation_expression: validation.map(str::to_owned),
        ttl_seconds: 300,
    };
    GatewayConfig {
        api_type: ApiType::Rest,
        stage: "prod".into(),
        simple_responses: false,
        routes: vec![
            RouteConfig {
                authorizer: Some(authorizer(
                    "tok",
                    PayloadVersion::V1Token,
                    Some("Bearer [-0-9A-Za-z_.]+"),
                )),
                ..RouteConfig::new("GET /hello", true)
            },
            RouteConfig {
                authorizer: Some(authorizer("req", PayloadVersion::RestRequest, None)),
                resource_id: Some("res123".into()),
                ..RouteConfig::new("GET /hello-request", true)
            },
            RouteConfig::new("GET /open", false),
        ],
        ..base
    }
}

#[tokio::test]
async fn rest_api_token_and_request_authorizers_with_the_real_authorizer() {
    let signer = LocalSigner::generate();
    let gw = Gateway::start(rest(real(&signer))).await.expect("start");
    let t = format!("Bearer {}", token(&signer, "alice"));
    // Missing token, or one the validation expression refuses: 401 without
    // invoking.
    assert_eq!(
        get(&gw, "/hello", None).await.1,
        json!({"message": "Unauthorized"})
    );
    assert_eq!(get(&gw, "/hello", Some("Basic abc")).await.0, 401);
    assert_eq!(get(&gw, "/hello-request", None).await.0, 401);
    assert_eq!(gw.stats().authorizer_invocations, 0);
    // Allowed: the context reaches the integration flattened, with the
    // principal.
    let (s, body, _) = get(&gw, "/hello", Some(&t)).await;
    assert_eq!(s, 200, "{body}");
    let granted = &body["requestContext"]["authorizer"];
    assert_eq!(granted["principalId"], "alice");
    assert_eq!(granted["sub"], "alice");
    assert_eq!(gw.stats().authorizer_invocations, 1);
    // Cached per authorizer: the TOKEN method again is a hit, the REQUEST
    // method invokes its own.
    assert_eq!(get(&gw, "/hello", Some(&t)).await.0, 200);
    assert_eq!(gw.stats().authorizer_invocations, 1);
    assert_eq!(get(&gw, "/hello-request", Some(&t)).await.0, 200);
    assert_eq!(gw.stats().authorizer_invocations, 2);
    // A bad token the expression lets through: the function's
    // `Unauthorized` is 401.
    let (s, body, _) = get(&gw, "/hello", Some("Bearer abc.def.ghi")).await;
    assert_eq!((s, body), (401, json!({"message": "Unauthorized"})));
    assert_eq!(gw.stats().authorizer_invocations, 3);
    // Unknown resource or method, or no stage: 403 Missing Authentication Token.
    let unstaged = reqwest::get(format!("http://{}/hello", gw.addr()))
        .await
        .expect("request");
    assert_eq!(unstaged.status().as_u16(), 403, "no stage in the path");
    for path in ["/nope", "", "/hello/x"] {
        assert_eq!(
            get(&gw, path, Some(&t)).await.1,
            json!({"message": "Missing Authentication Token"}),
            "{path}"
        );
    }
    assert_eq!(get(&gw, "/open", None).await.0, 200);
    gw.stop().await;
}

#[tokio::test]
async fn rest_api_events_denies_and_context_rules() {
    // The REQUEST event as the function receives it.
    let gw = Gateway::start(rest(fixture("policy_echo_event")))
        .await
        .expect("start");
    let (s, body, _) = get(&gw, "/hello-request?x=1&x=2", Some("Bearer t")).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        body["requestContext"]["authorizer"]["principalId"],
        "fixture"
    );
    let event: Value = serde_json::from_str(
        body["requestContext"]["authorizer"]["event"]
            .as_str()
            .expect("event"),
    )
    .expect("event JSON");
    assert_eq!(event["type"], "REQUEST");
    assert!(event["methodArn"]
        .as_str()
        .is_some_and(|a| a.ends_with("/prod/GET/hello-request")));
    assert_eq!(event["resource"], "/hello-request");
    assert_eq!(event["path"], "/hello-request");
    assert_eq!(event["httpMethod"], "GET");
    assert_eq!(event["headers"]["authorization"], "Bearer t");
    assert_eq!(event["queryStringParameters"]["x"], "2");
    assert_eq!(
        event["multiValueQueryStringParameters"]["x"],
        json!(["1", "2"])
    );
    assert_eq!(event["requestContext"]["stage"], "prod");
    assert_eq!(event["requestContext"]["path"], "/prod/hello-request");
    assert_eq!(event["requestContext"]["resourceId"], "res123");
    assert!(
        event.get("version").is_none(),
        "REST events carry no version"
    );
    // The TOKEN event.
    let (_, body, _) = get(&gw, "/hello", Some("Bearer t.t")).await;
    let event: Value = serde_json::from_str(
        body["requestContext"]["authorizer"]["event"]
            .as_str()
            .expect("event"),
    )
    .expect("event JSON");
    assert_eq!(event["type"], "TOKEN");
    assert_eq!(event["authorizationToken"], "Bearer t.t");
    gw.stop().await;

    // Denies and a context REST cannot carry.
    for (mode, status, body) in [
        (
            "policy_deny",
            403,
            json!({"Message": "User is not authorized to access this resource with an explicit deny"}),
        ),
        (
            "policy_elsewhere",
            403,
            json!({"Message": "User is not authorized to access this resource"}),
        ),
        ("policy_nested_context", 500, json!({"message": null})),
        // Simple responses are an HTTP API format: REST answers 500.
        ("allow", 500, json!({"message": null})),
    ] {
        let gw = Gateway::start(rest(fixture(mode))).await.expect("start");
        let (s, b, _) = get(&gw, "/hello-request", Some("Bearer t")).await;
        assert_eq!((s, b), (status, body), "{mode}");
        gw.stop().await;
    }
}
