//! The keyword prefilter: one pass over a chunk says which content rules are worth running on it.
//! One case-insensitive engine makes the pass (a cheap-to-build NFA while the scan is small, then
//! a trigram table or vectorscan, see [`Prefilter`]); hits of keywords that belong to case-sensitive
//! patterns are then checked byte for byte (so `msg.` does not wake the SendGrid rule for `SG.`).
//! The hits also tell where to look: a rule's regex runs only on regions around its keywords
//! (see [`regions`]).

/// Bytes before a keyword a match may start (`db_password = …`, an OpenAI key's prefix), for a
/// pattern whose matches are unbounded.
pub const BEFORE: usize = 512;
/// Bytes after a keyword a match may end (a 4096-bit PEM block is about 3.3 KiB), likewise.
pub const AFTER: usize = 8 << 10;

/// Merged `[start, end)` regions around sorted keyword offsets in a chunk of `len` bytes, for a
/// rule whose longest match is `reach` bytes. A match holds its keyword, so it starts at most
/// `reach` bytes before the keyword and ends at most `reach` bytes after it; one byte more on
/// each side keeps a whole match off the region's cut (a match touching a cut is dropped as
/// possibly partial). When the regions cover most of the chunk, one region for the whole chunk
/// is cheaper.
pub fn regions(hits: &mut [usize], len: usize, reach: Option<usize>) -> Vec<(usize, usize)> {
    let (before, after) = match reach {
        Some(reach) => (BEFORE.min(reach + 1), AFTER.min(reach + 1)),
        None => (BEFORE, AFTER),
    };
    hits.sort_unstable();
    let mut out: Vec<(usize, usize)> = Vec::new();
    for &hit in hits.iter() {
        let (start, end) = (hit.saturating_sub(before), (hit + after).min(len));
        match out.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    let covered: usize = out.iter().map(|(s, e)| e - s).sum();
    if covered * 2 > len {
        return vec![(0, len)];
    }
    out
}

use std::collections::HashMap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use aho_corasick::{AhoCorasick, AhoCorasickKind};

use super::pairs::Pairs;
use super::trigram::Trigrams;

/// The prefilter of a rule set: its engines, and for each keyword whether it must match
/// case-sensitively and which rules own it.
///
/// The engines grow with the scan, each built by the first search that needs it. The first
/// [`SMALL_AFTER`] bytes go through the keywords indexed by their first two bytes ([`Pairs`],
/// built at once); then a contiguous Aho-Corasick NFA, cheap to build; once more than
/// [`LARGE_AFTER`] bytes have been scanned, the scan is an image's and the fast engine takes
/// over: the trigram table ([`Trigrams`]), or vectorscan with the feature. A Dockerfile in a
/// pre-commit hook never pays for an automaton (the NFA of the built-in keywords was 2.6 of
/// the 25.9 million instructions of checking the demo Dockerfile; an Aho-Corasick DFA built at
/// load was 0.6 ms of its 9 ms, the vectorscan database about 4 ms).
pub struct Prefilter {
    pairs: Pairs,
    small: OnceLock<Option<AhoCorasick>>,
    large: OnceLock<Large>,
    /// Bytes scanned before the fast engine was built.
    scanned: AtomicUsize,
    keywords: Vec<(String, bool)>,
    owners: Vec<Vec<usize>>,
    /// Some keyword holds a NUL byte, so a chunk of zeros must be searched too.
    nul: bool,
}

/// Bytes scanned with the pairs index after which the NFA is built and used: the index costs
/// a compare or two per byte, the NFA's build a few tens of KiB of them.
const SMALL_AFTER: usize = 64 << 10;

/// Bytes scanned after which the fast engine is built and used.
const LARGE_AFTER: usize = 1 << 20;

/// The fast engine: the trigram table ([`Trigrams`]), or vectorscan when built with the
/// feature; an Aho-Corasick DFA if neither can be built (`None`: nor that, nor the NFA, so the
/// pairs index goes on).
enum Large {
    Trigrams(Trigrams),
    AhoCorasick(Option<AhoCorasick>),
    #[cfg(feature = "vectorscan")]
    Vectorscan(Vectorscan),
}

/// Which engine a search uses.
enum Engine<'a> {
    Pairs,
    Automaton(&'a AhoCorasick),
    Large(&'a Large),
}

/// The vectorscan database and scanners ready for reuse: making a scanner validates the whole
/// database (a CRC over its bytecode), which cost 11 % of a scan when done per window. The
/// database lives as long as the process (one per rule set) so scanners can borrow it.
#[cfg(feature = "vectorscan")]
struct Vectorscan {
    database: &'static vectorscan_rs::BlockDatabase,
    idle: std::sync::Mutex<Vec<vectorscan_rs::BlockScanner<'static>>>,
}

/// The keywords' automaton of `kind`; `None` if it cannot be built (too large), in which case
/// a smaller engine goes on.
fn automaton(keywords: &[(String, bool)], kind: AhoCorasickKind) -> Option<AhoCorasick> {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .kind(Some(kind))
        .build(keywords.iter().map(|(k, _)| k))
        .ok()
}

impl std::fmt::Debug for Prefilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let engine = if cfg!(feature = "vectorscan") {
            "vectorscan"
        } else {
            "trigrams"
        };
        f.debug_struct("Prefilter")
            .field("engine", &engine)
            .field("keywords", &self.keywords.len())
            .finish()
    }
}

