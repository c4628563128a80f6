//! The catalog for a key of any algorithm other than ES512: what depends on
//! the algorithm (valid tokens, signature encodings, algorithm confusion
//! against a key pinned to one algorithm) plus a sample of the claims
//! policy, which is the same code for every key. Ids carry the algorithm
//! (`ps256/alg-rs256-same-key`), so `--spec all` reports stay unambiguous.
//! The full ES512 catalog covers the algorithm-blind families (header
//! parsing, JSON, claims, transport) in depth.

use super::forged::{alg_none, flip_bit};
use super::language::GENUINE;
use super::language::{
    def, der_sig, gen, Claims::*, Edit::*, Header::*, MacKey, Recipe::*, Row, Val::*,
};
use super::valid::high_s_twin;
use super::vocab::Expected::{Allow, Deny};
use super::vocab::Family::{Expired as Exp, Forged, Valid};
use authorizer::Algorithm;
use authorizer::RejectReason::{self, *};
use serde_json::json;

/// The RSA algorithm with the other padding and the same hash (RS256 ↔ PS256).
fn counterpart(alg: Algorithm) -> Option<Algorithm> {
    use Algorithm as A;
    Some(match alg {
        A::Rs256 => A::Ps256,
        A::Rs384 => A::Ps384,
        A::Rs512 => A::Ps512,
        A::Ps256 => A::Rs256,
        A::Ps384 => A::Rs384,
        A::Ps512 => A::Rs512,
        _ => return None,
    })
}

/// Rows every key shares (the claims policy is algorithm-blind).
#[rustfmt::skip]
const COMMON: &[Row] = &[
    def("valid-bearer", Valid, Allow, "RFC 7515 §5.2", "a genuine {alg} token", GENUINE),
    def("valid-bare-token", Valid, Allow, "policy: bare tokens", "the token without a scheme", GENUINE).wrap("{t}"),
    def("valid-no-typ", Valid, Allow, "RFC 7515 §4.1.9", "header without typ", Signed(Members(&[("alg", OwnAlg)]), Standard)),
    def("valid-kid-bound", Valid, Allow, "RFC 7515 §4.1.4", "kid naming the genuine key",
        Signed(Members(&[("alg", OwnAlg), ("typ", Str("JWT")), ("kid", Kid)]), Standard)),
    def("valid-aud-array", Valid, Allow, "RFC 7519 §4.1.3", "aud array containing ours",
        Signed(AlgTyp, Edited(&[Set("aud", Fn(|e| json!(["other-api", e.profile.audience])))]))),
    def("exp-past", Exp, Deny(Expired), "RFC 7519 §4.1.4", "exp an hour ago",
        Signed(AlgTyp, Edited(&[Set("exp", NowPlus(-3600)), Set("iat", NowPlus(-3900))]))),
    def("nbf-future", Exp, Deny(NotYetValid), "RFC 7519 §4.1.5", "nbf an hour ahead", Signed(AlgTyp, Edited(&[Set("nbf", NowPlus(3600))]))),
    def("iss-wrong", Forged, Deny(WrongIssuer), "RFC 7519 §4.1.1", "another issuer",
        Signed(AlgTyp, Edited(&[Set("iss", Str("https://evil.example"))]))),
    def("aud-wrong", Forged, Deny(WrongAudience), "RFC 7519 §4.1.3", "another audience",
        Signed(AlgTyp, Edited(&[Set("aud", Str("other-api"))]))),
];

/// Signatures that must not verify, and attacker-chosen keys.
#[rustfmt::skip]
const INTEGRITY: &[Row] = &[
    def("sig-bitflip", Forged, Deny(BadSignature), "integrity", "one bit of the signature flipped", Resigned(|g| flip_bit(g, g.sig.len() / 2))),
    def("sig-transplant", Forged, Deny(BadSignature), "integrity", "a genuine signature moved onto other claims",
        Transplanted(Edited(&[Set("sub", Str("admin"))]))),
    def("sig-foreign-key", Forged, Deny(BadSignature), "RFC 7515 §5.2", "signed by an attacker's {alg} key", Attacker(AlgTyp)),
    def("hdr-jku", Forged, Deny(ForbiddenHeader), "RFC 8725 §3.10", "jku pointing at an attacker JWKS, signed by the attacker's key",
        Attacker(Members(&[("alg", OwnAlg), ("jku", Str("https://attacker.invalid/jwks.json"))]))),
    def("kid-unknown", Forged, Deny(UnknownKid), "RFC 7515 §4.1.4", "genuinely signed, kid of no configured key",
        Signed(Members(&[("alg", OwnAlg), ("kid", Str("some-other-key"))]), Standard)),
    def("sig-empty", Forged, Deny(RejectReason::Malformed), "CVE-2020-28042", "empty signature segment", Text(|g| format!("{}.", g.input))),
];

