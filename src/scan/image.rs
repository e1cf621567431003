//! Scanning one image input: find its images, check each config, read every layer in parallel,
//! then work out each layer finding's status from the later layers (present, deleted by a
//! whiteout, overwritten) and build the findings.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use serde_json::Value;

use crate::attribution::{self, Origin};
use crate::error::ScanError;
use crate::finding::{self, Finding, ImageLocation, Location, LocationKind, Status, with_note};
use crate::image::config::{self, ConfigMatch};
use crate::image::descriptor::{self, MAX_JSON_VALUES};
use crate::image::layout::{self, ImageRef, LayerRef, Platform};
use crate::image::metadata;
use crate::image::packages::{MAX_KEPT_DATABASE_BYTES as MAX_KEPT, Ownership};
use crate::image::store::{self, Store};
use crate::layer::whiteout::Change;
use crate::layer::{self, FileMatch, LayerScan, Limits};
use crate::rules::RuleSet;

use super::progress::{self, Progress};
use super::{stream, windows};

/// Options for images.
#[derive(Clone, Copy, Default)]
pub struct ImageOptions<'a> {
    /// Only this platform of a multi-platform image.
    pub platform: Option<&'a Platform>,
    /// Caps per layer.
    pub limits: Limits,
    /// Told how many blob bytes were read.
    pub progress: Option<&'a dyn Progress>,
    /// The Dockerfile findings are attributed to.
    pub origin: Option<Origin<'a>>,
    /// No other image is scanned at the same time (the pool's threads are this image's).
    pub alone: bool,
    /// Layer blobs are not checked against their digests and diff IDs.
    pub skip_digest_check: bool,
    /// A tar that holds no image export is one filesystem layer, not an error.
    pub filesystem_tars: bool,
}

/// The most findings one image input reports. Images sharing a layer each report its findings
/// while it is read once, so a hostile index of 100,000 manifests naming one layer of 10,000
/// secrets would otherwise make a billion findings from a few megabytes.
pub const MAX_FINDINGS_PER_INPUT: usize = 250_000;

/// Findings and errors of one image input.
#[derive(Debug, Default)]
pub struct ImageOutcome {
    /// Findings of every image in the input.
    pub findings: Vec<Finding>,
    /// Problems; each names the image and layer.
    pub errors: Vec<ScanError>,
    /// Decompressed layer bytes read.
    pub bytes: u64,
    /// Images found in the input.
    pub images: usize,
    /// Layers read.
    pub layers: usize,
}

/// Scans every image in `store`; `source` is the input as given.
pub fn scan(
    source: &str,
    store: &Store,
    rules: &RuleSet,
    options: ImageOptions<'_>,
) -> ImageOutcome {
    let mut outcome = ImageOutcome::default();
    let streamed;
    let (store, streamed_scans) = match store.take_stream() {
        Some(Err(e)) => {
            let message = format!("cannot read the image: {e}");
            outcome.errors.push(ScanError::new(source, message));
            return outcome;
        }
        Some(Ok(stream)) => {
            let stream_options = stream::StreamOptions {
                limits: options.limits,
                progress: options.progress,
                alone: options.alone,
                filesystem_tars: options.filesystem_tars,
                skip_digest_check: options.skip_digest_check,
            };
            if let Some(progress) = options.progress {
                progress.started(source, 0);
            }
            let scans;
            (streamed, scans) = stream::read(stream, source, rules, stream_options);
            (&streamed, scans)
        }
        None => (store, Vec::new()),
    };
    for why in store.problems() {
        outcome.errors.push(ScanError::new(source, why));
    }
    let (images, mut errors) = layout::read(store, options.platform, options.filesystem_tars);
    // capped like a layer's errors: a hostile manifest of 100,000 broken descriptors gives 100
    // lines and a count, not 100,000 lines of CI log
    if errors.len() > layer::MAX_ERRORS_PER_LAYER {
        let more = errors.len() - layer::MAX_ERRORS_PER_LAYER;
        errors.truncate(layer::MAX_ERRORS_PER_LAYER);
        errors.push(format!(
            "{more} more problems with the image's documents, not reported"
        ));
    }
    outcome
        .errors
        .extend(errors.into_iter().map(|e| ScanError::new(source, e)));
    let mut blobs = HashSet::new();
    let total = (images.iter().flat_map(|i| &i.layers))
        .filter(|l| blobs.insert(&l.blob))
        .filter_map(|l| store.size(&l.blob))
        .sum();
    if let (Some(progress), true) = (options.progress, streamed_scans.is_empty()) {
        progress.started(source, total);
    }
    outcome.images = images.len();
    outcome.bytes = streamed_scans.iter().map(|s| s.bytes).sum();
    // a blob's scan is kept while images still to come name it, no longer
    let distinct = |image: &ImageRef| image.layers.iter().map(blob_key).collect::<HashSet<_>>();
    let mut wanted: HashMap<BlobKey, usize> = HashMap::new();
    for key in images.iter().flat_map(distinct) {
        *wanted.entry(key).or_default() += 1;
    }
    let mut read = HashMap::new();
    for (done, image) in images.iter().enumerate() {
        outcome.layers += image.layers.len();
        let layers = Layers {
            store,
            streamed: &streamed_scans,
        };
        scan_one(
            source,
            layers,
            &mut read,
            image,
            rules,
            options,
            &mut outcome,
        );
        for key in distinct(image) {
            if let Some(left) = wanted.get_mut(&key) {
                *left -= 1;
                if *left == 0 {
                    read.remove(&key);
                }
            }
        }
        if outcome.findings.len() > MAX_FINDINGS_PER_INPUT {
            outcome.findings.truncate(MAX_FINDINGS_PER_INPUT);
            let rest = images.len() - done - 1;
            let message = format!(
                "more than {MAX_FINDINGS_PER_INPUT} findings; the rest of this image's and \
                 {rest} more images' are not reported"
            );
            outcome.errors.push(ScanError::new(source, message));
            break;
        }
    }
    if let Some(progress) = options.progress {
        progress.finished(source);
    }
    outcome
}

