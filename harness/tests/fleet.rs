//! One plan over several generators, as a user runs it: `harness load
//! --engine local --workers 3` against the local stack (worker processes of
//! the release-style CLI, their reports merged); `harness load plan` with
//! a KMS key in moto, and workers that refuse what would not add up;
//! `harness load merge` refusing an incomplete set; a coordinator killed
//! outright, whose workers end by themselves.

use harness::moto::Moto;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn harness() -> Command {
    Command::new(env!("CARGO_BIN_EXE_harness"))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("harness-fleet-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("tmp dir");
    d
}

fn output(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("harness");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn summary(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).expect("summary"))
        .expect("json")
}

/// The processes whose command line holds `needle`.
fn processes_with(needle: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmd) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| s.rsplit_once(") ").and_then(|(_, r)| r.chars().next()));
        if String::from_utf8_lossy(&cmd).contains(needle) && !matches!(state, Some('Z' | 'X')) {
            out.push(pid);
        }
    }
    out
}

fn verdict<'a>(s: &'a Value, check: &str) -> &'a Value {
    s["verdicts"]
        .as_array()
        .expect("verdicts")
        .iter()
        .find(|v| v["check"] == check)
        .unwrap_or_else(|| panic!("no {check} verdict: {s}"))
}

#[test]
fn three_local_workers_send_the_plan_and_merge_into_one_run() {
    let dir = tmp("local3");
    let bin = harness::binary::authorizer_binary(false).expect("authorizer binary");
    let (code, out, err) = output(
        harness()
            .args(["load", "--engine", "local", "--workers", "3"])
            .args(["--rate", "200", "--duration", "6", "--quiet", "--out"])
            .arg(&dir)
            .arg("--authorizer")
            .arg(&bin),
    );
    // Exit 1 only for a verdict (send lag on a loaded CI machine); the
    // merge itself must have happened.
    assert!(code == 0 || code == 1, "exit {code}\n{out}\n{err}");
    let s = summary(&dir);
    let load = &s["load"];
    let shards = load["shards"].as_array().expect("the shard table");
    let indices: Vec<u64> = shards
        .iter()
        .map(|t| t["index"].as_u64().expect("index"))
        .collect();
    assert_eq!(indices, [0, 1, 2], "{load}");
    // The merged per-second planned counts are the unsharded plan's
    // (200 requests due in each second, to the float rounding of its send
    // times, which is the same).
    let mut whole = vec![0u64; 6];
    let arrival = scenarios::arrival::Arrival::Constant { rate: 200.0 };
    for at in arrival.send_times(6.0).expect("schedule") {
        whole[at as usize] += 1;
    }
    let planned: Vec<u64> = load["seconds"]
        .as_array()
        .expect("seconds")
        .iter()
        .map(|x| x["planned"].as_u64().expect("planned"))
        .collect();
    assert_eq!(planned, whole, "{out}");
    let shard_planned: u64 = shards
        .iter()
        .map(|t| t["planned"].as_u64().expect("planned"))
        .sum();
    let total: u64 = whole.iter().sum();
    assert_eq!(shard_planned, total);
    // Every shard started together and holds a third of the plan.
    let t0 = &shards[0]["start_ms"];
    assert!(
        shards.iter().all(|t| &t["start_ms"] == t0
            && t["planned"]
                .as_u64()
                .is_some_and(|n| n.abs_diff(total / 3) <= 1)),
        "{load}"
    );
    assert_eq!(verdict(&s, "decisions")["status"], "pass", "{out}");
    assert!(verdict(&s, "send_lag")["detail"]
        .as_str()
        .expect("detail")
        .contains("0/3"));
    let md = std::fs::read_to_string(dir.join("report.md")).expect("report.md");
    assert!(md.contains("| shard | planned | sent |"), "{md}");
    assert_eq!(
        md.matches("| 1/3 |").count() + md.matches("| 0/3 |").count(),
        2,
        "{md}"
    );
    // No worker is left, and the manifest (valid tokens) is gone.
    let work: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("out")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("shards-"))
        })
        .collect();
    assert_eq!(work.len(), 1, "{work:?}");
    assert!(!work[0].join("manifest.json").exists());
    assert!(processes_with(&work[0].to_string_lossy()).is_empty());
    // The shards' own reports merge again by hand into the same figures;
    // two of three are refused, naming the missing one.
    let merged = dir.join("merged");
    let parts: Vec<PathBuf> = (0..3).map(|i| work[0].join(format!("shard-{i}"))).collect();
    let (code, out, err) = output(
        harness()
            .args(["load", "merge"])
            .args(&parts)
            .arg("--out")
            .arg(&merged),
    );
    assert!(code == 0 || code == 1, "exit {code}\n{out}\n{err}");
    let again = summary(&merged);
    assert_eq!(
        again["load"]["classes"], load["classes"],
        "the same histograms"
    );
    let (code, _, err) = output(harness().args(["load", "merge"]).args(&parts[..2]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("shard 2/3 is missing"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

async fn moto_key(moto: &Moto) -> String {
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(moto.endpoint())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_kms::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .load()
        .await;
    let client = aws_sdk_kms::Client::new(&conf);
    tokens::kms::create_key(&client, None)
        .await
        .expect("key")
        .key_id
}

#[tokio::test(flavor = "multi_thread")]
async fn a_manifest_is_private_and_workers_refuse_what_would_not_add_up() {
    let moto = Moto::start().expect("moto_server");
    let key = moto_key(&moto).await;
    let dir = tmp("plan");
    let plan = |extra: &[&str]| {
        let mut c = harness();
        c.args(["load", "plan", "--target", "http://127.0.0.1:9/hello"])
            .args(["--kms-endpoint", moto.endpoint(), "--kms-key-id", &key])
            .args(["--rate", "50", "--duration", "4", "--quiet"])
            .args(extra)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1");
        c
    };
    let out_dir = dir.join("run");
    let (code, out, err) = output(plan(&["--shards", "2", "--out"]).arg(&out_dir));
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("2 shards"), "{out}");
    let manifest = out_dir.join("manifest.json");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&manifest)
        .expect("manifest")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "it holds valid tokens");
    let m: Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).expect("read")).expect("json");
    let fresh: Vec<usize> = m["tokens"]["fresh"]
        .as_array()
        .expect("fresh")
        .iter()
        .map(|v| v.as_array().expect("shard").len())
        .collect();
    assert_eq!(fresh.len(), 2, "fresh tokens per shard");
    assert!(m["tokens"]["repeat"]
        .as_array()
        .is_some_and(|r| !r.is_empty()));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let worker = |shard: &str, start_at: u64| {
        let mut c = harness();
        c.args(["load", "--manifest"])
            .arg(&manifest)
            .args([
                "--shard",
                shard,
                "--start-at",
                &start_at.to_string(),
                "--quiet",
                "--out",
            ])
            .arg(dir.join(format!("w-{}", shard.replace('/', "-"))));
        c
    };
    // Late: refused at once, naming the shard, before anything is sent.
    let (code, _, err) = output(&mut worker("1/2", now - 30));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("shard 1/2") && err.contains("past --start-at"),
        "{err}"
    );
    // Another shard count than the manifest's.
    let (code, _, err) = output(&mut worker("0/3", now + 5));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("the manifest is for 2 shards"), "{err}");
    // Past the tokens' hold.
    let (code, _, err) = output(&mut worker("0/2", now + 3600));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("tokens hold until"), "{err}");
    // A manifest fixes plan and target: their flags are refused beside it.
    let (code, _, err) = output(worker("0/2", now + 5).args(["--rate", "10"]));
    assert_eq!(code, 2, "{err}");
    // What cannot be planned for workers: knee, the local stack, a key
    // that the plan would delete.
    let (code, _, err) =
        output(plan(&["--shards", "2", "--profile", "knee", "--out"]).arg(dir.join("k")));
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = output(
        harness()
            .args(["load", "plan", "--rate", "5", "--shards", "2", "--out"])
            .arg(dir.join("l")),
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--deployment") && err.contains("--engine local"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_killed_coordinators_workers_end_by_themselves() {
    let dir = tmp("sigkill");
    let bin = harness::binary::authorizer_binary(false).expect("authorizer binary");
    let mut child = harness()
        .args(["load", "--engine", "local", "--workers", "2"])
        .args(["--rate", "50", "--duration", "5", "--quiet", "--out"])
        .arg(&dir)
        .arg("--authorizer")
        .arg(&bin)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("harness");
    let needle = dir.to_string_lossy().into_owned();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut workers = Vec::new();
    while Instant::now() < deadline && workers.len() < 2 {
        workers = processes_with(&format!("{needle}/shards-"));
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(workers.len(), 2, "two workers started");
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    // Each ends at T0 + its run + a grace: about 15 s from now at most.
    let gone_by = Instant::now() + Duration::from_secs(30);
    while Instant::now() < gone_by && !processes_with(&format!("{needle}/shards-")).is_empty() {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        processes_with(&format!("{needle}/shards-")).is_empty(),
        "a worker outlived its run"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_sharded_scaling_run_starts_cold_and_is_judged_on_the_merge() {
    let dir = tmp("scaling");
    std::fs::create_dir_all(&dir).expect("dir");
    let plan = dir.join("scaling.toml");
    std::fs::write(
        &plan,
        "profile = \"scaling\"\n[scaling]\nlow_rate = 20\nlow_s = 2\nhigh_rate = 120\nhigh_s = 3\n",
    )
    .expect("plan");
    let out_dir = dir.join("run");
    let bin = harness::binary::authorizer_binary(false).expect("authorizer binary");
    let (code, out, err) = output(
        harness()
            .args(["load", "--engine", "local", "--workers", "2", "--plan"])
            .arg(&plan)
            .args(["--quiet", "--out"])
            .arg(&out_dir)
            .arg("--authorizer")
            .arg(&bin),
    );
    assert!(code == 0 || code == 1, "exit {code}\n{out}\n{err}");
    let said = format!("{out}{err}");
    assert!(said.contains("forcing cold starts"), "{said}");
    let s = summary(&out_dir);
    let steps = s["load"]["steps"].as_array().expect("steps");
    let rates: Vec<f64> = steps
        .iter()
        .map(|x| x["rate"].as_f64().expect("rate"))
        .collect();
    assert_eq!(rates, [20.0, 120.0], "{s}");
    // Judged once, on the merge, with the cold starts of the whole window.
    let v = verdict(&s, "scaling");
    assert_eq!(v["status"], "pass", "{v}");
    assert!(
        v["detail"]
            .as_str()
            .is_some_and(|d| d.contains("cold starts in the run") && !d.starts_with("0 ")),
        "{v}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
