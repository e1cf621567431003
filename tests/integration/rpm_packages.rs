//! Files an rpm package installed are the vendor's: SQLite databases made by the real `rpm` and
//! `rpmbuild` (Debian's `rpm` package), large enough for overflow chains and interior pages, and
//! the same packages as a Berkeley DB `Packages` made by `db5.3_load` (Debian's `db5.3-util`),
//! put into images built in code; a database cut short is an error naming it, and the owner's
//! key is still found. `.ci/run` installs rpm and sets `STOWAWAY_REQUIRE_RPM=1`, so there
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
    let runs = |program: &str, arg: &str| {
        Command::new(program)
            .arg(arg)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let works = runs("rpmbuild", "--version") && runs("db5.3_load", "-V");
    if !works && std::env::var_os("STOWAWAY_REQUIRE_RPM").is_some() {
        panic!("rpmbuild and db5.3_load are required here but could not run");
    }
    if !works {
        eprintln!("rpmbuild or db5.3_load unavailable; skipping the rpm database check");
    }
    works
}

/// The same packages as a Berkeley DB hash `Packages`, as RHEL 8 keeps them: the headers
/// `rpmdb --exportdb` writes, loaded by Berkeley DB 5.3's own `db5.3_load` (the library RHEL 8's
/// rpm uses) under their header numbers. 16 KiB pages keep a header under 4 KiB on its page,
/// larger ones on overflow chains.
fn berkeley(top: &Path) -> Vec<u8> {
    let root = top.join("root");
    let root = root.to_str().unwrap();
    let export = Command::new("rpmdb")
        .args(["--root", root, "--dbpath", "/var/lib/rpm", "--exportdb"])
        .output()
        .expect("rpmdb");
    assert!(export.status.success());
    let mut dump = String::from("VERSION=3\nformat=bytevalue\ntype=hash\n");
    dump.push_str("db_pagesize=16384\nHEADER=END\n");
    let hex = |bytes: &[u8]| -> String { bytes.iter().map(|b| format!("{b:02x}")).collect() };
    let (mut rest, mut number) = (&export.stdout[..], 1u32);
    while !rest.is_empty() {
        // magic (8 bytes), then the header: entry count, data length, entries, data
        let word = |at: usize| u32::from_be_bytes(rest[at..at + 4].try_into().unwrap()) as usize;
        let len = 8 + 16 * word(8) + word(12);
        let header = &rest[8..8 + len];
        dump.push_str(&format!(
            " {}\n {}\n",
            hex(&number.to_le_bytes()),
            hex(header)
        ));
        rest = &rest[8 + len..];
        number += 1;
    }
    dump.push_str("DATA=END\n");
    std::fs::write(top.join("dump.txt"), dump).unwrap();
    run("db5.3_load", &["-f", "dump.txt", "Packages"], top);
    std::fs::read(top.join("Packages")).unwrap()
}

/// An image of the vendor's two keys, the database at `at`, and the owner's key in a later layer.
fn image(at: &str, db: &[u8]) -> ImageBuilder {
    let vendor = [
        "usr/lib/golang/src/crypto/tls/testdata/example-key.pem",
        "usr/share/doc/big/2999-a-file-name-long-enough-to-grow-the-header",
    ];
    let mut base: Vec<Entry> = vendor.iter().map(|path| file(path, KEY)).collect();
    base.push(Entry::File(at.into(), db.to_vec()));
    ImageBuilder::with(vec![
        layer("base", base),
        layer("app", vec![file("app/certs/server-key.pem", KEY)]),
    ])
}

#[test]
fn files_an_rpm_package_installed_are_the_vendors() {
    if !rpm_available() {
        return;
    }
    let top = context(&[]);
    let top = top.path();
    let key = "usr/lib/golang/src/crypto/tls/testdata/example-key.pem";
    one_file(top, "golang-src", key);
    // a header of 3,000 paths spills into overflow pages; a small header (about 2 KB) is kept
    // whole in its leaf, so ten of them need several leaves under an interior page
    let big = "d=%{buildroot}/usr/share/doc/big && mkdir -p $d && for i in $(seq -w 0 2999); \
               do echo x > $d/$i-a-file-name-long-enough-to-grow-the-header; done";
    package(top, "big", big, "/usr/share/doc/big");
    for i in 0..10 {
        let path = format!("usr/share/small{i}/readme");
        one_file(top, &format!("small{i}"), &path);
    }
    let sqlite = database(top);
    assert!(sqlite.len() > 64 << 10, "a database of many pages");
    let bdb = berkeley(top);

    let databases = [
        ("var/lib/rpm/rpmdb.sqlite", &sqlite),
        ("usr/lib/sysimage/rpm/rpmdb.sqlite", &sqlite),
        ("var/lib/rpm/Packages", &bdb),
    ];
    for (at, db) in databases {
        let (code, found, stdout) = scan_image(&image(at, db), Format::OciArchive, &[]);
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

    // a database cut short is an error naming it; the scan goes on and finds the keys
    for (at, db) in &databases[1..] {
        let cut = image(at, &db[..db.len() / 2]);
        let (code, found, stdout) = scan_image(&cut, Format::OciArchive, &[]);
        assert_eq!(code, 2, "{stdout}");
        assert!(
            found.iter().any(|f| f.contains(" /usr/lib/golang/")),
            "{at}"
        );
        let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let message = json["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("rpm database unreadable"), "{message}");
        assert!(message.contains(&format!("in /{at}: ")), "{message}");
    }
}
