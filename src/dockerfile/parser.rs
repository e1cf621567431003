//! The line loop of BuildKit's `parser.Parse`: directives at the top, comments, continuation
//! lines (with comment and blank lines inside them skipped), then heredoc bodies after a `RUN`,
//! `COPY` or `ADD` that names them. A bad instruction is recorded and the loop goes on; an
//! unterminated heredoc takes the rest of the file as its body, so its text is still scanned.

use super::directives::Directives;
use super::instruction::{self, Args, Heredoc, Instruction, Kind};
use super::lexer;
use super::text::{LineIndex, Logical};
use super::{Dockerfile, ParseError};

/// A word that opens a heredoc, as BuildKit's `^(\d*)<<(-?)([^<]*)$` reads it (Go's ASCII
/// `\d`): whether it chomps tabs (`<<-`) and the rest (the name, maybe quoted). Written out by
/// hand: compiling the regex cost more than reading every heredoc of a Dockerfile.
fn heredoc_word(word: &str) -> Option<(bool, &str)> {
    let rest = word
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .strip_prefix("<<")?;
    let (chomp, rest) = match rest.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, rest),
    };
    (!rest.contains('<')).then_some((chomp, rest))
}

/// Physical lines with their file offsets; `\n` and a trailing `\r` removed.
struct Lines<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Iterator for Lines<'a> {
    type Item = (usize, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.text.len() {
            return None;
        }
        let start = self.pos;
        let rest = &self.text[start..];
        let (line, advance) = match rest.find('\n') {
            Some(i) => (&rest[..i], i + 1),
            None => (rest, rest.len()),
        };
        self.pos += advance;
        Some((start, line.trim_end_matches('\r')))
    }
}

/// Parses a whole Dockerfile. Never fails: problems land in [`Dockerfile::errors`].
pub fn parse(text: String) -> Dockerfile {
    let index = LineIndex::new(&text);
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut lines = Lines {
        text: &text,
        pos: bom,
    };
    let mut directives = Directives::default();
    let mut instructions = Vec::new();
    let mut errors = Vec::new();
    let mut comments: Vec<String> = Vec::new();
    let mut error = |offset: usize, message: String| {
        errors.push(ParseError {
            line: index.line(offset),
            message,
        });
    };
    while let Some((offset, raw)) = lines.next() {
        let trimmed = raw.trim_start();
        if let Err(message) = directives.feed(trimmed) {
            error(offset, message);
        }
        if let Some(comment) = trimmed.strip_prefix('#') {
            match comment.trim() {
                "" => comments.clear(),
                c => comments.push(c.to_owned()),
            }
            continue;
        }
        if trimmed.is_empty() {
            comments.clear();
            continue;
        }
        let escape = directives.escape;
        let mut logical = Logical::default();
        let (piece, mut ended) = trim_continuation(trimmed, escape);
        logical.push(piece, offset + (raw.len() - trimmed.len()));
        while !ended {
            let Some((offset, raw)) = lines.next() else {
                break;
            };
            if let Err(message) = directives.feed(raw) {
                error(offset, message);
            }
            let trimmed = raw.trim_start();
            if trimmed.starts_with('#') || trimmed.is_empty() {
                continue;
            }
            let (piece, end) = trim_continuation(raw, escape);
            logical.push(piece, offset);
            ended = end;
        }
        if logical.text.trim().is_empty() {
            continue;
        }
        let (mut instruction, problems) =
            instruction::build(logical, escape, std::mem::take(&mut comments));
        for message in problems {
            error(instruction.offset, message);
        }
        if can_contain_heredoc(&instruction) {
            for (name, expand, chomp) in heredoc_names(&instruction.text.text) {
                let (heredoc, terminated) = read_heredoc(&mut lines, name, expand, chomp);
                if !terminated {
                    let message = format!("unterminated heredoc <<{}", heredoc.name);
                    error(instruction.offset, message);
                }
                instruction.heredocs.push(heredoc);
            }
        }
        instructions.push(instruction);
    }
    Dockerfile {
        lines: index,
        directives,
        instructions,
        errors,
        text,
    }
}

