//! Files an rpm package installed are the vendor's: databases made by the real `rpm` and
//! `rpmbuild` (Debian's `rpm` package), one of them large enough for SQLite overflow chains and
//! interior pages, put into images built in code; a corrupt one is an error naming it, and the
//! owner's key is still found. `.ci/run` installs rpm and sets `STOWAWAY_REQUIRE_RPM=1`, so there
//! a missing rpm fails instead of skipping.

use std::path::Path;
use std::process::Command;

use crate::builder::{Entry, Format, ImageBuilder, file, layer};
use crate::common::context;
use crate::images::scan_image;

const KEY: &str = "-----BEGIN RSA PRIVATE KEY-----\n\
    MIFgeUK98iEG8IR3YvDzy012TccHIFEVmg+J8sbayuNEuzESRf1vhN+a18Wz0Has\n\
    Do9TpzVsiJE/IPb3LbAi0k0KltrUPBYXwamOeBKeAyc3EGXQlYZPFa2guEbBwOvFNIrc\n\
    -----END RSA PRIVATE KEY-----\n";

fn run(program: &str, args: &[&str], dir: &Path) {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Builds package `name` with `rpmbuild` in `top`: `install` is its `%install` script (files
/// under `%{buildroot}`), `files` its `%files` list (a directory takes all it holds).
fn package(top: &Path, name: &str, install: &str, files: &str) {
    let spec = format!(
        "Name: {name}\nVersion: 1.0\nRelease: 1\nSummary: test\nLicense: MIT\nBuildArch: noarch\n\
         %description\ntest\n%install\n{install}\n%files\n{files}\n"
    );
    let path = top.join(format!("{name}.spec"));
    std::fs::write(&path, spec).unwrap();
    let topdir = format!("_topdir {}", top.display());
    run(
        "rpmbuild",
        &["-bb", "--define", &topdir, path.to_str().unwrap()],
        top,
    );
}

/// A package of the one file `path`.
fn one_file(top: &Path, name: &str, path: &str) {
    let install =
        format!("mkdir -p $(dirname %{{buildroot}}/{path}) && echo x > %{{buildroot}}/{path}");
    package(top, name, &install, &format!("/{path}"));
}

/// The bytes of an rpm database (`--justdb`) holding the packages built in `top`.
fn database(top: &Path) -> Vec<u8> {
    let root = top.join("root");
    let root = root.to_str().unwrap();
    let dbpath = ["--root", root, "--dbpath", "/var/lib/rpm"];
    run("rpm", &[&dbpath[..], &["--initdb"]].concat(), top);
    let mut rpms: Vec<String> = std::fs::read_dir(top.join("RPMS/noarch"))
        .unwrap()
        .map(|e| e.unwrap().path().to_string_lossy().into_owned())
        .collect();
    rpms.sort();
    let mut args: Vec<&str> = dbpath.to_vec();
    args.extend(["-i", "--justdb", "--nodeps", "--noscripts"]);
    args.extend(rpms.iter().map(String::as_str));
    run("rpm", &args, top);
    std::fs::read(top.join("root/var/lib/rpm/rpmdb.sqlite")).unwrap()
}

/// True when `rpmbuild` runs here; otherwise the test says it skips (or fails, where rpm is
/// required).
#[allow(clippy::print_stderr)] // a skipped check says so on the test's stderr
fn rpm_available() -> bool {
    let works = Command::new("rpmbuild")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !works && std::env::var_os("STOWAWAY_REQUIRE_RPM").is_some() {
        panic!("rpmbuild is required here but could not run");
    }
    if !works {
        eprintln!("rpm/rpmbuild unavailable; skipping the rpm database check");
    }
    works
}

#[test]
fn files_an_rpm_package_installed_are_the_vendors() {
    if !rpm_available() {
        return;
    }
    let top = context(&[]);
    let top = top.path();
    one_file(
        top,
        "golang-src",
        "usr/lib/golang/src/crypto/tls/testdata/example-key.pem",
    );
    // a header of 3,000 paths spills into overflow pages; a small header (about 2 KB) is kept
    // whole in its leaf, so ten of them need several leaves under an interior page
    let big = "d=%{buildroot}/usr/share/doc/big && mkdir -p $d && \
               for i in $(seq -w 0 2999); do echo x > $d/$i-a-file-name-long-enough-to-grow-the-header; done";
    package(top, "big", big, "/usr/share/doc/big");
    for i in 0..10 {
        one_file(
            top,
            &format!("small{i}"),
            &format!("usr/share/small{i}/readme"),
        );
    }
    let db = database(top);
    assert!(db.len() > 64 << 10, "a database of many pages");

    for at in [
        "var/lib/rpm/rpmdb.sqlite",
        "usr/lib/sysimage/rpm/rpmdb.sqlite",
    ] {
        let image = ImageBuilder {
            layers: vec![
                layer(
                    "base",
                    vec![
                        file(
                            "usr/lib/golang/src/crypto/tls/testdata/example-key.pem",
                            KEY,
                        ),
                        file(
                            "usr/share/doc/big/2999-a-file-name-long-enough-to-grow-the-header",
                            KEY,
                        ),
                        Entry::File(at.into(), db.clone()),
                    ],
                ),
                layer("app", vec![file("app/certs/server-key.pem", KEY)]),
            ],
            ..ImageBuilder::default()
        };
        let (code, found, stdout) = scan_image(&image, Format::OciArchive, &[]);
        assert_eq!(code, 1, "{stdout}");
        assert_eq!(
            found,
            [
                "file.private-key layer /app/certs/server-key.pem layer=1 present line=null",
                "private-key.pem layer /app/certs/server-key.pem layer=1 present line=1",
            ],
            "{at}"
        );
        let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let mut owners: Vec<&str> = json["vendor"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["location"]["owner"].as_str().unwrap())
            .collect();
        owners.sort();
        owners.dedup();
        assert_eq!(owners, ["rpm:big", "rpm:golang-src"], "{at}");
    }

    // a database cut short is an error naming it; the scan goes on and finds the key
    let cut = ImageBuilder {
        layers: vec![layer(
            "base",
            vec![
                Entry::File(
                    "var/lib/rpm/rpmdb.sqlite".into(),
                    db[..db.len() / 2].to_vec(),
                ),
                file(
                    "usr/lib/golang/src/crypto/tls/testdata/example-key.pem",
                    KEY,
                ),
            ],
        )],
        ..ImageBuilder::default()
    };
    let (code, found, stdout) = scan_image(&cut, Format::OciArchive, &[]);
    assert_eq!(code, 2, "{stdout}");
    assert!(found.iter().any(|f| f.starts_with("private-key.pem ")));
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let message = json["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("rpm database unreadable"), "{message}");
    assert!(
        message.contains("in /var/lib/rpm/rpmdb.sqlite: "),
        "{message}"
    );
}
