//! OCI artifacts beside images in one layout (what `cosign save`, `oras copy -r` or `regctl
//! image copy --referrers` export): a cosign signature, an SBOM referrer, files and a directory
//! pushed with `oras` are read as what they are (no error on a valid layout), and a secret in an
//! artifact's file is found under the file's name. Shapes follow the OCI image spec 1.1
//! (`artifactType`, `subject`, the empty config) and `oras push`'s defaults (files get the plain
//! layer type and their name as `org.opencontainers.image.title`).

use serde_json::{Value, json};

use super::builder::{self, Entry, Files, file};
use super::images::{error_text, scan_files};

const TOKEN: &str = "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";
const EMPTY: &str = "application/vnd.oci.empty.v1+json";
const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

fn put(files: &mut Files, bytes: &[u8]) -> Value {
    let digest = builder::sha256(bytes);
    files.push((format!("blobs/sha256/{}", &digest[7..]), bytes.to_vec()));
    json!({ "digest": digest, "size": bytes.len() })
}

fn descriptor(media: &str, at: &Value, title: Option<&str>) -> Value {
    let mut d = json!({ "mediaType": media, "digest": at["digest"], "size": at["size"] });
    if let Some(title) = title {
        d["annotations"] = json!({ "org.opencontainers.image.title": title });
    }
    d
}

/// A manifest of `layers` ((media type, bytes, title)) with a config of `config_type`, added
/// to `files`; its index entry.
fn manifest(
    files: &mut Files,
    config_type: &str,
    config: &[u8],
    layers: &[(&str, Vec<u8>, Option<&str>)],
    subject: Option<&Value>,
) -> Value {
    let config = put(files, config);
    let layers: Vec<Value> = layers
        .iter()
        .map(|(media, bytes, title)| descriptor(media, &put(files, bytes), *title))
        .collect();
    let mut m = json!({ "schemaVersion": 2, "mediaType": MANIFEST,
        "config": descriptor(config_type, &config, None), "layers": layers });
    if let Some(subject) = subject {
        m["subject"] = subject.clone();
        m["artifactType"] = json!("application/spdx+json");
    }
    descriptor(
        MANIFEST,
        &put(files, &serde_json::to_vec(&m).unwrap()),
        None,
    )
}

/// A clean image, its cosign signature and SBOM referrer, and an `oras` artifact holding
/// `artifact` ((name, media type, bytes)).
fn layout(artifact: &[(&str, &str, Vec<u8>)]) -> Files {
    let mut files: Files = Vec::new();
    let tar = builder::tar_of(&[file("srv/app/readme.txt", "hello\n")]);
    let config = json!({ "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": { "type": "layers", "diff_ids": [builder::sha256(&tar)] } });
    let image = manifest(
        &mut files,
        "application/vnd.oci.image.config.v1+json",
        &serde_json::to_vec(&config).unwrap(),
        &[(
            "application/vnd.oci.image.layer.v1.tar+gzip",
            builder::gzip(&tar),
            None,
        )],
        None,
    );
    let payload = json!({ "critical": { "identity": { "docker-reference": "ghcr.io/acme/app" },
        "image": { "docker-manifest-digest": image["digest"] },
        "type": "cosign container image signature" }, "optional": null });
    let signature = manifest(
        &mut files,
        "application/vnd.oci.image.config.v1+json",
        b"{}",
        &[(
            "application/vnd.dev.cosign.simplesigning.v1+json",
            serde_json::to_vec(&payload).unwrap(),
            None,
        )],
        None,
    );
    let spdx = br#"{"spdxVersion":"SPDX-2.3","name":"app","packages":[{"name":"left-pad"}]}"#;
    let sbom = manifest(
        &mut files,
        EMPTY,
        b"{}",
        &[("application/spdx+json", spdx.to_vec(), None)],
        Some(&image),
    );
    let layers: Vec<(&str, Vec<u8>, Option<&str>)> = artifact
        .iter()
        .map(|(name, media, bytes)| (*media, bytes.clone(), Some(*name)))
        .collect();
    let oras = manifest(&mut files, EMPTY, b"{}", &layers, None);
    let named = |mut d: Value, name: &str| {
        d["annotations"] = json!({ "org.opencontainers.image.ref.name": name });
        d
    };
    let index = json!({ "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [named(image, "app:1"), named(signature, "sha256-abc.sig"), sbom,
                      named(oras, "config:1")] });
    files.push(("index.json".into(), serde_json::to_vec(&index).unwrap()));
    files.push((
        "oci-layout".into(),
        br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
    ));
    files
}

fn found(json: &Value) -> Vec<(String, String, String)> {
    let mut rows: Vec<(String, String, String)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let l = &f["location"];
            let image = l["image"].as_str().unwrap_or("").to_owned();
            let rule = f["rule_id"].as_str().unwrap().to_owned();
            (image, rule, l["path"].as_str().unwrap().to_owned())
        })
        .collect();
    rows.sort();
    rows
}

fn row(image: &str, rule: &str, path: &str) -> (String, String, String) {
    (image.to_owned(), rule.to_owned(), path.to_owned())
}

#[test]
fn artifacts_beside_an_image_are_read_as_what_they_are() {
    let clean = [(
        "settings.json",
        "application/vnd.oci.image.layer.v1.tar",
        br#"{"debug": false}"#.to_vec(),
    )];
    let (code, json) = scan_files(&layout(&clean), &[]);
    assert_eq!((code, found(&json)), (0, vec![]), "{}", error_text(&json));

    let env = format!("GITHUB_TOKEN={TOKEN}\n").into_bytes();
    let dir = builder::gzip(&builder::tar_of(&[
        Entry::Dir("deploy".into()),
        file(
            "deploy/id_rsa",
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n-----END OPENSSH PRIVATE KEY-----\n",
        ),
    ]));
    let leaky = [
        (
            ".env",
            "application/vnd.oci.image.layer.v1.tar",
            env.clone(),
        ),
        ("notes.txt", "text/plain", env),
        ("deploy", "application/vnd.oci.image.layer.v1.tar+gzip", dir),
    ];
    let (code, json) = scan_files(&layout(&leaky), &[]);
    assert_eq!(code, 1, "{}", error_text(&json));
    assert_eq!(
        found(&json),
        [
            row("config:1", "file.dotenv", "/.env"),
            row("config:1", "file.ssh-private-key", "/deploy!/deploy/id_rsa"),
            row("config:1", "github.pat", "/.env"),
            row("config:1", "github.pat", "/notes.txt"),
        ]
    );
}
