//! The human-readable report: findings grouped by source, then stage, then instruction, each
//! with its position, severity, rule, redacted value, message and a one-line fix; then errors
//! and a summary line. Colour only when asked (the binary asks on a terminal). Every piece of
//! untrusted text passes through [`escape`].

use std::io::{self, Write};

use super::Report;
use super::escape::escape;
use crate::finding::{Finding, LocationKind, Severity};

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
        let same_source = previous.is_some_and(|p| p.source == finding.source);
        let same_section = same_source && previous.is_some_and(|p| section(p) == section(finding));
        let same_subsection =
            same_section && previous.is_some_and(|p| subsection(p) == subsection(finding));
        if !same_source {
            if previous.is_some() {
                writeln!(out)?;
            }
            writeln!(out, "{}", style.paint("1", &escape(&finding.source)))?;
        }
        if !same_section {
            writeln!(out, "  {}", section(finding))?;
        }
        if !same_subsection {
            let (dim, text) = subsection(finding);
            writeln!(
                out,
                "    {}{}",
                style.paint("2", &dim),
                escape(&shorten(&text))
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
    if !report.vendor.is_empty() || !report.vendor_errors.is_empty() {
        let mut owners: Vec<&str> = report
            .vendor
            .iter()
            .filter_map(|f| f.location.image.as_ref()?.owner.as_deref())
            .chain(
                report
                    .vendor_errors
                    .iter()
                    .filter_map(|e| e.owner.as_deref()),
            )
            .collect();
        owners.sort_unstable();
        owners.dedup();
        let shown: Vec<String> = owners
            .iter()
            .take(5)
            .map(|o| escape(o).into_owned())
            .collect();
        let more = if owners.len() > 5 { ", …" } else { "" };
        let (found, problems) = (report.vendor.len(), report.vendor_errors.len());
        let what = match (found, problems) {
            (n, 0) => format!("{n} finding{}", plural(n)),
            (0, e) => format!("{e} problem{}", plural(e)),
            (n, e) => format!("{n} finding{} and {e} problem{}", plural(n), plural(e)),
        };
        writeln!(
            out,
            "{what} in files installed by packages ({}{more}), not counted; --include-vendor lists them",
            shown.join(", ")
        )?;
    }
    writeln!(out, "{}", summary(report))
}

/// The second grouping level: the stage of a Dockerfile, or the image.
fn section(finding: &Finding) -> String {
    let location = &finding.location;
    if let Some(image) = &location.image {
        return match &image.platform {
            Some(platform) => format!("image {} ({platform})", escape(&image.image)),
            None => format!("image {}", escape(&image.image)),
        };
    }
    match (&location.stage, location.in_final_image) {
        (None, _) => "global (before the first FROM)".to_owned(),
        (Some(stage), Some(false)) => format!("stage {} (not in the final image)", escape(stage)),
        (Some(stage), _) => format!("stage {}", escape(stage)),
    }
}

/// The third grouping level: `(dimmed prefix, text)` of the instruction, layer or config.
fn subsection(finding: &Finding) -> (String, String) {
    let location = &finding.location;
    let instruction = location.instruction.clone().unwrap_or_default();
    match (&location.image, location.kind) {
        (Some(_), LocationKind::Config) => (String::new(), "config".to_owned()),
        (Some(image), _) => {
            let digest = image
                .layer_digest
                .as_deref()
                .or(image.diff_id.as_deref())
                .map(|d| format!(" {}", &d[..d.len().min(19)]))
                .unwrap_or_default();
            let index = image.layer_index.unwrap_or(0);
            let gap = if instruction.is_empty() { "" } else { "  " };
            (format!("layer {index}{digest}{gap}"), instruction)
        }
        (None, _) => {
            let line = location
                .instruction_line
                .map_or(String::new(), |l| format!("line {l}  "));
            (line, instruction)
        }
    }
}

fn write_finding(out: &mut dyn Write, style: &Style, finding: &Finding) -> io::Result<()> {
    let location = &finding.location;
    let field = location.image.as_ref().and_then(|i| i.field.as_deref());
    let path = escape(&location.path);
    let position = match (location.kind, location.line, location.column, field) {
        (_, _, _, Some(field)) => escape(field).into_owned(),
        (LocationKind::Layer, Some(line), Some(column), _) => format!("{path}:{line}:{column}"),
        (_, Some(line), Some(column), _) => format!("{line}:{column}"),
        _ => path.into_owned(),
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
    if let (Some(dockerfile), Some(line)) = (&location.dockerfile, location.instruction_line) {
        let stage = location
            .stage
            .as_deref()
            .map_or(String::new(), |s| format!(" (stage {})", escape(s)));
        writeln!(
            out,
            "               made by {}:{line}{stage}",
            escape(dockerfile)
        )?;
    }
    writeln!(
        out,
        "               {} {}",
        style.paint("32", "fix:"),
        escape(&finding.fix)
    )
}

fn shorten(text: &str) -> String {
    crate::error::clip(text, INSTRUCTION_WIDTH).into_owned()
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
