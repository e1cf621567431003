//! Images read as a stream (standard input, compressed tarballs): read once, in bounded memory,
//! whatever the order of the archive's entries; blobs checked against digests the manifests
//! name after them; links followed either way; blobs no manifest names ignored, errors and all.

use crate::builder::{self, Compression, Entry, Files, Format};
use crate::common::{Run, context, run_in, run_or_hang};
use crate::images::{error_text, leaky, rows};

/// `scan -` of `stdin`, in JSON.
fn scan_stdin(stdin: &[u8], args: &[&str]) -> Run {
    let dir = context(&[]);
    let mut all = vec!["scan", "-", "--format", "json"];
    all.extend_from_slice(args);
    run_in(dir.path(), &all, stdin)
}

fn sorted_rows(out: &Run) -> Vec<String> {
    let mut found = rows(&out.stdout);
    found.sort();
    found
}

/// The rows of a scan of the export as a file (its entries indexed, not streamed).
fn from_file(files: &Files) -> Vec<String> {
    let dir = context(&[]);
    std::fs::write(dir.path().join("img.tar"), builder::archive(files)).unwrap();
    let out = run_in(dir.path(), &["scan", "img.tar", "--format", "json"], b"");
    assert_eq!(out.code, 1, "{}", out.stderr);
    sorted_rows(&out)
}

#[test]
fn a_stream_gives_the_file_findings_whatever_the_order_of_its_entries() {
    for format in [Format::DockerLegacy, Format::Docker25, Format::OciArchive] {
        let files = leaky().files(format);
        let want = from_file(&files);
        assert_eq!(want.len(), 6, "{format:?}");
        let mut reversed = files.clone();
        reversed.reverse();
        // the JSON documents first (as some writers do), then the blobs
        let mut documents_first = files.clone();
        documents_first.sort_by_key(|(_, bytes)| bytes.first() != Some(&b'{'));
        for (order, files) in [("as written", &files), ("reversed", &reversed)]
            .into_iter()
            .chain([("documents first", &documents_first)])
        {
            let tar = builder::archive(files);
            for (compression, stdin) in [
                ("plain", tar.clone()),
                ("gzip", builder::gzip(&tar)),
                ("zstd", builder::compress(&tar, Compression::Zstd)),
            ] {
                let out = scan_stdin(&stdin, &[]);
                let what = format!("{format:?} {order} {compression}");
                assert_eq!(out.code, 1, "{what}: {}{}", out.stdout, out.stderr);
                assert_eq!(sorted_rows(&out), want, "{what}");
            }
        }
    }
}

/// A legacy export whose `<id>/layer.tar` entries are links to another `<id>/layer.tar` (docker
/// save shares identical layers so), placed before and after the file they lead to.
#[test]
fn links_in_a_stream_lead_to_blobs_before_or_after_them() {
    let files = leaky().files(Format::DockerLegacy);
    let want = from_file(&files);
    for link_first in [false, true] {
        let mut entries = Vec::new();
        let mut moved = Vec::new();
        for (n, (path, bytes)) in files.iter().enumerate() {
            match path.strip_suffix("/layer.tar") {
                Some(dir) => {
                    let shared = format!("{n:064x}/layer.tar");
                    let link = match n % 2 {
                        0 => Entry::Symlink(path.clone(), format!("../{shared}")),
                        _ => Entry::Hardlink(path.clone(), shared.clone()),
                    };
                    assert!(!dir.is_empty());
                    entries.push(link);
                    moved.push(Entry::File(shared, bytes.clone()));
                }
                None => entries.push(Entry::File(path.clone(), bytes.clone())),
            }
        }
        match link_first {
            true => entries.extend(moved),
            false => entries.splice(0..0, moved).for_each(drop),
        }
        let out = scan_stdin(&builder::tar_of(&entries), &[]);
        assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
        assert_eq!(sorted_rows(&out), want, "links first: {link_first}");
    }
}

#[test]
fn streamed_blobs_are_checked_against_the_digests_named_after_them() {
    // a layer swapped for another valid tar: the OCI blob digest, or the legacy diff ID
    let other = builder::tar_of(&[builder::file("srv/other.txt", "hello\n")]);
    for format in [Format::DockerLegacy, Format::OciArchive] {
        let mut files = leaky().files(format);
        let layer = files
            .iter_mut()
            .find(|(path, bytes)| {
                path.ends_with("/layer.tar") || (path.starts_with("blobs/") && bytes[0] != b'{')
            })
            .unwrap();
        layer.1 = match format {
            Format::DockerLegacy => other.clone(),
            _ => builder::gzip(&other),
        };
        let tar = builder::archive(&files);
        let out = scan_stdin(&tar, &[]);
        assert_eq!(out.code, 2, "{format:?}: {}", out.stderr);
        let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        let errors = error_text(&json);
        assert!(errors.contains("digest mismatch"), "{format:?}: {errors}");
        // the other layers' findings are still there
        assert!(!json["findings"].as_array().unwrap().is_empty());
        let out = scan_stdin(&tar, &["--no-digest-check"]);
        assert_eq!(out.code, 1, "{format:?}: {}", out.stdout);
    }
}

