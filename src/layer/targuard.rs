//! A guard under the tar reader: it follows the tar framing of the bytes it passes on (headers,
//! data padded to 512, GNU sparse extension blocks, a PAX `size` record overriding the next
//! entry's size, the way the `tar` crate frames them) and stops with an error when a GNU long
//! name or link (`L`, `K`) or a PAX header (`x`) is larger than a cap. The `tar` crate reads
//! those headers whole into memory before the entry they describe, so without the guard a
//! hostile layer could make one name as large as the layer. Bytes are never changed; when the
//! framing cannot be followed (a bad checksum, a bad size field), the guard steps aside and the
//! tar reader reports the problem itself, through [`quiet`]: its messages quote the header
//! they could not parse, and once the framing is lost that header is file content.

use std::io::{self, Read, Seek, SeekFrom};

/// The tar reader's error without the bytes it quotes. A header it cannot parse is quoted (its
/// name field, up to 100 bytes, and the field's text), and where the framing is lost (a corrupt
/// size, a blob that is not a tar) the "header" is whatever comes next: the first line of a
/// `.env` printed into a CI log. Such a message keeps what went wrong and drops the bytes:
/// `a tar header's cksum field is not a number`.
pub fn quiet(e: io::Error) -> io::Error {
    let message = e.to_string();
    if !message.starts_with("numeric field") {
        return e;
    }
    let known = ["size", "mode", "uid", "gid", "mtime", "cksum"];
    let field = message.split_once(" when getting ").map(|(_, rest)| rest);
    let field = field.and_then(|rest| rest.split_once(' ')).map(|(f, _)| f);
    let field = field.filter(|f| known.contains(f)).unwrap_or("numeric");
    io::Error::new(
        e.kind(),
        format!("a tar header's {field} field is not a number"),
    )
}

/// The largest GNU long name/link or PAX extended header read (Linux paths stop at 4 KiB;
/// PAX headers also carry xattrs, which stop at 64 KiB).
pub const MAX_HEADER_DATA: u64 = 1 << 20;

const BLOCK: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Collecting a header block.
    Header,
    /// Collecting a GNU sparse extension block; `data` follows them.
    Sparse { data: u64 },
    /// Inside an entry's data (padding included); `pax` collects a PAX header's `size` bytes.
    Data { remaining: u64, pax: u64 },
    /// The framing was lost; bytes pass unchecked.
    Off,
}

/// Passes a tar stream through, checking the size of the headers the tar reader buffers.
pub struct Guard<R> {
    inner: R,
    state: State,
    block: [u8; BLOCK],
    filled: usize,
    /// Data of the PAX header being read.
    pax: Vec<u8>,
    /// A PAX `size` waiting for the entry it describes.
    pax_size: Option<u64>,
    limit: u64,
    /// Bytes passed on so far (the position [`Seek`] reports).
    position: u64,
    /// Where skipped bytes are read to, allocated on the first skip and reused.
    skipped: Vec<u8>,
}

impl<R: Read> Guard<R> {
    /// Guards `inner` with the default cap.
    pub fn new(inner: R) -> Guard<R> {
        Guard::with_limit(inner, MAX_HEADER_DATA)
    }

    /// Guards `inner`, refusing extension headers larger than `limit` bytes.
    pub fn with_limit(inner: R, limit: u64) -> Guard<R> {
        Guard {
            inner,
            state: State::Header,
            block: [0; BLOCK],
            filled: 0,
            pax: Vec::new(),
            pax_size: None,
            limit,
            position: 0,
            skipped: Vec::new(),
        }
    }

