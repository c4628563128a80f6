//! The ECS Fargate engine of a sharded load run
//! (`harness load --engine ecs --workers N --workers-deployment FILE`), the
//! worker it starts (`harness load worker --manifest s3://… --shard I/N`),
//! and the local data plane that runs moto's tasks as processes
//! (`harness ecs-runner`).
//!
//! The coordinator writes the manifest to the run bucket
//! (`runs/<run>/manifest.json`), starts one task per shard with `RunTask`
//! (`startedBy` = the run id; the command override names its shard, so one
//! task per call, well under ECS's 10), waits until every worker has
//! written `runs/<run>/ready/<I>`, writes `runs/<run>/go.json` with T0 a
//! few seconds ahead, watches `DescribeTasks` until every task stopped,
//! and merges `runs/<run>/results/<I>/summary.json`. A stop signal, a task
//! that stops early or fails, or a fleet that does not come up stops every
//! task it started (`StopTask`) and fails the run naming the shard; the
//! manifest (valid tokens) is deleted on every way out. A
//! worker stops itself when no `go.json` comes within its limit, and at
//! T0 + its run + 2 s.

use crate::fleet::{self, WorkerOptions};
use crate::load::{self, LoadOptions};
use crate::run::{with_run, Job, Run, RunResult};
use crate::s3::{get, put, S3Url};
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, ContainerOverride, LaunchType, NetworkConfiguration,
    TaskOverride,
};
use scenarios::plan::PlanFile;
use scenarios::shard::Shard;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long workers have to come up (Fargate provisioning, image pull).
const READY_WITHIN: Duration = Duration::from_secs(300);

/// What the workers module (or example) outputs: where tasks run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkersDeployment {
    /// `cluster_arn`.
    pub cluster: String,
    /// `task_definition_arn`.
    pub task_definition: String,
    /// `container_name`.
    pub container: String,
    /// `subnet_ids`.
    pub subnets: Vec<String>,
    /// `security_group_id`.
    pub security_group: String,
    /// `assign_public_ip`.
    pub assign_public_ip: bool,
    /// `bucket_name`.
    pub bucket: String,
}

impl WorkersDeployment {
    /// Reads `terraform output -json` of `terraform/modules/load-workers`
    /// (or an example that re-exports its outputs), given as `flag`.
    ///
    /// # Errors
    /// One line naming the flag, the file and the missing or mistyped output.
    pub fn read(path: &Path, flag: &str) -> crate::Result<Self> {
        let flag = format!("{flag} {}", path.display());
        let text = std::fs::read_to_string(path)
            .map_err(|e| crate::Error::invalid(format!("{flag}: {e}")))?;
        Self::parse(&text, &flag)
    }

    /// Parses `terraform output -json`: the module's outputs at the top
    /// (the load-workers example), or one output `workers` holding the
    /// whole module (`output "workers" { value = module.load_workers }`,
    /// beside a deployment's own outputs in one root module).
    ///
    /// # Errors
    /// One line naming `flag` and the missing or mistyped output.
    pub fn parse(text: &str, flag: &str) -> crate::Result<Self> {
        let doc: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            crate::Error::invalid(format!(
                "{flag}: not JSON ({e}); write it with `terraform output -json`"
            ))
        })?;
        let nested = doc
            .get("workers")
            .map(|w| w.get("value").unwrap_or(w))
            .filter(|w| w.is_object())
            .cloned();
        let doc = nested.unwrap_or(doc);
        let get = |name: &str| {
            let v = doc.get(name)?;
            Some(v.get("value").unwrap_or(v).clone())
        };
        let string = |name: &str| -> crate::Result<String> {
            get(name)
                .and_then(|v| v.as_str().map(str::to_owned))
                .filter(|s| !s.is_empty())
                .ok_or_else(|| {
                    crate::Error::invalid(format!(
                        "{flag}: output {name} is missing or not a string"
                    ))
                })
        };
        let cluster = string("cluster_arn")?;
        let subnets: Vec<String> = get("subnet_ids")
            .and_then(|v| {
                v.as_array().map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_owned))
                        .collect()
                })
            })
            .filter(|v: &Vec<String>| !v.is_empty())
            .ok_or_else(|| {
                crate::Error::invalid(format!("{flag}: output subnet_ids is missing or empty"))
            })?;
        Ok(Self {
            cluster,
            task_definition: string("task_definition_arn")?,
            container: string("container_name")?,
            subnets,
            security_group: string("security_group_id")?,
            assign_public_ip: get("assign_public_ip")
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
            bucket: string("bucket_name")?,
        })
    }
}

