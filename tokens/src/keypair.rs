//! Key specs and local signing keys of every supported algorithm.
//!
//! ES512 keys are the `p521` crate's ([`crate::jws::LocalSigner`]), so the
//! default path never signs with the library the authorizer verifies with;
//! the other algorithms sign with `aws-lc-rs` (their verification is proven
//! independently by the Wycheproof vectors).

use crate::jws::LocalSigner;
use authorizer::Algorithm;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature as sig;
use p521::pkcs8::der::pem;

/// Why a key spec, a local key or a local signature could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// `--spec` names no key spec.
    #[error(
        "--spec {0:?}: not a key spec (ES256, ES384, ES512, ES256K, RS256…PS512, \
         Ed25519, ML-DSA-44/65/87, ECC_NIST_P256…, ECC_NIST_EDWARDS25519, ML_DSA_65, \
         RSA_2048:PS256, or all)"
    )]
    UnknownSpec(String),
    /// An RSA key spec without its algorithm.
    #[error(
        "--spec {text:?}: an RSA key signs with one of six algorithms; name it, e.g. {size}:PS256"
    )]
    RsaAlgorithmRequired {
        /// The value given.
        text: String,
        /// Its key size part, e.g. `RSA_2048`.
        size: String,
    },
    /// The crypto library could not generate the key.
    #[error("cannot generate {what} key")]
    Generate {
        /// `a ES256`, `an RSA_3072`.
        what: String,
    },
    /// A file that is not PEM.
    #[error("not a PEM file: {0}")]
    NotPem(pem::Error),
    /// PEM of another kind than a PKCS#8 private key.
    #[error("expected a PKCS#8 PRIVATE KEY, found {0}")]
    NotPkcs8(String),
    /// A PKCS#8 key of another type or curve than the algorithm needs.
    #[error("not {what} PKCS#8 private key{suffix}: {detail}")]
    WrongKey {
        /// `a ES384`, `an RSA`, `a P-521`.
        what: String,
        /// ` for PS256` where the algorithm is not implied.
        suffix: String,
        /// The parser's reason.
        detail: String,
    },
    /// The private key did not encode.
    #[error("cannot encode the private key")]
    Encode,
    /// The crypto library refused to sign.
    #[error("{0} signing failed")]
    Sign(&'static str),
    /// An algorithm the key cannot sign with.
    #[error("a {key} key cannot sign {asked}")]
    CannotSign {
        /// The key's algorithm.
        key: Algorithm,
        /// The algorithm asked.
        asked: Algorithm,
    },
    /// A prehashed P-521 signature asked of another key.
    #[error("a prehashed P-521 signature needs an ES512 key, not {0}")]
    NotP521(Algorithm),
}

/// What `--spec` names: a JWS algorithm and, for RSA, the modulus size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// The one algorithm the key signs with.
    pub alg: Algorithm,
    /// RSA modulus bits (2048, 3072 or 4096); 0 for EC keys.
    pub rsa_bits: usize,
}

impl Spec {
    /// The default: ES512 on P-521.
    pub const DEFAULT: Spec = Spec {
        alg: Algorithm::Es512,
        rsa_bits: 0,
    };

    /// One spec per algorithm (RS/PS 256 on RSA_2048, 384 on RSA_3072, 512
    /// on RSA_4096), ES512 first: what `--spec all` runs.
    pub fn all() -> Vec<Spec> {
        let mut out = vec![Self::DEFAULT];
        out.extend(
            Algorithm::ALL
                .into_iter()
                .filter(|a| *a != Algorithm::Es512)
                .map(Self::of),
        );
        out
    }

    /// The spec of `alg` with its default RSA size.
    pub fn of(alg: Algorithm) -> Spec {
        let rsa_bits = match alg {
            _ if !alg.is_rsa() => 0,
            Algorithm::Rs384 | Algorithm::Ps384 => 3072,
            Algorithm::Rs512 | Algorithm::Ps512 => 4096,
            _ => 2048,
        };
        Spec { alg, rsa_bits }
    }

