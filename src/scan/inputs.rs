//! Turning command-line inputs into sources, by content, never by name: a tar or gzip file is an
//! image, a directory with `index.json` or `manifest.json` is an image layout, any other
//! directory is searched for Dockerfiles (`Dockerfile`, `Containerfile`, `*.Dockerfile`,
//! `Dockerfile.*`; hidden directories and `node_modules` skipped), any other file is a
//! Dockerfile, and `-` is standard input (either). A path that is neither a file nor a directory
//! (a named pipe, `<(docker save app)`'s `/dev/fd/N`) is read once as a stream, like standard
//! input. Reads are capped.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::ScanError;
use crate::image::{self, store::Store};

/// The largest Dockerfile read; a larger one is reported, not parsed.
pub const MAX_DOCKERFILE_BYTES: u64 = 128 << 20;

/// One command-line input.
pub enum Input {
    /// A file or directory path.
    Path(PathBuf),
    /// Standard input (or any stream standing for it), not read yet: an image on it is read
    /// once, as a stream; anything else is a Dockerfile.
    Stdin(Box<dyn Read + Send>),
    /// An image already opened (by [`audit`], which had to open it to know it is one).
    Image(PathBuf, Store),
}

impl Input {
    /// Bytes standing for standard input (tests, fuzzing, a caller that read them already).
    pub fn stdin_bytes(bytes: Vec<u8>) -> Input {
        Input::Stdin(Box::new(std::io::Cursor::new(bytes)))
    }
}

/// One Dockerfile or image to scan.
#[derive(Debug)]
pub struct Source {
    /// The name shown in reports: the path as given or found, `-` for stdin.
    pub name: String,
    /// The file, when it is one.
    pub path: Option<PathBuf>,
    stdin: Option<Vec<u8>>,
    /// The image's blobs, when the source is an image.
    pub image: Option<Store>,
}

impl Source {
    /// The bytes of the source, capped at [`MAX_DOCKERFILE_BYTES`].
    pub fn read(&self) -> Result<Vec<u8>, ScanError> {
        if let Some(bytes) = &self.stdin {
            return Ok(bytes.clone());
        }
        let path = self.path.as_deref().unwrap_or(Path::new(""));
        let error = |e: std::io::Error| ScanError::new(&self.name, format!("cannot read: {e}"));
        let file = std::fs::File::open(path).map_err(error)?;
        let mut bytes = Vec::new();
        file.take(MAX_DOCKERFILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(error)?;
        if bytes.len() as u64 > MAX_DOCKERFILE_BYTES {
            let message = format!(
                "larger than {} MiB; not scanned",
                MAX_DOCKERFILE_BYTES >> 20
            );
            return Err(ScanError::new(&self.name, message));
        }
        Ok(bytes)
    }
}

/// Expands inputs into sources, in input order (directory contents sorted).
pub fn expand(inputs: Vec<Input>) -> (Vec<Source>, Vec<ScanError>) {
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    for input in inputs {
        match input {
            Input::Image(path, store) => sources.push(image_source(path, store)),
            Input::Stdin(reader) => match stream_source("-".into(), reader) {
                Ok(source) => sources.push(source),
                Err(e) => errors.push(ScanError::new("-", e.to_string())),
            },
            Input::Path(path) if is_stream(&path) => {
                let name = path.display().to_string();
                let opened = std::fs::File::open(&path);
                match opened.and_then(|file| stream_source(name.clone(), Box::new(file))) {
                    Ok(source) => sources.push(source),
                    Err(e) => errors.push(ScanError::new(name, format!("cannot read: {e}"))),
                }
            }
            Input::Path(path) if path.is_dir() => {
                if let Some(store) = image::open_dir(&path) {
                    sources.push(image_source(path, store));
                    continue;
                }
                let mut found = Vec::new();
                find_dockerfiles(&path, &mut found, &mut errors);
                found.sort();
                sources.extend(found.into_iter().map(file_source));
            }
            Input::Path(path) if is_dockerignore(&path) => {
                sources.extend(
                    dockerfiles_of_ignore_file(&path)
                        .into_iter()
                        .map(file_source),
                );
            }
            Input::Path(path) => match image::open_file(&path) {
                Ok(Some(store)) => sources.push(image_source(path, store)),
                Ok(None) => sources.push(file_source(path)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    sources.push(file_source(path))
                }
                Err(e) => {
                    let name = path.display().to_string();
                    errors.push(ScanError::new(name, format!("cannot read the image: {e}")));
                }
            },
        }
    }
    // a Dockerfile named twice (given, and through its .dockerignore) is scanned once
    let mut seen = std::collections::HashSet::new();
    sources.retain(|s| s.path.is_none() || seen.insert(s.path.clone()));
    (sources, errors)
}

/// `.dockerignore` or `<Dockerfile>.dockerignore`: a change to it changes what the build
/// context sends, so the Dockerfiles it governs are scanned instead (pre-commit hands us the
/// changed file).
fn is_dockerignore(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".dockerignore"))
}

