//! `scan --dockerfile`: image findings point at the Dockerfile instruction that made them (real
//! buildah images and images built in code with a base image's history first), pre-build and
//! post-build findings of one secret share a fingerprint, and SARIF points code scanning at the
//! Dockerfile line.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::builder::{Entry, Format, ImageBuilder, file, layer};
use crate::common::{context, root, run, run_in};

const FIXTURES: [&str; 4] = [
    "testdata/images/demo-docker-archive.tar",
    "testdata/images/demo-docker25.tar",
    "testdata/images/demo-oci-archive.tar",
    "testdata/images/demo-oci-zstd",
];

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap()
}

/// `scan --dockerfile Dockerfile img.tar --format json` in `dir`, as JSON.
pub fn scan_attributed(dir: &std::path::Path) -> Value {
    let args = [
        "scan",
        "--dockerfile",
        "Dockerfile",
        "img.tar",
        "--format",
        "json",
    ];
    json(&run_in(dir, &args, b"").stdout)
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().unwrap()
}

/// `rule place -> dockerfile:line` of each image finding.
fn attributed(report: &Value) -> Vec<String> {
    findings(report)
        .iter()
        .filter(|f| f["location"]["layer_index"].is_u64() || f["location"]["kind"] == "config")
        .map(|f| {
            let l = &f["location"];
            let place = l["field"].as_str().or(l["path"].as_str()).unwrap();
            let origin = match l["dockerfile"].as_str() {
                Some(df) => format!("{df}:{}", l["instruction_line"]),
                None => "-".to_owned(),
            };
            format!("{} {place} -> {origin}", f["rule_id"].as_str().unwrap())
        })
        .collect()
}

#[test]
fn buildah_image_findings_point_at_their_dockerfile_lines() {
    let want = [
        // the build argument recorded in history was declared by `ARG NPM_TOKEN`
        "npm.access-token history[4].created_by -> testdata/images/Dockerfile:4",
        "image.secret-env Env[1] -> testdata/images/Dockerfile:5",
        "file.dotenv /app/.env -> testdata/images/Dockerfile:6",
        "github.pat /app/.env -> testdata/images/Dockerfile:6",
        "file.ssh-private-key /app/id_rsa -> testdata/images/Dockerfile:6",
        "file.npmrc /app/.npmrc -> testdata/images/Dockerfile:7",
        "npm.access-token /app/.npmrc -> testdata/images/Dockerfile:7",
    ];
    for image in FIXTURES {
        let args = [
            "scan",
            "--dockerfile",
            "testdata/images/Dockerfile",
            image,
            "--format",
            "json",
        ];
        let out = run(&args);
        assert_eq!(out.code, 1, "{image}: {}", out.stderr);
        assert_eq!(attributed(&json(&out.stdout)), want, "{image}");
    }
    // without --dockerfile nothing is attributed
    let out = run(&["scan", FIXTURES[0], "--format", "json"]);
    assert!(
        attributed(&json(&out.stdout))
            .iter()
            .all(|r| r.ends_with("-> -"))
    );
}

#[test]
fn pre_and_post_build_findings_of_one_secret_share_a_fingerprint() {
    let args = [
        "scan",
        "--dockerfile",
        "testdata/images/Dockerfile",
        FIXTURES[2],
        "--format",
        "json",
    ];
    let report = json(&run(&args).stdout);
    let side = |image: bool| -> BTreeSet<(String, String)> {
        findings(&report)
            .iter()
            .filter(|f| f["location"]["image"].is_string() == image)
            .map(|f| {
                let path = f["location"]["path"].as_str().unwrap();
                let name = path.rsplit('/').next().unwrap().to_owned();
                (f["fingerprint"].as_str().unwrap().to_owned(), name)
            })
            .collect()
    };
    let (before, after) = (side(false), side(true));
    let shared: BTreeSet<&String> = before
        .iter()
        .map(|(fp, _)| fp)
        .filter(|fp| after.iter().any(|(other, _)| other == *fp))
        .collect();
    // DB_PASSWORD (ENV ↔ Env), the npm token (RUN ↔ .npmrc and history), .env and id_rsa
    // (COPY of context files ↔ layer files)
    assert_eq!(shared.len(), 4, "before {before:?}\nafter {after:?}");
}

#[test]
fn sarif_points_image_findings_at_the_dockerfile() {
    let args = [
        "scan",
        "--dockerfile",
        "testdata/images/Dockerfile",
        FIXTURES[3],
        "--format",
        "sarif",
    ];
    let log = json(&run(&args).stdout);
    let schema_path = root().join("../shared/schemas/sarif-schema-2.1.0.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(validator.is_valid(&log));
    let results = log["runs"][0]["results"].as_array().unwrap();
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    // what GitHub code scanning needs of each result: a known rule, a repository-relative file,
    // a line; here every finding, image ones included, comes from the Dockerfile
    assert_eq!(results.len(), 12);
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        let physical = &result["locations"][0]["physicalLocation"];
        assert_eq!(
            physical["artifactLocation"]["uri"],
            "testdata/images/Dockerfile"
        );
        assert!(physical["region"]["startLine"].as_u64().unwrap() >= 3);
        assert!(result["message"]["text"].is_string());
    }
    let npmrc = results
        .iter()
        .find(|r| {
            r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
                .as_str()
                .is_some_and(|n| n.ends_with("/layer/2//app/.npmrc"))
                && r["ruleId"] == "npm.access-token"
        })
        .expect("the .npmrc layer finding");
    let physical = &npmrc["locations"][0]["physicalLocation"];
    assert_eq!(
        physical["artifactLocation"]["uri"],
        "testdata/images/Dockerfile"
    );
    assert_eq!(physical["region"]["startLine"], 7);
}

