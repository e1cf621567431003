//! Turning one rule as written ([`RuleSpec`]) into a validated [`Rule`]: the id's shape, exactly
//! one of pattern/path/check, examples present, keywords for content rules, a compilable pattern
//! with a `secret` group, entropy bounds. Built-in patterns are compiled on first use (a unit test
//! compiles all of them); user patterns are compiled and checked here, at load.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use regex_automata::meta::{self, Regex};
use regex_automata::util::syntax;
use regex_syntax::hir::{Capture, Hir, HirKind, Repetition};

use super::builtin::BUILTIN_ORIGIN;
use super::spec::RuleSpec;
use super::{Matcher, Rule};
use crate::error::{Error, Result};

/// A content pattern, compiled on first use, in one of three builds that grow with the scan:
/// while a rule has searched only a few KiB (one Dockerfile in a pre-commit hook, where
/// compiling is most of the run) with the PikeVM alone, no lazy DFA and so no reverse NFA to
/// build; past that (a corpus of Dockerfiles, an image's config) with the lazy DFA; and once the
/// scan is large (an image) with the regex's literal prefilter too, for the dense regions where
/// it skips ahead faster than the lazy DFA. The PikeVM build has a lighter twin for haystacks
/// of at most `SMALL_HAYSTACK` (256) bytes, a Dockerfile instruction: see `relax`.
#[derive(Debug)]
pub struct Compiled {
    pattern: String,
    small: OnceLock<Option<(Regex, usize)>>,
    pike: OnceLock<Option<(Regex, usize)>>,
    quick: OnceLock<Option<(Regex, usize)>>,
    full: OnceLock<Option<(Regex, usize)>>,
    /// The pattern parsed, once for its reach and every build (`None`: it does not parse).
    hir: OnceLock<Option<Hir>>,
    /// Haystack bytes the PikeVM build has been given so far.
    searched: AtomicUsize,
}

/// Haystack bytes a rule searches with the PikeVM before its lazy DFA is built: on the demo
/// Dockerfile the reverse NFA the lazy DFA needs was 40 % of compiling the patterns it uses,
/// while over the 2,727 corpus Dockerfiles the PikeVM alone made the run 1.7× slower.
const PIKE_BYTES: usize = 16 << 10;

/// The longest haystack the relaxed PikeVM build ([`relax`]) may search. Seven in ten of the
/// searches over the shared Dockerfile corpus are this short (a rule's region around its
/// keyword within one instruction); the built-in patterns' bounds of 256 and 512 are relaxed.
/// On the demo Dockerfile that took compiling its eight patterns from 7.3 to 4.5 million
/// instructions (callgrind), the whole run from 25.9 to 22.7 million.
const SMALL_HAYSTACK: usize = 256;

/// Which of the builds a search asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Build {
    /// The PikeVM over the pattern with its large bounds lifted ([`relax`]).
    Small,
    Pike,
    Quick,
    Full,
}

impl Compiled {
    pub(super) fn new(pattern: String) -> Compiled {
        Compiled {
            pattern,
            small: OnceLock::new(),
            pike: OnceLock::new(),
            quick: OnceLock::new(),
            full: OnceLock::new(),
            hir: OnceLock::new(),
            searched: AtomicUsize::new(0),
        }
    }

    /// The longest match the pattern can make, in bytes (`None`: unbounded); worked out on
    /// first use, like the regex, so loading the rules stays cheap.
    pub(super) fn reach(&self) -> Option<usize> {
        self.hir()?.properties().maximum_len()
    }

    /// The pattern parsed as it is compiled (Unicode off, matches need not be UTF-8).
    fn hir(&self) -> Option<&Hir> {
        self.hir.get_or_init(|| parse(&self.pattern).ok()).as_ref()
    }

    /// The regex and its `secret` group for searching `len` bytes of a `large` scan or not
    /// (the smallest build that suits, or a larger one already built); `None` if the pattern
    /// does not compile (built-in patterns always do: a unit test compiles them).
    pub(super) fn get(&self, large: bool, len: usize) -> Option<&(Regex, usize)> {
        let want = if large {
            Build::Full
        } else if self.quick.get().is_some()
            || self.full.get().is_some()
            || self.searched.fetch_add(len, Ordering::Relaxed) + len > PIKE_BYTES
        {
            Build::Quick
        } else if len <= SMALL_HAYSTACK && self.pike.get().is_none() {
            Build::Small
        } else {
            Build::Pike
        };
        self.build(want)
    }

