//! The `stowaway` binary: parse flags, load rules, scan, redact, render, pick the exit code.
//! Exit codes: 0 clean, 1 findings at or above `--fail-on`, 2 error or incomplete scan.

mod bars;
mod cli;
mod reference;

use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

use clap::Parser;

use cli::{AuditArgs, Cli, ColorArg, CommandKind, RuleSource, RulesCommand, ScanArgs};
use stowaway::baseline::Baseline;
use stowaway::config::Config;
use stowaway::{Error, Input, RenderOptions, Report, RuleSet, Severity};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        CommandKind::Scan(args) => run_scan(args),
        CommandKind::Baseline(args) => write_baseline(args),
        CommandKind::Audit(args) => run_audit(args),
        CommandKind::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut command, "stowaway", &mut std::io::stdout());
            Ok(0)
        }
        CommandKind::Man => reference::man_page().map(|()| 0).map_err(Error::Write),
        CommandKind::Rules {
            command: RulesCommand::List(source),
        } => reference::list_rules(source),
        CommandKind::Rules {
            command: RulesCommand::Check { files },
        } => reference::check_rules(files),
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
    for path in &source.rules {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.clone(),
            source,
        })?;
        files.push((path.display().to_string(), text));
    }
    RuleSet::load(!source.no_builtin_rules, &files)
}

/// Loads the configuration (named, found, or none) and the rules it selects.
/// The rule set is leaked: the process ends after its one scan, and freeing the compiled rules
/// at exit was 1.3 of the 17 million instructions of checking one small Dockerfile.
fn prepare(args: &ScanArgs) -> Result<(&'static RuleSet, Option<Config>), Error> {
    let config = match (&args.config, args.no_config) {
        (_, true) => None,
        (Some(path), false) => Some(Config::load(path)?),
        (None, false) => {
            let cwd = std::env::current_dir().unwrap_or_default();
            Config::find(&cwd).map(|p| Config::load(&p)).transpose()?
        }
    };
    let mut source = RuleSource {
        rules: args.rule_source.rules.clone(),
        no_builtin_rules: args.rule_source.no_builtin_rules,
    };
    if let Some(config) = &config {
        source.rules.extend(config.extra_rules.iter().cloned());
    }
    let mut rules = load_rules(&source)?;
    if let Some(config) = &config {
        rules = config.select_rules(rules)?;
    }
    Ok((Box::leak(Box::new(rules)), config))
}

/// Scans the inputs (the paths, or `given`) and applies configuration and baseline; the report
/// is not yet redacted.
fn collect(
    args: &ScanArgs,
    rules: &RuleSet,
    config: Option<&Config>,
    given: Option<Vec<Input>>,
) -> Result<Report, Error> {
    let mut options = args.options();
    // the registry audit takes image exports only: a tar that holds none is an error there
    options.filesystem_tars = given.is_none();
    let inputs = match given {
        Some(inputs) => inputs,
        None => inputs(args)?,
    };
    let baseline = args.baseline.as_deref().map(Baseline::load).transpose()?;
    let bars = (!args.quiet && std::io::stderr().is_terminal()).then(bars::Bars::new);
    options.progress = bars
        .clone()
        .map(|b| b as std::sync::Arc<dyn stowaway::scan::Progress>);
    let mut report = stowaway::scan(inputs, rules, &options);
    drop(bars);
    if let Some(config) = config {
        config.apply(&mut report, stowaway::config::today());
    }
    if let (Some(baseline), Some(path)) = (&baseline, &args.baseline) {
        baseline.apply(&mut report, &path.display().to_string());
    }
    Ok(report)
}

/// The inputs named on the command line (`--dockerfile` first when not among them).
fn inputs(args: &ScanArgs) -> Result<Vec<Input>, Error> {
    let mut paths = args.paths.clone();
    if let Some(dockerfile) = &args.dockerfile
        && !paths.contains(dockerfile)
    {
        paths.insert(0, dockerfile.clone());
    }
    let mut inputs = Vec::with_capacity(paths.len());
    for path in &paths {
        if path.as_os_str() == "-" {
            inputs.push(Input::Stdin(Box::new(std::io::stdin())));
        } else {
            inputs.push(Input::Path(path.clone()));
        }
    }
    Ok(inputs)
}

fn create(path: &std::path::Path) -> Result<std::fs::File, Error> {
    std::fs::File::create(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })
}

fn run_scan(args: &ScanArgs) -> Result<u8, Error> {
    if args.paths.is_empty() && args.dockerfile.is_none() {
        return Err(Error::Usage(
            "nothing to scan: give a PATH (or --dockerfile FILE)".into(),
        ));
    }
    let (rules, config) = prepare(args)?;
    let report = collect(args, rules, config.as_ref(), None)?;
    let (code, _) = render(args, rules, config.as_ref(), report)?;
    Ok(code)
}

