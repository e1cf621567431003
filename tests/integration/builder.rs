//! `ImageBuilder`: writes real image layouts in code (legacy `docker save`, Docker >= 25
//! `docker save`, OCI layout directory, OCI archive tar, any of them gzipped as a whole) with
//! plain, gzip or zstd layers, whiteouts, opaque directories, links and long names, so every
//! format and edge case is covered without a container engine.

use std::io::Write;
use std::path::Path;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// How a layer blob is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

/// An entry of a layer tar.
#[derive(Debug, Clone)]
pub enum Entry {
    File(String, Vec<u8>),
    Dir(String),
    Symlink(String, String),
    Hardlink(String, String),
    /// A regular file whose name bytes are written as given (no path checks): `../`, absolute,
    /// non-UTF-8 or control characters.
    Raw(Vec<u8>, Vec<u8>),
    /// A GNU sparse file (`tar --sparse`): `data` stored at `offset` of a file of `real` bytes,
    /// the rest holes.
    Sparse {
        path: String,
        data: Vec<u8>,
        offset: u64,
        real: u64,
    },
}

pub fn file(path: &str, text: &str) -> Entry {
    Entry::File(path.into(), text.as_bytes().to_vec())
}

/// A layer: entries, compression, and the history line that made it.
#[derive(Debug, Clone)]
pub struct Layer {
    pub entries: Vec<Entry>,
    pub compression: Compression,
    pub created_by: String,
    /// History entries without a layer (ENV, ARG, …) recorded before this layer's entry.
    pub empty_before: Vec<String>,
}

pub fn layer(created_by: &str, entries: Vec<Entry>) -> Layer {
    Layer {
        entries,
        compression: Compression::Gzip,
        created_by: created_by.into(),
        empty_before: Vec::new(),
    }
}

/// The export shapes a user hands us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    DockerLegacy,
    Docker25,
    OciArchive,
}

/// An image under construction.
#[derive(Debug, Clone, Default)]
pub struct ImageBuilder {
    pub layers: Vec<Layer>,
    pub env: Vec<String>,
    pub labels: Vec<(String, String)>,
    pub cmd: Vec<String>,
    /// Extra history entries without a layer, appended after the layers' entries.
    pub empty_history: Vec<String>,
}

pub fn sha256(bytes: &[u8]) -> String {
    let hex: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

fn hex(digest: &str) -> &str {
    digest.trim_start_matches("sha256:")
}

pub fn tar_of(entries: &[Entry]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        header.set_mode(0o644);
        header.set_mtime(0);
        match entry {
            Entry::File(path, data) => {
                header.set_entry_type(tar::EntryType::Regular);
                header.set_size(data.len() as u64);
                builder.append_data(&mut header, path, &data[..]).unwrap();
            }
            Entry::Dir(path) => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_size(0);
                builder.append_data(&mut header, path, &[][..]).unwrap();
            }
            Entry::Raw(name, data) => {
                header.set_entry_type(tar::EntryType::Regular);
                header.set_size(data.len() as u64);
                let field = &mut header.as_old_mut().name;
                field[..name.len()].copy_from_slice(name);
                header.set_cksum();
                builder.append(&header, &data[..]).unwrap();
            }
            Entry::Sparse {
                path,
                data,
                offset,
                real,
            } => {
                header.set_entry_type(tar::EntryType::GNUSparse);
                header.set_size(data.len() as u64);
                let gnu = header.as_gnu_mut().unwrap();
                gnu.sparse[0].set_offset(*offset);
                gnu.sparse[0].set_length(data.len() as u64);
                // trailing holes end with an empty chunk at the real size, as GNU tar writes it
                if offset + (data.len() as u64) < *real {
                    gnu.sparse[1].set_offset(*real);
                    gnu.sparse[1].set_length(0);
                }
                gnu.set_real_size(*real);
                builder.append_data(&mut header, path, &data[..]).unwrap();
            }
            Entry::Symlink(path, target) | Entry::Hardlink(path, target) => {
                let kind = match entry {
                    Entry::Symlink(..) => tar::EntryType::Symlink,
                    _ => tar::EntryType::Link,
                };
                header.set_entry_type(kind);
                header.set_size(0);
                builder.append_link(&mut header, path, target).unwrap();
            }
        }
    }
    builder.into_inner().unwrap()
}

pub fn compress(bytes: &[u8], compression: Compression) -> Vec<u8> {
    match compression {
        Compression::None => bytes.to_vec(),
        Compression::Gzip => {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            encoder.write_all(bytes).unwrap();
            encoder.finish().unwrap()
        }
        Compression::Zstd => zstd::encode_all(bytes, 3).unwrap(),
    }
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    compress(bytes, Compression::Gzip)
}

/// Files of an export: (path, bytes).
pub type Files = Vec<(String, Vec<u8>)>;

impl ImageBuilder {
    /// An image of `layers`, with no environment, labels or extra history.
    pub fn with(layers: Vec<Layer>) -> ImageBuilder {
        ImageBuilder {
            layers,
            ..ImageBuilder::default()
        }
    }

