//! JWS signature verification for every AWS KMS signing key spec (RFC 7518
//! §3.3–3.5, RFC 8812): ECDSA P-256 / P-384 / P-521 / secp256k1 with the
//! fixed-length `R || S` encoding, RSASSA-PKCS1-v1_5 and RSASSA-PSS (MGF1
//! with the same hash, salt as long as the hash) with SHA-256/384/512,
//! pure Ed25519 (RFC 9864, over the JWS signing input) and ML-DSA-44/65/87
//! (RFC 9964: FIPS 204 ML-DSA over the signing input, empty context).
//!
//! Every key carries exactly one [`Algorithm`], fixed when the key is loaded
//! (RFC 8725 §3.1): the token's `alg` must equal it, never choose it.
//! Two backends: aws-lc-rs (default, every algorithm) and RustCrypto's
//! pure-Rust `p521` (ES512 only; any other key is a configuration error).

use crate::reason::RejectReason;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// Length of an ES512 signature: 66-byte `R` followed by 66-byte `S`.
pub const SIGNATURE_LEN: usize = 132;
/// Length of an uncompressed SEC1 P-521 point: `0x04 || X || Y`.
pub const POINT_LEN: usize = 133;
/// Smallest RSA modulus accepted, in bits (RFC 7518 §3.3, §3.5).
pub const MIN_RSA_BITS: usize = 2048;
/// Largest RSA modulus accepted, in bits (aws-lc-rs' verification range).
pub const MAX_RSA_BITS: usize = 8192;
/// Longest signature of any algorithm: ML-DSA-87's 4627 bytes (FIPS 204).
pub const MAX_SIGNATURE_LEN: usize = 4627;

/// The order n of the P-521 group, big-endian in 66 bytes (SEC 2 §2.6.1).
const ORDER_P521: [u8; 66] = [
    0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xfa, 0x51, 0x86, 0x87, 0x83, 0xbf, 0x2f, 0x96, 0x6b, 0x7f, 0xcc, 0x01, 0x48, 0xf7, 0x09,
    0xa5, 0xd0, 0x3b, 0xb5, 0xc9, 0xb8, 0x89, 0x9c, 0x47, 0xae, 0xbb, 0x6f, 0xb7, 0x1e, 0x91, 0x38,
    0x64, 0x09,
];
/// P-256 (SEC 2 §2.4.2).
const ORDER_P256: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];
/// P-384 (SEC 2 §2.5.1).
const ORDER_P384: [u8; 48] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xc7, 0x63, 0x4d, 0x81, 0xf4, 0x37, 0x2d, 0xdf,
    0x58, 0x1a, 0x0d, 0xb2, 0x48, 0xb0, 0xa7, 0x7a, 0xec, 0xec, 0x19, 0x6a, 0xcc, 0xc5, 0x29, 0x73,
];
/// secp256k1 (SEC 2 §2.4.1).
const ORDER_K256: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
];

/// The DER prefix of a P-521 SubjectPublicKeyInfo with an uncompressed point
/// (RFC 5480: id-ecPublicKey, secp521r1), as KMS `GetPublicKey` returns it.
const SPKI_P521_PREFIX: [u8; 26] = [
    0x30, 0x81, 0x9b, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05,
    0x2b, 0x81, 0x04, 0x00, 0x23, 0x03, 0x81, 0x86, 0x00, 0x04,
];

/// The elliptic curves of KMS's ECC key specs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    /// `ECC_NIST_P256`.
    P256,
    /// `ECC_NIST_P384`.
    P384,
    /// `ECC_NIST_P521`.
    P521,
    /// `ECC_SECG_P256K1`.
    Secp256k1,
}

impl Curve {
    /// Every curve.
    pub const ALL: [Curve; 4] = [Curve::P256, Curve::P384, Curve::P521, Curve::Secp256k1];

    /// Bytes in a scalar (and in each of `R`, `S`, `x`, `y`).
    pub const fn scalar_len(self) -> usize {
        match self {
            Curve::P256 | Curve::Secp256k1 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }

    /// The group order n, big-endian in [`Curve::scalar_len`] bytes.
    pub const fn order(self) -> &'static [u8] {
        match self {
            Curve::P256 => &ORDER_P256,
            Curve::P384 => &ORDER_P384,
            Curve::P521 => &ORDER_P521,
            Curve::Secp256k1 => &ORDER_K256,
        }
    }

