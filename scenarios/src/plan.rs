//! A load plan: an arrival profile (constant, ramp, steps, spike), a
//! length, a warm-up excluded from the figures, a cap on requests in flight
//! and a token mix; or one of two presets — `knee` (steps up until p99
//! exceeds a bound or errors appear) and `scaling` (a step from a low to a
//! high rate from cold environments). Read from a plan file (`--plan`) with
//! flags applied over it, and validated once, each refusal naming its field
//! or flag; and the deterministic draw of each request's token class.

use crate::arrival::Arrival;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The token mix: weights per family, and for valid tokens the share of
/// repeats (a few tokens sent again and again: API Gateway cache hits
/// after their first use) against fresh ones (each used once: a miss).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mix {
    /// Weight of valid tokens.
    #[serde(default = "w70")]
    pub valid: u32,
    /// Weight of expired tokens (the catalog's).
    #[serde(default = "w10")]
    pub expired: u32,
    /// Weight of forged tokens (the catalog's).
    #[serde(default = "w10")]
    pub forged: u32,
    /// Weight of malformed tokens (the catalog's, those HTTP can carry).
    #[serde(default = "w10")]
    pub malformed: u32,
    /// Share of valid requests that repeat a token (0–1).
    #[serde(default = "repeat_default")]
    pub repeat: f64,
    /// How many distinct repeated tokens.
    #[serde(default = "repeat_tokens_default")]
    pub repeat_tokens: usize,
}

const fn w70() -> u32 {
    70
}
const fn w10() -> u32 {
    10
}
const fn repeat_default() -> f64 {
    0.9
}
const fn repeat_tokens_default() -> usize {
    16
}

impl Default for Mix {
    fn default() -> Self {
        Self {
            valid: 70,
            expired: 10,
            forged: 10,
            malformed: 10,
            repeat: 0.9,
            repeat_tokens: 16,
        }
    }
}

impl Mix {
    /// Parses `valid=70,expired=10,forged=10,malformed=10` (families not
    /// named keep their weight).
    ///
    /// # Errors
    /// An unknown family or a weight that is not a whole number.
    pub fn with_weights(mut self, text: &str) -> crate::error::Result<Self> {
        for part in text.split(',').filter(|p| !p.trim().is_empty()) {
            let (name, w) = part.split_once('=').ok_or_else(|| {
                crate::error::Error::plan(format!("--mix {part}: expected FAMILY=WEIGHT"))
            })?;
            let w: u32 = w.trim().parse().map_err(|_| {
                crate::error::Error::plan(format!(
                    "--mix {part}: the weight must be a whole number"
                ))
            })?;
            match name.trim() {
                "valid" => self.valid = w,
                "expired" => self.expired = w,
                "forged" => self.forged = w,
                "malformed" => self.malformed = w,
                other => {
                    return Err(crate::error::Error::plan(format!(
                        "--mix: unknown family {other:?} (valid, expired, forged, malformed)"
                    )))
                }
            }
        }
        Ok(self)
    }

    fn validate(&self) -> crate::error::Result<()> {
        if self.valid + self.expired + self.forged + self.malformed == 0 {
            return Err(crate::error::Error::plan("mix: every weight is 0"));
        }
        if !(0.0..=1.0).contains(&self.repeat) {
            return Err(crate::error::Error::plan(format!(
                "--repeat must be in 0..1, got {}",
                self.repeat
            )));
        }
        if self.repeat > 0.0 && self.repeat_tokens == 0 {
            return Err(crate::error::Error::plan(
                "mix.repeat_tokens must be ≥ 1 when repeat > 0",
            ));
        }
        Ok(())
    }
}

