//! What a scan reports: [`Finding`], its [`Location`] and [`Severity`], redaction and fingerprints.
//!
//! A finding is built once, by the check or rule that found it, with the raw secret in it.
//! Redaction happens in one place, [`redact`], applied by the report to every text field that
//! could carry a secret; the renderers never see a raw secret unless `--show-secrets` asked for
//! it. The fingerprint names the secret (rule family, value, variable name), never its place, so
//! the pre-build and post-build findings of one secret share it and it survives moved lines and
//! image rebuilds.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How bad a finding is. Ordered: `Info < Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing, never fails a build on its own (placeholders, documentation values).
    Info,
    /// Probably not a live secret, or a leak that needs another mistake to matter.
    Low,
    /// A likely secret, or a pattern that leaks one at build time.
    Medium,
    /// A secret that looks real.
    High,
    /// A secret in a known, directly usable format.
    Critical,
}

impl Severity {
    /// All severities, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The lowercase name used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// One step lower (a secret in a stage that does not reach the final image).
    pub fn lowered(self) -> Severity {
        match self {
            Severity::Critical => Severity::High,
            Severity::High => Severity::Medium,
            Severity::Medium => Severity::Low,
            Severity::Low | Severity::Info => Severity::Info,
        }
    }

    /// Parses a severity name (case-insensitive).
    pub fn parse(text: &str) -> Option<Severity> {
        Severity::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(text))
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str()) // honours width and alignment in tables
    }
}

/// How sure stowaway is that a finding is a live secret.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// A placeholder, or a checksum or structure that fails.
    Low,
    /// The pattern matched; nothing more could be checked.
    #[default]
    Medium,
    /// A checksum or structure confirms the format.
    High,
}

/// Where a finding's evidence lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LocationKind {
    /// Text of a Dockerfile instruction (or one of its heredocs).
    Dockerfile,
    /// A file in the build context that a COPY/ADD sends into the image.
    Context,
    /// A file in an image layer.
    Layer,
    /// A field of an image config (`Env`, `Labels`, `history`, …).
    Config,
}

/// Whether a secret found in a layer is still in the image's final filesystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// No later layer touches the file.
    Present,
    /// A later layer deleted it (whiteout or opaque directory); the layer still holds it, so
    /// anyone with the image can read it.
    Deleted,
    /// A later layer wrote another file at the same path; the old one is still in its layer.
    Overwritten,
}

/// Where in an image a finding is (layer and config findings only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageLocation {
    /// The image: its tag or reference name, else its manifest digest.
    pub image: String,
    /// `os/arch[/variant]` when the image comes from a multi-platform index.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// 0-based layer index, manifest order (layer findings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer_index: Option<usize>,
    /// The layer blob's digest, when the manifest gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer_digest: Option<String>,
    /// The layer's uncompressed digest (config `rootfs.diff_ids`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff_id: Option<String>,
    /// Whether the file is still in the final filesystem (layer findings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// The layer that deleted or overwrote the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_by_layer: Option<usize>,
    /// The config field, e.g. `Env[2]`, `history[5].created_by` (config findings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The OS or language package that installed the file (`deb:libgnutls30`, `npm:left-pad`),
    /// per the package databases in the image: the vendor's file, not the image owner's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

/// Where a finding is. Lines and columns are 1-based; columns count Unicode scalar values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    /// What kind of place this is.
    pub kind: LocationKind,
    /// The file holding the evidence: the Dockerfile, or the context file.
    pub path: String,
    /// Line of the secret in `path` (absent for a context file matched by name only).
    pub line: Option<u32>,
    /// Column of the secret's first character on `line`.
    pub column: Option<u32>,
    /// The Dockerfile instruction involved, as written (continuations joined), redacted; for a
    /// layer finding, the instruction that created the layer (from the image history).
    pub instruction: Option<String>,
    /// The line that instruction starts on in the Dockerfile.
    pub instruction_line: Option<u32>,
    /// The build stage: its `AS` name, or its 0-based index when unnamed; absent before the
    /// first `FROM` (global `ARG`s).
    pub stage: Option<String>,
    /// Whether the stage is part of the final image (the last stage and the stages it builds
    /// `FROM`); `false` means a discarded builder stage.
    pub in_final_image: Option<bool>,
    /// For an image finding attributed with `--dockerfile`: that Dockerfile (`instruction_line`
    /// and `stage` then say which instruction made the layer or config field).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dockerfile: Option<String>,
    /// Image, layer and status, for `layer` and `config` findings.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageLocation>,
}

impl Location {
    /// A place in an image (a layer file or the config): no Dockerfile line, stage or
    /// instruction until attribution or the caller sets them.
    pub fn in_image(kind: LocationKind, path: String, image: ImageLocation) -> Location {
        Location {
            kind,
            path,
            line: None,
            column: None,
            instruction: None,
            instruction_line: None,
            stage: None,
            in_final_image: None,
            dockerfile: None,
            image: Some(image),
        }
    }
}

/// One reported secret (or secret-leaking pattern).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The id of the rule or check that produced it.
    pub rule_id: String,
    /// The human name of that rule.
    pub rule_name: String,
    /// How bad it is, after every adjustment (placeholder, discarded stage).
    pub severity: Severity,
    /// How sure the match is: from the rule, raised or lowered by offline validation.
    pub confidence: Confidence,
    /// The input as given on the command line.
    pub source: String,
    /// The secret value (redacted unless `--show-secrets`); `None` when the finding is a
    /// secret *file* (a COPY of `id_rsa`) rather than a value.
    pub secret: Option<String>,
    /// Stable identity: rule + secret + a line-independent anchor, hex.
    pub fingerprint: String,
    /// One sentence saying what was found and why it matters here.
    pub message: String,
    /// One line saying what to do about it.
    pub fix: String,
    /// Where it is.
    pub location: Location,
}

