//! Whether a variable name (`ENV`/`ARG`/`LABEL` key, a shell assignment, an image config `Env`
//! entry) looks like it holds a secret.
//!
//! The starting point is BuildKit's `SecretsUsedInArgOrEnv` lint (deny tokens apikey, auth,
//! credential(s), key, password, passwd, pword, secret, token; allow public), made sharper:
//! names are split on `_ - .` and camelCase; compound tokens (`DBPASSWORD`) count for the long,
//! unambiguous words; and names that *point at* a secret (`*_FILE`, `*_PATH`, `*_URL`,
//! `*_VERSION`, `GPG_KEY`, `*_SHA256`, `PUBLIC_KEY`, `*_KEY_ID`) are exempt.

/// Whole tokens that name a password (a secret token too, see [`is_password_name`]).
const PASSWORD_TOKENS: &[&str] = &[
    "password",
    "passwords",
    "passwd",
    "pword",
    "pwd",
    "psw",
    "pass",
    "passphrase",
];

/// Other tokens that mark a secret when they appear as a whole token.
const SECRET_TOKENS: &[&str] = &[
    "apikey",
    "apikeys",
    "auth",
    "credential",
    "credentials",
    "creds",
    "key",
    "keys",
    "secret",
    "secrets",
    "token",
    "tokens",
    "bearer",
    "session",
    "cookie",
    "signing",
    "webhook",
    "dsn",
    "privatekey",
    "accesskey",
    "clientsecret",
    "authtoken",
    "connectionstring",
    "pat",
    "jwt",
];

/// Long words that mark a secret even inside a compound token (`DBPASSWORD`, `APITOKEN`).
const COMPOUND_SUFFIXES: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "credentials",
];

/// Adjacent token pairs that together mark a secret (`API_KEY`, `CONNECTION_STRING`).
const SECRET_PAIRS: &[(&str, &str)] = &[
    ("api", "key"),
    ("private", "key"),
    ("access", "key"),
    ("secret", "key"),
    ("client", "secret"),
    ("auth", "token"),
    ("connection", "string"),
    ("conn", "str"),
];

/// A token anywhere in the name that makes it a pointer or public value (BuildKit: public).
const EXEMPT_ANYWHERE: &[&str] = &[
    "public",
    "pub",
    "file",
    "files",
    "version",
    "gpg",
    "pgp",
    "fingerprint",
    "fingerprints",
    "keyring",
    "keyserver",
    "sha",
    "sha1",
    "sha256",
    "sha512",
    "md5",
    "checksum",
    "hash",
    "keyid",
    "tokenizers",
];

/// A last token that makes the whole name describe something other than the secret itself.
const EXEMPT_LAST: &[&str] = &[
    "path",
    "paths",
    "dir",
    "directory",
    "url",
    "uri",
    "endpoint",
    "host",
    "hostname",
    "server",
    "port",
    "id",
    "ids",
    "name",
    "names",
    "timeout",
    "ttl",
    "expiry",
    "expires",
    "expiration",
    "lifetime",
    "length",
    "size",
    "bits",
    "algorithm",
    "alg",
    "type",
    "mode",
    "method",
    "enabled",
    "enable",
    "disabled",
    "disable",
    "required",
    "header",
    "prefix",
    "region",
    "provider",
    "backend",
    "store",
    "location",
    "format",
    "strategy",
    "issuer",
    "audience",
    "scope",
    "scopes",
    "user",
    "username",
    "login",
    "email",
    "count",
    "max",
    "min",
    "limit",
    "level",
    "policy",
    "domain",
    "location",
    "env",
    "var",
    "field",
    "secure",
    "samesite",
    "httponly",
    "age",
    "store",
    "storage",
    "manager",
    "service",
    "mount",
    "ref",
    "arn",
];

/// Names that look secret by their tokens but are well-known non-secrets.
const EXEMPT_NAMES: &[&str] = &["pwd", "oldpwd"];

/// True when `name` looks like it holds a secret value.
pub fn is_secret_name(name: &str) -> bool {
    // a key that is not a variable name (`MYSQL_PASS:-$(pwgen`) is a parsing accident
    let variable = name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
    if !variable {
        return false;
    }
    let lower = name.to_ascii_lowercase();
    if EXEMPT_NAMES.contains(&lower.as_str()) {
        return false;
    }
    if bundler_credential(&lower) {
        return true;
    }
    let tokens = tokens(name);
    let Some(last) = tokens.last() else {
        return false;
    };
    if EXEMPT_LAST.contains(&last.as_str())
        || tokens.iter().any(|t| EXEMPT_ANYWHERE.contains(&t.as_str()))
    {
        return false;
    }
    let whole = tokens
        .iter()
        .any(|t| SECRET_TOKENS.contains(&t.as_str()) || PASSWORD_TOKENS.contains(&t.as_str()));
    let compound = tokens
        .iter()
        .any(|t| t.len() > 6 && COMPOUND_SUFFIXES.iter().any(|s| t.ends_with(s)));
    let pair = tokens
        .windows(2)
        .any(|w| SECRET_PAIRS.contains(&(w[0].as_str(), w[1].as_str())));
    whole || compound || pair
}

