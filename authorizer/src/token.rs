//! The compact JWS: split, strict base64url (RFC 7515 §2: no padding, no
//! whitespace, URL-safe alphabet, canonical trailing bits), and the JOSE
//! header checks (RFC 7515 §4). Nothing here trusts the signature yet.

use crate::crypto::{Algorithm, MAX_SIGNATURE_LEN};
use crate::json::{self, Member};
use crate::reason::RejectReason;

/// Longest accepted `kid`, in bytes.
pub(crate) const MAX_KID_LEN: usize = 256;

/// Header parameters that are refused outright: they select keys from the
/// token itself (`jwk`, `jku`, `x5u`, `x5c`, `x5t`, `x5t#S256`), change how
/// the token is processed (`crit`, `b64`, `zip`, `cty` nested JWTs) or belong
/// to JWE (`enc`).
pub const FORBIDDEN_HEADERS: [&str; 11] = [
    "crit", "b64", "jwk", "jku", "x5u", "x5c", "x5t", "x5t#S256", "cty", "zip", "enc",
];

/// Deliberate weaknesses, settable only through the `dangerous-test-faults`
/// feature's constructor, so the harness can prove it catches regressions.
/// All `false` in every production path.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Faults {
    pub(crate) accept_crit: bool,
    pub(crate) alg_case_insensitive: bool,
}

/// What the configured keys accept, checked before any key is chosen: the
/// algorithms (an allow-list, RFC 8725 §3.1) and the signature lengths. With
/// only ES512 keys that is `alg` exactly `ES512` and exactly 132 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Allowed {
    algs: Vec<Algorithm>,
    /// `None`: any length (keys not loaded yet; the key decides later).
    sig_lens: Option<Vec<usize>>,
}

impl Allowed {
    /// The algorithms and exact signature lengths of `keys`.
    pub(crate) fn of<'k>(keys: impl IntoIterator<Item = &'k crate::crypto::PublicKey>) -> Self {
        let (mut algs, mut lens) = (Vec::new(), Vec::new());
        for k in keys {
            if !algs.contains(&k.algorithm()) {
                algs.push(k.algorithm());
            }
            if !lens.contains(&k.signature_len()) {
                lens.push(k.signature_len());
            }
        }
        Self {
            algs,
            sig_lens: Some(lens),
        }
    }

    /// Before KMS keys have loaded: every supported algorithm, any length.
    pub(crate) fn pending() -> Self {
        Self {
            algs: Algorithm::ALL.to_vec(),
            sig_lens: None,
        }
    }

    fn length_ok(&self, len: usize) -> bool {
        self.sig_lens.as_ref().map_or(len > 0, |l| l.contains(&len))
    }
}

/// A token whose shape and header passed every check; signature unchecked.
#[derive(Debug)]
pub(crate) struct Parsed<'a> {
    /// `base64url(header) "." base64url(payload)`, exactly as received.
    pub(crate) signing_input: &'a str,
    /// The decoded payload bytes (claims JSON, not yet parsed).
    pub(crate) payload: Vec<u8>,
    /// The decoded signature, of a length some configured key uses.
    pub(crate) signature: Vec<u8>,
    /// `alg`, one of the allowed algorithms (the chosen key must match it).
    pub(crate) alg: Algorithm,
    /// `kid`, if present (already checked: printable ASCII, ≤ 256 bytes).
    pub(crate) kid: Option<String>,
}

/// Longest signature segment: an ML-DSA-87 signature (4627 bytes; an
/// RSA-8192 one is 1024).
const MAX_SIGNATURE_CHARS: usize = (MAX_SIGNATURE_LEN * 4).div_ceil(3);

/// Splits and decodes `token` and checks its header against `allowed`.
///
/// # Errors
/// `Malformed`, `BadHeader`, `AlgNotAllowed` or `ForbiddenHeader`.
pub(crate) fn parse<'t>(
    token: &'t str,
    faults: Faults,
    allowed: &Allowed,
) -> Result<Parsed<'t>, RejectReason> {
    let mut parts = token.splitn(3, '.');
    let (Some(h), Some(p), Some(s)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(RejectReason::Malformed);
    };
    // Exactly three segments, none empty; the signature of a length some
    // configured key uses (ES512: exactly 132 bytes, 176 characters).
    if h.is_empty()
        || p.is_empty()
        || s.is_empty()
        || s.len() > MAX_SIGNATURE_CHARS
        || s.contains('.')
    {
        return Err(RejectReason::Malformed);
    }
    let signature = decode(s)?;
    if !allowed.length_ok(signature.len()) {
        return Err(RejectReason::Malformed);
    }
    let header = decode(h)?;
    let payload = decode(p)?;
    let (alg, kid) = check_header(&header, faults, allowed)?;
    Ok(Parsed {
        signing_input: &token[..h.len() + 1 + p.len()],
        payload,
        signature,
        alg,
        kid,
    })
}