    /// The JWK `crv` (RFC 7518 §6.2.1.1, RFC 8812 §3.1).
    pub const fn jwk_name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
            Curve::P521 => "P-521",
            Curve::Secp256k1 => "secp256k1",
        }
    }

    /// The curve for a JWK `crv`.
    pub fn from_jwk_name(crv: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.jwk_name() == crv)
    }

    /// The one JWS algorithm a key on this curve verifies.
    pub const fn algorithm(self) -> Algorithm {
        match self {
            Curve::P256 => Algorithm::Es256,
            Curve::P384 => Algorithm::Es384,
            Curve::P521 => Algorithm::Es512,
            Curve::Secp256k1 => Algorithm::Es256k,
        }
    }
}

/// The JWS algorithms of KMS signing keys (RFC 7518 §3.1, RFC 8812 §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Algorithm {
    /// ECDSA P-256 SHA-256.
    Es256,
    /// ECDSA P-384 SHA-384.
    Es384,
    /// ECDSA P-521 SHA-512 (the default everywhere).
    Es512,
    /// ECDSA secp256k1 SHA-256 (RFC 8812).
    Es256k,
    /// RSASSA-PKCS1-v1_5 SHA-256.
    Rs256,
    /// RSASSA-PKCS1-v1_5 SHA-384.
    Rs384,
    /// RSASSA-PKCS1-v1_5 SHA-512.
    Rs512,
    /// RSASSA-PSS SHA-256, MGF1-SHA-256, 32-byte salt.
    Ps256,
    /// RSASSA-PSS SHA-384, MGF1-SHA-384, 48-byte salt.
    Ps384,
    /// RSASSA-PSS SHA-512, MGF1-SHA-512, 64-byte salt.
    Ps512,
    /// Pure Ed25519 (RFC 9864; `EdDSA` with an Ed25519 key in RFC 8037).
    Ed25519,
    /// ML-DSA-44 (FIPS 204, RFC 9964).
    MlDsa44,
    /// ML-DSA-65.
    MlDsa65,
    /// ML-DSA-87.
    MlDsa87,
}

impl Algorithm {
    /// Every algorithm.
    pub const ALL: [Algorithm; 14] = [
        Algorithm::Es256,
        Algorithm::Es384,
        Algorithm::Es512,
        Algorithm::Es256k,
        Algorithm::Rs256,
        Algorithm::Rs384,
        Algorithm::Rs512,
        Algorithm::Ps256,
        Algorithm::Ps384,
        Algorithm::Ps512,
        Algorithm::Ed25519,
        Algorithm::MlDsa44,
        Algorithm::MlDsa65,
        Algorithm::MlDsa87,
    ];

