//! Rules: loading `rules/*.toml`, validating them once, and matching chunks against them.
//!
//! A [`RuleSet`] holds three kinds of [`Rule`]: *content* rules (a byte regex with a named
//! `secret` group, behind an Aho-Corasick keyword prefilter), *path* rules (a regex over a file
//! path, for secret files such as `id_rsa` or `.npmrc`), and *checks* (logic in code, such as the
//! Dockerfile name heuristic, whose id, text and remediation still live in the rule files so
//! every finding has one source of wording). The set is immutable and `Sync`; scanning code only
//! borrows it. This module knows nothing of Dockerfiles, images or threads.

mod builtin;
mod compile;
pub mod names;
mod pairs;
mod paths;
mod prefilter;
mod spec;
mod trigram;
pub mod validate;
pub mod value;

use crate::error::{Error, Result};
use crate::finding::{Confidence, Severity};
pub use builtin::BUILTIN_FILES;
pub use compile::Compiled;
use compile::{compile, rule_error};
use paths::Paths;
use prefilter::Prefilter;
use spec::RuleFileSpec;
use validate::{Validator, Verdict};
use value::ValueKind;

/// How a rule decides.
#[derive(Debug)]
pub enum Matcher {
    /// A byte regex over content; the `secret` group is the secret.
    Content {
        /// The pattern, compiled (Unicode off) with the index of its `secret` group: at load for
        /// user rules, on first use for built-in ones (a unit test compiles all of those).
        compiled: Box<Compiled>,
        /// Prefilter keywords (lowercase when case-insensitive).
        keywords: Vec<String>,
        /// Whether the pattern ignores case somewhere (`(?i`), so keywords must too.
        case_insensitive: bool,
        /// Minimum entropy of the secret, if any.
        min_entropy: Option<f64>,
        /// Offline validation, if any.
        validator: Option<Validator>,
    },
    /// A regex over a `/`-separated path (a user's checked when loaded; all are searched
    /// together, as one lazy DFA: [`RuleSet::match_path`]).
    Path(String),
    /// Logic in code; the rule only carries the wording.
    Check,
}

/// One validated rule.
#[derive(Debug)]
pub struct Rule {
    /// Stable dotted id.
    pub id: String,
    /// Human name.
    pub name: String,
    /// Severity of a finding with a real-looking value.
    pub severity: Severity,
    /// How specific the rule is.
    pub confidence: Confidence,
    /// What the secret grants and why it matters.
    pub description: String,
    /// How to fix it.
    pub remediation: String,
    /// Documentation links.
    pub references: Vec<String>,
    /// How it matches.
    pub matcher: Matcher,
    /// The partner rule's id, if any.
    pub paired_with: Option<String>,
    /// The file it came from (`builtin:aws.toml` or a path).
    pub origin: String,
    examples: Vec<String>,
    negative_examples: Vec<String>,
}

/// One place where a content rule matched: the secret's byte span in the chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Index of the rule in [`RuleSet::rules`].
    pub rule: usize,
    /// Byte offset of the secret in the chunk.
    pub start: usize,
    /// Byte offset one past the secret.
    pub end: usize,
    /// The secret (lossy UTF-8).
    pub secret: String,
    /// The rule's severity, lowered to `info` for placeholders and for values that fail
    /// validation, one step for weaker ones (an encrypted key).
    pub severity: Severity,
    /// The rule's confidence, adjusted by validation.
    pub confidence: Confidence,
    /// What validation learned (`checksum valid`, `alg HS256`), for the message.
    pub note: Option<String>,
}

/// A validated, compiled set of rules.
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    prefilter: Prefilter,
    paths: Paths,
    /// For each rule, the index of its `paired_with` partner.
    partners: Vec<Option<usize>>,
}

/// How close (bytes) a partner match must be to pair.
const PAIR_DISTANCE: usize = 4096;