/// Strict base64url (RFC 7515 §2): the URL-safe alphabet only, no padding,
/// zero trailing bits, so one byte string has one encoding.
fn decode(segment: &str) -> Result<Vec<u8>, RejectReason> {
    base64_simd::URL_SAFE_NO_PAD
        .decode_to_vec(segment)
        .map_err(|_| RejectReason::Malformed)
}

/// RFC 7515 §4.1 header checks; returns `alg` and `kid`.
fn check_header(
    bytes: &[u8],
    faults: Faults,
    allowed: &Allowed,
) -> Result<(Algorithm, Option<String>), RejectReason> {
    let header = json::parse_shallow(bytes).ok_or(RejectReason::BadHeader)?;
    // RFC 7515 §4.1.1 and RFC 8725 §3.1: an allow-list (the configured keys'
    // algorithms), compared after JSON unescaping, case-sensitively.
    let alg = match header.get("alg").and_then(Member::as_str) {
        Some(name) => allowed
            .algs
            .iter()
            .copied()
            .find(|a| {
                a.is_named(name)
                    || (faults.alg_case_insensitive && a.name().eq_ignore_ascii_case(name))
            })
            .ok_or(RejectReason::AlgNotAllowed)?,
        _ => return Err(RejectReason::AlgNotAllowed),
    };
    if FORBIDDEN_HEADERS
        .iter()
        .any(|name| header.contains(name) && !(faults.accept_crit && *name == "crit"))
    {
        return Err(RejectReason::ForbiddenHeader);
    }
    // RFC 7519 §5.1: `typ` is a media type, compared case-insensitively.
    match header.get("typ") {
        None => {}
        Some(Member::Str(t))
            if t.eq_ignore_ascii_case("JWT") || t.eq_ignore_ascii_case("application/jwt") => {}
        Some(_) => return Err(RejectReason::BadHeader),
    }
    let kid = match header.get("kid") {
        None => None,
        Some(Member::Str(kid))
            if !kid.is_empty()
                && kid.len() <= MAX_KID_LEN
                && kid.bytes().all(|b| (0x20..=0x7e).contains(&b)) =>
        {
            Some(kid.as_ref().to_owned())
        }
        Some(_) => return Err(RejectReason::BadHeader),
    };
    Ok((alg, kid))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::SIGNATURE_LEN;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use RejectReason::*;

    /// What a single ES512 key allows.
    fn es512() -> Allowed {
        Allowed {
            algs: vec![Algorithm::Es512],
            sig_lens: Some(vec![SIGNATURE_LEN]),
        }
    }

    /// The request path's decoder accepts exactly what the `base64` crate's
    /// strict URL-safe, unpadded engine accepts, with the same bytes: every
    /// string of up to 4 characters over an alphabet of edge cases (both
    /// alphabets' 62nd/63rd characters, padding, whitespace, dots, letters
    /// whose low bits are or are not zero), and longer ones built from them.
    #[test]
    fn decode_is_as_strict_as_the_reference_engine() {
        let alphabet: Vec<char> = "AQgw_-+/= .B".chars().collect();
        let mut inputs = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = inputs
                .iter()
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            inputs.extend(longer);
        }
        inputs.dedup();
        let mut accepted = 0;
        for s in &inputs {
            for input in [s.clone(), format!("eyJhbGciOiJFUzUxMiJ9{s}")] {
                let ours = decode(&input).ok();
                let reference = URL_SAFE_NO_PAD.decode(&input).ok();
                assert_eq!(ours, reference, "{input:?}");
                accepted += usize::from(ours.is_some());
            }
        }
        assert!(accepted > 1000, "the sample accepts something: {accepted}");
    }

    fn b64(s: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }
    fn sig() -> String {
        b64(&[7u8; SIGNATURE_LEN])
    }
    fn parse_ok(t: &str) -> Result<Parsed<'_>, RejectReason> {
        parse(t, Faults::default(), &es512())
    }

    fn tok(header: &str) -> String {
        format!("{}.{}.{}", b64(header.as_bytes()), b64(b"{}"), sig())
    }

    #[test]
    fn accepts_minimal_header() {
        let t = tok(r#"{"alg":"ES512"}"#);
        let p = parse_ok(&t).expect("parses");
        assert_eq!(p.kid, None);
        assert_eq!(p.signing_input, &t[..t.rfind('.').expect("dot")]);
        assert_eq!(p.signature, vec![7u8; SIGNATURE_LEN]);
        assert_eq!(p.alg, Algorithm::Es512);
    }

    #[test]
    fn alg_must_be_exactly_es512() {
        assert!(
            parse_ok(&tok(r#"{"alg":"ES\u0035\u00312"}"#)).is_ok(),
            "escapes decoded first"
        );
        for h in [
            r#"{"alg":"none"}"#,
            r#"{"alg":"es512"}"#,
            r#"{"alg":"ES512 "}"#,
            r#"{"alg":"ES256"}"#,
            r#"{"alg":"HS512"}"#,
            r#"{"alg":null}"#,
            r#"{"alg":["ES512"]}"#,
            r#"{"typ":"JWT"}"#,
        ] {
            assert_eq!(parse_ok(&tok(h)).err(), Some(AlgNotAllowed), "{h}");
        }
        assert_eq!(
            parse_ok(&tok(r#"{"alg":"none","alg":"ES512"}"#)).err(),
            Some(BadHeader)
        );
    }

    #[test]
    fn typ_must_be_jwt() {
        for ok in ["JWT", "jwt", "application/jwt", "Application/JWT"] {
            assert!(
                parse_ok(&tok(&format!(r#"{{"alg":"ES512","typ":"{ok}"}}"#))).is_ok(),
                "{ok}"
            );
        }
        for bad in [r#""JWE""#, r#""at+jwt""#, "123", "null"] {
            let t = tok(&format!(r#"{{"alg":"ES512","typ":{bad}}}"#));
            assert_eq!(parse_ok(&t).err(), Some(BadHeader), "{bad}");
        }
    }

    #[test]
    fn forbidden_headers_are_denied() {
        for name in FORBIDDEN_HEADERS {
            let t = tok(&format!(r#"{{"alg":"ES512","{name}":"x"}}"#));
            assert_eq!(parse_ok(&t).err(), Some(ForbiddenHeader), "{name}");
        }
    }

    #[test]
    fn unknown_header_members_are_fine() {
        assert!(parse_ok(&tok(r#"{"alg":"ES512","x-custom":1}"#)).is_ok());
    }

    #[test]
    fn kid_rules() {
        let ok = tok(r#"{"alg":"ES512","kid":"arn:aws:kms:eu-west-1:1:key/abc"}"#);
        assert_eq!(
            parse_ok(&ok).expect("ok").kid.as_deref(),
            Some("arn:aws:kms:eu-west-1:1:key/abc")
        );
        let long = format!(r#"{{"alg":"ES512","kid":"{}"}}"#, "a".repeat(MAX_KID_LEN));
        assert!(parse_ok(&tok(&long)).is_ok());
        let too_long = format!(
            r#"{{"alg":"ES512","kid":"{}"}}"#,
            "a".repeat(MAX_KID_LEN + 1)
        );
        assert_eq!(parse_ok(&tok(&too_long)).err(), Some(BadHeader));
        for bad in [r#""""#, "1", "[]", r#""a\nb""#, r#""\u001b[31m""#, r#""é""#] {
            let t = tok(&format!(r#"{{"alg":"ES512","kid":{bad}}}"#));
            assert_eq!(parse_ok(&t).err(), Some(BadHeader), "{bad}");
        }
    }

    #[test]
    fn header_must_be_a_strict_object() {
        for h in ["[]", "null", r#""ES512""#, "{", r#"{"alg":"ES512"} x"#] {
            assert_eq!(parse_ok(&tok(h)).err(), Some(BadHeader), "{h}");
        }
    }

    #[test]
    fn shape_and_encoding_are_strict() {
        let good = tok(r#"{"alg":"ES512"}"#);
        let (h, rest) = good.split_once('.').expect("dot");
        let (p, s) = rest.split_once('.').expect("dot");
        let cases = [
            format!("{h}.{p}"),
            format!("{h}.{p}.{s}.x"),
            format!("{h}.{p}.{s}.x.y"),
            format!(".{p}.{s}"),
            format!("{h}..{s}"),
            format!("{h}.{p}."),
            format!("{h}.{p}.{s}="),
            format!("{h}=.{p}.{s}"),
            format!("{h}.{p}.{}", &s[..175]),
            format!("{h}.{p}.{s}A"),
            format!("{h}.{p}.{}", s.replace('B', "+")),
            format!("{h} .{p}.{s}"),
            format!("{h}.{p}\n.{s}"),
            format!("{h}.e31.{s}"),   // "{}" with non-canonical trailing bits
            format!("{h}.e30AA.{s}"), // length ≡ 1 mod 4
            format!("{h}．{p}.{s}"),
            ".".repeat(10_000),
            String::new(),
        ];
        for c in &cases {
            assert_eq!(parse_ok(c).err(), Some(Malformed), "{c:?}");
        }
    }

    #[test]
    fn signature_length_is_exactly_132() {
        let h = b64(br#"{"alg":"ES512"}"#);
        for n in [0usize, 64, 96, 131, 133, 134, 139] {
            let t = format!("{h}.{}.{}", b64(b"{}"), b64(&vec![1u8; n]));
            assert_eq!(parse_ok(&t).err(), Some(Malformed), "{n}");
        }
    }
}
