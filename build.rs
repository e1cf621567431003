//! Turns the built-in rule files (`rules/*.toml`) into Rust data at build time, so a run does
//! not parse 100 KB of TOML before it scans (1.2–1.5 ms of the 10 ms a pre-commit hook has for
//! one Dockerfile). The output, `$OUT_DIR/builtin_rules.rs`, holds the files' texts (public as
//! `BUILTIN_FILES`, and what the unit test proving both readings equal parses) and each rule as
//! a static list of `(key, Lit)` pairs, which `src/rules/builtin.rs` hands to `RuleSpec`'s own
//! `Deserialize` (so field names, defaults and unknown keys are judged by the one definition).
//! Data, not code: a function building the specs took the compiler minutes to optimise.
//! It also writes, for each path pattern whose matches all end the path, the literals one of
//! which ends every match (`PATH_SUFFIXES`): a path ending in none of them cannot match, so most
//! paths are judged without the path rules' automaton (building it was 4.2 of the 9.0 million
//! instructions of checking a clean Dockerfile with a build context).

use std::fmt::Write as _;
use std::path::Path;

/// The one TOML file in `rules/` that holds no rules: the private keys their software
/// publishes, read by `src/rules/validate.rs` when a key is found.
const NOT_RULES: &str = "public-keys.toml";

fn main() {
    println!("cargo::rerun-if-changed=rules");
    let mut names: Vec<String> = std::fs::read_dir("rules")
        .expect("rules/ is readable")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".toml") && n != NOT_RULES)
        .collect();
    names.sort();
    let mut files = String::from("/// The rule files compiled into the binary, by file name.\n");
    files.push_str("pub const BUILTIN_FILES: &[(&str, &str)] = &[\n");
    let mut suffixes = String::from(
        "/// Built-in path patterns whose matches end the path, with the ASCII-lowercased \
         literals one of which ends every match.\n",
    );
    suffixes.push_str("static PATH_SUFFIXES: &[(&str, &[&str])] = &[\n");
    let mut specs = String::from("/// Each built-in file's rules as `(key, value)` lists.\n");
    specs.push_str("static RULES: &[(&str, &[Fields])] = &[\n");
    for name in &names {
        let path = Path::new("rules").join(name);
        let text = std::fs::read_to_string(&path).expect("rule file is UTF-8");
        let table: toml::Table = text
            .parse()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let _ = writeln!(
            files,
            "    ({name:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/rules/{name}\"))),"
        );
        let _ = writeln!(specs, "    ({name:?}, &[");
        let rules = match table.get("rule") {
            Some(toml::Value::Array(rules)) => rules.as_slice(),
            _ => &[],
        };
        for rule in rules {
            let toml::Value::Table(rule) = rule else {
                panic!("{}: a [[rule]] that is not a table", path.display());
            };
            if let Some(toml::Value::String(pattern)) = rule.get("path")
                && let Some(ends) = path_suffixes(pattern)
            {
                let _ = writeln!(suffixes, "    ({pattern:?}, &{ends:?}),");
            }
            specs.push_str("        &[\n");
            for (key, value) in rule {
                let _ = writeln!(specs, "            ({key:?}, {}),", literal(value));
            }
            specs.push_str("        ],\n");
        }
        specs.push_str("    ]),\n");
    }
    files.push_str("];\n\n");
    specs.push_str("];\n\n");
    suffixes.push_str("];\n");
    let out =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("builtin_rules.rs");
    std::fs::write(out, files + &specs + &suffixes).expect("OUT_DIR is writable");
}

/// The literals, ASCII-lowercased, one of which ends every match of `pattern` (compiled as path
/// rules are: Unicode off), when every match ends the path (`$`) and the set is finite with no
/// empty literal; `None` otherwise (the pattern is then always searched).
fn path_suffixes(pattern: &str) -> Option<Vec<String>> {
    use regex_syntax::hir::Look;
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()?;
    if !hir.properties().look_set_suffix().contains(Look::End) {
        return None;
    }
    let seq = Extractor::new()
        .kind(ExtractKind::Suffix)
        .extract(&fold(&hir));
    let mut ends = Vec::new();
    for literal in seq.literals()? {
        let text = std::str::from_utf8(literal.as_bytes()).ok()?;
        if text.is_empty() {
            return None;
        }
        ends.push(text.to_ascii_lowercase());
    }
    ends.sort();
    ends.dedup();
    Some(ends)
}

/// A TOML value as a `Lit` (`src/rules/builtin.rs`): a string (`Debug` writes a valid Rust
/// string literal), a bool, a number, or a list of strings; nothing else occurs in a rule.
fn literal(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => format!("Lit::Str({s:?})"),
        toml::Value::Boolean(b) => format!("Lit::Bool({b})"),
        toml::Value::Float(f) => format!("Lit::Num({f:?})"),
        toml::Value::Integer(i) => format!("Lit::Num({i}.0)"),
        toml::Value::Array(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|item| match item {
                    toml::Value::String(s) => format!("{s:?}"),
                    other => panic!("rule files list only strings, not {other:?}"),
                })
                .collect();
            format!("Lit::List(&[{}])", items.join(", "))
        }
        other => panic!("rule files hold no {}: {other:?}", other.type_str()),
    }
}

/// `hir` with each class of one ASCII letter in both cases (what `(?i)` makes of a letter) read
/// as the lowercase letter. The run-time test ignores ASCII case, so it may: a path the pattern
/// matches, its letters under such classes lowercased, is matched by the folded pattern, and
/// ends in one of its suffixes but for case. Without the fold, `(?i)` multiplies the literals
/// (two cases per letter) past the extractor's limits.
fn fold(hir: &regex_syntax::hir::Hir) -> regex_syntax::hir::Hir {
    use regex_syntax::hir::{Capture, Class, Hir, HirKind, Repetition};
    let all = |subs: &[Hir]| subs.iter().map(fold).collect::<Vec<_>>();
    match hir.kind() {
        HirKind::Class(Class::Bytes(class)) => match class.ranges() {
            [upper, lower]
                if upper.start() == upper.end()
                    && lower.start() == lower.end()
                    && upper.start().is_ascii_uppercase()
                    && lower.start() == upper.start().to_ascii_lowercase() =>
            {
                Hir::literal([lower.start()])
            }
            _ => hir.clone(),
        },
        HirKind::Repetition(rep) => Hir::repetition(Repetition {
            min: rep.min,
            max: rep.max,
            greedy: rep.greedy,
            sub: Box::new(fold(&rep.sub)),
        }),
        HirKind::Capture(cap) => Hir::capture(Capture {
            index: cap.index,
            name: cap.name.clone(),
            sub: Box::new(fold(&cap.sub)),
        }),
        HirKind::Concat(subs) => Hir::concat(all(subs)),
        HirKind::Alternation(subs) => Hir::alternation(all(subs)),
        _ => hir.clone(),
    }
}
