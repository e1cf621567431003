//! The [`Report`] of a run and its renderers: [`text`], [`json`] and [`sarif`].
//!
//! A report is assembled by the scan module, sorted once, redacted once (unless the user asked
//! for `--show-secrets`), and then handed to a renderer that writes to any `impl Write`. No
//! renderer sees a raw secret unless redaction was turned off, and no renderer sorts.
//! This module never imports `scan`.

pub mod audit;
pub mod escape;
pub mod gitlab;
pub mod json;
pub mod jsonl;
pub mod junit;
pub mod sarif;
pub mod text;

use std::io::Write;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use serde::Serialize;

use crate::error::ScanError;
use crate::finding::{self, Finding, Severity};
use crate::rules::RuleSet;

/// A finding that a suppression silenced, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppressed {
    /// The finding.
    #[serde(flatten)]
    pub finding: Finding,
    /// Why it was silenced (`inline # stowaway:ignore`, `# check=skip=…`).
    pub reason: String,
}

/// What reading one image input cost (for the audit summary; never in JSON, which must not
/// change with timing).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImageStats {
    /// The input as given.
    pub source: String,
    /// Images in it (platforms of an index count one each).
    pub images: usize,
    /// Layers read.
    pub layers: usize,
    /// Decompressed layer bytes read.
    pub bytes: u64,
    /// Wall time, seconds.
    pub seconds: f64,
}

/// Everything a run found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Findings, sorted by [`Finding::sort_key`].
    pub findings: Vec<Finding>,
    /// Silenced findings, sorted the same way.
    pub suppressed: Vec<Suppressed>,
    /// Findings in files that an OS or language package installed (`location.owner`), kept
    /// apart at `low` at most and out of the exit code unless `--include-vendor`.
    pub vendor: Vec<Finding>,
    /// Problems with parts of the input; any of them makes the exit code 2.
    pub errors: Vec<ScanError>,
    /// Problems inside package-owned files (`owner`: a corrupt test archive that a package
    /// ships), kept apart and out of the exit code unless `--include-vendor`.
    pub vendor_errors: Vec<ScanError>,
    /// How many sources (Dockerfiles) were scanned.
    pub sources: usize,
    /// When the scan started and finished (Unix seconds), when the scan module measured it.
    pub timing: Option<(u64, u64)>,
    /// Per image input: layers, bytes and time, in input order.
    pub images: Vec<ImageStats>,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Human-readable, grouped by file, stage and instruction.
    Text,
    /// `{"version":1,"findings":[…],"suppressed":[…],"errors":[…]}`.
    Json,
    /// SARIF 2.1.0 for code scanning.
    Sarif,
    /// JSON Lines: one finding (or suppressed finding, error, summary) per line.
    Jsonl,
    /// GitLab's secret-detection report.
    Gitlab,
    /// JUnit XML.
    Junit,
}

/// Rendering options.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// Format to write.
    pub format: Format,
    /// ANSI colours (text format only).
    pub color: bool,
    /// The threshold that fails the run (JUnit marks findings at or above it as failures).
    pub fail_on: Severity,
    /// The scanned revision (GitLab's report requires one; `CI_COMMIT_SHA` in GitLab CI).
    pub commit: Option<String>,
}

impl Report {
    /// Sorts findings, suppressed findings and errors so that output never depends on the order
    /// in which threads finished.
    pub fn sort(&mut self) {
        self.findings
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.suppressed
            .sort_by(|a, b| a.finding.sort_key().cmp(&b.finding.sort_key()));
        for errors in [&mut self.errors, &mut self.vendor_errors] {
            errors.sort_by(|a, b| error_key(a).cmp(&error_key(b)));
        }
    }

