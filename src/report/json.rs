//! The JSON report, version 1: `{"version":1,"summary":{…},"findings":[…],"suppressed":[…],
//! "vendor":[…],"errors":[…],"vendor_errors":[…]}`. Field meanings are documented in the README; fields are only ever added.

use std::io::{self, Write};

use serde::Serialize;

use super::{Report, Suppressed};
use crate::error::ScanError;
use crate::finding::{Finding, Severity};

/// The JSON format's version; bumped only on an incompatible change.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    summary: Summary,
    findings: &'a [Finding],
    suppressed: &'a [Suppressed],
    vendor: &'a [Finding],
    errors: &'a [ScanError],
    vendor_errors: &'a [ScanError],
}

/// The `summary` object: counts of sources, findings by list and by severity, errors.
#[derive(Serialize)]
pub struct Summary {
    sources: usize,
    findings: usize,
    suppressed: usize,
    vendor: usize,
    errors: usize,
    vendor_errors: usize,
    by_severity: std::collections::BTreeMap<&'static str, usize>,
}

/// The summary of a report.
pub fn summary(report: &Report) -> Summary {
    let counts = report.counts();
    Summary {
        sources: report.sources,
        findings: report.findings.len(),
        suppressed: report.suppressed.len(),
        vendor: report.vendor.len(),
        errors: report.errors.len(),
        vendor_errors: report.vendor_errors.len(),
        by_severity: Severity::ALL
            .iter()
            .map(|s| (s.as_str(), counts[*s as usize]))
            .collect(),
    }
}

/// Writes the report as pretty-printed JSON followed by a newline.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let document = Document {
        version: VERSION,
        summary: summary(report),
        findings: &report.findings,
        suppressed: &report.suppressed,
        vendor: &report.vendor,
        errors: &report.errors,
        vendor_errors: &report.vendor_errors,
    };
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}
