//! A deployment description: `terraform output -json` of the module (or
//! the example), read by `harness suite --deployment FILE`. Each value can be
//! overridden by a flag; what decides verdicts (stage throttling, authorizer
//! TTL) is then read from AWS itself, not from this file.

use serde_json::Value;
use std::path::Path;

/// What the harness needs to know about a deployed authorizer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deployment {
    /// The protected route's URL (`api_endpoint`).
    pub api_endpoint: Option<String>,
    /// HTTP API id (`api_id`).
    pub api_id: Option<String>,
    /// REST API id (`rest_api_id`): settings are then read from API
    /// Gateway v1.
    pub rest_api_id: Option<String>,
    /// Stage name (`stage_name`).
    pub stage_name: Option<String>,
    /// The API Gateway authorizer id (`authorizer_id`).
    pub authorizer_id: Option<String>,
    /// The authorizer function (`function_name`).
    pub function_name: Option<String>,
    /// The function's log group (`log_group_name`).
    pub log_group_name: Option<String>,
    /// The signing key: ARN, else id (`kms_key_arn`, `kms_key_id`); RSA keys
    /// with `:ALG` from `key_algorithm`.
    pub kms_key: Option<String>,
    /// Kids bound to the key (`kids`).
    pub kids: Vec<String>,
    /// Required `iss` (`issuer`).
    pub issuer: Option<String>,
    /// Accepted `aud` values (`audience`).
    pub audience: Vec<String>,
    /// The AWS region it is deployed in (`region`).
    pub region: Option<String>,
}

impl Deployment {
    /// Reads `terraform output -json` (each output `{"value": …}`), or a flat
    /// JSON object of the same names.
    ///
    /// # Errors
    /// A one-line message naming the file and what is wrong.
    pub fn read(path: &Path) -> crate::Result<Self> {
        let flag = || format!("--deployment {}", path.display());
        let text = std::fs::read_to_string(path).map_err(|e| crate::Error::io(flag(), e))?;
        Self::parse(&text).map_err(|e| e.context(flag()))
    }

    /// Parses the JSON text.
    ///
    /// # Errors
    /// Not a JSON object, or an output of the wrong type.
    pub fn parse(text: &str) -> crate::Result<Self> {
        let doc: Value = serde_json::from_str(text).map_err(|e| {
            crate::Error::invalid(format!(
                "not JSON ({e}); write it with `terraform output -json`"
            ))
        })?;
        let Value::Object(map) = doc else {
            return Err(crate::Error::invalid(
                "not a JSON object; write it with `terraform output -json`",
            ));
        };
        let get = |name: &str| -> Option<&Value> {
            let v = map.get(name)?;
            match v {
                Value::Object(o) if o.contains_key("value") => o.get("value"),
                other => Some(other),
            }
        };
        let string = |name: &str| -> crate::Result<Option<String>> {
            match get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if s.is_empty() => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(crate::Error::invalid(format!(
                    "output {name} is not a string"
                ))),
            }
        };
        let strings = |name: &str| -> crate::Result<Vec<String>> {
            match get(name) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::String(s)) => Ok(vec![s.clone()]),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|v| {
                        v.as_str().map(str::to_owned).ok_or_else(|| {
                            crate::Error::invalid(format!("output {name} is not a list of strings"))
                        })
                    })
                    .collect(),
                Some(_) => Err(crate::Error::invalid(format!(
                    "output {name} is not a list of strings"
                ))),
            }
        };
        let key = string("kms_key_arn")?.or(string("kms_key_id")?);
        let kms_key = match (key, string("key_algorithm")?) {
            (Some(k), Some(alg)) if alg.starts_with("RS") || alg.starts_with("PS") => {
                Some(format!("{k}:{alg}"))
            }
            (k, _) => k,
        };
        let d = Self {
            api_endpoint: string("api_endpoint")?,
            api_id: string("api_id")?,
            rest_api_id: string("rest_api_id")?,
            stage_name: string("stage_name")?,
            authorizer_id: string("authorizer_id")?,
            function_name: string("function_name")?,
            log_group_name: string("log_group_name")?,
            kms_key,
            kids: strings("kids")?,
            issuer: string("issuer")?,
            audience: strings("audience")?,
            region: string("region")?,
        };
        if d.api_endpoint.is_none() {
            return Err(crate::Error::invalid(
                "no api_endpoint output (the protected route's URL)",
            ));
        }
        Ok(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_terraform_output_json_and_flat_objects() {
        let tf = r#"{
          "api_endpoint": {"sensitive": false, "type": "string", "value": "https://x.execute-api.us-east-1.amazonaws.com/hello"},
          "api_id": {"value": "x"}, "stage_name": {"value": "$default"},
          "authorizer_id": {"value": "a1"}, "function_name": {"value": "fn"},
          "log_group_name": {"value": "/aws/lambda/fn"},
          "kms_key_id": {"value": "k"}, "kms_key_arn": {"value": "arn:aws:kms:us-east-1:1:key/k"},
          "key_algorithm": {"value": "PS256"},
          "kids": {"value": ["k", "arn:aws:kms:us-east-1:1:key/k"]},
          "issuer": {"value": "https://issuer.example.com"}, "audience": {"value": ["demo-api"]}
        }"#;
        let d = Deployment::parse(tf).expect("parses");
        assert_eq!(
            d.kms_key.as_deref(),
            Some("arn:aws:kms:us-east-1:1:key/k:PS256")
        );
        assert_eq!(d.audience, vec!["demo-api".to_owned()]);
        assert_eq!(d.log_group_name.as_deref(), Some("/aws/lambda/fn"));
        let flat = r#"{"api_endpoint": "http://127.0.0.1:1/hello", "kms_key_id": "k", "key_algorithm": "ES512", "audience": "a"}"#;
        let d = Deployment::parse(flat).expect("flat");
        assert_eq!(d.kms_key.as_deref(), Some("k"));
        assert_eq!(d.audience, vec!["a".to_owned()]);
        for (bad, why) in [
            ("[]", "not a JSON object"),
            ("{", "not JSON"),
            (r#"{"api_id": {"value": "x"}}"#, "no api_endpoint"),
            (
                r#"{"api_endpoint": {"value": 3}}"#,
                "api_endpoint is not a string",
            ),
            (
                r#"{"api_endpoint": "u", "kids": {"value": [1]}}"#,
                "kids is not a list",
            ),
        ] {
            let e = Deployment::parse(bad).expect_err(bad).to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }
}
