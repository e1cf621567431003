//! Word splitting exactly as BuildKit's parser does it (`parseWords`, `extractBuilderFlags`,
//! the whitespace split), plus the quote removal its shell lexer applies afterwards.
//!
//! Functions here take the argument text and the offset at which it starts in the logical line,
//! and return words with logical-line offsets, so callers can map every word back to a file
//! position. Variables are never expanded: `$X` stays in the value, and [`unquote`] reports it.

/// A word as BuildKit's `parseWords` returns it: quotes and escapes still in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawWord {
    /// The word, quotes kept.
    pub raw: String,
    /// Offset of its first byte in the logical line.
    pub start: usize,
}

/// Splits on whitespace outside quotes, keeping quotes and escapes (BuildKit `parseWords`).
pub fn parse_words(rest: &str, base: usize, escape: char) -> Vec<RawWord> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut start = 0;
    let mut quote: Option<char> = None;
    let mut in_word = false;
    let mut blank_ok = false;
    let mut chars = rest.char_indices().peekable();
    while let Some((pos, ch)) = chars.next() {
        if !in_word {
            if ch.is_whitespace() {
                continue;
            }
            in_word = true;
            start = pos;
        }
        match quote {
            None if ch.is_whitespace() => {
                if blank_ok || !word.is_empty() {
                    words.push(RawWord {
                        raw: std::mem::take(&mut word),
                        start: base + start,
                    });
                }
                in_word = false;
                blank_ok = false;
                continue;
            }
            None => {
                if ch == '\'' || ch == '"' {
                    quote = Some(ch);
                    blank_ok = true;
                }
                if ch == escape {
                    let Some((_, next)) = chars.next() else {
                        continue; // an escape at the very end is dropped
                    };
                    word.push(ch);
                    word.push(next);
                    continue;
                }
            }
            Some(q) => {
                if ch == q {
                    quote = None;
                }
                if ch == escape && q != '\'' {
                    let Some((_, next)) = chars.next() else {
                        quote = None;
                        continue;
                    };
                    word.push(ch);
                    word.push(next);
                    continue;
                }
            }
        }
        word.push(ch);
    }
    if in_word && (blank_ok || !word.is_empty()) {
        words.push(RawWord {
            raw: word,
            start: base + start,
        });
    }
    words
}

/// Splits on runs of whitespace, no quoting (BuildKit's `reWhitespace` split).
pub fn split_whitespace(rest: &str, base: usize) -> Vec<RawWord> {
    let mut words = Vec::new();
    let mut start = None;
    for (pos, ch) in rest
        .char_indices()
        .chain(std::iter::once((rest.len(), ' ')))
    {
        match (ch.is_whitespace(), start) {
            (true, Some(s)) => {
                words.push(RawWord {
                    raw: rest[s..pos].to_owned(),
                    start: base + s,
                });
                start = None;
            }
            (false, None) => start = Some(pos),
            _ => {}
        }
    }
    words
}

/// A `--flag` or `--flag=value` before an instruction's arguments, quotes removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFlag {
    /// The flag without its leading `--`, e.g. `mount=type=secret,id=npm`.
    pub text: String,
    /// Offset of the leading `--` in the logical line.
    pub start: usize,
}

/// Takes the leading `--flags` off an instruction's argument text (BuildKit
/// `extractBuilderFlags`); returns them and the offset (in `line`) where the arguments start.
pub fn extract_flags(line: &str, base: usize) -> (Vec<RawFlag>, usize) {
    let bytes = line.as_bytes();
    let mut flags = Vec::new();
    let mut pos = 0;
    loop {
        while pos < bytes.len() && (bytes[pos] as char).is_ascii_whitespace() {
            pos += 1;
        }
        if !(bytes.get(pos) == Some(&b'-') && bytes.get(pos + 1) == Some(&b'-')) {
            return (flags, pos);
        }
        let start = pos;
        let mut word = String::new();
        let mut quote: Option<u8> = None;
        while pos < bytes.len() {
            let b = bytes[pos];
            match quote {
                None if b.is_ascii_whitespace() => break,
                None if b == b'\'' || b == b'"' => quote = Some(b),
                Some(q) if b == q => quote = None,
                _ if b == b'\\' && pos + 1 < bytes.len() => {
                    pos += 1;
                    push_byte_char(&mut word, line, pos);
                }
                _ => push_byte_char(&mut word, line, pos),
            }
            pos += 1;
        }
        if word == "--" {
            return (flags, pos);
        }
        flags.push(RawFlag {
            text: word.trim_start_matches("--").to_owned(),
            start: base + start,
        });
    }
}