/// The bytes of a JSON blob of the image (its config, a provenance statement), up to
/// [`layout::MAX_JSON_BYTES`]; `None` and a problem when they cannot be read.
fn read_json(store: &Store, path: &str, what: &str, problems: &mut Vec<String>) -> Option<Vec<u8>> {
    (store.read_small(path, layout::MAX_JSON_BYTES))
        .map_err(|e| problems.push(format!("cannot read the {what}: {e}")))
        .ok()
}

/// What names a blob read: where it is, the digest it is checked against (the same path with
/// another expected digest is read again, so each expectation is checked), and the file name
/// it is read as, if one (two files of an artifact may hold the same bytes).
type BlobKey = (String, Option<layout::Expected>, Option<String>);

fn blob_key(layer: &LayerRef) -> BlobKey {
    (
        layer.blob.clone(),
        layer.expected.clone(),
        layer.file.clone(),
    )
}

/// Where an image's layers are read: its store, and the scans of a stream's blobs already made
/// as they went by (by the numbers the store gives them).
#[derive(Clone, Copy)]
struct Layers<'a> {
    store: &'a Store,
    streamed: &'a [LayerScan],
}

/// The package-database bytes `scans` keep together (saturating: a dropped layer's count is
/// `u64::MAX`).
fn database_bytes<'a>(scans: impl IntoIterator<Item = &'a LayerScan>) -> u64 {
    (scans.into_iter()).fold(0, |sum, scan| sum.saturating_add(scan.database_bytes))
}

