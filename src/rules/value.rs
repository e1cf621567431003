//! What a candidate secret value is: empty, a reference to something else, a placeholder, or a
//! literal, and how random a literal looks.
//!
//! Every check that weighs a value (an `ENV` under a secret-looking name, a generic
//! `password=` match) asks [`classify`] and [`entropy`]; no other module keeps its own list of
//! placeholders. Values that merely *point* at a secret (a path, a URL without credentials, a
//! `/run/secrets/...` mount) are [`ValueKind::Pointer`], which no check reports.

use super::names::{is_password_name, is_secret_name};
use crate::finding::Severity;

/// The class of a candidate secret value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// Nothing, or only quotes and spaces.
    Empty,
    /// A variable or command substitution (`$VAR`, `${VAR}`, `$(cat …)`): the secret is elsewhere.
    Reference,
    /// Text that stands in for a secret: `changeme`, `<token>`, `xxxx`, `REPLACE_ME`, `example`.
    Placeholder,
    /// Not a secret at all: a number, a boolean, a path, a URL without credentials.
    Pointer,
    /// A literal that may be a real secret.
    Literal,
}

const PLACEHOLDER_WORDS: &[&str] = &[
    "changeme",
    "change_me",
    "change-me",
    "changeit",
    "change_it",
    "replaceme",
    "replace_me",
    "replace-me",
    "todo",
    "tbd",
    "fixme",
    "placeholder",
    "example",
    "sample",
    "dummy",
    "fake",
    "mock",
    "test",
    "testing",
    "secret",
    "password",
    "passwd",
    "token",
    "apikey",
    "api_key",
    "none",
    "null",
    "nil",
    "undefined",
    "empty",
    "default",
    "unset",
    "notset",
    "not_set",
    "redacted",
    "hidden",
    "masked",
    "insert_here",
    "your_token_here",
    "yourtoken",
    "mytoken",
    "mypassword",
    "mysecret",
    "foo",
    "bar",
    "foobar",
    "xyz",
    "abc",
    "abc123",
    "123456",
    "12345678",
    "password123",
    "secret123",
    "admin",
    "root",
    "guest",
    "user",
    "pass",
    "ci",
    "unknown",
    "required",
    "optional",
    "tba",
    "na",
    "n/a",
    "wip",
    "xxx",
    "set_me",
    "setme",
    // example passwords of documentation and man pages
    "qwerty",
    "letmein",
    "passw0rd",
    "p@ssw0rd",
    "password1",
    "secret1",
    "debian",
    "ubuntu",
    "passwort",
    "motdepasse",
    "contrasena",
    "senha",
    "hunter2",
];

const PLACEHOLDER_MARKERS: &[&str] = &[
    "example",
    "your_",
    "your-",
    "yourown",
    "<",
    "{{",
    "%%",
    "replace",
    "changeme",
    "change_me",
    "insert",
    "dummy",
    "placeholder",
    "xxxx",
    "****",
    "....",
    "redacted",
    "fake",
    "sample",
];

/// Classifies a value as written (quotes already removed).
pub fn classify(value: &str) -> ValueKind {
    let v = value.trim();
    if v.is_empty() || v.chars().all(|c| matches!(c, '"' | '\'' | ' ')) {
        return ValueKind::Empty;
    }
    if is_reference(v) {
        return ValueKind::Reference;
    }
    if is_pointer(v) {
        return ValueKind::Pointer;
    }
    if is_placeholder(v) {
        return ValueKind::Placeholder;
    }
    ValueKind::Literal
}

/// True when the value substitutes something else in: `$X`, `${X}`, `$(…)`, backticks, or a
/// template marker that a later step fills (`@@X@@`, `#{X}`).
fn is_reference(v: &str) -> bool {
    let bytes = v.as_bytes();
    let dollar = bytes.windows(2).any(|w| {
        w[0] == b'$' && (w[1] == b'{' || w[1] == b'(' || w[1] == b'_' || w[1].is_ascii_alphabetic())
    });
    dollar || v.contains('`') || v.contains("#{") || (v.starts_with("@@") && v.ends_with("@@"))
}

