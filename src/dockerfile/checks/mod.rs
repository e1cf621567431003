//! The pre-build checks: from a parsed [`Dockerfile`] (and optionally its build [`Context`]) to
//! findings.
//!
//! Each submodule proposes [`Candidate`]s for one instruction: [`variables`] (secret-looking
//! `ENV`/`ARG`/`LABEL` names and their values, build args that end up in history), [`content`]
//! (every content rule over the instruction text and heredoc bodies), [`run`] (literal secrets
//! assigned in shell commands), [`copy`] (secret files sent by `COPY`/`ADD`) and [`writes`]
//! (secret files a `RUN` writes from a variable or build secret). This module
//! resolves overlaps (a provider rule beats a Dockerfile check, which beats a generic rule),
//! applies the stage's reach, honours suppressions, and builds the [`Finding`]s.

pub mod content;
pub mod copy;
pub mod run;
pub mod tools;
pub mod variables;
pub mod writes;

use super::Dockerfile;
use std::cmp::Reverse;
use std::collections::HashSet;

use super::carried::Carried;
use super::context::Context;
use super::instruction::{Args, Instruction};
use super::stages::{Stage, Stages};
use crate::error::ScanError;
use crate::finding::{self, Confidence, Finding, Location, LocationKind, Severity};
use crate::rules::{Rule, RuleSet};

/// Longest instruction text kept in a finding.
const INSTRUCTION_CHARS: usize = 400;

/// Most findings reported for one instruction; past it the instruction is reported as
/// incomplete, so a hostile file cannot make the report explode.
const MAX_FINDINGS_PER_INSTRUCTION: usize = 1000;
/// Most findings (reported and suppressed) from one Dockerfile.
const MAX_FINDINGS_PER_DOCKERFILE: usize = 10_000;
/// Most parse errors reported from one Dockerfile; one more error counts the rest (a binary file
/// given as a Dockerfile has one per line).
const MAX_PARSE_ERRORS: usize = 100;
/// Most characters of a parse error's message.
const MAX_PARSE_ERROR_CHARS: usize = 200;

/// BuildKit's name for its own secret-name lint; `# check=skip=` with it silences our name checks.
const BUILDKIT_SECRETS_CHECK: &str = "SecretsUsedInArgOrEnv";

/// The rules that stand in for BuildKit's `SecretsUsedInArgOrEnv`.
const NAME_CHECKS: &[&str] = &[
    "dockerfile.secret-env",
    "dockerfile.secret-arg",
    "dockerfile.secret-build-arg",
];

/// What a check proposes; the orchestrator turns it into a [`Finding`].
#[derive(Debug, Clone)]
pub struct Candidate<'r> {
    /// The rule or check.
    pub rule: &'r Rule,
    /// Severity before the stage adjustment.
    pub severity: Severity,
    /// The secret value, or `None` when the finding is a file rather than a value.
    pub secret: Option<String>,
    /// File offset of the evidence in the Dockerfile (start, end).
    pub span: (usize, usize),
    /// The sentence shown to the user.
    pub message: String,
    /// What names the secret besides its value, for the fingerprint: the variable name, a
    /// secret file's [`finding::file_key`], or empty for a content match.
    pub anchor: String,
    /// For context findings: the context file, relative to the context root.
    pub context_file: Option<String>,
    /// Confidence when it differs from the rule's (a validated content match).
    pub confidence: Option<Confidence>,
    /// The file the instruction leaves the secret in, as written (`.npmrc`, `/root/.ssh/id_rsa`):
    /// a `COPY --from` of the final image may carry it out of a builder stage.
    pub written: Option<String>,
}

impl Candidate<'_> {
    /// Overlap precedence: severity, then provider rule > Dockerfile check > generic rule.
    fn strength(&self) -> (Severity, u8) {
        let rank = match &self.rule.matcher {
            _ if self.rule.is_generic() => 0,
            crate::rules::Matcher::Check => 1,
            _ => 2,
        };
        (self.severity, rank)
    }
}

/// The outcome of checking one Dockerfile.
#[derive(Debug, Default)]
pub struct Checked {
    /// Findings, unsorted.
    pub findings: Vec<Finding>,
    /// Findings silenced by an inline comment or a `# check=skip=` directive, with the reason.
    pub suppressed: Vec<(Finding, String)>,
    /// Parse problems and context problems.
    pub errors: Vec<ScanError>,
}

