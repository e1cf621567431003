//! Reading an image tar from a stream (standard input, a compressed tarball) in one pass and in
//! bounded memory. A tar's order is its writer's: `docker save` puts `manifest.json` last, OCI
//! archives their blobs first, so nothing can wait for the manifests. Small entries that do not
//! look like layers (the JSON documents) are kept; every other file is scanned as a layer as it
//! goes by, its digests computed for the check made once the manifests name them. The scans of
//! blobs that no manifest names are dropped later, errors and all. A tar whose first member is
//! no export's (`docker export … | stowaway scan -`) is scanned whole as one filesystem layer.

use std::io::{self, Cursor, Read};

use crate::image::layout::MAX_JSON_BYTES;
use crate::image::packages::MAX_KEPT_DATABASE_BYTES;
use crate::image::store::{self, Gathered, MAX_ARCHIVE_ENTRIES, Store, is_export_member};
use crate::image::{Outer, is_tar};
use crate::layer::{self, LayerScan, Limits};
use crate::rules::RuleSet;

use super::progress::{Counting, Progress};
use super::windows;

/// The most bytes of small entries kept from one stream (JSON documents of an export take KBs).
pub const MAX_KEPT_BYTES: usize = 64 << 20;
/// The most blobs of one stream scanned as layers (an image has at most 127 layers; a file
/// holding many images, thousands; each scan is kept until the manifests are read).
pub const MAX_STREAM_LAYERS: usize = 10_000;
/// Bytes of directory headers read, at most, looking for an archive's first member.
const MAX_FIRST_MEMBER_BYTES: usize = 1 << 20;

/// How a stream is read.
#[derive(Clone, Copy)]
pub struct StreamOptions<'a> {
    /// Caps per layer.
    pub limits: Limits,
    /// Told how many bytes of the (decompressed) archive were read.
    pub progress: Option<&'a dyn Progress>,
    /// Hash blobs on the pool, not on the reading thread (no other image is being scanned).
    pub alone: bool,
    /// A tar that holds no image export is one filesystem layer, not an error.
    pub filesystem_tars: bool,
    /// Blobs are not hashed (`--no-digest-check`: nothing would check their digests).
    pub skip_digest_check: bool,
}

/// Reads the stream to its end: the store of what was kept, and the layer scans it names by
/// number ([`Store::streamed_layer`]).
pub fn read(
    stream: Box<dyn Read + Send>,
    source: &str,
    rules: &RuleSet,
    options: StreamOptions<'_>,
) -> (Store, Vec<LayerScan>) {
    let counted = Counting::new(stream, source, options.progress);
    let mut recorder = Recorder {
        inner: counted,
        recorded: Some(Vec::new()),
    };
    let first = first_member(&mut recorder);
    let stream = Cursor::new(recorder.recorded.take().unwrap_or_default()).chain(recorder.inner);
    let mut gathered = Gathered::default();
    let mut scans = Vec::new();
    let truncated = match first {
        Err(e) => Some(format!("cannot read the archive: {e}")),
        Ok(Some(path)) if !is_export_member(&path) => {
            if !options.filesystem_tars {
                let message = format!("not an image export: its first member is {path:?}");
                return (Store::streamed(gathered, Some(message)), scans);
            }
            // a filesystem has no digest to check: hashing it would be a third of the work
            scans.push(scan_layer(stream, None, rules, options));
            gathered.layer(store::ARCHIVE.to_owned(), 0, 0);
            None
        }
        Ok(_) => gather(stream, rules, options, &mut gathered, &mut scans),
    };
    (Store::streamed(gathered, truncated), scans)
}

