//! `cargo bench -p authorizer --bench verify` (add `--features p521` for the
//! pure-Rust backend). Benchmark ids are stable — pipelines read
//! `target/criterion/<id>/new/estimates.json` by them:
//! `allow_uncached`, `forged`, `malformed`, `cache_hit`.

use authorizer::test_util::TestKey;
use authorizer::{AuthRequest, Authorizer, Config, UnixTime};
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

fn authorizer(key: &TestKey, cache: &str) -> Authorizer {
    let pem = key.pem();
    let config = Config::from_lookup(|n| match n {
        "JWT_PUBLIC_KEY_PEM" => Some(pem.clone()),
        "JWT_ISSUER" => Some("https://issuer.example".into()),
        "JWT_AUDIENCE" => Some("api".into()),
        "JWT_CACHE_MAX_ENTRIES" => Some(cache.into()),
        _ => None,
    })
    .expect("config");
    Authorizer::new(&config)
}

fn benches(c: &mut Criterion) {
    let key = TestKey::new(42);
    let now = UnixTime::now();
    #[allow(clippy::cast_possible_truncation)]
    let exp = now.0 as i64 + 3600;
    let claims = format!(
        r#"{{"iss":"https://issuer.example","aud":"api","sub":"user-1234","exp":{exp},"iat":{},"scope":"read write"}}"#,
        exp - 3600
    );
    let token = format!(
        "Bearer {}",
        key.token(r#"{"alg":"ES512","typ":"JWT"}"#, &claims)
    );
    let forged = {
        let mut t = token.clone().into_bytes();
        let i = t.len() - 10;
        t[i] = if t[i] == b'A' { b'B' } else { b'A' };
        String::from_utf8(t).expect("ascii")
    };
    let malformed = format!("Bearer {}", &token[7..token.len() - 1]);

    let uncached = authorizer(&key, "0");
    let cached = authorizer(&key, "10000");
    for (t, want) in [(&token, true), (&forged, false), (&malformed, false)] {
        assert_eq!(
            uncached
                .decide(
                    &AuthRequest {
                        authorization: Some(t)
                    },
                    now
                )
                .is_allow(),
            want
        );
    }
    println!("backend: {}", authorizer::Backend::default_backend().name());

    c.bench_function("allow_uncached", |b| {
        b.iter(|| {
            uncached.decide(
                black_box(&AuthRequest {
                    authorization: Some(&token),
                }),
                now,
            )
        });
    });
    c.bench_function("forged", |b| {
        b.iter(|| {
            uncached.decide(
                black_box(&AuthRequest {
                    authorization: Some(&forged),
                }),
                now,
            )
        });
    });
    c.bench_function("malformed", |b| {
        b.iter(|| {
            uncached.decide(
                black_box(&AuthRequest {
                    authorization: Some(&malformed),
                }),
                now,
            )
        });
    });
    assert!(cached
        .decide(
            &AuthRequest {
                authorization: Some(&token)
            },
            now
        )
        .is_allow());
    c.bench_function("cache_hit", |b| {
        b.iter(|| {
            cached.decide(
                black_box(&AuthRequest {
                    authorization: Some(&token),
                }),
                now,
            )
        });
    });
}

criterion_group!(verify, benches);
criterion_main!(verify);