    fn config(&self, diff_ids: &[String]) -> Value {
        let mut history: Vec<Value> = Vec::new();
        for layer in &self.layers {
            history.extend(
                layer
                    .empty_before
                    .iter()
                    .map(|h| json!({ "created_by": h, "empty_layer": true })),
            );
            history.push(json!({ "created_by": layer.created_by }));
        }
        history.extend(
            self.empty_history
                .iter()
                .map(|h| json!({ "created_by": h, "empty_layer": true })),
        );
        let labels: serde_json::Map<String, Value> = self
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        json!({
            "architecture": "amd64",
            "os": "linux",
            "config": { "Env": self.env, "Labels": labels, "Cmd": self.cmd },
            "rootfs": { "type": "layers", "diff_ids": diff_ids },
            "history": history,
        })
    }

    /// The files of one export.
    pub fn files(&self, format: Format) -> Files {
        let tars: Vec<Vec<u8>> = self.layers.iter().map(|l| tar_of(&l.entries)).collect();
        let diff_ids: Vec<String> = tars.iter().map(|t| sha256(t)).collect();
        let config = serde_json::to_vec(&self.config(&diff_ids)).unwrap();
        let config_digest = sha256(&config);
        let mut files: Files = Vec::new();
        match format {
            Format::DockerLegacy => {
                let mut layer_paths = Vec::new();
                for (tar, diff_id) in tars.iter().zip(&diff_ids) {
                    let path = format!("{}/layer.tar", hex(diff_id));
                    files.push((format!("{}/VERSION", hex(diff_id)), b"1.0".to_vec()));
                    files.push((path.clone(), tar.clone()));
                    layer_paths.push(path);
                }
                let config_path = format!("{}.json", hex(&config_digest));
                files.push((config_path.clone(), config));
                let manifest = json!([{ "Config": config_path, "RepoTags": ["demo:latest"], "Layers": layer_paths }]);
                files.push((
                    "manifest.json".into(),
                    serde_json::to_vec(&manifest).unwrap(),
                ));
            }
            Format::Docker25 | Format::OciArchive => {
                let mut descriptors = Vec::new();
                for (layer, tar) in self.layers.iter().zip(&tars) {
                    // Docker >= 25 writes uncompressed layers; OCI archives keep the layer's own
                    let compression = if format == Format::Docker25 {
                        Compression::None
                    } else {
                        layer.compression
                    };
                    let blob = compress(tar, compression);
                    let digest = sha256(&blob);
                    let media = match compression {
                        Compression::None => "application/vnd.oci.image.layer.v1.tar",
                        Compression::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
                        Compression::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
                    };
                    descriptors
                        .push(json!({ "mediaType": media, "digest": digest, "size": blob.len() }));
                    files.push((format!("blobs/sha256/{}", hex(&digest)), blob));
                }
                files.push((
                    format!("blobs/sha256/{}", hex(&config_digest)),
                    config.clone(),
                ));
                let manifest = json!({
                    "schemaVersion": 2,
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len() },
                    "layers": descriptors,
                });
                let manifest = serde_json::to_vec(&manifest).unwrap();
                let manifest_digest = sha256(&manifest);
                files.push((
                    format!("blobs/sha256/{}", hex(&manifest_digest)),
                    manifest.clone(),
                ));
                let index = json!({
                    "schemaVersion": 2,
                    "mediaType": "application/vnd.oci.image.index.v1+json",
                    "manifests": [{
                        "mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "digest": manifest_digest, "size": manifest.len(),
                        "annotations": { "org.opencontainers.image.ref.name": "demo:latest" },
                    }],
                });
                files.push(("index.json".into(), serde_json::to_vec(&index).unwrap()));
                files.push((
                    "oci-layout".into(),
                    br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
                ));
                if format == Format::Docker25 {
                    let layers: Vec<String> = self
                        .layers
                        .iter()
                        .zip(&tars)
                        .map(|(_, tar)| format!("blobs/sha256/{}", hex(&sha256(tar))))
                        .collect();
                    let manifest = json!([{
                        "Config": format!("blobs/sha256/{}", hex(&config_digest)),
                        "RepoTags": ["demo:latest"], "Layers": layers,
                    }]);
                    files.push((
                        "manifest.json".into(),
                        serde_json::to_vec(&manifest).unwrap(),
                    ));
                }
            }
        }
        files
    }

    /// The export as one tar.
    pub fn tar(&self, format: Format) -> Vec<u8> {
        archive(&self.files(format))
    }
}

/// A tar holding `files`.
pub fn archive(files: &Files) -> Vec<u8> {
    let entries: Vec<Entry> = files
        .iter()
        .map(|(path, bytes)| Entry::File(path.clone(), bytes.clone()))
        .collect();
    tar_of(&entries)
}

/// Writes `files` under `dir` (an OCI layout directory).
pub fn write_dir(dir: &Path, files: &Files) {
    for (path, bytes) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
}
