//! Image scanning end to end on images built in code: every export format gives the same
//! findings; gzip, zstd and plain layers; whiteouts, opaque directories and overwrites give the
//! right status; config, labels and history build args; multi-platform indexes; stdin.

use crate::builder::{self, Compression, Entry, Format, ImageBuilder, Layer, file, layer};
use crate::common::{context, run_in, run_or_hang};

const TOKEN: &str = "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";
const AWS: &str = "aws_secret_access_key = TOlUcR64cXQLioDnkHIfxIq2HZt+PlJhx2jIclHk";

/// A small image with one of each layer leak.
pub fn leaky() -> ImageBuilder {
    let mut base = layer(
        "/bin/sh -c #(nop) ADD file:base in / ",
        vec![
            Entry::Dir("etc".into()),
            file("etc/os-release", "ID=demo\n"),
            file("etc/app/config.json", "{}"),
        ],
    );
    base.compression = Compression::None;
    let mut app = layer(
        "COPY app/ /srv/app/ # buildkit",
        vec![
            Entry::Dir("srv/app".into()),
            file(
                "srv/app/main.py",
                &format!("# config\nTOKEN = \"{TOKEN}\"\n"),
            ),
            file("srv/app/.env", "DEBUG=1\n"),
            file("root/.aws/credentials", &format!("[default]\n{AWS}\n")),
        ],
    );
    app.compression = Compression::Zstd;
    let cleanup = layer(
        "RUN /bin/sh -c rm -rf /root/.aws && echo {} > /etc/app/config.json # buildkit",
        vec![
            file("root/.wh..aws", ""),
            file("etc/app/config.json", "{\"ok\":true}"),
        ],
    );
    ImageBuilder {
        layers: vec![base, app, cleanup],
        env: vec!["PATH=/usr/bin".into(), "DB_PASSWORD=postgres".into()],
        labels: vec![("maintainer".into(), "ops@example.org".into())],
        cmd: vec!["python".into(), "/srv/app/main.py".into()],
        empty_history: vec![
            "RUN |1 NPM_TOKEN=Zk2m9Qx7Lp4vW8rTq3 /bin/sh -c npm ci # buildkit".into(),
        ],
    }
}

/// `(rule, kind, path or field, layer, status)` of each finding of a JSON report.
pub fn rows(stdout: &str) -> Vec<String> {
    let json: serde_json::Value = serde_json::from_str(stdout).unwrap();
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let l = &f["location"];
            let place = l["field"]
                .as_str()
                .map_or_else(|| l["path"].as_str().unwrap().to_owned(), str::to_owned);
            format!(
                "{} {} {} layer={} {} line={}",
                f["rule_id"].as_str().unwrap(),
                l["kind"].as_str().unwrap(),
                place,
                l["layer_index"],
                l["status"].as_str().unwrap_or("-"),
                l["line"],
            )
        })
        .collect()
}

/// Writes `image` as `format`, scans it with `args`; returns the exit code, the sorted rows and
/// the JSON text.
pub fn scan_image(
    image: &ImageBuilder,
    format: Format,
    args: &[&str],
) -> (i32, Vec<String>, String) {
    let dir = context(&[]);
    std::fs::write(dir.path().join("img.tar"), image.tar(format)).unwrap();
    let mut all = vec!["scan", "img.tar", "--format", "json"];
    all.extend_from_slice(args);
    let out = run_in(dir.path(), &all, b"");
    let mut found = rows(&out.stdout);
    found.sort();
    (out.code, found, out.stdout)
}

fn expected() -> Vec<&'static str> {
    vec![
        "dockerfile.secret-env config Env[1] layer=null - line=null",
        "image.secret-build-arg config history[3].created_by layer=null - line=null",
        "github.pat layer /srv/app/main.py layer=1 present line=2",
        "file.dotenv layer /srv/app/.env layer=1 present line=null",
        "aws.secret-access-key layer /root/.aws/credentials layer=1 deleted line=2",
        "file.aws-credentials layer /root/.aws/credentials layer=1 deleted line=null",
    ]
}

#[test]
fn every_export_format_gives_the_same_findings() {
    let image = leaky();
    let dir = context(&[]);
    let root = dir.path();
    let mut inputs = Vec::new();
    for (name, format) in [
        ("legacy.tar", Format::DockerLegacy),
        ("docker25.tar", Format::Docker25),
        ("oci.tar", Format::OciArchive),
    ] {
        std::fs::write(root.join(name), image.tar(format)).unwrap();
        inputs.push(name.to_owned());
    }
    std::fs::write(
        root.join("oci.tar.gz"),
        builder::gzip(&image.tar(Format::OciArchive)),
    )
    .unwrap();
    inputs.push("oci.tar.gz".into());
    // `docker save | zstd`: docker load takes it, so do we
    let zstd = builder::compress(&image.tar(Format::Docker25), Compression::Zstd);
    std::fs::write(root.join("docker25.tar.zst"), zstd).unwrap();
    inputs.push("docker25.tar.zst".into());
    builder::write_dir(&root.join("oci-dir"), &image.files(Format::OciArchive));
    inputs.push("oci-dir".into());
    let mut first: Option<Vec<String>> = None;
    for input in &inputs {
        let out = run_in(root, &["scan", input, "--format", "json"], b"");
        assert_eq!(out.code, 1, "{input}: {}{}", out.stdout, out.stderr);
        let found = rows(&out.stdout);
        match &first {
            None => first = Some(found),
            Some(f) => assert_eq!(&found, f, "{input} differs"),
        }
    }
    let found = first.unwrap();
    let mut want: Vec<String> = expected().into_iter().map(str::to_owned).collect();
    want[0] = want[0].replace("dockerfile.secret-env", "image.secret-env");
    let mut sorted = found.clone();
    sorted.sort();
    want.sort();
    assert_eq!(sorted, want);
    let stdin = run_in(
        root,
        &["scan", "-", "--format", "json"],
        &image.tar(Format::DockerLegacy),
    );
    assert_eq!(rows(&stdin.stdout), found, "stdin");
    let zstd = builder::compress(&image.tar(Format::DockerLegacy), Compression::Zstd);
    let stdin = run_in(root, &["scan", "-", "--format", "json"], &zstd);
    assert_eq!(rows(&stdin.stdout), found, "zstd on stdin");
}

#[test]
fn compressed_files_that_are_not_readable_images_are_one_clear_error() {
    let dir = context(&[]);
    let root = dir.path();
    // magic numbers of xz and bzip2 (no encoder among the dev-dependencies; the header is
    // what is sniffed), and a gzip file that is not a tar
    std::fs::write(
        root.join("img.tar.xz"),
        b"\xfd7zXZ\0\0\x04\xe6\xd6\xb4\x46rest",
    )
    .unwrap();
    std::fs::write(root.join("img.tar.bz2"), b"BZh91AY&SYrest of the stream").unwrap();
    std::fs::write(root.join("notes.gz"), builder::gzip(b"FROM alpine\n")).unwrap();
    for (name, says) in [
        (
            "img.tar.xz",
            "xz-compressed; stowaway reads gzip and zstd: decompress it first (xz -dc",
        ),
        (
            "img.tar.bz2",
            "bzip2-compressed; stowaway reads gzip and zstd",
        ),
        ("notes.gz", "gzip-compressed, but not a tar image"),
    ] {
        let out = run_in(root, &["scan", name], b"");
        assert_eq!(out.code, 2, "{name}: {}{}", out.stdout, out.stderr);
        let errors = out.stdout.lines().chain(out.stderr.lines());
        let errors: Vec<&str> = errors.filter(|l| l.starts_with("error:")).collect();
        assert_eq!(errors.len(), 1, "{name}: {errors:?}");
        assert!(errors[0].contains(says), "{name}: {errors:?}");
    }
}

#[test]
fn layer_findings_say_where_and_what_happened() {
    let dir = context(&[]);
    std::fs::write(dir.path().join("img.tar"), leaky().tar(Format::OciArchive)).unwrap();
    let out = run_in(dir.path(), &["scan", "img.tar", "--format", "json"], b"");
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let aws = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "aws.secret-access-key")
        .unwrap();
    let l = &aws["location"];
    assert_eq!(l["image"], "demo:latest");
    assert_eq!(l["status"], "deleted");
    assert_eq!(l["changed_by_layer"], 2);
    assert_eq!(l["instruction"], "COPY app/ /srv/app/");
    assert_eq!(l["column"], 25);
    assert!(l["layer_digest"].as_str().unwrap().starts_with("sha256:"));
    assert!(l["diff_id"].as_str().unwrap().starts_with("sha256:"));
    assert!(
        aws["message"]
            .as_str()
            .unwrap()
            .contains("deleted by layer 2")
    );
    assert_eq!(aws["secret"], "TOlU…clHk");
    let text = run_in(dir.path(), &["scan", "img.tar"], b"").stdout;
    assert!(!text.contains("TOlUcR64cXQLioDnkHIfxIq2HZt"), "{text}");
}

#[test]
fn opaque_directories_and_overwrites() {
    let image = ImageBuilder::with(vec![
        layer(
            "a",
            vec![file("opt/app/.npmrc", "x=1"), file("srv/id_rsa", "k")],
        ),
        layer(
            "b",
            vec![
                file("opt/app/.wh..wh..opq", ""),
                file("srv/id_rsa", "again"),
            ],
        ),
        layer("c", vec![file("opt/app/.npmrc", "y=2")]),
    ]);
    let (_, found, _) = scan_image(&image, Format::DockerLegacy, &[]);
    assert_eq!(
        found,
        [
            "file.npmrc layer /opt/app/.npmrc layer=0 deleted line=null",
            "file.npmrc layer /opt/app/.npmrc layer=2 present line=null",
            "file.ssh-private-key layer /srv/id_rsa layer=0 overwritten line=null",
            "file.ssh-private-key layer /srv/id_rsa layer=1 present line=null",
        ]
    );
}

