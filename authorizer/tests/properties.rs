//! Property tests: the parser never panics and never allows junk; any
//! single-byte change to a genuine token is denied unless it decodes to the
//! same header, claims and signature; the two backends agree.

use authorizer::test_util::TestKey;
use authorizer::{AuthRequest, Authorizer, Backend, Config, PublicKey, UnixTime};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::{alphabet, Engine};
use proptest::prelude::*;
use std::sync::OnceLock;

const NOW: i64 = 1_700_000_000;

struct Fixture {
    auth: Authorizer,
    token: String,
    key: TestKey,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let key = TestKey::new(9);
        let pem = key.pem();
        let config = Config::from_lookup(|n| match n {
            "JWT_PUBLIC_KEY_PEM" => Some(pem.clone()),
            "JWT_ISSUER" => Some("iss".into()),
            "JWT_AUDIENCE" => Some("aud".into()),
            "JWT_CACHE_MAX_ENTRIES" => Some("0".into()),
            _ => None,
        })
        .expect("config");
        let claims = format!(
            r#"{{"iss":"iss","aud":"aud","exp":{},"sub":"s"}}"#,
            NOW + 600
        );
        let token = key.token(r#"{"alg":"ES512","typ":"JWT"}"#, &claims);
        Fixture {
            auth: Authorizer::new(&config),
            token,
            key,
        }
    })
}

fn allowed(value: &str) -> bool {
    fixture()
        .auth
        .decide(
            &AuthRequest {
                authorization: Some(value),
            },
            UnixTime::from_secs(NOW),
        )
        .is_allow()
}

/// Lenient decode (padding and trailing bits tolerated) to compare contents.
fn lenient(seg: &str) -> Option<Vec<u8>> {
    let cfg = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    GeneralPurpose::new(&alphabet::URL_SAFE, cfg)
        .decode(seg)
        .ok()
}

fn segments(token: &str) -> Option<Vec<Vec<u8>>> {
    token.trim().split('.').map(lenient).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_panic_or_allow(s in ".{0,400}") {
        prop_assert!(!allowed(&s));
        let bearer = format!("Bearer {}", s);
        prop_assert!(!allowed(&bearer));
    }

    #[test]
    fn arbitrary_bytes_never_panic_or_allow(b in proptest::collection::vec(any::<u8>(), 0..600)) {
        let s = String::from_utf8_lossy(&b);
        prop_assert!(!allowed(&s));
    }

    #[test]
    fn token_shaped_junk_is_denied(h in "[A-Za-z0-9_-]{0,60}", p in "[A-Za-z0-9_-]{0,200}", s in "[A-Za-z0-9_-]{176}") {
        let token = format!("{}.{}.{}", h, p, s);
        prop_assert!(!allowed(&token));
    }

    #[test]
    fn single_byte_changes_are_denied_unless_equivalent(pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let f = fixture();
        let mut bytes = f.token.clone().into_bytes();
        let i = pos.index(bytes.len());
        prop_assume!(bytes[i] != byte);
        bytes[i] = byte;
        let mutated = String::from_utf8_lossy(&bytes).into_owned();
        if allowed(&mutated) {
            prop_assert_eq!(segments(&mutated), segments(&f.token), "allowed a token with other contents");
        }
    }

}

proptest! {
    // Each case signs once and verifies six times; fewer cases keep it quick.
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn backends_agree_on_arbitrary_signatures(msg in proptest::collection::vec(any::<u8>(), 0..64), sig in proptest::collection::vec(any::<u8>(), 132), flip in any::<prop::sample::Index>()) {
        let f = fixture();
        let keys: Vec<PublicKey> = Backend::ALL.iter().map(|b| PublicKey::from_point(*b, &f.key.point()).expect("key")).collect();
        let genuine = f.key.sign_raw(&msg);
        let mut flipped = genuine;
        flipped[flip.index(132)] ^= 0x01;
        for candidate in [&sig[..], &genuine[..], &flipped[..]] {
            let results: Vec<bool> = keys.iter().map(|k| k.verify(&msg, candidate).is_ok()).collect();
            prop_assert!(results.windows(2).all(|w| w[0] == w[1]), "backends disagree: {:?}", results);
        }
        prop_assert!(keys.iter().all(|k| k.verify(&msg, &genuine).is_ok()));
    }
}

#[test]
fn the_fixture_token_is_allowed() {
    // Guards the properties above against passing vacuously.
    assert!(allowed(&fixture().token));
    assert!(segments(&fixture().token).is_some());
    let _ = URL_SAFE_NO_PAD;
}
