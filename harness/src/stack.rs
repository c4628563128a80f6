//! The local deployment: what `terraform/` creates, created in moto with
//! the AWS SDK — the authorizer function (its zip, environment, memory),
//! its log group, the HTTP API with its REQUEST authorizer and protected
//! route, and the `$default` stage with throttling. A local run
//! ([`crate::run`]) creates it in its own moto, serves it with the emulator
//! (`gateway --api-id`) and measures it through [`crate::deployment`] like
//! any deployment.

use crate::deployment::Deployment;
use tokens::kms::KmsKey;

/// A KMS client for the SDK environment, or for an explicit endpoint
/// (moto's).
pub async fn kms_client(endpoint_url: Option<&str>) -> aws_sdk_kms::Client {
    aws_sdk_kms::Client::new(&emulator::sdk::config(endpoint_url).await)
}

/// What to create (the module's defaults unless said).
#[derive(Debug, Clone)]
pub struct StackSpec {
    /// Function (and role, API) name.
    pub name: String,
    /// The function's code: the authorizer as a Lambda zip.
    pub zip: Vec<u8>,
    /// The function's environment (what the module sets).
    pub env: Vec<(String, String)>,
    /// The signing key, with the kids bound to it (`None`: a local key,
    /// trusted by its PEM, bound to the kids in `env`).
    pub key: Option<KmsKey>,
    /// `iss` and `aud` configured in the function.
    pub issuer: String,
    /// Accepted audience.
    pub audience: String,
    /// Authorizer result TTL (module default 300).
    pub ttl_seconds: i32,
    /// Stage default throttling (module defaults 100 / 50).
    pub rate: f64,
    /// Burst.
    pub burst: i32,
    /// The protected route (module example: `GET /hello`).
    pub route: String,
}

/// A run's local stack: what differs between runs (the suite's mirrors the
/// module's defaults; `harness load` raises the stage limits).
#[derive(Debug, Clone)]
pub(crate) struct LocalStack {
    pub(crate) name: String,
    pub(crate) authorizer: std::path::PathBuf,
    pub(crate) issuer: String,
    pub(crate) audience: String,
    pub(crate) ttl_seconds: i32,
    pub(crate) rate: f64,
    pub(crate) burst: i32,
}

impl LocalStack {
    /// Creates the stack in `moto` for `key_entry`: the signing key
    /// described (id, ARN, aliases — the kids the module binds to it), the
    /// authorizer zipped as the function's code with `env` (the profile's
    /// environment), everything created by [`create`].
    ///
    /// # Errors
    /// A one-line message naming the call that failed.
    pub(crate) async fn create(
        &self,
        moto: &crate::moto::Moto,
        kms: &aws_sdk_kms::Client,
        key_entry: Option<&str>,
        signer: &tokens::signer::Signer,
        env: &[(String, String)],
    ) -> crate::Result<Deployment> {
        let key = match key_entry {
            Some(entry) => Some(described(kms, entry).await?),
            None => None,
        };
        let mut env: Vec<(String, String)> = env.to_vec();
        if let Some(key) = &key {
            let mut kids = vec![key.key_id.clone(), key.arn.clone()];
            kids.extend(key.alias.clone());
            env.retain(|(k, _)| k != "JWT_PUBLIC_KEY_KIDS");
            env.push(("JWT_PUBLIC_KEY_KIDS".into(), kids.join(",")));
        }
        env.extend(signer.pem_alg_env());
        env.push(("JWT_RESPONSE_FORMAT".into(), "simple".into()));
        let binary = std::fs::read(&self.authorizer)
            .map_err(|e| crate::Error::io(self.authorizer.display(), e))?;
        let spec = StackSpec {
            name: self.name.clone(),
            zip: crate::package::zip_bootstrap(&binary)?,
            env,
            key,
            issuer: self.issuer.clone(),
            audience: self.audience.clone(),
            ttl_seconds: self.ttl_seconds,
            rate: self.rate,
            burst: self.burst,
            route: "GET /hello".into(),
        };
        let conf = emulator::sdk::config(Some(moto.endpoint())).await;
        create(&conf, moto.endpoint(), &spec).await
    }
}

/// The KMS key `entry` names (id, ARN, alias; an RSA entry's `:ALG` is
/// not part of it), as `DescribeKey` and `ListAliases` describe it.
async fn described(kms: &aws_sdk_kms::Client, entry: &str) -> crate::Result<KmsKey> {
    let id = authorizer::keys::split_kms_entry("--kms-key-id", entry)
        .map_or(entry.to_owned(), |(id, _)| id);
    let meta = kms
        .describe_key()
        .key_id(&id)
        .send()
        .await
        .map_err(|e| crate::Error::aws("KMS", "DescribeKey", e))?;
    let meta = meta
        .key_metadata()
        .ok_or_else(|| crate::Error::unavailable("DescribeKey: no key metadata"))?;
    let key_id = meta.key_id().to_owned();
    let aliases = kms
        .list_aliases()
        .key_id(&key_id)
        .send()
        .await
        .map_err(|e| crate::Error::aws("KMS", "ListAliases", e))?;
    Ok(KmsKey {
        arn: meta.arn().unwrap_or_default().to_owned(),
        alias: aliases
            .aliases()
            .iter()
            .find_map(|a| a.alias_name().map(str::to_owned)),
        key_id,
    })
}

/// Lambda's region and account in moto.
const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";

