//! What the stages found: each scenario measured, or skipped with why.

use reports::model::Scenario;
use std::collections::BTreeMap;

/// Scenarios by name, and the reason for each one skipped.
#[derive(Debug, Default)]
pub(super) struct Measured {
    pub(super) scenarios: BTreeMap<String, Scenario>,
    pub(super) skipped: BTreeMap<&'static str, String>,
}

impl Measured {
    /// Records `name` measured, or skipped with the reason `why`.
    pub(super) fn record(&mut self, name: &'static str, outcome: Result<Scenario, String>) {
        match outcome {
            Ok(s) => {
                self.scenarios.insert(name.into(), s);
            }
            Err(why) => self.skip(name, why),
        }
    }

    /// Records `name` skipped because of `why`.
    pub(super) fn skip(&mut self, name: &'static str, why: impl Into<String>) {
        self.skipped.insert(name, why.into());
    }
}

/// Why a stage that reads the function's logs cannot run without them.
pub(super) const NEEDS_DEPLOYMENT: &str =
    "needs the function name and log group: pass --deployment (terraform output -json)";