    /// Parses one `--spec` value: a JWS algorithm (`ES256`, `PS384`), a KMS
    /// key spec (`ECC_NIST_P256`), or an RSA key spec with its algorithm
    /// (`RSA_3072:PS256`). `all` is handled by [`Spec::parse_list`].
    ///
    /// # Errors
    /// A one-line message naming the value.
    pub fn parse(text: &str) -> Result<Spec, KeyError> {
        let text = text.trim();
        if let Some(alg) = Algorithm::from_name(text) {
            return Ok(Self::of(alg));
        }
        let ec = |alg| Ok(Self::of(alg));
        match text {
            "ECC_NIST_P256" => return ec(Algorithm::Es256),
            "ECC_NIST_P384" => return ec(Algorithm::Es384),
            "ECC_NIST_P521" => return ec(Algorithm::Es512),
            "ECC_SECG_P256K1" => return ec(Algorithm::Es256k),
            "ECC_NIST_EDWARDS25519" => return ec(Algorithm::Ed25519),
            "ML_DSA_44" => return ec(Algorithm::MlDsa44),
            "ML_DSA_65" => return ec(Algorithm::MlDsa65),
            "ML_DSA_87" => return ec(Algorithm::MlDsa87),
            _ => {}
        }
        let (size, alg) = text.split_once(':').unwrap_or((text, ""));
        let bits = match size {
            "RSA_2048" => 2048,
            "RSA_3072" => 3072,
            "RSA_4096" => 4096,
            _ => return Err(KeyError::UnknownSpec(text.to_owned())),
        };
        match Algorithm::from_name(alg) {
            Some(alg) if alg.is_rsa() => Ok(Spec {
                alg,
                rsa_bits: bits,
            }),
            _ => Err(KeyError::RsaAlgorithmRequired {
                text: text.to_owned(),
                size: size.to_owned(),
            }),
        }
    }

    /// Parses `--spec`: one spec, a comma-separated list, or `all`.
    ///
    /// # Errors
    /// As [`Spec::parse`].
    pub fn parse_list(text: &str) -> Result<Vec<Spec>, KeyError> {
        if text.trim() == "all" {
            return Ok(Self::all());
        }
        text.split(',').map(Self::parse).collect()
    }

    /// The KMS key spec that signs with this algorithm.
    pub fn kms_key_spec(self) -> aws_sdk_kms::types::KeySpec {
        use aws_sdk_kms::types::KeySpec;
        match self.rsa_bits {
            0 => crate::kms::key_spec_for(self.alg),
            3072 => KeySpec::Rsa3072,
            4096 => KeySpec::Rsa4096,
            _ => KeySpec::Rsa2048,
        }
    }

    /// `ES512`, or `PS256 (RSA_2048)` for RSA keys.
    pub fn label(self) -> String {
        if self.rsa_bits == 0 {
            self.alg.name().to_owned()
        } else {
            format!("{} (RSA_{})", self.alg.name(), self.rsa_bits)
        }
    }
}

/// A local signing key of any supported algorithm.
pub enum LocalKey {
    /// ES512 with the `p521` crate.
    P521(LocalSigner),
    /// ES256, ES384, ES256K with aws-lc-rs.
    Ec(Algorithm, sig::EcdsaKeyPair),
    /// RS* and PS* with aws-lc-rs.
    Rsa(Algorithm, aws_lc_rs::rsa::KeyPair),
    /// Ed25519 with aws-lc-rs.
    Ed25519(sig::Ed25519KeyPair),
    /// ML-DSA-44/65/87 with aws-lc-rs.
    MlDsa(Algorithm, sig::PqdsaKeyPair),
}

impl std::fmt::Debug for LocalKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LocalKey({})", self.algorithm().name())
    }
}