impl RuleSet {
    /// The built-in rules.
    pub fn builtin() -> Result<RuleSet> {
        RuleSet::load(true, &[])
    }

    /// Parses and validates rule files given as `(origin, text)` pairs.
    pub fn from_files(files: &[(String, String)]) -> Result<RuleSet> {
        RuleSet::load(false, files)
    }

    /// The built-in rules (read at build time, see `build.rs`) when `builtin`, then those of
    /// the rule files given as `(origin, text)` pairs, parsed and validated.
    pub fn load(builtin: bool, files: &[(String, String)]) -> Result<RuleSet> {
        let mut specs = if builtin {
            builtin::builtin_specs()?
        } else {
            Vec::new()
        };
        for (origin, text) in files {
            let spec: RuleFileSpec = toml::from_str(text).map_err(|e| Error::RuleFile {
                file: origin.clone(),
                message: e.to_string(),
            })?;
            specs.push((origin.clone(), spec.rule));
        }
        let mut rules: Vec<Rule> = Vec::new();
        for (origin, specs) in specs {
            for rule in specs {
                let rule = compile(rule, &origin)?;
                if let Some(first) = rules.iter().find(|r| r.id == rule.id) {
                    return Err(rule_error(
                        &origin,
                        &rule.id,
                        format!("duplicate id (first defined in {})", first.origin),
                    ));
                }
                rules.push(rule);
            }
        }
        for rule in &rules {
            if let Some(id) = &rule.paired_with
                && !rules.iter().any(|r| &r.id == id)
            {
                let message = format!("paired_with names no rule: {id}");
                return Err(rule_error(&rule.origin, &rule.id, message));
            }
        }
        Ok(RuleSet::assemble(rules))
    }

    /// The same set with only the rules `keep` accepts (a `paired_with` partner left out
    /// simply no longer pairs).
    pub fn retain(self, keep: impl Fn(&Rule) -> bool) -> RuleSet {
        RuleSet::assemble(self.rules.into_iter().filter(|r| keep(r)).collect())
    }

    fn assemble(rules: Vec<Rule>) -> RuleSet {
        let prefilter =
            Prefilter::new(rules.iter().enumerate().filter_map(
                |(index, rule)| match &rule.matcher {
                    Matcher::Content {
                        keywords,
                        case_insensitive,
                        ..
                    } => Some((index, keywords.as_slice(), *case_insensitive)),
                    _ => None,
                },
            ));
        let (path_rules, patterns) = rules
            .iter()
            .enumerate()
            .filter_map(|(index, rule)| match &rule.matcher {
                Matcher::Path(pattern) => Some((index, pattern.clone())),
                _ => None,
            })
            .unzip();
        let mut partners = Vec::with_capacity(rules.len());
        for rule in &rules {
            let partner = rule
                .paired_with
                .as_ref()
                .and_then(|id| rules.iter().position(|r| &r.id == id));
            partners.push(partner);
        }
        RuleSet {
            rules,
            prefilter,
            paths: Paths::new(path_rules, patterns),
            partners,
        }
    }

    /// All rules, in load order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// Every content-rule match in `chunk`, overlaps resolved (see [`resolve_overlaps`]).
    pub fn find_matches(&self, chunk: &[u8]) -> Vec<Match> {
        let mut hits = Vec::new();
        self.prefilter.hits(chunk, &mut hits);
        if hits.is_empty() {
            return Vec::new();
        }
        hits.sort_unstable();
        let large = self.prefilter.is_large();
        let mut matches = Vec::new();
        let mut offsets = Vec::new();
        for rule_hits in hits.chunk_by(|a, b| a.0 == b.0) {
            let index = rule_hits[0].0;
            offsets.clear();
            offsets.extend(rule_hits.iter().map(|&(_, at)| at));
            let reach = self.rules[index].reach();
            for (start, end) in prefilter::regions(&mut offsets, chunk.len(), reach) {
                let found = self.rules[index].find_matches(index, &chunk[start..end], large);
                // a secret touching a cut made here (not a chunk edge) may be a partial one
                let inside = |m: &Match| {
                    (start == 0 || m.start > 0) && (end == chunk.len() || m.end < end - start)
                };
                matches.extend(found.into_iter().filter(inside).map(|mut m| {
                    m.start += start;
                    m.end += start;
                    m
                }));
            }
        }
        let mut matches = resolve_overlaps(matches, &self.rules);
        self.pair(&mut matches);
        matches
    }