/// An ECS client of the SDK environment.
pub async fn ecs_client() -> aws_sdk_ecs::Client {
    aws_sdk_ecs::Client::new(&emulator::sdk::config(None).await)
}

/// The `go.json` a coordinator writes when every worker is ready.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
struct Go {
    /// T0, epoch ms.
    start_at_ms: i64,
}

/// `harness load worker --manifest s3://… --shard I/N`: the manifest from
/// S3, a ready marker, T0 from `go.json` (waiting at most `go_within`), the
/// shard run as [`fleet::work`], its summary written back to
/// `results/<I>/summary.json`.
///
/// # Errors
/// S3 failures, no `go.json` in time, and what [`fleet::prepare`] refuses.
pub async fn worker(
    manifest: &S3Url,
    shard: Shard,
    go_within: Duration,
    tolerance_ms: i64,
    out: PathBuf,
    progress: bool,
) -> crate::Result<RunResult> {
    let s3 = crate::s3::client().await;
    let m = fleet::fetch_manifest(&fleet::Place::S3(manifest.clone())).await?;
    let ran = async {
        let dir = manifest.dir();
        put(
            &s3,
            &manifest.bucket,
            &format!("{dir}ready/{}", shard.index),
            emulator::civil_time::now_ms().to_string().into_bytes(),
        )
        .await?;
        let deadline = Instant::now() + go_within;
        let go = loop {
            if let Some(b) = get(&s3, &manifest.bucket, &format!("{dir}go.json")).await? {
                break serde_json::from_slice::<Go>(&b)
                    .map_err(|e| crate::Error::invalid(format!("{dir}go.json: {e}")))?;
            }
            if Instant::now() >= deadline {
                return Err(crate::Error::invalid(format!(
                    "shard {shard}: no go.json in s3://{}/{dir} within {} s; stopping (the coordinator is gone?)",
                    manifest.bucket,
                    go_within.as_secs()
                )));
            }
            scenarios::nap::<crate::Error>(Duration::from_millis(250)).await?;
        };
        let w = WorkerOptions {
            manifest: m,
            shard,
            start_at_ms: go.start_at_ms,
            tolerance_ms,
            out,
            progress,
            root: crate::binary::workspace_root(),
        };
        fleet::prepare(&w)?;
        let r = fleet::work(&w).await?;
        fleet::upload_result(manifest, shard, &r.summary).await?;
        Ok(r)
    }
    .await;
    // Why it failed, where the coordinator reads it (its task's logs hold
    // the same line): a refusal to start late, an engine failure.
    if let Err(e) = &ran {
        if !matches!(e, crate::Error::Interrupted) {
            let key = error_key(manifest, shard);
            let _ = put(&s3, &manifest.bucket, &key, e.to_string().into_bytes()).await;
        }
    }
    ran
}

/// Where a worker leaves its one-line error: `results/<I>/error.txt`
/// beside the manifest (the task role writes `results/*` only).
fn error_key(manifest: &S3Url, shard: Shard) -> String {
    format!("{}results/{}/error.txt", manifest.dir(), shard.index)
}

/// A started task: its shard and ARN.
struct Task {
    shard: Shard,
    arn: String,
    stopped: bool,
}

