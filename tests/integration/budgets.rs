//! An archive nested in a layer decompresses to at most its cap in all, whatever the number of
//! its entries or objects: a zip of many entries each under the cap is still a bomb. And a
//! layer's compressed files and archives decompress to one budget together: a layer of many
//! small bombs, each under its own cap, is a bomb too.

use std::io::Write;

use crate::builder::{Compression, Entry, Format, ImageBuilder, compress, file, layer};
use crate::images::{
    edit_manifest, error_text, layers_with_findings, leaky, replace_config, scan_files, scan_image,
    zip_of,
};

const TOKEN: &str = "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";

#[test]
fn the_entries_of_one_archive_share_its_cap() {
    let zeros = vec![0u8; 600 << 10];
    let entries: Vec<(String, &[u8])> = (0..4).map(|i| (format!("f{i}.bin"), &zeros[..])).collect();
    let named: Vec<(&str, &[u8])> = entries.iter().map(|(n, b)| (n.as_str(), *b)).collect();
    let bomb = zip_of(&named, zip::CompressionMethod::Deflated);
    let image = ImageBuilder::with(vec![layer(
        "a",
        vec![
            Entry::File("a/flat.zip".into(), bomb),
            file("b/.env", &format!("GITHUB_TOKEN={TOKEN}\n")),
        ],
    )]);
    // each entry (600 KiB) is under the 1 MiB cap; the four together are not
    let (code, found, stdout) = scan_image(&image, Format::OciArchive, &["--max-layer-size", "1M"]);
    assert_eq!(code, 2, "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let errors = error_text(&json);
    assert!(
        errors.contains("in /a/flat.zip: its entries decompress to more than 1048576 bytes in all"),
        "{errors}"
    );
    assert!(
        found.iter().any(|f| f.contains("/b/.env")),
        "the layer goes on: {found:?}"
    );
    // under the cap in all: no error
    let small: Vec<(&str, &[u8])> = named.iter().take(1).copied().collect();
    let fine = ImageBuilder::with(vec![layer(
        "a",
        vec![Entry::File(
            "a/ok.zip".into(),
            zip_of(&small, zip::CompressionMethod::Deflated),
        )],
    )]);
    let (code, _, stdout) = scan_image(&fine, Format::OciArchive, &["--max-layer-size", "1M"]);
    assert_eq!(code, 0, "{stdout}");
}

/// A git packfile of `count` blobs of `size` zeros.
fn pack_of_zeros(count: u32, size: usize) -> Vec<u8> {
    let mut pack = b"PACK\0\0\0\x02".to_vec();
    pack.extend(count.to_be_bytes());
    for _ in 0..count {
        // type 3 (blob) and the size in git's varint
        let mut header = vec![0x30 | (size & 0x0f) as u8];
        let mut rest = size >> 4;
        while rest > 0 {
            *header.last_mut().unwrap() |= 0x80;
            header.push((rest & 0x7f) as u8);
            rest >>= 7;
        }
        pack.extend(header);
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        zlib.write_all(&vec![0u8; size]).unwrap();
        pack.extend(zlib.finish().unwrap());
    }
    pack
}

#[test]
fn the_objects_of_one_packfile_share_its_cap() {
    let image = |count| {
        ImageBuilder::with(vec![layer(
            "COPY . /app",
            vec![Entry::File(
                "app/.git/objects/pack/pack-1.pack".into(),
                pack_of_zeros(count, 600 << 10),
            )],
        )])
    };
    let (code, _, stdout) = scan_image(&image(4), Format::OciArchive, &["--max-layer-size", "1M"]);
    assert_eq!(code, 2, "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(error_text(&json).contains("pack-1.pack: its entries decompress to more than 1048576"));
    let (code, _, stdout) = scan_image(&image(1), Format::OciArchive, &["--max-layer-size", "1M"]);
    assert_eq!(code, 0, "{stdout}");
}

#[test]
fn documents_of_millions_of_values_are_not_parsed_whole() {
    // a 16 MiB manifest of `{},{},…` took 1.8 GB and printed five million errors
    let files = leaky().files(Format::OciArchive);
    let huge = edit_manifest(files.clone(), |manifest| {
        let empty = vec![serde_json::json!({}); 300_000];
        manifest["layers"].as_array_mut().unwrap().extend(empty);
    });
    let (code, json) = scan_files(&huge, &[]);
    assert_eq!(code, 2);
    let errors = error_text(&json);
    assert!(
        errors.contains("holds more than 200000 JSON values; not read"),
        "{errors}"
    );

    // many broken descriptors under that: their errors are capped
    let broken = edit_manifest(files.clone(), |manifest| {
        let bad = vec![serde_json::json!({"digest": "x"}); 50_000];
        manifest["layers"].as_array_mut().unwrap().extend(bad);
    });
    let (code, json) = scan_files(&broken, &[]);
    assert_eq!(code, 2);
    assert_eq!(
        json["errors"].as_array().unwrap().len(),
        101,
        "{}",
        error_text(&json)
    );
    assert!(error_text(&json).contains("49900 more problems with the image's documents"));
    assert_eq!(
        layers_with_findings(&json),
        [1],
        "the image's own layers are scanned"
    );

    // a config of millions of values: its strings are still scanned, a token among them found
    let mut config = String::from(r#"{"architecture":"amd64","os":"linux","junk":["#);
    config.push_str(&"0,".repeat(300_000));
    config.push_str(&format!(
        r#""{TOKEN}"],"rootfs":{{"type":"layers","diff_ids":[]}}}}"#
    ));
    let (code, json) = scan_files(&replace_config(files, config.into_bytes()), &[]);
    assert_eq!(code, 2);
    let errors = error_text(&json);
    assert!(
        errors.contains("the config holds more than 200000 JSON values"),
        "{errors}"
    );
    let fields: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["location"]["field"].as_str())
        .collect();
    assert_eq!(fields, ["junk[300000]"], "{json}");
}

#[test]
fn the_compressed_files_of_one_layer_share_a_budget() {
    // 900 KiB each, under the 1 MiB cap of one nested file: a token, then zeros
    let mut content = format!("GITHUB_TOKEN={TOKEN}\n").into_bytes();
    content.resize(900 << 10, 0);
    let bombs = |n: usize| -> Vec<Entry> {
        let kinds = [
            ("zst", compress(&content, Compression::Zstd)),
            // small and plain: handed whole to the pool once its size is reserved
            ("gz", compress(&content, Compression::Gzip)),
            (
                "zip",
                zip_of(&[("in.bin", &content)], zip::CompressionMethod::Deflated),
            ),
            ("pack", pack_of_zeros(1, 900 << 10)),
        ];
        (0..n)
            .map(|i| {
                let (ext, bytes) = &kinds[i % kinds.len()];
                Entry::File(format!("bombs/{i}.{ext}"), bytes.clone())
            })
            .collect()
    };
    let mut entries = bombs(12);
    entries.push(file("etc/after.env", &format!("GITHUB_TOKEN={TOKEN}\n")));
    // a layer's budget grows with its bytes: 64 KiB of plain file after one bomb make room for
    // another (16 bytes per byte)
    let zst = compress(&content, Compression::Zstd);
    let grown = vec![
        Entry::File("other/one.zst".into(), zst.clone()),
        Entry::File("other/plain.bin".into(), vec![b'x'; 64 << 10]),
        Entry::File("other/two.zst".into(), zst),
    ];
    let image = ImageBuilder::with(vec![layer("a", entries), layer("b", grown)]);
    let (code, found, stdout) = scan_image(&image, Format::OciArchive, &["--max-layer-size", "1M"]);
    assert_eq!(code, 2, "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let budget = "the layer's compressed files and archives decompress to more than";
    let per_byte = "bytes together (limit: 1048576 plus 16 per byte of the layer)";
    let errors: Vec<String> = error_text(&json).lines().map(String::from).collect();
    for error in &errors {
        assert!(
            error.contains("layer 0 ") && error.contains(budget) && error.contains(per_byte),
            "{error}"
        );
    }
    // the first bomb fits; each later one is an error naming it (a zip's entry and the zip)
    let named = |path: &str| errors.iter().any(|e| e.contains(&format!("in /{path}: ")));
    let cut: Vec<usize> = (0..12)
        .filter(|i| {
            named(&format!(
                "bombs/{i}.{}",
                ["zst", "gz", "zip", "pack"][i % 4]
            ))
        })
        .collect();
    assert_eq!(cut, (1..12).collect::<Vec<_>>(), "{errors:#?}");
    assert!(named("bombs/2.zip!/in.bin"), "{errors:#?}");
    assert_eq!(errors.len(), 11 + 3, "{errors:#?}");
    // the first bomb was read, and so was the layer after the bombs, and the other layer whole
    assert_eq!(
        found,
        [
            "github.pat layer /bombs/0.zst layer=0 present line=1",
            "github.pat layer /etc/after.env layer=0 present line=1",
            "github.pat layer /other/one.zst layer=1 present line=1",
            "github.pat layer /other/two.zst layer=1 present line=1",
        ],
        "{stdout}"
    );
}

#[test]
fn a_small_gz_is_reserved_by_what_it_inflates_to() {
    // several members: the trailer declares only the last one's 4 bytes, so the file is
    // inflated where the layer is read, counted as it comes, and read to its end
    let mut first = vec![0u8; 512 << 10];
    first.extend(format!("\nGITHUB_TOKEN={TOKEN}\n").bytes());
    let members = [
        compress(&first, Compression::Gzip),
        compress(b"end\n", Compression::Gzip),
    ];
    // one member whose trailer says 10 bytes: corrupt, read one byte past them
    let mut lying = compress(&vec![b'x'; 100 << 10], Compression::Gzip);
    let at = lying.len() - 4;
    lying[at..].copy_from_slice(&10u32.to_le_bytes());
    let image = ImageBuilder::with(vec![layer(
        "a",
        vec![
            Entry::File("var/log/app.log.gz".into(), members.concat()),
            Entry::File("usr/share/doc/x/changelog.gz".into(), lying),
        ],
    )]);
    let (code, found, stdout) = scan_image(&image, Format::OciArchive, &[]);
    assert_eq!(code, 2, "{stdout}");
    assert_eq!(
        found,
        ["github.pat layer /var/log/app.log.gz layer=0 present line=2"],
        "{stdout}"
    );
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let errors = error_text(&json);
    assert!(
        errors.ends_with(
            "): in /usr/share/doc/x/changelog.gz: inflates to more than the 10 bytes its gzip \
             trailer declares (a corrupt file); the rest is not scanned"
        ),
        "{errors}"
    );
    assert_eq!(json["errors"].as_array().unwrap().len(), 1, "{errors}");
}

#[test]
fn package_databases_are_kept_up_to_a_cap() {
    // a dpkg list that says whose the token file is, padded to 16 MiB with one repeated path
    let mut list = b"/usr/share/doc/libx/example.env\n".to_vec();
    list.extend(b"/a\n".repeat((16 << 20) / 3));
    let token = file(
        "usr/share/doc/libx/example.env",
        &format!("GITHUB_TOKEN={TOKEN}\n"),
    );
    let image = |lists: Vec<&str>| {
        let mut entries = vec![token.clone()];
        let list = |path: &str| Entry::File(path.into(), list.clone());
        entries.extend(lists.into_iter().map(list));
        let mut layer = layer("RUN apt-get install -y libx", entries);
        layer.compression = Compression::Zstd;
        ImageBuilder::with(vec![layer])
    };
    let vendor = |json: &serde_json::Value| json["vendor"].as_array().unwrap().len();
    // one list rewritten five times in the layer: the last copy replaces the others
    let rewritten = image(vec!["var/lib/dpkg/info/libx.list"; 5]);
    let (code, found, stdout) = scan_image(&rewritten, Format::OciArchive, &[]);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!((code, found.len(), vendor(&json)), (0, 0, 1), "{stdout}");
    // five lists of 16 MiB are more than the 64 MiB kept: none is used, and an error says so
    let paths: Vec<String> = (0..5)
        .map(|i| format!("var/lib/dpkg/info/lib{i}.list"))
        .collect();
    let many = image(paths.iter().map(String::as_str).collect());
    let (code, found, stdout) = scan_image(&many, Format::OciArchive, &[]);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(code, 2, "{stdout}");
    assert_eq!(
        found,
        ["github.pat layer /usr/share/doc/libx/example.env layer=0 present line=1"]
    );
    assert!(
        error_text(&json).ends_with(
            ": the package databases take more than 67108864 bytes to keep (limit): no file \
             is told apart as a package's, so secrets in the vendor's files are reported as \
             the image owner's"
        ),
        "{}",
        error_text(&json)
    );
}
