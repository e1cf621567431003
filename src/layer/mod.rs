//! Reading one layer: decompress (sniffed), walk its tar entries as a stream, scan every regular
//! file with the content rules (in overlapping chunks, binaries included) and judge its name with
//! the path rules, and record what the layer adds and removes (paths, `.wh.` whiteouts, opaque
//! directories) so the image can tell which secrets are still present. Nothing is extracted;
//! every read an attacker controls is capped.

mod budget;
pub mod chunk;
pub mod decode;
mod git;
mod nested;
pub mod targuard;
mod utf16;
pub mod whiteout;
mod zipstream;

use std::io::{self, Read};

use crate::image::layout::Expected;
use crate::rules::RuleSet;
pub use decode::Digest;
use decode::{Capped, Compression, Decoder, Hashing, Inline, Skip};
pub use whiteout::LayerIndex;

/// Caps on what one layer may cost.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most decompressed bytes read from one layer.
    pub max_layer_bytes: u64,
    /// Most tar entries in one layer (and in one nested archive).
    pub max_entries: u64,
    /// Most decompressed bytes read from one archive nested in a layer, its entries together.
    pub max_nested_bytes: u64,
    /// How deep archives may nest inside a layer (a `.jar` in a `.tgz` is depth 2).
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_layer_bytes: 64 << 30,
            max_entries: 5_000_000,
            max_nested_bytes: 1 << 30,
            max_depth: 3,
        }
    }
}

/// What was found in one file of a layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileMatch {
    /// A content rule matched inside the file.
    Content {
        /// The file's path in the image.
        path: String,
        /// The located match.
        found: chunk::Located,
    },
    /// A content rule matched the file's path (a token used as a file or directory name).
    InName {
        /// The file's path in the image.
        path: String,
        /// The match, its offsets in the path.
        found: crate::rules::Match,
    },
    /// The file's name is a secret file (`id_rsa`, `.npmrc`).
    Name {
        /// The file's path in the image.
        path: String,
        /// Index of the path rule.
        rule: usize,
    },
}

impl FileMatch {
    /// The file's path in the image.
    pub fn path(&self) -> &str {
        match self {
            FileMatch::Content { path, .. }
            | FileMatch::InName { path, .. }
            | FileMatch::Name { path, .. } => path,
        }
    }
}

/// One window of a file, as the walk hands it to a [`WindowSink`].
#[derive(Debug)]
pub struct Window {
    /// The file's number, in walk order.
    pub file: usize,
    /// The window's number within the file.
    pub index: usize,
    /// The file's path in the image.
    pub path: Box<str>,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Matches starting at or after this offset belong to the next window.
    pub keep_from: usize,
    /// `bytes` are a whole gzip-compressed file, to be inflated (up to this many bytes) and cut
    /// into windows where it is scanned, so small `.gz` files inside a layer (changelogs, man
    /// pages) are inflated on the pool instead of on the thread reading the layer.
    pub gzip: Option<u64>,
}

/// A scanned window worth keeping until the layer is assembled.
#[derive(Debug)]
pub struct Scanned {
    /// The file's number, in walk order.
    pub file: usize,
    /// The window's number within the file.
    pub index: usize,
    /// The file's path in the image.
    pub path: Box<str>,
    /// What the scan found.
    pub scan: chunk::WindowScan,
    /// Why the file could not be read to its end (a gzip window that does not inflate).
    pub error: Option<String>,
}

