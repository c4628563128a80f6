//! The renderings of a [`Summary`](crate::model::Summary), each made from
//! it and nothing else, one file per format: Markdown (CI logs, PR
//! comments), the self-contained HTML page, its SVG charts (plotters; no
//! scripts, fonts or styles from the network) and the console's verdict
//! table; `format` holds what they share. JUnit is [`crate::junit`].

mod console;
mod format;
mod html;
mod markdown;
mod svg;

pub use console::verdict_table;
pub use format::esc;
pub use html::{html, html_with_baseline, security_chart};
pub use markdown::markdown;
pub use svg::{chart_svg, legend, LegendEntry};
