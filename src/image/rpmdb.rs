//! rpm's package database, read without SQLite: which package installed which file, in the
//! images of Fedora, RHEL/UBI 9, Rocky, Alma and Amazon Linux 2023 (`rpmdb.sqlite`, under
//! `var/lib/rpm/` or `usr/lib/sysimage/rpm/`). Only what ownership needs is read: the
//! `Packages` table's rows (SQLite's file format: the schema on page 1, table b-trees, overflow
//! chains, records), and in each row's rpm header the package name and its file list (`NAME`,
//! `DIRNAMES`, `DIRINDEXES`, `BASENAMES`, or the old `OLDFILENAMES`). Every offset is checked,
//! every walk is bounded by the file's page count, and a database that does not read is an
//! error, never a panic. Pages still in a write-ahead log (`rpmdb.sqlite-wal`) are not seen:
//! rpm checkpoints when it closes the database, so an image's log is empty.

/// Largest row (an rpm header) assembled from a page and its overflow chain.
const MAX_ROW_BYTES: usize = 32 << 20;
/// Deepest table b-tree followed.
const MAX_DEPTH: usize = 32;
/// Most bytes of paths listed, all packages together (a 1,500-package Fedora lists about 15 MB;
/// a hostile header could name one long directory a million times).
const MAX_PATH_BYTES: usize = 64 << 20;

/// `(path without leading /, package name)` for every file of every package in `db`.
pub fn files(db: &[u8]) -> Result<Vec<(String, String)>, String> {
    let db = Db::new(db)?;
    let root = db.packages_root()?;
    let mut out = Vec::new();
    let mut pages = 0;
    let mut listed = 0;
    db.rows(root, &mut pages, &mut |row| {
        let values = record(row)?;
        // `hnum INTEGER PRIMARY KEY` is the row id, stored as NULL; the header is column 1
        if let Some(Value::Blob(blob)) = values.get(1) {
            let (name, paths) = header_files(blob, MAX_PATH_BYTES - listed)?;
            listed += paths.iter().map(String::len).sum::<usize>();
            out.extend(paths.into_iter().map(|p| (p, name.clone())));
        }
        Ok(())
    })?;
    Ok(out)
}

/// True when `bytes` begin like an SQLite database.
pub fn is_sqlite(bytes: &[u8]) -> bool {
    bytes.starts_with(b"SQLite format 3\0")
}

/// One SQLite file, its pages of `page_size` bytes, `usable` of them per page.
struct Db<'a> {
    bytes: &'a [u8],
    page_size: usize,
    usable: usize,
    pages: usize,
}

