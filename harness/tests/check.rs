//! The catalog and the check: both local targets pass every case, and a
//! deliberately broken authorizer is caught with the right case named.

use authorizer::{Authorizer, Config, DangerousFault};
use harness::check::{self, Fresh, Target};
use std::collections::HashSet;
use tokens::catalog::{self, Expected, Family, Profile};
use tokens::jws::LocalSigner;
use tokens::signer::Signer;

fn now() -> i64 {
    authorizer::UnixTime::now().0 as i64
}

async fn setup() -> (Signer, Profile, Vec<catalog::Case>) {
    let signer = Signer::Local(tokens::keypair::LocalKey::P521(LocalSigner::generate()));
    let profile = Profile::local(now());
    let cases = catalog::build(&signer, &profile).await.expect("catalog");
    (signer, profile, cases)
}

#[tokio::test]
async fn catalog_is_large_unique_and_covers_every_family() {
    let (_, _, cases) = setup().await;
    assert!(cases.len() >= 80, "{} cases", cases.len());
    let ids: HashSet<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids.len(), cases.len(), "ids are unique");
    for f in [
        Family::Valid,
        Family::Expired,
        Family::Forged,
        Family::Malformed,
    ] {
        assert!(cases.iter().filter(|c| c.family == f).count() >= 5, "{f:?}");
    }
    assert!(cases
        .iter()
        .all(|c| (c.family == Family::Valid) == (c.expected == Expected::Allow)));
    for must in [
        "sig-psychic-zero",
        "valid-high-s-twin",
        "alg-none-unsigned",
        "alg-hs256-pubkey-pem",
        "hdr-jwk-embedded",
        "crit-unknown",
        "segs-many-dots",
        "exp-equals-now",
        "transport-missing",
    ] {
        assert!(ids.contains(must), "missing {must}");
    }
    let line = cases[0].to_json();
    for k in [
        "id",
        "family",
        "description",
        "reference",
        "authorization",
        "expected",
        "expected_reason",
    ] {
        assert!(line.get(k).is_some(), "{k}");
    }
}

#[tokio::test]
async fn lib_and_lambda_targets_pass_the_whole_catalog() {
    let (signer, profile, cases) = setup().await;
    let env = profile.authorizer_env(&signer.public_pem());
    let fresh = Fresh {
        signer: &signer,
        profile: &profile,
    };
    let lib = check::run(
        &Target::Lib,
        &cases,
        &env,
        &fresh,
        check::CheckOptions::default(),
    )
    .await
    .expect("lib");
    let failures: Vec<_> = lib
        .cases
        .iter()
        .filter(|c| !c.pass)
        .map(|c| &c.id)
        .collect();
    assert!(failures.is_empty(), "lib mismatches: {failures:?}");
    assert_eq!(lib.totals.passed, cases.len());

    let bin = harness::binary::authorizer_binary(false).expect("authorizer binary");
    let lambda = check::run(
        &Target::Lambda(bin),
        &cases,
        &env,
        &fresh,
        check::CheckOptions::default(),
    )
    .await
    .expect("lambda");
    let failures: Vec<_> = lambda
        .cases
        .iter()
        .filter(|c| !c.pass)
        .map(|c| (&c.id, &c.actual, &c.actual_reason))
        .collect();
    assert!(failures.is_empty(), "lambda mismatches: {failures:?}");
}

#[tokio::test]
async fn a_broken_authorizer_is_caught_with_the_case_named() {
    let (signer, profile, cases) = setup().await;
    let env = profile.authorizer_env(&signer.public_pem());
    let config = Config::from_lookup(|n| env.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()))
        .expect("config");
    let fresh = Fresh {
        signer: &signer,
        profile: &profile,
    };
    for (fault, case) in [
        (DangerousFault::AcceptCrit, "crit-unknown"),
        (DangerousFault::AlgCaseInsensitive, "alg-lowercase"),
    ] {
        let broken = Authorizer::dangerous_with_fault(&config, fault);
        let report = check::check_authorizer(&broken, &cases, &fresh)
            .await
            .expect("ran");
        let failed: Vec<&str> = report
            .cases
            .iter()
            .filter(|c| !c.pass)
            .map(|c| c.id.as_str())
            .collect();
        assert!(
            failed.contains(&case),
            "{fault:?} not caught by {case}: {failed:?}"
        );
        let row = report.cases.iter().find(|c| c.id == case).expect("row");
        assert_eq!(
            (row.expected.as_str(), row.actual.as_str()),
            ("deny", "allow")
        );
        assert!(reports::junit::security(&report).contains(&format!("name=\"{case}\"><failure")));
    }
    // The same catalog passes the intact authorizer (the faults are the cause).
    let report = check::check_authorizer(&Authorizer::new(&config), &cases, &fresh)
        .await
        .expect("ran");
    assert_eq!(report.totals.failed, 0);
}

#[tokio::test]
async fn url_target_that_cannot_be_reached_is_an_error_not_a_pass() {
    let (signer, profile, cases) = setup().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let fresh = Fresh {
        signer: &signer,
        profile: &profile,
    };
    let r = check::run(
        &Target::Url(format!("http://127.0.0.1:{port}/hello")),
        &cases,
        &[],
        &fresh,
        check::CheckOptions::default(),
    )
    .await;
    assert!(r.is_err(), "a dead endpoint must not produce a report");
}