fn scan_one(
    source: &str,
    Layers { store, streamed }: Layers<'_>,
    read: &mut HashMap<BlobKey, LayerScan>,
    image: &ImageRef,
    rules: &RuleSet,
    options: ImageOptions<'_>,
    outcome: &mut ImageOutcome,
) {
    let label = match &image.platform {
        Some(p) => format!("{} ({p})", image.name),
        None => image.name.clone(),
    };
    let error = |message: String| ScanError::new(source, format!("{label}: {message}"));
    let first_finding = outcome.findings.len();
    let mut problems = Vec::new();
    let config_bytes =
        (image.config.as_deref()).and_then(|path| read_json(store, path, "config", &mut problems));
    // a config of millions of values would take gigabytes as a tree: its strings are still
    // walked as it parses, but its named fields are not read
    let whole = |bytes: &&Vec<u8>| descriptor::json_values(bytes) <= MAX_JSON_VALUES;
    let config: Option<Value> = config_bytes.as_ref().filter(whole).and_then(|bytes| {
        serde_json::from_slice(bytes)
            .map_err(|e| problems.push(format!("config is not valid JSON: {e}")))
            .ok()
    });
    let mut found = Vec::new();
    match (&config, &config_bytes) {
        (Some(config), Some(bytes)) => config::check(config, bytes, rules, &mut found),
        (None, Some(bytes)) if !whole(&bytes) => {
            problems.push(format!(
                "the config holds more than {MAX_JSON_VALUES} JSON values: its strings are \
                 scanned, its fields (Env, Labels, history) are not read as such"
            ));
            metadata::config_rest(&Value::Null, bytes, rules, &mut found);
        }
        _ => {}
    }
    config::annotations(&image.annotations, rules, &mut found);
    // each statement is read, walked as it parses and dropped, in turn
    for path in &image.provenance {
        let what = format!("provenance attestation {path}");
        let Some(bytes) = read_json(store, path, &what, &mut problems) else {
            continue;
        };
        if let Err(e) = metadata::provenance(&bytes, rules, &mut found) {
            problems.push(format!("{what} is not valid JSON: {e}"));
        }
    }
    let mut matches = config::one_per_secret(found);
    outcome.errors.extend(problems.into_iter().map(error));
    let instructions = config
        .as_ref()
        .map(config::layer_instructions)
        .unwrap_or_default();
    let place = |layer: Option<&LayerRef>| ImageLocation {
        image: image.name.clone(),
        platform: image.platform.clone(),
        layer_index: layer.map(|l| l.index),
        layer_digest: layer.and_then(|l| l.digest.clone()),
        diff_id: layer.and_then(|l| l.diff_id.clone()),
        status: None,
        changed_by_layer: None,
        field: None,
        owner: None,
    };
    if matches.len() > layer::MAX_MATCHES_PER_FILE {
        matches.truncate(layer::MAX_MATCHES_PER_FILE);
        let limit = layer::MAX_MATCHES_PER_FILE;
        let message = format!("more than {limit} secrets in the config; the rest are not reported");
        outcome.errors.push(error(message));
    }
    for m in matches {
        outcome
            .findings
            .push(config_finding(source, place(None), m));
    }
    // a blob is read once per input: listed at several positions (an empty layer repeated; a
    // hostile manifest naming one blob a hundred thousand times) or shared by several images (a
    // `docker save` of images on one base); an image reports it at its first position
    let mut seen = HashMap::new();
    let first: Vec<usize> = (image.layers.iter().enumerate())
        .map(|(i, l)| *seen.entry(blob_key(l)).or_insert(i))
        .collect();
    // and its files' fate is decided after its last: the same bytes again overwrite nothing
    let mut last: Vec<usize> = (0..first.len()).collect();
    for (i, &f) in first.iter().enumerate() {
        last[f] = i;
    }
    // a streamed blob was scanned as it went by; its digests are checked now
    let streamed_scan = |layer: &LayerRef| streamed.get(store.streamed_layer(&layer.blob)?);
    let todo: Vec<&LayerRef> = (first.iter().enumerate())
        .filter(|&(i, &f)| f == i)
        .map(|(i, _)| &image.layers[i])
        .filter(|l| streamed_scan(l).is_none() && !read.contains_key(&blob_key(l)))
        .collect();
    let sizes: Vec<u64> = (todo.iter())
        .map(|l| store.size(&l.blob).unwrap_or(0))
        .collect();
    let total = sizes.iter().sum::<u64>();
    // the image's package databases are kept up to one cap in all: past it none is used, so a
    // layer that finds the cap spent drops its own at once (memory), and all are dropped after
    let before = database_bytes(
        (first.iter().enumerate())
            .filter(|&(i, &f)| f == i)
            .filter_map(|(i, _)| {
                let layer = &image.layers[i];
                streamed_scan(layer).or_else(|| read.get(&blob_key(layer)))
            }),
    );
    let kept = AtomicU64::new(before);
    let mut fresh: Vec<LayerScan> = (todo.par_iter().zip(&sizes))
        .map(|(layer, &size)| {
            let mut scan = scan_layer(source, store, layer, size, total, rules, options);
            let bytes = scan.database_bytes;
            if kept
                .fetch_add(bytes, Ordering::Relaxed)
                .saturating_add(bytes)
                > MAX_KEPT
            {
                scan.databases = Vec::new();
            }
            scan
        })
        .collect();
    if kept.into_inner() > MAX_KEPT {
        for scan in &mut fresh {
            // an image reading this blob later cannot use them either
            scan.drop_databases();
        }
    }
    for (layer, scan) in todo.iter().zip(fresh) {
        outcome.bytes += scan.bytes;
        read.insert(blob_key(layer), scan);
    }
    let read = &*read;
    let scans: Vec<&LayerScan> = (first.iter())
        .map(|&f| &image.layers[f])
        .filter_map(|l| streamed_scan(l).or_else(|| read.get(&blob_key(l))))
        .collect();
    let kept = database_bytes(scans.iter().copied());
    let ownership = match kept > MAX_KEPT {
        true => Err(format!(
            "the package databases take more than {MAX_KEPT} bytes to keep"
        )),
        false => Ownership::from_databases(
            (scans.iter().flat_map(|s| &s.databases))
                .map(|(path, bytes)| (path.as_str(), bytes.as_slice())),
        ),
    };
    let ownership = ownership.unwrap_or_else(|why| {
        let message = format!(
            "{why} (limit): no file is told apart as a package's, so secrets in the vendor's \
             files are reported as the image owner's"
        );
        outcome.errors.push(error(message));
        Ownership::default()
    });
    for (position, (layer, scan)) in image.layers.iter().zip(&scans).enumerate() {
        if first[position] != position {
            continue; // reported at its first position
        }
        let blob = match layer.blob.as_str() {
            store::ARCHIVE => "the whole archive",
            blob => blob,
        };
        // a foreign layer (a Windows base layer) is the vendor's, and exports often leave it out
        if let Some(owner) = layer
            .foreign
            .as_ref()
            .filter(|_| !store.contains(&layer.blob))
        {
            let message = format!(
                "layer {} ({blob}): a foreign layer, not in the export: not scanned",
                layer.index
            );
            let mut missing = error(message);
            missing.owner = Some(owner.clone());
            outcome.errors.push(missing);
            continue;
        }
        let digest = match (&layer.expected, streamed_scan(layer)) {
            (Some(expected), Some(scan)) if !options.skip_digest_check => {
                scan.check_digest(expected)
            }
            _ => None,
        };
        for message in scan.errors.iter().chain(&digest) {
            let message = format!("layer {} ({blob}): {message}", layer.index);
            outcome.errors.push(error(message));
        }
        let mut all_owned = true;
        for (path, message) in &scan.file_errors {
            let message = format!("layer {} ({blob}): in /{path}: {message}", layer.index);
            let mut file_error = error(message);
            file_error.owner = ownership.owner(path);
            all_owned &= file_error.owner.is_some();
            outcome.errors.push(file_error);
        }
        if scan.file_errors_dropped > 0 {
            let (more, index) = (scan.file_errors_dropped, layer.index);
            let message =
                format!("layer {index} ({blob}): {more} more problems inside files, not reported");
            let mut dropped = error(message);
            // counted, not located: set apart only when every problem shown was a package's
            if all_owned {
                dropped.owner = Some("packages".into());
            }
            outcome.errors.push(dropped);
        }
        let instruction = instructions.get(layer.index);
        for found in &scan.matches {
            let path = found.path();
            let (status, by) = status(path, last[position], &scans);
            let mut at = place(Some(layer));
            at.status = Some(status);
            at.changed_by_layer = by;
            at.owner = ownership.owner(path);
            outcome
                .findings
                .push(layer_finding(source, at, instruction, found, rules));
        }
    }
    if let (Some(origin), Some(config)) = (options.origin, &config) {
        attribution::attribute(origin, config, &mut outcome.findings[first_finding..]);
    }
}

