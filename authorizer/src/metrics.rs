//! Metrics in CloudWatch Embedded Metric Format (EMF): one JSON line per
//! invocation, written to stdout beside the decision line. CloudWatch Logs
//! extracts the metrics from the function's log group; no agent and no
//! extra network call. The specification:
//! <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>.
//!
//! Dimensions stay bounded: `FunctionName`, `Outcome` (allow, deny) and
//! `Reason` (the closed [`RejectReason`](crate::reason::RejectReason) set).

use crate::authorizer::Outcome;
use serde_json::{json, Map, Value};
use std::time::Duration;

/// Every metric this module emits: name, unit, and when.
pub const METRICS: [(&str, &str, &str); 7] = [
    (
        "Decisions",
        "Count",
        "every invocation; by FunctionName and by FunctionName+Outcome",
    ),
    ("Denies", "Count", "every deny; by FunctionName+Reason"),
    (
        "CacheHits",
        "Count",
        "every invocation: 1 answered from the decision cache, else 0 (Average = hit ratio)",
    ),
    (
        "DecisionTime",
        "Microseconds",
        "every invocation: the handler's time",
    ),
    (
        "VerifyTime",
        "Microseconds",
        "a signature verification ran (cache misses that reached it)",
    ),
    (
        "KeySetAge",
        "Seconds",
        "KMS keys configured: age of the key set in force",
    ),
    (
        "KeyRefreshFailures",
        "Count",
        "KMS keys configured: failed refreshes since the previous line",
    ),
];

/// What one invocation contributes.
#[derive(Debug, Clone)]
pub struct Sample<'a> {
    /// The decision and its details.
    pub outcome: &'a Outcome,
    /// The handler's time.
    pub decision_time: Duration,
    /// With KMS keys: the age of the key set in force.
    pub key_set_age: Option<Duration>,
    /// With KMS keys: refreshes that failed since the previous line.
    pub refresh_failures: Option<u64>,
}

/// The EMF writer's settings.
#[derive(Debug, Clone)]
pub struct Emf {
    namespace: String,
    function_name: String,
}