/// `stowaway audit`: images from paths, directories and a list, then the summary table.
fn run_audit(args: &AuditArgs) -> Result<u8, Error> {
    let mut paths = args.scan.paths.clone();
    if let Some(list) = &args.list {
        let text = if list.as_os_str() == "-" {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).map(|_| text)
        } else {
            std::fs::read_to_string(list)
        }
        .map_err(|source| Error::Read {
            path: list.clone(),
            source,
        })?;
        paths.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(std::path::PathBuf::from),
        );
    }
    if paths.is_empty() {
        return Err(Error::Usage(
            "nothing to audit: give image paths or --list FILE".into(),
        ));
    }
    // `-`: an image on standard input (`docker save img | stowaway audit -`), read as a stream
    let stdin_image = paths.iter().any(|p| p.as_os_str() == "-");
    if stdin_image && args.list.as_ref().is_some_and(|l| l.as_os_str() == "-") {
        return Err(Error::Usage(
            "standard input cannot hold both the list and an image".into(),
        ));
    }
    paths.retain(|p| p.as_os_str() != "-");
    let (mut inputs, mut errors) = stowaway::scan::audit_inputs(&paths);
    if stdin_image {
        use stowaway::image::Sniffed;
        match stowaway::image::open_stream(Box::new(std::io::stdin())) {
            Ok(Sniffed::Image(store)) => inputs.push(Input::Image("-".into(), store)),
            Ok(Sniffed::Other(_)) => errors.push(stowaway::ScanError::new(
                "-",
                "not an image (docker save or OCI tar, plain or compressed)",
            )),
            Err(e) => errors.push(stowaway::ScanError::new(
                "-",
                format!("cannot read the image: {e}"),
            )),
        }
    }
    let (rules, config) = prepare(&args.scan)?;
    let mut report = collect(&args.scan, rules, config.as_ref(), Some(inputs))?;
    report.errors.extend(errors);
    report.sort();
    let (code, fail_on) = render(&args.scan, rules, config.as_ref(), report.clone())?;
    let table = stowaway::report::audit::table(&report, fail_on);
    let to_stdout = args.scan.output.is_none() && matches!(args.scan.format, cli::FormatArg::Text);
    if to_stdout {
        let mut out = std::io::stdout().lock();
        writeln!(out)?;
        out.write_all(table.as_bytes())?;
    } else {
        std::io::stderr().lock().write_all(table.as_bytes())?;
    }
    Ok(code)
}
/// Redacts (unless asked not to) and writes the report; returns the exit code and threshold.
fn render(
    args: &ScanArgs,
    rules: &RuleSet,
    config: Option<&Config>,
    mut report: Report,
) -> Result<(u8, Severity), Error> {
    if !args.show_secrets {
        report.redact();
    }
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(create(path)?),
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
    let fail_on = args
        .fail_on
        .map(Severity::from)
        .or(config.and_then(|c| c.fail_on))
        .unwrap_or(Severity::Medium);
    let options = RenderOptions {
        format: args.format.into(),
        color,
        fail_on,
        commit: std::env::var("CI_COMMIT_SHA").ok(),
    };
    let mut buffered = std::io::BufWriter::new(&mut out);
    report.render(rules, &options, &mut buffered)?;
    buffered.flush()?;
    Ok((report.exit_code(fail_on), fail_on))
}

/// `stowaway baseline`: exit 0 once written (2 when the scan had errors: the baseline may be
/// incomplete, but it is still written).
fn write_baseline(args: &ScanArgs) -> Result<u8, Error> {
    let (rules, config) = prepare(args)?;
    let mut report = collect(args, rules, config.as_ref(), None)?;
    // the places written for a reader hold no secret either (a token in a path), whatever
    // --show-secrets says; fingerprints are computed from the unredacted values already
    report.redact();
    let baseline = Baseline::from_report(&report);
    let path = args
        .output
        .clone()
        .unwrap_or_else(|| ".stowaway-baseline.json".into());
    let mut out = std::io::BufWriter::new(create(&path)?);
    serde_json::to_writer_pretty(&mut out, &baseline).map_err(std::io::Error::from)?;
    writeln!(out)?;
    out.flush()?;
    let mut stderr = std::io::stderr().lock();
    for error in &report.errors {
        writeln!(stderr, "stowaway: {error}")?;
    }
    writeln!(
        stderr,
        "stowaway: {} findings written to {}",
        baseline.findings.len(),
        path.display()
    )?;
    Ok(if report.errors.is_empty() { 0 } else { 2 })
}
