//! The labelled accuracy set: planted secrets and decoys in Dockerfiles (tests/accuracy/) and in
//! an image built in code, scored per rule family (the rule id before its first dot). A planted
//! secret counts as found when a finding of its family at medium or above sits on its line (or
//! file, for images); every other finding at medium or above is a false positive. Prints the table
//! (`cargo test --test integration accuracy -- --nocapture`) and holds the line: full recall and
//! no false positive on this set.

// The table is this test's output.
#![allow(clippy::print_stderr)]

use std::collections::BTreeMap;

use crate::builder::{Format, ImageBuilder, file, layer};
use crate::common::{context, root, run, run_in};

/// `(source suffix, line or 0, family)` of a planted secret.
type Label = (String, u32, String);

#[derive(Default)]
struct Score {
    found: u32,
    missed: u32,
    false_positives: u32,
}

fn family(rule_id: &str) -> String {
    rule_id.split('.').next().unwrap_or(rule_id).to_owned()
}

/// Findings at medium or above as `(path, line or 0, family)`.
fn reported(stdout: &str) -> Vec<(String, u32, String)> {
    let json: serde_json::Value = serde_json::from_str(stdout).unwrap();
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| ["critical", "high", "medium"].contains(&f["severity"].as_str().unwrap()))
        .map(|f| {
            let l = &f["location"];
            let line = if l["kind"] == "dockerfile" {
                l["line"].as_u64().unwrap_or(0) as u32
            } else {
                0
            };
            (
                l["path"].as_str().unwrap().to_owned(),
                line,
                family(f["rule_id"].as_str().unwrap()),
            )
        })
        .collect()
}

fn score(labels: &[Label], found: &[(String, u32, String)], table: &mut BTreeMap<String, Score>) {
    for (path, line, fam) in labels {
        let hit = found
            .iter()
            .any(|(p, l, f)| p.ends_with(path.as_str()) && l == line && f == fam);
        let entry = table.entry(fam.clone()).or_default();
        if hit {
            entry.found += 1
        } else {
            entry.missed += 1
        }
    }
    for (path, line, fam) in found {
        let labelled = labels
            .iter()
            .any(|(p, l, f)| path.ends_with(p.as_str()) && l == line && f == fam);
        if !labelled {
            eprintln!("false positive: {path}:{line} ({fam})");
            table.entry(fam.clone()).or_default().false_positives += 1;
        }
    }
}

