//! `.dockerignore` with Docker's exact semantics (moby/patternmatcher and its `ignorefile`
//! reader): comments only at column 0, patterns trimmed and cleaned like Go's `filepath.Clean`,
//! a leading `/` dropped, `!` exceptions, `**` for any number of directories, `*` and `?` never
//! crossing `/`, and "the last matching pattern wins", where a pattern matching a parent
//! directory matches everything below it.

use regex::Regex;

/// One compiled pattern.
#[derive(Debug, Clone)]
struct Pattern {
    glob: Glob,
    exclusion: bool,
}

/// A pattern ready to match a cleaned, relative path: the text itself when it holds no
/// wildcard, class or escape (most `.dockerignore` lines and `COPY` sources, which then cost no
/// regex to build: building them was a tenth of checking one small Dockerfile), else the
/// anchored regex [`glob_regex`] makes of it.
#[derive(Debug, Clone)]
pub enum Glob {
    /// Matches exactly this path.
    Literal(String),
    /// Matches what the regex does.
    Regex(Regex),
}

impl Glob {
    /// The pattern compiled (`double_star`: as [`glob_regex`] says); `None` for one that does
    /// not compile (Go rejects it, so it takes nothing).
    pub fn new(pattern: &str, double_star: bool) -> Option<Glob> {
        if pattern.contains(['*', '?', '[', ']', '\\']) {
            Regex::new(&glob_regex(pattern, double_star))
                .ok()
                .map(Glob::Regex)
        } else {
            Some(Glob::Literal(pattern.to_owned()))
        }
    }

    /// True when the pattern matches the whole of `path`.
    pub fn is_match(&self, path: &str) -> bool {
        match self {
            Glob::Literal(literal) => literal == path,
            Glob::Regex(regex) => regex.is_match(path),
        }
    }
}

/// A parsed `.dockerignore`.
#[derive(Debug, Clone, Default)]
pub struct Dockerignore {
    patterns: Vec<Pattern>,
}

impl Dockerignore {
    /// Parses the text of a `.dockerignore` file (moby `ignorefile.ReadAll`).
    pub fn parse(text: &str) -> Dockerignore {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut patterns = Vec::new();
        for line in text.lines() {
            if line.starts_with('#') {
                continue;
            }
            let mut pattern = line.trim();
            let exclusion = pattern.starts_with('!');
            if exclusion {
                pattern = pattern[1..].trim();
            }
            if pattern.is_empty() {
                continue;
            }
            let mut cleaned = clean(pattern);
            if cleaned.len() > 1 && cleaned.starts_with('/') {
                cleaned.remove(0);
            }
            if let Some(glob) = Glob::new(&cleaned, true) {
                patterns.push(Pattern { glob, exclusion });
            }
        }
        Dockerignore { patterns }
    }

    /// True when the file at `path` (relative to the context, `/`-separated) is not sent to the
    /// builder (moby `MatchesOrParentMatches`).
    pub fn is_excluded(&self, path: &str) -> bool {
        let parents: Vec<&str> = match path.rfind('/') {
            Some(i) => path[..i].split('/').collect(),
            None => Vec::new(),
        };
        let mut matched = false;
        for pattern in &self.patterns {
            if pattern.exclusion != matched {
                continue;
            }
            let mut hit = pattern.glob.is_match(path);
            if !hit {
                hit = (1..=parents.len()).any(|n| pattern.glob.is_match(&parents[..n].join("/")));
            }
            if hit {
                matched = !pattern.exclusion;
            }
        }
        matched
    }

    /// True when some `!` exception exists (then an excluded directory may still hold sent files).
    pub fn has_exceptions(&self) -> bool {
        self.patterns.iter().any(|p| p.exclusion)
    }
}

/// Go's `filepath.Clean` on a `/`-separated path.
pub fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

/// True when a source pattern (a [`Glob`] without `double_star`) takes `file` (relative,
/// cleaned): the file itself, or a directory above it (copied with everything under it).
pub fn selects(glob: &Glob, file: &str) -> bool {
    glob.is_match(file)
        || file
            .match_indices('/')
            .any(|(i, _)| glob.is_match(&file[..i]))
}

