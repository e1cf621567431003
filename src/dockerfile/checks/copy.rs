//! Secret files sent into the image by `COPY`/`ADD`: a source or destination whose name is a
//! secret file (`id_rsa`, `.env`, `.npmrc`, …, the path rules), and, with a build context, every
//! secret-named file that a source selects (`COPY . .`), after `.dockerignore` and `--exclude`.
//! `COPY --from` copies from a stage or image, not the context, and heredoc sources are text.

use super::Candidate;
use crate::dockerfile::context::Context;
use crate::dockerfile::instruction::{Args, Instruction, Kind, Word};
use crate::finding;
use crate::rules::RuleSet;

/// Candidates for one `COPY`/`ADD`.
pub fn check<'r>(
    instruction: &Instruction,
    rules: &'r RuleSet,
    context: Option<&Context<'r>>,
) -> Vec<Candidate<'r>> {
    let Args::Paths { sources, dest } = &instruction.args else {
        return Vec::new();
    };
    if !matches!(instruction.kind, Kind::Copy | Kind::Add) {
        return Vec::new();
    }
    let from_context = instruction.flag_values("from").next().is_none();
    let excludes: Vec<String> = instruction
        .flag_values("exclude")
        .map(str::to_owned)
        .collect();
    let keyword = instruction.keyword.to_ascii_uppercase();
    let mut out = Vec::new();
    let mut named_sources = 0;
    for source in sources {
        if source.value.starts_with("<<") || source.value.contains("://") {
            continue;
        }
        let into = landing(&dest.value, &source.value, sources.len() > 1);
        let named = named(source, &keyword, "copies", rules, into.clone());
        named_sources += usize::from(named.is_some());
        // with a context, what the source selects there is the evidence (a named secret file
        // that is in the context becomes a context finding, path and all)
        let selected = match (from_context, context) {
            (true, Some(context)) => context.select(&source.value, &excludes),
            _ => Vec::new(),
        };
        if selected.is_empty() {
            out.extend(named);
            continue;
        }
        for (file, rule) in selected {
            let source_path = source.value.trim_start_matches("./").trim_end_matches('/');
            let written = match file.strip_prefix(source_path) {
                // the source itself, a file
                Some("") => into.clone(),
                // a file under a source directory keeps its place below it
                Some(rest) if rest.starts_with('/') => Some(format!("{}{rest}", dir(&dest.value))),
                _ if matches!(source_path, "" | ".") => {
                    Some(format!("{}/{file}", dir(&dest.value)))
                }
                // a pattern's match lands in the destination directory
                _ => landing(&dest.value, file, true),
            };
            out.push(Candidate {
                rule,
                severity: rule.severity,
                message: format!(
                    "{keyword} {} sends context file {file} into the image",
                    source.value
                ),
                span: (source.offset, source.offset + source.value.len()),
                anchor: finding::file_key(file),
                secret: None,
                context_file: Some(file.to_owned()),
                confidence: None,
                written,
            });
        }
    }
    // `COPY id_rsa /root/.ssh/id_rsa` is one file: report the destination only when no
    // source already named it.
    // A downloaded file (ADD https://…/Release.key) is someone's public key, not a leak.
    let downloads = sources.iter().any(|s| s.value.contains("://"));
    // `COPY .env.example .env` installs a template, not secrets
    let template = sources.iter().any(|s| {
        [
            ".example",
            ".sample",
            ".template",
            ".dist",
            ".tpl",
            ".default",
        ]
        .iter()
        .any(|suffix| s.value.ends_with(suffix))
    });
    if named_sources == 0 && !downloads && !template && !dest.value.ends_with('/') {
        out.extend(named(
            dest,
            &keyword,
            "writes",
            rules,
            Some(dest.value.clone()),
        ));
    }
    out
}

/// A finding when the word itself names a secret file.
fn named<'r>(
    word: &Word,
    keyword: &str,
    verb: &str,
    rules: &'r RuleSet,
    written: Option<String>,
) -> Option<Candidate<'r>> {
    let path = word.value.trim_start_matches("./");
    let rule = rules.match_path(path)?;
    Some(Candidate {
        rule,
        severity: rule.severity,
        message: format!(
            "{keyword} {verb} {} ({}) into the image",
            word.value, rule.name
        ),
        span: (word.offset, word.offset + word.value.len()),
        anchor: finding::file_key(path),
        secret: None,
        context_file: None,
        confidence: None,
        written,
    })
}

/// Where a copied file lands: in `dest` when it is a directory (ends in `/`, or several
/// sources), else at `dest` itself.
fn landing(dest: &str, source: &str, several: bool) -> Option<String> {
    let name = source.trim_end_matches('/').rsplit('/').next()?;
    Some(match dest.ends_with('/') || several {
        true => format!("{}/{name}", dir(dest)),
        false => dest.to_owned(),
    })
}

/// `dest` as a directory, without its trailing `/` (`/` itself is empty, so `{dir}/{name}`).
fn dir(dest: &str) -> &str {
    dest.trim_end_matches('/')
}
