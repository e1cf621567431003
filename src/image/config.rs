//! The image config: secrets in `Env`, `Labels`, `Cmd`/`Entrypoint`, `Healthcheck`, `OnBuild` and
//! `history[].created_by` (including the build arguments BuildKit and buildah record there as
//! `RUN |N KEY=value … /bin/sh -c …` and `|N KEY=value … /bin/sh -c …`), the annotations of the
//! manifest and indexes (read like labels), and the history ↔ layer join that names the
//! instruction behind each layer. The same name-and-value judgement as the Dockerfile audit
//! applies. The
//! rest of the config and the image's provenance attestations are [`super::metadata`]'s; one
//! secret found in several places is one finding naming them all.

use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::finding::{Confidence, Severity, with_note};
use crate::rules::value;
use crate::rules::{Matcher, Rule, RuleSet};

use super::layout::Annotation;
use super::metadata;

/// A finding in the config, before it becomes a [`crate::Finding`].
#[derive(Debug, Clone)]
pub struct ConfigMatch<'r> {
    /// The rule.
    pub rule: &'r Rule,
    /// Its severity here.
    pub severity: Severity,
    /// Its confidence (validated content matches differ from the rule's).
    pub confidence: Confidence,
    /// The secret, when the finding is a value.
    pub secret: Option<String>,
    /// The field, e.g. `Env[2]`.
    pub field: String,
    /// The sentence shown.
    pub message: String,
    /// What names the secret besides its value (the variable name; empty for a content match).
    pub anchor: String,
}

/// Every secret in the config (`config`, parsed from `bytes`), into `out`; [`one_per_secret`]
/// then reports each rule and secret once, whatever else went into `out` (provenance).
pub fn check<'r>(config: &Value, bytes: &[u8], rules: &'r RuleSet, out: &mut Vec<ConfigMatch<'r>>) {
    named_fields(config, rules, out);
    metadata::config_rest(config, bytes, rules, out);
}

/// The object whose `Env`, `Labels`, `Cmd`… are read: `config`, else (old builders)
/// `container_config`.
pub(super) fn inner_key(config: &Value) -> &'static str {
    match config.get("config") {
        Some(_) => "config",
        None => "container_config",
    }
}

/// The fields of the config with a meaning: `Env`, `Labels`, `Entrypoint`/`Cmd`,
/// `Healthcheck.Test` (its arguments joined, like `Cmd`'s), `OnBuild`,
/// `history[].created_by`.
fn named_fields<'r>(config: &Value, rules: &'r RuleSet, out: &mut Vec<ConfigMatch<'r>>) {
    let inner = config.get(inner_key(config));
    let strings = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    for (i, entry) in strings(inner.and_then(|c| c.get("Env"))).iter().enumerate() {
        let (name, val) = entry.split_once('=').unwrap_or((entry, ""));
        let field = format!("Env[{i}]");
        if !content(out, entry, &field, CONFIG, rules) {
            pair(out, name, val, &field, "image.secret-env", rules);
        }
    }
    if let Some(labels) = inner
        .and_then(|c| c.get("Labels"))
        .and_then(Value::as_object)
    {
        for (key, val) in labels {
            let Some(val) = val.as_str() else { continue };
            // a key that is itself a secret is reported by the walk over every key
            let field = |key: &str| format!("Labels[{key:?}]");
            public_pair(out, key, val, field, CONFIG, "image.secret-label", rules);
        }
    }
    for key in ["Entrypoint", "Cmd"] {
        let joined = strings(inner.and_then(|c| c.get(key))).join(" ");
        content(out, &joined, key, CONFIG, rules);
    }
    // `["CMD", "redis-cli", "-a", "…"]` or `["CMD-SHELL", "…"]`, as the process sees them
    let test = inner.and_then(|c| c.get("Healthcheck")?.get("Test"));
    content(out, &strings(test).join(" "), "Healthcheck", CONFIG, rules);
    for (i, trigger) in strings(inner.and_then(|c| c.get("OnBuild")))
        .iter()
        .enumerate()
    {
        content(out, trigger, &format!("OnBuild[{i}]"), CONFIG, rules);
    }
    for (i, entry) in history(config).iter().enumerate() {
        let Some(created_by) = entry.get("created_by").and_then(Value::as_str) else {
            continue;
        };
        let field = format!("history[{i}].created_by");
        for (name, val) in build_args(created_by) {
            pair(out, name, val, &field, "image.secret-build-arg", rules);
        }
        let clean = clean_created_by(created_by);
        for (name, val) in clean
            .strip_prefix("ARG ")
            .map(arg_values)
            .unwrap_or_default()
        {
            // `ARG A=${B}` as the classic builder records it refers to B; an empty value holds
            // nothing
            let kind = value::classify(val);
            if kind != value::ValueKind::Reference && kind != value::ValueKind::Empty {
                pair(out, name, val, &field, "image.secret-build-arg", rules);
            }
        }
        content(out, created_by, &field, CONFIG, rules);
    }
}

