//! The image benchmark's baseline: decompress layer blobs with exactly the libraries, settings
//! and buffer sizes stowaway uses (flate2 for gzip, libzstd through the zstd crate with a 2 GiB
//! window allowed, 256 KiB input buffers, 1 MiB reads), THREADS blobs at a time, and do nothing
//! else — no tar walk, no digest, no scan. `bench/image.sh` times it next to stowaway, so "scanning
//! costs X % on top of decompression" compares like with like.
//!
//! ```text
//! cargo run --release --example decompress -- THREADS BLOB...
//! ```

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

fn main() {
    let mut args = std::env::args().skip(1);
    let threads: usize = args.next().and_then(|t| t.parse().ok()).unwrap_or(1);
    let blobs: Vec<String> = args.collect();
    let (next, total, failed) = (AtomicUsize::new(0), AtomicU64::new(0), AtomicUsize::new(0));
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| {
                while let Some(path) = blobs.get(next.fetch_add(1, Ordering::Relaxed)) {
                    match decompress(path) {
                        Ok(bytes) => {
                            total.fetch_add(bytes, Ordering::Relaxed);
                        }
                        Err(e) => {
                            let _ = writeln!(io::stderr(), "{path}: {e}");
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            });
        }
    });
    let _ = writeln!(io::stdout(), "{} bytes", total.load(Ordering::Relaxed));
    if failed.load(Ordering::Relaxed) > 0 {
        std::process::exit(2);
    }
}

/// Decompresses one blob (compression sniffed as stowaway does) and returns its size.
fn decompress(path: &str) -> io::Result<u64> {
    let mut raw = BufReader::with_capacity(256 << 10, File::open(path)?);
    let magic = raw.fill_buf()?;
    if magic.starts_with(&[0x1f, 0x8b]) {
        drain(flate2::bufread::MultiGzDecoder::new(raw))
    } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let mut decoder = zstd::Decoder::with_buffer(raw)?;
        decoder.window_log_max(31)?;
        drain(decoder)
    } else {
        drain(raw)
    }
}

/// Reads to the end in 1 MiB reads, as stowaway fills its windows.
fn drain(mut reader: impl Read) -> io::Result<u64> {
    let mut buffer = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => return Ok(total),
            Ok(n) => total += n as u64,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}