    fn build(&self, want: Build) -> Option<&(Regex, usize)> {
        let compile = |build, hir: &Hir| {
            let regex = meta::Builder::new()
                .configure(config(build, meta::Config::new()))
                .build_from_hir(hir)
                .ok()?;
            let group = secret_group(&regex)?;
            Some((regex, group))
        };
        let build = |build| compile(build, self.hir()?);
        // a pattern without a bound to lift shares the PikeVM build (a clone shares the regex)
        let small = || match relax(self.hir()?, SMALL_HAYSTACK) {
            Some(relaxed) => compile(Build::Small, &relaxed),
            None => self.build(Build::Pike).cloned(),
        };
        match want {
            Build::Full => self.full.get_or_init(|| build(Build::Full)).as_ref(),
            _ if self.full.get().is_some() && self.quick.get().is_none() => {
                self.full.get().and_then(Option::as_ref)
            }
            Build::Quick => self.quick.get_or_init(|| build(Build::Quick)).as_ref(),
            Build::Pike => self.pike.get_or_init(|| build(Build::Pike)).as_ref(),
            Build::Small => self.small.get_or_init(small).as_ref(),
        }
    }

    /// For tests: `None` when every build compiles, has a `secret` group and finds the same
    /// secrets in `texts`, else what differs.
    #[cfg(test)]
    pub(super) fn builds_agree<'a>(
        &self,
        texts: impl Iterator<Item = &'a String>,
    ) -> Option<String> {
        let builds = [Build::Small, Build::Pike, Build::Quick, Build::Full];
        let secrets = |build, text: &str| {
            let (regex, group) = self.build(build)?;
            let spans = regex.captures_iter(text.as_bytes());
            Some(
                spans
                    .filter_map(|c| c.get_group(*group))
                    .map(|s| s.range())
                    .collect::<Vec<_>>(),
            )
        };
        for text in texts {
            // the relaxed build is only ever given short haystacks
            let from = usize::from(text.len() > SMALL_HAYSTACK);
            let found = builds[from..].iter().map(|&b| secrets(b, text));
            let found: Vec<_> = found.collect();
            if found.iter().any(Option::is_none) || found.windows(2).any(|w| w[0] != w[1]) {
                return Some(format!(
                    "builds {:?} find {found:?} in {text:?}",
                    &builds[from..]
                ));
            }
        }
        None
    }
}

/// `pattern` parsed as content and path patterns are compiled: Unicode off, matches need not be
/// UTF-8; the error is the parser's message, which points at the offending part of the pattern.
pub(super) fn parse(pattern: &str) -> std::result::Result<Hir, String> {
    let mut parser = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build();
    parser.parse(pattern).map_err(|e| e.to_string())
}

/// `hir` with the upper bound of every repetition of at least `haystack` lifted, where each
/// repetition consumes a byte or more (`None`: there is none). In a haystack of at most
/// `haystack` bytes such a bound can never be reached, so the relaxed pattern finds exactly what
/// the original does there, captures included, while its NFA no longer holds a copy of the
/// repeated part per allowed repetition (`[^&\s"'#]{16,512}` is 1,000 states, `{16,}` 20).
fn relax(hir: &Hir, haystack: usize) -> Option<Hir> {
    // the relaxed subexpressions, or `None` when none changed
    let subs = |subs: &[Hir]| {
        let relaxed: Vec<Option<Hir>> = subs.iter().map(|sub| relax(sub, haystack)).collect();
        relaxed.iter().any(Option::is_some).then(|| {
            let pairs = relaxed.into_iter().zip(subs);
            pairs
                .map(|(new, old)| new.unwrap_or_else(|| old.clone()))
                .collect()
        })
    };
    match hir.kind() {
        HirKind::Repetition(repetition) => {
            let consumes = repetition.sub.properties().minimum_len() >= Some(1);
            let lifted = consumes && repetition.max.is_some_and(|max| max as usize >= haystack);
            let sub = relax(&repetition.sub, haystack);
            if !lifted && sub.is_none() {
                return None;
            }
            Some(Hir::repetition(Repetition {
                min: repetition.min,
                max: repetition.max.filter(|_| !lifted),
                greedy: repetition.greedy,
                sub: Box::new(sub.unwrap_or_else(|| (*repetition.sub).clone())),
            }))
        }
        HirKind::Capture(capture) => Some(Hir::capture(Capture {
            index: capture.index,
            name: capture.name.clone(),
            sub: Box::new(relax(&capture.sub, haystack)?),
        })),
        HirKind::Concat(all) => subs(all).map(Hir::concat),
        HirKind::Alternation(all) => subs(all).map(Hir::alternation),
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => None,
    }
}

