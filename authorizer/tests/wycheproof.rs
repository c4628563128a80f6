//! Every vector of Project Wycheproof's signature files for the KMS key specs
//! (C2SP/wycheproof `testvectors_v1/`, Apache-2.0, kept unchanged in
//! `../shared/vectors/wycheproof/`), each through the verifier of its JWS
//! algorithm: ECDSA P1363 (fixed `R || S`) for ES256/ES384/ES512/ES256K,
//! RSASSA-PKCS1-v1_5 for RS*, RSASSA-PSS (MGF1 same hash, salt = hash
//! length) for PS*, pure Ed25519 for Ed25519, ML-DSA with the empty
//! context for ML-DSA-44/65/87 (RFC 9964: a test with a non-empty `ctx` is
//! skipped and counted as such). ES512 runs with each compiled backend.

use authorizer::{Algorithm, Backend, PublicKey};
use serde_json::Value;
use std::path::PathBuf;

fn vectors(file: &str) -> Value {
    // Cargo sets CARGO_MANIFEST_DIR for the test process too: read at run
    // time, a test binary reused from another checkout's path (a shared
    // target directory) still finds this checkout's `../shared`.
    let manifest =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    let path = PathBuf::from(manifest)
        .join("../../shared/vectors/wycheproof")
        .join(file);
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("vector JSON")
}

fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Runs every vector of `file`: (valid, invalid) counts as the file labels
/// them. A group whose key the key policy refuses (an RSA exponent below
/// 65537, refused at cold start) must be one whose `publicExponent` is
/// below 65537; its vectors are counted by label, and all must be refused.
fn run(backend: Backend, file: &str, alg: Algorithm) -> (usize, usize) {
    let (counts, _) = run_counting_refused(backend, file, alg);
    counts
}

fn run_counting_refused(backend: Backend, file: &str, alg: Algorithm) -> ((usize, usize), usize) {
    let doc = vectors(file);
    let (mut valid, mut invalid, mut refused) = (0, 0, 0);
    for group in doc["testGroups"].as_array().expect("groups") {
        let der = hex(group["publicKeyDer"].as_str().expect("der"));
        let key = match PublicKey::from_spki_der_as(backend, &der, Some(alg)) {
            Ok(key) => key,
            Err(e @ authorizer::KeyError::RsaExponent(_)) => {
                let exponent = group["publicKey"]["publicExponent"].as_str().unwrap_or("");
                let value = u64::from_str_radix(exponent, 16).unwrap_or(u64::MAX);
                assert!(
                    value < 65_537,
                    "{file}: a key with e = 0x{exponent} refused: {e}"
                );
                for t in group["tests"].as_array().expect("tests") {
                    match t["result"].as_str().expect("result") {
                        "valid" => valid += 1,
                        _ => invalid += 1,
                    }
                    refused += 1;
                }
                continue;
            }
            Err(e) => panic!("{file}: group key: {e}"),
        };
        for t in group["tests"].as_array().expect("tests") {
            let id = &t["tcId"];
            let msg = hex(t["msg"].as_str().expect("msg"));
            let sig = hex(t["sig"].as_str().expect("sig"));
            let got = key.verify(&msg, &sig).is_ok();
            match t["result"].as_str().expect("result") {
                "valid" => {
                    assert!(
                        got,
                        "{file} {} tcId {id} ({}) should verify",
                        backend.name(),
                        t["comment"]
                    );
                    valid += 1;
                }
                "invalid" => {
                    assert!(
                        !got,
                        "{file} {} tcId {id} ({}) must not verify",
                        backend.name(),
                        t["comment"]
                    );
                    invalid += 1;
                }
                // RSA PKCS#1 `MissingNull` (a DigestInfo without its NULL
                // parameters): legacy signers made them; strict is refusing.
                "acceptable" => {
                    assert!(
                        !got,
                        "{file} tcId {id} ({}): an `acceptable` legacy signature is refused",
                        t["comment"]
                    );
                    invalid += 1;
                }
                other => panic!("{file} tcId {id}: unexpected result {other}"),
            }
        }
    }
    ((valid, invalid), refused)
}

