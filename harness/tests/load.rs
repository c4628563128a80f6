//! `harness load` as a user runs it: the release-style CLI against the
//! local stack (its own moto, the emulator running the real authorizer
//! binary), a plan file with a flag overriding it, and what lands in
//! `summary.json` — histograms in their serialised form that merge exactly.

use reports::hist;
use serde_json::Value;
use std::process::Command;

fn harness() -> Command {
    Command::new(env!("CARGO_BIN_EXE_harness"))
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("harness-load-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("tmp dir");
    d
}

fn run(args: &[&str]) -> (i32, String, String) {
    let bin = harness::binary::authorizer_binary(false).expect("authorizer binary");
    let out = harness()
        .args(args)
        .arg("--authorizer")
        .arg(&bin)
        .arg("--quiet")
        .output()
        .expect("harness load");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn summary(dir: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).expect("summary"))
        .expect("json")
}

#[test]
fn a_stepped_plan_file_runs_with_flags_over_it_and_its_histograms_merge_exactly() {
    let dir = tmp("steps");
    let plan = dir.join("plan.toml");
    std::fs::write(
        &plan,
        r#"
        warmup_s = 1
        max_in_flight = 32
        [arrival]
        kind = "steps"
        steps = [{ rate = 60, seconds = 3 }, { rate = 150, seconds = 3 }]
        [mix]
        valid = 60
        expired = 10
        forged = 10
        malformed = 10
        repeat = 0.8
        "#,
    )
    .expect("plan");
    let out = dir.join("report");
    let (code, stdout, stderr) = run(&[
        "load",
        "--plan",
        plan.to_str().expect("utf-8"),
        "--mix",
        "forged=20",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        !stdout.contains("users launched"),
        "goose's launch line leaked:\n{stdout}"
    );
    let s = summary(&out);
    assert_eq!(s["schema_version"], 3);
    let load = &s["load"];
    assert_eq!(load["profile"], "steps");
    let mix = load["plan"]["mix"].as_str().expect("mix");
    assert!(
        mix.contains("forged 20") && mix.contains("valid 60"),
        "{mix}"
    );

    // Per second: the planned rate of each step, every response counted,
    // the authorizer's invocations read from the log group.
    let secs = load["seconds"].as_array().expect("seconds");
    assert_eq!(secs.len(), 6, "{secs:?}");
    for (i, sec) in secs.iter().enumerate() {
        let want = if i < 3 { 60 } else { 150 };
        let planned = sec["planned"].as_u64().expect("planned");
        assert!(planned.abs_diff(want) <= 1, "second {i}: {planned}");
        assert!(sec["invocations"].as_u64().is_some(), "second {i}: {sec}");
    }
    let steps = load["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 2);
    for st in steps {
        let (rate, got) = (
            st["rate"].as_f64().expect("rate"),
            st["achieved_rps"].as_f64().expect("achieved"),
        );
        assert!((got / rate - 1.0).abs() < 0.05, "{st}");
    }

    // The measured window (due at or after the 1 s warm-up) two ways: the
    // classes merged, and the per-second histograms merged. Same samples,
    // so exactly the same percentiles.
    let classes = load["classes"].as_object().expect("classes");
    assert!(classes.contains_key("valid_repeat") && classes.contains_key("forged"));
    let by_class = hist::merge_encoded(
        classes
            .values()
            .map(|c| c["histogram"].as_str().expect("histogram")),
    )
    .expect("classes merge");
    let by_second = hist::merge_encoded(
        secs.iter()
            .filter(|x| x["t"].as_u64().expect("t") >= 1)
            .map(|x| x["histogram"].as_str().expect("histogram")),
    )
    .expect("seconds merge");
    assert_eq!(by_class.len(), by_second.len());
    for q in [0.5, 0.9, 0.99, 0.999, 1.0] {
        assert_eq!(
            by_class.value_at_quantile(q),
            by_second.value_at_quantile(q),
            "q {q}"
        );
    }
    let requests: u64 = classes
        .values()
        .map(|c| c["requests"].as_u64().expect("requests"))
        .sum();
    assert_eq!(requests, by_class.len());

    let verdicts: Vec<(String, String)> = s["verdicts"]
        .as_array()
        .expect("verdicts")
        .iter()
        .map(|v| {
            (
                v["check"].as_str().unwrap_or("").to_owned(),
                v["status"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert!(
        verdicts.contains(&("rate".into(), "pass".into())),
        "{verdicts:?}"
    );
    assert!(
        verdicts.contains(&("decisions".into(), "pass".into())),
        "{verdicts:?}"
    );
    let html = std::fs::read_to_string(out.join("report.html")).expect("html");
    for title in [
        "Latency percentiles over time",
        "Throughput by outcome over time",
        "Latency distribution by token class",
        "Authorizer cache hit ratio over time",
        "p99 latency per step",
    ] {
        assert!(html.contains(title), "{title}");
    }
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn knee_reports_the_highest_step_that_held_and_fails_when_none_did() {
    let dir = tmp("knee");
    let plan = dir.join("knee.toml");
    let write = |bound: f64| {
        std::fs::write(
            &plan,
            format!(
                "profile = \"knee\"\n[knee]\nstart_rate = 50\nfactor = 2\nstep_s = 2\nmax_rate = 200\np99_ms = {bound}\n"
            ),
        )
        .expect("plan");
    };
    write(2000.0);
    let out = dir.join("held");
    let (code, stdout, stderr) = run(&[
        "load",
        "--plan",
        plan.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let s = summary(&out);
    let steps: Vec<f64> = s["load"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|x| x["rate"].as_f64().expect("rate"))
        .collect();
    assert_eq!(steps, vec![50.0, 100.0, 200.0]);
    // One attack across the steps, every step's tokens minted before the
    // first: step i starts i × 2 s after the first, and every second of the
    // run has its requests and answers (before, minting and a new attack
    // between steps left gaps of 3–7 s in the series).
    let starts: Vec<f64> = s["load"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|x| x["start_s"].as_f64().expect("start_s"))
        .collect();
    assert_eq!(starts, vec![0.0, 2.0, 4.0]);
    let seconds = s["load"]["seconds"].as_array().expect("seconds");
    let ts: Vec<u64> = seconds
        .iter()
        .map(|x| x["t"].as_u64().expect("t"))
        .collect();
    assert_eq!(ts, (0..6).collect::<Vec<u64>>(), "no gaps between steps");
    for x in seconds {
        assert!(x["planned"].as_u64() >= Some(50), "{x}");
    }
    assert!(
        stderr.contains("minting every step's tokens first (3 steps"),
        "{stderr}"
    );
    assert_eq!(
        s["scenarios"]["load"]["figures"]["knee_rps"]["value"],
        200.0
    );
    assert!(
        stdout.contains("knee         PASS   held every step up to 200"),
        "{stdout}"
    );

    // No step can hold a 1 µs p99: the first step fails and so does the run.
    write(0.001);
    let out = dir.join("broke");
    let (code, stdout, _) = run(&[
        "load",
        "--plan",
        plan.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("the first step (50 req/s) did not hold: p99"),
        "{stdout}"
    );
    let s = summary(&out);
    assert_eq!(s["load"]["steps"].as_array().map(Vec::len), Some(1));
    // No step held, so no decision entered the figures: SKIP, never PASS.
    let decisions = s["verdicts"]
        .as_array()
        .and_then(|v| v.iter().find(|v| v["check"] == "decisions"))
        .expect("a decisions verdict");
    assert_eq!(decisions["status"], "skip", "{decisions}");
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn bad_plans_and_flags_exit_2_with_one_line_naming_them() {
    let dir = tmp("bad");
    let plan = dir.join("bad.toml");
    std::fs::write(&plan, "rate = 5\n").expect("plan");
    let p = plan.to_str().expect("utf-8").to_owned();
    for (args, needle) in [
        (vec!["load"], "no load profile"),
        (vec!["load", "--rate", "10", "--mix", "bogus=1"], "--mix"),
        (vec!["load", "--plan", p.as_str()], "--plan"),
        (vec!["load", "--steps", "10:x"], "--steps"),
        (vec!["load", "--profile", "sideways"], "--profile"),
        (
            vec!["load", "--rate", "10", "--warmup", "60", "--duration", "10"],
            "--warmup",
        ),
        // Found before anything starts: a negative, zero or too high rate,
        // and flags a preset would ignore.
        (vec!["load", "--rate", "-5"], "--rate"),
        (vec!["load", "--rate", "0"], "--rate"),
        (vec!["load", "--rate", "1e9"], "--rate"),
        (
            vec![
                "load",
                "--profile",
                "knee",
                "--rate",
                "100",
                "--duration",
                "3",
            ],
            "--rate, --duration not used by --profile knee",
        ),
        (
            vec!["load", "--rate", "10", "--max-rate", "50"],
            "--max-rate not used",
        ),
    ] {
        let out = harness().args(&args).output().expect("harness");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

/// `harness load ARGS --out DIR` on the real authorizer binary, quiet,
/// its output piped: a run the fault tests act on while it goes.
fn spawn_load(args: &[&str], dir: &std::path::Path) -> std::process::Child {
    let bin = harness::binary::authorizer_binary(false).expect("authorizer binary");
    harness()
        .arg("load")
        .args(args)
        .arg("--out")
        .arg(dir)
        .arg("--authorizer")
        .arg(&bin)
        .arg("--quiet")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("harness load")
}

/// Reads `child`'s stderr until a line holds `marker`, waits `after`,
/// then kills (SIGKILL) its one moto child. Returns the lines before, the
/// rest of stderr, and the finished output.
fn kill_moto_at(
    mut child: std::process::Child,
    marker: &str,
    after: std::time::Duration,
) -> (String, String, std::process::Output) {
    use std::io::BufRead;
    let pid = child.id();
    let stderr = std::io::BufReader::new(child.stderr.take().expect("stderr"));
    let mut lines = stderr.lines();
    let mut seen = String::new();
    for line in lines.by_ref() {
        let line = line.expect("line");
        seen.push_str(&line);
        seen.push('\n');
        if line.contains(marker) {
            break;
        }
    }
    std::thread::sleep(after);
    let moto: Vec<u32> = children(pid)
        .into_iter()
        .filter(|(_, comm, _)| comm != "authorizer")
        .map(|(p, _, _)| p)
        .collect();
    assert_eq!(moto.len(), 1, "moto: {:?}\n{seen}", children(pid));
    let _ = Command::new("kill")
        .args(["-KILL", &moto[0].to_string()])
        .status();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let out = child.wait_with_output().expect("wait");
    (seen, rest.join("\n"), out)
}

/// The children of `pid`: (pid, command name, state).
fn children(pid: u32) -> Vec<(u32, String, char)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        // pid (comm) state ppid …
        let Some((head, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        let comm = head.split_once(" (").map_or("", |(_, c)| c);
        let mut fields = rest.split(' ');
        let state = fields.next().and_then(|s| s.chars().next()).unwrap_or('?');
        let ppid = fields.next().and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(pid) {
            out.push((child, comm.to_owned(), state));
        }
    }
    out
}

/// The children of `pid` whose command name is `name`.
fn children_named(pid: u32, name: &str) -> Vec<u32> {
    children(pid)
        .into_iter()
        .filter(|(_, comm, _)| comm == name)
        .map(|(p, _, _)| p)
        .collect()
}

/// Whether `pid` still runs (an exited child not yet reaped is a zombie:
/// not running).
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let (_, rest) = stat.rsplit_once(") ")?;
            rest.chars().next()
        })
        .is_some_and(|state| state != 'Z' && state != 'X')
}

/// The harness killed outright (SIGKILL: no handler runs): moto and every
/// authorizer environment die with it, within seconds.
#[test]
fn nothing_outlives_a_killed_harness() {
    let dir = tmp("sigkill");
    let mut child = spawn_load(&["--rate", "50", "--duration", "30"], &dir);
    let pid = child.id();
    // Wait until moto and an environment run.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut seen = Vec::new();
    while std::time::Instant::now() < deadline {
        seen = children(pid);
        if seen.iter().any(|c| c.1 == "authorizer")
            && seen.iter().any(|c| c.1.starts_with("python"))
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(
        seen.iter().any(|c| c.1 == "authorizer") && seen.iter().any(|c| c.1 != "authorizer"),
        "moto and an environment: {seen:?}"
    );
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    let gone_by = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut left: Vec<&(u32, String, char)> = seen.iter().collect();
    while !left.is_empty() && std::time::Instant::now() < gone_by {
        std::thread::sleep(std::time::Duration::from_millis(100));
        left.retain(|c| running(c.0));
    }
    assert!(left.is_empty(), "outlived the harness: {left:?}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Authorizer environments killed mid-load, again and again: a request an
/// environment held fails (a 5xx, counted once, as an error; which requests
/// are in flight at a kill is chance — `engine::tests` holds the counting
/// itself), an idle one is replaced, and nothing is ever a wrong decision.
#[test]
fn a_killed_environment_is_errors_never_wrong_decisions() {
    let dir = tmp("killed");
    // Every request a fresh token: every one invokes the authorizer.
    let child = spawn_load(
        &[
            "--rate",
            "150",
            "--duration",
            "8",
            "--warmup",
            "1",
            "--repeat",
            "0",
            "--mix",
            "valid=80,forged=20",
        ],
        &dir,
    );
    let pid = child.id();
    // Wait until the run is sending, then kill every environment every
    // 150 ms for 2 s.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while children_named(pid, "authorizer").is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::thread::sleep(std::time::Duration::from_secs(3));
    let mut killed = Vec::new();
    for _ in 0..13 {
        for env in children_named(pid, "authorizer") {
            let _ = Command::new("kill")
                .args(["-KILL", &env.to_string()])
                .status();
            killed.push(env);
        }
        std::thread::sleep(std::time::Duration::from_millis(150));
    }
    let out = child.wait_with_output().expect("wait");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!killed.is_empty(), "no environment seen: {stderr}");
    let s = summary(&dir);
    let figures = &s["scenarios"]["load"]["figures"];
    let wrong = figures["wrong_decisions"]["value"].as_f64();
    let errors = figures["server_or_transport_errors"]["value"].as_f64();
    println!(
        "killed {} environments: wrong {wrong:?}, errors {errors:?}\n{stdout}",
        killed.len()
    );
    assert_eq!(wrong, Some(0.0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("decisions    PASS   0 wrong decisions"),
        "{stdout}"
    );
    assert!(children_named(pid, "authorizer").is_empty(), "nothing left");
    std::fs::remove_dir_all(&dir).ok();
}

/// moto killed while the traffic runs: what the traffic measured is still
/// written, the log-based figures become a SKIP saying why (before, the run
/// exited 2 with no report), and the lost control plane is named once and
/// recorded in the report.
#[test]
fn a_run_whose_control_plane_dies_still_writes_what_it_measured() {
    let dir = tmp("moto-dies");
    let child = spawn_load(&["--rate", "40", "--duration", "4", "--warmup", "1"], &dir);
    let (seen, stderr, out) = kill_moto_at(child, "constant: ", std::time::Duration::ZERO);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{seen}{stderr}");
    let s = summary(&dir);
    let verdicts = s["verdicts"].as_array().expect("verdicts");
    let cold = verdicts
        .iter()
        .find(|v| v["check"] == "cold_starts")
        .expect("a cold_starts verdict");
    assert_eq!(cold["status"], "skip", "{cold}");
    assert!(
        cold["detail"]
            .as_str()
            .is_some_and(|d| d.contains("could not be read")),
        "{cold}"
    );
    assert!(
        verdicts
            .iter()
            .any(|v| v["check"] == "decisions" && v["status"] == "pass"),
        "{verdicts:?}"
    );
    // Losing the control plane is named once on the console and recorded in
    // the report.
    assert_eq!(
        stderr
            .matches("the control plane stopped answering")
            .count(),
        1,
        "{stderr}"
    );
    assert!(
        s["target"]["settings"]["control plane"]
            .as_str()
            .is_some_and(|c| c.contains("stopped answering during the run")),
        "{}",
        s["target"]
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// The suite's own log-based stages under the same fault: moto killed
/// while the caching stage sends its traffic. Before, the suite exited 2
/// at the log read and wrote no report; now caching is a SKIP naming the
/// lost control plane, the stages after it run on the emulator, the
/// report is written and nothing is left running.
#[test]
fn a_suite_whose_control_plane_dies_skips_what_needed_it_and_reports_the_rest() {
    let dir = tmp("suite-moto-dies");
    let bin = harness::binary::authorizer_binary(false).expect("authorizer binary");
    let child = harness()
        .args(["suite", "--quick", "--out"])
        .arg(&dir)
        .arg("--authorizer")
        .arg(&bin)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("harness suite");
    let pid = child.id();
    let (seen, rest, out) = kill_moto_at(child, "caching (", std::time::Duration::from_secs(1));
    assert!(seen.contains("caching ("), "no caching stage: {seen}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = format!("{seen}{rest}");
    let s = summary(&dir);
    let verdicts = s["verdicts"].as_array().expect("verdicts");
    let caching = verdicts
        .iter()
        .find(|v| v["check"] == "caching")
        .expect("a caching verdict");
    assert_eq!(caching["status"], "skip", "{caching}\n{stderr}");
    assert!(
        caching["detail"]
            .as_str()
            .is_some_and(|d| d.contains("the control plane stopped answering during this stage")),
        "{caching}"
    );
    for measured in ["cold_start", "throttling", "mixed"] {
        assert!(
            s["scenarios"][measured].is_object(),
            "{measured} missing: {}\n{stderr}",
            s["scenarios"]
        );
    }
    assert!(
        s["target"]["settings"]["control plane"].is_string(),
        "{}",
        s["target"]
    );
    assert_ne!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        children(pid).is_empty(),
        "nothing left: {:?}",
        children(pid)
    );
    std::fs::remove_dir_all(&dir).ok();
}
