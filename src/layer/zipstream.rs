//! Reading a zip (`.jar`, `.war`, `.whl`) front to back, entry by entry from its local headers,
//! so a zip inside a layer is never held in memory whatever its size. Deflated entries end where
//! their deflate stream ends, so data descriptors (sizes written after the data, as `jar` and
//! streaming writers do) are handled; a stored entry with a data descriptor (Go's and Python's
//! streaming writers) ends at the first descriptor signature whose CRC-32 and sizes match the
//! bytes before it. Where the local headers cannot be followed (an unknown method with no size,
//! bytes that are no local header), the walk stops and says so, and the caller scans the rest as
//! plain bytes: a stored entry's content is its bytes, so nothing readable is lost.

use std::io::{self, BufRead, Read};

use flate2::bufread::DeflateDecoder;

use super::budget::{Budget, Metered};
use super::decode::drain;

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
/// skip an entry's unread rest. Every inflated byte, drained ones too, is drawn from `budget`.
pub fn walk(
    reader: &mut dyn BufRead,
    max_entries: u64,
    max_drain: u64,
    budget: &Budget,
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
                let mut inflated = Metered::new(DeflateDecoder::new(&mut *reader), budget);
                each(entry, &mut inflated)?;
                drain(&mut inflated, max_drain, "a zip entry")?;
            }
            (0, false) if !encrypted => {
                let mut stored = (&mut *reader).take(compressed);
                each(entry, &mut stored)?;
                drain(&mut stored, u64::MAX, "a zip entry")?;
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
            (0, true) if !encrypted => {
                let mut stored = StoredUntilDescriptor::new(&mut *reader, zip64);
                each(entry, &mut stored)?;
                drain(&mut stored, u64::MAX, "a zip entry")?;
                continue; // the descriptor was read to find the end
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

/// Skips a data descriptor: an optional signature, the CRC, then both sizes. The first four
/// bytes are read, not peeked: a buffer may hold fewer than four at its end.
fn skip_descriptor(reader: &mut dyn BufRead, zip64: bool) -> io::Result<()> {
    let mut first = [0u8; 4];
    reader.read_exact(&mut first)?;
    let sizes = if zip64 { 16 } else { 8 };
    let rest = match u32::from_le_bytes(first) == DESCRIPTOR {
        true => 4 + sizes, // the signature, then the CRC
        false => sizes,    // that was the CRC
    };
    reader.read_exact(&mut [0u8; 20][..rest])
}

/// A stored entry whose sizes follow it: its bytes, up to the data descriptor that matches
/// them (signature, CRC-32 of the bytes, both sizes equal to their count). Bytes at a possible
/// descriptor are held back until it is known to be one or not; fewer than a descriptor's length
/// are ever held, and never a byte past a real descriptor, so the next entry is left unread.
struct StoredUntilDescriptor<'r> {
    inner: &'r mut dyn BufRead,
    /// Bytes from a possible descriptor's start, not yet known to be data.
    held: Vec<u8>,
    /// 16, or 24 with ZIP64 sizes.
    descriptor_len: usize,
    crc: crc32fast::Hasher,
    count: u64,
    done: bool,
}

/// The descriptor signature's bytes.
const SIGNATURE: [u8; 4] = DESCRIPTOR.to_le_bytes();

impl<'r> StoredUntilDescriptor<'r> {
    fn new(inner: &'r mut dyn BufRead, zip64: bool) -> Self {
        StoredUntilDescriptor {
            inner,
            held: Vec::with_capacity(24),
            descriptor_len: if zip64 { 24 } else { 16 },
            crc: crc32fast::Hasher::new(),
            count: 0,
            done: false,
        }
    }

    /// True when `held` is the descriptor of the bytes given out so far.
    fn is_descriptor(&self) -> bool {
        let h = &self.held;
        let u32_at = |at: usize| u32::from_le_bytes([h[at], h[at + 1], h[at + 2], h[at + 3]]);
        let u64_at = |at: usize| u64::from(u32_at(at)) | u64::from(u32_at(at + 4)) << 32;
        let (compressed, size) = match self.descriptor_len {
            24 => (u64_at(8), u64_at(16)),
            _ => (u64::from(u32_at(8)), u64::from(u32_at(12))),
        };
        h[..4] == SIGNATURE
            && u32_at(4) == self.crc.clone().finalize()
            && compressed == self.count
            && size == self.count
    }
}

impl StoredUntilDescriptor<'_> {
    /// True when what follows a matching descriptor can be the zip's next record (or its end):
    /// the data of an entry read so far may itself start like a descriptor of nothing
    /// (`PK\x07\x08` and twelve zeros), but is then rarely followed by a record signature.
    /// Only the bytes already buffered are looked at (the rest belongs to the next entry).
    fn record_follows(&mut self) -> io::Result<bool> {
        let next = self.inner.fill_buf()?;
        let seen = &next[..next.len().min(4)];
        let records = [LOCAL_HEADER, CENTRAL_HEADER, END_OF_CENTRAL, ZIP64_END];
        Ok(records.iter().any(|r| r.to_le_bytes().starts_with(seen)))
    }
}

