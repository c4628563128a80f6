//! Emulator settings: flags and a TOML file map onto [`GatewayConfig`].
//! Defaults follow `apigw-lambda-spec.md`; behaviours it marks UNCONFIRMED
//! are settings with the documented default.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// Authorizer payload format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PayloadVersion {
    /// HTTP API REQUEST authorizer, payload 2.0.
    #[serde(rename = "2.0")]
    V2,
    /// REST-style TOKEN authorizer (payload 1.0).
    #[serde(rename = "1.0", alias = "TOKEN")]
    V1Token,
    /// REST API REQUEST authorizer (the v1 request event).
    #[serde(rename = "REQUEST")]
    RestRequest,
}

impl PayloadVersion {
    /// Whether the authorizer answers with the REST conventions: an IAM
    /// policy only, and `Unauthorized` (a function error) for 401.
    pub const fn rest(self) -> bool {
        matches!(self, Self::V1Token | Self::RestRequest)
    }
}

/// Which API Gateway flavour is emulated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ApiType {
    /// HTTP API (API Gateway v2).
    #[default]
    #[serde(rename = "HTTP")]
    Http,
    /// REST API (API Gateway v1): a missing resource is 403 `Missing
    /// Authentication Token`, denies and errors use the REST texts, the
    /// authorizer's context reaches the integration flattened
    /// (`requestContext.authorizer.KEY`, primitives only).
    #[serde(rename = "REST")]
    Rest,
}

/// A route's own authorizer (REST: each method names one). Routes without
/// one use the gateway-wide settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteAuthorizer {
    /// Its id (caches are per authorizer).
    pub id: String,
    /// TOKEN (`1.0`) or REQUEST.
    pub payload: PayloadVersion,
    /// Identity sources, in either syntax (`method.request.header.X` or
    /// `$request.header.X`).
    pub identity_sources: Vec<String>,
    /// TOKEN only: the token must match this regular expression (whole
    /// value) or the request is 401 without invoking.
    #[serde(default)]
    pub validation_expression: Option<String>,
    /// Result TTL, 0-3600 s.
    pub ttl_seconds: u64,
}

/// One route: `METHOD /path` (`ANY` for every method, `{name}` and
/// `{proxy+}` path variables) or `$default`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteConfig {
    /// The route key, e.g. `GET /hello`, `ANY /{proxy+}`, `$default`.
    pub key: String,
    /// Whether the authorizer protects it.
    #[serde(default = "yes")]
    pub authorized: bool,
    /// Per-route throttle, overriding the stage default.
    #[serde(default)]
    pub rate: Option<f64>,
    /// Per-route burst, overriding the stage default.
    #[serde(default)]
    pub burst: Option<f64>,
    /// The route's own authorizer (default: the gateway-wide settings).
    #[serde(default)]
    pub authorizer: Option<RouteAuthorizer>,
    /// The REST resource id (`requestContext.resourceId`).
    #[serde(default)]
    pub resource_id: Option<String>,
}

impl RouteConfig {
    /// A route with the gateway-wide authorizer (when `authorized`) and the
    /// stage's throttling.
    pub fn new(key: impl Into<String>, authorized: bool) -> Self {
        Self {
            key: key.into(),
            authorized,
            rate: None,
            burst: None,
            authorizer: None,
            resource_id: None,
        }
    }
}

fn yes() -> bool {
    true
}

