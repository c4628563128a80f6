//! `harness keys`, `harness mint` and the signer flags `cases` and `check` share.

use crate::{CliError, Outcome};
use ::tokens::catalog::Profile;
use ::tokens::signer::Signer;
use clap::{Args, Subcommand};
use serde_json::{json, Map, Value};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub(crate) enum KeysCommand {
    /// A new signing key (P-521 by default): PKCS#8 private key and SPKI
    /// public PEM, or a KMS key.
    New {
        /// Directory for private.pem and public.pem (local keys).
        #[arg(long, default_value = ".")]
        out: PathBuf,
        /// Key spec: ES512 (default), ES256, ES384, ES256K, RS256…PS512, a KMS
        /// spec (ECC_NIST_P256…) or RSA_2048|3072|4096:ALG.
        #[arg(long, default_value = "ES512", value_parser = one_spec)]
        spec: ::tokens::keypair::Spec,
        /// Create a SIGN_VERIFY key of that spec in KMS (or moto) instead.
        #[arg(long)]
        kms: bool,
        /// Alias for the KMS key, e.g. alias/jwt-signing.
        #[arg(long)]
        alias: Option<String>,
        /// KMS endpoint (moto); default: the SDK environment.
        #[arg(long)]
        endpoint_url: Option<String>,
    },
}

#[derive(Args, Debug, Clone)]
pub(crate) struct SignerArgs {
    /// PKCS#8 PEM private key (from `harness keys new`); default: a fresh key.
    #[arg(long, conflicts_with = "kms_key_id")]
    pub(crate) key: Option<PathBuf>,
    /// Key spec of the local key: ES512 (default), ES256, ES384, ES256K,
    /// RS256…PS512, a KMS spec (ECC_NIST_P256…), RSA_2048|3072|4096:ALG;
    /// `check` and `cases` also take a comma-separated list or `all`.
    #[arg(long, conflicts_with = "kms_key_id")]
    pub(crate) spec: Option<String>,
    /// Sign with this KMS key (id, ARN or alias; an RSA key as ID:ALG, e.g.
    /// alias/jwt-rsa:PS256) instead.
    #[arg(long)]
    pub(crate) kms_key_id: Option<String>,
    /// KMS endpoint (moto); default: the SDK environment.
    #[arg(long)]
    pub(crate) endpoint_url: Option<String>,
    /// The issuer the authorizer expects (`iss`; default: the deployment's
    /// with `check --deployment`, else https://issuer.harness.test).
    #[arg(long, visible_alias = "iss")]
    pub(crate) issuer: Option<String>,
    /// An audience the authorizer accepts (`aud`; default: the deployment's
    /// first with `check --deployment`, else harness-api).
    #[arg(long, visible_alias = "aud")]
    pub(crate) audience: Option<String>,
    /// A kid bound to the signing key on the target (default: the key id
    /// of --kms-key-id, which the Terraform module binds; else harness-key).
    #[arg(long)]
    pub(crate) kid: Option<String>,
}

impl SignerArgs {
    /// `--issuer`, else the local default.
    pub(crate) fn issuer(&self) -> &str {
        self.issuer
            .as_deref()
            .unwrap_or("https://issuer.harness.test")
    }

    /// `--audience`, else the local default.
    pub(crate) fn audience(&self) -> &str {
        self.audience.as_deref().unwrap_or("harness-api")
    }

    /// `--kid`, else the KMS key's id (an RSA entry's `:ALG` is not part of
    /// it), else `harness-key`.
    pub(crate) fn kid(&self) -> String {
        match (&self.kid, &self.kms_key_id) {
            (Some(kid), _) => kid.clone(),
            (None, Some(id)) => authorizer::keys::split_kms_entry("--kms-key-id", id)
                .map_or_else(|_| id.clone(), |(id, _)| id),
            (None, None) => "harness-key".into(),
        }
    }
}

#[derive(Args, Debug)]
pub(crate) struct MintArgs {
    #[command(flatten)]
    pub(crate) signer: SignerArgs,
    /// Expiry: +SECONDS, -SECONDS or an absolute epoch.
    #[arg(long, default_value = "+300")]
    pub(crate) exp: String,
    /// Subject.
    #[arg(long, default_value = "harness-user")]
    pub(crate) sub: String,
    /// Put the kid in the header.
    #[arg(long)]
    pub(crate) with_kid: bool,
    /// Extra claims, key=value (value parsed as JSON when it can be).
    #[arg(long = "claim")]
    pub(crate) claims: Vec<String>,
    /// Claims as a JSON object, merged last.
    #[arg(long)]
    pub(crate) claims_json: Option<String>,
    /// Mint this many distinct tokens (local key only), one per line.
    #[arg(long)]
    pub(crate) count: Option<usize>,
}

pub(crate) fn now() -> i64 {
    authorizer::UnixTime::now().0 as i64
}

pub(crate) fn profile(args: &SignerArgs) -> Profile {
    let mut p = Profile::local(now());
    args.issuer().clone_into(&mut p.issuer);
    args.audience().clone_into(&mut p.audience);
    p.kid = args.kid();
    p
}

/// The specs named by `--spec` (default ES512).
pub(crate) fn specs(args: &SignerArgs) -> Result<Vec<::tokens::keypair::Spec>, CliError> {
    args.spec
        .as_deref()
        .map_or(Ok(vec![::tokens::keypair::Spec::DEFAULT]), |s| {
            ::tokens::keypair::Spec::parse_list(s).map_err(CliError::from)
        })
}

