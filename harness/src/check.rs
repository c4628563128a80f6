//! `harness check`: run the catalog against a target and compare decisions
//! (and reasons, where the target exposes them).

use authorizer::{AuthRequest, Authorizer, Config, Decision, UnixTime};
use bytes::Bytes;
use emulator::lambda::{Environment, FunctionConfig, InvokeResult};
use reports::security::{CaseResult, SecurityReport};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;
use tokens::catalog::{Case, Expected, Profile};
use tokens::signer::Signer;

/// What to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The authorizer library, in process.
    Lib,
    /// The binary over the Lambda Runtime API.
    Lambda(PathBuf),
    /// An API Gateway endpoint (local emulator or deployed): 200 = allow,
    /// 401/403 = deny.
    Url(String),
}

impl FromStr for Target {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        if s == "lib" {
            Ok(Target::Lib)
        } else if let Some(p) = s.strip_prefix("lambda:") {
            Ok(Target::Lambda(PathBuf::from(p)))
        } else if s.starts_with("http://") || s.starts_with("https://") {
            Ok(Target::Url(s.to_owned()))
        } else {
            Err(crate::Error::invalid(format!(
                "unknown target {s:?}: use lib, lambda:PATH or an http(s) URL"
            )))
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Lib => f.write_str("lib"),
            Target::Lambda(p) => write!(f, "lambda:{}", p.display()),
            Target::Url(u) => f.write_str(u),
        }
    }
}

/// What to compare with the catalog's expectations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Compare {
    /// Reasons when the target reports any (`context.reason` in a deny),
    /// decisions only otherwise.
    #[default]
    Auto,
    /// Decisions only.
    Decisions,
    /// Decisions and reasons; an error against a target that reports none.
    Reasons,
}

/// Which catalog cases to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum CatalogProfile {
    /// Every case.
    #[default]
    Full,
    /// Skip the cases whose expectation is this project's choice rather
    /// than an RFC requirement (see `choices.rs`).
    Rfc,
}

impl CatalogProfile {
    /// `full` or `rfc`.
    pub const fn as_str(self) -> &'static str {
        match self {
            CatalogProfile::Full => "full",
            CatalogProfile::Rfc => "rfc",
        }
    }
}

/// How to run and compare.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckOptions {
    /// What to compare.
    pub compare: Compare,
    /// Which cases to run.
    pub profile: CatalogProfile,
    /// Against a URL: at most this many cases per second (None: one at a
    /// time, unpaced).
    pub pace: Option<f64>,
}

/// What re-mints boundary cases just before they are sent.
#[derive(Debug, Clone, Copy)]
pub struct Fresh<'a> {
    /// The genuine signer.
    pub signer: &'a Signer,
    /// The catalog profile.
    pub profile: &'a Profile,
}

impl Fresh<'_> {
    async fn authorization(&self, case: &Case) -> crate::Result<Option<String>> {
        if !case.fresh {
            return Ok(case.authorization.clone());
        }
        // Start on a fresh second, so `exp = now + 1` leaves almost a whole
        // second for signing and delivery rather than whatever was left of
        // the current one.
        let t = UnixTime::now().0;
        tokio::time::sleep(std::time::Duration::from_secs_f64(t.ceil() - t + 0.005)).await;
        let now = t.ceil() as i64;
        match tokens::catalog::refresh(case, self.signer, self.profile, now).await? {
            Some(fresh) => Ok(Some(fresh)),
            None => Ok(case.authorization.clone()),
        }
    }
}

/// Runs `cases` against an in-process authorizer (used by `--target lib`
/// and by tests that check a deliberately broken authorizer).
///
/// # Errors
/// Signing failures while re-minting boundary cases.
pub async fn check_authorizer(
    auth: &Authorizer,
    cases: &[Case],
    fresh: &Fresh<'_>,
) -> crate::Result<SecurityReport> {
    let actuals = run_authorizer(auth, cases, fresh).await?;
    let rows = cases
        .iter()
        .zip(actuals)
        .map(|(c, a)| compare(c, a, true))
        .collect();
    Ok(SecurityReport::new("lib".into(), true, rows))
}

/// What a target answered for one case.
#[derive(Debug, Clone)]
enum Actual {
    Allow,
    Deny(Option<String>),
    Error(String),
    Skipped(String),
}

