//! `.stowaway.toml`, the project configuration: a fail-on threshold, rules enabled and disabled,
//! extra rule files, path allow-list globs, and ignored fingerprints with a reason and an
//! optional expiry date. It is found from the working directory upwards (or named with
//! `--config`), validated strictly (unknown keys, bad dates, bad fingerprints and bad globs are
//! errors that name the file), and applied to a finished [`Report`]: every finding it silences
//! moves to [`Report::suppressed`] with the reason, so nothing disappears without a trace.

use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Deserialize;

use crate::dockerfile::dockerignore::glob_regex;
use crate::error::Error;
use crate::finding::{Finding, LocationKind, Severity};
use crate::report::Report;
use crate::rules::{Rule, RuleSet};

/// The file name searched for.
pub const FILE_NAME: &str = ".stowaway.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Spec {
    fail_on: Option<String>,
    #[serde(default)]
    rules: RulesSpec,
    #[serde(default)]
    allow: AllowSpec,
    #[serde(default)]
    ignore: Vec<IgnoreSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesSpec {
    #[serde(default)]
    enable: Vec<String>,
    #[serde(default)]
    disable: Vec<String>,
    #[serde(default)]
    extra: Vec<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowSpec {
    #[serde(default)]
    paths: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IgnoreSpec {
    fingerprint: String,
    reason: String,
    expires: Option<String>,
}

/// One ignored fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignore {
    /// The fingerprint (32 hex digits).
    pub fingerprint: String,
    /// Why it is ignored (shown with the suppressed finding).
    pub reason: String,
    /// The last day the entry holds (`YYYY-MM-DD`, compared as days since 1970).
    pub expires: Option<(String, i64)>,
}

/// A loaded, validated configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file it came from.
    pub path: PathBuf,
    /// The fail-on threshold, unless the command line gives one.
    pub fail_on: Option<Severity>,
    /// Rule ids (or `prefix*`) to run; empty means every rule.
    pub enable: Vec<String>,
    /// Rule ids (or `prefix*`) not to run.
    pub disable: Vec<String>,
    /// Extra rule files, resolved against the config file's directory.
    pub extra_rules: Vec<PathBuf>,
    /// Allow-list globs with their compiled form.
    pub allow: Vec<(String, Regex)>,
    /// Ignored fingerprints.
    pub ignore: Vec<Ignore>,
}

impl Config {
    /// The nearest `.stowaway.toml` in `start` or a parent directory.
    pub fn find(start: &Path) -> Option<PathBuf> {
        start
            .ancestors()
            .map(|dir| dir.join(FILE_NAME))
            .find(|candidate| candidate.is_file())
    }

    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> Result<Config, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Parses configuration text; `path` names it in errors and anchors relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Config, Error> {
        let error = |message: String| Error::Config {
            path: path.to_owned(),
            message,
        };
        let spec: Spec = toml::from_str(text).map_err(|e| error(e.to_string()))?;
        let fail_on = match &spec.fail_on {
            Some(text) => Some(
                Severity::parse(text)
                    .ok_or_else(|| error(format!("fail-on: unknown severity {text:?}")))?,
            ),
            None => None,
        };
        let base = path.parent().unwrap_or(Path::new(""));
        let mut allow = Vec::new();
        for glob in spec.allow.paths {
            let pattern = glob_regex(clean(&glob), true);
            let regex = Regex::new(&format!("{pattern}$"))
                .map_err(|e| error(format!("allow.paths: bad glob {glob:?}: {e}")))?;
            allow.push((glob, regex));
        }
        let mut ignore = Vec::new();
        for entry in spec.ignore {
            let fingerprint = entry.fingerprint.to_ascii_lowercase();
            if fingerprint.len() != 32 || !fingerprint.bytes().all(|b| b.is_ascii_hexdigit()) {
                let message = format!("ignore: {fingerprint:?} is not a 32-digit fingerprint");
                return Err(error(message));
            }
            let expires = match entry.expires {
                Some(date) => {
                    let day = parse_date(&date).ok_or_else(|| {
                        error(format!("ignore: expires {date:?} is not a YYYY-MM-DD date"))
                    })?;
                    Some((date, day))
                }
                None => None,
            };
            ignore.push(Ignore {
                fingerprint,
                reason: entry.reason,
                expires,
            });
        }
        Ok(Config {
            path: path.to_owned(),
            fail_on,
            enable: spec.rules.enable,
            disable: spec.rules.disable,
            extra_rules: spec.rules.extra.iter().map(|p| base.join(p)).collect(),
            allow,
            ignore,
        })
    }

