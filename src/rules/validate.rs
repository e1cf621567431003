//! Offline validation of a candidate secret, never over the network: a checksum the format
//! carries (GitHub and npm tokens end in a base62 CRC32 of their random part), or a structure that
//! must decode (a JWT's header and payload are JSON; a private key block is DER or an OpenSSH
//! key, and says whether it is encrypted). A value that fails is almost certainly not a live
//! secret (a test fixture, a made-up example) and is kept at low confidence, never dropped
//! silently.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::Deserialize;

/// Which validation a rule asks for (`validator = "…"` in a rule file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Validator {
    /// `prefix_` + 30 random base62 characters + 6-character base62 CRC32 of them.
    GithubCrc32,
    /// `header.payload.signature`, header and payload base64url JSON objects.
    Jwt,
    /// A PEM or OpenSSH private key block.
    PrivateKey,
}

/// The outcome of a validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The structure or checksum holds; the note says what was learned (`alg HS256`).
    Valid(Option<String>),
    /// Valid, but worth less than the rule's severity (an encrypted key): one step lower.
    Weaker(String),
    /// The checksum or structure fails: not a live secret.
    Invalid(String),
    /// Nothing to check (the match is only part of the secret).
    Unchecked,
}

/// Validates `secret` with `validator`.
pub fn validate(validator: Validator, secret: &str) -> Verdict {
    match validator {
        Validator::GithubCrc32 => crc32(secret),
        Validator::Jwt => jwt(secret),
        Validator::PrivateKey => private_key(secret),
    }
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn crc32(secret: &str) -> Verdict {
    let Some((_, body)) = secret.split_once('_') else {
        return Verdict::Unchecked;
    };
    if body.len() != 36 || !body.is_ascii() {
        return Verdict::Unchecked;
    }
    let (random, check) = body.split_at(30);
    let mut value: u64 = 0;
    for byte in check.bytes() {
        let Some(digit) = BASE62.iter().position(|&b| b == byte) else {
            return Verdict::Invalid("checksum is not base62".into());
        };
        value = value * 62 + digit as u64;
    }
    if value == u64::from(crc32fast::hash(random.as_bytes())) {
        Verdict::Valid(Some("checksum valid".into()))
    } else {
        Verdict::Invalid("checksum does not match: not an issued token".into())
    }
}

fn jwt(secret: &str) -> Verdict {
    let mut parts = secret.split('.');
    let (Some(header), Some(payload)) = (parts.next(), parts.next()) else {
        return Verdict::Invalid("not three dot-separated parts".into());
    };
    let object = |part: &str| -> Option<serde_json::Map<String, serde_json::Value>> {
        let bytes = URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
        serde_json::from_slice(&bytes).ok()
    };
    let (Some(header), Some(payload)) = (object(header), object(payload)) else {
        return Verdict::Invalid("header or payload is not base64url JSON".into());
    };
    let Some(alg) = header.get("alg").and_then(|a| a.as_str()) else {
        return Verdict::Invalid("header has no alg".into());
    };
    let mut note = format!("alg {alg}");
    if let Some(exp) = payload.get("exp").and_then(serde_json::Value::as_i64) {
        note.push_str(&format!(", exp {exp}"));
    }
    if alg.eq_ignore_ascii_case("none") {
        return Verdict::Weaker(format!("{note}: unsigned"));
    }
    Verdict::Valid(Some(note))
}

fn private_key(secret: &str) -> Verdict {
    let text = secret.replace("\\n", "\n").replace("\\r", "");
    let Some(end) = text.find("-----END") else {
        return Verdict::Unchecked; // only the start of the block was matched
    };
    let encrypted_header = text.contains("ENCRYPTED");
    let body: String = text[..end]
        .lines()
        .skip(1) // the BEGIN line
        .filter(|line| !line.contains(':')) // Proc-Type:, DEK-Info:, PGP headers
        .flat_map(|line| {
            line.chars()
                .filter(|c| !c.is_whitespace() && *c != '"' && *c != '\'')
        })
        .collect();
    if text.contains("PGP PRIVATE KEY") {
        return Verdict::Unchecked; // armour with a checksum line; not DER
    }
    let Ok(der) = STANDARD.decode(&body) else {
        return Verdict::Invalid("key body is not base64".into());
    };
    if let Some(rest) = der.strip_prefix(b"openssh-key-v1\0") {
        let cipher = rest
            .get(4..)
            .zip(rest.get(..4))
            .and_then(|(tail, len)| tail.get(..u32::from_be_bytes(len.try_into().ok()?) as usize));
        return match cipher {
            Some(b"none") => Verdict::Valid(Some("OpenSSH key, not encrypted".into())),
            Some(_) => Verdict::Weaker("OpenSSH key, encrypted: needs its passphrase".into()),
            None => Verdict::Invalid("truncated OpenSSH key".into()),
        };
    }
    if !is_der_sequence(&der) {
        return Verdict::Invalid("key body is not a DER sequence".into());
    }
    if encrypted_header {
        return Verdict::Weaker("encrypted key: needs its passphrase".into());
    }
    Verdict::Valid(Some("not encrypted".into()))
}

/// True when `der` is exactly one DER SEQUENCE whose declared length is the rest of the bytes.
fn is_der_sequence(der: &[u8]) -> bool {
    let (Some(&0x30), Some(&first)) = (der.first(), der.get(1)) else {
        return false;
    };
    let (length, header) = if first & 0x80 == 0 {
        (usize::from(first), 2)
    } else {
        let octets = usize::from(first & 0x7f);
        let Some(bytes) = der.get(2..2 + octets).filter(|_| (1..=4).contains(&octets)) else {
            return false;
        };
        (
            bytes.iter().fold(0usize, |n, &b| n << 8 | usize::from(b)),
            2 + octets,
        )
    };
    length >= 32 && header + length == der.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token of the GitHub format with a correct checksum.
    fn token(prefix: &str, random: &str) -> String {
        let mut n = u64::from(crc32fast::hash(random.as_bytes()));
        let mut check = Vec::new();
        while n > 0 {
            check.push(BASE62[(n % 62) as usize]);
            n /= 62;
        }
        check.resize(6, b'0');
        check.reverse();
        format!("{prefix}_{random}{}", String::from_utf8(check).unwrap())
    }

    #[test]
    fn github_checksums() {
        let good = token("ghp", "u8jzPde0IgxLd6GncfBAepfJBd0Kh8");
        assert!(matches!(
            validate(Validator::GithubCrc32, &good),
            Verdict::Valid(_)
        ));
        let mut bad = good.clone();
        bad.replace_range(6..7, "Q");
        assert!(matches!(
            validate(Validator::GithubCrc32, &bad),
            Verdict::Invalid(_)
        ));
        assert_eq!(
            validate(Validator::GithubCrc32, "ghr_short"),
            Verdict::Unchecked
        );
    }

    #[test]
    fn jwts() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"1","exp":1700000000}"#);
        let good = format!("{header}.{payload}.c2lnbmF0dXJl");
        assert_eq!(
            validate(Validator::Jwt, &good),
            Verdict::Valid(Some("alg HS256, exp 1700000000".into()))
        );
        assert!(matches!(
            validate(Validator::Jwt, "eyJhbGciOi.eyJzdWIiOi.xxx"),
            Verdict::Invalid(_)
        ));
    }

    #[test]
    fn private_keys() {
        let der = STANDARD.encode([&[0x30u8, 0x81, 0x60][..], &[7u8; 0x60][..]].concat());
        let pem = format!("-----BEGIN RSA PRIVATE KEY-----\n{der}\n-----END RSA PRIVATE KEY-----");
        assert!(matches!(
            validate(Validator::PrivateKey, &pem),
            Verdict::Valid(_)
        ));
        let encrypted = pem.replace(
            "KEY-----\n",
            "KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n",
        );
        assert!(matches!(
            validate(Validator::PrivateKey, &encrypted),
            Verdict::Weaker(_)
        ));
        let junk = "-----BEGIN RSA PRIVATE KEY-----\nnot really a key at all\n-----END RSA PRIVATE KEY-----";
        assert!(matches!(
            validate(Validator::PrivateKey, junk),
            Verdict::Invalid(_)
        ));
        let mut ssh = b"openssh-key-v1\0".to_vec();
        ssh.extend_from_slice(&4u32.to_be_bytes());
        ssh.extend_from_slice(b"none");
        ssh.extend_from_slice(&[0u8; 40]);
        let ssh = format!(
            "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----",
            STANDARD.encode(ssh)
        );
        assert_eq!(
            validate(Validator::PrivateKey, &ssh),
            Verdict::Valid(Some("OpenSSH key, not encrypted".into()))
        );
    }
}
