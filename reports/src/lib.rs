//! The result model (`summary.json`, versioned) and its renderings. The
//! harness and the scenarios fill the model; Markdown and HTML are made from
//! it and nothing else.

pub mod atomic;
pub mod security;

pub use atomic::write_atomic;
