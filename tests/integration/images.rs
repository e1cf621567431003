//! Image scanning end to end on images built in code: every export format gives the same
//! findings; gzip, zstd and plain layers; whiteouts, opaque directories and overwrites give the
//! right status; config, labels and history build args; multi-platform indexes; stdin.

use crate::builder::{self, Compression, Entry, Format, ImageBuilder, file, layer};
use crate::common::{context, run_in};

const TOKEN: &str = "ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d";
const AWS: &str = "aws_secret_access_key = TOlUcR64cXQLioDnkHIfxIq2HZt+PlJhx2jIclHk";

/// A small image with one of each layer leak.
pub fn leaky() -> ImageBuilder {
    let mut base = layer(
        "/bin/sh -c #(nop) ADD file:base in / ",
        vec![
            Entry::Dir("etc".into()),
            file("etc/os-release", "ID=demo\n"),
            file("etc/app/config.json", "{}"),
        ],
    );
    base.compression = Compression::None;
    let mut app = layer(
        "COPY app/ /srv/app/ # buildkit",
        vec![
            Entry::Dir("srv/app".into()),
            file(
                "srv/app/main.py",
                &format!("# config\nTOKEN = \"{TOKEN}\"\n"),
            ),
            file("srv/app/.env", "DEBUG=1\n"),
            file("root/.aws/credentials", &format!("[default]\n{AWS}\n")),
        ],
    );
    app.compression = Compression::Zstd;
    let cleanup = layer(
        "RUN /bin/sh -c rm -rf /root/.aws && echo {} > /etc/app/config.json # buildkit",
        vec![
            file("root/.wh..aws", ""),
            file("etc/app/config.json", "{\"ok\":true}"),
        ],
    );
    ImageBuilder {
        layers: vec![base, app, cleanup],
        env: vec!["PATH=/usr/bin".into(), "DB_PASSWORD=postgres".into()],
        labels: vec![("maintainer".into(), "ops@example.org".into())],
        cmd: vec!["python".into(), "/srv/app/main.py".into()],
        empty_history: vec!["|1 NPM_TOKEN=Zk2m9Qx7Lp4vW8rTq3 /bin/sh -c npm ci # buildkit".into()],
    }
}

/// `(rule, kind, path or field, layer, status)` of each finding of a JSON report.
fn rows(stdout: &str) -> Vec<String> {
    let json: serde_json::Value = serde_json::from_str(stdout).unwrap();
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let l = &f["location"];
            let place = l["field"]
                .as_str()
                .map_or_else(|| l["path"].as_str().unwrap().to_owned(), str::to_owned);
            format!(
                "{} {} {} layer={} {} line={}",
                f["rule_id"].as_str().unwrap(),
                l["kind"].as_str().unwrap(),
                place,
                l["layer_index"],
                l["status"].as_str().unwrap_or("-"),
                l["line"],
            )
        })
        .collect()
}

fn expected() -> Vec<&'static str> {
    vec![
        "dockerfile.secret-env config Env[1] layer=null - line=null",
        "image.secret-build-arg config history[3].created_by layer=null - line=null",
        "github.pat layer /srv/app/main.py layer=1 present line=2",
        "file.dotenv layer /srv/app/.env layer=1 present line=null",
        "aws.secret-access-key layer /root/.aws/credentials layer=1 deleted line=2",
        "file.aws-credentials layer /root/.aws/credentials layer=1 deleted line=null",
    ]
}

#[test]
fn every_export_format_gives_the_same_findings() {
    let image = leaky();
    let dir = context(&[]);
    let root = dir.path();
    let mut inputs = Vec::new();
    for (name, format) in [
        ("legacy.tar", Format::DockerLegacy),
        ("docker25.tar", Format::Docker25),
        ("oci.tar", Format::OciArchive),
    ] {
        std::fs::write(root.join(name), image.tar(format)).unwrap();
        inputs.push(name.to_owned());
    }
    std::fs::write(
        root.join("oci.tar.gz"),
        builder::gzip(&image.tar(Format::OciArchive)),
    )
    .unwrap();
    inputs.push("oci.tar.gz".into());
    builder::write_dir(&root.join("oci-dir"), &image.files(Format::OciArchive));
    inputs.push("oci-dir".into());
    let mut first: Option<Vec<String>> = None;
    for input in &inputs {
        let out = run_in(root, &["scan", input, "--format", "json"], b"");
        assert_eq!(out.code, 1, "{input}: {}{}", out.stdout, out.stderr);
        let found = rows(&out.stdout);
        match &first {
            None => first = Some(found),
            Some(f) => assert_eq!(&found, f, "{input} differs"),
        }
    }
    let found = first.unwrap();
    let mut want: Vec<String> = expected().into_iter().map(str::to_owned).collect();
    want[0] = want[0].replace("dockerfile.secret-env", "image.secret-env");
    let mut sorted = found.clone();
    sorted.sort();
    want.sort();
    assert_eq!(sorted, want);
    let stdin = run_in(
        root,
        &["scan", "-", "--format", "json"],
        &image.tar(Format::DockerLegacy),
    );
    assert_eq!(rows(&stdin.stdout), found, "stdin");
}

