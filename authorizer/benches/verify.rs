//! `cargo bench -p authorizer --bench verify` (add `--features p521` for the
//! pure-Rust backend). Benchmark ids are stable — pipelines read
//! `target/criterion/<id>/new/estimates.json` by them:
//! `allow_uncached`, `forged`, `malformed`, `cache_hit`, `cache_churn`, and
//! per algorithm `allow_uncached_<alg>` (the whole pipeline, a PEM key of
//! that algorithm, cache off) beside `raw_verify_<alg>` (aws-lc-rs verifying
//! the same signature over the same input directly) and `overhead_<alg>`
//! (the pipeline's time minus the primitive's, timed back to back in each
//! iteration), so the pipeline's overhead over the primitive is measured in
//! one run.
//!
//! `cache_churn` replays one token that is past `exp` but inside a 60 s
//! leeway (allowed by the policy, so it must be a cache hit). Before the
//! criterion run it replays the token 50 000 times on a fresh authorizer and
//! prints the medians of the first and last 1 000 requests
//! (`cache_churn_first_1k_ns`, `cache_churn_last_1k_ns`): the per-request
//! cost must stay flat.

use authorizer::test_util::TestKey;
use authorizer::{AuthRequest, Authorizer, Config, UnixTime};
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
#[cfg(not(feature = "p521"))]
use std::time::Duration;
use std::time::Instant;

fn authorizer(key: &TestKey, cache: &str) -> Authorizer {
    authorizer_with_leeway(key, cache, "0")
}

fn authorizer_with_leeway(key: &TestKey, cache: &str, leeway: &str) -> Authorizer {
    let pem = key.pem();
    let config = Config::from_lookup(|n| match n {
        "JWT_PUBLIC_KEY_PEM" => Some(pem.clone()),
        "JWT_ISSUER" => Some("https://issuer.example".into()),
        "JWT_AUDIENCE" => Some("api".into()),
        "JWT_CACHE_MAX_ENTRIES" => Some(cache.into()),
        "JWT_LEEWAY_SECONDS" => Some(leeway.into()),
        _ => None,
    })
    .expect("config");
    Authorizer::new(&config)
}

