//! Every ECDSA P-521 / SHA-512 IEEE P1363 vector from Project Wycheproof
//! (C2SP/wycheproof `testvectors_v1/ecdsa_secp521r1_sha512_p1363_test.json`,
//! Apache-2.0, kept unchanged in `../shared/vectors/wycheproof/`) through the
//! ES512 verifier, for each compiled backend.

use authorizer::{Backend, PublicKey};
use serde_json::Value;
use std::path::PathBuf;

fn vectors() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/vectors/wycheproof/ecdsa_secp521r1_sha512_p1363_test.json");
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

fn run(backend: Backend) -> (usize, usize) {
    let doc = vectors();
    let (mut valid, mut invalid) = (0, 0);
    for group in doc["testGroups"].as_array().expect("groups") {
        let der = hex(group["publicKeyDer"].as_str().expect("der"));
        let key = PublicKey::from_spki_der(backend, &der).expect("group key parses");
        for t in group["tests"].as_array().expect("tests") {
            let id = &t["tcId"];
            let msg = hex(t["msg"].as_str().expect("msg"));
            let sig = hex(t["sig"].as_str().expect("sig"));
            let got = key.verify(&msg, &sig).is_ok();
            match t["result"].as_str().expect("result") {
                "valid" => {
                    assert!(
                        got,
                        "{} tcId {id} ({}) should verify",
                        backend.name(),
                        t["comment"]
                    );
                    valid += 1;
                }
                "invalid" => {
                    assert!(
                        !got,
                        "{} tcId {id} ({}) must not verify",
                        backend.name(),
                        t["comment"]
                    );
                    invalid += 1;
                }
                other => panic!("tcId {id}: unexpected result {other}"),
            }
        }
    }
    (valid, invalid)
}

#[test]
fn every_p1363_vector_gives_its_result_with_each_backend() {
    for backend in Backend::ALL {
        let (valid, invalid) = run(*backend);
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