/// Pushes the byte at `pos` if it starts a character, or the whole character when multi-byte.
fn push_byte_char(word: &mut String, line: &str, pos: usize) {
    if let Some(ch) = line.get(pos..).and_then(|s| s.chars().next()) {
        word.push(ch);
    }
}

/// A word with quotes and escapes removed, as BuildKit's shell lexer would leave it, except that
/// variables are not expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unquoted {
    /// The value.
    pub value: String,
    /// Whether an unquoted or double-quoted `$` (a variable reference) occurs.
    pub has_reference: bool,
}

/// Removes shell quoting from `raw` without expanding variables.
pub fn unquote(raw: &str, escape: char) -> Unquoted {
    let mut value = String::with_capacity(raw.len());
    let mut has_reference = false;
    let mut chars = raw.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(ch) = chars.next() {
        match quote {
            Some('\'') if ch == '\'' => quote = None,
            Some('\'') => value.push(ch),
            Some(_) if ch == '"' => quote = None,
            Some(_) if ch == escape => match chars.peek() {
                Some(&next) if next == '"' || next == '$' || next == escape => {
                    value.push(next);
                    chars.next();
                }
                Some(_) => value.push(ch),
                None => {}
            },
            None if ch == '\'' || ch == '"' => quote = Some(ch),
            None if ch == escape => {
                if let Some(next) = chars.next() {
                    value.push(next);
                }
            }
            _ => {
                if ch == '$' {
                    has_reference = true;
                }
                value.push(ch);
            }
        }
    }
    Unquoted {
        value,
        has_reference,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raws(words: &[RawWord]) -> Vec<&str> {
        words.iter().map(|w| w.raw.as_str()).collect()
    }

    #[test]
    fn parse_words_keeps_quotes_and_offsets() {
        let words = parse_words(r#"A=1 B="two words" C='x y'"#, 4, '\\');
        assert_eq!(raws(&words), ["A=1", r#"B="two words""#, "C='x y'"]);
        assert_eq!(words[1].start, 8);
        let escaped = parse_words(r"A=a\ b C", 0, '\\');
        assert_eq!(raws(&escaped), [r"A=a\ b", "C"]);
        let backtick = parse_words("A=a` b", 0, '`');
        assert_eq!(raws(&backtick), ["A=a` b"]);
        assert_eq!(raws(&parse_words(r#"A="" B"#, 0, '\\')), [r#"A="""#, "B"]);
    }

    #[test]
    fn flags_come_off_the_front() {
        let line = "--mount=type=secret,id=npm --network=none npm ci";
        let (flags, rest) = extract_flags(line, 4);
        let texts: Vec<_> = flags.iter().map(|f| f.text.as_str()).collect();
        assert_eq!(texts, ["mount=type=secret,id=npm", "network=none"]);
        assert_eq!(flags[1].start, 4 + 27);
        assert_eq!(&line[rest..], "npm ci");
        let (flags, rest) = extract_flags(r#"--chown="a b" src dst"#, 0);
        assert_eq!(flags[0].text, "chown=a b");
        assert_eq!(rest, 14);
        let (flags, rest) = extract_flags("-- --notaflag", 0);
        assert!(flags.is_empty());
        assert_eq!(rest, 2);
    }

    #[test]
    fn unquote_follows_the_shell_lexer() {
        assert_eq!(unquote(r#""v 2""#, '\\').value, "v 2");
        assert_eq!(unquote(r"'a\b'", '\\').value, r"a\b");
        assert_eq!(unquote(r#""a\"b\x""#, '\\').value, r#"a"b\x"#);
        assert_eq!(unquote(r"a\ b", '\\').value, "a b");
        let r = unquote("${TOKEN}", '\\');
        assert!(r.has_reference);
        assert!(!unquote("'$TOKEN'", '\\').has_reference);
    }

    #[test]
    fn whitespace_split() {
        let words = split_whitespace("  a  bb\tc ", 10);
        assert_eq!(raws(&words), ["a", "bb", "c"]);
        assert_eq!(words[1].start, 15);
    }
}
