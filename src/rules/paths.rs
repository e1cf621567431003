//! The path rules as one lazy DFA: which secret-file rules a path matches, in one forward
//! search instead of one search per rule. Built on first use, forward only (the lazy DFA needs
//! no reverse NFA and no capture groups to say which patterns match), so a Dockerfile's few
//! `COPY` sources pay little to build it and the files of an image little to search it. When
//! every pattern is a built-in one, whose matches all end in one of a few literals (`.npmrc`,
//! `.pem`, `/id_rsa`…, found by `build.rs`), a path ending in none of them is turned away
//! first: a clean build context never builds the DFA at all. A path that does end in one of
//! them can only match the patterns that literal ends, so the first few such paths (a
//! Dockerfile's `COPY id_rsa`) are searched by those patterns alone, each compiled on its own
//! as a PikeVM, and the DFA of all patterns is built only once more paths come (an image's).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::nfa::thompson;
use regex_automata::nfa::thompson::pikevm::PikeVM;
use regex_automata::util::syntax;
use regex_automata::{Input, MatchKind, PatternSet};

/// The path rules of a set, by rule index, with their patterns in the same order.
#[derive(Debug, Default)]
pub(super) struct Paths {
    rules: Vec<usize>,
    patterns: Vec<String>,
    dfa: OnceLock<Option<DFA>>,
    /// Caches of the lazy DFA not in use, one per thread that has searched at once.
    caches: Mutex<Vec<Cache>>,
    /// The literals, ASCII-lowercased, one of which ends every match of every pattern, each
    /// with the pattern it ends, by their last byte (a path is compared only with those ending
    /// as it does); `None` when some pattern has no such list (a user's pattern, or one not
    /// anchored at the end).
    ends: Option<Vec<Vec<(&'static str, usize)>>>,
    /// Each pattern alone, built when a path first needs it before the DFA is built.
    alone: Vec<OnceLock<Option<PikeVM>>>,
    /// Paths searched pattern by pattern so far.
    searched_alone: AtomicUsize,
}

/// Paths searched by their candidate patterns alone before the DFA of all patterns is built:
/// a build context's few secret-looking names, not an image's files.
const ALONE: usize = 16;

impl Paths {
    pub(super) fn new(rules: Vec<usize>, patterns: Vec<String>) -> Paths {
        let ends = patterns.iter().map(|p| super::builtin::path_suffixes(p));
        let ends: Option<Vec<&[&str]>> = ends.collect();
        let ends = ends.map(|lists| {
            let mut by_last = vec![Vec::new(); 256];
            for (pattern, list) in lists.iter().enumerate() {
                for &end in list.iter() {
                    let last = end.as_bytes().last().copied().unwrap_or_default();
                    by_last[usize::from(last)].push((end, pattern));
                }
            }
            by_last
        });
        Paths {
            rules,
            alone: patterns.iter().map(|_| OnceLock::new()).collect(),
            patterns,
            ends,
            ..Paths::default()
        }
    }

    /// The indexes of the rules whose pattern matches `path`, in rule order.
    pub(super) fn matching(&self, path: &str) -> Vec<usize> {
        if self.rules.is_empty() {
            return Vec::new();
        }
        if let Some(mut ending) = self.ending(path) {
            if ending.next().is_none() {
                return Vec::new();
            }
            if self.dfa.get().is_none()
                && self.searched_alone.fetch_add(1, Ordering::Relaxed) < ALONE
            {
                return self
                    .candidates(path)
                    .into_iter()
                    .filter(|&pattern| self.matches_alone(pattern, path))
                    .map(|pattern| self.rules[pattern])
                    .collect();
            }
        }
        // each pattern was built alone when its rule was loaded (`check`), so together they are
        let Some(dfa) = self.dfa.get_or_init(|| build(&self.patterns)) else {
            return Vec::new();
        };
        let taken = self.caches.lock().ok().and_then(|mut idle| idle.pop());
        let mut cache = taken.unwrap_or_else(|| dfa.create_cache());
        let mut found = PatternSet::new(dfa.pattern_len());
        let searched =
            dfa.try_which_overlapping_matches(&mut cache, &Input::new(path.as_bytes()), &mut found);
        if let Ok(mut idle) = self.caches.lock() {
            idle.push(cache);
        }
        // the configuration never gives up (no quit bytes: `check` refused Unicode word
        // boundaries; no cache-clear limit)
        debug_assert!(
            searched.is_ok(),
            "lazy DFA search of {path:?}: {searched:?}"
        );
        found.iter().map(|p| self.rules[p.as_usize()]).collect()
    }

