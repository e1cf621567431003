//! UTF-16 text inside a layer, read as UTF-8. Windows writes it: PowerShell 5's `>` and
//! `Out-File` (`RUN echo "password=…" > C:\app\app.conf` in a Windows image), `reg export`, many
//! .NET tools. Its ASCII is interleaved with zero bytes, so no content rule could match it as
//! bytes. A file that opens with a byte order mark and whose first code units hold no NUL is
//! transcoded as a stream (never held whole); unpaired surrogates become U+FFFD. Lines and
//! columns are those of the transcoded text, which are the text's own.

use std::io::{self, Read};

/// The byte order of a UTF-16 text, from its first bytes: a byte order mark followed by code
/// units none of which is NUL (binary data opening with `FF FE` has them); `None` otherwise.
pub fn byte_order(head: &[u8]) -> Option<Order> {
    let order = match head {
        [0xFF, 0xFE, ..] => Order::Little,
        [0xFE, 0xFF, ..] => Order::Big,
        _ => return None,
    };
    let units = head[2..].chunks_exact(2);
    let text = units.len() > 0 && units.into_iter().all(|unit| unit != [0, 0]);
    text.then_some(order)
}

/// The byte order of UTF-16 code units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// `FF FE`: Windows' own.
    Little,
    /// `FE FF`.
    Big,
}

/// Reads UTF-16 text (its byte order mark included) from `inner` as UTF-8, without the mark.
pub struct Utf16<R> {
    inner: R,
    order: Order,
    raw: Vec<u8>,
    /// A byte of a code unit cut by the last read.
    carry: Option<u8>,
    /// A high surrogate waiting for its low half.
    high: Option<u16>,
    started: bool,
    out: Vec<u8>,
    at: usize,
    done: bool,
}

impl<R: Read> Utf16<R> {
    /// Transcodes `inner`, whose text is in `order`.
    pub fn new(inner: R, order: Order) -> Self {
        Utf16 {
            inner,
            order,
            raw: vec![0; 64 << 10],
            carry: None,
            high: None,
            started: false,
            out: Vec::with_capacity(96 << 10),
            at: 0,
            done: false,
        }
    }

    /// Reads and transcodes the next piece into `out`; false at the end.
    fn fill(&mut self) -> io::Result<bool> {
        self.out.clear();
        self.at = 0;
        let mut start = 0;
        if let Some(byte) = self.carry.take() {
            self.raw[0] = byte;
            start = 1;
        }
        let n = loop {
            match self.inner.read(&mut self.raw[start..]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                read => break read?,
            }
        };
        let len = start + n;
        if n == 0 {
            // the end: a high surrogate or a lone byte left over is no character
            if self.high.take().is_some() {
                push(&mut self.out, char::REPLACEMENT_CHARACTER);
            }
            if start == 1 {
                push(&mut self.out, char::REPLACEMENT_CHARACTER);
            }
            self.done = true;
            return Ok(!self.out.is_empty());
        }
        let whole = len - len % 2;
        if whole < len {
            self.carry = Some(self.raw[whole]);
        }
        for pair in self.raw[..whole].chunks_exact(2) {
            let unit = match self.order {
                Order::Little => u16::from_le_bytes([pair[0], pair[1]]),
                Order::Big => u16::from_be_bytes([pair[0], pair[1]]),
            };
            if !self.started {
                self.started = true;
                if unit == 0xFEFF {
                    continue;
                }
            }
            decode(unit, &mut self.high, &mut self.out);
        }
        Ok(true)
    }
}

/// Appends the character `unit` completes (or starts: a high surrogate waits in `high`).
fn decode(unit: u16, high: &mut Option<u16>, out: &mut Vec<u8>) {
    if let Some(first) = high.take() {
        if (0xDC00..0xE000).contains(&unit) {
            let code = 0x10000 + ((u32::from(first) - 0xD800) << 10) + (u32::from(unit) - 0xDC00);
            push(
                out,
                char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER),
            );
            return;
        }
        push(out, char::REPLACEMENT_CHARACTER);
    }
    match unit {
        0xD800..0xDC00 => *high = Some(unit),
        0xDC00..0xE000 => push(out, char::REPLACEMENT_CHARACTER),
        _ => push(
            out,
            char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER),
        ),
    }
}

fn push(out: &mut Vec<u8>, c: char) {
    let mut buf = [0; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

impl<R: Read> Read for Utf16<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.out.len() {
            if self.done || !self.fill()? {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.out.len() - self.at);
        buf[..n].copy_from_slice(&self.out[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(text: &str, order: Order) -> Vec<u8> {
        let mut bytes = match order {
            Order::Little => vec![0xFF, 0xFE],
            Order::Big => vec![0xFE, 0xFF],
        };
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&match order {
                Order::Little => unit.to_le_bytes(),
                Order::Big => unit.to_be_bytes(),
            });
        }
        bytes
    }

    /// Reads through a reader that hands over `step` bytes at a time, cutting code units and
    /// surrogate pairs.
    fn transcode(bytes: &[u8], order: Order, step: usize) -> String {
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.1.min(buf.len()).min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut out = String::new();
        Utf16::new(Trickle(bytes, step), order)
            .read_to_string(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn text_in_either_order_reads_the_same_however_it_is_cut() {
        let text = "password=Tz4kQ9mW2xLp8vR3\r\nnaïve 😀 日本\n";
        for order in [Order::Little, Order::Big] {
            let bytes = encode(text, order);
            assert_eq!(byte_order(&bytes), Some(order));
            for step in [1, 3, 7, 4096] {
                assert_eq!(transcode(&bytes, order, step), text, "{order:?} {step}");
            }
        }
    }

    #[test]
    fn broken_text_is_replaced_and_binary_is_no_text() {
        // a lone low surrogate, a high one at the end, an odd last byte
        let mut bytes = vec![0xFF, 0xFE, b'a', 0, 0x00, 0xDC, b'b', 0, 0x00, 0xD8];
        assert_eq!(transcode(&bytes, Order::Little, 3), "a\u{FFFD}b\u{FFFD}");
        bytes.push(b'c');
        assert_eq!(
            transcode(&bytes, Order::Little, 64),
            "a\u{FFFD}b\u{FFFD}\u{FFFD}"
        );
        assert_eq!(byte_order(&[0xFF, 0xFE, 0, 0, 1, 0]), None);
        assert_eq!(byte_order(&[0xFF, 0xFE]), None);
        assert_eq!(byte_order(b"plain text"), None);
    }
}
