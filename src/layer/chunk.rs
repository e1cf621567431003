//! Scanning streams of unknown length in windows of [`CHUNK`] bytes that overlap by [`OVERLAP`]
//! bytes, so memory stays flat for any file size and a secret that straddles a boundary is still
//! found whole, exactly once: in every window but the last, matches starting in the final
//! `OVERLAP` bytes are left to the next window, which starts there.
//!
//! The work is split so windows can be scanned anywhere, in any order: [`windows`] cuts a
//! stream (sequential, cheap), [`scan_window`] finds matches and counts lines inside one window
//! (pure, the expensive part), and [`assemble`] turns window-relative positions into lines and
//! columns by walking the windows of a file in order. Columns count Unicode scalar values
//! (UTF-8 lead bytes).

use std::io::{self, Read};
use std::sync::Mutex;

use crate::rules::{Match, RuleSet};

/// Bytes per window, overlap excluded.
pub const CHUNK: usize = 1 << 20;
/// Bytes shared by consecutive windows; the longest secret found whole.
pub const OVERLAP: usize = 16 << 10;

/// A match with its position in the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The match (offsets relative to its window; use `line`/`column`).
    pub found: Match,
    /// 1-based line of the secret's first byte.
    pub line: u32,
    /// 1-based column of the secret's first character.
    pub column: u32,
}

/// What one window holds: its matches with window-relative positions, and how its kept bytes
/// move the line cursor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WindowScan {
    /// `(match, newlines before it in the window, characters since the last of those newlines,
    /// or since the window start when there is none)`.
    pub matches: Vec<(Match, u64, u64)>,
    /// Newlines among the window's kept bytes; zero in a file's last window (`keep_from` at its
    /// end), which moves no later window's cursor, so most files are never counted past their
    /// last match.
    pub newlines: u64,
    /// Characters after the last kept newline (or all kept characters when there is none); zero
    /// in a file's last window, likewise.
    pub tail_chars: u64,
    /// More than [`MAX_MATCHES_PER_WINDOW`] matches: the rest were dropped.
    pub truncated: bool,
}

/// Most matches kept from one window (a hostile file of a million tokens must not make a
/// million findings).
pub const MAX_MATCHES_PER_WINDOW: usize = 1000;

/// Bytes in a full window.
const FULL: usize = CHUNK + OVERLAP;
/// Most full-size window buffers kept for reuse (about 17 MB).
const MAX_SPARE: usize = 16;
/// Full-size window buffers given back after their scan: zeroed once, then reused, so a large
/// file costs neither fresh pages nor zeroing per window.
static SPARE: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// A full-size, initialised buffer: a spare one when there is one.
fn full_window() -> Vec<u8> {
    let spare = SPARE.lock().ok().and_then(|mut spare| spare.pop());
    spare.unwrap_or_else(|| vec![0; FULL])
}

/// Gives a scanned window's buffer back for reuse (only full-size ones are kept).
pub fn recycle(mut bytes: Vec<u8>) {
    if bytes.capacity() != FULL {
        return;
    }
    bytes.resize(FULL, 0);
    if let Ok(mut spare) = SPARE.lock()
        && spare.len() < MAX_SPARE
    {
        spare.push(bytes);
    }
}

/// True when [`windows`] cuts a stream of `len` bytes into a single window, all of it kept: a
/// caller already holding those bytes can scan them as that window without a copy.
pub fn one_window(len: usize) -> bool {
    len < FULL
}

/// Reads the rest of a stream whose first bytes are `head` into `head` itself, up to a window:
/// `Ok(window)` when the whole stream fits one (the window [`windows`] would cut, without a
/// copy), `Err(head)` holding the bytes read so far when it runs past one (to go on with
/// [`windows`]).
pub fn one_window_of(
    mut head: Vec<u8>,
    reader: &mut dyn Read,
) -> io::Result<Result<Vec<u8>, Vec<u8>>> {
    let room = FULL.saturating_sub(head.len());
    reader.take(room as u64).read_to_end(&mut head)?;
    if !one_window(head.len()) {
        return Ok(Err(head));
    }
    if loose(&head) {
        head.shrink_to_fit();
    }
    Ok(Ok(head))
}

/// A last window's capacity far past its length (a declared size that lied) would pin memory
/// while it waits to be scanned.
fn loose(window: &Vec<u8>) -> bool {
    window.capacity() > 2 * window.len() + 4096
}

