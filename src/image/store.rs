//! Where an image's blobs live and how to read one: a layout directory, an indexed tar file
//! (`docker save`, `oci-archive`), or a stream (standard input, a compressed tarball) that is
//! read once: its small entries kept in memory, its layers scanned as they go by. A [`Store`]
//! only hands out readers for paths *inside* the image: names with `..` or absolute names are
//! refused, links in an archive are resolved within the archive, and a directory's symlinks are
//! never followed out of it. Nothing is ever written to disk.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::layer::targuard;

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
        /// What is wrong with the archive itself: cut short, an entry named outside its root.
        problems: Vec<String>,
        /// Its first 100,000 members held no image export's: it was taken for a filesystem and
        /// not indexed further (`entries` is empty).
        filesystem: bool,
    },
    /// An image tar on a stream (standard input, a compressed tarball), not read yet: the scan
    /// opens and reads it once ([`Store::take_stream`]) into a [`Store::Streamed`].
    Stream(Pending),
    /// What was kept of a streamed image tar: its small entries (JSON documents) in memory, and
    /// the paths of the blobs that were scanned as layers while they went by (not kept).
    Streamed {
        /// The kept entries, one after the other.
        bytes: Arc<Vec<u8>>,
        /// Path → span in `bytes`.
        entries: HashMap<String, SpanRef>,
        /// Path → (the scan's number, the blob's size) of each blob scanned as it went by.
        layers: HashMap<String, (usize, u64)>,
        /// Path → why of each file neither kept nor scanned.
        skipped: HashMap<String, String>,
        /// What is wrong with the archive itself: cut short, unreadable, an entry named outside
        /// its root.
        problems: Vec<String>,
    },
}

/// Opens a stream: a compressed file is opened only when its scan starts, so an audit of
/// thousands of them holds as many open files and decoders as it has threads.
pub type Opener = Box<dyn FnOnce() -> io::Result<Box<dyn Read + Send>> + Send>;

/// A stream waiting to be read.
pub struct Pending(Mutex<Option<Opener>>);

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pending")
    }
}

/// A streamed archive's entries, gathered as it is read ([`Store::streamed`]).
#[derive(Debug, Default)]
pub struct Gathered {
    bytes: Vec<u8>,
    entries: HashMap<String, SpanRef>,
    layers: HashMap<String, (usize, u64)>,
    skipped: HashMap<String, String>,
    links: Vec<(String, String)>,
    outside: Option<String>,
}

impl Gathered {
    /// Keeps an entry's bytes.
    pub fn keep(&mut self, path: String, content: &[u8]) {
        let span = Span {
            offset: self.bytes.len() as u64,
            size: content.len() as u64,
        };
        self.bytes.extend_from_slice(content);
        self.layers.remove(&path);
        self.skipped.remove(&path);
        self.entries.insert(path, SpanRef(span));
    }

    /// Records a blob scanned as layer number `scan`, of `size` bytes.
    pub fn layer(&mut self, path: String, scan: usize, size: u64) {
        self.entries.remove(&path);
        self.skipped.remove(&path);
        self.layers.insert(path, (scan, size));
    }

    /// Records a file neither kept nor scanned, and why (the reason an image needing it is given).
    pub fn skip(&mut self, path: String, why: &str) {
        self.entries.remove(&path);
        self.layers.remove(&path);
        self.skipped.insert(path, why.to_owned());
    }

    /// Records a link (symbolic or hard) from `path` to `target`, as the tar header says.
    pub fn link(&mut self, path: String, target: &str, symbolic: bool) {
        self.links.push(link(path, target, symbolic));
    }

    /// Notes an entry whose name is no safe path: the first that climbs out of the root is
    /// reported (a name that `..` takes out of the archive, [`leaves_root`]); it is never read.
    pub fn unsafe_name(&mut self, name: &str) {
        if self.outside.is_none() {
            self.outside = outside_root(name);
        }
    }

