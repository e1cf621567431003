//! Reading a zip (`.jar`, `.war`, `.whl`) front to back, entry by entry from its local headers,
//! so a zip inside a layer is never held in memory whatever its size. Deflated entries end where
//! their deflate stream ends, so data descriptors (sizes written after the data, as `jar` and
//! streaming writers do) are handled; stored entries need their size up front. Where the local
//! headers cannot be followed (a stored entry with a data descriptor, an unknown method with no
//! size, bytes that are no local header), the walk stops and says so, and the caller scans the
//! rest as plain bytes: a stored entry's content is its bytes, so nothing readable is lost.

use std::io::{self, BufRead, Read};

use flate2::bufread::DeflateDecoder;

const LOCAL_HEADER: u32 = 0x0403_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL: u32 = 0x0605_4b50;
const ZIP64_END: u32 = 0x0606_4b50;
const DESCRIPTOR: u32 = 0x0807_4b50;

/// How a walk ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// The central directory (or the end of the input) was reached.
    Done,
    /// The local headers could not be followed from here; the reason.
    Stopped(String),
}

/// One entry as its local header describes it.
pub struct Entry<'a> {
    /// The name, as stored.
    pub name: &'a [u8],
    /// The uncompressed size, when the header gives it.
    pub size: Option<u64>,
    /// A directory entry (name ends in `/`).
    pub is_dir: bool,
}

/// Walks the zip's entries, handing each file's content to `each`; whatever `each` leaves
/// unread is skipped. At most `max_entries` entries; `max_drain` caps what is decompressed to
/// skip an entry's unread rest.
pub fn walk(
    reader: &mut dyn BufRead,
    max_entries: u64,
    max_drain: u64,
    mut each: impl FnMut(Entry<'_>, &mut dyn Read) -> io::Result<()>,
) -> io::Result<Ended> {
    for _ in 0..max_entries {
        let Some(signature) = read_u32_or_end(reader)? else {
            return Ok(Ended::Done);
        };
        match signature {
            LOCAL_HEADER => {}
            CENTRAL_HEADER | END_OF_CENTRAL | ZIP64_END => return Ok(Ended::Done),
            other => return Ok(Ended::Stopped(format!("no local header (0x{other:08x})"))),
        }
        let mut fixed = [0u8; 26];
        reader.read_exact(&mut fixed)?;
        let u16_at = |at: usize| u16::from_le_bytes([fixed[at], fixed[at + 1]]);
        let u32_at = |at: usize| u32::from_le_bytes(fixed[at..at + 4].try_into().unwrap_or([0; 4]));
        let (flags, method) = (u16_at(2), u16_at(4));
        let (mut compressed, mut size) = (u64::from(u32_at(14)), u64::from(u32_at(18)));
        let mut name = vec![0u8; usize::from(u16_at(22))];
        reader.read_exact(&mut name)?;
        let mut extra = vec![0u8; usize::from(u16_at(24))];
        reader.read_exact(&mut extra)?;
        let zip64 = zip64_sizes(&extra, &mut size, &mut compressed);
        let descriptor = flags & 0x08 != 0;
        let encrypted = flags & 0x01 != 0;
        let entry = Entry {
            is_dir: name.ends_with(b"/"),
            name: &name,
            size: (!descriptor).then_some(size),
        };
        match (method, descriptor) {
            (8, _) if !encrypted => {
                let mut inflated = DeflateDecoder::new(&mut *reader);
                each(entry, &mut inflated)?;
                drain(&mut inflated, max_drain)?;
            }
            (0, false) if !encrypted => {
                let mut stored = (&mut *reader).take(compressed);
                each(entry, &mut stored)?;
                drain(&mut stored, u64::MAX)?;
                if stored.limit() > 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "zip cut short",
                    ));
                }
            }
            (_, false) => {
                // encrypted, or a method we do not decode: its bytes say nothing readable
                let skipped = io::copy(&mut (&mut *reader).take(compressed), &mut io::sink())?;
                if skipped < compressed {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "zip cut short",
                    ));
                }
            }
            (_, true) => {
                let name = String::from_utf8_lossy(&name);
                let why = format!("entry {name:?} has no size in its header (method {method})");
                return Ok(Ended::Stopped(why));
            }
        }
        if descriptor {
            skip_descriptor(reader, zip64)?;
        }
    }
    Err(io::Error::other(format!(
        "more than {max_entries} zip entries"
    )))
}

/// The 4-byte little-endian value at the reader, or `None` at a clean end of input.
fn read_u32_or_end(reader: &mut dyn BufRead) -> io::Result<Option<u32>> {
    if reader.fill_buf()?.is_empty() {
        return Ok(None);
    }
    let mut bytes = [0u8; 4];
    reader.read_exact(&mut bytes)?;
    Ok(Some(u32::from_le_bytes(bytes)))
}

