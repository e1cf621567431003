//! The values of rpm's Berkeley DB `Packages` (RHEL/CentOS 7 and 8, UBI 8, Amazon Linux 2): a
//! hash database whose keys are header numbers and whose values are rpm headers. Read as
//! Berkeley DB 5.3 lays it out (`db_page.h`): a metadata page, then hash pages of key/data item
//! pairs, each value stored on the page (`H_KEYDATA`) or, past a quarter page, on a chain of
//! overflow pages (`H_OFFPAGE`). Every hash page is visited in file order, so no hashing and
//! no bucket arithmetic is needed; byte order is the writer's, told by the magic number.

use super::{u16_at, u32_at};

/// The hash access method's magic number, as the writer's byte order stores it.
const HASH_MAGIC: u32 = 0x0006_1561;
/// Page types (`db_page.h`).
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASH: u8 = 13;
/// Item types on a hash page.
const H_KEYDATA: u8 = 1;
const H_OFFPAGE: u8 = 3;
/// Bytes of a page header before its item offsets.
const PAGE_HEADER: usize = 26;
/// Largest value (an rpm header) assembled from an overflow chain.
const MAX_VALUE_BYTES: usize = 32 << 20;

/// True when `bytes` begin like a Berkeley DB hash database, in either byte order.
pub fn is_hash(bytes: &[u8]) -> bool {
    order(bytes).is_some()
}

/// True when the file was written little-endian, `None` when it is no hash database.
fn order(bytes: &[u8]) -> Option<bool> {
    let magic: [u8; 4] = bytes.get(12..16)?.try_into().ok()?;
    match (u32::from_le_bytes(magic), u32::from_be_bytes(magic)) {
        (HASH_MAGIC, _) => Some(true),
        (_, HASH_MAGIC) => Some(false),
        _ => None,
    }
}

/// One database file: its bytes, page size and byte order.
struct Db<'a> {
    bytes: &'a [u8],
    page_size: usize,
    little: bool,
}

impl<'a> Db<'a> {
    fn u16(&self, bytes: &[u8], at: usize) -> Result<usize, String> {
        let v = u16_at(bytes, at)?;
        Ok(usize::from(if self.little { v.swap_bytes() } else { v }))
    }

    fn u32(&self, bytes: &[u8], at: usize) -> Result<u32, String> {
        let v = u32_at(bytes, at)?;
        Ok(if self.little { v.swap_bytes() } else { v })
    }

    fn pages(&self) -> usize {
        self.bytes.len() / self.page_size
    }

    /// Page `n` (0-based), whole.
    fn page(&self, n: u32) -> Result<&'a [u8], String> {
        let n = n as usize;
        if n >= self.pages() {
            return Err(format!(
                "page {n} is outside the file's {} pages",
                self.pages()
            ));
        }
        Ok(&self.bytes[n * self.page_size..(n + 1) * self.page_size])
    }

    /// The value an `H_OFFPAGE` item names: `length` bytes on the chain from page `first`.
    fn overflow(&self, first: u32, length: usize) -> Result<Vec<u8>, String> {
        if length > MAX_VALUE_BYTES {
            return Err(format!("a value of {length} bytes"));
        }
        let mut out = Vec::with_capacity(length);
        let mut next = first;
        let mut hops = 0;
        while out.len() < length {
            hops += 1;
            if hops > self.pages() {
                return Err("an overflow chain forms a loop".into());
            }
            let page = self.page(next)?;
            if page[25] != P_OVERFLOW {
                return Err(format!("page {next} is no overflow page"));
            }
            // on an overflow page the free-area offset holds the bytes it carries
            let here = self.u16(page, 22)?;
            let bytes = page
                .get(PAGE_HEADER..PAGE_HEADER + here)
                .ok_or_else(|| format!("overflow page {next} claims more than it holds"))?;
            out.extend_from_slice(&bytes[..here.min(length - out.len())]);
            next = self.u32(page, 16)?;
        }
        Ok(out)
    }
}

