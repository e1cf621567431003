//! The three formats on the bundled demo: named snapshots, the JSON contract, and SARIF checked
//! against the OASIS SARIF 2.1.0 schema (from ../shared/schemas).

use crate::common::{root, run};

#[test]
fn demo_text_snapshot() {
    let out = run(&["scan", "testdata/demo/Dockerfile", "--color", "never"]);
    assert_eq!(out.code, 1);
    insta::assert_snapshot!("demo_text", out.stdout);
}

#[test]
fn demo_json_snapshot() {
    let out = run(&["scan", "testdata/demo/Dockerfile", "--format", "json"]);
    insta::assert_snapshot!("demo_json", out.stdout);
}

#[test]
fn demo_sarif_snapshot() {
    let out = run(&["scan", "testdata/demo/Dockerfile", "--format", "sarif"]);
    insta::assert_snapshot!("demo_sarif", out.stdout);
}

#[test]
fn colour_only_when_asked() {
    let plain = run(&["scan", "testdata/demo/Dockerfile"]);
    assert!(
        !plain.stdout.contains('\x1b'),
        "stdout is a pipe here: no colour"
    );
    let coloured = run(&["scan", "testdata/demo/Dockerfile", "--color", "always"]);
    assert!(coloured.stdout.contains("\x1b[1;31mcritical"));
}

#[test]
fn json_findings_carry_every_documented_field() {
    let out = run(&["scan", "testdata/demo/Dockerfile", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["version"], 1);
    let findings = json["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for finding in findings {
        for field in [
            "rule_id",
            "rule_name",
            "severity",
            "source",
            "secret",
            "fingerprint",
            "message",
            "fix",
            "location",
        ] {
            assert!(finding.get(field).is_some(), "missing {field}: {finding}");
        }
        for field in [
            "kind",
            "path",
            "line",
            "column",
            "instruction",
            "instruction_line",
            "stage",
            "in_final_image",
        ] {
            assert!(
                finding["location"].get(field).is_some(),
                "missing location.{field}"
            );
        }
        let severity = finding["severity"].as_str().unwrap();
        assert!(["critical", "high", "medium", "low", "info"].contains(&severity));
        assert_eq!(finding["fingerprint"].as_str().unwrap().len(), 32);
    }
    assert_eq!(
        json["suppressed"][0]["reason"],
        "inline # stowaway:ignore=generic.url-credentials"
    );
}

#[test]
fn sarif_is_valid_against_the_2_1_0_schema() {
    let schema_path = root().join("../shared/schemas/sarif-schema-2.1.0.json");
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&schema_path).expect("SARIF schema in ../shared/schemas"),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    for args in [
        &["scan", "testdata/demo/Dockerfile", "--format", "sarif"][..],
        &["scan", "-", "--format", "sarif"][..],
    ] {
        let out = run(args);
        let log: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&log)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}", errors.join("\n"));
    }
    let broken = root()
        .join("../shared/corpus/dockerfiles/1642f2b6582fa5cbc06e274050a945b77089ad3f.Dockerfile");
    let out = run(&["scan", broken.to_str().unwrap(), "--format", "sarif"]);
    let log: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(validator.is_valid(&log));
    assert_eq!(
        log["runs"][0]["invocations"][0]["executionSuccessful"],
        false
    );
}

#[test]
fn sarif_has_what_github_code_scanning_reads() {
    let out = run(&["scan", "testdata/demo/Dockerfile", "--format", "sarif"]);
    let log: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for result in run["results"].as_array().unwrap() {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert!(rules[index]["properties"]["security-severity"].is_string());
        let region = &result["locations"][0]["physicalLocation"]["region"];
        assert!(region["startLine"].as_u64().unwrap() >= 1);
        assert!(result["partialFingerprints"]["stowaway/v1"].is_string());
        let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert_eq!(
            uri, "testdata/demo/Dockerfile",
            "context findings point at the COPY line"
        );
    }
}

#[test]
fn rules_list_snapshot() {
    let out = run(&["rules", "list"]);
    assert_eq!(out.code, 0);
    insta::assert_snapshot!("rules_list", out.stdout);
}

#[test]
fn rules_check_reports_failing_examples() {
    let dir = crate::common::context(&[
        (
            "good.toml",
            "[[rule]]\nid = \"acme.key\"\nname = \"ACME key\"\nseverity = \"high\"\nkeywords = [\"acme_\"]\n\
             pattern = '(?P<secret>acme_[A-Za-z0-9]{16})'\ndescription = \"d\"\nremediation = \"r\"\n\
             examples = [\"acme_Zq81xkP2vw9LmQ4t\"]\nnegative_examples = [\"acme_short\"]\n",
        ),
        (
            "bad.toml",
            "[[rule]]\nid = \"acme.key2\"\nname = \"ACME key\"\nseverity = \"high\"\nkeywords = [\"acme_\"]\n\
             pattern = '(?P<secret>acme_[A-Za-z0-9]{4,})'\ndescription = \"d\"\nremediation = \"r\"\n\
             examples = [\"ACME_Zq81xkP2vw9LmQ4t\"]\nnegative_examples = [\"acme_sh0rt9\"]\n",
        ),
    ]);
    let good = crate::common::run_in(dir.path(), &["rules", "check", "good.toml"], b"");
    assert_eq!(good.code, 0, "{}", good.stdout);
    let bad = crate::common::run_in(dir.path(), &["rules", "check", "bad.toml"], b"");
    assert_eq!(bad.code, 1);
    assert!(
        bad.stdout.contains("acme.key2: example does not match"),
        "{}",
        bad.stdout
    );
    assert!(
        bad.stdout.contains("acme.key2: negative example matches"),
        "{}",
        bad.stdout
    );
    let builtin = run(&["rules", "check", "rules/aws.toml", "rules/github.toml"]);
    assert_eq!(builtin.code, 0, "{}", builtin.stdout);
}