/// The `knee` preset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Knee {
    /// First step's rate, req/s.
    #[serde(default = "knee_start")]
    pub start_rate: f64,
    /// Each step's rate is the previous one's times this.
    #[serde(default = "knee_factor")]
    pub factor: f64,
    /// Step length, s.
    #[serde(default = "knee_step")]
    pub step_s: f64,
    /// Highest rate tried, req/s.
    #[serde(default = "knee_max")]
    pub max_rate: f64,
    /// A step holds while its p99 stays at or below this, ms.
    #[serde(default = "knee_p99")]
    pub p99_ms: f64,
    /// … and its errors (5xx, transport, wrong decisions, 429) stay at or
    /// below this fraction.
    #[serde(default = "knee_errors")]
    pub max_error_fraction: f64,
}

const fn knee_start() -> f64 {
    100.0
}
const fn knee_factor() -> f64 {
    1.5
}
const fn knee_step() -> f64 {
    5.0
}
const fn knee_max() -> f64 {
    20_000.0
}
const fn knee_p99() -> f64 {
    50.0
}
const fn knee_errors() -> f64 {
    0.001
}

impl Default for Knee {
    fn default() -> Self {
        Self {
            start_rate: knee_start(),
            factor: knee_factor(),
            step_s: knee_step(),
            max_rate: knee_max(),
            p99_ms: knee_p99(),
            max_error_fraction: knee_errors(),
        }
    }
}

/// The `scaling` preset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scaling {
    /// Rate before the step, req/s.
    #[serde(default = "scaling_low")]
    pub low_rate: f64,
    /// Seconds at the low rate.
    #[serde(default = "scaling_low_s")]
    pub low_s: f64,
    /// Rate after the step, req/s.
    #[serde(default = "scaling_high")]
    pub high_rate: f64,
    /// Seconds at the high rate.
    #[serde(default = "scaling_high_s")]
    pub high_s: f64,
}

const fn scaling_low() -> f64 {
    20.0
}
const fn scaling_low_s() -> f64 {
    5.0
}
const fn scaling_high() -> f64 {
    400.0
}
const fn scaling_high_s() -> f64 {
    10.0
}

impl Scaling {
    /// The low rate, then the step to the high rate.
    pub fn steps(&self) -> [crate::arrival::Step; 2] {
        [
            crate::arrival::Step {
                rate: self.low_rate,
                seconds: self.low_s,
            },
            crate::arrival::Step {
                rate: self.high_rate,
                seconds: self.high_s,
            },
        ]
    }
}

impl Default for Scaling {
    fn default() -> Self {
        Self {
            low_rate: scaling_low(),
            low_s: scaling_low_s(),
            high_rate: scaling_high(),
            high_s: scaling_high_s(),
        }
    }
}

/// A plan file (`--plan load.toml`); every field optional, flags override.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanFile {
    /// `knee` or `scaling` (a preset), or leave out and give `arrival`.
    pub profile: Option<String>,
    /// The arrival profile (`kind` = constant, ramp, steps or spike).
    pub arrival: Option<Arrival>,
    /// Run length, s (default: the profile's own, else 60).
    pub duration_s: Option<f64>,
    /// Seconds at the start excluded from the figures.
    pub warmup_s: Option<f64>,
    /// Most requests in flight at once (goose users).
    pub max_in_flight: Option<usize>,
    /// Most fresh tokens minted for one run.
    pub max_fresh_tokens: Option<usize>,
    /// The token mix.
    pub mix: Option<Mix>,
    /// The `knee` preset's settings.
    pub knee: Option<Knee>,
    /// The `scaling` preset's settings.
    pub scaling: Option<Scaling>,
}

impl PlanFile {
    /// Reads a plan file.
    ///
    /// # Errors
    /// Unreadable or not a plan, with the path and TOML's message.
    pub fn read(path: &std::path::Path) -> crate::error::Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| crate::error::Error::PlanFile {
            path: path.to_owned(),
            source: e,
        })?;
        toml::from_str(&text).map_err(|e| {
            crate::error::Error::plan(format!(
                "--plan {}: {}",
                path.display(),
                e.to_string().replace('\n', " ")
            ))
        })
    }
}

