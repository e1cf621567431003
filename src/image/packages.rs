//! Whose file is it? The package databases inside the image say which files an OS or language
//! package installed: dpkg (`var/lib/dpkg/info/<pkg>.list`, and distroless images'
//! `var/lib/dpkg/status.d/<pkg>.md5sums`), apk (`lib/apk/db/installed`), rpm (`rpmdb.sqlite` or
//! Berkeley DB `Packages`, see [`super::rpmdb`]; read when the layer is, kept as `package\tpath`
//! lines), Python
//! (`…/site-packages/<dist>.dist-info/RECORD`), npm and gems by path (`…/node_modules/<pkg>/…`,
//! `<gem home>/gems/<name>-<version>/…`). Some files are the vendor's without being listed:
//! dpkg's own record of a package (its maintainer scripts and debconf templates),
//! package-manager caches, the runtimes the official images build from source into fixed places
//! (Go, Ruby, Python, Java, Node's headers, httpd's manual), the help tables a MySQL/MariaDB server generates from its documentation
//! when its data directory is created, and ssl-cert's throwaway "snakeoil" key. (The SSH host
//! keys openssh-server generates stay the owner's: every container of the image shares them.)
//! A secret in such a file (the test keys inside `libgnutls`, an example in a library's docs)
//! is the vendor's, not the image owner's.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::store::resolve;

/// The largest package database file read (bytes).
pub const MAX_DATABASE_BYTES: u64 = 16 << 20;
/// The largest rpm database read (bytes): a UBI image's is a few MB, a full Fedora's 100 MB.
pub const MAX_RPM_DATABASE_BYTES: u64 = 128 << 20;
/// Most bytes of package databases kept for one layer, and for one image (its layers' copies
/// together), as read or, for rpm, reduced to lines: a 1.9 GB Debian root filesystem of 611
/// packages holds 3.7 MB of them. A hostile layer could otherwise hold thousands of 16 MiB
/// `.list` files that compress to almost nothing and be kept whole in memory.
pub const MAX_KEPT_DATABASE_BYTES: u64 = 64 << 20;
/// Most paths attributed to packages in one image (the Debian above: 74,448); a map of more
/// would cost hundreds of MB.
pub const MAX_OWNED_PATHS: usize = 1_000_000;

/// True for files whose content is a package database (read, not scanned).
pub fn is_database(path: &str) -> bool {
    (path.starts_with("var/lib/dpkg/info/") && path.ends_with(".list"))
        || distroless_md5sums(path).is_some()
        || path == "lib/apk/db/installed"
        || is_rpm_database(path)
        || (path.ends_with("/RECORD") && path.contains(".dist-info/"))
}

/// rpm's database: SQLite where RHEL/UBI 9 and Amazon Linux 2023 (`var/lib/rpm`) and Fedora
/// (`usr/lib/sysimage/rpm`) keep it, Berkeley DB in RHEL/CentOS 7 and 8 and Amazon Linux 2.
fn is_rpm_database(path: &str) -> bool {
    matches!(
        path,
        "var/lib/rpm/rpmdb.sqlite" | "usr/lib/sysimage/rpm/rpmdb.sqlite" | "var/lib/rpm/Packages"
    )
}

/// The most bytes of database `path` read.
pub fn max_database_bytes(path: &str) -> u64 {
    match is_rpm_database(path) {
        true => MAX_RPM_DATABASE_BYTES,
        false => MAX_DATABASE_BYTES,
    }
}

/// What is kept of database `path` read whole as `bytes`: text databases as they are, rpm's
/// reduced to `package\tpath` lines at once (its file may be large; the lines are a few per
/// cent of it). An rpm database that does not read is an error naming why.
pub fn keep_database(path: &str, bytes: Vec<u8>) -> Result<Vec<u8>, String> {
    if !is_rpm_database(path) {
        return Ok(bytes);
    }
    if bytes.len() as u64 > MAX_RPM_DATABASE_BYTES {
        return Err(format!(
            "rpm database larger than {} MiB: its packages' files are not told apart",
            MAX_RPM_DATABASE_BYTES >> 20
        ));
    }
    let files = super::rpmdb::files(&bytes).map_err(|why| {
        format!("rpm database unreadable ({why}): its packages' files are not told apart")
    })?;
    let mut out = Vec::new();
    for (file, package) in files {
        out.extend_from_slice(format!("{package}\t{file}\n").as_bytes());
    }
    Ok(out)
}

