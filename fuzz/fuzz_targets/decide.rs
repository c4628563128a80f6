//! The authorizer's entry point on arbitrary input: as an `Authorization`
//! value, and as a whole Lambda event. It must never panic, and random
//! bytes must never be allowed (a genuine signature cannot be guessed).

#![no_main]

use authorizer::event::handle;
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
    let Some((&mode, rest)) = data.split_first() else { return };
    let now = UnixTime::from_secs(1_800_000_000);
    if mode % 2 == 0 {
        let value = String::from_utf8_lossy(rest);
        let d = auth().decide(&AuthRequest { authorization: Some(&value) }, now);
        assert!(!d.is_allow(), "random input allowed");
    } else if let Ok(event) = serde_json::from_slice::<serde_json::Value>(rest) {
        let h = handle(auth(), &event, now);
        assert!(!h.outcome.decision.is_allow(), "random event allowed");
    }
});
