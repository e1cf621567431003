//! Finding the images in a store: an OCI layout (`index.json`, nested indexes, multi-platform,
//! attestation manifests joined to the image they describe, their provenance statements read as
//! metadata, never as layers; blobs of other platforms allowed to be missing; Docker >= 25
//! `docker save` is one of these), the two shapes rooted at `manifest.json` (`manifest_json.rs`:
//! a legacy `docker save`, a containers/image `dir:` copy), or, for a tar that is none of these
//! (`docker export`, a rootfs), a filesystem: one layer, the archive itself. Index and manifest
//! JSON goes through [`descriptor`] (the `oci-spec` types, with a lenient fallback for
//! real-world shapes) and is validated once here into [`ImageRef`]s (annotations included, for
//! the config checks to read like labels); nothing downstream looks at raw JSON again except
//! the config checks.

mod manifest_json;

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::descriptor::{self, Descriptor, Document, MAX_JSON_VALUES, PlatformRef};
use super::store::Store;

/// The largest index, manifest or config read (bytes).
pub const MAX_JSON_BYTES: u64 = 16 << 20;
/// How deep indexes may nest.
const MAX_INDEX_DEPTH: usize = 8;

/// One image (one platform) found in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// A name for reports: the tag or reference name, else the manifest digest.
    pub name: String,
    /// `os/arch[/variant]` when the index says.
    pub platform: Option<String>,
    /// Where the config blob is.
    pub config: Option<String>,
    /// The layers, base first.
    pub layers: Vec<LayerRef>,
    /// Where the image's provenance attestations are (in-toto statements that BuildKit attaches
    /// through an attestation manifest; its SBOMs are left out).
    pub provenance: Vec<String>,
    /// The annotations of its manifest, of the index entry naming it, and of the indexes
    /// above it (an index's own go to the first image read under it).
    pub annotations: Vec<Annotation>,
}

/// An OCI annotation: public metadata like a label, shown by registries and `docker buildx
/// imagetools inspect`, and set with `docker buildx build --annotation`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    /// Whose: `manifest`, `index.json`, `index.json manifests[0]` (a nested index by its path).
    pub place: String,
    /// Its key.
    pub key: String,
    /// Its value.
    pub value: String,
}

fn annotations(place: &str, pairs: Vec<(String, String)>) -> impl Iterator<Item = Annotation> {
    (pairs.into_iter()).map(move |(key, value)| Annotation {
        place: place.to_owned(),
        key,
        value,
    })
}

/// One layer of an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerRef {
    /// 0-based position, base first (manifest order).
    pub index: usize,
    /// Where the blob is in the store.
    pub blob: String,
    /// The blob digest from the manifest (OCI), checked while reading.
    pub digest: Option<String>,
    /// The uncompressed digest from the config's `rootfs.diff_ids`.
    pub diff_id: Option<String>,
    /// What the blob must hash to: its manifest digest (OCI), or for a legacy `docker save`
    /// (whose manifest names no blob digests) the diff ID of its uncompressed tar.
    pub expected: Option<Expected>,
    /// When the manifest's media type says the blob is no tar (an OCI artifact's: a signature,
    /// an SBOM, a file pushed with `oras`): the name it is scanned under as one file (its
    /// `org.opencontainers.image.title`, else its digest).
    pub file: Option<String>,
    /// For a foreign (non-distributable) layer, which exports may leave out: where it comes
    /// from (its first URL's host, else `foreign`).
    pub foreign: Option<String>,
}

/// The digest a layer is checked against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Expected {
    /// The SHA-256 of the blob as stored (compressed or not).
    Blob(String),
    /// The SHA-256 of the decompressed tar (a diff ID): legacy archives name no blob digests,
    /// and hand-made or converted ones may hold gzip layers all the same.
    Uncompressed(String),
}

/// A `--platform` filter: `os/arch[/variant]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    os: String,
    arch: String,
    variant: Option<String>,
}

