//! The CI formats: JSON Lines carries exactly the JSON report's objects, one per line; the
//! GitLab report validates against GitLab's published secret-detection schema 15.0.7 (see
//! tests/schemas/README.md) and names the commit from `CI_COMMIT_SHA`; JUnit XML is well formed
//! with failures counted by the fail-on threshold and errors as error cases.

use serde_json::Value;

use crate::common::{context, root, run, run_in};

const IMAGE: &str = "testdata/images/demo-oci-archive.tar";

fn scan(format: &str, extra: &[&str]) -> crate::common::Run {
    let mut args = vec![
        "scan",
        "--dockerfile",
        "testdata/images/Dockerfile",
        IMAGE,
        "--format",
        format,
    ];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn json_lines_carry_the_json_report_one_object_per_line() {
    let json: Value = serde_json::from_str(&scan("json", &[]).stdout).unwrap();
    let out = scan("jsonl", &[]);
    assert_eq!(out.code, 1);
    let lines: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let findings: Vec<Value> = lines
        .iter()
        .filter(|l| l["type"] == "finding")
        .map(|l| {
            let mut l = l.clone();
            l.as_object_mut().unwrap().remove("type");
            l
        })
        .collect();
    assert_eq!(&findings, json["findings"].as_array().unwrap());
    let last = lines.last().unwrap();
    assert_eq!(last["type"], "summary");
    assert_eq!(last["findings"], findings.len());
}

fn gitlab_validator() -> jsonschema::Validator {
    let path = root().join("tests/schemas/gitlab-secret-detection-report-format-15.0.7.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).expect("schema compiles")
}

#[test]
fn the_gitlab_report_matches_its_schema() {
    let validator = gitlab_validator();
    let out = scan("gitlab", &[]);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    let problems: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| e.to_string())
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
    let vulnerabilities = report["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulnerabilities.len(), 12);
    let ids: std::collections::BTreeSet<&str> = vulnerabilities
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), vulnerabilities.len(), "ids are unique per place");
    assert_eq!(report["scan"]["status"], "success");
    // an image finding attributed to the Dockerfile links to its line
    let npmrc = vulnerabilities
        .iter()
        .find(|v| {
            v["description"]
                .as_str()
                .unwrap()
                .contains("layer 2 /app/.npmrc")
        })
        .unwrap();
    assert_eq!(npmrc["location"]["file"], "testdata/images/Dockerfile");
    assert_eq!(npmrc["location"]["start_line"], 7);
    assert_eq!(npmrc["location"]["commit"]["sha"], "0000000");
    // a mis-shaped document is caught, so the validation above means something
    let mut broken = report.clone();
    broken["vulnerabilities"][0]["severity"] = "Severe".into();
    broken["scan"]["start_time"] = "yesterday".into();
    assert_eq!(validator.iter_errors(&broken).count(), 2);
}

#[test]
fn the_gitlab_report_names_the_commit_and_fails_on_errors() {
    let dir = context(&[("Dockerfile", "FROM x\nENV API_TOKEN=Qw8zLm3Nv6Xc1Rt5Yb\n")]);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_stowaway"));
    let out = child
        .args(["scan", "Dockerfile", "missing.tar", "--format", "gitlab"])
        .current_dir(dir.path())
        .env("CI_COMMIT_SHA", "4f2c0a1e9b7d")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(gitlab_validator().is_valid(&report));
    assert_eq!(report["scan"]["status"], "failure");
    assert!(
        report["scan"]["messages"][0]["value"]
            .as_str()
            .unwrap()
            .contains("missing.tar")
    );
    assert_eq!(
        report["vulnerabilities"][0]["location"]["commit"]["sha"],
        "4f2c0a1e9b7d"
    );
}

#[test]
fn junit_counts_failures_by_the_threshold_and_errors_as_errors() {
    let out = scan("junit", &["--fail-on", "high"]);
    let doc = roxmltree::Document::parse(&out.stdout).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let cases: Vec<_> = root
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let failures = root
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .count();
    assert_eq!(cases.len(), 12);
    assert_eq!(root.attribute("tests"), Some("12"));
    // critical and high only: 4 critical npm/GitHub tokens, 2 high id_rsa findings
    assert_eq!(failures, 6);
    assert_eq!(root.attribute("failures"), Some("6"));
    let suites: Vec<&str> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .map(|n| n.attribute("name").unwrap())
        .collect();
    assert_eq!(suites, ["testdata/images/Dockerfile", IMAGE]);

    // a hostile file name with markup and a terminal escape stays well-formed and inert
    let dir = context(&[("Dockerfile", "FROM x\nCOPY id_rsa /k\n"), ("id_rsa", "k")]);
    let out = run_in(
        dir.path(),
        &[
            "scan",
            "Dockerfile",
            "nope\u{1b}]0;<x>&.tar",
            "--format",
            "junit",
        ],
        b"",
    );
    assert_eq!(out.code, 2);
    let doc = roxmltree::Document::parse(&out.stdout).expect("well-formed XML");
    let errors: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("error"))
        .collect();
    assert_eq!(errors.len(), 1);
    assert!(!out.stdout.contains('\u{1b}'));
    let suite = errors[0]
        .ancestors()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert!(suite.attribute("name").unwrap().contains("<x>&"));
}