/// Everything the emulator needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct GatewayConfig {
    /// Listen address (`127.0.0.1:0` picks a free port).
    pub listen: String,
    /// The authorizer binary.
    pub authorizer: PathBuf,
    /// The function's environment variables.
    pub env: Vec<(String, String)>,
    /// Stage name; `$default` serves at `/`, others at `/{stage}/`.
    pub stage: String,
    /// API id used in ARNs and the domain name.
    pub api_id: String,
    /// AWS region in ARNs and the function environment.
    pub region: String,
    /// Account id in ARNs.
    pub account_id: String,
    /// Routes (default: `GET /hello`, `ANY /{proxy+}`, `$default`, all authorized).
    pub routes: Vec<RouteConfig>,
    /// Identity sources (default `$request.header.Authorization`).
    pub identity_sources: Vec<String>,
    /// Payload format.
    pub payload: PayloadVersion,
    /// Simple responses for payload 2.0 (default true).
    pub simple_responses: bool,
    /// With simple responses on, also accept IAM-policy responses
    /// (UNCONFIRMED on AWS; default true).
    pub accept_policy_with_simple: bool,
    /// Result cache TTL in seconds, 0–3600 (default 300; 0 disables).
    pub cache_ttl_seconds: u64,
    /// Authorizer timeout (HTTP APIs: 10 s).
    pub authorizer_timeout_ms: u64,
    /// HTTP status for an authorizer that fails with `Unauthorized`
    /// (UNCONFIRMED for HTTP APIs; default 500; REST-style runs use 401).
    pub unauthorized_error_status: u16,
    /// Stage default throttle rate (None: only the account limit applies).
    pub rate: Option<f64>,
    /// Stage default burst.
    pub burst: Option<f64>,
    /// Apply the account-level bucket.
    pub account_throttle: bool,
    /// Account-level rate.
    pub account_rate: f64,
    /// Account-level burst.
    pub account_burst: f64,
    /// Reserved concurrency (None: unlimited).
    pub reserved_concurrency: Option<usize>,
    /// Idle environments are reclaimed after this many seconds.
    pub idle_timeout_seconds: f64,
    /// Function memory size, MB.
    pub memory_mb: u32,
    /// Forward allowed requests here instead of the built-in echo.
    pub upstream: Option<String>,
    /// Print a Lambda-style REPORT line per invocation on stderr.
    pub log_reports: bool,
    /// Copy the function's own log lines to stderr.
    pub echo_function_logs: bool,
    /// Ship each environment's output, and a REPORT record per invocation,
    /// into this CloudWatch Logs group (the function's, as Lambda does).
    pub log_group: Option<String>,
    /// CloudWatch Logs endpoint for `log_group` (moto); default: the SDK
    /// environment.
    pub logs_endpoint_url: Option<String>,
    /// A Lambda function (in moto) whose configuration this emulator
    /// follows: when its configuration changes (`UpdateFunctionConfiguration`),
    /// every execution environment is retired, as Lambda does.
    pub lambda_function: Option<String>,
    /// Lambda endpoint for `lambda_function` (moto); default: the SDK
    /// environment.
    pub lambda_endpoint_url: Option<String>,
    /// Serve the HTTP API with this id as registered in the control plane:
    /// routes, authorizer and stage throttling from API Gateway v2, the
    /// function's environment, memory and log group from Lambda, all
    /// followed while serving (see `control_plane`).
    pub control_plane_api: Option<String>,
    /// Serve the REST API with this id as registered in the control plane
    /// (API Gateway v1: resources and methods, each method's authorizer,
    /// the stage's method throttling; the function from Lambda), read once
    /// at start.
    pub control_plane_rest_api: Option<String>,
    /// HTTP API or REST API behaviour.
    pub api_type: ApiType,
    /// The control plane's endpoint for every service (moto); default: the
    /// SDK environment.
    pub endpoint_url: Option<String>,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:0".into(),
            authorizer: PathBuf::from("target/release/authorizer"),
            env: Vec::new(),
            stage: "$default".into(),
            api_id: "local0api1".into(),
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            routes: vec![
                RouteConfig::new("GET /hello", true),
                RouteConfig::new("ANY /{proxy+}", true),
                RouteConfig::new("$default", true),
            ],
            identity_sources: vec!["$request.header.Authorization".into()],
            payload: PayloadVersion::V2,
            simple_responses: true,
            accept_policy_with_simple: true,
            cache_ttl_seconds: 300,
            authorizer_timeout_ms: 10_000,
            unauthorized_error_status: 500,
            rate: None,
            burst: None,
            account_throttle: true,
            account_rate: ACCOUNT_DEFAULT.rate,
            account_burst: ACCOUNT_DEFAULT.burst,
            reserved_concurrency: None,
            idle_timeout_seconds: 600.0,
            memory_mb: 128,
            upstream: None,
            log_reports: false,
            echo_function_logs: false,
            log_group: None,
            logs_endpoint_url: None,
            lambda_function: None,
            lambda_endpoint_url: None,
            control_plane_api: None,
            control_plane_rest_api: None,
            api_type: ApiType::Http,
            endpoint_url: None,
        }
    }
}