    /// The `alg` value.
    pub const fn name(self) -> &'static str {
        match self {
            Algorithm::Es256 => "ES256",
            Algorithm::Es384 => "ES384",
            Algorithm::Es512 => "ES512",
            Algorithm::Es256k => "ES256K",
            Algorithm::Rs256 => "RS256",
            Algorithm::Rs384 => "RS384",
            Algorithm::Rs512 => "RS512",
            Algorithm::Ps256 => "PS256",
            Algorithm::Ps384 => "PS384",
            Algorithm::Ps512 => "PS512",
            Algorithm::Ed25519 => "Ed25519",
            Algorithm::MlDsa44 => "ML-DSA-44",
            Algorithm::MlDsa65 => "ML-DSA-65",
            Algorithm::MlDsa87 => "ML-DSA-87",
        }
    }

    /// The algorithm named exactly `name` (case-sensitive, RFC 7515 §4.1.1).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Whether a token header's or a JWK's `alg` names this algorithm:
    /// its name exactly, and for Ed25519 also `EdDSA`, which with an
    /// Ed25519 key means the same verification (RFC 8037 §3.1; RFC 9864
    /// deprecates the name, issuers still send it). No other name maps to
    /// a key: an `EdDSA` header on any other key is refused.
    pub fn is_named(self, name: &str) -> bool {
        self.name() == name || (self == Algorithm::Ed25519 && name == "EdDSA")
    }

    /// The curve of an ECDSA algorithm.
    pub const fn curve(self) -> Option<Curve> {
        match self {
            Algorithm::Es256 => Some(Curve::P256),
            Algorithm::Es384 => Some(Curve::P384),
            Algorithm::Es512 => Some(Curve::P521),
            Algorithm::Es256k => Some(Curve::Secp256k1),
            _ => None,
        }
    }

    /// RS* and PS*.
    pub const fn is_rsa(self) -> bool {
        matches!(
            self,
            Algorithm::Rs256
                | Algorithm::Rs384
                | Algorithm::Rs512
                | Algorithm::Ps256
                | Algorithm::Ps384
                | Algorithm::Ps512
        )
    }

    /// ML-DSA-44/65/87.
    pub const fn is_ml_dsa(self) -> bool {
        matches!(
            self,
            Algorithm::MlDsa44 | Algorithm::MlDsa65 | Algorithm::MlDsa87
        )
    }

    /// The lengths of the raw public key (a JWK's `x` or `pub`) and of a
    /// signature, for the algorithms whose keys are raw byte strings:
    /// Ed25519 (32, 64; RFC 8032) and ML-DSA (FIPS 204 Table 2: 1312, 1952,
    /// 2592-byte keys; 2420, 3309, 4627-byte signatures).
    pub const fn raw_key_sizes(self) -> Option<(usize, usize)> {
        match self {
            Algorithm::Ed25519 => Some((32, 64)),
            Algorithm::MlDsa44 => Some((1312, 2420)),
            Algorithm::MlDsa65 => Some((1952, 3309)),
            Algorithm::MlDsa87 => Some((2592, 4627)),
            _ => None,
        }
    }

    /// The KMS `SigningAlgorithmSpec` name.
    pub const fn kms_name(self) -> &'static str {
        match self {
            Algorithm::Es256 | Algorithm::Es256k => "ECDSA_SHA_256",
            Algorithm::Es384 => "ECDSA_SHA_384",
            Algorithm::Es512 => "ECDSA_SHA_512",
            Algorithm::Rs256 => "RSASSA_PKCS1_V1_5_SHA_256",
            Algorithm::Rs384 => "RSASSA_PKCS1_V1_5_SHA_384",
            Algorithm::Rs512 => "RSASSA_PKCS1_V1_5_SHA_512",
            Algorithm::Ps256 => "RSASSA_PSS_SHA_256",
            Algorithm::Ps384 => "RSASSA_PSS_SHA_384",
            Algorithm::Ps512 => "RSASSA_PSS_SHA_512",
            Algorithm::Ed25519 => "ED25519_SHA_512",
            Algorithm::MlDsa44 | Algorithm::MlDsa65 | Algorithm::MlDsa87 => "ML_DSA_SHAKE_256",
        }
    }

    #[cfg(feature = "aws-lc")]
    fn aws_lc(self) -> &'static dyn aws_lc_rs::signature::VerificationAlgorithm {
        use aws_lc_rs::signature as s;
        match self {
            Algorithm::Es256 => &s::ECDSA_P256_SHA256_FIXED,
            Algorithm::Es384 => &s::ECDSA_P384_SHA384_FIXED,
            Algorithm::Es512 => &s::ECDSA_P521_SHA512_FIXED,
            Algorithm::Es256k => &s::ECDSA_P256K1_SHA256_FIXED,
            Algorithm::Rs256 => &s::RSA_PKCS1_2048_8192_SHA256,
            Algorithm::Rs384 => &s::RSA_PKCS1_2048_8192_SHA384,
            Algorithm::Rs512 => &s::RSA_PKCS1_2048_8192_SHA512,
            Algorithm::Ps256 => &s::RSA_PSS_2048_8192_SHA256,
            Algorithm::Ps384 => &s::RSA_PSS_2048_8192_SHA384,
            Algorithm::Ps512 => &s::RSA_PSS_2048_8192_SHA512,
            Algorithm::Ed25519 => &s::ED25519,
            Algorithm::MlDsa44 => &s::ML_DSA_44,
            Algorithm::MlDsa65 => &s::ML_DSA_65,
            Algorithm::MlDsa87 => &s::ML_DSA_87,
        }
    }

    #[cfg(feature = "aws-lc")]
    fn rsa_params(self) -> Option<&'static aws_lc_rs::signature::RsaParameters> {
        use aws_lc_rs::signature as s;
        match self {
            Algorithm::Rs256 => Some(&s::RSA_PKCS1_2048_8192_SHA256),
            Algorithm::Rs384 => Some(&s::RSA_PKCS1_2048_8192_SHA384),
            Algorithm::Rs512 => Some(&s::RSA_PKCS1_2048_8192_SHA512),
            Algorithm::Ps256 => Some(&s::RSA_PSS_2048_8192_SHA256),
            Algorithm::Ps384 => Some(&s::RSA_PSS_2048_8192_SHA384),
            Algorithm::Ps512 => Some(&s::RSA_PSS_2048_8192_SHA512),
            _ => None,
        }
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Which library checks signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// aws-lc-rs (the default): every algorithm.
    #[cfg(feature = "aws-lc")]
    AwsLc,
    /// RustCrypto `p521` (feature `p521`): ES512 only.
    P521,
}