#[test]
fn long_names_links_and_binary_files() {
    let long = format!("usr/share/{}/secrets.txt", "d".repeat(180));
    let mut binary = vec![0u8, 159, 146, 150, 255];
    binary.extend_from_slice(TOKEN.as_bytes());
    binary.extend_from_slice(&[0, 1, 2]);
    let image = ImageBuilder::with(vec![layer(
        "a",
        vec![
            file(&long, TOKEN),
            Entry::Symlink("etc/link".into(), "../../../../etc/shadow".into()),
            Entry::Hardlink("etc/hard".into(), long.clone()),
            Entry::File("usr/bin/tool".into(), binary),
        ],
    )]);
    let (code, found, stdout) = scan_image(&image, Format::OciArchive, &[]);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.iter().any(|r| r.contains(&format!("/{long} "))));
    assert!(found.iter().any(|r| r.contains("/usr/bin/tool ")));
}

#[test]
fn thread_count_does_not_change_an_image_report() {
    let dir = context(&[]);
    std::fs::write(dir.path().join("img.tar"), leaky().tar(Format::OciArchive)).unwrap();
    let one = run_in(
        dir.path(),
        &["scan", "img.tar", "--format", "json", "-j1"],
        b"",
    );
    let four = run_in(
        dir.path(),
        &["scan", "img.tar", "--format", "json", "-j4"],
        b"",
    );
    assert_eq!(one.stdout, four.stdout);
}

/// The layer blob paths of an OCI export, base first.
pub fn layer_blobs(files: &builder::Files) -> Vec<String> {
    let get = |path: &str| -> serde_json::Value {
        let bytes = &files.iter().find(|(p, _)| p == path).unwrap().1;
        serde_json::from_slice(bytes).unwrap()
    };
    let index = get("index.json");
    let digest = index["manifests"][0]["digest"].as_str().unwrap();
    let manifest = get(&format!("blobs/sha256/{}", &digest[7..]));
    manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| format!("blobs/sha256/{}", &l["digest"].as_str().unwrap()[7..]))
        .collect()
}

pub fn replace(files: &mut builder::Files, path: &str, bytes: Vec<u8>) {
    files.iter_mut().find(|(p, _)| p == path).unwrap().1 = bytes;
}

/// Scans an OCI archive made of `files`; returns (exit code, JSON).
/// An OCI archive's files with its (first) manifest changed by `edit`, the index naming the
/// new manifest by its digest.
pub fn edit_manifest(
    files: builder::Files,
    edit: impl FnOnce(&mut serde_json::Value),
) -> builder::Files {
    let json_of = |path: &str| -> serde_json::Value {
        serde_json::from_slice(&files.iter().find(|(p, _)| p == path).unwrap().1).unwrap()
    };
    let mut index = json_of("index.json");
    let digest = index["manifests"][0]["digest"].as_str().unwrap().to_owned();
    let old = format!("blobs/sha256/{}", &digest[7..]);
    let mut manifest = json_of(&old);
    edit(&mut manifest);
    let bytes = serde_json::to_vec(&manifest).unwrap();
    let digest = builder::sha256(&bytes);
    index["manifests"][0]["digest"] = digest.clone().into();
    index["manifests"][0]["size"] = bytes.len().into();
    let mut files: builder::Files = files
        .into_iter()
        .filter(|(p, _)| p != &old && p != "index.json")
        .collect();
    files.push((format!("blobs/sha256/{}", &digest[7..]), bytes));
    files.push(("index.json".into(), serde_json::to_vec(&index).unwrap()));
    files
}

/// An OCI archive's files with its config replaced by `config` (bytes as given).
pub fn replace_config(files: builder::Files, config: Vec<u8>) -> builder::Files {
    let digest = builder::sha256(&config);
    let path = format!("blobs/sha256/{}", &digest[7..]);
    let size = config.len();
    let mut files = edit_manifest(files, |manifest| {
        manifest["config"]["digest"] = digest.clone().into();
        manifest["config"]["size"] = size.into();
    });
    files.push((path, config));
    files
}

pub fn scan_files(files: &builder::Files, args: &[&str]) -> (i32, serde_json::Value) {
    let dir = context(&[]);
    std::fs::write(dir.path().join("img.tar"), builder::archive(files)).unwrap();
    let mut all = vec!["scan", "img.tar", "--format", "json"];
    all.extend_from_slice(args);
    let out = run_in(dir.path(), &all, b"");
    (out.code, serde_json::from_str(&out.stdout).unwrap())
}

/// Scans a tar as given (not wrapped as an image export).
fn scan_files_raw(tar: &[u8]) -> (i32, serde_json::Value) {
    let dir = context(&[]);
    std::fs::write(dir.path().join("img.tar"), tar).unwrap();
    let out = run_in(dir.path(), &["scan", "img.tar", "--format", "json"], b"");
    (out.code, serde_json::from_str(&out.stdout).unwrap())
}

pub fn error_text(json: &serde_json::Value) -> String {
    json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Layer 0 is an error saying `why`, exit code 2, and the leaky image's findings in layer 2 are
/// still reported.
fn only_layer_0_failed(code: i32, json: &serde_json::Value, why: &str) {
    only_layer_0_failed_at(code, json, why, 2);
}

/// Layer 0 is an error saying `why`, exit code 2, and the findings of layer `rest` are still
/// reported.
fn only_layer_0_failed_at(code: i32, json: &serde_json::Value, why: &str, rest: u64) {
    assert_eq!(code, 2);
    let errors = error_text(json);
    assert!(
        errors.contains("layer 0") && errors.contains(why),
        "{errors}"
    );
    assert_eq!(layers_with_findings(json), [rest]);
}

pub fn layers_with_findings(json: &serde_json::Value) -> Vec<u64> {
    let mut layers: Vec<u64> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["location"]["layer_index"].as_u64())
        .collect();
    layers.dedup();
    layers
}

#[test]
fn a_corrupt_layer_is_an_error_and_the_rest_is_still_scanned() {
    let mut image = leaky();
    image.layers.push(layer("d", vec![file("srv/.env", "X=1")]));
    let mut files = image.files(Format::OciArchive);
    let blobs = layer_blobs(&files);
    // layer 2: a gzip stream cut in half
    let truncated = {
        let bytes = &files.iter().find(|(p, _)| *p == blobs[2]).unwrap().1;
        bytes[..bytes.len() / 2].to_vec()
    };
    replace(&mut files, &blobs[2].clone(), truncated);
    let (code, json) = scan_files(&files, &[]);
    assert_eq!(code, 2);
    let errors = error_text(&json);
    assert!(errors.contains("layer 2"), "{errors}");
    assert_eq!(
        layers_with_findings(&json),
        [1, 3],
        "layers 1 and 3 are still reported"
    );
}

#[test]
fn digest_mismatch_and_missing_blob() {
    let mut files = leaky().files(Format::OciArchive);
    let blobs = layer_blobs(&files);
    let other = builder::compress(&builder::tar_of(&[file("x", "y")]), Compression::Gzip);
    replace(&mut files, &blobs[0].clone(), other);
    files.retain(|(p, _)| *p != blobs[2]);
    let (code, json) = scan_files(&files, &[]);
    assert_eq!(code, 2);
    let errors = error_text(&json);
    assert!(
        errors.contains("layer 0") && errors.contains("digest mismatch"),
        "{errors}"
    );
    assert!(
        errors.contains("layer 2") && errors.contains("cannot open the blob"),
        "{errors}"
    );
    assert_eq!(layers_with_findings(&json), [1]);
}

/// `--no-digest-check` trades the check for speed: an altered layer is scanned as it is, with
/// no error, in docker save archives of both layouts (blob digests and legacy diff IDs).
#[test]
fn no_digest_check_scans_altered_layers_without_an_error() {
    let altered = builder::tar_of(&[file("srv/leak.py", &format!("T = \"{TOKEN}\"\n"))]);
    for format in [Format::Docker25, Format::DockerLegacy] {
        let mut files = leaky().files(format);
        let first = match format {
            Format::DockerLegacy => files
                .iter()
                .map(|(p, _)| p.clone())
                .filter(|p| p.ends_with("/layer.tar"))
                .find(|p| {
                    let bytes = &files.iter().find(|(q, _)| q == p).unwrap().1;
                    String::from_utf8_lossy(bytes).contains("etc/os-release")
                })
                .unwrap(),
            _ => layer_blobs(&files)[0].clone(),
        };
        replace(&mut files, &first, altered.clone());
        let (code, json) = scan_files(&files, &[]);
        assert_eq!(code, 2, "{format:?}");
        assert!(error_text(&json).contains("digest mismatch"), "{format:?}");
        let (code, json) = scan_files(&files, &["--no-digest-check"]);
        assert_eq!(code, 1, "{format:?}: {}", error_text(&json));
        assert_eq!(error_text(&json), "", "{format:?}");
        assert_eq!(layers_with_findings(&json), [0, 1], "{format:?}");
    }
}

/// Legacy archives name no blob digests, only diff IDs; `docker load` accepts compressed
/// `layer.tar` files all the same, so a gzip layer is checked against its decompressed bytes.
#[test]
fn legacy_archives_with_compressed_layers_are_checked_against_diff_ids() {
    let image = leaky();
    let mut files = image.files(Format::DockerLegacy);
    for (path, bytes) in files.iter_mut() {
        if path.ends_with("/layer.tar") {
            *bytes = builder::gzip(bytes);
        }
    }
    let (code, json) = scan_files(&files, &[]);
    assert_eq!(code, 1, "{}", error_text(&json));
    assert_eq!(layers_with_findings(&json), [1]);

    let first = files
        .iter()
        .position(|(p, _)| p.ends_with("/layer.tar"))
        .unwrap();
    files[first].1 = builder::gzip(&builder::tar_of(&[file("x", "y")]));
    let (code, json) = scan_files(&files, &[]);
    only_layer_0_failed_at(code, &json, "the uncompressed layer is sha256:", 1);
}

