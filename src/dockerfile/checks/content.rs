//! Content rules over an instruction: its logical line (so `ENV CONFIG=ghp_…`, `ADD https://…`,
//! `LABEL`, `CMD` and `HEALTHCHECK` arguments are all covered), every heredoc body, and for a
//! command in exec form its arguments joined by spaces, as the process sees them (so
//! `CMD ["mysql", "-p", "…"]` meets the rules written for command lines).

use super::Candidate;
use crate::dockerfile::instruction::{Args, Command, Instruction};
use crate::finding::with_note;
use crate::rules::RuleSet;

/// Candidates from every content rule.
pub fn check<'r>(instruction: &Instruction, rules: &'r RuleSet) -> Vec<Candidate<'r>> {
    let mut out = Vec::new();
    let text = &instruction.text;
    let keyword = instruction.shown_keyword();
    let candidate = |m: crate::rules::Match, span, message| Candidate {
        rule: &rules.rules()[m.rule],
        severity: m.severity,
        message,
        span,
        anchor: String::new(),
        secret: Some(m.secret),
        context_file: None,
        confidence: Some(m.confidence),
        written: None,
    };
    for m in rules.find_matches(text.text.as_bytes()) {
        let rule = &rules.rules()[m.rule];
        let message = with_note(format!("{} in {keyword}", rule.name), m.note.as_deref());
        let span = (text.file_offset(m.start), text.file_offset(m.end));
        out.push(candidate(m, span, message));
    }
    if let Args::Command(Command::Exec(list)) = &instruction.args {
        let joined = list.join(" ");
        let places = literals(&text.text, list);
        for m in rules.find_matches(joined.as_bytes()) {
            let rule = &rules.rules()[m.rule];
            let message = with_note(format!("{} in {keyword}", rule.name), m.note.as_deref());
            let at = |offset| text.file_offset(places.logical(list, offset));
            let span = (at(m.start), at(m.end));
            out.push(candidate(m, span, message));
        }
    }
    for heredoc in &instruction.heredocs {
        for m in rules.find_matches(heredoc.body.as_bytes()) {
            let rule = &rules.rules()[m.rule];
            let message = format!(
                "{} in the <<{} heredoc of {keyword}",
                rule.name, heredoc.name
            );
            let span = (heredoc.offset + m.start, heredoc.offset + m.end);
            out.push(candidate(m, span, message));
        }
    }
    out
}

/// Where each string of an exec-form argument list is in the instruction's logical text.
struct Literals {
    /// `(start, end)` of each string literal's content, between its quotes; empty when the
    /// literals found do not pair one to one with the arguments.
    spans: Vec<(usize, usize)>,
    /// Where the argument list starts, for offsets that cannot be placed better.
    start: usize,
}

/// The string literals of the first JSON array in `text` (the exec-form arguments `list`).
fn literals(text: &str, list: &[String]) -> Literals {
    let start = text.find('[').unwrap_or(0);
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = start;
    while i < bytes.len() && bytes[i] != b']' {
        if bytes[i] == b'"' {
            let open = i + 1;
            i = open;
            while i < bytes.len() && bytes[i] != b'"' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            spans.push((open, i.min(bytes.len())));
        }
        i += 1;
    }
    if spans.len() != list.len() {
        spans.clear();
    }
    Literals { spans, start }
}

impl Literals {
    /// The logical-text offset of byte `offset` of `list.join(" ")`: exact inside a literal
    /// without escapes, else the start of the literal (or of the list).
    fn logical(&self, list: &[String], offset: usize) -> usize {
        let mut from = 0;
        for (arg, &(start, end)) in list.iter().zip(&self.spans) {
            if offset <= from + arg.len() {
                let within = offset.saturating_sub(from);
                return match end - start == arg.len() {
                    true => start + within,
                    false => start,
                };
            }
            from += arg.len() + 1;
        }
        self.spans.last().map_or(self.start, |&(_, end)| end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joined_arguments_map_back_to_their_literals() {
        let text = r#"CMD ["app", "--password", "Qw7rT2xP9zLk", "a\"b"]"#;
        let list: Vec<String> = ["app", "--password", "Qw7rT2xP9zLk", "a\"b"]
            .map(str::to_owned)
            .into();
        let places = literals(text, &list);
        let joined = list.join(" ");
        let secret = joined.find("Qw7").unwrap();
        assert_eq!(places.logical(&list, secret), text.find("Qw7").unwrap());
        let end = secret + "Qw7rT2xP9zLk".len();
        assert_eq!(places.logical(&list, end), text.find("\", \"a").unwrap());
        // an escaped literal maps to its start
        let escaped = joined.find("a\"b").unwrap() + 2;
        assert_eq!(
            places.logical(&list, escaped),
            text.find(r#"a\"b"#).unwrap()
        );
        // literals that do not pair with the arguments place everything at the list
        let odd = literals(r#"CMD ["a" "b"]"#, &list);
        assert_eq!(odd.logical(&list, 5), 4);
    }
}
