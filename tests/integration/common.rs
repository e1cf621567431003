//! Helpers: run the binary, scan text in-process, make scratch build contexts.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use stowaway::{Finding, Input, Options, Report, RuleSet, scan};

/// Every output format.
pub const FORMATS: [&str; 6] = ["text", "json", "sarif", "jsonl", "gitlab", "junit"];

/// The output of one run of the binary.
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

/// Runs `stowaway args…` in `dir` with `stdin` piped in.
pub fn run_in(dir: &Path, args: &[&str], stdin: &[u8]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stowaway"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn stowaway");
    // a scan may stop reading early (a stream it refuses): the rest of stdin is not wanted
    match child.stdin.take().unwrap().write_all(stdin) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        written => written.unwrap(),
    }
    let out = child.wait_with_output().expect("wait for stowaway");
    Run {
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
        code: out.status.code().expect("exit code"),
    }
}

/// `run_in` with no input that gives up after two minutes, for scans that used to wait forever (a
/// named pipe opened twice): a guard against a hang, not a measure of speed.
pub fn run_or_hang(dir: &Path, args: &[&str]) -> Run {
    let (dir, args) = (
        dir.to_owned(),
        args.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
    );
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let _ = send.send(run_in(&dir, &args, b""));
    });
    let waited = receive.recv_timeout(std::time::Duration::from_secs(120));
    waited.expect("the scan never finished (waiting on a pipe?)")
}

/// Runs the binary from the repository root.
pub fn run(args: &[&str]) -> Run {
    run_in(&root(), args, b"")
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Scans Dockerfile text in-process (no context) and returns the unredacted report.
pub fn scan_text(text: &str) -> Report {
    let rules = RuleSet::builtin().expect("builtin rules");
    let options = Options {
        context: stowaway::ContextChoice::Off,
        ..Options::default()
    };
    scan(
        vec![Input::stdin_bytes(text.as_bytes().to_vec())],
        &rules,
        &options,
    )
}

/// `(rule_id, severity, line, secret)` of each finding, for compact assertions.
pub fn summary(findings: &[Finding]) -> Vec<(String, String, u32, Option<String>)> {
    findings
        .iter()
        .map(|f| {
            (
                f.rule_id.clone(),
                f.severity.to_string(),
                f.location.line.or(f.location.instruction_line).unwrap_or(0),
                f.secret.clone(),
            )
        })
        .collect()
}

/// Rule ids of the findings.
pub fn rule_ids(report: &Report) -> Vec<&str> {
    report.findings.iter().map(|f| f.rule_id.as_str()).collect()
}

/// A scratch directory with the given files.
pub fn context(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}