/// True for values that cannot be a secret themselves.
fn is_pointer(v: &str) -> bool {
    if is_account_entry(v) {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off"
    ) {
        return true;
    }
    if v.len() < 12
        && v.bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        return true;
    }
    if lower.starts_with("/run/secrets/") || lower.starts_with("/var/run/secrets/") {
        return true;
    }
    let path_like = (v.starts_with('/') || v.starts_with("./") || v.starts_with("~/"))
        && !v.contains(char::is_whitespace);
    if path_like {
        return true;
    }
    if is_file_name(v) || (is_identifier(v) && !is_placeholder(v)) {
        return true;
    }
    if let Some((_, rest)) = v.split_once("://") {
        // a URL is a pointer unless it carries user:password@
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        return !authority.contains('@');
    }
    false
}

/// The start of an `/etc/passwd` or `/etc/group` line (`mysql:x:100:101:…`), as a comment
/// quoting one after `/etc/passwd:` shows it: an account, not its password.
fn is_account_entry(v: &str) -> bool {
    let mut fields = v.split(':');
    let name = fields.next().unwrap_or_default();
    let marker = fields.next().unwrap_or_default();
    let id = fields.next().unwrap_or_default();
    let is_name = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    let is_id = !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit());
    is_name && matches!(marker, "x" | "*" | "!" | "!!") && is_id
}

/// A file name such as `credentials.json` or `server.key`: the secret is in the file.
fn is_file_name(v: &str) -> bool {
    const EXTENSIONS: &[&str] = &[
        "json",
        "pem",
        "key",
        "der",
        "crt",
        "cer",
        "p12",
        "pfx",
        "jks",
        "txt",
        "yaml",
        "yml",
        "conf",
        "cfg",
        "ini",
        "xml",
        "env",
        "properties",
        "toml",
        "asc",
        "gpg",
        "pub",
        "keystore",
    ];
    let Some((stem, ext)) = v.rsplit_once('.') else {
        return false;
    };
    !stem.is_empty()
        && EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-/".contains(&b))
}

/// An UPPER_SNAKE identifier such as `JUPYTER_SRC_KEY`, or an all-caps word such as `ALIAS`:
/// the name of a setting or a template slot, not its value.
fn is_identifier(v: &str) -> bool {
    let upper = v
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && v.bytes().next().is_some_and(|b| b.is_ascii_uppercase());
    let word = v.len() >= 3 && !v.bytes().any(|b| b.is_ascii_digit());
    upper && (v.contains('_') || word)
}

