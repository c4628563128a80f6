//! One catalog case as it is sent: its id, family, expectation, reference,
//! description and `Authorization` value, and the row it was made from.

use super::language::Row;
use super::vocab::{Expected, Family};
use serde_json::{json, Value};

/// One catalog entry.
#[derive(Debug, Clone)]
pub struct Case {
    /// Stable id.
    pub id: String,
    /// Family.
    pub family: Family,
    /// What the case does.
    pub description: String,
    /// RFC section, CVE or advisory.
    pub reference: String,
    /// The `Authorization` header value; `None` sends no header.
    pub authorization: Option<String>,
    /// The expected decision.
    pub expected: Expected,
    /// Minted again just before it is sent ([`refresh`]): time-boundary
    /// cases a slow target would otherwise see go stale.
    pub fresh: bool,
    /// A fresh case's row, for [`refresh`].
    pub(super) row: Option<Row>,
}

impl Case {
    /// Whether the header value can travel over HTTP/1.1 unchanged (visible
    /// ASCII, spaces and tabs, no surrounding whitespace servers would trim).
    pub fn http_safe(&self) -> bool {
        self.authorization.as_deref().is_none_or(|v| {
            v.len() <= 10_000
                && v.bytes()
                    .all(|b| b == b' ' || b == b'\t' || (0x21..=0x7e).contains(&b))
                && v.trim() == v
        })
    }

    /// The JSON line `harness cases` prints.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "family": self.family.as_str(),
            "description": self.description,
            "reference": self.reference,
            "authorization": self.authorization,
            "expected": if self.expected == Expected::Allow { "allow" } else { "deny" },
            "expected_reason": match self.expected { Expected::Deny(r) => Some(r.as_str()), Expected::Allow => None },
            "project_choice": crate::choices::project_choice(&self.id),
        })
    }
}