/// Runs `cases` against `target`. `authorizer_env` configures local targets.
///
/// # Errors
/// [`crate::Error`] when the target cannot be started or reached.
pub async fn run(
    target: &Target,
    cases: &[Case],
    authorizer_env: &[(String, String)],
    fresh: &Fresh<'_>,
    options: CheckOptions,
) -> crate::Result<SecurityReport> {
    let choice = |c: &Case| match options.profile {
        CatalogProfile::Rfc => tokens::choices::project_choice(&c.id),
        CatalogProfile::Full => None,
    };
    let sent: Vec<Case> = cases
        .iter()
        .filter(|c| choice(c).is_none())
        .cloned()
        .collect();
    let actuals = match target {
        Target::Lib => {
            let config = Config::from_lookup(|n| {
                authorizer_env
                    .iter()
                    .find(|(k, _)| k == n)
                    .map(|(_, v)| v.clone())
            })
            .map_err(|e| crate::Error::from(e).context("authorizer configuration"))?;
            run_authorizer(&Authorizer::new(&config), &sent, fresh).await?
        }
        Target::Lambda(path) => run_lambda(path, &sent, authorizer_env, fresh).await?,
        Target::Url(url) => run_url(url, &sent, fresh, options.pace).await?,
    };
    let reports_reasons = actuals.iter().any(|a| matches!(a, Actual::Deny(Some(_))));
    let (reasons, comparison) = match (options.compare, reports_reasons) {
        (Compare::Reasons, false) => {
            return Err(crate::Error::invalid(format!(
                "--compare reasons: {target} reports no reasons (no deny carried context.reason); use --compare decisions"
            )))
        }
        (Compare::Decisions, _) => (false, "decisions compared (--compare decisions)"),
        (_, true) => (true, "decisions and reasons compared"),
        (Compare::Auto, false) => (false, "decisions compared; the target reports no reasons"),
    };
    let mut answered = sent.iter().zip(actuals);
    let rows = cases
        .iter()
        .map(|c| match choice(c) {
            Some(why) => compare(
                c,
                Actual::Skipped(format!("project choice (--profile rfc): {why}")),
                reasons,
            ),
            None => match answered.next() {
                Some((sent_case, actual)) => compare(sent_case, actual, reasons),
                None => compare(c, Actual::Error("no answer".into()), reasons),
            },
        })
        .collect();
    Ok(SecurityReport::new(target.to_string(), reasons, rows)
        .with_comparison(comparison)
        .with_profile(options.profile.as_str()))
}

fn compare(case: &Case, actual: Actual, reasons: bool) -> CaseResult {
    let (expected, expected_reason) = match case.expected {
        Expected::Allow => ("allow", None),
        Expected::Deny(r) => ("deny", Some(r.as_str().to_owned())),
    };
    let (actual_s, actual_reason, note) = match &actual {
        Actual::Allow => ("allow", None, None),
        Actual::Deny(r) => ("deny", r.clone(), None),
        Actual::Error(e) => ("error", None, Some(e.clone())),
        Actual::Skipped(why) => (CaseResult::SKIPPED, None, Some(why.clone())),
    };
    let pass = match (&actual, case.expected) {
        (Actual::Allow, Expected::Allow) => true,
        (Actual::Deny(got), Expected::Deny(want)) => {
            !reasons || got.as_deref() == Some(want.as_str())
        }
        _ => false,
    };
    CaseResult {
        id: case.id.clone(),
        family: case.family.as_str().to_owned(),
        description: case.description.clone(),
        reference: case.reference.clone(),
        expected: expected.to_owned(),
        actual: actual_s.to_owned(),
        expected_reason,
        actual_reason,
        pass,
        note,
    }
}

async fn run_authorizer(
    auth: &Authorizer,
    cases: &[Case],
    fresh: &Fresh<'_>,
) -> crate::Result<Vec<Actual>> {
    let mut out = Vec::with_capacity(cases.len());
    for c in cases {
        let authorization = fresh.authorization(c).await?;
        out.push(
            match auth.decide(
                &AuthRequest {
                    authorization: authorization.as_deref(),
                },
                UnixTime::now(),
            ) {
                Decision::Allow(_) => Actual::Allow,
                Decision::Deny(r) => Actual::Deny(Some(r.as_str().to_owned())),
            },
        );
    }
    Ok(out)
}

/// A payload 2.0 REQUEST event carrying `authorization` as API Gateway would.
pub fn v2_event(authorization: Option<&str>, now_ms: i64) -> Value {
    let mut headers = json!({"host": "harness.local", "user-agent": "harness"});
    if let Some(a) = authorization {
        headers["authorization"] = a.into();
    }
    json!({
        "version": "2.0", "type": "REQUEST",
        "routeArn": "arn:aws:execute-api:us-east-1:123456789012:harness/$default/GET/check",
        "identitySource": authorization.map(|a| vec![a]),
        "routeKey": "GET /check", "rawPath": "/check", "rawQueryString": "", "headers": headers,
        "requestContext": {
            "accountId": "123456789012", "apiId": "harness", "domainName": "harness.local",
            "http": {"method": "GET", "path": "/check", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "harness"},
            "requestId": "check", "routeKey": "GET /check", "stage": "$default", "timeEpoch": now_ms
        }
    })
}