/// Translates a pattern to an anchored regex the way patternmatcher does: `*` → `[^/]*`,
/// `?` → `[^/]`, and with `double_star`, `**/` → `(.*/)?` and a trailing `**` → `.*`.
/// Without `double_star` (Go `filepath.Match`, used for COPY sources) `**` is two `*`s.
pub fn glob_regex(pattern: &str, double_star: bool) -> String {
    let mut out = String::from("^");
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(ch) = chars.next() {
        if in_class && ch != ']' && ch != '\\' {
            out.push(ch); // ranges and negation pass through, as in a Go character class
            continue;
        }
        match ch {
            '*' if double_star && chars.peek() == Some(&'*') => {
                chars.next();
                if chars.peek() == Some(&'/') {
                    chars.next();
                }
                out.push_str(if chars.peek().is_none() {
                    ".*"
                } else {
                    "(.*/)?"
                });
            }
            '*' => out.push_str("[^/]*"),
            '?' => out.push_str("[^/]"),
            '[' | ']' => {
                in_class = ch == '[';
                out.push(ch);
            }
            '\\' => match chars.next() {
                Some(next) => out.push_str(&regex::escape(&next.to_string())),
                None => out.push_str(r"\\"),
            },
            _ => out.push_str(&regex::escape(&ch.to_string())),
        }
    }
    out.push('$');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excluded(ignore: &str, path: &str) -> bool {
        Dockerignore::parse(ignore).is_excluded(path)
    }

    #[test]
    fn a_literal_glob_matches_what_its_regex_would() {
        let paths = [
            "a", "a.b", "a/b", "ab", "a.bc", "xa.b", "a+b", "a(b)", "a$", "a$b", "é/ü",
        ];
        for pattern in ["a", "a.b", "a/b", "a+b", "a(b)", "a$", "é/ü", "a{1}"] {
            let glob = Glob::new(pattern, true).unwrap();
            assert!(matches!(glob, Glob::Literal(_)), "{pattern} needs no regex");
            let regex = Regex::new(&glob_regex(pattern, true)).unwrap();
            for path in paths {
                assert_eq!(
                    glob.is_match(path),
                    regex.is_match(path),
                    "{pattern} on {path}"
                );
            }
        }
        for pattern in ["a*", "a?", "[ab]", "a\\*", "a]"] {
            assert!(
                matches!(Glob::new(pattern, true), Some(Glob::Regex(_))),
                "{pattern}"
            );
        }
        assert!(
            Glob::new("[", false).is_none(),
            "an unclosed class takes nothing"
        );
    }

    #[test]
    fn clean_like_go() {
        assert_eq!(clean("./a//b/../c/"), "a/c");
        assert_eq!(clean("/../a"), "/a");
        assert_eq!(clean("../a"), "../a");
        assert_eq!(clean("."), ".");
        assert_eq!(clean(""), ".");
    }

    #[test]
    fn patternmatcher_semantics() {
        assert!(excluded("*.key", "server.key"));
        assert!(!excluded("*.key", "certs/server.key"));
        assert!(excluded("**/*.key", "certs/server.key"));
        assert!(excluded("**/*.key", "server.key"));
        assert!(excluded("secrets", "secrets/a/b.txt"));
        assert!(excluded("/secrets/", "secrets/x"));
        assert!(excluded("./.env", ".env"));
        assert!(excluded("a/**", "a/b/c"));
        assert!(excluded("a/**/z", "a/z"));
        assert!(excluded("a/**/z", "a/b/c/z"));
        assert!(excluded("?.txt", "a.txt"));
        assert!(!excluded("?.txt", "ab.txt"));
        assert!(excluded("[a-c].txt", "b.txt"));
        assert!(excluded("f\\*", "f*"));
        assert!(!excluded("f\\*", "fx"));
        assert!(!excluded("# comment", "# comment"));
        assert!(excluded(" # not a comment", "# not a comment"));
    }

    #[test]
    fn last_match_wins_and_exceptions() {
        let ignore = "*.env\n!prod.env\n";
        assert!(excluded(ignore, "dev.env"));
        assert!(!excluded(ignore, "prod.env"));
        let ignore = "*\n!src\n";
        assert!(!excluded(ignore, "src/main.rs"));
        assert!(excluded(ignore, "id_rsa"));
        let ignore = "!keep\n*";
        assert!(excluded(ignore, "keep"));
        assert!(Dockerignore::parse("a\n!b").has_exceptions());
    }
}