/// Copies what fits of `bytes` (entry data) into `out`, counting and hashing it.
fn give(crc: &mut crc32fast::Hasher, count: &mut u64, bytes: &[u8], out: &mut [u8]) -> usize {
    let n = bytes.len().min(out.len());
    out[..n].copy_from_slice(&bytes[..n]);
    crc.update(&bytes[..n]);
    *count += n as u64;
    n
}

/// Where a descriptor may start in `bytes`: the signature, or a prefix of it at the end.
fn possible_descriptor(bytes: &[u8]) -> Option<usize> {
    memchr::memmem::find(bytes, &SIGNATURE).or_else(|| {
        (1..SIGNATURE.len())
            .rev()
            .find(|&k| bytes.ends_with(&SIGNATURE[..k]))
            .map(|k| bytes.len() - k)
    })
}

impl Read for StoredUntilDescriptor<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let cut = || {
            io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "no data descriptor ends the stored zip entry",
            )
        };
        while !self.done && !out.is_empty() {
            if !self.held.is_empty() {
                let need = self.descriptor_len - self.held.len();
                if need > 0 {
                    let available = self.inner.fill_buf()?;
                    if available.is_empty() {
                        return Err(cut());
                    }
                    let take = need.min(available.len());
                    self.held.extend_from_slice(&available[..take]);
                    self.inner.consume(take);
                    continue;
                }
                if self.is_descriptor() && self.record_follows()? {
                    self.done = true;
                    break;
                }
                // data after all, up to the next possible descriptor among the held bytes
                let next = possible_descriptor(&self.held[1..]).map_or(self.held.len(), |p| p + 1);
                let n = give(&mut self.crc, &mut self.count, &self.held[..next], out);
                self.held.drain(..n);
                return Ok(n);
            }
            let available = self.inner.fill_buf()?;
            if available.is_empty() {
                return Err(cut());
            }
            match possible_descriptor(available) {
                Some(0) => {
                    let take = self.descriptor_len.min(available.len());
                    self.held.extend_from_slice(&available[..take]);
                    self.inner.consume(take);
                }
                found => {
                    let end = found.unwrap_or(available.len());
                    let n = give(&mut self.crc, &mut self.count, &available[..end], out);
                    self.inner.consume(n);
                    return Ok(n);
                }
            }
        }
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    /// Walks up to 100 entries, draining at most 1 MiB, with no decompression budget.
    fn walk_any(
        reader: &mut dyn BufRead,
        each: impl FnMut(Entry<'_>, &mut dyn Read) -> io::Result<()>,
    ) -> io::Result<Ended> {
        walk(reader, 100, 1 << 20, &Budget::new(u64::MAX), each)
    }

    fn entries(bytes: &[u8]) -> (Vec<(String, Vec<u8>)>, Ended) {
        let mut out = Vec::new();
        let mut reader = io::BufReader::new(bytes);
        let ended = walk_any(&mut reader, |entry, content| {
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
        // a descriptor that straddles the end of the reader's buffer (jars of many entries
        // put one there every 64 KiB), at every split
        for capacity in 1..=64 {
            let mut names = Vec::new();
            let mut reader = io::BufReader::with_capacity(capacity, &bytes[..]);
            let ended = walk_any(&mut reader, |entry, content| {
                io::copy(content, &mut io::sink())?;
                names.push(String::from_utf8_lossy(entry.name).into_owned());
                Ok(())
            });
            assert_eq!(ended.unwrap(), Ended::Done, "buffer of {capacity}");
            assert_eq!(names, ["one", "two"], "buffer of {capacity}");
        }
        // and without the optional signature
        let unsigned = strip_descriptor_signatures(&bytes);
        assert_eq!(entries(&unsigned).0, found);
    }

    /// The zip with `PK\x07\x08` removed before each data descriptor (the signature is optional).
    fn strip_descriptor_signatures(zip: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut rest = zip;
        while let Some(at) = memchr::memmem::find(rest, &SIGNATURE) {
            out.extend_from_slice(&rest[..at]);
            rest = &rest[at + 4..];
        }
        out.extend_from_slice(rest);
        out
    }

    /// A zip of stored entries whose sizes follow their data, as Go's and Python's streaming
    /// writers make them: `(name, data, ZIP64)`; with the signature before each descriptor.
    fn stored_with_descriptors(files: &[(&str, &[u8], bool)]) -> Vec<u8> {
        let mut zip = Vec::new();
        for (name, data, zip64) in files {
            zip.extend_from_slice(&LOCAL_HEADER.to_le_bytes());
            zip.extend_from_slice(&[20, 0, 0x08, 0, 0, 0, 0, 0, 0, 0]); // flags 8, method 0
            zip.extend_from_slice(&[0; 12]); // CRC and sizes: in the descriptor
            let extra: &[u8] = if *zip64 { &[1, 0, 16, 0] } else { &[] };
            let extra_len = extra.len() + if *zip64 { 16 } else { 0 };
            zip.extend_from_slice(&(name.len() as u16).to_le_bytes());
            zip.extend_from_slice(&(extra_len as u16).to_le_bytes());
            zip.extend_from_slice(name.as_bytes());
            zip.extend_from_slice(extra);
            zip.extend_from_slice(&[0; 16][..extra_len - extra.len()]);
            zip.extend_from_slice(data);
            zip.extend_from_slice(&SIGNATURE);
            zip.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
            for _ in 0..2 {
                match zip64 {
                    true => zip.extend_from_slice(&(data.len() as u64).to_le_bytes()),
                    false => zip.extend_from_slice(&(data.len() as u32).to_le_bytes()),
                }
            }
        }
        zip.extend_from_slice(&CENTRAL_HEADER.to_le_bytes());
        zip
    }

    #[test]
    fn stored_entries_end_at_the_descriptor_that_matches_them() {
        // data holding descriptor signatures that are not its descriptor: with a wrong CRC,
        // cut short by the end of the data, or a prefix of one at the very end
        let tricky = [
            SIGNATURE.as_slice(),
            b"\0\0\0\0\x05\0\0\0\x05\0\0\0 and PK\x07",
        ]
        .concat();
        let files: [(&str, &[u8], bool); 6] = [
            ("empty", b"", false),
            ("tricky", &tricky, false),
            (
                "like-empty",
                b"PK\x07\x08\0\0\0\0\0\0\0\0\0\0\0\0more",
                false,
            ),
            ("ends-in-sig", b"abcPK\x07\x08", false),
            ("big", &[b'x'; 5000], true),
            ("last.txt", b"ghp_token", false),
        ];
        let zip = stored_with_descriptors(&files);
        // every buffer size, so each possible descriptor straddles every refill boundary
        for capacity in 1..=48 {
            let mut out = Vec::new();
            let mut reader = io::BufReader::with_capacity(capacity, &zip[..]);
            let ended = walk_any(&mut reader, |entry, content| {
                let mut data = Vec::new();
                content.read_to_end(&mut data)?;
                out.push((String::from_utf8_lossy(entry.name).into_owned(), data));
                Ok(())
            })
            .unwrap();
            assert_eq!(ended, Ended::Done, "buffer of {capacity}");
            let expected: Vec<(String, Vec<u8>)> = files
                .iter()
                .map(|(name, data, _)| (name.to_string(), data.to_vec()))
                .collect();
            assert_eq!(out, expected, "buffer of {capacity}");
        }
        // an entry read in part: the rest is drained up to its descriptor, the next one follows
        let mut names = Vec::new();
        let mut reader = io::BufReader::with_capacity(7, &zip[..]);
        walk_any(&mut reader, |entry, content| {
            names.push(String::from_utf8_lossy(entry.name).into_owned());
            content.read_exact(&mut [0u8; 1]).or(Ok(()))
        })
        .unwrap();
        let expected = [
            "empty",
            "tricky",
            "like-empty",
            "ends-in-sig",
            "big",
            "last.txt",
        ];
        assert_eq!(names, expected);
    }

    #[test]
    fn a_stored_entry_without_its_descriptor_is_an_error() {
        let mut zip = stored_with_descriptors(&[("a", b"data", false)]);
        zip.truncate(zip.len() - 4 - 16); // no central directory, no descriptor
        let mut reader = io::BufReader::new(&zip[..]);
        let result = walk_any(&mut reader, |_, content| {
            io::copy(content, &mut io::sink()).map(|_| ())
        });
        let error = result.unwrap_err();
        assert!(error.to_string().contains("no data descriptor"), "{error}");
    }

    #[test]
    fn unsized_entries_of_other_methods_and_garbage_stop_the_walk() {
        let mut bytes = seekable(zip::CompressionMethod::Stored);
        bytes[6] |= 0x08; // the directory entry now claims a data descriptor
        bytes[8] = 12; // and bzip2, which is not decoded
        let (found, ended) = entries(&bytes);
        assert!(found.is_empty());
        assert!(matches!(ended, Ended::Stopped(why) if why.contains("no size")));
        let (_, ended) = entries(b"PK\x05\x05 not a zip");
        assert!(matches!(ended, Ended::Stopped(_)));
        let cut = seekable(zip::CompressionMethod::Stored);
        let mut reader = io::BufReader::new(&cut[..cut.len() / 2]);
        let result = walk_any(&mut reader, |_, content| {
            io::copy(content, &mut io::sink()).map(|_| ())
        });
        assert!(result.is_err(), "a zip cut mid-entry is an error");
    }
}
