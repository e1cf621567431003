//! Dockerfiles: a BuildKit-faithful parser and the pre-build checks that run on its output.
//!
//! [`parse`] follows moby/buildkit `frontend/dockerfile/parser`: directives, escape character,
//! continuations, comments inside continuations, heredocs, JSON forms, flags, `ONBUILD`. It
//! never fails and never panics; a bad instruction becomes a [`ParseError`] and parsing goes on.
//! [`checks`] turns the parsed file (and, optionally, its build context) into findings.

pub mod carried;
pub mod checks;
pub mod context;
mod directives;
pub mod dockerignore;
pub mod instruction;
mod lexer;
mod parser;
pub mod stages;
pub mod text;

pub use directives::Directives;
pub use instruction::{Args, Command, Heredoc, Instruction, KeyValue, Kind, Word};
pub use parser::parse;
pub use stages::{Stage, Stages};

use text::{LineIndex, Position};

/// A parsed Dockerfile.
#[derive(Debug, Clone)]
pub struct Dockerfile {
    /// The file text (invalid UTF-8 replaced).
    pub text: String,
    /// Line table of `text`.
    pub lines: LineIndex,
    /// Parser directives from the top of the file.
    pub directives: Directives,
    /// The instructions in order.
    pub instructions: Vec<Instruction>,
    /// Problems found while parsing; each instruction after a problem is still parsed.
    pub errors: Vec<ParseError>,
}

impl Dockerfile {
    /// Reads a Dockerfile from bytes (invalid UTF-8 is replaced, never rejected).
    pub fn from_bytes(bytes: &[u8]) -> Dockerfile {
        parse(String::from_utf8_lossy(bytes).into_owned())
    }

    /// The line and column of a file offset.
    pub fn position(&self, offset: usize) -> Position {
        self.lines.position(&self.text, offset)
    }
}

/// A problem in one place of a Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line.
    pub line: u32,
    /// What is wrong.
    pub message: String,
}

/// For tests: every string made of at most `most` of `parts` in a row, the empty one included
/// (inputs for checking a hand-written reader against the regex it replaces).
#[cfg(test)]
pub(crate) fn strings_of(parts: &[&str], most: usize) -> Vec<String> {
    let mut all = vec![String::new()];
    let mut last = vec![String::new()];
    for _ in 0..most {
        last = last
            .iter()
            .flat_map(|s| parts.iter().map(move |p| format!("{s}{p}")))
            .collect();
        all.extend(last.iter().cloned());
    }
    all
}