    /// Raises matches whose partner sits nearby and lowers those left alone.
    fn pair(&self, matches: &mut [Match]) {
        for i in 0..matches.len() {
            let Some(partner) = self.partners[matches[i].rule] else {
                continue;
            };
            let start = matches[i].start;
            let near = matches
                .iter()
                .any(|m| m.rule == partner && m.start.abs_diff(start) <= PAIR_DISTANCE);
            let m = &mut matches[i];
            if m.severity == Severity::Info {
                continue;
            }
            if near {
                m.confidence = Confidence::High;
                m.note = Some(format!("with its {} nearby", self.rules[partner].name));
            } else {
                m.severity = m.severity.lowered();
                m.note = Some(format!("no {} nearby", self.rules[partner].name));
            }
        }
    }

    /// The most severe path rule matching `path` (a `/`-separated path), the first on ties.
    pub fn match_path(&self, path: &str) -> Option<&Rule> {
        let matching = self.paths.matching(path);
        matching
            .iter()
            .map(|&index| &self.rules[index])
            .rev()
            .max_by_key(|rule| rule.severity)
    }

    /// True when `example` produces a finding above `info` from rule `index` alone (a path
    /// rule: through the set's one search, as a scan asks).
    fn proves(&self, index: usize, example: &str) -> bool {
        let rule = &self.rules[index];
        match &rule.matcher {
            Matcher::Content { .. } => rule
                .find_matches(index, example.as_bytes(), false)
                .iter()
                .any(|m| m.severity > Severity::Info),
            Matcher::Path(_) => self.paths.matching(example).contains(&index),
            Matcher::Check => false,
        }
    }

    /// Checks every rule's examples; returns one line per problem (empty when all hold).
    pub fn check_examples(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (index, rule) in self.rules.iter().enumerate() {
            for example in &rule.examples {
                if !self.proves(index, example) {
                    problems.push(format!("{}: example does not match: {example:?}", rule.id));
                }
                if let Matcher::Content {
                    compiled,
                    keywords,
                    case_insensitive,
                    ..
                } = &rule.matcher
                {
                    let text = if *case_insensitive {
                        example.to_ascii_lowercase()
                    } else {
                        example.clone()
                    };
                    let holds_keyword = |from: usize, to: usize| {
                        keywords.iter().any(|k| text[from..to].contains(k.as_str()))
                    };
                    if !holds_keyword(0, text.len()) {
                        problems.push(format!("{}: example has no keyword: {example:?}", rule.id));
                    }
                    // the regex runs only around keywords: a match must hold one
                    let found = compiled
                        .get(false, example.len())
                        .map(|(regex, _)| regex.find_iter(example.as_bytes()));
                    for m in found.into_iter().flatten() {
                        let whole =
                            text.is_char_boundary(m.start()) && text.is_char_boundary(m.end());
                        if !whole || !holds_keyword(m.start(), m.end()) {
                            problems.push(format!(
                                "{}: a match holds no keyword: {:?}",
                                rule.id,
                                String::from_utf8_lossy(&example.as_bytes()[m.range()])
                            ));
                        }
                    }
                }
            }
            for negative in &rule.negative_examples {
                if self.proves(index, negative) {
                    problems.push(format!(
                        "{}: negative example matches: {negative:?}",
                        rule.id
                    ));
                }
            }
        }
        problems
    }
}

