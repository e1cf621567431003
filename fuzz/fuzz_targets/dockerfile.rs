//! The Dockerfile parser and every check, on arbitrary bytes: must never panic.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use stowaway::RuleSet;
use stowaway::dockerfile::{Dockerfile, checks};

static RULES: LazyLock<RuleSet> = LazyLock::new(|| RuleSet::builtin().expect("builtin rules"));

fuzz_target!(|data: &[u8]| {
    let dockerfile = Dockerfile::from_bytes(data);
    let inputs = checks::Inputs {
        source: "fuzz",
        rules: &RULES,
        context: None,
        target: None,
    };
    let checked = checks::check(&dockerfile, inputs);
    for finding in &checked.findings {
        let _ = finding.sort_key();
    }
});
