//! The reference commands of the binary: `rules list`, `rules check`, and the man page (the
//! completions are one clap_complete call in `main.rs`). What they print comes from the rule
//! files and the clap definitions, never from hand-kept copies.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::{Cli, RuleSource};
use crate::load_rules;
use stowaway::Error;

/// The man page: the top-level page (synopsis, description, subcommands), then the options of
/// each subcommand in its own section.
pub fn man_page() -> std::io::Result<()> {
    let command = Cli::command();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    clap_mangen::Man::new(command.clone()).render(&mut out)?;
    for sub in command.get_subcommands() {
        writeln!(out, ".SH \"STOWAWAY {}\"", sub.get_name().to_uppercase())?;
        if let Some(about) = sub.get_about() {
            writeln!(out, "{about}")?;
        }
        let page = clap_mangen::Man::new(sub.clone());
        let mut section = Vec::new();
        page.render_options_section(&mut section)?;
        // the section's own `.SH OPTIONS` heading becomes a sub-heading
        let section = String::from_utf8_lossy(&section).replacen(".SH OPTIONS", ".SS Options", 1);
        out.write_all(section.as_bytes())?;
    }
    writeln!(out, ".SH \"EXIT STATUS\"")?;
    for (code, meaning) in [
        ("0", "no finding at or above \\-\\-fail\\-on"),
        ("1", "a finding at or above \\-\\-fail\\-on"),
        (
            "2",
            "an error: bad flags, rules or config, or part of an input could not be scanned (the rest is still reported); 2 wins over 1",
        ),
    ] {
        writeln!(out, ".TP\n{code}\n{meaning}")?;
    }
    out.flush()
}

pub fn list_rules(source: &RuleSource) -> Result<u8, Error> {
    let rules = load_rules(source)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for rule in rules.rules() {
        let kind = match rule.matcher {
            stowaway::rules::Matcher::Content { .. } => "content",
            stowaway::rules::Matcher::Path(_) => "path",
            stowaway::rules::Matcher::Check => "check",
        };
        let confidence = format!("{:?}", rule.confidence).to_lowercase();
        writeln!(
            out,
            "{:<34} {:<8} {:<6} {:<7} {}",
            rule.id, rule.severity, confidence, kind, rule.name
        )?;
    }
    out.flush()?;
    Ok(0)
}

pub fn check_rules(files: &[std::path::PathBuf]) -> Result<u8, Error> {
    let source = RuleSource {
        rules: files.to_vec(),
        no_builtin_rules: true,
    };
    let rules = load_rules(&source)?;
    let problems = rules.check_examples();
    let mut out = std::io::stdout().lock();
    for problem in &problems {
        writeln!(out, "{problem}")?;
    }
    writeln!(
        out,
        "{} rules in {} file{}: {}",
        rules.rules().len(),
        files.len(),
        if files.len() == 1 { "" } else { "s" },
        if problems.is_empty() {
            "all examples hold".to_owned()
        } else {
            format!("{} problems", problems.len())
        }
    )?;
    Ok(u8::from(!problems.is_empty()))
}