/// One finding per field and secret, then one per rule and secret across fields (an `ENV`
/// appears in both `Env` and `history`; `Env` wins because it is read first), its message
/// naming the other fields that hold it.
pub fn one_per_secret(out: Vec<ConfigMatch<'_>>) -> Vec<ConfigMatch<'_>> {
    // One finding per field and secret, the strongest (provider rule > check > generic rule),
    // then one per rule and secret across fields.
    let rank = |m: &ConfigMatch<'_>| {
        let kind = match m.rule.matcher {
            _ if m.rule.is_generic() => 0,
            Matcher::Check => 1,
            _ => 2,
        };
        Reverse((m.severity, kind))
    };
    let mut best: HashMap<(String, Option<String>), usize> = HashMap::new();
    for (i, m) in out.iter().enumerate() {
        let slot = best.entry((m.field.clone(), m.secret.clone())).or_insert(i);
        if m.secret.is_some() && rank(m) < rank(&out[*slot]) {
            *slot = i;
        }
    }
    let keep: HashSet<usize> = best.into_values().collect();
    // the first field of each rule and secret is reported; the message names the others, so
    // one fix removes them all ("also in history[3].created_by, Cmd")
    let mut first: HashMap<(&str, &str), usize> = HashMap::new();
    // the other fields of each reported match: the first few by name, then a count (a hostile
    // config may repeat one secret in a million history entries)
    let mut also: HashMap<usize, (Vec<&str>, usize)> = HashMap::new();
    let mut named: HashSet<(usize, &str)> = HashSet::new();
    let mut reported = Vec::new();
    for (i, m) in out.iter().enumerate() {
        let Some(secret) = &m.secret else {
            reported.push(i);
            continue;
        };
        if !keep.contains(&i) {
            continue;
        }
        match first.get(&(m.rule.id.as_str(), secret.as_str())) {
            Some(&at) => {
                if out[at].field != m.field && named.insert((at, &m.field)) {
                    let (shown, count) = also.entry(at).or_default();
                    if shown.len() < SHOWN_FIELDS {
                        shown.push(&m.field);
                    }
                    *count += 1;
                }
            }
            None => {
                first.insert((&m.rule.id, secret), i);
                reported.push(i);
            }
        }
    }
    let also: HashMap<usize, String> = also
        .into_iter()
        .map(|(at, (shown, count))| (at, also_in(&shown, count)))
        .collect();
    let mut kept = Vec::with_capacity(reported.len());
    for (i, mut m) in out.into_iter().enumerate() {
        if reported.binary_search(&i).is_ok() {
            if let Some(more) = also.get(&i) {
                m.message.push_str(more);
            }
            kept.push(m);
        }
    }
    kept
}

/// Fields named in a message besides the finding's own.
const SHOWN_FIELDS: usize = 3;

/// `; also in F1, F2, F3 and N more` for a secret found in `count` more fields than its
/// finding's, the first of them `shown`.
fn also_in(shown: &[&str], count: usize) -> String {
    let mut text = format!("; also in {}", shown.join(", "));
    if count > shown.len() {
        text.push_str(&format!(" and {} more", count - shown.len()));
    }
    text
}

/// What [`content`] says a field is in.
pub(super) const CONFIG: &str = "the image config";
/// The same, for an annotation.
const ANNOTATIONS: &str = "an image annotation";

/// Content rules over one field of `whose` ([`CONFIG`], …); true when any matched.
pub(super) fn content<'r>(
    out: &mut Vec<ConfigMatch<'r>>,
    text: &str,
    field: &str,
    whose: &str,
    rules: &'r RuleSet,
) -> bool {
    content_named(out, text, || field.to_owned(), whose, rules)
}

/// [`content`] with the field named only when something matched: most strings match nothing,
/// and a walked document's path is an allocation per string.
pub(super) fn content_named<'r>(
    out: &mut Vec<ConfigMatch<'r>>,
    text: &str,
    field: impl FnOnce() -> String,
    whose: &str,
    rules: &'r RuleSet,
) -> bool {
    let matches = rules.find_matches(text.as_bytes());
    if matches.is_empty() {
        return false;
    }
    let field = field();
    for m in &matches {
        let rule = &rules.rules()[m.rule];
        out.push(ConfigMatch {
            rule,
            severity: m.severity,
            confidence: m.confidence,
            secret: Some(m.secret.clone()),
            field: field.clone(),
            message: with_note(
                format!("{} in {whose} ({field})", rule.name),
                m.note.as_deref(),
            ),
            anchor: String::new(),
        });
    }
    true
}

