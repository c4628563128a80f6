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
        spki_pem(&crate::crypto::spki_der(&self.point()))
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

/// A key pair of any supported algorithm (aws-lc-rs; test and bench only),
/// for pipeline tests of algorithms other than ES512.
#[cfg(feature = "aws-lc")]
pub struct AnySigner {
    alg: crate::crypto::Algorithm,
    key: AnyKey,
}

#[cfg(feature = "aws-lc")]
enum AnyKey {
    Ec(aws_lc_rs::signature::EcdsaKeyPair),
    Rsa(aws_lc_rs::rsa::KeyPair),
    Ed25519(aws_lc_rs::signature::Ed25519KeyPair),
    MlDsa(aws_lc_rs::signature::PqdsaKeyPair),
}

#[cfg(feature = "aws-lc")]
impl std::fmt::Debug for AnySigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnySigner").field("alg", &self.alg).finish()
    }
}

#[cfg(feature = "aws-lc")]
impl AnySigner {
    /// A fresh key for `alg` (RSA: 2048 bits).
    ///
    /// # Panics
    /// If aws-lc-rs cannot generate the key.
    #[allow(clippy::expect_used)]
    pub fn generate(alg: crate::crypto::Algorithm) -> Self {
        Self::generate_rsa_bits(alg, 2048)
    }

    /// A fresh key for `alg`, RSA keys of `bits` (2048, 3072 or 4096).
    ///
    /// # Panics
    /// If aws-lc-rs cannot generate the key.
    #[allow(clippy::expect_used)]
    pub fn generate_rsa_bits(alg: crate::crypto::Algorithm, bits: usize) -> Self {
        use crate::crypto::Algorithm as A;
        use aws_lc_rs::rsa::KeySize;
        use aws_lc_rs::signature as s;
        let key = match alg {
            A::Es256 => AnyKey::Ec(
                s::EcdsaKeyPair::generate(&s::ECDSA_P256_SHA256_FIXED_SIGNING).expect("P-256"),
            ),
            A::Es384 => AnyKey::Ec(
                s::EcdsaKeyPair::generate(&s::ECDSA_P384_SHA384_FIXED_SIGNING).expect("P-384"),
            ),
            A::Es512 => AnyKey::Ec(
                s::EcdsaKeyPair::generate(&s::ECDSA_P521_SHA512_FIXED_SIGNING).expect("P-521"),
            ),
            A::Es256k => AnyKey::Ec(
                s::EcdsaKeyPair::generate(&s::ECDSA_P256K1_SHA256_FIXED_SIGNING)
                    .expect("secp256k1"),
            ),
            A::Ed25519 => AnyKey::Ed25519(s::Ed25519KeyPair::generate().expect("Ed25519")),
            A::MlDsa44 => {
                AnyKey::MlDsa(s::PqdsaKeyPair::generate(&s::ML_DSA_44_SIGNING).expect("ML-DSA-44"))
            }
            A::MlDsa65 => {
                AnyKey::MlDsa(s::PqdsaKeyPair::generate(&s::ML_DSA_65_SIGNING).expect("ML-DSA-65"))
            }
            A::MlDsa87 => {
                AnyKey::MlDsa(s::PqdsaKeyPair::generate(&s::ML_DSA_87_SIGNING).expect("ML-DSA-87"))
            }
            _ => AnyKey::Rsa(
                aws_lc_rs::rsa::KeyPair::generate(match bits {
                    3072 => KeySize::Rsa3072,
                    4096 => KeySize::Rsa4096,
                    _ => KeySize::Rsa2048,
                })
                .expect("RSA"),
            ),
        };
        Self { alg, key }
    }

    /// The algorithm.
    pub fn algorithm(&self) -> crate::crypto::Algorithm {
        self.alg
    }

    /// The public key as SubjectPublicKeyInfo DER.
    ///
    /// # Panics
    /// If aws-lc-rs cannot encode it.
    #[allow(clippy::expect_used)]
    pub fn spki_der(&self) -> Vec<u8> {
        use aws_lc_rs::encoding::AsDer;
        use aws_lc_rs::signature::KeyPair;
        match &self.key {
            AnyKey::Ec(k) => k.public_key().as_der().expect("SPKI").as_ref().to_vec(),
            AnyKey::Rsa(k) => k.public_key().as_der().expect("SPKI").as_ref().to_vec(),
            AnyKey::Ed25519(k) => k.public_key().as_der().expect("SPKI").as_ref().to_vec(),
            AnyKey::MlDsa(k) => k.public_key().as_der().expect("SPKI").as_ref().to_vec(),
        }
    }