/// Bundler's credentials for a gem source, `BUNDLE_GEMS__CONTRIBSYS__COM=user:password` (the
/// host with `.` as `__`, ending in a top-level domain); `BUNDLE_BUILD__NOKOGIRI` and
/// `BUNDLE_MIRROR__…` are settings, and names without `__` (`BUNDLE_PATH`) are too.
fn bundler_credential(lower: &str) -> bool {
    let Some(host) = lower.strip_prefix("bundle_") else {
        return false;
    };
    let Some((_, tld)) = host.rsplit_once("__") else {
        return false;
    };
    !host.starts_with("__")
        && !["build", "mirror"]
            .iter()
            .any(|s| host.starts_with(&format!("{s}__")))
        && (2..=6).contains(&tld.len())
        && tld.bytes().all(|b| b.is_ascii_lowercase())
}

/// True when `name` looks secret and names a password (`ROOT_PASSWORD`, `dbPasswd`, `PGPASS`):
/// a number is a fine password (`123456` is the world's most common), though not a fine token.
pub fn is_password_name(name: &str) -> bool {
    is_secret_name(name)
        && tokens(name).iter().any(|t| {
            PASSWORD_TOKENS.contains(&t.as_str())
                || t.ends_with("password")
                || t.ends_with("passwd")
        })
}

/// Splits a name into lowercase tokens on `_ - . /` and camelCase boundaries.
///
/// `apiKey` → `api key`; `DBPassword` → `db password`; `db.password` → `db password`.
pub fn tokens(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let chars: Vec<char> = part.chars().collect();
        let mut start = 0;
        for i in 1..chars.len() {
            let (prev, cur) = (chars[i - 1], chars[i]);
            let next_lower = chars.get(i + 1).is_some_and(|c| c.is_ascii_lowercase());
            let boundary = (prev.is_ascii_lowercase() && cur.is_ascii_uppercase())
                || (prev.is_ascii_uppercase() && cur.is_ascii_uppercase() && next_lower);
            if boundary {
                out.push(
                    chars[start..i]
                        .iter()
                        .collect::<String>()
                        .to_ascii_lowercase(),
                );
                start = i;
            }
        }
        if start < chars.len() {
            out.push(
                chars[start..]
                    .iter()
                    .collect::<String>()
                    .to_ascii_lowercase(),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_names() {
        assert_eq!(tokens("apiKey"), ["api", "key"]);
        assert_eq!(tokens("DBPassword"), ["db", "password"]);
        assert_eq!(tokens("db.password"), ["db", "password"]);
        assert_eq!(tokens("NPM_TOKEN"), ["npm", "token"]);
        assert_eq!(tokens("x-api-key"), ["x", "api", "key"]);
    }

    #[test]
    fn flags_secret_names() {
        for name in [
            "NPM_TOKEN",
            "GITHUB_TOKEN",
            "DB_PASSWORD",
            "db.password",
            "apiKey",
            "API_KEY",
            "MYSQL_ROOT_PASSWORD",
            "DBPASSWORD",
            "ROOTPASSWORD",
            "AWS_SECRET_ACCESS_KEY",
            "CLIENT_SECRET",
            "PASSPHRASE",
            "DB_PASS",
            "DB_PWD",
            "SENTRY_DSN",
            "SLACK_WEBHOOK",
            "SESSION_SECRET",
            "SIGNING_KEY",
            "RAILS_MASTER_KEY",
            "OSS_KEY_SECRET",
            "pass",
            "BEARER",
            "COOKIE_SECRET",
            "MAXMIND_LICENSE_KEY",
            "ConnectionString",
            "BUNDLE_GEMS__CONTRIBSYS__COM",
            "bundle_rubygems__pkg__github__com",
        ] {
            assert!(is_secret_name(name), "{name} should look secret");
        }
    }

    #[test]
    fn exempts_pointers_and_public_values() {
        for name in [
            "PASSWORD_FILE",
            "DB_PASSWORD_PATH",
            "SSL_KEY_DIR",
            "AUTH_URL",
            "TOKEN_VERSION",
            "AWS_ACCESS_KEY_ID",
            "GPG_KEY",
            "GPG_KEYS",
            "NODE_SHA256",
            "PUBLIC_KEY",
            "KEY_SERVER",
            "SESSION_TIMEOUT",
            "COOKIE_NAME",
            "AUTH_HOST",
            "PWD",
            "OLDPWD",
            "PASSENGER_MIN_INSTANCES",
            "TOKENIZERS_PARALLELISM",
            "MONKEY",
            "BYPASS_CACHE",
            "BUNDLE_PATH",
            "BUNDLE_BUILD__NOKOGIRI",
            "BUNDLE_MIRROR__RUBYGEMS__ORG",
            "BUNDLE_WITHOUT",
            "BUNDLE_GEMFILE__X__2",
            "PATH",
            "HOME",
            "PASSWORD_HASH",
            "KEYCLOAK_VERSION",
            "MYSQL_PASS:-$(pwgen",
        ] {
            assert!(!is_secret_name(name), "{name} should not look secret");
        }
    }
}
