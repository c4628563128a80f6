//! The open-model load engine behind `harness load`: a goose attack whose
//! users take the next due request from a precomputed plan (send time,
//! token class, `Authorization`), sleep until it is due and send it, so
//! latency is measured from the intended send time. The number of goose
//! users is the cap on requests in flight; when every user is busy, due
//! requests wait and their waiting shows in the latency. A request still
//! unsent when the run's time is up is counted `unsent`, never dropped
//! silently. Nothing is minted here: every token is in the plan already.

use goose::prelude::*;
use reports::hist::{self, Hist};
use reports::load::{ClassStats, Outcomes, Second};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// One planned request.
#[derive(Debug, Clone)]
pub struct Planned {
    /// Due, seconds after the start.
    pub at: f64,
    /// Index into the run's class names.
    pub class: u16,
    /// The `Authorization` value (`None`: no header).
    pub authorization: Option<Arc<str>>,
    /// Whether it must be allowed (2xx) — else denied (401/403).
    pub allow: bool,
}

/// One answered (or failed) request.
#[derive(Debug, Clone, Copy)]
pub struct Done {
    /// Index into the plan.
    pub n: u32,
    /// HTTP status (0: no response).
    pub status: u16,
    /// From the intended send time to the end of the response, µs.
    pub latency_us: u64,
    /// From the intended send time to the send, µs: the generator's own
    /// delay (busy users, a starved CPU), not the API's.
    pub send_lag_us: u64,
    /// When the response ended, seconds after the start.
    pub done_at: f64,
}

/// Counters a progress display reads while the run goes on.
#[derive(Debug)]
pub struct Live {
    /// Requests sent.
    pub sent: AtomicU64,
    /// Responses received (or failed).
    pub done: AtomicU64,
    /// 5xx, transport errors and wrong decisions so far.
    pub errors: AtomicU64,
    /// 429s so far.
    pub throttled: AtomicU64,
    /// Latencies since the display last took them.
    pub window: Mutex<Hist>,
    pub(crate) started: OnceLock<Instant>,
    /// Every answer so far, in completion order ([`Live::answered`]).
    answers: Mutex<Vec<Done>>,
    /// Requests due at or after this many seconds are not sent (f64 bits;
    /// infinity: none cut).
    cut_at: AtomicU64,
}

impl Default for Live {
    fn default() -> Self {
        Self {
            sent: AtomicU64::new(0),
            done: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
            window: Mutex::new(hist::new_hist()),
            started: OnceLock::new(),
            answers: Mutex::new(Vec::new()),
            cut_at: AtomicU64::new(f64::INFINITY.to_bits()),
        }
    }
}

impl Live {
    /// Seconds since the first request was due (0 before).
    pub fn elapsed(&self) -> f64 {
        self.started
            .get()
            .map_or(0.0, |s| s.elapsed().as_secs_f64().max(0.0))
    }

    /// Counts one sent and answered request (`error`: a failure or a
    /// wrong decision; a 429 is counted apart).
    pub fn count(&self, status: u16, error: bool, latency_ms: f64) {
        self.sent.fetch_add(1, Ordering::Relaxed);
        self.done.fetch_add(1, Ordering::Relaxed);
        if status == 429 {
            self.throttled.fetch_add(1, Ordering::Relaxed);
        } else if error {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
        if let Ok(mut w) = self.window.lock() {
            hist::record(&mut w, (latency_ms * 1000.0) as u64);
        }
    }

    /// Fixes when request 0 is due: `at`, rather than just after the
    /// users are launched (a shard starting at an agreed wall-clock time).
    /// Call it before [`run`]; a later call changes nothing.
    pub fn start_at(&self, at: Instant) {
        let _ = self.started.set(at);
    }

    /// When request 0 was due (`None` before the run began).
    pub fn started_at(&self) -> Option<Instant> {
        self.started.get().copied()
    }

    /// The answers so far (a copy), for a caller that judges a run while
    /// it goes on.
    pub fn answered(&self) -> Vec<Done> {
        self.answers.lock().map(|d| d.clone()).unwrap_or_default()
    }

    /// Ends the run early: no request due at or after `at` s is sent (each
    /// is counted unsent), and the attack stops at once — goose's kill
    /// switch, which [`crate::stop::stop_requested`] does not read.
    pub fn cut(&self, at: f64) {
        self.cut_at.store(at.to_bits(), Ordering::SeqCst);
        goose::trigger_killswitch("the run was cut short by its caller");
    }

    fn is_cut(&self, at: f64) -> bool {
        at >= f64::from_bits(self.cut_at.load(Ordering::SeqCst))
    }

    /// The window's p99 in ms, and empties it.
    pub fn take_p99_ms(&self) -> f64 {
        self.window.lock().map_or(0.0, |mut h| {
            let p = hist::ms_at(&h, 99.0);
            h.reset();
            p
        })
    }
}

struct Run {
    path: String,
    plan: Arc<Vec<Planned>>,
    next: AtomicUsize,
    lead: Duration,
    end: Duration,
    live: Arc<Live>,
}

/// What a run sent and got.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// One entry per request sent, in completion order.
    pub done: Vec<Done>,
    /// Planned requests never sent (the cap was reached and time ran out).
    pub unsent: u64,
}