/// A lowercase snake_case name such as `test_app_key`: reads as a name, not a password.
fn is_snake_name(v: &str) -> bool {
    v.contains('_') && !v.starts_with('_') && v.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

fn is_placeholder(v: &str) -> bool {
    let bracketed =
        (v.starts_with('[') && v.ends_with(']')) || (v.starts_with('<') && v.ends_with('>'));
    if bracketed || is_snake_name(v) {
        return true;
    }
    let words: Vec<&str> = v.split_whitespace().collect();
    let is_word = |w: &&str| {
        w.trim_end_matches(['.', ',', '!', '?'])
            .chars()
            .all(char::is_alphabetic)
    };
    if words.len() >= 3 && words.iter().all(is_word) {
        return true; // prose ("This is not an API key"), not a credential
    }
    let lower = v.to_ascii_lowercase();
    let bare = lower.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    if PLACEHOLDER_WORDS.contains(&bare) || PLACEHOLDER_WORDS.contains(&lower.as_str()) {
        return true;
    }
    if PLACEHOLDER_MARKERS.iter().any(|m| lower.contains(m)) {
        return true;
    }
    // one character repeated (xxxxxxxx, 00000000, ********)
    let mut chars = v.chars();
    let first = chars.next();
    v.chars().count() >= 3 && chars.all(|c| Some(c) == first)
}

/// How a `name=value` pair should be reported: `None` when the name does not look secret or the
/// value cannot be a secret; otherwise the severity and the class of the value. A random-looking
/// literal is high, another literal medium, empty, placeholder or reference low. A value equal
/// to its own name (`SECRET_KEY_BASE=secret_key_base`) is a placeholder. A number is no secret
/// (`TOKEN_TTL=3600`) unless the name is a password's (`ROOT_PASSWORD=123456`).
pub fn assess(name: &str, value: &str) -> Option<(Severity, ValueKind)> {
    if !is_secret_name(name) {
        return None;
    }
    let mut kind = classify(value);
    if kind == ValueKind::Literal && value.eq_ignore_ascii_case(name) {
        kind = ValueKind::Placeholder;
    }
    let digits = value.trim_matches(|c| c == '"' || c == '\'');
    let number = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    if kind == ValueKind::Pointer && number && is_password_name(name) {
        kind = ValueKind::Literal;
    }
    let severity = match kind {
        ValueKind::Pointer => return None,
        ValueKind::Literal if is_high_entropy(value) => Severity::High,
        ValueKind::Literal => Severity::Medium,
        ValueKind::Empty | ValueKind::Placeholder | ValueKind::Reference => Severity::Low,
    };
    Some((severity, kind))
}

/// [`assess`] for a value recorded after expansion: a build argument in an image's history or
/// provenance is what the builder was given (the shell expanded `$X` before that), so a `$` in
/// it is one more character of the value, not a reference.
pub fn assess_expanded(name: &str, value: &str) -> Option<(Severity, ValueKind)> {
    match assess(name, value)? {
        (_, ValueKind::Reference) if is_high_entropy(value) => {
            Some((Severity::High, ValueKind::Literal))
        }
        (_, ValueKind::Reference) => Some((Severity::Medium, ValueKind::Literal)),
        judged => Some(judged),
    }
}

/// For the entropy-gated catch-all rules: a value worth reporting mixes letters and digits and
/// is not code (`self.password`, `token.ERRORTOKEN`, a format string).
pub fn is_plausible_secret(value: &str) -> bool {
    let letters = value.bytes().any(|b| b.is_ascii_alphabetic());
    let digits = value.bytes().any(|b| b.is_ascii_digit());
    let dotted_name = value.contains('.')
        && value.split('.').all(|part| {
            part.bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
                && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        });
    let format = ["%s", "%d", "{}", "{0}", "%20"]
        .iter()
        .any(|f| value.contains(f));
    letters && digits && !dotted_name && !format && !is_camel_identifier(value)
}

/// `defaultToConfig2`, `SensitiveString2048`, `CancelToken$1`: a camelCase or PascalCase name
/// with a numeric suffix reads as code, not as a password.
fn is_camel_identifier(value: &str) -> bool {
    let name = value.trim_end_matches(|c: char| c.is_ascii_digit() || c == '$');
    let humps = name
        .as_bytes()
        .windows(2)
        .filter(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase())
        .count();
    name.len() >= 8 && name.bytes().all(|b| b.is_ascii_alphabetic()) && humps >= 1
}

/// Shannon entropy of the value in bits per character.
pub fn entropy(value: &str) -> f64 {
    let bytes = value.as_bytes();
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[usize::from(b)] += 1;
    }
    let len = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / len;
            -p * p.log2()
        })
        .sum()
}

