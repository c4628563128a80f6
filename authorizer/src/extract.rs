//! The `Authorization` value → the compact JWS text.
//!
//! Grammar (RFC 6750 §2.1, RFC 9110 §11.1): `Bearer 1*SP token`, the scheme
//! case-insensitive, surrounding whitespace trimmed (RFC 9110 §5.5). A bare
//! token with no scheme is accepted unless `JWT_REQUIRE_BEARER=true`, for
//! clients of the Go authorizer this replaces.

use crate::reason::RejectReason;

/// Extracts the token from an `Authorization` value.
///
/// # Errors
/// `MissingToken` for an absent or empty value or a lone `Bearer`;
/// `BadScheme` for another scheme, a separator other than spaces, or a bare
/// token when `require_bearer`; `Malformed` when the token part contains
/// whitespace (`Bearer a b`).
pub(crate) fn bearer_token(
    value: Option<&str>,
    require_bearer: bool,
) -> Result<&str, RejectReason> {
    let value = value.unwrap_or("").trim_matches([' ', '\t']);
    if value.is_empty() {
        return Err(RejectReason::MissingToken);
    }
    // Byte scans: ASCII whitespace never occurs inside a multi-byte UTF-8
    // sequence, so a byte position is a char boundary (and this is the
    // per-request hot path: no per-char decoding).
    let Some(ws) = value.bytes().position(|b| b.is_ascii_whitespace()) else {
        // No whitespace at all: a lone scheme or a bare token.
        if value.eq_ignore_ascii_case("bearer") {
            return Err(RejectReason::MissingToken);
        }
        return if require_bearer {
            Err(RejectReason::BadScheme)
        } else {
            Ok(value)
        };
    };
    let (scheme, rest) = value.split_at(ws);
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(RejectReason::BadScheme);
    }
    // `1*SP`: only spaces may separate the scheme from the token.
    let token = rest.trim_start_matches(' ');
    if token.len() == rest.len()
        || token
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_whitespace())
    {
        return Err(RejectReason::BadScheme);
    }
    if has_ascii_whitespace(token) {
        return Err(RejectReason::Malformed);
    }
    Ok(token)
}

/// Whether `s` holds ASCII whitespace. Every ASCII whitespace byte is at
/// most `b' '`, so a branch-free OR over 64-byte blocks (which the compiler
/// vectorises into byte compares) screens a token of base64url and dots, and
/// only a hit is looked at byte by byte.
fn has_ascii_whitespace(s: &str) -> bool {
    let bytes = s.as_bytes();
    let low = bytes
        .chunks(64)
        .any(|block| block.iter().fold(false, |seen, &b| seen | (b <= b' ')));
    low && bytes.iter().any(u8::is_ascii_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;
    use RejectReason::*;

    #[test]
    fn whitespace_screen_matches_is_ascii_whitespace() {
        for b in 0u8..=0x7f {
            let s = format!("abc{}def", char::from(b));
            assert_eq!(
                has_ascii_whitespace(&s),
                b.is_ascii_whitespace(),
                "byte {b:#04x}"
            );
        }
        assert!(!has_ascii_whitespace("eyJh.eyJi.c2ln-_"));
        assert!(has_ascii_whitespace("x\u{3000}y\t"));
        assert!(!has_ascii_whitespace("x\u{3000}y"), "only ASCII whitespace");
    }

    #[test]
    fn accepts_bearer_in_any_case_with_spaces() {
        for v in [
            "Bearer abc",
            "bearer abc",
            "BEARER abc",
            "bEaReR   abc",
            "  Bearer abc \t",
        ] {
            assert_eq!(bearer_token(Some(v), true), Ok("abc"), "{v:?}");
        }
    }

    #[test]
    fn bare_token_depends_on_require_bearer() {
        assert_eq!(bearer_token(Some("abc.def.ghi"), false), Ok("abc.def.ghi"));
        assert_eq!(bearer_token(Some("abc.def.ghi"), true), Err(BadScheme));
    }

    #[test]
    fn rejects_missing_and_empty() {
        for v in [
            None,
            Some(""),
            Some("   "),
            Some("Bearer"),
            Some("bearer "),
            Some("Bearer   "),
        ] {
            assert_eq!(bearer_token(v, false), Err(MissingToken), "{v:?}");
        }
    }

    #[test]
    fn rejects_other_schemes_and_separators() {
        for v in [
            "Basic dXNlcjpwYXNz",
            "Token abc",
            "DPoP abc",
            "Bearer\tabc",
            "Bearer\nabc",
            "Bearer \tabc",
        ] {
            assert_eq!(bearer_token(Some(v), false), Err(BadScheme), "{v:?}");
        }
    }

    #[test]
    fn rejects_trailing_junk() {
        assert_eq!(
            bearer_token(Some("Bearer abc extra"), false),
            Err(Malformed)
        );
        assert_eq!(bearer_token(Some("Bearer abc\tx"), false), Err(Malformed));
    }
}