impl Window {
    /// Scans the window (the expensive, parallelisable part). Nothing is kept for a window that
    /// is a whole file without a match, so a layer of a million tiny files keeps nothing for
    /// them; a gzip window gives one scan per window of the inflated file.
    pub fn scan(self, rules: &RuleSet) -> Vec<Scanned> {
        let mut out = Vec::new();
        match self.gzip {
            None => self.scan_into(rules, &mut out),
            Some(limit) => {
                let whole = match decode::inflate_whole(&self.bytes, limit) {
                    // the usual changelog: scanned as its one window, not copied into one
                    Some(bytes) if chunk::one_window(bytes.len()) => {
                        let keep_from = bytes.len();
                        let window = Window {
                            bytes,
                            keep_from,
                            gzip: None,
                            ..self
                        };
                        window.scan_into(rules, &mut out);
                        return out;
                    }
                    whole => whole,
                };
                let mut index = self.index;
                let mut streamed = None;
                let (inflated, exact): (&mut dyn Read, _) = match &whole {
                    Some(whole) => (&mut &whole[..], Some(whole.len() as u64)),
                    None => {
                        let inflater = flate2::bufread::MultiGzDecoder::new(&self.bytes[..]);
                        (streamed.insert(Capped::new(inflater, limit)), None)
                    }
                };
                let cut = chunk::windows(inflated, exact, |bytes, keep_from| {
                    let window = Window {
                        file: self.file,
                        index,
                        path: self.path.clone(),
                        bytes,
                        keep_from,
                        gzip: None,
                    };
                    index += 1;
                    window.scan_into(rules, &mut out);
                });
                if let Err(e) = cut {
                    let declared = decode::declared_size(&self.bytes);
                    let over = streamed.is_some_and(|s| s.read > limit);
                    let error = match over {
                        // the walker reserved what the trailer says: more is a corrupt file
                        true if declared == Some(limit) => format!(
                            "inflates to more than the {limit} bytes its gzip trailer declares \
                             (a corrupt file); the rest is not scanned"
                        ),
                        _ => e.to_string(),
                    };
                    out.push(Scanned {
                        file: self.file,
                        index,
                        path: self.path,
                        scan: chunk::WindowScan::default(),
                        error: Some(error),
                    });
                }
            }
        }
        out
    }

    fn scan_into(self, rules: &RuleSet, out: &mut Vec<Scanned>) {
        let scan = chunk::scan_window(&self.bytes, self.keep_from, rules);
        let whole_file = self.index == 0 && self.keep_from == self.bytes.len();
        chunk::recycle(self.bytes);
        if !whole_file || !scan.matches.is_empty() {
            out.push(Scanned {
                file: self.file,
                index: self.index,
                path: self.path,
                scan,
                error: None,
            });
        }
    }
}

/// Where the walk sends file windows to be scanned. The layer module cuts windows (reading is
/// sequential); the implementation decides where and when they are scanned ([`Window::scan`]),
/// and hands back every kept scan at the end, in any order.
pub trait WindowSink {
    /// Takes one window.
    fn window(&mut self, window: Window);
    /// Waits for every window and returns the kept scans.
    fn finish(&mut self) -> Vec<Scanned>;
    /// A digest of the layer's blob (or of its tar), fed as the layer is read: by default
    /// computed on the reading thread.
    fn digest(&self) -> Box<dyn Digest> {
        Box::new(Inline::default())
    }
}

/// Everything read from one layer.
#[derive(Debug, Default)]
pub struct LayerScan {
    /// Matches, in stream order.
    pub matches: Vec<FileMatch>,
    /// Paths, whiteouts and opaque directories of the layer.
    pub index: LayerIndex,
    /// Problems with the layer itself (it could not be read to its end, its digest differs);
    /// the files read before are still reported. With [`LayerScan::file_errors`], at most
    /// [`MAX_ERRORS_PER_LAYER`] and, past them, one saying how many more there were.
    pub errors: Vec<String>,
    /// Problems inside one file's content, `(path in the layer, message)`: an archive in it
    /// that is corrupt, cut short or over a cap. The layer itself was read whole (such a file's
    /// bytes are still scanned as they are), so its digests are still checked, and a problem in
    /// a package's file can be set apart like a finding there.
    pub file_errors: Vec<(String, String)>,
    /// Problems with the layer past the cap, counted while the layer is read
    /// ([`LayerScan::error`]).
    pub errors_dropped: usize,
    /// Problems inside files past the cap ([`LayerScan::file_error`]): counted, and said by
    /// whoever knows whose files they are.
    pub file_errors_dropped: usize,
    /// Decompressed bytes read.
    pub bytes: u64,
    /// Matches were refused past [`MAX_MATCHES_PER_LAYER`] (and an error said so).
    full: bool,
    /// Package database files of this layer, `(path, content)` (read, not scanned; a later
    /// copy of a path replaces an earlier one). Emptied once they cost more than
    /// [`crate::image::packages::MAX_KEPT_DATABASE_BYTES`] to keep.
    pub databases: Vec<(String, Vec<u8>)>,
    /// What [`LayerScan::databases`] cost to keep (their bytes and paths, and a little for each),
    /// counted on once they are emptied: over the cap, the image's files are not told apart by
    /// package.
    pub database_bytes: u64,
    /// The digests computed for a later check ([`scan_computing`]).
    pub digests: Digests,
}

