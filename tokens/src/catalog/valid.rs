//! Tokens the policy must allow (README "The policy": the genuine key, our
//! issuer and audience, inside the time window), in every accepted spelling.

use super::language::GENUINE;
use super::language::{def, Claims::*, Edit::*, Genuine, Header::*, Recipe::*, Row, Val::*};
use super::vocab::{Expected::Allow, Family::Valid};
use serde_json::json;

#[rustfmt::skip]
pub(super) const ROWS: &[Row] = &[
    def("valid-bearer", Valid, Allow, "RFC 6750 §2.1", "a genuine token, canonical Bearer header", GENUINE),
    def("valid-bare-token", Valid, Allow, "policy: bare tokens (Go authorizer clients)", "the token without a scheme", GENUINE).wrap("{t}"),
    def("valid-bearer-lowercase", Valid, Allow, "RFC 9110 §11.1 (scheme case-insensitive)", "`bearer` scheme", GENUINE).wrap("bearer {t}"),
    def("valid-bearer-uppercase", Valid, Allow, "RFC 9110 §11.1", "`BEARER` scheme", GENUINE).wrap("BEARER {t}"),
    def("valid-bearer-double-space", Valid, Allow, "RFC 6750 §2.1 (1*SP)", "two spaces after Bearer", GENUINE).wrap("Bearer  {t}"),
    def("valid-surrounding-whitespace", Valid, Allow, "RFC 9110 §5.5", "leading and trailing spaces around the value",
        GENUINE).wrap("  Bearer {t}  "),
    def("valid-high-s-twin", Valid, Allow, "RFC 7518 §3.4; Wycheproof tcId 1 (malleability is valid)", "the genuine signature with s replaced by n - s",
        Resigned(high_s_twin)),
    def("valid-float-exp", Valid, Allow, "RFC 7519 §2 NumericDate", "fractional exp",
        Signed(AlgTyp, Edited(&[Set("exp", Fn(|e| json!(e.profile.now as f64 + 300.5)))]))),
    def("valid-aud-array", Valid, Allow, "RFC 7519 §4.1.3", "aud array containing ours",
        Signed(AlgTyp, Edited(&[Set("aud", Fn(|e| json!(["other-api", e.profile.audience])))]))),
    def("valid-unknown-claims", Valid, Allow, "RFC 7519 §4 (unknown claims ignored)", "extra custom claims",
        Signed(AlgTyp, Edited(&[Set("tenant", Str("t-1")), Set("roles", Json(r#"["a","b"]"#)), Set("nested", Json(r#"{"x":1}"#))]))),
    def("valid-proto-keys", Valid, Allow, "JS prototype keys are ordinary claims", "__proto__ and constructor claims",
        Signed(AlgTyp, Edited(&[Set("__proto__", Json(r#"{"admin":true}"#)), Set("constructor", Str("x"))]))),
    def("valid-typ-lowercase", Valid, Allow, "RFC 7515 §4.1.9 (media types case-insensitive)", "typ jwt",
        Signed(Members(&[("alg", OwnAlg), ("typ", Str("jwt"))]), Standard)),
    def("valid-typ-application-jwt", Valid, Allow, "RFC 7515 §4.1.9 (media types case-insensitive)", "typ application/jwt",
        Signed(Members(&[("alg", OwnAlg), ("typ", Str("application/jwt"))]), Standard)),
    def("valid-no-typ", Valid, Allow, "RFC 7515 §4.1.9 (typ optional)", "header without typ",
        Signed(Exact(br#"{"alg":"ES512"}"#), Standard)),
    def("valid-kid-bound", Valid, Allow, "RFC 7515 §4.1.4", "kid naming the genuine key",
        Signed(Members(&[("alg", OwnAlg), ("typ", Str("JWT")), ("kid", Kid)]), Standard)),
    def("valid-alg-json-escaped", Valid, Allow, "RFC 8259 §7 (escapes decoded before comparing)", "alg written with JSON escapes",
        Signed(Exact(br#"{"alg":"ES\u0035\u00312"}"#), Standard)),
    def("valid-unknown-header-member", Valid, Allow, "RFC 7515 §4 (unknown parameters ignored)", "an extra harmless header member",
        Signed(Exact(br#"{"alg":"ES512","x-trace":"abc"}"#), Standard)),
    def("valid-exp-now-plus-1", Valid, Allow, "RFC 7519 §4.1.4", "exp = now + 1 (leeway 0); minted just before it is sent",
        Signed(AlgTyp, Edited(&[Set("exp", NowPlus(1))]))).fresh(),
    def("valid-nbf-now", Valid, Allow, "RFC 7519 §4.1.5 (at or after nbf)", "nbf = now", Signed(AlgTyp, Edited(&[Set("nbf", NowPlus(0))]))),
    def("valid-legacy-shape", Valid, Allow, "the Go issuer's claims plus iss/aud", "24 h token with nbf, iat and a custom userid, no kid",
        Signed(AlgTyp, Edited(&[Set("userid", Str("legacy-42")), Set("nbf", NowPlus(-5)), Set("exp", NowPlus(86_400))]))),
];

/// ECDSA: the genuine `r` with `s` replaced by `n - s` (also valid).
pub(super) fn high_s_twin(g: &Genuine) -> Vec<u8> {
    [g.r(), &super::language::sub(g.n, g.s())].concat()
}
