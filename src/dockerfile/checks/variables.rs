//! `ENV`, `ARG` and `LABEL`: a secret-looking name (see [`crate::rules::names`]) with a value
//! that decides the severity, build args whose values BuildKit records in the image history,
//! and `ENV` lines that copy a build arg into the image config.
//!
//! Severity by value: a random-looking literal is high; another literal (a weak password) is
//! medium; empty, a placeholder or a reference is low; a number, boolean, path or plain URL is
//! not reported. A value that a content rule recognises is reported by that rule instead.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;

use super::Candidate;
use crate::dockerfile::instruction::{Args, Command, Instruction, KeyValue, Kind};
use crate::finding::Severity;
use crate::rules::names::is_secret_name;
use crate::rules::value::{self, ValueKind};
use crate::rules::{Rule, RuleSet};

static VARIABLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*))").expect("var regex")
});

/// What a stage declares and uses.
#[derive(Debug, Default)]
pub struct StageState {
    /// Names of `ARG`s declared in the stage so far.
    args: HashSet<String>,
    /// For each variable a `RUN` of the stage references, the index of the last such `RUN`.
    last_use: HashMap<String, usize>,
}

impl StageState {
    /// The state at the start of a stage whose instructions are `body` (indexes from `first`).
    pub fn new(body: &[Instruction], first: usize) -> StageState {
        let mut last_use = HashMap::new();
        for (offset, run) in body.iter().enumerate() {
            if run.kind != Kind::Run {
                continue;
            }
            let command = match &run.args {
                Args::Command(Command::Shell(s)) => s.clone(),
                Args::Command(Command::Exec(v)) => v.join(" "),
                _ => String::new(),
            };
            let bodies = run.heredocs.iter().map(|h| h.body.as_str());
            for text in std::iter::once(command.as_str()).chain(bodies) {
                for name in referenced(text) {
                    last_use.insert(name.to_owned(), first + offset);
                }
            }
        }
        StageState {
            args: HashSet::new(),
            last_use,
        }
    }
}

/// Candidates for an `ENV`, `ARG` or `LABEL` at instruction `index`; `in_stage` is false before
/// the first `FROM`.
pub fn check<'r>(
    instruction: &Instruction,
    index: usize,
    in_stage: bool,
    state: &mut StageState,
    rules: &'r RuleSet,
) -> Vec<Candidate<'r>> {
    let Args::KeyValues(pairs) = &instruction.args else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for pair in pairs {
        let candidate = match instruction.kind {
            Kind::Env => env(pair, state, rules),
            Kind::Label => label(pair, rules),
            Kind::Arg if in_stage => arg(
                pair,
                state.last_use.get(&pair.key.value) > Some(&index),
                rules,
            ),
            Kind::Arg => global_arg(pair, rules),
            _ => None,
        };
        out.extend(candidate);
        if instruction.kind == Kind::Arg {
            state.args.insert(pair.key.value.clone());
        }
    }
    out
}

fn env<'r>(pair: &KeyValue, state: &StageState, rules: &'r RuleSet) -> Option<Candidate<'r>> {
    let name = &pair.key.value;
    let value = pair.value.as_ref()?;
    let from_args: Vec<&str> = copied(&value.value)
        .filter(|v| state.args.contains(*v))
        .collect();
    let secret_arg = from_args.iter().find(|a| is_secret_name(a));
    if let Some(arg) = secret_arg.or(from_args.first().filter(|_| is_secret_name(name))) {
        let rule = rules.get("dockerfile.secret-arg-to-env")?;
        let message = format!(
            "ENV {name} copies build argument {arg} into the image config, where docker inspect shows its value"
        );
        let mut candidate = at(rule, Severity::Medium, pair, message, format!("ENV:{name}"));
        candidate.secret = None; // the value is supplied at build time, not written here
        return Some(candidate);
    }
    valued(
        pair,
        "ENV",
        "dockerfile.secret-env",
        "it is stored in the image config",
        rules,
    )
}

fn label<'r>(pair: &KeyValue, rules: &'r RuleSet) -> Option<Candidate<'r>> {
    let kind = value::classify(&pair.value.as_ref()?.value);
    if kind != ValueKind::Literal {
        return None;
    }
    valued(
        pair,
        "LABEL",
        "dockerfile.secret-label",
        "labels are public image metadata",
        rules,
    )
}