impl Prefilter {
    /// Indexes the keywords of `(rule index, keywords, case-insensitive)` triples (the
    /// automata are built when the scan grows, so nothing here can fail).
    pub fn new<'a>(rules: impl IntoIterator<Item = (usize, &'a [String], bool)>) -> Prefilter {
        let mut keywords: Vec<(String, bool)> = Vec::new();
        let mut owners: Vec<Vec<usize>> = Vec::new();
        let mut seen: HashMap<(&str, bool), usize> = HashMap::new();
        for (index, words, insensitive) in rules {
            for word in words {
                let at = *seen.entry((word, insensitive)).or_insert_with(|| {
                    keywords.push((word.clone(), insensitive));
                    owners.push(Vec::new());
                    owners.len() - 1
                });
                owners[at].push(index);
            }
        }
        Prefilter {
            pairs: Pairs::new(&keywords),
            nul: keywords.iter().any(|(word, _)| word.contains('\0')),
            small: OnceLock::new(),
            large: OnceLock::new(),
            scanned: AtomicUsize::new(0),
            keywords,
            owners,
        }
    }

    /// The engine for a chunk of `len` bytes, by the bytes scanned so far (each built by the
    /// first thread to need it).
    fn engine(&self, len: usize) -> Engine<'_> {
        if let Some(large) = self.large.get() {
            return Engine::Large(large);
        }
        let scanned = self.scanned.fetch_add(len, Ordering::Relaxed) + len;
        if scanned >= LARGE_AFTER {
            return Engine::Large(self.large());
        }
        if scanned >= SMALL_AFTER || self.small.get().is_some() {
            let small = self
                .small
                .get_or_init(|| automaton(&self.keywords, AhoCorasickKind::ContiguousNFA));
            if let Some(small) = small {
                return Engine::Automaton(small);
            }
        }
        Engine::Pairs
    }

    /// The fast engine, built on first use.
    fn large(&self) -> &Large {
        self.large.get_or_init(|| {
            #[cfg(feature = "vectorscan")]
            if let Some(database) = vectorscan(&self.keywords) {
                return Large::Vectorscan(Vectorscan {
                    database: Box::leak(Box::new(database)),
                    idle: std::sync::Mutex::new(Vec::new()),
                });
            }
            if let Some(trigrams) = Trigrams::new(&self.keywords) {
                return Large::Trigrams(trigrams);
            }
            // this fails only on size; then the NFA, if that could be built
            let dfa = automaton(&self.keywords, AhoCorasickKind::DFA);
            let nfa = || automaton(&self.keywords, AhoCorasickKind::ContiguousNFA);
            Large::AhoCorasick(dfa.or_else(nfa))
        })
    }

    /// The scan has turned out large (the fast engine is in use).
    pub fn is_large(&self) -> bool {
        self.large.get().is_some()
    }

    /// Pushes to `hits` a `(rule, offset)` pair for every keyword occurrence in `chunk` and
    /// every rule owning the keyword, in no particular order. One list for all rules, not one
    /// per rule: a window without a hit (most small files) costs no per-rule work.
    pub fn hits(&self, chunk: &[u8], hits: &mut Vec<(usize, usize)>) {
        if !self.nul && zeros(chunk) {
            return;
        }
        let engine = self.engine(chunk.len());
        #[cfg(feature = "vectorscan")]
        if let Engine::Large(Large::Vectorscan(engine)) = engine {
            return self.vectorscan_hits(engine, chunk, hits);
        }
        let mut hit = |start, pattern| self.hit(chunk, start, pattern, hits);
        let automaton = match engine {
            Engine::Automaton(automaton) | Engine::Large(Large::AhoCorasick(Some(automaton))) => {
                automaton
            }
            Engine::Pairs | Engine::Large(Large::AhoCorasick(None)) => {
                return self.pairs.find(&self.keywords, chunk, hit);
            }
            Engine::Large(Large::Trigrams(trigrams)) => {
                return trigrams.find(&self.keywords, chunk, hit);
            }
            #[cfg(feature = "vectorscan")]
            Engine::Large(Large::Vectorscan(_)) => return, // searched above
        };
        for found in automaton.find_overlapping_iter(chunk) {
            hit(found.start(), found.pattern().as_usize());
        }
    }

    /// Records keyword `pattern`, found ASCII-case-insensitively at `start`, for its rules.
    fn hit(&self, chunk: &[u8], start: usize, pattern: usize, hits: &mut Vec<(usize, usize)>) {
        let (word, insensitive) = &self.keywords[pattern];
        if !insensitive && &chunk[start..start + word.len()] != word.as_bytes() {
            return; // `msg.` is not `SG.`
        }
        hits.extend(self.owners[pattern].iter().map(|&rule| (rule, start)));
    }
}

