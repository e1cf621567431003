//! Progress reporting without printing: the scan tells a [`Progress`] how many blob bytes it has
//! read (from whichever thread read them); the binary decides whether and how to draw it.

use std::io::{self, Read};

/// Receives progress, from any thread.
pub trait Progress: Send + Sync {
    /// An image input starts; `total` is the sum of its layer blob sizes, or 0 for a stream
    /// (standard input, a compressed tarball), whose size is unknown.
    fn started(&self, source: &str, total: u64);
    /// `bytes` more blob bytes of `source` were read.
    fn advanced(&self, source: &str, bytes: u64);
    /// The image input is done.
    fn finished(&self, source: &str);
}

/// Reports every [`REPORT_EVERY`] bytes read.
const REPORT_EVERY: u64 = 1 << 20;

/// A reader that reports its progress.
pub struct Counting<'a, R> {
    inner: R,
    source: &'a str,
    progress: Option<&'a dyn Progress>,
    pending: u64,
}

impl<'a, R> Counting<'a, R> {
    /// Wraps `inner`; with no `progress` it only passes bytes through.
    pub fn new(inner: R, source: &'a str, progress: Option<&'a dyn Progress>) -> Self {
        Counting {
            inner,
            source,
            progress,
            pending: 0,
        }
    }
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(progress) = self.progress {
            self.pending += n as u64;
            if self.pending >= REPORT_EVERY || n == 0 {
                progress.advanced(self.source, std::mem::take(&mut self.pending));
            }
        }
        Ok(n)
    }
}
