//! Offline validation of a candidate secret, never over the network: a checksum the format
//! carries (GitHub and npm tokens end in a base62 CRC32 of their random part), or a structure that
//! must decode (a JWT's header and payload are JSON; a private key block is DER or an OpenSSH
//! key, and says whether it is encrypted). A value that fails is almost certainly not a live
//! secret (a test fixture, a made-up example) and is kept at low confidence, never dropped
//! silently. So is a private key that its library publishes (`rules/public-keys.toml`).

use std::sync::LazyLock;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// One entry of `rules/public-keys.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublicKey {
    name: String,
    found_in: String,
    /// SHA-256 of the key's DER bytes, lowercase hex.
    sha256: String,
}

#[derive(Debug, Deserialize)]
struct PublicKeys {
    key: Vec<PublicKey>,
}

/// The published keys, parsed once (the file is part of the binary and tested).
static PUBLIC_KEYS: LazyLock<Vec<PublicKey>> = LazyLock::new(|| {
    toml::from_str::<PublicKeys>(include_str!("../../rules/public-keys.toml"))
        .map(|file| file.key)
        .unwrap_or_default()
});

/// The published key whose DER bytes are `der`, if it is one.
fn published(der: &[u8]) -> Option<&'static PublicKey> {
    let digest = crate::layer::decode::hex_digest(&Sha256::digest(der).into());
    let hex = digest.trim_start_matches("sha256:");
    PUBLIC_KEYS.iter().find(|key| key.sha256 == hex)
}

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
        return pgp(&text[..end]);
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
    if let Some(key) = published(&der) {
        let note = format!("{}, published in {}: no secret", key.name, key.found_in);
        return Verdict::Invalid(note);
    }
    if encrypted_header {
        return Verdict::Weaker("encrypted key: needs its passphrase".into());
    }
    Verdict::Valid(Some("not encrypted".into()))
}

/// An ASCII-armoured OpenPGP secret key: decode the body (after the armour headers, before the
/// `=XXXX` checksum line) and read the first secret-key packet's S2K usage octet.
fn pgp(armour: &str) -> Verdict {
    let mut lines = armour.lines().skip(1);
    // armour headers (Version:, Comment:) end at the first blank line, when there are any
    let body: String = if armour.lines().skip(1).any(|l| l.contains(':')) {
        lines
            .by_ref()
            .skip_while(|l| !l.trim().is_empty())
            .skip(1)
            .collect::<Vec<_>>()
            .join("")
    } else {
        lines.collect::<Vec<_>>().join("")
    };
    let body: String = body
        .split('=')
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let body = body.trim_end_matches(|c: char| !c.is_ascii_alphanumeric() && c != '+' && c != '/');
    let padded = format!("{body}{}", "=".repeat((4 - body.len() % 4) % 4));
    let Ok(bytes) = STANDARD.decode(padded) else {
        return Verdict::Invalid("PGP key body is not base64".into());
    };
    match pgp_s2k_usage(&bytes) {
        Some(0) => Verdict::Valid(Some("PGP key, not encrypted".into())),
        Some(_) => Verdict::Weaker("PGP key, encrypted: needs its passphrase".into()),
        None => Verdict::Unchecked,
    }
}

