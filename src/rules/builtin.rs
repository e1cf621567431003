//! The rule files embedded in the binary (`rules/*.toml`, one per provider): their texts, and
//! their rules as `RuleSpec`s read at build time by `build.rs` (so a run parses no TOML for
//! them), and the origin prefix that marks them, so their patterns may compile on first use.

use serde::Deserialize;
use serde::de::value::{Error as ValueError, StrDeserializer};

use super::spec::RuleSpec;
use super::validate::Validator;
use crate::finding::{Confidence, Severity};

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// The origin prefix of embedded rule files; their patterns compile on first use.
pub(super) const BUILTIN_ORIGIN: &str = "builtin:";

/// The embedded rules as `(origin, specs)` pairs, as `toml::from_str` would read them (a unit
/// test holds the two equal).
pub(super) fn builtin_specs() -> Vec<(String, Vec<RuleSpec>)> {
    specs()
        .into_iter()
        .map(|(name, rules)| (format!("{BUILTIN_ORIGIN}{name}"), rules))
        .collect()
}

/// A value as `build.rs` writes it; the field it is given to converts it ([`FromLit`]).
enum Lit {
    Str(&'static str),
    Bool(bool),
    Num(f64),
    List(&'static [&'static str]),
}

/// A field of [`RuleSpec`] made from a [`Lit`]; a kind the field cannot hold panics, which the
/// unit test comparing with the TOML reading would show.
trait FromLit: Sized {
    fn from_lit(lit: Lit) -> Self;
}

fn lit<T: FromLit>(lit: Lit) -> T {
    T::from_lit(lit)
}

fn text(lit: Lit) -> &'static str {
    match lit {
        Lit::Str(s) => s,
        _ => panic!("a built-in rule field that should be a string is not"),
    }
}

/// An enum spelled as in the file, through its own `Deserialize`.
fn variant<T: Deserialize<'static>>(lit: Lit) -> T {
    let name = text(lit);
    T::deserialize(StrDeserializer::<ValueError>::new(name))
        .unwrap_or_else(|e| panic!("built-in rule value {name:?}: {e}"))
}

impl FromLit for String {
    fn from_lit(lit: Lit) -> Self {
        text(lit).to_owned()
    }
}

impl FromLit for Option<String> {
    fn from_lit(lit: Lit) -> Self {
        Some(text(lit).to_owned())
    }
}

impl FromLit for Vec<String> {
    fn from_lit(lit: Lit) -> Self {
        match lit {
            Lit::List(items) => items.iter().map(|s| (*s).to_owned()).collect(),
            _ => panic!("a built-in rule field that should be a list is not"),
        }
    }
}

impl FromLit for bool {
    fn from_lit(lit: Lit) -> Self {
        match lit {
            Lit::Bool(b) => b,
            _ => panic!("a built-in rule field that should be a bool is not"),
        }
    }
}

impl FromLit for Option<f64> {
    fn from_lit(lit: Lit) -> Self {
        match lit {
            Lit::Num(n) => Some(n),
            _ => panic!("a built-in rule field that should be a number is not"),
        }
    }
}

impl FromLit for Severity {
    fn from_lit(lit: Lit) -> Self {
        variant(lit)
    }
}

impl FromLit for Confidence {
    fn from_lit(lit: Lit) -> Self {
        variant(lit)
    }
}

impl FromLit for Option<Validator> {
    fn from_lit(lit: Lit) -> Self {
        Some(variant(lit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::spec::RuleFileSpec;

    #[test]
    fn the_build_time_reading_equals_the_toml_reading_of_every_file() {
        let specs = builtin_specs();
        assert_eq!(specs.len(), BUILTIN_FILES.len());
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/rules");
        let on_disk = std::fs::read_dir(dir).unwrap().filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            let name = name.to_string_lossy();
            name.ends_with(".toml") && name != "public-keys.toml"
        });
        assert_eq!(
            on_disk.count(),
            BUILTIN_FILES.len(),
            "every rule file is built in"
        );
        for ((origin, rules), (name, text)) in specs.into_iter().zip(BUILTIN_FILES) {
            assert_eq!(origin, format!("{BUILTIN_ORIGIN}{name}"));
            let parsed: RuleFileSpec = toml::from_str(text).unwrap();
            assert_eq!(rules, parsed.rule, "{name}");
        }
    }
}
