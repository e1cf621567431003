//! The integrations, run for real: the repository's `.pre-commit-hooks.yaml` by the real
//! `pre-commit` (from PyPI) in a scratch git repository, and the GitHub Action's and GitLab
//! template's scan step as scripts. `.ci/run` installs pre-commit and sets
//! `STOWAWAY_REQUIRE_PRE_COMMIT=1`, so there a missing pre-commit fails instead of skipping.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{context, root};

/// The pre-commit executable, or `None` (skip) when it is not installed and not required.
fn pre_commit() -> Option<PathBuf> {
    let named = std::env::var_os("STOWAWAY_PRE_COMMIT").map(PathBuf::from);
    let found = named.or_else(|| {
        let ok = Command::new("pre-commit")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        ok.then(|| PathBuf::from("pre-commit"))
    });
    if found.is_none() {
        assert!(
            std::env::var_os("STOWAWAY_REQUIRE_PRE_COMMIT").is_none(),
            "pre-commit is required (STOWAWAY_REQUIRE_PRE_COMMIT) but not found"
        );
        #[allow(clippy::print_stderr)]
        {
            eprintln!("skipped: pre-commit is not installed");
        }
    }
    found
}

/// PATH with `dir` first.
fn path_with(dir: PathBuf) -> std::ffi::OsString {
    let mut paths = vec![dir];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).unwrap()
}

/// PATH with the stowaway under test first.
fn path_with_stowaway() -> std::ffi::OsString {
    path_with(
        Path::new(env!("CARGO_BIN_EXE_stowaway"))
            .parent()
            .unwrap()
            .to_owned(),
    )
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .status()
        .expect("git");
    assert!(status.success(), "git {args:?}");
}

