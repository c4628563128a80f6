//! The subcommands, one file each; `main.rs` parses and dispatches.
//! Each is a thin layer over a library call (`harness::check::run`,
//! `harness::gateway::Gateway`, `harness::suite::run`, `harness::load::run`).

pub(crate) mod check;
pub(crate) mod gateway;
pub(crate) mod load;
pub(crate) mod run;
pub(crate) mod tokens;
