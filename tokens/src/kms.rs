//! KMS as a signer: create a `SIGN_VERIFY` key (and alias) — `ECC_NIST_P521`
//! by default, or the spec of any JWS algorithm — and sign JWS input —
//! `MessageType=RAW` up to KMS's 4096-byte limit, `DIGEST` beyond it —
//! converting KMS's DER ECDSA signatures to the fixed JOSE `R || S`.

use authorizer::Algorithm;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeySpec, KeyUsageType, MessageType, SigningAlgorithmSpec};
use sha2::{Digest, Sha512};

/// KMS's largest `RAW` message.
pub const MAX_RAW_MESSAGE: usize = 4096;

/// A created key.
#[derive(Debug, Clone)]
pub struct KmsKey {
    /// The key id (UUID).
    pub key_id: String,
    /// The key ARN.
    pub arn: String,
    /// The alias, if one was created.
    pub alias: Option<String>,
}

/// Errors from KMS calls or signature conversion.
#[derive(Debug, thiserror::Error)]
pub enum KmsSignError {
    /// The KMS call failed.
    #[error("{detail}")]
    Call {
        /// The operation.
        op: &'static str,
        /// The SDK error.
        detail: String,
    },
    /// The DER signature could not be converted.
    #[error(
        "KMS returned a signature that is not a strict DER ECDSA signature of the key's curve"
    )]
    BadDer,
    /// An Ed25519 or ML-DSA signing input beyond what KMS signs whole.
    #[error(
        "a {alg} signing input of {len} bytes: KMS signs at most {max} bytes as RAW for {alg} \
         (pure Ed25519 has no digest mode; ML-DSA's EXTERNAL_MU is not used here), so keep \
         the token's header and claims under {max} bytes"
    )]
    TooLongForRaw {
        /// The key's algorithm.
        alg: Algorithm,
        /// The input's length.
        len: usize,
        /// [`MAX_RAW_MESSAGE`].
        max: usize,
    },
}

fn call_err<E, R>(
    op: &'static str,
) -> impl FnOnce(aws_sdk_kms::error::SdkError<E, R>) -> KmsSignError
where
    E: aws_sdk_kms::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    move |e| KmsSignError::Call {
        op,
        detail: authorizer::aws_error::describe("KMS", op, &e),
    }
}

/// Deletes `key`'s alias and schedules the key's deletion (7 days, the
/// shortest window KMS allows).
///
/// # Errors
/// [`KmsSignError::Call`].
pub async fn schedule_deletion(
    client: &aws_sdk_kms::Client,
    key: &KmsKey,
) -> Result<(), KmsSignError> {
    if let Some(alias) = &key.alias {
        client
            .delete_alias()
            .alias_name(alias)
            .send()
            .await
            .map_err(call_err("DeleteAlias"))?;
    }
    client
        .schedule_key_deletion()
        .key_id(&key.key_id)
        .pending_window_in_days(7)
        .send()
        .await
        .map_err(call_err("ScheduleKeyDeletion"))?;
    Ok(())
}

/// Creates an ECC_NIST_P521 SIGN_VERIFY key, and `alias` for it if given.
///
/// # Errors
/// [`KmsSignError::Call`].
pub async fn create_key(
    client: &aws_sdk_kms::Client,
    alias: Option<&str>,
) -> Result<KmsKey, KmsSignError> {
    create_key_spec(client, KeySpec::EccNistP521, alias).await
}

/// The KMS key spec of a JWS algorithm (RSA: 2048 bits).
pub fn key_spec_for(alg: Algorithm) -> KeySpec {
    match alg {
        Algorithm::Es256 => KeySpec::EccNistP256,
        Algorithm::Es384 => KeySpec::EccNistP384,
        Algorithm::Es512 => KeySpec::EccNistP521,
        Algorithm::Es256k => KeySpec::EccSecgP256K1,
        Algorithm::Ed25519 => KeySpec::EccNistEdwards25519,
        Algorithm::MlDsa44 => KeySpec::MlDsa44,
        Algorithm::MlDsa65 => KeySpec::MlDsa65,
        Algorithm::MlDsa87 => KeySpec::MlDsa87,
        _ => KeySpec::Rsa2048,
    }
}