impl Emf {
    /// Metrics in `namespace` for the function `function_name`
    /// (`AWS_LAMBDA_FUNCTION_NAME`).
    pub fn new(namespace: impl Into<String>, function_name: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            function_name: function_name.into(),
        }
    }

    /// One EMF document for `sample`, at `timestamp_ms` (epoch ms), as one
    /// line of JSON without the newline.
    pub fn line(&self, sample: &Sample<'_>, timestamp_ms: u64) -> String {
        let outcome = sample.outcome;
        let mut root = Map::new();
        root.insert("FunctionName".into(), self.function_name.clone().into());
        let allow = outcome.decision.is_allow();
        root.insert(
            "Outcome".into(),
            (if allow { "allow" } else { "deny" }).into(),
        );
        let mut directives = vec![self.directive(
            &[&["FunctionName"], &["FunctionName", "Outcome"]],
            &[("Decisions", "Count")],
        )];
        root.insert("Decisions".into(), 1.into());
        if let Some(reason) = outcome.decision.reason() {
            root.insert("Reason".into(), reason.as_str().into());
            root.insert("Denies".into(), 1.into());
            directives.push(self.directive(&[&["FunctionName", "Reason"]], &[("Denies", "Count")]));
        }
        let mut plain: Vec<(&str, &str)> =
            vec![("CacheHits", "Count"), ("DecisionTime", "Microseconds")];
        root.insert("CacheHits".into(), u8::from(outcome.cache_hit).into());
        root.insert("DecisionTime".into(), micros(sample.decision_time).into());
        if let Some(t) = outcome.verify_time {
            plain.push(("VerifyTime", "Microseconds"));
            root.insert("VerifyTime".into(), micros(t).into());
        }
        if let Some(age) = sample.key_set_age {
            plain.push(("KeySetAge", "Seconds"));
            root.insert("KeySetAge".into(), age.as_secs().into());
        }
        if let Some(n) = sample.refresh_failures {
            plain.push(("KeyRefreshFailures", "Count"));
            root.insert("KeyRefreshFailures".into(), n.into());
        }
        directives.push(self.directive(&[&["FunctionName"]], &plain));
        root.insert(
            "_aws".into(),
            json!({ "Timestamp": timestamp_ms, "CloudWatchMetrics": directives }),
        );
        Value::Object(root).to_string()
    }

    fn directive(&self, dimensions: &[&[&str]], metrics: &[(&str, &str)]) -> Value {
        json!({
            "Namespace": self.namespace,
            "Dimensions": dimensions,
            "Metrics": metrics
                .iter()
                .map(|(name, unit)| json!({ "Name": name, "Unit": unit }))
                .collect::<Vec<_>>(),
        })
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authorizer::Decision;
    use crate::reason::RejectReason;

    fn outcome(decision: Decision, cache_hit: bool, verify: Option<u64>) -> Outcome {
        Outcome {
            decision,
            cache_hit,
            key: None,
            verify_time: verify.map(Duration::from_micros),
        }
    }

    /// The EMF rules this line must follow, checked independently of how it
    /// was built: `_aws` with an integer `Timestamp` and `CloudWatchMetrics`;
    /// each directive's dimensions name string members of the root (at most
    /// 30 per set); each metric a number member with a CloudWatch unit.
    fn assert_emf(doc: &Value) {
        let aws = &doc["_aws"];
        assert!(aws["Timestamp"].is_u64(), "{doc}");
        let directives = aws["CloudWatchMetrics"].as_array().expect("directives");
        assert!(!directives.is_empty());
        for d in directives {
            assert_eq!(d["Namespace"], "JwtAuthorizer");
            for set in d["Dimensions"].as_array().expect("dimension sets") {
                let set = set.as_array().expect("a set");
                assert!(!set.is_empty() && set.len() <= 30);
                for dim in set {
                    let name = dim.as_str().expect("dimension name");
                    assert!(
                        doc[name].is_string(),
                        "dimension {name} not a root string: {doc}"
                    );
                }
            }
            for m in d["Metrics"].as_array().expect("metrics") {
                let name = m["Name"].as_str().expect("metric name");
                assert!(
                    doc[name].is_number(),
                    "metric {name} not a root number: {doc}"
                );
                let unit = m["Unit"].as_str().expect("unit");
                assert!(
                    METRICS.iter().any(|(n, u, _)| *n == name && *u == unit),
                    "{name} {unit} is not documented"
                );
            }
        }
    }

    #[test]
    fn an_allow_line_is_emf_with_decisions_cache_and_verify_time() {
        let grant = crate::claims::Grant {
            sub: None,
            exp: 0.0,
            context: serde_json::value::to_raw_value(&json!({})).expect("raw"),
        };
        let o = outcome(
            Decision::Allow(std::sync::Arc::new(grant)),
            false,
            Some(310),
        );
        let emf = Emf::new("JwtAuthorizer", "fn");
        let line = emf.line(
            &Sample {
                outcome: &o,
                decision_time: Duration::from_micros(400),
                key_set_age: None,
                refresh_failures: None,
            },
            1_700_000_000_000,
        );
        assert!(!line.contains('\n'));
        let doc: Value = serde_json::from_str(&line).expect("json");
        assert_emf(&doc);
        assert_eq!(doc["Outcome"], "allow");
        assert_eq!(doc["Decisions"], 1);
        assert_eq!(doc["CacheHits"], 0);
        assert_eq!(doc["VerifyTime"], 310);
        assert_eq!(doc["DecisionTime"], 400);
        assert!(doc.get("Reason").is_none() && doc.get("Denies").is_none());
        assert!(doc.get("KeySetAge").is_none());
    }

    #[test]
    fn a_deny_line_counts_the_reason_and_kms_figures() {
        let o = outcome(Decision::Deny(RejectReason::Expired), true, None);
        let emf = Emf::new("JwtAuthorizer", "fn");
        let line = emf.line(
            &Sample {
                outcome: &o,
                decision_time: Duration::from_micros(9),
                key_set_age: Some(Duration::from_secs(61)),
                refresh_failures: Some(2),
            },
            5,
        );
        let doc: Value = serde_json::from_str(&line).expect("json");
        assert_emf(&doc);
        assert_eq!(doc["Reason"], "expired");
        assert_eq!(doc["Denies"], 1);
        assert_eq!(doc["CacheHits"], 1);
        assert_eq!(doc["KeySetAge"], 61);
        assert_eq!(doc["KeyRefreshFailures"], 2);
        assert!(doc.get("VerifyTime").is_none());
        let reason_sets = doc["_aws"]["CloudWatchMetrics"]
            .as_array()
            .expect("directives")
            .iter()
            .filter(|d| d["Dimensions"].to_string().contains("Reason"))
            .count();
        assert_eq!(reason_sets, 1);
        assert!(RejectReason::ALL.iter().any(|r| r.as_str() == "expired"));
    }
}
