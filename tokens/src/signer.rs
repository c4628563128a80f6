//! Who signs genuine tokens: a local key of any supported spec, or a KMS
//! key. Each signer has exactly one algorithm, as the authorizer pins it.

use crate::keypair::{KeyError, LocalKey, Spec};
use authorizer::Algorithm;
use p521::ecdsa::signature::hazmat::PrehashSigner;

/// A genuine signer.
#[derive(Debug)]
pub enum Signer {
    /// A local key.
    Local(LocalKey),
    /// A KMS key, with its public key as returned by `GetPublicKey`.
    Kms {
        /// The client.
        client: aws_sdk_kms::Client,
        /// Key id, ARN or alias.
        key_id: String,
        /// SubjectPublicKeyInfo DER.
        spki_der: Vec<u8>,
        /// The algorithm the key signs as (its spec's, or the one named).
        alg: Algorithm,
    },
}

impl Signer {
    /// A fresh local key of `spec`.
    ///
    /// # Errors
    /// When the key cannot be generated.
    pub fn generate(spec: Spec) -> crate::Result<Self> {
        Ok(LocalKey::generate(spec).map(Self::Local)?)
    }

    /// A KMS signer for `entry` (`ID`, `alias/NAME`, an ARN, each optionally
    /// followed by `:ALG`, as in `JWT_KMS_KEY_IDS`); fetches the public key
    /// once. An RSA key needs its algorithm named.
    ///
    /// # Errors
    /// When `GetPublicKey` fails or the key cannot sign as asked.
    #[allow(deprecated)] // moto omits KeySpec; CustomerMasterKeySpec is the fallback
    pub async fn kms(client: aws_sdk_kms::Client, entry: &str) -> crate::Result<Self> {
        let (key_id, pinned) = authorizer::keys::split_kms_entry("--kms-key-id", entry)?;
        let out = client
            .get_public_key()
            .key_id(&key_id)
            .send()
            .await
            .map_err(|e| {
                let region = client.config().region().map(|r| r.as_ref().to_owned());
                crate::Error::kms(
                    "GetPublicKey",
                    e,
                    format!("key {key_id}"),
                    region.as_deref(),
                )
            })?;
        let spec = out
            .key_spec()
            .map(aws_sdk_kms::types::KeySpec::as_str)
            .or(out
                .customer_master_key_spec()
                .map(aws_sdk_kms::types::CustomerMasterKeySpec::as_str))
            .unwrap_or("unknown");
        let alg = authorizer::kms::algorithm_for(spec, pinned, entry)
            .map_err(|e| crate::Error::from(e).context(format!("--kms-key-id {entry}")))?;
        let spki_der = out
            .public_key()
            .map(|b| b.as_ref().to_vec())
            .ok_or_else(|| crate::Error::unavailable("GetPublicKey returned no key"))?;
        Ok(Self::Kms {
            client,
            key_id,
            spki_der,
            alg,
        })
    }

    /// How it signs, for a stage line: "through KMS", "with a local
    /// ML-DSA-65 key".
    pub fn how(&self) -> String {
        match self {
            Signer::Local(k) => format!("with a local {} key", k.algorithm()),
            Signer::Kms { .. } => "through KMS".to_owned(),
        }
    }

    /// The one algorithm this signer's tokens carry.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            Signer::Local(k) => k.algorithm(),
            Signer::Kms { alg, .. } => *alg,
        }
    }

    /// The public key as SubjectPublicKeyInfo DER.
    pub fn spki_der(&self) -> Vec<u8> {
        match self {
            Signer::Local(s) => s.spki_der(),
            Signer::Kms { spki_der, .. } => spki_der.clone(),
        }
    }

    /// The public key as PEM.
    pub fn public_pem(&self) -> String {
        crate::keypair::public_pem(&self.spki_der())
    }

    /// The authorizer settings that pin this key's algorithm for a PEM
    /// configuration: `JWT_PUBLIC_KEY_ALG` for RSA keys (EC keys need none).
    pub fn pem_alg_env(&self) -> Option<(String, String)> {
        let alg = self.algorithm();
        alg.is_rsa()
            .then(|| ("JWT_PUBLIC_KEY_ALG".to_owned(), alg.name().to_owned()))
    }

    /// The JWS signature over `input` (ECDSA as fixed `R || S`).
    ///
    /// # Errors
    /// KMS failures.
    pub async fn sign(&self, input: &[u8]) -> crate::Result<Vec<u8>> {
        self.sign_as(self.algorithm(), input).await
    }

    /// The signature over `input` as `alg`, which must fit the key (RS256
    /// and PS256 on one RSA key: forgery cases).
    ///
    /// # Errors
    /// KMS failures, or `alg` does not fit the key.
    pub async fn sign_as(&self, alg: Algorithm, input: &[u8]) -> crate::Result<Vec<u8>> {
        Ok(match self {
            Signer::Local(s) => s.sign_as(alg, input)?,
            Signer::Kms { client, key_id, .. } => {
                crate::kms::sign_as(client, key_id, alg, input).await?
            }
        })
    }

    /// ES512 keys only: ECDSA with the genuine key over a 64-byte "digest"
    /// chosen by the caller (used to forge `ES256`/`ES384`-labelled tokens
    /// with the P-521 key: a shorter hash zero-padded to 64 bytes).
    ///
    /// # Errors
    /// KMS failures, or the key is not a P-521 key.
    pub async fn dangerous_sign_digest(&self, digest: &[u8; 64]) -> crate::Result<[u8; 132]> {
        match self {
            Signer::Local(LocalKey::P521(s)) => {
                let sig: p521::ecdsa::Signature = s
                    .signing_key()
                    .sign_prehash(digest)
                    .map_err(|_| KeyError::Sign("ECDSA"))?;
                let mut out = [0u8; 132];
                out.copy_from_slice(&sig.to_bytes());
                Ok(out)
            }
            Signer::Kms {
                client,
                key_id,
                alg: Algorithm::Es512,
                ..
            } => Ok(crate::kms::sign_digest(client, key_id, digest).await?),
            _ => Err(KeyError::NotP521(self.algorithm()).into()),
        }
    }
}
