//! The rule files embedded in the binary (`rules/*.toml`, one per provider): their texts, and
//! their rules read at build time by `build.rs` into static `(key, value)` lists that
//! [`RuleSpec`]'s own `Deserialize` turns into specs here (so a run parses no TOML for them);
//! and the origin prefix that marks them, so their patterns may compile on first use.

use serde::Deserialize;
use serde::de::value::{Error as ValueError, MapDeserializer, SeqDeserializer};
use serde::de::{Deserializer, IntoDeserializer, Visitor};

use super::spec::RuleSpec;
use crate::error::{Error, Result};

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// The origin prefix of embedded rule files; their patterns compile on first use.
pub(super) const BUILTIN_ORIGIN: &str = "builtin:";

/// The embedded rules as `(origin, specs)` pairs, as `toml::from_str` reads the files (a unit
/// test holds the two equal).
pub(super) fn builtin_specs() -> Result<Vec<(String, Vec<RuleSpec>)>> {
    RULES
        .iter()
        .map(|(name, rules)| {
            let origin = format!("{BUILTIN_ORIGIN}{name}");
            let specs = rules
                .iter()
                .map(|fields| RuleSpec::deserialize(MapDeserializer::new(fields.iter().copied())))
                .collect::<std::result::Result<Vec<_>, ValueError>>()
                .map_err(|e| Error::RuleFile {
                    file: origin.clone(),
                    message: e.to_string(),
                })?;
            Ok((origin, specs))
        })
        .collect()
}

/// The literals, ASCII-lowercased, one of which ends every match of a built-in path
/// `pattern` (all of whose matches end the path); `None` for any other pattern.
pub(super) fn path_suffixes(pattern: &str) -> Option<&'static [&'static str]> {
    PATH_SUFFIXES
        .iter()
        .find(|(known, _)| *known == pattern)
        .map(|(_, ends)| *ends)
}

/// One rule as `build.rs` writes it: its keys and values.
type Fields = &'static [(&'static str, Lit)];

/// A value as `build.rs` writes it: the kinds a rule file holds.
#[derive(Debug, Clone, Copy)]
enum Lit {
    Str(&'static str),
    Bool(bool),
    Num(f64),
    List(&'static [&'static str]),
}

impl<'de> IntoDeserializer<'de, ValueError> for Lit {
    type Deserializer = Lit;

    fn into_deserializer(self) -> Lit {
        self
    }
}

/// A [`Lit`] read as TOML's deserializer would read the value: `Option` fields take it as
/// present, enum fields (`severity = "high"`) take a string as the variant's name.
impl<'de> Deserializer<'de> for Lit {
    type Error = ValueError;

    fn deserialize_any<V: Visitor<'de>>(
        self,
        visitor: V,
    ) -> std::result::Result<V::Value, ValueError> {
        match self {
            Lit::Str(s) => visitor.visit_str(s),
            Lit::Bool(b) => visitor.visit_bool(b),
            Lit::Num(n) => visitor.visit_f64(n),
            Lit::List(items) => visitor.visit_seq(SeqDeserializer::new(items.iter().copied())),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(
        self,
        visitor: V,
    ) -> std::result::Result<V::Value, ValueError> {
        visitor.visit_some(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> std::result::Result<V::Value, ValueError> {
        match self {
            Lit::Str(s) => s
                .into_deserializer()
                .deserialize_enum(name, variants, visitor),
            other => other.deserialize_any(visitor),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct newtype_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::spec::RuleFileSpec;

    #[test]
    fn the_build_time_reading_equals_the_toml_reading_of_every_file() {
        let specs = builtin_specs().expect("the built-in data deserializes");
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

    #[test]
    fn a_key_the_spec_lacks_or_a_missing_required_one_is_an_error() {
        let read =
            |fields: Fields| RuleSpec::deserialize(MapDeserializer::new(fields.iter().copied()));
        let base: &[(&str, Lit)] = &[
            ("id", Lit::Str("x.y")),
            ("name", Lit::Str("X")),
            ("severity", Lit::Str("high")),
            ("description", Lit::Str("d")),
            ("remediation", Lit::Str("r")),
            ("min_entropy", Lit::Num(3.0)),
            ("keywords", Lit::List(&["k"])),
            ("check", Lit::Bool(true)),
        ];
        let spec = read(base).unwrap();
        assert_eq!(
            (spec.min_entropy, spec.keywords, spec.check),
            (Some(3.0), vec!["k".into()], true)
        );
        assert!(read(&[("id", Lit::Str("x.y")), ("colour", Lit::Str("red"))]).is_err());
        assert!(read(&base[1..]).is_err(), "id is required");
        assert!(read(&[("severity", Lit::Str("dire"))]).is_err());
    }
}
