//! Baselines: the fingerprints of the findings a team has accepted, so a scanner can be adopted
//! on a legacy repository or registry and fail only on what is new. A baseline file holds no
//! secret values, only fingerprints with the rule and place for a reader; applying it moves the
//! findings it lists to the report's suppressed list with the reason.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::report::Report;

/// One accepted finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Entry {
    /// The finding's fingerprint.
    pub fingerprint: String,
    /// Its rule, for a reader.
    pub rule_id: String,
    /// Where it was when the baseline was written (path and line, layer or config field), for a
    /// reader; matching uses the fingerprint only.
    pub place: String,
}

/// A baseline file: `{"version": 1, "findings": [Entry…]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// Format version (1).
    pub version: u32,
    /// Accepted findings, sorted, one per fingerprint and place.
    pub findings: Vec<Entry>,
}

impl Baseline {
    /// The baseline of a report's (unsuppressed) findings.
    pub fn from_report(report: &Report) -> Baseline {
        let entries: BTreeSet<Entry> = report
            .findings
            .iter()
            .map(|f| Entry {
                fingerprint: f.fingerprint.clone(),
                rule_id: f.rule_id.clone(),
                place: f.place(),
            })
            .collect();
        Baseline {
            version: 1,
            findings: entries.into_iter().collect(),
        }
    }

    /// Reads a baseline file.
    pub fn load(path: &Path) -> Result<Baseline, Error> {
        let bytes = std::fs::read(path).map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })?;
        let baseline: Baseline = serde_json::from_slice(&bytes).map_err(|e| Error::Config {
            path: path.to_owned(),
            message: format!("not a stowaway baseline: {e}"),
        })?;
        if baseline.version != 1 {
            return Err(Error::Config {
                path: path.to_owned(),
                message: format!("baseline version {} is not supported", baseline.version),
            });
        }
        Ok(baseline)
    }

    /// Moves the findings whose fingerprint is in the baseline to `report.suppressed`.
    pub fn apply(&self, report: &mut Report, name: &str) {
        let known: BTreeSet<&str> = self
            .findings
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect();
        report.suppress(|f| {
            known
                .contains(f.fingerprint.as_str())
                .then(|| format!("in baseline {name}"))
        });
    }
}