/// ECDSA keys: `(r, s)` out of range, rearranged or DER-encoded.
#[rustfmt::skip]
const ECDSA: &[Row] = &[
    def("valid-high-s-twin", Valid, Allow, "RFC 7518 §3.4; Wycheproof (malleability is valid)", "the genuine signature with s replaced by n - s",
        Resigned(high_s_twin)),
    def("sig-psychic-zero", Forged, Deny(BadSignature), "CVE-2022-21449; SEC 1 §4.1.4", "r = s = 0", Resigned(|g| vec![0; g.sig.len()])),
    def("sig-r-eq-n", Forged, Deny(BadSignature), "CVE-2022-21449; SEC 1 §4.1.4", "r = n", Resigned(|g| [g.n, g.s()].concat())),
    def("sig-s-eq-n", Forged, Deny(BadSignature), "CVE-2022-21449; SEC 1 §4.1.4", "s = n", Resigned(|g| [g.r(), g.n].concat())),
    def("sig-r-s-swapped", Forged, Deny(BadSignature), "CVE-2022-21449; SEC 1 §4.1.4", "s || r", Resigned(|g| [g.s(), g.r()].concat())),
    def("sig-der-encoded", Forged, Deny(RejectReason::Malformed), "RFC 7518 §3.4 (R||S, not DER)", "the genuine (r, s) in DER, as KMS returns it",
        Resigned(|g| der_sig(g.r(), g.s()))),
];

/// RSA keys: signatures of the wrong integer or the wrong length.
#[rustfmt::skip]
const RSA: &[Row] = &[
    def("sig-zero", Forged, Deny(BadSignature), "RFC 8017 §8.2.2", "a signature of all zero bytes", Resigned(|g| vec![0; g.sig.len()])),
    def("sig-leading-zero-stripped", Forged, Deny(RejectReason::Malformed), "RFC 8017 §5.2.1 I2OSP; RFC 7518 §3.3 (exactly k octets)", "a genuine signature whose leading zero byte was stripped (the same integer)",
        LeadingZeroStripped),
];

/// Ed25519 keys (RFC 8032): a zero signature, and the malleable twin.
#[rustfmt::skip]
const ED25519: &[Row] = &[
    def("sig-zero", Forged, Deny(BadSignature), "RFC 8032 §5.1.7", "a signature of all zero bytes", Resigned(|g| vec![0; g.sig.len()])),
    def("sig-s-plus-l", Forged, Deny(BadSignature), "RFC 8032 §5.1.7, §8.4 (S < L: no malleability)", "the genuine signature with S replaced by S + L, the same point",
        Resigned(s_plus_l)),
];

/// ML-DSA keys (FIPS 204, RFC 9964): a zero signature, and an embedded
/// `AKP` key whose `alg` names another level.
#[rustfmt::skip]
const ML_DSA: &[Row] = &[
    def("sig-zero", Forged, Deny(BadSignature), "FIPS 204 §6.3", "a signature of all zero bytes", Resigned(|g| vec![0; g.sig.len()])),
    def("hdr-jwk-akp-alg-mismatch", Forged, Deny(ForbiddenHeader), "RFC 8725 §3.10; RFC 9964 (alg is part of an AKP key)",
        "an embedded AKP jwk whose alg names another ML-DSA level (pub: the genuine key's first 64 bytes, so the token fits the size limit), signed by the attacker's key",
        Attacker(Members(&[("alg", OwnAlg), ("jwk", Fn(akp_other_level))]))),
];

/// The group order L of edwards25519 (RFC 8032 §5.1), little-endian.
const ED25519_L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// `R || S + L`: S is little-endian and below L < 2^253, so the sum fits.
fn s_plus_l(g: &super::language::Genuine) -> Vec<u8> {
    let mut out = g.sig.clone();
    let mut carry = 0u16;
    for (byte, l) in out[32..].iter_mut().zip(ED25519_L) {
        let sum = u16::from(*byte) + u16::from(l) + carry;
        *byte = (sum & 0xff) as u8;
        carry = sum >> 8;
    }
    out
}

/// An `AKP` JWK whose `alg` is another ML-DSA level's. Its `pub` is the
/// genuine key's first 64 bytes: a whole ML-DSA-87 key (3.5 KB of base64)
/// would push the token past the 8 KB limit, and the header is refused
/// before any key in it is read.
fn akp_other_level(e: &super::language::Env) -> serde_json::Value {
    let other = if e.alg == Algorithm::MlDsa44 {
        Algorithm::MlDsa65
    } else {
        Algorithm::MlDsa44
    };
    let len = e.alg.raw_key_sizes().map_or(0, |(k, _)| k);
    let public = &e.spki[e.spki.len().saturating_sub(len)..];
    let head = &public[..public.len().min(64)];
    json!({"kty": "AKP", "alg": other.name(), "pub": super::language::b64(head)})
}

