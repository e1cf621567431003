//! The build context: which files a build would send, after `.dockerignore`, and which of them
//! a `COPY`/`ADD` source selects.
//!
//! The context is listed once (never followed through symlinks, capped at
//! [`MAX_CONTEXT_ENTRIES`]) and shared by every Dockerfile that uses it. File contents are not
//! read here; only names are judged.

use std::path::{Path, PathBuf};

use regex::Regex;

use super::dockerignore::{self, Dockerignore};
use crate::error::ScanError;

/// The most entries listed from one context; beyond it the listing stops with an error.
pub const MAX_CONTEXT_ENTRIES: usize = 200_000;

/// A listed build context.
#[derive(Debug, Clone)]
pub struct Context {
    /// The directory as given (for display).
    pub root: PathBuf,
    /// Files (and symlinks) the builder would receive, `/`-separated, relative, sorted.
    pub files: Vec<String>,
}

impl Context {
    /// Lists `root`, honouring `<dockerfile name>.dockerignore` beside the Dockerfile or
    /// `.dockerignore` at the root, as BuildKit does. Unreadable directories become errors.
    pub fn load(root: &Path, dockerfile: Option<&Path>) -> (Context, Vec<ScanError>) {
        let ignore = load_ignore(root, dockerfile);
        let mut files = Vec::new();
        let mut errors = Vec::new();
        let mut stack = vec![String::new()];
        let mut entries = 0usize;
        let display = root.display().to_string();
        while let Some(dir) = stack.pop() {
            let read = match std::fs::read_dir(root.join(&dir)) {
                Ok(read) => read,
                Err(e) => {
                    let path = if dir.is_empty() { ".".into() } else { dir.clone() };
                    errors.push(ScanError::new(&display, format!("cannot list: {e}")).in_path(path));
                    continue;
                }
            };
            for entry in read.flatten() {
                entries += 1;
                if entries > MAX_CONTEXT_ENTRIES {
                    let message = format!("more than {MAX_CONTEXT_ENTRIES} entries; listing stopped");
                    errors.push(ScanError::new(&display, message));
                    files.sort();
                    return (Context { root: root.into(), files }, errors);
                }
                let name = entry.file_name().to_string_lossy().into_owned();
                let path = if dir.is_empty() { name } else { format!("{dir}/{name}") };
                let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
                let excluded = ignore.is_excluded(&path);
                if is_dir {
                    if !excluded || ignore.has_exceptions() {
                        stack.push(path);
                    }
                } else if !excluded {
                    files.push(path);
                }
            }
        }
        files.sort();
        (Context { root: root.into(), files }, errors)
    }

    /// The files a `COPY`/`ADD` source pattern selects: the file itself, or everything under a
    /// matching directory; `.` selects the whole context. Patterns use Go `filepath.Match`.
    pub fn select<'a>(&'a self, source: &str, excludes: &[String]) -> Vec<&'a str> {
        let cleaned = dockerignore::clean(source.trim_start_matches('/'));
        let excludes = Dockerignore::parse(&excludes.join("\n"));
        let everything = cleaned == "." || cleaned.is_empty();
        let Ok(regex) = Regex::new(&dockerignore::glob_regex(&cleaned, false)) else {
            return Vec::new();
        };
        self.files
            .iter()
            .map(String::as_str)
            .filter(|file| everything || selects(&regex, file))
            .filter(|file| !excludes.is_excluded(file))
            .collect()
    }
}

fn selects(regex: &Regex, file: &str) -> bool {
    regex.is_match(file)
        || file
            .match_indices('/')
            .any(|(i, _)| regex.is_match(&file[..i]))
}

fn load_ignore(root: &Path, dockerfile: Option<&Path>) -> Dockerignore {
    let beside = dockerfile.and_then(|df| {
        let name = df.file_name()?.to_string_lossy().into_owned();
        Some(df.with_file_name(format!("{name}.dockerignore")))
    });
    let candidates = beside.into_iter().chain([root.join(".dockerignore")]);
    for candidate in candidates {
        if let Ok(text) = std::fs::read_to_string(&candidate) {
            return Dockerignore::parse(&text);
        }
    }
    Dockerignore::default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(files: &[&str]) -> Context {
        Context {
            root: PathBuf::from("ctx"),
            files: files.iter().map(|f| (*f).to_owned()).collect(),
        }
    }

    #[test]
    fn selects_files_dirs_and_globs() {
        let ctx = context(&[".env", "app/main.py", "app/keys/id_rsa", "a.json", "b.json"]);
        assert_eq!(ctx.select(".", &[]).len(), 5);
        assert_eq!(ctx.select("./app/", &[]), ["app/main.py", "app/keys/id_rsa"]);
        assert_eq!(ctx.select("*.json", &[]), ["a.json", "b.json"]);
        assert_eq!(ctx.select(".env", &[]), [".env"]);
        assert_eq!(ctx.select("app", &["**/id_rsa".into()]), ["app/main.py"]);
        assert!(ctx.select("missing", &[]).is_empty());
    }
}