impl Backend {
    /// Every backend compiled in.
    pub const ALL: &'static [Backend] = &[
        #[cfg(feature = "aws-lc")]
        Backend::AwsLc,
        Backend::P521,
    ];

    /// The backend this build uses: aws-lc-rs unless the `p521` feature (or
    /// the absence of `aws-lc`) selects the pure-Rust one.
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

    /// Label for logs, and the value `JWT_VERIFY_BACKEND` takes.
    pub const fn name(self) -> &'static str {
        match self {
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => "aws-lc-rs",
            Backend::P521 => "p521",
        }
    }

    /// The backend compiled into this build with this [`Backend::name`].
    pub fn from_name(name: &str) -> Option<Backend> {
        Self::ALL.iter().copied().find(|b| b.name() == name)
    }

    /// Whether this backend verifies `alg`.
    pub const fn verifies(self, alg: Algorithm) -> bool {
        match self {
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => true,
            Backend::P521 => matches!(alg, Algorithm::Es512),
        }
    }
}

/// Why a public key was refused (at cold start, never per request).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not a SubjectPublicKeyInfo of a supported key type.
    #[error("not an EC (P-256, P-384, P-521, secp256k1), Ed25519, ML-DSA (44, 65, 87) or RSA SubjectPublicKeyInfo")]
    UnsupportedSpki,
    /// An Ed25519 or ML-DSA public key of the wrong length or encoding.
    #[error("not a valid {0} public key")]
    InvalidKey(Algorithm),
    /// A P-521 SPKI was required (the pure-Rust backend) and this is not one.
    #[error("not a P-521 SubjectPublicKeyInfo with an uncompressed point")]
    NotP521Spki,
    /// The EC point is not on the curve (or not uncompressed).
    #[error("the point is not a valid uncompressed point of the key's curve")]
    InvalidPoint,
    /// An RSA key whose algorithm was not named.
    #[error(
        "an RSA key needs its algorithm named: one of RS256, RS384, RS512, PS256, PS384, PS512"
    )]
    RsaNeedsAlgorithm,
    /// The named algorithm does not fit the key.
    #[error("the key is {key}; it cannot verify {alg}")]
    AlgorithmMismatch {
        /// What the key is.
        key: String,
        /// The algorithm named for it.
        alg: Algorithm,
    },
    /// The RSA modulus is out of range.
    #[error("RSA modulus of {0} bits: 2048 to 8192 bits are accepted")]
    RsaSize(usize),
    /// The RSA key did not parse.
    #[error("not a valid RSA public key")]
    InvalidRsa,
    /// The RSA public exponent `e` is outside what is accepted.
    #[error("RSA exponent {0}: e must be odd and from 65537 to 2^33 - 1 (FIPS 186-5 sets the floor; the verifier the ceiling)")]
    RsaExponent(String),
    /// The RSA modulus `n` is even: no product of two odd primes.
    #[error("RSA modulus n is even: not a valid RSA public key")]
    RsaEvenModulus,
    /// The backend cannot verify this algorithm.
    #[error(
        "the {backend} backend cannot verify {alg}: build with aws-lc-rs (the default) for it"
    )]
    Unsupported {
        /// The backend's name.
        backend: &'static str,
        /// The key's algorithm.
        alg: Algorithm,
    },
}

/// A verification key: the parsed key and its one algorithm.
#[derive(Clone)]
pub struct PublicKey {
    alg: Algorithm,
    inner: Inner,
    material: Material,
}

#[derive(Clone)]
enum Inner {
    #[cfg(feature = "aws-lc")]
    AwsLc(aws_lc_rs::signature::ParsedPublicKey),
    P521(p521_verify::ecdsa::VerifyingKey),
}

/// What the RFC 7638 thumbprint and the signature length are made of.
#[derive(Clone)]
enum Material {
    Ec {
        curve: Curve,
        point: Vec<u8>,
    },
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// Ed25519 (`OKP`, RFC 8037) and ML-DSA (`AKP`, RFC 9964): the raw
    /// public key, the JWK's `x` or `pub`.
    Raw(Vec<u8>),
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicKey")
            .field("alg", &self.alg)
            .field("backend", &self.backend().name())
            .finish_non_exhaustive()
    }
}

impl PublicKey {
    /// A P-521 (ES512) key from its uncompressed SEC1 point.
    ///
    /// # Errors
    /// [`KeyError::InvalidPoint`].
    pub fn from_point(backend: Backend, point: &[u8]) -> Result<Self, KeyError> {
        Self::from_ec_point(backend, Curve::P521, point)
    }

