//! A load run in `summary.json` (`harness load`): the plan, one histogram
//! per token class (the measured window, warm-up excluded), and per second
//! of the run a histogram and the count of each outcome; cold starts and
//! authorizer invocations per second when the function's logs were read.
//! Every histogram is held in memory while a run goes on and written in the
//! standard serialised form ([`crate::hist`]) with the summary.

use crate::hist::{self, Hist};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Responses by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcomes {
    /// 2xx.
    pub ok: u64,
    /// 401.
    pub unauthorized: u64,
    /// 403.
    pub forbidden: u64,
    /// 429 (throttling; never a wrong decision).
    pub throttled: u64,
    /// 5xx.
    pub server_error: u64,
    /// Any other status.
    pub other: u64,
    /// No response (connection refused, reset, timeout).
    pub transport_error: u64,
}

impl Outcomes {
    /// Counts one response (`0`: no response).
    pub fn count(&mut self, status: u16) {
        let slot = match status {
            0 => &mut self.transport_error,
            200..=299 => &mut self.ok,
            401 => &mut self.unauthorized,
            403 => &mut self.forbidden,
            429 => &mut self.throttled,
            500..=599 => &mut self.server_error,
            _ => &mut self.other,
        };
        *slot += 1;
    }

    /// Every response.
    pub fn total(&self) -> u64 {
        self.ok
            + self.unauthorized
            + self.forbidden
            + self.throttled
            + self.server_error
            + self.other
            + self.transport_error
    }

    /// Adds `o`.
    pub fn add(&mut self, o: &Outcomes) {
        self.ok += o.ok;
        self.unauthorized += o.unauthorized;
        self.forbidden += o.forbidden;
        self.throttled += o.throttled;
        self.server_error += o.server_error;
        self.other += o.other;
        self.transport_error += o.transport_error;
    }

    /// `(label, count)` in a fixed order (the stacked chart's).
    pub fn labelled(&self) -> [(&'static str, u64); 7] {
        [
            ("2xx", self.ok),
            ("401", self.unauthorized),
            ("403", self.forbidden),
            ("429", self.throttled),
            ("5xx", self.server_error),
            ("other status", self.other),
            ("transport error", self.transport_error),
        ]
    }
}

/// One second of the run (by intended send time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Second {
    /// Seconds since the run's start.
    pub t: u32,
    /// Requests the plan scheduled in this second.
    pub planned: u64,
    /// Responses by outcome.
    pub outcomes: Outcomes,
    /// Latency histogram of this second (µs; serialised in `summary.json`).
    #[serde(with = "crate::hist::text")]
    pub histogram: Hist,
    /// Authorizer invocations (decision lines in the log group), when read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocations: Option<u64>,
    /// Cold starts (reports with an Init Duration), when read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cold_starts: Option<u64>,
}

/// One token class over the measured window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassStats {
    /// Requests sent.
    pub requests: u64,
    /// Responses whose decision was not the expected one (429 aside).
    pub wrong_decisions: u64,
    /// Latency histogram (µs; serialised in `summary.json`).
    #[serde(with = "crate::hist::text")]
    pub histogram: Hist,
}

/// One step of a stepped plan (`knee`, `steps`, `scaling`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepStats {
    /// Planned rate, req/s.
    pub rate: f64,
    /// Seconds since the run's start when the step began.
    pub start_s: f64,
    /// Length, s.
    pub seconds: f64,
    /// Responses per second received in the step.
    pub achieved_rps: f64,
    /// p99 latency, ms.
    pub p99_ms: f64,
    /// 5xx, transport errors and wrong decisions.
    pub errors: u64,
    /// 429s.
    pub throttled: u64,
    /// Whether the step held (knee: p99 within the bound, no errors).
    pub held: bool,
    /// Why it did not hold (empty when it did).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub why: String,
}

/// A load run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadReport {
    /// `constant`, `ramp`, `steps`, `spike`, `knee` or `scaling`.
    pub profile: String,
    /// The plan as run (arrival, duration, mix, caps), as text.
    pub plan: BTreeMap<String, String>,
    /// Seconds at the start excluded from the figures.
    pub warmup_s: f64,
    /// Per token class (measured window).
    pub classes: BTreeMap<String, ClassStats>,
    /// Per second of the run (warm-up included, marked by `warmup_s`).
    pub seconds: Vec<Second>,
    /// Stepped plans: one entry per step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<StepStats>,
    /// Init Duration of each cold start in the run, ms (from the logs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_durations_ms: Option<Vec<f64>>,
    /// The stage's steady-state rate limit, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage_rate: Option<f64>,
    /// The stage's burst, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage_burst: Option<f64>,
    /// The p99 a step must stay within (the knee), ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99_bound_ms: Option<f64>,
    /// The part of a sharded plan this report holds (absent: the whole
    /// plan, on one generator).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardTag>,
    /// A merged report: each shard's tag, by index.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shards: Vec<ShardTag>,
}

