//! The audit summary: one row per image input (layers, bytes read, findings by severity,
//! errors, time, and the exit code that image alone would give), then a total line. Printed
//! after the report by `stowaway audit`; it carries timings, so it is never part of the JSON.

use std::fmt::Write as _;

use super::Report;
use super::escape::escape;
use crate::finding::Severity;

/// The summary table as text.
pub fn table(report: &Report, fail_on: Severity) -> String {
    let mut out = String::new();
    let width = report
        .images
        .iter()
        .map(|i| escape(&i.source).chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 60);
    let _ = writeln!(
        out,
        "{:<width$}  {:>6} {:>10}  {:>4} {:>4} {:>4} {:>4}  {:>6}  {:>7}  exit",
        "image", "layers", "bytes", "crit", "high", "med", "low", "errors", "time"
    );
    let mut worst = 0;
    for stats in &report.images {
        let mut counts = [0usize; 5];
        let mut failing = false;
        for finding in report.findings.iter().filter(|f| f.source == stats.source) {
            counts[finding.severity as usize] += 1;
            failing |= finding.severity >= fail_on;
        }
        let errors = report
            .errors
            .iter()
            .filter(|e| e.source == stats.source)
            .count();
        let exit = if errors > 0 { 2 } else { u8::from(failing) };
        worst = worst.max(exit);
        let name: String = escape(&stats.source).chars().take(60).collect();
        let _ = writeln!(
            out,
            "{name:<width$}  {:>6} {:>10}  {:>4} {:>4} {:>4} {:>4}  {:>6}  {:>6.2}s  {exit}",
            stats.layers,
            bytes(stats.bytes),
            counts[Severity::Critical as usize],
            counts[Severity::High as usize],
            counts[Severity::Medium as usize],
            counts[Severity::Low as usize],
            errors,
            stats.seconds,
        );
    }
    let total: u64 = report.images.iter().map(|i| i.bytes).sum();
    let elsewhere = report
        .errors
        .iter()
        .filter(|e| !report.images.iter().any(|i| i.source == e.source))
        .count();
    if elsewhere > 0 {
        worst = 2;
    }
    let _ = writeln!(
        out,
        "{} image input{}, {} read, {elsewhere} error{} outside them, worst exit {worst}",
        report.images.len(),
        if report.images.len() == 1 { "" } else { "s" },
        bytes(total),
        if elsewhere == 1 { "" } else { "s" },
    );
    out
}

fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(3 << 30), "3.0 GiB");
    }
}
