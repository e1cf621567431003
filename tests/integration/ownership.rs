//! Whose file is it, end to end: a problem inside a file that a package installed (the corrupt
//! test archives that Go and Python ship) is kept apart like a finding there and leaves the exit
//! code alone; the same problem in the image owner's file is an error; and a problem inside a
//! file never stops the layer's digest check.

use crate::builder::{self, Compression, Entry, Format, ImageBuilder, file, layer};
use crate::images::{error_text, layer_blobs, leaky, replace, scan_files, scan_image};

/// A tar whose first header fails its checksum: a nested archive that cannot be walked.
fn corrupt_tar() -> Vec<u8> {
    let mut tar = builder::tar_of(&[file("testdata/file.txt", "hello")]);
    tar[148..156].copy_from_slice(b"0000000\0");
    tar
}

/// One layer holding the corrupt tar at `path`, and a dpkg list that owns the Go copy.
fn image_with_corrupt_tar_at(path: &str) -> ImageBuilder {
    ImageBuilder::with(vec![layer(
        "base",
        vec![
            Entry::File(path.into(), corrupt_tar()),
            file(
                "var/lib/dpkg/info/golang-1.19-src.list",
                "/.\n/usr/share/go-1.19/src/archive/tar/testdata/bad.tar\n",
            ),
        ],
    )])
}

#[test]
fn a_problem_inside_a_package_file_is_kept_apart() {
    let vendor = image_with_corrupt_tar_at("usr/share/go-1.19/src/archive/tar/testdata/bad.tar");
    let (code, found, stdout) = scan_image(&vendor, Format::OciArchive, &[]);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!((code, found.len()), (0, 0), "{stdout}");
    assert_eq!(error_text(&json), "");
    let apart = json["vendor_errors"].as_array().unwrap();
    assert_eq!(apart.len(), 1, "{stdout}");
    assert_eq!(apart[0]["owner"], "deb:golang-1.19-src");
    let message = apart[0]["message"].as_str().unwrap();
    assert!(message.contains("in /usr/share/go-1.19/src/archive/tar/testdata/bad.tar"));
    assert_eq!(json["summary"]["vendor_errors"], 1);

    // --include-vendor counts it again, owner named
    let (code, _, stdout) = scan_image(&vendor, Format::OciArchive, &["--include-vendor"]);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(code, 2, "{stdout}");
    assert_eq!(json["errors"][0]["owner"], "deb:golang-1.19-src");
    assert_eq!(json["vendor_errors"].as_array().unwrap().len(), 0);

    // the same archive in the owner's tree is an error, with no owner
    let own = image_with_corrupt_tar_at("srv/app/bad.tar");
    let (code, _, stdout) = scan_image(&own, Format::OciArchive, &[]);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(code, 2, "{stdout}");
    assert!(
        error_text(&json).contains("in /srv/app/bad.tar"),
        "{stdout}"
    );
    assert!(json["errors"][0].get("owner").is_none());
    assert_eq!(json["vendor_errors"].as_array().unwrap().len(), 0);
}

#[test]
fn the_text_report_counts_problems_kept_apart() {
    let vendor = image_with_corrupt_tar_at("usr/share/go-1.19/src/archive/tar/testdata/bad.tar");
    let dir = crate::common::context(&[]);
    std::fs::write(dir.path().join("img.tar"), vendor.tar(Format::OciArchive)).unwrap();
    let out = crate::common::run_in(dir.path(), &["scan", "img.tar"], b"");
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout.contains(
            "1 problem in files installed by packages (deb:golang-1.19-src), not counted"
        ),
        "{}",
        out.stdout
    );
}

/// A layer whose blob differs from its digest still fails the check when a file inside it
/// holds a corrupt archive (the layer was read whole either way).
#[test]
fn a_problem_inside_a_file_does_not_stop_the_digest_check() {
    let mut files = leaky().files(Format::OciArchive);
    let blobs = layer_blobs(&files);
    let altered = builder::tar_of(&[Entry::File("srv/bad.tar".into(), corrupt_tar())]);
    replace(
        &mut files,
        &blobs[0],
        builder::compress(&altered, Compression::Gzip),
    );
    let (code, json) = scan_files(&files, &[]);
    assert_eq!(code, 2);
    let errors = error_text(&json);
    assert!(errors.contains("in /srv/bad.tar"), "{errors}");
    assert!(
        errors.contains("layer 0") && errors.contains("digest mismatch"),
        "{errors}"
    );
}
