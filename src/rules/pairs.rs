//! The keyword prefilter's engine for the first bytes of a scan: the keywords sorted into buckets
//! by their first two bytes, case-folded, and at each position of a chunk only the keywords of
//! that position's bucket compared. Building it is a counting sort of the keywords (tens of
//! microseconds), where an Aho-Corasick automaton of the built-in keywords took 2.6 million
//! instructions, a tenth of checking one small Dockerfile; searching costs a bucket lookup and a
//! compare or two per byte, so past a few tens of KiB the automaton is the faster engine and the
//! prefilter moves on to it. The trigram engine ([`super::trigram`]) compares its candidate
//! positions through the same index ([`Pairs::at`]).
//!
//! Folding sets bit 0x20 of every byte, as in [`super::trigram`]: two bytes equal but for ASCII
//! case fold alike, so nothing is missed, and bytes merged by the fold (`@` and `` ` ``) only
//! add candidates, which the byte-wise compare turns away.

/// Buckets of the index (a power of two).
const BUCKETS: usize = 1 << 10;

/// The engine for a list of `(keyword, case-insensitive)`; hits are reported by keyword index.
#[derive(Debug)]
pub struct Pairs {
    /// The keywords of two bytes or more, by bucket: bucket `b`'s are
    /// `order[offsets[b]..offsets[b + 1]]`.
    order: Vec<u32>,
    offsets: Vec<u32>,
    /// For each keyword in `order`: its folded first eight bytes (all of a shorter one) and the
    /// mask of those bytes, compared before the byte-wise compare.
    prefixes: Vec<(u64, u64)>,
    /// Keywords of one byte, folded, with their indices.
    single: Vec<(u8, usize)>,
}

/// The bucket of a position whose next two bytes are `first` and `second`.
fn bucket(first: u8, second: u8) -> usize {
    let pair = u16::from_le_bytes([first | 0x20, second | 0x20]);
    (usize::from(pair).wrapping_mul(0x9E37) >> 6) % BUCKETS
}

/// The first `N` bytes, zero past the end.
fn first_padded<const N: usize>(bytes: &[u8]) -> [u8; N] {
    match bytes.first_chunk::<N>() {
        Some(first) => *first,
        None => {
            let mut padded = [0u8; N];
            padded[..bytes.len()].copy_from_slice(bytes);
            padded
        }
    }
}

/// The folded little-endian word of up to four bytes, zero (then folded) past the end.
pub(super) fn folded_quad(bytes: &[u8]) -> u32 {
    u32::from_le_bytes(first_padded(bytes)) | 0x2020_2020
}

/// The folded little-endian word of up to eight bytes, zero (then folded) past the end.
fn folded_word(bytes: &[u8]) -> u64 {
    u64::from_le_bytes(first_padded(bytes)) | 0x2020_2020_2020_2020
}

impl Pairs {
    /// Indexes `keywords` (empty ones never match).
    pub fn new(keywords: &[(String, bool)]) -> Pairs {
        let mut single = Vec::new();
        let mut buckets = Vec::new();
        for (index, (word, _)) in keywords.iter().enumerate() {
            match word.as_bytes() {
                [] => {}
                [only] => single.push((only | 0x20, index)),
                [first, second, ..] => buckets.push((bucket(*first, *second), index)),
            }
        }
        let mut offsets = vec![0u32; BUCKETS + 1];
        for &(b, _) in &buckets {
            offsets[b + 1] += 1;
        }
        for b in 1..offsets.len() {
            offsets[b] += offsets[b - 1];
        }
        buckets.sort_unstable();
        let order: Vec<u32> = buckets.iter().map(|&(_, index)| index as u32).collect();
        let prefixes = order
            .iter()
            .map(|&index| {
                let word = keywords[index as usize].0.as_bytes();
                let mask = match word.len() {
                    8.. => u64::MAX,
                    n => (1 << (8 * n)) - 1,
                };
                (folded_word(word) & mask, mask)
            })
            .collect();
        Pairs {
            order,
            offsets,
            prefixes,
            single,
        }
    }