    /// An ECDSA key on `curve` from its uncompressed SEC1 point; its
    /// algorithm is the curve's.
    ///
    /// # Errors
    /// [`KeyError::InvalidPoint`], [`KeyError::Unsupported`].
    pub fn from_ec_point(backend: Backend, curve: Curve, point: &[u8]) -> Result<Self, KeyError> {
        let alg = curve.algorithm();
        if point.len() != 1 + 2 * curve.scalar_len() || point[0] != 0x04 {
            return Err(KeyError::InvalidPoint);
        }
        let inner = match backend {
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => Inner::AwsLc(
                aws_lc_rs::signature::ParsedPublicKey::new(alg.aws_lc(), point)
                    .map_err(|_| KeyError::InvalidPoint)?,
            ),
            Backend::P521 if curve == Curve::P521 => Inner::P521(
                p521_verify::ecdsa::VerifyingKey::from_sec1_bytes(point)
                    .map_err(|_| KeyError::InvalidPoint)?,
            ),
            Backend::P521 => {
                return Err(KeyError::Unsupported {
                    backend: backend.name(),
                    alg,
                })
            }
        };
        Ok(Self {
            alg,
            inner,
            material: Material::Ec {
                curve,
                point: point.to_vec(),
            },
        })
    }

    /// An EC key from a SubjectPublicKeyInfo (the form KMS `GetPublicKey`
    /// returns); the algorithm is the curve's. RSA keys need
    /// [`PublicKey::from_spki_der_as`].
    ///
    /// # Errors
    /// [`KeyError`].
    pub fn from_spki_der(backend: Backend, der: &[u8]) -> Result<Self, KeyError> {
        Self::from_spki_der_as(backend, der, None)
    }

    /// A key from a SubjectPublicKeyInfo, pinned to `alg`: for an EC key
    /// `alg` may be omitted and must otherwise be the curve's; an RSA key
    /// (2048–8192 bits) needs it.
    ///
    /// # Errors
    /// [`KeyError`].
    pub fn from_spki_der_as(
        backend: Backend,
        der: &[u8],
        alg: Option<Algorithm>,
    ) -> Result<Self, KeyError> {
        let key = match backend {
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => Self::aws_lc_spki(der, alg)?,
            Backend::P521 => {
                let point = der
                    .strip_prefix(&SPKI_P521_PREFIX[..SPKI_P521_PREFIX.len() - 1])
                    .filter(|p| p.len() == POINT_LEN)
                    .ok_or(KeyError::NotP521Spki)?;
                Self::from_ec_point(backend, Curve::P521, point)?
            }
        };
        match alg {
            Some(a) if a != key.alg => Err(KeyError::AlgorithmMismatch {
                key: key.describe(),
                alg: a,
            }),
            _ => Ok(key),
        }
    }

    #[cfg(feature = "aws-lc")]
    fn aws_lc_spki(der: &[u8], alg: Option<Algorithm>) -> Result<Self, KeyError> {
        use aws_lc_rs::signature::ParsedPublicKey;
        // An EC SPKI parses only under its own curve's algorithm.
        for curve in Curve::ALL {
            let ec = curve.algorithm();
            if let Ok(parsed) = ParsedPublicKey::new(ec.aws_lc(), der) {
                // The uncompressed point ends the SPKI (its BIT STRING).
                let len = 1 + 2 * curve.scalar_len();
                let point = der
                    .len()
                    .checked_sub(len)
                    .map(|start| &der[start..])
                    .filter(|p| p[0] == 0x04)
                    .ok_or(KeyError::InvalidPoint)?;
                return Ok(Self {
                    alg: ec,
                    inner: Inner::AwsLc(parsed),
                    material: Material::Ec {
                        curve,
                        point: point.to_vec(),
                    },
                });
            }
        }
        // Ed25519 and ML-DSA: the SPKI ends with the raw key, whose length
        // the algorithm fixes (a raw key alone is not an SPKI: refused).
        for alg in [
            Algorithm::Ed25519,
            Algorithm::MlDsa44,
            Algorithm::MlDsa65,
            Algorithm::MlDsa87,
        ] {
            let raw_len = alg.raw_key_sizes().map_or(0, |(k, _)| k);
            if der.len() <= raw_len {
                continue;
            }
            if let Ok(parsed) = ParsedPublicKey::new(alg.aws_lc(), der) {
                return Ok(Self {
                    alg,
                    inner: Inner::AwsLc(parsed),
                    material: Material::Raw(der[der.len() - raw_len..].to_vec()),
                });
            }
        }
        let rsa =
            aws_lc_rs::rsa::PublicKey::from_der(der).map_err(|_| KeyError::UnsupportedSpki)?;
        let n = rsa.modulus().big_endian_without_leading_zero().to_vec();
        let e = rsa.exponent().big_endian_without_leading_zero().to_vec();
        Self::rsa(&n, &e, alg.ok_or(KeyError::RsaNeedsAlgorithm)?)
    }

