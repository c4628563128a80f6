//! The recipe language the catalog's tables are written in: a row names
//! what a case is (id, family, expected decision, reference, description)
//! and how its `Authorization` value is made ([`Recipe`]), with the data a
//! recipe reads (the genuine token's parts, the profile, an attacker key)
//! and the byte helpers the tables use. `recipe.rs` interprets it.

use super::vocab::{Expected, Family, Profile};
use crate::keypair::LocalKey;
use authorizer::Algorithm;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::{Sha256, Sha384, Sha512};
use std::borrow::Cow;

/// The genuine token itself.
pub(super) const GENUINE: Recipe = Recipe::Text(|g| g.token.clone());

/// One catalog row.
#[derive(Debug, Clone)]
pub(super) struct Row {
    pub(super) id: Cow<'static, str>,
    pub(super) family: Family,
    pub(super) expected: Expected,
    pub(super) reference: Cow<'static, str>,
    pub(super) description: Cow<'static, str>,
    pub(super) recipe: Recipe,
    /// The `Authorization` value around the token, `{t}` standing for it.
    pub(super) wrap: &'static str,
    /// Minted again just before it is sent (time-boundary cases a slow
    /// target would otherwise see go stale).
    pub(super) fresh: bool,
}

/// A row sent as `Bearer <token>`.
pub(super) const fn def(
    id: &'static str,
    family: Family,
    expected: Expected,
    reference: &'static str,
    description: &'static str,
    recipe: Recipe,
) -> Row {
    Row {
        id: Cow::Borrowed(id),
        family,
        expected,
        reference: Cow::Borrowed(reference),
        description: Cow::Borrowed(description),
        recipe,
        wrap: "Bearer {t}",
        fresh: false,
    }
}

/// A row whose id, reference or description is computed (generated rows).
pub(super) fn gen(
    id: impl Into<Cow<'static, str>>,
    family: Family,
    expected: Expected,
    reference: impl Into<Cow<'static, str>>,
    description: impl Into<Cow<'static, str>>,
    recipe: Recipe,
) -> Row {
    Row {
        id: id.into(),
        family,
        expected,
        reference: reference.into(),
        description: description.into(),
        recipe,
        wrap: "Bearer {t}",
        fresh: false,
    }
}

impl Row {
    /// Sent as `wrap` with `{t}` replaced by the token.
    pub(super) const fn wrap(mut self, wrap: &'static str) -> Self {
        self.wrap = wrap;
        self
    }

    /// Minted again just before it is sent.
    pub(super) const fn fresh(mut self) -> Self {
        self.fresh = true;
        self
    }
}

