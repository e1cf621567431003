//! Secrets in an image's metadata: provenance attestations as BuildKit attaches them (an
//! attestation manifest in the index naming its image by `vnd.docker.reference.digest`, with
//! in-toto SLSA statements v0.2 and v1 as its layers, and an SBOM beside them that is not read),
//! the config fields no other check names, and BuildKit 0.10's `moby.buildkit.buildinfo.v1`.
//! Statement shapes follow BuildKit's `docs/attestations/slsa-definitions.md`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::builder::{self, Files, file};
use super::common::context;
use super::images::{error_text, scan_files};

const TOKEN: &str = "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";
const STRIPE: &str = "sk_live_51HxYzAbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefghijkl";

fn blob(files: &mut Files, bytes: Vec<u8>) -> Value {
    let digest = builder::sha256(&bytes);
    let size = bytes.len();
    files.push((format!("blobs/sha256/{}", &digest[7..]), bytes));
    json!({ "digest": digest, "size": size })
}

fn descriptor(media: &str, at: Value) -> Value {
    json!({ "mediaType": media, "digest": at["digest"], "size": at["size"] })
}

/// An OCI layout of one clean layer, the config given `extra` fields, and an attestation
/// manifest holding `statements` (predicate type, statement) for the image (or, with
/// `subject`, for another digest).
fn image(extra: Value, statements: &[(&str, Value)], subject: Option<&str>) -> Files {
    let mut files: Files = Vec::new();
    let tar = builder::tar_of(&[file("srv/app/readme.txt", "hello\n")]);
    let layer = blob(&mut files, builder::gzip(&tar));
    let mut config = json!({
        "architecture": "amd64", "os": "linux",
        "config": { "Env": ["PATH=/usr/bin"] },
        "rootfs": { "type": "layers", "diff_ids": [builder::sha256(&tar)] },
        "history": [{ "created_by": "COPY . /srv/app # buildkit" }],
    });
    for (key, value) in extra.as_object().unwrap() {
        config[key] = value.clone();
    }
    let config = blob(&mut files, serde_json::to_vec(&config).unwrap());
    let manifest = json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": descriptor("application/vnd.oci.image.config.v1+json", config),
        "layers": [descriptor("application/vnd.oci.image.layer.v1.tar+gzip", layer)],
    });
    let manifest = blob(&mut files, serde_json::to_vec(&manifest).unwrap());
    let mut layers = Vec::new();
    for (kind, statement) in statements {
        let at = blob(&mut files, serde_json::to_vec(statement).unwrap());
        let mut layer = descriptor("application/vnd.in-toto+json", at);
        layer["annotations"] = json!({ "in-toto.io/predicate-type": kind });
        layers.push(layer);
    }
    let empty = blob(&mut files, b"{}".to_vec());
    let attestation = json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": descriptor("application/vnd.oci.image.config.v1+json", empty),
        "layers": layers,
    });
    let attestation = blob(&mut files, serde_json::to_vec(&attestation).unwrap());
    let subject = subject.map_or(manifest["digest"].clone(), |s| json!(s));
    let index = json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": manifest["digest"], "size": manifest["size"],
                "platform": { "os": "linux", "architecture": "amd64" },
                "annotations": { "org.opencontainers.image.ref.name": "app:1" },
            },
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": attestation["digest"], "size": attestation["size"],
                "platform": { "os": "unknown", "architecture": "unknown" },
                "annotations": {
                    "vnd.docker.reference.digest": subject,
                    "vnd.docker.reference.type": "attestation-manifest",
                },
            },
        ],
    });
    files.push(("index.json".into(), serde_json::to_vec(&index).unwrap()));
    files.push((
        "oci-layout".into(),
        br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
    ));
    files
}

const V02: &str = "https://slsa.dev/provenance/v0.2";
const V1: &str = "https://slsa.dev/provenance/v1";
const SPDX: &str = "https://spdx.dev/Document";

