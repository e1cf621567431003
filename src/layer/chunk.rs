//! Scanning a stream of unknown length with the content rules, in windows of [`CHUNK`] bytes
//! that overlap by [`OVERLAP`] bytes, so memory stays flat for any file size and a secret that
//! straddles a window boundary is still found whole, exactly once: in every window but the last,
//! matches starting in the final `OVERLAP` bytes are left to the next window, which starts
//! there. Lines and columns (Unicode scalar values, counted from UTF-8 lead bytes) are carried
//! across windows.

use std::io::{self, Read};

use crate::rules::{Match, RuleSet};

/// Bytes scanned per window.
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

/// Where the window starts in the stream.
#[derive(Debug, Clone, Copy)]
struct Cursor {
    line: u64,
    column: u64,
}

impl Cursor {
    fn advance(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if b == b'\n' {
                self.line += 1;
                self.column = 0;
            } else if b & 0xC0 != 0x80 {
                self.column += 1;
            }
        }
    }
}

/// Scans `reader` to its end; returns the matches (in stream order) and the bytes read.
pub fn scan(reader: &mut dyn Read, rules: &RuleSet) -> io::Result<(Vec<Located>, u64)> {
    let mut window: Vec<u8> = Vec::with_capacity(CHUNK + OVERLAP);
    let mut cursor = Cursor { line: 1, column: 0 };
    let mut found = Vec::new();
    let mut total = 0u64;
    loop {
        let carried = window.len();
        let wanted = CHUNK + OVERLAP - carried;
        let read = fill(reader, &mut window, wanted)?;
        total += read as u64;
        let last = read < wanted;
        let keep_from = if last {
            window.len()
        } else {
            window.len() - OVERLAP
        };
        let mut position = cursor;
        let mut done = 0;
        for m in rules.find_matches(&window) {
            if m.start >= keep_from {
                continue; // the next window sees it whole
            }
            position.advance(&window[done..m.start]);
            done = m.start;
            found.push(Located {
                line: clamp(position.line),
                column: clamp(position.column + 1),
                found: m,
            });
        }
        cursor.advance(&window[..keep_from]);
        if last {
            return Ok((found, total));
        }
        window.drain(..keep_from);
    }
}

/// Reads until `wanted` more bytes are in `buf` or the stream ends; returns the count.
fn fill(reader: &mut dyn Read, buf: &mut Vec<u8>, wanted: usize) -> io::Result<usize> {
    let start = buf.len();
    reader.take(wanted as u64).read_to_end(buf)?;
    Ok(buf.len() - start)
}

fn clamp(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d";

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
    fn lines_carry_across_windows() {
        let mut text = b"line\n".repeat(CHUNK / 2);
        text.extend_from_slice(TOKEN.as_bytes());
        assert_eq!(positions(&text), [(CHUNK as u32 / 2 + 1, 1)]);
        assert!(positions(b"").is_empty());
    }
}
