//! The KMS key source and the KMS signer against a real `moto_server`
//! started here (stopped by PID when the test ends, pass or fail).

use authorizer::kms::{fetch_keys, KmsError, KmsLoader};
use authorizer::{AuthRequest, Authorizer, Backend, Config, RejectReason, UnixTime};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use harness::moto::Moto;
use serde_json::json;

const ISS: &str = "https://issuer.example";

async fn kms_client(moto: &Moto) -> aws_sdk_kms::Client {
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(moto.endpoint())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_kms::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .load()
        .await;
    aws_sdk_kms::Client::new(&conf)
}

fn config(kms_ids: &str) -> Config {
    Config::from_lookup(|n| match n {
        "JWT_KMS_KEY_IDS" => Some(kms_ids.to_owned()),
        "JWT_ISSUER" => Some(ISS.into()),
        "JWT_AUDIENCE" => Some("api".into()),
        _ => None,
    })
    .expect("config")
}

async fn kms_token(client: &aws_sdk_kms::Client, key_id: &str, kid: Option<&str>) -> String {
    let header = match kid {
        Some(k) => json!({"alg": "ES512", "typ": "JWT", "kid": k}),
        None => json!({"alg": "ES512", "typ": "JWT"}),
    };
    let now = UnixTime::now().0 as i64;
    let claims = json!({"iss": ISS, "aud": "api", "sub": "kms-user", "exp": now + 300});
    let input = tokens::jws::signing_input(&header.to_string(), &claims.to_string());
    let sig = tokens::kms::sign(client, key_id, input.as_bytes())
        .await
        .expect("KMS Sign");
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

#[tokio::test]
async fn kms_keys_load_bind_kids_and_verify_kms_signatures() {
    let moto = Moto::start().expect("moto_server (pip install 'moto[server]')");
    let client = kms_client(&moto).await;
    let key = tokens::kms::create_key(&client, Some("alias/jwt-test"))
        .await
        .expect("CreateKey");
    let other = tokens::kms::create_key(&client, None)
        .await
        .expect("CreateKey");

    // One key, by alias: kids bound to the alias and the returned KeyId (AWS
    // returns the ARN there, and the bare id is derived from it; moto returns
    // the bare id).
    let keys = fetch_keys(
        &client,
        &["alias/jwt-test".into()],
        Backend::default_backend(),
    )
    .await
    .expect("GetPublicKey");
    assert_eq!(keys.len(), 1);
    for kid in ["alias/jwt-test", key.key_id.as_str()] {
        assert!(
            keys[0].kids.iter().any(|k| k == kid),
            "kid {kid} not bound: {:?}",
            keys[0].kids
        );
    }

    let auth = Authorizer::new(&config("alias/jwt-test"));
    assert!(!auth.keys_ready());
    let loader = KmsLoader::new(
        client.clone(),
        vec!["alias/jwt-test".into()],
        Backend::default_backend(),
    );
    assert_eq!(loader.load(&auth).await.expect("load"), 1);
    let decide = |t: &str| {
        auth.decide(
            &AuthRequest {
                authorization: Some(t),
            },
            UnixTime::now(),
        )
    };
    // Many signatures, so r or s shorter than 66 bytes (1 in 128) is likely hit.
    for _ in 0..40 {
        let t = kms_token(&client, &key.key_id, None).await;
        assert!(
            decide(&t).is_allow(),
            "KMS-signed token denied: {:?}",
            decide(&t)
        );
    }
    assert!(decide(&kms_token(&client, &key.key_id, Some(&key.key_id)).await).is_allow());
    assert_eq!(
        decide(&kms_token(&client, &key.key_id, Some("alias/other")).await).reason(),
        Some(RejectReason::UnknownKid)
    );
    assert_eq!(
        decide(&kms_token(&client, &other.key_id, None).await).reason(),
        Some(RejectReason::BadSignature)
    );

    // KMS DER signatures whose r or s is shorter than 66 bytes must be
    // left-padded; sign until such a signature is seen, and check it.
    let mut short_seen = 0;
    for i in 0..64u32 {
        let msg = format!("message {i}");
        let out = client
            .sign()
            .key_id(&key.key_id)
            .message(aws_sdk_kms::primitives::Blob::new(msg.as_bytes()))
            .message_type(aws_sdk_kms::types::MessageType::Raw)
            .signing_algorithm(aws_sdk_kms::types::SigningAlgorithmSpec::EcdsaSha512)
            .send()
            .await
            .expect("Sign");
        let der = out.signature().expect("signature").as_ref().to_vec();
        // SEQUENCE (len) INTEGER r: the r length byte follows the sequence header.
        let r_at = if der[1] == 0x81 { 3 } else { 2 };
        let r_len = usize::from(der[r_at + 1]);
        let s_len = usize::from(der[r_at + 2 + r_len + 1]);
        let jose = tokens::kms::der_to_jose(&der).expect("converts");
        if r_len < 66 || s_len < 66 {
            short_seen += 1;
            let pk = keys[0].key.clone();
            assert!(
                pk.verify(msg.as_bytes(), &jose).is_ok(),
                "padded short scalar verifies"
            );
        }
    }
    assert!(
        short_seen > 0,
        "no short r or s in 64 signatures (expected about half)"
    );

    // Two keys: kid required and binding.
    let both = format!("{},{}", key.arn, other.key_id);
    let auth2 = Authorizer::new(&config(&both));
    KmsLoader::new(
        client.clone(),
        vec![key.arn.clone(), other.key_id.clone()],
        Backend::default_backend(),
    )
    .load(&auth2)
    .await
    .expect("load two");
    let d2 = |t: &str| {
        auth2.decide(
            &AuthRequest {
                authorization: Some(t),
            },
            UnixTime::now(),
        )
    };
    assert!(d2(&kms_token(&client, &other.key_id, Some(&other.key_id)).await).is_allow());
    assert!(
        d2(&kms_token(&client, &key.key_id, Some(&key.arn)).await).is_allow(),
        "configured ARN binds"
    );
    // No kid with two keys (a rotation, an issuer that sets none): each key
    // of the token's algorithm is tried; an unknown kid is still refused.
    assert!(d2(&kms_token(&client, &other.key_id, None).await).is_allow());
    assert_eq!(
        d2(&kms_token(&client, &other.key_id, Some("another-key")).await).reason(),
        Some(RejectReason::UnknownKid)
    );
}

#[tokio::test]
async fn wrong_key_spec_is_refused_and_unreachable_kms_denies_then_recovers() {
    let moto = Moto::start().expect("moto_server");
    let client = kms_client(&moto).await;
    let p256 = client
        .create_key()
        .key_spec(aws_sdk_kms::types::KeySpec::EccNistP256)
        .key_usage(aws_sdk_kms::types::KeyUsageType::SignVerify)
        .send()
        .await
        .expect("CreateKey P-256");
    let id = p256.key_metadata().expect("meta").key_id().to_owned();
    // A P-256 key verifies ES256, its one algorithm; naming another is wrong.
    let keys = fetch_keys(
        &client,
        std::slice::from_ref(&id),
        Backend::default_backend(),
    )
    .await
    .expect("P-256 key");
    assert_eq!(keys[0].key.algorithm(), authorizer::Algorithm::Es256);
    match fetch_keys(
        &client,
        &[format!("{id}:ES512")],
        Backend::default_backend(),
    )
    .await
    {
        Err(KmsError::WrongKey { why, .. }) => assert!(why.contains("ES256"), "{why}"),
        other => panic!("expected WrongKey, got {other:?}"),
    }
    // An RSA key allows six algorithms: without one named it is refused.
    let rsa = client
        .create_key()
        .key_spec(aws_sdk_kms::types::KeySpec::Rsa2048)
        .key_usage(aws_sdk_kms::types::KeyUsageType::SignVerify)
        .send()
        .await
        .expect("CreateKey RSA_2048");
    let rsa_id = rsa.key_metadata().expect("meta").key_id().to_owned();
    match fetch_keys(
        &client,
        std::slice::from_ref(&rsa_id),
        Backend::default_backend(),
    )
    .await
    {
        Err(KmsError::WrongKey { why, .. }) => assert!(why.contains(":PS256"), "{why}"),
        other => panic!("expected WrongKey, got {other:?}"),
    }
    let keys = fetch_keys(
        &client,
        &[format!("{rsa_id}:PS384")],
        Backend::default_backend(),
    )
    .await
    .expect("RSA key pinned to PS384");
    assert_eq!(keys[0].key.algorithm(), authorizer::Algorithm::Ps384);
    assert_eq!(keys[0].key.signature_len(), 256);

    // A KMS endpoint nobody listens on: start, deny with key_unavailable.
    let dead_port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let dead = aws_sdk_kms::Client::from_conf(
        client
            .config()
            .to_builder()
            .endpoint_url(format!("http://127.0.0.1:{dead_port}"))
            .build(),
    );
    let auth = Authorizer::new(&config("alias/jwt"));
    let loader = KmsLoader::new(dead, vec!["alias/jwt".into()], Backend::default_backend());
    assert!(matches!(
        loader.load(&auth).await,
        Err(KmsError::Unreachable { .. })
    ));
    let key = tokens::kms::create_key(&client, Some("alias/jwt"))
        .await
        .expect("CreateKey");
    let token = kms_token(&client, &key.key_id, None).await;
    assert_eq!(
        auth.decide(
            &AuthRequest {
                authorization: Some(&token)
            },
            UnixTime::now()
        )
        .reason(),
        Some(RejectReason::KeyUnavailable)
    );
    // Back-off: an immediate retry is not attempted.
    assert!(loader.retry_if_due(&auth).await.is_none());
    // Once KMS answers, the keys load and the token is allowed.
    let live = KmsLoader::new(
        client.clone(),
        vec!["alias/jwt".into()],
        Backend::default_backend(),
    );
    assert!(live.retry_if_due(&auth).await.expect("attempted").is_ok());
    assert!(auth
        .decide(
            &AuthRequest {
                authorization: Some(&token)
            },
            UnixTime::now()
        )
        .is_allow());
}

#[tokio::test]
async fn the_binary_fetches_kms_keys_at_cold_start() {
    use emulator::lambda::{Environment, FunctionConfig, InvokeResult};
    use std::time::Duration;
    let moto = Moto::start().expect("moto_server");
    let client = kms_client(&moto).await;
    let key = tokens::kms::create_key(&client, Some("alias/jwt-bin"))
        .await
        .expect("CreateKey");
    let mut f = FunctionConfig::new(harness::binary::authorizer_binary(false).expect("binary"));
    f.env = moto.sdk_env();
    f.env.extend([
        ("JWT_KMS_KEY_IDS".to_owned(), "alias/jwt-bin".to_owned()),
        ("JWT_KMS_REFRESH_SECONDS".to_owned(), "1".to_owned()),
        ("JWT_ISSUER".to_owned(), ISS.to_owned()),
        ("JWT_AUDIENCE".to_owned(), "api".to_owned()),
    ]);
    let mut env = Environment::start(&f).await.expect("init with KMS");
    let token = kms_token(&client, &key.key_id, Some("alias/jwt-bin")).await;
    let ev = json!({"type": "TOKEN", "authorizationToken": format!("Bearer {token}"),
                    "methodArn": "arn:aws:execute-api:us-east-1:1:api/prod/GET/x"});
    let event = bytes::Bytes::from(ev.to_string());
    let out = env.invoke(event.clone()).await.expect("invoke");
    match out.result {
        InvokeResult::Response(b) => {
            let v: serde_json::Value = serde_json::from_slice(&b).expect("json");
            assert_eq!(v["principalId"], "kms-user");
        }
        other => panic!("denied: {other:?}"),
    }
    // KMS goes away: the refresh due after 1 s fails (stale-if-error), and
    // the next invocation's metrics count it.
    drop(moto);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    env.invoke(event.clone()).await.expect("invoke");
    tokio::time::sleep(Duration::from_secs(4)).await;
    env.invoke(event).await.expect("invoke");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let logs = env.logs();
    env.stop().await;
    let emf: Vec<serde_json::Value> = logs
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v.get("_aws").is_some())
        .collect();
    assert_eq!(emf.len(), 3, "{logs:#?}");
    assert!(emf.iter().all(|m| m["KeySetAge"].is_u64()), "{emf:#?}");
    assert_eq!(emf[0]["KeyRefreshFailures"], 0, "{emf:#?}");
    let failures: u64 = emf
        .iter()
        .filter_map(|m| m["KeyRefreshFailures"].as_u64())
        .sum();
    assert_eq!(failures, 1, "one failed refresh counted once: {emf:#?}");
    assert!(
        logs.iter().any(|l| l.contains("kms_refresh_failed")),
        "{logs:#?}"
    );
}