/// Accepts the HTTP API syntax (`$request.header.X`, `$request.querystring.X`,
/// `$context.X`, `$stageVariables.X`) and the REST one
/// (`method.request.header.X`, `method.request.querystring.X`, `context.X`,
/// `stageVariables.X`).
fn check_identity_source(src: &str) -> crate::Result<()> {
    const PREFIXES: [&str; 8] = [
        "$request.header.",
        "$request.querystring.",
        "$context.",
        "$stageVariables.",
        "method.request.header.",
        "method.request.querystring.",
        "context.",
        "stageVariables.",
    ];
    if PREFIXES
        .iter()
        .any(|p| src.len() > p.len() && src.starts_with(p))
    {
        Ok(())
    } else {
        Err(crate::Error::invalid(format!("identity source {src:?}: expected $request.header.NAME, $request.querystring.NAME, $context.VAR or $stageVariables.NAME (REST: method.request.header.NAME, method.request.querystring.NAME, context.VAR, stageVariables.NAME)")))
    }
}

/// A TOKEN authorizer's `identityValidationExpression`, matched against the
/// whole token (API Gateway matches the whole value).
///
/// # Errors
/// The expression does not compile.
pub fn validation_regex(expr: &str) -> Result<regex_lite::Regex, String> {
    regex_lite::Regex::new(&format!("^(?:{expr})$"))
        .map_err(|e| format!("identity validation expression {expr:?}: {e}"))
}