/// Seconds from the start of a run to the launch of its last user (request
/// 0 is due then, unless fixed by [`Live::start_at`]).
pub fn launch_s(max_in_flight: usize) -> f64 {
    let users = max_in_flight.clamp(1, 4096) as f64;
    users / (users * 20.0).max(100.0) + 0.2
}

/// Runs `plan` against `url` with at most `max_in_flight` requests at once.
///
/// # Errors
/// A bad URL or a goose error.
pub async fn run(
    url: &str,
    plan: Arc<Vec<Planned>>,
    max_in_flight: usize,
    live: Arc<Live>,
) -> Result<Recorded, crate::error::Error> {
    let (host, path) = crate::attack::split_url(url)?;
    let users = max_in_flight.clamp(1, 4096);
    let last = plan.last().map_or(0.0, |p| p.at);
    let hatch = (users as f64 * 20.0).max(100.0);
    // Request 0 is due once every user is launched, or when the caller
    // fixed it ([`Live::start_at`]).
    let lead = match live.started.get() {
        Some(at) => at.saturating_duration_since(Instant::now()),
        None => Duration::from_secs_f64(launch_s(max_in_flight)),
    };
    let end = lead + Duration::from_secs_f64(last + 2.0);
    if let Ok(mut d) = live.answers.lock() {
        d.reserve(plan.len());
    }
    let run = Arc::new(Run {
        path,
        plan: Arc::clone(&plan),
        next: AtomicUsize::new(0),
        lead,
        end,
        live,
    });
    let r = Arc::clone(&run);
    let tx = Transaction::new(Arc::new(move |user: &mut GooseUser| {
        let r = Arc::clone(&r);
        Box::pin(async move { one(&r, user).await })
    }))
    .set_name("load");
    crate::attack::attack(
        "load",
        &host,
        users,
        &hatch.to_string(),
        end.as_secs() as usize + 1,
        tx,
    )
    .await?;
    let done = run.live.answered();
    let unsent = plan.len().saturating_sub(done.len()) as u64;
    Ok(Recorded { done, unsent })
}

async fn one(r: &Run, user: &mut GooseUser) -> TransactionResult {
    let start = *r.live.started.get_or_init(|| Instant::now() + r.lead);
    let n = r.next.fetch_add(1, Ordering::SeqCst);
    let Some(p) = r.plan.get(n) else {
        // Nothing left: idle in short naps so the attack ends on time.
        // (never 0: past the end, goose's own timer is the one to stop it).
        let left = (start + r.end).saturating_duration_since(Instant::now());
        tokio::time::sleep(left.clamp(Duration::from_millis(50), Duration::from_millis(200))).await;
        return Ok(());
    };
    if r.live.is_cut(p.at) {
        return Ok(());
    }
    let intended = start + Duration::from_secs_f64(p.at);
    // Wait until due in naps of at most 200 ms, so Ctrl-C ends a slow plan
    // (users hold requests due seconds ahead) at once.
    loop {
        if goose::is_killswitch_triggered() {
            return Ok(());
        }
        let now = Instant::now();
        if intended <= now {
            break;
        }
        tokio::time::sleep((intended - now).min(Duration::from_millis(200))).await;
    }
    r.live.sent.fetch_add(1, Ordering::Relaxed);
    let send_lag_us = intended.elapsed().as_micros() as u64;
    let mut rb = user.get_request_builder(&GooseMethod::Get, &r.path)?;
    if let Some(a) = &p.authorization {
        rb = rb.header("authorization", a.as_ref());
    }
    let req = GooseRequest::builder().set_request_builder(rb).build();
    let status = match user.request(req).await {
        Ok(resp) => resp
            .response
            .as_ref()
            .map(|r| r.status().as_u16())
            .unwrap_or(0),
        Err(_) => 0,
    };
    let latency_us = intended.elapsed().as_micros() as u64;
    let live = &r.live;
    live.done.fetch_add(1, Ordering::Relaxed);
    if status == 429 {
        live.throttled.fetch_add(1, Ordering::Relaxed);
    } else if !decision_ok(status, p.allow) {
        live.errors.fetch_add(1, Ordering::Relaxed);
    }
    if let Ok(mut w) = live.window.lock() {
        hist::record(&mut w, latency_us);
    }
    if let Ok(mut d) = live.answers.lock() {
        d.push(Done {
            n: n as u32,
            status,
            latency_us,
            send_lag_us,
            done_at: start.elapsed().as_secs_f64(),
        });
    }
    Ok(())
}

