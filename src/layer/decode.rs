//! Opening a layer blob: hash the compressed bytes as they stream by (the blob digest is checked
//! at the end for almost nothing), sniff the compression from magic bytes (gzip, zstd, or none;
//! never from the media type or file name), and cap the decompressed size so a bomb stops with
//! a clear error instead of running for hours. Where the hashing runs is the caller's choice
//! ([`Digest`]): on the reading thread ([`Inline`]), or elsewhere. Also the one-call inflation of
//! a small whole `.gz` file found inside a layer ([`inflate_whole`]).

use std::io::{self, BufRead, Read};

use flate2::bufread::MultiGzDecoder;
use sha2::Sha256;

use crate::image::{Outer, is_tar};

/// Bytes per block of a blob as it is read and hashed.
pub const BLOCK: usize = 1 << 20;

/// A SHA-256 of the blocks handed to it, in order. [`Inline`] hashes on the calling thread; the
/// scan module hashes on its pool while the layer is still being read.
pub trait Digest: Send {
    /// Takes a block whose first `filled` bytes come next in the blob, and gives back a buffer
    /// of [`BLOCK`] bytes to read the following ones into (the same one, once hashed, or another).
    fn block(&mut self, block: Vec<u8>, filled: usize) -> Vec<u8>;
    /// The digest of everything handed over.
    fn finish(self: Box<Self>) -> [u8; 32];
}

/// A [`Digest`] computed on the calling thread.
#[derive(Default)]
pub struct Inline(Sha256);

impl Digest for Inline {
    fn block(&mut self, block: Vec<u8>, filled: usize) -> Vec<u8> {
        sha2::Digest::update(&mut self.0, &block[..filled]);
        block
    }

    fn finish(self: Box<Self>) -> [u8; 32] {
        sha2::Digest::finalize(self.0).into()
    }
}

/// A [`Digest`] that ignores its input (nothing to check).
pub struct Skip;

impl Digest for Skip {
    fn block(&mut self, block: Vec<u8>, _: usize) -> Vec<u8> {
        block
    }

    fn finish(self: Box<Self>) -> [u8; 32] {
        [0; 32]
    }
}

/// The raw blob as a buffered reader: reads land in a block, and each full block is handed to
/// the digest whole, so hashing costs no copy wherever it runs.
pub struct Hashed<R> {
    inner: R,
    digest: Box<dyn Digest>,
    block: Vec<u8>,
    filled: usize,
    pos: usize,
    bytes: u64,
}

impl<R: Read> Hashed<R> {
    /// Wraps `inner`, feeding `digest`.
    pub fn new(inner: R, digest: Box<dyn Digest>) -> Hashed<R> {
        Hashed {
            inner,
            digest,
            block: vec![0; BLOCK],
            filled: 0,
            pos: 0,
            bytes: 0,
        }
    }

    /// Reads to the end and returns `sha256:<hex>` of everything read, and its length.
    pub fn finish(mut self) -> io::Result<(String, u64)> {
        io::copy(&mut self, &mut io::sink())?;
        let block = std::mem::take(&mut self.block);
        let _ = self.digest.block(block, self.filled);
        Ok((hex_digest(&self.digest.finish()), self.bytes))
    }
}

impl<R: Read> BufRead for Hashed<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.filled {
            if self.filled == self.block.len() {
                let full = std::mem::take(&mut self.block);
                self.block = self.digest.block(full, self.filled);
                self.block.resize(BLOCK, 0);
                (self.filled, self.pos) = (0, 0);
            }
            let n = loop {
                match self.inner.read(&mut self.block[self.filled..]) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    read => break read?,
                }
            };
            self.filled += n;
            self.bytes += n as u64;
        }
        Ok(&self.block[self.pos..self.filled])
    }

    fn consume(&mut self, amount: usize) {
        self.pos = (self.pos + amount).min(self.filled);
    }
}

impl<R: Read> Read for Hashed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