impl GatewayConfig {
    /// Checks ranges the real services enforce.
    ///
    /// # Errors
    /// A one-line message naming the setting.
    pub fn validate(&self) -> crate::Result<()> {
        if self.cache_ttl_seconds > 3600 {
            return Err(crate::Error::invalid(format!(
                "cache TTL {} s is out of range 0-3600",
                self.cache_ttl_seconds
            )));
        }
        if self.cache_ttl_seconds > 0 && self.identity_sources.is_empty() {
            return Err(crate::Error::invalid("Identity source must be set if authorizer caching is enabled (TTL is greater than 0)"));
        }
        if self.routes.is_empty() {
            return Err(crate::Error::invalid("at least one route is required"));
        }
        for r in &self.routes {
            if r.key != "$default"
                && r.key
                    .split_once(' ')
                    .is_none_or(|(_, p)| !p.starts_with('/'))
            {
                return Err(crate::Error::invalid(format!(
                    "route {:?}: expected `METHOD /path` or `$default`",
                    r.key
                )));
            }
        }
        for src in &self.identity_sources {
            check_identity_source(src)?;
        }
        for r in &self.routes {
            let Some(a) = &r.authorizer else { continue };
            let name = format!("route {:?} authorizer {}", r.key, a.id);
            if a.ttl_seconds > 3600 {
                return Err(crate::Error::invalid(format!(
                    "{name}: TTL {} s is out of range 0-3600",
                    a.ttl_seconds
                )));
            }
            if a.payload == PayloadVersion::V1Token && a.identity_sources.len() != 1 {
                return Err(crate::Error::invalid(format!(
                    "{name}: a TOKEN authorizer has exactly one identity source (a header)"
                )));
            }
            if a.ttl_seconds > 0 && a.identity_sources.is_empty() {
                return Err(crate::Error::invalid(format!(
                    "{name}: identity source must be set if authorizer caching is enabled"
                )));
            }
            for src in &a.identity_sources {
                check_identity_source(src)?;
            }
            if let Some(e) = &a.validation_expression {
                validation_regex(e)
                    .map_err(|err| crate::Error::invalid(format!("{name}: {err}")))?;
            }
        }
        if self.api_type == ApiType::Rest && self.routes.iter().any(|r| r.key == "$default") {
            return Err(crate::Error::invalid(
                "REST APIs have no $default route: give resources as `METHOD /path`",
            ));
        }
        if self.authorizer_timeout_ms == 0 {
            return Err(crate::Error::invalid("authorizer timeout must be positive"));
        }
        let finite = |name: &str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(crate::Error::invalid(format!(
                    "{name} = {v} must be a finite number >= 0"
                )))
            }
        };
        for (name, v) in [("rate", self.rate), ("burst", self.burst)] {
            if let Some(v) = v {
                finite(name, v)?;
            }
        }
        for r in &self.routes {
            for (name, v) in [("rate", r.rate), ("burst", r.burst)] {
                if let Some(v) = v {
                    finite(&format!("route {:?} {name}", r.key), v)?;
                }
            }
        }
        finite("account_rate", self.account_rate)?;
        finite("account_burst", self.account_burst)?;
        if !(self.idle_timeout_seconds.is_finite() && self.idle_timeout_seconds > 0.0) {
            return Err(crate::Error::invalid(format!(
                "idle_timeout_seconds = {} must be a finite number > 0",
                self.idle_timeout_seconds
            )));
        }
        if !(100..=599).contains(&self.unauthorized_error_status) {
            return Err(crate::Error::invalid(format!(
                "unauthorized_error_status = {} is not an HTTP status",
                self.unauthorized_error_status
            )));
        }
        if !(128..=10_240).contains(&self.memory_mb) {
            return Err(crate::Error::invalid(format!(
                "memory_mb = {} is out of Lambda's range 128-10240",
                self.memory_mb
            )));
        }
        Ok(())
    }

    /// The stage default limit, if configured (both must be given together
    /// or default to the account values).
    pub fn stage_limit(&self) -> Option<Limit> {
        match (self.rate, self.burst) {
            (None, None) => None,
            (rate, burst) => Some(Limit {
                rate: rate.unwrap_or(self.account_rate),
                burst: burst.unwrap_or(self.account_burst),
            }),
        }
    }

    /// The authorizer timeout.
    pub fn authorizer_timeout(&self) -> Duration {
        Duration::from_millis(self.authorizer_timeout_ms)
    }
}

/// Parses a dotenv-style file: `KEY=VALUE` lines, `#` comments, optional
/// single or double quotes; `\n` inside double quotes becomes a newline.
///
/// # Errors
/// The first line that is not `KEY=VALUE`.
pub fn parse_env_file(text: &str) -> crate::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let (k, v) = line
            .split_once('=')
            .ok_or_else(|| crate::Error::invalid(format!("line {}: expected KEY=VALUE", n + 1)))?;
        let v = v.trim();
        let v = if let Some(inner) = v.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
            inner.replace("\\n", "\n").replace("\\\"", "\"")
        } else if let Some(inner) = v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
            inner.to_owned()
        } else {
            v.to_owned()
        };
        out.push((k.trim().to_owned(), v));
    }
    Ok(out)
}

/// Rate (requests/s) and burst (bucket size).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// Steady-state requests per second.
    pub rate: f64,
    /// Bucket capacity.
    pub burst: f64,
}