/// Most errors kept from one layer: 20,000 corrupt `.gz` files in a layer must not make 20,000
/// lines of CI log.
pub const MAX_ERRORS_PER_LAYER: usize = 100;
/// Most characters of one layer error.
pub const MAX_ERROR_CHARS: usize = 4096;

impl LayerScan {
    /// Records a problem: one of the first [`MAX_ERRORS_PER_LAYER`], or a count past them. A
    /// message quotes at most [`MAX_ERROR_CHARS`] characters (a hostile entry name may be a MiB).
    pub fn error(&mut self, message: String) {
        if self.errors.len() >= MAX_ERRORS_PER_LAYER {
            self.errors_dropped += 1;
            return;
        }
        self.errors.push(clip(&message));
    }

    /// Drops the layer's package databases for good: no image reading this layer can tell its
    /// files apart by package (the image's over the cap, or the stream's).
    pub fn drop_databases(&mut self) {
        self.databases = Vec::new();
        self.database_bytes = u64::MAX;
    }

    /// Adds matches while the layer holds fewer than [`MAX_MATCHES_PER_LAYER`]; the first
    /// refused is an error saying the rest are not reported.
    pub fn add_matches(&mut self, found: impl IntoIterator<Item = FileMatch>) {
        for found in found {
            if self.matches.len() < MAX_MATCHES_PER_LAYER {
                self.matches.push(found);
            } else if !self.full {
                self.full = true;
                self.error(format!(
                    "more than {MAX_MATCHES_PER_LAYER} secrets in this layer; the rest are not reported"
                ));
            }
        }
    }

    /// Records a problem inside the file at `path` (see [`LayerScan::file_errors`]): one of
    /// the first [`MAX_ERRORS_PER_LAYER`], or a count past them.
    pub fn file_error(&mut self, path: &str, message: String) {
        if self.file_errors.len() >= MAX_ERRORS_PER_LAYER {
            self.file_errors_dropped += 1;
            return;
        }
        self.file_errors.push((clip(path), clip(&message)));
    }

    /// The problem with this layer's digests against what the image says, for a layer read by
    /// [`scan_computing`] (`None`: they match, or the layer had errors and was not hashed whole).
    pub fn check_digest(&self, expected: &Expected) -> Option<String> {
        let d = &self.digests;
        let (what, actual, expected) = match expected {
            Expected::Blob(e) => ("the blob", d.blob.as_deref(), e),
            Expected::Uncompressed(e) if !d.compressed => ("the blob", d.blob.as_deref(), e),
            Expected::Uncompressed(e) => ("the uncompressed layer", d.tar.as_deref(), e),
        };
        if !self.errors.is_empty() {
            return None;
        }
        match actual {
            Some(actual) if actual == expected => None,
            Some(actual) => Some(mismatch(what, actual, expected)),
            None => Some(format!(
                "{what} was not hashed as the stream went by, so it is not checked against {expected}"
            )),
        }
    }

    /// Ends the errors with one counting those past the cap.
    fn count_dropped_errors(&mut self) {
        if self.errors_dropped > 0 {
            let more = std::mem::take(&mut self.errors_dropped);
            self.errors
                .push(format!("{more} more errors in this layer, not reported"));
        }
    }
}

/// Reads and scans one layer blob, checking it against `expected` when known: the blob's own
/// digest as it streams by, or a diff ID against the decompressed stream (hashed only when the
/// blob is compressed; a plain tar's blob digest is its diff ID).
pub fn scan<R: Read>(
    raw: R,
    expected: Option<&Expected>,
    rules: &RuleSet,
    limits: Limits,
    sink: &mut dyn WindowSink,
) -> LayerScan {
    scan_with(raw, Hashes::checked(expected), None, rules, limits, sink)
}

