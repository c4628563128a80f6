//! KMS returns DER signatures; the converter must turn every `valid` vector
//! of Wycheproof's `ecdsa_secp521r1_sha512_test.json` into a JOSE signature
//! that verifies, and refuse (or produce a non-verifying signature for) every
//! `invalid` one.

use authorizer::{Backend, PublicKey};
use serde_json::Value;
use tokens::kms::der_to_jose;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

#[test]
fn every_der_vector() {
    let path = harness::binary::workspace_root()
        .join("../shared/vectors/wycheproof/ecdsa_secp521r1_sha512_test.json");
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("vectors")).expect("json");
    let (mut valid, mut invalid, mut refused) = (0, 0, 0);
    for group in doc["testGroups"].as_array().expect("groups") {
        let key = PublicKey::from_spki_der(
            Backend::default_backend(),
            &hex(group["publicKeyDer"].as_str().expect("der")),
        )
        .expect("key");
        for t in group["tests"].as_array().expect("tests") {
            let msg = hex(t["msg"].as_str().expect("msg"));
            let der = hex(t["sig"].as_str().expect("sig"));
            let jose = der_to_jose(&der);
            let verifies = jose.is_some_and(|j| key.verify(&msg, &j).is_ok());
            match t["result"].as_str().expect("result") {
                "valid" => {
                    assert!(
                        verifies,
                        "tcId {} ({}) must convert and verify",
                        t["tcId"], t["comment"]
                    );
                    valid += 1;
                }
                _ => {
                    assert!(
                        !verifies,
                        "tcId {} ({}) must be refused",
                        t["tcId"], t["comment"]
                    );
                    invalid += 1;
                    refused += usize::from(jose.is_none());
                }
            }
        }
    }
    assert_eq!(valid, 232);
    assert!(invalid >= 300, "{invalid}");
    assert!(
        refused > 100,
        "the converter itself refuses malformed DER ({refused} refused)"
    );
}

/// The same for every KMS curve: P-256, P-384 and secp256k1 DER files,
/// converted with each curve's scalar length.
#[test]
fn every_der_vector_of_every_curve() {
    use authorizer::Algorithm;
    use tokens::kms::der_to_jose_len;
    for (file, alg, want_valid) in [
        ("ecdsa_secp521r1_sha512_test.json", Algorithm::Es512, 232),
        ("ecdsa_secp384r1_sha384_test.json", Algorithm::Es384, 194),
        ("ecdsa_secp256r1_sha256_test.json", Algorithm::Es256, 174),
        ("ecdsa_secp256k1_sha256_test.json", Algorithm::Es256k, 168),
    ] {
        let path = harness::binary::workspace_root()
            .join("../shared/vectors/wycheproof")
            .join(file);
        let doc: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("vectors")).expect("json");
        let scalar = alg.curve().expect("EC").scalar_len();
        let (mut valid, mut invalid) = (0, 0);
        for group in doc["testGroups"].as_array().expect("groups") {
            let key = PublicKey::from_spki_der_as(
                Backend::default_backend(),
                &hex(group["publicKeyDer"].as_str().expect("der")),
                Some(alg),
            )
            .expect("key");
            for t in group["tests"].as_array().expect("tests") {
                let msg = hex(t["msg"].as_str().expect("msg"));
                let jose = der_to_jose_len(&hex(t["sig"].as_str().expect("sig")), scalar);
                let verifies = jose.is_some_and(|j| key.verify(&msg, &j).is_ok());
                if t["result"] == "valid" {
                    assert!(
                        verifies,
                        "{file} tcId {} must convert and verify",
                        t["tcId"]
                    );
                    valid += 1;
                } else {
                    assert!(!verifies, "{file} tcId {} must be refused", t["tcId"]);
                    invalid += 1;
                }
            }
        }
        assert_eq!(valid, want_valid, "{file}");
        assert!(invalid > 250, "{file}: {invalid}");
    }
}
