//! The whole image path from arbitrary bytes on standard input: sniffing, gzip and zstd, the tar
//! index, index/manifest/config parsing (OCI, docker save, dir:, filesystem tars), every layer,
//! the report. Must never panic.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use stowaway::{Input, Options, RuleSet, scan};

static RULES: LazyLock<RuleSet> = LazyLock::new(|| RuleSet::builtin().expect("builtin rules"));

fuzz_target!(|data: &[u8]| {
    let options = Options {
        context: stowaway::ContextChoice::Off,
        filesystem_tars: true, // as `scan -`: a tar that is no image export is one layer
        ..Options::default()
    };
    let mut report = scan(vec![Input::stdin_bytes(data.to_vec())], &RULES, &options);
    report.redact();
    let mut out = Vec::new();
    let _ = stowaway::report::json::render(&report, &mut out);
});