async fn run_lambda(
    path: &PathBuf,
    cases: &[Case],
    env: &[(String, String)],
    fresh: &Fresh<'_>,
) -> crate::Result<Vec<Actual>> {
    let mut f = FunctionConfig::new(path);
    f.env = env.to_vec();
    let start = |f: FunctionConfig| async move { Environment::start(&f).await };
    let mut envr = start(f.clone())
        .await
        .map_err(|e| crate::Error::from(e).context(path.display()))?;
    let mut out = Vec::with_capacity(cases.len());
    for c in cases {
        let now_ms = i64::try_from(UnixTime::now().0 as u64 * 1000).unwrap_or(0);
        let authorization = fresh.authorization(c).await?;
        let payload = Bytes::from(v2_event(authorization.as_deref(), now_ms).to_string());
        let actual = match envr.invoke(payload).await {
            Ok(inv) => match inv.result {
                InvokeResult::Response(body) => match serde_json::from_slice::<Value>(&body) {
                    Ok(v) => read_response(&v),
                    Err(_) => Actual::Error("malformed authorizer response".into()),
                },
                // The REST convention a foreign authorizer may keep.
                InvokeResult::FunctionError { message, .. } if message == "Unauthorized" => {
                    Actual::Deny(None)
                }
                InvokeResult::FunctionError {
                    error_type,
                    message,
                } => Actual::Error(format!("function error {error_type}: {message}")),
            },
            Err(e) => {
                // A crashed or timed-out environment is replaced, as Lambda does.
                envr.stop().await;
                envr = start(f.clone()).await?;
                Actual::Error(e.to_string())
            }
        };
        out.push(actual);
    }
    envr.stop().await;
    Ok(out)
}

/// A payload 2.0 authorizer's answer: a simple response (`isAuthorized`,
/// with an optional `context.reason`), or an IAM policy (allow when some
/// statement allows and none denies), as API Gateway reads them.
fn read_response(v: &Value) -> Actual {
    let reason = || v["context"]["reason"].as_str().map(str::to_owned);
    match (
        &v["isAuthorized"],
        v["policyDocument"]["Statement"].as_array(),
    ) {
        (Value::Bool(true), _) => Actual::Allow,
        (Value::Bool(false), _) => Actual::Deny(reason()),
        (Value::Null, Some(statements)) => {
            let effect = |e: &str| statements.iter().any(|s| s["Effect"] == e);
            if effect("Allow") && !effect("Deny") {
                Actual::Allow
            } else {
                Actual::Deny(reason())
            }
        }
        _ => Actual::Error(
            "malformed authorizer response (neither isAuthorized nor a policy)".into(),
        ),
    }
}

/// Retries of one case answered 429 (throttled, never a decision), with
/// back-off from 100 ms doubling: about 6 s in all.
const THROTTLE_RETRIES: u32 = 6;

/// Retries of one case that got no decision (a 5xx, a transport error),
/// with the same back-off: three attempts in all.
const ERROR_RETRIES: u32 = 2;

async fn run_url(
    url: &str,
    cases: &[Case],
    fresh: &Fresh<'_>,
    pace: Option<f64>,
) -> crate::Result<Vec<Actual>> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    sanity(&client, url, cases, fresh).await?;
    let interval = pace
        .filter(|r| *r > 0.0)
        .map(|r| Duration::from_secs_f64(1.0 / r));
    let mut next = tokio::time::Instant::now();
    let mut out = Vec::with_capacity(cases.len());
    for c in cases {
        if let Some(every) = interval {
            tokio::time::sleep_until(next).await;
            next = tokio::time::Instant::now().max(next) + every;
        }
        if !c.http_safe() {
            out.push(Actual::Skipped(
                "the header value cannot travel over HTTP unchanged".into(),
            ));
            continue;
        }
        out.push(send_case(&client, url, c, fresh).await?);
    }
    Ok(out)
}