/// Reads into `buf[filled..]` until `buf` is full or the stream ends; returns the bytes in it.
fn fill(reader: &mut dyn Read, buf: &mut [u8], mut filled: usize) -> io::Result<usize> {
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Cuts `reader` into windows and hands each to `each(window, keep_from)`: matches starting at
/// or after `keep_from` belong to the next window. `exact` is the stream's length when the
/// container declares it: a window that will be full is read in place into a reused buffer
/// ([`recycle`]), a shorter one is allocated once at its final size; without it, the first
/// window grows as it is read (most such streams are small) and later ones are read in place.
/// The declaration is only a hint: a lying one costs at most a full window, and a short window
/// far below its capacity is shrunk before it is handed on. Returns the bytes read.
pub fn windows(
    reader: &mut dyn Read,
    exact: Option<u64>,
    mut each: impl FnMut(Vec<u8>, usize),
) -> io::Result<u64> {
    let mut carry: Vec<u8> = Vec::new(); // the previous window's overlap
    let mut total = 0u64;
    loop {
        let remaining = exact.map(|n| n.saturating_sub(total));
        let room = FULL - carry.len();
        let mut window;
        // a full window ahead: as declared, or (undeclared) after a full one
        let full_ahead = remaining.map_or(!carry.is_empty(), |n| n >= room as u64);
        if full_ahead {
            window = full_window();
            window[..carry.len()].copy_from_slice(&carry);
            let filled = fill(reader, &mut window, carry.len())?;
            window.truncate(filled);
        } else {
            // +1: the end is seen without growing
            let capacity = remaining.map_or(0, |n| carry.len() + n as usize + 1);
            window = Vec::with_capacity(capacity);
            window.extend_from_slice(&carry);
            reader.take(room as u64).read_to_end(&mut window)?;
        }
        let read = window.len() - carry.len();
        total += read as u64;
        let last = read < room;
        // neither growth past a full window nor a lying size may pin memory in flight
        if window.capacity() > FULL + 1 || (last && loose(&window)) {
            window.shrink_to_fit();
        }
        if last {
            let len = window.len();
            each(window, len);
            return Ok(total);
        }
        let keep_from = window.len() - OVERLAP;
        carry.clear();
        carry.extend_from_slice(&window[keep_from..]);
        each(window, keep_from);
    }
}

/// Scans one window (the expensive, parallelisable part).
pub fn scan_window(window: &[u8], keep_from: usize, rules: &RuleSet) -> WindowScan {
    let mut out = WindowScan::default();
    let mut done = 0;
    let (mut newlines, mut chars) = (0u64, 0u64);
    for m in rules.find_matches(window) {
        if m.start >= keep_from {
            continue; // the next window sees it whole
        }
        if out.matches.len() == MAX_MATCHES_PER_WINDOW {
            out.truncated = true;
            break;
        }
        count(&window[done..m.start], &mut newlines, &mut chars);
        done = m.start;
        out.matches.push((m, newlines, chars));
    }
    if keep_from == window.len() {
        return out;
    }
    count(&window[done..keep_from], &mut newlines, &mut chars);
    out.newlines = newlines;
    out.tail_chars = chars;
    out
}

fn count(bytes: &[u8], newlines: &mut u64, chars: &mut u64) {
    match memchr::memrchr(b'\n', bytes) {
        Some(last) => {
            *newlines += memchr::memchr_iter(b'\n', bytes).count() as u64;
            *chars = lead_bytes(&bytes[last + 1..]);
        }
        None => *chars += lead_bytes(bytes),
    }
}

/// Characters in `bytes`: the bytes that are not UTF-8 continuations (`0b10xx_xxxx`). It runs
/// over every byte after a window's last newline, which in a binary's runs of zeros is most of
/// the window: byte by byte into a `u64` it took 15 % of a real image's scan. Counted into a
/// byte per block of 255, which the compiler vectorizes: 13 GB/s over 1 MiB windows in cache,
/// against 7.2–7.5 for eight bytes at a time with a popcount.
fn lead_bytes(bytes: &[u8]) -> u64 {
    let continuations: u64 = bytes
        .chunks(255)
        .map(|block| {
            let n = block
                .iter()
                .fold(0u8, |n, &b| n + u8::from(b & 0xC0 == 0x80));
            u64::from(n)
        })
        .sum();
    bytes.len() as u64 - continuations
}

/// Positions of a file's matches, from its window scans in stream order.
pub fn assemble(scans: impl IntoIterator<Item = WindowScan>) -> Vec<Located> {
    let (mut line, mut column) = (1u64, 0u64);
    let mut out = Vec::new();
    for scan in scans {
        for (found, newlines, chars) in scan.matches {
            let (l, c) = if newlines == 0 {
                (line, column + chars)
            } else {
                (line + newlines, chars)
            };
            out.push(Located {
                found,
                line: clamp(l),
                column: clamp(c + 1),
            });
        }
        if scan.newlines > 0 {
            line += scan.newlines;
            column = scan.tail_chars;
        } else {
            column += scan.tail_chars;
        }
    }
    out
}

/// Scans a whole stream on the calling thread.
pub fn scan(reader: &mut dyn Read, rules: &RuleSet) -> io::Result<(Vec<Located>, u64)> {
    let mut scans = Vec::new();
    let total = windows(reader, None, |window, keep_from| {
        scans.push(scan_window(&window, keep_from, rules));
    })?;
    Ok((assemble(scans), total))
}

fn clamp(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "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";

    #[test]
    fn lead_bytes_counts_characters_at_every_length_and_alignment() {
        let text = "aé€😀\u{80}x".repeat(7);
        for start in 0..8 {
            for end in start..text.len() {
                let bytes = &text.as_bytes()[start..end];
                let expected = bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count() as u64;
                assert_eq!(lead_bytes(bytes), expected, "{start}..{end}");
            }
        }
        let valid = &text[..text.len() - 1];
        assert_eq!(lead_bytes(valid.as_bytes()), valid.chars().count() as u64);
        let binary: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let expected = binary.iter().filter(|&&b| b & 0xC0 != 0x80).count() as u64;
        assert_eq!(lead_bytes(&binary), expected);
    }

    fn positions(text: &[u8]) -> Vec<(u32, u32)> {
        let rules = RuleSet::builtin().unwrap();
        let (found, total) = scan(&mut &text[..], &rules).unwrap();
        assert_eq!(total, text.len() as u64);
        found.iter().map(|l| (l.line, l.column)).collect()
    }

    #[test]
    fn finds_secrets_across_window_boundaries_once() {
        for at in [
            0,
            CHUNK - 20,
            CHUNK - OVERLAP - 3,
            CHUNK + OVERLAP - 10,
            3 * CHUNK,
        ] {
            let mut text = vec![b'a'; at];
            text.extend_from_slice(b"\nx = \xc3\xa9");
            text.extend_from_slice(TOKEN.as_bytes());
            text.extend_from_slice(b"\n");
            text.extend(vec![b'z'; 100]);
            assert_eq!(positions(&text), [(2, 6)], "secret after {at} bytes");
        }
    }

    #[test]
    fn declared_sizes_only_shape_allocation() {
        let cut = |text: &[u8], exact: Option<u64>| {
            let mut out = Vec::new();
            let total = windows(&mut &text[..], exact, |w, keep| {
                // a lying size costs at most a full window, and none short of it stays pinned
                let capacity = w.capacity();
                assert!(capacity <= FULL + 1 && (keep < w.len() || capacity <= 2 * w.len() + 4096));
                out.push((w.clone(), keep));
                recycle(w);
            })
            .unwrap();
            assert_eq!(total, text.len() as u64);
            out
        };
        for len in [
            0,
            1,
            FULL - 1,
            FULL,
            FULL + 1,
            2 * CHUNK + OVERLAP,
            3 * CHUNK + 7,
        ] {
            let text: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let expected = cut(&text, None);
            for declared in [len, len + 1, len.saturating_sub(1), len + CHUNK, 0, 5] {
                let got = cut(&text, Some(declared as u64));
                assert!(got == expected, "length {len}, declared {declared}");
            }
        }
    }

    #[test]
    fn lines_and_columns_carry_across_windows() {
        let mut text = b"line\n".repeat(CHUNK / 2);
        text.extend_from_slice(TOKEN.as_bytes());
        assert_eq!(positions(&text), [(CHUNK as u32 / 2 + 1, 1)]);
        let mut long_line = vec![b'q'; 2 * CHUNK + 5];
        long_line.extend_from_slice(format!(" {TOKEN} {TOKEN}").as_bytes());
        let col = 2 * CHUNK as u32 + 7;
        assert_eq!(positions(&long_line), [(1, col), (1, col + 41)]);
        assert!(positions(b"").is_empty());
    }
}
