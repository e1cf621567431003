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
pub mod metadata;
pub mod packages;
pub mod rpmdb;
pub mod store;

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use crate::layer::decode::{Decoder, Skip, is_zstd};
use store::Store;

/// How a whole image tarball is compressed, as `docker load` accepts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outer {
    /// gzip (read as a stream).
    Gzip,
    /// zstd (read as a stream, windows up to 128 MiB like a layer's).
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
        } else if is_zstd(head) {
            Some(Outer::Zstd)
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
            Some(Outer::Xz)
        } else if head.starts_with(b"BZh") && head.get(3).is_some_and(u8::is_ascii_digit) {
            Some(Outer::Bzip2)
        } else {
            None
        }
    }

    /// The compression's name, as its tool is called.
    pub fn name(self) -> &'static str {
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
/// compressed file is an image stream or an error; it is checked now and opened again when its
/// scan starts.
pub fn open_file(path: &Path) -> io::Result<Option<Store>> {
    let mut head = Vec::with_capacity(512);
    File::open(path)?.take(512).read_to_end(&mut head)?;
    if is_tar(&head) {
        return Store::tar_file(path).map(Some);
    }
    let Some(outer) = Outer::sniff(&head) else {
        return Ok(None);
    };
    decompressed(outer, Box::new(File::open(path)?))?;
    let path = path.to_owned();
    let open = move || -> io::Result<Box<dyn Read + Send>> {
        decompressed(outer, Box::new(File::open(&path)?))
    };
    Ok(Some(Store::stream(Box::new(open))))
}

/// What a stream (standard input) holds.
pub enum Sniffed {
    /// An image tar, plain or compressed, to be read once by the scan.
    Image(Store),
    /// Anything else (a Dockerfile): the whole stream, unread.
    Other(Box<dyn Read + Send>),
}

/// Tells an image tar on a stream from anything else by its first bytes, reading nothing more. A
/// compressed stream is an image or an error.
pub fn open_stream(reader: Box<dyn Read + Send>) -> io::Result<Sniffed> {
    let (head, stream) = peek(reader)?;
    let stream = match Outer::sniff(&head) {
        _ if is_tar(&head) => stream,
        Some(outer) => decompressed(outer, stream)?,
        None => return Ok(Sniffed::Other(stream)),
    };
    Ok(Sniffed::Image(Store::stream(Box::new(move || Ok(stream)))))
}

/// The first 512 bytes of a stream, and the whole stream again.
fn peek(mut reader: Box<dyn Read + Send>) -> io::Result<(Vec<u8>, Box<dyn Read + Send>)> {
    let mut head = Vec::with_capacity(512);
    (&mut reader).take(512).read_to_end(&mut head)?;
    let again = io::Cursor::new(head.clone()).chain(reader);
    Ok((head, Box::new(again)))
}

/// A compressed image tarball through its decompressor (zstd windows limited like a layer's);
/// an error unless it decompresses to a tar.
fn decompressed(outer: Outer, reader: Box<dyn Read + Send>) -> io::Result<Box<dyn Read + Send>> {
    let name = outer.name();
    if matches!(outer, Outer::Xz | Outer::Bzip2) {
        let message = format!(
            "{name}-compressed; stowaway reads gzip and zstd: decompress it first \
             ({name} -dc FILE | stowaway scan -)"
        );
        return Err(io::Error::new(io::ErrorKind::Unsupported, message));
    }
    let (decoder, _) = Decoder::new(reader, Box::new(Skip))?;
    let (head, stream) = peek(Box::new(decoder))?;
    if !is_tar(&head) {
        let message = format!("{name}-compressed, but not a tar image");
        return Err(io::Error::new(io::ErrorKind::InvalidData, message));
    }
    Ok(stream)
}