#[test]
fn a_decompression_bomb_stops_at_the_cap() {
    let zeros = vec![0u8; 8 << 20];
    let mut image = leaky();
    image
        .layers
        .insert(0, layer("bomb", vec![Entry::File("zeros".into(), zeros)]));
    let files = image.files(Format::OciArchive);
    let bomb_size = files
        .iter()
        .find(|(p, _)| *p == layer_blobs(&files)[0])
        .unwrap()
        .1
        .len();
    assert!(bomb_size < 64 << 10, "the blob is small: {bomb_size}");
    let (code, json) = scan_files(&files, &["--max-layer-size", "1M"]);
    only_layer_0_failed(code, &json, "more than 1048576 bytes");
}

#[test]
fn layers_that_are_not_tars_and_hostile_digests() {
    let mut files = leaky().files(Format::OciArchive);
    let blobs = layer_blobs(&files);
    replace(
        &mut files,
        &blobs[0].clone(),
        b"this is not a tar archive at all".repeat(40),
    );
    let (code, json) = scan_files(&files, &[]);
    assert_eq!(code, 2);
    assert!(error_text(&json).contains("layer 0"));
    let index = r#"{"schemaVersion":2,"manifests":[
        {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:../../../etc/passwd","size":1},
        {"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1}]}"#;
    let hostile: builder::Files = vec![("index.json".into(), index.as_bytes().to_vec())];
    let (code, json) = scan_files(&hostile, &[]);
    assert_eq!(code, 2);
    let errors = error_text(&json);
    assert!(
        errors.contains("invalid digest") && errors.contains("no digest"),
        "{errors}"
    );
}

#[test]
fn multi_platform_indexes_attestations_and_missing_platforms() {
    let amd = leaky().files(Format::OciArchive);
    let arm = ImageBuilder::with(vec![layer("arm", vec![file("arm/.npmrc", "x=1")])])
        .files(Format::OciArchive);
    let manifest_of = |files: &builder::Files| -> serde_json::Value {
        let index: serde_json::Value =
            serde_json::from_slice(&files.iter().find(|(p, _)| p == "index.json").unwrap().1)
                .unwrap();
        index["manifests"][0].clone()
    };
    // as a multi-platform index lists them: a platform, no name of their own
    let with_platform = |mut d: serde_json::Value, arch: &str| {
        d["platform"] = serde_json::json!({"os": "linux", "architecture": arch});
        d.as_object_mut().unwrap().remove("annotations");
        d
    };
    let attestation = serde_json::json!({
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": "sha256:00000000000000000000000000000000000000000000000000000000deadbeef", "size": 1,
        "platform": {"os": "unknown", "architecture": "unknown"},
        "annotations": {"vnd.docker.reference.type": "attestation-manifest"}});
    let missing = with_platform(
        serde_json::json!({"mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": "sha256:1111111111111111111111111111111111111111111111111111111111111111", "size": 1}),
        "s390x",
    );
    let inner = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [with_platform(manifest_of(&amd), "amd64"), with_platform(manifest_of(&arm), "arm64"), attestation, missing]});
    let inner_bytes = serde_json::to_vec(&inner).unwrap();
    let inner_digest = builder::sha256(&inner_bytes);
    let outer = serde_json::json!({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": inner_digest, "size": inner_bytes.len(),
         "annotations": {"io.containerd.image.name": "docker.io/library/app:1"}}]});
    let mut files: builder::Files = amd
        .into_iter()
        .chain(arm)
        .filter(|(p, _)| p != "index.json")
        .collect();
    files.push((format!("blobs/sha256/{}", &inner_digest[7..]), inner_bytes));
    files.push(("index.json".into(), serde_json::to_vec(&outer).unwrap()));

    let (code, json) = scan_files(&files, &[]);
    assert_eq!(code, 1, "{}", error_text(&json));
    let platforms: std::collections::BTreeSet<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["location"]["platform"].as_str())
        .collect();
    assert_eq!(
        platforms.into_iter().collect::<Vec<_>>(),
        ["linux/amd64", "linux/arm64"]
    );
    // the platforms' manifests carry no name: they take the name of the index that lists them
    let layer_findings = json["findings"].as_array().unwrap().iter();
    let names: std::collections::BTreeSet<&str> = layer_findings
        .filter_map(|f| f["location"]["image"].as_str())
        .collect();
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        ["docker.io/library/app:1"]
    );
    let (_, arm_only) = scan_files(&files, &["--platform", "linux/arm64"]);
    let paths: Vec<&str> = arm_only["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/arm/.npmrc"]);
    let (code, none) = scan_files(&files, &["--platform", "windows/amd64"]);
    assert_eq!(
        code,
        2,
        "no image for the platform is an error: {}",
        error_text(&none)
    );
}

/// Writes `entries` with `method` to a zip writer.
fn add_entries<W: std::io::Write + std::io::Seek>(
    writer: &mut zip::ZipWriter<W>,
    entries: &[(&str, &[u8])],
    method: zip::CompressionMethod,
) {
    use std::io::Write;
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, data) in entries {
        writer.start_file(*name, options).unwrap();
        writer.write_all(data).unwrap();
    }
}

/// A zip written by a seeking writer (sizes in the local headers).
pub fn zip_of(entries: &[(&str, &[u8])], method: zip::CompressionMethod) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    add_entries(&mut writer, entries, method);
    writer.finish().unwrap().into_inner()
}

#[test]
fn archives_nested_in_layers_are_opened() {
    let props = format!("db.url=jdbc:x\ngithub.token={TOKEN}\n");
    let jar = zip_of(
        &[
            ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
            ("app.properties", props.as_bytes()),
        ],
        zip::CompressionMethod::Deflated,
    );
    let war = zip_of(
        &[("WEB-INF/lib/app.jar", &jar)],
        zip::CompressionMethod::Stored,
    );
    let tgz = builder::gzip(&builder::tar_of(&[
        file("pkg/.npmrc", "x=1"),
        file("pkg/a.txt", AWS),
    ]));
    let changelog = builder::gzip(format!("fixed\n{TOKEN}\n").as_bytes());
    let image = ImageBuilder::with(vec![layer(
        "a",
        vec![
            Entry::File("srv/app.war".into(), war),
            Entry::File("opt/bundle.tgz".into(), tgz),
            Entry::File("usr/share/doc/x/changelog.gz".into(), changelog),
        ],
    )]);
    let (code, found, stdout) = scan_image(&image, Format::OciArchive, &[]);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(
        found,
        [
            "aws.secret-access-key layer /opt/bundle.tgz!/pkg/a.txt layer=0 present line=1",
            "file.npmrc layer /opt/bundle.tgz!/pkg/.npmrc layer=0 present line=null",
            "github.pat layer /srv/app.war!/WEB-INF/lib/app.jar!/app.properties layer=0 present line=2",
            "github.pat layer /usr/share/doc/x/changelog.gz layer=0 present line=2",
        ]
    );
}

/// A layer of many bad files makes at most 100 errors and one that counts the rest; its good
/// files are still reported.
#[test]
fn errors_per_layer_are_capped_and_counted() {
    let mut corrupt = builder::gzip(b"a file that will not inflate");
    corrupt[12..20].fill(0xff);
    // the first bad file's name is 20,000 characters: its error quotes 4,096
    let long = format!("bad/{}.gz", "x".repeat(20_000));
    let mut entries: Vec<Entry> = vec![Entry::File(long, corrupt.clone())];
    entries.extend((1..150).map(|i| Entry::File(format!("bad/{i:03}.gz"), corrupt.clone())));
    entries.push(file("z/app.env", TOKEN));
    let image = ImageBuilder::with(vec![layer("a", entries)]);
    let (code, found, stdout) = scan_image(&image, Format::OciArchive, &[]);
    assert_eq!(code, 2, "{stdout}");
    assert_eq!(
        found,
        ["github.pat layer /z/app.env layer=0 present line=1"]
    );
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let errors = json["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 101);
    let text = error_text(&json);
    assert!(
        text.contains("50 more problems inside files, not reported"),
        "{text}"
    );
    assert!(
        text.contains("in /bad/099.gz") && !text.contains("in /bad/100.gz"),
        "{text}"
    );
    // the name cut at 4,096 characters and an ellipsis, between the image and layer that the
    // report names and the problem itself
    let long = errors.iter().map(|e| e["message"].as_str().unwrap());
    let long = long.max_by_key(|m| m.len()).unwrap();
    assert!(
        long.contains("xxx…: corrupt gzip") && (4097..4400).contains(&long.chars().count()),
        "{long}"
    );
}

/// Small `.gz` files are inflated on the pool, large ones while walking: the same findings,
/// lines and errors either way, and a bad or oversized one is an error that names it.
#[test]
fn gzip_files_in_a_layer_small_and_large() {
    // incompressible bytes (no newline, no token), so the large one stays over 4 MiB compressed
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let noise: String = (0..(7 << 20))
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from(b"abcdefghijklmnopqrstuvwxyz0123456789 ._-"[(state % 40) as usize])
        })
        .collect();
    let large = builder::gzip(format!("{noise}\nline two\n{TOKEN}\n").as_bytes());
    assert!(
        large.len() > 4 << 20,
        "the large one is over 4 MiB: {}",
        large.len()
    );
    let small = builder::gzip(format!("a\nb\n  {TOKEN}\n").as_bytes());
    // a second member is read too, even when the trailer (the last member's size) would fit the
    // first member alone, as a file built to hide its second member would have it
    let hidden = format!("b\n{TOKEN}\n");
    let decoy = format!("a\n{}\n", "x".repeat(hidden.len() - 3));
    let two = [
        builder::gzip(decoy.as_bytes()),
        builder::gzip(hidden.as_bytes()),
    ]
    .concat();
    let mut corrupt = builder::gzip(format!("{}\n{TOKEN}\n", "word ".repeat(20_000)).as_bytes());
    let middle = corrupt.len() / 2;
    corrupt[middle..middle + 64].fill(0xff);
    let image = ImageBuilder::with(vec![layer(
        "a",
        vec![
            Entry::File("doc/large.gz".into(), large),
            Entry::File("doc/small.gz".into(), small),
            Entry::File("doc/two.gz".into(), two),
            Entry::File("doc/corrupt.gz".into(), corrupt),
            file("doc/z.txt", TOKEN),
        ],
    )]);
    let (code, found, stdout) = scan_image(&image, Format::OciArchive, &[]);
    assert_eq!(code, 2, "{stdout}");
    assert_eq!(
        found,
        [
            "github.pat layer /doc/large.gz layer=0 present line=3",
            "github.pat layer /doc/small.gz layer=0 present line=3",
            "github.pat layer /doc/two.gz layer=0 present line=4",
            "github.pat layer /doc/z.txt layer=0 present line=1",
        ]
    );
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let errors = error_text(&json);
    assert!(errors.contains("in /doc/corrupt.gz: "), "{errors}");
    assert_eq!(json["errors"].as_array().unwrap().len(), 1, "{errors}");

    let zeros = builder::gzip(&vec![0u8; 2 << 20]);
    let bomb = ImageBuilder::with(vec![layer(
        "a",
        vec![
            Entry::File("doc/zeros.gz".into(), zeros),
            file("doc/z.txt", TOKEN),
        ],
    )]);
    let (code, found, stdout) = scan_image(&bomb, Format::OciArchive, &["--max-layer-size", "1M"]);
    assert_eq!(code, 2, "{stdout}");
    assert_eq!(
        found,
        ["github.pat layer /doc/z.txt layer=0 present line=1"]
    );
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let errors = error_text(&json);
    assert!(
        errors.contains("in /doc/zeros.gz: decompresses to more than 1048576 bytes"),
        "{errors}"
    );
}