#[test]
fn every_p1363_vector_gives_its_result_with_each_backend() {
    for backend in Backend::ALL {
        let (valid, invalid) = run(
            *backend,
            "ecdsa_secp521r1_sha512_p1363_test.json",
            Algorithm::Es512,
        );
        assert_eq!(
            (valid, invalid),
            (231, 87),
            "{}: vector count",
            backend.name()
        );
    }
    #[cfg(feature = "aws-lc")]
    assert_eq!(Backend::ALL.len(), 2, "both backends are exercised");
}

/// Every other KMS algorithm, through aws-lc-rs: file, algorithm, and the
/// (valid, invalid) counts the vector files' README gives.
#[cfg(feature = "aws-lc")]
#[test]
fn every_vector_of_every_algorithm_gives_its_result() {
    let files: &[(&str, Algorithm, (usize, usize))] = &[
        (
            "ecdsa_secp521r1_sha512_p1363_test.json",
            Algorithm::Es512,
            (231, 87),
        ),
        (
            "ecdsa_secp384r1_sha384_p1363_test.json",
            Algorithm::Es384,
            (193, 87),
        ),
        (
            "ecdsa_secp256r1_sha256_p1363_test.json",
            Algorithm::Es256,
            (173, 89),
        ),
        (
            "ecdsa_secp256k1_sha256_p1363_test.json",
            Algorithm::Es256k,
            (167, 85),
        ),
        (
            "rsa_signature_2048_sha256_test.json",
            Algorithm::Rs256,
            (9, 250),
        ),
        (
            "rsa_signature_2048_sha384_test.json",
            Algorithm::Rs384,
            (7, 251),
        ),
        (
            "rsa_signature_2048_sha512_test.json",
            Algorithm::Rs512,
            (8, 251),
        ),
        (
            "rsa_signature_3072_sha256_test.json",
            Algorithm::Rs256,
            (8, 251),
        ),
        (
            "rsa_signature_4096_sha256_test.json",
            Algorithm::Rs256,
            (7, 251),
        ),
        (
            "rsa_signature_4096_sha512_test.json",
            Algorithm::Rs512,
            (7, 252),
        ),
        (
            "rsa_pss_2048_sha256_mgf1_32_test.json",
            Algorithm::Ps256,
            (63, 45),
        ),
        (
            "rsa_pss_2048_sha384_mgf1_48_test.json",
            Algorithm::Ps384,
            (95, 46),
        ),
        (
            "rsa_pss_4096_sha512_mgf1_64_test.json",
            Algorithm::Ps512,
            (132, 47),
        ),
    ];
    let mut refused = Vec::new();
    for (file, alg, want) in files {
        let (got, n) = run_counting_refused(Backend::AwsLc, file, *alg);
        assert_eq!(got, *want, "{file}: (valid, invalid) vectors run");
        if n > 0 {
            refused.push((*file, n));
        }
    }
    // The e = 3 groups (refused at cold start: FIPS 186-5 wants e > 2^16).
    assert_eq!(
        refused,
        [
            ("rsa_signature_2048_sha256_test.json", 2),
            ("rsa_signature_2048_sha512_test.json", 1),
            ("rsa_signature_3072_sha256_test.json", 1),
        ],
        "vectors whose key the key policy refuses"
    );
}