/// A reader that hashes what passes through it, on the calling thread (the uncompressed tar of
/// a compressed legacy layer, checked against its diff ID).
pub struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        sha2::Digest::update(&mut self.hasher, &buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

impl<R: Read> Hashing<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> Hashing<R> {
        Hashing {
            inner,
            hasher: Sha256::default(),
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
        let digest: [u8; 32] = sha2::Digest::finalize(self.hasher).into();
        Ok((hex_digest(&digest), self.bytes))
    }
}

/// `sha256:<hex>` of a SHA-256 digest, as image manifests and configs write it.
pub fn hex_digest(digest: &[u8; 32]) -> String {
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
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

/// True when `head` starts a zstd stream: a frame, or a skippable frame (the format lets one
/// come first, and seekable or chunked writers put their metadata there).
pub fn is_zstd(head: &[u8]) -> bool {
    let skippable = head.len() >= 4 && head[0] & 0xf0 == 0x50 && head[1..4] == [0x2a, 0x4d, 0x18];
    head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) || skippable
}

/// libzstd's "Frame requires too much memory" for a frame whose window is over 2^`log_max`,
/// said in a user's words; any other error as it is.
pub fn window_refused(e: io::Error, log_max: u32) -> io::Error {
    if !e.to_string().contains("too much memory") {
        return e;
    }
    let most = 1u64 << (log_max - 20);
    io::Error::other(format!(
        "a zstd frame needs a window over {most} MiB, refused (the decoder would hold it in \
         memory; image tools write 8 MiB windows)"
    ))
}

/// A decompressing reader over a hashed blob.
pub enum Decoder<R: Read> {
    /// Plain tar.
    Plain(Hashed<R>),
    /// gzip.
    Gzip(Box<MultiGzDecoder<Hashed<R>>>),
    /// zstd.
    Zstd(Box<zstd::Decoder<'static, Hashed<R>>>),
}

/// The largest zstd window a layer may need: 2^27 = 128 MiB, the zstd tool's own default limit
/// (frames that need more take `--long=31` to write and `--memory` to read). The decoder holds the
/// whole window, so a 112 KB layer declaring 2 GiB drove a scan to 2.1 GB of memory; such a
/// frame is refused. Image tools write 8 MiB windows.
pub const ZSTD_WINDOW_LOG_MAX: u32 = 27;

impl<R: Read> Decoder<R> {
    /// Sniffs `raw` and wraps it in the right decoder; `digest` hashes the blob as it is read.
    pub fn new(raw: R, digest: Box<dyn Digest>) -> io::Result<(Decoder<R>, Compression)> {
        let mut buffered = Hashed::new(raw, digest);
        let magic = buffered.fill_buf()?;
        Ok(if magic.starts_with(&[0x1f, 0x8b]) {
            let decoder = MultiGzDecoder::new(buffered);
            (Decoder::Gzip(Box::new(decoder)), Compression::Gzip)
        } else if is_zstd(magic) {
            let mut decoder = zstd::Decoder::with_buffer(buffered)?;
            decoder.window_log_max(ZSTD_WINDOW_LOG_MAX)?;
            (Decoder::Zstd(Box::new(decoder)), Compression::Zstd)
        } else if let Some(outer @ (Outer::Xz | Outer::Bzip2)) = Outer::sniff(magic) {
            let message = format!(
                "the blob is {}-compressed; stowaway reads gzip, zstd and uncompressed layers",
                outer.name()
            );
            return Err(io::Error::new(io::ErrorKind::Unsupported, message));
        } else {
            (Decoder::Plain(buffered), Compression::None)
        })
    }

    /// For an uncompressed blob whose first block (when a whole one is at hand) is not a tar
    /// header, nor the zero blocks of an empty tar, its first four bytes in hex (enough for any magic number, too few to
    /// print a secret): the hint an unreadable layer's error needs.
    pub fn not_a_tar(&mut self) -> Option<String> {
        let Decoder::Plain(blob) = self else {
            return None;
        };
        let head = blob.fill_buf().ok()?;
        let zeros = head.iter().all(|&b| b == 0);
        (head.len() >= 512 && !is_tar(head) && !zeros).then(|| {
            let shown = head.iter().take(4).map(|b| format!("{b:02x}"));
            shown.collect::<Vec<_>>().join(" ")
        })
    }

    /// Gives back the hashing reader (to drain it and check the digest).
    pub fn into_hashing(self) -> Hashed<R> {
        match self {
            Decoder::Plain(r) => r,
            Decoder::Gzip(r) => r.into_inner(),
            Decoder::Zstd(r) => r.finish(),
        }
    }
}

impl<R: Read> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decoder::Plain(r) => r.read(buf),
            Decoder::Gzip(r) => r.read(buf),
            Decoder::Zstd(r) => (r.read(buf)).map_err(|e| window_refused(e, ZSTD_WINDOW_LOG_MAX)),
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

impl<R> Capped<R> {
    /// `inner`, of which at most `limit` bytes may be read.
    pub fn new(inner: R, limit: u64) -> Self {
        Capped {
            inner,
            read: 0,
            limit,
        }
    }
}

/// Reads what a consumer left of `reader` (a nested entry or object), up to `cap` bytes: one
/// that has more is a bomb, and `what` names it in the error. `u64::MAX` reads to the end.
pub fn drain(reader: &mut dyn Read, cap: u64, what: &str) -> io::Result<()> {
    let drained = io::copy(&mut reader.take(cap), &mut io::sink())?;
    if drained == cap && cap != u64::MAX {
        let message = format!("{what} decompresses to more than {cap} bytes");
        return Err(io::Error::other(message));
    }
    Ok(())
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // a looser cap below (a layer's budget) is not asked for more, so the error is this cap's
        let room = self.limit.saturating_sub(self.read);
        let n = self.inner.read(one_past(buf, room))?;
        self.read += n as u64;
        if self.read > self.limit {
            let message = format!("decompresses to more than {} bytes (limit)", self.limit);
            return Err(io::Error::other(message));
        }
        Ok(n)
    }
}

/// The start of `buf` a capped reader reads into when `room` bytes are left: at most one byte
/// more, so a read past the cap is seen without taking a whole buffer's worth past it.
pub fn one_past(buf: &mut [u8], room: u64) -> &mut [u8] {
    let len = usize::try_from(room.saturating_add(1)).unwrap_or(usize::MAX);
    let len = buf.len().min(len);
    &mut buf[..len]
}

/// The size a whole gzip file's trailer declares (ISIZE: its last member's, modulo 2^32).
pub fn declared_size(compressed: &[u8]) -> Option<u64> {
    let trailer = compressed.last_chunk::<4>()?;
    Some(u64::from(u32::from_le_bytes(*trailer)))
}

/// Largest output [`inflate_whole`] allocates up front; a file said to inflate to more is
/// streamed instead.
pub const MAX_WHOLE_INFLATE: u64 = 16 << 20;

/// A whole single-member gzip file inflated in one call into a buffer of the size its trailer
/// declares (ISIZE): a quarter less time than streaming it, for the thousands of small `.gz`
/// files of a distribution. `None` when it cannot be done that way (a declared size over
/// `limit` or [`MAX_WHOLE_INFLATE`], a trailer that lies, a second member, bad data): the caller
/// streams the file instead, which reads every member and reports errors and bombs.
pub fn inflate_whole(compressed: &[u8], limit: u64) -> Option<Vec<u8>> {
    let declared = declared_size(compressed)?;
    if declared > limit.min(MAX_WHOLE_INFLATE) {
        return None;
    }
    // one spare byte: a stream longer than declared cannot end in a full buffer
    let mut out = Vec::with_capacity(declared as usize + 1);
    let mut inflater = flate2::Decompress::new_gzip(15);
    let status = inflater
        .decompress_vec(compressed, &mut out, flate2::FlushDecompress::Finish)
        .ok()?;
    let whole = status == flate2::Status::StreamEnd
        && inflater.total_in() == compressed.len() as u64
        && out.len() as u64 == declared;
    whole.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_inflation_only_for_one_honest_member() {
        use std::io::Write;
        let gzip = |data: &[u8]| {
            let mut encoder = flate2::write::GzEncoder::new(Vec::new(), Default::default());
            encoder.write_all(data).unwrap();
            encoder.finish().unwrap()
        };
        let text = b"fixed\nghp_token\n".repeat(1000);
        let one = gzip(&text);
        assert_eq!(inflate_whole(&one, 1 << 20).as_deref(), Some(&text[..]));
        assert_eq!(inflate_whole(&one, 100), None, "over the limit");
        // the trailer is the last member's: the same text twice fits the first member alone
        let two = [one.clone(), one.clone()].concat();
        assert_eq!(inflate_whole(&two, 1 << 20), None, "two members");
        let mut lying = one.clone();
        let at = lying.len() - 4;
        lying[at..].copy_from_slice(&10u32.to_le_bytes());
        assert_eq!(inflate_whole(&lying, 1 << 20), None, "a trailer that lies");
        assert_eq!(
            inflate_whole(&one[..one.len() / 2], 1 << 20),
            None,
            "truncated"
        );
        assert_eq!(inflate_whole(b"", 1 << 20), None);
    }

    #[test]
    fn a_hashed_blob_reads_and_hashes_every_byte_once() {
        let data: Vec<u8> = (0..2 * BLOCK + 777).map(|i| (i % 253) as u8).collect();
        let expected = hex_digest(&<Sha256 as sha2::Digest>::digest(&data).into());
        for piece in [1, 4096, BLOCK + 1] {
            let mut hashed = Hashed::new(&data[..], Box::new(Inline::default()));
            let mut read = Vec::new();
            let mut buf = vec![0; piece];
            // half of it read, the rest left for finish to drain
            while read.len() < data.len() / 2 {
                let n = hashed.read(&mut buf).unwrap();
                read.extend_from_slice(&buf[..n]);
            }
            assert_eq!(read, data[..read.len()]);
            assert_eq!(
                hashed.finish().unwrap(),
                (expected.clone(), data.len() as u64)
            );
        }
    }
}
