//! Content rules over an instruction: its logical line (so `ENV CONFIG=ghp_…`, `ADD https://…`,
//! `LABEL`, `CMD` and `HEALTHCHECK` arguments are all covered) and every heredoc body.

use super::Candidate;
use crate::dockerfile::instruction::Instruction;
use crate::finding::with_note;
use crate::rules::RuleSet;

/// Candidates from every content rule.
pub fn check<'r>(instruction: &Instruction, rules: &'r RuleSet) -> Vec<Candidate<'r>> {
    let mut out = Vec::new();
    let text = &instruction.text;
    let keyword = instruction.shown_keyword();
    for m in rules.find_matches(text.text.as_bytes()) {
        let rule = &rules.rules()[m.rule];
        out.push(Candidate {
            rule,
            severity: m.severity,
            message: with_note(format!("{} in {keyword}", rule.name), m.note.as_deref()),
            span: (text.file_offset(m.start), text.file_offset(m.end)),
            anchor: String::new(),
            secret: Some(m.secret),
            context_file: None,
            confidence: Some(m.confidence),
        });
    }
    for heredoc in &instruction.heredocs {
        for m in rules.find_matches(heredoc.body.as_bytes()) {
            let rule = &rules.rules()[m.rule];
            out.push(Candidate {
                rule,
                severity: m.severity,
                message: format!(
                    "{} in the <<{} heredoc of {keyword}",
                    rule.name, heredoc.name
                ),
                span: (heredoc.offset + m.start, heredoc.offset + m.end),
                anchor: String::new(),
                secret: Some(m.secret),
                context_file: None,
                confidence: Some(m.confidence),
            });
        }
    }
    out
}