/// Whether `status` is a decision: 2xx (allowed), 401 or 403 (denied).
pub fn is_decision(status: u16) -> bool {
    matches!(status, 200..=299 | 401 | 403)
}

/// Whether `status` is the expected decision (429 is neither: callers
/// count it apart).
pub fn decision_ok(status: u16, allow: bool) -> bool {
    match status {
        200..=299 => allow,
        401 | 403 => !allow,
        _ => false,
    }
}

/// The figures of a run, by intended send time.
#[derive(Debug, Clone)]
pub struct Tally {
    /// Per class (name → stats), requests due at or after the warm-up.
    pub classes: BTreeMap<String, ClassStats>,
    /// Per second of the run.
    pub seconds: Vec<Second>,
    /// Every class merged, measured window.
    pub all: Hist,
    /// Outcomes in the measured window.
    pub outcomes: Outcomes,
    /// Wrong decisions in the measured window: a 2xx where a deny was
    /// expected, a 401/403 where an allow was (5xx, transport errors and
    /// 429s are not decisions; they are in `outcomes`).
    pub wrong: u64,
    /// Responses that ended inside the measured window, per second of it.
    pub achieved_rps: f64,
    /// Requests due in the measured window, per second of it.
    pub planned_rps: f64,
    /// How late each request of the run was sent against its intended
    /// time (warm-up included).
    pub send_lag: Hist,
}

/// The part of a run that is one step: the requests `range` of `plan`
/// and their answers in `done`, re-based to the step's start `from` s, so
/// [`tally`] reads the step as if it had run alone (its offset is `from`).
/// `unsent`: the step's requests without an answer.
pub fn step_view(
    plan: &[Planned],
    done: &[Done],
    range: std::ops::Range<usize>,
    from: f64,
) -> (Vec<Planned>, Recorded) {
    let lo = range.start;
    let steps: Vec<Planned> = plan[range.clone()]
        .iter()
        .map(|p| Planned {
            at: p.at - from,
            ..p.clone()
        })
        .collect();
    let answered: Vec<Done> = done
        .iter()
        .filter(|d| range.contains(&(d.n as usize)))
        .map(|d| Done {
            n: d.n - lo as u32,
            done_at: d.done_at - from,
            ..*d
        })
        .collect();
    let unsent = steps.len().saturating_sub(answered.len()) as u64;
    (
        steps,
        Recorded {
            done: answered,
            unsent,
        },
    )
}