/// Removes a trailing escape character (and spaces or tabs after it); `true` when the line ends.
///
/// BuildKit's regex is `([^E])E[ \t]*$|^E[ \t]*$` for escape character `E`: an escape that is
/// itself escaped (`echo \\`) does not continue the line.
fn trim_continuation(line: &str, escape: char) -> (&str, bool) {
    let trimmed = line.trim_end_matches([' ', '\t']);
    match trimmed.strip_suffix(escape) {
        Some(rest) if !rest.ends_with(escape) => (rest, false),
        _ => (line, true),
    }
}

/// RUN, COPY and ADD in shell form, also as an ONBUILD trigger (BuildKit
/// `canContainHeredoc`).
fn can_contain_heredoc(instruction: &Instruction) -> bool {
    if let Args::Onbuild(inner) = &instruction.args {
        return matches!(inner.kind, Kind::Run | Kind::Copy | Kind::Add)
            && !inner.is_exec_form()
            && inner.text.text.contains("<<");
    }
    matches!(instruction.kind, Kind::Run | Kind::Copy | Kind::Add)
        && !instruction.is_exec_form()
        && instruction.text.text.contains("<<")
}

/// The heredocs a line opens, in order: `(name, expand, chomp)` for each `<<NAME`, `<<-NAME`,
/// `<<'NAME'`, `<<"NAME"` or `2<<NAME` word (BuildKit `heredocsFromLine`).
pub fn heredoc_names(line: &str) -> Vec<(String, bool, bool)> {
    let mut out = Vec::new();
    for word in lexer::parse_words(line, 0, '\\') {
        let Some((chomp, rest)) = heredoc_word(&word.raw) else {
            continue;
        };
        if rest.is_empty() || lexer::parse_words(rest, 0, '\\').len() != 1 {
            continue;
        }
        let name = lexer::unquote(rest, '\\').value;
        if name.is_empty() {
            continue;
        }
        let expand = !rest.contains(['"', '\'']);
        out.push((name, expand, chomp));
    }
    out
}

/// Reads heredoc body lines up to the terminator; `false` when the file ended first (the body
/// is then the rest of the file).
fn read_heredoc(lines: &mut Lines<'_>, name: String, expand: bool, chomp: bool) -> (Heredoc, bool) {
    let start = lines.pos;
    let mut end = lines.text.len();
    let mut terminated = false;
    for (offset, line) in lines.by_ref() {
        let candidate = if chomp {
            line.trim_start_matches('\t')
        } else {
            line
        };
        if candidate == name {
            end = offset;
            terminated = true;
            break;
        }
    }
    let heredoc = Heredoc {
        name,
        expand,
        chomp,
        body: lines.text[start.min(end)..end].to_owned(),
        offset: start,
    };
    (heredoc, terminated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_heredoc_word_reader_agrees_with_buildkits_regex() {
        let go = regex::Regex::new(r"^([0-9]*)<<(-?)([^<]*)$").unwrap();
        let parts = ["<", "<<", "-", "1", "٣", "EOF", "'E'", "\"", " ", "\n"];
        for word in &crate::dockerfile::strings_of(&parts, 5) {
            let want = go
                .captures(word)
                .map(|c| (&c[2] == "-", c.get(3).unwrap().as_str()));
            assert_eq!(heredoc_word(word), want, "{word:?}");
        }
    }

    #[test]
    fn heredoc_words() {
        assert_eq!(heredoc_names("RUN <<EOF"), [("EOF".into(), true, false)]);
        assert_eq!(
            heredoc_names("RUN python3 <<'EOF'"),
            [("EOF".into(), false, false)]
        );
        assert_eq!(
            heredoc_names("RUN <<-A cat - <<\"B\" 3<<C"),
            [
                ("A".into(), true, true),
                ("B".into(), false, false),
                ("C".into(), true, false)
            ]
        );
        assert!(heredoc_names("RUN cat <<<word").is_empty());
        assert!(heredoc_names("RUN echo '<<EOF'").is_empty());
        assert!(heredoc_names("RUN echo <<").is_empty());
    }

    #[test]
    fn continuation_trimming() {
        assert_eq!(trim_continuation("a \\  ", '\\'), ("a ", false));
        assert_eq!(trim_continuation("a `", '`'), ("a ", false));
        assert_eq!(trim_continuation("a \\ b", '\\'), ("a \\ b", true));
        assert_eq!(trim_continuation("a \\\\", '\\'), ("a \\\\", true));
        assert_eq!(trim_continuation("\\", '\\'), ("", false));
    }
}