/// The rows for a key of `alg` whose signatures are `len` bytes, ids
/// prefixed with the algorithm and `{alg}` in descriptions filled in.
pub(super) fn rows(alg: Algorithm, len: usize) -> Vec<Row> {
    let a = alg.name();
    let twin = counterpart(alg);
    let mut rows = COMMON.to_vec();
    for other in Algorithm::ALL.into_iter().filter(|o| *o != alg) {
        rows.push(gen(
            format!("alg-{}-header", other.name().to_lowercase()),
            Forged,
            Deny(AlgNotAllowed),
            "RFC 8725 §3.1 (the key fixes the algorithm)",
            format!("header {}, signed by the genuine {a} key", other.name()),
            Signed(Labelled(other.name()), Standard),
        ));
    }
    // RFC 8037's name for Ed25519: the same verification on an Ed25519
    // key (accepted), no algorithm of any other key.
    rows.push(if alg == Algorithm::Ed25519 {
        gen(
            "alg-eddsa-header",
            Valid,
            Allow,
            "RFC 8037 §3.1; RFC 9864 §2 (the deprecated name of the same algorithm)",
            "header EdDSA, signed by the genuine Ed25519 key",
            Signed(Labelled("EdDSA"), Standard),
        )
    } else {
        gen(
            "alg-eddsa-header",
            Forged,
            Deny(AlgNotAllowed),
            "RFC 8725 §3.1 (the key fixes the algorithm)",
            format!("header EdDSA, signed by the genuine {a} key"),
            Signed(Labelled("EdDSA"), Standard),
        )
    });
    if let Some(c) = twin {
        let cn = c.name();
        rows.push(gen(
            format!("alg-{}-same-key", cn.to_lowercase()),
            Forged,
            Deny(AlgNotAllowed),
            "RFC 8725 §3.1; RFC 7518 §3.3, §3.5",
            format!("a genuine {cn} signature by the same RSA key, pinned to {a}"),
            SignedAs(Labelled(cn), c),
        ));
        rows.push(gen(
            format!("sig-{}-padding", cn.to_lowercase()),
            Forged,
            Deny(BadSignature),
            "RFC 7518 §3.3, §3.5 (padding is part of the algorithm)",
            format!("header {a}, signed by the same key with {cn}'s padding"),
            SignedAs(AlgTyp, c),
        ));
    }
    rows.extend(alg_none(
        &["none", "None"],
        "RFC 8725 §2.1; CVE-2015-9235",
        "RFC 8725 §3.1",
    ));
    for (name, key) in [("pem", MacKey::Pem), ("der", MacKey::Der)] {
        rows.push(gen(
            format!("alg-hs256-pubkey-{name}"),
            Forged,
            Deny(RejectReason::Malformed),
            "CVE-2016-10555; RFC 8725 §3.1",
            format!("HS256 keyed with the public key ({name}); a MAC is not {len} bytes"),
            Mac {
                alg: "HS256",
                key,
                padded: false,
            },
        ));
        rows.push(gen(
            format!("alg-hs256-pubkey-{name}-padded"),
            Forged,
            Deny(AlgNotAllowed),
            "CVE-2016-10555; RFC 8725 §3.1",
            format!("HS256 keyed with the public key ({name}), repeated to {len} bytes"),
            Mac {
                alg: "HS256",
                key,
                padded: true,
            },
        ));
    }
    rows.extend_from_slice(INTEGRITY);
    for l in [len - 1, len + 1] {
        rows.push(gen(
            format!("sig-length-{l}"),
            Forged,
            Deny(RejectReason::Malformed),
            "RFC 7518 §3.3–3.5 (the key's exact signature length)",
            format!("{l}-byte signature (the key's is {len})"),
            Resized(l),
        ));
    }
    if alg.curve().is_some() {
        // Lengths of the other curves' signatures (ES384's under ES256 …).
        let mut lens: Vec<usize> = authorizer::Curve::ALL
            .iter()
            .map(|c| 2 * c.scalar_len())
            .filter(|l| *l != len)
            .collect();
        lens.sort_unstable();
        lens.dedup();
        for l in lens {
            rows.push(gen(
                format!("sig-length-{l}"),
                Forged,
                Deny(RejectReason::Malformed),
                "RFC 7518 §3.4 (R || S of the key's curve)",
                format!("a {l}-byte signature, another curve's length"),
                Resized(l),
            ));
        }
        rows.extend_from_slice(ECDSA);
    } else if alg.is_rsa() {
        rows.extend_from_slice(RSA);
    } else if alg == Algorithm::Ed25519 {
        rows.extend_from_slice(ED25519);
    } else {
        // The other levels' signature lengths (ML-DSA-44's under 65 …).
        for other in [Algorithm::MlDsa44, Algorithm::MlDsa65, Algorithm::MlDsa87] {
            let l = other.raw_key_sizes().map_or(0, |(_, sig)| sig);
            if l != len {
                rows.push(gen(
                    format!("sig-length-{l}"),
                    Forged,
                    Deny(RejectReason::Malformed),
                    "FIPS 204 Table 2 (the level's exact signature length)",
                    format!("a {l}-byte signature, {}'s length", other.name()),
                    Resized(l),
                ));
            }
        }
        rows.extend_from_slice(ML_DSA);
    }
    let lower = a.to_lowercase();
    for row in &mut rows {
        row.id = format!("{lower}/{}", row.id).into();
        if row.description.contains("{alg}") {
            row.description = row.description.replace("{alg}", a).into();
        }
    }
    rows
}