/// `harness load --engine ecs --workers N`: the plan's manifest in S3, one
/// Fargate task per shard, go, the shards' reports merged while the run's
/// target stays up.
///
/// # Errors
/// A task that could not start or failed, a fleet not ready in time, S3
/// or ECS failures, a merge that does not add up (each naming the shard).
pub async fn run(
    opts: &LoadOptions,
    file: &PlanFile,
    workers: u32,
    dep: &WorkersDeployment,
) -> crate::Result<RunResult> {
    let job = Job {
        name: "load",
        stack: "jwt-authorizer-load",
        stage: opts.stage,
    };
    let (run, found) = with_run(&opts.target, job, async |run: &Run| {
        let s3 = crate::s3::client().await;
        let ecs = ecs_client().await;
        let dir = format!("runs/{}/", run.id);
        let mut tasks = Vec::new();
        let outcome = coordinate(run, opts, file, workers, dep, &s3, &ecs, &dir, &mut tasks).await;
        // Every way out: no task left running, no tokens left in the bucket.
        for t in tasks.iter().filter(|t| !t.stopped) {
            let _ = ecs
                .stop_task()
                .cluster(&dep.cluster)
                .task(&t.arn)
                .reason(format!("harness load {}: run ended", run.id))
                .send()
                .await;
        }
        let key = format!("{dir}manifest.json");
        if let Err(e) = crate::s3::delete_all_versions(&s3, &dep.bucket, &key).await {
            let _ = run.stages.stage(&format!(
                "the manifest could not be deleted ({e}); it holds valid tokens for minutes: delete s3://{}/{key} and its versions",
                dep.bucket
            ));
        }
        outcome
    })
    .await?;
    Ok(run.result(&opts.target, found))
}

#[allow(clippy::too_many_arguments)]
async fn coordinate(
    run: &Run,
    opts: &LoadOptions,
    file: &PlanFile,
    workers: u32,
    dep: &WorkersDeployment,
    s3: &aws_sdk_s3::Client,
    ecs: &aws_sdk_ecs::Client,
    dir: &str,
    tasks: &mut Vec<Task>,
) -> crate::Result<crate::run::Findings> {
    let p = &run.stages;
    let manifest = fleet::make_manifest(run, &opts.plan, file, workers).await?;
    let url = S3Url {
        bucket: dep.bucket.clone(),
        key: format!("{dir}manifest.json"),
    };
    p.stage(&format!("writing the manifest to {url}"))?;
    put(
        s3,
        &url.bucket,
        &url.key,
        serde_json::to_vec(&manifest).map_err(|e| crate::Error::invalid(e.to_string()))?,
    )
    .await?;
    p.stage(&format!(
        "starting {workers} Fargate tasks (RunTask, one per shard; startedBy {})",
        run.id
    ))?;
    start_tasks(ecs, dep, &run.id, &url, workers, tasks).await?;
    let said = Said { s3, manifest: &url };
    p.stage(&format!(
        "waiting for {workers} ready markers in s3://{}/{dir}ready/",
        dep.bucket
    ))?;
    let deadline = Instant::now() + READY_WITHIN;
    loop {
        watch(ecs, &dep.cluster, tasks, false, &said).await?;
        let ready = crate::s3::list(s3, &dep.bucket, &format!("{dir}ready/")).await?;
        if ready.len() >= workers as usize {
            break;
        }
        if Instant::now() >= deadline {
            return Err(crate::Error::invalid(format!(
                "only {} of {workers} workers were ready within {} s (capacity, quota, image pull?); every task is stopped",
                ready.len(),
                READY_WITHIN.as_secs()
            )));
        }
        scenarios::nap::<crate::Error>(Duration::from_millis(500)).await?;
    }
    let cold = fleet::force_cold(run, &opts.plan).await?;
    let ran = go_and_watch(run, opts, dep, &said, ecs, tasks).await;
    if let Some(c) = cold {
        c.restore().await?;
    }
    ran?;
    let mut parts = Vec::new();
    for t in tasks.iter() {
        let key = format!("{dir}results/{}/summary.json", t.shard.index);
        let text = get(s3, &dep.bucket, &key).await?.ok_or_else(|| {
            crate::Error::invalid(format!(
                "shard {}: no report at s3://{}/{key}",
                t.shard, dep.bucket
            ))
        })?;
        let (_, l) = fleet::parse_shard(&text, &format!("s3://{}/{key}", dep.bucket))?;
        parts.push(l);
    }
    Ok(load::findings(fleet::merge(p, &parts).await?))
}