/// SLSA v0.2 as BuildKit writes it with `mode=max`: the request's `args`, each step's `env`,
/// the Dockerfile base64 in the metadata; `args` holds what `args_of` gives.
fn v02(args: Value, env: &[&str], dockerfile: &str) -> Value {
    json!({
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": V02,
        "subject": [{ "name": "pkg:docker/app@1", "digest": { "sha256": "ab" } }],
        "predicate": {
            "builder": { "id": "https://github.com/acme/app/actions/runs/1" },
            "buildType": "https://mobyproject.org/buildkit@v1",
            "materials": [{ "uri": "pkg:docker/alpine@3.19?platform=linux%2Famd64",
                            "digest": { "sha256": "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" } }],
            "invocation": {
                "configSource": { "entryPoint": "Dockerfile" },
                "parameters": { "frontend": "dockerfile.v0", "args": args,
                                "locals": [{ "name": "context" }, { "name": "dockerfile" }] },
                "environment": { "platform": "linux/amd64" },
            },
            "buildConfig": { "llbDefinition": [{ "id": "step0", "op": { "Op": { "exec": {
                "meta": { "args": ["/bin/sh", "-c", "npm ci"], "env": env, "cwd": "/srv/app" } } } } }] },
            "metadata": {
                "buildInvocationID": "rpv7a389uzil5lqmrgwhijwjz",
                "https://mobyproject.org/buildkit@v1#metadata": { "source": { "infos": [{
                    "filename": "Dockerfile", "language": "Dockerfile",
                    "data": STANDARD.encode(dockerfile) }] } },
            },
        },
    })
}

/// SLSA v1 as BuildKit writes it with `mode=min`: the request's `args` and the context's URL.
fn v1(args: Value, context: &str) -> Value {
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "predicateType": V1,
        "subject": [{ "name": "pkg:docker/app@1", "digest": { "sha256": "ab" } }],
        "predicate": {
            "buildDefinition": {
                "buildType": "https://github.com/moby/buildkit/blob/master/docs/attestations/slsa-definitions.md",
                "externalParameters": {
                    "configSource": { "uri": context, "path": "Dockerfile" },
                    "request": { "frontend": "dockerfile.v0", "args": args },
                },
                "internalParameters": { "builderPlatform": "linux/amd64" },
                "resolvedDependencies": [{ "uri": context, "digest": { "sha1": "4b220de5058abfd01ff619c9d2ff6b09a049bea0" } }],
            },
            "runDetails": { "builder": { "id": "" }, "metadata": { "invocationID": "x" } },
        },
    })
}

fn spdx(secret: &str) -> Value {
    json!({ "_type": "https://in-toto.io/Statement/v0.1", "predicateType": SPDX,
            "predicate": { "packages": [{ "name": "left-pad", "comment": secret }] } })
}

