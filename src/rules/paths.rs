//! The path rules as one multi-pattern regex: which secret-file rules a path matches, in one
//! search instead of one per rule. Built on first use, and in two builds like the content
//! patterns: the PikeVM alone for the first few paths (a Dockerfile's `COPY` sources, where
//! compiling is most of the work), the lazy DFA once many paths have been asked about (the
//! files of an image).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use regex_automata::meta::Regex;
use regex_automata::{Input, PatternSet};

use super::compile::build_path_set;

/// Path bytes matched with the PikeVM build before the lazy DFA is built.
const PIKE_BYTES: usize = 4 << 10;

/// The path rules of a set, by rule index, with their patterns in the same order.
#[derive(Debug, Default)]
pub(super) struct Paths {
    rules: Vec<usize>,
    patterns: Vec<String>,
    pike: OnceLock<Option<Regex>>,
    lazy: OnceLock<Option<Regex>>,
    searched: AtomicUsize,
}

impl Paths {
    pub(super) fn new(rules: Vec<usize>, patterns: Vec<String>) -> Paths {
        Paths {
            rules,
            patterns,
            ..Paths::default()
        }
    }

    /// The indexes of the rules whose pattern matches `path`, in rule order.
    pub(super) fn matching(&self, path: &str) -> Vec<usize> {
        if self.rules.is_empty() {
            return Vec::new();
        }
        let many = self.lazy.get().is_some()
            || self.searched.fetch_add(path.len(), Ordering::Relaxed) + path.len() > PIKE_BYTES;
        let build = |pike| {
            let patterns: Vec<&str> = self.patterns.iter().map(String::as_str).collect();
            // each pattern compiled alone when its rule was loaded, so together they do too
            build_path_set(&patterns, pike).ok()
        };
        let regex = if many {
            self.lazy.get_or_init(|| build(false))
        } else {
            self.pike.get_or_init(|| build(true))
        };
        let Some(regex) = regex else {
            return Vec::new();
        };
        let mut found = PatternSet::new(regex.pattern_len());
        regex.which_overlapping_matches(&Input::new(path.as_bytes()), &mut found);
        found.iter().map(|p| self.rules[p.as_usize()]).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{Matcher, RuleSet};

    /// The built-in path rules, and which rule indexes each of their examples must yield.
    fn builtin() -> (Paths, Vec<(String, usize, bool)>) {
        let rules = RuleSet::builtin().expect("built-in rules are valid");
        let (mut indexes, mut patterns, mut cases) = (Vec::new(), Vec::new(), Vec::new());
        for (index, rule) in rules.rules().iter().enumerate() {
            if let Matcher::Path(pattern) = &rule.matcher {
                indexes.push(index);
                patterns.push(pattern.clone());
                cases.extend(rule.examples.iter().map(|e| (e.clone(), index, true)));
                cases.extend(
                    rule.negative_examples
                        .iter()
                        .map(|e| (e.clone(), index, false)),
                );
            }
        }
        assert!(indexes.len() > 20, "the built-in path rules are found");
        (Paths::new(indexes, patterns), cases)
    }

    #[test]
    fn both_builds_match_every_example_and_no_negative_one() {
        let (paths, cases) = builtin();
        let first = cases
            .iter()
            .map(|(path, ..)| paths.matching(path))
            .collect::<Vec<_>>();
        assert!(
            paths.pike.get().is_some_and(Option::is_some),
            "the PikeVM build served first"
        );
        while paths.lazy.get().is_none() {
            paths.matching("some/long/path/name/that/matches/nothing/at/all.txt");
        }
        for ((path, index, example), pike) in cases.iter().zip(first) {
            let lazy = paths.matching(path);
            assert_eq!(pike, lazy, "{path}: the two builds disagree");
            assert_eq!(lazy.contains(index), *example, "{path}: rule {index}");
        }
    }

    #[test]
    fn an_empty_set_matches_nothing_and_builds_nothing() {
        let paths = Paths::new(Vec::new(), Vec::new());
        assert!(paths.matching(".env").is_empty());
        assert!(paths.pike.get().is_none());
    }
}
