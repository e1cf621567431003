//! Where an image's blobs live and how to read one: a layout directory, an indexed tar file
//! (`docker save`, `oci-archive`), or bytes held in memory (standard input, a gzip-compressed
//! tarball). A [`Store`] only hands out readers for paths *inside* the image: names with `..`
//! or absolute names are refused, links in an archive are resolved within the archive, and a
//! directory's symlinks are never followed out of it. Nothing is ever written to disk.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The most entries an outer image archive may have.
pub const MAX_ARCHIVE_ENTRIES: usize = 1_000_000;

/// One blob's place in an archive.
#[derive(Debug, Clone, Copy)]
struct Span {
    offset: u64,
    size: u64,
}

/// A source of image blobs addressed by `/`-separated relative paths.
#[derive(Debug)]
pub enum Store {
    /// An OCI layout (or extracted `docker save`) directory.
    Dir(PathBuf),
    /// A tar file on disk, indexed once; each reader opens its own handle, so layers can be
    /// read in parallel.
    TarFile {
        /// The archive.
        path: PathBuf,
        /// Path → content span.
        entries: HashMap<String, SpanRef>,
        /// Why the archive is incomplete, when it is (cut short).
        truncated: Option<String>,
    },
    /// A tar held in memory (stdin, or a decompressed `.tar.gz`).
    TarMemory {
        /// The archive bytes.
        bytes: Arc<Vec<u8>>,
        /// Path → content span.
        entries: HashMap<String, SpanRef>,
        /// Why the archive is incomplete, when it is (cut short).
        truncated: Option<String>,
    },
}

/// The blob path that names the archive itself: a filesystem tar (`docker export`) is its own
/// one layer. No entry can have it ([`clean`] refuses the empty path).
pub const ARCHIVE: &str = "";

/// An opaque reference to a blob inside an archive.
#[derive(Debug, Clone, Copy)]
pub struct SpanRef(Span);

impl Store {
    /// Indexes a tar archive on disk.
    pub fn tar_file(path: &Path) -> io::Result<Store> {
        let (entries, truncated) = index(File::open(path)?)?;
        Ok(Store::TarFile {
            path: path.to_owned(),
            entries,
            truncated,
        })
    }

    /// Indexes a tar archive held in memory.
    pub fn tar_memory(bytes: Vec<u8>) -> io::Result<Store> {
        let (entries, truncated) = index(Cursor::new(&bytes))?;
        Ok(Store::TarMemory {
            bytes: Arc::new(bytes),
            entries,
            truncated,
        })
    }

    /// Why the archive is incomplete: a tar cut short loses the blobs past the cut (they are
    /// missing; this says why).
    pub fn truncated(&self) -> Option<&str> {
        match self {
            Store::Dir(_) => None,
            Store::TarFile { truncated, .. } | Store::TarMemory { truncated, .. } => {
                truncated.as_deref()
            }
        }
    }

    /// True when some entry of an archive has a path that `matches` (always false for a
    /// directory, whose files are never listed).
    pub fn any_entry(&self, matches: impl Fn(&str) -> bool) -> bool {
        match self {
            Store::Dir(_) => false,
            Store::TarFile { entries, .. } | Store::TarMemory { entries, .. } => {
                entries.keys().any(|path| matches(path))
            }
        }
    }

    /// True when the blob exists.
    pub fn contains(&self, path: &str) -> bool {
        let Some(path) = clean(path) else {
            return false;
        };
        match self {
            Store::Dir(root) => inside(root, &path).is_some_and(|p| p.is_file()),
            Store::TarFile { entries, .. } | Store::TarMemory { entries, .. } => {
                entries.contains_key(&path)
            }
        }
    }

    /// The blob's size, when known without reading it.
    pub fn size(&self, path: &str) -> Option<u64> {
        if path == ARCHIVE {
            return match self {
                Store::Dir(_) => None,
                Store::TarFile { path, .. } => std::fs::metadata(path).ok().map(|m| m.len()),
                Store::TarMemory { bytes, .. } => Some(bytes.len() as u64),
            };
        }
        let path = clean(path)?;
        match self {
            Store::Dir(root) => inside(root, &path)?.metadata().ok().map(|m| m.len()),
            Store::TarFile { entries, .. } | Store::TarMemory { entries, .. } => {
                entries.get(&path).map(|s| s.0.size)
            }
        }
    }

