//! The authorizer's entry point on arbitrary input: as an `Authorization`
//! value, and as a whole Lambda event. It must never panic, and random
//! bytes must never be allowed (a genuine signature cannot be guessed).

#![no_main]

use authorizer::event::{handle, screen};
use authorizer::test_util::TestKey;
use authorizer::{AuthRequest, Authorizer, Config, UnixTime};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn auth() -> &'static Authorizer {
    static A: OnceLock<Authorizer> = OnceLock::new();
    A.get_or_init(|| {
        let pem = TestKey::new(3).pem();
        let config = Config::from_lookup(|n| match n {
            "JWT_PUBLIC_KEY_PEM" => Some(pem.clone()),
            "JWT_ISSUER" => Some("https://issuer.fuzz".into()),
            "JWT_AUDIENCE" => Some("fuzz".into()),
            _ => None,
        })
        .expect("config");
        Authorizer::new(&config)
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let now = UnixTime::from_secs(1_800_000_000);
    if mode.is_multiple_of(2) {
        let value = String::from_utf8_lossy(rest);
        let d = auth().decide(
            &AuthRequest {
                authorization: Some(&value),
            },
            now,
        );
        assert!(!d.is_allow(), "random input allowed");
    } else {
        // As the binary does: screen the raw bytes, and deny a refused event
        // through its marker; the screen must agree with the parser.
        let event = match screen(rest) {
            Ok(()) => {
                serde_json::from_slice::<serde_json::Value>(rest).expect("screened events parse")
            }
            Err(refusal) => serde_json::from_str(refusal.marker_event()).expect("marker"),
        };
        let h = handle(auth(), &event, now);
        assert!(!h.outcome.decision.is_allow(), "random event allowed");
    }
});
