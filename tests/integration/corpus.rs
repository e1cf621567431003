//! The 2,727 real-world Dockerfiles in ../shared/corpus/dockerfiles: every file is read and
//! ends up parsed or with a clear, located error; and our parser agrees with the
//! `parse-dockerfile` crate (a second, independent parser) wherever that one succeeds.

use std::path::PathBuf;

use stowaway::dockerfile::{Dockerfile, Kind};

use crate::common::{root, run};

fn corpus() -> Vec<PathBuf> {
    let dir = root().join("../shared/corpus/dockerfiles");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the shared corpus must sit at {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn every_corpus_file_is_parsed_or_a_located_error() {
    let files = corpus();
    assert_eq!(files.len(), 2727);
    let dir = root().join("../shared/corpus/dockerfiles");
    let out = run(&[
        "scan",
        dir.to_str().unwrap(),
        "--format",
        "json",
        "--no-context",
    ]);
    assert_eq!(
        out.code, 2,
        "a handful of corpus files are invalid Dockerfiles"
    );
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["summary"]["sources"], 2727);
    let errors = json["errors"].as_array().unwrap();
    for error in errors {
        assert!(
            error["line"].as_u64().is_some_and(|l| l > 0),
            "error without a line: {error}"
        );
        assert!(error["source"].as_str().unwrap().ends_with(".Dockerfile"));
    }
    assert!(errors.len() < files.len() / 100, "{} errors", errors.len());
    let clean = files.len() - errors.len();
    let instructions: usize = files
        .iter()
        .map(|f| {
            Dockerfile::from_bytes(&std::fs::read(f).unwrap())
                .instructions
                .len()
        })
        .sum();
    assert!(
        clean > 2700 && instructions > 20_000,
        "{clean} clean files, {instructions} instructions"
    );
}

fn keyword_offset(instruction: &parse_dockerfile::Instruction<'_>) -> (String, usize) {
    use parse_dockerfile::Instruction as I;
    let (name, span) = match instruction {
        I::Add(i) => ("ADD", &i.add.span),
        I::Arg(i) => ("ARG", &i.arg.span),
        I::Cmd(i) => ("CMD", &i.cmd.span),
        I::Copy(i) => ("COPY", &i.copy.span),
        I::Entrypoint(i) => ("ENTRYPOINT", &i.entrypoint.span),
        I::Env(i) => ("ENV", &i.env.span),
        I::Expose(i) => ("EXPOSE", &i.expose.span),
        I::From(i) => ("FROM", &i.from.span),
        I::Healthcheck(i) => ("HEALTHCHECK", &i.healthcheck.span),
        I::Label(i) => ("LABEL", &i.label.span),
        I::Maintainer(i) => ("MAINTAINER", &i.maintainer.span),
        I::Onbuild(i) => ("ONBUILD", &i.onbuild.span),
        I::Run(i) => ("RUN", &i.run.span),
        I::Shell(i) => ("SHELL", &i.shell.span),
        I::Stopsignal(i) => ("STOPSIGNAL", &i.stopsignal.span),
        I::User(i) => ("USER", &i.user.span),
        I::Volume(i) => ("VOLUME", &i.volume.span),
        I::Workdir(i) => ("WORKDIR", &i.workdir.span),
        _ => ("?", &(0..0)),
    };
    (name.to_owned(), span.start)
}

fn heredoc_count(instruction: &parse_dockerfile::Instruction<'_>) -> usize {
    match instruction {
        parse_dockerfile::Instruction::Run(run) => run.here_docs.len(),
        _ => 0,
    }
}

#[test]
fn agrees_with_parse_dockerfile_where_it_succeeds() {
    let mut compared = 0;
    let mut disagreements = Vec::new();
    for file in corpus() {
        let bytes = std::fs::read(&file).unwrap();
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        let Ok(theirs) = parse_dockerfile::parse(&text) else {
            continue;
        };
        let ours = stowaway::dockerfile::parse(text.clone());
        // parse-dockerfile counts offsets after a byte-order mark; ours are file offsets
        let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
        let their_view: Vec<(String, usize, usize)> = theirs
            .instructions
            .iter()
            .map(|i| {
                let (name, offset) = keyword_offset(i);
                (name, offset, heredoc_count(i))
            })
            .collect();
        let our_view: Vec<(String, usize, usize)> = ours
            .instructions
            .iter()
            .map(|i| {
                let heredocs = if i.kind == Kind::Run {
                    i.heredocs.len()
                } else {
                    0
                };
                (i.keyword.to_ascii_uppercase(), i.offset - bom, heredocs)
            })
            .collect();
        compared += 1;
        if their_view != our_view {
            disagreements.push(file.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    assert!(compared > 2600, "only {compared} files compared");
    assert!(
        disagreements.is_empty(),
        "{} files differ: {:?}",
        disagreements.len(),
        disagreements
    );
}
