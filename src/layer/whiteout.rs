//! What a layer adds and removes, in the overlay semantics of the OCI image spec: a file named
//! `.wh.<name>` deletes `<name>` from lower layers, `.wh..wh..opq` in a directory hides
//! everything lower layers put in it, and any entry at a path replaces the lower one.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

const WHITEOUT: &str = ".wh.";
const OPAQUE: &str = ".wh..wh..opq";

/// The paths one layer touches, kept as 64-bit path hashes (a layer of a million entries, or of
/// a million whiteouts with 4 KiB names, costs megabytes, not the paths themselves); a false
/// "overwritten" or "deleted" would need a hash collision between two paths of the image.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LayerIndex {
    /// Hashes of the entries the layer writes (files, directories, links).
    pub written: HashSet<u64>,
    /// Hashes of the directories the layer writes (a directory replacing a directory merges,
    /// it does not hide).
    pub dirs: HashSet<u64>,
    /// Hashes of the paths the layer deletes from lower layers.
    pub deleted: HashSet<u64>,
    /// Hashes of the directories the layer makes opaque.
    pub opaque: HashSet<u64>,
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

/// The hash a path is kept as (SipHash with fixed keys: the same in every run).
fn key(path: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    path.hash(&mut hasher);
    hasher.finish()
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
