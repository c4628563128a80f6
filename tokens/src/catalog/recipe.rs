//! The recipe language's one interpreter: the only code in the catalog
//! that signs. [`Mint`] turns rows into [`Case`]s for one signer and one
//! [`Profile`].

use super::case::Case;
use super::language::{
    b64, hmac_sig, Claims, Edit, Env, Genuine, Header, MacKey, Recipe, Row, Val,
};
use super::vocab::Profile;
use crate::keypair::{LocalKey, Spec};
use crate::signer::Signer;
use authorizer::Algorithm;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256, Sha384};

/// Makes the cases of a table for one signer and profile.
pub(super) struct Mint<'a> {
    signer: &'a Signer,
    env: Env<'a>,
    genuine: Genuine,
}

impl<'a> Mint<'a> {
    /// Mints the genuine token (one signature) and an attacker key.
    ///
    /// # Errors
    /// Signing failures.
    pub(super) async fn new(signer: &'a Signer, profile: &'a Profile) -> crate::Result<Self> {
        let alg = signer.algorithm();
        let header = json!({"alg": alg.name(), "typ": "JWT"}).to_string();
        let claims = Value::Object(standard_claims(profile)).to_string();
        let claims_b64 = b64(claims.as_bytes());
        let input = format!("{}.{claims_b64}", b64(header.as_bytes()));
        let sig = signer.sign(input.as_bytes()).await?;
        let attacker = LocalKey::generate(Spec {
            alg,
            rsa_bits: if alg.is_rsa() { sig.len() * 8 } else { 0 },
        })?;
        let env = Env {
            profile,
            alg,
            pem: signer.public_pem(),
            spki: signer.spki_der(),
            attacker: Some(attacker),
        };
        let genuine = Genuine {
            token: format!("{input}.{}", b64(&sig)),
            input,
            sig,
            claims_b64,
            n: alg.curve().map_or(&[][..], authorizer::Curve::order),
        };
        Ok(Self {
            signer,
            env,
            genuine,
        })
    }

    /// The genuine token's pieces.
    pub(super) fn genuine(&self) -> &Genuine {
        &self.genuine
    }

    /// Every row made into a case, in order.
    ///
    /// # Errors
    /// Signing failures.
    pub(super) async fn cases(&self, rows: Vec<Row>) -> crate::Result<Vec<Case>> {
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(self.case(row).await?);
        }
        Ok(out)
    }

    /// One row made into a case.
    ///
    /// # Errors
    /// Signing failures.
    pub(super) async fn case(&self, row: Row) -> crate::Result<Case> {
        let authorization = match &row.recipe {
            Recipe::Verbatim(v) => v.map(str::to_owned),
            recipe => Some(row.wrap.replace("{t}", &self.token(recipe).await?)),
        };
        Ok(Case {
            id: row.id.to_string(),
            family: row.family,
            description: row.description.to_string(),
            reference: row.reference.to_string(),
            authorization,
            expected: row.expected,
            fresh: row.fresh,
            row: row.fresh.then_some(row),
        })
    }

    async fn sign(
        &self,
        header: &Header,
        claims: &Claims,
        alg: Algorithm,
    ) -> crate::Result<String> {
        sign(self.signer, &self.env, header, claims, alg).await
    }

    fn forged_input(&self, header: &Header) -> String {
        format!(
            "{}.{}",
            b64(&header_bytes(header, &self.env)),
            self.genuine.claims_b64
        )
    }

    async fn token(&self, recipe: &Recipe) -> crate::Result<String> {
        let g = &self.genuine;
        let own = self.env.alg;
        Ok(match recipe {
            Recipe::Signed(h, c) => self.sign(h, c, own).await?,
            Recipe::SignedAs(h, alg) => self.sign(h, &Claims::Standard, *alg).await?,
            Recipe::Attacker(h) => {
                let input = self.forged_input(h);
                let attacker = self
                    .env
                    .attacker
                    .as_ref()
                    .ok_or_else(|| crate::Error::unavailable("no attacker key"))?;
                let sig = attacker.sign(input.as_bytes());
                format!("{input}.{}", b64(&sig))
            }
            Recipe::ForgedSig(h, sig) => {
                let input = self.forged_input(h);
                format!("{input}.{}", b64(&sig(g, &input)))
            }
            Recipe::Mac { alg, key, padded } => {
                let input = self.forged_input(&Header::Labelled(alg));
                let mac = hmac_sig(alg, &self.mac_key(*key), input.as_bytes());
                let mac = if *padded {
                    mac.iter().copied().cycle().take(g.sig.len()).collect()
                } else {
                    mac
                };
                format!("{input}.{}", b64(&mac))
            }
            Recipe::ShortHash {
                alg,
                hash_len,
                short,
            } => {
                let input = self.forged_input(&Header::Labelled(alg));
                let digest = match hash_len {
                    32 => Sha256::digest(input.as_bytes()).to_vec(),
                    _ => Sha384::digest(input.as_bytes()).to_vec(),
                };
                let mut padded = [0u8; 64];
                padded[64 - hash_len..].copy_from_slice(&digest);
                let sig = self.signer.dangerous_sign_digest(&padded).await?;
                let sig = if *short {
                    &sig[..hash_len * 2]
                } else {
                    &sig[..]
                };
                format!("{input}.{}", b64(sig))
            }
            Recipe::Resigned(sig) => g.with_sig(&sig(g)),
            Recipe::Resized(len) => {
                let mut sig = g.sig.clone();
                sig.resize(*len, 0);
                g.with_sig(&sig)
            }
            Recipe::Transplanted(c) => {
                let other = self.sign(&Header::AlgTyp, c, own).await?;
                let input = other.rsplit_once('.').map_or("", |(i, _)| i);
                format!("{input}.{}", b64(&g.sig))
            }
            Recipe::LeadingZeroStripped => self.leading_zero_stripped().await?,
            Recipe::Text(text) => text(g),
            Recipe::Verbatim(v) => v.unwrap_or_default().to_owned(),
        })
    }

    fn mac_key(&self, key: MacKey) -> Vec<u8> {
        let env = &self.env;
        match key {
            MacKey::Pem => env.pem.clone().into_bytes(),
            MacKey::PemNoNewline => env.pem.trim_end().as_bytes().to_vec(),
            MacKey::Der => env.spki.clone(),
            MacKey::RawPoint => env.point().to_vec(),
            MacKey::Jwk => env.jwk(env.point()).to_string().into_bytes(),
        }
    }

    async fn leading_zero_stripped(&self) -> crate::Result<String> {
        /// Signatures tried before giving up (an RSA signature starts with
        /// 0x00 about once in 256; 4000 tries fail with probability below
        /// e^-15).
        const TRIES: usize = 4000;
        for i in 0..TRIES {
            let jti = format!("z{i}");
            let mut claims = standard_claims(self.env.profile);
            claims.insert("jti".into(), json!(jti));
            let input = format!(
                "{}.{}",
                b64(&header_bytes(&Header::AlgTyp, &self.env)),
                b64(Value::Object(claims).to_string().as_bytes())
            );
            let sig = self.signer.sign(input.as_bytes()).await?;
            if sig.first() == Some(&0) {
                return Ok(format!("{input}.{}", b64(&sig[1..])));
            }
        }
        Err(crate::Error::unavailable(format!(
            "no RSA signature with a leading zero byte in {TRIES} tries"
        )))
    }
}

