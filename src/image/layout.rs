//! Finding the images in a store: an OCI layout (`index.json`, nested indexes, multi-platform,
//! attestation manifests skipped, blobs of other platforms allowed to be missing; Docker >= 25
//! `docker save` is one of these) or a legacy `docker save` (`manifest.json` with
//! `<id>/layer.tar`). JSON is read leniently as `serde_json::Value` (a config without `os`,
//! `"manifests": null`, uppercase digests are all real-world shapes) and validated once here
//! into [`ImageRef`]s; nothing downstream looks at raw JSON again except the config checks.

use std::collections::HashSet;

use serde_json::Value;

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
    /// What the blob's own SHA-256 must be: the manifest digest (OCI), or for a legacy
    /// `docker save` (whose layers are plain tars) the diff ID.
    pub expected: Option<String>,
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

    fn matches(&self, platform: &Value) -> bool {
        let field = |k: &str| platform.get(k).and_then(Value::as_str);
        field("os") == Some(self.os.as_str())
            && field("architecture") == Some(self.arch.as_str())
            && self
                .variant
                .as_deref()
                .is_none_or(|v| field("variant") == Some(v))
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

/// Finds the images in `store`; problems are returned as messages and reading goes on.
pub fn read(store: &Store, platform: Option<&Platform>) -> (Vec<ImageRef>, Vec<String>) {
    let mut images = Vec::new();
    let mut errors = Vec::new();
    if store.contains("index.json") {
        match json(store, "index.json") {
            Ok(index) => {
                let mut walk = Walk {
                    store,
                    platform,
                    seen: HashSet::new(),
                    images: &mut images,
                    errors: &mut errors,
                };
                walk.index(&index, "index.json", 0);
            }
            Err(e) => errors.push(e),
        }
    } else if store.contains("manifest.json") {
        docker_manifest(store, &mut images, &mut errors);
    } else {
        errors.push("not an image: neither index.json nor manifest.json found".to_owned());
    }
    if images.is_empty() && errors.is_empty() {
        errors.push("no image manifest found (or none for the requested platform)".to_owned());
    }
    (images, errors)
}

fn json(store: &Store, path: &str) -> Result<Value, String> {
    let bytes = store
        .read_small(path, MAX_JSON_BYTES)
        .map_err(|e| format!("cannot read {path}: {e}"))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{path} is not valid JSON: {e}"))
}

struct Walk<'a> {
    store: &'a Store,
    platform: Option<&'a Platform>,
    seen: HashSet<String>,
    images: &'a mut Vec<ImageRef>,
    errors: &'a mut Vec<String>,
}

impl Walk<'_> {
    fn index(&mut self, index: &Value, at: &str, depth: usize) {
        if depth > MAX_INDEX_DEPTH {
            self.errors.push(format!(
                "{at}: indexes nested deeper than {MAX_INDEX_DEPTH}"
            ));
            return;
        }
        let descriptors = index.get("manifests").and_then(Value::as_array);
        let descriptors = descriptors.map(Vec::as_slice).unwrap_or_default();
        let several = descriptors.len() > 1;
        for descriptor in descriptors {
            if is_attestation(descriptor) {
                continue;
            }
            if let (Some(filter), Some(platform)) = (self.platform, descriptor.get("platform"))
                && !filter.matches(platform)
            {
                continue;
            }
            let Some(digest) = descriptor.get("digest").and_then(Value::as_str) else {
                self.errors
                    .push(format!("{at}: a manifest descriptor has no digest"));
                continue;
            };
            let Some(path) = blob_path(digest) else {
                self.errors.push(format!("{at}: invalid digest {digest:?}"));
                continue;
            };
            if !self.seen.insert(path.clone()) {
                continue; // listed twice, or a manifest that references itself
            }
            if several && !self.store.contains(&path) {
                continue; // a multi-platform index whose other platforms were not exported
            }
            let manifest = match json(self.store, &path) {
                Ok(m) => m,
                Err(e) => {
                    self.errors.push(e);
                    continue;
                }
            };
            if manifest.get("manifests").is_some() {
                self.index(&manifest, &path, depth + 1);
            } else {
                let name = reference_name(descriptor).unwrap_or_else(|| digest.to_owned());
                let platform = descriptor.get("platform").map(platform_text);
                self.manifest(&manifest, &path, name, platform);
            }
        }
    }

    fn manifest(&mut self, manifest: &Value, at: &str, name: String, platform: Option<String>) {
        let config = manifest
            .get("config")
            .and_then(|c| c.get("digest"))
            .and_then(Value::as_str)
            .and_then(blob_path);
        if config.is_none() {
            self.errors
                .push(format!("{at}: manifest has no valid config descriptor"));
        }
        let diff_ids = config
            .as_deref()
            .and_then(|c| json(self.store, c).ok())
            .map(|c| diff_ids(&c))
            .unwrap_or_default();
        let mut layers = Vec::new();
        let listed = manifest.get("layers").and_then(Value::as_array);
        for (index, layer) in listed
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let digest = layer.get("digest").and_then(Value::as_str);
            let Some(blob) = digest.and_then(blob_path) else {
                self.errors
                    .push(format!("{at}: layer {index} has an invalid digest"));
                continue;
            };
            let digest = digest.map(str::to_ascii_lowercase);
            layers.push(LayerRef {
                index,
                blob,
                expected: digest.clone(),
                digest,
                diff_id: diff_ids.get(index).cloned(),
            });
        }
        self.images.push(ImageRef {
            name,
            platform,
            config,
            layers,
        });
    }
}

