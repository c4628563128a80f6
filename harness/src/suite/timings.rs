//! How long and how hard each suite stage runs (`--quick` shortens them
//! all), fitted to the stage's limits once.

/// How long and how hard each scenario runs (`--quick` shortens them all).
#[derive(Debug, Clone, Copy)]
pub(super) struct Timings {
    pub(super) cold_trials: usize,
    pub(super) burst_k: usize,
    pub(super) cache: scenarios::caching::Timing,
    pub(super) thr_secs: usize,
    pub(super) multipliers: &'static [f64],
    pub(super) mixed_rate: f64,
    pub(super) mixed_secs: usize,
    /// The security check's pace, cases per second (`None`: unpaced).
    pub(super) check_pace: Option<f64>,
}

impl Timings {
    pub(super) fn of(quick: bool) -> Self {
        if quick {
            Self {
                cold_trials: 3,
                burst_k: 3,
                cache: scenarios::caching::Timing {
                    rate: 40.0,
                    seconds: 3,
                    expiry_wait_max: 10,
                },
                thr_secs: 3,
                multipliers: &[0.5, 1.0, 2.0, 4.0],
                mixed_rate: 60.0,
                mixed_secs: 3,
                check_pace: None,
            }
        } else {
            Self {
                cold_trials: 10,
                burst_k: 5,
                cache: scenarios::caching::Timing {
                    rate: 100.0,
                    seconds: 8,
                    expiry_wait_max: 30,
                },
                thr_secs: 5,
                multipliers: &[0.5, 1.0, 1.5, 2.0, 3.0, 4.0],
                mixed_rate: 150.0,
                mixed_secs: 10,
                check_pace: None,
            }
        }
    }

    /// Against a throttled stage, the traffic that measures decisions (the
    /// security check, caching, mixed) stays below 80 % of its rate, so it
    /// measures the authorizer, not the bucket (a 429 left is counted
    /// apart); the throttling sweep alone goes past it.
    pub(super) fn fitted(self, throttle: Option<(f64, f64)>) -> Self {
        let Some((limit, _)) = throttle.filter(|(limit, _)| *limit > 0.0) else {
            return self;
        };
        let below = |rate: f64| f64::min(rate, 0.8 * limit);
        Self {
            cache: scenarios::caching::Timing {
                rate: below(self.cache.rate),
                ..self.cache
            },
            mixed_rate: below(self.mixed_rate),
            check_pace: Some(0.8 * limit),
            ..self
        }
    }
}