pub(crate) fn one_spec(text: &str) -> Result<::tokens::keypair::Spec, ::tokens::keypair::KeyError> {
    ::tokens::keypair::Spec::parse(text)
}

pub(crate) async fn signer(args: &SignerArgs) -> Result<Signer, CliError> {
    match specs(args)?.as_slice() {
        [spec] => signer_of(args, *spec).await,
        _ => Err(CliError::usage(
            "--spec: this command signs with one key spec",
        )),
    }
}

pub(crate) async fn signer_of(
    args: &SignerArgs,
    spec: ::tokens::keypair::Spec,
) -> Result<Signer, CliError> {
    if let Some(id) = &args.kms_key_id {
        let client = harness::stack::kms_client(args.endpoint_url.as_deref()).await;
        return Signer::kms(client, id).await.map_err(CliError::from);
    }
    match &args.key {
        Some(path) => {
            let pem = std::fs::read_to_string(path)
                .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
            ::tokens::keypair::LocalKey::from_pkcs8_pem(&pem, spec.alg)
                .map(Signer::Local)
                .map_err(|e| {
                    CliError::usage(format!(
                        "--key {}: {e} (the key's spec is --spec, default ES512)",
                        path.display()
                    ))
                })
        }
        None => Signer::generate(spec).map_err(CliError::from),
    }
}

pub(crate) async fn keys_new(
    out: PathBuf,
    spec: ::tokens::keypair::Spec,
    kms: bool,
    alias: Option<String>,
    endpoint_url: Option<String>,
) -> Outcome {
    let alg = spec.alg.name();
    if kms {
        let client = harness::stack::kms_client(endpoint_url.as_deref()).await;
        let key = ::tokens::kms::create_key_spec(&client, spec.kms_key_spec(), alias.as_deref())
            .await
            .map_err(CliError::usage)?;
        // What JWT_KMS_KEY_IDS (and --kms-key-id) name: RSA keys with their algorithm.
        let name = key.alias.clone().unwrap_or_else(|| key.key_id.clone());
        let entry = if spec.alg.is_rsa() {
            format!("{name}:{alg}")
        } else {
            name
        };
        let pem = Signer::kms(client, &entry).await?.public_pem();
        println!(
            "{}",
            json!({"key_id": key.key_id, "arn": key.arn, "alias": key.alias,
                   "key_spec": spec.kms_key_spec().as_str(), "alg": alg,
                   "jwt_kms_key_ids": entry, "public_key_pem": pem})
        );
        return Ok(ExitCode::SUCCESS);
    }
    let s = Signer::generate(spec)?;
    let Signer::Local(local) = &s else {
        return Err(CliError::usage("not a local key"));
    };
    let private = local.private_pem()?;
    std::fs::create_dir_all(&out)
        .map_err(|e| CliError::usage(format!("{}: {e}", out.display())))?;
    let (priv_path, pub_path) = (out.join("private.pem"), out.join("public.pem"));
    reports::write_atomic_private(&priv_path, private.as_bytes())
        .map_err(|e| CliError::usage(format!("{}: {e}", priv_path.display())))?;
    reports::write_atomic(&pub_path, s.public_pem().as_bytes())
        .map_err(|e| CliError::usage(format!("{}: {e}", pub_path.display())))?;
    let pin = s.pem_alg_env().map_or(String::new(), |(k, v)| {
        format!("; configure the authorizer with {k}={v}")
    });
    println!(
        "wrote {} and {} ({}){pin}",
        priv_path.display(),
        pub_path.display(),
        spec.label()
    );
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn mint(args: MintArgs) -> Outcome {
    let now = now();
    let signer = signer(&args.signer).await?;
    if let Some(count) = args.count {
        let Signer::Local(local) = &signer else {
            return Err(CliError::usage(
                "--count works with local keys only (KMS Sign is one call per token)",
            ));
        };
        let lifetime = ::tokens::mint::parse_time(&args.exp, now)? - now;
        for t in ::tokens::mint::pool(
            local.algorithm(),
            |input| local.sign(input),
            count,
            args.signer.issuer(),
            args.signer.audience(),
            now,
            lifetime,
        ) {
            super::print_line(t)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut claims = Map::new();
    claims.insert("iss".into(), args.signer.issuer().into());
    claims.insert("aud".into(), args.signer.audience().into());
    claims.insert("sub".into(), args.sub.clone().into());
    claims.insert("iat".into(), now.into());
    claims.insert(
        "exp".into(),
        ::tokens::mint::parse_time(&args.exp, now)?.into(),
    );
    for kv in &args.claims {
        let (k, v) = ::tokens::mint::parse_claim(kv)?;
        claims.insert(k, v);
    }
    if let Some(j) = &args.claims_json {
        let Ok(Value::Object(extra)) = serde_json::from_str::<Value>(j) else {
            return Err(CliError::usage("--claims-json must be a JSON object"));
        };
        claims.extend(extra);
    }
    let alg = signer.algorithm().name();
    let header = if args.with_kid {
        json!({"alg": alg, "typ": "JWT", "kid": args.signer.kid()})
    } else {
        json!({"alg": alg, "typ": "JWT"})
    };
    let input =
        ::tokens::jws::signing_input(&header.to_string(), &Value::Object(claims).to_string());
    let sig = signer.sign(input.as_bytes()).await?;
    use base64::Engine;
    super::print_line(format_args!(
        "{input}.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sig)
    ))?;
    Ok(ExitCode::SUCCESS)
}