/// Calls `each` with every value (an rpm header) of the hash database `db`.
pub fn headers(db: &[u8], each: &mut dyn FnMut(&[u8]) -> Result<(), String>) -> Result<(), String> {
    let little = order(db).ok_or("not a Berkeley DB hash database")?;
    let raw = u32_at(db, 20)?;
    let page_size = if little { raw.swap_bytes() } else { raw } as usize;
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(format!(
            "page size {page_size} is not a Berkeley DB page size"
        ));
    }
    let db = Db {
        bytes: db,
        page_size,
        little,
    };
    // each overflow page carries one value's bytes, so all values together fit in the file:
    // more is chains that share or loop through pages
    let mut budget = db.bytes.len();
    for number in 1..db.pages() {
        let page = db.page(number as u32)?;
        if !matches!(page[25], P_HASH | P_HASH_UNSORTED) {
            continue;
        }
        let entries = db.u16(page, 20)?;
        // items are laid from the page's end down: item i ends where item i - 1 begins
        let mut end = page_size;
        for i in 0..entries {
            let start = db.u16(page, PAGE_HEADER + 2 * i)?;
            if start < PAGE_HEADER || start >= end {
                return Err(format!("item {i} of page {number} overlaps another"));
            }
            let item = &page[start..end];
            end = start;
            if i % 2 == 0 {
                continue; // a key (the header number)
            }
            match item[0] {
                H_KEYDATA => each(&item[1..])?,
                H_OFFPAGE => {
                    let first = db.u32(item, 4)?;
                    let length = db.u32(item, 8)? as usize;
                    budget = budget
                        .checked_sub(length)
                        .ok_or("the values claim more bytes than the file holds")?;
                    each(&db.overflow(first, length)?)?;
                }
                other => return Err(format!("item {i} of page {number} has type {other}")),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian database of `pages` pages of 512 bytes: the metadata page, then those
    /// given as (type, items or overflow bytes).
    fn database(pages: &[(u8, Vec<Vec<u8>>, u32)]) -> Vec<u8> {
        let mut out = vec![0u8; 512];
        out[12..16].copy_from_slice(&HASH_MAGIC.to_le_bytes());
        out[20..24].copy_from_slice(&512u32.to_le_bytes());
        for (kind, items, next) in pages {
            let mut page = vec![0u8; 512];
            page[25] = *kind;
            page[16..20].copy_from_slice(&next.to_le_bytes());
            if *kind == P_OVERFLOW {
                let bytes = &items[0];
                page[22..24].copy_from_slice(&(bytes.len() as u16).to_le_bytes());
                page[26..26 + bytes.len()].copy_from_slice(bytes);
            } else {
                page[20..22].copy_from_slice(&(items.len() as u16).to_le_bytes());
                let mut end = 512;
                for (i, item) in items.iter().enumerate() {
                    let start = end - item.len();
                    page[start..end].copy_from_slice(item);
                    page[26 + 2 * i..28 + 2 * i].copy_from_slice(&(start as u16).to_le_bytes());
                    end = start;
                }
            }
            out.extend(page);
        }
        out
    }

    fn values(db: &[u8]) -> Result<Vec<Vec<u8>>, String> {
        let mut out = Vec::new();
        headers(db, &mut |v| {
            out.push(v.to_vec());
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn values_on_the_page_and_on_overflow_chains() {
        let key = vec![H_KEYDATA, 1, 0, 0, 0];
        let mut offpage = vec![H_OFFPAGE, 0, 0, 0];
        offpage.extend(2u32.to_le_bytes()); // first overflow page
        offpage.extend(700u32.to_le_bytes()); // bytes in all
        let db = database(&[
            (
                P_HASH,
                vec![
                    key.clone(),
                    vec![H_KEYDATA, b'a', b'b'],
                    key.clone(),
                    offpage,
                ],
                0,
            ),
            (P_OVERFLOW, vec![vec![b'x'; 480]], 3),
            (P_OVERFLOW, vec![vec![b'y'; 220]], 0),
        ]);
        let got = values(&db).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], b"ab");
        assert_eq!(got[1].len(), 700);
        assert!(
            got[1][..480].iter().all(|&b| b == b'x') && got[1][480..].iter().all(|&b| b == b'y')
        );

        // the chain loops back on itself; it points outside the file; at a hash page
        let mut looping = db.clone();
        looping[3 * 512 + 16..3 * 512 + 20].copy_from_slice(&2u32.to_le_bytes());
        let offpage_at = 512 - 5 - 3 - 5 - 12; // the fourth item, from the page's end
        let length = 512 + offpage_at + 8;
        looping[length..length + 4].copy_from_slice(&1500u32.to_le_bytes());
        assert!(
            values(&looping).is_err(),
            "1,500 bytes from a chain of two pages"
        );
        let mut greedy = looping.clone();
        greedy[length..length + 4].copy_from_slice(&5000u32.to_le_bytes());
        assert!(values(&greedy).is_err(), "more than the file holds");
        let mut outside = db.clone();
        outside[2 * 512 + 16..2 * 512 + 20].copy_from_slice(&99u32.to_le_bytes());
        assert!(values(&outside).is_err());
        let mut wrong = db.clone();
        wrong[2 * 512 + 16..2 * 512 + 20].copy_from_slice(&1u32.to_le_bytes());
        assert!(values(&wrong).is_err());
        // an item offset inside the header, a claim larger than the page
        let mut overlapping = db.clone();
        overlapping[512 + 26..512 + 28].copy_from_slice(&4u16.to_le_bytes());
        assert!(values(&overlapping).is_err());
        let mut claiming = db;
        claiming[2 * 512 + 22..2 * 512 + 24].copy_from_slice(&600u16.to_le_bytes());
        assert!(values(&claiming).is_err());
    }

    #[test]
    fn what_is_not_a_hash_database_is_an_error() {
        assert!(!is_hash(b""));
        assert!(!is_hash(&[0u8; 512]));
        let mut db = database(&[]);
        assert!(values(&db).unwrap().is_empty());
        db[20..24].copy_from_slice(&1000u32.to_le_bytes());
        assert!(values(&db).is_err(), "a page size that is no power of two");
        // big-endian: the magic and page size the other way round
        let mut big = vec![0u8; 1024];
        big[12..16].copy_from_slice(&HASH_MAGIC.to_be_bytes());
        big[20..24].copy_from_slice(&512u32.to_be_bytes());
        assert!(is_hash(&big) && values(&big).unwrap().is_empty());
    }
}