/// Reads every entry of an image export, keeping or scanning each file; why it stopped early.
fn gather(
    stream: impl Read,
    rules: &RuleSet,
    options: StreamOptions<'_>,
    gathered: &mut Gathered,
    scans: &mut Vec<LayerScan>,
) -> Option<String> {
    let mut archive = tar::Archive::new(stream);
    let mut held = 0u64; // bytes of package databases the scans hold
    let entries = match archive.entries() {
        Ok(entries) => entries,
        Err(e) => return Some(format!("cannot read the archive: {e}")),
    };
    for (count, entry) in entries.enumerate() {
        if count >= MAX_ARCHIVE_ENTRIES {
            return Some(format!(
                "more than {MAX_ARCHIVE_ENTRIES} entries; the rest is not read"
            ));
        }
        let mut entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                let e = layer::targuard::quiet(e);
                return Some(format!("stopped reading the archive: {e}"));
            }
        };
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let Some(path) = store::clean(&name) else {
            gathered.unsafe_name(&name);
            continue;
        };
        let kind = entry.header().entry_type();
        if kind.is_symlink() || kind.is_hard_link() {
            if let Some(target) = entry.link_name_bytes() {
                gathered.link(path, &String::from_utf8_lossy(&target), kind.is_symlink());
            }
            continue;
        }
        if !kind.is_file() {
            continue;
        }
        let size = entry.size();
        let mut head = Vec::with_capacity(512);
        if let Err(e) = (&mut entry).take(512).read_to_end(&mut head) {
            return Some(format!("stopped reading the archive at {path}: {e}"));
        }
        let small = !looks_like_layer(&head) && size <= MAX_JSON_BYTES;
        if small && gathered.kept() as u64 + size <= MAX_KEPT_BYTES as u64 {
            if let Err(e) = entry.read_to_end(&mut head) {
                return Some(format!("stopped reading the archive at {path}: {e}"));
            }
            gathered.keep(path, &head);
        } else if small {
            gathered.skip(path, "the stream's small entries passed 64 MiB");
        } else if scans.len() >= MAX_STREAM_LAYERS {
            gathered.skip(path, "the stream held more than 10,000 layer blobs");
        } else {
            let blob = Cursor::new(head).chain(&mut entry);
            let hashes = (!options.skip_digest_check).then(|| !content_addressed(&path));
            gathered.layer(path, scans.len(), size);
            let mut scan = scan_layer(blob, hashes, rules, options);
            // the images the layers belong to are known only at the end: the stream holds up
            // to two images' worth of package databases (a real image's are a few MB), then
            // drops each layer's for good (an image naming such a layer has no package
            // attribution, and an error says so)
            let held_then = held.saturating_add(scan.database_bytes);
            if held_then > 2 * MAX_KEPT_DATABASE_BYTES {
                scan.drop_databases();
            } else {
                held = held_then;
            }
            scans.push(scan);
        }
    }
    None
}

/// Scans one blob as a layer, its windows on the pool while this thread reads it (a tar entry
/// cannot move to another thread). With `hashes`, its digests are computed for a later check
/// (`Some(true)`: its decompressed tar's too); without, nothing is hashed.
fn scan_layer(
    blob: impl Read,
    hashes: Option<bool>,
    rules: &RuleSet,
    options: StreamOptions,
) -> LayerScan {
    let shared = windows::Shared::default();
    let behind = options.alone && rayon::current_num_threads() > 1;
    rayon::in_place_scope(|scope| {
        let mut sink = windows::Parallel::new(scope, rules, &shared, behind);
        match hashes {
            Some(tar) => layer::scan_computing(blob, tar, rules, options.limits, &mut sink),
            None => layer::scan(blob, None, rules, options.limits, &mut sink),
        }
    })
}

/// The path of the first member that is not a directory (nor a global PAX header); `None` for
/// an empty archive, or when a MiB of directory headers names none.
fn first_member(recorder: &mut Recorder<impl Read>) -> io::Result<Option<String>> {
    let mut archive = tar::Archive::new(recorder);
    for entry in archive.entries()? {
        let entry = entry?;
        let kind = entry.header().entry_type();
        // a directory, or the global PAX header some writers open with (`git archive`)
        if !kind.is_dir() && !kind.is_pax_global_extensions() {
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            return Ok(Some(store::clean(&name).unwrap_or(name)));
        }
        if entry.raw_header_position() > MAX_FIRST_MEMBER_BYTES as u64 {
            break;
        }
    }
    Ok(None)
}