pub(super) fn rule_error(file: &str, rule: &str, message: impl Into<String>) -> Error {
    Error::Rule {
        file: file.to_owned(),
        rule: rule.to_owned(),
        message: message.into(),
    }
}

/// The engines a build has, over a base `config`: a byte regex (Unicode off, matches need
/// not be UTF-8) without the one-pass DFA (captures come from the bounded backtracker or the
/// PikeVM, over the span the lazy DFA already found); the lazy DFA (and the reverse NFA it
/// needs) from the `Quick` build up, the literal prefilter and the backtracker only for a
/// large scan (`Full`): for one Dockerfile, building those was 40 % of compiling the built-in
/// patterns; over a real image with npm and pip packages (many matches in package files) the
/// backtracker's captures save 2 % of the scan against the PikeVM's.
fn config(build: Build, config: meta::Config) -> meta::Config {
    let full = build == Build::Full;
    config
        .utf8_empty(false)
        .nfa_size_limit(Some(16 << 20))
        .onepass(false)
        .hybrid(matches!(build, Build::Quick | Build::Full))
        .backtrack(full)
        .auto_prefilter(full)
}

fn build_many(patterns: &[&str], config: meta::Config) -> std::result::Result<Regex, String> {
    meta::Builder::new()
        .configure(config)
        .syntax(syntax::Config::new().unicode(false).utf8(false))
        .build_many(patterns)
        .map_err(|e| match e.syntax_error() {
            // the parser's own message points at the offending part of the pattern
            Some(syntax) => syntax.to_string(),
            None => e.to_string(),
        })
}

/// The index of the pattern's `secret` group.
fn secret_group(regex: &Regex) -> Option<usize> {
    regex
        .group_info()
        .to_index(regex_automata::PatternID::ZERO, "secret")
}

fn compile_regex(spec: &RuleSpec, origin: &str, pattern: &str) -> Result<Regex> {
    build_many(&[pattern], config(Build::Quick, meta::Config::new()))
        .map_err(|e| rule_error(origin, &spec.id, format!("invalid pattern: {e}")))
}