/// Reads and scans one layer from the store, its windows on the pool.
#[allow(clippy::too_many_arguments)]
fn scan_layer(
    source: &str,
    store: &Store,
    layer: &LayerRef,
    size: u64,
    total: u64,
    rules: &RuleSet,
    options: ImageOptions<'_>,
) -> LayerScan {
    let threads = rayon::current_num_threads() as u64;
    match store.open(&layer.blob) {
        Ok(reader) => {
            let reader = progress::Counting::new(reader, source, options.progress);
            let shared = windows::Shared::default();
            let behind = options.alone && hash_behind(size, total, threads);
            rayon::scope(|scope| {
                let mut sink = windows::Parallel::new(scope, rules, &shared, behind);
                let expected = layer
                    .expected
                    .as_ref()
                    .filter(|_| !options.skip_digest_check);
                let limits = options.limits;
                match &layer.file {
                    None => layer::scan(reader, expected, rules, limits, &mut sink),
                    Some(name) => {
                        layer::scan_file(reader, expected, name, rules, limits, &mut sink)
                    }
                }
            })
        }
        Err(e) => {
            let mut scan = LayerScan::default();
            scan.error(format!("cannot open the blob: {e}"));
            scan
        }
    }
}

/// Whether a layer's blob is hashed on the pool rather than by the thread reading it. That
/// costs a copy of the blob and pays only when the other threads have time to spare: when the
/// image is scanned alone and the layer is its critical path by a margin (1.5 times its fair
/// share of the image's bytes). On the bench images: a 1.6 GB layer of 1.9 GB scans 9-16 %
/// faster this way, two layers of about half each 5-8 % slower.
fn hash_behind(size: u64, total: u64, threads: u64) -> bool {
    threads > 1 && size.saturating_mul(threads).saturating_mul(2) > total.saturating_mul(3)
}

