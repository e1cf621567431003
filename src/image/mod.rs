//! Container images: recognising an exported image from its bytes (never its name), finding its
//! images and layers ([`layout`]), reading its blobs safely ([`store`]) and checking its config
//! ([`config`]). Layer contents are read by [`crate::layer`]; threads are the scan module's.
//!
//! Accepted: `docker save` tarballs (legacy and Docker >= 25), OCI layout directories and OCI
//! archive tars, containers/image `dir:` copies (directory or tar), each tar also gzip- or
//! zstd-compressed as a whole, from a path or from standard input. An xz or bzip2 tarball
//! (`docker load` takes those too) is named as such, with how to decompress it, rather than read
//! as a Dockerfile.

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

/// The most bytes a compressed image tarball or an image on standard input may take in memory.
pub const MAX_IN_MEMORY_BYTES: u64 = 8 << 30;

/// How a whole image tarball is compressed, as `docker load` accepts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outer {
    /// gzip (read, in memory).
    Gzip,
    /// zstd (read, in memory).
    Zstd,
    /// xz (named, not read: no decoder among the dependencies).
    Xz,
    /// bzip2 (named, not read, likewise).
    Bzip2,
}

impl Outer {
    /// The compression whose magic bytes `head` starts with, if any.
    pub fn sniff(head: &[u8]) -> Option<Outer> {
        if head.starts_with(&[0x1f, 0x8b]) {
            Some(Outer::Gzip)
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Outer::Zstd)
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
            Some(Outer::Xz)
        } else if head.starts_with(b"BZh") && head.get(3).is_some_and(u8::is_ascii_digit) {
            Some(Outer::Bzip2)
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        match self {
            Outer::Gzip => "gzip",
            Outer::Zstd => "zstd",
            Outer::Xz => "xz",
            Outer::Bzip2 => "bzip2",
        }
    }
}

/// True when the first bytes are a tar header or a compressed stream: bytes meant as an image.
pub fn is_archive(head: &[u8]) -> bool {
    is_tar(head) || Outer::sniff(head).is_some()
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

/// The store for a file that holds an image, `Ok(None)` when it is not one (a Dockerfile). A
/// compressed file is an image or an error.
pub fn open_file(path: &Path) -> io::Result<Option<Store>> {
    let mut head = Vec::with_capacity(512);
    File::open(path)?.take(512).read_to_end(&mut head)?;
    if is_tar(&head) {
        return Store::tar_file(path).map(Some);
    }
    match Outer::sniff(&head) {
        Some(outer) => compressed(outer, File::open(path)?).map(Some),
        None => Ok(None),
    }
}

/// The store for bytes read from standard input, `Ok(None)` when they are not an image. Compressed
/// bytes are an image or an error.
pub fn open_bytes(bytes: Vec<u8>) -> io::Result<Option<Store>> {
    match Outer::sniff(&bytes) {
        Some(outer) => compressed(outer, &bytes[..]).map(Some),
        None => from_tar_bytes(bytes),
    }
}

/// The store for a compressed image tarball, decompressed into memory.
fn compressed(outer: Outer, reader: impl Read) -> io::Result<Store> {
    let name = outer.name();
    let bytes = match outer {
        Outer::Gzip => inflate(MultiGzDecoder::new(reader))?,
        Outer::Zstd => {
            let mut decoder = zstd::Decoder::new(reader)?;
            decoder.window_log_max(31)?;
            inflate(decoder)?
        }
        Outer::Xz | Outer::Bzip2 => {
            let message = format!(
                "{name}-compressed; stowaway reads gzip and zstd: decompress it first \
                 ({name} -dc FILE | stowaway scan -)"
            );
            return Err(io::Error::new(io::ErrorKind::Unsupported, message));
        }
    };
    from_tar_bytes(bytes)?.ok_or_else(|| {
        let message = format!("{name}-compressed, but not a tar image");
        io::Error::new(io::ErrorKind::InvalidData, message)
    })
}

fn from_tar_bytes(bytes: Vec<u8>) -> io::Result<Option<Store>> {
    if !is_tar(&bytes) {
        return Ok(None);
    }
    Store::tar_memory(bytes).map(Some)
}

/// Reads a decompressing reader to the end, up to [`MAX_IN_MEMORY_BYTES`].
fn inflate(reader: impl Read) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader
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
