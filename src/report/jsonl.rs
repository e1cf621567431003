//! JSON Lines for audit scripts: one object per line, each with a `type`: `finding`,
//! `suppressed` (with `reason`), `vendor`, `error`, `vendor_error`, and a last `summary` line. The objects are
//! the JSON report's own (same fields, same redaction), so `jq 'select(.type=="finding")'` over
//! many runs needs no other schema.

use std::io::{self, Write};

use serde::Serialize;

use super::Report;

#[derive(Serialize)]
struct Line<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    item: &'a T,
}

fn line<T: Serialize>(out: &mut dyn Write, kind: &'static str, item: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &Line { kind, item })?;
    writeln!(out)
}

/// Writes one line per finding, suppressed finding, vendor finding, error and vendor error, then
/// a summary.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for finding in &report.findings {
        line(out, "finding", finding)?;
    }
    for suppressed in &report.suppressed {
        line(out, "suppressed", suppressed)?;
    }
    for finding in &report.vendor {
        line(out, "vendor", finding)?;
    }
    for error in &report.errors {
        line(out, "error", error)?;
    }
    for error in &report.vendor_errors {
        line(out, "vendor_error", error)?;
    }
    line(out, "summary", &super::json::summary(report))
}
