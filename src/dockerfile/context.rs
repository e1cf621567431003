//! The build context: which files a build would send, after `.dockerignore`, and which of them
//! a `COPY`/`ADD` source selects.
//!
//! The context is listed once (never followed through symlinks, capped at
//! [`MAX_CONTEXT_ENTRIES`]) and shared by every Dockerfile that uses it. Each file name is judged
//! against the path rules once, while listing, and only secret-named files are kept, so a
//! `COPY . .` costs the number of secret files, not the size of the context. File contents are
//! not read here.

use std::path::{Path, PathBuf};

use super::dockerignore::{self, Dockerignore, Glob};
use crate::error::ScanError;
use crate::rules::{Rule, RuleSet};

/// The most entries listed from one context; beyond it the listing stops with an error.
pub const MAX_CONTEXT_ENTRIES: usize = 200_000;

/// A listed build context.
#[derive(Debug, Clone)]
pub struct Context<'r> {
    /// The directory as given (for display).
    pub root: PathBuf,
    /// How many files (and symlinks) the builder would receive.
    pub sent: usize,
    /// The secret-named files among them (`/`-separated, relative, sorted) and the path rule
    /// each matches.
    pub secret_files: Vec<(String, &'r Rule)>,
}

impl<'r> Context<'r> {
    /// Lists `root`, honouring `<dockerfile name>.dockerignore` beside the Dockerfile or
    /// `.dockerignore` at the root, as BuildKit does. Unreadable directories become errors.
    pub fn load(
        root: &Path,
        dockerfile: Option<&Path>,
        rules: &'r RuleSet,
    ) -> (Context<'r>, Vec<ScanError>) {
        let ignore = load_ignore(root, dockerfile);
        let mut context = Context {
            root: root.into(),
            sent: 0,
            secret_files: Vec::new(),
        };
        let mut errors = Vec::new();
        let mut stack = vec![String::new()];
        let mut entries = 0usize;
        let display = root.display().to_string();
        while let Some(dir) = stack.pop() {
            let read = match std::fs::read_dir(root.join(&dir)) {
                Ok(read) => read,
                Err(e) => {
                    let path = if dir.is_empty() {
                        ".".into()
                    } else {
                        dir.clone()
                    };
                    errors
                        .push(ScanError::new(&display, format!("cannot list: {e}")).in_path(path));
                    continue;
                }
            };
            for entry in read.flatten() {
                entries += 1;
                if entries > MAX_CONTEXT_ENTRIES {
                    let message =
                        format!("more than {MAX_CONTEXT_ENTRIES} entries; listing stopped");
                    errors.push(ScanError::new(&display, message));
                    context.secret_files.sort_by(|a, b| a.0.cmp(&b.0));
                    return (context, errors);
                }
                let name = entry.file_name().to_string_lossy().into_owned();
                let path = if dir.is_empty() {
                    name
                } else {
                    format!("{dir}/{name}")
                };
                let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
                let excluded = ignore.is_excluded(&path);
                if is_dir {
                    if !excluded || ignore.has_exceptions() {
                        stack.push(path);
                    }
                } else if !excluded {
                    context.sent += 1;
                    if let Some(rule) = rules.match_path(&path) {
                        context.secret_files.push((path, rule));
                    }
                }
            }
        }
        context.secret_files.sort_by(|a, b| a.0.cmp(&b.0));
        (context, errors)
    }

    /// The secret files a `COPY`/`ADD` source pattern selects: the file itself, or everything
    /// under a matching directory; `.` selects the whole context. Patterns use Go
    /// `filepath.Match`; `excludes` are `--exclude` patterns (`.dockerignore` syntax).
    pub fn select(&self, source: &str, excludes: &[String]) -> Vec<&(String, &'r Rule)> {
        if self.secret_files.is_empty() {
            return Vec::new();
        }
        let cleaned = dockerignore::clean(source.trim_start_matches('/'));
        let excludes = Dockerignore::parse(&excludes.join("\n"));
        let everything = cleaned == "." || cleaned.is_empty();
        let Some(glob) = Glob::new(&cleaned, false) else {
            return Vec::new();
        };
        self.secret_files
            .iter()
            .filter(|(file, _)| everything || dockerignore::selects(&glob, file))
            .filter(|(file, _)| !excludes.is_excluded(file))
            .collect()
    }
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

    fn select(files: &[&str], source: &str, excludes: &[&str]) -> Vec<String> {
        let rules = RuleSet::builtin().unwrap();
        let rule = rules.rules().first().unwrap();
        let ctx = Context {
            root: PathBuf::from("ctx"),
            sent: files.len(),
            secret_files: files.iter().map(|f| ((*f).to_owned(), rule)).collect(),
        };
        let excludes: Vec<String> = excludes.iter().map(|e| (*e).to_owned()).collect();
        ctx.select(source, &excludes)
            .into_iter()
            .map(|(f, _)| f.clone())
            .collect()
    }

    #[test]
    fn selects_files_dirs_and_globs() {
        let files = [".env", "app/keys/id_rsa", "app/x.pem", "a.json", "b.json"];
        assert_eq!(select(&files, ".", &[]).len(), 5);
        assert_eq!(
            select(&files, "./app/", &[]),
            ["app/keys/id_rsa", "app/x.pem"]
        );
        assert_eq!(select(&files, "*.json", &[]), ["a.json", "b.json"]);
        assert_eq!(select(&files, "/.env", &[]), [".env"]);
        assert_eq!(select(&files, "app", &["**/id_rsa"]), ["app/x.pem"]);
        assert_eq!(select(&files, "app/*/id_rsa", &[]), ["app/keys/id_rsa"]);
        assert!(select(&files, "missing", &[]).is_empty());
        assert!(select(&files, "ap", &[]).is_empty());
    }
}