    fn inspect(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            match self.state {
                State::Off => return Ok(()),
                State::Data { remaining, pax } => {
                    let take = remaining.min(bytes.len() as u64) as usize;
                    let keep = pax.saturating_sub(self.pax.len() as u64).min(take as u64);
                    self.pax.extend_from_slice(&bytes[..keep as usize]);
                    bytes = &bytes[take..];
                    let remaining = remaining - take as u64;
                    self.state = State::Data { remaining, pax };
                    if remaining == 0 {
                        if pax > 0 {
                            self.pax_size = pax_size(&self.pax);
                            self.pax = Vec::new();
                        }
                        self.state = State::Header;
                    }
                }
                State::Header | State::Sparse { .. } => {
                    let take = (BLOCK - self.filled).min(bytes.len());
                    self.block[self.filled..self.filled + take].copy_from_slice(&bytes[..take]);
                    self.filled += take;
                    bytes = &bytes[take..];
                    if self.filled == BLOCK {
                        self.filled = 0;
                        self.state = match self.state {
                            State::Sparse { data } if self.block[504] != 0 => {
                                State::Sparse { data }
                            }
                            State::Sparse { data } => data_state(data, 0),
                            _ => self.header()?,
                        };
                    }
                }
            }
        }
        Ok(())
    }

    /// Judges a complete header block; returns what follows it.
    fn header(&mut self) -> io::Result<State> {
        let h = &self.block;
        if h.iter().all(|&b| b == 0) {
            return Ok(State::Header);
        }
        let sum: u32 = h[..148]
            .iter()
            .chain(&h[156..])
            .map(|&b| u32::from(b))
            .sum();
        let (Some(stored), Some(size)) = (number(&h[148..156]), number(&h[124..136])) else {
            return Ok(State::Off);
        };
        if u64::from(sum + 8 * 32) != stored {
            return Ok(State::Off);
        }
        let ustar = &h[257..265] == b"ustar\x0000";
        let gnu = &h[257..265] == b"ustar  \x00";
        let kind = if ustar || gnu { h[156] } else { b'0' };
        let what = match kind {
            b'L' => Some("GNU long name"),
            b'K' => Some("GNU long link name"),
            b'x' => Some("PAX extended header"),
            _ => None,
        };
        if let Some(what) = what {
            if size > self.limit {
                let message = format!("a {what} of {size} bytes (limit {})", self.limit);
                return Err(io::Error::other(message));
            }
            let pax = if kind == b'x' { size } else { 0 };
            return Ok(data_state(size, pax));
        }
        let size = match kind {
            b'g' => size,
            _ => self.pax_size.unwrap_or(size),
        };
        self.pax_size = None;
        if kind == b'S' && gnu && h[482] != 0 {
            return Ok(State::Sparse { data: size });
        }
        Ok(data_state(size, 0))
    }
}

/// The state after a header announcing `size` data bytes.
fn data_state(size: u64, pax: u64) -> State {
    match size.checked_add(BLOCK as u64 - 1) {
        Some(padded) if padded / BLOCK as u64 > 0 => State::Data {
            remaining: padded & !(BLOCK as u64 - 1),
            pax,
        },
        Some(_) => State::Header,
        None => State::Off,
    }
}

/// A numeric header field: octal text, or GNU base-256 when the high bit is set.
fn number(field: &[u8]) -> Option<u64> {
    if field[0] & 0x80 != 0 {
        let skip = field.len().saturating_sub(8).max(1);
        let first = if field.len() == 8 {
            u64::from(field[0] ^ 0x80)
        } else {
            0
        };
        return Some(
            field[skip..]
                .iter()
                .fold(first, |n, &b| (n << 8) | u64::from(b)),
        );
    }
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    let text = std::str::from_utf8(&field[..end]).ok()?;
    u64::from_str_radix(text.trim(), 8).ok()
}

/// The `size` record of a PAX header, read as the `tar` crate reads it.
fn pax_size(data: &[u8]) -> Option<u64> {
    for extension in tar::PaxExtensions::new(data) {
        let extension = extension.ok()?;
        if extension.key() == Ok("size") {
            return extension.value().ok()?.parse().ok();
        }
    }
    None
}

impl<R: Read> Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.inspect(&buf[..n])?;
        self.position += n as u64;
        Ok(n)
    }
}