    /// Keeps the rules the configuration enables; a pattern that names no rule is an error
    /// (a typo would otherwise silently run or skip everything).
    pub fn select_rules(&self, rules: RuleSet) -> Result<RuleSet, Error> {
        for pattern in self.enable.iter().chain(&self.disable) {
            if !rules.rules().iter().any(|r| matches(pattern, &r.id)) {
                return Err(Error::Config {
                    path: self.path.clone(),
                    message: format!("rules: {pattern:?} names no rule"),
                });
            }
        }
        let keep = |rule: &Rule| {
            let enabled =
                self.enable.is_empty() || self.enable.iter().any(|p| matches(p, &rule.id));
            enabled && !self.disable.iter().any(|p| matches(p, &rule.id))
        };
        Ok(rules.retain(keep))
    }

    /// Moves the findings the configuration silences to `report.suppressed`, with the reason.
    /// `today` is days since 1970-01-01; an expired ignore entry silences nothing, and the
    /// finding's message says it expired.
    pub fn apply(&self, report: &mut Report, today: i64) {
        let name = self.path.display().to_string();
        for finding in &mut report.findings {
            let expired = self.ignore.iter().find(|i| {
                i.fingerprint == finding.fingerprint
                    && i.expires.as_ref().is_some_and(|e| e.1 < today)
            });
            if let Some(Ignore {
                expires: Some((date, _)),
                ..
            }) = expired
            {
                finding
                    .message
                    .push_str(&format!(" (its ignore entry in {name} expired on {date})"));
            }
        }
        report.suppress(|finding| {
            if let Some(entry) = self.ignore.iter().find(|i| {
                i.fingerprint == finding.fingerprint
                    && i.expires.as_ref().is_none_or(|e| e.1 >= today)
            }) {
                let until = entry
                    .expires
                    .as_ref()
                    .map_or(String::new(), |(date, _)| format!(" until {date}"));
                return Some(format!("ignored in {name}{until}: {}", entry.reason));
            }
            let glob = self.allowed(finding)?;
            Some(format!("path allowed in {name}: {glob}"))
        });
    }

    /// The allow-list glob that covers a finding's path, if any.
    fn allowed(&self, finding: &Finding) -> Option<&str> {
        if finding.location.kind == LocationKind::Config {
            return None;
        }
        let path = clean(&finding.location.path);
        self.allow
            .iter()
            .find(|(_, regex)| regex.is_match(path))
            .map(|(glob, _)| glob.as_str())
    }
}

/// A path or glob without a leading `./` or `/` (image paths are absolute, context paths are
/// relative; a glob is written once for both).
fn clean(path: &str) -> &str {
    path.trim_start_matches("./").trim_start_matches('/')
}

/// `id` matches `pattern`: equal, or `pattern` ends in `*` and `id` starts with the rest.
fn matches(pattern: &str, id: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => id.starts_with(prefix),
        None => pattern == id,
    }
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (proleptic Gregorian), if valid.
pub fn parse_date(text: &str) -> Option<i64> {
    let mut parts = text.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (i64, i64, i64) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days_in_month = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month[(m - 1) as usize] {
        return None;
    }
    // Howard Hinnant's days_from_civil
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Today as days since 1970-01-01 (UTC).
pub fn today() -> i64 {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    (seconds / 86_400) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2000-03-01"), Some(11_017));
        assert_eq!(parse_date("2024-02-29"), Some(19_782));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2024-13-01"), None);
        assert_eq!(parse_date("24-01-01"), None);
        assert!(today() > parse_date("2025-01-01").unwrap());
    }

    #[test]
    fn strict_parsing_names_the_problem() {
        let path = Path::new("/repo/.stowaway.toml");
        let bad = [
            ("fail-on = \"severe\"", "unknown severity"),
            ("[rules]\nenabel = []", "unknown field"),
            (
                "[[ignore]]\nfingerprint = \"abc\"\nreason = \"x\"",
                "32-digit",
            ),
            (
                "[[ignore]]\nfingerprint = \"0123456789abcdef0123456789abcdef\"\nreason = \"x\"\nexpires = \"soon\"",
                "YYYY-MM-DD",
            ),
        ];
        for (text, why) in bad {
            let error = Config::parse(text, path).unwrap_err().to_string();
            assert!(
                error.contains(why) && error.contains("/repo/.stowaway.toml"),
                "{error}"
            );
        }
        let config = Config::parse("[rules]\nextra = [\"rules/x.toml\"]", path).unwrap();
        assert_eq!(config.extra_rules, [PathBuf::from("/repo/rules/x.toml")]);
    }

    #[test]
    fn rule_patterns_select_and_must_name_a_rule() {
        let config = Config::parse(
            "[rules]\ndisable = [\"generic.*\", \"github.pat\"]",
            Path::new(".stowaway.toml"),
        )
        .unwrap();
        let rules = config.select_rules(RuleSet::builtin().unwrap()).unwrap();
        assert!(rules.get("github.pat").is_none());
        assert!(rules.rules().iter().all(|r| !r.id.starts_with("generic.")));
        assert!(rules.get("aws.access-key-id").is_some());
        let typo = Config::parse("[rules]\nenable = [\"gihub.pat\"]", Path::new("c.toml")).unwrap();
        assert!(typo.select_rules(RuleSet::builtin().unwrap()).is_err());
    }
}
