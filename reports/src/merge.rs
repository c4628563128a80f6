//! The load reports of a sharded plan's shards, added into the report of
//! the whole run. Counters are summed and HDR histograms added, so every
//! percentile of the merged report is the percentile of all the requests —
//! exactly what one generator sending the same requests would report —
//! where averaging each shard's percentiles (what some distributed load
//! tools do) is not. A set that is not exactly one plan's shards is
//! refused, naming the shard: one missing or twice, one of another plan
//! (another schedule or shard count), a histogram with other HDR settings.
//!
//! What the shards cannot know alone is left to the merger: the function's
//! invocations and cold starts (`invocations`, `cold_starts`,
//! `init_durations_ms`) are read from its logs once for the whole window.

use crate::hist::{self, Hist};
use crate::load::{ClassStats, LoadReport, Second, ShardTag, StepStats};
use std::collections::BTreeMap;

/// Why a set of shard reports cannot be merged: one line, naming the shard.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MergeError(String);

/// The whole run's report from its shards' reports, in any order.
///
/// # Errors
/// [`MergeError`] for a set that is not exactly one plan's shards, or that
/// disagrees on the plan or on the HDR settings.
pub fn merge(parts: &[LoadReport]) -> Result<LoadReport, MergeError> {
    let first = parts
        .first()
        .ok_or_else(|| MergeError("no shard reports to merge".into()))?;
    let tag = |r: &LoadReport| {
        r.shard.clone().ok_or_else(|| {
            MergeError(
                "a report without a shard (the whole plan of one run) cannot be merged with others"
                    .into(),
            )
        })
    };
    let head = tag(first)?;
    let mut seen = vec![false; head.count as usize];
    for r in parts {
        let t = tag(r)?;
        let name = format!("shard {}/{}", t.index, t.count);
        if t.start_ms != head.start_ms {
            return Err(MergeError(format!(
                "{name} started at another time (T0 {} ms; the first shard's {} ms): shards of one run share T0",
                t.start_ms, head.start_ms
            )));
        }
        if t.count != head.count || t.schedule != head.schedule {
            return Err(MergeError(format!(
                "{name} belongs to another plan (schedule {}, {} shards; the first is {}, {} shards)",
                t.schedule, t.count, head.schedule, head.count
            )));
        }
        match seen.get_mut(t.index as usize) {
            Some(s) if *s => return Err(MergeError(format!("{name} appears twice"))),
            Some(s) => *s = true,
            None => {
                return Err(MergeError(format!(
                    "{name}: its index is not below its count"
                )))
            }
        }
        if r.profile != first.profile || r.plan != first.plan || r.warmup_s != first.warmup_s {
            return Err(MergeError(format!(
                "{name} ran another plan than shard {}/{} ({} vs {})",
                head.index, head.count, r.profile, first.profile
            )));
        }
        hdr_settings(r).map_err(|why| MergeError(format!("{name}: {why}")))?;
    }
    if let Some(missing) = seen.iter().position(|s| !s) {
        return Err(MergeError(format!(
            "shard {missing}/{} is missing: {} of {} shards given",
            head.count,
            seen.iter().filter(|s| **s).count(),
            head.count
        )));
    }
    let mut classes: BTreeMap<String, ClassStats> = BTreeMap::new();
    let mut seconds: BTreeMap<u32, Second> = BTreeMap::new();
    for r in parts {
        for (name, c) in &r.classes {
            let into = classes.entry(name.clone()).or_insert_with(|| ClassStats {
                requests: 0,
                wrong_decisions: 0,
                histogram: hist::new_hist(),
            });
            into.requests += c.requests;
            into.wrong_decisions += c.wrong_decisions;
            add(&mut into.histogram, &c.histogram)?;
        }
        for s in &r.seconds {
            let into = seconds.entry(s.t).or_insert_with(|| Second {
                t: s.t,
                planned: 0,
                outcomes: crate::load::Outcomes::default(),
                histogram: hist::new_hist(),
                invocations: None,
                cold_starts: None,
            });
            into.planned += s.planned;
            into.outcomes.add(&s.outcomes);
            add(&mut into.histogram, &s.histogram)?;
        }
    }
    let seconds: Vec<Second> = seconds.into_values().collect();
    let mut tags: Vec<ShardTag> = parts.iter().filter_map(|r| r.shard.clone()).collect();
    tags.sort_by_key(|t| t.index);
    Ok(LoadReport {
        profile: first.profile.clone(),
        plan: first.plan.clone(),
        warmup_s: first.warmup_s,
        classes,
        steps: steps(parts, &seconds)?,
        seconds,
        init_durations_ms: None,
        stage_rate: first.stage_rate,
        stage_burst: first.stage_burst,
        p99_bound_ms: first.p99_bound_ms,
        shard: None,
        shards: tags,
    })
}