async fn key_states(client: &aws_sdk_kms::Client) -> Vec<String> {
    let mut states = Vec::new();
    let keys = client.list_keys().send().await.expect("ListKeys");
    for k in keys.keys() {
        let id = k.key_id().unwrap_or_default();
        let meta = client
            .describe_key()
            .key_id(id)
            .send()
            .await
            .expect("DescribeKey");
        states.push(
            meta.key_metadata()
                .and_then(|m| m.key_state())
                .map_or("?".into(), |s| s.as_str().to_owned()),
        );
    }
    states
}

#[tokio::test]
async fn the_suite_creates_no_kms_key_in_the_users_account_unless_asked() {
    let moto = Moto::start().expect("moto_server");
    let client = kms_client(&moto).await;
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let suite = |extra: &[&str]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_harness"));
        c.args(["suite", "--quick", "--target"])
            .arg(format!("http://127.0.0.1:{dead}/hello"))
            .arg("--kms-endpoint")
            .arg(moto.endpoint())
            .args(extra)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1");
        c.output().expect("harness suite")
    };
    let before = key_states(&client).await;
    let out = suite(&[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--kms-key-id") && err.contains("--create-kms-key"),
        "{err}"
    );
    assert_eq!(key_states(&client).await, before, "no key created unasked");

    // Asked: created, named, and its deletion scheduled even though the run
    // fails (the target is unreachable).
    let out = suite(&["--create-kms-key"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("alias/harness-suite-"),
        "names what it creates: {err}"
    );
    assert!(err.contains("scheduled deletion"), "{err}");
    let after = key_states(&client).await;
    assert_eq!(after.len(), before.len() + 1);
    assert_eq!(
        after.iter().filter(|s| *s == "PendingDeletion").count(),
        1,
        "{after:?}"
    );
    let aliases = client.list_aliases().send().await.expect("ListAliases");
    assert!(
        aliases.aliases().iter().all(|a| !a
            .alias_name()
            .unwrap_or_default()
            .starts_with("alias/harness-suite-")),
        "alias removed"
    );
}

#[tokio::test]
async fn kms_tokens_of_every_spec_reach_the_binary_and_only_rfc_conforming_ones_pass() {
    use authorizer::Algorithm;
    use emulator::lambda::{Environment, FunctionConfig, InvokeResult};
    let moto = Moto::start().expect("moto_server");
    let client = kms_client(&moto).await;
    let mut rsa_key: Option<String> = None;
    // moto has no Ed25519 or ML-DSA keys: those specs' KMS path is tested
    // against recorded exchanges (tokens/tests/kms_replay.rs).
    for alg in Algorithm::ALL
        .into_iter()
        .filter(|a| a.is_rsa() || a.curve().is_some())
    {
        // One RSA_2048 key serves all six RSA algorithms, pinned per entry.
        let key_id = match (alg.is_rsa(), &rsa_key) {
            (true, Some(k)) => k.clone(),
            _ => {
                let k = tokens::kms::create_key_spec(&client, tokens::kms::key_spec_for(alg), None)
                    .await
                    .expect("CreateKey")
                    .key_id;
                if alg.is_rsa() {
                    rsa_key = Some(k.clone());
                }
                k
            }
        };
        let entry = if alg.is_rsa() {
            format!("{key_id}:{alg}")
        } else {
            key_id.clone()
        };
        let mut f = FunctionConfig::new(harness::binary::authorizer_binary(false).expect("binary"));
        f.env = moto.sdk_env();
        f.env.extend([
            ("JWT_KMS_KEY_IDS".to_owned(), entry),
            ("JWT_ISSUER".to_owned(), ISS.to_owned()),
            ("JWT_AUDIENCE".to_owned(), "api".to_owned()),
        ]);
        let mut env = Environment::start(&f).await.expect("init with KMS");
        let claims = json!({"iss": ISS, "aud": "api", "sub": format!("kms-{alg}"),
                            "exp": UnixTime::now().0 as i64 + 300})
        .to_string();
        let token_as = |header_alg: Algorithm, sig: &[u8]| {
            let header = json!({"alg": header_alg.name(), "kid": key_id}).to_string();
            format!(
                "{}.{}.{}",
                URL_SAFE_NO_PAD.encode(header),
                URL_SAFE_NO_PAD.encode(&claims),
                URL_SAFE_NO_PAD.encode(sig)
            )
        };
        let input = |header_alg: Algorithm| {
            let header = json!({"alg": header_alg.name(), "kid": key_id}).to_string();
            format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode(header),
                URL_SAFE_NO_PAD.encode(&claims)
            )
        };
        let sig = tokens::kms::sign_as(&client, &key_id, alg, input(alg).as_bytes())
            .await
            .expect("KMS Sign");
        let event = |token: String| {
            let ev = json!({"type": "TOKEN", "authorizationToken": format!("Bearer {token}"),
                            "methodArn": "arn:aws:execute-api:us-east-1:1:api/prod/GET/x"});
            bytes::Bytes::from(ev.to_string())
        };
        let answer = env
            .invoke(event(token_as(alg, &sig)))
            .await
            .expect("invoke")
            .result;
        match (alg.name().starts_with("PS"), answer) {
            (false, InvokeResult::Response(b)) => {
                let v: serde_json::Value = serde_json::from_slice(&b).expect("json");
                assert_eq!(v["principalId"], format!("kms-{alg}"), "{alg}");
            }
            // moto signs RSASSA_PSS_* with the largest salt; JWS PS* (RFC
            // 7518 §3.5) and AWS KMS use a salt as long as the hash, so
            // moto's PSS signatures are rightly refused. PS* is proven end to
            // end with RFC-conforming signatures in authorizer_binary.rs.
            (true, InvokeResult::FunctionError { .. }) => {}
            (_, other) => panic!("{alg}: genuine KMS token: {other:?}"),
        }
        // The same key under another algorithm's name (RS256 ↔ PS256 on one
        // RSA key, ES384 on an ES256 key): denied.
        let other = if alg.is_rsa() {
            if alg == Algorithm::Rs256 {
                Algorithm::Ps256
            } else {
                Algorithm::Rs256
            }
        } else if alg == Algorithm::Es256 {
            Algorithm::Es384
        } else {
            Algorithm::Es256
        };
        let resigned = tokens::kms::sign_as(&client, &key_id, alg, input(other).as_bytes())
            .await
            .expect("KMS Sign");
        let denied = env
            .invoke(event(token_as(other, &resigned)))
            .await
            .expect("invoke")
            .result;
        env.stop().await;
        assert!(
            matches!(denied, InvokeResult::FunctionError { .. }),
            "{alg} key, {other} header: {denied:?}"
        );
    }
}