    /// Bytes kept so far.
    pub fn kept(&self) -> usize {
        self.bytes.len()
    }
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
        let index = index(File::open(path)?)?;
        Ok(Store::TarFile {
            path: path.to_owned(),
            entries: index.entries,
            problems: index.problems,
            filesystem: index.filesystem,
        })
    }

    /// A tar on a stream that `open` opens, to be read once by the scan.
    pub fn stream(open: Opener) -> Store {
        Store::Stream(Pending(Mutex::new(Some(open))))
    }

    /// The stream of a [`Store::Stream`], opened, the first time it is asked for.
    pub fn take_stream(&self) -> Option<io::Result<Box<dyn Read + Send>>> {
        match self {
            Store::Stream(Pending(slot)) => slot.lock().ok()?.take().map(|open| open()),
            _ => None,
        }
    }

    /// The store of a streamed archive once read (links resolved within it).
    pub fn streamed(gathered: Gathered, truncated: Option<String>) -> Store {
        let Gathered {
            bytes,
            mut entries,
            mut layers,
            skipped,
            links,
            outside,
        } = gathered;
        follow_links(&links, &mut entries);
        follow_links(&links, &mut layers);
        Store::Streamed {
            bytes: Arc::new(bytes),
            entries,
            layers,
            skipped,
            problems: outside.into_iter().chain(truncated).collect(),
        }
    }

    /// The number of the scan made of `path` as the archive streamed by, if one was.
    pub fn streamed_layer(&self, path: &str) -> Option<usize> {
        match self {
            Store::Streamed { layers, .. } => {
                let key = match path {
                    ARCHIVE => String::new(),
                    path => clean(path)?,
                };
                layers.get(&key).map(|&(scan, _)| scan)
            }
            _ => None,
        }
    }

    /// What is wrong with the archive itself: a tar cut short loses the blobs past the cut (they
    /// are missing; this says why); an entry named outside the archive's root is never read.
    pub fn problems(&self) -> &[String] {
        match self {
            Store::Dir(_) | Store::Stream(_) => &[],
            Store::TarFile { problems, .. } | Store::Streamed { problems, .. } => problems,
        }
    }

    /// True for a tar file taken for a filesystem while it was indexed (its first 100,000
    /// members held no image export's): one layer, whatever its entries would say.
    pub fn is_filesystem(&self) -> bool {
        matches!(
            self,
            Store::TarFile {
                filesystem: true,
                ..
            }
        )
    }

    /// True when some entry of an archive has a path that `matches` (always false for a
    /// directory, whose files are never listed).
    pub fn any_entry(&self, matches: impl Fn(&str) -> bool) -> bool {
        match self {
            Store::Dir(_) | Store::Stream(_) => false,
            Store::TarFile { entries, .. } => entries.keys().any(|path| matches(path)),
            Store::Streamed {
                entries, layers, ..
            } => entries
                .keys()
                .chain(layers.keys())
                .any(|path| matches(path)),
        }
    }

    /// True when the blob exists.
    pub fn contains(&self, path: &str) -> bool {
        let Some(path) = clean(path) else {
            return false;
        };
        match self {
            Store::Dir(root) => inside(root, &path).is_some_and(|p| p.is_file()),
            Store::TarFile { entries, .. } => entries.contains_key(&path),
            Store::Stream(_) => false,
            Store::Streamed {
                entries,
                layers,
                skipped,
                ..
            } => {
                entries.contains_key(&path)
                    || layers.contains_key(&path)
                    || skipped.contains_key(&path)
            }
        }
    }

    /// The blob's size, when known without reading it.
    pub fn size(&self, path: &str) -> Option<u64> {
        if path == ARCHIVE {
            return match self {
                Store::Dir(_) | Store::Stream(_) | Store::Streamed { .. } => None,
                Store::TarFile { path, .. } => std::fs::metadata(path).ok().map(|m| m.len()),
            };
        }
        let path = clean(path)?;
        match self {
            Store::Dir(root) => inside(root, &path)?.metadata().ok().map(|m| m.len()),
            Store::TarFile { entries, .. } => entries.get(&path).map(|s| s.0.size),
            Store::Stream(_) => None,
            Store::Streamed {
                entries, layers, ..
            } => (entries.get(&path).map(|s| s.0.size)).or(layers.get(&path).map(|l| l.1)),
        }
    }

    /// A reader over the blob at `path` ([`ARCHIVE`]: the whole archive).
    pub fn open(&self, path: &str) -> io::Result<Box<dyn Read + Send>> {
        if path == ARCHIVE {
            return match self {
                Store::Dir(_) => Err(invalid("a directory is not an archive".into())),
                Store::TarFile { path, .. } => Ok(Box::new(File::open(path)?)),
                Store::Stream(_) | Store::Streamed { .. } => {
                    Err(invalid("a stream is read once, as it goes by".into()))
                }
            };
        }
        let cleaned = clean(path).ok_or_else(|| invalid(format!("unsafe blob path {path:?}")))?;
        let missing = || io::Error::new(io::ErrorKind::NotFound, format!("no blob {cleaned}"));
        match self {
            Store::Dir(root) => {
                let full = inside(root, &cleaned).ok_or_else(missing)?;
                // a named pipe or device in a layout would block the read or never end
                if !full.is_file() {
                    return Err(invalid(format!("{cleaned} is not a regular file")));
                }
                Ok(Box::new(File::open(full)?))
            }
            Store::TarFile { path, entries, .. } => {
                let span = entries.get(&cleaned).ok_or_else(missing)?.0;
                let mut file = File::open(path)?;
                file.seek(SeekFrom::Start(span.offset))?;
                Ok(Box::new(file.take(span.size)))
            }
            Store::Streamed {
                bytes,
                entries,
                layers,
                skipped,
                ..
            } => {
                let Some(span) = entries.get(&cleaned) else {
                    let why = match (layers.contains_key(&cleaned), skipped.get(&cleaned)) {
                        (true, _) => "it was read as a layer as it streamed by",
                        (false, Some(why)) => why,
                        (false, None) => return Err(missing()),
                    };
                    return Err(invalid(format!("{cleaned} is not kept: {why}")));
                };
                let mut cursor = Cursor::new(SharedBytes(Arc::clone(bytes)));
                cursor.set_position(span.0.offset);
                Ok(Box::new(cursor.take(span.0.size)))
            }
            Store::Stream(_) => Err(missing()),
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
    if is_clean(path) {
        return Some(path.to_owned()); // most names: no parts to split and join again
    }
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

/// The problem with an archive entry named `name`, when `..` takes it out of the archive's root
/// (path traversal: an extractor that trusts it writes outside its directory).
fn outside_root(name: &str) -> Option<String> {
    leaves_root(name).then(|| {
        let name = name.escape_debug();
        format!(
            "the archive has an entry named \"{name}\", outside its root (path traversal); it is \
             not read"
        )
    })
}

/// A member an image export starts with: `oci-layout`, `index.json`, `manifest.json`,
/// `repositories`, anything under `blobs/`, the `version` of a `dir:` copy, Jib's `config.json`,
/// or a name that is a SHA-256 digest, bare or `sha256:`-prefixed, alone or with `.tar`,
/// `.tar.gz` or `.json` (`<hex>/layer.tar` of docker save, `<hex>.tar` of podman,
/// `sha256:<hex>` and `<hex>.tar.gz` of go-containerregistry's tarballs, a `dir:` blob).
pub fn is_export_member(path: &str) -> bool {
    let top = path.split('/').next().unwrap_or("");
    let name = top.strip_prefix("sha256:").unwrap_or(top);
    let hex = [".tar.gz", ".tar", ".json"]
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))
        .unwrap_or(name);
    let is_hex = hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    is_hex
        || matches!(
            top,
            "blobs"
                | "oci-layout"
                | "index.json"
                | "manifest.json"
                | "repositories"
                | "version"
                | "config.json"
        )
}

