//! Turning one rule as written ([`RuleSpec`]) into a validated [`Rule`]: the id's shape, exactly
//! one of pattern/path/check, examples present, keywords for content rules, a compilable pattern
//! with a `secret` group, entropy bounds. Built-in patterns are compiled on first use (a unit test
//! compiles all of them); user patterns are compiled and checked here, at load.

use std::sync::OnceLock;

use regex::bytes::{Regex, RegexBuilder};

use super::builtin::BUILTIN_ORIGIN;
use super::spec::RuleSpec;
use super::{Matcher, Rule};
use crate::error::{Error, Result};

/// A content pattern, compiled now or on first use.
#[derive(Debug)]
pub struct Compiled {
    pattern: String,
    cell: OnceLock<Option<(Regex, usize)>>,
    reach: OnceLock<Option<usize>>,
}

impl Compiled {
    /// The longest match the pattern can make, in bytes (`None`: unbounded); worked out on
    /// first use, like the regex, so loading the rules stays cheap.
    pub(super) fn reach(&self) -> Option<usize> {
        *self.reach.get_or_init(|| reach(&self.pattern))
    }

    pub(super) fn get(&self) -> Option<&(Regex, usize)> {
        self.cell
            .get_or_init(|| {
                let regex = build_regex(&self.pattern).ok()?;
                let group = regex.capture_names().position(|n| n == Some("secret"))?;
                Some((regex, group))
            })
            .as_ref()
    }
}

pub(super) fn rule_error(file: &str, rule: &str, message: impl Into<String>) -> Error {
    Error::Rule {
        file: file.to_owned(),
        rule: rule.to_owned(),
        message: message.into(),
    }
}

fn build_regex(pattern: &str) -> std::result::Result<Regex, regex::Error> {
    RegexBuilder::new(pattern)
        .unicode(false)
        .size_limit(16 << 20)
        .build()
}

/// The longest match `pattern` can make, as the regex crate will compile it (Unicode off);
/// `None` when unbounded or unparsable (then compiling it reports the error).
fn reach(pattern: &str) -> Option<usize> {
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()?;
    hir.properties().maximum_len()
}

fn compile_regex(spec: &RuleSpec, origin: &str, pattern: &str) -> Result<Regex> {
    build_regex(pattern).map_err(|e| rule_error(origin, &spec.id, format!("invalid pattern: {e}")))
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
            cell: OnceLock::new(),
            reach: OnceLock::new(),
        };
        if !origin.starts_with(BUILTIN_ORIGIN) {
            let regex = compile_regex(&spec, origin, pattern)?;
            let Some(group) = regex.capture_names().position(|n| n == Some("secret")) else {
                return Err(rule_error(
                    origin,
                    &spec.id,
                    "pattern has no (?P<secret>…) group",
                ));
            };
            let _ = compiled.cell.set(Some((regex, group)));
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
