//! The whole pipeline with genuinely signed tokens: every stage's accept and
//! reject side, the decision cache, and the event adapters.

use authorizer::event::{handle, EventKind, Unauthorized};
use authorizer::test_util::TestKey;
use authorizer::{group_order, AuthRequest, Authorizer, Config, Decision, RejectReason, UnixTime};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use RejectReason::*;

const NOW: i64 = 1_700_000_000;
const ISS: &str = "https://issuer.example";

fn now() -> UnixTime {
    UnixTime::from_secs(NOW)
}

fn config(vars: &[(&str, String)]) -> Config {
    Config::from_lookup(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    })
    .expect("config")
}

fn pem_auth(key: &TestKey, extra: &[(&str, &str)]) -> Authorizer {
    let mut vars = vec![
        ("JWT_PUBLIC_KEY_PEM", key.pem()),
        ("JWT_ISSUER", ISS.to_owned()),
        ("JWT_AUDIENCE", "api".to_owned()),
        ("JWT_CONTEXT_CLAIMS", "tenant".to_owned()),
    ];
    vars.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    Authorizer::new(&config(&vars))
}

fn claims(exp_offset: i64) -> String {
    json!({"iss": ISS, "aud": "api", "sub": "alice", "exp": NOW + exp_offset, "tenant": "t1"})
        .to_string()
}

fn genuine(key: &TestKey) -> String {
    key.token(r#"{"alg":"ES512","typ":"JWT"}"#, &claims(300))
}

fn decide(auth: &Authorizer, value: &str) -> Decision {
    auth.decide(
        &AuthRequest {
            authorization: Some(value),
        },
        now(),
    )
}

fn deny(auth: &Authorizer, value: &str) -> Option<RejectReason> {
    decide(auth, value).reason()
}

fn with_sig(token: &str, sig: &[u8]) -> String {
    let input = &token[..token.rfind('.').expect("dot")];
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

fn sig_of(token: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(&token[token.rfind('.').expect("dot") + 1..])
        .expect("sig")
}

/// Big-endian a ± b on 66-byte scalars (b ≤ a for subtraction).
fn add(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; a.len()];
    let mut carry = 0u16;
    for i in (0..a.len()).rev() {
        let s = u16::from(a[i]) + u16::from(b[i]) + carry;
        out[i] = (s & 0xff) as u8;
        carry = s >> 8;
    }
    out
}
fn sub(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; a.len()];
    let mut borrow = 0i16;
    for i in (0..a.len()).rev() {
        let mut d = i16::from(a[i]) - i16::from(b[i]) - borrow;
        borrow = i16::from(d < 0);
        if d < 0 {
            d += 256;
        }
        out[i] = d as u8;
    }
    out
}

#[test]
fn allows_a_genuine_token_with_context() {
    let key = TestKey::new(1);
    let auth = pem_auth(&key, &[]);
    let Decision::Allow(grant) = decide(&auth, &format!("Bearer {}", genuine(&key))) else {
        panic!("denied")
    };
    assert_eq!(grant.sub.as_deref(), Some("alice"));
    assert_eq!(grant.context_map()["tenant"], "t1");
    assert_eq!(grant.context_map()["iss"], ISS);
    // The Go authorizer's clients send bare tokens.
    assert!(decide(&auth, &genuine(&key)).is_allow());
}

#[test]
fn require_bearer_refuses_bare_tokens() {
    let key = TestKey::new(1);
    let auth = pem_auth(&key, &[("JWT_REQUIRE_BEARER", "true")]);
    assert_eq!(deny(&auth, &genuine(&key)), Some(BadScheme));
    assert!(decide(&auth, &format!("bearer {}", genuine(&key))).is_allow());
}