/// True when `path` is as [`clean`] makes it: not absolute, without empty, `.` or `..` parts
/// (a few substring tests, where splitting and joining cost thousands of instructions a name:
/// a fifth of indexing a filesystem tar). A name with `..` anywhere takes the long way.
fn is_clean(path: &str) -> bool {
    let dot_part =
        path == "." || path.starts_with("./") || path.ends_with("/.") || path.contains("/./");
    !path.is_empty()
        && !path.starts_with('/')
        && !path.ends_with('/')
        && !path.contains("//")
        && !path.contains("..")
        && !dot_part
}

/// True when `path` (relative to a root) climbs above it: `../x`, `a/../../x`.
pub fn leaves_root(path: &str) -> bool {
    if !path.contains("..") {
        return false; // only a `..` part climbs
    }
    let mut depth = 0usize;
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if depth == 0 => return true,
            ".." => depth -= 1,
            _ => depth += 1,
        }
    }
    false
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

/// Members after which an archive none of whose members is an image export's
/// ([`is_export_member`]) is taken for a filesystem and no longer indexed: every export names
/// such a member among its first few (a `docker save` its `<digest>/` directories, an OCI
/// archive `blobs/`), while a root filesystem of a million files would otherwise be indexed
/// whole (about 160 MB) and refused at [`MAX_ARCHIVE_ENTRIES`].
const FILESYSTEM_AFTER: usize = 100_000;