/// Forward seeks only, made by reading (through the guard, whose framing must see every byte):
/// the tar reader skips the unread rest and padding of each entry by seeking when it can, and
/// otherwise reads it into a 32 KiB buffer it zeroes on every call, even to skip nothing, which
/// was 9 % of the instructions of scanning a layer of 17,000 files. Any other seek is refused;
/// a skip past the end is an error, as the tar reader's own skip makes it.
impl<R: Read> Seek for Guard<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let SeekFrom::Current(mut amount) = pos else {
            return Err(io::Error::other("a tar layer is only read forwards"));
        };
        if amount < 0 {
            return Err(io::Error::other("a tar layer is only read forwards"));
        }
        if amount > 0 && self.skipped.is_empty() {
            self.skipped = vec![0; 32 << 10];
        }
        while amount > 0 {
            let mut buffer = std::mem::take(&mut self.skipped);
            let want = usize::try_from(amount).map_or(buffer.len(), |a| a.min(buffer.len()));
            let read = self.read(&mut buffer[..want]);
            self.skipped = buffer;
            match read? {
                0 => return Err(io::Error::other("unexpected EOF during skip")),
                n => amount -= n as i64,
            }
        }
        Ok(self.position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(builder: &mut tar::Builder<Vec<u8>>, name: &str, data: &[u8]) {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        builder.append_data(&mut header, name, data).unwrap();
    }

    /// Reads `bytes` through the guard with the tar crate; returns the names or the error.
    fn names(bytes: &[u8], limit: u64) -> Result<Vec<String>, String> {
        let guard = Guard::with_limit(bytes, limit);
        let mut archive = tar::Archive::new(guard);
        let mut names = Vec::new();
        for entry in archive.entries().map_err(|e| e.to_string())? {
            let mut entry = entry.map_err(|e| e.to_string())?;
            names.push(String::from_utf8_lossy(&entry.path_bytes()).into_owned());
            io::copy(&mut entry, &mut io::sink()).map_err(|e| e.to_string())?;
        }
        Ok(names)
    }

    #[test]
    fn errors_do_not_quote_the_header() {
        let mut block = [0u8; 512];
        let line = b"GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123";
        block[..line.len()].copy_from_slice(line);
        let mut archive = tar::Archive::new(&block[..]);
        let entry = archive.entries().unwrap().next().unwrap();
        let raw = entry.err().expect("a header that does not parse");
        assert!(
            raw.to_string().contains("ghp_"),
            "the tar reader quotes it: {raw}"
        );
        let quiet = quiet(raw).to_string();
        assert_eq!(quiet, "a tar header's cksum field is not a number");
        let e = io::Error::other("numeric field was not a number: ghp_abc");
        assert_eq!(
            quiet_text(e),
            "a tar header's numeric field is not a number"
        );
        let e = io::Error::other("archive header checksum mismatch");
        assert_eq!(quiet_text(e), "archive header checksum mismatch");
    }

    fn quiet_text(e: io::Error) -> String {
        quiet(e).to_string()
    }

    #[test]
    fn ordinary_archives_pass_untouched() {
        let mut builder = tar::Builder::new(Vec::new());
        let long = "d/".repeat(200) + "file";
        entry(&mut builder, "a", b"hello");
        entry(&mut builder, &long, &[7; 1500]);
        entry(&mut builder, "b", b"");
        let bytes = builder.into_inner().unwrap();
        assert_eq!(names(&bytes, 4096).unwrap(), ["a", long.as_str(), "b"]);
    }

    #[test]
    fn a_long_name_over_the_cap_is_an_error() {
        let mut builder = tar::Builder::new(Vec::new());
        entry(&mut builder, "a", b"hello");
        entry(&mut builder, &"n".repeat(5000), b"x");
        let bytes = builder.into_inner().unwrap();
        let error = names(&bytes, 4096).unwrap_err();
        assert!(error.contains("GNU long name of 5001 bytes"), "{error}");
    }

    #[test]
    fn a_pax_header_over_the_cap_is_an_error() {
        let mut pax = tar::Header::new_ustar();
        pax.set_entry_type(tar::EntryType::XHeader);
        pax.set_size(1 << 30);
        pax.set_cksum();
        let mut bytes = pax.as_bytes().to_vec();
        bytes.resize(64 << 10, b'7');
        let error = names(&bytes, 4096).unwrap_err();
        assert!(
            error.contains("PAX extended header of 1073741824 bytes"),
            "{error}"
        );
    }

    #[test]
    fn a_pax_size_record_moves_the_next_header() {
        // a PAX header saying the next entry holds 1024 bytes although its header says 0;
        // the data then looks like a huge long-name header, which must be skipped as data
        let mut pax = tar::Header::new_ustar();
        let record = b"13 size=1024\n";
        pax.set_entry_type(tar::EntryType::XHeader);
        pax.set_size(record.len() as u64);
        pax.set_cksum();
        let mut fake = tar::Header::new_gnu();
        fake.set_entry_type(tar::EntryType::GNULongName);
        fake.set_size(1 << 40);
        fake.set_cksum();
        let mut file = tar::Header::new_ustar();
        file.set_path("big").unwrap();
        file.set_size(0);
        file.set_cksum();
        let mut bytes = Vec::new();
        bytes.extend_from_slice(pax.as_bytes());
        bytes.extend_from_slice(record);
        bytes.resize(1024, 0);
        bytes.extend_from_slice(file.as_bytes());
        bytes.extend_from_slice(fake.as_bytes());
        bytes.resize(bytes.len() + 512, 1);
        bytes.resize(bytes.len() + 1024, 0);
        assert_eq!(names(&bytes, 4096).unwrap(), ["big"]);
        // without the PAX record, the same bytes hold a 1 TiB long name
        assert!(names(&bytes[1024..], 4096).is_err());
    }

    /// Names and sizes read with the tar reader seeking past every entry's data.
    fn skipped(bytes: &[u8], limit: u64) -> Result<Vec<(String, u64)>, String> {
        let mut archive = tar::Archive::new(Guard::with_limit(bytes, limit));
        let mut names = Vec::new();
        for entry in archive.entries_with_seek().map_err(|e| e.to_string())? {
            let entry = entry.map_err(|e| e.to_string())?;
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            names.push((name, entry.size()));
        }
        Ok(names)
    }

    #[test]
    fn entries_skipped_by_seeking_keep_the_framing() {
        let mut builder = tar::Builder::new(Vec::new());
        entry(&mut builder, "a", &[1; 70_000]);
        entry(&mut builder, "b", b"");
        entry(&mut builder, &"n".repeat(300), &[2; 513]);
        let ok = builder.into_inner().unwrap();
        let expected = [
            ("a".into(), 70_000),
            ("b".into(), 0),
            ("n".repeat(300), 513),
        ];
        assert_eq!(skipped(&ok, 4096).unwrap(), expected);
        // the guard sees the skipped bytes: a long name after them is still judged
        let mut builder = tar::Builder::new(Vec::new());
        entry(&mut builder, "a", &[1; 70_000]);
        entry(&mut builder, &"n".repeat(5000), b"x");
        let error = skipped(&builder.into_inner().unwrap(), 4096).unwrap_err();
        assert!(error.contains("GNU long name of 5001 bytes"), "{error}");
        // a layer cut inside an entry's data ends in an error, not a quiet end
        let error = skipped(&ok[..40_000], 4096).unwrap_err();
        assert!(error.contains("unexpected EOF"), "{error}");
        let mut guard = Guard::new(&ok[..]);
        assert!(guard.seek(SeekFrom::Start(0)).is_err());
        assert!(guard.seek(SeekFrom::Current(-1)).is_err());
        assert_eq!(guard.seek(SeekFrom::Current(1000)).unwrap(), 1000);
    }

    #[test]
    fn numbers_in_octal_and_base_256() {
        assert_eq!(number(b"00000001750\0"), Some(1000));
        assert_eq!(number(b"  1750 \0\0\0\0\0"), Some(1000));
        let mut big = [0u8; 12];
        big[0] = 0x80;
        big[4..].copy_from_slice(&(10u64 << 30).to_be_bytes());
        assert_eq!(number(&big), Some(10 << 30));
        assert_eq!(number(b"zz\0"), None);
    }
}
