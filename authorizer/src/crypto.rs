//! ES512 signature verification (RFC 7518 §3.4): ECDSA over P-521 with
//! SHA-512, signature the fixed 132-byte `R || S`. Two interchangeable
//! backends: aws-lc-rs (default) and RustCrypto's pure-Rust `p521`.

use crate::RejectReason;

/// Length of an ES512 signature: 66-byte `R` followed by 66-byte `S`.
pub const SIGNATURE_LEN: usize = 132;
/// Length of an uncompressed SEC1 P-521 point: `0x04 || X || Y`.
pub const POINT_LEN: usize = 133;
const SCALAR_LEN: usize = 66;

/// The order n of the P-521 group, big-endian in 66 bytes (SEC 2 §2.6.1).
const ORDER_N: [u8; SCALAR_LEN] = [
    0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xfa, 0x51, 0x86, 0x87, 0x83, 0xbf, 0x2f, 0x96, 0x6b, 0x7f, 0xcc, 0x01, 0x48, 0xf7, 0x09,
    0xa5, 0xd0, 0x3b, 0xb5, 0xc9, 0xb8, 0x89, 0x9c, 0x47, 0xae, 0xbb, 0x6f, 0xb7, 0x1e, 0x91, 0x38,
    0x64, 0x09,
];

/// The DER prefix of a P-521 SubjectPublicKeyInfo with an uncompressed point
/// (RFC 5480: id-ecPublicKey, secp521r1), as KMS `GetPublicKey` returns it.
const SPKI_P521_PREFIX: [u8; 26] = [
    0x30, 0x81, 0x9b, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05,
    0x2b, 0x81, 0x04, 0x00, 0x23, 0x03, 0x81, 0x86, 0x00, 0x04,
];

/// Which library checks signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// aws-lc-rs `ECDSA_P521_SHA512_FIXED` with the key parsed once.
    #[cfg(feature = "aws-lc")]
    AwsLc,
    /// RustCrypto `p521` (pure Rust).
    P521,
}

impl Backend {
    /// Every backend compiled into this build.
    pub const ALL: &'static [Backend] = &[
        #[cfg(feature = "aws-lc")]
        Backend::AwsLc,
        Backend::P521,
    ];

    /// The backend this build uses: `p521` when the `p521` feature is on or
    /// aws-lc-rs is not compiled in, aws-lc-rs otherwise.
    pub const fn default_backend() -> Backend {
        #[cfg(all(feature = "aws-lc", not(feature = "p521")))]
        {
            Backend::AwsLc
        }
        #[cfg(any(not(feature = "aws-lc"), feature = "p521"))]
        {
            Backend::P521
        }
    }

    /// A short name for logs and reports.
    pub const fn name(self) -> &'static str {
        match self {
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => "aws-lc-rs",
            Backend::P521 => "p521",
        }
    }
}

/// A P-521 public key, parsed once for its backend.
#[derive(Clone)]
pub struct PublicKey {
    inner: Inner,
    point: [u8; POINT_LEN],
}

#[derive(Clone)]
enum Inner {
    #[cfg(feature = "aws-lc")]
    AwsLc(aws_lc_rs::signature::ParsedPublicKey),
    P521(p521_verify::ecdsa::VerifyingKey),
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicKey")
            .field("backend", &self.backend().name())
            .finish_non_exhaustive()
    }
}

/// Why a key could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not a DER SubjectPublicKeyInfo for P-521 with an uncompressed point.
    #[error("not a P-521 SubjectPublicKeyInfo with an uncompressed point")]
    NotP521Spki,
    /// The point is not on the P-521 curve.
    #[error("the point is not a valid P-521 public key")]
    InvalidPoint,
}

impl PublicKey {
    /// Parses an uncompressed SEC1 point (`0x04 || X || Y`).
    ///
    /// # Errors
    /// [`KeyError::InvalidPoint`] if it is not a point on P-521.
    pub fn from_point(backend: Backend, point: &[u8]) -> Result<Self, KeyError> {
        let point: [u8; POINT_LEN] = point.try_into().map_err(|_| KeyError::InvalidPoint)?;
        if point[0] != 0x04 {
            return Err(KeyError::InvalidPoint);
        }
        let inner = match backend {
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => Inner::AwsLc(
                aws_lc_rs::signature::ParsedPublicKey::new(
                    &aws_lc_rs::signature::ECDSA_P521_SHA512_FIXED,
                    point,
                )
                .map_err(|_| KeyError::InvalidPoint)?,
            ),
            Backend::P521 => Inner::P521(
                p521_verify::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                    .map_err(|_| KeyError::InvalidPoint)?,
            ),
        };
        Ok(Self { inner, point })
    }

