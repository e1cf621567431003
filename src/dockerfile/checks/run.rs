//! Literal secrets assigned in shell commands: `export TOKEN=…`, `NPM_TOKEN=… npm publish`, in
//! `RUN` text and heredoc bodies. The name decides whether it is a secret, the value decides the
//! severity; references (`$X`, `$(cat /run/secrets/x)`) are how it should be done and pass.
//! Other credential shapes in commands (`curl -u`, `mysql -p`, `docker login -p`) are content
//! rules in `rules/cli.toml`.

use std::sync::LazyLock;

use regex::Regex;

use super::Candidate;
use crate::dockerfile::instruction::{Instruction, Kind};
use crate::dockerfile::lexer;
use crate::rules::RuleSet;
use crate::rules::value::{self, ValueKind};

static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?:^|[\s;&|(])(?:(?:export|declare\s+-x|local|readonly)\s+)?([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|(?:[^\s;&|()=][^\s;&|()]*)?)"#,
    )
    .expect("assignment regex")
});

/// Candidates for secret assignments in a `RUN`.
pub fn check<'r>(instruction: &Instruction, rules: &'r RuleSet) -> Vec<Candidate<'r>> {
    let Some(rule) = rules.get("dockerfile.run-secret-assignment") else {
        return Vec::new();
    };
    if instruction.kind != Kind::Run {
        return Vec::new();
    }
    let mut out = Vec::new();
    if let Some(shell) = instruction.shell_script() {
        let base = instruction.text.text.find(shell).unwrap_or(0);
        for (name, value, start, end) in assignments(shell) {
            let span = (
                instruction.text.file_offset(base + start),
                instruction.text.file_offset(base + end),
            );
            out.extend(candidate(rule, &name, value, span));
        }
    }
    for heredoc in &instruction.heredocs {
        for (name, value, start, end) in assignments(&heredoc.body) {
            let span = (heredoc.offset + start, heredoc.offset + end);
            out.extend(candidate(rule, &name, value, span));
        }
    }
    out
}

/// `(name, unquoted value, value start, value end)` for each shell assignment in `text`.
fn assignments(text: &str) -> Vec<(String, String, usize, usize)> {
    ASSIGNMENT
        .captures_iter(text)
        .filter_map(|caps| {
            let (name, raw) = (caps.get(1)?, caps.get(2)?);
            // an unquoted `(` cannot follow a shell word: `SET Password=PASSWORD('x')` is SQL
            // in a quoted string (a content rule's), not an assignment
            if text[raw.end()..].starts_with('(') {
                return None;
            }
            let unquoted = lexer::unquote(raw.as_str(), '\\');
            let value = if unquoted.has_reference {
                raw.as_str().to_owned() // keep the `$` so classify sees a reference
            } else {
                unquoted.value
            };
            Some((name.as_str().to_owned(), value, raw.start(), raw.end()))
        })
        .collect()
}

fn candidate<'r>(
    rule: &'r crate::rules::Rule,
    name: &str,
    value: String,
    span: (usize, usize),
) -> Option<Candidate<'r>> {
    let (severity, ValueKind::Literal) = value::assess(name, &value)? else {
        return None; // references are how it should be done; placeholders are not worth a RUN finding
    };
    Some(Candidate {
        rule,
        severity,
        message: format!(
            "{name} is assigned a literal value in RUN; it is kept in the image history"
        ),
        span,
        anchor: name.to_string(),
        secret: Some(value),
        context_file: None,
        confidence: None,
        written: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_assignments() {
        let found = assignments(
            "export A=1 && B=\"x y\" ./run; (C='z') cmd D=$E; mysql -e \"SET P=PASSWORD('x')\"",
        );
        let pairs: Vec<(&str, &str)> = found
            .iter()
            .map(|(n, v, _, _)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(pairs, [("A", "1"), ("B", "x y"), ("C", "z"), ("D", "$E")]);
        assert!(
            assignments("echo a==b")
                .iter()
                .all(|(_, v, _, _)| v.is_empty())
        );
    }
}