/// Creates a SIGN_VERIFY key of `spec`, and `alias` for it if given.
///
/// # Errors
/// [`KmsSignError::Call`].
pub async fn create_key_spec(
    client: &aws_sdk_kms::Client,
    spec: KeySpec,
    alias: Option<&str>,
) -> Result<KmsKey, KmsSignError> {
    let out = client
        .create_key()
        .key_spec(spec.clone())
        .key_usage(KeyUsageType::SignVerify)
        .description(format!("JWT signing key ({}, harness)", spec.as_str()))
        .send()
        .await
        .map_err(call_err("CreateKey"))?;
    let meta = out.key_metadata().ok_or(KmsSignError::Call {
        op: "CreateKey",
        detail: "no metadata".into(),
    })?;
    let key = KmsKey {
        key_id: meta.key_id().to_owned(),
        arn: meta.arn().unwrap_or_default().to_owned(),
        alias: alias.map(str::to_owned),
    };
    if let Some(alias) = alias {
        client
            .create_alias()
            .alias_name(alias)
            .target_key_id(&key.key_id)
            .send()
            .await
            .map_err(call_err("CreateAlias"))?;
    }
    Ok(key)
}

/// Signs `input` with `ECDSA_SHA_512`, returning the JOSE `R || S`.
///
/// # Errors
/// [`KmsSignError`].
pub async fn sign(
    client: &aws_sdk_kms::Client,
    key_id: &str,
    input: &[u8],
) -> Result<[u8; 132], KmsSignError> {
    if input.len() <= MAX_RAW_MESSAGE {
        sign_message(client, key_id, input.to_vec(), MessageType::Raw).await
    } else {
        sign_message(
            client,
            key_id,
            Sha512::digest(input).to_vec(),
            MessageType::Digest,
        )
        .await
    }
}

async fn sign_message(
    client: &aws_sdk_kms::Client,
    key_id: &str,
    message: Vec<u8>,
    kind: MessageType,
) -> Result<[u8; 132], KmsSignError> {
    let out = client
        .sign()
        .key_id(key_id)
        .message(Blob::new(message))
        .message_type(kind)
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha512)
        .send()
        .await
        .map_err(call_err("Sign"))?;
    let der = out.signature().ok_or(KmsSignError::BadDer)?;
    der_to_jose(der.as_ref()).ok_or(KmsSignError::BadDer)
}

/// Signs a caller-supplied 64-byte digest (`MessageType=DIGEST`).
///
/// # Errors
/// [`KmsSignError`].
pub async fn sign_digest(
    client: &aws_sdk_kms::Client,
    key_id: &str,
    digest: &[u8; 64],
) -> Result<[u8; 132], KmsSignError> {
    sign_message(client, key_id, digest.to_vec(), MessageType::Digest).await
}

/// Converts a DER `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }`
/// (RFC 3279 §2.2.3) to the fixed 132-byte JOSE form of P-521 (RFC 7518
/// §3.4). See [`der_to_jose_len`].
pub fn der_to_jose(der: &[u8]) -> Option<[u8; 132]> {
    der_to_jose_len(der, 66)?.try_into().ok()
}

/// Converts a DER ECDSA signature to the JOSE `R || S` of a curve whose
/// scalars are `scalar_len` bytes (32, 48 or 66), left-padding r and s.
/// Strict DER: minimal lengths, minimal positive integers, no trailing data;
/// `None` otherwise.
pub fn der_to_jose_len(der: &[u8], scalar_len: usize) -> Option<Vec<u8>> {
    let (body, rest) = der_tlv(der, 0x30)?;
    if !rest.is_empty() {
        return None;
    }
    let (r, body) = der_tlv(body, 0x02)?;
    let (s, body) = der_tlv(body, 0x02)?;
    if !body.is_empty() {
        return None;
    }
    let mut out = vec![0u8; 2 * scalar_len];
    put_scalar(r, &mut out[..scalar_len])?;
    put_scalar(s, &mut out[scalar_len..])?;
    Some(out)
}