#[test]
fn no_claim_is_trusted_before_the_signature() {
    let key = TestKey::new(1);
    let auth = pem_auth(&key, &[]);
    let expired = key.token(r#"{"alg":"ES512"}"#, &claims(-10));
    assert_eq!(deny(&auth, &expired), Some(Expired));
    let mut forged_sig = sig_of(&expired);
    forged_sig[10] ^= 1;
    assert_eq!(
        deny(&auth, &with_sig(&expired, &forged_sig)),
        Some(BadSignature)
    );
}

#[test]
fn signature_edge_cases() {
    let key = TestKey::new(2);
    let auth = pem_auth(&key, &[]);
    let token = genuine(&key);
    let sig = sig_of(&token);
    let (r, s) = sig.split_at(66);
    let n = group_order();
    let zero = [0u8; 66];
    let cat = |a: &[u8], b: &[u8]| [a, b].concat();
    // The high-S twin (r, n - s) is a valid ECDSA signature: allowed.
    assert!(
        decide(&auth, &with_sig(&token, &cat(r, &sub(&n, s)))).is_allow(),
        "high-S twin"
    );
    for (name, bad) in [
        ("psychic r=s=0", cat(&zero, &zero)),
        ("r=0", cat(&zero, s)),
        ("s=0", cat(r, &zero)),
        ("r=n", cat(&n, s)),
        ("s=n", cat(r, &n)),
        ("r+n", cat(&add(r, &n), s)),
        ("s+n", cat(r, &add(s, &n))),
        ("n-r", cat(&sub(&n, r), s)),
        ("swapped", cat(s, r)),
    ] {
        assert_eq!(
            deny(&auth, &with_sig(&token, &bad)),
            Some(BadSignature),
            "{name}"
        );
    }
    let foreign = TestKey::new(3);
    assert_eq!(
        deny(&auth, &genuine(&foreign)),
        Some(BadSignature),
        "foreign key"
    );
    // A signature transplanted onto other claims.
    let other = key.token(r#"{"alg":"ES512","typ":"JWT"}"#, &claims(600));
    assert_eq!(
        deny(&auth, &with_sig(&other, &sig)),
        Some(BadSignature),
        "transplant"
    );
    for len in [64usize, 96, 131, 133, 134, 139] {
        assert_eq!(
            deny(&auth, &with_sig(&token, &vec![1u8; len])),
            Some(Malformed),
            "length {len}"
        );
    }
}

#[test]
fn size_limit_is_checked_before_decoding() {
    let key = TestKey::new(1);
    let auth = pem_auth(&key, &[("JWT_MAX_TOKEN_BYTES", "512")]);
    let big = key.token(
        r#"{"alg":"ES512"}"#,
        &json!({"iss":ISS,"aud":"api","exp":NOW+60,"pad":"x".repeat(400)}).to_string(),
    );
    assert!(big.len() > 512);
    assert_eq!(deny(&auth, &big), Some(TooLarge));
    assert_eq!(deny(&auth, &"A".repeat(5 << 20)), Some(TooLarge));
    assert_eq!(
        deny(&auth, &format!("Bearer {}", ".".repeat(10_000))),
        Some(TooLarge)
    );
}

#[test]
fn header_checks_on_genuine_tokens() {
    let key = TestKey::new(1);
    let auth = pem_auth(&key, &[]);
    let c = claims(300);
    assert_eq!(
        deny(&auth, &key.token(r#"{"alg":"ES512","crit":["exp"]}"#, &c)),
        Some(ForbiddenHeader)
    );
    assert_eq!(
        deny(
            &auth,
            &key.token(r#"{"alg":"ES512","b64":false,"crit":["b64"]}"#, &c)
        ),
        Some(ForbiddenHeader)
    );
    assert_eq!(
        deny(&auth, &key.token(r#"{"alg":"ES512","jwk":{}}"#, &c)),
        Some(ForbiddenHeader)
    );
    assert_eq!(
        deny(&auth, &key.token(r#"{"alg":"es512"}"#, &c)),
        Some(AlgNotAllowed)
    );
    assert_eq!(
        deny(&auth, &key.token(r#"{"alg":"none","alg":"ES512"}"#, &c)),
        Some(BadHeader)
    );
    assert_eq!(
        deny(&auth, &key.token(r#"{"alg":"ES512","typ":"at+jwt"}"#, &c)),
        Some(BadHeader)
    );
    assert!(decide(
        &auth,
        &key.token(r#"{"alg":"ES512","typ":"application/JWT","x":1}"#, &c)
    )
    .is_allow());
}

#[test]
fn kid_binding_with_jwks() {
    let (a, b) = (TestKey::new(4), TestKey::new(5));
    let ja: Value = serde_json::from_str(&a.jwks("key-a")).expect("json");
    let jb: Value = serde_json::from_str(&b.jwks("key-b")).expect("json");
    let jwks = json!({"keys": [ja["keys"][0], jb["keys"][0]]}).to_string();
    let auth = Authorizer::new(&config(&[
        ("JWT_JWKS", jwks),
        ("JWT_ISSUER", ISS.into()),
        ("JWT_AUDIENCE", "api".into()),
    ]));
    let c = claims(300);
    assert!(decide(&auth, &a.token(r#"{"alg":"ES512","kid":"key-a"}"#, &c)).is_allow());
    assert!(decide(&auth, &b.token(r#"{"alg":"ES512","kid":"key-b"}"#, &c)).is_allow());
    assert_eq!(
        deny(&auth, &a.token(r#"{"alg":"ES512","kid":"key-b"}"#, &c)),
        Some(BadSignature)
    );
    assert_eq!(
        deny(&auth, &a.token(r#"{"alg":"ES512","kid":"key-c"}"#, &c)),
        Some(UnknownKid)
    );
    assert_eq!(
        deny(
            &auth,
            &a.token(r#"{"alg":"ES512","kid":"../../../dev/null"}"#, &c)
        ),
        Some(UnknownKid)
    );
    // No kid with several keys (a rotation trusting old and new, an issuer
    // that sets no kid): each key of the token's algorithm is tried.
    assert!(decide(&auth, &b.token(r#"{"alg":"ES512"}"#, &c)).is_allow());
    assert_eq!(
        deny(&auth, &TestKey::new(9).token(r#"{"alg":"ES512"}"#, &c)),
        Some(BadSignature),
        "no configured key verifies it"
    );
    // One JWKS key binds its kid too.
    let single = Authorizer::new(&config(&[
        ("JWT_JWKS", a.jwks("only")),
        ("JWT_ISSUER", ISS.into()),
        ("JWT_AUDIENCE", "api".into()),
    ]));
    assert!(
        decide(&single, &a.token(r#"{"alg":"ES512"}"#, &c)).is_allow(),
        "no kid, one key"
    );
    assert_eq!(
        deny(&single, &a.token(r#"{"alg":"ES512","kid":"other"}"#, &c)),
        Some(UnknownKid)
    );
}

/// The KMS build only: the lean build refuses KMS key ids at cold start
/// (`config::tests`).
#[cfg(feature = "kms")]
#[test]
fn kms_keys_pending_deny_with_key_unavailable() {
    let key = TestKey::new(1);
    let auth = Authorizer::new(&config(&[
        ("JWT_KMS_KEY_IDS", "alias/jwt".into()),
        ("JWT_ISSUER", ISS.into()),
        ("JWT_AUDIENCE", "api".into()),
    ]));
    assert!(!auth.keys_ready());
    assert_eq!(deny(&auth, &genuine(&key)), Some(KeyUnavailable));
    // Malformed input is still classified before the key is needed.
    assert_eq!(deny(&auth, "Basic x"), Some(BadScheme));
}

#[test]
fn cache_serves_allows_but_never_past_exp() {
    let key = TestKey::new(1);
    let auth = pem_auth(&key, &[]);
    let token = key.token(r#"{"alg":"ES512"}"#, &claims(10));
    let req = AuthRequest {
        authorization: Some(&token),
    };
    let first = auth.decide_detailed(&req, now());
    assert!(first.decision.is_allow() && !first.cache_hit);
    let second = auth.decide_detailed(&req, now());
    assert!(second.decision.is_allow() && second.cache_hit);
    assert_eq!(auth.cache_len(), 1);
    let later = auth.decide_detailed(&req, UnixTime::from_secs(NOW + 10));
    assert_eq!(later.decision, Decision::Deny(Expired));
    assert!(!later.cache_hit);
    // Denies are not cached.
    let bad = with_sig(&token, &[1u8; 132]);
    let _ = decide(&auth, &bad);
    let again = auth.decide_detailed(
        &AuthRequest {
            authorization: Some(&bad),
        },
        now(),
    );
    assert!(!again.cache_hit);
    // JWT_CACHE_MAX_ENTRIES=0 turns it off.
    let off = pem_auth(&key, &[("JWT_CACHE_MAX_ENTRIES", "0")]);
    let _ = off.decide_detailed(&req, now());
    assert!(!off.decide_detailed(&req, now()).cache_hit);
}

fn v2_event(authorization: Option<&str>) -> Value {
    let mut headers = json!({"accept": "*/*"});
    if let Some(a) = authorization {
        headers["Authorization"] = a.into();
    }
    json!({
        "version": "2.0", "type": "REQUEST",
        "routeArn": "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/$default/GET/hello",
        "identitySource": authorization.map(|a| vec![a]).unwrap_or_default(),
        "routeKey": "GET /hello", "rawPath": "/hello", "rawQueryString": "",
        "headers": headers,
        "requestContext": {"http": {"method": "GET", "path": "/hello"}, "timeEpoch": 1_700_000_000_000_i64}
    })
}

#[test]
fn http_v2_simple_responses() {
    let key = TestKey::new(1);
    let auth = pem_auth(&key, &[]);
    let bearer = format!("Bearer {}", genuine(&key));
    let ok = handle(&auth, &v2_event(Some(&bearer)), now());
    assert_eq!(ok.kind, EventKind::HttpV2);
    let body = ok.response_json().expect("response");
    assert_eq!(body["isAuthorized"], true);
    assert_eq!(body["context"]["sub"], "alice");
    assert_eq!(body["context"]["exp"], NOW + 300);
    let missing = handle(&auth, &v2_event(None), now())
        .response_json()
        .expect("response");
    assert_eq!(
        missing,
        json!({"isAuthorized": false, "context": {"reason": "missing_token"}})
    );
    let text = missing.to_string();
    assert!(!text.contains(&bearer[7..20]));
}

#[test]
fn http_v2_policy_responses() {
    let key = TestKey::new(1);
    let auth = pem_auth(&key, &[("JWT_RESPONSE_FORMAT", "policy")]);
    let ok = handle(
        &auth,
        &v2_event(Some(&format!("Bearer {}", genuine(&key)))),
        now(),
    )
    .response_json()
    .expect("ok");
    assert_eq!(ok["principalId"], "alice");
    let stmt = &ok["policyDocument"]["Statement"][0];
    assert_eq!(stmt["Effect"], "Allow");
    assert_eq!(
        stmt["Resource"],
        "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/$default/*/*"
    );
    let no = handle(&auth, &v2_event(Some("Bearer x.y.z")), now())
        .response_json()
        .expect("deny policy");
    assert_eq!(no["policyDocument"]["Statement"][0]["Effect"], "Deny");
    let mut no_arn = v2_event(Some(&format!("Bearer {}", genuine(&key))));
    no_arn.as_object_mut().expect("obj").remove("routeArn");
    let h = handle(&auth, &no_arn, now());
    assert_eq!(
        h.outcome.decision,
        Decision::Deny(BadEvent),
        "no resource to allow"
    );
}

#[test]
fn rest_token_and_request_authorizers() {
    let key = TestKey::new(1);
    let auth = pem_auth(&key, &[]);
    let arn = "arn:aws:execute-api:eu-west-1:123456789012:abc/prod/GET/pets/1";
    let token_event = |t: &str| json!({"type": "TOKEN", "authorizationToken": t, "methodArn": arn});
    let ok = handle(
        &auth,
        &token_event(&format!("Bearer {}", genuine(&key))),
        now(),
    );
    assert_eq!(ok.kind, EventKind::RestToken);
    let body = ok.response_json().expect("allow");
    assert_eq!(body["principalId"], "alice");
    assert_eq!(
        body["policyDocument"]["Statement"][0]["Resource"],
        "arn:aws:execute-api:eu-west-1:123456789012:abc/prod/*/*"
    );
    assert_eq!(
        handle(&auth, &token_event("Bearer nope"), now()).response_json(),
        Err(Unauthorized)
    );
    let req = json!({"type": "REQUEST", "methodArn": arn, "headers": {"authorization": format!("Bearer {}", genuine(&key))}});
    let h = handle(&auth, &req, now());
    assert_eq!(h.kind, EventKind::RestRequest);
    assert!(h.response.is_ok());
    let req_missing = json!({"type": "REQUEST", "methodArn": arn, "headers": {}});
    assert_eq!(
        handle(&auth, &req_missing, now()).response_json(),
        Err(Unauthorized)
    );
    // HTTP API payload 1.0 denies with a policy, not an error.
    let v1 = json!({"version": "1.0", "type": "REQUEST", "methodArn": arn, "headers": {}});
    let h = handle(&auth, &v1, now());
    assert_eq!(
        h.response_json().expect("policy")["policyDocument"]["Statement"][0]["Effect"],
        "Deny"
    );
}

#[test]
fn unreadable_events_are_denied() {
    let key = TestKey::new(1);
    let auth = pem_auth(&key, &[]);
    for ev in [
        json!(null),
        json!({}),
        json!({"version": "2.0"}),
        json!([1, 2]),
        json!("Bearer x"),
    ] {
        let h = handle(&auth, &ev, now());
        assert_eq!(h.outcome.decision, Decision::Deny(BadEvent), "{ev}");
        assert_eq!(
            h.response_json().expect("deny response")["isAuthorized"],
            false
        );
    }
}

#[test]
fn pem_key_binds_configured_kids() {
    let key = TestKey::new(6);
    let c = claims(300);
    let loose = pem_auth(&key, &[]);
    assert!(decide(
        &loose,
        &key.token(r#"{"alg":"ES512","kid":"whatever"}"#, &c)
    )
    .is_allow());
    let bound = pem_auth(
        &key,
        &[("JWT_PUBLIC_KEY_KIDS", "arn:aws:kms:us-east-1:1:key/k1,k1")],
    );
    assert!(decide(&bound, &key.token(r#"{"alg":"ES512","kid":"k1"}"#, &c)).is_allow());
    assert!(decide(&bound, &key.token(r#"{"alg":"ES512"}"#, &c)).is_allow());
    assert_eq!(
        deny(
            &bound,
            &key.token(r#"{"alg":"ES512","kid":"whatever"}"#, &c)
        ),
        Some(UnknownKid)
    );
}

#[test]
fn cache_and_policy_agree_inside_the_leeway_window() {
    let key = TestKey::new(1);
    let auth = pem_auth(&key, &[("JWT_LEEWAY_SECONDS", "60")]);
    // Past exp, inside the leeway: the policy allows it, so the cache must
    // serve it rather than verify and re-insert it on every request.
    let token = key.token(r#"{"alg":"ES512"}"#, &claims(-10));
    let req = AuthRequest {
        authorization: Some(&token),
    };
    let first = auth.decide_detailed(&req, now());
    assert!(first.decision.is_allow() && !first.cache_hit, "{first:?}");
    for _ in 0..1_000 {
        let again = auth.decide_detailed(&req, now());
        assert!(again.decision.is_allow() && again.cache_hit, "{again:?}");
    }
    assert_eq!(auth.cache_len(), 1);
    // At exp + leeway the policy says expired, and so does the cache.
    let at_end = auth.decide_detailed(&req, UnixTime::from_secs(NOW - 10 + 60));
    assert_eq!(at_end.decision, Decision::Deny(Expired));
    assert!(!at_end.cache_hit);
}

#[test]
fn cache_is_bounded_by_bytes() {
    let key = TestKey::new(1);
    let auth = pem_auth(&key, &[("JWT_CACHE_MAX_BYTES", "100000")]);
    for i in 0..60 {
        let c = json!({"iss": ISS, "aud": "api", "sub": format!("u{i}"), "exp": NOW + 300,
                       "scope": "s".repeat(5_000)})
        .to_string();
        assert!(decide(&auth, &key.token(r#"{"alg":"ES512"}"#, &c)).is_allow());
    }
    // Each grant holds a 5 KB scope: at most 100000 / 5000 fit.
    assert!(auth.cache_len() <= 20, "{} entries", auth.cache_len());
    assert!(auth.cache_len() >= 1);
}

#[test]
fn issuer_with_a_trailing_newline_is_the_issuer() {
    let key = TestKey::new(1);
    let auth = Authorizer::new(&config(&[
        ("JWT_PUBLIC_KEY_PEM", key.pem()),
        ("JWT_ISSUER", format!("{ISS}\n")),
        ("JWT_AUDIENCE", "api\n".to_owned()),
    ]));
    assert!(decide(&auth, &genuine(&key)).is_allow());
    let carrying_newline = json!({"iss": format!("{ISS}\n"), "aud": "api", "exp": NOW + 300});
    assert_eq!(
        deny(
            &auth,
            &key.token(r#"{"alg":"ES512"}"#, &carrying_newline.to_string())
        ),
        Some(WrongIssuer)
    );
}

#[test]
fn unparseable_raw_events_are_screened_to_a_bad_event() {
    use authorizer::event::{screen, Refusal, MAX_EVENT_BYTES};
    let key = TestKey::new(1);
    let auth = pem_auth(&key, &[]);
    let token = genuine(&key);
    let deep = format!(
        r#"{{"headers":{{"authorization":"Bearer {token}"}},"x":{}{}}}"#,
        "[".repeat(200),
        "]".repeat(200)
    );
    let big = format!(
        r#"{{"headers":{{"authorization":"Bearer {token}"}},"pad":"{}"}}"#,
        "a".repeat(MAX_EVENT_BYTES)
    );
    let mut not_utf8 =
        format!(r#"{{"headers":{{"authorization":"Bearer {token}"}},"x":""#).into_bytes();
    not_utf8.extend_from_slice(b"\xff\xfe\"}");
    let cases: Vec<(Vec<u8>, Refusal)> = vec![
        (big.into_bytes(), Refusal::TooLarge),
        (not_utf8, Refusal::InvalidUtf8),
        (br#"{"x":"\ud800"}"#.to_vec(), Refusal::InvalidJson),
        (br#"{"x":1e400}"#.to_vec(), Refusal::InvalidJson),
        (deep.into_bytes(), Refusal::InvalidJson),
        (
            br#"{"version":"2.0"} trailing"#.to_vec(),
            Refusal::InvalidJson,
        ),
        (b"".to_vec(), Refusal::InvalidJson),
    ];
    for (raw, want) in cases {
        assert_eq!(
            screen(&raw),
            Err(want),
            "{:?}",
            String::from_utf8_lossy(&raw[..40.min(raw.len())])
        );
        let marker: Value = serde_json::from_str(want.marker_event()).expect("marker JSON");
        assert_eq!(Refusal::of_marker(&marker), Some(want));
        let h = handle(&auth, &marker, now());
        assert_eq!(h.outcome.decision, Decision::Deny(BadEvent));
        assert_eq!(h.response_json().expect("deny")["isAuthorized"], false);
    }
    let fine = v2_event(Some(&format!("Bearer {token}"))).to_string();
    assert_eq!(screen(fine.as_bytes()), Ok(()));
}

#[test]
fn only_a_verified_token_is_attributed_to_a_key() {
    let key = TestKey::new(1);
    let auth = pem_auth(&key, &[("JWT_PUBLIC_KEY_KIDS", "k1")]);
    let good = key.token(r#"{"alg":"ES512","kid":"k1"}"#, &claims(300));
    let o = auth.decide_detailed(
        &AuthRequest {
            authorization: Some(&good),
        },
        now(),
    );
    assert!(o.decision.is_allow());
    assert!(o.key.is_some(), "the verifying key is named");
    let forged = with_sig(&good, &[7u8; 132]);
    let o = auth.decide_detailed(
        &AuthRequest {
            authorization: Some(&forged),
        },
        now(),
    );
    assert_eq!(o.decision, Decision::Deny(BadSignature));
    assert_eq!(o.key, None, "a failed signature names no key");
}

/// `JWT_VERIFY_BACKEND` picks the verifier per function, whatever the build's
/// default: each backend compiled in allows the genuine ES512 token and
/// denies a tampered one, the one in force is named, and an unknown name is
/// a configuration error naming the variable.
#[test]
fn the_verify_backend_is_chosen_by_configuration() {
    let key = TestKey::new(11);
    let good = format!("Bearer {}", genuine(&key));
    let (head, sig) = good.rsplit_once('.').expect("three segments");
    let flipped = if sig.starts_with('A') { 'B' } else { 'A' };
    let tampered = format!("{head}.{flipped}{}", &sig[1..]);
    for backend in authorizer::Backend::ALL {
        let auth = pem_auth(&key, &[("JWT_VERIFY_BACKEND", backend.name())]);
        let chosen = config(&[
            ("JWT_PUBLIC_KEY_PEM", key.pem()),
            ("JWT_ISSUER", ISS.into()),
            ("JWT_AUDIENCE", "api".into()),
            ("JWT_VERIFY_BACKEND", backend.name().into()),
        ])
        .backend;
        assert_eq!(chosen, *backend);
        assert!(decide(&auth, &good).is_allow(), "{backend:?}");
        assert_eq!(deny(&auth, &tampered), Some(BadSignature), "{backend:?}");
    }
    let e = Config::from_lookup(|n| match n {
        "JWT_PUBLIC_KEY_PEM" => Some(key.pem()),
        "JWT_ISSUER" => Some(ISS.into()),
        "JWT_AUDIENCE" => Some("api".into()),
        "JWT_VERIFY_BACKEND" => Some("ring".into()),
        _ => None,
    })
    .expect_err("an unknown backend");
    assert!(e.to_string().starts_with("JWT_VERIFY_BACKEND"), "{e}");
}

/// The pure-Rust backend verifies ES512 only: an Ed25519 or ML-DSA key,
/// from PEM or JWKS, fails init naming the variable that holds it.
#[cfg(feature = "aws-lc")]
#[test]
fn the_p521_backend_refuses_ed25519_and_ml_dsa_keys_at_init() {
    use authorizer::test_util::AnySigner;
    use authorizer::Algorithm;
    for alg in [Algorithm::Ed25519, Algorithm::MlDsa65] {
        let s = AnySigner::generate(alg);
        let pem = s.pem();
        let jwk = if alg == Algorithm::Ed25519 {
            serde_json::json!({"kty": "OKP", "crv": "Ed25519", "kid": "k", "x": URL_SAFE_NO_PAD.encode(s.raw_public())})
        } else {
            serde_json::json!({"kty": "AKP", "alg": alg.name(), "kid": "k", "pub": URL_SAFE_NO_PAD.encode(s.raw_public())})
        };
        let jwks = serde_json::json!({ "keys": [jwk] }).to_string();
        for (var, value) in [("JWT_PUBLIC_KEY_PEM", &pem), ("JWT_JWKS", &jwks)] {
            let e = Config::from_lookup(|n| match n {
                n if n == var => Some(value.clone()),
                "JWT_ISSUER" => Some(ISS.into()),
                "JWT_AUDIENCE" => Some("api".into()),
                "JWT_VERIFY_BACKEND" => Some("p521".into()),
                _ => None,
            })
            .expect_err("refused at init")
            .to_string();
            assert!(e.starts_with(var), "{alg} via {var}: {e}");
        }
    }
}

// The default backend (aws-lc-rs) verifies every algorithm; the pure-Rust
// one refuses non-ES512 keys at cold start (tested in crypto.rs).
#[cfg(all(feature = "aws-lc", not(feature = "p521")))]
mod every_algorithm {
    use super::*;
    use authorizer::test_util::AnySigner;
    use authorizer::Algorithm;

    fn auth_for(pem: &str, alg: Option<Algorithm>) -> Authorizer {
        let mut vars = vec![
            ("JWT_PUBLIC_KEY_PEM", pem.to_owned()),
            ("JWT_ISSUER", ISS.to_owned()),
            ("JWT_AUDIENCE", "api".to_owned()),
        ];
        if let Some(a) = alg {
            vars.push(("JWT_PUBLIC_KEY_ALG", a.name().to_owned()));
        }
        Authorizer::new(&config(&vars))
    }

    fn header(alg: &str) -> String {
        format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#)
    }

    #[test]
    fn each_key_verifies_its_one_algorithm_and_refuses_every_other() {
        for alg in Algorithm::ALL {
            let signer = AnySigner::generate(alg);
            let pinned = alg.is_rsa().then_some(alg);
            let auth = auth_for(&signer.pem(), pinned);
            let good = signer.token(&header(alg.name()), &claims(300));
            assert!(decide(&auth, &good).is_allow(), "{alg}: genuine token");
            // The same key's signature under another algorithm's name (RS256
            // ↔ PS256 on one RSA key, ES512 on a P-256 key…): refused before
            // any verification, whatever the bytes.
            for other in Algorithm::ALL.into_iter().filter(|o| *o != alg) {
                let t = signer.token(&header(other.name()), &claims(300));
                assert_eq!(
                    deny(&auth, &t),
                    Some(AlgNotAllowed),
                    "{alg} key, {other} header"
                );
            }
            let forged = AnySigner::generate(alg).token(&header(alg.name()), &claims(300));
            assert_eq!(
                deny(&auth, &forged),
                Some(BadSignature),
                "{alg}: another key"
            );
        }
    }

    #[test]
    fn signature_encodings_are_strict_per_algorithm() {
        for alg in [
            Algorithm::Es256,
            Algorithm::Es384,
            Algorithm::Rs256,
            Algorithm::Ps512,
            Algorithm::Ed25519,
            Algorithm::MlDsa44,
            Algorithm::MlDsa87,
        ] {
            let signer = AnySigner::generate(alg);
            let auth = auth_for(&signer.pem(), alg.is_rsa().then_some(alg));
            let good = signer.token(&header(alg.name()), &claims(300));
            let sig = sig_of(&good);
            // One byte short, one byte long.
            assert_eq!(
                deny(&auth, &with_sig(&good, &sig[1..])),
                Some(Malformed),
                "{alg} short"
            );
            let mut long = sig.clone();
            long.push(0);
            assert_eq!(
                deny(&auth, &with_sig(&good, &long)),
                Some(Malformed),
                "{alg} long"
            );
            // ES512's length under a smaller algorithm's name.
            assert_eq!(
                deny(&auth, &with_sig(&good, &[1u8; 132])),
                Some(Malformed),
                "{alg}"
            );
        }
        // ECDSA r or s outside [1, n-1] (here: all ones ≥ n) on P-256.
        let p256 = AnySigner::generate(Algorithm::Es256);
        let auth = auth_for(&p256.pem(), None);
        let good = p256.token(&header("ES256"), &claims(300));
        assert_eq!(
            deny(&auth, &with_sig(&good, &[0xff; 64])),
            Some(BadSignature)
        );
        assert_eq!(deny(&auth, &with_sig(&good, &[0; 64])), Some(BadSignature));
    }

    /// One JWKS with a key of each of the 14 algorithms: each verifies its
    /// own genuine token, and no token verifies under another key's kid or
    /// another algorithm's name.
    #[test]
    fn a_jwks_of_every_algorithm_verifies_each_and_refuses_every_confusion() {
        let signers: Vec<AnySigner> = Algorithm::ALL
            .into_iter()
            .map(AnySigner::generate)
            .collect();
        let kids: Vec<String> = signers
            .iter()
            .map(|s| format!("k-{}", s.algorithm()))
            .collect();
        let pairs: Vec<(&AnySigner, &str)> = signers
            .iter()
            .zip(kids.iter().map(String::as_str))
            .collect();
        let auth = Authorizer::new(&config(&[
            ("JWT_JWKS", jwks_of(&pairs)),
            ("JWT_ISSUER", ISS.into()),
            ("JWT_AUDIENCE", "api".into()),
        ]));
        let head = |a: &str, k: &str| format!(r#"{{"alg":"{a}","kid":"{k}"}}"#);
        for (s, kid) in &pairs {
            let alg = s.algorithm();
            let good = s.token(&head(alg.name(), kid), &claims(300));
            assert!(decide(&auth, &good).is_allow(), "{alg}: genuine token");
            for (other, other_kid) in pairs.iter().filter(|(o, _)| o.algorithm() != alg) {
                let o = other.algorithm();
                // Its key's kid with this algorithm's name and signature.
                let t = s.token(&head(alg.name(), other_kid), &claims(300));
                assert!(!decide(&auth, &t).is_allow(), "{alg} token, {o} kid");
                // Its own kid with another algorithm's name.
                let t = s.token(&head(o.name(), kid), &claims(300));
                assert!(!decide(&auth, &t).is_allow(), "{alg} key, {o} header");
            }
        }
        // RFC 8037's name for the same Ed25519 verification is accepted on
        // the Ed25519 key only.
        let ed = &signers[Algorithm::ALL
            .iter()
            .position(|a| *a == Algorithm::Ed25519)
            .expect("Ed25519")];
        assert!(decide(&auth, &ed.token(&head("EdDSA", "k-Ed25519"), &claims(300))).is_allow());
        let es = &signers[0];
        let t = es.token(
            &head("EdDSA", &format!("k-{}", es.algorithm())),
            &claims(300),
        );
        assert_eq!(deny(&auth, &t), Some(AlgNotAllowed));
    }

    #[test]
    fn okp_and_akp_keys_are_read_as_strictly_as_the_others() {
        let ml = AnySigner::generate(Algorithm::MlDsa65);
        let ed = AnySigner::generate(Algorithm::Ed25519);
        let b64 = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
        let refused = |jwk: Value| {
            let jwks = json!({ "keys": [jwk] }).to_string();
            Config::from_lookup(|n| match n {
                "JWT_JWKS" => Some(jwks.clone()),
                "JWT_ISSUER" => Some(ISS.into()),
                "JWT_AUDIENCE" => Some("api".into()),
                _ => None,
            })
            .expect_err("refused")
            .to_string()
        };
        let p = b64(&ml.raw_public());
        for (jwk, says) in [
            (json!({"kty": "AKP", "kid": "m", "pub": p}), "alg"),
            (
                json!({"kty": "AKP", "kid": "m", "alg": "ML-DSA-44", "pub": p}),
                "pub",
            ),
            (
                json!({"kty": "AKP", "kid": "m", "alg": "Ed25519", "pub": p}),
                "alg",
            ),
            (
                json!({"kty": "AKP", "kid": "m", "alg": "ML-DSA-65", "pub": p, "priv": "AA"}),
                "priv",
            ),
            (
                json!({"kty": "OKP", "kid": "e", "crv": "X25519", "x": b64(&ed.raw_public())}),
                "crv",
            ),
            (
                json!({"kty": "OKP", "kid": "e", "crv": "Ed25519", "x": b64(&ed.raw_public()), "alg": "ES256"}),
                "alg",
            ),
            (
                json!({"kty": "OKP", "kid": "e", "crv": "Ed25519", "x": b64(&ed.raw_public()), "d": "AA"}),
                "\"d\"",
            ),
            (
                json!({"kty": "OKP", "kid": "e", "crv": "Ed25519", "x": b64(&ed.raw_public()[1..])}),
                "x",
            ),
        ] {
            let e = refused(jwk.clone());
            assert!(e.contains("JWT_JWKS") && e.contains(says), "{jwk}: {e}");
        }
    }

    #[test]
    fn a_key_set_of_several_algorithms_pins_each_key_to_its_own() {
        let (ec, rsa) = (
            AnySigner::generate(Algorithm::Es256),
            AnySigner::generate(Algorithm::Ps256),
        );
        let auth = Authorizer::new(&config(&[
            ("JWT_JWKS", jwks_of(&[(&ec, "ec"), (&rsa, "rsa")])),
            ("JWT_ISSUER", ISS.into()),
            ("JWT_AUDIENCE", "api".into()),
        ]));
        let kid = |a: &str, k: &str| format!(r#"{{"alg":"{a}","kid":"{k}"}}"#);
        assert!(decide(&auth, &ec.token(&kid("ES256", "ec"), &claims(300))).is_allow());
        assert!(decide(&auth, &rsa.token(&kid("PS256", "rsa"), &claims(300))).is_allow());
        // An algorithm the set allows, on the wrong key: refused.
        let swapped = rsa.token(&kid("PS256", "ec"), &claims(300));
        assert_eq!(deny(&auth, &swapped), Some(AlgNotAllowed));
        // A length no configured key uses: malformed before any key.
        let odd = with_sig(&ec.token(&kid("ES256", "ec"), &claims(300)), &[1u8; 132]);
        assert_eq!(deny(&auth, &odd), Some(Malformed));
        // An algorithm no key has, at a length one has: refused at the header.
        let es384 = with_sig(&ec.token(&kid("ES384", "ec"), &claims(300)), &[1u8; 64]);
        assert_eq!(deny(&auth, &es384), Some(AlgNotAllowed));
        // ES512 with its own 132 bytes: a length no key here uses.
        let es512 = TestKey::new(1).token(&kid("ES512", "ec"), &claims(300));
        assert_eq!(deny(&auth, &es512), Some(Malformed));
    }

    /// Several PEM keys, each with its own algorithm and kids (what the
    /// Terraform module sets while a rotation trusts two keys).
    #[test]
    fn several_pem_keys_take_one_algorithm_and_one_kid_group_each() {
        let (old, new) = (
            AnySigner::generate(Algorithm::Es512),
            AnySigner::generate(Algorithm::Ps256),
        );
        let vars = |algs: &str, kids: &str| {
            vec![
                ("JWT_PUBLIC_KEY_PEM", format!("{}{}", old.pem(), new.pem())),
                ("JWT_PUBLIC_KEY_ALG", algs.to_owned()),
                ("JWT_PUBLIC_KEY_KIDS", kids.to_owned()),
                ("JWT_ISSUER", ISS.to_owned()),
                ("JWT_AUDIENCE", "api".to_owned()),
            ]
        };
        let lookup = |v: Vec<(&'static str, String)>| {
            Config::from_lookup(move |n| v.iter().find(|(k, _)| *k == n).map(|(_, x)| x.clone()))
        };
        let auth = Authorizer::new(
            &lookup(vars("ES512,PS256", "old-id,alias/old;new-id")).expect("config"),
        );
        let kid = |a: &str, k: &str| format!(r#"{{"alg":"{a}","kid":"{k}"}}"#);
        assert!(decide(&auth, &old.token(&kid("ES512", "alias/old"), &claims(300))).is_allow());
        assert!(decide(&auth, &new.token(&kid("PS256", "new-id"), &claims(300))).is_allow());
        // Each kid group binds its own key only.
        assert_eq!(
            deny(&auth, &new.token(&kid("PS256", "old-id"), &claims(300))),
            Some(AlgNotAllowed)
        );
        assert_eq!(
            deny(&auth, &old.token(&kid("ES512", "new-id"), &claims(300))),
            Some(AlgNotAllowed)
        );
        // Counts must agree with the keys, by name.
        for (algs, kids, var) in [
            ("ES512,PS256,RS256", "a;b", "JWT_PUBLIC_KEY_ALG"),
            ("ES512,PS256", "a", "JWT_PUBLIC_KEY_KIDS"),
            ("ES512,PS256", "a;b;c", "JWT_PUBLIC_KEY_KIDS"),
            ("ES512,PS256", "a;", "JWT_PUBLIC_KEY_KIDS"),
            ("PS256,ES512", "a;b", "JWT_PUBLIC_KEY_PEM"),
        ] {
            let e = lookup(vars(algs, kids)).expect_err(algs);
            assert!(e.to_string().contains(var), "{algs} {kids}: {e}");
        }
    }

    /// A JWKS of `keys`, each its signer's public JWK with its kid.
    fn jwks_of(keys: &[(&AnySigner, &str)]) -> String {
        let entries: Vec<Value> = keys.iter().map(|(s, kid)| s.jwk(kid)).collect();
        json!({ "keys": entries }).to_string()
    }

    #[test]
    fn rsa_keys_need_a_named_algorithm_and_2048_bits() {
        let rsa = AnySigner::generate(Algorithm::Rs256);
        let no_alg = Config::from_lookup(|n| match n {
            "JWT_PUBLIC_KEY_PEM" => Some(rsa.pem()),
            "JWT_ISSUER" => Some(ISS.into()),
            "JWT_AUDIENCE" => Some("api".into()),
            _ => None,
        })
        .expect_err("RSA without JWT_PUBLIC_KEY_ALG");
        assert!(
            no_alg.to_string().contains("JWT_PUBLIC_KEY_ALG"),
            "{no_alg}"
        );
        let ec = AnySigner::generate(Algorithm::Es256);
        let mismatch = Config::from_lookup(|n| match n {
            "JWT_PUBLIC_KEY_PEM" => Some(ec.pem()),
            "JWT_PUBLIC_KEY_ALG" => Some("ES512".into()),
            "JWT_ISSUER" => Some(ISS.into()),
            "JWT_AUDIENCE" => Some("api".into()),
            _ => None,
        })
        .expect_err("P-256 key named ES512");
        assert!(mismatch.to_string().contains("ES512"), "{mismatch}");
        // A 1024-bit modulus is refused at cold start.
        let mut n = vec![0xc5u8; 128];
        n[127] |= 1;
        let small = json!({"keys": [{"kty": "RSA", "kid": "small", "alg": "RS256",
            "n": URL_SAFE_NO_PAD.encode(&n), "e": "AQAB"}]})
        .to_string();
        let e = Config::from_lookup(|name| match name {
            "JWT_JWKS" => Some(small.clone()),
            "JWT_ISSUER" => Some(ISS.into()),
            "JWT_AUDIENCE" => Some("api".into()),
            _ => None,
        })
        .expect_err("1024-bit RSA");
        assert!(e.to_string().contains("1024 bits"), "{e}");
        // JWKS: an RSA key without `alg`, an EC key whose `alg` disagrees.
        for (doc, member) in [
            (
                json!({"keys": [{"kty": "RSA", "kid": "r", "n": URL_SAFE_NO_PAD.encode(&n), "e": "AQAB"}]}),
                "alg",
            ),
            (
                json!({"keys": [{"kty": "EC", "kid": "e", "crv": "P-256", "alg": "ES512",
                "x": URL_SAFE_NO_PAD.encode([1u8; 32]), "y": URL_SAFE_NO_PAD.encode([1u8; 32])}]}),
                "alg",
            ),
        ] {
            let text = doc.to_string();
            let e = Config::from_lookup(|name| match name {
                "JWT_JWKS" => Some(text.clone()),
                "JWT_ISSUER" => Some(ISS.into()),
                "JWT_AUDIENCE" => Some("api".into()),
                _ => None,
            })
            .expect_err("refused");
            assert!(e.to_string().contains(&format!("\"{member}\"")), "{e}");
        }
    }
}

/// The decision cache's resident memory stays within its byte bound
/// (`JWT_CACHE_MAX_BYTES`): filled two and a half times over with the
/// worst shapes a token can give an entry — many tiny context claims, a
/// few large ones, a long `sub` — the process's RSS grows by at most
/// 1.25 × the bound + 0.5 MiB. Each shape is measured in a process of its
/// own (this test binary re-run on one test), so no other test's
/// allocations blur the figure.
#[test]
fn cache_memory_stays_within_its_byte_bound() {
    const SHAPE: &str = "PIPELINE_CACHE_SHAPE";
    const BOUND: usize = 4 << 20;
    let Ok(shape) = std::env::var(SHAPE) else {
        for shape in ["tiny_claims", "large_claims", "long_sub"] {
            let out = std::process::Command::new(std::env::current_exe().expect("exe"))
                .args([
                    "--exact",
                    "cache_memory_stays_within_its_byte_bound",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(SHAPE, shape)
                .output()
                .expect("run the shape");
            let text = String::from_utf8_lossy(&out.stdout);
            print!("{text}");
            assert!(
                out.status.success() && text.contains("cache shape"),
                "{shape}: {text}{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        return;
    };
    let key = TestKey::new(3);
    let names: Vec<String> = (0..400).map(|i| format!("c{i}")).collect();
    let mut vars = vec![
        ("JWT_PUBLIC_KEY_PEM", key.pem()),
        ("JWT_ISSUER", ISS.to_owned()),
        ("JWT_AUDIENCE", "api".to_owned()),
        ("JWT_CACHE_MAX_BYTES", BOUND.to_string()),
        ("JWT_CACHE_MAX_ENTRIES", "1000000".to_owned()),
    ];
    let claims = |i: usize| -> serde_json::Map<String, Value> {
        let mut c = serde_json::Map::new();
        c.insert("iss".into(), ISS.into());
        c.insert("aud".into(), "api".into());
        c.insert("exp".into(), (NOW + 300).into());
        match shape.as_str() {
            "tiny_claims" => {
                c.insert("sub".into(), format!("u{i}").into());
                for n in &names {
                    c.insert(n.clone(), "v".into());
                }
            }
            "large_claims" => {
                c.insert("sub".into(), format!("u{i}").into());
                c.insert("c0".into(), "x".repeat(2_500).into());
                c.insert("c1".into(), "y".repeat(2_500).into());
            }
            _ => {
                c.insert("sub".into(), format!("{i:06}{}", "s".repeat(5_000)).into());
            }
        }
        c
    };
    if shape == "tiny_claims" {
        vars.push(("JWT_CONTEXT_CLAIMS", names.join(",")));
    } else {
        vars.push(("JWT_CONTEXT_CLAIMS", "c0,c1".to_owned()));
    }
    let auth = Authorizer::new(&config(&vars));
    // Enough tokens to fill the bound two and a half times over, counting
    // an entry at no more than its context's JSON text.
    let context_len = Value::Object(claims(0)).to_string().len();
    let count = BOUND * 5 / 2 / context_len;
    let header = r#"{"alg":"ES512","typ":"JWT"}"#;
    let tokens: Vec<String> = (0..count)
        .map(|i| {
            format!(
                "Bearer {}",
                key.token(header, &Value::Object(claims(i)).to_string())
            )
        })
        .collect();
    let rss = || -> usize {
        let statm = std::fs::read_to_string("/proc/self/statm").expect("statm");
        let pages: usize = statm
            .split(' ')
            .nth(1)
            .expect("rss")
            .parse()
            .expect("pages");
        pages * 4096
    };
    let before = rss();
    for t in &tokens {
        assert!(decide(&auth, t).is_allow(), "{shape}: allowed");
    }
    let grown = rss().saturating_sub(before);
    let cached = auth.cache_len();
    println!(
        "cache shape {shape}: {count} tokens of {} bytes, context {context_len} bytes; {cached} cached; RSS grew {grown} bytes for a bound of {BOUND} ({:.2} ×)",
        tokens[0].len(),
        grown as f64 / BOUND as f64
    );
    // The bound is reached (the cache really holds about what it may: each
    // entry its context and its `sub`) …
    let sub_len = claims(0)["sub"].as_str().map_or(0, str::len);
    assert!(
        cached * (context_len + sub_len) >= BOUND / 2,
        "{shape}: only {cached} entries cached"
    );
    // … and what it holds costs no more than the bound says.
    assert!(
        grown <= BOUND * 5 / 4 + (512 << 10),
        "{shape}: RSS grew {grown} bytes for a cache bound of {BOUND}"
    );
}