impl Rule {
    /// Matches of this content rule in `chunk`, filtered by value class and entropy.
    fn find_matches(&self, index: usize, chunk: &[u8], large: bool) -> Vec<Match> {
        let Matcher::Content {
            compiled,
            min_entropy,
            validator,
            ..
        } = &self.matcher
        else {
            return Vec::new();
        };
        let Some((regex, secret_group)) = compiled.get(large, chunk.len()) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for caps in regex.captures_iter(chunk) {
            let Some(group) = caps.get_group(*secret_group) else {
                continue;
            };
            let secret = String::from_utf8_lossy(&chunk[group.range()]).into_owned();
            let (mut severity, mut confidence) = match value::classify(&secret) {
                // a fixed provider format says what the value is (`access_token$production$…`)
                ValueKind::Reference | ValueKind::Pointer
                    if self.confidence == Confidence::High =>
                {
                    (self.severity, self.confidence)
                }
                ValueKind::Empty | ValueKind::Reference | ValueKind::Pointer => continue,
                ValueKind::Placeholder => (Severity::Info, Confidence::Low),
                ValueKind::Literal => (self.severity, self.confidence),
            };
            let gated = min_entropy.is_some_and(|min| {
                value::entropy(&secret) < min || !value::is_plausible_secret(&secret)
            });
            if gated {
                continue;
            }
            let mut note = None;
            if let Some(validator) = validator.filter(|_| severity > Severity::Info) {
                match validate::validate(validator, &secret) {
                    Verdict::Valid(n) => (confidence, note) = (Confidence::High, n),
                    Verdict::Weaker(n) => (severity, note) = (severity.lowered(), Some(n)),
                    Verdict::Invalid(n) => {
                        (severity, confidence, note) = (Severity::Info, Confidence::Low, Some(n));
                    }
                    Verdict::Unchecked => {}
                }
            }
            out.push(Match {
                rule: index,
                start: group.start,
                end: group.end,
                secret,
                severity,
                confidence,
                note,
            });
        }
        out
    }

    /// The longest match of a content rule's pattern, when bounded. A match holds one of the
    /// keywords, so the regex runs only this far around a keyword hit.
    fn reach(&self) -> Option<usize> {
        match &self.matcher {
            Matcher::Content { compiled, .. } => compiled.reach(),
            _ => None,
        }
    }

    /// True for catch-all rules that yield to a provider-specific rule on the same text.
    pub fn is_generic(&self) -> bool {
        self.id.starts_with("generic.")
    }
}

/// Sorts matches by position and, where two overlap, keeps the stronger one: a specific rule
/// over a generic one (even when validation lowered it: a GitHub token with a bad checksum must
/// not come back as a "generic password"), then higher severity, then the longer secret.
pub fn resolve_overlaps(mut matches: Vec<Match>, rules: &[Rule]) -> Vec<Match> {
    let strength = |m: &Match| (!rules[m.rule].is_generic(), m.severity, m.end - m.start);
    matches.sort_by(|a, b| {
        (a.start, std::cmp::Reverse(strength(a))).cmp(&(b.start, std::cmp::Reverse(strength(b))))
    });
    let mut kept: Vec<Match> = Vec::with_capacity(matches.len());
    for m in matches {
        match kept.last_mut() {
            Some(last) if m.start < last.end => {
                if strength(&m) > strength(last) {
                    *last = m;
                }
            }
            _ => kept.push(m),
        }
    }
    kept
}

/// For tests: a small seeded generator of numbers below `n`, the same on every run.
#[cfg(test)]
pub(crate) fn seeded(seed: u64) -> impl FnMut(usize) -> usize {
    let mut state = seed;
    move |n| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        (state >> 33) as usize % n
    }
}