/// A blob that begins like a layer: a tar header, gzip or zstd.
fn looks_like_layer(head: &[u8]) -> bool {
    is_tar(head) || matches!(Outer::sniff(head), Some(Outer::Gzip | Outer::Zstd))
}

/// A blob named by its own digest (`blobs/sha256/<hex>`, a `dir:` copy's `<hex>`): its digest
/// is what the manifests check, so a compressed one's tar is not hashed for a diff ID.
fn content_addressed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("");
    name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A reader that keeps a copy of what it reads until its copy is taken (to read an archive's
/// first headers twice).
struct Recorder<R> {
    inner: R,
    recorded: Option<Vec<u8>>,
}

impl<R: Read> Read for Recorder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(recorded) = &mut self.recorded {
            // a "directory" with a GiB of content is skipped by reading it: never kept
            if recorded.len() + n > 2 * MAX_FIRST_MEMBER_BYTES {
                let message = "the archive's first member lies past 2 MiB of directory entries";
                return Err(io::Error::new(io::ErrorKind::InvalidData, message));
            }
            recorded.extend_from_slice(&buf[..n]);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, data) in entries {
            let mut header = tar::Header::new_ustar();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            builder.append_data(&mut header, name, *data).unwrap();
        }
        builder.into_inner().unwrap()
    }

    /// The blob digests each scan of `stream` computed, with and without digest checks.
    fn hashed(stream: &[u8], skip_digest_check: bool) -> Vec<Option<String>> {
        let options = StreamOptions {
            limits: Limits::default(),
            progress: None,
            alone: true,
            filesystem_tars: true,
            skip_digest_check,
        };
        let rules = RuleSet::builtin().unwrap();
        let (_, scans) = read(Box::new(Cursor::new(stream.to_vec())), "-", &rules, options);
        scans.into_iter().map(|scan| scan.digests.blob).collect()
    }

    #[test]
    fn blobs_are_hashed_only_when_a_digest_may_be_checked() {
        let layer = tar(&[("app/.env", b"TOKEN=x\n")]);
        let hex = "0".repeat(64);
        let export = tar(&[
            (&format!("{hex}/layer.tar"), &layer),
            ("manifest.json", b"[]"),
        ]);
        let [Some(digest)] = &hashed(&export, false)[..] else {
            panic!("an export's layer is hashed for the check once its manifest is read");
        };
        assert!(digest.starts_with("sha256:"), "{digest}");
        assert_eq!(hashed(&export, true), [None], "--no-digest-check");
        // a filesystem tar names no digest: nothing could check one
        assert_eq!(hashed(&layer, false), [None]);
    }

    #[test]
    fn export_members_by_name() {
        let hex = "a".repeat(64);
        for member in [
            "oci-layout".to_owned(),
            "index.json".to_owned(),
            "manifest.json".to_owned(),
            "repositories".to_owned(),
            "version".to_owned(),
            "blobs/sha256/x".to_owned(),
            format!("{hex}.tar"),
            format!("{hex}.json"),
            format!("{hex}/layer.tar"),
            format!("sha256:{hex}"),
            format!("{hex}.tar.gz"),
            "config.json".to_owned(),
            hex.clone(),
        ] {
            assert!(is_export_member(&member), "{member}");
        }
        for member in [
            "etc/passwd",
            ".dockerenv",
            "bin",
            "app/manifest.json",
            "abc.tar",
        ] {
            assert!(!is_export_member(member), "{member}");
        }
        assert!(content_addressed(&format!("blobs/sha256/{hex}")));
        assert!(!content_addressed(&format!("{hex}/layer.tar")));
    }
}