    /// Replaces every secret, wherever it appears in a finding (secret, instruction, path, field,
    /// message) or an error, with its redacted form. One Aho-Corasick pass per text over all
    /// secrets (longest first), so the cost stays linear however many findings and secrets there
    /// are. An instruction is the user's text and loses every secret; a path or a field loses
    /// every secret of 8 characters or more but a plain lowercase word (a token used as a
    /// directory name is found there by the content rules); a message is ours, quoting names,
    /// paths and fields, and loses every secret but a plain lowercase word: a value like
    /// `password` or `admin` is weak, but reads as our own word there ("a hard-coded
    /// password-like value").
    pub fn redact(&mut self) {
        // Placeholders (info) are not secrets. Every finding's own secret field is redacted
        // regardless.
        let mut secrets: Vec<String> = self
            .findings
            .iter()
            .chain(self.suppressed.iter().map(|s| &s.finding))
            .chain(&self.vendor)
            .filter(|f| f.severity > Severity::Info)
            .filter_map(|f| f.secret.clone())
            .filter(|s| s.chars().count() >= 4)
            .collect();
        secrets.sort();
        secrets.dedup();
        let word = |s: &String| s.bytes().all(|b| b.is_ascii_lowercase());
        let matcher = |secrets: Vec<&String>| {
            let replacements: Vec<String> = secrets.iter().map(|s| finding::redact(s)).collect();
            // the contiguous NFA: texts are short, and building a DFA for each of the three
            // matchers was 2 % of checking one small Dockerfile
            let matcher = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .kind(Some(AhoCorasickKind::ContiguousNFA))
                .build(&secrets)
                .ok();
            matcher.map(|m| (m, replacements))
        };
        let all: Vec<&String> = secrets.iter().collect();
        let not_words: Vec<&String> = secrets.iter().filter(|s| !word(s)).collect();
        // a path keeps its words: a weak value found somewhere (`auth`) is no reason to cut
        // `apt_auth.conf` in every path; a token used as a name is long and not a word
        let long: Vec<&String> = not_words
            .iter()
            .copied()
            .filter(|s| s.chars().count() >= 8)
            .collect();
        // most often the lists are the same: each is built once (an automaton clones cheaply)
        let everywhere = matcher(all.clone());
        let in_messages = match not_words == all {
            true => everywhere.clone(),
            false => matcher(not_words.clone()),
        };
        let in_paths = match long == not_words {
            true => in_messages.clone(),
            false => matcher(long),
        };
        let redact = |text: &mut String, with: &Option<(AhoCorasick, Vec<String>)>| {
            if let Some((matcher, replacements)) = with
                && matcher.is_match(text.as_str())
            {
                *text = matcher.replace_all(text, replacements);
            }
        };
        let findings = self
            .findings
            .iter_mut()
            .chain(self.suppressed.iter_mut().map(|s| &mut s.finding))
            .chain(&mut self.vendor);
        for finding in findings {
            finding.secret = finding.secret.as_deref().map(finding::redact);
            redact(&mut finding.message, &in_messages);
            let location = &mut finding.location;
            let image = location.image.as_mut();
            let field = image.and_then(|image| image.field.as_mut());
            if let Some(instruction) = location.instruction.as_mut() {
                redact(instruction, &everywhere);
            }
            let names = [field, location.dockerfile.as_mut()].into_iter().flatten();
            for name in names.chain([&mut location.path]) {
                redact(name, &in_paths);
            }
        }
        for error in self.errors.iter_mut().chain(&mut self.vendor_errors) {
            redact(&mut error.message, &in_messages);
            if let Some(path) = error.path.as_mut() {
                redact(path, &in_paths);
            }
        }
    }

    /// Moves every finding that `why` gives a reason for to [`Report::suppressed`], keeping
    /// both lists sorted.
    pub fn suppress(&mut self, why: impl Fn(&Finding) -> Option<String>) {
        let mut kept = Vec::with_capacity(self.findings.len());
        for finding in std::mem::take(&mut self.findings) {
            match why(&finding) {
                Some(reason) => self.suppressed.push(Suppressed { finding, reason }),
                None => kept.push(finding),
            }
        }
        self.findings = kept;
        self.sort();
    }

    /// Counts of findings by severity, lowest first (indexes follow [`Severity::ALL`]).
    pub fn counts(&self) -> [usize; 5] {
        let mut counts = [0; 5];
        for finding in &self.findings {
            counts[finding.severity as usize] += 1;
        }
        counts
    }

