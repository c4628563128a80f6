//! The case catalog: valid, expired, forged and malformed tokens, each with
//! the decision and `RejectReason` the authorizer's public policy demands.
//! Expectations are written here by hand from the policy (README "The
//! policy"), never computed with the authorizer's code. Tokens are minted at
//! run time with times relative to `now`, so the catalog never goes stale.

use crate::signer::Signer;
use authorizer::RejectReason::{self, *};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256, Sha384, Sha512};

/// The case families.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// Must be allowed.
    Valid,
    /// Genuine but outside its time window.
    Expired,
    /// Not signed by the genuine key for us: forged signatures, algorithm
    /// and key confusion, headers that pick keys, other issuers/audiences.
    Forged,
    /// Malformed encoding, JSON, claims or transport.
    Malformed,
}

impl Family {
    /// The label.
    pub const fn as_str(self) -> &'static str {
        match self {
            Family::Valid => "valid",
            Family::Expired => "expired",
            Family::Forged => "forged",
            Family::Malformed => "malformed",
        }
    }
}

/// What the authorizer must decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// Allow.
    Allow,
    /// Deny with this reason.
    Deny(RejectReason),
}

/// One catalog entry.
#[derive(Debug, Clone)]
pub struct Case {
    /// Stable id.
    pub id: String,
    /// Family.
    pub family: Family,
    /// What the case does.
    pub description: String,
    /// RFC section, CVE or advisory.
    pub reference: String,
    /// The `Authorization` header value; `None` sends no header.
    pub authorization: Option<String>,
    /// The expected decision.
    pub expected: Expected,
    /// Re-mint just before sending with `exp = now + this` (boundary cases
    /// that a slow target would otherwise see go stale).
    pub refresh_exp: Option<i64>,
}

impl Case {
    /// Whether the header value can travel over HTTP/1.1 unchanged (visible
    /// ASCII, spaces and tabs, no surrounding whitespace servers would trim).
    pub fn http_safe(&self) -> bool {
        self.authorization.as_deref().is_none_or(|v| {
            v.len() <= 10_000
                && v.bytes()
                    .all(|b| b == b' ' || b == b'\t' || (0x21..=0x7e).contains(&b))
                && v.trim() == v
        })
    }

    /// The JSON line `harness cases` prints.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "family": self.family.as_str(),
            "description": self.description,
            "reference": self.reference,
            "authorization": self.authorization,
            "expected": if self.expected == Expected::Allow { "allow" } else { "deny" },
            "expected_reason": match self.expected { Expected::Deny(r) => Some(r.as_str()), Expected::Allow => None },
            "project_choice": crate::choices::project_choice(&self.id),
        })
    }
}

/// The authorizer configuration the catalog assumes.
#[derive(Debug, Clone)]
pub struct Profile {
    /// `JWT_ISSUER`.
    pub issuer: String,
    /// One of `JWT_AUDIENCE`.
    pub audience: String,
    /// A kid bound to the genuine key (`JWT_PUBLIC_KEY_KIDS`, KMS key id…).
    pub kid: String,
    /// `JWT_MAX_TOKEN_BYTES` (default 8192).
    pub max_token_bytes: usize,
    /// Seconds since the epoch.
    pub now: i64,
}

impl Profile {
    /// The local-target profile: issuer `https://issuer.harness.test`,
    /// audience `harness-api`, kid `harness-key`.
    pub fn local(now: i64) -> Self {
        Self {
            issuer: "https://issuer.harness.test".into(),
            audience: "harness-api".into(),
            kid: "harness-key".into(),
            max_token_bytes: 8192,
            now,
        }
    }

    /// The authorizer environment matching this profile for a PEM key.
    pub fn authorizer_env(&self, public_pem: &str) -> Vec<(String, String)> {
        vec![
            ("JWT_PUBLIC_KEY_PEM".into(), public_pem.into()),
            ("JWT_PUBLIC_KEY_KIDS".into(), self.kid.clone()),
            ("JWT_ISSUER".into(), self.issuer.clone()),
            ("JWT_AUDIENCE".into(), self.audience.clone()),
            ("JWT_LEEWAY_SECONDS".into(), "0".into()),
            (
                "JWT_MAX_TOKEN_BYTES".into(),
                self.max_token_bytes.to_string(),
            ),
        ]
    }
}

fn b64(b: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

fn hmac_sig(alg: &str, key: &[u8], input: &[u8]) -> Vec<u8> {
    fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], input: &[u8]) -> Vec<u8> {
        let mut m = <M as Mac>::new_from_slice(key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        m.update(input);
        m.finalize().into_bytes().to_vec()
    }
    match alg {
        "HS256" => run::<Hmac<Sha256>>(key, input),
        "HS384" => run::<Hmac<Sha384>>(key, input),
        _ => run::<Hmac<Sha512>>(key, input),
    }
}

/// `seg` extended with `A`s to a length ≡ 1 (mod 4), which no base64 text has.
fn mod4_1(seg: &str) -> String {
    let mut s = seg.to_owned();
    while s.len() % 4 != 1 {
        s.push('A');
    }
    s
}

/// The group order n of P-521, big-endian, 66 bytes.
fn order() -> [u8; 66] {
    authorizer::group_order()
}

fn add(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; a.len()];
    let mut carry = 0u16;
    for i in (0..a.len()).rev() {
        let s = u16::from(a[i]) + u16::from(b[i]) + carry;
        out[i] = s.to_le_bytes()[0];
        carry = s >> 8;
    }
    out
}

fn sub(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; a.len()];
    let mut borrow = 0i16;
    for i in (0..a.len()).rev() {
        let mut d = i16::from(a[i]) - i16::from(b[i]) - borrow;
        borrow = i16::from(d < 0);
        if d < 0 {
            d += 256;
        }
        out[i] = d.to_le_bytes()[0];
    }
    out
}

