//! What a layer adds and removes, in the overlay semantics of the OCI image spec: a file named
//! `.wh.<name>` deletes `<name>` from lower layers, `.wh..wh..opq` in a directory hides
//! everything lower layers put in it, and any entry at a path replaces the lower one.

use std::collections::HashSet;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::sync::OnceLock;

const WHITEOUT: &str = ".wh.";
const OPAQUE: &str = ".wh..wh..opq";

/// The paths one layer touches, kept as 64-bit path hashes (a layer of a million entries, or of
/// a million whiteouts with 4 KiB names, costs megabytes, not the paths themselves); a false
/// "overwritten" or "deleted" would need a hash collision between two paths of the image, and
/// the hash's keys are drawn anew in each run, so no image can be made to have one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LayerIndex {
    /// Hashes of the entries the layer writes (files, directories, links).
    pub written: Keys,
    /// Hashes of the directories the layer writes (a directory replacing a directory merges,
    /// it does not hide).
    pub dirs: Keys,
    /// Hashes of the paths the layer deletes from lower layers.
    pub deleted: Keys,
    /// Hashes of the directories the layer makes opaque.
    pub opaque: Keys,
}

/// A set of path keys. Each is already a keyed hash, so the set takes it as its own hash
/// instead of hashing it again (a second SipHash per entry and per lookup).
pub type Keys = HashSet<u64, BuildHasherDefault<AsIs>>;

/// The hasher of [`Keys`]: a `u64` is its own hash.
#[derive(Default)]
pub struct AsIs(u64);

impl Hasher for AsIs {
    fn write(&mut self, bytes: &[u8]) {
        // only `u64`s are hashed here; anything else still gets a hash, never a panic
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// What a later layer did to a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Removed it (a whiteout of it or of a parent, or an opaque parent).
    Deleted,
    /// Wrote another entry at the same path.
    Overwritten,
}

impl LayerIndex {
    /// Records one entry; returns true when it is a whiteout marker rather than content.
    pub fn record(&mut self, path: &str, is_dir: bool) -> bool {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        if name == OPAQUE {
            self.opaque.insert(key(dir));
            return true;
        }
        if let Some(target) = name.strip_prefix(WHITEOUT) {
            let deleted = match dir.is_empty() {
                true => key(target),
                false => key(&format!("{dir}/{target}")),
            };
            self.deleted.insert(deleted);
            return true;
        }
        if is_dir {
            self.dirs.insert(key(path));
        }
        self.written.insert(key(path));
        false
    }

    /// What this layer does to `path` from a lower layer, if anything.
    pub fn change(&self, path: &str) -> Option<Change> {
        let mut ancestor = path;
        loop {
            if self.deleted.contains(&key(ancestor)) {
                return Some(Change::Deleted);
            }
            let Some((parent, _)) = ancestor.rsplit_once('/') else {
                break;
            };
            if self.opaque.contains(&key(parent)) {
                return Some(Change::Deleted);
            }
            if self.written.contains(&key(parent)) && !self.dirs.contains(&key(parent)) {
                return Some(Change::Deleted); // a parent directory replaced by a file or link
            }
            ancestor = parent;
        }
        if self.opaque.contains(&key("")) && !path.is_empty() {
            return Some(Change::Deleted);
        }
        self.written
            .contains(&key(path))
            .then_some(Change::Overwritten)
    }
}

/// The hash a path is kept as: SipHash with keys drawn once per run, the same for every layer
/// of the run (layers are compared with each other) and unknown outside it.
fn key(path: &str) -> u64 {
    static KEYS: OnceLock<RandomState> = OnceLock::new();
    KEYS.get_or_init(RandomState::new).hash_one(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(entries: &[(&str, bool)]) -> LayerIndex {
        let mut index = LayerIndex::default();
        for (path, dir) in entries {
            index.record(path, *dir);
        }
        index
    }

    #[test]
    fn whiteouts_opaque_dirs_and_overwrites() {
        let layer = index(&[
            ("app/.wh.id_rsa", false),
            ("etc/.wh..wh..opq", false),
            ("srv/config.json", false),
            (".wh.tmp", false),
            ("opt", false),
        ]);
        assert_eq!(layer.change("app/id_rsa"), Some(Change::Deleted));
        assert_eq!(layer.change("app/other"), None);
        assert_eq!(layer.change("etc/secret/x"), Some(Change::Deleted));
        assert_eq!(layer.change("srv/config.json"), Some(Change::Overwritten));
        assert_eq!(layer.change("tmp/a/b"), Some(Change::Deleted));
        assert_eq!(layer.change("opt/x"), Some(Change::Deleted));
        assert_eq!(layer.change("etcx"), None);
    }
}
