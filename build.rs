//! Turns the built-in rule files (`rules/*.toml`) into Rust data at build time, so a run does
//! not parse 100 KB of TOML before it scans (1.2–1.5 ms of the 10 ms a pre-commit hook has for
//! one Dockerfile). The output, `$OUT_DIR/builtin_rules.rs`, holds the files' texts (public as
//! `BUILTIN_FILES`, and what the unit test proving both readings equal parses) and each rule as
//! a static list of `(key, Lit)` pairs, which `src/rules/builtin.rs` hands to `RuleSpec`'s own
//! `Deserialize` (so field names, defaults and unknown keys are judged by the one definition).
//! Data, not code: a function building the specs took the compiler minutes to optimise.

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
            specs.push_str("        &[\n");
            for (key, value) in rule {
                let _ = writeln!(specs, "            ({key:?}, {}),", literal(value));
            }
            specs.push_str("        ],\n");
        }
        specs.push_str("    ]),\n");
    }
    files.push_str("];\n\n");
    specs.push_str("];\n");
    let out =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("builtin_rules.rs");
    std::fs::write(out, files + &specs).expect("OUT_DIR is writable");
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
