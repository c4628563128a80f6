//! The `harness` binary: exit codes, one-line causes, JSON and JUnit output.

use std::process::Command;

fn harness() -> Command {
    Command::new(env!("CARGO_BIN_EXE_harness"))
}

#[test]
fn check_lib_passes_and_writes_json_and_junit() {
    let dir = std::env::temp_dir().join(format!("harness-cli-{}", std::process::id()));
    let (json, junit) = (dir.join("out/check.json"), dir.join("out/check.xml"));
    let out = harness()
        .args(["check", "--target", "lib", "--json"])
        .arg(&json)
        .arg("--junit")
        .arg(&junit)
        .output()
        .expect("run harness");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("0 failed"), "{stdout}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("json")).expect("valid json");
    assert!(report["cases"].as_array().expect("cases").len() >= 80);
    assert!(std::fs::read_to_string(&junit)
        .expect("junit")
        .starts_with("<?xml"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn unreachable_target_exits_2_with_one_line() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let out = harness()
        .args(["check", "--target", &format!("http://127.0.0.1:{port}/")])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.starts_with("harness: "), "{err}");
}

#[test]
fn bad_target_and_bad_key_are_one_line_errors() {
    let out = harness()
        .args(["check", "--target", "ftp://x"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let out = harness()
        .args(["mint", "--key", "/nonexistent/key.pem"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim().lines().count(),
        1
    );
}

#[test]
fn keys_new_then_mint_with_that_key() {
    let dir = std::env::temp_dir().join(format!("harness-keys-{}", std::process::id()));
    let out = harness()
        .args(["keys", "new", "--out"])
        .arg(&dir)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = harness()
        .args([
            "mint",
            "--exp",
            "+60",
            "--claim",
            "tenant=t1",
            "--claim",
            "n=5",
            "--key",
        ])
        .arg(dir.join("private.pem"))
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).expect("utf8");
    let token = token.trim();
    // Verify with the public key the command wrote, through the library.
    let pem = std::fs::read_to_string(dir.join("public.pem")).expect("public.pem");
    let config = authorizer::Config::from_lookup(|n| match n {
        "JWT_PUBLIC_KEY_PEM" => Some(pem.clone()),
        "JWT_ISSUER" => Some("https://issuer.harness.test".into()),
        "JWT_AUDIENCE" => Some("harness-api".into()),
        _ => None,
    })
    .expect("config");
    let auth = authorizer::Authorizer::new(&config);
    let d = auth.decide(
        &authorizer::AuthRequest {
            authorization: Some(token),
        },
        authorizer::UnixTime::now(),
    );
    let authorizer::Decision::Allow(grant) = d else {
        panic!("minted token denied: {d:?}")
    };
    assert_eq!(
        grant.context.get("sub").and_then(|v| v.as_str()),
        Some("harness-user")
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn cases_prints_json_lines_and_every_subcommand_has_help() {
    let out = harness().arg("cases").output().expect("run");
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert!(lines.len() >= 80);
    for sub in [
        &["--help"][..],
        &["keys", "new", "--help"],
        &["mint", "--help"],
        &["cases", "--help"],
        &["check", "--help"],
        &["demo", "--help"],
    ] {
        let out = harness().args(sub).output().expect("run");
        assert!(out.status.success() && !out.stdout.is_empty(), "{sub:?}");
    }
}
