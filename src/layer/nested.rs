//! Walking a layer's tar and, recursively, the archives inside it. What a file is gets sniffed
//! from its first bytes, never its name: gzip and zstd are decompressed and looked at again (a
//! `.tgz` is a tar inside gzip; `changelog.gz` is text; `backup.tar.zst`), a tar is walked, a
//! zip (`.jar`, `.war`, `.whl`) is read as a stream of entries ([`super::zipstream`]), a git
//! packfile or loose object (where the name says `.git/objects` too) is inflated object by
//! object ([`super::git`]), anything else is scanned as bytes. A small `.gz` of plain data (up to 4 MiB compressed: changelogs,
//! man pages) is handed to the sink whole and inflated where it is scanned, so it does not hold
//! up the thread reading the layer; larger ones, and those holding archives, are inflated here as
//! streams. Entries inside an archive are named `outer!/inner`. Depth, entries and decompressed
//! bytes are capped per nested archive (its entries together), and what all of a layer's
//! decompressors make is drawn from one [`Budget`], so a zip bomb inside a layer, or a layer of
//! thousands of small ones, ends with an error naming the file, and the layer's other files are
//! still read.

use std::collections::{HashMap, HashSet};
use std::io::{self, BufReader, Cursor, Read};

use flate2::read::MultiGzDecoder;

use super::budget::{Budget, Metered};
use super::decode::{self, Capped, is_zstd, window_refused};
use super::git;
use super::targuard::{self, Guard};
use super::utf16;
use super::zipstream;
use super::{FileMatch, LayerScan, Limits, Window, WindowSink, chunk, entry_path};
use crate::image::packages;
use crate::image::store::leaves_root;
use crate::rules::RuleSet;

/// What keeping one package database costs beyond its path and bytes (its place in the list and
/// in the index of paths).
const KEEP_COST: u64 = 128;

/// Largest gzip file (compressed) handed to the sink whole instead of inflated while walking.
const MAX_HANDED_ON_GZIP: u64 = 4 << 20;

/// The largest zstd window of a file inside a layer: 2^24 = 16 MiB. The zstd tool writes at
/// most 8 MiB windows up to level 19; larger ones (`--long`, `--ultra`) are refused for that file,
/// so several layers read at once never hold more than a few such windows.
const NESTED_ZSTD_WINDOW_LOG_MAX: u32 = 24;

/// What a file's first bytes say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Gzip,
    Zstd,
    Tar,
    Zip,
    GitPack,
    GitObject,
    Data,
}

fn sniff(head: &[u8], path: &str) -> Kind {
    if head.starts_with(&[0x1f, 0x8b]) {
        Kind::Gzip
    } else if is_zstd(head) {
        Kind::Zstd
    } else if head.starts_with(b"PK\x03\x04") {
        Kind::Zip
    } else if head.len() >= 262 && &head[257..262] == b"ustar" {
        Kind::Tar
    } else if git::is_pack(head) {
        Kind::GitPack
    } else if git::is_loose_object(path, head) {
        Kind::GitObject
    } else {
        Kind::Data
    }
}

/// The walk over one layer.
pub struct Walker<'a> {
    pub rules: &'a RuleSet,
    pub limits: Limits,
    pub out: &'a mut LayerScan,
    /// Where file contents go to be scanned.
    pub sink: &'a mut dyn WindowSink,
    /// Files handed to the sink so far (the next file's number).
    pub files: usize,
    /// Secrets already found in file names, by rule: each is reported once per layer, not for
    /// every file under a directory named by it. At most [`super::MAX_MATCHES_PER_LAYER`].
    named: HashSet<(usize, String)>,
    /// Bytes the walk's sparse files may still expand to, together (see [`Walker::sparse`]).
    sparse_left: u64,
    /// What the layer's decompressors may still make, together.
    budget: Budget,
    /// Where each package database path is in `out.databases`.
    database_at: HashMap<String, usize>,
}