    /// The public JWK, `kid` bound: `EC` (`crv`, `x`, `y`), `RSA` (`n`, `e`
    /// and the `alg` it requires), `OKP` (`crv` Ed25519, `x`), `AKP` (`alg`,
    /// `pub`), read from the key pair itself.
    pub fn jwk(&self, kid: &str) -> serde_json::Value {
        use aws_lc_rs::signature::KeyPair;
        use serde_json::json;
        let b64 = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
        let alg = self.alg;
        match &self.key {
            AnyKey::Ec(k) => {
                let p = k.public_key().as_ref();
                let l = (p.len() - 1) / 2;
                let crv = alg.curve().map_or("?", crate::crypto::Curve::jwk_name);
                json!({"kty": "EC", "crv": crv, "kid": kid, "x": b64(&p[1..=l]), "y": b64(&p[1 + l..])})
            }
            AnyKey::Rsa(k) => {
                let public = k.public_key();
                json!({"kty": "RSA", "alg": alg.name(), "kid": kid,
                       "n": b64(public.modulus().big_endian_without_leading_zero()),
                       "e": b64(public.exponent().big_endian_without_leading_zero())})
            }
            AnyKey::Ed25519(k) => {
                json!({"kty": "OKP", "crv": "Ed25519", "kid": kid, "x": b64(k.public_key().as_ref())})
            }
            AnyKey::MlDsa(k) => {
                json!({"kty": "AKP", "alg": alg.name(), "kid": kid, "pub": b64(k.public_key().as_ref())})
            }
        }
    }

    /// The raw public key of an Ed25519 or ML-DSA key (a JWK's `x` or
    /// `pub`); empty for EC and RSA keys.
    pub fn raw_public(&self) -> Vec<u8> {
        use aws_lc_rs::signature::KeyPair;
        match &self.key {
            AnyKey::Ed25519(k) => k.public_key().as_ref().to_vec(),
            AnyKey::MlDsa(k) => k.public_key().as_ref().to_vec(),
            AnyKey::Ec(_) | AnyKey::Rsa(_) => Vec::new(),
        }
    }

    /// The public key as PEM.
    pub fn pem(&self) -> String {
        spki_pem(&self.spki_der())
    }

    /// The JWS signature over `message` (fixed `R || S` for ECDSA).
    ///
    /// # Panics
    /// If aws-lc-rs cannot sign.
    #[allow(clippy::expect_used)]
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        use crate::crypto::Algorithm as A;
        use aws_lc_rs::signature as s;
        let rng = aws_lc_rs::rand::SystemRandom::new();
        match &self.key {
            AnyKey::Ec(k) => k.sign(&rng, message).expect("sign").as_ref().to_vec(),
            AnyKey::Rsa(k) => {
                let enc: &'static dyn s::RsaEncoding = match self.alg {
                    A::Rs256 => &s::RSA_PKCS1_SHA256,
                    A::Rs384 => &s::RSA_PKCS1_SHA384,
                    A::Rs512 => &s::RSA_PKCS1_SHA512,
                    A::Ps256 => &s::RSA_PSS_SHA256,
                    A::Ps384 => &s::RSA_PSS_SHA384,
                    _ => &s::RSA_PSS_SHA512,
                };
                let mut sig = vec![0u8; k.public_modulus_len()];
                k.sign(enc, &rng, message, &mut sig).expect("sign");
                sig
            }
            AnyKey::Ed25519(k) => k.sign(message).as_ref().to_vec(),
            AnyKey::MlDsa(k) => {
                let mut sig = vec![0u8; k.algorithm().signature_len()];
                let n = k.sign(message, &mut sig).expect("sign");
                sig.truncate(n);
                sig
            }
        }
    }

    /// A compact JWS over the given header and claims JSON text.
    pub fn token(&self, header: &str, claims: &str) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims)
        );
        let sig = self.sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }
}

/// SubjectPublicKeyInfo DER as a PEM `PUBLIC KEY` block (64-column base64).
fn spki_pem(der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        pem.push('\n');
    }
    pem.push_str("-----END PUBLIC KEY-----\n");
    pem
}