/// A multi-stage build on a base image whose history (with its own `RUN apt-get update`) comes
/// first, in BuildKit's history dialect.
fn multistage() -> (ImageBuilder, &'static str) {
    let dockerfile = "FROM golang:1.22 AS build\n\
                      ARG GH_TOKEN\n\
                      RUN go build -o /out/app .\n\
                      FROM debian:bookworm-slim\n\
                      ARG NPM_TOKEN\n\
                      ENV API_KEY=Zk2m9Qx7Lp4vW8rTq3aa\n\
                      RUN apt-get   update\n\
                      COPY --from=build /out/app /usr/local/bin/app\n\
                      COPY config/ /etc/app/\n\
                      RUN rm /etc/app/.env\n";
    let token = "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";
    let mut ours = layer(
        "RUN |1 NPM_TOKEN=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 /bin/sh -c apt-get update # buildkit",
        vec![file(
            "root/.netrc",
            "machine example.org login me password Zk2m9Qx7Lp\n",
        )],
    );
    ours.empty_before = vec![
        "/bin/sh -c #(nop)  CMD [\"bash\"]".into(),
        "ARG NPM_TOKEN".into(),
        "ENV API_KEY=Zk2m9Qx7Lp4vW8rTq3aa".into(),
    ];
    let image = ImageBuilder {
        layers: vec![
            layer(
                "/bin/sh -c #(nop) ADD file:4a1b2c in / ",
                vec![file(
                    "root/.npmrc",
                    "registry=https://registry.npmjs.org/\n",
                )],
            ),
            layer(
                "/bin/sh -c apt-get update",
                vec![file("opt/base/.env", "DEBUG=1\n")],
            ),
            ours,
            layer(
                "COPY /out/app /usr/local/bin/app # buildkit",
                vec![file("usr/local/bin/app", "\x7fELF")],
            ),
            layer(
                "COPY config/ /etc/app/ # buildkit",
                vec![file("etc/app/.env", &format!("GITHUB_TOKEN={token}\n"))],
            ),
            layer(
                "RUN /bin/sh -c rm /etc/app/.env # buildkit",
                vec![Entry::File("etc/app/.wh..env".into(), Vec::new())],
            ),
        ],
        env: vec![
            "PATH=/usr/bin".into(),
            "API_KEY=Zk2m9Qx7Lp4vW8rTq3aa".into(),
        ],
        labels: Vec::new(),
        cmd: vec!["bash".into()],
        empty_history: Vec::new(),
    };
    (image, dockerfile)
}

#[test]
fn a_multistage_build_on_a_base_image_is_attributed_to_the_final_stage() {
    let (image, dockerfile) = multistage();
    let dir = context(&[("Dockerfile", dockerfile)]);
    for format in [Format::DockerLegacy, Format::Docker25, Format::OciArchive] {
        std::fs::write(dir.path().join("img.tar"), image.tar(format)).unwrap();
        let report = scan_attributed(dir.path());
        let mut rows = attributed(&report);
        rows.sort();
        assert_eq!(
            rows,
            [
                "cli.netrc-password /root/.netrc -> Dockerfile:7",
                "file.dotenv /etc/app/.env -> Dockerfile:9",
                // the base image's own `apt-get update` layer is not ours
                "file.dotenv /opt/base/.env -> -",
                "file.netrc /root/.netrc -> Dockerfile:7",
                "file.npmrc /root/.npmrc -> -",
                "generic.password-assignment Env[1] -> Dockerfile:6",
                "github.pat /etc/app/.env -> Dockerfile:9",
                // history: base ADD, base RUN, CMD, ARG, ENV, then our RUN with the build arg
                "npm.access-token history[5].created_by -> Dockerfile:5",
            ],
            "{format:?}"
        );
        let stages: BTreeSet<&str> = findings(&report)
            .iter()
            .filter(|f| f["location"]["dockerfile"].is_string())
            .map(|f| f["location"]["stage"].as_str().unwrap())
            .collect();
        assert_eq!(stages, BTreeSet::from(["1"]), "the final stage, unnamed");
    }
}

#[test]
fn text_report_names_the_instruction_line() {
    let (image, dockerfile) = multistage();
    let dir = context(&[("Dockerfile", dockerfile)]);
    std::fs::write(dir.path().join("img.tar"), image.tar(Format::OciArchive)).unwrap();
    let args = [
        "scan",
        "--dockerfile",
        "Dockerfile",
        "img.tar",
        "--color",
        "never",
    ];
    let out = run_in(dir.path(), &args, b"");
    assert!(
        out.stdout.contains("made by Dockerfile:9 (stage 1)"),
        "{}",
        out.stdout
    );
    // --dockerfile alone (no image) is a plain Dockerfile scan
    let alone = run_in(dir.path(), &["scan", "--dockerfile", "Dockerfile"], b"");
    assert_eq!(alone.code, 1, "{}", alone.stderr);
    assert!(alone.stdout.contains("ENV API_KEY"), "{}", alone.stdout);
}