#[test]
fn a_bomb_nested_in_a_layer_is_an_error_and_the_layer_goes_on() {
    let zeros = vec![0u8; 4 << 20];
    let bomb = zip_of(&[("zeros.bin", &zeros)], zip::CompressionMethod::Deflated);
    assert!(bomb.len() < 64 << 10);
    // compressible, so deflate Huffman-codes it (a stored block would keep the token readable)
    let repeated = TOKEN.repeat(50);
    let deep = builder::gzip(&builder::gzip(&builder::gzip(&builder::gzip(
        repeated.as_bytes(),
    ))));
    let image = ImageBuilder::with(vec![layer(
        "a",
        vec![
            Entry::File("a/bomb.zip".into(), bomb),
            Entry::File("b/deep.gz".into(), deep),
            file("c/.env", "A=1"),
        ],
    )]);
    let (code, _, stdout) = scan_image(&image, Format::OciArchive, &["--max-layer-size", "1M"]);
    assert_eq!(code, 2);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let errors = error_text(&json);
    assert!(
        errors.contains("in /a/bomb.zip!/zeros.bin") && errors.contains("more than 1048576"),
        "{errors}"
    );
    let paths: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        ["/c/.env"],
        "the layer goes on; gzip nested past the depth cap is read as bytes"
    );
}

#[test]
fn hostile_entry_names_are_reported_safely() {
    let image = ImageBuilder::with(vec![layer(
        "a",
        vec![
            Entry::Raw(b"../../etc/.npmrc".to_vec(), b"x=1".to_vec()),
            Entry::Raw(b"/abs/.netrc".to_vec(), b"x=1".to_vec()),
            Entry::Raw(b"bad\xff\xfe/.env".to_vec(), b"A=1".to_vec()),
            Entry::Raw(b"esc\x1b]0;pwned\x07/.env".to_vec(), b"A=1".to_vec()),
            Entry::Hardlink("etc/hard".into(), "../../etc/passwd".into()),
            // a symbolic link may point anywhere (it is never followed)
            Entry::Symlink("etc/soft".into(), "../../../../etc/shadow".into()),
        ],
    )]);
    let (code, found, stdout) = scan_image(&image, Format::OciArchive, &[]);
    // the name that climbs out of the root is an error (exit 2); its file is still judged
    assert_eq!(code, 2, "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let errors = error_text(&json);
    assert!(
        errors.contains("in /../../etc/.npmrc: its name leaves the image root (path traversal)"),
        "{errors}"
    );
    assert!(
        errors.contains("in /etc/hard: a hard link to ../../etc/passwd, outside the image root"),
        "{errors}"
    );
    assert_eq!(json["errors"].as_array().unwrap().len(), 2, "{errors}");
    assert_eq!(
        found,
        [
            "file.dotenv layer /bad\u{fffd}\u{fffd}/.env layer=0 present line=null",
            "file.dotenv layer /esc\u{1b}]0;pwned\u{7}/.env layer=0 present line=null",
            "file.netrc layer /abs/.netrc layer=0 present line=null",
            "file.npmrc layer /../../etc/.npmrc layer=0 present line=null",
        ]
    );
    let dir = context(&[]);
    std::fs::write(dir.path().join("img.tar"), image.tar(Format::OciArchive)).unwrap();
    let text = run_in(dir.path(), &["scan", "img.tar", "--color", "never"], b"").stdout;
    assert!(
        !text.contains('\x1b') && !text.contains('\x07'),
        "raw escapes in: {text}"
    );
    assert!(text.contains("/esc\\u{1b}]0;pwned\\u{7}/.env"), "{text}");
    assert!(!dir.path().join("etc").exists() && !std::path::Path::new("/abs/.netrc").exists());
}

#[test]
fn findings_in_package_files_are_kept_apart() {
    let key = "-----BEGIN RSA PRIVATE KEY-----\n\
        MIFgeUK98iEG8IR3YvDzy012TccHIFEVmg+J8sbayuNEuzESRf1vhN+a18Wz0Has\n\
        Do9TpzVsiJE/IPb3LbAi0k0KltrUPBYXwamOeBKeAyc3EGXQlYZPFa2guEbBwOvFNIrc\n\
        -----END RSA PRIVATE KEY-----\n";
    let image = ImageBuilder::with(vec![
        layer(
            "base",
            vec![
                file("usr/lib/libtls.so.1", key),
                file(
                    "var/lib/dpkg/info/libtls1:amd64.list",
                    "/.\n/usr/lib/libtls.so.1\n",
                ),
            ],
        ),
        layer(
            "app",
            vec![
                file("app/node_modules/@acme/sdk/test/fixture.pem", key),
                file("app/config/key.pem", key),
            ],
        ),
    ]);
    let (code, found, stdout) = scan_image(&image, Format::OciArchive, &[]);
    assert_eq!(code, 1, "the owner's own key still fails the run");
    assert_eq!(
        found,
        [
            "file.private-key layer /app/config/key.pem layer=1 present line=null",
            "private-key.pem layer /app/config/key.pem layer=1 present line=1",
        ]
    );
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let vendor: Vec<(String, String)> = json["vendor"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["location"]["owner"].as_str().unwrap().to_owned(),
                f["severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        vendor,
        [
            ("deb:libtls1".to_owned(), "low".to_owned()),
            ("npm:@acme/sdk".to_owned(), "low".to_owned())
        ]
    );

    let vendor_only = ImageBuilder {
        layers: image.layers[..1].to_vec(),
        ..ImageBuilder::default()
    };
    let (code, found, _) = scan_image(&vendor_only, Format::OciArchive, &[]);
    assert_eq!(
        (code, found.len()),
        (0, 0),
        "a vendor's test key alone does not fail the run"
    );
    let (code, found, _) = scan_image(&vendor_only, Format::OciArchive, &["--include-vendor"]);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        ["private-key.pem layer /usr/lib/libtls.so.1 layer=0 present line=1"]
    );
}

#[test]
fn hostile_layout_json_is_an_error_not_a_crash() {
    // JSON nested far deeper than any parser's recursion limit
    let deep = format!(
        "{{\"manifests\":{}{}}}",
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    let (code, json) = scan_files(&vec![("index.json".into(), deep.into_bytes())], &[]);
    assert_eq!(code, 2);
    assert!(!error_text(&json).is_empty());
    // an index larger than the JSON cap
    let mut huge = b"{\"manifests\":[], \"pad\":\"".to_vec();
    huge.resize(17 << 20, b'a');
    huge.extend_from_slice(b"\"}");
    let (code, json) = scan_files(&vec![("index.json".into(), huge)], &[]);
    assert_eq!(code, 2);
    assert!(
        error_text(&json).contains("larger than"),
        "{}",
        error_text(&json)
    );
}

/// A zstd layer whose frame asks for a window over 128 MiB (the decoder would hold it all: a
/// 112 KB layer took a scan to 2.1 GB) is refused with an error; up to 128 MiB is read.
#[test]
fn a_zstd_layer_needing_a_huge_window_is_refused() {
    let tar = builder::tar_of(&[file("app/.env", &format!("GITHUB_TOKEN={TOKEN}\n"))]);
    let encode = |window_log: u32| {
        let mut encoder = zstd::stream::Encoder::new(Vec::new(), 3).unwrap();
        let window = zstd::zstd_safe::CParameter::WindowLog(window_log);
        encoder.set_parameter(window).unwrap();
        std::io::Write::write_all(&mut encoder, &tar).unwrap();
        encoder.finish().unwrap()
    };
    for (window_log, code) in [(27, 1), (28, 2)] {
        let layer = encode(window_log);
        let config = format!(
            r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":["{}"]}}}}"#,
            builder::sha256(&tar)
        );
        let manifest = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+zstd","digest":"{}","size":{}}}]}}"#,
            builder::sha256(config.as_bytes()),
            config.len(),
            builder::sha256(&layer),
            layer.len()
        );
        let index = format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{}","size":{}}}]}}"#,
            builder::sha256(manifest.as_bytes()),
            manifest.len()
        );
        let blob = |bytes: &[u8]| {
            (
                format!("blobs/sha256/{}", &builder::sha256(bytes)[7..]),
                bytes.to_vec(),
            )
        };
        let files: builder::Files = vec![
            ("index.json".into(), index.into_bytes()),
            blob(manifest.as_bytes()),
            blob(config.as_bytes()),
            blob(&layer),
        ];
        let (got, json) = scan_files(&files, &[]);
        assert_eq!(got, code, "window 2^{window_log}: {json}");
        if code == 2 {
            let errors = error_text(&json);
            assert!(
                errors.contains("a zstd frame needs a window over 128 MiB"),
                "{errors}"
            );
        }
    }
}

