//! The catalog for a key of any algorithm other than ES512: what depends on
//! the algorithm (valid tokens, signature encodings, algorithm confusion
//! against a key pinned to one algorithm) plus a sample of the claims
//! policy, which is the same code for every key. Ids carry the algorithm
//! (`ps256/alg-rs256-same-key`), so `--spec all` reports stay unambiguous.
//! The full ES512 catalog ([`super::build`]) covers the algorithm-blind
//! families (header parsing, JSON, claims, transport) in depth.

use super::{b64, der_sig, hmac_sig, sub, Builder, Case, Expected, Family, Profile};
use crate::keypair::{LocalKey, Spec};
use crate::signer::Signer;
use authorizer::Algorithm;
use authorizer::RejectReason::{self, *};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::json;

/// Signatures tried before giving up on one whose first byte is zero (an
/// RSA signature starts with 0x00 about once in 256; 4000 tries fail with
/// probability below e^-15).
const LEADING_ZERO_TRIES: usize = 4000;

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

/// Builds the per-algorithm catalog for `signer`'s key.
///
/// # Errors
/// Signing failures (KMS).
#[allow(clippy::too_many_lines)]
pub(super) async fn build(signer: &Signer, profile: &Profile) -> Result<Vec<Case>, String> {
    use Expected::{Allow, Deny};
    use Family::{Expired as Exp, Forged, Valid};
    let alg = signer.algorithm();
    let a = alg.name();
    let lower = a.to_lowercase();
    let id = |name: &str| format!("{lower}/{name}");
    let mut b = Builder {
        signer,
        p: profile,
        cases: Vec::new(),
    };
    let now = profile.now;
    let h = json!({"alg": a, "typ": "JWT"}).to_string();
    let claims = b.claims().to_string().into_bytes();
    let good = b.sign(h.as_bytes(), &claims).await?;
    let (input, sig_b64) = good.rsplit_once('.').ok_or("no dot")?;
    let sig = URL_SAFE_NO_PAD.decode(sig_b64).map_err(|e| e.to_string())?;
    let len = sig.len();
    let with_sig = |s: &[u8]| format!("{input}.{}", b64(s));
    let claims_b64 = b64(&claims);

    // ---- valid ------------------------------------------------------------
    b.bearer(
        &id("valid-bearer"),
        Valid,
        Allow,
        "RFC 7515 §5.2",
        &format!("a genuine {a} token"),
        &good,
    );
    b.push(
        &id("valid-bare-token"),
        Valid,
        Allow,
        "policy: bare tokens",
        "the token without a scheme",
        Some(good.clone()),
    );
    let t = b
        .sign(json!({"alg": a}).to_string().as_bytes(), &claims)
        .await?;
    b.bearer(
        &id("valid-no-typ"),
        Valid,
        Allow,
        "RFC 7515 §4.1.9",
        "header without typ",
        &t,
    );
    let t = b
        .sign(
            json!({"alg": a, "typ": "JWT", "kid": profile.kid})
                .to_string()
                .as_bytes(),
            &claims,
        )
        .await?;
    b.bearer(
        &id("valid-kid-bound"),
        Valid,
        Allow,
        "RFC 7515 §4.1.4",
        "kid naming the genuine key",
        &t,
    );
    let t = b
        .sign(
            h.as_bytes(),
            &b.with(|m| {
                m.insert("aud".into(), json!(["other-api", profile.audience]));
            }),
        )
        .await?;
    b.bearer(
        &id("valid-aud-array"),
        Valid,
        Allow,
        "RFC 7519 §4.1.3",
        "aud array containing ours",
        &t,
    );

    // ---- expired and claims: the same policy for every key ------------------
    let t = b
        .sign(
            h.as_bytes(),
            &b.with(|m| {
                m.insert("exp".into(), json!(now - 3600));
                m.insert("iat".into(), json!(now - 3900));
            }),
        )
        .await?;
    b.bearer(
        &id("exp-past"),
        Exp,
        Deny(Expired),
        "RFC 7519 §4.1.4",
        "exp an hour ago",
        &t,
    );
    let t = b
        .sign(
            h.as_bytes(),
            &b.with(|m| {
                m.insert("nbf".into(), json!(now + 3600));
            }),
        )
        .await?;
    b.bearer(
        &id("nbf-future"),
        Exp,
        Deny(NotYetValid),
        "RFC 7519 §4.1.5",
        "nbf an hour ahead",
        &t,
    );
    let t = b
        .sign(
            h.as_bytes(),
            &b.with(|m| {
                m.insert("iss".into(), json!("https://evil.example"));
            }),
        )
        .await?;
    b.bearer(
        &id("iss-wrong"),
        Forged,
        Deny(WrongIssuer),
        "RFC 7519 §4.1.1",
        "another issuer",
        &t,
    );
    let t = b
        .sign(
            h.as_bytes(),
            &b.with(|m| {
                m.insert("aud".into(), json!("other-api"));
            }),
        )
        .await?;
    b.bearer(
        &id("aud-wrong"),
        Forged,
        Deny(WrongAudience),
        "RFC 7519 §4.1.3",
        "another audience",
        &t,
    );

    // ---- forged: the key is pinned to one algorithm ----------------------
    for other in Algorithm::ALL.into_iter().filter(|o| *o != alg) {
        let hdr = b64(json!({"alg": other.name(), "typ": "JWT"})
            .to_string()
            .as_bytes());
        let inp = format!("{hdr}.{claims_b64}");
        let s = signer.sign(inp.as_bytes()).await?;
        b.bearer(
            &id(&format!("alg-{}-header", other.name().to_lowercase())),
            Forged,
            Deny(AlgNotAllowed),
            "RFC 8725 §3.1 (the key fixes the algorithm)",
            &format!("header {}, signed by the genuine {a} key", other.name()),
            &format!("{inp}.{}", b64(&s)),
        );
    }
    if let Some(c) = counterpart(alg) {
        let cn = c.name();
        let hdr = b64(json!({"alg": cn, "typ": "JWT"}).to_string().as_bytes());
        let inp = format!("{hdr}.{claims_b64}");
        let s = signer.sign_as(c, inp.as_bytes()).await?;
        b.bearer(
            &id(&format!("alg-{}-same-key", cn.to_lowercase())),
            Forged,
            Deny(AlgNotAllowed),
            "RFC 8725 §3.1; RFC 7518 §3.3, §3.5",
            &format!("a genuine {cn} signature by the same RSA key, pinned to {a}"),
            &format!("{inp}.{}", b64(&s)),
        );
        let s = signer.sign_as(c, input.as_bytes()).await?;
        b.bearer(
            &id(&format!("sig-{}-padding", cn.to_lowercase())),
            Forged,
            Deny(BadSignature),
            "RFC 7518 §3.3, §3.5 (padding is part of the algorithm)",
            &format!("header {a}, signed by the same key with {cn}'s padding"),
            &with_sig(&s),
        );
    }
    for none in ["none", "None"] {
        let hdr = b64(json!({"alg": none, "typ": "JWT"}).to_string().as_bytes());
        b.bearer(
            &id(&format!("alg-{none}-unsigned")),
            Forged,
            Deny(RejectReason::Malformed),
            "RFC 8725 §2.1; CVE-2015-9235",
            &format!("alg {none}, empty signature"),
            &format!("{hdr}.{claims_b64}."),
        );
        b.bearer(
            &id(&format!("alg-{none}-with-signature")),
            Forged,
            Deny(AlgNotAllowed),
            "RFC 8725 §3.1",
            &format!("alg {none} keeping a genuine-length signature"),
            &format!("{hdr}.{claims_b64}.{}", b64(&sig)),
        );
    }
    let spki = signer.spki_der();
    let pem = signer.public_pem();
    for (name, key) in [("pem", pem.as_bytes()), ("der", spki.as_slice())] {
        let hdr = b64(br#"{"alg":"HS256","typ":"JWT"}"#);
        let inp = format!("{hdr}.{claims_b64}");
        let mac = hmac_sig("HS256", key, inp.as_bytes());
        b.bearer(
            &id(&format!("alg-hs256-pubkey-{name}")),
            Forged,
            Deny(RejectReason::Malformed),
            "CVE-2016-10555; RFC 8725 §3.1",
            &format!("HS256 keyed with the public key ({name}); a MAC is not {len} bytes"),
            &format!("{inp}.{}", b64(&mac)),
        );
        let padded: Vec<u8> = mac.iter().copied().cycle().take(len).collect();
        b.bearer(
            &id(&format!("alg-hs256-pubkey-{name}-padded")),
            Forged,
            Deny(AlgNotAllowed),
            "CVE-2016-10555; RFC 8725 §3.1",
            &format!("HS256 keyed with the public key ({name}), repeated to {len} bytes"),
            &format!("{inp}.{}", b64(&padded)),
        );
    }

    // ---- forged: signature encoding ----------------------------------------
    let mut flipped = sig.clone();
    flipped[len / 2] ^= 0x04;
    b.bearer(
        &id("sig-bitflip"),
        Forged,
        Deny(BadSignature),
        "integrity",
        "one bit of the signature flipped",
        &with_sig(&flipped),
    );
    let other = b
        .sign(
            h.as_bytes(),
            &b.with(|m| {
                m.insert("sub".into(), json!("admin"));
            }),
        )
        .await?;
    let other_input = other.rsplit_once('.').map_or("", |(i, _)| i);
    b.bearer(
        &id("sig-transplant"),
        Forged,
        Deny(BadSignature),
        "integrity",
        "a genuine signature moved onto other claims",
        &format!("{other_input}.{}", b64(&sig)),
    );
    let foreign = LocalKey::generate(Spec {
        alg,
        rsa_bits: if alg.is_rsa() { len * 8 } else { 0 },
    })?;
    b.bearer(
        &id("sig-foreign-key"),
        Forged,
        Deny(BadSignature),
        "RFC 7515 §5.2",
        &format!("signed by an attacker's {a} key"),
        &format!("{input}.{}", b64(&foreign.sign(input.as_bytes()))),
    );
    let jku = b64(
        json!({"alg": a, "jku": "https://attacker.invalid/jwks.json"})
            .to_string()
            .as_bytes(),
    );
    let jku_input = format!("{jku}.{claims_b64}");
    b.bearer(
        &id("hdr-jku"),
        Forged,
        Deny(ForbiddenHeader),
        "RFC 8725 §3.10",
        "jku pointing at an attacker JWKS, signed by the attacker's key",
        &format!("{jku_input}.{}", b64(&foreign.sign(jku_input.as_bytes()))),
    );
    let t = b
        .sign(
            json!({"alg": a, "kid": "some-other-key"})
                .to_string()
                .as_bytes(),
            &claims,
        )
        .await?;
    b.bearer(
        &id("kid-unknown"),
        Forged,
        Deny(UnknownKid),
        "RFC 7515 §4.1.4",
        "genuinely signed, kid of no configured key",
        &t,
    );
    b.bearer(
        &id("sig-empty"),
        Forged,
        Deny(RejectReason::Malformed),
        "CVE-2020-28042",
        "empty signature segment",
        &format!("{input}."),
    );
    for l in [len - 1, len + 1] {
        let mut v = sig.clone();
        v.resize(l, 0);
        b.bearer(
            &id(&format!("sig-length-{l}")),
            Forged,
            Deny(RejectReason::Malformed),
            "RFC 7518 §3.3–3.5 (the key's exact signature length)",
            &format!("{l}-byte signature (the key's is {len})"),
            &with_sig(&v),
        );
    }
    if let Some(curve) = alg.curve() {
        let k = curve.scalar_len();
        let (r, s) = sig.split_at(k);
        let n = curve.order();
        // Lengths of the other curves' signatures (ES384's under ES256 …).
        let mut lens: Vec<usize> = authorizer::Curve::ALL
            .iter()
            .map(|c| 2 * c.scalar_len())
            .filter(|l| *l != len)
            .collect();
        lens.sort_unstable();
        lens.dedup();
        for l in lens {
            let mut v = sig.clone();
            v.resize(l, 0);
            b.bearer(
                &id(&format!("sig-length-{l}")),
                Forged,
                Deny(RejectReason::Malformed),
                "RFC 7518 §3.4 (R || S of the key's curve)",
                &format!("a {l}-byte signature, another curve's length"),
                &with_sig(&v),
            );
        }
        b.bearer(
            &id("valid-high-s-twin"),
            Valid,
            Allow,
            "RFC 7518 §3.4; Wycheproof (malleability is valid)",
            "the genuine signature with s replaced by n - s",
            &with_sig(&[r, &sub(n, s)].concat()),
        );
        let zero = vec![0u8; k];
        for (name, bad, desc) in [
            ("sig-psychic-zero", [&zero[..], &zero].concat(), "r = s = 0"),
            ("sig-r-eq-n", [n, s].concat(), "r = n"),
            ("sig-s-eq-n", [r, n].concat(), "s = n"),
            ("sig-r-s-swapped", [s, r].concat(), "s || r"),
        ] {
            b.bearer(
                &id(name),
                Forged,
                Deny(BadSignature),
                "CVE-2022-21449; SEC 1 §4.1.4",
                desc,
                &with_sig(&bad),
            );
        }
        b.bearer(
            &id("sig-der-encoded"),
            Forged,
            Deny(RejectReason::Malformed),
            "RFC 7518 §3.4 (R||S, not DER)",
            "the genuine (r, s) in DER, as KMS returns it",
            &with_sig(&der_sig(r, s)),
        );
    } else {
        b.bearer(
            &id("sig-zero"),
            Forged,
            Deny(BadSignature),
            "RFC 8017 §8.2.2",
            "a signature of all zero bytes",
            &with_sig(&vec![0u8; len]),
        );
        let mut found = None;
        for i in 0..LEADING_ZERO_TRIES {
            let t = b
                .sign(
                    h.as_bytes(),
                    &b.with(|m| {
                        m.insert("jti".into(), json!(format!("z{i}")));
                    }),
                )
                .await?;
            let (inp, s) = t.rsplit_once('.').ok_or("no dot")?;
            let s = URL_SAFE_NO_PAD.decode(s).map_err(|e| e.to_string())?;
            if s[0] == 0 {
                found = Some(format!("{inp}.{}", b64(&s[1..])));
                break;
            }
        }
        let t = found.ok_or("no RSA signature with a leading zero byte in 4000 tries")?;
        b.bearer(
            &id("sig-leading-zero-stripped"),
            Forged,
            Deny(RejectReason::Malformed),
            "RFC 8017 §5.2.1 I2OSP; RFC 7518 §3.3 (exactly k octets)",
            "a genuine signature whose leading zero byte was stripped (the same integer)",
            &t,
        );
    }
    Ok(b.cases)
}