/// The keys of the Ed25519 and ML-DSA files: the SubjectPublicKeyInfo
/// (what KMS `GetPublicKey` returns) where it parses; a group whose key is
/// refused at cold start must hold only `invalid` tests (ML-DSA's
/// `IncorrectPublicKeyLength` groups). Returns (valid, invalid, skipped for
/// a context, refused keys' tests).
#[cfg(feature = "aws-lc")]
fn run_raw_key_file(file: &str, alg: Algorithm) -> (usize, usize, usize, usize) {
    let doc = vectors(file);
    let (mut valid, mut invalid, mut skipped, mut refused) = (0, 0, 0, 0);
    for group in doc["testGroups"].as_array().expect("groups") {
        let tests = group["tests"].as_array().expect("tests");
        let der = group["publicKeyDer"].as_str().map(hex);
        let key = der
            .as_deref()
            .ok_or_else(|| "no publicKeyDer".to_owned())
            .and_then(|der| {
                PublicKey::from_spki_der_as(Backend::AwsLc, der, Some(alg))
                    .map_err(|e| e.to_string())
            });
        let key = match key {
            Ok(key) => {
                // The same key from its raw form (a JWK's `x` or `pub`).
                let raw = group["publicKey"]
                    .as_str()
                    .or(group["publicKey"]["pk"].as_str())
                    .map(hex)
                    .expect("raw public key");
                assert_eq!(key.raw(), Some(&raw[..]), "{file}: raw key of the SPKI");
                assert!(
                    PublicKey::from_raw(Backend::AwsLc, alg, &raw).is_ok(),
                    "{file}: raw key"
                );
                key
            }
            Err(why) => {
                for t in tests {
                    assert_eq!(
                        t["result"], "invalid",
                        "{file} tcId {}: a refused key ({why}) must hold no valid test",
                        t["tcId"]
                    );
                    refused += 1;
                }
                continue;
            }
        };
        for t in tests {
            let id = &t["tcId"];
            if t["ctx"].as_str().is_some_and(|c| !c.is_empty()) {
                skipped += 1;
                continue;
            }
            let msg = hex(t["msg"].as_str().expect("msg"));
            let sig = hex(t["sig"].as_str().expect("sig"));
            let got = key.verify(&msg, &sig).is_ok();
            match t["result"].as_str().expect("result") {
                "valid" => {
                    assert!(got, "{file} tcId {id} ({}) should verify", t["comment"]);
                    valid += 1;
                }
                "invalid" => {
                    assert!(!got, "{file} tcId {id} ({}) must not verify", t["comment"]);
                    invalid += 1;
                }
                other => panic!("{file} tcId {id}: unexpected result {other}"),
            }
        }
    }
    (valid, invalid, skipped, refused)
}

#[cfg(feature = "aws-lc")]
#[test]
fn every_ed25519_and_ml_dsa_vector_gives_its_result() {
    let files: &[(&str, Algorithm)] = &[
        ("ed25519_test.json", Algorithm::Ed25519),
        ("mldsa_44_verify_test.json", Algorithm::MlDsa44),
        ("mldsa_65_verify_test.json", Algorithm::MlDsa65),
        ("mldsa_87_verify_test.json", Algorithm::MlDsa87),
    ];
    let mut counts = Vec::new();
    for (file, alg) in files {
        let (valid, invalid, skipped, refused) = run_raw_key_file(file, *alg);
        let total = vectors(file)["numberOfTests"].as_u64().expect("count") as usize;
        assert_eq!(
            valid + invalid + skipped + refused,
            total,
            "{file}: every test run, skipped or refused"
        );
        counts.push((*file, valid, invalid, skipped, refused));
    }
    println!("(file, valid, invalid, skipped for a context, refused keys' tests): {counts:?}");
    // The vector README's valid counts (88, 77, 79, 71) less the two valid
    // tests with a context in each ML-DSA file; the refused keys are the
    // `IncorrectPublicKeyLength` groups.
    assert_eq!(
        counts,
        [
            ("ed25519_test.json", 88, 63, 0, 0),
            ("mldsa_44_verify_test.json", 75, 94, 7, 4),
            ("mldsa_65_verify_test.json", 77, 122, 7, 4),
            ("mldsa_87_verify_test.json", 69, 161, 7, 4),
        ]
    );
}
