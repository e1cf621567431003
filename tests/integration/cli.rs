//! The binary: exit codes, --fail-on, stdin, several paths, redaction, thread-count independence.

use crate::common::{context, root, run, run_in};

const LEAK: &str = "FROM x\nENV GITHUB_TOKEN=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\n";
const RAW: &str = "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";

#[test]
fn exit_codes() {
    let dir = context(&[
        ("clean/Dockerfile", "FROM alpine\nRUN apk add curl\n"),
        ("low/Dockerfile", "FROM x\nENV API_KEY=changeme\n"),
        ("leak/Dockerfile", LEAK),
        ("broken/Dockerfile", "FROM x\nBOGUS y\n"),
    ]);
    let code = |args: &[&str]| run_in(dir.path(), args, b"").code;
    assert_eq!(code(&["scan", "clean/Dockerfile"]), 0);
    assert_eq!(
        code(&["scan", "low/Dockerfile"]),
        0,
        "low is below the default --fail-on medium"
    );
    assert_eq!(code(&["scan", "low/Dockerfile", "--fail-on", "low"]), 1);
    assert_eq!(code(&["scan", "leak/Dockerfile"]), 1);
    assert_eq!(
        code(&["scan", "leak/Dockerfile", "--fail-on", "critical"]),
        1
    );
    assert_eq!(code(&["scan", "broken/Dockerfile"]), 2);
    assert_eq!(
        code(&["scan", "leak/Dockerfile", "broken/Dockerfile"]),
        2,
        "2 wins over 1"
    );
    assert_eq!(code(&["scan", "missing/Dockerfile", "clean/Dockerfile"]), 2);
    assert_eq!(
        code(&["scan", "--format", "yaml", "clean/Dockerfile"]),
        2,
        "bad flag"
    );
    let both = run_in(
        dir.path(),
        &["scan", "leak/Dockerfile", "broken/Dockerfile"],
        b"",
    );
    assert!(
        both.stdout
            .contains("broken/Dockerfile:2: unknown instruction: BOGUS"),
        "{}",
        both.stdout
    );
    assert!(both.stdout.contains("github.pat"));
}

#[test]
fn directories_are_searched_for_dockerfiles() {
    let dir = context(&[
        ("a/Dockerfile", LEAK),
        ("b/api.Dockerfile", LEAK),
        ("c/Containerfile", "FROM x\n"),
        ("node_modules/x/Dockerfile", LEAK),
        (
            "README.md",
            "ENV GITHUB_TOKEN=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",
        ),
    ]);
    let out = run_in(dir.path(), &["scan", ".", "--format", "json"], b"");
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["summary"]["sources"], 3);
    assert_eq!(json["summary"]["findings"], 2);
}

#[test]
fn stdin_is_a_dockerfile() {
    let out = run_in(&root(), &["scan", "-", "--format", "json"], LEAK.as_bytes());
    assert_eq!(out.code, 1);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["findings"][0]["source"], "-");
    assert_eq!(json["findings"][0]["location"]["line"], 2);
}

#[test]
fn secrets_are_redacted_unless_asked() {
    for format in crate::common::FORMATS {
        let out = run_in(&root(), &["scan", "-", "--format", format], LEAK.as_bytes());
        assert!(
            !out.stdout.contains(RAW),
            "{format} leaks the secret:\n{}",
            out.stdout
        );
        assert!(out.stdout.contains("ghp_…4xXH"), "{format}");
        let shown = run_in(
            &root(),
            &["scan", "-", "--format", format, "--show-secrets"],
            LEAK.as_bytes(),
        );
        assert!(shown.stdout.contains(RAW), "{format} --show-secrets");
    }
}