/// Applies a ZIP64 extra field (id 1) to 32-bit sizes saturated at `0xFFFF_FFFF`; true when
/// the entry is ZIP64 (its data descriptor then holds 8-byte sizes).
fn zip64_sizes(extra: &[u8], size: &mut u64, compressed: &mut u64) -> bool {
    let mut rest = extra;
    while rest.len() >= 4 {
        let id = u16::from_le_bytes([rest[0], rest[1]]);
        let len = usize::from(u16::from_le_bytes([rest[2], rest[3]]));
        let body = rest.get(4..4 + len).unwrap_or(&rest[4..]);
        if id == 1 {
            let mut values = body
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])));
            if *size == 0xFFFF_FFFF {
                *size = values.next().unwrap_or(*size);
            }
            if *compressed == 0xFFFF_FFFF {
                *compressed = values.next().unwrap_or(*compressed);
            }
            return true;
        }
        rest = rest.get(4 + len..).unwrap_or_default();
    }
    false
}

/// Skips a data descriptor: an optional signature, the CRC, then both sizes.
fn skip_descriptor(reader: &mut dyn BufRead, zip64: bool) -> io::Result<()> {
    let head = reader.fill_buf()?;
    if head.len() >= 4 && u32::from_le_bytes([head[0], head[1], head[2], head[3]]) == DESCRIPTOR {
        reader.consume(4);
    }
    let mut rest = vec![0u8; if zip64 { 20 } else { 12 }];
    reader.read_exact(&mut rest)
}

/// Reads what the entry's consumer left, up to `cap` bytes (a bomb stops there).
fn drain(reader: &mut dyn Read, cap: u64) -> io::Result<()> {
    let drained = io::copy(&mut reader.take(cap), &mut io::sink())?;
    if drained == cap && cap != u64::MAX {
        let message = format!("a zip entry decompresses to more than {cap} bytes");
        return Err(io::Error::other(message));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    fn entries(bytes: &[u8]) -> (Vec<(String, Vec<u8>)>, Ended) {
        let mut out = Vec::new();
        let mut reader = io::BufReader::new(bytes);
        let ended = walk(&mut reader, 100, 1 << 20, |entry, content| {
            let mut data = Vec::new();
            content.read_to_end(&mut data)?;
            if !entry.is_dir {
                out.push((String::from_utf8_lossy(entry.name).into_owned(), data));
            }
            Ok(())
        })
        .unwrap();
        (out, ended)
    }

    fn seekable(method: zip::CompressionMethod) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default().compression_method(method);
        writer.add_directory("d/", options).unwrap();
        writer.start_file("d/a.txt", options).unwrap();
        writer.write_all(b"alpha").unwrap();
        writer.start_file("b.txt", options).unwrap();
        writer.write_all(&b"beta ".repeat(1000)).unwrap();
        writer.finish().unwrap().into_inner()
    }

    #[test]
    fn sized_entries_both_methods() {
        for method in [
            zip::CompressionMethod::Stored,
            zip::CompressionMethod::Deflated,
        ] {
            let (found, ended) = entries(&seekable(method));
            assert_eq!(ended, Ended::Done);
            assert_eq!(found.len(), 2);
            assert_eq!(found[0], ("d/a.txt".to_owned(), b"alpha".to_vec()));
            assert_eq!(found[1].1.len(), 5000);
        }
    }

    #[test]
    fn data_descriptors_after_deflated_entries() {
        // a streaming writer cannot seek back, so sizes follow the data
        let mut writer = zip::ZipWriter::new_stream(Vec::new());
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, text) in [("one", "first"), ("two", "second")] {
            writer.start_file(name, options).unwrap();
            writer.write_all(text.as_bytes()).unwrap();
        }
        let bytes = writer.finish().unwrap().into_inner();
        assert_ne!(bytes[6] & 0x08, 0, "the writer used a data descriptor");
        let (found, ended) = entries(&bytes);
        assert_eq!(ended, Ended::Done);
        let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["one", "two"]);
        assert_eq!(found[1].1, b"second");
    }

    #[test]
    fn unsized_stored_entries_and_garbage_stop_the_walk() {
        let mut bytes = seekable(zip::CompressionMethod::Stored);
        bytes[6] |= 0x08; // the directory entry now claims a data descriptor
        let (found, ended) = entries(&bytes);
        assert!(found.is_empty());
        assert!(matches!(ended, Ended::Stopped(why) if why.contains("no size")));
        let (_, ended) = entries(b"PK\x05\x05 not a zip");
        assert!(matches!(ended, Ended::Stopped(_)));
        let cut = seekable(zip::CompressionMethod::Stored);
        let mut reader = io::BufReader::new(&cut[..cut.len() / 2]);
        let result = walk(&mut reader, 100, 1 << 20, |_, content| {
            io::copy(content, &mut io::sink()).map(|_| ())
        });
        assert!(result.is_err(), "a zip cut mid-entry is an error");
    }
}
