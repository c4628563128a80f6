//! Test helpers (feature `test-util`): deterministic P-521 keys and genuinely
//! signed tokens. Not for production: nothing here is constant-time and the
//! keys are derived from a one-byte seed.

use crate::crypto::POINT_LEN;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use p521_verify::ecdsa::signature::Signer;
use p521_verify::ecdsa::{Signature, SigningKey, VerifyingKey};

/// A deterministic P-521 key pair for tests.
pub struct TestKey {
    signing: SigningKey,
}

impl std::fmt::Debug for TestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TestKey")
    }
}

impl TestKey {
    /// The key whose secret scalar is 66 bytes of `seed` (`seed` ≥ 1).
    ///
    /// # Panics
    /// If `seed` is 0.
    pub fn new(seed: u8) -> Self {
        assert!(seed > 0, "seed 0 is not a valid scalar");
        let mut bytes = [seed; 66];
        bytes[0] = 0x01; // keep the scalar below the group order
        #[allow(clippy::expect_used)]
        let signing = SigningKey::from_slice(&bytes).expect("valid scalar");
        Self { signing }
    }

    /// The uncompressed public point.
    pub fn point(&self) -> [u8; POINT_LEN] {
        let vk = VerifyingKey::from(&self.signing);
        let enc = vk.to_sec1_point(false);
        let mut out = [0u8; POINT_LEN];
        out.copy_from_slice(enc.as_bytes());
        out
    }

    /// The public key as a PEM SubjectPublicKeyInfo.
    pub fn pem(&self) -> String {
        let der = crate::crypto::spki_der(&self.point());
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(chunk).unwrap_or_default());
            pem.push('\n');
        }
        pem.push_str("-----END PUBLIC KEY-----\n");
        pem
    }

    /// A JWKS with this key under `kid`.
    pub fn jwks(&self, kid: &str) -> String {
        let p = self.point();
        serde_json::json!({"keys": [{
            "kty": "EC", "crv": "P-521", "kid": kid, "use": "sig", "alg": "ES512",
            "x": URL_SAFE_NO_PAD.encode(&p[1..67]), "y": URL_SAFE_NO_PAD.encode(&p[67..]),
        }]})
        .to_string()
    }

    /// The raw 132-byte `R || S` signature over `message`.
    pub fn sign_raw(&self, message: &[u8]) -> [u8; 132] {
        let sig: Signature = self.signing.sign(message);
        let mut out = [0u8; 132];
        out.copy_from_slice(&sig.to_bytes());
        out
    }

    /// A compact ES512 JWS over the given header and claims JSON text.
    pub fn token(&self, header: &str, claims: &str) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims)
        );
        let sig = self.sign_raw(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }
}
