//! Turning one rule as written ([`RuleSpec`]) into a validated [`Rule`]: the id's shape, exactly
//! one of pattern/path/check, examples present, keywords for content rules, a compilable pattern
//! with a `secret` group, entropy bounds. Built-in patterns are compiled on first use (a unit test
//! compiles all of them); user patterns are compiled and checked here, at load.

use std::sync::OnceLock;

use regex_automata::meta::{self, Regex};
use regex_automata::util::syntax;

use super::builtin::BUILTIN_ORIGIN;
use super::spec::RuleSpec;
use super::{Matcher, Rule};
use crate::error::{Error, Result};

/// A content pattern, compiled now or on first use, in one of two builds: while the scan is
/// small (a Dockerfile in a pre-commit hook, where compiling is most of the run) without the
/// regex's literal prefilter, and once it is large (an image) with it, for the dense regions
/// where it skips ahead faster than the lazy DFA.
#[derive(Debug)]
pub struct Compiled {
    pattern: String,
    quick: OnceLock<Option<(Regex, usize)>>,
    full: OnceLock<Option<(Regex, usize)>>,
    reach: OnceLock<Option<usize>>,
}

impl Compiled {
    /// The longest match the pattern can make, in bytes (`None`: unbounded); worked out on
    /// first use, like the regex, so loading the rules stays cheap.
    pub(super) fn reach(&self) -> Option<usize> {
        *self.reach.get_or_init(|| reach(&self.pattern))
    }

    /// The regex and its `secret` group, for a `large` scan or not; `None` if the pattern does
    /// not compile (built-in patterns always do: a unit test compiles them).
    pub(super) fn get(&self, large: bool) -> Option<&(Regex, usize)> {
        let build = |prefilter| {
            let regex = build_regex(&self.pattern, prefilter).ok()?;
            let group = secret_group(&regex)?;
            Some((regex, group))
        };
        match (large, self.full.get()) {
            (true, _) => self.full.get_or_init(|| build(true)).as_ref(),
            (false, Some(full)) if self.quick.get().is_none() => full.as_ref(),
            (false, _) => self.quick.get_or_init(|| build(false)).as_ref(),
        }
    }
}

pub(super) fn rule_error(file: &str, rule: &str, message: impl Into<String>) -> Error {
    Error::Rule {
        file: file.to_owned(),
        rule: rule.to_owned(),
        message: message.into(),
    }
}

/// A content pattern as a byte regex (Unicode off, matches need not be UTF-8), built without
/// the one-pass DFA (captures come from the bounded backtracker or the PikeVM, over the span
/// the lazy DFA already found), and with the literal prefilter and the backtracker only for a
/// large scan (`full`): for one Dockerfile, building those was 40 % of compiling the built-in
/// patterns; over a real image with npm and pip packages (many matches in package files) the
/// backtracker's captures save 2 % of the scan against the PikeVM's.
fn build_regex(pattern: &str, prefilter: bool) -> std::result::Result<Regex, String> {
    let config = meta::Config::new()
        .utf8_empty(false)
        .nfa_size_limit(Some(16 << 20))
        .onepass(false)
        .backtrack(prefilter)
        .auto_prefilter(prefilter);
    meta::Builder::new()
        .configure(config)
        .syntax(syntax::Config::new().unicode(false).utf8(false))
        .build(pattern)
        .map_err(|e| match e.syntax_error() {
            // the parser's own message points at the offending part of the pattern
            Some(syntax) => syntax.to_string(),
            None => e.to_string(),
        })
}

/// The longest match `pattern` can make, as it is compiled (Unicode off); `None` when
/// unbounded or unparsable (then compiling it reports the error).
fn reach(pattern: &str) -> Option<usize> {
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()?;
    hir.properties().maximum_len()
}

/// The index of the pattern's `secret` group.
fn secret_group(regex: &Regex) -> Option<usize> {
    regex
        .group_info()
        .to_index(regex_automata::PatternID::ZERO, "secret")
}

fn compile_regex(spec: &RuleSpec, origin: &str, pattern: &str) -> Result<Regex> {
    build_regex(pattern, false)
        .map_err(|e| rule_error(origin, &spec.id, format!("invalid pattern: {e}")))
}

/// Validates one spec and compiles it.
pub(super) fn compile(spec: RuleSpec, origin: &str) -> Result<Rule> {
    let id_ok = !spec.id.is_empty()
        && spec
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    if !id_ok {
        return Err(rule_error(
            origin,
            &spec.id,
            "id must be lowercase [a-z0-9.-]",
        ));
    }
    let kinds = usize::from(spec.pattern.is_some()) + usize::from(spec.path.is_some());
    if kinds + usize::from(spec.check) != 1 {
        return Err(rule_error(
            origin,
            &spec.id,
            "set exactly one of pattern, path, check",
        ));
    }
    if !spec.check && (spec.examples.is_empty() || spec.negative_examples.is_empty()) {
        return Err(rule_error(
            origin,
            &spec.id,
            "needs examples and negative_examples",
        ));
    }
    if spec.min_entropy.is_some_and(|e| !(0.0..=8.0).contains(&e)) {
        return Err(rule_error(
            origin,
            &spec.id,
            "min_entropy must be within 0..=8",
        ));
    }
    let matcher = if let Some(pattern) = &spec.pattern {
        let case_insensitive = pattern.contains("(?i");
        let compiled = Compiled {
            pattern: pattern.clone(),
            quick: OnceLock::new(),
            full: OnceLock::new(),
            reach: OnceLock::new(),
        };
        if !origin.starts_with(BUILTIN_ORIGIN) {
            let regex = compile_regex(&spec, origin, pattern)?;
            let Some(group) = secret_group(&regex) else {
                return Err(rule_error(
                    origin,
                    &spec.id,
                    "pattern has no (?P<secret>…) group",
                ));
            };
            let _ = compiled.quick.set(Some((regex, group)));
        }
        if spec.keywords.is_empty() || spec.keywords.iter().any(String::is_empty) {
            return Err(rule_error(
                origin,
                &spec.id,
                "content rules need non-empty keywords",
            ));
        }
        Matcher::Content {
            compiled,
            keywords: spec
                .keywords
                .iter()
                .map(|k| {
                    if case_insensitive {
                        k.to_ascii_lowercase()
                    } else {
                        k.clone()
                    }
                })
                .collect(),
            case_insensitive,
            min_entropy: spec.min_entropy,
            validator: spec.validator,
        }
    } else if let Some(path) = &spec.path {
        Matcher::Path(compile_regex(&spec, origin, path)?)
    } else {
        Matcher::Check
    };
    if spec.validator.is_some() && spec.pattern.is_none() {
        return Err(rule_error(origin, &spec.id, "validator needs a pattern"));
    }
    Ok(Rule {
        id: spec.id,
        name: spec.name,
        severity: spec.severity,
        confidence: spec.confidence,
        paired_with: spec.paired_with,
        description: spec.description,
        remediation: spec.remediation,
        references: spec.references,
        matcher,
        origin: origin.to_owned(),
        examples: spec.examples,
        negative_examples: spec.negative_examples,
    })
}