fn ec_signing(alg: Algorithm) -> &'static sig::EcdsaSigningAlgorithm {
    match alg {
        Algorithm::Es256 => &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
        Algorithm::Es384 => &sig::ECDSA_P384_SHA384_FIXED_SIGNING,
        Algorithm::Es256k => &sig::ECDSA_P256K1_SHA256_FIXED_SIGNING,
        _ => &sig::ECDSA_P521_SHA512_FIXED_SIGNING,
    }
}

fn ml_dsa_signing(alg: Algorithm) -> &'static sig::PqdsaSigningAlgorithm {
    match alg {
        Algorithm::MlDsa44 => &sig::ML_DSA_44_SIGNING,
        Algorithm::MlDsa65 => &sig::ML_DSA_65_SIGNING,
        _ => &sig::ML_DSA_87_SIGNING,
    }
}

fn rsa_encoding(alg: Algorithm) -> &'static dyn sig::RsaEncoding {
    match alg {
        Algorithm::Rs256 => &sig::RSA_PKCS1_SHA256,
        Algorithm::Rs384 => &sig::RSA_PKCS1_SHA384,
        Algorithm::Rs512 => &sig::RSA_PKCS1_SHA512,
        Algorithm::Ps256 => &sig::RSA_PSS_SHA256,
        Algorithm::Ps384 => &sig::RSA_PSS_SHA384,
        _ => &sig::RSA_PSS_SHA512,
    }
}

impl LocalKey {
    /// A fresh key of `spec`.
    ///
    /// # Errors
    /// When aws-lc-rs cannot generate it.
    pub fn generate(spec: Spec) -> Result<Self, KeyError> {
        use aws_lc_rs::rsa::KeySize;
        let failed = |alg: Algorithm| KeyError::Generate {
            what: format!("an {}", alg.name()),
        };
        match spec.alg {
            Algorithm::Es512 => Ok(Self::P521(LocalSigner::generate())),
            Algorithm::Ed25519 => sig::Ed25519KeyPair::generate()
                .map(Self::Ed25519)
                .map_err(|_| failed(spec.alg)),
            alg if alg.is_ml_dsa() => sig::PqdsaKeyPair::generate(ml_dsa_signing(alg))
                .map(|k| Self::MlDsa(alg, k))
                .map_err(|_| failed(alg)),
            alg if !alg.is_rsa() => sig::EcdsaKeyPair::generate(ec_signing(alg))
                .map(|k| Self::Ec(alg, k))
                .map_err(|_| KeyError::Generate {
                    what: format!("a {}", alg.name()),
                }),
            alg => {
                let size = match spec.rsa_bits {
                    3072 => KeySize::Rsa3072,
                    4096 => KeySize::Rsa4096,
                    _ => KeySize::Rsa2048,
                };
                aws_lc_rs::rsa::KeyPair::generate(size)
                    .map(|k| Self::Rsa(alg, k))
                    .map_err(|_| KeyError::Generate {
                        what: format!("an RSA_{}", spec.rsa_bits),
                    })
            }
        }
    }