/// True when `chunk` holds only NUL bytes: a sparse file's holes (the tar reader fills them in;
/// a Go toolchain's tar test data alone declares 60 GB of them), a preallocated or zeroed file.
/// No keyword without a NUL starts there, so the first pass is skipped. Tested a block at a
/// time (an OR over each block, which the compiler vectorizes), so other data is turned away
/// after its first block.
fn zeros(chunk: &[u8]) -> bool {
    chunk
        .chunks(4096)
        .all(|block| block.iter().fold(0u8, |any, &b| any | b) == 0)
}

#[cfg(feature = "vectorscan")]
impl Prefilter {
    fn vectorscan_hits(&self, engine: &Vectorscan, chunk: &[u8], hits: &mut Vec<(usize, usize)>) {
        let reused = engine.idle.lock().ok().and_then(|mut idle| idle.pop());
        let Some(mut scanner) =
            reused.or_else(|| vectorscan_rs::BlockScanner::new(engine.database).ok())
        else {
            return;
        };
        let _ = scanner.scan(chunk, |id, _from, to, _flags| {
            let id = id as usize;
            let start = to as usize - self.keywords[id].0.len();
            hits.extend(self.owners[id].iter().map(|&rule| (rule, start)));
            vectorscan_rs::Scan::Continue
        });
        if let Ok(mut idle) = engine.idle.lock() {
            idle.push(scanner);
        }
    }
}

