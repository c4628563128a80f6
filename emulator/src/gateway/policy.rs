//! IAM policy evaluation for authorizer responses: statements are matched
//! against the request's `routeArn` (`*` and `?` wildcards); an explicit
//! Deny wins; no matching Allow is an implicit deny.

use serde_json::Value;

/// What a policy says about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// A matching Allow and no matching Deny.
    Allow,
    /// A matching Deny.
    ExplicitDeny,
    /// No matching statement.
    ImplicitDeny,
}

/// Whether `policy` (a `policyDocument`) allows `execute-api:Invoke` on `arn`.
/// `None` when the document is malformed (the gateway answers 500).
pub fn allows(policy: &Value, arn: &str) -> Option<bool> {
    evaluate(policy, arn).map(|a| a == Access::Allow)
}

/// [`allows`], telling an explicit deny from an implicit one (REST APIs
/// answer them with different texts).
pub fn evaluate(policy: &Value, arn: &str) -> Option<Access> {
    let statements = match policy.get("Statement")? {
        Value::Array(s) => s.clone(),
        s @ Value::Object(_) => vec![s.clone()],
        _ => return None,
    };
    let mut access = Access::ImplicitDeny;
    for st in &statements {
        let effect = st.get("Effect")?.as_str()?;
        let actions = strings(st.get("Action")?)?;
        let resources = strings(st.get("Resource")?)?;
        let action_ok = actions.iter().any(|a| wildcard(a, "execute-api:Invoke"));
        let resource_ok = resources.iter().any(|r| wildcard(r, arn));
        if action_ok && resource_ok {
            match effect {
                "Deny" => return Some(Access::ExplicitDeny),
                "Allow" => access = Access::Allow,
                _ => return None,
            }
        }
    }
    Some(access)
}

fn strings(v: &Value) -> Option<Vec<&str>> {
    match v {
        Value::String(s) => Some(vec![s.as_str()]),
        Value::Array(items) => items.iter().map(Value::as_str).collect(),
        _ => None,
    }
}

/// Glob match with `*` (any run) and `?` (one character).
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ARN: &str = "arn:aws:execute-api:us-east-1:123:api/$default/GET/hello";

    fn doc(effect: &str, resource: Value) -> Value {
        json!({"Version": "2012-10-17", "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}]})
    }

    #[test]
    fn wildcards() {
        assert!(wildcard("*", "anything"));
        assert!(wildcard("arn:*:api/$default/*/*", ARN));
        assert!(wildcard(
            "arn:aws:execute-api:us-east-1:123:api/$default/GE?/hello",
            ARN
        ));
        assert!(!wildcard(
            "arn:aws:execute-api:us-east-1:123:api/dev/*",
            ARN
        ));
    }

    #[test]
    fn allow_deny_and_implicit_deny() {
        assert_eq!(
            allows(
                &doc(
                    "Allow",
                    json!("arn:aws:execute-api:us-east-1:123:api/$default/*/*")
                ),
                ARN
            ),
            Some(true)
        );
        assert_eq!(
            allows(
                &doc(
                    "Allow",
                    json!("arn:aws:execute-api:us-east-1:123:api/other/*")
                ),
                ARN
            ),
            Some(false)
        );
        let both = json!({"Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"},
            {"Action": ["execute-api:Invoke"], "Effect": "Deny", "Resource": [ARN]}
        ]});
        assert_eq!(allows(&both, ARN), Some(false), "explicit deny wins");
        assert_eq!(allows(&json!({"Statement": "x"}), ARN), None);
        assert_eq!(allows(&json!({}), ARN), None);
    }
}
