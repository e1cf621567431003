//! The human-readable report: findings grouped by source, then stage, then instruction, each
//! with its position, severity, rule, redacted value, message and a one-line fix; then errors
//! and a summary line. Colour only when asked (the binary asks on a terminal). Every piece of
//! untrusted text passes through [`escape`].

use std::io::{self, Write};

use super::Report;
use super::escape::escape;
use crate::finding::{Finding, Severity};

/// Longest instruction text shown in a group header.
const INSTRUCTION_WIDTH: usize = 96;

struct Style {
    color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn severity(&self, severity: Severity) -> String {
        let code = match severity {
            Severity::Critical => "1;31",
            Severity::High => "31",
            Severity::Medium => "33",
            Severity::Low => "36",
            Severity::Info => "2",
        };
        self.paint(code, &format!("{:<8}", severity.as_str()))
    }
}

/// Writes the text report.
pub fn render(report: &Report, color: bool, out: &mut dyn Write) -> io::Result<()> {
    let style = Style { color };
    let mut previous: Option<&Finding> = None;
    for finding in &report.findings {
        let location = &finding.location;
        let same_source = previous.is_some_and(|p| p.source == finding.source);
        let same_stage =
            same_source && previous.is_some_and(|p| p.location.stage == location.stage);
        let same_instruction = same_stage
            && previous.is_some_and(|p| {
                (&p.location.instruction, p.location.instruction_line)
                    == (&location.instruction, location.instruction_line)
            });
        if !same_source {
            if previous.is_some() {
                writeln!(out)?;
            }
            writeln!(out, "{}", style.paint("1", &escape(&finding.source)))?;
        }
        if !same_stage {
            writeln!(out, "  {}", stage_header(finding))?;
        }
        if !same_instruction {
            let instruction = location.instruction.as_deref().unwrap_or("");
            let line = location
                .instruction_line
                .map_or(String::new(), |l| format!("line {l}  "));
            writeln!(
                out,
                "    {}{}",
                style.paint("2", &line),
                escape(&shorten(instruction))
            )?;
        }
        write_finding(out, &style, finding)?;
        previous = Some(finding);
    }
    if !report.errors.is_empty() {
        if !report.findings.is_empty() {
            writeln!(out)?;
        }
        for error in &report.errors {
            writeln!(
                out,
                "{} {}",
                style.paint("1;31", "error:"),
                escape(&error.to_string())
            )?;
        }
    }
    if !report.findings.is_empty() || !report.errors.is_empty() {
        writeln!(out)?;
    }
    writeln!(out, "{}", summary(report))
}

fn stage_header(finding: &Finding) -> String {
    match (&finding.location.stage, finding.location.in_final_image) {
        (None, _) => "global (before the first FROM)".to_owned(),
        (Some(stage), Some(false)) => format!("stage {} (not in the final image)", escape(stage)),
        (Some(stage), _) => format!("stage {}", escape(stage)),
    }
}

fn write_finding(out: &mut dyn Write, style: &Style, finding: &Finding) -> io::Result<()> {
    let location = &finding.location;
    let position = match (location.line, location.column) {
        (Some(line), Some(column)) => format!("{line}:{column}"),
        _ => escape(&location.path).into_owned(),
    };
    let secret = finding
        .secret
        .as_deref()
        .map_or(String::new(), |s| format!("  {}", escape(s)));
    writeln!(
        out,
        "      {} {}  {}{}",
        style.severity(finding.severity),
        style.paint("1", &finding.rule_id),
        position,
        secret
    )?;
    writeln!(out, "               {}", escape(&finding.message))?;
    writeln!(
        out,
        "               {} {}",
        style.paint("32", "fix:"),
        escape(&finding.fix)
    )
}

fn shorten(text: &str) -> String {
    match text.char_indices().nth(INSTRUCTION_WIDTH) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// `3 findings (1 critical, 2 medium) in 2 sources; 1 suppressed; 0 errors`.
pub fn summary(report: &Report) -> String {
    let counts = report.counts();
    let by_severity: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .filter(|s| counts[**s as usize] > 0)
        .map(|s| format!("{} {}", counts[*s as usize], s))
        .collect();
    let n = report.findings.len();
    let detail = if by_severity.is_empty() {
        String::new()
    } else {
        format!(" ({})", by_severity.join(", "))
    };
    format!(
        "{n} finding{}{detail} in {} source{}; {} suppressed; {} error{}",
        plural(n),
        report.sources,
        plural(report.sources),
        report.suppressed.len(),
        report.errors.len(),
        plural(report.errors.len()),
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
