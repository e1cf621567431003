//! The one error type of the library.
//!
//! Two kinds of failure exist and this file owns both shapes. A [`Error`] is fatal setup trouble
//! (an unreadable input, an invalid rule file): the run cannot start. A [`ScanError`] is trouble
//! with one part of an input (a bad Dockerfile line, an unreadable context directory): it is
//! recorded in the report, the scan goes on, and the exit code says the scan was incomplete.
//! Every variant names what it was working on.

use std::borrow::Cow;
use std::path::PathBuf;

use serde::Serialize;

/// A failure that stops the run before any scanning happens.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input path could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The path as given.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// A rule file is not valid TOML or does not have the expected shape.
    #[error("rule file {file}: {message}")]
    RuleFile {
        /// The rule file (a path, or `builtin:<name>` for embedded rules).
        file: String,
        /// What was wrong.
        message: String,
    },
    /// One rule in a rule file is invalid.
    #[error("rule {rule} in {file}: {message}")]
    Rule {
        /// The rule file.
        file: String,
        /// The rule id.
        rule: String,
        /// What was wrong.
        message: String,
    },
    /// A configuration or baseline file is invalid.
    #[error("{path}: {message}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
    /// The command line asks for something that cannot be done.
    #[error("{0}")]
    Usage(String),
    /// Writing a report failed.
    #[error("cannot write the report: {0}")]
    Write(#[from] std::io::Error),
}

/// A problem with one part of an input; the rest of the input is still scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanError {
    /// The input as given on the command line (a Dockerfile path, `-` for stdin).
    pub source: String,
    /// The file the problem is in, when it differs from `source` (a context file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The 1-based line the problem starts on, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// What went wrong, in one sentence.
    pub message: String,
    /// The package that installed the file the problem is in (an image file that a package
    /// database lists): such problems are set apart like findings there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

impl ScanError {
    /// An error about `source` as a whole.
    pub fn new(source: impl Into<String>, message: impl Into<String>) -> Self {
        ScanError {
            source: source.into(),
            path: None,
            line: None,
            message: message.into(),
            owner: None,
        }
    }

    /// The same error, pinned to a line.
    pub fn at_line(mut self, line: u32) -> Self {
        self.line = Some(line);
        self
    }

    /// The same error, about a file inside the source (a context file).
    pub fn in_path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }
}

impl std::fmt::Display for ScanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.source)?;
        if let Some(path) = &self.path {
            write!(f, " ({path})")?;
        }
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// At most `max` characters of `text`, with an ellipsis when cut: messages quote their input (an
/// entry name, a Dockerfile line), and a hostile input may be megabytes long.
pub fn clip(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        Some((at, _)) => Cow::Owned(format!("{}…", &text[..at])),
        None => Cow::Borrowed(text),
    }
}