/// The steps of a stepped plan: the same steps in every shard; rates and
/// counts summed, the p99 from the merged seconds the step covers.
fn steps(parts: &[LoadReport], seconds: &[Second]) -> Result<Vec<StepStats>, MergeError> {
    let first = &parts[0].steps;
    let mut out = Vec::with_capacity(first.len());
    for (i, step) in first.iter().enumerate() {
        let mut merged = step.clone();
        merged.achieved_rps = 0.0;
        merged.errors = 0;
        merged.throttled = 0;
        for r in parts {
            let s = r.steps.get(i).filter(|s| {
                s.rate == step.rate && s.start_s == step.start_s && s.seconds == step.seconds
            });
            let Some(s) = s else {
                return Err(MergeError(format!(
                    "shard {}: its steps differ from the first shard's",
                    r.shard
                        .as_ref()
                        .map_or("?".into(), |t| format!("{}/{}", t.index, t.count))
                )));
            };
            merged.achieved_rps += s.achieved_rps;
            merged.errors += s.errors;
            merged.throttled += s.throttled;
            merged.held &= s.held;
            if merged.why.is_empty() {
                merged.why.clone_from(&s.why);
            }
        }
        let mut h = hist::new_hist();
        let end = step.start_s + step.seconds;
        for s in seconds.iter().filter(|s| {
            let t = f64::from(s.t);
            t >= step.start_s && t < end
        }) {
            add(&mut h, &s.histogram)?;
        }
        merged.p99_ms = hist::ms_at(&h, 99.0);
        out.push(merged);
    }
    if let Some(r) = parts.iter().find(|r| r.steps.len() != first.len()) {
        return Err(MergeError(format!(
            "shard {}: {} steps, the first shard {}",
            r.shard
                .as_ref()
                .map_or("?".into(), |t| format!("{}/{}", t.index, t.count)),
            r.steps.len(),
            first.len()
        )));
    }
    Ok(out)
}

/// Every histogram of `r` has the standard settings (1 µs lowest, 3
/// significant digits): histograms of other settings do not add exactly.
fn hdr_settings(r: &LoadReport) -> Result<(), String> {
    let want = hist::new_hist();
    let all = r
        .classes
        .values()
        .map(|c| &c.histogram)
        .chain(r.seconds.iter().map(|s| &s.histogram))
        .chain(r.shard.iter().map(|t| &t.send_lag));
    for h in all {
        if h.low() != want.low() || h.sigfig() != want.sigfig() {
            return Err(format!(
                "a histogram with other HDR settings (lowest {} µs, {} significant digits; expected {} µs, {})",
                h.low(),
                h.sigfig(),
                want.low(),
                want.sigfig()
            ));
        }
    }
    Ok(())
}