/// The file's fate in the final filesystem: the first later layer that touches it decides.
fn status(path: &str, index: usize, scans: &[&LayerScan]) -> (Status, Option<usize>) {
    for (later, scan) in scans.iter().enumerate().skip(index + 1) {
        match scan.index.change(path) {
            Some(Change::Deleted) => return (Status::Deleted, Some(later)),
            Some(Change::Overwritten) => return (Status::Overwritten, Some(later)),
            None => {}
        }
    }
    (Status::Present, None)
}

fn layer_finding(
    source: &str,
    at: ImageLocation,
    instruction: Option<&String>,
    found: &FileMatch,
    rules: &RuleSet,
) -> Finding {
    let (path, rule, severity, secret, line, column) = match found {
        FileMatch::Content { path, found } => {
            let rule = &rules.rules()[found.found.rule];
            let secret = Some(found.found.secret.clone());
            (
                path,
                rule,
                found.found.severity,
                secret,
                Some(found.line),
                Some(found.column),
            )
        }
        FileMatch::InName { path, found } => {
            let rule = &rules.rules()[found.rule];
            let secret = Some(found.secret.clone());
            (path, rule, found.severity, secret, None, None)
        }
        FileMatch::Name { path, rule } => {
            let rule = &rules.rules()[*rule];
            (path, rule, rule.severity, None, None, None)
        }
    };
    let (confidence, note, place) = match found {
        FileMatch::Content { found, .. } => {
            let found = &found.found;
            (found.confidence, found.note.as_deref(), "in")
        }
        FileMatch::InName { found, .. } => {
            (found.confidence, found.note.as_deref(), "in the name of")
        }
        FileMatch::Name { .. } => (rule.confidence, None, "in"),
    };
    let mut message = with_note(format!("{} {place} /{path}", rule.name), note);
    match (at.status, at.changed_by_layer) {
        (Some(Status::Deleted), Some(by)) => message.push_str(&format!(
            "; deleted by layer {by}, but still readable from layer {}",
            at.layer_index.unwrap_or(0)
        )),
        (Some(Status::Overwritten), Some(by)) => message.push_str(&format!(
            "; overwritten by layer {by}, but still readable from layer {}",
            at.layer_index.unwrap_or(0)
        )),
        _ => {}
    }
    let anchor = match found {
        FileMatch::Content { .. } | FileMatch::InName { .. } => String::new(),
        FileMatch::Name { .. } => finding::file_key(path),
    };
    Finding {
        rule_id: rule.id.clone(),
        rule_name: rule.name.clone(),
        severity,
        confidence,
        source: source.to_owned(),
        fingerprint: finding::fingerprint(&rule.id, secret.as_deref().unwrap_or(""), &anchor),
        secret,
        message,
        fix: rule.remediation.clone(),
        location: Location {
            line,
            column,
            instruction: instruction.cloned(),
            ..Location::in_image(LocationKind::Layer, format!("/{path}"), at)
        },
    }
}

fn config_finding(source: &str, mut at: ImageLocation, m: ConfigMatch<'_>) -> Finding {
    at.field = Some(m.field.clone());
    Finding {
        rule_id: m.rule.id.clone(),
        rule_name: m.rule.name.clone(),
        severity: m.severity,
        confidence: m.confidence,
        source: source.to_owned(),
        fingerprint: finding::fingerprint(&m.rule.id, m.secret.as_deref().unwrap_or(""), &m.anchor),
        secret: m.secret,
        message: m.message,
        fix: m.rule.remediation.clone(),
        location: Location::in_image(LocationKind::Config, "config".to_owned(), at),
    }
}