impl Platform {
    /// Parses `os/arch[/variant]`.
    pub fn parse(text: &str) -> Option<Platform> {
        let mut parts = text.split('/');
        let (os, arch) = (parts.next()?, parts.next()?);
        let variant = parts.next().map(str::to_owned);
        (parts.next().is_none() && !os.is_empty() && !arch.is_empty()).then(|| Platform {
            os: os.to_owned(),
            arch: arch.to_owned(),
            variant,
        })
    }

    fn matches(&self, platform: &PlatformRef) -> bool {
        platform.os == self.os
            && platform.arch == self.arch
            && self
                .variant
                .as_ref()
                .is_none_or(|v| platform.variant.as_ref() == Some(v))
    }
}

/// The blob path of a digest: `blobs/<algorithm>/<hex>`; `None` for anything that could name a
/// path outside the layout (`../../etc/passwd`).
pub fn blob_path(digest: &str) -> Option<String> {
    let (algorithm, hex) = digest.split_once(':')?;
    let algorithm_ok = !algorithm.is_empty()
        && algorithm
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+._-".contains(&b));
    let hex_ok = !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_alphanumeric());
    (algorithm_ok && hex_ok).then(|| format!("blobs/{algorithm}/{}", hex.to_ascii_lowercase()))
}

/// Finds the images in `store`; problems are returned as messages and reading goes on. With
/// `filesystems`, a tar that is no image export is one filesystem layer (see `filesystem`).
pub fn read(
    store: &Store,
    platform: Option<&Platform>,
    filesystems: bool,
) -> (Vec<ImageRef>, Vec<String>) {
    let mut images = Vec::new();
    let mut errors = Vec::new();
    if store.contains("index.json") {
        match document(store, "index.json") {
            Ok(Document::Index {
                entries,
                annotations: own,
            }) => {
                let mut walk = Walk::new(store, platform, &mut images, &mut errors, blob_path);
                walk.pending.extend(annotations("index.json", own));
                walk.index(&entries, "index.json", 0, None);
                walk.join_attestations();
            }
            Ok(Document::Manifest { .. }) => errors.push("index.json is not an index".to_owned()),
            Err(e) => errors.push(e),
        }
    } else if store.contains("manifest.json") {
        manifest_json::read(store, &mut images, &mut errors);
    } else if filesystems
        && (store.is_filesystem() || store.any_entry(|_| true) && !store.any_entry(is_image_part))
    {
        images.push(filesystem());
    } else {
        errors.push("not an image: neither index.json nor manifest.json found".to_owned());
    }
    if images.is_empty() && errors.is_empty() {
        errors.push("no image manifest found (or none for the requested platform)".to_owned());
    }
    (images, errors)
}

/// An index, manifest or config, up to [`MAX_JSON_BYTES`] and [`MAX_JSON_VALUES`] (it is
/// parsed whole).
fn read_json(store: &Store, path: &str) -> Result<Vec<u8>, String> {
    let bytes = store
        .read_small(path, MAX_JSON_BYTES)
        .map_err(|e| format!("cannot read {path}: {e}"))?;
    if descriptor::json_values(&bytes) > MAX_JSON_VALUES {
        return Err(format!(
            "{path} holds more than {MAX_JSON_VALUES} JSON values; not read"
        ));
    }
    Ok(bytes)
}

fn document(store: &Store, path: &str) -> Result<Document, String> {
    descriptor::parse(&read_json(store, path)?).map_err(|e| format!("{path}: {e}"))
}

fn json(store: &Store, path: &str) -> Result<Value, String> {
    serde_json::from_slice(&read_json(store, path)?)
        .map_err(|e| format!("{path} is not valid JSON: {e}"))
}

struct Walk<'a> {
    store: &'a Store,
    platform: Option<&'a Platform>,
    seen: HashSet<String>,
    images: &'a mut Vec<ImageRef>,
    errors: &'a mut Vec<String>,
    /// Where a digest's blob is: [`blob_path`], or a `dir:` copy's hex name.
    paths: fn(&str) -> Option<String>,
    /// Manifest digest → its image in `images`.
    manifests: HashMap<String, usize>,
    /// (the digest of the image it describes, where it is) of each attestation manifest.
    attestations: Vec<(String, String)>,
    /// Annotations of the indexes and entries on the way to the next image.
    pending: Vec<Annotation>,
}