fn add(into: &mut Hist, other: &Hist) -> Result<(), MergeError> {
    hist::merge(into, other).map_err(|e| MergeError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{Outcomes, ShardTag};

    /// A deterministic latency for request `n`, µs: a long tail in a few
    /// of them, so shards differ in their tails.
    fn latency(n: u64) -> u64 {
        let base = 800 + (n * 7919) % 1200;
        if n.is_multiple_of(97) {
            base * 40
        } else {
            base
        }
    }

    /// The report of the requests `n` of `0..total` that `keep` takes, as
    /// one generator would tally them (a request per 10 ms, class by n).
    fn tally(total: u64, keep: impl Fn(u64) -> bool, shard: Option<ShardTag>) -> LoadReport {
        let mut classes: BTreeMap<String, ClassStats> = BTreeMap::new();
        let mut seconds: BTreeMap<u32, Second> = BTreeMap::new();
        for n in (0..total).filter(|n| keep(*n)) {
            let class = if n.is_multiple_of(5) {
                "forged"
            } else {
                "valid_repeat"
            };
            let c = classes.entry(class.into()).or_insert_with(|| ClassStats {
                requests: 0,
                wrong_decisions: 0,
                histogram: hist::new_hist(),
            });
            c.requests += 1;
            hist::record(&mut c.histogram, latency(n));
            let t = u32::try_from(n / 100).expect("small");
            let s = seconds.entry(t).or_insert_with(|| Second {
                t,
                planned: 0,
                outcomes: Outcomes::default(),
                histogram: hist::new_hist(),
                invocations: None,
                cold_starts: None,
            });
            s.planned += 1;
            s.outcomes.count(if class == "forged" { 401 } else { 200 });
            hist::record(&mut s.histogram, latency(n));
        }
        LoadReport {
            profile: "constant".into(),
            plan: BTreeMap::from([("rate".into(), "100".into())]),
            warmup_s: 0.0,
            classes,
            seconds: seconds.into_values().collect(),
            steps: Vec::new(),
            init_durations_ms: None,
            stage_rate: None,
            stage_burst: None,
            p99_bound_ms: None,
            shard,
            shards: Vec::new(),
        }
    }

    fn shards(total: u64, count: u32) -> Vec<LoadReport> {
        (0..count)
            .map(|index| {
                let tag = ShardTag::new(index, count, "sha256:abc");
                tally(
                    total,
                    |n| n % u64::from(count) == u64::from(index),
                    Some(tag),
                )
            })
            .collect()
    }

    #[test]
    fn merged_shards_equal_one_run_of_the_same_requests_at_every_percentile() {
        let total = 6_000;
        let whole = tally(total, |_| true, None);
        for count in [2u32, 3, 7] {
            let mut parts = shards(total, count);
            parts.reverse(); // any order
            let mut merged = merge(&parts).expect("merge");
            let tags: Vec<u32> = merged.shards.iter().map(|t| t.index).collect();
            assert_eq!(tags, (0..count).collect::<Vec<_>>(), "the shard table");
            merged.shards.clear();
            assert_eq!(merged, whole, "{count} shards: every counter and histogram");
            let all = merged.all_classes().expect("all");
            let one = whole.all_classes().expect("all");
            for p in [0.0, 50.0, 90.0, 99.0, 99.9, 100.0] {
                assert_eq!(
                    all.value_at_percentile(p),
                    one.value_at_percentile(p),
                    "p{p}, {count} shards"
                );
            }
            // What averaging each shard's p99 would have reported instead.
            let averaged = parts
                .iter()
                .map(|r| r.all_classes().expect("all").value_at_percentile(99.0) as f64)
                .sum::<f64>()
                / f64::from(count);
            assert_ne!(
                averaged,
                one.value_at_percentile(99.0) as f64,
                "{count} shards: the averaged p99 is not the p99"
            );
        }
    }

    #[test]
    fn steps_add_their_rates_and_counts_and_take_the_p99_of_the_merged_seconds() {
        let total = 3_000; // 30 s at 100 req/s
        let step = |achieved_rps, errors| StepStats {
            rate: 100.0,
            start_s: 10.0,
            seconds: 10.0,
            achieved_rps,
            p99_ms: 0.0,
            errors,
            throttled: 1,
            held: true,
            why: String::new(),
        };
        let mut parts = shards(total, 2);
        parts[0].steps = vec![step(49.0, 2)];
        parts[1].steps = vec![step(50.5, 3)];
        let merged = merge(&parts).expect("merge");
        let s = &merged.steps[0];
        assert_eq!((s.achieved_rps, s.errors, s.throttled), (99.5, 5, 2));
        let mut h = hist::new_hist();
        for n in 1_000..2_000 {
            hist::record(&mut h, latency(n));
        }
        assert_eq!(s.p99_ms, hist::ms_at(&h, 99.0), "the step's own requests");
        parts[1].steps[0].rate = 200.0;
        let e = merge(&parts).expect_err("other steps").to_string();
        assert!(e.contains("shard 1/2") && e.contains("steps"), "{e}");
    }

    #[test]
    fn a_set_that_is_not_one_plans_shards_is_refused_naming_the_shard() {
        let parts = shards(3_000, 3);
        let e = merge(&parts[..2]).expect_err("incomplete").to_string();
        assert!(e.contains("shard 2/3 is missing"), "{e}");
        let twice = [parts[0].clone(), parts[1].clone(), parts[1].clone()];
        let e = merge(&twice).expect_err("duplicate").to_string();
        assert!(e.contains("shard 1/3 appears twice"), "{e}");
        let mut foreign = parts.clone();
        if let Some(t) = foreign[2].shard.as_mut() {
            t.schedule = "sha256:other".into();
        }
        let e = merge(&foreign).expect_err("foreign").to_string();
        assert!(e.contains("shard 2/3 belongs to another plan"), "{e}");
        let mut other_hdr = parts.clone();
        other_hdr[1].classes.insert(
            "valid_fresh".into(),
            ClassStats {
                requests: 1,
                wrong_decisions: 0,
                histogram: Hist::new_with_bounds(1, hist::MAX_US, 2).expect("bounds"),
            },
        );
        let e = merge(&other_hdr).expect_err("hdr").to_string();
        assert!(e.contains("shard 1/3") && e.contains("HDR settings"), "{e}");
        let mut late = parts.clone();
        if let Some(t) = late[1].shard.as_mut() {
            t.start_ms = 5;
        }
        let e = merge(&late).expect_err("another T0").to_string();
        assert!(e.contains("shard 1/3 started at another time"), "{e}");
        let mut untagged = parts.clone();
        untagged[0].shard = None;
        assert!(merge(&untagged).is_err());
        assert!(merge(&[]).is_err());
        let mut other_plan = parts;
        other_plan[2].profile = "ramp".into();
        let e = merge(&other_plan).expect_err("plan").to_string();
        assert!(e.contains("shard 2/3 ran another plan"), "{e}");
    }
}
