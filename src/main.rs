//! The `stowaway` binary: parse flags, load rules, scan, redact, render, pick the exit code.
//! Exit codes: 0 clean, 1 findings at or above `--fail-on`, 2 error or incomplete scan.

mod bars;
mod cli;

use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, ColorArg, CommandKind, RuleSource, RulesCommand, ScanArgs};
use stowaway::{Error, Input, RenderOptions, RuleSet, Severity};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        CommandKind::Scan(args) => run_scan(args),
        CommandKind::Rules {
            command: RulesCommand::List(source),
        } => list_rules(source),
        CommandKind::Rules {
            command: RulesCommand::Check { files },
        } => check_rules(files),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(Error::Write(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::from(0),
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "stowaway: {e}");
            ExitCode::from(2)
        }
    }
}

fn load_rules(source: &RuleSource) -> Result<RuleSet, Error> {
    let mut files: Vec<(String, String)> = Vec::new();
    if !source.no_builtin_rules {
        files.extend(stowaway::rules::builtin_files());
    }
    for path in &source.rules {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.clone(),
            source,
        })?;
        files.push((path.display().to_string(), text));
    }
    RuleSet::from_files(&files)
}

fn run_scan(args: &ScanArgs) -> Result<u8, Error> {
    let rules = load_rules(&args.rule_source)?;
    let mut paths = args.paths.clone();
    if let Some(dockerfile) = &args.dockerfile
        && !paths.contains(dockerfile)
    {
        paths.insert(0, dockerfile.clone());
    }
    let mut inputs = Vec::with_capacity(paths.len());
    for path in &paths {
        if path.as_os_str() == "-" {
            let mut bytes = Vec::new();
            std::io::stdin()
                .take(stowaway::image::MAX_IN_MEMORY_BYTES)
                .read_to_end(&mut bytes)
                .map_err(|source| Error::Read {
                    path: path.clone(),
                    source,
                })?;
            inputs.push(Input::Stdin(bytes));
        } else {
            inputs.push(Input::Path(path.clone()));
        }
    }
    let mut options = args.options();
    let bars = (!args.quiet && std::io::stderr().is_terminal()).then(bars::Bars::new);
    options.progress = bars
        .clone()
        .map(|b| b as std::sync::Arc<dyn stowaway::scan::Progress>);
    let mut report = stowaway::scan(inputs, &rules, &options);
    drop(bars);
    if !args.show_secrets {
        report.redact();
    }
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::fs::File::create(path).map_err(|source| Error::Read {
            path: path.clone(),
            source,
        })?),
        None => Box::new(std::io::stdout().lock()),
    };
    let color = match args.color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => {
            args.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let options = RenderOptions {
        format: args.format.into(),
        color,
    };
    let mut buffered = std::io::BufWriter::new(&mut out);
    report.render(&rules, options, &mut buffered)?;
    buffered.flush()?;
    Ok(report.exit_code(Severity::from(args.fail_on)))
}

fn list_rules(source: &RuleSource) -> Result<u8, Error> {
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

fn check_rules(files: &[std::path::PathBuf]) -> Result<u8, Error> {
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