/// What the checks need besides the Dockerfile.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The Dockerfile path as given (`-` for stdin).
    pub source: &'a str,
    /// The rules.
    pub rules: &'a RuleSet,
    /// The listed build context, if any.
    pub context: Option<&'a Context<'a>>,
    /// The stage being built (`--target`), default the last.
    pub target: Option<&'a str>,
}

/// Runs every check over `dockerfile`.
pub fn check(dockerfile: &Dockerfile, inputs: Inputs<'_>) -> Checked {
    let stages = Stages::new(dockerfile, inputs.target);
    let carried = Carried::new(dockerfile, &stages);
    let mut checked = Checked::default();
    for error in dockerfile.errors.iter().take(MAX_PARSE_ERRORS) {
        // messages quote the file (a heredoc name, a directive's value): a bounded piece of it
        let message = crate::error::clip(&error.message, MAX_PARSE_ERROR_CHARS);
        checked
            .errors
            .push(ScanError::new(inputs.source, message).at_line(error.line));
    }
    if let Some(first) = dockerfile.errors.get(MAX_PARSE_ERRORS) {
        let more = dockerfile.errors.len() - MAX_PARSE_ERRORS;
        let message = format!("{more} more parse errors from here on, not reported");
        checked
            .errors
            .push(ScanError::new(inputs.source, message).at_line(first.line));
    }
    let skip = dockerfile.directives.skipped_checks();
    let skip_names = skip
        .iter()
        .any(|s| s == "all" || s.eq_ignore_ascii_case(BUILDKIT_SECRETS_CHECK));
    let mut state = variables::StageState::default();
    for (index, instruction) in dockerfile.instructions.iter().enumerate() {
        if checked.findings.len() + checked.suppressed.len() >= MAX_FINDINGS_PER_DOCKERFILE {
            let what = format!("{MAX_FINDINGS_PER_DOCKERFILE} findings in this Dockerfile");
            checked
                .errors
                .push(too_many(dockerfile, instruction, &inputs, &what));
            break;
        }
        let stage = stages.stage_of(index);
        if let Some(s) = stage.filter(|s| s.from == index) {
            state =
                variables::StageState::new(&dockerfile.instructions[s.body.clone()], s.body.start);
        }
        let mut candidates = Vec::new();
        let mut targets = vec![instruction];
        if let Args::Onbuild(inner) = &instruction.args {
            targets.push(inner);
        }
        for target in targets {
            candidates.extend(content::check(target, inputs.rules));
            let in_stage = stage.is_some();
            candidates.extend(variables::check(
                target,
                index,
                in_stage,
                &mut state,
                inputs.rules,
            ));
            candidates.extend(run::check(target, inputs.rules));
            candidates.extend(copy::check(target, inputs.rules, inputs.context));
            candidates.extend(writes::check(target, inputs.rules));
        }
        let mut resolved = resolve_overlaps(candidates);
        if resolved.len() > MAX_FINDINGS_PER_INSTRUCTION {
            resolved.truncate(MAX_FINDINGS_PER_INSTRUCTION);
            let what = format!("{MAX_FINDINGS_PER_INSTRUCTION} findings in one instruction");
            checked
                .errors
                .push(too_many(dockerfile, instruction, &inputs, &what));
        }
        for candidate in resolved {
            // a file a builder stage leaves, which a COPY --from of the final image takes along
            let carrier = stage.filter(|s| !s.in_final_image).and_then(|s| {
                let path = candidate.written.as_deref()?;
                carried.carrier(s.index, index, &carried.absolute(s.index, index, path))
            });
            let finding =
                build_finding(dockerfile, instruction, stage, &inputs, candidate, carrier);
            match suppression(instruction, &finding.rule_id, skip_names) {
                Some(reason) => checked.suppressed.push((finding, reason)),
                None => checked.findings.push(finding),
            }
        }
    }
    checked
}