/// Path (without leading `/`) → owning package, e.g. `deb:libgnutls30`.
#[derive(Debug, Default, Clone)]
pub struct Ownership {
    owners: HashMap<Box<str>, Arc<str>>,
}

impl Ownership {
    /// Builds the map from database files, in layer order (a later copy of a file wins); an
    /// error past [`MAX_OWNED_PATHS`].
    pub fn from_databases<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ) -> Result<Ownership, String> {
        Ownership::at_most(MAX_OWNED_PATHS, files)
    }

    fn at_most<'a>(
        max_paths: usize,
        files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ) -> Result<Ownership, String> {
        let mut latest: HashMap<&str, &[u8]> = HashMap::new();
        for (path, bytes) in files {
            latest.insert(path, bytes);
        }
        // A fixed order, OS databases first: a file that both dpkg and a wheel's RECORD list
        // (Debian's python3-pip) belongs to the OS package, whatever order the layers gave.
        let mut databases: Vec<(&str, &[u8])> = latest.into_iter().collect();
        databases.sort_by_key(|(path, _)| (path.ends_with("/RECORD"), *path));
        let mut owners = Owners {
            max_paths,
            ..Owners::default()
        };
        for (path, bytes) in databases {
            let text = String::from_utf8_lossy(bytes);
            if let Some(name) = path.strip_prefix("var/lib/dpkg/info/") {
                let package = name.trim_end_matches(".list");
                let package = package.split(':').next().unwrap_or(package);
                let owner = format!("deb:{package}");
                for line in text.lines().filter(|l| l.starts_with('/')) {
                    owners.insert(&line[1..], &owner);
                }
            } else if let Some(package) = distroless_md5sums(path) {
                // `<md5>  <path>`, the path relative to the root
                let owner = format!("deb:{package}");
                for line in text.lines() {
                    if let Some((_, file)) = line.split_once("  ") {
                        owners.insert(file.trim_start_matches('/'), &owner);
                    }
                }
            } else if path == "lib/apk/db/installed" {
                apk(&text, &mut owners);
            } else if is_rpm_database(path) {
                for (package, file) in text.lines().filter_map(|l| l.split_once('\t')) {
                    owners.insert(file, &format!("rpm:{package}"));
                }
            } else {
                record(path, &text, &mut owners);
            }
        }
        if owners.full {
            return Err(format!(
                "the package databases list more than {max_paths} files"
            ));
        }
        Ok(Ownership { owners: owners.map })
    }

    /// The package that owns `path` (with or without a leading `/`), if any.
    pub fn owner(&self, path: &str) -> Option<String> {
        let path = path.trim_start_matches('/');
        let outer = path.split("!/").next().unwrap_or(path);
        if let Some(owner) = self.owners.get(outer) {
            return Some(owner.to_string());
        }
        let compiled_from = pyc_source(outer).and_then(|source| self.owners.get(&*source));
        compiled_from
            .map(|owner| owner.to_string())
            .or_else(|| npm(outer))
            .or_else(|| gem(outer))
            .or_else(|| cache(path))
            .or_else(|| npm_tarball(path))
            .or_else(|| unlisted(outer))
    }
}

/// The package of a distroless image's file list, `var/lib/dpkg/status.d/<pkg>.md5sums`.
fn distroless_md5sums(path: &str) -> Option<&str> {
    let name = path.strip_prefix("var/lib/dpkg/status.d/")?;
    name.strip_suffix(".md5sums").filter(|n| !n.contains('/'))
}