    /// An RSA key from its modulus and exponent (big-endian, no leading
    /// zeros: a JWK's `n` and `e`), pinned to `alg` (RS* or PS*).
    ///
    /// # Errors
    /// [`KeyError`].
    pub fn from_rsa_components(
        backend: Backend,
        n: &[u8],
        e: &[u8],
        alg: Algorithm,
    ) -> Result<Self, KeyError> {
        match backend {
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => Self::rsa(n, e, alg),
            Backend::P521 => Err(KeyError::Unsupported {
                backend: backend.name(),
                alg,
            }),
        }
    }

    /// An Ed25519 or ML-DSA key from its raw public key (a JWK's `x` for
    /// `OKP`, `pub` for `AKP`), pinned to `alg`.
    ///
    /// # Errors
    /// [`KeyError::InvalidKey`] for a key of the wrong length or encoding,
    /// [`KeyError::Unsupported`] on the `p521` backend, and
    /// [`KeyError::AlgorithmMismatch`] when `alg` is not Ed25519 or ML-DSA.
    pub fn from_raw(backend: Backend, alg: Algorithm, raw: &[u8]) -> Result<Self, KeyError> {
        let (raw_len, _) = alg.raw_key_sizes().ok_or(KeyError::AlgorithmMismatch {
            key: "a raw (OKP or AKP) public key".into(),
            alg,
        })?;
        if raw.len() != raw_len {
            return Err(KeyError::InvalidKey(alg));
        }
        match backend {
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => {
                let parsed = aws_lc_rs::signature::ParsedPublicKey::new(alg.aws_lc(), raw)
                    .map_err(|_| KeyError::InvalidKey(alg))?;
                Ok(Self {
                    alg,
                    inner: Inner::AwsLc(parsed),
                    material: Material::Raw(raw.to_vec()),
                })
            }
            Backend::P521 => Err(KeyError::Unsupported {
                backend: backend.name(),
                alg,
            }),
        }
    }

    #[cfg(feature = "aws-lc")]
    fn rsa(n: &[u8], e: &[u8], alg: Algorithm) -> Result<Self, KeyError> {
        // Checked here, for every source (PEM, JWKS, KMS): a key the
        // verifier would refuse at every request must fail at cold start.
        let params = alg.rsa_params().ok_or(KeyError::AlgorithmMismatch {
            key: "an RSA key".into(),
            alg,
        })?;
        let bits = match n.first() {
            Some(&top) if top != 0 => (n.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
            _ => return Err(KeyError::InvalidRsa),
        };
        if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
            return Err(KeyError::RsaSize(bits));
        }
        check_rsa_exponent(e)?;
        if n.last().is_some_and(|low| low & 1 == 0) {
            return Err(KeyError::RsaEvenModulus);
        }
        let parsed = aws_lc_rs::signature::RsaPublicKeyComponents { n, e }
            .to_parsed_public_key(params)
            .map_err(|_| KeyError::InvalidRsa)?;
        Ok(Self {
            alg,
            inner: Inner::AwsLc(parsed),
            material: Material::Rsa {
                n: n.to_vec(),
                e: e.to_vec(),
            },
        })
    }

    /// The key's one algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// Which backend verifies with this key.
    pub fn backend(&self) -> Backend {
        match self.inner {
            #[cfg(feature = "aws-lc")]
            Inner::AwsLc(_) => Backend::AwsLc,
            Inner::P521(_) => Backend::P521,
        }
    }

    /// The uncompressed point of an EC key.
    pub fn point(&self) -> Option<&[u8]> {
        match &self.material {
            Material::Ec { point, .. } => Some(point),
            Material::Rsa { .. } | Material::Raw(_) => None,
        }
    }

    /// The exact signature length for this key: `2 × scalar` for ECDSA
    /// (fixed `R || S`), the modulus length for RSA, 64 bytes for Ed25519,
    /// FIPS 204's for ML-DSA.
    pub fn signature_len(&self) -> usize {
        match &self.material {
            Material::Ec { curve, .. } => 2 * curve.scalar_len(),
            Material::Rsa { n, .. } => n.len(),
            Material::Raw(_) => self.alg.raw_key_sizes().map_or(0, |(_, sig)| sig),
        }
    }

    /// The raw public key of an Ed25519 or ML-DSA key (a JWK's `x` or `pub`).
    pub fn raw(&self) -> Option<&[u8]> {
        match &self.material {
            Material::Raw(raw) => Some(raw),
            _ => None,
        }
    }

