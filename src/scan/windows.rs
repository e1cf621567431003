//! Scanning a layer's file windows on the thread pool while the layer is still being
//! decompressed, so one large layer keeps every core busy. Small files are batched (a task per
//! file would cost more than the scan); windows in flight are capped in bytes (of capacity), and
//! when the cap is reached the reading thread helps run queued scans (`rayon::yield_now`)
//! instead of reading on, so memory stays bounded whatever the layer size. The sink also says
//! where the layer's blob is hashed: inline, or behind the reader ([`super::digest`]).

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::layer::decode::Inline;
use crate::layer::{Digest, Scanned, Window, WindowSink};
use crate::rules::RuleSet;

/// Most window bytes queued or being scanned for one layer.
const MAX_IN_FLIGHT: usize = 8 << 20;
/// Windows are grouped into tasks of about this many bytes.
const BATCH: usize = 1 << 20;
/// What a window counts for at least, in batches and in flight: a tiny file's window costs its
/// allocations, not its byte, so a million empty files never queue up at once.
const MIN_WINDOW_COST: usize = 4 << 10;

type Scans = Mutex<Vec<Scanned>>;

/// A [`WindowSink`] that scans on a rayon scope.
pub struct Parallel<'s, 'scope> {
    scope: &'s rayon::Scope<'scope>,
    rules: &'scope RuleSet,
    scans: &'scope Scans,
    in_flight: &'scope AtomicUsize,
    batch: Vec<Window>,
    batch_bytes: usize,
    hash_behind: bool,
}

/// State shared by a layer's tasks; lives outside the scope.
#[derive(Default)]
pub struct Shared {
    scans: Scans,
    in_flight: AtomicUsize,
}

impl<'s, 'scope> Parallel<'s, 'scope> {
    /// A sink spawning on `scope`; `hash_behind` hashes the layer's blob on the pool too
    /// ([`super::digest::Behind`]) instead of on the reading thread.
    pub fn new(
        scope: &'s rayon::Scope<'scope>,
        rules: &'scope RuleSet,
        shared: &'scope Shared,
        hash_behind: bool,
    ) -> Self {
        Parallel {
            scope,
            rules,
            scans: &shared.scans,
            in_flight: &shared.in_flight,
            batch: Vec::new(),
            batch_bytes: 0,
            hash_behind,
        }
    }

    fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut self.batch);
        let bytes = std::mem::take(&mut self.batch_bytes);
        self.in_flight.fetch_add(bytes, Ordering::AcqRel);
        let (rules, scans, in_flight) = (self.rules, self.scans, self.in_flight);
        self.scope.spawn(move |_| {
            let done: Vec<Scanned> = batch.into_iter().flat_map(|w| w.scan(rules)).collect();
            if let Ok(mut scans) = scans.lock() {
                scans.extend(done);
            }
            in_flight.fetch_sub(bytes, Ordering::AcqRel);
        });
        self.wait_below(MAX_IN_FLIGHT);
    }

    /// Runs queued scans on this thread until fewer than `limit` bytes are in flight.
    fn wait_below(&self, limit: usize) {
        while self.in_flight.load(Ordering::Acquire) > limit {
            if rayon::yield_now() != Some(rayon::Yield::Executed) {
                std::thread::yield_now();
            }
        }
    }
}

impl WindowSink for Parallel<'_, '_> {
    fn window(&mut self, window: Window) {
        self.batch_bytes += window.bytes.capacity().max(MIN_WINDOW_COST);
        self.batch.push(window);
        if self.batch_bytes >= BATCH {
            self.flush();
        }
    }

    fn digest(&self) -> Box<dyn Digest> {
        if self.hash_behind {
            Box::new(super::digest::Behind::new())
        } else {
            Box::new(Inline::default())
        }
    }

    fn finish(&mut self) -> Vec<Scanned> {
        self.flush();
        self.wait_below(0);
        self.scans
            .lock()
            .map(|mut s| std::mem::take(&mut *s))
            .unwrap_or_default()
    }
}