/// What a run does.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// One arrival profile.
    Profile(Arrival),
    /// Steps up until one does not hold.
    Knee(Knee),
    /// Low rate, then a step to a high rate, from a cold start.
    Scaling(Scaling),
}

/// A validated plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// What runs.
    pub shape: Shape,
    /// Length, s (knee: per step).
    pub duration_s: f64,
    /// Excluded from the figures, s (knee: per step).
    pub warmup_s: f64,
    /// Cap on requests in flight.
    pub max_in_flight: usize,
    /// Most fresh tokens minted (per step for `knee`).
    pub max_fresh_tokens: usize,
    /// Token mix.
    pub mix: Mix,
}

impl Plan {
    /// Validates a plan file (after the flags were applied to it).
    ///
    /// # Errors
    /// One line naming the field or flag.
    pub fn from_file(f: PlanFile) -> crate::error::Result<Self> {
        let mix = f.mix.unwrap_or_default();
        mix.validate()?;
        let shape = match (f.profile.as_deref(), f.arrival) {
            (Some("knee"), _) => Shape::Knee(f.knee.unwrap_or_default()),
            (Some("scaling"), _) => Shape::Scaling(f.scaling.unwrap_or_default()),
            (Some(other), _) if !["constant", "ramp", "steps", "spike"].contains(&other) => {
                return Err(crate::error::Error::plan(format!(
                    "--profile {other:?}: expected knee, scaling, constant, ramp, steps or spike"
                )))
            }
            (_, Some(a)) => Shape::Profile(a),
            (Some(p), None) => {
                return Err(crate::error::Error::plan(format!(
                    "--profile {p} needs its rates: --rate, --ramp, --steps or --spike (or [arrival] in the plan file)"
                )))
            }
            (None, None) => {
                return Err(crate::error::Error::plan(
                    "no load profile: give --profile knee|scaling, --rate, --ramp, --steps, --spike or --plan FILE",
                ))
            }
        };
        let natural = match &shape {
            Shape::Profile(a) => {
                a.validate()?;
                a.natural_duration()
            }
            Shape::Knee(k) => {
                for (name, v) in [
                    ("knee.start_rate", k.start_rate),
                    ("knee.step_s", k.step_s),
                    ("knee.max_rate", k.max_rate),
                    ("knee.p99_ms", k.p99_ms),
                ] {
                    if !(v.is_finite() && v > 0.0) {
                        return Err(crate::error::Error::plan(format!(
                            "{name} must be > 0, got {v}"
                        )));
                    }
                }
                if !(k.factor.is_finite() && k.factor > 1.0) {
                    return Err(crate::error::Error::plan(format!(
                        "knee.factor must be > 1, got {}",
                        k.factor
                    )));
                }
                Some(k.step_s)
            }
            Shape::Scaling(s) => {
                for (name, v) in [
                    ("scaling.low_rate", s.low_rate),
                    ("scaling.low_s", s.low_s),
                    ("scaling.high_rate", s.high_rate),
                    ("scaling.high_s", s.high_s),
                ] {
                    if !(v.is_finite() && v > 0.0) {
                        return Err(crate::error::Error::plan(format!(
                            "{name} must be > 0, got {v}"
                        )));
                    }
                }
                Some(s.low_s + s.high_s)
            }
        };
        let duration_s = match (&shape, f.duration_s) {
            (Shape::Profile(_), Some(d)) => d,
            (_, _) => natural.unwrap_or(60.0),
        };
        if !(duration_s.is_finite() && duration_s > 0.0) {
            return Err(crate::error::Error::plan(format!(
                "--duration must be > 0 s, got {duration_s}"
            )));
        }
        let warmup_s = f.warmup_s.unwrap_or(match shape {
            Shape::Profile(_) => (duration_s * 0.1).min(5.0),
            Shape::Knee(_) => 1.0,
            Shape::Scaling(_) => 0.0,
        });
        if !(warmup_s.is_finite() && warmup_s >= 0.0 && warmup_s < duration_s) {
            return Err(crate::error::Error::plan(format!(
                "--warmup must be ≥ 0 and shorter than the run ({duration_s} s), got {warmup_s}"
            )));
        }
        // What the plan schedules is known now: refuse it before anything
        // starts rather than after minting.
        if let Shape::Profile(a) = &shape {
            let n = a.expected_requests(duration_s);
            let max = crate::arrival::MAX_REQUESTS as f64;
            if n > max {
                return Err(crate::error::Error::plan(format!(
                    "the plan (--rate/--ramp/--steps/--spike over --duration {duration_s} s) schedules {n:.0} requests, more than {max}; lower the rate or the duration"
                )));
            }
            if n < 1.0 {
                return Err(crate::error::Error::plan(format!(
                    "the plan (--rate/--ramp/--steps/--spike over --duration {duration_s} s) schedules no request"
                )));
            }
        }
        let max_in_flight = f.max_in_flight.unwrap_or(256);
        if !(1..=4096).contains(&max_in_flight) {
            return Err(crate::error::Error::plan(format!(
                "--max-in-flight must be in 1..=4096, got {max_in_flight}"
            )));
        }
        Ok(Self {
            shape,
            duration_s,
            warmup_s,
            max_in_flight,
            max_fresh_tokens: f.max_fresh_tokens.unwrap_or(50_000),
            mix,
        })
    }