/// Writes `go.json` with T0 a few seconds ahead and watches the tasks
/// until every one stopped (a failed one fails the run naming its shard).
async fn go_and_watch(
    run: &Run,
    opts: &LoadOptions,
    dep: &WorkersDeployment,
    said: &Said<'_>,
    ecs: &aws_sdk_ecs::Client,
    tasks: &mut [Task],
) -> crate::Result<()> {
    let p = &run.stages;
    let (s3, dir) = (said.s3, said.manifest.dir());
    let lead_ms = fleet::start_lead_ms(&opts.plan);
    let t0 = emulator::civil_time::now_ms() + lead_ms;
    put(
        s3,
        &dep.bucket,
        &format!("{dir}go.json"),
        serde_json::to_vec(&Go { start_at_ms: t0 })
            .map_err(|e| crate::Error::invalid(e.to_string()))?,
    )
    .await?;
    p.stage(&format!(
        "go: T0 in {:.1} s; watching the tasks (DescribeTasks)",
        lead_ms as f64 / 1000.0
    ))?;
    let end = Instant::now()
        + Duration::from_millis(lead_ms as u64)
        + Duration::from_secs_f64(opts.plan.duration_s + 120.0);
    while tasks.iter().any(|t| !t.stopped) {
        watch(ecs, &dep.cluster, tasks, true, said).await?;
        if Instant::now() >= end {
            let left: Vec<String> = tasks
                .iter()
                .filter(|t| !t.stopped)
                .map(|t| t.shard.to_string())
                .collect();
            return Err(crate::Error::invalid(format!(
                "shards {} still running 120 s after the run's end; stopped",
                left.join(", ")
            )));
        }
        scenarios::nap::<crate::Error>(Duration::from_secs(1)).await?;
    }
    Ok(())
}