impl<'a> Walk<'a> {
    fn new(
        store: &'a Store,
        platform: Option<&'a Platform>,
        images: &'a mut Vec<ImageRef>,
        errors: &'a mut Vec<String>,
        paths: fn(&str) -> Option<String>,
    ) -> Walk<'a> {
        Walk {
            store,
            platform,
            seen: HashSet::new(),
            images,
            errors,
            paths,
            manifests: HashMap::new(),
            attestations: Vec::new(),
            pending: Vec::new(),
        }
    }

    /// Walks an index's entries; `named` is the name of the index itself, from the entry that
    /// led to it (a multi-platform image: `docker save` with the containerd store names the
    /// index, not its platforms' manifests).
    fn index(&mut self, entries: &[Descriptor], at: &str, depth: usize, named: Option<&str>) {
        if depth > MAX_INDEX_DEPTH {
            let message = format!("{at}: indexes nested deeper than {MAX_INDEX_DEPTH}");
            self.errors.push(message);
            return;
        }
        let several = entries.len() > 1;
        for (i, entry) in entries.iter().enumerate() {
            if is_attestation(entry) {
                let subject = entry.annotations.get("vnd.docker.reference.digest");
                let path = entry.digest.as_deref().and_then(self.paths);
                if let (Some(subject), Some(path)) = (subject, path) {
                    self.attestations.push((subject.to_ascii_lowercase(), path));
                }
                continue;
            }
            if let (Some(filter), Some(platform)) = (self.platform, &entry.platform)
                && !filter.matches(platform)
            {
                continue;
            }
            let Some(digest) = entry.digest.as_deref() else {
                self.errors
                    .push(format!("{at}: a manifest descriptor has no digest"));
                continue;
            };
            let Some(path) = (self.paths)(digest) else {
                self.errors.push(format!("{at}: invalid digest {digest:?}"));
                continue;
            };
            if !self.seen.insert(path.clone()) {
                continue; // listed twice, or a manifest that references itself
            }
            if several && !self.store.contains(&path) {
                continue; // a multi-platform index whose other platforms were not exported
            }
            let document = document(self.store, &path);
            if document.is_ok() {
                let place = format!("{at} manifests[{i}]");
                let own = descriptor::sorted(&entry.annotations);
                self.pending.extend(annotations(&place, own));
            }
            match document {
                Ok(Document::Index {
                    entries: inner,
                    annotations: own,
                }) => {
                    self.pending.extend(annotations(&path, own));
                    let name = reference_name(entry);
                    let name = name.as_deref().or(named);
                    self.index(&inner, &path, depth + 1, name)
                }
                Ok(Document::Manifest {
                    config,
                    layers,
                    annotations: own,
                }) => {
                    let name = reference_name(entry).or_else(|| named.map(str::to_owned));
                    let name = name.unwrap_or_else(|| digest.to_owned());
                    let platform = entry.platform.as_ref().map(PlatformRef::text);
                    let image = self.images.len();
                    self.manifests.insert(digest.to_ascii_lowercase(), image);
                    self.manifest(config, &layers, own, &path, name, platform);
                }
                Err(e) => self.errors.push(e),
            }
        }
    }

    fn manifest(
        &mut self,
        config: Option<Descriptor>,
        layers: &[Descriptor],
        own: Vec<(String, String)>,
        at: &str,
        name: String,
        platform: Option<String>,
    ) {
        // an artifact's manifest (`oras push`, a Helm chart) gives its config another type
        let artifact = (config.as_ref().and_then(|c| c.media_type.as_deref()))
            .is_some_and(|media| !IMAGE_CONFIGS.contains(&media));
        let config = config
            .and_then(|c| c.digest)
            .as_deref()
            .and_then(self.paths);
        if config.is_none() {
            let message = format!("{at}: manifest has no valid config descriptor");
            self.errors.push(message);
        }
        let diff_ids = config
            .as_deref()
            .and_then(|c| read_json(self.store, c).ok())
            .map(|bytes| descriptor::diff_ids(&bytes))
            .unwrap_or_default();
        let (mut refs, mut provenance) = (Vec::new(), Vec::new());
        for (index, layer) in layers.iter().enumerate() {
            let digest = layer.digest.as_deref();
            let Some(blob) = digest.and_then(self.paths) else {
                let message = format!("{at}: layer {index} has an invalid digest");
                self.errors.push(message);
                continue;
            };
            // a signed in-toto statement (cosign's `.att` images): read like BuildKit's
            if layer.media_type.as_deref() == Some(DSSE) {
                provenance.push(blob);
                continue;
            }
            let digest = digest.map(str::to_ascii_lowercase);
            refs.push(LayerRef {
                index,
                blob,
                expected: digest.clone().map(Expected::Blob),
                file: artifact_file(layer, artifact),
                foreign: foreign(layer),
                digest,
                diff_id: diff_ids.get(index).cloned(),
            });
        }
        let mut annotations_of_image = std::mem::take(&mut self.pending);
        annotations_of_image.extend(annotations("manifest", own));
        self.images.push(ImageRef {
            name,
            platform,
            config,
            layers: refs,
            provenance,
            annotations: annotations_of_image,
        });
    }

    /// Gives each image the provenance statements of the attestation manifests that name it
    /// (`vnd.docker.reference.digest`). Attestations of images not read (another platform) are
    /// left alone, and so are missing ones: an export may leave them out.
    fn join_attestations(&mut self) {
        for (subject, path) in std::mem::take(&mut self.attestations) {
            let Some(&image) = self.manifests.get(&subject) else {
                continue;
            };
            if !self.store.contains(&path) || !self.seen.insert(path.clone()) {
                continue;
            }
            let layers = match document(self.store, &path) {
                Ok(Document::Manifest { layers, .. }) => layers,
                Ok(Document::Index { .. }) => {
                    self.errors
                        .push(format!("{path}: an attestation manifest is an index"));
                    continue;
                }
                Err(e) => {
                    self.errors.push(e);
                    continue;
                }
            };
            for layer in layers {
                let kind = layer.annotations.get("in-toto.io/predicate-type");
                if kind.is_some_and(|k| !k.contains("slsa.dev/provenance")) {
                    continue; // an SBOM or another statement: no build inputs in it
                }
                match layer.digest.as_deref().and_then(self.paths) {
                    Some(blob) => self.images[image].provenance.push(blob),
                    None => self
                        .errors
                        .push(format!("{path}: a layer has an invalid digest")),
                }
            }
        }
    }
}