/// `header.claims` signed by `signer` as `alg`.
async fn sign(
    signer: &Signer,
    env: &Env<'_>,
    header: &Header,
    claims: &Claims,
    alg: Algorithm,
) -> crate::Result<String> {
    let input = format!(
        "{}.{}",
        b64(&header_bytes(header, env)),
        b64(&claims_bytes(claims, env))
    );
    let sig = signer.sign_as(alg, input.as_bytes()).await?;
    Ok(format!("{input}.{}", b64(&sig)))
}

/// A fresh case's `Authorization` value minted again for `profile` (its
/// `now`): the same recipe, through the same interpreter.
///
/// # Errors
/// Signing failures, or a fresh row whose recipe is not `Signed`.
pub(super) async fn remint(
    case: &Case,
    signer: &Signer,
    profile: &Profile,
) -> crate::Result<Option<String>> {
    let Some(row) = &case.row else {
        return Ok(None);
    };
    let Recipe::Signed(header, claims) = &row.recipe else {
        return Err(crate::Error::invalid(format!(
            "fresh case {} is not a signed recipe",
            case.id
        )));
    };
    let env = Env {
        profile,
        alg: signer.algorithm(),
        spki: signer.spki_der(),
        pem: signer.public_pem(),
        attacker: None,
    };
    let token = sign(signer, &env, header, claims, env.alg).await?;
    Ok(Some(row.wrap.replace("{t}", &token)))
}

fn standard_claims(p: &Profile) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("iss".into(), json!(p.issuer));
    m.insert("aud".into(), json!(p.audience));
    m.insert("sub".into(), json!("harness-user"));
    m.insert("exp".into(), json!(p.now + 300));
    m.insert("iat".into(), json!(p.now));
    m
}

fn value(v: &Val, env: &Env<'_>) -> Value {
    match v {
        Val::NowPlus(s) => json!(env.profile.now + s),
        Val::Str(s) => json!(s),
        Val::OwnAlg => json!(env.alg.name()),
        Val::Kid => json!(env.profile.kid),
        Val::Json(text) => serde_json::from_str(text).unwrap_or(Value::Null),
        Val::Fn(f) => f(env),
    }
}

fn header_bytes(h: &Header, env: &Env<'_>) -> Vec<u8> {
    match h {
        Header::AlgTyp => json!({"alg": env.alg.name(), "typ": "JWT"})
            .to_string()
            .into_bytes(),
        Header::Labelled(alg) => json!({"alg": alg, "typ": "JWT"}).to_string().into_bytes(),
        Header::Members(members) => {
            let m: Map<String, Value> = members
                .iter()
                .map(|(k, v)| ((*k).to_owned(), value(v, env)))
                .collect();
            Value::Object(m).to_string().into_bytes()
        }
        Header::Exact(b) => b.to_vec(),
        Header::Computed(f) => f(env).to_string().into_bytes(),
    }
}

fn claims_bytes(c: &Claims, env: &Env<'_>) -> Vec<u8> {
    match c {
        Claims::Standard => Value::Object(standard_claims(env.profile))
            .to_string()
            .into_bytes(),
        Claims::Edited(edits) => {
            let mut m = standard_claims(env.profile);
            for e in *edits {
                match e {
                    Edit::Set(k, v) => {
                        m.insert((*k).to_owned(), value(v, env));
                    }
                    Edit::Remove(k) => {
                        m.remove(*k);
                    }
                }
            }
            Value::Object(m).to_string().into_bytes()
        }
        Claims::Written(f) => f(env.profile),
    }
}