/// (rule, field) of each finding, sorted.
fn found(json: &Value) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let rule = f["rule_id"].as_str().unwrap().to_owned();
            (
                rule,
                f["location"]["field"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    rows.sort();
    rows
}

fn row(rule: &str, field: &str) -> (String, String) {
    (rule.to_owned(), field.to_owned())
}

#[test]
fn build_arguments_and_sources_in_provenance_are_found() {
    let args = json!({
        "build-arg:NPM_TOKEN": "Zk3xq9LmPz8Wv2Rt6Yb1Nc4Hd7",
        "build-arg:DB_PASSWORD": "Xq7#mP2$vL9wK4",
        "build-arg:NODE_ENV": "production",
        "label:org.opencontainers.image.source": "https://github.com/acme/app",
        "target": "release",
    });
    let env = [
        "PATH=/usr/bin",
        "API_SECRET=Hj8kL2pQ9zX4vB7m",
        "SIGNING_KEY=Qm4tR8vX2zL6nP0w",
    ];
    let dockerfile = format!("FROM node:20\nENV STRIPE_KEY={STRIPE}\nRUN npm ci\n");
    let context = format!("https://x-access-token:{TOKEN}@github.com/acme/app.git#main");
    let statements = [
        (V02, v02(args, &env, &dockerfile)),
        (
            V1,
            v1(
                json!({ "build-arg:BUILDKIT_CONTEXT_KEEP_GIT_DIR": "1" }),
                &context,
            ),
        ),
        (SPDX, spdx(TOKEN)),
    ];
    let (code, json) = scan_files(&image(json!({}), &statements, None), &[]);
    assert_eq!(code, 1, "{}", error_text(&json));
    let params = "provenance:predicate.invocation.parameters.args";
    let steps = "provenance:predicate.buildConfig.llbDefinition[0].op.Op.exec.meta.env";
    let infos = r#"provenance:predicate.metadata["https://mobyproject.org/buildkit@v1#metadata"].source.infos[0].data (decoded)"#;
    let v1_context = "provenance:predicate.buildDefinition.externalParameters.configSource.uri";
    assert_eq!(
        found(&json),
        [
            row("generic.password-assignment", &format!("{steps}[1]")),
            row("github.pat", v1_context),
            row(
                "image.secret-build-arg",
                &format!("{params}[\"build-arg:DB_PASSWORD\"]")
            ),
            row(
                "image.secret-build-arg",
                &format!("{params}[\"build-arg:NPM_TOKEN\"]")
            ),
            row("image.secret-env", &format!("{steps}[2]")),
            row("stripe.secret-key", infos),
        ]
    );
    let text = json.to_string();
    assert!(
        text.contains("also in provenance:predicate.buildDefinition.resolvedDependencies[0].uri"),
        "{text}"
    );
    assert!(
        !text.contains(&TOKEN[8..30]) && !text.contains(&STRIPE[12..40]),
        "redacted: {text}"
    );
    // a `$` in a recorded build argument is part of the value (the shell expanded before)
    assert!(
        text.contains("DB_PASSWORD looks secret and holds a literal value"),
        "{text}"
    );

    // an attestation for another image, and an SBOM, are not this image's provenance
    let other = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    let statements = [(V02, v02(json!({ "build-arg:NPM_TOKEN": TOKEN }), &[], ""))];
    let (code, json) = scan_files(&image(json!({}), &statements, Some(other)), &[]);
    assert_eq!((code, found(&json)), (0, vec![]), "{json}");
    let (code, json) = scan_files(&image(json!({}), &[(SPDX, spdx(TOKEN))], None), &[]);
    assert_eq!((code, found(&json)), (0, vec![]), "{json}");
}

#[test]
fn clean_provenance_is_quiet_and_a_corrupt_one_is_an_error() {
    let args = json!({ "build-arg:NODE_ENV": "production", "build-arg:SECRET_FILE": "/run/secrets/key",
                       "source": "docker/dockerfile:1", "target": "release" });
    let env = [
        "PATH=/usr/local/bin:/usr/bin",
        "NODE_ENV=production",
        "PASSWORD_FILE=/run/secrets/pw",
    ];
    let dockerfile = "FROM node:20\nARG NODE_ENV\nRUN --mount=type=secret,id=npmrc npm ci\n";
    let statements = [
        (V02, v02(args, &env, dockerfile)),
        (
            V1,
            v1(
                json!({ "target": "release" }),
                "https://github.com/acme/app.git#main",
            ),
        ),
    ];
    let (code, json) = scan_files(&image(json!({}), &statements, None), &[]);
    assert_eq!((code, found(&json)), (0, vec![]), "{json}");

    let mut files = image(
        json!({ "config": { "Env": [format!("GH={TOKEN}")] } }),
        &statements,
        None,
    );
    let provenance = files
        .iter()
        .position(|(_, bytes)| bytes.starts_with(b"{\"_type\""))
        .unwrap();
    files[provenance].1 = b"{\"_type\": \"https://in-toto.io/Statement/v0.1\", \"predi".to_vec();
    let (code, json) = scan_files(&files, &[]);
    assert_eq!(code, 2);
    assert!(
        error_text(&json).contains("is not valid JSON"),
        "{}",
        error_text(&json)
    );
    assert_eq!(
        found(&json),
        [row("github.pat", "Env[0]")],
        "the config is still read"
    );
}

#[test]
fn every_config_string_is_read_and_buildkit_build_info_too() {
    let request = json!({ "frontend": "dockerfile.v0", "attrs": {
        "build-arg:DB_PASSWORD": "Xq7mP2vL9wK4Tz", "filename": "Dockerfile",
        "context": format!("https://oauth2:{TOKEN}@gitlab.example.com/acme/app.git") } });
    let extra = json!({
        "config": {
            "Env": format!("GITHUB_TOKEN={TOKEN}"),
            "Healthcheck": { "Test": ["CMD-SHELL", "curl -f http://admin:Pr0dPassw0rd9@localhost:8080/health"] },
            "Labels": { "maintainer": "ops@example.com" },
        },
        "moby.buildkit.buildinfo.v1": STANDARD.encode(serde_json::to_vec(&request).unwrap()),
    });
    let (code, json) = scan_files(&image(extra, &[], None), &[]);
    assert_eq!(code, 1, "{}", error_text(&json));
    assert_eq!(
        found(&json),
        [
            row("generic.url-credentials", "Healthcheck"),
            row("github.pat", "config.Env"),
            row(
                "image.secret-build-arg",
                r#"moby.buildkit.buildinfo.v1:attrs["build-arg:DB_PASSWORD"]"#
            ),
        ]
    );
    assert!(
        json.to_string()
            .contains("also in moby.buildkit.buildinfo.v1:attrs.context"),
        "{json}"
    );
}

/// An exec-form healthcheck is read as the command line it runs: a password split from its
/// option (`"-a", "…"`) is found, as in `Cmd`.
#[test]
fn an_exec_form_healthcheck_is_read_as_one_command_line() {
    let extra = json!({ "config": {
        "Healthcheck": { "Test": ["CMD", "redis-cli", "-a", "Nc7vBt3yQw9P", "ping"] },
        "Cmd": ["mongosh", "--password", "Rq4mXw8zLp2K"],
    } });
    let (code, json) = scan_files(&image(extra, &[], None), &[]);
    assert_eq!(code, 1, "{}", error_text(&json));
    assert_eq!(
        found(&json),
        [
            row("cli.redis-password", "Healthcheck"),
            row("generic.password-flag", "Cmd"),
        ]
    );
}

/// With `--dockerfile`, a build argument found in provenance points at its `ARG`, and a
/// healthcheck's password at the `HEALTHCHECK`.
#[test]
fn provenance_and_healthcheck_findings_point_at_the_dockerfile() {
    let dockerfile = "FROM node:20\nARG NPM_TOKEN\nRUN npm ci\n\
        HEALTHCHECK CMD curl -f http://localhost:8080/health\n";
    let extra = json!({ "config": { "Healthcheck": { "Test": ["CMD-SHELL",
        "curl -f http://admin:Pr0dPassw0rd9@localhost:8080/health"] } } });
    let statements = [(
        V02,
        v02(
            json!({ "build-arg:NPM_TOKEN": "Zk3xq9LmPz8Wv2Rt6Yb1Nc4Hd7" }),
            &[],
            "",
        ),
    )];
    let dir = context(&[("Dockerfile", dockerfile)]);
    let tar = builder::archive(&image(extra, &statements, None));
    std::fs::write(dir.path().join("img.tar"), tar).unwrap();
    let json = super::attribution::scan_attributed(dir.path());
    let mut lines: Vec<(String, u64)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["location"]["kind"] == "config")
        .map(|f| {
            let rule = f["rule_id"].as_str().unwrap().to_owned();
            (
                rule,
                f["location"]["instruction_line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            ("generic.url-credentials".to_owned(), 4),
            ("image.secret-build-arg".to_owned(), 2)
        ],
        "{json}"
    );
}

/// cosign stores attestations as `sha256-<digest>.att` images whose layers are DSSE envelopes:
/// the in-toto statement is the base64 `payload`, read like BuildKit's.
#[test]
fn a_cosign_attestation_envelope_is_opened() {
    let mut files: Files = Vec::new();
    let statement = json!({
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": V02,
        "predicate": { "invocation": { "parameters": { "inputs": { "deploy_token": TOKEN } } } },
    });
    let envelope = json!({
        "payloadType": "application/vnd.in-toto+json",
        "payload": STANDARD.encode(serde_json::to_vec(&statement).unwrap()),
        "signatures": [{ "keyid": "", "sig": "MEUCIQDx" }],
    });
    let layer = blob(&mut files, serde_json::to_vec(&envelope).unwrap());
    let config = blob(
        &mut files,
        br#"{"architecture":"","os":"","rootfs":{"type":"layers","diff_ids":[]}}"#.to_vec(),
    );
    let manifest = json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": descriptor("application/vnd.oci.image.config.v1+json", config),
        "layers": [descriptor("application/vnd.dsse.envelope.v1+json", layer)],
    });
    let manifest = blob(&mut files, serde_json::to_vec(&manifest).unwrap());
    let mut entry = descriptor("application/vnd.oci.image.manifest.v1+json", manifest);
    entry["annotations"] = json!({ "org.opencontainers.image.ref.name": "sha256-ab.att" });
    let index = json!({ "schemaVersion": 2, "manifests": [entry] });
    files.push(("index.json".into(), serde_json::to_vec(&index).unwrap()));
    let (code, json) = scan_files(&files, &[]);
    assert_eq!(code, 1, "{}", error_text(&json));
    assert_eq!(
        found(&json),
        [row(
            "github.pat",
            "provenance:payload:predicate.invocation.parameters.inputs.deploy_token"
        )]
    );
}

