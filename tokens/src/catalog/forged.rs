//! Tokens not signed by the genuine key for us: algorithm and key
//! confusion, signature encodings, headers that try to choose the key, and
//! genuine tokens for another issuer or audience.

use super::language::{
    add, def, der_sig, gen, sub, Claims::*, Edit::*, Genuine, Header::*, MacKey, Recipe::*, Row,
    Val::*,
};
use super::vocab::Expected::Deny;
use super::vocab::Family::Forged;
use authorizer::RejectReason::{self, *};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::json;

const ISS_REF: &str = "RFC 7519 §4.1.1; RFC 8725 §3.8; CVE-2024-53861";
const AUD_REF: &str = "RFC 7519 §4.1.3; RFC 8725 §3.9; CVE-2020-26160";

/// The forged rows, in order.
pub(super) fn rows() -> Vec<Row> {
    let mut rows = alg_none(
        &["none", "None", "NONE", "nOnE"],
        "RFC 7518 §3.6; RFC 8725 §2.1; CVE-2015-9235",
        "RFC 8725 §3.1; CVE-2022-23540",
    );
    for alg in ["HS256", "HS384", "HS512"] {
        for (name, key) in [
            ("pem", MacKey::Pem),
            ("pem-no-newline", MacKey::PemNoNewline),
            ("der", MacKey::Der),
            ("raw-point", MacKey::RawPoint),
            ("jwk", MacKey::Jwk),
        ] {
            rows.push(gen(
                format!("alg-{}-pubkey-{name}", alg.to_lowercase()),
                Forged,
                Deny(RejectReason::Malformed),
                "CVE-2016-10555; CVE-2022-29217; RFC 8725 §3.1",
                format!("{alg} keyed with the public key ({name}); a MAC is not 132 bytes"),
                Mac {
                    alg,
                    key,
                    padded: false,
                },
            ));
        }
    }
    rows.push(def(
        "alg-hs512-padded-to-132",
        Forged,
        Deny(AlgNotAllowed),
        "RFC 8725 §3.1",
        "HS512 label with a 132-byte value",
        Mac {
            alg: "HS512",
            key: MacKey::Pem,
            padded: true,
        },
    ));
    for (alg, hash_len) in [("ES256", 32usize), ("ES384", 48)] {
        let lower = alg.to_lowercase();
        rows.push(gen(
            format!("alg-{lower}-genuine-key-132"),
            Forged,
            Deny(AlgNotAllowed),
            "RFC 7518 §3.4; RFC 8725 §3.1",
            format!("{alg} label, signed with the genuine P-521 key over a {hash_len}-byte hash"),
            ShortHash {
                alg,
                hash_len,
                short: false,
            },
        ));
        rows.push(gen(
            format!("alg-{lower}-genuine-key-short"),
            Forged,
            Deny(RejectReason::Malformed),
            "RFC 7518 §3.4",
            format!("{alg} label with a {}-byte signature", hash_len * 2),
            ShortHash {
                alg,
                hash_len,
                short: true,
            },
        ));
    }
    rows.extend(signed_headers(
        Deny(AlgNotAllowed),
        "RFC 7515 §4.1.1; RFC 8725 §3.1",
        &[
            ("alg-lowercase", br#"{"alg":"es512"}"#),
            ("alg-mixed-case", br#"{"alg":"Es512"}"#),
            ("alg-trailing-space", br#"{"alg":"ES512 "}"#),
            ("alg-typo-es521", br#"{"alg":"ES521"}"#),
            ("alg-missing", br#"{"typ":"JWT"}"#),
            ("alg-null", br#"{"alg":null}"#),
            ("alg-array", br#"{"alg":["ES512"]}"#),
            ("alg-rs256", br#"{"alg":"RS256"}"#),
            ("alg-eddsa", br#"{"alg":"EdDSA"}"#),
        ],
    ));
    rows.extend(signed_headers(
        Deny(BadHeader),
        "RFC 7515 §4 (duplicates rejected: policy)",
        &[
            (
                "alg-duplicate-none-first",
                br#"{"alg":"none","alg":"ES512"}"#,
            ),
            (
                "alg-duplicate-es512-first",
                br#"{"alg":"ES512","alg":"none"}"#,
            ),
        ],
    ));
    rows.extend_from_slice(SIGNATURES);
    for len in [64usize, 96, 131, 133, 134] {
        rows.push(gen(
            format!("sig-length-{len}"),
            Forged,
            Deny(RejectReason::Malformed),
            "RFC 7518 §3.4 (exactly 132 bytes)",
            format!("{len}-byte signature"),
            Resized(len),
        ));
    }
    rows.extend_from_slice(SIGNATURE_SEGMENTS);
    rows.extend_from_slice(KEY_CHOOSING_HEADERS);
    rows.extend_from_slice(KIDS);
    rows.extend_from_slice(KID_SHAPES);
    for (id, header, reference) in CRIT_AND_PROCESSING {
        rows.extend(signed_headers(
            Deny(ForbiddenHeader),
            reference,
            &[(id, header)],
        ));
    }
    rows.extend_from_slice(TYP);
    rows.extend_from_slice(SOMEONE_ELSE);
    rows
}

/// `alg: none` in each spelling: unsigned, and keeping a genuine signature.
pub(super) fn alg_none(
    spellings: &[&'static str],
    unsigned_ref: &'static str,
    signed_ref: &'static str,
) -> Vec<Row> {
    let mut rows = Vec::new();
    for &alg in spellings {
        rows.push(gen(
            format!("alg-{alg}-unsigned"),
            Forged,
            Deny(RejectReason::Malformed),
            unsigned_ref,
            format!("alg {alg}, empty signature"),
            ForgedSig(Labelled(alg), |_, _| Vec::new()),
        ));
        rows.push(gen(
            format!("alg-{alg}-with-signature"),
            Forged,
            Deny(AlgNotAllowed),
            signed_ref,
            format!("alg {alg} keeping a genuine-length signature"),
            ForgedSig(Labelled(alg), |g, _| g.sig.clone()),
        ));
    }
    rows
}

/// Genuinely signed tokens with exactly these header bytes.
fn signed_headers(
    expected: super::vocab::Expected,
    reference: &'static str,
    headers: &[(&'static str, &'static [u8])],
) -> Vec<Row> {
    headers
        .iter()
        .map(|&(id, header)| {
            gen(
                id,
                Forged,
                expected,
                reference,
                format!(
                    "genuinely signed, header {}",
                    String::from_utf8_lossy(header)
                ),
                Signed(Exact(header), Standard),
            )
        })
        .collect()
}

/// ECDSA `(r, s)` out of range or rearranged: each must fail verification.
#[rustfmt::skip]
const SIGNATURES: &[Row] = &[
    def("sig-psychic-zero", Forged, Deny(BadSignature), "CVE-2022-21449", "r = s = 0", Resigned(|g| vec![0; g.sig.len()])),
    def("sig-r-zero", Forged, Deny(BadSignature), "SEC 1 §4.1.4", "r = 0", Resigned(|g| [&vec![0; g.r().len()][..], g.s()].concat())),
    def("sig-s-zero", Forged, Deny(BadSignature), "SEC 1 §4.1.4", "s = 0", Resigned(|g| [g.r(), &vec![0; g.s().len()]].concat())),
    def("sig-r-eq-n", Forged, Deny(BadSignature), "SEC 1 §4.1.4", "r = n", Resigned(|g| [g.n, g.s()].concat())),
    def("sig-s-eq-n", Forged, Deny(BadSignature), "SEC 1 §4.1.4", "s = n", Resigned(|g| [g.r(), g.n].concat())),
    def("sig-r-plus-n", Forged, Deny(BadSignature), "Wycheproof RangeCheck", "r + n (still 66 bytes)",
        Resigned(|g| [&add(g.r(), g.n)[..], g.s()].concat())),
    def("sig-s-plus-n", Forged, Deny(BadSignature), "Wycheproof RangeCheck", "s + n", Resigned(|g| [g.r(), &add(g.s(), g.n)].concat())),
    def("sig-n-minus-r", Forged, Deny(BadSignature), "Wycheproof ModifiedInteger", "n - r", Resigned(|g| [&sub(g.n, g.r())[..], g.s()].concat())),
    def("sig-r-s-swapped", Forged, Deny(BadSignature), "RFC 7518 §3.4", "s || r", Resigned(|g| [g.s(), g.r()].concat())),
    def("sig-bitflip", Forged, Deny(BadSignature), "integrity", "one bit of s flipped", Resigned(|g| flip_bit(g, 100))),
    def("sig-transplant", Forged, Deny(BadSignature), "integrity", "a genuine signature moved onto other claims",
        Transplanted(Edited(&[Set("sub", Str("admin"))]))),
    def("sig-foreign-key", Forged, Deny(BadSignature), "RFC 7515 §5.2", "signed by an attacker's P-521 key", Attacker(AlgTyp)),
    def("sig-der-encoded", Forged, Deny(RejectReason::Malformed), "RFC 7518 §3.4 (R||S, not DER)", "the genuine (r, s) in DER, as KMS returns it",
        Resigned(|g| der_sig(g.r(), g.s()))),
];

/// The genuine signature with bit 2 of byte `at` flipped.
pub(super) fn flip_bit(g: &Genuine, at: usize) -> Vec<u8> {
    let mut v = g.sig.clone();
    v[at] ^= 0x04;
    v
}

#[rustfmt::skip]
const SIGNATURE_SEGMENTS: &[Row] = &[
    def("sig-empty", Forged, Deny(RejectReason::Malformed), "CVE-2020-28042", "empty signature segment", Text(|g| format!("{}.", g.input))),
    def("sig-truncated-4-chars", Forged, Deny(RejectReason::Malformed), "jwt_tool playbook", "signature missing its last 4 characters",
        Text(|g| g.token[..g.token.len() - 4].to_owned())),
];

/// Headers that try to choose the key, signed by the attacker's key.
#[rustfmt::skip]
const KEY_CHOOSING_HEADERS: &[Row] = &[
    def("hdr-jwk-embedded", Forged, Deny(ForbiddenHeader), "CVE-2018-0114", "attacker key embedded as jwk, signed by it",
        Attacker(Computed(|e| json!({"alg": e.alg.name(), "jwk": e.jwk(&e.attacker_point())})))),
    def("hdr-jku", Forged, Deny(ForbiddenHeader), "RFC 8725 §3.10", "jku pointing at an attacker JWKS",
        Attacker(Members(&[("alg", OwnAlg), ("jku", Str("https://attacker.invalid/jwks.json"))]))),
    def("hdr-x5u", Forged, Deny(ForbiddenHeader), "RFC 7515 §4.1.5", "x5u pointing at an attacker certificate",
        Attacker(Members(&[("alg", OwnAlg), ("x5u", Str("https://attacker.invalid/cert.pem"))]))),
    def("hdr-x5c", Forged, Deny(ForbiddenHeader), "RFC 7515 §4.1.6", "an attacker certificate chain",
        Attacker(Computed(|e| json!({"alg": e.alg.name(), "x5c": [STANDARD.encode(e.attacker_point())]})))),
];

/// Genuinely signed with a kid no key has (injection attempts included).
#[rustfmt::skip]
const KIDS: &[Row] = &[
    def("kid-path-traversal", Forged, Deny(UnknownKid), KID_REF, r#"genuinely signed, kid "../../../../../../dev/null""#,
        Signed(Members(&[("alg", OwnAlg), ("kid", Str("../../../../../../dev/null"))]), Standard)),
    def("kid-sql-injection", Forged, Deny(UnknownKid), KID_REF, r#"genuinely signed, kid "x' UNION SELECT '1';--""#,
        Signed(Members(&[("alg", OwnAlg), ("kid", Str("x' UNION SELECT '1';--"))]), Standard)),
    def("kid-command-injection", Forged, Deny(UnknownKid), KID_REF, r#"genuinely signed, kid "|sleep 10""#,
        Signed(Members(&[("alg", OwnAlg), ("kid", Str("|sleep 10"))]), Standard)),
    def("kid-unknown", Forged, Deny(UnknownKid), KID_REF, r#"genuinely signed, kid "some-other-key""#,
        Signed(Members(&[("alg", OwnAlg), ("kid", Str("some-other-key"))]), Standard)),
];
const KID_REF: &str = "jwt_tool playbook; RFC 7515 §4.1.4";

/// Kids of the wrong shape.
#[rustfmt::skip]
const KID_SHAPES: &[Row] = &[
    def("kid-control-chars", Forged, Deny(BadHeader), "policy: kid ≤ 256 printable ASCII", "newline and an ANSI escape in kid",
        Signed(Members(&[("alg", OwnAlg), ("kid", Str("key\n\u{1b}[31m"))]), Standard)),
    def("kid-too-long", Forged, Deny(BadHeader), "policy: kid ≤ 256 printable ASCII", "a 1000-character kid",
        Signed(Members(&[("alg", OwnAlg), ("kid", Fn(|_| json!("k".repeat(1000))))]), Standard)),
    def("kid-not-string", Forged, Deny(BadHeader), "policy: kid ≤ 256 printable ASCII", "numeric kid",
        Signed(Members(&[("alg", OwnAlg), ("kid", Json("12"))]), Standard)),
    def("kid-10kb", Forged, Deny(TooLarge), "policy: size cap before decoding", "a 10 KB kid",
        Signed(Members(&[("alg", OwnAlg), ("kid", Fn(|_| json!("k".repeat(10_240))))]), Standard)),
];

/// Parameters that change processing (RFC 7515 §4.1.11, RFC 7797, JWE).
const CRIT_AND_PROCESSING: [(&str, &[u8], &str); 7] = [
    (
        "crit-unknown",
        br#"{"alg":"ES512","crit":["x-unknown"],"x-unknown":1}"#,
        "RFC 7515 §4.1.11; CVE-2025-59420",
    ),
    (
        "crit-empty",
        br#"{"alg":"ES512","crit":[]}"#,
        "RFC 7515 §4.1.11",
    ),
    (
        "crit-malformed",
        br#"{"alg":"ES512","crit":"b64"}"#,
        "RFC 7515 §4.1.11",
    ),
    (
        "b64-false",
        br#"{"alg":"ES512","b64":false,"crit":["b64"]}"#,
        "RFC 7797 §7 (JWTs must not use it)",
    ),
    (
        "cty-nested-jwt",
        br#"{"alg":"ES512","cty":"JWT"}"#,
        "RFC 7519 §5.2",
    ),
    (
        "zip-in-jws",
        br#"{"alg":"ES512","zip":"DEF"}"#,
        "RFC 7516 §4.1.3",
    ),
    (
        "enc-in-jws",
        br#"{"alg":"ES512","enc":"A256GCM"}"#,
        "RFC 7516 §4.1.2",
    ),
];

#[rustfmt::skip]
const TYP: &[Row] = &[
    def("typ-jwe", Forged, Deny(BadHeader), "RFC 8725 §3.11", "typ JWE", Signed(Members(&[("alg", OwnAlg), ("typ", Str("JWE"))]), Standard)),
    def("typ-at-jwt", Forged, Deny(BadHeader), "RFC 8725 §3.11", "typ at+jwt",
        Signed(Members(&[("alg", OwnAlg), ("typ", Str("at+jwt"))]), Standard)),
];

/// Genuine tokens for another issuer or audience.
#[rustfmt::skip]
const SOMEONE_ELSE: &[Row] = &[
    def("iss-missing", Forged, Deny(WrongIssuer), ISS_REF, "no iss", Signed(AlgTyp, Edited(&[Remove("iss")]))),
    def("iss-wrong", Forged, Deny(WrongIssuer), ISS_REF, "another issuer",
        Signed(AlgTyp, Edited(&[Set("iss", Str("https://evil.example"))]))),
    def("iss-trailing-slash", Forged, Deny(WrongIssuer), ISS_REF, "issuer with a trailing /",
        Signed(AlgTyp, Edited(&[Set("iss", Fn(|e| json!(format!("{}/", e.profile.issuer))))]))),
    def("iss-case", Forged, Deny(WrongIssuer), ISS_REF, "issuer in other case",
        Signed(AlgTyp, Edited(&[Set("iss", Fn(|e| json!(e.profile.issuer.to_uppercase())))]))),
    def("iss-not-string", Forged, Deny(WrongIssuer), ISS_REF, "issuer as an array",
        Signed(AlgTyp, Edited(&[Set("iss", Fn(|e| json!([e.profile.issuer])))]))),
    def("aud-missing", Forged, Deny(WrongAudience), AUD_REF, "no aud", Signed(AlgTyp, Edited(&[Remove("aud")]))),
    def("aud-wrong", Forged, Deny(WrongAudience), AUD_REF, "another audience", Signed(AlgTyp, Edited(&[Set("aud", Str("other-api"))]))),
    def("aud-empty-array", Forged, Deny(WrongAudience), AUD_REF, "aud = []", Signed(AlgTyp, Edited(&[Set("aud", Json("[]"))]))),
    def("aud-non-string-member", Forged, Deny(WrongAudience), AUD_REF, "aud array with a number",
        Signed(AlgTyp, Edited(&[Set("aud", Fn(|e| json!([e.profile.audience, 1])))]))),
    def("aud-number", Forged, Deny(WrongAudience), AUD_REF, "aud = 5", Signed(AlgTyp, Edited(&[Set("aud", Json("5"))]))),
];