/// The keywords as a vectorscan block database: each a literal (every byte escaped), caseless
/// where its pattern is. `None` (Aho-Corasick is used) if the database cannot be built.
#[cfg(feature = "vectorscan")]
fn vectorscan(keywords: &[(String, bool)]) -> Option<vectorscan_rs::BlockDatabase> {
    use vectorscan_rs::{Flag, Pattern};
    let patterns = keywords
        .iter()
        .enumerate()
        .map(|(id, (word, insensitive))| {
            let expression: String = word.bytes().map(|b| format!("\\x{b:02x}")).collect();
            let flags = if *insensitive {
                Flag::CASELESS
            } else {
                Flag::default()
            };
            Pattern::new(expression.into_bytes(), flags, Some(id as u32))
        })
        .collect();
    vectorscan_rs::BlockDatabase::new(patterns).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_merge_and_fall_back_to_the_whole_chunk() {
        let len = 1 << 20;
        assert_eq!(
            regions(&mut [100_000, 100_100], len, None),
            [(100_000 - BEFORE, 100_100 + AFTER)]
        );
        assert_eq!(regions(&mut [10], len, None), [(0, 10 + AFTER)]);
        assert_eq!(
            regions(&mut [len - 5], len, None),
            [(len - 5 - BEFORE, len)]
        );
        let mut dense: Vec<usize> = (0..len).step_by(4096).collect();
        assert_eq!(regions(&mut dense, len, None), [(0, len)]);
        // a bounded pattern: its reach plus one byte on each side
        assert_eq!(
            regions(&mut [1000, 5000], len, Some(40)),
            [(959, 1041), (4959, 5041)]
        );
        assert_eq!(
            regions(&mut [1000], len, Some(1 << 20)),
            [(1000 - BEFORE, 1000 + AFTER)]
        );
    }

    /// The sorted offsets of each of the first `rules` rules' hits in `text`.
    fn by_rule(prefilter: &Prefilter, text: &[u8], rules: usize) -> Vec<Vec<usize>> {
        let mut hits = Vec::new();
        prefilter.hits(text, &mut hits);
        let mut out = vec![Vec::new(); rules];
        for (rule, at) in hits {
            out[rule].push(at);
        }
        out.iter_mut().for_each(|offsets| offsets.sort_unstable());
        out
    }

    #[test]
    fn case_sensitivity_follows_the_pattern() {
        let sensitive = ["SG.".to_owned()];
        let insensitive = ["password".to_owned()];
        let prefilter = Prefilter::new([(0, &sensitive[..], false), (1, &insensitive[..], true)]);
        let found = |text: &str| by_rule(&prefilter, text.as_bytes(), 2);
        assert!(found("msg.send()").iter().all(Vec::is_empty));
        assert_eq!(found("SG.abc PASSWORD"), [vec![0], vec![7]]);
    }

    #[test]
    fn a_chunk_of_zeros_is_skipped_unless_a_keyword_holds_a_nul() {
        let words = ["token".to_owned()];
        let nul = ["\0\0\0\0".to_owned()];
        let prefilter = Prefilter::new([(0, &words[..], true), (1, &nul[..], true)]);
        let plain = Prefilter::new([(0, &words[..], true)]);
        assert!(prefilter.nul && !plain.nul);
        // zeros over several of the test's blocks, then a keyword: found by both
        let mut chunk = vec![0u8; 3 * 4096 + 100];
        chunk.extend_from_slice(b"TOKEN");
        assert!(!zeros(&chunk));
        for filter in [&prefilter, &plain] {
            assert_eq!(by_rule(filter, &chunk, 2)[0], [3 * 4096 + 100]);
        }
        // only zeros: skipped, unless a keyword is made of them
        let empty = vec![0u8; 10];
        assert!(zeros(&empty) && zeros(&[]));
        assert!(by_rule(&plain, &empty, 2).iter().all(Vec::is_empty));
        assert_eq!(by_rule(&prefilter, &empty, 2)[1], [0, 1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn each_engine_takes_over_in_turn_with_the_same_hits() {
        let (sensitive, words) = (
            ["SG.".to_owned()],
            ["api_key".to_owned(), "key=".to_owned()],
        );
        let prefilter = Prefilter::new([(0, &sensitive[..], false), (1, &words[..], true)]);
        let text = b"msg.x SG.y ?API_KEY=1 sg.z";
        let found = || by_rule(&prefilter, text, 2);
        let expected = [vec![6], vec![12, 16]];
        assert_eq!(found(), expected);
        assert!(
            prefilter.small.get().is_none() && prefilter.large.get().is_none(),
            "a small scan builds no automaton"
        );
        let mut hits = Vec::new();
        prefilter.hits(&vec![b'.'; SMALL_AFTER], &mut hits);
        assert!(prefilter.small.get().is_some() && prefilter.large.get().is_none());
        assert_eq!(found(), expected, "the same hits from the NFA");
        prefilter.hits(&vec![b'.'; LARGE_AFTER], &mut hits);
        assert!(prefilter.large.get().is_some());
        assert_eq!(found(), expected, "the same hits from the fast engine");
    }
}