    /// The patterns one of whose literals ends `path` (compared ignoring ASCII case), the only
    /// ones it can match, in no order and possibly repeated. `None` when some pattern has no
    /// such list.
    fn ending<'p>(&'p self, path: &'p str) -> Option<impl Iterator<Item = usize> + 'p> {
        let ends = self.ends.as_ref()?;
        let path = path.as_bytes();
        // every literal is one byte or more, so an empty path is in no list
        let last = path.last().map_or(0, u8::to_ascii_lowercase);
        let found = ends[usize::from(last)]
            .iter()
            .filter(move |(end, _)| {
                !path.is_empty()
                    && path.len() >= end.len()
                    && path[path.len() - end.len()..].eq_ignore_ascii_case(end.as_bytes())
            })
            .map(|&(_, pattern)| pattern);
        Some(found)
    }

    /// The patterns `path` can match by its ending, in order, each once (all of them when
    /// some pattern has no list of endings).
    fn candidates(&self, path: &str) -> Vec<usize> {
        let Some(ending) = self.ending(path) else {
            return (0..self.patterns.len()).collect();
        };
        let mut found: Vec<usize> = ending.collect();
        found.sort_unstable();
        found.dedup();
        found
    }

    /// Whether pattern `index`, compiled alone, matches `path`.
    fn matches_alone(&self, index: usize, path: &str) -> bool {
        let alone = self.alone[index].get_or_init(|| {
            PikeVM::builder()
                .syntax(syntax_config())
                .thompson(thompson_config())
                .build(&self.patterns[index])
                .ok()
        });
        alone
            .as_ref()
            .is_some_and(|vm| vm.is_match(&mut vm.create_cache(), path.as_bytes()))
    }
}

/// The patterns as one lazy DFA reporting every pattern that matches (`MatchKind::All`),
/// compiled as content patterns are (Unicode off, matches need not be UTF-8).
fn build(patterns: &[String]) -> Option<DFA> {
    builder().build_many(patterns).ok()
}

/// Why `pattern` cannot be a path rule's (it does not parse, or needs what a lazy DFA lacks: a
/// Unicode word boundary), for a user's rule file.
pub(super) fn check(pattern: &str) -> std::result::Result<(), String> {
    super::compile::parse(pattern)?;
    builder()
        .build(pattern)
        .map(drop)
        .map_err(|e| e.to_string())
}

fn builder() -> regex_automata::hybrid::dfa::Builder {
    let mut builder = DFA::builder();
    builder
        .configure(DFA::config().match_kind(MatchKind::All))
        .syntax(syntax_config())
        .thompson(thompson_config());
    builder
}

/// Patterns read with Unicode off, as content patterns are.
fn syntax_config() -> syntax::Config {
    syntax::Config::new().unicode(false).utf8(false)
}

/// Matches need not be UTF-8 (nor split at its boundaries).
fn thompson_config() -> thompson::Config {
    thompson::Config::new().utf8(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{Matcher, RuleSet};

    /// `(example path, rule index, whether it matches)`.
    type Case = (String, usize, bool);

    /// The built-in path rules: their indexes, patterns and examples as cases.
    fn builtin() -> (Vec<usize>, Vec<String>, Vec<Case>) {
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
        (indexes, patterns, cases)
    }

    /// The rules matching `path` as the first paths of a build context see them: each
    /// candidate pattern alone (`paths` must never have built its DFA).
    fn alone(paths: &Paths, path: &str) -> Vec<usize> {
        paths.searched_alone.store(0, Ordering::Relaxed);
        let found = paths.matching(path);
        assert!(paths.dfa.get().is_none());
        found
    }

    /// The rules matching `path` through the DFA of all patterns, as an image's files see them.
    fn together(paths: &Paths, path: &str) -> Vec<usize> {
        paths.searched_alone.store(ALONE, Ordering::Relaxed);
        paths.matching(path)
    }

    #[test]
    fn every_example_matches_its_rule_and_no_negative_one_does() {
        let (indexes, patterns, cases) = builtin();
        let paths = Paths::new(indexes.clone(), patterns.clone());
        let first = Paths::new(indexes, patterns.clone());
        for (path, index, example) in &cases {
            // each pattern alone, through the regex crate (another engine), as the oracle
            let oracle = patterns.iter().zip(&paths.rules).filter(|(pattern, _)| {
                let one = regex::bytes::RegexBuilder::new(pattern)
                    .unicode(false)
                    .build();
                one.unwrap().is_match(path.as_bytes())
            });
            let oracle: Vec<usize> = oracle.map(|(_, &rule)| rule).collect();
            let found = together(&paths, path);
            assert_eq!(
                found, oracle,
                "{path}: the set and the regex crate disagree"
            );
            assert_eq!(alone(&first, path), oracle, "{path}: candidates alone");
            assert_eq!(found.contains(index), *example, "{path}: rule {index}");
        }
        assert_eq!(paths.caches.lock().unwrap().len(), 1, "the cache is reused");
    }

    #[test]
    fn a_few_paths_are_searched_by_their_candidates_alone_then_the_dfa_takes_over() {
        let (indexes, patterns, _) = builtin();
        let paths = Paths::new(indexes, patterns);
        let ssh = paths.matching("app/id_rsa");
        assert_eq!(ssh.len(), 1);
        let built = paths.alone.iter().filter(|vm| vm.get().is_some()).count();
        assert_eq!(built, 1, "only the pattern ending in id_rsa is compiled");
        assert!(paths.dfa.get().is_none());
        for _ in 1..ALONE {
            assert_eq!(paths.matching("deploy/ID_RSA"), [] as [usize; 0]);
            assert_eq!(paths.matching("x/id_rsa"), ssh);
        }
        assert!(
            paths.dfa.get().is_some(),
            "past {ALONE} paths the DFA is built"
        );
        assert_eq!(paths.matching("x/id_rsa"), ssh);
    }

    #[test]
    fn the_suffix_test_turns_away_only_paths_no_pattern_matches() {
        let (indexes, patterns, cases) = builtin();
        let filtered = Paths::new(indexes.clone(), patterns.clone());
        let ends = filtered
            .ends
            .as_ref()
            .expect("every built-in path pattern has its ends");
        assert!(ends.iter().map(Vec::len).sum::<usize>() > 26, "{ends:?}");
        let first = Paths::new(indexes.clone(), patterns.clone());
        let unfiltered = Paths {
            ends: None,
            ..Paths::new(indexes, patterns)
        };
        // paths made of the rules' examples, their parts and their case changed, joined
        let mut parts: Vec<String> = cases
            .iter()
            .flat_map(|(path, _, _)| path.split('/'))
            .map(String::from)
            .collect();
        parts.extend(["x", "a.b", "key", "Id_RSA", ".ENV", "1", "auth.JSON", ""].map(String::from));
        let mut next = crate::rules::seeded(3);
        let (mut turned_away, mut matched) = (0, 0);
        for _ in 0..20_000 {
            let path: Vec<&str> = (0..1 + next(4))
                .map(|_| parts[next(parts.len())].as_str())
                .collect();
            let mut path = path.join("/");
            if next(3) == 0 {
                path = path.to_ascii_uppercase();
            }
            let expected = unfiltered.matching(&path);
            assert_eq!(together(&filtered, &path), expected, "{path:?}");
            assert_eq!(alone(&first, &path), expected, "{path:?} alone");
            let mut ending = filtered.ending(&path).expect("built-in patterns");
            turned_away += usize::from(ending.next().is_none());
            matched += usize::from(!expected.is_empty());
        }
        assert!(
            turned_away > 5_000 && matched > 2_000,
            "{turned_away} {matched}"
        );
        // a pattern without known ends (a user's) turns the test off for the set
        let mut with_user =
            Paths::new(vec![0, 1], vec![r"(?:^|/)\.npmrc$".into(), "secret".into()]);
        assert!(with_user.ends.is_none());
        assert_eq!(with_user.matching("a/secret/b"), [1]);
        with_user = Paths::new(vec![0], vec![r"(?:^|/)\.npmrc$".into()]);
        assert!(with_user.ending("a/secret/b").is_some());
        assert_eq!(with_user.candidates("a/secret/b"), [] as [usize; 0]);
        assert_eq!(with_user.candidates("X/.NPMRC"), [0]);
    }

    #[test]
    fn a_pattern_the_lazy_dfa_cannot_run_is_refused() {
        assert!(check(r"(?:^|/)\.env$").is_ok());
        assert!(check(r"(?u:\b)secret\.json$").is_err());
        assert!(check(r"(unclosed").is_err());
    }

    #[test]
    fn an_empty_set_matches_nothing_and_builds_nothing() {
        let paths = Paths::new(Vec::new(), Vec::new());
        assert!(paths.matching(".env").is_empty());
        assert!(paths.dfa.get().is_none());
    }
}