/// A tar that is no image export (`docker export`, `buildx -o type=tar`, a rootfs) is one
/// filesystem layer for `scan`, from a file, compressed, or on stdin; the registry audit still
/// says it holds no image, and an export missing its index is broken, not a filesystem.
#[test]
fn a_filesystem_tar_is_scanned_as_one_layer() {
    let env = format!("GITHUB_TOKEN={TOKEN}\n");
    let tar = builder::tar_of(&[file("app/.env", &env), file("etc/hostname", "box\n")]);
    let dir = context(&[]);
    std::fs::write(dir.path().join("fs.tar"), &tar).unwrap();
    let zstd = builder::compress(&tar, Compression::Zstd);
    std::fs::write(dir.path().join("fs.tar.zst"), &zstd).unwrap();
    let want = [
        "file.dotenv layer /app/.env layer=0 present line=null",
        "github.pat layer /app/.env layer=0 present line=1",
    ];
    for (args, stdin) in [
        (["scan", "fs.tar"], &[][..]),
        (["scan", "fs.tar.zst"], &[][..]),
        (["scan", "-"], &builder::gzip(&tar)[..]),
    ] {
        let out = run_in(dir.path(), &[args[0], args[1], "--format", "json"], stdin);
        assert_eq!(out.code, 1, "{args:?}: {}{}", out.stdout, out.stderr);
        let mut found = rows(&out.stdout);
        found.sort();
        assert_eq!(found, want, "{args:?}");
        let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        let location = &json["findings"][0]["location"];
        assert_eq!(location["image"], "filesystem");
        assert!(location["layer_digest"].is_null() && location["diff_id"].is_null());
    }
    let out = run_in(dir.path(), &["audit", "fs.tar", "--format", "json"], b"");
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stdout.contains("not an image"), "{}", out.stdout);

    let broken = builder::tar_of(&[file("blobs/sha256/abc", "x"), file("app/.env", &env)]);
    let (code, json) = scan_files_raw(&broken);
    assert_eq!(code, 2);
    assert!(error_text(&json).contains("not an image"), "{json}");
    assert!(json["findings"].as_array().unwrap().is_empty());
}

/// Files around the one-window size (read straight into their window) and around the 512-byte
/// head a file's kind is sniffed from: a secret on the first and on the last line of each is
/// found once, at its line, whichever way the file was read.
#[test]
fn secrets_at_both_ends_of_files_around_the_window_size() {
    use stowaway::layer::chunk::{CHUNK, OVERLAP};
    let full = CHUNK + OVERLAP;
    let line = format!("GITHUB_TOKEN={TOKEN}\n");
    let sizes = [
        line.len() * 2,
        511,
        512,
        513,
        4096,
        full - 1,
        full,
        full + 1,
        2 * CHUNK,
    ];
    let mut entries = Vec::new();
    let mut want = Vec::new();
    for size in sizes {
        let filler = size - 2 * line.len();
        // lines of 64 bytes, the last one short
        let body: String = (0..filler)
            .map(|i| if i % 64 == 63 { '\n' } else { '.' })
            .collect();
        let text = format!("{line}{body}{line}");
        assert_eq!(text.len(), size);
        let path = format!("srv/f{size}.txt");
        let last = text.matches('\n').count();
        want.push(format!("github.pat layer /{path} layer=0 present line=1"));
        want.push(format!(
            "github.pat layer /{path} layer=0 present line={last}"
        ));
        entries.push(file(&path, &text));
    }
    want.sort();
    let tar = builder::tar_of(&entries);
    let dir = context(&[]);
    std::fs::write(dir.path().join("fs.tar"), &tar).unwrap();
    let out = run_in(dir.path(), &["scan", "fs.tar", "--format", "json"], b"");
    assert_eq!(out.code, 1, "{}", out.stderr);
    let mut found = rows(&out.stdout);
    found.sort();
    assert_eq!(found, want);
}

/// The containers/image `dir:` transport (`skopeo copy … dir:`, `podman save --format
/// docker-dir`): `manifest.json` is the manifest itself, blobs are named by hex digest.
#[test]
fn a_dir_transport_copy_gives_the_same_findings_and_hostile_digests_are_errors() {
    let image = leaky();
    let files = image.files(Format::OciArchive);
    let get = |path: &str| files.iter().find(|(p, _)| p == path).unwrap().1.clone();
    let index: serde_json::Value = serde_json::from_slice(&get("index.json")).unwrap();
    let digest = index["manifests"][0]["digest"].as_str().unwrap().to_owned();
    let manifest = get(&format!("blobs/sha256/{}", &digest[7..]));
    let version = b"Directory Transport Version: 1.1\n".to_vec();
    let mut copy: builder::Files = vec![
        ("manifest.json".into(), manifest.clone()),
        ("version".into(), version),
    ];
    for (path, bytes) in &files {
        if let Some(hex) = path.strip_prefix("blobs/sha256/") {
            copy.push((hex.to_owned(), bytes.clone()));
        }
    }
    let dir = context(&[]);
    builder::write_dir(&dir.path().join("copy"), &copy);
    let out = run_in(dir.path(), &["scan", "copy", "--format", "json"], b"");
    assert_eq!(out.code, 1, "{}", out.stdout);
    let (_, mut want, _) = scan_image(&image, Format::OciArchive, &[]);
    let mut found = rows(&out.stdout);
    found.sort();
    want.sort();
    assert_eq!(found, want);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    // named as a registry names it: by the manifest's digest
    let name = json["findings"][0]["location"]["image"].as_str().unwrap();
    assert_eq!(name, builder::sha256(&manifest));

    // a digest that climbs out of the directory names nothing
    let text = String::from_utf8(manifest).unwrap();
    let layer = serde_json::from_str::<serde_json::Value>(&text).unwrap()["layers"][0]["digest"]
        .as_str()
        .unwrap()
        .to_owned();
    let hostile = text.replace(&layer, "sha256:../../../../etc/passwd");
    copy[0].1 = hostile.into_bytes();
    let (code, json) = scan_files(&copy, &[]);
    assert_eq!(code, 2);
    let errors = error_text(&json);
    assert!(errors.contains("layer 0 has an invalid digest"), "{errors}");
    assert!(
        !json["findings"].as_array().unwrap().is_empty(),
        "the rest is scanned"
    );
}

#[test]
fn an_index_that_references_itself_ends() {
    let inner = br#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:SELF","size":1}]}"#;
    let digest = builder::sha256(inner);
    let body = String::from_utf8(inner.to_vec())
        .unwrap()
        .replace("sha256:SELF", &digest);
    // the blob names its own digest: the walk must stop, not recurse forever
    let index = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"{digest}","size":1}}]}}"#
    );
    let files: builder::Files = vec![
        ("index.json".into(), index.into_bytes()),
        (format!("blobs/sha256/{}", &digest[7..]), body.into_bytes()),
    ];
    let (code, json) = scan_files(&files, &[]);
    assert_eq!(code, 2, "no image found is an error");
    assert!(json["findings"].as_array().unwrap().is_empty());
}

#[test]
fn layout_symlinks_never_leave_the_image() {
    let image = leaky();
    let dir = context(&[]);
    let layout = dir.path().join("layout");
    builder::write_dir(&layout, &image.files(Format::OciArchive));
    let outside = dir.path().join("outside-secret");
    std::fs::write(&outside, "not part of the image").unwrap();
    let files = image.files(Format::OciArchive);
    let layer = layer_blobs(&files)[1].clone();
    std::fs::remove_file(layout.join(&layer)).unwrap();
    std::os::unix::fs::symlink(&outside, layout.join(&layer)).unwrap();
    // Layer 0 becomes a symlink loop: two links pointing at each other.
    let base = layout.join(&layer_blobs(&files)[0]);
    std::fs::remove_file(&base).unwrap();
    std::os::unix::fs::symlink(base.with_extension("loop"), &base).unwrap();
    std::os::unix::fs::symlink(&base, base.with_extension("loop")).unwrap();
    let out = run_in(dir.path(), &["scan", "layout", "--format", "json"], b"");
    assert_eq!(out.code, 2);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let errors = error_text(&json);
    assert!(
        errors.contains("layer 1") && errors.contains("cannot open the blob"),
        "{errors}"
    );
    assert!(errors.contains("layer 0"), "{errors}");
    assert_eq!(
        layers_with_findings(&json),
        Vec::<u64>::new(),
        "layer 1 held every layer finding"
    );
}