/// A DSSE envelope: a signed statement, its payload base64 (`cosign attest`).
const DSSE: &str = "application/vnd.dsse.envelope.v1+json";

/// The media types of an image's config; an artifact's manifest gives its config another.
const IMAGE_CONFIGS: [&str; 2] = [
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
];

/// The name a blob is scanned under as one file, when it is no tar layer: its media type says
/// so (image layers' types name their tar: `….tar+gzip`, `….rootfs.diff.tar.gzip`, a Helm
/// chart's `….content.v1.tar+gzip`; an artifact's do not: `application/spdx+json`,
/// `application/vnd.dev.cosign.simplesigning.v1+json`, `…+wasm`), or it is a file of an
/// artifact, titled (`oras push` gives files the plain layer type, and their name as
/// `org.opencontainers.image.title`; a directory it pushes as a tar is opened all the same).
fn artifact_file(layer: &Descriptor, artifact: bool) -> Option<String> {
    let title = layer.annotations.get("org.opencontainers.image.title");
    let title = title.map(|t| crate::layer::entry_path(t.as_bytes()));
    let title = title.filter(|t| !t.is_empty());
    match layer.media_type.as_deref() {
        Some(media) if !media.contains("tar") => title.or_else(|| layer.digest.clone()),
        _ if artifact => title,
        _ => None,
    }
}