    /// Loads a PKCS#8 PEM private key to sign as `alg`.
    ///
    /// # Errors
    /// When the PEM is not a PKCS#8 key of `alg`'s type and curve.
    pub fn from_pkcs8_pem(text: &str, alg: Algorithm) -> Result<Self, KeyError> {
        if alg == Algorithm::Es512 {
            return LocalSigner::from_pkcs8_pem(text)
                .map(Self::P521)
                .map_err(|detail| KeyError::WrongKey {
                    what: "a P-521".into(),
                    suffix: String::new(),
                    detail,
                });
        }
        let (label, der) = pem::decode_vec(text.trim().as_bytes()).map_err(KeyError::NotPem)?;
        if label != "PRIVATE KEY" {
            return Err(KeyError::NotPkcs8(label.to_owned()));
        }
        let wrong = |what: String, e: &dyn std::fmt::Display| KeyError::WrongKey {
            what,
            suffix: String::new(),
            detail: e.to_string(),
        };
        if alg == Algorithm::Ed25519 {
            return sig::Ed25519KeyPair::from_pkcs8(&der)
                .map(Self::Ed25519)
                .map_err(|e| wrong("an Ed25519".into(), &e));
        }
        if alg.is_ml_dsa() {
            return sig::PqdsaKeyPair::from_pkcs8(ml_dsa_signing(alg), &der)
                .map(|k| Self::MlDsa(alg, k))
                .map_err(|e| wrong(format!("an {}", alg.name()), &e));
        }
        if alg.is_rsa() {
            aws_lc_rs::rsa::KeyPair::from_pkcs8(&der)
                .map(|k| Self::Rsa(alg, k))
                .map_err(|e| KeyError::WrongKey {
                    what: "an RSA".into(),
                    suffix: format!(" for {}", alg.name()),
                    detail: e.to_string(),
                })
        } else {
            sig::EcdsaKeyPair::from_pkcs8(ec_signing(alg), &der)
                .map(|k| Self::Ec(alg, k))
                .map_err(|e| KeyError::WrongKey {
                    what: format!("a {}", alg.name()),
                    suffix: String::new(),
                    detail: e.to_string(),
                })
        }
    }

    /// The private key as PKCS#8 PEM.
    ///
    /// # Errors
    /// When encoding fails.
    pub fn private_pem(&self) -> Result<String, KeyError> {
        let der = match self {
            Self::P521(s) => return s.private_pem().map_err(|_| KeyError::Encode),
            Self::Ec(_, k) => k.to_pkcs8v1().map(|d| d.as_ref().to_vec()),
            Self::Rsa(_, k) => k.as_der().map(|d| d.as_ref().to_vec()),
            Self::Ed25519(k) => k.to_pkcs8v1().map(|d| d.as_ref().to_vec()),
            Self::MlDsa(_, k) => k.to_pkcs8v1().map(|d| d.as_ref().to_vec()),
        }
        .map_err(|_| KeyError::Encode)?;
        pem::encode_string("PRIVATE KEY", pem::LineEnding::LF, &der).map_err(|_| KeyError::Encode)
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            Self::P521(_) => Algorithm::Es512,
            Self::Ed25519(_) => Algorithm::Ed25519,
            Self::Ec(a, _) | Self::Rsa(a, _) | Self::MlDsa(a, _) => *a,
        }
    }

    /// The public key as SubjectPublicKeyInfo DER.
    pub fn spki_der(&self) -> Vec<u8> {
        match self {
            Self::P521(s) => s.spki_der(),
            Self::Ec(_, k) => public_der(k),
            Self::Rsa(_, k) => public_der(k),
            Self::Ed25519(k) => public_der(k),
            Self::MlDsa(_, k) => public_der(k),
        }
    }

    /// The JWS signature over `input` with the key's own algorithm.
    pub fn sign(&self, input: &[u8]) -> Vec<u8> {
        self.sign_as(self.algorithm(), input)
            .unwrap_or_else(|_| Vec::new())
    }

    /// The signature of `input` under another algorithm of the same key
    /// type: RS256 ↔ PS256 on one RSA key (forgery cases). EC keys sign
    /// with their own algorithm only.
    ///
    /// # Errors
    /// When `alg` does not fit the key.
    pub fn sign_as(&self, alg: Algorithm, input: &[u8]) -> Result<Vec<u8>, KeyError> {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        match self {
            Self::P521(s) if alg == Algorithm::Es512 => Ok(s.sign(input).to_vec()),
            Self::Ec(own, k) if alg == *own => k
                .sign(&rng, input)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| KeyError::Sign("ECDSA")),
            Self::Rsa(_, k) if alg.is_rsa() => {
                let mut out = vec![0u8; k.public_modulus_len()];
                k.sign(rsa_encoding(alg), &rng, input, &mut out)
                    .map_err(|_| KeyError::Sign("RSA"))?;
                Ok(out)
            }
            Self::Ed25519(k) if alg == Algorithm::Ed25519 => Ok(k.sign(input).as_ref().to_vec()),
            Self::MlDsa(own, k) if alg == *own => {
                let mut out = vec![0u8; k.algorithm().signature_len()];
                let n = k
                    .sign(input, &mut out)
                    .map_err(|_| KeyError::Sign("ML-DSA"))?;
                out.truncate(n);
                Ok(out)
            }
            _ => Err(KeyError::CannotSign {
                key: self.algorithm(),
                asked: alg,
            }),
        }
    }
}