    /// "an ECC_NIST_P256 key (ES256)", "a 2048-bit RSA key (PS256)".
    fn describe(&self) -> String {
        match &self.material {
            Material::Ec { curve, .. } => format!("a {} key ({})", curve.jwk_name(), self.alg),
            Material::Rsa { n, .. } => format!("a {}-bit RSA key ({})", n.len() * 8, self.alg),
            Material::Raw(_) => format!("an {} key", self.alg),
        }
    }

    /// The RFC 7638 JWK thumbprint (SHA-256, base64url).
    pub fn thumbprint(&self) -> String {
        let canonical = match &self.material {
            Material::Ec { curve, point } => {
                let l = curve.scalar_len();
                format!(
                    r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
                    curve.jwk_name(),
                    URL_SAFE_NO_PAD.encode(&point[1..=l]),
                    URL_SAFE_NO_PAD.encode(&point[1 + l..])
                )
            }
            Material::Rsa { n, e } => format!(
                r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
                URL_SAFE_NO_PAD.encode(e),
                URL_SAFE_NO_PAD.encode(n)
            ),
            // RFC 8037 §2: OKP's required members are crv, kty, x.
            Material::Raw(x) if self.alg == Algorithm::Ed25519 => format!(
                r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
                URL_SAFE_NO_PAD.encode(x)
            ),
            // RFC 9964: AKP's required members are alg, kty, pub.
            Material::Raw(public) => format!(
                r#"{{"alg":"{}","kty":"AKP","pub":"{}"}}"#,
                self.alg,
                URL_SAFE_NO_PAD.encode(public)
            ),
        };
        URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
    }