#[tokio::test]
async fn every_project_choice_names_a_catalog_case() {
    let (_, _, cases) = setup().await;
    let ids: HashSet<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    for (id, why) in tokens::choices::PROJECT_CHOICES {
        assert!(ids.contains(id), "{id} is not a catalog case");
        assert!(why.len() > 20, "{id}: say why it is a choice");
    }
    let valid_choices = cases
        .iter()
        .filter(|c| c.family == Family::Valid)
        .filter(|c| tokens::choices::project_choice(&c.id).is_some())
        .count();
    assert_eq!(
        valid_choices, 1,
        "only the bare token is a choice among allows"
    );
}

#[test]
fn the_readme_documents_every_project_choice() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/guide.md"))
        .expect("docs/guide.md");
    for (id, _) in tokens::choices::PROJECT_CHOICES {
        assert!(
            readme.contains(&format!("| `{id}` |")),
            "docs/guide.md lacks {id}"
        );
    }
}

/// Each spec's catalog passes against an authorizer holding its key, and
/// fails — on the valid cases first — against one pinned to another
/// algorithm or holding another key of the same spec.
#[tokio::test]
async fn every_spec_catalog_passes_and_can_fail() {
    use tokens::keypair::{LocalKey, Spec};
    for spec in Spec::all().into_iter().skip(1) {
        let signer = Signer::generate(spec).expect("key");
        let profile = Profile::local(now());
        let cases = catalog::build(&signer, &profile).await.expect("catalog");
        let ids: HashSet<&str> = cases.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids.len(), cases.len(), "{}: ids are unique", spec.label());
        let prefix = format!("{}/", spec.alg.name().to_lowercase());
        assert!(cases.iter().all(|c| c.id.starts_with(&prefix)));
        let run = |env: Vec<(String, String)>| {
            let (cases, signer, profile) = (&cases, &signer, &profile);
            async move {
                let fresh = Fresh { signer, profile };
                check::run(
                    &Target::Lib,
                    cases,
                    &env,
                    &fresh,
                    check::CheckOptions::default(),
                )
                .await
                .expect("run")
            }
        };
        let mut env = profile.authorizer_env(&signer.public_pem());
        env.extend(signer.pem_alg_env());
        let good = run(env).await;
        assert_eq!(
            good.totals.failed,
            0,
            "{}: {}",
            spec.label(),
            check::render(&good)
        );
        // The wrong pin (RSA: the other padding) or another key (EC).
        let other = if spec.alg.is_rsa() {
            let mut env = profile.authorizer_env(&signer.public_pem());
            let wrong = authorizer::Algorithm::ALL
                .into_iter()
                .find(|a| a.is_rsa() && *a != spec.alg)
                .expect("another RSA algorithm");
            env.push(("JWT_PUBLIC_KEY_ALG".into(), wrong.name().into()));
            env
        } else {
            let stranger = Signer::Local(LocalKey::generate(spec).expect("key"));
            profile.authorizer_env(&stranger.public_pem())
        };
        let bad = run(other).await;
        let failed: Vec<&str> = bad
            .cases
            .iter()
            .filter(|c| !c.pass)
            .map(|c| c.id.as_str())
            .collect();
        assert!(
            failed.contains(&format!("{prefix}valid-bearer").as_str()) && failed.len() >= 5,
            "{}: {failed:?}",
            spec.label()
        );
    }
}

/// A case that gets no decision (the function crashes: HTTP 500 on every
/// attempt) is an error with its reason, retried first — never a mismatch.
#[tokio::test]
async fn a_500_is_no_decision_not_a_mismatch() {
    use emulator::config::GatewayConfig;
    use emulator::gateway::Gateway;
    let (signer, profile, cases) = setup().await;
    let gw = Gateway::start(GatewayConfig {
        authorizer: std::path::PathBuf::from(env!("CARGO_BIN_EXE_fixture-authorizer")),
        env: vec![("FIXTURE_MODE".into(), "crash".into())],
        authorizer_timeout_ms: 700,
        ..GatewayConfig::default()
    })
    .await
    .expect("start");
    let some: Vec<catalog::Case> = cases
        .iter()
        .filter(|c| c.http_safe() && !c.fresh)
        .take(4)
        .cloned()
        .collect();
    let fresh = Fresh {
        signer: &signer,
        profile: &profile,
    };
    let report = check::run(
        &Target::Url(format!("{}/hello", gw.base_url())),
        &some,
        &[],
        &fresh,
        check::CheckOptions::default(),
    )
    .await;
    gw.stop().await;
    let report = report.expect("a report");
    assert_eq!(report.totals.failed, 0, "no mismatch: {:?}", report.totals);
    assert_eq!(report.totals.errors, some.len());
    assert!(!report.totals.holds());
    for c in &report.cases {
        assert_eq!(c.actual, "error");
        assert_eq!(c.note.as_deref(), Some("HTTP 500 on 3 attempts"), "{c:?}");
    }
}