/// True when a literal looks machine-generated: long enough, random enough, and mixing
/// character classes (a lowercase phrase like `mediawikipassword` is a weak password, not a key).
pub fn is_high_entropy(value: &str) -> bool {
    let classes = [
        value.bytes().any(|b| b.is_ascii_lowercase()),
        value.bytes().any(|b| b.is_ascii_uppercase()),
        value.bytes().any(|b| b.is_ascii_digit()),
        value.bytes().any(|b| !b.is_ascii_alphanumeric()),
    ];
    let mixed = classes.iter().filter(|c| **c).count() >= 2;
    value.len() >= 12 && mixed && entropy(value) >= 3.3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_the_usual_values() {
        assert_eq!(classify(""), ValueKind::Empty);
        assert_eq!(classify("\"\""), ValueKind::Empty);
        assert_eq!(classify("$NPM_TOKEN"), ValueKind::Reference);
        assert_eq!(classify("${NPM_TOKEN:-x}"), ValueKind::Reference);
        assert_eq!(classify("$(cat /run/secrets/npm)"), ValueKind::Reference);
        assert_eq!(classify("changeme"), ValueKind::Placeholder);
        assert_eq!(classify("**ChangeMe**"), ValueKind::Placeholder);
        assert_eq!(classify("<your-token>"), ValueKind::Placeholder);
        assert_eq!(classify("REPLACE_ME"), ValueKind::Placeholder);
        assert_eq!(classify("xxxxxxxx"), ValueKind::Placeholder);
        assert_eq!(classify("AKIAIOSFODNN7EXAMPLE"), ValueKind::Placeholder);
        assert_eq!(classify("NULL"), ValueKind::Placeholder);
        assert_eq!(classify("3600"), ValueKind::Pointer);
        assert_eq!(classify("false"), ValueKind::Pointer);
        assert_eq!(classify("/run/secrets/db"), ValueKind::Pointer);
        assert_eq!(classify("/etc/ssl/private/key.pem"), ValueKind::Pointer);
        assert_eq!(
            classify("https://auth.example.org/token"),
            ValueKind::Pointer
        );
        assert_eq!(classify("https://u:p4ss@host/x"), ValueKind::Literal);
        assert_eq!(classify("hunter22"), ValueKind::Literal);
        assert_eq!(classify("s3cr3t"), ValueKind::Literal);
        assert_eq!(
            classify("8f14e45fceea167a5a36dedd4bea2543"),
            ValueKind::Literal
        );
        assert_eq!(classify("credentials.json"), ValueKind::Pointer);
        assert_eq!(classify("JUPYTER_SRC_KEY"), ValueKind::Pointer);
        assert_eq!(classify("XXX"), ValueKind::Placeholder);
        assert_eq!(classify("This is not an API Key"), ValueKind::Placeholder);
        assert_eq!(classify("p@ssword"), ValueKind::Literal);
        assert_eq!(classify("ALIAS"), ValueKind::Pointer);
        assert_eq!(classify("QX7Z42"), ValueKind::Literal);
        assert_eq!(classify("[your name]"), ValueKind::Placeholder);
        assert_eq!(classify("test_app_key"), ValueKind::Placeholder);
        assert_eq!(classify("mysql:x:100:101:MySQL"), ValueKind::Pointer);
        assert_eq!(classify("www-data:*:33:"), ValueKind::Pointer);
        assert_eq!(classify("admin:x9Lm2:Qp7"), ValueKind::Literal);
    }

    #[test]
    fn entropy_separates_words_from_keys() {
        assert_eq!(entropy(""), 0.0);
        assert_eq!(entropy("aaaa"), 0.0);
        assert!((entropy("ab") - 1.0).abs() < 1e-9);
        assert!(!is_high_entropy("postgres"));
        assert!(!is_high_entropy("mediawikipassword"));
        assert!(is_high_entropy("wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ9c8a"));
    }

    #[test]
    fn plausible_secrets_for_catch_all_rules() {
        assert!(is_plausible_secret("q8Zk2LmV7xR4pW9s"));
        assert!(!is_plausible_secret("self.password"));
        assert!(!is_plausible_secret("elevated-privileges"));
        assert!(!is_plausible_secret("node2.value"));
        assert!(!is_plausible_secret("Root%20CA%20Certificates"));
        assert!(is_plausible_secret("s3cr3t-v2x!"));
        assert!(!is_plausible_secret("defaultToConfig2"));
        assert!(!is_plausible_secret("SensitiveString2048"));
        assert!(!is_plausible_secret("CancelToken$1"));
        assert!(is_plausible_secret("Tz4kQ9mW2xLp8vR3"));
    }

    #[test]
    fn assess_pairs() {
        assert_eq!(
            assess("DB_PASSWORD", "postgres"),
            Some((Severity::Medium, ValueKind::Literal))
        );
        assert_eq!(
            assess("API_KEY", "Xk29vLq7TzQp4mW8").map(|a| a.0),
            Some(Severity::High)
        );
        assert_eq!(assess("API_KEY", "$KEY").map(|a| a.0), Some(Severity::Low));
        assert_eq!(
            assess("SECRET_KEY_BASE", "secret_key_base").map(|a| a.1),
            Some(ValueKind::Placeholder)
        );
        assert_eq!(assess("API_KEY", "/run/secrets/k"), None);
        assert_eq!(assess("LOG_LEVEL", "Xk29vLq7TzQp4mW8"), None);
    }
}
