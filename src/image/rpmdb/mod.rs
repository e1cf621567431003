//! rpm's package database, read without a database library: which package installed which
//! file. Two formats: the SQLite `rpmdb.sqlite` of Fedora, RHEL/UBI 9, Rocky, Alma and Amazon
//! Linux 2023 (`sqlite`), and the Berkeley DB hash `Packages` of RHEL/CentOS 7 and 8, UBI 8 and
//! Amazon Linux 2 (`bdb`). Each yields rpm headers, and of each header only the package name
//! and its file list are read (`NAME`, `DIRNAMES`, `DIRINDEXES`, `BASENAMES`, or the old
//! `OLDFILENAMES`). Every offset is checked, every walk is bounded by the file's page count, and
//! a database that does not read is an error, never a panic.

mod bdb;
mod sqlite;

/// Most bytes of paths listed, all packages together (a 1,500-package Fedora lists about 15 MB;
/// a hostile header could name one long directory a million times).
const MAX_PATH_BYTES: usize = 64 << 20;

/// `(path without leading /, package name)` for every file of every package in `db`, a SQLite
/// or Berkeley DB rpm database (told apart by their magic).
pub fn files(db: &[u8]) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut listed = 0;
    let mut each = |blob: &[u8]| {
        let (name, paths) = header_files(blob, MAX_PATH_BYTES - listed)?;
        listed += paths.iter().map(String::len).sum::<usize>();
        out.extend(paths.into_iter().map(|p| (p, name.clone())));
        Ok(())
    };
    if sqlite::is_sqlite(db) {
        sqlite::headers(db, &mut each)?;
    } else if bdb::is_hash(db) {
        bdb::headers(db, &mut each)?;
    } else {
        return Err("neither an SQLite nor a Berkeley DB hash database".into());
    }
    Ok(out)
}

pub(crate) fn u16_at(bytes: &[u8], at: usize) -> Result<u16, String> {
    let two = bytes
        .get(at..at + 2)
        .ok_or("a page header runs past its page")?;
    Ok(u16::from_be_bytes([two[0], two[1]]))
}

pub(crate) fn u32_at(bytes: &[u8], at: usize) -> Result<u32, String> {
    let four = bytes
        .get(at..at + 4)
        .ok_or("a page number runs past its page")?;
    Ok(u32::from_be_bytes([four[0], four[1], four[2], four[3]]))
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
        // each tag is read once: a hostile header repeating one a million times over the same
        // data would otherwise parse that data a million times
        match (tag, kind) {
            (TAG_NAME, TYPE_STRING) if name.is_none() => name = strings(at, 1)?.pop(),
            (TAG_DIRNAMES, TYPE_STRING_ARRAY) if dirs.is_none() => {
                dirs = Some(strings(at, count)?);
            }
            (TAG_BASENAMES, TYPE_STRING_ARRAY) if bases.is_none() => {
                bases = Some(strings(at, count)?);
            }
            (TAG_OLDFILENAMES, TYPE_STRING_ARRAY) if old.is_none() => {
                old = Some(strings(at, count)?);
            }
            (TAG_DIRINDEXES, TYPE_INT32) if indexes.is_none() => {
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
        // a tag repeated is read once, the first time
        let path = |i: usize| format!("/{}\0", if i == 0 { "a" } else { "b" }).into_bytes();
        let repeated: Vec<(i32, u32, u32, Vec<u8>)> =
            std::iter::once((TAG_NAME, TYPE_STRING, 1, b"x\0".to_vec()))
                .chain((0..1000).map(|i| (TAG_OLDFILENAMES, TYPE_STRING_ARRAY, 1, path(i))))
                .collect();
        assert_eq!(
            header_files(&header(&repeated), usize::MAX).unwrap().1,
            ["a"]
        );
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