/// Where a foreign layer comes from: Docker's `…rootfs.foreign.diff.tar.gzip` and OCI's
/// deprecated `…layer.nondistributable.…` types, or any layer that names URLs (Windows base
/// layers: `mcr.microsoft.com`); `None` for an ordinary layer.
fn foreign(layer: &Descriptor) -> Option<String> {
    let media = layer.media_type.as_deref().unwrap_or("");
    let typed = media.contains(".foreign.") || media.contains(".nondistributable.");
    if layer.urls.is_empty() && !typed {
        return None;
    }
    let url = layer.urls.first().map(String::as_str).unwrap_or("");
    let authority = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = authority.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = host.split(':').next().unwrap_or("");
    Some(match host.is_empty() {
        true => "foreign".to_owned(),
        false => format!("foreign:{host}"),
    })
}

/// Attestation manifests (BuildKit provenance/SBOM) carry no filesystem of the image.
fn is_attestation(entry: &Descriptor) -> bool {
    let annotation = entry.annotations.get("vnd.docker.reference.type");
    let os = entry.platform.as_ref().map(|p| p.os.as_str());
    annotation.map(String::as_str) == Some("attestation-manifest") || os == Some("unknown")
}

fn reference_name(entry: &Descriptor) -> Option<String> {
    [
        "io.containerd.image.name",
        "org.opencontainers.image.ref.name",
    ]
    .iter()
    .find_map(|k| entry.annotations.get(*k))
    .cloned()
}

/// A path only an image export has: without its manifest, such an archive is a broken image
/// (cut short before `manifest.json`, which `docker save` writes last), not a filesystem.
fn is_image_part(path: &str) -> bool {
    path.starts_with("blobs/") || path.ends_with("/layer.tar") || path == "oci-layout"
}

/// A tar that is no image export (`docker export`, `podman export`, `buildx -o type=tar`, a
/// rootfs): one layer, the archive itself, with no config and no digest to check.
fn filesystem() -> ImageRef {
    ImageRef {
        name: "filesystem".to_owned(),
        platform: None,
        config: None,
        layers: vec![LayerRef {
            index: 0,
            blob: super::store::ARCHIVE.to_owned(),
            digest: None,
            diff_id: None,
            expected: None,
            file: None,
            foreign: None,
        }],
        provenance: Vec::new(),
        annotations: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tar_taken_for_a_filesystem_is_one_layer_for_a_scan_not_for_an_audit() {
        let store = Store::TarFile {
            path: "rootfs.tar".into(),
            entries: std::collections::HashMap::new(),
            problems: Vec::new(),
            filesystem: true,
        };
        let (images, errors) = read(&store, None, true);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(images.len(), 1);
        assert_eq!(images[0].name, "filesystem");
        assert_eq!(images[0].layers[0].blob, crate::image::store::ARCHIVE);
        let (images, errors) = read(&store, None, false);
        assert!(images.is_empty() && !errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn digests_map_to_paths_inside_the_layout() {
        assert_eq!(
            blob_path("sha256:ABCdef0").as_deref(),
            Some("blobs/sha256/abcdef0")
        );
        assert_eq!(blob_path("sha256:../../etc/passwd"), None);
        assert_eq!(blob_path("../x:abc"), None);
        assert_eq!(blob_path("sha256:"), None);
        assert_eq!(blob_path("nodigest"), None);
    }

    #[test]
    fn platforms() {
        let p = Platform::parse("linux/arm64/v8").unwrap();
        let v = PlatformRef {
            os: "linux".into(),
            arch: "arm64".into(),
            variant: Some("v8".into()),
        };
        assert!(p.matches(&v));
        assert!(Platform::parse("linux/arm64").unwrap().matches(&v));
        assert!(!Platform::parse("linux/amd64").unwrap().matches(&v));
        assert!(Platform::parse("linux").is_none());
    }
}