#[test]
fn layer_findings_say_where_and_what_happened() {
    let dir = context(&[]);
    std::fs::write(dir.path().join("img.tar"), leaky().tar(Format::OciArchive)).unwrap();
    let out = run_in(dir.path(), &["scan", "img.tar", "--format", "json"], b"");
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let aws = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "aws.secret-access-key")
        .unwrap();
    let l = &aws["location"];
    assert_eq!(l["image"], "demo:latest");
    assert_eq!(l["status"], "deleted");
    assert_eq!(l["changed_by_layer"], 2);
    assert_eq!(l["instruction"], "COPY app/ /srv/app/");
    assert_eq!(l["column"], 25);
    assert!(l["layer_digest"].as_str().unwrap().starts_with("sha256:"));
    assert!(l["diff_id"].as_str().unwrap().starts_with("sha256:"));
    assert!(
        aws["message"]
            .as_str()
            .unwrap()
            .contains("deleted by layer 2")
    );
    assert_eq!(aws["secret"], "TOlU…clHk");
    let text = run_in(dir.path(), &["scan", "img.tar"], b"").stdout;
    assert!(!text.contains("TOlUcR64cXQLioDnkHIfxIq2HZt"), "{text}");
}

#[test]
fn opaque_directories_and_overwrites() {
    let image = ImageBuilder {
        layers: vec![
            layer(
                "a",
                vec![file("opt/app/.npmrc", "x=1"), file("srv/id_rsa", "k")],
            ),
            layer(
                "b",
                vec![
                    file("opt/app/.wh..wh..opq", ""),
                    file("srv/id_rsa", "again"),
                ],
            ),
            layer("c", vec![file("opt/app/.npmrc", "y=2")]),
        ],
        ..ImageBuilder::default()
    };
    let dir = context(&[]);
    std::fs::write(dir.path().join("img.tar"), image.tar(Format::DockerLegacy)).unwrap();
    let out = run_in(dir.path(), &["scan", "img.tar", "--format", "json"], b"");
    let mut found = rows(&out.stdout);
    found.sort();
    assert_eq!(
        found,
        [
            "file.npmrc layer /opt/app/.npmrc layer=0 deleted line=null",
            "file.npmrc layer /opt/app/.npmrc layer=2 present line=null",
            "file.ssh-private-key layer /srv/id_rsa layer=0 overwritten line=null",
            "file.ssh-private-key layer /srv/id_rsa layer=1 present line=null",
        ]
    );
}

#[test]
fn long_names_links_and_binary_files() {
    let long = format!("usr/share/{}/secrets.txt", "d".repeat(180));
    let mut binary = vec![0u8, 159, 146, 150, 255];
    binary.extend_from_slice(TOKEN.as_bytes());
    binary.extend_from_slice(&[0, 1, 2]);
    let image = ImageBuilder {
        layers: vec![layer(
            "a",
            vec![
                file(&long, TOKEN),
                Entry::Symlink("etc/link".into(), "../../../../etc/shadow".into()),
                Entry::Hardlink("etc/hard".into(), long.clone()),
                Entry::File("usr/bin/tool".into(), binary),
            ],
        )],
        ..ImageBuilder::default()
    };
    let dir = context(&[]);
    std::fs::write(dir.path().join("img.tar"), image.tar(Format::OciArchive)).unwrap();
    let out = run_in(dir.path(), &["scan", "img.tar", "--format", "json"], b"");
    assert_eq!(out.code, 1, "{}", out.stdout);
    let found = rows(&out.stdout);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.iter().any(|r| r.contains(&format!("/{long} "))));
    assert!(found.iter().any(|r| r.contains("/usr/bin/tool ")));
}

#[test]
fn thread_count_does_not_change_an_image_report() {
    let dir = context(&[]);
    std::fs::write(dir.path().join("img.tar"), leaky().tar(Format::OciArchive)).unwrap();
    let one = run_in(
        dir.path(),
        &["scan", "img.tar", "--format", "json", "-j1"],
        b"",
    );
    let four = run_in(
        dir.path(),
        &["scan", "img.tar", "--format", "json", "-j4"],
        b"",
    );
    assert_eq!(one.stdout, four.stdout);
}
