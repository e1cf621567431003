//! The rows of rpm's SQLite database: its `Packages` table, found in the schema on page 1, read
//! through SQLite's file format (table b-trees, overflow chains, records) without SQLite. Pages
//! still in a write-ahead log (`rpmdb.sqlite-wal`) are not seen: rpm checkpoints when it closes
//! the database, so an image's log is empty.

use super::{u16_at, u32_at};

/// Largest row (an rpm header) assembled from a page and its overflow chain.
const MAX_ROW_BYTES: usize = 32 << 20;
/// Deepest table b-tree followed.
const MAX_DEPTH: usize = 32;

/// True when `bytes` begin like an SQLite database.
pub fn is_sqlite(bytes: &[u8]) -> bool {
    bytes.starts_with(b"SQLite format 3\0")
}

/// Calls `each` with the rpm header of every row of the `Packages` table.
pub fn headers(db: &[u8], each: &mut dyn FnMut(&[u8]) -> Result<(), String>) -> Result<(), String> {
    let db = Db::new(db)?;
    let root = db.packages_root()?;
    let mut pages = 0;
    db.rows(root, &mut pages, &mut |row| {
        let values = record(row)?;
        // `hnum INTEGER PRIMARY KEY` is the row id, stored as NULL; the header is column 1
        match values.get(1) {
            Some(Value::Blob(blob)) => each(blob),
            _ => Ok(()),
        }
    })
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

    #[test]
    fn what_is_not_a_database_is_an_error() {
        let mut each = |_: &[u8]| Ok(());
        let mut header = b"SQLite format 3\0".to_vec();
        header.resize(4096, 0);
        header[16] = 0x10; // page size 4096, and page 1 is no table page
        assert!(headers(&header, &mut each).is_err());
        header.truncate(50);
        assert!(headers(&header, &mut each).is_err());
    }
}