    /// Calls `hit(start, keyword index)` for every occurrence of every keyword in `chunk`,
    /// ASCII-case-insensitively, overlapping ones included, in no particular order.
    pub fn find(
        &self,
        keywords: &[(String, bool)],
        chunk: &[u8],
        mut hit: impl FnMut(usize, usize),
    ) {
        for at in 0..chunk.len().saturating_sub(1) {
            self.at(keywords, chunk, at, &mut hit);
        }
        if !self.single.is_empty() {
            for (at, &byte) in chunk.iter().enumerate() {
                for &(folded, index) in &self.single {
                    if byte | 0x20 == folded
                        && keywords[index].0.as_bytes()[0].eq_ignore_ascii_case(&byte)
                    {
                        hit(at, index);
                    }
                }
            }
        }
    }

    /// Calls `hit(at, keyword index)` for each keyword of two bytes or more at `at`, which has
    /// a byte after it.
    pub fn at(
        &self,
        keywords: &[(String, bool)],
        chunk: &[u8],
        at: usize,
        hit: &mut impl FnMut(usize, usize),
    ) {
        let b = bucket(chunk[at], chunk[at + 1]);
        let range = self.offsets[b] as usize..self.offsets[b + 1] as usize;
        if range.is_empty() {
            return;
        }
        let eight = folded_word(&chunk[at..]);
        let prefixes = &self.prefixes[range.clone()];
        for (&index, &(prefix, mask)) in self.order[range].iter().zip(prefixes) {
            if eight & mask != prefix {
                continue; // the fold only merges bytes, so a real match always passes
            }
            let word = keywords[index as usize].0.as_bytes();
            if let Some(text) = chunk.get(at..at + word.len())
                && text.eq_ignore_ascii_case(word)
            {
                hit(at, index as usize);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::{AhoCorasick, AhoCorasickKind};

    /// `(start, keyword index)` pairs, sorted.
    type Hits = Vec<(usize, usize)>;

    /// Every `(start, keyword)` as an Aho-Corasick DFA finds them, and as the pairs index does.
    fn both(keywords: &[(String, bool)], text: &[u8]) -> (Hits, Hits) {
        let dfa = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .kind(Some(AhoCorasickKind::DFA))
            .build(keywords.iter().map(|(k, _)| k))
            .unwrap();
        let mut expected: Hits = dfa
            .find_overlapping_iter(text)
            .map(|m| (m.start(), m.pattern().as_usize()))
            .collect();
        let mut got = Vec::new();
        Pairs::new(keywords).find(keywords, text, |at, index| got.push((at, index)));
        expected.sort_unstable();
        got.sort_unstable();
        (expected, got)
    }

    fn words(list: &[&str]) -> Vec<(String, bool)> {
        list.iter().map(|k| (k.to_string(), true)).collect()
    }

    #[test]
    fn finds_what_the_automaton_finds_at_every_offset() {
        let keywords = words(&[
            "password",
            "pass",
            "key=",
            "Q~",
            "x",
            "@ab",
            "client-key-data",
        ]);
        for piece in [
            "PassWord",
            "key=",
            "q~",
            "X",
            "`AB",
            "client ",
            "CLIENT-KEY-DATA",
            "pas",
        ] {
            for before in 0..10 {
                for after in 0..10 {
                    let text = format!("{}{piece}{}", "-".repeat(before), "-".repeat(after));
                    let (expected, got) = both(&keywords, text.as_bytes());
                    assert_eq!(got, expected, "{text:?}");
                }
            }
        }
        assert!(both(&keywords, b"").1.is_empty());
        assert_eq!(both(&keywords, b"x").1, [(0, 4)]);
    }

    #[test]
    fn random_keywords_over_random_text_agree_with_the_automaton() {
        // a small alphabet makes prefixes, overlaps, shared buckets and near misses frequent;
        // the fold-merged pair `@`/`` ` `` and a high byte make false candidates
        let alphabet = b"aAbB@`~_\xe9";
        let mut next = crate::rules::seeded(7);
        for _ in 0..300 {
            // past eight bytes too: the prefix compare masks
            let keywords = crate::rules::random_keywords(&mut next, alphabet, 12, 11);
            for _ in 0..20 {
                let text: Vec<u8> = (0..next(64))
                    .map(|_| alphabet[next(alphabet.len())])
                    .collect();
                let (expected, got) = both(&keywords, &text);
                assert_eq!(got, expected, "{keywords:?} in {text:?}");
            }
        }
    }
}