    /// Verifies `signature` over `message` with the key's algorithm.
    ///
    /// # Errors
    /// `Malformed` when the length is not exactly [`PublicKey::signature_len`]
    /// (RFC 7518 §3.4: fixed-length ECDSA; RSA: the modulus length);
    /// `BadSignature` for an ECDSA `r` or `s` outside [1, n−1] or a failed
    /// verification.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), RejectReason> {
        if signature.len() != self.signature_len() {
            return Err(RejectReason::Malformed);
        }
        if let Material::Ec { curve, .. } = &self.material {
            let (r, s) = signature.split_at(curve.scalar_len());
            let n = curve.order();
            if !scalar_in_range(r, n) || !scalar_in_range(s, n) {
                return Err(RejectReason::BadSignature);
            }
        }
        let ok = match &self.inner {
            #[cfg(feature = "aws-lc")]
            Inner::AwsLc(key) => key.verify_sig(message, signature).is_ok(),
            Inner::P521(key) => {
                use p521_verify::ecdsa::signature::Verifier;
                match p521_verify::ecdsa::Signature::from_slice(signature) {
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

/// 1 ≤ x < n, for big-endian `x` and `n` of the same length.
fn scalar_in_range(x: &[u8], n: &[u8]) -> bool {
    x.iter().any(|&b| b != 0) && x < n
}

/// The order n of the P-521 group (the catalog builds out-of-range
/// signatures from it). Harness-only: behind `test-util`.
#[cfg(any(test, feature = "test-util"))]
pub const fn group_order() -> [u8; 66] {
    ORDER_P521
}

/// The P-521 SubjectPublicKeyInfo DER for an uncompressed point.
/// Harness-only: behind `test-util`.
#[cfg(any(test, feature = "test-util"))]
pub fn spki_der(point: &[u8; POINT_LEN]) -> Vec<u8> {
    let mut der = Vec::with_capacity(SPKI_P521_PREFIX.len() + POINT_LEN - 1);
    der.extend_from_slice(&SPKI_P521_PREFIX[..SPKI_P521_PREFIX.len() - 1]);
    der.extend_from_slice(point);
    der
}

/// `e` (big-endian): odd, at least 65537 (FIPS 186-5 §5.4: 2^16 < e), and
/// below 2^33, the largest exponent aws-lc-rs verifies with.
#[cfg(feature = "aws-lc")]
fn check_rsa_exponent(e: &[u8]) -> Result<(), KeyError> {
    let digits: &[u8] = match e.iter().position(|b| *b != 0) {
        Some(first) => &e[first..],
        None => &[],
    };
    let value = (digits.len() <= 8).then(|| {
        digits
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
    });
    match value {
        Some(v) if v % 2 == 1 && (65_537..(1 << 33)).contains(&v) => Ok(()),
        Some(v) => Err(KeyError::RsaExponent(format!("e = {v}"))),
        None => Err(KeyError::RsaExponent(format!(
            "e of {} bytes",
            digits.len()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real 2048-bit modulus (aws-lc-rs generates the pair).
    fn modulus() -> Vec<u8> {
        let pair =
            aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).expect("key");
        use aws_lc_rs::signature::KeyPair;
        let der = pair.public_key().as_ref().to_vec();
        let public = aws_lc_rs::rsa::PublicKey::from_der(&der).expect("der");
        public.modulus().big_endian_without_leading_zero().to_vec()
    }

    #[test]
    fn rsa_keys_refuse_weak_or_unusable_exponents_and_an_even_modulus() {
        let n = modulus();
        let key = |n: &[u8], e: &[u8]| {
            PublicKey::from_rsa_components(Backend::AwsLc, n, e, Algorithm::Rs256)
        };
        assert!(key(&n, &[0x01, 0x00, 0x01]).is_ok(), "65537");
        // RFC 7518 §2: a Base64urlUInt has no leading zero octets.
        assert!(
            key(&n, &[0x00, 0x01, 0x00, 0x01]).is_err(),
            "65537 with a leading zero"
        );
        assert!(key(&n, &[0x01, 0xff, 0xff, 0xff, 0xff]).is_ok(), "2^33 - 1");
        for (e, says) in [
            (&[0x01][..], "e = 1"),
            (&[0x03][..], "e = 3"),
            (&[0x01, 0x00, 0x00][..], "e = 65536"),
            (&[0x01, 0x00, 0x02][..], "e = 65538"),
            (&[0x02, 0x00, 0x00, 0x00, 0x01][..], "e = 8589934593"),
            (&[0x01; 9][..], "e of 9 bytes"),
            (&[][..], "e = 0"),
        ] {
            let err = key(&n, e).expect_err(says).to_string();
            assert!(err.starts_with(&format!("RSA exponent {says}")), "{err}");
        }
        let mut even = n.clone();
        if let Some(low) = even.last_mut() {
            *low &= 0xfe;
        }
        assert!(matches!(
            key(&even, &[0x01, 0x00, 0x01]),
            Err(KeyError::RsaEvenModulus)
        ));
    }

    #[test]
    fn range_check_bounds() {
        for curve in Curve::ALL {
            let n = curve.order();
            let l = curve.scalar_len();
            assert_eq!(n.len(), l, "{curve:?}");
            let zero = vec![0u8; l];
            let mut one = vec![0u8; l];
            one[l - 1] = 1;
            let mut n_minus_1 = n.to_vec();
            n_minus_1[l - 1] -= 1;
            assert!(!scalar_in_range(&zero, n));
            assert!(scalar_in_range(&one, n));
            assert!(scalar_in_range(&n_minus_1, n));
            assert!(!scalar_in_range(n, n));
            assert!(!scalar_in_range(&vec![0xff; l], n));
        }
    }

    #[test]
    fn algorithms_round_trip_by_exact_name() {
        for a in Algorithm::ALL {
            assert_eq!(Algorithm::from_name(a.name()), Some(a));
            assert_eq!(Algorithm::from_name(&a.name().to_lowercase()), None);
            assert_eq!(
                a.is_rsa(),
                a.name().starts_with('R') || a.name().starts_with('P')
            );
        }
        for c in Curve::ALL {
            assert_eq!(c.algorithm().curve(), Some(c));
            assert_eq!(Curve::from_jwk_name(c.jwk_name()), Some(c));
        }
        assert_eq!(Algorithm::from_name("HS256"), None);
        assert_eq!(Algorithm::from_name("none"), None);
    }

    #[test]
    fn rejects_what_is_not_a_valid_spki() {
        for b in Backend::ALL {
            assert!(
                PublicKey::from_spki_der(*b, &[0x30, 0x00]).is_err(),
                "{b:?}"
            );
            // The P-521 prefix with a point that is not on the curve.
            let mut der = spki_der(&[0x04; POINT_LEN]);
            assert!(PublicKey::from_spki_der(*b, &der).is_err(), "{b:?}");
            der.push(0);
            assert!(PublicKey::from_spki_der(*b, &der).is_err(), "{b:?}");
        }
        assert_eq!(
            PublicKey::from_spki_der(Backend::P521, &[0x30, 0x00]).err(),
            Some(KeyError::NotP521Spki)
        );
    }

    #[test]
    fn the_pure_rust_backend_refuses_what_it_cannot_verify() {
        let e = PublicKey::from_ec_point(Backend::P521, Curve::P256, &[0x04; 65]).unwrap_err();
        assert!(e.to_string().contains("ES256"), "{e}");
        assert!(!Backend::P521.verifies(Algorithm::Rs256));
        assert!(Backend::P521.verifies(Algorithm::Es512));
    }
}
