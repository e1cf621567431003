//! The keyword prefilter: one Aho-Corasick pass over a chunk says which content rules are worth
//! running on it. Keywords of case-sensitive patterns are matched case-sensitively (so `msg.` does
//! not wake the SendGrid rule for `SG.`), those of patterns with `(?i` case-insensitively; each
//! group is one automaton. The hits also tell where to look: a rule's regex runs only on regions
//! around its keywords (see [`regions`]).

/// Bytes before a keyword a match may start (`db_password = …`, an OpenAI key's prefix).
pub const BEFORE: usize = 512;
/// Bytes after a keyword a match may end (a 4096-bit PEM block is about 3.3 KiB).
pub const AFTER: usize = 8 << 10;

/// Merged `[start, end)` regions around sorted keyword offsets in a chunk of `len` bytes. When
/// they cover most of the chunk, one region for the whole chunk is cheaper.
pub fn regions(hits: &mut [usize], len: usize) -> Vec<(usize, usize)> {
    hits.sort_unstable();
    let mut out: Vec<(usize, usize)> = Vec::new();
    for &hit in hits.iter() {
        let (start, end) = (hit.saturating_sub(BEFORE), (hit + AFTER).min(len));
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

use aho_corasick::AhoCorasick;

use crate::error::{Error, Result};

/// One automaton and, for each of its patterns, the rules that own that keyword.
#[derive(Debug)]
struct Group {
    automaton: AhoCorasick,
    owners: Vec<Vec<usize>>,
}

/// The prefilter of a rule set.
#[derive(Debug)]
pub struct Prefilter {
    groups: Vec<Group>,
}

impl Prefilter {
    /// Builds the automata from `(rule index, keywords, case-insensitive)` triples.
    pub fn new<'a>(
        rules: impl IntoIterator<Item = (usize, &'a [String], bool)>,
    ) -> Result<Prefilter> {
        let mut parts: [(Vec<String>, Vec<Vec<usize>>); 2] = Default::default();
        for (index, keywords, insensitive) in rules {
            let (words, owners) = &mut parts[usize::from(insensitive)];
            for keyword in keywords {
                match words.iter().position(|k| k == keyword) {
                    Some(at) => owners[at].push(index),
                    None => {
                        words.push(keyword.clone());
                        owners.push(vec![index]);
                    }
                }
            }
        }
        let mut groups = Vec::new();
        for (insensitive, (words, owners)) in parts.into_iter().enumerate() {
            if words.is_empty() {
                continue;
            }
            let automaton = AhoCorasick::builder()
                .ascii_case_insensitive(insensitive == 1)
                .build(&words)
                .map_err(|e| Error::RuleFile {
                    file: "keywords".into(),
                    message: e.to_string(),
                })?;
            groups.push(Group { automaton, owners });
        }
        Ok(Prefilter { groups })
    }

    /// Records in `hits` (indexed by rule) the offset of every keyword occurrence in `chunk`.
    pub fn hits(&self, chunk: &[u8], hits: &mut [Vec<usize>]) {
        for group in &self.groups {
            for hit in group.automaton.find_overlapping_iter(chunk) {
                for &rule in &group.owners[hit.pattern().as_usize()] {
                    hits[rule].push(hit.start());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_merge_and_fall_back_to_the_whole_chunk() {
        let len = 1 << 20;
        assert_eq!(
            regions(&mut [100_000, 100_100], len),
            [(100_000 - BEFORE, 100_100 + AFTER)]
        );
        assert_eq!(regions(&mut [10], len), [(0, 10 + AFTER)]);
        assert_eq!(regions(&mut [len - 5], len), [(len - 5 - BEFORE, len)]);
        let mut dense: Vec<usize> = (0..len).step_by(4096).collect();
        assert_eq!(regions(&mut dense, len), [(0, len)]);
    }

    #[test]
    fn case_sensitivity_follows_the_pattern() {
        let sensitive = ["SG.".to_owned()];
        let insensitive = ["password".to_owned()];
        let prefilter =
            Prefilter::new([(0, &sensitive[..], false), (1, &insensitive[..], true)]).unwrap();
        let found = |text: &str| {
            let mut hits = vec![Vec::new(); 2];
            prefilter.hits(text.as_bytes(), &mut hits);
            hits
        };
        assert!(found("msg.send()").iter().all(Vec::is_empty));
        assert_eq!(found("SG.abc PASSWORD"), [vec![0], vec![7]]);
    }
}