/// A record value; only what the schema and `Packages` rows hold is kept apart.
#[derive(Debug, PartialEq)]
enum Value<'a> {
    Null,
    Int(i64),
    Text(&'a [u8]),
    Blob(&'a [u8]),
    Other,
}

impl<'a> Db<'a> {
    fn new(bytes: &'a [u8]) -> Result<Db<'a>, String> {
        if !is_sqlite(bytes) || bytes.len() < 100 {
            return Err("not an SQLite database".into());
        }
        let page_size = match u16::from_be_bytes([bytes[16], bytes[17]]) {
            1 => 65536,
            n => usize::from(n),
        };
        if page_size < 512 || !page_size.is_power_of_two() {
            return Err(format!(
                "page size {page_size} is not a valid SQLite page size"
            ));
        }
        let usable = page_size - usize::from(bytes[20]);
        if usable < 480 {
            return Err("reserved space leaves too small a page".into());
        }
        Ok(Db {
            bytes,
            page_size,
            usable,
            pages: bytes.len() / page_size,
        })
    }

    /// Page `n` (1-based), whole.
    fn page(&self, n: u32) -> Result<&'a [u8], String> {
        let n = n as usize;
        if n == 0 || n > self.pages {
            return Err(format!(
                "page {n} is outside the file's {} pages",
                self.pages
            ));
        }
        Ok(&self.bytes[(n - 1) * self.page_size..n * self.page_size])
    }

    /// The root page of the `Packages` table, from the schema on page 1.
    fn packages_root(&self) -> Result<u32, String> {
        let mut root = None;
        let mut pages = 0;
        self.rows(1, &mut pages, &mut |row| {
            let values = record(row)?;
            if let [
                Value::Text(b"table"),
                Value::Text(b"Packages"),
                _,
                Value::Int(page),
                ..,
            ] = values.as_slice()
            {
                root = u32::try_from(*page).ok();
            }
            Ok(())
        })?;
        root.ok_or_else(|| "no Packages table".into())
    }

    /// Calls `each` with every row's payload of the table b-tree rooted at `root`; `pages` counts
    /// the pages visited, which may not exceed the file's.
    fn rows(
        &self,
        root: u32,
        pages: &mut usize,
        each: &mut dyn FnMut(&[u8]) -> Result<(), String>,
    ) -> Result<(), String> {
        let mut stack = vec![(root, 0usize)];
        while let Some((number, depth)) = stack.pop() {
            *pages += 1;
            if *pages > self.pages || depth > MAX_DEPTH {
                return Err("the table's pages form a loop".into());
            }
            let page = self.page(number)?;
            // page 1 holds the 100-byte file header before its b-tree header
            let at = if number == 1 { 100 } else { 0 };
            let kind = page[at];
            let header = match kind {
                0x0d => 8,
                0x05 => 12,
                _ => return Err(format!("page {number} is no table page (type {kind:#x})")),
            };
            let cells = usize::from(u16_at(page, at + 3)?);
            let pointers = at + header;
            if kind == 0x05 {
                stack.push((u32_at(page, at + 8)?, depth + 1));
            }
            // a tree never waits on more pages than the file has
            if stack.len() + cells > self.pages {
                return Err(format!(
                    "page {number} points at more pages than the file has"
                ));
            }
            for i in 0..cells {
                let cell = usize::from(u16_at(page, pointers + 2 * i)?);
                if cell >= self.usable {
                    return Err(format!("cell {i} of page {number} lies outside it"));
                }
                if kind == 0x05 {
                    stack.push((u32_at(page, cell)?, depth + 1));
                } else {
                    let payload = self.payload(page, cell, pages)?;
                    each(&payload)?;
                }
            }
        }
        Ok(())
    }

    /// A leaf cell's whole payload: its local part and its overflow chain.
    fn payload(&self, page: &[u8], cell: usize, pages: &mut usize) -> Result<Vec<u8>, String> {
        let (size, n) = varint(page.get(cell..).unwrap_or_default())?;
        let (_rowid, m) = varint(page.get(cell + n..).unwrap_or_default())?;
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        if size > MAX_ROW_BYTES {
            return Err(format!("a row of {size} bytes"));
        }
        let start = cell + n + m;
        // how much of the payload the page keeps (SQLite's file format, "Cell Payload Overflow")
        let u = self.usable;
        let x = u - 35;
        let local = if size <= x {
            size
        } else {
            let min = (u - 12) * 32 / 255 - 23;
            let k = min + (size - min) % (u - 4);
            if k <= x { k } else { min }
        };
        let mut out = Vec::with_capacity(size);
        out.extend_from_slice(
            page.get(start..start + local)
                .ok_or("a cell runs past its page")?,
        );
        if local < size {
            let mut next = u32_at(page, start + local)?;
            while out.len() < size {
                *pages += 1;
                if *pages > self.pages {
                    return Err("an overflow chain forms a loop".into());
                }
                let overflow = self.page(next)?;
                next = u32_at(overflow, 0)?;
                let take = (size - out.len()).min(u - 4);
                out.extend_from_slice(&overflow[4..4 + take]);
            }
        }
        Ok(out)
    }
}

fn u16_at(bytes: &[u8], at: usize) -> Result<u16, String> {
    let two = bytes
        .get(at..at + 2)
        .ok_or("a page header runs past its page")?;
    Ok(u16::from_be_bytes([two[0], two[1]]))
}

fn u32_at(bytes: &[u8], at: usize) -> Result<u32, String> {
    let four = bytes
        .get(at..at + 4)
        .ok_or("a page number runs past its page")?;
    Ok(u32::from_be_bytes([four[0], four[1], four[2], four[3]]))
}

/// SQLite's variable-length integer: its value and length.
fn varint(bytes: &[u8]) -> Result<(u64, usize), String> {
    let mut value = 0u64;
    for (i, &b) in bytes.iter().take(9).enumerate() {
        if i == 8 {
            return Ok(((value << 8) | u64::from(b), 9));
        }
        value = (value << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    Err("a varint runs past its record".into())
}

/// The values of a record (SQLite's "Record Format").
fn record(payload: &[u8]) -> Result<Vec<Value<'_>>, String> {
    let (header, mut at) = varint(payload)?;
    let header = usize::try_from(header).unwrap_or(usize::MAX);
    if header > payload.len() {
        return Err("a record header runs past its record".into());
    }
    let mut body = header;
    let mut out = Vec::new();
    while at < header {
        let (kind, n) = varint(&payload[at..header])?;
        at += n;
        let len = match kind {
            0 | 8 | 9 => 0,
            1..=4 => kind as usize,
            5 => 6,
            6 | 7 => 8,
            12.. => usize::try_from((kind - 12) / 2).unwrap_or(usize::MAX),
            _ => return Err(format!("a record holds serial type {kind}")),
        };
        let bytes = payload
            .get(body..body.saturating_add(len))
            .ok_or("a record value runs past its record")?;
        body += len;
        out.push(match kind {
            0 => Value::Null,
            1..=6 => {
                let mut v = if bytes[0] & 0x80 != 0 { -1i64 } else { 0 };
                for &b in bytes {
                    v = (v << 8) | i64::from(b);
                }
                Value::Int(v)
            }
            8 => Value::Int(0),
            9 => Value::Int(1),
            k if k >= 12 && k % 2 == 0 => Value::Blob(bytes),
            k if k >= 13 => Value::Text(bytes),
            _ => Value::Other,
        });
    }
    Ok(out)
}

/// rpm header tags (rpmtag.h) and types.
const TAG_NAME: i32 = 1000;
const TAG_OLDFILENAMES: i32 = 1027;
const TAG_DIRINDEXES: i32 = 1116;
const TAG_BASENAMES: i32 = 1117;
const TAG_DIRNAMES: i32 = 1118;
const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;

/// A header's package name and file paths (without leading `/`), at most `budget` bytes of
/// them. The blob is rpm's on-disk header without its magic: entry count, data length, 16-byte
/// index entries, data.
fn header_files(blob: &[u8], budget: usize) -> Result<(String, Vec<String>), String> {
    let entries = u32_at(blob, 0)? as usize;
    let data_len = u32_at(blob, 4)? as usize;
    let data_start = entries
        .checked_mul(16)
        .and_then(|n| n.checked_add(8))
        .filter(|&n| n.saturating_add(data_len) <= blob.len())
        .ok_or("an rpm header is longer than its row")?;
    let data = &blob[data_start..data_start + data_len];
    let (mut name, mut dirs, mut indexes, mut bases, mut old) = (None, None, None, None, None);
    for i in 0..entries {
        let entry = &blob[8 + 16 * i..24 + 16 * i];
        let tag = i32::from_be_bytes([entry[0], entry[1], entry[2], entry[3]]);
        let kind = u32_at(entry, 4)?;
        let offset = u32_at(entry, 8)? as usize;
        let count = u32_at(entry, 12)? as usize;
        let at = data
            .get(offset..)
            .ok_or("an rpm header entry points past its data")?;
        match (tag, kind) {
            (TAG_NAME, TYPE_STRING) => name = strings(at, 1)?.pop(),
            (TAG_DIRNAMES, TYPE_STRING_ARRAY) => dirs = Some(strings(at, count)?),
            (TAG_BASENAMES, TYPE_STRING_ARRAY) => bases = Some(strings(at, count)?),
            (TAG_OLDFILENAMES, TYPE_STRING_ARRAY) => old = Some(strings(at, count)?),
            (TAG_DIRINDEXES, TYPE_INT32) => {
                let bytes = at
                    .get(..count.saturating_mul(4))
                    .ok_or("an rpm header's directory indexes run past its data")?;
                let values = bytes.chunks_exact(4);
                indexes = Some(
                    values
                        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
                        .collect::<Vec<_>>(),
                );
            }
            _ => {}
        }
    }
    let name = name.ok_or("an rpm header without a package name")?;
    let mut paths = Vec::new();
    let mut spent = 0usize;
    let mut keep = |path: &str| {
        let path = path.trim_start_matches('/');
        spent += path.len();
        if spent > budget {
            return Err(format!(
                "the database lists more than {} MiB of paths",
                MAX_PATH_BYTES >> 20
            ));
        }
        paths.push(path.to_owned());
        Ok(())
    };
    if let (Some(dirs), Some(indexes), Some(bases)) = (dirs, indexes, bases) {
        for (base, &index) in bases.iter().zip(&indexes) {
            let dir = dirs
                .get(index as usize)
                .ok_or("an rpm header's directory index is out of range")?;
            keep(&format!("{dir}{base}"))?;
        }
    } else if let Some(old) = old {
        for path in &old {
            keep(path)?;
        }
    }
    Ok((name, paths))
}

/// `count` NUL-terminated strings from the start of `data`.
fn strings(data: &[u8], count: usize) -> Result<Vec<String>, String> {
    let mut out = Vec::with_capacity(count.min(1 << 16));
    let mut rest = data;
    for _ in 0..count {
        let end = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or("an rpm header string runs past its data")?;
        out.push(String::from_utf8_lossy(&rest[..end]).into_owned());
        rest = &rest[end + 1..];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_records() {
        assert_eq!(varint(&[0x05]).unwrap(), (5, 1));
        assert_eq!(varint(&[0x81, 0x00]).unwrap(), (128, 2));
        assert_eq!(varint(&[0xff; 9]).unwrap(), (u64::MAX, 9));
        assert!(varint(&[0x81]).is_err());
        // a header of 5 bytes (its size, then NULL, 1-byte int, 3-byte text, 2-byte blob)
        let row = [5, 0, 1, 19, 16, 0xfe, b'a', b'b', b'c', 7, 8];
        assert_eq!(
            record(&row).unwrap(),
            [
                Value::Null,
                Value::Int(-2),
                Value::Text(b"abc"),
                Value::Blob(&[7, 8])
            ]
        );
        assert!(record(&[5, 0, 1, 19, 16, 0xfe, b'a']).is_err());
        assert!(record(&[200]).is_err());
    }

    /// An rpm header blob with `entries` (tag, type, data) in order.
    fn header(entries: &[(i32, u32, u32, Vec<u8>)]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data = Vec::new();
        for (tag, kind, count, bytes) in entries {
            while *kind == TYPE_INT32 && data.len() % 4 != 0 {
                data.push(0);
            }
            index.extend_from_slice(&tag.to_be_bytes());
            index.extend_from_slice(&kind.to_be_bytes());
            index.extend_from_slice(&(data.len() as u32).to_be_bytes());
            index.extend_from_slice(&count.to_be_bytes());
            data.extend_from_slice(bytes);
        }
        let mut out = (entries.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend(index);
        out.extend(data);
        out
    }

    #[test]
    fn headers_give_name_and_paths() {
        let blob = header(&[
            (TAG_NAME, TYPE_STRING, 1, b"openssl\0".to_vec()),
            (
                TAG_DIRINDEXES,
                TYPE_INT32,
                2,
                [0u32, 1].iter().flat_map(|i| i.to_be_bytes()).collect(),
            ),
            (
                TAG_BASENAMES,
                TYPE_STRING_ARRAY,
                2,
                b"openssl.cnf\0openssl\0".to_vec(),
            ),
            (
                TAG_DIRNAMES,
                TYPE_STRING_ARRAY,
                2,
                b"/etc/pki/tls/\0/usr/bin/\0".to_vec(),
            ),
        ]);
        assert_eq!(
            header_files(&blob, usize::MAX).unwrap(),
            (
                "openssl".into(),
                vec!["etc/pki/tls/openssl.cnf".into(), "usr/bin/openssl".into()]
            )
        );
        assert!(header_files(&blob, 30).is_err(), "past the budget of paths");
        let old = header(&[
            (
                TAG_OLDFILENAMES,
                TYPE_STRING_ARRAY,
                1,
                b"/bin/sh\0".to_vec(),
            ),
            (TAG_NAME, TYPE_STRING, 1, b"bash\0".to_vec()),
        ]);
        assert_eq!(
            header_files(&old, usize::MAX).unwrap(),
            ("bash".into(), vec!["bin/sh".into()])
        );
        // a directory index past the directories, a string without its end, a lying count
        let bad = header(&[
            (TAG_NAME, TYPE_STRING, 1, b"x\0".to_vec()),
            (TAG_DIRINDEXES, TYPE_INT32, 1, 7u32.to_be_bytes().to_vec()),
            (TAG_BASENAMES, TYPE_STRING_ARRAY, 1, b"f\0".to_vec()),
            (TAG_DIRNAMES, TYPE_STRING_ARRAY, 1, b"/d/\0".to_vec()),
        ]);
        assert!(header_files(&bad, usize::MAX).is_err());
        assert!(
            header_files(
                &header(&[(TAG_NAME, TYPE_STRING, 1, b"x".to_vec())]),
                usize::MAX
            )
            .is_err()
        );
        let mut lying = header(&[(TAG_NAME, TYPE_STRING, 1, b"x\0".to_vec())]);
        lying[3] = 200;
        assert!(header_files(&lying, usize::MAX).is_err());
        assert!(header_files(&[], usize::MAX).is_err());
    }

    #[test]
    fn what_is_not_a_database_is_an_error() {
        assert!(files(b"").is_err());
        assert!(files(&[0u8; 4096]).is_err());
        let mut header = b"SQLite format 3\0".to_vec();
        header.resize(4096, 0);
        header[16] = 0x10; // page size 4096, and page 1 is no table page
        assert!(files(&header).is_err());
    }
}
