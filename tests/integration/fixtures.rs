//! The committed images made by a real builder (buildah, skopeo; see testdata/images/README.md): every
//! export format gives the same findings, and the text report is pinned by a snapshot.

use crate::common::{root, run, run_in};

const FORMATS: [&str; 6] = [
    "testdata/images/demo-docker-archive.tar",
    "testdata/images/demo-docker25.tar",
    "testdata/images/demo-oci-archive.tar",
    "testdata/images/demo-oci-zstd",
    "testdata/images/demo-oci-zstd-chunked",
    "testdata/images/demo-dir-v2s2",
];

fn rows(stdout: &str) -> Vec<String> {
    let json: serde_json::Value = serde_json::from_str(stdout).unwrap();
    assert_eq!(json["errors"].as_array().unwrap().len(), 0, "{stdout}");
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let l = &f["location"];
            format!(
                "{} {} {} {} {}",
                f["rule_id"].as_str().unwrap(),
                l["layer_index"],
                l["status"].as_str().unwrap_or("-"),
                l["field"].as_str().unwrap_or(l["path"].as_str().unwrap()),
                f["secret"].as_str().unwrap_or("-"),
            )
        })
        .collect()
}

#[test]
fn buildah_images_in_every_format_give_the_same_findings() {
    let want = [
        "image.secret-env null - Env[1] p…s",
        "npm.access-token null - history[4].created_by npm_…5sL0",
        "file.dotenv 1 present /app/.env -",
        "github.pat 1 present /app/.env ghp_…4xXH",
        "file.ssh-private-key 1 deleted /app/id_rsa -",
        "file.npmrc 2 present /app/.npmrc -",
        "npm.access-token 2 present /app/.npmrc npm_…5sL0",
    ];
    for format in FORMATS {
        let out = run(&["scan", format, "--format", "json"]);
        assert_eq!(out.code, 1, "{format}");
        assert_eq!(rows(&out.stdout), want, "{format}");
    }
}

#[test]
fn docker_save_on_standard_input() {
    let bytes = std::fs::read(root().join(FORMATS[0])).unwrap();
    let out = run_in(&root(), &["scan", "-", "--format", "json"], &bytes);
    let file = run(&["scan", FORMATS[0], "--format", "json"]);
    assert_eq!(rows(&out.stdout), rows(&file.stdout));
}

#[test]
fn image_text_snapshot() {
    let out = run(&[
        "scan",
        "testdata/images/demo-oci-archive.tar",
        "--color",
        "never",
    ]);
    insta::assert_snapshot!("image_text", out.stdout);
}