/// The S2K usage octet of a v4 secret-key packet (tag 5 or 7) at the start of `bytes`.
fn pgp_s2k_usage(bytes: &[u8]) -> Option<u8> {
    let first = *bytes.first()?;
    if first & 0x80 == 0 {
        return None;
    }
    let (tag, body) = if first & 0x40 != 0 {
        let tag = first & 0x3f;
        let (len, at) = match *bytes.get(1)? {
            l @ 0..=191 => (usize::from(l), 2),
            l @ 192..=223 => (
                (usize::from(l) - 192) * 256 + usize::from(*bytes.get(2)?) + 192,
                3,
            ),
            255 => (
                u32::from_be_bytes(bytes.get(2..6)?.try_into().ok()?) as usize,
                6,
            ),
            _ => return None,
        };
        (tag, bytes.get(at..at + len.min(bytes.len() - at))?)
    } else {
        let tag = (first >> 2) & 0x0f;
        let width = [1usize, 2, 4, 0][usize::from(first & 3)];
        let at = 1 + width;
        (tag, bytes.get(at..)?)
    };
    if tag != 5 && tag != 7 || *body.first()? != 4 {
        return None;
    }
    let algorithm = *body.get(5)?;
    let mut at = 6;
    let mpi = |at: &mut usize| -> Option<()> {
        let bits = usize::from(u16::from_be_bytes(body.get(*at..*at + 2)?.try_into().ok()?));
        *at += 2 + bits.div_ceil(8);
        Some(())
    };
    let oid = |at: &mut usize| -> Option<()> {
        *at += 1 + usize::from(*body.get(*at)?);
        Some(())
    };
    match algorithm {
        1..=3 => (0..2).try_for_each(|_| mpi(&mut at))?,
        16 | 20 => (0..3).try_for_each(|_| mpi(&mut at))?,
        17 => (0..4).try_for_each(|_| mpi(&mut at))?,
        19 | 22 => {
            oid(&mut at)?;
            mpi(&mut at)?;
        }
        18 => {
            oid(&mut at)?;
            mpi(&mut at)?;
            oid(&mut at)?; // KDF parameters: a length octet and that many bytes
        }
        _ => return None,
    }
    body.get(at).copied()
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

    /// netty's OpenSSL probing key, as netty-handler 4.1 publishes it in `OpenSsl.class`
    /// (Apache-2.0): a key everyone has.
    const NETTY_KEY: &str = "\
    -----BEGIN PRIVATE KEY-----\n\
    MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCCBtayYNDrM3NFnkBbwTd6gaWp\n\
    a84ENvkWzWgFGtVAe5iZUChqrAPNdgnQs7Brb3cCBYRDWOlxtnaGmhhDOoRkFMucWEyuFEWUfops\n\
    k0PxjfeRn+JJUEEO4Zt1JslKGUz7hbBD0gCyjgxni9bdLWK/l8YakuBu1dGYF/9FTyiY3QaKOW9a\n\
    UtYdaKMs3zFC3JIW4FDuyxbxFwoBqvLelSbpRRAH4KjqWd+2LRPNqDw+COEAmrZnfBuwZGc/ZhK9\n\
    ihorqrOYddFiWn8/GuMEBkCaQsmzhhOb9cUX5+R5jHiL3OodvKid7nJ6tGJuwdpdlYudQv6sWh4x\n\
    0q+vRVLewaaFAgMBAAECggEAP8tPJvFtTxhNJAkCloHz0D0vpDHqQBMgntlkgayqmBqLwhyb18pR\n\
    i0qwgh7HHc7wWqOOQuSqlEnrWRrdcI6TSe8R/sErzfTQNoznKWIPYcI/hskk4sdnQ//Yn9/Jvnsv\n\
    U/BBjOTJxtD+sQbhAl80JcA3R+5sArURQkfzzHOL/YMqzAsn5hTzp7HZCxUqBk3KaHRxV7NefeOE\n\
    xlZuWSmxYWfbFIs4kx19/1t7h8CHQWezw+G60G2VBtSBBxDnhBWvqG6R/wpzJ3nEhPLLY9T+XIHe\n\
    ipzdMOOOUZorfIg7M+pyYPji+ZIZxIpY5OjrOzXHciAjRtr5Y7l99K1CG1LguQKBgQDrQfIMxxtZ\n\
    vxU/1cRmUV9l7pt5bjV5R6byXq178LxPKVYNjdZ840Q0/OpZEVqaT1xKVi35ohP1QfNjxPLlHD+K\n\
    iDAR9z6zkwjIrbwPCnb5kuXy4lpwPcmmmkva25fI7qlpHtbcuQdoBdCfr/KkKaUCMPyY89LCXgEw\n\
    5KTDj64UywKBgQCNfbO+eZLGzhiHhtNJurresCsIGWlInv322gL8CSfBMYl6eNfUTZvUDdFhPISL\n\
    UljKWzXDrjw0ujFSPR0XhUGtiq89H+HUTuPPYv25gVXO+HTgBFZEPl4PpA+BUsSVZy0NddneyqLk\n\
    42Wey9omY9Q8WsdNQS5cbUvy0uG6WFoX7wKBgQDZ1jpW8pa0x2bZsQsm4vo+3G5CRnZlUp+XlWt2\n\
    dDcp5dC0xD1zbs1dc0NcLeGDOTDv9FSl7hok42iHXXq8AygjEm/QcuwwQ1nC2HxmQP5holAiUs4D\n\
    WHM8PWs3wFYPzE459EBoKTxeaeP/uWAn+he8q7d5uWvSZlEcANs/6e77eQKBgD21Ar0hfFfj7mK8\n\
    9E0FeRZBsqK3omkfnhcYgZC11Xa2SgT1yvs2Va2n0RcdM5kncr3eBZav2GYOhhAdwyBM55XuE/sO\n\
    eokDVutNeuZ6d5fqV96TRaRBpvgfTvvRwxZ9hvKF4Vz+9wfn/JvCwANaKmegF6ejs7pvmF3whq2k\n\
    drZVAoGAX5YxQ5XMTD0QbMAl7/6qp6S58xNoVdfCkmkj1ZLKaHKIjS/benkKGlySVQVPexPfnkZx\n\
    p/Vv9yyphBoudiTBS9Uog66ueLYZqpgxlM/6OhYg86Gm3U2ycvMxYjBM1NFiyze21AqAhI+HX+Ot\n\
    mraV2/guSgDgZAhukRZzeQ2RucI=\n\
    -----END PRIVATE KEY-----";

    #[test]
    fn published_keys_are_no_secret() {
        let file = include_str!("../../rules/public-keys.toml");
        assert_eq!(
            PUBLIC_KEYS.len(),
            file.matches("[[key]]").count(),
            "the file parses"
        );
        for key in PUBLIC_KEYS.iter() {
            let hex = key
                .sha256
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
            assert!(hex && key.sha256.len() == 64, "{}", key.name);
            assert!(!key.name.is_empty() && !key.found_in.is_empty());
        }
        // as a PEM file, and as the Java string constant (`\n` escapes) a class file holds
        for text in [NETTY_KEY.to_owned(), NETTY_KEY.replace('\n', "\\n")] {
            match validate(Validator::PrivateKey, &text) {
                Verdict::Invalid(note) => assert!(note.contains("netty"), "{note}"),
                other => panic!("{other:?}"),
            }
        }
        // one byte of the body changed: a key like any other
        let other = NETTY_KEY.replacen(
            "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCC",
            "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCD",
            1,
        );
        assert_eq!(
            validate(Validator::PrivateKey, &other),
            Verdict::Valid(Some("not encrypted".into()))
        );
    }

    /// An armoured v4 EdDSA secret-key packet with the given S2K usage octet.
    fn pgp_key(s2k_usage: u8) -> String {
        let oid = [0x09, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01];
        let mut body = vec![4, 0x65, 0x00, 0x00, 0x00, 22];
        body.extend_from_slice(&oid);
        body.extend_from_slice(&[0x01, 0x07]); // a 263-bit point
        body.extend_from_slice(&[0x40; 33]);
        body.push(s2k_usage);
        body.extend_from_slice(&[0x55; 40]);
        let mut packet = vec![0xc5, body.len() as u8];
        packet.extend_from_slice(&body);
        format!(
            "-----BEGIN PGP PRIVATE KEY BLOCK-----\nComment: test\n\n{}\n=abcd\n-----END PGP PRIVATE KEY BLOCK-----",
            STANDARD.encode(packet)
        )
    }

    #[test]
    fn pgp_keys_say_whether_they_are_encrypted() {
        assert_eq!(
            validate(Validator::PrivateKey, &pgp_key(0)),
            Verdict::Valid(Some("PGP key, not encrypted".into()))
        );
        assert!(matches!(
            validate(Validator::PrivateKey, &pgp_key(254)),
            Verdict::Weaker(_)
        ));
        let junk = "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nbm90IGEga2V5\n-----END PGP PRIVATE KEY BLOCK-----";
        assert_eq!(validate(Validator::PrivateKey, junk), Verdict::Unchecked);
    }
}