    /// The arrivals of the whole run, when fixed in advance: the profile's,
    /// or `scaling`'s low rate then its step (`None` for `knee`, which
    /// chooses each step from what the last one measured).
    pub fn arrival(&self) -> Option<Arrival> {
        match &self.shape {
            Shape::Profile(a) => Some(a.clone()),
            Shape::Scaling(s) => Some(Arrival::Steps {
                steps: s.steps().to_vec(),
            }),
            Shape::Knee(_) => None,
        }
    }

    /// The profile's name.
    pub fn name(&self) -> &'static str {
        match &self.shape {
            Shape::Profile(Arrival::Constant { .. }) => "constant",
            Shape::Profile(Arrival::Ramp { .. }) => "ramp",
            Shape::Profile(Arrival::Steps { .. }) => "steps",
            Shape::Profile(Arrival::Spike { .. }) => "spike",
            Shape::Knee(_) => "knee",
            Shape::Scaling(_) => "scaling",
        }
    }

    pub fn describe(&self) -> BTreeMap<String, String> {
        let mut d = BTreeMap::new();
        let arrival = match &self.shape {
            Shape::Profile(Arrival::Constant { rate }) => format!("constant {rate} req/s"),
            Shape::Profile(Arrival::Ramp { from, to, seconds }) => {
                format!("ramp {from} → {to} req/s over {seconds} s")
            }
            Shape::Profile(Arrival::Steps { steps }) => steps
                .iter()
                .map(|s| format!("{} req/s × {} s", s.rate, s.seconds))
                .collect::<Vec<_>>()
                .join(", "),
            Shape::Profile(Arrival::Spike {
                base,
                spike,
                at,
                length,
            }) => format!("{base} req/s, {spike} req/s from {at} s for {length} s"),
            Shape::Knee(k) => format!(
                "steps of {} s from {} req/s × {} up to {} req/s; a step holds with p99 ≤ {} ms and errors ≤ {}",
                k.step_s, k.start_rate, k.factor, k.max_rate, k.p99_ms, k.max_error_fraction
            ),
            Shape::Scaling(s) => format!(
                "{} req/s for {} s, then {} req/s for {} s, from a configuration change (every environment cold)",
                s.low_rate, s.low_s, s.high_rate, s.high_s
            ),
        };
        d.insert("arrival".into(), arrival);
        if let Shape::Knee(_) = self.shape {
            d.insert(
                "figures".into(),
                "from the steps that held (the first that did not is in the step table and the time series)".into(),
            );
        }
        d.insert("duration_s".into(), self.duration_s.to_string());
        d.insert("warmup_s".into(), self.warmup_s.to_string());
        d.insert("max_in_flight".into(), self.max_in_flight.to_string());
        let m = &self.mix;
        d.insert(
            "mix".into(),
            format!(
                "valid {} (repeat {} over {} tokens), expired {}, forged {}, malformed {}",
                m.valid, m.repeat, m.repeat_tokens, m.expired, m.forged, m.malformed
            ),
        );
        d
    }
}