/// How a row's token is made. "The genuine token" is the signer's key over
/// the standard header (`{"alg":ALG,"typ":"JWT"}`) and standard claims.
#[derive(Debug, Clone)]
pub(super) enum Recipe {
    /// Signed by the genuine key.
    Signed(Header, Claims),
    /// Signed by the genuine key as another algorithm it can sign (RS256 ↔
    /// PS256 on one RSA key).
    SignedAs(Header, Algorithm),
    /// Signed by an attacker's key of the genuine key's algorithm, over the
    /// standard claims.
    Attacker(Header),
    /// `base64url(header).base64url(standard claims).base64url(sig)`, the
    /// signature computed from the genuine token and the forged input.
    ForgedSig(Header, fn(&Genuine, &str) -> Vec<u8>),
    /// An HMAC over the forged input keyed with the genuine public key.
    Mac {
        alg: &'static str,
        key: MacKey,
        /// Repeated to the genuine signature's length.
        padded: bool,
    },
    /// ES512 keys: the genuine key over a shorter hash zero-padded to 64
    /// bytes, labelled with the shorter algorithm (`short`: cut to that
    /// algorithm's signature length).
    ShortHash {
        alg: &'static str,
        hash_len: usize,
        short: bool,
    },
    /// The genuine signing input with another signature.
    Resigned(fn(&Genuine) -> Vec<u8>),
    /// The genuine signature cut or zero-extended to this many bytes.
    Resized(usize),
    /// Other claims signed by the genuine key, carrying the genuine signature.
    Transplanted(Claims),
    /// RSA keys: a genuine signature that starts with a zero byte, that byte
    /// removed (claims with a `jti` counter until one does).
    LeadingZeroStripped,
    /// Text built from the genuine token's segments.
    Text(fn(&Genuine) -> String),
    /// The `Authorization` value as written (`None`: no header).
    Verbatim(Option<&'static str>),
}

/// A JOSE header.
#[derive(Debug, Clone)]
pub(super) enum Header {
    /// `{"alg":<the key's>,"typ":"JWT"}`.
    AlgTyp,
    /// `{"alg":<this>,"typ":"JWT"}`.
    Labelled(&'static str),
    /// An object of these members (serialised with sorted names).
    Members(&'static [(&'static str, Val)]),
    /// Exactly these bytes.
    Exact(&'static [u8]),
    /// Computed.
    Computed(fn(&Env) -> Value),
}

/// A claims set.
#[derive(Debug, Clone)]
pub(super) enum Claims {
    /// `iss`, `aud` (the profile's), `sub`, `exp = now + 300`, `iat = now`.
    Standard,
    /// The standard claims edited.
    Edited(&'static [Edit]),
    /// Exactly these bytes.
    Written(fn(&Profile) -> Vec<u8>),
}

/// One change to the standard claims.
#[derive(Debug, Clone)]
pub(super) enum Edit {
    Set(&'static str, Val),
    Remove(&'static str),
}

/// A JSON value in a table.
#[derive(Debug, Clone)]
pub(super) enum Val {
    /// `now + seconds`.
    NowPlus(i64),
    /// A string.
    Str(&'static str),
    /// The key's algorithm name.
    OwnAlg,
    /// The profile's kid.
    Kid,
    /// JSON text.
    Json(&'static str),
    /// Computed.
    Fn(fn(&Env) -> Value),
}

/// What an HMAC is keyed with.
#[derive(Debug, Clone, Copy)]
pub(super) enum MacKey {
    /// The public key PEM.
    Pem,
    /// The PEM without its final newline.
    PemNoNewline,
    /// The SubjectPublicKeyInfo DER.
    Der,
    /// The uncompressed EC point.
    RawPoint,
    /// The public JWK (EC keys).
    Jwk,
}

/// What values are computed from: the profile, the genuine public key and
/// an attacker's key of the same algorithm.
pub(super) struct Env<'a> {
    pub(super) profile: &'a Profile,
    pub(super) alg: Algorithm,
    pub(super) spki: Vec<u8>,
    pub(super) pem: String,
    /// `None` when re-minting a fresh row (its recipe is `Signed`).
    pub(super) attacker: Option<LocalKey>,
}

impl Env<'_> {
    /// The genuine key's uncompressed EC point (the end of its SPKI).
    pub(super) fn point(&self) -> &[u8] {
        ec_point(&self.spki, self.alg)
    }

    /// The attacker key's uncompressed EC point.
    pub(super) fn attacker_point(&self) -> Vec<u8> {
        self.attacker
            .as_ref()
            .map(|a| ec_point(&a.spki_der(), self.alg).to_vec())
            .unwrap_or_default()
    }

    /// An EC public JWK for `point` of this key's curve.
    pub(super) fn jwk(&self, point: &[u8]) -> Value {
        let k = (point.len() - 1) / 2;
        let crv = self.alg.curve().map_or("P-521", |c| c.jwk_name());
        json!({"kty": "EC", "crv": crv, "x": b64(&point[1..=k]), "y": b64(&point[k + 1..])})
    }
}

fn ec_point(spki: &[u8], alg: Algorithm) -> &[u8] {
    let len = alg.curve().map_or(133, |c| 1 + 2 * c.scalar_len());
    &spki[spki.len().saturating_sub(len)..]
}

/// The genuine token, in pieces.
pub(super) struct Genuine {
    /// The whole token.
    pub(super) token: String,
    /// `header.claims`.
    pub(super) input: String,
    /// The signature bytes.
    pub(super) sig: Vec<u8>,
    /// The standard claims' base64url segment.
    pub(super) claims_b64: String,
    /// ECDSA: the curve's group order n (empty for RSA keys).
    pub(super) n: &'static [u8],
}

impl Genuine {
    /// `input.base64url(sig)`.
    pub(super) fn with_sig(&self, sig: &[u8]) -> String {
        format!("{}.{}", self.input, b64(sig))
    }

    /// The three segments.
    pub(super) fn segments(&self) -> (&str, &str, &str) {
        let mut parts = self.token.splitn(3, '.');
        let h = parts.next().unwrap_or_default();
        let p = parts.next().unwrap_or_default();
        let s = parts.next().unwrap_or_default();
        (h, p, s)
    }

    /// ECDSA: the scalar length (half the signature).
    fn half(&self) -> usize {
        self.sig.len() / 2
    }

    /// ECDSA: `r`.
    pub(super) fn r(&self) -> &[u8] {
        &self.sig[..self.half()]
    }

    /// ECDSA: `s`.
    pub(super) fn s(&self) -> &[u8] {
        &self.sig[self.half()..]
    }
}

/// base64url without padding.
pub(super) fn b64(b: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

/// HMAC-SHA-256/384/512 (by JWS name) of `input` under `key`.
pub(super) fn hmac_sig(alg: &str, key: &[u8], input: &[u8]) -> Vec<u8> {
    fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], input: &[u8]) -> Vec<u8> {
        let mut m = <M as Mac>::new_from_slice(key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        m.update(input);
        m.finalize().into_bytes().to_vec()
    }
    match alg {
        "HS256" => run::<Hmac<Sha256>>(key, input),
        "HS384" => run::<Hmac<Sha384>>(key, input),
        _ => run::<Hmac<Sha512>>(key, input),
    }
}

/// `seg` extended with `A`s to a length ≡ 1 (mod 4), which no base64 text has.
pub(super) fn mod4_1(seg: &str) -> String {
    let mut s = seg.to_owned();
    while s.len() % 4 != 1 {
        s.push('A');
    }
    s
}

/// Big-endian `a + b` in `a`'s width (the carry out is dropped).
pub(super) fn add(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; a.len()];
    let mut carry = 0u16;
    for i in (0..a.len()).rev() {
        let s = u16::from(a[i]) + u16::from(b[i]) + carry;
        out[i] = s.to_le_bytes()[0];
        carry = s >> 8;
    }
    out
}

/// Big-endian `a - b` in `a`'s width.
pub(super) fn sub(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; a.len()];
    let mut borrow = 0i16;
    for i in (0..a.len()).rev() {
        let mut d = i16::from(a[i]) - i16::from(b[i]) - borrow;
        borrow = i16::from(d < 0);
        if d < 0 {
            d += 256;
        }
        out[i] = d.to_le_bytes()[0];
    }
    out
}

/// Minimal DER for (r, s), as KMS returns it.
pub(super) fn der_sig(r: &[u8], s: &[u8]) -> Vec<u8> {
    fn int(x: &[u8]) -> Vec<u8> {
        let mut v: Vec<u8> = x.iter().copied().skip_while(|&b| b == 0).collect();
        if v.first().is_none_or(|&b| b & 0x80 != 0) {
            v.insert(0, 0);
        }
        let mut out = vec![0x02, u8::try_from(v.len()).unwrap_or(0)];
        out.extend(v);
        out
    }
    let body = [int(r), int(s)].concat();
    let mut out = vec![0x30];
    if body.len() >= 0x80 {
        out.push(0x81);
    }
    out.push(u8::try_from(body.len()).unwrap_or(0));
    out.extend(body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_and_arithmetic_helpers() {
        let n = authorizer::Curve::P521.order();
        assert_eq!(sub(&add(&[1u8; 66], n), n), vec![1u8; 66]);
        let d = der_sig(&[0u8; 66], &{
            let mut x = [0u8; 66];
            x[65] = 0x80;
            x
        });
        assert_eq!(
            d,
            vec![0x30, 0x07, 0x02, 0x01, 0x00, 0x02, 0x02, 0x00, 0x80]
        );
    }
}