    /// Moves findings in package-owned files to [`Report::vendor`], at `low` at most, and
    /// problems in such files to [`Report::vendor_errors`].
    pub fn separate_vendor(&mut self) {
        let (vendor, own): (Vec<ScanError>, Vec<ScanError>) = std::mem::take(&mut self.errors)
            .into_iter()
            .partition(|e| e.owner.is_some());
        self.errors = own;
        self.vendor_errors.extend(vendor);
        let (vendor, own): (Vec<Finding>, Vec<Finding>) = std::mem::take(&mut self.findings)
            .into_iter()
            .partition(|f| f.location.image.as_ref().is_some_and(|i| i.owner.is_some()));
        self.findings = own;
        self.vendor.extend(vendor.into_iter().map(|mut f| {
            f.severity = f.severity.min(Severity::Low);
            f
        }));
    }

    /// 2 when any error occurred, else 1 when a finding is at or above `fail_on`, else 0.
    pub fn exit_code(&self, fail_on: Severity) -> u8 {
        if !self.errors.is_empty() {
            2
        } else if self.findings.iter().any(|f| f.severity >= fail_on) {
            1
        } else {
            0
        }
    }

    /// Writes the report in the chosen format.
    pub fn render(
        &self,
        rules: &RuleSet,
        options: &RenderOptions,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        match options.format {
            Format::Text => text::render(self, options.color, out),
            Format::Json => json::render(self, out),
            Format::Sarif => sarif::render(self, rules, out),
            Format::Jsonl => jsonl::render(self, out),
            Format::Gitlab => gitlab::render(self, options.commit.as_deref(), out),
            Format::Junit => junit::render(self, options.fail_on, out),
        }
    }
}

/// The order of errors in a report.
fn error_key(e: &ScanError) -> (&str, Option<&str>, Option<u32>, &str) {
    (&e.source, e.path.as_deref(), e.line, &e.message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Location, LocationKind};

    fn finding(secret: &str, instruction: &str) -> Finding {
        Finding {
            rule_id: "r".into(),
            rule_name: "R".into(),
            severity: Severity::High,
            confidence: crate::finding::Confidence::Medium,
            source: "Dockerfile".into(),
            secret: Some(secret.into()),
            fingerprint: "f".into(),
            message: format!("found {secret}"),
            fix: "fix".into(),
            location: Location {
                kind: LocationKind::Dockerfile,
                path: "Dockerfile".into(),
                line: Some(1),
                column: Some(1),
                instruction: Some(instruction.into()),
                instruction_line: Some(1),
                stage: None,
                in_final_image: None,
                dockerfile: None,
                image: None,
            },
        }
    }

    #[test]
    fn redaction_reaches_every_text_field() {
        let a = "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";
        let b = "Zq81xkP2vwQ";
        let mut report = Report {
            findings: vec![finding(a, &format!("RUN x={a} y={b}")), finding(b, "RUN y")],
            ..Report::default()
        };
        report.redact();
        let all = format!("{:?}", report.findings);
        assert!(!all.contains(a) && !all.contains(b), "{all}");
        assert_eq!(report.findings[0].secret.as_deref(), Some("ghp_…4xXH"));
    }

    #[test]
    fn a_weak_word_is_redacted_from_instructions_not_from_our_words() {
        let mut weak = finding("password", "ENV DB_PASSWORD=password");
        weak.message = "ENV DB_PASSWORD holds a hard-coded password-like value".into();
        let mut report = Report {
            findings: vec![weak],
            ..Report::default()
        };
        report.redact();
        let weak = &report.findings[0];
        assert_eq!(weak.secret.as_deref(), Some("p…d"));
        assert_eq!(
            weak.location.instruction.as_deref(),
            Some("ENV DB_PASSWORD=p…d")
        );
        assert!(weak.message.contains("password-like"), "{}", weak.message);
    }

    #[test]
    fn exit_codes() {
        let mut report = Report::default();
        assert_eq!(report.exit_code(Severity::Medium), 0);
        report.findings.push(finding("s3cr3tvalue", "ENV"));
        assert_eq!(report.exit_code(Severity::Medium), 1);
        assert_eq!(report.exit_code(Severity::Critical), 0);
        report.errors.push(ScanError::new("x", "bad"));
        assert_eq!(report.exit_code(Severity::Critical), 2);
    }
}
