//! One layer blob from arbitrary bytes: compression sniffing, tar entries, nested archives,
//! whiteouts, windows. Must never panic.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use stowaway::RuleSet;
use stowaway::layer::{Limits, Scanned, Window, WindowSink};

static RULES: LazyLock<RuleSet> = LazyLock::new(|| RuleSet::builtin().expect("builtin rules"));

/// Scans windows on the calling thread.
struct Inline(Vec<Scanned>);

impl WindowSink for Inline {
    fn window(&mut self, window: Window) {
        self.0.extend(window.scan(&RULES));
    }

    fn finish(&mut self) -> Vec<Scanned> {
        std::mem::take(&mut self.0)
    }
}

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_layer_bytes: 64 << 20,
        max_nested_bytes: 16 << 20,
        ..Limits::default()
    };
    let _ = stowaway::layer::scan(data, None, &RULES, limits, &mut Inline(Vec::new()));
});
