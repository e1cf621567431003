//! Parser directives (`# syntax=`, `# escape=`, `# check=`), read from the top of the file only,
//! as BuildKit does: the first line that is not a known directive ends the header, and an
//! unknown key, a blank line or an instruction ends it too.

use std::sync::LazyLock;

use regex::Regex;

static DIRECTIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$").expect("directive regex")
});

/// The parser directives of a Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directives {
    /// `# syntax=` frontend image, if any.
    pub syntax: Option<String>,
    /// The escape character (`\` unless `# escape=` says `` ` ``).
    pub escape: char,
    /// `# check=` value, if any (e.g. `skip=SecretsUsedInArgOrEnv;error=true`).
    pub check: Option<String>,
    escape_was_set: bool,
    done: bool,
}

impl Default for Directives {
    fn default() -> Self {
        Directives {
            syntax: None,
            escape: '\\',
            check: None,
            escape_was_set: false,
            done: false,
        }
    }
}

impl Directives {
    /// Feeds one physical line (newline removed, BOM removed). Returns an error message for a
    /// repeated or invalid directive; the header then ends as BuildKit's does.
    pub fn feed(&mut self, line: &str) -> Result<(), String> {
        if self.done {
            return Ok(());
        }
        let Some(caps) = DIRECTIVE.captures(line) else {
            self.done = true;
            return Ok(());
        };
        let key = caps[1].to_ascii_lowercase();
        let value = caps[2].to_owned();
        let slot = match key.as_str() {
            "syntax" => &mut self.syntax,
            "check" => &mut self.check,
            "escape" => {
                return match value.as_str() {
                    "\\" | "`" if self.escape_seen() => self.stop("only one escape directive"),
                    "\\" => self.set_escape('\\'),
                    "`" => self.set_escape('`'),
                    _ => self.stop(&format!("invalid escape token {value:?}: must be ` or \\")),
                };
            }
            _ => {
                self.done = true;
                return Ok(());
            }
        };
        if slot.is_some() {
            return self.stop(&format!("only one {key} parser directive can be used"));
        }
        *slot = Some(value);
        Ok(())
    }

    fn escape_seen(&self) -> bool {
        self.escape_was_set
    }

    fn set_escape(&mut self, escape: char) -> Result<(), String> {
        self.escape = escape;
        self.escape_was_set = true;
        Ok(())
    }

    fn stop(&mut self, message: &str) -> Result<(), String> {
        self.done = true;
        Err(message.to_owned())
    }

    /// The rule names `# check=skip=…` turns off (`all` for every check).
    pub fn skipped_checks(&self) -> Vec<String> {
        let Some(check) = &self.check else {
            return Vec::new();
        };
        check
            .split(';')
            .filter_map(|part| part.trim().strip_prefix("skip="))
            .flat_map(|list| list.split(','))
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_all(lines: &[&str]) -> (Directives, Vec<String>) {
        let mut d = Directives::default();
        let errors = lines.iter().filter_map(|l| d.feed(l).err()).collect();
        (d, errors)
    }

    #[test]
    fn reads_the_header_only() {
        let (d, errors) = feed_all(&[
            "# syntax=docker/dockerfile:1",
            "# escape=`",
            "FROM x",
            "# check=skip=all",
        ]);
        assert!(errors.is_empty());
        assert_eq!(d.syntax.as_deref(), Some("docker/dockerfile:1"));
        assert_eq!(d.escape, '`');
        assert_eq!(d.check, None);
    }

    #[test]
    fn blank_line_and_unknown_keys_end_the_header() {
        let (d, _) = feed_all(&["", "# escape=`"]);
        assert_eq!(d.escape, '\\');
        let (d, _) = feed_all(&["# foo=bar", "# escape=`"]);
        assert_eq!(d.escape, '\\');
    }

    #[test]
    fn check_skip_list() {
        let (d, _) =
            feed_all(&["# check=skip=SecretsUsedInArgOrEnv,JSONArgsRecommended;error=true"]);
        assert_eq!(
            d.skipped_checks(),
            ["SecretsUsedInArgOrEnv", "JSONArgsRecommended"]
        );
    }

    #[test]
    fn repeated_and_invalid_directives_are_errors() {
        let (_, errors) = feed_all(&["# escape=`", "# escape=\\"]);
        assert_eq!(errors.len(), 1);
        let (_, errors) = feed_all(&["# escape=x"]);
        assert!(errors[0].contains("invalid escape"));
    }
}