#[test]
fn a_streamed_blob_no_manifest_names_is_not_an_error() {
    let mut files = leaky().files(Format::OciArchive);
    let want = from_file(&files);
    // a corrupt gzip and a corrupt tar, both looking like layers, referenced by nothing
    let mut corrupt = vec![0x1f, 0x8b, 8, 0];
    corrupt.extend_from_slice(&[0xAB; 600]);
    files.insert(0, (format!("blobs/sha256/{}", "ab".repeat(32)), corrupt));
    files.push((format!("blobs/sha256/{}", "cd".repeat(32)), vec![0x42; 700]));
    let out = scan_stdin(&builder::archive(&files), &[]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_eq!(sorted_rows(&out), want);
}

#[test]
fn a_stream_cut_short_is_an_error_and_what_was_read_is_reported() {
    let mut files = leaky().files(Format::DockerLegacy);
    // the manifest and config first, so that they are read before the cut
    files.sort_by_key(|(path, _)| !path.ends_with(".json"));
    let tar = builder::archive(&files);
    let last_layer = files.iter().rposition(|(p, _)| p.ends_with("layer.tar"));
    assert_eq!(last_layer, Some(files.len() - 1));
    // into the last layer's first file: past its first header, before its end
    let layer = &files[files.len() - 1].1;
    let cut = &tar[..tar.len() - 1024 - layer.len().div_ceil(512) * 512 + 700];
    let out = scan_stdin(cut, &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let errors = error_text(&json);
    assert!(errors.contains("layer 2"), "{errors}");
    assert!(errors.contains("stopped reading the archive"), "{errors}");
    // the secrets of layer 1 are found; the cut layer is the one that deletes one of them
    let found = sorted_rows(&out);
    assert!(
        found.iter().any(|r| r.starts_with("github.pat layer")),
        "{found:?}"
    );
}

#[test]
fn a_compressed_filesystem_tar_is_no_image_for_the_audit() {
    let tar = builder::tar_of(&[builder::file("etc/hostname", "box\n")]);
    let dir = context(&[]);
    std::fs::write(dir.path().join("fs.tar.gz"), builder::gzip(&tar)).unwrap();
    let out = run_in(dir.path(), &["audit", "fs.tar.gz", "--format", "json"], b"");
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stdout.contains("not an image export"), "{}", out.stdout);
}

/// Memory stays bounded whatever a stream holds: past 64 MiB of small entries, or 10,000 blobs
/// that look like layers, the rest is skipped, and an image that needs a skipped file says why.
#[test]
fn a_stream_keeps_and_scans_a_bounded_number_of_entries() {
    let image = leaky().files(Format::OciArchive);
    // `extra` after the first member (which says the stream is an export, not a filesystem
    // tar): exit 2, and the errors
    let errors_with = |extra: Files| {
        let mut files: Files = image[..1].to_vec();
        files.extend(extra);
        files.extend(image[1..].iter().cloned());
        let out = scan_stdin(&builder::archive(&files), &[]);
        assert_eq!(out.code, 2, "{}", out.stderr);
        error_text(&serde_json::from_str(&out.stdout).unwrap())
    };
    let padding = (0..16).map(|n| (format!("pad/{n}.json"), vec![b'{'; 4 << 20]));
    let errors = errors_with(padding.collect());
    assert!(errors.contains("small entries passed 64 MiB"), "{errors}");

    let gzip_magic = vec![0x1f, 0x8b, 8, 0];
    let junk = (0..10_001).map(|n| (format!("junk/{n}"), gzip_magic.clone()));
    let errors = errors_with(junk.collect());
    assert!(errors.contains("more than 10,000 layer blobs"), "{errors}");
}

/// A stream that opens with a "directory" holding 8 MiB: the look for its first member stops
/// at 2 MiB (nothing is buffered past that), an error, exit 2.
#[test]
fn a_stream_opening_with_a_huge_directory_entry_is_an_error() {
    let mut header = tar::Header::new_gnu();
    header.set_path("big/").unwrap();
    header.set_entry_type(tar::EntryType::Directory);
    header.set_size(8 << 20);
    header.set_cksum();
    let mut stream = header.as_bytes().to_vec();
    stream.extend(std::iter::repeat_n(0u8, 8 << 20));
    stream.extend(builder::archive(&leaky().files(Format::OciArchive)));
    let out = scan_stdin(&stream, &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stdout.contains("first member lies past"),
        "{}",
        out.stdout
    );
}

/// A writer may open the archive with a global PAX header (Python's tarfile with pax_headers,
/// `git archive`): it is no member, so the stream is still an image export, not a filesystem.
#[test]
fn a_global_pax_header_before_the_first_member_is_skipped() {
    let files = leaky().files(Format::OciArchive);
    let want = from_file(&files);
    let record = b"16 comment=tool\n";
    let mut header = tar::Header::new_ustar();
    header.set_path("pax_global_header").unwrap();
    header.set_entry_type(tar::EntryType::XGlobalHeader);
    header.set_size(record.len() as u64);
    header.set_cksum();
    let mut stream = header.as_bytes().to_vec();
    stream.extend_from_slice(record);
    stream.resize(stream.len().div_ceil(512) * 512, 0);
    stream.extend(builder::archive(&files));
    let out = scan_stdin(&stream, &[]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert_eq!(sorted_rows(&out), want);
}

/// A named pipe at `dir/name` fed `bytes` by a thread, as `<(docker save app)` feeds
/// `/dev/fd/N`: it can be read once and never sought.
fn pipe(dir: &std::path::Path, name: &str, bytes: Vec<u8>) -> std::thread::JoinHandle<()> {
    let path = dir.join(name);
    let made = std::process::Command::new("mkfifo").arg(&path).status();
    assert!(made.unwrap().success(), "mkfifo {}", path.display());
    std::thread::spawn(move || {
        // opening blocks until the scan opens the other end; a scan that stops reading early
        // (or never opens it, on failure) must not fail the writer
        if let Ok(mut fifo) = std::fs::OpenOptions::new().write(true).open(&path) {
            let _ = std::io::Write::write_all(&mut fifo, &bytes);
        }
    })
}

#[test]
fn a_named_pipe_is_read_as_a_stream_by_scan_and_audit() {
    let files = leaky().files(Format::Docker25);
    let want = from_file(&files);
    let tar = builder::archive(&files);
    let dir = context(&[]);
    let writers = [
        pipe(dir.path(), "plain", tar.clone()),
        pipe(dir.path(), "gzip", builder::gzip(&tar)),
        pipe(
            dir.path(),
            "dockerfile",
            b"FROM alpine\nENV GITHUB_TOKEN=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\n".to_vec(),
        ),
    ];
    let out = run_or_hang(dir.path(), &["scan", "plain", "--format", "json"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert_eq!(sorted_rows(&out), want);
    let out = run_or_hang(dir.path(), &["audit", "gzip", "--format", "json"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert_eq!(sorted_rows(&out), want);
    // a Dockerfile on a pipe is scanned under the pipe's name, with no build context
    let out = run_or_hang(dir.path(), &["scan", "dockerfile", "--format", "json"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let findings = json["findings"].as_array().unwrap();
    assert!(
        findings.iter().any(|f| f["rule_id"] == "github.pat"),
        "{}",
        out.stdout
    );
    assert!(
        findings.iter().all(|f| f["source"] == "dockerfile"),
        "{}",
        out.stdout
    );
    for writer in writers {
        writer.join().unwrap();
    }
}

#[test]
fn an_export_entry_named_outside_its_root_is_an_error_and_the_image_is_still_scanned() {
    for format in [Format::DockerLegacy, Format::OciArchive] {
        let files = leaky().files(format);
        let want = from_file(&files);
        let mut entries: Vec<Entry> = files
            .iter()
            .map(|(path, bytes)| Entry::File(path.clone(), bytes.clone()))
            .collect();
        entries.insert(
            1,
            Entry::Raw(
                b"../../etc/cron.d/evil".to_vec(),
                b"* * * * * root x".to_vec(),
            ),
        );
        let tar = builder::tar_of(&entries);
        let dir = context(&[]);
        std::fs::write(dir.path().join("img.tar"), &tar).unwrap();
        let file = run_in(dir.path(), &["scan", "img.tar", "--format", "json"], b"");
        for (how, out) in [("file", file), ("stream", scan_stdin(&tar, &[]))] {
            assert_eq!(out.code, 2, "{format:?} {how}: {}", out.stdout);
            assert_eq!(sorted_rows(&out), want, "{format:?} {how}");
            let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
            let why = "the archive has an entry named \"../../etc/cron.d/evil\", outside its root \
                       (path traversal); it is not read";
            assert_eq!(error_text(&json), why, "{format:?} {how}");
        }
    }
}
