//! Fuzzing with proptest: mutations of genuine tokens are all denied by the
//! library, and random claim sets, genuinely signed, get exactly the
//! decision and reason of the harness's independent policy model.

use authorizer::{AuthRequest, Authorizer, Config, Decision, UnixTime};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::sync::OnceLock;
use tokens::jws::LocalSigner;

#[path = "support/model.rs"]
mod model;

const NOW: i64 = 1_800_000_000;
const ISS: &str = "https://issuer.prop";

struct Fx {
    signer: LocalSigner,
    auth: Authorizer,
    token: String,
}

fn fx() -> &'static Fx {
    static F: OnceLock<Fx> = OnceLock::new();
    F.get_or_init(|| {
        let signer = LocalSigner::generate();
        let pem = signer.public_pem();
        let config = Config::from_lookup(|n| match n {
            "JWT_PUBLIC_KEY_PEM" => Some(pem.clone()),
            "JWT_ISSUER" => Some(ISS.into()),
            "JWT_AUDIENCE" => Some("a1,a2".into()),
            "JWT_CACHE_MAX_ENTRIES" => Some("0".into()),
            _ => None,
        })
        .expect("config");
        let claims =
            json!({"iss": ISS, "aud": "a1", "sub": "u", "exp": NOW + 600, "iat": NOW - 10})
                .to_string();
        let token = signer.token(r#"{"alg":"ES512","typ":"JWT"}"#, &claims);
        Fx {
            signer,
            auth: Authorizer::new(&config),
            token,
        }
    })
}

fn decide(value: &str) -> Decision {
    fx().auth.decide(
        &AuthRequest {
            authorization: Some(value),
        },
        UnixTime::from_secs(NOW),
    )
}

fn segments() -> (String, String, String) {
    let mut it = fx().token.split('.').map(str::to_owned);
    (
        it.next().unwrap_or_default(),
        it.next().unwrap_or_default(),
        it.next().unwrap_or_default(),
    )
}

#[derive(Debug, Clone)]
enum Mutation {
    FlipBit(usize, u8),
    SwapSegments(usize, usize),
    PadSegment(usize),
    StdAlphabet,
    EditClaim(String, Value),
    Truncate(usize),
    Duplicate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        (0usize..3, 0usize..3)
            .prop_filter("distinct", |(a, b)| a != b)
            .prop_map(|(a, b)| Mutation::SwapSegments(a, b)),
        (0usize..3).prop_map(Mutation::PadSegment),
        Just(Mutation::StdAlphabet),
        (
            prop::sample::select(vec!["exp", "iss", "aud", "sub", "nbf", "admin"]),
            prop_oneof![
                any::<i64>().prop_map(Value::from),
                "[a-z]{0,8}".prop_map(Value::from),
                Just(Value::Bool(true))
            ]
        )
            .prop_map(|(k, v)| Mutation::EditClaim(k.to_owned(), v)),
        any::<usize>().prop_map(Mutation::Truncate),
        (0usize..3).prop_map(Mutation::Duplicate),
    ]
}

fn apply(m: &Mutation) -> Option<String> {
    let t = &fx().token;
    let (h, p, s) = segments();
    let mut segs = vec![h, p.clone(), s];
    Some(match m {
        Mutation::FlipBit(i, b) => {
            let mut bytes = t.clone().into_bytes();
            let i = i % bytes.len();
            bytes[i] ^= 1 << b;
            String::from_utf8(bytes).ok()?
        }
        Mutation::SwapSegments(a, b) => {
            segs.swap(*a, *b);
            segs.join(".")
        }
        Mutation::PadSegment(i) => {
            segs[*i].push('=');
            segs.join(".")
        }
        Mutation::StdAlphabet => {
            // Re-encode the payload in the standard alphabet with padding.
            let raw = URL_SAFE_NO_PAD.decode(&p).ok()?;
            segs[1] = STANDARD.encode(raw);
            if segs[1] == p {
                segs[1].push('=');
            }
            segs.join(".")
        }
        Mutation::EditClaim(k, v) => {
            let mut claims: Map<String, Value> =
                serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&p).ok()?).ok()?;
            if claims.get(k) == Some(v) {
                return None;
            }
            claims.insert(k.clone(), v.clone());
            segs[1] = URL_SAFE_NO_PAD.encode(Value::Object(claims).to_string());
            segs.join(".")
        }
        Mutation::Truncate(i) => t[..i % t.len()].to_owned(),
        Mutation::Duplicate(i) => {
            let extra = segs[*i].clone();
            segs.insert(*i, extra);
            segs.join(".")
        }
    })
}

fn opt_time() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        3 => (NOW - 400..NOW + 400).prop_map(|v| Some(Value::from(v))),
        1 => Just(None),
        1 => (NOW - 400..NOW + 400).prop_map(|v| Some(Value::from(v as f64 + 0.5))),
        1 => prop_oneof![Just(Value::from("1900000000")), Just(Value::Bool(true)), Just(Value::Null), Just(Value::from(-5)), Just(json!(1e300))].prop_map(Some),
    ]
}

fn claims() -> impl Strategy<Value = Map<String, Value>> {
    let iss = prop_oneof![4 => Just(Some(json!(ISS))), 1 => Just(None), 1 => Just(Some(json!("https://other"))), 1 => Just(Some(json!(7)))];
    let aud = prop_oneof![
        3 => Just(Some(json!("a1"))), 1 => Just(Some(json!("a2"))), 1 => Just(Some(json!(["x", "a2"]))), 1 => Just(None),
        1 => Just(Some(json!([]))), 1 => Just(Some(json!(["a1", 1]))), 1 => Just(Some(json!("nope"))), 1 => Just(Some(json!(5)))
    ];
    let sub =
        prop_oneof![3 => Just(Some(json!("user"))), 1 => Just(None), 1 => Just(Some(json!(42)))];
    (
        opt_time(),
        opt_time(),
        opt_time(),
        iss,
        aud,
        sub,
        proptest::option::of("[a-z]{1,6}"),
    )
        .prop_map(|(exp, nbf, iat, iss, aud, sub, extra)| {
            let mut m = Map::new();
            for (k, v) in [
                ("exp", exp),
                ("nbf", nbf),
                ("iat", iat),
                ("iss", iss),
                ("aud", aud),
                ("sub", sub),
            ] {
                if let Some(v) = v {
                    m.insert(k.into(), v);
                }
            }
            if let Some(e) = extra {
                m.insert(format!("x_{e}"), json!(e));
            }
            m
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn mutated_genuine_tokens_are_denied(m in mutation()) {
        if let Some(mutated) = apply(&m) {
            if mutated != fx().token {
                let d = decide(&mutated);
                prop_assert!(!d.is_allow(), "{:?} was allowed", m);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn signed_random_claims_match_the_independent_model(c in claims()) {
        let token = fx().signer.token(r#"{"alg":"ES512"}"#, &Value::Object(c.clone()).to_string());
        let want = model::claims_verdict(&c, NOW as f64, ISS, &["a1", "a2"]);
        let got = match decide(&token) {
            Decision::Allow(_) => Ok(()),
            Decision::Deny(r) => Err(r),
        };
        prop_assert_eq!(got, want, "claims {}", Value::Object(c));
    }
}

#[test]
fn fixture_token_is_allowed() {
    assert!(decide(&fx().token).is_allow());
}