fn median_ns(samples: &mut [u128]) -> u128 {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

/// Replays `token` 50 000 times on a fresh authorizer; prints the medians of
/// the first and last 1 000 per-request times.
fn churn_profile(key: &TestKey, token: &str, now: UnixTime) {
    let auth = authorizer_with_leeway(key, "10000", "60");
    let req = AuthRequest {
        authorization: Some(token),
    };
    let mut times = Vec::with_capacity(50_000);
    for _ in 0..50_000 {
        let t = Instant::now();
        assert!(black_box(auth.decide(black_box(&req), now)).is_allow());
        times.push(t.elapsed().as_nanos());
    }
    let first = median_ns(&mut times[..1_000].to_vec());
    let last = median_ns(&mut times[49_000..].to_vec());
    #[allow(clippy::cast_precision_loss)]
    let ratio = last as f64 / first.max(1) as f64;
    println!(
        "cache_churn_first_1k_ns {first} cache_churn_last_1k_ns {last} ratio {ratio:.3} (cache entries {})",
        auth.cache_len()
    );
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

    // Past exp by 10 s, inside the 60 s leeway.
    let churn_claims = format!(
        r#"{{"iss":"https://issuer.example","aud":"api","sub":"user-1234","exp":{},"iat":{}}}"#,
        exp - 3610,
        exp - 3700
    );
    let churn_token = format!(
        "Bearer {}",
        key.token(r#"{"alg":"ES512","typ":"JWT"}"#, &churn_claims)
    );
    churn_profile(&key, &churn_token, now);
    let churn = authorizer_with_leeway(&key, "10000", "60");
    c.bench_function("cache_churn", |b| {
        b.iter(|| {
            churn.decide(
                black_box(&AuthRequest {
                    authorization: Some(&churn_token),
                }),
                now,
            )
        });
    });
}

#[cfg(not(feature = "p521"))]
fn per_algorithm(c: &mut Criterion) {
    use authorizer::test_util::AnySigner;
    use authorizer::Algorithm;
    let now = UnixTime::now();
    #[allow(clippy::cast_possible_truncation)]
    let exp = now.0 as i64 + 3600;
    let claims = format!(
        r#"{{"iss":"https://issuer.example","aud":"api","sub":"user-1234","exp":{exp},"iat":{},"scope":"read write"}}"#,
        exp - 3600
    );
    for alg in Algorithm::ALL {
        let signer = AnySigner::generate(alg);
        let pem = signer.pem();
        let config = Config::from_lookup(|n| match n {
            "JWT_PUBLIC_KEY_PEM" => Some(pem.clone()),
            "JWT_PUBLIC_KEY_ALG" => Some(alg.name().into()),
            "JWT_ISSUER" => Some("https://issuer.example".into()),
            "JWT_AUDIENCE" => Some("api".into()),
            "JWT_CACHE_MAX_ENTRIES" => Some("0".into()),
            _ => None,
        })
        .expect("config");
        let auth = Authorizer::new(&config);
        let token = signer.token(&format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#), &claims);
        let bearer = format!("Bearer {token}");
        let req = AuthRequest {
            authorization: Some(&bearer),
        };
        assert!(auth.decide(&req, now).is_allow(), "{alg}");
        let name = alg.name().to_ascii_lowercase();
        c.bench_function(&format!("allow_uncached_{name}"), |b| {
            b.iter(|| auth.decide(black_box(&req), now));
        });
        // The primitive alone: the same key (SPKI), input and signature.
        let (input, sig) = token.rsplit_once('.').expect("three segments");
        let sig = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, sig)
            .expect("b64");
        let verify_alg: &'static dyn aws_lc_rs::signature::VerificationAlgorithm = match alg {
            Algorithm::Es256 => &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED,
            Algorithm::Es384 => &aws_lc_rs::signature::ECDSA_P384_SHA384_FIXED,
            Algorithm::Es512 => &aws_lc_rs::signature::ECDSA_P521_SHA512_FIXED,
            Algorithm::Es256k => &aws_lc_rs::signature::ECDSA_P256K1_SHA256_FIXED,
            Algorithm::Rs256 => &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            Algorithm::Rs384 => &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA384,
            Algorithm::Rs512 => &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA512,
            Algorithm::Ps256 => &aws_lc_rs::signature::RSA_PSS_2048_8192_SHA256,
            Algorithm::Ps384 => &aws_lc_rs::signature::RSA_PSS_2048_8192_SHA384,
            Algorithm::Ps512 => &aws_lc_rs::signature::RSA_PSS_2048_8192_SHA512,
            Algorithm::Ed25519 => &aws_lc_rs::signature::ED25519,
            Algorithm::MlDsa44 => &aws_lc_rs::signature::ML_DSA_44,
            Algorithm::MlDsa65 => &aws_lc_rs::signature::ML_DSA_65,
            Algorithm::MlDsa87 => &aws_lc_rs::signature::ML_DSA_87,
        };
        let raw = aws_lc_rs::signature::ParsedPublicKey::new(verify_alg, signer.spki_der())
            .expect("raw key");
        assert!(raw.verify_sig(input.as_bytes(), &sig).is_ok(), "{alg} raw");
        c.bench_function(&format!("raw_verify_{name}"), |b| {
            b.iter(|| raw.verify_sig(black_box(input.as_bytes()), black_box(&sig)));
        });
        // The pipeline's cost over the primitive, per request: each
        // iteration times one whole decision and one raw verify back to
        // back, and the difference of the sums is what criterion sees, so
        // drift between two separate benchmarks cannot enter the ratio.
        // RSA and Ed25519 only (their bound is absolute, 2 µs): an ECDSA or
        // ML-DSA verify's own spread is larger than the pipeline's cost (the
        // difference of the sums can come out zero); theirs is a ratio of
        // the medians above.
        if !alg.is_rsa() && alg != Algorithm::Ed25519 {
            continue;
        }
        c.bench_function(&format!("overhead_{name}"), |b| {
            b.iter_custom(|iters| {
                let (mut pipeline, mut primitive) = (Duration::ZERO, Duration::ZERO);
                for _ in 0..iters {
                    let t = Instant::now();
                    black_box(auth.decide(black_box(&req), now));
                    pipeline += t.elapsed();
                    let t = Instant::now();
                    let _ = black_box(raw.verify_sig(black_box(input.as_bytes()), black_box(&sig)));
                    primitive += t.elapsed();
                }
                // A sample whose raw verifies were preempted (this is a
                // shared 2-core VM) would come out negative: it is kept as
                // 1 ns, an outlier the quoted median is robust to.
                pipeline
                    .saturating_sub(primitive)
                    .max(Duration::from_nanos(1))
            });
        });
    }
}

#[cfg(feature = "p521")]
fn per_algorithm(_: &mut Criterion) {}

criterion_group!(verify, benches, per_algorithm);
criterion_main!(verify);
