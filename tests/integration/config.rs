//! Baselines and `.stowaway.toml`: a baseline holds no secrets and silences exactly what it
//! lists (a Dockerfile baseline also covers the image findings of the same secrets); the
//! configuration's threshold, rules, allow-list and ignore entries (with expiry) apply, and every
//! finding they silence is listed with its reason.

use serde_json::Value;

use crate::common::{context, root, run_in};

const TOKEN: &str = "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";
const DOCKERFILE: &str = "FROM alpine\n\
                          ENV DB_PASSWORD=Zk2m9Qx7Lp4vW8rTq3aa\n\
                          RUN echo 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 > /t\n\
                          COPY .env /app/.env\n";

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

fn list<'a>(report: &'a Value, key: &str) -> &'a Vec<Value> {
    report[key].as_array().unwrap()
}

fn ids(report: &Value, key: &str) -> Vec<String> {
    list(report, key)
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_baseline_holds_no_secret_and_reports_only_new_findings() {
    let dir = context(&[("Dockerfile", DOCKERFILE), (".env", "X=1\n")]);
    let at = dir.path();
    let out = run_in(at, &["baseline", "Dockerfile", "-o", "base.json"], b"");
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("written to base.json"),
        "{}",
        out.stderr
    );
    let written = std::fs::read_to_string(at.join("base.json")).unwrap();
    let all = json(
        &run_in(
            at,
            &["scan", "Dockerfile", "--format", "json", "--show-secrets"],
            b"",
        )
        .stdout,
    );
    assert!(list(&all, "findings").len() >= 3);
    for finding in list(&all, "findings") {
        if let Some(secret) = finding["secret"].as_str() {
            assert!(!written.contains(secret), "the baseline leaks {secret}");
        }
    }
    let baseline = json(&written);
    assert_eq!(
        list(&baseline, "findings").len(),
        list(&all, "findings").len()
    );

    let args = [
        "scan",
        "Dockerfile",
        "--baseline",
        "base.json",
        "--format",
        "json",
    ];
    let out = run_in(at, &args, b"");
    assert_eq!(out.code, 0, "{}", out.stdout);
    let report = json(&out.stdout);
    assert!(list(&report, "findings").is_empty());
    assert_eq!(
        list(&report, "suppressed").len(),
        list(&all, "findings").len()
    );
    assert!(
        list(&report, "suppressed")
            .iter()
            .all(|s| s["reason"] == "in baseline base.json")
    );

    // a new secret (and a moved old one) after the baseline: only the new one is reported
    let edited = format!(
        "FROM alpine\nLABEL x=1\n{}ENV API_TOKEN=Qw8zLm3Nv6Xc1Rt5Yb\n",
        &DOCKERFILE[12..]
    );
    std::fs::write(at.join("Dockerfile"), edited).unwrap();
    let out = run_in(at, &args, b"");
    assert_eq!(out.code, 1);
    let report = json(&out.stdout);
    assert_eq!(ids(&report, "findings"), ["dockerfile.secret-env"]);
    assert_eq!(list(&report, "findings")[0]["location"]["line"], 6);
    let text = run_in(at, &["scan", "Dockerfile", "--baseline", "base.json"], b"");
    assert!(
        text.stdout
            .contains(&format!("{} suppressed", list(&all, "findings").len())),
        "{}",
        text.stdout
    );
}

