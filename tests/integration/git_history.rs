//! A `.git` directory copied into an image keeps what the working tree no longer has: repos made
//! by the real `git` CLI, a secret committed then deleted, found in the loose object, in the
//! packfile after `git gc`, and as the inserted text of a delta.

use std::path::Path;
use std::process::Command;

use crate::builder::{self, Entry, Format, ImageBuilder, layer};
use crate::common::context;
use crate::images::scan_image;

const TOKEN: &str = "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";

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.org"])
        .args(["-c", "init.defaultBranch=main", "-c", "gc.auto=0"])
        .args(args)
        .current_dir(dir)
        .status()
        .expect("the git CLI (installed by .ci/run)");
    assert!(status.success(), "git {args:?}");
}

/// Every file under `dir`, as layer entries under `app/`.
fn entries(dir: &Path) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap().to_string_lossy();
                out.push(Entry::File(
                    format!("app/{relative}"),
                    std::fs::read(&path).unwrap(),
                ));
            }
        }
    }
    out.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    out
}

/// The paths of the findings of rule `github.pat`, after scanning the repo as an image layer.
fn token_paths(dir: &Path) -> Vec<String> {
    let image = ImageBuilder::with(vec![layer("COPY . /app", entries(dir))]);
    let (code, found, stdout) = scan_image(&image, Format::OciArchive, &[]);
    assert!(code <= 1, "{stdout}");
    found
        .iter()
        .filter(|row| row.starts_with("github.pat "))
        .map(|row| row.split(' ').nth(2).unwrap().to_owned())
        .collect()
}

#[test]
fn a_secret_deleted_from_the_tree_is_found_in_git_history() {
    let repo = context(&[("README.md", "app\n")]);
    let dir = repo.path();
    git(dir, &["init", "-q"]);
    std::fs::write(dir.join(".env"), format!("GITHUB_TOKEN={TOKEN}\n")).unwrap();
    git(dir, &["add", "."]);
    git(dir, &["commit", "-qm", "config"]);
    git(dir, &["rm", "-q", ".env"]);
    git(dir, &["commit", "-qm", "oops"]);
    assert!(!dir.join(".env").exists());

    let loose = token_paths(dir);
    assert_eq!(loose.len(), 1, "{loose:?}");
    assert!(loose[0].starts_with("/app/.git/objects/"), "{loose:?}");

    git(dir, &["gc", "-q", "--prune=now"]);
    let packed = token_paths(dir);
    assert_eq!(packed.len(), 1, "{packed:?}");
    assert!(
        packed[0].starts_with("/app/.git/objects/pack/pack-") && packed[0].contains(".pack!/blob-"),
        "{packed:?}"
    );
}

#[test]
fn a_secret_in_an_older_version_is_found_in_its_delta() {
    let repo = context(&[]);
    let dir = repo.path();
    git(dir, &["init", "-q"]);
    let text: String = (0..800)
        .map(|i| format!("setting_{i} = value {i}\n"))
        .collect();
    // the token in the first version only: git keeps the newest whole and the old as a delta
    std::fs::write(
        dir.join("settings.py"),
        format!("{text}TOKEN = \"{TOKEN}\"\n"),
    )
    .unwrap();
    git(dir, &["add", "."]);
    git(dir, &["commit", "-qm", "one"]);
    // the newer version is the larger (git stores the larger of two similar blobs whole)
    let more: String = (0..200).map(|i| format!("extra_{i} = {i}\n")).collect();
    let newer = format!("{text}TOKEN = os.environ[\"T\"]\n{more}");
    std::fs::write(dir.join("settings.py"), newer).unwrap();
    git(dir, &["commit", "-qam", "two"]);
    git(dir, &["gc", "-q", "--prune=now", "--aggressive"]);
    let found = token_paths(dir);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains(".pack!/ofs-delta-"), "{found:?}");
    // the working tree's file is clean
    let tree = builder::tar_of(&[Entry::File(
        "settings.py".into(),
        std::fs::read(dir.join("settings.py")).unwrap(),
    )]);
    assert!(!String::from_utf8_lossy(&tree).contains(TOKEN));
}