/// Validates one spec and compiles it.
pub(super) fn compile(spec: RuleSpec, origin: &str) -> Result<Rule> {
    let id_ok = !spec.id.is_empty()
        && spec
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    if !id_ok {
        return Err(rule_error(
            origin,
            &spec.id,
            "id must be lowercase [a-z0-9.-]",
        ));
    }
    let kinds = usize::from(spec.pattern.is_some()) + usize::from(spec.path.is_some());
    if kinds + usize::from(spec.check) != 1 {
        return Err(rule_error(
            origin,
            &spec.id,
            "set exactly one of pattern, path, check",
        ));
    }
    if !spec.check && (spec.examples.is_empty() || spec.negative_examples.is_empty()) {
        return Err(rule_error(
            origin,
            &spec.id,
            "needs examples and negative_examples",
        ));
    }
    if spec.min_entropy.is_some_and(|e| !(0.0..=8.0).contains(&e)) {
        return Err(rule_error(
            origin,
            &spec.id,
            "min_entropy must be within 0..=8",
        ));
    }
    let matcher = if let Some(pattern) = &spec.pattern {
        let case_insensitive = pattern.contains("(?i");
        let compiled = Compiled::new(pattern.clone());
        if !origin.starts_with(BUILTIN_ORIGIN) {
            let regex = compile_regex(&spec, origin, pattern)?;
            let Some(group) = secret_group(&regex) else {
                return Err(rule_error(
                    origin,
                    &spec.id,
                    "pattern has no (?P<secret>…) group",
                ));
            };
            let _ = compiled.quick.set(Some((regex, group)));
        }
        if spec.keywords.is_empty() || spec.keywords.iter().any(String::is_empty) {
            return Err(rule_error(
                origin,
                &spec.id,
                "content rules need non-empty keywords",
            ));
        }
        Matcher::Content {
            compiled: Box::new(compiled),
            keywords: spec
                .keywords
                .iter()
                .map(|k| {
                    if case_insensitive {
                        k.to_ascii_lowercase()
                    } else {
                        k.clone()
                    }
                })
                .collect(),
            case_insensitive,
            min_entropy: spec.min_entropy,
            validator: spec.validator,
        }
    } else if let Some(path) = &spec.path {
        if !origin.starts_with(BUILTIN_ORIGIN) {
            super::paths::check(path)
                .map_err(|e| rule_error(origin, &spec.id, format!("invalid path pattern: {e}")))?;
        }
        Matcher::Path(path.clone())
    } else {
        Matcher::Check
    };
    if spec.validator.is_some() && spec.pattern.is_none() {
        return Err(rule_error(origin, &spec.id, "validator needs a pattern"));
    }
    Ok(Rule {
        id: spec.id,
        name: spec.name,
        severity: spec.severity,
        confidence: spec.confidence,
        paired_with: spec.paired_with,
        description: spec.description,
        remediation: spec.remediation,
        references: spec.references,
        matcher,
        origin: origin.to_owned(),
        examples: spec.examples,
        negative_examples: spec.negative_examples,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_large_bounds_of_repetitions_that_consume_are_lifted() {
        let relaxed = |pattern| relax(&parse(pattern).unwrap(), SMALL_HAYSTACK);
        assert_eq!(relaxed("a{1,300}"), Some(parse("a{1,}").unwrap()));
        assert_eq!(relaxed("(?i)a{3,256}?"), Some(parse("(?i)a{3,}?").unwrap()));
        assert_eq!(
            relaxed("x(?P<secret>[a-z]{2,512})y|(?:ab|c){1,256}d"),
            Some(parse("x(?P<secret>[a-z]{2,})y|(?:ab|c){1,}d").unwrap())
        );
        // below the haystack's length a bound can stop a match; a repetition that may match
        // empty may repeat past it
        assert_eq!(relaxed("[a-z]{2,255}"), None);
        assert_eq!(relaxed("(?:a?){0,300}"), None);
        assert_eq!(relaxed(r"\bsecret\b"), None);
    }

    #[test]
    fn the_relaxed_build_searches_only_haystacks_where_it_is_exact() {
        let compiled = Compiled::new("k=(?P<secret>a{1,300})".into());
        let secret_len = |(regex, group): &(Regex, usize), text: &str| {
            let caps = regex.captures_iter(text.as_bytes()).next().unwrap();
            caps.get_group(*group).unwrap().len()
        };
        let short = format!("k={}", "a".repeat(SMALL_HAYSTACK - 2));
        let long = format!("k={}", "a".repeat(400));
        // short: the relaxed build is chosen, and finds what the exact one finds
        let chosen = compiled.get(false, short.len()).unwrap();
        assert_eq!(secret_len(chosen, &short), SMALL_HAYSTACK - 2);
        assert!(compiled.pike.get().is_none() && compiled.small.get().is_some());
        let exact = compiled.build(Build::Pike).unwrap();
        assert_eq!(secret_len(exact, &short), SMALL_HAYSTACK - 2);
        // long: the bound matters, and the exact build is the one given
        let relaxed = compiled.build(Build::Small).unwrap();
        assert_eq!(secret_len(relaxed, &long), 400);
        assert_eq!(
            secret_len(compiled.get(false, long.len()).unwrap(), &long),
            300
        );
        // with no bound to lift, a short haystack gets the PikeVM build, compiled once
        let plain = Compiled::new("k=(?P<secret>a{1,30})".into());
        assert_eq!(
            secret_len(plain.get(false, short.len()).unwrap(), &short),
            30
        );
        assert!(plain.pike.get().is_some() && plain.small.get().is_some());
    }
}
