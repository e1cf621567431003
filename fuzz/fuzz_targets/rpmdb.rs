//! rpm's SQLite package database from arbitrary bytes: pages, b-trees, overflow chains, records
//! and rpm headers. Must never panic, and every walk must end.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = stowaway::image::rpmdb::files(data);
});