#[test]
fn a_dockerfile_baseline_covers_the_image_findings_of_the_same_secrets() {
    let dir = context(&[]);
    let base = dir.path().join("base.json");
    let base = base.to_str().unwrap();
    let root = root();
    let out = run_in(
        &root,
        &["baseline", "testdata/images/Dockerfile", "-o", base],
        b"",
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let args = [
        "scan",
        "testdata/images/demo-oci-archive.tar",
        "--baseline",
        base,
        "--format",
        "json",
    ];
    let report = json(&run_in(&root, &args, b"").stdout);
    let mut left = ids(&report, "findings");
    left.sort();
    // DB_PASSWORD, the npm token (history and .npmrc), .env and id_rsa were already known;
    // the GitHub token inside .env and the .npmrc file itself are only visible in the image
    assert_eq!(left, ["file.npmrc", "github.pat"]);
    assert_eq!(list(&report, "suppressed").len(), 5);
}

#[test]
fn the_config_file_sets_threshold_rules_allow_list_and_ignores() {
    let report_of = |dir: &std::path::Path, extra: &[&str]| {
        let mut args = vec!["scan", "Dockerfile", "--format", "json"];
        args.extend_from_slice(extra);
        let out = run_in(dir, &args, b"");
        (out.code, json(&out.stdout), out.stderr)
    };
    let dir = context(&[("Dockerfile", DOCKERFILE), (".env", "X=1\n")]);
    let (code, plain, _) = report_of(dir.path(), &[]);
    assert_eq!(code, 1);
    let fingerprint = |report: &Value, rule: &str| -> String {
        list(report, "findings")
            .iter()
            .find(|f| f["rule_id"] == rule)
            .unwrap()["fingerprint"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let github = fingerprint(&plain, "github.pat");
    let env = fingerprint(&plain, "dockerfile.secret-env");
    let config = format!(
        "fail-on = \"critical\"\n\
         [rules]\n\
         disable = [\"generic.*\"]\n\
         extra = [\"team/rules.toml\"]\n\
         [allow]\n\
         paths = [\"**/.env\"]\n\
         [[ignore]]\n\
         fingerprint = \"{github}\"\n\
         reason = \"revoked test token\"\n\
         expires = \"2999-12-31\"\n\
         [[ignore]]\n\
         fingerprint = \"{env}\"\n\
         reason = \"was fine last year\"\n\
         expires = \"2001-01-01\"\n"
    );
    let team_rule = r#"[[rule]]
id = "team.internal-token"
name = "Internal token"
severity = "critical"
keywords = ["itk_"]
pattern = '''(?P<secret>itk_[a-z0-9]{16})'''
description = "Our internal service token."
remediation = "Rotate it in the vault."
examples = ["itk_0123456789abcdef"]
negative_examples = ["itk_short"]
"#;
    // the config lives in the parent directory; it is found from the working directory up
    let sub = "project/service";
    let files = [
        (".stowaway.toml", config.as_str()),
        ("team/rules.toml", team_rule),
        (
            "project/service/Dockerfile",
            &format!("{DOCKERFILE}ENV T=itk_0123456789abcdef\n"),
        ),
        ("project/service/.env", "X=1\n"),
    ];
    let repo = context(&files);
    let at = repo.path().join(sub);
    let (code, report, stderr) = report_of(&at, &[]);
    assert_eq!(code, 1, "{stderr}");
    let mut found = ids(&report, "findings");
    found.sort();
    // github.pat ignored (until 2999), the .env file allowed, generic rules disabled; the
    // expired ignore entry silences nothing and says so; the team rule runs
    assert_eq!(
        found,
        ["dockerfile.secret-env", "team.internal-token"],
        "{report:#}"
    );
    let expired = &list(&report, "findings")[0];
    assert!(
        expired["message"]
            .as_str()
            .unwrap()
            .contains("expired on 2001-01-01"),
        "{expired}"
    );
    let reasons: Vec<&str> = list(&report, "suppressed")
        .iter()
        .map(|s| s["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("until 2999-12-31: revoked test token")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("path allowed in") && r.ends_with("**/.env")),
        "{reasons:?}"
    );
    // fail-on = critical: without the critical team token the run passes
    std::fs::write(at.join("Dockerfile"), DOCKERFILE).unwrap();
    let (code, _, _) = report_of(&at, &[]);
    assert_eq!(code, 0);
    // the command line wins, --no-config turns it off
    assert_eq!(report_of(&at, &["--fail-on", "medium"]).0, 1);
    let (_, bare, _) = report_of(&at, &["--no-config"]);
    assert!(ids(&bare, "findings").contains(&"github.pat".to_owned()));
    assert!(list(&bare, "suppressed").is_empty());
}

#[test]
fn allow_list_globs_cover_image_paths() {
    let files = [(".stowaway.toml", "[allow]\npaths = [\"/app/**\"]\n")];
    let dir = context(&files);
    let image = root().join("testdata/images/demo-oci-archive.tar");
    let args = ["scan", image.to_str().unwrap(), "--format", "json"];
    let report = json(&run_in(dir.path(), &args, b"").stdout);
    // every layer finding is under /app; the config findings stay
    let kinds: Vec<&str> = list(&report, "findings")
        .iter()
        .map(|f| f["location"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["config", "config"]);
    assert_eq!(list(&report, "suppressed").len(), 5);
}

#[test]
fn a_bad_config_or_baseline_is_an_error_naming_the_file() {
    let dir = context(&[
        ("Dockerfile", DOCKERFILE),
        (".stowaway.toml", "[rules]\ndisable = [\"no.such-rule\"]\n"),
        ("bad.json", "{\"version\": 1, \"findings\": 3}"),
    ]);
    let out = run_in(dir.path(), &["scan", "Dockerfile"], b"");
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains(".stowaway.toml") && out.stderr.contains("no.such-rule"),
        "{}",
        out.stderr
    );
    let args = [
        "scan",
        "Dockerfile",
        "--no-config",
        "--baseline",
        "bad.json",
    ];
    let out = run_in(dir.path(), &args, b"");
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("bad.json: not a stowaway baseline"),
        "{}",
        out.stderr
    );
    assert!(!out.stdout.contains(TOKEN));
}