/// What indexing an archive found.
struct Index {
    /// Path → content span of its regular files (links resolved within the archive).
    entries: HashMap<String, SpanRef>,
    /// What is wrong with it: a member running past its end, a name outside its root.
    problems: Vec<String>,
    /// It is a filesystem, not an image export (see [`FILESYSTEM_AFTER`]): `entries` were dropped.
    filesystem: bool,
}

fn index<R: Read + Seek>(reader: R) -> io::Result<Index> {
    index_deciding_after(reader, FILESYSTEM_AFTER)
}

/// [`index`], taking an archive for a filesystem after `filesystem_after` members none of which
/// is an image export's.
fn index_deciding_after<R: Read + Seek>(
    mut reader: R,
    filesystem_after: usize,
) -> io::Result<Index> {
    let len = reader.seek(SeekFrom::End(0))?;
    reader.seek(SeekFrom::Start(0))?;
    let mut archive = tar::Archive::new(Forward::new(reader));
    let mut truncated = None;
    let mut outside = None;
    let mut entries = HashMap::new();
    let mut links: Vec<(String, String)> = Vec::new();
    let mut export = false; // a member of an image export was seen
    for (count, entry) in archive.entries_with_seek()?.enumerate() {
        if count >= filesystem_after && !export {
            return Ok(Index {
                entries: HashMap::new(),
                problems: outside.into_iter().collect(),
                filesystem: true,
            });
        }
        if count >= MAX_ARCHIVE_ENTRIES {
            return Err(invalid(format!("more than {MAX_ARCHIVE_ENTRIES} entries")));
        }
        let entry = entry.map_err(targuard::quiet)?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let Some(path) = clean(&name) else {
            outside = outside.or_else(|| outside_root(&name));
            continue;
        };
        export = export || is_export_member(&path);
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
            let target = String::from_utf8_lossy(&target);
            links.push(link(path, &target, kind.is_symlink()));
        }
    }
    follow_links(&links, &mut entries);
    Ok(Index {
        entries,
        problems: outside.into_iter().chain(truncated).collect(),
        filesystem: false,
    })
}

/// An archive read for its index: the tar reader reads each header (512 bytes) and seeks past
/// each entry's data. Reads go through a buffer and a skip that stays within it moves in the
/// buffer, so a filesystem tar of 300,000 small files is read in 38,000 calls instead of a read
/// and a seek per file (600,000 system calls, a fifth of its scan); a skip past the buffer (a
/// layer blob) is one real seek.
struct Forward<R> {
    inner: BufReader<R>,
    /// Where the tar reader is in the archive (it asks after each seek).
    position: u64,
}

impl<R: Read> Forward<R> {
    fn new(inner: R) -> Forward<R> {
        Forward {
            inner: BufReader::with_capacity(32 << 10, inner),
            position: 0,
        }
    }
}

impl<R: Read> Read for Forward<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.position += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for Forward<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.position = match pos {
            SeekFrom::Current(by) => {
                let to = self.position.checked_add_signed(by);
                let to = to.ok_or_else(|| invalid("a seek before the archive's start".into()))?;
                self.inner.seek_relative(by)?;
                to
            }
            _ => self.inner.seek(pos)?,
        };
        Ok(self.position)
    }
}

/// A link entry as `(path, target relative to the archive's root, unresolved)`: a symbolic
/// link's target is relative to its directory, a hard link's to the root.
fn link(path: String, target: &str, symbolic: bool) -> (String, String) {
    let base = match symbolic {
        true => path.rsplit_once('/').map_or("", |(dir, _)| dir),
        false => "",
    };
    let target = format!("{base}/{target}");
    (path, target)
}