/// Vendor files no database lists (see the module comment).
fn unlisted(path: &str) -> Option<String> {
    // dpkg's record of a package: `<pkg>[:arch].postinst`, `.templates`, `.md5sums`, … and a
    // distroless image's control file `status.d/<pkg>`
    let record = path
        .strip_prefix("var/lib/dpkg/info/")
        .and_then(|name| name.rsplit_once('.').map(|(package, _)| package))
        .or_else(|| path.strip_prefix("var/lib/dpkg/status.d/"))
        .filter(|package| !package.is_empty() && !package.contains('/'));
    if let Some(package) = record {
        let package = package.split(':').next().unwrap_or(package);
        return Some(format!("deb:{package}"));
    }
    // every package's debconf questions and their translations (answers are in config.dat
    // and passwords.dat, which stay the image owner's)
    if matches!(
        path,
        "var/cache/debconf/templates.dat" | "var/cache/debconf/templates.dat-old"
    ) {
        return Some("deb:debconf".into());
    }
    if let Some(owner) = toolchain(path) {
        return Some(owner);
    }
    // the throwaway self-signed pair Debian's ssl-cert makes at install (postgresql, apache2
    // and postfix depend on it): "snakeoil" by name, never a certificate anyone trusts
    if path == "etc/ssl/private/ssl-cert-snakeoil.key" {
        return Some("generated:ssl-cert-snakeoil".into());
    }
    // `mysql/help_topic.MAD` and its siblings: the server's manual, examples included
    let (dir, file) = path.rsplit_once('/')?;
    let help = [
        "help_topic.",
        "help_keyword.",
        "help_category.",
        "help_relation.",
    ];
    let is_help = (dir == "mysql" || dir.ends_with("/mysql"))
        && help.iter().any(|prefix| file.starts_with(prefix));
    is_help.then(|| "generated:mysql-help-tables".into())
}

/// Where the official images build a language runtime from source (their Dockerfiles fix these
/// paths): the runtime's own library, headers, manual and test data. What pip installs into
/// Python's `site-packages` is left to the wheels' RECORDs.
const TOOLCHAINS: &[(&str, &str)] = &[
    ("usr/local/go/", "toolchain:go"),                // golang: GOROOT
    ("usr/local/lib/ruby/", "toolchain:ruby"),        // ruby: standard library, default gems
    ("usr/local/include/node/", "toolchain:node"),    // node: headers
    ("opt/java/openjdk/", "toolchain:java"),          // eclipse-temurin: JAVA_HOME
    ("usr/local/openjdk-", "toolchain:java"),         // openjdk: JAVA_HOME
    ("usr/local/apache2/manual/", "toolchain:httpd"), // httpd: the manual
];

fn toolchain(path: &str) -> Option<String> {
    if let Some((_, owner)) = TOOLCHAINS.iter().find(|(p, _)| path.starts_with(p)) {
        return Some((*owner).to_owned());
    }
    // python: usr/local/lib/python3.12/…, but not its site-packages
    let (version, inner) = path.strip_prefix("usr/local/lib/python")?.split_once('/')?;
    let is_version =
        version.starts_with('3') && version.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let installed = inner.starts_with("site-packages/") || inner.starts_with("dist-packages/");
    (is_version && !installed).then(|| "toolchain:python".to_owned())
}

/// A file of an installed gem, `<gem home>/gems/<name>-<version>/…`: the official ruby images'
/// `/usr/local/bundle`, Bundler's `vendor/bundle/ruby/<v>`, `gem install`'s `/var/lib/gems/<v>`
/// and `~/.gem/ruby/<v>`; Bundler's git checkouts under `bundler/gems/<name>-<rev>`.
fn gem(path: &str) -> Option<String> {
    let (home, rest) = path.rsplit_once("/gems/")?;
    let (dir, _file) = rest.split_once('/')?;
    let (_, version) = dir.rsplit_once('-')?;
    let versioned = version.bytes().next().is_some_and(|b| b.is_ascii_digit())
        || (version.len() >= 7 && version.bytes().all(|b| b.is_ascii_hexdigit()));
    let last = home.rsplit('/').next().unwrap_or(home);
    let parent = home.rsplit('/').nth(1).unwrap_or("");
    let ruby_version = !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let is_home = last == "bundle"
        || home.ends_with("bundle/bundler")
        || (ruby_version && matches!(parent, "ruby" | "gems"));
    (versioned && is_home).then(|| format!("gem:{dir}"))
}

/// `a/__pycache__/b.cpython-311.pyc` is compiled at run time from `a/b.py`, whose owner it shares.
fn pyc_source(path: &str) -> Option<String> {
    let (dir, file) = path.rsplit_once("/__pycache__/")?;
    let module = file.strip_suffix(".pyc")?.split('.').next()?;
    Some(format!("{dir}/{module}.py"))
}

