//! Arrival profiles of the open model: when each request is due, whatever
//! the responses do. A profile is a rate as a function of time; the n-th
//! request is due when the integral of that rate reaches n.

use serde::{Deserialize, Serialize};

/// One step of a stepped profile.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Requests per second.
    pub rate: f64,
    /// How long, s.
    pub seconds: f64,
}

/// A rate over time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Arrival {
    /// `rate` requests/s throughout.
    Constant {
        /// req/s.
        rate: f64,
    },
    /// From `from` to `to` req/s linearly over `seconds`, then `to`.
    Ramp {
        /// Start rate, req/s.
        from: f64,
        /// End rate, req/s.
        to: f64,
        /// Ramp length, s.
        seconds: f64,
    },
    /// Each step's rate for its length, in order (then the last rate).
    Steps {
        /// The steps.
        steps: Vec<Step>,
    },
    /// `base` req/s, with `spike` req/s from `at` for `length` seconds.
    Spike {
        /// Base rate, req/s.
        base: f64,
        /// Spike rate, req/s.
        spike: f64,
        /// Spike start, s.
        at: f64,
        /// Spike length, s.
        length: f64,
    },
}

/// The most requests one plan may schedule (memory stays bounded).
pub const MAX_REQUESTS: usize = 20_000_000;

impl Arrival {
    /// The rate at `t` seconds, req/s.
    pub fn rate_at(&self, t: f64) -> f64 {
        match self {
            Arrival::Constant { rate } => *rate,
            Arrival::Ramp { from, to, seconds } => {
                if *seconds <= 0.0 || t >= *seconds {
                    *to
                } else {
                    from + (to - from) * t / seconds
                }
            }
            Arrival::Steps { steps } => {
                let mut end = 0.0;
                for s in steps {
                    end += s.seconds;
                    if t < end {
                        return s.rate;
                    }
                }
                steps.last().map_or(0.0, |s| s.rate)
            }
            Arrival::Spike {
                base,
                spike,
                at,
                length,
            } => {
                if t >= *at && t < at + length {
                    *spike
                } else {
                    *base
                }
            }
        }
    }

    /// The natural length of the profile (steps: their sum), if it has one.
    pub fn natural_duration(&self) -> Option<f64> {
        match self {
            Arrival::Steps { steps } => Some(steps.iter().map(|s| s.seconds).sum()),
            Arrival::Spike { at, length, .. } => Some(at + length),
            Arrival::Ramp { seconds, .. } => Some(*seconds),
            Arrival::Constant { .. } => None,
        }
    }

    /// Problems with the profile, as a one-line message naming the field.
    ///
    /// # Errors
    /// A negative or non-finite rate or length.
    pub fn validate(&self) -> Result<(), crate::error::Error> {
        let check = |field: &'static str, value: f64| {
            if value.is_finite() && value >= 0.0 {
                Ok(())
            } else {
                Err(crate::error::Error::OutOfRange { field, value })
            }
        };
        match self {
            Arrival::Constant { rate } => check("rate", *rate),
            Arrival::Ramp { from, to, seconds } => {
                check("ramp from", *from)?;
                check("ramp to", *to)?;
                check("ramp seconds", *seconds)
            }
            Arrival::Steps { steps } => {
                if steps.is_empty() {
                    return Err(crate::error::Error::NoSteps);
                }
                for s in steps {
                    check("step rate", s.rate)?;
                    check("step seconds", s.seconds)?;
                }
                Ok(())
            }
            Arrival::Spike {
                base,
                spike,
                at,
                length,
            } => {
                check("spike base", *base)?;
                check("spike rate", *spike)?;
                check("spike at", *at)?;
                check("spike length", *length)
            }
        }
    }

    /// How many requests a `duration`-second run schedules (∫ rate, in
    /// the 1 ms slices [`Arrival::send_times`] uses), without listing them.
    pub fn expected_requests(&self, duration: f64) -> f64 {
        const DT: f64 = 0.001;
        let slices = (duration / DT).ceil().max(0.0) as u64;
        (0..slices)
            .map(|i| self.rate_at(i as f64 * DT + DT / 2.0).max(0.0) * DT)
            .sum()
    }

    /// When each request of a `duration`-second run is due, seconds from
    /// the start, ascending: the n-th where ∫₀ᵗ rate = n (integrated in
    /// 1 ms slices, interpolated inside a slice).
    ///
    /// # Errors
    /// More than [`MAX_REQUESTS`] requests.
    pub fn send_times(&self, duration: f64) -> Result<Vec<f64>, crate::error::Error> {
        const DT: f64 = 0.001;
        let mut out = Vec::new();
        let mut acc = 0.0_f64; // requests due so far (fractional)
        let mut k = 0.0_f64; // the next request's index
        let slices = (duration / DT).round() as u64;
        for i in 0..slices {
            let t = i as f64 * DT;
            let r = self.rate_at(t + DT / 2.0).max(0.0);
            let next = acc + r * DT;
            while k < next {
                out.push(t + ((k - acc) / (r * DT)).clamp(0.0, 1.0) * DT);
                if out.len() > MAX_REQUESTS {
                    return Err(crate::error::Error::TooManyRequests { max: MAX_REQUESTS });
                }
                k += 1.0;
            }
            acc = next;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_rate_schedules_rate_times_duration_evenly() {
        let t = Arrival::Constant { rate: 250.0 }
            .send_times(4.0)
            .expect("schedule");
        assert!((999..=1001).contains(&t.len()), "{}", t.len());
        assert!(t.windows(2).all(|w| w[1] >= w[0]));
        let gaps: Vec<f64> = t.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.iter().all(|g| (g - 0.004).abs() < 0.0011), "{gaps:?}");
    }

    #[test]
    fn steps_ramp_and_spike_follow_their_rates() {
        let steps = Arrival::Steps {
            steps: vec![
                Step {
                    rate: 10.0,
                    seconds: 2.0,
                },
                Step {
                    rate: 100.0,
                    seconds: 1.0,
                },
            ],
        };
        let t = steps.send_times(3.0).expect("steps");
        let first = t.iter().filter(|x| **x < 2.0).count();
        let second = t.iter().filter(|x| **x >= 2.0).count();
        assert!((19..=21).contains(&first), "{first}");
        assert!((99..=101).contains(&second), "{second}");
        assert_eq!(steps.natural_duration(), Some(3.0));
        // A ramp 0 → 100 over 10 s: the integral is 500.
        let ramp = Arrival::Ramp {
            from: 0.0,
            to: 100.0,
            seconds: 10.0,
        };
        let n = ramp.send_times(10.0).expect("ramp").len();
        assert!((498..=502).contains(&n), "{n}");
        let spike = Arrival::Spike {
            base: 10.0,
            spike: 200.0,
            at: 1.0,
            length: 0.5,
        };
        let t = spike.send_times(2.0).expect("spike");
        let inside = t.iter().filter(|x| (1.0..1.5).contains(*x)).count();
        assert!((99..=101).contains(&inside), "{inside}");
        assert!(
            (113..=117).contains(&t.len()),
            "10·1.5 + 200·0.5 = 115, got {}",
            t.len()
        );
    }

    #[test]
    fn bad_values_are_refused_by_name() {
        let e = Arrival::Constant { rate: -1.0 }
            .validate()
            .unwrap_err()
            .to_string();
        assert!(e.contains("rate"), "{e}");
        let e = Arrival::Steps { steps: vec![] }
            .validate()
            .unwrap_err()
            .to_string();
        assert!(e.contains("steps"), "{e}");
        assert!(Arrival::Constant { rate: 5e9 }.send_times(10.0).is_err());
    }
}