/// One case over HTTP: 2xx allow, 401/403 deny; a 429 is retried with
/// back-off and, if it persists, the case is skipped — throttling is never
/// a wrong decision; a 5xx or a transport error is retried twice and, if it
/// persists, the case has no decision (an error, never a mismatch).
async fn send_case(
    client: &reqwest::Client,
    url: &str,
    c: &Case,
    fresh: &Fresh<'_>,
) -> crate::Result<Actual> {
    let mut delay = Duration::from_millis(100);
    let mut attempt = 0;
    loop {
        let mut req = client.get(url);
        if let Some(a) = &fresh.authorization(c).await? {
            req = req.header("authorization", a);
        }
        let status = match req.send().await {
            Ok(resp) => Ok(resp.status().as_u16()),
            Err(e) => Err(error_chain(&e)),
        };
        // No decision (a 5xx, a transport error): tried again, then an
        // error with its reason — never a mismatch.
        let failure = match &status {
            Err(e) => Some(e.clone()),
            Ok(s) if *s >= 500 => Some(format!("HTTP {s}")),
            Ok(_) => None,
        };
        if let Some(why) = failure {
            if attempt < ERROR_RETRIES {
                tokio::time::sleep(delay).await;
                delay *= 2;
                attempt += 1;
                continue;
            }
            return Ok(Actual::Error(format!("{why} on {} attempts", attempt + 1)));
        }
        match status.unwrap_or_default() {
            429 if attempt < THROTTLE_RETRIES => {
                tokio::time::sleep(delay).await;
                delay *= 2;
                attempt += 1;
            }
            200..=299 => return Ok(Actual::Allow),
            401 | 403 => return Ok(Actual::Deny(None)),
            429 => {
                return Ok(Actual::Skipped(format!(
                    "throttled: HTTP 429 on {} attempts (not a decision)",
                    THROTTLE_RETRIES + 1
                )))
            }
            s => return Ok(Actual::Error(format!("HTTP {s}"))),
        }
    }
}

/// Before the catalog: one request without a token and one with a genuine
/// token, so a wrong URL or a mismatched deployment is named in plain words
/// instead of surfacing as "N cases did not match".
async fn sanity(
    client: &reqwest::Client,
    url: &str,
    cases: &[Case],
    fresh: &Fresh<'_>,
) -> crate::Result<()> {
    let status = |r: Result<reqwest::Response, reqwest::Error>| match r {
        Ok(resp) => Ok(resp.status().as_u16()),
        Err(e) => Err(crate::Error::unavailable(format!(
            "{url}: {}",
            error_chain(&e)
        ))),
    };
    match status(client.get(url).send().await)? {
        200..=299 => {
            return Err(crate::Error::unavailable(format!(
                "{url} answers without a token: the route is not protected by the authorizer"
            )))
        }
        404 => {
            return Err(crate::Error::unavailable(format!(
                "{url} answers 404: no such route (give the protected route's URL, e.g. the example's api_endpoint output)"
            )))
        }
        _ => {}
    }
    let Some(genuine) = cases.iter().find(|c| c.id == "valid-bearer") else {
        return Ok(());
    };
    let Some(auth) = fresh.authorization(genuine).await? else {
        return Ok(());
    };
    for _ in 0..=THROTTLE_RETRIES {
        match status(client.get(url).header("authorization", &auth).send().await)? {
            401 | 403 => {
                return Err(crate::Error::unavailable(format!(
                    "{url} denies a genuine token: the deployment's issuer, audience, key or kid differ from \
                     --iss, --aud, --kms-key-id / --key and --kid"
                )))
            }
            429 => tokio::time::sleep(Duration::from_millis(500)).await,
            _ => return Ok(()),
        }
    }
    Ok(())
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// The console table: every failure, then totals by family.
pub fn render(report: &SecurityReport) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "{:<36} {:<10} {:<24} {:<24} result\n",
        "case", "family", "expected", "actual"
    ));
    for c in &report.cases {
        let exp = format!(
            "{}{}",
            c.expected,
            c.expected_reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        );
        let act = format!(
            "{}{}",
            c.actual,
            c.actual_reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        );
        let mark = match c.outcome() {
            reports::security::CaseOutcome::Skipped => "SKIP",
            reports::security::CaseOutcome::Passed => "ok",
            reports::security::CaseOutcome::Failed => "MISMATCH",
            reports::security::CaseOutcome::NoDecision => "NO DECISION",
        };
        s.push_str(&format!(
            "{:<36} {:<10} {:<24} {:<24} {mark}\n",
            c.id, c.family, exp, act
        ));
    }
    s.push('\n');
    for (family, t) in &report.by_family {
        s.push_str(&format!("{family:<10} {}\n", t.summary()));
    }
    s.push_str(&format!(
        "target {}: {} ({}; profile {})\n",
        report.target,
        report.totals.summary(),
        report.comparison,
        report.profile
    ));
    s
}
