//! Git object stores copied into an image (`COPY . .` with the `.git` directory): a secret
//! that was committed and then deleted is gone from the working tree, not from `.git/objects`.
//! A loose object (`.git/objects/ab/cdef…`) is one zlib stream of `<type> <size>\0<content>`;
//! a packfile (`PACK`, version, count) is a run of objects, each a small header and a zlib
//! stream. Every object is inflated as it comes and handed on as a file — deltas too: a delta's
//! inserted bytes are the text that version added, so the secret a commit added shows in it
//! without resolving anything against its base. Nothing is held but the stream being read.

use std::io::{self, BufRead, Read};

use flate2::bufread::ZlibDecoder;

use super::budget::{Budget, Metered};
use super::decode::drain;

/// True for the first bytes of a packfile: `PACK` and version 2 or 3.
pub fn is_pack(head: &[u8]) -> bool {
    head.len() >= 12 && head.starts_with(b"PACK") && matches!(head[4..8], [0, 0, 0, 2 | 3])
}

/// True for a loose object: a path `…/.git/objects/xx/<hex>` (SHA-1 or SHA-256 names) whose
/// first bytes are a zlib header.
pub fn is_loose_object(path: &str, head: &[u8]) -> bool {
    let Some((dir, name)) = path.rsplit_once('/') else {
        return false;
    };
    let Some(fan) = dir.strip_suffix(|c: char| c.is_ascii_hexdigit()) else {
        return false;
    };
    let in_objects = fan
        .strip_suffix(|c: char| c.is_ascii_hexdigit())
        .is_some_and(|d| d == ".git/objects/" || d.ends_with("/.git/objects/"));
    let hex = matches!(name.len(), 38 | 62) && name.bytes().all(|b| b.is_ascii_hexdigit());
    in_objects && hex && is_zlib(head)
}

/// A zlib stream header: deflate with a window of at most 32 KiB, and the check bits right.
fn is_zlib(head: &[u8]) -> bool {
    match head {
        [cmf, flg, ..] => {
            cmf & 0x0f == 8 && cmf >> 4 <= 7 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0
        }
        _ => false,
    }
}

/// Inflates a loose object and hands its content (after the `<type> <size>\0` header) to
/// `each` with the object's type.
pub fn loose(
    compressed: &mut dyn BufRead,
    each: impl FnOnce(&str, &mut dyn Read) -> io::Result<()>,
) -> io::Result<()> {
    let mut inflated = ZlibDecoder::new(compressed);
    let mut header = Vec::new();
    let mut byte = [0u8; 1];
    while header.len() < 64 {
        inflated.read_exact(&mut byte)?;
        if byte[0] == 0 {
            break;
        }
        header.push(byte[0]);
    }
    let header = String::from_utf8_lossy(&header).into_owned();
    let kind = header.split(' ').next().unwrap_or("object");
    each(kind, &mut inflated)
}

/// The kinds of pack entries, by their 3-bit type.
fn pack_kind(kind: u8) -> Option<&'static str> {
    match kind {
        1 => Some("commit"),
        2 => Some("tree"),
        3 => Some("blob"),
        4 => Some("tag"),
        6 => Some("ofs-delta"),
        7 => Some("ref-delta"),
        _ => None,
    }
}

/// Walks a packfile, handing each object's inflated bytes to `each(index, kind, bytes)`; what
/// `each` leaves unread is inflated to the stream's end, up to `max_drain` bytes; every inflated
/// byte, drained ones too, is drawn from `budget`. At most `max_objects` objects; a header or
/// stream that is not what the format says ends the walk with an error.
pub fn walk_pack(
    reader: &mut dyn BufRead,
    max_objects: u64,
    max_drain: u64,
    budget: &Budget,
    mut each: impl FnMut(u64, &str, &mut dyn Read) -> io::Result<()>,
) -> io::Result<()> {
    let mut header = [0u8; 12];
    reader.read_exact(&mut header)?;
    let count = u32::from_be_bytes([header[8], header[9], header[10], header[11]]);
    if u64::from(count) > max_objects {
        let message = format!("a packfile of {count} objects, more than {max_objects}");
        return Err(io::Error::other(message));
    }
    for index in 0..u64::from(count) {
        let mut byte = read_byte(reader)?;
        let kind = pack_kind((byte >> 4) & 7).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("object {index}: unknown type"),
            )
        })?;
        // the rest of the size, seven bits a byte (only the inflated stream's end matters)
        for _ in 0..10 {
            if byte & 0x80 == 0 {
                break;
            }
            byte = read_byte(reader)?;
        }
        match kind {
            "ofs-delta" => while read_byte(reader)? & 0x80 != 0 {},
            "ref-delta" => reader.read_exact(&mut [0u8; 20])?,
            _ => {}
        }
        let mut inflated = Metered::new(ZlibDecoder::new(&mut *reader), budget);
        each(index, kind, &mut inflated)?;
        drain(&mut inflated, max_drain, &format!("object {index}"))?;
    }
    Ok(())
}