/// Creates the stack and describes it as `terraform output -json` would
/// (`api_endpoint` is left for the data plane to fill in).
///
/// # Errors
/// A one-line message naming the call that failed.
pub async fn create(
    conf: &aws_config::SdkConfig,
    endpoint: &str,
    spec: &StackSpec,
) -> crate::Result<Deployment> {
    let name = &spec.name;
    create_role(endpoint, name).await?;
    let lambda = aws_sdk_lambda::Client::new(conf);
    let mut env = aws_sdk_lambda::types::Environment::builder();
    for (k, v) in &spec.env {
        env = env.variables(k, v);
    }
    lambda
        .create_function()
        .function_name(name)
        .runtime(aws_sdk_lambda::types::Runtime::Providedal2023)
        .architectures(aws_sdk_lambda::types::Architecture::X8664)
        .handler("bootstrap")
        .memory_size(128)
        .timeout(10)
        .role(format!("arn:aws:iam::{ACCOUNT}:role/{name}"))
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(spec.zip.clone()))
                .build(),
        )
        .environment(env.build())
        .send()
        .await
        .map_err(|e| crate::Error::aws("Lambda", "CreateFunction", e))?;
    let log_group = format!("/aws/lambda/{name}");
    aws_sdk_cloudwatchlogs::Client::new(conf)
        .create_log_group()
        .log_group_name(&log_group)
        .send()
        .await
        .map_err(|e| crate::Error::aws("CloudWatch Logs", "CreateLogGroup", e))?;

    let apigw = aws_sdk_apigatewayv2::Client::new(conf);
    let api = apigw
        .create_api()
        .name(name)
        .protocol_type(aws_sdk_apigatewayv2::types::ProtocolType::Http)
        .send()
        .await
        .map_err(|e| crate::Error::aws("API Gateway", "CreateApi", e))?;
    let api_id = api.api_id().unwrap_or_default().to_owned();
    let authorizer = apigw
        .create_authorizer()
        .api_id(&api_id)
        .name(format!("{name}-jwt"))
        .authorizer_type(aws_sdk_apigatewayv2::types::AuthorizerType::Request)
        .authorizer_payload_format_version("2.0")
        .enable_simple_responses(true)
        .identity_source("$request.header.Authorization")
        .authorizer_result_ttl_in_seconds(spec.ttl_seconds)
        .authorizer_uri(format!(
            "arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}/invocations"
        ))
        .send()
        .await
        .map_err(|e| crate::Error::aws("API Gateway", "CreateAuthorizer", e))?;
    let authorizer_id = authorizer.authorizer_id().unwrap_or_default().to_owned();
    apigw
        .create_route()
        .api_id(&api_id)
        .route_key(&spec.route)
        .authorization_type(aws_sdk_apigatewayv2::types::AuthorizationType::Custom)
        .authorizer_id(&authorizer_id)
        .send()
        .await
        .map_err(|e| crate::Error::aws("API Gateway", "CreateRoute", e))?;
    apigw
        .create_stage()
        .api_id(&api_id)
        .stage_name("$default")
        .auto_deploy(true)
        .default_route_settings(
            aws_sdk_apigatewayv2::types::RouteSettings::builder()
                .throttling_rate_limit(spec.rate)
                .throttling_burst_limit(spec.burst)
                .build(),
        )
        .send()
        .await
        .map_err(|e| crate::Error::aws("API Gateway", "CreateStage", e))?;
    let kids = match &spec.key {
        Some(key) => {
            let mut kids = vec![key.key_id.clone(), key.arn.clone()];
            kids.extend(key.alias.clone());
            kids
        }
        None => spec
            .env
            .iter()
            .find(|(k, _)| k == "JWT_PUBLIC_KEY_KIDS")
            .map(|(_, v)| v.split(',').map(str::to_owned).collect())
            .unwrap_or_default(),
    };
    Ok(Deployment {
        api_endpoint: None,
        api_id: Some(api_id),
        rest_api_id: None,
        stage_name: Some("$default".into()),
        authorizer_id: Some(authorizer_id),
        function_name: Some(name.clone()),
        log_group_name: Some(log_group),
        kms_key: spec.key.as_ref().map(|k| k.arn.clone()),
        kids,
        issuer: Some(spec.issuer.clone()),
        audience: vec![spec.audience.clone()],
        region: conf.region().map(ToString::to_string),
    })
}

/// The function's execution role (moto checks it exists). IAM's query API,
/// unsigned: moto routes by the credential scope and checks no signature,
/// and the SDK's IAM crate is not worth its build time for one call.
async fn create_role(endpoint: &str, name: &str) -> crate::Result<()> {
    let scope = format!(
        "AWS4-HMAC-SHA256 Credential=testing/{}/{REGION}/iam/aws4_request, SignedHeaders=host, Signature=0",
        emulator::civil_time::utc_date(emulator::civil_time::now_ms() / 1000).replace('/', "")
    );
    let r = reqwest::Client::new()
        .post(endpoint)
        .header("authorization", scope)
        .form(&[
            ("Action", "CreateRole"),
            ("Version", "2010-05-08"),
            ("RoleName", name),
            (
                "AssumeRolePolicyDocument",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
            ),
        ])
        .send()
        .await
        .map_err(|e| crate::Error::from(e).context(format!("IAM CreateRole at {endpoint}")))?;
    if r.status().is_success() {
        Ok(())
    } else {
        Err(crate::Error::unavailable(format!(
            "IAM CreateRole at {endpoint}: HTTP {}",
            r.status().as_u16()
        )))
    }
}