    /// A reader over the blob at `path` ([`ARCHIVE`]: the whole archive).
    pub fn open(&self, path: &str) -> io::Result<Box<dyn Read + Send>> {
        if path == ARCHIVE {
            return match self {
                Store::Dir(_) => Err(invalid("a directory is not an archive".into())),
                Store::TarFile { path, .. } => Ok(Box::new(File::open(path)?)),
                Store::TarMemory { bytes, .. } => {
                    Ok(Box::new(Cursor::new(SharedBytes(Arc::clone(bytes)))))
                }
            };
        }
        let cleaned = clean(path).ok_or_else(|| invalid(format!("unsafe blob path {path:?}")))?;
        let missing = || io::Error::new(io::ErrorKind::NotFound, format!("no blob {cleaned}"));
        match self {
            Store::Dir(root) => {
                let full = inside(root, &cleaned).ok_or_else(missing)?;
                Ok(Box::new(File::open(full)?))
            }
            Store::TarFile { path, entries, .. } => {
                let span = entries.get(&cleaned).ok_or_else(missing)?.0;
                let mut file = File::open(path)?;
                file.seek(SeekFrom::Start(span.offset))?;
                Ok(Box::new(file.take(span.size)))
            }
            Store::TarMemory { bytes, entries, .. } => {
                let span = entries.get(&cleaned).ok_or_else(missing)?.0;
                let mut cursor = Cursor::new(SharedBytes(Arc::clone(bytes)));
                cursor.set_position(span.offset);
                Ok(Box::new(cursor.take(span.size)))
            }
        }
    }

    /// Reads a small blob (JSON) whole, refusing more than `cap` bytes.
    pub fn read_small(&self, path: &str, cap: u64) -> io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        self.open(path)?.take(cap + 1).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > cap {
            return Err(invalid(format!("{path} is larger than {cap} bytes")));
        }
        Ok(bytes)
    }
}

/// `Arc<Vec<u8>>` as `AsRef<[u8]>` for a `Cursor` that owns its share of the bytes.
struct SharedBytes(Arc<Vec<u8>>);

impl AsRef<[u8]> for SharedBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// A relative, `/`-separated path with `.` removed; `None` for `..` or absolute paths.
pub fn clean(path: &str) -> Option<String> {
    let mut parts = Vec::new();
    if path.starts_with('/') {
        return None;
    }
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            p => parts.push(p),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// A path resolved inside the image: `..` pops a component, never above the root.
pub fn resolve(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// `root/path` when it exists and, after resolving symlinks, is still inside `root`.
fn inside(root: &Path, path: &str) -> Option<PathBuf> {
    let root = root.canonicalize().ok()?;
    let full = root.join(path).canonicalize().ok()?;
    full.starts_with(&root).then_some(full)
}

/// Lists a tar's regular files (and resolves its links within the archive).
/// Entries of an archive, and why it is incomplete when a member runs past its end.
type Index = (HashMap<String, SpanRef>, Option<String>);

fn index<R: Read + Seek>(mut reader: R) -> io::Result<Index> {
    let len = reader.seek(SeekFrom::End(0))?;
    reader.seek(SeekFrom::Start(0))?;
    let mut archive = tar::Archive::new(reader);
    let mut truncated = None;
    let mut entries = HashMap::new();
    let mut links: Vec<(String, String)> = Vec::new();
    for (count, entry) in archive.entries_with_seek()?.enumerate() {
        if count >= MAX_ARCHIVE_ENTRIES {
            return Err(invalid(format!("more than {MAX_ARCHIVE_ENTRIES} entries")));
        }
        let entry = entry?;
        let Some(path) = clean(&String::from_utf8_lossy(&entry.path_bytes())) else {
            continue;
        };
        let kind = entry.header().entry_type();
        if kind.is_file() {
            let span = Span {
                offset: entry.raw_file_position(),
                size: entry.size(),
            };
            let end = span.offset.saturating_add(span.size);
            if end > len {
                truncated = Some(format!(
                    "the archive is cut short: {path} needs {end} bytes, the archive has {len}; \
                     what follows it is missing"
                ));
                break;
            }
            entries.insert(path, SpanRef(span));
        } else if kind.is_symlink() || kind.is_hard_link() {
            let Some(target) = entry.link_name_bytes() else {
                continue;
            };
            let target = String::from_utf8_lossy(&target).into_owned();
            let base = if kind.is_symlink() {
                path.rsplit_once('/').map_or("", |(dir, _)| dir).to_owned()
            } else {
                String::new()
            };
            links.push((path, format!("{base}/{target}")));
        }
    }
    // docker save shares identical layers through links; follow them inside the archive only
    for _ in 0..8 {
        let mut resolved = false;
        for (path, target) in &links {
            if entries.contains_key(path) {
                continue;
            }
            if let Some(span) = resolve(target).and_then(|t| entries.get(&t).copied()) {
                entries.insert(path.clone(), span);
                resolved = true;
            }
        }
        if !resolved {
            break;
        }
    }
    Ok((entries, truncated))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside() {
        assert_eq!(
            clean("./blobs//sha256/ab").as_deref(),
            Some("blobs/sha256/ab")
        );
        assert_eq!(clean("../etc/passwd"), None);
        assert_eq!(clean("blobs/../../x"), None);
        assert_eq!(clean("/etc/passwd"), None);
        assert_eq!(clean("."), None);
        assert_eq!(resolve("a/../b/layer.tar").as_deref(), Some("b/layer.tar"));
        assert_eq!(resolve("a/../../x"), None);
    }
}
