//! Who signs genuine tokens: a local P-521 key or a KMS key.

use crate::mint::LocalSigner;
use p521::ecdsa::signature::hazmat::PrehashSigner;

/// A genuine ES512 signer.
#[derive(Debug)]
pub enum Signer {
    /// A local `p521` key.
    Local(LocalSigner),
    /// A KMS key, with its public key as returned by `GetPublicKey`.
    Kms {
        /// The client.
        client: aws_sdk_kms::Client,
        /// Key id, ARN or alias.
        key_id: String,
        /// SubjectPublicKeyInfo DER.
        spki_der: Vec<u8>,
    },
}

impl Signer {
    /// A KMS signer; fetches the public key once.
    ///
    /// # Errors
    /// When `GetPublicKey` fails.
    pub async fn kms(client: aws_sdk_kms::Client, key_id: &str) -> Result<Self, String> {
        let out = client
            .get_public_key()
            .key_id(key_id)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "{} (key {key_id})",
                    crate::aws_error::describe("KMS", "GetPublicKey", &e)
                )
            })?;
        let spki_der = out
            .public_key()
            .map(|b| b.as_ref().to_vec())
            .ok_or("GetPublicKey returned no key")?;
        Ok(Self::Kms {
            client,
            key_id: key_id.to_owned(),
            spki_der,
        })
    }

    /// The public key as SubjectPublicKeyInfo DER.
    pub fn spki_der(&self) -> Vec<u8> {
        match self {
            Signer::Local(s) => s.spki_der(),
            Signer::Kms { spki_der, .. } => spki_der.clone(),
        }
    }

    /// The public key as PEM (empty if KMS returned something unparseable,
    /// which the authorizer configuration then rejects by name).
    pub fn public_pem(&self) -> String {
        use p521::pkcs8::{DecodePublicKey, EncodePublicKey, LineEnding};
        p521::PublicKey::from_public_key_der(&self.spki_der())
            .ok()
            .and_then(|k| k.to_public_key_pem(LineEnding::LF).ok())
            .unwrap_or_default()
    }

    /// ES512 `R || S` over `input`.
    ///
    /// # Errors
    /// KMS failures.
    pub async fn sign(&self, input: &[u8]) -> Result<[u8; 132], String> {
        match self {
            Signer::Local(s) => Ok(s.sign(input)),
            Signer::Kms { client, key_id, .. } => crate::kms::sign(client, key_id, input)
                .await
                .map_err(|e| e.to_string()),
        }
    }

    /// ECDSA with the genuine key over a 64-byte "digest" chosen by the
    /// caller (used to forge `ES256`/`ES384`-labelled tokens with the P-521
    /// key: a shorter hash zero-padded to 64 bytes).
    ///
    /// # Errors
    /// KMS failures.
    pub async fn dangerous_sign_digest(&self, digest: &[u8; 64]) -> Result<[u8; 132], String> {
        match self {
            Signer::Local(s) => {
                let sig: p521::ecdsa::Signature = s
                    .signing_key()
                    .sign_prehash(digest)
                    .map_err(|e| e.to_string())?;
                let mut out = [0u8; 132];
                out.copy_from_slice(&sig.to_bytes());
                Ok(out)
            }
            Signer::Kms { client, key_id, .. } => crate::kms::sign_digest(client, key_id, digest)
                .await
                .map_err(|e| e.to_string()),
        }
    }
}