/// Package-manager caches: downloaded third-party packages, not the image owner's files.
const CACHES: &[(&str, &str)] = &[
    ("/.npm/_cacache/", "cache:npm"),
    ("/.cache/yarn/", "cache:yarn"),
    ("/share/.cache/yarn/", "cache:yarn"),
    ("/.cache/pip/", "cache:pip"),
    ("/.cache/pypoetry/", "cache:poetry"),
    ("/.m2/repository/", "cache:maven"),
    ("/.gradle/caches/", "cache:gradle"),
    ("/.cargo/registry/", "cache:cargo"),
    ("/go/pkg/mod/", "cache:go"),
    ("/.composer/cache/", "cache:composer"),
    ("/.bundle/cache/", "cache:bundler"),
    ("/.nuget/packages/", "cache:nuget"),
];

fn cache(path: &str) -> Option<String> {
    let rooted = format!("/{path}");
    CACHES
        .iter()
        .find(|(marker, _)| rooted.contains(marker))
        .map(|(_, owner)| (*owner).to_owned())
}

/// A file inside an npm package tarball (`…/foo-1.2.3.tgz!/package/…`), wherever the tarball is.
fn npm_tarball(path: &str) -> Option<String> {
    let (tarball, _) = path.split_once("!/package/")?;
    let name = tarball.rsplit('/').next()?;
    Some(format!("npm:{name}"))
}

/// Path → owner while the databases are read, refusing new paths past `max_paths`.
/// Each owner's name is held once, shared by its paths.
#[derive(Default)]
struct Owners {
    map: HashMap<Box<str>, Arc<str>>,
    names: HashSet<Arc<str>>,
    max_paths: usize,
    /// A path was refused.
    full: bool,
}

impl Owners {
    /// `path` is `owner`'s (a later database wins).
    fn insert(&mut self, path: &str, owner: &str) {
        let owner = match self.names.get(owner) {
            Some(name) => Arc::clone(name),
            None => {
                let name: Arc<str> = owner.into();
                self.names.insert(Arc::clone(&name));
                name
            }
        };
        if let Some(was) = self.map.get_mut(path) {
            *was = owner;
        } else if self.map.len() < self.max_paths {
            self.map.insert(path.into(), owner);
        } else {
            self.full = true;
        }
    }

    /// `path` is `owner`'s unless an earlier database said whose it is.
    fn insert_first(&mut self, path: &str, owner: impl FnOnce() -> String) {
        if !self.map.contains_key(path) {
            self.insert(path, &owner());
        }
    }
}

/// apk's installed database: `P:` package, `F:` directory, `R:` file in that directory.
fn apk(text: &str, owners: &mut Owners) {
    let (mut package, mut dir) = (String::new(), String::new());
    for line in text.lines() {
        if let Some(p) = line.strip_prefix("P:") {
            package = p.to_owned();
        } else if let Some(d) = line.strip_prefix("F:") {
            dir = d.to_owned();
        } else if let Some(file) = line.strip_prefix("R:") {
            let path = if dir.is_empty() {
                file.to_owned()
            } else {
                format!("{dir}/{file}")
            };
            owners.insert(&path, &format!("apk:{package}"));
        }
    }
}

/// A wheel's RECORD: `path,hash,size` relative to the directory holding the `.dist-info`.
fn record(path: &str, text: &str, owners: &mut Owners) {
    let Some((dist_info, _)) = path.rsplit_once('/') else {
        return;
    };
    let (site, dist) = dist_info.rsplit_once('/').unwrap_or(("", dist_info));
    let name = dist.trim_end_matches(".dist-info");
    let name = name.split('-').next().unwrap_or(name);
    for line in text.lines() {
        let Some(file) = line.split(',').next().filter(|f| !f.is_empty()) else {
            continue;
        };
        if let Some(path) = resolve(&format!("{site}/{file}")) {
            owners.insert_first(&path, || format!("python:{name}"));
        }
    }
}