fn dockerfiles_of_ignore_file(path: &Path) -> Vec<PathBuf> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    let dir = dir.unwrap_or(Path::new("."));
    if let Some(dockerfile) = name.strip_suffix(".dockerignore").filter(|d| !d.is_empty()) {
        let dockerfile = path.with_file_name(dockerfile);
        return if dockerfile.is_file() {
            vec![dockerfile]
        } else {
            Vec::new()
        };
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| is_dockerfile_name(&e.file_name().to_string_lossy()))
        .map(
            |e| match path.parent().filter(|p| !p.as_os_str().is_empty()) {
                Some(_) => e.path(),
                None => PathBuf::from(e.file_name()),
            },
        )
        .collect();
    found.sort();
    found
}

/// True for a path that exists and is neither a regular file nor a directory (links followed):
/// a named pipe, a character device, a socket. It cannot be sought or read twice.
fn is_stream(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// A source read from a stream (standard input, a named pipe): an image on it is read once as it
/// goes by; anything else is kept as a Dockerfile with no directory (so no build context).
fn stream_source(name: String, reader: Box<dyn Read + Send>) -> std::io::Result<Source> {
    let mut source = Source {
        name,
        path: None,
        stdin: None,
        image: None,
    };
    match image::open_stream(reader)? {
        image::Sniffed::Image(store) => source.image = Some(store),
        image::Sniffed::Other(reader) => {
            let mut bytes = Vec::new();
            reader
                .take(MAX_DOCKERFILE_BYTES + 1)
                .read_to_end(&mut bytes)?;
            if bytes.len() as u64 > MAX_DOCKERFILE_BYTES {
                let message = format!(
                    "larger than {} MiB and not an image; not scanned",
                    MAX_DOCKERFILE_BYTES >> 20
                );
                return Err(std::io::Error::other(message));
            }
            source.stdin = Some(bytes);
        }
    }
    Ok(source)
}

fn image_source(path: PathBuf, store: Store) -> Source {
    Source {
        name: path.display().to_string(),
        path: Some(path),
        stdin: None,
        image: Some(store),
    }
}

/// A Dockerfile source (read lazily).
pub fn file_source(path: PathBuf) -> Source {
    Source {
        name: path.display().to_string(),
        path: Some(path),
        stdin: None,
        image: None,
    }
}

/// True for the file names Docker tooling treats as Dockerfiles.
pub fn is_dockerfile_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".dockerignore") {
        return false;
    }
    lower == "dockerfile"
        || lower == "containerfile"
        || lower.ends_with(".dockerfile")
        || lower.ends_with(".containerfile")
        || lower.starts_with("dockerfile.")
        || lower.starts_with("containerfile.")
}