impl<'a> Walker<'a> {
    /// A walk that has handed no file to `sink` yet.
    pub fn new(
        rules: &'a RuleSet,
        limits: Limits,
        out: &'a mut LayerScan,
        sink: &'a mut dyn WindowSink,
    ) -> Walker<'a> {
        Walker {
            rules,
            limits,
            out,
            sink,
            files: 0,
            named: HashSet::new(),
            sparse_left: nested_cap(&limits),
            budget: Budget::new(nested_cap(&limits)),
            database_at: HashMap::new(),
        }
    }

    /// Walks a tar. At depth 0 it is the layer itself: entries are recorded in the layer index
    /// (whiteouts included), and a read error ends the layer. Deeper, it is an archive in a file.
    pub fn tar(&mut self, reader: &mut dyn Read, prefix: &str, depth: usize) -> io::Result<()> {
        let mut archive = tar::Archive::new(Guard::new(reader));
        for (count, entry) in archive.entries_with_seek()?.enumerate() {
            if count as u64 >= self.limits.max_entries {
                let message = format!("more than {} entries", self.limits.max_entries);
                return Err(io::Error::other(message));
            }
            let mut entry = entry.map_err(targuard::quiet)?;
            let name = entry_path(&entry.path_bytes());
            let kind = entry.header().entry_type();
            if depth == 0 {
                self.breakout(&name, &entry);
            }
            if depth == 0 && self.out.index.record(&name, kind.is_dir()) {
                continue; // a whiteout marker, not a file
            }
            // a GNU sparse file is a file too: its holes are zeros the tar reader makes up
            let sparse = kind.is_gnu_sparse();
            if depth == 0 {
                // the entry's stored bytes are read: the budget grows by them
                let stored = match sparse {
                    false => entry.size(),
                    true => entry.header().entry_size().unwrap_or(0),
                };
                (self.budget).read_to(entry.raw_file_position().saturating_add(stored));
            }
            if !(kind.is_file() || kind.is_contiguous() || sparse) {
                continue;
            }
            if depth == 0 && packages::is_database(&name) {
                let mut content = Vec::new();
                (&mut entry)
                    .take(packages::max_database_bytes(&name) + 1)
                    .read_to_end(&mut content)?;
                match packages::keep_database(&name, content) {
                    Ok(kept) => self.keep_database(name, kept),
                    Err(why) => self.out.file_error(&format!("{prefix}{name}"), why),
                }
                continue;
            }
            // the layer's own entries have no prefix: the name is the path, no copy made
            let path = match prefix {
                "" => name,
                _ => format!("{prefix}{name}"),
            };
            let size = entry.size();
            let read = match sparse {
                false => self.file(&mut entry, &path, size, Some(size), depth),
                true => self.sparse(&mut entry, &path, size, depth),
            };
            if let Err(e) = read {
                if depth == 0 && !is_nested(&e) {
                    return Err(e);
                }
                self.out.file_error(&path, e.to_string());
            }
        }
        Ok(())
    }

    /// Reads a GNU sparse file as the tar reader expands it, up to the nested cap: its declared
    /// size may be a TiB of holes around a few bytes of data (`tar --sparse` stores only the
    /// data), and every hole byte costs a read. The layer's sparse files share one such cap
    /// too, as the entries of a nested archive do: holes take no stored bytes, so without it a
    /// layer of a few KiB holding thousands of sparse entries would make up petabytes of zeros.
    /// Past either cap the file is an error (its name was judged; the layer goes on).
    fn sparse(
        &mut self,
        entry: &mut dyn Read,
        path: &str,
        size: u64,
        depth: usize,
    ) -> io::Result<()> {
        let cap = self.nested_limit();
        let limit = cap.min(self.sparse_left);
        let mut capped = Capped::new(entry, limit);
        let read = self.file(&mut capped, path, size, None, depth);
        self.sparse_left -= capped.read.min(self.sparse_left);
        if capped.read <= limit || read.is_ok() {
            return read; // within the caps, or a nested walk that said why itself
        }
        let sparse = format!("a sparse file of {size} bytes, holes included");
        let message = match limit {
            0 => format!(
                "{sparse}: not read, the layer's sparse files may expand to {cap} bytes \
                 together (limit)"
            ),
            _ if limit == cap => {
                format!("{sparse}: read up to {limit} bytes (limit), the rest not scanned")
            }
            _ => format!(
                "{sparse}: read up to {limit} bytes, the rest not scanned: the layer's sparse \
                 files may expand to {cap} bytes together (limit)"
            ),
        };
        Err(nested(io::Error::other(message)))
    }

    /// Keeps a package database of the layer, replacing an earlier copy of its path, while the
    /// layer's together cost at most [`packages::MAX_KEPT_DATABASE_BYTES`] to keep: their bytes
    /// and paths, and [`KEEP_COST`] for each (a million empty `.list` files are a cost too).
    fn keep_database(&mut self, path: String, content: Vec<u8>) {
        let out = &mut *self.out;
        let cost = |path: &str, content: &[u8]| (path.len() + content.len()) as u64 + KEEP_COST;
        if out.database_bytes > packages::MAX_KEPT_DATABASE_BYTES {
            return; // past the cap: nothing more is kept or counted
        }
        let at = self.database_at.get(&path).copied();
        if let Some((old_path, old)) = at.map(|at| &out.databases[at]) {
            out.database_bytes -= cost(old_path, old);
        }
        out.database_bytes += cost(&path, &content);
        if out.database_bytes > packages::MAX_KEPT_DATABASE_BYTES {
            out.databases = Vec::new();
            self.database_at = HashMap::new();
        } else if let Some(at) = at {
            out.databases[at].1 = content;
        } else {
            self.database_at.insert(path.clone(), out.databases.len());
            out.databases.push((path, content));
        }
    }

    /// A layer entry whose name, or hard link target, climbs out of the image root with `..`
    /// (path traversal: Docker refuses to apply such a layer, a naive extractor writes outside
    /// its directory) is an error naming it; the entry is still read where it says, nothing is
    /// ever written. Symbolic links may point anywhere: they are never followed.
    fn breakout<R: Read>(&mut self, name: &str, entry: &tar::Entry<'_, R>) {
        let link = match entry.header().entry_type().is_hard_link() {
            true => entry.link_name_bytes().map(|l| entry_path(&l)),
            false => None,
        };
        let message = if leaves_root(name) {
            "its name leaves the image root (path traversal)".to_owned()
        } else if let Some(target) = link.filter(|l| leaves_root(l)) {
            format!("a hard link to {target}, outside the image root (path traversal)")
        } else {
            return;
        };
        self.out.file_error(name, message);
    }

    /// Judges one file by name, then by content (recursing into archives). `size` is what the
    /// archive declares (the name is judged only for non-empty files); `exact` is the length of
    /// `reader` when known, so windows are allocated once at the right size. The path itself
    /// meets the content rules too: a token used as a file or directory name is a leak, and
    /// reporting it lets every output redact the path.
    pub fn file(
        &mut self,
        reader: &mut dyn Read,
        path: &str,
        size: u64,
        exact: Option<u64>,
        depth: usize,
    ) -> io::Result<()> {
        let mut named = self.rules.find_matches(path.as_bytes());
        named.retain(|found| {
            let key = (found.rule, found.secret.clone());
            // past the layer's cap on findings the rest are refused anyway: not remembered
            let room = self.named.len() < super::MAX_MATCHES_PER_LAYER;
            !self.named.contains(&key) && (!room || self.named.insert(key))
        });
        let in_name = |found| FileMatch::InName {
            path: path.to_owned(),
            found,
        };
        self.out.add_matches(named.into_iter().map(in_name));
        if size > 0
            && let Some(rule) = self.rules.match_path(path)
        {
            let index = self
                .rules
                .rules()
                .iter()
                .position(|r| std::ptr::eq(r, rule));
            if let Some(rule) = index {
                self.out.matches.push(FileMatch::Name {
                    path: path.to_owned(),
                    rule,
                });
            }
        }
        self.contents(reader, path, exact, depth)
    }

    /// What a file holds, by its first bytes: bytes to scan, or an archive to walk.
    fn contents(
        &mut self,
        reader: &mut dyn Read,
        path: &str,
        exact: Option<u64>,
        depth: usize,
    ) -> io::Result<()> {
        // a file declared to fit one window is read into its window from the first byte
        let whole = exact.filter(|&n| chunk::one_window(n as usize));
        let mut head = Vec::with_capacity(whole.map_or(512, |n| n as usize + 1).max(512));
        reader.take(512).read_to_end(&mut head)?;
        if let Some(order) = utf16::byte_order(&head) {
            let mut text = utf16::Utf16::new(Cursor::new(head).chain(reader), order);
            return self.content(&mut text, path, None);
        }
        match self.kind(&head, path, depth) {
            Kind::Gzip => self.gzip(head, reader, path, exact, depth),
            Kind::Zstd => self.zstd(head, reader, path, depth).map_err(nested),
            Kind::GitPack => self
                .git_pack(&mut Cursor::new(head).chain(reader), path, depth + 1)
                .map_err(nested),
            Kind::GitObject => self
                .git_object(&mut Cursor::new(head).chain(reader), path, depth + 1)
                .map_err(nested),
            Kind::Data if whole.is_some() => match chunk::one_window_of(head, &mut *reader)? {
                Ok(window) => {
                    self.hand_on(window, path, None);
                    Ok(())
                }
                // it ran past the size it declared: cut into windows as it comes
                Err(head) => self.content(&mut Cursor::new(head).chain(reader), path, None),
            },
            Kind::Data => self.content(&mut Cursor::new(head).chain(reader), path, exact),
            Kind::Tar => self
                .tar(
                    &mut Cursor::new(head).chain(reader),
                    &format!("{path}!/"),
                    depth + 1,
                )
                .map_err(nested),
            Kind::Zip => self.zip(&mut Cursor::new(head).chain(reader), path, depth + 1),
        }
    }

    fn kind(&self, head: &[u8], path: &str, depth: usize) -> Kind {
        if depth < self.limits.max_depth {
            sniff(head, path)
        } else {
            Kind::Data
        }
    }

    /// A packfile: each object inflated and looked at again as `pack!/<kind>-<index>`.
    fn git_pack(&mut self, reader: &mut dyn Read, path: &str, depth: usize) -> io::Result<()> {
        let mut buffered = BufReader::with_capacity(64 << 10, reader);
        let cap = self.nested_limit();
        let (max_objects, mut left) = (self.limits.max_entries, cap);
        let budget = self.budget.clone();
        git::walk_pack(
            &mut buffered,
            max_objects,
            cap,
            &budget,
            |index, kind, inflated| {
                let inner = format!("{path}!/{kind}-{index}");
                let mut capped = Capped::new(inflated, left);
                let result = self.contents(&mut capped, &inner, None, depth);
                left = spend(left, &capped, cap)?;
                match result {
                    // an archive inside the object: the pack itself reads on
                    Err(e) if is_nested(&e) => self.out.file_error(&inner, e.to_string()),
                    other => other?,
                }
                Ok(())
            },
        )
    }

    /// A loose object: its content, inflated, looked at again under the object's own path.
    fn git_object(&mut self, reader: &mut dyn Read, path: &str, depth: usize) -> io::Result<()> {
        let mut buffered = BufReader::with_capacity(64 << 10, reader);
        git::loose(&mut buffered, |_, inflated| {
            let mut capped = self.capped(inflated);
            self.contents(&mut capped, path, None, depth)
        })
    }

    /// A gzip file: when it is small and holds plain data (a changelog, a man page), the whole
    /// compressed file goes to the sink, which inflates and scans it on the pool, once what it
    /// inflates to is reserved from the budget ([`one_member_size`]); otherwise it is inflated
    /// here, as a stream, and looked at again.
    fn gzip(
        &mut self,
        head: Vec<u8>,
        reader: &mut dyn Read,
        path: &str,
        exact: Option<u64>,
        depth: usize,
    ) -> io::Result<()> {
        let mut whole = head;
        if exact.is_some_and(|n| n <= MAX_HANDED_ON_GZIP) {
            reader
                .take(MAX_HANDED_ON_GZIP + 1 - whole.len() as u64)
                .read_to_end(&mut whole)?;
            let fits = whole.len() as u64 <= MAX_HANDED_ON_GZIP;
            if fits
                && self.inflates_to_data(&whole, depth + 1)
                && let Some(size) = one_member_size(&whole)
            {
                let limit = self.nested_limit().min(size);
                if self.budget.reserve(limit) {
                    self.hand_on(whole, path, Some(limit));
                    return Ok(());
                }
            }
        }
        let mut inflated = self.capped(MultiGzDecoder::new(Cursor::new(whole).chain(reader)));
        self.contents(&mut inflated, path, None, depth + 1)
            .map_err(nested)
    }

    /// A zstd file (`.zst`, `.tar.zst`), decompressed as a stream and looked at again. Its
    /// window may be at most [`NESTED_ZSTD_WINDOW_LOG_MAX`]: the decoder holds it whole.
    fn zstd(
        &mut self,
        head: Vec<u8>,
        reader: &mut dyn Read,
        path: &str,
        depth: usize,
    ) -> io::Result<()> {
        let compressed = BufReader::with_capacity(64 << 10, Cursor::new(head).chain(reader));
        let mut decoder = zstd::Decoder::with_buffer(compressed)?;
        decoder.window_log_max(NESTED_ZSTD_WINDOW_LOG_MAX)?;
        let mut inflated = self.capped(decoder);
        (self.contents(&mut inflated, path, None, depth + 1))
            .map_err(|e| window_refused(e, NESTED_ZSTD_WINDOW_LOG_MAX))
    }

    /// True when `compressed` starts inflating without error into bytes to scan (not an
    /// archive to walk) at `depth`.
    fn inflates_to_data(&self, compressed: &[u8], depth: usize) -> bool {
        let mut head = Vec::with_capacity(512);
        let inflater = flate2::bufread::MultiGzDecoder::new(compressed);
        inflater.take(512).read_to_end(&mut head).is_ok()
            && self.kind(&head, "", depth) == Kind::Data
    }

    /// Hands the file's content to the sink, window by window.
    fn content(&mut self, reader: &mut dyn Read, path: &str, exact: Option<u64>) -> io::Result<()> {
        let file = self.files;
        self.files += 1;
        let sink = &mut *self.sink;
        let mut index = 0;
        chunk::windows(reader, exact, |bytes, keep_from| {
            sink.window(Window {
                file,
                index,
                path: path.into(),
                bytes,
                keep_from,
                gzip: None,
            });
            index += 1;
        })?;
        Ok(())
    }

    /// Hands a whole file to the sink as one window (`gzip`: compressed, inflated there).
    fn hand_on(&mut self, bytes: Vec<u8>, path: &str, gzip: Option<u64>) {
        let file = self.files;
        self.files += 1;
        let keep_from = bytes.len();
        self.sink.window(Window {
            file,
            index: 0,
            path: path.into(),
            bytes,
            keep_from,
            gzip,
        });
    }

    fn nested_limit(&self) -> u64 {
        nested_cap(&self.limits)
    }

    /// Walks a zip from its local headers, as a stream (never held in memory); where the
    /// headers cannot be followed, the rest is scanned as bytes and the walk says why.
    fn zip(&mut self, reader: &mut dyn Read, path: &str, depth: usize) -> io::Result<()> {
        let mut buffered = BufReader::with_capacity(64 << 10, reader);
        let cap = self.nested_limit();
        let (max_entries, mut left) = (self.limits.max_entries, cap);
        let budget = self.budget.clone();
        let ended = zipstream::walk(
            &mut buffered,
            max_entries,
            cap,
            &budget,
            |entry, content| {
                if entry.is_dir {
                    return Ok(());
                }
                let inner = format!("{path}!/{}", entry_path(entry.name));
                let mut capped = Capped::new(content, left);
                let (size, exact) = (entry.size.unwrap_or(1), entry.size);
                let result = self.file(&mut capped, &inner, size, exact, depth);
                if let Err(e) = result {
                    self.out.file_error(&inner, e.to_string());
                }
                left = spend(left, &capped, cap)?;
                Ok(())
            },
        );
        match ended {
            Ok(zipstream::Ended::Done) => Ok(()),
            Ok(zipstream::Ended::Stopped(why)) => {
                self.content(&mut buffered, path, None)?;
                let message = format!(
                    "zip entries not followed past here ({why}); the rest was scanned as bytes"
                );
                Err(nested(io::Error::other(message)))
            }
            Err(e) => Err(nested(e)),
        }
    }

    /// A decompressor's output, capped as one nested file and drawn from the layer's budget.
    fn capped<R: Read>(&self, inner: R) -> Capped<Metered<R>> {
        Capped::new(Metered::new(inner, &self.budget), self.nested_limit())
    }
}