/// Attestation manifests (BuildKit provenance/SBOM) carry no filesystem of the image.
fn is_attestation(descriptor: &Value) -> bool {
    let annotation = descriptor
        .get("annotations")
        .and_then(|a| a.get("vnd.docker.reference.type"))
        .and_then(Value::as_str);
    let os = descriptor
        .get("platform")
        .and_then(|p| p.get("os"))
        .and_then(Value::as_str);
    annotation == Some("attestation-manifest") || os == Some("unknown")
}

fn reference_name(descriptor: &Value) -> Option<String> {
    let annotations = descriptor.get("annotations")?;
    [
        "io.containerd.image.name",
        "org.opencontainers.image.ref.name",
    ]
    .iter()
    .find_map(|k| annotations.get(*k).and_then(Value::as_str))
    .map(str::to_owned)
}

fn platform_text(platform: &Value) -> String {
    let field = |k: &str| platform.get(k).and_then(Value::as_str).unwrap_or("");
    let mut text = format!("{}/{}", field("os"), field("architecture"));
    if !field("variant").is_empty() {
        text = format!("{text}/{}", field("variant"));
    }
    text
}

/// `rootfs.diff_ids` of a config, lowercased.
pub fn diff_ids(config: &Value) -> Vec<String> {
    config
        .get("rootfs")
        .and_then(|r| r.get("diff_ids"))
        .and_then(Value::as_array)
        .map(|ids| {
            ids.iter()
                .filter_map(Value::as_str)
                .map(str::to_ascii_lowercase)
                .collect()
        })
        .unwrap_or_default()
}

/// Legacy `docker save`: `manifest.json` = `[{"Config", "RepoTags", "Layers"}]`.
fn docker_manifest(store: &Store, images: &mut Vec<ImageRef>, errors: &mut Vec<String>) {
    let manifest = match json(store, "manifest.json") {
        Ok(m) => m,
        Err(e) => return errors.push(e),
    };
    let Some(entries) = manifest.as_array() else {
        return errors.push("manifest.json is not an array".to_owned());
    };
    for (n, entry) in entries.iter().enumerate() {
        let config = entry
            .get("Config")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let diff_ids = config
            .as_deref()
            .and_then(|c| json(store, c).ok())
            .map(|c| diff_ids(&c))
            .unwrap_or_default();
        let name = entry
            .get("RepoTags")
            .and_then(Value::as_array)
            .and_then(|tags| tags.first())
            .and_then(Value::as_str)
            .map_or_else(|| format!("manifest.json[{n}]"), str::to_owned);
        let listed = entry.get("Layers").and_then(Value::as_array);
        let layers = listed
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .filter_map(|(index, layer)| {
                Some(LayerRef {
                    index,
                    blob: layer.as_str()?.to_owned(),
                    digest: None,
                    diff_id: diff_ids.get(index).cloned(),
                    expected: diff_ids.get(index).cloned(),
                })
            })
            .collect();
        images.push(ImageRef {
            name,
            platform: None,
            config,
            layers,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let v: Value = serde_json::json!({"os": "linux", "architecture": "arm64", "variant": "v8"});
        assert!(p.matches(&v));
        assert!(!Platform::parse("linux/amd64").unwrap().matches(&v));
        assert!(Platform::parse("linux").is_none());
    }
}