/// The token classes, in plan order.
pub const CLASSES: [&str; 5] = [
    "valid_repeat",
    "valid_fresh",
    "expired",
    "forged",
    "malformed",
];

/// A deterministic 64-bit mix of `n` (splitmix64).
fn mix64(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The class of request `n` under `mix` (a deterministic draw by weight).
pub fn class_of(mix: &Mix, n: u64) -> usize {
    let total = u64::from(mix.valid + mix.expired + mix.forged + mix.malformed);
    let h = mix64(n) % total;
    let (v, e, f) = (
        u64::from(mix.valid),
        u64::from(mix.expired),
        u64::from(mix.forged),
    );
    if h < v {
        let u = (mix64(n ^ 0xA5A5_A5A5) >> 11) as f64 / (1u64 << 53) as f64;
        usize::from(u >= mix.repeat)
    } else if h < v + e {
        2
    } else if h < v + e + f {
        3
    } else {
        4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mix_draws_classes_by_weight_and_repeat_share() {
        let mix = Mix::default();
        let mut n = [0usize; 5];
        for i in 0..100_000u64 {
            n[class_of(&mix, i)] += 1;
        }
        let share = |c: usize| n[c] as f64 / 100_000.0;
        assert!((share(0) - 0.63).abs() < 0.01, "repeat {}", share(0));
        assert!((share(1) - 0.07).abs() < 0.01, "fresh {}", share(1));
        for c in 2..5 {
            assert!((share(c) - 0.10).abs() < 0.01, "class {c}: {}", share(c));
        }
        let only_fresh = Mix {
            repeat: 0.0,
            ..Mix::default()
        }
        .with_weights("valid=1,expired=0,forged=0,malformed=0")
        .expect("weights");
        assert!((0..1000).all(|i| class_of(&only_fresh, i) == 1));
    }

    #[test]
    fn plan_files_and_flags_are_checked_by_name() {
        let f: PlanFile = toml::from_str(
            r#"
            duration_s = 30
            warmup_s = 2
            max_in_flight = 64
            [arrival]
            kind = "steps"
            steps = [{ rate = 50, seconds = 10 }, { rate = 100, seconds = 20 }]
            [mix]
            valid = 80
            repeat = 0.5
            "#,
        )
        .expect("plan");
        let plan = Plan::from_file(f).expect("valid");
        assert_eq!(plan.name(), "steps");
        assert_eq!(plan.duration_s, 30.0);
        assert_eq!(plan.mix.valid, 80);
        assert_eq!(plan.mix.expired, 10);
        let e = toml::from_str::<PlanFile>("rate = 5")
            .unwrap_err()
            .to_string();
        assert!(e.contains("rate"), "{e}");
        let e = Plan::from_file(PlanFile::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("no load profile"), "{e}");
        let e = Plan::from_file(PlanFile {
            profile: Some("knee".into()),
            max_in_flight: Some(0),
            ..PlanFile::default()
        })
        .unwrap_err()
        .to_string();
        assert!(e.contains("--max-in-flight"), "{e}");
        let e = Mix::default()
            .with_weights("valid=x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("--mix"), "{e}");
        let knee = Plan::from_file(PlanFile {
            profile: Some("knee".into()),
            ..PlanFile::default()
        })
        .expect("knee");
        assert_eq!(knee.duration_s, knee_step());
    }
}
