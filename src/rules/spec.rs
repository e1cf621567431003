//! The serde mirror of a rule file (`rules/*.toml`), exactly as written and not yet validated.
//!
//! Nothing outside `rules` sees these types: [`super::RuleSet::from_files`] turns them into
//! compiled, validated [`super::Rule`]s once, and code further down trusts those.

use serde::Deserialize;

use super::validate::Validator;
use crate::finding::{Confidence, Severity};

/// One rule file: content and path rules, and the metadata of built-in checks.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFileSpec {
    /// Rules in the order written.
    #[serde(default)]
    pub rule: Vec<RuleSpec>,
}

/// One rule as written. Exactly one of `pattern`, `path` or `check = true` must be set.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Stable dotted id, e.g. `github.pat`.
    pub id: String,
    /// Human name.
    pub name: String,
    /// Severity of a finding with a real-looking value.
    pub severity: Severity,
    /// How specific the pattern is (default medium); validation can raise or lower it.
    #[serde(default)]
    pub confidence: Confidence,
    /// An offline check of the secret: `github-crc32`, `jwt`, `private-key`.
    pub validator: Option<Validator>,
    /// A rule whose match completes this one when it sits nearby (an AWS key ID and its secret
    /// key): paired, confidence is high; alone, the finding is one severity lower.
    pub paired_with: Option<String>,
    /// Literal strings, one of which must occur (ASCII case-insensitively) for the pattern to
    /// run; the prefilter.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Content regex with a named `secret` group.
    pub pattern: Option<String>,
    /// Path regex matched against `/`-separated file paths.
    pub path: Option<String>,
    /// A check implemented in code (Dockerfile checks); the file carries its text.
    #[serde(default)]
    pub check: bool,
    /// Minimum Shannon entropy (bits/char) of the secret for a match to count.
    pub min_entropy: Option<f64>,
    /// What the secret grants and why it matters.
    pub description: String,
    /// How to fix it: revoke, rotate, and build without it.
    pub remediation: String,
    /// Where the format or the fix is documented.
    #[serde(default)]
    pub references: Vec<String>,
    /// Texts (or paths) that must produce a finding.
    #[serde(default)]
    pub examples: Vec<String>,
    /// Texts (or paths) that must not produce a finding above `info`.
    #[serde(default)]
    pub negative_examples: Vec<String>,
}
