//! Secrets in an image's metadata beyond the config fields [`super::config`] reads by name: every
//! other string of the config (a password in a `Healthcheck` command, `container_config`, an
//! `Env` that is not a list), the build request BuildKit 0.10 kept in the config
//! (`moby.buildkit.buildinfo.v1`, base64 JSON), and the provenance attestations BuildKit attaches
//! to an image (in-toto SLSA statements, v0.2 and v1; cosign's too, signed in a DSSE envelope).
//! Provenance records the build arguments in both modes (Docker's documentation warns that
//! secrets passed as build arguments end up there), the build context's URL (credentials in a Git
//! URL included), and with `mode=max` each step's environment and the Dockerfile itself, base64.
//! Fields are named by their JSON path. Documents are walked as they are parsed, never held as a
//! tree.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::config::{CONFIG, ConfigMatch, content, content_named, inner_key, pair};
use crate::rules::RuleSet;
use crate::rules::value::{ValueKind, classify};

/// The config field where BuildKit 0.10 recorded the build request, base64 JSON.
const BUILDINFO: &str = "moby.buildkit.buildinfo.v1";
/// What a provenance finding is in.
const PROVENANCE: &str = "the provenance attestation";

/// One step of a JSON path.
#[derive(Debug, Clone, Copy)]
enum Step<'v> {
    Key(&'v str),
    Index(usize),
}

/// `prefix` and the path as people write it: `history[2].comment`, `args["build-arg:X"]`.
fn render(prefix: &str, path: &[Step<'_>]) -> String {
    let mut text = prefix.to_owned();
    for step in path {
        match step {
            Step::Index(i) => text.push_str(&format!("[{i}]")),
            Step::Key(k)
                if !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
            {
                if !text.is_empty() && !text.ends_with(':') {
                    text.push('.');
                }
                text.push_str(k);
            }
            Step::Key(k) => text.push_str(&format!("[{k:?}]")),
        }
    }
    text
}

/// Calls `visit` with the path and text of every string of the JSON document `bytes`, depth
/// first, as the document is parsed: no tree is built (a 7 MB provenance statement took 230 MB
/// as a `serde_json::Value`). Strings before a syntax error are visited; the error is returned.
fn strings(
    bytes: &[u8],
    visit: &mut dyn FnMut(&[Step<'_>], Found<'_>) -> bool,
) -> serde_json::Result<()> {
    let mut path = Vec::new();
    let mut reader = serde_json::Deserializer::from_slice(bytes);
    Walk {
        path: &mut path,
        visit,
    }
    .deserialize(&mut reader)?;
    reader.end()
}

/// What the walk hands over: an object's key (the path leads to its object; `visit` answers
/// whether it is a secret, and it is then shown as `…` in every path under it), or a string.
enum Found<'t> {
    Key(&'t str),
    Text(&'t str),
}

/// The path as [`Step`]s.
fn steps(path: &[Owned]) -> Vec<Step<'_>> {
    (path.iter())
        .map(|step| match step {
            Owned::Key(key) => Step::Key(key),
            Owned::Index(i) => Step::Index(*i),
        })
        .collect()
}

/// One step of a path being walked, its key owned (JSON keys may need unescaping).
enum Owned {
    Key(String),
    Index(usize),
}

/// The streaming walk over one JSON value (serde's nesting limit bounds its depth).
struct Walk<'w> {
    path: &'w mut Vec<Owned>,
    visit: &'w mut dyn FnMut(&[Step<'_>], Found<'_>) -> bool,
}

impl Walk<'_> {
    fn inner(&mut self) -> Walk<'_> {
        Walk {
            path: self.path,
            visit: self.visit,
        }
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E>(self, text: &str) -> Result<(), E> {
        (self.visit)(&steps(self.path), Found::Text(text));
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut items: A) -> Result<(), A::Error> {
        for i in 0.. {
            self.path.push(Owned::Index(i));
            let item = items.next_element_seed(self.inner())?;
            self.path.pop();
            if item.is_none() {
                break;
            }
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let secret = (self.visit)(&steps(self.path), Found::Key(&key));
            self.path
                .push(Owned::Key(if secret { "…".to_owned() } else { key }));
            map.next_value_seed(self.inner())?;
            self.path.pop();
        }
        Ok(())
    }
}