/// What a whole `.gz` inflates to, known before it is inflated, so it can be reserved from the
/// budget and the file inflated on the pool: the size its trailer declares, when it has one
/// member. A file of several members declares only its last one's size, so `None` when a second
/// gzip header may start anywhere in it (its three magic bytes and valid flags: by chance once in
/// 128 MiB of compressed bytes): it is inflated here, its bytes counted as they come. A trailer
/// that lies is a corrupt file: the pool reads one byte past what it declares, then says so.
fn one_member_size(whole: &[u8]) -> Option<u64> {
    let rest = whole.get(1..)?;
    let member = memchr::memmem::find_iter(rest, &[0x1f, 0x8b, 0x08])
        .any(|at| rest.get(at + 3).is_some_and(|flags| flags & 0xe0 == 0));
    decode::declared_size(whole).filter(|_| !member)
}

/// Most bytes one nested archive (or a layer's sparse files, together) may decompress to.
fn nested_cap(limits: &Limits) -> u64 {
    limits.max_nested_bytes.min(limits.max_layer_bytes)
}

/// What an archive may still decompress after one more entry read `entry.read` bytes of it: its
/// entries share one cap (a zip of a thousand 1 GiB entries is a bomb however each is counted),
/// and once it is spent the rest of the archive is not read.
fn spend<R>(left: u64, entry: &Capped<R>, cap: u64) -> io::Result<u64> {
    match left
        .checked_sub(entry.read)
        .filter(|_| entry.read <= entry.limit)
    {
        Some(left) => Ok(left),
        None => Err(io::Error::other(format!(
            "its entries decompress to more than {cap} bytes in all (limit); the rest is not read"
        ))),
    }
}

/// Marks an error as coming from inside a nested archive (the layer itself is still readable).
fn nested(error: io::Error) -> io::Error {
    if is_nested(&error) {
        return error;
    }
    io::Error::new(io::ErrorKind::InvalidData, NestedError(error.to_string()))
}

fn is_nested(error: &io::Error) -> bool {
    error.get_ref().is_some_and(|e| e.is::<NestedError>())
}

#[derive(Debug)]
struct NestedError(String);

impl std::fmt::Display for NestedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NestedError {}