/// A label's or an annotation's `key` and `val`, public metadata both: the value through the
/// content rules, else, a literal under a secret-looking key, judged by `rule_id`. A key that is
/// itself a secret is shown `…` in the field (`field` makes it from the key shown).
fn public_pair<'r>(
    out: &mut Vec<ConfigMatch<'r>>,
    key: &str,
    val: &str,
    field: impl Fn(&str) -> String,
    whose: &str,
    rule_id: &str,
    rules: &'r RuleSet,
) -> bool {
    let secret_key = !rules.find_matches(key.as_bytes()).is_empty();
    let field = field(if secret_key { "…" } else { key });
    let literal = value::classify(val) == value::ValueKind::Literal;
    if !content(out, val, &field, whose, rules) && literal {
        pair(out, key, val, &field, rule_id, rules);
    }
    secret_key
}

/// The annotations of an image's manifest and of the indexes naming it, checked like labels;
/// their keys go through the content rules too (a config's are walked with its other strings).
pub fn annotations<'r>(list: &[Annotation], rules: &'r RuleSet, out: &mut Vec<ConfigMatch<'r>>) {
    for Annotation { place, key, value } in list {
        let field = |key: &str| format!("{place} annotations[{key:?}]");
        let rule = "image.secret-annotation";
        if public_pair(out, key, value, field, ANNOTATIONS, rule, rules) {
            content(out, key, &field("…"), ANNOTATIONS, rules);
        }
    }
}

/// The name-and-value judgement on one pair.
pub(super) fn pair<'r>(
    out: &mut Vec<ConfigMatch<'r>>,
    name: &str,
    val: &str,
    field: &str,
    rule_id: &str,
    rules: &'r RuleSet,
) {
    let judged = match rule_id {
        "image.secret-build-arg" => value::assess_expanded(name, val),
        _ => value::assess(name, val),
    };
    let (Some((severity, kind)), Some(rule)) = (judged, rules.get(rule_id)) else {
        return;
    };
    let what = match kind {
        value::ValueKind::Literal => "holds a literal value",
        value::ValueKind::Empty => "is empty",
        value::ValueKind::Reference => "is set from a variable",
        _ => "holds a placeholder",
    };
    out.push(ConfigMatch {
        rule,
        severity,
        confidence: rule.confidence,
        secret: (kind == value::ValueKind::Literal || kind == value::ValueKind::Placeholder)
            .then(|| val.to_owned()),
        field: field.to_owned(),
        message: format!("{name} looks secret and {what} ({field})"),
        anchor: name.to_owned(),
    });
}