    /// Parses a DER SubjectPublicKeyInfo (what KMS `GetPublicKey` returns).
    ///
    /// # Errors
    /// [`KeyError`] if it is not an uncompressed P-521 key.
    pub fn from_spki_der(backend: Backend, der: &[u8]) -> Result<Self, KeyError> {
        let point = der
            .strip_prefix(&SPKI_P521_PREFIX[..SPKI_P521_PREFIX.len() - 1])
            .filter(|p| p.len() == POINT_LEN)
            .ok_or(KeyError::NotP521Spki)?;
        Self::from_point(backend, point)
    }

    /// The backend that parsed this key.
    pub fn backend(&self) -> Backend {
        match self.inner {
            #[cfg(feature = "aws-lc")]
            Inner::AwsLc(_) => Backend::AwsLc,
            Inner::P521(_) => Backend::P521,
        }
    }

    /// The uncompressed SEC1 point.
    pub fn point(&self) -> &[u8; POINT_LEN] {
        &self.point
    }

    /// Verifies an ES512 signature over `message`.
    ///
    /// # Errors
    /// [`RejectReason::BadSignature`], with no further detail on purpose.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), RejectReason> {
        let sig: &[u8; SIGNATURE_LEN] = signature
            .try_into()
            .map_err(|_| RejectReason::BadSignature)?;
        // SEC 1 §4.1.4 step 1: r and s in [1, n-1]. The backends check this
        // too; checking here keeps the rule independent of either.
        let (r, s) = sig.split_at(SCALAR_LEN);
        if !scalar_in_range(r) || !scalar_in_range(s) {
            return Err(RejectReason::BadSignature);
        }
        let ok = match &self.inner {
            #[cfg(feature = "aws-lc")]
            Inner::AwsLc(key) => key.verify_sig(message, sig).is_ok(),
            Inner::P521(key) => {
                use p521_verify::ecdsa::signature::Verifier;
                match p521_verify::ecdsa::Signature::from_slice(sig) {
                    Ok(sig) => key.verify(message, &sig).is_ok(),
                    Err(_) => false,
                }
            }
        };
        if ok {
            Ok(())
        } else {
            Err(RejectReason::BadSignature)
        }
    }
}

/// `1 <= x <= n - 1` for a 66-byte big-endian scalar.
fn scalar_in_range(x: &[u8]) -> bool {
    x.iter().any(|&b| b != 0) && x < &ORDER_N[..]
}

/// The P-521 group order, for tests and token forging in the harness.
pub const fn group_order() -> [u8; SCALAR_LEN] {
    ORDER_N
}

/// The DER SubjectPublicKeyInfo for an uncompressed P-521 point.
pub fn spki_der(point: &[u8; POINT_LEN]) -> Vec<u8> {
    let mut der = Vec::with_capacity(SPKI_P521_PREFIX.len() + POINT_LEN - 1);
    der.extend_from_slice(&SPKI_P521_PREFIX[..SPKI_P521_PREFIX.len() - 1]);
    der.extend_from_slice(point);
    der
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_check_bounds() {
        let zero = [0u8; SCALAR_LEN];
        let mut one = [0u8; SCALAR_LEN];
        one[SCALAR_LEN - 1] = 1;
        let mut n_minus_1 = ORDER_N;
        n_minus_1[SCALAR_LEN - 1] -= 1;
        assert!(!scalar_in_range(&zero));
        assert!(scalar_in_range(&one));
        assert!(scalar_in_range(&n_minus_1));
        assert!(!scalar_in_range(&ORDER_N));
        assert!(!scalar_in_range(&[0xff; SCALAR_LEN]));
    }

    #[test]
    fn rejects_non_p521_spki() {
        for b in Backend::ALL {
            assert_eq!(
                PublicKey::from_spki_der(*b, &[0x30, 0x00]).err(),
                Some(KeyError::NotP521Spki)
            );
            let mut der = spki_der(&[0x04; POINT_LEN]);
            assert_eq!(
                PublicKey::from_spki_der(*b, &der).err(),
                Some(KeyError::InvalidPoint)
            );
            der.push(0);
            assert_eq!(
                PublicKey::from_spki_der(*b, &der).err(),
                Some(KeyError::NotP521Spki)
            );
        }
    }
}