#[test]
fn a_line_that_lost_its_continuation_keeps_its_secret_out_of_messages() {
    // the line after a missing `\` (or after a `\` that `# escape=`` makes literal) starts
    // with a value, and is parsed as an instruction whose keyword is that value
    let cases = [
        "FROM x\nENV A=1\n    STRIPE_KEY=sk_live_51HxYzAbCdEfGhIjKlMnOpQrStUv\n",
        "# escape=`\nFROM x\nENV A=1 \\\n    STRIPE_KEY=sk_live_51HxYzAbCdEfGhIjKlMnOpQrStUv\n",
        "FROM x\nRUN export TOKEN=\n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\n",
        "FROM x\nRUN set -e\ncorrecthorsebatterystaple --login\n",
    ];
    let secrets = [
        "sk_live_51HxYzAbCdEfGhIjKlMnOpQrStUv",
        RAW,
        "correcthorsebatterystaple",
    ];
    for case in cases {
        for format in crate::common::FORMATS {
            let out = run_in(&root(), &["scan", "-", "--format", format], case.as_bytes());
            assert_eq!(out.code, 2, "{case:?}: the unknown instruction is an error");
            let printed = format!("{}{}", out.stdout, out.stderr).to_ascii_lowercase();
            assert!(printed.contains("unknown instruction"), "{case:?} {format}");
            for secret in secrets {
                assert!(
                    !printed.contains(&secret.to_ascii_lowercase()[..12]),
                    "{format} prints {secret} for {case:?}:\n{printed}"
                );
            }
        }
    }
    // a misspelt instruction is still named whole
    let out = run_in(&root(), &["scan", "-"], b"FROM x\nHEALTHCHEK CMD true\n");
    assert!(
        out.stdout.contains("unknown instruction: HEALTHCHEK\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn demo_secrets_never_reach_any_output() {
    let raw = [
        "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",
        "TOlUcR64cXQLioDnkHIfxIq2HZt+PlJhx2jIclHk",
        "Qm2x9Lw7vKpZ4r",
        "R00tPw9x",
        "postgres\"",
    ];
    for format in crate::common::FORMATS {
        let out = run(&["scan", "testdata/demo/Dockerfile", "--format", format]);
        for secret in raw {
            assert!(!out.stdout.contains(secret), "{format} prints {secret}");
        }
    }
}

#[test]
fn thread_count_does_not_change_a_byte() {
    let corpus = root().join("../shared/corpus/dockerfiles");
    let corpus = corpus.to_str().unwrap();
    let one = run(&["scan", corpus, "testdata/demo", "--format", "json", "-j1"]);
    let many = run(&["scan", corpus, "testdata/demo", "--format", "json", "-j4"]);
    assert!(one.stdout.len() > 10_000);
    assert_eq!(one.stdout, many.stdout);
}

#[test]
fn output_file_and_rules_list() {
    let dir = context(&[("Dockerfile", LEAK)]);
    let out = run_in(
        dir.path(),
        &[
            "scan",
            "Dockerfile",
            "-o",
            "report.sarif",
            "--format",
            "sarif",
        ],
        b"",
    );
    assert_eq!(out.code, 1);
    assert!(out.stdout.is_empty());
    let sarif = std::fs::read_to_string(dir.path().join("report.sarif")).unwrap();
    assert!(sarif.contains("\"github.pat\""));
    let list = run(&["rules", "list"]);
    assert_eq!(list.code, 0);
    assert!(list.stdout.lines().any(|l| l.starts_with("github.pat ")));
}

#[test]
fn user_rules_add_to_or_replace_the_builtin_set() {
    let dir = context(&[
        (
            "Dockerfile",
            "FROM x\nENV X=acme_live_Zq81xkP2vw9LmQ4t\nENV GITHUB_TOKEN=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\n",
        ),
        (
            "acme.toml",
            "[[rule]]\nid = \"acme.key\"\nname = \"ACME key\"\nseverity = \"high\"\nkeywords = [\"acme_live_\"]\n\
             pattern = '(?P<secret>acme_live_[A-Za-z0-9]{16})'\ndescription = \"d\"\nremediation = \"r\"\n\
             examples = [\"acme_live_Zq81xkP2vw9LmQ4t\"]\nnegative_examples = [\"acme_live_\"]\n",
        ),
        ("bad.toml", "[[rule]]\nid = \"Bad Id\"\n"),
    ]);
    let ids = |args: &[&str]| {
        let out = run_in(dir.path(), args, b"");
        let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule_id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(&[
            "scan",
            "Dockerfile",
            "--format",
            "json",
            "--rules",
            "acme.toml"
        ]),
        ["acme.key", "github.pat"]
    );
    assert_eq!(
        ids(&[
            "scan",
            "Dockerfile",
            "--format",
            "json",
            "--rules",
            "acme.toml",
            "--no-builtin-rules"
        ]),
        ["acme.key"]
    );
    let bad = run_in(
        dir.path(),
        &["scan", "Dockerfile", "--rules", "bad.toml"],
        b"",
    );
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("bad.toml"), "{}", bad.stderr);
}

#[test]
fn completions_and_man_page_come_from_the_flag_definitions() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = run(&["completions", shell]);
        assert_eq!(out.code, 0, "{shell}: {}", out.stderr);
        // fish writes `-l dockerfile`, the others `--dockerfile`
        for flag in ["dockerfile", "baseline", "max-layer-size"] {
            assert!(out.stdout.contains(flag), "{shell} completion lacks {flag}");
        }
    }
    // the bash script is valid bash
    let script = run(&["completions", "bash"]).stdout;
    let dir = crate::common::context(&[("stowaway.bash", &script)]);
    let check = std::process::Command::new("bash")
        .args(["-n", "stowaway.bash"])
        .current_dir(dir.path())
        .status()
        .expect("bash");
    assert!(check.success());
    let man = run(&["man"]);
    assert_eq!(man.code, 0);
    assert!(man.stdout.starts_with(".ie") || man.stdout.starts_with(".TH"));
    for section in [
        "STOWAWAY SCAN",
        "STOWAWAY AUDIT",
        "STOWAWAY BASELINE",
        "EXIT STATUS",
    ] {
        assert!(man.stdout.contains(section), "man page lacks {section}");
    }
    assert!(man.stdout.contains(r"\-\-dockerfile"));
}

#[test]
fn a_dockerignore_path_scans_the_dockerfiles_it_governs() {
    let dir = crate::common::context(&[
        (
            "svc/Dockerfile",
            "FROM alpine\nENV API_TOKEN=Qw8zLm3Nv6Xc1Rt5Yb\n",
        ),
        ("svc/.dockerignore", "*.log\n"),
        ("svc/api.Dockerfile", "FROM alpine\n"),
        ("svc/api.Dockerfile.dockerignore", "*\n"),
    ]);
    let sources = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["scan", "--format", "json"];
        all.extend_from_slice(args);
        let out = run_in(dir.path(), &all, b"");
        let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(
            json["errors"].as_array().unwrap().len(),
            0,
            "{}",
            out.stdout
        );
        let mut found: Vec<String> = json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["source"].as_str().unwrap().to_owned())
            .collect();
        found.dedup();
        found.push(json["summary"]["sources"].to_string());
        found
    };
    assert_eq!(sources(&["svc/.dockerignore"]), ["svc/Dockerfile", "2"]);
    // named twice, scanned once
    assert_eq!(
        sources(&["svc/Dockerfile", "svc/.dockerignore"]),
        ["svc/Dockerfile", "2"]
    );
    assert_eq!(sources(&["svc/api.Dockerfile.dockerignore"]), ["1"]);
}