/// Every string of the config (`config`, parsed from `bytes`) that [`super::config`] does not
/// read by name, and the build request in `moby.buildkit.buildinfo.v1`.
pub fn config_rest<'r>(
    config: &Value,
    bytes: &[u8],
    rules: &'r RuleSet,
    out: &mut Vec<ConfigMatch<'r>>,
) {
    let inner = inner_key(config);
    let named = |path: &[Step<'_>]| match path {
        [Step::Key("rootfs"), ..] => true, // layer digests
        [
            Step::Key("history"),
            Step::Index(_),
            Step::Key("created_by"),
        ] => true,
        [
            Step::Key(c),
            Step::Key("Env" | "Cmd" | "Entrypoint" | "OnBuild"),
            Step::Index(_),
        ]
        | [Step::Key(c), Step::Key("Labels"), Step::Key(_)]
        | [
            Step::Key(c),
            Step::Key("Healthcheck"),
            Step::Key("Test"),
            Step::Index(_),
        ] => *c == inner,
        _ => false,
    };
    // the config was parsed once already: it is JSON
    let _ = strings(bytes, &mut |path, found| {
        let field = || render("", path);
        match found {
            Found::Key(key) => secret_key(out, key, field, CONFIG, rules),
            Found::Text(text) if matches!(path, [Step::Key(BUILDINFO)]) => {
                build_request(text, rules, out);
                false
            }
            Found::Text(text) => !named(path) && content_named(out, text, field, CONFIG, rules),
        }
    });
}

/// BuildKit 0.10's build request: base64 JSON with the build arguments in `attrs`.
fn build_request<'r>(text: &str, rules: &'r RuleSet, out: &mut Vec<ConfigMatch<'r>>) {
    let decoded = STANDARD.decode(text.trim()).unwrap_or_default();
    let prefix = format!("{BUILDINFO}:");
    if statement(&decoded, &prefix, CONFIG, rules, out).is_err() {
        content(out, text, BUILDINFO, CONFIG, rules);
    }
}

/// A provenance statement: its build arguments and labels judged by name and value, its
/// steps' environment likewise, its embedded Dockerfiles decoded, and every string through the
/// content rules. A statement that is not JSON is an error, its strings before the error read.
pub fn provenance<'r>(
    bytes: &[u8],
    rules: &'r RuleSet,
    out: &mut Vec<ConfigMatch<'r>>,
) -> serde_json::Result<()> {
    statement(bytes, "provenance:", PROVENANCE, rules, out)
}

fn statement<'r>(
    bytes: &[u8],
    prefix: &str,
    whose: &str,
    rules: &'r RuleSet,
    out: &mut Vec<ConfigMatch<'r>>,
) -> serde_json::Result<()> {
    strings(bytes, &mut |path, found| {
        let field = || render(prefix, path);
        let text = match found {
            Found::Key(key) => return secret_key(out, key, field, whose, rules),
            Found::Text(text) => text,
        };
        if content_named(out, text, field, whose, rules) {
            return true;
        }
        match path {
            // the frontend's options: `build-arg:NAME`, `label:NAME`, `context`, `source`…
            [.., Step::Key("args" | "attrs"), Step::Key(key)] => {
                if let Some(name) = key.strip_prefix("build-arg:") {
                    pair(out, name, text, &field(), "image.secret-build-arg", rules);
                } else if let Some(name) = key.strip_prefix("label:")
                    && classify(text) == ValueKind::Literal
                {
                    pair(out, name, text, &field(), "image.secret-label", rules);
                }
            }
            // mode=max: a step's environment (ENV, and ARG values where a RUN used them)
            [.., Step::Key("env"), Step::Index(_)] => {
                if let Some((name, val)) = text.split_once('=') {
                    pair(out, name, val, &field(), "image.secret-env", rules);
                }
            }
            // a DSSE envelope (cosign's attestations): the statement is its payload, base64
            [Step::Key("payload")] => {
                if let Ok(payload) = STANDARD.decode(text.trim()) {
                    let prefix = format!("{}:", field());
                    let _ = statement(&payload, &prefix, whose, rules, out);
                }
            }
            // mode=max: the Dockerfile and other sources of the build, base64
            [.., Step::Key("infos"), Step::Index(_), Step::Key("data")] => {
                if let Ok(source) = STANDARD.decode(text.trim()) {
                    let source = String::from_utf8_lossy(&source);
                    let decoded = || format!("{} (decoded)", field());
                    content_named(out, &source, decoded, whose, rules);
                }
            }
            _ => {}
        }
        false
    })
}

/// A key of the object at `field` that the content rules call a secret: reported, and true (so
/// paths show it as `…`).
fn secret_key<'r>(
    out: &mut Vec<ConfigMatch<'r>>,
    key: &str,
    field: impl FnOnce() -> String,
    whose: &str,
    rules: &'r RuleSet,
) -> bool {
    content_named(out, key, || format!("{} (a key)", field()), whose, rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_as_written() {
        let path = [
            Step::Key("predicate"),
            Step::Key("args"),
            Step::Key("build-arg:NPM_TOKEN"),
        ];
        assert_eq!(
            render("provenance:", &path),
            r#"provenance:predicate.args["build-arg:NPM_TOKEN"]"#
        );
        let path = [Step::Key("history"), Step::Index(2), Step::Key("comment")];
        assert_eq!(render("", &path), "history[2].comment");
    }
}
