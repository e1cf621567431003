//! Index, manifest and config JSON in the one shape the layout walk needs. A document is parsed
//! with the `oci-spec` types first, which validate it against the OCI image spec; when those
//! types reject a document real tools do write (a config without `os`, `"manifests": null`,
//! uppercase digests, media types the spec does not list), the same fields are read leniently
//! from plain JSON. Both paths yield the same [`Document`], so nothing else knows which was used.

use std::collections::HashMap;

use oci_spec::image::{ImageConfiguration, ImageIndex, ImageManifest};
use serde_json::Value;

/// The most values a JSON document may hold to be parsed whole (into `oci-spec` types or a
/// tree): real ones hold thousands, and each value parsed costs tens of bytes, so a 16 MiB
/// document of `{},{},…` (5 million values) took 1.8 GB. 200,000 is 20,000 layers.
pub const MAX_JSON_VALUES: usize = 200_000;

/// About how many values a JSON text holds (one per `,`, `[` and `{` outside strings): what
/// parsing it whole would allocate, counted without parsing.
pub fn json_values(bytes: &[u8]) -> usize {
    let (mut count, mut in_string, mut escaped) = (0, false, false);
    for &byte in bytes {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
        } else {
            match byte {
                b'"' => in_string = true,
                b',' | b'[' | b'{' => count += 1,
                _ => {}
            }
        }
    }
    count
}

/// A platform as an index states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformRef {
    /// e.g. `linux`.
    pub os: String,
    /// e.g. `arm64`.
    pub arch: String,
    /// e.g. `v8`.
    pub variant: Option<String>,
}

impl PlatformRef {
    /// `os/arch[/variant]`.
    pub fn text(&self) -> String {
        match &self.variant {
            Some(v) => format!("{}/{}/{v}", self.os, self.arch),
            None => format!("{}/{}", self.os, self.arch),
        }
    }
}

/// A content descriptor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Descriptor {
    /// The media type, when given.
    pub media_type: Option<String>,
    /// `algorithm:hex`, when given.
    pub digest: Option<String>,
    /// The platform, for index entries.
    pub platform: Option<PlatformRef>,
    /// Annotations.
    pub annotations: HashMap<String, String>,
    /// Where else the blob may be fetched from: a foreign (non-distributable) layer, such as a
    /// Windows base layer, names its URLs and is often left out of exports.
    pub urls: Vec<String>,
}

/// An index or a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Document {
    /// An image index (or Docker manifest list).
    Index {
        /// Its entries.
        entries: Vec<Descriptor>,
        /// Its own annotations, sorted by key.
        annotations: Vec<(String, String)>,
    },
    /// An image manifest.
    Manifest {
        /// The config descriptor.
        config: Option<Descriptor>,
        /// The layer descriptors, base first.
        layers: Vec<Descriptor>,
        /// Its own annotations, sorted by key.
        annotations: Vec<(String, String)>,
    },
}

/// Parses an index or manifest: spec types first, plain JSON second.
pub fn parse(bytes: &[u8]) -> Result<Document, String> {
    if let Ok(index) = ImageIndex::from_reader(bytes) {
        return Ok(Document::Index {
            entries: index.manifests().iter().map(typed).collect(),
            annotations: sorted(index.annotations().iter().flatten()),
        });
    }
    if let Ok(manifest) = ImageManifest::from_reader(bytes) {
        return Ok(Document::Manifest {
            config: Some(typed(manifest.config())),
            layers: manifest.layers().iter().map(typed).collect(),
            annotations: sorted(manifest.annotations().iter().flatten()),
        });
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| format!("not valid JSON: {e}"))?;
    let list = |key: &str| -> Vec<Descriptor> {
        value
            .get(key)
            .and_then(Value::as_array)
            .map(|items| items.iter().map(lenient).collect())
            .unwrap_or_default()
    };
    let annotations = sorted(&string_map(value.get("annotations")));
    if value.get("manifests").is_some() {
        let entries = list("manifests");
        return Ok(Document::Index {
            entries,
            annotations,
        });
    }
    if !value.is_object() {
        return Err("neither an image index nor an image manifest".to_owned());
    }
    Ok(Document::Manifest {
        config: value.get("config").map(lenient),
        layers: list("layers"),
        annotations,
    })
}

/// `(key, value)` pairs sorted by key: reports list them in the same order on every run.
pub fn sorted<'a>(
    pairs: impl IntoIterator<Item = (&'a String, &'a String)>,
) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = (pairs.into_iter())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    pairs.sort();
    pairs
}

