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
    use std::os::unix::fs::PermissionsExt;
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
    // The private key is its owner's alone; the public one is not secret.
    let mode = |name: &str| {
        std::fs::metadata(dir.join(name))
            .expect("written")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("private.pem"), 0o600);
    assert_ne!(mode("public.pem") & 0o044, 0, "public.pem stays readable");
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
        grant.context_map().get("sub").and_then(|v| v.as_str()),
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

#[test]
fn report_renders_and_fails_on_regression_when_asked() {
    use reports::model::*;
    use std::collections::BTreeMap;
    let scenario = |p50: f64| Scenario {
        inputs: BTreeMap::new(),
        figures: BTreeMap::from([(
            "p50_ms".to_owned(),
            Figure {
                value: p50,
                unit: "ms".into(),
                better: Better::Lower,
            },
        )]),
        decides: "p50_ms".into(),
        band: Band {
            min: 0.0,
            max: 10.0,
        },
        pass: true,
        also: Vec::new(),
        series: vec![],
    };
    let summary = |p50: f64| Summary {
        schema_version: SCHEMA_VERSION,
        run: RunInfo {
            id: "r".into(),
            started: "2026-11-28T00:00:00Z".into(),
            duration_s: 1.0,
            git_revision: None,
            machine: Machine {
                cpus: 2,
                load_before: [0.0; 3],
                load_after: [0.0; 3],
                os: "Linux".into(),
            },
        },
        target: TargetInfo {
            kind: TargetKind::LocalDeployment,
            endpoint: "x".into(),
            settings: BTreeMap::new(),
        },
        security: None,
        scenarios: BTreeMap::from([("caching".to_owned(), scenario(p50))]),
        bench: BTreeMap::new(),
        load: None,
        verdicts: vec![],
    };
    let dir = std::env::temp_dir().join(format!("harness-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let (now, base) = (dir.join("summary.json"), dir.join("base.json"));
    std::fs::write(&now, serde_json::to_string(&summary(2.0)).expect("json")).expect("write");
    std::fs::write(&base, serde_json::to_string(&summary(1.0)).expect("json")).expect("write");
    let out = harness().arg("report").arg(&now).output().expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("report.html").is_file() && dir.join("report.md").is_file());
    let out = harness()
        .arg("report")
        .arg(&now)
        .arg("--baseline")
        .arg(&base)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "regressions are reported, not fatal, unless asked"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("regression: caching p50_ms"));
    let out = harness()
        .arg("report")
        .arg(&now)
        .arg("--baseline")
        .arg(&base)
        .arg("--fail-on-regression")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let out = harness()
        .arg("report")
        .arg(dir.join("missing.json"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).ok();
}

fn one_line_error(args: &[&str]) -> String {
    let out = harness().args(args).output().expect("run");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
    assert!(err.starts_with("harness: "), "{err}");
    err
}

#[test]
fn bad_values_are_one_line_errors_naming_the_flag() {
    for (args, flag) in [
        (&["gateway", "--rate=-1", "--burst", "5"][..], "--rate"),
        (&["gateway", "--burst", "NaN"][..], "--burst"),
        (&["gateway", "--idle-timeout", "0"][..], "--idle-timeout"),
        (&["gateway", "--cache-ttl", "3601"][..], "--cache-ttl"),
        (
            &["gateway", "--unauthorized-status", "42"][..],
            "--unauthorized-status",
        ),
        (&["gateway", "--timeout-ms", "0"][..], "--timeout-ms"),
        (
            &["gateway", "--route-throttle", "GET /hello=-1:5"][..],
            "--route-throttle",
        ),
        (&["report", "x.json", "--threshold=-0.1"][..], "--threshold"),
        (
            &[
                "suite",
                "--target",
                "http://127.0.0.1:1/",
                "--rate=-5",
                "--burst",
                "1",
            ][..],
            "--rate",
        ),
        (&["check", "--no-such-flag"][..], "--no-such-flag"),
        // Negative values name their flag (not "unexpected argument '-5'");
        // a stage rate of 0 has nothing for the suite to measure.
        (
            &[
                "suite",
                "--target",
                "http://127.0.0.1:1/",
                "--rate",
                "-5",
                "--burst",
                "1",
            ][..],
            "--rate",
        ),
        (
            &[
                "suite",
                "--target",
                "http://127.0.0.1:1/",
                "--rate",
                "0",
                "--burst",
                "1",
            ][..],
            "--rate",
        ),
        (&["gateway", "--rate", "-1", "--burst", "1"][..], "--rate"),
        (&["gateway", "--payload", "3.0"][..], "--payload"),
        // The control plane's endpoint needs an API to read there.
        (
            &["gateway", "--endpoint-url", "http://127.0.0.1:1"][..],
            "--rest-api-id",
        ),
        // A REST API's definition comes from the control plane.
        (
            &["gateway", "--rest-api-id", "a1", "--route", "GET /x"][..],
            "--route",
        ),
        (
            &["gateway", "--rest-api-id", "a1", "--api-id", "b2"][..],
            "--api-id",
        ),
        // Another key spec is for the local stack: a deployment trusts its own.
        (
            &[
                "suite",
                "--spec",
                "ML-DSA-65",
                "--target",
                "http://127.0.0.1:1/",
            ][..],
            "--spec",
        ),
        (
            &["load", "--spec", "Ed25519", "--kms-key-id", "alias/x"][..],
            "--spec",
        ),
        (&["suite", "--spec", "RSA_2048"][..], "--spec"),
        (&["load", "--spec", "all"][..], "--spec"),
        (&["suite", "--spec", "HS256"][..], "--spec"),
        // An S3 address needs a bucket and a key (a prefix).
        (&["load", "merge", "s3://bucket-only"][..], "S3_URL"),
        (
            &[
                "load",
                "--manifest",
                "s3:///manifest.json",
                "--shard",
                "0/2",
                "--start-at",
                "1",
            ][..],
            "--manifest",
        ),
        (
            &[
                "load",
                "plan",
                "--target",
                "http://127.0.0.1:1/",
                "--kms-key-id",
                "alias/x",
                "--shards",
                "2",
                "--rate",
                "5",
                "--out",
                "s3://bucket-only",
            ][..],
            "--out",
        ),
    ] {
        let err = one_line_error(args);
        assert!(err.contains(flag), "{args:?}: {err}");
    }
}

#[test]
fn gateway_refuses_a_configuration_the_authorizer_refuses_at_start_up() {
    let err = one_line_error(&[
        "gateway",
        "--listen",
        "127.0.0.1:0",
        "--env",
        "JWT_AUDIENCE=api",
        "--env",
        "JWT_PUBLIC_KEY_PEM=x",
    ]);
    assert!(err.contains("does not start"), "{err}");
}

#[test]
fn gateway_accepts_zero_rate_and_burst_and_throttles_everything() {
    use std::io::{BufRead, BufReader, Read, Write};
    let dir = std::env::temp_dir().join(format!("harness-gw-zero-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let out = harness()
        .args(["keys", "new", "--out"])
        .arg(&dir)
        .output()
        .expect("keys");
    assert!(out.status.success());
    let pem = std::fs::read_to_string(dir.join("public.pem")).expect("pem");
    let mut child = harness()
        .args([
            "gateway",
            "--listen",
            "127.0.0.1:0",
            "--rate",
            "0",
            "--burst",
            "0",
            "--quiet",
        ])
        .args(["--env", "JWT_ISSUER=i", "--env", "JWT_AUDIENCE=a", "--env"])
        .arg(format!("JWT_PUBLIC_KEY_PEM={}", pem.replace('\n', "\\n")))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut banner = String::new();
    let mut err = BufReader::new(child.stderr.take().expect("stderr"));
    err.read_line(&mut banner).expect("banner");
    let addr = banner
        .split("http://")
        .nth(1)
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    let status = (|| -> std::io::Result<String> {
        let mut s = std::net::TcpStream::connect(&addr)?;
        write!(
            s,
            "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )?;
        let mut resp = String::new();
        s.read_to_string(&mut resp)?;
        Ok(resp.lines().next().unwrap_or_default().to_owned())
    })();
    let alive = child.try_wait().expect("try_wait").is_none();
    child.kill().ok();
    child.wait().ok();
    std::fs::remove_dir_all(&dir).ok();
    assert!(alive, "the gateway exited: {banner}");
    assert!(
        status.as_deref().unwrap_or_default().contains("429"),
        "{banner} {status:?}"
    );
}

#[test]
fn kms_errors_are_one_readable_line() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let out = harness()
        .args(["mint", "--kms-key-id", "alias/nope", "--endpoint-url"])
        .arg(format!("http://127.0.0.1:{port}"))
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("KMS GetPublicKey"), "{err}");
    assert!(
        err.contains("[region us-east-1; check the network and AWS_ENDPOINT_URL]"),
        "{err}"
    );
    assert!(
        !err.contains("DispatchFailure") && !err.contains("{ "),
        "a Rust debug dump: {err}"
    );
}

#[test]
fn keys_new_and_mint_with_every_kind_of_spec() {
    let dir = std::env::temp_dir().join(format!("harness-specs-{}", std::process::id()));
    for (spec, alg) in [
        ("ES256", "ES256"),
        ("ECC_SECG_P256K1", "ES256K"),
        ("RSA_3072:PS384", "PS384"),
        ("RS256", "RS256"),
        ("Ed25519", "Ed25519"),
        ("ECC_NIST_EDWARDS25519", "Ed25519"),
        ("ML-DSA-44", "ML-DSA-44"),
        ("ML_DSA_87", "ML-DSA-87"),
    ] {
        let keys = dir.join(spec);
        let out = harness()
            .args(["keys", "new", "--spec", spec, "--out"])
            .arg(&keys)
            .output()
            .expect("run");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{spec}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            stdout.contains(&format!("JWT_PUBLIC_KEY_ALG={alg}")),
            alg.starts_with("RS") || alg.starts_with("PS"),
            "{stdout}"
        );
        let out = harness()
            .args(["mint", "--spec", spec, "--key"])
            .arg(keys.join("private.pem"))
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{spec}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let token = String::from_utf8(out.stdout).expect("utf8");
        let pem = std::fs::read_to_string(keys.join("public.pem")).expect("public.pem");
        let config = authorizer::Config::from_lookup(|n| match n {
            "JWT_PUBLIC_KEY_PEM" => Some(pem.clone()),
            "JWT_PUBLIC_KEY_ALG" => Some(alg.to_owned()),
            "JWT_ISSUER" => Some("https://issuer.harness.test".into()),
            "JWT_AUDIENCE" => Some("harness-api".into()),
            _ => None,
        })
        .expect("config");
        let d = authorizer::Authorizer::new(&config).decide(
            &authorizer::AuthRequest {
                authorization: Some(token.trim()),
            },
            authorizer::UnixTime::now(),
        );
        assert!(d.is_allow(), "{spec}: {d:?}");
        // The key file is bound to its spec: loading it as another fails by name.
        let out = harness()
            .args([
                "mint",
                "--spec",
                if alg == "ES256" { "ES384" } else { "ES256" },
                "--key",
            ])
            .arg(keys.join("private.pem"))
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{spec}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("--key") && err.trim().lines().count() == 1,
            "{err}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn check_every_spec_through_the_real_binary() {
    let bin = harness::binary::authorizer_binary(false).expect("authorizer binary");
    let dir = std::env::temp_dir().join(format!("harness-spec-all-{}", std::process::id()));
    let json = dir.join("all.json");
    let out = harness()
        .args(["check", "--spec", "all", "--target"])
        .arg(format!("lambda:{}", bin.display()))
        .arg("--json")
        .arg(&json)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("all 14 key specs:") && stdout.contains(" 0 failed, 0 skipped"),
        "{stdout}"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("json")).expect("valid json");
    let ids: Vec<&str> = report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    for must in [
        "alg-es256-genuine-key-132",
        "sig-length-96",
        "es256/alg-es256k-header",
        "rs256/alg-ps256-same-key",
        "ps256/sig-rs256-padding",
        "rs512/sig-leading-zero-stripped",
        "ps384/sig-length-383",
        "es384/sig-length-132",
        "rs256/alg-hs256-pubkey-pem",
        "rs256/alg-hs256-pubkey-der",
        "ed25519/alg-eddsa-header",
        "ed25519/sig-s-plus-l",
        "ed25519/alg-es256-header",
        "es256/alg-eddsa-header",
        "ml-dsa-65/alg-ml-dsa-44-header",
        "ml-dsa-44/sig-length-3309",
        "ml-dsa-87/hdr-jwk-akp-alg-mismatch",
    ] {
        assert!(ids.contains(&must), "missing {must}");
    }
    // Several specs only against local targets, whose key the harness sets.
    let out = harness()
        .args([
            "check",
            "--spec",
            "all",
            "--target",
            "https://api.example/x",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--spec"));
    std::fs::remove_dir_all(&dir).ok();
}

/// Every line of the README's "The harness" block works as written: the KMS
/// lines against a moto started here (the SDK environment points at it), the
/// deployed-API `check` excepted (it needs a deployment).
#[test]
fn the_readme_harness_block_runs_as_written() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/guide.md"))
        .expect("docs/guide.md");
    let section = readme
        .split("## The harness\n")
        .nth(1)
        .expect("the section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("the sh block");
    // Join continuation lines, drop comments.
    let mut commands: Vec<String> = Vec::new();
    let mut pending = String::new();
    for line in block.lines() {
        let line = line.split(" # ").next().unwrap_or("").trim_end();
        if let Some(head) = line.strip_suffix('\\') {
            pending.push_str(head);
            continue;
        }
        pending.push_str(line);
        commands.push(std::mem::take(&mut pending));
    }
    let moto = harness::moto::Moto::start().expect("moto");
    let dir = std::env::temp_dir().join(format!("harness-readme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let bin = harness::binary::authorizer_binary(false).expect("authorizer binary");
    let mut ran = 0;
    for cmd in &commands {
        if cmd.contains("https://API.execute-api") {
            continue;
        }
        let cmd = cmd.replace("target/release/authorizer", &bin.display().to_string());
        let harness_bin = env!("CARGO_BIN_EXE_harness");
        let out = Command::new("sh")
            .arg("-c")
            .arg(cmd.replacen("harness", harness_bin, 1))
            .current_dir(&dir)
            .envs(moto.sdk_env())
            .env("AWS_ENDPOINT_URL", moto.endpoint())
            .output()
            .expect("sh");
        assert!(
            out.status.success(),
            "README line failed: {cmd}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        ran += 1;
    }
    assert!(ran >= 12, "{ran} lines ran");
    assert!(dir.join("tokens.txt").is_file() && dir.join("keys-ps384/private.pem").is_file());
    std::fs::remove_dir_all(&dir).ok();
}

/// An aarch64 Linux executable built by Debian's cross compiler
/// (`gcc-aarch64-linux-gnu`, installed by `.ci/run`).
fn aarch64_elf(dir: &std::path::Path) -> std::path::PathBuf {
    let src = dir.join("hello.c");
    std::fs::write(&src, "int main(void) { return 0; }\n").expect("write");
    let bin = dir.join("hello-aarch64");
    let cc = std::env::var("AARCH64_CC").unwrap_or_else(|_| "aarch64-linux-gnu-gcc".into());
    let status = Command::new(&cc)
        .arg("-o")
        .arg(&bin)
        .arg(&src)
        .status()
        .unwrap_or_else(|e| {
            panic!("{cc}: {e} (apt-get install gcc-aarch64-linux-gnu; .ci/run installs it)")
        });
    assert!(status.success(), "{cc} failed");
    bin
}

#[test]
fn package_refuses_what_cannot_run_on_the_function_in_one_line() {
    let dir = std::env::temp_dir().join(format!("harness-pkg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let macho = dir.join("authorizer-macos");
    // MH_MAGIC_64, CPU_TYPE_ARM64, MH_EXECUTE: the header of a macOS build.
    let mut header = vec![
        0xcf, 0xfa, 0xed, 0xfe, 0x0c, 0x00, 0x00, 0x01, 0, 0, 0, 0, 2, 0, 0, 0,
    ];
    header.extend([0u8; 4096]);
    std::fs::write(&macho, header).expect("write");
    let readme = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let arm = aarch64_elf(&dir);
    let zip = dir.join("out.zip");
    for (binary, arch, says) in [
        (readme.as_path(), "x86_64", "not an executable"),
        (macho.as_path(), "x86_64", "Mach-O"),
        (
            arm.as_path(),
            "x86_64",
            "an ELF for arm64, but the function is x86_64",
        ),
    ] {
        let out = harness()
            .args(["package", "--architecture", arch, "--binary"])
            .arg(binary)
            .arg("--out")
            .arg(&zip)
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {err}", binary.display());
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains("--binary") && err.contains(says), "{err}");
        assert!(!zip.exists(), "no zip for a refused binary");
    }
    // The same aarch64 build is what an arm64 function takes.
    let out = harness()
        .args(["package", "--architecture", "arm64", "--binary"])
        .arg(&arm)
        .arg("--out")
        .arg(&zip)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("arm64 binary"));
    let out = harness()
        .args(["package", "--architecture", "sparc", "--binary"])
        .arg(&arm)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--architecture"));
    std::fs::remove_dir_all(&dir).ok();
}

/// A CI recipe under `examples/ci/`, parsed by a YAML parser (PyYAML, from
/// `$HARNESS_PYTHON`: `.ci/run` points it at moto's environment, which has
/// it) into JSON.
fn ci_recipe(name: &str) -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/ci")
        .join(name);
    let py = std::env::var("HARNESS_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = Command::new(&py)
        .args([
            "-c",
            "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
        ])
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("{py}: {e}"));
    assert!(
        out.status.success(),
        "{py} could not read {name} as YAML (needs PyYAML; bash .ci/run sets HARNESS_PYTHON): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

/// Every line of every string in `v` that runs the harness.
fn harness_lines(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.extend(
            s.lines()
                .filter(|l| l.contains("/harness ") || l.trim_start().starts_with("harness "))
                .map(|l| l.trim().to_owned()),
        ),
        serde_json::Value::Array(a) => a.iter().for_each(|x| harness_lines(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| harness_lines(x, out)),
        _ => {}
    }
}

/// Each harness command's subcommand and flags exist (`harness SUB --help`
/// lists them), and the files it writes are the ones the recipe publishes.
fn assert_commands_fit_the_harness(name: &str, doc: &serde_json::Value) -> Vec<String> {
    let mut lines = Vec::new();
    harness_lines(doc, &mut lines);
    let subs: Vec<&str> = lines
        .iter()
        .filter_map(|l| {
            l.split_whitespace()
                .skip_while(|w| !w.ends_with("harness"))
                .nth(1)
        })
        .collect();
    assert!(
        subs.contains(&"check") && subs.contains(&"suite"),
        "{name}: check and suite: {lines:?}"
    );
    let mut written = Vec::new();
    for line in &lines {
        let words: Vec<&str> = line.split_whitespace().collect();
        let at = words
            .iter()
            .position(|w| w.ends_with("harness"))
            .expect("harness");
        let sub = words[at + 1];
        let help = harness().args([sub, "--help"]).output().expect("help");
        assert!(help.status.success(), "{name}: harness {sub} --help");
        let help = String::from_utf8_lossy(&help.stdout);
        for (i, w) in words.iter().enumerate().skip(at + 2) {
            if w.starts_with("--") {
                assert!(
                    help.contains(&format!("{w} ")) || help.contains(&format!("{w}\n")),
                    "{name}: harness {sub} has no {w}: {line}"
                );
                if *w == "--junit" {
                    written.push(words[i + 1].to_owned());
                }
                if *w == "--out" {
                    written.push(format!("{}/verdicts.xml", words[i + 1]));
                    written.push(format!("{}/", words[i + 1]));
                }
            }
        }
        assert!(line.contains("--deployment outputs.json"), "{name}: {line}");
    }
    written
}

#[test]
fn ci_recipes_assume_a_role_run_the_harness_as_it_is_and_publish_what_it_writes() {
    let gh = ci_recipe("github-actions.yml");
    assert_eq!(gh["permissions"]["id-token"], "write", "OIDC");
    let steps = gh["jobs"]["security"]["steps"].as_array().expect("steps");
    let uses = |prefix: &str| {
        steps
            .iter()
            .find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(prefix)))
            .cloned()
            .unwrap_or_else(|| panic!("no {prefix} step"))
    };
    assert!(uses("aws-actions/configure-aws-credentials")["with"]["role-to-assume"].is_string());
    let upload = uses("actions/upload-artifact");
    assert_eq!(upload["if"], "always()");
    let published = upload["with"]["path"].as_str().expect("paths").to_owned();
    for file in assert_commands_fit_the_harness("github-actions.yml", &gh) {
        if !file.ends_with("verdicts.xml") {
            assert!(
                published.contains(&file),
                "{file} is not published: {published}"
            );
        }
    }

    let gl = ci_recipe("gitlab-ci.yml");
    let job = &gl["authorizer-security"];
    assert_eq!(job["id_tokens"]["AWS_ID_TOKEN"]["aud"], "sts.amazonaws.com");
    assert!(job["before_script"]
        .to_string()
        .contains("AWS_WEB_IDENTITY_TOKEN_FILE"));
    assert_eq!(job["artifacts"]["when"], "always");
    let junit: Vec<&str> = job["artifacts"]["reports"]["junit"]
        .as_array()
        .expect("junit reports")
        .iter()
        .filter_map(serde_json::Value::as_str)
        .collect();
    let written = assert_commands_fit_the_harness("gitlab-ci.yml", &gl);
    for report in &junit {
        assert!(
            written.iter().any(|w| w == report),
            "{report} is not written by any command: {written:?}"
        );
    }
}

#[test]
fn an_unwritable_out_is_refused_before_anything_starts() {
    // Refused by the first check the command makes: no moto, no emulator,
    // no key (nothing else could name --out).
    for args in [&["suite"][..], &["load", "--rate", "10"][..]] {
        let sub = args[0];
        let out = harness()
            .args(args)
            .args(["--out", "/proc/harness-cannot-write-here"])
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{sub}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{sub}: {err}");
        assert!(
            err.contains("--out /proc/harness-cannot-write-here"),
            "{err}"
        );
        assert!(err.contains("cannot write a report there"), "{err}");
    }
}

/// A child process stopped by its PID when the test ends, pass or fail.
struct Stopped(std::process::Child);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A new local key pair in `dir/keys` (`harness keys new`): the keys
/// folder and the public key's PEM.
fn new_keys(dir: &std::path::Path) -> (std::path::PathBuf, String) {
    let keys = dir.join("keys");
    let out = harness()
        .args(["keys", "new", "--out"])
        .arg(&keys)
        .output()
        .expect("keys");
    assert!(out.status.success());
    let pem = std::fs::read_to_string(keys.join("public.pem")).expect("public.pem");
    (keys, pem)
}

/// A port the OS says is free now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// `harness gateway` as the help's first example runs it: the three
/// variables it names, `pem` the trusted key, listening on `port`.
fn gateway_example_args(pem: &str, port: u16) -> Vec<String> {
    [
        "gateway",
        "--env",
        "JWT_ISSUER=https://issuer.harness.test",
        "--env",
        "JWT_AUDIENCE=harness-api",
        "--env",
        &format!("JWT_PUBLIC_KEY_PEM={pem}"),
        "--listen",
        &format!("127.0.0.1:{port}"),
    ]
    .map(str::to_owned)
    .to_vec()
}

/// `harness gateway --help`'s first example, as written: a key, the
/// gateway with the three variables it names, a minted token through it;
/// then the faults a long-running gateway meets: its idle environment
/// killed (the next request gets a new one), and SIGTERM.
#[test]
fn the_gateway_help_example_serves_a_minted_token() {
    use std::io::{Read, Write};
    let dir = std::env::temp_dir().join(format!("harness-gw-help-{}", std::process::id()));
    let (keys, pem) = new_keys(&dir);
    let help = harness()
        .args(["gateway", "--help"])
        .output()
        .expect("help");
    let help = String::from_utf8_lossy(&help.stdout);
    for var in [
        "JWT_ISSUER",
        "JWT_AUDIENCE",
        "JWT_PUBLIC_KEY_PEM",
        "JWT_JWKS",
        "JWT_KMS_KEY_IDS",
    ] {
        assert!(help.contains(var), "gateway --help names {var}");
    }
    let port = free_port();
    let mut gateway = Stopped(
        harness()
            .args(gateway_example_args(&pem, port))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("gateway"),
    );
    let token = harness()
        .args(["mint", "--key"])
        .arg(keys.join("private.pem"))
        .output()
        .expect("mint");
    let token = String::from_utf8_lossy(&token.stdout).trim().to_owned();
    // A second token: not in the gateway's authorizer cache, so it invokes.
    let second = harness()
        .args(["mint", "--sub", "second", "--key"])
        .arg(keys.join("private.pem"))
        .output()
        .expect("mint");
    let second = String::from_utf8_lossy(&second.stdout).trim().to_owned();
    let get = |token: &str| {
        let mut stream = None;
        for _ in 0..100 {
            if let Ok(s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                stream = Some(s);
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let mut stream = stream.expect("the gateway listens");
        write!(
            stream,
            "GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
        )
        .expect("request");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("response");
        response
    };
    let response = get(&token);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let pid = gateway.0.id();
    // Its children (the environments), from each process's parent id.
    let envs = || -> Vec<u32> {
        std::fs::read_dir("/proc")
            .expect("/proc")
            .flatten()
            .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok())
            .filter(|child| {
                std::fs::read_to_string(format!("/proc/{child}/stat"))
                    .ok()
                    .and_then(|stat| {
                        let (_, rest) = stat.rsplit_once(") ")?;
                        rest.split(' ').nth(1)?.parse::<u32>().ok()
                    })
                    == Some(pid)
            })
            .collect()
    };
    // The idle environment dies (SIGKILL): the next request starts a new
    // one, as on Lambda, instead of failing with a 500.
    let first = envs();
    assert_eq!(first.len(), 1, "one idle environment: {first:?}");
    let killed = Command::new("kill")
        .args(["-KILL", &first[0].to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    std::thread::sleep(std::time::Duration::from_millis(300));
    let response = get(&second);
    assert!(
        response.starts_with("HTTP/1.1 200"),
        "a dead idle environment is replaced: {response}"
    );
    let envs = envs();
    assert!(!envs.is_empty(), "the request started an environment");
    assert!(!envs.contains(&first[0]), "{envs:?}");
    // SIGTERM (what a container runtime sends; SIGINT and SIGHUP alike)
    // stops it: its final stats line, its environment stopped, exit 0.
    let sent = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    let started = std::time::Instant::now();
    let mut stderr = String::new();
    if let Some(mut e) = gateway.0.stderr.take() {
        e.read_to_string(&mut stderr).expect("stderr");
    }
    let status = gateway.0.wait().expect("wait");
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{stderr}"
    );
    let stats = stderr
        .lines()
        .find_map(|l| l.strip_prefix("stopping: "))
        .unwrap_or_else(|| panic!("a final stats line: {stderr}"));
    let stats: serde_json::Value = serde_json::from_str(stats).expect("stats JSON");
    assert_eq!(stats["requests"].as_u64(), Some(2), "{stats}");
    assert_eq!(stats["cold_starts"].as_u64(), Some(2), "{stats}");
    assert_eq!(stats["by_status"]["200"].as_u64(), Some(2), "{stats}");
    println!(
        "SIGTERM: stopped in {:?}, {} environments, stats {stats}",
        started.elapsed(),
        envs.len()
    );
    for env in envs {
        assert!(
            !std::path::Path::new(&format!("/proc/{env}")).exists(),
            "environment {env} outlived the gateway"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// A reader that goes away after one line (`| head -1`) ends the command
/// quietly, exit 0, whatever was left to print.
#[test]
fn a_closed_pipe_ends_a_command_quietly() {
    use std::io::{BufRead, BufReader};
    for args in [&["cases"][..], &["mint", "--count", "2000"][..]] {
        let mut child = harness()
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run");
        let mut first = String::new();
        {
            let stdout = child.stdout.take().expect("stdout");
            BufReader::new(stdout)
                .read_line(&mut first)
                .expect("a line");
            // The reader goes away here, as `head -1` does.
        }
        let out = child.wait_with_output().expect("wait");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!first.is_empty(), "{args:?}: a first line");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

/// `cargo install --path harness` installs `harness` alone: with the
/// crate's default features (what `cargo install` builds), the test
/// fixture binary is not built.
#[test]
fn cargo_install_installs_the_harness_alone() {
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let pkg = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .find(|p| p["name"] == "harness")
        .expect("the harness package");
    let defaults: Vec<&str> = pkg["features"]["default"]
        .as_array()
        .map(|d| d.iter().filter_map(serde_json::Value::as_str).collect())
        .unwrap_or_default();
    let installed: Vec<&str> = pkg["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .filter(|t| {
            t["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "bin"))
        })
        .filter(|t| {
            t["required-features"].as_array().is_none_or(|r| {
                r.iter()
                    .all(|f| f.as_str().is_some_and(|f| defaults.contains(&f)))
            })
        })
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(installed, ["harness"]);
}

/// An installed harness (`cargo install --path harness`) looks for the authorizer beside itself or under ./target, never in the
/// source tree it was built from.
#[test]
fn an_installed_harness_packages_the_authorizer_beside_it() {
    let dir = std::env::temp_dir().join(format!("harness-installed-{}", std::process::id()));
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("dir");
    let installed = bin.join("harness");
    std::fs::copy(env!("CARGO_BIN_EXE_harness"), &installed).expect("copy harness");
    let package = |cwd: &std::path::Path| {
        Command::new(&installed)
            .args(["package", "--out", "out/authorizer.zip"])
            .current_dir(cwd)
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("AUTHORIZER_BIN")
            .output()
            .expect("run")
    };
    // Nothing beside it, nothing under ./target: a clear refusal.
    let out = package(&dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("no authorizer binary beside this harness") && err.contains("--authorizer"),
        "{err}"
    );
    // The authorizer installed beside it is the one packaged.
    let authorizer = harness::binary::authorizer_binary(true).expect("authorizer binary");
    std::fs::copy(&authorizer, bin.join("authorizer")).expect("copy authorizer");
    let out = package(&dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("out/authorizer.zip").is_file());
    std::fs::remove_dir_all(&dir).ok();
}

/// An --out that cannot take a whole report set (here its report.html is a
/// directory) is refused before anything starts, one line naming the flag,
/// exit 2; the report files already there stay as they were.
#[test]
fn an_out_that_cannot_take_the_whole_report_set_is_refused_first() {
    let dir = std::env::temp_dir().join(format!("harness-out-set-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("report.html")).expect("a directory in the way");
    std::fs::write(dir.join("summary.json"), b"{\"old\": true}").expect("old summary");
    let started = std::time::Instant::now();
    let out = harness()
        .args(["load", "--rate", "10", "--duration", "2", "--out"])
        .arg(&dir)
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("--out") && err.contains("report.html there is a directory"),
        "{err}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "refused first"
    );
    assert_eq!(
        std::fs::read(dir.join("summary.json")).expect("summary"),
        b"{\"old\": true}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// `harness gateway` as PID 1 (a container's entry point): the kernel
/// drops a signal to PID 1 that has no handler, so without its own SIGTERM
/// handling it would never stop. Run in a new PID namespace (`unshare`),
/// sent SIGTERM from outside: final stats line, exit 0, within 5 s.
#[test]
fn the_gateway_as_pid_1_stops_on_sigterm() {
    use std::io::Read;
    let probe = Command::new("unshare")
        .args(["--pid", "--fork", "true"])
        .stderr(std::process::Stdio::null())
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        println!("SKIPPED: unshare --pid is not available here (needs root or user namespaces)");
        return;
    }
    let dir = std::env::temp_dir().join(format!("harness-gw-pid1-{}", std::process::id()));
    let (_, pem) = new_keys(&dir);
    let port = free_port();
    let mut outer = Stopped(
        Command::new("unshare")
            .args(["--pid", "--fork", "--kill-child"])
            .arg(env!("CARGO_BIN_EXE_harness"))
            .args(gateway_example_args(&pem, port))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("unshare"),
    );
    let mut listening = false;
    for _ in 0..300 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            listening = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(listening, "the gateway listens");
    // The gateway: unshare's child, PID 1 in its namespace.
    let outer_pid = outer.0.id();
    let gateway = std::fs::read_to_string(format!("/proc/{outer_pid}/task/{outer_pid}/children"))
        .expect("children")
        .split_whitespace()
        .next()
        .and_then(|p| p.parse::<u32>().ok())
        .expect("the gateway's pid");
    let status = std::fs::read_to_string(format!("/proc/{gateway}/status")).expect("status");
    let nspid = status
        .lines()
        .find_map(|l| l.strip_prefix("NSpid:"))
        .expect("NSpid");
    assert!(
        nspid.trim().ends_with("\t1") || nspid.trim().ends_with(" 1"),
        "PID 1 inside: {nspid}"
    );
    let sent = Command::new("kill")
        .args(["-TERM", &gateway.to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    let started = std::time::Instant::now();
    let mut exited = None;
    while started.elapsed() < std::time::Duration::from_secs(5) {
        if let Some(s) = outer.0.try_wait().expect("try_wait") {
            exited = Some(s);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let mut stderr = String::new();
    if exited.is_some() {
        if let Some(mut e) = outer.0.stderr.take() {
            e.read_to_string(&mut stderr).expect("stderr");
        }
    }
    let status = exited.unwrap_or_else(|| panic!("PID 1 ignored SIGTERM for 5 s"));
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("stopping: {"),
        "a final stats line: {stderr}"
    );
    println!("PID 1: stopped on SIGTERM in {:?}", started.elapsed());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_ecs_engine_reads_the_workers_from_a_deployment_or_names_what_is_missing() {
    let dir = std::env::temp_dir().join(format!("harness-ecs-dep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let dep = dir.join("outputs.json");
    std::fs::write(
        &dep,
        r#"{"api_endpoint": {"value": "http://127.0.0.1:1/hello"}, "kms_key_id": {"value": "k"}}"#,
    )
    .expect("outputs");
    let err = one_line_error(&[
        "load",
        "--engine",
        "ecs",
        "--workers",
        "2",
        "--rate",
        "5",
        "--deployment",
        &dep.to_string_lossy(),
    ]);
    assert!(
        err.contains("--deployment") && err.contains("cluster_arn"),
        "{err}"
    );
    let err = one_line_error(&["load", "--engine", "ecs", "--workers", "2", "--rate", "5"]);
    assert!(err.contains("--workers-deployment"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