/// Gives each link the value of the entry it leads to, inside the archive only (docker save
/// shares identical layers through links); chains are followed eight links deep.
fn follow_links<V: Copy>(links: &[(String, String)], entries: &mut HashMap<String, V>) {
    for _ in 0..8 {
        let mut resolved = false;
        for (path, target) in links {
            if entries.contains_key(path) {
                continue;
            }
            if let Some(value) = resolve(target).and_then(|t| entries.get(&t).copied()) {
                entries.insert(path.clone(), value);
                resolved = true;
            }
        }
        if !resolved {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_finds_every_member_whatever_the_skips() {
        // entries smaller than the index's buffer, straddling it and far larger than it
        let sizes = [
            0,
            1,
            511,
            512,
            513,
            5000,
            32 << 10,
            (32 << 10) + 1,
            200_000,
            7,
            70_000,
        ];
        let mut builder = tar::Builder::new(Vec::new());
        for (i, &size) in sizes.iter().cycle().take(60).enumerate() {
            let data: Vec<u8> = (0..size).map(|b| (b * 7 + i) as u8).collect();
            let mut header = tar::Header::new_ustar();
            header.set_size(size as u64);
            header.set_mode(0o644);
            builder
                .append_data(&mut header, format!("f{i}"), &data[..])
                .unwrap();
        }
        let archive = builder.into_inner().unwrap();
        let Index {
            entries, problems, ..
        } = index(Cursor::new(&archive[..])).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(entries.len(), 60);
        for (i, &size) in sizes.iter().cycle().take(60).enumerate() {
            let SpanRef(span) = entries[&format!("f{i}")];
            assert_eq!(span.size, size as u64, "f{i}");
            let at = span.offset as usize;
            let expected: Vec<u8> = (0..size).map(|b| (b * 7 + i) as u8).collect();
            assert_eq!(archive[at..at + size], expected[..], "f{i}");
        }
    }

    fn tar_of(names: &[String]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for name in names {
            let mut header = tar::Header::new_ustar();
            header.set_size(1);
            header.set_mode(0o644);
            builder.append_data(&mut header, name, &b"x"[..]).unwrap();
        }
        builder.into_inner().unwrap()
    }

    #[test]
    fn a_long_archive_without_export_members_is_taken_for_a_filesystem() {
        let files: Vec<String> = (0..20).map(|i| format!("usr/lib/f{i}")).collect();
        let index = index_deciding_after(Cursor::new(tar_of(&files)), 10).unwrap();
        assert!(index.filesystem && index.entries.is_empty());
        // as long, but an export's member came first: indexed whole
        for first in [
            "blobs/sha256/ab",
            "manifest.json",
            &format!("{}.tar", "a".repeat(64)),
        ] {
            let names: Vec<String> = [first.to_owned()]
                .into_iter()
                .chain(files.clone())
                .collect();
            let index = index_deciding_after(Cursor::new(tar_of(&names)), 10).unwrap();
            assert!(!index.filesystem, "{first}");
            assert_eq!(index.entries.len(), 21, "{first}");
        }
        // short enough to be indexed whole, export or not
        let index = index_deciding_after(Cursor::new(tar_of(&files)), 20).unwrap();
        assert!(!index.filesystem && index.entries.len() == 20);
    }

    /// [`clean`] without its fast path.
    fn clean_the_long_way(path: &str) -> Option<String> {
        let parts: Vec<&str> = path
            .split('/')
            .filter(|p| !matches!(*p, "" | "."))
            .collect();
        let refused = path.starts_with('/') || path.split('/').any(|p| p == "..");
        (!refused && !parts.is_empty()).then(|| parts.join("/"))
    }

    #[test]
    fn the_fast_path_cleans_as_the_long_way() {
        // every path of up to four parts drawn from these, joined by `/`
        let parts = ["", ".", "..", "a", ".env", "a..b", "...", "x."];
        let mut paths = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = paths
                .iter()
                .flat_map(|p| parts.iter().map(move |part| format!("{p}/{part}")))
                .collect();
            paths.extend(longer.iter().map(|p| p[1..].to_owned()));
            paths.extend(longer);
        }
        for path in &paths {
            assert_eq!(clean(path), clean_the_long_way(path), "{path:?}");
            let climbs = {
                let mut depth = 0i32;
                path.split('/').any(|p| {
                    depth += match p {
                        "" | "." => 0,
                        ".." => -1,
                        _ => 1,
                    };
                    depth < 0
                })
            };
            assert_eq!(leaves_root(path), climbs, "{path:?}");
        }
    }

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

    #[test]
    fn names_that_climb_out_of_the_root() {
        for out in [
            "..",
            "../x",
            "a/../../x",
            "./../x",
            "a/b/../../../etc/passwd",
            "/../x",
        ] {
            assert!(leaves_root(out), "{out}");
        }
        for inside in [
            "x",
            "a/../b",
            "a/b/../../c",
            "..a/b",
            "a/..b",
            "./a/./b",
            "",
            "/abs",
        ] {
            assert!(!leaves_root(inside), "{inside}");
        }
    }
}