/// Keeps the strongest of candidates whose spans overlap (file findings never overlap values),
/// and one candidate per rule and secret: a token repeated a thousand times in one `RUN` is one
/// finding. Linear after the sort: kept value spans are disjoint and ordered, so a candidate can
/// only overlap the last one kept.
fn resolve_overlaps(mut candidates: Vec<Candidate<'_>>) -> Vec<Candidate<'_>> {
    candidates.sort_by(|a, b| {
        let key = |c: &Candidate<'_>| (c.context_file.is_some(), c.span.0, Reverse(c.strength()));
        key(a).cmp(&key(b))
    });
    let mut kept: Vec<Candidate<'_>> = Vec::with_capacity(candidates.len());
    for candidate in candidates {
        let last = kept.last_mut().filter(|k| {
            k.context_file.is_none()
                && candidate.context_file.is_none()
                && candidate.span.0 < k.span.1.max(k.span.0 + 1)
        });
        match last {
            Some(last) if candidate.strength() > last.strength() => *last = candidate,
            Some(_) => {}
            None => kept.push(candidate),
        }
    }
    let mut seen = HashSet::new();
    kept.retain(|c| {
        c.secret.is_none()
            || seen.insert((c.rule.id.as_str(), c.secret.clone(), c.context_file.clone()))
    });
    kept
}

/// The error for a cap reached at `instruction`: "more than {what}; the rest are not reported".
fn too_many(
    dockerfile: &Dockerfile,
    instruction: &Instruction,
    inputs: &Inputs<'_>,
    what: &str,
) -> ScanError {
    let line = dockerfile.position(instruction.offset).line;
    let message = format!("more than {what}; the rest are not reported");
    ScanError::new(inputs.source, message).at_line(line)
}

/// The instruction as shown in a finding: at most [`INSTRUCTION_CHARS`] characters, cut at
/// whitespace so that no secret is ever shown in part (whole secrets are redacted later).
fn shown_instruction(text: &str) -> String {
    let text = text.trim();
    let Some((cut, _)) = text.char_indices().nth(INSTRUCTION_CHARS) else {
        return text.to_owned();
    };
    let head = &text[..cut];
    let head = head.rfind(char::is_whitespace).map_or("", |at| &head[..at]);
    format!("{} …", head.trim_end())
}

fn build_finding(
    dockerfile: &Dockerfile,
    instruction: &Instruction,
    stage: Option<&Stage>,
    inputs: &Inputs<'_>,
    candidate: Candidate<'_>,
    carrier: Option<usize>,
) -> Finding {
    let carried_line =
        carrier.map(|at| dockerfile.position(dockerfile.instructions[at].offset).line);
    let in_final_image = stage.map(|s| s.in_final_image || carried_line.is_some());
    let mut severity = candidate.severity;
    let mut message = candidate.message;
    match carried_line {
        Some(line) => message.push_str(&format!(
            " (a builder stage, but the COPY --from on line {line} carries the file into the final image)"
        )),
        None if in_final_image == Some(false) => {
            severity = severity.lowered();
            message.push_str(" (stage not in the final image: still in build cache and CI logs)");
        }
        None => {}
    }
    let instruction_line = dockerfile.position(instruction.offset).line;
    let (kind, path, position) = match (&candidate.context_file, inputs.context) {
        (Some(file), Some(context)) => {
            let path = context.root.join(file).display().to_string();
            (LocationKind::Context, path, None)
        }
        _ => (
            LocationKind::Dockerfile,
            inputs.source.to_owned(),
            Some(dockerfile.position(candidate.span.0)),
        ),
    };
    let secret_for_print = candidate.secret.clone().unwrap_or_default();
    Finding {
        rule_id: candidate.rule.id.clone(),
        rule_name: candidate.rule.name.clone(),
        severity,
        confidence: candidate.confidence.unwrap_or(candidate.rule.confidence),
        source: inputs.source.to_owned(),
        fingerprint: finding::fingerprint(&candidate.rule.id, &secret_for_print, &candidate.anchor),
        secret: candidate.secret,
        message,
        fix: candidate.rule.remediation.clone(),
        location: Location {
            kind,
            path,
            line: position.map(|p| p.line),
            column: position.map(|p| p.column),
            instruction: Some(shown_instruction(&instruction.text.text)),
            instruction_line: Some(instruction_line),
            stage: stage.map(Stage::label),
            in_final_image,
            dockerfile: None,
            image: None,
        },
    }
}

/// Why a finding on `instruction` is suppressed, if it is.
fn suppression(instruction: &Instruction, rule_id: &str, skip_names: bool) -> Option<String> {
    for comment in &instruction.comments {
        let Some(rest) = comment.strip_prefix("stowaway:ignore") else {
            continue;
        };
        let rest = rest.trim();
        if rest.is_empty() {
            return Some("inline # stowaway:ignore".to_owned());
        }
        if let Some(list) = rest.strip_prefix('=')
            && list.split(',').any(|id| id.trim() == rule_id)
        {
            return Some(format!("inline # stowaway:ignore={rule_id}"));
        }
    }
    if skip_names && NAME_CHECKS.contains(&rule_id) {
        return Some(format!("# check=skip={BUILDKIT_SECRETS_CHECK}"));
    }
    None
}
