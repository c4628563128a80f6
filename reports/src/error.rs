//! What can go wrong reading, merging or rendering results, by kind.

use std::path::PathBuf;

/// What can go wrong reading, merging or rendering results.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The histogram serialiser failed (compression).
    #[error("histogram serialisation: {0}")]
    HistEncode(#[source] hdrhistogram::serialization::V2DeflateSerializeError),
    /// A serialised histogram that is not base64.
    #[error("histogram: not base64: {0}")]
    HistBase64(#[source] base64::DecodeError),
    /// Base64 that is not a serialised histogram.
    #[error("histogram: {0}")]
    HistDecode(#[source] hdrhistogram::serialization::DeserializeError),
    /// A histogram with values outside the other's range.
    #[error("histogram merge: {0}")]
    HistMerge(#[source] hdrhistogram::AdditionError),
    /// A chart with no points to draw.
    #[error("no data")]
    NoData,
    /// The SVG backend failed.
    #[error("{0}")]
    Draw(#[source] plotters::drawing::DrawingAreaErrorKind<std::io::Error>),
    /// A report file that could not be written.
    #[error("{}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The summary did not serialise.
    #[error("summary.json: {0}")]
    Json(#[source] serde_json::Error),
}