/// Signs `input` as JWS `alg` with a KMS key of the matching spec: the
/// message itself up to 4096 bytes, its digest beyond (ECDSA, RSA; an
/// Ed25519 or ML-DSA input beyond is refused); ECDSA's DER turned into
/// `R || S`, the others' signatures as returned.
///
/// # Errors
/// [`KmsSignError`].
pub async fn sign_as(
    client: &aws_sdk_kms::Client,
    key_id: &str,
    alg: Algorithm,
    input: &[u8],
) -> Result<Vec<u8>, KmsSignError> {
    use sha2::{Sha256, Sha384};
    let spec = SigningAlgorithmSpec::from(alg.kms_name());
    if input.len() > MAX_RAW_MESSAGE && (alg == Algorithm::Ed25519 || alg.is_ml_dsa()) {
        return Err(KmsSignError::TooLongForRaw {
            alg,
            len: input.len(),
            max: MAX_RAW_MESSAGE,
        });
    }
    let (message, kind) = if input.len() <= MAX_RAW_MESSAGE {
        (input.to_vec(), MessageType::Raw)
    } else {
        let digest = match alg {
            Algorithm::Es256 | Algorithm::Es256k | Algorithm::Rs256 | Algorithm::Ps256 => {
                Sha256::digest(input).to_vec()
            }
            Algorithm::Es384 | Algorithm::Rs384 | Algorithm::Ps384 => {
                Sha384::digest(input).to_vec()
            }
            _ => Sha512::digest(input).to_vec(),
        };
        (digest, MessageType::Digest)
    };
    let out = client
        .sign()
        .key_id(key_id)
        .message(Blob::new(message))
        .message_type(kind)
        .signing_algorithm(spec)
        .send()
        .await
        .map_err(call_err("Sign"))?;
    let sig = out
        .signature()
        .ok_or(KmsSignError::BadDer)?
        .as_ref()
        .to_vec();
    match alg.curve() {
        Some(curve) => der_to_jose_len(&sig, curve.scalar_len()).ok_or(KmsSignError::BadDer),
        None => Ok(sig),
    }
}

/// One DER TLV with the given tag: (contents, remainder).
fn der_tlv(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&t, rest) = input.split_first()?;
    if t != tag {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = match first {
        0..=0x7f => (usize::from(first), rest),
        0x81 => {
            let (&l, rest) = rest.split_first()?;
            if l < 0x80 {
                return None; // not minimal
            }
            (usize::from(l), rest)
        }
        0x82 => {
            let (l, rest) = rest.split_at_checked(2)?;
            let len = usize::from(l[0]) << 8 | usize::from(l[1]);
            if len < 0x100 {
                return None;
            }
            (len, rest)
        }
        _ => return None,
    };
    rest.split_at_checked(len)
}

/// A positive, minimally encoded INTEGER into a 66-byte big-endian slot.
fn put_scalar(int: &[u8], slot: &mut [u8]) -> Option<()> {
    let (&first, _) = int.split_first()?;
    if first & 0x80 != 0 {
        return None; // negative
    }
    if first == 0 && int.len() > 1 && int[1] & 0x80 == 0 {
        return None; // non-minimal leading zero
    }
    let digits = if first == 0 { &int[1..] } else { int };
    if digits.len() > slot.len() || digits.is_empty() {
        return None;
    }
    let start = slot.len() - digits.len();
    slot[start..].copy_from_slice(digits);
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_short_and_padded_scalars() {
        // r = 1 (one byte), s = 0x80 (needs a leading zero in DER).
        let der = [0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0x80];
        let jose = der_to_jose(&der).expect("valid");
        assert_eq!(jose[65], 1);
        assert!(jose[..65].iter().all(|&b| b == 0));
        assert_eq!(jose[131], 0x80);
    }

    #[test]
    fn refuses_malformed_der() {
        for bad in [
            &[][..],
            &[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01][..], // short
            &[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00][..], // trailing
            &[0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01][..], // negative
            &[0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01][..], // non-minimal
            &[0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01][..], // wrong tag
            &[0x30, 0x81, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01][..], // long form < 128
        ] {
            assert!(der_to_jose(bad).is_none(), "{bad:02x?}");
        }
    }
}
