//! `stowaway audit`: many images in one run (paths, directories searched for images, a list
//! file), one summary row per image with its own exit code, errors for archives that hold no
//! image or are cut short, and a process exit code that is the worst image's.

use crate::builder::{Format, ImageBuilder, file, layer};
use crate::common::{context, root, run_in};

fn clean_image() -> Vec<u8> {
    ImageBuilder {
        layers: vec![layer(
            "COPY app /app # buildkit",
            vec![file("app/main.py", "print(1)\n")],
        )],
        env: vec!["PATH=/usr/bin".into()],
        labels: Vec::new(),
        cmd: vec!["python".into()],
        empty_history: Vec::new(),
    }
    .tar(Format::OciArchive)
}

/// A directory of images: the leaky buildah fixture twice (tar and nested OCI layout), a clean
/// image, a README, a source tarball that is no image, and a truncated image.
fn registry_dump() -> tempfile::TempDir {
    let dir = context(&[("README.md", "images\n")]);
    let at = dir.path();
    let fixtures = root().join("testdata/images");
    std::fs::copy(
        fixtures.join("demo-docker-archive.tar"),
        at.join("leaky.tar"),
    )
    .unwrap();
    std::fs::create_dir_all(at.join("nested/leaky-oci/blobs/sha256")).unwrap();
    for entry in walk(&fixtures.join("demo-oci-zstd")) {
        let relative = entry.strip_prefix(fixtures.join("demo-oci-zstd")).unwrap();
        std::fs::copy(&entry, at.join("nested/leaky-oci").join(relative)).unwrap();
    }
    std::fs::write(at.join("clean.tar"), clean_image()).unwrap();
    std::fs::write(
        at.join("sources.tar"),
        crate::builder::tar_of(&[file("src/lib.rs", "fn main() {}")]),
    )
    .unwrap();
    let whole = std::fs::read(fixtures.join("demo-docker25.tar")).unwrap();
    std::fs::write(at.join("truncated.tar"), &whole[..whole.len() / 3]).unwrap();
    dir
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.file_type().unwrap().is_dir() {
            out.extend(walk(&entry.path()));
        } else {
            out.push(entry.path());
        }
    }
    out
}

#[test]
fn a_directory_of_images_gets_one_row_each_and_the_worst_exit_code() {
    let dir = registry_dump();
    let out = run_in(dir.path(), &["audit", ".", "--format", "json"], b"");
    assert_eq!(out.code, 2, "{}", out.stderr);
    // machine formats keep stdout clean; the table goes to stderr
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let table: Vec<&str> = out.stderr.lines().collect();
    assert!(
        table[0].starts_with("image") && table[0].ends_with("exit"),
        "{}",
        out.stderr
    );
    let rows: Vec<(&str, &str)> = table[1..table.len() - 1]
        .iter()
        .map(|row| {
            (
                row.split_whitespace().next().unwrap(),
                row.split_whitespace().last().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("./clean.tar", "0"),
            ("./leaky.tar", "1"),
            ("./nested/leaky-oci", "1"),
            ("./sources.tar", "2"),
            ("./truncated.tar", "2"),
        ],
        "{}",
        out.stderr
    );
    assert!(
        table.last().unwrap().contains("5 image inputs"),
        "{}",
        out.stderr
    );
    assert!(
        table.last().unwrap().contains("worst exit 2"),
        "{}",
        out.stderr
    );
    let errors: Vec<String> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["source"].as_str().unwrap(),
                e["message"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("./sources.tar not an image")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("./truncated.tar the archive is cut short")),
        "{errors:?}"
    );
    // both leaky copies report the same findings
    let per_source = |source: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["source"] == source)
            .count()
    };
    assert_eq!(per_source("./leaky.tar"), 7);
    assert_eq!(per_source("./nested/leaky-oci"), 7);
}

#[test]
fn a_list_file_names_the_images_and_text_output_ends_with_the_table() {
    let dir = registry_dump();
    let list = "# audited nightly\n\nclean.tar\n  nested/leaky-oci  \n";
    std::fs::write(dir.path().join("images.txt"), list).unwrap();
    let out = run_in(
        dir.path(),
        &["audit", "--list", "images.txt", "--color", "never"],
        b"",
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let tail: Vec<&str> = out.stdout.lines().rev().take(4).collect();
    assert!(
        tail[0].contains("2 image inputs") && tail[0].contains("worst exit 1"),
        "{}",
        out.stdout
    );
    assert!(
        tail[1].starts_with("nested/leaky-oci") && tail[1].ends_with(" 1"),
        "{}",
        out.stdout
    );
    assert!(
        tail[2].starts_with("clean.tar") && tail[2].ends_with(" 0"),
        "{}",
        out.stdout
    );
    // the list on standard input; a listed file that is not an image is an error
    let out = run_in(
        dir.path(),
        &["audit", "--list", "-", "-q"],
        b"clean.tar\nREADME.md\n",
    );
    assert_eq!(out.code, 2);
    assert!(
        out.stdout.contains("README.md: not an image"),
        "{}",
        out.stdout
    );
    // a clean image alone passes
    let out = run_in(dir.path(), &["audit", "clean.tar"], b"");
    assert_eq!(out.code, 0, "{}", out.stdout);
    let out = run_in(dir.path(), &["audit"], b"");
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("nothing to audit"), "{}", out.stderr);
}

/// The sources of a JSON report's findings, each once.
fn finding_sources(json: &serde_json::Value) -> std::collections::BTreeSet<&str> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["source"].as_str().unwrap())
        .collect()
}

/// `docker save img | stowaway audit -`: the image on standard input is one row, read as a
/// stream; anything else there is an error; stdin cannot also hold the list.
#[test]
fn an_image_on_standard_input_is_audited_too() {
    let dir = context(&[]);
    std::fs::write(dir.path().join("clean.tar"), clean_image()).unwrap();
    let leaky = crate::images::leaky().tar(Format::DockerLegacy);
    let out = run_in(
        dir.path(),
        &["audit", "-", "clean.tar", "--format", "json"],
        &leaky,
    );
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let sources = finding_sources(&json);
    assert_eq!(sources.into_iter().collect::<Vec<_>>(), ["-"]);
    assert!(out.stderr.contains("2 image inputs"), "{}", out.stderr);

    let out = run_in(dir.path(), &["audit", "-"], b"FROM alpine\n");
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(out.stdout.contains("-: not an image"), "{}", out.stdout);
    let out = run_in(dir.path(), &["audit", "-", "--list", "-"], b"clean.tar\n");
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("both the list and an image"),
        "{}",
        out.stderr
    );
}

/// A compressed image is opened when its scan starts, not when the audit finds it: 100 of them
/// under a limit of 64 open files are all scanned (they were held open from the start, and past
/// the limit the rest were silently skipped).
#[test]
fn an_audit_of_more_compressed_images_than_open_files_scans_them_all() {
    let dir = context(&[]);
    let image = crate::builder::gzip(&crate::images::leaky().tar(Format::OciArchive));
    for n in 0..100 {
        std::fs::write(dir.path().join(format!("img{n:03}.tar.gz")), &image).unwrap();
    }
    let command = format!(
        "ulimit -n 64 && exec '{}' audit . --format json",
        env!("CARGO_BIN_EXE_stowaway")
    );
    let out = std::process::Command::new("sh")
        .args(["-c", &command])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["errors"].as_array().unwrap().len(), 0, "{stdout}");
    let sources = finding_sources(&json);
    assert_eq!(sources.len(), 100);
}