/// One `RunTask` per shard (its command names it), each task recorded
/// as soon as it exists, so that every way out can stop it.
async fn start_tasks(
    ecs: &aws_sdk_ecs::Client,
    dep: &WorkersDeployment,
    run_id: &str,
    url: &S3Url,
    workers: u32,
    tasks: &mut Vec<Task>,
) -> crate::Result<()> {
    let net = NetworkConfiguration::builder()
        .awsvpc_configuration(
            AwsVpcConfiguration::builder()
                .set_subnets(Some(dep.subnets.clone()))
                .security_groups(&dep.security_group)
                .assign_public_ip(if dep.assign_public_ip {
                    AssignPublicIp::Enabled
                } else {
                    AssignPublicIp::Disabled
                })
                .build()
                .map_err(|e| {
                    crate::Error::invalid(format!("the tasks' network configuration: {e}"))
                })?,
        )
        .build();
    for index in 0..workers {
        let shard = Shard {
            index,
            count: workers,
        };
        let command = vec![
            "load".to_owned(),
            "worker".to_owned(),
            "--manifest".to_owned(),
            url.to_string(),
            "--shard".to_owned(),
            shard.to_string(),
            "--out".to_owned(),
            format!("/work/shard-{index}"),
        ];
        let out = ecs
            .run_task()
            .cluster(&dep.cluster)
            .task_definition(&dep.task_definition)
            .launch_type(LaunchType::Fargate)
            .count(1)
            .started_by(run_id)
            .network_configuration(net.clone())
            .overrides(
                TaskOverride::builder()
                    .container_overrides(
                        ContainerOverride::builder()
                            .name(&dep.container)
                            .set_command(Some(command))
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .map_err(|e| crate::Error::aws_about("ECS", "RunTask", e, format!("shard {shard}")))?;
        if let Some(f) = out.failures().first() {
            return Err(crate::Error::invalid(format!(
                "shard {shard}: ECS did not start its task ({}: {}); every task started is stopped, the run never runs short",
                f.reason().unwrap_or("?"),
                f.detail().unwrap_or("no detail")
            )));
        }
        let arn = out
            .tasks()
            .first()
            .and_then(|t| t.task_arn())
            .ok_or_else(|| {
                crate::Error::invalid(format!("shard {shard}: RunTask returned no task"))
            })?;
        tasks.push(Task {
            shard,
            arn: arn.to_owned(),
            stopped: false,
        });
    }
    Ok(())
}

/// Reads the tasks' states; a task stopped with a failure (or, before
/// `go`, stopped at all) fails the run naming its shard.
async fn watch(
    ecs: &aws_sdk_ecs::Client,
    cluster: &str,
    tasks: &mut [Task],
    after_go: bool,
    said: &Said<'_>,
) -> crate::Result<()> {
    let arns: Vec<String> = tasks
        .iter()
        .filter(|t| !t.stopped)
        .map(|t| t.arn.clone())
        .collect();
    if arns.is_empty() {
        return Ok(());
    }
    for d in &describe(ecs, cluster, arns).await? {
        if d.last_status() != Some("STOPPED") {
            continue;
        }
        let Some(t) = tasks
            .iter_mut()
            .find(|t| Some(t.arn.as_str()) == d.task_arn())
        else {
            continue;
        };
        t.stopped = true;
        let reason = d.stopped_reason().unwrap_or("");
        let code = exit_code(reason).or_else(|| d.containers().first().and_then(|c| c.exit_code()));
        // Exit 1 is a shard whose verdict failed: its report is written.
        let ok = after_go && matches!(code, Some(0 | 1));
        if !ok {
            let why = said.of(t.shard).await;
            return Err(crate::Error::invalid(format!(
                "shard {}: its task stopped{} ({}exit code {}){why}; every task is stopped",
                t.shard,
                if after_go {
                    ""
                } else {
                    " before the run began"
                },
                if reason.is_empty() {
                    String::new()
                } else {
                    format!("{reason}; ")
                },
                code.map_or("unknown".into(), |c| c.to_string())
            )));
        }
    }
    Ok(())
}

/// Where the run's workers leave their errors (see [`error_key`]).
struct Said<'a> {
    s3: &'a aws_sdk_s3::Client,
    manifest: &'a S3Url,
}

impl Said<'_> {
    /// `: the worker said "…"`, or nothing when it left no error.
    async fn of(&self, shard: Shard) -> String {
        let key = error_key(self.manifest, shard);
        match get(self.s3, &self.manifest.bucket, &key).await {
            Ok(Some(b)) => format!("; its worker said: {}", String::from_utf8_lossy(&b).trim()),
            _ => String::new(),
        }
    }
}

/// The tasks `arns` of `cluster`, as `DescribeTasks` tells them.
async fn describe(
    ecs: &aws_sdk_ecs::Client,
    cluster: &str,
    arns: Vec<String>,
) -> crate::Result<Vec<aws_sdk_ecs::types::Task>> {
    let out = ecs
        .describe_tasks()
        .cluster(cluster)
        .set_tasks(Some(arns))
        .send()
        .await
        .map_err(|e| crate::Error::aws_about("ECS", "DescribeTasks", e, cluster))?;
    Ok(out.tasks().to_vec())
}

/// The exit code a stopped reason names (`… (exit code N)`): what the local
/// runner writes, since moto cannot set a container's exit code.
fn exit_code(reason: &str) -> Option<i32> {
    let (_, tail) = reason.rsplit_once("(exit code ")?;
    tail.strip_suffix(')')?.parse().ok()
}