#[test]
fn a_secret_used_as_a_path_is_reported_and_never_shown() {
    // a token as a directory name (its files' paths carry it), as a file name, and a file under
    // it that cannot be read (its error names the path)
    const GITLAB: &str = "glpat-AbCdEfGh1234567890xy";
    let mut broken = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    broken.extend_from_slice(&[0xAB; 64]);
    let mut image = leaky();
    image.layers.insert(
        0,
        layer(
            "COPY . /app",
            vec![
                file(&format!("app/{GITLAB}/x.env"), AWS),
                file(&format!("app/{GITLAB}/y.txt"), "hello\n"),
                Entry::File(format!("app/{GITLAB}/notes.gz"), broken),
                file(&format!("app/{TOKEN}.txt"), "hello\n"),
            ],
        ),
    );
    let dir = context(&[]);
    std::fs::write(
        dir.path().join("img.tar"),
        builder::archive(&image.files(Format::OciArchive)),
    )
    .unwrap();
    let (code, json) = scan_files(&image.files(Format::OciArchive), &[]);
    assert_eq!(code, 2, "{json}");
    // each name is reported once, in the layer it appears in, however many paths carry it
    let mut in_names: Vec<(String, u64)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["message"]
                .as_str()
                .unwrap()
                .contains(" in the name of /app/")
        })
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_owned(),
                f["location"]["layer_index"].as_u64().unwrap(),
            )
        })
        .collect();
    in_names.sort();
    assert_eq!(
        in_names,
        [("github.pat".into(), 0), ("gitlab.pat".into(), 0)],
        "{json}"
    );
    assert!(
        error_text(&json).contains("notes.gz"),
        "{}",
        error_text(&json)
    );
    let mut outputs = Vec::new();
    for format in crate::common::FORMATS {
        outputs.push(run_in(
            dir.path(),
            &["scan", "img.tar", "--format", format],
            b"",
        ));
    }
    outputs.push(run_in(
        dir.path(),
        &["baseline", "img.tar", "-o", "base.json"],
        b"",
    ));
    let written = std::fs::read_to_string(dir.path().join("base.json")).unwrap();
    for out in &outputs {
        for text in [&out.stdout, &out.stderr, &written] {
            assert!(
                !text.contains(&GITLAB[6..]) && !text.contains(&TOKEN[4..]),
                "{text}"
            );
        }
    }
    // with --show-secrets the paths are whole
    let shown = run_in(dir.path(), &["scan", "img.tar", "--show-secrets"], b"");
    assert!(
        shown.stdout.contains(&format!("/app/{GITLAB}/x.env")),
        "{}",
        shown.stdout
    );
}

/// A GNU sparse file (`tar --sparse` stores only a file's data; the holes are zeros the reader
/// makes up) of `real` bytes holding a GitHub token at `offset`.
fn sparse(path: &str, offset: u64, real: u64) -> Entry {
    Entry::Sparse {
        path: path.into(),
        data: format!("GITHUB_TOKEN={TOKEN}\n").into_bytes(),
        offset,
        real,
    }
}

/// Scans `layers` with the nested cap at 2 MiB (`--max-layer-size`), which must end in errors:
/// the findings, the error text and the number of errors.
fn scan_capped(layers: Vec<Layer>) -> (Vec<String>, String, usize) {
    let image = ImageBuilder::with(layers);
    let (code, found, stdout) = scan_image(&image, Format::OciArchive, &["--max-layer-size", "2M"]);
    assert_eq!(code, 2, "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    (
        found,
        error_text(&json),
        json["errors"].as_array().unwrap().len(),
    )
}

#[test]
fn sparse_files_are_read_and_their_holes_are_capped() {
    let (found, errors, count) = scan_capped(vec![layer(
        "a",
        vec![
            sparse("var/lib/app/small.db", 4096, 1 << 20),
            // 64 GiB of holes in front of the data: read up to the cap (here 2 MiB), then
            // an error for that file, and the layer goes on
            sparse("var/lib/app/huge.db", 64 << 30, (64 << 30) + 4096),
            file("etc/after.env", TOKEN),
        ],
    )]);
    assert_eq!(
        found,
        [
            "github.pat layer /etc/after.env layer=0 present line=1",
            "github.pat layer /var/lib/app/small.db layer=0 present line=1",
        ],
    );
    assert!(
        errors.contains("in /var/lib/app/huge.db: a sparse file of 68719480832 bytes"),
        "{errors}"
    );
    assert_eq!(count, 1, "{errors}");
}

#[test]
fn a_layer_of_many_sparse_files_expands_to_one_cap_in_all() {
    // holes take no stored bytes: a few KiB of sparse entries could make up petabytes of
    // zeros, so a layer's sparse files share one cap (here 2 MiB), and past it each is an error
    let ending = |path: &str, real: u64| sparse(path, real - 4096, real);
    let mib = 1 << 20;
    let mut entries = vec![ending("var/a.db", 3 * mib / 2), ending("var/b.db", mib)];
    entries.extend((0..50).map(|i| ending(&format!("var/many/{i}.db"), 64 << 30)));
    entries.push(ending("home/u/.npmrc", 64 << 30)); // not read, but its name is judged
    entries.push(file("etc/after.env", TOKEN));
    let (found, errors, count) = scan_capped(vec![
        layer("a", entries),
        // another layer has its own cap
        layer("b", vec![ending("var/c.db", mib)]),
    ]);
    assert_eq!(
        found,
        [
            "file.npmrc layer /home/u/.npmrc layer=0 present line=null",
            "github.pat layer /etc/after.env layer=0 present line=1",
            "github.pat layer /var/a.db layer=0 present line=1",
            "github.pat layer /var/c.db layer=1 present line=1",
        ],
    );
    assert!(
        errors.contains(
            "in /var/b.db: a sparse file of 1048576 bytes, holes included: read up to 524288 \
             bytes, the rest not scanned: the layer's sparse files may expand to 2097152 bytes \
             together (limit)"
        ),
        "{errors}"
    );
    assert!(
        errors.contains(
            "in /var/many/7.db: a sparse file of 68719476736 bytes, holes included: not read, \
             the layer's sparse files may expand to 2097152 bytes together (limit)"
        ),
        "{errors}"
    );
    assert_eq!(count, 52, "{errors}");
}

#[test]
fn a_foreign_layer_left_out_of_the_export_is_set_apart_not_an_error() {
    // a Windows image as `skopeo copy` exports it: the base layer names its URL and is left out
    let files = leaky().files(Format::OciArchive);
    let left_out = layer_blobs(&files)[0].clone();
    let mut files = edit_manifest(files, |manifest| {
        let base = &mut manifest["layers"][0];
        base["mediaType"] = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip".into();
        base["urls"] =
            serde_json::json!(["https://mcr.microsoft.com/v2/windows/servercore/blobs/x"]);
    });
    files.retain(|(p, _)| p != &left_out);
    let (code, json) = scan_files(&files, &[]);
    assert_eq!(code, 1, "{json}");
    assert_eq!(
        layers_with_findings(&json),
        [1],
        "the other layers are scanned"
    );
    let set_apart = &json["vendor_errors"];
    assert_eq!(set_apart.as_array().unwrap().len(), 1, "{json}");
    assert_eq!(set_apart[0]["owner"], "foreign:mcr.microsoft.com");
    let message = set_apart[0]["message"].as_str().unwrap();
    assert!(message.contains("layer 0") && message.contains("a foreign layer, not in the export"));
    // an ordinary layer left out is still an error
    let mut files = leaky().files(Format::OciArchive);
    files.retain(|(p, _)| p != &layer_blobs(&leaky().files(Format::OciArchive))[0]);
    let (code, json) = scan_files(&files, &[]);
    assert_eq!(code, 2, "{json}");
}

#[test]
fn utf16_text_is_read_as_text() {
    // PowerShell 5 writes `>` and Out-File as UTF-16LE with a byte order mark
    let utf16 = |text: &str, little: bool| -> Vec<u8> {
        let mut bytes = if little {
            vec![0xFF, 0xFE]
        } else {
            vec![0xFE, 0xFF]
        };
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&if little {
                unit.to_le_bytes()
            } else {
                unit.to_be_bytes()
            });
        }
        bytes
    };
    // binary data that opens like UTF-16 but holds NUL units is still read as bytes
    let mut binary = vec![0xFF, 0xFE, 0, 0, 0, 0];
    binary.extend_from_slice(TOKEN.as_bytes());
    let image = ImageBuilder::with(vec![layer(
        "RUN powershell -Command echo ... > C:\\app\\app.conf",
        vec![
            Entry::File(
                "Files/app/app.conf".into(),
                utf16(&format!("[app]\r\ntoken = {TOKEN}\r\n"), true),
            ),
            Entry::File(
                "Files/app/big-endian.txt".into(),
                utf16(&format!("x\n{TOKEN}"), false),
            ),
            Entry::File("Files/app/blob.bin".into(), binary),
        ],
    )]);
    let (code, found, stdout) = scan_image(&image, Format::OciArchive, &[]);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(
        found,
        [
            "github.pat layer /Files/app/app.conf layer=0 present line=2",
            "github.pat layer /Files/app/big-endian.txt layer=0 present line=2",
            "github.pat layer /Files/app/blob.bin layer=0 present line=1",
        ],
        "{stdout}"
    );
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let conf = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["location"]["path"] == "/Files/app/app.conf");
    assert_eq!(
        conf.unwrap()["location"]["column"],
        9,
        "columns count characters of the text"
    );
}