/// Runs `pre-commit try-repo <this repository> stowaway-system <args>` in `dir`.
fn try_repo(pre_commit: &Path, dir: &Path, home: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(pre_commit)
        .arg("try-repo")
        .arg(root())
        .arg("stowaway-system")
        .args(args)
        .current_dir(dir)
        .env("PATH", path_with_stowaway())
        .env("PRE_COMMIT_HOME", home)
        .env("NO_COLOR", "1")
        .output()
        .expect("run pre-commit");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn the_pre_commit_hook_runs_under_the_real_pre_commit() {
    let Some(pre_commit) = pre_commit() else {
        return;
    };
    let repo = context(&[
        (
            "svc/Dockerfile",
            "FROM alpine\nENV API_TOKEN=Qw8zLm3Nv6Xc1Rt5Yb\n",
        ),
        ("svc/.dockerignore", "*.log\n"),
        ("clean/Dockerfile", "FROM alpine\nRUN echo hi\n"),
        (
            "README.md",
            "ENV API_TOKEN=Qw8zLm3Nv6Xc1Rt5Yb is documentation, not a Dockerfile\n",
        ),
    ]);
    let home = context(&[]);
    let at = repo.path();
    git(at, &["init", "-q"]);
    git(at, &["add", "-A"]);

    let (code, out) = try_repo(&pre_commit, at, home.path(), &["--all-files"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("Failed") && out.contains("svc/Dockerfile"),
        "{out}"
    );
    assert!(out.contains("dockerfile.secret-env"), "{out}");
    assert!(
        !out.contains("Qw8zLm3Nv6Xc1Rt5Yb"),
        "the hook output is redacted: {out}"
    );
    assert!(
        !out.contains("README.md"),
        "only Dockerfiles reach the hook: {out}"
    );

    let (code, out) = try_repo(
        &pre_commit,
        at,
        home.path(),
        &["--files", "clean/Dockerfile", "README.md"],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Passed"), "{out}");

    // a change to .dockerignore alone scans the Dockerfile it governs
    let (code, out) = try_repo(
        &pre_commit,
        at,
        home.path(),
        &["--files", "svc/.dockerignore"],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("svc/Dockerfile"), "{out}");
}

/// Runs `ci/scan.sh` (the GitHub Action's and GitLab template's scan step) from the repository
/// root with `env`; returns the exit code and stderr.
fn scan_script(env: &[(&str, &str)], path: Option<std::ffi::OsString>) -> (i32, String) {
    let mut command = Command::new("bash");
    command
        .arg(root().join("ci/scan.sh"))
        .current_dir(root())
        .env("STOWAWAY_BIN", env!("CARGO_BIN_EXE_stowaway"))
        .env_remove("GITHUB_OUTPUT")
        .env_remove("CI_COMMIT_SHA");
    if let Some(path) = path {
        command.env("PATH", path);
    }
    for (key, value) in env {
        command.env(key, value);
    }
    let out = command.output().expect("bash");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn sarif_is_valid(log: &serde_json::Value) -> bool {
    let schema = root().join("../shared/schemas/sarif-schema-2.1.0.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema).unwrap()).unwrap();
    jsonschema::validator_for(&schema).unwrap().is_valid(log)
}

#[test]
fn the_action_scan_step_writes_sarif_and_step_outputs() {
    let dir = context(&[]);
    let report = dir.path().join("out.sarif");
    let outputs = dir.path().join("github_output");
    let (code, stderr) = scan_script(
        &[
            ("STOWAWAY_PATHS", "testdata/images/demo-oci-archive.tar"),
            ("STOWAWAY_DOCKERFILE", "testdata/images/Dockerfile"),
            ("STOWAWAY_OUTPUT", report.to_str().unwrap()),
            ("GITHUB_OUTPUT", outputs.to_str().unwrap()),
        ],
        None,
    );
    assert_eq!(code, 1, "{stderr}");
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert!(sarif_is_valid(&log));
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 12);
    let written = std::fs::read_to_string(&outputs).unwrap();
    assert!(written.contains("exit-code=1\n"), "{written}");
    assert!(
        written.contains(&format!("report={}\n", report.display())),
        "{written}"
    );
    // STOWAWAY_ARGS reach stowaway: with a baseline of every finding, the step passes
    let baseline = dir.path().join("base.json");
    let bin = env!("CARGO_BIN_EXE_stowaway");
    let made = Command::new(bin)
        .args(["baseline", "testdata/images/demo-oci-archive.tar", "-o"])
        .arg(&baseline)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(made.status.success());
    let args = format!("--baseline {}", baseline.display());
    let (code, stderr) = scan_script(
        &[
            ("STOWAWAY_PATHS", "testdata/images/demo-oci-archive.tar"),
            ("STOWAWAY_ARGS", &args),
            ("STOWAWAY_OUTPUT", report.to_str().unwrap()),
        ],
        None,
    );
    assert_eq!(code, 0, "{stderr}");
}

/// A `docker` that can only `save`: it copies a committed image export to the `-o` file, the way
/// `docker save IMAGE -o FILE` writes one (no engine on the test machine).
fn fake_docker(dir: &Path, fail: bool) -> std::ffi::OsString {
    let fixture = root().join("testdata/images/demo-docker25.tar");
    let script = if fail {
        "#!/bin/sh\necho 'Error response from daemon: no such image' >&2\nexit 1\n".to_owned()
    } else {
        format!(
            "#!/bin/sh\n[ \"$1\" = save ] && [ \"$2\" = app:test ] && [ \"$3\" = -o ] || exit 3\ncp '{}' \"$4\"\n",
            fixture.display()
        )
    };
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(bin.join("docker"), script).unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(bin.join("docker"))
        .status()
        .unwrap();
    path_with(bin)
}

#[test]
fn the_gitlab_job_saves_the_image_and_writes_its_reports() {
    let dir = context(&[]);
    let path = fake_docker(dir.path(), false);
    let gitlab = dir.path().join("gl-secret-detection-report.json");
    let junit = dir.path().join("stowaway.xml");
    for (format, output) in [("gitlab", &gitlab), ("junit", &junit)] {
        let output = output.display().to_string();
        let env = [
            ("STOWAWAY_IMAGE", "app:test"),
            ("STOWAWAY_DOCKERFILE", "testdata/images/Dockerfile"),
            ("STOWAWAY_FORMAT", format),
            ("STOWAWAY_OUTPUT", output.as_str()),
            ("CI_COMMIT_SHA", "4f2c0a1e9b7d"),
        ];
        let (code, stderr) = scan_script(&env, Some(path.clone()));
        assert_eq!(code, 1, "{format}: {stderr}");
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&gitlab).unwrap()).unwrap();
    let schema = root().join("tests/schemas/gitlab-secret-detection-report-format-15.0.7.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema).unwrap()).unwrap();
    assert!(
        jsonschema::validator_for(&schema)
            .unwrap()
            .is_valid(&report)
    );
    let vulnerabilities = report["vulnerabilities"].as_array().unwrap();
    // the saved image's findings, attributed to the Dockerfile, on the pipeline's commit
    let npmrc = vulnerabilities
        .iter()
        .find(|v| v["description"].as_str().unwrap().contains("/app/.npmrc"))
        .expect("the image was scanned");
    assert_eq!(npmrc["location"]["file"], "testdata/images/Dockerfile");
    assert_eq!(npmrc["location"]["commit"]["sha"], "4f2c0a1e9b7d");
    let xml = std::fs::read_to_string(&junit).unwrap();
    roxmltree::Document::parse(&xml).expect("well-formed JUnit");

    // docker save failing is an incomplete scan, not a clean one
    let failing = fake_docker(dir.path(), true);
    let (code, stderr) = scan_script(&[("STOWAWAY_IMAGE", "app:test")], Some(failing));
    assert_eq!(code, 2);
    assert!(stderr.contains("docker save app:test failed"), "{stderr}");
}

#[test]
fn the_action_declares_every_input_it_passes_to_the_scan_step() {
    let action = std::fs::read_to_string(root().join("action.yml")).unwrap();
    let declared: Vec<&str> = action
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   ") && l.trim_end().ends_with(':'))
        .map(|l| l.trim().trim_end_matches(':'))
        .collect();
    let used: Vec<&str> = action
        .split("${{ inputs.")
        .skip(1)
        .map(|rest| rest.split(" }}").next().unwrap())
        .collect();
    assert!(used.len() >= 8);
    for input in used {
        assert!(declared.contains(&input), "inputs.{input} is not declared");
    }
    assert!(action.contains("\"$GITHUB_ACTION_PATH/ci/scan.sh\""));
}

#[test]
fn stowaways_own_dockerfile_passes_its_own_scan() {
    let out = crate::common::run(&["scan", "Dockerfile", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["summary"]["findings"], 0);
    // the context check is live: without the .dockerignore, COPY would send fixtures with
    // secret-named files (testdata/images/app/.env, id_rsa)
    let dir = context(&[("Dockerfile", "FROM scratch\nCOPY . /src\n")]);
    let out = crate::common::run(&[
        "scan",
        dir.path().join("Dockerfile").to_str().unwrap(),
        "--context",
        "testdata",
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 1, "{}", out.stdout);
}