fn dockerfile_labels() -> Vec<Label> {
    let text = std::fs::read_to_string(root().join("tests/accuracy/labels.toml")).unwrap();
    let labels: toml::Value = toml::from_str(&text).unwrap();
    labels["secret"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["file"].as_str().unwrap().to_owned(),
                s["line"].as_integer().unwrap() as u32,
                s["family"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// An image with planted secrets in the owner's files and decoys everywhere else.
fn image() -> (ImageBuilder, Vec<Label>) {
    let vendor_key = "-----BEGIN RSA PRIVATE KEY-----\nMIFgeUK98iEG8IR3YvDzy012TccHIFEVmg+J8sbayuNEuzESRf1vhN+a18Wz0Has\nDo9TpzVsiJE/IPb3LbAi0k0KltrUPBYXwamOeBKeAyc3EGXQlYZPFa2guEbBwOvFNIrc\n-----END RSA PRIVATE KEY-----\n";
    let cert = "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ\n-----END CERTIFICATE-----\n";
    let minified = "var a=\"Qm9vdHN0cmFwIHY1LjMuMyAoaHR0cHM6Ly9nZXRib290c3RyYXAuY29tLyk\",b=\"sha384-QWTKZyjpPEjISv5WaRU9OFeRpok6YctnYmDr5pNlyT2bRjXh0JMhjY6hW+ALEwIH\";\n";
    let docs = "Set the token: export GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nAWS example: AKIAIOSFODNN7EXAMPLE\npassword: <your-password>\n";
    let image = ImageBuilder {
        layers: vec![
            layer(
                "/bin/sh -c #(nop) ADD file:base in /",
                vec![
                    file("usr/lib/libtls.so.1", vendor_key),
                    file(
                        "var/lib/dpkg/info/libtls1:amd64.list",
                        "/.\n/usr/lib/libtls.so.1\n",
                    ),
                    file("etc/ssl/certs/ca.pem", cert),
                    file("usr/share/doc/tool/README.md", docs),
                    file(
                        "etc/ssh/ssh_host_ed25519_key.pub",
                        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK0wmN/Cr3JXqmLW7u+g9pTh+wyqDHpSQEIQczXkVx9q root@build\n",
                    ),
                    // what installing Debian's mariadb-server, ssl-cert and golang leaves
                    file(
                        "var/lib/dpkg/info/mariadb-server.postinst",
                        "# /etc/passwd: mysql:x:100:101:MySQL Server:/nonexistent:/bin/false\n\
                         find $mysql_datadir ! -uid \"$(id -u mysql)\" -print0 | xargs -0 -r chown mysql\n",
                    ),
                    file(
                        "var/lib/mysql/mysql/help_topic.MAD",
                        "CREATE USER 'bob'@'localhost' IDENTIFIED BY 'Str0ngPassw0rd';\n",
                    ),
                    file("etc/ssl/private/ssl-cert-snakeoil.key", vendor_key),
                ],
            ),
            layer(
                "COPY app/ /srv/app/ # buildkit",
                vec![
                    file(
                        "srv/app/config.yml",
                        "db:\n  url: postgres://shop:Vq8nR2kLm4Tz@db:5432/shop\n",
                    ),
                    file("srv/app/static/app.min.js", minified),
                    file(
                        "srv/app/SHA256SUMS",
                        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  app.tgz\n",
                    ),
                    file("srv/app/node_modules/sdk/test/fixture.pem", vendor_key),
                    file(
                        "srv/app/.npmrc",
                        "//registry.npmjs.org/:_authToken=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\n",
                    ),
                    file(
                        "root/.aws/credentials",
                        "[default]\naws_secret_access_key = TOlUcR64cXQLioDnkHIfxIq2HZt+PlJhx2jIclHk\n",
                    ),
                    file(
                        "root/.m2/settings.xml",
                        "<settings><servers><server><id>nexus</id><username>deploy</username>\
                         <password>Pl0kM9nJi8Uh</password></server></servers></settings>\n",
                    ),
                    file(
                        "var/www/html/wp-config.php",
                        "<?php\ndefine( 'DB_NAME', 'wordpress' );\ndefine( 'DB_PASSWORD', 'Jk8hG5fDs2Aq' );\n",
                    ),
                    file(
                        "root/.s3cfg",
                        "[default]\naccess_key = AKIAOEQH5AV2RICPHKQD\nsecret_key = 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\n",
                    ),
                    file("root/.vault-token", "s.Qw7rT2xP9zLkQw7rT2xP9zLk\n"),
                ],
            ),
            layer(
                "RUN /bin/sh -c rm -rf /root/.aws # buildkit",
                vec![file("root/.wh..aws", "")],
            ),
        ],
        env: vec![
            "PATH=/usr/bin".into(),
            "STRIPE_KEY=sk_live_BYOvfZ8UzDzV8fUkkibjL5DZ".into(),
            "NODE_VERSION=20.11.1".into(),
        ],
        labels: vec![(
            "org.opencontainers.image.revision".into(),
            "3f1c0e9a8b7d6c5e4f3a2b1c0d9e8f7a6b5c4d3e".into(),
        )],
        ..ImageBuilder::default()
    };
    let labels = [
        ("/srv/app/config.yml", "database"),
        ("/srv/app/.npmrc", "npm"),
        ("/srv/app/.npmrc", "file"),
        ("/root/.aws/credentials", "aws"),
        ("/root/.aws/credentials", "file"),
        ("config", "stripe"),
        ("/root/.m2/settings.xml", "generic"),
        ("/var/www/html/wp-config.php", "generic"),
        ("/root/.s3cfg", "aws"),
        ("/root/.s3cfg", "generic"),
        ("/root/.s3cfg", "file"),
        ("/root/.vault-token", "file"),
    ];
    let labels = labels
        .iter()
        .map(|(p, f)| ((*p).to_owned(), 0, (*f).to_owned()))
        .collect();
    (image, labels)
}

#[test]
fn accuracy_per_rule_family() {
    let mut table: BTreeMap<String, Score> = BTreeMap::new();
    let dockerfiles = run(&["scan", "tests/accuracy", "--no-context", "--format", "json"]);
    score(
        &dockerfile_labels(),
        &reported(&dockerfiles.stdout),
        &mut table,
    );
    let (image, labels) = image();
    let dir = context(&[]);
    std::fs::write(
        dir.path().join("accuracy.tar"),
        image.tar(Format::OciArchive),
    )
    .unwrap();
    let out = run_in(
        dir.path(),
        &["scan", "accuracy.tar", "--format", "json"],
        b"",
    );
    score(&labels, &reported(&out.stdout), &mut table);

    let (mut found, mut missed, mut false_positives) = (0, 0, 0);
    eprintln!(
        "{:<14} {:>6} {:>7} {:>4} {:>10} {:>7}",
        "family", "found", "missed", "FP", "precision", "recall"
    );
    for (family, s) in &table {
        let precision = f64::from(s.found) / f64::from((s.found + s.false_positives).max(1));
        let recall = f64::from(s.found) / f64::from((s.found + s.missed).max(1));
        eprintln!(
            "{family:<14} {:>6} {:>7} {:>4} {precision:>10.2} {recall:>7.2}",
            s.found, s.missed, s.false_positives
        );
        (found, missed, false_positives) = (
            found + s.found,
            missed + s.missed,
            false_positives + s.false_positives,
        );
    }
    eprintln!(
        "{:<14} {found:>6} {missed:>7} {false_positives:>4}",
        "total"
    );
    assert!(found >= 40, "the set has {found} planted secrets");
    assert_eq!(
        (missed, false_positives),
        (0, 0),
        "every planted secret found, no decoy reported"
    );
}

#[test]
fn no_output_format_prints_a_planted_secret_unless_asked() {
    let shown = run(&[
        "scan",
        "tests/accuracy",
        "--no-context",
        "--format",
        "json",
        "--show-secrets",
    ]);
    let json: serde_json::Value = serde_json::from_str(&shown.stdout).unwrap();
    let secrets: Vec<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info")
        .filter_map(|f| f["secret"].as_str().map(str::to_owned))
        .filter(|s| s.len() >= 6)
        .collect();
    assert!(secrets.len() >= 25, "{} secrets", secrets.len());
    for format in crate::common::FORMATS {
        let out = run(&[
            "scan",
            "tests/accuracy",
            "--no-context",
            "--format",
            format,
            "--color",
            "always",
        ]);
        for secret in &secrets {
            assert!(
                !out.stdout.contains(secret.as_str()),
                "{format} output prints {secret}"
            );
        }
    }
}