#[test]
fn a_named_pipe_in_a_layout_is_an_error_not_a_wait() {
    // a layer blob replaced by a named pipe no one writes to: opening it would wait forever
    let image = leaky();
    let dir = context(&[]);
    let layout = dir.path().join("layout");
    let files = image.files(Format::OciArchive);
    builder::write_dir(&layout, &files);
    let layer = layout.join(&layer_blobs(&files)[1]);
    std::fs::remove_file(&layer).unwrap();
    let made = std::process::Command::new("mkfifo").arg(&layer).status();
    assert!(made.unwrap().success());
    let out = run_or_hang(dir.path(), &["scan", "layout", "--format", "json"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let errors = error_text(&json);
    assert!(
        errors.contains("layer 1") && errors.contains("not a regular file"),
        "{errors}"
    );
    // the other layers and the config are still scanned
    assert!(!json["findings"].as_array().unwrap().is_empty());
}

#[test]
fn a_huge_gnu_long_name_stops_at_the_header_cap() {
    // A 4 MiB name: the tar writer emits it as a GNU `L` header, which tar readers buffer whole;
    // it is refused at 1 MiB whatever the layer cap, so memory stays bounded.
    let huge = format!("{}/secrets.txt", "n".repeat(4 << 20));
    let mut image = leaky();
    image
        .layers
        .insert(0, layer("long", vec![file(&huge, TOKEN)]));
    let (code, json) = scan_files(&image.files(Format::OciArchive), &[]);
    only_layer_0_failed(
        code,
        &json,
        "a GNU long name of 4194317 bytes (limit 1048576)",
    );
    // A long but plausible name is read and its file scanned.
    let long = format!("{}/secrets.txt", "n".repeat(60_000));
    image.layers[0] = layer("long", vec![file(&long, TOKEN)]);
    let (code, json) = scan_files(&image.files(Format::OciArchive), &[]);
    assert_eq!(code, 1, "{}", error_text(&json));
    assert_eq!(layers_with_findings(&json), [0, 2]);
}

#[test]
fn too_many_tiny_entries_stop_at_the_entry_cap() {
    // one of the tiny files, deep in the layer, holds a token: under the cap it is found at its
    // own path among the 120,000 (empty single-window files leave no record behind)
    let tiny: Vec<Entry> = (0..120_000)
        .map(|i| match i {
            90_001 => Entry::File(format!("d/{i}"), TOKEN.as_bytes().to_vec()),
            _ => Entry::File(format!("d/{i}"), vec![b'x']),
        })
        .collect();
    let mut image = leaky();
    image.layers.insert(0, layer("many", tiny));
    let files = image.files(Format::OciArchive);
    let (code, json) = scan_files(&files, &["--max-entries", "100000"]);
    assert_eq!(code, 2);
    assert!(error_text(&json).contains("more than 100000 entries"));
    let (code, json) = scan_files(&files, &["--max-entries", "200000"]);
    assert_eq!(code, 1, "{}", error_text(&json));
    let in_layer_0: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["location"]["layer_index"] == 0)
        .map(|f| f["location"]["path"].as_str().unwrap())
        .collect();
    assert_eq!(in_layer_0, ["/d/90001"]);
}

/// Scans windows on the calling thread (for calling the layer reader directly).
struct Inline(Vec<stowaway::layer::Scanned>, stowaway::RuleSet);

impl stowaway::layer::WindowSink for Inline {
    fn window(&mut self, window: stowaway::layer::Window) {
        self.0.extend(window.scan(&self.1));
    }

    fn finish(&mut self) -> Vec<stowaway::layer::Scanned> {
        std::mem::take(&mut self.0)
    }
}

/// Zips written by a streaming writer (sizes in data descriptors after the data, as `jar` writes
/// deflated entries), nested; a `.war` holding a `.jar`.
fn streamed_zip(entries: &[(&str, &[u8])], method: zip::CompressionMethod) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new_stream(Vec::new());
    add_entries(&mut writer, entries, method);
    writer.finish().unwrap().into_inner()
}

#[test]
fn zips_are_read_as_streams_whatever_their_size_and_writer() {
    let props = format!("github.token={TOKEN}\n");
    let deflated = zip::CompressionMethod::Deflated;
    let jar = streamed_zip(&[("app.properties", props.as_bytes())], deflated);
    let padding = vec![b'x'; 4 << 20];
    let war = streamed_zip(
        &[
            ("static/blob", &padding[..]),
            ("WEB-INF/lib/app.jar", &jar[..]),
        ],
        deflated,
    );
    // a stored entry with a data descriptor has no length anywhere before its end: it ends at
    // the descriptor that matches its bytes
    let stored = streamed_zip(
        &[("conf/app.properties", props.as_bytes())],
        zip::CompressionMethod::Stored,
    );
    let layer = builder::tar_of(&[
        Entry::File("srv/app.war".into(), war),
        Entry::File("srv/plain.zip".into(), stored),
    ]);
    let rules = stowaway::RuleSet::builtin().unwrap();
    let mut sink = Inline(Vec::new(), stowaway::RuleSet::builtin().unwrap());
    let scan = stowaway::layer::scan(&layer[..], None, &rules, Default::default(), &mut sink);
    let paths: Vec<String> = scan.matches.iter().map(|m| m.path().to_owned()).collect();
    assert_eq!(
        paths,
        [
            "srv/app.war!/WEB-INF/lib/app.jar!/app.properties",
            "srv/plain.zip!/conf/app.properties",
        ]
    );
    assert!(scan.errors.is_empty(), "{:?}", scan.errors);
    assert!(scan.file_errors.is_empty(), "{:?}", scan.file_errors);
}

/// `n` distinct GitHub-token-shaped strings, one per line.
fn tokens(n: usize, seed: usize) -> String {
    (0..n)
        .map(|i| format!("ghp_{:036}\n", (seed * 1_000_003 + i) * 7_919))
        .collect()
}

#[test]
fn a_file_or_layer_of_countless_secrets_is_capped_and_says_so() {
    let mut image = leaky();
    image.layers.insert(
        0,
        layer("flood", vec![file("srv/tokens.txt", &tokens(3000, 1))]),
    );
    let (code, json) = scan_files(&image.files(Format::OciArchive), &[]);
    assert_eq!(code, 2);
    let errors = error_text(&json);
    assert!(
        errors.contains("layer 0") && errors.contains("in /srv/tokens.txt: more than 1000 secrets"),
        "{errors}"
    );
    let flood = |json: &serde_json::Value| {
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["location"]["layer_index"] == 0)
            .count()
    };
    assert_eq!(flood(&json), 1000);
    assert_eq!(
        layers_with_findings(&json),
        [0, 2],
        "the other layers are still reported"
    );

    // many files, each under the file cap: the layer cap stops them
    let files: Vec<Entry> = (0..12)
        .map(|i| file(&format!("srv/t{i:02}.txt"), &tokens(999, i + 10)))
        .collect();
    image.layers[0] = layer("flood", files);
    let (code, json) = scan_files(&image.files(Format::OciArchive), &[]);
    assert_eq!(code, 2);
    assert!(error_text(&json).contains("more than 10000 secrets in this layer"));
    assert_eq!(flood(&json), 10_000);

    // files named by tokens count against the same cap, and say so past it
    let named: Vec<Entry> = tokens(10_500, 40)
        .lines()
        .map(|token| file(&format!("srv/{token}.txt"), "x"))
        .collect();
    image.layers[0] = layer("flood", named);
    let (code, json) = scan_files(&image.files(Format::OciArchive), &[]);
    assert_eq!(code, 2);
    assert!(error_text(&json).contains("more than 10000 secrets in this layer"));
    assert_eq!(flood(&json), 10_000);
}

#[test]
fn truncated_and_corrupt_streams_and_tars_are_errors_and_the_rest_is_still_scanned() {
    // 64 KiB of text that compresses but is not all one byte
    let text: String = (0..4096).map(|i| format!("line {i:05} ok\n")).collect();
    let tar = builder::tar_of(&[file("srv/notes.txt", &text)]);
    let gzip = builder::compress(&tar, Compression::Gzip);
    let zstd = builder::compress(&tar, Compression::Zstd);
    let flip = |bytes: &[u8]| {
        let mut bytes = bytes.to_vec();
        let middle = bytes.len() / 2;
        for b in &mut bytes[middle..middle + 16] {
            *b ^= 0x5a;
        }
        bytes
    };
    // a header announcing 1 GiB for a file whose data stops after 64 KiB
    let mut oversized = tar.clone();
    let mut header = tar::Header::from_byte_slice(&oversized[..512]).clone();
    header.set_size(1 << 30);
    header.set_cksum();
    oversized[..512].copy_from_slice(header.as_bytes());
    // corrupt zstd without a content checksum may decode to other bytes: the blob digest
    // catches it; the others fail while decoding or reading the tar
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "zstd cut in half",
            zstd[..zstd.len() / 2].to_vec(),
            "stopped reading",
        ),
        ("zstd with corrupt bytes", flip(&zstd), "digest mismatch"),
        ("gzip with corrupt bytes", flip(&gzip), "stopped reading"),
        (
            "tar ending mid-entry",
            tar[..3000].to_vec(),
            "stopped reading",
        ),
        ("tar header size past the end", oversized, "stopped reading"),
    ];
    for (what, blob, why) in cases {
        let mut image = leaky();
        image
            .layers
            .insert(0, layer("broken", vec![file("x", "y")]));
        let mut files = image.files(Format::OciArchive);
        let blobs = layer_blobs(&files);
        replace(&mut files, &blobs[0].clone(), blob);
        let (code, json) = scan_files(&files, &[]);
        assert_eq!(code, 2, "{what}");
        let errors = error_text(&json);
        assert!(
            errors.contains("layer 0") && errors.contains(why),
            "{what}: {errors}"
        );
        assert_eq!(
            layers_with_findings(&json),
            [2],
            "{what}: the rest is still scanned"
        );
    }
}