fn read_byte(reader: &mut dyn BufRead) -> io::Result<u8> {
    let mut byte = [0u8; 1];
    reader.read_exact(&mut byte)?;
    Ok(byte[0])
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::ZlibEncoder;
    use std::io::Write;

    fn zlib(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    /// A pack entry header for `kind` and `size`, in git's varint.
    fn entry_header(kind: u8, size: usize) -> Vec<u8> {
        let mut out = vec![(kind << 4) | (size & 0x0f) as u8];
        let mut rest = size >> 4;
        while rest > 0 {
            *out.last_mut().unwrap() |= 0x80;
            out.push((rest & 0x7f) as u8);
            rest >>= 7;
        }
        out
    }

    #[test]
    fn every_object_of_a_pack_is_inflated_deltas_included() {
        let blob = b"API_TOKEN=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\n".repeat(3);
        let mut pack = b"PACK\0\0\0\x02\0\0\0\x03".to_vec();
        pack.extend(entry_header(3, blob.len()));
        pack.extend(zlib(&blob));
        pack.extend(entry_header(6, 9));
        pack.extend([0x81, 0x02]); // a two-byte negative offset
        pack.extend(zlib(b"\x20\x20\x05added"));
        pack.extend(entry_header(7, 9));
        pack.extend([7u8; 20]);
        pack.extend(zlib(b"\x20\x20\x05other"));
        pack.extend([0u8; 20]); // the trailer
        assert!(is_pack(&pack));
        for capacity in [1, 7, 64, 8192] {
            let mut found = Vec::new();
            let mut reader = io::BufReader::with_capacity(capacity, &pack[..]);
            walk_pack(
                &mut reader,
                100,
                1 << 20,
                &Budget::new(u64::MAX),
                |index, kind, bytes| {
                    let mut content = Vec::new();
                    bytes.read_to_end(&mut content)?;
                    found.push((index, kind.to_owned(), content));
                    Ok(())
                },
            )
            .unwrap();
            let kinds: Vec<&str> = found.iter().map(|(_, k, _)| k.as_str()).collect();
            assert_eq!(
                kinds,
                ["blob", "ofs-delta", "ref-delta"],
                "buffer of {capacity}"
            );
            assert_eq!(found[0].2, blob);
            assert!(found[1].2.ends_with(b"added") && found[2].2.ends_with(b"other"));
        }
    }

    #[test]
    fn hostile_packs_end_with_an_error() {
        let mut pack = b"PACK\0\0\0\x02\0\0\0\x02".to_vec();
        pack.extend(entry_header(3, 4));
        pack.extend(zlib(b"data"));
        pack.extend(entry_header(3, 4));
        pack.extend(b"not zlib at all");
        let run = |pack: &[u8], max_objects| {
            let mut reader = io::BufReader::new(pack);
            walk_pack(
                &mut reader,
                max_objects,
                1 << 20,
                &Budget::new(u64::MAX),
                |_, _, b| io::copy(b, &mut io::sink()).map(|_| ()),
            )
        };
        assert!(run(&pack, 100).is_err(), "a corrupt stream");
        assert!(run(&pack[..30], 100).is_err(), "a cut pack");
        assert!(run(&pack, 1).is_err(), "over the object cap");
        let mut bomb = b"PACK\0\0\0\x02\0\0\0\x01".to_vec();
        bomb.extend(entry_header(3, 0));
        bomb.extend(zlib(&vec![0u8; 4 << 20]));
        let mut reader = io::BufReader::new(&bomb[..]);
        let capped = walk_pack(
            &mut reader,
            10,
            1 << 20,
            &Budget::new(u64::MAX),
            |_, _, _| Ok(()),
        );
        assert!(
            capped
                .unwrap_err()
                .to_string()
                .contains("more than 1048576")
        );
    }

    #[test]
    fn loose_objects_by_path_and_header() {
        let object = zlib(b"blob 11\0hello world");
        let path = "app/.git/objects/ab/0123456789abcdef0123456789abcdef012345";
        assert!(is_loose_object(path, &object));
        assert!(!is_loose_object(
            "app/objects/ab/0123456789abcdef0123456789abcdef012345",
            &object
        ));
        assert!(!is_loose_object("app/.git/objects/ab/not-hex", &object));
        assert!(!is_loose_object(path, b"plain text"));
        let mut got = (String::new(), Vec::new());
        loose(&mut &object[..], |kind, content| {
            got.0 = kind.to_owned();
            content.read_to_end(&mut got.1).map(|_| ())
        })
        .unwrap();
        assert_eq!(got, ("blob".to_owned(), b"hello world".to_vec()));
        assert!(!is_pack(b"PACK\0\0\0\x09\0\0\0\x01"));
    }
}
