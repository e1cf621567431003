//! The command line: clap types and their conversion into library options. The only clap user.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use stowaway::image::layout::Platform;
use stowaway::layer::Limits;
use stowaway::{ContextChoice, Format, Options, Severity};

fn parse_platform(text: &str) -> Result<Platform, String> {
    Platform::parse(text).ok_or_else(|| format!("expected os/arch[/variant], got {text:?}"))
}

fn parse_size(text: &str) -> Result<u64, String> {
    let (digits, unit) = text.split_at(text.trim_end_matches(char::is_alphabetic).len());
    let shift = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        "T" | "TB" | "TIB" => 40,
        _ => return Err(format!("unknown size unit {unit:?}")),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("not a size: {text:?}"))?;
    n.checked_shl(shift)
        .filter(|v| v >> shift == n)
        .ok_or_else(|| format!("too large: {text:?}"))
}

/// Find secrets hidden in Dockerfiles, offline.
#[derive(Debug, Parser)]
#[command(name = "stowaway", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: CommandKind,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per run; boxing buys nothing
pub enum CommandKind {
    /// Scan Dockerfiles and exported images (docker save / OCI tars and layouts, or - for stdin).
    Scan(ScanArgs),
    /// Scan like `scan`, then write the findings' fingerprints (no secret values) to a baseline
    /// file (--output, default .stowaway-baseline.json); `scan --baseline FILE` then reports
    /// only new findings.
    Baseline(ScanArgs),
    /// Scan many images in one run (image files, OCI layouts, directories searched for them, or
    /// a --list file), then print a summary table: layers, bytes, findings by severity, errors,
    /// time and exit code per image. The exit code is the worst image's.
    Audit(AuditArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to standard output.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to standard output: `stowaway man > stowaway.1`.
    Man,
    /// Work with the rule set.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List every rule: id, severity, confidence, kind and name.
    List(RuleSource),
    /// Validate rule files: each must load, and every example must match and every negative
    /// example must not. Exit 0 when all hold, 1 when an example fails, 2 when a file is invalid.
    Check {
        /// Rule files to check.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}

/// Where rules come from.
#[derive(Debug, clap::Args)]
pub struct RuleSource {
    /// Add rules from this TOML file (repeatable).
    #[arg(long = "rules", value_name = "FILE")]
    pub rules: Vec<PathBuf>,
    /// Do not load the built-in rules.
    #[arg(long)]
    pub no_builtin_rules: bool,
}

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// A file listing image paths, one per line (blank lines and # comments ignored); - reads
    /// the list from standard input.
    #[arg(long, value_name = "FILE")]
    pub list: Option<PathBuf>,
    #[command(flatten)]
    pub scan: ScanArgs,
}

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Dockerfiles, images (docker save or OCI tar, OCI layout or dir: directory, optionally
    /// gzip- or zstd-compressed; any other tar is one filesystem layer), or directories searched
    /// for Dockerfiles; - reads either from standard input.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    pub format: FormatArg,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1 when a finding is at or above this severity [default: the config's, else medium].
    #[arg(long, value_enum)]
    pub fail_on: Option<SeverityArg>,
    /// Configuration file [default: the nearest .stowaway.toml from the working directory up].
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Ignore any .stowaway.toml.
    #[arg(long)]
    pub no_config: bool,
    /// Report only findings whose fingerprint is not in this baseline file (the others are
    /// listed as suppressed).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Print secrets in full instead of redacted.
    #[arg(long)]
    pub show_secrets: bool,
    /// Build context directory for COPY/ADD checks (default: each Dockerfile's directory).
    #[arg(long, value_name = "DIR", conflicts_with = "no_context")]
    pub context: Option<PathBuf>,
    /// Skip build-context checks.
    #[arg(long)]
    pub no_context: bool,
    /// The Dockerfile the images were built from: it is scanned too, and each image finding
    /// is attributed to the instruction and line that made it (history matched stage by stage).
    #[arg(long, value_name = "FILE")]
    pub dockerfile: Option<PathBuf>,
    /// The stage being built (as docker build --target); decides which stages reach the image.
    #[arg(long, value_name = "STAGE")]
    pub target: Option<String>,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Only this platform of a multi-platform image (os/arch[/variant]); default: all.
    #[arg(long, value_name = "PLATFORM", value_parser = parse_platform)]
    pub platform: Option<Platform>,
    /// Most decompressed bytes read from one layer (K, M, G suffixes); a bomb stops there.
    #[arg(long, value_name = "SIZE", default_value = "64G", value_parser = parse_size)]
    pub max_layer_size: u64,
    /// Most tar entries read from one layer or one archive nested in it.
    #[arg(long, value_name = "N", default_value_t = 5_000_000)]
    pub max_entries: u64,
    /// Do not check layer blobs against their digests and diff IDs: a third less work on an
    /// uncompressed archive, but a corrupt or altered layer is scanned as it is, without an error.
    #[arg(long)]
    pub no_digest_check: bool,
    /// Count findings in files installed by OS or language packages (dpkg, apk, pip, npm) like
    /// any other; by default they are listed apart at low severity and do not fail the run.
    #[arg(long)]
    pub include_vendor: bool,
    /// No progress bar (it is drawn on standard error only when that is a terminal).
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// When to colour text output.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
    #[command(flatten)]
    pub rule_source: RuleSource,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Text,
    Json,
    Sarif,
    Jsonl,
    Gitlab,
    Junit,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SeverityArg {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

impl From<FormatArg> for Format {
    fn from(format: FormatArg) -> Format {
        match format {
            FormatArg::Text => Format::Text,
            FormatArg::Json => Format::Json,
            FormatArg::Sarif => Format::Sarif,
            FormatArg::Jsonl => Format::Jsonl,
            FormatArg::Gitlab => Format::Gitlab,
            FormatArg::Junit => Format::Junit,
        }
    }
}

impl From<SeverityArg> for Severity {
    fn from(severity: SeverityArg) -> Severity {
        match severity {
            SeverityArg::Critical => Severity::Critical,
            SeverityArg::High => Severity::High,
            SeverityArg::Medium => Severity::Medium,
            SeverityArg::Low => Severity::Low,
            SeverityArg::Info => Severity::Info,
        }
    }
}

impl ScanArgs {
    /// The library options these flags describe.
    pub fn options(&self) -> Options {
        let context = match (&self.context, self.no_context) {
            (_, true) => ContextChoice::Off,
            (Some(dir), false) => ContextChoice::Dir(dir.clone()),
            (None, false) => ContextChoice::Auto,
        };
        Options {
            context,
            target: self.target.clone(),
            threads: self.threads.filter(|&n| n > 0),
            platform: self.platform.clone(),
            limits: Limits {
                max_layer_bytes: self.max_layer_size,
                max_entries: self.max_entries,
                ..Limits::default()
            },
            progress: None,
            include_vendor: self.include_vendor,
            dockerfile: self.dockerfile.clone(),
            skip_digest_check: self.no_digest_check,
            filesystem_tars: true,
        }
    }
}