/// Minimal DER for (r, s), as KMS returns it.
fn der_sig(r: &[u8], s: &[u8]) -> Vec<u8> {
    fn int(x: &[u8]) -> Vec<u8> {
        let mut v: Vec<u8> = x.iter().copied().skip_while(|&b| b == 0).collect();
        if v.first().is_none_or(|&b| b & 0x80 != 0) {
            v.insert(0, 0);
        }
        let mut out = vec![0x02, u8::try_from(v.len()).unwrap_or(0)];
        out.extend(v);
        out
    }
    let body = [int(r), int(s)].concat();
    let mut out = vec![0x30];
    if body.len() >= 0x80 {
        out.push(0x81);
    }
    out.push(u8::try_from(body.len()).unwrap_or(0));
    out.extend(body);
    out
}

struct Builder<'a> {
    signer: &'a Signer,
    p: &'a Profile,
    cases: Vec<Case>,
}

impl Builder<'_> {
    fn claims(&self) -> Value {
        json!({"iss": self.p.issuer, "aud": self.p.audience, "sub": "harness-user", "exp": self.p.now + 300, "iat": self.p.now})
    }

    fn with(&self, f: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Vec<u8> {
        let mut c = self.claims();
        if let Some(m) = c.as_object_mut() {
            f(m);
        }
        c.to_string().into_bytes()
    }

    async fn sign(&self, header: &[u8], claims: &[u8]) -> Result<String, String> {
        let input = format!("{}.{}", b64(header), b64(claims));
        let sig = self.signer.sign(input.as_bytes()).await?;
        Ok(format!("{input}.{}", b64(&sig)))
    }

    fn push(
        &mut self,
        id: &str,
        family: Family,
        expected: Expected,
        reference: &str,
        description: &str,
        authorization: Option<String>,
    ) {
        self.cases.push(Case {
            id: id.into(),
            family,
            description: description.into(),
            reference: reference.into(),
            authorization,
            expected,
            refresh_exp: None,
        });
    }

    fn bearer(
        &mut self,
        id: &str,
        family: Family,
        expected: Expected,
        reference: &str,
        description: &str,
        token: &str,
    ) {
        self.push(
            id,
            family,
            expected,
            reference,
            description,
            Some(format!("Bearer {token}")),
        );
    }
}

const H: &[u8] = br#"{"alg":"ES512","typ":"JWT"}"#;

mod per_alg;

/// Builds the catalog for `signer`'s key: the full catalog for an ES512 key,
/// the per-algorithm catalog (`per_alg`) for any other.
///
/// # Errors
/// Signing failures (KMS).
pub async fn build(signer: &Signer, profile: &Profile) -> Result<Vec<Case>, String> {
    if signer.algorithm() == authorizer::Algorithm::Es512 {
        build_es512(signer, profile).await
    } else {
        per_alg::build(signer, profile).await
    }
}