/// A secret used as a JSON key (a label named by a token, an odd statement) is reported, and
/// every path through it shows `…` instead: field names are printed unredacted.
#[test]
fn a_secret_used_as_a_key_is_reported_and_never_shown() {
    let extra = json!({ "config": {
        "Labels": { TOKEN: "x" },
        "Healthcheck": { TOKEN: { "inner": STRIPE } },
    } });
    let statement = json!({ "_type": "https://in-toto.io/Statement/v0.1", "predicateType": V02,
        "predicate": { "invocation": { "parameters": { "args": { TOKEN: "1" } } } } });
    let (code, json) = scan_files(&image(extra, &[(V02, statement)], None), &[]);
    assert_eq!(code, 1, "{}", error_text(&json));
    assert_eq!(
        found(&json),
        [
            row("github.pat", "config.Healthcheck (a key)"),
            row("stripe.secret-key", r#"config.Healthcheck["…"].inner"#),
        ]
    );
    let text = json.to_string();
    assert!(
        !text.contains(&TOKEN[8..30]) && !text.contains(&STRIPE[12..40]),
        "{text}"
    );
    let also =
        "also in config.Labels (a key), provenance:predicate.invocation.parameters.args (a key)";
    assert!(text.contains(also), "{text}");
}

/// Annotations (`docker buildx build --annotation`) are public like labels: those of the
/// manifest, of the index entry naming it and of the index itself are checked, values by the
/// content rules, a literal under a secret-looking key by its name, a token used as a key too;
/// the tags and sources every export carries stay quiet.
#[test]
fn annotations_of_manifests_and_indexes_are_checked_like_labels() {
    let mut files = image(json!({}), &[], None);
    let at = |files: &Files, name: &str| files.iter().position(|(n, _)| n == name).unwrap();
    let i = at(&files, "index.json");
    let mut index: Value = serde_json::from_slice(&files[i].1).unwrap();
    let digest = index["manifests"][0]["digest"].as_str().unwrap().to_owned();
    let m = at(&files, &format!("blobs/sha256/{}", &digest[7..]));
    let mut manifest: Value = serde_json::from_slice(&files[m].1).unwrap();
    manifest["annotations"] = json!({
        "org.opencontainers.image.source": format!("https://x-access-token:{TOKEN}@github.com/acme/app"),
        "org.opencontainers.image.created": "2026-12-08T01:00:00Z",
        "com.example.api-key": "Zk2m9Qx7Lp4vW8rTq3aa",
    });
    let manifest = blob(&mut files, serde_json::to_vec(&manifest).unwrap());
    index["manifests"][0]["digest"] = manifest["digest"].clone();
    index["manifests"][0]["size"] = manifest["size"].clone();
    index["manifests"][0]["annotations"] = json!({
        "org.opencontainers.image.ref.name": "app:1",
        "com.example.deploy": STRIPE,
    });
    index["annotations"] = json!({
        "org.opencontainers.image.description": "the app",
        TOKEN: "a token used as a key",
    });
    files[i].1 = serde_json::to_vec(&index).unwrap();
    let (code, json) = scan_files(&files, &[]);
    assert_eq!(code, 1, "{}", error_text(&json));
    assert_eq!(
        found(&json),
        [
            row("github.pat", r#"index.json annotations["…"]"#),
            row(
                "image.secret-annotation",
                r#"manifest annotations["com.example.api-key"]"#
            ),
            row(
                "stripe.secret-key",
                r#"index.json manifests[0] annotations["com.example.deploy"]"#
            ),
        ]
    );
    // the token in the source URL is the same secret as the key: one finding, naming both
    let text = json.to_string();
    assert!(
        text.contains(r#"also in manifest annotations[\"org.opencontainers.image.source\"]"#),
        "{text}"
    );
    assert!(
        !text.contains(&TOKEN[8..30]) && !text.contains(&STRIPE[12..40]),
        "{text}"
    );
    assert!(!text.contains("Zk2m9Qx7Lp4vW8rTq3aa"), "{text}");
}

/// BuildKit records an `ARG` in the history with the value the build gave it (`--build-arg`
/// included), even when no `RUN` uses it; the classic builder records the instruction as
/// written, where `${B}` refers to another argument and leaks nothing.
#[test]
fn arg_entries_of_the_history_are_judged_like_build_arguments() {
    let history = json!({ "history": [
        { "created_by": "ARG DB_PASSWORD=hunter2hunter2 NODE_ENV=production GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D",
          "comment": "buildkit.dockerfile.v0", "empty_layer": true },
        { "created_by": "/bin/sh -c #(nop)  ARG API_TOKEN=${CI_TOKEN}", "empty_layer": true },
        { "created_by": "ARG SESSION_SECRET", "empty_layer": true },
        { "created_by": "COPY . /srv/app # buildkit" },
    ] });
    let (code, json) = scan_files(&image(history, &[], None), &[]);
    assert_eq!(code, 1, "{}", error_text(&json));
    assert_eq!(
        found(&json),
        [row("image.secret-build-arg", "history[0].created_by")]
    );
    let finding = &json["findings"][0];
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .starts_with("DB_PASSWORD looks secret"),
        "{finding}"
    );
    assert!(!json.to_string().contains("hunter2hunter2"));
}