impl Finding {
    /// The finding's place in words, never its secret: `source path:line`, `source layer N
    /// /path:line`, `source config Env[2]`.
    pub fn place(&self) -> String {
        let location = &self.location;
        let mut out = self.source.clone();
        if let Some(image) = &location.image {
            match (&image.field, image.layer_index) {
                (Some(field), _) => out.push_str(&format!(" config {field}")),
                (None, Some(layer)) => out.push_str(&format!(" layer {layer} {}", location.path)),
                _ => {}
            }
        } else if location.path != self.source {
            out.push_str(&format!(" {}", location.path));
        }
        let line = match location.image {
            Some(_) => location.line,
            None => location.line.or(location.instruction_line),
        };
        if let Some(line) = line {
            out.push_str(&format!(":{line}"));
        }
        out
    }

    /// The key output is sorted by, so every thread count prints the same bytes.
    pub fn sort_key(&self) -> impl Ord + '_ {
        let image = self.location.image.as_ref();
        (
            &self.source,
            image.map(|i| (&i.image, &i.platform, i.layer_index)),
            self.location.instruction_line,
            self.location.kind,
            (
                &self.location.path,
                self.location.line,
                self.location.column,
            ),
            image.and_then(|i| i.field.as_ref()),
            &self.rule_id,
            &self.secret,
        )
    }
}

/// The fingerprint of a finding: hex SHA-256 over the rule's family, the secret and `key`, cut
/// to 32 digits.
///
/// A fingerprint names a *secret*, not a place: the same value under the same rule (and, for
/// `ENV`/`ARG`/`LABEL`-style findings, the same variable name in `key`) fingerprints the same in
/// a Dockerfile, its build context, a layer file and the image config. So a baseline or an
/// ignore entry written for the pre-build finding also covers the post-build one, and moving an
/// instruction or rebuilding the image keeps it. Findings without a value (a secret file by
/// name) use [`file_key`]. The checks that report the same variable on both sides of a build
/// share a family ([`family`]).
pub fn fingerprint(rule_id: &str, secret: &str, key: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [family(rule_id), secret, key] {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// The fingerprint family of a rule: the Dockerfile check and the image-config check that see
/// the same variable before and after the build are one family; any other rule is its own.
pub fn family(rule_id: &str) -> &str {
    match rule_id {
        "dockerfile.secret-env" | "image.secret-env" | "dockerfile.secret-arg-to-env" => "env",
        "dockerfile.secret-arg" | "dockerfile.secret-build-arg" | "image.secret-build-arg" => "arg",
        "dockerfile.secret-label" | "image.secret-label" => "label",
        other => other,
    }
}

/// The fingerprint key of a secret *file*: its file name (`id_rsa`), the part a `COPY` keeps
/// from the build context to the image whatever the directories.
pub fn file_key(path: &str) -> String {
    let name = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path);
    format!("file:{name}")
}

/// `message (note)` when offline validation learned something about the secret.
pub fn with_note(message: String, note: Option<&str>) -> String {
    match note {
        Some(note) => format!("{message} ({note})"),
        None => message,
    }
}

/// The redacted form of a secret: a short prefix and suffix around `…`.
///
/// At most a quarter of the secret is shown (an eighth at each end, four characters at most),
/// so short passwords show nothing but their length class.
pub fn redact(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let keep = (chars.len() / 8).min(4);
    if keep == 0 {
        return "…".to_owned();
    }
    let head: String = chars[..keep].iter().collect();
    let tail: String = chars[chars.len() - keep..].iter().collect();
    format!("{head}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_at_most_an_eighth_each_side() {
        assert_eq!(
            redact("ghp_0123456789abcdefghijklmnopqrstuvwxyz"),
            "ghp_…wxyz"
        );
        assert_eq!(redact("hunter2"), "…");
        assert_eq!(redact("0123456789abcdef"), "01…ef");
        assert_eq!(redact(""), "…");
    }

    #[test]
    fn fingerprint_depends_on_every_part() {
        let a = fingerprint("r", "s", "x");
        assert_eq!(a.len(), 32);
        assert_ne!(a, fingerprint("r", "s", "y"));
        assert_ne!(a, fingerprint("r", "t", "x"));
        assert_ne!(a, fingerprint("q", "s", "x"));
        // length-prefixing keeps part boundaries apart
        assert_ne!(fingerprint("ab", "c", ""), fingerprint("a", "bc", ""));
        // a Dockerfile check and its image-config twin share a fingerprint
        assert_eq!(
            fingerprint("dockerfile.secret-arg", "s", "TOKEN"),
            fingerprint("image.secret-build-arg", "s", "TOKEN")
        );
        assert_eq!(file_key("ctx/keys/id_rsa"), file_key("/root/.ssh/id_rsa"));
    }

    #[test]
    fn severity_lowering_and_parsing() {
        assert_eq!(Severity::Critical.lowered(), Severity::High);
        assert_eq!(Severity::Info.lowered(), Severity::Info);
        assert_eq!(Severity::parse("HIGH"), Some(Severity::High));
        assert_eq!(Severity::parse("severe"), None);
    }
}