/// An aws-lc-rs key pair's public key as SubjectPublicKeyInfo DER.
fn public_der<K: sig::KeyPair>(k: &K) -> Vec<u8>
where
    K::PublicKey: AsDer<aws_lc_rs::encoding::PublicKeyX509Der<'static>>,
{
    k.public_key()
        .as_der()
        .map(|d| d.as_ref().to_vec())
        .unwrap_or_default()
}

/// PEM `PUBLIC KEY` of a SubjectPublicKeyInfo DER.
pub fn public_pem(spki_der: &[u8]) -> String {
    pem::encode_string("PUBLIC KEY", pem::LineEnding::LF, spki_der).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_refuse_by_name() {
        assert_eq!(Spec::parse("ES512").ok(), Some(Spec::DEFAULT));
        assert_eq!(
            Spec::parse("ECC_NIST_P256").map(|s| s.alg).ok(),
            Some(Algorithm::Es256)
        );
        assert_eq!(
            Spec::parse("RSA_3072:PS256").ok(),
            Some(Spec {
                alg: Algorithm::Ps256,
                rsa_bits: 3072
            })
        );
        assert_eq!(Spec::parse("RS512").map(|s| s.rsa_bits).ok(), Some(4096));
        for (text, alg) in [
            ("Ed25519", Algorithm::Ed25519),
            ("ECC_NIST_EDWARDS25519", Algorithm::Ed25519),
            ("ML-DSA-44", Algorithm::MlDsa44),
            ("ML_DSA_65", Algorithm::MlDsa65),
            ("ML_DSA_87", Algorithm::MlDsa87),
        ] {
            assert_eq!(
                Spec::parse(text).ok(),
                Some(Spec { alg, rsa_bits: 0 }),
                "{text}"
            );
        }
        for bad in [
            "RSA_2048",
            "RSA_2048:ES256",
            "HS256",
            "es512",
            "RSA_1024:RS256",
        ] {
            let e = Spec::parse(bad).expect_err(bad).to_string();
            assert!(e.contains(&format!("{bad:?}")), "{e}");
        }
        let all = Spec::parse_list("all").expect("all");
        assert_eq!(all.len(), Algorithm::ALL.len());
        assert_eq!(all[0], Spec::DEFAULT);
        assert_eq!(
            Spec::parse_list("ES256,PS384").map(|v| v.len()).ok(),
            Some(2)
        );
    }

    #[test]
    fn every_spec_round_trips_through_pkcs8_and_verifies() {
        for spec in Spec::all() {
            let key = LocalKey::generate(spec).expect("generate");
            let pem = key.private_pem().expect("pem");
            let again = LocalKey::from_pkcs8_pem(&pem, spec.alg).expect("load");
            assert_eq!(key.spki_der(), again.spki_der(), "{}", spec.label());
            let sig = again.sign(b"input");
            let public = authorizer::PublicKey::from_spki_der_as(
                authorizer::Backend::AwsLc,
                &again.spki_der(),
                Some(spec.alg),
            )
            .expect("public key");
            assert_eq!(sig.len(), public.signature_len(), "{}", spec.label());
            assert_eq!(public.verify(b"input", &sig), Ok(()), "{}", spec.label());
            assert!(public.verify(b"other", &sig).is_err(), "{}", spec.label());
        }
    }
}
