//! Parser directives (`# syntax=`, `# escape=`, `# check=`), read from the top of the file only,
//! as BuildKit does: the first line that is not a known directive ends the header, and an
//! unknown key, a blank line or an instruction ends it too.

/// A directive line's key and value, as BuildKit's `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`
/// reads them (Go's `\s`: ASCII space, tab, newline, form feed and carriage return), written
/// out by hand: compiling that regex was 2–3 % of checking one small Dockerfile.
fn directive(line: &str) -> Option<(&str, &str)> {
    let space = |c: char| c.is_ascii_whitespace();
    let rest = line.strip_prefix('#')?.trim_start_matches(space);
    let key_len = rest
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(rest.len());
    let (key, rest) = rest.split_at(key_len);
    if !key.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let after = rest.trim_start_matches(space).strip_prefix('=')?;
    let value = after.trim_start_matches(space);
    if value.is_empty() {
        // `.+?` takes one of the spaces `\s*` would have eaten, if there is one
        return after.len().checked_sub(1).map(|last| (key, &after[last..]));
    }
    Some((key, value.trim_end_matches(space)))
}

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
        let Some((key, value)) = directive(line) else {
            self.done = true;
            return Ok(());
        };
        let key = key.to_ascii_lowercase();
        let value = value.to_owned();
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

    #[test]
    fn the_directive_reader_agrees_with_buildkits_regex() {
        // the Go pattern with Go's ASCII `\s`, as an oracle
        let go = regex::Regex::new(
            r"^#[\t\n\x0C\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\x0C\r ]*=[\t\n\x0C\r ]*(.+?)[\t\n\x0C\r ]*$",
        )
        .unwrap();
        let parts = [
            "#", " ", "\t", "syntax", "s1", "1s", "=", "==", "x", " y ", "\u{a0}", "\x0B", "é", "-",
        ];
        for line in &crate::dockerfile::strings_of(&parts, 4) {
            let want = go
                .captures(line)
                .map(|c| (c.get(1).unwrap().as_str(), c.get(2).unwrap().as_str()));
            assert_eq!(directive(line), want, "{line:?}");
        }
        assert_eq!(
            directive("# syntax = docker/dockerfile:1 "),
            Some(("syntax", "docker/dockerfile:1"))
        );
        assert_eq!(directive("#escape=   "), Some(("escape", " ")));
    }

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