#[allow(clippy::too_many_lines)]
async fn build_es512(signer: &Signer, profile: &Profile) -> Result<Vec<Case>, String> {
    let mut b = Builder {
        signer,
        p: profile,
        cases: Vec::new(),
    };
    let now = profile.now;
    let claims = b.claims().to_string().into_bytes();
    let good = b.sign(H, &claims).await?;
    let (input, sig_b64) = good.rsplit_once('.').ok_or("no dot")?;
    let sig = URL_SAFE_NO_PAD.decode(sig_b64).map_err(|e| e.to_string())?;
    let (r, s) = sig.split_at(66);
    let n = order();
    let with_sig = |sig: &[u8]| format!("{input}.{}", b64(sig));
    use Expected::{Allow, Deny};
    use Family::{Expired as Exp, Forged, Malformed, Valid};

    // ---- valid ------------------------------------------------------------
    b.bearer(
        "valid-bearer",
        Valid,
        Allow,
        "RFC 6750 §2.1",
        "a genuine token, canonical Bearer header",
        &good,
    );
    b.push(
        "valid-bare-token",
        Valid,
        Allow,
        "policy: bare tokens (Go authorizer clients)",
        "the token without a scheme",
        Some(good.clone()),
    );
    b.push(
        "valid-bearer-lowercase",
        Valid,
        Allow,
        "RFC 9110 §11.1 (scheme case-insensitive)",
        "`bearer` scheme",
        Some(format!("bearer {good}")),
    );
    b.push(
        "valid-bearer-uppercase",
        Valid,
        Allow,
        "RFC 9110 §11.1",
        "`BEARER` scheme",
        Some(format!("BEARER {good}")),
    );
    b.push(
        "valid-bearer-double-space",
        Valid,
        Allow,
        "RFC 6750 §2.1 (1*SP)",
        "two spaces after Bearer",
        Some(format!("Bearer  {good}")),
    );
    b.push(
        "valid-surrounding-whitespace",
        Valid,
        Allow,
        "RFC 9110 §5.5",
        "leading and trailing spaces around the value",
        Some(format!("  Bearer {good}  ")),
    );
    let twin = [r, &sub(&n, s)].concat();
    b.bearer(
        "valid-high-s-twin",
        Valid,
        Allow,
        "RFC 7518 §3.4; Wycheproof tcId 1 (malleability is valid)",
        "the genuine signature with s replaced by n - s",
        &with_sig(&twin),
    );
    let t = b
        .sign(
            H,
            &b.with(|m| {
                m.insert("exp".into(), json!(now as f64 + 300.5));
            }),
        )
        .await?;
    b.bearer(
        "valid-float-exp",
        Valid,
        Allow,
        "RFC 7519 §2 NumericDate",
        "fractional exp",
        &t,
    );
    let t = b
        .sign(
            H,
            &b.with(|m| {
                m.insert("aud".into(), json!(["other-api", profile.audience]));
            }),
        )
        .await?;
    b.bearer(
        "valid-aud-array",
        Valid,
        Allow,
        "RFC 7519 §4.1.3",
        "aud array containing ours",
        &t,
    );
    let t = b
        .sign(
            H,
            &b.with(|m| {
                m.insert("tenant".into(), json!("t-1"));
                m.insert("roles".into(), json!(["a", "b"]));
                m.insert("nested".into(), json!({"x": 1}));
            }),
        )
        .await?;
    b.bearer(
        "valid-unknown-claims",
        Valid,
        Allow,
        "RFC 7519 §4 (unknown claims ignored)",
        "extra custom claims",
        &t,
    );
    let t = b
        .sign(
            H,
            &b.with(|m| {
                m.insert("__proto__".into(), json!({"admin": true}));
                m.insert("constructor".into(), json!("x"));
            }),
        )
        .await?;
    b.bearer(
        "valid-proto-keys",
        Valid,
        Allow,
        "JS prototype keys are ordinary claims",
        "__proto__ and constructor claims",
        &t,
    );
    for (id, typ) in [
        ("valid-typ-lowercase", "jwt"),
        ("valid-typ-application-jwt", "application/jwt"),
    ] {
        let t = b
            .sign(
                json!({"alg": "ES512", "typ": typ}).to_string().as_bytes(),
                &claims,
            )
            .await?;
        b.bearer(
            id,
            Valid,
            Allow,
            "RFC 7515 §4.1.9 (media types case-insensitive)",
            &format!("typ {typ}"),
            &t,
        );
    }
    let t = b.sign(br#"{"alg":"ES512"}"#, &claims).await?;
    b.bearer(
        "valid-no-typ",
        Valid,
        Allow,
        "RFC 7515 §4.1.9 (typ optional)",
        "header without typ",
        &t,
    );
    let t = b
        .sign(
            json!({"alg": "ES512", "typ": "JWT", "kid": profile.kid})
                .to_string()
                .as_bytes(),
            &claims,
        )
        .await?;
    b.bearer(
        "valid-kid-bound",
        Valid,
        Allow,
        "RFC 7515 §4.1.4",
        "kid naming the genuine key",
        &t,
    );
    let t = b.sign(br#"{"alg":"ES\u0035\u00312"}"#, &claims).await?;
    b.bearer(
        "valid-alg-json-escaped",
        Valid,
        Allow,
        "RFC 8259 §7 (escapes decoded before comparing)",
        "alg written with JSON escapes",
        &t,
    );
    let t = b
        .sign(br#"{"alg":"ES512","x-trace":"abc"}"#, &claims)
        .await?;
    b.bearer(
        "valid-unknown-header-member",
        Valid,
        Allow,
        "RFC 7515 §4 (unknown parameters ignored)",
        "an extra harmless header member",
        &t,
    );
    let t = b
        .sign(
            H,
            &b.with(|m| {
                m.insert("exp".into(), json!(now + 1));
            }),
        )
        .await?;
    b.bearer(
        "valid-exp-now-plus-1",
        Valid,
        Allow,
        "RFC 7519 §4.1.4",
        "exp = now + 1 (leeway 0); minted just before it is sent",
        &t,
    );
    if let Some(last) = b.cases.last_mut() {
        last.refresh_exp = Some(1);
    }
    let t = b
        .sign(
            H,
            &b.with(|m| {
                m.insert("nbf".into(), json!(now));
            }),
        )
        .await?;
    b.bearer(
        "valid-nbf-now",
        Valid,
        Allow,
        "RFC 7519 §4.1.5 (at or after nbf)",
        "nbf = now",
        &t,
    );
    let t = b
        .sign(
            H,
            &b.with(|m| {
                m.insert("userid".into(), json!("legacy-42"));
                m.insert("nbf".into(), json!(now - 5));
                m.insert("exp".into(), json!(now + 86_400));
            }),
        )
        .await?;
    b.bearer(
        "valid-legacy-shape",
        Valid,
        Allow,
        "the Go issuer's claims plus iss/aud",
        "24 h token with nbf, iat and a custom userid, no kid",
        &t,
    );

    // ---- expired (time window) -------------------------------------------
    for (id, exp, desc) in [
        ("exp-past", now - 3600, "exp an hour ago"),
        ("exp-now-minus-1", now - 1, "exp = now - 1"),
        (
            "exp-equals-now",
            now,
            "exp = now (the current time must be before exp)",
        ),
    ] {
        let t = b
            .sign(
                H,
                &b.with(|m| {
                    m.insert("exp".into(), json!(exp));
                    m.insert("iat".into(), json!(exp - 300));
                }),
            )
            .await?;
        b.bearer(id, Exp, Deny(Expired), "RFC 7519 §4.1.4", desc, &t);
    }
    let t = b
        .sign(
            H,
            &b.with(|m| {
                m.insert("nbf".into(), json!(now + 3600));
            }),
        )
        .await?;
    b.bearer(
        "nbf-future",
        Exp,
        Deny(NotYetValid),
        "RFC 7519 §4.1.5",
        "nbf an hour ahead (the case stays valid through long runs)",
        &t,
    );
    let t = b
        .sign(
            H,
            &b.with(|m| {
                m.insert("iat".into(), json!(now + 3600));
            }),
        )
        .await?;
    b.bearer(
        "iat-future",
        Exp,
        Deny(IssuedInFuture),
        "policy; RFC 7519 §4.1.6",
        "iat an hour ahead",
        &t,
    );
    let t = b
        .sign(
            H,
            &b.with(|m| {
                m.insert("exp".into(), json!(-1));
            }),
        )
        .await?;
    b.bearer(
        "exp-negative",
        Exp,
        Deny(BadClaims),
        "RFC 7519 §2",
        "exp = -1",
        &t,
    );
    let t = b
        .sign(
            H,
            &b.with(|m| {
                m.insert("exp".into(), json!(0));
            }),
        )
        .await?;
    b.bearer(
        "exp-zero",
        Exp,
        Deny(BadClaims),
        "RFC 7519 §2",
        "exp = 0",
        &t,
    );

    // ---- forged: algorithm and key confusion -------------------------------
    let claims_b64 = b64(&claims);
    for alg in ["none", "None", "NONE", "nOnE"] {
        let h = b64(json!({"alg": alg, "typ": "JWT"}).to_string().as_bytes());
        b.bearer(
            &format!("alg-{alg}-unsigned"),
            Forged,
            Deny(RejectReason::Malformed),
            "RFC 7518 §3.6; RFC 8725 §2.1; CVE-2015-9235",
            &format!("alg {alg}, empty signature"),
            &format!("{h}.{claims_b64}."),
        );
        b.bearer(
            &format!("alg-{alg}-with-signature"),
            Forged,
            Deny(AlgNotAllowed),
            "RFC 8725 §3.1; CVE-2022-23540",
            &format!("alg {alg} keeping a genuine-length signature"),
            &format!("{h}.{claims_b64}.{}", b64(&sig)),
        );
    }
    let spki = signer.spki_der();
    let pem = signer.public_pem();
    let point = spki[spki.len() - 133..].to_vec();
    let jwk = json!({"kty": "EC", "crv": "P-521", "x": b64(&point[1..67]), "y": b64(&point[67..])})
        .to_string();
    let hmac_keys: [(&str, Vec<u8>); 5] = [
        ("pem", pem.clone().into_bytes()),
        ("pem-no-newline", pem.trim_end().as_bytes().to_vec()),
        ("der", spki.clone()),
        ("raw-point", point.clone()),
        ("jwk", jwk.into_bytes()),
    ];
    for alg in ["HS256", "HS384", "HS512"] {
        for (name, key) in &hmac_keys {
            let h = json!({"alg": alg, "typ": "JWT"}).to_string();
            let input = format!("{}.{claims_b64}", b64(h.as_bytes()));
            let mac = hmac_sig(alg, key, input.as_bytes());
            b.bearer(
                &format!("alg-{}-pubkey-{name}", alg.to_lowercase()),
                Forged,
                Deny(RejectReason::Malformed),
                "CVE-2016-10555; CVE-2022-29217; RFC 8725 §3.1",
                &format!("{alg} keyed with the public key ({name}); a MAC is not 132 bytes"),
                &format!("{input}.{}", b64(&mac)),
            );
        }
    }
    let mac = hmac_sig("HS512", &pem.clone().into_bytes(), input.as_bytes());
    let padded = [mac.clone(), mac.clone(), mac[..4].to_vec()].concat();
    let h = b64(br#"{"alg":"HS512","typ":"JWT"}"#);
    b.bearer(
        "alg-hs512-padded-to-132",
        Forged,
        Deny(AlgNotAllowed),
        "RFC 8725 §3.1",
        "HS512 label with a 132-byte value",
        &format!("{h}.{claims_b64}.{}", b64(&padded)),
    );
    for (alg, hash_len) in [("ES256", 32usize), ("ES384", 48)] {
        let h = b64(json!({"alg": alg, "typ": "JWT"}).to_string().as_bytes());
        let input = format!("{h}.{claims_b64}");
        let digest: Vec<u8> = if alg == "ES256" {
            Sha256::digest(input.as_bytes()).to_vec()
        } else {
            Sha384::digest(input.as_bytes()).to_vec()
        };
        let mut padded = [0u8; 64];
        padded[64 - hash_len..].copy_from_slice(&digest);
        let forged = signer.dangerous_sign_digest(&padded).await?;
        let lower = alg.to_lowercase();
        b.bearer(
            &format!("alg-{lower}-genuine-key-132"),
            Forged,
            Deny(AlgNotAllowed),
            "RFC 7518 §3.4; RFC 8725 §3.1",
            &format!("{alg} label, signed with the genuine P-521 key over a {hash_len}-byte hash"),
            &format!("{input}.{}", b64(&forged)),
        );
        b.bearer(
            &format!("alg-{lower}-genuine-key-short"),
            Forged,
            Deny(RejectReason::Malformed),
            "RFC 7518 §3.4",
            &format!("{alg} label with a {}-byte signature", hash_len * 2),
            &format!("{input}.{}", b64(&forged[..hash_len * 2])),
        );
    }
    for (id, header) in [
        ("alg-lowercase", r#"{"alg":"es512"}"#),
        ("alg-mixed-case", r#"{"alg":"Es512"}"#),
        ("alg-trailing-space", r#"{"alg":"ES512 "}"#),
        ("alg-typo-es521", r#"{"alg":"ES521"}"#),
        ("alg-missing", r#"{"typ":"JWT"}"#),
        ("alg-null", r#"{"alg":null}"#),
        ("alg-array", r#"{"alg":["ES512"]}"#),
        ("alg-rs256", r#"{"alg":"RS256"}"#),
        ("alg-eddsa", r#"{"alg":"EdDSA"}"#),
    ] {
        let t = b.sign(header.as_bytes(), &claims).await?;
        b.bearer(
            id,
            Forged,
            Deny(AlgNotAllowed),
            "RFC 7515 §4.1.1; RFC 8725 §3.1",
            &format!("genuinely signed, header {header}"),
            &t,
        );
    }
    for (id, header) in [
        (
            "alg-duplicate-none-first",
            r#"{"alg":"none","alg":"ES512"}"#,
        ),
        (
            "alg-duplicate-es512-first",
            r#"{"alg":"ES512","alg":"none"}"#,
        ),
    ] {
        let t = b.sign(header.as_bytes(), &claims).await?;
        b.bearer(
            id,
            Forged,
            Deny(BadHeader),
            "RFC 7515 §4 (duplicates rejected: policy)",
            &format!("genuinely signed, header {header}"),
            &t,
        );
    }

    // ---- forged: signature encoding ----------------------------------------
    let zero = [0u8; 66];
    for (id, bad, desc, reference) in [
        (
            "sig-psychic-zero",
            [zero, zero].concat(),
            "r = s = 0",
            "CVE-2022-21449",
        ),
        (
            "sig-r-zero",
            [&zero[..], s].concat(),
            "r = 0",
            "SEC 1 §4.1.4",
        ),
        (
            "sig-s-zero",
            [r, &zero[..]].concat(),
            "s = 0",
            "SEC 1 §4.1.4",
        ),
        ("sig-r-eq-n", [&n[..], s].concat(), "r = n", "SEC 1 §4.1.4"),
        ("sig-s-eq-n", [r, &n[..]].concat(), "s = n", "SEC 1 §4.1.4"),
        (
            "sig-r-plus-n",
            [&add(r, &n)[..], s].concat(),
            "r + n (still 66 bytes)",
            "Wycheproof RangeCheck",
        ),
        (
            "sig-s-plus-n",
            [r, &add(s, &n)[..]].concat(),
            "s + n",
            "Wycheproof RangeCheck",
        ),
        (
            "sig-n-minus-r",
            [&sub(&n, r)[..], s].concat(),
            "n - r",
            "Wycheproof ModifiedInteger",
        ),
        (
            "sig-r-s-swapped",
            [s, r].concat(),
            "s || r",
            "RFC 7518 §3.4",
        ),
    ] {
        b.bearer(
            id,
            Forged,
            Deny(BadSignature),
            reference,
            desc,
            &with_sig(&bad),
        );
    }
    let mut flipped = sig.clone();
    flipped[100] ^= 0x04;
    b.bearer(
        "sig-bitflip",
        Forged,
        Deny(BadSignature),
        "integrity",
        "one bit of s flipped",
        &with_sig(&flipped),
    );
    let other = b
        .sign(
            H,
            &b.with(|m| {
                m.insert("sub".into(), json!("admin"));
            }),
        )
        .await?;
    let other_input = other.rsplit_once('.').map_or("", |(i, _)| i);
    b.bearer(
        "sig-transplant",
        Forged,
        Deny(BadSignature),
        "integrity",
        "a genuine signature moved onto other claims",
        &format!("{other_input}.{}", b64(&sig)),
    );
    let foreign = crate::mint::LocalSigner::generate();
    b.bearer(
        "sig-foreign-key",
        Forged,
        Deny(BadSignature),
        "RFC 7515 §5.2",
        "signed by an attacker's P-521 key",
        &foreign.token(
            std::str::from_utf8(H).unwrap_or_default(),
            std::str::from_utf8(&claims).unwrap_or_default(),
        ),
    );
    b.bearer(
        "sig-der-encoded",
        Forged,
        Deny(RejectReason::Malformed),
        "RFC 7518 §3.4 (R||S, not DER)",
        "the genuine (r, s) in DER, as KMS returns it",
        &with_sig(&der_sig(r, s)),
    );
    for len in [64usize, 96, 131, 133, 134] {
        let mut v = sig.clone();
        v.resize(len, 0);
        b.bearer(
            &format!("sig-length-{len}"),
            Forged,
            Deny(RejectReason::Malformed),
            "RFC 7518 §3.4 (exactly 132 bytes)",
            &format!("{len}-byte signature"),
            &with_sig(&v),
        );
    }
    b.bearer(
        "sig-empty",
        Forged,
        Deny(RejectReason::Malformed),
        "CVE-2020-28042",
        "empty signature segment",
        &format!("{input}."),
    );
    b.bearer(
        "sig-truncated-4-chars",
        Forged,
        Deny(RejectReason::Malformed),
        "jwt_tool playbook",
        "signature missing its last 4 characters",
        &good[..good.len() - 4],
    );

    // ---- forged: headers that try to choose the key ------------------------
    let attacker_point = foreign.point();
    let attacker_jwk = json!({"kty": "EC", "crv": "P-521", "x": b64(&attacker_point[1..67]), "y": b64(&attacker_point[67..])});
    let ftok = |header: Value| {
        foreign.token(
            &header.to_string(),
            std::str::from_utf8(&claims).unwrap_or_default(),
        )
    };
    b.bearer(
        "hdr-jwk-embedded",
        Forged,
        Deny(ForbiddenHeader),
        "CVE-2018-0114",
        "attacker key embedded as jwk, signed by it",
        &ftok(json!({"alg": "ES512", "jwk": attacker_jwk})),
    );
    b.bearer(
        "hdr-jku",
        Forged,
        Deny(ForbiddenHeader),
        "RFC 8725 §3.10",
        "jku pointing at an attacker JWKS",
        &ftok(json!({"alg": "ES512", "jku": "https://attacker.invalid/jwks.json"})),
    );
    b.bearer(
        "hdr-x5u",
        Forged,
        Deny(ForbiddenHeader),
        "RFC 7515 §4.1.5",
        "x5u pointing at an attacker certificate",
        &ftok(json!({"alg": "ES512", "x5u": "https://attacker.invalid/cert.pem"})),
    );
    b.bearer(
        "hdr-x5c",
        Forged,
        Deny(ForbiddenHeader),
        "RFC 7515 §4.1.6",
        "an attacker certificate chain",
        &ftok(json!({"alg": "ES512", "x5c": [STANDARD.encode(&attacker_point)]})),
    );
    for (id, kid) in [
        ("kid-path-traversal", "../../../../../../dev/null"),
        ("kid-sql-injection", "x' UNION SELECT '1';--"),
        ("kid-command-injection", "|sleep 10"),
        ("kid-unknown", "some-other-key"),
    ] {
        let t = b
            .sign(
                json!({"alg": "ES512", "kid": kid}).to_string().as_bytes(),
                &claims,
            )
            .await?;
        b.bearer(
            id,
            Forged,
            Deny(UnknownKid),
            "jwt_tool playbook; RFC 7515 §4.1.4",
            &format!("genuinely signed, kid {kid:?}"),
            &t,
        );
    }
    for (id, kid, desc) in [
        (
            "kid-control-chars",
            json!("key\n\u{1b}[31m"),
            "newline and an ANSI escape in kid",
        ),
        (
            "kid-too-long",
            json!("k".repeat(1000)),
            "a 1000-character kid",
        ),
        ("kid-not-string", json!(12), "numeric kid"),
    ] {
        let t = b
            .sign(
                json!({"alg": "ES512", "kid": kid}).to_string().as_bytes(),
                &claims,
            )
            .await?;
        b.bearer(
            id,
            Forged,
            Deny(BadHeader),
            "policy: kid ≤ 256 printable ASCII",
            desc,
            &t,
        );
    }
    let t = b
        .sign(
            json!({"alg": "ES512", "kid": "k".repeat(10_240)})
                .to_string()
                .as_bytes(),
            &claims,
        )
        .await?;
    b.bearer(
        "kid-10kb",
        Forged,
        Deny(TooLarge),
        "policy: size cap before decoding",
        "a 10 KB kid",
        &t,
    );
    for (id, header, reference) in [
        (
            "crit-unknown",
            json!({"alg": "ES512", "crit": ["x-unknown"], "x-unknown": 1}),
            "RFC 7515 §4.1.11; CVE-2025-59420",
        ),
        (
            "crit-empty",
            json!({"alg": "ES512", "crit": []}),
            "RFC 7515 §4.1.11",
        ),
        (
            "crit-malformed",
            json!({"alg": "ES512", "crit": "b64"}),
            "RFC 7515 §4.1.11",
        ),
        (
            "b64-false",
            json!({"alg": "ES512", "b64": false, "crit": ["b64"]}),
            "RFC 7797 §7 (JWTs must not use it)",
        ),
        (
            "cty-nested-jwt",
            json!({"alg": "ES512", "cty": "JWT"}),
            "RFC 7519 §5.2",
        ),
        (
            "zip-in-jws",
            json!({"alg": "ES512", "zip": "DEF"}),
            "RFC 7516 §4.1.3",
        ),
        (
            "enc-in-jws",
            json!({"alg": "ES512", "enc": "A256GCM"}),
            "RFC 7516 §4.1.2",
        ),
    ] {
        let t = b.sign(header.to_string().as_bytes(), &claims).await?;
        b.bearer(
            id,
            Forged,
            Deny(ForbiddenHeader),
            reference,
            &format!("genuinely signed, header {header}"),
            &t,
        );
    }
    for typ in ["JWE", "at+jwt"] {
        let t = b
            .sign(
                json!({"alg": "ES512", "typ": typ}).to_string().as_bytes(),
                &claims,
            )
            .await?;
        b.bearer(
            &format!("typ-{}", typ.to_lowercase().replace('+', "-")),
            Forged,
            Deny(BadHeader),
            "RFC 8725 §3.11",
            &format!("typ {typ}"),
            &t,
        );
    }

    // ---- forged: tokens for someone else -----------------------------------
    // Each row: id, claim, replacement (None removes it), expected reason.
    const ISS_REF: &str = "RFC 7519 §4.1.1; RFC 8725 §3.8; CVE-2024-53861";
    const AUD_REF: &str = "RFC 7519 §4.1.3; RFC 8725 §3.9; CVE-2020-26160";
    type ClaimCase<'a> = (
        &'a str,
        &'a str,
        Option<Value>,
        RejectReason,
        &'a str,
        &'a str,
    );
    let audience_cases: [ClaimCase<'_>; 10] = [
        ("iss-missing", "iss", None, WrongIssuer, ISS_REF, "no iss"),
        (
            "iss-wrong",
            "iss",
            Some(json!("https://evil.example")),
            WrongIssuer,
            ISS_REF,
            "another issuer",
        ),
        (
            "iss-trailing-slash",
            "iss",
            Some(json!(format!("{}/", profile.issuer))),
            WrongIssuer,
            ISS_REF,
            "issuer with a trailing /",
        ),
        (
            "iss-case",
            "iss",
            Some(json!(profile.issuer.to_uppercase())),
            WrongIssuer,
            ISS_REF,
            "issuer in other case",
        ),
        (
            "iss-not-string",
            "iss",
            Some(json!([profile.issuer])),
            WrongIssuer,
            ISS_REF,
            "issuer as an array",
        ),
        ("aud-missing", "aud", None, WrongAudience, AUD_REF, "no aud"),
        (
            "aud-wrong",
            "aud",
            Some(json!("other-api")),
            WrongAudience,
            AUD_REF,
            "another audience",
        ),
        (
            "aud-empty-array",
            "aud",
            Some(json!([])),
            WrongAudience,
            AUD_REF,
            "aud = []",
        ),
        (
            "aud-non-string-member",
            "aud",
            Some(json!([profile.audience, 1])),
            WrongAudience,
            AUD_REF,
            "aud array with a number",
        ),
        (
            "aud-number",
            "aud",
            Some(json!(5)),
            WrongAudience,
            AUD_REF,
            "aud = 5",
        ),
    ];
    for (id, claim, value, reason, reference, desc) in audience_cases {
        let body = b.with(|m| match value {
            Some(v) => {
                m.insert(claim.into(), v);
            }
            None => {
                m.remove(claim);
            }
        });
        let t = b.sign(H, &body).await?;
        b.bearer(id, Forged, Deny(reason), reference, desc, &t);
    }

    // ---- malformed: encoding and shape -------------------------------------
    let (hseg, rest) = good.split_once('.').ok_or("dot")?;
    let (pseg, sseg) = rest.split_once('.').ok_or("dot")?;
    for (id, token, desc, reference) in [
        (
            "b64-sig-padding",
            format!("{good}="),
            "= appended to the signature",
            "RFC 7515 §2",
        ),
        (
            "b64-header-padding",
            format!("{hseg}=.{pseg}.{sseg}"),
            "= appended to the header",
            "RFC 7515 §2",
        ),
        (
            "b64-std-alphabet",
            format!("{hseg}.{pseg}.+{}", &sseg[1..]),
            "+ from the standard alphabet",
            "RFC 4648 §5",
        ),
        (
            "b64-slash",
            format!("{hseg}.{pseg}./{}", &sseg[1..]),
            "/ from the standard alphabet",
            "RFC 4648 §5",
        ),
        (
            "b64-noncanonical-bits",
            format!("{}.e31.{sseg}", hseg),
            "payload with non-zero trailing bits",
            "RFC 4648 §3.5",
        ),
        (
            "b64-length-mod4-1",
            format!("{hseg}.{}.{sseg}", mod4_1(pseg)),
            "a segment of length ≡ 1 (mod 4)",
            "RFC 4648 §4",
        ),
        (
            "segs-2",
            format!("{hseg}.{pseg}"),
            "two segments",
            "RFC 7515 §7.1",
        ),
        (
            "segs-4",
            format!("{good}.{sseg}"),
            "four segments",
            "RFC 7515 §7.1",
        ),
        (
            "segs-jwe-5",
            format!("{hseg}.{pseg}.{pseg}.{pseg}.{sseg}"),
            "five segments (JWE-shaped)",
            "RFC 7516 §7.1; GHSA-c8v6-786g-vjx6",
        ),
        (
            "segs-empty-header",
            format!(".{pseg}.{sseg}"),
            "empty header segment",
            "Wycheproof rejectsMissingHeader",
        ),
        (
            "segs-empty-payload",
            format!("{hseg}..{sseg}"),
            "empty payload segment",
            "Wycheproof",
        ),
        (
            "segs-only-dots",
            "..".to_owned(),
            "two dots",
            "Wycheproof rejectsEmptyString",
        ),
        (
            "non-ascii-fullwidth-dot",
            good.replacen('.', "．", 1),
            "a full-width dot",
            "RFC 7515 §7.1",
        ),
        (
            "non-ascii-zero-width",
            format!("{hseg}\u{200b}.{pseg}.{sseg}"),
            "a zero-width space",
            "RFC 7515 §2",
        ),
        (
            "json-serialization",
            json!({"payload": pseg, "signatures": [{"protected": hseg, "signature": sseg}]})
                .to_string(),
            "the JWS JSON serialization",
            "Wycheproof rejectsValidJsonSerialization",
        ),
    ] {
        b.bearer(
            id,
            Malformed,
            Deny(RejectReason::Malformed),
            reference,
            desc,
            &token,
        );
    }
    b.bearer(
        "segs-many-dots",
        Malformed,
        Deny(TooLarge),
        "CVE-2025-30204",
        "10 000 dots",
        &".".repeat(10_000),
    );
    let pad = "x".repeat(profile.max_token_bytes);
    let t = b
        .sign(
            H,
            &b.with(|m| {
                m.insert("pad".into(), json!(pad));
            }),
        )
        .await?;
    b.bearer(
        "token-oversize",
        Malformed,
        Deny(TooLarge),
        "policy: JWT_MAX_TOKEN_BYTES",
        "a genuine token larger than the cap",
        &t,
    );
    b.push(
        "ws-inside-token",
        Malformed,
        Deny(RejectReason::Malformed),
        "RFC 7519 §7.2",
        "a space inside the token",
        Some(format!("Bearer {hseg}.{pseg} .{sseg}")),
    );
    b.push(
        "ws-newline-inside",
        Malformed,
        Deny(RejectReason::Malformed),
        "RFC 7519 §7.2",
        "a line break inside the token",
        Some(format!("Bearer {hseg}.\n{pseg}.{sseg}")),
    );

    // ---- malformed: JSON ---------------------------------------------------
    let dup_past_first = format!(
        r#"{{"iss":"{}","aud":"{}","exp":{},"exp":{}}}"#,
        profile.issuer,
        profile.audience,
        now - 100,
        now + 300
    );
    let dup_future_first = format!(
        r#"{{"iss":"{}","aud":"{}","exp":{},"exp":{}}}"#,
        profile.issuer,
        profile.audience,
        now + 300,
        now - 100
    );
    let case_variant = format!(
        r#"{{"iss":"{}","aud":"{}","EXP":{}}}"#,
        profile.issuer,
        profile.audience,
        now + 300
    );
    let json_cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        (
            "json-dup-exp-past-first",
            dup_past_first.into_bytes(),
            "exp twice, past then future",
            "RFC 7519 §4 (reject duplicates: policy)",
        ),
        (
            "json-dup-exp-future-first",
            dup_future_first.into_bytes(),
            "exp twice, future then past",
            "RFC 7519 §4",
        ),
        (
            "json-case-variant-exp",
            case_variant.into_bytes(),
            "EXP instead of exp",
            "golang/go#11673",
        ),
        (
            "json-claims-array",
            b"[1,2,3]".to_vec(),
            "claims are an array",
            "RFC 7519 §7.2",
        ),
        (
            "json-claims-string",
            br#""claims""#.to_vec(),
            "claims are a string",
            "RFC 7519 §7.2",
        ),
        (
            "json-invalid-utf8",
            [
                &b"{\"iss\":\"\xff\",\"exp\":"[..],
                (now + 300).to_string().as_bytes(),
                b"}",
            ]
            .concat(),
            "invalid UTF-8",
            "RFC 8725 §3.7",
        ),
        (
            "json-lone-surrogate",
            format!(
                r#"{{"sub":"\ud800","iss":"{}","aud":"{}","exp":{}}}"#,
                profile.issuer,
                profile.audience,
                now + 300
            )
            .into_bytes(),
            "a lone surrogate escape",
            "RFC 8259 §8.2",
        ),
        (
            "json-trailing-garbage",
            format!(
                r#"{{"iss":"{}","aud":"{}","exp":{}}} x"#,
                profile.issuer,
                profile.audience,
                now + 300
            )
            .into_bytes(),
            "text after the object",
            "RFC 8259",
        ),
        (
            "json-deep-nesting",
            format!(
                r#"{{"iss":"{}","aud":"{}","exp":{},"deep":{}{}}}"#,
                profile.issuer,
                profile.audience,
                now + 300,
                "[".repeat(500),
                "]".repeat(500)
            )
            .into_bytes(),
            "500 nested arrays",
            "serde_json recursion limit",
        ),
        (
            "json-exp-1e400",
            format!(
                r#"{{"iss":"{}","aud":"{}","exp":1e400}}"#,
                profile.issuer, profile.audience
            )
            .into_bytes(),
            "exp = 1e400",
            "RFC 8259 §6",
        ),
        (
            "json-exp-2-pow-64",
            format!(
                r#"{{"iss":"{}","aud":"{}","exp":18446744073709551616}}"#,
                profile.issuer, profile.audience
            )
            .into_bytes(),
            "exp = 2^64",
            "policy: NumericDate ≤ year 9999",
        ),
        (
            "claims-exp-missing",
            b.with(|m| {
                m.remove("exp");
            }),
            "no exp",
            "policy: exp required",
        ),
        (
            "claims-exp-string",
            b.with(|m| {
                m.insert("exp".into(), json!((now + 300).to_string()));
            }),
            "exp as a string",
            "RFC 7519 §2; CVE-2026-25537",
        ),
        (
            "claims-exp-bool",
            b.with(|m| {
                m.insert("exp".into(), json!(true));
            }),
            "exp = true",
            "RFC 7519 §2",
        ),
        (
            "claims-exp-null",
            b.with(|m| {
                m.insert("exp".into(), Value::Null);
            }),
            "exp = null",
            "RFC 7519 §2",
        ),
        (
            "claims-nbf-string",
            b.with(|m| {
                m.insert("nbf".into(), json!("now"));
            }),
            "nbf as a string",
            "RFC 7519 §4.1.5",
        ),
        (
            "claims-sub-number",
            b.with(|m| {
                m.insert("sub".into(), json!(7));
            }),
            "sub as a number",
            "RFC 7519 §4.1.2",
        ),
    ];
    for (id, body, desc, reference) in json_cases {
        let t = b.sign(H, &body).await?;
        b.bearer(
            id,
            Malformed,
            Deny(BadClaims),
            reference,
            &format!("genuinely signed; {desc}"),
            &t,
        );
    }
    for (id, header, desc) in [
        (
            "json-header-array",
            b"[\"ES512\"]".to_vec(),
            "header is an array",
        ),
        (
            "json-header-invalid-utf8",
            b"{\"alg\":\"ES512\",\"x\":\"\xfe\"}".to_vec(),
            "invalid UTF-8 in the header",
        ),
        (
            "json-header-trailing-garbage",
            br#"{"alg":"ES512"}}"#.to_vec(),
            "text after the header object",
        ),
    ] {
        let t = b.sign(&header, &claims).await?;
        b.bearer(id, Malformed, Deny(BadHeader), "RFC 7515 §4", desc, &t);
    }

    // ---- malformed: transport ----------------------------------------------
    b.push(
        "transport-basic",
        Malformed,
        Deny(BadScheme),
        "RFC 7617",
        "Basic credentials",
        Some("Basic dXNlcjpwYXNz".into()),
    );
    b.push(
        "transport-token-scheme",
        Malformed,
        Deny(BadScheme),
        "RFC 6750 §2.1",
        "Token scheme with the genuine token",
        Some(format!("Token {good}")),
    );
    b.push(
        "transport-tab-separator",
        Malformed,
        Deny(BadScheme),
        "RFC 6750 §2.1 (1*SP)",
        "a tab between Bearer and the token",
        Some(format!("Bearer\t{good}")),
    );
    b.push(
        "transport-bearer-only",
        Malformed,
        Deny(MissingToken),
        "RFC 6750 §2.1",
        "Bearer with no token",
        Some("Bearer".into()),
    );
    b.push(
        "transport-trailing-junk",
        Malformed,
        Deny(RejectReason::Malformed),
        "RFC 6750 §2.1",
        "a second word after the token",
        Some(format!("Bearer {good} extra")),
    );
    b.push(
        "transport-two-tokens",
        Malformed,
        Deny(RejectReason::Malformed),
        "payload 2.0 joins repeated headers with commas",
        "two Bearer values joined by a comma",
        Some(format!("Bearer {good},Bearer {good}")),
    );
    b.push(
        "transport-empty",
        Malformed,
        Deny(MissingToken),
        "API Gateway identity source",
        "an empty Authorization value",
        Some(String::new()),
    );
    b.push(
        "transport-missing",
        Malformed,
        Deny(MissingToken),
        "API Gateway identity source",
        "no Authorization header",
        None,
    );
    Ok(b.cases)
}

/// The authorization value for `case` minted now, for cases with
/// `refresh_exp`; `None` for the others.
///
/// # Errors
/// Signing failures.
pub async fn refresh(
    case: &Case,
    signer: &Signer,
    profile: &Profile,
    now: i64,
) -> Result<Option<String>, String> {
    let Some(offset) = case.refresh_exp else {
        return Ok(None);
    };
    let p = Profile {
        now,
        ..profile.clone()
    };
    let b = Builder {
        signer,
        p: &p,
        cases: Vec::new(),
    };
    let header = json!({"alg": signer.algorithm().name(), "typ": "JWT"}).to_string();
    let t = b
        .sign(
            header.as_bytes(),
            &b.with(|m| {
                m.insert("exp".into(), json!(now + offset));
            }),
        )
        .await?;
    Ok(Some(format!("Bearer {t}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_and_arithmetic_helpers() {
        let n = order();
        assert_eq!(sub(&add(&[1u8; 66], &n), &n), vec![1u8; 66]);
        let d = der_sig(&[0u8; 66], &{
            let mut x = [0u8; 66];
            x[65] = 0x80;
            x
        });
        assert_eq!(
            d,
            vec![0x30, 0x07, 0x02, 0x01, 0x00, 0x02, 0x02, 0x00, 0x80]
        );
    }
}