/// Reads and scans a blob that is one file, not a tar (an OCI artifact's: a signature, an SBOM,
/// a file pushed with `oras`, as its manifest's media type says), judged by `name` and scanned
/// whole, archives in it opened; decompressed and checked like a layer.
pub fn scan_file<R: Read>(
    raw: R,
    expected: Option<&Expected>,
    name: &str,
    rules: &RuleSet,
    limits: Limits,
    sink: &mut dyn WindowSink,
) -> LayerScan {
    scan_with(
        raw,
        Hashes::checked(expected),
        Some(name),
        rules,
        limits,
        sink,
    )
}

/// Reads and scans one layer blob of an archive read as a stream, whose manifests may come after
/// its blobs: the digests are computed as the blob goes by ([`LayerScan::digests`]) and checked
/// once the image names them ([`LayerScan::check_digest`]). With `tar`, a compressed blob's
/// decompressed tar is hashed too (for a diff ID; a blob named by its digest needs only its own).
pub fn scan_computing<R: Read>(
    raw: R,
    tar: bool,
    rules: &RuleSet,
    limits: Limits,
    sink: &mut dyn WindowSink,
) -> LayerScan {
    scan_with(raw, Hashes::Compute { tar }, None, rules, limits, sink)
}

/// What is done with a layer's digests.
enum Hashes<'a> {
    Skip,
    Check(&'a Expected),
    Compute { tar: bool },
}

impl Hashes<'_> {
    fn checked(expected: Option<&Expected>) -> Hashes<'_> {
        match expected {
            Some(expected) => Hashes::Check(expected),
            None => Hashes::Skip,
        }
    }
}

/// A layer blob's digests, computed as it was read.
#[derive(Debug, Default, Clone)]
pub struct Digests {
    /// `sha256:<hex>` of the blob as stored.
    pub blob: Option<String>,
    /// `sha256:<hex>` of the decompressed tar, when the blob is compressed and it was asked for.
    pub tar: Option<String>,
    /// The blob is compressed (its digest is not its diff ID).
    pub compressed: bool,
}

fn scan_with<R: Read>(
    raw: R,
    hashes: Hashes<'_>,
    file: Option<&str>,
    rules: &RuleSet,
    limits: Limits,
    sink: &mut dyn WindowSink,
) -> LayerScan {
    let mut out = LayerScan::default();
    let raw_hash: Box<dyn Digest> = match hashes {
        Hashes::Skip => Box::new(Skip),
        Hashes::Check(_) | Hashes::Compute { .. } => sink.digest(),
    };
    let (mut decoder, compression) = match Decoder::new(raw, raw_hash) {
        Ok(d) => d,
        Err(e) => {
            out.error(format!("cannot read the blob: {e}"));
            return out;
        }
    };
    let compressed = compression != Compression::None;
    let not_a_tar = file.is_none().then(|| decoder.not_a_tar()).flatten();
    let mut capped = Capped::new(decoder, limits.max_layer_bytes);
    // the expected digest of the blob and of its tar, or for a later check `Some("")`: computed
    let (raw_digest, tar_digest) = match hashes {
        Hashes::Skip => (None, None),
        Hashes::Check(Expected::Blob(d)) => (Some(d.as_str()), None),
        Hashes::Check(Expected::Uncompressed(d)) if !compressed => (Some(d.as_str()), None),
        Hashes::Check(Expected::Uncompressed(d)) => (None, Some(d.as_str())),
        Hashes::Compute { tar } => (Some(""), (tar && compressed).then_some("")),
    };
    let mut tar = Hashing::new(&mut capped);
    let stream: &mut dyn Read = if tar_digest.is_some() {
        &mut tar
    } else {
        tar.get_mut()
    };
    // tar headers are read 512 bytes at a time: a decoder asked for so little at once is slow
    // (libzstd and zlib-rs both), so small reads come from a buffer; window fills bypass it.
    // A plain blob is already read in blocks, and one more buffer would be one more copy.
    let walked = match file {
        Some(name) => walk_file(stream, name, rules, limits, &mut out, sink),
        None if compressed => {
            let mut buffered = io::BufReader::with_capacity(256 << 10, stream);
            walk(&mut buffered, rules, limits, &mut out, sink)
        }
        None => walk(stream, rules, limits, &mut out, sink),
    };
    match (walked, not_a_tar) {
        (Ok(()), _) => {}
        (Err(e), None) => out.error(format!("stopped reading: {e}")),
        (Err(e), Some(head)) => out.error(format!(
            "stopped reading: {e} (the blob is not a tar, nor gzip or zstd: it starts {head})"
        )),
    }
    collect(sink.finish(), &mut out);
    out.digests.compressed = compressed;
    if let (true, Some(expected)) = (out.errors.is_empty(), tar_digest) {
        out.digests.tar = check(tar.finish(), expected, "the uncompressed layer", &mut out);
    }
    out.bytes = capped.read;
    if let (true, Some(expected)) = (out.errors.is_empty(), raw_digest) {
        let actual = capped.inner.into_hashing().finish();
        out.digests.blob = check(actual, expected, "the blob", &mut out);
    }
    out.count_dropped_errors();
    out
}

