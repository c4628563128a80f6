//! The one place a compact JWS is assembled — the signing input,
//! `base64url(header) "." base64url(claims)` — and the local ES512 signer
//! (the `p521` crate, independent of the authorizer's verification code).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use p521::ecdsa::signature::Signer;
use p521::ecdsa::{Signature, SigningKey, VerifyingKey};
use p521::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};

/// A local P-521 signing key.
pub struct LocalSigner {
    key: SigningKey,
}

impl std::fmt::Debug for LocalSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LocalSigner")
    }
}

impl LocalSigner {
    /// A fresh random key.
    pub fn generate() -> Self {
        Self {
            key: SigningKey::random(&mut rand_core::OsRng),
        }
    }

    /// The public key as PEM SubjectPublicKeyInfo.
    ///
    /// # Panics
    /// Never for a valid key (encoding is infallible in practice).
    pub fn public_pem(&self) -> String {
        let vk = VerifyingKey::from(&self.key);
        let point = vk.to_encoded_point(false);
        let pk = p521::PublicKey::from_sec1_bytes(point.as_bytes()).expect("valid point");
        pk.to_public_key_pem(LineEnding::LF).expect("pem")
    }

    /// The private key as PKCS#8 PEM.
    ///
    /// # Errors
    /// If encoding fails.
    pub fn private_pem(&self) -> Result<String, p521::pkcs8::Error> {
        let sk = p521::SecretKey::from_bytes(&self.key.to_bytes())
            .map_err(|_| p521::pkcs8::Error::KeyMalformed)?;
        Ok(sk.to_pkcs8_pem(LineEnding::LF)?.to_string())
    }

    /// The public key as SubjectPublicKeyInfo DER.
    pub fn spki_der(&self) -> Vec<u8> {
        let point = VerifyingKey::from(&self.key).to_encoded_point(false);
        authorizer::spki_der(point.as_bytes().try_into().unwrap_or(&[0u8; 133]))
    }

    /// The uncompressed public point.
    pub fn point(&self) -> Vec<u8> {
        VerifyingKey::from(&self.key)
            .to_encoded_point(false)
            .as_bytes()
            .to_vec()
    }

    /// The underlying key.
    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// Loads a PKCS#8 PEM private key (as written by `harness keys new`).
    ///
    /// # Errors
    /// When the PEM is not a P-521 PKCS#8 key: why, in words.
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, String> {
        use p521::pkcs8::DecodePrivateKey;
        let sk = p521::SecretKey::from_pkcs8_pem(pem).map_err(|e| e.to_string())?;
        let key = SigningKey::from_bytes(&sk.to_bytes()).map_err(|e| e.to_string())?;
        Ok(Self { key })
    }

    /// The 132-byte `R || S` over `input`.
    pub fn sign(&self, input: &[u8]) -> [u8; 132] {
        let sig: Signature = self.key.sign(input);
        let mut out = [0u8; 132];
        out.copy_from_slice(&sig.to_bytes());
        out
    }

    /// A compact JWS from header and claims JSON text.
    pub fn token(&self, header: &str, claims: &str) -> String {
        let input = signing_input(header, claims);
        let sig = self.sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }
}

/// `base64url(header) "." base64url(claims)`.
pub fn signing_input(header: &str, claims: &str) -> String {
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    )
}