/// `…/node_modules/<pkg>/…` or `…/node_modules/@scope/<pkg>/…`: the innermost package.
fn npm(path: &str) -> Option<String> {
    let (_, rest) = path.rsplit_once("node_modules/")?;
    let mut parts = rest.split('/');
    let first = parts.next()?;
    let name = if first.starts_with('@') {
        format!("{first}/{}", parts.next()?)
    } else {
        first.to_owned()
    };
    parts.next()?; // a file inside the package, not the package directory itself
    Some(format!("npm:{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_from_every_database() {
        let dpkg = b"/.\n/usr/lib/x86_64-linux-gnu/libgnutls.so.30.34.3\n";
        let apk = b"P:openssl\nV:3\nF:etc/ssl\nR:openssl.cnf\n\nP:busybox\nF:bin\nR:busybox\n";
        let wheel = b"pip/__init__.py,sha256=x,1\npip-23.0.dist-info/METADATA,,\n../../../bin/pip,sha256=y,2\n";
        let url = b"/usr/lib/python3/dist-packages/pip/url.py\n";
        let ownership = Ownership::from_databases([
            ("var/lib/dpkg/info/libgnutls30:amd64.list", &dpkg[..]),
            ("lib/apk/db/installed", &apk[..]),
            (
                "usr/lib/python3/dist-packages/pip-23.0.dist-info/RECORD",
                &wheel[..],
            ),
            ("var/lib/dpkg/info/python3-pip.list", &url[..]),
        ])
        .unwrap();
        let owner = |p: &str| ownership.owner(p);
        assert_eq!(
            owner("/usr/lib/x86_64-linux-gnu/libgnutls.so.30.34.3").as_deref(),
            Some("deb:libgnutls30")
        );
        assert_eq!(owner("etc/ssl/openssl.cnf").as_deref(), Some("apk:openssl"));
        assert_eq!(
            owner("/usr/lib/python3/dist-packages/pip/__init__.py").as_deref(),
            Some("python:pip")
        );
        assert_eq!(owner("/usr/bin/pip").as_deref(), Some("python:pip"));
        assert_eq!(
            owner("/app/node_modules/@aws-sdk/client-s3/dist/x.js").as_deref(),
            Some("npm:@aws-sdk/client-s3")
        );
        assert_eq!(
            owner("/app/node_modules/a/node_modules/b/test/key.pem").as_deref(),
            Some("npm:b")
        );
        assert_eq!(owner("/app/node_modules/.bin"), None);
        assert_eq!(owner("/srv/app/.env"), None);
        // listed by both dpkg and the wheel's RECORD: the OS package wins, in any input order
        let both = b"pip/url.py,sha256=z,3\n";
        for order in [[0, 1], [1, 0]] {
            let dbs = [
                ("var/lib/dpkg/info/python3-pip.list", &url[..]),
                (
                    "usr/lib/python3/dist-packages/pip-23.0.dist-info/RECORD",
                    &both[..],
                ),
            ];
            let ownership = Ownership::from_databases(order.map(|i| dbs[i])).unwrap();
            let owner = ownership.owner("usr/lib/python3/dist-packages/pip/url.py");
            assert_eq!(owner.as_deref(), Some("deb:python3-pip"));
        }
        let pyc = "/usr/lib/python3/dist-packages/pip/__pycache__/url.cpython-311.pyc";
        assert_eq!(owner(pyc).as_deref(), Some("deb:python3-pip"));
        assert_eq!(owner("/srv/app/__pycache__/main.cpython-311.pyc"), None);
        let cached = "/root/.npm/_cacache/content-v2/sha512/ab/cd/ef!/package/apis/x.json";
        assert_eq!(owner(cached).as_deref(), Some("cache:npm"));
        assert_eq!(
            owner("/srv/vendor/left-pad-1.3.0.tgz!/package/index.js").as_deref(),
            Some("npm:left-pad-1.3.0.tgz")
        );
        assert_eq!(
            owner("/home/app/.m2/repository/org/x/x.jar!/x.properties").as_deref(),
            Some("cache:maven")
        );
        assert_eq!(owner("/srv/app/release.tgz!/config/.env"), None);
        assert!(is_database("var/lib/dpkg/info/bash.list"));
        assert!(!is_database("var/lib/dpkg/info/bash.md5sums"));
    }

    #[test]
    fn distroless_lists_and_files_no_database_lists() {
        let md5sums = b"0123456789abcdef0123456789abcdef  usr/lib/x86_64-linux-gnu/libssl.so.3\n";
        let path = "var/lib/dpkg/status.d/libssl3.md5sums";
        assert!(is_database(path));
        let ownership = Ownership::from_databases([(path, &md5sums[..])]).unwrap();
        let owner = |p: &str| ownership.owner(p);
        for (file, expected) in [
            ("/usr/lib/x86_64-linux-gnu/libssl.so.3", "deb:libssl3"),
            (
                "/var/lib/dpkg/info/mariadb-server.postinst",
                "deb:mariadb-server",
            ),
            ("var/lib/dpkg/info/libc6:amd64.templates", "deb:libc6"),
            ("var/lib/dpkg/status.d/libssl3", "deb:libssl3"),
            ("var/cache/debconf/templates.dat", "deb:debconf"),
            (
                "usr/local/go/src/crypto/tls/testdata/example-key.pem",
                "toolchain:go",
            ),
            (
                "/etc/ssl/private/ssl-cert-snakeoil.key",
                "generated:ssl-cert-snakeoil",
            ),
            ("usr/local/lib/ruby/3.2.0/uri/generic.rb", "toolchain:ruby"),
            (
                "usr/local/lib/python3.12/test/keycert.pem",
                "toolchain:python",
            ),
            (
                "usr/local/apache2/manual/programs/htpasswd.html",
                "toolchain:httpd",
            ),
            ("opt/java/openjdk/lib/security/cacerts", "toolchain:java"),
            (
                "usr/local/bundle/gems/rack-3.0.8/lib/rack.rb",
                "gem:rack-3.0.8",
            ),
            (
                "app/vendor/bundle/ruby/3.2.0/gems/aws-sdk-core-3.190.0/lib/x.rb",
                "gem:aws-sdk-core-3.190.0",
            ),
            (
                "var/lib/gems/3.1.0/gems/net-ssh-7.2.0/test/id_rsa",
                "gem:net-ssh-7.2.0",
            ),
            (
                "usr/local/bundle/bundler/gems/rails-1a2b3c4d5e6f/README",
                "gem:rails-1a2b3c4d5e6f",
            ),
        ] {
            assert_eq!(owner(file).as_deref(), Some(expected), "{file}");
        }
        let help = "var/lib/mysql/mysql/help_topic.MAD";
        assert_eq!(owner(help).as_deref(), Some("generated:mysql-help-tables"));
        // the image owner's: debconf answers, a database's own tables, other dpkg state
        for own in [
            "var/cache/debconf/passwords.dat",
            "var/cache/debconf/config.dat",
            "var/lib/mysql/mysql/global_priv.MAD",
            "var/lib/mysql/app/help_topic.ibd",
            "var/lib/dpkg/info/",
            "var/lib/dpkg/status",
            "srv/usr/local/gopher/key.pem",
            "etc/ssl/private/server.key",
            "etc/ssh/ssh_host_ed25519_key",
            "usr/local/lib/python3.12/site-packages/app/settings.py",
            "usr/local/lib/pythonista/key.pem",
            "usr/local/bundle/config",
            "srv/app/gems/mygem/secret.env",
            "srv/app/gems/mygem-1.0/config/.env",
            "usr/local/apache2/conf/server.key",
        ] {
            assert_eq!(owner(own), None, "{own}");
        }
    }

    #[test]
    fn past_the_most_owned_paths_the_map_is_refused() {
        let list = |count: usize| -> Vec<u8> {
            (0..count)
                .flat_map(|i| format!("/f/{i}\n").into_bytes())
                .collect()
        };
        let (fits, over) = (list(100), list(101));
        let path = "var/lib/dpkg/info/big.list";
        let ownership = Ownership::at_most(100, [(path, &fits[..])]).unwrap();
        assert_eq!(ownership.owner("f/7").as_deref(), Some("deb:big"));
        // the same paths again, from another package: no new path, still fits
        let other = "var/lib/dpkg/info/other.list";
        let both = Ownership::at_most(100, [(path, &fits[..]), (other, &fits[..])]).unwrap();
        assert_eq!(both.owner("f/7").as_deref(), Some("deb:other"));
        let error = Ownership::at_most(100, [(path, &over[..])]).unwrap_err();
        assert_eq!(error, "the package databases list more than 100 files");
    }
}
