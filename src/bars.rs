//! The progress bar: one indicatif bar per image input (bytes read of total), drawn on standard
//! error only when it is a terminal and `--quiet` is not given.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use stowaway::scan::Progress;

/// Bars for the images being scanned.
pub struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl Bars {
    pub fn new() -> Arc<Bars> {
        Arc::new(Bars {
            multi: MultiProgress::new(),
            bars: Mutex::new(HashMap::new()),
        })
    }

    fn bar(&self, source: &str) -> Option<ProgressBar> {
        self.bars.lock().ok()?.get(source).cloned()
    }
}

impl Progress for Bars {
    fn started(&self, source: &str, total: u64) {
        // a stream's size is unknown: bytes and rate, no bar
        let template = match total {
            0 => "{msg:30!} {spinner:30} {binary_bytes:>10} {binary_bytes_per_sec:>23}",
            _ => {
                "{msg:30!} {bar:30} {binary_bytes:>10}/{binary_total_bytes:<10} {binary_bytes_per_sec:>12}"
            }
        };
        let style =
            ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar());
        let bar = self.multi.add(ProgressBar::new(total).with_style(style));
        bar.set_message(stowaway::report::escape::escape(source).into_owned());
        if let Ok(mut bars) = self.bars.lock() {
            bars.insert(source.to_owned(), bar);
        }
    }

    fn advanced(&self, source: &str, bytes: u64) {
        if let Some(bar) = self.bar(source) {
            bar.inc(bytes);
        }
    }

    fn finished(&self, source: &str) {
        if let Some(bar) = self.bar(source) {
            bar.finish_and_clear();
        }
    }
}
