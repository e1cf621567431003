//! Opening a layer blob: hash the compressed bytes as they stream by (the blob digest is checked
//! at the end for almost nothing), sniff the compression from magic bytes (gzip, zstd, or none;
//! never from the media type or file name), and cap the decompressed size so a bomb stops with
//! a clear error instead of running for hours.

use std::io::{self, BufRead, BufReader, Read};

use flate2::bufread::MultiGzDecoder;
use sha2::{Digest, Sha256};

/// A reader that hashes what passes through it.
pub struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

impl<R: Read> Hashing<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> Hashing<R> {
        Hashing {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// The wrapped reader (reads through it are not hashed).
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// Reads to the end and returns `sha256:<hex>` of everything that passed.
    pub fn finish(mut self) -> io::Result<(String, u64)> {
        io::copy(&mut self, &mut io::sink())?;
        let hex: String = self
            .hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok((format!("sha256:{hex}"), self.bytes))
    }
}

/// The compression of a layer, as sniffed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// A plain tar.
    None,
    /// gzip (one or more members).
    Gzip,
    /// zstd.
    Zstd,
}

/// A decompressing reader over a hashed blob.
pub enum Decoder<R: Read> {
    /// Plain tar.
    Plain(BufReader<Hashing<R>>),
    /// gzip.
    Gzip(Box<MultiGzDecoder<BufReader<Hashing<R>>>>),
    /// zstd.
    Zstd(Box<zstd::Decoder<'static, BufReader<Hashing<R>>>>),
}

impl<R: Read> Decoder<R> {
    /// Sniffs `raw` and wraps it in the right decoder.
    pub fn new(raw: R) -> io::Result<(Decoder<R>, Compression)> {
        let mut buffered = BufReader::with_capacity(256 << 10, Hashing::new(raw));
        let magic = buffered.fill_buf()?;
        Ok(if magic.starts_with(&[0x1f, 0x8b]) {
            let decoder = MultiGzDecoder::new(buffered);
            (Decoder::Gzip(Box::new(decoder)), Compression::Gzip)
        } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            let mut decoder = zstd::Decoder::with_buffer(buffered)?;
            decoder.window_log_max(31)?;
            (Decoder::Zstd(Box::new(decoder)), Compression::Zstd)
        } else {
            (Decoder::Plain(buffered), Compression::None)
        })
    }

    /// Gives back the hashing reader (to drain it and check the digest).
    pub fn into_hashing(self) -> Hashing<R> {
        match self {
            Decoder::Plain(r) => r.into_inner(),
            Decoder::Gzip(r) => r.into_inner().into_inner(),
            Decoder::Zstd(r) => r.finish().into_inner(),
        }
    }
}

impl<R: Read> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decoder::Plain(r) => r.read(buf),
            Decoder::Gzip(r) => r.read(buf),
            Decoder::Zstd(r) => r.read(buf),
        }
    }
}

/// Stops with an error once more than `limit` bytes have been read.
pub struct Capped<R> {
    /// The wrapped reader.
    pub inner: R,
    /// Bytes read so far.
    pub read: u64,
    /// The cap.
    pub limit: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.limit {
            let message = format!("decompresses to more than {} bytes (limit)", self.limit);
            return Err(io::Error::other(message));
        }
        Ok(n)
    }
}