/// Which shard of which plan a report holds ([`crate::merge`]), and how
/// its generator ran it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardTag {
    /// From 0 to `count - 1`: the shard sent arrivals `n` with
    /// `n mod count == index`.
    pub index: u32,
    /// How many shards the plan was split into.
    pub count: u32,
    /// A digest of the whole plan's schedule, the same in every shard.
    pub schedule: String,
    /// When request 0 of the whole plan was due (T0), epoch ms.
    #[serde(default)]
    pub start_ms: i64,
    /// How long after T0 the generator was ready to send, ms (0: on time).
    #[serde(default)]
    pub late_start_ms: f64,
    /// The shard's requests.
    #[serde(default)]
    pub planned: u64,
    /// … of which never sent.
    #[serde(default)]
    pub unsent: u64,
    /// Responses ended in the measured window, per second of it.
    #[serde(default)]
    pub achieved_rps: f64,
    /// Requests due in the measured window, per second of it.
    #[serde(default)]
    pub planned_rps: f64,
    /// Outcomes in the measured window.
    #[serde(default)]
    pub outcomes: Outcomes,
    /// How late each request was sent against its intended time, µs: a
    /// generator that could not keep up shows here, not as a slow API.
    #[serde(with = "crate::hist::text", default = "hist::new_hist")]
    pub send_lag: Hist,
    /// The generator's clock against the target's (HTTP `Date`).
    #[serde(default)]
    pub clock: String,
    /// The function's log group (read once, by the merge).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_group: Option<String>,
}

impl ShardTag {
    /// A tag with only the shard's identity (the rest zero).
    pub fn new(index: u32, count: u32, schedule: impl Into<String>) -> Self {
        Self {
            index,
            count,
            schedule: schedule.into(),
            start_ms: 0,
            late_start_ms: 0.0,
            planned: 0,
            unsent: 0,
            achieved_rps: 0.0,
            planned_rps: 0.0,
            outcomes: Outcomes::default(),
            send_lag: hist::new_hist(),
            clock: String::new(),
            log_group: None,
        }
    }

    /// `I/N`.
    pub fn label(&self) -> String {
        format!("{}/{}", self.index, self.count)
    }
}

impl LoadReport {
    /// Every class merged (the measured window).
    ///
    /// # Errors
    /// A class histogram outside the standard bounds.
    pub fn all_classes(&self) -> Result<Hist, crate::error::Error> {
        let mut all = hist::new_hist();
        for c in self.classes.values() {
            hist::merge(&mut all, &c.histogram)?;
        }
        Ok(all)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A load report with every kind of data (shared with the charts' tests).
    pub(crate) fn report() -> LoadReport {
        let mut h = hist::new_hist();
        for v in 1..=10_000u64 {
            hist::record(&mut h, v * 10);
        }
        let mut o = Outcomes::default();
        for s in [200, 200, 401, 403, 429, 503, 0, 404] {
            o.count(s);
        }
        LoadReport {
            profile: "constant".into(),
            plan: BTreeMap::new(),
            warmup_s: 0.0,
            classes: BTreeMap::from([(
                "valid_repeat".into(),
                ClassStats {
                    requests: 10_000,
                    wrong_decisions: 0,
                    histogram: h.clone(),
                },
            )]),
            seconds: vec![Second {
                t: 0,
                planned: 8,
                outcomes: o,
                histogram: h,
                invocations: Some(2),
                cold_starts: Some(1),
            }],
            steps: Vec::new(),
            init_durations_ms: Some(vec![12.0, 30.0]),
            stage_rate: Some(5.0),
            stage_burst: Some(5.0),
            p99_bound_ms: None,
            shard: None,
            shards: Vec::new(),
        }
    }

    #[test]
    fn outcomes_are_counted_by_status_class() {
        let r = report();
        let o = r.seconds[0].outcomes;
        assert_eq!(
            (o.ok, o.unauthorized, o.forbidden, o.throttled),
            (2, 1, 1, 1)
        );
        assert_eq!((o.server_error, o.transport_error, o.other), (1, 1, 1));
        assert_eq!(o.total(), 8);
    }

    #[test]
    fn histograms_are_written_in_the_standard_text_form_and_read_back_once() {
        let r = report();
        let json = serde_json::to_value(&r).expect("serialise");
        // In the file: the V2 + deflate base64 text (`HISTFAAA…`).
        let text = json["classes"]["valid_repeat"]["histogram"]
            .as_str()
            .expect("a string");
        assert!(text.starts_with("HISTFAAA"), "{text}");
        assert_eq!(
            hist::decode(text).expect("decodes"),
            r.classes["valid_repeat"].histogram
        );
        // Read back: the same report, histograms included.
        let back: LoadReport = serde_json::from_value(json.clone()).expect("read back");
        assert_eq!(back, r);
        // A histogram that is not one fails the read, naming why.
        let mut bad = json;
        bad["seconds"][0]["histogram"] = "not a histogram".into();
        let e = serde_json::from_value::<LoadReport>(bad).expect_err("refused");
        assert!(e.to_string().contains("histogram"), "{e}");
    }
}
