//! Container images: recognising an exported image from its bytes (never its name), finding its
//! images and layers ([`layout`]), reading its blobs safely ([`store`]) and checking its config
//! ([`config`]). Layer contents are read by [`crate::layer`]; threads are the scan module's.
//!
//! Accepted: `docker save` tarballs (legacy and Docker >= 25), OCI layout directories and OCI
//! archive tars, each also gzip-compressed as a whole, from a path or from standard input.

pub mod config;
pub mod descriptor;
pub mod layout;
pub mod packages;
pub mod store;

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use store::Store;

/// The most bytes a gzip-compressed image or an image on standard input may take in memory.
pub const MAX_IN_MEMORY_BYTES: u64 = 8 << 30;

/// True when the first bytes are a gzip stream.
pub fn is_gzip(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b])
}

/// True when the first 512 bytes are a tar header (ustar or GNU magic at offset 257).
pub fn is_tar(head: &[u8]) -> bool {
    head.len() >= 262 && (&head[257..262] == b"ustar")
}

/// The store for an image directory, or `None` when the directory is not an image layout.
pub fn open_dir(path: &Path) -> Option<Store> {
    (path.join("index.json").is_file() || path.join("manifest.json").is_file())
        .then(|| Store::Dir(path.to_owned()))
}

/// The store for a file that holds an image, `Ok(None)` when it is not one (a Dockerfile).
pub fn open_file(path: &Path) -> io::Result<Option<Store>> {
    let mut head = Vec::with_capacity(512);
    File::open(path)?.take(512).read_to_end(&mut head)?;
    if is_tar(&head) {
        return Store::tar_file(path).map(Some);
    }
    if is_gzip(&head) {
        let bytes = inflate(File::open(path)?)?;
        return from_tar_bytes(bytes);
    }
    Ok(None)
}

/// The store for bytes read from standard input, `Ok(None)` when they are not an image.
pub fn open_bytes(bytes: Vec<u8>) -> io::Result<Option<Store>> {
    if is_gzip(&bytes) {
        return from_tar_bytes(inflate(&bytes[..])?);
    }
    from_tar_bytes(bytes)
}

fn from_tar_bytes(bytes: Vec<u8>) -> io::Result<Option<Store>> {
    if !is_tar(&bytes) {
        return Ok(None);
    }
    Store::tar_memory(bytes).map(Some)
}

fn inflate(reader: impl Read) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    MultiGzDecoder::new(reader)
        .take(MAX_IN_MEMORY_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_IN_MEMORY_BYTES {
        let message = format!(
            "decompresses to more than {} GiB",
            MAX_IN_MEMORY_BYTES >> 30
        );
        return Err(io::Error::other(message));
    }
    Ok(bytes)
}