/// The string members of a JSON object (`annotations`); others are left out.
fn string_map(value: Option<&Value>) -> HashMap<String, String> {
    (value.and_then(Value::as_object))
        .map(|a| {
            a.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// The config's `rootfs.diff_ids`, lowercased: spec types first, plain JSON second.
pub fn diff_ids(config: &[u8]) -> Vec<String> {
    let ids = match ImageConfiguration::from_reader(config) {
        Ok(typed) => typed.rootfs().diff_ids().clone(),
        Err(_) => serde_json::from_slice::<Value>(config)
            .ok()
            .and_then(|v| v.get("rootfs")?.get("diff_ids")?.as_array().cloned())
            .map(|ids| {
                ids.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
    };
    ids.iter().map(|id| id.to_ascii_lowercase()).collect()
}

fn typed(descriptor: &oci_spec::image::Descriptor) -> Descriptor {
    Descriptor {
        media_type: Some(descriptor.media_type().to_string()),
        digest: Some(descriptor.digest().to_string()),
        platform: descriptor.platform().as_ref().map(|p| PlatformRef {
            os: p.os().to_string(),
            arch: p.architecture().to_string(),
            variant: p.variant().clone(),
        }),
        annotations: descriptor.annotations().clone().unwrap_or_default(),
        urls: descriptor.urls().clone().unwrap_or_default(),
    }
}

fn lenient(value: &Value) -> Descriptor {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let platform = value.get("platform").map(|p| PlatformRef {
        os: text(p.get("os")).unwrap_or_default(),
        arch: text(p.get("architecture")).unwrap_or_default(),
        variant: text(p.get("variant")),
    });
    let annotations = string_map(value.get("annotations"));
    let urls = (value.get("urls").and_then(Value::as_array))
        .map(|urls| urls.iter().filter_map(|u| text(Some(u))).collect())
        .unwrap_or_default();
    Descriptor {
        media_type: text(value.get("mediaType")),
        digest: text(value.get("digest")),
        platform,
        annotations,
        urls,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b";

    #[test]
    fn values_are_counted_outside_strings() {
        assert_eq!(json_values(br#"{"a":[1,2,{}],"b":"x,[{\",y"}"#), 6);
        assert_eq!(json_values(b"[]"), 1);
        assert_eq!(json_values(br#"["a\"b,c\\",1]"#), 2);
    }

    #[test]
    fn conforming_and_real_world_documents_read_the_same() {
        let index = format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{DIGEST}","size":7,"platform":{{"os":"linux","architecture":"arm64","variant":"v8"}}}}]}}"#
        );
        let Document::Index { entries: typed, .. } = parse(index.as_bytes()).unwrap() else {
            panic!()
        };
        let upper = index.replace(&DIGEST[7..], &DIGEST[7..].to_ascii_uppercase());
        let Document::Index { entries: loose, .. } = parse(upper.as_bytes()).unwrap() else {
            panic!()
        };
        assert_eq!(typed[0].platform.as_ref().unwrap().text(), "linux/arm64/v8");
        assert_eq!(typed[0].platform, loose[0].platform);
        assert_eq!(
            parse(br#"{"manifests":null}"#).unwrap(),
            Document::Index {
                entries: Vec::new(),
                annotations: Vec::new()
            }
        );
        assert!(parse(b"[1,2]").is_err());
        assert!(parse(b"{").is_err());
    }

    #[test]
    fn documents_keep_their_annotations_sorted() {
        let annotations = r#""annotations":{"z":"1","a":"2"}"#;
        // a conforming manifest (read by the spec types), and one they refuse (read leniently:
        // a digest that is no digest, and an annotation that is no string, left out)
        let manifest = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{DIGEST}","size":2}},"layers":[],{annotations}}}"#
        );
        assert!(ImageManifest::from_reader(manifest.as_bytes()).is_ok());
        let loose =
            (manifest.replace(&DIGEST[7..], "xyz")).replace(r#""a":"2""#, r#""a":"2","n":3"#);
        assert!(ImageManifest::from_reader(loose.as_bytes()).is_err());
        for text in [&manifest, &loose] {
            let Document::Manifest { annotations, .. } = parse(text.as_bytes()).unwrap() else {
                panic!("{text}")
            };
            let keys: Vec<&str> = annotations.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(keys, ["a", "z"], "{text}");
        }
        let index = format!(
            r#"{{"manifests":[],{}}}"#,
            r#""annotations":{"b":"x","a":"y"}"#
        );
        let Document::Index { annotations, .. } = parse(index.as_bytes()).unwrap() else {
            panic!()
        };
        assert_eq!(
            annotations,
            [("a".into(), "y".into()), ("b".into(), "x".into())]
        );
    }

    #[test]
    fn buildah_output_conforms_to_the_spec_types() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/images/demo-oci-zstd");
        let index = std::fs::read(format!("{dir}/index.json")).unwrap();
        let typed = ImageIndex::from_reader(&index[..]).expect("typed index");
        let digest = typed.manifests()[0].digest().to_string();
        let manifest = std::fs::read(format!("{dir}/blobs/sha256/{}", &digest[7..])).unwrap();
        let typed = ImageManifest::from_reader(&manifest[..]).expect("typed manifest");
        let config = typed.config().digest().to_string();
        let config = std::fs::read(format!("{dir}/blobs/sha256/{}", &config[7..])).unwrap();
        assert!(ImageConfiguration::from_reader(&config[..]).is_ok());
        assert_eq!(diff_ids(&config).len(), 4);
    }

    #[test]
    fn diff_ids_with_and_without_os() {
        let full = format!(
            r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":["{DIGEST}"]}}}}"#
        );
        let no_os = full.replace(r#""os":"linux","#, "");
        assert_eq!(diff_ids(full.as_bytes()), [DIGEST]);
        assert_eq!(diff_ids(no_os.as_bytes()), [DIGEST]);
        assert!(diff_ids(b"null").is_empty());
    }
}
