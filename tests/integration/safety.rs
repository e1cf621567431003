//! Safety properties checked on the real process: a scan opens nothing for writing and makes
//! no network call (and, for speed, a lone Dockerfile starts no thread). The binary runs under
//! `strace`, which records the chosen system calls of every thread; the test then reads that log. `.ci/run` installs strace and
//! sets `STOWAWAY_REQUIRE_STRACE=1`, so there a missing strace fails instead of skipping.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::builder::Format;
use crate::common::{context, root};
use crate::images::leaky;

/// The system calls of one run (strace's `trace=` set `calls`), one per line, or `None` when
/// strace cannot run here.
#[allow(clippy::print_stderr)] // a skipped check says so on the test's stderr
fn traced(dir: &Path, args: &[&str], calls: &str) -> Option<(i32, String)> {
    let log = dir.join("strace.log");
    let status = Command::new("strace")
        .args(["-f", "-qq", "-e", &format!("trace={calls}"), "-o"])
        .arg(&log)
        .arg(env!("CARGO_BIN_EXE_stowaway"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match status {
        Ok(status) if log.exists() => {
            let text = std::fs::read_to_string(&log).unwrap();
            Some((status.code().unwrap_or(-1), text))
        }
        _ if std::env::var_os("STOWAWAY_REQUIRE_STRACE").is_some() => {
            panic!("strace is required here but could not run: {status:?}")
        }
        _ => {
            eprintln!("strace unavailable; skipping the system-call check");
            None
        }
    }
}

/// Calls that would write, create, remove or rename anything, or talk to a network.
fn forbidden(log: &str) -> Vec<&str> {
    const CALLS: &[&str] = &[
        "socket(",
        "connect(",
        "sendto(",
        "sendmsg(",
        "bind(",
        "creat(",
        "mkdir(",
        "mkdirat(",
        "unlink(",
        "unlinkat(",
        "rename(",
        "renameat(",
        "renameat2(",
        "truncate(",
        "symlink(",
        "symlinkat(",
        "link(",
        "linkat(",
        "chmod(",
        "fchmodat(",
    ];
    log.lines()
        .filter(|line| {
            let call = line
                .split_once(' ')
                .map_or(*line, |(_, rest)| rest.trim_start());
            CALLS.iter().any(|c| call.starts_with(c))
                || ((call.starts_with("open(") || call.starts_with("openat("))
                    && ["O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC"]
                        .iter()
                        .any(|flag| call.contains(flag)))
        })
        .collect()
}

#[test]
fn a_scan_writes_nothing_and_opens_no_socket() {
    let dir = context(&[]);
    std::fs::write(dir.path().join("img.tar"), leaky().tar(Format::OciArchive)).unwrap();
    let demo = root().join("testdata/demo");
    let fixture = root().join("testdata/images/demo-docker25.tar");
    for format in crate::common::FORMATS {
        let args = [
            "scan",
            "img.tar",
            demo.to_str().unwrap(),
            fixture.to_str().unwrap(),
            "--format",
            format,
        ];
        let Some((code, log)) = traced(dir.path(), &args, "%file,%network") else {
            return;
        };
        assert_eq!(code, 1, "the inputs leak, so the scan finds something");
        // The trace is real: it saw the inputs being opened.
        assert!(log.contains("img.tar") && log.contains("demo-docker25.tar"));
        assert!(log.contains("Dockerfile"));
        let bad = forbidden(&log);
        assert!(bad.is_empty(), "{format}: {bad:#?}");
    }
}

#[test]
fn the_syscall_filter_catches_writes_and_sockets() {
    // The check above is only as good as `forbidden`; show it rejects what it must.
    let log = "12 openat(AT_FDCWD, \"/tmp/x\", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0666) = 3\n\
               12 openat(AT_FDCWD, \"img.tar\", O_RDONLY|O_CLOEXEC) = 3\n\
               13 socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP) = 4\n\
               13 unlinkat(AT_FDCWD, \"a\", 0) = 0";
    assert_eq!(forbidden(log).len(), 3, "{:#?}", forbidden(log));
}

#[test]
fn a_lone_dockerfile_is_checked_without_starting_a_thread() {
    // the pre-commit case: starting the pool's threads was 0.6 ms of a 10 ms run
    let dockerfile = "FROM alpine\nENV GITHUB_TOKEN=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\n\
                      COPY . /app\n";
    let dir = context(&[
        ("Dockerfile", dockerfile),
        ("other/Dockerfile", dockerfile),
        ("app.py", "print(1)\n"),
    ]);
    let threads = |args: &[&str]| {
        let (code, log) = traced(dir.path(), args, "clone,clone3")?;
        assert_eq!(code, 1, "{args:?}: the Dockerfile leaks");
        Some(log.lines().filter(|l| l.contains("clone")).count())
    };
    let Some(alone) = threads(&["scan", "Dockerfile"]) else {
        return;
    };
    assert_eq!(alone, 0, "one Dockerfile");
    // the trace sees threads when there are some: two Dockerfiles are checked on the pool
    let two = threads(&["scan", "Dockerfile", "other/Dockerfile"]);
    assert!(two.unwrap() > 0, "two Dockerfiles");
}
