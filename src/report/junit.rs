//! JUnit XML for CI systems that show test results (GitLab `artifacts:reports:junit`, Jenkins,
//! Azure Pipelines): one test suite per scanned source, one failing test case per finding at or
//! above the fail-on threshold, a passing case per finding below it (its message in
//! `system-out`), an `error` case per scan error, and one passing case for a clean source.
//! Untrusted text is escaped for XML 1.0, control characters included.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::Report;
use super::escape::escape;
use crate::finding::{Finding, Severity};

enum Case<'a> {
    Finding(&'a Finding),
    Error(&'a str),
}

/// Writes the JUnit document; `fail_on` decides which findings fail.
pub fn render(report: &Report, fail_on: Severity, out: &mut dyn Write) -> io::Result<()> {
    let mut suites: BTreeMap<&str, Vec<Case<'_>>> = BTreeMap::new();
    for finding in &report.findings {
        suites
            .entry(&finding.source)
            .or_default()
            .push(Case::Finding(finding));
    }
    for error in &report.errors {
        suites
            .entry(&error.source)
            .or_default()
            .push(Case::Error(&error.message));
    }
    let failing = |f: &Finding| f.severity >= fail_on;
    let count = |cases: &[Case<'_>]| {
        let failures = cases
            .iter()
            .filter(|c| matches!(c, Case::Finding(f) if failing(f)))
            .count();
        let errors = cases.iter().filter(|c| matches!(c, Case::Error(_))).count();
        (cases.len().max(1), failures, errors)
    };
    let (mut tests, mut failures, mut errors) = (0, 0, 0);
    for cases in suites.values() {
        let (t, f, e) = count(cases);
        tests += t;
        failures += f;
        errors += e;
    }
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="stowaway" tests="{tests}" failures="{failures}" errors="{errors}">"#
    )?;
    for (source, cases) in &suites {
        let (t, f, e) = count(cases);
        let name = xml(source);
        writeln!(
            out,
            r#"  <testsuite name="{name}" tests="{t}" failures="{f}" errors="{e}">"#
        )?;
        for case in cases {
            match case {
                Case::Finding(finding) => write_finding(out, finding, failing(finding))?,
                Case::Error(message) => {
                    writeln!(
                        out,
                        r#"    <testcase classname="{name}" name="scan error">"#
                    )?;
                    let message = xml(message);
                    writeln!(out, r#"      <error message="{message}"/>"#)?;
                    writeln!(out, "    </testcase>")?;
                }
            }
        }
        writeln!(out, "  </testsuite>")?;
    }
    if suites.is_empty() {
        writeln!(
            out,
            r#"  <testsuite name="stowaway" tests="1" failures="0" errors="0">"#
        )?;
        writeln!(
            out,
            r#"    <testcase classname="stowaway" name="no secrets found"/>"#
        )?;
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

fn write_finding(out: &mut dyn Write, finding: &Finding, failing: bool) -> io::Result<()> {
    let classname = xml(&finding.source);
    let name = xml(&format!("{} {}", finding.rule_id, finding.place()));
    writeln!(
        out,
        r#"    <testcase classname="{classname}" name="{name}">"#
    )?;
    let secret = finding
        .secret
        .as_deref()
        .map_or(String::new(), |s| format!(" ({s})"));
    let body = format!(
        "{}{}&#10;fix: {}",
        xml(&finding.message),
        xml(&secret),
        xml(&finding.fix)
    );
    if failing {
        let message = xml(&format!("{}: {}", finding.severity, finding.rule_name));
        let kind = finding.severity.as_str();
        writeln!(
            out,
            r#"      <failure type="{kind}" message="{message}">{body}</failure>"#
        )?;
    } else {
        writeln!(out, "      <system-out>{body}</system-out>")?;
    }
    writeln!(out, "    </testcase>")
}

/// Text for an XML attribute or element: terminal controls escaped first (XML 1.0 cannot
/// carry most control characters at all), then markup.
fn xml(text: &str) -> String {
    let safe = escape(text);
    let mut out = String::with_capacity(safe.len());
    for ch in safe.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            _ => out.push(ch),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup_and_controls() {
        assert_eq!(xml("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
        let escaped = xml("x\u{1b}[31my");
        assert!(!escaped.contains('\u{1b}'), "{escaped}");
    }
}