/// A zstd layer may open with a skippable frame (the format allows it; seekable and chunked
/// writers put metadata there): it is read. xz and bzip2 layers (old `docker load` took them)
/// and blobs that are not tars are errors that say so, while the other layers are still
/// reported, and no error quotes the bytes it could not read: a `.env` pushed as a layer, or a
/// tar whose framing is lost inside a `.env`, must not be printed into a CI log.
#[test]
fn layer_compressions_are_sniffed_and_unreadable_blobs_are_named_not_quoted() {
    let files = leaky().files(Format::OciArchive);
    let blobs = layer_blobs(&files);
    let blob = |i: usize| {
        files
            .iter()
            .find(|(p, _)| *p == blobs[i])
            .unwrap()
            .1
            .clone()
    };
    let (_, plain) = scan_files(&files, &["--no-digest-check"]);
    let mut skippable = b"\x5e\x2a\x4d\x18\x04\x00\x00\x00meta".to_vec();
    skippable.extend(blob(1));
    let mut changed = files.clone();
    replace(&mut changed, &blobs[1], skippable);
    let (code, json) = scan_files(&changed, &["--no-digest-check"]);
    assert_eq!((code, &json["findings"]), (1, &plain["findings"]), "{json}");

    let line = format!("GITHUB_TOKEN={TOKEN}\n");
    let secret = &TOKEN[8..TOKEN.len() - 4];
    // a tar whose first entry's size is cut to one block: the next "header" is the .env line
    let mut lost = builder::tar_of(&[file("srv/notes.txt", &format!("{}{line}", "x".repeat(512)))]);
    lost[124..136].copy_from_slice(b"00000001000\0");
    lost[148..156].copy_from_slice(b"        ");
    let sum: u32 = lost[..512].iter().map(|&b| u32::from(b)).sum();
    lost[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let cases: [(&[u8], &str); 4] = [
        (
            b"\xfd7zXZ\x00\x00\x04 not really xz",
            "the blob is xz-compressed",
        ),
        (
            b"BZh91AY&SY not really bzip2",
            "the blob is bzip2-compressed",
        ),
        (
            &line.repeat(20).into_bytes(),
            "the blob is not a tar, nor gzip or zstd",
        ),
        (&lost, "a tar header's cksum field is not a number"),
    ];
    for (bytes, why) in cases {
        let mut changed = files.clone();
        replace(&mut changed, &blobs[0], bytes.to_vec());
        let (code, json) = scan_files(&changed, &[]);
        only_layer_0_failed_at(code, &json, why, 1);
        assert!(!json.to_string().contains(secret), "{json}");
    }
}

/// A blob listed at several positions is read once and reported once, at its first position;
/// its files' fate is decided after its last (the same bytes again overwrite nothing). A
/// manifest naming one 20 MB blob 200 times took 200 reads (2.9 s); one hundred thousand
/// times, within the 16 MiB manifest cap, would take hours.
#[test]
fn a_blob_listed_twice_is_read_once() {
    let leak = layer(
        "COPY .env /app/",
        vec![file("app/.env", &format!("GITHUB_TOKEN={TOKEN}\n"))],
    );
    let delete = layer("RUN rm /app/.env", vec![file("app/.wh..env", "")]);
    let image = ImageBuilder::with(vec![leak.clone(), delete, leak]);
    for format in [Format::DockerLegacy, Format::OciArchive] {
        let (code, json) = scan_files(&image.files(format), &[]);
        assert_eq!(code, 1, "{}", error_text(&json));
        let rows: Vec<(String, u64, String)> = json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let l = &f["location"];
                let rule = f["rule_id"].as_str().unwrap().to_owned();
                (
                    rule,
                    l["layer_index"].as_u64().unwrap(),
                    l["status"].to_string(),
                )
            })
            .collect();
        let present = "\"present\"".to_owned();
        assert_eq!(
            rows,
            [
                ("file.dotenv".to_owned(), 0, present.clone()),
                ("github.pat".to_owned(), 0, present)
            ],
            "{format:?}"
        );
    }
}

/// Images sharing a blob (a `docker save` of images on one base, an index of many manifests)
/// read it once per input, and each image still reports what it holds: the audit's bytes read
/// count the 1 MiB layer once for two images (before: twice; 300 manifests naming one 20 MB
/// layer took 5.4 s, now 0.05 s).
#[test]
fn images_sharing_a_blob_read_it_once_and_each_reports_it() {
    let mut big = "x".repeat(1 << 20);
    big.push_str(&format!("\nGITHUB_TOKEN={TOKEN}\n"));
    let image = ImageBuilder::with(vec![layer("COPY . /app", vec![file("app/data.txt", &big)])]);
    let mut files = image.files(Format::OciArchive);
    let index = files.iter().position(|(p, _)| p == "index.json").unwrap();
    let mut json: serde_json::Value = serde_json::from_slice(&files[index].1).unwrap();
    // a second image: the same layer and config under another manifest
    let mut second = json["manifests"][0].clone();
    let digest = second["digest"].as_str().unwrap().to_owned();
    let path = format!("blobs/sha256/{}", &digest[7..]);
    let manifest = &files.iter().find(|(p, _)| *p == path).unwrap().1;
    let mut manifest: serde_json::Value = serde_json::from_slice(manifest).unwrap();
    manifest["annotations"] = serde_json::json!({ "built": "again" });
    let manifest = serde_json::to_vec(&manifest).unwrap();
    let digest = builder::sha256(&manifest);
    second["digest"] = digest.clone().into();
    second["size"] = manifest.len().into();
    second["annotations"]["org.opencontainers.image.ref.name"] = "demo:other".into();
    files.push((format!("blobs/sha256/{}", &digest[7..]), manifest));
    json["manifests"].as_array_mut().unwrap().push(second);
    files[index].1 = serde_json::to_vec(&json).unwrap();
    let dir = context(&[]);
    std::fs::write(dir.path().join("img.tar"), builder::archive(&files)).unwrap();
    let out = run_in(dir.path(), &["audit", "img.tar"], b"");
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(all.contains("1 image input, 1.0 MiB read"), "{all}");
    let (code, report) = scan_files(&files, &[]);
    assert_eq!(code, 1);
    let images: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["image"].as_str().unwrap())
        .collect();
    assert_eq!(images, ["demo:latest", "demo:other"]);
}

/// Images sharing a layer each report its findings, so a small hostile index could multiply
/// them without end: one input reports at most 250,000 and says what it left out (exit 2).
#[test]
fn findings_of_one_input_are_capped() {
    let files: Vec<Entry> = (0..10)
        .map(|i| file(&format!("app/tokens{i}.txt"), &tokens(1000, i)))
        .collect();
    let image = ImageBuilder::with(vec![layer("COPY . /app", files)]);
    let mut files = image.files(Format::OciArchive);
    let index = files.iter().position(|(p, _)| p == "index.json").unwrap();
    let mut json: serde_json::Value = serde_json::from_slice(&files[index].1).unwrap();
    let first = json["manifests"][0].clone();
    let path = format!("blobs/sha256/{}", &first["digest"].as_str().unwrap()[7..]);
    let manifest = files.iter().find(|(p, _)| *p == path).unwrap().1.clone();
    let mut manifest: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    for copy in 1..30 {
        manifest["annotations"] = serde_json::json!({ "copy": copy.to_string() });
        let bytes = serde_json::to_vec(&manifest).unwrap();
        let mut entry = first.clone();
        entry["digest"] = builder::sha256(&bytes).into();
        entry["size"] = bytes.len().into();
        files.push((
            format!("blobs/sha256/{}", &builder::sha256(&bytes)[7..]),
            bytes,
        ));
        json["manifests"].as_array_mut().unwrap().push(entry);
    }
    files[index].1 = serde_json::to_vec(&json).unwrap();
    let dir = context(&[]);
    let path = dir.path().join("img.tar");
    std::fs::write(&path, builder::archive(&files)).unwrap();
    let rules = stowaway::RuleSet::builtin().unwrap();
    let options = stowaway::Options::default();
    let report = stowaway::scan(vec![stowaway::Input::Path(path)], &rules, &options);
    let cap = stowaway::scan::MAX_FINDINGS_PER_INPUT;
    let all = report.findings.len() + report.vendor.len();
    assert_eq!(all, cap);
    let errors: Vec<&str> = report.errors.iter().map(|e| e.message.as_str()).collect();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("more than 250000 findings")),
        "{errors:?}"
    );
}

/// zstd files inside a layer (`.tar.zst` backups, `.zst` documents) are decompressed and looked
/// at again, like gzip; one whose frame asks for a window over 16 MiB is an error for that file
/// (the decoder would hold it whole), and the layer's other files are still reported.
#[test]
fn zstd_files_in_a_layer_are_opened() {
    let zstd = |bytes: &[u8], window_log: u32| {
        let mut encoder = zstd::stream::Encoder::new(Vec::new(), 3).unwrap();
        let window = zstd::zstd_safe::CParameter::WindowLog(window_log);
        encoder.set_parameter(window).unwrap();
        std::io::Write::write_all(&mut encoder, bytes).unwrap();
        encoder.finish().unwrap()
    };
    let backup = builder::tar_of(&[file("etc/app/.env", &format!("GITHUB_TOKEN={TOKEN}\n"))]);
    let notes = format!("deploy notes\ntoken {TOKEN}\n");
    let image = ImageBuilder::with(vec![layer(
        "a",
        vec![
            Entry::File("var/backups/app.tar.zst".into(), zstd(&backup, 20)),
            Entry::File(
                "usr/share/doc/app/notes.txt.zst".into(),
                zstd(notes.as_bytes(), 20),
            ),
            Entry::File("opt/huge-window.zst".into(), zstd(notes.as_bytes(), 26)),
        ],
    )]);
    let (code, found, stdout) = scan_image(&image, Format::OciArchive, &[]);
    assert_eq!(code, 2, "{stdout}");
    assert_eq!(
        found,
        [
            "file.dotenv layer /var/backups/app.tar.zst!/etc/app/.env layer=0 present line=null",
            "github.pat layer /usr/share/doc/app/notes.txt.zst layer=0 present line=2",
            "github.pat layer /var/backups/app.tar.zst!/etc/app/.env layer=0 present line=1",
        ]
    );
    assert!(
        stdout.contains("/opt/huge-window.zst: a zstd frame needs a window over 16 MiB"),
        "{stdout}"
    );
}
