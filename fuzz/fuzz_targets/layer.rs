//! One layer blob from arbitrary bytes: compression sniffing, tar entries, nested archives,
//! whiteouts, windows. Must never panic.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use stowaway::RuleSet;
use stowaway::layer::chunk::{self, WindowScan};
use stowaway::layer::{Limits, WindowSink};

static RULES: LazyLock<RuleSet> = LazyLock::new(|| RuleSet::builtin().expect("builtin rules"));

/// Scans windows on the calling thread.
struct Inline(Vec<(usize, usize, WindowScan)>);

impl WindowSink for Inline {
    fn window(&mut self, file: usize, index: usize, window: Vec<u8>, keep_from: usize) {
        self.0
            .push((file, index, chunk::scan_window(&window, keep_from, &RULES)));
    }

    fn finish(&mut self) -> Vec<(usize, usize, WindowScan)> {
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