#[tokio::test]
async fn an_alias_re_pointed_to_a_new_key_is_picked_up_at_the_next_refresh() {
    use emulator::lambda::{Environment, FunctionConfig, InvokeResult};
    use std::time::{Duration, Instant};
    let moto = Moto::start().expect("moto_server");
    let client = kms_client(&moto).await;
    let old = tokens::kms::create_key(&client, Some("alias/jwt-rotating"))
        .await
        .expect("old key");
    let new = tokens::kms::create_key(&client, None)
        .await
        .expect("new key");
    let mut f = FunctionConfig::new(harness::binary::authorizer_binary(false).expect("binary"));
    f.env = moto.sdk_env();
    f.env.extend([
        (
            "JWT_KMS_KEY_IDS".to_owned(),
            "alias/jwt-rotating".to_owned(),
        ),
        ("JWT_KMS_REFRESH_SECONDS".to_owned(), "1".to_owned()),
        ("JWT_ISSUER".to_owned(), ISS.to_owned()),
        ("JWT_AUDIENCE".to_owned(), "api".to_owned()),
    ]);
    let mut env = Environment::start(&f).await.expect("init with KMS");
    let token_old = kms_token(&client, &old.key_id, Some("alias/jwt-rotating")).await;
    let token_new = kms_token(&client, &new.key_id, Some("alias/jwt-rotating")).await;
    let ev = |t: &str| {
        bytes::Bytes::from(
            json!({"type": "TOKEN", "authorizationToken": format!("Bearer {t}"),
                   "methodArn": "arn:aws:execute-api:us-east-1:1:api/prod/GET/x"})
            .to_string(),
        )
    };
    let allowed = |r: InvokeResult| matches!(r, InvokeResult::Response(_));
    assert!(allowed(
        env.invoke(ev(&token_old)).await.expect("invoke").result
    ));
    assert!(!allowed(
        env.invoke(ev(&token_new)).await.expect("invoke").result
    ));

    client
        .update_alias()
        .alias_name("alias/jwt-rotating")
        .target_key_id(&new.key_id)
        .send()
        .await
        .expect("UpdateAlias");
    let pointed = Instant::now();
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    // Decided with the set in force; starts the refresh off the request path.
    let _ = env.invoke(ev(&token_old)).await.expect("invoke");
    let mut picked_up = None;
    while pointed.elapsed() < Duration::from_secs(10) {
        if allowed(env.invoke(ev(&token_new)).await.expect("invoke").result) {
            picked_up = Some(pointed.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let old_after = env.invoke(ev(&token_old)).await.expect("invoke").result;
    let logs = env.logs();
    env.stop().await;
    let picked_up = picked_up.expect("the new key is trusted after the refresh");
    println!("alias re-pointed; new key trusted after {picked_up:?} (refresh every 1 s)");
    assert!(
        !allowed(old_after),
        "the old key is no longer the alias's target, and its cached grant is gone"
    );
    assert!(
        logs.iter().any(|l| l.contains("\"kms_refreshed\"")),
        "{logs:#?}"
    );
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_last_good_key_set() {
    use std::time::Duration;
    let moto = Moto::start().expect("moto_server");
    let client = kms_client(&moto).await;
    let key = tokens::kms::create_key(&client, Some("alias/jwt-stale"))
        .await
        .expect("CreateKey");
    let token = kms_token(&client, &key.key_id, None).await;
    let auth = Authorizer::new(&config("alias/jwt-stale"));
    let loader = KmsLoader::new(
        client,
        vec!["alias/jwt-stale".into()],
        Backend::default_backend(),
    )
    .with_refresh(Some(Duration::from_millis(1)));
    loader.load(&auth).await.expect("loaded");
    let decide = || {
        auth.decide(
            &AuthRequest {
                authorization: Some(&token),
            },
            UnixTime::now(),
        )
    };
    assert!(decide().is_allow());
    drop(moto); // KMS goes away
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert!(loader.take_due_refresh(&auth), "due after the interval");
    assert!(!loader.take_due_refresh(&auth), "one refresh at a time");
    let err = loader.refresh(&auth).await.expect_err("KMS is down");
    assert!(
        err.to_string().contains("keeping the key set fetched"),
        "{err}"
    );
    assert!(
        decide().is_allow(),
        "stale-if-error: the last good set stays"
    );
    assert!(
        !loader.take_due_refresh(&auth),
        "retried after a pause, not at once"
    );
}

/// The deployment's `region` output decides where KMS calls go, whatever
/// `AWS_REGION` says; `--region` overrides it; a key that is not in the
/// region asked is one line naming the region and what to check.
#[tokio::test]
async fn check_signs_in_the_deployments_region_and_names_the_region_when_the_key_is_not_there() {
    let moto = Moto::start().expect("moto_server");
    let client = kms_client(&moto).await; // us-east-1
    let key = tokens::kms::create_key(&client, Some("alias/jwt-region"))
        .await
        .expect("CreateKey");
    let dir = std::env::temp_dir().join(format!("harness-region-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let outputs = dir.join("outputs.json");
    std::fs::write(
        &outputs,
        json!({
            "api_endpoint": {"value": "https://abc123.execute-api.us-east-1.amazonaws.com/hello"},
            "kms_key_id": {"value": key.key_id},
            "issuer": {"value": ISS},
            "audience": {"value": ["api"]},
            "region": {"value": "us-east-1"},
        })
        .to_string(),
    )
    .expect("outputs.json");
    let binary = harness::binary::authorizer_binary(false).expect("authorizer binary");
    let check = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_harness"))
            .args(["check", "--deployment"])
            .arg(&outputs)
            .arg("--target")
            .arg(format!("lambda:{}", binary.display()))
            .args(extra)
            .env("AWS_ENDPOINT_URL", moto.endpoint())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "eu-west-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()
            .expect("run harness check")
    };
    let ok = check(&[]);
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(
        ok.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    let wrong = check(&["--region", "eu-west-1"]);
    let err = String::from_utf8_lossy(&wrong.stderr);
    assert_eq!(wrong.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("NotFoundException"), "{err}");
    assert!(err.contains("[region eu-west-1; check the region"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// A KMS stand-in that answers every call with one error, in the shape of
/// AWS's JSON 1.1 protocol (moto's GetPublicKey does not refuse disabled or
/// pending-deletion keys; AWS answers `DisabledException` and
/// `KMSInvalidStateException`). Returns its URL; the task serves until the
/// test's runtime ends.
async fn kms_answering(code: &'static str, message: &'static str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let _ = s.read(&mut buf).await;
                let body = json!({"__type": code, "message": message}).to_string();
                let resp = format!(
                    "HTTP/1.1 400 Bad Request\r\nContent-Type: application/x-amz-json-1.1\r\nx-amzn-RequestId: 00000000-0000-0000-0000-000000000000\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(resp.as_bytes()).await;
            });
        }
    });
    url
}

/// Stale keys do not live forever: a key KMS says is gone (an alias
/// deleted; a key disabled or pending deletion) is dropped at the next
/// refresh, and fails cold start naming it; a key KMS cannot be reached
/// for is kept until JWT_KEY_MAX_STALE_SECONDS after its last fetch.
#[tokio::test]
async fn gone_keys_are_dropped_at_the_next_refresh_and_unreachable_ones_after_the_bound() {
    use std::time::Duration;
    let moto = Moto::start().expect("moto_server");
    let client = kms_client(&moto).await;
    let a = tokens::kms::create_key(&client, Some("alias/jwt-gone"))
        .await
        .expect("CreateKey");
    let b = tokens::kms::create_key(&client, Some("alias/jwt-kept"))
        .await
        .expect("CreateKey");
    let ids = vec!["alias/jwt-gone".to_owned(), "alias/jwt-kept".to_owned()];
    let auth = Authorizer::new(&config(&ids.join(",")));
    let loader = KmsLoader::new(client.clone(), ids.clone(), Backend::default_backend());
    assert_eq!(loader.load(&auth).await.expect("load"), 2);
    let (ta, tb) = (
        kms_token(&client, &a.key_id, None).await,
        kms_token(&client, &b.key_id, None).await,
    );
    let decide = |auth: &Authorizer, t: &str| {
        auth.decide(
            &AuthRequest {
                authorization: Some(t),
            },
            UnixTime::now(),
        )
    };
    assert!(decide(&auth, &ta).is_allow() && decide(&auth, &tb).is_allow());

    // The alias deleted: KMS answers NotFound, the key goes at the refresh.
    client
        .delete_alias()
        .alias_name("alias/jwt-gone")
        .send()
        .await
        .expect("DeleteAlias");
    let report = loader.refresh(&auth).await.expect("refreshed");
    assert_eq!(report.keys, 1, "{report:?}");
    assert_eq!(report.dropped.len(), 1, "{report:?}");
    assert!(
        report.dropped[0].contains("alias/jwt-gone is gone")
            && report.dropped[0].contains("NotFoundException"),
        "{report:?}"
    );
    assert!(
        !decide(&auth, &ta).is_allow(),
        "the deleted alias's key is no longer trusted"
    );
    assert!(decide(&auth, &tb).is_allow());
    // At cold start the same answer is a configuration error.
    let fresh = KmsLoader::new(client.clone(), ids, Backend::default_backend());
    let err = fresh
        .load(&Authorizer::new(&config("alias/jwt-gone,alias/jwt-kept")))
        .await
        .expect_err("gone at cold start");
    assert!(err.is_definitive(), "{err}");

    // Disabled and pending deletion, as AWS answers them.
    for (code, message) in [
        (
            "DisabledException",
            "arn:aws:kms:us-east-1:123456789012:key/x is disabled.",
        ),
        (
            "KMSInvalidStateException",
            "arn:aws:kms:us-east-1:123456789012:key/x is pending deletion.",
        ),
    ] {
        let url = kms_answering(code, message).await;
        let answering =
            aws_sdk_kms::Client::from_conf(client.config().to_builder().endpoint_url(url).build());
        match fetch_keys(
            &answering,
            &["alias/jwt-kept".into()],
            Backend::default_backend(),
        )
        .await
        {
            Err(e @ KmsError::Gone { .. }) => assert!(e.to_string().contains(code), "{e}"),
            other => panic!("{code}: expected Gone, got {other:?}"),
        }
    }

    // KMS unreachable: within the bound the key stays (the refresh fails,
    // stale-if-error); past it, the key is dropped.
    // (No SDK retries for the bounded loader, so a refused connection
    // answers at once and the bound is what decides.)
    let bounded_auth = Authorizer::new(&config("alias/jwt-kept"));
    let no_retry = aws_sdk_kms::Client::from_conf(
        client
            .config()
            .to_builder()
            .retry_config(aws_sdk_kms::config::retry::RetryConfig::disabled())
            .build(),
    );
    let bounded = KmsLoader::new(
        no_retry,
        vec!["alias/jwt-kept".into()],
        Backend::default_backend(),
    )
    .with_max_stale(Duration::from_secs(2));
    bounded.load(&bounded_auth).await.expect("load");
    drop(moto);
    assert!(
        bounded.refresh(&bounded_auth).await.is_err(),
        "within 2 s: kept"
    );
    assert!(decide(&bounded_auth, &tb).is_allow());
    let err = loader.refresh(&auth).await.expect_err("nothing fetched");
    assert!(err.to_string().contains("keeping the key set"), "{err}");
    assert!(decide(&auth, &tb).is_allow(), "kept within the 6 h default");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let report = bounded
        .refresh(&bounded_auth)
        .await
        .expect("dropped past the bound");
    assert_eq!(report.keys, 0, "{report:?}");
    assert!(
        report.dropped[0].contains("over JWT_KEY_MAX_STALE_SECONDS"),
        "{report:?}"
    );
    assert!(!decide(&bounded_auth, &tb).is_allow());
}

/// moto frozen (SIGSTOP: it accepts connections and never answers) — every
/// AWS call is bounded (3 s to connect, 10 s an attempt, 30 s in all), so
/// `harness mint` through KMS ends with one line naming the call (its first,
/// `GetPublicKey`) and the timeout, exit
/// 2, instead of waiting for ever.
#[tokio::test]
async fn a_frozen_control_plane_ends_a_call_with_an_error_naming_it() {
    let moto = Moto::start().expect("moto_server");
    let client = kms_client(&moto).await;
    let key = tokens::kms::create_key(&client, None)
        .await
        .expect("CreateKey");
    let stop = |sig: &str| {
        let ok = std::process::Command::new("kill")
            .args([sig, &moto.pid().to_string()])
            .status()
            .expect("kill");
        assert!(ok.success());
    };
    stop("-STOP");
    let started = std::time::Instant::now();
    let out = tokio::task::spawn_blocking({
        let (endpoint, key_id) = (moto.endpoint().to_owned(), key.key_id.clone());
        move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_harness"))
                .args(["mint", "--kms-key-id", &key_id, "--endpoint-url", &endpoint])
                .env("AWS_ACCESS_KEY_ID", "testing")
                .env("AWS_SECRET_ACCESS_KEY", "testing")
                .env("AWS_REGION", "us-east-1")
                .env("AWS_EC2_METADATA_DISABLED", "true")
                .output()
                .expect("harness mint")
        }
    })
    .await
    .expect("join");
    let took = started.elapsed();
    stop("-CONT");
    let err = String::from_utf8_lossy(&out.stderr);
    println!("frozen moto: harness mint ended after {took:?}: {err}");
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(err.contains("KMS ") && err.contains("timed out"), "{err}");
    assert!(
        took < std::time::Duration::from_secs(45),
        "bounded by the 30 s operation timeout: {took:?}"
    );
}