/// For tests: up to `most` distinct case-insensitive keywords of up to `longest` bytes drawn
/// from all but the last byte of `alphabet` (a small alphabet makes shared prefixes, overlaps
/// and near misses frequent).
#[cfg(test)]
pub(crate) fn random_keywords(
    next: &mut impl FnMut(usize) -> usize,
    alphabet: &[u8],
    most: usize,
    longest: usize,
) -> Vec<(String, bool)> {
    let mut keywords: Vec<(String, bool)> = Vec::new();
    for _ in 0..1 + next(most) {
        let len = 1 + next(longest);
        let word: String = (0..len)
            .map(|_| char::from(alphabet[next(alphabet.len() - 1)]))
            .collect();
        if !keywords.iter().any(|(k, _)| *k == word) {
            keywords.push((word, true));
        }
    }
    keywords
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each of several assignments on adjacent lines or one line is its own match (a pattern
    /// that consumed the character before its key would lose every second one).
    #[test]
    fn adjacent_assignments_are_each_found() {
        let set = RuleSet::builtin().unwrap();
        let text = b"[default]\naccess_key = Tz4kQ9mW2xLp8vR3\nsecret_key = TOlUcR64cXQLioDnkHIfxIq2HZt+PlJhx2jIclHa\n\
            db_password=Qw7rT2xP9zLk api_token=Hv3nB8qLx2Wz\n";
        let secrets: Vec<String> = set
            .find_matches(text)
            .into_iter()
            .map(|m| m.secret)
            .collect();
        assert_eq!(
            secrets,
            [
                "Tz4kQ9mW2xLp8vR3",
                "TOlUcR64cXQLioDnkHIfxIq2HZt+PlJhx2jIclHa",
                "Qw7rT2xP9zLk",
                "Hv3nB8qLx2Wz"
            ]
        );
    }

    #[test]
    fn builtin_rules_compile_and_prove_themselves() {
        let rules = RuleSet::builtin().expect("built-in rules are valid");
        for rule in rules.rules() {
            if let Matcher::Content { compiled, .. } = &rule.matcher {
                let texts: Vec<&String> = rule
                    .examples
                    .iter()
                    .chain(&rule.negative_examples)
                    .collect();
                // each text also with its last character repeated to 256 bytes, the longest
                // haystack the relaxed build searches: long runs reach its lifted bounds
                let padded = texts.iter().filter_map(|text| {
                    let last = text.chars().last()?;
                    let missing = 256usize.checked_sub(text.len())? / last.len_utf8();
                    Some(format!("{text}{}", String::from(last).repeat(missing)))
                });
                let texts: Vec<String> =
                    texts.iter().map(|t| t.to_string()).chain(padded).collect();
                let problem = compiled.builds_agree(texts.iter());
                assert!(
                    problem.is_none(),
                    "{}: {}",
                    rule.id,
                    problem.unwrap_or_default()
                );
            }
        }
        let problems = rules.check_examples();
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    fn one_rule(body: &str) -> Result<RuleSet> {
        RuleSet::from_files(&[("test.toml".into(), format!("[[rule]]\n{body}"))])
    }

    const BASE: &str = r#"id = "t.x"
name = "x"
severity = "high"
description = "d"
remediation = "r"
examples = ["tok_abcdefgh"]
negative_examples = ["tok_"]
"#;

    #[test]
    fn rejects_invalid_rules() {
        let no_group = format!("{BASE}keywords = [\"tok_\"]\npattern = 'tok_[a-z]+'");
        assert!(
            one_rule(&no_group)
                .unwrap_err()
                .to_string()
                .contains("secret")
        );
        let no_keyword = format!("{BASE}pattern = '(?P<secret>tok_[a-z]+)'");
        assert!(
            one_rule(&no_keyword)
                .unwrap_err()
                .to_string()
                .contains("keywords")
        );
        let bad_regex = format!("{BASE}keywords = [\"tok_\"]\npattern = '(?P<secret>tok_['");
        assert!(
            one_rule(&bad_regex)
                .unwrap_err()
                .to_string()
                .contains("invalid pattern")
        );
        let unknown = format!("{BASE}keywords = [\"tok_\"]\npatern = 'x'");
        assert!(one_rule(&unknown).is_err());
        let good = format!("{BASE}keywords = [\"tok_\"]\npattern = '(?P<secret>tok_[a-z]+)'");
        assert!(one_rule(&good).is_ok());
    }

    #[test]
    fn a_match_must_hold_a_keyword() {
        // the regex runs only within the pattern's reach of a keyword hit
        let far = format!(
            "{}keywords = [\"token\"]\npattern = '(?P<secret>tok_[a-z]{{8}})'",
            BASE.replace("[\"tok_abcdefgh\"]", "[\"token = tok_abcdefgh\"]")
        );
        let problems = one_rule(&far).unwrap().check_examples();
        assert!(
            problems
                .iter()
                .any(|p| p.contains("a match holds no keyword")),
            "{problems:?}"
        );
        let rules = RuleSet::builtin().unwrap();
        let pat = "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";
        for pad in [0, 1, 40, 41, 5000] {
            let text = format!("{}{pat}{}", "x ".repeat(pad), " y".repeat(pad));
            let found = rules.find_matches(text.as_bytes());
            assert_eq!(found.len(), 1, "padding {pad}: {found:?}");
            assert_eq!(found[0].secret, pat);
        }
    }

    #[test]
    fn an_aws_key_id_pairs_with_its_secret_key() {
        let rules = RuleSet::builtin().unwrap();
        let key_id = |text: &str| {
            let m = rules.find_matches(text.as_bytes());
            let m = m
                .into_iter()
                .find(|m| rules.rules()[m.rule].id == "aws.access-key-id")
                .unwrap();
            (m.severity, m.confidence)
        };
        let pair = "aws_access_key_id = AKIAOEQH5AV2RICPHKQD\naws_secret_access_key = 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\n";
        assert_eq!(key_id(pair), (Severity::High, Confidence::High));
        assert_eq!(
            key_id("aws_access_key_id = AKIAOEQH5AV2RICPHKQD"),
            (Severity::Medium, Confidence::Medium)
        );
    }

    #[test]
    fn overlaps_keep_the_specific_rule() {
        let rules = RuleSet::builtin().unwrap();
        let text = b"git clone https://oauth2:glpat-Xk9vR2mQ7pL4sT8wZ1nB@gitlab.com/x.git";
        let matches = rules.find_matches(text);
        assert_eq!(matches.len(), 1, "{matches:?}");
        assert_eq!(rules.rules()[matches[0].rule].id, "gitlab.pat");
    }

    #[test]
    fn a_service_account_key_needs_its_private_key() {
        let rules = RuleSet::builtin().unwrap();
        let key = "-----BEGIN PRIVATE KEY-----\\nMIFgeUK98iEG8IR3YvDzy012TccHIFEVmg+J8sbayuNEuzESRf1vhN+a18Wz0Has\\nDo9TpzVsiJE/IPb3LbAi0k0KltrUPBYXwamOeBKeAyc3EGXQlYZPFa2guEbBwOvFNIrc\\n-----END PRIVATE KEY-----\\n";
        let id = "\"private_key_id\": \"0123456789abcdef0123456789abcdef01234567\"";
        let full = format!("{{\"type\": \"service_account\", {id}, \"private_key\": \"{key}\"}}");
        let found = |text: &str| {
            let m = rules.find_matches(text.as_bytes());
            let m = m
                .into_iter()
                .find(|m| rules.rules()[m.rule].id == "gcp.service-account-key")
                .unwrap();
            (m.severity, m.confidence)
        };
        assert_eq!(found(&full), (Severity::Critical, Confidence::High));
        assert_eq!(found(&format!("{{{id}}}")).0, Severity::High);
    }
}