/// Tallies `rec` of `plan`: per class and per second histograms and
/// outcomes; requests due before `warmup` s appear in the per-second
/// series only. `offset` shifts the seconds (a step after earlier ones).
/// The histograms stay in memory; the summary serialises them once.
pub fn tally(
    plan: &[Planned],
    classes: &[String],
    rec: &Recorded,
    warmup: f64,
    duration: f64,
    offset: u32,
) -> Tally {
    let secs = duration.ceil().max(1.0) as usize;
    let mut per_sec: Vec<(u64, Outcomes, Hist)> = (0..secs)
        .map(|_| (0, Outcomes::default(), hist::new_hist()))
        .collect();
    for p in plan {
        if let Some(s) = per_sec.get_mut(p.at as usize) {
            s.0 += 1;
        }
    }
    let mut by_class: Vec<(u64, u64, Hist)> =
        classes.iter().map(|_| (0, 0, hist::new_hist())).collect();
    let (mut all, mut outcomes, mut wrong, mut achieved) =
        (hist::new_hist(), Outcomes::default(), 0u64, 0u64);
    let mut send_lag = hist::new_hist();
    for d in &rec.done {
        let Some(p) = plan.get(d.n as usize) else {
            continue;
        };
        hist::record(&mut send_lag, d.send_lag_us);
        if let Some(s) = per_sec.get_mut(p.at as usize) {
            s.1.count(d.status);
            hist::record(&mut s.2, d.latency_us);
        }
        if d.done_at >= warmup && d.done_at < duration {
            achieved += 1;
        }
        if p.at < warmup {
            continue;
        }
        // Only a decision can be wrong: a 5xx or a transport error is an
        // error (in `outcomes`), a 429 throttling.
        let bad = is_decision(d.status) && !decision_ok(d.status, p.allow);
        if let Some(c) = by_class.get_mut(usize::from(p.class)) {
            c.0 += 1;
            c.1 += u64::from(bad);
            hist::record(&mut c.2, d.latency_us);
        }
        hist::record(&mut all, d.latency_us);
        outcomes.count(d.status);
        wrong += u64::from(bad);
    }
    let window = (duration - warmup).max(1e-9);
    let planned = plan
        .iter()
        .filter(|p| p.at >= warmup && p.at < duration)
        .count();
    let mut class_stats = BTreeMap::new();
    for (name, (n, bad, h)) in classes.iter().zip(by_class) {
        if n == 0 {
            continue;
        }
        class_stats.insert(
            name.clone(),
            ClassStats {
                requests: n,
                wrong_decisions: bad,
                histogram: h,
            },
        );
    }
    let seconds = per_sec
        .into_iter()
        .enumerate()
        .map(|(t, (planned, outcomes, h))| Second {
            t: offset + t as u32,
            planned,
            outcomes,
            histogram: h,
            invocations: None,
            cold_starts: None,
        })
        .collect();
    Tally {
        classes: class_stats,
        seconds,
        all,
        outcomes,
        wrong,
        achieved_rps: achieved as f64 / window,
        planned_rps: planned as f64 / window,
        send_lag,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_view_reads_one_step_as_if_it_ran_alone() {
        // Two steps of 2 s back to back: 10 requests each.
        let plan: Vec<Planned> = (0..20)
            .map(|i| Planned {
                at: f64::from(i) * 0.2,
                class: 0,
                authorization: None,
                allow: true,
            })
            .collect();
        // Every request answered 10 ms after it was due but the last.
        let done: Vec<Done> = (0..19u32)
            .map(|n| Done {
                n,
                status: 200,
                latency_us: 10_000,
                send_lag_us: 0,
                done_at: f64::from(n) * 0.2 + 0.01,
            })
            .collect();
        let (pl, rec) = step_view(&plan, &done, 10..20, 2.0);
        assert_eq!(pl.len(), 10);
        assert!((pl[0].at).abs() < 1e-9 && (pl[9].at - 1.8).abs() < 1e-9);
        assert_eq!(rec.done.len(), 9);
        assert_eq!(rec.done[0].n, 0);
        assert!((rec.done[0].done_at - 0.01).abs() < 1e-9);
        assert_eq!(rec.unsent, 1, "the unanswered one");
        let t = tally(&pl, &["a".into()], &rec, 0.0, 2.0, 2);
        assert_eq!(t.seconds.iter().map(|s| s.t).collect::<Vec<_>>(), [2, 3]);
        assert_eq!(t.outcomes.total(), 9);
    }

    #[test]
    fn tally_splits_classes_seconds_and_the_warm_up() {
        let plan: Vec<Planned> = (0..40)
            .map(|i| Planned {
                at: f64::from(i) * 0.1,
                class: (i % 2) as u16,
                authorization: None,
                allow: i % 2 == 0,
            })
            .collect();
        let done: Vec<Done> = (0..40u32)
            .map(|n| Done {
                n,
                // class 0 (allow) gets 200; class 1 (deny) gets 401, one 200 (wrong), one 429.
                // class 0 (allow): 200, one 503 and one transport error (0);
                // class 1 (deny): 401, one 200 (wrong), one 429.
                status: match n {
                    12 => 503,
                    14 => 0,
                    n if n % 2 == 0 => 200,
                    31 => 200,
                    33 => 429,
                    _ => 401,
                },
                latency_us: 1000 + u64::from(n),
                send_lag_us: u64::from(n % 3) * 100,
                done_at: f64::from(n) * 0.1 + 0.001,
            })
            .collect();
        let rec = Recorded { done, unsent: 0 };
        let t = tally(&plan, &["a".into(), "b".into()], &rec, 1.0, 4.0, 0);
        assert_eq!(t.seconds.len(), 4);
        assert!(t.seconds.iter().all(|s| s.planned == 10));
        assert_eq!(
            t.seconds[0].outcomes.total(),
            10,
            "warm-up stays in the series"
        );
        assert_eq!(t.classes["a"].requests, 15);
        assert_eq!(t.classes["b"].requests, 15);
        assert_eq!(t.classes["b"].wrong_decisions, 1, "the 200, not the 429");
        // A 5xx and a transport error are errors, counted once, never
        // wrong decisions.
        assert_eq!(t.classes["a"].wrong_decisions, 0, "the 503 and the 0");
        assert_eq!(t.wrong, 1);
        assert_eq!(t.outcomes.server_error, 1);
        assert_eq!(t.outcomes.transport_error, 1);
        assert_eq!(t.outcomes.throttled, 1);
        assert!((t.planned_rps - 10.0).abs() < 1e-9);
        assert!((t.achieved_rps - 10.0).abs() < 1e-9);
        assert_eq!(t.all.len(), 30);
        // The send lag counts every request sent, warm-up included.
        assert_eq!(t.send_lag.len(), 40);
        assert_eq!(t.send_lag.max(), 200);
    }
}