fn history(config: &Value) -> &[Value] {
    config
        .get("history")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// `KEY=value` pairs of a `|N K1=V1 … KN=VN <command>` history entry: the classic builder's
/// form, or BuildKit's `RUN |N K1=V1 … <command> # buildkit` (the default builder since Docker
/// 23.0 records every build argument a `RUN` sees this way).
pub fn build_args(created_by: &str) -> Vec<(&str, &str)> {
    let Some(rest) = strip_run(created_by).1.strip_prefix('|') else {
        return Vec::new();
    };
    let Some((count, mut rest)) = rest.split_once(' ') else {
        return Vec::new();
    };
    let Ok(count) = count.parse::<usize>() else {
        return Vec::new();
    };
    let mut pairs = Vec::new();
    for _ in 0..count.min(1000) {
        let (word, tail) = rest.split_once(' ').unwrap_or((rest, ""));
        let Some(pair) = word.split_once('=') else {
            break;
        };
        pairs.push(pair);
        rest = tail;
    }
    pairs
}

/// `KEY=value` pairs of an `ARG K1=V1 K2 …` history entry, the words after `ARG`: BuildKit
/// records the value each argument had in the build (`--build-arg` included), the classic
/// builder the instruction as written. A name without `=` has no value; the words are joined
/// by spaces, unquoted, so a value with a space is read up to it.
pub fn arg_values(args: &str) -> Vec<(&str, &str)> {
    (args.split(' '))
        .filter_map(|word| word.split_once('='))
        .filter(|(name, _)| !name.is_empty())
        .collect()
}

/// The instruction behind each layer: the non-empty history entries in order, cleaned up for
/// reading (`/bin/sh -c #(nop) COPY …` → `COPY …`, `|1 A=b /bin/sh -c make` → `RUN make`).
pub fn layer_instructions(config: &Value) -> Vec<String> {
    history(config)
        .iter()
        .filter(|h| h.get("empty_layer").and_then(Value::as_bool) != Some(true))
        .map(|h| clean_created_by(h.get("created_by").and_then(Value::as_str).unwrap_or("")))
        .collect()
}

/// `created_by` as the instruction a person wrote.
pub fn clean_created_by(created_by: &str) -> String {
    let text = created_by.trim();
    let text = text.strip_suffix("# buildkit").unwrap_or(text).trim_end();
    // BuildKit: `RUN [|N K=V …] /bin/sh -c …`, or `RUN cmd args` for the exec form; the classic
    // builder: `[|N K=V …] /bin/sh -c …`
    let (run, mut text) = strip_run(text);
    if text.starts_with('|') {
        let args = build_args(text).len();
        let mut rest = text;
        for _ in 0..=args {
            rest = rest.split_once(' ').map_or("", |(_, tail)| tail);
        }
        text = rest.trim_start();
    }
    for shell in ["/bin/sh -c ", "/bin/bash -c ", "cmd /S /C "] {
        if let Some(command) = text.strip_prefix(shell) {
            return match command.trim_start().strip_prefix("#(nop)") {
                Some(nop) => nop.trim().to_owned(),
                None => format!("RUN {}", command.trim()),
            };
        }
    }
    match run {
        true => format!("RUN {text}"),
        false => text.to_owned(),
    }
}

/// Whether `created_by` opens with BuildKit's `RUN `, and the rest.
fn strip_run(created_by: &str) -> (bool, &str) {
    let text = created_by.trim_start();
    match text.strip_prefix("RUN ") {
        Some(rest) => (true, rest.trim_start()),
        None => (false, text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_history_entries() {
        assert_eq!(clean_created_by("/bin/sh -c #(nop)  ENV A=b"), "ENV A=b");
        assert_eq!(
            clean_created_by("/bin/sh -c #(nop) COPY dir:abc in /app "),
            "COPY dir:abc in /app"
        );
        assert_eq!(
            clean_created_by("/bin/sh -c apt-get update"),
            "RUN apt-get update"
        );
        assert_eq!(
            clean_created_by("|2 NPM_TOKEN=npm_x DEBUG=1 /bin/sh -c npm ci # buildkit"),
            "RUN npm ci"
        );
        assert_eq!(
            clean_created_by("RUN /bin/sh -c make # buildkit"),
            "RUN make"
        );
        assert_eq!(
            clean_created_by("COPY app/ /srv/app/ # buildkit"),
            "COPY app/ /srv/app/"
        );
        // BuildKit records the build arguments a RUN sees after its `RUN `
        assert_eq!(
            clean_created_by("RUN |2 NPM_TOKEN=npm_x DEBUG=1 /bin/sh -c npm ci # buildkit"),
            "RUN npm ci"
        );
        // the exec form has no shell to strip, and stays a RUN
        assert_eq!(
            clean_created_by("RUN apt-get install -y curl # buildkit"),
            "RUN apt-get install -y curl"
        );
        assert_eq!(
            clean_created_by("RUN |1 A=b apt-get install # buildkit"),
            "RUN apt-get install"
        );
    }

    #[test]
    fn a_secret_in_many_fields_is_one_finding_naming_them() {
        let token = "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";
        let text = format!(
            r#"{{"config": {{"Env": ["T={token}"], "Labels": {{"t": "{token}"}},
                "Cmd": ["sh", "-c", "x {token}"], "OnBuild": ["RUN x {token}"]}},
                "history": [{{"created_by": "ENV T={token}"}}, {{"created_by": "RUN y {token}"}}]}}"#
        );
        let config: Value = serde_json::from_str(&text).unwrap();
        let rules = RuleSet::builtin().unwrap();
        let mut found = Vec::new();
        check(&config, text.as_bytes(), &rules, &mut found);
        let found = one_per_secret(found);
        let github: Vec<&ConfigMatch<'_>> =
            found.iter().filter(|m| m.rule.id == "github.pat").collect();
        assert_eq!(github.len(), 1);
        assert_eq!(github[0].field, "Env[0]");
        assert!(
            github[0]
                .message
                .ends_with("; also in Labels[\"t\"], Cmd, OnBuild[0] and 2 more"),
            "{}",
            github[0].message
        );
    }

    #[test]
    fn build_args_of_history() {
        assert_eq!(
            build_args("|2 NPM_TOKEN=abc DEBUG=1 /bin/sh -c npm ci"),
            [("NPM_TOKEN", "abc"), ("DEBUG", "1")]
        );
        assert_eq!(
            build_args("RUN |2 NPM_TOKEN=abc DEBUG=1 /bin/sh -c npm ci # buildkit"),
            [("NPM_TOKEN", "abc"), ("DEBUG", "1")]
        );
        assert!(build_args("RUN /bin/sh -c npm ci # buildkit").is_empty());
        assert_eq!(
            arg_values("NPM_TOKEN=abc DEBUG API_KEY=x=y =z"),
            [("NPM_TOKEN", "abc"), ("API_KEY", "x=y")]
        );
        assert!(build_args("/bin/sh -c |2 x").is_empty());
        assert!(build_args("|x A=b").is_empty());
    }
}