/// Expands audit paths into image inputs: an image (file or OCI layout directory) is itself;
/// any other directory is searched recursively for images (files are sniffed by content, a
/// layout directory is not entered); a file that holds no image is an error naming it.
pub fn audit(paths: &[PathBuf]) -> (Vec<Input>, Vec<ScanError>) {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path.is_dir() {
            find_images(path, 0, &mut found, &mut errors);
            continue;
        }
        if is_stream(path) {
            let opened = std::fs::File::open(path);
            match opened.and_then(|file| image::open_stream(Box::new(file))) {
                Ok(image::Sniffed::Image(store)) => found.push(Input::Image(path.clone(), store)),
                Ok(image::Sniffed::Other(_)) => errors.push(ScanError::new(
                    path.display().to_string(),
                    "not an image (a docker save or OCI tar, plain or compressed)",
                )),
                Err(e) => errors.push(ScanError::new(
                    path.display().to_string(),
                    format!("cannot read: {e}"),
                )),
            }
            continue;
        }
        match image::open_file(path) {
            Ok(Some(store)) => found.push(Input::Image(path.clone(), store)),
            Ok(None) => errors.push(ScanError::new(
                path.display().to_string(),
                "not an image (docker save or OCI tar, OCI layout or dir: directory)",
            )),
            Err(e) => errors.push(ScanError::new(
                path.display().to_string(),
                format!("cannot read the image: {e}"),
            )),
        }
    }
    (found, errors)
}

/// Most directory levels searched for images.
const MAX_AUDIT_DEPTH: usize = 16;

fn find_images(dir: &Path, depth: usize, found: &mut Vec<Input>, errors: &mut Vec<ScanError>) {
    if let Some(store) = image::open_dir(dir) {
        found.push(Input::Image(dir.to_owned(), store));
        return;
    }
    let Some(entries) = list(dir, errors) else {
        return;
    };
    for (path, kind) in entries {
        if kind.is_dir() && depth < MAX_AUDIT_DEPTH {
            find_images(&path, depth + 1, found, errors);
        } else if kind.is_file() {
            // a tar or compressed file here was meant to be an image: if it is not one, say so;
            // a file that cannot be read may be one, so that is said too
            let name = path.display().to_string();
            let mut head = Vec::with_capacity(512);
            let read = std::fs::File::open(&path).and_then(|f| f.take(512).read_to_end(&mut head));
            if let Err(e) = read {
                errors.push(ScanError::new(name, format!("cannot read: {e}")));
                continue;
            }
            if !image::is_archive(&head) {
                continue;
            }
            match image::open_file(&path) {
                Ok(Some(store)) => found.push(Input::Image(path, store)),
                Ok(None) => errors.push(ScanError::new(name, "an archive that holds no image")),
                Err(e) => errors.push(ScanError::new(name, format!("cannot read the image: {e}"))),
            }
        }
    }
}

/// A directory's entries with their types (links not followed), sorted by path; a directory
/// that cannot be listed is an error naming it.
fn list(dir: &Path, errors: &mut Vec<ScanError>) -> Option<Vec<(PathBuf, std::fs::FileType)>> {
    let read = match std::fs::read_dir(dir) {
        Ok(read) => read,
        Err(e) => {
            let name = dir.display().to_string();
            errors.push(ScanError::new(name, format!("cannot list: {e}")));
            return None;
        }
    };
    let mut entries: Vec<(PathBuf, std::fs::FileType)> = read
        .flatten()
        .filter_map(|e| Some((e.path(), e.file_type().ok()?)))
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Some(entries)
}

fn find_dockerfiles(dir: &Path, found: &mut Vec<PathBuf>, errors: &mut Vec<ScanError>) {
    let Some(entries) = list(dir, errors) else {
        return;
    };
    for (path, kind) in entries {
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        if kind.is_dir() {
            if !name.starts_with('.') && name != "node_modules" {
                find_dockerfiles(&path, found, errors);
            }
        } else if kind.is_file() && is_dockerfile_name(&name) {
            found.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerfile_names() {
        for yes in [
            "Dockerfile",
            "dockerfile",
            "Containerfile",
            "app.Dockerfile",
            "Dockerfile.dev",
        ] {
            assert!(is_dockerfile_name(yes), "{yes}");
        }
        for no in [
            "Dockerfile.dockerignore",
            ".dockerignore",
            "docker-compose.yml",
            "README",
        ] {
            assert!(!is_dockerfile_name(no), "{no}");
        }
    }
}
