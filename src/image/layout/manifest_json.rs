//! The two shapes whose root is `manifest.json`: a legacy `docker save` (an array of
//! `{"Config", "RepoTags", "Layers"}` with `<id>/layer.tar` blobs) and the containers/image `dir:`
//! transport (`skopeo copy … dir:`, `podman save --format docker-dir`: one image manifest, OCI or
//! Docker schema 2, with blobs named by their hex digest beside it).

use serde_json::Value;
use sha2::Digest as _;

use super::{Document, Expected, ImageRef, LayerRef, Store, Walk, descriptor, json, read_json};

/// Reads `manifest.json` in whichever of the two shapes it has.
pub(super) fn read(store: &Store, images: &mut Vec<ImageRef>, errors: &mut Vec<String>) {
    match read_json(store, "manifest.json") {
        Ok(bytes) if is_object(&bytes) => dir_transport(store, &bytes, images, errors),
        Ok(_) => docker_manifest(store, images, errors),
        Err(e) => errors.push(e),
    }
}

/// The blob path of a digest in a `dir:` transport directory: the SHA-256 hex alone; `None` for
/// other algorithms and for anything that could name a path elsewhere.
fn dir_blob_path(digest: &str) -> Option<String> {
    let hex = digest.strip_prefix("sha256:")?;
    let hex_ok = hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    hex_ok.then(|| hex.to_ascii_lowercase())
}

/// True when JSON text starts as an object (a `dir:` transport manifest), not an array.
fn is_object(bytes: &[u8]) -> bool {
    let start = bytes.iter().find(|b| !b.is_ascii_whitespace());
    start == Some(&b'{')
}

/// The containers/image `dir:` transport: `manifest.json` is the image manifest itself (OCI or
/// Docker schema 2), named in reports by its digest as a registry would name it.
fn dir_transport(
    store: &Store,
    bytes: &[u8],
    images: &mut Vec<ImageRef>,
    errors: &mut Vec<String>,
) {
    let name = crate::layer::decode::hex_digest(&sha2::Sha256::digest(bytes).into());
    let mut walk = Walk::new(store, None, images, errors, dir_blob_path);
    match descriptor::parse(bytes) {
        Ok(Document::Manifest {
            config,
            layers,
            annotations,
        }) => walk.manifest(config, &layers, annotations, "manifest.json", name, None),
        Ok(Document::Index { .. }) => walk.errors.push(
            "manifest.json is a manifest list (a dir: copy with --all): copy one platform".into(),
        ),
        Err(e) => walk.errors.push(format!("manifest.json: {e}")),
    }
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
            .and_then(|c| read_json(store, c).ok())
            .map(|bytes| descriptor::diff_ids(&bytes))
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
                    expected: diff_ids.get(index).cloned().map(Expected::Uncompressed),
                    file: None,
                    foreign: None,
                })
            })
            .collect();
        images.push(ImageRef {
            name,
            platform: None,
            config,
            layers,
            provenance: Vec::new(),
            annotations: Vec::new(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_digests_name_files_beside_the_manifest_and_nothing_else() {
        let hex = "AB".repeat(32);
        assert_eq!(
            dir_blob_path(&format!("sha256:{hex}")),
            Some(hex.to_ascii_lowercase())
        );
        assert_eq!(dir_blob_path("sha256:../../etc/passwd"), None);
        assert_eq!(
            dir_blob_path(&format!("sha256:../{}", "a".repeat(61))),
            None
        );
        assert_eq!(dir_blob_path(&format!("sha512:{hex}")), None);
        assert_eq!(dir_blob_path("sha256:abc"), None);
    }
}
