//! stowaway finds secrets hidden in Dockerfiles (and, next, container images), offline.
//!
//! # Pipeline
//!
//! Source → Dockerfile → Instruction → Chunk → Match → Finding → Report.
//!
//! * [`mod@scan`] expands inputs into sources, reads and parses them, lists build contexts, runs the
//!   checks, and assembles one sorted [`Report`]. It is the only module that uses threads.
//! * [`dockerfile`] parses like BuildKit ([`dockerfile::parse`]) and runs the pre-build checks
//!   ([`dockerfile::checks`]): secret-looking `ENV`/`ARG`/`LABEL` names weighed by their values,
//!   content rules over every instruction and heredoc, credentials in `RUN`, and secret files
//!   sent by `COPY`/`ADD` (with the build context and `.dockerignore`).
//! * [`rules`] loads `rules/*.toml` once into a validated, immutable [`RuleSet`]: content rules
//!   (byte regexes behind a keyword prefilter), path rules, and the wording of code checks.
//! * [`finding`] defines what is reported, how it is fingerprinted and redacted.
//! * [`report`] sorts, redacts and renders (text, JSON, SARIF) to any `impl Write`.
//!
//! # Invariants
//!
//! * The library never prints; only `main.rs` writes to stdout/stderr.
//! * `report` never imports `scan`; `rules` never imports `dockerfile`.
//! * Nothing is written to disk and nothing touches the network.
//! * No input makes the parser or a check panic; problems become [`ScanError`]s in the report,
//!   and the rest of the input is still scanned.
//! * A secret is redacted in every output field unless the caller skips [`Report::redact`].
//! * Output is sorted before rendering, so the thread count never changes a byte of it.

#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod dockerfile;
pub mod error;
pub mod finding;
pub mod image;
pub mod layer;
pub mod report;
pub mod rules;
pub mod scan;

pub use error::{Error, Result, ScanError};
pub use finding::{Finding, Location, LocationKind, Severity};
pub use report::{Format, RenderOptions, Report};
pub use rules::RuleSet;
pub use scan::{ContextChoice, Input, Options, scan};