/// AWS's default account-level limit for HTTP APIs.
pub const ACCOUNT_DEFAULT: Limit = Limit {
    rate: 10_000.0,
    burst: 5_000.0,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_settings_are_validated_at_start() {
        let ok = GatewayConfig {
            rate: Some(0.0),
            burst: Some(0.0),
            ..GatewayConfig::default()
        };
        assert!(ok.validate().is_ok(), "0/0 throttles everything: valid");
        for (c, name) in [
            (
                GatewayConfig {
                    rate: Some(-1.0),
                    ..GatewayConfig::default()
                },
                "rate",
            ),
            (
                GatewayConfig {
                    burst: Some(f64::NAN),
                    ..GatewayConfig::default()
                },
                "burst",
            ),
            (
                GatewayConfig {
                    account_rate: f64::INFINITY,
                    ..GatewayConfig::default()
                },
                "account_rate",
            ),
            (
                GatewayConfig {
                    idle_timeout_seconds: 0.0,
                    ..GatewayConfig::default()
                },
                "idle_timeout_seconds",
            ),
            (
                GatewayConfig {
                    unauthorized_error_status: 42,
                    ..GatewayConfig::default()
                },
                "unauthorized_error_status",
            ),
            (
                GatewayConfig {
                    memory_mb: 64,
                    ..GatewayConfig::default()
                },
                "memory_mb",
            ),
        ] {
            let e = c.validate().expect_err(name).to_string();
            assert!(e.contains(name), "{name}: {e}");
        }
    }

    #[test]
    fn env_file() {
        let vars = parse_env_file("# c\nA=1\nexport B = \"x\\ny\"\nC='q'\n\n").unwrap();
        assert_eq!(
            vars,
            vec![
                ("A".into(), "1".into()),
                ("B".into(), "x\ny".into()),
                ("C".into(), "q".into())
            ]
        );
        assert!(parse_env_file("nonsense").is_err());
    }

    #[test]
    fn toml_file_maps_onto_the_settings() {
        let c: GatewayConfig = toml::from_str(
            r#"
            listen = "127.0.0.1:9000"
            stage = "dev"
            cache_ttl_seconds = 60
            rate = 10.0
            burst = 5.0
            reserved_concurrency = 2
            payload = "1.0"
            env = [["JWT_ISSUER", "https://i"]]
            [[routes]]
            key = "GET /pets/{id}"
            rate = 1.0
            burst = 1.0
            [[routes]]
            key = "GET /health"
            authorized = false
            "#,
        )
        .unwrap();
        assert_eq!(c.listen, "127.0.0.1:9000");
        assert_eq!(
            (c.cache_ttl_seconds, c.reserved_concurrency, c.payload),
            (60, Some(2), PayloadVersion::V1Token)
        );
        assert_eq!(
            c.stage_limit(),
            Some(Limit {
                rate: 10.0,
                burst: 5.0
            })
        );
        assert_eq!(c.routes.len(), 2);
        assert!(!c.routes[1].authorized && c.routes[0].authorized);
        assert_eq!(
            c.env,
            vec![("JWT_ISSUER".to_owned(), "https://i".to_owned())]
        );
        assert_eq!(
            c.identity_sources,
            GatewayConfig::default().identity_sources,
            "unset keys keep defaults"
        );
        assert!(toml::from_str::<GatewayConfig>("cache_ttl_seconds = \"x\"").is_err());
    }

    #[test]
    fn validation() {
        assert!(GatewayConfig::default().validate().is_ok());
        let c = GatewayConfig {
            cache_ttl_seconds: 3601,
            ..GatewayConfig::default()
        };
        assert!(c.validate().is_err());
        let c = GatewayConfig {
            identity_sources: vec![],
            ..GatewayConfig::default()
        };
        assert!(c
            .validate()
            .unwrap_err()
            .to_string()
            .contains("Identity source must be set"));
        let c = GatewayConfig {
            identity_sources: vec![],
            cache_ttl_seconds: 0,
            ..GatewayConfig::default()
        };
        assert!(c.validate().is_ok());
    }
}
