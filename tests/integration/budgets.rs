//! An archive nested in a layer decompresses to at most its cap in all, whatever the number of
//! its entries or objects: a zip of many entries each under the cap is still a bomb.

use std::io::Write;

use crate::builder::{Entry, Format, ImageBuilder, file, layer};
use crate::images::{error_text, scan_image, zip_of};

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
