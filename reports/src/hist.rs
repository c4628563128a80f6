//! Latency histograms (HdrHistogram: microseconds, 3 significant digits)
//! and their standard serialised form — V2 with deflate, base64, the
//! `HISTFAAA…` strings of HdrHistogram interval logs — so histograms from
//! runs on several machines merge exactly (adding counts), where averaging
//! percentiles would not.

use base64::Engine as _;
use hdrhistogram::serialization::{Deserializer, Serializer as _, V2DeflateSerializer};
use hdrhistogram::Histogram;

use crate::error::Error;

/// A latency histogram, µs.
pub type Hist = Histogram<u64>;

/// Highest trackable latency: one hour in µs (longer values saturate).
pub const MAX_US: u64 = 3_600_000_000;

/// An empty histogram: 1 µs .. 1 h, 3 significant digits.
pub fn new_hist() -> Hist {
    // The bounds are constants that `new_with_bounds` accepts.
    Histogram::new_with_bounds(1, MAX_US, 3).unwrap_or_else(|_| unreachable!("valid bounds"))
}

/// Records `us` (clamped to 1 µs .. [`MAX_US`]).
pub fn record(h: &mut Hist, us: u64) {
    h.saturating_record(us.clamp(1, MAX_US));
}

/// The standard serialised form (V2 + deflate, base64).
///
/// # Errors
/// A serialiser failure (compression).
pub fn encode(h: &Hist) -> Result<String, Error> {
    let mut bytes = Vec::new();
    V2DeflateSerializer::new()
        .serialize(h, &mut bytes)
        .map_err(Error::HistEncode)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// Reads [`encode`]'s form back.
///
/// # Errors
/// Not base64, or not a serialised histogram.
pub fn decode(text: &str) -> Result<Hist, Error> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(Error::HistBase64)?;
    let mut h: Hist = Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(Error::HistDecode)?;
    h.auto(true);
    Ok(h)
}

/// Adds `other`'s counts to `into` (exact: the result is the histogram of
/// both sample sets).
///
/// # Errors
/// A value of `other` outside `into`'s range.
pub fn merge(into: &mut Hist, other: &Hist) -> Result<(), Error> {
    into.add(other).map_err(Error::HistMerge)
}

/// Merges serialised histograms (e.g. the same class from several runs).
///
/// # Errors
/// As [`decode`] and [`merge`].
pub fn merge_encoded<'a>(parts: impl IntoIterator<Item = &'a str>) -> Result<Hist, Error> {
    let mut out = new_hist();
    for p in parts {
        merge(&mut out, &decode(p)?)?;
    }
    Ok(out)
}

/// The serialised form as a serde field: a model's histogram is held as a
/// [`Hist`] while a run goes on and written once, as [`encode`]'s text,
/// when the summary is; reading a summary back decodes it once
/// (`#[serde(with = "crate::hist::text")]`).
pub mod text {
    use super::Hist;

    /// Writes [`super::encode`]'s text.
    ///
    /// # Errors
    /// A serialiser failure (compression), as the serializer's error.
    pub fn serialize<S: serde::Serializer>(h: &Hist, s: S) -> Result<S::Ok, S::Error> {
        let text = super::encode(h).map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }

    /// Reads [`super::encode`]'s text.
    ///
    /// # Errors
    /// Not a string, not base64, or not a serialised histogram.
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Hist, D::Error> {
        let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        super::decode(&text).map_err(serde::de::Error::custom)
    }
}

/// The value at percentile `p` (0–100), in milliseconds (0 when empty).
pub fn ms_at(h: &Hist, p: f64) -> f64 {
    if h.is_empty() {
        0.0
    } else {
        h.value_at_quantile(p / 100.0) as f64 / 1000.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic spread of latencies from 50 µs to ~2 s.
    fn samples(n: u64, seed: u64) -> Vec<u64> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                50 + (x >> 33) % 2_000_000 / (1 + (x >> 60))
            })
            .collect()
    }

    #[test]
    fn two_histograms_merged_give_the_percentiles_of_one_histogram_of_all_samples() {
        let (a, b) = (samples(20_000, 1), samples(7_000, 99));
        let (mut ha, mut hb, mut all) = (new_hist(), new_hist(), new_hist());
        for v in &a {
            record(&mut ha, *v);
            record(&mut all, *v);
        }
        for v in &b {
            record(&mut hb, *v);
            record(&mut all, *v);
        }
        // Through the serialised form, as summary.json carries them.
        let merged = merge_encoded([
            encode(&ha).expect("a").as_str(),
            encode(&hb).expect("b").as_str(),
        ])
        .expect("merge");
        assert_eq!(merged.len(), all.len());
        for q in [0.0, 0.5, 0.9, 0.99, 0.999, 0.9999, 1.0] {
            assert_eq!(
                merged.value_at_quantile(q),
                all.value_at_quantile(q),
                "q = {q}"
            );
        }
        assert_eq!(merged.max(), all.max());
        assert_eq!(merged.min(), all.min());
        // Averaging the two runs' p99s is not the p99 of all samples.
        let averaged = (ha.value_at_quantile(0.99) + hb.value_at_quantile(0.99)) / 2;
        assert_ne!(averaged, all.value_at_quantile(0.99));
    }

    #[test]
    fn serialised_form_round_trips_and_rejects_garbage() {
        let mut h = new_hist();
        for v in samples(1000, 7) {
            record(&mut h, v);
        }
        let text = encode(&h).expect("encode");
        assert!(text.starts_with("HISTF"), "{}", &text[..8]);
        let back = decode(&text).expect("decode");
        assert_eq!(back, h);
        assert!(decode("not a histogram").is_err());
        assert!(decode("SElTVA==").is_err());
    }

    #[test]
    fn out_of_range_values_saturate_instead_of_being_lost() {
        let mut h = new_hist();
        record(&mut h, 0);
        record(&mut h, u64::MAX);
        assert_eq!(h.len(), 2);
        assert_eq!(h.min(), 1);
        assert!(h.max() >= MAX_US);
    }
}
