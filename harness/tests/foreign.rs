//! `harness check` against an authorizer this project did not write: an
//! independent Python one (`fixtures/foreign_authorizer.py`, `cryptography`
//! for ECDSA) over the Lambda Runtime API, configured through
//! `--authorizer-env-file` with its own variable names, answering decisions
//! only. With `--profile rfc` it passes; breaking one rule in it fails the
//! check on the case that tests that rule.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A Python with `cryptography`: `$HARNESS_PYTHON` (`.ci/run` points it at
/// the moto virtual environment), else `python3`.
fn python() -> String {
    let py = std::env::var("HARNESS_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&py)
        .args(["-c", "import cryptography"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "{py} has no `cryptography`: set HARNESS_PYTHON to a Python that has it (bash .ci/run does)"
    );
    py
}

struct Setup {
    dir: PathBuf,
    wrapper: PathBuf,
    env_file: PathBuf,
}

impl Drop for Setup {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// The README's example for a foreign authorizer (the `sh` block after
/// "An authorizer this project did not write").
fn readme_example() -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/guide.md"))
            .expect("docs/guide.md");
    let after = readme
        .split("**An authorizer this project did not write**")
        .nth(1)
        .expect("the README section");
    let block = after.split("```sh\n").nth(1).expect("a sh block");
    block.split("```").next().expect("block end").to_owned()
}

/// A temp dir holding `their-authorizer` (the Python fixture) and the keys
/// and `foreign.env` made by the README's own commands; `fault` is appended
/// to the env file.
fn setup(name: &str, fault: Option<&str>) -> Setup {
    let dir = std::env::temp_dir().join(format!("harness-foreign-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/foreign_authorizer.py");
    let wrapper = dir.join("their-authorizer");
    std::fs::write(
        &wrapper,
        format!("#!/bin/sh\nexec '{}' '{}'\n", python(), fixture.display()),
    )
    .expect("wrapper");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    // The README's lines up to the check: keys and the env file.
    let example = readme_example();
    let prepare: String = example
        .split("harness check")
        .next()
        .expect("commands before the check")
        .to_owned();
    let out = sh(&dir, &prepare);
    assert!(
        out.status.success(),
        "{prepare}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let env_file = dir.join("foreign.env");
    if let Some(f) = fault {
        let mut env = std::fs::read_to_string(&env_file).expect("foreign.env");
        env.push_str(&format!("FAULT={f}\n"));
        std::fs::write(&env_file, env).expect("env file");
    }
    Setup {
        dir,
        wrapper,
        env_file,
    }
}

/// Runs `script` with `sh` in `dir`, with this build's `harness` on PATH.
fn sh(dir: &Path, script: &str) -> Output {
    let bin = Path::new(env!("CARGO_BIN_EXE_harness"))
        .parent()
        .expect("bin dir")
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("sh")
        .arg("-ec")
        .arg(script)
        .current_dir(dir)
        .env("PATH", path)
        .output()
        .expect("sh")
}

#[test]
fn the_readme_example_passes_against_a_conforming_foreign_authorizer() {
    let s = setup("readme", None);
    let out = sh(&s.dir, &readme_example());
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let junit = std::fs::read_to_string(s.dir.join("check.xml")).expect("check.xml");
    assert!(junit.contains("failures=\"0\""), "{junit}");
    assert!(
        junit.contains("decisions compared; the target reports no reasons; profile rfc"),
        "{junit}"
    );
}

fn harness() -> Command {
    Command::new(env!("CARGO_BIN_EXE_harness"))
}

fn check(s: &Setup, extra: &[&str]) -> (Output, serde_json::Value) {
    let json = s.dir.join("check.json");
    std::fs::remove_file(&json).ok();
    let out = harness()
        .arg("check")
        .arg("--target")
        .arg(format!("lambda:{}", s.wrapper.display()))
        .arg("--key")
        .arg(s.dir.join("keys/private.pem"))
        .arg("--authorizer-env-file")
        .arg(&s.env_file)
        .arg("--json")
        .arg(&json)
        .args(extra)
        .output()
        .expect("harness check");
    let report = std::fs::read(&json)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(serde_json::Value::Null);
    (out, report)
}

fn failed_ids(report: &serde_json::Value) -> Vec<String> {
    report["cases"]
        .as_array()
        .map(|cases| {
            cases
                .iter()
                .filter(|c| c["pass"] == false && c["actual"] != "skipped")
                .filter_map(|c| c["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_conforming_foreign_authorizer_passes_the_rfc_profile_on_decisions() {
    let s = setup("ok", None);
    let (out, report) = check(&s, &["--profile", "rfc"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}\nfailed: {:?}",
        String::from_utf8_lossy(&out.stderr),
        failed_ids(&report)
    );
    assert!(
        stdout.contains("decisions compared; the target reports no reasons"),
        "{stdout}"
    );
    assert_eq!(report["reasons_compared"], false);
    assert_eq!(report["profile"], "rfc");
    let skipped = report["totals"]["skipped"].as_u64().unwrap_or(0);
    let passed = report["totals"]["passed"].as_u64().unwrap_or(0);
    assert_eq!(skipped as usize, tokens::choices::PROJECT_CHOICES.len());
    assert!(passed >= 120, "{passed} passed");
    // The full catalog holds it to this project's choices, and it differs.
    let (out, report) = check(&s, &[]);
    assert_eq!(out.status.code(), Some(1));
    let failed = failed_ids(&report);
    assert!(
        failed
            .iter()
            .all(|id| tokens::choices::project_choice(id).is_some()),
        "only project choices differ: {failed:?}"
    );
    // Reasons cannot be compared with a target that reports none.
    let (out, _) = check(&s, &["--compare", "reasons"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("reports no reasons"));
}

#[test]
fn breaking_one_rule_in_it_fails_the_check_on_that_rule() {
    for (fault, case) in [
        ("alg_case_insensitive", "alg-lowercase"),
        ("skip_exp", "exp-past"),
    ] {
        let s = setup(fault, Some(fault));
        let (out, report) = check(&s, &["--profile", "rfc"]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{fault}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let failed = failed_ids(&report);
        assert!(failed.iter().any(|id| id == case), "{fault}: {failed:?}");
    }
}
