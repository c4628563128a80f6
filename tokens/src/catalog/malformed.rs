//! Malformed encodings, JSON, claims and transport: each denied with the
//! reason of the first check it fails.

use super::language::GENUINE;
use super::language::{def, mod4_1, Claims, Claims::*, Edit::*, Header::*, Recipe::*, Row, Val::*};
use super::vocab::Expected::Deny;
use super::vocab::Family::Malformed;
use super::vocab::Profile;
use authorizer::RejectReason::{self, *};
use serde_json::json;

const MAL: super::vocab::Expected = Deny(RejectReason::Malformed);

#[rustfmt::skip]
pub(super) const ROWS: &[Row] = &[
    // ---- encoding and shape -------------------------------------------------
    def("b64-sig-padding", Malformed, MAL, "RFC 7515 §2", "= appended to the signature", Text(|g| format!("{}=", g.token))),
    def("b64-header-padding", Malformed, MAL, "RFC 7515 §2", "= appended to the header",
        Text(|g| { let (h, p, s) = g.segments(); format!("{h}=.{p}.{s}") })),
    def("b64-std-alphabet", Malformed, MAL, "RFC 4648 §5", "+ from the standard alphabet",
        Text(|g| { let (h, p, s) = g.segments(); format!("{h}.{p}.+{}", &s[1..]) })),
    def("b64-slash", Malformed, MAL, "RFC 4648 §5", "/ from the standard alphabet",
        Text(|g| { let (h, p, s) = g.segments(); format!("{h}.{p}./{}", &s[1..]) })),
    def("b64-noncanonical-bits", Malformed, MAL, "RFC 4648 §3.5", "payload with non-zero trailing bits",
        Text(|g| { let (h, _, s) = g.segments(); format!("{h}.e31.{s}") })),
    def("b64-length-mod4-1", Malformed, MAL, "RFC 4648 §4", "a segment of length ≡ 1 (mod 4)",
        Text(|g| { let (h, p, s) = g.segments(); format!("{h}.{}.{s}", mod4_1(p)) })),
    def("segs-2", Malformed, MAL, "RFC 7515 §7.1", "two segments", Text(|g| g.input.clone())),
    def("segs-4", Malformed, MAL, "RFC 7515 §7.1", "four segments", Text(|g| { let (_, _, s) = g.segments(); format!("{}.{s}", g.token) })),
    def("segs-jwe-5", Malformed, MAL, "RFC 7516 §7.1; GHSA-c8v6-786g-vjx6", "five segments (JWE-shaped)",
        Text(|g| { let (h, p, s) = g.segments(); format!("{h}.{p}.{p}.{p}.{s}") })),
    def("segs-empty-header", Malformed, MAL, "Wycheproof rejectsMissingHeader", "empty header segment",
        Text(|g| { let (_, p, s) = g.segments(); format!(".{p}.{s}") })),
    def("segs-empty-payload", Malformed, MAL, "Wycheproof", "empty payload segment", Text(|g| { let (h, _, s) = g.segments(); format!("{h}..{s}") })),
    def("segs-only-dots", Malformed, MAL, "Wycheproof rejectsEmptyString", "two dots", Text(|_| "..".to_owned())),
    def("non-ascii-fullwidth-dot", Malformed, MAL, "RFC 7515 §7.1", "a full-width dot", Text(|g| g.token.replacen('.', "．", 1))),
    def("non-ascii-zero-width", Malformed, MAL, "RFC 7515 §2", "a zero-width space",
        Text(|g| { let (h, p, s) = g.segments(); format!("{h}\u{200b}.{p}.{s}") })),
    def("json-serialization", Malformed, MAL, "Wycheproof rejectsValidJsonSerialization", "the JWS JSON serialization",
        Text(|g| { let (h, p, s) = g.segments(); json!({"payload": p, "signatures": [{"protected": h, "signature": s}]}).to_string() })),
    def("segs-many-dots", Malformed, Deny(TooLarge), "CVE-2025-30204", "10 000 dots", Text(|_| ".".repeat(10_000))),
    def("token-oversize", Malformed, Deny(TooLarge), "policy: JWT_MAX_TOKEN_BYTES", "a genuine token larger than the cap",
        Signed(AlgTyp, Edited(&[Set("pad", Fn(|e| json!("x".repeat(e.profile.max_token_bytes))))]))),
    def("ws-inside-token", Malformed, MAL, "RFC 7519 §7.2", "a space inside the token",
        Text(|g| { let (h, p, s) = g.segments(); format!("{h}.{p} .{s}") })),
    def("ws-newline-inside", Malformed, MAL, "RFC 7519 §7.2", "a line break inside the token",
        Text(|g| { let (h, p, s) = g.segments(); format!("{h}.\n{p}.{s}") })),
    // ---- JSON: genuinely signed claims the policy cannot read ----------------
    claims("json-dup-exp-past-first", "RFC 7519 §4 (reject duplicates: policy)", "genuinely signed; exp twice, past then future",
        Written(|p| { format!(r#"{{"iss":"{}","aud":"{}","exp":{},"exp":{}}}"#, p.issuer, p.audience, p.now - 100, p.now + 300).into_bytes() })),
    claims("json-dup-exp-future-first", "RFC 7519 §4", "genuinely signed; exp twice, future then past",
        Written(|p| { format!(r#"{{"iss":"{}","aud":"{}","exp":{},"exp":{}}}"#, p.issuer, p.audience, p.now + 300, p.now - 100).into_bytes() })),
    claims("json-case-variant-exp", "golang/go#11673", "genuinely signed; EXP instead of exp",
        Written(|p| { format!(r#"{{"iss":"{}","aud":"{}","EXP":{}}}"#, p.issuer, p.audience, p.now + 300).into_bytes() })),
    claims("json-claims-array", "RFC 7519 §7.2", "genuinely signed; claims are an array", Written(|_| b"[1,2,3]".to_vec())),
    claims("json-claims-string", "RFC 7519 §7.2", "genuinely signed; claims are a string", Written(|_| br#""claims""#.to_vec())),
    claims("json-invalid-utf8", "RFC 8725 §3.7", "genuinely signed; invalid UTF-8",
        Written(|p| { [&b"{\"iss\":\"\xff\",\"exp\":"[..], (p.now + 300).to_string().as_bytes(), b"}"].concat() })),
    claims("json-lone-surrogate", "RFC 8259 §8.2", "genuinely signed; a lone surrogate escape",
        Written(|p| { format!(r#"{{"sub":"\ud800","iss":"{}","aud":"{}","exp":{}}}"#, p.issuer, p.audience, p.now + 300).into_bytes() })),
    claims("json-trailing-garbage", "RFC 8259", "genuinely signed; text after the object",
        Written(|p| { format!(r#"{{"iss":"{}","aud":"{}","exp":{}}} x"#, p.issuer, p.audience, p.now + 300).into_bytes() })),
    claims("json-deep-nesting", "serde_json recursion limit", "genuinely signed; 500 nested arrays", Written(deep_nesting)),
    claims("json-exp-1e400", "RFC 8259 §6", "genuinely signed; exp = 1e400",
        Written(|p| { format!(r#"{{"iss":"{}","aud":"{}","exp":1e400}}"#, p.issuer, p.audience).into_bytes() })),
    claims("json-exp-2-pow-64", "policy: NumericDate ≤ year 9999", "genuinely signed; exp = 2^64",
        Written(|p| { format!(r#"{{"iss":"{}","aud":"{}","exp":18446744073709551616}}"#, p.issuer, p.audience).into_bytes() })),
    claims("claims-exp-missing", "policy: exp required", "genuinely signed; no exp", Edited(&[Remove("exp")])),
    claims("claims-exp-string", "RFC 7519 §2; CVE-2026-25537", "genuinely signed; exp as a string",
        Edited(&[Set("exp", Fn(|e| json!((e.profile.now + 300).to_string())))])),
    claims("claims-exp-bool", "RFC 7519 §2", "genuinely signed; exp = true", Edited(&[Set("exp", Json("true"))])),
    claims("claims-exp-null", "RFC 7519 §2", "genuinely signed; exp = null", Edited(&[Set("exp", Json("null"))])),
    claims("claims-nbf-string", "RFC 7519 §4.1.5", "genuinely signed; nbf as a string", Edited(&[Set("nbf", Str("now"))])),
    claims("claims-sub-number", "RFC 7519 §4.1.2", "genuinely signed; sub as a number", Edited(&[Set("sub", Json("7"))])),
    // ---- JSON: headers -------------------------------------------------------
    def("json-header-array", Malformed, Deny(BadHeader), "RFC 7515 §4", "header is an array", Signed(Exact(b"[\"ES512\"]"), Standard)),
    def("json-header-invalid-utf8", Malformed, Deny(BadHeader), "RFC 7515 §4", "invalid UTF-8 in the header",
        Signed(Exact(b"{\"alg\":\"ES512\",\"x\":\"\xfe\"}"), Standard)),
    def("json-header-trailing-garbage", Malformed, Deny(BadHeader), "RFC 7515 §4", "text after the header object",
        Signed(Exact(br#"{"alg":"ES512"}}"#), Standard)),
    // ---- transport -----------------------------------------------------------
    def("transport-basic", Malformed, Deny(BadScheme), "RFC 7617", "Basic credentials", Verbatim(Some("Basic dXNlcjpwYXNz"))),
    def("transport-token-scheme", Malformed, Deny(BadScheme), "RFC 6750 §2.1", "Token scheme with the genuine token", GENUINE).wrap("Token {t}"),
    def("transport-tab-separator", Malformed, Deny(BadScheme), "RFC 6750 §2.1 (1*SP)", "a tab between Bearer and the token",
        GENUINE).wrap("Bearer\t{t}"),
    def("transport-bearer-only", Malformed, Deny(MissingToken), "RFC 6750 §2.1", "Bearer with no token", Verbatim(Some("Bearer"))),
    def("transport-trailing-junk", Malformed, MAL, "RFC 6750 §2.1", "a second word after the token", GENUINE).wrap("Bearer {t} extra"),
    def("transport-two-tokens", Malformed, MAL, "payload 2.0 joins repeated headers with commas", "two Bearer values joined by a comma",
        GENUINE).wrap("Bearer {t},Bearer {t}"),
    def("transport-empty", Malformed, Deny(MissingToken), "API Gateway identity source", "an empty Authorization value", Verbatim(Some(""))),
    def("transport-missing", Malformed, Deny(MissingToken), "API Gateway identity source", "no Authorization header", Verbatim(None)),
];

/// Genuinely signed claims that are not a valid claims set: `bad_claims`.
const fn claims(
    id: &'static str,
    reference: &'static str,
    description: &'static str,
    claims: Claims,
) -> Row {
    def(
        id,
        Malformed,
        Deny(BadClaims),
        reference,
        description,
        Signed(AlgTyp, claims),
    )
}

fn deep_nesting(p: &Profile) -> Vec<u8> {
    format!(
        r#"{{"iss":"{}","aud":"{}","exp":{},"deep":{}{}}}"#,
        p.issuer,
        p.audience,
        p.now + 300,
        "[".repeat(500),
        "]".repeat(500)
    )
    .into_bytes()
}