/// A global `ARG` (before the first `FROM`): only its default can leak. Without one it only
/// parameterises `FROM` lines and is recorded nowhere unless a stage declares it again, and that
/// declaration is checked in its stage.
fn global_arg<'r>(pair: &KeyValue, rules: &'r RuleSet) -> Option<Candidate<'r>> {
    pair.value.as_ref()?;
    valued(
        pair,
        "ARG",
        "dockerfile.secret-arg",
        "it is written in the Dockerfile and passed to every FROM",
        rules,
    )
}

/// An `ARG` inside a stage; `used` says whether a later `RUN` of the stage references it.
fn arg<'r>(pair: &KeyValue, used: bool, rules: &'r RuleSet) -> Option<Candidate<'r>> {
    let name = &pair.key.value;
    if pair.value.is_some() {
        return valued(
            pair,
            "ARG",
            "dockerfile.secret-arg",
            "BuildKit records ARG values in the image history",
            rules,
        );
    }
    if !is_secret_name(name) {
        return None;
    }
    let rule = rules.get("dockerfile.secret-build-arg")?;
    let (severity, message) = match used {
        true => (
            Severity::Medium,
            format!(
                "build argument {name} is used by a later RUN; its value is recorded in that step's history (and in a provenance attestation, when one is made)"
            ),
        ),
        false => (
            Severity::Low,
            format!(
                "build argument {name} looks secret; a --build-arg value would be recorded in a provenance attestation, when one is made, and in the history of a RUN that uses it"
            ),
        ),
    };
    Some(Candidate {
        rule,
        severity,
        message,
        span: (pair.key.offset, pair.key.offset + name.len()),
        anchor: name.to_string(),
        secret: None,
        context_file: None,
        confidence: None,
        written: None,
    })
}

/// The name-and-value logic shared by `ENV`, `ARG` defaults and `LABEL`.
fn valued<'r>(
    pair: &KeyValue,
    keyword: &str,
    rule_id: &str,
    why: &str,
    rules: &'r RuleSet,
) -> Option<Candidate<'r>> {
    let name = &pair.key.value;
    let value = pair.value.as_ref()?;
    let (severity, kind) = value::assess(name, &value.value)?;
    let rule = rules.get(rule_id)?;
    let message = match (kind, severity) {
        (ValueKind::Literal, Severity::High) => {
            format!("{keyword} {name} holds a literal secret; {why}")
        }
        (ValueKind::Literal, _) => {
            format!("{keyword} {name} holds a hard-coded password-like value; {why}")
        }
        (ValueKind::Empty, _) => format!(
            "{keyword} {name} looks secret but is empty; a value set later would leak the same way"
        ),
        (ValueKind::Reference, _) => format!(
            "{keyword} {name} looks secret and is set from a variable; the expanded value is stored"
        ),
        _ => format!(
            "{keyword} {name} looks secret and holds a placeholder; a real value here would leak"
        ),
    };
    let mut candidate = at(rule, severity, pair, message, name.clone());
    if value.has_reference {
        candidate.secret = None; // a reference names the secret, it does not hold it
    }
    Some(candidate)
}

fn at<'r>(
    rule: &'r Rule,
    severity: Severity,
    pair: &KeyValue,
    message: String,
    anchor: String,
) -> Candidate<'r> {
    let (span, secret) = match &pair.value {
        Some(v) => (
            (v.offset, v.offset + v.value.len().max(1)),
            Some(v.value.clone()),
        ),
        None => ((pair.key.offset, pair.key.offset + 1), None),
    };
    Candidate {
        rule,
        severity,
        message,
        span,
        anchor,
        secret: secret.filter(|s| !s.is_empty()),
        context_file: None,
        confidence: None,
        written: None,
    }
}

/// Variable names whose value `text` takes on when expanded: `$NAME`, `${NAME}`,
/// `${NAME:-default}`, `${NAME#prefix}`; not `${NAME:+word}` or `${NAME+word}`, which give
/// `word` when NAME is set, never its value (a variable inside `word` is still copied).
fn copied(text: &str) -> impl Iterator<Item = &str> {
    VARIABLE
        .captures_iter(text)
        .filter_map(move |c| match (c.get(1), c.get(2)) {
            (Some(braced), _) => {
                let after = &text[braced.end()..];
                (!after.starts_with(":+") && !after.starts_with('+')).then_some(braced.as_str())
            }
            (None, bare) => bare.map(|m| m.as_str()),
        })
}

/// Variable names referenced as `$NAME` or `${NAME…}`.
fn referenced(text: &str) -> impl Iterator<Item = &str> {
    VARIABLE
        .captures_iter(text)
        .filter_map(|c| c.get(1).or_else(|| c.get(2)).map(|m| m.as_str()))
}