/// `harness ecs-runner`: the data plane for tasks moto records as started
/// (moto runs nothing). Each RUNNING task of `cluster` becomes a process
/// of `exe` with the task's command override as its arguments; when it
/// exits, the task is stopped in moto with its exit code in the reason.
/// moto moves a task to STOPPED on the first `DescribeTasks` unless told
/// otherwise: the runner tells it (state manager, manual progression).
///
/// # Errors
/// moto unreachable; a process that cannot start.
pub async fn runner(
    endpoint: &str,
    cluster: &str,
    exe: &Path,
    faults: Faults,
) -> crate::Result<()> {
    let http = reqwest::Client::new();
    http.post(format!("{endpoint}/moto-api/state-manager/set-transition"))
        .json(&serde_json::json!({
            "model_name": "ecs::task",
            "transition": {"progression": "manual", "times": 1_000_000_000u64}
        }))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| {
            crate::Error::invalid(format!(
                "moto state manager (ecs::task stays RUNNING until stopped): {e}"
            ))
        })?;
    let ecs = aws_sdk_ecs::Client::new(&emulator::sdk::config(Some(endpoint)).await);
    // (task ARN, its network interface, the process)
    let mut running: Vec<(String, Option<String>, std::process::Child)> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut enis: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    let mut stall: Option<Stall> = None;
    let s3 = crate::s3::client().await;
    eprintln!(
        "ecs-runner: running the tasks of {cluster} on {endpoint} as {} processes",
        exe.display()
    );
    loop {
        if scenarios::stop_requested() {
            for (_, _, c) in &mut running {
                let _ = c.kill();
                let _ = c.wait();
            }
            // Every interface of every task it saw, whoever stopped it.
            for eni in &enis {
                delete_eni(&http, endpoint, eni).await;
            }
            return Err(crate::Error::Interrupted);
        }
        let listed = ecs
            .list_tasks()
            .cluster(cluster)
            .send()
            .await
            .map_err(|e| crate::Error::aws_about("ECS", "ListTasks", e, cluster))?;
        let new: Vec<String> = listed
            .task_arns()
            .iter()
            .filter(|a| !seen.contains(*a))
            .cloned()
            .collect();
        if !new.is_empty() {
            for t in &describe(&ecs, cluster, new).await? {
                let Some(arn) = t.task_arn() else { continue };
                seen.insert(arn.to_owned());
                let eni = t
                    .attachments()
                    .iter()
                    .flat_map(|a| a.details())
                    .find(|d| d.name() == Some("networkInterfaceId"))
                    .and_then(|d| d.value())
                    .map(str::to_owned);
                enis.extend(eni.clone());
                if t.last_status() == Some("STOPPED") {
                    if let Some(eni) = &eni {
                        delete_eni(&http, endpoint, eni).await;
                        enis.remove(eni);
                    }
                    continue;
                }
                let child = spawn_task(t, arn, exe, faults.fail_shard)?;
                if let Some(st) = Stall::of(t, &child, faults.stall_shard) {
                    stall = Some(st);
                }
                running.push((arn.to_owned(), eni, child));
            }
        }
        // A task stopped by someone else (the coordinator's StopTask): its
        // container is stopped, as ECS does.
        if !running.is_empty() {
            let arns: Vec<String> = running.iter().map(|r| r.0.clone()).collect();
            for t in &describe(&ecs, cluster, arns).await? {
                if t.last_status() != Some("STOPPED") {
                    continue;
                }
                if let Some(at) = running
                    .iter()
                    .position(|r| Some(r.0.as_str()) == t.task_arn())
                {
                    let (arn, eni, mut child) = running.remove(at);
                    let _ = child.kill();
                    let _ = child.wait();
                    if let Some(eni) = eni {
                        delete_eni(&http, endpoint, &eni).await;
                        enis.remove(&eni);
                    }
                    eprintln!(
                        "ecs-runner: task {arn}: stopped by StopTask; its process is stopped"
                    );
                }
            }
        }
        if let Some(st) = &mut stall {
            if st.step(&s3).await {
                stall = None;
            }
        }
        let mut i = 0;
        while i < running.len() {
            match running[i].2.try_wait() {
                Ok(Some(status)) => {
                    let (arn, eni, _) = running.remove(i);
                    let code = status.code().unwrap_or(128);
                    let _ = ecs
                        .stop_task()
                        .cluster(cluster)
                        .task(&arn)
                        .reason(format!(
                            "Essential container in task exited (exit code {code})"
                        ))
                        .send()
                        .await;
                    // ECS deletes a stopped task's network interface;
                    // moto keeps it, and it would hold the security group.
                    if let Some(eni) = eni {
                        delete_eni(&http, endpoint, &eni).await;
                        enis.remove(&eni);
                    }
                    eprintln!("ecs-runner: task {arn}: exit code {code}");
                }
                _ => i += 1,
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The runner's test faults (hidden flags of `harness ecs-runner`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    /// This shard's task exits 3 at once.
    pub fail_shard: Option<u32>,
    /// This shard's worker is frozen (SIGSTOP) once it is ready, until
    /// T0 + 3 s has passed (SIGCONT): a worker that comes back late.
    pub stall_shard: Option<u32>,
}

/// A worker being held back: frozen once its ready marker is in the
/// bucket, thawed 3 s after the T0 of `go.json` (past the 2 s tolerance).
struct Stall {
    pid: u32,
    manifest: S3Url,
    shard: u32,
    frozen: bool,
}

impl Stall {
    /// The stall of task `t` when it runs `stall_shard`'s worker.
    fn of(
        t: &aws_sdk_ecs::types::Task,
        child: &std::process::Child,
        stall_shard: Option<u32>,
    ) -> Option<Self> {
        let args = t
            .overrides()
            .and_then(|o| o.container_overrides().first())
            .map(|o| o.command().to_vec())?;
        let after = |flag: &str| args.windows(2).find(|w| w[0] == flag).map(|w| w[1].clone());
        let shard: u32 = after("--shard")?.split('/').next()?.parse().ok()?;
        (Some(shard) == stall_shard).then_some(())?;
        Some(Self {
            pid: child.id(),
            manifest: S3Url::parse(&after("--manifest")?).ok()?,
            shard,
            frozen: false,
        })
    }

    /// One look: freeze once ready, thaw once late. Whether it is over.
    async fn step(&mut self, s3: &aws_sdk_s3::Client) -> bool {
        let (bucket, dir) = (&self.manifest.bucket, self.manifest.dir());
        if !self.frozen {
            let ready = format!("{dir}ready/{}", self.shard);
            if let Ok(Some(_)) = get(s3, bucket, &ready).await {
                self.frozen = signal(self.pid, "-STOP");
                eprintln!(
                    "ecs-runner: shard {}: worker {} frozen (test fault)",
                    self.shard, self.pid
                );
            }
            return false;
        }
        let Ok(Some(b)) = get(s3, bucket, &format!("{dir}go.json")).await else {
            return false;
        };
        let Ok(go) = serde_json::from_slice::<Go>(&b) else {
            return false;
        };
        if emulator::civil_time::now_ms() < go.start_at_ms + 3000 {
            return false;
        }
        signal(self.pid, "-CONT");
        eprintln!(
            "ecs-runner: shard {}: worker {} thawed, 3 s after T0",
            self.shard, self.pid
        );
        true
    }
}

/// Sends a signal with kill(1); whether it was delivered.
fn signal(pid: u32, sig: &str) -> bool {
    std::process::Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success())
}

/// The process of one task: `exe` with the task's command override as its
/// arguments and its environment override (or, for `fail_shard`, a
/// process that exits 3 at once: the runner's fault injection).
fn spawn_task(
    t: &aws_sdk_ecs::types::Task,
    arn: &str,
    exe: &Path,
    fail_shard: Option<u32>,
) -> crate::Result<std::process::Child> {
    let o = t.overrides().and_then(|o| o.container_overrides().first());
    let args: Vec<String> = o.map(|o| o.command().to_vec()).unwrap_or_default();
    let env: Vec<(String, String)> = o
        .map(|o| {
            o.environment()
                .iter()
                .filter_map(|kv| Some((kv.name()?.to_owned(), kv.value()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    let fails = fail_shard.is_some_and(|f| {
        args.windows(2)
            .any(|w| w[0] == "--shard" && w[1].split('/').next() == Some(&f.to_string()))
    });
    let mut cmd = if fails {
        // A worker that dies at once (the runner's fault injection).
        let mut c = std::process::Command::new("sh");
        c.args(["-c", "exit 3"]);
        c
    } else {
        let mut c = std::process::Command::new(exe);
        c.args(&args);
        c
    };
    let child = cmd
        .envs(env)
        .stdin(std::process::Stdio::null())
        .spawn()
        .map_err(|e| crate::Error::invalid(format!("starting {}: {e}", exe.display())))?;
    eprintln!(
        "ecs-runner: task {arn}: pid {} {}",
        child.id(),
        args.join(" ")
    );
    Ok(child)
}

/// Deletes a network interface in moto's EC2 (the query API; the harness
/// carries no EC2 SDK for this one call).
async fn delete_eni(http: &reqwest::Client, endpoint: &str, eni: &str) {
    let region = emulator::sdk::region().unwrap_or("us-east-1");
    let r = http
        .post(endpoint)
        .header(
            "Authorization",
            format!("AWS4-HMAC-SHA256 Credential=testing/20260101/{region}/ec2/aws4_request, SignedHeaders=host, Signature=0"),
        )
        .form(&[
            ("Action", "DeleteNetworkInterface"),
            ("Version", "2016-11-15"),
            ("NetworkInterfaceId", eni),
        ])
        .send()
        .await;
    match r {
        Ok(r) if r.status().is_success() => {}
        Ok(r) => {
            let status = r.status();
            let body = r.text().await.unwrap_or_default();
            // Already gone (a task an earlier runner ran): nothing to do.
            if !body.contains("InvalidNetworkInterfaceID.NotFound") {
                eprintln!("ecs-runner: could not delete {eni}: {status} {body}");
            }
        }
        Err(e) => eprintln!("ecs-runner: could not delete {eni}: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_outputs_are_read_at_the_top_or_under_workers_beside_a_deployment() {
        let top = r#"{
          "cluster_arn": {"value": "arn:c"}, "task_definition_arn": {"value": "arn:td"},
          "container_name": {"value": "worker"}, "subnet_ids": {"value": ["s1", "s2"]},
          "security_group_id": {"value": "sg"}, "assign_public_ip": {"value": true},
          "bucket_name": {"value": "b"}
        }"#;
        let w = WorkersDeployment::parse(top, "--workers-deployment w.json").expect("top");
        assert_eq!(
            (
                w.cluster.as_str(),
                w.subnets.len(),
                w.assign_public_ip,
                w.bucket.as_str()
            ),
            ("arn:c", 2, true, "b")
        );
        // One root module: the deployment's outputs and the whole workers
        // module under `workers` (its log_group_name does not shadow the
        // function's).
        let both = r#"{
          "api_endpoint": {"value": "https://x/hello"}, "kms_key_id": {"value": "k"},
          "log_group_name": {"value": "/aws/lambda/fn"},
          "workers": {"value": {"cluster_arn": "arn:c", "task_definition_arn": "arn:td",
            "container_name": "worker", "subnet_ids": ["s1"], "security_group_id": "sg",
            "assign_public_ip": false, "bucket_name": "b", "log_group_name": "/ecs/w"}}
        }"#;
        let w2 = WorkersDeployment::parse(both, "--deployment o.json").expect("nested");
        assert_eq!(
            (w2.cluster, w2.subnets),
            ("arn:c".to_owned(), vec!["s1".to_owned()])
        );
        let d = crate::deployment::Deployment::parse(both).expect("the deployment's own");
        assert_eq!(d.log_group_name.as_deref(), Some("/aws/lambda/fn"));
        // A deployment without the workers: one line naming the flag and
        // the output.
        let e = WorkersDeployment::parse(
            r#"{"api_endpoint": {"value": "https://x/hello"}}"#,
            "--deployment o.json",
        )
        .expect_err("no workers")
        .to_string();
        assert!(
            e.contains("--deployment o.json") && e.contains("cluster_arn"),
            "{e}"
        );
    }

    #[test]
    fn exit_codes_are_read_from_the_stop_reason() {
        assert_eq!(
            exit_code("Essential container in task exited (exit code 3)"),
            Some(3)
        );
        assert_eq!(exit_code("Essential container in task exited"), None);
    }
}