/// Checks a digest against `expected` (`""`: only computed); the digest, once read to the end.
fn check(
    actual: io::Result<(String, u64)>,
    expected: &str,
    what: &str,
    out: &mut LayerScan,
) -> Option<String> {
    match actual {
        Ok((actual, _)) => {
            if !expected.is_empty() && actual != expected {
                out.error(mismatch(what, &actual, expected));
            }
            Some(actual)
        }
        Err(e) => {
            out.error(format!("cannot finish reading the blob: {e}"));
            None
        }
    }
}

/// At most [`MAX_ERROR_CHARS`] characters of an error's text.
fn clip(text: &str) -> String {
    crate::error::clip(text, MAX_ERROR_CHARS).into_owned()
}

fn mismatch(what: &str, actual: &str, expected: &str) -> String {
    format!("digest mismatch: {what} is {actual}, the image says {expected}")
}

fn walk(
    reader: &mut dyn Read,
    rules: &RuleSet,
    limits: Limits,
    out: &mut LayerScan,
    sink: &mut dyn WindowSink,
) -> io::Result<()> {
    nested::Walker::new(rules, limits, out, sink).tar(reader, "", 0)
}

/// A blob that is one file: recorded and judged as `name` at the top of the layer.
fn walk_file(
    reader: &mut dyn Read,
    name: &str,
    rules: &RuleSet,
    limits: Limits,
    out: &mut LayerScan,
    sink: &mut dyn WindowSink,
) -> io::Result<()> {
    out.index.record(name, false);
    nested::Walker::new(rules, limits, out, sink).file(reader, name, 1, None, 0)
}

/// Most findings reported from one file; past it, an error says the rest were not reported.
pub const MAX_MATCHES_PER_FILE: usize = 1000;
/// Most findings reported from one layer.
pub const MAX_MATCHES_PER_LAYER: usize = 10_000;

/// Turns window scans back into located matches, file by file, in stream order.
fn collect(mut scans: Vec<Scanned>, out: &mut LayerScan) {
    scans.sort_by_key(|s| (s.file, s.index));
    let mut scans = scans.into_iter().peekable();
    while let Some(first) = scans.next() {
        let (file, path) = (first.file, first.path);
        let mut errors: Vec<String> = first.error.into_iter().collect();
        let mut windows = vec![first.scan];
        while let Some(next) = scans.next_if(|s| s.file == file) {
            errors.extend(next.error);
            windows.push(next.scan);
        }
        for error in errors {
            out.file_error(&path, error);
        }
        let truncated = windows.iter().any(|w| w.truncated);
        let mut found = chunk::assemble(windows);
        if truncated || found.len() > MAX_MATCHES_PER_FILE {
            found.truncate(MAX_MATCHES_PER_FILE);
            let message =
                format!("more than {MAX_MATCHES_PER_FILE} secrets; the rest are not reported");
            out.file_error(&path, message);
        }
        out.add_matches(found.into_iter().map(|found| FileMatch::Content {
            path: path.to_string(),
            found,
        }));
    }
}

/// A tar entry name as an image path: `./` and leading `/` removed, `..` kept (it is reported,
/// never followed); non-UTF-8 bytes replaced.
pub fn entry_path(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let trimmed = text.trim_start_matches("./").trim_start_matches('/');
    trimmed.trim_end_matches('/').to_owned()
}
