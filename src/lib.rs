//! stowaway finds secrets hidden in Dockerfiles and container images, offline.
//!
//! # Pipeline
//!
//! Source → Dockerfile | Image → Instruction | Layer → Entry → Chunk → Match → Finding → Report.
//!
//! * [`mod@scan`] expands inputs into sources (sniffed by content), reads and parses them, lists
//!   build contexts, runs the checks, scans image layers (in parallel, and a layer's files in
//!   parallel while it decompresses), and assembles one sorted [`Report`]. It is the only module
//!   that uses threads.
//! * [`dockerfile`] parses like BuildKit ([`dockerfile::parse`]) and runs the pre-build checks
//!   ([`dockerfile::checks`]): secret-looking `ENV`/`ARG`/`LABEL` names weighed by their values,
//!   content rules over every instruction and heredoc, credentials in `RUN`, and secret files
//!   sent by `COPY`/`ADD` (with the build context and `.dockerignore`).
//! * [`image`] recognises exports (docker save, OCI layout and archive, containers/image `dir:`;
//!   a tar that is none of these is a filesystem, one layer), reads their blobs without
//!   leaving the image ([`image::store`]), finds images and layers ([`image::layout`], oci-spec
//!   types with a lenient fallback), checks configs and history, and knows which files packages
//!   installed ([`image::packages`]).
//! * [`layer`] streams one layer: sniffed decompression with digest check and caps, tar entries,
//!   nested archives and git object stores, whiteouts; it cuts files into overlapping windows
//!   for a [`layer::WindowSink`].
//! * [`rules`] loads `rules/*.toml` once into a validated, immutable [`RuleSet`]: content rules
//!   (byte regexes behind a keyword prefilter, offline validators, pairing), path rules, and the
//!   wording of code checks.
//! * [`attribution`] points image findings at the Dockerfile instruction that made them
//!   (history aligned with the final stages), for `scan --dockerfile`.
//! * [`config`] reads `.stowaway.toml` (threshold, rules, allow-list, ignored fingerprints) and
//!   [`baseline`] the fingerprints of accepted findings; both move what they silence to the
//!   report's suppressed list, with the reason.
//! * [`finding`] defines what is reported, how it is fingerprinted and redacted.
//! * [`report`] sorts, redacts and renders (text, JSON, SARIF) to any `impl Write`.
//!
//! # Invariants
//!
//! * The library never prints; only `main.rs` writes to stdout/stderr.
//! * `report` never imports `scan`; `rules` never imports `dockerfile`, `image` or `layer`;
//!   `layer` never spawns work (it hands windows, and blob blocks to hash, to a sink the scan
//!   module provides).
//! * Nothing is written to disk and nothing touches the network.
//! * No input makes the parser or a check panic; problems become [`ScanError`]s in the report,
//!   and the rest of the input is still scanned.
//! * A secret is redacted in every output field unless the caller skips [`Report::redact`].
//! * Output is sorted before rendering, so the thread count never changes a byte of it.

#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod attribution;
pub mod baseline;
pub mod config;
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
