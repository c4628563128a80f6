//! One load plan over several generators: arrival `n` of the schedule goes
//! to shard `n mod N` (striping), so the shards together send exactly the
//! single-machine schedule — the same send times, the same classes (a
//! request's class is drawn from its index in the whole plan, never from
//! its place in a shard) — whatever the arrival profile, and each shard
//! sends 1/N of every second. Adaptive plans (`knee` chooses its next step
//! from what it measured) cannot be split this way and are refused.
//!
//! Shards are numbered from 0 (`0/3`, `1/3`, `2/3`), as a Kubernetes
//! Indexed Job's `JOB_COMPLETION_INDEX` is.

use crate::plan::{Plan, Shape};

/// The most generators one plan is split over.
pub const MAX_SHARDS: u32 = 1000;

/// Shard `index` of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Shard {
    /// From 0 to `count - 1`.
    pub index: u32,
    /// How many shards the plan is split into.
    pub count: u32,
}

impl Shard {
    /// The whole plan (one generator).
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Parses `I/N` (0 ≤ I < N ≤ [`MAX_SHARDS`]).
    ///
    /// # Errors
    /// One line saying what is wrong with the value.
    pub fn parse(text: &str) -> crate::error::Result<Self> {
        let bad = |why: &str| crate::error::Error::plan(format!("--shard {text:?}: {why}"));
        let (i, n) = text
            .split_once('/')
            .ok_or_else(|| bad("expected I/N, e.g. 0/3 (shards count from 0)"))?;
        let index: u32 = i
            .trim()
            .parse()
            .map_err(|_| bad("I is not a whole number"))?;
        let count: u32 = n
            .trim()
            .parse()
            .map_err(|_| bad("N is not a whole number"))?;
        if count == 0 || count > MAX_SHARDS {
            return Err(bad(&format!("N must be from 1 to {MAX_SHARDS}")));
        }
        if index >= count {
            return Err(bad("I must be below N (shards count from 0)"));
        }
        Ok(Self { index, count })
    }

    /// Whether arrival `n` of the whole schedule is this shard's.
    pub fn owns(self, n: u64) -> bool {
        n % u64::from(self.count) == u64::from(self.index)
    }

    /// This shard's arrivals of `schedule`, each with its index in the
    /// whole schedule.
    pub fn stripe<T>(self, schedule: &[T]) -> impl Iterator<Item = (u64, &T)> {
        schedule
            .iter()
            .enumerate()
            .skip(self.index as usize)
            .step_by(self.count as usize)
            .map(|(n, item)| (n as u64, item))
    }

    /// Refuses a plan that cannot be split (`knee`, which adapts).
    ///
    /// # Errors
    /// One line naming the preset.
    pub fn check_plan(self, plan: &Plan) -> crate::error::Result<()> {
        match (&plan.shape, self.count) {
            (_, 1) | (Shape::Profile(_) | Shape::Scaling(_), _) => Ok(()),
            (Shape::Knee(_), _) => Err(crate::error::Error::plan(
                "--profile knee cannot be sharded: it chooses each step from what the last one measured, \
                 which no shard sees whole; run it on one machine",
            )),
        }
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arrival::{Arrival, Step};
    use crate::plan::{class_of, Mix};

    /// (index in the whole plan, send time, class) of each request.
    fn schedule(arrival: &Arrival, seconds: f64, mix: &Mix) -> Vec<(u64, f64, usize)> {
        arrival
            .send_times(seconds)
            .expect("schedule")
            .into_iter()
            .enumerate()
            .map(|(n, at)| (n as u64, at, class_of(mix, n as u64)))
            .collect()
    }

    #[test]
    fn the_shards_together_are_exactly_the_single_machine_schedule() {
        let mix = Mix::default();
        let profiles = [
            Arrival::Constant { rate: 300.0 },
            Arrival::Ramp {
                from: 10.0,
                to: 500.0,
                seconds: 4.0,
            },
            Arrival::Steps {
                steps: vec![
                    Step {
                        rate: 50.0,
                        seconds: 2.0,
                    },
                    Step {
                        rate: 400.0,
                        seconds: 3.0,
                    },
                ],
            },
            Arrival::Spike {
                base: 100.0,
                spike: 900.0,
                at: 2.0,
                length: 1.0,
            },
        ];
        for arrival in &profiles {
            let whole = schedule(arrival, 6.0, &mix);
            for count in [1, 2, 3, 7] {
                // Each shard builds its part from the plan alone: its send
                // times by striping, each class from the global index.
                let times: Vec<f64> = arrival.send_times(6.0).expect("schedule");
                let mut union: Vec<(u64, f64, usize)> = Vec::new();
                let mut sizes = Vec::new();
                for index in 0..count {
                    let shard = Shard { index, count };
                    let part: Vec<(u64, f64, usize)> = shard
                        .stripe(&times)
                        .map(|(n, at)| (n, *at, class_of(&mix, n)))
                        .collect();
                    assert!(part.iter().all(|(n, _, _)| shard.owns(*n)));
                    sizes.push(part.len());
                    union.extend(part);
                }
                union.sort_by_key(|(n, _, _)| *n);
                assert_eq!(
                    union, whole,
                    "{arrival:?} in {count} shards: index, time and class"
                );
                let (lo, hi) = (
                    sizes.iter().min().unwrap_or(&0),
                    sizes.iter().max().unwrap_or(&0),
                );
                assert!(
                    hi - lo <= 1,
                    "{arrival:?} in {count}: even shares {sizes:?}"
                );
            }
        }
    }

    #[test]
    fn shard_values_are_checked_and_knee_is_refused() {
        assert_eq!(Shard::parse("2/3").ok(), Some(Shard { index: 2, count: 3 }));
        assert_eq!(Shard::parse("0/1").ok(), Some(Shard::WHOLE));
        for bad in ["3/3", "1", "a/3", "0/0", "-1/3", "0/1001", "1/-2"] {
            let e = Shard::parse(bad).expect_err(bad).to_string();
            assert!(e.contains("--shard") && e.contains(bad), "{e}");
        }
        let plan = |shape| Plan {
            shape,
            duration_s: 10.0,
            warmup_s: 0.0,
            max_in_flight: 10,
            max_fresh_tokens: 10,
            mix: Mix::default(),
        };
        let knee = plan(Shape::Knee(crate::plan::Knee::default()));
        let e = Shard { index: 0, count: 2 }
            .check_plan(&knee)
            .expect_err("knee");
        assert!(e.to_string().contains("knee"), "{e}");
        assert!(Shard::WHOLE.check_plan(&knee).is_ok());
        let scaling = plan(Shape::Scaling(crate::plan::Scaling::default()));
        assert!(Shard { index: 1, count: 4 }.check_plan(&scaling).is_ok());
    }
}
